//! The driller's screen at `/`: every open or unanswered incident as a full-width banner at the top
//! (level, what, the numbers, what to do, since when), the numbers that matter in large type with
//! their last minute as a trend line (those the trouble involves highlighted), the rig state — or
//! "NO DATA" with every value greyed when the feed stops — and the announcements below. The page
//! is pushed its changes (`live`); each incident is acknowledged on a page of its own, whose
//! numbers stay live while the crew answers.

mod live;
mod view;

pub use live::{live, script};

use super::auth::{who, ScreenAuth};
use super::incidents::{apply_acknowledgment, MAX_TEXT};
use super::ApiState;
use crate::charts::escape;
use crate::drilling::capitalise;
use crate::fleet::EventOutcome;
use crate::rig::core::lock;
use crate::rig::incidents::IncidentError;
use crate::rig::trends::Span;
use crate::web::{html_headers, html_page, ApiError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use view::{IncidentLive, Live, Viewing};

/// The screen's pages may run the rig's own script and open its push, nothing else.
pub const SCREEN_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; \
     connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

#[derive(Template)]
#[template(path = "rig/screen.html")]
struct ScreenPage {
    live: Live,
}

#[derive(Template)]
#[template(path = "rig/acknowledge.html")]
struct AckPage {
    live: IncidentLive,
    /// Quick answers for this category (what crews most often did).
    picks: &'static [&'static str],
    by: String,
    needs_token: bool,
    error: Option<String>,
    outcome: String,
    text: String,
    notes: String,
}

impl AckPage {
    /// The acknowledge page for an incident, its form empty.
    fn new(
        live: IncidentLive,
        category: crate::drilling::AnomalyCategory,
        state: &ApiState,
        viewer: &ScreenAuth,
    ) -> Self {
        Self {
            live,
            picks: view::picks(category),
            by: String::new(),
            needs_token: state.token.is_some() && !viewer.has_token,
            error: None,
            outcome: "resolved".into(),
            text: String::new(),
            notes: String::new(),
        }
    }
}

/// What a form from another machine is told when its operator token is wrong.
const WRONG_TOKEN: &str =
    "The operator token is wrong: ask the rig's IT person for SAIREN_RIG_OPERATOR_TOKEN.";

/// A screen page with the screen's script allowed.
fn screen_page(status: StatusCode, page: &impl Template) -> Result<HttpResponse, ApiError> {
    let mut response = html_page(status, page)?;
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(SCREEN_CSP),
    );
    Ok(response)
}

/// `?trend=10|30|120`: the trends' span in minutes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenQuery {
    trend: Option<u32>,
}

/// How `viewer` looks at the rig with `trend` minutes of trends (10 when not said).
fn viewing(state: &ApiState, viewer: &ScreenAuth, trend: Option<u32>) -> Result<Viewing, ApiError> {
    let span = match trend {
        None => Span::default(),
        Some(m) => Span::from_minutes(m).ok_or_else(|| {
            ApiError::bad_request(format!("no trend of {m} min"), "trend: 10, 30 or 120")
        })?,
    };
    Ok(Viewing {
        span,
        may_change: state.token.is_none() || viewer.has_token,
    })
}

/// `GET /`: the driller's screen.
pub async fn screen(
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    query: web::Query<ScreenQuery>,
) -> Result<HttpResponse, ApiError> {
    let viewing = viewing(&state, &viewer, query.trend)?;
    screen_page(
        StatusCode::OK,
        &ScreenPage {
            live: view::live(&state, viewing),
        },
    )
}

/// `POST /pit/reset`: the screen's button zeroing the pit-gain totaliser; back to the screen.
pub async fn reset_pit(
    req: HttpRequest,
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    if state.token.is_some() && !viewer.has_token {
        return Err(ApiError::Forbidden(
            "zeroing the totaliser from another machine needs the operator token: sign the screen in with it".into(),
        ));
    }
    lock(&state.core).reset_pit(&who(&req, None));
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish())
}

/// The page for an incident the rig does not hold.
pub(super) fn not_found(id: &str) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::NotFound();
    html_headers(&mut response);
    Ok(response.body(format!(
            "<!doctype html><title>Not found</title><p style=\"font:24px sans-serif\">No incident {} is held on this rig. <a href=\"/\">Back to the screen</a></p>",
            escape(&format!("{id:?}"))
        )))
}

