//! The wire contract between rig and hub: the types both sides send, and the codec they send them with.

pub mod codec;
mod episode;
mod event;
pub mod features;
mod ids;

pub use episode::{EpisodeMetrics, FleetEpisode, LibraryResponse};
pub use event::{EventOutcome, FleetEvent, HistorySnapshot, OutcomeUpdate};
pub use ids::{EventId, IdError, RigId};
