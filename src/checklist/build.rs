//! Builds a month's checklist. Pure: the plan with each site's timeline, the obstacles, the
//! tasks and targets, and the time of building go in; the [`Checklist`] comes out. The same
//! input gives the same checklist, byte for byte once serialized.
//!
//! Counting rules: those of [`crate::domain::figures`], shared with every other view — only
//! sites in the plan count (sites known only from their agents are listed apart); built (建成)
//! and on air (开通) at the checklist's time, the end of the month in Liaocheng or the time of
//! building if earlier; new this month: on air then, not at the end of the previous month; this
//! year: not at the end of the previous year. A site counts in its county's subtotal once, and
//! in the row of each operator on it. The silent list holds only sites expected to report:
//! equipment installed (stage `installed` or later) and an agent that has reported before; and
//! silent means both longer than `rollout.silent_hours` and offline by the one rule of
//! [`crate::domain::site::offline`] (no report for `alarms.offline_intervals` of the intervals
//! the agent declared), so an agent that reports once a day is not silent after 24 hours.
//! Sites known only from their agents are listed from the month their agent first reported in.

use super::*;
use crate::config::{RolloutConfig, Target, Task};
use crate::domain::calendar::{Month, days_between, local_date};
use crate::domain::figures;
use crate::domain::objection::{DECIDE_WITHIN_WORKING_DAYS, Objection, working_days_between};
use crate::domain::obstacle::Obstacle;
use crate::domain::schedule::{self, Scope, Standing};
use crate::domain::site::PlannedSite;
use crate::domain::timeline::Timeline;
use crate::wire::Supply;
use std::collections::HashMap;

/// One planned site and what happened to it.
#[derive(Debug, Clone)]
pub struct SiteFacts {
    pub plan: PlannedSite,
    pub timeline: Timeline,
    /// Its last report at or before the checklist's time, if any.
    pub ops: Option<Ops>,
}

/// A site's last report as operations sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ops {
    pub last_report: DateTime<Utc>,
    pub supply: Option<Supply>,
    /// The interval the agent declared in that report; `None` when not known.
    pub interval_s: Option<u32>,
}

pub struct Input<'a> {
    pub month: Month,
    /// When the checklist is built; figures hold at the end of the month or at this time,
    /// whichever comes first.
    pub now: DateTime<Utc>,
    pub sites: &'a [SiteFacts],
    pub obstacles: &'a [Obstacle],
    pub objections: &'a [Objection],
    pub unplanned: Vec<UnplannedSite>,
    pub tasks: &'a [Task],
    pub targets: &'a [Target],
    pub rules: &'a RolloutConfig,
    /// Reports missed before an agent is offline (`alarms.offline_intervals`).
    pub offline_intervals: u32,
    /// Coverage of the target areas at the checklist's time, if areas are loaded.
    pub coverage: Option<&'a crate::coverage::report::Report>,
    pub issuer: Issuer,
    /// The pilots' progress on the checklist's day, when a register is kept.
    pub pilots: Option<crate::views::pilots::PilotProgress>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BuildError {
    #[error("month {month} has not started yet (it is {today} in Liaocheng)")]
    NotStarted { month: Month, today: NaiveDate },
}

/// Longest trend shown, in months.
const TREND_MAX_MONTHS: usize = 120;

#[derive(Default)]
struct Acc {
    planned: u64,
    new_on_air: u64,
    built: u64,
    built_this_month: u64,
    opened: u64,
    on_air: u64,
    on_air_this_year: u64,
    open: BTreeMap<ObstacleKind, u64>,
    resolved: u64,
    overdue: u64,
}

struct SiteNow<'a> {
    built: bool,
    built_this_month: bool,
    opened: u64,
    on_air: bool,
    new_on_air: bool,
    this_year: bool,
    overdue: bool,
    open: &'a [&'a Obstacle],
    resolved: u64,
}

impl Acc {
    fn add(&mut self, s: &SiteNow<'_>) {
        self.planned += 1;
        self.built += u64::from(s.built);
        self.built_this_month += u64::from(s.built_this_month);
        self.opened += s.opened;
        self.on_air += u64::from(s.on_air);
        self.new_on_air += u64::from(s.new_on_air);
        self.on_air_this_year += u64::from(s.this_year);
        self.overdue += u64::from(s.overdue);
        self.resolved += s.resolved;
        for o in s.open {
            *self.open.entry(o.kind).or_default() += 1;
        }
    }

