//! What the hub reports about itself.

use super::schema::{curation_runs, episodes, events, library_meta};
use super::DbError;
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use diesel::PgConnection;

/// The hub's state as health reports it.
#[derive(Debug, Clone)]
pub struct HubStatus {
    /// Highest change sequence value of any episode: the library version.
    pub library_version: i64,
    /// Active (not archived) episodes.
    pub active_episodes: i64,
    /// When the last curation pass finished.
    pub last_curation: Option<DateTime<Utc>>,
    /// Events the curator has still to look at.
    pub events_awaiting_curation: i64,
}

/// The library version: the highest change sequence value taken by any episode (purged
/// tombstones included, through the tombstone floor), 0 when empty.
pub fn library_version(conn: &mut PgConnection) -> Result<i64, DbError> {
    let newest = episodes::table
        .select(max(episodes::change_seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0);
    Ok(newest.max(tombstone_floor(conn)?))
}

/// The newest change whose tombstone has been purged: a rig behind it must take the whole library.
pub fn tombstone_floor(conn: &mut PgConnection) -> Result<i64, DbError> {
    Ok(library_meta::table
        .select(library_meta::tombstone_floor)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// When the oldest event still waiting for the curator arrived (none: nothing waits).
pub fn oldest_awaiting_curation(conn: &mut PgConnection) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(events::table
        .filter(events::needs_curation.eq(true))
        .select(diesel::dsl::min(events::received_at))
        .first(conn)?)
}

/// Read the hub's status in one go.
pub fn hub_status(conn: &mut PgConnection) -> Result<HubStatus, DbError> {
    let library_version = library_version(conn)?;
    let active_episodes = episodes::table
        .filter(episodes::archived.eq(false))
        .select(count_star())
        .first(conn)?;
    let last_curation = curation_runs::table
        .select(max(curation_runs::finished_at))
        .first(conn)?;
    let events_awaiting_curation = events::table
        .filter(events::needs_curation.eq(true))
        .select(count_star())
        .first(conn)?;
    Ok(HubStatus {
        library_version,
        active_episodes,
        last_curation,
        events_awaiting_curation,
    })
}
