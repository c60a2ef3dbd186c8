//! Checklist benchmark: the time to build a month's dispatch checklist for a city (10,000
//! sites) and a province (224,000 sites, Shandong in mid-2024).
//!
//! ```sh
//! cargo bench --bench checklist                      # 10,000 and 224,000 sites
//! BENCH_SITES=10000 cargo bench --bench checklist    # one size
//! BENCH_E2E=0 cargo bench --bench checklist          # the pure build only
//! ```
//!
//! Two figures per size:
//! - **build**: the pure step — plan, timelines, obstacles and tasks in, checklist out (median
//!   of several runs);
//! - **from the store**: what `GET /api/v1/checklist/{month}` does — read stage changes,
//!   milestones, obstacles and last reports from SQLite, then build. The store is filled first
//!   through the same writer as ingest (one report per stage reached, plus a recent one).

#[path = "city.rs"]
mod city;

use chrono::{DateTime, Duration, Utc};
use sitepulse::checklist::build::{Input, Ops, SiteFacts, build};
use sitepulse::clock::FixedClock;
use sitepulse::config::{Config, RolloutConfig, default_targets};
use sitepulse::domain::actor::Actor;
use sitepulse::domain::calendar::{Month, local_date};
use sitepulse::domain::obstacle::Obstacle;
use sitepulse::domain::timeline::{Source, StageEvent, Timeline};
use sitepulse::rollout::service::Rollout;
use sitepulse::sim::office::{self, Action};
use sitepulse::sim::scenario::{SitePlan, liaocheng};
use sitepulse::store::control::ControlStore;
use sitepulse::wire::{Stage, Supply};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Obstacles as the simulated field engineers report them, up to `now`.
fn obstacles(plans: &[SitePlan], now: DateTime<Utc>) -> Vec<Obstacle> {
    let mut out: Vec<Obstacle> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    for e in office::field_events(plans, 1)
        .into_iter()
        .filter(|e| e.at <= now)
    {
        match e.action {
            Action::OpenObstacle {
                site,
                kind,
                description,
            } => {
                let opened = local_date(e.at);
                open.insert(site.clone(), out.len());
                out.push(Obstacle {
                    id: out.len() as i64 + 1,
                    site,
                    kind,
                    description: description.into(),
                    responsible_unit: "区县5G建设协调专班".into(),
                    opened,
                    due: opened + Duration::days(30),
                    resolved: None,
                    resolution: None,
                    reporter: e.reporter,
                });
            }
            Action::ResolveObstacle { site } => {
                if let Some(i) = open.remove(&site) {
                    out[i].resolved = Some(local_date(e.at));
                    out[i].resolution = Some("已解决".into());
                }
            }
            Action::Milestone { .. } => {}
        }
    }
    out
}

fn facts(plans: &[SitePlan], now: DateTime<Utc>) -> Vec<SiteFacts> {
    plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let events = p
                .reached
                .iter()
                .enumerate()
                .filter(|(_, at)| **at <= now)
                .map(|(k, at)| StageEvent {
                    at: *at,
                    source: Source::Telemetry,
                    stage: Stage::ALL[k + 1],
                })
                .collect();
            SiteFacts {
                plan: office::planned(p),
                timeline: Timeline::new(events),
                ops: Some(Ops {
                    last_report: now - Duration::minutes((i % 4000) as i64),
                    supply: Some(if p.direct_supply_from.is_none_or(|d| d <= now) {
                        Supply::Direct
                    } else {
                        Supply::Transferred
                    }),
                    interval_s: Some(60),
                }),
            }
        })
        .collect()
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("BENCH_SITES") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![10_000, 224_000],
    };
    let e2e = env_or("BENCH_E2E", 1) != 0;
    let month = Month::parse("2022-06").unwrap();
    let now = month.end() + Duration::days(10);
    let rules = RolloutConfig::default();
    let targets = default_targets();
    println!("checklist benchmark: month {month}, built at {now}");
    for n in sizes {
        let plans = liaocheng(n, 2020);
        let tasks = office::tasks(&plans);
        let obstacles = obstacles(&plans, now);
        let sites = facts(&plans, now);
        let mut times = Vec::new();
        let mut total = None;
        for _ in 0..7 {
            let t = Instant::now();
            let c = build(Input {
                month,
                now,
                sites: &sites,
                obstacles: &obstacles,
                objections: &[],
                unplanned: Vec::new(),
                tasks: &tasks,
                targets: &targets,
                rules: &rules,
                offline_intervals: 3,
                coverage: None,
                issuer: Default::default(),
                pilots: None,
            })
            .unwrap();
            times.push(t.elapsed());
            total = Some(c.total);
        }
        times.sort();
        let total = total.unwrap();
        println!(
            "{n:>7} sites: build median {:>8.1} ms (min {:.1}, max {:.1}); {} on air, {} overdue, {} obstacles",
            times[3].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[6].as_secs_f64() * 1e3,
            total.on_air,
            total.overdue,
            obstacles.len()
        );
        if !e2e {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.store.path = dir.path().join("bench.db");
        config.tasks = tasks.clone();
        let t = Instant::now();
        let reports = city::fill_store(&config, &plans, now);
        ControlStore::open(&config.store.path)
            .unwrap()
            .add_obstacles(&obstacles, &Actor::cli("bench"), now)
            .unwrap();
        let filled = t.elapsed();
        let t = Instant::now();
        let rollout = Rollout::open(config, Arc::new(FixedClock(now))).unwrap();
        let opened = t.elapsed();
        let mut times = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let c = rollout.build(month).unwrap();
            times.push(t.elapsed());
            assert_eq!(c.total.on_air, total.on_air, "store and pure build agree");
        }
        times.sort();
        println!(
            "{n:>7} sites: from the store median {:>8.1} ms (min {:.1}, max {:.1}); store filled with {reports} reports in {:.1} s, state loaded in {:.1} s",
            times[1].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[2].as_secs_f64() * 1e3,
            filled.as_secs_f64(),
            opened.as_secs_f64()
        );
    }
}
