//! The 5G+ application pilots on a register written by hand (tests/fixtures/pilots.csv: 20
//! projects over every field, seven departments and six counties) on top of the checklist's
//! scenario of sites. Every expected figure is worked out below from the file and the scenario.

use crate::checklist::{local, month, scenario, who};
use sitepulse::checklist::tables::Lang;
use sitepulse::checklist::{self, Format};
use sitepulse::domain::milestone::NewMilestone;
use sitepulse::domain::pilot::{Field, PilotStage};
use sitepulse::rollout::plan::PlanError;
use sitepulse::rollout::service::RolloutError;
use sitepulse::views::pilots::Tally;
use sitepulse::wire::Stage;

const REGISTER: &[u8] = include_bytes!("fixtures/pilots.csv");

/// (projects, done, building, overdue, blocked).
fn five(t: &Tally) -> (u64, u64, u64, u64, u64) {
    (t.projects, t.done, t.building, t.overdue, t.blocked)
}

#[test]
fn pilot_progress_and_its_checklist_section_match_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    let (report, ignored) = r.import_pilots(REGISTER, "pilots.csv", &who()).unwrap();
    assert_eq!((report.rows, report.added), (20, 20));
    assert!(ignored.is_empty());

    // At the end of September 2020 (the checklist's time). H04 was declared only on 10-10.
    // Sites on air then (the scenario): A01–A04, B01–B04, C01 (23:00 on 09-30). Not on air:
    // A05 (installed), B06 (approved), C02 (on air only on 10-01), D01 (planned).
    // Readiness: H01 at A01, M01 at A02, T01 at A04 (a micro site, 100 m), E01 at C01, V01 at
    // B02: covered. E02 at D01: nothing on air within reach — held up. H02 needs A03 (on air):
    // ready; H03 needs B06, M02 A05, G01 C02: held up. The rest name neither: not judged.
    // Done (accepted or later by 09-30): H01 (09-20), E01 (promoted 09-25), E04 (09-30),
    // C01 (09-29), P01 (promoted 09-01). Building: H02, M01, M02, U01.
    // Overdue (deadline before 09-30, not done): H03 (09-15), M01 (08-31), V02 (09-29),
    // C02 (06-30); H02's deadline is 09-30 itself: not yet.
    let c = r.checklist(month("2020-09")).unwrap();
    let p = c.pilots.as_ref().expect("the register is kept");
    let fields: Vec<_> = p
        .fields
        .iter()
        .map(|f| (f.field, f.target, five(&f.tally), f.completion))
        .collect();
    assert_eq!(
        fields,
        vec![
            (Field::IndustrialPark, Some(10), (2, 1, 0, 0, 0), Some(0.1)),
            (Field::Manufacturing, Some(10), (2, 0, 2, 1, 1), Some(0.0)),
            (Field::CultureTourism, Some(10), (1, 0, 1, 0, 0), Some(0.0)),
            (Field::Agriculture, Some(5), (1, 0, 0, 0, 0), Some(0.0)),
            (Field::Healthcare, Some(10), (3, 1, 1, 1, 1), Some(0.1)),
            (Field::Education, Some(20), (4, 2, 0, 0, 1), Some(0.1)),
            (Field::Transport, Some(10), (1, 0, 0, 0, 0), Some(0.0)),
            (Field::Community, Some(5), (2, 1, 0, 1, 0), Some(0.2)),
            (Field::Governance, Some(20), (2, 0, 0, 1, 0), Some(0.0)),
            (Field::Grid, None, (1, 0, 0, 0, 1), None),
        ]
    );
    // 19 projects; targets 10+10+10+5+10+20+10+5+20 = 100; 5 done → 5 %.
    assert_eq!(five(&p.total.tally), (19, 5, 4, 4, 4));
    assert_eq!(
        (p.total.target, p.total.completion),
        (Some(100), Some(0.05))
    );
    // Healthcare by stage: H03 approved, H02 building, H01 accepted.
    let health = &p.fields[4].tally.stages;
    assert_eq!(
        health.iter().map(|(s, n)| (*s, *n)).collect::<Vec<_>>(),
        vec![
            (PilotStage::Approved, 1),
            (PilotStage::Building, 1),
            (PilotStage::Accepted, 1)
        ]
    );
    // 市工业和信息化局: M01 M02 P01 P02 — P01 done, M01 overdue, M02 held up.
    let dept = p
        .departments
        .iter()
        .find(|d| d.key == "市工业和信息化局")
        .unwrap();
    assert_eq!(five(&dept.tally), (4, 1, 2, 1, 1));
    // 东昌府区: H01 H02 M01 M02 T01 P01 E04 V02 — done H01 P01 E04; overdue M01 V02; held up M02.
    let dcf = p.counties.iter().find(|d| d.key == "371502").unwrap();
    assert_eq!(five(&dcf.tally), (8, 3, 3, 2, 1));
    let ids = |v: &[sitepulse::views::pilots::PilotRef]| {
        v.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    };
    // Held up, by field then code; overdue, earliest deadline first.
    assert_eq!(ids(&p.blocked), ["M02", "H03", "E02", "G01"]);
    assert_eq!(p.blocked[1].readiness.sites_not_on_air, ["B06"]);
    assert_eq!(p.blocked[2].readiness.covered, Some(false));
    assert_eq!(ids(&p.overdue), ["C02", "M01", "H03", "V02"]);

    // The checklist's section, in print.
    let html =
        String::from_utf8(checklist::render(&c, Format::Html, Lang::Zh, 5).unwrap()).unwrap();
    let section = &html[html.find("5G+应用场景试点示范项目").expect("the section")..];
    assert!(section.contains("因缺少5G覆盖受阻的试点项目"));
    assert!(section.contains("依托站址未开通：B06"));
    assert!(section.contains("项目位置无5G覆盖"));
    assert!(section.contains("中通客车5G+无人驾驶"));

    // Later, at the service's clock (15 October): C02 came on air on 10-01, so G01 is no
    // longer held up; D01 switched on by a milestone frees E02. H04 now counts.
    r.report_milestone(
        "D01",
        NewMilestone {
            stage: Stage::OnAir,
            date: Some("2020-10-10".into()),
            note: "开通".into(),
            reporter: "张工".into(),
            position: None,
            reason: None,
        },
        &who(),
    )
    .unwrap();
    let later = r.pilot_progress(local("2020-10-12 12:00")).unwrap();
    assert_eq!(ids(&later.blocked), ["M02", "H03"]);
    assert_eq!(later.total.tally.projects, 20);
    // Now, as the map shows it, a site whose agent has gone silent radiates nothing: the
    // scenario's agents last reported on 09-30 (every 300 s), so only D01 — on air by a person's
    // report, with no agent to say otherwise — still covers; H02 needs A03 on air, which it is.
    let now = r.pilot_progress(local("2020-10-15 12:00")).unwrap();
    assert_eq!(
        ids(&now.blocked),
        ["M01", "M02", "H01", "H03", "E01", "T01", "V01"]
    );

    // A stage reported through the service, dated by the collector's clock by default.
    let m02 = r
        .report_pilot_stage("M02", PilotStage::Accepted, None, Some("验收报告"), &who())
        .unwrap();
    assert_eq!(m02.stages[&PilotStage::Accepted].to_string(), "2020-10-15");
    // Stages keep their order: approval not before the declaration (03-01), nor after the
    // construction began (06-01).
    for date in ["2020-02-01", "2020-07-01"] {
        assert!(matches!(
            r.report_pilot_stage("M02", PilotStage::Approved, Some(date), None, &who()),
            Err(RolloutError::Value(_))
        ));
    }
    assert!(matches!(
        r.report_pilot_stage("ZZ", PilotStage::Accepted, None, None, &who()),
        Err(RolloutError::UnknownPilot(_))
    ));
}

