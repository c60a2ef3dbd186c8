//! Rollout endpoints: the plan import, milestones, obstacles, the backward schedule.
//!
//! Writes are made by the holder of a token (see [`super::auth`]); the token's name and the
//! client's address go to the audit trail. A body's `reporter`, when given, names the person in
//! the field (a team may share a token).

use super::AppState;
use super::auth::{Principal, principal};
use super::error::ApiError;
use crate::domain::milestone::NewMilestone;
use crate::domain::obstacle::{NewObstacle, ObstaclePatch};
use crate::state;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

/// 400 for a path segment that cannot be a site id, 404 for a site nobody knows; else what `f`
/// reads of the site.
fn with_site<T>(
    s: &AppState,
    site: &str,
    f: impl FnOnce(&crate::domain::site::Site) -> T,
) -> Result<T, ApiError> {
    if !crate::wire::topic::is_valid_site_id(site) {
        return Err(ApiError::BadRequest(format!(
            "`{site}` is not a site id: 1 to 64 of A-Z a-z 0-9 - _ . and not dots only"
        )));
    }
    let reg = state::read(&s.registry);
    reg.get(site).map(f).ok_or_else(|| {
        ApiError::NotFound(format!(
            "site `{site}` is not in the plan and no agent has reported it; import the plan first"
        ))
    })
}

/// [`with_site`], for a handler that only needs the site to exist.
pub(super) fn known_site(s: &AppState, site: &str) -> Result<(), ApiError> {
    with_site(s, site, |_| ())
}

/// The carriers on a site, for the permission checks of a write by `p`. A site the plan does not
/// list is written to by administrators only: which carriers are on it is then only what its
/// agent claims, and an agent's claim must not grant a carrier's engineers write access.
fn write_scope(
    s: &AppState,
    site: &str,
    p: &Principal,
) -> Result<Vec<crate::wire::Operator>, ApiError> {
    let (unplanned, operators) = with_site(s, site, |e| (e.unplanned(), e.operators().to_vec()))?;
    if unplanned {
        p.require_admin(&format!(
            "write to site `{site}`, which is not in the plan (until it is imported, only administrators write to it)"
        ))?;
    }
    Ok(operators)
}

/// Runs a blocking store call off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    // A panic in `f` is a 500 with a log line, never the client's fault.
    tokio::task::spawn_blocking(f).await?
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// A name for the file, e.g. its file name (recorded in the audit trail).
    source: Option<String>,
}

impl ImportQuery {
    pub fn source(self) -> String {
        self.source.unwrap_or_else(|| "upload".into())
    }
}

/// An administrator's file import (`what` says what it does, for the refusal): checks the
/// token's role, names the file for the audit trail, and runs `f` with the rollout, the file's
/// name and the actor off the async threads.
pub(super) async fn admin_import<T: Send + 'static>(
    s: &AppState,
    p: Option<Extension<Principal>>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    what: &str,
    f: impl FnOnce(
        &crate::rollout::service::Rollout,
        &str,
        &crate::domain::actor::Actor,
    ) -> Result<T, ApiError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let p = principal(p)?;
    p.require_admin(what)?;
    let Query(q) = q?;
    let source = q.source();
    let who = p.actor();
    let rollout = s.rollout.clone();
    blocking(move || f(&rollout, &source, &who)).await
}

/// `POST /api/v1/plan/sites?source=FILE` (admin): the body is a plan file, CSV or GeoJSON.
/// All rows or none: 422 lists every bad row.
pub async fn import(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (report, ignored) =
        admin_import(&s, p, q, "import the site plan", move |r, source, who| {
            Ok(r.import(&body, source, who, &|_, _| {})?)
        })
        .await?;
    Ok(Json(
        json!({ "report": report, "ignored_columns": ignored }),
    ))
}

/// `GET /api/v1/plan/unplanned`: sites whose agents report but which the plan does not list.
pub async fn unplanned(State(s): State<AppState>) -> Json<serde_json::Value> {
    let now = s.clock.now();
    let reg = state::read(&s.registry);
    let sites: Vec<serde_json::Value> = reg
        .iter()
        .filter(|(_, e)| e.unplanned())
        .map(|(id, e)| {
            json!({
                "site": id,
                "name": e.name(),
                "county": e.county(),
                "stage": e.stage_at(now),
                "last_seen": e.latest.as_ref().map(|l| l.received),
            })
        })
        .collect();
    Json(json!({ "total": sites.len(), "sites": sites }))
}

/// A request's `Idempotency-Key` header, scoped to the token that sends it (one client's keys
/// never meet another's).
fn idempotency_key(
    headers: &axum::http::HeaderMap,
    p: &Principal,
) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                ApiError::BadRequest("Idempotency-Key must be printable ASCII".into())
            })?;
            if v.is_empty() || v.len() > 100 {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 100 characters".into(),
                ));
            }
            Ok(Some(format!("{}:{v}", p.token_id)))
        }
    }
}

/// `GET /api/v1/me`: who the token is, and the collector's clock (the field page signs in with
/// it and dates what it sends by it).
pub async fn me(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = principal(p)?;
    let now = s.rollout.now();
    Ok(Json(json!({
        "name": p.name,
        "role": p.role.as_str(),
        "operator": p.operator,
        "now": now,
        "today": crate::domain::calendar::local_date(now),
    })))
}

