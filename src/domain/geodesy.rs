//! Distances on the ground between WGS-84 positions: geodesic, on the WGS-84 ellipsoid
//! (Karney's method, as `geo` implements it). The earth-station protection distances are a legal
//! rule (工信部无〔2019〕136号), and a sphere is off by ten metres and more at Liaocheng's latitude.

use crate::wire::Gps;
use geo::{Distance, Geodesic, Point};

/// Geodesic distance in metres on the WGS-84 ellipsoid.
pub fn distance_m(a: Gps, b: Gps) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousandth_of_a_degree_of_latitude_is_about_111_m() {
        let d = distance_m(
            Gps {
                lat: 36.450,
                lon: 115.98,
            },
            Gps {
                lat: 36.455,
                lon: 115.98,
            },
        );
        assert!((d - 555.0).abs() < 2.0, "{d}");
    }
}
