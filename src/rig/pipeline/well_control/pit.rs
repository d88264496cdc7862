//! The active pit as the well sees it: ten-second medians (pit sensors are coarse, mud surface
//! sloshes, floaters heave), with transfers between tanks taken out, and a robust trend over
//! minutes. A transfer is a step faster than any plausible slow kick or loss: taken out at once
//! when a trusted flow-out meter shows the well balanced, or once it stops (a kick does not stop by
//! itself) when there is no meter to ask.

use super::robust::{self, Trend};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// Seconds per median.
pub const BUCKET_SECS: i64 = 10;
/// Medians kept: 30 minutes.
const KEEP: usize = 180;
/// Readings per bucket held at most (a 100 Hz stream keeps its first 64 of each ten seconds).
const PER_BUCKET: usize = 64;
/// Buckets after an unexplained step's last fast move before it is judged: still, a transfer.
const STILL_AFTER_STEP: i64 = 6;
/// Transfers from this size are logged at INFO, bbl.
const LOGGED_TRANSFER_BBL: f64 = 5.0;
/// An unexplained step still moving after this long is not a transfer, s.
const STEP_MAX_SECS: i64 = 300;

/// What the flow-out meter says about the well while the pit steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowWitness {
    /// A trusted meter shows returns matching flow in.
    Balanced,
    /// A trusted meter shows returns off balance: the well itself is moving.
    Unbalanced,
    /// No trusted meter, or the pumps are off.
    Absent,
}

/// A fast step not yet explained.
#[derive(Debug, Clone, Copy)]
struct Step {
    started: i64,
    last_fast: i64,
    amount: f64,
    /// The level before the step began: a transfer is taken out as the whole move from here to
    /// where the tank settles, the bounce of lines draining back included.
    before: f64,
}

/// The pit series.
#[derive(Debug, Clone)]
pub struct PitSeries {
    transfer_rate_bbl_min: f64,
    bucket: Option<i64>,
    values: Vec<f64>,
    medians: VecDeque<(i64, f64)>,
    offset: f64,
    step: Option<Step>,
    transferred: f64,
}

impl PitSeries {
    /// A series that calls a move faster than `transfer_rate_bbl_min` a possible transfer.
    pub fn new(transfer_rate_bbl_min: f64) -> Self {
        Self {
            transfer_rate_bbl_min,
            bucket: None,
            values: Vec::with_capacity(PER_BUCKET),
            medians: VecDeque::with_capacity(KEEP),
            offset: 0.0,
            step: None,
            transferred: 0.0,
        }
    }

    /// Take one reading; `true` when it closed a bucket (a new median is in).
    pub fn push(&mut self, at: DateTime<Utc>, volume_bbl: f64, witness: FlowWitness) -> bool {
        if !volume_bbl.is_finite() {
            return false;
        }
        let bucket = at.timestamp().div_euclid(BUCKET_SECS);
        let closed = match self.bucket {
            Some(b) if bucket > b => {
                self.close(b, witness);
                true
            }
            Some(b) if bucket < b => return false,
            _ => false,
        };
        self.bucket = Some(bucket);
        if self.values.len() < PER_BUCKET {
            self.values.push(volume_bbl);
        }
        closed
    }

    fn close(&mut self, bucket: i64, witness: FlowWitness) {
        let Some(raw) = robust::median(&mut self.values) else {
            self.values.clear();
            return;
        };
        self.values.clear();
        let mut level = raw - self.offset;
        if let Some(&(b0, prev)) = self.medians.back() {
            let minutes = ((bucket - b0) * BUCKET_SECS) as f64 / 60.0;
            let delta = level - prev;
            let fast = minutes > 0.0 && (delta / minutes).abs() > self.transfer_rate_bbl_min;
            level = self.judge_step(bucket, delta, fast, witness, level, prev);
        }
        if self.medians.len() == KEEP {
            self.medians.pop_front();
        }
        self.medians.push_back((bucket, level));
    }

