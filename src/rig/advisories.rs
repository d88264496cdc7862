//! The advisory log: every announcement of an incident appended as a JSON line to
//! `<data_dir>/advisories.jsonl` (rotated by size), acknowledgments appended beside them, and the
//! newest kept in memory for the API. A write that fails (a full disk) is reported, never fatal: the driller still sees
//! the advisory.

use crate::drilling::{AnomalyCategory, Campaign, RiskLevel, StrategicAdvisory};
use crate::fleet::{EpisodeMetrics, EventId};
use crate::rig::explainer::Explanation;
pub use crate::rig::incidents::Acknowledgment;
use crate::rig::incidents::Reason;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The file name under the data directory.
pub const FILE_NAME: &str = "advisories.jsonl";

/// An advisory as the rig keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryRecord {
    /// Its id (its incident's id, for the incident's first announcement).
    pub id: EventId,
    /// The incident it announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<EventId>,
    /// Why it was announced: the incident opened, escalated or came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Whether its incident is a fleet event (Elevated and above).
    pub fleet_event: bool,
    /// When the rig raised it, by the rig's own clock (the advisory's timestamp is the packet's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_at: Option<DateTime<Utc>>,
    /// The advisory.
    pub advisory: StrategicAdvisory,
    /// The crew's acknowledgment of its incident, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgment: Option<Acknowledgment>,
    /// The key metrics at the advisory (what makes it a precedent once acknowledged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_metrics: Option<EpisodeMetrics>,
    /// Measured depth at the advisory, ft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_ft: Option<f64>,
    /// The campaign the rig was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Campaign>,
    /// The `[explainer]`'s words for it, or why there are none (absent with no explainer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Advisory(Box<AdvisoryRecord>),
    Acknowledgment {
        id: EventId,
        #[serde(flatten)]
        ack: Acknowledgment,
    },
    Explanation {
        id: EventId,
        explanation: Explanation,
    },
}

/// Filter for listing.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this level and above.
    pub min_level: Option<RiskLevel>,
    /// Only this category.
    pub category: Option<AnomalyCategory>,
    /// At most this many.
    pub limit: usize,
}

/// Why an acknowledgment was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AckError {
    /// No advisory with that id is held.
    #[error("no advisory {0} (only the newest are held in memory)")]
    NotFound(String),
    /// It was acknowledged before.
    #[error("advisory {0} was already acknowledged")]
    Already(String),
}

/// The log and its in-memory tail.
#[derive(Debug)]
pub struct AdvisoryLog {
    path: PathBuf,
    max_bytes: u64,
    keep_files: u32,
    keep_in_memory: usize,
    file: Option<File>,
    size: u64,
    recent: VecDeque<AdvisoryRecord>,
    /// The last write error, for the health endpoint; cleared by a good write.
    pub write_error: Option<String>,
}

