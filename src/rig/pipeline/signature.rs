//! What each kind of trouble looks like in one packet: the indicators of a category, each as a
//! ratio of the measured departure to its threshold (≥ 1 = beyond it). The tactical gate reads the
//! newest packet with these; the strategic check reads the whole window with the same ones, so a
//! category has one definition at both time scales.

use super::baseline::{Baseline, Signal};
use super::history::Entry;
use super::thresholds::Thresholds;
use super::well_control::WellView;
use crate::drilling::{AnomalyCategory, DrillingMetrics, PhysicsEvidence, RigState, WitsPacket};

/// The dc-exponent is compared with its baseline only while WOB and RPM are within this of
/// theirs, %.
const LIKE_PARAMETERS_PCT: f64 = 15.0;
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
            channel: self.name.into(),
            value: self.value,
            unit: self.unit.into(),
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
            strength: self.strength,
        }
    }
}

/// The rig states a category's detector runs in; elsewhere it is off (torque means nothing off
/// bottom). Kicks and losses are read in every state by well control, which knows what the pits
/// and flows mean in each.
pub fn active_in(category: AnomalyCategory, state: RigState) -> bool {
    use AnomalyCategory::*;
    use RigState::*;
    match category {
        Kick | LostCirculation => true,
        PackOff | Washout => matches!(state, Drilling | Reaming | Circulating),
        StuckPipe | StickSlip => matches!(state, Drilling | Reaming),
        TwistOff | Founder | MseInefficiency | PressureTransition => state == Drilling,
    }
}

/// Read `category` in one history entry (kicks and losses: in what well control read of it);
/// `None` when the detector is off (wrong state, not steady, data or baseline missing).
pub fn read(
    category: AnomalyCategory,
    entry: &Entry,
    baseline: &Baseline,
    th: &Thresholds,
    well: &WellView,
) -> Option<Reading> {
    match category {
        AnomalyCategory::Kick => return well.kick.clone(),
        AnomalyCategory::LostCirculation => return well.losses.clone(),
        _ => {}
    }
    if !entry.steady || !active_in(category, entry.snapshot.metrics.rig_state) {
        return None;
    }
    let reader = Reader {
        p: &entry.snapshot.packet,
        m: &entry.snapshot.metrics,
        entry,
        baseline,
        th,
    };
    let (indicators, qualified) = reader.indicators(category)?;
    if indicators.is_empty() {
        return None;
    }
    Some(judge(category, indicators, qualified))
}

/// Whether the indicators agree (the strongest primary beyond its threshold, and qualified) and
/// are corroborated (a second independent one beyond too).
fn judge(category: AnomalyCategory, indicators: Indicators, qualified: bool) -> Reading {
    use AnomalyCategory::*;
    let primaries = indicators.iter().filter(|i| i.primary);
    let strength = primaries.clone().map(|i| i.ratio).fold(0.0, f64::max);
    let agrees = strength >= 1.0 && qualified;
    let beyond = indicators.iter().filter(|i| i.beyond()).count();
    let corroborated = match category {
        PackOff | TwistOff | StuckPipe | Founder => beyond >= 2,
        _ => false,
    };
    Reading {
        agrees,
        corroborated,
        strength,
        indicators,
    }
}

/// One entry's readings, against the baseline and the thresholds.
struct Reader<'a> {
    p: &'a WitsPacket,
    m: &'a DrillingMetrics,
    entry: &'a Entry,
    baseline: &'a Baseline,
    th: &'a Thresholds,
}

/// A category's indicators, and whether its qualifying conditions hold. A category whose primary
/// indicator is beyond its threshold may still need them (the twist-off's pressure and weight
/// loss, the stuck pipe's stall); without them the packet does not show it.
type Signature = (Indicators, bool);

