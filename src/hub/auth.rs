//! Rig API keys and the admin key.
//!
//! A rig key is `sk-fleet-<key_id>.<secret>`. The hub stores the key id in clear and only an
//! argon2 hash of the secret, finds the rig by key id (one indexed lookup and at most one hash
//! check per request, however many rigs are registered), and remembers a verified key for
//! `key_cache_secs`. A cached key is trusted without reading the database only while the
//! change watch ([`super::watch`]) vouches that no rig's key or status changed since it was
//! verified, so a revoke in any hub process on the database holds here within one poll of the
//! watch; while the watch is down, every request reads the rig's status row.

use super::api::ApiError;
use super::db::{self, DbError, DbPool};
use super::state::AppState;
use super::watch::HubWatch;
use crate::fleet::RigId;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use argon2::{Argon2, PasswordHash, PasswordHasher};
use blake2::{Blake2b, Digest};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

type Blake2b256 = Blake2b<blake2::digest::consts::U32>;

/// Every rig key starts with this.
pub const KEY_PREFIX: &str = "sk-fleet-";
const KEY_ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 24;

/// Why a request is not authenticated, and which status says so.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header (401).
    #[error("missing credentials: send 'Authorization: Bearer <key>'")]
    Missing,
    /// Not a key of our shape (401).
    #[error("malformed API key: expected {KEY_PREFIX}<key id>.<secret>")]
    Malformed,
    /// No rig has this key id (403).
    #[error("API key not recognised")]
    UnknownKey,
    /// The key's secret does not match (403).
    #[error("API key not recognised")]
    WrongKey,
    /// The rig was revoked (403).
    #[error("rig {0} has been revoked; ask the fleet administrator to register it again")]
    Revoked(String),
    /// The request claims to come from a rig other than the key's (403).
    #[error("X-Rig-ID {claimed} does not match the key's rig {key_rig}")]
    RigMismatch {
        /// The rig named in the header.
        claimed: String,
        /// The rig the key belongs to.
        key_rig: String,
    },
    /// A rig key on an admin endpoint (403).
    #[error("this endpoint needs the admin key; a rig key cannot use it")]
    RigKeyOnAdminEndpoint,
    /// The admin key is wrong (403).
    #[error("admin key not recognised")]
    WrongAdminKey,
    /// The database could not be asked (503 or 500).
    #[error(transparent)]
    Db(#[from] DbError),
    /// Hashing failed or a stored hash is unreadable (500).
    #[error("key hashing failed: {0}")]
    Internal(String),
}

/// A string that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex(&buf)
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A rig API key, parsed: only well-formed keys exist as values.
#[derive(Debug, Clone)]
pub struct ApiKey {
    key_id: String,
    secret: Secret,
}

impl ApiKey {
    /// A fresh random key (64-bit key id, 192-bit secret) from the OS-seeded CSPRNG.
    pub fn generate() -> Self {
        Self {
            key_id: random_hex(KEY_ID_BYTES),
            secret: Secret(random_hex(SECRET_BYTES)),
        }
    }

