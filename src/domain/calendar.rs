//! The city's calendar. Dates in the plan, milestones, obstacles and month boundaries are China
//! Standard Time (UTC+8, no daylight saving): a month closes at midnight in Liaocheng, not in UTC.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// UTC+8.
pub fn tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The local day of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz()).date_naive()
}

/// Local midnight at the start of `day`, as UTC.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    tz().from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc)
}

/// The last instant of `day` (local 23:59:59.999), as UTC: a state reported for a day holds at
/// its end.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    start_of_day(day) + chrono::Duration::days(1) - chrono::Duration::milliseconds(1)
}

/// Days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

/// A calendar month, written `2020-09`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year))
            .then_some(Month { year, month })
    }

    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a day before")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The last instant of the month, as UTC.
    pub fn end(self) -> DateTime<Utc> {
        end_of_day(self.last_day())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a month like 2020-09")))
    }
}

/// A date as people write it; years outside 2000–2100 are typos, not plans.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let d = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .ok_or_else(|| format!("`{s}` is not a date; write it as 2020-09-30"))?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&d)) {
        return Err(format!("`{s}` is not a date between 2000 and 2100"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_end_at_local_midnight() {
        let m = Month::parse("2020-12").unwrap();
        assert_eq!(m.last_day().to_string(), "2020-12-31");
        assert_eq!(m.next().to_string(), "2021-01");
        assert_eq!(m.prev().to_string(), "2020-11");
        assert_eq!(m.end().to_rfc3339(), "2020-12-31T15:59:59.999+00:00");
        assert_eq!(
            local_date("2020-12-31T16:00:00Z".parse().unwrap()).to_string(),
            "2021-01-01"
        );
        assert!(Month::parse("2020-13").is_none() && Month::parse("2020-9").is_none());
    }
}
