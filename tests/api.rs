//! The HTTP API: answers, filters, history, and errors that say what to fix.

use crate::util::*;

async fn collector_with_embedded_broker(dir: &std::path::Path) -> (Collector, String) {
    let (cfg, url) = embedded_config(dir);
    (Collector::start(cfg).await, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_history_filters_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (c, url) = collector_with_embedded_broker(dir.path()).await;
    publish(
        &url,
        "sitepulse/v1/sites/API-1/info",
        info_json("API-1", "371502", &["cmcc"]),
    )
    .await;
    publish(
        &url,
        "sitepulse/v1/sites/API-2/info",
        info_json("API-2", "371581", &["cucc", "ctcc"]),
    )
    .await;
    for seq in 0..5 {
        publish_status(&url, "API-1", "b", seq, "installed").await;
    }
    let mut door =
        serde_json::from_str::<serde_json::Value>(&status_json("API-2", "b", 0, "on_air")).unwrap();
    door["cabinet"]["door_open"] = true.into();
    publish(&url, "sitepulse/v1/sites/API-2/status", door.to_string()).await;
    eventually(30, "both sites reported", || async {
        let (_, b) = c.get("/api/v1/sites?stage=on_air").await;
        (b["total"] == 1).then_some(())
    })
    .await;

    let (_, b) = c.get("/api/v1/sites?county=371502").await;
    assert_eq!(b["total"], 1);
    assert_eq!(b["sites"][0]["site"], "API-1");
    let (_, b) = c.get("/api/v1/sites?operator=ctcc").await;
    assert_eq!(b["sites"][0]["site"], "API-2");
    // The filter takes the spellings the plan takes (电信 is ctcc).
    let (status, zh) = c.get("/api/v1/sites?operator=%E7%94%B5%E4%BF%A1").await;
    assert_eq!(status, 200, "{zh}");
    assert_eq!(zh["sites"], b["sites"]);
    let (_, b) = c.get("/api/v1/sites?alarm=door_open").await;
    assert_eq!(b["total"], 1);
    assert_eq!(b["sites"][0]["alarms"], serde_json::json!(["door_open"]));
    let (_, b) = c.get("/api/v1/sites?limit=1&offset=1").await;
    assert_eq!(
        (b["total"].as_u64(), b["sites"].as_array().unwrap().len()),
        (Some(2), 1)
    );

    eventually(30, "five reports of API-1 in history", || async {
        let (_, h) = c.get("/api/v1/sites/API-1/history").await;
        (h["count"] == 5).then_some(())
    })
    .await;
    let (_, h) = c.get("/api/v1/sites/API-1/history?limit=2").await;
    let seqs: Vec<u64> = h["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![0, 1]);
    let (_, h) = c
        .get("/api/v1/sites/API-1/history?from=2001-01-01T00:00:00Z&to=2001-02-01T00:00:00Z")
        .await;
    assert_eq!(h["count"], 0);

    let (_, d) = c.get("/api/v1/sites/API-1").await;
    assert_eq!(d["stage_changes"][0]["to"], "installed");
    assert_eq!(d["stage_changes"][0]["from"], serde_json::Value::Null);

    let (_, p) = c.get("/api/v1/progress").await;
    // No plan is imported: both sites are known from their agents only, and count apart.
    assert_eq!(
        p["total"],
        serde_json::json!({"sites": 0, "built": 0, "on_air": 0})
    );
    assert_eq!(
        p["unplanned"],
        serde_json::json!({"sites": 2, "built": 2, "on_air": 1})
    );
    assert_eq!(p["targets"][0]["target_on_air"], 1500);
    assert_eq!(p["targets"][1]["target_on_air"], 10000);

    // Errors: status code and a message that says what to fix.
    let cases = [
        ("/api/v1/sites/NOPE", 404, "not known"),
        ("/api/v1/sites?stage=done", 400, "use one of planned"),
        ("/api/v1/sites?operator=att", 400, "cmcc"),
        ("/api/v1/sites?color=red", 400, "color"),
        (
            "/api/v1/sites/API-1/history?from=yesterday",
            400,
            "RFC 3339",
        ),
        (
            "/api/v1/sites/API-1/history?from=2021-01-02T00:00:00Z&to=2021-01-01T00:00:00Z",
            400,
            "after",
        ),
        ("/api/v1/sites/API-1/history?limit=0", 400, "limit"),
        ("/api/v2/anything", 404, "no route"),
    ];
    for (path, code, text) in cases {
        let r = crate::util::http_client()
            .get(format!("http://{}{path}", c.http))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), code, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(text), "{path}: {body}");
    }
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_health_and_metrics_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (c, _) = collector_with_embedded_broker(dir.path()).await;
    let r = crate::util::http_client()
        .get(format!("http://{}/api/v1/schema", c.http))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), sitepulse::wire::schema::COMMITTED);
    assert_eq!(c.get("/healthz").await.0, 200);
    assert_eq!(c.get("/readyz").await.0, 200);
    assert_eq!(c.metric("sitepulse_mqtt_connected").await, 1.0);
    assert_eq!(
        c.metric("sitepulse_messages_rejected_total{reason=\"too_large\"}")
            .await,
        0.0
    );
    c.stop().await;
}

/// State survives a restart: it is rebuilt from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_is_rebuilt_from_the_store_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (c, url) = collector_with_embedded_broker(dir.path()).await;
    publish(
        &url,
        "sitepulse/v1/sites/KEEP-1/info",
        info_json("KEEP-1", "371526", &["ctcc"]),
    )
    .await;
    publish_status(&url, "KEEP-1", "b", 3, "on_air").await;
    eventually(30, "KEEP-1 stored", || async {
        (c.get("/api/v1/sites/KEEP-1").await.0 == 200).then_some(())
    })
    .await;
    let db = c.db.clone();
    c.stop().await;

    // A new collector on the same store, another broker, nothing published.
    let (mut cfg, _) = embedded_config(dir.path());
    cfg.store.path = db;
    let c = Collector::start(cfg).await;
    let (code, d) = c.get("/api/v1/sites/KEEP-1").await;
    assert_eq!(code, 200);
    assert_eq!(d["latest"]["seq"], 3);
    assert_eq!(d["info"]["county"], "371526");
    assert!(d["on_air_since"].is_string());
    c.stop().await;
}
