//! The latest state of every site, in memory: what its agent last reported, when, what it says
//! about itself, what the plan says, and its stage over time ([`crate::domain::site::Site`]). Rebuilt from the store at start; updated by the ingest pipeline after each
//! commit, so it never shows data that is not durable.
//!
//! - [`alarms`] — alarms derived from the latest report and the clock.

pub mod alarms;

use crate::domain::site::{Latest, PlannedSite, Site, Sites};
use crate::domain::timeline::{StageEvent, Timeline};
use crate::store::sqlite::Snapshot;
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
            r.sites.entry(site).or_default().latest = Some(Latest { status, received });
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
        self.sites.entry(id).or_default().plan = Some(plan);
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
        self.sites.entry(site).or_default().info = Some(info);
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
