use super::{EventOutcome, FleetEvent, HistorySnapshot, RigId};
use crate::drilling::thousands;
use crate::drilling::{AnomalyCategory, Campaign, RiskLevel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A compact precedent made by the hub's curator from one or more events: what happened, where,
/// what was done, and how much the fleet should trust it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetEpisode {
    /// The episode's id (the id of the event it was first made from).
    pub id: String,
    /// The rig that lived through it.
    pub rig_id: RigId,
    /// The field it happened in.
    pub field: String,
    /// The trouble.
    pub category: AnomalyCategory,
    /// Production or P&A.
    pub campaign: Campaign,
    /// Shallowest measured depth of the merged events.
    pub depth_from_ft: f64,
    /// Deepest measured depth of the merged events.
    pub depth_to_ft: f64,
    /// The highest risk level among the merged events.
    pub risk_level: RiskLevel,
    /// Severity, 0 to 1, as the rig's pipeline judged it.
    pub severity: f64,
    /// The best outcome among the merged events.
    pub outcome: EventOutcome,
    /// One line a driller can act on: what was seen and what worked.
    pub resolution_summary: String,
    /// The crews' notes from the merged events, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The curator's score, 0 to 1 (DESIGN §5).
    pub score: f64,
    /// The metrics at the advisory, the input of the similarity feature vector.
    pub key_metrics: EpisodeMetrics,
    /// When it happened (the first merged event's timestamp).
    pub timestamp: DateTime<Utc>,
}

/// The handful of measurements that characterise an episode, taken at the advisory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeMetrics {
    /// Mechanical specific energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse_psi: Option<f64>,
    /// Corrected d-exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dc_exponent: Option<f64>,
    /// Equivalent circulating density.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecd_ppg: Option<f64>,
    /// Flow out minus flow in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_balance_gpm: Option<f64>,
    /// Pit gain (positive) or loss since the last stable point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_gain_bbl: Option<f64>,
    /// Rotary torque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torque_kftlbf: Option<f64>,
    /// Weight on bit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wob_klb: Option<f64>,
    /// Rotary speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<f64>,
    /// Rate of penetration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rop_ft_h: Option<f64>,
    /// Standpipe pressure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spp_psi: Option<f64>,
    /// Hookload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hookload_klb: Option<f64>,
    /// Mud density in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mud_density_ppg: Option<f64>,
}

impl EpisodeMetrics {
    /// The key metrics of one history snapshot (normally the last one before the advisory).
    pub fn from_snapshot(s: &HistorySnapshot) -> Self {
        let (p, m) = (&s.packet, &s.metrics);
        Self {
            mse_psi: m.mse_psi,
            dc_exponent: m.dc_exponent,
            ecd_ppg: m.ecd_ppg,
            flow_balance_gpm: m.flow_balance_gpm,
            pit_gain_bbl: m.pit_gain_bbl,
            torque_kftlbf: p.torque_kftlbf,
            wob_klb: p.wob_klb,
            rpm: p.rpm,
            rop_ft_h: p.rop_ft_h,
            spp_psi: p.spp_psi,
            hookload_klb: p.hookload_klb,
            mud_density_ppg: p.mud_density_in_ppg,
        }
    }
}

/// The hub's answer to a library sync (`GET /api/fleet/library?since=N`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryResponse {
    /// The library version this answer brings the rig to; store it only after applying everything.
    pub version: i64,
    /// True when `episodes` is the whole active library: replace, do not merge.
    pub full: bool,
    /// Episodes added or changed since `since` (other rigs' only), best score first.
    pub episodes: Vec<FleetEpisode>,
    /// Episodes archived since `since`: drop them.
    pub pruned_ids: Vec<String>,
    /// Active episodes in the whole fleet library.
    pub total_fleet_episodes: i64,
}

/// "RIG-ALPHA-7 at 12,450 ft, pack-off, resolved: reduced WOB 5 klbf".
pub fn resolution_summary(episode: &FleetEpisode) -> String {
    let head = format!(
        "{} at {} ft, {}",
        episode.rig_id,
        thousands(episode.depth_from_ft),
        episode.category.label()
    );
    match &episode.outcome {
        EventOutcome::Resolved { action_taken } => {
            format!("{head}, resolved: {}", action_taken.trim())
        }
        EventOutcome::Escalated { reason } => format!("{head}, escalated: {}", reason.trim()),
        EventOutcome::Pending => format!("{head}, outcome pending"),
        EventOutcome::FalsePositive => format!("{head}, false positive"),
    }
}

/// The episode one event makes on its own (unscored: the hub's curator scores it against the
/// library; a rig scores its own).
pub fn episode_from_event(event: &FleetEvent) -> FleetEpisode {
    let key_metrics = event
        .history_window
        .last()
        .map(EpisodeMetrics::from_snapshot)
        .unwrap_or_default();
    let mut episode = FleetEpisode {
        id: event.id.to_string(),
        rig_id: event.rig_id.clone(),
        field: event.field.clone(),
        category: event.advisory.category,
        campaign: event.campaign,
        depth_from_ft: event.depth_ft,
        depth_to_ft: event.depth_ft,
        risk_level: event.advisory.risk_level,
        severity: event.advisory.severity,
        outcome: event.outcome.clone(),
        resolution_summary: String::new(),
        notes: event.notes.clone().filter(|n| !n.trim().is_empty()),
        score: 0.0,
        key_metrics,
        timestamp: event.timestamp,
    };
    episode.resolution_summary = resolution_summary(&episode);
    episode
}
