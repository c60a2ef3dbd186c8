//! The simulated city: Liaocheng's sites spread over its eight counties, each with a plan date for
//! every stage, so that about 1,500 are on air by the end of 2020 and 10,000 by the end of 2023.
//! Deterministic for a given seed.

use crate::wire::domain::LIAOCHENG_COUNTIES;
use crate::wire::{Band, Gps, INFO_SCHEMA, Info, Operator, SiteKind, Stage};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::Contains;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Approximate seat of each county's government (WGS-84) and its share of the sites. The city
/// centre (东昌府区) carries the most.
const SEATS: [(f64, f64, f64); 8] = [
    (36.4560, 115.9850, 0.26), // 371502 东昌府区
    (36.5800, 116.2550, 0.10), // 371503 茌平区
    (36.1140, 115.7910, 0.10), // 371521 阳谷县
    (36.2340, 115.6710, 0.11), // 371522 莘县
    (36.3350, 116.2480, 0.08), // 371524 东阿县
    (36.4840, 115.4420, 0.10), // 371525 冠县
    (36.8660, 116.2300, 0.10), // 371526 高唐县
    (36.8380, 115.7050, 0.15), // 371581 临清市
];

/// One planned site and the day each stage is (or will be) reached in the simulation.
#[derive(Debug, Clone)]
pub struct SitePlan {
    pub info: Info,
    /// Planned on-air date (the deadline the dispatch meeting tracks).
    pub planned_on_air: NaiveDate,
    /// When the site actually reaches each stage from `approved` on (index = stage − 1).
    pub reached: [DateTime<Utc>; 6],
    /// Supply converts from transferred to direct on this day (转供电改直供电); `None`: direct
    /// from the start.
    pub direct_supply_from: Option<DateTime<Utc>>,
}

impl SitePlan {
    /// The stage of this site at `t`.
    pub fn stage_at(&self, t: DateTime<Utc>) -> Stage {
        let mut s = Stage::Planned;
        for (i, when) in self.reached.iter().enumerate() {
            if t >= *when {
                s = Stage::ALL[i + 1];
            }
        }
        s
    }
}

/// Builds `n` sites. The first 15 % are planned for 2020 (March to December), the rest spread
/// over 2021–2023; about 8 % run late by one to four months, so the checklist has overdue sites.
pub fn liaocheng(n: usize, seed: u64) -> Vec<SitePlan> {
    let mut rng = StdRng::seed_from_u64(seed);
    // Each site stands inside its own county: a draw that falls outside (a seat near the
    // county's edge, such as 临清's by the Hebei border) is drawn again, from a stream of its
    // own so that every other draw stays what it was.
    let counties = crate::domain::boundary::shipped();
    let mut again = StdRng::seed_from_u64(seed ^ 0x5eed_b00d);
    let mut counters = [0usize; 8];
    let start_2020 = NaiveDate::from_ymd_opt(2020, 3, 1).expect("valid date");
    let start_2021 = NaiveDate::from_ymd_opt(2021, 1, 1).expect("valid date");
    let days_2020 =
        (NaiveDate::from_ymd_opt(2020, 12, 20).expect("valid date") - start_2020).num_days();
    let days_later =
        (NaiveDate::from_ymd_opt(2023, 12, 15).expect("valid date") - start_2021).num_days();
    let first_wave = n * 15 / 100;
    (0..n)
        .map(|i| {
            let county = pick_county(&mut rng);
            counters[county] += 1;
            let (code, name_zh, _) = LIAOCHENG_COUNTIES[county];
            let (lat0, lon0, _) = SEATS[county];
            // Later sites spread further from the county seat: towns and villages come last.
            let spread_km = if i < first_wave {
                4.0
            } else {
                4.0 + 14.0 * (i as f64 / n as f64)
            };
            let (mut dlat, mut dlon) = offset_km(&mut rng, spread_km);
            if let Some(b) = counties.iter().find(|b| b.county == code) {
                for _ in 0..50 {
                    if b.geometry
                        .contains(&geo::Point::new(lon0 + dlon, lat0 + dlat))
                    {
                        break;
                    }
                    (dlat, dlon) = offset_km(&mut again, spread_km);
                }
            }
            let planned_on_air = if i < first_wave {
                start_2020 + Duration::days(days_2020 * i as i64 / first_wave.max(1) as i64)
            } else {
                start_2021
                    + Duration::days(
                        days_later * (i - first_wave) as i64 / (n - first_wave).max(1) as i64,
                    )
            };
            let late_days = if rng.random_bool(0.08) {
                rng.random_range(30..120)
            } else {
                rng.random_range(-20..5)
            };
            let on_air = planned_on_air
                .and_hms_opt(rng.random_range(8..18), 0, 0)
                .expect("valid time")
                .and_utc()
                + Duration::days(late_days);
            // Days before (−) or after (+) on air at which each stage is reached.
            let offsets = [-120, -75, -50, -25, 0, 45];
            let mut reached = [on_air; 6];
            for (k, off) in offsets.iter().enumerate() {
                reached[k] =
                    on_air + Duration::days(*off) + Duration::hours(rng.random_range(0..48));
            }
            reached[4] = on_air;
            let operators = pick_operators(&mut rng);
            let kind = match rng.random_range(0..100) {
                0..=69 => SiteKind::Macro,
                70..=84 => SiteKind::Micro,
                85..=94 => SiteKind::Indoor,
                _ => SiteKind::Pole,
            };
            let mut bands = Vec::new();
            for op in &operators {
                let b = match op {
                    Operator::Cmcc => Band::N41,
                    Operator::Cucc | Operator::Ctcc => Band::N78,
                    Operator::Cbn => Band::N28,
                };
                if !bands.contains(&b) {
                    bands.push(b);
                }
            }
            // About a third are on direct supply from the start; the rest convert over the years.
            let direct_supply_from = if rng.random_bool(0.35) {
                None
            } else {
                Some(reached[3] + Duration::days(rng.random_range(30..900)))
            };
            SitePlan {
                info: Info {
                    schema: INFO_SCHEMA.into(),
                    site: format!("LC{code}-{:05}", counters[county]),
                    name: format!("{name_zh}5G站址{:04}", counters[county]),
                    county: code.into(),
                    operators,
                    tower_owner: "china_tower".into(),
                    kind,
                    bands,
                    position: Gps {
                        lat: lat0 + dlat,
                        lon: lon0 + dlon,
                    },
                },
                planned_on_air,
                reached,
                direct_supply_from,
            }
        })
        .collect()
}

