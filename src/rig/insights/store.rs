//! Where insights reports are kept: the [`PersistenceLayer`] trait, a crash-safe directory of
//! JSON files by default ([`FileStore`]), and memory for tests ([`MemoryStore`]).

use super::InsightsReport;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Keeps reports and gives them back, newest first.
pub trait PersistenceLayer: Send + Sync {
    /// Keep `report`, dropping the oldest past `keep`.
    fn save(&self, report: &InsightsReport, keep: usize) -> io::Result<()>;
    /// Up to `limit` reports, newest first.
    fn history(&self, limit: usize) -> Vec<InsightsReport>;
    /// The newest.
    fn latest(&self) -> Option<InsightsReport> {
        self.history(1).pop()
    }
}

/// One file per report, `insights/NNNNNNNNNN.json` under the data directory, each written
/// atomically (a power cut leaves the old set or the new, never half a file). An unreadable file
/// — truncated by a disk that lied, edited by hand — is skipped with a warning, never fatal.
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store under `data_dir`, its directory made if need be.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join("insights");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// Report files, by number, oldest first.
    fn files(&self) -> Vec<(u64, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<(u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let path = e.path();
                let seq = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((seq, path))
            })
            .collect();
        files.sort();
        files
    }
}

impl PersistenceLayer for FileStore {
    fn save(&self, report: &InsightsReport, keep: usize) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(report).map_err(io::Error::other)?;
        crate::rig::durable::write_atomic(
            &self.dir.join(format!("{:010}.json", report.seq)),
            &bytes,
        )?;
        let files = self.files();
        for (_, old) in files.iter().take(files.len().saturating_sub(keep)) {
            std::fs::remove_file(old)?;
        }
        Ok(())
    }

    fn history(&self, limit: usize) -> Vec<InsightsReport> {
        self.files()
            .into_iter()
            .rev()
            .filter_map(|(_, path)| {
                let read = std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
                read.inspect_err(|e| {
                    log::warn!(
                        "insights report {} skipped, unreadable: {e}",
                        path.display()
                    )
                })
                .ok()
            })
            .take(limit)
            .collect()
    }
}

/// Reports in memory, for tests and tools.
#[derive(Default)]
pub struct MemoryStore(Mutex<Vec<InsightsReport>>);

impl PersistenceLayer for MemoryStore {
    fn save(&self, report: &InsightsReport, keep: usize) -> io::Result<()> {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.push(report.clone());
        let excess = all.len().saturating_sub(keep);
        all.drain(..excess);
        Ok(())
    }

    fn history(&self, limit: usize) -> Vec<InsightsReport> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.iter().rev().take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::insights::InsightSettings;
    use chrono::Utc;

    fn report(seq: u64) -> InsightsReport {
        InsightsReport::make(seq, &[], Utc::now(), "asked", &InsightSettings::default())
    }

    #[test]
    fn files_survive_a_reopen_keep_the_newest_and_skip_a_torn_one() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FileStore::open(dir.path()).expect("open");
        for seq in 1..=5 {
            store.save(&report(seq), 3).expect("save");
        }
        let again = FileStore::open(dir.path()).expect("reopen");
        let seqs: Vec<u64> = again.history(10).iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![5, 4, 3], "the newest three, newest first");
        std::fs::write(
            dir.path().join("insights/0000000006.json"),
            b"{\"seq\": 6, \"ma",
        )
        .expect("torn");
        assert_eq!(
            again.latest().map(|r| r.seq),
            Some(5),
            "the torn one is skipped"
        );
        let memory = MemoryStore::default();
        for seq in 1..=4 {
            memory.save(&report(seq), 2).expect("save");
        }
        assert_eq!(
            memory.history(9).iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![4, 3]
        );
    }
}
