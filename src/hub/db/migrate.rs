use super::{locks, DbError};
use diesel::pg::PgConnection;
use diesel::sql_types::BigInt;
use diesel::{sql_query, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

fn with_migration_lock<T>(
    conn: &mut PgConnection,
    work: impl FnOnce(&mut PgConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(locks::MIGRATIONS)
        .execute(conn)?;
    let result = work(conn);
    sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(locks::MIGRATIONS)
        .execute(conn)?;
    result
}

/// Apply every pending migration under the migration lock; returns the versions applied
/// (empty when the schema was already current, so running it twice is harmless).
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    with_migration_lock(conn, |conn| {
        conn.run_pending_migrations(MIGRATIONS)
            .map(|applied| applied.iter().map(ToString::to_string).collect())
            .map_err(|e| DbError::Migration(e.to_string()))
    })
}

/// Revert every applied migration (tests check that each `down.sql` really undoes its `up.sql`).
pub fn revert_all_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    with_migration_lock(conn, |conn| {
        conn.revert_all_migrations(MIGRATIONS)
            .map(|reverted| reverted.iter().map(ToString::to_string).collect())
            .map_err(|e| DbError::Migration(e.to_string()))
    })
}
