//! `GET /dashboard/library`: is the precedent library any good?

use super::super::views::*;
use super::{category_bars, wants_csv};
use crate::charts::{self, Series};
use crate::drilling::AnomalyCategory;
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::dashboard::{self, LibraryHealth};
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// A library where one rig holds more than this share is flagged: its precedents are one crew's.
const DOMINANT_SHARE: f64 = 0.5;

/// `GET /dashboard/library`: is the precedent library any good? (`?format=csv`: the
/// contribution per rig.)
pub async fn library(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let h = with_db(&state, dashboard::library_health).await?;
    if wants_csv(&req) {
        let total: i64 = h.contribution.iter().map(|c| c.count).sum();
        let rows = h.contribution.iter().map(|c| {
            [
                c.name.clone(),
                c.count.to_string(),
                format!("{:.4}", c.count as f64 / total.max(1) as f64),
            ]
        });
        let table = csv::table(&["rig_id", "active_episodes", "share"], rows);
        return Ok(csv::download("sairen-library-contribution.csv", table));
    }
    render(
        StatusCode::OK,
        &LibraryPage {
            page: Chrome::page("Library health", &auth.0),
            tiles: tiles(&h),
            warning: dominance(&h),
            charts: charts(&h),
            uncovered: h
                .coverage
                .iter()
                .filter(|c| c.count == 0)
                .map(|c| category_label(&c.name))
                .collect(),
            contributions: h
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
                .collect(),
        },
    )
}

/// A warning when one rig supplies most of the library.
fn dominance(h: &LibraryHealth) -> Option<String> {
    let top = h.contribution.first()?;
    let share = top.count as f64 / h.active_episodes as f64;
    (h.active_episodes > 0 && share > DOMINANT_SHARE).then(|| {
        format!(
            "{} supplies {:.0} % of the library: its precedents are one crew's habits. \
             Precedents from more rigs make the library better.",
            top.name,
            100.0 * share
        )
    })
}

fn tiles(h: &LibraryHealth) -> Vec<Tile> {
    let covered = h.coverage.iter().filter(|c| c.count > 0).count();
    // Every rig tied for the most, not the first of them in name order.
    let most = h.contribution.first().map_or(0, |c| c.count);
    let tied: Vec<&str> = h
        .contribution
        .iter()
        .take_while(|c| c.count == most && most > 0)
        .map(|c| c.name.as_str())
        .collect();
    let top = match tied.as_slice() {
        [] => String::new(),
        [one] => format!("most from {one}"),
        [a, b] => format!("{a} and {b} equally"),
        many => format!("{} rigs equally", many.len()),
    };
    vec![
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
        Tile::new("Contributing rigs", count(h.contribution.len() as i64), top),
    ]
}

fn charts(h: &LibraryHealth) -> Vec<Chart> {
    let bins: Vec<String> = (0..10)
        .map(|i| format!("{:.1}–{:.1}", i as f64 / 10.0, (i + 1) as f64 / 10.0))
        .collect();
    let histogram = Series {
        name: "episodes".into(),
        colour: "#1f77b4",
        values: h.score_histogram.iter().map(|n| *n as f64).collect(),
    };
    vec![
        Chart::new(
            "Score histogram (curator score, 0–1)",
            charts::stacked_columns(&bins, &[histogram], "score", "active episodes"),
            "The library is empty: no event has been curated yet.",
        ),
        Chart::new(
            "Category coverage",
            charts::horizontal_bars(&category_bars(&h.coverage, ""), "active episodes"),
            "No precedent in any category yet.",
        ),
    ]
}
