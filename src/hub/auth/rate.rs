//! Requests per rig key per minute, with `governor` (MIT): a rig makes a few a minute, and one key
//! in a loop must not take the hub's workers and database from the others. Counted per rig after
//! its key checks out, so strangers cannot spend a rig's allowance.

use crate::fleet::RigId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The limiter.
pub struct RigRates {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RigRates {
    /// `per_minute` requests per rig per minute, spread evenly with a minute's burst.
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `rig` may make a request now, else how long until it may.
    pub fn check(&self, rig: &RigId) -> Result<(), Duration> {
        // One entry per registered rig at most: only authenticated rigs are counted.
        self.limiter
            .check_key(&rig.as_str().to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rig_past_its_minute_waits_and_others_do_not() {
        let rates = RigRates::new(30);
        let (a, b) = (
            RigId::parse("RIG-A").expect("id"),
            RigId::parse("RIG-B").expect("id"),
        );
        for _ in 0..30 {
            assert!(rates.check(&a).is_ok());
        }
        let wait = rates.check(&a).expect_err("over");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        assert!(rates.check(&b).is_ok(), "another rig is not held back");
    }
}
