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
    pub plan: Option<Box<PlannedSite>>,
    /// The site as its agent describes it.
    pub info: Option<Box<Info>>,
    pub latest: Option<Box<Latest>>,
    /// Stage transitions seen in telemetry and milestones reported by people.
    pub timeline: Timeline,
    /// Objections to its data awaiting a decision.
    pub objections_open: u32,
}

/// Whether a report received at `received`, from an agent reporting every `interval_s`
/// seconds, is older at `now` than `intervals` report intervals: the agent is offline.
pub fn offline(
    interval_s: u32,
    received: DateTime<Utc>,
    now: DateTime<Utc>,
    intervals: u32,
) -> bool {
    now - received > chrono::Duration::seconds(i64::from(interval_s) * i64::from(intervals))
}

/// Every known site by id, sorted.
pub type Sites = BTreeMap<String, Site>;

impl Site {
    /// The stage at `t` (see [`Timeline::stage_at`]).
    pub fn stage_at(&self, t: DateTime<Utc>) -> Stage {
        self.timeline.stage_at(t)
    }

    /// Whether the site radiates at `now`: on air, and — when `offline_intervals` is given — its
    /// agent not offline and a cell active in its latest report. A site no agent reports for
    /// radiates by its stage alone: there is nobody to say otherwise.
    pub fn radiates(&self, now: DateTime<Utc>, offline_intervals: Option<u32>) -> bool {
        if !figures::on_air_at(&self.timeline, now) {
            return false;
        }
        match (offline_intervals, &self.latest) {
            (Some(n), Some(l)) => {
                !offline(l.status.interval_s, l.received, now, n)
                    && l.status
                        .cells
                        .iter()
                        .any(|c| c.state == crate::wire::CellState::Active)
            }
            _ => true,
        }
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
            // In place: a report a site, and no allocation for it.
            match &mut self.latest {
                Some(l) => **l = Latest { status, received },
                None => self.latest = Some(Box::new(Latest { status, received })),
            }
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

    /// The bands the site uses: every band the plan lists, the agent describes, or the agent's
    /// latest report shows a cell on, sorted. Empty means not known (never a default band).
    pub fn bands(&self) -> Vec<Band> {
        let mut bands: Vec<Band> = self
            .plan
            .iter()
            .flat_map(|p| p.bands.iter().copied())
            .chain(self.info.iter().flat_map(|i| i.bands.iter().copied()))
            .chain(
                self.latest
                    .iter()
                    .flat_map(|l| l.status.cells.iter().map(|c| c.band)),
            )
            .collect();
        bands.sort_unstable();
        bands.dedup();
        bands
    }

    /// Whether anything but the plan knows the site.
    pub fn reported(&self) -> bool {
        self.info.is_some() || self.latest.is_some() || !self.timeline.events().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::status::fixtures;
    use crate::wire::{CellState, Gps};

    fn planned(bands: &[Band]) -> PlannedSite {
        PlannedSite {
            id: "S".into(),
            name: "站".into(),
            county: "371502".into(),
            operators: vec![Operator::Cmcc],
            tower_owner: "china_tower".into(),
            kind: SiteKind::Macro,
            bands: bands.to_vec(),
            position: Gps {
                lat: 36.45,
                lon: 115.98,
            },
            batch: None,
            year: 2020,
            planned_on_air: "2020-12-31".parse().unwrap(),
            responsible_unit: "单位".into(),
        }
    }

    fn info(bands: &[Band]) -> Info {
        serde_json::from_value(serde_json::json!({
            "schema": "sitepulse.info/1", "site": "S", "name": "站", "county": "371502",
            "operators": ["cmcc"], "tower_owner": "china_tower", "kind": "macro",
            "bands": bands, "position": {"lat": 36.45, "lon": 115.98}
        }))
        .unwrap()
    }

    /// The bands a site uses come from the plan, the agent's info and the cells it reports,
    /// together; none known is empty, never a default.
    #[test]
    fn bands_are_the_union_of_plan_info_and_reported_cells() {
        let t: DateTime<Utc> = "2020-10-01T00:00:00Z".parse().unwrap();
        let mut s = Site::default();
        assert!(s.bands().is_empty());
        s.plan = Some(Box::new(planned(&[])));
        assert!(
            s.bands().is_empty(),
            "a plan row without bands says nothing"
        );
        s.plan = Some(Box::new(planned(&[Band::N41])));
        assert_eq!(s.bands(), [Band::N41]);
        s.info = Some(Box::new(info(&[Band::N28])));
        assert_eq!(s.bands(), [Band::N41, Band::N28]);
        let mut report = fixtures::status("S", Stage::OnAir, t);
        report.cells[0].band = Band::N78;
        s.apply_status(report, t);
        assert_eq!(s.bands(), [Band::N78, Band::N41, Band::N28]);
        // Each source alone.
        let only_cells = Site {
            latest: s.latest.clone(),
            ..Site::default()
        };
        assert_eq!(only_cells.bands(), [Band::N78]);
        let only_info = Site {
            info: Some(Box::new(info(&[Band::N1]))),
            ..Site::default()
        };
        assert_eq!(only_info.bands(), [Band::N1]);
    }

    /// On air is not enough to cover: a cell must be active and the agent not offline; a site no
    /// agent reports for covers by its stage.
    #[test]
    fn a_site_radiates_when_on_air_with_a_cell_active_and_its_agent_heard() {
        let t: DateTime<Utc> = "2020-10-01T00:00:00Z".parse().unwrap();
        let minute = chrono::Duration::minutes(1);
        let mut s = Site::default();
        s.apply_status(fixtures::status("S", Stage::OnAir, t), t);
        assert!(s.radiates(t + minute, Some(3)));
        // Three missed 60 s intervals: offline, covers nothing (unless counting by stage).
        assert!(!s.radiates(t + minute * 4, Some(3)));
        assert!(s.radiates(t + minute * 4, None));
        // Every cell faulty.
        let mut faulty = fixtures::status("S", Stage::OnAir, t + minute);
        faulty.seq = 1;
        faulty.cells[0].state = CellState::Faulty;
        s.apply_status(faulty, t + minute);
        assert!(!s.radiates(t + minute * 2, Some(3)));
        // Not on air: never.
        let mut installed = Site::default();
        installed.apply_status(fixtures::status("S", Stage::Installed, t), t);
        assert!(!installed.radiates(t, None));
        // On air by a person's report, no agent: by its stage.
        let mut reported = Site::default();
        reported.timeline.push(StageEvent {
            at: t,
            source: Source::Milestone,
            stage: Stage::OnAir,
        });
        assert!(reported.radiates(t + minute * 100, Some(3)));
    }
}
