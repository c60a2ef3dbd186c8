//! Sites on air at the end of each month (Liaocheng time), from the first month any site came on
//! air (or January of the first target's year) to the month of asking, which holds at the time
//! of asking. Pure. Counts by [`crate::domain::figures`]: the plan's sites on air at each month's
//! instant, so a site off air again leaves the curve, and the figure for a target's last month
//! is the target's figure in [`super::progress`].

use crate::config::Target;
use crate::domain::calendar::{Month, local_date};
use crate::domain::figures;
use crate::domain::site::Sites;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

/// Longest curve, in months.
const MONTHS_MAX: usize = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthOnAir {
    pub month: Month,
    pub on_air: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monthly {
    pub months: Vec<MonthOnAir>,
    pub targets: Vec<Target>,
}

pub fn monthly(sites: &Sites, targets: &[Target], as_of: DateTime<Utc>) -> Monthly {
    let this = Month::of(local_date(as_of));
    let counted: Vec<_> = sites.values().filter(|s| s.counts()).collect();
    let first_on_air = counted
        .iter()
        .flat_map(|s| s.timeline.events())
        .filter(|e| e.stage.is_on_air())
        .map(|e| Month::of(local_date(e.at)))
        .min();
    let first_target = targets
        .iter()
        .filter_map(|t| Month::new(t.deadline.year(), 1))
        .min();
    let start = first_on_air
        .into_iter()
        .chain(first_target)
        .min()
        .unwrap_or(this)
        .min(this);
    let mut months = Vec::new();
    let mut m = start;
    while m <= this && months.len() < MONTHS_MAX {
        let at = figures::month_instant(m, as_of);
        let on_air = counted
            .iter()
            .filter(|s| figures::on_air_at(&s.timeline, at))
            .count() as u64;
        months.push(MonthOnAir { month: m, on_air });
        m = m.next();
    }
    Monthly {
        months,
        targets: targets.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_targets;
    use crate::views::testing::{planned, site};
    use crate::wire::{Operator, Stage};

    #[test]
    fn each_month_counts_the_sites_on_air_at_its_end_in_liaocheng() {
        let p = |id| Some(planned(id, "371502", &[Operator::Cmcc]));
        let sites = Sites::from([
            (
                "A".to_string(),
                site(p("A"), &[("2020-11-05T00:00:00Z", Stage::OnAir)]),
            ),
            // 04:00 on 1 January in Liaocheng.
            (
                "B".to_string(),
                site(p("B"), &[("2020-12-31T20:00:00Z", Stage::OnAir)]),
            ),
            // Off air again in February.
            (
                "C".to_string(),
                site(
                    p("C"),
                    &[
                        ("2020-12-01T00:00:00Z", Stage::OnAir),
                        ("2021-02-10T00:00:00Z", Stage::Installed),
                    ],
                ),
            ),
            (
                "D".to_string(),
                site(None, &[("2020-01-05T00:00:00Z", Stage::OnAir)]),
            ),
        ]);
        let m = monthly(
            &sites,
            &default_targets(),
            "2021-03-15T00:00:00Z".parse().unwrap(),
        );
        let of = |s: &str| {
            m.months
                .iter()
                .find(|x| x.month == Month::parse(s).unwrap())
                .map(|x| x.on_air)
        };
        // From January of the first target's year (the unplanned D does not count).
        assert_eq!(m.months[0].month, Month::new(2020, 1).unwrap());
        assert_eq!(of("2020-10"), Some(0));
        assert_eq!(of("2020-11"), Some(1));
        assert_eq!(of("2020-12"), Some(2));
        assert_eq!(of("2021-01"), Some(3));
        assert_eq!(of("2021-02"), Some(2));
        assert_eq!(of("2021-03"), Some(2));
        assert_eq!(m.months.last().unwrap().month, Month::new(2021, 3).unwrap());
    }
}
