//! Phase 10: the advisory the driller reads — risk level, what to do with the actual numbers, the
//! evidence — and the rules that keep it from crying wolf: a CRITICAL within the cooldown of the
//! previous CRITICAL of its category is suppressed, and a category is not repeated at the same or
//! a lower level within `repeat_secs`.

use super::signature::Indicator;
use super::strategic::Verified;
use super::thresholds::Thresholds;
use crate::drilling::{
    thousands, AdvisorySource, AnomalyCategory, PrecedentRef, RiskLevel, SpecialistVote,
    StrategicAdvisory, WitsPacket,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What was last said per category.
#[derive(Debug, Clone, Default)]
pub struct Cooldowns {
    last: BTreeMap<AnomalyCategory, (DateTime<Utc>, RiskLevel)>,
    last_critical: BTreeMap<AnomalyCategory, DateTime<Utc>>,
}

impl Cooldowns {
    /// Whether an advisory of `category` at `level` may go out at `at`; records it when it may.
    pub fn admit(
        &mut self,
        category: AnomalyCategory,
        level: RiskLevel,
        at: DateTime<Utc>,
        th: &Thresholds,
    ) -> bool {
        let secs_since = |t: DateTime<Utc>| (at - t).num_milliseconds() as f64 / 1_000.0;
        let admitted = if level == RiskLevel::Critical {
            self.last_critical
                .get(&category)
                .is_none_or(|&t| secs_since(t) >= th.critical_cooldown_secs)
        } else {
            self.last
                .get(&category)
                .is_none_or(|&(t, l)| level > l || secs_since(t) >= th.repeat_secs)
        };
        if admitted {
            self.last.insert(category, (at, level));
            if level == RiskLevel::Critical {
                self.last_critical.insert(category, at);
            }
        }
        admitted
    }
}

fn find<'a>(v: &'a Verified, name: &str) -> Option<&'a Indicator> {
    v.reading.indicators.iter().find(|i| i.name == name)
}

/// A value as a driller reads it: big numbers with separators, small ones with `decimals`.
fn number(v: f64, decimals: usize) -> String {
    if decimals == 0 {
        thousands(v)
    } else {
        format!("{v:.decimals$}")
    }
}

fn against_baseline(i: Option<&Indicator>, unit: &str, decimals: usize) -> String {
    match i {
        Some(i) => match (i.deviation_pct, i.baseline) {
            (Some(d), Some(b)) => format!(
                "{} {unit}, {:.0} % {} baseline {}",
                number(i.value, decimals),
                d.abs(),
                if d >= 0.0 { "above" } else { "below" },
                number(b, decimals)
            ),
            _ => format!("{} {unit}", number(i.value, decimals)),
        },
        None => "n/a".into(),
    }
}

fn trend_text(v: &Verified, unit: &str) -> String {
    // Pressures move by psi a minute, exponents by thousandths.
    let decimals = if unit.is_empty() { 3 } else { 1 };
    v.evidence
        .iter()
        .find_map(|e| Some((e.trend_per_min?, e.trend_r2?)))
        .map(|(slope, r2)| format!(", trending {slope:+.decimals$} {unit}/min (R² {r2:.2})"))
        .unwrap_or_default()
}

/// The recommendation for a confirmed ticket: what is happening, in numbers, and what to do.
pub fn recommendation(v: &Verified, p: &WitsPacket) -> String {
    let opt = |x: Option<f64>, unit: &str| {
        x.map(|x| format!("{} {unit}", thousands(x)))
            .unwrap_or_else(|| "n/a".into())
    };
    use AnomalyCategory::*;
    match v.category {
        Kick => {
            let flow = find(v, "flow_balance_pct").map(|i| i.value);
            let gain = find(v, "pit_gain_bbl").map(|i| i.value);
            format!(
                "Possible KICK: flow out {} vs flow in {}{}{}. Stop drilling, pick up off bottom, stop the pumps and flow-check; shut in if the well flows.",
                opt(p.flow_out_gpm, "gpm"),
                opt(p.flow_in_gpm, "gpm"),
                flow.map(|f| format!(" ({f:+.1} %)")).unwrap_or_default(),
                gain.map(|g| format!(", pit gain {g:.1} bbl")).unwrap_or_default(),
            )
        }
        LostCirculation => {
            let flow = find(v, "flow_balance_pct").map(|i| i.value);
            let rate = find(v, "pit_rate_bbl_min").map(|i| i.value);
            format!(
                "LOST CIRCULATION: returns {} vs flow in {}{}{}. Reduce pump rate, keep the hole full, prepare LCM; watch for a kick if the level drops.",
                opt(p.flow_out_gpm, "gpm"),
                opt(p.flow_in_gpm, "gpm"),
                flow.map(|f| format!(" ({f:+.1} %)")).unwrap_or_default(),
                rate.map(|r| format!(", pit {r:+.2} bbl/min")).unwrap_or_default(),
            )
        }
        PackOff => format!(
            "PACK-OFF: standpipe {} at {} (scaled to 1,000 gpm: {}{}); torque {}. Reduce flow, work the pipe without pulling hard, then circulate the hole clean.",
            opt(p.spp_psi, "psi"),
            opt(p.flow_in_gpm, "gpm"),
            against_baseline(find(v, "spp_at_1000_gpm_psi"), "psi", 0),
            trend_text(v, "psi"),
            against_baseline(find(v, "torque_kftlbf"), "kft·lbf", 1),
        ),
        Washout => format!(
            "Possible WASHOUT: standpipe {} at {} (scaled to 1,000 gpm: {}{}). Check pumps and surface lines, then pull to find the washed connection before it parts.",
            opt(p.spp_psi, "psi"),
            opt(p.flow_in_gpm, "gpm"),
            against_baseline(find(v, "spp_at_1000_gpm_psi"), "psi", 0),
            trend_text(v, "psi"),
        ),
        TwistOff => format!(
            "Possible TWIST-OFF: torque {}; hookload {}; standpipe {}. Stop rotating, pick up and check string weight; prepare to fish.",
            against_baseline(find(v, "torque_kftlbf"), "kft·lbf", 1),
            against_baseline(find(v, "hookload_klb"), "klb", 0),
            against_baseline(find(v, "spp_psi"), "psi", 0),
        ),
        StuckPipe => format!(
            "STUCK PIPE risk: torque {}; ROP {}; rotary {}. Stop, do not over-pull; work the pipe within limits per the stuck-pipe plan.",
            against_baseline(find(v, "torque_kftlbf"), "kft·lbf", 1),
            opt(p.rop_ft_h, "ft/h"),
            opt(p.rpm, "rpm"),
        ),
        StickSlip => format!(
            "STICK-SLIP: rotary speed varying {:.0} % around {}. Raise RPM or reduce WOB until it steadies.",
            find(v, "rpm_cv_pct").map(|i| i.value).unwrap_or_default(),
            opt(p.rpm, "rpm"),
        ),
        Founder => format!(
            "FOUNDER: MSE {}; WOB {} while ROP is {}. Back WOB off to the last point where ROP rose with it.",
            against_baseline(find(v, "mse_psi"), "psi", 0),
            against_baseline(find(v, "wob_klb"), "klb", 1),
            against_baseline(find(v, "rop_ft_h"), "ft/h", 0),
        ),
        MseInefficiency => format!(
            "Low drilling efficiency: {:.0} % of the energy goes into cutting rock. Review WOB and RPM.",
            find(v, "mse_efficiency").map(|i| i.value * 100.0).unwrap_or_default(),
        ),
        PressureTransition => format!(
            "PRESSURE TRANSITION: dc-exponent {}{}. Watch gas and flow closely; check mud weight against the expected pore pressure.",
            against_baseline(find(v, "dc_exponent"), "", 2),
            trend_text(v, ""),
        ),
    }
}

