//! `GET /dashboard/rigs/{id}`: one rig's history.

use super::super::views::*;
use super::{category_bars, message, rig_row, wants_csv};
use crate::charts::{self, Point};
use crate::drilling::capitalise;
use crate::fleet::OutcomeKind;
use crate::fleet::RigId;
use crate::hub::api::with_db;
use crate::hub::auth::{PageAuth, Role};
use crate::hub::db::dashboard::{self, CategoryOutcomes, EventListing, RigOverview};
use crate::hub::db::DbError;
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// Events listed on a rig's page.
const RIG_EVENTS_LISTED: i64 = 200;

/// Events drawn on a rig's timeline (the newest).
const TIMELINE_EVENTS: i64 = 5_000;

/// What the rig page shows, read in one database task.
struct RigHistory {
    rig: RigOverview,
    events: Vec<EventListing>,
    outcomes: Vec<CategoryOutcomes>,
    hub_version: i64,
}

/// `GET /dashboard/rigs/{id}`: one rig's history (`?format=csv`: every event of it).
pub async fn rig(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rig_id = path.into_inner();
    let Ok(id) = RigId::parse(&rig_id) else {
        return no_such_rig(&rig_id);
    };
    let Some(h) = with_db(&state, move |conn| read(conn, &id)).await? else {
        return no_such_rig(&rig_id);
    };
    if wants_csv(&req) {
        return Ok(events_csv(&h.rig.rig_id, &h.events));
    }
    let now = Utc::now();
    render(
        StatusCode::OK,
        &RigPage {
            page: Chrome::page(format!("Rig {}", h.rig.rig_id), &auth.0),
            can_act: auth.0.role >= Role::Operator,
            rig: rig_row(&h.rig, now),
            tiles: tiles(&h, now),
            charts: charts(&h),
            more_events: (h.events.len() as i64 - RIG_EVENTS_LISTED).max(0),
            events: h
                .events
                .iter()
                .take(RIG_EVENTS_LISTED as usize)
                .map(event_line)
                .collect(),
        },
    )
}

/// The rig's events (the newest 5,000 the timeline reads), figures as figures.
fn events_csv(rig_id: &str, events: &[EventListing]) -> HttpResponse {
    let rows = events.iter().map(|e| {
        [
            e.occurred_at.to_rfc3339(),
            e.id.clone(),
            e.category.as_str().to_owned(),
            e.risk_level.as_str().to_owned(),
            e.peak_level.as_str().to_owned(),
            e.duration_secs
                .map(|d| format!("{d:.0}"))
                .unwrap_or_default(),
            format!("{:.1}", e.depth_ft),
            e.campaign.as_str().to_owned(),
            e.outcome.as_str().to_owned(),
            e.outcome_text.clone().unwrap_or_default(),
            e.notes.clone().unwrap_or_default(),
        ]
    });
    let header = [
        "occurred_at",
        "event_id",
        "category",
        "risk_level",
        "peak_level",
        "duration_secs",
        "depth_ft",
        "campaign",
        "outcome",
        "action_or_reason",
        "notes",
    ];
    csv::download(
        &format!("sairen-{rig_id}-events.csv"),
        csv::table(&header, rows),
    )
}

fn no_such_rig(rig_id: &str) -> Result<HttpResponse, ApiError> {
    message(
        StatusCode::NOT_FOUND,
        "No such rig",
        format!("No rig {rig_id:?} is registered on this hub. The fleet overview lists every rig."),
    )
}

fn read(conn: &mut diesel::PgConnection, id: &RigId) -> Result<Option<RigHistory>, DbError> {
    let Some(rig) = dashboard::rig(conn, id.as_str())? else {
        return Ok(None);
    };
    Ok(Some(RigHistory {
        rig,
        events: dashboard::rig_events(conn, id.as_str(), TIMELINE_EVENTS)?,
        outcomes: dashboard::outcomes_by_category(conn, Some(id.as_str()))?,
        hub_version: crate::hub::db::status::library_version(conn)?,
    }))
}

fn tiles(h: &RigHistory, now: DateTime<Utc>) -> Vec<Tile> {
    let (rig, hub_version) = (&h.rig, h.hub_version);
    let total: i64 = h.outcomes.iter().map(|c| c.total).sum();
    let pending: i64 = h.outcomes.iter().map(|c| c.pending).sum();
    let resolved: i64 = h.outcomes.iter().map(|c| c.resolved).sum();
    let decided = total - pending;
    let behind = rig.library_version.map(|v| hub_version - v);
    vec![
        Tile::new(
            "Events",
            count(total),
            format!("last seen {}", ago(rig.last_seen, now)),
        ),
        Tile::new(
            "Outcome reported",
            share(decided, total),
            format!("{} of {} events acknowledged", count(decided), count(total)),
        ),
        Tile::new(
            "Resolved",
            share(resolved, decided),
            "of events with an outcome",
        ),
        Tile::new(
            "Library",
            rig.library_version
                .map_or_else(|| "never synced".into(), |v| format!("v{v}")),
            match behind {
                Some(0) => format!("up to date · synced {}", ago(rig.last_sync, now)),
                Some(n) => format!(
                    "hub is at v{hub_version} ({n} changes newer) · synced {}",
                    ago(rig.last_sync, now)
                ),
                None => format!("hub is at v{hub_version}"),
            },
        ),
    ]
}

fn charts(h: &RigHistory) -> Vec<Chart> {
    let points: Vec<Point> = h
        .events
        .iter()
        .map(|e| Point {
            at: e.occurred_at.timestamp(),
            depth_ft: e.depth_ft,
            // An incident's worst level is what it was: a kick raised at Elevated that reached
            // Critical is drawn red.
            colour: charts::risk_colour(e.peak_level.as_str()),
            title: format!(
                "{} {} at {} ft, peak {} — {}",
                e.occurred_at.format("%Y-%m-%d %H:%M"),
                capitalise(e.category.label()),
                crate::drilling::thousands(e.depth_ft),
                e.peak_level,
                e.outcome.label()
            ),
        })
        .collect();
    let by_category: Vec<dashboard::NamedCount> = h
        .outcomes
        .iter()
        .map(|c| dashboard::NamedCount {
            name: c.category.clone(),
            count: c.total,
        })
        .collect();
    vec![
        Chart::new(
            "Advisory timeline: depth against time, coloured by peak risk",
            charts::timeline(
                &points,
                &[
                    ("Elevated", charts::risk_colour("elevated")),
                    ("High", charts::risk_colour("high")),
                    ("Critical", charts::risk_colour("critical")),
                ],
            ),
            "This rig has not uploaded an event yet.",
        ),
        Chart::new(
            "Events by category",
            charts::horizontal_bars(&category_bars(&by_category), "events"),
            "No events yet.",
        ),
    ]
}

fn event_line(e: &EventListing) -> EventLine {
    EventLine {
        id: e.id.clone(),
        pending: e.outcome == OutcomeKind::Pending,
        at: e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        category: capitalise(e.category.label()),
        risk: e.risk_level.to_string(),
        peak: e.peak_level.to_string(),
        duration: match e.duration_secs {
            None => "—".into(),
            Some(secs) => {
                let d = crate::drilling::duration_words(secs);
                if e.cleared_at.is_some() {
                    d
                } else {
                    format!("ongoing, {d}")
                }
            }
        },
        depth: crate::drilling::thousands(e.depth_ft),
        campaign: e.campaign.label().into(),
        outcome: e.outcome.label().into(),
        outcome_text: e.outcome_text.clone().unwrap_or_default(),
        notes: e.notes.clone().unwrap_or_default(),
    }
}
