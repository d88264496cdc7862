//! Storm mode: when uploads arrive at many times the fleet's normal rate (a region-wide event, a
//! fleet of rigs coming back online at once), the hub protects what matters. Non-critical uploads
//! are answered 429 with `Retry-After` — rigs keep them queued and send them later, nothing is
//! lost — CRITICAL ones are always taken, and curation and aggregation wait until it is over.
//!
//! The rate is this process's own (each hub process behind a balancer sees its share): uploads in
//! the last `window_secs`, as a per-minute rate, against the normal rate — a moving average of past
//! calm minutes — times `multiple`, and never below `min_events_per_minute`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// `[storm]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct StormSettings {
    /// Off: uploads are never refused for the rate.
    pub enabled: bool,
    /// A storm is a rate above this many times the normal one…
    pub multiple: f64,
    /// …and above this many uploads a minute whatever the normal rate.
    pub min_events_per_minute: f64,
    /// The rate is measured over this many seconds.
    pub window_secs: u64,
    /// The storm is over once the rate has stayed below half the trigger this long.
    pub calm_secs: u64,
    /// What a refused rig is told to wait.
    pub retry_after_secs: u64,
}

impl Default for StormSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            multiple: 10.0,
            min_events_per_minute: 120.0,
            window_secs: 60,
            calm_secs: 30,
            retry_after_secs: 15,
        }
    }
}

/// Storm mode as the dashboard and `/api/fleet/health` report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StormReport {
    /// Whether it is on.
    pub on: bool,
    /// Since when.
    pub since: Option<DateTime<Utc>>,
    /// Uploads a minute now.
    pub rate_per_minute: f64,
    /// The normal rate, a minute.
    pub normal_per_minute: f64,
    /// The rate past which a storm begins.
    pub trigger_per_minute: f64,
    /// Why, in words (empty when off).
    pub why: String,
}

#[derive(Debug, Default)]
struct State {
    /// Upload arrivals per second: (unix second, count), oldest first.
    seconds: VecDeque<(i64, u32)>,
    /// Arrivals per completed calm minute, averaged (exponentially, over about an hour).
    normal: f64,
    /// The minute being counted for the average, its count so far, and whether a storm touched it.
    minute: (i64, u32, bool),
    since: Option<DateTime<Utc>>,
    calm_since: Option<DateTime<Utc>>,
}

/// The gauge every upload passes; cheap (one short lock).
#[derive(Debug)]
pub struct Storm {
    settings: StormSettings,
    state: Mutex<State>,
}

/// Weight of each new calm minute in the normal rate: about an hour's memory.
const ALPHA: f64 = 1.0 / 60.0;

