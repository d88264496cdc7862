//! `GET /dashboard/correlations`: the fleet correlations holding now — one category of trouble
//! on two or more rigs of a region within the window — and the depth band each warns rigs of.

use super::super::views::*;
use super::{csv_time, wants_csv};
use crate::hub::analytics::correlate::Correlation;
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db;
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// `GET /dashboard/correlations` (`?format=csv`: the table).
pub async fn correlations(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let found = with_db(&state, |conn| db::analytics::correlations_in(conn, None)).await?;
    let hours = state.analytics.correlation_window.num_hours();
    if wants_csv(&req) {
        return Ok(table_csv(&found));
    }
    let now = Utc::now();
    render(
        StatusCode::OK,
        &CorrelationsPage {
            page: Chrome::page("Correlations", &auth.0),
            window_hours: hours,
            band_ft: crate::drilling::thousands(state.analytics.correlation_depth_band_ft),
            correlations: found
                .iter()
                .map(|(seen, c)| line(c, *seen, hours, now))
                .collect(),
        },
    )
}

fn line(c: &Correlation, seen: DateTime<Utc>, hours: i64, now: DateTime<Utc>) -> CorrelationLine {
    CorrelationLine {
        text: capitalise_first(&c.describe(hours)),
        region: c.region.clone(),
        category: c.category.label().to_owned(),
        rigs: c.rigs.clone(),
        incidents: c.incidents,
        band: c.depth_band_ft.map_or_else(
            || "depths not comparable".into(),
            |(lo, hi)| {
                format!(
                    "{}–{} ft",
                    crate::drilling::thousands(lo),
                    crate::drilling::thousands(hi)
                )
            },
        ),
        first_at: c.first_at.format("%Y-%m-%d %H:%M").to_string(),
        last_at: c.last_at.format("%Y-%m-%d %H:%M").to_string(),
        seen: ago(Some(seen), now),
    }
}

fn capitalise_first(s: &str) -> String {
    crate::drilling::capitalise(s)
}

fn table_csv(found: &[(DateTime<Utc>, Correlation)]) -> HttpResponse {
    let rows = found.iter().map(|(seen, c)| {
        [
            c.region.clone(),
            c.category.as_str().to_owned(),
            c.rigs.len().to_string(),
            c.rigs.join(" "),
            c.incidents.to_string(),
            c.depth_band_ft
                .map(|b| format!("{:.0}", b.0))
                .unwrap_or_default(),
            c.depth_band_ft
                .map(|b| format!("{:.0}", b.1))
                .unwrap_or_default(),
            c.first_at.to_rfc3339(),
            c.last_at.to_rfc3339(),
            csv_time(Some(*seen)),
        ]
    });
    let header = [
        "region",
        "category",
        "rigs",
        "rig_ids",
        "incidents",
        "depth_from_ft",
        "depth_to_ft",
        "first_incident",
        "last_incident",
        "first_seen",
    ];
    csv::download("sairen-correlations.csv", csv::table(&header, rows))
}
