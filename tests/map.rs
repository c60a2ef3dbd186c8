//! The task force's map in a real browser (Debian's chromium, headless): it loads from a
//! running collector, draws sites and areas, applies a filter, and logs no errors.

use crate::browser::Page;
use crate::util::*;
use serde_json::{Value, json};

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");
const AREAS: &[u8] = include_bytes!("fixtures/areas.geojson");

/// A POST with an administrator's token made in the collector's store.
pub async fn post(c: &Collector, path: &str, body: Vec<u8>) -> (u16, Value) {
    let admin = token(&c.db, "管理员", "admin", None);
    request(
        reqwest::Method::POST,
        c.http,
        path,
        Some(&admin),
        Some(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_draws_sites_and_areas_and_filters_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, _url) = embedded_config(dir.path());
    cfg.earth_stations = vec![sitepulse::config::EarthStation {
        name: "测试地球站".into(),
        lat: 36.4490,
        lon: 115.9710,
        radius_m: 500.0,
    }];
    let c = Collector::start(cfg).await;
    let http = c.http;
    assert_eq!(post(&c, "/api/v1/plan/sites", PLAN.to_vec()).await.0, 200);
    let (status, body) = post(&c, "/api/v1/areas?source=areas.geojson", AREAS.to_vec()).await;
    assert_eq!(status, 200, "{body}");
    for site in ["A01", "A03", "A04", "B01", "B02"] {
        let m = json!({"stage": "on_air", "date": "2020-09-15", "reporter": "t"});
        let (status, body) = post(
            &c,
            &format!("/api/v1/sites/{site}/milestones"),
            m.to_string().into_bytes(),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    // The pilot register: six of its projects have a position (H01 E01 E02 M01 T01 V01).
    let register = include_bytes!("fixtures/pilots.csv").to_vec();
    let (status, body) = post(&c, "/api/v1/applications?source=pilots.csv", register).await;
    assert_eq!(status, 200, "{body}");
    let (_, pilots) = c.get("/api/v1/applications.geojson").await;
    assert_eq!(pilots["features"].as_array().unwrap().len(), 6);
    // Held up: M01 stands 640 m from A01, the nearest site on air here (its urban footprint
    // is 350 m); M02 depends on A05, not on air.
    let (_, held) = c
        .get("/api/v1/applications?field=manufacturing&blocked=true")
        .await;
    let ids: Vec<&str> = held["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["project"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["M01", "M02"], "{held}");
    // One project registered whole over HTTP, then its place on the map.
    let mut m01 = held["applications"][0]["project"].clone();
    m01["id"] = "M09".into();
    m01["position"] = json!({"lat": 36.4560, "lon": 115.9850});
    let admin = token(&c.db, "管理员", "admin", None);
    let (status, body) = request(
        reqwest::Method::PUT,
        c.http,
        "/api/v1/applications/M09",
        Some(&admin),
        Some(m01.to_string().into_bytes()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, m09) = c
        .get("/api/v1/applications?blocked=false&field=manufacturing")
        .await;
    assert_eq!(
        m09["applications"][0]["project"]["id"], "M09",
        "covered by A01: {m09}"
    );
    // The data behind the map.
    let (_, cov) = c.get("/api/v1/coverage").await;
    assert_eq!(cov["areas"].as_array().unwrap().len(), 2);
    assert!(
        cov["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["covered_share"].as_f64().unwrap() > 0.0)
    );
    let (_, es) = c.get("/api/v1/earth-stations").await;
    // A04 (n78) stands on the station; A05 (n41, 850 m away) is outside the band and the radius.
    assert_eq!(es["earth_stations"][0]["flagged"][0]["site"], "A04");
    assert_eq!(
        es["earth_stations"][0]["flagged"].as_array().unwrap().len(),
        1
    );
    let (_, geo) = c
        .get("/api/v1/sites.geojson?county=371503&stage=on_air")
        .await;
    assert_eq!(geo["features"].as_array().unwrap().len(), 2);

    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("map.png");
    let shot2 = shot.clone();
    tokio::task::spawn_blocking(move || {
        let page = Page::new(1280, 800);
        page.goto(&format!("http://{http}/"));
        page.wait_for("map ready", "!!(window.sitepulseMap && window.sitepulseMap.ready)");
        let stats = page.eval("JSON.stringify(window.sitepulseMap.stats())");
        assert_eq!(stats["sites"], 28, "{stats}");
        assert_eq!(stats["areas"], 2, "{stats}");
        assert_eq!(stats["pilots"], 7, "the pilots' layer: {stats}");
        assert_eq!(
            page.eval("document.querySelectorAll('.leaflet-marker-pane .pilot').length"),
            7
        );
        assert_eq!(stats["drawn"], 28, "every site drawn, alone or in a cluster: {stats}");
        assert!(stats["painted"].as_u64().unwrap() > 100, "the map is blank: {stats}");
        // Filter: 茌平区, then on air only.
        let pick = |id: &str, v: &str| {
            page.eval(
                &format!(
                    "(() => {{ const s = document.getElementById('{id}'); s.value = '{v}'; s.dispatchEvent(new Event('change')); return JSON.stringify(window.sitepulseMap.stats()); }})()"
                ),
            )
        };
        let s = pick("f-county", "371503");
        assert_eq!((s["shown"].as_u64(), s["drawn"].as_u64()), (Some(6), Some(6)), "{s}");
        let s = pick("f-stage", "on_air");
        assert_eq!((s["shown"].as_u64(), s["drawn"].as_u64()), (Some(2), Some(2)), "{s}");
        // A site's details on click come from the API.
        let s = pick("f-county", "");
        assert_eq!(s["shown"], 5, "{s}");
        let png = page
            .tab
            .capture_screenshot(headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png, None, None, true)
            .unwrap();
        std::fs::write(&shot2, &png).unwrap();
        assert!(png.len() > 10_000, "screenshot of {} bytes", png.len());
        let errors = page.errors();
        assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    })
    .await
    .unwrap();
    println!("map screenshot: {}", shot.display());
    c.stop().await;
}
