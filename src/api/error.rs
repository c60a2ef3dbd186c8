//! Errors at the HTTP edge: each maps to a status code and a JSON body whose `error` says what to
//! fix. Internal details go to the log, not to the client.

use crate::rollout::plan::{PlanError, RowError};
use crate::rollout::service::RolloutError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a query parameter or body is wrong; the message says which and how.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or not a valid one.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the token may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 429: too many requests from one token.
    #[error("{0}")]
    TooMany(String),
    /// 404: no such site or resource.
    #[error("{0}")]
    NotFound(String),
    /// 413: the request body is larger than the endpoint accepts.
    #[error("{0}")]
    TooLarge(String),
    /// 408: the request body was not complete in time (`http.request_timeout_s`).
    #[error("{0}")]
    Timeout(String),
    /// 409: conflicts with what is stored (e.g. a month closed already).
    #[error("{0}")]
    Conflict(String),
    /// 422: an uploaded file has bad rows; every one is listed.
    #[error("{message}")]
    Rows {
        message: String,
        rows: Vec<RowError>,
    },
    /// A refusal with a `code` (and its `params`) that a page can put in its user's language.
    #[error("{message}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        message: String,
        params: serde_json::Value,
    },
    /// 500: the store failed; logged, not shown.
    #[error("internal error")]
    Internal(#[from] crate::store::StoreError),
    /// 500: the task answering the request panicked or was cancelled; logged, not shown.
    #[error("internal error")]
    Aborted(#[from] tokio::task::JoinError),
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest(format!(
            "{}; the README lists the parameters each endpoint takes",
            r.body_text()
        ))
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        let text = r.body_text();
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge("the request body is larger than 64 KiB".into())
        } else if text.contains(super::listen::BODY_TIMEOUT) {
            ApiError::Timeout(text)
        } else {
            ApiError::BadRequest(format!("request body: {text}"))
        }
    }
}

impl From<RolloutError> for ApiError {
    fn from(e: RolloutError) -> Self {
        let coded = |status, code, params: serde_json::Value, e: &RolloutError| ApiError::Coded {
            status,
            code,
            message: e.to_string(),
            params,
        };
        let bad = StatusCode::BAD_REQUEST;
        match e {
            RolloutError::UnknownSite(ref site) => coded(
                StatusCode::NOT_FOUND,
                "unknown_site",
                json!({ "site": site }),
                &e,
            ),
            RolloutError::Required(field) => coded(bad, "required", json!({ "field": field }), &e),
            RolloutError::TooLong { field, max } => {
                coded(bad, "too_long", json!({ "field": field, "max": max }), &e)
            }
            RolloutError::FutureStage(ref date) => {
                coded(bad, "future_date", json!({ "date": date }), &e)
            }
            RolloutError::StepBackNeedsReason { ref site, was, to } => coded(
                bad,
                "step_back_needs_reason",
                json!({ "site": site, "was": was, "to": to }),
                &e,
            ),
            RolloutError::ObstacleResolved { id, on } => coded(
                StatusCode::CONFLICT,
                "obstacle_resolved",
                json!({ "id": id, "on": on }),
                &e,
            ),
            e @ (RolloutError::UnknownArea(_)
            | RolloutError::UnknownPilot(_)
            | RolloutError::UnknownObstacle { .. }
            | RolloutError::UnknownObjection(_)) => ApiError::NotFound(e.to_string()),
            e @ (RolloutError::MonthClosed(_) | RolloutError::ObjectionDecided { .. }) => {
                ApiError::Conflict(e.to_string())
            }
            e @ (RolloutError::Value(_)
            | RolloutError::UnknownDecision(_)
            | RolloutError::Areas(_)
            | RolloutError::NotStarted(_)
            | RolloutError::MonthNotOver { .. }) => ApiError::BadRequest(e.to_string()),
            RolloutError::Plan(PlanError::Rows(rows)) => ApiError::Rows {
                message: format!(
                    "{} bad row(s) in the file; nothing was imported. Fix every row listed and upload again",
                    rows.len()
                ),
                rows,
            },
            RolloutError::Plan(other) => ApiError::Rows {
                message: other.to_string(),
                rows: Vec::new(),
            },
            RolloutError::Store(s) => ApiError::Internal(s),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Coded { status, .. } => *status,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Rows { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "api request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Aborted(e) => {
                tracing::error!(error = %e, "api request task panicked");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let code = match &self {
            ApiError::Coded { code, .. } => code,
            ApiError::Rows { .. } => "bad_rows",
            _ => code_of(status),
        };
        let mut body =
            json!({ "error": self.to_string(), "status": status.as_u16(), "code": code });
        match &self {
            ApiError::Rows { rows, .. } => body["rows"] = json!(rows),
            ApiError::Coded { params, .. } => body["params"] = params.clone(),
            _ => {}
        }
        (status, Json(body)).into_response()
    }
}

/// The `code` of an error answer that has no more specific one.
fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "timeout",
        409 => "conflict",
        413 => "too_large",
        429 => "too_many",
        _ => "internal",
    }
}

/// Largest error body from a framework rejection that is read to be wrapped in JSON.
const REJECTION_TEXT_MAX: usize = 4096;

/// Wraps every error answer that is not JSON yet — axum's own rejections of a path, a query, a
/// body (one that missed its deadline becomes 408) or a method — in the same JSON shape as [`ApiError`], with what to fix.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return res;
    }
    let allow = res.headers().get(axum::http::header::ALLOW).cloned();
    let text = match axum::body::to_bytes(res.into_body(), REJECTION_TEXT_MAX).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    // A body that missed its deadline (see `listen`) reaches the extractor as a read error.
    let status = if text.contains(super::listen::BODY_TIMEOUT) {
        StatusCode::REQUEST_TIMEOUT
    } else {
        status
    };
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "{method} is not allowed on {path}; use {}",
            allow
                .as_ref()
                .and_then(|a| a.to_str().ok())
                .unwrap_or("another method")
        ),
        StatusCode::REQUEST_TIMEOUT => format!("{path}: {text}"),
        StatusCode::NOT_FOUND if text.is_empty() => format!("nothing at {path}"),
        _ if text.starts_with("Invalid URL") => {
            format!("{text}; check the path (the README lists every endpoint)")
        }
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string(),
        _ => format!("request body: {text}"),
    };
    let mut out = (
        status,
        Json(json!({ "error": message, "status": status.as_u16(), "code": code_of(status) })),
    )
        .into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler's blocking task that panics is a 500 with a log line, not the client's fault.
    #[tokio::test]
    async fn a_panicking_task_is_a_500() {
        let join = tokio::task::spawn_blocking(|| panic!("test panic")).await;
        let e: ApiError = join.unwrap_err().into();
        let r = e.into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "internal error");
    }
}
