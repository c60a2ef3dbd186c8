//! The monthly checklist: `GET /api/v1/checklist/{month}?format=&lang=`, closing a month, and
//! the list of closed months.

use super::AppState;
use super::error::ApiError;
use super::rollout::blocking;
use crate::checklist::tables::Lang;
use crate::checklist::{self, Format};
use crate::domain::calendar::Month;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

pub(crate) fn month(s: &str) -> Result<Month, ApiError> {
    Month::parse(s)
        .ok_or_else(|| ApiError::BadRequest(format!("`{s}` is not a month; write it as 2020-09")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// json (default), csv, xlsx, md, html.
    format: Option<String>,
    /// zh (default) or en.
    lang: Option<String>,
}

/// `GET /api/v1/checklist/{month}?format=json|csv|xlsx|md|html&lang=zh|en`
pub async fn get(
    State(s): State<AppState>,
    Path(m): Path<String>,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let month = month(&m)?;
    let format = match q.format.as_deref() {
        None => Format::Json,
        Some(f) => Format::parse(f).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "format `{f}` is unknown; use json, csv, xlsx, md or html"
            ))
        })?,
    };
    let lang = match q.lang.as_deref() {
        None => Lang::Zh,
        Some(l) => Lang::parse(l)
            .ok_or_else(|| ApiError::BadRequest(format!("lang `{l}` is unknown; use zh or en")))?,
    };
    let rollout = s.rollout.clone();
    let c = blocking(move || Ok(rollout.checklist(month)?)).await?;
    let bytes = checklist::render(&c, format, lang, s.rollout.checklist_top_n())
        .map_err(ApiError::BadRequest)?;
    let disposition = match format {
        Format::Json | Format::Html => "inline".to_string(),
        f => format!(
            "attachment; filename=\"checklist-{month}-{}.{}\"",
            match lang {
                Lang::Zh => "zh",
                Lang::En => "en",
            },
            f.extension()
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// Who closes the month, as printed on the checklist (default: the token's name). The audit
    /// trail records the token as the actor and this name beside it.
    closed_by: Option<String>,
}

/// `POST /api/v1/checklist/{month}/close` (admin): freezes an ended month.
pub async fn close(
    State(s): State<AppState>,
    p: Option<axum::Extension<super::auth::Principal>>,
    Path(m): Path<String>,
    body: Option<Json<CloseBody>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = super::auth::principal(p)?;
    p.require_admin("close a month")?;
    let month = month(&m)?;
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let actor = p.actor().on_behalf_of(b.closed_by.as_deref());
    let rollout = s.rollout.clone();
    let c = blocking(move || Ok(rollout.close(month, &actor)?)).await?;
    Ok(Json(json!({ "month": c.month, "closed": c.closed })))
}

/// `GET /api/v1/checklist`: closed months.
pub async fn closed(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let rollout = s.rollout.clone();
    let list = blocking(move || Ok(rollout.closed_months()?)).await?;
    Ok(Json(json!({ "closed": list })))
}