impl Storm {
    /// A gauge with these settings.
    pub fn new(settings: StormSettings) -> Self {
        Self {
            settings,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn trigger(&self, normal: f64) -> f64 {
        (normal * self.settings.multiple).max(self.settings.min_events_per_minute)
    }

    /// Count an upload arriving at `now`; then whether storm mode is on.
    pub fn arrive(&self, now: DateTime<Utc>) -> bool {
        let mut s = self.lock();
        let sec = now.timestamp();
        match s.seconds.back_mut() {
            Some((t, n)) if *t == sec => *n += 1,
            _ => s.seconds.push_back((sec, 1)),
        }
        let minute = sec / 60;
        if s.minute.0 != minute {
            // A minute ended: a calm one teaches the normal rate; a stormy one must not.
            if s.minute.0 != 0 && !s.minute.2 {
                s.normal = if s.normal == 0.0 {
                    f64::from(s.minute.1)
                } else {
                    s.normal + ALPHA * (f64::from(s.minute.1) - s.normal)
                };
            }
            s.minute = (minute, 0, false);
        }
        s.minute.1 += 1;
        let on = self.update(&mut s, now);
        s.minute.2 |= on;
        on
    }

    /// Re-judge at `now` (a quiet hub must also leave a storm): whether it is on.
    pub fn is_on(&self, now: DateTime<Utc>) -> bool {
        let mut s = self.lock();
        self.update(&mut s, now)
    }

    fn rate(&self, s: &mut State, now: DateTime<Utc>) -> f64 {
        let window = self.settings.window_secs.max(1) as i64;
        let from = now.timestamp() - window;
        while s.seconds.front().is_some_and(|(t, _)| *t <= from) {
            s.seconds.pop_front();
        }
        let n: u32 = s.seconds.iter().map(|(_, n)| n).sum();
        f64::from(n) * 60.0 / window as f64
    }

    fn update(&self, s: &mut State, now: DateTime<Utc>) -> bool {
        if !self.settings.enabled {
            return false;
        }
        let rate = self.rate(s, now);
        let trigger = self.trigger(s.normal);
        match s.since {
            None if rate > trigger => {
                s.since = Some(now);
                s.calm_since = None;
                log::warn!(
                    "storm mode on: {rate:.0} uploads a minute against a normal {:.1} (trigger {trigger:.0}); \
                     non-critical uploads are asked to wait, curation and aggregation deferred",
                    s.normal
                );
            }
            Some(_) if rate < trigger / 2.0 => {
                let calm = *s.calm_since.get_or_insert(now);
                if (now - calm).num_seconds() >= self.settings.calm_secs as i64 {
                    s.since = None;
                    s.calm_since = None;
                    log::info!("storm mode off: {rate:.0} uploads a minute; curation and aggregation resume");
                }
            }
            Some(_) => s.calm_since = None,
            None => {}
        }
        s.since.is_some()
    }

    /// Seconds a refused rig is asked to wait.
    pub fn retry_after_secs(&self) -> u64 {
        self.settings.retry_after_secs
    }

    /// Storm mode now, with its figures.
    pub fn report(&self, now: DateTime<Utc>) -> StormReport {
        let on = self.is_on(now);
        let mut s = self.lock();
        let rate = self.rate(&mut s, now);
        let trigger = self.trigger(s.normal);
        StormReport {
            on,
            since: s.since,
            rate_per_minute: rate,
            normal_per_minute: s.normal,
            trigger_per_minute: trigger,
            why: if on {
                format!(
                    "{rate:.0} uploads a minute against a normal {:.1} (storm past {trigger:.0}): \
                     non-critical uploads are asked to wait {} s and are kept on the rigs; CRITICAL \
                     ones are taken; curation and aggregation wait",
                    s.normal, self.settings.retry_after_secs
                )
            } else {
                String::new()
            },
        }
    }
}

impl Default for Storm {
    fn default() -> Self {
        Self::new(StormSettings::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn settings() -> StormSettings {
        StormSettings {
            multiple: 10.0,
            min_events_per_minute: 30.0,
            window_secs: 10,
            calm_secs: 5,
            ..Default::default()
        }
    }

    #[test]
    fn a_burst_turns_it_on_and_a_calm_spell_off_and_the_storm_is_not_learnt_as_normal() {
        let storm = Storm::new(settings());
        let t0 = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        // An hour of calm: one upload every 20 s (3 a minute).
        for k in 0..180 {
            assert!(!storm.arrive(t0 + Duration::seconds(20 * k)));
        }
        let normal = storm
            .report(t0 + Duration::seconds(3_600))
            .normal_per_minute;
        assert!((normal - 3.0).abs() < 0.5, "{normal}");
        // A burst: 10 uploads a second. The trigger is max(10 × 3, 30) = 30 a minute: 5 in 10 s.
        let burst = t0 + Duration::seconds(3_600);
        let on: Vec<bool> = (0..40)
            .map(|k| storm.arrive(burst + Duration::milliseconds(100 * k)))
            .collect();
        assert!(!on[0] && on[39], "{on:?}");
        let first_on = on.iter().position(|o| *o).unwrap();
        assert!(first_on <= 6, "on within the trigger: {first_on}");
        let r = storm.report(burst + Duration::seconds(4));
        assert!(r.on && r.why.contains("non-critical"), "{r:?}");
        // Quiet: the window empties (10 s after the burst), then 5 s of calm.
        assert!(storm.is_on(burst + Duration::seconds(12)));
        assert!(storm.is_on(burst + Duration::seconds(14)), "calm begins");
        assert!(!storm.is_on(burst + Duration::seconds(20)), "and ends it");
        // The storm's minute did not raise the normal rate when the next minute began.
        storm.arrive(burst + Duration::seconds(120));
        let after = storm
            .report(burst + Duration::seconds(121))
            .normal_per_minute;
        assert!(after < 4.0, "{after}");
    }

    #[test]
    fn a_quiet_fleet_needs_the_floor_and_off_means_off() {
        let storm = Storm::new(settings());
        let t0 = Utc::now();
        // From nothing, 4 uploads in 10 s are 24 a minute: below the floor of 30.
        for k in 0..4 {
            assert!(!storm.arrive(t0 + Duration::seconds(2 * k)));
        }
        let off = Storm::new(StormSettings {
            enabled: false,
            ..settings()
        });
        assert!((0..1_000).all(|k| !off.arrive(t0 + Duration::milliseconds(k))));
    }
}
