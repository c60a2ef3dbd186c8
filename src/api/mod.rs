//! The HTTP API (axum). Reads the in-memory state and the store; never talks MQTT.
//!
//! - [`auth`] — bearer tokens, roles, the per-token rate limit.
//! - [`error`] — error → status code + JSON message.
//! - [`ops`] — `/healthz`, `/readyz`, `/metrics`, `/api/v1/schema`, `/api/v1/quarantine`.
//! - [`sites`] — `/api/v1/sites`, `/api/v1/sites/{id}`, `/api/v1/sites/{id}/history`.
//! - [`progress`] — `/api/v1/progress`.
//! - [`rollout`] — plan import, milestones, obstacles, the backward schedule.
//! - [`coverage`] — areas, coverage, gaps, sites as GeoJSON, earth stations.
//! - [`checklist`] — the monthly checklist in every format; closing a month.
//! - [`field`] — the field-report page for phones (`/field`).
//! - [`listen`] — the HTTP server: header and request timeouts, a connection cap, shutdown.
//! - [`open`] — the public class of data, without a token (`/api/v1/open/…`).
//! - [`web`] — the task force's map at `/` and its wall screen at `/screen` (from
//!   `dashboards/web/`, embedded).
//! - [`map`] — the map's county boundaries and the replay of a past month.

pub mod auth;
pub mod checklist;
pub mod coverage;
pub mod error;
pub mod field;
pub mod listen;
pub mod map;
pub mod open;
pub mod ops;
pub mod pilots;
pub mod progress;
pub mod rollout;
pub mod sites;
pub mod web;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::rollout::service::Rollout;
use crate::state::SharedRegistry;
use crate::store::telemetry::Telemetry;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post, put};
use std::sync::Arc;

/// Everything a handler may read.
#[derive(Clone)]
pub struct AppState {
    pub registry: SharedRegistry,
    /// Stored telemetry: history, transitions, the quarantine.
    pub reader: Arc<dyn Telemetry>,
    pub metrics: Metrics,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub rollout: Rollout,
    pub access: crate::access::Access,
    pub limiter: Arc<auth::RateLimiter>,
    /// Whether the store takes commits (for `/readyz`).
    pub health: Arc<crate::store::health::StoreHealth>,
}

/// Largest plan file accepted by upload (a province's plan is about 40 MiB of CSV).
const PLAN_UPLOAD_MAX: usize = 128 << 20;
/// Largest body of any other request.
const BODY_MAX: usize = 64 << 10;

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(web::index))
        .route("/assets/{*path}", get(web::asset))
        .route("/screen", get(web::screen))
        .route("/api/v1/map/config", get(web::config))
        .route("/api/v1/boundaries.geojson", get(map::boundaries))
        .route("/api/v1/boundaries", post(map::import_boundaries))
        .route("/api/v1/replay/{month}", get(map::replay))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/schema", get(ops::schema))
        .route("/api/v1/quarantine", get(ops::quarantine))
        .route("/api/v1/me", get(rollout::me))
        .route(
            "/api/v1/applications",
            get(pilots::list)
                .post(pilots::import)
                .layer(DefaultBodyLimit::max(PLAN_UPLOAD_MAX)),
        )
        .route("/api/v1/applications/progress", get(pilots::progress))
        .route("/api/v1/applications.geojson", get(pilots::geojson))
        .route("/api/v1/applications/{id}", put(pilots::put))
        .route("/api/v1/applications/{id}/stage", post(pilots::stage))
        .route("/api/v1/sites", get(sites::list))
        .route("/api/v1/sites/{id}", get(sites::detail))
        .route("/api/v1/sites/{id}/history", get(sites::history))
        .route("/api/v1/progress", get(progress::get))
        .route(
            "/api/v1/plan/sites",
            post(rollout::import).layer(DefaultBodyLimit::max(PLAN_UPLOAD_MAX)),
        )
        .route("/api/v1/plan/unplanned", get(rollout::unplanned))
        .route(
            "/api/v1/sites/{id}/milestones",
            get(rollout::milestones).post(rollout::add_milestone),
        )
        .route(
            "/api/v1/sites/{id}/obstacles",
            get(rollout::site_obstacles).post(rollout::open_obstacle),
        )
        .route(
            "/api/v1/sites/{id}/obstacles/{obstacle}",
            patch(rollout::update_obstacle),
        )
        .route("/api/v1/obstacles", get(rollout::obstacles))
        .route("/api/v1/sites/{id}/objections", post(rollout::object))
        .route("/api/v1/objections", get(rollout::objections))
        .route("/api/v1/objections/{id}", patch(rollout::decide))
        .route("/api/v1/schedule", get(rollout::schedule))
        .route(
            "/api/v1/areas",
            get(coverage::areas)
                .post(coverage::import)
                .layer(DefaultBodyLimit::max(PLAN_UPLOAD_MAX)),
        )
        .route("/api/v1/coverage", get(coverage::coverage))
        .route("/api/v1/coverage/gaps", get(coverage::gaps))
        .route("/api/v1/coverage/candidates", get(coverage::candidates))
        .route("/api/v1/sites.geojson", get(coverage::sites_geojson))
        .route("/api/v1/map/sites", get(coverage::sites_columns))
        .route("/api/v1/earth-stations", get(coverage::earth_stations))
        .route("/api/v1/progress/monthly", get(progress::monthly))
        .route("/api/v1/checklist", get(checklist::closed))
        .route("/api/v1/audit", get(ops::audit))
        .route("/api/v1/open/counts", get(open::counts))
        .route("/api/v1/open/sites", get(open::sites))
        .route("/api/v1/checklist/{month}", get(checklist::get))
        .route("/api/v1/checklist/{month}/close", post(checklist::close))
        .route("/field", get(field::page))
        .layer(DefaultBodyLimit::max(BODY_MAX))
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::layer,
        ))
        .with_state(state);
    // Around the whole router (not each route), so that its own answers — 405 with `Allow`,
    // path and body rejections — are seen too.
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn(error::json_errors))
        // The map's GeoJSON shrinks about tenfold; browsers ask for gzip, other clients need not.
        .layer(tower_http::compression::CompressionLayer::new())
}
