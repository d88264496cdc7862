//! Each rig's latest drilling insights per formation segment (`insight_segments`), and the
//! segments of a field the offsets are read from.

use super::schema::{insight_segments as seg, rigs};
use super::DbError;
use crate::fleet::insights::InsightSummary;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;

/// Most segments read for one field's offsets: the newest, so the work per request is bounded.
pub const MAX_FIELD_SEGMENTS: i64 = 2_000;

/// What storing a summary did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Kept: the rig's segments it overlaps were replaced.
    Stored,
    /// This report was kept before; nothing changed.
    AlreadyHeld,
}

/// One segment with a fastest band, as the offsets read it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = seg)]
pub struct SegmentRow {
    /// The rig that drilled it.
    pub rig_id: String,
    /// The well.
    pub well_id: String,
    /// Top, ft.
    pub from_ft: f64,
    /// Bottom, ft.
    pub to_ft: f64,
    /// Seconds of steady drilling in it.
    pub samples: i32,
    /// Median dc-exponent.
    pub dc_exponent: Option<f64>,
    /// Fastest band's WOB from.
    pub wob_lo: Option<f64>,
    /// … to.
    pub wob_hi: Option<f64>,
    /// Its RPM from.
    pub rpm_lo: Option<f64>,
    /// … to.
    pub rpm_hi: Option<f64>,
    /// Its median ROP, ft/h.
    pub rop_median_ft_h: Option<f64>,
    /// Seconds drilled in it.
    pub best_samples: Option<i32>,
    /// The founder point, klb.
    pub founder_wob_klb: Option<f64>,
    /// When the rig made the report.
    pub made_at: DateTime<Utc>,
}

/// Keep `summary` (checked) from its rig, filed under the rig's registered field: its segments
/// replace the rig's older ones they overlap, so each depth counts once per rig.
pub fn store(
    conn: &mut PgConnection,
    summary: &InsightSummary,
    now: DateTime<Utc>,
) -> Result<Stored, DbError> {
    let rig = summary.rig_id.as_str();
    let seq = i64::try_from(summary.report_seq).unwrap_or(i64::MAX);
    conn.transaction(|conn| {
        let held: i64 = seg::table
            .filter(seg::rig_id.eq(rig))
            .filter(seg::report_seq.eq(seq))
            .filter(seg::made_at.eq(summary.made_at))
            .count()
            .get_result(conn)?;
        if held > 0 {
            return Ok(Stored::AlreadyHeld);
        }
        let field: String = rigs::table
            .find(rig)
            .select(rigs::field)
            .first::<String>(conn)
            .optional()?
            .unwrap_or_else(|| summary.field.clone());
        for s in &summary.segments {
            diesel::delete(
                seg::table
                    .filter(seg::rig_id.eq(rig))
                    .filter(seg::from_ft.lt(s.to_ft))
                    .filter(seg::to_ft.gt(s.from_ft)),
            )
            .execute(conn)?;
        }
        let rows: Vec<_> = summary
            .segments
            .iter()
            .map(|s| {
                let b = s.best.as_ref();
                (
                    seg::rig_id.eq(rig),
                    seg::field.eq(&field),
                    seg::well_id.eq(&summary.well_id),
                    seg::report_seq.eq(seq),
                    seg::made_at.eq(summary.made_at),
                    seg::received_at.eq(now),
                    seg::from_ft.eq(s.from_ft),
                    seg::to_ft.eq(s.to_ft),
                    seg::samples.eq(i32::try_from(s.samples).unwrap_or(i32::MAX)),
                    seg::dc_exponent.eq(s.dc_exponent),
                    seg::mse_median_psi.eq(s.mse_median_psi),
                    (
                        seg::wob_lo.eq(b.map(|b| b.wob_klb.0)),
                        seg::wob_hi.eq(b.map(|b| b.wob_klb.1)),
                        seg::rpm_lo.eq(b.map(|b| b.rpm.0)),
                        seg::rpm_hi.eq(b.map(|b| b.rpm.1)),
                        seg::rop_median_ft_h.eq(b.map(|b| b.rop_median_ft_h)),
                        seg::best_samples
                            .eq(b.map(|b| i32::try_from(b.samples).unwrap_or(i32::MAX))),
                        seg::founder_wob_klb.eq(s.founder_wob_klb),
                    ),
                )
            })
            .collect();
        diesel::insert_into(seg::table)
            .values(&rows)
            .execute(conn)?;
        Ok(Stored::Stored)
    })
}

/// The newest segments of `field` with a fastest band, leaving out `except_rig`'s own.
pub fn field_segments(
    conn: &mut PgConnection,
    field: &str,
    except_rig: Option<&str>,
) -> Result<Vec<SegmentRow>, DbError> {
    let mut q = seg::table
        .filter(seg::field.eq(field))
        .filter(seg::rop_median_ft_h.is_not_null())
        .select(SegmentRow::as_select())
        .order(seg::made_at.desc())
        .limit(MAX_FIELD_SEGMENTS)
        .into_boxed();
    if let Some(rig) = except_rig {
        q = q.filter(seg::rig_id.ne(rig.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// Every field with insights: (field, rigs, segments), most rigs first.
pub fn fields(conn: &mut PgConnection) -> Result<Vec<(String, i64, i64)>, DbError> {
    use diesel::dsl::{count, count_star};
    let mut rows: Vec<(String, i64, i64)> = seg::table
        .group_by(seg::field)
        .select((
            seg::field,
            count(seg::rig_id).aggregate_distinct(),
            count_star(),
        ))
        .load(conn)?;
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(rows)
}
