//! sitepulse: tracks a city's 5G base-station rollout from the field.
//!
//! Site agents publish telemetry over MQTT; the collector stores it durably, keeps the latest
//! state of every site and reports progress against the city's targets. Data flows one way, and
//! each module uses only those above it in this list (`tests/layers.rs` checks it):
//!
//! - [`wire`] — protocol v1 — topics, payloads, field rules, JSON Schema (shared with `firmware-sim`).
//! - [`clock`] — injected time (system, simulated, fixed).
//! - [`broker`] — the embedded MQTT broker (rumqttd) for the demo and small deployments.
//! - [`domain`] — the rollout's vocabulary and rules, no I/O: sites, calendar, timelines,
//!   milestones, obstacles, objections, areas, county boundaries, pilots, targets and tasks (with
//!   completion against the backward schedule), and [`domain::figures`], the one rule for each
//!   figure (built, on air, on air by a deadline, new in a month).
//! - [`config`] — the TOML configuration with its commented default, and its validation.
//! - [`metrics`] — Prometheus metrics.
//! - [`store`] — the one owner of the SQLite file (schema and migrations) and its repositories:
//!   telemetry (write trait, commit in steps, compressed payloads, read trait), control, the
//!   time-series buffer, meta; an in-memory store for tests; health, retention, backup.
//! - [`views`] — pure functions of the sites and a time: progress (against the targets and the
//!   backward schedule), monthly progress with the projection, schedule, pilots, the replay of a
//!   past month.
//! - [`coverage`] — target areas' grids, footprints, coverage, gaps, earth stations (pure).
//! - [`checklist`] — the monthly dispatch checklist: build (pure), tables laid out as the
//!   meeting's document, the burn-up chart (SVG), CSV/XLSX/MD/HTML.
//! - [`state`] — the in-memory registry of every site, rebuilt from the store and kept live by
//!   ingest; derived alarms.
//! - [`ingest`] — MQTT source → decode/validate → batch → store, ack after commit.
//! - [`rollout`] — the rollout service: plan import, people's writes, and the views at a time;
//!   the API, the command line and the demo all go through it.
//! - [`access`] — people's API tokens and agents' signing keys.
//! - [`api`] — axum routes, auth, errors → status codes; serves the web map and wall screen.
//! - [`sink`] — ships the time-series buffer to the InfluxDB v2 write API.
//! - [`server`] — the collector as one process: `run(config, listener, clock, shutdown)`.
//! - [`sim`] — the simulated city and its agents (Liaocheng scenario, telemetry, faults, MQTT
//!   runner); `firmware-sim` is its command line, the demo runs it in-process.
//! - [`demo`] — embedded broker + collector + simulated Liaocheng on accelerated time.
//!
//! `src/vendor/rumqttc` is not a module: it is the MQTT client with one patch, used through
//! `[patch.crates-io]` (its `PATCH.md` says what and why).

pub mod access;
pub mod api;
pub mod broker;
pub mod checklist;
pub mod clock;
pub mod config;
pub mod coverage;
pub mod demo;
pub mod domain;
pub mod ingest;
pub mod metrics;
pub mod rollout;
pub mod server;
pub mod sim;
pub mod sink;
pub mod state;
pub mod store;
pub mod views;
pub mod wire;
