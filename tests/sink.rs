//! The line-protocol sink against a real server: VictoriaMetrics takes the InfluxDB v2 write API
//! (`/api/v2/write`), and its export API gives back every sample as stored, duplicates included.
//! Every report arrives once with its tags; an outage is held on disk and replayed in order; a
//! full buffer holds ingest and raises the alarm.

use crate::util::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Every acknowledged report is in the server exactly once, and nothing else is.
/// Waits (bounded) for the server to show as many points as were acknowledged: what it took is
/// searchable a moment later.
pub async fn assert_once_in_server(vm: &Victoria, acked: &HashSet<(String, String, u64)>) {
    let keys = eventually(30, "the server showing every point it took", || async {
        let keys = vm.status_keys().await;
        (keys.len() >= acked.len()).then_some(keys)
    })
    .await;
    let want: HashSet<(String, u64)> = acked.iter().map(|(s, _, q)| (s.clone(), *q)).collect();
    assert_each_once(&keys, &want, "the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_reach_the_server_once_with_their_tags() {
    let vm = Victoria::start();
    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start();
    let url = m.url();
    let c = Collector::start(sink_config(dir.path(), &url, &vm.url())).await;

    // Unplanned sites take their tags from their info message.
    publish(
        &url,
        "sitepulse/v1/sites/TAG-1/info",
        info_json("TAG-1", "371502", &["cucc", "cmcc"]),
    )
    .await;
    publish(
        &url,
        "sitepulse/v1/sites/TAG-2/info",
        info_json("TAG-2", "371521", &["ctcc"]),
    )
    .await;
    eventually(20, "info messages stored", || async {
        (c.metric("sitepulse_messages_stored_total{kind=\"info\"}")
            .await
            >= 2.0)
            .then_some(())
    })
    .await;
    let mut acked = HashSet::new();
    for seq in 0..40u64 {
        for site in ["TAG-1", "TAG-2", "TAG-3"] {
            publish_status(&url, site, "b1", seq, "on_air").await;
            acked.insert((site.to_string(), "b1".to_string(), seq));
        }
    }
    eventually(30, "120 reports in the server", || async {
        (vm.status_keys().await.len() >= 120).then_some(())
    })
    .await;
    assert_once_in_server(&vm, &acked).await;

    let battery = vm.export("site_status_battery_v").await;
    let by_site: HashMap<&str, &Exported> = battery
        .iter()
        .map(|s| (s.metric["site"].as_str(), s))
        .collect();
    let t1 = &by_site["TAG-1"].metric;
    assert_eq!(t1["county"], "371502");
    assert_eq!(t1["operator"], "cmcc+cucc", "operators in a fixed order");
    assert_eq!(t1["kind"], "macro");
    assert_eq!(by_site["TAG-2"].metric["operator"], "ctcc");
    // No plan, no info: only the site tag.
    let t3 = &by_site["TAG-3"].metric;
    assert!(
        !t3.contains_key("county") && !t3.contains_key("operator"),
        "{t3:?}"
    );
    assert!(
        by_site["TAG-1"]
            .values
            .iter()
            .all(|v| (*v - 53.2).abs() < 1e-9)
    );
    let ts = &by_site["TAG-1"].timestamps;
    assert!(
        ts.iter().any(|t| t % 1000 != 0),
        "millisecond precision, not seconds: {ts:?}"
    );

    let cells = vm.export("site_cell_users").await;
    assert_eq!(cells.len(), 3, "one cell series per site");
    for s in &cells {
        assert_eq!(s.metric["band"], "n78");
        assert_eq!(s.metric["cell"], "0");
        assert_eq!(s.values.len(), 40);
        assert!(s.values.iter().all(|v| *v == 12.0));
    }
    // Sequence numbers and boots are fields, never tags.
    for s in vm.export("site_.*").await {
        assert!(!s.metric.contains_key("seq") && !s.metric.contains_key("boot"));
    }
    assert_eq!(c.metric("sitepulse_sink_lines_written_total").await, 240.0);
    assert_eq!(c.metric("sitepulse_sink_buffer_lines").await, 0.0);
    c.stop().await;
}

/// The server is stopped in the middle of a stream and started again later: the collector keeps
/// storing and acknowledging, the lines wait on disk (`/metrics` shows the buffer filling), then
/// go out in order (and the buffer drains); every acknowledged report is in the server once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_is_buffered_on_disk_and_replayed_once() {
    let mut vm = Victoria::start();
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(sink_config(dir.path(), &m.url(), &vm.url())).await;
    let publisher = TrackingPublisher::connect(&m.url(), &unique_id("outage-pub"));
    const SITES: u64 = 20;

    publisher.publish_stream("OUT", SITES, 0, 1000).await;
    eventually(60, "the first 1,000 reports in the server", || async {
        (vm.status_keys().await.len() >= 1000).then_some(())
    })
    .await;

    vm.stop();
    publisher.publish_stream("OUT", SITES, 1000, 3000).await;
    // Stored and acknowledged while the server is down; two lines per report wait on disk.
    eventually(60, "2,000 reports buffered during the outage", || async {
        let stored = c
            .metric("sitepulse_messages_stored_total{kind=\"status\"}")
            .await;
        let buffered = c.metric("sitepulse_sink_buffer_lines").await;
        (stored == 3000.0 && buffered == 4000.0).then_some(())
    })
    .await;
    assert_eq!(c.metric("sitepulse_sink_up").await, 0.0);
    assert!(c.metric("sitepulse_sink_write_failures_total").await >= 1.0);
    assert!(c.metric("sitepulse_sink_buffer_bytes").await > 0.0);

    vm.restart();
    eventually(60, "the buffer drained into the server", || async {
        (c.metric("sitepulse_sink_buffer_lines").await == 0.0).then_some(())
    })
    .await;
    assert_eq!(c.metric("sitepulse_sink_up").await, 1.0);
    assert_eq!(c.metric("sitepulse_sink_buffer_bytes").await, 0.0);
    let acked = eventually(30, "every publish acknowledged", || async {
        (publisher.acked_count() == 3000).then(|| publisher.acked.lock().unwrap().clone())
    })
    .await;
    assert_once_in_server(&vm, &acked).await;
    c.stop().await;
}

