//! Reading the library for rigs: delta sync by version, and statistics.

use super::schema::{episodes, sync_log};
use super::{status, DbError};
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::PgConnection;
use std::collections::BTreeMap;

/// The library's version and tombstone floor, read in one statement.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct LibraryHead {
    /// The library version.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub version: i64,
    /// Active episodes, when asked for (`head_with_total`).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub total: Option<i64>,
}

const HEAD_SQL: &str = "SELECT GREATEST(COALESCE((SELECT max(change_seq) FROM episodes), 0), \
     COALESCE((SELECT tombstone_floor FROM library_meta WHERE id = 1), 0)) AS version";

/// The library version, in one cheap statement (an index lookup).
pub fn head(conn: &mut PgConnection) -> Result<LibraryHead, DbError> {
    Ok(diesel::sql_query(format!("{HEAD_SQL}, NULL::bigint AS total")).get_result(conn)?)
}

/// The library version and its active episode count, from one statement's snapshot.
pub fn head_with_total(conn: &mut PgConnection) -> Result<LibraryHead, DbError> {
    Ok(diesel::sql_query(format!(
        "{HEAD_SQL}, (SELECT count(*) FROM episodes WHERE NOT archived) AS total"
    ))
    .get_result(conn)?)
}

/// What a sync request gets.
#[derive(Debug)]
pub enum SyncAnswer {
    /// The rig already holds this version.
    NotModified {
        /// The library version.
        version: i64,
        /// Active episodes in the fleet.
        total: i64,
    },
    /// The rig claims a version the hub never had.
    BeyondVersion {
        /// The hub's current version.
        version: i64,
    },
    /// Changes (or the whole library).
    Changes(LibraryView),
}

/// Episodes as their stored JSON text (not parsed again), and tombstones.
#[derive(Debug)]
pub struct LibraryView {
    /// The version this answer brings the rig to.
    pub version: i64,
    /// Whether `episodes` is the whole library.
    pub full: bool,
    /// `FleetEpisode` JSON documents, best score first.
    pub episodes: Vec<String>,
    /// Ids archived since `since`.
    pub pruned_ids: Vec<String>,
    /// Active episodes in the fleet.
    pub total: i64,
}

/// The whole active library at one version, each episode with its rig: built once per version
/// and shared by every rig's full sync (each leaves out its own episodes as it is served).
#[derive(Debug)]
pub struct FullLibrary {
    /// The version it is.
    pub version: i64,
    /// `(rig id, episode JSON)`, best first.
    pub episodes: Vec<(String, String)>,
}

/// Read the whole active library, in one consistent snapshot.
pub fn read_full(conn: &mut PgConnection) -> Result<FullLibrary, DbError> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|c| {
            let version = status::library_version(c)?;
            let episodes = episodes::table
                .filter(episodes::archived.eq(false))
                .order((episodes::score.desc(), episodes::id.asc()))
                .select((episodes::rig_id, sql::<Text>("payload::text")))
                .load_iter::<(String, String), PgRowByRowLoadingMode>(c)?
                .collect::<QueryResult<Vec<_>>>()?;
            Ok(FullLibrary { version, episodes })
        })
}

/// Read what rig `rig_id` needs after `since`, in one consistent snapshot. The curator commits
/// in sequence order (under its lock), so nothing with a lower sequence value can appear later.
pub fn read_for_rig(
    conn: &mut PgConnection,
    rig_id: &str,
    since: Option<i64>,
) -> Result<SyncAnswer, DbError> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|c| {
            let version = status::library_version(c)?;
            let total: i64 = episodes::table
                .filter(episodes::archived.eq(false))
                .select(count_star())
                .first(c)?;
            match since {
                Some(s) if s > version => return Ok(SyncAnswer::BeyondVersion { version }),
                Some(s) if s == version => return Ok(SyncAnswer::NotModified { version, total }),
                _ => {}
            }
            let floor = status::tombstone_floor(c)?;
            let full = since.is_none_or(|s| s == 0 || s < floor);
            let mut active = episodes::table
                .filter(episodes::archived.eq(false))
                .filter(episodes::rig_id.ne(rig_id))
                .order((episodes::score.desc(), episodes::id.asc()))
                .select(sql::<Text>("payload::text"))
                .into_boxed();
            let mut pruned_ids = Vec::new();
            if let (false, Some(since)) = (full, since) {
                active = active.filter(episodes::change_seq.gt(since));
                pruned_ids = episodes::table
                    .filter(episodes::archived.eq(true))
                    .filter(episodes::rig_id.ne(rig_id))
                    .filter(episodes::change_seq.gt(since))
                    .order(episodes::change_seq.asc())
                    .select(episodes::id)
                    .load(c)?;
            }
            // Row by row (libpq single-row mode): otherwise libpq would hold the whole answer
            // as one result while it is copied out, two copies of the library at once.
            let episodes = active
                .load_iter::<String, PgRowByRowLoadingMode>(c)?
                .collect::<QueryResult<Vec<String>>>()?;
            Ok(SyncAnswer::Changes(LibraryView {
                version,
                full,
                episodes,
                pruned_ids,
                total,
            }))
        })
}

