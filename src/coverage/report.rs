//! Coverage of every area and progress of each target's coverage goal, from the areas' grids
//! and the sites. Pure.

use super::footprint::radius_m;
use super::grid::{Covered, Footprint, Gap, Grid};
use crate::config::{CoverageConfig, Target};
use crate::domain::area::AreaClass;
use crate::wire::{Band, Gps, SiteKind};
use geo::{Contains, Coord};
use serde::Serialize;

/// What coverage needs to know of a site.
#[derive(Debug, Clone)]
pub struct SiteInput {
    pub site: String,
    pub position: Gps,
    pub kind: SiteKind,
    /// Every band known to be in use; empty: not known.
    pub bands: Vec<Band>,
    /// It radiates now ([`crate::domain::site::Site::radiates`]).
    pub covers: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaCoverage {
    pub name: String,
    pub class: AreaClass,
    pub county: String,
    pub area_km2: f64,
    /// 0–1.
    pub covered_share: f64,
    /// At least `continuous_share` covered and no gap above `max_hole_m2`.
    pub continuous: bool,
    pub largest_gap_m2: f64,
    /// Gaps listed (at least `min_gap_m2`).
    pub gaps: usize,
    /// Footprints of radiating sites that reach into the area, wherever the sites stand.
    pub footprints_reaching: usize,
    /// Radiating sites standing inside the area.
    pub sites_inside: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedGap {
    pub area: String,
    pub county: String,
    #[serde(flatten)]
    pub gap: Gap,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCoverage {
    pub name: String,
    pub deadline: chrono::NaiveDate,
    pub target_on_air: u64,
    pub on_air: u64,
    pub classes: Vec<AreaClass>,
    /// Areas of those classes.
    pub areas: usize,
    /// Of which continuously covered.
    pub areas_met: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub cell_m: f64,
    /// Radiating macro sites whose bands nobody knows: they have no footprint until the plan or
    /// their agent says which bands they use.
    pub sites_bands_unknown: usize,
    pub areas: Vec<AreaCoverage>,
    /// Every gap of every area, largest first.
    pub gaps: Vec<RankedGap>,
    pub targets: Vec<TargetCoverage>,
}

/// The class of the area a point stands in; where areas overlap, the most urban one.
pub fn class_at(grids: &[Grid], p: Gps) -> Option<AreaClass> {
    let c = Coord { x: p.lon, y: p.lat };
    grids
        .iter()
        .filter(|g| g.area.geometry.contains(&c))
        .map(|g| g.area.class)
        .min()
}

/// Footprints of the on-air sites.
pub fn footprints(
    grids: &[Grid],
    sites: &[SiteInput],
    cfg: &CoverageConfig,
) -> Vec<(String, Footprint)> {
    sites
        .iter()
        .filter(|s| s.covers)
        .filter_map(|s| {
            let r = radius_m(s.kind, &s.bands, class_at(grids, s.position), cfg);
            (r > 0.0).then(|| {
                (
                    s.site.clone(),
                    Footprint {
                        lon: s.position.lon,
                        lat: s.position.lat,
                        radius_m: r,
                    },
                )
            })
        })
        .collect()
}

/// The report from each grid's coverage (`covered[i]` of `grids[i]`, e.g. from
/// [`super::engine::Engine::cover`] or [`Grid::cover`]); `on_air[i]` is target `i`'s sites on air
/// by its deadline ([`crate::views::progress::on_air_by_target`]).
pub fn report(
    grids: &[Grid],
    covered: Vec<Covered>,
    cfg: &CoverageConfig,
    targets: &[Target],
    on_air: &[u64],
    sites: &[SiteInput],
) -> Report {
    let mut areas = Vec::new();
    let mut gaps = Vec::new();
    let radiating: Vec<&SiteInput> = sites.iter().filter(|s| s.covers).collect();
    for (g, mut c) in grids.iter().zip(covered) {
        let largest = c.gaps.first().map_or(0.0, |g| g.area_m2);
        c.gaps.retain(|gap| gap.area_m2 >= cfg.min_gap_m2);
        let inside = radiating
            .iter()
            .filter(|s| g.holds(s.position.lon, s.position.lat))
            .count();
        areas.push(AreaCoverage {
            name: g.area.name.clone(),
            class: g.area.class,
            county: g.area.county.clone(),
            area_km2: c.area_m2 / 1e6,
            covered_share: c.share,
            continuous: c.area_m2 > 0.0
                && c.share >= cfg.continuous_share
                && largest <= cfg.max_hole_m2,
            largest_gap_m2: largest,
            gaps: c.gaps.len(),
            footprints_reaching: c.footprints,
            sites_inside: inside,
        });
        gaps.extend(c.gaps.into_iter().map(|gap| RankedGap {
            area: g.area.name.clone(),
            county: g.area.county.clone(),
            gap,
        }));
    }
    gaps.sort_by(|a, b| b.gap.cells.cmp(&a.gap.cells).then(a.area.cmp(&b.area)));
    let targets = targets
        .iter()
        .zip(on_air.iter().copied().chain(std::iter::repeat(0)))
        .map(|(t, on_air)| {
            let of_class: Vec<&AreaCoverage> = areas
                .iter()
                .filter(|a| t.coverage.contains(&a.class))
                .collect();
            TargetCoverage {
                name: t.name.clone(),
                deadline: t.deadline,
                target_on_air: t.on_air,
                on_air,
                classes: t.coverage.clone(),
                areas: of_class.len(),
                areas_met: of_class.iter().filter(|a| a.continuous).count(),
            }
        })
        .collect();
    Report {
        cell_m: cfg.cell_m,
        sites_bands_unknown: radiating
            .iter()
            .filter(|s| s.kind == SiteKind::Macro && s.bands.is_empty())
            .count(),
        areas,
        gaps,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geodesy::distance_m;

    /// About 10,000 sites over Liaocheng's urban areas and around them: every reported gap point
    /// lies in its area and outside every footprint, with ground to spare; no gap listed is
    /// below the configured size, though small ones still count in the share.
    #[test]
    fn every_gap_point_lies_in_its_gap() {
        let cfg = CoverageConfig::default();
        let areas = crate::domain::area::parse(include_bytes!("liaocheng-areas.geojson")).unwrap();
        let grids: Vec<Grid> = areas
            .into_iter()
            .map(|a| Grid::new(a, cfg.cell_m))
            .collect();
        let (mut lon0, mut lat0, mut lon1, mut lat1) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        for g in &grids {
            use geo::BoundingRect;
            let r = g.area.geometry.bounding_rect().unwrap();
            (lon0, lat0) = (lon0.min(r.min().x), lat0.min(r.min().y));
            (lon1, lat1) = (lon1.max(r.max().x), lat1.max(r.max().y));
        }
        // A fixed pseudo-random scatter, denser where the areas are.
        let mut seed: u64 = 2020;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let sites: Vec<SiteInput> = (0..10_000)
            .map(|i| {
                let (lat, lon) = if i % 2 == 0 {
                    let g = &grids[i % grids.len()];
                    use geo::BoundingRect;
                    let r = g.area.geometry.bounding_rect().unwrap();
                    (
                        r.min().y + next() * r.height(),
                        r.min().x + next() * r.width(),
                    )
                } else {
                    (lat0 + next() * (lat1 - lat0), lon0 + next() * (lon1 - lon0))
                };
                SiteInput {
                    site: format!("S{i}"),
                    position: Gps { lat, lon },
                    kind: if i % 7 == 0 {
                        SiteKind::Micro
                    } else {
                        SiteKind::Macro
                    },
                    bands: vec![[Band::N78, Band::N41, Band::N28][i % 3]],
                    covers: i % 5 != 0,
                }
            })
            .collect();
        let footprints = footprints(&grids, &sites, &cfg);
        let fp: Vec<Footprint> = footprints.iter().map(|(_, f)| *f).collect();
        let covered: Vec<Covered> = grids.iter().map(|g| g.cover(&fp)).collect();
        let slivers: usize = covered
            .iter()
            .flat_map(|c| &c.gaps)
            .filter(|g| g.area_m2 < cfg.min_gap_m2)
            .count();
        let r = report(&grids, covered, &cfg, &[], &[], &sites);
        assert!(
            r.gaps.len() > 20,
            "{} gaps: the scenario needs many",
            r.gaps.len()
        );
        assert!(
            slivers > 0,
            "the scenario has single-cell slivers to leave out"
        );
        for gap in &r.gaps {
            assert!(gap.gap.area_m2 >= cfg.min_gap_m2);
            let g = grids.iter().find(|g| g.area.name == gap.area).unwrap();
            let p = geo::Coord {
                x: gap.gap.lon,
                y: gap.gap.lat,
            };
            assert!(g.area.geometry.contains(&p), "{gap:?} outside its area");
            let here = Gps {
                lat: gap.gap.lat,
                lon: gap.gap.lon,
            };
            for f in &fp {
                let d = distance_m(
                    here,
                    Gps {
                        lat: f.lat,
                        lon: f.lon,
                    },
                );
                assert!(
                    d > f.radius_m,
                    "{gap:?} is {d:.0} m from a footprint of {} m",
                    f.radius_m
                );
            }
        }
        let total_inside: usize = r.areas.iter().map(|a| a.sites_inside).sum();
        let reaching: usize = r.areas.iter().map(|a| a.footprints_reaching).sum();
        assert!(
            total_inside > 0 && reaching > total_inside,
            "{total_inside} inside, {reaching} reaching"
        );
    }
}
