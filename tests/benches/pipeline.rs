//! The collector's own work per report, without a broker or a socket: what the ingest bench's
//! (b) spends beyond the do-nothing subscriber, stage by stage, on one core and free of the
//! scheduling noise of three processes sharing two.
//!
//! ```sh
//! cargo bench --bench pipeline                       # 200,000 reports over 10,000 sites
//! BENCH_MESSAGES=50000 cargo bench --bench pipeline
//! ```
//!
//! Prints µs per report for: decoding and checking the JSON (`ingest::decode`), packing the
//! payload for its row (`store::payload::pack`), committing batches of `BENCH_BATCH` (1,000)
//! decoded reports to the embedded store, durable as in `serve` (process CPU, the checkpoint
//! thread included) with the bytes they wrote, and applying them to the in-memory state. Each stage runs three times;
//! the store starts empty for each commit round.

use chrono::{Duration, Utc};
use sitepulse::config::IngestConfig;
use sitepulse::ingest::decode::decode;
use sitepulse::sim::agent::Agent;
use sitepulse::sim::scenario::liaocheng;
use sitepulse::state::Registry;
use sitepulse::store::sqlite::SqliteStore;
use sitepulse::store::{Envelope, Store, payload};
use sitepulse::wire::topic::topic_for;
use sitepulse::wire::{Kind, Stage};
use std::time::Instant;

/// As in `sitepulse serve`.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The process's CPU seconds so far, all threads.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Bytes this process has passed to write calls so far (`/proc/self/io` `wchar`).
fn written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("wchar: "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `f` and prints µs per report of wall time and of process CPU.
fn stage<T>(label: &str, n: usize, f: impl FnOnce() -> T) -> T {
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let out = f();
    let (cpu, wall) = (cpu_seconds() - c0, t0.elapsed().as_secs_f64());
    println!(
        "{label:<34} {:>6.2} µs per report wall, {:>6.2} µs CPU",
        wall / n as f64 * 1e6,
        cpu / n as f64 * 1e6
    );
    out
}

fn main() {
    let messages = env("BENCH_MESSAGES", 200_000);
    let sites = env("BENCH_SITES", 10_000).min(messages);
    let batch = env("BENCH_BATCH", 1_000).max(1);
    let cfg = IngestConfig::default();
    let now = Utc::now();
    // The load generator's reports: each site in turn, a new sequence each round.
    let mut agents: Vec<(String, Agent)> = liaocheng(sites, 7)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let topic = topic_for(&p.info.site, Kind::Status);
            (topic, Agent::new(p, i as u64, 10))
        })
        .collect();
    let rounds = messages.div_ceil(sites);
    let reports: Vec<(String, bytes::Bytes)> = (0..messages)
        .map(|k| {
            let (topic, agent) = &mut agents[k % sites];
            let at = now - Duration::seconds(10 * (rounds - k / sites) as i64);
            let mut s = agent.next_status(at);
            s.stage = Stage::OnAir;
            let json = serde_json::to_vec(&s).expect("serializes");
            (topic.clone(), bytes::Bytes::from(json))
        })
        .collect();
    let mean = reports.iter().map(|(_, p)| p.len()).sum::<usize>() / messages;
    println!("{messages} reports over {sites} sites, {mean} B each; batches of {batch}");

    for round in 1..=3 {
        println!("round {round}");
        let envelopes: Vec<Envelope> = stage("decode and check", messages, || {
            reports
                .iter()
                .map(|(topic, p)| Envelope {
                    topic: topic.clone(),
                    payload: p.clone(),
                    received: now,
                    decoded: decode(topic, p, now, &cfg),
                })
                .collect()
        });
        assert!(envelopes.iter().all(|e| e.decoded.is_ok()), "all decode");
        let mut packed = Vec::new();
        let bytes = stage("pack the payload", messages, || {
            let mut total = 0;
            for (_, p) in &reports {
                payload::pack(p, &mut packed);
                total += packed.len();
            }
            total
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = SqliteStore::open(&dir.path().join("bench.db"), 1000).expect("store");
        let before = written();
        stage("commit (durable, batched)", messages, || {
            for chunk in envelopes.chunks(batch) {
                store.commit(chunk).expect("commit");
            }
        });
        let commit_written = written() - before;
        let mut registry = Registry::default();
        stage("apply to the state", messages, || {
            for e in envelopes {
                if let Ok(sitepulse::domain::message::Message::Status { status, .. }) = e.decoded {
                    registry.apply_status(*status, e.received);
                }
            }
        });
        println!(
            "{:<34} {:>6.0} B per report packed, of {mean}; {:.0} B per report written by the commits (log, checkpoints)",
            "",
            bytes as f64 / messages as f64,
            commit_written as f64 / messages as f64
        );
    }
}
