//! The task force's map as they use it, under the secure default (`http.public_read = false`):
//! a sign-in that refuses a wrong token, then the city with its county boundaries, sites and
//! areas; a county chosen by filter with its own figures; a site's popup; the replay of two
//! past months; the wall screen; the English view. Screenshots of each are saved under the
//! tests' temp directory (`target/tmp/wall-map/`).

use crate::browser::Page;
use crate::util::*;
use serde_json::{Value, json};
use sitepulse::config::Task;
use std::sync::Arc;

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");
const AREAS: &[u8] = include_bytes!("fixtures/areas.geojson");

fn shot(page: &Page, name: &str) {
    use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption as Png;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wall-map");
    std::fs::create_dir_all(&dir).unwrap();
    let png = page
        .tab
        .capture_screenshot(Png::Png, None, None, true)
        .unwrap();
    assert!(
        png.len() > 10_000,
        "{name}: a screenshot of {} bytes",
        png.len()
    );
    std::fs::write(dir.join(name), png).unwrap();
}

/// Reads as the map does, with a token.
async fn read(c: &Collector, token: &str, path: &str) -> Value {
    let (status, body) = request(reqwest::Method::GET, c.http, path, Some(token), None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_map_signs_in_and_shows_the_city_a_county_a_site_the_past_and_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, _url) = embedded_config(dir.path());
    cfg.http.public_read = false;
    let task = |county: &str, on_air| Task {
        county: county.into(),
        operator: None,
        year: 2020,
        on_air,
    };
    cfg.tasks = vec![task("371502", 12), task("371503", 6), task("371581", 3)];
    // 20 November 2020 in Liaocheng.
    let clock = Arc::new(sitepulse::clock::FixedClock(
        "2020-11-20T04:00:00Z".parse().unwrap(),
    ));
    let c = Collector::start_at(cfg, clock).await;
    let http = c.http;
    let admin = token(&c.db, "管理员", "admin", None);
    let viewer = token(&c.db, "工作专班", "viewer", None);
    let post = |path: &'static str, body: Vec<u8>| {
        let admin = admin.clone();
        async move { request(reqwest::Method::POST, http, path, Some(&admin), Some(body)).await }
    };
    assert_eq!(post("/api/v1/plan/sites", PLAN.to_vec()).await.0, 200);
    let (status, body) = post("/api/v1/areas?source=areas.geojson", AREAS.to_vec()).await;
    assert_eq!(status, 200, "{body}");
    // On air by month: A01 in June, A03 and A04 in September, B01 and B02 in October.
    for (site, stage, date) in [
        ("A01", "on_air", "2020-06-15"),
        ("A03", "on_air", "2020-09-15"),
        ("A04", "on_air", "2020-09-20"),
        ("B01", "on_air", "2020-10-10"),
        ("B02", "on_air", "2020-10-12"),
        ("B03", "installed", "2020-08-01"),
    ] {
        let m = json!({"stage": stage, "date": date, "reporter": "测试"});
        let (status, body) = request(
            reqwest::Method::POST,
            http,
            &format!("/api/v1/sites/{site}/milestones"),
            Some(&admin),
            Some(m.to_string().into_bytes()),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    // Nothing reads without a token here.
    assert_eq!(c.get("/api/v1/sites.geojson").await.0, 401);
    let progress = read(&c, &viewer, "/api/v1/progress").await;
    let chiping = progress["by_county"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["county"] == "371503")
        .unwrap()
        .clone();
    // 茌平区: 6 planned, B01 and B02 on air, B03 installed; 6 expected by November (6 × 11/12).
    assert_eq!(
        (
            &chiping["sites"],
            &chiping["built"],
            &chiping["on_air"],
            &chiping["expected"]
        ),
        (&json!(6), &json!(3), &json!(2), &json!(6)),
        "{chiping}"
    );
    let july = read(&c, &viewer, "/api/v1/replay/2020-07").await;
    let october = read(&c, &viewer, "/api/v1/replay/2020-10").await;
    assert_eq!(july["progress"]["total"]["on_air"], 1, "A01 only");
    assert_eq!(october["progress"]["total"]["on_air"], 5);
    assert_eq!(
        july["stages"].as_str().unwrap().len(),
        read(&c, &viewer, "/api/v1/sites.geojson").await["features"]
            .as_array()
            .unwrap()
            .len()
    );

    let viewer_token = viewer.clone();
    tokio::task::spawn_blocking(move || {
        let viewer = viewer_token;
        let page = Page::new(1600, 1000);
        page.goto(&format!("http://{http}/"));
        // The sign-in, not a blank map; a wrong token is refused in Chinese.
        page.wait_quietly(
            "sign-in shown",
            "!!document.getElementById('sign-in') && !document.getElementById('sign-in').hidden",
        );
        page.eval(
            "document.querySelector('#sign-in input').value = 'sp_wrong';
             document.querySelector('#sign-in form').requestSubmit(); true",
        );
        page.wait_quietly(
            "wrong token refused",
            "document.querySelector('#sign-in .error').textContent.length > 0",
        );
        let msg = page.eval("document.querySelector('#sign-in .error').textContent");
        assert!(msg.as_str().unwrap().contains("令牌无效"), "{msg}");
        assert_eq!(page.eval("window.sitepulseMap.ready"), false);
        shot(&page, "0-sign-in-wrong-token.png");
        let refused = page.take_errors();
        assert!(refused.iter().all(|e| e.contains("401")), "{refused:?}");

        // A viewer's token is enough to read.
        page.eval(&format!(
            "document.querySelector('#sign-in input').value = '{viewer}';
             document.querySelector('#sign-in form').requestSubmit(); true"
        ));
        page.wait_for("map ready", "window.sitepulseMap.ready === true");
        let stats = page.eval("JSON.stringify(window.sitepulseMap.stats())");
        assert_eq!(stats["boundaries"], 8, "{stats}");
        assert_eq!(stats["counties_drawn"], 8, "{stats}");
        assert_eq!(stats["sites"], 28, "{stats}");
        assert_eq!(stats["areas"], 2, "{stats}");
        assert_eq!(stats["drawn"], 28, "{stats}");
        assert!(stats["painted"].as_u64().unwrap() > 5_000, "the map is blank: {stats}");
        let who = page.eval("document.getElementById('who').textContent");
        assert!(who.as_str().unwrap().contains("工作专班"), "{who}");
        // The 2020 target is due in 41 days.
        let t2020 = page.eval("document.querySelector('[data-target=\"2020\"]').dataset.status");
        assert_eq!(t2020, "due");
        let chip = page.eval("document.querySelector('[data-target=\"2020\"] .chip').textContent");
        assert_eq!(chip, "剩余 41 天");
        shot(&page, "1-city.png");

        // A county chosen by filter: the map goes there, the panel shows its own row.
        page.eval(
            "(() => { const s = document.getElementById('f-county'); s.value = '371503';
             s.dispatchEvent(new Event('change')); return true; })()",
        );
        page.wait_for("county focused", "!document.getElementById('focus').hidden");
        let panel = page.eval(
            "JSON.stringify(Object.fromEntries([...document.querySelectorAll('#focus [data-k]')].map((e) => [e.dataset.k, e.dataset.v])))",
        );
        for k in ["sites", "built", "on_air", "expected", "schedule_completion", "schedule_rank"] {
            assert_eq!(
                panel[k].as_str().unwrap(),
                chiping[k].to_string(),
                "{k}: panel {panel}, progress {chiping}"
            );
        }
        let s = page.eval("JSON.stringify(window.sitepulseMap.stats())");
        assert_eq!(s["shown"], 6, "{s}");
        assert!(s["zoom"].as_f64().unwrap() > 9.0, "zoomed to the county: {s}");
        shot(&page, "2-county-chiping.png");

        // A site found by name opens its popup under Chinese labels.
        page.eval(
            "(() => { const s = document.getElementById('f-county'); s.value = '';
             s.dispatchEvent(new Event('change')); return true; })()",
        );
        page.wait_for("whole city again", "document.getElementById('focus').hidden");
        let hits = page.eval("JSON.stringify(window.sitepulseMap.search('政务中心'))");
        assert_eq!(hits, json!(["A01"]));
        page.eval("window.sitepulseMap.goToSite('A01'); true");
        page.wait_for(
            "popup open",
            "window.sitepulseMap.stats().popup === 'A01'",
        );
        let popup = page.eval("document.querySelector('.leaflet-popup .site-popup').textContent");
        let popup = popup.as_str().unwrap();
        for label in ["东昌府区政务中心", "站址编号", "开通", "阶段记录", "中国移动"] {
            assert!(popup.contains(label), "{label} in {popup}");
        }
        shot(&page, "3-site-popup.png");
        page.eval("document.querySelector('.leaflet-popup-close-button').click(); window.sitepulseMap.fit(); true");

        // The replay: July (A01 alone on air), then October (five).
        for (month, on_air, name) in [
            ("2020-07", 1, "4-replay-2020-07.png"),
            ("2020-10", 5, "5-replay-2020-10.png"),
        ] {
            page.eval(&format!(
                "window.sitepulseMap.replayMs('{month}').then((ms) => {{ window.replayDone = ms; }}); window.replayDone = null; true"
            ));
            page.wait_for("replayed", "window.replayDone !== null");
            let s = page.eval("JSON.stringify(window.sitepulseMap.stats())");
            assert_eq!(s["replay"], month, "{s}");
            let text = page.eval("document.querySelector('[data-target=\"2020\"]').textContent");
            assert!(
                text.as_str().unwrap().contains(&format!("已开通 {on_air} /")),
                "{month}: {text}"
            );
            let label = page.eval("document.getElementById('as-of').textContent");
            assert!(label.as_str().unwrap().contains("回放"), "{label}");
            shot(&page, name);
        }
        page.eval("document.getElementById('replay-live').click(); true");
        page.wait_for("live again", "window.sitepulseMap.stats().replay === null");

        // The wall screen, in the same browser session: no second sign-in.
        page.goto(&format!("http://{http}/screen"));
        page.wait_for("screen ready", "window.sitepulseScreen && window.sitepulseScreen.ready === true");
        assert_eq!(page.eval("document.getElementById('on-air').textContent"), 5);
        assert_eq!(
            page.eval("document.querySelectorAll('#ranks .rank-row').length"),
            4,
            "every county with planned sites"
        );
        let refreshed = page.eval("document.getElementById('refreshed').textContent");
        assert!(refreshed.as_str().unwrap().starts_with("刷新于"), "{refreshed}");
        shot(&page, "6-wall-screen.png");

        // The English view: every label in English.
        page.goto(&format!("http://{http}/"));
        page.wait_for("map ready", "window.sitepulseMap.ready === true");
        page.eval("document.getElementById('lang').click(); true");
        page.wait_for("English", "document.documentElement.lang === 'en'");
        let chinese = page.eval(
            "JSON.stringify([...document.querySelectorAll('#panel [data-t], #panel h2, #panel th, #counts, #legend, .map-legend, #targets, #projection, #focus, option, .county-label, #rank-county td:nth-child(2)')]
               .map((e) => e.textContent).filter((s) => /[\\u4e00-\\u9fff]/.test(s)))",
        );
        assert_eq!(chinese, json!([]), "Chinese left in the English view");
        shot(&page, "7-english.png");
        let errors = page.errors();
        assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    })
    .await
    .unwrap();
    println!(
        "screenshots: {}",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("wall-map")
            .display()
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_s_own_boundaries_replace_the_shipped_ones_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let admin = token(&c.db, "管理员", "admin", None);
    let (_, shipped) = c.get("/api/v1/boundaries.geojson").await;
    assert_eq!(shipped["shipped"], true);
    assert_eq!(shipped["features"].as_array().unwrap().len(), 8);
    assert!(shipped["attribution"].as_str().unwrap().contains("高德"));
    let square = |code: &str, x: f64| {
        json!({"type": "Feature", "properties": {"adcode": code},
            "geometry": {"type": "Polygon", "coordinates": [[[x, 36.4], [x + 0.1, 36.4], [x + 0.1, 36.5], [x, 36.5], [x, 36.4]]]}})
    };
    // One bad feature: nothing changes, and the error names it.
    let bad = json!({"type": "FeatureCollection", "coordinate_system": "GCJ-02",
        "features": [square("371502", 115.9), {"type": "Feature", "properties": {"adcode": "3715"}, "geometry": null}]});
    let (status, body) = request(
        reqwest::Method::POST,
        c.http,
        "/api/v1/boundaries?source=bad.geojson",
        Some(&admin),
        Some(bad.to_string().into_bytes()),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("feature 2 (3715)"),
        "{body}"
    );
    assert_eq!(c.get("/api/v1/boundaries.geojson").await.1["shipped"], true);
    // The city's own two counties, in GCJ-02: stored in WGS-84, served instead.
    let own = json!({"type": "FeatureCollection", "coordinate_system": "GCJ-02",
        "features": [square("371502", 115.9), square("371503", 116.1)]});
    let (status, body) = request(
        reqwest::Method::POST,
        c.http,
        "/api/v1/boundaries?source=official.geojson",
        Some(&admin),
        Some(own.to_string().into_bytes()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, now) = c.get("/api/v1/boundaries.geojson").await;
    assert_eq!(now["shipped"], false);
    let f = now["features"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["properties"]["name"], "东昌府区");
    assert_eq!(f[1]["properties"]["name_en"], "Chiping");
    let x = f[0]["geometry"]["coordinates"][0][0][0][0]
        .as_f64()
        .unwrap();
    assert!(
        (115.893..115.897).contains(&x),
        "GCJ-02 shifted west to WGS-84: {x}"
    );
    // A viewer may not replace them.
    let viewer = token(&c.db, "专班", "viewer", None);
    let (status, _) = request(
        reqwest::Method::POST,
        c.http,
        "/api/v1/boundaries",
        Some(&viewer),
        Some(own.to_string().into_bytes()),
    )
    .await;
    assert_eq!(status, 403);
    let (_, audit) = request(
        reqwest::Method::GET,
        c.http,
        "/api/v1/audit",
        Some(&admin),
        None,
    )
    .await;
    assert!(audit.to_string().contains("boundaries.import"), "{audit}");
    c.stop().await;
}
