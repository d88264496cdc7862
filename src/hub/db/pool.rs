use super::DbError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection};
use std::time::Duration;

/// The hub's connection pool.
pub type DbPool = Pool<ConnectionManager<PgConnection>>;

/// How the pool behaves; from `[database]` in `hub.toml`.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a request waits for a connection before it answers 503.
    pub acquire_timeout: Duration,
    /// Longest a single statement may run before PostgreSQL cancels it.
    pub statement_timeout: Duration,
}

#[derive(Debug)]
struct SessionSetup {
    statement_timeout_ms: u128,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        // UTC on the session so timestamps read back the way they were written.
        let sql = format!(
            "SET TIME ZONE 'UTC'; SET statement_timeout = {};",
            self.statement_timeout_ms
        );
        conn.batch_execute(&sql)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Open a pool, failing at once with libpq's own words when PostgreSQL is not there.
///
/// One plain connection is tried first: r2d2 retries a failing first connection for the whole
/// `acquire_timeout`, logging an ERROR line on each try, so a mistyped `DATABASE_URL` gave two
/// seconds of repeated lines before the real message. Once the pool exists, connections are
/// checked on checkout (r2d2's default), so after PostgreSQL restarts the dead ones are dropped
/// and new ones made: the hub recovers by itself.
pub fn connect(url: &str, settings: &PoolSettings) -> Result<DbPool, DbError> {
    if let Err(e) = PgConnection::establish(url) {
        let said = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        return Err(DbError::Unavailable(format!(
            "cannot connect to {}: {said}",
            redact_url(url)
        )));
    }
    let manager = ConnectionManager::<PgConnection>::new(url);
    Pool::builder()
        .max_size(settings.max_size)
        .min_idle(Some(1))
        .connection_timeout(settings.acquire_timeout)
        .connection_customizer(Box::new(SessionSetup {
            statement_timeout_ms: settings.statement_timeout.as_millis(),
        }))
        .build(manager)
        .map_err(|e| DbError::Unavailable(format!("cannot connect to {}: {e}", redact_url(url))))
}

/// A database URL with any password replaced by `***`, fit for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://hub:s3cret@db:5432/sairen"),
            "postgres://hub:***@db:5432/sairen"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("host=/tmp dbname=x"), "host=/tmp dbname=x");
    }
}
