//! `hub.toml`: every key optional, every default documented in `config/hub.toml`.

use super::intake::IntakeRules;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Where the hub looks for its config when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/hub.toml";

/// The hub's configuration. Secrets (`DATABASE_URL`, `SAIREN_ADMIN_KEY`) come from the environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[database]`.
    pub database: DatabaseConfig,
    /// `[upload]`.
    pub upload: UploadConfig,
    /// `[auth]`.
    pub auth: AuthConfig,
    /// `[curator]`.
    pub curator: CuratorConfig,
    /// `[analytics]`.
    pub analytics: AnalyticsConfig,
    /// `[regions]`: region name → the fields in it.
    pub regions: BTreeMap<String, Vec<String>>,
    /// `[notify]` and its `[[notify.webhook]]`s.
    pub notify: NotifyConfig,
    /// `[storm]`.
    pub storm: StormConfig,
    /// `[log]` (read before the rest, by [`crate::logging::format_in`]).
    pub log: crate::logging::LogSection,
}

/// `[curator]`: DESIGN §5's curation rules, every threshold adjustable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CuratorConfig {
    /// Run a pass at least this often (seconds), besides when events or outcomes arrive.
    pub curation_interval_secs: u64,
    /// Same rig and category within this many feet: one episode.
    pub dedup_depth_ft: f64,
    /// …and within this many minutes.
    pub dedup_window_mins: i64,
    /// Recency term `e^(−age_days / recency_decay_days)`.
    pub recency_decay_days: f64,
    /// Archive episodes older than this.
    pub archive_after_days: i64,
    /// Archive false positives older than this.
    pub false_positive_archive_days: i64,
    /// Pending episodes older than this drop to `stale_pending_score`.
    pub pending_stale_days: i64,
    /// Score of a stale pending episode.
    pub stale_pending_score: f64,
    /// Above this many active episodes, archive the lowest scores.
    pub max_active_episodes: i64,
    /// Keep archived episodes as tombstones this many days; a rig further behind gets a full sync.
    pub tombstone_retention_days: i64,
    /// Keep rows of `sync_log` (one per answered sync) this many days.
    pub sync_log_retention_days: i64,
    /// Keep audit entries this many days (0: for ever); older ones are removed behind a
    /// checkpoint that keeps the chain verifiable.
    pub audit_retention_days: i64,
}

impl Default for CuratorConfig {
    fn default() -> Self {
        let d = crate::hub::curator::CuratorSettings::default();
        Self {
            curation_interval_secs: 3600,
            dedup_depth_ft: d.dedup_depth_ft,
            dedup_window_mins: d.dedup_window.num_minutes(),
            recency_decay_days: d.recency_decay_days,
            archive_after_days: d.archive_after.num_days(),
            false_positive_archive_days: d.false_positive_archive_after.num_days(),
            pending_stale_days: d.pending_stale_after.num_days(),
            stale_pending_score: d.stale_pending_score,
            max_active_episodes: d.max_active_episodes,
            tombstone_retention_days: d.tombstone_retention.num_days(),
            sync_log_retention_days: d.sync_log_retention.num_days(),
            audit_retention_days: d.audit_retention.map_or(0, |r| r.num_days()),
        }
    }
}

/// `[analytics]`: heartbeats and the fleet's roll-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// Seconds between heartbeats the hub asks of each rig.
    pub heartbeat_secs: u64,
    /// A rig whose latest heartbeat is older than this many seconds is stale.
    pub stale_after_secs: u64,
    /// Seconds between aggregation passes.
    pub aggregation_interval_secs: u64,
    /// Raw heartbeats are kept this many days.
    pub raw_retention_days: i64,
    /// Hourly roll-ups are kept this many days.
    pub hourly_retention_days: i64,
    /// Incidents within this many hours are correlated across the rigs of a region.
    pub correlation_window_hours: i64,
    /// Incidents on two rigs within this many feet of depth give a correlation its depth band.
    pub correlation_depth_band_ft: f64,
    /// The health score's weights (must add up to 1).
    pub health_weights: crate::hub::analytics::health::HealthWeights,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        let d = crate::hub::analytics::AnalyticsSettings::default();
        Self {
            heartbeat_secs: d.heartbeat_secs,
            stale_after_secs: d.stale_after.num_seconds() as u64,
            aggregation_interval_secs: 60,
            raw_retention_days: d.raw_retention.num_days(),
            hourly_retention_days: d.hourly_retention.num_days(),
            correlation_window_hours: d.correlation_window.num_hours(),
            correlation_depth_band_ft: d.correlation_depth_band_ft,
            health_weights: d.weights,
        }
    }
}

