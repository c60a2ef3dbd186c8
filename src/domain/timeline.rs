//! A site's stage over time, from two sources: transitions seen in its agent's telemetry and
//! milestones reported by people. The stage at any instant is the one set by the latest event at
//! or before it; at the same instant a person's report wins over telemetry. A person can so set a
//! stage the agent cannot see (a tower built before any equipment is there) or correct one, and
//! the next transition the agent reports takes over again.

use crate::wire::Stage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Telemetry,
    Milestone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageEvent {
    pub at: DateTime<Utc>,
    pub source: Source,
    pub stage: Stage,
}

/// Events of one site, sorted by time (then source).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    events: Vec<StageEvent>,
}

impl Timeline {
    pub fn new(mut events: Vec<StageEvent>) -> Timeline {
        events.sort_by_key(|e| (e.at, e.source));
        Timeline { events }
    }

    /// Adds an event, keeping the order.
    pub fn push(&mut self, e: StageEvent) {
        let at = self
            .events
            .partition_point(|x| (x.at, x.source) <= (e.at, e.source));
        self.events.insert(at, e);
    }

    pub fn events(&self) -> &[StageEvent] {
        &self.events
    }

    /// The stage at `t`; `planned` before any event.
    pub fn stage_at(&self, t: DateTime<Utc>) -> Stage {
        let n = self.events.partition_point(|e| e.at <= t);
        n.checked_sub(1)
            .map_or(Stage::Planned, |i| self.events[i].stage)
    }

    /// The stage after every event.
    pub fn current(&self) -> Stage {
        self.events.last().map_or(Stage::Planned, |e| e.stage)
    }

    /// When the site last came on air, if it is on air at `t`: the start of the run of on-air
    /// stages that holds at `t`.
    pub fn on_air_since(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let n = self.events.partition_point(|e| e.at <= t);
        let mut since = None;
        for e in self.events[..n].iter().rev() {
            if e.stage.is_on_air() {
                since = Some(e.at);
            } else {
                break;
            }
        }
        since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: &str, source: Source, stage: Stage) -> StageEvent {
        StageEvent {
            at: at.parse().unwrap(),
            source,
            stage,
        }
    }

    #[test]
    fn latest_event_wins_and_people_win_ties() {
        let t = Timeline::new(vec![
            ev("2020-09-10T00:00:00Z", Source::Telemetry, Stage::OnAir),
            ev("2020-09-01T00:00:00Z", Source::Milestone, Stage::Built),
            ev("2020-09-10T00:00:00Z", Source::Milestone, Stage::Installed),
            ev("2020-09-20T00:00:00Z", Source::Telemetry, Stage::OnAir),
            ev("2020-09-25T00:00:00Z", Source::Telemetry, Stage::Accepted),
        ]);
        let at = |s: &str| t.stage_at(s.parse().unwrap());
        assert_eq!(at("2020-08-31T00:00:00Z"), Stage::Planned);
        assert_eq!(at("2020-09-05T00:00:00Z"), Stage::Built);
        assert_eq!(at("2020-09-10T00:00:00Z"), Stage::Installed);
        assert_eq!(at("2020-09-21T00:00:00Z"), Stage::OnAir);
        assert_eq!(t.current(), Stage::Accepted);
        assert_eq!(
            t.on_air_since("2020-09-30T00:00:00Z".parse().unwrap()),
            Some("2020-09-20T00:00:00Z".parse().unwrap())
        );
        assert_eq!(
            t.on_air_since("2020-09-15T00:00:00Z".parse().unwrap()),
            None
        );
    }
}
