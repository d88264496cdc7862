//! `GET /api/v1/advisories` (newest first, filter by level and category) and
//! `POST /api/v1/advisory/acknowledge` (what the crew made of one).

use super::auth::Operator;
use super::ApiState;
use crate::drilling::{AnomalyCategory, RiskLevel};
use crate::fleet::EventOutcome;
use crate::rig::advisories::{AckError, Acknowledgment, AdvisoryRecord, Filter};
use crate::rig::core::lock;
use crate::web::ApiError;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    level: Option<String>,
    category: Option<String>,
    limit: Option<usize>,
}

pub async fn list(
    state: web::Data<ApiState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let min_level = query
        .level
        .as_deref()
        .map(|l| {
            RiskLevel::from_name(l).ok_or_else(|| {
                ApiError::bad_request(
                    format!("unknown level {l:?}: use low, elevated, high or critical"),
                    "level",
                )
            })
        })
        .transpose()?;
    let category = query
        .category
        .as_deref()
        .map(|c| {
            AnomalyCategory::from_name(c).ok_or_else(|| {
                let known: Vec<&str> = AnomalyCategory::ALL.iter().map(|a| a.as_str()).collect();
                ApiError::bad_request(
                    format!("unknown category {c:?}"),
                    format!("category: one of {}", known.join(", ")),
                )
            })
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit must be between 1 and 1000",
            "limit",
        ));
    }
    let filter = Filter {
        min_level,
        category,
        limit,
    };
    let records = lock(&state.core).advisories().list(&filter);
    Ok(HttpResponse::Ok().json(records))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    id: String,
    outcome: EventOutcome,
    #[serde(default)]
    notes: Option<String>,
}

/// Longest action, reason or note accepted, characters.
pub const MAX_TEXT: usize = 2_000;

pub async fn acknowledge(
    _: Operator,
    state: web::Data<ApiState>,
    body: web::Json<AckBody>,
) -> Result<HttpResponse, ApiError> {
    let AckBody { id, outcome, notes } = body.into_inner();
    let record = apply_acknowledgment(&state, &id, outcome, notes)?;
    Ok(HttpResponse::Ok().json(record))
}

/// Record what the crew made of advisory `id` (checked first): stored with the advisory, made a
/// local precedent at once, and queued to follow its event to the hub. Shared by the API and the
/// driller's screen.
pub fn apply_acknowledgment(
    state: &ApiState,
    id: &str,
    outcome: EventOutcome,
    notes: Option<String>,
) -> Result<AdvisoryRecord, ApiError> {
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
        at: chrono::Utc::now(),
    };
    lock(&state.core).acknowledge(id, ack).map_err(|e| match e {
        AckError::NotFound(_) => ApiError::NotFound(e.to_string()),
        AckError::Already(_) => ApiError::Conflict(e.to_string()),
    })
}
