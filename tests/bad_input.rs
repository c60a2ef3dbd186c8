//! Bad input, everywhere: each case gets a clear rejection with its reason, nothing is stored
//! wrongly, and the collector keeps running.

use crate::util::*;
use reqwest::Method;
use serde_json::{Value, json};

fn valid(site: &str, seq: u64) -> Value {
    serde_json::from_str(&status_json(site, "b", seq, "installed")).unwrap()
}

fn topic(site: &str) -> String {
    format!("sitepulse/v1/sites/{site}/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_and_requests_are_refused_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let http = c.http;

    // (what is sent, the reason expected in the quarantine)
    let mut cases: Vec<(&str, String, Vec<u8>, &str)> = Vec::new();
    let mut big = valid("BAD-1", 0);
    big["fw"] = json!("x".repeat(20_000));
    cases.push((
        "oversized payload",
        topic("BAD-1"),
        big.to_string().into_bytes(),
        "too_large",
    ));
    cases.push((
        "invalid UTF-8",
        topic("BAD-1"),
        b"{\"schema\":\"sitepulse.status/1\",\"site\":\"\xff\xfe\"}".to_vec(),
        "invalid_json",
    ));
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    cases.push((
        "deep nesting",
        topic("BAD-1"),
        deep.into_bytes(),
        "invalid_json",
    ));
    let nan = valid("BAD-1", 1).to_string().replace("53.2", "NaN");
    cases.push(("NaN", topic("BAD-1"), nan.into_bytes(), "invalid_json"));
    let inf = valid("BAD-1", 2).to_string().replace("53.2", "1e999");
    cases.push(("infinity", topic("BAD-1"), inf.into_bytes(), "invalid_json"));
    let mut wrong = valid("BAD-1", 3);
    wrong["seq"] = json!("three");
    cases.push((
        "wrong type",
        topic("BAD-1"),
        wrong.to_string().into_bytes(),
        "invalid_json",
    ));
    let mut old = valid("BAD-1", 4);
    old["ts"] = json!("2016-01-01T00:00:00Z");
    cases.push((
        "timestamp years old",
        topic("BAD-1"),
        old.to_string().into_bytes(),
        "timestamp_out_of_range",
    ));
    let mut future = valid("BAD-1", 5);
    future["ts"] = json!("2036-01-01T00:00:00Z");
    cases.push((
        "timestamp years ahead",
        topic("BAD-1"),
        future.to_string().into_bytes(),
        "timestamp_out_of_range",
    ));
    cases.push((
        "site mismatch",
        topic("BAD-2"),
        valid("BAD-1", 6).to_string().into_bytes(),
        "site_mismatch",
    ));
    cases.push((
        "SQL in the topic",
        "sitepulse/v1/sites/A';DROP TABLE status;--/status".into(),
        valid("A", 0).to_string().into_bytes(),
        "invalid_topic",
    ));
    cases.push((
        "path in the topic",
        "sitepulse/v1/sites/..\\..\\etc\\passwd/status".into(),
        valid("A", 0).to_string().into_bytes(),
        "invalid_topic",
    ));
    let mut neg = valid("BAD-1", 7);
    neg["cabinet"]["temp_c"] = json!(-300.0);
    cases.push((
        "out of range",
        topic("BAD-1"),
        neg.to_string().into_bytes(),
        "invalid_field",
    ));
    cases.push(("empty payload", topic("BAD-1"), Vec::new(), "invalid_json"));
    for (_, t, p, _) in &cases {
        publish(&url, t, p.clone()).await;
    }
    // Strings that look like SQL or paths inside a valid report are data, stored as sent.
    let mut odd = valid("ODD-1", 0);
    odd["fw"] = json!("'; DROP TABLE status; -- ../../etc/passwd");
    publish(&url, &topic("ODD-1"), odd.to_string()).await;
    // A site nobody planned is kept and listed, not dropped.
    publish(&url, &topic("NEW-1"), valid("NEW-1", 0).to_string()).await;

    eventually(30, "every bad message quarantined", || async {
        let (_, q) = c.get("/api/v1/quarantine?limit=1000").await;
        (q["messages"].as_array().map(Vec::len) == Some(cases.len())).then_some(())
    })
    .await;
    let (_, q) = c.get("/api/v1/quarantine?limit=1000").await;
    let mut got: Vec<String> = q["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap().to_string())
        .collect();
    let mut expected: Vec<String> = cases.iter().map(|c| c.3.to_string()).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    for m in q["messages"].as_array().unwrap() {
        assert!(
            !m["detail"].as_str().unwrap().is_empty(),
            "a reason says what is wrong: {m}"
        );
    }
    eventually(30, "the good ones stored", || async {
        let (_, u) = c.get("/api/v1/plan/unplanned").await;
        (u["total"] == 2).then_some(())
    })
    .await;
    let (_, h) = c
        .get("/api/v1/sites/ODD-1/history?from=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(
        h["reports"][0]["status"]["fw"],
        "'; DROP TABLE status; -- ../../etc/passwd"
    );
    assert_eq!(
        c.get("/api/v1/sites/BAD-1").await.0,
        404,
        "nothing of BAD-1 was stored"
    );
    assert_eq!(c.get("/api/v1/sites/BAD-2").await.0, 404);

    // HTTP.
    let admin = token(&c.db, "管理员", "admin", None);
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/sites/NEW-1/milestones",
        Some(&admin),
        Some(
            json!({"stage": "built", "note": "x".repeat(100_000)})
                .to_string()
                .into_bytes(),
        ),
    )
    .await;
    assert_eq!(status, 413, "oversized body");
    let (status, body) = request(
        Method::POST,
        http,
        "/api/v1/sites/NEW-1/milestones",
        Some(&admin),
        Some(b"{\"stage\": 7}".to_vec()),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("stage"), "{body}");
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/sites/NEW-1/milestones",
        Some(&admin),
        Some(b"\xff\xfe".to_vec()),
    )
    .await;
    assert_eq!(status, 400, "invalid UTF-8 body");
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/sites/NEW-1/milestones",
        Some("not a token"),
        None,
    )
    .await;
    assert_eq!(status, 401, "malformed token");
    let (status, _) = request(
        Method::GET,
        http,
        "/api/v1/sites/A'%20OR%201=1--",
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let r = crate::util::http_client()
        .get(format!("http://{http}/assets/..%2F..%2FCargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, body) = request(Method::GET, http, "/api/v1/sites?limit=-1", None, None).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = request(Method::GET, http, "/api/v1/checklist/9999-99", None, None).await;
    assert_eq!(status, 400);

    // Still running and still taking reports.
    assert_eq!(c.get("/healthz").await.0, 200);
    publish(&url, &topic("NEW-1"), valid("NEW-1", 1).to_string()).await;
    eventually(30, "still ingesting", || async {
        let (_, h) = c
            .get("/api/v1/sites/NEW-1/history?from=2000-01-01T00:00:00Z")
            .await;
        (h["reports"].as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await;
    c.stop().await;
}
