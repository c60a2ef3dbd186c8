//! The on-disk buffer in front of the time-series server: a table in the embedded store that
//! the writer appends each new report's lines to, in the same transaction that stores the report.
//!
//! So a report is acknowledged to the broker exactly when its lines are durable here, whether or
//! not the server is reachable, and a report stored twice is impossible by the store's own
//! duplicate check. The sink's [`crate::sink::shipper`] sends the table's rows in order and deletes them once
//! the server answered 2xx. The table is bounded: when it holds `buffer_max_mb`, commits fail
//! with [`StoreError::BufferFull`] and the writer holds its acknowledgements (backpressure).

use super::StoreError;
use super::line::{self, SiteTags};
use crate::metrics::Metrics;
use crate::wire::{Info, Status};
use rusqlite::{Connection, params};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the writer and the shipper share: the buffer's size and the signal that a full batch is
/// waiting.
pub struct Buffer {
    lines: AtomicU64,
    bytes: AtomicU64,
    full: AtomicBool,
    pub max_bytes: u64,
    /// A full batch is waiting (or the writer stopped).
    pub ready: tokio::sync::Notify,
    pub batch_lines: u64,
    metrics: Metrics,
}

impl Buffer {
    pub fn new(max_bytes: u64, batch_lines: u64, metrics: Metrics) -> Arc<Buffer> {
        Arc::new(Buffer {
            lines: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            full: AtomicBool::new(false),
            max_bytes,
            ready: tokio::sync::Notify::new(),
            batch_lines: batch_lines.max(1),
            metrics,
        })
    }

    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub(crate) fn added(&self, lines: u64, bytes: u64) {
        let total = self.lines.fetch_add(lines, Ordering::Relaxed) + lines;
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.publish();
        if total >= self.batch_lines {
            self.ready.notify_one();
        }
    }

    pub(crate) fn removed(&self, lines: u64, bytes: u64) {
        // Saturating: the counts start from what the table held at open.
        let _ = self
            .lines
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(lines))
            });
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(bytes))
            });
        self.publish();
    }

    fn publish(&self) {
        self.metrics.sink_buffer_lines.set(self.lines() as i64);
        self.metrics.sink_buffer_bytes.set(self.bytes() as i64);
    }

    /// Err while the buffer holds `max_bytes` or more; raises the alarm on the way in and clears
    /// it on the way out.
    fn check_room(&self) -> Result<(), StoreError> {
        let bytes = self.bytes();
        let full = bytes >= self.max_bytes;
        if full != self.full.swap(full, Ordering::Relaxed) {
            self.metrics.sink_buffer_full.set(full as i64);
            if full {
                tracing::error!(
                    bytes,
                    max = self.max_bytes,
                    "ALARM: the time-series buffer is full; ingest is held until the server takes data again"
                );
            } else {
                tracing::info!(
                    bytes,
                    "the time-series buffer has room again; ingest resumes"
                );
            }
        }
        if full {
            Err(StoreError::BufferFull(bytes))
        } else {
            Ok(())
        }
    }
}

/// The writer's side of the buffer.
pub struct Outbox {
    buffer: Arc<Buffer>,
    /// Tags per site: from the plan, else from the agent's info message.
    tags: HashMap<String, SiteTags>,
    planned: HashSet<String>,
    plan_version: i64,
    /// Lines and bytes appended by the transaction in progress.
    pending: (u64, u64),
    /// Lines not yet inserted: a row holds up to `batch_lines` lines, so that a commit of
    /// thousands of reports inserts a few rows, not thousands.
    chunk: String,
    chunk_lines: u64,
}

