//! Rig heartbeats: raw rows, the latest on the rig's row, hourly roll-ups and their retention.

use super::schema::heartbeats;
use super::DbError;
use crate::fleet::Heartbeat;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Jsonb, Nullable, Text, Timestamptz};
use diesel::PgConnection;

/// A heartbeat as its raw row.
#[derive(Debug, Insertable)]
#[diesel(table_name = heartbeats)]
struct NewBeat<'a> {
    rig_id: &'a str,
    received_at: DateTime<Utc>,
    sent_at: DateTime<Utc>,
    interval_secs: f64,
    rig_state: &'a str,
    depth_ft: Option<f64>,
    rop_ft_h: Option<f64>,
    on_bottom_secs: f64,
    mse_efficiency: Option<f64>,
    open_incidents: i32,
    open_critical: i32,
    unacknowledged: i32,
    alarms_last_hour: i32,
    stream_alive: bool,
    sensors_out: i32,
    queue_depth: i32,
    dead_letters: i32,
    clock_offset_secs: Option<f64>,
    faults: i32,
}

/// Counts checked by intake fit easily; saturate rather than wrap if one ever did not.
fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Store a heartbeat received at `at` (its `sent_at` already moved onto the hub's clock) and
/// make it the rig's latest, with the rig's clock offset as this request measured it: the
/// latest it replaces, if it had one.
pub fn insert(
    conn: &mut PgConnection,
    beat: &Heartbeat,
    at: DateTime<Utc>,
    clock_offset_secs: Option<f64>,
) -> Result<Option<Heartbeat>, DbError> {
    let payload = serde_json::to_value(beat).map_err(|e| DbError::Encode(e.to_string()))?;
    let row = NewBeat {
        rig_id: beat.rig_id.as_str(),
        received_at: at,
        sent_at: beat.sent_at,
        interval_secs: beat.interval_secs,
        rig_state: beat.rig_state.as_str(),
        depth_ft: beat.depth_ft,
        rop_ft_h: beat.rop_ft_h,
        on_bottom_secs: beat.on_bottom_secs,
        mse_efficiency: beat.mse_efficiency,
        open_incidents: int(beat.incidents.total()),
        open_critical: int(beat.incidents.critical),
        unacknowledged: int(beat.incidents.unacknowledged),
        alarms_last_hour: int(beat.alarms_last_hour),
        stream_alive: beat.stream.alive,
        sensors_out: int(beat.stream.sensors_out),
        queue_depth: int(beat.queue_depth),
        dead_letters: int(beat.dead_letters),
        clock_offset_secs: beat.clock_offset_secs,
        faults: int(beat.faults),
    };
    conn.transaction(|conn| {
        // Two beats of one rig in the same microsecond are one: the second changes nothing.
        diesel::insert_into(heartbeats::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(conn)?;
        // One statement makes it the latest and gives back the one it replaces, read under the
        // row's lock: two beats of one rig each see the other's as previous.
        let previous: Option<Previous> = diesel::sql_query(
            "UPDATE rigs r SET last_seen = $2, heartbeat_at = $2, heartbeat = $3, \
                    clock_offset_secs = coalesce($4, r.clock_offset_secs), \
                    clock_checked_at = CASE WHEN $4 IS NULL THEN r.clock_checked_at ELSE $2 END \
             FROM (SELECT rig_id, heartbeat FROM rigs WHERE rig_id = $1 FOR UPDATE) old \
             WHERE r.rig_id = old.rig_id RETURNING old.heartbeat AS heartbeat",
        )
        .bind::<Text, _>(beat.rig_id.as_str())
        .bind::<Timestamptz, _>(at)
        .bind::<Jsonb, _>(payload)
        .bind::<Nullable<Double>, _>(clock_offset_secs)
        .get_result(conn)
        .optional()?;
        let previous = previous.and_then(|p| p.heartbeat);
        // A latest stored by an older hub that no longer reads is as good as none.
        Ok(previous.and_then(|v| serde_json::from_value(v).ok()))
    })
}

/// The latest heartbeat a rig had before this one.
#[derive(QueryableByName)]
struct Previous {
    #[diesel(sql_type = Nullable<Jsonb>)]
    heartbeat: Option<serde_json::Value>,
}

/// Heartbeats stored for one rig (tests and the rig page's count).
pub fn count(conn: &mut PgConnection, rig_id: &str) -> Result<i64, DbError> {
    Ok(heartbeats::table
        .filter(heartbeats::rig_id.eq(rig_id))
        .count()
        .get_result(conn)?)
}

/// (Re)compute the hourly roll-up of every hour from `from`'s hour on: idempotent, so a pass
/// that overlaps the last only rewrites the hours still filling.
pub fn roll_up(conn: &mut PgConnection, from: DateTime<Utc>) -> Result<usize, DbError> {
    Ok(diesel::sql_query(
        "INSERT INTO heartbeat_hours AS h (rig_id, hour, beats, depth_ft, on_bottom_secs, \
             rop_ft_h, mse_efficiency, open_incidents_max, critical_beats, unacknowledged_max, \
             alarms_max, stale_beats, dead_letters_max, clock_offset_secs) \
         SELECT rig_id, date_trunc('hour', received_at), count(*), max(depth_ft), \
             sum(on_bottom_secs), \
             sum(rop_ft_h * on_bottom_secs) FILTER (WHERE rop_ft_h IS NOT NULL) \
                 / NULLIF(sum(on_bottom_secs) FILTER (WHERE rop_ft_h IS NOT NULL), 0), \
             sum(mse_efficiency * on_bottom_secs) FILTER (WHERE mse_efficiency IS NOT NULL) \
                 / NULLIF(sum(on_bottom_secs) FILTER (WHERE mse_efficiency IS NOT NULL), 0), \
             max(open_incidents), count(*) FILTER (WHERE open_critical > 0), \
             max(unacknowledged), max(alarms_last_hour), \
             count(*) FILTER (WHERE NOT stream_alive), max(dead_letters), \
             avg(clock_offset_secs) \
         FROM heartbeats WHERE received_at >= date_trunc('hour', $1) \
         GROUP BY rig_id, date_trunc('hour', received_at) \
         ON CONFLICT (rig_id, hour) DO UPDATE SET beats = EXCLUDED.beats, \
             depth_ft = EXCLUDED.depth_ft, on_bottom_secs = EXCLUDED.on_bottom_secs, \
             rop_ft_h = EXCLUDED.rop_ft_h, mse_efficiency = EXCLUDED.mse_efficiency, \
             open_incidents_max = EXCLUDED.open_incidents_max, \
             critical_beats = EXCLUDED.critical_beats, \
             unacknowledged_max = EXCLUDED.unacknowledged_max, \
             alarms_max = EXCLUDED.alarms_max, stale_beats = EXCLUDED.stale_beats, \
             dead_letters_max = EXCLUDED.dead_letters_max, \
             clock_offset_secs = EXCLUDED.clock_offset_secs",
    )
    .bind::<Timestamptz, _>(from)
    .execute(conn)?)
}

/// What one retention sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Raw heartbeats older than the raw retention.
    pub raw: usize,
    /// Hourly rows older than the roll-up retention.
    pub hours: usize,
    /// Fleet KPI rows older than the raw retention.
    pub fleet_rows: usize,
}

/// Remove raw heartbeats (and per-pass fleet KPIs) received before `raw_before`, and hourly
/// rows before `hours_before`. Raw rows go only once their hour is rolled up: the caller rolls
/// up first.
pub fn prune(
    conn: &mut PgConnection,
    raw_before: DateTime<Utc>,
    hours_before: DateTime<Utc>,
) -> Result<Pruned, DbError> {
    use super::schema::{fleet_kpis, heartbeat_hours};
    let raw = diesel::delete(heartbeats::table.filter(heartbeats::received_at.lt(raw_before)))
        .execute(conn)?;
    let hours =
        diesel::delete(heartbeat_hours::table.filter(heartbeat_hours::hour.lt(hours_before)))
            .execute(conn)?;
    let fleet_rows =
        diesel::delete(fleet_kpis::table.filter(fleet_kpis::computed_at.lt(raw_before)))
            .execute(conn)?;
    Ok(Pruned {
        raw,
        hours,
        fleet_rows,
    })
}

/// One rig's hourly roll-up row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = super::schema::heartbeat_hours, check_for_backend(diesel::pg::Pg))]
pub struct HourRow {
    /// The rig.
    pub rig_id: String,
    /// The hour's start (UTC).
    pub hour: DateTime<Utc>,
    /// Heartbeats in it.
    pub beats: i32,
    /// Deepest hole depth reported, ft.
    pub depth_ft: Option<f64>,
    /// On-bottom seconds summed.
    pub on_bottom_secs: f64,
    /// ROP weighted by on-bottom time, ft/h.
    pub rop_ft_h: Option<f64>,
    /// MSE efficiency weighted by on-bottom time.
    pub mse_efficiency: Option<f64>,
    /// Most incidents open at once.
    pub open_incidents_max: i32,
    /// Heartbeats with a critical incident open.
    pub critical_beats: i32,
    /// Most unacknowledged at once.
    pub unacknowledged_max: i32,
    /// Most alarms in an hour reported.
    pub alarms_max: i32,
    /// Heartbeats that said the stream was dead.
    pub stale_beats: i32,
    /// Most dead letters reported.
    pub dead_letters_max: i32,
    /// Mean clock offset, s.
    pub clock_offset_secs: Option<f64>,
}

/// One rig's hourly rows from `from` on, oldest first.
pub fn hours(
    conn: &mut PgConnection,
    rig_id: &str,
    from: DateTime<Utc>,
) -> Result<Vec<HourRow>, DbError> {
    use super::schema::heartbeat_hours as h;
    Ok(h::table
        .filter(h::rig_id.eq(rig_id).and(h::hour.ge(from)))
        .order(h::hour.asc())
        .select(HourRow::as_select())
        .load(conn)?)
}

/// Every rig's hourly rows from `from` on, by rig, oldest first.
pub fn hours_by_rig(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
) -> Result<std::collections::HashMap<String, Vec<HourRow>>, DbError> {
    use super::schema::heartbeat_hours as h;
    let rows: Vec<HourRow> = h::table
        .filter(h::hour.ge(from))
        .order((h::rig_id.asc(), h::hour.asc()))
        .select(HourRow::as_select())
        .load(conn)?;
    let mut out: std::collections::HashMap<String, Vec<HourRow>> = Default::default();
    for r in rows {
        out.entry(r.rig_id.clone()).or_default().push(r);
    }
    Ok(out)
}
