//! Precedent recall: the exact scan and the HNSW graph side by side at 1,000, 10,000 and 100,000
//! points of one group (the worst case: every episode of the same category and campaign), on
//! clustered synthetic feature vectors. Per size: build time, query p50/p99 (k = 5), recall@5 of
//! HNSW against the exact answer. The figures choose `recall::HNSW_FROM`.
//!
//! Run: `cargo bench --bench recall`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sairen::drilling::{AnomalyCategory, Campaign};
use sairen::fleet::features::{Features, DIM};
use sairen::rig::recall::{ExactIndex, Group, HnswIndex, PrecedentIndex};
use std::collections::HashSet;
use std::hint::black_box;
use std::time::Instant;

const GROUP: Group = (AnomalyCategory::PackOff, Campaign::Production);

/// Points around 40 cluster centres (situations that recur), with spread.
fn points(n: usize, rng: &mut StdRng) -> Vec<Features> {
    let centres: Vec<Features> = (0..40)
        .map(|_| std::array::from_fn(|_| rng.random_range(-2.0..2.0)))
        .collect();
    (0..n)
        .map(|_| {
            let c = centres[rng.random_range(0..centres.len())];
            std::array::from_fn(|d| c[d] + rng.random_range(-0.3..0.3))
        })
        .collect()
}

fn quantiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[(v.len() * 99 / 100).min(v.len() - 1)])
}

fn time_queries(index: &dyn PrecedentIndex, queries: &[Features]) -> (f64, f64) {
    let mut times = Vec::with_capacity(queries.len());
    for q in queries {
        let t = Instant::now();
        black_box(index.nearest(GROUP, q, 5));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    quantiles(times)
}

fn main() {
    let mut rng = StdRng::seed_from_u64(42);
    println!(
        "recall, one group, {DIM}-dim features, k = 5, ef_search {}",
        HnswIndex::EF_SEARCH
    );
    println!("| points | ef_search | build exact | build HNSW | exact p50 / p99 | HNSW p50 / p99 | HNSW recall@5 |");
    println!("|---|---|---|---|---|---|---|");
    for (n, ef) in [
        (1_000usize, 48),
        (5_000, 48),
        (10_000, 48),
        (10_000, 128),
        (100_000, 48),
        (100_000, 128),
    ] {
        let pts = points(n, &mut rng);
        let queries: Vec<Features> = points(2_000, &mut rng);
        let tagged = || pts.iter().enumerate().map(|(i, f)| (i, GROUP, *f));
        let t = Instant::now();
        let exact = ExactIndex::build(tagged());
        let build_exact = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let hnsw = HnswIndex::build_with(tagged(), ef);
        let build_hnsw = t.elapsed().as_secs_f64();
        let (e50, e99) = time_queries(&exact, &queries);
        let (h50, h99) = time_queries(&hnsw, &queries);
        let mut hits = 0;
        for q in &queries {
            let truth: HashSet<usize> = exact
                .nearest(GROUP, q, 5)
                .into_iter()
                .map(|(i, _)| i)
                .collect();
            hits += hnsw
                .nearest(GROUP, q, 5)
                .into_iter()
                .filter(|(i, _)| truth.contains(i))
                .count();
        }
        println!(
            "| {n} | {ef} | {:.3} s | {:.2} s | {e50:.1} / {e99:.1} µs | {h50:.1} / {h99:.1} µs | {:.3} |",
            build_exact,
            build_hnsw,
            hits as f64 / (5 * queries.len()) as f64
        );
    }
    // The rig's case: a 10,000-episode library spread over every category and campaign (shares
    // as a fleet would see them: kicks and pack-offs common, twist-offs rare), searched in the
    // group of the advisory, through the rig's own choice of index.
    let groups: Vec<Group> = AnomalyCategory::ALL
        .iter()
        .flat_map(|&c| Campaign::ALL.iter().map(move |&p| (c, p)))
        .collect();
    let weights: Vec<usize> = (0..groups.len()).map(|i| 1 + (i * 7) % 11).collect();
    let total: usize = weights.iter().sum();
    let pts = points(10_000, &mut rng);
    let mut tagged = Vec::with_capacity(pts.len());
    for (i, f) in pts.iter().enumerate() {
        let mut r = (i * 7_919) % total;
        let mut g = 0;
        while r >= weights[g] {
            r -= weights[g];
            g += 1;
        }
        tagged.push((i, groups[g], *f));
    }
    let largest = groups
        .iter()
        .map(|g| tagged.iter().filter(|(_, t, _)| t == g).count())
        .max()
        .unwrap_or(0);
    let index = sairen::rig::recall::AutoIndex::build(tagged);
    let queries: Vec<Features> = points(2_000, &mut rng);
    let mut times = Vec::new();
    for (n, q) in queries.iter().enumerate() {
        let g = groups[n % groups.len()];
        let t = Instant::now();
        black_box(index.nearest(g, q, 5));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let (p50, p99) = quantiles(times);
    println!(
        "10,000 episodes over {} groups (largest {largest}), the rig's index: p50 {p50:.1} µs, p99 {p99:.1} µs",
        groups.len()
    );
}
