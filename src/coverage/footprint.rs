//! Footprint radius of a site: by its kind, its bands and the class of the area it stands in.
//! A macro site covers as far as its farthest-reaching band; micro sites and smart poles have a
//! fixed radius; indoor systems add no outdoor footprint. A macro site whose bands are not known
//! has no footprint: unknown is not a default band.

use crate::config::CoverageConfig;
use crate::domain::area::AreaClass;
use crate::wire::{Band, SiteKind};

/// Which radius column applies in an area of this class (a site outside every area: rural).
fn column(class: Option<AreaClass>) -> usize {
    match class {
        Some(AreaClass::CityUrban | AreaClass::CountyUrban | AreaClass::IndustrialPark) => 0,
        Some(AreaClass::Town) => 1,
        Some(AreaClass::Rural) | None => 2,
    }
}

pub fn radius_m(
    kind: SiteKind,
    bands: &[Band],
    class: Option<AreaClass>,
    cfg: &CoverageConfig,
) -> f64 {
    match kind {
        SiteKind::Indoor => 0.0,
        SiteKind::Micro => cfg.micro_radius_m,
        SiteKind::Pole => cfg.pole_radius_m,
        SiteKind::Macro => {
            let col = column(class);
            let of = |b: &Band| {
                let r = match b {
                    Band::N78 => &cfg.macro_radius_m.n78,
                    Band::N41 => &cfg.macro_radius_m.n41,
                    Band::N28 => &cfg.macro_radius_m.n28,
                    Band::N1 => &cfg.macro_radius_m.n1,
                };
                r[col]
            };
            // No band known: no footprint (never a default band); the report counts such sites.
            bands.iter().map(of).fold(0.0, f64::max)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_by_kind_band_and_class() {
        let cfg = CoverageConfig::default();
        let urban = Some(AreaClass::CityUrban);
        assert_eq!(radius_m(SiteKind::Macro, &[Band::N78], urban, &cfg), 300.0);
        assert_eq!(
            radius_m(SiteKind::Macro, &[Band::N78, Band::N28], urban, &cfg),
            700.0
        );
        assert_eq!(radius_m(SiteKind::Macro, &[Band::N28], None, &cfg), 2000.0);
        assert_eq!(radius_m(SiteKind::Micro, &[Band::N28], None, &cfg), 100.0);
        assert_eq!(radius_m(SiteKind::Indoor, &[Band::N78], urban, &cfg), 0.0);
        assert_eq!(
            radius_m(SiteKind::Macro, &[], urban, &cfg),
            0.0,
            "bands unknown"
        );
    }
}
