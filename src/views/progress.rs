//! Progress against the targets: sites built (建成) and on air (开通), in total and per county and
//! operator, at a time. Pure: the sites, the targets and a time go in.
//!
//! Sites count by [`crate::domain::figures`]: the plan's sites, each by its stage at the time of
//! asking, and each target by the sites on air when its deadline's day ended in Liaocheng. A
//! site shared by several operators counts once in the totals and once in each of its
//! operators' rows, as the dispatch tables count it. Sites known only from their agents are
//! counted apart, in `unplanned`.

use crate::config::{Target, Task};
use crate::domain::calendar::{Month, days_between, local_date};
use crate::domain::figures;
use crate::domain::schedule::{self, Pace, Scope};
use crate::domain::site::{Site, Sites};
use crate::wire::Operator;
use crate::wire::domain::county_name_zh;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Sites in the plan.
    pub sites: u64,
    /// Sites at stage `installed` or later.
    pub built: u64,
    /// Sites at stage `on_air` or later.
    pub on_air: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetProgress {
    pub name: String,
    pub deadline: chrono::NaiveDate,
    pub target_on_air: u64,
    /// Sites on air when the deadline's day ended (or now, if the deadline is still ahead).
    pub on_air: u64,
    /// `on_air / target_on_air`, 0–1 and beyond.
    pub completion: f64,
    pub remaining: u64,
    pub met: bool,
    pub deadline_passed: bool,
    /// Days from today (Liaocheng) to the deadline; negative once it has passed.
    pub days_left: i64,
}

/// A county's or a carrier's keeping to the backward schedule: sites the schedule expects on air
/// by the end of this month, completion against it and the rank among its peers
/// ([`crate::domain::schedule::completion`], the rule the checklist ranks by).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Against {
    pub expected: u64,
    pub schedule_completion: Option<f64>,
    pub pace: Option<Pace>,
    pub schedule_rank: Option<u32>,
}

impl Against {
    fn new(on_air: u64, expected: u64) -> Against {
        let c = schedule::completion(on_air, expected);
        Against {
            expected,
            schedule_completion: c,
            pace: c.map(Pace::of),
            schedule_rank: None,
        }
    }
}

