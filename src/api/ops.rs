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

/// 200 while connected to the broker and the store takes commits; 503 with the reason
/// otherwise, so a load balancer waits and an operator sees what is wrong.
pub async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    let unavailable = |reason: String, cause: Option<crate::store::health::Cause>| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": reason, "cause": cause })),
        )
    };
    if let Some(o) = s.health.outage() {
        unavailable(o.reason(), Some(o.cause))
    } else if s.metrics.mqtt_connected.get() != 1 {
        unavailable("not connected to the MQTT broker".into(), None)
    } else if s.metrics.mqtt_subscribed.get() != 1 {
        unavailable(
            "connected, but the broker has not granted the subscription to sitepulse/# (check its ACL)"
                .into(),
            None,
        )
    } else {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
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
    let rows = tokio::task::spawn_blocking(move || reader.quarantine(limit)).await??;
    Ok(Json(json!({ "messages": rows })))
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {}; the API is under /api/v1 (the README lists every endpoint)",
        uri.path()
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    limit: Option<u32>,
    /// Entries older than this id (to page back).
    before: Option<i64>,
}

/// `GET /api/v1/audit?limit=&before=`: the audit trail, newest first; administrators only.
pub async fn audit(
    State(s): State<AppState>,
    p: Option<axum::Extension<super::auth::Principal>>,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = super::auth::principal(p)?;
    p.require_admin("read the audit trail")?;
    let Query(q) = q?;
    let limit = q.limit.unwrap_or(100).min(10_000);
    let rollout = s.rollout.clone();
    let entries =
        super::rollout::blocking(move || Ok(rollout.audit(q.before.unwrap_or(i64::MAX), limit)?))
            .await?;
    Ok(Json(json!({ "entries": entries })))
}
