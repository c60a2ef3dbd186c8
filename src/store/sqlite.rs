//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a committed batch
//! survives a crash of the process or of the machine.
//!
//! Tables:
//! - `status`: every accepted report in arrival order, its payload as the agent sent it
//!   (compressed, [`super::payload`]) plus the columns queries need. Appending keeps commits to
//!   the pages at the end of the table.
//! - `status_keys`, `key_runs`, `boot_max`: the key index `(site, boot, seq) → id`. A per-site
//!   index written report by report would touch one page per site in every batch (10,000 sites:
//!   most of a batch's I/O); instead, keys are added in bulk every `INDEX_EVERY` reports, and
//!   until then checked in memory ([`super::dedupe`]). Each addition is a run of its own, sorted
//!   and appended after the others (`key_runs` holds each run's id and time range): merged into
//!   one tree sorted by site, every addition would rewrite a page per site (at 1,000,000 reports
//!   over 10,000 sites, 1,644 bytes written per report against 960 in runs). `boot_max` keeps the highest sequence indexed per `(site, boot)`, so
//!   that a new report is told new without reading the runs. `meta.indexed_through` is the last
//!   `status.id` the index covers.
//! - `site_state`: the newest report per site (by agent timestamp), used to rebuild the in-memory
//!   state at start. Written with the key index, in bulk: a row per site and batch would touch
//!   most of the table's pages in every batch. Until then the newest of the reports after
//!   `indexed_through` is found from the reports themselves (`newest_per_site`).
//! - `sites`: the registry as agents describe their sites (`info` messages).
//! - `stage_changes`: every stage transition seen in telemetry.
//! - `site_day`: per site and local day (UTC+8) with reports, the last report's agent time and
//!   power supply; written once per site and day, it answers "when did this site last report
//!   before that day ended" for any past month without scanning `status`.
//! - `quarantine`: rejected messages with their reason, bounded to the newest `quarantine_max`.

use super::bulk;
use super::dedupe::Keys;
use super::outbox::{Buffer, Outbox};
use super::retention::Retention;
use super::telemetry::{HistoryRow, QuarantineRow, Snapshot, StageChange, Telemetry};
use super::{Envelope, StoreError, unreadable};
use crate::domain::timeline::{Source, StageEvent};
use crate::wire::{Info, Stage, Status, Supply};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Reports between two bulk additions to the key index. Larger amortizes the index better;
/// smaller keeps the unindexed tail that history queries scan short.
const INDEX_EVERY: usize = 50_000;

/// The quarantine's reason for a repeated key with other content.
pub const CONFLICTING_DUPLICATE: &str = "conflicting_duplicate";

/// Longest payload prefix kept in the quarantine.
const QUARANTINE_PAYLOAD_MAX: usize = 4096;

/// A time as the store keeps it: ms since the epoch.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time back (every value the store writes is in range).
pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// Local (UTC+8) day number of an agent timestamp in ms: days since 1970-01-01.
pub(super) fn day_of_ms(ts: i64) -> i64 {
    (ts + 8 * 3_600_000).div_euclid(86_400_000)
}

