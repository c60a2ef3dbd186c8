//! A store that keeps everything in memory, by the embedded store's rules: a report is stored
//! once per site, boot and sequence; a repeat with other content is kept in the quarantine; a
//! report not older than a site's newest becomes its newest, and a change of stage then is a
//! transition. For tests of what sits above the store, with no file; clones share one store, so
//! one clone writes (the ingest pipeline's [`Store`]) while another reads ([`Telemetry`]).

use super::sqlite::CONFLICTING_DUPLICATE;
use super::telemetry::{HistoryRow, QuarantineRow, Snapshot, StageChange, Telemetry};
use super::{Envelope, Outcome, Store, StoreError};
use crate::domain::message::Message;
use crate::domain::timeline::{Source, StageEvent};
use crate::wire::{Info, Stage, Status};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Longest payload prefix kept in the quarantine, as the embedded store keeps it.
const QUARANTINE_PAYLOAD_MAX: usize = 4096;

struct Report {
    status: Status,
    received: DateTime<Utc>,
    skewed: bool,
    payload: bytes::Bytes,
}

#[derive(Default)]
struct Inner {
    reports: Vec<Report>,
    keys: HashMap<(String, String, u64), usize>,
    /// Index into `reports` of each site's newest report.
    latest: HashMap<String, usize>,
    changes: BTreeMap<String, Vec<StageChange>>,
    infos: BTreeMap<String, Info>,
    quarantine: VecDeque<QuarantineRow>,
    quarantined: i64,
}

#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    quarantine_max: usize,
}

impl MemoryStore {
    pub fn new(quarantine_max: usize) -> MemoryStore {
        MemoryStore {
            inner: Arc::default(),
            quarantine_max,
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of stored reports.
    pub fn status_count(&self) -> usize {
        self.inner().reports.len()
    }
}

fn same_content(a: &[u8], b: &[u8]) -> bool {
    let parse = |x: &[u8]| serde_json::from_slice::<serde_json::Value>(x).ok();
    a == b || parse(a) == parse(b)
}

impl Inner {
    fn keep(&mut self, env: &Envelope, reason: &str, detail: String, max: usize) {
        self.quarantined += 1;
        let keep = &env.payload[..env.payload.len().min(QUARANTINE_PAYLOAD_MAX)];
        self.quarantine.push_back(QuarantineRow {
            id: self.quarantined,
            received: env.received,
            topic: env.topic.chars().take(256).collect(),
            reason: reason.to_string(),
            detail,
            payload: String::from_utf8_lossy(keep).into_owned(),
        });
        while self.quarantine.len() > max {
            self.quarantine.pop_front();
        }
    }

    fn status(&mut self, env: &Envelope, status: &Status, skewed: bool, max: usize) -> Outcome {
        let key = (status.site.clone(), status.boot.clone(), status.seq);
        if let Some(&i) = self.keys.get(&key) {
            if same_content(&self.reports[i].payload, &env.payload) {
                return Outcome::Duplicate;
            }
            let (site, boot, seq) = key;
            self.keep(
                env,
                CONFLICTING_DUPLICATE,
                format!(
                    "site {site} boot {boot} seq {seq} is stored already with other content; the stored report stays"
                ),
                max,
            );
            return Outcome::Conflicting;
        }
        let i = self.reports.len();
        self.reports.push(Report {
            status: status.clone(),
            received: env.received,
            skewed,
            payload: env.payload.clone(),
        });
        self.keys.insert(key, i);
        let prev = self
            .latest
            .get(&status.site)
            .map(|&j| (self.reports[j].status.ts, self.reports[j].status.stage));
        if prev.is_none_or(|(ts, _)| status.ts >= ts) {
            let from = prev.map(|(_, s)| s);
            if from != Some(status.stage) {
                self.changes
                    .entry(status.site.clone())
                    .or_default()
                    .push(StageChange {
                        ts: status.ts,
                        from: from.map(|s| s.as_str().to_string()),
                        to: status.stage.as_str().to_string(),
                    });
            }
            self.latest.insert(status.site.clone(), i);
        }
        Outcome::Stored
    }
}

impl Store for MemoryStore {
    fn commit(&mut self, batch: &[Envelope]) -> Result<Vec<Outcome>, StoreError> {
        let max = self.quarantine_max;
        let mut inner = self.inner();
        Ok(batch
            .iter()
            .map(|env| match &env.decoded {
                Ok(Message::Status { status, skewed }) => inner.status(env, status, *skewed, max),
                Ok(Message::Info(info)) => {
                    inner.infos.insert(info.site.clone(), (**info).clone());
                    Outcome::Stored
                }
                Err(reject) => {
                    inner.keep(env, reject.reason(), reject.to_string(), max);
                    Outcome::Quarantined
                }
            })
            .collect())
    }
}

impl Telemetry for MemoryStore {
    fn history(
        &self,
        site: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        let inner = self.inner();
        let mut rows: Vec<&Report> = inner
            .reports
            .iter()
            .filter(|r| r.status.site == site && r.status.ts >= from && r.status.ts <= to)
            .collect();
        rows.sort_by(|a, b| {
            (a.status.ts, &a.status.boot, a.status.seq).cmp(&(
                b.status.ts,
                &b.status.boot,
                b.status.seq,
            ))
        });
        Ok(rows
            .into_iter()
            .take(limit as usize)
            .map(|r| HistoryRow {
                received: r.received,
                skewed: r.skewed,
                status: serde_json::from_slice(&r.payload).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    fn quarantine(&self, limit: u32) -> Result<Vec<QuarantineRow>, StoreError> {
        Ok(self
            .inner()
            .quarantine
            .iter()
            .rev()
            .take(limit as usize)
            .cloned()
            .collect())
    }

    fn stage_changes(&self, site: &str) -> Result<Vec<StageChange>, StoreError> {
        let mut changes = self.inner().changes.get(site).cloned().unwrap_or_default();
        changes.sort_by_key(|c| c.ts);
        Ok(changes)
    }

    fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let inner = self.inner();
        let mut transitions: HashMap<String, Vec<StageEvent>> = HashMap::new();
        for (site, changes) in &inner.changes {
            for c in changes {
                let stage = Stage::parse(&c.to).ok_or_else(|| StoreError::Corrupt(c.to.clone()))?;
                transitions
                    .entry(site.clone())
                    .or_default()
                    .push(StageEvent {
                        at: c.ts,
                        source: Source::Telemetry,
                        stage,
                    });
            }
        }
        Ok(Snapshot {
            infos: inner.infos.values().cloned().collect(),
            latest: inner
                .latest
                .values()
                .map(|&i| (inner.reports[i].status.clone(), inner.reports[i].received))
                .collect(),
            transitions,
        })
    }
}
