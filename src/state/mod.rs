//! The latest state of every site, in memory: what its agent last reported, when, what it says
//! about itself, what the plan says, and its stage over time ([`crate::domain::site::Site`]). Rebuilt from the store at start; updated by the ingest pipeline after each
//! commit, so it never shows data that is not durable.
//!
//! - [`alarms`] — alarms derived from the latest report and the clock.

pub mod alarms;

use crate::domain::site::{Latest, PlannedSite, Site, Sites};
use crate::domain::timeline::{StageEvent, Timeline};
use crate::store::telemetry::Snapshot;
use crate::wire::{Info, Status};
use chrono::{DateTime, Utc};
use std::sync::{Arc, RwLock};

/// Every known site by id, sorted.
#[derive(Debug, Default)]
pub struct Registry {
    sites: Sites,
}

/// The registry as the pipeline and the API share it.
pub type SharedRegistry = Arc<RwLock<Registry>>;

impl Registry {
    pub fn from_snapshot(snap: Snapshot) -> Registry {
        let mut r = Registry::default();
        for info in snap.infos {
            r.apply_info(info);
        }
        for (site, events) in snap.transitions {
            r.sites.entry(site).or_default().timeline = Timeline::new(events);
        }
        // The transitions are in the timeline already: the newest report is set as it is.
        for (status, received) in snap.latest {
            let site = status.site.clone();
            r.sites.entry(site).or_default().latest = Some(Box::new(Latest { status, received }));
        }
        r
    }

    /// Replaces the plan: sites it no longer lists keep what their agents said.
    pub fn set_plan(&mut self, plan: Vec<PlannedSite>) {
        for e in self.sites.values_mut() {
            e.plan = None;
        }
        for p in plan {
            let id = p.id.clone();
            self.sites.entry(id).or_default().plan = Some(Box::new(p));
        }
        self.sites
            .retain(|_, e| e.plan.is_some() || e.reported() || e.objections_open > 0);
    }

    /// Counts an objection filed (`+1`) or decided (`-1`).
    pub fn objection_opened(&mut self, site: &str, delta: i32) {
        let e = self.sites.entry(site.to_string()).or_default();
        e.objections_open = e.objections_open.saturating_add_signed(delta);
    }

    /// Replaces one site's plan entry (an accepted correction).
    pub fn set_site_plan(&mut self, plan: PlannedSite) {
        let id = plan.id.clone();
        self.sites.entry(id).or_default().plan = Some(Box::new(plan));
    }

    /// Takes a person's stage report into the site's timeline.
    pub fn apply_milestone(&mut self, site: &str, event: StageEvent) {
        self.sites
            .entry(site.to_string())
            .or_default()
            .timeline
            .push(event);
    }

    /// Takes a stored report (see [`Site::apply_status`]).
    pub fn apply_status(&mut self, status: Status, received: DateTime<Utc>) {
        // Look up before inserting: the site is almost always known, and the id need not be cloned.
        let entry = match self.sites.get_mut(&status.site) {
            Some(e) => e,
            None => self.sites.entry(status.site.clone()).or_default(),
        };
        entry.apply_status(status, received);
    }

    pub fn apply_info(&mut self, info: Info) {
        let site = info.site.clone();
        self.sites.entry(site).or_default().info = Some(Box::new(info));
    }

    pub fn get(&self, site: &str) -> Option<&Site> {
        self.sites.get(site)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Site)> {
        self.sites.iter()
    }

    /// Every site, as the views read them.
    pub fn sites(&self) -> &Sites {
        &self.sites
    }

    pub fn len(&self) -> usize {
        self.sites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }
}

/// Reads the registry; a poisoned lock means a panic mid-update of plain data, still readable.
pub fn read(r: &SharedRegistry) -> std::sync::RwLockReadGuard<'_, Registry> {
    r.read().unwrap_or_else(|p| p.into_inner())
}

/// Writes the registry (see [`read`] about poisoning).
pub fn write(r: &SharedRegistry) -> std::sync::RwLockWriteGuard<'_, Registry> {
    r.write().unwrap_or_else(|p| p.into_inner())
}

/// The registry the pipeline keeps live against the one rebuilt from a store at start, for the
/// embedded store and the memory store alike (and the two stores against each other).
#[cfg(test)]
mod rebuilt {
    use super::*;
    use crate::domain::message::{Message, Reject};
    use crate::domain::timeline::StageEvent;
    use crate::store::memory::MemoryStore;
    use crate::store::sqlite::{SqliteReader, SqliteStore};
    use crate::store::telemetry::{QuarantineRow, Telemetry};
    use crate::store::{Envelope, Outcome, Store};
    use crate::wire::Stage;
    use crate::wire::status::fixtures;
    use proptest::prelude::*;

    /// One agent message of a generated stream.
    #[derive(Debug, Clone)]
    enum Msg {
        /// Site, boot, seq, stage, agent time (minutes), and a variant of the content.
        Status(u8, u8, u8, u8, u16, bool),
        Info(u8),
        Bad,
    }

