//! The rollout's vocabulary and its rules, with no I/O and no clock of its own: every function
//! takes the time it needs. Everything above it (store, views, services, API) speaks these types.
//!
//! - [`site`] — a site as the plan lists it.
//! - [`calendar`] — Liaocheng's days and months (UTC+8), dates as people write them.
//! - [`timeline`] — a site's stage over time, from telemetry and people.
//! - [`figures`] — the one rule for each figure the meeting and the map show: built, on air, on air
//!   by a deadline, new on air in a month, which sites count.
//! - [`milestone`], [`obstacle`], [`objection`] — what people report and decide.
//! - [`pilot`] — 5G+ application pilot projects, their fields, stages and targets.
//! - [`area`] — target areas and their classes, from GeoJSON.
//! - [`boundary`] — county boundaries, the map's base layer (shipped, or the city's own file).
//! - [`geodesy`] — distances between positions.
//! - [`message`] — an agent's message as taken in: decoded, or rejected with its reason.
//! - [`actor`] — who makes a write, and from where.
//!
//! Stages, operators, bands, kinds and counties are the protocol's own words, defined in
//! [`crate::wire::domain`] (shared with the agents) and re-exported here.

pub mod actor;
pub mod area;
pub mod boundary;
pub mod calendar;
pub mod figures;
pub mod geodesy;
pub mod message;
pub mod milestone;
pub mod objection;
pub mod obstacle;
pub mod pilot;
pub mod schedule;
pub mod site;
pub mod timeline;

pub use crate::wire::domain::{
    Band, LIAOCHENG_COUNTIES, Operator, SiteKind, Stage, Supply, county_name_zh,
};
