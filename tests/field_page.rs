//! The field-report page on a phone-sized screen in a real browser, on a collector whose clock
//! is not the phone's (as in the demo): a wrong token refused at sign-in, the nearest site found
//! from the phone's position, the next stage preselected, refusals explained in Chinese, an
//! obstacle reported and resolved (销号) by the collector's date, and a report made with no
//! network kept on the phone and delivered once when the network returns.

use crate::browser::Page;
use crate::map::post;
use crate::util::*;
use headless_chrome::protocol::cdp::{Browser as Cdp, Emulation, Network};
use std::sync::Arc;

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");

fn network(page: &Page, offline: bool) {
    page.tab
        .call_method(Network::EmulateNetworkConditions {
            offline,
            latency: 0.0,
            download_throughput: -1.0,
            upload_throughput: -1.0,
            connection_Type: None,
            packet_loss: None,
            packet_queue_length: None,
            packet_reordering: None,
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_reports_from_the_phone_page() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    // The collector's day is 15 September 2020, years before the phone's.
    let today = "2020-09-15";
    let clock = Arc::new(sitepulse::clock::FixedClock(
        "2020-09-15T04:00:00Z".parse().unwrap(),
    ));
    let c = Collector::start_at(cfg, clock).await;
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
        page.tab.call_method(Network::Enable {
            max_total_buffer_size: None,
            max_resource_buffer_size: None,
            max_post_data_size: None,
            report_direct_socket_traffic: None,
            enable_durable_messages: None,
        }).unwrap();
        page.goto(&format!("{origin}/field"));
        page.wait_for("page shown", "document.getElementById('save') !== null");

        // A wrong token is refused at sign-in, in Chinese, and nothing else opens.
        page.eval(
            "document.getElementById('token').value = 'sp_not-a-token';
             document.getElementById('reporter').value = '王工';
             document.getElementById('save').click(); true",
        );
        page.wait_quietly(
            "wrong token refused",
            "!!document.querySelector('#signin-msg .msg.err')",
        );
        let msg = page.eval("document.getElementById('signin-msg').textContent");
        assert!(msg.as_str().unwrap().contains("访问令牌无效"), "{msg}");
        assert_eq!(
            page.eval("document.getElementById('find').classList.contains('hidden')"),
            true
        );
        let logged = page.take_errors();
        assert!(logged.iter().all(|e| e.contains("401")), "{logged:?}");
        page.screenshot("field-wrong-token.png");

        // The right one signs in; the old message goes.
        page.eval(&format!(
            "document.getElementById('token').value = '{engineer}';
             document.getElementById('save').click(); true"
        ));
        page.wait_for(
            "signed in",
            "document.getElementById('signin-msg').textContent.includes('已登录：移动东昌府班组')",
        );
        assert_eq!(page.eval("document.querySelectorAll('.msg.err').length"), 0);
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
        // Scrolled to the site; its county by name; the stage after 规划 chosen already.
        page.wait_for(
            "scrolled to the site",
            "window.scrollY > 0 && (() => { const top = document.getElementById('site').getBoundingClientRect().top;
               return top > -5 && top < window.innerHeight / 2; })()",
        );
        let info = page.eval("document.getElementById('site-info').textContent");
        assert!(info.as_str().unwrap().contains("区县: 东昌府区"), "{info}");
        assert_eq!(page.eval("document.getElementById('stage').value"), "approved");
        page.screenshot("field-site.png");

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
        // The form is cleared and the next stage is offered.
        assert_eq!(page.eval("document.getElementById('note').value"), "");
        page.wait_for(
            "next stage offered",
            "document.getElementById('stage').value === 'powered'",
        );

        // A step back without a reason is refused, in Chinese.
        page.eval(
            "document.getElementById('stage').value = 'approved';
             document.getElementById('stage-form').requestSubmit(); true",
        );
        page.wait_quietly(
            "step back refused",
            "!!document.querySelector('#result .msg.err')",
        );
        let msg = page.eval("document.getElementById('result').textContent");
        assert!(
            msg.as_str().unwrap().contains("退回到“站址落实”须填写回退原因"),
            "{msg}"
        );
        let logged = page.take_errors();
        assert!(logged.iter().all(|e| e.contains("400")), "{logged:?}");
        page.screenshot("field-step-back.png");

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
        assert_eq!(page.eval("document.getElementById('desc').value"), "");

        // 销号 by the collector's date: the phone's is years later.
        page.eval(
            "window.prompt = () => '物业已同意进场';
             document.querySelector('[data-resolve]').click(); true",
        );
        page.wait_for(
            "obstacle resolved",
            "document.querySelectorAll('#obstacles li.site').length === 0
             && !!document.querySelector('#result .msg.ok')",
        );

        // No network: the report stays on the phone, then arrives once.
        network(&page, true);
        page.eval(
            "document.getElementById('kind').value = 'power';
             document.getElementById('desc').value = '市电未到位';
             document.getElementById('unit').value = '东昌府区供电公司';
             document.getElementById('obstacle-form').requestSubmit(); true",
        );
        page.wait_quietly(
            "report kept on the phone",
            "JSON.parse(localStorage.getItem('sitepulse.outbox') || '[]').length === 1
             && !document.getElementById('queue').classList.contains('hidden')",
        );
        let banner = page.eval("document.getElementById('queue').textContent");
        page.screenshot("field-offline.png");
        assert!(banner.as_str().unwrap().contains("已保存在本机"), "{banner}");
        page.take_errors();
        network(&page, false);
        page.eval("window.dispatchEvent(new Event('online')); true");
        page.wait_for(
            "kept report delivered",
            "JSON.parse(localStorage.getItem('sitepulse.outbox') || '[]').length === 0
             && document.querySelectorAll('#obstacles li.site').length === 1",
        );
        // Sending again finds nothing left to send.
        page.eval("flush(); true");
        std::thread::sleep(std::time::Duration::from_millis(500));

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
    let list = m["milestones"].as_array().unwrap();
    assert_eq!(list.len(), 1, "the refused step back recorded nothing: {m}");
    let m = &list[0];
    assert_eq!(m["stage"], "built");
    assert_eq!(m["reporter"], "王工");
    assert_eq!(m["flagged"], false, "{m}");
    assert!(m["distance_m"].as_f64().unwrap() < 20.0, "{m}");
    let (_, o) = c.get("/api/v1/sites/A06/obstacles").await;
    let o = o["obstacles"].as_array().unwrap();
    let kinds: Vec<&str> = o.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["access", "power"],
        "the offline report arrived once"
    );
    assert_eq!(o[0]["reporter"], "王工");
    assert_eq!(o[0]["resolved"], today);
    assert_eq!(o[0]["opened"], today);
    c.stop().await;
}

