//! Sites on air at the end of each month (Liaocheng time), from the first month any site came on
//! air (or January of the first target's year) to the month of asking, which holds at the time
//! of asking. Pure. Counts by [`crate::domain::figures`]: the plan's sites on air at each month's
//! instant, so a site off air again leaves the curve, and the figure for a target's last month
//! is the target's figure in [`super::progress`].

use crate::config::{Target, Task};
use crate::domain::calendar::{Month, local_date};
use crate::domain::figures;
use crate::domain::schedule::{self, Scope};
use crate::domain::site::Sites;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

/// Longest curve, in months.
const MONTHS_MAX: usize = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthOnAir {
    pub month: Month,
    pub on_air: u64,
}

/// The month the city reaches a target: when it did, or when it will at the current pace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Projected {
    pub target: String,
    pub month: Option<Month>,
    /// Reached already (not projected).
    pub reached: bool,
    /// By the target's deadline month.
    pub in_time: bool,
}

/// The current pace, and where it leads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// Sites newly on air per month, over the last `over_months` months.
    pub per_month: f64,
    pub over_months: usize,
    pub targets: Vec<Projected>,
}

/// The pace is measured over this many months before the month of asking.
pub const PACE_MONTHS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monthly {
    pub months: Vec<MonthOnAir>,
    pub targets: Vec<Target>,
    /// The city's backward schedule: sites expected on air at the end of each month, from the
    /// curve's first month to the last target's deadline.
    pub schedule: Vec<MonthOnAir>,
    pub projection: Projection,
}

/// When each target is (or will be, at `per_month`) reached, from the curve so far.
fn project(months: &[MonthOnAir], targets: &[Target], per_month: f64) -> Vec<Projected> {
    let last = months.last();
    targets
        .iter()
        .map(|t| {
            let deadline = Month::of(t.deadline);
            let reached = months
                .iter()
                .find(|m| m.on_air >= t.on_air)
                .map(|m| m.month);
            let month = reached.or_else(|| {
                let last = last?;
                if per_month <= 0.0 {
                    return None;
                }
                let n = ((t.on_air - last.on_air) as f64 / per_month).ceil() as usize;
                (n <= MONTHS_MAX).then(|| (0..n).fold(last.month, |m, _| m.next()))
            });
            Projected {
                target: t.name.clone(),
                month,
                reached: reached.is_some(),
                in_time: month.is_some_and(|m| m <= deadline),
            }
        })
        .collect()
}

