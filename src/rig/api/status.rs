//! `GET /api/v1/status`: the newest packet and its metrics, the rig state, open tickets and the
//! per-phase latency.

use super::ApiState;
use crate::rig::runner::lock;
use crate::web::ApiError;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn status(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let c = lock(&state.core);
    let latest = c.pipeline.latest();
    let tickets: Vec<_> = c.pipeline.tickets().collect();
    Ok(HttpResponse::Ok().json(json!({
        "rig_id": c.identity.rig_id,
        "well_id": c.identity.well_id,
        "campaign": c.pipeline.campaign(),
        "rig_state": latest.map(|s| s.metrics.rig_state),
        "packet": latest.map(|s| &s.packet),
        "metrics": latest.map(|s| &s.metrics),
        "open_tickets": tickets,
        "packets": c.pipeline.packets(),
        "latency": c.pipeline.latency().report(),
    })))
}

/// `GET /api/v1/fleet`: queue depth, dead letters, last upload and sync, library, link state.
pub async fn fleet(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let status = lock(&state.core).sink.status();
    Ok(HttpResponse::Ok().json(status))
}
