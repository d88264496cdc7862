//! Writes answered syncs to `sync_log` and the rigs' rows off the request path.
//!
//! A rig that is up to date gets its `304` from memory (see [`super::watch`]); writing its sync
//! to the database in the request would cost a transaction per request and cap the hub at what
//! PostgreSQL commits per second. Instead handlers hand records to a writer thread, which
//! writes whatever has gathered every [`WRITE_EVERY`] in one transaction. The cost: on a crash
//! the last moments of sync log are lost, which is bookkeeping, never library data.

use super::db::library::{self, SyncRecord};
use super::db::DbPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long records gather before they are written.
pub const WRITE_EVERY: Duration = Duration::from_millis(500);
/// Records waiting in the channel before handlers start dropping them (the database is slower
/// than the requests, or down).
const CHANNEL_BOUND: usize = 100_000;
/// Records the writer keeps for a retry while the database is down.
const RETAIN_BOUND: usize = 100_000;
/// Most syncs of one rig logged in a minute: a rig syncs every 15 minutes, and one key asking in
/// a loop (a broken rig, or an attacker) must not grow `sync_log` by millions of rows a minute.
/// Beyond it the rig's syncs are neither logged nor stamped until the minute is over.
pub const MAX_LOGGED_PER_RIG_MINUTE: u32 = 60;

enum Message {
    Record(SyncRecord),
    /// Write everything gathered so far, then answer.
    Flush(mpsc::Sender<()>),
}

/// The handle request handlers use.
pub struct SyncLog {
    sender: Mutex<Option<SyncSender<Message>>>,
    dropped: AtomicU64,
}

impl SyncLog {
    /// Start the writer thread on `pool`. It drains and ends when the handle is dropped or
    /// [`SyncLog::close`]d.
    pub fn spawn(pool: DbPool) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::sync_channel(CHANNEL_BOUND);
        std::thread::Builder::new()
            .name("sync-log".into())
            .spawn(move || write_loop(&pool, &receiver))?;
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            dropped: AtomicU64::new(0),
        })
    }

    /// Queue one answered sync. Never blocks: when the writer is that far behind, the record
    /// is dropped and counted.
    pub fn record(&self, record: SyncRecord) {
        // Full (the writer is that far behind) or closed: either way the record is dropped.
        let sent = self
            .sender()
            .as_ref()
            .is_some_and(|s| s.try_send(Message::Record(record)).is_ok());
        if !sent {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                log::warn!(
                    "sync log: {dropped} record(s) dropped because the database writes fall \
                     behind; check PostgreSQL's health"
                );
            }
        }
    }

    /// Wait (at most `timeout`) until everything recorded so far is written, or has failed
    /// to be and waits for a retry. For shutdown, tests and benchmarks.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::channel();
        let sent = self
            .sender()
            .as_ref()
            .is_some_and(|s| s.send(Message::Flush(tx)).is_ok());
        sent && rx.recv_timeout(timeout).is_ok()
    }

    /// Flush and stop the writer; later records are dropped.
    pub fn close(&self, timeout: Duration) {
        self.flush(timeout);
        self.sender().take();
    }

    /// Records dropped since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn sender(&self) -> std::sync::MutexGuard<'_, Option<SyncSender<Message>>> {
        self.sender.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counts each rig's records in the current minute, and lets through at most
/// [`MAX_LOGGED_PER_RIG_MINUTE`].
#[derive(Default)]
struct PerRigMinute {
    counts: HashMap<String, (Instant, u32)>,
    held_back: u64,
}

impl PerRigMinute {
    fn admit(&mut self, record: &SyncRecord) -> bool {
        let now = Instant::now();
        let (since, n) = self.counts.entry(record.rig_id.clone()).or_insert((now, 0));
        if now.duration_since(*since) >= Duration::from_secs(60) {
            *since = now;
            *n = 0;
        }
        *n += 1;
        let admitted = *n <= MAX_LOGGED_PER_RIG_MINUTE;
        if !admitted {
            self.held_back += 1;
            if self.held_back.is_power_of_two() {
                log::warn!(
                    "sync log: rig {} syncs more than {MAX_LOGGED_PER_RIG_MINUTE} times a minute; \
                     {} such sync(s) not logged so far",
                    record.rig_id,
                    self.held_back
                );
            }
        }
        if self.counts.len() > 10_000 {
            // Rigs that stopped asking: forget them so the map stays the fleet's size.
            self.counts
                .retain(|_, (since, _)| now.duration_since(*since) < Duration::from_secs(60));
        }
        admitted
    }
}

fn write_loop(pool: &DbPool, receiver: &mpsc::Receiver<Message>) {
    let mut per_rig = PerRigMinute::default();
    let mut pending: Vec<SyncRecord> = Vec::new();
    let mut waiting: Vec<mpsc::Sender<()>> = Vec::new();
    let mut due = Instant::now() + WRITE_EVERY;
    let mut failing = false;
    loop {
        let message = receiver.recv_timeout(due.saturating_duration_since(Instant::now()));
        let disconnected = matches!(message, Err(RecvTimeoutError::Disconnected));
        match message {
            Ok(Message::Record(r)) if per_rig.admit(&r) => pending.push(r),
            Ok(Message::Record(_)) => {}
            Ok(Message::Flush(done)) => {
                waiting.push(done);
                due = Instant::now();
            }
            Err(_) => {}
        }
        if Instant::now() < due && !disconnected {
            continue;
        }
        // Take what else is already queued, so a flush covers everything sent before it.
        while let Ok(message) = receiver.try_recv() {
            match message {
                Message::Record(r) if per_rig.admit(&r) => pending.push(r),
                Message::Record(_) => {}
                Message::Flush(done) => waiting.push(done),
            }
        }
        if !pending.is_empty() {
            match write(pool, &pending) {
                Ok(()) => {
                    if failing {
                        log::info!("sync log: writing again");
                        failing = false;
                    }
                    pending.clear();
                }
                Err(e) => {
                    if !failing {
                        log::warn!(
                            "sync log: {} record(s) not written ({e}); will retry",
                            pending.len()
                        );
                        failing = true;
                    }
                    if pending.len() > RETAIN_BOUND {
                        let excess = pending.len() - RETAIN_BOUND;
                        pending.drain(..excess);
                        log::warn!("sync log: dropped the {excess} oldest unwritten record(s)");
                    }
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        if disconnected {
            return;
        }
        due = Instant::now() + WRITE_EVERY;
    }
}

fn write(pool: &DbPool, records: &[SyncRecord]) -> Result<(), super::db::DbError> {
    let mut conn = pool.get()?;
    library::record_syncs(&mut conn, records)
}
