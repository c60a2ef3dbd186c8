//! End-to-end ingest: agent messages through a broker into the store, the state and the API.

use crate::util::*;

/// The status example of the README's protocol section, so the documented example is what is
/// tested.
fn readme_example() -> (String, String) {
    let readme = include_str!("../README.md");
    let block = |marker: &str| {
        let start = readme
            .find(marker)
            .unwrap_or_else(|| panic!("README lacks {marker}"));
        let rest = &readme[start..];
        let body = &rest[rest.find("```json\n").unwrap() + 8..];
        body[..body.find("```").unwrap()].to_string()
    };
    (
        block("<!-- example: status -->"),
        block("<!-- example: info -->"),
    )
}

async fn end_to_end(url: &str, config: sitepulse::config::Config) {
    let c = Collector::start(config).await;
    // A report and the site's info, from the README.
    let (status, info) = readme_example();
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    let site = v["site"].as_str().unwrap().to_string();
    publish(url, &format!("sitepulse/v1/sites/{site}/info"), info).await;
    // The README's timestamp is fixed; restamp it so it is inside the accepted window.
    let mut v = v;
    v["ts"] = serde_json::json!(chrono::Utc::now().to_rfc3339());
    publish(
        url,
        &format!("sitepulse/v1/sites/{site}/status"),
        v.to_string(),
    )
    .await;
    let body = eventually(30, "site visible in the API", || async {
        let (code, body) = c.get(&format!("/api/v1/sites/{site}")).await;
        (code == 200 && body["latest"]["seq"] == v["seq"]).then_some(body)
    })
    .await;
    assert_eq!(body["site"]["stage"], v["stage"]);
    assert_eq!(body["info"]["county"], "371502");
    assert_eq!(body["site"]["alarms"], serde_json::json!([]));

    // A malformed message is rejected with its reason, and the pipeline goes on.
    publish(
        url,
        &format!("sitepulse/v1/sites/{site}/status"),
        "{\"schema\":\"sitepulse.status/1\",",
    )
    .await;
    publish(
        url,
        "sitepulse/v1/sites/OTHER-SITE/status",
        status_json(&site, "b1", 1, "on_air"),
    )
    .await;
    publish_status(url, &site, "b1", 7, "accepted").await;
    eventually(30, "stage accepted after the bad messages", || async {
        let (_, body) = c.get(&format!("/api/v1/sites/{site}")).await;
        (body["site"]["stage"] == "accepted").then_some(())
    })
    .await;
    assert_eq!(
        c.metric("sitepulse_messages_rejected_total{reason=\"invalid_json\"}")
            .await,
        1.0
    );
    assert_eq!(
        c.metric("sitepulse_messages_rejected_total{reason=\"site_mismatch\"}")
            .await,
        1.0
    );
    let (_, q) = c.get("/api/v1/quarantine").await;
    let reasons: Vec<&str> = q["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["site_mismatch", "invalid_json"]);

    // A repeated report (the same bytes again, as a redelivery or an agent's retry) is stored once.
    let repeated = status_json(&site, "b1", 8, "accepted");
    let status_topic = format!("sitepulse/v1/sites/{site}/status");
    publish(url, &status_topic, repeated.clone()).await;
    publish(url, &status_topic, repeated).await;
    eventually(30, "duplicate counted", || async {
        (c.metric("sitepulse_messages_duplicate_total").await == 1.0).then_some(())
    })
    .await;
    let reader = sitepulse::store::sqlite::SqliteReader::open(&c.db).unwrap();
    assert_eq!(reader.count_of(&site, "b1", 8).unwrap(), 1);
    assert_eq!(
        reader.status_count().unwrap(),
        3,
        "README report, seq 7, seq 8 once"
    );
    // Without a plan the site is known from its agent only: counted apart from the figures.
    let (_, p) = c.get("/api/v1/progress").await;
    assert_eq!(p["unplanned"]["on_air"], 1);
    assert_eq!(p["total"]["on_air"], 0);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_embedded_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, url) = embedded_config(dir.path());
    end_to_end(&url, cfg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_mosquitto() {
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    end_to_end(&m.url(), config(dir.path(), &m.url())).await;
}

/// `mosquitto_pub` with the README's example, as an engineer would try it by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_pub_of_the_readme_example() {
    let m = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let c = Collector::start(config(dir.path(), &m.url())).await;
    let (status, _) = readme_example();
    let mut v: serde_json::Value = serde_json::from_str(&status).unwrap();
    v["ts"] = serde_json::json!(chrono::Utc::now().to_rfc3339());
    let site = v["site"].as_str().unwrap().to_string();
    let out = std::process::Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &m.port.to_string(), "-q", "1"])
        .args([
            "-t",
            &format!("sitepulse/v1/sites/{site}/status"),
            "-m",
            &v.to_string(),
        ])
        .output()
        .expect("mosquitto_pub is installed (apt-get install mosquitto-clients)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually(30, "site from mosquitto_pub visible", || async {
        let (code, body) = c.get(&format!("/api/v1/sites/{site}")).await;
        (code == 200 && body["latest"]["boot"] == v["boot"]).then_some(())
    })
    .await;
    c.stop().await;
}

