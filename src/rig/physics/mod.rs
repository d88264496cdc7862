//! Drilling physics per packet (DESIGN §3.3). Pure functions of their inputs, in oilfield units;
//! each returns `None` where its formula is undefined, so no NaN or infinity ever leaves here.

pub mod dexp;
pub mod ecd;
pub mod flow;
pub mod hoist;
pub mod mse;
pub mod state;

/// `Some(v)` only for a finite `v`: the one gate every formula's result passes.
pub(crate) fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

use crate::drilling::{DrillingMetrics, WitsPacket};
use serde::{Deserialize, Serialize};
use state::{StateClassifier, StateThresholds};

/// The well and string as configured: what the physics needs that no sensor sends.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WellConfig {
    /// Bit diameter, in (a `bit_diameter_in` channel, where the source has one, wins).
    pub bit_diameter_in: f64,
    /// Open-hole (or last casing ID) diameter for the annulus, in.
    pub hole_diameter_in: f64,
    /// Drill-pipe outside diameter, in.
    pub pipe_od_in: f64,
    /// Drill-pipe inside diameter, in: with the outside diameter, the steel a trip displaces.
    pub pipe_id_in: f64,
    /// Whether the string trips closed-ended (a float valve or a plugged bit: it displaces its
    /// whole outside diameter) rather than open-ended (only its steel).
    pub trip_closed_end: bool,
    /// Normal pore-pressure gradient as mud weight for the dc-exponent, ppg.
    pub normal_pore_ppg: f64,
    /// Mud weight to use when no density channel is sent, ppg.
    pub mud_density_ppg: f64,
    /// Pump output per stroke, US gal, to derive flow in from strokes when no flow meter is sent
    /// (0 = do not derive).
    pub pump_output_gal_per_stroke: f64,
    /// Confined rock strength for MSE efficiency, psi (0 = not configured).
    pub rock_strength_psi: f64,
}

impl Default for WellConfig {
    fn default() -> Self {
        Self {
            bit_diameter_in: 8.5,
            hole_diameter_in: 8.5,
            pipe_od_in: 5.0,
            // 5-in 19.5 lb/ft drill pipe.
            pipe_id_in: 4.276,
            trip_closed_end: false,
            // 0.465 psi/ft, the Gulf Coast normal pore gradient.
            normal_pore_ppg: 8.94,
            mud_density_ppg: 10.0,
            pump_output_gal_per_stroke: 0.0,
            rock_strength_psi: 0.0,
        }
    }
}

/// Square inches of diameter per bbl/ft: a bore of D in holds D²/1029.4 bbl per foot.
const IN2_PER_BBL_FT: f64 = 1_029.4;

impl WellConfig {
    /// What the string displaces per foot moved, bbl/ft: its steel open-ended, its whole outside
    /// diameter closed-ended.
    pub fn displacement_bbl_ft(&self) -> f64 {
        let od2 = self.pipe_od_in * self.pipe_od_in;
        if self.trip_closed_end {
            od2 / IN2_PER_BBL_FT
        } else {
            (od2 - self.pipe_id_in * self.pipe_id_in) / IN2_PER_BBL_FT
        }
    }

    /// Every reason this geometry cannot be used, empty when it can.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let positive = [
            ("bit_diameter_in", self.bit_diameter_in),
            ("hole_diameter_in", self.hole_diameter_in),
            ("pipe_od_in", self.pipe_od_in),
            ("normal_pore_ppg", self.normal_pore_ppg),
            ("mud_density_ppg", self.mud_density_ppg),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                out.push(format!("well.{name} must be a positive number, not {v}"));
            }
        }
        if !(self.pipe_id_in.is_finite()
            && self.pipe_id_in > 0.0
            && self.pipe_id_in < self.pipe_od_in)
        {
            out.push(format!(
                "well.pipe_id_in ({}) must be positive and smaller than well.pipe_od_in ({})",
                self.pipe_id_in, self.pipe_od_in
            ));
        }
        if self.pipe_od_in >= self.hole_diameter_in {
            out.push(format!(
                "well.pipe_od_in ({}) must be smaller than well.hole_diameter_in ({})",
                self.pipe_od_in, self.hole_diameter_in
            ));
        }
        for (name, v) in [
            (
                "pump_output_gal_per_stroke",
                self.pump_output_gal_per_stroke,
            ),
            ("rock_strength_psi", self.rock_strength_psi),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                out.push(format!("well.{name} must be zero or positive, not {v}"));
            }
        }
        out
    }
}

