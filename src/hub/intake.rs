//! The rules an uploaded event or outcome must pass before the hub stores it (DESIGN §5).

use crate::drilling::RiskLevel;
use crate::fleet::{EventOutcome, FleetEvent, Heartbeat, IdError, OutcomeUpdate, RigId};
use chrono::{DateTime, Duration, Utc};

/// Limits on what the hub takes in; from `[upload]` in `hub.toml`.
#[derive(Debug, Clone)]
pub struct IntakeRules {
    /// Largest request body as sent (compressed or not).
    pub max_body_bytes: usize,
    /// Largest body after decompression.
    pub max_decoded_bytes: usize,
    /// Oldest event accepted.
    pub max_event_age: Duration,
    /// How far ahead of the hub's clock an event's timestamp may be.
    pub max_clock_skew: Duration,
}

impl Default for IntakeRules {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_decoded_bytes: 10 << 20,
            max_event_age: Duration::days(7),
            max_clock_skew: Duration::minutes(5),
        }
    }
}

/// Longest free-text field (recommendation, notes, action, reason), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest label (well id, field name), in characters.
pub const MAX_LABEL_CHARS: usize = 128;
/// Deepest plausible measured depth; the deepest wells drilled are about 40,000 ft.
pub const MAX_DEPTH_FT: f64 = 60_000.0;

/// Why an upload is refused. Each variant maps to one HTTP status in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The body names another rig than the key's (403).
    #[error("event is for rig {body_rig} but the API key belongs to rig {key_rig}")]
    WrongRig {
        /// Rig named in the body.
        body_rig: String,
        /// Rig the key belongs to.
        key_rig: String,
    },
    /// The id is not `{rig_id}-…` (400).
    #[error("id: {0}")]
    BadId(IdError),
    /// Low-risk events stay on the rig (400).
    #[error("advisory.risk_level: {0} is below elevated; only elevated, high and critical events go to the fleet")]
    RiskTooLow(RiskLevel),
    /// No history snapshots (400).
    #[error("history_window: must hold at least one snapshot")]
    EmptyHistory,
    /// A field's value is out of range (400).
    #[error("{field}: {reason}")]
    BadValue {
        /// Path of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The timestamp is too far in the future (422).
    #[error("timestamp {timestamp} is {ahead_secs} s ahead of the hub's clock, corrected by the rig's own (X-Rig-Clock) when it says; at most {max_secs} s allowed; check the rig's clock")]
    FromTheFuture {
        /// The event's timestamp.
        timestamp: DateTime<Utc>,
        /// How far ahead it is.
        ahead_secs: i64,
        /// The allowed skew.
        max_secs: i64,
    },
    /// The event is older than the hub keeps (422).
    #[error("timestamp {timestamp} is {age_days} days old; the hub accepts events up to {max_days} days old")]
    TooOld {
        /// The event's timestamp.
        timestamp: DateTime<Utc>,
        /// Its age in whole days.
        age_days: i64,
        /// The configured maximum.
        max_days: i64,
    },
}

/// Check a label (well id, field name): not blank, at most [`MAX_LABEL_CHARS`].
pub fn check_label(field: &'static str, value: &str) -> Result<(), IntakeError> {
    no_nul(field, value)?;
    let len = value.chars().count();
    if value.trim().is_empty() || len > MAX_LABEL_CHARS {
        return Err(IntakeError::BadValue {
            field,
            reason: format!("must be 1 to {MAX_LABEL_CHARS} characters, not blank (got {len})"),
        });
    }
    Ok(())
}

/// PostgreSQL stores no NUL in text or JSON: one is refused here, with its field named.
fn no_nul(field: &'static str, value: &str) -> Result<(), IntakeError> {
    if value.contains('\0') {
        return Err(IntakeError::BadValue {
            field,
            reason: "contains a NUL character, which is not allowed".into(),
        });
    }
    Ok(())
}

fn check_text(field: &'static str, value: &str) -> Result<(), IntakeError> {
    no_nul(field, value)?;
    let len = value.chars().count();
    if len > MAX_TEXT_CHARS {
        return Err(IntakeError::BadValue {
            field,
            reason: format!("at most {MAX_TEXT_CHARS} characters (got {len})"),
        });
    }
    Ok(())
}

fn check_fraction(field: &'static str, value: f64) -> Result<(), IntakeError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(IntakeError::BadValue {
            field,
            reason: format!("must be between 0 and 1 (got {value})"),
        });
    }
    Ok(())
}

