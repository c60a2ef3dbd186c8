//! Abuse that a careful operator tries: forged audit names, agents claiming carriers, ids that
//! are paths, payloads nested thousands deep, topics of other versions, a repeated key with
//! other content, errors that are not JSON, and clients that send slowly or hold connections.

use crate::util::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");

async fn upload_plan(http: std::net::SocketAddr, admin: &str) {
    let r = http_client()
        .post(format!("http://{http}/api/v1/plan/sites?source=plan.csv"))
        .header("authorization", format!("Bearer {admin}"))
        .body(PLAN.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// The audit trail names the token of every write, whatever the body says; the client address
/// comes from `X-Forwarded-For` only through a trusted proxy. An agent's claim of a carrier does
/// not let that carrier's engineers write to a site the plan does not list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_audited_under_the_token_and_unplanned_sites_need_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, url) = embedded_config(dir.path());
    cfg.http.public_read = false;
    cfg.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let c = Collector::start(cfg).await;
    let http = c.http;
    let admin = token(&c.db, "bureau-admin", "admin", None);
    let cmcc = token(&c.db, "移动班组", "operator", Some("cmcc"));
    let tower = token(&c.db, "铁塔公司", "tower", None);
    upload_plan(http, &admin).await;

    // A month closed "by" someone the body names: the checklist prints the name, the audit
    // trail records the token as the actor and the name beside it, and the forwarded client.
    let r = http_client()
        .post(format!("http://{http}/api/v1/checklist/2020-09/close"))
        .header("authorization", format!("Bearer {admin}"))
        .header("x-forwarded-for", "10.20.30.40")
        .json(&json!({"closed_by": "科长"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, audit) = request(Method::GET, http, "/api/v1/audit", Some(&admin), None).await;
    let close = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"].as_str().unwrap().contains("close"))
        .unwrap_or_else(|| panic!("no close in {audit}"))
        .clone();
    assert_eq!(close["actor"], "bureau-admin", "{close}");
    assert_eq!(close["on_behalf_of"], "科长", "{close}");
    assert_eq!(close["origin"], "10.20.30.40", "{close}");
    let (_, month) = request(
        Method::GET,
        http,
        "/api/v1/checklist/2020-09?format=json",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(month["closed"]["by"], "科长", "{month}");

    // An unplanned site whose agent claims China Mobile: the carrier's engineers and the tower
    // company may not write to it, an administrator may.
    publish(
        &url,
        "sitepulse/v1/sites/ROGUE-1/info",
        info_json("ROGUE-1", "371502", &["cmcc"]),
    )
    .await;
    eventually(30, "the agent's site known", || async {
        (request(
            Method::GET,
            http,
            "/api/v1/sites/ROGUE-1",
            Some(&admin),
            None,
        )
        .await
        .0 == 200)
            .then_some(())
    })
    .await;
    let milestone = json!({"stage": "built", "date": "2020-08-10"}).to_string();
    let obstacle = json!({"kind": "access", "description": "物业拒绝进场", "responsible_unit": "东昌府区政府"}).to_string();
    for (who, t) in [("operator", &cmcc), ("tower", &tower)] {
        for (path, body) in [
            ("/api/v1/sites/ROGUE-1/milestones", &milestone),
            ("/api/v1/sites/ROGUE-1/obstacles", &obstacle),
        ] {
            let (status, body) = request(
                Method::POST,
                http,
                path,
                Some(t),
                Some(body.clone().into_bytes()),
            )
            .await;
            assert_eq!(status, 403, "{who} {path}: {body}");
            assert!(
                body["error"].as_str().unwrap().contains("not in the plan"),
                "{body}"
            );
        }
    }
    let (status, body) = request(
        Method::POST,
        http,
        "/api/v1/sites/ROGUE-1/milestones",
        Some(&admin),
        Some(milestone.into_bytes()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // A planned site of the carrier stays open to its engineers.
    let (status, body) = request(
        Method::POST,
        http,
        "/api/v1/sites/A01/obstacles",
        Some(&cmcc),
        Some(obstacle.into_bytes()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Every error under `/api/` is JSON that says what to fix, axum's own rejections included; the
/// lists of an unknown site are 404 like the site; ids of dots are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_error_is_json_and_says_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let http = c.http;
    let admin = token(&c.db, "bureau-admin", "admin", None);
    upload_plan(http, &admin).await;
    let raw = |method: Method, path: &str, body: Option<&str>, ctype: Option<&str>| {
        let mut req = http_client()
            .request(method, format!("http://{http}{path}"))
            .header("authorization", format!("Bearer {admin}"));
        if let Some(t) = ctype {
            req = req.header("content-type", t);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let ctype = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let text = r.text().await.unwrap();
            (status, ctype, text)
        }
    };
    // (what, method, path, body, content type, status expected)
    type Case<'a> = (
        &'a str,
        Method,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        u16,
    );
    let cases: Vec<Case> = vec![
        (
            "obstacle id not a number",
            Method::PATCH,
            "/api/v1/sites/A01/obstacles/abc",
            Some("{}"),
            Some("application/json"),
            400,
        ),
        (
            "close body not JSON",
            Method::POST,
            "/api/v1/checklist/2020-09/close",
            Some("{closed_by"),
            Some("application/json"),
            400,
        ),
        (
            "milestone body of the wrong type",
            Method::POST,
            "/api/v1/sites/A01/milestones",
            Some("[1,2]"),
            Some("application/json"),
            400,
        ),
        (
            "wrong method",
            Method::DELETE,
            "/api/v1/sites",
            None,
            None,
            405,
        ),
        (
            "asset outside the assets",
            Method::GET,
            "/assets/..%2F..%2Fetc%2Fpasswd",
            None,
            None,
            404,
        ),
        (
            "milestones of an unknown site",
            Method::GET,
            "/api/v1/sites/NOPE/milestones",
            None,
            None,
            404,
        ),
        (
            "obstacles of an unknown site",
            Method::GET,
            "/api/v1/sites/NOPE/obstacles",
            None,
            None,
            404,
        ),
        (
            "a site id of dots",
            Method::GET,
            "/api/v1/sites/.../milestones",
            None,
            None,
            400,
        ),
        (
            "a milestone for a site id of dots",
            Method::POST,
            "/api/v1/sites/.../milestones",
            Some(r#"{"stage":"built","date":"2020-08-10"}"#),
            Some("application/json"),
            400,
        ),
    ];
    for (what, method, path, body, ctype, expected) in cases {
        let (status, content_type, text) = raw(method, path, body, ctype).await;
        assert_eq!(status, expected, "{what}: {text}");
        assert!(
            content_type.starts_with("application/json"),
            "{what}: {content_type} {text}"
        );
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e} {text}"));
        let message = v["error"].as_str().unwrap_or_default();
        assert!(message.len() > 10, "{what}: {v}");
        assert_eq!(v["status"], expected, "{what}: {v}");
    }
    let (_, _, text) = raw(Method::DELETE, "/api/v1/sites", None, None).await;
    assert!(text.contains("GET"), "405 names the allowed method: {text}");
}

/// Topics of another protocol version and with extra levels reach the collector and are counted
/// and quarantined; a report nested thousands deep is refused with its own reason (not stored
/// to read back as null); a repeated key with other content is quarantined apart from plain
/// repeats. On Mosquitto, as in production.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_topics_deep_payloads_and_conflicting_repeats_are_counted_and_kept() {
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(config(dir.path(), &m.url())).await;
    let http = c.http;
    let url = m.url();
    let status = |seq: u64| status_json("ODD-1", "b", seq, "installed");
    publish(&url, "sitepulse/v2/sites/ODD-1/status", status(0)).await;
    publish(&url, "sitepulse/v1/sites/ODD-1/status/extra", status(0)).await;
    let mut deep: Value = serde_json::from_str(&status(1)).unwrap();
    deep["x"] = json!("PLACEHOLDER");
    let deep = deep.to_string().replace(
        "\"PLACEHOLDER\"",
        &format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
    );
    publish(&url, "sitepulse/v1/sites/ODD-1/status", deep).await;
    let good = status(2);
    publish(&url, "sitepulse/v1/sites/ODD-1/status", good.clone()).await;
    // The same key again: once as sent (a redelivery), once with other content.
    publish(&url, "sitepulse/v1/sites/ODD-1/status", good.clone()).await;
    let forged = good.replace("\"installed\"", "\"on_air\"");
    publish(&url, "sitepulse/v1/sites/ODD-1/status", forged).await;

    let quarantine = eventually(30, "six messages handled", || async {
        let (_, q) = get(http, "/api/v1/quarantine").await;
        let dup = metric(http, "sitepulse_messages_duplicate_total").await;
        (q["messages"].as_array().unwrap().len() == 4 && dup == 1.0).then_some(q)
    })
    .await;
    let reasons: Vec<(&str, &str)> = quarantine["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["topic"].as_str().unwrap(), m["reason"].as_str().unwrap()))
        .collect();
    for expected in [
        ("sitepulse/v2/sites/ODD-1/status", "unsupported_schema"),
        ("sitepulse/v1/sites/ODD-1/status/extra", "invalid_topic"),
        ("sitepulse/v1/sites/ODD-1/status", "too_deep"),
        ("sitepulse/v1/sites/ODD-1/status", "conflicting_duplicate"),
    ] {
        assert!(
            reasons.contains(&expected),
            "{expected:?} not in {reasons:?}"
        );
    }
    assert_eq!(
        metric(
            http,
            "sitepulse_messages_rejected_total{reason=\"too_deep\"}"
        )
        .await,
        1.0
    );
    assert_eq!(
        metric(http, "sitepulse_messages_duplicate_conflicting_total").await,
        1.0
    );
    assert_eq!(
        metric(http, "sitepulse_messages_received_total{kind=\"unknown\"}").await,
        2.0
    );
    // Only the one good report is stored, and it reads back whole with its own stage.
    let (_, h) = get(http, "/api/v1/sites/ODD-1/history").await;
    let rows = h["reports"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{h}");
    assert_eq!(rows[0]["status"]["seq"], 2, "{h}");
    assert_eq!(rows[0]["status"]["stage"], "installed", "{h}");
}

/// A client that sends half its headers, or a body slower than its `Content-Length`, is cut off;
/// holding many connections open does not starve the health check or the other clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_cannot_starve_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, _url) = embedded_config(dir.path());
    cfg.http.header_timeout_s = 2;
    cfg.http.request_timeout_s = 3;
    cfg.http.max_connections = 40;
    let c = Collector::start(cfg).await;
    let http = c.http;
    let viewer = token(&c.db, "工作专班", "viewer", None);

    // Half the headers, then nothing: the server closes the connection.
    let mut half = tokio::net::TcpStream::connect(http).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(60), half.read_to_end(&mut buf))
        .await
        .expect("a client with half its headers is never cut off");
    let _ = n;
    println!(
        "half-sent headers held for {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A body slower than its Content-Length: 408, as JSON.
    let mut slow = tokio::net::TcpStream::connect(http).await.unwrap();
    slow.write_all(
        format!(
            "POST /api/v1/sites/A01/objections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {viewer}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"field\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), slow.read_to_end(&mut answer))
        .await
        .expect("a slow body is never cut off")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    println!(
        "slow body answered after {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        answer.lines().next().unwrap_or_default()
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout_s"), "{answer}");

    // Twice the cap of idle connections, each with half a request: the health check still gets
    // its answer, once the header timeout has closed the idle ones.
    let mut idle = Vec::new();
    for _ in 0..80 {
        let mut s = tokio::net::TcpStream::connect(http).await.unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\n").await;
        idle.push(s);
    }
    let (status, _) = tokio::time::timeout(Duration::from_secs(60), get(http, "/healthz"))
        .await
        .expect("/healthz starved by idle connections");
    assert_eq!(status, 200);
    drop(idle);
}