/// Competition ranking by completion against the schedule, highest first.
fn rank(rows: Vec<&mut Against>) {
    let scores: Vec<f64> = rows.iter().filter_map(|a| a.schedule_completion).collect();
    for a in rows {
        a.schedule_rank = a
            .schedule_completion
            .map(|c| 1 + scores.iter().filter(|s| **s > c).count() as u32);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountyProgress {
    pub county: String,
    pub name: Option<&'static str>,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(flatten)]
    pub schedule: Against,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorProgress {
    pub operator: Operator,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(flatten)]
    pub schedule: Against,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub as_of: DateTime<Utc>,
    pub total: Counts,
    pub targets: Vec<TargetProgress>,
    /// The city against its backward schedule.
    pub schedule: Against,
    pub by_county: Vec<CountyProgress>,
    pub by_operator: BTreeMap<Operator, Counts>,
    /// Each carrier across the city against its schedule.
    pub operators: Vec<OperatorProgress>,
    /// `county → operator → counts`.
    pub by_county_operator: BTreeMap<String, BTreeMap<Operator, Counts>>,
    /// Sites known only from their agents: not in any figure above.
    pub unplanned: Counts,
}

/// Sites whose county is not known yet are grouped here.
pub const UNKNOWN_COUNTY: &str = "unknown";

fn add(c: &mut Counts, built: bool, on_air: bool) {
    c.sites += 1;
    c.built += u64::from(built);
    c.on_air += u64::from(on_air);
}

/// Sites on air, of those that count (and of one carrier, if given), for each target (see
/// [`figures::on_air_by`]).
pub fn on_air_by_target(
    sites: &Sites,
    targets: &[Target],
    as_of: DateTime<Utc>,
    operator: Option<Operator>,
) -> Vec<u64> {
    let counted: Vec<&Site> = sites
        .values()
        .filter(|e| e.counts())
        .filter(|e| operator.is_none_or(|o| e.operators().contains(&o)))
        .collect();
    targets
        .iter()
        .map(|t| {
            counted
                .iter()
                .filter(|e| figures::on_air_by(&e.timeline, t.deadline, as_of))
                .count() as u64
        })
        .collect()
}

pub fn progress(
    sites: &Sites,
    targets: &[Target],
    tasks: &[Task],
    as_of: DateTime<Utc>,
) -> Progress {
    let month = Month::of(local_date(as_of));
    let mut total = Counts::default();
    let mut unplanned = Counts::default();
    let mut by_county: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_operator: BTreeMap<Operator, Counts> = BTreeMap::new();
    let mut by_county_operator: BTreeMap<String, BTreeMap<Operator, Counts>> = BTreeMap::new();
    for e in sites.values() {
        let (built, on_air) = (
            figures::built_at(&e.timeline, as_of),
            figures::on_air_at(&e.timeline, as_of),
        );
        if !e.counts() {
            add(&mut unplanned, built, on_air);
            continue;
        }
        add(&mut total, built, on_air);
        let county = e.county().unwrap_or(UNKNOWN_COUNTY);
        add(
            by_county.entry(county.to_string()).or_default(),
            built,
            on_air,
        );
        for op in e.operators() {
            add(by_operator.entry(*op).or_default(), built, on_air);
            let row = by_county_operator.entry(county.to_string()).or_default();
            add(row.entry(*op).or_default(), built, on_air);
        }
    }
    let targets = targets
        .iter()
        .zip(on_air_by_target(sites, targets, as_of, None))
        .map(|(t, on_air)| TargetProgress {
            name: t.name.clone(),
            deadline: t.deadline,
            target_on_air: t.on_air,
            on_air,
            completion: if t.on_air == 0 {
                1.0
            } else {
                on_air as f64 / t.on_air as f64
            },
            remaining: t.on_air.saturating_sub(on_air),
            met: on_air >= t.on_air,
            deadline_passed: figures::deadline_passed(t.deadline, as_of),
            days_left: days_between(local_date(as_of), t.deadline),
        })
        .collect();
    let mut by_county: Vec<CountyProgress> = by_county
        .into_iter()
        .map(|(county, counts)| CountyProgress {
            name: county_name_zh(&county),
            schedule: Against::new(
                counts.on_air,
                schedule::expected(tasks, Scope::County(&county), month),
            ),
            county,
            counts,
        })
        .collect();
    rank(by_county.iter_mut().map(|c| &mut c.schedule).collect());
    let mut operators: Vec<OperatorProgress> = by_operator
        .iter()
        .map(|(op, counts)| OperatorProgress {
            operator: *op,
            counts: counts.clone(),
            schedule: Against::new(
                counts.on_air,
                schedule::expected(tasks, Scope::Operator(*op), month),
            ),
        })
        .collect();
    rank(operators.iter_mut().map(|o| &mut o.schedule).collect());
    Progress {
        as_of,
        schedule: Against::new(total.on_air, schedule::expected(tasks, Scope::City, month)),
        total,
        targets,
        by_county,
        by_operator,
        operators,
        by_county_operator,
        unplanned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_targets;
    use crate::domain::timeline::{Source, StageEvent, Timeline};
    use crate::views::testing::{planned, site};
    use crate::wire::*;

    #[test]
    fn counts_planned_sites_per_county_and_operator_and_targets_by_deadline() {
        let mut sites = Sites::new();
        // A: shared by cmcc and cucc in 371502, on air in Nov 2020 (counts for the 2020 target).
        sites.insert(
            "A".into(),
            site(
                Some(planned("A", "371502", &[Operator::Cmcc, Operator::Cucc])),
                &[("2020-11-05T00:00:00Z", Stage::OnAir)],
            ),
        );
        // B: cmcc in 371502, installed (built, not on air).
        sites.insert(
            "B".into(),
            site(
                Some(planned("B", "371502", &[Operator::Cmcc])),
                &[("2021-01-05T00:00:00Z", Stage::Installed)],
            ),
        );
        // C: ctcc in 371581, on air at 20:00 UTC on 31 Dec 2020: 1 January in Liaocheng.
        sites.insert(
            "C".into(),
            site(
                Some(planned("C", "371581", &[Operator::Ctcc])),
                &[("2020-12-31T20:00:00Z", Stage::Accepted)],
            ),
        );
        // D: on air in 2020, off air again before the deadline.
        sites.insert(
            "D".into(),
            site(
                Some(planned("D", "371581", &[Operator::Ctcc])),
                &[
                    ("2020-10-01T00:00:00Z", Stage::OnAir),
                    ("2020-12-01T00:00:00Z", Stage::Powered),
                ],
            ),
        );
        // E: known from its agent only, on air: counted apart.
        sites.insert(
            "E".into(),
            site(None, &[("2020-06-01T00:00:00Z", Stage::OnAir)]),
        );

        let p = progress(
            &sites,
            &default_targets(),
            &[],
            "2021-06-01T00:00:00Z".parse().unwrap(),
        );
        let c = |sites, built, on_air| Counts {
            sites,
            built,
            on_air,
        };
        assert_eq!(p.total, c(4, 3, 2));
        assert_eq!(p.unplanned, c(1, 1, 1));
        let county = |k: &str| {
            p.by_county
                .iter()
                .find(|x| x.county == k)
                .unwrap()
                .counts
                .clone()
        };
        assert_eq!(county("371502"), c(2, 2, 1));
        assert_eq!(county("371581"), c(2, 1, 1));
        assert_eq!(p.by_operator[&Operator::Cmcc], c(2, 2, 1));
        assert_eq!(p.by_operator[&Operator::Cucc], c(1, 1, 1));
        assert_eq!(p.by_county_operator["371502"][&Operator::Cmcc], c(2, 2, 1));
        // 2020 deadline passed: only A was on air when 31 December ended in Liaocheng.
        let t = &p.targets[0];
        assert_eq!((t.on_air, t.remaining, t.deadline_passed), (1, 1499, true));
        // 2023 still ahead on 2021-06-01: the sites on air now.
        assert_eq!(
            (p.targets[1].on_air, p.targets[1].deadline_passed),
            (2, false)
        );
    }

    #[test]
    fn a_person_and_the_agent_disagreeing_the_later_report_holds() {
        let mut s = site(
            Some(planned("A", "371502", &[Operator::Cmcc])),
            &[("2020-09-01T00:00:00Z", Stage::OnAir)],
        );
        // A person says the site is only installed, a week after the agent said on air.
        s.timeline = Timeline::new(
            s.timeline
                .events()
                .iter()
                .copied()
                .chain([StageEvent {
                    at: "2020-09-08T00:00:00Z".parse().unwrap(),
                    source: Source::Milestone,
                    stage: Stage::Installed,
                }])
                .collect(),
        );
        let sites = Sites::from([("A".to_string(), s)]);
        let at = |t: &str| progress(&sites, &[], &[], t.parse().unwrap()).total;
        assert_eq!(at("2020-09-05T00:00:00Z").on_air, 1);
        assert_eq!(at("2020-09-09T00:00:00Z").on_air, 0);
        assert_eq!(at("2020-09-09T00:00:00Z").built, 1);
    }

    #[test]
    fn counties_and_carriers_are_ranked_by_completion_against_the_schedule() {
        let task = |county: &str, operator, on_air| Task {
            county: county.into(),
            operator,
            year: 2021,
            on_air,
        };
        // By the end of June 2021 the schedule expects half of each yearly task.
        let tasks = [
            task("371502", None, 12),
            task("371581", None, 24),
            task("371521", None, 24),
            task("371502", Some(Operator::Cucc), 8),
        ];
        let mut sites = Sites::new();
        for (county, n) in [("371502", 6), ("371581", 11), ("371521", 10)] {
            for i in 0..n {
                let id = format!("{county}-{i}");
                sites.insert(
                    id.clone(),
                    site(
                        Some(planned(&id, county, &[Operator::Cucc])),
                        &[("2021-03-01T00:00:00Z", Stage::OnAir)],
                    ),
                );
            }
        }
        let p = progress(&sites, &[], &tasks, "2021-06-20T00:00:00Z".parse().unwrap());
        let row = |c: &str| {
            p.by_county
                .iter()
                .find(|r| r.county == c)
                .unwrap()
                .schedule
                .clone()
        };
        assert_eq!(
            row("371502"),
            Against {
                expected: 6,
                schedule_completion: Some(1.0),
                pace: Some(Pace::OnTrack),
                schedule_rank: Some(1),
            }
        );
        let linqing = row("371581");
        assert_eq!(
            (linqing.expected, linqing.pace, linqing.schedule_rank),
            (12, Some(Pace::Behind), Some(2))
        );
        let yanggu = row("371521");
        assert_eq!(
            (yanggu.expected, yanggu.pace, yanggu.schedule_rank),
            (12, Some(Pace::FarBehind), Some(3))
        );
        // The city: 27 of 6 + 12 + 12.
        assert_eq!(p.schedule.expected, 30);
        assert_eq!(p.schedule.schedule_completion, Some(0.9));
        // China Unicom across the city: its one task (8 a year, 4 by June) against its 27 sites.
        assert_eq!(p.operators.len(), 1);
        assert_eq!(p.operators[0].schedule.expected, 4);
        assert_eq!(
            p.operators[0].schedule.schedule_completion,
            Some(27.0 / 4.0)
        );
        assert_eq!(p.operators[0].schedule.schedule_rank, Some(1));
    }
}