/// The day number `site_day` uses for a local date.
pub fn day_number(day: chrono::NaiveDate) -> i64 {
    (day - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days()
}

/// A site's newest day with reports, as the writer tracks it.
#[derive(Debug, Clone, Copy)]
pub(super) struct DayMark {
    pub(super) day: i64,
    pub(super) last_ts: i64,
    /// `None` when the row does not say.
    pub(super) supply: Option<Supply>,
    /// The interval the report declared; `None` when the row does not say.
    pub(super) interval_s: Option<u32>,
}

/// `site_day.supply` read back: `direct`, `transferred`, or — NULL or anything else — not known.
/// The one reading of the column, for the writer and the control store alike.
pub(crate) fn supply_of(column: Option<&str>) -> Option<Supply> {
    match column {
        Some("direct") => Some(Supply::Direct),
        Some("transferred") => Some(Supply::Transferred),
        _ => None,
    }
}

/// The writer side. Owned by the ingest pipeline's commit thread.
pub struct SqliteStore {
    pub(super) conn: Connection,
    /// Dropping it stops the checkpoint thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
    pub(super) quarantine_max: u64,
    /// Newest (agent timestamp, stage) per site: decides whether a report replaces the latest
    /// state and whether it is a stage transition, without a read per report.
    pub(super) latest: foldhash::HashMap<String, Latest>,
    /// The write-ahead log's file and the size at which the writer starts it over.
    wal_path: PathBuf,
    wal_max: u64,
    /// Keys stored after `indexed_through`, and the indexed maxima read so far.
    pub(super) keys: Keys,
    pub(super) indexed_through: i64,
    pub(super) index_every: usize,
    /// Newest day with reports per site (`site_day`).
    pub(super) days: foldhash::HashMap<String, DayMark>,
    /// The time-series server's buffer, when the series go there (`store.series = "influxdb"`).
    pub(super) outbox: Option<Outbox>,
    /// Deletes old reports (`store.keep_days`).
    pub(super) retention: Option<Retention>,
    /// The commit's undo log, kept to reuse its buffers.
    pub(super) undo: super::commit::Undo,
}

impl SqliteStore {
    pub fn open(path: &Path, quarantine_max: u64) -> Result<Self, StoreError> {
        let conn = super::schema::open(path)?;
        // SQLite opens a file it may not write read-only without a word; every commit would
        // then fail. Say so at once instead.
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(StoreError::ReadOnly(path.into()));
        }
        // Checkpoints run on a thread of their own so that commits never wait for the WAL to be
        // copied back into the database file.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // When the log starts over, its file is cut to nothing: its size is then what was
        // written since (see `bound_wal`).
        conn.pragma_update(None, "journal_size_limit", 0)?;
        let checkpointer = spawn_checkpointer(path)?;
        let indexed_through = super::meta::get(&conn, "indexed_through")?;
        let mut keys = Keys::default();
        let latest = newest_per_site(&conn, indexed_through, |site, boot, seq, id, ts| {
            keys.insert(site, boot, seq, id, ts);
        })?;
        let mut days = foldhash::HashMap::default();
        {
            let mut stmt = conn.prepare(
                "SELECT site, max(day), last_ts, supply, interval_s FROM site_day GROUP BY site",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<u32>>(4)?,
                ))
            })?;
            for row in rows {
                let (site, day, last_ts, supply, interval_s) = row?;
                let supply = supply_of(supply.as_deref());
                // The day's last report may be newer than the row says: the row is finished
                // when the next day begins.
                let last_ts = latest
                    .get(&site)
                    .map(|l| l.newest.ts)
                    .filter(|ts| day_of_ms(*ts) == day)
                    .map_or(last_ts, |ts| ts.max(last_ts));
                days.insert(
                    site,
                    DayMark {
                        day,
                        last_ts,
                        supply,
                        interval_s,
                    },
                );
            }
        }
        Ok(SqliteStore {
            days,
            conn,
            _checkpointer: checkpointer,
            quarantine_max,
            latest,
            wal_path: wal_path(path),
            wal_max: DEFAULT_WAL_MAX,
            keys,
            indexed_through,
            index_every: INDEX_EVERY,
            outbox: None,
            retention: None,
            undo: Default::default(),
        })
    }

    /// Deletes reports received more than `keep_days` ago, a chunk at a time between commits
    /// (see [`super::retention`]); 0 keeps every report.
    pub fn with_retention(mut self, keep_days: u32) -> Result<Self, StoreError> {
        self.retention = match keep_days {
            0 => None,
            d => Some(Retention::open(&self.conn, d)?),
        };
        Ok(self)
    }

    /// Also appends every new report's line protocol to the sink's buffer, in the transaction
    /// that stores it.
    pub fn with_outbox(mut self, buffer: std::sync::Arc<Buffer>) -> Result<Self, StoreError> {
        self.outbox = Some(Outbox::open(&self.conn, buffer)?);
        Ok(self)
    }

    /// Starts the write-ahead log over once its file is larger than `bytes` (`store.wal_max_mb`).
    pub fn with_wal_max(mut self, bytes: u64) -> Self {
        self.wal_max = bytes.max(1);
        self
    }

    /// Keeps the write-ahead log near `wal_max`. The log's file is cut back to nothing whenever
    /// the log starts over (`journal_size_limit = 0`, set at open), so its size is exactly what
    /// was written since — pages as SQLite writes them, whatever the reports' size — and it
    /// survives a restart of the collector. Past the bound the checkpointer has copied most of
    /// the log already; RESTART copies the rest and makes the next commit write from the start.
    /// The batch is committed by then: a failure here is logged, and tried again after the next.
    pub(super) fn bound_wal(&mut self) {
        let size = std::fs::metadata(&self.wal_path).map_or(0, |m| m.len());
        if size <= self.wal_max {
            return;
        }
        match self
            .conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
        {
            Ok(0) => {}
            Ok(_) => tracing::debug!(wal_bytes = size, "wal restart waits for readers"),
            Err(e) => tracing::warn!(error = %e, wal_bytes = size, "wal restart failed"),
        }
    }

    /// Adds keys to the index every `n` reports instead of every `INDEX_EVERY` (tests use small
    /// values to cross the boundary often).
    pub fn with_index_every(mut self, n: usize) -> Self {
        self.index_every = n.max(1);
        self
    }

    /// Adds the keys of every report after `indexed_through` to the key index as a new run,
    /// sorted, raises `boot_max`, and writes each site's newest report not written yet to
    /// `site_state`, in one transaction.
    pub(super) fn index_tail(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let through: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM status", [], |r| r.get(0))?;
        // The run from the writer's memory, which holds exactly the keys after
        // `indexed_through`, already in the index's order: the reports need not be read back.
        if let Some(span) = self.keys.span() {
            tx.execute(
                "INSERT INTO key_runs (run, first_id, last_id, min_ts, max_ts)
                 VALUES ((SELECT coalesce(max(run), -1) + 1 FROM key_runs), ?1, ?2, ?3, ?4)",
                params![span.first_id, span.last_id, span.min_ts, span.max_ts],
            )?;
            let run = tx.last_insert_rowid();
            let sorted = self.keys.sorted();
            let keys: Vec<(&str, &str, u64, i64)> = sorted
                .iter()
                .flat_map(|&(site, boot, tail)| {
                    tail.iter().map(move |&(seq, id)| (site, boot, seq, id))
                })
                .collect();
            bulk::insert(
                &tx,
                "INSERT OR IGNORE INTO status_keys (run, site, boot, seq, id)",
                5,
                "",
                &keys,
                |s, at, &(site, boot, seq, id)| {
                    s.raw_bind_parameter(at, run)?;
                    s.raw_bind_parameter(at + 1, site)?;
                    s.raw_bind_parameter(at + 2, boot)?;
                    s.raw_bind_parameter(at + 3, seq as i64)?;
                    s.raw_bind_parameter(at + 4, id)
                },
            )?;
            bulk::insert(
                &tx,
                "INSERT INTO boot_max (site, boot, seq)",
                3,
                "ON CONFLICT (site, boot) DO UPDATE SET seq = max(seq, excluded.seq)",
                &sorted,
                |s, at, &(site, boot, tail)| {
                    s.raw_bind_parameter(at, site)?;
                    s.raw_bind_parameter(at + 1, boot)?;
                    s.raw_bind_parameter(at + 2, tail.last().map_or(0, |&(top, _)| top as i64))
                },
            )?;
        }
        {
            // One by one: many to a statement, this upsert made the commits write about 600
            // bytes more per report (the pipeline bench) for no CPU saved.
            let mut upsert = tx.prepare_cached(
                "INSERT INTO site_state (site, ts, received, stage, id) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (site) DO UPDATE SET ts = excluded.ts, received = excluded.received,
                     stage = excluded.stage, id = excluded.id",
            )?;
            for (site, l) in self.latest.iter().filter(|(_, l)| !l.saved) {
                let n = &l.newest;
                upsert.execute(params![site, n.ts, n.received, n.stage.as_str(), n.id])?;
            }
        }
        super::meta::set(&tx, "indexed_through", through)?;
        tx.commit()?;
        self.indexed_through = through;
        self.keys.indexed();
        for l in self.latest.values_mut() {
            l.saved = true;
        }
        Ok(())
    }
}

