//! Whether the store takes commits, and why not: what `/readyz`, the `sitepulse_store_healthy`
//! gauge and the log say during a store outage (disk full, read-only file system, permissions).
//!
//! The writer reports every commit's result here. The first failure raises one `ALARM` line
//! with the cause in words; while commits keep failing, a reminder is logged at most every
//! [`REPEAT_EVERY`]; the first success after an outage logs that the store is back.

use super::StoreError;
use chrono::{DateTime, Utc};
use prometheus_client::metrics::gauge::Gauge;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Least time between two log lines about the same outage.
pub const REPEAT_EVERY: Duration = Duration::from_secs(30);

/// Why commits fail, as far as the collector can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// No space left on the store's file system.
    DiskFull,
    /// The file system or the store's files are read-only.
    ReadOnly,
    /// The collector's user may not write the store's files.
    PermissionDenied,
    /// Another process holds the store's write lock.
    Locked,
    /// Any other I/O or database error; the detail says which.
    Other,
}

impl Cause {
    /// What an operator reads in the log and in `/readyz`.
    pub fn words(self) -> &'static str {
        match self {
            Cause::DiskFull => "the disk is full",
            Cause::ReadOnly => "the file system or the store's file is read-only",
            Cause::PermissionDenied => "permission denied on the store's files",
            Cause::Locked => "another process holds the store's write lock",
            Cause::Other => "the store failed",
        }
    }

    fn of_io(kind: std::io::ErrorKind) -> Option<Cause> {
        use std::io::ErrorKind as K;
        match kind {
            K::StorageFull | K::QuotaExceeded | K::FileTooLarge => Some(Cause::DiskFull),
            K::ReadOnlyFilesystem => Some(Cause::ReadOnly),
            K::PermissionDenied => Some(Cause::PermissionDenied),
            _ => None,
        }
    }
}

/// A store outage in progress.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outage {
    pub cause: Cause,
    /// The store's own error message.
    pub detail: String,
    pub since: DateTime<Utc>,
    /// Failed commits since it began.
    pub failures: u64,
}

impl Outage {
    /// One sentence for `/readyz` and the log.
    pub fn reason(&self) -> String {
        format!(
            "store commits fail since {}: {} ({}); acknowledgements are held, the broker keeps the messages",
            self.since.format("%Y-%m-%d %H:%M:%S UTC"),
            self.cause.words(),
            self.detail
        )
    }
}

#[derive(Debug)]
struct Inner {
    outage: Option<Outage>,
    logged: Instant,
}

/// Shared between the writer, which reports, and the API, which reads.
#[derive(Debug)]
pub struct StoreHealth {
    /// The store's file; its directory is probed to tell the cause of an I/O error.
    path: PathBuf,
    gauge: Gauge,
    inner: Mutex<Inner>,
}

