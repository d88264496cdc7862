use super::{EventId, RigId};
use crate::drilling::bounded::at_most;
use crate::drilling::{
    AnomalyCategory, Campaign, DrillingMetrics, RiskLevel, StrategicAdvisory, WitsPacket,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most history snapshots an event may carry: twice the 60 a rig sends, so a rig tuned to a
/// longer window still fits, and a body of tiny snapshots cannot ask the hub for gigabytes.
pub const MAX_HISTORY: usize = 120;

/// A confirmed Elevated-or-higher advisory, with the history that led to it, as a rig uploads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetEvent {
    /// `{rig_id}-{unix_seconds}` (with `-N` where two fall in one second).
    pub id: EventId,
    /// The rig that raised it.
    pub rig_id: RigId,
    /// The well being drilled.
    pub well_id: String,
    /// The field (asset) the well is in.
    pub field: String,
    /// Production or Plug & Abandonment.
    pub campaign: Campaign,
    /// The advisory the driller saw.
    pub advisory: StrategicAdvisory,
    /// The packets and metrics before the advisory, oldest first; at least one, at most
    /// [`MAX_HISTORY`].
    #[serde(deserialize_with = "at_most::<_, _, MAX_HISTORY>")]
    pub history_window: Vec<HistorySnapshot>,
    /// What came of it, as far as the rig knows.
    pub outcome: EventOutcome,
    /// The crew's notes, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Measured hole depth at the advisory.
    pub depth_ft: f64,
    /// When the advisory was raised (rig clock, UTC).
    pub timestamp: DateTime<Utc>,
}

impl FleetEvent {
    /// Move every time the event carries by `by`: a rig whose clock was stepped while the event
    /// waited in its queue re-stamps it onto the corrected clock before sending.
    pub fn shift_times(&mut self, by: chrono::Duration) {
        self.timestamp += by;
        self.advisory.timestamp += by;
        for s in &mut self.history_window {
            s.packet.timestamp += by;
        }
    }
}

/// One entry of an event's history window: a packet and what physics made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistorySnapshot {
    /// The packet as acquired (FPS units).
    pub packet: WitsPacket,
    /// The metrics computed from it.
    pub metrics: DrillingMetrics,
}

/// What came of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventOutcome {
    /// Nobody has said yet.
    Pending,
    /// The crew dealt with it.
    Resolved {
        /// What they did ("reduced WOB 5 klbf and circulated bottoms up").
        action_taken: String,
    },
    /// It got worse and went up the chain.
    Escalated {
        /// Why.
        reason: String,
    },
    /// It was not real.
    FalsePositive,
}

/// What kind of outcome an event has, without the crew's words: the database's `outcome` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Not yet acknowledged.
    Pending,
    /// Resolved by an action.
    Resolved,
    /// Escalated.
    Escalated,
    /// Not real.
    FalsePositive,
}

impl OutcomeKind {
    /// All four, in the order a crew meets them.
    pub const ALL: [OutcomeKind; 4] = [
        Self::Pending,
        Self::Resolved,
        Self::Escalated,
        Self::FalsePositive,
    ];

    /// The wire and database name (`"false_positive"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Resolved => "resolved",
            Self::Escalated => "escalated",
            Self::FalsePositive => "false_positive",
        }
    }

    /// The value with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// How a screen says it: `"False alarm"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Resolved => "Resolved",
            Self::Escalated => "Escalated",
            Self::FalsePositive => "False alarm",
        }
    }
}

/// Compares by wire name, so a stored row reads against the name in the contract.
impl PartialEq<&str> for OutcomeKind {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

impl std::fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EventOutcome {
    /// The outcome's kind.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Self::Pending => OutcomeKind::Pending,
            Self::Resolved { .. } => OutcomeKind::Resolved,
            Self::Escalated { .. } => OutcomeKind::Escalated,
            Self::FalsePositive => OutcomeKind::FalsePositive,
        }
    }

    /// The wire and database name of the outcome's kind (`"resolved"`).
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The outcome as a screen says it: `"Resolved: reduced flow to 450 gpm"`.
    pub fn describe(&self) -> String {
        match self.text() {
            Some(text) => format!("{}: {text}", self.kind().label()),
            None => self.kind().label().to_owned(),
        }
    }

    /// The action or reason the crew gave, if the outcome carries one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Resolved { action_taken } => Some(action_taken),
            Self::Escalated { reason } => Some(reason),
            Self::Pending | Self::FalsePositive => None,
        }
    }
}

