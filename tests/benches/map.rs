//! Map benchmark: coverage computation and the web map in a real browser, for a city (10,000
//! sites) and ten times that (100,000).
//!
//! ```sh
//! cargo bench --bench map                       # 10,000 and 100,000 sites
//! BENCH_SITES=10000 cargo bench --bench map
//! ```
//!
//! Needs Debian's chromium (`apt-get install chromium`). For each size: the simulated city at the
//! end of 2023 is written into a store, with the demo's approximate Liaocheng areas; then it
//! prints the time to prepare the areas' grids, to compute coverage of every area with every
//! on-air site, the cost of one more site coming on air (its cells, and the report after it),
//! the size of `/api/v1/sites.geojson`, and in the browser: time until the map is
//! drawn, what a filter change and a redraw (pan or zoom) cost, and a replay step to a past
//! month (fetched, and fetched before).

#[path = "city.rs"]
mod city;

use chrono::Duration;
use headless_chrome::{Browser, LaunchOptions};
use sitepulse::clock::FixedClock;
use sitepulse::config::Config;
use sitepulse::coverage::grid::Footprint;
use sitepulse::coverage::report::{self, SiteInput};
use sitepulse::domain::actor::Actor;
use sitepulse::domain::calendar::Month;
use sitepulse::rollout::service::Rollout;
use sitepulse::sim::scenario::liaocheng;
use sitepulse::state;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn eval_f64(tab: &headless_chrome::Tab, expr: &str) -> f64 {
    tab.evaluate(expr, false)
        .unwrap()
        .value
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN)
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("BENCH_SITES") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![10_000, 100_000],
    };
    let now = Month::parse("2023-12").unwrap().end() - Duration::hours(1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        // The stored history is sampled: each site's last report is up to 66 hours before the
        // bench's clock, which would make every agent offline. Cover by stage.
        config.coverage.radiating_only = false;
        // For the same reason, the alarms: a city whose every agent is silent is not the map's
        // usual load.
        config.alarms.offline_intervals = 100_000;
        config.store.path = dir.path().join("bench.db");
        // The map page reads without a token, as on a task-force screen with reading open.
        config.http.public_read = true;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        config.broker.embedded = true;
        config.broker.listen = ([127, 0, 0, 1], port).into();
        config.mqtt.client_id = format!("bench-map-{port}");
        let plans = liaocheng(n, 2020);
        city::fill_store(&config, &plans, now);

        let rollout = Rollout::open(config.clone(), Arc::new(FixedClock(now))).unwrap();
        let t = Instant::now();
        rollout
            .import_areas(
                sitepulse::demo::LIAOCHENG_AREAS.as_bytes(),
                "areas",
                &Actor::cli("bench"),
            )
            .unwrap();
        let grids_ms = t.elapsed().as_secs_f64() * 1e3;
        let grids = rollout.grids();
        let cells: usize = grids
            .iter()
            .map(|g| (g.area_m2() / (g.cell_m() * g.cell_m())) as usize)
            .sum();
        let registry = {
            let reader = sitepulse::store::sqlite::SqliteReader::open(&config.store.path).unwrap();
            let mut r = state::Registry::from_snapshot(
                sitepulse::store::telemetry::Telemetry::snapshot(&reader).unwrap(),
            );
            r.set_plan(rollout.plan().unwrap());
            r
        };
        let mut times = Vec::new();
        let mut on_air = 0;
        let mut covered = 0.0;
        let mut pairs = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let sites: Vec<SiteInput> = registry
                .iter()
                .filter_map(|(id, e)| {
                    Some(SiteInput {
                        site: id.clone(),
                        position: e.position()?,
                        kind: e.kind(),
                        bands: e.bands(),
                        covers: e.radiates(now, None),
                    })
                })
                .collect();
            pairs = report::footprints(&grids, &sites, &config.coverage);
            let f: Vec<Footprint> = pairs.iter().map(|(_, f)| *f).collect();
            let from_scratch = grids.iter().map(|g| g.cover(&f)).collect();
            let r = report::report(
                &grids,
                from_scratch,
                &config.coverage,
                &config.targets,
                &[],
                &sites,
            );
            times.push(t.elapsed().as_secs_f64() * 1e3);
            on_air = f.len();
            covered = r
                .areas
                .iter()
                .map(|a| a.covered_share * a.area_km2)
                .sum::<f64>()
                / r.areas.iter().map(|a| a.area_km2).sum::<f64>();
        }
        println!(
            "{n:>7} sites: area grids prepared in {grids_ms:.0} ms ({} areas, {cells} cells of {} m); coverage with {on_air} footprints: median {:.1} ms ({:.1}% of the areas covered)",
            grids.len(),
            config.coverage.cell_m,
            median(times),
            covered * 100.0
        );

        // One more site on air: its footprint marks its own cells in every area's marks.
        let mut marks: Vec<_> = grids.iter().map(|g| g.marks()).collect();
        for (_, f) in &pairs {
            for (g, m) in grids.iter().zip(marks.iter_mut()) {
                g.add(m, f);
            }
        }
        // New sites 150 m east of existing ones inside the target areas (the ones that mark
        // cells; a rural site outside every area costs less), one at a time.
        let extra: Vec<Footprint> = pairs
            .iter()
            .map(|(_, f)| Footprint {
                lon: f.lon + 150.0 / (111_320.0 * f.lat.to_radians().cos()),
                ..*f
            })
            .filter(|f| {
                let p = sitepulse::wire::Gps {
                    lat: f.lat,
                    lon: f.lon,
                };
                report::class_at(&grids, p).is_some()
            })
            .take(1000)
            .collect();
        let mut per_site: Vec<f64> = extra
            .iter()
            .map(|f| {
                let t = Instant::now();
                for (g, m) in grids.iter().zip(marks.iter_mut()) {
                    g.add(m, f);
                }
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        per_site.sort_by(f64::total_cmp);
        // The report the API serves after one more site: the engine adds the new footprint to
        // its kept marks, then counts gaps and continuity for every area.
        let engine = sitepulse::coverage::engine::Engine::default();
        engine.set_areas(
            sitepulse::domain::area::parse(sitepulse::demo::LIAOCHENG_AREAS.as_bytes()).unwrap(),
            config.coverage.cell_m,
        );
        let grids = engine.grids();
        engine.cover(&grids, &pairs);
        let mut after_one: Vec<f64> = extra
            .iter()
            .take(20)
            .enumerate()
            .map(|(i, f)| {
                pairs.push((format!("EXTRA-{i}"), *f));
                let t = Instant::now();
                let c = engine.cover(&grids, &pairs);
                let _ = report::report(&grids, c, &config.coverage, &config.targets, &[], &[]);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        after_one.sort_by(f64::total_cmp);
        println!(
            "{n:>7} sites: one more site on air inside an area: its cells marked in {:.1} µs median ({:.1} µs p99, {} sites); the full report after it {:.1} ms median (gaps and continuity of every area recounted)",
            per_site[per_site.len() / 2],
            per_site[per_site.len() * 99 / 100],
            per_site.len(),
            after_one[after_one.len() / 2],
        );

        // Where the next sites should go: five candidates in every area, and one carrier's
        // coverage computed afresh.
        let t = Instant::now();
        let proposals = rollout
            .candidates(
                None,
                5,
                sitepulse::wire::Band::N78,
                sitepulse::wire::SiteKind::Macro,
                None,
            )
            .unwrap();
        let candidates_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let cmcc = rollout.coverage_of(Some(sitepulse::wire::Operator::Cmcc));
        let operator_ms = t.elapsed().as_secs_f64() * 1e3;
        let share = |r: &sitepulse::coverage::report::Report| {
            r.areas
                .iter()
                .map(|a| a.covered_share * a.area_km2)
                .sum::<f64>()
                / r.areas.iter().map(|a| a.area_km2).sum::<f64>().max(1e-9)
        };
        println!(
            "{n:>7} sites: 5 candidate positions (n78 macro) in each of {} areas short of their goal in {candidates_ms:.0} ms (shares {}); China Mobile's own coverage in {operator_ms:.0} ms: {:.1}% of the areas (all carriers {:.1}%)",
            proposals.len(),
            proposals
                .iter()
                .map(|a| format!("{:.1}→{:.1}%", a.share * 100.0, a.share_after * 100.0))
                .collect::<Vec<_>>()
                .join(", "),
            share(&cmcc) * 100.0,
            share(&rollout.coverage()) * 100.0,
        );

        // The collector and the map in a browser.
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let http = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(sitepulse::server::run(
            config.clone(),
            listener,
            Arc::new(FixedClock(now)),
            async move {
                let _ = stop_rx.await;
            },
        ));
        let geojson = rt
            .block_on(async {
                for _ in 0..100 {
                    if let Ok(r) = http_client()
                        .get(format!("http://{http}/api/v1/sites.geojson"))
                        .send()
                        .await
                    {
                        return r.bytes().await.ok();
                    }
                    tokio::time::sleep(StdDuration::from_millis(100)).await;
                }
                None
            })
            .expect("collector answers");
        // Bytes of one answer, 0 when there is none.
        let size = |path: &str, encoding: &str| {
            rt.block_on(async {
                http_client()
                    .get(format!("http://{http}{path}"))
                    .header("accept-encoding", encoding)
                    .send()
                    .await
                    .ok()?
                    .bytes()
                    .await
                    .ok()
            })
            .map_or(0, |b| b.len())
        };
        let gzipped = size("/api/v1/sites.geojson", "gzip");
        let columns = size("/api/v1/map/sites", "identity");
        let browser = Browser::new(
            LaunchOptions::default_builder()
                .path(Some("/usr/bin/chromium".into()))
                .sandbox(false)
                .window_size(Some((1400, 900)))
                .idle_browser_timeout(StdDuration::from_secs(120))
                .args(vec![std::ffi::OsStr::new("--disable-gpu")])
                .build()
                .unwrap(),
        )
        .expect("chromium starts (apt-get install chromium)");
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(StdDuration::from_secs(120));
        let t = Instant::now();
        tab.navigate_to(&format!("http://{http}/")).unwrap();
        while eval_f64(
            &tab,
            "window.sitepulseMap && window.sitepulseMap.ready ? 1 : 0",
        ) != 1.0
        {
            assert!(t.elapsed() < StdDuration::from_secs(120), "map not ready");
            std::thread::sleep(StdDuration::from_millis(50));
        }
        let ready_ms = t.elapsed().as_secs_f64() * 1e3;
        let timings = tab
            .evaluate("JSON.stringify(window.sitepulseMap.timings())", false)
            .unwrap()
            .value
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        println!("{n:>7} sites: first draw's parts (ms): {timings}");
        let filter: Vec<f64> = (0..5)
            .map(|_| eval_f64(&tab, "window.sitepulseMap.filterMs()"))
            .collect();
        let redraw_city: Vec<f64> = (0..5)
            .map(|_| eval_f64(&tab, "window.sitepulseMap.redrawMs()"))
            .collect();
        eval_f64(&tab, "window.sitepulseMap.zoomTo(13), 0");
        let redraw_street: Vec<f64> = (0..5)
            .map(|_| eval_f64(&tab, "window.sitepulseMap.redrawMs()"))
            .collect();
        println!(
            "{n:>7} sites: sites.geojson {:.1} MB ({:.1} MB gzipped), the map's columns (/api/v1/map/sites) {:.1} MB; map drawn {ready_ms:.0} ms after navigation; filter change {:.0} ms; redraw {:.0} ms zoomed out, {:.0} ms at zoom 13 (footprints on)",
            geojson.len() as f64 / 1e6,
            gzipped as f64 / 1e6,
            columns as f64 / 1e6,
            median(filter),
            median(redraw_city),
            median(redraw_street)
        );
        // The replay: a slider step to the end of a past month, fetched (the collector computes
        // the stages, progress and coverage then), and the same step again (fetched already).
        eval_f64(&tab, "window.sitepulseMap.fit(), 0");
        let replay_ms = |month: &str| -> f64 {
            tab.evaluate(&format!("window.sitepulseMap.replayMs('{month}')"), true)
                .unwrap()
                .value
                .and_then(|v| v.as_f64())
                .unwrap_or(f64::NAN)
        };
        let months = [
            "2020-06", "2020-12", "2021-06", "2021-12", "2022-06", "2023-06",
        ];
        let cold: Vec<f64> = months.iter().map(|m| replay_ms(m)).collect();
        let warm: Vec<f64> = months.iter().map(|m| replay_ms(m)).collect();
        let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
        println!(
            "{n:>7} sites: replay step {:.0} ms median ({:.0} ms at most) fetching the month, {:.0} ms median ({:.0} ms at most) for a month fetched before; {} months",
            median(cold.clone()),
            max(&cold),
            median(warm.clone()),
            max(&warm),
            months.len()
        );
        drop(tab);
        drop(browser);
        let _ = stop_tx.send(());
        let _ = rt.block_on(server);
    }
}

/// An HTTP client; reqwest's TLS needs the process-wide rustls provider installed first.
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
