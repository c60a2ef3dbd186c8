//! People and roles on the HTTP API: who may read, who may write where, and the audit trail of
//! every person's write.

use crate::util::*;
use reqwest::Method;
use serde_json::json;

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_roles_and_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, _url) = embedded_config(dir.path());
    cfg.http.public_read = false;
    cfg.http.rate_per_s = 5.0;
    cfg.http.open_data = true;
    let c = Collector::start(cfg).await;
    let http = c.http;
    let admin = token(&c.db, "市工信局", "admin", None);
    let cmcc = token(&c.db, "移动班组", "operator", Some("cmcc"));
    let ctcc = token(&c.db, "电信班组", "operator", Some("ctcc"));
    let tower = token(&c.db, "铁塔公司", "tower", None);
    let viewer = token(&c.db, "工作专班", "viewer", None);
    let call = |m: Method, path: &str, t: Option<&str>, body: Option<serde_json::Value>| {
        let path = path.to_string();
        let t = t.map(str::to_string);
        async move {
            request(
                m,
                http,
                &path,
                t.as_deref(),
                body.map(|b| b.to_string().into_bytes()),
            )
            .await
        }
    };

    // Reading needs a token here; the pages and health checks do not.
    let (status, body) = call(Method::GET, "/api/v1/sites", None, None).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{body}"
    );
    assert_eq!(
        call(Method::GET, "/api/v1/sites", Some(&viewer), None)
            .await
            .0,
        200
    );
    assert_eq!(
        crate::util::http_client()
            .get(format!("http://{http}/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        crate::util::http_client()
            .get(format!("http://{http}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Malformed, unknown tokens.
    for bad in ["abc", "sp_0000", &format!("sp_{}", "0".repeat(64))] {
        let (status, body) = call(Method::GET, "/api/v1/sites", Some(bad), None).await;
        assert_eq!(status, 401, "{bad}: {body}");
    }

    // Only an administrator imports.
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/plan/sites",
        Some(&cmcc),
        Some(PLAN.to_vec()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/plan/sites",
        Some(&admin),
        Some(PLAN.to_vec()),
    )
    .await;
    assert_eq!(status, 200);

    // A06 is a cmcc site: its carrier may report, another carrier and a viewer may not; the
    // tower company may report built and powered only.
    let m = |stage: &str| json!({"stage": stage, "date": "2020-08-10", "position": {"lat": 36.4702, "lon": 115.9833}});
    let path = "/api/v1/sites/A06/milestones";
    let (status, body) = call(Method::POST, path, Some(&ctcc), Some(m("built"))).await;
    assert_eq!(status, 403);
    assert!(
        body["error"].as_str().unwrap().contains("carrier"),
        "{body}"
    );
    assert_eq!(
        call(Method::POST, path, Some(&viewer), Some(m("built")))
            .await
            .0,
        403
    );
    assert_eq!(
        call(Method::POST, path, None, Some(m("built"))).await.0,
        401
    );
    assert_eq!(
        call(Method::POST, path, Some(&tower), Some(m("powered")))
            .await
            .0,
        201
    );
    assert_eq!(
        call(Method::POST, path, Some(&tower), Some(m("on_air")))
            .await
            .0,
        403
    );
    let (status, body) = call(Method::POST, path, Some(&cmcc), Some(m("installed"))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["reporter"], "移动班组",
        "the token's holder, when the body names nobody"
    );
    let o = json!({"kind": "access", "description": "物业拒绝进场", "responsible_unit": "住建局", "opened": "2020-09-01"});
    assert_eq!(
        call(
            Method::POST,
            "/api/v1/sites/A06/obstacles",
            Some(&ctcc),
            Some(o.clone())
        )
        .await
        .0,
        403
    );
    let (status, body) = call(
        Method::POST,
        "/api/v1/sites/A06/obstacles",
        Some(&cmcc),
        Some(o),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let patch = json!({"due": "2020-10-15"});
    let (status, _) = call(
        Method::PATCH,
        &format!("/api/v1/sites/A06/obstacles/{id}"),
        Some(&cmcc),
        Some(patch),
    )
    .await;
    assert_eq!(status, 200);
    // Closing a month and reading the audit trail are for administrators.
    assert_eq!(
        call(
            Method::POST,
            "/api/v1/checklist/2020-09/close",
            Some(&viewer),
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(Method::GET, "/api/v1/audit", Some(&viewer), None)
            .await
            .0,
        403
    );

    // Every person's write is in the trail: who, from where, before and after.
    let (status, audit) = call(Method::GET, "/api/v1/audit?limit=100", Some(&admin), None).await;
    assert_eq!(status, 200);
    let entries = audit["entries"].as_array().unwrap();
    let find = |action: &str, actor: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["actor"] == actor)
            .unwrap_or_else(|| panic!("no {action} by {actor} in {audit}"))
            .clone()
    };
    let import = find("plan.import", "市工信局");
    assert_eq!(import["origin"], "127.0.0.1");
    assert_eq!(import["after"]["report"]["added"], 28);
    let ms = find("milestone.add", "移动班组");
    assert_eq!(ms["after"]["stage"], "installed");
    let upd = find("obstacle.update", "移动班组");
    assert_eq!(upd["before"]["due"], "2020-10-01");
    assert_eq!(upd["after"]["due"], "2020-10-15");
    find("milestone.add", "铁塔公司");
    find("obstacle.open", "移动班组");
    // Creating the tokens is there too.
    assert!(
        entries
            .iter()
            .filter(|e| e["action"] == "token.create")
            .count()
            >= 5
    );

    // A revoked or expired token stops working at once.
    let control = sitepulse::store::control::ControlStore::open(&c.db).unwrap();
    let tokens = control.tokens().unwrap();
    let v = tokens.iter().find(|t| t.name == "工作专班").unwrap();
    control
        .revoke_token(
            v.id,
            &sitepulse::domain::actor::Actor::cli("test"),
            chrono::Utc::now(),
        )
        .unwrap();
    let (status, body) = call(Method::GET, "/api/v1/sites", Some(&viewer), None).await;
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap().contains("revoked"));

    // The public class of data needs no token and names nothing internal.
    let (status, counts) = call(Method::GET, "/api/v1/open/counts", None, None).await;
    assert_eq!(status, 200);
    let total: u64 = counts["counties"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["stages"].as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, 28);
    let (status, open) = call(Method::GET, "/api/v1/open/sites", None, None).await;
    assert_eq!(status, 200);
    for f in open["features"].as_array().unwrap() {
        let props = f["properties"].as_object().unwrap();
        assert_eq!(props.keys().collect::<Vec<_>>(), ["county", "stage"]);
        for v in f["geometry"]["coordinates"].as_array().unwrap() {
            let v = v.as_f64().unwrap();
            assert!(
                (v * 100.0 - (v * 100.0).round()).abs() < 1e-6,
                "{v} not rounded to 0.01°"
            );
        }
    }

    // Each token is held to its rate (5/s, bursts of 10): a quick burst of 40 gets 429s.
    let mut limited = 0;
    for _ in 0..40 {
        if call(Method::GET, "/api/v1/progress", Some(&tower), None)
            .await
            .0
            == 429
        {
            limited += 1;
        }
    }
    assert!(limited > 0, "no request was limited");
    c.stop().await;
}

/// Objections end to end: anyone with a token objects, the site shows it at once, an
/// administrator accepts (the correction is applied and audited) or rejects with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objections_are_filed_decided_and_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let http = c.http;
    let admin = token(&c.db, "市工信局", "admin", None);
    let viewer = token(&c.db, "工作专班", "viewer", None);
    let (status, _) = request(
        Method::POST,
        http,
        "/api/v1/plan/sites",
        Some(&admin),
        Some(PLAN.to_vec()),
    )
    .await;
    assert_eq!(status, 200);
    let post = |t: &str, path: &str, body: serde_json::Value| {
        let (t, path) = (t.to_string(), path.to_string());
        async move {
            request(
                Method::POST,
                http,
                &path,
                Some(&t),
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    let patch = |t: &str, path: &str, body: serde_json::Value| {
        let (t, path) = (t.to_string(), path.to_string());
        async move {
            request(
                Method::PATCH,
                http,
                &path,
                Some(&t),
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };

    let (status, o) = post(
        &viewer,
        "/api/v1/sites/A06/objections",
        json!({"field": "planned_on_air", "proposed": "2020-10-31", "reason": "市局已批准延期"}),
    )
    .await;
    assert_eq!(status, 201, "{o}");
    let (_, site) = c.get("/api/v1/sites/A06").await;
    assert_eq!(site["site"]["under_objection"], true);
    assert_eq!(site["objections"][0]["status"], "open");
    // A value that is not one: refused with the reason.
    let (status, body) = post(
        &viewer,
        "/api/v1/sites/A06/objections",
        json!({"field": "planned_on_air", "proposed": "soon", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Only an administrator decides.
    let path = format!("/api/v1/objections/{}", o["id"]);
    assert_eq!(
        patch(
            &viewer,
            &path,
            json!({"decision": "accept", "reason": "ok"})
        )
        .await
        .0,
        403
    );
    let (status, d) = patch(
        &admin,
        &path,
        json!({"decision": "accept", "reason": "核实无误"}),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "accepted");
    let (_, site) = c.get("/api/v1/sites/A06").await;
    assert_eq!(
        site["plan"]["planned_on_air"], "2020-10-31",
        "the correction is applied"
    );
    assert_eq!(site["site"]["under_objection"], false);
    assert_eq!(
        patch(&admin, &path, json!({"decision": "reject", "reason": "x"}))
            .await
            .0,
        409
    );
    // A rejected one changes nothing.
    let (_, o2) = post(
        &viewer,
        "/api/v1/sites/A07/objections",
        json!({"field": "stage", "proposed": "on_air", "reason": "已开通"}),
    )
    .await;
    let (status, d2) = patch(
        &admin,
        &format!("/api/v1/objections/{}", o2["id"]),
        json!({"decision": "reject", "reason": "网管无开通记录"}),
    )
    .await;
    assert_eq!(
        (status, d2["decision"].as_str()),
        (200, Some("网管无开通记录"))
    );
    assert_eq!(
        c.get("/api/v1/sites/A07").await.1["site"]["stage"],
        "planned"
    );
    // The correction is in the audit trail with before and after.
    let (_, audit) = request(Method::GET, http, "/api/v1/audit", Some(&admin), None).await;
    let correct = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "plan.correct")
        .unwrap()
        .clone();
    assert_eq!(correct["before"]["planned_on_air"], "2020-09-20");
    assert_eq!(correct["after"]["planned_on_air"], "2020-10-31");
    assert_eq!(correct["actor"], "市工信局");
    c.stop().await;
}
