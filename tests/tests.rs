//! Integration tests: a real collector against a real broker (the embedded one and Mosquitto).

mod api;
mod demo;
mod durability;
mod ingest;
mod util;
