//! The backward schedule (倒排工期) of a year: per county (and operator, where tasks name one) the
//! yearly task and the cumulative count of sites expected on air at the end of each month. Pure:
//! the tasks and the year go in. The rules are [`crate::domain::schedule`]'s.

use crate::config::Task;
use crate::domain::calendar::Month;
use crate::domain::schedule::{self, Scope};
use crate::wire::Operator;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    pub month: Month,
    pub expected: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub task: Option<u64>,
    pub expected: Vec<Expected>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorRow {
    #[serde(flatten)]
    pub row: Row,
    pub operator: Operator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountyRow {
    #[serde(flatten)]
    pub row: Row,
    pub county: String,
    pub operators: Vec<OperatorRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub year: i32,
    pub city: Row,
    pub counties: Vec<CountyRow>,
}

pub fn schedule(tasks: &[Task], year: i32) -> Schedule {
    let months: Vec<Month> = (1..=12).filter_map(|m| Month::new(year, m)).collect();
    let row = |scope: Scope<'_>| Row {
        task: schedule::task(tasks, scope, year),
        expected: months
            .iter()
            .map(|m| Expected {
                month: *m,
                expected: schedule::expected(tasks, scope, *m),
            })
            .collect(),
    };
    let mut counties: Vec<&str> = tasks.iter().map(|t| t.county.as_str()).collect();
    counties.sort_unstable();
    counties.dedup();
    let counties = counties
        .iter()
        .map(|c| {
            let mut ops: Vec<Operator> = tasks
                .iter()
                .filter(|t| t.county == *c)
                .filter_map(|t| t.operator)
                .collect();
            ops.sort_unstable();
            ops.dedup();
            CountyRow {
                row: row(Scope::County(c)),
                county: c.to_string(),
                operators: ops
                    .iter()
                    .map(|o| OperatorRow {
                        row: row(Scope::CountyOperator(c, *o)),
                        operator: *o,
                    })
                    .collect(),
            }
        })
        .collect();
    Schedule {
        year,
        city: row(Scope::City),
        counties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_county_without_its_own_task_sums_its_operators_and_months_accumulate() {
        let tasks = vec![
            Task {
                county: "371502".into(),
                operator: Some(Operator::Cmcc),
                year: 2020,
                on_air: 120,
            },
            Task {
                county: "371502".into(),
                operator: Some(Operator::Cucc),
                year: 2020,
                on_air: 60,
            },
            Task {
                county: "371581".into(),
                operator: None,
                year: 2020,
                on_air: 24,
            },
        ];
        let s = schedule(&tasks, 2020);
        assert_eq!(s.city.task, Some(204));
        assert_eq!(s.counties.len(), 2);
        let dcf = &s.counties[0];
        assert_eq!((dcf.county.as_str(), dcf.row.task), ("371502", Some(180)));
        assert_eq!(dcf.operators.len(), 2);
        assert_eq!(dcf.operators[0].row.expected[0].expected, 10);
        assert_eq!(dcf.operators[0].row.expected[11].expected, 120);
        // ceil(24 · 1/12) = 2 in January, 24 in December.
        let lq = &s.counties[1].row.expected;
        assert_eq!((lq[0].expected, lq[11].expected), (2, 24));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["counties"][0]["operators"][1]["operator"], "cucc");
        assert_eq!(json["city"]["expected"][5]["month"], "2020-06");
    }
}
