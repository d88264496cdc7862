//! `GET /api/v1/incidents` (open and recent, with the shelves in force),
//! `POST /api/v1/incidents/{id}/acknowledge` and `POST /api/v1/incidents/{id}/shelve`.

use super::auth::{who, Operator};
use super::ApiState;
use crate::fleet::{EventId, EventOutcome};
use crate::rig::core::lock;
use crate::rig::incidents::{Acknowledgment, Incident, IncidentError, Shelf};
use crate::web::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// Longest action, reason or note accepted, characters.
pub const MAX_TEXT: usize = 2_000;
/// Longest name given as who acknowledged or shelved, characters.
pub const MAX_BY: usize = 100;

/// `GET /api/v1/incidents`.
#[derive(Serialize)]
pub struct IncidentList {
    /// Open incidents first (newest first), then closed ones, newest first.
    pub incidents: Vec<Incident>,
    /// Categories shelved now.
    pub shelves: Vec<Shelf>,
}

/// The incidents, open ones first: what a screen or a tool polls.
pub async fn list(state: web::Data<ApiState>) -> HttpResponse {
    let c = lock(&state.core);
    let book = c.pipeline().incidents();
    let mut incidents: Vec<Incident> = book.incidents().iter().rev().cloned().collect();
    incidents.sort_by_key(|i| i.is_closed());
    HttpResponse::Ok().json(IncidentList {
        incidents,
        shelves: book.shelves().to_vec(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    outcome: EventOutcome,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    by: Option<String>,
}

/// `POST /api/v1/incidents/{id}/acknowledge`.
pub async fn acknowledge(
    _: Operator,
    req: HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<EventId>,
    body: web::Json<AckBody>,
) -> Result<HttpResponse, ApiError> {
    let AckBody { outcome, notes, by } = body.into_inner();
    let incident = apply_acknowledgment(&state, &req, id.as_str(), outcome, notes, by)?;
    Ok(HttpResponse::Ok().json(incident))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShelveBody {
    minutes: f64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    by: Option<String>,
}

/// `POST /api/v1/incidents/{id}/shelve`.
pub async fn shelve(
    _: Operator,
    req: HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<EventId>,
    body: web::Json<ShelveBody>,
) -> Result<HttpResponse, ApiError> {
    let ShelveBody {
        minutes,
        reason,
        by,
    } = body.into_inner();
    if reason.len() > MAX_TEXT || reason.contains('\0') {
        return Err(ApiError::bad_request(
            format!("the reason is limited to {MAX_TEXT} characters, with no NUL"),
            "reason",
        ));
    }
    let by = checked_by(by.or_else(|| caller(&req)))?;
    let actor = who(&req, by.as_deref());
    let shelf = lock(&state.core)
        .shelve(id.as_str(), minutes, &reason, by, &actor)
        .map_err(incident_error)?;
    Ok(HttpResponse::Ok().json(shelf))
}

/// Who is calling, when they did not say: where the request came from.
fn caller(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| format!("operator at {}", a.ip()))
}

fn checked_by(by: Option<String>) -> Result<Option<String>, ApiError> {
    match by.map(|b| b.trim().to_owned()).filter(|b| !b.is_empty()) {
        Some(b) if b.chars().count() > MAX_BY || b.chars().any(char::is_control) => {
            Err(ApiError::bad_request(
                format!("say who you are in at most {MAX_BY} characters, on one line"),
                "by",
            ))
        }
        other => Ok(other),
    }
}

/// The HTTP answer for a refused request about an incident.
pub fn incident_error(e: IncidentError) -> ApiError {
    match e {
        IncidentError::NotFound(_) => ApiError::NotFound(e.to_string()),
        IncidentError::Closed(_) | IncidentError::Already(_) => ApiError::Conflict(e.to_string()),
        IncidentError::BadShelving(why) => ApiError::bad_request(why, "minutes, reason"),
    }
}

/// Record what the crew made of incident `id` (checked first): kept with the incident, made a
/// local precedent at once, and queued to follow its event to the hub; `by` is the caller's
/// address when they gave no name. Shared by the API and the driller's screen.
pub fn apply_acknowledgment(
    state: &ApiState,
    req: &HttpRequest,
    id: &str,
    outcome: EventOutcome,
    notes: Option<String>,
    by: Option<String>,
) -> Result<Incident, ApiError> {
    // No NUL: the hub stores none, and an outcome it refuses for good never reaches it.
    let text_ok = |t: &str| !t.trim().is_empty() && t.len() <= MAX_TEXT && !t.contains('\0');
    match &outcome {
        EventOutcome::Pending => {
            return Err(ApiError::bad_request(
                "an acknowledgment must say resolved, escalated or false_positive",
                "outcome.status",
            ))
        }
        EventOutcome::Resolved { action_taken } if !text_ok(action_taken) => {
            return Err(ApiError::bad_request(
                format!("say what was done (1 to {MAX_TEXT} characters, no NUL)"),
                "outcome.action_taken",
            ))
        }
        EventOutcome::Escalated { reason } if !text_ok(reason) => {
            return Err(ApiError::bad_request(
                format!("say why it was escalated (1 to {MAX_TEXT} characters, no NUL)"),
                "outcome.reason",
            ))
        }
        _ => {}
    }
    if notes
        .as_ref()
        .is_some_and(|n| n.len() > MAX_TEXT || n.contains('\0'))
    {
        return Err(ApiError::bad_request(
            format!("notes are limited to {MAX_TEXT} characters, with no NUL"),
            "notes",
        ));
    }
    let ack = Acknowledgment {
        outcome,
        notes: notes.filter(|n| !n.trim().is_empty()),
        by: checked_by(by.or_else(|| caller(req)))?,
        at: chrono::Utc::now(),
    };
    let actor = who(req, ack.by.as_deref());
    lock(&state.core)
        .acknowledge(id, ack, &actor)
        .map_err(incident_error)
}