    /// Parse `sk-fleet-<16 hex>.<48 hex>`.
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let (key_id, secret) = text
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .ok_or(AuthError::Malformed)?;
        if !is_lower_hex(key_id, KEY_ID_BYTES * 2) || !is_lower_hex(secret, SECRET_BYTES * 2) {
            return Err(AuthError::Malformed);
        }
        Ok(Self {
            key_id: key_id.to_owned(),
            secret: Secret(secret.to_owned()),
        })
    }

    /// The public half, stored in clear.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The whole key as the rig must present it: shown once at registration, stored nowhere.
    pub fn reveal(&self) -> Secret {
        Secret(format!("{KEY_PREFIX}{}.{}", self.key_id, self.secret.0))
    }

    /// The argon2id PHC hash of the secret, with a fresh salt (default parameters: 19 MiB, t=2).
    pub fn hash(&self) -> Result<String, AuthError> {
        Argon2::default()
            .hash_password(self.secret.0.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Internal(e.to_string()))
    }

    #[cfg(test)]
    fn verify(&self, phc: &str) -> Result<bool, AuthError> {
        self.verify_with_memory(phc, &mut Vec::new())
    }

    /// Check the secret against a stored argon2 PHC hash, with `blocks` as the algorithm's working
    /// memory (grown to the hash's `m` once, then reused: a verifier keeps one per slot, so the
    /// hub's memory for key checks is allocated once rather than 19 MiB per check).
    fn verify_with_memory(
        &self,
        phc: &str,
        blocks: &mut Vec<argon2::Block>,
    ) -> Result<bool, AuthError> {
        let bad = |e: &dyn std::fmt::Display| AuthError::Internal(format!("stored key hash: {e}"));
        let parsed = PasswordHash::new(phc).map_err(|e| bad(&e))?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(bad(&"no salt or no hash"));
        };
        let algorithm =
            argon2::Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| bad(&e))?;
        let version = match parsed.version {
            Some(v) => argon2::Version::try_from(v).map_err(|e| bad(&e))?,
            None => argon2::Version::default(),
        };
        let params = argon2::Params::try_from(&parsed).map_err(|e| bad(&e))?;
        blocks.resize(params.block_count(), argon2::Block::default());
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                self.secret.0.as_bytes(),
                salt,
                &mut out,
                &mut blocks[..],
            )
            .map_err(|e| bad(&e))?;
        Ok(expected.as_bytes().ct_eq(&out).into())
    }

    /// Binds a cache entry to both the secret presented and the hash it was checked against.
    fn fingerprint(&self, key_hash: &str) -> [u8; 32] {
        let mut h = Blake2b256::new();
        h.update(key_hash.as_bytes());
        h.update([0u8]);
        h.update(self.secret.0.as_bytes());
        h.finalize().into()
    }
}

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
    busy: Mutex<(usize, usize)>,
    freed: std::sync::Condvar,
    /// Working memory for argon2, one buffer per slot in use, kept between checks.
    memory: Mutex<Vec<Vec<argon2::Block>>>,
}

