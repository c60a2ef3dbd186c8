//! Coverage per carrier and the candidate positions for new sites, through the rollout service
//! on a store of its own: a carrier's coverage is what its sites alone give, and putting the
//! proposed sites on air raises an area's share by what was predicted.

use sitepulse::clock::FixedClock;
use sitepulse::config::Config;
use sitepulse::domain::actor::Actor;
use sitepulse::domain::milestone::NewMilestone;
use sitepulse::rollout::service::Rollout;
use sitepulse::wire::{Band, Operator, SiteKind, Stage};
use std::path::Path;
use std::sync::Arc;

/// A 4 km square urban area about (36.45, 115.98), WGS-84.
const AREA: &str = r#"{"type":"FeatureCollection","coordinate_system":"WGS-84","features":[{"type":"Feature",
"properties":{"name":"测试城区","class":"city_urban","county":"371502"},
"geometry":{"type":"Polygon","coordinates":[[[115.9577,36.432],[116.0023,36.432],[116.0023,36.468],[115.9577,36.468],[115.9577,36.432]]]}}]}"#;

const HEADER: &str = "站址编号,站址名称,区县,运营商,站型,频段,纬度,经度,计划开通日期,责任单位\n";

fn now() -> chrono::DateTime<chrono::Utc> {
    "2021-03-01T04:00:00Z".parse().unwrap()
}

fn open(dir: &Path) -> Rollout {
    let mut c = Config::default();
    c.store.path = dir.join("sitepulse.db");
    Rollout::open(c, Arc::new(FixedClock(now()))).unwrap()
}

fn who() -> Actor {
    Actor::cli("测试")
}

/// Imports `rows` (id, operators, lat, lon) as n78 macro sites and reports each on air.
fn put_on_air(r: &Rollout, rows: &[(String, &str, f64, f64)]) {
    let mut csv = String::from(HEADER);
    for (id, ops, lat, lon) in rows {
        csv.push_str(&format!(
            "{id},站{id},371502,\"{ops}\",宏站,n78,{lat:.6},{lon:.6},2020-12-31,单位\n"
        ));
    }
    r.import(csv.as_bytes(), "coverage.csv", &who(), &|_, _| {})
        .unwrap();
    for (id, ..) in rows {
        r.report_milestone(
            id,
            NewMilestone {
                stage: Stage::OnAir,
                date: Some("2020-10-01".into()),
                note: String::new(),
                reporter: "张工".into(),
                position: None,
                reason: None,
            },
            &who(),
        )
        .unwrap();
    }
}

/// Thirty sites over and around the area, of one carrier, another, or shared.
fn sites() -> Vec<(String, &'static str, f64, f64)> {
    (0..30)
        .map(|i| {
            let ops = match i % 3 {
                0 => "移动",
                1 => "联通",
                _ => "移动;联通",
            };
            let (dx, dy) = ((i % 6) as f64 * 0.008, (i / 6) as f64 * 0.008);
            (format!("C{i:02}"), ops, 36.434 + dy, 115.959 + dx)
        })
        .collect()
}

#[test]
fn a_carriers_coverage_is_what_its_sites_alone_give() {
    let all = tempfile::tempdir().unwrap();
    let r = open(all.path());
    r.import_areas(AREA.as_bytes(), "area.geojson", &who())
        .unwrap();
    put_on_air(&r, &sites());
    let alone = tempfile::tempdir().unwrap();
    let only_cmcc = open(alone.path());
    only_cmcc
        .import_areas(AREA.as_bytes(), "area.geojson", &who())
        .unwrap();
    let cmcc_sites: Vec<_> = sites()
        .into_iter()
        .filter(|(_, ops, ..)| ops.contains("移动"))
        .collect();
    assert_eq!(cmcc_sites.len(), 20, "cmcc's own and the shared ones");
    put_on_air(&only_cmcc, &cmcc_sites);

    let of_cmcc = r.coverage_of(Some(Operator::Cmcc));
    let by_itself = only_cmcc.coverage();
    let every = r.coverage();
    let share = |rep: &sitepulse::coverage::report::Report| rep.areas[0].covered_share;
    assert_eq!(share(&of_cmcc), share(&by_itself));
    assert_eq!(of_cmcc.gaps, by_itself.gaps);
    assert!(
        share(&every) > share(&of_cmcc),
        "{} vs {}",
        share(&every),
        share(&of_cmcc)
    );
    assert_eq!(
        of_cmcc.areas[0].footprints_reaching,
        by_itself.areas[0].footprints_reaching
    );
    // cucc alone lacks cmcc's own ten sites.
    assert!(share(&r.coverage_of(Some(Operator::Cucc))) < share(&every));
}

#[test]
fn putting_the_candidates_on_air_gives_the_share_predicted() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    r.import_areas(AREA.as_bytes(), "area.geojson", &who())
        .unwrap();
    // A few sites in one corner: most of the area is a gap.
    put_on_air(&r, &sites()[..4]);
    let before = r.coverage().areas[0].covered_share;
    let proposals = r
        .candidates(Some("测试城区"), 6, Band::N78, SiteKind::Macro, None)
        .unwrap();
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    assert_eq!(p.candidates.len(), 6);
    assert!((p.share - before).abs() < 1e-12);
    // Each adds less than or as much as the one before (greedy), and all of them add up.
    for w in p.candidates.windows(2) {
        assert!(w[1].adds_share <= w[0].adds_share + 1e-12);
    }
    let added: f64 = p.candidates.iter().map(|c| c.adds_share).sum();
    assert!((p.share_after - (p.share + added)).abs() < 1e-9);
    assert!(
        p.share_after > p.share + 0.05,
        "{} → {}",
        p.share,
        p.share_after
    );

    let new: Vec<(String, &str, f64, f64)> = p
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("N{i}"), "移动", c.lat, c.lon))
        .collect();
    put_on_air(&r, &new);
    // A service opened afresh: the coverage report is not the one kept for a second.
    let after = open(dir.path()).coverage().areas[0].covered_share;
    assert!(
        (after - p.share_after).abs() < 0.005,
        "predicted {:.4}, got {after:.4}",
        p.share_after
    );
    // A carrier's own candidates start from its own coverage; indoor sites propose nothing.
    let of_cucc = r
        .candidates(
            Some("测试城区"),
            2,
            Band::N78,
            SiteKind::Macro,
            Some(Operator::Cucc),
        )
        .unwrap();
    assert!(of_cucc[0].share <= p.share);
    assert!(
        r.candidates(None, 2, Band::N78, SiteKind::Indoor, None)
            .unwrap_err()
            .to_string()
            .contains("no outdoor footprint")
    );
    // An area nobody has is a clear error.
    assert!(
        r.candidates(Some("不存在"), 3, Band::N78, SiteKind::Macro, None)
            .unwrap_err()
            .to_string()
            .contains("不存在")
    );
}
