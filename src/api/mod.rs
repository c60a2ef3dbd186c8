//! The HTTP API (axum). Reads the in-memory state and the store; never talks MQTT.
//!
//! - [`error`] — error → status code + JSON message.
//! - [`ops`] — `/healthz`, `/readyz`, `/metrics`, `/api/v1/schema`, `/api/v1/quarantine`.
//! - [`sites`] — `/api/v1/sites`, `/api/v1/sites/{id}`, `/api/v1/sites/{id}/history`.
//! - [`progress`] — `/api/v1/progress`.

pub mod error;
pub mod ops;
pub mod progress;
pub mod sites;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::state::SharedRegistry;
use crate::store::sqlite::SqliteReader;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;

/// Everything a handler may read.
#[derive(Clone)]
pub struct AppState {
    pub registry: SharedRegistry,
    pub reader: Arc<SqliteReader>,
    pub metrics: Metrics,
    pub clock: SharedClock,
    pub config: Arc<Config>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(ops::index))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/schema", get(ops::schema))
        .route("/api/v1/quarantine", get(ops::quarantine))
        .route("/api/v1/sites", get(sites::list))
        .route("/api/v1/sites/{id}", get(sites::detail))
        .route("/api/v1/sites/{id}/history", get(sites::history))
        .route("/api/v1/progress", get(progress::get))
        .fallback(ops::not_found)
        .with_state(state)
}
