//! The rig registry: register, list, show, revoke (admin only).

use super::{with_db, ApiError};
use crate::fleet::{EventBrief, RegisterRig, RegisteredRig, RigDetail, RigId, RigSummary};
use crate::hub::auth::{AdminAuth, RigKey};
use crate::hub::db::audit::Who;
use crate::hub::db::models::{NewRig, RigRow};
use crate::hub::db::{self, DbError};
use crate::hub::intake;
use crate::hub::state::AppState;
use crate::web::client_address;
use actix_web::{web, HttpRequest, HttpResponse};

impl From<RigRow> for RigSummary {
    fn from(r: RigRow) -> Self {
        Self {
            rig_id: r.rig_id,
            well_id: r.well_id,
            field: r.field,
            status: r.status,
            key_id: r.key_id,
            registered_at: r.registered_at,
            revoked_at: r.revoked_at,
            last_seen: r.last_seen,
            last_sync: r.last_sync,
            library_version: r.library_version,
            event_count: r.event_count,
        }
    }
}

/// Register a rig and return its API key, once.
pub async fn register(
    req: HttpRequest,
    admin: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<RegisterRig>,
) -> Result<HttpResponse, ApiError> {
    let source = client_address(&req);
    let actor = admin.0.actor();
    let body = body.into_inner();
    intake::check_label("well_id", &body.well_id)?;
    intake::check_label("field", &body.field)?;
    let rig_id = body.rig_id.clone();
    let (row, key) = with_db(
        &state,
        move |conn| -> Result<(Option<RigRow>, RigKey), ApiError> {
            let key = RigKey::generate();
            let key_hash = key.hash()?;
            let new = NewRig {
                rig_id: body.rig_id.as_str(),
                well_id: &body.well_id,
                field: &body.field,
                key_id: key.key_id(),
                key_hash: &key_hash,
            };
            let who = Who {
                actor: &actor,
                source: &source,
            };
            Ok((db::rigs::register(conn, &new, who)?, key))
        },
    )
    .await?;
    let row = row.ok_or_else(|| {
        ApiError::Conflict(format!(
            "rig {rig_id} is already registered; revoked rigs keep their id"
        ))
    })?;
    log::info!("registered rig {} (key id {})", row.rig_id, row.key_id);
    Ok(HttpResponse::Created().json(RegisteredRig {
        rig: row.into(),
        api_key: key.reveal().expose().to_owned(),
        note: "Store this key now (SAIREN_RIG_API_KEY on the rig): the hub keeps only its hash and cannot show it again."
            .into(),
    }))
}

/// Every registered rig.
pub async fn list(_admin: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = with_db(&state, db::rigs::list).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(RigSummary::from).collect::<Vec<_>>()))
}

/// One rig and its latest events.
pub async fn show(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<RigId>,
) -> Result<HttpResponse, ApiError> {
    let no_rig = ApiError::NotFound(format!("no rig {id}"));
    let found = with_db(&state, move |conn| rig_with_events(conn, &id)).await?;
    let (rig, events) = found.ok_or(no_rig)?;
    Ok(HttpResponse::Ok().json(RigDetail {
        rig: rig.into(),
        recent_events: events,
    }))
}

/// A rig's row and its 20 latest events, if it is registered.
fn rig_with_events(
    conn: &mut diesel::PgConnection,
    id: &RigId,
) -> Result<Option<(RigRow, Vec<EventBrief>)>, DbError> {
    let Some(rig) = db::rigs::find(conn, id.as_str())? else {
        return Ok(None);
    };
    let events = db::events::recent_for_rig(conn, id.as_str(), 20)?;
    Ok(Some((rig, events)))
}

/// Revoke a rig: its key is refused from this moment, in every hub process.
pub async fn revoke(
    req: HttpRequest,
    admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<RigId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let source = client_address(&req);
    let actor = admin.0.actor();
    let result = with_db(&state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        db::rigs::revoke(conn, lookup.as_str(), who)
    })
    .await?;
    let (row, newly) = result.ok_or_else(|| ApiError::NotFound(format!("no rig {id}")))?;
    state.keys.forget_rig(&id);
    if newly {
        log::info!("revoked rig {id}");
    }
    Ok(HttpResponse::Ok().json(RigSummary::from(row)))
}
