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
pub struct SiteInput<'a> {
    pub site: &'a str,
    pub position: Gps,
    pub kind: SiteKind,
    pub bands: &'a [Band],
    pub on_air: bool,
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
    pub gaps: usize,
    /// On-air footprints reaching the area.
    pub sites_on_air: usize,
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
pub fn footprints<'a>(
    grids: &[Grid],
    sites: impl Iterator<Item = SiteInput<'a>>,
    cfg: &CoverageConfig,
) -> Vec<(String, Footprint)> {
    sites
        .filter(|s| s.on_air)
        .filter_map(|s| {
            let r = radius_m(s.kind, s.bands, class_at(grids, s.position), cfg);
            (r > 0.0).then(|| {
                (
                    s.site.to_string(),
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
) -> Report {
    let mut areas = Vec::new();
    let mut gaps = Vec::new();
    for (g, c) in grids.iter().zip(covered) {
        let largest = c.gaps.first().map_or(0.0, |g| g.area_m2);
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
            sites_on_air: c.footprints,
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
        areas,
        gaps,
        targets,
    }
}
