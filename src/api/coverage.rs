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
    let report =
        super::rollout::admin_import(&s, p, q, "import target areas", move |r, source, who| {
            Ok(r.import_areas(&body, source, who)?)
        })
        .await?;
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

/// A site as the map draws it.
struct MapSite<'a> {
    id: &'a str,
    site: &'a crate::domain::site::Site,
    position: crate::wire::Gps,
    stage: crate::wire::Stage,
    /// Its footprint when it radiates (as coverage counts it: radiating sites of the plan), or 0.
    radius_m: f64,
    earth_station: bool,
    alarms: Vec<crate::state::alarms::Alarm>,
}

/// Every site with a position, in id order, as the map draws it now.
fn map_sites<'a>(s: &AppState, reg: &'a crate::state::Registry) -> Vec<MapSite<'a>> {
    let grids = s.rollout.grids();
    let flagged: std::collections::HashSet<String> = earth_checks(s, reg)
        .into_iter()
        .flat_map(|c| c.flagged.into_iter().map(|f| f.site))
        .collect();
    let now = s.clock.now();
    let offline = s
        .config
        .coverage
        .radiating_only
        .then_some(s.config.alarms.offline_intervals);
    reg.iter()
        .filter_map(|(id, e)| {
            let p = e.position()?;
            let radius_m = if e.counts() && e.radiates(now, offline) {
                crate::coverage::footprint::radius_m(
                    e.kind(),
                    &e.bands(),
                    report::class_at(&grids, p),
                    &s.config.coverage,
                )
            } else {
                0.0
            };
            Some(MapSite {
                id,
                site: e,
                position: p,
                stage: e.stage_at(now),
                radius_m,
                earth_station: flagged.contains(id.as_str()),
                alarms: e.latest.as_ref().map_or_else(Vec::new, |l| {
                    crate::state::alarms::derive(&l.status, l.received, now, &s.config.alarms)
                }),
            })
        })
        .collect()
}

/// Degrees to six decimals (about 0.1 m).
fn deg(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// `GET /api/v1/sites.geojson?county=&operator=&stage=`: sites with a position, as points with
/// their stage, county, operators, footprint radius (when on air), earth-station flag and alarms.
pub async fn sites_geojson(
    State(s): State<AppState>,
    q: Result<Query<SitesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let operator = q.operator.as_deref().map(parse_operator).transpose()?;
    let stage = q.stage.as_deref().map(parse_stage).transpose()?;
    let reg = state::read(&s.registry);
    let features: Vec<Value> = map_sites(&s, &reg)
        .into_iter()
        .filter(|m| {
            q.county.as_deref().is_none_or(|c| m.site.county() == Some(c))
                && operator.is_none_or(|o| m.site.operators().contains(&o))
                && stage.is_none_or(|x| x == m.stage)
        })
        .map(|m| {
            json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [deg(m.position.lon), deg(m.position.lat)] },
                "properties": {
                    "id": m.id,
                    "name": m.site.name(),
                    "stage": m.stage,
                    "county": m.site.county(),
                    "operators": m.site.operators(),
                    "radius_m": m.radius_m,
                    "earth_station": m.earth_station,
                    "alarms": m.alarms,
                }
            })
        })
        .collect();
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}

/// The map's sites in columns: one array per property, the i-th entry of each for the i-th
/// site. The same sites as `/api/v1/sites.geojson` (every site with a position, in id order;
/// the order `/api/v1/replay/{month}` gives its stages in), a fifth of its size to send and
/// much quicker for a browser to read at 100,000 sites.
#[derive(serde::Serialize)]
pub struct SiteColumns<'a> {
    id: Vec<&'a str>,
    name: Vec<&'a str>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    /// The index of each site's stage in `stages`, one character per site.
    stage: String,
    stages: [crate::wire::Stage; 7],
    /// The index of each site's county in `counties`, or -1.
    county: Vec<i16>,
    counties: Vec<&'a str>,
    /// Bit k set: the site serves `operators[k]`.
    operator_bits: Vec<u8>,
    operators: [crate::wire::Operator; 4],
    /// Footprint radius in metres when radiating, else 0.
    radius_m: Vec<u32>,
    /// Indices of the sites flagged near an earth station.
    earth_station: Vec<u32>,
    /// `[index, [alarm, …]]` for each site with an alarm.
    alarms: Vec<(u32, Vec<crate::state::alarms::Alarm>)>,
}

/// `GET /api/v1/map/sites`: every site with a position as the map draws it, in columns
/// ([`SiteColumns`]).
pub async fn sites_columns(State(s): State<AppState>) -> axum::response::Response {
    use crate::wire::{Operator, Stage};
    use axum::response::IntoResponse;
    let reg = state::read(&s.registry);
    let sites = map_sites(&s, &reg);
    let mut counties: Vec<&str> = sites.iter().filter_map(|m| m.site.county()).collect();
    counties.sort_unstable();
    counties.dedup();
    let mut c = SiteColumns {
        id: Vec::with_capacity(sites.len()),
        name: Vec::with_capacity(sites.len()),
        lon: Vec::with_capacity(sites.len()),
        lat: Vec::with_capacity(sites.len()),
        stage: String::with_capacity(sites.len()),
        stages: Stage::ALL,
        county: Vec::with_capacity(sites.len()),
        counties: Vec::new(),
        operator_bits: Vec::with_capacity(sites.len()),
        operators: Operator::ALL,
        radius_m: Vec::with_capacity(sites.len()),
        earth_station: Vec::new(),
        alarms: Vec::new(),
    };
    for (i, m) in sites.into_iter().enumerate() {
        c.id.push(m.id);
        c.name.push(m.site.name().unwrap_or(""));
        c.lon.push(deg(m.position.lon));
        c.lat.push(deg(m.position.lat));
        let k = Stage::ALL.iter().position(|x| *x == m.stage).unwrap_or(0);
        c.stage.push(char::from(b'0' + k as u8));
        c.county.push(
            m.site
                .county()
                .and_then(|x| counties.binary_search(&x).ok())
                .map_or(-1, |k| k as i16),
        );
        c.operator_bits.push(
            Operator::ALL
                .iter()
                .enumerate()
                .filter(|(_, o)| m.site.operators().contains(o))
                .fold(0u8, |b, (k, _)| b | (1 << k)),
        );
        c.radius_m.push(m.radius_m.round() as u32);
        if m.earth_station {
            c.earth_station.push(i as u32);
        }
        if !m.alarms.is_empty() {
            c.alarms.push((i as u32, m.alarms));
        }
    }
    c.counties = counties;
    // Serialized straight to bytes: no JSON value tree for 100,000 sites.
    Json(c).into_response()
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
