//! `GET /dashboard/audit`: who did what, from where — filtered, with the chain's state and a CSV
//! export of what is shown.

use super::super::views::*;
use crate::hub::api::with_db;
use crate::hub::auth::{PageAuth, Role};
use crate::hub::db::audit::{self, Verification};
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Entries the page shows.
const SHOWN: i64 = 200;

/// The page's filters (a GET form).
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Only this action.
    pub action: Option<String>,
    /// Only this rig.
    pub rig: Option<String>,
}

/// Every action the hub records, for the filter's choices.
const ACTIONS: [&str; 11] = [
    "register",
    "revoke",
    "sign_in",
    "sign_in_refused",
    "sign_out",
    "outcome_update",
    "wireguard_plan",
    "user_added",
    "user_disabled",
    "password_reset",
    "audit_pruned",
];

/// `GET /dashboard/audit`.
pub async fn audit(
    auth: PageAuth,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Some(refused) = super::refuse_below(&auth.0, Role::Admin) {
        return refused;
    }
    let q = query.into_inner();
    // Only known actions and id-shaped rigs reach the query and the export link.
    let action = q.action.filter(|a| ACTIONS.contains(&a.as_str()));
    let rig = q.rig.filter(|r| {
        !r.is_empty()
            && r.len() <= 64
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    let (a, r) = (action.clone(), rig.clone());
    let (entries, chain) = with_db(&state, move |conn| {
        Ok::<_, crate::hub::db::DbError>((
            audit::list(conn, a.as_deref(), r.as_deref(), SHOWN)?,
            audit::verify(conn)?,
        ))
    })
    .await?;
    let mut export = "/api/fleet/audit?format=csv&limit=1000".to_owned();
    for (name, value) in [("action", &action), ("rig", &rig)] {
        if let Some(v) = value {
            export.push_str(&format!("&{name}={v}"));
        }
    }
    render(
        StatusCode::OK,
        &AuditPage {
            page: Chrome::page("Audit trail", &auth.0),
            chain: chain_words(&chain),
            broken: chain.problem.is_some(),
            actions: ACTIONS
                .iter()
                .map(|a| ((*a).to_owned(), action.as_deref() == Some(*a)))
                .collect(),
            rig: rig.unwrap_or_default(),
            export,
            entries: entries
                .into_iter()
                .map(|e| AuditLine {
                    id: e.id.to_string(),
                    at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    action: e.action,
                    actor: e.actor,
                    source: if e.source.is_empty() {
                        "—".into()
                    } else {
                        e.source
                    },
                    rig_id: e.rig_id.unwrap_or_else(|| "—".into()),
                    detail: e.detail.to_string(),
                })
                .collect(),
        },
    )
}

/// The chain's state in one sentence.
fn chain_words(v: &Verification) -> String {
    match (&v.problem, &v.head) {
        (Some(p), _) => format!("The chain is broken: {p}. Entries from there on cannot be trusted."),
        (None, Some((id, hash))) => format!(
            "The chain holds over {} entries. Head: entry {id}, {hash} — keep it elsewhere to catch a rewrite later.",
            count(v.entries),
        ),
        (None, None) => "Nothing recorded yet.".into(),
    }
}