/// With the server away long enough to fill the buffer, the collector stops committing (the
/// broker keeps the messages), raises the alarm, and takes everything once the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_buffer_holds_ingest_and_raises_the_alarm() {
    let mut vm = Victoria::start();
    vm.stop();
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sink_config(dir.path(), &m.url(), &vm.url());
    cfg.influxdb.buffer_max_mb = 1;
    cfg.store.batch_max = 100;
    let c = Collector::start(cfg).await;
    let publisher = Arc::new(TrackingPublisher::connect(&m.url(), &unique_id("full-pub")));
    const TOTAL: u64 = 6000;
    publisher.publish_stream("FULL", 30, 0, TOTAL).await;
    eventually(60, "the buffer-full alarm", || async {
        (c.metric("sitepulse_sink_buffer_full").await == 1.0).then_some(())
    })
    .await;
    let held = c
        .metric("sitepulse_messages_stored_total{kind=\"status\"}")
        .await;
    assert!(
        held < TOTAL as f64,
        "ingest went on with a full buffer: {held}"
    );
    assert!(c.metric("sitepulse_sink_buffer_bytes").await >= (1 << 20) as f64);
    assert!(c.metric("sitepulse_store_errors_total").await >= 1.0);

    vm.restart();
    eventually(90, "every report stored and sent", || async {
        let stored = c
            .metric("sitepulse_messages_stored_total{kind=\"status\"}")
            .await;
        let buffered = c.metric("sitepulse_sink_buffer_lines").await;
        (stored == TOTAL as f64 && buffered == 0.0).then_some(())
    })
    .await;
    assert_eq!(c.metric("sitepulse_sink_buffer_full").await, 0.0);
    let acked = publisher.acked.lock().unwrap().clone();
    assert_eq!(acked.len(), TOTAL as usize);
    assert_once_in_server(&vm, &acked).await;
    c.stop().await;
}

/// The collector crashes (no shutdown) while the server is down: the lines it acknowledged wait
/// in the store's file and go out after the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffered_lines_survive_a_crash() {
    let mut vm = Victoria::start();
    vm.stop();
    // Mosquitto: the embedded broker's threads would outlive the crash and hold its port.
    let m = Mosquitto::start();
    let url = m.url();
    let dir = tempfile::tempdir().unwrap();
    let cfg = sink_config(dir.path(), &url, &vm.url());
    let c = Collector::start(cfg.clone()).await;
    let mut acked = HashSet::new();
    for seq in 0..200u64 {
        publish_status(&url, "CRASH-1", "b1", seq, "on_air").await;
        acked.insert(("CRASH-1".to_string(), "b1".to_string(), seq));
    }
    eventually(30, "400 lines buffered", || async {
        (c.metric("sitepulse_sink_buffer_lines").await == 400.0).then_some(())
    })
    .await;
    c.abort().await;

    vm.restart();
    let c = Collector::start(cfg).await;
    eventually(30, "the buffer sent after the restart", || async {
        (c.metric("sitepulse_sink_buffer_lines").await == 0.0).then_some(())
    })
    .await;
    assert_once_in_server(&vm, &acked).await;
    c.stop().await;
}