impl AdvisoryLog {
    /// Open (creating) the log under `data_dir` and reload the current file's records.
    pub fn open(
        data_dir: &Path,
        max_bytes: u64,
        keep_files: u32,
        keep_in_memory: usize,
    ) -> io::Result<Self> {
        fs::create_dir_all(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        let mut log = Self {
            path,
            max_bytes,
            keep_files,
            keep_in_memory: keep_in_memory.max(1),
            file: None,
            size: 0,
            recent: VecDeque::new(),
            write_error: None,
        };
        log.reload()?;
        Ok(log)
    }

    fn reload(&mut self) -> io::Result<()> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut skipped = 0u64;
        for line in BufReader::new(file).lines() {
            let Ok(line) = line else {
                skipped += 1;
                continue;
            };
            // A torn last line (power loss mid-append) is skipped, not fatal.
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Advisory(r)) => self.remember(*r),
                Ok(Line::Acknowledgment { id, ack }) => {
                    if let Some(r) = self.recent.iter_mut().find(|r| r.id == id) {
                        r.acknowledgment = Some(ack);
                    }
                }
                Ok(Line::Explanation { id, explanation }) => {
                    if let Some(r) = self.recent.iter_mut().find(|r| r.id == id) {
                        r.explanation = Some(explanation);
                    }
                }
                Err(_) => skipped += 1,
            }
        }
        if skipped > 0 {
            log::warn!(
                "{}: skipped {skipped} unreadable line(s) (a write cut off by a crash?)",
                self.path.display()
            );
        }
        Ok(())
    }

    fn remember(&mut self, r: AdvisoryRecord) {
        if self.recent.len() == self.keep_in_memory {
            self.recent.pop_front();
        }
        self.recent.push_back(r);
    }

    fn write_line(&mut self, line: &Line) {
        let result = (|| -> io::Result<()> {
            let mut text = serde_json::to_vec(line).map_err(io::Error::other)?;
            text.push(b'\n');
            if self.file.is_none() {
                self.open_file()?;
            }
            if self.size + text.len() as u64 > self.max_bytes && self.size > 0 {
                self.rotate()?;
                self.open_file()?;
            }
            if let Some(f) = self.file.as_mut() {
                f.write_all(&text)?;
                self.size += text.len() as u64;
            }
            Ok(())
        })();
        match result {
            Ok(()) => self.write_error = None,
            Err(e) => {
                if self.write_error.is_none() {
                    log::error!(
                        "cannot write {}: {e}. Advisories still show on the API and screen; free disk space under the data directory.",
                        self.path.display()
                    );
                }
                self.file = None;
                self.write_error = Some(e.to_string());
            }
        }
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
        if self.keep_files == 0 {
            return fs::remove_file(&self.path);
        }
        let _ = fs::remove_file(numbered(self.keep_files));
        for n in (1..self.keep_files).rev() {
            let from = numbered(n);
            if from.exists() {
                fs::rename(&from, numbered(n + 1))?;
            }
        }
        fs::rename(&self.path, numbered(1))
    }

    /// Drop the open file and open it again (after its writes failed: the file was removed, or
    /// the disk remounted under it). The error stays until a write succeeds.
    pub fn reopen(&mut self) -> io::Result<PathBuf> {
        self.file = None;
        self.open_file()?;
        Ok(self.path.clone())
    }

    /// Open (or create) the current file for appending, at its present size.
    fn open_file(&mut self) -> io::Result<()> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = f.metadata()?.len();
        self.file = Some(f);
        Ok(())
    }

    /// Append an advisory.
    pub fn append(&mut self, record: AdvisoryRecord) {
        self.write_line(&Line::Advisory(Box::new(record.clone())));
        self.remember(record);
    }

    /// Record the crew's acknowledgment of advisory `id`.
    pub fn acknowledge(
        &mut self,
        id: &str,
        ack: Acknowledgment,
    ) -> Result<AdvisoryRecord, AckError> {
        let record = self
            .recent
            .iter_mut()
            .find(|r| r.id.as_str() == id)
            .ok_or_else(|| AckError::NotFound(id.to_owned()))?;
        if record.acknowledgment.is_some() {
            return Err(AckError::Already(id.to_owned()));
        }
        record.acknowledgment = Some(ack.clone());
        let out = record.clone();
        self.write_line(&Line::Acknowledgment {
            id: out.id.clone(),
            ack,
        });
        Ok(out)
    }

    /// Keep the explainer's answer for advisory `id` (false when it is no longer held: the
    /// answer came after the advisory left memory, and is dropped).
    pub fn explain(&mut self, id: &EventId, explanation: Explanation) -> bool {
        let Some(record) = self.recent.iter_mut().find(|r| &r.id == id) else {
            return false;
        };
        record.explanation = Some(explanation.clone());
        self.write_line(&Line::Explanation {
            id: id.clone(),
            explanation,
        });
        true
    }

    /// One advisory held in memory, by id.
    pub fn get(&self, id: &str) -> Option<&AdvisoryRecord> {
        self.recent.iter().find(|r| r.id.as_str() == id)
    }

    /// Held advisories, newest first, filtered.
    pub fn list(&self, filter: &Filter) -> Vec<AdvisoryRecord> {
        self.recent
            .iter()
            .rev()
            .filter(|r| filter.min_level.is_none_or(|l| r.advisory.risk_level >= l))
            .filter(|r| filter.category.is_none_or(|c| r.advisory.category == c))
            .take(if filter.limit == 0 {
                usize::MAX
            } else {
                filter.limit
            })
            .cloned()
            .collect()
    }

    /// How many of those held were raised after `since` (stamped by the stream's clock).
    pub fn raised_after(&self, since: DateTime<Utc>) -> usize {
        self.recent
            .iter()
            .rev()
            .take_while(|r| r.advisory.timestamp > since)
            .count()
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.recent.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::{AdvisorySource, RigState};
    use crate::fleet::RigId;
    use chrono::TimeZone;

    fn record(n: i64) -> AdvisoryRecord {
        let rig = RigId::parse("RIG-T").expect("rig");
        AdvisoryRecord {
            id: EventId::new(&rig, 1_772_352_000 + n, 0),
            incident: None,
            reason: None,
            fleet_event: true,
            raised_at: None,
            advisory: StrategicAdvisory {
                timestamp: Utc.timestamp_opt(1_772_352_000 + n, 0).single().expect("t"),
                category: AnomalyCategory::Kick,
                risk_level: RiskLevel::High,
                severity: 0.5,
                confidence: 0.9,
                recommendation: "flow-check".into(),
                reasoning: "test".into(),
                rig_state: RigState::Drilling,
                physics: vec![],
                votes: vec![],
                precedents: vec![],
                source: AdvisorySource::Template,
            },
            acknowledgment: None,
            key_metrics: None,
            depth_ft: None,
            campaign: None,
            explanation: None,
        }
    }

    #[test]
    fn an_explanation_is_kept_with_its_advisory_through_a_reopen() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut log = AdvisoryLog::open(dir.path(), 1 << 20, 2, 10).expect("open");
        log.append(record(1));
        let words = crate::rig::explainer::Explanation {
            source: AdvisorySource::Llm,
            text: Some("Flow out is above flow in: the well is flowing.".into()),
            why_not: None,
            model: "test".into(),
            latency_ms: 420,
            at: Utc::now(),
        };
        assert!(log.explain(&record(1).id, words.clone()));
        assert!(
            !log.explain(&record(2).id, words.clone()),
            "not held: dropped"
        );
        let again = AdvisoryLog::open(dir.path(), 1 << 20, 2, 10).expect("reopen");
        assert_eq!(
            again
                .get(record(1).id.as_str())
                .and_then(|r| r.explanation.as_ref()),
            Some(&words)
        );
    }

    fn ack() -> Acknowledgment {
        Acknowledgment {
            outcome: crate::fleet::EventOutcome::FalsePositive,
            notes: None,
            by: None,
            at: Utc.timestamp_opt(1_772_360_000, 0).single().expect("t"),
        }
    }

    #[test]
    fn rotates_by_size_and_keeps_the_newest_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = AdvisoryLog::open(dir.path(), 4_096, 2, 100).expect("open");
        for n in 0..40 {
            log.append(record(n));
        }
        assert!(log.write_error.is_none());
        let path = dir.path().join(FILE_NAME);
        assert!(std::fs::metadata(&path).expect("current").len() <= 4_096);
        assert!(dir.path().join("advisories.jsonl.1").exists());
        assert!(dir.path().join("advisories.jsonl.2").exists());
        assert!(
            !dir.path().join("advisories.jsonl.3").exists(),
            "only two kept"
        );
        assert_eq!(
            log.list(&Filter::default()).len(),
            40,
            "memory keeps them all"
        );
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_acknowledgments_reload() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = AdvisoryLog::open(dir.path(), 1 << 20, 2, 100).expect("open");
        log.append(record(1));
        log.append(record(2));
        let id = record(1).id;
        log.acknowledge(id.as_str(), ack()).expect("ack");
        assert_eq!(
            log.acknowledge(id.as_str(), ack()),
            Err(AckError::Already(id.to_string()))
        );
        drop(log);
        // Power lost half-way through a third line.
        let path = dir.path().join(FILE_NAME);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"kind\":\"advisory\",\"id\":\"RIG-T-17");
        std::fs::write(&path, text).expect("write");
        let log = AdvisoryLog::open(dir.path(), 1 << 20, 2, 100).expect("reopen");
        let all = log.list(&Filter::default());
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1].acknowledgment,
            Some(ack()),
            "newest first; the first was acknowledged"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_full_disk_is_reported_and_the_advisory_still_held() {
        if !Path::new("/dev/full").exists() {
            panic!("this test needs /dev/full (Linux) to simulate a full disk");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = AdvisoryLog::open(dir.path(), 1 << 20, 2, 100).expect("open");
        std::os::unix::fs::symlink("/dev/full", dir.path().join(FILE_NAME)).expect("symlink");
        log.append(record(1));
        let err = log.write_error.clone().expect("reported");
        assert!(err.to_lowercase().contains("space"), "{err}");
        assert_eq!(log.len(), 1, "the driller still sees it");
    }
}
