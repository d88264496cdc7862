//! `GET/PUT /api/v1/config/thresholds`, `GET/PUT /api/v1/campaign` and `POST /api/v1/pit/reset`:
//! what the pipeline judges by, and the driller's totaliser, changed live. A PUT of thresholds may name only the keys it changes; the result is
//! validated as a whole and refused with every reason.

use super::auth::{who, Operator};
use super::ApiState;
use crate::drilling::Campaign;
use crate::rig::core::lock;
use crate::rig::pipeline::thresholds::Thresholds;
use crate::web::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

pub async fn get_thresholds(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let th = *lock(&state.core).pipeline().thresholds();
    Ok(HttpResponse::Ok().json(th))
}

pub async fn put_thresholds(
    _: Operator,
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let Value::Object(changes) = body.into_inner() else {
        return Err(ApiError::bad_request(
            "send a JSON object of the thresholds to change",
            "body",
        ));
    };
    let mut core = lock(&state.core);
    let current = *core.pipeline().thresholds();
    let mut merged = serde_json::to_value(current)
        .map_err(|e| ApiError::Internal(format!("thresholds to JSON: {e}")))?;
    if let Value::Object(m) = &mut merged {
        m.extend(changes);
    }
    let next: Thresholds = serde_json::from_value(merged)
        .map_err(|e| ApiError::bad_request(format!("invalid thresholds: {e}"), "body"))?;
    let problems = next.problems();
    if !problems.is_empty() {
        return Err(ApiError::BadRequest {
            message: "thresholds refused".into(),
            details: problems,
        });
    }
    core.set_thresholds(next, &who(&req, None));
    log::info!("thresholds changed through the API: {next:?}");
    Ok(HttpResponse::Ok().json(next))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    campaign: Campaign,
}

pub async fn get_campaign(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let campaign = lock(&state.core).pipeline().campaign();
    Ok(HttpResponse::Ok().json(json!({ "campaign": campaign })))
}

pub async fn put_campaign(
    _: Operator,
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, ApiError> {
    let campaign = body.campaign;
    lock(&state.core).set_campaign(campaign, &who(&req, None));
    log::info!("campaign set to {campaign} through the API");
    Ok(HttpResponse::Ok().json(json!({ "campaign": campaign })))
}

/// `POST /api/v1/pit/reset`: zero the pit-gain totaliser at the pit volume now.
pub async fn reset_pit(
    _: Operator,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let (bbl, at) = lock(&state.core)
        .reset_pit(&who(&req, None))
        .ok_or_else(|| {
            ApiError::Conflict("the stream carries no pit volume to zero the totaliser at".into())
        })?;
    Ok(HttpResponse::Ok().json(json!({ "pit_volume_bbl": bbl, "at": at })))
}
