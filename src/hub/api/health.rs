//! `GET /api/fleet/health`: public, for load balancers and people.

use super::{with_db, ApiError};
use crate::hub::db;
use crate::hub::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What health reports when the database answers (otherwise: 503).
#[derive(Debug, Serialize, Deserialize)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `reachable`.
    pub database: String,
    /// The library version (highest episode change sequence value).
    pub library_version: i64,
    /// Active episodes in the library.
    pub active_episodes: i64,
    /// When the last curation pass finished; null before the first.
    pub last_curation: Option<DateTime<Utc>>,
    /// Events waiting for the curator.
    pub events_awaiting_curation: i64,
    /// The hub's version.
    pub version: String,
    /// Storm mode is on in this hub process: non-critical uploads are deferred.
    #[serde(default)]
    pub storm_mode: bool,
}

/// Report whether the database answers, and the library's state.
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let status = with_db(&state, db::status::hub_status).await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: "reachable".into(),
        library_version: status.library_version,
        active_episodes: status.active_episodes,
        last_curation: status.last_curation,
        events_awaiting_curation: status.events_awaiting_curation,
        version: env!("CARGO_PKG_VERSION").into(),
        storm_mode: state.storm.is_on(Utc::now()),
    }))
}

/// The OpenAPI description of this API (`docs/openapi.yaml`, written as JSON so it is both).
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../../../docs/openapi.yaml"))
}
