//! `sairen hub serve` and `sairen hub migrate`.

use super::api;
use super::auth::{AdminKey, KeyVerifier, Secret};
use super::config::{ConfigError, HubConfig};
use super::curator::thread::{self as curator_thread, CuratorWake};
use super::db::{self, DbError, DbPool};
use super::state::AppState;
use super::sync_log::SyncLog;
use super::watch::HubWatch;
use actix_web::{middleware, web, App, HttpServer};
use std::sync::Arc;
use std::time::Duration;

/// Why the hub could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A required setting is missing or bad (the message says which and how to set it).
    #[error("{0}")]
    Setting(String),
    /// PostgreSQL could not be reached or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The HTTP server failed (e.g. the address is in use).
    #[error("HTTP server: {0}")]
    Http(#[from] std::io::Error),
}

/// The shared state of a hub on this pool and config; starts the sync-log writer.
pub fn app_state(
    config: &HubConfig,
    pool: DbPool,
    admin_key: AdminKey,
    watch: Arc<HubWatch>,
) -> std::io::Result<AppState> {
    Ok(AppState {
        keys: Arc::new(KeyVerifier::new(
            Duration::from_secs(config.auth.key_cache_secs),
            watch.clone(),
        )),
        admin_key,
        intake: config.intake_rules(),
        curator: CuratorWake::default(),
        library_totals: Default::default(),
        watch,
        sync_log: SyncLog::spawn(pool.clone())?,
        pool,
    })
}

/// Connect and bring the schema up to date (under the migration lock), logging what was applied.
pub fn connect_and_migrate(database_url: &str, config: &HubConfig) -> Result<DbPool, ServeError> {
    let pool = db::connect(database_url, &config.pool_settings())?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let applied = db::run_migrations(&mut conn)?;
    if applied.is_empty() {
        log::info!("database schema is current");
    } else {
        log::info!("applied migrations: {}", applied.join(", "));
    }
    Ok(pool)
}

/// Give large allocations back to the system as soon as they are freed.
///
/// glibc raises its mmap threshold each time a large block is freed, after which 19 MiB argon2
/// buffers (one per key hashed at registration) and big request bodies come from per-thread heap
/// arenas that are never returned: a load run of 16 rigs left the hub at 278 MB resident after
/// 25 MB at start. A fixed 1 MiB threshold keeps every allocation that large on its own mapping,
/// unmapped on free; smaller ones (almost all) are unaffected.
fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before the server's
    // threads start allocating.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Run the hub until SIGTERM or Ctrl-C; in-flight requests get `shutdown_grace_secs` to finish.
pub async fn serve(
    config: HubConfig,
    database_url: &str,
    admin_key: Secret,
) -> Result<(), ServeError> {
    return_large_allocations();
    let admin_key = AdminKey::new(&admin_key).map_err(ServeError::Setting)?;
    let pool = web::block({
        let (url, config) = (database_url.to_owned(), config.clone());
        move || connect_and_migrate(&url, &config)
    })
    .await
    .map_err(|e| ServeError::Setting(format!("startup task failed: {e}")))??;
    let watch = HubWatch::spawn(database_url)?;
    let state = web::Data::new(app_state(&config, pool.clone(), admin_key, watch)?);
    let shared = state.clone();
    curator_thread::spawn(
        pool,
        config.curator_settings(),
        Duration::from_secs(config.curator.curation_interval_secs),
        state.curator.clone(),
    )?;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // One line per request; never the Authorization header.
            .wrap(middleware::Logger::new(
                r#"%a "%r" %s %b %Dms rig=%{X-Rig-ID}i"#,
            ))
            .configure(api::routes)
    })
    .shutdown_timeout(config.server.shutdown_grace_secs)
    .bind(&config.server.bind)
    .map_err(|e| ServeError::Setting(format!("cannot listen on {}: {e}", config.server.bind)))?;
    if config.server.workers > 0 {
        server = server.workers(config.server.workers);
    }
    for addr in server.addrs() {
        log::info!("sairen hub listening on http://{addr}");
    }
    server.run().await?;
    shared.sync_log.close(Duration::from_secs(5));
    log::info!("sairen hub stopped");
    Ok(())
}
