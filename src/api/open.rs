//! Open data (无条件共享类): the public class of the city's data, served without a token when
//! `http.open_data` is on. Counts per county and stage, and site positions rounded to 0.01°
//! (about 1 km) with their stage — nothing that names a site, a carrier, a person or a reading.

use super::AppState;
use super::error::ApiError;
use crate::state;
use crate::wire::Stage;
use crate::wire::domain::county_name_zh;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn enabled(s: &AppState) -> Result<(), ApiError> {
    if s.config.http.open_data {
        Ok(())
    } else {
        Err(ApiError::NotFound(
            "open data is switched off on this collector (http.open_data)".into(),
        ))
    }
}

/// `GET /api/v1/open/counts`: sites per county and stage.
pub async fn counts(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    enabled(&s)?;
    let now = s.clock.now();
    let mut by: BTreeMap<String, BTreeMap<Stage, u64>> = BTreeMap::new();
    {
        let reg = state::read(&s.registry);
        for (_, e) in reg.iter().filter(|(_, e)| e.counts()) {
            let county = e.county().unwrap_or("unknown").to_string();
            *by.entry(county)
                .or_default()
                .entry(e.stage_at(now))
                .or_default() += 1;
        }
    }
    let counties: Vec<Value> = by
        .into_iter()
        .map(|(county, stages)| {
            let on_air: u64 = stages.iter().filter(|(s, _)| s.is_on_air()).map(|(_, n)| n).sum();
            json!({ "county": county, "name": county_name_zh(&county), "stages": stages, "on_air": on_air })
        })
        .collect();
    Ok(Json(json!({ "as_of": now, "counties": counties })))
}

/// `GET /api/v1/open/sites`: planned sites as points rounded to 0.01°, with county and stage.
pub async fn sites(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    enabled(&s)?;
    let now = s.clock.now();
    let reg = state::read(&s.registry);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let features: Vec<Value> = reg
        .iter()
        .filter(|(_, e)| e.counts())
        .filter_map(|(_, e)| {
            let p = e.position()?;
            Some(json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [round(p.lon), round(p.lat)] },
                "properties": { "county": e.county(), "stage": e.stage_at(now) },
            }))
        })
        .collect();
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}
