//! Satellite earth stations: 5G sites using 3.3–5.0 GHz within a station's protection radius
//! need coordination (the plan: no interference with earth stations in 3000–5000 MHz).

use crate::config::EarthStation;
use crate::domain::geodesy::distance_m;
use crate::wire::{Band, Gps};
use serde::Serialize;

/// The band's downlink range in MHz.
pub fn band_mhz(b: Band) -> (u32, u32) {
    match b {
        Band::N78 => (3300, 3800),
        Band::N41 => (2496, 2690),
        Band::N28 => (703, 803),
        Band::N1 => (1920, 2170),
    }
}

/// Uses a band overlapping 3.3–5.0 GHz.
pub fn in_protected_range(bands: &[Band]) -> bool {
    bands.iter().any(|b| {
        let (lo, hi) = band_mhz(*b);
        lo < 5000 && hi > 3300
    })
}

/// A site to check.
#[derive(Debug, Clone)]
pub struct SiteBands<'a> {
    pub site: &'a str,
    pub position: Gps,
    pub bands: &'a [Band],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flagged {
    pub site: String,
    pub distance_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationCheck {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    /// Sites using 3.3–5.0 GHz inside the radius, nearest first.
    pub flagged: Vec<Flagged>,
}

pub fn check(stations: &[EarthStation], sites: &[SiteBands<'_>]) -> Vec<StationCheck> {
    stations
        .iter()
        .map(|s| {
            let here = Gps {
                lat: s.lat,
                lon: s.lon,
            };
            let mut flagged: Vec<Flagged> = sites
                .iter()
                .filter(|x| in_protected_range(x.bands))
                .filter_map(|x| {
                    let d = distance_m(here, x.position);
                    (d <= s.radius_m).then(|| Flagged {
                        site: x.site.to_string(),
                        distance_m: d.round(),
                    })
                })
                .collect();
            flagged.sort_by(|a, b| {
                a.distance_m
                    .total_cmp(&b.distance_m)
                    .then(a.site.cmp(&b.site))
            });
            StationCheck {
                name: s.name.clone(),
                lat: s.lat,
                lon: s.lon,
                radius_m: s.radius_m,
                flagged,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_c_band_sites_inside_the_radius_are_flagged() {
        let st = vec![EarthStation {
            name: "站".into(),
            lat: 36.40,
            lon: 116.05,
            radius_m: 1000.0,
        }];
        let near = Gps {
            lat: 36.405,
            lon: 116.05,
        }; // ≈ 555 m north
        let far = Gps {
            lat: 36.42,
            lon: 116.05,
        }; // ≈ 2.2 km
        let sites = [
            SiteBands {
                site: "A",
                position: near,
                bands: &[Band::N78],
            },
            SiteBands {
                site: "B",
                position: near,
                bands: &[Band::N41, Band::N28],
            },
            SiteBands {
                site: "C",
                position: far,
                bands: &[Band::N78],
            },
        ];
        let r = check(&st, &sites);
        let got: Vec<&str> = r[0].flagged.iter().map(|f| f.site.as_str()).collect();
        assert_eq!(got, ["A"]);
        assert!((r[0].flagged[0].distance_m - 556.0).abs() < 3.0);
    }
}