/// The row of `(site, boot, seq)` when the key index holds it. Reads the index only when `seq`
/// is not above the highest sequence indexed for the pair.
pub(super) fn in_index(
    conn: &Connection,
    keys: &mut Keys,
    site: &str,
    boot: &str,
    seq: u64,
) -> rusqlite::Result<Option<i64>> {
    let highest = match keys.indexed_max(site, boot) {
        Some(m) => m,
        None => {
            let m: Option<i64> = conn
                .prepare_cached("SELECT seq FROM boot_max WHERE site = ?1 AND boot = ?2")?
                .query_row(params![site, boot], |r| r.get(0))
                .optional()?;
            let m = m.map(|v| v as u64);
            keys.set_indexed_max(site, boot, m);
            m
        }
    };
    match highest {
        Some(h) if seq <= h => conn
            // One seek in each run (a key is in one run at most).
            .prepare_cached(
                "SELECT id FROM status_keys WHERE run IN (SELECT run FROM key_runs)
                 AND site = ?1 AND boot = ?2 AND seq = ?3 LIMIT 1",
            )?
            .query_row(params![site, boot, seq as i64], |r| r.get(0))
            .optional(),
        _ => Ok(None),
    }
}

/// Keeps `env` in the quarantine with its reason: the topic's first 256 characters and the
/// payload's first [`QUARANTINE_PAYLOAD_MAX`] bytes.
pub(super) fn quarantine(
    insert: &mut rusqlite::CachedStatement<'_>,
    env: &Envelope,
    reason: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    let keep = &env.payload[..env.payload.len().min(QUARANTINE_PAYLOAD_MAX)];
    insert.execute(params![
        ms(env.received),
        env.topic.chars().take(256).collect::<String>(),
        reason,
        detail,
        keep,
    ])?;
    Ok(())
}

