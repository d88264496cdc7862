//! Fleet events and outcome updates into the durable queue, for the uploader to send.

use super::queue::{Enqueued, Queue};
use crate::fleet::{EventId, FleetEvent, OutcomeUpdate};
use crate::rig::core::EventSink;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// The link to the hub as the uploader and the library sync last found it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LinkState {
    /// Nothing sent yet.
    #[default]
    NotTried,
    /// The last request reached the hub.
    Up,
    /// The last request failed, with why.
    Down(String),
}

impl fmt::Display for LinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTried => f.write_str("not tried yet"),
            Self::Up => f.write_str("up"),
            Self::Down(why) => write!(f, "down: {why}"),
        }
    }
}

/// On the wire as its one-line description ("up", "down: …"): what `GET /api/v1/fleet` sent.
impl Serialize for LinkState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read back from its description, for tools that read `GET /api/v1/fleet`.
impl<'de> Deserialize<'de> for LinkState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "up" => Self::Up,
            "not tried yet" => Self::NotTried,
            other => Self::Down(other.strip_prefix("down: ").unwrap_or(other).to_owned()),
        })
    }
}

/// The fleet link as `GET /api/v1/fleet` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetStatus {
    /// Whether the rig has a fleet link.
    pub enabled: bool,
    /// Without a link: what happens to events instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// With a link: its queue and figures.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkStatus>,
}

impl FleetStatus {
    /// A rig without a fleet link.
    pub fn off(detail: String) -> Self {
        Self {
            enabled: false,
            detail: Some(detail),
            link: None,
        }
    }
}

/// The queue and the link's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkStatus {
    /// Events waiting for upload.
    pub queue_depth: usize,
    /// Events and outcomes the hub refused for good.
    pub dead_letters: usize,
    /// Events evicted by the queue bound.
    pub evictions: u64,
    /// Files quarantined at start, with why.
    pub quarantined_at_start: Vec<String>,
    /// The link's figures.
    pub stats: LinkStats,
}

/// What the fleet link has done, for `GET /api/v1/fleet`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// The link as last found.
    pub link_state: LinkState,
    /// How far this rig's clock is ahead of the hub's (negative: behind), seconds, from the
    /// hub's `Date` header at the last answer; `None` before any.
    #[serde(default)]
    pub clock_offset_secs: Option<f64>,
    /// Events re-stamped after the rig's clock was stepped while they were queued.
    #[serde(default)]
    pub restamped: u64,
    /// Heartbeats the hub stored since start.
    #[serde(default)]
    pub heartbeats_sent: u64,
    /// When the hub last stored one (RFC 3339).
    #[serde(default)]
    pub last_heartbeat: Option<String>,
    /// What the fleet warns this rig's region of, as the hub's last heartbeat answer said.
    #[serde(default)]
    pub notices: Vec<crate::fleet::FleetNotice>,
    /// What offset rigs of this field drilled fastest, as the hub last said (kept on disk).
    #[serde(default)]
    pub offsets: crate::fleet::insights::Offsets,
    /// The newest insights report the hub has taken.
    #[serde(default)]
    pub insights_sent: Option<u64>,
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

    fn status(&self) -> FleetStatus {
        let stats = self.stats().clone();
        let q = lock_queue(&self.queue);
        FleetStatus {
            enabled: true,
            detail: None,
            link: Some(LinkStatus {
                queue_depth: q.len(),
                dead_letters: q.dead_letters(),
                evictions: q.evictions,
                quarantined_at_start: q.quarantined.clone(),
                stats,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_states_read_back_from_their_wire_text() {
        for state in [
            LinkState::NotTried,
            LinkState::Up,
            LinkState::Down("hub answered 503".into()),
        ] {
            let json = serde_json::to_value(&state).expect("json");
            assert_eq!(json, serde_json::json!(state.to_string()));
            let back: LinkState = serde_json::from_value(json).expect("back");
            assert_eq!(back, state);
        }
    }
}
