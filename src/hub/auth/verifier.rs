//! Checks rig keys against the registry, at most one argon2 check per core at once, and remembers
//! verified keys while the change watch vouches for them.

use super::keys::RigKey;
use super::AuthError;
use crate::fleet::{RigId, RigStatus};
use crate::hub::db::{self, DbError, DbPool};
use crate::hub::watch::HubWatch;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

struct CachedKey {
    rig_id: RigId,
    /// The stored hash the key was verified against.
    key_hash: String,
    fingerprint: [u8; 32],
    verified_at: Instant,
    /// The watch epoch when the rig's row was read, if the watch was live.
    stamp: Option<u64>,
}

impl CachedKey {
    /// Whether this entry was verified within `ttl` for the key and hash `fingerprint` binds.
    fn holds(&self, fingerprint: &[u8; 32], ttl: Duration) -> bool {
        let same: bool = self.fingerprint.ct_eq(fingerprint).into();
        same && self.verified_at.elapsed() < ttl
    }
}

/// Checks rig keys against the registry, remembering verified ones for a while.
pub struct KeyVerifier {
    ttl: Duration,
    watch: Arc<HubWatch>,
    cache: Mutex<HashMap<String, CachedKey>>,
    hash_checks: AtomicU64,
    slots: HashSlots,
}

/// Bounds how many argon2 checks run at once. Each holds 19 MiB for ~25 ms of CPU: after a hub
/// restart every rig's first request needs one, and unbounded, 200 rigs reconnecting together
/// would ask for 3.8 GB at once (a load run saw a 553 MB peak from 16). More checks at once than
/// cores buys no speed, so the rest wait their turn — measured, the peak stays near
/// cores × 19 MiB and the burst finishes as fast.
struct HashSlots {
    limit: usize,
    counts: Mutex<SlotCounts>,
    freed: Condvar,
    /// Working memory for argon2, one buffer per slot in use, kept between checks.
    memory: Mutex<Vec<Vec<argon2::Block>>>,
}

/// How many argon2 checks run now, and the most that ever ran at once.
#[derive(Debug, Default)]
struct SlotCounts {
    busy: usize,
    peak: usize,
}

