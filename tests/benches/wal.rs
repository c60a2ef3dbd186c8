//! Disk cost of durability: a stream of QoS 1 reports into `sitepulse serve`, whose process is
//! killed with SIGKILL three times along the way and started again on the same store.
//!
//! ```sh
//! cargo bench --bench wal                          # 200,000 reports, 10,000 sites, 3 kills
//! BENCH_MESSAGES=50000 BENCH_KILLS=1 cargo bench --bench wal
//! ```
//!
//! Needs Mosquitto installed. Prints the write-ahead log's peak size (sampled every 10 ms), the
//! bytes the collector processes wrote to disk (`/proc/PID/io`, WAL and checkpoints included) per
//! report and against the payload, and the store's size at the end.

// The integration tests' helpers; this bench uses the broker and collector launchers only.
#[allow(unused_imports)]
#[path = "../util/mod.rs"]
mod util;

use rumqttc::QoS;
use sitepulse::sim::load::{self, LoadConfig};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bytes a process has caused to be written to storage so far.
fn write_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("write_bytes: "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

fn mib(b: u64) -> f64 {
    b as f64 / (1 << 20) as f64
}

#[tokio::main]
async fn main() {
    let messages: u64 = util::env_or("BENCH_MESSAGES", 200_000);
    let sites: usize = util::env_or("BENCH_SITES", 10_000);
    let kills: u64 = util::env_or("BENCH_KILLS", 3);
    let broker = util::Mosquitto::start();
    let url = broker.url();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("wal-bench.db");
    let wal = dir.path().join("wal-bench.db-wal");
    println!(
        "wal benchmark: {messages} reports, {sites} sites, {kills} collector kills, store in {}",
        dir.path().display()
    );

    let spawn = || util::CollectorProcess::spawn(&db, &url, "wal-bench-collector");
    let mut collector = spawn();
    collector.wait_ready().await;
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = {
        let (peak, wal) = (peak.clone(), wal.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(size(&wal), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let cfg = LoadConfig {
        url: url.clone(),
        sites,
        messages,
        publishers: 1,
        qos: QoS::AtLeastOnce,
        ..LoadConfig::default()
    };
    let started = Instant::now();
    let publish =
        tokio::spawn(async move { load::run(&cfg, Arc::new(AtomicU64::new(0))).await.unwrap() });
    let stored = "sitepulse_messages_stored_total{kind=\"status\"}";
    let mut written = 0u64;
    let mut killed = 0;
    let reader = || sitepulse::store::sqlite::SqliteReader::open(&db).unwrap();
    loop {
        let total = reader().status_count().unwrap();
        if total >= messages {
            break;
        }
        if killed < kills && total >= messages * (killed + 1) / (kills + 1) {
            written += write_bytes(collector.pid());
            collector.kill();
            killed += 1;
            println!(
                "  kill {killed} at {total} stored, wal {:.1} MiB",
                mib(size(&wal))
            );
            collector = spawn();
            collector.wait_ready().await;
        }
        let _ = util::metric(collector.http, stored).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    written += write_bytes(collector.pid());
    let report = publish.await.unwrap();
    sampling.abort();
    let count = reader().status_count().unwrap();
    let payload = report.payload_bytes as u64;
    println!(
        "  {count} reports stored in {:.1} s ({:.0}/s), payload {payload} B",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  wal peak {:.1} MiB (bound store.wal_max_mb = 64); database {:.1} MiB, wal at the end {:.1} MiB",
        mib(peak.load(Ordering::Relaxed)),
        mib(size(&db)),
        mib(size(&wal))
    );
    println!(
        "  written to disk {:.0} MiB: {:.0} B per report, {:.1}x the payload; stored {:.0} B per report",
        mib(written),
        written as f64 / count as f64,
        written as f64 / (count * payload) as f64,
        (size(&db) + size(&wal)) as f64 / count as f64
    );
    collector.kill();
}