/// The body of `PATCH /api/fleet/events/{id}/outcome`. Read in two forms: the outcome as an
/// object (`{"outcome": {"status": "resolved", "action_taken": "…"}, "notes": "…"}`, what rigs
/// send) or flat, as the hub plan documents it (`{"outcome": "Resolved", "action_taken": "…",
/// "notes": "…"}`); always written as the first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OutcomeUpdateWire")]
pub struct OutcomeUpdate {
    /// The new outcome; the last write wins.
    pub outcome: EventOutcome,
    /// Notes from the crew; replaces the stored notes when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// How the event's incident went so far, when the rig sends it (rigs with incidents do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<IncidentCourse>,
}

/// An outcome update as it may arrive: the outcome an object, or a name with its words beside it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeUpdateWire {
    outcome: serde_json::Value,
    #[serde(default)]
    action_taken: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    course: Option<IncidentCourse>,
}

impl TryFrom<OutcomeUpdateWire> for OutcomeUpdate {
    type Error = String;

    fn try_from(w: OutcomeUpdateWire) -> Result<Self, String> {
        let outcome = match w.outcome {
            serde_json::Value::String(name) => flat_outcome(&name, w.action_taken, w.reason)?,
            object @ serde_json::Value::Object(_) => {
                if w.action_taken.is_some() || w.reason.is_some() {
                    return Err(
                        "action_taken and reason go inside the outcome object, or beside an outcome given by name"
                            .into(),
                    );
                }
                serde_json::from_value(object).map_err(|e| format!("outcome: {e}"))?
            }
            _ => return Err(
                "outcome must be an object ({\"status\": \"resolved\", \"action_taken\": \"…\"}) or a name (\"Resolved\")"
                    .into(),
            ),
        };
        Ok(Self {
            outcome,
            notes: w.notes,
            course: w.course,
        })
    }
}

/// The outcome named as the hub plan writes it ("Resolved", "Escalated", "FalsePositive",
/// "Pending", or the snake_case status), with the words it needs beside it.
fn flat_outcome(
    name: &str,
    action_taken: Option<String>,
    reason: Option<String>,
) -> Result<EventOutcome, String> {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let outcome = match (key.as_str(), action_taken, reason) {
        ("pending", None, None) => EventOutcome::Pending,
        ("falsepositive", None, None) => EventOutcome::FalsePositive,
        ("resolved", Some(action_taken), None) => EventOutcome::Resolved { action_taken },
        ("escalated", None, Some(reason)) => EventOutcome::Escalated { reason },
        ("resolved", None, _) => return Err("outcome \"Resolved\" needs action_taken".into()),
        ("escalated", _, None) => return Err("outcome \"Escalated\" needs reason".into()),
        ("pending" | "falsepositive" | "resolved" | "escalated", _, _) => {
            return Err(format!(
                "outcome {name:?}: action_taken goes with Resolved and reason with Escalated only"
            ))
        }
        _ => {
            return Err(format!(
                "outcome {name:?} is none of Pending, Resolved, Escalated, FalsePositive"
            ))
        }
    };
    Ok(outcome)
}

/// The course of the incident an event stands for: it grows and ends after the event was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentCourse {
    /// The highest level it reached.
    pub peak_level: RiskLevel,
    /// How long its condition lasted so far, s.
    pub duration_secs: f64,
    /// When its condition went away (rig clock), once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_at: Option<DateTime<Utc>>,
    /// Times the driller was told.
    pub announcements: u32,
    /// Conditions its root cause produced, attached to it (at most [`MAX_ATTACHED`]).
    #[serde(default, deserialize_with = "at_most::<_, _, MAX_ATTACHED>")]
    pub attached: Vec<AnomalyCategory>,
}

/// Most attached categories a course lists (there are ten categories).
pub const MAX_ATTACHED: usize = 16;