impl HashSlots {
    fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            counts: Mutex::new(SlotCounts::default()),
            freed: Condvar::new(),
            memory: Mutex::new(Vec::new()),
        }
    }

    /// Run `check` with a slot's working memory when a slot is free (blocking until then).
    fn run<T>(&self, check: impl FnOnce(&mut Vec<argon2::Block>) -> T) -> T {
        {
            let mut counts = self.counts();
            while counts.busy >= self.limit {
                counts = self.freed.wait(counts).unwrap_or_else(|p| p.into_inner());
            }
            counts.busy += 1;
            counts.peak = counts.peak.max(counts.busy);
        }
        let mut memory = self
            .memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        let out = check(&mut memory);
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(memory);
        self.counts().busy -= 1;
        self.freed.notify_one();
        out
    }

    fn peak(&self) -> usize {
        self.counts().peak
    }

    fn counts(&self) -> MutexGuard<'_, SlotCounts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyVerifier {
    /// A verifier that trusts a verified key for `ttl` (as long as the rig stays active, which
    /// `watch` tells without a database read while it is live).
    pub fn new(ttl: Duration, watch: Arc<HubWatch>) -> Self {
        Self {
            ttl,
            watch,
            cache: Mutex::new(HashMap::new()),
            hash_checks: AtomicU64::new(0),
            slots: HashSlots::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
        }
    }

    /// The key's rig from memory alone: a key verified lately, under the watch epoch that is
    /// still current. `None` means "ask [`KeyVerifier::authenticate`]", not "refused".
    pub fn trusted(&self, key: &RigKey) -> Option<RigId> {
        let cache = self.lock();
        let entry = cache.get(key.key_id())?;
        let stamp = entry.stamp?;
        let fingerprint = key.fingerprint(&entry.key_hash);
        (entry.holds(&fingerprint, self.ttl) && self.watch.holds(stamp))
            .then(|| entry.rig_id.clone())
    }

    /// Whether this exact key was verified before (however long ago): the rig's own key, which a
    /// flood of wrong secrets for its public key id must not lock out. Cheap: no argon2.
    pub fn verified_before(&self, key: &RigKey) -> bool {
        let cache = self.lock();
        cache.get(key.key_id()).is_some_and(|entry| {
            let fingerprint = key.fingerprint(&entry.key_hash);
            entry.fingerprint.ct_eq(&fingerprint).into()
        })
    }

    /// Which rig this key belongs to, if it is valid and the rig active, reading the rig's row.
    /// Blocking: call it from `web::block`. The connection goes back to the pool before the
    /// (deliberately slow) hash check, so a burst of new keys cannot starve other requests.
    pub fn authenticate(&self, pool: &DbPool, key: &RigKey) -> Result<RigId, AuthError> {
        // Taken before the read: a change committed after it ends this stamp.
        let stamp = self.watch.stamp();
        let row = {
            let mut conn = pool.get().map_err(DbError::from)?;
            db::rigs::key_for(&mut conn, key.key_id())?
        };
        let row = row.ok_or(AuthError::UnknownKey)?;
        if row.status != RigStatus::Active {
            self.forget_key(key.key_id());
            return Err(AuthError::Revoked(row.rig_id));
        }
        let fingerprint = key.fingerprint(&row.key_hash);
        if let Some(rig) = self.reuse(key.key_id(), &fingerprint, stamp) {
            return Ok(rig);
        }
        enum Checked {
            Cached(RigId),
            Verified,
            Wrong,
        }
        let checked = self.slots.run(|memory| -> Result<Checked, AuthError> {
            // While this request waited, another of the same key may have verified it.
            if let Some(rig) = self.reuse(key.key_id(), &fingerprint, stamp) {
                return Ok(Checked::Cached(rig));
            }
            self.hash_checks.fetch_add(1, Ordering::Relaxed);
            Ok(if key.verify_with_memory(&row.key_hash, memory)? {
                Checked::Verified
            } else {
                Checked::Wrong
            })
        })?;
        match checked {
            Checked::Cached(rig) => return Ok(rig),
            Checked::Wrong => return Err(AuthError::WrongKey),
            Checked::Verified => {}
        }
        let rig_id = RigId::parse(&row.rig_id)
            .map_err(|e| AuthError::Internal(format!("stored rig id: {e}")))?;
        self.lock().insert(
            key.key_id().to_owned(),
            CachedKey {
                rig_id: rig_id.clone(),
                key_hash: row.key_hash,
                fingerprint,
                verified_at: Instant::now(),
                stamp,
            },
        );
        Ok(rig_id)
    }

    /// A cached verification of this key against the row just read, stamped with the epoch
    /// of that read so later requests may trust it from memory.
    fn reuse(&self, key_id: &str, fingerprint: &[u8; 32], stamp: Option<u64>) -> Option<RigId> {
        let mut cache = self.lock();
        let entry = cache.get_mut(key_id)?;
        if !entry.holds(fingerprint, self.ttl) {
            return None;
        }
        entry.stamp = stamp;
        Some(entry.rig_id.clone())
    }

    /// Drop every cached key of a rig (on revoke).
    pub fn forget_rig(&self, rig_id: &RigId) {
        self.lock().retain(|_, entry| entry.rig_id != *rig_id);
    }

    fn forget_key(&self, key_id: &str) {
        self.lock().remove(key_id);
    }

    /// How many argon2 verifications this verifier has run (a cost counter for tests and benches).
    pub fn hash_checks(&self) -> u64 {
        self.hash_checks.load(Ordering::Relaxed)
    }

    /// The most argon2 verifications that have run at once (bounded by the cores).
    pub fn peak_concurrent_hash_checks(&self) -> usize {
        self.slots.peak()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, CachedKey>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
