//! `GET /api/v1/insights` (the latest report and those before it) and `POST
//! /api/v1/insights/run` (one made now, from the window so far).

use super::auth::Operator;
use super::ApiState;
use crate::rig::core::lock;
use crate::web::ApiError;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// The most reports one answer carries.
const MOST_REPORTS: usize = 168;

/// `?limit=`: how many earlier reports to include (default 24).
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    limit: Option<usize>,
}

/// `GET /api/v1/insights`: `{settings, latest, history}`, newest first.
pub async fn list(
    state: web::Data<ApiState>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(24).clamp(1, MOST_REPORTS);
    let (settings, store) = {
        let core = lock(&state.core);
        (core.insights().settings().clone(), core.insights().store())
    };
    // Files are read off the core's lock and the async workers.
    let history = web::block(move || store.history(limit))
        .await
        .map_err(|e| ApiError::Internal(format!("insights read: {e}")))?;
    Ok(HttpResponse::Ok().json(json!({
        "settings": settings,
        "latest": history.first(),
        "history": history,
    })))
}

/// `POST /api/v1/insights/run`: a report now, kept like the scheduled ones (operator).
pub async fn run(_: Operator, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let request = lock(&state.core).insights().request(chrono::Utc::now());
    let report = web::block(move || request.run())
        .await
        .map_err(|e| ApiError::Internal(format!("insights run: {e}")))?
        .map_err(|e| ApiError::Internal(format!("insights report not saved: {e}")))?;
    Ok(HttpResponse::Created().json(report))
}
