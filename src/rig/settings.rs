//! What `sairen rig` runs with: the command line's options laid over the config file, the secrets
//! from the environment, and every rule about them checked in one pure step
//! ([`RigSettings::resolve`]) before anything is opened or started.

use super::acquisition::csv::ChannelMap;
use super::acquisition::source::SourceSpec;
use super::api::OperatorToken;
use super::config::{ConfigError, RigConfig};
use super::packet_loop::Pacing;
use crate::fleet::RigId;
use crate::web::Secret;
use std::net::ToSocketAddrs;
use std::path::PathBuf;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct RigOptions {
    /// Config file (default `config/rig.toml` if present).
    pub config: Option<PathBuf>,
    /// The input.
    pub source: SourceSpec,
    /// Overrides `[rig] data_dir`.
    pub data_dir: Option<PathBuf>,
    /// Overrides `[api] bind`.
    pub api_bind: Option<String>,
    /// Overrides `[input] csv_channel_map`.
    pub csv_map: Option<PathBuf>,
    /// Replay speed (simulated seconds per second; 0 = as fast as possible).
    pub speed: f64,
}

/// The secrets the rig takes from its environment, never from files it logs or the command line.
#[derive(Debug, Clone, Default)]
pub struct RigSecrets {
    /// `SAIREN_RIG_OPERATOR_TOKEN`: guards the API off loopback, and the screen's sign-in.
    pub operator_token: Option<Secret>,
    /// `SAIREN_RIG_API_KEY`: the key `sairen admin register-rig` printed for this rig.
    pub api_key: Option<Secret>,
    /// `SAIREN_EXPLAINER_API_KEY`: the bearer key of the `[explainer]` endpoint, where it needs one.
    pub explainer_key: Option<Secret>,
}

impl RigSecrets {
    /// Read both from the process environment (empty counts as unset).
    pub fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new)
        };
        Self {
            operator_token: var("SAIREN_RIG_OPERATOR_TOKEN"),
            api_key: var("SAIREN_RIG_API_KEY"),
            explainer_key: var("SAIREN_EXPLAINER_API_KEY"),
        }
    }
}

/// Everything the rig runs with, checked.
#[derive(Debug, Clone)]
pub struct RigSettings {
    /// The config file with the command line's overrides applied.
    pub config: RigConfig,
    /// The rig's id, parsed.
    pub rig_id: RigId,
    /// The input, with a CSV replay's channel map resolved.
    pub source: SourceSpec,
    /// Live, or a replay at its speed.
    pub pacing: Pacing,
    /// The operator token, when set.
    pub operator_token: Option<OperatorToken>,
    /// The fleet link's key: present exactly when `[fleet] enabled`.
    pub fleet_key: Option<Secret>,
    /// The explainer endpoint's key, when it needs one.
    pub explainer_key: Option<Secret>,
}

/// Why the rig cannot run.
#[derive(Debug, thiserror::Error)]
pub enum RigError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A setting outside the config file is wrong.
    #[error("{0}")]
    Setting(String),
    /// The data directory or the API address cannot be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The input failed.
    #[error("input failed: {0}")]
    Input(String),
}

/// An I/O error with what was being done.
pub(super) fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RigError {
    let what = what.into();
    move |source| RigError::Io { what, source }
}

impl RigSettings {
    /// Load the config file `options` names (or the default) and resolve.
    pub fn load(options: RigOptions, secrets: RigSecrets) -> Result<Self, RigError> {
        let config = RigConfig::load(options.config.as_deref())?;
        Self::resolve(options, config, secrets)
    }

