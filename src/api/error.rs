//! Errors at the HTTP edge: each maps to a status code and a JSON body whose `error` says what to
//! fix. Internal details go to the log, not to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a query parameter or body is wrong; the message says which and how.
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such site or resource.
    #[error("{0}")]
    NotFound(String),
    /// 500: the store failed; logged, not shown.
    #[error("internal error")]
    Internal(#[from] crate::store::StoreError),
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest(format!(
            "{}; see / for the parameters each endpoint takes",
            r.body_text()
        ))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "api request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(json!({ "error": self.to_string(), "status": status.as_u16() })),
        )
            .into_response()
    }
}
