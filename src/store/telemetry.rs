//! What is read of the telemetry, whichever store keeps it: the read trait the API and the
//! state use, and its rows. [`super::sqlite::SqliteReader`] reads the embedded store;
//! [`super::memory::MemoryStore`] keeps everything in memory for tests.

use crate::domain::timeline::StageEvent;
use crate::wire::{Info, Status};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Reads of the stored telemetry. Shared by the API's handlers, so `Send + Sync + 'static`.
pub trait Telemetry: Send + Sync + 'static {
    /// Reports of one site with agent timestamps in `[from, to]`, oldest first (then by boot and
    /// sequence), at most `limit`.
    fn history(
        &self,
        site: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, super::StoreError>;
    /// The newest quarantined messages, newest first.
    fn quarantine(&self, limit: u32) -> Result<Vec<QuarantineRow>, super::StoreError>;
    /// Stage transitions of one site, oldest first.
    fn stage_changes(&self, site: &str) -> Result<Vec<StageChange>, super::StoreError>;
    /// Everything the state registry needs to start where it left off.
    fn snapshot(&self) -> Result<Snapshot, super::StoreError>;
}

/// One stored report, as the history API returns it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryRow {
    pub received: DateTime<Utc>,
    pub skewed: bool,
    pub status: serde_json::Value,
}

/// A stage transition seen in telemetry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StageChange {
    /// Agent timestamp of the first report at the new stage.
    pub ts: DateTime<Utc>,
    /// `None` for a site's first report.
    pub from: Option<String>,
    pub to: String,
}

/// One quarantined message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineRow {
    pub id: i64,
    pub received: DateTime<Utc>,
    pub topic: String,
    pub reason: String,
    pub detail: String,
    /// The payload prefix as text, with invalid UTF-8 replaced.
    pub payload: String,
}

/// What the state registry is rebuilt from at start.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub infos: Vec<Info>,
    /// Latest report per site, with the time it was received.
    pub latest: Vec<(Status, DateTime<Utc>)>,
    /// Every stage transition seen in telemetry, by site.
    pub transitions: HashMap<String, Vec<StageEvent>>,
}
