//! The one owner of the store file's tables. Every table, index and trigger is created here and
//! nowhere else; each later change to them is a migration appended to `MIGRATIONS`. The file's
//! `PRAGMA user_version` is the number of migrations applied, so a store written by an earlier
//! collector upgrades in place when it is opened, and a store written by a later one is refused
//! rather than misread.
//!
//! The repositories over these tables: [`super::sqlite`] (telemetry: reports, their keys, latest
//! state, the agents' registry, stage transitions, days with reports, the quarantine),
//! [`super::control`] (what people write, and the audit trail), [`super::meta`] (counters), and
//! the time-series buffer (`outbox`, [`super::outbox`]).

use super::StoreError;
use rusqlite::{Connection, params};
use std::path::Path;

/// Telemetry tables (see [`super::sqlite`]).
const TELEMETRY: &str = r#"
CREATE TABLE IF NOT EXISTS status (
    id       INTEGER PRIMARY KEY,  -- arrival order
    site     TEXT    NOT NULL,
    boot     TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    ts       INTEGER NOT NULL,  -- agent timestamp, ms since the epoch
    received INTEGER NOT NULL,  -- collector clock, ms since the epoch
    stage    TEXT    NOT NULL,
    skewed   INTEGER NOT NULL,  -- 1 when stamped ahead of the collector's clock
    payload  BLOB    NOT NULL   -- the report as the agent sent it (JSON, compressed: store/payload.rs)
);
CREATE TABLE IF NOT EXISTS status_key (
    site     TEXT    NOT NULL,
    boot     TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    id       INTEGER NOT NULL,  -- status.id
    PRIMARY KEY (site, boot, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS meta (
    key      TEXT PRIMARY KEY,
    value    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS site_state (
    site     TEXT PRIMARY KEY,
    ts       INTEGER NOT NULL,
    received INTEGER NOT NULL,
    stage    TEXT    NOT NULL,
    id       INTEGER NOT NULL   -- status.id of that report; small rows keep this table's pages few
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sites (
    site     TEXT PRIMARY KEY,
    info     TEXT    NOT NULL,  -- the latest info message, JSON
    updated  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS stage_changes (
    site       TEXT    NOT NULL,
    ts         INTEGER NOT NULL,
    from_stage TEXT,
    to_stage   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS stage_changes_site ON stage_changes (site, ts);

CREATE TABLE IF NOT EXISTS site_day (
    site     TEXT    NOT NULL,
    day      INTEGER NOT NULL,  -- local (UTC+8) days since 1970-01-01
    last_ts  INTEGER NOT NULL,  -- agent time of the day's last report known, ms
    supply   TEXT,              -- power supply in that report
    PRIMARY KEY (site, day)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS quarantine (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    received INTEGER NOT NULL,
    topic    TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    detail   TEXT    NOT NULL,
    payload  BLOB    NOT NULL   -- first 4 KiB of what arrived
);
"#;

/// What people write and the audit trail (see [`super::control`]).
const CONTROL: &str = r#"
CREATE TABLE IF NOT EXISTS plan (
    id       TEXT PRIMARY KEY,
    site     TEXT    NOT NULL,  -- PlannedSite, JSON
    updated  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS milestones (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site       TEXT    NOT NULL,
    stage      TEXT    NOT NULL,
    at         INTEGER NOT NULL,  -- when the stage was reached, ms
    note       TEXT    NOT NULL,
    reporter   TEXT    NOT NULL,
    lat        REAL,
    lon        REAL,
    distance_m REAL,
    flagged    INTEGER NOT NULL,
    reason     TEXT,
    recorded   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS milestones_site ON milestones (site, at);

CREATE TABLE IF NOT EXISTS obstacles (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    site             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    description      TEXT NOT NULL,
    responsible_unit TEXT NOT NULL,
    opened           TEXT NOT NULL,  -- YYYY-MM-DD, local
    due              TEXT NOT NULL,
    resolved         TEXT,
    resolution       TEXT,
    reporter         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS obstacles_site ON obstacles (site);

CREATE TABLE IF NOT EXISTS checklist_closed (
    month     TEXT PRIMARY KEY,  -- YYYY-MM
    closed_at INTEGER NOT NULL,
    closed_by TEXT    NOT NULL,
    checklist TEXT    NOT NULL   -- the Checklist as closed, JSON
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS areas (
    name     TEXT PRIMARY KEY,
    class    TEXT    NOT NULL,
    county   TEXT    NOT NULL,
    geometry TEXT    NOT NULL,  -- GeoJSON geometry, WGS-84
    updated  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS agent_keys (
    site    TEXT PRIMARY KEY,
    key     TEXT    NOT NULL,  -- 64 hex digits; the collector needs the key itself to check HMACs
    issued  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS tokens (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name     TEXT    NOT NULL,
    role     TEXT    NOT NULL,
    operator TEXT,
    hash     TEXT    NOT NULL UNIQUE,  -- SHA-256 of the token, hex; the token itself is not kept
    created  INTEGER NOT NULL,
    expires  INTEGER,
    revoked  INTEGER
);

CREATE TABLE IF NOT EXISTS objections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site       TEXT    NOT NULL,
    field      TEXT    NOT NULL,
    proposed   TEXT    NOT NULL,  -- JSON
    reason     TEXT    NOT NULL,
    by_whom    TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    status     TEXT    NOT NULL,  -- open, accepted, rejected
    decided_by TEXT,
    decided_at INTEGER,
    decision   TEXT
);
CREATE INDEX IF NOT EXISTS objections_site ON objections (site);

CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    origin  TEXT    NOT NULL,  -- client address, or `cli`
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    before  TEXT,              -- JSON
    after   TEXT               -- JSON
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#;

/// The time-series server's buffer (see [`super::outbox`]).
const OUTBOX: &str = r#"
CREATE TABLE IF NOT EXISTS outbox (
    id     INTEGER PRIMARY KEY,  -- commit order, sent in this order
    lines  TEXT    NOT NULL,     -- line protocol, each line ending in \n
    n      INTEGER NOT NULL      -- number of lines
);
CREATE TABLE IF NOT EXISTS outbox_dead (
    id      INTEGER PRIMARY KEY,
    lines   TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    status  INTEGER NOT NULL,    -- the server's HTTP status
    error   TEXT    NOT NULL,    -- the server's answer
    at      INTEGER NOT NULL     -- ms
);
"#;

/// One step of the schema, applied once, in a transaction with the version it sets.
struct Migration {
    what: &'static str,
    apply: fn(&Connection) -> rusqlite::Result<()>,
}

/// Every change to the schema, oldest first; `user_version` counts those applied. Append only.
const MIGRATIONS: &[Migration] = &[
    Migration {
        // Stores from before versions hold some or all of these tables already (`IF NOT EXISTS`);
        // the earliest lack `audit.on_behalf`.
        what: "every table of the first versioned schema",
        apply: |c| {
            c.execute_batch(TELEMETRY)?;
            c.execute_batch(CONTROL)?;
            c.execute_batch(OUTBOX)?;
            add_column_if_missing(c, "audit", "on_behalf", "TEXT")
        },
    },
    Migration {
        what: "site_day.interval_s: the report interval the day's last report declared",
        apply: |c| add_column_if_missing(c, "site_day", "interval_s", "INTEGER"),
    },
    Migration {
        what: "requests: a client's idempotency key for each write it made, kept with the write",
        apply: |c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS requests (
                    key  TEXT    PRIMARY KEY,  -- the client's Idempotency-Key
                    what TEXT    NOT NULL,     -- milestone | obstacle
                    ref  INTEGER NOT NULL,     -- the row it made
                    at   INTEGER NOT NULL      -- ms
                ) WITHOUT ROWID;",
            )
        },
    },
    Migration {
        what: "pilots: the register of 5G+ application pilot projects",
        apply: |c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS pilots (
                    id      TEXT    PRIMARY KEY,  -- the project's code
                    record  TEXT    NOT NULL,     -- the project, JSON
                    updated INTEGER NOT NULL      -- ms
                ) WITHOUT ROWID;",
            )
        },
    },
    Migration {
        what: "boundaries: the city's own county boundaries, replacing the shipped ones",
        apply: |c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS boundaries (
                    county   TEXT    PRIMARY KEY,  -- 6-digit admin code
                    name     TEXT    NOT NULL,
                    geometry TEXT    NOT NULL,     -- GeoJSON MultiPolygon, WGS-84
                    updated  INTEGER NOT NULL      -- ms
                ) WITHOUT ROWID;",
            )
        },
    },
    Migration {
        what: "the key index in runs: each bulk addition appended as a run of its own, not merged into one tree per site",
        apply: |c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS key_runs (
                    run      INTEGER PRIMARY KEY,  -- in the order they were added
                    first_id INTEGER NOT NULL,     -- the status.id range it covers
                    last_id  INTEGER NOT NULL,
                    min_ts   INTEGER NOT NULL,     -- the agent times of its reports, ms
                    max_ts   INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS status_keys (
                    run  INTEGER NOT NULL,
                    site TEXT    NOT NULL,
                    boot TEXT    NOT NULL,
                    seq  INTEGER NOT NULL,
                    id   INTEGER NOT NULL,  -- status.id
                    PRIMARY KEY (run, site, boot, seq)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS boot_max (
                    site TEXT    NOT NULL,
                    boot TEXT    NOT NULL,
                    seq  INTEGER NOT NULL,  -- the highest sequence indexed for the pair
                    PRIMARY KEY (site, boot)
                ) WITHOUT ROWID;
                INSERT INTO key_runs (run, first_id, last_id, min_ts, max_ts)
                    SELECT 0, min(s.id), max(s.id), min(s.ts), max(s.ts)
                    FROM status_key k JOIN status s ON s.id = k.id
                    HAVING count(*) > 0;
                INSERT INTO status_keys (run, site, boot, seq, id)
                    SELECT 0, site, boot, seq, id FROM status_key ORDER BY site, boot, seq;
                INSERT INTO boot_max (site, boot, seq)
                    SELECT site, boot, max(seq) FROM status_key GROUP BY site, boot;
                DROP TABLE status_key;",
            )
        },
    },
];

/// The schema version this collector writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens the file read-write in WAL mode, creating or upgrading its tables.
pub(crate) fn open(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: the WAL is synced on every commit, so an acknowledged batch survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Applies the migrations the file has not had yet. Each runs in an IMMEDIATE transaction that
/// reads the version again once it holds the write lock, so two processes opening an old store
/// at once apply each migration once.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version = |c: &Connection| -> rusqlite::Result<i64> {
        c.pragma_query_value(None, "user_version", |r| r.get(0))
    };
    let at = version(conn)?;
    if at > VERSION {
        return Err(StoreError::TooNew {
            found: at,
            known: VERSION,
        });
    }
    if at == VERSION {
        // Nothing to write: a store on read-only media opens too.
        return Ok(());
    }
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let next = i as i64 + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if version(&tx)? >= next {
            continue;
        }
        (m.apply)(&tx)?;
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
        tracing::debug!(version = next, migration = m.what, "store schema upgraded");
    }
    Ok(())
}

fn add_column_if_missing(
    conn: &Connection,
    table: &str,
    column: &str,
    decl: &str,
) -> rusqlite::Result<()> {
    let present: bool = conn.query_row(
        &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
        params![column],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !present {
        conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::telemetry::Telemetry;

    #[test]
    fn a_new_store_gets_every_migration_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let c = open(&path).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION);
        drop(c);
        // Opening again applies nothing twice.
        drop(open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", VERSION + 1).unwrap();
        drop(c);
        assert!(matches!(
            open(&path),
            Err(StoreError::TooNew { found, .. }) if found == VERSION + 1
        ));
    }

    /// A store as the collector wrote it before schema versions (a short demo run, dumped as
    /// SQL) opens, upgrades in place and reads back whole.
    #[test]
    fn a_store_from_before_versions_upgrades_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(include_str!(
                "../../tests/fixtures/store-before-migrations.sql"
            ))
            .unwrap();
            let v: i64 = c
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(v, 0);
        }
        let control = crate::store::control::ControlStore::open(&path).unwrap();
        assert_eq!(control.plan().unwrap().len(), 12);
        assert_eq!(control.tokens().unwrap().len(), 1);
        assert_eq!(control.areas().unwrap().len(), 1);
        assert!(
            control
                .audit(10)
                .unwrap()
                .iter()
                .all(|a| a.on_behalf_of.is_none())
        );
        let snap = crate::store::sqlite::SqliteReader::open(&path)
            .unwrap()
            .snapshot()
            .unwrap();
        assert_eq!((snap.infos.len(), snap.latest.len()), (12, 12));
        assert!(snap.transitions.values().map(Vec::len).sum::<usize>() >= 12);
        let v: i64 = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION);
        // The writer takes reports on the upgraded file.
        drop(crate::store::sqlite::SqliteStore::open(&path, 100).unwrap());
    }
}
