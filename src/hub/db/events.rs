//! Uploaded events.

use super::models::{EventRow, NewEvent};
use super::schema::{events, rigs};
use super::DbError;
use crate::drilling::{AnomalyCategory, RiskLevel};
use crate::fleet::{EventBrief, EventOutcome, OutcomeKind, OutcomeUpdate};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;

/// What storing an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now, marked for curation, rig counters updated.
    Accepted,
    /// An event with this id was already stored; nothing changed.
    AlreadyExists,
}

/// Store an event and update its rig's `last_seen` and `event_count` in one transaction.
/// Idempotent by id: a retry of a stored event changes nothing but `last_seen`.
pub fn insert(
    conn: &mut PgConnection,
    new: &NewEvent,
    clock_offset_secs: Option<f64>,
) -> Result<InsertOutcome, DbError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        let inserted = diesel::insert_into(events::table)
            .values(new)
            .on_conflict_do_nothing()
            .execute(conn)?;
        let rig = rigs::table.find(&new.rig_id);
        if let Some(offset) = clock_offset_secs {
            diesel::update(rig)
                .set((
                    rigs::clock_offset_secs.eq(Some(offset)),
                    rigs::clock_checked_at.eq(Some(now)),
                ))
                .execute(conn)?;
        }
        if inserted == 0 {
            diesel::update(rig)
                .set(rigs::last_seen.eq(Some(now)))
                .execute(conn)?;
            return Ok(InsertOutcome::AlreadyExists);
        }
        diesel::update(rig)
            .set((
                rigs::last_seen.eq(Some(now)),
                rigs::event_count.eq(rigs::event_count + 1),
            ))
            .execute(conn)?;
        Ok(InsertOutcome::Accepted)
    })
}

/// One event by id.
pub fn get(conn: &mut PgConnection, id: &str) -> Result<Option<EventRow>, DbError> {
    Ok(events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// What an event's report reads: the stored event (with its current outcome and notes) and its
/// course as the rig last sent it.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// The event as stored.
    pub payload: serde_json::Value,
    /// The highest level it reached, once the rig sent its course.
    pub peak_level: Option<String>,
    /// How long it lasted, s.
    pub duration_secs: Option<f64>,
    /// When its condition went away.
    pub cleared_at: Option<DateTime<Utc>>,
    /// When the hub accepted it.
    pub received_at: DateTime<Utc>,
    /// When its outcome was last decided.
    pub outcome_updated_at: Option<DateTime<Utc>>,
    /// The library episode it became, if it did.
    pub episode_id: Option<String>,
}

/// One event for its report.
pub fn for_report(conn: &mut PgConnection, id: &str) -> Result<Option<ReportRow>, DbError> {
    let row = events::table
        .find(id)
        .select((
            events::payload,
            events::peak_level,
            events::duration_secs,
            events::cleared_at,
            events::received_at,
            events::outcome_updated_at,
            events::episode_id,
        ))
        .first::<(
            serde_json::Value,
            Option<String>,
            Option<f64>,
            Option<DateTime<Utc>>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<String>,
        )>(conn)
        .optional()?;
    Ok(row.map(
        |(
            payload,
            peak_level,
            duration_secs,
            cleared_at,
            received_at,
            outcome_updated_at,
            episode_id,
        )| ReportRow {
            payload,
            peak_level,
            duration_secs,
            cleared_at,
            received_at,
            outcome_updated_at,
            episode_id,
        },
    ))
}

/// A rig's latest events, newest first, one line each: read from the filter columns, never the
/// stored payloads (20 payloads of a maximal upload once cost 2.7 GB to send 1.9 KB).
pub fn recent_for_rig(
    conn: &mut PgConnection,
    rig_id: &str,
    limit: i64,
) -> Result<Vec<EventBrief>, DbError> {
    let rows: Vec<(
        String,
        AnomalyCategory,
        RiskLevel,
        OutcomeKind,
        f64,
        DateTime<Utc>,
    )> = events::table
        .filter(events::rig_id.eq(rig_id))
        .order(events::occurred_at.desc())
        .limit(limit)
        .select((
            events::id,
            events::category,
            events::risk_level,
            events::outcome,
            events::depth_ft,
            events::occurred_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, category, risk_level, outcome, depth_ft, occurred_at)| EventBrief {
                id,
                category,
                risk_level,
                outcome,
                depth_ft,
                occurred_at,
            },
        )
        .collect())
}

/// What an outcome update did.
#[derive(Debug)]
pub enum OutcomeChange {
    /// Stored; the event is marked for curation again.
    Updated(Box<EventRow>),
    /// No event has this id.
    NotFound,
    /// The event belongs to another rig.
    NotOwner,
}

/// Who sets an outcome.
#[derive(Debug, Clone, Copy)]
pub enum OutcomeBy<'a> {
    /// The rig itself (its own events only; its last contact is noted).
    Rig(&'a str),
    /// Someone at the fleet desk: an operator or an administrator on the dashboard.
    Desk(super::audit::Who<'a>),
}

/// Set an event's outcome (last write wins) and mark it for curation, if `by` may: a rig only
/// its own events, the fleet desk any.
pub fn update_outcome(
    conn: &mut PgConnection,
    id: &str,
    by: OutcomeBy<'_>,
    update: &OutcomeUpdate,
) -> Result<OutcomeChange, DbError> {
    conn.transaction(|conn| {
        let current: Option<(String, serde_json::Value)> = events::table
            .find(id)
            .select((events::rig_id, events::payload))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((owner, mut payload)) = current else {
            return Ok(OutcomeChange::NotFound);
        };
        let rig_actor = format!("rig {owner}");
        let who = match by {
            OutcomeBy::Rig(rig_id) if rig_id != owner => return Ok(OutcomeChange::NotOwner),
            OutcomeBy::Rig(_) => super::audit::Who::local(&rig_actor),
            OutcomeBy::Desk(who) => who,
        };
        let outcome_json =
            serde_json::to_value(&update.outcome).map_err(|e| DbError::Encode(e.to_string()))?;
        let before = payload.get("outcome").cloned().unwrap_or_default();
        if before != outcome_json {
            // A course update repeats the outcome; only a changed outcome is an audited act.
            super::audit::record(
                conn,
                who,
                "outcome_update",
                Some(&owner),
                serde_json::json!({"event": id, "before": before, "after": outcome_json}),
            )?;
        }
        if let Some(doc) = payload.as_object_mut() {
            doc.insert("outcome".into(), outcome_json);
            if let Some(notes) = &update.notes {
                doc.insert("notes".into(), serde_json::Value::String(notes.clone()));
            }
        }
        let now = Utc::now();
        let decided = update.outcome != EventOutcome::Pending;
        let course = update.course.as_ref().map(|c| {
            (
                events::peak_level.eq(Some(c.peak_level.as_str())),
                events::duration_secs.eq(Some(c.duration_secs)),
                events::cleared_at.eq(c.cleared_at),
            )
        });
        let row = diesel::update(events::table.find(id))
            .set((
                events::payload.eq(payload),
                events::outcome.eq(update.outcome.as_str()),
                events::needs_curation.eq(true),
                // A course update while the crew has not answered is no outcome: the time to
                // resolution is measured to the answer.
                decided.then_some(events::outcome_updated_at.eq(Some(now))),
                course,
            ))
            .returning(EventRow::as_returning())
            .get_result(conn)?;
        if matches!(by, OutcomeBy::Rig(_)) {
            diesel::update(rigs::table.find(&owner))
                .set(rigs::last_seen.eq(Some(now)))
                .execute(conn)?;
        }
        Ok(OutcomeChange::Updated(Box::new(row)))
    })
}
