//! The register of 5G+ application pilots over HTTP: import (admin), list with filters, a
//! project's stage, progress, and the projects as GeoJSON for the map.

use super::AppState;
use super::auth::{Principal, principal};
use super::error::ApiError;
use super::rollout::{ImportQuery, admin_import, blocking};
use crate::domain::pilot::{Field, PilotStage};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::json;

/// `POST /api/v1/applications?source=FILE` (admin): the body is the register, CSV or XLSX.
/// All rows or none: 422 lists every bad row.
pub async fn import(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (report, ignored) = admin_import(
        &s,
        p,
        q,
        "import the pilot register",
        move |r, source, who| Ok(r.import_pilots(&body, source, who)?),
    )
    .await?;
    Ok(Json(
        json!({ "report": report, "ignored_columns": ignored }),
    ))
}

fn field_of(f: &str) -> Result<Field, ApiError> {
    Field::parse(f).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "field `{f}` is unknown; use one of {}",
            Field::ALL.map(Field::as_str).join(", ")
        ))
    })
}

fn stage_of(v: &str) -> Result<PilotStage, ApiError> {
    PilotStage::parse(v).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "stage `{v}` is unknown; use one of {}",
            PilotStage::ALL.map(PilotStage::as_str).join(", ")
        ))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    field: Option<String>,
    county: Option<String>,
    stage: Option<String>,
    department: Option<String>,
    /// `true`: only those held up by missing 5G.
    blocked: Option<bool>,
    /// `true`: only those past their deadline.
    overdue: Option<bool>,
}

/// `GET /api/v1/applications?field=&county=&stage=&department=&blocked=&overdue=`: the
/// projects with their stage today, whether they are overdue, and whether 5G reaches them.
pub async fn list(
    State(s): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    let field = q.field.as_deref().map(field_of).transpose()?;
    let stage = q.stage.as_deref().map(stage_of).transpose()?;
    let rollout = s.rollout.clone();
    let out = blocking(move || {
        let (day, pilots, readiness) = rollout.pilots_now()?;
        let list: Vec<serde_json::Value> = pilots
            .iter()
            .filter(|p| p.known_on(day))
            .filter(|p| field.is_none_or(|f| p.field == f))
            .filter(|p| q.county.as_deref().is_none_or(|c| p.county == c))
            .filter(|p| stage.is_none_or(|st| p.stage_on(day) == Some(st)))
            .filter(|p| q.department.as_deref().is_none_or(|d| p.department == d))
            .filter(|p| {
                q.blocked
                    .is_none_or(|b| readiness.get(&p.id).is_some_and(|r| r.blocked()) == b)
            })
            .filter(|p| q.overdue.is_none_or(|o| p.overdue_on(day) == o))
            .map(|p| {
                let r = readiness.get(&p.id).cloned().unwrap_or_default();
                json!({
                    "project": p,
                    "stage": p.stage_on(day),
                    "overdue": p.overdue_on(day),
                    "blocked": r.blocked(),
                    "readiness": r,
                })
            })
            .collect();
        Ok(json!({ "day": day, "total": list.len(), "applications": list }))
    })
    .await?;
    Ok(Json(out))
}

/// `PUT /api/v1/applications/{id}` (admin): the project whole, as `GET /api/v1/applications`
/// gives it under `project`; added, or replacing the one with this code.
pub async fn put(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    Path(id): Path<String>,
    body: Result<Json<crate::domain::pilot::Pilot>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = principal(p)?;
    p.require_admin("register a pilot project")?;
    let Json(project) = body?;
    if project.id != id {
        return Err(ApiError::BadRequest(format!(
            "the body's `id` `{}` is not the path's `{id}`",
            project.id
        )));
    }
    let who = p.actor();
    let rollout = s.rollout.clone();
    let stored = blocking(move || Ok(rollout.put_pilot(project, &who)?)).await?;
    Ok(Json(json!(stored)))
}

/// `GET /api/v1/applications/progress`: per field against the plan's targets, per department
/// and county, the overdue projects and those held up by missing 5G.
pub async fn progress(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let rollout = s.rollout.clone();
    let p = blocking(move || Ok(rollout.pilot_progress(rollout.now())?)).await?;
    Ok(Json(json!(p)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStage {
    stage: String,
    date: Option<String>,
    evidence: Option<String>,
}

/// `POST /api/v1/applications/{id}/stage` (admin): `{"stage", "date", "evidence"}`.
pub async fn stage(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    Path(id): Path<String>,
    body: Result<Json<NewStage>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = principal(p)?;
    p.require_admin("report a pilot's stage")?;
    let Json(b) = body?;
    let stage = stage_of(&b.stage)?;
    let who = p.actor();
    let rollout = s.rollout.clone();
    let stored = blocking(move || {
        Ok(rollout.report_pilot_stage(
            &id,
            stage,
            b.date.as_deref(),
            b.evidence.as_deref(),
            &who,
        )?)
    })
    .await?;
    Ok(Json(json!(stored)))
}

/// `GET /api/v1/applications.geojson`: projects with a position, as points with their field,
/// stage today and whether 5G reaches them.
pub async fn geojson(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let rollout = s.rollout.clone();
    let out = blocking(move || {
        let (day, pilots, readiness) = rollout.pilots_now()?;
        let features: Vec<serde_json::Value> = pilots
            .iter()
            .filter(|p| p.known_on(day))
            .filter_map(|p| {
                let g = p.position?;
                let r = readiness.get(&p.id).cloned().unwrap_or_default();
                Some(json!({
                    "type": "Feature",
                    "geometry": { "type": "Point", "coordinates": [g.lon, g.lat] },
                    "properties": {
                        "id": p.id, "name": p.name, "field": p.field, "county": p.county,
                        "department": p.department, "entity": p.entity,
                        "stage": p.stage_on(day), "overdue": p.overdue_on(day),
                        "blocked": r.blocked(),
                    }
                }))
            })
            .collect();
        Ok(json!({ "type": "FeatureCollection", "features": features }))
    })
    .await?;
    Ok(Json(out))
}
