//! The webhook queue: one row per notification and webhook, claimed by a lease so that several
//! hub processes deliver each once, and kept with every attempt's outcome.

use super::schema::notifications;
use super::DbError;
use crate::hub::notify::{Kind, Notification};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel::PgConnection;

/// Queue `n` for each of `urls`, once per URL and `dedup_key`: the same cause found again adds
/// nothing. How many rows were added.
pub fn enqueue(
    conn: &mut PgConnection,
    urls: &[&str],
    dedup_key: &str,
    n: &Notification,
) -> Result<usize, DbError> {
    if urls.is_empty() {
        return Ok(0);
    }
    let payload = serde_json::to_value(n).map_err(|e| DbError::Encode(e.to_string()))?;
    let rows: Vec<_> = urls
        .iter()
        .map(|url| {
            (
                notifications::url.eq(*url),
                notifications::kind.eq(n.kind.as_str()),
                notifications::dedup_key.eq(dedup_key),
                notifications::payload.eq(payload.clone()),
            )
        })
        .collect();
    Ok(diesel::insert_into(notifications::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)?)
}

/// A notification claimed for delivery.
#[derive(Debug, Clone, QueryableByName)]
pub struct Due {
    /// Its row.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Where to.
    #[diesel(sql_type = Text)]
    pub url: String,
    /// Its kind's name.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The body.
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
    /// Attempts before this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claim up to `limit` notifications that are due, leasing them for `lease` (another process
/// takes them only after it runs out: a delivery cut off by a crash is retried, not lost).
pub fn claim(
    conn: &mut PgConnection,
    limit: i64,
    lease: chrono::Duration,
) -> Result<Vec<Due>, DbError> {
    Ok(diesel::sql_query(
        "UPDATE notifications SET next_attempt_at = now() + make_interval(secs => $2) \
         WHERE id IN (SELECT id FROM notifications \
                      WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now() \
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, url, kind, payload, attempts",
    )
    .bind::<BigInt, _>(limit)
    .bind::<diesel::sql_types::Double, _>(lease.num_milliseconds() as f64 / 1e3)
    .load(conn)?)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The receiver answered 2xx with this status.
    Delivered(u16),
    /// It did not: the status if it answered, why, and when to try again (none: give up).
    Failed {
        /// The receiver's status, if it answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The next attempt; none: the last was made.
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Record attempt number `attempts` (1-based) of notification `id`.
pub fn record(
    conn: &mut PgConnection,
    id: i64,
    attempts: i32,
    attempt: &Attempt,
) -> Result<(), DbError> {
    let now = Utc::now();
    let row = notifications::table.find(id);
    match attempt {
        Attempt::Delivered(status) => diesel::update(row)
            .set((
                notifications::attempts.eq(attempts),
                notifications::delivered_at.eq(Some(now)),
                notifications::last_status.eq(Some(i32::from(*status))),
                notifications::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Attempt::Failed {
            status,
            error,
            retry_at,
        } => diesel::update(row)
            .set((
                notifications::attempts.eq(attempts),
                notifications::last_status.eq(status.map(i32::from)),
                notifications::last_error.eq(Some(error.chars().take(500).collect::<String>())),
                notifications::next_attempt_at.eq(retry_at.unwrap_or(now)),
                notifications::gave_up_at.eq(retry_at.is_none().then_some(now)),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// A notification as the record shows it.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct Sent {
    /// Its row.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Where to.
    #[diesel(sql_type = Text)]
    pub url: String,
    /// Its kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its summary.
    #[diesel(sql_type = Text)]
    pub summary: String,
    /// When it was made.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Attempts so far.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// When it was delivered.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was given up.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub gave_up_at: Option<DateTime<Utc>>,
    /// The receiver's last status.
    #[diesel(sql_type = Nullable<Integer>)]
    pub last_status: Option<i32>,
    /// The last error.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
}

/// The newest `limit` notifications, newest first.
pub fn recent(conn: &mut PgConnection, limit: i64) -> Result<Vec<Sent>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, url, kind, coalesce(payload->>'summary', '') AS summary, created_at, attempts, \
                delivered_at, gave_up_at, last_status, last_error \
         FROM notifications ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Notifications of `kind` (tests and the record).
pub fn of_kind(conn: &mut PgConnection, kind: Kind) -> Result<Vec<Sent>, DbError> {
    Ok(recent(conn, 10_000)?
        .into_iter()
        .filter(|s| s.kind == kind.as_str())
        .collect())
}
