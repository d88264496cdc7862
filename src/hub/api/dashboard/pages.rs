//! The dashboard's HTML pages: fleet overview, rig detail, library health and trends. Each reads
//! its figures in one blocking database task, formats them into a view and renders a template.

use super::data::{parse_range, RangeQuery};
use super::views::*;
use crate::charts::{self, Bar, Point, Series};
use crate::drilling::AnomalyCategory;
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::dashboard::{self, RigOverview, DEPTH_BAND_FT};
use crate::hub::db::DbError;
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// Events listed on a rig's page.
const RIG_EVENTS_LISTED: i64 = 200;

/// Events drawn on a rig's timeline (the newest).
const TIMELINE_EVENTS: i64 = 5_000;

/// A library where one rig holds more than this share is flagged: its precedents are one crew's.
const DOMINANT_SHARE: f64 = 0.5;

/// `GET /`: the dashboard.
pub async fn index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}

fn rig_row(r: &RigOverview, now: DateTime<Utc>) -> RigListItem {
    RigListItem {
        rig_id: r.rig_id.clone(),
        well_id: r.well_id.clone(),
        field: r.field.clone(),
        status: r.status.clone(),
        last_seen: ago(r.last_seen, now),
        last_sync: ago(r.last_sync, now),
        library_version: r
            .library_version
            .map_or_else(|| "—".into(), |v| v.to_string()),
        events: count(r.event_count),
    }
}

fn category_bars(counts: &[dashboard::NamedCount]) -> Vec<Bar> {
    counts
        .iter()
        .map(|c| Bar {
            label: category_label(&c.name),
            value: c.count as f64,
            colour: charts::category_colour(&c.name),
        })
        .collect()
}

/// `GET /dashboard`: the fleet overview.
pub async fn overview(
    _admin: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = with_db(&state, dashboard::summary).await?;
    let now = s.generated_at;
    let status = |name: &str| {
        s.rig_status
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.count)
    };
    let decided: i64 = s
        .by_outcome
        .iter()
        .filter(|c| c.name != "pending")
        .map(|c| c.count)
        .sum();
    let resolved = s
        .by_outcome
        .iter()
        .find(|c| c.name == "resolved")
        .map_or(0, |c| c.count);
    let tiles = vec![
        Tile::new(
            "Rigs active",
            count(status("active")),
            format!(
                "{} inactive (silent > {} h) · {} revoked",
                status("inactive"),
                dashboard::INACTIVE_AFTER_HOURS,
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
            percent_or_none((decided > 0).then(|| resolved as f64 / decided as f64)),
            format!("of {} events with an outcome", count(decided)),
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
    ];
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
            colour: match c.name.as_str() {
                "resolved" => "#2b8a3e",
                "escalated" => "#e8590c",
                "false_positive" => "#868e96",
                _ => "#d4a000",
            },
        })
        .collect();
    let charts = vec![
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
            (decided > 0)
                .then(|| charts::horizontal_bars(&outcome_bars, "events"))
                .flatten(),
            "No outcome data yet: no crew has acknowledged an event.",
        ),
    ];
    render(
        StatusCode::OK,
        &OverviewPage {
            page: Chrome::page("Fleet overview"),
            tiles,
            rigs: s.rigs.iter().map(|r| rig_row(r, now)).collect(),
            charts,
        },
    )
}

/// A page saying what went wrong, with its status.
pub fn message(status: StatusCode, heading: &str, text: String) -> Result<HttpResponse, ApiError> {
    render(
        status,
        &MessagePage {
            page: Chrome {
                refresh: false,
                ..Chrome::page(heading)
            },
            heading: heading.into(),
            message: text,
        },
    )
}