impl Outbox {
    /// Creates the tables if needed, counts what an earlier run left to send and loads the site
    /// tags.
    pub fn open(conn: &Connection, buffer: Arc<Buffer>) -> Result<Outbox, StoreError> {
        let (lines, bytes): (i64, i64) = conn.query_row(
            "SELECT coalesce(sum(n), 0), coalesce(sum(length(CAST(lines AS BLOB))), 0) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        buffer.added(lines as u64, bytes as u64);
        let mut outbox = Outbox {
            buffer,
            tags: HashMap::new(),
            planned: HashSet::new(),
            plan_version: -1,
            pending: (0, 0),
            chunk: String::new(),
            chunk_lines: 0,
        };
        outbox.refresh(conn)?;
        Ok(outbox)
    }

    /// Reloads the tags when the plan changed since they were loaded (one query per batch).
    fn refresh(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let version = super::meta::get(conn, "plan_version")?;
        if version == self.plan_version {
            return Ok(());
        }
        let mut tags = HashMap::new();
        // Tags only label the series: a row that cannot be read is logged and left out, so it
        // never holds up the commits that store the reports.
        for info in super::sqlite::infos(conn, true)? {
            tags.insert(info.site.clone(), info_tags(&info));
        }
        let mut planned = HashSet::new();
        for p in super::control::plan_rows(conn, true)? {
            tags.insert(
                p.id.clone(),
                SiteTags::new(
                    &p.county,
                    &p.operators,
                    p.kind,
                    Some((p.position.lat, p.position.lon)),
                ),
            );
            planned.insert(p.id);
        }
        self.tags = tags;
        self.planned = planned;
        self.plan_version = version;
        Ok(())
    }

    /// Called at the start of a commit: refuses it while the buffer is full.
    pub(crate) fn begin(&mut self, conn: &Connection) -> Result<(), StoreError> {
        self.buffer.check_room()?;
        self.refresh(conn)?;
        self.pending = (0, 0);
        self.chunk.clear();
        self.chunk_lines = 0;
        Ok(())
    }

    /// Appends one newly stored report's lines inside the commit's transaction.
    pub(crate) fn push(
        &mut self,
        insert: &mut rusqlite::CachedStatement<'_>,
        status: &Status,
        skewed: bool,
    ) -> Result<(), StoreError> {
        line::encode(&mut self.chunk, status, skewed, self.tags.get(&status.site));
        self.chunk_lines += 1 + status.cells.len() as u64;
        if self.chunk_lines >= self.buffer.batch_lines {
            self.flush(insert)?;
        }
        Ok(())
    }

    /// Inserts the lines gathered so far as one row; called before the transaction commits.
    pub(crate) fn flush(
        &mut self,
        insert: &mut rusqlite::CachedStatement<'_>,
    ) -> Result<(), StoreError> {
        if self.chunk_lines == 0 {
            return Ok(());
        }
        insert.execute(params![self.chunk, self.chunk_lines as i64])?;
        self.pending.0 += self.chunk_lines;
        self.pending.1 += self.chunk.len() as u64;
        self.chunk.clear();
        self.chunk_lines = 0;
        Ok(())
    }

    /// An info message from an unplanned site gives its tags.
    pub(crate) fn learn(&mut self, info: &Info) {
        if !self.planned.contains(&info.site) {
            self.tags.insert(info.site.clone(), info_tags(info));
        }
    }

    /// Called once the commit's transaction is durable.
    pub(crate) fn committed(&mut self) {
        let (lines, bytes) = std::mem::take(&mut self.pending);
        if lines > 0 {
            self.buffer.added(lines, bytes);
        }
    }

    pub(crate) const INSERT: &'static str = "INSERT INTO outbox (lines, n) VALUES (?1, ?2)";
}

fn info_tags(info: &Info) -> SiteTags {
    SiteTags::new(
        &info.county,
        &info.operators,
        info.kind,
        Some((info.position.lat, info.position.lon)),
    )
}

/// The oldest rows of the buffer, as one request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The last row's id: every row up to it is in the body.
    pub last_id: i64,
    pub rows: usize,
    pub lines: u64,
    pub body: String,
}

/// The shipper's side of the buffer: read the oldest rows, remove them once the server took
/// them (or moved to `outbox_dead` with its answer when it refused them as invalid).
pub trait Queue: Send + Sync + 'static {
    /// The oldest rows holding up to `limit` lines (at least one row), if any.
    fn oldest(&self, limit: u64) -> Result<Option<Pending>, StoreError>;
    /// Removes every row up to `last_id`; with `refused` (the server's status and answer), keeps
    /// them in `outbox_dead`.
    fn remove(
        &self,
        last_id: i64,
        refused: Option<(u16, &str)>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;
}

/// [`Queue`] over the store file, on a connection of its own.
pub struct SqliteQueue {
    conn: Mutex<Connection>,
}

impl SqliteQueue {
    pub fn open(path: &Path) -> Result<SqliteQueue, StoreError> {
        Ok(SqliteQueue {
            conn: Mutex::new(super::schema::open(path)?),
        })
    }
}

impl Queue for SqliteQueue {
    fn oldest(&self, limit: u64) -> Result<Option<Pending>, StoreError> {
        // A poisoned lock only means a panic between statements; SQLite rolled back.
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt =
            conn.prepare_cached("SELECT id, lines, n FROM outbox ORDER BY id LIMIT ?1")?;
        let mut rows = stmt.query(params![limit as i64])?;
        let (mut last_id, mut count, mut lines, mut body) = (0, 0, 0, String::new());
        while let Some(r) = rows.next()? {
            let n = r.get::<_, i64>(2)? as u64;
            if count > 0 && lines + n > limit {
                break;
            }
            last_id = r.get(0)?;
            body.push_str(r.get_ref(1)?.as_str().unwrap_or_default());
            count += 1;
            lines += n;
        }
        Ok((count > 0).then_some(Pending {
            last_id,
            rows: count,
            lines,
            body,
        }))
    }

    fn remove(
        &self,
        last_id: i64,
        refused: Option<(u16, &str)>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some((status, text)) = refused {
            tx.execute(
                "INSERT INTO outbox_dead (id, lines, n, status, error, at)
                 SELECT id, lines, n, ?2, ?3, ?4 FROM outbox WHERE id <= ?1",
                params![last_id, status, text, at.timestamp_millis()],
            )?;
        }
        tx.execute("DELETE FROM outbox WHERE id <= ?1", params![last_id])?;
        tx.commit()?;
        Ok(())
    }
}