/// Everything the composer needs for one advisory.
pub struct Draft<'a> {
    /// The confirmed ticket.
    pub verified: &'a Verified,
    /// The newest packet.
    pub packet: &'a WitsPacket,
    /// The rig state at the advisory.
    pub rig_state: crate::drilling::RigState,
    /// The deliberated risk level.
    pub risk_level: RiskLevel,
    /// The specialists' votes.
    pub votes: Vec<SpecialistVote>,
    /// Precedents from the knowledge store.
    pub precedents: Vec<PrecedentRef>,
}

/// The advisory from a draft.
pub fn compose(d: Draft<'_>) -> StrategicAdvisory {
    let v = d.verified;
    let mut recommendation = recommendation(v, d.packet);
    if let Some(best) = d.precedents.first() {
        let _ = write!(recommendation, " Precedent: {}.", best.summary);
    }
    let trend_r2 = v.evidence.iter().find_map(|e| e.trend_r2).unwrap_or(1.0);
    let confidence = (0.5 * v.sustained + if v.corroborated { 0.3 } else { 0.1 } + 0.2 * trend_r2)
        .clamp(0.0, 1.0);
    let mut reasoning = format!(
        "{} sustained over {:.0} % of the window{}",
        v.category.label(),
        v.sustained * 100.0,
        if v.corroborated {
            ", two independent measurements agree"
        } else {
            ", one measurement only (capped below CRITICAL)"
        }
    );
    for vote in &d.votes {
        let _ = write!(
            reasoning,
            "; {} says {} ({})",
            vote.specialist, vote.risk_level, vote.reasoning
        );
    }
    StrategicAdvisory {
        timestamp: d.packet.timestamp,
        category: v.category,
        risk_level: d.risk_level,
        severity: v.severity,
        confidence,
        recommendation,
        reasoning,
        rig_state: d.rig_state,
        physics: v.evidence.clone(),
        votes: d.votes,
        precedents: d.precedents,
        source: AdvisorySource::Template,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).single().expect("t")
    }

    #[test]
    fn a_critical_within_thirty_seconds_of_the_last_is_suppressed() {
        let th = Thresholds::default();
        let mut c = Cooldowns::default();
        let cat = AnomalyCategory::Kick;
        assert!(c.admit(cat, RiskLevel::Critical, at(0), &th));
        assert!(!c.admit(cat, RiskLevel::Critical, at(29), &th));
        assert!(c.admit(AnomalyCategory::TwistOff, RiskLevel::Critical, at(29), &th));
        assert!(c.admit(cat, RiskLevel::Critical, at(30), &th));
    }

    #[test]
    fn a_category_repeats_only_when_it_rises_or_after_the_repeat_interval() {
        let th = Thresholds::default();
        let mut c = Cooldowns::default();
        let cat = AnomalyCategory::PackOff;
        assert!(c.admit(cat, RiskLevel::Elevated, at(0), &th));
        assert!(!c.admit(cat, RiskLevel::Elevated, at(60), &th));
        assert!(c.admit(cat, RiskLevel::High, at(61), &th));
        assert!(!c.admit(cat, RiskLevel::Elevated, at(200), &th));
        assert!(c.admit(cat, RiskLevel::High, at(361), &th));
    }
}
