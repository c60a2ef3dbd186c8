//! The rollout at the end of a past month, as the map's time slider shows it: each site's
//! stage then, progress then, and the areas' coverage then. Pure: the sites, the targets and
//! tasks, the month and the time of asking go in; coverage at that instant comes from
//! [`crate::coverage::report`] through the rollout service.

use super::progress::{self, Progress};
use crate::config::{Target, Task};
use crate::domain::calendar::Month;
use crate::domain::figures;
use crate::domain::site::Sites;
use crate::wire::Stage;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One area's coverage at the month's end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaThen {
    pub name: String,
    pub county: String,
    pub covered_share: f64,
    pub continuous: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub month: Month,
    /// The month's end, or the time of asking for the month under way.
    pub at: DateTime<Utc>,
    /// Every site with a position, in the order of their ids (as `/api/v1/sites.geojson` lists
    /// them): one character each, the index of its stage then in [`Stage::ALL`] (`0` planned …
    /// `6` accepted), or `-` for a site not known then (heard from later, and not in the plan).
    /// Compact, so that a slider step stays quick at 100,000 sites.
    pub stages: String,
    /// How many characters of `stages` are not `-`.
    pub known: usize,
    pub progress: Progress,
    pub areas: Vec<AreaThen>,
}

/// The stage at `at` of every site with a position, in id order (see [`Replay::stages`]).
pub fn stages_at(sites: &Sites, at: DateTime<Utc>) -> String {
    sites
        .values()
        .filter(|e| e.position().is_some())
        .map(|e| {
            let known = e.counts() || e.timeline.events().first().is_some_and(|ev| ev.at <= at);
            if known {
                let st = e.stage_at(at);
                let i = Stage::ALL.iter().position(|s| *s == st).unwrap_or(0);
                char::from(b'0' + i as u8)
            } else {
                '-'
            }
        })
        .collect()
}

/// The rollout at the end of `month` (asked at `as_of`), with the areas' coverage at that time.
pub fn replay(
    sites: &Sites,
    targets: &[Target],
    tasks: &[Task],
    month: Month,
    as_of: DateTime<Utc>,
    areas: Vec<AreaThen>,
) -> Replay {
    let at = figures::month_instant(month, as_of);
    let stages = stages_at(sites, at);
    Replay {
        month,
        at,
        known: stages.bytes().filter(|b| *b != b'-').count(),
        stages,
        progress: progress::progress(sites, targets, tasks, at),
        areas,
    }
}
