//! Obstacles (困难站点 / 协调事项): what keeps a site from progressing, who must clear it and by
//! when. Opened by field engineers or the bureau, updated, and resolved (销号).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObstacleKind {
    /// Entry refused by the owner or property manager (进场难).
    Access,
    /// Mains hookup or its price (引电难).
    Power,
    /// Rent, entry, coordination fees — forbidden by the plan (收费).
    Fees,
    /// Residents' objections, e.g. radiation fears (民扰).
    Dispute,
    /// Planning approval (审批).
    Permit,
    /// Satellite earth station coordination (干扰协调).
    Interference,
    /// Demolition or road works (拆迁).
    Relocation,
    /// Theft of electricity, vandalism (破坏).
    Damage,
}

impl ObstacleKind {
    pub const ALL: [ObstacleKind; 8] = [
        ObstacleKind::Access,
        ObstacleKind::Power,
        ObstacleKind::Fees,
        ObstacleKind::Dispute,
        ObstacleKind::Permit,
        ObstacleKind::Interference,
        ObstacleKind::Relocation,
        ObstacleKind::Damage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObstacleKind::Access => "access",
            ObstacleKind::Power => "power",
            ObstacleKind::Fees => "fees",
            ObstacleKind::Dispute => "dispute",
            ObstacleKind::Permit => "permit",
            ObstacleKind::Interference => "interference",
            ObstacleKind::Relocation => "relocation",
            ObstacleKind::Damage => "damage",
        }
    }

    pub fn parse(s: &str) -> Option<ObstacleKind> {
        ObstacleKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ObstacleKind::Access => "进场受阻",
            ObstacleKind::Power => "引电困难",
            ObstacleKind::Fees => "违规收费",
            ObstacleKind::Dispute => "群众阻工",
            ObstacleKind::Permit => "规划审批",
            ObstacleKind::Interference => "卫星地球站干扰协调",
            ObstacleKind::Relocation => "拆迁改建",
            ObstacleKind::Damage => "窃电破坏",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ObstacleKind::Access => "Access refused",
            ObstacleKind::Power => "Power hookup",
            ObstacleKind::Fees => "Fees demanded",
            ObstacleKind::Dispute => "Residents' dispute",
            ObstacleKind::Permit => "Planning permit",
            ObstacleKind::Interference => "Earth-station coordination",
            ObstacleKind::Relocation => "Relocation",
            ObstacleKind::Damage => "Theft or damage",
        }
    }
}

/// One obstacle as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Obstacle {
    pub id: i64,
    pub site: String,
    pub kind: ObstacleKind,
    pub description: String,
    /// Unit that must clear it (责任单位).
    pub responsible_unit: String,
    pub opened: NaiveDate,
    /// To be cleared by this day (限时).
    pub due: NaiveDate,
    /// Resolved (销号) on this day.
    pub resolved: Option<NaiveDate>,
    pub resolution: Option<String>,
    pub reporter: String,
}

impl Obstacle {
    /// Open at the end of `day`: opened on or before it and not resolved by then.
    pub fn open_on(&self, day: NaiveDate) -> bool {
        self.opened <= day && self.resolved.is_none_or(|r| r > day)
    }
}

/// A new obstacle as reported (`POST /api/v1/sites/{id}/obstacles`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewObstacle {
    pub kind: ObstacleKind,
    pub description: String,
    pub responsible_unit: String,
    /// Defaults to today.
    pub opened: Option<NaiveDate>,
    /// Defaults to `opened` plus the configured time limit for its kind.
    pub due: Option<NaiveDate>,
    /// The person in the field, if not the token's holder.
    #[serde(default)]
    pub reporter: String,
}

/// A change to an obstacle (`PATCH`); absent fields stay as they are. Setting `resolved`
/// resolves it (销号); a resolution note is required then.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObstaclePatch {
    pub description: Option<String>,
    pub responsible_unit: Option<String>,
    pub due: Option<NaiveDate>,
    pub resolved: Option<NaiveDate>,
    pub resolution: Option<String>,
    /// The person in the field, if not the token's holder.
    #[serde(default)]
    pub reporter: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_openness_is_by_day() {
        for k in ObstacleKind::ALL {
            assert_eq!(ObstacleKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let o = Obstacle {
            id: 1,
            site: "A".into(),
            kind: ObstacleKind::Access,
            description: String::new(),
            responsible_unit: String::new(),
            opened: d("2020-09-10"),
            due: d("2020-10-10"),
            resolved: Some(d("2020-10-05")),
            resolution: None,
            reporter: String::new(),
        };
        assert!(!o.open_on(d("2020-09-09")));
        assert!(o.open_on(d("2020-09-10")));
        assert!(o.open_on(d("2020-10-04")));
        assert!(!o.open_on(d("2020-10-05")));
    }
}
