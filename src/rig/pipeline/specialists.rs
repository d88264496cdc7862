//! Phase 9: four specialists look at a confirmed ticket from their own discipline and vote a risk
//! level; the campaign sets how much each vote weighs. The specialist whose discipline owns the
//! category leads; the others can raise the level by one when they agree with enough weight.

use super::signature::Indicator;
use super::strategic::Verified;
use crate::drilling::{AnomalyCategory, Campaign, CategoryGroup, RiskLevel, SpecialistVote};

/// One discipline's view of a confirmed ticket.
pub trait Specialist: Send + Sync {
    /// Its name in votes.
    fn name(&self) -> &'static str;
    /// Whether it leads on this category.
    fn leads(&self, category: AnomalyCategory) -> bool;
    /// Its weight in a campaign.
    fn weight(&self, campaign: Campaign) -> f64;
    /// Its vote, or `None` when the category is outside its discipline or its data is missing.
    fn assess(&self, v: &Verified) -> Option<(RiskLevel, String)>;
}

/// Risk from severity: 0.25 (at threshold) Elevated, 0.5 High, 0.75 Critical.
pub fn level_for(severity: f64) -> RiskLevel {
    if severity >= 0.75 {
        RiskLevel::Critical
    } else if severity >= 0.5 {
        RiskLevel::High
    } else if severity >= 0.25 {
        RiskLevel::Elevated
    } else {
        RiskLevel::Low
    }
}

fn indicator<'a>(v: &'a Verified, name: &str) -> Option<&'a Indicator> {
    v.reading.indicators.iter().find(|i| i.name == name)
}

fn raise(level: RiskLevel) -> RiskLevel {
    match level {
        RiskLevel::Low => RiskLevel::Elevated,
        RiskLevel::Elevated => RiskLevel::High,
        _ => RiskLevel::Critical,
    }
}

/// Well control: kicks and losses, judged by flow balance and pit gain.
#[derive(Debug, Default)]
pub struct WellControlSpecialist;

impl Specialist for WellControlSpecialist {
    fn name(&self) -> &'static str {
        "well_control"
    }
    fn leads(&self, c: AnomalyCategory) -> bool {
        c.group() == CategoryGroup::WellControl
    }
    fn weight(&self, campaign: Campaign) -> f64 {
        match campaign {
            Campaign::Production => 1.0,
            // P&A works on wells with trapped pressure behind old casing: well control weighs most.
            Campaign::PlugAndAbandonment => 1.2,
        }
    }
    fn assess(&self, v: &Verified) -> Option<(RiskLevel, String)> {
        match v.category {
            AnomalyCategory::Kick => {
                let mut level = level_for(v.severity);
                let gain = indicator(v, "pit_gain_bbl").map(|i| i.value);
                if v.corroborated {
                    // Flow and pit both say influx: the well is flowing. Shut-in decisions do not
                    // wait for a bigger kick.
                    level = level.max(RiskLevel::High);
                }
                let why = match gain {
                    Some(g) => format!("influx indicated, pit gain {g:.1} bbl"),
                    None => "influx indicated by flow balance (no pit data)".to_owned(),
                };
                Some((level, why))
            }
            AnomalyCategory::LostCirculation => Some((
                level_for(v.severity),
                "returns short of flow in: mud going to the formation".into(),
            )),
            _ => None,
        }
    }
}

/// Hydraulics: standpipe pressure at steady flow.
#[derive(Debug, Default)]
pub struct HydraulicsSpecialist;

impl Specialist for HydraulicsSpecialist {
    fn name(&self) -> &'static str {
        "hydraulics"
    }
    fn leads(&self, c: AnomalyCategory) -> bool {
        c.group() == CategoryGroup::Hydraulics
    }
    fn weight(&self, campaign: Campaign) -> f64 {
        match campaign {
            Campaign::Production => 0.8,
            Campaign::PlugAndAbandonment => 0.9,
        }
    }
    fn assess(&self, v: &Verified) -> Option<(RiskLevel, String)> {
        use AnomalyCategory::*;
        match v.category {
            PackOff | Washout => {
                let spp = indicator(v, "spp_at_1000_gpm_psi")?;
                let dev = spp.deviation_pct.unwrap_or(0.0);
                Some((
                    level_for(v.severity),
                    format!("standpipe pressure {dev:+.0} % against baseline at steady flow"),
                ))
            }
            TwistOff => {
                let spp = indicator(v, "spp_psi")?;
                spp.beyond().then(|| {
                    (
                        RiskLevel::High,
                        "standpipe pressure fell with the torque: flow path shortened".into(),
                    )
                })
            }
            _ => None,
        }
    }
}

