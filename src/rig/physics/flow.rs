//! Flow balance (returns against what the pumps put in) and pit volume tracking.

use super::finite;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// US gallons in one oilfield barrel (API barrel, 42 US gal exactly).
pub const GAL_PER_BBL: f64 = 42.0;

/// Flow out minus flow in: (gpm, percent of flow in). Positive means more returns than went in.
///
/// The percentage is undefined with the pumps off (no flow in): a connection's flow-back is not a
/// percentage of anything.
pub fn flow_balance(flow_in_gpm: f64, flow_out_gpm: f64) -> (Option<f64>, Option<f64>) {
    if !(flow_in_gpm >= 0.0 && flow_out_gpm >= 0.0) {
        return (None, None);
    }
    let gpm = finite(flow_out_gpm - flow_in_gpm);
    let pct = if flow_in_gpm > 1.0 {
        finite(100.0 * (flow_out_gpm - flow_in_gpm) / flow_in_gpm)
    } else {
        None
    };
    (gpm, pct)
}

/// A volume rate in gpm as bbl/min.
pub fn gpm_to_bbl_min(gpm: f64) -> f64 {
    gpm / GAL_PER_BBL
}

/// Tracks the active pit: its rate of change over a short window and the gain or loss since the
/// last point where it stood still.
#[derive(Debug, Clone)]
pub struct PitTracker {
    window_secs: f64,
    stable_rate_bbl_min: f64,
    stable_secs: f64,
    samples: VecDeque<(DateTime<Utc>, f64)>,
    reference_bbl: Option<f64>,
    still_since: Option<DateTime<Utc>>,
}

/// What the tracker makes of one pit reading.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PitReading {
    /// Rate of change over the window, bbl/min (positive = gain).
    pub rate_bbl_min: Option<f64>,
    /// Volume now minus the volume at the last stable point (positive = gain).
    pub gain_bbl: Option<f64>,
}

impl PitTracker {
    /// A tracker whose rate spans `window_secs`, and which calls the pit stable once its rate has
    /// stayed within ±`stable_rate_bbl_min` for `stable_secs`.
    pub fn new(window_secs: f64, stable_rate_bbl_min: f64, stable_secs: f64) -> Self {
        Self {
            window_secs,
            stable_rate_bbl_min,
            stable_secs,
            samples: VecDeque::new(),
            reference_bbl: None,
            still_since: None,
        }
    }

    /// Forget the reference point: the pit is moving for a known reason (connection, trip,
    /// transfer) and a gain measured across that would be meaningless.
    pub fn rebase(&mut self) {
        self.reference_bbl = None;
        self.still_since = None;
    }

    /// Take one reading; readings whose time does not advance only replace the volume.
    pub fn push(&mut self, at: DateTime<Utc>, volume_bbl: f64) -> PitReading {
        if !volume_bbl.is_finite() {
            return PitReading::default();
        }
        while let Some(&(t, _)) = self.samples.front() {
            if seconds(t, at) > self.window_secs && self.samples.len() > 1 {
                self.samples.pop_front();
            } else {
                break;
            }
        }
        match self.samples.back_mut() {
            Some(last) if last.0 >= at => last.1 = volume_bbl,
            _ => self.samples.push_back((at, volume_bbl)),
        }
        let rate = self.rate();
        match rate {
            Some(r) if r.abs() <= self.stable_rate_bbl_min => {
                let since = *self.still_since.get_or_insert(at);
                if self.reference_bbl.is_none() || seconds(since, at) >= self.stable_secs {
                    // Still long enough: this is the new point gains are counted from.
                    self.reference_bbl = Some(volume_bbl);
                }
            }
            Some(_) => self.still_since = None,
            None => {
                self.reference_bbl.get_or_insert(volume_bbl);
            }
        }
        PitReading {
            rate_bbl_min: rate,
            gain_bbl: self.reference_bbl.and_then(|r| finite(volume_bbl - r)),
        }
    }

