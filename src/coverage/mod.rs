//! Coverage against the targets (DESIGN §3): target areas, site footprints, coverage on a grid,
//! gaps where the next sites should go, and satellite earth stations. Pure: data in, data out.
//! The target areas themselves are [`crate::domain::area`].
//!
//! - [`footprint`] — a site's radius by kind, band and area class.
//! - [`grid`] — one area's grid in a local metric projection; covered share and gaps.
//! - [`report`] — every area's coverage and each target's coverage goal.
//! - [`earth`] — sites using 3.3–5.0 GHz near protected earth stations.
//! - [`reach`] — whether 5G reaches a pilot project (its sites on air, or its position covered).
//! - [`engine`] — the grids kept ready and the latest report reused for a second.

pub mod earth;
pub mod engine;
pub mod footprint;
pub mod grid;
pub mod reach;
pub mod report;
