//! Integration tests: a real collector against a real broker (the embedded one and Mosquitto).

mod api;
mod auth;
mod backup;
mod bad_input;
mod broker_crash;
mod browser;
mod checklist;
mod cli;
mod coverage;
mod dashboards;
mod demo;
mod deploy;
mod durability;
mod field_page;
mod figures;
mod hardening;
mod identity;
mod ingest;
mod layers;
mod map;
mod outage;
mod pilots;
mod rollout_api;
mod scale_out;
mod sink;
mod util;