impl HashSlots {
    fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            busy: Mutex::new((0, 0)),
            freed: std::sync::Condvar::new(),
            memory: Mutex::new(Vec::new()),
        }
    }

    /// Run `check` with a slot's working memory when a slot is free (blocking until then).
    fn run<T>(&self, check: impl FnOnce(&mut Vec<argon2::Block>) -> T) -> T {
        {
            let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
            while busy.0 >= self.limit {
                busy = self.freed.wait(busy).unwrap_or_else(|p| p.into_inner());
            }
            busy.0 += 1;
            busy.1 = busy.1.max(busy.0);
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
        self.busy.lock().unwrap_or_else(|p| p.into_inner()).0 -= 1;
        self.freed.notify_one();
        out
    }

    fn peak(&self) -> usize {
        self.busy.lock().unwrap_or_else(|p| p.into_inner()).1
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
    pub fn trusted(&self, key: &ApiKey) -> Option<RigId> {
        let cache = self.lock();
        let entry = cache.get(key.key_id())?;
        let stamp = entry.stamp?;
        let fingerprint = key.fingerprint(&entry.key_hash);
        (entry.holds(&fingerprint, self.ttl) && self.watch.holds(stamp))
            .then(|| entry.rig_id.clone())
    }

    /// Which rig this key belongs to, if it is valid and the rig active, reading the rig's row.
    /// Blocking: call it from `web::block`. The connection goes back to the pool before the
    /// (deliberately slow) hash check, so a burst of new keys cannot starve other requests.
    pub fn authenticate(&self, pool: &DbPool, key: &ApiKey) -> Result<RigId, AuthError> {
        // Taken before the read: a change committed after it ends this stamp.
        let stamp = self.watch.stamp();
        let row = {
            let mut conn = pool.get().map_err(DbError::from)?;
            db::rigs::key_for(&mut conn, key.key_id())?
        };
        let row = row.ok_or(AuthError::UnknownKey)?;
        if row.status != "active" {
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
    pub fn forget_rig(&self, rig_id: &str) {
        self.lock()
            .retain(|_, entry| entry.rig_id.as_str() != rig_id);
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedKey>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The fleet administrator's key, held only as a digest and compared in constant time.
pub struct AdminKey {
    digest: [u8; 32],
}

impl AdminKey {
    /// Shortest admin key accepted.
    pub const MIN_LEN: usize = 16;

    /// Accept an admin key of at least [`AdminKey::MIN_LEN`] characters.
    pub fn new(key: &Secret) -> Result<Self, String> {
        let len = key.expose().chars().count();
        if len < Self::MIN_LEN {
            return Err(format!(
                "SAIREN_ADMIN_KEY must be at least {} characters (got {len})",
                Self::MIN_LEN
            ));
        }
        Ok(Self {
            digest: Blake2b256::digest(key.expose().as_bytes()).into(),
        })
    }

    /// Whether `presented` is the admin key. Digests first, so the comparison's time depends
    /// on neither key's content nor length.
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Blake2b256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.digest).into()
    }

    /// A dashboard session token valid until `expires` (Unix seconds): `<expires>.<tag>`, the tag
    /// a keyed hash of the expiry under the admin key's digest. Stateless on purpose — any hub
    /// process of the cluster accepts it, and changing the admin key ends every session.
    pub fn session_token(&self, expires: i64) -> String {
        format!("{expires}.{}", hex(&self.session_tag(expires)))
    }

    /// Whether `token` is a session token of this admin key that has not expired at `now`.
    pub fn session_valid(&self, token: &str, now: i64) -> bool {
        let Some((expires, tag)) = token.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        let expected = hex(&self.session_tag(expires));
        expires > now && bool::from(expected.as_bytes().ct_eq(tag.as_bytes()))
    }

    fn session_tag(&self, expires: i64) -> [u8; 32] {
        let mut h = Blake2b256::new();
        h.update(b"sairen-dashboard-session\0");
        h.update(self.digest);
        h.update(expires.to_be_bytes());
        h.finalize().into()
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, AuthError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?;
    let text = value.to_str().map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = text.trim().split_once(' ').ok_or(AuthError::Missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token.to_owned())
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("hub state not configured".into()))
}

/// An authenticated rig: a handler that takes one runs only for an active rig's valid key.
#[derive(Debug, Clone)]
pub struct RigAuth {
    /// The rig the key belongs to.
    pub rig_id: RigId,
}

impl FromRequest for RigAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let token = bearer_token(req);
        let claimed = req
            .headers()
            .get("X-Rig-ID")
            .map(|v| v.to_str().unwrap_or("<not text>").to_owned());
        Box::pin(async move {
            let state = state?;
            let key = ApiKey::parse(&token?)?;
            let rig_id = match state.keys.trusted(&key) {
                Some(rig_id) => rig_id,
                None => web::block(move || state.keys.authenticate(&state.pool, &key)).await??,
            };
            if let Some(claimed) = claimed.filter(|c| c != rig_id.as_str()) {
                return Err(AuthError::RigMismatch {
                    claimed,
                    key_rig: rig_id.to_string(),
                }
                .into());
            }
            Ok(RigAuth { rig_id })
        })
    }
}

/// The fleet administrator, authenticated by `Authorization: Bearer <SAIREN_ADMIN_KEY>`.
#[derive(Debug, Clone, Copy)]
pub struct AdminAuth;

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(AdminAuth::from_bearer(req))
    }
}

