//! Per-phase latency: a log-scale histogram per phase, cheap enough for every packet.

use crate::web::metrics::Buckets;
use serde::Serialize;
use std::time::Duration;

/// The timed phases, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Sensor check and rig-state classification.
    Validate,
    /// MSE, d-exponent, ECD, flow balance.
    Physics,
    /// Baseline learning.
    Baseline,
    /// History ring.
    History,
    /// Tactical gate.
    Tactical,
    /// Strategic verification.
    Strategic,
    /// Knowledge store query.
    Knowledge,
    /// Specialist votes.
    Specialists,
    /// Advisory composition.
    Compose,
    /// The whole packet.
    Total,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 10] = [
        Self::Validate,
        Self::Physics,
        Self::Baseline,
        Self::History,
        Self::Tactical,
        Self::Strategic,
        Self::Knowledge,
        Self::Specialists,
        Self::Compose,
        Self::Total,
    ];

    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::Physics => "physics",
            Self::Baseline => "baseline",
            Self::History => "history",
            Self::Tactical => "tactical",
            Self::Strategic => "strategic",
            Self::Knowledge => "knowledge",
            Self::Specialists => "specialists",
            Self::Compose => "compose",
            Self::Total => "total",
        }
    }
}

/// Buckets: [0, 64 ns), then doubling up to ~34 s.
const BUCKETS: usize = 30;

#[derive(Debug, Clone, Copy)]
struct Histogram {
    counts: [u64; BUCKETS],
    total_ns: u128,
    max_ns: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: [0; BUCKETS],
            total_ns: 0,
            max_ns: 0,
        }
    }
}

impl Histogram {
    fn record(&mut self, ns: u64) {
        let bucket = (64 - ns.leading_zeros() as usize)
            .saturating_sub(6)
            .min(BUCKETS - 1);
        self.counts[bucket] += 1;
        self.total_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Upper edge of the bucket holding quantile `q`: never under-reports.
    fn quantile_ns(&self, q: f64) -> u64 {
        let n = self.count();
        if n == 0 {
            return 0;
        }
        let rank = ((n as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return (1u64 << (i + 6)).min(self.max_ns.max(1));
            }
        }
        self.max_ns
    }
}

/// Latency per phase.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    phases: [Histogram; Phase::ALL.len()],
}

/// One phase's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhaseLatency {
    /// The phase.
    pub phase: &'static str,
    /// Packets timed.
    pub count: u64,
    /// Mean, µs.
    pub mean_us: f64,
    /// 99th percentile (upper bucket edge), µs.
    pub p99_us: f64,
    /// Slowest, µs.
    pub max_us: f64,
}

impl Latency {
    /// Record one phase's time.
    pub fn record(&mut self, phase: Phase, took: Duration) {
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.phases[phase as usize].record(ns);
    }

    /// Every phase's histogram for `/metrics`, at every other bucket edge (×4 from 1.024 µs to
    /// 1.07 s): eleven series per phase instead of thirty, none of the resolution that matters.
    pub fn buckets(&self) -> Vec<(&'static str, Buckets)> {
        Phase::ALL
            .iter()
            .map(|&p| {
                let h = &self.phases[p as usize];
                let mut in_bucket = 0;
                let mut per_bucket = Vec::with_capacity(12);
                for (i, c) in h.counts.iter().enumerate() {
                    in_bucket += c;
                    let edge_log2 = i + 6;
                    if (10..=30).contains(&edge_log2) && edge_log2 % 2 == 0 {
                        per_bucket.push(((1u64 << edge_log2) as f64 / 1e9, in_bucket));
                        in_bucket = 0;
                    }
                }
                per_bucket.push((f64::INFINITY, in_bucket));
                let buckets = Buckets {
                    per_bucket,
                    sum: h.total_ns as f64 / 1e9,
                };
                (p.name(), buckets)
            })
            .collect()
    }

    /// The figures of every phase.
    pub fn report(&self) -> Vec<PhaseLatency> {
        Phase::ALL
            .iter()
            .map(|&p| {
                let h = &self.phases[p as usize];
                let n = h.count();
                PhaseLatency {
                    phase: p.name(),
                    count: n,
                    mean_us: if n == 0 {
                        0.0
                    } else {
                        h.total_ns as f64 / n as f64 / 1_000.0
                    },
                    p99_us: h.quantile_ns(0.99) as f64 / 1_000.0,
                    max_us: h.max_ns as f64 / 1_000.0,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_is_the_upper_edge_of_the_bucket_holding_it() {
        let mut l = Latency::default();
        for _ in 0..990 {
            l.record(Phase::Total, Duration::from_nanos(1_000));
        }
        for _ in 0..10 {
            l.record(Phase::Total, Duration::from_micros(50));
        }
        let total = l
            .report()
            .into_iter()
            .find(|r| r.phase == "total")
            .expect("total");
        assert_eq!(total.count, 1_000);
        // 1 µs falls in [512, 1024) ns: the p99 is that bucket's edge, 1.024 µs.
        assert!((total.p99_us - 1.024).abs() < 1e-9, "{total:?}");
        assert!((total.max_us - 50.0).abs() < 1e-9);
        assert!((total.mean_us - 1.49).abs() < 1e-9);

        let (_, b) = l
            .buckets()
            .into_iter()
            .find(|(p, _)| *p == "total")
            .expect("total");
        assert_eq!(b.count(), 1_000);
        // 1 µs is below the first edge (1.024 µs); 50 µs below 65.536 µs but above 16.384 µs.
        assert_eq!(b.per_bucket[0], (1.024e-6, 990));
        assert_eq!(b.per_bucket[2], (16.384e-6, 0));
        assert_eq!(b.per_bucket[3], (65.536e-6, 10));
        assert_eq!(b.per_bucket.len(), 12, "eleven edges and +Inf");
        assert_eq!(b.per_bucket[11], (f64::INFINITY, 0));
        assert!((b.sum - 1_490e-6).abs() < 1e-12, "{b:?}");
    }
}
