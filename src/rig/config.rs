//! `rig.toml`: every key optional, every default documented in `config/rig.toml`.

use super::acquisition::units::UnitSystem;
use super::acquisition::wits::DEFAULT_NULLS;
use super::incidents::IncidentConfig;
use super::physics::state::StateThresholds;
use super::physics::WellConfig;
use super::pipeline::baseline::BaselineConfig;
use super::pipeline::thresholds::Thresholds;
use super::pipeline::PipelineConfig;
use crate::drilling::Campaign;
use crate::fleet::RigId;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where the rig looks for its config when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/rig.toml";

/// The rig's configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RigConfig {
    /// `[rig]`.
    pub rig: RigSection,
    /// `[input]`.
    pub input: InputSection,
    /// `[api]`.
    pub api: ApiSection,
    /// `[advisories]`.
    pub advisories: AdvisoriesSection,
    /// `[well]`.
    pub well: WellConfig,
    /// `[states]`.
    pub states: StateThresholds,
    /// `[baseline]`.
    pub baseline: BaselineConfig,
    /// `[thresholds]`.
    pub thresholds: Thresholds,
    /// `[incidents]`.
    pub incidents: IncidentConfig,
    /// `[fleet]`.
    pub fleet: FleetSection,
    /// `[healer]`.
    pub healer: HealerSection,
    /// `[insights]`.
    pub insights: super::insights::InsightSettings,
    /// `[explainer]`.
    pub explainer: super::explainer::ExplainerConfig,
    /// `[learned]`.
    pub learned: super::learned::LearnedSettings,
    /// `[log]` (read before the rest, by [`crate::logging::format_in`]).
    pub log: crate::logging::LogSection,
}

/// `[healer]`: the self-healer's rounds and limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealerSection {
    /// Seconds between rounds of checks.
    pub interval_secs: u64,
    /// A WITS TCP feed connected but sending no data this long is closed and reconnected, s.
    pub wits_silent_secs: u64,
    /// Below this much free space under the data directory, non-critical writes pause, MB.
    pub min_free_mb: u64,
}

impl Default for HealerSection {
    fn default() -> Self {
        Self {
            interval_secs: 30,
            wits_silent_secs: 60,
            min_free_mb: 100,
        }
    }
}

/// `[fleet]`: the link to the hub. The API key comes from `SAIREN_RIG_API_KEY`; the rig's id is
/// `[rig] rig_id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetSection {
    /// Whether the rig queues its events for a hub at all (off: the rig runs alone).
    pub enabled: bool,
    /// The hub's base URL.
    pub hub_url: String,
    /// Seconds between upload cycles.
    pub upload_interval_secs: u64,
    /// Seconds between library syncs…
    pub sync_interval_secs: u64,
    /// …plus or minus up to this, so a fleet's rigs do not all ask at once.
    pub sync_jitter_secs: u64,
    /// Most events the upload queue holds; beyond it the oldest of the lowest risk is evicted
    /// (CRITICAL never).
    pub queue_bound: usize,
    /// Longest a request to the hub may take, s.
    pub request_timeout_secs: u64,
    /// Seconds between heartbeats (KPI records) to the hub, until the hub asks for another.
    pub heartbeat_secs: u64,
}

impl Default for FleetSection {
    fn default() -> Self {
        Self {
            enabled: false,
            hub_url: "http://127.0.0.1:8070".into(),
            upload_interval_secs: 30,
            sync_interval_secs: 900,
            sync_jitter_secs: 120,
            queue_bound: 1_000,
            request_timeout_secs: 30,
            heartbeat_secs: 60,
        }
    }
}

/// `[rig]`: who this rig is and where it keeps its state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RigSection {
    /// The rig's id, as registered on the hub.
    pub rig_id: String,
    /// The well being drilled.
    pub well_id: String,
    /// The field (asset).
    pub field: String,
    /// Production or plug_and_abandonment.
    pub campaign: Campaign,
    /// Where the rig keeps its baseline, advisory log, incidents, upload queue and library.
    pub data_dir: PathBuf,
}

impl Default for RigSection {
    fn default() -> Self {
        Self {
            rig_id: "RIG-LOCAL".into(),
            well_id: "WELL-LOCAL".into(),
            field: "UNSPECIFIED".into(),
            campaign: Campaign::Production,
            data_dir: PathBuf::from("data/rig"),
        }
    }
}

/// `[input]`: how the stream is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputSection {
    /// Units the WITS sender uses: "fps" or "metric".
    pub units: UnitSystem,
    /// Values that mean "no reading".
    pub nulls: Vec<f64>,
    /// Seconds without a packet before the stream is reported stale.
    pub stale_after_secs: u64,
    /// Longest wait between reconnection attempts to a WITS TCP source, s.
    pub reconnect_max_secs: u64,
    /// The channel map for `--csv` (source column → channel, with units); relative to the config
    /// file's folder once loaded. `None`: [`SHIPPED_CSV_MAP`].
    pub csv_channel_map: Option<PathBuf>,
    /// The mnemonic map for `--witsml` (mnemonic → channel, with units); as above. `None`:
    /// [`SHIPPED_WITSML_MAP`].
    pub witsml_channel_map: Option<PathBuf>,
    /// Send the WITS server a keep-alive frame this often, s (0 = never).
    pub keepalive_secs: u64,
    /// WITS items beyond the standard ones: "RRII" (record and item) → channel name.
    pub items: std::collections::BTreeMap<String, String>,
}