pub fn monthly(sites: &Sites, targets: &[Target], tasks: &[Task], as_of: DateTime<Utc>) -> Monthly {
    let this = Month::of(local_date(as_of));
    let counted: Vec<_> = sites.values().filter(|s| s.counts()).collect();
    let first_on_air = counted
        .iter()
        .flat_map(|s| s.timeline.events())
        .filter(|e| e.stage.is_on_air())
        .map(|e| Month::of(local_date(e.at)))
        .min();
    let first_target = targets
        .iter()
        .filter_map(|t| Month::new(t.deadline.year(), 1))
        .min();
    let start = first_on_air
        .into_iter()
        .chain(first_target)
        .min()
        .unwrap_or(this)
        .min(this);
    let mut months = Vec::new();
    let mut m = start;
    while m <= this && months.len() < MONTHS_MAX {
        let at = figures::month_instant(m, as_of);
        let on_air = counted
            .iter()
            .filter(|s| figures::on_air_at(&s.timeline, at))
            .count() as u64;
        months.push(MonthOnAir { month: m, on_air });
        m = m.next();
    }
    let end = targets
        .iter()
        .map(|t| Month::of(t.deadline))
        .max()
        .unwrap_or(this)
        .max(this);
    let mut schedule = Vec::new();
    let mut m = start;
    while m <= end && schedule.len() < MONTHS_MAX {
        schedule.push(MonthOnAir {
            month: m,
            on_air: schedule::expected(tasks, Scope::City, m),
        });
        m = m.next();
    }
    let over_months = PACE_MONTHS.min(months.len().saturating_sub(1));
    let per_month = match months.len() {
        0 | 1 => 0.0,
        n => {
            (months[n - 1].on_air as f64 - months[n - 1 - over_months].on_air as f64).max(0.0)
                / over_months as f64
        }
    };
    Monthly {
        projection: Projection {
            per_month,
            over_months,
            targets: project(&months, targets, per_month),
        },
        months,
        targets: targets.to_vec(),
        schedule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_targets;
    use crate::domain::schedule::Target;
    use crate::views::testing::{planned, site};
    use crate::wire::{Operator, Stage};

    #[test]
    fn each_month_counts_the_sites_on_air_at_its_end_in_liaocheng() {
        let p = |id| Some(planned(id, "371502", &[Operator::Cmcc]));
        let sites = Sites::from([
            (
                "A".to_string(),
                site(p("A"), &[("2020-11-05T00:00:00Z", Stage::OnAir)]),
            ),
            // 04:00 on 1 January in Liaocheng.
            (
                "B".to_string(),
                site(p("B"), &[("2020-12-31T20:00:00Z", Stage::OnAir)]),
            ),
            // Off air again in February.
            (
                "C".to_string(),
                site(
                    p("C"),
                    &[
                        ("2020-12-01T00:00:00Z", Stage::OnAir),
                        ("2021-02-10T00:00:00Z", Stage::Installed),
                    ],
                ),
            ),
            (
                "D".to_string(),
                site(None, &[("2020-01-05T00:00:00Z", Stage::OnAir)]),
            ),
        ]);
        let m = monthly(
            &sites,
            &default_targets(),
            &[],
            "2021-03-15T00:00:00Z".parse().unwrap(),
        );
        let of = |s: &str| {
            m.months
                .iter()
                .find(|x| x.month == Month::parse(s).unwrap())
                .map(|x| x.on_air)
        };
        // From January of the first target's year (the unplanned D does not count).
        assert_eq!(m.months[0].month, Month::new(2020, 1).unwrap());
        assert_eq!(of("2020-10"), Some(0));
        assert_eq!(of("2020-11"), Some(1));
        assert_eq!(of("2020-12"), Some(2));
        assert_eq!(of("2021-01"), Some(3));
        assert_eq!(of("2021-02"), Some(2));
        assert_eq!(of("2021-03"), Some(2));
        assert_eq!(m.months.last().unwrap().month, Month::new(2021, 3).unwrap());
    }

    #[test]
    fn the_projection_follows_the_last_three_months_and_the_schedule_the_tasks() {
        let p = |id: &str| Some(planned(id, "371502", &[Operator::Cmcc]));
        // Ten sites come on air in each of January, February and March 2021.
        let mut sites = Sites::new();
        for i in 0..30 {
            let id = format!("S{i:02}");
            let on = format!("2021-{:02}-10T00:00:00Z", 1 + i / 10);
            sites.insert(id.clone(), site(p(&id), &[(on.as_str(), Stage::OnAir)]));
        }
        let target = |name: &str, deadline: &str, on_air| Target {
            name: name.into(),
            deadline: deadline.parse().unwrap(),
            on_air,
            coverage: vec![],
        };
        let targets = [
            target("early", "2021-02-28", 15),
            target("near", "2021-06-30", 50),
            target("far", "2021-04-30", 100),
        ];
        let tasks = [Task {
            county: "371502".into(),
            operator: None,
            year: 2021,
            on_air: 120,
        }];
        let m = monthly(
            &sites,
            &targets,
            &tasks,
            "2021-03-31T12:00:00Z".parse().unwrap(),
        );
        // From January 2021 (the first on air and the first target's year) to March.
        assert_eq!(m.months.len(), 3);
        // (30 − 10) / 2: the curve has two months before March.
        assert_eq!(m.projection.over_months, 2);
        assert_eq!(m.projection.per_month, 10.0);
        let got: Vec<(Option<String>, bool, bool)> = m
            .projection
            .targets
            .iter()
            .map(|p| (p.month.map(|x| x.to_string()), p.reached, p.in_time))
            .collect();
        assert_eq!(
            got,
            [
                (Some("2021-02".into()), true, true),
                // 20 more at 10 a month: May, in time for June.
                (Some("2021-05".into()), false, true),
                // 70 more: October, after April.
                (Some("2021-10".into()), false, false),
            ]
        );
        // The schedule: 120 a year, 10 a month, to the last deadline (June).
        let sched: Vec<u64> = m.schedule.iter().map(|x| x.on_air).collect();
        assert_eq!(sched, [10, 20, 30, 40, 50, 60]);
    }
}