/// `POST /api/v1/sites/{id}/milestones`
pub async fn add_milestone(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Json<NewMilestone>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let p = principal(p)?;
    let Json(m) = body?;
    p.may_report_stage(&write_scope(&s, &id, &p)?, m.stage)?;
    let who = p.actor();
    let key = idempotency_key(&headers, &p)?;
    let rollout = s.rollout.clone();
    let stored =
        blocking(move || Ok(rollout.report_milestone_once(&id, m, &who, key.as_deref())?)).await?;
    Ok((StatusCode::CREATED, Json(json!(stored))))
}

/// `GET /api/v1/sites/{id}/milestones`
pub async fn milestones(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    known_site(&s, &id)?;
    let rollout = s.rollout.clone();
    let list = blocking(move || Ok(rollout.milestones(Some(&id))?)).await?;
    Ok(Json(json!({ "milestones": list })))
}

/// `POST /api/v1/sites/{id}/obstacles`
pub async fn open_obstacle(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Json<NewObstacle>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let p = principal(p)?;
    let Json(o) = body?;
    p.may_handle_obstacles(&write_scope(&s, &id, &p)?)?;
    let who = p.actor();
    let key = idempotency_key(&headers, &p)?;
    let rollout = s.rollout.clone();
    let stored =
        blocking(move || Ok(rollout.open_obstacle_once(&id, o, &who, key.as_deref())?)).await?;
    Ok((StatusCode::CREATED, Json(json!(stored))))
}

/// `PATCH /api/v1/sites/{id}/obstacles/{obstacle}`: update, or resolve (销号) with `resolved`
/// and `resolution`.
pub async fn update_obstacle(
    State(s): State<AppState>,
    principal_ext: Option<Extension<Principal>>,
    Path((id, obstacle)): Path<(String, i64)>,
    body: Result<Json<ObstaclePatch>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let who = principal(principal_ext)?;
    let Json(p) = body?;
    who.may_handle_obstacles(&write_scope(&s, &id, &who)?)?;
    let who = who.actor();
    let rollout = s.rollout.clone();
    let updated = blocking(move || Ok(rollout.update_obstacle(&id, obstacle, p, &who)?)).await?;
    Ok(Json(json!(updated)))
}

/// `GET /api/v1/sites/{id}/obstacles`
pub async fn site_obstacles(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    known_site(&s, &id)?;
    let rollout = s.rollout.clone();
    let list = blocking(move || Ok(rollout.obstacles(Some(&id))?)).await?;
    Ok(Json(json!({ "obstacles": list })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObstacleQuery {
    /// Only open (`true`) or only resolved (`false`) obstacles.
    open: Option<bool>,
    county: Option<String>,
}

/// `GET /api/v1/obstacles?open=&county=`
pub async fn obstacles(
    State(s): State<AppState>,
    q: Result<Query<ObstacleQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    let rollout = s.rollout.clone();
    let mut list = blocking(move || Ok(rollout.obstacles(None)?)).await?;
    if let Some(open) = q.open {
        list.retain(|o| o.resolved.is_none() == open);
    }
    if let Some(c) = &q.county {
        let reg = state::read(&s.registry);
        list.retain(|o| reg.get(&o.site).and_then(|e| e.county()) == Some(c.as_str()));
    }
    Ok(Json(json!({ "total": list.len(), "obstacles": list })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleQuery {
    year: i32,
}

/// `GET /api/v1/schedule?year=2020`: the backward schedule — per county (and operator, where
/// tasks name one) the yearly task and the cumulative count expected at the end of each month.
pub async fn schedule(
    State(s): State<AppState>,
    q: Result<Query<ScheduleQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    if !(2000..=2100).contains(&q.year) {
        return Err(ApiError::BadRequest(
            "`year` must be between 2000 and 2100".into(),
        ));
    }
    Ok(Json(json!(crate::views::schedule::schedule(
        &s.config.tasks,
        q.year
    ))))
}

/// `POST /api/v1/sites/{id}/objections` (any token): `{"field", "proposed", "reason"}`.
pub async fn object(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    Path(id): Path<String>,
    body: Result<Json<crate::domain::objection::NewObjection>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let p = principal(p)?;
    let Json(o) = body?;
    let who = p.actor();
    let rollout = s.rollout.clone();
    let stored = blocking(move || Ok(rollout.object(&id, o, &who)?)).await?;
    Ok((StatusCode::CREATED, Json(json!(stored))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectionQuery {
    /// Only undecided (`true`) or only decided (`false`) ones.
    open: Option<bool>,
    site: Option<String>,
}

/// `GET /api/v1/objections?open=&site=`
pub async fn objections(
    State(s): State<AppState>,
    q: Result<Query<ObjectionQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    let rollout = s.rollout.clone();
    let site = q.site.clone();
    let mut list = blocking(move || Ok(rollout.objections(site.as_deref())?)).await?;
    if let Some(open) = q.open {
        list.retain(|o| (o.status == "open") == open);
    }
    Ok(Json(json!({ "total": list.len(), "objections": list })))
}

/// `PATCH /api/v1/objections/{id}` (admin): `{"decision": "accept"|"reject", "reason"}`.
pub async fn decide(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    Path(id): Path<i64>,
    body: Result<Json<crate::domain::objection::Decision>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = principal(p)?;
    p.require_admin("decide objections")?;
    let Json(d) = body?;
    let who = p.actor();
    let rollout = s.rollout.clone();
    let decided = blocking(move || Ok(rollout.decide(id, d, &who)?)).await?;
    Ok(Json(json!(decided)))
}
