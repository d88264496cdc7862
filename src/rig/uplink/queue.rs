//! The upload queue: one file per event under `<data_dir>/fleet_queue/`, zstd JSON behind a header
//! with a checksum. **Durability point:** an event counts as queued only when `enqueue` returns
//! `Ok` — its file was written to a temp name, fsynced, renamed into place and the directory
//! fsynced. Deleting the file after the hub's 201/409 is the acknowledgement. A `kill -9` or a
//! power cut at any moment leaves either no file or a whole one (a stray temp file is removed at
//! start); a file that fails its checksum anyway (a bad disk) is moved to `fleet_quarantine/`,
//! never a crash loop. Only the index (names) is held in memory: the backlog is streamed.
//!
//! File names carry what eviction needs without opening a file:
//! `{unix_seconds:012}-{risk}-{event id}.evt` (risk 1 Elevated … 3 Critical); an outcome update
//! waits beside its event as `{event id}.outcome`.

use crate::drilling::RiskLevel;
use crate::fleet::codec::{decode_json, encode_json, Encoding};
use crate::fleet::{EventId, FleetEvent, OutcomeUpdate};
use crate::rig::durable;
use blake2::{Blake2b, Digest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Queue directory under the data dir.
pub const QUEUE_DIR: &str = "fleet_queue";
/// Where unreadable files go.
pub const QUARANTINE_DIR: &str = "fleet_quarantine";
/// Where events the hub refused for good go, with its reason.
pub const DEAD_DIR: &str = "fleet_dead";

const MAGIC: &[u8; 8] = b"SAIRENQ1";
const HEADER: usize = 8 + 8 + 16;
/// Largest payload a queue file may claim (a corrupt length must not allocate gigabytes).
const MAX_PAYLOAD: u64 = 16 * 1024 * 1024;

type Blake2b128 = Blake2b<blake2::digest::consts::U16>;

/// Why the queue could not do something.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The disk refused (full, read-only, gone): the event is not queued.
    #[error("upload queue in {dir}: {source}")]
    Io {
        /// The queue directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The event could not be encoded (a bug).
    #[error("cannot encode event {0}: {1}")]
    Encode(String, String),
}

/// What `enqueue` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// Written durably.
    Queued,
    /// An event with this id is queued already (idempotent).
    AlreadyQueued,
    /// The queue was full: this event was evicted to make room (its id).
    QueuedEvicting(EventId),
    /// The queue was full of more important events: this one was not kept.
    DroppedAsLeastImportant,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    file: String,
    risk: u8,
}

/// The queue.
#[derive(Debug)]
pub struct Queue {
    dir: PathBuf,
    quarantine: PathBuf,
    dead: PathBuf,
    bound: usize,
    /// By event id.
    entries: BTreeMap<String, Entry>,
    /// Events evicted since start.
    pub evictions: u64,
    /// Files quarantined at start, with why.
    pub quarantined: Vec<String>,
}

fn risk_digit(level: RiskLevel) -> u8 {
    match level {
        RiskLevel::Low => 0,
        RiskLevel::Elevated => 1,
        RiskLevel::High => 2,
        RiskLevel::Critical => 3,
    }
}

/// Encode `value` as a queue file's bytes: magic, payload length, checksum, zstd JSON (the wire
/// codec's own encoding, so a queued event is already the body the uploader sends).
fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    let payload = encode_json(value, Encoding::Zstd).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Blake2b128::digest(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decode a queue file, checking everything; the reason when it is not whole.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(format!(
            "not a queue file ({} bytes, no header)",
            bytes.len()
        ));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[8..16]);
    let len = u64::from_le_bytes(len);
    if len > MAX_PAYLOAD || bytes.len() as u64 != HEADER as u64 + len {
        return Err(format!(
            "truncated or padded: header says {len} bytes, file holds {}",
            bytes.len() - HEADER
        ));
    }
    let payload = &bytes[HEADER..];
    if Blake2b128::digest(payload).as_slice() != &bytes[16..32] {
        return Err("checksum mismatch".into());
    }
    decode_json(payload, Encoding::Zstd, MAX_PAYLOAD as usize).map_err(|e| e.to_string())
}

