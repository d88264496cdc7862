//! What the hoist is doing on a trip beyond the bit's movement this moment: whether the string
//! hangs from the elevators (the hook carries its weight) or sits in the slips (the hook carries
//! the block and top drive alone), and which way the trip has gone over the last stands. A mud
//! logger labels a trip by these — the pause between stands with the string in the elevators is
//! still "tripping" — and so do the rig's displays.

use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// Seconds per hookload median: a floater's heave (periods of 8–15 s) averages out over one.
const BUCKET_SECS: i64 = 10;
/// Medians the slips reference is taken from: 30 minutes, several stands of any trip.
const REFERENCE_BUCKETS: usize = 180;
/// The slips reference is this low quantile of those medians: the string spends a good part of a
/// trip in the slips, and one low glitch is not the block's weight.
const REFERENCE_QUANTILE: f64 = 0.1;
/// Bit depths the trip's direction is read over: five minutes, two or three stands.
const DIRECTION_BUCKETS: usize = 30;
/// Net movement over those five minutes that makes a direction, ft (a third of a stand): a stand
/// picked up out of the slips before running in moves the bit up a few feet, not this.
const DIRECTION_MIN_FT: f64 = 30.0;
/// Hookload readings per bucket held at most.
const PER_BUCKET: usize = 64;

/// Which way the string is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Deeper.
    In,
    /// Shallower.
    Out,
}

/// The hookload and bit depth of the last half hour, in ten-second steps.
#[derive(Debug, Clone, Default)]
pub struct Hoist {
    bucket: Option<i64>,
    readings: Vec<f64>,
    bit_ft: Option<f64>,
    /// (bucket, hookload median) of the last half hour.
    medians: VecDeque<(i64, f64)>,
    /// (bucket, bit depth at its end) of the last five minutes.
    bits: VecDeque<(i64, f64)>,
    /// The hook with the string in the slips, klb: taken from `medians` as each bucket closes
    /// (once per ten seconds, not on every packet that asks).
    slips_klb: Option<f64>,
}

impl Hoist {
    /// Take one packet's hookload and bit depth.
    pub fn observe(&mut self, at: DateTime<Utc>, hookload_klb: Option<f64>, bit_ft: Option<f64>) {
        let bucket = at.timestamp().div_euclid(BUCKET_SECS);
        match self.bucket {
            Some(b) if bucket > b => self.close(b, bucket),
            Some(b) if bucket < b => return,
            _ => {}
        }
        self.bucket = Some(bucket);
        if let Some(h) = hookload_klb.filter(|h| h.is_finite()) {
            if self.readings.len() < PER_BUCKET {
                self.readings.push(h);
            }
        }
        if let Some(b) = bit_ft.filter(|b| b.is_finite()) {
            self.bit_ft = Some(b);
        }
    }

    /// Close bucket `closed` as `now` begins: its median and bit depth in, what has aged out of
    /// the windows (by time, so a sparse stream's old buckets go too) out.
    fn close(&mut self, closed: i64, now: i64) {
        if !self.readings.is_empty() {
            let mid = self.readings.len() / 2;
            let (_, m, _) = self.readings.select_nth_unstable_by(mid, f64::total_cmp);
            self.medians.push_back((closed, *m));
            self.readings.clear();
        }
        if let Some(b) = self.bit_ft {
            self.bits.push_back((closed, b));
        }
        let aged = |window: usize| move |&(b, _): &(i64, f64)| now - b > window as i64;
        while self.medians.front().is_some_and(aged(REFERENCE_BUCKETS)) {
            self.medians.pop_front();
        }
        while self.bits.front().is_some_and(aged(DIRECTION_BUCKETS)) {
            self.bits.pop_front();
        }
        self.slips_klb = (self.medians.len() >= DIRECTION_BUCKETS).then(|| {
            let mut sorted: Vec<f64> = self.medians.iter().map(|m| m.1).collect();
            let k = ((sorted.len() - 1) as f64 * REFERENCE_QUANTILE) as usize;
            *sorted.select_nth_unstable_by(k, f64::total_cmp).1
        });
    }

    /// Whether the string hangs from the elevators: the latest ten-second hookload is more than
    /// `margin_klb` above what the hook carries with the string in the slips (the low tenth of the
    /// last half hour's). `false` with no hookload or under five minutes of it.
    pub fn hanging(&self, margin_klb: f64) -> bool {
        match (self.medians.back(), self.slips_klb) {
            (Some(&(_, now)), Some(slips)) => now > slips + margin_klb,
            _ => false,
        }
    }

    /// The trip's direction over the last five minutes, where the bit moved a third of a stand net.
    pub fn direction(&self) -> Option<Direction> {
        let net = self.bits.back()?.1 - self.bits.front()?.1;
        (net.abs() >= DIRECTION_MIN_FT).then_some(if net > 0.0 {
            Direction::In
        } else {
            Direction::Out
        })
    }
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

    /// Pulling 93-ft stands: 60 s pulling with the string on the hook (180 klb), 90 s in the
    /// slips (the block alone, 150 klb), with heave swinging both ±8 klb every 12 s. In a pause
    /// with the string hanging it is hanging; in the slips it is not; the direction is out.
    #[test]
    fn a_trip_out_hangs_between_slips_and_goes_out() {
        let mut hoist = Hoist::default();
        let mut bit = 3_000.0;
        let mut last_pause_hanging = None;
        let mut last_slips_hanging = None;
        for s in 0..3_600 {
            let heave = 8.0 * (s as f64 * std::f64::consts::TAU / 12.0).sin();
            let phase = s % 180;
            let (hook, pulling) = match phase {
                0..60 => (180.0, true),
                // The string hangs still in the elevators for 30 s before the slips are set.
                60..90 => (180.0, false),
                _ => (150.0, false),
            };
            if pulling {
                bit -= 93.0 / 60.0;
            }
            hoist.observe(t(s), Some(hook + heave), Some(bit));
            if s > 600 && phase == 85 {
                last_pause_hanging = Some(hoist.hanging(15.0));
            }
            if s > 600 && phase == 170 {
                last_slips_hanging = Some(hoist.hanging(15.0));
            }
        }
        assert_eq!(last_pause_hanging, Some(true));
        assert_eq!(last_slips_hanging, Some(false));
        assert_eq!(hoist.direction(), Some(Direction::Out));
    }

    /// Running in, each stand is picked up 3 ft out of the slips before it is lowered 93 ft: the
    /// direction stays in. A bit standing still (heave of ±2 ft) has none.
    #[test]
    fn running_in_is_in_and_standing_still_is_nothing() {
        let mut hoist = Hoist::default();
        let mut bit = 1_000.0;
        for s in 0..1_200 {
            match s % 150 {
                0..3 => bit -= 1.0,
                3..63 => bit += 96.0 / 60.0,
                _ => {}
            }
            hoist.observe(t(s), Some(170.0), Some(bit));
        }
        assert_eq!(hoist.direction(), Some(Direction::In));
        let mut still = Hoist::default();
        for s in 0..1_200 {
            let heave = 2.0 * (s as f64 / 2.0).sin();
            still.observe(t(s), Some(170.0), Some(500.0 + heave));
        }
        assert_eq!(still.direction(), None);
        assert!(!still.hanging(15.0));
    }
}