/// Mechanics and drilling efficiency: torque, rotation, MSE.
#[derive(Debug, Default)]
pub struct MseSpecialist;

impl Specialist for MseSpecialist {
    fn name(&self) -> &'static str {
        "mse"
    }
    fn leads(&self, c: AnomalyCategory) -> bool {
        matches!(
            c.group(),
            CategoryGroup::Mechanical | CategoryGroup::Efficiency
        )
    }
    fn weight(&self, campaign: Campaign) -> f64 {
        match campaign {
            Campaign::Production => 0.8,
            Campaign::PlugAndAbandonment => 0.7,
        }
    }
    fn assess(&self, v: &Verified) -> Option<(RiskLevel, String)> {
        use AnomalyCategory::*;
        let level = level_for(v.severity);
        match v.category {
            // Losing the BHA or the string is never less than High.
            TwistOff => Some((
                level.max(RiskLevel::High),
                "torque collapsed while drilling".into(),
            )),
            StuckPipe => Some((
                level.max(RiskLevel::High),
                "torque climbing with the string not advancing".into(),
            )),
            PackOff => {
                let torque = indicator(v, "torque_kftlbf")?;
                torque.beyond().then(|| {
                    (
                        level,
                        format!(
                            "torque {:+.0} % with the pressure",
                            torque.deviation_pct.unwrap_or(0.0)
                        ),
                    )
                })
            }
            StickSlip => Some((
                level.min(RiskLevel::High),
                "rotary speed oscillating".into(),
            )),
            Founder => Some((level, "MSE rising with WOB while ROP does not".into())),
            MseInefficiency => Some((RiskLevel::Low, "drilling efficiency low".into())),
            _ => None,
        }
    }
}

/// Formation: the dc-exponent trend and what it says about pore pressure.
#[derive(Debug, Default)]
pub struct FormationSpecialist;

impl Specialist for FormationSpecialist {
    fn name(&self) -> &'static str {
        "formation"
    }
    fn leads(&self, c: AnomalyCategory) -> bool {
        c.group() == CategoryGroup::Formation
    }
    fn weight(&self, campaign: Campaign) -> f64 {
        match campaign {
            Campaign::Production => 0.6,
            // P&A drills cement and steel, not new formation: the dc trend says little.
            Campaign::PlugAndAbandonment => 0.3,
        }
    }
    fn assess(&self, v: &Verified) -> Option<(RiskLevel, String)> {
        match v.category {
            AnomalyCategory::PressureTransition => Some((
                level_for(v.severity),
                "dc-exponent falling below its trend: pore pressure rising".into(),
            )),
            _ => None,
        }
    }
}

/// The four specialists, in vote order.
pub fn panel() -> Vec<Box<dyn Specialist>> {
    vec![
        Box::new(WellControlSpecialist),
        Box::new(HydraulicsSpecialist),
        Box::new(MseSpecialist),
        Box::new(FormationSpecialist),
    ]
}

/// The votes on a confirmed ticket and the risk level they give: the lead's level, one higher
/// when the others who agree weigh at least as much as the lead, and never CRITICAL on one
/// sensor's word.
pub fn deliberate(
    panel: &[Box<dyn Specialist>],
    v: &Verified,
    campaign: Campaign,
) -> (RiskLevel, Vec<SpecialistVote>) {
    let mut votes = Vec::new();
    let mut lead: Option<(RiskLevel, f64)> = None;
    let mut support = 0.0;
    for s in panel {
        let Some((level, reasoning)) = s.assess(v) else {
            continue;
        };
        let weight = s.weight(campaign);
        if s.leads(v.category) {
            lead = Some((level, weight));
        } else if level >= RiskLevel::Elevated {
            support += weight;
        }
        votes.push(SpecialistVote {
            specialist: s.name().to_owned(),
            risk_level: level,
            weight,
            reasoning,
        });
    }
    let (mut level, lead_weight) = lead.unwrap_or((level_for(v.severity), 1.0));
    if support >= lead_weight {
        level = raise(level);
    }
    if !v.corroborated {
        level = level.min(RiskLevel::High);
    }
    (level, votes)
}