fn pick_county(rng: &mut StdRng) -> usize {
    let mut x: f64 = rng.random();
    for (i, (_, _, w)) in SEATS.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    0
}

fn pick_operators(rng: &mut StdRng) -> Vec<Operator> {
    // Shared towers: mostly one carrier, often two (cucc and ctcc share their 3.5 GHz network).
    match rng.random_range(0..100) {
        0..=39 => vec![Operator::Cmcc],
        40..=54 => vec![Operator::Cucc, Operator::Ctcc],
        55..=69 => vec![Operator::Cucc],
        70..=84 => vec![Operator::Ctcc],
        85..=94 => vec![Operator::Cmcc, Operator::Cbn],
        _ => vec![Operator::Cmcc, Operator::Cucc, Operator::Ctcc],
    }
}

/// A random offset within `km` of a point, in degrees (at Liaocheng's latitude).
fn offset_km(rng: &mut StdRng, km: f64) -> (f64, f64) {
    let r = km * rng.random::<f64>().sqrt();
    let a = rng.random::<f64>() * std::f64::consts::TAU;
    (r * a.sin() / 111.0, r * a.cos() / 89.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_air_by(plan: &[SitePlan], y: i32) -> usize {
        let end = NaiveDate::from_ymd_opt(y, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap()
            .and_utc();
        plan.iter().filter(|p| p.stage_at(end).is_on_air()).count()
    }

    #[test]
    fn city_reaches_roughly_the_plan_targets() {
        let plan = liaocheng(10_000, 1);
        let by_2020 = on_air_by(&plan, 2020);
        assert!(
            (1300..=1600).contains(&by_2020),
            "{by_2020} on air by end of 2020"
        );
        assert!(on_air_by(&plan, 2023) >= 9700);
        let ids: std::collections::HashSet<_> = plan.iter().map(|p| &p.info.site).collect();
        assert_eq!(ids.len(), plan.len(), "site ids are unique");
        for p in &plan {
            crate::wire::validate::info(&p.info).unwrap();
            assert!(
                p.reached.windows(2).all(|w| w[0] <= w[1]),
                "stages in order for {}",
                p.info.site
            );
        }
    }

    #[test]
    fn every_site_stands_inside_its_own_county() {
        let counties = crate::domain::boundary::shipped();
        let plan = liaocheng(10_000, 2020);
        let outside: Vec<&str> = plan
            .iter()
            .filter(|p| {
                let b = counties.iter().find(|b| b.county == p.info.county).unwrap();
                !b.geometry
                    .contains(&geo::Point::new(p.info.position.lon, p.info.position.lat))
            })
            .map(|p| p.info.site.as_str())
            .collect();
        assert!(
            outside.is_empty(),
            "{} outside: {:?}",
            outside.len(),
            &outside[..outside.len().min(5)]
        );
    }
}
