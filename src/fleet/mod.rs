//! The wire contract between rig and hub: the types both sides send, and the codec they send them with.

pub mod codec;
mod episode;
mod event;
pub mod features;
mod heartbeat;
mod ids;
pub mod insights;
mod receipts;
mod registry;
pub mod wireguard;

pub use episode::{
    episode_from_event, resolution_summary, EpisodeMetrics, FleetEpisode, LibraryResponse,
};
pub use event::{
    outcome_value, EventOutcome, FleetEvent, HistorySnapshot, IncidentCourse, OutcomeKind,
    OutcomeUpdate, MAX_ATTACHED, MAX_HISTORY,
};
pub use heartbeat::{FleetNotice, Heartbeat, HeartbeatReceipt, OpenIncidents, StreamHealth};
pub use ids::{EventId, IdError, RigId};
pub use receipts::{OutcomeReceipt, StoredEvent, UploadReceipt};
pub use registry::{EventBrief, RegisterRig, RegisteredRig, RigDetail, RigStatus, RigSummary};
