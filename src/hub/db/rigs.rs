//! The rig registry.

use super::audit::{self, Who};
use super::models::{KeyRow, NewRig, RigRow};
use super::schema::rigs;
use super::DbError;
use crate::fleet::RigStatus;
use chrono::Utc;
use diesel::prelude::*;
use diesel::PgConnection;

/// Register a rig and write its audit row, in one transaction; `None` (and no audit row) when
/// its id (or, astronomically unlikely, its key id) is taken.
pub fn register(
    conn: &mut PgConnection,
    new: &NewRig<'_>,
    who: Who<'_>,
) -> Result<Option<RigRow>, DbError> {
    conn.transaction(|conn| {
        let row = diesel::insert_into(rigs::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning(RigRow::as_returning())
            .get_result(conn)
            .optional()?;
        if row.is_some() {
            let detail = serde_json::json!({"well_id": new.well_id, "field": new.field, "key_id": new.key_id});
            audit::record(conn, who, "register", Some(new.rig_id), detail)?;
        }
        Ok(row)
    })
}

/// Every registered rig, revoked ones too, by id.
pub fn list(conn: &mut PgConnection) -> Result<Vec<RigRow>, DbError> {
    Ok(rigs::table
        .order(rigs::rig_id.asc())
        .select(RigRow::as_select())
        .load(conn)?)
}

/// One rig by id.
pub fn find(conn: &mut PgConnection, rig_id: &str) -> Result<Option<RigRow>, DbError> {
    Ok(rigs::table
        .find(rig_id)
        .select(RigRow::as_select())
        .first(conn)
        .optional()?)
}

/// The rig a key id belongs to: one indexed lookup, whatever the number of rigs.
pub fn key_for(conn: &mut PgConnection, key_id: &str) -> Result<Option<KeyRow>, DbError> {
    Ok(rigs::table
        .filter(rigs::key_id.eq(key_id))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revoke a rig and write its audit row, in one transaction. Returns the row and whether this
/// call revoked it (false: it already was, and no audit row is written).
pub fn revoke(
    conn: &mut PgConnection,
    rig_id: &str,
    who: Who<'_>,
) -> Result<Option<(RigRow, bool)>, DbError> {
    conn.transaction(|conn| {
        let changed = diesel::update(
            rigs::table
                .find(rig_id)
                .filter(rigs::status.eq(RigStatus::Active.as_str())),
        )
        .set((
            rigs::status.eq(RigStatus::Revoked.as_str()),
            rigs::revoked_at.eq(Some(Utc::now())),
        ))
        .execute(conn)?;
        if changed == 1 {
            audit::record(conn, who, "revoke", Some(rig_id), serde_json::json!({}))?;
        }
        Ok(find(conn, rig_id)?.map(|row| (row, changed == 1)))
    })
}

/// The field a rig was registered in (none: no such rig).
pub fn field(conn: &mut PgConnection, rig_id: &str) -> Result<Option<String>, DbError> {
    Ok(rigs::table
        .find(rig_id)
        .select(rigs::field)
        .first(conn)
        .optional()?)
}

/// Rigs registered and not revoked: the fleet's size.
pub fn live_count(conn: &mut PgConnection) -> Result<i64, DbError> {
    Ok(rigs::table
        .filter(rigs::status.ne("revoked"))
        .count()
        .get_result(conn)?)
}
