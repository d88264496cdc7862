//! Reading a TOML config file: the one way both `rig.toml` and `hub.toml` are found and parsed.
//! Each mode validates its own values.

use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Why a config file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this config (the message names the line and key).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
}

/// The file [`load`] reads: `path`, else `default_path` when it exists; `None` for the built-in
/// defaults.
pub fn chosen(path: Option<&Path>, default_path: &str) -> Option<PathBuf> {
    match path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from(default_path)).filter(|p| p.exists()),
    }
}

/// Load `path`; without one, `default_path` when it exists, else the built-in defaults.
pub fn load<T: DeserializeOwned + Default>(
    path: Option<&Path>,
    default_path: &str,
) -> Result<T, FileError> {
    let Some(path) = chosen(path, default_path) else {
        log::info!("no {default_path}; using built-in defaults");
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|source| FileError::Read {
        path: path.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| FileError::Parse {
        path,
        message: e.to_string(),
    })
}