/// `GET /dashboard/rigs/{id}`: one rig's history.
pub async fn rig(
    _admin: PageAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rig_id = path.into_inner();
    let id = rig_id.clone();
    let found = with_db(&state, move |conn| -> Result<_, DbError> {
        let Some(rig) = dashboard::rig(conn, &id)? else {
            return Ok(None);
        };
        let events = dashboard::rig_events(conn, &id, TIMELINE_EVENTS)?;
        let outcomes = dashboard::outcomes_by_category(conn, Some(&id))?;
        let version = crate::hub::db::status::library_version(conn)?;
        Ok(Some((rig, events, outcomes, version)))
    })
    .await?;
    let Some((rig, events, outcomes, hub_version)) = found else {
        return message(
            StatusCode::NOT_FOUND,
            "No such rig",
            format!(
                "No rig {rig_id:?} is registered on this hub. The fleet overview lists every rig."
            ),
        );
    };
    let now = Utc::now();
    let total: i64 = outcomes.iter().map(|c| c.total).sum();
    let pending: i64 = outcomes.iter().map(|c| c.pending).sum();
    let resolved: i64 = outcomes.iter().map(|c| c.resolved).sum();
    let decided = total - pending;
    let behind = rig.library_version.map(|v| hub_version - v);
    let tiles = vec![
        Tile::new(
            "Events",
            count(total),
            format!("last seen {}", ago(rig.last_seen, now)),
        ),
        Tile::new(
            "Outcome reported",
            percent_or_none((total > 0).then(|| decided as f64 / total as f64)),
            format!("{} of {} events acknowledged", count(decided), count(total)),
        ),
        Tile::new(
            "Resolved",
            percent_or_none((decided > 0).then(|| resolved as f64 / decided as f64)),
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
    ];
    let points: Vec<Point> = events
        .iter()
        .map(|e| Point {
            at: e.occurred_at.timestamp(),
            depth_ft: e.depth_ft,
            colour: charts::risk_colour(&e.risk_level),
            title: format!(
                "{} {} at {} ft, {} — {}",
                e.occurred_at.format("%Y-%m-%d %H:%M"),
                category_label(&e.category),
                crate::drilling::thousands(e.depth_ft),
                e.risk_level,
                outcome_label(&e.outcome)
            ),
        })
        .collect();
    let by_category: Vec<dashboard::NamedCount> = outcomes
        .iter()
        .map(|c| dashboard::NamedCount {
            name: c.category.clone(),
            count: c.total,
        })
        .collect();
    let charts = vec![
        Chart::new(
            "Advisory timeline: depth against time, coloured by risk",
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
    ];
    let listed: Vec<EventLine> = events
        .iter()
        .take(RIG_EVENTS_LISTED as usize)
        .map(|e| EventLine {
            at: e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            category: category_label(&e.category),
            risk: e.risk_level.clone(),
            depth: crate::drilling::thousands(e.depth_ft),
            campaign: campaign_label(&e.campaign),
            outcome: outcome_label(&e.outcome),
            outcome_text: e.outcome_text.clone().unwrap_or_default(),
            notes: e.notes.clone().unwrap_or_default(),
        })
        .collect();
    render(
        StatusCode::OK,
        &RigPage {
            page: Chrome::page(format!("Rig {}", rig.rig_id)),
            rig: rig_row(&rig, now),
            tiles,
            charts,
            more_events: (events.len() as i64 - RIG_EVENTS_LISTED).max(0),
            events: listed,
        },
    )
}

/// `GET /dashboard/library`: is the precedent library any good?
pub async fn library(
    _admin: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let h = with_db(&state, dashboard::library_health).await?;
    let covered = h.coverage.iter().filter(|c| c.count > 0).count();
    let top = h.contribution.first();
    let warning = top
        .filter(|t| {
            h.active_episodes > 0 && t.count as f64 / h.active_episodes as f64 > DOMINANT_SHARE
        })
        .map(|t| {
            format!(
                "{} supplies {:.0} % of the library: its precedents are one crew's habits. \
                 Precedents from more rigs make the library better.",
                t.name,
                100.0 * t.count as f64 / h.active_episodes as f64
            )
        });
    let tiles = vec![
        Tile::new(
            "Active episodes",
            count(h.active_episodes),
            format!("{} archived", count(h.archived_episodes)),
        ),
        Tile::new("Library version", format!("v{}", h.library_version), ""),
        Tile::new(
            "Categories covered",
            format!("{covered} of {}", AnomalyCategory::ALL.len()),
            "with at least one precedent",
        ),
        Tile::new(
            "Contributing rigs",
            count(h.contribution.len() as i64),
            top.map_or_else(String::new, |t| format!("most from {}", t.name)),
        ),
    ];
    let bins: Vec<String> = (0..10)
        .map(|i| format!("{:.1}–{:.1}", i as f64 / 10.0, (i + 1) as f64 / 10.0))
        .collect();
    let histogram = Series {
        name: "episodes".into(),
        colour: "#1f77b4",
        values: h.score_histogram.iter().map(|n| *n as f64).collect(),
    };
    let charts = vec![
        Chart::new(
            "Score histogram (curator score, 0–1)",
            charts::stacked_columns(&bins, &[histogram], "score", "active episodes"),
            "The library is empty: no event has been curated yet.",
        ),
        Chart::new(
            "Category coverage",
            charts::horizontal_bars(&category_bars(&h.coverage), "active episodes"),
            "No precedent in any category yet.",
        ),
    ];
    let uncovered = h
        .coverage
        .iter()
        .filter(|c| c.count == 0)
        .map(|c| category_label(&c.name))
        .collect();
    let contributions = h
        .contribution
        .iter()
        .map(|c| Contribution {
            rig_id: c.name.clone(),
            episodes: count(c.count),
            share: format!(
                "{:.1} %",
                100.0 * c.count as f64 / h.active_episodes.max(1) as f64
            ),
        })
        .collect();
    render(
        StatusCode::OK,
        &LibraryPage {
            page: Chrome::page("Library health"),
            tiles,
            warning,
            charts,
            uncovered,
            contributions,
        },
    )
}

/// `GET /dashboard/trends?from=&to=`: the fleet over time and depth.
pub async fn trends(
    _admin: PageAuth,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Read the query by hand: a malformed one is answered on the page, not with a bare 400.
    let query = web::Query::<RangeQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let (from, to) = match parse_range(&query, Utc::now().date_naive()) {
        Ok(range) => range,
        Err(e) => {
            return render(
                StatusCode::BAD_REQUEST,
                &TrendsPage {
                    page: Chrome::page("Trends"),
                    from: query.from.unwrap_or_default(),
                    to: query.to.unwrap_or_default(),
                    error: Some(format!("That date range does not make sense: {e}.")),
                    charts: vec![],
                    campaigns: vec![],
                    actions: vec![],
                },
            );
        }
    };
    let t = with_db(&state, move |conn| dashboard::trends(conn, from, to)).await?;
    let day_list: Vec<_> = dashboard::days(from, to).collect();
    let columns: Vec<String> = day_list
        .iter()
        .map(|d| d.format("%m-%d").to_string())
        .collect();
    let series: Vec<Series> = AnomalyCategory::ALL
        .iter()
        .filter(|c| t.per_day.iter().any(|p| p.name == c.as_str()))
        .map(|c| Series {
            name: category_label(c.as_str()),
            colour: charts::category_colour(c.as_str()),
            values: day_list
                .iter()
                .map(|d| {
                    let day = d.to_string();
                    t.per_day
                        .iter()
                        .filter(|p| p.day == day && p.name == c.as_str())
                        .map(|p| p.count as f64)
                        .sum()
                })
                .collect(),
        })
        .collect();
    let bands: Vec<String> = t
        .by_depth
        .iter()
        .map(|b| format!("{}k", (b.from_ft / DEPTH_BAND_FT) as i64))
        .collect();
    let density = Series {
        name: "events".into(),
        colour: "#8c564b",
        values: t.by_depth.iter().map(|b| b.count as f64).collect(),
    };
    let charts = vec![
        Chart::new(
            "Events per day by category",
            charts::stacked_columns(&columns, &series, "day (UTC, month-day)", "events"),
            "No events in this range.",
        ),
        Chart::new(
            "Anomaly density by depth",
            charts::stacked_columns(
                &bands,
                &[density],
                "measured depth band (top, thousands of ft; 1,000 ft per band)",
                "events",
            ),
            "No events in this range.",
        ),
    ];
    let campaigns = t
        .campaigns
        .iter()
        .map(|c| CampaignLine {
            campaign: campaign_label(&c.campaign),
            events: count(c.events),
            rigs: count(c.rigs),
            per_rig_day: format!("{:.2}", c.events_per_rig_day),
            resolution: percent_or_none(c.resolution_rate),
        })
        .collect();
    let actions = t
        .common_actions
        .iter()
        .map(|a| ActionLine {
            category: category_label(&a.category),
            action: a.action.clone(),
            count: count(a.count),
        })
        .collect();
    render(
        StatusCode::OK,
        &TrendsPage {
            page: Chrome::page("Trends"),
            from: from.to_string(),
            to: to.to_string(),
            error: None,
            charts,
            campaigns,
            actions,
        },
    )
}

/// Any other `/dashboard/...` path: a 404 page, not a JSON error.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        format!("There is no dashboard page at {}.", req.path()),
    )
}
