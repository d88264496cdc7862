//! The last day, minute by minute, for the shift handover: hole depth, time in each rig state and
//! the parameters drilled with — a few numbers per minute summed per packet on stream time, so a
//! replay's handover covers the stream's own hours. Kept in `<data_dir>/shift.json` every ten
//! minutes, so a restart mid-shift does not blank the handover.

use crate::drilling::{DrillingMetrics, RigState, WitsPacket};
use crate::rig::durable::{non_critical_paused, write_atomic};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

/// The longest handover, h.
pub const KEEP_HOURS: i64 = 24;
/// A gap between packets counts at most this long, s (a dead feed is not hours of a rig state).
const LONGEST_STEP_SECS: f64 = 10.0;
/// Minutes of stream time between saves.
const SAVE_EVERY_MINS: u32 = 10;

/// The rig states, in the order [`Minute::state_secs`] keeps them.
pub const STATES: [RigState; 8] = RigState::ALL;

/// Sums over the packets drilling on bottom, weighted by their seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OnBottom {
    /// Seconds on bottom.
    pub secs: f64,
    /// WOB × s, klb·s.
    pub wob: f64,
    /// RPM × s.
    pub rpm: f64,
    /// Flow in × s.
    pub flow: f64,
    /// SPP × s.
    pub spp: f64,
    /// ROP × s.
    pub rop: f64,
}

impl OnBottom {
    fn add(&mut self, other: &Self) {
        self.secs += other.secs;
        self.wob += other.wob;
        self.rpm += other.rpm;
        self.flow += other.flow;
        self.spp += other.spp;
        self.rop += other.rop;
    }

    /// The time-weighted mean of a sum, where there was time on bottom.
    pub fn mean(&self, sum: impl Fn(&Self) -> f64) -> Option<f64> {
        (self.secs > 0.0).then(|| sum(self) / self.secs)
    }
}

/// One minute of stream time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minute {
    /// Its start.
    pub at: DateTime<Utc>,
    /// Hole depth at its first and last packet, ft.
    pub depth_ft: Option<(f64, f64)>,
    /// Seconds in each of [`STATES`].
    pub state_secs: [f32; STATES.len()],
    /// The drilling parameters on bottom.
    pub on_bottom: OnBottom,
}

/// The last [`KEEP_HOURS`] of minutes.
#[derive(Debug, Default)]
pub struct ShiftLog {
    minutes: VecDeque<Minute>,
    last: Option<DateTime<Utc>>,
    closed_since_save: u32,
}

/// A span of the log summed: what a handover reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Stream time covered, s.
    pub covered_secs: f64,
    /// Hole depth at its start and end, ft.
    pub depth_ft: Option<(f64, f64)>,
    /// Seconds in each of [`STATES`].
    pub state_secs: [f64; STATES.len()],
    /// The drilling parameters on bottom.
    pub on_bottom: OnBottom,
}

impl Summary {
    /// Feet of new hole.
    pub fn drilled_ft(&self) -> f64 {
        self.depth_ft.map_or(0.0, |(a, b)| (b - a).max(0.0))
    }
}

impl ShiftLog {
    /// Count one processed packet.
    pub fn record(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        let step = self.last.map_or(0.0, |t| {
            ((p.timestamp - t).num_milliseconds() as f64 / 1e3).clamp(0.0, LONGEST_STEP_SECS)
        });
        self.last = Some(p.timestamp);
        let start = p
            .timestamp
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(p.timestamp);
        if self.minutes.back().is_none_or(|m| m.at < start) {
            self.open_minute(start);
        }
        let Some(minute) = self.minutes.back_mut() else {
            return;
        };
        if let Some(d) = p.depth_ft().filter(|d| d.is_finite()) {
            minute.depth_ft = Some(minute.depth_ft.map_or((d, d), |(first, _)| (first, d)));
        }
        let state = STATES
            .iter()
            .position(|s| *s == m.rig_state)
            .unwrap_or(STATES.len() - 1);
        minute.state_secs[state] += step as f32;
        if m.rig_state == RigState::Drilling && step > 0.0 {
            let b = &mut minute.on_bottom;
            let v = |x: Option<f64>| x.filter(|v| v.is_finite()).unwrap_or(0.0) * step;
            b.secs += step;
            b.wob += v(p.wob_klb);
            b.rpm += v(p.rpm);
            b.flow += v(p.flow_in_gpm);
            b.spp += v(p.spp_psi);
            b.rop += v(p.rop_ft_h);
        }
    }

    fn open_minute(&mut self, at: DateTime<Utc>) {
        if !self.minutes.is_empty() {
            self.closed_since_save += 1;
        }
        self.minutes.push_back(Minute {
            at,
            depth_ft: None,
            state_secs: [0.0; STATES.len()],
            on_bottom: OnBottom::default(),
        });
        while self
            .minutes
            .front()
            .is_some_and(|m| (at - m.at).num_hours() >= KEEP_HOURS)
        {
            self.minutes.pop_front();
        }
    }

