//! Phase 8: what the fleet (and this rig) already lived through. The pipeline asks a
//! [`KnowledgeStore`]; fleet recall (HNSW over the synced library) implements it with the rig–hub
//! link, and [`NoopStore`] serves a rig that has no library.

use crate::drilling::{AnomalyCategory, Campaign, PrecedentRef};
use crate::fleet::EpisodeMetrics;

/// What the pipeline asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecedentQuery {
    /// The trouble.
    pub category: AnomalyCategory,
    /// The campaign the rig is on.
    pub campaign: Campaign,
    /// Measured depth now, ft.
    pub depth_ft: Option<f64>,
    /// The key metrics now (the similarity features are computed from these).
    pub metrics: EpisodeMetrics,
    /// Most precedents wanted.
    pub limit: usize,
}

/// A source of precedents. It sits on the packet path: an implementation must answer in
/// microseconds and never block on I/O.
pub trait KnowledgeStore: Send + Sync {
    /// The best precedents for `query`, best first.
    fn query(&self, query: &PrecedentQuery) -> Vec<PrecedentRef>;
}

/// A store that knows nothing: advisories carry no precedents.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopStore;

impl KnowledgeStore for NoopStore {
    fn query(&self, _: &PrecedentQuery) -> Vec<PrecedentRef> {
        Vec::new()
    }
}