    fn msg() -> impl Strategy<Value = Msg> {
        prop_oneof![
            8 => (0u8..4, 0u8..2, 0u8..6, 0u8..7, 0u16..40, proptest::bool::weighted(0.1))
                .prop_map(|(s, b, q, st, t, v)| Msg::Status(s, b, q, st, t, v)),
            1 => (0u8..4).prop_map(Msg::Info),
            1 => Just(Msg::Bad),
        ]
    }

    fn envelope(m: &Msg) -> Envelope {
        let received: DateTime<Utc> = "2020-10-01T00:00:00Z".parse().unwrap();
        match m {
            Msg::Status(s, b, q, st, t, variant) => {
                let ts = received + chrono::Duration::minutes(i64::from(*t));
                let mut status = fixtures::status(&format!("S{s}"), Stage::ALL[*st as usize], ts);
                status.boot = format!("b{b}");
                status.seq = u64::from(*q);
                if *variant {
                    status.fw = "other".into();
                }
                Envelope {
                    topic: format!("sitepulse/v1/sites/S{s}/status"),
                    payload: serde_json::to_vec(&status).unwrap().into(),
                    received,
                    decoded: Ok(Message::Status {
                        status: Box::new(status),
                        skewed: false,
                    }),
                }
            }
            Msg::Info(s) => {
                let info: Info = serde_json::from_value(serde_json::json!({
                    "schema": "sitepulse.info/1", "site": format!("S{s}"), "name": "站", "county": "371502",
                    "operators": ["cmcc"], "tower_owner": "china_tower", "kind": "macro",
                    "bands": ["n78"], "position": {"lat": 36.45, "lon": 115.98}
                }))
                .unwrap();
                Envelope {
                    topic: format!("sitepulse/v1/sites/S{s}/info"),
                    payload: serde_json::to_vec(&info).unwrap().into(),
                    received,
                    decoded: Ok(Message::Info(Box::new(info))),
                }
            }
            Msg::Bad => Envelope {
                topic: "sitepulse/v1/sites/S0/status".into(),
                payload: bytes::Bytes::from_static(b"{not json"),
                received,
                decoded: Err(Reject::Json("expected value".into())),
            },
        }
    }

    /// The live registry as the pipeline updates it after each commit.
    fn apply(reg: &mut Registry, batch: &[Envelope], outcomes: &[Outcome]) {
        for (e, o) in batch.iter().zip(outcomes) {
            match (&e.decoded, o) {
                (Ok(Message::Status { status, .. }), Outcome::Stored) => {
                    reg.apply_status((**status).clone(), e.received)
                }
                (Ok(Message::Info(i)), _) => reg.apply_info((**i).clone()),
                _ => {}
            }
        }
    }

    fn timelines(reg: &Registry) -> Vec<(String, Vec<StageEvent>)> {
        reg.iter()
            .map(|(id, s)| (id.clone(), s.timeline.events().to_vec()))
            .collect()
    }

    proptest! {
        // Failures are not written beside the sources: the case is printed instead.
        #![proptest_config(ProptestConfig {
            cases: 48,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// The same batches give the same outcomes and the same reads from the memory store as
        /// from the embedded one; and the registry rebuilt from either's snapshot has the
        /// timelines the live registry built report by report.
        #[test]
        fn the_memory_store_keeps_the_embedded_stores_rules(
            msgs in proptest::collection::vec(msg(), 1..80),
            cut in 1usize..20,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.db");
            let mut sqlite = SqliteStore::open(&path, 5).unwrap();
            let mut memory = MemoryStore::new(5);
            let mut live = Registry::default();
            let envelopes: Vec<Envelope> = msgs.iter().map(envelope).collect();
            for batch in envelopes.chunks(cut) {
                let a = sqlite.commit(batch).unwrap();
                let b = memory.commit(batch).unwrap();
                prop_assert_eq!(&a, &b);
                apply(&mut live, batch, &a);
            }
            let reader = SqliteReader::open(&path).unwrap();
            let (from, to) = ("2020-01-01T00:00:00Z".parse().unwrap(), "2021-01-01T00:00:00Z".parse().unwrap());
            for s in 0..4 {
                let site = format!("S{s}");
                prop_assert_eq!(reader.stage_changes(&site).unwrap(), memory.stage_changes(&site).unwrap());
                prop_assert_eq!(reader.history(&site, from, to, 1000).unwrap(), memory.history(&site, from, to, 1000).unwrap());
            }
            let reasons = |rows: Vec<QuarantineRow>| rows.into_iter().map(|r| (r.reason, r.detail)).collect::<Vec<_>>();
            prop_assert_eq!(reasons(reader.quarantine(100).unwrap()), reasons(memory.quarantine(100).unwrap()));
            let from_sqlite = Registry::from_snapshot(reader.snapshot().unwrap());
            let from_memory = Registry::from_snapshot(memory.snapshot().unwrap());
            prop_assert_eq!(timelines(&from_sqlite), timelines(&live));
            prop_assert_eq!(timelines(&from_memory), timelines(&live));
        }
    }
}