    /// Lay the options over `config` and check every rule that needs no running rig: the speed,
    /// the operator token off loopback and for the screen's sign-in, the CSV channel map, and the
    /// fleet key when the link is on.
    pub fn resolve(
        options: RigOptions,
        mut config: RigConfig,
        secrets: RigSecrets,
    ) -> Result<Self, RigError> {
        if let Some(dir) = options.data_dir {
            config.rig.data_dir = dir;
        }
        if let Some(bind) = options.api_bind {
            config.api.bind = bind;
        }
        let pacing = pacing(&options.source, options.speed)?;
        let operator_token = operator_token(&config, secrets.operator_token)?;
        let source = match options.source {
            SourceSpec::Csv { path, .. } => {
                if !path.is_file() {
                    return Err(RigError::Setting(format!(
                        "--csv {}: no such file (or not a file)",
                        path.display()
                    )));
                }
                let map = options.csv_map.unwrap_or_else(|| config.input.csv_map());
                ChannelMap::load(&map).map_err(|e| RigError::Setting(e.to_string()))?;
                SourceSpec::Csv { path, map }
            }
            SourceSpec::Witsml { paths, map } => {
                if let Some(p) = paths.iter().find(|p| !p.is_file()) {
                    return Err(RigError::Setting(format!(
                        "--witsml {}: no such file (or not a file)",
                        p.display()
                    )));
                }
                let map = if map.as_os_str().is_empty() {
                    config.input.witsml_map()
                } else {
                    map
                };
                ChannelMap::load(&map).map_err(|e| RigError::Setting(e.to_string()))?;
                SourceSpec::Witsml { paths, map }
            }
            other => other,
        };
        if config.fleet.enabled && secrets.api_key.is_none() {
            return Err(RigError::Setting(
                "[fleet] enabled = true needs SAIREN_RIG_API_KEY (the key `sairen admin register-rig` printed for this rig); without it the hub would refuse every upload".into(),
            ));
        }
        Ok(Self {
            rig_id: config.rig_id()?,
            fleet_key: secrets.api_key.filter(|_| config.fleet.enabled),
            explainer_key: secrets.explainer_key,
            config,
            source,
            pacing,
            operator_token,
        })
    }

    /// `--check-config` with no input: every rule that needs none (the config, the operator token,
    /// the fleet key), and both channel maps the config names read as `--csv` and `--witsml` would
    /// read them. The line to print, or why not.
    pub fn check_without_input(
        mut options: RigOptions,
        secrets: RigSecrets,
    ) -> Result<String, RigError> {
        // Standard input is the one input with nothing of its own to check.
        options.source = SourceSpec::Stdin;
        let settings = Self::load(options, secrets)?;
        let input = &settings.config.input;
        for map in [input.csv_map(), input.witsml_map()] {
            ChannelMap::load(&map).map_err(|e| RigError::Setting(e.to_string()))?;
        }
        Ok(format!(
            "configuration valid: rig {} on well {}, API on {}{}; channel maps {} and {} read; give an input (--wits-tcp, --stdin, --csv, --witsml, --simulate) to check it too",
            settings.config.rig.rig_id,
            settings.config.rig.well_id,
            settings.config.api.bind,
            if settings.operator_token.is_some() {
                " (operator token set)"
            } else {
                ""
            },
            input.csv_map().display(),
            input.witsml_map().display(),
        ))
    }

    /// The one line `--check-config` prints.
    pub fn describe(&self) -> String {
        format!(
            "configuration valid: rig {} on well {}, input {}, API on {}{}",
            self.config.rig.rig_id,
            self.config.rig.well_id,
            self.source.describe(),
            self.config.api.bind,
            if self.operator_token.is_some() {
                " (operator token set)"
            } else {
                ""
            }
        )
    }
}

fn pacing(source: &SourceSpec, speed: f64) -> Result<Pacing, RigError> {
    if !(speed.is_finite() && speed >= 0.0) {
        return Err(RigError::Setting(format!(
            "--speed must be 0 (as fast as possible) or a positive factor, not {speed}"
        )));
    }
    Ok(if source.is_replay() {
        Pacing::Replay { speed }
    } else {
        Pacing::Live
    })
}

/// The token, checked, and required where the API or the screen is not otherwise protected.
fn operator_token(
    config: &RigConfig,
    token: Option<Secret>,
) -> Result<Option<OperatorToken>, RigError> {
    let token = token
        .map(|t| OperatorToken::new(t.expose().to_owned()))
        .transpose()
        .map_err(RigError::Setting)?;
    if !is_loopback(&config.api.bind)? && token.is_none() {
        return Err(RigError::Setting(format!(
            "the API would listen on {} (not loopback) with no SAIREN_RIG_OPERATOR_TOKEN: anyone on the rig network could acknowledge advisories or change thresholds. Set the token (16+ characters) or bind to 127.0.0.1.",
            config.api.bind
        )));
    }
    if config.api.screen_login && token.is_none() {
        return Err(RigError::Setting(
            "[api] screen_login = true needs SAIREN_RIG_OPERATOR_TOKEN: it is the screen's password"
                .into(),
        ));
    }
    Ok(token)
}

