//! One rule per figure: every endpoint and export that shows how many sites are built or on air
//! gives the same count for the same date — `/api/v1/progress` (its targets and totals),
//! `/api/v1/progress/monthly`, the checklist (JSON and the XLSX the bureau prints), the open
//! data's counts and the coverage milestones of `/api/v1/coverage` — on a scenario made of the
//! awkward cases.

use crate::util::*;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sitepulse::clock::FixedClock;
use std::sync::Arc;

/// Eight planned sites of Liaocheng; `U1` reports but is not in the plan.
const PLAN: &str = "\u{feff}站址编号,站址名称,区县,运营商,站型,频段,纬度,经度,计划开通日期,责任单位
P1,按期开通,371502,移动,宏站,n41,36.4560,115.9850,2020-10-31,移动聊城分公司
P2,跨零点开通,371502,联通,宏站,n78,36.4601,115.9902,2020-12-31,联通聊城分公司
P3,开通后退服,371502,移动;联通,宏站,n41,36.4622,115.9950,2020-11-30,铁塔聊城分公司
P4,人工回退,371503,电信,宏站,n78,36.5800,116.2550,2020-11-30,电信茌平分公司
P5,人工与设备不一致,371503,移动,宏站,n41,36.5850,116.2600,2020-12-31,移动茌平分公司
P6,已建未开通,371503,电信,宏站,n78,36.5700,116.2400,2021-03-31,电信茌平分公司
P7,无上报,371503,移动,宏站,n41,36.5820,116.2520,2021-06-30,移动茌平分公司
";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The agents' reports, oldest first: (site, agent time, stage).
const REPORTS: &[(&str, &str, &str)] = &[
    ("U1", "2020-09-01T02:00:00Z", "on_air"),
    // P1: on air in September.
    ("P1", "2020-09-10T02:00:00Z", "on_air"),
    // P3: on air in October, off air again (back to installed) in December.
    ("P3", "2020-10-01T02:00:00Z", "on_air"),
    ("P6", "2020-10-15T02:00:00Z", "installed"),
    // P4: the agent says on air; a person steps it back on 20 November (below).
    ("P4", "2020-11-01T02:00:00Z", "on_air"),
    // P5: the agent sees mains only; a person reports it on air on 20 December (below).
    ("P5", "2020-11-01T02:00:00Z", "powered"),
    ("P2", "2020-12-01T02:00:00Z", "installed"),
    ("P3", "2020-12-10T02:00:00Z", "installed"),
    ("P5", "2020-12-25T02:00:00Z", "powered"),
    // P2: 20:00 UTC on 31 December is 04:00 on 1 January in Liaocheng.
    ("P2", "2020-12-31T20:00:00Z", "on_air"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_counts_the_same_sites_for_the_same_date() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, url) = embedded_config(dir.path());
    cfg.http.public_read = false;
    cfg.http.open_data = true;
    // 20 January 2021, noon in Liaocheng: December is over, January runs.
    let now = t("2021-01-20T04:00:00Z");
    let c = Collector::start_at(cfg, Arc::new(FixedClock(now))).await;
    let admin = token(&c.db, "市工信局", "admin", None);
    let get = |path: String| {
        let admin = admin.clone();
        async move {
            let (status, body) =
                request(reqwest::Method::GET, c.http, &path, Some(&admin), None).await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };
    let post = |path: &'static str, body: Value| {
        let admin = admin.clone();
        async move {
            request(
                reqwest::Method::POST,
                c.http,
                path,
                Some(&admin),
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };

    let (status, body) = request(
        reqwest::Method::POST,
        c.http,
        "/api/v1/plan/sites?source=figures.csv",
        Some(&admin),
        Some(PLAN.as_bytes().to_vec()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["report"]["rows"], 7);

    for (seq, (site, ts, stage)) in REPORTS.iter().enumerate() {
        let topic = format!("sitepulse/v1/sites/{site}/status");
        publish(
            &url,
            &topic,
            status_json_at(site, "b1", seq as u64, stage, t(ts)),
        )
        .await;
    }
    let stored = REPORTS.len();
    eventually(30, "every report stored", || async {
        let n = sitepulse::store::sqlite::SqliteReader::open(&c.db)
            .unwrap()
            .status_count()
            .unwrap();
        (n as usize == stored).then_some(())
    })
    .await;

    // P4: a person steps the site back, with a reason; P5: a person reports what the agent
    // cannot see.
    let (status, body) = post(
        "/api/v1/sites/P4/milestones",
        json!({"stage": "installed", "date": "2020-11-20", "reason": "传输未通，误报开通", "reporter": "王工"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(
        "/api/v1/sites/P5/milestones",
        json!({"stage": "on_air", "date": "2020-12-20", "reporter": "李工"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // By the rule: on air when 31 December 2020 ended in Liaocheng are P1 and P5 (P2 came on
    // air in January, P3 went off air, P4 was stepped back; U1 is not in the plan). Built then:
    // P1–P6. On air now: P1, P2, P5. On air at the end of November: P1 and P3.
    let (dec_on_air, dec_built, now_on_air, nov_on_air) = (2, 6, 3, 2);

    let progress = get("/api/v1/progress".into()).await;
    assert_eq!(progress["targets"][0]["deadline"], "2020-12-31");
    assert_eq!(progress["targets"][0]["deadline_passed"], true);
    assert_eq!(progress["targets"][0]["on_air"], dec_on_air);
    assert_eq!(
        progress["targets"][1]["on_air"], now_on_air,
        "2023 is ahead: now"
    );
    assert_eq!(progress["total"]["on_air"], now_on_air);
    assert_eq!(progress["total"]["built"], 6);
    assert_eq!(progress["total"]["sites"], 7);
    assert_eq!(progress["unplanned"]["on_air"], 1);

    let monthly = get("/api/v1/progress/monthly".into()).await;
    let month = |m: &str| {
        monthly["months"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["month"] == m)
            .unwrap_or_else(|| panic!("{m} in {monthly}"))["on_air"]
            .clone()
    };
    assert_eq!(month("2020-11"), nov_on_air);
    assert_eq!(month("2020-12"), dec_on_air);
    assert_eq!(month("2021-01"), now_on_air);

    let dec = get("/api/v1/checklist/2020-12".into()).await;
    assert_eq!(dec["provisional"], false);
    assert_eq!(dec["total"]["on_air"], dec_on_air);
    assert_eq!(dec["total"]["built"], dec_built);
    assert_eq!(dec["targets"][0]["on_air"], dec_on_air);
    // New in December: on air at its end and not at November's (P5).
    assert_eq!(dec["total"]["new_on_air"], 1);
    let nov = get("/api/v1/checklist/2020-11".into()).await;
    assert_eq!(nov["total"]["on_air"], nov_on_air);
    let jan = get("/api/v1/checklist/2021-01".into()).await;
    assert_eq!(jan["provisional"], true);
    assert_eq!(jan["total"]["on_air"], now_on_air);
    assert_eq!(jan["targets"][0]["on_air"], dec_on_air);
    assert_eq!(
        jan["total"]["new_on_air"], 1,
        "P2, on 1 January in Liaocheng"
    );
    let unplanned: Vec<&str> = jan["unplanned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["site"].as_str().unwrap())
        .collect();
    assert_eq!(unplanned, ["U1"]);

    // The XLSX the bureau prints: the summary's total row and the targets sheet.
    let xlsx = http_client()
        .get(format!(
            "http://{}/api/v1/checklist/2020-12?format=xlsx",
            c.http
        ))
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
        let num = |d: &Data| match d {
            Data::Float(f) => *f as u64,
            Data::Int(i) => *i as u64,
            other => panic!("expected a number, got {other:?}"),
        };
        let summary = book.worksheet_range("汇总").unwrap();
        let total = summary
            .rows()
            .find(|r| r[0] == "全市合计")
            .expect("the city total row");
        // 累计建成 and 累计开通.
        assert_eq!((num(&total[5]), num(&total[7])), (dec_built, dec_on_air));
        let first = book.worksheet_range("首页").unwrap();
        let rows: Vec<_> = first.rows().collect();
        let at = rows
            .iter()
            .position(|r| r.iter().any(|d| d == "已开通"))
            .expect("the targets' header");
        let col = rows[at].iter().position(|d| d == "已开通").unwrap();
        let row = rows[at + 1];
        assert_eq!(num(&row[col]), dec_on_air);
    }

    // The open data's counts per county: the same sites, by the same stage.
    let open = get("/api/v1/open/counts".into()).await;
    let counties = open["counties"].as_array().unwrap();
    let sum = |k: &str| counties.iter().map(|c| c[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("on_air"), now_on_air);
    let planned: u64 = counties
        .iter()
        .flat_map(|c| c["stages"].as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(planned, 7);

    // The coverage milestones count the same sites.
    let coverage = get("/api/v1/coverage".into()).await;
    assert_eq!(coverage["targets"][0]["on_air"], dec_on_air);
    assert_eq!(coverage["targets"][1]["on_air"], now_on_air);

    // The site's page: on air since the start of its current run, in agent time.
    let p2 = get("/api/v1/sites/P2".into()).await;
    assert_eq!(p2["on_air_since"], "2020-12-31T20:00:00Z");
    let p3 = get("/api/v1/sites/P3".into()).await;
    assert_eq!(p3["on_air_since"], Value::Null, "off air again");
    c.stop().await;
}
