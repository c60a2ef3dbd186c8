//! Sites: the list with latest state and alarms, one site in detail, its history.

use super::AppState;
use super::error::ApiError;
use crate::domain::site::Site;
use crate::state;
use crate::state::alarms::{self, Alarm};
use crate::wire::{Operator, Stage};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize)]
pub struct SiteSummary<'a> {
    pub site: &'a str,
    pub name: Option<&'a str>,
    pub county: Option<&'a str>,
    pub operators: &'a [Operator],
    pub stage: Stage,
    /// When the collector last heard from the site.
    pub last_seen: Option<DateTime<Utc>>,
    /// Agent timestamp of the latest report.
    pub ts: Option<DateTime<Utc>>,
    pub alarms: Vec<Alarm>,
    pub position: Option<crate::wire::Gps>,
    /// The deadline the plan sets, if the site is in the plan.
    pub planned_on_air: Option<chrono::NaiveDate>,
    /// Listed in the imported plan; `false` for sites known only from their agents.
    pub in_plan: bool,
    /// Someone objected to its data and no decision is made yet.
    pub under_objection: bool,
}

fn summary<'a>(
    id: &'a str,
    e: &'a Site,
    now: DateTime<Utc>,
    cfg: &crate::config::AlarmConfig,
) -> SiteSummary<'a> {
    SiteSummary {
        site: id,
        name: e.name(),
        county: e.county(),
        operators: e.operators(),
        stage: e.stage_at(now),
        last_seen: e.latest.as_ref().map(|l| l.received),
        ts: e.latest.as_ref().map(|l| l.status.ts),
        alarms: e.latest.as_ref().map_or_else(Vec::new, |l| {
            alarms::derive(&l.status, l.received, now, cfg)
        }),
        position: e.position(),
        planned_on_air: e.plan.as_ref().map(|p| p.planned_on_air),
        in_plan: e.plan.is_some(),
        under_objection: e.objections_open > 0,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    county: Option<String>,
    operator: Option<String>,
    stage: Option<String>,
    alarm: Option<String>,
    /// `true`: only sites in the plan; `false`: only sites known from their agents alone.
    in_plan: Option<bool>,
    /// Free text matched against id and name.
    q: Option<String>,
    /// `lat,lon` (WGS-84): nearest sites first, each with its distance in metres.
    near: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// An operator filter, in any spelling the plan accepts (cmcc, 移动, 中国移动, China Mobile, …).
pub(super) fn parse_operator(s: &str) -> Result<Operator, ApiError> {
    s.parse::<Operator>()
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

pub(super) fn parse_stage(s: &str) -> Result<Stage, ApiError> {
    Stage::parse(s).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "stage `{s}` is unknown; use one of planned, approved, built, powered, installed, on_air, accepted"
        ))
    })
}

/// `GET /api/v1/sites?county=&operator=&stage=&alarm=&limit=&offset=`
pub async fn list(
    State(s): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    let operator = q.operator.as_deref().map(parse_operator).transpose()?;
    let stage = q.stage.as_deref().map(parse_stage).transpose()?;
    let alarm = q
        .alarm
        .as_deref()
        .map(|a| {
            Alarm::parse(a).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "alarm `{a}` is unknown; use one of offline, mains_lost, battery_low, over_temperature, door_open, backhaul_down, cell_faulty"
                ))
            })
        })
        .transpose()?;
    let near = q
        .near
        .as_deref()
        .map(|v| {
            v.split_once(',')
                .and_then(|(a, b)| {
                    Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?))
                })
                .filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0)
                .map(|(lat, lon)| crate::wire::Gps { lat, lon })
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "`near` must be `lat,lon` in WGS-84 degrees, e.g. 36.45,115.98; got `{v}`"
                    ))
                })
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(usize::MAX);
    let offset = q.offset.unwrap_or(0);
    let now = s.clock.now();
    let reg = state::read(&s.registry);
    let mut total = 0usize;
    let mut sites = Vec::new();
    let mut nearest: Vec<(f64, SiteSummary<'_>)> = Vec::new();
    for (id, e) in reg.iter() {
        let sum = summary(id, e, now, &s.config.alarms);
        if q.county.as_deref().is_some_and(|c| sum.county != Some(c))
            || operator.is_some_and(|o| !sum.operators.contains(&o))
            || stage.is_some_and(|st| sum.stage != st)
            || alarm.is_some_and(|a| !sum.alarms.contains(&a))
            || q.in_plan.is_some_and(|p| sum.in_plan != p)
            || q.q
                .as_deref()
                .is_some_and(|t| !sum.site.contains(t) && !sum.name.is_some_and(|n| n.contains(t)))
        {
            continue;
        }
        total += 1;
        if let Some(here) = near {
            if let Some(p) = sum.position {
                nearest.push((crate::domain::geodesy::distance_m(here, p), sum));
            }
        } else if total > offset && sites.len() < limit {
            sites.push(sum);
        }
    }
    if near.is_some() {
        nearest.sort_by(|a, b| a.0.total_cmp(&b.0));
        let list: Vec<serde_json::Value> = nearest
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(d, sum)| {
                let mut v = json!(sum);
                v["distance_m"] = json!(d.round());
                v
            })
            .collect();
        return Ok(Json(
            json!({ "total": total, "offset": offset, "sites": list }),
        ));
    }
    Ok(Json(
        json!({ "total": total, "offset": offset, "sites": sites }),
    ))
}