#[test]
fn a_bad_register_is_refused_whole_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = scenario(dir.path());
    r.import_pilots(REGISTER, "pilots.csv", &who()).unwrap();
    let before = r.pilots().unwrap();
    // H01 renamed (would be an update), a new good row, and two bad rows.
    let text = String::from_utf8(REGISTER.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace("5G+远程会诊（市人民医院）", "改名");
    lines.push("N01,新项目,5G+智慧医疗,冠县,市卫生健康委,,,,,2020-09-01,,,,,,,".into());
    lines.push("N02,坏项目,5G+智慧港口,冠县,市交通运输局,,36.1,,,2020-09-01,,,,,,,".into());
    lines.push("N03,坏日期,5G+智慧教育,火星,市教育体育局,,,,,2020-13-01,,,,,,,abc".into());
    let bad = lines.join("\n");
    match r.import_pilots(bad.as_bytes(), "bad.csv", &who()) {
        Err(RolloutError::Plan(PlanError::Rows(rows))) => {
            let cells: Vec<(usize, &str)> =
                rows.iter().map(|e| (e.row, e.column.as_str())).collect();
            assert_eq!(
                cells,
                [
                    (23, "field"),
                    (23, "lat"),
                    (24, "county"),
                    (24, "declared"),
                    (24, "investment_wan")
                ],
                "{rows:?}"
            );
        }
        other => panic!("expected the bad rows, got {:?}", other.map(|r| r.0)),
    }
    assert_eq!(r.pilots().unwrap(), before, "nothing changed");
}

/// The register kept in Excel reads as the CSV does: Chinese headers, dates as Excel dates or
/// as text.
#[test]
fn the_register_reads_from_an_xlsx_sheet() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "项目编号",
        "项目名称",
        "领域",
        "区县",
        "牵头部门",
        "申报日期",
        "立项日期",
        "投资（万元）",
    ];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(1, 0, "X01").unwrap();
    ws.write_string(1, 1, "5G+智慧港口调度").unwrap();
    ws.write_string(1, 2, "5G+智慧交通").unwrap();
    ws.write_string(1, 3, "371581").unwrap();
    ws.write_string(1, 4, "市交通运输局").unwrap();
    ws.write_date_with_format(
        1,
        5,
        chrono::NaiveDate::from_ymd_opt(2020, 4, 1).unwrap(),
        &date,
    )
    .unwrap();
    ws.write_string(1, 6, "2020年05月01日").unwrap();
    ws.write_number(1, 7, 250.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let parsed = sitepulse::rollout::pilots::parse(&bytes).unwrap();
    let p = &parsed.pilots[0];
    assert_eq!(
        (p.id.as_str(), p.field, p.county.as_str()),
        ("X01", Field::Transport, "371581")
    );
    assert_eq!(p.stages[&PilotStage::Declared].to_string(), "2020-04-01");
    assert_eq!(p.stages[&PilotStage::Approved].to_string(), "2020-05-01");
    assert_eq!(p.investment_wan, Some(250.0));
}
