//! The one rule for each figure the dispatch meeting and the task force's map show. Every view
//! and endpoint counts through these functions, so the progress page, the monthly curve, the
//! checklist and the coverage milestones agree for the same date by construction.
//!
//! - **Which sites count**: those the plan lists. A site known only from its agent is shown
//!   apart (unplanned) until the plan is imported with it; it adds to no figure.
//! - **Stage at an instant**: the stage set by the latest event at or before it, a person's
//!   report winning a tie with telemetry ([`Timeline::stage_at`]).
//! - **Built (建成)** from `installed`, **on air (开通)** from `on_air`, each at an instant. A site
//!   that went off air again is not on air.
//! - **On air by a deadline**: on air when the deadline's day ends in Liaocheng (local 23:59:59.999,
//!   UTC+8), or at the time of asking if that comes first. A site switched on at 20:00 UTC on
//!   31 December is switched on on 1 January in Liaocheng, and counts for the next year.
//! - **A month's figures** hold at its end in Liaocheng, or at the time of asking if that is
//!   earlier. **New on air in a month**: on air then, and not at the end of the month before.

use super::calendar::{Month, end_of_day};
use super::timeline::Timeline;
use chrono::{DateTime, NaiveDate, Utc};

/// Whether a site counts in the figures: the plan lists it.
pub fn counts(planned: bool) -> bool {
    planned
}

/// The instant a deadline's day ends: the last millisecond of that day in Liaocheng.
pub fn deadline_end(day: NaiveDate) -> DateTime<Utc> {
    end_of_day(day)
}

/// The instant a month's figures hold at: its end, or `as_of` if that is earlier.
pub fn month_instant(month: Month, as_of: DateTime<Utc>) -> DateTime<Utc> {
    month.end().min(as_of)
}

/// The instant figures "by `day`" hold at: the end of that day, or `as_of` if that is earlier.
pub fn by_instant(day: NaiveDate, as_of: DateTime<Utc>) -> DateTime<Utc> {
    deadline_end(day).min(as_of)
}

/// Built (建成) at `t`: stage `installed` or later.
pub fn built_at(timeline: &Timeline, t: DateTime<Utc>) -> bool {
    timeline.stage_at(t).is_built()
}

/// On air (开通) at `t`: stage `on_air` or later.
pub fn on_air_at(timeline: &Timeline, t: DateTime<Utc>) -> bool {
    timeline.stage_at(t).is_on_air()
}

/// On air by the end of `deadline` in Liaocheng (or at `as_of`, if the deadline is still ahead).
pub fn on_air_by(timeline: &Timeline, deadline: NaiveDate, as_of: DateTime<Utc>) -> bool {
    on_air_at(timeline, by_instant(deadline, as_of))
}

/// On air at the month's instant and not at the end of the month before.
pub fn new_on_air_in(timeline: &Timeline, month: Month, as_of: DateTime<Utc>) -> bool {
    on_air_at(timeline, month_instant(month, as_of)) && !on_air_at(timeline, month.prev().end())
}

/// On air at `t` and not at the end of the previous year: brought on air in `year` (up to `t`).
pub fn new_on_air_in_year(timeline: &Timeline, year: i32, t: DateTime<Utc>) -> bool {
    let before = Month::new(year, 1).map_or(t, |jan| jan.prev().end());
    on_air_at(timeline, t) && !on_air_at(timeline, before)
}

/// Whether the deadline's day has ended at `as_of`.
pub fn deadline_passed(deadline: NaiveDate, as_of: DateTime<Utc>) -> bool {
    as_of > deadline_end(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::timeline::{Source, StageEvent};
    use crate::wire::Stage;

    fn tl(events: &[(&str, Source, Stage)]) -> Timeline {
        Timeline::new(
            events
                .iter()
                .map(|(at, source, stage)| StageEvent {
                    at: at.parse().unwrap(),
                    source: *source,
                    stage: *stage,
                })
                .collect(),
        )
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_deadline_ends_with_its_day_in_liaocheng_not_in_utc() {
        let late = tl(&[("2020-12-31T20:00:00Z", Source::Telemetry, Stage::OnAir)]);
        let now = t("2021-06-01T00:00:00Z");
        // 04:00 on 1 January in Liaocheng: too late for 2020.
        assert!(!on_air_by(&late, d("2020-12-31"), now));
        assert!(on_air_by(&late, d("2021-01-01"), now));
        let in_time = tl(&[("2020-12-31T15:59:59.999Z", Source::Telemetry, Stage::OnAir)]);
        assert!(on_air_by(&in_time, d("2020-12-31"), now));
        assert!(new_on_air_in(&late, Month::new(2021, 1).unwrap(), now));
        assert!(!new_on_air_in(&late, Month::new(2020, 12).unwrap(), now));
    }

    #[test]
    fn off_air_again_is_not_on_air_and_a_deadline_ahead_counts_now() {
        let flap = tl(&[
            ("2020-10-01T00:00:00Z", Source::Telemetry, Stage::OnAir),
            ("2020-11-01T00:00:00Z", Source::Milestone, Stage::Installed),
        ]);
        let now = t("2021-06-01T00:00:00Z");
        assert!(!on_air_by(&flap, d("2020-12-31"), now));
        assert!(built_at(&flap, deadline_end(d("2020-12-31"))));
        assert!(on_air_at(&flap, t("2020-10-15T00:00:00Z")));
        // A deadline still ahead: the figure is the one at the time of asking.
        let early = t("2020-10-15T00:00:00Z");
        assert!(on_air_by(&flap, d("2020-12-31"), early));
        assert!(!deadline_passed(d("2020-12-31"), early));
        assert!(deadline_passed(d("2020-12-31"), t("2020-12-31T16:00:00Z")));
        // A month still running holds at the time of asking.
        let oct = Month::new(2020, 10).unwrap();
        assert!(new_on_air_in(&flap, oct, early));
        assert!(!new_on_air_in(&flap, Month::new(2020, 11).unwrap(), now));
    }
}
