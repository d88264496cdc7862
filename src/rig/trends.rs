//! The screen's trends: the last two hours of every gauge's channel, one sample per packet, kept
//! by the core as packets come, and read back over 10 min, 30 min or 2 h as at most
//! [`POINTS`] bucket means — the screen draws them on a fixed scale around the baseline band.

use crate::drilling::readings::READINGS;
use crate::drilling::{DrillingMetrics, WitsPacket};
use crate::rig::pipeline::baseline::Signal;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// The longest span kept, s (two hours of 1 Hz packets).
pub const KEEP_SECS: i64 = 7_200;
/// Most points a trend is drawn with, whatever its span.
pub const POINTS: usize = 240;

/// How far back a trend looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Span {
    /// The last 10 minutes (the default: a connection and what followed it).
    #[default]
    TenMinutes,
    /// The last 30 minutes.
    ThirtyMinutes,
    /// The last two hours.
    TwoHours,
}

impl Span {
    /// Every span, shortest first.
    pub const ALL: [Span; 3] = [Self::TenMinutes, Self::ThirtyMinutes, Self::TwoHours];

    /// Its length, s.
    pub fn secs(self) -> i64 {
        match self {
            Self::TenMinutes => 600,
            Self::ThirtyMinutes => 1_800,
            Self::TwoHours => KEEP_SECS,
        }
    }

    /// Its length in minutes, as the screen's `?trend=` takes it.
    pub fn minutes(self) -> u32 {
        (self.secs() / 60) as u32
    }

    /// The span of `?trend=MINUTES`.
    pub fn from_minutes(m: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.minutes() == m)
    }

    /// How the screen says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::TenMinutes => "10 min",
            Self::ThirtyMinutes => "30 min",
            Self::TwoHours => "2 h",
        }
    }
}

/// The baseline signal reading `index` is judged against, if one.
pub fn signal(index: usize) -> Option<Signal> {
    match READINGS.get(index)?.label {
        "ROP" => Some(Signal::Rop),
        "WOB" => Some(Signal::Wob),
        "RPM" => Some(Signal::Rpm),
        "Torque" => Some(Signal::Torque),
        "Hookload" => Some(Signal::Hookload),
        "SPP" => Some(Signal::Spp),
        "Flow in" => Some(Signal::FlowIn),
        "MSE" => Some(Signal::Mse),
        "dc-exponent" => Some(Signal::Dc),
        _ => None,
    }
}

/// Two hours of every channel (NaN where a packet had no reading).
#[derive(Debug, Default)]
pub struct Trends {
    samples: VecDeque<(DateTime<Utc>, [f32; READINGS.len()])>,
}

impl Trends {
    /// Keep one packet's readings; forget those older than [`KEEP_SECS`].
    pub fn record(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        let mut row = [f32::NAN; READINGS.len()];
        for (slot, c) in row.iter_mut().zip(&READINGS) {
            *slot = c.of(p, m).map_or(f32::NAN, |v| v as f32);
        }
        self.samples.push_back((p.timestamp, row));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| (p.timestamp - *t).num_seconds() > KEEP_SECS)
        {
            self.samples.pop_front();
        }
    }

    /// Channel `index` over the last `span`, as at most [`POINTS`] means of equal slices of
    /// time (NaN where a slice had no reading), oldest first.
    pub fn series(&self, index: usize, span: Span) -> Vec<f64> {
        let Some((newest, _)) = self.samples.back() else {
            return Vec::new();
        };
        self.window(
            index,
            *newest - chrono::Duration::seconds(span.secs()),
            *newest,
            POINTS,
        )
    }

    /// Channel `index` from `from` to `to` as `points` means of equal slices of time (NaN where a
    /// slice had no reading, or is older than what is held), oldest first.
    pub fn window(
        &self,
        index: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        points: usize,
    ) -> Vec<f64> {
        let points = points.max(1);
        let slice_ms = ((to - from).num_milliseconds() / points as i64).max(1);
        let mut sums = vec![(0.0f64, 0u32); points];
        let start = self.samples.partition_point(|(t, _)| *t < from);
        for (t, row) in self.samples.range(start..) {
            if *t > to {
                break;
            }
            let v = row[index];
            if v.is_finite() {
                let k = ((*t - from).num_milliseconds() / slice_ms).clamp(0, points as i64 - 1);
                let s = &mut sums[k as usize];
                s.0 += f64::from(v);
                s.1 += 1;
            }
        }
        sums.into_iter()
            .map(|(sum, n)| if n > 0 { sum / f64::from(n) } else { f64::NAN })
            .collect()
    }

    /// The time of the oldest and the newest packet held.
    pub fn held(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((self.samples.front()?.0, self.samples.back()?.0))
    }

    /// The newest reading of channel `index`.
    pub fn latest(&self, index: usize) -> Option<f64> {
        let (_, row) = self.samples.back()?;
        let v = f64::from(row[index]);
        v.is_finite().then_some(v)
    }

    /// The lowest and highest reading of channel `index` over the whole two hours.
    pub fn extent(&self, index: usize) -> Option<(f64, f64)> {
        let mut out: Option<(f64, f64)> = None;
        for (_, row) in &self.samples {
            let v = f64::from(row[index]);
            if v.is_finite() {
                out = Some(out.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::readings::reading;
    use crate::simulate::{Scenario, Simulator};

    #[test]
    fn keeps_two_hours_and_draws_any_span_in_at_most_240_points() {
        let mut t = Trends::default();
        let metrics = DrillingMetrics::default();
        for p in Simulator::new(Scenario::Normal, 1).take(3 * 3_600) {
            t.record(&p, &metrics);
        }
        assert!(t.samples.len() <= KEEP_SECS as usize + 1);
        for span in Span::ALL {
            let s = t.series(reading("Torque").expect("torque"), span);
            assert_eq!(s.len(), POINTS, "{span:?}");
            let filled = s.iter().filter(|v| v.is_finite()).count();
            assert!(filled >= POINTS - 2, "{span:?}: {filled}");
        }
        // Torque drills around 10 kft·lbf in the simulator, and is 0 at connections.
        let (lo, hi) = t
            .extent(reading("Torque").expect("torque"))
            .expect("torque");
        assert!(lo >= 0.0 && (5.0..30.0).contains(&hi), "{lo}..{hi}");
        assert_eq!(Span::from_minutes(30), Some(Span::ThirtyMinutes));
        assert_eq!(Span::from_minutes(45), None);
    }
}
