//! `GET /api/v1/progress`: sites built and on air, in total and per county and operator,
//! against the plan's targets.

use super::AppState;
use crate::rollout::progress::{Progress, progress};
use crate::state;
use axum::Json;
use axum::extract::State;

pub async fn get(State(s): State<AppState>) -> Json<Progress> {
    let now = s.clock.now();
    let reg = state::read(&s.registry);
    Json(progress(&reg, &s.config.targets, now))
}
