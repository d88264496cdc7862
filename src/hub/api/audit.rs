//! `GET /api/fleet/audit` (entries, JSON or CSV) and `GET /api/fleet/audit/verify` (admin).

use super::{with_db, ApiError};
use crate::hub::auth::AdminAuth;
use crate::hub::db::audit::{self, AuditEntry};
use crate::hub::intake;
use crate::hub::state::AppState;
use crate::web::csv;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Most entries one request lists.
pub const MAX_LIST: i64 = 1_000;

/// The list's filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this action (`register`, `revoke`, `sign_in`, `sign_in_refused`, `sign_out`,
    /// `outcome_update`, `wireguard_plan`, `user_added`, `user_disabled`, `password_reset`,
    /// `audit_pruned`).
    pub action: Option<String>,
    /// Only entries about this rig.
    pub rig: Option<String>,
    /// At most this many, newest first (default 100, at most 1,000).
    pub limit: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The entries, newest first.
pub async fn list(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    // Text PostgreSQL would refuse (NUL) or no action could be: a 400 naming the filter.
    for (field, value) in [("action", &q.action), ("rig", &q.rig)] {
        if let Some(v) = value {
            intake::check_label(field, v)?;
        }
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ApiError::bad_request(
            format!("limit must be 1 to {MAX_LIST}"),
            "limit",
        ));
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                format!("format must be json or csv, not {other:?}"),
                "format",
            ))
        }
    };
    let entries = with_db(&state, move |conn| {
        audit::list(conn, q.action.as_deref(), q.rig.as_deref(), limit)
    })
    .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(entries));
    }
    Ok(csv::download("sairen-audit.csv", to_csv(&entries)))
}

/// The entries as CSV.
fn to_csv(entries: &[AuditEntry]) -> String {
    let rows = entries.iter().map(|e| {
        [
            e.id.to_string(),
            e.at.to_rfc3339(),
            e.actor.clone(),
            e.source.clone(),
            e.action.clone(),
            e.rig_id.clone().unwrap_or_default(),
            e.detail.to_string(),
            e.hash.clone(),
        ]
    });
    csv::table(
        &[
            "id", "at", "actor", "source", "action", "rig_id", "detail", "hash",
        ],
        rows,
    )
}

/// Walk the chain: the entries, the head, the first break.
pub async fn verify(
    _admin: AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let found = with_db(&state, audit::verify).await?;
    Ok(HttpResponse::Ok().json(found))
}
