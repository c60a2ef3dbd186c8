//! `GET /api/v1/progress`: sites built and on air, in total and per county and operator,
//! against the plan's targets.

use super::AppState;
use crate::views::monthly::Monthly;
use crate::views::progress::Progress;
use axum::Json;
use axum::extract::State;

pub async fn get(State(s): State<AppState>) -> Json<Progress> {
    Json(s.rollout.progress())
}

/// `GET /api/v1/progress/monthly`: sites on air at the end of each month (Liaocheng time), from
/// the first month a site came on air (or the first target's year) to now, with the targets.
pub async fn monthly(State(s): State<AppState>) -> Json<Monthly> {
    Json(s.rollout.monthly())
}