fn check_outcome(outcome: &EventOutcome) -> Result<(), IntakeError> {
    match outcome {
        EventOutcome::Resolved { action_taken } if action_taken.trim().is_empty() => {
            Err(IntakeError::BadValue {
                field: "outcome.action_taken",
                reason: "say what was done; a resolved outcome needs its action".into(),
            })
        }
        EventOutcome::Escalated { reason } if reason.trim().is_empty() => {
            Err(IntakeError::BadValue {
                field: "outcome.reason",
                reason: "say why; an escalated outcome needs its reason".into(),
            })
        }
        other => other.text().map_or(Ok(()), |t| check_text("outcome", t)),
    }
}

/// Check an uploaded event against the key's rig and the hub's clock, in the order that gives
/// the most useful answer: whose it is (403), whether it is well formed (400), then when (422).
pub fn check_event(
    event: &FleetEvent,
    key_rig: &RigId,
    now: DateTime<Utc>,
    rules: &IntakeRules,
) -> Result<(), IntakeError> {
    if &event.rig_id != key_rig {
        return Err(IntakeError::WrongRig {
            body_rig: event.rig_id.to_string(),
            key_rig: key_rig.to_string(),
        });
    }
    event
        .id
        .check_rig(&event.rig_id)
        .map_err(IntakeError::BadId)?;
    if event.advisory.risk_level < RiskLevel::Elevated {
        return Err(IntakeError::RiskTooLow(event.advisory.risk_level));
    }
    if event.history_window.is_empty() {
        return Err(IntakeError::EmptyHistory);
    }
    check_label("well_id", &event.well_id)?;
    check_label("field", &event.field)?;
    check_text("advisory.recommendation", &event.advisory.recommendation)?;
    check_text("advisory.reasoning", &event.advisory.reasoning)?;
    check_fraction("advisory.severity", event.advisory.severity)?;
    check_fraction("advisory.confidence", event.advisory.confidence)?;
    check_outcome(&event.outcome)?;
    if let Some(notes) = &event.notes {
        check_text("notes", notes)?;
    }
    if !(0.0..=MAX_DEPTH_FT).contains(&event.depth_ft) {
        return Err(IntakeError::BadValue {
            field: "depth_ft",
            reason: format!(
                "must be between 0 and {MAX_DEPTH_FT} ft (got {})",
                event.depth_ft
            ),
        });
    }
    let ahead = event.timestamp - now;
    if ahead > rules.max_clock_skew {
        return Err(IntakeError::FromTheFuture {
            timestamp: event.timestamp,
            ahead_secs: ahead.num_seconds(),
            max_secs: rules.max_clock_skew.num_seconds(),
        });
    }
    let age = now - event.timestamp;
    if age > rules.max_event_age {
        return Err(IntakeError::TooOld {
            timestamp: event.timestamp,
            age_days: age.num_days(),
            max_days: rules.max_event_age.num_days(),
        });
    }
    Ok(())
}

/// Check an outcome update's text.
pub fn check_outcome_update(update: &OutcomeUpdate) -> Result<(), IntakeError> {
    check_outcome(&update.outcome)?;
    if let Some(notes) = &update.notes {
        check_text("notes", notes)?;
    }
    if let Some(course) = &update.course {
        // A year of one incident is already absurd; beyond it the number is garbage.
        if !(course.duration_secs.is_finite()
            && (0.0..=31_536_000.0).contains(&course.duration_secs))
        {
            return Err(IntakeError::BadValue {
                field: "course.duration_secs",
                reason: format!(
                    "must be between 0 and 31536000 seconds, not {}",
                    course.duration_secs
                ),
            });
        }
        if course.announcements > 1_000 {
            return Err(IntakeError::BadValue {
                field: "course.announcements",
                reason: format!("at most 1000, not {}", course.announcements),
            });
        }
    }
    Ok(())
}

