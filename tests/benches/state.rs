//! State memory per site: what the collector keeps in memory for each site once the whole
//! province reports — the registry (plan entry, the agent's description, the latest report, the
//! timeline) and the writer's own per-site memory (keys since the last index, newest report,
//! newest day) — counted on the heap, each site reporting twice.
//!
//! ```sh
//! cargo bench --bench state                      # 224,000 sites (Shandong)
//! BENCH_SITES=10000 cargo bench --bench state    # a city
//! ```
//!
//! SQLite's page cache is not state and not counted here (it is bounded by `cache_size`, 64 MiB);
//! the ingest benchmark's (e) gives the whole process's growth.

use chrono::{Duration, Utc};
use sitepulse::domain::message::Message;
use sitepulse::sim::agent::Agent;
use sitepulse::sim::scenario::liaocheng;
use sitepulse::state::Registry;
use sitepulse::store::sqlite::SqliteStore;
use sitepulse::store::{Envelope, Store};
use std::alloc::System;

#[global_allocator]
static HEAP: cap::Cap<System> = cap::Cap::new(System, usize::MAX);

fn kib(bytes: usize, sites: usize) -> f64 {
    bytes as f64 / 1024.0 / sites as f64
}

fn main() {
    let sites: usize = std::env::var("BENCH_SITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(224_000);
    let plans = liaocheng(sites, 7);
    let now = Utc::now();
    let mut agents: Vec<Agent> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| Agent::new(p.clone(), i as u64, 60))
        .collect();
    // Two rounds of reports, built before anything is counted.
    let rounds: Vec<Vec<sitepulse::wire::Status>> = (0..2)
        .map(|r| {
            agents
                .iter_mut()
                .map(|a| a.next_status(now - Duration::seconds(60 * (1 - r))))
                .collect()
        })
        .collect();

    // The registry, as the collector builds it: plan, description, then the reports.
    let before = HEAP.allocated();
    let mut registry = Registry::default();
    for p in &plans {
        registry.set_site_plan(sitepulse::sim::office::planned(p));
        registry.apply_info(p.info.clone());
    }
    for round in &rounds {
        for s in round {
            registry.apply_status(s.clone(), now);
        }
    }
    let registry_bytes = HEAP.allocated() - before;

    // The writer's memory: the same reports committed to a store of their own.
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("state.db"), 1000).unwrap();
    let before = HEAP.allocated();
    for round in &rounds {
        for chunk in round.chunks(5000) {
            let batch: Vec<Envelope> = chunk
                .iter()
                .map(|s| Envelope {
                    topic: format!("sitepulse/v1/sites/{}/status", s.site),
                    payload: serde_json::to_vec(s).unwrap().into(),
                    received: now,
                    decoded: Ok(Message::Status {
                        status: Box::new(s.clone()),
                        skewed: false,
                    }),
                })
                .collect();
            store.commit(&batch).unwrap();
        }
    }
    let writer_bytes = HEAP.allocated() - before;
    let total = registry_bytes + writer_bytes;
    println!(
        "state memory with {sites} sites, 2 reports each: registry {:.2} KiB per site, writer {:.2} KiB per site, \
         together {:.2} KiB per site ({:.0} MiB)",
        kib(registry_bytes, sites),
        kib(writer_bytes, sites),
        kib(total, sites),
        total as f64 / (1 << 20) as f64
    );
    drop((registry, store));
}
