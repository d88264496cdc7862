//! One incident: one ongoing condition of one category, with the alarm states of ISA-18.2, its
//! numbers now and at its peak, and every time it was announced.

use crate::drilling::{AnomalyCategory, PhysicsEvidence, RigState, RiskLevel};
use crate::fleet::{EventId, EventOutcome};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an incident stands, in the words of ISA-18.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// The condition is present and nobody has answered it yet.
    ActiveUnacknowledged,
    /// The condition is present and the crew is on it.
    ActiveAcknowledged,
    /// The condition has gone but nobody has answered it yet: it stays on the screen.
    ClearedUnacknowledged,
    /// Gone and answered: history.
    Closed,
}

impl AlarmState {
    /// How the screen says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ActiveUnacknowledged => "active, not acknowledged",
            Self::ActiveAcknowledged => "active, acknowledged",
            Self::ClearedUnacknowledged => "cleared, not acknowledged",
            Self::Closed => "closed",
        }
    }
}

/// Why an incident was announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// It opened.
    Opened,
    /// It rose to a level not announced before.
    Escalated,
    /// It came back after the crew had answered it.
    Returned,
}

impl Reason {
    /// How the log and the screen say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Escalated => "escalated",
            Self::Returned => "returned",
        }
    }
}

/// One announcement: an advisory the driller was shown for this incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// The advisory's id in the advisory log.
    pub advisory_id: EventId,
    /// When.
    pub at: DateTime<Utc>,
    /// At which level.
    pub level: RiskLevel,
    /// Why.
    pub reason: Reason,
}

/// What the crew said about an incident, and who said it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgment {
    /// Resolved (with the action), Escalated (with the reason) or FalsePositive.
    pub outcome: EventOutcome,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Who acknowledged (as they gave it, or where they acknowledged from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When it was acknowledged (wall clock).
    pub at: DateTime<Utc>,
}

/// A condition of another category that this incident's root cause produced (a twist-off's
/// falling standpipe pressure read as a washout): recorded here, never raised on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attached {
    /// Its category.
    pub category: AnomalyCategory,
    /// First seen.
    pub first_at: DateTime<Utc>,
    /// Last seen.
    pub last_at: DateTime<Utc>,
    /// The highest level it reached.
    pub peak_level: RiskLevel,
}

/// How the trouble is moving over the last minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Further from normal than a minute or two ago.
    Worsening,
    /// About the same.
    Steady,
    /// Closer to normal.
    Easing,
}

/// The numbers of a confirmation: level, how far from normal, the measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Numbers {
    /// When.
    pub at: DateTime<Utc>,
    /// The level the specialists gave it.
    pub level: RiskLevel,
    /// 0.25 at the threshold, 1 at four times it.
    pub severity: f64,
    /// The measurements, as the advisory quotes them.
    pub evidence: Vec<PhysicsEvidence>,
    /// What to do, in the words of the template, with these numbers.
    pub words: String,
}

/// One incident, as the rig keeps it, persists it and serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id: also its fleet event's id.
    pub id: EventId,
    /// The trouble.
    pub category: AnomalyCategory,
    /// Where it stands (derived from the fields below; stored for readers of the file and API).
    pub state: AlarmState,
    /// The rig state when it opened.
    pub rig_state: RigState,
    /// Measured depth when it opened, ft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_ft: Option<f64>,
    /// When it opened (stream time).
    pub opened_at: DateTime<Utc>,
    /// When its condition was last seen (stream time).
    pub last_seen_at: DateTime<Utc>,
    /// When its condition went away, while it is away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_at: Option<DateTime<Utc>>,
    /// When it closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The numbers now (the latest confirmation).
    pub now: Numbers,
    /// The numbers at its worst.
    pub peak: Numbers,
    /// Worsening, steady or easing.
    pub trend: Trend,
    /// The crew's answer, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgment: Option<Acknowledgment>,
    /// Answers given before it came back, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_acknowledgments: Vec<Acknowledgment>,
    /// Every time the driller was told, oldest first.
    #[serde(default)]
    pub announcements: Vec<Announcement>,
    /// Conditions its root cause produced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached: Vec<Attached>,
    /// The incident this one's condition belongs to, when a primary opened after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to: Option<EventId>,
    /// Times it came back within the re-open window.
    #[serde(default)]
    pub reopened: u32,
    /// Whether it went to the fleet as an event (Elevated and above).
    #[serde(default)]
    pub fleet_event: bool,
    /// Severity samples for the trend: (time, severity), at most a few minutes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) severity_marks: Vec<(DateTime<Utc>, f64)>,
}

impl Incident {
    /// Whether its condition is present now.
    pub fn is_active(&self) -> bool {
        self.cleared_at.is_none() && self.closed_at.is_none()
    }

    /// Whether it is history.
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Whether the crew has answered it.
    pub fn is_acknowledged(&self) -> bool {
        self.acknowledgment.is_some()
    }

    /// The highest level announced so far (none when it opened shelved or Low and stayed so).
    pub fn announced_level(&self) -> Option<RiskLevel> {
        self.announcements.iter().map(|a| a.level).max()
    }

    /// How long it has lasted (or lasted), s: from opening to now or to its clearing.
    pub fn duration_secs(&self) -> f64 {
        let end = self.cleared_at.unwrap_or(self.last_seen_at);
        (end - self.opened_at).num_milliseconds().max(0) as f64 / 1_000.0
    }

    /// Work out [`AlarmState`] from the fields.
    pub(super) fn restate(&mut self) {
        self.state = match (self.closed_at, self.cleared_at, self.is_acknowledged()) {
            (Some(_), _, _) => AlarmState::Closed,
            (None, None, false) => AlarmState::ActiveUnacknowledged,
            (None, None, true) => AlarmState::ActiveAcknowledged,
            (None, Some(_), false) => AlarmState::ClearedUnacknowledged,
            // Cleared and acknowledged is closed; the book closes it in the same step.
            (None, Some(_), true) => AlarmState::Closed,
        };
    }
}
