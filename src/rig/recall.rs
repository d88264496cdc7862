//! Precedent recall (DESIGN §4, §6): the fleet's episodes (and this rig's own) as points in feature
//! space, searched by category and campaign for the ones nearest to what the rig sees now. It is
//! the rig's [`KnowledgeStore`]: a query takes microseconds and never waits — a new library is
//! built off the packet path and swapped in whole.

use crate::drilling::{AnomalyCategory, Campaign, PrecedentRef};
use crate::fleet::features::{distance2, features, Features};
use crate::fleet::{outcome_value, resolution_summary, EventOutcome, FleetEpisode, RigId};
use crate::rig::advisories::AdvisoryRecord;
use crate::rig::pipeline::knowledge::{KnowledgeStore, PrecedentQuery};
use instant_distance::{Builder, HnswMap, Search};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// Most episodes a rig holds (the best scores are kept).
pub const MAX_EPISODES: usize = 10_000;
/// Most episodes of one category and campaign a rig holds (the best scores are kept): beyond a few
/// thousand precedents of one kind more add little, and it bounds the exact scan's worst case
/// (p99 under 50 µs, `cargo bench --bench recall`).
pub const MAX_PER_GROUP: usize = 5_000;

/// Episodes of one category in one campaign: precedents are only ever looked for within one.
pub type Group = (AnomalyCategory, Campaign);

/// A way to find the nearest episodes of a group.
pub trait PrecedentIndex: Send + Sync {
    /// Up to `k` episodes of `group` nearest to `q`, nearest first: (position in the library,
    /// squared distance).
    fn nearest(&self, group: Group, q: &Features, k: usize) -> Vec<(usize, f32)>;
    /// What it is, for logs and benchmarks.
    fn name(&self) -> &'static str;
}

/// Lanes a point is padded to, so the distance loop vectorises (13 features, 16 lanes).
const LANES: usize = 16;

fn padded(f: &Features) -> [f32; LANES] {
    let mut out = [0.0; LANES];
    out[..f.len()].copy_from_slice(f);
    out
}