/// Answers a real server cannot be made to give on demand, from a stand-in write endpoint:
/// 503 with `Retry-After`, 413 for a large body, 400 for a body holding one site's points.
/// The sender waits as told, halves, sets the refused row aside with the alarm, and delivers
/// the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refusals_are_waited_out_split_or_set_aside() {
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::Mutex;
    use std::time::Instant;

    #[derive(Default)]
    struct Seen {
        requests: Vec<(Instant, u16, usize)>,
        accepted: Vec<String>,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/api/v2/write",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let s = s.clone();
            async move {
                let mut seen = s.lock().unwrap();
                let lines = body.lines().count();
                let first = seen.requests.is_empty();
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
                let (status, retry) = if auth != Some("Token test-token") {
                    (StatusCode::UNAUTHORIZED, None)
                } else if first {
                    (StatusCode::SERVICE_UNAVAILABLE, Some("1"))
                } else if lines > 40 {
                    (StatusCode::PAYLOAD_TOO_LARGE, None)
                } else if body.contains("site=REFUSED") {
                    (StatusCode::BAD_REQUEST, None)
                } else {
                    seen.accepted.extend(body.lines().map(str::to_string));
                    (StatusCode::NO_CONTENT, None)
                };
                seen.requests.push((Instant::now(), status.as_u16(), lines));
                let mut h = HeaderMap::new();
                if let Some(r) = retry {
                    h.insert("retry-after", r.parse().unwrap());
                }
                (status, h, "")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start();
    let url = m.url();
    let mut cfg = sink_config(dir.path(), &url, &server_url);
    cfg.influxdb.batch_lines = 100;
    let c = Collector::start(cfg).await;
    // The refused site's report is committed on its own, so it is a row of its own.
    publish_status(&url, "REFUSED", "b1", 0, "on_air").await;
    eventually(20, "the refused report stored", || async {
        (c.metric("sitepulse_messages_stored_total{kind=\"status\"}")
            .await
            == 1.0)
            .then_some(())
    })
    .await;
    for seq in 0..60u64 {
        publish_status(&url, "GOOD", "b1", seq, "on_air").await;
    }
    eventually(30, "every line sent or set aside", || async {
        (c.metric("sitepulse_sink_buffer_lines").await == 0.0
            && c.metric("sitepulse_messages_stored_total{kind=\"status\"}")
                .await
                == 61.0)
            .then_some(())
    })
    .await;

    let (requests, accepted) = {
        let seen = seen.lock().unwrap();
        (seen.requests.clone(), seen.accepted.clone())
    };
    let (t0, first, _) = requests[0];
    assert_eq!(first, 503);
    let (t1, _, _) = requests[1];
    assert!(
        t1 - t0 >= std::time::Duration::from_millis(900),
        "retried {:?} after a Retry-After of 1 s",
        t1 - t0
    );
    let statuses: Vec<u16> = requests.iter().map(|r| r.1).collect();
    assert!(
        statuses.contains(&413) && statuses.contains(&400),
        "{statuses:?}"
    );
    assert!(
        requests.iter().filter(|r| r.1 == 204).all(|r| r.2 <= 40),
        "a batch the server called too large went out again whole"
    );
    // Every good report delivered once; the refused one kept aside, not delivered, not lost.
    let good: Vec<&String> = accepted
        .iter()
        .filter(|l| l.starts_with("site_status,site=GOOD"))
        .collect();
    assert_eq!(good.len(), 60);
    assert_eq!(good.iter().collect::<HashSet<_>>().len(), 60);
    assert!(!accepted.iter().any(|l| l.contains("REFUSED")));
    assert_eq!(c.metric("sitepulse_sink_lines_dead_total").await, 2.0);
    let db = rusqlite::Connection::open(dir.path().join("sitepulse.db")).unwrap();
    let (n, status, lines): (i64, i64, String) = db
        .query_row("SELECT n, status, lines FROM outbox_dead", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((n, status), (2, 400));
    assert!(lines.starts_with("site_status,site=REFUSED"));
    c.stop().await;
}

/// An https write API signed by a private CA: trusted with `influxdb.ca_file`, refused without
/// it (the lines stay buffered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_private_ca() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_ca(certs.path());
    let vm = Victoria::start_tls(&cert, &key);
    assert!(vm.url().starts_with("https://"));

    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start();
    let url = m.url();
    let mut cfg = sink_config(dir.path(), &url, &vm.url());
    cfg.influxdb.ca_file = Some(ca);
    let c = Collector::start(cfg).await;
    for seq in 0..10u64 {
        publish_status(&url, "TLS-1", "b1", seq, "on_air").await;
    }
    eventually(30, "20 lines accepted over https", || async {
        (c.metric("sitepulse_sink_lines_written_total").await == 20.0
            && c.metric("sitepulse_sink_buffer_lines").await == 0.0)
            .then_some(())
    })
    .await;
    c.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(sink_config(dir.path(), &url, &vm.url())).await;
    for seq in 0..10u64 {
        publish_status(&url, "TLS-2", "b1", seq, "on_air").await;
    }
    eventually(
        30,
        "an untrusted server refused and the lines kept",
        || async {
            (c.metric("sitepulse_sink_write_failures_total").await >= 1.0
                && c.metric("sitepulse_sink_buffer_lines").await == 20.0)
                .then_some(())
        },
    )
    .await;
    assert_eq!(c.metric("sitepulse_sink_lines_written_total").await, 0.0);
    assert_eq!(c.metric("sitepulse_sink_up").await, 0.0);
    c.stop().await;
}
