//! The detection thresholds: what counts as trouble. Editable in `config/rig.toml` and, live,
//! through `PUT /api/v1/config/thresholds`; both go through [`Thresholds::problems`].

use serde::{Deserialize, Serialize};

/// Every threshold the tactical gate, the strategic check and the composer use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Kick: flow out above flow in by more than this, % of flow in.
    pub kick_flow_pct: f64,
    /// Kick: pit gaining faster than this, bbl/min.
    pub kick_pit_rate_bbl_min: f64,
    /// Kick: pit gain since the last stable point above this, bbl.
    pub kick_pit_gain_bbl: f64,
    /// Lost circulation: flow out below flow in by more than this, % of flow in.
    pub loss_flow_pct: f64,
    /// Lost circulation: pit falling faster than this, bbl/min.
    pub loss_pit_rate_bbl_min: f64,
    /// Lost circulation: pit below its reference (or its level before a connection) by more than
    /// this, bbl.
    pub loss_pit_bbl: f64,
    /// Kick or losses: one sensor beyond its threshold this long reaches HIGH on its own, s.
    pub kick_sustained_secs: f64,
    /// Connection: flow-back above this rig's usual by more than this many standard deviations is
    /// a kick at the connection.
    pub flowback_sigmas: f64,
    /// Connection: and by at least this much, bbl (the floor under a very regular fingerprint).
    pub flowback_excess_bbl: f64,
    /// Trips (pumps off): trip tank off the string's displacement by more than this, bbl — above
    /// it a swabbed influx, below it losses.
    pub trip_discrepancy_bbl: f64,
    /// Pit moves faster than this with the well balanced (or that stop as they started) are
    /// transfers between tanks, not gains or losses, bbl/min.
    pub transfer_rate_bbl_min: f64,
    /// Pack-off: standpipe pressure above its baseline by more than this, %.
    pub pack_off_spp_pct: f64,
    /// Washout: standpipe pressure below its baseline by more than this at steady flow, %.
    pub washout_spp_pct: f64,
    /// Twist-off: torque below its baseline by more than this while drilling, %.
    pub twist_off_torque_drop_pct: f64,
    /// Twist-off: with standpipe pressure or hookload below baseline by more than this, %.
    pub twist_off_confirm_drop_pct: f64,
    /// Stuck pipe: torque above its baseline by more than this with the bit not advancing, %.
    pub stuck_torque_pct: f64,
    /// Stick-slip: rotary speed varying (coefficient of variation over the history) above this, %.
    pub stick_slip_rpm_cv_pct: f64,
    /// Founder: MSE above its baseline by more than this while WOB rises and ROP does not, %.
    pub founder_mse_pct: f64,
    /// Poor MSE efficiency: drilling efficiency below this fraction (needs `well.rock_strength_psi`).
    pub mse_efficiency_min: f64,
    /// Pressure transition: dc-exponent below its baseline by more than this, %.
    pub transition_dc_pct: f64,
    /// Share of the verification window that must agree before a ticket is confirmed (0–1).
    pub sustain_fraction: f64,
    /// Least R² of the trend regression for the categories verified by trend (0–1).
    pub trend_min_r2: f64,
    /// Kick: from this pit gain the advisory stops saying "flow-check" and says "shut in now", bbl.
    pub kick_shut_in_gain_bbl: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            kick_flow_pct: 5.0,
            kick_pit_rate_bbl_min: 0.3,
            kick_pit_gain_bbl: 2.0,
            loss_flow_pct: 8.0,
            loss_pit_rate_bbl_min: 0.5,
            loss_pit_bbl: 3.0,
            kick_sustained_secs: 180.0,
            flowback_sigmas: 3.0,
            flowback_excess_bbl: 1.0,
            transfer_rate_bbl_min: 3.0,
            trip_discrepancy_bbl: 2.0,
            pack_off_spp_pct: 8.0,
            washout_spp_pct: 8.0,
            twist_off_torque_drop_pct: 40.0,
            twist_off_confirm_drop_pct: 5.0,
            stuck_torque_pct: 35.0,
            stick_slip_rpm_cv_pct: 15.0,
            founder_mse_pct: 25.0,
            mse_efficiency_min: 0.3,
            transition_dc_pct: 8.0,
            sustain_fraction: 0.7,
            trend_min_r2: 0.5,
            kick_shut_in_gain_bbl: 10.0,
        }
    }
}

impl Thresholds {
    /// Every reason these thresholds cannot be used, one line each; empty when they can.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let percents = [
            ("kick_flow_pct", self.kick_flow_pct),
            ("loss_flow_pct", self.loss_flow_pct),
            ("pack_off_spp_pct", self.pack_off_spp_pct),
            ("washout_spp_pct", self.washout_spp_pct),
            ("twist_off_torque_drop_pct", self.twist_off_torque_drop_pct),
            (
                "twist_off_confirm_drop_pct",
                self.twist_off_confirm_drop_pct,
            ),
            ("stuck_torque_pct", self.stuck_torque_pct),
            ("stick_slip_rpm_cv_pct", self.stick_slip_rpm_cv_pct),
            ("founder_mse_pct", self.founder_mse_pct),
            ("transition_dc_pct", self.transition_dc_pct),
        ];
        for (name, v) in percents {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                out.push(format!(
                    "{name} must be a percentage above 0 and at most 100, not {v}"
                ));
            }
        }
        let positives = [
            ("kick_pit_rate_bbl_min", self.kick_pit_rate_bbl_min),
            ("kick_pit_gain_bbl", self.kick_pit_gain_bbl),
            ("loss_pit_rate_bbl_min", self.loss_pit_rate_bbl_min),
            ("kick_shut_in_gain_bbl", self.kick_shut_in_gain_bbl),
            ("loss_pit_bbl", self.loss_pit_bbl),
            ("kick_sustained_secs", self.kick_sustained_secs),
            ("flowback_sigmas", self.flowback_sigmas),
            ("flowback_excess_bbl", self.flowback_excess_bbl),
            ("transfer_rate_bbl_min", self.transfer_rate_bbl_min),
            ("trip_discrepancy_bbl", self.trip_discrepancy_bbl),
        ];
        for (name, v) in positives {
            if !(v.is_finite() && v > 0.0 && v <= 1_000.0) {
                out.push(format!("{name} must be above 0 and at most 1000, not {v}"));
            }
        }
        let fractions = [
            ("mse_efficiency_min", self.mse_efficiency_min),
            ("sustain_fraction", self.sustain_fraction),
            ("trend_min_r2", self.trend_min_r2),
        ];
        for (name, v) in fractions {
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                out.push(format!(
                    "{name} must be a fraction above 0 and at most 1, not {v}"
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_nonsense_is_named() {
        assert!(Thresholds::default().problems().is_empty());
        let bad = Thresholds {
            kick_flow_pct: -1.0,
            sustain_fraction: f64::NAN,
            kick_shut_in_gain_bbl: 1e9,
            ..Thresholds::default()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("kick_flow_pct"));
    }
}
