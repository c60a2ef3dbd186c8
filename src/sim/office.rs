//! The people of the simulated city: the plan the IT bureau issues for it, the counties' yearly
//! tasks, and what field engineers report as the sites progress — milestones (some from too far
//! away), obstacles opened before late sites and resolved before they come on air.
//! Deterministic for a given seed.

use super::scenario::SitePlan;
use crate::config::Task;
use crate::domain::calendar::local_date;
use crate::domain::obstacle::ObstacleKind;
use crate::domain::site::PlannedSite;
use crate::wire::domain::county_name_zh;
use crate::wire::{Gps, Operator, Stage};
use chrono::{DateTime, Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// The site as the plan lists it.
pub fn planned(p: &SitePlan) -> PlannedSite {
    let county = county_name_zh(&p.info.county).unwrap_or("聊城市");
    let lead = p.info.operators.first().copied().unwrap_or(Operator::Cmcc);
    let year = p.planned_on_air.year();
    PlannedSite {
        id: p.info.site.clone(),
        name: p.info.name.clone(),
        county: p.info.county.clone(),
        operators: p.info.operators.clone(),
        tower_owner: p.info.tower_owner.clone(),
        kind: p.info.kind,
        bands: p.info.bands.clone(),
        position: p.info.position,
        batch: Some(format!("{year}-{}", (p.planned_on_air.month() - 1) / 3 + 1)),
        year,
        planned_on_air: p.planned_on_air,
        // 中国移动 → 东昌府区移动分公司.
        responsible_unit: format!(
            "{county}{}分公司",
            lead.label_zh().chars().skip(2).collect::<String>()
        ),
    }
}

/// Yearly tasks that add up to the plan: per county and year the sites planned on air that
/// year, and per county, operator and year the same for each carrier.
pub fn tasks(plans: &[SitePlan]) -> Vec<Task> {
    let mut counts: BTreeMap<(String, Option<Operator>, i32), u64> = BTreeMap::new();
    for p in plans {
        let y = p.planned_on_air.year();
        *counts.entry((p.info.county.clone(), None, y)).or_default() += 1;
        for op in &p.info.operators {
            *counts
                .entry((p.info.county.clone(), Some(*op), y))
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|((county, operator, year), on_air)| Task {
            county,
            operator,
            year,
            on_air,
        })
        .collect()
}

/// Something a person does at a point of simulated time.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Milestone {
        site: String,
        stage: Stage,
        position: Gps,
    },
    OpenObstacle {
        site: String,
        kind: ObstacleKind,
        description: &'static str,
    },
    ResolveObstacle {
        site: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldEvent {
    pub at: DateTime<Utc>,
    pub reporter: String,
    pub action: Action,
}

const KINDS: [(ObstacleKind, &str, u32); 8] = [
    (ObstacleKind::Access, "物业拒绝进场施工", 30),
    (ObstacleKind::Power, "市电引入需新建变压器", 25),
    (ObstacleKind::Fees, "小区物业索要进场费", 8),
    (ObstacleKind::Dispute, "周边居民担心辐射，阻挠施工", 15),
    (ObstacleKind::Permit, "规划许可待审批", 10),
    (ObstacleKind::Interference, "邻近卫星地球站，需干扰协调", 2),
    (ObstacleKind::Relocation, "道路拓宽，站址需迁改", 5),
    (ObstacleKind::Damage, "站点蓄电池被盗", 5),
];

fn pick_kind(rng: &mut StdRng) -> (ObstacleKind, &'static str) {
    let total: u32 = KINDS.iter().map(|k| k.2).sum();
    let mut x = rng.random_range(0..total);
    for (k, d, w) in KINDS {
        if x < w {
            return (k, d);
        }
        x -= w;
    }
    (KINDS[0].0, KINDS[0].1)
}

/// Field events for the simulated city, in time order: a built milestone for about a third of
/// the sites (one in twenty reported from a kilometre or more away), an obstacle for every
/// site that runs late (opened two weeks before its deadline, resolved a week before it comes
/// on air), and short-lived obstacles on a few on-time sites.
pub fn field_events(plans: &[SitePlan], seed: u64) -> Vec<FieldEvent> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for p in plans {
        let site = p.info.site.clone();
        let reporter = format!(
            "{}现场工程师{}",
            county_name_zh(&p.info.county).unwrap_or(""),
            rng.random_range(1..=20)
        );
        if rng.random_bool(0.33) {
            let far = rng.random_bool(0.05);
            let d = if far { 0.012 } else { 0.0008 };
            let position = Gps {
                lat: p.info.position.lat + rng.random_range(-d..d),
                lon: p.info.position.lon + if far { d } else { rng.random_range(-d..d) },
            };
            out.push(FieldEvent {
                at: p.reached[1] + Duration::hours(rng.random_range(1..30)),
                reporter: reporter.clone(),
                action: Action::Milestone {
                    site: site.clone(),
                    stage: Stage::Built,
                    position,
                },
            });
        }
        let on_air = p.reached[4];
        let deadline = crate::domain::calendar::end_of_day(p.planned_on_air);
        let (open, resolve) = if on_air > deadline + Duration::days(10) {
            (deadline - Duration::days(14), on_air - Duration::days(7))
        } else if rng.random_bool(0.03) {
            let open = p.reached[1] + Duration::days(rng.random_range(1..10));
            (open, open + Duration::days(rng.random_range(5..40)))
        } else {
            continue;
        };
        let (kind, description) = pick_kind(&mut rng);
        // An obstacle is opened on one day and resolved on a later one.
        let resolve = if local_date(resolve) <= local_date(open) {
            open + Duration::days(1)
        } else {
            resolve
        };
        out.push(FieldEvent {
            at: open,
            reporter: reporter.clone(),
            action: Action::OpenObstacle {
                site: site.clone(),
                kind,
                description,
            },
        });
        out.push(FieldEvent {
            at: resolve,
            reporter,
            action: Action::ResolveObstacle { site },
        });
    }
    out.sort_by_key(|e| e.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::liaocheng;

    #[test]
    fn plan_tasks_and_field_events_fit_the_scenario() {
        let plans = liaocheng(2000, 7);
        let t = tasks(&plans);
        let county_total: u64 = t
            .iter()
            .filter(|t| t.operator.is_none())
            .map(|t| t.on_air)
            .sum();
        assert_eq!(county_total, 2000);
        let csv = crate::rollout::plan::to_csv(&plans.iter().map(planned).collect::<Vec<_>>());
        let parsed = crate::rollout::plan::parse(&csv, &|_, _| {}).unwrap();
        assert_eq!(parsed.sites.len(), 2000);
        assert!(parsed.sites[0].responsible_unit.ends_with("分公司"));
        let events = field_events(&plans, 7);
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
        let late = plans
            .iter()
            .filter(|p| {
                p.reached[4]
                    > crate::domain::calendar::end_of_day(p.planned_on_air) + Duration::days(10)
            })
            .count();
        let opened = events
            .iter()
            .filter(|e| matches!(e.action, Action::OpenObstacle { .. }))
            .count();
        assert!(
            opened >= late && late > 50,
            "{opened} obstacles for {late} late sites"
        );
    }
}
