//! Coverage and the map's data: areas with their coverage, coverage per area and target, gaps,
//! sites as GeoJSON, earth stations, and on-air sites month by month.

use super::AppState;
use super::error::ApiError;
use super::rollout::blocking;
use super::sites::{parse_operator, parse_stage};
use crate::coverage::earth::{self, SiteBands};
use crate::coverage::report::{self, Report};
use crate::state;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The coverage report now.
pub(super) async fn current(s: &AppState) -> Result<Arc<Report>, ApiError> {
    let rollout = s.rollout.clone();
    blocking(move || Ok(rollout.coverage())).await
}

/// `GET /api/v1/areas`: the target areas as GeoJSON, each with its coverage.
pub async fn areas(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let r = current(&s).await?;
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

/// `GET /api/v1/coverage`: coverage per area and per target.
pub async fn coverage(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let r = current(&s).await?;
    Ok(Json(json!({
        "as_of": s.clock.now(),
        "cell_m": r.cell_m,
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
    limit: Option<usize>,
}

/// `GET /api/v1/coverage/gaps?area=&county=&limit=`: uncovered clusters, largest first, each
/// with its centre: where the next sites should go.
pub async fn gaps(
    State(s): State<AppState>,
    q: Result<Query<GapQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let r = current(&s).await?;
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
/// their stage, county, operators, kind, footprint radius (when on air) and earth-station flag.
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
    for (id, e) in reg.iter() {
        let Some(p) = e.position() else { continue };
        let st = e.stage_at(now);
        if q.county.as_deref().is_some_and(|c| e.county() != Some(c))
            || operator.is_some_and(|o| !e.operators().contains(&o))
            || stage.is_some_and(|x| x != st)
        {
            continue;
        }
        let radius = if st.is_on_air() {
            crate::coverage::footprint::radius_m(
                e.kind(),
                e.bands(),
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
                "stage": st,
                "county": e.county(),
                "operators": e.operators(),
                "radius_m": radius,
                "earth_station": flagged.contains(id.as_str()),
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

/// `GET /api/v1/earth-stations`: each protected station and the sites flagged near it.
pub async fn earth_stations(State(s): State<AppState>) -> Json<Value> {
    let reg = state::read(&s.registry);
    Json(json!({ "earth_stations": earth_checks(&s, &reg) }))
}
