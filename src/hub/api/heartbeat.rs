//! `POST /api/fleet/heartbeat`: a rig's KPI record, read and checked like an event (rig key,
//! zstd or plain JSON, bounded, the rig's own clock), stored raw and as the rig's latest.

use super::body::read_json;
use super::{clock, with_db, ApiError};
use crate::fleet::{FleetNotice, Heartbeat, HeartbeatReceipt};
use crate::hub::analytics::regions::UNASSIGNED;
use crate::hub::auth::RigAuth;
use crate::hub::db;
use crate::hub::intake;
use crate::hub::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;

/// Take a heartbeat: 200 with the interval the hub asks for next.
pub async fn beat(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let stored = store(&req, &auth, &state, payload).await;
    state.metrics.heartbeat(match &stored {
        Ok(_) => "stored",
        Err(e) if e.status_code().is_client_error() => "refused",
        Err(_) => "failed",
    });
    let (next_in_secs, notices) = stored?;
    Ok(HttpResponse::Ok().json(HeartbeatReceipt {
        status: "stored".into(),
        next_in_secs,
        notices,
    }))
}

/// Read, check and store one heartbeat: when the rig should beat next (later for a quiet rig of
/// a large fleet), and the notices for its region.
async fn store(
    req: &HttpRequest,
    auth: &RigAuth,
    state: &AppState,
    payload: web::Payload,
) -> Result<(u64, Vec<FleetNotice>), ApiError> {
    let rules = &state.intake;
    let now = Utc::now();
    let offset = clock::rig_clock_offset(req, now)?;
    let skew = offset.unwrap_or_else(chrono::Duration::zero);
    let mut beat: Heartbeat =
        read_json(req, payload, rules.max_body_bytes, rules.max_decoded_bytes).await?;
    // Checked on the rig's own clock, however far off: a rig whose clock is days out must
    // still be seen, and its offset is what the dashboard then shows. Filed on the hub's.
    intake::check_heartbeat(&beat, &auth.rig_id, now + skew, rules)?;
    beat.sent_at = beat.sent_at.checked_sub_signed(skew).unwrap_or(now);
    let offset_secs = offset.map(clock::secs);
    let next = state
        .profile
        .get()
        .next_beat_secs(state.analytics.heartbeat_secs, &beat);
    let (regions, hours) = (
        state.analytics.regions.clone(),
        state.analytics.correlation_window.num_hours(),
    );
    let notices = with_db(state, move |conn| {
        db::heartbeats::insert(conn, &beat, now, offset_secs)?;
        // The region of the rig's registered field, not of what its heartbeat says.
        let field = db::rigs::field(conn, beat.rig_id.as_str())?;
        let region = field.as_deref().map_or(UNASSIGNED, |f| regions.of(f));
        Ok::<_, db::DbError>(
            db::analytics::correlations_in(conn, Some(region))?
                .iter()
                .map(|(_, c)| c.notice(hours))
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok((next, notices))
}
