//! Fleet events and outcome updates into the durable queue, for the uploader to send.

use super::queue::{Enqueued, Queue};
use crate::fleet::{EventId, FleetEvent, OutcomeUpdate};
use crate::rig::runner::EventSink;
use serde::Serialize;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the fleet link has done, for `GET /api/v1/fleet`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkStats {
    /// Events queued since start.
    pub enqueued: u64,
    /// The last queue error (a full disk), cleared by the next good write.
    pub queue_error: Option<String>,
    /// Events delivered since start.
    pub delivered: u64,
    /// When the last upload succeeded (RFC 3339).
    pub last_upload: Option<String>,
    /// When the last library sync succeeded.
    pub last_sync: Option<String>,
    /// The library version applied.
    pub library_version: i64,
    /// Episodes in the rig's library.
    pub episodes_loaded: usize,
    /// "up", "down: …", or "not tried yet".
    pub link_state: String,
}

/// The queue shared by the sink, the uploader and the API.
pub type SharedQueue = Arc<Mutex<Queue>>;

/// Lock the queue, recovering from a poisoned lock.
pub fn lock_queue(q: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    q.lock().unwrap_or_else(|p| p.into_inner())
}

/// The sink of a rig with a fleet link.
pub struct QueueSink {
    /// The queue.
    pub queue: SharedQueue,
    /// The link's figures.
    pub stats: Arc<Mutex<LinkStats>>,
}

impl QueueSink {
    fn stats(&self) -> MutexGuard<'_, LinkStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl EventSink for QueueSink {
    fn submit(&mut self, event: FleetEvent) {
        let result = lock_queue(&self.queue).enqueue(&event);
        let mut stats = self.stats();
        match result {
            Ok(Enqueued::Queued | Enqueued::QueuedEvicting(_)) => {
                stats.enqueued += 1;
                stats.queue_error = None;
            }
            Ok(Enqueued::AlreadyQueued | Enqueued::DroppedAsLeastImportant) => {}
            Err(e) => {
                if stats.queue_error.is_none() {
                    log::error!(
                        "{e}: event {} is not queued for the hub (it stays in the advisory log); free disk space under the data directory",
                        event.id
                    );
                }
                stats.queue_error = Some(e.to_string());
            }
        }
    }

    fn outcome(&mut self, id: &EventId, update: OutcomeUpdate) {
        if let Err(e) = lock_queue(&self.queue).enqueue_outcome(id, &update) {
            log::error!("{e}: the outcome of {id} is not queued for the hub");
            self.stats().queue_error = Some(e.to_string());
        }
    }

    fn describe(&self) -> String {
        let q = lock_queue(&self.queue);
        format!(
            "fleet link: {} events queued, {} dead letters, link {}",
            q.len(),
            q.dead_letters(),
            self.stats().link_state
        )
    }

    fn status(&self) -> serde_json::Value {
        let (depth, dead, evictions, quarantined) = {
            let q = lock_queue(&self.queue);
            (
                q.len(),
                q.dead_letters(),
                q.evictions,
                q.quarantined.clone(),
            )
        };
        let stats = self.stats().clone();
        serde_json::json!({
            "enabled": true,
            "queue_depth": depth,
            "dead_letters": dead,
            "evictions": evictions,
            "quarantined_at_start": quarantined,
            "stats": stats,
        })
    }
}
