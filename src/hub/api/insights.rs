//! `POST /api/fleet/insights` (a rig's insights report, summarised) and
//! `GET /api/fleet/insights/offsets` (what the other rigs of its field drilled fastest, interval by
//! interval; `If-None-Match` answered 304 while nothing changed).

use super::body::read_json;
use super::{with_db, ApiError};
use crate::fleet::insights::{InsightSummary, Offsets};
use crate::hub::analytics::offsets;
use crate::hub::auth::RigAuth;
use crate::hub::db;
use crate::hub::db::insights::Stored;
use crate::hub::intake;
use crate::hub::state::AppState;
use crate::web::hex;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// Keep a summary: 201 stored, 200 when this report was kept before.
pub async fn upload(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let rules = &state.intake;
    let summary: InsightSummary =
        read_json(&req, payload, rules.max_body_bytes, rules.max_decoded_bytes).await?;
    intake::check_insights(&summary, &auth.rig_id)?;
    let now = chrono::Utc::now();
    let stored = with_db(&state, move |conn| db::insights::store(conn, &summary, now)).await?;
    Ok(match stored {
        Stored::Stored => HttpResponse::Created().json(serde_json::json!({"status": "stored"})),
        Stored::AlreadyHeld => {
            HttpResponse::Ok().json(serde_json::json!({"status": "already_held"}))
        }
    })
}

/// The offsets of the asking rig's registered field, its own segments left out.
pub async fn offsets(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rig = auth.rig_id.as_str().to_owned();
    let (field, rows) = with_db(&state, move |conn| {
        let field = db::rigs::field(conn, &rig)?.unwrap_or_default();
        let rows = db::insights::field_segments(conn, &field, Some(&rig))?;
        Ok::<_, db::DbError>((field, rows))
    })
    .await?;
    let body = serde_json::to_vec(&Offsets {
        intervals: offsets::intervals(&rows),
        field,
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let tag = format!("\"{}\"", &hex(&Sha256::digest(&body))[..32]);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .content_type("application/json")
        .body(body))
}
