//! Backup while ingest runs, restore, and a consistent store afterwards.

use crate::util::*;
use sitepulse::store::sqlite::SqliteReader;
use std::collections::HashSet;
use std::process::Command;

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_ingest_restores_to_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, url) = embedded_config(dir.path());
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
    let agents = SimAgents::start(
        sitepulse::sim::scenario::liaocheng(200, 9),
        &url,
        None,
        sitepulse::sim::runner::Faults::default(),
        9,
    );
    let reader = SqliteReader::open(&db).unwrap();
    eventually(60, "ingest under way", || async {
        (reader.status_count().unwrap() > 2000).then_some(())
    })
    .await;

    // While the agents keep publishing.
    let backup = dir.path().join("backup.db");
    let out = Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .arg("backup")
        .arg(&backup)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(printed.contains("28 planned sites"), "{printed}");
    // A backup never overwrites.
    let again = Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .arg("backup")
        .arg(&backup)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!again.status.success());
    eventually(60, "ingest went on after the backup", || async {
        let n = reader.status_count().unwrap();
        let in_backup = SqliteReader::open(&backup).unwrap().status_count().unwrap();
        (n > in_backup).then_some(())
    })
    .await;
    agents.stop().await;

    // Restoring over a store in use is refused.
    let busy = Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .arg("restore")
        .arg(&backup)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!busy.status.success());
    assert!(String::from_utf8_lossy(&busy.stderr).contains("stop the collector"));
    c.stop().await;

    // Restore into a new place and compare with the live store.
    let restored = dir.path().join("restored.db");
    run_tool(
        Command::new(env!("CARGO_BIN_EXE_sitepulse"))
            .arg("restore")
            .arg(&backup)
            .arg("--db")
            .arg(&restored),
    );
    let live: Vec<_> = SqliteReader::open(&db).unwrap().all_keys().unwrap();
    let back: Vec<_> = SqliteReader::open(&restored).unwrap().all_keys().unwrap();
    let live_set: HashSet<_> = live.iter().cloned().collect();
    let back_set: HashSet<_> = back.iter().cloned().collect();
    assert_eq!(
        back_set.len(),
        back.len(),
        "every report once in the restored store"
    );
    assert!(back.len() > 2000 && back.len() < live.len());
    assert!(
        back_set.is_subset(&live_set),
        "the backup holds nothing the store did not"
    );
    // It is a snapshot: for each agent run, the reports in the backup are the first ones.
    for (site, boot, seq) in &back {
        for earlier in 0..*seq {
            assert!(
                back_set.contains(&(site.clone(), boot.clone(), earlier))
                    || !live_set.contains(&(site.clone(), boot.clone(), earlier)),
                "{site}/{boot}: {earlier} missing before {seq}"
            );
        }
    }
    // The restored store serves: plan and telemetry are there for a collector started on it.
    let cfg = config(dir.path(), &url);
    let mut cfg = cfg;
    cfg.store.path = restored;
    cfg.broker.embedded = true;
    cfg.broker.listen = ([127, 0, 0, 1], free_port()).into();
    cfg.mqtt.url = format!("mqtt://{}", cfg.broker.listen);
    let c = Collector::start(cfg).await;
    let (_, sites) = c.get("/api/v1/sites?in_plan=true").await;
    assert_eq!(sites["total"], 28);
    c.stop().await;
}
