//! The rig's audit trail: what the crew did to the alarms and the settings (acknowledgments,
//! shelving, threshold and campaign changes, the pit totaliser zeroed), who and from where.
//! Append-only and hash-chained like the hub's: each entry carries the SHA-256 of the previous
//! entry's hash and its own content, so [`verify`] (`sairen rig audit-verify`) finds an entry
//! edited, deleted or moved. One JSON line per entry in `<data-dir>/audit.jsonl`, synced to disk
//! before the action is answered: the crew's acts are rare, and each must survive a power cut.

use crate::web::hex;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The trail's file in the data directory.
pub const FILE_NAME: &str = "audit.jsonl";

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something, and from where.
#[derive(Debug, Clone)]
pub struct Who {
    /// The name the crew member gave ("driller J. Smith"), else how they reached the rig.
    pub actor: String,
    /// The client's address, or `screen` / `api` when there is none.
    pub source: String,
}

/// One entry, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// When (the rig's clock).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// From where.
    pub source: String,
    /// What: `acknowledge`, `shelve`, `thresholds`, `campaign`, `pit_reset`.
    pub action: String,
    /// The incident or advisory it was about, if any.
    #[serde(default)]
    pub subject: Option<String>,
    /// The particulars: the outcome given, before and after.
    pub detail: Value,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and this entry's content.
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry should carry: over the previous hash and every field but the hash.
    fn computed_hash(&self) -> String {
        let content = (
            &self.prev_hash,
            self.seq,
            &self.at,
            &self.actor,
            &self.source,
            &self.action,
            &self.subject,
            &self.detail,
        );
        // Serialising a tuple of these cannot fail; an empty input would only fail verification.
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        hex(&Sha256::digest(&bytes))
    }
}

/// The trail, open for appending.
#[derive(Debug)]
pub struct AuditTrail {
    path: PathBuf,
    next_seq: u64,
    head: String,
    /// The last write error, for the health endpoint; cleared by a good write.
    pub write_error: Option<String>,
}

impl AuditTrail {
    /// Open the trail under `data_dir`, continuing its chain; a trail that cannot be read is
    /// logged and kept as a write error (the rig runs on; each new entry tries again).
    pub fn open_or_report(data_dir: &Path) -> Self {
        Self::open(data_dir).unwrap_or_else(|e| {
            let path = data_dir.join(FILE_NAME);
            log::error!(
                "cannot open the audit trail {}: {e}. The rig runs on; acknowledgments and setting changes are logged but not chained until it opens.",
                path.display()
            );
            Self {
                path,
                next_seq: 1,
                head: GENESIS.to_owned(),
                write_error: Some(e.to_string()),
            }
        })
    }

