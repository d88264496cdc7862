//! Requests per rig key and per dashboard user per minute, with `governor` (MIT): a rig makes a
//! few a minute, and one key or account in a loop must not take the hub's workers and database
//! from the others. Counted after the credential checks out, so strangers cannot spend another's
//! allowance.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The limiter: one allowance per key (a rig id, a user name).
pub struct RequestRates {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RequestRates {
    /// `per_minute` requests per key per minute, spread evenly with a minute's burst.
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `who` may make a request now, else how long until it may.
    pub fn check(&self, who: &str) -> Result<(), Duration> {
        // One entry per registered rig or user at most: only the authenticated are counted.
        self.limiter
            .check_key(&who.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rig_past_its_minute_waits_and_others_do_not() {
        let rates = RequestRates::new(30);
        let (a, b) = ("RIG-A", "RIG-B");
        for _ in 0..30 {
            assert!(rates.check(a).is_ok());
        }
        let wait = rates.check(a).expect_err("over");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        assert!(rates.check(b).is_ok(), "another rig is not held back");
    }
}
