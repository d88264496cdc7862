//! The precedent library as the curator writes it. Every write takes the next value of
//! `library_change_seq`; only the curator, holding the curator lock, calls these writers.

use super::schema::{curation_runs, episodes, events};
use super::{locks, DbError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Jsonb, Text, Timestamptz};
use diesel::{sql_query, PgConnection};
use std::collections::HashMap;

/// An episode row as the curator needs it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = episodes, check_for_backend(diesel::pg::Pg))]
pub struct EpisodeRow {
    /// Episode id.
    pub id: String,
    /// The `FleetEpisode` as served.
    pub payload: serde_json::Value,
    /// Its last change's sequence value.
    pub change_seq: i64,
    /// Whether it has been archived.
    pub archived: bool,
}

pub use super::WhenBusy;

/// Take the curator lock; `false` when another curator (any hub process) holds it and
/// `when_busy` says not to wait.
pub fn lock_curator(conn: &mut PgConnection, when_busy: WhenBusy) -> Result<bool, DbError> {
    super::take_lock(conn, locks::CURATOR, when_busy)
}

/// Release the curator lock.
pub fn unlock_curator(conn: &mut PgConnection) -> Result<(), DbError> {
    super::release_lock(conn, locks::CURATOR)
}

/// The oldest events waiting for curation: (id, payload).
pub fn events_to_curate(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<(String, serde_json::Value)>, DbError> {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Jsonb)]
        payload: serde_json::Value,
    }
    // Round robin by rig: every rig's oldest waiting event, then every rig's second, … — so
    // one rig's flood never holds another rig's event back by more than a batch's first rows.
    // Ranked on ids alone; payloads are read for the batch only.
    let rows: Vec<Waiting> = sql_query(
        "SELECT e.id, e.payload FROM ( \
             SELECT id, received_at, \
                    row_number() OVER (PARTITION BY rig_id ORDER BY received_at, id) AS turn \
             FROM events WHERE needs_curation \
         ) w JOIN events e ON e.id = w.id \
         ORDER BY w.turn, w.received_at, w.id LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|w| (w.id, w.payload)).collect())
}

