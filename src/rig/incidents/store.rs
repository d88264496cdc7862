//! `<data_dir>/incidents.json`: the book, written whole and crash-safely after every change, so a
//! rig restarted mid-kick shows the same open incident.

use super::{Incident, Shelf};
use crate::rig::durable::write_atomic;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// The file name under the data directory.
pub const FILE_NAME: &str = "incidents.json";

/// The file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    /// Open and recent incidents, oldest first.
    pub incidents: Vec<Incident>,
    /// Shelves in force.
    #[serde(default)]
    pub shelves: Vec<Shelf>,
}

/// Where the book is kept.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Read what a previous run saved. None saved is an empty book; a file that cannot be read is
/// moved aside (kept for a person to look at) and the rig starts with an empty book.
pub fn load(path: &Path) -> io::Result<Saved> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Saved::default()),
        Err(e) => return Err(e),
    };
    match serde_json::from_slice::<Saved>(&bytes) {
        Ok(saved) => Ok(saved),
        Err(why) => {
            let aside = path.with_extension(format!(
                "json.unreadable-{}",
                chrono::Utc::now().format("%Y%m%dT%H%M%S")
            ));
            std::fs::rename(path, &aside)?;
            log::error!(
                "{} could not be read ({why}); moved to {} and starting with no open incidents",
                path.display(),
                aside.display()
            );
            Ok(Saved::default())
        }
    }
}

/// Write the book whole, crash-safely.
pub fn save(path: &Path, incidents: &[Incident], shelves: &[Shelf]) -> io::Result<()> {
    #[derive(Serialize)]
    struct Out<'a> {
        incidents: &'a [Incident],
        shelves: &'a [Shelf],
    }
    let bytes = serde_json::to_vec(&Out { incidents, shelves }).map_err(io::Error::other)?;
    write_atomic(path, &bytes)
}
