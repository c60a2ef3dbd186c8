//! Nothing acknowledged is lost: a collector killed mid-stream, and a store that fails.

use crate::util::*;
use sitepulse::store::sqlite::{SqliteReader, SqliteStore};
use sitepulse::store::{BoxStore, Envelope, Outcome, Store, StoreError};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every key the broker acknowledged to the publisher is in the store exactly once, and nothing
/// else is.
fn assert_exactly_once(db: &std::path::Path, acked: &HashSet<(String, String, u64)>) {
    let keys = SqliteReader::open(db).unwrap().all_keys().unwrap();
    assert_each_once(&keys, acked, "the store");
}

/// The collector process is killed (SIGKILL) while a stream is flowing, then started again with
/// the same client id: the broker redelivers what was not acknowledged, the store takes each
/// report once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_and_restart_loses_nothing_and_stores_nothing_twice() {
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitepulse.db");
    let collector = CollectorProcess::spawn(&db, &m.url(), "kill-test-collector");
    collector.wait_ready().await;

    let publisher = Arc::new(TrackingPublisher::connect(&m.url(), "kill-test-publisher"));
    const SITES: u64 = 200;
    const TOTAL: u64 = 30_000;
    let p = publisher.clone();
    let stream = tokio::spawn(async move {
        p.publish_paced(
            "KILL",
            SITES,
            TOTAL,
            500,
            std::time::Duration::from_millis(20),
        )
        .await;
    });

    let reader = SqliteReader::open(&db).unwrap();
    eventually(60, "some reports stored before the kill", || async {
        (reader.status_count().unwrap() >= 3_000).then_some(())
    })
    .await;
    collector.kill();
    let at_kill = reader.status_count().unwrap();
    assert!(
        !stream.is_finished(),
        "the stream must still be flowing when the collector dies"
    );

    // Publishing goes on while the collector is down; the broker queues for its session.
    eventually(
        60,
        "more acknowledged while the collector is down",
        || async { (publisher.acked_count() as u64 >= at_kill + 3_000).then_some(()) },
    )
    .await;
    let collector = CollectorProcess::spawn(&db, &m.url(), "kill-test-collector");
    collector.wait_ready().await;
    stream.await.unwrap();
    eventually(60, "every report acknowledged by the broker", || async {
        (publisher.acked_count() as u64 == TOTAL).then_some(())
    })
    .await;
    eventually(120, "every acknowledged report stored", || async {
        (reader.status_count().unwrap() >= TOTAL).then_some(())
    })
    .await;
    let acked = publisher.acked.lock().unwrap().clone();
    assert_exactly_once(&db, &acked);
    collector.kill();
}

/// A store whose commits fail while `failing` is set: a disk that is full or gone.
struct FlakyStore {
    inner: SqliteStore,
    failing: Arc<AtomicBool>,
}

impl Store for FlakyStore {
    fn commit(&mut self, batch: &[Envelope]) -> Result<Vec<Outcome>, StoreError> {
        if self.failing.load(Ordering::Acquire) {
            return Err(StoreError::Io(std::io::Error::other(
                "disk unavailable (test fault)",
            )));
        }
        self.inner.commit(batch)
    }
}

/// While the store fails, nothing is acknowledged: a collector that then dies without ever
/// committing leaves every message with the broker, and the next collector stores them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_outage_holds_acks_until_commit() {
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m.url());
    let failing = Arc::new(AtomicBool::new(true));
    let store: BoxStore = Box::new(FlakyStore {
        inner: SqliteStore::open(&cfg.store.path, 100).unwrap(),
        failing: failing.clone(),
    });
    let c = Collector::start_with_store(cfg.clone(), Some(store)).await;
    let publisher = TrackingPublisher::connect(&m.url(), "outage-publisher");
    for seq in 0..100 {
        publisher.publish_status("OUTAGE-1", "b", seq).await;
    }
    eventually(
        30,
        "broker acknowledged all 100 to the publisher",
        || async { (publisher.acked_count() == 100).then_some(()) },
    )
    .await;
    eventually(30, "commits failing", || async {
        (c.metric("sitepulse_store_errors_total").await >= 2.0).then_some(())
    })
    .await;
    assert_eq!(
        c.metric("sitepulse_acks_pending").await,
        0.0,
        "nothing committed, nothing to ack"
    );
    assert_eq!(
        SqliteReader::open(&cfg.store.path)
            .unwrap()
            .status_count()
            .unwrap(),
        0
    );
    // The collector dies without its store ever recovering.
    c.abort().await;

    // Same client id: the broker still holds the 100 unacknowledged messages for this session.
    let c = Collector::start(cfg.clone()).await;
    let reader = SqliteReader::open(&cfg.store.path).unwrap();
    eventually(60, "all 100 stored after the restart", || async {
        (reader.status_count().unwrap() == 100).then_some(())
    })
    .await;
    let acked = publisher.acked.lock().unwrap().clone();
    assert_exactly_once(&cfg.store.path, &acked);
    c.stop().await;
}
