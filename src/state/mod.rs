//! The latest state of every site, in memory: what its agent last reported, when, and what it
//! says about itself. Rebuilt from the store at start; updated by the ingest pipeline after each
//! commit, so it never shows data that is not durable.
//!
//! - [`alarms`] — alarms derived from the latest report and the clock.

pub mod alarms;

use crate::rollout::plan::PlannedSite;
use crate::rollout::timeline::StageEvent;
use crate::store::sqlite::Snapshot;
use crate::wire::{Band, Gps, Info, Operator, SiteKind, Stage, Status};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// The newest report of a site.
#[derive(Debug, Clone)]
pub struct Latest {
    pub status: Status,
    /// The collector's clock when it arrived; "last seen".
    pub received: DateTime<Utc>,
}

/// What is known of one site.
#[derive(Debug, Clone, Default)]
pub struct SiteEntry {
    /// The site as the plan lists it; authoritative where present.
    pub plan: Option<PlannedSite>,
    /// The site as its agent describes it.
    pub info: Option<Info>,
    pub latest: Option<Latest>,
    /// Agent timestamp of the first report that showed the site on air.
    pub on_air_since: Option<DateTime<Utc>>,
    /// Agent timestamp of the latest stage transition in telemetry.
    pub stage_since: Option<DateTime<Utc>>,
    /// The latest stage reported by a person.
    pub milestone: Option<StageEvent>,
    /// Objections to its data awaiting a decision.
    pub objections_open: u32,
}

impl SiteEntry {
    /// The stage set by the latest event, telemetry transition or milestone (a person's report
    /// wins a tie), as [`crate::rollout::timeline`] defines it; `planned` before any.
    pub fn stage(&self) -> Stage {
        let telemetry = self
            .latest
            .as_ref()
            .map(|l| (self.stage_since.unwrap_or(l.status.ts), l.status.stage));
        match (telemetry, self.milestone) {
            (Some((since, s)), Some(m)) => {
                if m.at >= since {
                    m.stage
                } else {
                    s
                }
            }
            (Some((_, s)), None) => s,
            (None, Some(m)) => m.stage,
            (None, None) => Stage::Planned,
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.plan
            .as_ref()
            .map(|p| p.name.as_str())
            .or_else(|| self.info.as_ref().map(|i| i.name.as_str()))
    }

    pub fn county(&self) -> Option<&str> {
        self.plan
            .as_ref()
            .map(|p| p.county.as_str())
            .or_else(|| self.info.as_ref().map(|i| i.county.as_str()))
    }

    pub fn operators(&self) -> &[Operator] {
        self.plan
            .as_ref()
            .map(|p| &p.operators[..])
            .or_else(|| self.info.as_ref().map(|i| &i.operators[..]))
            .unwrap_or(&[])
    }

    /// Planned position, else the agent's surveyed one, else its last GPS fix.
    pub fn position(&self) -> Option<Gps> {
        self.plan
            .as_ref()
            .map(|p| p.position)
            .or_else(|| self.info.as_ref().map(|i| i.position))
            .or_else(|| self.latest.as_ref().and_then(|l| l.status.gps))
    }

    /// Kind of installation, from the plan or the agent; macro when neither says.
    pub fn kind(&self) -> SiteKind {
        self.plan
            .as_ref()
            .map(|p| p.kind)
            .or_else(|| self.info.as_ref().map(|i| i.kind))
            .unwrap_or(SiteKind::Macro)
    }

    pub fn bands(&self) -> &[Band] {
        self.plan
            .as_ref()
            .map(|p| &p.bands[..])
            .or_else(|| self.info.as_ref().map(|i| &i.bands[..]))
            .unwrap_or(&[])
    }

    /// Known from its agent only: the plan does not list it.
    pub fn unplanned(&self) -> bool {
        self.plan.is_none()
    }
}

/// Every known site by id, sorted.
#[derive(Debug, Default)]
pub struct Registry {
    sites: BTreeMap<String, SiteEntry>,
}

/// The registry as the pipeline and the API share it.
pub type SharedRegistry = Arc<RwLock<Registry>>;

impl Registry {
    pub fn from_snapshot(snap: Snapshot) -> Registry {
        let mut r = Registry::default();
        for info in snap.infos {
            r.apply_info(info);
        }
        for (status, received) in snap.latest {
            r.apply_status(status, received);
        }
        for (site, since) in snap.on_air_since {
            r.sites.entry(site).or_default().on_air_since = Some(since);
        }
        for (site, since) in snap.stage_since {
            r.sites.entry(site).or_default().stage_since = Some(since);
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
            self.sites.entry(id).or_default().plan = Some(p);
        }
        self.sites.retain(|_, e| {
            e.plan.is_some() || e.info.is_some() || e.latest.is_some() || e.milestone.is_some()
        });
    }

    /// Counts an objection filed (`+1`) or decided (`-1`).
    pub fn objection_opened(&mut self, site: &str, delta: i32) {
        let e = self.sites.entry(site.to_string()).or_default();
        e.objections_open = e.objections_open.saturating_add_signed(delta);
    }

    /// Replaces one site's plan entry (an accepted correction).
    pub fn set_site_plan(&mut self, plan: PlannedSite) {
        let id = plan.id.clone();
        self.sites.entry(id).or_default().plan = Some(plan);
    }

    /// Takes a person's stage report; the latest one (by the time the stage was reached) is
    /// kept.
    pub fn apply_milestone(&mut self, site: &str, event: StageEvent) {
        let entry = self.sites.entry(site.to_string()).or_default();
        if entry.milestone.is_none_or(|m| event.at >= m.at) {
            entry.milestone = Some(event);
        }
        if event.stage.is_on_air() && entry.on_air_since.is_none_or(|t| event.at < t) {
            entry.on_air_since = Some(event.at);
        }
    }

    /// Takes a stored report; it replaces the latest one only if it is not older (reports may
    /// arrive out of order).
    pub fn apply_status(&mut self, status: Status, received: DateTime<Utc>) {
        // Look up before inserting: the site is almost always known, and the id need not be cloned.
        let entry = match self.sites.get_mut(&status.site) {
            Some(e) => e,
            None => self.sites.entry(status.site.clone()).or_default(),
        };
        if status.stage.is_on_air() && entry.on_air_since.is_none_or(|t| status.ts < t) {
            entry.on_air_since = Some(status.ts);
        }
        let newer = entry
            .latest
            .as_ref()
            .is_none_or(|l| status.ts >= l.status.ts);
        if newer {
            if entry
                .latest
                .as_ref()
                .is_none_or(|l| l.status.stage != status.stage)
            {
                entry.stage_since = Some(status.ts);
            }
            entry.latest = Some(Latest { status, received });
        }
    }

    pub fn apply_info(&mut self, info: Info) {
        let site = info.site.clone();
        self.sites.entry(site).or_default().info = Some(info);
    }

    pub fn get(&self, site: &str) -> Option<&SiteEntry> {
        self.sites.get(site)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &SiteEntry)> {
        self.sites.iter()
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