/// True when a repeated key's report differs from the one stored in row `id`: not a redelivery
/// or a retry (those repeat the same report) but a broken or forged agent. Compared as JSON
/// values, so that a retry serialized with other spacing is still a plain duplicate. A row that
/// retention has deleted cannot be compared and counts as a plain duplicate.
pub(super) fn differs_from_stored(
    conn: &Connection,
    id: i64,
    payload: &[u8],
) -> rusqlite::Result<bool> {
    let stored: Option<Vec<u8>> = conn
        .prepare_cached("SELECT payload FROM status WHERE id = ?1")?
        .query_row(params![id], |r| r.get(0))
        .optional()?;
    let stored = match stored.as_deref().map(super::payload::unpack) {
        // Unreadable: a damaged row is not told apart from other content.
        Some(Err(_)) => return Ok(true),
        Some(Ok(s)) => Some(s),
        None => None,
    };
    Ok(match stored {
        None => false,
        Some(s) if *s == *payload => false,
        Some(s) => {
            let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).ok();
            parse(&s) != parse(payload)
        }
    })
}

/// The newest report of a site.
#[derive(Debug, Clone, Copy)]
pub(super) struct Newest {
    /// Agent timestamp, ms.
    pub(super) ts: i64,
    pub(super) stage: Stage,
    /// Collector clock, ms.
    pub(super) received: i64,
    /// `status.id`.
    pub(super) id: i64,
}

/// A site's newest report as the writer knows it, and whether `site_state` holds it yet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Latest {
    pub(super) newest: Newest,
    pub(super) saved: bool,
}

/// Each site's newest report: `site_state` as last written, brought up to date with the
/// reports stored after `indexed_through` in arrival order, by the writer's rule (a report not
/// older than the newest so far replaces it). `tail` sees each of those reports' keys.
pub(super) fn newest_per_site(
    conn: &Connection,
    indexed_through: i64,
    mut tail: impl FnMut(&str, &str, u64, i64, i64),
) -> rusqlite::Result<foldhash::HashMap<String, Latest>> {
    let stage = |s: String| Stage::parse(&s).unwrap_or(Stage::Planned);
    let mut latest = foldhash::HashMap::default();
    let mut stmt = conn.prepare("SELECT site, ts, received, stage, id FROM site_state")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let newest = Newest {
            ts: r.get(1)?,
            received: r.get(2)?,
            stage: stage(r.get(3)?),
            id: r.get(4)?,
        };
        latest.insert(
            r.get(0)?,
            Latest {
                newest,
                saved: true,
            },
        );
    }
    let mut stmt = conn.prepare(
        "SELECT id, site, boot, seq, ts, received, stage FROM status WHERE id > ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query(params![indexed_through])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let site: &str = r.get_ref(1)?.as_str()?;
        let (ts, boot): (i64, &str) = (r.get(4)?, r.get_ref(2)?.as_str()?);
        tail(site, boot, r.get::<_, i64>(3)? as u64, id, ts);
        if latest.get(site).is_none_or(|l: &Latest| ts >= l.newest.ts) {
            let newest = Newest {
                ts,
                received: r.get(5)?,
                stage: stage(r.get(6)?),
                id,
            };
            latest.insert(
                site.to_string(),
                Latest {
                    newest,
                    saved: false,
                },
            );
        }
    }
    Ok(latest)
}

