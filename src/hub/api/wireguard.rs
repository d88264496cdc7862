//! `PUT /api/fleet/wireguard` and `GET /api/fleet/wireguard` (admin): the tunnel's plan and the
//! addresses the hub keeps. `sairen admin wireguard` writes the configs from the answer.

use super::{with_db, ApiError};
use crate::fleet::wireguard::{is_key, WireguardPlan};
use crate::hub::auth::AdminAuth;
use crate::hub::db::wireguard::{self, PlanError};
use crate::hub::state::AppState;
use actix_web::{web, HttpResponse};

impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Invalid(why) => ApiError::bad_request(why, "wireguard"),
            PlanError::Db(e) => e.into(),
        }
    }
}

/// Take a plan; answer the whole tunnel.
pub async fn put(
    req: actix_web::HttpRequest,
    admin: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<WireguardPlan>,
) -> Result<HttpResponse, ApiError> {
    let plan = body.into_inner();
    if !is_key(&plan.hub_public_key) {
        return Err(ApiError::bad_request(
            "hub_public_key must be a WireGuard key (base64 of 32 bytes, as `wg pubkey` writes)",
            "hub_public_key",
        ));
    }
    if let Some(bad) = plan.peers.iter().find(|p| !is_key(&p.public_key)) {
        return Err(ApiError::bad_request(
            format!("peers: the key of {} is not a WireGuard key", bad.rig_id),
            "peers.public_key",
        ));
    }
    let source = crate::web::client_address(&req);
    let actor = admin.0.actor();
    let assignment = with_db(&state, move |conn| {
        let who = crate::hub::db::audit::Who {
            actor: &actor,
            source: &source,
        };
        wireguard::apply(conn, &plan, who)
    })
    .await?;
    Ok(HttpResponse::Ok().json(assignment))
}

/// The tunnel as stored.
pub async fn get(_admin: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match with_db(&state, wireguard::read).await? {
        Some(a) => Ok(HttpResponse::Ok().json(a)),
        None => Err(ApiError::NotFound(
            "no WireGuard plan yet: run `sairen admin wireguard`".into(),
        )),
    }
}
