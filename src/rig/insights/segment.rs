//! Formation segments: where the rock changes, the dc-exponent and the MSE change level
//! together. Both also move with WOB and RPM from minute to minute, so they are read as medians
//! over depth bins (a quarter of the thinnest segment each), where minutes of one parameter and
//! minutes of another mix and what stays is the rock. Binary segmentation (Scott & Knott 1974)
//! on the bins, each signal standardised by its bin-to-bin noise, splits where a step in mean
//! lowers the squared error by more than three times the BIC's penalty (Yao 1988: ln n per
//! parameter, here two means and a location per change) — three times, because neighbouring
//! bins of a real log are not independent and a formation worth its own parameters is a big
//! change — down to segments no thinner than asked. Linear per split with prefix sums.

use super::samples::Sample;

/// The most segments one report splits into.
const MOST_SEGMENTS: usize = 8;

/// The samples from `start` to `end` (exclusive) are one formation, as far as they show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First sample.
    pub start: usize,
    /// One past the last.
    pub end: usize,
}

/// Depth bins of `bin_ft`: the first sample of each, in `samples` (depth order).
fn bins(samples: &[Sample], bin_ft: f64) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut current = None;
    for (i, s) in samples.iter().enumerate() {
        let bin = (s.depth_ft / bin_ft).floor() as i64;
        if current != Some(bin) {
            starts.push(i);
            current = Some(bin);
        }
    }
    starts
}

/// The signals the split reads, per bin: the medians of (dc-exponent, ln MSE), a bin without
/// one taking its neighbour's (carried forward), standardised.
fn signals(samples: &[Sample], starts: &[usize]) -> Option<Vec<[f64; 2]>> {
    let median_of = |from: usize, to: usize, f: &dyn Fn(&Sample) -> Option<f64>| {
        let mut v: Vec<f64> = samples[from..to].iter().filter_map(f).collect();
        crate::rig::pipeline::well_control::robust::median(&mut v)
    };
    let mut last = [None, None];
    let raw: Vec<[Option<f64>; 2]> = starts
        .iter()
        .enumerate()
        .map(|(b, &from)| {
            let to = starts.get(b + 1).copied().unwrap_or(samples.len());
            let now = [
                median_of(from, to, &|s| s.dc_exponent),
                median_of(from, to, &|s| s.mse_psi.map(f64::ln)),
            ];
            for k in 0..2 {
                if now[k].is_some() {
                    last[k] = now[k];
                }
            }
            last
        })
        .collect();
    // Fill the start from the first value seen; a signal never seen is left out (zeros).
    let mut out = vec![[0.0; 2]; raw.len()];
    for k in 0..2 {
        let Some(first) = raw.iter().find_map(|r| r[k]) else {
            continue;
        };
        let col: Vec<f64> = raw.iter().map(|r| r[k].unwrap_or(first)).collect();
        let sigma = noise(&col);
        if sigma <= 0.0 {
            continue;
        }
        for (o, v) in out.iter_mut().zip(&col) {
            o[k] = v / sigma;
        }
    }
    out.iter()
        .any(|v| v[0] != 0.0 || v[1] != 0.0)
        .then_some(out)
}

/// A signal's noise, robustly: the median absolute difference of neighbours, over √2 and the
/// normal's 0.6745 (so a step in level does not inflate it).
fn noise(col: &[f64]) -> f64 {
    let mut d: Vec<f64> = col.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    crate::rig::pipeline::well_control::robust::median(&mut d)
        .map_or(0.0, |m| m / 0.6745 / std::f64::consts::SQRT_2)
}

