//! Dashboard sessions, server-side: a sign-in writes one, every signed-in page reads it, sign-out
//! ends it. Tokens themselves are never stored, only their digests.

use super::DbError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};
use diesel::PgConnection;

/// Ended and expired sessions are deleted this long after, at the next sign-in.
const KEEP_ENDED_HOURS: i64 = 24;

/// Record a new session.
pub fn start(
    conn: &mut PgConnection,
    token_digest: &str,
    key_tag: &str,
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
    diesel::sql_query(
        "INSERT INTO dashboard_sessions (token_digest, key_tag, client, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind::<Text, _>(token_digest)
    .bind::<Text, _>(key_tag)
    .bind::<Text, _>(client)
    .bind::<Timestamptz, _>(expires_at)
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Live {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Whether the session is live: not ended, not expired, signed in with this admin key.
pub fn live(conn: &mut PgConnection, token_digest: &str, key_tag: &str) -> Result<bool, DbError> {
    let found: Live = diesel::sql_query(
        "SELECT count(*) AS n FROM dashboard_sessions \
         WHERE token_digest = $1 AND key_tag = $2 AND ended_at IS NULL AND expires_at > now()",
    )
    .bind::<Text, _>(token_digest)
    .bind::<Text, _>(key_tag)
    .get_result(conn)?;
    Ok(found.n > 0)
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