/// Size of the write-ahead log at which the writer starts it over, unless configured
/// (`store.wal_max_mb`).
const DEFAULT_WAL_MAX: u64 = 64 << 20;

/// The write-ahead log beside the database file `db`.
fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// Every 200 ms, copies committed WAL frames into the database file (PASSIVE: never blocks the
/// writer or readers), until the returned sender is dropped. This does the bulk of the copying
/// off the commit path; the writer itself restarts the log now and then (see
/// [`SqliteStore::commit`]), because a writer that never pauses keeps the log from ever starting
/// over on its own.
fn spawn_checkpointer(path: &Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            // While the store fails (disk full, read-only), one line when checkpoints start
            // failing, a reminder a minute, one when they work again: the writer's ALARM says
            // the rest.
            let mut failing: Option<(std::time::Instant, u64)> = None;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(std::time::Duration::from_millis(200))
            {
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    Ok(()) => {
                        if let Some((_, n)) = failing.take() {
                            tracing::info!(failures = n, "wal checkpoints work again");
                        }
                    }
                    Err(e) => match &mut failing {
                        None => {
                            tracing::warn!(error = %e, "wal checkpoint failed; retrying every 200 ms");
                            failing = Some((std::time::Instant::now(), 1));
                        }
                        Some((logged, n)) => {
                            *n += 1;
                            if logged.elapsed() >= std::time::Duration::from_secs(60) {
                                tracing::warn!(error = %e, failures = *n, "wal checkpoints still fail");
                                *logged = std::time::Instant::now();
                            }
                        }
                    },
                }
            }
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        })?;
    Ok(tx)
}

/// Every site as its agent described it last (`sites`). A row that cannot be read is an error
/// naming it, or — `skip_unreadable`, for uses that only label — logged and left out.
pub(crate) fn infos(c: &Connection, skip_unreadable: bool) -> rusqlite::Result<Vec<Info>> {
    super::json_rows(
        c,
        "SELECT site, info FROM sites",
        "sites",
        "info",
        skip_unreadable,
    )
}

/// Read side: queries for the API and tests, on its own connection so reads never wait for the
/// writer (WAL).
pub struct SqliteReader {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteReader {
    /// Opens the store read-only; creates the schema first if the file is new.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        drop(super::schema::open(path)?);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(SqliteReader {
            path: path.into(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        // A poisoned lock only means another reader panicked mid-query; the connection is fine.
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&conn)?)
    }

    /// Number of stored reports.
    pub fn status_count(&self) -> Result<u64, StoreError> {
        self.with(|c| c.query_row("SELECT count(*) FROM status", [], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
    }

    /// How many times `(site, boot, seq)` is stored (0 or 1 when the store is sound).
    pub fn count_of(&self, site: &str, boot: &str, seq: u64) -> Result<u64, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT count(*) FROM status WHERE site = ?1 AND boot = ?2 AND seq = ?3",
                params![site, boot, seq as i64],
                |r| r.get::<_, i64>(0),
            )
        })
        .map(|n| n as u64)
    }

    /// Every stored key `(site, boot, seq)`, for consistency checks.
    pub fn all_keys(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT site, boot, seq FROM status")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })?;
            rows.collect()
        })
    }

    /// The stored info of one site, if any.
    pub fn info(&self, site: &str) -> Result<Option<Info>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT info FROM sites WHERE site = ?1",
                params![site],
                |r| r.get::<_, String>(0),
            )
            .optional()
        })
        .map(|o| o.and_then(|j| serde_json::from_str(&j).ok()))
    }
}