impl StoreHealth {
    pub fn new(path: &Path, gauge: Gauge) -> StoreHealth {
        gauge.set(1);
        StoreHealth {
            path: path.into(),
            gauge,
            inner: Mutex::new(Inner {
                outage: None,
                logged: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding it leaves only a flag and a time behind: still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The outage in progress, if any.
    pub fn outage(&self) -> Option<Outage> {
        self.lock().outage.clone()
    }

    /// A commit failed with `error` at `now`, for `cause` (from [`StoreHealth::cause`], which
    /// may write to the disk: call it off the async threads).
    pub fn failed(&self, cause: Cause, error: &StoreError, now: DateTime<Utc>) {
        let mut guard = self.lock();
        // Plain fields from here, so the outage and the time of the last line borrow apart.
        let inner = &mut *guard;
        match &mut inner.outage {
            None => {
                let o = Outage {
                    cause,
                    detail: error.to_string(),
                    since: now,
                    failures: 1,
                };
                tracing::error!(cause = ?cause, store = %self.path.display(), "ALARM {}", o.reason());
                inner.outage = Some(o);
                inner.logged = Instant::now();
                self.gauge.set(0);
            }
            Some(o) => {
                o.failures += 1;
                o.cause = cause;
                o.detail = error.to_string();
                if inner.logged.elapsed() >= REPEAT_EVERY {
                    tracing::error!(cause = ?o.cause, failures = o.failures, "ALARM still failing: {}", o.reason());
                    inner.logged = Instant::now();
                }
            }
        }
    }

    /// A commit succeeded.
    pub fn ok(&self, now: DateTime<Utc>) {
        let mut inner = self.lock();
        if let Some(o) = inner.outage.take() {
            let secs = (now - o.since).num_milliseconds() as f64 / 1000.0;
            tracing::warn!(
                failures = o.failures,
                outage_s = secs,
                "store commits succeed again after {secs:.1} s ({}); acknowledging what was held",
                o.cause.words()
            );
            self.gauge.set(1);
        }
    }

    /// The cause of `error`: from SQLite's code where it says; for a bare I/O error, from a
    /// small write next to the store, which the operating system answers with the reason.
    pub fn cause(&self, error: &StoreError) -> Cause {
        use rusqlite::ErrorCode as C;
        match error {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => match e.code {
                C::DiskFull => Cause::DiskFull,
                C::ReadOnly => self.probe().unwrap_or(Cause::ReadOnly),
                C::PermissionDenied => Cause::PermissionDenied,
                C::DatabaseBusy | C::DatabaseLocked => Cause::Locked,
                _ => self.probe().unwrap_or(Cause::Other),
            },
            StoreError::ReadOnly(_) => Cause::ReadOnly,
            StoreError::Io(e) => Cause::of_io(e.kind())
                .or_else(|| self.probe())
                .unwrap_or(Cause::Other),
            _ => self.probe().unwrap_or(Cause::Other),
        }
    }

    /// Writes and syncs 64 KiB beside the store, then removes it; the error, if any, names the
    /// cause. `None` when the write succeeds (the cause is not the file system).
    fn probe(&self) -> Option<Cause> {
        use std::io::Write;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let probe = dir.join(".sitepulse-write-probe");
        let result = std::fs::File::create(&probe).and_then(|mut f| {
            f.write_all(&[0u8; 64 << 10])?;
            f.sync_all()
        });
        let _ = std::fs::remove_file(&probe);
        match result {
            Ok(()) => {
                // The directory takes writes; the store's own file may still be read-only.
                let ro = std::fs::metadata(&self.path)
                    .map(|m| m.permissions().readonly())
                    .unwrap_or(false);
                ro.then_some(Cause::ReadOnly)
            }
            Err(e) => Cause::of_io(e.kind()).or(Some(Cause::Other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: i32) -> StoreError {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            None,
        ))
    }

    #[test]
    fn an_outage_is_raised_once_and_cleared_by_a_success() {
        let dir = tempfile::tempdir().unwrap();
        let gauge = Gauge::default();
        let h = StoreHealth::new(&dir.path().join("s.db"), gauge.clone());
        assert_eq!(gauge.get(), 1);
        let t0 = Utc::now();
        let full = sqlite(rusqlite::ffi::SQLITE_FULL);
        h.failed(h.cause(&full), &full, t0);
        h.failed(h.cause(&full), &full, t0);
        let o = h.outage().unwrap();
        assert_eq!((o.cause, o.failures, o.since), (Cause::DiskFull, 2, t0));
        assert!(o.reason().contains("the disk is full"), "{}", o.reason());
        assert_eq!(gauge.get(), 0);
        h.ok(t0);
        assert!(h.outage().is_none());
        assert_eq!(gauge.get(), 1);
    }

    #[test]
    fn causes_come_from_sqlite_codes_and_io_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let h = StoreHealth::new(&dir.path().join("s.db"), Gauge::default());
        assert_eq!(h.cause(&sqlite(rusqlite::ffi::SQLITE_BUSY)), Cause::Locked);
        assert_eq!(
            h.cause(&sqlite(rusqlite::ffi::SQLITE_PERM)),
            Cause::PermissionDenied
        );
        let ro = StoreError::Io(std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem));
        assert_eq!(h.cause(&ro), Cause::ReadOnly);
        // A bare I/O error in a writable directory: not the file system's doing.
        assert_eq!(h.cause(&sqlite(rusqlite::ffi::SQLITE_IOERR)), Cause::Other);
    }
}