/// Squared distance over lanes `from..from + LANES / 2`, as four independent partial sums (one
/// per SIMD lane): float addition cannot be reordered by the compiler, so the lanes are explicit.
#[inline(always)]
fn partial(p: &[f32; LANES], q: &[f32; LANES], from: usize) -> f32 {
    let mut acc = [0.0f32; 4];
    for chunk in 0..LANES / 8 {
        for (lane, a) in acc.iter_mut().enumerate() {
            let x = p[from + chunk * 4 + lane] - q[from + chunk * 4 + lane];
            *a += x * x;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Every point of the group measured: exact, and at a few thousand points per group the fastest.
#[derive(Default)]
pub struct ExactIndex {
    groups: HashMap<Group, (Vec<[f32; LANES]>, Vec<usize>)>,
}

impl ExactIndex {
    /// An index over `points` (library position, group, features).
    pub fn build(points: impl IntoIterator<Item = (usize, Group, Features)>) -> Self {
        let mut groups: HashMap<Group, (Vec<[f32; LANES]>, Vec<usize>)> = HashMap::new();
        for (i, g, f) in points {
            let e = groups.entry(g).or_default();
            e.0.push(padded(&f));
            e.1.push(i);
        }
        Self { groups }
    }
}

impl PrecedentIndex for ExactIndex {
    fn nearest(&self, group: Group, q: &Features, k: usize) -> Vec<(usize, f32)> {
        let Some((points, ids)) = self.groups.get(&group) else {
            return Vec::new();
        };
        let q = padded(q);
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
        let mut worst = f32::INFINITY;
        for (p, id) in points.iter().zip(ids) {
            let d = partial(p, &q, 0) + partial(p, &q, LANES / 2);
            if best.len() < k || d < worst {
                let at = best.partition_point(|(_, bd)| *bd <= d);
                best.insert(at, (*id, d));
                best.truncate(k);
                if best.len() == k {
                    worst = best[k - 1].1;
                }
            }
        }
        best
    }

    fn name(&self) -> &'static str {
        "exact"
    }
}

/// A point for instant-distance.
#[derive(Clone, Copy, Debug)]
struct Point(Features);

impl instant_distance::Point for Point {
    fn distance(&self, other: &Self) -> f32 {
        distance2(&self.0, &other.0).sqrt()
    }
}

/// One HNSW graph per group (instant-distance).
pub struct HnswIndex {
    groups: HashMap<Group, HnswMap<Point, usize>>,
}

impl HnswIndex {
    /// Search breadth: wide enough for recall@5 ≥ 0.95 (see `benches/recall.rs`).
    pub const EF_SEARCH: usize = 48;

    /// An index over `points` searched with [`HnswIndex::EF_SEARCH`].
    pub fn build(points: impl IntoIterator<Item = (usize, Group, Features)>) -> Self {
        Self::build_with(points, Self::EF_SEARCH)
    }

    /// An index over `points` searched `ef_search` wide; deterministic for its seed (on one build
    /// thread count).
    pub fn build_with(
        points: impl IntoIterator<Item = (usize, Group, Features)>,
        ef_search: usize,
    ) -> Self {
        let mut by_group: HashMap<Group, (Vec<Point>, Vec<usize>)> = HashMap::new();
        for (i, g, f) in points {
            let e = by_group.entry(g).or_default();
            e.0.push(Point(f));
            e.1.push(i);
        }
        let groups = by_group
            .into_iter()
            .map(|(g, (points, ids))| {
                let map = Builder::default()
                    .ef_construction(100)
                    .ef_search(ef_search)
                    .seed(7)
                    .build(points, ids);
                (g, map)
            })
            .collect();
        Self { groups }
    }
}

impl PrecedentIndex for HnswIndex {
    fn nearest(&self, group: Group, q: &Features, k: usize) -> Vec<(usize, f32)> {
        let Some(map) = self.groups.get(&group) else {
            return Vec::new();
        };
        let mut search = Search::default();
        map.search(&Point(*q), &mut search)
            .take(k)
            .map(|item| (*item.value, item.distance * item.distance))
            .collect()
    }

    fn name(&self) -> &'static str {
        "hnsw"
    }
}

/// Groups at least this large get an HNSW graph; smaller ones are scanned. `cargo bench --bench
/// recall` chose this: up to 10,000 points in one group the exact scan answers in ≤ ~70 µs p99 with
/// recall 1.0, while instant-distance's graph reached recall@5 0.91 at best (0.85–0.99 across
/// sizes and widths) for a latency gain only from 10,000 points on. Under [`MAX_EPISODES`] no group
/// reaches it; a larger cap would.
pub const HNSW_FROM: usize = 50_000;

/// Exact scans for small groups, HNSW for large ones.
pub struct AutoIndex {
    exact: ExactIndex,
    hnsw: HnswIndex,
    large: HashSet<Group>,
}

impl AutoIndex {
    /// Split `points` by group size.
    pub fn build(points: Vec<(usize, Group, Features)>) -> Self {
        let mut sizes: HashMap<Group, usize> = HashMap::new();
        for (_, g, _) in &points {
            *sizes.entry(*g).or_default() += 1;
        }
        let large: HashSet<Group> = sizes
            .into_iter()
            .filter(|(_, n)| *n >= HNSW_FROM)
            .map(|(g, _)| g)
            .collect();
        let (big, small): (Vec<_>, Vec<_>) =
            points.into_iter().partition(|(_, g, _)| large.contains(g));
        Self {
            exact: ExactIndex::build(small),
            hnsw: HnswIndex::build(big),
            large,
        }
    }
}

impl PrecedentIndex for AutoIndex {
    fn nearest(&self, group: Group, q: &Features, k: usize) -> Vec<(usize, f32)> {
        if self.large.contains(&group) {
            self.hnsw.nearest(group, q, k)
        } else {
            self.exact.nearest(group, q, k)
        }
    }

    fn name(&self) -> &'static str {
        "auto"
    }
}

/// An episode's point: its key metrics at the middle of its depth range.
pub fn episode_point(e: &FleetEpisode) -> Features {
    features(
        &e.key_metrics,
        Some((e.depth_from_ft + e.depth_to_ft) / 2.0),
    )
}

/// A library the rig can search: the episodes, an index over them, and the changes since the
/// index was built (added ones scanned exactly beside it, removed ones filtered out).
pub struct Library {
    /// The library version these episodes come from (0 = none yet).
    pub version: i64,
    episodes: Vec<FleetEpisode>,
    index: Arc<dyn PrecedentIndex>,
    indexed: usize,
    removed: HashSet<String>,
}

impl Library {
    /// An empty library.
    pub fn empty() -> Self {
        Self {
            version: 0,
            episodes: Vec::new(),
            index: Arc::new(ExactIndex::default()),
            indexed: 0,
            removed: HashSet::new(),
        }
    }