    /// Open the trail under `data_dir`, continuing its chain. A last line cut off by a crash
    /// (never finished, so never answered) is cut away, and the chain continues from the last
    /// whole entry.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        let (mut next_seq, mut head) = (1, GENESIS.to_owned());
        if let Ok(text) = fs::read(&path) {
            let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if whole < text.len() {
                log::warn!(
                    "{}: cut away {} bytes of an entry a crash left unfinished",
                    path.display(),
                    text.len() - whole
                );
                OpenOptions::new()
                    .write(true)
                    .open(&path)?
                    .set_len(whole as u64)?;
            }
            let last = text[..whole]
                .split(|b| *b == b'\n')
                .rev()
                .find_map(|line| serde_json::from_slice::<AuditEntry>(line).ok());
            if let Some(last) = last {
                (next_seq, head) = (last.seq + 1, last.hash);
            }
        }
        Ok(Self {
            path,
            next_seq,
            head,
            write_error: None,
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one entry and sync it to disk. A failed write is logged once and kept for the
    /// health endpoint; the action itself is not undone (the alarm system must not stop
    /// because its diary cannot be written).
    pub fn record(&mut self, who: &Who, action: &str, subject: Option<&str>, detail: Value) {
        let mut entry = AuditEntry {
            seq: self.next_seq,
            at: Utc::now(),
            actor: who.actor.clone(),
            source: who.source.clone(),
            action: action.to_owned(),
            subject: subject.map(str::to_owned),
            detail,
            prev_hash: self.head.clone(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        match self.append(&entry) {
            Ok(()) => {
                self.next_seq += 1;
                self.head = entry.hash;
                self.write_error = None;
            }
            Err(e) => {
                if self.write_error.is_none() {
                    log::error!(
                        "cannot write the audit trail {}: {e}. The action stands; free disk space under the data directory.",
                        self.path.display()
                    );
                }
                self.write_error = Some(e.to_string());
            }
        }
    }

    fn append(&self, entry: &AuditEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(&line)?;
        file.sync_data()
    }
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Entries walked.
    pub entries: u64,
    /// The newest entry's seq and hash: keep them elsewhere to catch a chain cut short later.
    pub head: Option<(u64, String)>,
    /// The first break, in words; `None`: the chain holds.
    pub problem: Option<String>,
}

/// Walk the trail at `path` and name the first entry edited, deleted or moved.
pub fn verify(path: &Path) -> io::Result<Verification> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Verification {
                entries: 0,
                head: None,
                problem: None,
            })
        }
        Err(e) => return Err(e),
    };
    let (mut entries, mut expected_seq, mut prev) = (0, 1, GENESIS.to_owned());
    let broken = |entries, head: &Option<(u64, String)>, why: String| Verification {
        entries,
        head: head.clone(),
        problem: Some(why),
    };
    let mut head = None;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        let Ok(e) = serde_json::from_str::<AuditEntry>(&line) else {
            let why = format!("line {} is not an audit entry: edited by hand?", n + 1);
            return Ok(broken(entries, &head, why));
        };
        if e.seq != expected_seq {
            let why = format!(
                "entry {} follows entry {}: entries were deleted or moved",
                e.seq,
                expected_seq - 1
            );
            return Ok(broken(entries, &head, why));
        }
        if e.prev_hash != prev {
            let why = format!(
                "entry {} does not chain to the entry before it: moved or rewritten",
                e.seq
            );
            return Ok(broken(entries, &head, why));
        }
        if e.computed_hash() != e.hash {
            let why = format!(
                "entry {} was edited: its hash does not match its content",
                e.seq
            );
            return Ok(broken(entries, &head, why));
        }
        entries += 1;
        expected_seq += 1;
        prev = e.hash.clone();
        head = Some((e.seq, e.hash));
    }
    Ok(Verification {
        entries,
        head,
        problem: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crew() -> Who {
        Who {
            actor: "driller J. Smith".into(),
            source: "10.0.0.7".into(),
        }
    }

    fn trail_of(n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("dir");
        let mut trail = AuditTrail::open(dir.path()).expect("open");
        for i in 0..n {
            trail.record(
                &crew(),
                "shelve",
                Some("RIG-1-7"),
                json!({"minutes": 30 + i}),
            );
        }
        let path = trail.path().to_owned();
        (dir, path)
    }

    fn lines(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .expect("read")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write(path: &Path, lines: &[String]) {
        fs::write(path, lines.join("\n") + "\n").expect("write");
    }

    #[test]
    fn a_trail_holds_and_continues_across_a_reopen() {
        let (dir, path) = trail_of(3);
        let mut again = AuditTrail::open(dir.path()).expect("reopen");
        again.record(
            &crew(),
            "campaign",
            None,
            json!({"before": "production", "after": "plug_and_abandonment"}),
        );
        let v = verify(&path).expect("verify");
        assert_eq!(v.problem, None);
        assert_eq!(v.entries, 4);
        assert_eq!(v.head.map(|h| h.0), Some(4));
    }

    /// A trail of three entries, edited by `edit`, then walked.
    fn tampered(edit: impl FnOnce(&mut Vec<String>)) -> Verification {
        let (_dir, path) = trail_of(3);
        let mut l = lines(&path);
        edit(&mut l);
        write(&path, &l);
        verify(&path).expect("verify")
    }

    fn says(v: &Verification, words: &str) -> bool {
        v.problem.as_deref().is_some_and(|p| p.contains(words))
    }

    #[test]
    fn an_edited_entry_is_found() {
        let v = tampered(|l| l[1] = l[1].replace("driller J. Smith", "nobody"));
        assert!(says(&v, "entry 2 was edited"), "{v:?}");
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let v = tampered(|l| {
            l.remove(1);
        });
        assert!(says(&v, "deleted or moved"), "{v:?}");
    }

    #[test]
    fn a_reordered_entry_is_found_even_renumbered() {
        let v = tampered(|l| l.swap(1, 2));
        assert!(says(&v, "deleted or moved"), "{v:?}");
        // Renumbered to hide the swap: the chain still breaks.
        let v = tampered(|l| {
            l.swap(1, 2);
            l[1] = l[1].replace("\"seq\":3", "\"seq\":2");
            l[2] = l[2].replace("\"seq\":2", "\"seq\":3");
        });
        assert!(says(&v, "does not chain"), "{v:?}");
    }

    #[test]
    fn an_entry_a_crash_cut_off_is_cut_away_and_the_chain_goes_on() {
        let (dir, path) = trail_of(2);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"seq\":3,\"at\":\"2026-").expect("torn");
        drop(f);
        let mut trail = AuditTrail::open(dir.path()).expect("reopen");
        trail.record(&crew(), "pit_reset", None, json!({"pit_volume_bbl": 512.3}));
        let v = verify(&path).expect("verify");
        assert_eq!((v.entries, v.problem), (3, None));
    }

    #[test]
    fn no_trail_is_an_empty_one() {
        let dir = tempfile::tempdir().expect("dir");
        let v = verify(&dir.path().join(FILE_NAME)).expect("verify");
        assert_eq!((v.entries, v.head, v.problem), (0, None, None));
    }
}
