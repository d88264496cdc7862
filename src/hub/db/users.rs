//! Named dashboard users. Every change is audited in the same transaction, and disabling a user
//! or resetting their password ends their sessions at once (the session check joins this table).

use super::audit::{self, Who};
use super::schema::users;
use super::DbError;
use crate::hub::auth::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};

/// A user as listed: never their password hash.
#[derive(Debug, Clone, Queryable, Serialize, Deserialize)]
pub struct User {
    /// Their name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// When they were added.
    pub created_at: DateTime<Utc>,
    /// Their last good sign-in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// When they were disabled; `None` while they may sign in.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// What a sign-in checks.
#[derive(Debug, Clone, Queryable)]
pub struct Credentials {
    /// Their role.
    pub role: Role,
    /// The argon2id hash of their password.
    pub password_hash: String,
    /// Disabled users cannot sign in.
    pub disabled: bool,
}

const LISTED: (
    users::name,
    users::role,
    users::created_at,
    users::last_sign_in_at,
    users::disabled_at,
) = (
    users::name,
    users::role,
    users::created_at,
    users::last_sign_in_at,
    users::disabled_at,
);

/// Add a user; `None` when the name is taken (disabled users keep theirs).
pub fn add(
    conn: &mut PgConnection,
    name: &str,
    role: Role,
    password_hash: &str,
    who: Who<'_>,
) -> Result<Option<User>, DbError> {
    conn.transaction(|conn| {
        let added: Option<User> = diesel::insert_into(users::table)
            .values((
                users::name.eq(name),
                users::role.eq(role.as_str()),
                users::password_hash.eq(password_hash),
            ))
            .on_conflict_do_nothing()
            .returning(LISTED)
            .get_result(conn)
            .optional()?;
        if added.is_some() {
            let detail = serde_json::json!({"user": name, "role": role});
            audit::record(conn, who, "user_added", None, detail)?;
        }
        Ok(added)
    })
}

/// Every user, by name.
pub fn list(conn: &mut PgConnection) -> Result<Vec<User>, DbError> {
    Ok(users::table.select(LISTED).order(users::name).load(conn)?)
}

/// What a sign-in as `name` checks, if there is such a user.
pub fn credentials(conn: &mut PgConnection, name: &str) -> Result<Option<Credentials>, DbError> {
    Ok(users::table
        .find(name)
        .select((
            users::role,
            users::password_hash,
            users::disabled_at.is_not_null(),
        ))
        .first(conn)
        .optional()?)
}

/// Note a good sign-in.
pub fn signed_in(conn: &mut PgConnection, name: &str) -> Result<(), DbError> {
    diesel::update(users::table.find(name))
        .set(users::last_sign_in_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(())
}

/// Disable a user and end their sessions; `None` when there is no such user. Disabling a
/// disabled user changes nothing and is not audited again.
pub fn disable(conn: &mut PgConnection, name: &str, who: Who<'_>) -> Result<Option<User>, DbError> {
    conn.transaction(|conn| {
        let Some(before) = find(conn, name)? else {
            return Ok(None);
        };
        if before.disabled_at.is_some() {
            return Ok(Some(before));
        }
        let after: User = diesel::update(users::table.find(name))
            .set(users::disabled_at.eq(Utc::now()))
            .returning(LISTED)
            .get_result(conn)?;
        super::sessions::end_for_user(conn, name)?;
        let detail = serde_json::json!({"user": name, "role": after.role});
        audit::record(conn, who, "user_disabled", None, detail)?;
        Ok(Some(after))
    })
}

/// Set a user's password (and, when given, enable them again) and end their sessions; `None`
/// when there is no such user.
pub fn reset_password(
    conn: &mut PgConnection,
    name: &str,
    password_hash: &str,
    enable: bool,
    who: Who<'_>,
) -> Result<Option<User>, DbError> {
    conn.transaction(|conn| {
        let Some(before) = find(conn, name)? else {
            return Ok(None);
        };
        let now = Utc::now();
        let disabled_at = if enable { None } else { before.disabled_at };
        let after: User = diesel::update(users::table.find(name))
            .set((
                users::password_hash.eq(password_hash),
                users::password_changed_at.eq(now),
                users::disabled_at.eq(disabled_at),
            ))
            .returning(LISTED)
            .get_result(conn)?;
        super::sessions::end_for_user(conn, name)?;
        let detail = serde_json::json!({
            "user": name,
            "enabled_again": before.disabled_at.is_some() && after.disabled_at.is_none(),
        });
        audit::record(conn, who, "password_reset", None, detail)?;
        Ok(Some(after))
    })
}

fn find(conn: &mut PgConnection, name: &str) -> Result<Option<User>, DbError> {
    Ok(users::table
        .find(name)
        .select(LISTED)
        .first(conn)
        .optional()?)
}
