//! Phase 10: the words of an announcement — risk level, what to do with the actual numbers, the
//! evidence — in drillers' words and the gauges' units (pressure as the gauge reads it beside what
//! it was at this flow rate, flow in and out in gpm, pit gain in bbl), growing with the trouble.
//! When to speak is the incident book's to decide (`rig::incidents`), not this module's.

use super::baseline::spp_scale;
use super::signature::Indicator;
use super::strategic::Verified;
use super::thresholds::Thresholds;
use crate::drilling::{
    duration_words, thousands, AdvisorySource, AnomalyCategory, PhysicsEvidence, PrecedentRef,
    RiskLevel, SpecialistVote, StrategicAdvisory, Thousands, WitsPacket,
};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

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

/// "14.2 kft·lbf, normally 10.1 (+41 %)".
fn against_baseline(i: Option<&Indicator>, unit: &str, decimals: usize) -> String {
    match i {
        Some(i) => match (i.deviation_pct, i.baseline) {
            (Some(d), Some(b)) => format!(
                "{} {unit}, normally {} ({d:+.0} %)",
                number(i.value, decimals),
                number(b, decimals)
            ),
            _ => format!("{} {unit}", number(i.value, decimals)),
        },
        None => "n/a".into(),
    }
}

/// What a pressure scaled to 1,000 gpm and 10 ppg is at the packet's flow and density.
fn at_flow(psi_at_1000: f64, p: &WitsPacket) -> f64 {
    match p
        .flow_in_gpm
        .and_then(|q| spp_scale(q, p.mud_density_in_ppg))
    {
        Some(scale) => psi_at_1000 / scale,
        None => f64::NAN,
    }
}

/// The standpipe as the gauge reads it, against what it was at this flow rate, and its trend
/// in gauge psi a minute: "3,450 psi at 500 gpm, normally 3,150 at this rate (+10 %), rising
/// 21 psi/min".
fn standpipe(v: &Verified, p: &WitsPacket) -> String {
    let (Some(spp), Some(q)) = (p.spp_psi, p.flow_in_gpm) else {
        return "n/a".into();
    };
    let mut out = format!("{} psi at {} gpm", Thousands(spp), Thousands(q));
    if let Some(b) = find(v, "spp_at_1000_gpm_psi").and_then(|i| i.baseline) {
        let normal = at_flow(b, p);
        let _ = write!(
            out,
            ", normally {} at this rate ({:+.0} %)",
            Thousands(normal),
            (spp - normal) / normal * 100.0
        );
    }
    if let Some((slope, r2)) = v
        .evidence
        .iter()
        .find(|e| e.channel == "spp_at_1000_gpm_psi")
        .and_then(|e| Some((e.trend_per_min?, e.trend_r2?)))
    {
        let slope = at_flow(slope, p);
        let way = if slope >= 0.0 { "rising" } else { "falling" };
        let _ = write!(out, ", {way} {:.0} psi/min (R² {r2:.2})", slope.abs());
    }
    out
}

/// "flow out 540 gpm vs 500 gpm in (+40 gpm)".
fn flows(p: &WitsPacket, out_word: &str) -> String {
    match (p.flow_out_gpm, p.flow_in_gpm) {
        (Some(out), Some(q)) => format!(
            "{out_word} {} gpm vs {} gpm in ({:+.0} gpm)",
            Thousands(out),
            Thousands(q),
            out - q
        ),
        (None, Some(q)) => format!("{} gpm in, no flow-out meter", Thousands(q)),
        _ => "no flow readings".into(),
    }
}

/// How long since `since`, as the banner says it ("3 min").
fn minutes(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    Some(duration_words((now - since?).num_seconds() as f64))
}

fn kick(v: &Verified, p: &WitsPacket, since: Option<DateTime<Utc>>, th: &Thresholds) -> String {
    // At a connection the reading carries the flow-back excess and the whole gain since before
    // the kick: the larger decides whether to shut in.
    let gain = v
        .reading
        .indicators
        .iter()
        .filter(|i| i.name == "pit_gain_bbl")
        .map(|i| i.value)
        .reduce(f64::max);
    let over = minutes(since, p.timestamp)
        .map(|m| format!(" in {m}"))
        .unwrap_or_default();
    // The flows are quoted only when the flow balance was read: with the pumps stopping or
    // starting for a connection, "60 gpm in" is a moment of the ramp, not the well.
    let flows_read = find(v, "flow_balance_pct")
        .map(|_| flows(p, "flow out"))
        .or_else(|| p.flow_out_gpm.is_none().then(|| flows(p, "flow out")));
    match gain {
        Some(g) if g >= th.kick_shut_in_gain_bbl => format!(
            "KICK: {g:.0} bbl gained{over} — SHUT IN NOW.{} The influx grows while the well flows; follow the shut-in procedure and record the pressures.",
            flows_read.map(|f| format!(" {}.", capital(&f))).unwrap_or_default(),
        ),
        _ => {
            // A pit that has not gained is not quoted as a kick's gain. At a connection the gain
            // is the flow-back above the rig's fingerprint, and says so.
            let pit = match find(v, "pit_gain_bbl") {
                Some(i) if i.value > 0.0 => Some(match i.baseline {
                    Some(usual) => format!(
                        "connection flow-back {:.1} bbl above this rig's usual {usual:.1} bbl{over}",
                        i.value
                    ),
                    None => format!("pit gain {:.1} bbl{over}", i.value),
                }),
                _ => None,
            };
            let what: Vec<String> = flows_read.into_iter().chain(pit).collect();
            format!(
                "Possible KICK: {}. Stop drilling, pick up off bottom, stop the pumps and flow-check; shut in if the well flows.",
                if what.is_empty() {
                    "influx indicated".to_owned()
                } else {
                    what.join(", ")
                }
            )
        }
    }
}