/// The same write sent twice under one `Idempotency-Key` (a reply lost on the way back) is
/// recorded once; the key is the sender's: another token's same key is another request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_repeated_under_its_key_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    assert_eq!(post(&c, "/api/v1/plan/sites", PLAN.to_vec()).await.0, 200);
    let a = token(&c.db, "移动班组甲", "operator", Some("cmcc"));
    let b = token(&c.db, "移动班组乙", "operator", Some("cmcc"));
    let send = |tok: String, key: &'static str| {
        let url = format!("http://{}/api/v1/sites/A06/obstacles", c.http);
        async move {
            let r = http_client()
                .post(url)
                .bearer_auth(tok)
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({
                    "kind": "access", "description": "物业拒绝进场",
                    "responsible_unit": "东昌府区住建局", "reporter": "王工"
                }))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s1, first) = send(a.clone(), "k-1").await;
    let (s2, again) = send(a.clone(), "k-1").await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first["id"], again["id"]);
    let (_, other) = send(b, "k-1").await;
    assert_ne!(other["id"], first["id"]);
    let (_, o) = c.get("/api/v1/sites/A06/obstacles").await;
    assert_eq!(o["obstacles"].as_array().unwrap().len(), 2);
    // Who the token is and the collector's day, for the page's sign-in.
    let r = http_client()
        .get(format!("http://{}/api/v1/me", c.http))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("移动班组甲"), Some("operator"))
    );
    let r = http_client()
        .get(format!("http://{}/api/v1/me", c.http))
        .bearer_auth("sp_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "unauthorized");
    c.stop().await;
}
