//! The backward schedule (倒排工期): from each county's yearly tasks, the cumulative count of
//! on-air sites expected at the end of every month; and, per site, whether it is on track for
//! its planned on-air date. Pure.

use super::calendar::{Month, days_between};
use crate::wire::{Operator, Stage};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A county's yearly task (年度任务): sites to bring on air in `year`. With an operator, the
/// task of that carrier in the county; without, the county's own (counting a shared site once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub county: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
    pub year: i32,
    pub on_air: u64,
}

/// A milestone of the plan: at least `on_air` sites switched on by `deadline`, and every area
/// of the `coverage` classes continuously covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub deadline: NaiveDate,
    pub on_air: u64,
    #[serde(default)]
    pub coverage: Vec<super::area::AreaClass>,
}

/// Which tasks a row of the dispatch table is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// The whole city: the sum of every county's task.
    City,
    /// One county (a shared site counts once).
    County(&'a str),
    /// One carrier in one county.
    CountyOperator(&'a str, Operator),
    /// One carrier across the city: the sum of its tasks in every county.
    Operator(Operator),
}

/// The task of `scope` for `year`, if one is configured. A county without a task of its own
/// takes the sum of its operators' tasks.
pub fn task(tasks: &[Task], scope: Scope<'_>, year: i32) -> Option<u64> {
    match scope {
        Scope::CountyOperator(c, op) => tasks
            .iter()
            .find(|t| t.year == year && t.county == c && t.operator == Some(op))
            .map(|t| t.on_air),
        Scope::County(c) => tasks
            .iter()
            .find(|t| t.year == year && t.county == c && t.operator.is_none())
            .map(|t| t.on_air)
            .or_else(|| {
                let ops: Vec<u64> = tasks
                    .iter()
                    .filter(|t| t.year == year && t.county == c && t.operator.is_some())
                    .map(|t| t.on_air)
                    .collect();
                (!ops.is_empty()).then(|| ops.iter().sum())
            }),
        Scope::Operator(op) => {
            let ops: Vec<u64> = tasks
                .iter()
                .filter(|t| t.year == year && t.operator == Some(op))
                .map(|t| t.on_air)
                .collect();
            (!ops.is_empty()).then(|| ops.iter().sum())
        }
        Scope::City => {
            let mut counties: Vec<&str> = tasks
                .iter()
                .filter(|t| t.year == year)
                .map(|t| t.county.as_str())
                .collect();
            counties.sort_unstable();
            counties.dedup();
            (!counties.is_empty()).then(|| {
                counties
                    .iter()
                    .filter_map(|c| task(tasks, Scope::County(c), year))
                    .sum()
            })
        }
    }
}

/// Sites expected on air, cumulatively, at the end of `month`: every earlier year's task in
/// full, and this year's spread evenly over its months, rounded up.
pub fn expected(tasks: &[Task], scope: Scope<'_>, month: Month) -> u64 {
    let mut years: Vec<i32> = tasks
        .iter()
        .map(|t| t.year)
        .filter(|y| *y < month.year)
        .collect();
    years.sort_unstable();
    years.dedup();
    let before: u64 = years.iter().filter_map(|y| task(tasks, scope, *y)).sum();
    let this = task(tasks, scope, month.year).unwrap_or(0);
    before + (this * u64::from(month.month)).div_ceil(12)
}

/// Completion against the backward schedule (倒排进度完成率): sites on air over those the
/// schedule expects by now; none while the schedule expects none.
pub fn completion(on_air: u64, expected: u64) -> Option<f64> {
    (expected > 0).then(|| on_air as f64 / expected as f64)
}

/// How a county or a carrier keeps to the backward schedule, as the map shades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// At or ahead of the schedule.
    OnTrack,
    /// Behind by less than [`FAR_BEHIND`] of what the schedule expects.
    Behind,
    FarBehind,
}

