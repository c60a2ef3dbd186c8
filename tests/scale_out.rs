//! Scale-out: two `sitepulse serve` processes in one shared-subscription group on a real
//! Mosquitto split the load, each writing its share of the series to the line-protocol server.
//! One is killed (SIGKILL) in the middle of the stream and started again: every report the broker
//! acknowledged is stored by exactly one collector and reaches the server.

use crate::sink::assert_once_in_server;
use crate::util::*;
use sitepulse::store::sqlite::SqliteReader;
use std::collections::HashSet;
use std::sync::Arc;

type Key = (String, String, u64);

fn local_keys(db: &std::path::Path) -> Vec<Key> {
    SqliteReader::open(db).unwrap().all_keys().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_in_one_group_store_each_report_once() {
    // InfluxDB keeps one point per series and timestamp; VictoriaMetrics does the same with
    // deduplication on. A collector killed after the server took a batch but before it noted
    // that, sends the batch again after its restart: the same points, kept once.
    let vm = Victoria::start_with(&["-dedup.minScrapeInterval=1ms"]);
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let node = |name: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        let mut c = sink_config(&d, &m.url(), &vm.url());
        c.mqtt.client_id = format!("scale-{name}-{}", std::process::id());
        c.mqtt.share_group = Some("sitepulse".into());
        (c, d.join("sitepulse.toml"))
    };
    let (cfg_a, file_a) = node("a");
    let (cfg_b, file_b) = node("b");
    let a = CollectorProcess::spawn_config(&cfg_a, &file_a);
    let b = CollectorProcess::spawn_config(&cfg_b, &file_b);
    a.wait_ready().await;
    b.wait_ready().await;

    let publisher = Arc::new(TrackingPublisher::connect(
        &m.url(),
        &unique_id("scale-pub"),
    ));
    const SITES: u64 = 100;
    const TOTAL: u64 = 20_000;
    let publish = |from: u64, to: u64| publisher.publish_stream("SCALE", SITES, from, to);

    // The first half; collector a is killed while it is still taking it in.
    publish(0, TOTAL / 2).await;
    eventually(60, "both collectors storing", || async {
        let (na, nb) = (
            local_keys(&cfg_a.store.path).len(),
            local_keys(&cfg_b.store.path).len(),
        );
        (na >= 1000 && nb >= 1000).then_some(())
    })
    .await;
    a.kill();
    // The second half while a is down, then a comes back under the same client id.
    publish(TOTAL / 2, TOTAL).await;
    let a = CollectorProcess::spawn_config(&cfg_a, &file_a);
    a.wait_ready().await;

    let acked = eventually(60, "every publish acknowledged by the broker", || async {
        (publisher.acked_count() == TOTAL as usize).then(|| publisher.acked.lock().unwrap().clone())
    })
    .await;
    // Each report stored by exactly one of the two.
    let (ka, kb) = eventually(120, "every report stored", || async {
        let (ka, kb) = (local_keys(&cfg_a.store.path), local_keys(&cfg_b.store.path));
        (ka.len() + kb.len() >= TOTAL as usize).then_some((ka, kb))
    })
    .await;
    let sa: HashSet<Key> = ka.iter().cloned().collect();
    let sb: HashSet<Key> = kb.iter().cloned().collect();
    assert_eq!(sa.len(), ka.len(), "collector a stored a report twice");
    assert_eq!(sb.len(), kb.len(), "collector b stored a report twice");
    let both: Vec<_> = sa.intersection(&sb).take(5).collect();
    assert!(both.is_empty(), "stored by both collectors: {both:?}");
    let all: HashSet<Key> = sa.union(&sb).cloned().collect();
    assert_eq!(all, acked, "stored reports differ from acknowledged ones");
    assert!(!sa.is_empty() && !sb.is_empty(), "the group split the load");

    // And the server has all of them, from both.
    eventually(120, "every report in the server", || async {
        (vm.status_keys().await.len() >= TOTAL as usize).then_some(())
    })
    .await;
    assert_once_in_server(&vm, &acked).await;
    for c in [&a, &b] {
        eventually(30, "buffers drained", || async {
            (metric(c.http, "sitepulse_sink_buffer_lines").await == 0.0).then_some(())
        })
        .await;
    }
}
