//! What each kind of trouble looks like in one packet: the indicators of a category, each as a
//! ratio of the measured departure to its threshold (≥ 1 = beyond it). The tactical gate reads the
//! newest packet with these; the strategic check reads the whole window with the same ones, so a
//! category has one definition at both time scales.

use super::baseline::{Baseline, Signal};
use super::history::Entry;
use super::thresholds::Thresholds;
use crate::drilling::{AnomalyCategory, PhysicsEvidence, RigState};

/// Below this ROP the bit is not advancing, ft/h.
const STALLED_ROP_FT_H: f64 = 2.0;

/// One indicator of a category in one packet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indicator {
    /// Channel or metric name (`"flow_balance_pct"`).
    pub name: &'static str,
    /// The value measured.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The baseline it is measured against, where it has one.
    pub baseline: Option<f64>,
    /// Departure from the baseline, %.
    pub deviation_pct: Option<f64>,
    /// Departure in the category's direction over its threshold: ≥ 1 means beyond it.
    pub ratio: f64,
    /// Whether this indicator alone can raise the category (others only corroborate or qualify).
    pub primary: bool,
}

impl Indicator {
    /// Beyond its threshold.
    pub fn beyond(&self) -> bool {
        self.ratio >= 1.0
    }

    /// As evidence for an advisory.
    pub fn evidence(&self) -> PhysicsEvidence {
        PhysicsEvidence {
            channel: self.name.to_owned(),
            value: self.value,
            unit: self.unit.to_owned(),
            baseline: self.baseline,
            deviation_pct: self.deviation_pct,
            trend_per_min: None,
            trend_r2: None,
        }
    }
}

/// Most indicators a category has.
const MAX_INDICATORS: usize = 4;

/// A category's indicators, held inline: every category is read in every packet, and this keeps
/// the gate free of heap allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Indicators {
    items: [Option<Indicator>; MAX_INDICATORS],
}

impl Indicators {
    /// The indicators, in the order measured.
    pub fn iter(&self) -> impl Iterator<Item = &Indicator> + Clone {
        self.items.iter().flatten()
    }

    /// None measured.
    pub fn is_empty(&self) -> bool {
        self.items[0].is_none()
    }
}

impl FromIterator<Indicator> for Indicators {
    fn from_iter<I: IntoIterator<Item = Indicator>>(iter: I) -> Self {
        let mut out = Self::default();
        for (slot, i) in out.items.iter_mut().zip(iter) {
            *slot = Some(i);
        }
        out
    }
}

/// A category read in one packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The packet shows the category.
    pub agrees: bool,
    /// Two independent measurements agree (one sensor alone can lie; it never makes a CRITICAL).
    pub corroborated: bool,
    /// The largest primary ratio: how far past its threshold the category is.
    pub strength: f64,
    /// The indicators measured.
    pub indicators: Indicators,
}

/// What a packet said about one category, kept with the packet so that the strategic check reads
/// a window without reading every packet again.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mark {
    /// The detector was on and had its data.
    pub read: bool,
    /// The packet shows the category.
    pub agrees: bool,
    /// Two independent measurements agree.
    pub corroborated: bool,
    /// Two primary measurements existed (flow and pit, for the well-control categories).
    pub two_sensors: bool,
    /// How far past its threshold.
    pub strength: f64,
}

impl Reading {
    /// The compact record of this reading.
    pub fn mark(&self) -> Mark {
        Mark {
            read: true,
            agrees: self.agrees,
            corroborated: self.corroborated,
            two_sensors: self.indicators.iter().filter(|i| i.primary).count() >= 2,
            strength: self.strength,
        }
    }
}

/// The rig states a category's detector runs in; elsewhere it is off (pits move at connections,
/// torque means nothing off bottom).
pub fn active_in(category: AnomalyCategory, state: RigState) -> bool {
    use AnomalyCategory::*;
    use RigState::*;
    match category {
        Kick | LostCirculation | PackOff | Washout => {
            matches!(state, Drilling | Reaming | Circulating)
        }
        StuckPipe | StickSlip => matches!(state, Drilling | Reaming),
        TwistOff | Founder | MseInefficiency | PressureTransition => state == Drilling,
    }
}