/// The channel map for `--csv` when the config names none: the shipped one, from the working
/// directory (the repository's root, where `sairen demo` and the README's commands run).
pub const SHIPPED_CSV_MAP: &str = "config/channel-maps/volve-usrop.toml";
/// The mnemonic map for `--witsml` when the config names none, as above.
pub const SHIPPED_WITSML_MAP: &str = "config/channel-maps/volve-witsml.toml";

impl InputSection {
    /// The channel map for `--csv`.
    pub fn csv_map(&self) -> PathBuf {
        self.csv_channel_map
            .clone()
            .unwrap_or_else(|| PathBuf::from(SHIPPED_CSV_MAP))
    }

    /// The mnemonic map for `--witsml`.
    pub fn witsml_map(&self) -> PathBuf {
        self.witsml_channel_map
            .clone()
            .unwrap_or_else(|| PathBuf::from(SHIPPED_WITSML_MAP))
    }

    /// How the WITS source reads: these units, nulls, items and keep-alives.
    pub fn wits_options(&self) -> crate::rig::acquisition::source::WitsOptions {
        let mut o = crate::rig::acquisition::source::WitsOptions::new(
            self.units,
            self.nulls.clone(),
            std::time::Duration::from_secs(self.reconnect_max_secs),
        );
        // Checked by `problems` before the rig starts; a bad map here means the standard one.
        if let Ok(items) = o.items.clone().with_items(&self.items) {
            o.items = items;
        }
        o.keepalive =
            (self.keepalive_secs > 0).then(|| std::time::Duration::from_secs(self.keepalive_secs));
        o
    }
}

impl Default for InputSection {
    fn default() -> Self {
        Self {
            units: UnitSystem::Fps,
            nulls: DEFAULT_NULLS.to_vec(),
            stale_after_secs: 10,
            reconnect_max_secs: 30,
            csv_channel_map: None,
            witsml_channel_map: None,
            keepalive_secs: 0,
            items: Default::default(),
        }
    }
}

/// `[api]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSection {
    /// Address the rig's HTTP API listens on.
    pub bind: String,
    /// Ask for the operator token (as the password of the browser's sign-in prompt) before
    /// showing the driller's screen; off by default: the screen is read on the rig's own network.
    pub screen_login: bool,
}

impl Default for ApiSection {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            screen_login: false,
        }
    }
}

/// `[advisories]`: the advisory log.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdvisoriesSection {
    /// Rotate `advisories.jsonl` when it grows past this many bytes.
    pub max_file_bytes: u64,
    /// Rotated files kept (`advisories.jsonl.1` … `.N`).
    pub keep_files: u32,
    /// Advisories the API keeps in memory (newest).
    pub keep_in_memory: usize,
}

impl Default for AdvisoriesSection {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * 1024 * 1024,
            keep_files: 5,
            keep_in_memory: 1_000,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error(transparent)]
    File(#[from] crate::config_file::FileError),
    /// Values are out of range: every problem, one per line.
    #[error("invalid configuration:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
}

