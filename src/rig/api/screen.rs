//! The driller's screen at `/`: the numbers that matter in large type with their last minute as a
//! trend line, the rig state, the live advisories colour-coded by risk with their evidence and
//! precedents, and the fleet link's state; each advisory is acknowledged on a page of its own (a
//! form on the screen itself would be wiped by its 5-second refresh).

use super::auth::ScreenAuth;
use super::incidents::{apply_acknowledgment, MAX_TEXT};
use super::ApiState;
use crate::charts::{escape, risk_colour, sparkline};
use crate::drilling::{capitalise, thousands, WitsPacket};
use crate::fleet::{EventId, EventOutcome, HistorySnapshot};
use crate::rig::advisories::{AdvisoryRecord, Filter};
use crate::rig::core::lock;
use crate::web::{html_headers, html_page, ApiError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Advisories the screen lists (newest first).
const SCREEN_ADVISORIES: usize = 8;

/// A reading in large type with its trend.
struct Gauge {
    label: &'static str,
    value: String,
    unit: &'static str,
    trend: Option<String>,
}

/// One advisory as the screen shows it.
struct AdvisoryView {
    id: String,
    risk: String,
    colour: &'static str,
    heading: String,
    at: String,
    recommendation: String,
    reasoning: String,
    evidence: Vec<String>,
    precedents: Vec<String>,
    acknowledged: Option<String>,
}

#[derive(Template)]
#[template(path = "rig/screen.html")]
struct ScreenPage {
    rig_id: String,
    well_id: String,
    campaign: String,
    rig_state: String,
    status: String,
    problems: Vec<String>,
    baseline: String,
    fleet: String,
    gauges: Vec<Gauge>,
    advisories: Vec<AdvisoryView>,
    generated: String,
}

#[derive(Template)]
#[template(path = "rig/acknowledge.html")]
struct AckPage {
    advisory: AdvisoryView,
    needs_token: bool,
    error: Option<String>,
    outcome: String,
    text: String,
    notes: String,
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() && decimals == 0 => thousands(v),
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "—".into(),
    }
}

fn gauge(
    window: &[HistorySnapshot],
    label: &'static str,
    unit: &'static str,
    decimals: usize,
    read: impl Fn(&HistorySnapshot) -> Option<f64>,
) -> Gauge {
    let values: Vec<f64> = window.iter().map(|s| read(s).unwrap_or(f64::NAN)).collect();
    Gauge {
        label,
        value: fmt(window.last().and_then(&read), decimals),
        unit,
        trend: sparkline(&values, "#7fd1ff"),
    }
}

fn gauges(window: &[HistorySnapshot]) -> Vec<Gauge> {
    let p = |f: fn(&WitsPacket) -> Option<f64>| move |s: &HistorySnapshot| f(&s.packet);
    vec![
        gauge(window, "Depth", "ft", 0, p(|p| p.depth_ft())),
        gauge(window, "ROP", "ft/h", 0, p(|p| p.rop_ft_h)),
        gauge(window, "WOB", "klb", 1, p(|p| p.wob_klb)),
        gauge(window, "RPM", "rpm", 0, p(|p| p.rpm)),
        gauge(window, "Torque", "kft·lbf", 1, p(|p| p.torque_kftlbf)),
        gauge(window, "SPP", "psi", 0, p(|p| p.spp_psi)),
        gauge(window, "Flow in", "gpm", 0, p(|p| p.flow_in_gpm)),
        gauge(window, "Flow out", "gpm", 0, p(|p| p.flow_out_gpm)),
        gauge(window, "Pit volume", "bbl", 1, p(|p| p.pit_volume_bbl)),
        gauge(window, "MSE", "psi", 0, |s| s.metrics.mse_psi),
        gauge(window, "dc-exponent", "", 2, |s| s.metrics.dc_exponent),
    ]
}

fn view(r: &AdvisoryRecord) -> AdvisoryView {
    let a = &r.advisory;
    let label = a.category.label();
    let mut heading = label.to_uppercase();
    if let Some(d) = r.depth_ft {
        heading.push_str(&format!(" at {} ft", thousands(d)));
    }
    AdvisoryView {
        id: r.id.to_string(),
        risk: a.risk_level.as_str().to_owned(),
        colour: risk_colour(a.risk_level.as_str()),
        heading,
        at: a.timestamp.format("%H:%M:%S UTC").to_string(),
        recommendation: a.recommendation.clone(),
        reasoning: a.reasoning.clone(),
        evidence: a
            .physics
            .iter()
            .map(|e| {
                let mut line = format!("{} {} {}", e.channel, fmt(Some(e.value), 1), e.unit);
                if let (Some(b), Some(d)) = (e.baseline, e.deviation_pct) {
                    line.push_str(&format!(" (baseline {}, {d:+.0} %)", fmt(Some(b), 1)));
                }
                line
            })
            .collect(),
        precedents: a
            .precedents
            .iter()
            .map(|p| {
                format!(
                    "{} (similarity {:.2}): {}",
                    p.rig_id, p.similarity, p.summary
                )
            })
            .collect(),
        acknowledged: r.acknowledgment.as_ref().map(|k| {
            let mut t = k.outcome.describe();
            if let Some(n) = &k.notes {
                t.push_str(&format!(" — {n}"));
            }
            t
        }),
    }
}

