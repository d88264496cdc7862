//! `sairen hub serve`, `migrate` and `curate`. The hub starts as a value: [`HubSettings::resolve`]
//! checks the options, the admin key and the database choice without touching anything;
//! [`Hub::build`] starts the database (its own, where no URL is given), migrates, and binds;
//! [`Hub::run_until_stopped`] serves until SIGTERM or Ctrl-C.

use super::api;
use super::auth::AdminKey;
use super::config::{ConfigError, HubConfig};
use super::curator::thread as curator_thread;
use super::db::{self, DbError, DbPool};
use super::embedded::EmbeddedDb;
use super::notify::NotifySettings;
use super::state::AppState;
use super::watch::HubWatch;
use crate::web::Secret;
use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpMessage, HttpServer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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

/// What `sairen hub serve`'s command line asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Config file (default `config/hub.toml` if present).
    pub config: Option<PathBuf>,
    /// Overrides `[server] bind`.
    pub bind: Option<String>,
    /// `DATABASE_URL`; without one the hub runs its own PostgreSQL under `data_dir`.
    pub database_url: Option<String>,
    /// Where the hub's own PostgreSQL lives.
    pub data_dir: PathBuf,
}

/// Which PostgreSQL the hub uses.
#[derive(Debug, Clone)]
pub enum Database {
    /// A server the operator runs (`DATABASE_URL`).
    Url(Secret),
    /// The hub's own cluster in `postgres/` under this data directory, started and stopped with
    /// the hub.
    Own(PathBuf),
}

/// Everything the hub runs with, checked.
#[derive(Debug)]
pub struct HubSettings {
    /// The config file with the command line's overrides applied.
    pub config: HubConfig,
    /// Which PostgreSQL.
    pub database: Database,
    /// The administrator's key, long enough.
    pub admin_key: AdminKey,
    /// The scraper's token for `/metrics` off loopback (`SAIREN_METRICS_TOKEN`).
    pub metrics_token: Option<AdminKey>,
    /// The webhooks, their secrets read from the environment.
    pub notify: NotifySettings,
}

impl HubSettings {
    /// Load the config file `options` names (or the default) and resolve.
    pub fn load(options: ServeOptions, admin_key: Option<Secret>) -> Result<Self, ServeError> {
        let config = HubConfig::load(options.config.as_deref())?;
        Self::resolve(options, config, admin_key)
    }

    /// Lay the options over `config` and check the admin key and the database URL's form, before
    /// anything (not even the hub's own PostgreSQL) is started.
    pub fn resolve(
        options: ServeOptions,
        mut config: HubConfig,
        admin_key: Option<Secret>,
    ) -> Result<Self, ServeError> {
        if let Some(bind) = options.bind {
            config.server.bind = bind;
        }
        let admin_key = admin_key.ok_or_else(|| {
            ServeError::Setting(
                "SAIREN_ADMIN_KEY is not set: export the fleet administrator's key (at least 16 characters) before starting the hub".into(),
            )
        })?;
        let admin_key = AdminKey::new(&admin_key).map_err(ServeError::Setting)?;
        let database = match options.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Url(Secret::new(url))
            }
            Some(_) => {
                return Err(ServeError::Setting(
                    "DATABASE_URL must be a postgres:// or postgresql:// URL".into(),
                ))
            }
            None => Database::Own(options.data_dir),
        };
        Ok(Self {
            config,
            database,
            admin_key,
            metrics_token: None,
            notify: NotifySettings::default(),
        })
    }

    /// Read each `[[notify.webhook]]`'s secret through `env` (the process environment): a
    /// missing or short one stops the hub before it starts, naming its variable.
    pub fn with_webhooks(
        mut self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ServeError> {
        self.notify = self.config.notify_settings(env)?;
        Ok(self)
    }

    /// Let `/metrics` answer scrapers off loopback that present `token` (at least 16 characters).
    pub fn with_metrics_token(mut self, token: Option<Secret>) -> Result<Self, ServeError> {
        self.metrics_token = token
            .map(|t| AdminKey::from_variable(&t, "SAIREN_METRICS_TOKEN"))
            .transpose()
            .map_err(ServeError::Setting)?;
        Ok(self)
    }

    /// The one line `--check-config` prints.
    pub fn describe(&self) -> String {
        let database = match &self.database {
            Database::Url(_) => "the PostgreSQL of DATABASE_URL".to_owned(),
            Database::Own(dir) => format!(
                "its own PostgreSQL under {}",
                dir.join("postgres").display()
            ),
        };
        format!(
            "configuration valid: would listen on {} with {} connections to {database}; admin key set; {} webhook(s); /metrics {}",
            self.config.server.bind,
            self.config.database.pool_size,
            self.notify.webhooks.len(),
            if self.metrics_token.is_some() {
                "with the metrics token"
            } else {
                "from loopback only (no SAIREN_METRICS_TOKEN)"
            }
        )
    }
}

