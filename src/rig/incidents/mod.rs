//! Incidents: the rig's unit of alarm (DESIGN §10). One ongoing condition of one category is one
//! incident, announced when it opens and once per escalation, acknowledged and shelved as a
//! whole, and kept across restarts — so a driller sees one alarm per trouble, never a stream.

pub mod book;
pub mod incident;
pub mod store;

pub use book::{Announce, Change, ChangeKind, Confirmation, IncidentBook, IncidentError};
pub use incident::{
    Acknowledgment, AlarmState, Announcement, Attached, Incident, Numbers, Reason, Trend,
};

use crate::drilling::AnomalyCategory;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `[incidents]` in `rig.toml`: how incidents clear, re-open and may be shelved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentConfig {
    /// An incident clears once its condition has been away this long, s.
    pub clear_after_secs: f64,
    /// A reading still counts as present down to this fraction of its threshold (hysteresis: a
    /// value hovering at the threshold does not clear and re-open).
    pub clear_below_fraction: f64,
    /// The same category back within this long of clearing re-opens the incident, s.
    pub reopen_within_secs: f64,
    /// Longest an operator may shelve a category, minutes.
    pub max_shelve_mins: f64,
    /// Closed incidents kept on the screen, the API and the file (older ones stay in the
    /// advisory log).
    pub keep_closed: usize,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        Self {
            clear_after_secs: 120.0,
            clear_below_fraction: 0.8,
            reopen_within_secs: 900.0,
            max_shelve_mins: 240.0,
            keep_closed: 100,
        }
    }
}

impl IncidentConfig {
    /// Every reason these values cannot be used, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, v, max) in [
            ("clear_after_secs", self.clear_after_secs, 3_600.0),
            ("reopen_within_secs", self.reopen_within_secs, 86_400.0),
            ("max_shelve_mins", self.max_shelve_mins, 1_440.0),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= max) {
                out.push(format!(
                    "[incidents] {name} must be above 0 and at most {max}, not {v}"
                ));
            }
        }
        if !(self.clear_below_fraction > 0.0 && self.clear_below_fraction <= 1.0) {
            out.push(format!(
                "[incidents] clear_below_fraction must be above 0 and at most 1, not {}",
                self.clear_below_fraction
            ));
        }
        if self.keep_closed > 10_000 {
            out.push(format!(
                "[incidents] keep_closed must be at most 10000, not {}",
                self.keep_closed
            ));
        }
        out
    }
}

/// A category an operator shelved: its incidents are tracked and listed but not announced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shelf {
    /// The category.
    pub category: AnomalyCategory,
    /// Until when (stream time).
    pub until: DateTime<Utc>,
    /// Why (a known bad sensor).
    pub reason: String,
    /// Who shelved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}
