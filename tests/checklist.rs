//! The monthly checklist on a scenario written by hand: 28 planned sites in four counties and
//! three operators, one unplanned site, telemetry, people's milestones and obstacles. Every
//! expected number below is worked out in the comments from the scenario, not copied from
//! output.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sitepulse::checklist::tables::Lang;
use sitepulse::checklist::{self, Checklist, Format};
use sitepulse::clock::FixedClock;
use sitepulse::config::{Config, Task};
use sitepulse::domain::actor::Actor;
use sitepulse::domain::calendar::Month;
use sitepulse::domain::message::Message;
use sitepulse::domain::milestone::NewMilestone;
use sitepulse::domain::obstacle::{NewObstacle, ObstacleKind, ObstaclePatch};
use sitepulse::rollout::plan::PlanError;
use sitepulse::rollout::service::{Rollout, RolloutError};
use sitepulse::store::sqlite::{SqliteReader, SqliteStore};
use sitepulse::store::{Envelope, Store};
use sitepulse::wire::{Gps, Operator, Stage, Status};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

const PLAN: &[u8] = include_bytes!("fixtures/checklist-plan.csv");
const BAD_PLAN: &[u8] = include_bytes!("fixtures/checklist-plan-bad.csv");

/// `YYYY-MM-DD HH:MM` in Liaocheng (UTC+8), written out here rather than taken from the code
/// under test.
pub(crate) fn local(s: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn status(site: &str, seq: u64, ts: DateTime<Utc>, stage: &str, supply: &str) -> Status {
    serde_json::from_value(serde_json::json!({
        "schema": "sitepulse.status/1", "site": site, "boot": "b1", "seq": seq,
        "ts": ts, "interval_s": 300, "stage": stage,
        "power": {"source": "mains", "supply": supply, "battery_v": 53.0, "energy_kwh": 1.0},
        "cabinet": {"temp_c": 25.0, "door_open": false},
        "backhaul": {"up": true, "latency_ms": 3.0},
        "fw": "t"
    }))
    .unwrap()
}

/// Telemetry: (site, local time, stage, supply).
const REPORTS: &[(&str, &str, &str, &str)] = &[
    ("A01", "2019-12-15 12:00", "on_air", "direct"),
    ("A01", "2020-09-30 10:00", "on_air", "direct"),
    ("A02", "2020-08-20 12:00", "on_air", "transferred"),
    ("A03", "2020-09-15 12:00", "on_air", "direct"),
    ("A03", "2020-09-30 12:00", "on_air", "direct"),
    ("A04", "2020-09-01 12:00", "installed", "direct"),
    ("A04", "2020-09-30 12:00", "installed", "direct"),
    ("A05", "2020-09-10 12:00", "installed", "transferred"),
    ("A07", "2020-07-01 12:00", "powered", "transferred"),
    ("A08", "2020-09-05 12:00", "on_air", "direct"),
    ("A08", "2020-09-30 12:00", "on_air", "direct"),
    ("A09", "2020-09-20 12:00", "installed", "direct"),
    // After the month: must not count, and its supply must not be the one shown.
    ("A09", "2020-10-05 12:00", "on_air", "transferred"),
    ("A12", "2020-09-30 12:00", "installed", "direct"),
    // Not in the plan either, but first heard of in October: not in September's checklist.
    ("A13", "2020-10-05 12:00", "installed", "direct"),
    ("B01", "2020-03-01 12:00", "on_air", "direct"),
    ("B01", "2020-09-30 12:00", "on_air", "direct"),
    ("B02", "2020-09-02 12:00", "on_air", "direct"),
    ("B02", "2020-09-30 12:00", "on_air", "direct"),
    ("B03", "2020-09-28 12:00", "on_air", "transferred"),
    ("B04", "2020-06-01 12:00", "accepted", "transferred"),
    ("B04", "2020-09-30 12:00", "accepted", "transferred"),
    ("B05", "2020-08-01 12:00", "installed", "direct"),
    ("B05", "2020-09-30 12:00", "installed", "direct"),
    ("C01", "2020-09-01 12:00", "installed", "transferred"),
    // 23:00 on 30 September in Liaocheng is 15:00 UTC: still September.
    ("C01", "2020-09-30 23:00", "on_air", "transferred"),
    ("C02", "2020-09-01 12:00", "installed", "direct"),
    // 01:00 on 1 October in Liaocheng is 17:00 UTC on 30 September: already October.
    ("C02", "2020-10-01 01:00", "on_air", "transferred"),
];

fn commit_reports(db: &Path, reports: &[(&str, &str, &str, &str)], first_seq: u64) {
    let mut store = SqliteStore::open(db, 100).unwrap();
    let mut envs: Vec<Envelope> = reports
        .iter()
        .enumerate()
        .map(|(i, (site, t, stage, supply))| {
            let s = status(site, first_seq + i as u64, local(t), stage, supply);
            Envelope {
                topic: format!("sitepulse/v1/sites/{site}/status"),
                payload: serde_json::to_vec(&s).unwrap().into(),
                received: s.ts,
                decoded: Ok(Message::Status {
                    status: Box::new(s),
                    skewed: false,
                }),
            }
        })
        .collect();
    envs.sort_by_key(|e| e.received);
    store.commit(&envs).unwrap();
}

fn task(county: &str, operator: Option<Operator>, year: i32, on_air: u64) -> Task {
    Task {
        county: county.into(),
        operator,
        year,
        on_air,
    }
}

fn config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.store.path = dir.join("sitepulse.db");
    c.tasks = vec![
        task("371502", None, 2019, 3),
        task("371502", None, 2020, 15),
        task("371502", Some(Operator::Cmcc), 2020, 12),
        task("371502", Some(Operator::Cucc), 2020, 6),
        task("371503", Some(Operator::Cmcc), 2020, 6),
        task("371503", Some(Operator::Ctcc), 2020, 6),
        task("371581", Some(Operator::Cucc), 2020, 4),
    ];
    c
}

