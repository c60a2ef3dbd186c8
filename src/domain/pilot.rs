//! 5G+ application pilots (场景应用试点示范项目): the plan's second goal beside the base stations
//! (聊政办字〔2020〕28号 §二(二)): more than 100 projects by 2023 in named fields, each field with
//! its target and responsible departments.
//!
//! A project's stage at a day is the furthest stage it had reached by then, from the dates it
//! reached each (the one rule, like a site's timeline): 申报 → 立项 → 建设 → 验收 → 示范推广.
//! Accepted (验收) and later count as done; a project not done after its deadline is overdue.

use crate::wire::Gps;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The plan's fields of application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    IndustrialPark,
    Manufacturing,
    CultureTourism,
    Agriculture,
    Healthcare,
    Education,
    Transport,
    Community,
    Governance,
    Grid,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::IndustrialPark,
        Field::Manufacturing,
        Field::CultureTourism,
        Field::Agriculture,
        Field::Healthcare,
        Field::Education,
        Field::Transport,
        Field::Community,
        Field::Governance,
        Field::Grid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::IndustrialPark => "industrial_park",
            Field::Manufacturing => "manufacturing",
            Field::CultureTourism => "culture_tourism",
            Field::Agriculture => "agriculture",
            Field::Healthcare => "healthcare",
            Field::Education => "education",
            Field::Transport => "transport",
            Field::Community => "community",
            Field::Governance => "governance",
            Field::Grid => "grid",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Field::IndustrialPark => "5G+产业园区",
            Field::Manufacturing => "5G+工业制造",
            Field::CultureTourism => "5G+文体旅游",
            Field::Agriculture => "5G+智慧农业",
            Field::Healthcare => "5G+智慧医疗",
            Field::Education => "5G+智慧教育",
            Field::Transport => "5G+智慧交通",
            Field::Community => "5G+智慧社区",
            Field::Governance => "5G+城市综合治理",
            Field::Grid => "5G+智慧电网",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Field::IndustrialPark => "5G+ industrial parks",
            Field::Manufacturing => "5G+ manufacturing",
            Field::CultureTourism => "5G+ culture, sport and tourism",
            Field::Agriculture => "5G+ agriculture",
            Field::Healthcare => "5G+ healthcare",
            Field::Education => "5G+ education",
            Field::Transport => "5G+ transport",
            Field::Community => "5G+ communities",
            Field::Governance => "5G+ city governance",
            Field::Grid => "5G+ power grid",
        }
    }

    /// The key, the Chinese label (with or without `5G+`, and the plan's longer names) or the
    /// English one.
    pub fn parse(s: &str) -> Option<Field> {
        let s = s.trim();
        let bare = s.trim_start_matches("5G+").trim_start_matches("5G＋");
        Field::ALL.into_iter().find(|f| {
            f.as_str() == s
                || f.label_zh() == s
                || f.label_zh().trim_start_matches("5G+") == bare
                || f.label_en().eq_ignore_ascii_case(s)
                || (*f == Field::IndustrialPark && bare == "产业园区（聚集区）")
        })
    }
}

/// A project's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PilotStage {
    /// 申报.
    Declared,
    /// 立项.
    Approved,
    /// 建设.
    Building,
    /// 验收.
    Accepted,
    /// 示范推广.
    Promoted,
}

impl PilotStage {
    pub const ALL: [PilotStage; 5] = [
        PilotStage::Declared,
        PilotStage::Approved,
        PilotStage::Building,
        PilotStage::Accepted,
        PilotStage::Promoted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PilotStage::Declared => "declared",
            PilotStage::Approved => "approved",
            PilotStage::Building => "building",
            PilotStage::Accepted => "accepted",
            PilotStage::Promoted => "promoted",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PilotStage::Declared => "申报",
            PilotStage::Approved => "立项",
            PilotStage::Building => "建设",
            PilotStage::Accepted => "验收",
            PilotStage::Promoted => "示范推广",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PilotStage::Declared => "Declared",
            PilotStage::Approved => "Approved",
            PilotStage::Building => "Under construction",
            PilotStage::Accepted => "Accepted",
            PilotStage::Promoted => "Promoted",
        }
    }

    pub fn parse(s: &str) -> Option<PilotStage> {
        let s = s.trim();
        PilotStage::ALL
            .into_iter()
            .find(|p| p.as_str() == s || p.label_zh() == s || p.label_en().eq_ignore_ascii_case(s))
    }

    /// Accepted or later: the project counts as done.
    pub fn is_done(self) -> bool {
        self >= PilotStage::Accepted
    }
}

/// One project of the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pilot {
    /// The project's code (项目编号).
    pub id: String,
    pub name: String,
    pub field: Field,
    /// County code.
    pub county: String,
    /// 牵头部门.
    pub department: String,
    /// The enterprise or institution (实施单位).
    pub entity: String,
    pub position: Option<Gps>,
    /// Sites it depends on; empty: the 5G coverage at its position.
    pub sites: Vec<String>,
    /// The day it reached each stage.
    pub stages: BTreeMap<PilotStage, NaiveDate>,
    pub deadline: Option<NaiveDate>,
    /// Document references (文件依据).
    pub evidence: String,
    /// Investment in 万元.
    pub investment_wan: Option<f64>,
}