/// `[storm]`: storm mode (see [`crate::hub::storm`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StormConfig {
    /// Off: uploads are never refused for the fleet's rate.
    pub enabled: bool,
    /// A storm is a rate of new events above this many times the normal rate…
    pub multiple: f64,
    /// …and above this many a minute, whatever the normal rate.
    pub min_events_per_minute: f64,
    /// The rate is measured over this many seconds.
    pub window_secs: u64,
    /// The storm is over once the rate has stayed below half the trigger this many seconds.
    pub calm_secs: u64,
    /// Seconds a rig whose upload is deferred is asked to wait (`Retry-After`).
    pub retry_after_secs: u64,
}

impl Default for StormConfig {
    fn default() -> Self {
        let d = crate::hub::storm::StormSettings::default();
        Self {
            enabled: d.enabled,
            multiple: d.multiple,
            min_events_per_minute: d.min_events_per_minute,
            window_secs: d.window_secs,
            calm_secs: d.calm_secs,
            retry_after_secs: d.retry_after_secs,
        }
    }
}

/// `[notify]`: outgoing webhooks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Seconds before the first retry of a failed delivery; each further retry waits twice as
    /// long, at most an hour.
    pub retry_first_secs: u64,
    /// Attempts before a notification is given up (it stays on record).
    pub max_attempts: u32,
    /// Longest one delivery may take, s.
    pub timeout_secs: u64,
    /// `[[notify.webhook]]`.
    pub webhook: Vec<WebhookConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        let d = crate::hub::notify::NotifySettings::default();
        Self {
            retry_first_secs: d.retry_first.as_secs(),
            max_attempts: d.max_attempts,
            timeout_secs: d.timeout.as_secs(),
            webhook: Vec::new(),
        }
    }
}

/// One `[[notify.webhook]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (http:// or https://).
    pub url: String,
    /// What it wants: `critical_incident`, `rig_stale`, `rig_faulted`, `correlation`.
    pub events: Vec<String>,
    /// The environment variable holding its signing secret (secrets never go in this file).
    pub secret_env: String,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: String,
    /// HTTP worker threads; 0 = one per core.
    pub workers: usize,
    /// How long in-flight requests may take to finish after SIGTERM / Ctrl-C.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8070".into(),
            workers: 0,
            shutdown_grace_secs: 30,
        }
    }
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Most connections open at once.
    pub pool_size: u32,
    /// How long a request waits for a connection before answering 503.
    pub acquire_timeout_ms: u64,
    /// Longest a statement may run.
    pub statement_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            pool_size: 10,
            acquire_timeout_ms: 2000,
            statement_timeout_ms: 15_000,
        }
    }
}