impl AdminAuth {
    /// The admin key from `Authorization: Bearer`, checked (shared with the dashboard, which also
    /// takes its session cookie).
    pub fn from_bearer(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = app_state(req)?;
        let token = bearer_token(req)?;
        if state.admin_key.matches(&token) {
            Ok(AdminAuth)
        } else if token.starts_with(KEY_PREFIX) {
            Err(AuthError::RigKeyOnAdminEndpoint.into())
        } else {
            Err(AuthError::WrongAdminKey.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_and_keep_their_halves() {
        let key = ApiKey::generate();
        let text = key.reveal();
        assert!(text.expose().starts_with("sk-fleet-"));
        let parsed = ApiKey::parse(text.expose()).expect("own format");
        assert_eq!(parsed.key_id(), key.key_id());
        assert_ne!(
            ApiKey::generate().key_id(),
            key.key_id(),
            "key ids are random"
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good = ApiKey::generate().reveal().expose().to_owned();
        let bad = [
            "",
            "sk-fleet-",
            "sk-fleet-abc",
            &good.replace("sk-fleet-", "sk-other-"),
            &good.replace('.', ""),
            &good.to_uppercase(),
            &format!("{good}0"),
        ];
        for b in bad {
            assert!(
                matches!(ApiKey::parse(b), Err(AuthError::Malformed)),
                "{b:?}"
            );
        }
    }

    #[test]
    fn hashes_verify_only_their_own_secret() {
        let key = ApiKey::generate();
        let phc = key.hash().expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(
            !phc.contains(key.secret.expose()),
            "the hash must not contain the secret"
        );
        assert!(key.verify(&phc).expect("verify"));
        assert!(!ApiKey::generate().verify(&phc).expect("verify"));
    }

    #[test]
    fn reused_memory_verifies_as_argon2_itself_does() {
        use argon2::PasswordVerifier;
        let (a, b) = (ApiKey::generate(), ApiKey::generate());
        let (ha, hb) = (a.hash().expect("hash"), b.hash().expect("hash"));
        let mut memory = Vec::new();
        for (key, phc, right) in [
            (&a, &ha, true),
            (&b, &ha, false),
            (&b, &hb, true),
            (&a, &hb, false),
        ] {
            let ours = key.verify_with_memory(phc, &mut memory).expect("verify");
            let theirs = Argon2::default()
                .verify_password(
                    key.secret.0.as_bytes(),
                    &PasswordHash::new(phc).expect("phc"),
                )
                .is_ok();
            assert_eq!((ours, theirs), (right, right));
        }
        assert_eq!(memory.len(), 19 * 1024, "19 MiB of 1 KiB blocks, kept");
        assert!(a
            .verify_with_memory("$argon2id$v=19$m=19456,t=2,p=1$bad", &mut memory)
            .is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let key = ApiKey::generate();
        let debug = format!("{key:?} {:?}", key.reveal());
        assert!(!debug.contains(key.secret.expose()), "{debug}");
    }

    #[test]
    fn session_tokens_expire_and_belong_to_one_admin_key() {
        let admin = AdminKey::new(&Secret::new("correct horse battery staple")).expect("key");
        let other = AdminKey::new(&Secret::new("another admin key entirely")).expect("key");
        let token = admin.session_token(1_000);
        assert!(admin.session_valid(&token, 999));
        assert!(!admin.session_valid(&token, 1_000), "expired at its expiry");
        assert!(!other.session_valid(&token, 999), "another key's session");
        let forged = token.replacen("1000.", "9999.", 1);
        assert!(
            !admin.session_valid(&forged, 999),
            "expiry moved without the key"
        );
        for junk in ["", ".", "1000", "abc.def", "1000.zz"] {
            assert!(!admin.session_valid(junk, 0), "{junk:?}");
        }
    }

    #[test]
    fn admin_key_matches_exactly() {
        let admin =
            AdminKey::new(&Secret::new("correct horse battery staple")).expect("long enough");
        assert!(admin.matches("correct horse battery staple"));
        assert!(!admin.matches("correct horse battery stapl"));
        assert!(!admin.matches(""));
        assert!(AdminKey::new(&Secret::new("short")).is_err());
    }
}
