//! PostgreSQL: the pool, the schema, and the queries. Every query function takes
//! `&mut PgConnection`, so a pooled connection and an open transaction serve alike.

pub mod analysers;
pub mod analytics;
pub mod audit;
pub mod dashboard;
pub mod episodes;
pub mod events;
pub mod heartbeats;
pub mod insights;
pub mod library;
mod migrate;
pub mod models;
pub mod notifications;
mod pool;
pub mod rigs;
pub mod schema;
pub mod sessions;
mod sql_types;
pub mod status;
pub mod users;
pub mod wireguard;

pub use migrate::{revert_all_migrations, run_migrations};
pub use pool::{connect, redact_url, DbPool, PoolSettings};

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{PgConnection, RunQueryDsl};

/// Why a database call failed, sorted by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// PostgreSQL cannot be reached or dropped the connection: retry later (HTTP 503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed for another reason: a bug or a schema mismatch (HTTP 500).
    #[error("database query failed: {0}")]
    Query(DieselError),
    /// A value could not be turned into what the database stores.
    #[error("could not encode a value for storage: {0}")]
    Encode(String),
    /// Running the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
}

/// Messages libpq and PostgreSQL give when the server went away or is not accepting work.
const UNAVAILABLE_MARKERS: [&str; 8] = [
    "server closed the connection",
    "terminating connection",
    "connection to server",
    "could not connect",
    "database system is shutting down",
    "database system is starting up",
    "no connection to the server",
    "canceling statement due to statement timeout",
];

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().into())
            }
            DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                Self::Unavailable(info.message().into())
            }
            DieselError::DatabaseError(_, info)
                if UNAVAILABLE_MARKERS
                    .iter()
                    .any(|m| info.message().contains(m)) =>
            {
                Self::Unavailable(info.message().into())
            }
            _ => Self::Query(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Advisory-lock keys, one per kind of cluster-wide exclusive work ("SAIREN" in ASCII, then a number).
pub mod locks {
    /// Held while migrations run, so several hub processes starting at once migrate once.
    pub const MIGRATIONS: i64 = 0x5341_4952_454E_0001;
    /// Held by the one curator of the cluster.
    pub const CURATOR: i64 = 0x5341_4952_454E_0002;
    /// Held by the one fleet aggregation of the cluster.
    pub const ANALYTICS: i64 = 0x5341_4952_454E_0003;
}

/// What a pass does when another hub process holds its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenBusy {
    /// Wait for it: `sairen hub curate` and tests, which must see a pass run.
    Wait,
    /// Do nothing this time: a background thread, which will run again soon.
    Skip,
}

/// Take the cluster-wide advisory lock `key` on this connection; `false` when another holds it
/// and `when_busy` says not to wait. Session-level: PostgreSQL releases it if the connection dies.
pub fn take_lock(conn: &mut PgConnection, key: i64, when_busy: WhenBusy) -> Result<bool, DbError> {
    use diesel::sql_types::{BigInt, Bool};
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    if when_busy == WhenBusy::Wait {
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<BigInt, _>(key)
            .execute(conn)?;
        return Ok(true);
    }
    let row: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(key)
        .get_result(conn)?;
    Ok(row.locked)
}

/// Release the advisory lock `key` taken by [`take_lock`].
pub fn release_lock(conn: &mut PgConnection, key: i64) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<diesel::sql_types::BigInt, _>(key)
        .execute(conn)?;
    Ok(())
}