    fn row(
        &self,
        county: &str,
        operator: Option<Operator>,
        tasks: &[Task],
        scope: Scope<'_>,
        month: Month,
    ) -> SummaryRow {
        let yearly_task = schedule::task(tasks, scope, month.year);
        let expected = schedule::expected(tasks, scope, month);
        SummaryRow {
            county: county.to_string(),
            operator,
            yearly_task,
            planned: self.planned,
            new_on_air: self.new_on_air,
            built: self.built,
            built_this_month: self.built_this_month,
            on_air: self.on_air,
            on_air_this_year: self.on_air_this_year,
            completion: yearly_task
                .filter(|t| *t > 0)
                .map(|t| self.on_air_this_year as f64 / t as f64),
            expected,
            shortfall: expected.saturating_sub(self.on_air),
            schedule_completion: schedule::completion(self.on_air, expected),
            rank: None,
            schedule_rank: None,
            open_obstacles: self.open.clone(),
            resolved_obstacles: self.resolved,
            opened_obstacles: self.opened,
            overdue: self.overdue,
        }
    }
}

/// Competition ranking by `score`, highest first, over the rows `pick` selects; written with
/// `set`. Rows without a score are not ranked.
fn rank(
    rows: &mut [SummaryRow],
    pick: impl Fn(&SummaryRow) -> bool,
    score: impl Fn(&SummaryRow) -> Option<f64>,
    set: impl Fn(&mut SummaryRow, Option<u32>),
) {
    let scores: Vec<f64> = rows.iter().filter(|r| pick(r)).filter_map(&score).collect();
    for r in rows.iter_mut().filter(|r| pick(r)) {
        let rank = score(r).map(|c| 1 + scores.iter().filter(|s| **s > c).count() as u32);
        set(r, rank);
    }
}

fn site_ref(p: &PlannedSite) -> SiteRef {
    SiteRef {
        site: p.id.clone(),
        name: p.name.clone(),
        county: p.county.clone(),
        operators: p.operators.clone(),
    }
}

