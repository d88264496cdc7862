//! What every request handler shares.

use super::analytics::AnalyticsSettings;
use super::auth::{AdminKey, FailureThrottle, KeyVerifier, RequestRates};
use super::config::HubConfig;
use super::db::DbPool;
use super::intake::IntakeRules;
use super::metrics::HubMetrics;
use super::sync_log::SyncLog;
use super::wake::Wake;
use super::watch::HubWatch;
use std::sync::Arc;
use std::time::Duration;

/// Wrong admin keys or passwords one client may try at the dashboard's sign-in in a minute.
pub const SIGN_IN_FAILURES_PER_MINUTE: u32 = 10;

/// The hub's shared state: no state of its own beyond caches (DESIGN §9).
pub struct AppState {
    /// PostgreSQL.
    pub pool: DbPool,
    /// Rig key checks and their cache.
    pub keys: Arc<KeyVerifier>,
    /// The administrator's key.
    pub admin_key: AdminKey,
    /// Limits and rules for uploads.
    pub intake: IntakeRules,
    /// Heartbeats, staleness, regions and the health score.
    pub analytics: AnalyticsSettings,
    /// The webhooks notifications go to.
    pub notify: Arc<crate::hub::notify::NotifySettings>,
    /// The fleet's size profile (small, medium, large), kept by the aggregation thread.
    pub profile: Arc<crate::hub::analytics::profile::CurrentProfile>,
    /// Storm mode: the fleet's event rate against its normal.
    pub storm: Arc<crate::hub::storm::Storm>,
    /// Wakes the curator when an event or outcome arrives.
    pub curator: Wake,
    /// Wakes the aggregation when a rig's heartbeat deviates (medium and large fleets).
    pub aggregator: Wake,
    /// Each rig's fleet notices between its heartbeats.
    pub notices: crate::hub::analytics::notices::NoticeBoard,
    /// Active-episode totals remembered by library version.
    pub library_totals: super::api::library::TotalsByVersion,
    /// The whole library at the newest version a full sync asked for, shared by every rig.
    pub full_libraries: super::api::library::FullLibraries,
    /// What other hub processes changed: decides which caches still hold.
    pub watch: Arc<HubWatch>,
    /// Answered syncs, written off the request path.
    pub sync_log: SyncLog,
    /// Wrong admin keys at the dashboard's sign-in, per client.
    pub sign_ins: FailureThrottle,
    /// Wrong secrets per rig key id: past the limit, answered 429 before any argon2 work.
    pub key_failures: FailureThrottle<String>,
    /// Wrong passwords per user name: past the limit, answered 429 before any argon2 work.
    pub password_failures: FailureThrottle<String>,
    /// Requests per rig per minute.
    pub rig_rates: RequestRates,
    /// That allowance, for the refusal's words.
    pub rig_requests_per_minute: u32,
    /// Requests per signed-in user per minute.
    pub user_rates: RequestRates,
    /// That allowance, for the refusal's words.
    pub user_requests_per_minute: u32,
    /// What `/metrics` reports.
    pub metrics: HubMetrics,
    /// The token a scraper presents off loopback (`SAIREN_METRICS_TOKEN`); none: loopback only.
    pub metrics_token: Option<AdminKey>,
}

impl AppState {
    /// The shared state of a hub on this pool and config; starts the sync-log writer.
    pub fn new(
        config: &HubConfig,
        pool: DbPool,
        admin_key: AdminKey,
        watch: Arc<HubWatch>,
    ) -> std::io::Result<Self> {
        Ok(Self {
            keys: Arc::new(KeyVerifier::new(
                Duration::from_secs(config.auth.key_cache_secs),
                watch.clone(),
            )),
            admin_key,
            intake: config.intake_rules(),
            notify: Arc::default(),
            profile: Arc::default(),
            storm: Arc::new(crate::hub::storm::Storm::new(
                config
                    .storm_settings()
                    .map_err(|e| std::io::Error::other(e.to_string()))?,
            )),
            analytics: config
                .analytics_settings()
                .map_err(|e| std::io::Error::other(e.to_string()))?,
            curator: Wake::default(),
            aggregator: Wake::default(),
            notices: Default::default(),
            library_totals: Default::default(),
            full_libraries: Default::default(),
            watch,
            sync_log: SyncLog::spawn(pool.clone())?,
            sign_ins: FailureThrottle::new(SIGN_IN_FAILURES_PER_MINUTE, Duration::from_secs(60)),
            key_failures: FailureThrottle::new(
                config.auth.wrong_secrets_per_key_minute,
                Duration::from_secs(60),
            ),
            password_failures: FailureThrottle::new(
                config.auth.wrong_passwords_per_user_minute,
                Duration::from_secs(60),
            ),
            rig_rates: RequestRates::new(config.auth.rig_requests_per_minute),
            rig_requests_per_minute: config.auth.rig_requests_per_minute,
            user_rates: RequestRates::new(config.auth.user_requests_per_minute),
            user_requests_per_minute: config.auth.user_requests_per_minute,
            metrics: HubMetrics::default(),
            metrics_token: None,
            pool,
        })
    }
}