/// The clock at which the scenario's people report: 15 October 2020, noon in Liaocheng.
fn now() -> DateTime<Utc> {
    local("2020-10-15 12:00")
}

pub(crate) fn who() -> Actor {
    Actor {
        who: "张工".into(),
        origin: "127.0.0.1".into(),
        on_behalf: None,
    }
}

fn milestone(
    stage: Stage,
    date: &str,
    position: Option<Gps>,
    reason: Option<&str>,
) -> NewMilestone {
    NewMilestone {
        stage,
        date: Some(date.into()),
        note: "现场核实".into(),
        reporter: "张工".into(),
        position,
        reason: reason.map(str::to_string),
    }
}

fn obstacle(kind: ObstacleKind, opened: &str) -> NewObstacle {
    NewObstacle {
        kind,
        description: format!("{} 问题", kind.label_zh()),
        responsible_unit: "区县协调专班".into(),
        opened: Some(day(opened)),
        due: None,
        reporter: "李工".into(),
    }
}

/// Builds the scenario's store in `dir` and returns the service on it.
pub(crate) fn scenario(dir: &Path) -> Rollout {
    let cfg = config(dir);
    commit_reports(&cfg.store.path, REPORTS, 0);
    let r = Rollout::open(cfg, Arc::new(FixedClock(now()))).unwrap();
    let (report, ignored) = r
        .import(PLAN, "checklist-plan.csv", &who(), &|_, _| {})
        .unwrap();
    assert_eq!((report.rows, report.added), (28, 28));
    assert_eq!(ignored, vec!["备注".to_string()]);

    // A04 switched on, reported at the site itself.
    let m = r
        .report_milestone(
            "A04",
            milestone(
                Stage::OnAir,
                "2020-09-15",
                Some(Gps {
                    lat: 36.4490,
                    lon: 115.9710,
                }),
                None,
            ),
            &who(),
        )
        .unwrap();
    assert!(!m.flagged && m.distance_m == Some(0.0));
    // A06's tower, reported from 0.009° of latitude (about 1 km) north: flagged.
    let m = r
        .report_milestone(
            "A06",
            milestone(
                Stage::Built,
                "2020-08-10",
                Some(Gps {
                    lat: 36.4792,
                    lon: 115.9833,
                }),
                None,
            ),
            &who(),
        )
        .unwrap();
    assert!(
        m.flagged && (m.distance_m.unwrap() - 1001.0).abs() < 5.0,
        "{m:?}"
    );
    // A08 was on air from 5 September; going back needs a reason.
    let err = r
        .report_milestone(
            "A08",
            milestone(Stage::Installed, "2020-09-25", None, None),
            &who(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, RolloutError::StepBackNeedsReason { .. })
            && err.to_string().contains("reason"),
        "{err}"
    );
    r.report_milestone(
        "A08",
        milestone(
            Stage::Installed,
            "2020-09-25",
            None,
            Some("天线未调测完成，退回设备安装"),
        ),
        &who(),
    )
    .unwrap();
    // A11 approved, reported without a position: flagged.
    let m = r
        .report_milestone(
            "A11",
            milestone(Stage::Approved, "2020-08-01", None, None),
            &who(),
        )
        .unwrap();
    assert!(m.flagged);
    r.report_milestone(
        "B06",
        milestone(
            Stage::Approved,
            "2020-09-01",
            Some(Gps {
                lat: 36.6101,
                lon: 116.2001,
            }),
            None,
        ),
        &who(),
    )
    .unwrap();
    // A report for a site nobody knows is refused.
    assert!(matches!(
        r.report_milestone(
            "ZZ9",
            milestone(Stage::Built, "2020-09-01", None, None),
            &who()
        ),
        Err(RolloutError::UnknownSite(_))
    ));

    // Obstacles, ids 1–6 in this order. Default limits: access 30, power 30, dispute 30, fees 15.
    let o1 = r
        .open_obstacle("A06", obstacle(ObstacleKind::Access, "2020-09-01"), &who())
        .unwrap();
    assert_eq!((o1.id, o1.due), (1, day("2020-10-01")));
    let o2 = r
        .open_obstacle("A07", obstacle(ObstacleKind::Power, "2020-08-01"), &who())
        .unwrap();
    assert_eq!(o2.due, day("2020-08-31"));
    r.open_obstacle("B05", obstacle(ObstacleKind::Dispute, "2020-09-20"), &who())
        .unwrap();
    let o4 = r
        .open_obstacle("A11", obstacle(ObstacleKind::Fees, "2020-08-15"), &who())
        .unwrap();
    assert_eq!(o4.due, day("2020-08-30"));
    let resolve = |site: &str, id: i64, on: &str| {
        r.update_obstacle(
            site,
            id,
            ObstaclePatch {
                resolved: Some(day(on)),
                resolution: Some("已协调解决".into()),
                reporter: "李工".into(),
                ..ObstaclePatch::default()
            },
            &who(),
        )
        .unwrap()
    };
    resolve("A11", 4, "2020-09-10");
    let o5 = r
        .open_obstacle("B01", obstacle(ObstacleKind::Damage, "2020-07-01"), &who())
        .unwrap();
    resolve("B01", o5.id, "2020-08-20");
    // Opened after the month: not in it.
    r.open_obstacle(
        "A10",
        obstacle(ObstacleKind::Relocation, "2020-10-02"),
        &who(),
    )
    .unwrap();
    r
}

pub(crate) fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn kinds(pairs: &[(ObstacleKind, u64)]) -> BTreeMap<ObstacleKind, u64> {
    pairs.iter().copied().collect()
}

/// (county, operator) → (task, new, built, on air, this year, completion, expected, shortfall,
/// rank, open obstacles, resolved, overdue).
type Row = (
    Option<u64>,
    u64,
    u64,
    u64,
    u64,
    Option<f64>,
    u64,
    u64,
    Option<u32>,
    BTreeMap<ObstacleKind, u64>,
    u64,
    u64,
);