    /// A library over `episodes`, capped at [`MAX_EPISODES`] and [`MAX_PER_GROUP`] by score, fully
    /// indexed.
    pub fn build(version: i64, mut episodes: Vec<FleetEpisode>) -> Self {
        episodes.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut per_group: HashMap<Group, usize> = HashMap::new();
        episodes.retain(|e| {
            let n = per_group.entry((e.category, e.campaign)).or_default();
            *n += 1;
            *n <= MAX_PER_GROUP
        });
        episodes.truncate(MAX_EPISODES);
        let points = episodes
            .iter()
            .enumerate()
            .map(|(i, e)| (i, (e.category, e.campaign), episode_point(e)))
            .collect();
        let index: Arc<dyn PrecedentIndex> = Arc::new(AutoIndex::build(points));
        Self {
            version,
            indexed: episodes.len(),
            episodes,
            index,
            removed: HashSet::new(),
        }
    }

    /// This library with `added` episodes (scanned exactly until the next build) and `removed` ids
    /// dropped; the index is shared, not rebuilt. An episode sent again replaces its old copy.
    pub fn with_changes(&self, version: i64, added: Vec<FleetEpisode>, removed: &[String]) -> Self {
        let replaced: HashSet<&str> = added.iter().map(|e| e.id.as_str()).collect();
        let dead = |id: &str| replaced.contains(id) || removed.iter().any(|r| r == id);
        // `self.removed` only ever filters indexed positions: extras are simply dropped.
        let mut gone = self.removed.clone();
        gone.extend(
            self.episodes[..self.indexed]
                .iter()
                .filter(|e| dead(&e.id))
                .map(|e| e.id.clone()),
        );
        let mut episodes: Vec<FleetEpisode> = self.episodes[..self.indexed].to_vec();
        episodes.extend(
            self.episodes[self.indexed..]
                .iter()
                .filter(|e| !dead(&e.id))
                .cloned(),
        );
        episodes.extend(added);
        Self {
            version,
            episodes,
            index: self.index.clone(),
            indexed: self.indexed,
            removed: gone,
        }
    }

    /// Every live episode (for the snapshot on disk and a rebuild).
    pub fn live(&self) -> impl Iterator<Item = &FleetEpisode> {
        self.episodes
            .iter()
            .enumerate()
            .filter(|(i, e)| *i >= self.indexed || !self.removed.contains(&e.id))
            .map(|(_, e)| e)
    }

