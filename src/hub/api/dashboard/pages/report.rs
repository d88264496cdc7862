//! `GET /dashboard/events/{id}/report`: the printable report on any fleet event, drawn as the rig
//! draws its own — from the event the rig uploaded (its advisory, the history window before it
//! was raised) and its course and outcome as they stand on the hub.

use super::message;
use crate::charts::Mark;
use crate::drilling::readings::{involved, READINGS};
use crate::drilling::{capitalise, duration_words, thousands, RiskLevel};
use crate::fleet::{EpisodeMetrics, EventId, EventOutcome, FleetEvent};
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::events::{self, ReportRow};
use crate::hub::state::AppState;
use crate::report::{
    chart, order_charts, parameters, physics_rows, precedent_lines, vote_rows, when, ChannelChart,
    CrewRow, IncidentReport,
};
use crate::web::{html_page, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// `GET /dashboard/events/{id}/report`.
pub async fn report(
    _: PageAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let raw = path.into_inner();
    let Ok(id) = EventId::parse(&raw) else {
        return no_such_event(&raw);
    };
    let key = id.to_string();
    let Some(row) = with_db(&state, move |conn| events::for_report(conn, &key)).await? else {
        return no_such_event(&raw);
    };
    let event: FleetEvent = serde_json::from_value(row.payload.clone()).map_err(|e| {
        ApiError::Internal(format!(
            "event {id} is stored in a form this hub cannot read: {e}"
        ))
    })?;
    html_page(StatusCode::OK, &build(&event, &row))
}

fn no_such_event(id: &str) -> Result<HttpResponse, ApiError> {
    message(
        StatusCode::NOT_FOUND,
        "No such event",
        format!("No event {id:?} is held on this hub. A rig's page lists its events."),
    )
}

/// The report on a stored event.
fn build(e: &FleetEvent, row: &ReportRow) -> IncidentReport {
    let a = &e.advisory;
    let peak = row
        .peak_level
        .as_deref()
        .and_then(RiskLevel::from_name)
        .unwrap_or(a.risk_level)
        .max(a.risk_level);
    let mut summary = format!(
        "{} at its peak, while {}",
        peak.label(),
        a.rig_state.to_string().replace('_', " ")
    );
    summary.push_str(&match &e.outcome {
        EventOutcome::Pending => "; no outcome yet.".to_owned(),
        o => format!("; {}.", o.describe()),
    });
    IncidentReport {
        title: format!(
            "{} at {} ft",
            capitalise(a.category.label()),
            thousands(e.depth_ft)
        ),
        level: peak.as_str(),
        summary,
        facts: facts(e, row),
        recommendation: a.recommendation.clone(),
        reasoning: a.reasoning.clone(),
        explanation: None,
        charts: charts(e),
        charts_note: Some(format!(
            "What the rig sent with the event: the {} readings before it was raised. The rig's own report on it also shows what followed.",
            e.history_window.len()
        )),
        physics: physics_rows(&a.physics, &[]),
        peak_known: false,
        votes: vote_rows(&a.votes),
        precedents: precedent_lines(&a.precedents),
        parameters: e
            .history_window
            .last()
            .map(EpisodeMetrics::from_snapshot)
            .as_ref()
            .map_or_else(Vec::new, parameters),
        crew: crew(e, row),
        course: course(e, row, peak),
        back: (
            format!("/dashboard/rigs/{}#event-{}", e.rig_id, e.id),
            format!("rig {}", e.rig_id),
        ),
        made: format!(
            "Made {} by the SAIREN hub from the event rig {} uploaded and its outcome as recorded here.",
            when(chrono::Utc::now()),
            e.rig_id
        ),
    }
}

fn facts(e: &FleetEvent, row: &ReportRow) -> Vec<(String, String)> {
    let mut out = vec![
        ("Rig".to_owned(), e.rig_id.to_string()),
        ("Well".to_owned(), e.well_id.clone()),
        ("Field".to_owned(), e.field.clone()),
        ("Campaign".to_owned(), e.campaign.label().to_owned()),
        ("Event".to_owned(), e.id.to_string()),
        ("Raised".to_owned(), when(e.timestamp)),
        ("Reached the hub".to_owned(), when(row.received_at)),
        (
            "Confidence".to_owned(),
            format!("{:.0} %", e.advisory.confidence * 100.0),
        ),
    ];
    if let Some(secs) = row.duration_secs {
        out.push(("Lasted".into(), duration_words(secs)));
    }
    if let Some(t) = row.cleared_at {
        out.push(("Cleared".into(), when(t)));
    }
    if let Some(ep) = &row.episode_id {
        out.push(("In the library as".into(), ep.clone()));
    }
    out
}

/// Every reading the history window carries, as a chart; the moment it was raised marked.
fn charts(e: &FleetEvent) -> Vec<ChannelChart> {
    let (Some(first), Some(last)) = (e.history_window.first(), e.history_window.last()) else {
        return Vec::new();
    };
    let span = (
        first.packet.timestamp.timestamp(),
        last.packet
            .timestamp
            .timestamp()
            .max(e.timestamp.timestamp()),
    );
    let marks = [Mark {
        at: e.timestamp.timestamp(),
        label: "raised".into(),
    }];
    let shows_on = involved(e.advisory.category);
    let charts = READINGS
        .iter()
        .filter_map(|r| {
            let values: Vec<f64> = e
                .history_window
                .iter()
                .map(|s| r.of(&s.packet, &s.metrics).unwrap_or(f64::NAN))
                .collect();
            chart(
                r.label,
                r.unit,
                &values,
                span,
                &marks,
                shows_on.contains(&r.label),
            )
        })
        .collect();
    order_charts(charts)
}

fn crew(e: &FleetEvent, row: &ReportRow) -> Vec<CrewRow> {
    if e.outcome == EventOutcome::Pending && e.notes.is_none() {
        return Vec::new();
    }
    vec![CrewRow {
        outcome: e.outcome.describe(),
        notes: e.notes.clone(),
        by: None,
        at: row.outcome_updated_at.map_or_else(|| "—".into(), when),
    }]
}

fn course(e: &FleetEvent, row: &ReportRow, peak: RiskLevel) -> Vec<String> {
    let mut lines = vec![format!(
        "{} raised at {}",
        when(e.timestamp),
        e.advisory.risk_level.label()
    )];
    if peak > e.advisory.risk_level {
        lines.push(format!("reached {} at its peak", peak.label()));
    }
    if let Some(t) = row.cleared_at {
        lines.push(format!("{} cleared: its condition had gone", when(t)));
    }
    if let Some(t) = row.outcome_updated_at {
        lines.push(format!("{} {}", when(t), e.outcome.describe()));
    }
    lines
}
