//! The latest state of every site, in memory: what its agent last reported, when, and what it
//! says about itself. Rebuilt from the store at start; updated by the ingest pipeline after each
//! commit, so it never shows data that is not durable.
//!
//! - [`alarms`] — alarms derived from the latest report and the clock.

pub mod alarms;

use crate::store::sqlite::Snapshot;
use crate::wire::{Info, Stage, Status};
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
    pub info: Option<Info>,
    pub latest: Option<Latest>,
    /// Agent timestamp of the first report that showed the site on air.
    pub on_air_since: Option<DateTime<Utc>>,
}

impl SiteEntry {
    /// Stage from the latest report; a site known only from its info is `planned`.
    pub fn stage(&self) -> Stage {
        self.latest
            .as_ref()
            .map_or(Stage::Planned, |l| l.status.stage)
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
        r
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
