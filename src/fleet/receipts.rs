//! The hub's answers about events: to an upload, a read and an outcome update.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The answer to an upload: 201 `accepted` or 409 `already_exists`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadReceipt {
    /// The event id.
    pub id: String,
    /// `accepted` or `already_exists`.
    pub status: String,
}

/// A stored event as `GET /api/fleet/events/{id}` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The event as uploaded, with its current outcome and notes.
    pub event: serde_json::Value,
    /// When the hub accepted it.
    pub received_at: DateTime<Utc>,
    /// When its outcome last changed, if it did.
    pub outcome_updated_at: Option<DateTime<Utc>>,
    /// Whether the curator has yet to (re)consider it.
    pub needs_curation: bool,
}

/// The answer to an outcome update.
#[derive(Debug, Serialize, Deserialize)]
pub struct OutcomeReceipt {
    /// The event id.
    pub id: String,
    /// Always `updated`.
    pub status: String,
    /// The outcome now stored.
    pub outcome: serde_json::Value,
}
