//! The areas' grids kept ready, the cells covered kept between reports, and the latest report
//! kept for a moment. Sites come on air one at a time: each new footprint marks only its own
//! cells ([`Grid::add`]); a site that went off air or moved makes the marks start again. The
//! map and the API ask often, so a report (shares, continuity and gaps) is reused for a second.

use super::grid::{Covered, Footprint, Grid, Marks};
use super::report::Report;
use crate::domain::area::Area;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Longest a report is reused.
const FRESH: Duration = Duration::from_secs(1);

/// A site's footprint as marked: site id and the footprint's exact values.
type Key = (String, [u64; 3]);

fn key(site: &str, f: &Footprint) -> Key {
    (
        site.to_string(),
        [f.lon.to_bits(), f.lat.to_bits(), f.radius_m.to_bits()],
    )
}

/// What the marks hold: the grids they are for, the footprints applied, marks per grid.
#[derive(Default)]
struct Marked {
    grids: Option<Arc<Vec<Grid>>>,
    applied: HashSet<Key>,
    per_grid: Vec<Marks>,
}

#[derive(Default)]
pub struct Engine {
    grids: RwLock<Arc<Vec<Grid>>>,
    marked: Mutex<Marked>,
    cached: Mutex<Option<(Instant, Arc<Report>)>>,
    /// Reports computed afresh (one carrier's), by key, kept for a moment too.
    keyed: Mutex<std::collections::HashMap<String, (Instant, Arc<Report>)>>,
}

impl Engine {
    /// Builds the grids of these areas (the slow part: each cell's centre is tested against
    /// its area once) and forgets the marks and any report.
    pub fn set_areas(&self, areas: Vec<Area>, cell_m: f64) {
        let grids: Vec<Grid> = areas.into_iter().map(|a| Grid::new(a, cell_m)).collect();
        *self.marked.lock().unwrap_or_else(|p| p.into_inner()) = Marked::default();
        *self.grids.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(grids);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.keyed.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn grids(&self) -> Arc<Vec<Grid>> {
        self.grids.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Coverage of each of `grids` by the footprints of the sites on air now,
    /// `(site, footprint)`. Footprints not yet marked are added; when one marked earlier is
    /// gone, or the grids are others, marking starts again from these.
    pub fn cover(
        &self,
        grids: &Arc<Vec<Grid>>,
        footprints: &[(String, Footprint)],
    ) -> Vec<Covered> {
        let mut marked = self.marked.lock().unwrap_or_else(|p| p.into_inner());
        let now: HashSet<Key> = footprints.iter().map(|(s, f)| key(s, f)).collect();
        let same_grids = marked.grids.as_ref().is_some_and(|g| Arc::ptr_eq(g, grids));
        if !same_grids || !marked.applied.is_subset(&now) {
            *marked = Marked {
                grids: Some(grids.clone()),
                applied: HashSet::new(),
                per_grid: grids.iter().map(Grid::marks).collect(),
            };
        }
        let Marked {
            applied, per_grid, ..
        } = &mut *marked;
        for (site, f) in footprints {
            if applied.insert(key(site, f)) {
                for (g, m) in grids.iter().zip(per_grid.iter_mut()) {
                    g.add(m, f);
                }
            }
        }
        grids
            .iter()
            .zip(per_grid.iter())
            .map(|(g, m)| g.covered(m))
            .collect()
    }

    /// A report computed from scratch (not from the kept marks), for `key` (e.g. one carrier),
    /// from the cache if it is fresh, else from `compute`.
    pub fn report_for(
        &self,
        key: &str,
        compute: impl FnOnce(&Arc<Vec<Grid>>) -> Report,
    ) -> Arc<Report> {
        {
            let keyed = self.keyed.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, r)) = keyed.get(key)
                && at.elapsed() < FRESH
            {
                return r.clone();
            }
        }
        let r = Arc::new(compute(&self.grids()));
        self.keyed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), (Instant::now(), r.clone()));
        r
    }

    /// The report, from the cache if it is fresh, else from `compute`.
    pub fn report(&self, compute: impl FnOnce(&Arc<Vec<Grid>>) -> Report) -> Arc<Report> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, r)) = cached.as_ref()
            && at.elapsed() < FRESH
        {
            return r.clone();
        }
        let r = Arc::new(compute(&self.grids()));
        *cached = Some((Instant::now(), r.clone()));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::grid::tests::{area, at, square};

    /// Marked one site at a time, or started again when a site goes off air: always what a
    /// computation from scratch gives.
    #[test]
    fn marks_kept_between_reports_match_a_full_computation() {
        let (lat, lon) = (36.45, 115.98);
        let engine = Engine::default();
        engine.set_areas(
            vec![
                area(vec![square(lat, lon, 4000.0)]),
                area(vec![square(lat, lon, 1000.0)]),
            ],
            50.0,
        );
        let grids = engine.grids();
        let sites: Vec<(String, Footprint)> = (0..12)
            .map(|i| {
                let d = f64::from(i) * 300.0 - 1800.0;
                (format!("S{i}"), at(lat, lon, d, d / 2.0, 350.0))
            })
            .collect();
        let full = |fs: &[(String, Footprint)]| -> Vec<Covered> {
            let f: Vec<Footprint> = fs.iter().map(|(_, f)| *f).collect();
            grids.iter().map(|g| g.cover(&f)).collect()
        };
        for n in 1..=sites.len() {
            assert_eq!(
                engine.cover(&grids, &sites[..n]),
                full(&sites[..n]),
                "{n} sites"
            );
        }
        // S3 goes off air; S5 moves.
        let mut fewer: Vec<_> = sites.iter().filter(|(s, _)| s != "S3").cloned().collect();
        fewer[4].1 = at(lat, lon, 1500.0, -1500.0, 350.0);
        assert_eq!(engine.cover(&grids, &fewer), full(&fewer));
        // New areas: the marks are for the old grids and start again.
        engine.set_areas(vec![area(vec![square(lat, lon, 2000.0)])], 50.0);
        let grids2 = engine.grids();
        let f: Vec<Footprint> = fewer.iter().map(|(_, f)| *f).collect();
        assert_eq!(engine.cover(&grids2, &fewer), vec![grids2[0].cover(&f)]);
    }
}
