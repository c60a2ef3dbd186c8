//! The rollout service: the plan's import and the writes people make (milestones, obstacles,
//! objections, closing a month), each checked, stored with its audit entry and shown in the live
//! state; and the views built from that state for a given time.
//!
//! - [`plan`] — the site plan and its import from CSV and GeoJSON.
//! - [`pilots`] — the register of 5G+ application pilots and its import from CSV and XLSX.
//! - [`service`] — [`service::Rollout`]: the writes, and the views at a time (progress, monthly
//!   progress, schedule, coverage, checklist).

pub mod pilots;
pub mod plan;
pub mod service;
