//! Phase 6: the last 60 packets with their metrics, and — for trends slower than a minute — the
//! last 60 one-minute means of every baseline signal.

use super::baseline::Signal;
use super::signature::Mark;
use crate::drilling::AnomalyCategory;
use crate::drilling::{DrillingMetrics, WitsPacket};
use crate::fleet::HistorySnapshot;
use std::collections::VecDeque;

/// Packets kept (DESIGN §3.6): one minute at 1 Hz.
pub const HISTORY_LEN: usize = 60;
/// Minute means kept: one hour.
pub const MINUTES_LEN: usize = 60;
/// Packets over which rotary-speed variation (stick-slip) is measured.
const RPM_CV_SPAN: usize = 20;
/// Mean rotary speed below which its variation is not measured, rpm.
const MIN_ROTATING_RPM: f64 = 30.0;

/// One packet of history and what the pipeline knew about it then.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The packet (cleaned by the sensor check) and its metrics.
    pub snapshot: HistorySnapshot,
    /// Whether the rig was in a steady state (same state, pumps steady) long enough for detectors.
    pub steady: bool,
    /// Coefficient of variation of rotary speed over the last 20 packets, %.
    pub rpm_cv_pct: Option<f64>,
    /// What the tactical gate read in this packet, per category (`AnomalyCategory as usize`).
    pub marks: [Mark; AnomalyCategory::ALL.len()],
}

/// The mean of every signal over one clock minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteMean {
    /// Minutes since the Unix epoch.
    pub minute: i64,
    /// Mean per signal, in `Signal::ALL` order; `None` where the minute had no value.
    pub means: [Option<f64>; Signal::ALL.len()],
}

#[derive(Debug, Clone, Copy, Default)]
struct MinuteSum {
    minute: i64,
    sums: [f64; Signal::ALL.len()],
    counts: [u32; Signal::ALL.len()],
}

/// The rings.
#[derive(Debug, Clone, Default)]
pub struct History {
    entries: VecDeque<Entry>,
    minutes: VecDeque<MinuteMean>,
    current: Option<MinuteSum>,
}

impl History {
    /// Add a packet; the oldest falls out. Only steady packets count towards minute means.
    pub fn push(&mut self, packet: WitsPacket, metrics: DrillingMetrics, steady: bool) {
        if steady {
            self.add_to_minute(&packet, &metrics);
        }
        if self.entries.len() == HISTORY_LEN {
            self.entries.pop_front();
        }
        let rpm_cv_pct = self.rpm_cv(packet.rpm);
        self.entries.push_back(Entry {
            snapshot: HistorySnapshot { packet, metrics },
            steady,
            rpm_cv_pct,
            marks: Default::default(),
        });
    }

    fn rpm_cv(&self, now: Option<f64>) -> Option<f64> {
        let now = now?;
        // The last 20 speeds, this one included, without allocating: this runs for every packet.
        let recent = || {
            self.entries
                .iter()
                .rev()
                .take(RPM_CV_SPAN - 1)
                .filter_map(|e| e.snapshot.packet.rpm)
                .chain(std::iter::once(now))
        };
        let n = recent().count();
        if n < RPM_CV_SPAN {
            return None;
        }
        let n = n as f64;
        let mean = recent().sum::<f64>() / n;
        // Near standstill the ratio means nothing: stick-slip is judged while rotating.
        if mean < MIN_ROTATING_RPM {
            return None;
        }
        let var = recent().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let cv = var.sqrt() / mean * 100.0;
        cv.is_finite().then_some(cv)
    }

    fn add_to_minute(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        let minute = p.timestamp.timestamp().div_euclid(60);
        match self.current {
            Some(c) if c.minute == minute => {}
            Some(c) if c.minute > minute => return,
            finished => {
                if let Some(done) = finished {
                    self.close_minute(done);
                }
                self.current = Some(MinuteSum {
                    minute,
                    ..MinuteSum::default()
                });
            }
        }
        if let Some(c) = self.current.as_mut() {
            for (i, signal) in Signal::ALL.iter().enumerate() {
                if let Some(v) = signal.value(p, m).filter(|v| v.is_finite()) {
                    c.sums[i] += v;
                    c.counts[i] += 1;
                }
            }
        }
    }

    fn close_minute(&mut self, c: MinuteSum) {
        let mut means = [None; Signal::ALL.len()];
        for (i, mean) in means.iter_mut().enumerate() {
            // A minute with a few steady seconds only is no mean to trend on.
            if c.counts[i] >= 20 {
                *mean = Some(c.sums[i] / f64::from(c.counts[i]));
            }
        }
        if self.minutes.len() == MINUTES_LEN {
            self.minutes.pop_front();
        }
        self.minutes.push_back(MinuteMean {
            minute: c.minute,
            means,
        });
    }

    /// The packets, oldest first.
    pub fn entries(&self) -> &VecDeque<Entry> {
        &self.entries
    }

    /// The newest packet.
    pub fn latest(&self) -> Option<&Entry> {
        self.entries.back()
    }

    /// The newest packet, to record what the gate read in it.
    pub fn latest_mut(&mut self) -> Option<&mut Entry> {
        self.entries.back_mut()
    }

    /// `(minute, mean)` of a signal over the last `n` completed minutes that have one, oldest first.
    pub fn minute_series(&self, signal: Signal, n: usize) -> Vec<(f64, f64)> {
        let i = Signal::ALL
            .iter()
            .position(|s| *s == signal)
            .unwrap_or_default();
        let mut out: Vec<(f64, f64)> = self
            .minutes
            .iter()
            .rev()
            .filter_map(|m| m.means[i].map(|v| (m.minute as f64, v)))
            .take(n)
            .collect();
        out.reverse();
        out
    }

    /// The history window of an event: every snapshot, oldest first.
    pub fn window(&self) -> Vec<HistorySnapshot> {
        self.entries.iter().map(|e| e.snapshot.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn packet(s: i64, spp: f64, rpm: f64) -> WitsPacket {
        WitsPacket {
            timestamp: Utc.timestamp_opt(1_700_000_040 + s, 0).single().expect("t"),
            spp_psi: Some(spp),
            rpm: Some(rpm),
            ..WitsPacket::default()
        }
    }

    #[test]
    fn keeps_sixty_packets_and_minute_means() {
        let mut h = History::default();
        for s in 0..600 {
            let spp = 3_000.0 + (s / 60) as f64 * 10.0;
            h.push(packet(s, spp, 120.0), DrillingMetrics::default(), true);
        }
        assert_eq!(h.entries().len(), HISTORY_LEN);
        let series = h.minute_series(Signal::Spp, 5);
        assert_eq!(series.len(), 5);
        // Every completed minute is one step of 10 psi above the one before.
        for pair in series.windows(2) {
            assert!((pair[1].1 - pair[0].1 - 10.0).abs() < 1e-9, "{series:?}");
            assert_eq!(pair[1].0 - pair[0].0, 1.0);
        }
    }

    #[test]
    fn rpm_variation_reads_stick_slip() {
        let mut h = History::default();
        for s in 0..40 {
            let rpm = if s % 2 == 0 { 60.0 } else { 180.0 };
            h.push(packet(s, 3_000.0, rpm), DrillingMetrics::default(), true);
        }
        let cv = h.latest().and_then(|e| e.rpm_cv_pct).expect("cv");
        // Alternating 60/180: mean 120, sample σ = 60·√(20/19) → 51.3 %.
        assert!((cv - 51.3).abs() < 0.1, "{cv}");
    }
}
