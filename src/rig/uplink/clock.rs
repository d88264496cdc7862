//! The rig's clock against the hub's. A rig box offline for weeks has no NTP, and its clock
//! drifts; the hub's answers carry its `Date`, which says how far off this rig is. The link
//! reports that offset (health, metrics, `/api/v1/fleet`), never drops an event the hub refused
//! for the clock, and re-stamps its queue when the wall clock is stepped under it.

use awc::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use std::time::Instant;

/// A wall clock that moves this much more or less than the monotonic clock between two looks
/// was stepped (NTP, an operator); smaller differences are drift and scheduling.
const STEP: Duration = Duration::seconds(5);

/// How far this rig's clock is ahead of the hub's, seconds, from a `Date` header (whole seconds,
/// RFC 7231) received over an exchange from `sent` to `received` on this rig's clock: the hub
/// stamped it somewhere in between, and the header's second covers half a second on average.
pub fn offset_from_date(sent: DateTime<Utc>, received: DateTime<Utc>, date: &str) -> Option<f64> {
    let hub = DateTime::parse_from_rfc2822(date).ok()?.with_timezone(&Utc);
    let middle = sent + (received - sent) / 2;
    let hub_mid = hub + Duration::milliseconds(500);
    Some((middle - hub_mid).num_milliseconds() as f64 / 1e3)
}

/// Whether the hub refused something for this rig's clock (422, code `clock_skew`).
pub fn is_clock_refusal(status: StatusCode, body: &str) -> bool {
    status == StatusCode::UNPROCESSABLE_ENTITY
        && serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| v["code"] == "clock_skew")
}

/// Watches the wall clock against the monotonic clock for steps.
#[derive(Debug)]
pub struct StepWatch {
    wall: DateTime<Utc>,
    mono: Instant,
}

impl Default for StepWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl StepWatch {
    /// Start watching now.
    pub fn new() -> Self {
        Self {
            wall: Utc::now(),
            mono: Instant::now(),
        }
    }

    /// The step since the last look, if the wall clock was stepped (positive: set forward).
    pub fn step(&mut self) -> Option<Duration> {
        self.step_at(Utc::now(), Instant::now())
    }

    fn step_at(&mut self, wall: DateTime<Utc>, mono: Instant) -> Option<Duration> {
        let moved = Duration::from_std(mono.duration_since(self.mono)).unwrap_or(Duration::MAX);
        let step = (wall - self.wall) - moved;
        self.wall = wall;
        self.mono = mono;
        (step.abs() >= STEP).then_some(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_read_at_the_middle_of_the_exchange_and_of_the_dates_second() {
        let sent = DateTime::parse_from_rfc3339("2026-12-03T04:10:00.000Z")
            .expect("t")
            .with_timezone(&Utc);
        // Ten minutes fast: the hub said 04:00:00 while this rig's clock read 04:10:00.2 mid-way.
        let received = sent + Duration::milliseconds(400);
        let offset =
            offset_from_date(sent, received, "Thu, 03 Dec 2026 04:00:00 GMT").expect("date");
        assert!((offset - 599.7).abs() < 1e-9, "{offset}");
        let slow = offset_from_date(sent, received, "Thu, 03 Dec 2026 04:20:00 GMT").expect("date");
        assert!((slow + 600.3).abs() < 1e-9, "{slow}");
        assert_eq!(offset_from_date(sent, received, "yesterday"), None);
    }

    #[test]
    fn only_the_hubs_clock_refusal_is_one() {
        let skew = r#"{"error":"timestamp … ahead","code":"clock_skew","details":[]}"#;
        assert!(is_clock_refusal(StatusCode::UNPROCESSABLE_ENTITY, skew));
        let old = r#"{"error":"too old","code":"unprocessable","details":[]}"#;
        assert!(!is_clock_refusal(StatusCode::UNPROCESSABLE_ENTITY, old));
        assert!(!is_clock_refusal(StatusCode::BAD_REQUEST, skew));
        assert!(!is_clock_refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "<html>"
        ));
    }

    #[test]
    fn a_step_is_the_wall_clocks_move_beyond_the_monotonic_clocks() {
        let mono = Instant::now();
        let wall = Utc::now();
        let mut w = StepWatch { wall, mono };
        let later = mono + std::time::Duration::from_secs(30);
        // Thirty seconds on both: no step.
        assert_eq!(w.step_at(wall + Duration::seconds(30), later), None);
        // Thirty more on the monotonic clock, but NTP set the wall clock back ten minutes.
        let step = w.step_at(
            wall + Duration::seconds(60) - Duration::minutes(10),
            later + std::time::Duration::from_secs(30),
        );
        assert_eq!(step, Some(Duration::minutes(-10)));
        // Two seconds of drift is no step.
        assert_eq!(
            w.step_at(
                wall + Duration::seconds(92) - Duration::minutes(10),
                later + std::time::Duration::from_secs(60)
            ),
            None
        );
    }
}
