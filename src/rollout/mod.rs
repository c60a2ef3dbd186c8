//! Rollout tracking: the plan, how far each site is, what holds it up, and how the city stands
//! against its targets.
//!
//! - [`calendar`] — China Standard Time days and months.
//! - [`plan`] — the site plan and its import from CSV and GeoJSON.
//! - [`timeline`] — a site's stage over time, from telemetry and from people's reports.
//! - [`milestone`] — people's stage reports, with where they were made.
//! - [`obstacle`] — obstacles (困难站点), their kinds and time limits.
//! - [`objection`] — objections to a site's data and their corrections (异议).
//! - [`schedule`] — yearly tasks, the backward schedule (倒排工期), each site's standing.
//! - [`progress`] — counts per county and operator against the targets (pure).
//! - [`service`] — the writes people make (import, milestones, obstacles, month close), kept in
//!   the control store and reflected in the live state.

pub mod calendar;
pub mod milestone;
pub mod objection;
pub mod obstacle;
pub mod plan;
pub mod progress;
pub mod schedule;
pub mod service;
pub mod timeline;