    fn rate(&self) -> Option<f64> {
        let (t0, v0) = *self.samples.front()?;
        let (t1, v1) = *self.samples.back()?;
        let minutes = seconds(t0, t1) / 60.0;
        // Half a window at least, or one noisy pair of readings would read as a rate.
        if minutes * 60.0 < self.window_secs / 2.0 {
            return None;
        }
        finite((v1 - v0) / minutes)
    }
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .expect("valid")
    }

    /// IWCF well-control problem set ("IWCF Problems", Feb 2019, problem 1.3): partial losses of
    /// 10 bbl/hour. A pit falling 10 bbl per hour must read −0.1667 bbl/min, and after three hours
    /// the loss since the last stable point is the 30 bbl the problem works with.
    #[test]
    fn iwcf_partial_losses_rate_and_total() {
        let mut pit = PitTracker::new(60.0, 0.05, 120.0);
        // Stable for five minutes at 500 bbl: that is the reference point.
        for s in 0..300 {
            pit.push(t(s), 500.0);
        }
        let mut last = PitReading::default();
        for s in 0..=3 * 3_600 {
            last = pit.push(t(300 + s), 500.0 - 10.0 * s as f64 / 3_600.0);
        }
        let rate = last.rate_bbl_min.expect("rate");
        assert!((rate + 10.0 / 60.0).abs() < 1e-9, "{rate}");
        // The reference follows the pit while it moves slower than the stable rate (0.05 bbl/min),
        // so the first seconds of the loss, before the rate window fills, may be absorbed.
        let gain = last.gain_bbl.expect("gain");
        assert!((gain + 30.0).abs() < 0.1, "{gain}");
    }

    /// Flow balance in gallons and barrels: the API barrel is 42 US gal (API MPMS Ch. 1), so an
    /// influx of 21 gpm is 0.5 bbl/min, and returns of 630 gpm against 600 in are +5 %.
    #[test]
    fn flow_balance_in_gpm_percent_and_barrels() {
        let (gpm, pct) = flow_balance(600.0, 630.0);
        assert_eq!(gpm, Some(30.0));
        assert!((pct.expect("pct") - 5.0).abs() < 1e-12);
        assert_eq!(gpm_to_bbl_min(21.0), 0.5);
        assert_eq!(
            flow_balance(0.0, 40.0),
            (Some(40.0), None),
            "pumps off: no percentage"
        );
        assert_eq!(flow_balance(f64::NAN, 40.0), (None, None));
    }

    /// Worked example "Oil Refinery Flow Rate" published with the bbl/day ↔ gpm conversion
    /// (yescalculator.com, "Barrels Per Day to GPM Calculator"): 10,000 bbl/day × 42 gal/bbl ÷
    /// 1,440 min/day = 291.67 gpm. Returns that much above what the pumps put in are an influx of
    /// 10,000 / 1,440 = 6.94 bbl/min.
    #[test]
    fn published_barrels_per_day_to_gpm_example() {
        let (gpm, pct) = flow_balance(600.0, 600.0 + 291.67);
        let gpm = gpm.expect("balance");
        assert!((gpm - 291.67).abs() < 1e-9, "{gpm}");
        let bbl_per_day = gpm_to_bbl_min(gpm) * 1_440.0;
        assert!((bbl_per_day - 10_000.0).abs() < 0.5, "{bbl_per_day}");
        assert!((pct.expect("pct") - 48.61).abs() < 0.01);
    }

    #[test]
    fn rebase_restarts_the_gain_after_a_known_pit_movement() {
        let mut pit = PitTracker::new(30.0, 0.05, 60.0);
        for s in 0..120 {
            pit.push(t(s), 400.0);
        }
        for s in 0..60 {
            pit.push(t(120 + s), 400.0 + s as f64 * 0.1);
        }
        pit.rebase();
        let r = pit.push(t(181), 406.0);
        assert_eq!(
            r.gain_bbl, None,
            "no reference until the pit is still again"
        );
        for s in 0..90 {
            pit.push(t(182 + s), 406.0);
        }
        let r = pit.push(t(300), 407.0);
        assert!((r.gain_bbl.expect("gain") - 1.0).abs() < 1e-9);
        assert_eq!(pit.push(t(301), f64::INFINITY), PitReading::default());
    }
}
