//! `sitepulse demo`: everything in one process, progress rising on simulated time.

use crate::util::*;
use sitepulse::demo::{DemoOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_shows_sites_coming_on_air() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DemoOptions {
        http: ([127, 0, 0, 1], free_port()).into(),
        broker: ([127, 0, 0, 1], free_port()).into(),
        db: dir.path().join("demo.db"),
        sites: 600,
        days_per_second: 20.0,
        interval_s: 0.5,
        ..DemoOptions::default()
    };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let demo = tokio::spawn(run(
        opts,
        move |http, _, _| {
            let _ = ready_tx.send(http);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let http = ready_rx.await.expect("demo starts");
    let on_air = || async move {
        let (_, p) = get(http, "/api/v1/progress").await;
        p["total"]["on_air"].as_u64().unwrap_or(0)
    };
    let first = eventually(60, "first sites on air", || async {
        let n = on_air().await;
        (n > 0).then_some(n)
    })
    .await;
    let later = eventually(60, "more sites on air", || async {
        let n = on_air().await;
        (n > first).then_some(n)
    })
    .await;
    assert!(later > first);
    let (_, p) = get(http, "/api/v1/progress").await;
    assert_eq!(p["total"]["sites"], 600, "every simulated site registered");
    assert_eq!(
        p["by_county"].as_array().unwrap().len(),
        8,
        "all eight counties"
    );
    // The plan is imported, and people report: obstacles and milestones reach the checklist.
    assert_eq!(
        get(http, "/api/v1/sites?in_plan=true").await.1["total"],
        600
    );
    let month = eventually(60, "field engineers opened obstacles", || async {
        let (_, o) = get(http, "/api/v1/obstacles").await;
        // The first month of the simulation or later (late sites planned for March 2020 have
        // theirs opened in February, before the plan's first tasks).
        o["obstacles"]
            .as_array()?
            .iter()
            .filter_map(|x| x["opened"].as_str())
            .find(|d| *d >= "2020-03")
            .map(|d| d[..7].to_string())
    })
    .await;
    let (status, c) = get(http, &format!("/api/v1/checklist/{month}")).await;
    assert_eq!(status, 200, "{c}");
    let open: u64 = c["total"]["open_obstacles"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    let resolved = c["total"]["resolved_obstacles"].as_u64().unwrap();
    assert!(open + resolved > 0, "{month}: {c}");
    assert!(c["total"]["yearly_task"].as_u64().unwrap() > 0);
    // Coverage of the demo's urban areas rises as sites come on air.
    let covered = || async move {
        let (_, c) = get(http, "/api/v1/coverage").await;
        let areas = c["areas"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            areas.len(),
            9,
            "the city centre, seven county seats and a park: {c}"
        );
        areas
            .iter()
            .map(|a| a["covered_share"].as_f64().unwrap() * a["area_km2"].as_f64().unwrap())
            .sum::<f64>()
    };
    let before = covered().await;
    eventually(60, "coverage rising", || async {
        let now = covered().await;
        (now > before).then_some(())
    })
    .await;
    let _ = stop_tx.send(());
    demo.await.unwrap().unwrap();
}
