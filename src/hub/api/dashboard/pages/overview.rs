//! `GET /dashboard`: the fleet overview.

use super::super::views::*;
use super::{category_bars, csv_time, rig_row, wants_csv};
use crate::charts::{self, Bar, Series};
use crate::hub::analytics::aggregate::FleetKpis;
use crate::hub::analytics::attention::{self, Attention};
use crate::hub::analytics::profile::Profile;
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::dashboard::{self, FleetSummary, RigOverview};
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// The overview's filters; each empty or absent means all.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OverviewQuery {
    region: Option<String>,
    field: Option<String>,
    status: Option<String>,
    /// Part of a rig's or its well's id, any case.
    rig: Option<String>,
}

impl OverviewQuery {
    fn lets_through(&self, r: &RigOverview) -> bool {
        let region = r.health.as_ref().map_or("", |h| h.region.as_str());
        let pass = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w.is_empty() || w == have)
        };
        let named = self.rig.as_deref().map(str::trim).is_none_or(|part| {
            let part = part.to_lowercase();
            r.rig_id.to_lowercase().contains(&part) || r.well_id.to_lowercase().contains(&part)
        });
        pass(&self.region, region)
            && pass(&self.field, &r.field)
            && pass(&self.status, &r.status)
            && named
    }

    /// The filters set, as a query string ending in `&` (empty: none).
    fn as_query(&self) -> String {
        let set: Vec<(&str, &str)> = [
            ("region", &self.region),
            ("field", &self.field),
            ("status", &self.status),
            ("rig", &self.rig),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_deref().filter(|v| !v.is_empty())?)))
        .collect();
        match serde_urlencoded::to_string(&set) {
            Ok(q) if !q.is_empty() => format!("{q}&"),
            _ => String::new(),
        }
    }
}

/// `GET /dashboard`: the fleet overview, rigs needing attention first (`?format=csv`: its rigs
/// table; `?region=&field=&status=&rig=` filter it, `rig` by part of a rig's or well's id).
pub async fn overview(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let stale = state.analytics.stale_after_secs();
    let (mut s, fleet) = with_db(&state, move |conn| {
        Ok::<_, crate::hub::db::DbError>((
            dashboard::summary(conn, stale)?,
            crate::hub::db::analytics::fleet_latest(conn)?,
        ))
    })
    .await?;
    let now = s.generated_at;
    let all = std::mem::take(&mut s.rigs);
    let filters = filters(&all, &query);
    let rigs_total = all.len();
    let ranked: Vec<_> = attention::rank(all, now)
        .into_iter()
        .filter(|(r, _)| query.lets_through(r))
        .collect();
    if wants_csv(&req) {
        return Ok(rigs_csv(&ranked));
    }
    let outcomes = Outcomes::of(&s);
    render(
        StatusCode::OK,
        &OverviewPage {
            page: Chrome::page("Fleet overview", &auth.0),
            tiles: tiles(&s, &outcomes, &ranked, fleet.as_ref(), state.profile.get()),
            attention: ranked.iter().filter(|(_, a)| !a.reasons.is_empty()).count(),
            rigs: ranked.iter().map(|(r, a)| rig_row(r, a, now)).collect(),
            rigs_total,
            filters,
            rig_search: query.rig.clone().unwrap_or_default(),
            filter_query: query.as_query(),
            storm: storm_words(&state.storm.report(Utc::now())),
            charts: charts(&s, &outcomes),
        },
    )
}

/// Storm mode in words: since when, and why (empty: off).
fn storm_words(r: &crate::hub::storm::StormReport) -> String {
    match r.since {
        Some(since) if r.on => format!("On since {}: {}.", since.format("%H:%M:%S UTC"), r.why),
        _ => String::new(),
    }
}

/// The filter selects, their options read from every rig (not only those shown).
fn filters(rigs: &[RigOverview], q: &OverviewQuery) -> Vec<Filter> {
    let distinct = |read: &dyn Fn(&RigOverview) -> Option<String>| {
        let set: std::collections::BTreeSet<String> = rigs.iter().filter_map(read).collect();
        set.into_iter().collect::<Vec<_>>()
    };
    let chosen = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        Filter {
            name: "region",
            label: "Region",
            options: distinct(&|r| r.health.as_ref().map(|h| h.region.clone())),
            chosen: chosen(&q.region),
        },
        Filter {
            name: "field",
            label: "Field",
            options: distinct(&|r| Some(r.field.clone())),
            chosen: chosen(&q.field),
        },
        Filter {
            name: "status",
            label: "Status",
            options: dashboard::STATUSES.iter().map(|s| s.to_string()).collect(),
            chosen: chosen(&q.status),
        },
    ]
}