impl RigConfig {
    /// Load from `path`, or from [`DEFAULT_CONFIG_PATH`] when it exists, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config: Self = crate::config_file::load(path, DEFAULT_CONFIG_PATH)?;
        if let Some(file) = crate::config_file::chosen(path, DEFAULT_CONFIG_PATH) {
            config.resolve_against(file.parent().unwrap_or(Path::new("")));
        }
        config.validate()?;
        Ok(config)
    }

    /// The files the config file names (the channel maps), read from its folder when relative:
    /// a rig started from any working directory (systemd, a script) finds them. `data_dir` stays
    /// relative to the working directory, where the rig keeps its state.
    pub fn resolve_against(&mut self, dir: &Path) {
        for map in [
            &mut self.input.csv_channel_map,
            &mut self.input.witsml_channel_map,
        ]
        .into_iter()
        .flatten()
        {
            if map.is_relative() {
                *map = dir.join(&*map);
            }
        }
    }

    /// Every problem with the values, or `Ok`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if let Err(e) = RigId::parse(&self.rig.rig_id) {
            problems.push(format!("rig.rig_id: {e}"));
        }
        for (name, v) in [
            ("rig.well_id", &self.rig.well_id),
            ("rig.field", &self.rig.field),
        ] {
            if v.trim().is_empty() || v.len() > 128 {
                problems.push(format!("{name} must be 1 to 128 characters"));
            }
        }
        if self.input.nulls.iter().any(|v| !v.is_finite()) {
            problems.push("input.nulls must be finite numbers".into());
        }
        if let Err(mut item_problems) =
            crate::rig::acquisition::wits::ItemMap::default().with_items(&self.input.items)
        {
            problems.append(&mut item_problems);
        }
        if let Err(e) = self.insights.check() {
            problems.push(e);
        }
        problems.extend(self.explainer.problems());
        problems.extend(self.learned.problems());
        if self.healer.interval_secs == 0 || self.healer.wits_silent_secs == 0 {
            problems
                .push("healer.interval_secs and healer.wits_silent_secs must be at least 1".into());
        }
        if self.input.stale_after_secs == 0 || self.input.reconnect_max_secs == 0 {
            problems.push(
                "input.stale_after_secs and input.reconnect_max_secs must be at least 1".into(),
            );
        }
        if self.advisories.max_file_bytes < 4_096 || self.advisories.keep_in_memory == 0 {
            problems.push(
                "advisories.max_file_bytes must be at least 4096 and advisories.keep_in_memory at least 1"
                    .into(),
            );
        }
        let f = &self.fleet;
        if !(f.hub_url.starts_with("http://") || f.hub_url.starts_with("https://")) {
            problems.push(format!(
                "fleet.hub_url must be an http:// or https:// URL, not {:?}",
                f.hub_url
            ));
        }
        if !(10..=3_600).contains(&f.heartbeat_secs) {
            problems.push(format!(
                "fleet.heartbeat_secs must be 10 to 3600, not {}",
                f.heartbeat_secs
            ));
        }
        if f.upload_interval_secs == 0 || f.sync_interval_secs == 0 || f.request_timeout_secs == 0 {
            problems.push("fleet.upload_interval_secs, sync_interval_secs and request_timeout_secs must be at least 1".into());
        }
        if f.sync_jitter_secs >= f.sync_interval_secs {
            problems
                .push("fleet.sync_jitter_secs must be less than fleet.sync_interval_secs".into());
        }
        if !(10..=1_000_000).contains(&f.queue_bound) {
            problems.push(format!(
                "fleet.queue_bound must be between 10 and 1000000, not {}",
                f.queue_bound
            ));
        }
        problems.extend(self.well.problems());
        problems.extend(self.baseline.problems());
        problems.extend(
            self.thresholds
                .problems()
                .into_iter()
                .map(|p| format!("thresholds.{p}")),
        );
        problems.extend(self.incidents.problems());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// The rig id (validated by [`RigConfig::validate`]).
    pub fn rig_id(&self) -> Result<RigId, ConfigError> {
        RigId::parse(&self.rig.rig_id)
            .map_err(|e| ConfigError::Invalid(vec![format!("rig.rig_id: {e}")]))
    }

    /// What the pipeline needs.
    pub fn pipeline(&self) -> PipelineConfig {
        PipelineConfig {
            well: self.well,
            states: self.states,
            baseline: self.baseline,
            thresholds: self.thresholds,
            incidents: self.incidents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_is_the_defaults_and_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
        let shipped = RigConfig::load(Some(&path)).expect("config/rig.toml loads");
        let defaults = RigConfig::default();
        assert_eq!(shipped.rig.rig_id, defaults.rig.rig_id);
        assert_eq!(shipped.pipeline(), defaults.pipeline());
        assert_eq!(shipped.input.nulls, defaults.input.nulls);
        assert_eq!(shipped.api.bind, defaults.api.bind);
        assert_eq!(shipped.fleet.enabled, defaults.fleet.enabled);
        assert_eq!(shipped.fleet.queue_bound, defaults.fleet.queue_bound);
        assert_eq!(shipped.fleet.hub_url, defaults.fleet.hub_url);
    }

    /// Issue 19: the channel maps a config file names are read from its folder, whatever the
    /// working directory; an absolute path stays; without the key, the shipped map.
    #[test]
    fn channel_maps_are_read_from_the_config_files_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rig.toml");
        std::fs::write(
            &path,
            "[input]\ncsv_channel_map = \"maps/rig-7.toml\"\nwitsml_channel_map = \"/opt/maps/w.toml\"\n",
        )
        .expect("write");
        let config = RigConfig::load(Some(&path)).expect("loads");
        assert_eq!(config.input.csv_map(), dir.path().join("maps/rig-7.toml"));
        assert_eq!(config.input.witsml_map(), Path::new("/opt/maps/w.toml"));
        std::fs::write(&path, "[input]\nunits = \"fps\"\n").expect("write");
        let config = RigConfig::load(Some(&path)).expect("loads");
        assert_eq!(config.input.csv_map(), Path::new(SHIPPED_CSV_MAP));
    }

    #[test]
    fn every_problem_is_listed_and_unknown_keys_refused() {
        let bad: RigConfig = toml::from_str(
            "[rig]\nrig_id = \"bad id!\"\n[well]\npipe_od_in = 9.0\n[thresholds]\nkick_flow_pct = 0\n",
        )
        .expect("parses");
        let err = bad.validate().expect_err("invalid").to_string();
        assert!(err.contains("rig.rig_id"), "{err}");
        assert!(err.contains("well.pipe_od_in"), "{err}");
        assert!(err.contains("thresholds.kick_flow_pct"), "{err}");
        let unknown = toml::from_str::<RigConfig>("[thresholds]\nkick_flow = 5\n");
        assert!(unknown.is_err());
    }
}