/// What an outcome is worth as a precedent: a known fix most, a false alarm least.
pub fn outcome_value(outcome: &EventOutcome) -> f64 {
    match outcome {
        EventOutcome::Resolved { .. } => 1.0,
        EventOutcome::Escalated { .. } => 0.7,
        EventOutcome::Pending => 0.2,
        EventOutcome::FalsePositive => 0.1,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn outcome_kinds_keep_their_wire_names_and_say_the_crews_words() {
        for k in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::from_name(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).expect("json"),
                serde_json::json!(k.as_str())
            );
        }
        let resolved = EventOutcome::Resolved {
            action_taken: "reduced flow to 450 gpm".into(),
        };
        assert_eq!(resolved.kind(), OutcomeKind::Resolved);
        assert_eq!(resolved.describe(), "Resolved: reduced flow to 450 gpm");
        assert_eq!(EventOutcome::FalsePositive.describe(), "False alarm");
        assert!(OutcomeKind::Escalated == "escalated");
    }

    use super::*;

    /// The hub plan's flat form (`{"outcome": "Resolved", "action_taken": …, "notes": …}`) reads
    /// as the object form does; a name without its words, words beside an object, an unknown name
    /// or a field neither form has is refused with the reason.
    #[test]
    fn an_outcome_update_reads_flat_as_the_hub_plan_writes_it() {
        let flat: OutcomeUpdate = serde_json::from_str(
            r#"{"outcome": "Resolved", "action_taken": "raised mud weight to 11.2 ppg", "notes": "night shift"}"#,
        )
        .expect("flat form");
        let object: OutcomeUpdate = serde_json::from_str(
            r#"{"outcome": {"status": "resolved", "action_taken": "raised mud weight to 11.2 ppg"}, "notes": "night shift"}"#,
        )
        .expect("object form");
        assert_eq!(flat, object);
        assert_eq!(
            serde_json::to_value(&flat).expect("json")["outcome"]["status"],
            "resolved",
            "written in the object form"
        );
        for (name, words, expected) in [
            ("FalsePositive", "", EventOutcome::FalsePositive),
            ("false_positive", "", EventOutcome::FalsePositive),
            ("Pending", "", EventOutcome::Pending),
            (
                "Escalated",
                r#", "reason": "gain kept growing""#,
                EventOutcome::Escalated {
                    reason: "gain kept growing".into(),
                },
            ),
        ] {
            let body = format!(r#"{{"outcome": "{name}"{words}}}"#);
            let u: OutcomeUpdate = serde_json::from_str(&body).expect(&body);
            assert_eq!(u.outcome, expected, "{body}");
        }
        for (body, why) in [
            (r#"{"outcome": "Resolved"}"#, "needs action_taken"),
            (
                r#"{"outcome": "Escalated", "action_taken": "x"}"#,
                "needs reason",
            ),
            (r#"{"outcome": "Fixed"}"#, "none of Pending"),
            (
                r#"{"outcome": {"status": "resolved", "action_taken": "a"}, "action_taken": "b"}"#,
                "inside the outcome object",
            ),
            (r#"{"outcome": 3}"#, "must be an object"),
            (r#"{"outcome": "Pending", "comment": "x"}"#, "unknown field"),
        ] {
            let e = serde_json::from_str::<OutcomeUpdate>(body).expect_err(body);
            assert!(e.to_string().contains(why), "{body}: {e}");
        }
    }

    #[test]
    fn outcomes_are_tagged_by_status() {
        let resolved = EventOutcome::Resolved {
            action_taken: "reduced WOB".into(),
        };
        let json = serde_json::to_value(&resolved).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({"status": "resolved", "action_taken": "reduced WOB"})
        );
        let pending: EventOutcome = serde_json::from_str(r#"{"status":"pending"}"#).expect("parse");
        assert_eq!(pending, EventOutcome::Pending);
        assert_eq!(pending.as_str(), "pending");
        assert_eq!(EventOutcome::FalsePositive.as_str(), "false_positive");
    }

    #[test]
    fn a_resolved_outcome_without_its_action_is_refused() {
        let err = serde_json::from_str::<EventOutcome>(r#"{"status":"resolved"}"#)
            .expect_err("action missing");
        assert!(err.to_string().contains("action_taken"), "{err}");
    }
}