impl Pilot {
    /// The furthest stage reached by the end of `day`; `None` before it was declared.
    pub fn stage_on(&self, day: NaiveDate) -> Option<PilotStage> {
        self.stages
            .iter()
            .filter(|(_, d)| **d <= day)
            .map(|(s, _)| *s)
            .max()
    }

    /// Known on `day`: declared by then.
    pub fn known_on(&self, day: NaiveDate) -> bool {
        self.stage_on(day).is_some()
    }

    pub fn done_on(&self, day: NaiveDate) -> bool {
        self.stage_on(day).is_some_and(PilotStage::is_done)
    }

    /// Past its deadline on `day` and not done.
    pub fn overdue_on(&self, day: NaiveDate) -> bool {
        self.known_on(day) && !self.done_on(day) && self.deadline.is_some_and(|d| d < day)
    }
}

/// Whether 5G is there for a project: the sites it depends on on air, or — when it names none —
/// its position inside an on-air site's footprint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// Its position covered; `None` when it names sites, or has no position.
    pub covered: Option<bool>,
    /// Sites it depends on that are not on air.
    pub sites_not_on_air: Vec<String>,
}

impl Readiness {
    /// Held up by missing 5G: outside coverage, or a site it depends on not on air.
    pub fn blocked(&self) -> bool {
        self.covered == Some(false) || !self.sites_not_on_air.is_empty()
    }
}

/// A field's target, as the plan sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotTarget {
    pub field: Field,
    /// Projects (or pilot enterprises) accepted by the deadline; none where the plan names no
    /// number.
    #[serde(default)]
    pub target: Option<u64>,
    pub deadline: NaiveDate,
    /// 责任单位.
    #[serde(default)]
    pub responsible: Vec<String>,
}

/// The plan's table (聊政办字〔2020〕28号 §二(二)), all due at the end of 2023.
pub fn default_targets() -> Vec<PilotTarget> {
    let by = NaiveDate::from_ymd_opt(2023, 12, 31).expect("valid date");
    let t = |field, target: Option<u64>, responsible: &[&str]| PilotTarget {
        field,
        target,
        deadline: by,
        responsible: responsible.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        t(
            Field::IndustrialPark,
            Some(10),
            &["市工业和信息化局", "各县（市、区）政府", "各开发区"],
        ),
        t(Field::Manufacturing, Some(10), &["市工业和信息化局"]),
        t(
            Field::CultureTourism,
            Some(10),
            &["市文化和旅游局", "市教育体育局"],
        ),
        t(Field::Agriculture, Some(5), &["市农业农村局"]),
        t(Field::Healthcare, Some(10), &["市卫生健康委"]),
        t(Field::Education, Some(20), &["市教育体育局"]),
        t(
            Field::Transport,
            Some(10),
            &[
                "市交通运输局",
                "市自然资源和规划局",
                "市工业和信息化局",
                "市大数据局",
            ],
        ),
        t(
            Field::Community,
            Some(5),
            &["市住房城乡建设局", "市城管局", "各县（市、区）政府"],
        ),
        t(
            Field::Governance,
            Some(20),
            &[
                "市大数据局",
                "市应急局",
                "市公安局",
                "市城管局",
                "市生态环境局",
                "市行政审批局",
            ],
        ),
        t(Field::Grid, None, &["国网聊城供电公司"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_stage_on_a_day_is_the_furthest_reached_by_then() {
        let p = Pilot {
            id: "P1".into(),
            name: "远程会诊".into(),
            field: Field::Healthcare,
            county: "371502".into(),
            department: "市卫生健康委".into(),
            entity: "聊城市人民医院".into(),
            position: None,
            sites: vec![],
            stages: [
                (PilotStage::Declared, d("2020-03-01")),
                (PilotStage::Approved, d("2020-05-01")),
                (PilotStage::Accepted, d("2021-02-01")),
            ]
            .into_iter()
            .collect(),
            deadline: Some(d("2020-12-31")),
            evidence: String::new(),
            investment_wan: None,
        };
        assert_eq!(p.stage_on(d("2020-02-29")), None);
        assert_eq!(p.stage_on(d("2020-05-01")), Some(PilotStage::Approved));
        assert!(p.overdue_on(d("2021-01-01")) && !p.overdue_on(d("2020-12-31")));
        assert!(p.done_on(d("2021-02-01")) && !p.overdue_on(d("2021-02-01")));
        assert_eq!(
            Field::parse("产业园区（聚集区）"),
            Some(Field::IndustrialPark)
        );
        assert_eq!(Field::parse("5G+智慧医疗"), Some(Field::Healthcare));
        assert_eq!(Field::parse("智慧教育"), Some(Field::Education));
        assert_eq!(PilotStage::parse("示范推广"), Some(PilotStage::Promoted));
        assert_eq!(
            default_targets()
                .iter()
                .filter_map(|t| t.target)
                .sum::<u64>(),
            100
        );
    }
}