/// A hub whose database is migrated and whose address is bound; it serves once run.
pub struct Hub {
    server: Server,
    addr: SocketAddr,
    state: web::Data<AppState>,
    /// The hub's own PostgreSQL, stopped when the hub is dropped (after the server).
    _own_db: Option<EmbeddedDb>,
}

impl Hub {
    /// Start the hub's own PostgreSQL where no URL is given, connect and migrate, start the
    /// change watch, the sync-log writer and the curator, and bind the HTTP server.
    pub async fn build(settings: HubSettings) -> Result<Self, ServeError> {
        return_large_allocations();
        let HubSettings {
            config,
            database,
            admin_key,
            metrics_token,
            notify,
        } = settings;
        let (url, own_db) = web::block(move || open_database(database))
            .await
            .map_err(|e| ServeError::Setting(format!("startup task failed: {e}")))??;
        let pool = web::block({
            let (url, config) = (url.clone(), config.clone());
            move || connect_and_migrate(url.expose(), &config)
        })
        .await
        .map_err(|e| ServeError::Setting(format!("startup task failed: {e}")))??;
        let watch = HubWatch::spawn(url.expose())?;
        let mut state = AppState::new(&config, pool.clone(), admin_key, watch)?;
        state.metrics_token = metrics_token;
        state.notify = Arc::new(notify);
        let state = web::Data::new(state);
        curator_thread::spawn(
            pool,
            config.curator_settings(),
            Duration::from_secs(config.curator.curation_interval_secs),
            state.curator.clone(),
            state.metrics.curator_passes(),
            state.storm.clone(),
        )?;
        crate::hub::analytics::thread::spawn(
            &state,
            Duration::from_secs(config.analytics.aggregation_interval_secs),
        )?;
        crate::hub::notify::thread::spawn(
            state.pool.clone(),
            state.notify.clone(),
            state.metrics.clone(),
        )?;
        let (server, addr) = bind(&config, &state)?;
        Ok(Self {
            server,
            addr,
            state,
            _own_db: own_db,
        })
    }

    /// Where the hub listens (the first address bound).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve until SIGTERM or Ctrl-C; in-flight requests get `shutdown_grace_secs` to finish.
    pub async fn run_until_stopped(self) -> Result<(), ServeError> {
        self.server.await?;
        self.state.sync_log.close(Duration::from_secs(5));
        log::info!("sairen hub stopped");
        Ok(())
    }
}

/// The database's URL, starting the hub's own cluster where that is the choice (blocking).
fn open_database(database: Database) -> Result<(Secret, Option<EmbeddedDb>), ServeError> {
    match database {
        Database::Url(url) => Ok((url, None)),
        Database::Own(dir) => {
            let db = EmbeddedDb::start(&dir).map_err(|e| ServeError::Setting(e.to_string()))?;
            Ok((Secret::new(db.url()), Some(db)))
        }
    }
}

fn bind(
    config: &HubConfig,
    state: &web::Data<AppState>,
) -> Result<(Server, SocketAddr), ServeError> {
    let state = state.clone();
    let mut server = HttpServer::new(move || {
        let metrics = state.metrics.clone();
        App::new()
            .app_data(state.clone())
            // Every answer counted by its route's pattern, status and time, and logged in one
            // line (refusals by extractors included; never the Authorization header).
            .wrap_fn(move |req, srv| {
                let (started, metrics) = (std::time::Instant::now(), metrics.clone());
                let answered = srv.call(req);
                async move {
                    let res = answered.await?;
                    let route = res.request().match_pattern();
                    let route = route.as_deref().unwrap_or("unmatched");
                    metrics.request(
                        res.request().method(),
                        route,
                        res.status(),
                        started.elapsed(),
                    );
                    log_request(&res, route, started.elapsed());
                    Ok(res)
                }
            })
            .configure(api::routes)
    })
    .shutdown_timeout(config.server.shutdown_grace_secs)
    .bind(&config.server.bind)
    .map_err(|e| ServeError::Setting(format!("cannot listen on {}: {e}", config.server.bind)))?;
    if config.server.workers > 0 {
        server = server.workers(config.server.workers);
    }
    let addrs = server.addrs();
    for addr in &addrs {
        log::info!("sairen hub listening on http://{addr}");
    }
    let first = addrs.first().copied().ok_or_else(|| {
        ServeError::Setting(format!("{} resolves to no address", config.server.bind))
    })?;
    Ok((server.run(), first))
}

