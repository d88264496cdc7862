//! `POST /api/fleet/events`, `GET /api/fleet/events/{id}`, `PATCH /api/fleet/events/{id}/outcome`.

use super::body::{json_response, read_json};
use super::{clock, with_db, ApiError};
use crate::drilling::RiskLevel;
use crate::fleet::{
    EventId, FleetEvent, OutcomeReceipt, OutcomeUpdate, StoredEvent, UploadReceipt,
};
use crate::hub::auth::RigAuth;
use crate::hub::db;
use crate::hub::db::events::{InsertOutcome, OutcomeBy, OutcomeChange};
use crate::hub::db::models::{EventRow, NewEvent};
use crate::hub::intake;
use crate::hub::metrics::Upload;
use crate::hub::notify;
use crate::hub::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;

impl From<EventRow> for StoredEvent {
    fn from(row: EventRow) -> Self {
        Self {
            event: row.payload,
            received_at: row.received_at,
            outcome_updated_at: row.outcome_updated_at,
            needs_curation: row.needs_curation,
        }
    }
}

/// Take an event from a rig: 201 when stored, 409 when it was already.
pub async fn upload(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let stored = store(&req, &auth, &state, payload).await;
    state.metrics.upload(match &stored {
        Ok((_, InsertOutcome::Accepted)) => Upload::Accepted,
        Ok((_, InsertOutcome::AlreadyExists)) => Upload::Duplicate,
        Err(e) if e.status_code().is_client_error() => Upload::Refused,
        Err(_) => Upload::Failed,
    });
    let (id, stored) = stored?;
    let (status, word) = match stored {
        InsertOutcome::Accepted => {
            state.curator.wake();
            (StatusCode::CREATED, "accepted")
        }
        InsertOutcome::AlreadyExists => (StatusCode::CONFLICT, "already_exists"),
    };
    Ok(HttpResponse::build(status).json(UploadReceipt {
        id: id.to_string(),
        status: word.into(),
    }))
}

/// Read, check and store one upload.
async fn store(
    req: &HttpRequest,
    auth: &RigAuth,
    state: &AppState,
    payload: web::Payload,
) -> Result<(EventId, InsertOutcome), ApiError> {
    let rules = &state.intake;
    let now = Utc::now();
    let offset = clock::rig_clock_offset(req, now)?;
    let skew = clock::correctable(offset)?;
    let event: FleetEvent =
        read_json(req, payload, rules.max_body_bytes, rules.max_decoded_bytes).await?;
    // Checked on the rig's own clock; filed on the hub's. The payload keeps the stream's time.
    intake::check_event(&event, &auth.rig_id, now + skew, rules)?;
    let critical_level = event.advisory.risk_level >= RiskLevel::Critical;
    if !critical_level && state.storm.is_on(now) {
        return Err(ApiError::TooManyRequests {
            message: format!(
                "storm mode: the fleet is uploading far above its normal rate; event {} is \
                 deferred — keep it and send it again after Retry-After (CRITICAL events are \
                 always taken)",
                event.id
            ),
            retry_after_secs: state.storm.retry_after_secs(),
        });
    }
    let mut row = NewEvent::from_event(&event)
        .map_err(|e| ApiError::Internal(format!("event to JSON: {e}")))?;
    row.occurred_at = event.timestamp - skew;
    let offset_secs = offset.map(clock::secs);
    let critical = notify::critical(&state.notify, &event);
    let stored = with_db(state, move |conn| {
        let stored = db::events::insert(conn, &row, offset_secs)?;
        if let (InsertOutcome::Accepted, Some((urls, key, n))) = (stored, &critical) {
            let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
            db::notifications::enqueue(conn, &urls, key, n)?;
        }
        Ok::<_, db::DbError>(stored)
    })
    .await?;
    if stored == InsertOutcome::Accepted {
        state.storm.arrive(now);
    }
    Ok((event.id, stored))
}

/// Show one of the calling rig's own events. Another rig's event is answered as one that does
/// not exist: a rig learns from others through the curated library, never their raw events.
pub async fn get(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
    id: web::Path<EventId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let row = with_db(&state, move |conn| db::events::get(conn, lookup.as_str()))
        .await?
        .filter(|row| row.rig_id == auth.rig_id.as_str())
        .ok_or_else(|| {
            ApiError::NotFound(format!("no event with id {id} of rig {}", auth.rig_id))
        })?;
    json_response(&req, StatusCode::OK, &StoredEvent::from(row))
}

/// Set the outcome of one of the calling rig's own events; the last write wins.
pub async fn update_outcome(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
    id: web::Path<EventId>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rules = &state.intake;
    let update: OutcomeUpdate =
        read_json(&req, payload, rules.max_body_bytes, rules.max_decoded_bytes).await?;
    intake::check_outcome_update(&update)?;
    let (lookup, rig) = (id.clone(), auth.rig_id.to_string());
    let change = with_db(&state, move |conn| {
        db::events::update_outcome(conn, lookup.as_str(), OutcomeBy::Rig(&rig), &update)
    })
    .await?;
    match change {
        OutcomeChange::Updated(row) => {
            state.curator.wake();
            Ok(HttpResponse::Ok().json(OutcomeReceipt {
                id: id.to_string(),
                status: "updated".into(),
                outcome: row.payload.get("outcome").cloned().unwrap_or_default(),
            }))
        }
        OutcomeChange::NotFound => Err(ApiError::NotFound(format!("no event with id {id}"))),
        OutcomeChange::NotOwner => Err(ApiError::Forbidden(format!(
            "event {id} belongs to another rig; a rig may update only its own events"
        ))),
    }
}
