//! Domain vocabulary shared by agents, the collector and every report (DESIGN §3).
//!
//! Serialized names are the protocol's: lower-case snake case, stable across versions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Construction stage of a site, in order. A site counts as *built* (建成) from `installed` and as
/// *on air* (开通) from `on_air`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// In the plan, nothing done yet (规划).
    Planned,
    /// Site secured and approved (站址落实).
    Approved,
    /// Tower or pole and civil works done (铁塔/土建完成).
    Built,
    /// Mains connected (市电引入).
    Powered,
    /// Equipment installed (设备安装).
    Installed,
    /// Switched on (开通).
    OnAir,
    /// Accepted into the network (入网验收).
    Accepted,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Planned,
        Stage::Approved,
        Stage::Built,
        Stage::Powered,
        Stage::Installed,
        Stage::OnAir,
        Stage::Accepted,
    ];

    /// Counts as built (建成) in the dispatch tables.
    pub fn is_built(self) -> bool {
        self >= Stage::Installed
    }

    /// Counts as on air (开通) in the dispatch tables.
    pub fn is_on_air(self) -> bool {
        self >= Stage::OnAir
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Planned => "planned",
            Stage::Approved => "approved",
            Stage::Built => "built",
            Stage::Powered => "powered",
            Stage::Installed => "installed",
            Stage::OnAir => "on_air",
            Stage::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Chinese label used in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Planned => "规划",
            Stage::Approved => "站址落实",
            Stage::Built => "塔体建成",
            Stage::Powered => "市电引入",
            Stage::Installed => "设备安装",
            Stage::OnAir => "开通",
            Stage::Accepted => "入网验收",
        }
    }

    /// English label used in reports.
    pub fn label_en(self) -> &'static str {
        match self {
            Stage::Planned => "Planned",
            Stage::Approved => "Site approved",
            Stage::Built => "Tower built",
            Stage::Powered => "Powered",
            Stage::Installed => "Installed",
            Stage::OnAir => "On air",
            Stage::Accepted => "Accepted",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A carrier that runs base stations on a site.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// China Mobile (中国移动).
    Cmcc,
    /// China Unicom (中国联通).
    Cucc,
    /// China Telecom (中国电信).
    Ctcc,
    /// China Broadnet (中国广电).
    Cbn,
}

/// An operator name nobody spells that way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown operator `{0}`; use cmcc/移动, cucc/联通, ctcc/电信 or cbn/广电")]
pub struct UnknownOperator(pub String);

/// Every spelling a person or a file may use: the code, the short and the full Chinese name, the
/// English name (case does not matter).
impl std::str::FromStr for Operator {
    type Err = UnknownOperator;

    fn from_str(s: &str) -> Result<Operator, UnknownOperator> {
        Ok(match s.trim().to_lowercase().as_str() {
            "cmcc" | "移动" | "中国移动" | "china mobile" => Operator::Cmcc,
            "cucc" | "联通" | "中国联通" | "china unicom" => Operator::Cucc,
            "ctcc" | "电信" | "中国电信" | "china telecom" => Operator::Ctcc,
            "cbn" | "广电" | "中国广电" | "china broadnet" => Operator::Cbn,
            _ => return Err(UnknownOperator(s.to_string())),
        })
    }
}

impl Operator {
    pub const ALL: [Operator; 4] = [
        Operator::Cmcc,
        Operator::Cucc,
        Operator::Ctcc,
        Operator::Cbn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Cmcc => "cmcc",
            Operator::Cucc => "cucc",
            Operator::Ctcc => "ctcc",
            Operator::Cbn => "cbn",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Operator::Cmcc => "中国移动",
            Operator::Cucc => "中国联通",
            Operator::Ctcc => "中国电信",
            Operator::Cbn => "中国广电",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Operator::Cmcc => "China Mobile",
            Operator::Cucc => "China Unicom",
            Operator::Ctcc => "China Telecom",
            Operator::Cbn => "China Broadnet",
        }
    }
}

/// Kind of installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Macro,
    Micro,
    /// Indoor distribution system (室分); adds no outdoor footprint.
    Indoor,
    /// Smart pole (智慧杆).
    Pole,
}

