//! Analysis slots and their findings.

use super::audit::{self, Who};
use super::schema::{analysers, analysis_findings};
use super::DbError;
use crate::hub::analytics::analysers::Finding;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;
use serde::Serialize;

/// One analyser's slot.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = analysers, check_for_backend(diesel::pg::Pg))]
pub struct Slot {
    /// The analyser's id.
    pub id: String,
    /// Whether it runs.
    pub active: bool,
    /// Findings less sure than this are dropped.
    pub min_confidence: f64,
    /// Least seconds between runs.
    pub min_interval_secs: i32,
    /// When it last ran.
    pub last_run_at: Option<DateTime<Utc>>,
    /// When the slot was last changed…
    pub updated_at: DateTime<Utc>,
    /// …and by whom.
    pub updated_by: String,
}

impl Slot {
    /// Whether it should run at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.active
            && self
                .last_run_at
                .is_none_or(|t| (now - t).num_seconds() >= i64::from(self.min_interval_secs))
    }
}

/// Every slot, by id.
pub fn slots(conn: &mut PgConnection) -> Result<Vec<Slot>, DbError> {
    Ok(analysers::table
        .order(analysers::id.asc())
        .select(Slot::as_select())
        .load(conn)?)
}

/// A change to a slot; absent fields stay as they are.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotChange {
    /// Run it or not.
    pub active: Option<bool>,
    /// The least confidence kept (0–1).
    pub min_confidence: Option<f64>,
    /// The least seconds between runs (0–86400).
    pub min_interval_secs: Option<i32>,
}

/// Change slot `id` as `who`, audited with before and after; none when there is no such slot.
pub fn change(
    conn: &mut PgConnection,
    id: &str,
    c: &SlotChange,
    who: Who<'_>,
) -> Result<Option<Slot>, DbError> {
    conn.transaction(|conn| {
        let Some(before) = analysers::table
            .find(id)
            .select(Slot::as_select())
            .for_update()
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let after: Slot = diesel::update(analysers::table.find(id))
            .set((
                analysers::active.eq(c.active.unwrap_or(before.active)),
                analysers::min_confidence.eq(c.min_confidence.unwrap_or(before.min_confidence)),
                analysers::min_interval_secs
                    .eq(c.min_interval_secs.unwrap_or(before.min_interval_secs)),
                analysers::updated_at.eq(Utc::now()),
                analysers::updated_by.eq(who.actor),
            ))
            .returning(Slot::as_returning())
            .get_result(conn)?;
        let detail = serde_json::json!({
            "before": {"active": before.active, "min_confidence": before.min_confidence, "min_interval_secs": before.min_interval_secs},
            "after": {"active": after.active, "min_confidence": after.min_confidence, "min_interval_secs": after.min_interval_secs},
        });
        audit::record(conn, who, &format!("analyser_changed:{id}"), None, detail)?;
        Ok(Some(after))
    })
}

/// Replace analyser `id`'s findings with `findings` (version `version`, run at `at`).
pub fn store_findings(
    conn: &mut PgConnection,
    id: &str,
    version: i32,
    at: DateTime<Utc>,
    findings: &[Finding],
) -> Result<(), DbError> {
    let rows: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                analysis_findings::analyser_id.eq(id),
                analysis_findings::analyser_version.eq(version),
                analysis_findings::computed_at.eq(at),
                analysis_findings::rig_id.eq(f.rig_id.as_deref()),
                analysis_findings::region.eq(f.region.as_deref()),
                analysis_findings::confidence.eq(f.confidence),
                analysis_findings::summary.eq(&f.summary),
                analysis_findings::details.eq(&f.details),
            )
        })
        .collect();
    conn.transaction(|conn| {
        diesel::delete(analysis_findings::table.filter(analysis_findings::analyser_id.eq(id)))
            .execute(conn)?;
        // At most 65,535 bound values a statement: 8 a row.
        for chunk in rows.chunks(4_000) {
            diesel::insert_into(analysis_findings::table)
                .values(chunk)
                .execute(conn)?;
        }
        diesel::update(analysers::table.find(id))
            .set(analysers::last_run_at.eq(Some(at)))
            .execute(conn)?;
        Ok(())
    })
}

/// Drop analyser `id`'s findings (it was switched off).
pub fn clear_findings(conn: &mut PgConnection, id: &str) -> Result<usize, DbError> {
    Ok(
        diesel::delete(analysis_findings::table.filter(analysis_findings::analyser_id.eq(id)))
            .execute(conn)?,
    )
}

/// A stored finding.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = analysis_findings, check_for_backend(diesel::pg::Pg))]
pub struct StoredFinding {
    /// Its row.
    pub id: i64,
    /// Which analyser…
    pub analyser_id: String,
    /// …at which version.
    pub analyser_version: i32,
    /// When it ran.
    pub computed_at: DateTime<Utc>,
    /// The rig it is about.
    pub rig_id: Option<String>,
    /// The region it is about.
    pub region: Option<String>,
    /// How sure.
    pub confidence: f64,
    /// In words.
    pub summary: String,
    /// The figures.
    pub details: serde_json::Value,
}

/// The current findings of `id` (every analyser: `None`), most confident first.
pub fn findings(conn: &mut PgConnection, id: Option<&str>) -> Result<Vec<StoredFinding>, DbError> {
    let mut q = analysis_findings::table
        .select(StoredFinding::as_select())
        .order((
            analysis_findings::confidence.desc(),
            analysis_findings::id.asc(),
        ))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(analysis_findings::analyser_id.eq(id.to_owned()));
    }
    Ok(q.load(conn)?)
}