impl Telemetry for SqliteReader {
    /// Reports of one site with agent timestamps in `[from, to]`, oldest first.
    fn history(
        &self,
        site: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT received, skewed, payload FROM status
                 WHERE id IN (
                     SELECT id FROM status_keys WHERE site = ?1 AND run IN (
                         SELECT run FROM key_runs WHERE max_ts >= ?2 AND min_ts <= ?3)
                     UNION ALL
                     SELECT id FROM status WHERE site = ?1 AND id > coalesce(
                         (SELECT value FROM meta WHERE key = 'indexed_through'), 0)
                 ) AND ts BETWEEN ?2 AND ?3 ORDER BY ts, boot, seq LIMIT ?4",
            )?;
            let rows = stmt.query_map(params![site, ms(from), ms(to), limit], |r| {
                let stored = r.get_ref(2)?.as_blob()?;
                let status = super::payload::unpack(stored)
                    .ok()
                    .and_then(|json| serde_json::from_slice(&json).ok())
                    .unwrap_or(serde_json::Value::Null);
                Ok(HistoryRow {
                    received: from_ms(r.get(0)?),
                    skewed: r.get::<_, i64>(1)? != 0,
                    status,
                })
            })?;
            rows.collect()
        })
    }

    /// The newest quarantined messages, newest first.
    fn quarantine(&self, limit: u32) -> Result<Vec<QuarantineRow>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, received, topic, reason, detail, payload FROM quarantine
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit], |r| {
                let payload: Vec<u8> = r.get(5)?;
                Ok(QuarantineRow {
                    id: r.get(0)?,
                    received: from_ms(r.get(1)?),
                    topic: r.get(2)?,
                    reason: r.get(3)?,
                    detail: r.get(4)?,
                    payload: String::from_utf8_lossy(&payload).into_owned(),
                })
            })?;
            rows.collect()
        })
    }

    /// Stage transitions of one site, oldest first.
    fn stage_changes(&self, site: &str) -> Result<Vec<StageChange>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT ts, from_stage, to_stage FROM stage_changes WHERE site = ?1 ORDER BY ts",
            )?;
            let rows = stmt.query_map(params![site], |r| {
                Ok(StageChange {
                    ts: from_ms(r.get(0)?),
                    from: r.get(1)?,
                    to: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Everything the state registry needs to start where it left off.
    fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.with(|c| {
            let mut snap = Snapshot {
                infos: infos(c, false)?,
                ..Snapshot::default()
            };
            // One read transaction: the key index and `site_state` move together.
            let tx = c.unchecked_transaction()?;
            let through = super::meta::get(&tx, "indexed_through")?;
            let mut newest: Vec<_> = newest_per_site(&tx, through, |_, _, _, _, _| {})?
                .into_iter()
                .collect();
            newest.sort_by(|a, b| a.0.cmp(&b.0));
            let mut stmt = tx.prepare_cached("SELECT payload FROM status WHERE id = ?1")?;
            for (site, l) in newest {
                let stored: Vec<u8> = stmt.query_row(params![l.newest.id], |r| r.get(0))?;
                let json = super::payload::unpack(&stored)
                    .map_err(|e| unreadable("status", &site, "payload", &e))?;
                let status = serde_json::from_slice::<Status>(&json)
                    .map_err(|e| unreadable("status", &site, "payload", &e))?;
                snap.latest.push((status, from_ms(l.newest.received)));
            }
            let mut stmt =
                c.prepare("SELECT site, ts, to_stage FROM stage_changes ORDER BY site, ts, rowid")?;
            for row in stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })? {
                let (site, ts, stage) = row?;
                let stage = Stage::parse(&stage).ok_or_else(|| {
                    unreadable(
                        "stage_changes",
                        &site,
                        "to_stage",
                        format!("unknown stage `{stage}`"),
                    )
                })?;
                snap.transitions.entry(site).or_default().push(StageEvent {
                    at: from_ms(ts),
                    source: Source::Telemetry,
                    stage,
                });
            }
            Ok(snap)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Message;
    use crate::store::{Outcome, Store};
    use crate::wire::*;
    use proptest::prelude::*;

    fn envelope(site: &str, boot: &str, seq: u64) -> Envelope {
        let mut status = crate::wire::status::fixtures::status(
            site,
            Stage::OnAir,
            Utc.timestamp_opt(1_600_000_000 + seq as i64, 0).unwrap(),
        );
        status.boot = boot.into();
        status.seq = seq;
        Envelope {
            topic: format!("sitepulse/v1/sites/{site}/status"),
            payload: serde_json::to_vec(&status).unwrap().into(),
            received: Utc::now(),
            decoded: Ok(Message::Status {
                status: Box::new(status),
                skewed: false,
            }),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the order, the repeats, the batch boundaries, the moments keys move into the
        /// index and the restarts: each key is stored once, repeats are reported as duplicates,
        /// and history finds every stored report of a site.
        #[test]
        fn every_key_is_stored_exactly_once(
            keys in proptest::collection::vec((0u8..3, 0u8..2, 0u64..12), 1..150),
            batch in 1usize..20,
            index_every in 1usize..30,
            reopen_every in 1usize..6,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.db");
            let mut store = SqliteStore::open(&path, 10).unwrap().with_index_every(index_every);
            let mut seen = std::collections::HashSet::new();
            for (n, chunk) in keys.chunks(batch).enumerate() {
                if n % reopen_every == reopen_every - 1 {
                    drop(store);
                    store = SqliteStore::open(&path, 10).unwrap().with_index_every(index_every);
                }
                let envs: Vec<_> = chunk.iter().map(|(s, b, q)| envelope(&format!("S{s}"), &format!("b{b}"), *q)).collect();
                let outcomes = store.commit(&envs).unwrap();
                for ((s, b, q), o) in chunk.iter().zip(outcomes) {
                    let expected = if seen.insert((*s, *b, *q)) { Outcome::Stored } else { Outcome::Duplicate };
                    prop_assert_eq!(o, expected);
                }
            }
            drop(store);
            let reader = SqliteReader::open(&path).unwrap();
            let stored = reader.all_keys().unwrap();
            prop_assert_eq!(stored.len(), seen.len());
            let stored: std::collections::HashSet<_> = stored.into_iter().collect();
            for (s, b, q) in &seen {
                let key = (format!("S{s}"), format!("b{b}"), *q);
                prop_assert!(stored.contains(&key), "lost {:?}", key);
            }
            for s in 0u8..3 {
                let expected = seen.iter().filter(|k| k.0 == s).count();
                let history = reader.history(&format!("S{s}"), Utc.timestamp_opt(0, 0).unwrap(), Utc::now(), 10_000).unwrap();
                prop_assert_eq!(history.len(), expected);
            }
        }
    }

    /// The write-ahead log stays near its bound, counted in what SQLite really writes: reports
    /// spread over many sites touch a page of the latest-state table each, several times their
    /// own size, which a bound on payload bytes would not see.
    #[test]
    fn the_wal_stays_near_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        const MAX: u64 = 1 << 20;
        let mut store = SqliteStore::open(&path, 10).unwrap().with_wal_max(MAX);
        let (mut peak, mut payload, mut biggest_commit) = (0u64, 0u64, 0u64);
        for round in 0..120u64 {
            let batch: Vec<_> = (0..100)
                .map(|i| {
                    envelope(
                        &format!("S{:05}", (round * 7919 + i * 104_729) % 20_000),
                        "b",
                        round,
                    )
                })
                .collect();
            payload += batch.iter().map(|e| e.payload.len() as u64).sum::<u64>();
            let before = std::fs::metadata(wal_path(&path)).map_or(0, |m| m.len());
            store.commit(&batch).unwrap();
            let after = std::fs::metadata(wal_path(&path)).map_or(0, |m| m.len());
            biggest_commit = biggest_commit.max(after.saturating_sub(before));
            peak = peak.max(after);
        }
        // Over the run far more than the bound went through the log...
        assert!(payload > 3 * MAX, "payload {payload}");
        // ...and it stayed near the bound: past it by a batch or two (a restart that meets the
        // checkpointer at work waits for the next commit), never by a multiple.
        assert!(
            peak <= 2 * MAX,
            "wal peaked at {peak} bytes, bound {MAX}, biggest commit {biggest_commit}"
        );
    }

    /// A repeated key with other content is told apart from a plain repeat, whether the first
    /// report is in the same batch, the unindexed tail, the key index or found after a restart;
    /// the stored report stays and the other is quarantined with its reason.
    #[test]
    fn a_repeated_key_with_other_content_is_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let forged = |seq: u64| {
            let mut e = envelope("F", "b", seq);
            let Ok(Message::Status { status, .. }) = &mut e.decoded else {
                unreachable!()
            };
            status.fw = "forged".into();
            e.payload = serde_json::to_vec(status).unwrap().into();
            e
        };
        // A plain repeat, serialized with other spacing, is still a duplicate.
        let respaced = |seq: u64| {
            let mut e = envelope("F", "b", seq);
            let v: serde_json::Value = serde_json::from_slice(&e.payload).unwrap();
            e.payload = serde_json::to_vec_pretty(&v).unwrap().into();
            e
        };
        for index_every in [1, 1000] {
            let mut store = SqliteStore::open(&path, 100)
                .unwrap()
                .with_index_every(index_every);
            let base = index_every as u64 * 10;
            let out = store
                .commit(&[envelope("F", "b", base), forged(base)])
                .unwrap();
            assert_eq!(out, vec![Outcome::Stored, Outcome::Conflicting]);
            let out = store
                .commit(&[respaced(base), forged(base), envelope("F", "b", base)])
                .unwrap();
            assert_eq!(
                out,
                vec![Outcome::Duplicate, Outcome::Conflicting, Outcome::Duplicate]
            );
            drop(store);
            let mut store = SqliteStore::open(&path, 100)
                .unwrap()
                .with_index_every(index_every);
            assert_eq!(
                store.commit(&[forged(base)]).unwrap(),
                vec![Outcome::Conflicting]
            );
        }
        let reader = SqliteReader::open(&path).unwrap();
        assert_eq!(reader.count_of("F", "b", 10).unwrap(), 1);
        let q = reader.quarantine(100).unwrap();
        assert_eq!(q.len(), 6);
        assert!(q.iter().all(|r| r.reason == CONFLICTING_DUPLICATE), "{q:?}");
        let h = reader
            .history("F", Utc.timestamp_opt(0, 0).unwrap(), Utc::now(), 10)
            .unwrap();
        assert!(h.iter().all(|r| r.status["fw"] != "forged"), "{h:?}");
    }

    /// With `keep_days`, reports received before the cut are deleted; each site's latest report,
    /// the duplicate check and the state rebuilt at start are kept.
    #[test]
    fn retention_deletes_old_reports_and_keeps_what_must_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let day0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let at = |site: &str, seq: u64, received: DateTime<Utc>| {
            let mut e = envelope(site, "b", seq);
            e.received = received;
            e
        };
        let open = || {
            SqliteStore::open(&path, 10)
                .unwrap()
                .with_index_every(10)
                .with_retention(1)
                .unwrap()
        };
        let mut store = open();
        // Day 0: site A 0..30, site B 0..5 (B then falls silent).
        let old: Vec<_> = (0..30)
            .map(|q| at("A", q, day0))
            .chain((0..5).map(|q| at("B", q, day0)))
            .collect();
        store.commit(&old).unwrap();
        assert_eq!(
            SqliteReader::open(&path).unwrap().status_count().unwrap(),
            35
        );
        // Two days later: A 30..60. Its commit indexes the keys and deletes what is old.
        let later = day0 + chrono::Duration::days(2);
        let new: Vec<_> = (30..60).map(|q| at("A", q, later)).collect();
        store.commit(&new).unwrap();
        let reader = SqliteReader::open(&path).unwrap();
        // A's 30 new reports and B's latest remain.
        assert_eq!(reader.status_count().unwrap(), 31);
        assert_eq!(reader.count_of("B", "b", 4).unwrap(), 1);
        assert_eq!(reader.count_of("B", "b", 3).unwrap(), 0);
        assert_eq!(reader.count_of("A", "b", 29).unwrap(), 0);
        let all = Utc.timestamp_opt(0, 0).unwrap();
        let far = Utc.timestamp_opt(4_000_000_000, 0).unwrap();
        assert_eq!(reader.history("A", all, far, 1000).unwrap().len(), 30);
        // A deleted report sent again is still a duplicate.
        let again = store
            .commit(&[at("A", 5, later), at("B", 2, later)])
            .unwrap();
        assert_eq!(again, vec![Outcome::Duplicate, Outcome::Duplicate]);
        // After a restart: the same, and the state has both sites' latest reports.
        drop(store);
        let mut store = open();
        let again = store.commit(&[at("A", 6, later)]).unwrap();
        assert_eq!(again, vec![Outcome::Duplicate]);
        let snap = SqliteReader::open(&path).unwrap().snapshot().unwrap();
        let mut latest: Vec<(String, u64)> = snap
            .latest
            .iter()
            .map(|(s, _)| (s.site.clone(), s.seq))
            .collect();
        latest.sort();
        assert_eq!(latest, vec![("A".into(), 59), ("B".into(), 4)]);
        // Without retention nothing is deleted.
        let dir2 = tempfile::tempdir().unwrap();
        let path2 = dir2.path().join("t.db");
        let mut keep = SqliteStore::open(&path2, 10).unwrap().with_index_every(10);
        keep.commit(&old).unwrap();
        keep.commit(&new).unwrap();
        assert_eq!(
            SqliteReader::open(&path2).unwrap().status_count().unwrap(),
            65
        );
    }
}