fn capital(s: &str) -> String {
    crate::drilling::capitalise(s)
}

/// The recommendation for a confirmed condition: what is happening, in the gauges' numbers, and
/// what to do. `since` is when its incident opened: the wording grows with the trouble.
pub fn recommendation(
    v: &Verified,
    p: &WitsPacket,
    since: Option<DateTime<Utc>>,
    th: &Thresholds,
) -> String {
    let opt = |x: Option<f64>, unit: &str| {
        x.map(|x| format!("{} {unit}", Thousands(x)))
            .unwrap_or_else(|| "n/a".into())
    };
    use AnomalyCategory::*;
    match v.category {
        Kick => kick(v, p, since, th),
        LostCirculation => format!(
            "LOST CIRCULATION: {}{}. Reduce pump rate, keep the hole full, prepare LCM; watch for a kick if the level drops.",
            flows(p, "returns"),
            find(v, "pit_rate_bbl_min")
                .map(|r| format!(", pit {:+.1} bbl/min", r.value))
                .unwrap_or_default(),
        ),
        PackOff => format!(
            "PACK-OFF: standpipe {}; torque {}. Reduce flow, work the pipe without pulling hard, then circulate the hole clean.",
            standpipe(v, p),
            against_baseline(find(v, "torque_kftlbf"), "kft·lbf", 1),
        ),
        Washout => format!(
            "Possible WASHOUT: standpipe {}. Check pumps and surface lines, then pull to find the washed connection before it parts.",
            standpipe(v, p),
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
            "STICK-SLIP: rotary speed swinging {:.0} % around {}. Raise RPM or reduce WOB until it steadies.",
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
        PressureTransition => {
            let trend = v
                .evidence
                .iter()
                .find_map(|e| Some((e.trend_per_min?, e.trend_r2?)))
                .map(|(s, r2)| format!(", trending {s:+.3}/min (R² {r2:.2})"))
                .unwrap_or_default();
            format!(
                "PRESSURE TRANSITION: dc-exponent {}{trend}. Watch gas and flow closely; check mud weight against the expected pore pressure.",
                against_baseline(find(v, "dc_exponent"), "", 2),
            )
        }
    }
}

/// The evidence in the gauges' terms: standpipe pressure as read with its normal at this flow
/// rate (not scaled to 1,000 gpm), flows in gpm with their difference (not a percentage).
pub fn gauge_evidence(v: &Verified, p: &WitsPacket) -> Vec<PhysicsEvidence> {
    let mut out = Vec::with_capacity(v.evidence.len() + 2);
    for e in &v.evidence {
        match &*e.channel {
            "spp_at_1000_gpm_psi" => {
                let Some(spp) = p.spp_psi else {
                    continue;
                };
                let normal = e.baseline.map(|b| at_flow(b, p));
                out.push(PhysicsEvidence {
                    channel: "spp_psi".into(),
                    value: spp,
                    unit: "psi".into(),
                    baseline: normal,
                    deviation_pct: normal.filter(|n| *n > 0.0).map(|n| (spp - n) / n * 100.0),
                    trend_per_min: e.trend_per_min.map(|t| at_flow(t, p)),
                    trend_r2: e.trend_r2,
                });
            }
            "flow_balance_pct" => {
                let (Some(out_q), Some(in_q)) = (p.flow_out_gpm, p.flow_in_gpm) else {
                    continue;
                };
                for (channel, value) in [
                    ("flow_in_gpm", in_q),
                    ("flow_out_gpm", out_q),
                    ("delta_flow_gpm", out_q - in_q),
                ] {
                    out.push(PhysicsEvidence {
                        channel: channel.into(),
                        value,
                        unit: "gpm".into(),
                        baseline: None,
                        deviation_pct: None,
                        trend_per_min: None,
                        trend_r2: None,
                    });
                }
            }
            _ => out.push(e.clone()),
        }
    }
    out
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
    /// When its incident opened.
    pub since: Option<DateTime<Utc>>,
    /// The thresholds, for the wording that grows with the trouble.
    pub thresholds: &'a Thresholds,
}

/// The advisory from a draft.
pub fn compose(d: Draft<'_>) -> StrategicAdvisory {
    let v = d.verified;
    let mut recommendation = recommendation(v, d.packet, d.since, d.thresholds);
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
        physics: gauge_evidence(v, d.packet),
        votes: d.votes,
        precedents: d.precedents,
        source: AdvisorySource::Template,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_at_another_flow_rate_follows_the_friction_law() {
        let at = |q: f64, ppg: Option<f64>| WitsPacket {
            flow_in_gpm: Some(q),
            mud_density_in_ppg: ppg,
            ..WitsPacket::default()
        };
        // 3,000 psi at 1,000 gpm is 3,000 × 0.5^1.86 ≈ 825 psi at 500 gpm.
        let p = at_flow(3_000.0, &at(500.0, None));
        assert!((p - 825.0).abs() < 2.0, "{p}");
        assert_eq!(at_flow(3_000.0, &at(1_000.0, Some(10.0))), 3_000.0);
        // And 3,000 × 1.1^0.8 ≈ 3,238 psi in 11 ppg mud.
        let heavy = at_flow(3_000.0, &at(1_000.0, Some(11.0)));
        assert!((heavy - 3_237.7).abs() < 0.1, "{heavy}");
        assert!(at_flow(3_000.0, &at(0.0, None)).is_nan());
    }
}
