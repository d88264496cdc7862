//! `GET /incidents/{id}/report` (one incident, printable) and `GET /handover?hours=12` (the shift
//! handover): pages for people, read under the screen's sign-in.

use super::auth::ScreenAuth;
use super::ApiState;
use crate::rig::core::lock;
use crate::rig::reports::{handover, incident};
use crate::web::{html_page, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// `GET /incidents/{id}/report` (an incident's id or an advisory's that announced it).
pub async fn incident(
    _: ScreenAuth,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let report = {
        let c = lock(&state.core);
        crate::fleet::EventId::parse(&path)
            .ok()
            .and_then(|id| incident::build(&c, id.as_str()))
    };
    match report {
        Some(r) => html_page(StatusCode::OK, &r),
        None => super::screen::not_found(&path),
    }
}

/// `?hours=`: how far back the handover looks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverQuery {
    hours: Option<u32>,
}

/// `GET /handover?hours=12`.
pub async fn handover(
    _: ScreenAuth,
    state: web::Data<ApiState>,
    query: web::Query<HandoverQuery>,
) -> Result<HttpResponse, ApiError> {
    let hours = query.hours.unwrap_or(handover::DEFAULT_HOURS);
    if !(1..=handover::MAX_HOURS).contains(&hours) {
        return Err(ApiError::bad_request(
            format!(
                "a handover covers 1 to {} hours, not {hours}",
                handover::MAX_HOURS
            ),
            "hours",
        ));
    }
    let health = state.health();
    let page = handover::build(&lock(&state.core), &health, hours);
    html_page(StatusCode::OK, &page)
}