/// `GET /api/v1/sites/{id}`: latest state, alarms, the plan's entry and the site's standing
/// against it, what the agent says of the site, stage transitions in telemetry, people's
/// milestones and the site's obstacles.
pub async fn detail(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let now = s.clock.now();
    let (mut body, plan, stage) = {
        let reg = state::read(&s.registry);
        let e = reg.get(&id).ok_or_else(|| not_found(&id))?;
        let sum = summary(&id, e, now, &s.config.alarms);
        let body = json!({
            "site": sum,
            "plan": e.plan,
            "info": e.info,
            "latest": e.latest.as_ref().map(|l| &l.status),
            "on_air_since": e.timeline.on_air_since(now),
        });
        (body, e.plan.clone(), e.stage_at(now))
    };
    let reader = s.reader.clone();
    let rollout = s.rollout.clone();
    let site = id.clone();
    let (changes, milestones, obstacles, objections) = super::rollout::blocking(move || {
        Ok((
            reader.stage_changes(&site)?,
            rollout.milestones(Some(&site))?,
            rollout.obstacles(Some(&site))?,
            rollout.objections(Some(&site))?,
        ))
    })
    .await?;
    if let Some(p) = plan {
        let today = crate::domain::calendar::local_date(now);
        let open = obstacles.iter().any(|o| o.open_on(today));
        let (standing, days_overdue) = crate::domain::schedule::standing(
            p.planned_on_air,
            stage,
            open,
            today,
            s.config.rollout.at_risk_days,
        );
        body["standing"] = json!({ "standing": standing, "days_overdue": days_overdue });
    }
    body["stage_changes"] = json!(changes);
    body["milestones"] = json!(milestones);
    body["obstacles"] = json!(obstacles);
    body["objections"] = json!(objections);
    Ok(Json(body))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "site `{id}` is not known: it is not in the plan and no agent has reported it"
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
}

fn parse_time(name: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "`{name}` must be an RFC 3339 time such as 2020-09-01T00:00:00Z, got `{v}`"
            ))
        })
}

/// `GET /api/v1/sites/{id}/history?from=&to=&limit=`: reports with agent timestamps in
/// `[from, to]` (default: the last 24 hours), oldest first, at most `limit` (default 1000, max
/// 10000).
pub async fn history(
    State(s): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = q?;
    if state::read(&s.registry).get(&id).is_none() {
        return Err(not_found(&id));
    }
    let to =
        q.to.as_deref()
            .map(|v| parse_time("to", v))
            .transpose()?
            .unwrap_or_else(|| s.clock.now());
    let from = q
        .from
        .as_deref()
        .map(|v| parse_time("from", v))
        .transpose()?
        .unwrap_or(to - Duration::hours(24));
    if from > to {
        return Err(ApiError::BadRequest("`from` must not be after `to`".into()));
    }
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > 10_000 {
        return Err(ApiError::BadRequest("limit must be 1 to 10000".into()));
    }
    let reader = s.reader.clone();
    let site = id.clone();
    let rows =
        tokio::task::spawn_blocking(move || reader.history(&site, from, to, limit)).await??;
    Ok(Json(
        json!({ "site": id, "from": from, "to": to, "count": rows.len(), "reports": rows }),
    ))
}
