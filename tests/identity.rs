//! Agent identity: an agent cannot report for another site — Mosquitto's per-site ACL stops it
//! at the broker; with the embedded broker, per-site signatures stop it at the collector.

use crate::util::*;
use serde_json::Value;
use std::process::Command;

fn status(site: &str, seq: u64) -> Vec<u8> {
    status_json(site, "b1", seq, "installed").into_bytes()
}

fn topic(site: &str) -> String {
    format!("sitepulse/v1/sites/{site}/status")
}

fn issue_key(db: &std::path::Path, site: &str) -> sitepulse::wire::signature::Key {
    let out = Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .args(["keys", "issue", "--site", site, "--by", "张工", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let (s, key) = line.trim().split_once(',').unwrap();
    assert_eq!(s, site);
    sitepulse::wire::signature::parse_key(key).unwrap()
}

async fn quarantined(c: &Collector, reason: &str) -> usize {
    let (_, q) = c.get("/api/v1/quarantine?limit=1000").await;
    q["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reason"] == reason)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_keep_agents_to_their_own_site_on_the_embedded_broker() {
    use sitepulse::wire::signature::sign;
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, url) = embedded_config(dir.path());
    cfg.ingest.require_signature = true;
    let db = cfg.store.path.clone();
    let k1 = issue_key(&db, "S1");
    let c = Collector::start(cfg).await;
    // A key issued while the collector runs is picked up.
    let k2 = issue_key(&db, "S2");

    let s1 = sign(&status("S1", 0), &k1);
    publish(&url, &topic("S1"), s1.clone()).await;
    eventually(30, "a signed report stored", || async {
        let (_, s) = c.get("/api/v1/sites/S1").await;
        (s["site"]["stage"] == "installed").then_some(())
    })
    .await;
    // Unsigned; S1 pretending to be S2 with its own key; changed after signing; a site with no
    // key: all quarantined as unauthenticated.
    publish(&url, &topic("S1"), status("S1", 1)).await;
    publish(&url, &topic("S2"), sign(&status("S2", 0), &k1)).await;
    let tampered = String::from_utf8(sign(&status("S1", 2), &k1))
        .unwrap()
        .replace("\"installed\"", "\"on_air\"");
    publish(&url, &topic("S1"), tampered).await;
    publish(&url, &topic("S3"), sign(&status("S3", 0), &k1)).await;
    eventually(30, "four messages quarantined", || async {
        (quarantined(&c, "unauthenticated").await == 4).then_some(())
    })
    .await;
    assert_eq!(c.get("/api/v1/sites/S2").await.0, 404);
    assert_eq!(c.get("/api/v1/sites/S3").await.0, 404);
    // S2 with its own key is fine once the key has reached the collector.
    eventually(30, "S2 accepted with its key", || async {
        publish(&url, &topic("S2"), sign(&status("S2", 1), &k2)).await;
        (c.get("/api/v1/sites/S2").await.0 == 200).then_some(())
    })
    .await;
    // A replayed message is recognised by its sequence number and stored once.
    let before = c.metric("sitepulse_messages_duplicate_total").await;
    publish(&url, &topic("S1"), s1).await;
    eventually(30, "the replay counted as a duplicate", || async {
        (c.metric("sitepulse_messages_duplicate_total").await > before).then_some(())
    })
    .await;
    let (_, h) = c
        .get("/api/v1/sites/S1/history?from=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(h["reports"].as_array().map(Vec::len).unwrap_or(0), 1, "{h}");
    c.stop().await;
    // The audit trail names the site, never the key.
    let control = sitepulse::store::control::ControlStore::open(&db).unwrap();
    let audit = control.audit(100).unwrap();
    let issued: Vec<&Value> = audit
        .iter()
        .filter(|a| a.action == "key.issue")
        .filter_map(|a| a.after.as_ref())
        .collect();
    assert_eq!(issued.len(), 2);
    for a in issued {
        assert!(
            !a.to_string().contains(&hex::encode(k1)) && !a.to_string().contains(&hex::encode(k2))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquittos_acl_keeps_agents_to_their_own_site() {
    let dir = tempfile::tempdir().unwrap();
    let passwd = dir.path().join("passwd");
    for (i, (user, pass)) in [
        ("sitepulse", "collector-secret"),
        ("S1", "secret-S1"),
        ("S2", "secret-S2"),
    ]
    .iter()
    .enumerate()
    {
        let mut cmd = Command::new("mosquitto_passwd");
        if i == 0 {
            cmd.arg("-c");
        }
        run_tool(cmd.arg("-b").arg(&passwd).arg(user).arg(pass));
    }
    let acl = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/mosquitto.acl");
    let m = Mosquitto::start_with(&format!(
        "allow_anonymous false\npassword_file {}\nacl_file {}\n",
        passwd.display(),
        acl.display()
    ));
    let mut cfg = config(dir.path(), &m.url());
    cfg.mqtt.username = Some("sitepulse".into());
    cfg.mqtt.password = Some("collector-secret".into());
    let c = Collector::start(cfg).await;
    let url = m.url();
    // S1 publishes for S2, then for itself. The broker queues a message for its subscribers
    // before it acknowledges it, and the second publish starts after the first was
    // acknowledged: once S1's own report is stored, S2's would have been too.
    // (Mosquitto 2.0.11 may close the connection of a client whose QoS 1 publish it denied
    // before that client has read the PUBACK; mosquitto_pub sends this one, as an agent might.)
    run_tool(
        Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &m.port.to_string(), "-q", "1"])
            .args(["-u", "S1", "-P", "secret-S1", "-t", &topic("S2")])
            .arg("-m")
            .arg(String::from_utf8(status("S2", 0)).unwrap()),
    );
    publish_as(
        &url,
        Some(("S1", "secret-S1")),
        &topic("S1"),
        status("S1", 0),
    )
    .await;
    eventually(30, "S1's own report stored", || async {
        (c.get("/api/v1/sites/S1").await.0 == 200).then_some(())
    })
    .await;
    assert_eq!(
        c.get("/api/v1/sites/S2").await.0,
        404,
        "the broker let S1 write for S2"
    );
    // S2 itself may.
    publish_as(
        &url,
        Some(("S2", "secret-S2")),
        &topic("S2"),
        status("S2", 0),
    )
    .await;
    eventually(30, "S2's report stored", || async {
        (c.get("/api/v1/sites/S2").await.0 == 200).then_some(())
    })
    .await;
    c.stop().await;
}