/// One line per answered request: the peer, the request, its status and time, with the route
/// pattern and the authenticated rig (if any) as fields for JSON logs. The path is cut at 200
/// characters: a client chooses it.
fn log_request(res: &actix_web::dev::ServiceResponse, route: &str, took: Duration) {
    let req = res.request();
    let path: String = req.path().chars().take(200).collect();
    let peer = req
        .peer_addr()
        .map_or_else(|| "-".to_owned(), |a| a.ip().to_string());
    let rig = req
        .extensions()
        .get::<crate::hub::auth::AuthenticatedRig>()
        .map(|r| r.0.to_string());
    let ms = took.as_secs_f64() * 1e3;
    let status = res.status().as_u16();
    log::info!(
        target: "sairen::hub::request",
        peer = peer.as_str(),
        method = req.method().as_str(),
        route = route,
        status = status,
        ms = ms,
        rig = rig.as_deref().unwrap_or("");
        "{peer} \"{} {path}\" {status} {ms:.1}ms{}",
        req.method(),
        rig.as_deref().map(|r| format!(" rig={r}")).unwrap_or_default()
    );
}

/// `sairen hub serve`: build the hub and serve until stopped, on a runtime of its own.
pub fn serve(settings: HubSettings) -> Result<(), ServeError> {
    actix_rt::System::new()
        .block_on(async move { Hub::build(settings).await?.run_until_stopped().await })
}

/// `sairen hub migrate`: bring the schema up to date and exit.
pub fn migrate(database_url: &str, config_path: Option<&Path>) -> Result<(), ServeError> {
    let config = HubConfig::load(config_path)?;
    connect_and_migrate(database_url, &config).map(drop)
}

/// `sairen hub curate`: one curation and pruning pass, its report printed.
pub fn curate(database_url: &str, config_path: Option<&Path>) -> Result<(), ServeError> {
    let config = HubConfig::load(config_path)?;
    let pool = connect_and_migrate(database_url, &config)?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let report = super::curator::pass::run_pass(
        &mut conn,
        &config.curator_settings(),
        super::curator::pass::WhenBusy::Wait,
    )?;
    println!("{report}");
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(database_url: Option<&str>) -> ServeOptions {
        ServeOptions {
            config: None,
            bind: Some("127.0.0.1:0".into()),
            database_url: database_url.map(str::to_owned),
            data_dir: PathBuf::from("/var/lib/sairen-hub"),
        }
    }

    fn key() -> Option<Secret> {
        Some(Secret::new("a-long-enough-admin-key"))
    }

    #[test]
    fn a_url_or_the_hubs_own_cluster_and_the_bind_override() {
        let s = HubSettings::resolve(
            options(Some("postgres://sairen@127.0.0.1/sairen")),
            HubConfig::default(),
            key(),
        )
        .expect("valid");
        assert!(matches!(s.database, Database::Url(_)));
        assert_eq!(s.config.server.bind, "127.0.0.1:0");
        assert!(s.describe().contains("the PostgreSQL of DATABASE_URL"));
        let s = HubSettings::resolve(options(None), HubConfig::default(), key()).expect("valid");
        assert!(s.describe().contains("/var/lib/sairen-hub/postgres"));
        assert!(matches!(&s.database, Database::Own(d) if d == Path::new("/var/lib/sairen-hub")));
        assert!(
            !format!("{s:?}").contains("a-long-enough"),
            "no key in Debug"
        );
    }

    #[test]
    fn the_admin_key_and_the_url_are_checked_before_anything_starts() {
        let e = HubSettings::resolve(options(None), HubConfig::default(), None).expect_err("unset");
        assert!(e.to_string().contains("SAIREN_ADMIN_KEY is not set"), "{e}");
        let e = HubSettings::resolve(
            options(None),
            HubConfig::default(),
            Some(Secret::new("short")),
        )
        .expect_err("short");
        assert!(e.to_string().contains("at least 16"), "{e}");
        let e = HubSettings::resolve(options(Some("mysql://x")), HubConfig::default(), key())
            .expect_err("not postgres");
        assert!(e.to_string().contains("postgres://"), "{e}");
    }
}