/// 5G NR bands in use in Liaocheng.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 3.5 GHz (3300–3800 MHz).
    N78,
    /// 2.6 GHz.
    N41,
    /// 700 MHz.
    N28,
    /// 2.1 GHz.
    N1,
}

/// Where the site's power comes from right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PowerSource {
    Mains,
    Battery,
    Generator,
    None,
}

/// How mains reaches the site: directly from the grid company (直供电) or resold by a third party
/// (转供电). The plan asks for transferred supply to be converted to direct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Supply {
    Direct,
    Transferred,
}

/// State of one cell as the agent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    Active,
    /// Configured, not yet switched on.
    Inactive,
    Faulty,
}

/// Wire names (as serialized) of the small enums, for the line-protocol sink and the store.
macro_rules! wire_names {
    ($($t:ty { $($v:ident => $s:literal),+ $(,)? })+) => {$(
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
        }
    )+};
}

wire_names! {
    SiteKind { Macro => "macro", Micro => "micro", Indoor => "indoor", Pole => "pole" }
    Band { N78 => "n78", N41 => "n41", N28 => "n28", N1 => "n1" }
    PowerSource { Mains => "mains", Battery => "battery", Generator => "generator", None => "none" }
    Supply { Direct => "direct", Transferred => "transferred" }
    CellState { Active => "active", Inactive => "inactive", Faulty => "faulty" }
}

/// The eight county-level divisions of Liaocheng, with their admin codes.
pub const LIAOCHENG_COUNTIES: [(&str, &str, &str); 8] = [
    ("371502", "东昌府区", "Dongchangfu"),
    ("371503", "茌平区", "Chiping"),
    ("371521", "阳谷县", "Yanggu"),
    ("371522", "莘县", "Shenxian"),
    ("371524", "东阿县", "Dong'e"),
    ("371525", "冠县", "Guanxian"),
    ("371526", "高唐县", "Gaotang"),
    ("371581", "临清市", "Linqing"),
];

/// The English name of a Liaocheng county code, if it is one.
pub fn county_name_en(code: &str) -> Option<&'static str> {
    LIAOCHENG_COUNTIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, en)| *en)
}

/// The Chinese name of a Liaocheng county code, if it is one.
pub fn county_name_zh(code: &str) -> Option<&'static str> {
    LIAOCHENG_COUNTIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, _)| *zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One parser for operators, for plan files, API filters and tokens alike.
    #[test]
    fn operators_parse_in_every_spelling() {
        for (spellings, op) in [
            (["cmcc", "移动", "中国移动", "China Mobile"], Operator::Cmcc),
            (["CUCC", "联通", "中国联通", "china unicom"], Operator::Cucc),
            (
                ["ctcc", "电信", " 中国电信 ", "China Telecom"],
                Operator::Ctcc,
            ),
            (["cbn", "广电", "中国广电", "China Broadnet"], Operator::Cbn),
        ] {
            for s in spellings {
                assert_eq!(s.parse::<Operator>(), Ok(op), "{s}");
            }
            assert_eq!(op.as_str().parse::<Operator>(), Ok(op));
        }
        let e = "铁塔".parse::<Operator>().unwrap_err();
        assert!(e.to_string().contains("cmcc/移动"), "{e}");
    }

    #[test]
    fn stage_order_defines_built_and_on_air() {
        assert!(!Stage::Powered.is_built());
        assert!(Stage::Installed.is_built() && !Stage::Installed.is_on_air());
        assert!(Stage::OnAir.is_on_air() && Stage::Accepted.is_on_air());
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    fn same_as_serde<T: Serialize>(v: T, name: &str) {
        assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
    }

    #[test]
    fn wire_names_are_the_serialized_names() {
        use SiteKind as K;
        for k in [K::Macro, K::Micro, K::Indoor, K::Pole] {
            same_as_serde(k, k.as_str());
        }
        for b in [Band::N78, Band::N41, Band::N28, Band::N1] {
            same_as_serde(b, b.as_str());
        }
        use PowerSource as P;
        for p in [P::Mains, P::Battery, P::Generator, P::None] {
            same_as_serde(p, p.as_str());
        }
        for s in [Supply::Direct, Supply::Transferred] {
            same_as_serde(s, s.as_str());
        }
        for c in [CellState::Active, CellState::Inactive, CellState::Faulty] {
            same_as_serde(c, c.as_str());
        }
    }
}
