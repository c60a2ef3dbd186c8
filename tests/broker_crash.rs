//! A broker that crashes: Mosquitto killed with SIGKILL mid-stream and started again with the
//! durability settings that `deploy/mosquitto.conf` ships. Every report the publisher got a
//! PUBACK for before a snapshot the broker completed (watched on disk), and every one after its
//! restart, is stored once; what it acknowledged after that and had not yet passed to the
//! collector is the window its snapshot persistence leaves (README, "What a broker crash can
//! lose"): counted and printed, not asserted.

use crate::util::*;
use sitepulse::store::sqlite::SqliteReader;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// The settings of the shipped broker configuration that decide what survives a crash.
fn shipped_durability() -> String {
    let conf = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/mosquitto.conf"),
    )
    .unwrap();
    let keys = [
        "persistence ",
        "autosave_interval ",
        "autosave_on_changes ",
        "max_queued_messages ",
        "max_inflight_messages ",
        "queue_qos0_messages ",
    ];
    let lines: Vec<&str> = conf
        .lines()
        .filter(|l| keys.iter().any(|k| l.starts_with(k)))
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("persistence true")),
        "{lines:?}"
    );
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_mid_stream_loses_nothing_saved_or_acknowledged_after() {
    let mut m = Mosquitto::start_persistent(&shipped_durability());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitepulse.db");
    let collector = CollectorProcess::spawn(&db, &m.url(), "crash-test-collector");
    collector.wait_ready().await;
    let publisher = Arc::new(TrackingPublisher::connect_resilient(
        &m.url(),
        "crash-test-publisher",
    ));
    // Both sessions are in the broker's memory; give it time to save them as configured.
    tokio::time::sleep(Duration::from_secs(3)).await;

    const SITES: u64 = 200;
    const TOTAL: u64 = 60_000;
    let p = publisher.clone();
    let stream = tokio::spawn(async move {
        p.publish_paced("CRASH", SITES, TOTAL, 100, Duration::from_millis(10))
            .await;
    });
    eventually(60, "part of the stream acknowledged", || async {
        (publisher.acked_count() >= 8_000).then_some(())
    })
    .await;
    // What was acknowledged by now is in the broker's next snapshot but one: the first may have
    // started before. Snapshots are watched on disk (Mosquitto writes a new file and renames it
    // over the old one), not assumed from the configured interval, which a loaded machine
    // stretches.
    let saved: HashSet<(String, String, u64)> = publisher.acked.lock().unwrap().clone();
    let snapshot = m.dir().join("mosquitto.db");
    let stamp = || std::fs::metadata(&snapshot).and_then(|m| m.modified()).ok();
    let mut seen = stamp();
    for _ in 0..2 {
        eventually(60, "a snapshot written", || {
            let now = stamp();
            let changed = now.is_some() && now != seen;
            if changed {
                seen = now;
            }
            async move { changed.then_some(()) }
        })
        .await;
    }
    let at_kill: HashSet<(String, String, u64)> = publisher.acked.lock().unwrap().clone();
    tokio::task::block_in_place(|| m.kill_and_restart(Duration::from_secs(1)));
    assert!(
        !stream.is_finished(),
        "the stream must still be flowing when the broker dies"
    );
    stream.await.unwrap();
    // Everything is acknowledged in the end, unless the broker lost the publisher's session:
    // then its client drops what was in flight, which was never acknowledged.
    let (mut last, mut still) = (0, 0);
    while (publisher.acked_count() as u64) < TOTAL && still < 10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let n = publisher.acked_count();
        still = if n == last { still + 1 } else { 0 };
        last = n;
    }
    let acked: HashSet<(String, String, u64)> = publisher.acked.lock().unwrap().clone();
    let reader = SqliteReader::open(&db).unwrap();
    // What must be there: all but the window between the last snapshot and the crash.
    let window: HashSet<_> = at_kill.difference(&saved).cloned().collect();
    let required: HashSet<_> = acked.difference(&window).cloned().collect();
    // Wait until the collector has every required report, or stops making progress.
    let (mut missing, mut last, mut still) = (usize::MAX, usize::MAX, 0);
    for _ in 0..120 {
        let keys: HashSet<_> = reader.all_keys().unwrap().into_iter().collect();
        missing = required.difference(&keys).count();
        if missing == 0 {
            break;
        }
        still = if missing == last { still + 1 } else { 0 };
        if still >= 15 {
            break;
        }
        last = missing;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(
        missing, 0,
        "{missing} reports acknowledged by the broker before its last snapshot or after its restart were lost in its crash"
    );
    let keys: HashSet<_> = reader.all_keys().unwrap().into_iter().collect();
    let lost_in_window = window.difference(&keys).count();
    let stored = reader.all_keys().unwrap();
    let distinct: HashSet<_> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), distinct.len(), "a report is stored twice");
    println!(
        "broker killed after {} acknowledged; {} acknowledged in all, {} stored; lost {lost_in_window} of the {} acknowledged in the 1.5 s before the crash, none otherwise",
        at_kill.len(),
        acked.len(),
        stored.len(),
        window.len()
    );
    collector.kill();
}
