//! A site: as the plan describes it, as its agent describes itself, its newest report and its
//! stage over time. [`Sites`] is what every view reads.

use super::figures;
use super::timeline::{Source, StageEvent, Timeline};
use crate::wire::{Band, Gps, Info, Operator, SiteKind, Stage, Status};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One site of the plan. The plan is authoritative for a site's description; an agent's `info`
/// only fills in for sites the plan does not list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedSite {
    pub id: String,
    pub name: String,
    /// County or district admin code (6 digits).
    pub county: String,
    pub operators: Vec<Operator>,
    pub tower_owner: String,
    pub kind: SiteKind,
    pub bands: Vec<Band>,
    /// Surveyed position, WGS-84.
    pub position: Gps,
    /// Planned batch (建设批次), free text.
    pub batch: Option<String>,
    /// Plan year; defaults to the year of the planned on-air date.
    pub year: i32,
    /// The deadline: planned on-air date (计划开通日期).
    pub planned_on_air: NaiveDate,
    /// Unit responsible for the site (责任单位).
    pub responsible_unit: String,
}

/// The newest report of a site.
#[derive(Debug, Clone)]
pub struct Latest {
    pub status: Status,
    /// The collector's clock when it arrived; "last seen".
    pub received: DateTime<Utc>,
}

/// What is known of one site.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// The site as the plan lists it; authoritative where present.
    pub plan: Option<PlannedSite>,
    /// The site as its agent describes it.
    pub info: Option<Info>,
    pub latest: Option<Latest>,
    /// Stage transitions seen in telemetry and milestones reported by people.
    pub timeline: Timeline,
    /// Objections to its data awaiting a decision.
    pub objections_open: u32,
}

/// Every known site by id, sorted.
pub type Sites = BTreeMap<String, Site>;

impl Site {
    /// The stage at `t` (see [`Timeline::stage_at`]).
    pub fn stage_at(&self, t: DateTime<Utc>) -> Stage {
        self.timeline.stage_at(t)
    }

    /// Whether the site counts in the figures ([`figures::counts`]).
    pub fn counts(&self) -> bool {
        figures::counts(self.plan.is_some())
    }

    /// Known from its agent only: the plan does not list it.
    pub fn unplanned(&self) -> bool {
        self.plan.is_none()
    }

    /// Takes a stored report: it becomes the newest if it is not older than the newest (reports
    /// may arrive out of order), and a change of stage then is a transition, as the store
    /// records it.
    pub fn apply_status(&mut self, status: Status, received: DateTime<Utc>) {
        let prev = self.latest.as_ref().map(|l| (l.status.ts, l.status.stage));
        if prev.is_none_or(|(ts, _)| status.ts >= ts) {
            if prev.is_none_or(|(_, stage)| stage != status.stage) {
                self.timeline.push(StageEvent {
                    at: status.ts,
                    source: Source::Telemetry,
                    stage: status.stage,
                });
            }
            self.latest = Some(Latest { status, received });
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

    /// Whether anything but the plan knows the site.
    pub fn reported(&self) -> bool {
        self.info.is_some() || self.latest.is_some() || !self.timeline.events().is_empty()
    }
}
