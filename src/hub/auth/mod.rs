//! Who may do what on the hub: rig keys (`keys`), checked against the registry and remembered for
//! a while (`verifier`), the administrator's key and dashboard sessions (`admin`), named users and
//! their roles (`users`), and the extractors handlers take (`extract`): a handler that takes
//! `RigAuth`, `AdminAuth` or `DashboardAuth` (or a page's `PageAuth`, whose handler checks the
//! role it needs) runs only for a caller who checked out with at least that role.
//!
//! A rig key is `sk-fleet-<key_id>.<secret>`. The hub stores the key id in clear and only an
//! argon2 hash of the secret, finds the rig by key id (one indexed lookup and at most one hash
//! check per request, however many rigs are registered), and remembers a verified key for
//! `key_cache_secs`. A cached key is trusted without reading the database only while the
//! change watch ([`super::watch`]) vouches that no rig's key or status changed since it was
//! verified, so a revoke in any hub process on the database holds here within one poll of the
//! watch; while the watch is down, every request reads the rig's status row.

mod admin;
mod extract;
mod keys;
mod rate;
mod throttle;
mod users;
mod verifier;

pub use admin::{session_digest, AdminKey, COOKIE, SESSION_HOURS};
pub use extract::{
    session_cookie, AdminAuth, AuthenticatedRig, DashboardAuth, MetricsAuth, PageAuth, RigAuth,
    SignedIn,
};
pub use keys::{RigKey, KEY_PREFIX};
pub use rate::RequestRates;
pub use throttle::FailureThrottle;
pub use users::{
    check_name, check_password, hash_password, password_matches, Caller, Role, MIN_PASSWORD_CHARS,
};
pub use verifier::KeyVerifier;

use super::db::DbError;

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
    /// `X-Rig-ID` sent more than once: which one is meant cannot be told (400).
    #[error("send X-Rig-ID once; it was sent {0} times")]
    RepeatedRigId(usize),
    /// A rig key on an admin endpoint (403).
    #[error("this endpoint needs the admin key; a rig key cannot use it")]
    RigKeyOnAdminEndpoint,
    /// The admin key is wrong (403).
    #[error("admin key not recognised")]
    WrongAdminKey,
    /// Too many wrong secrets for this key id lately (429): not even checked.
    #[error("too many wrong secrets for this key id; try again in {} s", .0.as_secs().max(1))]
    KeyIdThrottled(std::time::Duration),
    /// This rig made too many requests this minute (429).
    #[error("rig {rig} is over its {per_minute} requests a minute; try again in {} s", .wait.as_secs().max(1))]
    RigRateLimited {
        /// The rig.
        rig: String,
        /// Its allowance.
        per_minute: u32,
        /// How long until its next request is taken.
        wait: std::time::Duration,
    },
    /// This user made too many requests this minute (429).
    #[error("user {user} is over their {per_minute} requests a minute; try again in {} s", .wait.as_secs().max(1))]
    UserRateLimited {
        /// The user.
        user: String,
        /// Their allowance.
        per_minute: u32,
        /// How long until their next request is taken.
        wait: std::time::Duration,
    },
    /// A signed-in caller whose role does not allow this (403).
    #[error("{actor} is a{} {role}; this needs the {needed} role", if matches!(role, Role::Admin | Role::Operator) { "n" } else { "" })]
    RoleTooLow {
        /// Who asked (`user ann`).
        actor: String,
        /// Their role.
        role: Role,
        /// The role needed.
        needed: Role,
    },
    /// The database could not be asked (503 or 500).
    #[error(transparent)]
    Db(#[from] DbError),
    /// Hashing failed or a stored hash is unreadable (500).
    #[error("key hashing failed: {0}")]
    Internal(String),
}
