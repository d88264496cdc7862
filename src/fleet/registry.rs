//! The registry's wire types: what `sairen admin` sends to the hub and reads back.

use super::{OutcomeKind, RigId};
use crate::drilling::{AnomalyCategory, RiskLevel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Body of `POST /api/fleet/rigs/register`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRig {
    /// The new rig's id.
    pub rig_id: RigId,
    /// The well it is drilling.
    pub well_id: String,
    /// The field it is in.
    pub field: String,
}

/// Whether a registered rig's key is honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RigStatus {
    /// Its key works.
    Active,
    /// Its key is refused for good; the id stays taken.
    Revoked,
}

impl RigStatus {
    /// Both, in the order the registry lists them.
    pub const ALL: [RigStatus; 2] = [Self::Active, Self::Revoked];

    /// The wire and database name (`"active"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }

    /// The value with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for RigStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rig as the registry shows it (never its key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RigSummary {
    /// Rig id.
    pub rig_id: String,
    /// Well id.
    pub well_id: String,
    /// Field.
    pub field: String,
    /// Active or revoked.
    pub status: RigStatus,
    /// Public half of its key, to match against rig configuration.
    pub key_id: String,
    /// When registered.
    pub registered_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last authenticated request.
    pub last_seen: Option<DateTime<Utc>>,
    /// Last library sync.
    pub last_sync: Option<DateTime<Utc>>,
    /// Library version it last synced to.
    pub library_version: Option<i64>,
    /// Events accepted from it.
    pub event_count: i64,
}

/// The answer to a registration: the only time the key is ever shown.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegisteredRig {
    /// The rig as stored.
    pub rig: RigSummary,
    /// The full API key; the hub keeps only its hash.
    pub api_key: String,
    /// What to do with the key.
    pub note: String,
}

/// A rig with its latest events.
#[derive(Debug, Serialize, Deserialize)]
pub struct RigDetail {
    /// The rig.
    pub rig: RigSummary,
    /// Its latest 20 events, newest first.
    pub recent_events: Vec<EventBrief>,
}

/// One line about an event.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventBrief {
    /// Event id.
    pub id: String,
    /// Category.
    pub category: AnomalyCategory,
    /// Risk level.
    pub risk_level: RiskLevel,
    /// Outcome kind.
    pub outcome: OutcomeKind,
    /// Depth at the advisory.
    pub depth_ft: f64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_their_wire_names() {
        for s in RigStatus::ALL {
            assert_eq!(RigStatus::from_name(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).expect("json"),
                serde_json::json!(s.as_str())
            );
        }
        assert_eq!(RigStatus::from_name("inactive"), None);
    }
}
