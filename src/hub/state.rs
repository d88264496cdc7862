//! What every request handler shares.

use super::auth::{AdminKey, KeyVerifier};
use super::curator::thread::CuratorWake;
use super::db::DbPool;
use super::intake::IntakeRules;
use super::sync_log::SyncLog;
use super::watch::HubWatch;
use std::sync::Arc;

/// The hub's shared state: no state of its own beyond caches (DESIGN §9).
pub struct AppState {
    /// PostgreSQL.
    pub pool: DbPool,
    /// Rig key checks and their cache.
    pub keys: Arc<KeyVerifier>,
    /// The administrator's key.
    pub admin_key: AdminKey,
    /// Limits and rules for uploads.
    pub intake: IntakeRules,
    /// Wakes the curator when an event or outcome arrives.
    pub curator: CuratorWake,
    /// Active-episode totals remembered by library version.
    pub library_totals: super::api::library::TotalsByVersion,
    /// What other hub processes changed: decides which caches still hold.
    pub watch: Arc<HubWatch>,
    /// Answered syncs, written off the request path.
    pub sync_log: SyncLog,
}