/// A figure that must be finite and within `range`.
fn check_range(
    field: &'static str,
    value: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<(), IntakeError> {
    if !range.contains(&value) {
        return Err(IntakeError::BadValue {
            field,
            reason: format!(
                "must be between {} and {} (got {value})",
                range.start(),
                range.end()
            ),
        });
    }
    Ok(())
}

/// A count that no rig can honestly reach past `most`.
fn check_count(field: &'static str, value: u32, most: u32) -> Result<(), IntakeError> {
    if value > most {
        return Err(IntakeError::BadValue {
            field,
            reason: format!("at most {most} (got {value})"),
        });
    }
    Ok(())
}

/// Check an insights summary from `key_rig`: its rig, labels, and every segment's depths and
/// band within what a well and a rig can be.
pub fn check_insights(
    summary: &crate::fleet::insights::InsightSummary,
    key_rig: &RigId,
) -> Result<(), IntakeError> {
    if &summary.rig_id != key_rig {
        return Err(IntakeError::WrongRig {
            body_rig: summary.rig_id.to_string(),
            key_rig: key_rig.to_string(),
        });
    }
    check_label("well_id", &summary.well_id)?;
    check_label("field", &summary.field)?;
    for s in &summary.segments {
        check_range("segments.from_ft", s.from_ft, 0.0..=MAX_DEPTH_FT)?;
        check_range("segments.to_ft", s.to_ft, s.from_ft..=MAX_DEPTH_FT)?;
        if let Some(d) = s.dc_exponent {
            check_range("segments.dc_exponent", d, 0.0..=10.0)?;
        }
        if let Some(m) = s.mse_median_psi {
            check_range("segments.mse_median_psi", m, 0.0..=10_000_000.0)?;
        }
        if let Some(f) = s.founder_wob_klb {
            check_range("segments.founder_wob_klb", f, 0.0..=500.0)?;
        }
        if let Some(b) = &s.best {
            check_range("segments.best.wob_klb", b.wob_klb.0, 0.0..=500.0)?;
            check_range("segments.best.wob_klb", b.wob_klb.1, b.wob_klb.0..=500.0)?;
            check_range("segments.best.rpm", b.rpm.0, 0.0..=1_000.0)?;
            check_range("segments.best.rpm", b.rpm.1, b.rpm.0..=1_000.0)?;
            check_range(
                "segments.best.rop_median_ft_h",
                b.rop_median_ft_h,
                0.0..=10_000.0,
            )?;
        }
    }
    Ok(())
}

/// Check a heartbeat like an event: whose (403), well formed (400), then when (422) — a
/// heartbeat from further ahead than the skew allowed, or older than events are kept, is refused.
pub fn check_heartbeat(
    beat: &Heartbeat,
    key_rig: &RigId,
    now: DateTime<Utc>,
    rules: &IntakeRules,
) -> Result<(), IntakeError> {
    if &beat.rig_id != key_rig {
        return Err(IntakeError::WrongRig {
            body_rig: beat.rig_id.to_string(),
            key_rig: key_rig.to_string(),
        });
    }
    check_label("well_id", &beat.well_id)?;
    check_label("field", &beat.field)?;
    check_label("version", &beat.version)?;
    check_range("interval_secs", beat.interval_secs, 0.0..=86_400.0)?;
    check_range(
        "on_bottom_secs",
        beat.on_bottom_secs,
        0.0..=beat.interval_secs.max(0.0) + 1.0,
    )?;
    if let Some(depth) = beat.depth_ft {
        check_range("depth_ft", depth, 0.0..=MAX_DEPTH_FT)?;
    }
    if let Some(rop) = beat.rop_ft_h {
        // The fastest top-hole drilling is a few thousand ft/h.
        check_range("rop_ft_h", rop, 0.0..=10_000.0)?;
    }
    if let Some(eff) = beat.mse_efficiency {
        check_range("mse_efficiency", eff, 0.0..=1.0)?;
    }
    let i = &beat.incidents;
    for (field, n) in [
        ("incidents.critical", i.critical),
        ("incidents.high", i.high),
        ("incidents.elevated", i.elevated),
        ("incidents.low", i.low),
        ("incidents.unacknowledged", i.unacknowledged),
    ] {
        check_count(field, n, 10_000)?;
    }
    check_count("alarms_last_hour", beat.alarms_last_hour, 100_000)?;
    check_count("stream.sensors_out", beat.stream.sensors_out, 1_000)?;
    if let Some(stale) = beat.stream.stale_secs {
        check_range("stream.stale_secs", stale, 0.0..=1e9)?;
    }
    check_count("queue_depth", beat.queue_depth, 10_000_000)?;
    check_count("dead_letters", beat.dead_letters, 10_000_000)?;
    check_count("faults", beat.faults, 1_000)?;
    if let Some(offset) = beat.clock_offset_secs {
        check_range("clock_offset_secs", offset, -1e9..=1e9)?;
    }
    check_range("uptime_secs", beat.uptime_secs, 0.0..=1e10)?;
    let ahead = beat.sent_at - now;
    if ahead > rules.max_clock_skew {
        return Err(IntakeError::FromTheFuture {
            timestamp: beat.sent_at,
            ahead_secs: ahead.num_seconds(),
            max_secs: rules.max_clock_skew.num_seconds(),
        });
    }
    let age = now - beat.sent_at;
    if age > rules.max_event_age {
        return Err(IntakeError::TooOld {
            timestamp: beat.sent_at,
            age_days: age.num_days(),
            max_days: rules.max_event_age.num_days(),
        });
    }
    Ok(())
}
