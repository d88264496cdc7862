//! Change notifications from PostgreSQL: which of this hub process's caches still hold.
//!
//! Several hub processes share one database (DESIGN §9), so a cache here must learn of a change
//! made by any of them. A watcher thread keeps one connection of its own that `LISTEN`s on the
//! channels the `change_notify` migration's triggers fire at commit:
//!
//! - `sairen_rigs`: a rig's key or status changed (revoke). Every such notification bumps the
//!   watch's *epoch*; a verified key is trusted without a database read only while the epoch it
//!   was verified under is current, so a revoke in any process holds here within one poll.
//! - `sairen_library`: episodes or tombstones changed; the watcher re-reads the library version,
//!   so an up-to-date rig's sync is answered from memory.
//! - `sairen_notices`: a fleet correlation changed, or a rig moved field; bumps the *notices
//!   epoch*, under which heartbeat answers keep each rig's notices in memory.
//!
//! While the watcher is not connected, or has not heard from PostgreSQL for [`STALE_AFTER`],
//! it vouches for nothing and every request reads the database as if there were no cache.

use super::db::{library, DbError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::PgConnection;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How often the watcher collects notifications (a non-blocking read, no round trip).
pub const POLL: Duration = Duration::from_millis(20);
/// How often it asks PostgreSQL for the library version even without a notification: the
/// heartbeat that proves the connection alive.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// With no successful heartbeat for this long the watcher vouches for nothing.
pub const STALE_AFTER: Duration = Duration::from_secs(3);
const RIGS_CHANNEL: &str = "sairen_rigs";
const LIBRARY_CHANNEL: &str = "sairen_library";
const NOTICES_CHANNEL: &str = "sairen_notices";
const NO_VERSION: i64 = -1;

/// What the watcher knows; shared by the request handlers and the watcher thread.
pub struct HubWatch {
    started: Instant,
    /// Milliseconds after `started` of the last successful heartbeat; 0 when disconnected.
    alive_at_ms: AtomicU64,
    epoch: AtomicU64,
    notices_epoch: AtomicU64,
    version: AtomicI64,
    enabled: AtomicBool,
}

impl HubWatch {
    fn new(enabled: bool) -> Self {
        Self {
            started: Instant::now(),
            alive_at_ms: AtomicU64::new(0),
            epoch: AtomicU64::new(1),
            notices_epoch: AtomicU64::new(1),
            version: AtomicI64::new(NO_VERSION),
            enabled: AtomicBool::new(enabled),
        }
    }

    /// A watch with no thread behind it: it vouches for nothing, so every request reads the
    /// database (for one-shot commands and for tests that need read-your-writes).
    pub fn off() -> Arc<Self> {
        Arc::new(Self::new(false))
    }

    /// Start the watcher thread on its own connection to `database_url`. It connects in the
    /// background and reconnects after a failure; the thread ends when the watch is dropped.
    pub fn spawn(database_url: &str) -> std::io::Result<Arc<Self>> {
        let watch = Arc::new(Self::new(true));
        let weak = Arc::downgrade(&watch);
        let url = database_url.to_owned();
        std::thread::Builder::new()
            .name("hub-watch".into())
            .spawn(move || run(&weak, &url))?;
        Ok(watch)
    }

    /// The current epoch, if the watcher is live: a cache entry made now is good while
    /// [`HubWatch::holds`] says so.
    pub fn stamp(&self) -> Option<u64> {
        self.is_live().then(|| self.epoch.load(Ordering::Acquire))
    }

    /// Whether nothing a cache entry stamped `stamp` depends on has changed since.
    pub fn holds(&self, stamp: u64) -> bool {
        self.is_live() && self.epoch.load(Ordering::Acquire) == stamp
    }

    /// The notices epoch, if the watcher is live: a rig's notices read now hold while
    /// [`HubWatch::notices_hold`] says so.
    pub fn notices_stamp(&self) -> Option<u64> {
        self.is_live()
            .then(|| self.notices_epoch.load(Ordering::Acquire))
    }

    /// Whether no correlation or rig's field has changed since `stamp`.
    pub fn notices_hold(&self, stamp: u64) -> bool {
        self.is_live() && self.notices_epoch.load(Ordering::Acquire) == stamp
    }

    /// The library version as of the last notification or heartbeat, if the watcher is live.
    pub fn library_version(&self) -> Option<i64> {
        let version = self.version.load(Ordering::Acquire);
        (self.is_live() && version != NO_VERSION).then_some(version)
    }

    /// Whether the watcher is connected and has heard from PostgreSQL lately.
    pub fn is_live(&self) -> bool {
        if !self.enabled.load(Ordering::Relaxed) {
            return false;
        }
        let alive_at = self.alive_at_ms.load(Ordering::Acquire);
        alive_at != 0 && self.now_ms().saturating_sub(alive_at) < STALE_AFTER.as_millis() as u64
    }

    fn now_ms(&self) -> u64 {
        // Never 0, which means "not connected".
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn mark_alive(&self, version: i64) {
        self.version.store(version, Ordering::Release);
        self.alive_at_ms.store(self.now_ms(), Ordering::Release);
    }

    fn mark_down(&self) {
        self.alive_at_ms.store(0, Ordering::Release);
        self.version.store(NO_VERSION, Ordering::Release);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.notices_epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn notices_changed(&self) {
        self.notices_epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn rigs_changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

/// Why one connection's watch ended.
#[derive(Debug, thiserror::Error)]
enum WatchError {
    #[error("cannot connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WatchError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

enum Ended {
    WatchDropped,
    Failed(WatchError),
}

fn run(weak: &Weak<HubWatch>, url: &str) {
    const FIRST_RETRY: Duration = Duration::from_secs(1);
    const LAST_RETRY: Duration = Duration::from_secs(30);
    let mut backoff = FIRST_RETRY;
    let mut failures = 0u32;
    loop {
        let error = match watch_one_connection(weak, url) {
            Ended::WatchDropped => return,
            Ended::Failed(e) => e,
        };
        let Some(watch) = weak.upgrade() else { return };
        if watch.is_live() {
            backoff = FIRST_RETRY;
            failures = 0;
        }
        watch.mark_down();
        drop(watch);
        failures += 1;
        if failures == 1 {
            log::warn!(
                "change watch: {error}; until it reconnects every request reads the database \
                 (retrying every {}s at most)",
                LAST_RETRY.as_secs()
            );
        } else {
            log::debug!("change watch: still down ({error})");
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(LAST_RETRY);
    }
}

fn watch_one_connection(weak: &Weak<HubWatch>, url: &str) -> Ended {
    let mut conn = match PgConnection::establish(url) {
        Ok(conn) => conn,
        Err(e) => return Ended::Failed(e.into()),
    };
    let listen = format!(
        "SET statement_timeout = {}; LISTEN {RIGS_CHANNEL}; LISTEN {LIBRARY_CHANNEL}; \
         LISTEN {NOTICES_CHANNEL};",
        HEARTBEAT.as_millis()
    );
    if let Err(e) = conn.batch_execute(&listen) {
        return Ended::Failed(e.into());
    }
    // Listening from here on: whatever was verified before may have missed a notification.
    match weak.upgrade() {
        Some(watch) => {
            watch.rigs_changed();
            watch.notices_changed();
        }
        None => return Ended::WatchDropped,
    }
    let mut last_heartbeat: Option<Instant> = None;
    let mut library_changed = true;
    loop {
        let Some(watch) = weak.upgrade() else {
            return Ended::WatchDropped;
        };
        for note in conn.notifications_iter() {
            match note {
                Ok(note) if note.channel == RIGS_CHANNEL => watch.rigs_changed(),
                Ok(note) if note.channel == NOTICES_CHANNEL => watch.notices_changed(),
                Ok(_) => library_changed = true,
                Err(e) => return Ended::Failed(e.into()),
            }
        }
        if library_changed || last_heartbeat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            match library::head(&mut conn) {
                Ok(head) => watch.mark_alive(head.version),
                Err(e) => return Ended::Failed(e.into()),
            }
            library_changed = false;
            last_heartbeat = Some(Instant::now());
        }
        drop(watch);
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconnected_watch_vouches_for_nothing() {
        let watch = HubWatch::off();
        assert_eq!(watch.stamp(), None);
        assert_eq!(watch.library_version(), None);
        let live = HubWatch::new(true);
        assert_eq!(live.stamp(), None, "not yet heard from PostgreSQL");
        live.mark_alive(7);
        let stamp = live.stamp().expect("live after a heartbeat");
        assert_eq!(live.library_version(), Some(7));
        assert!(live.holds(stamp));
        let notices = live.notices_stamp().expect("live");
        live.rigs_changed();
        assert!(!live.holds(stamp), "a rig change ends every stamp");
        assert!(live.notices_hold(notices), "but not the notices'");
        live.notices_changed();
        assert!(!live.notices_hold(notices));
        let notices = live.notices_stamp().expect("live");
        let stamp = live.stamp().expect("still live");
        live.mark_down();
        assert!(!live.holds(stamp));
        assert!(!live.notices_hold(notices));
        assert_eq!(live.library_version(), None);
    }
}
