//! Views: pure functions from the sites (as [`crate::domain::site::Sites`] holds them) and a time
//! to what the meeting and the map read. No view reads the store or the clock; each counts by
//! the rules of [`crate::domain::figures`], so the figures they share agree by construction.
//! The checklist ([`crate::checklist::build`]) and coverage ([`crate::coverage::report`]) are
//! views too, in modules of their own.
//!
//! - [`progress`] — sites built and on air, per county and operator, and each target.
//! - [`monthly`] — sites on air at the end of each month, with the targets.
//! - [`schedule`] — each planned site's standing against its planned on-air date.
//! - [`pilots`] — 5G+ application pilots per field, department and county on a day.
//! - [`replay`] — the rollout at the end of a past month (the map's time slider).

pub mod monthly;
pub mod pilots;
pub mod progress;
pub mod replay;
pub mod schedule;

/// Sites for the views' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::domain::site::{PlannedSite, Site};
    use crate::domain::timeline::{Source, StageEvent, Timeline};
    use crate::wire::{Band, Gps, Operator, SiteKind, Stage};

    pub fn planned(id: &str, county: &str, operators: &[Operator]) -> PlannedSite {
        PlannedSite {
            id: id.into(),
            name: format!("站点{id}"),
            county: county.into(),
            operators: operators.to_vec(),
            tower_owner: "china_tower".into(),
            kind: SiteKind::Macro,
            bands: vec![Band::N78],
            position: Gps {
                lat: 36.45,
                lon: 115.98,
            },
            batch: None,
            year: 2020,
            planned_on_air: "2020-12-31".parse().expect("date"),
            responsible_unit: "移动聊城分公司".into(),
        }
    }

    /// A site with telemetry transitions at the given times.
    pub fn site(plan: Option<PlannedSite>, stages: &[(&str, Stage)]) -> Site {
        Site {
            plan: plan.map(Box::new),
            timeline: Timeline::new(
                stages
                    .iter()
                    .map(|(at, stage)| StageEvent {
                        at: at.parse().expect("time"),
                        source: Source::Telemetry,
                        stage: *stage,
                    })
                    .collect(),
            ),
            ..Site::default()
        }
    }
}
