//! The curator: turns uploaded events into the scored, de-duplicated precedent library (DESIGN §5).
//!
//! The rules live here as pure functions (scoring, the dedup window, building and merging
//! episodes) so they can be checked by hand; the database pass applies them.

pub mod episode;
pub mod pass;
pub mod scoring;
pub mod thread;

use chrono::Duration;

/// Every threshold and weight the curator uses; defaults are DESIGN §5's.
#[derive(Debug, Clone)]
pub struct CuratorSettings {
    /// Two events of one rig and category within this depth of each other are one episode.
    pub dedup_depth_ft: f64,
    /// …and within this time of each other.
    pub dedup_window: Duration,
    /// Recency decays as `e^(−age_days / recency_decay_days)`.
    pub recency_decay_days: f64,
    /// Episodes older than this are archived.
    pub archive_after: Duration,
    /// False positives older than this are archived.
    pub false_positive_archive_after: Duration,
    /// Pending episodes older than this drop to `stale_pending_score`.
    pub pending_stale_after: Duration,
    /// The score of a stale pending episode.
    pub stale_pending_score: f64,
    /// Above this many active episodes, the lowest scores are archived.
    pub max_active_episodes: i64,
    /// Tombstones (archived episodes) are kept this long for delta syncs, then purged.
    pub tombstone_retention: Duration,
    /// Rows of `sync_log` are kept this long, then deleted.
    pub sync_log_retention: Duration,
    /// Audit entries older than this are removed behind a checkpoint; `None`: kept for ever.
    pub audit_retention: Option<Duration>,
}

impl Default for CuratorSettings {
    fn default() -> Self {
        Self {
            dedup_depth_ft: 100.0,
            dedup_window: Duration::minutes(10),
            recency_decay_days: 180.0,
            archive_after: Duration::days(365),
            false_positive_archive_after: Duration::days(90),
            pending_stale_after: Duration::days(30),
            stale_pending_score: 0.05,
            max_active_episodes: 50_000,
            tombstone_retention: Duration::days(90),
            sync_log_retention: Duration::days(30),
            audit_retention: None,
        }
    }
}
