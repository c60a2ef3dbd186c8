//! Coverage and the map's data: areas with their coverage, coverage per area and target, gaps,
//! sites as GeoJSON, earth stations, and on-air sites month by month.

use super::AppState;
use super::error::ApiError;
use super::rollout::blocking;
use super::sites::{parse_operator, parse_stage};
use crate::coverage::earth::{self, SiteBands};
use crate::coverage::report::{self, Report};
use crate::state;
use crate::wire::{Band, Operator, SiteKind};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The coverage report now, by one carrier's sites or by all.
pub(super) async fn current(
    s: &AppState,
    operator: Option<Operator>,
) -> Result<Arc<Report>, ApiError> {
    let rollout = s.rollout.clone();
    blocking(move || Ok(rollout.coverage_of(operator))).await
}

/// `?operator=`: coverage by one carrier's sites (a shared site counts for each carrier on it).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorQuery {
    operator: Option<String>,
}

impl OperatorQuery {
    fn operator(&self) -> Result<Option<Operator>, ApiError> {
        self.operator.as_deref().map(parse_operator).transpose()
    }
}

/// `GET /api/v1/areas?operator=`: the target areas as GeoJSON, each with its coverage.
pub async fn areas(
    State(s): State<AppState>,
    q: Result<Query<OperatorQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let r = current(&s, q.operator()?).await?;
    let grids = s.rollout.grids();
    let features: Vec<geojson::Feature> = grids
        .iter()
        .map(|g| {
            let mut props = serde_json::Map::new();
            if let Some(c) = r.areas.iter().find(|a| a.name == g.area.name)
                && let Value::Object(m) = json!(c)
            {
                props = m;
            }
            crate::domain::area::to_feature(&g.area, props)
        })
        .collect();
    Ok(Json(json!(geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    })))
}

/// `POST /api/v1/areas?source=FILE` (admin): import target areas (GeoJSON).
pub async fn import(
    State(s): State<AppState>,
    p: Option<axum::Extension<super::auth::Principal>>,
    q: Result<Query<super::rollout::ImportQuery>, QueryRejection>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let p = super::auth::principal(p)?;
    p.require_admin("import target areas")?;
    let Query(q) = q?;
    let source = q.source();
    let actor = p.actor();
    let rollout = s.rollout.clone();
    let report = blocking(move || Ok(rollout.import_areas(&body, &source, &actor)?)).await?;
    Ok(Json(json!({ "report": report })))
}

