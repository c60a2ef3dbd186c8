//! The field-report page on a phone-sized screen in a real browser: sign in, find the nearest
//! site from the phone's position, report a stage and an obstacle; the position goes with them.

use crate::browser::Page;
use crate::map::post;
use crate::util::*;
use headless_chrome::protocol::cdp::{Browser as Cdp, Emulation};

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_reports_from_the_phone_page() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let http = c.http;
    assert_eq!(post(&c, "/api/v1/plan/sites", PLAN.to_vec()).await.0, 200);
    // A cmcc engineer's token: A06 is a cmcc site.
    let engineer = token(&c.db, "移动东昌府班组", "operator", Some("cmcc"));

    let engineer_token = engineer.clone();
    tokio::task::spawn_blocking(move || {
        let engineer = engineer_token;
        let page = Page::new(390, 844);
        let origin = format!("http://{http}");
        page.tab
            .call_method(Cdp::GrantPermissions {
                permissions: vec![Cdp::PermissionType::Geolocation],
                origin: Some(origin.clone()),
                browser_context_id: None,
            })
            .unwrap();
        // Standing about 10 m from A06 (光岳路北段, 36.4702, 115.9833).
        page.tab
            .call_method(Emulation::SetGeolocationOverride {
                latitude: Some(36.47029),
                longitude: Some(115.9833),
                accuracy: Some(5.0),
                altitude: None,
                altitude_accuracy: None,
                heading: None,
                speed: None,
            })
            .unwrap();
        page.goto(&format!("{origin}/field"));
        page.wait_for("page shown", "document.getElementById('save') !== null");
        page.eval(&format!(
            "document.getElementById('token').value = '{engineer}';
             document.getElementById('reporter').value = '王工';
             document.getElementById('save').click(); true"
        ));
        page.wait_for(
            "GPS fix shown",
            "document.getElementById('gps').textContent.includes('36.47')",
        );
        page.eval("document.getElementById('nearest').click(); true");
        page.wait_for(
            "nearest sites listed",
            "document.querySelectorAll('#results li.site').length > 0",
        );
        let first = page.eval("document.querySelector('#results li.site').dataset.id");
        assert_eq!(first, "A06");
        page.eval("document.querySelector('#results li.site').click(); true");
        page.wait_for(
            "site opened",
            "document.getElementById('site-title').textContent.includes('A06')",
        );
        page.eval(
            "document.getElementById('stage').value = 'built';
             document.getElementById('date').value = '2020-08-10';
             document.getElementById('note').value = '塔体已完工';
             document.getElementById('stage-form').requestSubmit(); true",
        );
        page.wait_for(
            "stage reported",
            "!!document.querySelector('#result .msg.ok')",
        );
        page.eval(
            "document.getElementById('tab-obstacle').click();
             document.getElementById('kind').value = 'access';
             document.getElementById('desc').value = '物业拒绝进场';
             document.getElementById('unit').value = '东昌府区住建局';
             document.getElementById('obstacle-form').requestSubmit(); true",
        );
        page.wait_for(
            "obstacle listed",
            "document.querySelectorAll('#obstacles li.site').length === 1",
        );
        let errors = page.errors();
        assert!(errors.is_empty(), "the page logged errors: {errors:?}");
        // The viewport is a phone's: nothing wider than the screen.
        assert_eq!(
            page.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true
        );
    })
    .await
    .unwrap();

    // What the server got: who, when, and from where.
    let (_, m) = c.get("/api/v1/sites/A06/milestones").await;
    let m = &m["milestones"][0];
    assert_eq!(m["stage"], "built");
    assert_eq!(m["reporter"], "王工");
    assert_eq!(m["flagged"], false, "{m}");
    assert!(m["distance_m"].as_f64().unwrap() < 20.0, "{m}");
    let (_, o) = c.get("/api/v1/sites/A06/obstacles").await;
    assert_eq!(o["obstacles"][0]["kind"], "access");
    assert_eq!(o["obstacles"][0]["reporter"], "王工");
    c.stop().await;
}