    /// How many live episodes.
    pub fn len(&self) -> usize {
        self.live().count()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Episodes added since the index was built.
    pub fn unindexed(&self) -> usize {
        self.episodes.len() - self.indexed
    }

    /// The `k` nearest live episodes of `group` to `q`, nearest first.
    pub fn nearest(&self, group: Group, q: &Features, k: usize) -> Vec<(&FleetEpisode, f32)> {
        // Ask the index for spares: some of its answers may have been removed since.
        let spare = k + self.removed.len().min(32);
        let mut found: Vec<(usize, f32)> = self
            .index
            .nearest(group, q, spare)
            .into_iter()
            .filter(|(i, _)| !self.removed.contains(&self.episodes[*i].id))
            .collect();
        for (i, e) in self.episodes.iter().enumerate().skip(self.indexed) {
            if (e.category, e.campaign) == group {
                found.push((i, distance2(q, &episode_point(e))));
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(k);
        found
            .into_iter()
            .map(|(i, d)| (&self.episodes[i], d))
            .collect()
    }
}

/// The precedent a rig makes of its own acknowledged advisory (the hub sends a rig only the other
/// rigs' episodes): scored by its outcome alone, as the rig knows nothing of the fleet's library.
pub fn local_episode(rig: &RigId, field: &str, record: &AdvisoryRecord) -> Option<FleetEpisode> {
    let ack = record.acknowledgment.as_ref()?;
    let depth = record.depth_ft.unwrap_or(0.0);
    let mut episode = FleetEpisode {
        id: record.id.to_string(),
        rig_id: rig.clone(),
        field: field.to_owned(),
        category: record.advisory.category,
        campaign: record.campaign.unwrap_or(Campaign::Production),
        depth_from_ft: depth,
        depth_to_ft: depth,
        risk_level: record.advisory.risk_level,
        severity: record.advisory.severity,
        outcome: ack.outcome.clone(),
        resolution_summary: String::new(),
        notes: ack.notes.clone(),
        score: outcome_value(&ack.outcome),
        key_metrics: record.key_metrics.clone().unwrap_or_default(),
        timestamp: record.advisory.timestamp,
    };
    episode.resolution_summary = resolution_summary(&episode);
    Some(episode)
}

/// The rig's precedent store: the current library behind a lock held only to clone an `Arc`,
/// and the rig's own precedents, laid over every library that comes in.
pub struct Recall {
    current: RwLock<Arc<Library>>,
    local: RwLock<Vec<FleetEpisode>>,
}

impl Default for Recall {
    fn default() -> Self {
        Self::new(Library::empty())
    }
}

impl Recall {
    /// A store starting with `library`.
    pub fn new(library: Library) -> Self {
        Self {
            current: RwLock::new(Arc::new(library)),
            local: RwLock::new(Vec::new()),
        }
    }

    /// Add one of the rig's own precedents (kept across library swaps).
    pub fn add_local(&self, episode: FleetEpisode) {
        {
            let mut local = self.local.write().unwrap_or_else(|p| p.into_inner());
            local.retain(|e| e.id != episode.id);
            local.push(episode.clone());
        }
        let current = self.library();
        let next = current.with_changes(current.version, vec![episode], &[]);
        self.store(next);
    }

    fn store(&self, library: Library) {
        let library = Arc::new(library);
        match self.current.write() {
            Ok(mut l) => *l = library,
            Err(p) => *p.into_inner() = library,
        }
    }

    /// The library in use.
    pub fn library(&self) -> Arc<Library> {
        self.current
            .read()
            .map(|l| l.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Put `library` in use, at once and whole, with the rig's own precedents laid over it.
    pub fn swap(&self, library: Library) {
        let local = self
            .local
            .read()
            .map(|l| l.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        let library = if local.is_empty() {
            library
        } else {
            library.with_changes(library.version, local, &[])
        };
        self.store(library);
    }
}

impl KnowledgeStore for Recall {
    fn query(&self, q: &PrecedentQuery) -> Vec<PrecedentRef> {
        let library = self.library();
        let point = features(&q.metrics, q.depth_ft);
        // The nearest few, then the ones that worked first: a resolved precedent with a good score
        // is worth more to the driller than a slightly nearer pending one.
        let mut found: Vec<(&FleetEpisode, f64)> = library
            .nearest((q.category, q.campaign), &point, q.limit * 3)
            .into_iter()
            .map(|(e, d2)| (e, 1.0 / (1.0 + f64::from(d2).sqrt())))
            .collect();
        found.sort_by(|a, b| {
            let rank = |(e, sim): &(&FleetEpisode, f64)| {
                sim * (0.5 + 0.5 * e.score)
                    * if matches!(e.outcome, EventOutcome::Resolved { .. }) {
                        1.0
                    } else {
                        0.6
                    }
            };
            rank(b).total_cmp(&rank(a))
        });
        found
            .into_iter()
            .take(q.limit)
            .map(|(e, similarity)| PrecedentRef {
                episode_id: e.id.clone(),
                rig_id: e.rig_id.to_string(),
                summary: e.resolution_summary.clone(),
                similarity,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::RiskLevel;
    use crate::fleet::{EpisodeMetrics, RigId};
    use chrono::Utc;

    fn episode(id: &str, category: AnomalyCategory, torque: f64, action: &str) -> FleetEpisode {
        FleetEpisode {
            id: id.into(),
            rig_id: RigId::parse("RIG-A").expect("rig"),
            field: "F".into(),
            category,
            campaign: Campaign::Production,
            depth_from_ft: 12_000.0,
            depth_to_ft: 12_000.0,
            risk_level: RiskLevel::High,
            severity: 0.5,
            outcome: EventOutcome::Resolved {
                action_taken: action.into(),
            },
            resolution_summary: format!("RIG-A at 12,000 ft, pack-off, resolved: {action}"),
            notes: None,
            score: 0.8,
            key_metrics: EpisodeMetrics {
                torque_kftlbf: Some(torque),
                ..EpisodeMetrics::default()
            },
            timestamp: Utc::now(),
        }
    }

    fn query(category: AnomalyCategory, torque: f64) -> PrecedentQuery {
        PrecedentQuery {
            category,
            campaign: Campaign::Production,
            depth_ft: Some(12_000.0),
            metrics: EpisodeMetrics {
                torque_kftlbf: Some(torque),
                ..EpisodeMetrics::default()
            },
            limit: 2,
        }
    }

    #[test]
    fn recall_finds_the_nearest_of_the_category_and_cites_the_action() {
        let recall = Recall::new(Library::build(
            3,
            vec![
                episode("a", AnomalyCategory::PackOff, 18.0, "reduced WOB 5 klbf"),
                episode("b", AnomalyCategory::PackOff, 9.0, "circulated"),
                episode("c", AnomalyCategory::Kick, 18.0, "shut in"),
            ],
        ));
        let got = recall.query(&query(AnomalyCategory::PackOff, 17.5));
        assert_eq!(got[0].episode_id, "a");
        assert!(got[0].summary.contains("reduced WOB 5 klbf"));
        assert!(
            got.iter().all(|p| p.episode_id != "c"),
            "other categories never"
        );
        assert!(recall
            .query(&query(AnomalyCategory::Washout, 1.0))
            .is_empty());
    }

    #[test]
    fn the_library_keeps_the_best_scores_within_its_caps() {
        let mut many: Vec<FleetEpisode> = (0..MAX_PER_GROUP + 10)
            .map(|i| {
                let mut e = episode(&format!("k{i}"), AnomalyCategory::Kick, 1.0, "x");
                e.score = i as f64 / 10_000.0;
                e
            })
            .collect();
        many.push(episode("p", AnomalyCategory::PackOff, 1.0, "x"));
        let lib = Library::build(1, many);
        assert_eq!(lib.len(), MAX_PER_GROUP + 1);
        assert!(lib.live().all(|e| e.id != "k0"), "the lowest scores go");
        assert!(lib.live().any(|e| e.id == "p"), "other groups keep theirs");
    }

    #[test]
    fn the_rigs_own_precedents_survive_a_new_library() {
        let recall = Recall::default();
        recall.add_local(episode("own", AnomalyCategory::PackOff, 18.0, "our fix"));
        recall.swap(Library::build(
            9,
            vec![episode("fleet", AnomalyCategory::PackOff, 9.0, "their fix")],
        ));
        let got = recall.query(&query(AnomalyCategory::PackOff, 18.0));
        let ids: Vec<&str> = got.iter().map(|p| p.episode_id.as_str()).collect();
        assert_eq!(ids, vec!["own", "fleet"]);
        assert_eq!(recall.library().version, 9);
    }

    #[test]
    fn changes_apply_beside_the_index_until_the_next_build() {
        let base = Library::build(
            1,
            vec![
                episode("a", AnomalyCategory::PackOff, 18.0, "one"),
                episode("b", AnomalyCategory::PackOff, 9.0, "two"),
            ],
        );
        let next = base.with_changes(
            2,
            vec![
                episode("c", AnomalyCategory::PackOff, 17.9, "three"),
                episode("b", AnomalyCategory::PackOff, 9.0, "two, revised"),
            ],
            &["a".to_string()],
        );
        assert_eq!(next.len(), 2);
        assert_eq!(next.unindexed(), 2);
        let q = features(
            &EpisodeMetrics {
                torque_kftlbf: Some(18.0),
                ..EpisodeMetrics::default()
            },
            Some(12_000.0),
        );
        let found = next.nearest((AnomalyCategory::PackOff, Campaign::Production), &q, 5);
        let ids: Vec<&str> = found.iter().map(|(e, _)| e.id.as_str()).collect();
        assert_eq!(ids, vec!["c", "b"], "a removed, b replaced once");
        assert!(found[1].0.resolution_summary.contains("revised"));
        let later = next.with_changes(3, vec![], &["c".to_string()]);
        assert_eq!(later.len(), 1);
    }

    #[test]
    fn the_exact_and_hnsw_indexes_agree_on_clear_neighbours() {
        let points: Vec<(usize, Group, Features)> = (0..2_000)
            .map(|i| {
                let mut f = [0.0f32; crate::fleet::features::DIM];
                f[0] = i as f32 / 100.0;
                f[1] = (i % 7) as f32 / 10.0;
                (i, (AnomalyCategory::Kick, Campaign::Production), f)
            })
            .collect();
        let exact = ExactIndex::build(points.clone());
        let hnsw = HnswIndex::build(points.clone());
        let g = (AnomalyCategory::Kick, Campaign::Production);
        let mut hits = 0;
        for (_, _, q) in points.iter().step_by(97) {
            let a: HashSet<usize> = exact.nearest(g, q, 5).into_iter().map(|(i, _)| i).collect();
            let b: HashSet<usize> = hnsw.nearest(g, q, 5).into_iter().map(|(i, _)| i).collect();
            hits += a.intersection(&b).count();
        }
        let total = 5 * points.iter().step_by(97).count();
        assert!(hits * 100 >= total * 95, "recall@5 {hits}/{total}");
    }
}