/// `GET /api/v1/coverage?operator=`: coverage per area and per target, by every radiating site
/// or by one carrier's.
pub async fn coverage(
    State(s): State<AppState>,
    q: Result<Query<OperatorQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let operator = q.operator()?;
    let r = current(&s, operator).await?;
    Ok(Json(json!({
        "as_of": s.clock.now(),
        "operator": operator,
        "cell_m": r.cell_m,
        "sites_bands_unknown": r.sites_bands_unknown,
        "continuous_share": s.config.coverage.continuous_share,
        "max_hole_m2": s.config.coverage.max_hole_m2,
        "areas": r.areas,
        "targets": r.targets,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapQuery {
    area: Option<String>,
    county: Option<String>,
    operator: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/v1/coverage/gaps?area=&county=&operator=&limit=`: uncovered clusters of at least
/// `coverage.min_gap_m2`, largest first, each with a point inside it (its cell farthest from
/// covered ground): where the next sites should go.
pub async fn gaps(
    State(s): State<AppState>,
    q: Result<Query<GapQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let operator = q.operator.as_deref().map(parse_operator).transpose()?;
    let r = current(&s, operator).await?;
    let list: Vec<Value> = r
        .gaps
        .iter()
        .filter(|g| q.area.as_ref().is_none_or(|a| &g.area == a))
        .filter(|g| q.county.as_ref().is_none_or(|c| &g.county == c))
        .take(q.limit.unwrap_or(100).min(10_000))
        .enumerate()
        .map(|(i, g)| {
            let mut v = json!(g);
            v["rank"] = json!(i + 1);
            v
        })
        .collect();
    Ok(Json(json!({ "gaps": list })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitesQuery {
    county: Option<String>,
    operator: Option<String>,
    stage: Option<String>,
}

/// `GET /api/v1/sites.geojson?county=&operator=&stage=`: sites with a position, as points with
/// their stage, county, operators, kind, footprint radius (when on air), earth-station flag and
/// alarms.
pub async fn sites_geojson(
    State(s): State<AppState>,
    q: Result<Query<SitesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let operator = q.operator.as_deref().map(parse_operator).transpose()?;
    let stage = q.stage.as_deref().map(parse_stage).transpose()?;
    let grids = s.rollout.grids();
    let reg = state::read(&s.registry);
    let flagged: std::collections::HashSet<String> = earth_checks(&s, &reg)
        .into_iter()
        .flat_map(|c| c.flagged.into_iter().map(|f| f.site))
        .collect();
    let mut features = Vec::new();
    let now = s.clock.now();
    let offline = s
        .config
        .coverage
        .radiating_only
        .then_some(s.config.alarms.offline_intervals);
    for (id, e) in reg.iter() {
        let Some(p) = e.position() else { continue };
        let st = e.stage_at(now);
        if q.county.as_deref().is_some_and(|c| e.county() != Some(c))
            || operator.is_some_and(|o| !e.operators().contains(&o))
            || stage.is_some_and(|x| x != st)
        {
            continue;
        }
        // Drawn as coverage counts it: radiating sites of the plan.
        let radius = if e.counts() && e.radiates(now, offline) {
            crate::coverage::footprint::radius_m(
                e.kind(),
                &e.bands(),
                report::class_at(&grids, p),
                &s.config.coverage,
            )
        } else {
            0.0
        };
        features.push(json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [
                (p.lon * 1e6).round() / 1e6, (p.lat * 1e6).round() / 1e6] },
            "properties": {
                "id": id,
                "name": e.name(),
                "stage": st,
                "county": e.county(),
                "operators": e.operators(),
                "radius_m": radius,
                "earth_station": flagged.contains(id.as_str()),
                "alarms": e.latest.as_ref().map_or_else(Vec::new, |l| {
                    crate::state::alarms::derive(&l.status, l.received, now, &s.config.alarms)
                }),
            }
        }));
    }
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}

fn earth_checks(s: &AppState, reg: &crate::state::Registry) -> Vec<earth::StationCheck> {
    let sites: Vec<SiteBands<'_>> = reg
        .iter()
        .filter_map(|(id, e)| {
            Some(SiteBands {
                site: id,
                position: e.position()?,
                bands: e.bands(),
            })
        })
        .collect();
    earth::check(&s.config.earth_stations, &sites)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateQuery {
    area: Option<String>,
    operator: Option<String>,
    n: Option<usize>,
    band: Option<String>,
    kind: Option<String>,
}

/// Most candidates asked for one area.
const CANDIDATES_MAX: usize = 50;

/// `GET /api/v1/coverage/candidates?area=&n=&band=&kind=&operator=`: for each area short of its
/// goal (or the one named), by the radiating sites (of one carrier, if given), `n` positions for new sites (default 5, at most 50) of `kind` (default macro)
/// on `band` (default n78), chosen one after the other, each covering the most ground still
/// uncovered, with the share each adds and the share after all of them.
pub async fn candidates(
    State(s): State<AppState>,
    q: Result<Query<CandidateQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let n = q.n.unwrap_or(5);
    if !(1..=CANDIDATES_MAX).contains(&n) {
        return Err(ApiError::BadRequest(format!(
            "`n` must be between 1 and {CANDIDATES_MAX}"
        )));
    }
    let band = match q.band.as_deref() {
        None => Band::N78,
        Some(b) => serde_json::from_value(json!(b.to_ascii_lowercase())).map_err(|_| {
            ApiError::BadRequest(format!("band `{b}` is unknown; use n78, n41, n28 or n1"))
        })?,
    };
    let kind = match q.kind.as_deref() {
        None => SiteKind::Macro,
        Some(k) => serde_json::from_value(json!(k.to_ascii_lowercase())).map_err(|_| {
            ApiError::BadRequest(format!(
                "kind `{k}` is unknown; use macro, micro, pole or indoor"
            ))
        })?,
    };
    let operator = q.operator.as_deref().map(parse_operator).transpose()?;
    let rollout = s.rollout.clone();
    let area = q.area.clone();
    let list =
        blocking(move || Ok(rollout.candidates(area.as_deref(), n, band, kind, operator)?)).await?;
    Ok(Json(json!({
        "as_of": s.clock.now(),
        "band": band,
        "kind": kind,
        "operator": operator,
        "areas": *list,
    })))
}

/// `GET /api/v1/earth-stations`: each protected station and the sites flagged near it.
pub async fn earth_stations(State(s): State<AppState>) -> Json<Value> {
    let reg = state::read(&s.registry);
    Json(json!({ "earth_stations": earth_checks(&s, &reg) }))
}
