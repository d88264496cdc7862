//! `GET /api/fleet/dashboard/summary`, `/trends` and `/outcomes`: the dashboard's figures as JSON,
//! for scripts and other tools (admin session or admin key).

use crate::drilling::AnomalyCategory;
use crate::fleet::{OutcomeKind, RigId};
use crate::hub::api::with_db;
use crate::hub::auth::DashboardAuth;
use crate::hub::db::dashboard;
use crate::hub::db::dashboard::EventFilter;
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

/// The longest range the trends answer, in days: a year and a day.
pub const MAX_RANGE_DAYS: i64 = 366;

/// The default range: the last 30 days.
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD&category=&rig=&outcome=&band=`, each optional: the range and
/// what narrows it (a drill-down from a chart sets the last four).
#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    /// First day, UTC.
    pub from: Option<String>,
    /// Last day, UTC.
    pub to: Option<String>,
    /// One category only (its wire name, `kick`); absent or empty: every category.
    pub category: Option<String>,
    /// One rig only.
    pub rig: Option<String>,
    /// One outcome only (`resolved`, `false_positive`…).
    pub outcome: Option<String>,
    /// One depth band only: its top in ft, a multiple of 1,000.
    pub band: Option<String>,
}

/// The deepest band top the trends take, ft: deeper than any well drilled.
const DEEPEST_BAND_FT: u32 = 50_000;

/// What a query narrows the events to; anything unreadable is refused, saying what would do.
pub fn parse_filter(q: &RangeQuery) -> Result<EventFilter, RangeError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let rig = given(&q.rig)
        .map(|r| {
            RigId::parse(&r).map_err(|e| RangeError {
                field: "rig",
                message: format!("rig must be a rig id: {e}"),
            })
        })
        .transpose()?;
    let outcome = given(&q.outcome)
        .map(|o| {
            OutcomeKind::from_name(&o).ok_or_else(|| RangeError {
                field: "outcome",
                message: format!(
                    "outcome must be one of {}, not {o:?}",
                    OutcomeKind::ALL.map(OutcomeKind::as_str).join(", ")
                ),
            })
        })
        .transpose()?;
    let band_ft = given(&q.band)
        .map(|b| match b.parse::<u32>() {
            Ok(ft) if ft % 1_000 == 0 && ft <= DEEPEST_BAND_FT => Ok(f64::from(ft)),
            _ => Err(RangeError {
                field: "band",
                message: format!(
                    "band must be the top of a 1,000 ft band, 0 to {DEEPEST_BAND_FT} ft, not {b:?}"
                ),
            }),
        })
        .transpose()?;
    Ok(EventFilter {
        category: parse_category(q)?,
        rig,
        outcome,
        band_ft,
    })
}

/// The category a query asks for, if any: an unknown name is refused, naming the known ones.
fn parse_category(q: &RangeQuery) -> Result<Option<AnomalyCategory>, RangeError> {
    match q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => Ok(None),
        Some(name) => AnomalyCategory::from_name(name)
            .map(Some)
            .ok_or_else(|| RangeError {
                field: "category",
                message: format!(
                    "category must be one of {}, not {name:?}",
                    AnomalyCategory::ALL.map(AnomalyCategory::as_str).join(", ")
                ),
            }),
    }
}

/// A date range that makes sense, or which field does not and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RangeError {
    /// `from` or `to`.
    pub field: &'static str,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

/// Read a range against `today` (UTC): defaults to the last 30 days ending today (or ending `to`,
/// or starting `from`); refuses unreadable dates, `from` after `to`, and more than a year.
pub fn parse_range(q: &RangeQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), RangeError> {
    let date =
        |field: &'static str, text: &Option<String>| -> Result<Option<NaiveDate>, RangeError> {
            match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| RangeError {
                        field,
                        message: format!("{field} must be a date like 2026-11-01, not {t:?}"),
                    }),
            }
        };
    let span = Duration::days(DEFAULT_RANGE_DAYS - 1);
    let (from, to) = match (date("from", &q.from)?, date("to", &q.to)?) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, (f + span).min(today).max(f)),
        (None, Some(t)) => (t - span, t),
        (None, None) => (today - span, today),
    };
    if from > to {
        return Err(RangeError {
            field: "from",
            message: format!("from ({from}) is after to ({to}): swap them"),
        });
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(RangeError {
            field: "to",
            message: format!(
                "{from} to {to} is {} days; ask for at most {MAX_RANGE_DAYS}",
                (to - from).num_days() + 1
            ),
        });
    }
    Ok((from, to))
}

impl From<RangeError> for ApiError {
    fn from(e: RangeError) -> Self {
        ApiError::bad_request(e.message, e.field)
    }
}

/// `GET /api/fleet/dashboard/summary`.
pub async fn summary(
    _admin: DashboardAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let stale = state.analytics.stale_after_secs();
    let summary = with_db(&state, move |conn| dashboard::summary(conn, stale)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// `GET /api/fleet/dashboard/trends?from=&to=` (default: the last 30 days).
pub async fn trends(
    _admin: DashboardAuth,
    state: web::Data<AppState>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = parse_range(&query, Utc::now().date_naive())?;
    let filter = parse_filter(&query)?;
    let trends = with_db(&state, move |conn| {
        dashboard::trends(conn, from, to, &filter)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trends))
}

/// `GET /api/fleet/dashboard/outcomes`.
pub async fn outcomes(
    _admin: DashboardAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let outcomes = with_db(&state, dashboard::outcomes).await?;
    Ok(HttpResponse::Ok().json(outcomes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: Option<&str>, to: Option<&str>) -> RangeQuery {
        RangeQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
            ..RangeQuery::default()
        }
    }

    #[test]
    fn a_category_is_one_of_the_known_or_refused_naming_them() {
        let with = |c: &str| RangeQuery {
            category: Some(c.into()),
            ..q(None, None)
        };
        assert_eq!(
            parse_category(&with("kick")),
            Ok(Some(AnomalyCategory::Kick))
        );
        assert_eq!(parse_category(&with(" ")), Ok(None));
        let e = parse_category(&with("ghost")).expect_err("unknown");
        assert_eq!(e.field, "category");
        assert!(e.message.contains("lost_circulation"), "{}", e.message);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn ranges_default_to_the_last_thirty_days() {
        let today = d("2026-11-23");
        assert_eq!(
            parse_range(&q(None, None), today),
            Ok((d("2026-10-25"), today))
        );
        assert_eq!(
            parse_range(&q(None, Some("2026-02-10")), today),
            Ok((d("2026-01-12"), d("2026-02-10")))
        );
        assert_eq!(
            parse_range(&q(Some("2026-11-20"), None), today),
            Ok((d("2026-11-20"), today))
        );
        assert_eq!(
            parse_range(&q(Some(" "), Some("")), today),
            Ok((d("2026-10-25"), today)),
            "blank fields from an empty form are absent"
        );
    }

    #[test]
    fn senseless_ranges_say_why() {
        let today = d("2026-11-23");
        let e = parse_range(&q(Some("2026-11-20"), Some("2026-11-01")), today).unwrap_err();
        assert_eq!(e.field, "from");
        assert!(e.message.contains("after"), "{e}");
        let e = parse_range(&q(Some("yesterday"), None), today).unwrap_err();
        assert!(e.message.contains("2026-11-01"), "{e}");
        let e = parse_range(&q(Some("2020-01-01"), Some("2026-01-01")), today).unwrap_err();
        assert_eq!(e.field, "to");
        assert!(e.message.contains("366"), "{e}");
        assert!(parse_range(&q(Some("2026-02-30"), None), today).is_err());
    }
}
