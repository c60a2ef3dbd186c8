//! Progress against the targets: sites built (建成) and on air (开通), in total and per county and
//! operator. Pure: takes the registry, the targets and a date.
//!
//! A site shared by several operators counts once in the totals and once in each of its
//! operators' rows, as the dispatch tables count it.

use crate::config::Target;
use crate::state::Registry;
use crate::wire::Operator;
use crate::wire::domain::county_name_zh;
use chrono::{DateTime, NaiveTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Sites known (from the plan, agents' info or telemetry).
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
    /// Sites on air by the deadline (or now, if the deadline is still ahead).
    pub on_air: u64,
    /// `on_air / target_on_air`, 0–1 and beyond.
    pub completion: f64,
    pub remaining: u64,
    pub met: bool,
    pub deadline_passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountyProgress {
    pub county: String,
    pub name: Option<&'static str>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub as_of: DateTime<Utc>,
    pub total: Counts,
    pub targets: Vec<TargetProgress>,
    pub by_county: Vec<CountyProgress>,
    pub by_operator: BTreeMap<Operator, Counts>,
    /// `county → operator → counts`.
    pub by_county_operator: BTreeMap<String, BTreeMap<Operator, Counts>>,
}

/// Sites whose county is not known yet are grouped here.
pub const UNKNOWN_COUNTY: &str = "unknown";

fn add(c: &mut Counts, built: bool, on_air: bool) {
    c.sites += 1;
    c.built += u64::from(built);
    c.on_air += u64::from(on_air);
}

pub fn progress(reg: &Registry, targets: &[Target], now: DateTime<Utc>) -> Progress {
    let mut total = Counts::default();
    let mut by_county: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_operator: BTreeMap<Operator, Counts> = BTreeMap::new();
    let mut by_county_operator: BTreeMap<String, BTreeMap<Operator, Counts>> = BTreeMap::new();
    let mut on_air_dates = Vec::new();
    for (_, e) in reg.iter() {
        let stage = e.stage();
        let (built, on_air) = (stage.is_built(), stage.is_on_air());
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
        if on_air && let Some(t) = e.on_air_since {
            on_air_dates.push(t);
        }
    }
    let targets = targets
        .iter()
        .map(|t| {
            let end = t
                .deadline
                .and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"))
                .and_utc();
            let deadline_passed = now > end;
            let on_air = if deadline_passed {
                on_air_dates.iter().filter(|d| **d <= end).count() as u64
            } else {
                total.on_air
            };
            TargetProgress {
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
                deadline_passed,
            }
        })
        .collect();
    Progress {
        as_of: now,
        total,
        targets,
        by_county: by_county
            .into_iter()
            .map(|(county, counts)| CountyProgress {
                name: county_name_zh(&county),
                county,
                counts,
            })
            .collect(),
        by_operator,
        by_county_operator,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_targets;
    use crate::wire::*;

    fn info(site: &str, county: &str, ops: &[Operator]) -> Info {
        Info {
            schema: INFO_SCHEMA.into(),
            site: site.into(),
            name: site.into(),
            county: county.into(),
            operators: ops.to_vec(),
            tower_owner: "china_tower".into(),
            kind: SiteKind::Macro,
            bands: vec![Band::N78],
            position: Gps {
                lat: 36.4,
                lon: 116.0,
            },
        }
    }

    fn status(site: &str, stage: Stage, ts: &str) -> Status {
        crate::wire::status::fixtures::status(site, stage, ts.parse().unwrap())
    }

    #[test]
    fn counts_sites_per_county_and_operator_and_targets_by_deadline() {
        let mut r = Registry::default();
        // A: shared by cmcc and cucc in 371502, on air in Nov 2020 (counts for the 2020 target).
        r.apply_info(info("A", "371502", &[Operator::Cmcc, Operator::Cucc]));
        r.apply_status(
            status("A", Stage::OnAir, "2020-11-05T00:00:00Z"),
            Utc::now(),
        );
        // B: cmcc in 371502, installed (built, not on air).
        r.apply_info(info("B", "371502", &[Operator::Cmcc]));
        r.apply_status(
            status("B", Stage::Installed, "2021-01-05T00:00:00Z"),
            Utc::now(),
        );
        // C: ctcc in 371581, on air only in 2021 (too late for 2020).
        r.apply_info(info("C", "371581", &[Operator::Ctcc]));
        r.apply_status(
            status("C", Stage::Accepted, "2021-03-01T00:00:00Z"),
            Utc::now(),
        );
        // D: telemetry only, county unknown, planned.
        r.apply_status(
            status("D", Stage::Planned, "2021-03-01T00:00:00Z"),
            Utc::now(),
        );

        let p = progress(
            &r,
            &default_targets(),
            "2021-06-01T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(
            p.total,
            Counts {
                sites: 4,
                built: 3,
                on_air: 2
            }
        );
        let county = |c: &str| {
            p.by_county
                .iter()
                .find(|x| x.county == c)
                .unwrap()
                .counts
                .clone()
        };
        assert_eq!(
            county("371502"),
            Counts {
                sites: 2,
                built: 2,
                on_air: 1
            }
        );
        assert_eq!(
            county("371581"),
            Counts {
                sites: 1,
                built: 1,
                on_air: 1
            }
        );
        assert_eq!(
            county(UNKNOWN_COUNTY),
            Counts {
                sites: 1,
                built: 0,
                on_air: 0
            }
        );
        assert_eq!(
            p.by_operator[&Operator::Cmcc],
            Counts {
                sites: 2,
                built: 2,
                on_air: 1
            }
        );
        assert_eq!(
            p.by_operator[&Operator::Cucc],
            Counts {
                sites: 1,
                built: 1,
                on_air: 1
            }
        );
        assert_eq!(
            p.by_county_operator["371502"][&Operator::Cmcc],
            Counts {
                sites: 2,
                built: 2,
                on_air: 1
            }
        );
        // 2020 deadline passed: only A was on air by then.
        assert_eq!(
            (
                p.targets[0].on_air,
                p.targets[0].remaining,
                p.targets[0].deadline_passed
            ),
            (1, 1499, true)
        );
        // 2023 still ahead on 2021-06-01: everything on air now.
        assert_eq!(
            (p.targets[1].on_air, p.targets[1].deadline_passed),
            (2, false)
        );
    }
}
