//! Durable storage behind one trait, so the embedded store, a line-protocol sink and a test store
//! are interchangeable.
//!
//! - [`schema`] — the one owner of the file's tables: every table, and its migrations
//!   (`PRAGMA user_version`), so an existing store upgrades in place.
//! - [`meta`] — counters kept in the file.
//! - [`outbox`] — the time-series server's bounded on-disk buffer, written in the commit that
//!   stores the reports; [`mod@line`] — the line protocol it holds (measurements, tags, fields).
//! - [`dedupe`] — keys stored but not yet in the key index, checked in memory.
//! - [`payload`] — a report's payload as stored: compressed against a fixed dictionary.
//! - `commit` — the embedded store's commit of a batch, in named steps; `bulk` — rows written
//!   many to a statement.
//! - [`sqlite`] — the embedded store (SQLite, WAL): raw status series, latest state per site, the
//!   site registry, stage transitions, reports per day and the quarantine.
//! - [`telemetry`] — the read trait over stored telemetry, and its rows.
//! - [`memory`] — a store in memory, interchangeable with the embedded one (tests).
//! - [`health`] — whether commits succeed, and why not (disk full, read-only, permissions).
//! - [`retention`] — deletes reports older than `store.keep_days`, between commits.
//! - [`backup`] — a consistent copy of the whole store while it runs, and its restore.
//! - [`control`] — what people write (plan, milestones, obstacles, closed months) and the audit
//!   trail, in the same file.

pub mod backup;
mod bulk;
mod commit;
pub mod control;
pub mod dedupe;
pub mod health;
pub mod line;
pub mod memory;
pub mod meta;
pub mod outbox;
pub mod payload;
pub mod retention;
pub mod schema;
pub mod sqlite;
pub mod telemetry;

use crate::domain::message::{Message, Reject};
use chrono::{DateTime, Utc};

/// One message as the store receives it: decoded, or rejected with its reason.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub topic: String,
    pub payload: bytes::Bytes,
    /// The collector's clock when the message arrived.
    pub received: DateTime<Utc>,
    pub decoded: Result<Message, Reject>,
}

/// What became of one envelope in a committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// New data, now durable.
    Stored,
    /// Already stored earlier (same site, boot and sequence); nothing written.
    Duplicate,
    /// Same site, boot and sequence as a stored report but other content (a broken or forged
    /// agent): the stored report stays, this one is kept in the quarantine.
    Conflicting,
    /// Rejected and kept in the quarantine with its reason.
    Quarantined,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    #[error(transparent)]
    Unreadable(Box<Unreadable>),
    #[error("cannot create directory for the store: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("the time-series buffer is full ({0} bytes); waiting for the server to take data")]
    BufferFull(u64),
    #[error("the store file {0} opens read-only; the collector must write it")]
    ReadOnly(std::path::PathBuf),
    #[error(
        "the store has schema version {found}; this collector knows versions up to {known} (a newer collector wrote it)"
    )]
    TooNew { found: i64, known: i64 },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e {
            rusqlite::Error::FromSqlConversionFailure(_, _, inner) if inner.is::<Unreadable>() => {
                match inner.downcast::<Unreadable>() {
                    Ok(u) => StoreError::Unreadable(u),
                    Err(inner) => StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        inner,
                    )),
                }
            }
            e => StoreError::Sqlite(e),
        }
    }
}

/// A stored row that cannot be read: never read as a default, always an error that names it.
#[derive(Debug, thiserror::Error)]
#[error("stored {table} row {key}: column {column} holds `{value}`, which cannot be read")]
pub struct Unreadable {
    pub table: &'static str,
    pub key: String,
    pub column: &'static str,
    pub value: String,
}

/// [`Unreadable`], as a row-reading closure returns it.
pub(crate) fn unreadable(
    table: &'static str,
    key: impl std::fmt::Display,
    column: &'static str,
    value: impl std::fmt::Display,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        Box::new(Unreadable {
            table,
            key: key.to_string(),
            column,
            value: value.to_string(),
        }),
    )
}

/// Rows of `(key, JSON)` read by `sql` from `table`, each JSON parsed. A row that cannot be read
/// is an error naming it, or — `skip_unreadable`, for uses that only label — logged and left out.
pub(crate) fn json_rows<T: serde::de::DeserializeOwned>(
    c: &rusqlite::Connection,
    sql: &str,
    table: &'static str,
    column: &'static str,
    skip_unreadable: bool,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (key, json) = row?;
        match serde_json::from_str(&json) {
            Ok(v) => out.push(v),
            Err(e) if skip_unreadable => {
                tracing::warn!(table, key, error = %e, "stored row unreadable; left out")
            }
            Err(e) => return Err(unreadable(table, &key, column, e)),
        }
    }
    Ok(out)
}

/// A durable destination for batches. `commit` returns only once the whole batch is durable (or
/// not written at all); outcomes are in the batch's order.
pub trait Store: Send + 'static {
    fn commit(&mut self, batch: &[Envelope]) -> Result<Vec<Outcome>, StoreError>;
}

/// A boxed store, as the ingest pipeline holds it.
pub type BoxStore = Box<dyn Store>;