fn row(r: &sitepulse::checklist::SummaryRow) -> (String, Option<Operator>, Row) {
    (
        r.county.clone(),
        r.operator,
        (
            r.yearly_task,
            r.new_on_air,
            r.built,
            r.on_air,
            r.on_air_this_year,
            r.completion,
            r.expected,
            r.shortfall,
            r.rank,
            r.open_obstacles.clone(),
            r.resolved_obstacles,
            r.overdue,
        ),
    )
}

#[test]
fn every_table_of_the_september_checklist_matches_the_scenario() {
    use ObstacleKind::*;
    use Operator::*;
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let c = r.checklist(month("2020-09")).unwrap();

    assert_eq!(
        c.as_of,
        local("2020-09-30 23:59") + chrono::Duration::milliseconds(59_999)
    );
    assert!(!c.provisional && c.closed.is_none());

    // Stages at the end of September (A = 东昌府区 371502):
    //   A01 on air since 2019; A02 on air 08-20; A03 on air 09-15; A04 on air 09-15 (milestone);
    //   A05 installed; A06 built (milestone), planned 09-20 → overdue 10 days, open access;
    //   A07 powered, planned 07-31 → overdue 61 days, open power; A08 installed (stepped back
    //   09-25); A09 installed (on air only 10-05); A10, A13–A16 planned; A11 approved, its fees
    //   obstacle resolved 09-10.
    // A county: built A01 A02 A03 A04 A05 A08 A09 = 7, on air A01–A04 = 4, new A03 A04 = 2,
    //   this year A02 A03 A04 = 3; task 15 → 3/15; expected 3 (2019) + ⌈15·9/12⌉ = 15.
    // A cmcc (A01 A02 A03 A05 A06 A07 A08 A10 A11 A13–A16): built 5, on air 3, new 1 (A03),
    //   this year 2; task 12 → 2/12; expected ⌈12·9/12⌉ = 9.
    // A cucc (A02 A04 A07 A09): built 3, on air 2, new 1, this year 2; task 6 → 2/6;
    //   expected ⌈4.5⌉ = 5.
    // B = 茌平区 371503: B01 on air 03-01, B02 on air 09-02, B03 (cmcc+ctcc) on air 09-28,
    //   B04 accepted 06-01, B05 installed, planned 08-15 → overdue 46 days, open dispute;
    //   B06 approved. County task = cmcc 6 + ctcc 6 = 12 → 4/12; expected ⌈12·9/12⌉ = 9.
    // B cmcc (B01 B03 B05): built 3, on air 2, new 1, this year 2 → 2/6, expected 5.
    // B ctcc (B02 B03 B04 B06): built 3, on air 3, new 2, this year 3 → 3/6, expected 5.
    // C = 临清市 371581, all cucc: C01 on air 23:00 on 09-30 (September in Liaocheng); C02
    //   installed (on air 01:00 on 10-01); C03 planned. Task 4 → 1/4; expected ⌈3⌉ = 3.
    // D = 阳谷县 371521, ctcc, four planned sites, no task.
    // Ranks by completion — operator rows: B ctcc .5 → 1; A cucc, B cmcc 1/3 → 2; C cucc .25 →
    //   4; A cmcc 1/6 → 5. County rows: B 1/3 → 1, C .25 → 2, A .2 → 3.
    let got: Vec<_> = c.summary.iter().map(row).collect();
    let none = BTreeMap::new;
    let expected: Vec<(String, Option<Operator>, Row)> = vec![
        (
            "371502".into(),
            Some(Cmcc),
            (
                Some(12),
                1,
                5,
                3,
                2,
                Some(2.0 / 12.0),
                9,
                6,
                Some(5),
                kinds(&[(Access, 1), (Power, 1)]),
                1,
                2,
            ),
        ),
        (
            "371502".into(),
            Some(Cucc),
            (
                Some(6),
                1,
                3,
                2,
                2,
                Some(2.0 / 6.0),
                5,
                3,
                Some(2),
                kinds(&[(Power, 1)]),
                0,
                1,
            ),
        ),
        (
            "371502".into(),
            None,
            (
                Some(15),
                2,
                7,
                4,
                3,
                Some(3.0 / 15.0),
                15,
                11,
                Some(3),
                kinds(&[(Access, 1), (Power, 1)]),
                1,
                2,
            ),
        ),
        (
            "371503".into(),
            Some(Cmcc),
            (
                Some(6),
                1,
                3,
                2,
                2,
                Some(2.0 / 6.0),
                5,
                3,
                Some(2),
                kinds(&[(Dispute, 1)]),
                0,
                1,
            ),
        ),
        (
            "371503".into(),
            Some(Ctcc),
            (
                Some(6),
                2,
                3,
                3,
                3,
                Some(3.0 / 6.0),
                5,
                2,
                Some(1),
                none(),
                0,
                0,
            ),
        ),
        (
            "371503".into(),
            None,
            (
                Some(12),
                2,
                5,
                4,
                4,
                Some(4.0 / 12.0),
                9,
                5,
                Some(1),
                kinds(&[(Dispute, 1)]),
                0,
                1,
            ),
        ),
        (
            "371521".into(),
            Some(Ctcc),
            (None, 0, 0, 0, 0, None, 0, 0, None, none(), 0, 0),
        ),
        (
            "371521".into(),
            None,
            (None, 0, 0, 0, 0, None, 0, 0, None, none(), 0, 0),
        ),
        (
            "371581".into(),
            Some(Cucc),
            (
                Some(4),
                1,
                2,
                1,
                1,
                Some(1.0 / 4.0),
                3,
                2,
                Some(4),
                none(),
                0,
                0,
            ),
        ),
        (
            "371581".into(),
            None,
            (
                Some(4),
                1,
                2,
                1,
                1,
                Some(1.0 / 4.0),
                3,
                2,
                Some(2),
                none(),
                0,
                0,
            ),
        ),
    ];
    assert_eq!(got, expected);
    // City: built 7+5+0+2, on air 4+4+1, new 2+2+1, this year 3+4+1; task 15+12+4 = 31 → 8/31;
    // expected 3 (2019) + ⌈31·9/12⌉ = 3 + 24 = 27, short 18.
    assert_eq!(
        row(&c.total).2,
        (
            Some(31),
            5,
            14,
            9,
            8,
            Some(8.0 / 31.0),
            27,
            18,
            None,
            kinds(&[(Access, 1), (Power, 1), (Dispute, 1)]),
            1,
            3
        )
    );

    // Targets: 9 planned sites on air at the end of September; both deadlines still ahead.
    let targets: Vec<_> = c
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.target, t.on_air, t.remaining, t.met))
        .collect();
    assert_eq!(
        targets,
        vec![
            ("2020", 1500, 9, 1491, false),
            ("2023", 10_000, 9, 9991, false)
        ]
    );

    // Overdue: most overdue first.
    let overdue: Vec<_> = c
        .overdue
        .iter()
        .map(|o| {
            (
                o.site.as_str(),
                o.days_overdue,
                o.stage,
                o.open_obstacles.clone(),
                o.responsible_unit.as_str(),
                o.operators.clone(),
            )
        })
        .collect();
    assert_eq!(
        overdue,
        vec![
            (
                "A07",
                61,
                Stage::Powered,
                vec![Power],
                "东昌府区供电公司",
                vec![Cmcc, Cucc]
            ),
            (
                "B05",
                46,
                Stage::Installed,
                vec![Dispute],
                "茌平区振兴街道办事处",
                vec![Cmcc]
            ),
            (
                "A06",
                10,
                Stage::Built,
                vec![Access],
                "东昌府区住建局",
                vec![Cmcc]
            ),
        ]
    );

    // Open obstacles at 09-30: #2 (A07, due 08-31: 30 days past, opened 60 days ago) first,
    // then those within their limit by age: #1 (A06, 29 days), #3 (B05, 10 days).
    let open: Vec<_> = c
        .obstacles
        .iter()
        .map(|o| (o.id, o.site.as_str(), o.kind, o.age_days, o.days_past_due))
        .collect();
    assert_eq!(
        open,
        vec![
            (2, "A07", Power, 60, 30),
            (1, "A06", Access, 29, 0),
            (3, "B05", Dispute, 10, 0)
        ]
    );

    // Silent for 24 h at 23:59:59.999 on 09-30, by hours since their last report up to then,
    // of the sites with equipment installed: A02 08-20 (41 d + 11 h), C02 09-01 (29 d + 11 h;
    // its October report does not count), A05 09-10 (20 d + 11 h), A09 09-20 (10 d + 11 h),
    // B03 09-28 (2 d + 11 h). A07, silent since 07-01 but only powered (no equipment yet), is
    // not expected to report.
    let silent: Vec<_> = c
        .silent
        .iter()
        .map(|s| (s.site.as_str(), s.hours_silent))
        .collect();
    assert_eq!(
        silent,
        vec![
            ("A02", 995),
            ("C02", 707),
            ("A05", 491),
            ("A09", 251),
            ("B03", 59)
        ]
    );
    assert_eq!(c.silent[1].last_report, local("2020-09-01 12:00"));

    // Supply in each site's last report up to then. A: direct A01 A03 A04 A08 A09, transferred
    // A02 A05 A07. B: direct B01 B02 B05, transferred B03 B04. C: C01 transferred, C02 direct.
    let power: Vec<_> = c
        .power
        .iter()
        .map(|p| {
            (
                p.county.as_str(),
                p.reporting,
                p.direct,
                p.transferred,
                p.direct_share,
            )
        })
        .collect();
    assert_eq!(
        power,
        vec![
            ("371502", 8, 5, 3, Some(5.0 / 8.0)),
            ("371503", 5, 3, 2, Some(3.0 / 5.0)),
            ("371581", 2, 1, 1, Some(0.5)),
        ]
    );
    assert_eq!(
        (
            c.power_total.reporting,
            c.power_total.direct,
            c.power_total.direct_share
        ),
        (15, 9, Some(9.0 / 15.0))
    );

    // Since the end of August.
    let ids =
        |v: &[sitepulse::checklist::SiteRef]| v.iter().map(|s| s.site.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&c.changes.newly_on_air),
        ["A03", "A04", "B02", "B03", "C01"]
    );
    assert_eq!(ids(&c.changes.newly_overdue), ["A06"]);
    let resolved: Vec<_> = c
        .changes
        .resolved
        .iter()
        .map(|o| (o.id, o.site.as_str(), o.resolved))
        .collect();
    assert_eq!(resolved, vec![(4, "A11", day("2020-09-10"))]);

    // A12 reports but is not in the plan.
    let unplanned: Vec<_> = c
        .unplanned
        .iter()
        .map(|u| (u.site.as_str(), u.stage, u.last_report))
        .collect();
    assert_eq!(
        unplanned,
        vec![("A12", Stage::Installed, Some(local("2020-09-30 12:00")))]
    );

    // Trend from January 2019 (the first task year) to September 2020: 21 months.
    assert_eq!(c.trend.len(), 21);
    let point = |m: &str| {
        let p = c.trend.iter().find(|p| p.month == month(m)).unwrap();
        (p.on_air, p.expected)
    };
    assert_eq!(point("2019-01"), (0, 1)); // ⌈3·1/12⌉
    assert_eq!(point("2019-12"), (1, 3)); // A01
    assert_eq!(point("2020-08"), (4, 24)); // A01 A02 B01 B04; 3 + ⌈31·8/12⌉
    assert_eq!(point("2020-09"), (9, 27));
}

