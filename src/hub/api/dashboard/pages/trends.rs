//! `GET /dashboard/trends?from=&to=`: the fleet over time and depth.

use super::super::data::{parse_filter, parse_range, RangeQuery};
use super::super::views::*;
use super::wants_csv;
use crate::charts::{self, Series};
use crate::drilling::AnomalyCategory;
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::dashboard::{self, EventFilter, Trends, DEPTH_BAND_FT};
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};

/// `GET /dashboard/trends?from=&to=`: the fleet over time and depth (`&format=csv&table=actions`:
/// the most common actions; `&format=csv`: the campaigns).
pub async fn trends(
    auth: PageAuth,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Read the query by hand: a malformed one is answered on the page, not with a bare 400.
    let query = web::Query::<RangeQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let (from, to, filter) = match parse_range(&query, Utc::now().date_naive())
        .and_then(|(f, t)| Ok((f, t, parse_filter(&query)?)))
    {
        Ok(asked) => asked,
        Err(e) => return bad_range(&auth, query, &e.to_string()),
    };
    let view = View { from, to, filter };
    let filter = view.filter.clone();
    let t = with_db(&state, move |conn| {
        dashboard::trends(conn, from, to, &filter)
    })
    .await?;
    if wants_csv(&req) {
        return Ok(trends_csv(&req, &t));
    }
    render(
        StatusCode::OK,
        &TrendsPage {
            page: Chrome::page("Trends", &auth.0),
            from: from.to_string(),
            to: to.to_string(),
            category: view
                .filter
                .category
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            categories: categories(),
            narrowed: view.narrowed(),
            query: view.href_with(|_| {}),
            error: None,
            charts: vec![per_day_chart(&t, &view), depth_chart(&t, &view)],
            campaigns: t
                .campaigns
                .iter()
                .map(|c| CampaignLine {
                    campaign: campaign_label(&c.campaign),
                    events: count(c.events),
                    rigs: count(c.rigs),
                    per_rig_day: format!("{:.2}", c.events_per_rig_day),
                    resolution: percent_or_none(c.resolution_rate),
                })
                .collect(),
            actions: t
                .common_actions
                .iter()
                .map(|a| ActionLine {
                    category: category_label(&a.category),
                    action: a.action.clone(),
                    count: count(a.count),
                })
                .collect(),
        },
    )
}

/// One of the page's tables as CSV, for its range: the campaigns, or `table=actions`.
fn trends_csv(req: &HttpRequest, t: &Trends) -> HttpResponse {
    let actions = req.query_string().split('&').any(|p| p == "table=actions");
    let range = format!("{}-to-{}", t.from, t.to);
    if actions {
        let rows = t
            .common_actions
            .iter()
            .map(|a| [a.category.clone(), a.action.clone(), a.count.to_string()]);
        let table = csv::table(&["category", "action", "times"], rows);
        return csv::download(&format!("sairen-actions-{range}.csv"), table);
    }
    let rows = t.campaigns.iter().map(|c| {
        [
            c.campaign.clone(),
            c.events.to_string(),
            c.rigs.to_string(),
            format!("{:.4}", c.events_per_rig_day),
            c.resolution_rate
                .map(|r| format!("{r:.4}"))
                .unwrap_or_default(),
        ]
    });
    let header = [
        "campaign",
        "events",
        "rigs",
        "events_per_rig_day",
        "resolution_rate",
    ];
    csv::download(
        &format!("sairen-campaigns-{range}.csv"),
        csv::table(&header, rows),
    )
}

/// The page again with the range as given and what is wrong with it.
fn bad_range(auth: &PageAuth, query: RangeQuery, why: &str) -> Result<HttpResponse, ApiError> {
    render(
        StatusCode::BAD_REQUEST,
        &TrendsPage {
            page: Chrome::page("Trends", &auth.0),
            from: query.from.unwrap_or_default(),
            to: query.to.unwrap_or_default(),
            category: query.category.unwrap_or_default(),
            categories: categories(),
            narrowed: vec![],
            query: String::new(),
            error: Some(format!("That query does not make sense: {why}.")),
            charts: vec![],
            campaigns: vec![],
            actions: vec![],
        },
    )
}

/// The category select's options: (wire name, label).
fn categories() -> Vec<(String, String)> {
    AnomalyCategory::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                crate::drilling::capitalise(c.label()),
            )
        })
        .collect()
}

/// Events per day, one stacked series per category that occurs in the range.
fn per_day_chart(t: &Trends, view: &View) -> Chart {
    let day_list: Vec<_> = dashboard::days(view.from, view.to).collect();
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
    Chart::new(
        "Events per day by category",
        charts::linked_columns(
            &columns,
            &series,
            "day (UTC, month-day; a column narrows to its day)",
            "events",
            &day_list
                .iter()
                .map(|d| {
                    view.href_with(|v| {
                        v.from = *d;
                        v.to = *d;
                    })
                })
                .collect::<Vec<_>>(),
        ),
        "No events in this range.",
    )
}

fn depth_chart(t: &Trends, view: &View) -> Chart {
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
    let links: Vec<String> = t
        .by_depth
        .iter()
        .map(|b| view.href_with(|v| v.filter.band_ft = Some(b.from_ft)))
        .collect();
    Chart::new(
        "Anomaly density by depth",
        charts::linked_columns(
            &bands,
            &[density],
            "measured depth band (top, thousands of ft; 1,000 ft per band; a column narrows to it)",
            "events",
            &links,
        ),
        "No events in this range.",
    )
}

/// What the page shows: its range and what narrows it, from which every link is made.
#[derive(Debug, Clone)]
struct View {
    from: NaiveDate,
    to: NaiveDate,
    filter: EventFilter,
}

impl View {
    /// The trends page for this view changed by `change`.
    fn href_with(&self, change: impl FnOnce(&mut View)) -> String {
        let mut v = self.clone();
        change(&mut v);
        let f = &v.filter;
        let band = f.band_ft.map(|b| format!("{b:.0}"));
        let pairs: Vec<(&str, String)> = [
            ("from", Some(v.from.to_string())),
            ("to", Some(v.to.to_string())),
            ("category", f.category.map(|c| c.as_str().to_owned())),
            ("rig", f.rig.as_ref().map(|r| r.as_str().to_owned())),
            ("outcome", f.outcome.map(|o| o.as_str().to_owned())),
            ("band", band),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        format!(
            "/dashboard/trends?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// What narrows the view besides the range and category (which the form shows), each with
    /// the link that lifts it.
    fn narrowed(&self) -> Vec<Narrowing> {
        let f = &self.filter;
        let mut out = Vec::new();
        if let Some(rig) = &f.rig {
            out.push(Narrowing {
                what: format!("rig {rig}"),
                name: "rig",
                value: rig.to_string(),
                lift: self.href_with(|v| v.filter.rig = None),
            });
        }
        if let Some(o) = f.outcome {
            out.push(Narrowing {
                what: format!("outcome: {}", o.label().to_lowercase()),
                name: "outcome",
                value: o.as_str().to_owned(),
                lift: self.href_with(|v| v.filter.outcome = None),
            });
        }
        if let Some(b) = f.band_ft {
            out.push(Narrowing {
                what: format!(
                    "depth {}–{} ft",
                    crate::drilling::thousands(b),
                    crate::drilling::thousands(b + DEPTH_BAND_FT)
                ),
                name: "band",
                value: format!("{b:.0}"),
                lift: self.href_with(|v| v.filter.band_ft = None),
            });
        }
        out
    }
}