/// The simulator's agents, with faults, through the embedded broker: everything they had
/// acknowledged that was well-formed is stored, duplicates once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_agents_with_faults() {
    use sitepulse::sim::runner::Faults;
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, url) = embedded_config(dir.path());
    let c = Collector::start(cfg).await;
    let faults = Faults {
        duplicate: 0.2,
        out_of_order: 0.1,
        malformed: 0.05,
        ..Faults::default()
    };
    let agents = SimAgents::start(
        sitepulse::sim::scenario::liaocheng(50, 3),
        &url,
        None,
        faults,
        9,
    );
    let stats = agents.stats.clone();
    eventually(60, "2000 reports published", || async {
        (stats.published.load(Ordering::Relaxed) >= 2000).then_some(())
    })
    .await;
    agents.stop().await;
    let published = stats.published.load(Ordering::Relaxed);
    let malformed = stats.malformed.load(Ordering::Relaxed);
    let duplicates = stats.duplicates.load(Ordering::Relaxed);
    assert!(duplicates > 0 && malformed > 0, "faults were injected");
    // Every publish is a report, a malformed payload or a second copy of a report.
    let expect_stored = published - malformed - duplicates;
    let reader = sitepulse::store::sqlite::SqliteReader::open(&c.db).unwrap();
    eventually(60, "every well-formed report stored once", || async {
        let n = reader.status_count().unwrap();
        assert!(
            n <= expect_stored,
            "stored {n} > {expect_stored}: something stored twice"
        );
        (n == expect_stored).then_some(())
    })
    .await;
    assert_eq!(
        c.metric("sitepulse_messages_rejected_total{reason=\"invalid_json\"}")
            .await,
        malformed as f64
    );
    let (_, p) = c.get("/api/v1/progress").await;
    assert_eq!(p["unplanned"]["sites"], 50);
    c.stop().await;
}

/// `mqtts://` with a private CA: the collector verifies the broker's certificate and ingests
/// over TLS. Certificates are made with the openssl command for the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_mosquitto_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca, cert, key) = test_ca(d);
    let tls_port = free_port();
    let m = Mosquitto::start_with(&format!(
        "listener {tls_port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n",
        ca = ca.display(),
        cert = cert.display(),
        key = key.display(),
    ));
    let mut cfg = config(d, &format!("mqtts://127.0.0.1:{tls_port}"));
    cfg.mqtt.ca_file = Some(ca);
    let c = Collector::start(cfg).await;
    // Agents on the plain listener; the collector reads over TLS.
    publish(
        &m.url(),
        "sitepulse/v1/sites/TLS-1/status",
        status_json("TLS-1", "b", 1, "on_air"),
    )
    .await;
    eventually(30, "report stored through the TLS connection", || async {
        (c.get("/api/v1/sites/TLS-1").await.0 == 200).then_some(())
    })
    .await;
    c.stop().await;
}

/// Agents log in with credentials of their own (username = site id, password from a template);
/// a broker that refuses anonymous clients lets each in, and the collector with its own account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_with_their_own_credentials() {
    use sitepulse::sim::runner::Faults;
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let plans = sitepulse::sim::scenario::liaocheng(3, 5);
    let passwd = dir.path().join("passwd");
    let mut users: Vec<(String, String)> = plans
        .iter()
        .map(|p| (p.info.site.clone(), format!("pw-{}", p.info.site)))
        .collect();
    users.push(("collector".into(), "collector-secret".into()));
    for (i, (user, pass)) in users.iter().enumerate() {
        let mut cmd = std::process::Command::new("mosquitto_passwd");
        if i == 0 {
            cmd.arg("-c");
        }
        run_tool(cmd.arg("-b").arg(&passwd).arg(user).arg(pass));
    }
    let m = Mosquitto::start_with(&format!(
        "allow_anonymous false\npassword_file {}\n",
        passwd.display()
    ));
    let mut cfg = config(dir.path(), &m.url());
    cfg.mqtt.username = Some("collector".into());
    cfg.mqtt.password = Some("collector-secret".into());
    let c = Collector::start(cfg).await;
    let sites: Vec<String> = plans.iter().map(|p| p.info.site.clone()).collect();
    let agents = SimAgents::start(plans, &m.url(), Some("pw-{site}"), Faults::default(), 1);
    for site in &sites {
        eventually(30, "each agent's reports stored", || async {
            (c.get(&format!("/api/v1/sites/{site}")).await.0 == 200).then_some(())
        })
        .await;
    }
    let stats = agents.stats.clone();
    agents.stop().await;
    assert_eq!(
        stats.connection_errors.load(Ordering::Relaxed),
        0,
        "every agent was let in"
    );
    c.stop().await;
}
