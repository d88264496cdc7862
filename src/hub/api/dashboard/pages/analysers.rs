//! `GET /dashboard/analysers`: the analysis slots — what runs, how sure its findings must be, how
//! often it may run — and every current finding; operators switch them with the form
//! (`POST /dashboard/analysers/{id}`), audited under their name.

use super::super::views::*;
use super::message;
use crate::hub::api::{change_analyser, read_analysers, with_db};
use crate::hub::auth::{PageAuth, Role};
use crate::hub::db::analysers::SlotChange;
use crate::hub::state::AppState;
use crate::web::{client_address, ApiError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use serde::Deserialize;

/// `GET /dashboard/analysers`.
pub async fn analysers(
    auth: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let read = with_db(&state, read_analysers).await?;
    let now = Utc::now();
    render(
        StatusCode::OK,
        &AnalysersPage {
            page: Chrome::page("Analysers", &auth.0),
            can_act: auth.0.role >= Role::Operator,
            analysers: read
                .analysers
                .iter()
                .map(|a| AnalyserLine {
                    id: a.id.clone(),
                    version: a.version,
                    about: a.about.clone(),
                    active: a.slot.active,
                    min_confidence: format!("{:.2}", a.slot.min_confidence),
                    min_interval: if a.slot.min_interval_secs == 0 {
                        "every pass".into()
                    } else {
                        format!("at most every {} s", a.slot.min_interval_secs)
                    },
                    min_interval_secs: a.slot.min_interval_secs,
                    last_run: ago(a.slot.last_run_at, now),
                    changed: format!(
                        "{} by {}",
                        ago(Some(a.slot.updated_at), now),
                        a.slot.updated_by
                    ),
                    findings: a.findings,
                })
                .collect(),
            findings: read
                .findings
                .iter()
                .take(500)
                .map(|f| FindingLine {
                    analyser: format!("{} v{}", f.analyser_id, f.analyser_version),
                    rig_id: f.rig_id.clone(),
                    region: f.region.clone().unwrap_or_default(),
                    confidence: format!("{:.2}", f.confidence),
                    summary: f.summary.clone(),
                })
                .collect(),
        },
    )
}

/// The form: on or off, and the confidence threshold.
#[derive(Debug, Deserialize)]
pub struct SlotForm {
    /// `on` or `off`.
    active: String,
    /// 0–1.
    min_confidence: f64,
    /// Seconds, 0–86400.
    min_interval_secs: i32,
}

/// Apply the form, then back to the page (303); a refusal is a page saying why.
pub async fn change(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<SlotForm>,
) -> Result<HttpResponse, ApiError> {
    let f = form.into_inner();
    let change = SlotChange {
        active: Some(f.active == "on"),
        min_confidence: Some(f.min_confidence),
        min_interval_secs: Some(f.min_interval_secs),
    };
    match change_analyser(
        &state,
        &auth.0,
        client_address(&req),
        id.into_inner(),
        change,
    )
    .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/dashboard/analysers"))
            .finish()),
        Err(e) => message(e.status_code(), "Analyser not changed", e.to_string()),
    }
}