    /// A fast move with the well balanced is a transfer now; without a witness, one once it
    /// stops; with the well unbalanced, never.
    fn judge_step(
        &mut self,
        bucket: i64,
        delta: f64,
        fast: bool,
        witness: FlowWitness,
        level: f64,
        prev: f64,
    ) -> f64 {
        match (fast, witness) {
            (true, FlowWitness::Balanced) => {
                self.discount(delta);
                return level - delta;
            }
            (true, FlowWitness::Absent) => {
                let s = self.step.get_or_insert(Step {
                    started: bucket,
                    last_fast: bucket,
                    amount: 0.0,
                    before: prev,
                });
                s.amount += delta;
                s.last_fast = bucket;
            }
            (true, FlowWitness::Unbalanced) => self.step = None,
            (false, _) => {
                if let Some(s) = self.step {
                    if bucket - s.last_fast >= STILL_AFTER_STEP {
                        self.step = None;
                        if self.still_since(s.last_fast, bucket, level, s.amount) {
                            // From before the step to where the tank settled: the fast moves
                            // and the bounce after them (under a fifth of the step).
                            let amount = level - s.before;
                            self.discount(amount);
                            // The step's medians are rewritten as if it had not happened, so
                            // the trend over the last minutes does not see it either.
                            for m in self.medians.iter_mut().filter(|m| m.0 >= s.started) {
                                m.1 -= amount;
                            }
                            return level - amount;
                        }
                    }
                }
            }
        }
        if self
            .step
            .is_some_and(|s| (bucket - s.started) * BUCKET_SECS > STEP_MAX_SECS)
        {
            self.step = None;
        }
        level
    }

    /// Whether the pit has (nearly) held still since the step's last fast move: it moved less
    /// than a fifth of the step, or slower than a twentieth of the transfer rate. Tanks bounce
    /// after a transfer as lines drain; a kick that surged goes on gaining and keeps it counted.
    fn still_since(&self, last_fast: i64, bucket: i64, level: f64, amount: f64) -> bool {
        let after: Vec<(f64, f64)> = self
            .medians
            .iter()
            .filter(|m| m.0 >= last_fast)
            .copied()
            .chain(std::iter::once((bucket, level)))
            .map(|m| ((m.0 * BUCKET_SECS) as f64 / 60.0, m.1))
            .collect();
        let moved = after
            .first()
            .zip(after.last())
            .map_or(0.0, |(a, b)| (b.1 - a.1).abs());
        moved < 0.2 * amount.abs()
            || robust::theil_sen(after.into_iter())
                .is_some_and(|t| t.slope.abs() < self.transfer_rate_bbl_min / 20.0)
    }

    fn discount(&mut self, amount: f64) {
        self.offset += amount;
        self.transferred += amount;
        // A crew's transfer is worth a line; a coarse sensor's half-barrel jumps are not.
        if amount.abs() >= LOGGED_TRANSFER_BBL {
            log::info!(
                "pit moved {amount:+.1} bbl in a step the well did not make: counted as a transfer between tanks, not a gain or loss"
            );
        } else {
            log::debug!("pit step of {amount:+.2} bbl taken out as a transfer");
        }
    }

    /// An unexplained step is no transfer: the pumps stopped or the well was shut in mid-step.
    pub fn forget_step(&mut self) {
        self.step = None;
    }

    /// The newest level, transfers taken out, bbl.
    pub fn level(&self) -> Option<f64> {
        self.medians.back().map(|m| m.1)
    }

    /// The level at or just before `secs` ago.
    pub fn level_ago(&self, secs: i64) -> Option<f64> {
        let (newest, _) = *self.medians.back()?;
        let at = newest - secs / BUCKET_SECS;
        self.medians.iter().rev().find(|m| m.0 <= at).map(|m| m.1)
    }

    /// How much the level moved from `from_ago` to `to_ago` seconds ago, bbl.
    pub fn change(&self, from_ago: i64, to_ago: i64) -> Option<f64> {
        Some(self.level_ago(to_ago)? - self.level_ago(from_ago)?)
    }

    /// The robust trend over the last `secs`, bbl/min; `None` with under half that span of data.
    pub fn trend(&self, secs: i64) -> Option<Trend> {
        let (newest, _) = *self.medians.back()?;
        let from = newest - secs / BUCKET_SECS;
        let span = self.medians.iter().filter(|m| m.0 >= from);
        let first = span.clone().next()?.0;
        if (newest - first) * BUCKET_SECS < secs / 2 {
            return None;
        }
        // Thinned to at most MAX_POINTS evenly spaced medians.
        let n = span.clone().count();
        let every = n.div_ceil(robust::MAX_POINTS).max(1);
        robust::theil_sen(
            span.step_by(every)
                .map(|m| ((m.0 * BUCKET_SECS) as f64 / 60.0, m.1)),
        )
    }

    /// The rate above which a move is a possible transfer, bbl/min.
    pub fn transfer_rate(&self) -> f64 {
        self.transfer_rate_bbl_min
    }

