//! The screen's trends: the last two hours of every gauge's channel, one sample per packet, kept
//! by the core as packets come, and read back over 10 min, 30 min or 2 h as at most
//! [`POINTS`] bucket means — the screen draws them on a fixed scale around the baseline band.

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

/// One channel a gauge shows.
pub struct Channel {
    /// Its label on the screen.
    pub label: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Decimals shown.
    pub decimals: usize,
    /// The baseline signal it is judged against, if one.
    pub signal: Option<Signal>,
    read: fn(&WitsPacket, &DrillingMetrics) -> Option<f64>,
}

/// The gauges, in screen order.
pub const CHANNELS: [Channel; 16] = [
    ch("Depth", "ft", 0, None, |p, _| p.depth_ft()),
    ch("ROP", "ft/h", 0, Some(Signal::Rop), |p, _| p.rop_ft_h),
    ch("WOB", "klb", 1, Some(Signal::Wob), |p, _| p.wob_klb),
    ch("RPM", "rpm", 0, Some(Signal::Rpm), |p, _| p.rpm),
    ch("Torque", "kft·lbf", 1, Some(Signal::Torque), |p, _| {
        p.torque_kftlbf
    }),
    ch("Hookload", "klb", 0, Some(Signal::Hookload), |p, _| {
        p.hookload_klb
    }),
    ch("SPP", "psi", 0, Some(Signal::Spp), |p, _| p.spp_psi),
    ch("Casing", "psi", 0, None, |p, _| p.casing_pressure_psi),
    ch("Flow in", "gpm", 0, Some(Signal::FlowIn), |p, _| {
        p.flow_in_gpm
    }),
    ch("Flow out", "gpm", 0, None, |p, _| p.flow_out_gpm),
    ch("Pumps", "spm", 0, None, |p, _| {
        let strokes = [p.pump1_spm, p.pump2_spm, p.pump3_spm];
        strokes
            .iter()
            .any(Option::is_some)
            .then(|| strokes.iter().flatten().sum())
    }),
    ch("Δ flow", "gpm", 0, None, |p, _| {
        Some(p.flow_out_gpm? - p.flow_in_gpm?)
    }),
    ch("Pit volume", "bbl", 1, None, |p, _| p.pit_volume_bbl),
    ch("Gas", "%", 1, None, |p, _| p.gas_pct),
    ch("MSE", "psi", 0, Some(Signal::Mse), |_, m| m.mse_psi),
    ch("dc-exponent", "", 2, Some(Signal::Dc), |_, m| m.dc_exponent),
];

const fn ch(
    label: &'static str,
    unit: &'static str,
    decimals: usize,
    signal: Option<Signal>,
    read: fn(&WitsPacket, &DrillingMetrics) -> Option<f64>,
) -> Channel {
    Channel {
        label,
        unit,
        decimals,
        signal,
        read,
    }
}

/// The index of the channel labelled `label`.
pub fn channel(label: &str) -> Option<usize> {
    CHANNELS.iter().position(|c| c.label == label)
}

/// Two hours of every channel (NaN where a packet had no reading).
#[derive(Debug, Default)]
pub struct Trends {
    samples: VecDeque<(DateTime<Utc>, [f32; CHANNELS.len()])>,
}

impl Trends {
    /// Keep one packet's readings; forget those older than [`KEEP_SECS`].
    pub fn record(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        let mut row = [f32::NAN; CHANNELS.len()];
        for (slot, c) in row.iter_mut().zip(&CHANNELS) {
            *slot = (c.read)(p, m).map_or(f32::NAN, |v| v as f32);
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
        let from = *newest - chrono::Duration::seconds(span.secs());
        let slice_ms = (span.secs() * 1_000 / POINTS as i64).max(1);
        let mut sums = vec![(0.0f64, 0u32); POINTS];
        let start = self.samples.partition_point(|(t, _)| *t < from);
        for (t, row) in self.samples.range(start..) {
            let v = row[index];
            if v.is_finite() {
                let k = ((*t - from).num_milliseconds() / slice_ms).clamp(0, POINTS as i64 - 1);
                let s = &mut sums[k as usize];
                s.0 += f64::from(v);
                s.1 += 1;
            }
        }
        sums.into_iter()
            .map(|(sum, n)| if n > 0 { sum / f64::from(n) } else { f64::NAN })
            .collect()
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
            let s = t.series(channel("Torque").expect("torque"), span);
            assert_eq!(s.len(), POINTS, "{span:?}");
            let filled = s.iter().filter(|v| v.is_finite()).count();
            assert!(filled >= POINTS - 2, "{span:?}: {filled}");
        }
        // Torque drills around 10 kft·lbf in the simulator, and is 0 at connections.
        let (lo, hi) = t
            .extent(channel("Torque").expect("torque"))
            .expect("torque");
        assert!(lo >= 0.0 && (5.0..30.0).contains(&hi), "{lo}..{hi}");
        assert_eq!(Span::from_minutes(30), Some(Span::ThirtyMinutes));
        assert_eq!(Span::from_minutes(45), None);
    }
}
