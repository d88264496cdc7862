//! The readings a driller watches, as the rig floor names them: each gauge's label, unit and
//! decimals and how to read it from a packet and its metrics; which of them each trouble shows
//! on; and evidence channels in the same words. The rig's screen and trends and both servers'
//! incident reports read them from here.

use super::{AnomalyCategory, DrillingMetrics, WitsPacket};

/// One reading as the rig floor names it: a channel of the packet or a computed metric.
pub struct Reading {
    /// Its label on the screen.
    pub label: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Decimals shown.
    pub decimals: usize,
    read: fn(&WitsPacket, &DrillingMetrics) -> Option<f64>,
}

/// The gauges, in screen order.
pub const READINGS: [Reading; 16] = [
    ch("Depth", "ft", 0, |p, _| p.depth_ft()),
    ch("ROP", "ft/h", 0, |p, _| p.rop_ft_h),
    ch("WOB", "klb", 1, |p, _| p.wob_klb),
    ch("RPM", "rpm", 0, |p, _| p.rpm),
    ch("Torque", "kft·lbf", 1, |p, _| p.torque_kftlbf),
    ch("Hookload", "klb", 0, |p, _| p.hookload_klb),
    ch("SPP", "psi", 0, |p, _| p.spp_psi),
    ch("Casing", "psi", 0, |p, _| p.casing_pressure_psi),
    ch("Flow in", "gpm", 0, |p, _| p.flow_in_gpm),
    ch("Flow out", "gpm", 0, |p, _| p.flow_out_gpm),
    ch("Pumps", "spm", 0, |p, _| {
        let strokes = [p.pump1_spm, p.pump2_spm, p.pump3_spm];
        strokes
            .iter()
            .any(Option::is_some)
            .then(|| strokes.iter().flatten().sum())
    }),
    ch("Δ flow", "gpm", 0, |p, _| {
        Some(p.flow_out_gpm? - p.flow_in_gpm?)
    }),
    ch("Pit volume", "bbl", 1, |p, _| p.pit_volume_bbl),
    ch("Gas", "%", 1, |p, _| p.gas_pct),
    ch("MSE", "psi", 0, |_, m| m.mse_psi),
    ch("dc-exponent", "", 2, |_, m| m.dc_exponent),
];

const fn ch(
    label: &'static str,
    unit: &'static str,
    decimals: usize,
    read: fn(&WitsPacket, &DrillingMetrics) -> Option<f64>,
) -> Reading {
    Reading {
        label,
        unit,
        decimals,
        read,
    }
}

impl Reading {
    /// Its value in one packet and its metrics.
    pub fn of(&self, p: &WitsPacket, m: &DrillingMetrics) -> Option<f64> {
        (self.read)(p, m).filter(|v| v.is_finite())
    }
}

/// The index of the reading labelled `label`.
pub fn reading(label: &str) -> Option<usize> {
    READINGS.iter().position(|c| c.label == label)
}

/// The readings a category's trouble shows on, by label.
pub fn involved(category: AnomalyCategory) -> &'static [&'static str] {
    use AnomalyCategory::*;
    match category {
        Kick | LostCirculation => &["Flow in", "Flow out", "Δ flow", "Pit volume", "Pit gain"],
        PackOff => &["SPP", "Torque", "Flow in"],
        Washout => &["SPP", "Flow in"],
        TwistOff => &["Torque", "Hookload", "SPP"],
        StuckPipe => &["Torque", "ROP", "RPM", "Hookload"],
        StickSlip => &["RPM", "Torque"],
        Founder => &["MSE", "WOB", "ROP"],
        MseInefficiency => &["MSE"],
        PressureTransition => &["dc-exponent", "Gas"],
    }
}

/// An evidence channel's name (`flow_out_gpm`) as the rig floor says it ("Flow out").
pub fn evidence_label(channel: &str) -> &str {
    match channel {
        "flow_in_gpm" => "Flow in",
        "flow_out_gpm" => "Flow out",
        "delta_flow_gpm" => "Δ flow",
        "pit_gain_bbl" => "Pit gain",
        "pit_rate_bbl_min" => "Pit rate",
        "spp_psi" => "SPP",
        "torque_kftlbf" => "Torque",
        "hookload_klb" => "Hookload",
        "rpm_cv_pct" => "RPM swing",
        "mse_psi" => "MSE",
        "wob_klb" => "WOB",
        "rop_ft_h" => "ROP",
        "mse_efficiency" => "Efficiency",
        "dc_exponent" => "dc-exponent",
        other => other,
    }
}
