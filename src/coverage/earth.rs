//! Satellite earth stations: 5G sites using 3.3–5.0 GHz within a station's protection radius
//! need coordination (the plan: no interference with earth stations in 3000–5000 MHz). Distances
//! are geodesic on the WGS-84 ellipsoid ([`crate::domain::geodesy`]); a site's bands are every band
//! the plan, its agent's info or its reported cells name, and a site whose bands nobody knows is
//! flagged too.

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
    /// Every band known to be in use (plan, agent's info, cells reported); empty: not known.
    pub bands: Vec<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flagged {
    pub site: String,
    /// Geodesic distance on the WGS-84 ellipsoid, metres.
    pub distance_m: f64,
    /// `false`: nobody has said which bands the site uses; it is flagged until somebody does,
    /// since it may use 3.3–5.0 GHz.
    pub bands_known: bool,
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
                .filter(|x| x.bands.is_empty() || in_protected_range(&x.bands))
                .filter_map(|x| {
                    let d = distance_m(here, x.position);
                    (d <= s.radius_m).then(|| Flagged {
                        site: x.site.to_string(),
                        distance_m: (d * 10.0).round() / 10.0,
                        bands_known: !x.bands.is_empty(),
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

    /// Vincenty's inverse formula on the WGS-84 ellipsoid, written here independently of the
    /// library the check uses.
    fn vincenty_m(a: Gps, b: Gps) -> f64 {
        let (ea, f) = (6_378_137.0_f64, 1.0 / 298.257_223_563);
        let eb = (1.0 - f) * ea;
        let l = (b.lon - a.lon).to_radians();
        let u1 = ((1.0 - f) * a.lat.to_radians().tan()).atan();
        let u2 = ((1.0 - f) * b.lat.to_radians().tan()).atan();
        let (s1, c1, s2, c2) = (u1.sin(), u1.cos(), u2.sin(), u2.cos());
        let mut lambda = l;
        for _ in 0..200 {
            let (sl, cl) = (lambda.sin(), lambda.cos());
            let ss = ((c2 * sl).powi(2) + (c1 * s2 - s1 * c2 * cl).powi(2)).sqrt();
            let cs = s1 * s2 + c1 * c2 * cl;
            let sigma = ss.atan2(cs);
            let sa = c1 * c2 * sl / ss;
            let c2a = 1.0 - sa * sa;
            let c2m = cs - 2.0 * s1 * s2 / c2a;
            let c = f / 16.0 * c2a * (4.0 + f * (4.0 - 3.0 * c2a));
            let prev = lambda;
            lambda = l
                + (1.0 - c) * f * sa * (sigma + c * ss * (c2m + c * cs * (-1.0 + 2.0 * c2m * c2m)));
            if (lambda - prev).abs() < 1e-13 {
                let u2sq = c2a * (ea * ea - eb * eb) / (eb * eb);
                let aa = 1.0
                    + u2sq / 16384.0 * (4096.0 + u2sq * (-768.0 + u2sq * (320.0 - 175.0 * u2sq)));
                let bb = u2sq / 1024.0 * (256.0 + u2sq * (-128.0 + u2sq * (74.0 - 47.0 * u2sq)));
                let ds = bb
                    * ss
                    * (c2m
                        + bb / 4.0
                            * (cs * (-1.0 + 2.0 * c2m * c2m)
                                - bb / 6.0
                                    * c2m
                                    * (-3.0 + 4.0 * ss * ss)
                                    * (-3.0 + 4.0 * c2m * c2m)));
                return eb * aa * (sigma - ds);
            }
        }
        panic!("Vincenty did not converge");
    }

    /// The point `d` metres from `from` towards `bearing_deg`, found by bisection on the
    /// independent distance.
    fn at_distance(from: Gps, bearing_deg: f64, d: f64) -> Gps {
        let (sb, cb) = bearing_deg.to_radians().sin_cos();
        let point = |k: f64| Gps {
            lat: from.lat + k * cb,
            lon: from.lon + k * sb / from.lat.to_radians().cos(),
        };
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if vincenty_m(from, point(mid)) < d {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        point((lo + hi) / 2.0)
    }

    fn station(radius_m: f64) -> Vec<EarthStation> {
        vec![EarthStation {
            name: "站".into(),
            lat: 36.40,
            lon: 116.05,
            radius_m,
        }]
    }

    #[test]
    fn only_c_band_sites_and_sites_of_unknown_bands_inside_the_radius_are_flagged() {
        let st = station(1000.0);
        let here = Gps {
            lat: 36.40,
            lon: 116.05,
        };
        let near = at_distance(here, 0.0, 555.0);
        let far = at_distance(here, 0.0, 2200.0);
        let site = |site, position, bands: &[Band]| SiteBands {
            site,
            position,
            bands: bands.to_vec(),
        };
        let sites = [
            site("A", near, &[Band::N78]),
            site("B", near, &[Band::N41, Band::N28]),
            site("C", far, &[Band::N78]),
            site("D", near, &[]),
        ];
        let r = check(&st, &sites);
        let got: Vec<(&str, bool)> = r[0]
            .flagged
            .iter()
            .map(|f| (f.site.as_str(), f.bands_known))
            .collect();
        assert_eq!(got, [("A", true), ("D", false)]);
        assert!((r[0].flagged[0].distance_m - 555.0).abs() < 0.1);
    }

    /// 5 m inside a protection radius is flagged, 5 m outside is not, in every direction, with
    /// the distance shown as the ellipsoid gives it; a sphere errs by about ten metres here.
    #[test]
    fn protection_distances_are_geodesic_to_the_metre() {
        let here = Gps {
            lat: 36.40,
            lon: 116.05,
        };
        for radius in [3000.0, 5000.0] {
            let st = station(radius);
            for bearing in [0.0, 45.0, 90.0, 135.0, 180.0, 270.0] {
                let inside = at_distance(here, bearing, radius - 5.0);
                let outside = at_distance(here, bearing, radius + 5.0);
                let sites = [
                    SiteBands {
                        site: "in",
                        position: inside,
                        bands: vec![Band::N78],
                    },
                    SiteBands {
                        site: "out",
                        position: outside,
                        bands: vec![Band::N78],
                    },
                ];
                let r = check(&st, &sites);
                assert_eq!(r[0].flagged.len(), 1, "radius {radius}, bearing {bearing}");
                let f = &r[0].flagged[0];
                assert_eq!(f.site, "in");
                assert!(
                    (f.distance_m - (radius - 5.0)).abs() < 0.2,
                    "{} at bearing {bearing}",
                    f.distance_m
                );
            }
        }
    }
}
