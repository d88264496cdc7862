//! `GET /api/v1/advisories` (the announcements, newest first, filter by level and category) and
//! `POST /api/v1/advisory/acknowledge` (what the crew made of the incident one announced).

use super::auth::Operator;
use super::incidents::apply_acknowledgment;
use super::ApiState;
use crate::drilling::{AnomalyCategory, RiskLevel};
use crate::fleet::EventOutcome;
use crate::rig::advisories::Filter;
use crate::rig::core::lock;
use crate::web::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
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
    #[serde(default)]
    by: Option<String>,
}

/// `POST /api/v1/advisory/acknowledge`: acknowledges the incident the advisory announced.
pub async fn acknowledge(
    _: Operator,
    req: HttpRequest,
    state: web::Data<ApiState>,
    body: web::Json<AckBody>,
) -> Result<HttpResponse, ApiError> {
    let AckBody {
        id,
        outcome,
        notes,
        by,
    } = body.into_inner();
    let incident = lock(&state.core)
        .incident_of(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no advisory {id} is held on this rig")))?;
    let incident = apply_acknowledgment(&state, &req, incident.as_str(), outcome, notes, by)?;
    Ok(HttpResponse::Ok().json(incident))
}
