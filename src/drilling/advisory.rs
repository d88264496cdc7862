use super::bounded::at_most;
use super::{AnomalyCategory, RigState, RiskLevel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Most evidence items an advisory carries (a rig sends a handful).
pub const MAX_EVIDENCE: usize = 32;
/// Most specialist votes an advisory carries (a rig has four specialists).
pub const MAX_VOTES: usize = 16;
/// Most precedents an advisory cites (a rig cites three).
pub const MAX_PRECEDENTS: usize = 16;

/// A confirmed advisory for the driller: what is wrong, how bad, what to do, and why we think so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategicAdvisory {
    /// When the advisory was raised (rig clock, UTC).
    pub timestamp: DateTime<Utc>,
    /// The trouble recognised.
    pub category: AnomalyCategory,
    /// How urgently to act.
    pub risk_level: RiskLevel,
    /// How far the evidence is from normal, 0 (barely) to 1 (extreme).
    pub severity: f64,
    /// How sure the pipeline is, 0 to 1 (agreement of specialists and trend fit).
    pub confidence: f64,
    /// What the driller should do, quoting the actual numbers.
    pub recommendation: String,
    /// One paragraph on why: the trend, its fit and the specialists' view.
    pub reasoning: String,
    /// The rig state when the advisory was raised.
    pub rig_state: RigState,
    /// The measurements behind the advisory (at most [`MAX_EVIDENCE`]).
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_EVIDENCE>")]
    pub physics: Vec<PhysicsEvidence>,
    /// Each specialist's view (at most [`MAX_VOTES`]).
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_VOTES>")]
    pub votes: Vec<SpecialistVote>,
    /// Precedents from this rig or the fleet that informed the recommendation (at most
    /// [`MAX_PRECEDENTS`]).
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_PRECEDENTS>")]
    pub precedents: Vec<PrecedentRef>,
    /// Whether the wording came from the built-in templates or a language model.
    pub source: AdvisorySource,
}

/// Where an advisory's wording came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisorySource {
    /// The built-in template for the category.
    Template,
    /// A language model.
    Llm,
}

/// One measured channel against its learned baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhysicsEvidence {
    /// Channel name as in `WitsPacket`/`DrillingMetrics` (e.g. `torque_kftlbf`); borrowed when
    /// the pipeline writes it (evidence is rebuilt on every packet of a confirmed trouble).
    pub channel: Cow<'static, str>,
    /// The value at the advisory.
    pub value: f64,
    /// Unit of `value` and `baseline` (e.g. `kft·lbf`).
    pub unit: Cow<'static, str>,
    /// The learned baseline mean, where one is locked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// `(value − baseline) / baseline` in percent, where a baseline exists and is not zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation_pct: Option<f64>,
    /// Regression slope of the channel over the history window, per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend_per_min: Option<f64>,
    /// R² of that regression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend_r2: Option<f64>,
}

/// One specialist's vote on an advisory ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecialistVote {
    /// `mse`, `hydraulics`, `well_control` or `formation`.
    pub specialist: String,
    /// The risk this specialist sees.
    pub risk_level: RiskLevel,
    /// Its weight in the vote for the current campaign.
    pub weight: f64,
    /// Its reason, in one sentence.
    pub reasoning: String,
}

/// A precedent cited by an advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecedentRef {
    /// The episode's id in the fleet library.
    pub episode_id: String,
    /// The rig that lived through it.
    pub rig_id: String,
    /// "RIG-ALPHA-7 at 12,450 ft, pack-off, resolved: reduced WOB 5 klbf".
    pub summary: String,
    /// Similarity to the current situation, 0 to 1.
    pub similarity: f64,
}
