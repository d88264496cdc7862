//! Dashboard sessions, server-side: a sign-in writes one, every signed-in page reads it, sign-out
//! ends it. Tokens themselves are never stored, only their digests.

use super::DbError;
use crate::hub::auth::{Caller, Role};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel::PgConnection;

/// Ended and expired sessions are deleted this long after, at the next sign-in.
const KEEP_ENDED_HOURS: i64 = 24;

/// Whose a session is.
#[derive(Debug, Clone)]
pub enum Holder {
    /// Signed in with the admin key: the key's tag ([`crate::hub::auth::AdminKey::session_tag`]),
    /// so that the sessions of a replaced key are void.
    AdminKey(String),
    /// A named user.
    User(String),
}

/// Record a new session.
pub fn start(
    conn: &mut PgConnection,
    token_digest: &str,
    holder: &Holder,
    client: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::sql_query(
        "DELETE FROM dashboard_sessions \
         WHERE expires_at < now() - make_interval(hours => $1) \
            OR ended_at < now() - make_interval(hours => $1)",
    )
    .bind::<diesel::sql_types::Integer, _>(KEEP_ENDED_HOURS as i32)
    .execute(conn)?;
    let (key_tag, user_name) = match holder {
        Holder::AdminKey(tag) => (Some(tag.as_str()), None),
        Holder::User(name) => (None, Some(name.as_str())),
    };
    diesel::sql_query(
        "INSERT INTO dashboard_sessions (token_digest, key_tag, user_name, client, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<Text, _>(token_digest)
    .bind::<Nullable<Text>, _>(key_tag)
    .bind::<Nullable<Text>, _>(user_name)
    .bind::<Text, _>(client)
    .bind::<Timestamptz, _>(expires_at)
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Live {
    #[diesel(sql_type = Nullable<Text>)]
    user_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    role: Option<String>,
}

/// Who holds the session, if it is live: not ended, not expired, and either signed in with
/// the current admin key (`key_tag`) or held by a user who is still enabled and has not had
/// their password reset since.
pub fn live(
    conn: &mut PgConnection,
    token_digest: &str,
    key_tag: &str,
) -> Result<Option<Caller>, DbError> {
    let found: Option<Live> = diesel::sql_query(
        "SELECT s.user_name, u.role FROM dashboard_sessions s \
         LEFT JOIN users u ON u.name = s.user_name \
         WHERE s.token_digest = $1 AND s.ended_at IS NULL AND s.expires_at > now() \
           AND (s.key_tag = $2 \
                OR (u.name IS NOT NULL AND u.disabled_at IS NULL \
                    AND s.created_at >= u.password_changed_at))",
    )
    .bind::<Text, _>(token_digest)
    .bind::<Text, _>(key_tag)
    .get_result(conn)
    .optional()?;
    Ok(found.and_then(|live| match (live.user_name, live.role) {
        (None, _) => Some(Caller::admin_key()),
        (Some(name), Some(role)) => Role::from_name(&role).map(|role| Caller {
            user: Some(name),
            role,
        }),
        (Some(_), None) => None,
    }))
}

/// End every live session of a user (disabled, or their password reset).
pub fn end_for_user(conn: &mut PgConnection, name: &str) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE dashboard_sessions SET ended_at = now() \
         WHERE user_name = $1 AND ended_at IS NULL",
    )
    .bind::<Text, _>(name)
    .execute(conn)?;
    Ok(())
}

/// End the session (sign-out); ending one that is gone or ended is no error.
pub fn end(conn: &mut PgConnection, token_digest: &str) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE dashboard_sessions SET ended_at = now() \
         WHERE token_digest = $1 AND ended_at IS NULL",
    )
    .bind::<Text, _>(token_digest)
    .execute(conn)?;
    Ok(())
}
