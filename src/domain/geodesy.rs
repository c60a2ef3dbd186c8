//! Distances on the ground between WGS-84 positions.

use crate::wire::Gps;
use geo::{Distance, Haversine, Point};

/// Great-circle distance in metres.
pub fn distance_m(a: Gps, b: Gps) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
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
        assert!((d - 556.0).abs() < 2.0, "{d}");
    }
}
