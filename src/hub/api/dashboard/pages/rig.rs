//! `GET /dashboard/rigs/{id}`: one rig's history.

use super::super::views::*;
use super::{category_bars, message, rig_row, wants_csv};
use crate::charts::{self, Point, Series};
use crate::drilling::capitalise;
use crate::fleet::OutcomeKind;
use crate::fleet::RigId;
use crate::hub::analytics::attention::{self, figure, kpi_words, span_words};
use crate::hub::api::with_db;
use crate::hub::auth::{PageAuth, Role};
use crate::hub::db::dashboard::{self, CategoryOutcomes, EventListing, RigOverview};
use crate::hub::db::heartbeats::{self, HourRow};
use crate::hub::db::DbError;
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Timelike, Utc};

/// Events listed on a rig's page.
const RIG_EVENTS_LISTED: i64 = 200;

/// Hours of heartbeat roll-ups charted on a rig's page.
const HOURS_CHARTED: i64 = 48;

/// Events drawn on a rig's timeline (the newest).
const TIMELINE_EVENTS: i64 = 5_000;

/// What the rig page shows, read in one database task.
struct RigHistory {
    rig: RigOverview,
    hours: Vec<HourRow>,
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
    let stale = state.analytics.stale_after_secs();
    let Some(h) = with_db(&state, move |conn| read(conn, &id, stale)).await? else {
        return no_such_rig(&rig_id);
    };
    if wants_csv(&req) {
        return Ok(events_csv(&h.rig.rig_id, &h.events));
    }
    let now = Utc::now();
    let attention = attention::of(&h.rig, now);
    render(
        StatusCode::OK,
        &RigPage {
            page: Chrome::page(format!("Rig {}", h.rig.rig_id), &auth.0),
            can_act: auth.0.role >= Role::Operator,
            rig: rig_row(&h.rig, &attention, now),
            kpis: kpis(&h.rig, now),
            outliers: outlier_lines(&h.rig),
            tiles: tiles(&h, now),
            charts: charts(&h, now),
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

fn read(
    conn: &mut diesel::PgConnection,
    id: &RigId,
    stale_after_secs: f64,
) -> Result<Option<RigHistory>, DbError> {
    let Some(rig) = dashboard::rig(conn, id.as_str(), stale_after_secs)? else {
        return Ok(None);
    };
    let hours = heartbeats::hours(
        conn,
        id.as_str(),
        Utc::now() - Duration::hours(HOURS_CHARTED),
    )?;
    Ok(Some(RigHistory {
        rig,
        hours,
        events: dashboard::rig_events(conn, id.as_str(), TIMELINE_EVENTS)?,
        outcomes: dashboard::outcomes_by_category(conn, Some(id.as_str()))?,
        hub_version: crate::hub::db::status::library_version(conn)?,
    }))
}

/// What the rig's latest heartbeat says, as label and value.
fn kpis(rig: &RigOverview, now: DateTime<Utc>) -> Vec<(String, String)> {
    let Some(b) = &rig.heartbeat else {
        return Vec::new();
    };
    let opt = |v: Option<f64>, unit: &str| {
        v.map_or_else(|| "—".into(), |v| format!("{} {unit}", figure(v)))
    };
    let i = &b.incidents;
    vec![
        ("Heartbeat".into(), ago(rig.heartbeat_at, now)),
        ("Rig state".into(), b.rig_state.as_str().replace('_', " ")),
        ("Campaign".into(), b.campaign.as_str().replace('_', " ")),
        ("Hole depth".into(), opt(b.depth_ft, "ft")),
        ("ROP (on bottom)".into(), opt(b.rop_ft_h, "ft/h")),
        (
            "On bottom".into(),
            format!(
                "{} of {}",
                span_words(b.on_bottom_secs),
                span_words(b.interval_secs)
            ),
        ),
        (
            "MSE efficiency".into(),
            b.mse_efficiency
                .map_or_else(|| "—".into(), |e| format!("{:.0} %", e * 100.0)),
        ),
        (
            "Open incidents".into(),
            format!(
                "{} critical · {} high · {} elevated · {} low",
                i.critical, i.high, i.elevated, i.low
            ),
        ),
        ("Not acknowledged".into(), i.unacknowledged.to_string()),
        ("Alarms, last hour".into(), b.alarms_last_hour.to_string()),
        (
            "WITS stream".into(),
            if b.stream.alive {
                format!("alive · {} sensors out", b.stream.sensors_out)
            } else {
                format!("dead · {} sensors out", b.stream.sensors_out)
            },
        ),
        (
            "Upload queue".into(),
            format!(
                "{} waiting · {} refused for good",
                b.queue_depth, b.dead_letters
            ),
        ),
        ("Health problems".into(), b.faults.to_string()),
        (
            "sairen".into(),
            format!("{} · up {}", b.version, span_words(b.uptime_secs)),
        ),
    ]
}

/// Each outlier flag in words.
fn outlier_lines(rig: &RigOverview) -> Vec<String> {
    rig.health.as_ref().map_or_else(Vec::new, |h| {
        h.outliers
            .iter()
            .map(|o| {
                format!(
                    "{} {} where the median of {} is {} (modified z-score {:+.1})",
                    capitalise(kpi_words(&o.kpi)),
                    figure(o.value),
                    if o.among == "fleet" {
                        "the fleet".to_owned()
                    } else {
                        o.among.clone()
                    },
                    figure(o.median),
                    o.m
                )
            })
            .collect()
    })
}

fn tiles(h: &RigHistory, now: DateTime<Utc>) -> Vec<Tile> {
    let (rig, hub_version) = (&h.rig, h.hub_version);
    let total: i64 = h.outcomes.iter().map(|c| c.total).sum();
    let pending: i64 = h.outcomes.iter().map(|c| c.pending).sum();
    let resolved: i64 = h.outcomes.iter().map(|c| c.resolved).sum();
    let decided = total - pending;
    let behind = rig.library_version.map(|v| hub_version - v);
    let health = match &rig.health {
        Some(x) => Tile::new(
            "Health",
            format!("{:.0}", x.health),
            format!(
                "#{} in {} · #{} in the fleet · as of {}",
                x.rank_in_region,
                x.region,
                x.rank_in_fleet,
                ago(Some(x.computed_at), now)
            ),
        ),
        None => Tile::new("Health", "—", "no heartbeat aggregated yet"),
    };
    vec![
        health,
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

/// ROP per hour over the last [`HOURS_CHARTED`] hours, an hour without drilling at 0.
fn rop_by_hour(h: &RigHistory, now: DateTime<Utc>) -> Chart {
    let first = now - Duration::hours(HOURS_CHARTED - 1);
    let first = first
        .date_naive()
        .and_hms_opt(first.hour(), 0, 0)
        .map_or(first, |t| t.and_utc());
    let hours: Vec<DateTime<Utc>> = (0..HOURS_CHARTED)
        .map(|k| first + Duration::hours(k))
        .collect();
    let rop = Series {
        name: "ROP on bottom".into(),
        colour: "#1f77b4",
        values: hours
            .iter()
            .map(|t| {
                h.hours
                    .iter()
                    .find(|r| r.hour == *t)
                    .and_then(|r| r.rop_ft_h)
                    .unwrap_or(0.0)
            })
            .collect(),
    };
    let labels: Vec<String> = hours
        .iter()
        .map(|t| t.format("%d %H:00").to_string())
        .collect();
    // Drill down: the rig's events of that day.
    let links: Vec<String> = hours
        .iter()
        .map(|t| {
            format!(
                "/dashboard/trends?rig={0}&from={1}&to={1}",
                h.rig.rig_id,
                t.date_naive()
            )
        })
        .collect();
    Chart::new(
        "ROP per hour, last 48 h (from heartbeats)",
        charts::linked_columns(
            &labels,
            &[rop],
            "hour (UTC, day hour; a column leads to that day's events)",
            "ft/h",
            &links,
        ),
        "No drilling reported by heartbeats in the last 48 h.",
    )
}

fn charts(h: &RigHistory, now: DateTime<Utc>) -> Vec<Chart> {
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
            // Drill down: the event's row in the table below, its outcome and notes.
            link: Some(format!("#event-{}", e.id)),
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
            charts::horizontal_bars(
                &category_bars(&by_category, &format!("rig={}&", h.rig.rig_id)),
                "events",
            ),
            "No events yet.",
        ),
        rop_by_hour(h, now),
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
