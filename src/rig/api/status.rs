//! `GET /api/v1/health` (the rig's health), `GET /api/v1/status` (the newest packet and its
//! metrics, the rig state, open tickets and the per-phase latency) and `GET /api/v1/fleet`.

use super::ApiState;
use crate::rig::core::lock;
use crate::web::ApiError;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn health(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.health()))
}

pub async fn status(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let c = lock(&state.core);
    let pipeline = c.pipeline();
    let latest = pipeline.latest();
    let tickets: Vec<_> = pipeline.tickets().collect();
    Ok(HttpResponse::Ok().json(json!({
        "rig_id": c.identity().rig_id,
        "well_id": c.identity().well_id,
        "campaign": pipeline.campaign(),
        "rig_state": latest.map(|s| s.metrics.rig_state),
        "packet": latest.map(|s| &s.packet),
        "metrics": latest.map(|s| &s.metrics),
        "open_tickets": tickets,
        "packets": pipeline.packets(),
        "latency": pipeline.latency().report(),
        "learned": {
            "enabled": c.learned().settings().enabled,
            "findings": c.learned().findings(),
        },
    })))
}

/// `GET /api/v1/fleet`: queue depth, dead letters, last upload and sync, library, link state.
pub async fn fleet(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let status = lock(&state.core).fleet_status();
    Ok(HttpResponse::Ok().json(status))
}