/// `GET /`: the driller's screen.
pub async fn screen(
    _viewer: ScreenAuth,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let health = state.health();
    let c = lock(&state.core);
    let window = c.pipeline().history_window();
    let page = ScreenPage {
        rig_id: c.identity().rig_id.to_string(),
        well_id: c.identity().well_id.clone(),
        campaign: c.pipeline().campaign().label().into(),
        rig_state: window.last().map_or_else(
            || "no data yet".into(),
            |s| s.metrics.rig_state.to_string().replace('_', " "),
        ),
        status: health.status.to_owned(),
        problems: health.problems,
        baseline: if health.baseline.progress >= 1.0 {
            "baseline learned".into()
        } else {
            format!(
                "learning the baseline: {:.0} %",
                health.baseline.progress * 100.0
            )
        },
        fleet: health.fleet,
        gauges: gauges(&window),
        advisories: c
            .advisories()
            .list(&Filter {
                min_level: None,
                category: None,
                limit: SCREEN_ADVISORIES,
            })
            .iter()
            .map(view)
            .collect(),
        generated: chrono::Utc::now().format("%H:%M:%S UTC").to_string(),
    };
    drop(c);
    html_page(StatusCode::OK, &page)
}

/// The advisory the path names, if its id is one and the rig holds it.
fn find(state: &ApiState, id: &str) -> Option<AdvisoryRecord> {
    let id = EventId::parse(id).ok()?;
    lock(&state.core).advisories().get(id.as_str()).cloned()
}

fn not_found(id: &str) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::NotFound();
    html_headers(&mut response);
    Ok(response.body(format!(
            "<!doctype html><title>Not found</title><p style=\"font:24px sans-serif\">No advisory {} is held on this rig. <a href=\"/\">Back to the screen</a></p>",
            escape(&format!("{id:?}"))
        )))
}

/// `GET /advisories/{id}/acknowledge`: the acknowledge form.
pub async fn acknowledge_form(
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(record) = find(&state, &path) else {
        return not_found(&path);
    };
    html_page(
        StatusCode::OK,
        &AckPage {
            advisory: view(&record),
            needs_token: state.token.is_some() && !viewer.has_token,
            error: None,
            outcome: "resolved".into(),
            text: String::new(),
            notes: String::new(),
        },
    )
}

/// The acknowledge form as posted.
#[derive(Debug, Deserialize)]
pub struct AckForm {
    outcome: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    operator_token: String,
}

/// `POST /advisories/{id}/acknowledge`: record it and go back to the screen, or show the form
/// again with what is wrong (the crew's words kept).
pub async fn acknowledge(
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    form: web::Form<AckForm>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let Some(record) = find(&state, &id) else {
        return not_found(&id);
    };
    let form = form.into_inner();
    let needs_token = state.token.is_some() && !viewer.has_token;
    let refuse = |status: StatusCode, error: String| {
        html_page(
            status,
            &AckPage {
                advisory: view(&record),
                needs_token,
                error: Some(error),
                outcome: form.outcome.clone(),
                text: form.text.clone(),
                notes: form.notes.clone(),
            },
        )
    };
    if needs_token
        && !state
            .token
            .as_ref()
            .is_some_and(|t| t.matches(form.operator_token.trim()))
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "The operator token is wrong: ask the rig's IT person for SAIREN_RIG_OPERATOR_TOKEN."
                .into(),
        );
    }
    let text = form.text.trim().to_owned();
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
    let incident = lock(&state.core)
        .incident_of(&id)
        .unwrap_or_else(|| record.id.clone());
    match apply_acknowledgment(&state, incident.as_str(), outcome, notes, None) {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .finish()),
        Err(ApiError::BadRequest { message, .. }) => refuse(
            StatusCode::BAD_REQUEST,
            format!("{} (at most {MAX_TEXT} characters).", capitalise(&message)),
        ),
        Err(ApiError::Conflict(_)) => refuse(
            StatusCode::CONFLICT,
            "This advisory was acknowledged already (see the screen).".into(),
        ),
        Err(other) => Err(other),
    }
}
