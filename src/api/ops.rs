//! Operational endpoints: liveness, readiness, metrics, the protocol schema, the quarantine.

use super::AppState;
use super::error::ApiError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 once connected to the broker; 503 otherwise, so a load balancer waits.
pub async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    if s.metrics.mqtt_connected.get() == 1 {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": "not connected to the MQTT broker" })),
        )
    }
}

pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

pub async fn schema() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        crate::wire::schema::COMMITTED,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    limit: Option<u32>,
}

/// The newest rejected messages with their reasons.
pub async fn quarantine(
    State(s): State<AppState>,
    q: Result<Query<QuarantineQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 10_000 {
        return Err(ApiError::BadRequest("limit must be 1 to 10000".into()));
    }
    let reader = s.reader.clone();
    let rows = tokio::task::spawn_blocking(move || reader.quarantine(limit))
        .await
        .map_err(|e| ApiError::BadRequest(e.to_string()))??;
    Ok(Json(json!({ "messages": rows })))
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {}; the API is under /api/v1 (the README lists every endpoint)",
        uri.path()
    ))
}
