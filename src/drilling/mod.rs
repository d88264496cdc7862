//! The domain vocabulary both the rig and the hub speak.
//!
//! Nothing here knows about HTTP, PostgreSQL or files: these are the words of drilling.

mod advisory;
pub mod bounded;
mod campaign;
mod category;
mod channel;
mod format;
mod metrics;
mod packet;
pub mod readings;
mod risk;

pub use advisory::{
    AdvisorySource, PhysicsEvidence, PrecedentRef, SpecialistVote, StrategicAdvisory,
};
pub use campaign::Campaign;
pub use category::{AnomalyCategory, CategoryGroup};
pub use channel::Channel;
pub use format::{capitalise, duration_words, duration_words_rounded, thousands, Thousands};
pub use metrics::{DrillingMetrics, RigState};
pub use packet::WitsPacket;
pub use risk::RiskLevel;
