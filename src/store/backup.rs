//! Backups (容灾备份, a rule of the city's data regulations): a consistent copy of the whole
//! store — telemetry, plan, milestones, obstacles, closed months, audit trail — taken while the
//! collector runs, and its restore.
//!
//! The copy uses SQLite's online backup in a single step: it reads one snapshot (WAL readers
//! never block the writer) and never restarts, however busy ingest is. The copy is checked
//! (`PRAGMA integrity_check`) before it is called done, and again before it is restored.

use super::StoreError;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// What a backup or a restore copied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Copied {
    pub bytes: u64,
    pub reports: u64,
    pub planned_sites: u64,
    pub audit_entries: u64,
}

fn count(c: &Connection, table: &str) -> u64 {
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
        r.get::<_, i64>(0)
    })
    .map_or(0, |n| n as u64)
}

fn check(c: &Connection, what: &Path) -> Result<(), StoreError> {
    let result: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if result != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{}: integrity check failed: {result}",
            what.display()
        )));
    }
    Ok(())
}

fn copy(from: &Connection, to: &mut Connection) -> Result<(), StoreError> {
    let b = Backup::new(from, to)?;
    loop {
        // -1: every page in one step, from one snapshot of the source.
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::Busy | StepResult::Locked => std::thread::sleep(Duration::from_millis(50)),
            _ => {}
        }
    }
}

fn summary(c: &Connection, path: &Path) -> Copied {
    Copied {
        bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
        reports: count(c, "status"),
        planned_sites: count(c, "plan"),
        audit_entries: count(c, "audit"),
    }
}

/// Copies the store at `db` into a new file `to`.
pub fn backup(db: &Path, to: &Path) -> Result<Copied, StoreError> {
    if to.exists() {
        return Err(StoreError::Corrupt(format!(
            "{} exists already; a backup never overwrites a file",
            to.display()
        )));
    }
    let from = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    from.busy_timeout(Duration::from_secs(30))?;
    let mut dst = Connection::open(to)?;
    copy(&from, &mut dst)?;
    // A single file, not a WAL, so the copy can be moved and archived as it is.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    check(&dst, to)?;
    Ok(summary(&dst, to))
}

/// Replaces the store at `db` by the backup `from`. Refuses while a collector holds the store.
pub fn restore(from: &Path, db: &Path) -> Result<Copied, StoreError> {
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check(&src, from)?;
    let mut dst = Connection::open(db)?;
    dst.busy_timeout(Duration::from_millis(200))?;
    // A running collector keeps the store open. In exclusive locking mode the first transaction
    // needs every other connection gone, and the lock is then kept until this one closes.
    dst.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    dst.execute_batch("BEGIN EXCLUSIVE; COMMIT;").map_err(|_| {
        StoreError::Corrupt(format!(
            "{} is in use; stop the collector before restoring",
            db.display()
        ))
    })?;
    copy(&src, &mut dst)?;
    dst.pragma_update(None, "journal_mode", "WAL")?;
    check(&dst, db)?;
    Ok(summary(&dst, db))
}