/// Split `samples` (in depth order) into formation segments, none thinner than `min_ft` nor
/// with fewer than `min_samples`.
pub fn segments(samples: &[Sample], min_ft: f64, min_samples: usize) -> Vec<Span> {
    let whole = Span {
        start: 0,
        end: samples.len(),
    };
    let starts = bins(samples, min_ft / 4.0);
    let Some(x) = signals(samples, &starts) else {
        return vec![whole];
    };
    // Prefix sums of each signal and its square: any span's squared error in O(1).
    let mut sum = vec![[0.0; 2]; x.len() + 1];
    let mut sq = vec![[0.0; 2]; x.len() + 1];
    for (i, v) in x.iter().enumerate() {
        for k in 0..2 {
            sum[i + 1][k] = sum[i][k] + v[k];
            sq[i + 1][k] = sq[i][k] + v[k] * v[k];
        }
    }
    let cost = |a: usize, b: usize| -> f64 {
        let n = (b - a) as f64;
        (0..2)
            .map(|k| {
                let s = sum[b][k] - sum[a][k];
                (sq[b][k] - sq[a][k]) - s * s / n
            })
            .sum()
    };
    let penalty = 3.0 * 3.0 * (x.len().max(2) as f64).ln();
    // In bins from here on; a split's sample index is its bin's first sample.
    let at_sample = |bin: usize| starts.get(bin).copied().unwrap_or(samples.len());
    let min_bins = 4;
    let mut done = Vec::new();
    let mut todo = vec![Span {
        start: 0,
        end: x.len(),
    }];
    while let Some(span) = todo.pop() {
        let best = (span.start + min_bins..=span.end.saturating_sub(min_bins))
            .filter(|&at| {
                at_sample(at) - at_sample(span.start) >= min_samples
                    && at_sample(span.end) - at_sample(at) >= min_samples
            })
            .map(|at| (at, cost(span.start, at) + cost(at, span.end)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((at, split))
                if cost(span.start, span.end) - split > penalty
                    && done.len() + todo.len() + 2 <= MOST_SEGMENTS =>
            {
                todo.push(Span {
                    start: span.start,
                    end: at,
                });
                todo.push(Span {
                    start: at,
                    end: span.end,
                });
            }
            _ => done.push(span),
        }
    }
    done.sort_by_key(|s| s.start);
    done.iter()
        .map(|s| Span {
            start: at_sample(s.start),
            end: at_sample(s.end),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn sample(i: usize, dc: f64, mse: f64) -> Sample {
        Sample {
            at: Utc.timestamp_opt(1_800_000_000 + i as i64, 0).unwrap(),
            depth_ft: 8_000.0 + i as f64 * 0.2,
            wob_klb: 25.0,
            rpm: 120.0,
            rop_ft_h: 60.0,
            flow_gpm: None,
            mse_psi: Some(mse),
            dc_exponent: Some(dc),
            stick_slip: false,
        }
    }

    /// Deterministic noise in ±1 (a fixed LCG), varied by seed.
    fn jitter(seed: u64, i: usize) -> f64 {
        let x = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407 ^ i as u64)
            .wrapping_mul(2_862_933_555_777_941_757);
        ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    #[test]
    fn a_change_of_rock_is_found_where_it_is_and_noise_alone_splits_nothing() {
        for seed in 1..21 {
            // 300 ft of sand (dc 1.2, MSE 20 ksi) then 200 ft of shale (dc 1.6, 35 ksi), a
            // sample every 0.2 ft, with noise of a third of the step.
            let rock: Vec<Sample> = (0..2_500)
                .map(|i| {
                    let (dc, mse) = if i < 1_500 {
                        (1.2, 20_000.0)
                    } else {
                        (1.6, 35_000.0)
                    };
                    sample(
                        i,
                        dc + 0.13 * jitter(seed, i),
                        mse * (1.0 + 0.15 * jitter(seed + 9, i)),
                    )
                })
                .collect();
            let spans = segments(&rock, 100.0, 120);
            assert_eq!(spans.len(), 2, "seed {seed}: {spans:?}");
            assert!(
                (1_375..=1_625).contains(&spans[0].end),
                "seed {seed}: split at {}",
                spans[0].end
            );
            let flat: Vec<Sample> = (0..2_500)
                .map(|i| sample(i, 1.2 + 0.13 * jitter(seed, i), 20_000.0))
                .collect();
            assert_eq!(segments(&flat, 100.0, 120).len(), 1, "seed {seed}");
        }
    }

    #[test]
    fn short_or_signal_less_input_is_one_segment() {
        let few: Vec<Sample> = (0..10).map(|i| sample(i, 1.0 + i as f64, 1e4)).collect();
        assert_eq!(segments(&few, 100.0, 120), vec![Span { start: 0, end: 10 }]);
        assert_eq!(segments(&[], 100.0, 120), vec![Span { start: 0, end: 0 }]);
    }
}
