//! Objections (异议), per the city's data rules: anyone holding a token may object to a site's
//! data, giving the correct value and why. The site shows as under objection at once; an
//! administrator accepts (the correction is applied and audited) or rejects it with a reason.
//! Objections left undecided for more than five working days are listed in the checklist.

use super::calendar::parse_date;
use super::site::PlannedSite;
use crate::wire::{Gps, Operator, Stage};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Working days the rules allow for a decision.
pub const DECIDE_WITHIN_WORKING_DAYS: i64 = 5;

/// An objection as filed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewObjection {
    /// `name`, `county`, `operators`, `kind`, `position`, `planned_on_air`, `responsible_unit`,
    /// `tower_owner` or `stage`.
    pub field: String,
    /// The value it should have, as JSON (`"2020-10-31"`, `["cmcc","cucc"]`,
    /// `{"lat": 36.45, "lon": 115.98}`, …).
    pub proposed: serde_json::Value,
    pub reason: String,
}

/// A decision (`PATCH /api/v1/objections/{id}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// `accept` or `reject`.
    pub decision: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objection {
    pub id: i64,
    pub site: String,
    pub field: String,
    pub proposed: serde_json::Value,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// `open`, `accepted` or `rejected`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision: Option<String>,
}

impl Objection {
    /// Still undecided at `t`.
    pub fn open_at(&self, t: DateTime<Utc>) -> bool {
        self.at <= t && self.decided_at.is_none_or(|d| d > t)
    }
}

/// A correction to apply on acceptance.
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    /// The plan's entry changes.
    Plan(Box<PlannedSite>),
    /// The site's stage is set, as a milestone.
    Stage(Stage),
}

/// Checks that `proposed` is a valid value of `field`, and gives the correction it makes to
/// `site` (the plan's entry, when the field is one of the plan's).
pub fn correction(
    field: &str,
    proposed: &serde_json::Value,
    site: Option<&PlannedSite>,
) -> Result<Correction, String> {
    let text = || {
        proposed
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.chars().count() <= 128)
            .ok_or_else(|| format!("`proposed` for {field} must be a non-empty string"))
    };
    if field == "stage" {
        return Stage::parse(text()?)
            .map(Correction::Stage)
            .ok_or_else(|| "`proposed` is not a stage (planned … accepted)".into());
    }
    let mut p = site
        .cloned()
        .ok_or("only the stage of a site outside the plan can be objected to")?;
    match field {
        "name" => p.name = text()?.to_string(),
        "responsible_unit" => p.responsible_unit = text()?.to_string(),
        "tower_owner" => p.tower_owner = text()?.to_string(),
        "county" => {
            let c = text()?;
            if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()) {
                return Err("`proposed` county must be a 6-digit admin code".into());
            }
            p.county = c.to_string();
        }
        "planned_on_air" => p.planned_on_air = parse_date(text()?)?,
        "kind" => {
            p.kind = serde_json::from_value(proposed.clone())
                .map_err(|_| "`proposed` kind must be macro, micro, indoor or pole")?
        }
        "operators" => {
            let list = proposed
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or("`proposed` operators must be a non-empty list")?;
            p.operators = list
                .iter()
                .map(|v| {
                    v.as_str()
                        .unwrap_or_default()
                        .parse::<Operator>()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<_, _>>()?;
        }
        "position" => {
            let g: Gps = serde_json::from_value(proposed.clone())
                .map_err(|_| "`proposed` position must be {\"lat\": …, \"lon\": …}")?;
            if !(g.lat.abs() <= 90.0 && g.lon.abs() <= 180.0) {
                return Err("`proposed` position is outside ±90/±180".into());
            }
            p.position = g;
        }
        other => {
            return Err(format!(
                "`{other}` cannot be objected to; use name, county, operators, kind, position, planned_on_air, responsible_unit, tower_owner or stage"
            ));
        }
    }
    Ok(Correction::Plan(Box::new(p)))
}

/// Working days (Monday to Friday) after `from` up to and including `to`. Public holidays are
/// not known to sitepulse and count as working days.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap_or(d);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Friday 2020-09-04 → Friday 2020-09-11: five working days.
        assert_eq!(working_days_between(d("2020-09-04"), d("2020-09-11")), 5);
        assert_eq!(working_days_between(d("2020-09-04"), d("2020-09-14")), 6);
        assert_eq!(working_days_between(d("2020-09-05"), d("2020-09-06")), 0);
    }

    #[test]
    fn corrections_are_checked() {
        assert_eq!(
            correction("stage", &serde_json::json!("on_air"), None),
            Ok(Correction::Stage(Stage::OnAir))
        );
        assert!(correction("stage", &serde_json::json!("done"), None).is_err());
        assert!(correction("name", &serde_json::json!("x"), None).is_err());
        assert!(correction("password", &serde_json::json!("x"), None).is_err());
    }
}
