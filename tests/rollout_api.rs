//! Rollout tracking through a running collector: plan upload and CLI import, milestones,
//! obstacles, the checklist in every format, closing a month, the field page. What the
//! browser and the bureau's staff do, over HTTP.

use crate::util::*;
use serde_json::{Value, json};
use std::process::Command;

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");
const BAD_PLAN: &[u8] = include_bytes!("fixtures/checklist-plan-bad.csv");

async fn send(
    method: reqwest::Method,
    http: std::net::SocketAddr,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    request(
        method,
        http,
        path,
        Some(token),
        body.map(|b| b.to_string().into_bytes()),
    )
    .await
}

async fn upload(http: std::net::SocketAddr, token: &str, path: &str, body: &[u8]) -> (u16, Value) {
    request(
        reqwest::Method::POST,
        http,
        path,
        Some(token),
        Some(body.to_vec()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_milestones_obstacles_checklist_and_close_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let http = c.http;
    let admin = token(&c.db, "市工信局", "admin", None);
    use reqwest::Method;

    // A bad file: 422 with every bad row, nothing stored.
    let (status, body) = upload(http, &admin, "/api/v1/plan/sites?source=bad.csv", BAD_PLAN).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 8);
    assert_eq!(body["rows"][0]["row"], 3);
    assert_eq!(body["rows"][0]["column"], "operators");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("nothing was imported")
    );
    assert_eq!(c.get("/api/v1/sites").await.1["total"], 0);
    // Importing needs an administrator's token.
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/plan/sites",
        None,
        Some(PLAN.to_vec()),
    )
    .await;
    assert_eq!(status, 401);

    let (status, body) = upload(http, &admin, "/api/v1/plan/sites?source=plan.csv", PLAN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["report"]["added"], 28);
    assert_eq!(c.get("/api/v1/sites?in_plan=true").await.1["total"], 28);
    let (_, near) = c.get("/api/v1/sites?near=36.4491,115.9711&limit=2").await;
    assert_eq!(near["sites"][0]["site"], "A04");
    assert!(near["sites"][0]["distance_m"].as_f64().unwrap() < 20.0);
    let (_, found) = c.get("/api/v1/sites?q=火车站").await;
    assert_eq!(found["sites"][0]["site"], "A07");

    // An agent whose site is not in the plan is kept and listed.
    publish_status(&url, "ZZ-1", "b", 0, "installed").await;
    eventually(30, "unplanned site listed", || async {
        let (_, b) = c.get("/api/v1/plan/unplanned").await;
        (b["total"] == 1 && b["sites"][0]["site"] == "ZZ-1").then_some(())
    })
    .await;

    // Milestones.
    let m = json!({"stage": "on_air", "date": "2020-09-15", "note": "开通", "reporter": "王工",
                   "position": {"lat": 36.4490, "lon": 115.9710}});
    let (status, body) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/sites/A04/milestones",
        Some(m),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["flagged"], false);
    let (_, site) = c.get("/api/v1/sites/A04").await;
    assert_eq!(site["site"]["stage"], "on_air");
    assert_eq!(site["standing"]["standing"], "on_air");
    assert_eq!(site["milestones"][0]["reporter"], "王工");
    assert_eq!(site["plan"]["responsible_unit"], "东昌府区联通分公司");
    let (_, late) = c.get("/api/v1/sites/A06").await;
    assert_eq!(late["standing"]["standing"], "overdue");
    let back = json!({"stage": "built", "date": "2020-09-20", "reporter": "王工"});
    let (status, body) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/sites/A04/milestones",
        Some(back),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("reason"), "{body}");
    let (status, _) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/sites/NOPE/milestones",
        Some(json!({"stage": "built", "reporter": "王工"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/sites/A04/milestones",
        Some(json!({"stage": "switched_on", "reporter": "王工"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("stage"), "{body}");
    // Bodies beyond 64 KiB are refused before they are read.
    let huge = json!({"stage": "built", "reporter": "王工", "note": "x".repeat(100_000)});
    let (status, _) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/sites/A04/milestones",
        Some(huge),
    )
    .await;
    assert_eq!(status, 413);

    // Obstacles: open, resolve (销号), and not twice.
    let o = json!({"kind": "access", "description": "物业拒绝进场", "responsible_unit": "东昌府区住建局",
                   "opened": "2020-09-01", "reporter": "王工"});
    let (status, body) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/sites/A06/obstacles",
        Some(o),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["due"], "2020-10-01");
    let id = body["id"].as_i64().unwrap();
    let path = format!("/api/v1/sites/A06/obstacles/{id}");
    let resolve = json!({"resolved": "2020-10-20", "resolution": "已协调进场", "reporter": "王工"});
    let (status, body) = send(Method::PATCH, http, &admin, &path, Some(resolve.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resolved"], "2020-10-20");
    let (status, _) = send(Method::PATCH, http, &admin, &path, Some(resolve)).await;
    assert_eq!(status, 409);
    let (_, open) = c.get("/api/v1/obstacles?open=true").await;
    assert_eq!(open["total"], 0);

    // The checklist in every format, Chinese by default.
    let (_, json_list) = c.get("/api/v1/checklist/2020-09").await;
    assert_eq!(json_list["month"], "2020-09");
    assert_eq!(json_list["changes"]["newly_on_air"][0]["site"], "A04");
    for (format, ctype) in [
        ("csv", "text/csv; charset=utf-8"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("md", "text/markdown; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
    ] {
        let r = crate::util::http_client()
            .get(format!(
                "http://{http}/api/v1/checklist/2020-09?format={format}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], ctype);
        assert!(!r.bytes().await.unwrap().is_empty());
    }
    let (status, body) = c.get("/api/v1/checklist/2020-9").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("2020-09"));
    let (status, _) = c.get("/api/v1/checklist/2020-09?format=pdf").await;
    assert_eq!(status, 400);

    // Closing: once, and then it is listed and in the audit trail.
    let close = json!({"closed_by": "市工信局 刘科长"});
    let (status, body) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/checklist/2020-09/close",
        Some(close.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(
        Method::POST,
        http,
        &admin,
        "/api/v1/checklist/2020-09/close",
        Some(close),
    )
    .await;
    assert_eq!(status, 409);
    let (_, closed) = c.get("/api/v1/checklist").await;
    assert_eq!(closed["closed"][0]["month"], "2020-09");
    assert_eq!(closed["closed"][0]["closed_by"], "市工信局 刘科长");

    // The field page is served.
    let page = crate::util::http_client()
        .get(format!("http://{http}/field"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("5G站址现场上报"));
    c.stop().await;
}

/// `sitepulse import sites` writes to the store a collector is running on; the collector picks
/// the plan up without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_imported_from_the_command_line_reaches_a_running_collector() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    let db = cfg.store.path.clone();
    let c = Collector::start(cfg).await;
    let plan = dir.path().join("plan.csv");
    std::fs::write(&plan, PLAN).unwrap();
    run_tool(
        Command::new(env!("CARGO_BIN_EXE_sitepulse"))
            .args(["import", "sites"])
            .arg(&plan)
            .args(["--by", "张工", "--db"])
            .arg(&db),
    );
    eventually(
        30,
        "the running collector sees the imported plan",
        || async {
            let (_, b) = c.get("/api/v1/sites?in_plan=true").await;
            (b["total"] == 28).then_some(())
        },
    )
    .await;
    // A bad file fails the command, lists the rows on stderr, and changes nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, BAD_PLAN).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .args(["import", "sites"])
        .arg(&bad)
        .args(["--by", "张工", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("8 bad row(s); nothing was imported"), "{err}");
    assert!(err.contains("row 4, column lat"), "{err}");
    // The checklist from the command line.
    let xlsx = dir.path().join("sep.xlsx");
    run_tool(
        Command::new(env!("CARGO_BIN_EXE_sitepulse"))
            .args([
                "checklist",
                "--month",
                "2020-09",
                "--format",
                "xlsx",
                "--db",
            ])
            .arg(&db)
            .arg("--out")
            .arg(&xlsx),
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    c.stop().await;
}