#[test]
fn a_month_still_running_is_provisional_and_one_not_begun_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let c = r.checklist(month("2020-10")).unwrap();
    assert!(c.provisional);
    assert_eq!(c.as_of, now());
    // A09 came on air 10-05, C02 on 10-01 (local).
    let ids: Vec<_> = c
        .changes
        .newly_on_air
        .iter()
        .map(|s| s.site.as_str())
        .collect();
    assert_eq!(ids, ["A09", "C02"]);
    let err = r.checklist(month("2020-11")).unwrap_err();
    assert!(err.to_string().contains("has not started"), "{err}");
}

/// The XLSX, read back, holds the JSON checklist's numbers and prints: every sheet opens with
/// the title and as-of rows, repeats them on each page, fits the page width on A4 landscape and
/// numbers its pages; dates are dates. The CSV keeps its Chinese under a byte-order mark.
#[test]
fn xlsx_cells_match_the_json_and_every_sheet_is_set_up_to_print() {
    use calamine::{Data, Reader, Xlsx};
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let c = r.checklist(month("2020-09")).unwrap();
    let json: Checklist =
        serde_json::from_slice(&checklist::render(&c, Format::Json, Lang::Zh, 5).unwrap()).unwrap();
    assert_eq!(json, c);

    let bytes = checklist::render(&c, Format::Xlsx, Lang::Zh, 5).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let names = book.sheet_names();
    assert_eq!(
        names,
        [
            "首页",
            "进度图",
            "汇总",
            "统计",
            "逾期站点",
            "临期站点",
            "困难明细",
            "本月变化",
            "运维及其他"
        ]
    );
    let title = "聊城市5G基站建设月调度清单（2020年09月）";
    for name in names.iter().filter(|n| *n != "进度图") {
        let sheet = book.worksheet_range(name).unwrap();
        let rows: Vec<_> = sheet.rows().collect();
        assert_eq!(rows[0][0].to_string(), title, "title row of {name}");
        assert!(
            rows[1][0]
                .to_string()
                .contains("数据截至：2020-09-30 23:59"),
            "as-of row of {name}"
        );
    }

    // The print setup, from the sheets' own XML.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |path: &str| {
        let mut s = String::new();
        zip.by_name(path).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let workbook = read("xl/workbook.xml");
    for (i, name) in names.iter().enumerate().filter(|(_, n)| **n != "进度图") {
        let sheet_no = if i == 0 { 1 } else { i };
        let xml = read(&format!("xl/worksheets/sheet{sheet_no}.xml"));
        assert!(
            xml.contains(r#"<pageSetUpPr fitToPage="1"/>"#),
            "{name}: fit to page"
        );
        assert!(
            xml.contains(r#"paperSize="9""#) && xml.contains(r#"orientation="landscape""#),
            "{name}: A4 landscape"
        );
        // One page wide: as tall as needed, or one page for a sheet of small tables.
        assert!(
            !xml.contains(r#"fitToWidth="0""#),
            "{name}: fitted to the width"
        );
        assert!(
            xml.contains("&amp;P") && xml.contains("&amp;N"),
            "{name}: page numbers"
        );
        let titles = format!("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">");
        assert!(workbook.contains(&titles), "{name}: print titles");
    }
    assert!(read("xl/chartsheets/sheet1.xml").contains(r#"orientation="landscape""#));
    // A long list runs over as many pages as it needs, one page wide: 60 overdue sites in one
    // county, all printed.
    let mut long = c.clone();
    long.overdue = (0..60)
        .map(|i| sitepulse::checklist::OverdueSite {
            site: format!("X{i:02}"),
            ..c.overdue[0].clone()
        })
        .collect();
    let bytes = checklist::render(&long, Format::Xlsx, Lang::Zh, 100).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet4.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        xml.contains(r#"fitToHeight="0""#),
        "the overdue sheet: {xml:.300}"
    );

    let sheet = book.worksheet_range("汇总").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    let header: Vec<String> = rows[4].iter().map(|d| d.to_string()).collect();
    assert_eq!(
        &header[..8],
        [
            "区县",
            "运营商",
            "规划站点",
            "年度任务",
            "本月新建成",
            "累计建成",
            "本月新开通",
            "累计开通"
        ]
    );
    let num = |d: &Data| match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("expected a number, got {other:?}"),
    };
    let body = &rows[5..5 + c.summary.len() + 1];
    // County cells are merged: the name stands in the first row of its county.
    let mut county = String::new();
    for (cells, s) in body.iter().zip(c.summary.iter().chain([&c.total])) {
        if !matches!(cells[0], Data::Empty) {
            county = cells[0].to_string();
        }
        if s.county.is_empty() {
            assert_eq!(county, "全市合计");
        } else {
            assert_eq!(
                county,
                sitepulse::checklist::tables::county_label(&s.county, Lang::Zh)
            );
        }
        assert_eq!(
            cells[1].to_string(),
            s.operator
                .map_or(if s.county.is_empty() { "" } else { "小计" }, |o| o
                    .label_zh())
        );
        assert_eq!(num(&cells[2]), Some(s.planned as f64));
        assert_eq!(num(&cells[3]), s.yearly_task.map(|v| v as f64));
        assert_eq!(num(&cells[4]), Some(s.built_this_month as f64));
        assert_eq!(num(&cells[5]), Some(s.built as f64));
        assert_eq!(num(&cells[6]), Some(s.new_on_air as f64));
        assert_eq!(num(&cells[7]), Some(s.on_air as f64));
        assert_eq!(num(&cells[8]), Some(s.on_air_this_year as f64));
        assert_eq!(num(&cells[9]), s.completion);
        assert_eq!(num(&cells[10]), Some(s.expected as f64));
        assert_eq!(num(&cells[11]), Some(s.shortfall as f64));
        let (op_rank, county_rank) = match (s.operator, s.county.is_empty()) {
            (Some(_), _) => (s.rank, None),
            (None, false) => (None, s.rank),
            (None, true) => (None, None),
        };
        assert_eq!(num(&cells[12]), op_rank.map(f64::from));
        assert_eq!(num(&cells[13]), county_rank.map(f64::from));
        assert_eq!(
            num(&cells[14]),
            Some(s.open_obstacles.values().sum::<u64>() as f64)
        );
        assert_eq!(num(&cells[15]), Some(s.opened_obstacles as f64));
        assert_eq!(num(&cells[16]), Some(s.resolved_obstacles as f64));
        assert_eq!(num(&cells[17]), Some(s.overdue as f64));
    }

    // Overdue sites by county, with their planned date stored as a date.
    let overdue = book.worksheet_range("逾期站点").unwrap();
    let rows: Vec<_> = overdue.rows().skip(5).take(c.overdue.len()).collect();
    let mut sites: Vec<String> = rows.iter().map(|r| r[2].to_string()).collect();
    sites.sort();
    assert_eq!(sites, ["A06", "A07", "B05"]);
    for cells in &rows {
        let o = c
            .overdue
            .iter()
            .find(|o| o.site == cells[2].to_string())
            .unwrap();
        assert_eq!(cells[5].to_string(), o.stage.label_zh());
        match &cells[6] {
            // Excel's serial day: days since 1899-12-30.
            Data::DateTime(d) => assert_eq!(
                day("1899-12-30") + chrono::Duration::days(d.as_f64() as i64),
                o.planned_on_air,
                "{}",
                o.site
            ),
            other => panic!("planned date stored as {other:?}, not a date"),
        }
        assert_eq!(num(&cells[7]), Some(o.days_overdue as f64));
    }

    // The trend, on the statistics sheet under its own header.
    let stats = book.worksheet_range("统计").unwrap();
    let rows: Vec<_> = stats.rows().collect();
    let at = rows
        .iter()
        .position(|r| r[0] == "月份")
        .expect("trend header");
    for (cells, p) in rows[at + 1..].iter().zip(&c.trend) {
        assert_eq!(cells[0].to_string(), p.month.to_string());
        assert_eq!(num(&cells[1]), Some(p.on_air as f64));
        assert_eq!(num(&cells[2]), Some(p.expected as f64));
    }

    let csv = checklist::render(&c, Format::Csv, Lang::Zh, 5).unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "Excel needs the BOM to read UTF-8"
    );
    let text = std::str::from_utf8(&csv[3..]).unwrap();
    assert!(text.starts_with(title));
    // 东昌府区 cmcc: 13 planned, task 12, 3 built this month, 5 built, 1 new, 3 on air, 2 this
    // year, 2/12, 9 expected, 6 short, rank 5 among operators.
    assert!(
        text.contains("东昌府区,中国移动,13,12,3,5,1,3,2,16.7%,9,6,5,,"),
        "{text}"
    );
    let en = String::from_utf8(checklist::render(&c, Format::Csv, Lang::En, 5).unwrap()).unwrap();
    assert!(en.contains("Dongchangfu,China Mobile,13,12,3,5,1,3,2,16.7%,9,6,5,,"));
    let html =
        String::from_utf8(checklist::render(&c, Format::Html, Lang::Zh, 5).unwrap()).unwrap();
    assert!(
        html.contains("size: A4 landscape") && html.contains("<td class=\"nw\">火车站广场</td>")
    );
    let md =
        String::from_utf8(checklist::render(&c, Format::Markdown, Lang::Zh, 5).unwrap()).unwrap();
    assert!(md.contains("| 东昌府区 | 1 | A07 | 火车站广场 | 中国移动、中国联通 | 市电引入 | 2020-07-31 | 61 | 引电困难 | 东昌府区供电公司 |"), "{md}");
}

/// Every export of a closed month stays byte for byte the same when later data changes what a
/// fresh build would show.
#[test]
fn a_closed_month_never_changes() {
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let m = month("2020-09");
    let exports = |r: &Rollout| {
        let c = r.checklist(m).unwrap();
        [
            Format::Json,
            Format::Csv,
            Format::Xlsx,
            Format::Markdown,
            Format::Html,
        ]
        .into_iter()
        .flat_map(|f| [Lang::Zh, Lang::En].map(|l| checklist::render(&c, f, l, 5).unwrap()))
        .collect::<Vec<_>>()
    };
    let closed = r.close(m, &who()).unwrap();
    assert_eq!(closed.closed.as_ref().unwrap().by, "张工");
    // Read back, the closed month is the one the meeting saw, to the last digit of every ratio.
    assert_eq!(r.checklist(m).unwrap(), closed);
    let before = exports(&r);
    // Closing twice is refused; a month not over cannot be closed.
    assert!(matches!(
        r.close(m, &who()),
        Err(RolloutError::MonthClosed(_))
    ));
    assert!(matches!(
        r.close(month("2020-10"), &who()),
        Err(RolloutError::MonthNotOver { .. })
    ));

    // Late data about September: a report backdated into it, a milestone, a new obstacle.
    let db = dir.path().join("sitepulse.db");
    commit_reports(&db, &[("A05", "2020-09-29 12:00", "on_air", "direct")], 100);
    r.report_milestone(
        "A10",
        milestone(Stage::Built, "2020-09-20", None, None),
        &who(),
    )
    .unwrap();
    r.open_obstacle("C03", obstacle(ObstacleKind::Permit, "2020-09-05"), &who())
        .unwrap();
    // A fresh build sees them (the report through a service started after it was stored, as
    // the collector's ingest shows it to its own) ...
    let fresh = Rollout::open(config(dir.path()), Arc::new(FixedClock(now())))
        .unwrap()
        .build(m)
        .unwrap();
    assert_eq!(fresh.total.on_air, closed.total.on_air + 1);
    assert_eq!(fresh.obstacles.len(), closed.obstacles.len() + 1);
    // ... the closed month does not, through this service or a new one on the same store.
    assert_eq!(exports(&r), before);
    let again = Rollout::open(
        config(dir.path()),
        Arc::new(FixedClock(now() + chrono::Duration::days(30))),
    )
    .unwrap();
    assert_eq!(exports(&again), before);
    // And the close is in the audit trail with who and from where.
    let audit = r.audit(i64::MAX, 100).unwrap();
    let close = audit
        .iter()
        .find(|a| a.action == "checklist.close")
        .unwrap();
    assert_eq!(
        (
            close.actor.as_str(),
            close.origin.as_str(),
            close.target.as_str()
        ),
        ("张工", "127.0.0.1", "2020-09")
    );
}

#[test]
fn a_bad_plan_is_rejected_whole_with_every_bad_row_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let plan_before = r.plan().unwrap();
    let audit_before = r.audit(i64::MAX, 1000).unwrap().len();
    let version = r.plan_version().unwrap();
    let err = r
        .import(BAD_PLAN, "bad.csv", &who(), &|_, _| {})
        .unwrap_err();
    let RolloutError::Plan(PlanError::Rows(rows)) = err else {
        panic!("expected row errors, got {err}");
    };
    let got: Vec<(usize, &str)> = rows.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (3, "operators"),
            (4, "lat"),
            (5, "planned_on_air"),
            (6, "id"),
            (7, "name"),
            (7, "county"),
            (7, "kind"),
            (8, "id"),
        ]
    );
    assert!(rows[1].message.contains("swapped"));
    assert_eq!(rows[3].message, "duplicate id; row 2 has it already");
    assert_eq!(rows[7].value, "X06; DROP TABLE plan;--");
    assert_eq!(r.plan().unwrap(), plan_before);
    assert_eq!(r.audit(i64::MAX, 1000).unwrap().len(), audit_before);
    assert_eq!(r.plan_version().unwrap(), version);
    // Re-importing the good plan with one site changed updates it in place.
    let text = std::str::from_utf8(PLAN)
        .unwrap()
        .replace("火车站广场", "聊城站站前广场");
    let (report, _) = r
        .import(text.as_bytes(), "plan-v2.csv", &who(), &|_, _| {})
        .unwrap();
    assert_eq!((report.added, report.updated, report.unchanged), (0, 1, 27));
    let audit = r.audit(i64::MAX, 1).unwrap();
    assert_eq!(audit[0].action, "plan.import");
    assert_eq!(
        audit[0].before.as_ref().unwrap()["changed"][0]["name"],
        "火车站广场"
    );
    assert_eq!(
        audit[0].after.as_ref().unwrap()["changed"][0]["name"],
        "聊城站站前广场"
    );
    // The stored telemetry is untouched by all of it.
    assert_eq!(
        SqliteReader::open(&dir.path().join("sitepulse.db"))
            .unwrap()
            .status_count()
            .unwrap(),
        REPORTS.len() as u64
    );
}

/// Objections undecided for more than five working days at the end of the month are listed;
/// newer and decided ones are not.
#[test]
fn stale_objections_appear_in_the_checklist() {
    use sitepulse::domain::objection::{Decision, NewObjection};
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let at = |t: &str| Rollout::open(config(dir.path()), Arc::new(FixedClock(local(t)))).unwrap();
    let object = |r: &Rollout, site: &str, date: &str| {
        r.object(
            site,
            NewObjection {
                field: "planned_on_air".into(),
                proposed: serde_json::json!(date),
                reason: "计划已调整".into(),
            },
            &who(),
        )
        .unwrap()
    };
    // Tuesday 1 September: 21 working days before the 30th.
    let old = object(&at("2020-09-01 10:00"), "A06", "2020-10-31");
    // Monday 28 September: two working days.
    object(&at("2020-09-28 10:00"), "A07", "2020-11-30");
    // Filed and decided in September.
    let decided = object(&at("2020-09-02 10:00"), "B05", "2020-10-15");
    at("2020-09-03 10:00")
        .decide(
            decided.id,
            Decision {
                decision: "reject".into(),
                reason: "无依据".into(),
            },
            &who(),
        )
        .unwrap();
    let c = r.build(month("2020-09")).unwrap();
    let listed: Vec<_> = c
        .objections
        .iter()
        .map(|o| (o.id, o.site.as_str(), o.working_days))
        .collect();
    assert_eq!(listed, vec![(old.id, "A06", 21)]);
    let md =
        String::from_utf8(checklist::render(&c, Format::Markdown, Lang::Zh, 5).unwrap()).unwrap();
    assert!(md.contains("十七、超过五个工作日未处理的异议"), "{md}");
}

/// A closed month is stored as JSON and read back: every ratio the tables show (k of n) must
/// come back bit for bit, or the closed month differs from what the meeting saw in its last
/// digit (3/19 did before JSON floats were read back exactly).
#[test]
fn ratios_read_back_from_json_to_the_last_digit() {
    for n in 1..=60u32 {
        for k in 0..=n {
            let v = f64::from(k) / f64::from(n);
            let back: f64 = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{k}/{n}");
        }
    }
}

/// Two square target areas of about 220 × 180 m, written here: one city-urban around A01 (on
/// air since 2019, a macro site whose footprint is far wider), one county-urban around D01 in
/// 阳谷县 (only planned).
const SQUARES: &str = r#"{"type":"FeatureCollection","coordinate_system":"WGS-84","features":[
 {"type":"Feature","properties":{"name":"政务中心片区","class":"city_urban","county":"371502"},
  "geometry":{"type":"Polygon","coordinates":[[[115.984,36.455],[115.986,36.455],[115.986,36.457],[115.984,36.457],[115.984,36.455]]]}},
 {"type":"Feature","properties":{"name":"阳谷县城一号片区","class":"county_urban","county":"371521"},
  "geometry":{"type":"Polygon","coordinates":[[[115.790,36.113],[115.792,36.113],[115.792,36.115],[115.790,36.115],[115.790,36.113]]]}}
]}"#;

