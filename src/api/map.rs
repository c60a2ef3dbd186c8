//! What the task force's map reads beyond the sites and coverage: the county boundaries (its
//! base layer) and the replay of a past month.

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::rollout::{ImportQuery, admin_import, blocking};
use crate::domain::boundary::SHIPPED_ATTRIBUTION;
use crate::views::replay::Replay;
use crate::wire::domain::county_name_en;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde_json::json;

/// `GET /api/v1/boundaries.geojson`: the county boundaries (WGS-84) with their code and names;
/// `shipped` says whether they are the ones shipped with the binary, `attribution` whose they are.
pub async fn boundaries(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let rollout = s.rollout.clone();
    let (list, shipped) = blocking(move || Ok(rollout.boundaries()?)).await?;
    let features: Vec<serde_json::Value> = list
        .iter()
        .map(|b| {
            json!({
                "type": "Feature",
                "properties": {
                    "county": b.county,
                    "name": b.name,
                    "name_en": county_name_en(&b.county),
                },
                "geometry": geojson::Geometry::from(&b.geometry),
            })
        })
        .collect();
    Ok(Json(json!({
        "type": "FeatureCollection",
        "shipped": shipped,
        "attribution": if shipped { SHIPPED_ATTRIBUTION } else { "" },
        "features": features,
    })))
}

/// `POST /api/v1/boundaries?source=FILE` (admin): replaces the county boundaries by a GeoJSON
/// file's, WGS-84 or GCJ-02 as its `coordinate_system` says. All counties or none: 400 lists
/// every bad feature.
pub async fn import_boundaries(
    State(s): State<AppState>,
    p: Option<Extension<Principal>>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let report = admin_import(
        &s,
        p,
        q,
        "import county boundaries",
        move |r, source, who| Ok(r.import_boundaries(&body, source, who)?),
    )
    .await?;
    Ok(Json(json!({ "report": report })))
}

/// `GET /api/v1/replay/{month}`: the rollout at the end of `month` (YYYY-MM): every site's
/// stage, progress and the areas' coverage then.
pub async fn replay(
    State(s): State<AppState>,
    Path(month): Path<String>,
) -> Result<Json<Replay>, ApiError> {
    let m = super::checklist::month(&month)?;
    let rollout = s.rollout.clone();
    Ok(Json(blocking(move || Ok(rollout.month_replay(m)?)).await?))
}