fn is_loopback(addr: &str) -> Result<bool, RigError> {
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(io_err(format!("API address {addr:?}")))?
        .collect();
    Ok(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::Scenario;

    fn options(speed: f64) -> RigOptions {
        RigOptions {
            config: None,
            source: SourceSpec::Simulate {
                scenario: Scenario::Kick,
                seed: 1,
                seconds: 10,
            },
            data_dir: Some("/tmp/sairen-test".into()),
            api_bind: Some("127.0.0.1:0".into()),
            csv_map: None,
            speed,
        }
    }

    fn token() -> Option<Secret> {
        Some(Secret::new("a-long-enough-operator-token"))
    }

    #[test]
    fn the_command_line_overrides_the_file_and_a_replay_is_paced() {
        let s = RigSettings::resolve(options(60.0), RigConfig::default(), RigSecrets::default())
            .expect("valid");
        assert_eq!(s.config.rig.data_dir, PathBuf::from("/tmp/sairen-test"));
        assert_eq!(s.config.api.bind, "127.0.0.1:0");
        assert!(matches!(s.pacing, Pacing::Replay { speed } if speed == 60.0));
        assert!(s.fleet_key.is_none());
        assert!(s.describe().starts_with("configuration valid: rig "));
    }

    #[test]
    fn bad_speeds_are_refused() {
        for speed in [-1.0, f64::NAN, f64::INFINITY] {
            let e =
                RigSettings::resolve(options(speed), RigConfig::default(), RigSecrets::default())
                    .expect_err("refused");
            assert!(e.to_string().contains("--speed"), "{e}");
        }
    }

    #[test]
    fn off_loopback_and_screen_login_need_the_operator_token() {
        let mut wide = options(1.0);
        wide.api_bind = Some("0.0.0.0:0".into());
        let e = RigSettings::resolve(wide.clone(), RigConfig::default(), RigSecrets::default())
            .expect_err("no token");
        assert!(e.to_string().contains("not loopback"), "{e}");
        let secrets = RigSecrets {
            operator_token: token(),
            api_key: None,
            explainer_key: None,
        };
        assert!(RigSettings::resolve(wide, RigConfig::default(), secrets).is_ok());

        let mut config = RigConfig::default();
        config.api.screen_login = true;
        let e = RigSettings::resolve(options(1.0), config, RigSecrets::default())
            .expect_err("no token");
        assert!(e.to_string().contains("screen_login"), "{e}");

        let short = RigSecrets {
            operator_token: Some(Secret::new("short")),
            api_key: None,
            explainer_key: None,
        };
        assert!(RigSettings::resolve(options(1.0), RigConfig::default(), short).is_err());
    }

    #[test]
    fn the_fleet_link_needs_its_key_and_only_it_gets_one() {
        let mut config = RigConfig::default();
        config.fleet.enabled = true;
        let e = RigSettings::resolve(options(1.0), config.clone(), RigSecrets::default())
            .expect_err("no key");
        assert!(e.to_string().contains("SAIREN_RIG_API_KEY"), "{e}");
        let secrets = RigSecrets {
            operator_token: None,
            api_key: Some(Secret::new("sk-fleet-x")),
            explainer_key: None,
        };
        let s = RigSettings::resolve(options(1.0), config, secrets.clone()).expect("valid");
        assert!(s.fleet_key.is_some());
        let s = RigSettings::resolve(options(1.0), RigConfig::default(), secrets).expect("valid");
        assert!(s.fleet_key.is_none(), "no link, no key held");
    }

    #[test]
    fn a_csv_that_is_not_there_is_refused_before_anything_runs() {
        let mut missing = options(0.0);
        missing.source = SourceSpec::Csv {
            path: "/nope.csv".into(),
            map: PathBuf::new(),
        };
        let e = RigSettings::resolve(missing, RigConfig::default(), RigSecrets::default())
            .expect_err("missing");
        assert!(e.to_string().contains("/nope.csv: no such file"), "{e}");
    }
}
