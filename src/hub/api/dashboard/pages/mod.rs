//! The dashboard's HTML pages, one per file: fleet overview, rig detail, library health and
//! trends. Each reads its figures in one blocking database task, formats them into a view and
//! renders a template. What more than one page shows (a rig's row, category bars, a message
//! page) is here.

mod analysers;
mod audit;
mod correlations;
mod insights;
mod library;
mod outcome;
mod overview;
mod regions;
mod report;
mod rig;
mod trends;
mod users;

pub use analysers::{analysers, change as change_analyser};
pub use audit::audit;
pub use correlations::correlations;
pub use insights::insights;
pub use library::library;
pub use outcome::record as record_outcome;
pub use overview::overview;
pub use regions::regions;
pub use report::report;
pub use rig::rig;
pub use trends::trends;
pub use users::users;

/// The Users page's forms.
pub mod user_forms {
    pub use super::users::{add, disable};
}

use super::views::*;
use crate::charts::{self, Bar};
use crate::hub::analytics::attention::Attention;
use crate::hub::auth::{Caller, Role};
use crate::hub::db::dashboard::{self, RigOverview};
use crate::web::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// `GET /`: the dashboard.
pub async fn index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}

fn rig_row(r: &RigOverview, attention: &Attention, now: DateTime<Utc>) -> RigListItem {
    let (clock, clock_off) = clock_words(r.clock_offset_secs);
    RigListItem {
        rig_id: r.rig_id.clone(),
        well_id: r.well_id.clone(),
        field: r.field.clone(),
        region: r
            .health
            .as_ref()
            .map_or_else(|| "—".into(), |h| h.region.clone()),
        status: r.status.clone(),
        level: attention.level.to_owned(),
        health: r
            .health
            .as_ref()
            .map_or_else(|| "—".into(), |h| format!("{:.0}", h.health)),
        reasons: attention.reasons.clone(),
        last_seen: ago(r.last_seen, now),
        last_sync: ago(r.last_sync, now),
        library_version: r
            .library_version
            .map_or_else(|| "—".into(), |v| v.to_string()),
        events: count(r.event_count),
        clock,
        clock_off,
    }
}

/// One bar per category; each leads to the category's trends, narrowed further by `narrower`
/// (a query such as `rig=RIG-A&`, or "").
fn category_bars(counts: &[dashboard::NamedCount], narrower: &str) -> Vec<Bar> {
    counts
        .iter()
        .map(|c| Bar {
            label: category_label(&c.name),
            value: c.count as f64,
            colour: charts::category_colour(&c.name),
            // Drill down: the category's trends over time and depth, its common actions.
            link: Some(format!("/dashboard/trends?{narrower}category={}", c.name)),
        })
        .collect()
}

/// `?format=csv` on a page: its table as a download instead of the page.
fn wants_csv(req: &HttpRequest) -> bool {
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .is_ok_and(|q| q.get("format").is_some_and(|f| f == "csv"))
}

/// A time for a CSV cell: RFC 3339, or empty.
fn csv_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// A 403 page when `caller`'s role is below `needed`: the page exists, they may not see it.
fn refuse_below(caller: &Caller, needed: Role) -> Option<Result<HttpResponse, ApiError>> {
    caller.require(needed).err().map(|why| {
        message(
            StatusCode::FORBIDDEN,
            "Not for your role",
            format!("{why}. An administrator can change your role."),
        )
    })
}

/// A page saying what went wrong, with its status.
pub fn message(status: StatusCode, heading: &str, text: String) -> Result<HttpResponse, ApiError> {
    render(
        status,
        &MessagePage {
            page: Chrome::bare(heading),
            heading: heading.into(),
            message: text,
        },
    )
}

/// Any other `/dashboard/...` path: a 404 page, not a JSON error; a page asked with a method it
/// does not take, a 405 page.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.match_pattern().is_some() {
        return message(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!("{} is not allowed on {}.", req.method(), req.path()),
        );
    }
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        format!("There is no dashboard page at {}.", req.path()),
    )
}