impl Reader<'_> {
    /// A signal's deviation from the baseline as an indicator: `sign` says which way is trouble.
    fn against(
        &self,
        signal: Signal,
        sign: f64,
        threshold_pct: f64,
        primary: bool,
    ) -> Option<Indicator> {
        let value = signal.value(self.p, self.m)?;
        let dev = self.baseline.deviation_pct(signal, value)?;
        Some(Indicator {
            name: signal.name(),
            value,
            unit: signal.unit(),
            baseline: self.baseline.locked(signal).map(|s| s.mean),
            deviation_pct: Some(dev),
            ratio: sign * dev / threshold_pct,
            primary,
        })
    }

    /// A value judged on its own (no baseline): `ratio` says how far toward its threshold.
    fn absolute(
        name: &'static str,
        value: Option<f64>,
        unit: &'static str,
        ratio: impl Fn(f64) -> f64,
    ) -> Option<Indicator> {
        value.map(|v| Indicator {
            name,
            value: v,
            unit,
            baseline: None,
            deviation_pct: None,
            ratio: ratio(v),
            primary: true,
        })
    }

    fn indicators(&self, category: AnomalyCategory) -> Option<Signature> {
        use AnomalyCategory::*;
        let (m, th) = (self.m, self.th);
        let only = |i: Indicator| (std::iter::once(i).collect(), true);
        Some(match category {
            // Read by well control (`read` returns its reading before coming here).
            Kick | LostCirculation => return None,
            PackOff => self.pack_off()?,
            Washout => only(self.against(Signal::SppAtFlow, -1.0, th.washout_spp_pct, true)?),
            TwistOff => self.twist_off()?,
            StuckPipe => self.stuck_pipe()?,
            StickSlip => only(Self::absolute(
                "rpm_cv_pct",
                self.entry.rpm_cv_pct,
                "%",
                |v| v / th.stick_slip_rpm_cv_pct,
            )?),
            Founder => self.founder()?,
            MseInefficiency => only(Self::absolute(
                "mse_efficiency",
                m.mse_efficiency,
                "",
                |v| {
                    if v > 0.0 {
                        th.mse_efficiency_min / v
                    } else {
                        0.0
                    }
                },
            )?),
            PressureTransition => self.pressure_transition()?,
        })
    }

    /// The dc-exponent against its baseline, compared only at like parameters: a WOB or RPM the
    /// driller has changed by more than [`LIKE_PARAMETERS_PCT`] moves d for reasons of its own.
    fn pressure_transition(&self) -> Option<Signature> {
        let dc = self.against(Signal::Dc, -1.0, self.th.transition_dc_pct, true)?;
        let like = [Signal::Wob, Signal::Rpm].into_iter().all(|s| {
            s.value(self.p, self.m)
                .and_then(|v| self.baseline.deviation_pct(s, v))
                .is_some_and(|d| d.abs() <= LIKE_PARAMETERS_PCT)
        });
        like.then(|| (std::iter::once(dc).collect(), true))
    }

    fn pack_off(&self) -> Option<Signature> {
        let th = self.th;
        let spp = self.against(Signal::SppAtFlow, 1.0, th.pack_off_spp_pct, true)?;
        // Torque climbing with it says cuttings are gripping the string: half the SPP threshold.
        let torque = self.against(Signal::Torque, 2.0, th.pack_off_spp_pct, false);
        Some((std::iter::once(spp).chain(torque).collect(), true))
    }

    fn twist_off(&self) -> Option<Signature> {
        let th = self.th;
        let torque = self.against(Signal::Torque, -1.0, th.twist_off_torque_drop_pct, true)?;
        let confirm: Indicators = [Signal::Spp, Signal::Hookload]
            .into_iter()
            .filter_map(|s| self.against(s, -1.0, th.twist_off_confirm_drop_pct, false))
            .collect();
        if confirm.is_empty() {
            return None;
        }
        // A parted string loses pressure (shorter flow path) and weight (the part below the
        // break): every one of them that is measured must have fallen.
        // Torque alone falls whenever the driller eases off: not a twist-off.
        let qualified = confirm.iter().all(Indicator::beyond);
        let indicators = std::iter::once(torque)
            .chain(confirm.iter().copied())
            .collect();
        Some((indicators, qualified))
    }

    fn stuck_pipe(&self) -> Option<Signature> {
        let torque = self.against(Signal::Torque, 1.0, self.th.stuck_torque_pct, true)?;
        // The bit not advancing (under 2 ft/h: slow drilling is still drilling) or the rotary
        // stalling (under half its normal speed).
        let rop = Self::absolute("rop_ft_h", self.p.rop_ft_h, "ft/h", |v| {
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
        let rpm = self.against(Signal::Rpm, -1.0, 50.0, false);
        let qualified = [&rop, &rpm]
            .iter()
            .any(|i| i.as_ref().is_some_and(Indicator::beyond));
        Some((
            std::iter::once(torque).chain(rop).chain(rpm).collect(),
            qualified,
        ))
    }

    fn founder(&self) -> Option<Signature> {
        let mse = self.against(Signal::Mse, 1.0, self.th.founder_mse_pct, true)?;
        let wob = self.against(Signal::Wob, 1.0, 5.0, false)?;
        let rop = self.against(Signal::Rop, 1.0, 5.0, false)?;
        // Founder: more weight, no more hole. More weight with more hole is just drilling.
        let qualified = wob.beyond() && !rop.beyond();
        Some(([mse, wob, rop].into_iter().collect(), qualified))
    }
}