/// One answered sync, for `sync_log` and the rig's row.
#[derive(Debug, Clone)]
pub struct SyncRecord {
    /// The rig.
    pub rig_id: String,
    /// The version it asked after.
    pub since: Option<i64>,
    /// The version it was given.
    pub served_version: i64,
    /// Episodes sent.
    pub delta_count: i32,
    /// Tombstones sent.
    pub pruned_count: i32,
    /// Whether the answer was the whole library.
    pub full: bool,
    /// Whether it was a 304.
    pub not_modified: bool,
    /// When it was answered (the row may be written a moment later).
    pub at: DateTime<Utc>,
    /// How far the rig's clock was ahead of the hub's (`X-Rig-Clock`), seconds.
    pub clock_offset_secs: Option<f64>,
}

/// Write a batch of answered syncs to `sync_log`, and each rig's latest to its `last_sync`,
/// `last_seen` and `library_version`, in one transaction.
///
/// This is bookkeeping, not library data: it commits without waiting for the WAL flush, so a
/// crash can lose the last moments of sync log but never library data.
pub fn record_syncs(conn: &mut PgConnection, records: &[SyncRecord]) -> Result<(), DbError> {
    if records.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = records
        .iter()
        .map(|r| {
            (
                sync_log::rig_id.eq(&r.rig_id),
                sync_log::since_version.eq(r.since),
                sync_log::served_version.eq(r.served_version),
                sync_log::delta_count.eq(r.delta_count),
                sync_log::pruned_count.eq(r.pruned_count),
                sync_log::full_sync.eq(r.full),
                sync_log::not_modified.eq(r.not_modified),
                sync_log::synced_at.eq(r.at),
            )
        })
        .collect();
    let mut latest: BTreeMap<&str, &SyncRecord> = BTreeMap::new();
    for r in records {
        let slot = latest.entry(r.rig_id.as_str()).or_insert(r);
        if r.at >= slot.at {
            *slot = r;
        }
    }
    conn.transaction(|c| {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(c)?;
        // 8 parameters a row; PostgreSQL takes at most 65,535 in one statement.
        for chunk in rows.chunks(4_000) {
            diesel::insert_into(sync_log::table)
                .values(chunk)
                .execute(c)?;
        }
        // In rig-id order, so two writers on one database always lock rows in the same order.
        for r in latest.values() {
            diesel::sql_query(
                "UPDATE rigs SET last_sync = $2, last_seen = GREATEST(last_seen, $2), \
                 library_version = $3, \
                 clock_offset_secs = COALESCE($4, clock_offset_secs), \
                 clock_checked_at = CASE WHEN $4 IS NULL THEN clock_checked_at ELSE $2 END \
                 WHERE rig_id = $1 AND (last_sync IS NULL OR last_sync <= $2)",
            )
            .bind::<Text, _>(&r.rig_id)
            .bind::<diesel::sql_types::Timestamptz, _>(r.at)
            .bind::<diesel::sql_types::BigInt, _>(r.served_version)
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Double>, _>(r.clock_offset_secs)
            .execute(c)?;
        }
        Ok(())
    })
}

/// The library's make-up.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LibraryStats {
    /// Library version.
    pub version: i64,
    /// Active episodes.
    pub active_episodes: i64,
    /// Active episodes per category.
    pub by_category: BTreeMap<String, i64>,
    /// Active episodes per outcome.
    pub by_outcome: BTreeMap<String, i64>,
    /// Active episodes per contributing rig.
    pub by_rig: BTreeMap<String, i64>,
    /// Counts of scores in ten buckets of 0.1 (`[0, 0.1)`, …, `[0.9, 1.0]`).
    pub score_histogram: [i64; 10],
}

/// Count the active library by category, outcome, rig and score.
pub fn stats(conn: &mut PgConnection) -> Result<LibraryStats, DbError> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|c| {
            let active = || episodes::table.filter(episodes::archived.eq(false));
            let group =
                |c: &mut PgConnection, col: &str| -> Result<BTreeMap<String, i64>, DbError> {
                    let rows: Vec<(String, i64)> = active()
                        .group_by(sql::<Text>(col))
                        .select((sql::<Text>(col), count_star()))
                        .load(c)?;
                    Ok(rows.into_iter().collect())
                };
            let by_category = group(c, "category")?;
            let by_outcome = group(c, "outcome")?;
            let by_rig = group(c, "rig_id")?;
            let scores: Vec<f64> = active().select(episodes::score).load(c)?;
            let mut score_histogram = [0i64; 10];
            for s in &scores {
                let bucket = ((s.clamp(0.0, 1.0) * 10.0).floor() as usize).min(9);
                score_histogram[bucket] += 1;
            }
            Ok(LibraryStats {
                version: status::library_version(c)?,
                active_episodes: scores.len() as i64,
                by_category,
                by_outcome,
                by_rig,
                score_histogram,
            })
        })
}