/// Below this completion against the schedule, a county is far behind (落后较多).
pub const FAR_BEHIND: f64 = 0.9;

impl Pace {
    pub fn of(completion: f64) -> Pace {
        if completion >= 1.0 {
            Pace::OnTrack
        } else if completion >= FAR_BEHIND {
            Pace::Behind
        } else {
            Pace::FarBehind
        }
    }
}

/// Where a site stands against its planned on-air date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// On air (or accepted).
    OnAir,
    OnTrack,
    /// Due soon and not yet installed, or held up by an open obstacle.
    AtRisk,
    /// Not on air after its planned date.
    Overdue,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::OnAir => "on_air",
            Standing::OnTrack => "on_track",
            Standing::AtRisk => "at_risk",
            Standing::Overdue => "overdue",
        }
    }
}

/// The standing of a site on `day` (its end), and the days it is overdue.
pub fn standing(
    planned_on_air: NaiveDate,
    stage: Stage,
    open_obstacle: bool,
    day: NaiveDate,
    at_risk_days: i64,
) -> (Standing, i64) {
    if stage.is_on_air() {
        return (Standing::OnAir, 0);
    }
    let left = days_between(day, planned_on_air);
    if left < 0 {
        (Standing::Overdue, -left)
    } else if open_obstacle || (left <= at_risk_days && stage < Stage::Installed) {
        (Standing::AtRisk, 0)
    } else {
        (Standing::OnTrack, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(county: &str, op: Option<Operator>, year: i32, on_air: u64) -> Task {
        Task {
            county: county.into(),
            operator: op,
            year,
            on_air,
        }
    }

    #[test]
    fn expected_spreads_each_year_and_carries_earlier_years() {
        let tasks = vec![
            t("371502", Some(Operator::Cmcc), 2020, 120),
            t("371502", Some(Operator::Cucc), 2020, 50),
            t("371502", Some(Operator::Cmcc), 2021, 240),
            t("371503", None, 2020, 100),
        ];
        let m = |s: &str| Month::parse(s).unwrap();
        let cmcc = Scope::CountyOperator("371502", Operator::Cmcc);
        assert_eq!(expected(&tasks, cmcc, m("2020-01")), 10);
        assert_eq!(expected(&tasks, cmcc, m("2020-12")), 120);
        assert_eq!(expected(&tasks, cmcc, m("2021-03")), 180);
        // 50 × 7 / 12 = 29.17 → 30.
        let cucc = Scope::CountyOperator("371502", Operator::Cucc);
        assert_eq!(expected(&tasks, cucc, m("2020-07")), 30);
        // A county without its own task sums its operators'.
        assert_eq!(task(&tasks, Scope::County("371502"), 2020), Some(170));
        assert_eq!(task(&tasks, Scope::City, 2020), Some(270));
        assert_eq!(task(&tasks, Scope::City, 2021), Some(240));
        assert_eq!(task(&tasks, Scope::County("371581"), 2020), None);
    }

    #[test]
    fn standing_by_date_stage_and_obstacles() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let due = d("2020-09-30");
        assert_eq!(
            standing(due, Stage::OnAir, true, d("2020-12-01"), 30),
            (Standing::OnAir, 0)
        );
        assert_eq!(
            standing(due, Stage::Installed, false, d("2020-10-05"), 30),
            (Standing::Overdue, 5)
        );
        assert_eq!(
            standing(due, Stage::Built, false, d("2020-09-10"), 30),
            (Standing::AtRisk, 0)
        );
        assert_eq!(
            standing(due, Stage::Installed, false, d("2020-09-10"), 30),
            (Standing::OnTrack, 0)
        );
        assert_eq!(
            standing(due, Stage::Installed, true, d("2020-01-10"), 30),
            (Standing::AtRisk, 0)
        );
        assert_eq!(
            standing(due, Stage::Planned, false, d("2020-08-01"), 30),
            (Standing::OnTrack, 0)
        );
    }
}