    /// The newest packet's time.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.last
    }

    /// The minutes from `from` on, oldest first.
    pub fn since(&self, from: DateTime<Utc>) -> impl Iterator<Item = &Minute> {
        let start = self.minutes.partition_point(|m| m.at < from);
        self.minutes.range(start..)
    }

    /// The minutes from `from` to `to` summed.
    pub fn summary(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Summary {
        let mut out = Summary::default();
        for m in self.since(from).take_while(|m| m.at < to) {
            out.covered_secs += m.state_secs.iter().map(|s| f64::from(*s)).sum::<f64>();
            for (sum, s) in out.state_secs.iter_mut().zip(m.state_secs) {
                *sum += f64::from(s);
            }
            out.on_bottom.add(&m.on_bottom);
            if let Some((first, last)) = m.depth_ft {
                out.depth_ft = Some(
                    out.depth_ft
                        .map_or((first, last), |(a, b)| (a, b.max(last))),
                );
            }
        }
        out
    }

    /// Whether ten minutes closed since the last save; counts the save as done.
    pub fn save_due(&mut self) -> bool {
        let due = self.closed_since_save >= SAVE_EVERY_MINS;
        if due {
            self.closed_since_save = 0;
        }
        due
    }

    /// Write the log (crash-safe); waits while the disk is nearly full.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if non_critical_paused() {
            return Ok(());
        }
        let minutes: Vec<&Minute> = self.minutes.iter().collect();
        write_atomic(
            path,
            &serde_json::to_vec(&minutes).map_err(io::Error::other)?,
        )
    }

    /// The log a previous run saved; none saved, or a file that cannot be read (reported), is
    /// an empty log.
    pub fn load(path: &Path) -> Self {
        let minutes: VecDeque<Minute> = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                log::warn!(
                    "{} cannot be read ({e}); the handover starts from now",
                    path.display()
                );
                VecDeque::new()
            }),
            Err(_) => VecDeque::new(),
        };
        Self {
            last: minutes.back().map(|m| m.at),
            minutes,
            closed_since_save: 0,
        }
    }
}

/// Where the log is kept.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("shift.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{Scenario, Simulator};

    fn run(log: &mut ShiftLog, secs: usize, seed: u64) {
        let mut physics = crate::rig::physics::Physics::new(Default::default(), Default::default());
        for mut p in Simulator::new(Scenario::Normal, seed).take(secs) {
            physics.complete(&mut p);
            let m = physics.compute(&p);
            log.record(&p, &m);
        }
    }

    #[test]
    fn a_summary_adds_up_the_stream_time_and_the_hole_drilled() {
        let mut log = ShiftLog::default();
        run(&mut log, 2 * 3_600, 4);
        let newest = log.newest().expect("packets");
        let all = log.summary(newest - TimeDelta::hours(3), newest + TimeDelta::minutes(1));
        // Every second of two hours is in some state (the first packet has no step before it).
        assert!(
            (all.covered_secs - 7_199.0).abs() < 2.0,
            "{}",
            all.covered_secs
        );
        let states: f64 = all.state_secs.iter().sum();
        assert!((states - all.covered_secs).abs() < 1e-6);
        // The simulator drills most of the time at 40-90 ft/h: the hole drilled is the ROP's
        // integral over the time on bottom, within the depth channel's rounding.
        let rop = all.on_bottom.mean(|b| b.rop).expect("drilled");
        let expected = rop * all.on_bottom.secs / 3_600.0;
        assert!(all.drilled_ft() > 20.0);
        assert!(
            (all.drilled_ft() - expected).abs() < 0.1 * expected + 2.0,
            "{} vs {expected}",
            all.drilled_ft()
        );
        // The last hour alone is about half.
        let last = log.summary(newest - TimeDelta::hours(1), newest + TimeDelta::minutes(1));
        assert!(
            (last.covered_secs - 3_600.0).abs() < 61.0,
            "{}",
            last.covered_secs
        );
    }

    #[test]
    fn a_day_is_kept_and_the_log_survives_a_restart() {
        let mut log = ShiftLog::default();
        run(&mut log, 25 * 3_600, 5);
        assert!(
            log.minutes.len() <= (KEEP_HOURS * 60) as usize,
            "{}",
            log.minutes.len()
        );
        assert!(log.save_due());
        assert!(!log.save_due(), "a save resets the count");
        let tmp = tempfile::tempdir().expect("tmp");
        let p = path(tmp.path());
        log.save(&p).expect("save");
        let back = ShiftLog::load(&p);
        assert_eq!(back.minutes, log.minutes);
        std::fs::write(&p, b"[{\"at\":").expect("write");
        assert!(
            ShiftLog::load(&p).minutes.is_empty(),
            "torn file: empty, not a panic"
        );
    }
}