pub fn build(input: Input<'_>) -> Result<Checklist, BuildError> {
    let Input {
        month,
        now,
        sites,
        obstacles,
        objections,
        mut unplanned,
        tasks,
        targets,
        rules,
        offline_intervals,
        coverage,
        issuer,
        pilots,
    } = input;
    let today = local_date(now);
    if today < month.first_day() {
        return Err(BuildError::NotStarted { month, today });
    }
    let as_of = figures::month_instant(month, now);
    let day = local_date(as_of);
    let prev = month.prev();
    let prev_end = prev.end();
    let prev_day = prev.last_day();

    let mut by_site: HashMap<&str, Vec<&Obstacle>> = HashMap::new();
    for o in obstacles {
        by_site.entry(o.site.as_str()).or_default().push(o);
    }
    let resolved_in_month = |o: &Obstacle| {
        o.resolved
            .is_some_and(|r| r >= month.first_day() && r <= day)
    };
    let opened_in_month = |o: &Obstacle| o.opened >= month.first_day() && o.opened <= day;

    let mut counties: BTreeMap<&str, (Acc, BTreeMap<Operator, Acc>)> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.year == month.year) {
        let c = counties.entry(t.county.as_str()).or_default();
        if let Some(op) = t.operator {
            c.1.entry(op).or_default();
        }
    }
    let mut total = Acc::default();
    let mut overdue = Vec::new();
    let mut at_risk = Vec::new();
    let mut silent = Vec::new();
    let mut power: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut changes = Changes::default();
    let no_obstacles: Vec<&Obstacle> = Vec::new();
    let silent_after = chrono::Duration::hours(rules.silent_hours);

    for s in sites {
        let p = &s.plan;
        let stage = s.timeline.stage_at(as_of);
        let prev_stage = s.timeline.stage_at(prev_end);
        let site_obstacles = by_site.get(p.id.as_str()).unwrap_or(&no_obstacles);
        let open: Vec<&Obstacle> = site_obstacles
            .iter()
            .copied()
            .filter(|o| o.open_on(day))
            .collect();
        let (standing, days_overdue) = schedule::standing(
            p.planned_on_air,
            stage,
            !open.is_empty(),
            day,
            rules.at_risk_days,
        );
        let was_overdue = prev_stage < Stage::OnAir && p.planned_on_air < prev_day;
        let tl = &s.timeline;
        let built = figures::built_at(tl, as_of);
        let now_site = SiteNow {
            built,
            built_this_month: built && !figures::built_at(tl, prev_end),
            opened: site_obstacles.iter().filter(|o| opened_in_month(o)).count() as u64,
            on_air: figures::on_air_at(tl, as_of),
            new_on_air: figures::new_on_air_in(tl, month, now),
            this_year: figures::new_on_air_in_year(tl, month.year, as_of),
            overdue: standing == Standing::Overdue,
            open: &open,
            resolved: site_obstacles
                .iter()
                .filter(|o| resolved_in_month(o))
                .count() as u64,
        };
        let county = counties.entry(p.county.as_str()).or_default();
        county.0.add(&now_site);
        for op in &p.operators {
            county.1.entry(*op).or_default().add(&now_site);
        }
        total.add(&now_site);
        if now_site.new_on_air {
            changes.newly_on_air.push(site_ref(p));
        }
        if now_site.overdue {
            if !was_overdue {
                changes.newly_overdue.push(site_ref(p));
            }
            overdue.push(OverdueSite {
                site: p.id.clone(),
                name: p.name.clone(),
                county: p.county.clone(),
                operators: p.operators.clone(),
                stage,
                planned_on_air: p.planned_on_air,
                days_overdue,
                open_obstacles: open.iter().map(|o| o.kind).collect(),
                responsible_unit: p.responsible_unit.clone(),
            });
        }
        if standing == Standing::AtRisk {
            at_risk.push(AtRiskSite {
                site: p.id.clone(),
                name: p.name.clone(),
                county: p.county.clone(),
                operators: p.operators.clone(),
                stage,
                planned_on_air: p.planned_on_air,
                days_left: days_between(day, p.planned_on_air),
                open_obstacles: open.iter().map(|o| o.kind).collect(),
                responsible_unit: p.responsible_unit.clone(),
            });
        }
        if let Some(ops) = s.ops.filter(|o| o.last_report <= as_of) {
            let offline = ops.interval_s.is_none_or(|i| {
                crate::domain::site::offline(i, ops.last_report, as_of, offline_intervals)
            });
            if stage.is_built() && as_of - ops.last_report >= silent_after && offline {
                silent.push(SilentSite {
                    site: p.id.clone(),
                    name: p.name.clone(),
                    county: p.county.clone(),
                    stage,
                    last_report: ops.last_report,
                    hours_silent: (as_of - ops.last_report).num_hours(),
                });
            }
            if let Some(supply) = ops.supply {
                let e = power.entry(p.county.as_str()).or_default();
                match supply {
                    Supply::Direct => e.0 += 1,
                    Supply::Transferred => e.1 += 1,
                }
            }
        }
    }

    let mut summary = Vec::new();
    for (county, (acc, ops)) in &counties {
        for (op, a) in ops {
            summary.push(a.row(
                county,
                Some(*op),
                tasks,
                Scope::CountyOperator(county, *op),
                month,
            ));
        }
        summary.push(acc.row(county, None, tasks, Scope::County(county), month));
    }
    let set_rank = |r: &mut SummaryRow, v| r.rank = v;
    rank(
        &mut summary,
        |r| r.operator.is_some(),
        |r| r.completion,
        set_rank,
    );
    rank(
        &mut summary,
        |r| r.operator.is_none(),
        |r| r.completion,
        set_rank,
    );
    rank(
        &mut summary,
        |r| r.operator.is_none(),
        |r| r.schedule_completion,
        |r, v| r.schedule_rank = v,
    );
    let total_row = total.row("", None, tasks, Scope::City, month);

    overdue.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.site.cmp(&b.site))
    });
    at_risk.sort_by(|a, b| {
        a.days_left
            .cmp(&b.days_left)
            .then_with(|| a.site.cmp(&b.site))
    });
    silent.sort_by(|a, b| {
        b.hours_silent
            .cmp(&a.hours_silent)
            .then_with(|| a.site.cmp(&b.site))
    });

    let names: HashMap<&str, &PlannedSite> = sites
        .iter()
        .map(|s| (s.plan.id.as_str(), &s.plan))
        .collect();
    let mut open_obstacles: Vec<OpenObstacle> = obstacles
        .iter()
        .filter(|o| o.open_on(day))
        .map(|o| {
            let p = names.get(o.site.as_str());
            OpenObstacle {
                id: o.id,
                site: o.site.clone(),
                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                county: p.map(|p| p.county.clone()).unwrap_or_default(),
                kind: o.kind,
                description: o.description.clone(),
                responsible_unit: o.responsible_unit.clone(),
                opened: o.opened,
                due: o.due,
                age_days: days_between(o.opened, day),
                days_past_due: days_between(o.due, day).max(0),
            }
        })
        .collect();
    open_obstacles.sort_by(|a, b| {
        b.days_past_due
            .cmp(&a.days_past_due)
            .then_with(|| b.age_days.cmp(&a.age_days))
            .then_with(|| a.id.cmp(&b.id))
    });
    let coordination = coordination(&open_obstacles);
    changes.resolved = obstacles
        .iter()
        .filter(|o| resolved_in_month(o))
        .map(|o| ResolvedObstacle {
            id: o.id,
            site: o.site.clone(),
            county: names
                .get(o.site.as_str())
                .map(|p| p.county.clone())
                .unwrap_or_default(),
            kind: o.kind,
            responsible_unit: o.responsible_unit.clone(),
            opened: o.opened,
            resolved: o.resolved.unwrap_or(o.opened),
            resolution: o.resolution.clone().unwrap_or_default(),
        })
        .collect();
    changes.resolved.sort_by_key(|r| (r.resolved, r.id));
    changes.newly_on_air.sort_by(|a, b| a.site.cmp(&b.site));
    changes.newly_overdue.sort_by(|a, b| a.site.cmp(&b.site));

    let power_row = |county: &str, direct: u64, transferred: u64| {
        let reporting = direct + transferred;
        PowerRow {
            county: county.to_string(),
            reporting,
            direct,
            transferred,
            direct_share: (reporting > 0).then(|| direct as f64 / reporting as f64),
        }
    };
    let power_total = power_row(
        "",
        power.values().map(|v| v.0).sum(),
        power.values().map(|v| v.1).sum(),
    );
    let power: Vec<PowerRow> = power
        .iter()
        .map(|(c, (d, t))| power_row(c, *d, *t))
        .collect();

    let targets = targets
        .iter()
        .map(|t| {
            let on_air = sites
                .iter()
                .filter(|s| figures::on_air_by(&s.timeline, t.deadline, as_of))
                .count() as u64;
            TargetRow {
                name: t.name.clone(),
                deadline: t.deadline,
                target: t.on_air,
                on_air,
                remaining: t.on_air.saturating_sub(on_air),
                met: on_air >= t.on_air,
                goal: t.coverage.clone(),
                coverage: coverage
                    .map(|r| {
                        r.areas
                            .iter()
                            .filter(|a| t.coverage.contains(&a.class))
                            .map(|a| AreaGoal {
                                area: a.name.clone(),
                                class: a.class,
                                county: a.county.clone(),
                                covered_share: a.covered_share,
                                met: a.continuous,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();

    let mut stale: Vec<StaleObjection> = objections
        .iter()
        .filter(|o| o.open_at(as_of))
        .filter_map(|o| {
            let days = working_days_between(local_date(o.at), day);
            (days > DECIDE_WITHIN_WORKING_DAYS).then(|| StaleObjection {
                id: o.id,
                site: o.site.clone(),
                field: o.field.clone(),
                proposed: o.proposed.to_string(),
                by: o.by.clone(),
                filed: local_date(o.at),
                working_days: days,
            })
        })
        .collect();
    stale.sort_by(|a, b| b.working_days.cmp(&a.working_days).then(a.id.cmp(&b.id)));
    unplanned.sort_by(|a, b| a.site.cmp(&b.site));
    Ok(Checklist {
        schema: CHECKLIST_SCHEMA.into(),
        month,
        as_of,
        provisional: as_of < month.end(),
        closed: None,
        issuer,
        targets,
        summary,
        total: total_row,
        overdue,
        at_risk,
        coordination,
        obstacles: open_obstacles,
        silent,
        power,
        power_total,
        changes,
        unplanned,
        objections: stale,
        trend: trend(sites, tasks, month, now),
        pilots,
    })
}

/// Obstacles past their limit grouped by the unit that must clear them: most obstacles first,
/// then the longest past its limit.
fn coordination(open: &[OpenObstacle]) -> Vec<Coordination> {
    let mut by_unit: BTreeMap<&str, Vec<&OpenObstacle>> = BTreeMap::new();
    for o in open.iter().filter(|o| o.days_past_due > 0) {
        by_unit
            .entry(o.responsible_unit.as_str())
            .or_default()
            .push(o);
    }
    let mut out: Vec<Coordination> = by_unit
        .into_iter()
        .map(|(unit, list)| {
            let mut kinds: BTreeMap<ObstacleKind, usize> = BTreeMap::new();
            for o in &list {
                *kinds.entry(o.kind).or_default() += 1;
            }
            let mut kinds: Vec<(ObstacleKind, usize)> = kinds.into_iter().collect();
            kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut sites: Vec<&str> = list.iter().map(|o| o.site.as_str()).collect();
            sites.sort_unstable();
            sites.dedup();
            Coordination {
                responsible_unit: unit.to_string(),
                obstacles: list.len() as u64,
                sites: sites.len() as u64,
                max_days_past_due: list.iter().map(|o| o.days_past_due).max().unwrap_or(0),
                kinds: kinds.into_iter().map(|(k, _)| k).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.obstacles
            .cmp(&a.obstacles)
            .then(b.max_days_past_due.cmp(&a.max_days_past_due))
            .then_with(|| a.responsible_unit.cmp(&b.responsible_unit))
    });
    out
}

/// Cumulative on-air sites and the schedule's expectation at the end of each month, from the
/// January of the first year with a task or a planned site, up to `month`.
fn trend(sites: &[SiteFacts], tasks: &[Task], month: Month, now: DateTime<Utc>) -> Vec<TrendPoint> {
    let first_year = tasks
        .iter()
        .map(|t| t.year)
        .chain(
            sites
                .iter()
                .map(|s| chrono::Datelike::year(&s.plan.planned_on_air)),
        )
        .min()
        .unwrap_or(month.year)
        .min(month.year);
    let mut months = Vec::new();
    let mut m = Month::new(first_year, 1).expect("January");
    while m <= month {
        months.push(m);
        m = m.next();
    }
    if months.len() > TREND_MAX_MONTHS {
        months.drain(..months.len() - TREND_MAX_MONTHS);
    }
    let ends: Vec<DateTime<Utc>> = months.iter().map(|m| m.end().min(now)).collect();
    let mut on_air = vec![0u64; months.len()];
    for s in sites {
        for (i, at) in ends.iter().enumerate() {
            on_air[i] += u64::from(s.timeline.stage_at(*at).is_on_air());
        }
    }
    months
        .iter()
        .zip(on_air)
        .map(|(m, on_air)| TrendPoint {
            month: *m,
            on_air,
            expected: schedule::expected(tasks, Scope::City, *m),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::obstacle::ObstacleKind;
    use crate::views::testing::{planned, site};

    fn facts(id: &str, county: &str, ops: &[Operator], stages: &[(&str, Stage)]) -> SiteFacts {
        let s = site(Some(planned(id, county, ops)), stages);
        SiteFacts {
            plan: *s.plan.expect("planned"),
            timeline: s.timeline,
            ops: None,
        }
    }

    fn build_at(month: &str, now: &str, sites: &[SiteFacts], obstacles: &[Obstacle]) -> Checklist {
        build(Input {
            month: Month::parse(month).unwrap(),
            now: now.parse().unwrap(),
            sites,
            obstacles,
            objections: &[],
            unplanned: Vec::new(),
            tasks: &[Task {
                county: "371502".into(),
                operator: None,
                year: 2020,
                on_air: 12,
            }],
            targets: &crate::config::default_targets(),
            rules: &RolloutConfig::default(),
            offline_intervals: 3,
            coverage: None,
            issuer: Issuer::default(),
            pilots: None,
        })
        .unwrap()
    }

    /// The counting rules on hand-made sites, with no store: built and on air at the end of
    /// the month in Liaocheng, new this month, overdue, the yearly task's expected count.
    #[test]
    fn counts_at_the_end_of_the_month_in_liaocheng() {
        let cmcc = &[Operator::Cmcc];
        let late = facts(
            "L",
            "371502",
            cmcc,
            &[("2020-12-31T20:00:00Z", Stage::OnAir)],
        );
        // On air in November, off air again in December; its agent last heard on 29 December.
        let mut off_again = facts(
            "C",
            "371502",
            cmcc,
            &[
                ("2020-11-01T00:00:00Z", Stage::OnAir),
                ("2020-12-02T00:00:00Z", Stage::Installed),
            ],
        );
        off_again.ops = Some(Ops {
            last_report: "2020-12-29T00:00:00Z".parse().unwrap(),
            supply: Some(Supply::Transferred),
            interval_s: Some(60),
        });
        let sites = vec![
            facts(
                "A",
                "371502",
                cmcc,
                &[("2020-11-10T00:00:00Z", Stage::OnAir)],
            ),
            facts(
                "B",
                "371502",
                cmcc,
                &[("2020-12-10T00:00:00Z", Stage::OnAir)],
            ),
            off_again,
            late,
        ];
        let obstacle = Obstacle {
            id: 1,
            site: "L".into(),
            kind: ObstacleKind::Power,
            description: "市电未引入".into(),
            responsible_unit: "供电公司".into(),
            opened: "2020-12-01".parse().unwrap(),
            due: "2020-12-20".parse().unwrap(),
            resolved: None,
            resolution: None,
            reporter: "王工".into(),
        };
        let c = build_at("2020-12", "2021-01-05T00:00:00Z", &sites, &[obstacle]);
        assert!(!c.provisional);
        assert_eq!(c.as_of, Month::parse("2020-12").unwrap().end());
        // A and B on air; C off again; L only on 1 January in Liaocheng.
        assert_eq!(
            (c.total.built, c.total.on_air, c.total.new_on_air),
            (3, 2, 1)
        );
        assert_eq!(c.targets[0].on_air, 2);
        assert_eq!(c.changes.newly_on_air.len(), 1);
        assert_eq!(c.changes.newly_on_air[0].site, "B");
        // Planned for 2020-12-31 (the helpers' date) and not on air: C and L are overdue only
        // from 1 January; the obstacle on L is open and past its limit.
        assert!(c.overdue.is_empty());
        assert_eq!(c.obstacles.len(), 1);
        // C's last report was a millisecond short of 64 hours before the month ended; it has its
        // equipment, so it is expected to report.
        assert_eq!(c.silent.len(), 1);
        assert_eq!(
            (c.silent[0].site.as_str(), c.silent[0].hours_silent),
            ("C", 63)
        );
        assert_eq!(c.power_total.transferred, 1);
        // 12 a year: ceil(12 · 12/12) = 12 expected by December; 2 on air, 10 short.
        assert_eq!((c.total.expected, c.total.shortfall), (12, 10));

        let jan = build_at("2021-01", "2021-01-05T00:00:00Z", &sites, &[]);
        assert!(jan.provisional);
        assert_eq!((jan.total.on_air, jan.total.new_on_air), (3, 1));
        assert_eq!(jan.overdue.len(), 1, "C, overdue since 1 January");
        let rules = RolloutConfig::default();
        let early = build(Input {
            month: Month::parse("2021-02").unwrap(),
            now: "2021-01-05T00:00:00Z".parse().unwrap(),
            sites: &sites,
            obstacles: &[],
            objections: &[],
            unplanned: Vec::new(),
            tasks: &[],
            targets: &[],
            rules: &rules,
            offline_intervals: 3,
            coverage: None,
            issuer: Issuer::default(),
            pilots: None,
        });
        assert_eq!(
            early.err(),
            Some(BuildError::NotStarted {
                month: Month::parse("2021-02").unwrap(),
                today: "2021-01-05".parse().unwrap()
            })
        );
    }
}