/// The zstd JSON body of a queue file, checked: what the uploader sends as is.
pub fn body_of(bytes: &[u8]) -> Result<&[u8], String> {
    decode::<serde_json::Value>(bytes)?;
    Ok(&bytes[HEADER..])
}

impl Queue {
    /// Open (creating) the queue under `data_dir`, holding at most `bound` events; files that are
    /// not whole are quarantined and reported, temp files of interrupted writes removed.
    pub fn open(data_dir: &Path, bound: usize) -> Result<Self, QueueError> {
        let dir = data_dir.join(QUEUE_DIR);
        let io_err = |source| QueueError::Io {
            dir: dir.clone(),
            source,
        };
        fs::create_dir_all(&dir).map_err(io_err)?;
        let mut q = Self {
            quarantine: data_dir.join(QUARANTINE_DIR),
            dead: data_dir.join(DEAD_DIR),
            dir: dir.clone(),
            bound: bound.max(1),
            entries: BTreeMap::new(),
            evictions: 0,
            quarantined: Vec::new(),
        };
        for item in fs::read_dir(&dir).map_err(io_err)? {
            let item = item.map_err(io_err)?;
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                // A write that never reached its rename: it was never queued.
                let _ = fs::remove_file(item.path());
                continue;
            }
            let Some(stem) = name.strip_suffix(".evt") else {
                continue;
            };
            let parsed = Self::parse_name(stem);
            let check = match &parsed {
                Some(_) => fs::read(item.path())
                    .map_err(|e| e.to_string())
                    .and_then(|b| decode::<FleetEvent>(&b).map(drop)),
                None => Err("name does not follow {seconds}-{risk}-{id}.evt".into()),
            };
            match (parsed, check) {
                (Some((risk, id)), Ok(())) => {
                    q.entries.insert(id, Entry { file: name, risk });
                }
                (_, Err(why)) => q.quarantine_file(&item.path(), &name, &why),
                (None, Ok(())) => {}
            }
        }
        if !q.quarantined.is_empty() {
            log::error!(
                "upload queue: {} unreadable file(s) moved to {}: {}",
                q.quarantined.len(),
                q.quarantine.display(),
                q.quarantined.join("; ")
            );
        }
        Ok(q)
    }

    fn parse_name(stem: &str) -> Option<(u8, String)> {
        let (secs, rest) = stem.split_once('-')?;
        let (risk, id) = rest.split_once('-')?;
        if secs.len() != 12 || !secs.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let risk: u8 = risk.parse().ok().filter(|r| *r <= 3)?;
        EventId::parse(id).ok()?;
        Some((risk, id.to_owned()))
    }

    fn quarantine_file(&mut self, path: &Path, name: &str, why: &str) {
        let _ = fs::create_dir_all(&self.quarantine);
        let target = self.quarantine.join(name);
        if fs::rename(path, &target).is_err() {
            let _ = fs::remove_file(path);
        }
        self.quarantined.push(format!("{name}: {why}"));
    }

    /// Queue `event` durably (see the module documentation for when that is).
    pub fn enqueue(&mut self, event: &FleetEvent) -> Result<Enqueued, QueueError> {
        let id = event.id.as_str().to_owned();
        if self.entries.contains_key(&id) {
            return Ok(Enqueued::AlreadyQueued);
        }
        let risk = risk_digit(event.advisory.risk_level);
        let mut evicted = None;
        if self.entries.len() >= self.bound {
            // Oldest of the lowest risk goes first; CRITICAL never.
            let victim = self
                .entries
                .iter()
                .filter(|(_, e)| e.risk < 3)
                .min_by(|a, b| (a.1.risk, &a.1.file).cmp(&(b.1.risk, &b.1.file)))
                .map(|(id, e)| (id.clone(), e.risk));
            match victim {
                Some((vid, vrisk)) if vrisk <= risk => evicted = Some(vid),
                Some(_) if risk < 3 => {
                    self.evictions += 1;
                    log::warn!(
                        "upload queue full ({} events): event {id} is less important than all of them and is not kept",
                        self.entries.len()
                    );
                    return Ok(Enqueued::DroppedAsLeastImportant);
                }
                // Only CRITICAL events queued, or this one is CRITICAL over them: keep it anyway.
                _ => {}
            }
        }
        let secs = event.timestamp.timestamp().clamp(0, 999_999_999_999);
        let file = format!("{secs:012}-{risk}-{id}.evt");
        let bytes = encode(event).map_err(|e| QueueError::Encode(id.clone(), e))?;
        self.write(&file, &bytes)?;
        self.entries.insert(id.clone(), Entry { file, risk });
        if let Some(vid) = evicted {
            self.remove(&vid)?;
            self.evictions += 1;
            log::warn!(
                "upload queue full: evicted event {vid} (oldest of the lowest risk) for {id}"
            );
            return Ok(Enqueued::QueuedEvicting(
                EventId::parse(&vid).map_err(|e| QueueError::Encode(vid.clone(), e.to_string()))?,
            ));
        }
        Ok(Enqueued::Queued)
    }

    fn write(&self, file: &str, bytes: &[u8]) -> Result<(), QueueError> {
        durable::write_atomic(&self.dir.join(file), bytes).map_err(|source| QueueError::Io {
            dir: self.dir.clone(),
            source,
        })
    }

    /// Re-stamp every queued event by `by` (the wall clock was stepped by that much while they
    /// waited: their times came from the wrong clock). Each file is rewritten whole and in
    /// place, atomically; the ids stay (they name the events, they are not times the hub checks).
    /// Returns how many were re-stamped.
    pub fn restamp(&mut self, by: chrono::Duration) -> Result<usize, QueueError> {
        let mut done = 0;
        for (id, entry) in &self.entries {
            let Some(mut event) = self.load(id)? else {
                continue;
            };
            event.shift_times(by);
            let bytes = encode(&event).map_err(|e| QueueError::Encode(id.clone(), e))?;
            self.write(&entry.file, &bytes)?;
            done += 1;
        }
        Ok(done)
    }

    /// Queued event ids, oldest first.
    pub fn ids(&self) -> Vec<String> {
        let mut by_file: Vec<(&String, &String)> =
            self.entries.iter().map(|(id, e)| (&e.file, id)).collect();
        by_file.sort();
        by_file.into_iter().map(|(_, id)| id.clone()).collect()
    }

    /// Read one queued event from disk.
    pub fn load(&self, id: &str) -> Result<Option<FleetEvent>, QueueError> {
        Ok(self.read(id)?.and_then(|bytes| decode(&bytes).ok()))
    }

    /// The checked zstd JSON body of a queued event, exactly as it goes on the wire.
    pub fn body(&self, id: &str) -> Result<Option<Vec<u8>>, QueueError> {
        Ok(self
            .read(id)?
            .and_then(|bytes| body_of(&bytes).ok().map(<[u8]>::to_vec)))
    }

    /// The raw file of a queued event, if it is queued.
    fn read(&self, id: &str) -> Result<Option<Vec<u8>>, QueueError> {
        let Some(e) = self.entries.get(id) else {
            return Ok(None);
        };
        fs::read(self.dir.join(&e.file))
            .map(Some)
            .map_err(|source| QueueError::Io {
                dir: self.dir.clone(),
                source,
            })
    }

    /// Forget a delivered (or evicted) event: delete its file, durably.
    pub fn remove(&mut self, id: &str) -> Result<(), QueueError> {
        if let Some(e) = self.entries.remove(id) {
            let io = |source| QueueError::Io {
                dir: self.dir.clone(),
                source,
            };
            match fs::remove_file(self.dir.join(&e.file)) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(io(err)),
            }
            fs::File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }

    /// Move a queued file to `fleet_dead/`, the hub's reason written first as `{what}.reason.txt`.
    fn bury(&self, file: &str, what: &str, reason: &str) -> Result<(), QueueError> {
        let io = |source| QueueError::Io {
            dir: self.dead.clone(),
            source,
        };
        fs::create_dir_all(&self.dead).map_err(io)?;
        durable::write_atomic(
            &self.dead.join(format!("{what}.reason.txt")),
            reason.as_bytes(),
        )
        .map_err(io)?;
        fs::rename(self.dir.join(file), self.dead.join(file)).map_err(io)
    }

    /// Move an event the hub refused for good to `fleet_dead/`, with the hub's reason beside it.
    pub fn dead_letter(&mut self, id: &str, reason: &str) -> Result<(), QueueError> {
        let Some(e) = self.entries.get(id).cloned() else {
            return Ok(());
        };
        self.bury(&e.file, id, reason)?;
        self.entries.remove(id);
        log::error!(
            "the hub refused event {id} for good ({reason}); kept in {}",
            self.dead.display()
        );
        Ok(())
    }

    /// Move an outcome update the hub refused for good (its event unknown there, say) to
    /// `fleet_dead/`, with the hub's reason beside it: never deleted silently.
    pub fn dead_letter_outcome(&self, id: &str, reason: &str) -> Result<(), QueueError> {
        let file = format!("{id}.outcome");
        self.bury(&file, &file, reason)?;
        log::error!(
            "the hub refused the outcome of {id} for good ({reason}); kept in {}",
            self.dead.display()
        );
        Ok(())
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none are waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Events and outcome updates in the dead-letter folder.
    pub fn dead_letters(&self) -> usize {
        fs::read_dir(&self.dead)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        let name = e.file_name();
                        let name = name.to_string_lossy();
                        name.ends_with(".evt") || name.ends_with(".outcome")
                    })
                    .count()
            })
            .unwrap_or(0)
    }

    /// Queue an outcome update to follow its event (replacing an earlier one for it).
    pub fn enqueue_outcome(&self, id: &EventId, update: &OutcomeUpdate) -> Result<(), QueueError> {
        let bytes = encode(update).map_err(|e| QueueError::Encode(id.to_string(), e))?;
        self.write(&format!("{id}.outcome"), &bytes)
    }

    /// The outcome update waiting for `id`, if any; an unreadable one is quarantined and reported.
    pub fn outcome(&mut self, id: &str) -> Option<OutcomeUpdate> {
        let name = format!("{id}.outcome");
        let path = self.dir.join(&name);
        let bytes = fs::read(&path).ok()?;
        match decode(&bytes) {
            Ok(u) => Some(u),
            Err(why) => {
                log::error!(
                    "outcome update for {id} unreadable ({why}); moved to {}",
                    self.quarantine.display()
                );
                self.quarantine_file(&path, &name, &why);
                None
            }
        }
    }

    /// Ids with an outcome update waiting, whose event is no longer queued (delivered).
    pub fn outcomes_ready(&self) -> Vec<String> {
        fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .strip_suffix(".outcome")
                            .map(str::to_owned)
                    })
                    .filter(|id| !self.entries.contains_key(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forget a delivered outcome update.
    pub fn remove_outcome(&self, id: &str) -> Result<(), QueueError> {
        match fs::remove_file(self.dir.join(format!("{id}.outcome"))) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(QueueError::Io {
                dir: self.dir.clone(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{EventOutcome, RigId};
    use chrono::{Duration, TimeZone, Utc};

    const FIXTURE: &str = include_str!("../../../tests/fixtures/fleet_event.json");

    fn event(n: i64, risk: RiskLevel) -> FleetEvent {
        let mut e: FleetEvent = serde_json::from_str(FIXTURE).expect("fixture");
        let at = Utc.timestamp_opt(1_772_352_000, 0).single().expect("t") + Duration::seconds(n);
        let rig = RigId::parse("RIG-ALPHA-7").expect("rig");
        e.id = EventId::new(&rig, at.timestamp(), 0);
        e.timestamp = at;
        e.advisory.risk_level = risk;
        e
    }

    /// Events numbered from `first`, one per level, each enqueued.
    fn enqueued<const N: usize>(
        q: &mut Queue,
        first: i64,
        levels: [RiskLevel; N],
    ) -> [FleetEvent; N] {
        let mut n = first;
        levels.map(|level| {
            let e = event(n, level);
            n += 1;
            q.enqueue(&e).expect("enqueue");
            e
        })
    }

    #[test]
    fn an_event_survives_a_reopen_once_and_is_gone_once_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut q = Queue::open(dir.path(), 10).expect("open");
        let e = event(1, RiskLevel::High);
        assert_eq!(q.enqueue(&e).expect("enqueue"), Enqueued::Queued);
        assert_eq!(q.enqueue(&e).expect("again"), Enqueued::AlreadyQueued);
        drop(q);
        let mut q = Queue::open(dir.path(), 10).expect("reopen");
        assert_eq!(q.ids(), vec![e.id.to_string()]);
        assert_eq!(q.load(e.id.as_str()).expect("load"), Some(e.clone()));
        q.remove(e.id.as_str()).expect("remove");
        assert!(Queue::open(dir.path(), 10).expect("reopen").is_empty());
    }

    #[test]
    fn a_full_queue_evicts_the_oldest_of_the_lowest_risk_and_never_a_critical() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut q = Queue::open(dir.path(), 3).expect("open");
        let [c0, e1, h2] = enqueued(
            &mut q,
            0,
            [RiskLevel::Critical, RiskLevel::Elevated, RiskLevel::High],
        );
        // A High arrives: the Elevated goes, though the Critical is older.
        let h3 = event(3, RiskLevel::High);
        assert_eq!(
            q.enqueue(&h3).expect("enqueue"),
            Enqueued::QueuedEvicting(e1.id.clone())
        );
        // An Elevated arrives at a queue of Highs and a Critical: it is the one not kept.
        assert_eq!(
            q.enqueue(&event(4, RiskLevel::Elevated)).expect("enqueue"),
            Enqueued::DroppedAsLeastImportant
        );
        // Another High: the oldest High goes.
        let h5 = event(5, RiskLevel::High);
        assert_eq!(
            q.enqueue(&h5).expect("enqueue"),
            Enqueued::QueuedEvicting(h2.id.clone())
        );
        assert!(q.ids().contains(&c0.id.to_string()));
        assert_eq!(q.evictions, 3);
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn corrupt_truncated_and_stray_files_are_handled_at_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut q = Queue::open(dir.path(), 10).expect("open");
        let [a, b, c] = enqueued(&mut q, 1, [RiskLevel::High; 3]);
        drop(q);
        let qdir = dir.path().join(QUEUE_DIR);
        let file_of = |e: &FleetEvent| {
            fs::read_dir(&qdir)
                .expect("list")
                .filter_map(Result::ok)
                .map(|f| f.path())
                .find(|p| p.to_string_lossy().contains(e.id.as_str()))
                .expect("file")
        };
        // One bit flipped in b's payload; c cut in half; a temp file left by a killed write.
        let pb = file_of(&b);
        let mut bytes = fs::read(&pb).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        fs::write(&pb, bytes).expect("write");
        let pc = file_of(&c);
        let bytes = fs::read(&pc).expect("read");
        fs::write(&pc, &bytes[..bytes.len() / 2]).expect("truncate");
        fs::write(qdir.join(".x.evt.tmp"), b"half a write").expect("stray");
        let q = Queue::open(dir.path(), 10).expect("reopen");
        assert_eq!(q.ids(), vec![a.id.to_string()]);
        assert_eq!(q.quarantined.len(), 2, "{:?}", q.quarantined);
        assert!(q.quarantined.iter().any(|w| w.contains("checksum")));
        assert!(q.quarantined.iter().any(|w| w.contains("truncated")));
        assert_eq!(
            fs::read_dir(dir.path().join(QUARANTINE_DIR))
                .expect("q")
                .count(),
            2
        );
        assert!(!qdir.join(".x.evt.tmp").exists());
    }

    #[test]
    fn a_clock_step_restamps_every_queued_event_and_survives_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut q = Queue::open(dir.path(), 10).expect("open");
        let [a, b] = enqueued(&mut q, 1, [RiskLevel::High, RiskLevel::Critical]);
        // The clock ran ten minutes fast while they waited, then NTP set it back.
        let step = Duration::minutes(-10);
        assert_eq!(q.restamp(step).expect("restamp"), 2);
        let q = Queue::open(dir.path(), 10).expect("reopen");
        for before in [a, b] {
            let after = q
                .load(before.id.as_str())
                .expect("read")
                .expect("still queued");
            assert_eq!(after.id, before.id, "ids stay");
            assert_eq!(after.timestamp, before.timestamp + step);
            assert_eq!(after.advisory.timestamp, before.advisory.timestamp + step);
            for (x, y) in after.history_window.iter().zip(&before.history_window) {
                assert_eq!(x.packet.timestamp, y.packet.timestamp + step);
            }
            assert!(
                q.body(before.id.as_str()).expect("body").is_some(),
                "a whole file"
            );
        }
    }

    #[test]
    fn refused_events_go_to_dead_letters_with_the_reason_and_outcomes_wait_for_delivery() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut q = Queue::open(dir.path(), 10).expect("open");
        let (a, b) = (event(1, RiskLevel::High), event(2, RiskLevel::High));
        q.enqueue(&a).expect("a");
        q.enqueue(&b).expect("b");
        q.dead_letter(a.id.as_str(), "400 history_window: empty")
            .expect("dead");
        assert_eq!(q.dead_letters(), 1);
        let reason = fs::read_to_string(
            dir.path()
                .join(DEAD_DIR)
                .join(format!("{}.reason.txt", a.id)),
        )
        .expect("reason");
        assert!(reason.contains("history_window"));
        let update = OutcomeUpdate {
            outcome: EventOutcome::Resolved {
                action_taken: "reduced WOB".into(),
            },
            notes: None,
            course: None,
        };
        q.enqueue_outcome(&b.id, &update).expect("outcome");
        assert!(q.outcomes_ready().is_empty(), "waits for its event");
        q.remove(b.id.as_str()).expect("delivered");
        assert_eq!(q.outcomes_ready(), vec![b.id.to_string()]);
        assert_eq!(q.outcome(b.id.as_str()), Some(update.clone()));
        q.remove_outcome(b.id.as_str()).expect("sent");
        assert!(q.outcomes_ready().is_empty());
        // An outcome the hub refuses for good is kept with the reason, not dropped.
        q.enqueue_outcome(&b.id, &update).expect("outcome again");
        q.dead_letter_outcome(b.id.as_str(), "404 no event with id")
            .expect("dead outcome");
        assert!(q.outcomes_ready().is_empty());
        assert_eq!(q.dead_letters(), 2);
        let dead = dir.path().join(DEAD_DIR);
        assert!(dead.join(format!("{}.outcome", b.id)).exists());
        assert!(
            fs::read_to_string(dead.join(format!("{}.outcome.reason.txt", b.id)))
                .expect("reason")
                .contains("404")
        );
        // An unreadable outcome is quarantined, not sent and not lost.
        fs::write(
            dir.path().join(QUEUE_DIR).join(format!("{}.outcome", a.id)),
            b"junk",
        )
        .expect("junk");
        assert_eq!(q.outcome(a.id.as_str()), None);
        assert!(dir
            .path()
            .join(QUARANTINE_DIR)
            .join(format!("{}.outcome", a.id))
            .exists());
    }
}
