//! Store outages made real: the store on a small tmpfs that fills up while reports flow, a
//! SIGTERM while every commit fails, and a read-only file system at start. Mounting needs root
//! (CAP_SYS_ADMIN), as `.ci/run` has; without it these tests fail and say so.

use crate::util::*;
use sitepulse::store::sqlite::SqliteReader;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A tmpfs of `size_mb` mounted in a temporary directory, unmounted on drop.
struct Tmpfs {
    mnt: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mb: u32) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let mnt = dir.path().join("mnt");
        std::fs::create_dir(&mnt).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tmpfs"])
            .arg(&mnt)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "these tests mount a small tmpfs to fill it and need root (CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { mnt, _dir: dir }
    }

    fn path(&self) -> &Path {
        &self.mnt
    }

    /// Writes zeros until the file system is full; returns the file that holds them.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.mnt.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 1 << 16];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        filler
    }

    fn remount(&self, options: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.mnt)
            .status()
            .unwrap();
        assert!(ok.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

async fn readyz(http: std::net::SocketAddr) -> (u16, serde_json::Value) {
    get(http, "/readyz").await
}

/// Publishes reports to sites `OUT-000..` until `stop`; returns how many it sent.
fn stream(
    publisher: Arc<TrackingPublisher>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    from: u64,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut i = from;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            publisher
                .publish_status(&format!("OUT-{:03}", i % 100), "boot1", i / 100)
                .await;
            i += 1;
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        i
    })
}

/// The disk fills while reports flow: `/readyz` turns 503 with "disk full", the gauge drops, the
/// log has one ALARM (not one line per retry); space freed, everything acknowledged is stored
/// once. Then SIGTERM while commits fail: the collector exits within its shutdown timeout, and
/// what it had not stored is delivered again to the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_survived_and_does_not_block_shutdown() {
    let fs = Tmpfs::mount(48);
    let m = Mosquitto::start();
    let outside = tempfile::tempdir().unwrap();
    let mut cfg = config(fs.path(), &m.url());
    cfg.mqtt.client_id = "outage-collector".into();
    cfg.store.shutdown_timeout_s = 3;
    let conf = outside.path().join("sitepulse.toml");
    let log = outside.path().join("collector.log");
    let c = CollectorProcess::spawn_config_logged(&cfg, &conf, &log);
    c.wait_ready().await;
    let publisher = Arc::new(TrackingPublisher::connect(&m.url(), "outage-publisher"));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stream(publisher.clone(), stop.clone(), 0);
    eventually(60, "reports stored", || async {
        (metric(c.http, "sitepulse_messages_stored_total{kind=\"status\"}").await >= 2_000.0)
            .then_some(())
    })
    .await;

    // Disk full.
    let full_at = Instant::now();
    let filler = fs.fill();
    let body = eventually(60, "/readyz 503 on a full disk", || async {
        let (status, body) = readyz(c.http).await;
        (status == 503).then_some(body)
    })
    .await;
    let to_503 = full_at.elapsed();
    assert_eq!(body["cause"], "disk_full", "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("the disk is full"),
        "{body}"
    );
    assert_eq!(metric(c.http, "sitepulse_store_healthy").await, 0.0);
    // Commits keep failing for a while: the log does not repeat itself.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(readyz(c.http).await.0, 503);

    // Space freed.
    let freed_at = Instant::now();
    std::fs::remove_file(&filler).unwrap();
    eventually(60, "/readyz 200 once space is free", || async {
        (readyz(c.http).await.0 == 200).then_some(())
    })
    .await;
    let to_200 = freed_at.elapsed();
    assert_eq!(metric(c.http, "sitepulse_store_healthy").await, 1.0);
    let text = std::fs::read_to_string(&log).unwrap();
    let alarms = text
        .lines()
        .filter(|l| l.contains("ALARM store commits fail"))
        .count();
    assert_eq!(alarms, 1, "one ALARM for the outage:\n{text}");
    let checkpoint_lines = text
        .lines()
        .filter(|l| l.contains("wal checkpoint"))
        .count();
    assert!(
        checkpoint_lines <= 2,
        "checkpoint failures flood the log:\n{text}"
    );
    assert!(text.contains("store commits succeed again"), "{text}");
    for l in text
        .lines()
        .filter(|l| l.contains("ALARM") || l.contains("again"))
    {
        println!("log: {l}");
    }

    // Full again, then SIGTERM while every commit fails.
    let filler = fs.fill();
    eventually(60, "/readyz 503 again", || async {
        (readyz(c.http).await.0 == 503).then_some(())
    })
    .await;
    let term_at = Instant::now();
    let exit = tokio::task::spawn_blocking(move || c.terminate());
    // Before systemd's TimeoutStopSec (30 s) would kill it: the shutdown is bounded.
    let exit = tokio::time::timeout(Duration::from_secs(25), exit)
        .await
        .expect("SIGTERM did not stop a collector whose commits fail")
        .unwrap();
    let to_exit = term_at.elapsed();
    assert!(exit.success(), "{exit:?}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = s.await.unwrap();
    std::fs::remove_file(&filler).unwrap();

    // The next run gets what was not acknowledged from the broker.
    let c = CollectorProcess::spawn_config_logged(&cfg, &conf, &outside.path().join("2.log"));
    c.wait_ready().await;
    eventually(60, "every report acknowledged by the broker", || async {
        (publisher.acked_count() as u64 == sent).then_some(())
    })
    .await;
    let acked: HashSet<(String, String, u64)> = publisher.acked.lock().unwrap().clone();
    let db = fs.path().join("sitepulse.db");
    let reader = SqliteReader::open(&db).unwrap();
    eventually(60, "every acknowledged report stored", || async {
        (reader.status_count().unwrap() >= sent).then_some(())
    })
    .await;
    assert_each_once(&reader.all_keys().unwrap(), &acked, "the store");
    println!(
        "disk full → /readyz 503 in {:.1} s; space freed → 200 in {:.1} s; SIGTERM with failing commits → exit in {:.1} s (shutdown_timeout_s 3); {sent} reports, each stored once",
        to_503.as_secs_f64(),
        to_200.as_secs_f64(),
        to_exit.as_secs_f64()
    );
    drop(reader);
    c.kill();
}

/// A store on a read-only file system: the collector refuses to start and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_store_is_refused_at_start_with_the_reason() {
    let fs = Tmpfs::mount(16);
    let outside = tempfile::tempdir().unwrap();
    let mut cfg = config(fs.path(), "mqtt://127.0.0.1:1");
    cfg.broker.embedded = true;
    cfg.broker.listen = ([127, 0, 0, 1], free_port()).into();
    cfg.mqtt.url = format!("mqtt://{}", cfg.broker.listen);
    // A store written once, then the file system goes read-only.
    drop(sitepulse::store::sqlite::SqliteStore::open(&cfg.store.path, 10).unwrap());
    fs.remount("ro");
    let conf = outside.path().join("sitepulse.toml");
    std::fs::write(&conf, toml::to_string(&cfg).unwrap()).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_sitepulse"))
            .args(["serve", "--config"])
            .arg(&conf)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "started on a read-only store: {stderr}"
    );
    assert!(stderr.contains("read-only"), "{stderr}");
    fs.remount("rw");
}
