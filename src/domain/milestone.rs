//! Milestones: a person's report that a site reached a stage (`POST /api/v1/sites/{id}/milestones`),
//! kept with who, when and from where. A report made far from the site is kept but flagged; a
//! step backwards needs a reason.

use super::calendar;
use crate::wire::{Gps, Stage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A milestone as reported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMilestone {
    pub stage: Stage,
    /// The day (`2020-09-30`, the state holds at its end) or the instant (RFC 3339) the stage was
    /// reached. Defaults to now.
    pub date: Option<String>,
    #[serde(default)]
    pub note: String,
    /// The person in the field, if not the token's holder.
    #[serde(default)]
    pub reporter: String,
    /// Where the reporter stood (the phone's GPS, WGS-84).
    pub position: Option<Gps>,
    /// Required when the stage is below the site's stage at that time.
    pub reason: Option<String>,
}

/// A stored milestone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: i64,
    pub site: String,
    pub stage: Stage,
    /// When the stage was reached.
    pub at: DateTime<Utc>,
    pub note: String,
    pub reporter: String,
    pub position: Option<Gps>,
    /// Metres between the reporter and the site's planned position.
    pub distance_m: Option<f64>,
    /// Reported further from the site than allowed, or with no position at all.
    pub flagged: bool,
    /// Why the stage went backwards, when it did.
    pub reason: Option<String>,
    /// When the collector recorded it.
    pub recorded: DateTime<Utc>,
}

/// Reads `date` as a day (its end, local time) or an RFC 3339 instant.
pub fn parse_when(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    calendar::parse_date(s)
        .map(calendar::end_of_day)
        .map_err(|_| format!("`{s}` is neither a date (2020-09-30) nor an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(
            parse_when("2020-09-30").unwrap().to_rfc3339(),
            "2020-09-30T15:59:59.999+00:00"
        );
        assert!(parse_when("yesterday").is_err());
    }
}
