//! The areas' grids kept ready, and the latest report kept for a moment: the map and the API
//! ask often, sites come on air one at a time, and a full computation for a city takes
//! milliseconds, so it is recomputed at most once a second rather than kept incrementally.

use super::area::Area;
use super::grid::Grid;
use super::report::Report;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Longest a report is reused.
const FRESH: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Engine {
    grids: RwLock<Arc<Vec<Grid>>>,
    cached: Mutex<Option<(Instant, Arc<Report>)>>,
}

impl Engine {
    /// Builds the grids of these areas (the slow part: each cell's centre is tested against
    /// its area once) and forgets any report.
    pub fn set_areas(&self, areas: Vec<Area>, cell_m: f64) {
        let grids: Vec<Grid> = areas.into_iter().map(|a| Grid::new(a, cell_m)).collect();
        *self.grids.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(grids);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn grids(&self) -> Arc<Vec<Grid>> {
        self.grids.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The report, from the cache if it is fresh, else from `compute`.
    pub fn report(&self, compute: impl FnOnce(&[Grid]) -> Report) -> Arc<Report> {
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
