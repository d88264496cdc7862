//! `GET /dashboard`: the fleet overview.

use super::super::views::*;
use super::{category_bars, csv_time, rig_row, wants_csv};
use crate::charts::{self, Bar, Series};
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::dashboard::{self, FleetSummary, RigOverview};
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// `GET /dashboard`: the fleet overview (`?format=csv`: its rigs table).
pub async fn overview(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = with_db(&state, dashboard::summary).await?;
    if wants_csv(&req) {
        return Ok(rigs_csv(&s.rigs));
    }
    let outcomes = Outcomes::of(&s);
    render(
        StatusCode::OK,
        &OverviewPage {
            page: Chrome::page("Fleet overview", &auth.0),
            tiles: tiles(&s, &outcomes),
            rigs: s.rigs.iter().map(|r| rig_row(r, s.generated_at)).collect(),
            charts: charts(&s, &outcomes),
        },
    )
}

/// The rigs table with its figures as figures: times in RFC 3339, the clock offset in seconds.
fn rigs_csv(rigs: &[RigOverview]) -> HttpResponse {
    let rows = rigs.iter().map(|r| {
        [
            r.rig_id.clone(),
            r.well_id.clone(),
            r.field.clone(),
            r.status.clone(),
            csv_time(r.last_seen),
            csv_time(r.last_sync),
            r.library_version.map(|v| v.to_string()).unwrap_or_default(),
            r.event_count.to_string(),
            r.clock_offset_secs
                .map(|s| format!("{s:.1}"))
                .unwrap_or_default(),
        ]
    });
    let header = [
        "rig_id",
        "well_id",
        "field",
        "status",
        "last_seen",
        "last_sync",
        "library_version",
        "events",
        "clock_offset_secs",
    ];
    csv::download("sairen-rigs.csv", csv::table(&header, rows))
}

/// Events with a crew's outcome, and of those the resolved.
struct Outcomes {
    decided: i64,
    resolved: i64,
    pending: i64,
}

impl Outcomes {
    fn of(s: &FleetSummary) -> Self {
        let named = |name: &str| {
            s.by_outcome
                .iter()
                .find(|c| c.name == name)
                .map_or(0, |c| c.count)
        };
        let all: i64 = s.by_outcome.iter().map(|c| c.count).sum();
        Self {
            decided: all - named("pending"),
            resolved: named("resolved"),
            pending: named("pending"),
        }
    }
}

fn tiles(s: &FleetSummary, o: &Outcomes) -> Vec<Tile> {
    let now = s.generated_at;
    let status = |name: &str| {
        s.rig_status
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.count)
    };
    vec![
        Tile::new(
            "Rigs active",
            count(status("active")),
            format!(
                "{} inactive (silent > {} h) · {} never seen · {} revoked",
                status("inactive"),
                dashboard::INACTIVE_AFTER_HOURS,
                status("never-seen"),
                status("revoked")
            ),
        ),
        Tile::new(
            "Events, last 24 h",
            count(s.events_last_24h),
            format!("{} in all", count(s.events_total)),
        ),
        Tile::new(
            "Resolved",
            share(o.resolved, o.decided),
            format!(
                "resolved, of {} events with an outcome · {} pending",
                count(o.decided),
                count(o.pending)
            ),
        ),
        Tile::new(
            "Library",
            format!("v{}", s.library_version),
            format!(
                "{} active episodes · curated {} · {} awaiting",
                count(s.active_episodes),
                ago(s.last_curation, now),
                count(s.events_awaiting_curation)
            ),
        ),
    ]
}

fn charts(s: &FleetSummary, o: &Outcomes) -> Vec<Chart> {
    let days: Vec<String> = s
        .events_per_day
        .iter()
        .map(|d| d.name.get(5..).unwrap_or(&d.name).to_owned())
        .collect();
    let per_day = Series {
        name: "events".into(),
        colour: "#1f77b4",
        values: s.events_per_day.iter().map(|d| d.count as f64).collect(),
    };
    let outcome_bars: Vec<Bar> = s
        .by_outcome
        .iter()
        .map(|c| Bar {
            label: outcome_label(&c.name),
            value: c.count as f64,
            colour: charts::outcome_colour(&c.name),
        })
        .collect();
    vec![
        Chart::new(
            "Events per day, last 30 days",
            charts::stacked_columns(&days, &[per_day], "day (UTC, month-day)", "events"),
            "No events in the last 30 days.",
        ),
        Chart::new(
            "Events by category",
            charts::horizontal_bars(&category_bars(&s.by_category), "events"),
            "No events yet.",
        ),
        Chart::new(
            "Outcomes",
            (o.decided > 0)
                .then(|| charts::horizontal_bars(&outcome_bars, "events"))
                .flatten(),
            "No outcome data yet: no crew has acknowledged an event.",
        ),
    ]
}
