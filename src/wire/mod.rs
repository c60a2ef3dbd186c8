//! Protocol v1 between site agents and the collector: topics, payloads, their rules and their
//! JSON Schema. Defined once here; `firmware-sim` and the collector both use it.
//!
//! - [`topic`] — topic names and the subscription filter.
//! - [`domain`] — stages, operators, bands and the other shared enums; Liaocheng's counties.
//! - [`status`] — the periodic telemetry report.
//! - [`info`] — the site description an agent publishes at boot.
//! - [`validate`] — range and format rules beyond the JSON types.
//! - [`schema`] — the JSON Schema documents, generated from the types.
//! - [`signature`] — HMAC-SHA256 signatures of payloads with per-site keys.

pub mod domain;
pub mod info;
pub mod schema;
pub mod signature;
pub mod status;
pub mod topic;
pub mod validate;

pub use domain::{Band, CellState, Operator, PowerSource, SiteKind, Stage, Supply};
pub use info::{INFO_SCHEMA, Info};
pub use status::{Backhaul, Cabinet, Cell, Gps, Power, STATUS_SCHEMA, Status};
pub use topic::{Kind, Topic};
