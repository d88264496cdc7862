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
    let profile = state.profile.get();
    let (regions, hours) = (
        state.analytics.regions.clone(),
        state.analytics.correlation_window.num_hours(),
    );
    let rig = beat.rig_id.as_str().to_owned();
    // Taken before the read, so a change while reading makes what is read count as stale.
    let stamp = state.watch.notices_stamp();
    let cached = state.notices.get(&state.watch, &rig);
    let kept = cached.is_some();
    let (deviation, read) = with_db(state, move |conn| {
        let previous = db::heartbeats::insert(conn, &beat, now, offset_secs)?;
        let deviation = crate::hub::analytics::profile::deviation(previous.as_ref(), &beat);
        if kept {
            return Ok((deviation, None));
        }
        // The region of the rig's registered field, not of what its heartbeat says.
        let field = db::rigs::field(conn, beat.rig_id.as_str())?;
        let region = field.as_deref().map_or(UNASSIGNED, |f| regions.of(f));
        let notices: Vec<FleetNotice> = db::analytics::correlations_in(conn, Some(region))?
            .iter()
            .map(|(_, c)| c.notice(hours))
            .collect();
        Ok::<_, db::DbError>((deviation, Some(notices)))
    })
    .await?;
    if let Some(why) = deviation {
        state.metrics.heartbeat_deviation();
        if profile.wakes_on_deviation() {
            log::debug!("heartbeat of {rig}: {why}; the fleet's figures are brought up to date");
            state.aggregator.wake();
        }
    }
    let notices = match (read, cached) {
        (Some(read), _) => {
            state.notices.put(stamp, &rig, &read);
            read
        }
        (None, kept) => kept.map(|k| k.to_vec()).unwrap_or_default(),
    };
    Ok((next, notices))
}
