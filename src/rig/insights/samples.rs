//! What the insights learn from: one compact sample per packet of steady drilling (on bottom,
//! bit turning, weight on it, making hole), kept for the insights window and flagged, as it is
//! taken, for the dysfunctions that make a sample say nothing about the parameters — stick-slip
//! (surface torque swinging) and the rest judged later against its segment (MSE far above it).

use crate::drilling::{DrillingMetrics, RigState, WitsPacket};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Torque samples a stick-slip judgement looks back over (about 20 s at 1 Hz).
const TORQUE_WINDOW: usize = 20;
/// Surface torque swinging by more than this share of its mean over the window is stick-slip
/// (field practice flags 10–20 %; a smooth PDC run in the Volve log stays under 5 %).
const STICK_SLIP_TORQUE_CV: f64 = 0.15;
/// Surface torque below this (kft·lbf) while the bit turns on bottom is a dead or unplugged
/// sensor, not rock: the Volve top hole reads 0.01–0.2 kN·m for hundreds of feet between
/// stretches of 5–9. With it the MSE is the thrust term alone, a fifth of the real one.
const MIN_TORQUE_KFTLBF: f64 = 0.5;
/// The most samples kept whatever the window: a day at 1 Hz.
const MOST_SAMPLES: usize = 86_400;

/// One packet of steady drilling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Stream time.
    pub at: DateTime<Utc>,
    /// Hole depth, ft.
    pub depth_ft: f64,
    /// Weight on bit, klb.
    pub wob_klb: f64,
    /// Surface rotary speed, rpm.
    pub rpm: f64,
    /// Rate of penetration, ft/h.
    pub rop_ft_h: f64,
    /// Flow in, gpm.
    pub flow_gpm: Option<f64>,
    /// Mechanical specific energy, psi.
    pub mse_psi: Option<f64>,
    /// Corrected d-exponent.
    pub dc_exponent: Option<f64>,
    /// Surface torque was swinging (stick-slip) when it was taken.
    pub stick_slip: bool,
}

/// The samples of the last `window`, oldest first.
#[derive(Debug, Clone)]
pub struct SampleLog {
    window: Duration,
    samples: VecDeque<Sample>,
    torque: VecDeque<f64>,
}

impl SampleLog {
    /// An empty log keeping `window` of stream time.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            samples: VecDeque::new(),
            torque: VecDeque::with_capacity(TORQUE_WINDOW),
        }
    }

    /// Take one processed packet: kept if it is steady drilling with every figure the insights
    /// need, finite and in range.
    pub fn record(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        if m.rig_state != RigState::Drilling {
            self.torque.clear();
            return;
        }
        let stick_slip = self.torque_swinging(p.torque_kftlbf);
        let positive = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
        let (Some(depth_ft), Some(wob_klb), Some(rpm), Some(rop_ft_h)) = (
            positive(p.hole_depth_ft.or(p.bit_depth_ft)),
            positive(p.wob_klb),
            positive(p.rpm),
            positive(p.rop_ft_h),
        ) else {
            return;
        };
        if self.samples.len() >= MOST_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample {
            at: p.timestamp,
            depth_ft,
            wob_klb,
            rpm,
            rop_ft_h,
            flow_gpm: positive(p.flow_in_gpm),
            mse_psi: positive(m.mse_psi).filter(|_| {
                p.torque_kftlbf
                    .is_some_and(|t| t.is_finite() && t >= MIN_TORQUE_KFTLBF)
            }),
            dc_exponent: positive(m.dc_exponent),
            stick_slip,
        });
        let oldest = p.timestamp - self.window;
        while self.samples.front().is_some_and(|s| s.at < oldest) {
            self.samples.pop_front();
        }
    }

    /// Whether the surface torque, with this packet's, swings like stick-slip.
    fn torque_swinging(&mut self, torque: Option<f64>) -> bool {
        let Some(t) = torque.filter(|t| t.is_finite() && *t > 0.0) else {
            return false;
        };
        if self.torque.len() == TORQUE_WINDOW {
            self.torque.pop_front();
        }
        self.torque.push_back(t);
        if self.torque.len() < TORQUE_WINDOW {
            return false;
        }
        let n = self.torque.len() as f64;
        let mean = self.torque.iter().sum::<f64>() / n;
        let var = self.torque.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
        mean > 0.0 && var.sqrt() / mean > STICK_SLIP_TORQUE_CV
    }

    /// The samples of the last `span` before the newest, oldest first.
    pub fn last(&self, span: Duration) -> Vec<Sample> {
        let Some(newest) = self.samples.back().map(|s| s.at) else {
            return Vec::new();
        };
        let from = newest - span;
        self.samples
            .iter()
            .filter(|s| s.at >= from)
            .copied()
            .collect()
    }

    /// The newest sample.
    pub fn newest(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// Samples kept.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drilling(torque: Option<f64>) -> (WitsPacket, DrillingMetrics) {
        let p = WitsPacket {
            timestamp: chrono::Utc::now(),
            hole_depth_ft: Some(9_000.0),
            wob_klb: Some(25.0),
            rpm: Some(120.0),
            rop_ft_h: Some(80.0),
            torque_kftlbf: torque,
            ..WitsPacket::default()
        };
        let m = DrillingMetrics {
            rig_state: RigState::Drilling,
            mse_psi: Some(21_000.0),
            ..DrillingMetrics::default()
        };
        (p, m)
    }

    #[test]
    fn a_dead_torque_sensor_leaves_no_mse_and_off_bottom_leaves_no_sample() {
        let mut log = SampleLog::new(Duration::hours(1));
        for torque in [Some(8.0), Some(0.1), None] {
            let (p, m) = drilling(torque);
            log.record(&p, &m);
        }
        let mse: Vec<Option<f64>> = log
            .last(Duration::hours(1))
            .iter()
            .map(|s| s.mse_psi)
            .collect();
        assert_eq!(mse, vec![Some(21_000.0), None, None]);
        let (p, mut m) = drilling(Some(8.0));
        m.rig_state = RigState::Connection;
        log.record(&p, &m);
        assert_eq!(log.len(), 3, "a connection is not drilling");
    }
}
