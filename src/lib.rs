//! sitepulse: tracks a city's 5G base-station rollout from the field.
//!
//! Site agents publish telemetry over MQTT; the collector stores it durably, keeps the latest
//! state of every site and reports progress against the city's targets. Data flows one way:
//! ingest → store/state → rollout → api.
//!
//! Module map:
//! - [`wire`] — protocol v1 — topics, payloads, field rules, JSON Schema (shared with `firmware-sim`).
//! - [`config`] — the TOML configuration with its commented default, and its validation.
//! - [`clock`] — injected time (system, simulated, fixed).
//! - [`ingest`] — MQTT source → decode/validate → batch → store, ack after commit.
//! - [`store`] — the storage trait and the embedded SQLite store (writer and reader).
//! - [`sink`] — the InfluxDB v2 line-protocol sink: schema, on-disk buffer, shipper.
//! - [`state`] — the in-memory latest state of every site; derived alarms.
//! - [`rollout`] — the plan, stages from telemetry and people, obstacles, the backward schedule,
//!   progress against the targets; the service people's writes go through.
//! - [`coverage`] — target areas, footprints, coverage on a grid, gaps, earth stations (pure).
//! - [`checklist`] — the monthly dispatch checklist: build (pure), tables, CSV/XLSX/MD/HTML.
//! - [`metrics`] — Prometheus metrics.
//! - [`api`] — axum routes — health, metrics, sites, history, progress, schema, quarantine.
//! - [`broker`] — the embedded MQTT broker (rumqttd) for the demo and small deployments.
//! - [`server`] — the collector as one process: `run(config, listener, clock, shutdown)`.
//! - [`sim`] — the simulated city and its agents (Liaocheng scenario, telemetry, faults, MQTT
//!   runner); `firmware-sim` is its command line, the demo runs it in-process.
//! - [`demo`] — embedded broker + collector + simulated Liaocheng on accelerated time.

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
