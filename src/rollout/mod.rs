//! Rollout tracking: how many sites are built and on air, against the plan's targets.
//!
//! - [`progress`] — counts per county and operator against the targets (pure).

pub mod progress;