    /// Volume taken out as transfers so far, bbl.
    pub fn transferred(&self) -> f64 {
        self.transferred
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::pipeline::well_control::test_time as t;

    /// IWCF well-control problem set ("IWCF Problems", Feb 2019, problem 1.3): partial losses of
    /// 10 bbl/hour. A pit falling 10 bbl per hour must trend at −0.1667 bbl/min, and over three
    /// hours it has lost the 30 bbl the problem works with.
    #[test]
    fn iwcf_partial_losses_rate_and_total() {
        let mut pit = PitSeries::new(3.0);
        for s in 0..=3 * 3_600 + 10 {
            pit.push(t(s), 500.0 - 10.0 * s as f64 / 3_600.0, FlowWitness::Absent);
        }
        let trend = pit.trend(600).expect("trend");
        assert!((trend.slope + 10.0 / 60.0).abs() < 1e-6, "{trend:?}");
        assert!(trend.agreement > 0.99);
        let lost = pit.level().expect("level") - 500.0;
        assert!((lost + 30.0).abs() < 0.1, "{lost}");
        assert_eq!(pit.transferred(), 0.0);
    }

    /// 20 bbl moved into the active pit in a minute while a trusted meter shows the well
    /// balanced: a transfer, not a gain; the same step with no meter counts until it stops.
    #[test]
    fn a_step_with_the_well_balanced_is_a_transfer() {
        for witness in [FlowWitness::Balanced, FlowWitness::Absent] {
            let mut pit = PitSeries::new(3.0);
            let mut s = 0;
            let mut level = 500.0;
            while s < 1_200 {
                if (300..360).contains(&s) {
                    level += 20.0 / 60.0;
                }
                pit.push(t(s), level, witness);
                s += 1;
            }
            let now = pit.level().expect("level");
            assert!((now - 500.0).abs() < 0.5, "{witness:?}: {now}");
            assert!((pit.transferred() - 20.0).abs() < 0.5);
            let trend = pit.trend(900).expect("trend");
            assert!(trend.slope.abs() < 0.05, "{witness:?}: {trend:?}");
        }
        // With the well flowing it is the well's own gain.
        let mut pit = PitSeries::new(3.0);
        for s in 0..600 {
            let level = 500.0
                + if s >= 300 {
                    (s - 300) as f64 * 0.1
                } else {
                    0.0
                };
            pit.push(t(s), level, FlowWitness::Unbalanced);
        }
        assert!(pit.level().expect("level") > 525.0);
        assert_eq!(pit.transferred(), 0.0);
    }

    /// Real data: the Volve F-9 A trip tank (GwdTime log, TRIPPVT, 2016-09-29 17:50–18:06 UTC,
    /// one reading per 15 s, m³ converted to bbl) emptied from 49.1 to 5.9 bbl in three minutes,
    /// bounced back to 8.5 as the lines drained, then was refilled to 39.9 bbl. Both are the crew's
    /// transfers: what is left is only the tank's own movement between them (8.47 → 8.55 bbl),
    /// not the +4.6-bbl "gain" the bounce used to leave.
    #[test]
    fn a_real_trip_tank_emptied_and_refilled_is_two_transfers() {
        // Seconds after 17:50:00 and bbl; flat 8.53 bbl between 17:59 and 18:04:30.
        let readings = [
            (0, 49.12),
            (15, 49.12),
            (30, 49.12),
            (45, 49.12),
            (60, 49.12),
            (75, 49.12),
            (90, 49.12),
            (105, 49.12),
            (120, 49.12),
            (135, 49.12),
            (150, 49.12),
            (165, 49.12),
            (180, 49.12),
            (195, 49.12),
            (210, 49.12),
            (225, 49.12),
            (240, 49.12),
            (255, 47.44),
            (270, 43.95),
            (285, 40.41),
            (300, 37.18),
            (315, 33.68),
            (330, 30.15),
            (345, 26.6),
            (360, 22.92),
            (375, 19.77),
            (390, 16.37),
            (405, 12.78),
            (420, 9.41),
            (435, 5.89),
            (450, 6.8),
            (465, 8.12),
            (480, 8.33),
            (495, 8.38),
            (510, 8.45),
            (525, 8.47),
            (540, 8.47),
            (870, 8.55),
            (885, 11.15),
            (900, 17.18),
            (915, 23.23),
            (930, 29.83),
            (945, 36.17),
            (960, 39.73),
            (975, 39.91),
            (990, 39.88),
        ];
        let mut pit = PitSeries::new(3.0);
        let mut at = 0;
        let mut level = readings[0].1;
        for s in 0..=1_800 {
            while at < readings.len() && readings[at].0 <= s {
                level = readings[at].1;
                at += 1;
            }
            pit.push(t(s), level, FlowWitness::Absent);
        }
        let now = pit.level().expect("level");
        assert!((now - 49.12).abs() < 0.5, "{now}");
        assert!(
            (pit.transferred() - (39.88 - 49.12)).abs() < 0.5,
            "{}",
            pit.transferred()
        );
    }
}