/// Per-packet physics with the little state it needs (the previous bit depth). The pit's gain
/// and trend need the rig's connections and transfers: well control computes them.
#[derive(Debug, Clone)]
pub struct Physics {
    well: WellConfig,
    classifier: StateClassifier,
}

impl Physics {
    /// Physics for this well, classifying states with these thresholds.
    pub fn new(well: WellConfig, states: StateThresholds) -> Self {
        Self {
            well,
            classifier: StateClassifier::new(states),
        }
    }

    /// Fill what the configuration can supply and the stream did not: flow in from pump strokes
    /// and the bit size. Measured values are never overwritten.
    pub fn complete(&self, packet: &mut WitsPacket) {
        if packet.flow_in_gpm.is_none() && self.well.pump_output_gal_per_stroke > 0.0 {
            let spm = [packet.pump1_spm, packet.pump2_spm, packet.pump3_spm];
            if spm.iter().any(Option::is_some) {
                let total: f64 = spm.iter().flatten().sum();
                packet.flow_in_gpm = finite(total * self.well.pump_output_gal_per_stroke);
            }
        }
        if packet.bit_diameter_in.is_none() {
            packet.bit_diameter_in = Some(self.well.bit_diameter_in);
        }
    }

    /// The metrics for one (completed) packet.
    pub fn compute(&mut self, p: &WitsPacket) -> DrillingMetrics {
        let rig_state = self.classifier.classify(p, p.flow_in_gpm);
        let bit_in = p.bit_diameter_in.unwrap_or(self.well.bit_diameter_in);
        let mud_ppg = p.mud_density_in_ppg.unwrap_or(self.well.mud_density_ppg);
        let mut m = DrillingMetrics {
            rig_state,
            ..DrillingMetrics::default()
        };
        // The rotary term needs both speed and torque: a torque taken out as frozen (or never
        // sent) leaves no MSE, not the WOB term alone.
        if let (Some(wob), Some(rop), Some(rpm), Some(torque)) =
            (p.wob_klb, p.rop_ft_h, p.rpm, p.torque_kftlbf)
        {
            m.mse_psi = mse::mse_psi(wob * 1_000.0, bit_in, rpm, torque * 1_000.0, rop);
            if self.well.rock_strength_psi > 0.0 {
                m.mse_efficiency = m
                    .mse_psi
                    .and_then(|e| mse::efficiency(self.well.rock_strength_psi, e));
            }
        }
        if let (Some(wob), Some(rop), Some(rpm)) = (p.wob_klb, p.rop_ft_h, p.rpm) {
            m.d_exponent = dexp::d_exponent(rop, rpm, wob * 1_000.0, bit_in);
            m.dc_exponent = m
                .d_exponent
                .and_then(|d| dexp::dc_exponent(d, self.well.normal_pore_ppg, mud_ppg));
        }
        let tvd = p.hole_depth_tvd_ft.or(p.hole_depth_ft);
        let length = p.bit_depth_ft.or(p.hole_depth_ft);
        if let (Some(tvd), Some(length)) = (tvd, length) {
            let flow = p.flow_in_gpm.unwrap_or(0.0);
            let loss = ecd::annular_loss_psi(
                mud_ppg,
                length,
                flow,
                // Open hole is at least the bit's size (a bit-size channel outranks the config).
                self.well.hole_diameter_in.max(bit_in),
                self.well.pipe_od_in,
            );
            m.ecd_ppg = loss.and_then(|l| ecd::ecd_ppg(mud_ppg, l, tvd));
        }
        if let (Some(q_in), Some(q_out)) = (p.flow_in_gpm, p.flow_out_gpm) {
            (m.flow_balance_gpm, m.flow_balance_pct) = flow::flow_balance(q_in, q_out);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_packet_gives_every_metric_and_a_bare_one_none() {
        let mut physics = Physics::new(WellConfig::default(), StateThresholds::default());
        let mut p = WitsPacket {
            bit_depth_ft: Some(10_000.0),
            hole_depth_ft: Some(10_000.0),
            rop_ft_h: Some(30.0),
            wob_klb: Some(35.0),
            rpm: Some(120.0),
            torque_kftlbf: Some(12.0),
            flow_in_gpm: Some(500.0),
            flow_out_gpm: Some(510.0),
            pit_volume_bbl: Some(450.0),
            ..WitsPacket::default()
        };
        physics.complete(&mut p);
        let m = physics.compute(&p);
        assert_eq!(m.rig_state, crate::drilling::RigState::Drilling);
        assert!(m.mse_psi.is_some_and(|v| v > 10_000.0));
        assert!(
            m.d_exponent.is_some_and(|d| (d - 1.82).abs() < 0.01),
            "Lapeyrouse inputs"
        );
        assert!(m.dc_exponent.is_some());
        assert!(
            m.ecd_ppg.is_some_and(|e| e > 10.0 && e < 11.0),
            "{:?}",
            m.ecd_ppg
        );
        assert_eq!(m.flow_balance_gpm, Some(10.0));

        let mut bare = WitsPacket::default();
        physics.complete(&mut bare);
        let m = physics.compute(&bare);
        assert_eq!((m.mse_psi, m.d_exponent, m.ecd_ppg), (None, None, None));

        // A frozen torque taken out by the sensor check: no MSE (the WOB term alone would read
        // as a few hundred psi of perfectly efficient drilling), the d-exponent still.
        let mut frozen = WitsPacket {
            torque_kftlbf: None,
            ..p
        };
        physics.complete(&mut frozen);
        let m = physics.compute(&frozen);
        assert_eq!(m.mse_psi, None);
        assert!(m.d_exponent.is_some());
    }

    /// Displacement of 5-in 19.5 lb/ft drill pipe (ID 4.276 in) by the oilfield capacity formula
    /// D²/1029.4 bbl/ft: open-ended (5² − 4.276²)/1029.4 = 0.00652 bbl/ft (the steel, tool joints
    /// left out), closed-ended 5²/1029.4 = 0.02429 bbl/ft.
    #[test]
    fn displacement_of_five_inch_drill_pipe() {
        let open = WellConfig::default().displacement_bbl_ft();
        assert!((open - 0.00652).abs() < 0.00001, "{open}");
        let closed = WellConfig {
            trip_closed_end: true,
            ..WellConfig::default()
        }
        .displacement_bbl_ft();
        assert!((closed - 0.02429).abs() < 0.00001, "{closed}");
    }

    #[test]
    fn strokes_give_flow_in_only_when_a_pump_output_is_configured() {
        let well = WellConfig {
            pump_output_gal_per_stroke: 4.2,
            ..WellConfig::default()
        };
        let mut p = WitsPacket {
            pump1_spm: Some(60.0),
            pump2_spm: Some(60.0),
            ..WitsPacket::default()
        };
        Physics::new(well, StateThresholds::default()).complete(&mut p);
        assert!((p.flow_in_gpm.expect("derived") - 504.0).abs() < 1e-9);
        let mut q = WitsPacket {
            pump1_spm: Some(60.0),
            ..WitsPacket::default()
        };
        Physics::new(WellConfig::default(), StateThresholds::default()).complete(&mut q);
        assert_eq!(q.flow_in_gpm, None);
        assert!(WellConfig::default().problems().is_empty());
        let bad = WellConfig {
            pipe_od_in: 9.0,
            bit_diameter_in: f64::NAN,
            ..WellConfig::default()
        };
        assert_eq!(bad.problems().len(), 2, "{:?}", bad.problems());
    }
}
