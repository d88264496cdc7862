//! Analysis slots: `GET /api/fleet/analysers` (any signed-in user: what runs, and what it found)
//! and `PUT /api/fleet/analysers/{id}` (operators and administrators: switch one on or off, set
//! its confidence threshold and its least interval). The dashboard's Analysers page comes here.

use super::{with_db, ApiError};
use crate::hub::analytics::analysers;
use crate::hub::auth::{Caller, DashboardAuth, Role};
use crate::hub::db::analysers::{self as slots, Slot, SlotChange, StoredFinding};
use crate::hub::db::audit::Who;
use crate::hub::db::DbError;
use crate::hub::state::AppState;
use crate::web::client_address;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

/// One analyser as the API shows it: its code's id, version and purpose, and its slot.
#[derive(Debug, Serialize)]
pub struct AnalyserView {
    /// Its id.
    pub id: String,
    /// Its code's version (stored with its findings).
    pub version: i32,
    /// What it does.
    pub about: String,
    /// Its slot.
    #[serde(flatten)]
    pub slot: Slot,
    /// Findings it holds now.
    pub findings: usize,
}

/// Every analyser and every current finding.
#[derive(Debug, Serialize)]
pub struct Analysers {
    /// The analysers.
    pub analysers: Vec<AnalyserView>,
    /// Their findings, most confident first.
    pub findings: Vec<StoredFinding>,
}

/// Read every slot and finding.
pub fn read(conn: &mut diesel::PgConnection) -> Result<Analysers, DbError> {
    let findings = slots::findings(conn, None)?;
    let code = analysers::all();
    let analysers = slots::slots(conn)?
        .into_iter()
        .filter_map(|slot| {
            let a = code.iter().find(|a| a.id() == slot.id)?;
            Some(AnalyserView {
                id: slot.id.clone(),
                version: a.version(),
                about: a.about().into(),
                findings: findings.iter().filter(|f| f.analyser_id == slot.id).count(),
                slot,
            })
        })
        .collect();
    Ok(Analysers {
        analysers,
        findings,
    })
}

/// `GET /api/fleet/analysers`.
pub async fn list(
    _caller: DashboardAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(with_db(&state, read).await?))
}

/// Check a change's figures: 400 naming the field.
fn check(c: &SlotChange) -> Result<(), ApiError> {
    if let Some(v) = c.min_confidence {
        if !(0.0..=1.0).contains(&v) {
            return Err(ApiError::bad_request(
                format!("min_confidence must be between 0 and 1, not {v}"),
                "min_confidence",
            ));
        }
    }
    if let Some(v) = c.min_interval_secs {
        if !(0..=86_400).contains(&v) {
            return Err(ApiError::bad_request(
                format!("min_interval_secs must be 0 to 86400, not {v}"),
                "min_interval_secs",
            ));
        }
    }
    Ok(())
}

/// Change analyser `id`'s slot as `by` (an operator or above); audited. 404 for no such analyser.
pub async fn change_slot(
    state: &AppState,
    by: &Caller,
    source: String,
    id: String,
    change: SlotChange,
) -> Result<Slot, ApiError> {
    by.require(Role::Operator)?;
    // Only the analysers this hub has: an unknown id (a NUL in it, even) never reaches SQL.
    if !analysers::all().iter().any(|a| a.id() == id) {
        return Err(ApiError::NotFound(format!("no analyser {id:?}")));
    }
    check(&change)?;
    let (actor, missing) = (by.actor(), id.clone());
    let slot = with_db(state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        slots::change(conn, &id, &change, who)
    })
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no analyser {missing}")))?;
    log::info!(
        "{} set analyser {}: {}, min confidence {}, at most every {} s",
        by.actor(),
        slot.id,
        if slot.active { "on" } else { "off" },
        slot.min_confidence,
        slot.min_interval_secs
    );
    Ok(slot)
}

/// `PUT /api/fleet/analysers/{id}`.
pub async fn change(
    req: HttpRequest,
    caller: DashboardAuth,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<SlotChange>,
) -> Result<HttpResponse, ApiError> {
    let slot = change_slot(
        &state,
        &caller.0,
        client_address(&req),
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(slot))
}