/// Read `category` in one history entry; `None` when the detector is off (wrong state, not
/// steady, data or baseline missing).
pub fn read(
    category: AnomalyCategory,
    entry: &Entry,
    baseline: &Baseline,
    th: &Thresholds,
) -> Option<Reading> {
    let (p, m) = (&entry.snapshot.packet, &entry.snapshot.metrics);
    if !entry.steady || !active_in(category, m.rig_state) {
        return None;
    }
    let against = |signal: Signal, sign: f64, threshold_pct: f64, primary: bool| {
        let value = signal.value(p, m)?;
        let dev = baseline.deviation_pct(signal, value)?;
        Some(Indicator {
            name: signal.name(),
            value,
            unit: signal.unit(),
            baseline: baseline.locked(signal).map(|s| s.mean),
            deviation_pct: Some(dev),
            ratio: sign * dev / threshold_pct,
            primary,
        })
    };
    let absolute = |name, value: Option<f64>, unit, ratio: &dyn Fn(f64) -> f64| {
        value.map(|v| Indicator {
            name,
            value: v,
            unit,
            baseline: None,
            deviation_pct: None,
            ratio: ratio(v),
            primary: true,
        })
    };
    // A category whose primary indicator is beyond its threshold may still need its qualifying
    // conditions (the twist-off's pressure and weight loss, the stuck pipe's stall); without them
    // the packet does not show it.
    let mut qualified = true;
    use AnomalyCategory::*;
    let indicators: Indicators = match category {
        Kick => [
            absolute("flow_balance_pct", m.flow_balance_pct, "%", &|v| {
                v / th.kick_flow_pct
            }),
            absolute("pit_gain_bbl", m.pit_gain_bbl, "bbl", &|v| {
                let rate = m.pit_rate_bbl_min.unwrap_or(0.0) / th.kick_pit_rate_bbl_min;
                (v / th.kick_pit_gain_bbl).max(rate)
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
        LostCirculation => [
            absolute("flow_balance_pct", m.flow_balance_pct, "%", &|v| {
                -v / th.loss_flow_pct
            }),
            absolute("pit_rate_bbl_min", m.pit_rate_bbl_min, "bbl/min", &|v| {
                -v / th.loss_pit_rate_bbl_min
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
        PackOff => {
            let spp = against(Signal::SppAtFlow, 1.0, th.pack_off_spp_pct, true)?;
            // Torque climbing with it says cuttings are gripping the string: half the SPP threshold.
            let torque = against(Signal::Torque, 2.0, th.pack_off_spp_pct, false);
            std::iter::once(spp).chain(torque).collect()
        }
        Washout => [against(Signal::SppAtFlow, -1.0, th.washout_spp_pct, true)?]
            .into_iter()
            .collect(),
        TwistOff => {
            let torque = against(Signal::Torque, -1.0, th.twist_off_torque_drop_pct, true)?;
            let confirm: Indicators = [Signal::Spp, Signal::Hookload]
                .into_iter()
                .filter_map(|s| against(s, -1.0, th.twist_off_confirm_drop_pct, false))
                .collect();
            if confirm.is_empty() {
                return None;
            }
            // A parted string loses pressure (shorter flow path) and weight (the part below the
            // break): every one of them that is measured must have fallen.
            // Torque alone falls whenever the driller eases off: not a twist-off.
            qualified = confirm.iter().all(Indicator::beyond);
            std::iter::once(torque)
                .chain(confirm.iter().copied())
                .collect()
        }
        StuckPipe => {
            let torque = against(Signal::Torque, 1.0, th.stuck_torque_pct, true)?;
            // The bit not advancing (under 2 ft/h: slow drilling is still drilling) or the rotary
            // stalling (under half its normal speed).
            let rop = absolute("rop_ft_h", p.rop_ft_h, "ft/h", &|v| {
                if v <= STALLED_ROP_FT_H {
                    1.0
                } else {
                    0.0
                }
            })
            .map(|i| Indicator {
                primary: false,
                ..i
            });
            let rpm = against(Signal::Rpm, -1.0, 50.0, false);
            qualified = [&rop, &rpm]
                .iter()
                .any(|i| i.as_ref().is_some_and(Indicator::beyond));
            std::iter::once(torque).chain(rop).chain(rpm).collect()
        }
        StickSlip => [absolute("rpm_cv_pct", entry.rpm_cv_pct, "%", &|v| {
            v / th.stick_slip_rpm_cv_pct
        })?]
        .into_iter()
        .collect(),
        Founder => {
            let mse = against(Signal::Mse, 1.0, th.founder_mse_pct, true)?;
            let wob = against(Signal::Wob, 1.0, 5.0, false)?;
            let rop = against(Signal::Rop, 1.0, 5.0, false)?;
            // Founder: more weight, no more hole. More weight with more hole is just drilling.
            qualified = wob.beyond() && !rop.beyond();
            [mse, wob, rop].into_iter().collect()
        }
        MseInefficiency => [absolute("mse_efficiency", m.mse_efficiency, "", &|v| {
            if v > 0.0 {
                th.mse_efficiency_min / v
            } else {
                0.0
            }
        })?]
        .into_iter()
        .collect(),
        PressureTransition => [against(Signal::Dc, -1.0, th.transition_dc_pct, true)?]
            .into_iter()
            .collect(),
    };
    if indicators.is_empty() {
        return None;
    }
    let primaries = indicators.iter().filter(|i| i.primary);
    let strength = primaries.clone().map(|i| i.ratio).fold(0.0, f64::max);
    let agrees = strength >= 1.0 && qualified;
    let beyond = indicators.iter().filter(|i| i.beyond()).count();
    let corroborated = match category {
        // Flow and pit are independent measurements of the same mud: both must agree where both
        // exist; with one, it is one sensor's word.
        Kick | LostCirculation => beyond >= 2,
        PackOff | TwistOff | StuckPipe | Founder => beyond >= 2,
        _ => false,
    };
    Some(Reading {
        agrees,
        corroborated,
        strength,
        indicators,
    })
}