/// `GET /incidents/{id}/acknowledge` (or an advisory's id): the acknowledge form.
pub async fn acknowledge_form(
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some((incident, live)) = view::incident_live(&state, &path) else {
        return not_found(&path);
    };
    screen_page(
        StatusCode::OK,
        &AckPage::new(live, incident.category, &state, &viewer),
    )
}

/// The acknowledge form as posted.
#[derive(Debug, Deserialize)]
pub struct AckForm {
    outcome: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    pick: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    operator_token: String,
}

/// `POST /incidents/{id}/acknowledge`: record it and go back to the screen, or show the form
/// again with what is wrong (the crew's words kept).
pub async fn acknowledge(
    viewer: ScreenAuth,
    req: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    form: web::Form<AckForm>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let Some((incident, live)) = view::incident_live(&state, &id) else {
        return not_found(&id);
    };
    let form = form.into_inner();
    // The page again with what is wrong, the crew's words kept.
    let refuse = |status: StatusCode, error: String| {
        let page = AckPage {
            by: form.by.clone(),
            error: Some(error),
            outcome: form.outcome.clone(),
            text: form.text.clone(),
            notes: form.notes.clone(),
            ..AckPage::new(live, incident.category, &state, &viewer)
        };
        screen_page(status, &page)
    };
    if !token_ok(&state, &viewer, &form.operator_token) {
        return refuse(StatusCode::FORBIDDEN, WRONG_TOKEN.into());
    }
    // Typed words win over a quick pick.
    let text = Some(form.text.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or(form.pick.trim())
        .to_owned();
    let outcome = match form.outcome.as_str() {
        "resolved" => EventOutcome::Resolved { action_taken: text },
        "escalated" => EventOutcome::Escalated { reason: text },
        "false_positive" => EventOutcome::FalsePositive,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Choose Resolved, Escalated or False alarm.".into(),
            )
        }
    };
    let notes = Some(form.notes.trim().to_owned()).filter(|n| !n.is_empty());
    let by = Some(form.by.trim().to_owned()).filter(|b| !b.is_empty());
    match apply_acknowledgment(&state, &req, incident.id.as_str(), outcome, notes, by) {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .finish()),
        Err(ApiError::BadRequest { message, .. }) => refuse(
            StatusCode::BAD_REQUEST,
            format!("{} (at most {MAX_TEXT} characters).", capitalise(&message)),
        ),
        Err(ApiError::Conflict(_)) => refuse(
            StatusCode::CONFLICT,
            "This incident was acknowledged already, or has closed (see the screen).".into(),
        ),
        Err(other) => Err(other),
    }
}

/// Whether a form from `viewer` may change something: no token is needed here, the screen signed
/// in with it, or the form carries it.
fn token_ok(state: &ApiState, viewer: &ScreenAuth, presented: &str) -> bool {
    match &state.token {
        None => true,
        Some(_) if viewer.has_token => true,
        Some(t) => t.matches(presented.trim()),
    }
}

/// The shelve form as posted.
#[derive(Debug, Deserialize)]
pub struct ShelveForm {
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    operator_token: String,
}

/// `POST /incidents/{id}/shelve`: shelve the incident's category from its page (a known bad
/// sensor); back to the screen, or the page again with what is wrong.
pub async fn shelve(
    req: HttpRequest,
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    form: web::Form<ShelveForm>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let Some((incident, live)) = view::incident_live(&state, &id) else {
        return not_found(&id);
    };
    let form = form.into_inner();
    let refuse = |status: StatusCode, error: String| {
        let page = AckPage {
            by: form.by.clone(),
            error: Some(error),
            ..AckPage::new(live, incident.category, &state, &viewer)
        };
        screen_page(status, &page)
    };
    if !token_ok(&state, &viewer, &form.operator_token) {
        return refuse(StatusCode::FORBIDDEN, WRONG_TOKEN.into());
    }
    let Ok(minutes) = form.minutes.trim().parse::<f64>() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Say for how many minutes to shelve it.".into(),
        );
    };
    let by = Some(form.by.trim().to_owned()).filter(|b| !b.is_empty());
    let actor = who(&req, by.as_deref());
    let shelved = lock(&state.core).shelve(
        incident.id.as_str(),
        minutes,
        form.reason.trim(),
        by,
        &actor,
    );
    match shelved {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .finish()),
        Err(e) => refuse(
            match e {
                IncidentError::Closed(_) => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            },
            capitalise(&e.to_string()),
        ),
    }
}