/// Mark an event curated (with the reason when it could not be).
pub fn mark_curated(conn: &mut PgConnection, id: &str, error: Option<&str>) -> Result<(), DbError> {
    diesel::update(events::table.find(id))
        .set((
            events::needs_curation.eq(false),
            events::curation_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// The episode (active or archived) an event was merged into.
pub fn episode_with_event(
    conn: &mut PgConnection,
    event_id: &str,
) -> Result<Option<EpisodeRow>, DbError> {
    let episode_id: Option<Option<String>> = events::table
        .find(event_id)
        .select(events::episode_id)
        .first(conn)
        .optional()?;
    let Some(episode_id) = episode_id.flatten() else {
        return Ok(None);
    };
    Ok(episodes::table
        .find(episode_id)
        .select(EpisodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Payloads of every event in an episode (to rebuild it when a member's outcome changed).
pub fn member_payloads(
    conn: &mut PgConnection,
    episode_id: &str,
) -> Result<Vec<serde_json::Value>, DbError> {
    Ok(events::table
        .filter(events::episode_id.eq(episode_id))
        .select(events::payload)
        .load(conn)?)
}

/// Note which episode an event is in.
pub fn set_member(
    conn: &mut PgConnection,
    event_id: &str,
    episode_id: &str,
) -> Result<(), DbError> {
    diesel::update(events::table.find(event_id))
        .set(events::episode_id.eq(episode_id))
        .execute(conn)?;
    Ok(())
}

/// Active episodes of a rig and category whose time lies in `[from, to]`: dedup candidates.
pub fn dedup_candidates(
    conn: &mut PgConnection,
    rig_id: &str,
    category: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<EpisodeRow>, DbError> {
    Ok(episodes::table
        .filter(episodes::rig_id.eq(rig_id))
        .filter(episodes::category.eq(category))
        .filter(episodes::archived.eq(false))
        .filter(episodes::occurred_at.between(from, to))
        .order(episodes::occurred_at.asc())
        .select(EpisodeRow::as_select())
        .load(conn)?)
}

/// Active episodes per category.
pub fn active_by_category(conn: &mut PgConnection) -> Result<HashMap<String, i64>, DbError> {
    let rows: Vec<(String, i64)> = episodes::table
        .filter(episodes::archived.eq(false))
        .group_by(episodes::category)
        .select((episodes::category, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// What an episode write needs besides its payload.
pub struct EpisodeWrite<'a> {
    /// The `FleetEpisode`.
    pub episode: &'a crate::fleet::FleetEpisode,
    /// Its JSON.
    pub payload: serde_json::Value,
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    change_seq: i64,
}

/// Insert or replace an episode with the next change sequence value; returns that value.
pub fn upsert(conn: &mut PgConnection, w: &EpisodeWrite<'_>) -> Result<i64, DbError> {
    let e = w.episode;
    let row: Seq = sql_query(
        "INSERT INTO episodes (id, rig_id, field, category, campaign, risk_level, outcome, depth_from_ft, \
         depth_to_ft, score, occurred_at, payload, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, nextval('library_change_seq')) \
         ON CONFLICT (id) DO UPDATE SET field = EXCLUDED.field, category = EXCLUDED.category, \
         campaign = EXCLUDED.campaign, risk_level = EXCLUDED.risk_level, outcome = EXCLUDED.outcome, \
         depth_from_ft = EXCLUDED.depth_from_ft, depth_to_ft = EXCLUDED.depth_to_ft, score = EXCLUDED.score, \
         occurred_at = EXCLUDED.occurred_at, \
         payload = EXCLUDED.payload, change_seq = EXCLUDED.change_seq \
         RETURNING change_seq",
    )
    .bind::<Text, _>(&e.id)
    .bind::<Text, _>(e.rig_id.as_str())
    .bind::<Text, _>(&e.field)
    .bind::<Text, _>(e.category.as_str())
    .bind::<Text, _>(e.campaign.as_str())
    .bind::<Text, _>(e.risk_level.as_str())
    .bind::<Text, _>(e.outcome.as_str())
    .bind::<Double, _>(e.depth_from_ft)
    .bind::<Double, _>(e.depth_to_ft)
    .bind::<Double, _>(e.score)
    .bind::<Timestamptz, _>(e.timestamp)
    .bind::<Jsonb, _>(&w.payload)
    .get_result(conn)?;
    Ok(row.change_seq)
}

/// Archive an episode that another absorbed (its events now live in the absorber).
pub fn archive(conn: &mut PgConnection, id: &str, reason: &str) -> Result<usize, DbError> {
    Ok(sql_query(
        "UPDATE episodes SET archived = true, archived_at = now(), archive_reason = $2, \
         change_seq = nextval('library_change_seq') WHERE id = $1 AND NOT archived",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(reason)
    .execute(conn)?)
}

/// Archive active episodes matching a SQL condition on `episodes` (each row its own sequence
/// value, in id order so concurrent readers see a stable order). Returns how many.
fn archive_where(
    conn: &mut PgConnection,
    condition: &str,
    reason: &str,
    interval_days: i64,
) -> Result<usize, DbError> {
    let sql = format!(
        "UPDATE episodes SET archived = true, archived_at = now(), archive_reason = $1, \
         change_seq = nextval('library_change_seq') \
         WHERE id IN (SELECT id FROM episodes WHERE NOT archived AND {condition} ORDER BY id)"
    );
    Ok(sql_query(sql)
        .bind::<Text, _>(reason)
        .bind::<BigInt, _>(interval_days)
        .execute(conn)?)
}

/// Archive episodes older than `days`.
pub fn archive_older_than(conn: &mut PgConnection, days: i64) -> Result<usize, DbError> {
    archive_where(
        conn,
        "occurred_at < now() - make_interval(days => $2::int)",
        "older than the retention period",
        days,
    )
}

/// Archive false positives older than `days`.
pub fn archive_false_positives_older_than(
    conn: &mut PgConnection,
    days: i64,
) -> Result<usize, DbError> {
    archive_where(
        conn,
        "outcome = 'false_positive' AND occurred_at < now() - make_interval(days => $2::int)",
        "false positive past its retention period",
        days,
    )
}

/// Drop pending episodes older than `days` to `score` (once: already-stale ones are left alone).
pub fn demote_stale_pending(
    conn: &mut PgConnection,
    days: i64,
    score: f64,
) -> Result<usize, DbError> {
    Ok(sql_query(
        "UPDATE episodes SET score = $2, payload = jsonb_set(payload, '{score}', to_jsonb($2::float8)), \
         change_seq = nextval('library_change_seq') \
         WHERE id IN (SELECT id FROM episodes WHERE NOT archived AND outcome = 'pending' \
         AND occurred_at < now() - make_interval(days => $1::int) AND score <> $2 ORDER BY id)",
    )
    .bind::<BigInt, _>(days)
    .bind::<Double, _>(score)
    .execute(conn)?)
}

/// Archive the lowest-scored active episodes beyond `max_active`.
pub fn archive_beyond(conn: &mut PgConnection, max_active: i64) -> Result<usize, DbError> {
    Ok(sql_query(
        "UPDATE episodes SET archived = true, archived_at = now(), archive_reason = 'library over capacity', \
         change_seq = nextval('library_change_seq') \
         WHERE id IN (SELECT id FROM episodes WHERE NOT archived ORDER BY score DESC, occurred_at DESC, id \
         OFFSET $1)",
    )
    .bind::<BigInt, _>(max_active)
    .execute(conn)?)
}

/// Delete tombstones archived more than `days` ago, raising the tombstone floor to the
/// newest purged change. Returns how many were purged.
pub fn purge_tombstones(conn: &mut PgConnection, days: i64) -> Result<usize, DbError> {
    #[derive(QueryableByName)]
    struct Purged {
        #[diesel(sql_type = BigInt)]
        purged: i64,
    }
    let row: Purged = sql_query(
        "WITH gone AS (DELETE FROM episodes WHERE archived AND archived_at < now() - make_interval(days => $1::int) \
         RETURNING change_seq), \
         floor AS (UPDATE library_meta SET tombstone_floor = GREATEST(tombstone_floor, (SELECT max(change_seq) FROM gone)) \
         WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)) \
         SELECT count(*) AS purged FROM gone",
    )
    .bind::<BigInt, _>(days)
    .get_result(conn)?;
    Ok(usize::try_from(row.purged).unwrap_or(0))
}

/// Delete `sync_log` rows older than `days`; how many went.
pub fn purge_sync_log(conn: &mut PgConnection, days: i64) -> Result<usize, DbError> {
    Ok(
        sql_query("DELETE FROM sync_log WHERE synced_at < now() - make_interval(days => $1::int)")
            .bind::<BigInt, _>(days)
            .execute(conn)?,
    )
}

/// Record a finished curation pass.
#[allow(clippy::too_many_arguments)]
pub fn record_run(
    conn: &mut PgConnection,
    started_at: DateTime<Utc>,
    events_curated: i32,
    episodes_merged: i32,
    archived: i32,
    rescored: i32,
    library_version: i64,
) -> Result<(), DbError> {
    diesel::insert_into(curation_runs::table)
        .values((
            curation_runs::started_at.eq(started_at),
            curation_runs::finished_at.eq(Utc::now()),
            curation_runs::events_curated.eq(events_curated),
            curation_runs::episodes_merged.eq(episodes_merged),
            curation_runs::archived.eq(archived),
            curation_runs::rescored.eq(rescored),
            curation_runs::library_version.eq(library_version),
        ))
        .execute(conn)?;
    Ok(())
}