/// What the meeting's page and the new columns add, worked out from the scenario by hand.
#[test]
fn the_meeting_page_figures_match_the_scenario() {
    use Operator::*;
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    r.import_areas(SQUARES.as_bytes(), "squares.geojson", &who())
        .unwrap();
    let c = r.checklist(month("2020-09")).unwrap();

    // Planned: A = A01–A11, A13–A16 (15; A12 is not in the plan); cmcc 13 of them (all but
    // A04 A09), cucc A02 A04 A07 A09. B = B01–B06; cmcc B01 B03 B05, ctcc B02 B03 B04 B06.
    // D = D01–D04, ctcc. C = C01–C03, cucc.
    // Built in September (installed or later at its end, not at the end of August): A03 (on
    // air 09-15), A04 (installed 09-01), A05 (09-10), A08 (09-05), A09 (09-20); A01 and A02 were
    // built before. B02 (09-02), B03 (09-28). C01, C02 (both installed 09-01).
    // Opened in September: #1 A06 access (09-01, cmcc), #3 B05 dispute (09-20, cmcc); #2, #4
    // and #5 were opened before, #6 after.
    // Against the schedule (on air ÷ expected): A 4/15, B 4/9, C 1/3; D expects nothing yet.
    // Ranked: B 1, C 2, A 3.
    let got: Vec<_> = c
        .summary
        .iter()
        .map(|s| {
            (
                s.county.as_str(),
                s.operator,
                s.planned,
                s.built_this_month,
                s.opened_obstacles,
                s.schedule_completion,
                s.schedule_rank,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("371502", Some(Cmcc), 13, 3, 1, Some(3.0 / 9.0), None),
            ("371502", Some(Cucc), 4, 2, 0, Some(2.0 / 5.0), None),
            ("371502", None, 15, 5, 1, Some(4.0 / 15.0), Some(3)),
            ("371503", Some(Cmcc), 3, 1, 1, Some(2.0 / 5.0), None),
            ("371503", Some(Ctcc), 4, 2, 0, Some(3.0 / 5.0), None),
            ("371503", None, 6, 2, 1, Some(4.0 / 9.0), Some(1)),
            ("371521", Some(Ctcc), 4, 0, 0, None, None),
            ("371521", None, 4, 0, 0, None, None),
            ("371581", Some(Cucc), 3, 2, 0, Some(1.0 / 3.0), None),
            ("371581", None, 3, 2, 0, Some(1.0 / 3.0), Some(2)),
        ]
    );
    assert_eq!(
        (
            c.total.planned,
            c.total.built_this_month,
            c.total.opened_obstacles,
            c.total.schedule_completion
        ),
        (28, 9, 2, Some(9.0 / 27.0))
    );

    // At risk on 09-30 (not on air, due within 30 days and not installed, or with an open
    // obstacle): C03 planned, due 09-30 (0 days left); B06 approved, due 10-20 (20 days). A05
    // (due 09-30) is installed; A10's obstacle opens only on 10-02; the overdue are not at risk.
    let at_risk: Vec<_> = c
        .at_risk
        .iter()
        .map(|s| {
            (
                s.site.as_str(),
                s.stage,
                s.days_left,
                s.responsible_unit.as_str(),
            )
        })
        .collect();
    assert_eq!(
        at_risk,
        vec![
            ("C03", Stage::Planned, 0, "临清市联通分公司"),
            ("B06", Stage::Approved, 20, "茌平区电信分公司")
        ]
    );

    // To coordinate: only #2 (A07, power, due 08-31) is past its limit, by 30 days.
    let co: Vec<_> = c
        .coordination
        .iter()
        .map(|u| {
            (
                u.responsible_unit.as_str(),
                u.obstacles,
                u.sites,
                u.max_days_past_due,
                u.kinds.clone(),
            )
        })
        .collect();
    assert_eq!(
        co,
        vec![("区县协调专班", 1, 1, 30, vec![ObstacleKind::Power])]
    );

    // Coverage goals: 2020 asks the city urban area covered, 2023 the county urban areas too.
    // The square round A01 lies well inside the footprints of A01–A03 (on air at the end of
    // September): all of it covered. D01 is only planned: nothing covers 阳谷县's square.
    let goals: Vec<_> = c
        .targets
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.goal.len(),
                t.coverage
                    .iter()
                    .map(|a| (a.area.as_str(), a.covered_share, a.met))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        goals,
        vec![
            ("2020", 1, vec![("政务中心片区", 1.0, true)]),
            (
                "2023",
                2,
                vec![
                    ("政务中心片区", 1.0, true),
                    ("阳谷县城一号片区", 0.0, false)
                ]
            ),
        ]
    );
    // The issuer comes from the configuration.
    assert_eq!(c.issuer.unit, "聊城市工业和信息化局");

    // Page one of the HTML: the targets with their goal, the ranking, the item to coordinate,
    // the chart and the signature block; sections numbered once each.
    let html =
        String::from_utf8(checklist::render(&c, Format::Html, Lang::Zh, 5).unwrap()).unwrap();
    for needle in [
        "制表单位：聊城市工业和信息化局",
        "数据截至：2020-09-30 23:59（北京时间）",
        "市城区连续覆盖",
        "市城区、县城区连续覆盖",
        "<td class=\"nw\">1 / 2</td>",
        "区县协调专班",
        "<svg class=\"chart\"",
        "审核：",
        "联系电话：",
        "临清运河公园",
    ] {
        assert!(html.contains(needle), "{needle} missing from the HTML");
    }
    for n in ["一、", "九、", "十、", "十七、"] {
        assert_eq!(
            html.matches(&format!("<h2><span>{n}")).count(),
            1,
            "section {n} not there exactly once"
        );
    }
}

/// Long lists are cut per county in print and kept whole in the CSV: with one row per county
/// printed, 东昌府区's two overdue sites print as one and "另有 1 个".
#[test]
fn long_lists_print_the_top_of_each_county_and_the_csv_keeps_all() {
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let c = r.checklist(month("2020-09")).unwrap();
    // Overdue: A07 (61 days) and A06 (10) in 东昌府区, B05 in 茌平区.
    let html =
        String::from_utf8(checklist::render(&c, Format::Html, Lang::Zh, 1).unwrap()).unwrap();
    let overdue = &html[html.find("逾期未开通站点").unwrap()..html.find("临期站点").unwrap()];
    assert!(
        overdue.contains("火车站广场"),
        "A07, the most overdue, prints"
    );
    assert!(!overdue.contains("光岳路北段"), "A06 is past the first row");
    assert!(overdue.contains("本区县共 2 个，另有 1 个未列出"));
    assert!(overdue.contains("振兴路东段"));
    let csv = String::from_utf8(checklist::render(&c, Format::Csv, Lang::Zh, 1).unwrap()).unwrap();
    assert!(csv.contains("A06,光岳路北段") && !csv.contains("另有"));
}