/// `[upload]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadConfig {
    /// Largest request body as sent.
    pub max_body_bytes: usize,
    /// Largest body after zstd decompression.
    pub max_decoded_bytes: usize,
    /// Oldest event accepted, in days.
    pub max_event_age_days: i64,
    /// How far ahead of the hub's clock an event may be, in seconds.
    pub max_clock_skew_secs: i64,
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_decoded_bytes: 10 << 20,
            max_event_age_days: 7,
            max_clock_skew_secs: 300,
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// How long a verified rig key is trusted without a new argon2 check.
    pub key_cache_secs: u64,
    /// Requests one rig key may make a minute (a rig makes a few); past it, 429 with Retry-After.
    pub rig_requests_per_minute: u32,
    /// Wrong secrets tried for one key id in a minute before that key id is answered 429 without
    /// the argon2 check (the key id is public: `list-rigs` shows it).
    pub wrong_secrets_per_key_minute: u32,
    /// Requests one signed-in dashboard user may make a minute; past it, 429 with Retry-After.
    pub user_requests_per_minute: u32,
    /// Wrong passwords for one user name in a minute before that name's sign-ins are answered
    /// 429 without the argon2 check.
    pub wrong_passwords_per_user_minute: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            key_cache_secs: 300,
            rig_requests_per_minute: 1_000,
            wrong_secrets_per_key_minute: 5,
            user_requests_per_minute: 1_000,
            wrong_passwords_per_user_minute: 5,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error(transparent)]
    File(#[from] crate::config_file::FileError),
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl HubConfig {
    /// Load from `path`, or from [`DEFAULT_CONFIG_PATH`] when it exists, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let config: Self = crate::config_file::load(path, DEFAULT_CONFIG_PATH)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let limits = [
            ("rig_requests_per_minute", self.auth.rig_requests_per_minute),
            (
                "wrong_secrets_per_key_minute",
                self.auth.wrong_secrets_per_key_minute,
            ),
            (
                "user_requests_per_minute",
                self.auth.user_requests_per_minute,
            ),
            (
                "wrong_passwords_per_user_minute",
                self.auth.wrong_passwords_per_user_minute,
            ),
        ];
        if let Some((key, _)) = limits.iter().find(|(_, n)| *n == 0) {
            return Err(ConfigError::Invalid(format!(
                "auth.{key} must be at least 1"
            )));
        }
        let u = &self.upload;
        if u.max_body_bytes == 0 || u.max_decoded_bytes < u.max_body_bytes {
            return Err(ConfigError::Invalid(
                "upload.max_decoded_bytes must be at least upload.max_body_bytes > 0".into(),
            ));
        }
        if u.max_event_age_days < 1 || u.max_clock_skew_secs < 0 {
            return Err(ConfigError::Invalid(
                "upload.max_event_age_days must be ≥ 1 and upload.max_clock_skew_secs ≥ 0".into(),
            ));
        }
        let c = &self.curator;
        if c.curation_interval_secs == 0
            || c.dedup_depth_ft < 0.0
            || c.dedup_window_mins < 0
            || c.recency_decay_days <= 0.0
            || c.archive_after_days < 1
            || c.false_positive_archive_days < 1
            || c.pending_stale_days < 1
            || !(0.0..=1.0).contains(&c.stale_pending_score)
            || c.max_active_episodes < 1
            || c.tombstone_retention_days < 1
            || c.sync_log_retention_days < 1
            || c.audit_retention_days < 0
        {
            return Err(ConfigError::Invalid(
                "[curator]: intervals and day counts must be ≥ 1, distances and windows ≥ 0, \
                 recency_decay_days > 0, stale_pending_score between 0 and 1"
                    .into(),
            ));
        }
        self.analytics_settings()?;
        self.check_webhooks()?;
        self.storm_settings()?;
        if self.database.pool_size == 0 {
            return Err(ConfigError::Invalid(
                "database.pool_size must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The upload rules these settings describe.
    pub fn intake_rules(&self) -> IntakeRules {
        IntakeRules {
            max_body_bytes: self.upload.max_body_bytes,
            max_decoded_bytes: self.upload.max_decoded_bytes,
            max_event_age: chrono::Duration::days(self.upload.max_event_age_days),
            max_clock_skew: chrono::Duration::seconds(self.upload.max_clock_skew_secs),
        }
    }

    /// The curator rules these settings describe.
    pub fn curator_settings(&self) -> crate::hub::curator::CuratorSettings {
        let c = &self.curator;
        crate::hub::curator::CuratorSettings {
            dedup_depth_ft: c.dedup_depth_ft,
            dedup_window: chrono::Duration::minutes(c.dedup_window_mins),
            recency_decay_days: c.recency_decay_days,
            archive_after: chrono::Duration::days(c.archive_after_days),
            false_positive_archive_after: chrono::Duration::days(c.false_positive_archive_days),
            pending_stale_after: chrono::Duration::days(c.pending_stale_days),
            stale_pending_score: c.stale_pending_score,
            max_active_episodes: c.max_active_episodes,
            tombstone_retention: chrono::Duration::days(c.tombstone_retention_days),
            sync_log_retention: chrono::Duration::days(c.sync_log_retention_days),
            audit_retention: (c.audit_retention_days > 0)
                .then(|| chrono::Duration::days(c.audit_retention_days)),
        }
    }

    /// The analytics these settings describe: regions and weights checked, intervals in range.
    pub fn analytics_settings(
        &self,
    ) -> Result<crate::hub::analytics::AnalyticsSettings, ConfigError> {
        let a = &self.analytics;
        if !(10..=3_600).contains(&a.heartbeat_secs)
            || a.stale_after_secs < a.heartbeat_secs
            || a.aggregation_interval_secs == 0
            || a.raw_retention_days < 1
            || a.hourly_retention_days < a.raw_retention_days
            || !(1..=24 * 90).contains(&a.correlation_window_hours)
            || !(a.correlation_depth_band_ft > 0.0 && a.correlation_depth_band_ft <= 60_000.0)
        {
            return Err(ConfigError::Invalid(
                "[analytics]: heartbeat_secs 10–3600, stale_after_secs ≥ heartbeat_secs, \
                 aggregation_interval_secs ≥ 1, raw_retention_days ≥ 1 and \
                 hourly_retention_days ≥ raw_retention_days, correlation_window_hours 1–2160, \
                 correlation_depth_band_ft above 0 and at most 60000"
                    .into(),
            ));
        }
        a.health_weights.validate().map_err(ConfigError::Invalid)?;
        let regions = crate::hub::analytics::regions::Regions::new(&self.regions)
            .map_err(ConfigError::Invalid)?;
        Ok(crate::hub::analytics::AnalyticsSettings {
            heartbeat_secs: a.heartbeat_secs,
            stale_after: chrono::Duration::seconds(a.stale_after_secs as i64),
            raw_retention: chrono::Duration::days(a.raw_retention_days),
            hourly_retention: chrono::Duration::days(a.hourly_retention_days),
            regions,
            weights: a.health_weights,
            correlation_window: chrono::Duration::hours(a.correlation_window_hours),
            correlation_depth_band_ft: a.correlation_depth_band_ft,
        })
    }

    /// Each webhook's URL and kinds well formed (its secret is read at start, from the
    /// environment: [`Self::notify_settings`]).
    fn check_webhooks(&self) -> Result<Vec<Vec<crate::hub::notify::Kind>>, ConfigError> {
        use crate::hub::notify::Kind;
        let n = &self.notify;
        if n.max_attempts == 0 || n.retry_first_secs == 0 || n.timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "[notify]: retry_first_secs, max_attempts and timeout_secs must be at least 1"
                    .into(),
            ));
        }
        n.webhook
            .iter()
            .map(|w| {
                if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                    return Err(ConfigError::Invalid(format!(
                        "notify.webhook url must be http:// or https://, not {:?}",
                        w.url
                    )));
                }
                if w.events.is_empty() {
                    return Err(ConfigError::Invalid(format!(
                        "notify.webhook {}: events is empty; name at least one of critical_incident, rig_stale, rig_faulted, correlation",
                        w.url
                    )));
                }
                w.events
                    .iter()
                    .map(|e| {
                        Kind::ALL.into_iter().find(|k| k.as_str() == e).ok_or_else(|| {
                            ConfigError::Invalid(format!(
                                "notify.webhook {}: unknown event {e:?}; the events are critical_incident, rig_stale, rig_faulted, correlation",
                                w.url
                            ))
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The webhooks with their secrets, read through `env` (the process environment at start):
    /// a secret missing or shorter than 16 characters is refused, naming its variable.
    pub fn notify_settings(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<crate::hub::notify::NotifySettings, ConfigError> {
        let kinds = self.check_webhooks()?;
        let webhooks = self
            .notify
            .webhook
            .iter()
            .zip(kinds)
            .map(|(w, kinds)| {
                let secret = env(&w.secret_env)
                    .filter(|s| s.len() >= 16)
                    .ok_or_else(|| {
                        ConfigError::Invalid(format!(
                        "notify.webhook {}: set {} to its signing secret (at least 16 characters)",
                        w.url, w.secret_env
                    ))
                    })?;
                Ok(crate::hub::notify::Webhook {
                    url: w.url.clone(),
                    kinds,
                    secret: crate::web::Secret::new(secret),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        Ok(crate::hub::notify::NotifySettings {
            webhooks,
            retry_first: Duration::from_secs(self.notify.retry_first_secs),
            max_attempts: self.notify.max_attempts,
            timeout: Duration::from_secs(self.notify.timeout_secs),
        })
    }

    /// Storm mode as configured, its figures in range.
    pub fn storm_settings(&self) -> Result<crate::hub::storm::StormSettings, ConfigError> {
        let s = &self.storm;
        let in_range = s.multiple.is_finite()
            && s.multiple >= 1.0
            && s.min_events_per_minute.is_finite()
            && s.min_events_per_minute >= 1.0
            && (1..=3_600).contains(&s.window_secs)
            && s.calm_secs <= 86_400
            && (1..=3_600).contains(&s.retry_after_secs);
        if !in_range {
            return Err(ConfigError::Invalid(
                "[storm]: multiple ≥ 1, min_events_per_minute ≥ 1, window_secs and \
                 retry_after_secs 1–3600, calm_secs at most 86400"
                    .into(),
            ));
        }
        Ok(crate::hub::storm::StormSettings {
            enabled: s.enabled,
            multiple: s.multiple,
            min_events_per_minute: s.min_events_per_minute,
            window_secs: s.window_secs,
            calm_secs: s.calm_secs,
            retry_after_secs: s.retry_after_secs,
        })
    }

    /// The pool settings these settings describe.
    pub fn pool_settings(&self) -> super::db::PoolSettings {
        super::db::PoolSettings {
            max_size: self.database.pool_size,
            acquire_timeout: Duration::from_millis(self.database.acquire_timeout_ms),
            statement_timeout: Duration::from_millis(self.database.statement_timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_parses_and_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/hub.toml");
        let shipped = HubConfig::load(Some(&path)).expect("config/hub.toml parses");
        let defaults = HubConfig::default();
        assert_eq!(shipped.server.bind, defaults.server.bind);
        assert_eq!(
            shipped.upload.max_body_bytes,
            defaults.upload.max_body_bytes
        );
        assert_eq!(
            shipped.upload.max_decoded_bytes,
            defaults.upload.max_decoded_bytes
        );
        assert_eq!(
            shipped.upload.max_event_age_days,
            defaults.upload.max_event_age_days
        );
        assert_eq!(shipped.auth.key_cache_secs, defaults.auth.key_cache_secs);
        assert_eq!(
            shipped.database.acquire_timeout_ms,
            defaults.database.acquire_timeout_ms
        );
    }

    #[test]
    fn regions_and_weights_are_checked_at_load() {
        let bad = "[regions]\n\"North Sea\" = [\"Volve\"]\nGulf = [\"volve\"]\n";
        let config: HubConfig = toml::from_str(bad).expect("parses");
        let err = config.validate().expect_err("a field in two regions");
        assert!(err.to_string().contains("both"), "{err}");
        let weights = "[analytics.health_weights]\nrisk = 0.9\n";
        let config: HubConfig = toml::from_str(weights).expect("parses");
        let err = config.validate().expect_err("weights past 1");
        assert!(err.to_string().contains("add up to 1"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let err = toml::from_str::<HubConfig>("[upload]\nmax_body_byte = 5\n").expect_err("typo");
        assert!(err.to_string().contains("max_body_byte"), "{err}");
    }

    #[test]
    fn an_explicit_missing_file_is_an_error() {
        assert!(matches!(
            HubConfig::load(Some(Path::new("/nonexistent/hub.toml"))),
            Err(ConfigError::File(
                crate::config_file::FileError::Read { .. }
            ))
        ));
    }
}