/// The rigs table with its figures as figures: times in RFC 3339, the clock offset in seconds.
fn rigs_csv(rigs: &[(RigOverview, Attention)]) -> HttpResponse {
    let rows = rigs.iter().map(|(r, a)| {
        let beat = r.heartbeat.as_ref();
        [
            r.rig_id.clone(),
            r.well_id.clone(),
            r.field.clone(),
            r.health
                .as_ref()
                .map(|h| h.region.clone())
                .unwrap_or_default(),
            r.status.clone(),
            a.level.to_owned(),
            beat.map(|b| b.incidents.unacknowledged.to_string())
                .unwrap_or_default(),
            r.health
                .as_ref()
                .map(|h| format!("{:.1}", h.health))
                .unwrap_or_default(),
            a.reasons.join("; "),
            csv_time(r.heartbeat_at),
            csv_time(r.last_seen),
            csv_time(r.last_sync),
            r.library_version.map(|v| v.to_string()).unwrap_or_default(),
            r.event_count.to_string(),
            r.clock_offset_secs
                .map(|s| format!("{s:.1}"))
                .unwrap_or_default(),
            beat.map(|b| b.dead_letters.to_string()).unwrap_or_default(),
        ]
    });
    let header = [
        "rig_id",
        "well_id",
        "field",
        "region",
        "status",
        "highest_open",
        "unacknowledged",
        "health",
        "attention",
        "heartbeat_at",
        "last_seen",
        "last_sync",
        "library_version",
        "events",
        "clock_offset_secs",
        "dead_letters",
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

fn tiles(
    s: &FleetSummary,
    o: &Outcomes,
    ranked: &[(RigOverview, Attention)],
    fleet: Option<&(DateTime<Utc>, FleetKpis)>,
    profile: Profile,
) -> Vec<Tile> {
    let now = s.generated_at;
    let status = |name: &str| {
        s.rig_status
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.count)
    };
    let needing = ranked.iter().filter(|(_, a)| !a.reasons.is_empty()).count();
    let critical = ranked.iter().filter(|(_, a)| a.level == "critical").count();
    let health = match fleet {
        Some((at, k)) => Tile::new(
            "Fleet health",
            k.health.map_or_else(|| "—".into(), |h| format!("{h:.0}")),
            format!(
                "{} of {} rigs reporting · {} outliers · {} regions · {} fleet · as of {}",
                k.reporting,
                k.rigs,
                k.outlier_rigs,
                k.regions,
                profile.as_str(),
                ago(Some(*at), now)
            ),
        ),
        None => Tile::new(
            "Fleet health",
            "—",
            "no aggregation yet: it runs within a minute of the hub starting",
        ),
    };
    vec![
        Tile::new(
            "Need attention",
            format!("{needing} of {}", ranked.len()),
            format!("{critical} with a critical incident open"),
        ),
        health,
        Tile::new(
            "Rigs active",
            count(status("active")),
            format!(
                "{} faulted · {} stale · {} never seen · {} revoked",
                status("faulted"),
                status("stale"),
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
            // Drill down: when and where events that ended this way happened.
            link: Some(format!("/dashboard/trends?outcome={}", c.name)),
        })
        .collect();
    vec![
        Chart::new(
            "Events per day, last 30 days",
            charts::linked_columns(
                &days,
                &[per_day],
                "day (UTC, month-day; a column leads to that day's trends)",
                "events",
                &s.events_per_day
                    .iter()
                    .map(|d| format!("/dashboard/trends?from={0}&to={0}", d.name))
                    .collect::<Vec<_>>(),
            ),
            "No events in the last 30 days.",
        ),
        Chart::new(
            "Events by category",
            charts::horizontal_bars(&category_bars(&s.by_category, ""), "events"),
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
