//! Whether 5G reaches a pilot project: the sites it depends on on air, or — when it names none —
//! its position inside an on-air site's footprint. Pure.

use super::grid::Footprint;
use crate::domain::geodesy::distance_m;
use crate::domain::pilot::{Pilot, Readiness};
use crate::wire::Gps;
use std::collections::HashMap;

/// Metres in a degree of latitude, rounded up: a box this wide holds every point within the
/// radius, so only footprints near a position are measured exactly.
const M_PER_DEG: f64 = 110_000.0;

/// Whether `p` stands inside any of `footprints`.
pub fn covered(p: Gps, footprints: &[(String, Footprint)]) -> bool {
    let cos = p.lat.to_radians().cos().max(0.01);
    footprints.iter().any(|(_, f)| {
        let dlat = f.radius_m / M_PER_DEG;
        let dlon = dlat / cos;
        (f.lat - p.lat).abs() <= dlat
            && (f.lon - p.lon).abs() <= dlon
            && distance_m(
                p,
                Gps {
                    lat: f.lat,
                    lon: f.lon,
                },
            ) <= f.radius_m
    })
}

/// Each project's readiness, from the footprints of the sites that radiate and which sites are
/// on air.
pub fn readiness(
    pilots: &[Pilot],
    footprints: &[(String, Footprint)],
    on_air: &dyn Fn(&str) -> bool,
) -> HashMap<String, Readiness> {
    pilots
        .iter()
        .map(|p| {
            let r = if p.sites.is_empty() {
                Readiness {
                    covered: p.position.map(|g| covered(g, footprints)),
                    sites_not_on_air: Vec::new(),
                }
            } else {
                Readiness {
                    covered: None,
                    sites_not_on_air: p.sites.iter().filter(|s| !on_air(s)).cloned().collect(),
                }
            };
            (p.id.clone(), r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_covered_within_a_footprint_only() {
        let f = vec![(
            "A".to_string(),
            Footprint {
                lat: 36.45,
                lon: 115.98,
                radius_m: 500.0,
            },
        )];
        // 0.004° of latitude is about 444 m; 0.005° about 555 m.
        assert!(covered(
            Gps {
                lat: 36.454,
                lon: 115.98
            },
            &f
        ));
        assert!(!covered(
            Gps {
                lat: 36.455,
                lon: 115.98
            },
            &f
        ));
    }
}
