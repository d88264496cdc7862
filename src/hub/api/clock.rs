//! `X-Rig-Clock`: the rig's wall clock when it sent the request (RFC 3339). The hub reads the
//! rig's offset from it, checks an upload's times against the rig's own clock so that a rig whose
//! clock runs fast loses nothing, files the event on the hub's clock, and keeps the offset on the
//! rig's row for the dashboard. A request without the header is read on the hub's clock.

use super::ApiError;
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};

/// The header.
pub const HEADER: &str = "X-Rig-Clock";

/// Largest offset the hub corrects an upload for: an offset is the rig's word, and a day bounds
/// how far it can move its events' times.
pub fn max_offset() -> Duration {
    Duration::days(1)
}

/// How far the rig's clock is ahead of `now` (negative: behind), if the request says.
pub fn rig_clock_offset(
    req: &HttpRequest,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, ApiError> {
    let mut values = req.headers().get_all(HEADER);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            format!("{HEADER} was sent more than once"),
            HEADER,
        ));
    }
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request(format!("{HEADER} is not text"), HEADER))?;
    let rig_now = DateTime::parse_from_rfc3339(text).map_err(|e| {
        ApiError::bad_request(
            format!("{HEADER} must be an RFC 3339 time such as 2026-12-03T04:05:06.789Z ({e})"),
            HEADER,
        )
    })?;
    Ok(Some(rig_now.with_timezone(&Utc) - now))
}

/// The offset an upload is corrected by: refused (422 `clock_skew`, which a rig retries and
/// never drops) beyond [`max_offset`]. A sync is answered whatever the rig's clock says.
pub fn correctable(offset: Option<Duration>) -> Result<Duration, ApiError> {
    let offset = offset.unwrap_or_else(Duration::zero);
    if offset.abs() > max_offset() {
        return Err(ApiError::ClockSkew(format!(
            "the rig's clock is {:.1} h {} the hub's, more than the hub corrects: set the rig's \
             clock (NTP); it keeps its events until then",
            offset.num_seconds().abs() as f64 / 3600.0,
            if offset > Duration::zero() {
                "ahead of"
            } else {
                "behind"
            }
        )));
    }
    Ok(offset)
}

/// An offset in seconds, as stored and shown.
pub fn secs(offset: Duration) -> f64 {
    offset.num_milliseconds() as f64 / 1e3
}
