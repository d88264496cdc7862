//! One report from a window of samples: formation segments, and in each the ROP and MSE of
//! every WOB × RPM band drilled (dysfunction left out), the best band at a sane MSE, the founder
//! point, and the rank correlations of ROP with WOB, RPM and flow; then what to do now.

use super::samples::Sample;
use super::segment::{segments, Span};
use super::stats::{median, quantile, sorted, spearman, superiority};
use super::{Band, Correlations};
use super::{Confidence, Founder, InsightSettings, Recommendation, SegmentInsight};

/// A sample whose MSE is more than this multiple of its segment's median is a dysfunction
/// (bit balling, whirl, a dull bit): the energy went somewhere other than making hole.
const DYSFUNCTION_MSE_RATIO: f64 = 2.0;
/// The best band's MSE may be at most this multiple of the segment's median: faster at any
/// price is not better.
const SANE_MSE_RATIO: f64 = 1.5;
/// Past the founder point the ROP gained per klb falls below this share of what it was.
const FOUNDER_SLOPE_SHARE: f64 = 0.3;
/// A change is advised only where the best band beats the current one at least this often
/// (Mann–Whitney)…
const MIN_SUPERIORITY: f64 = 0.65;
/// …and by at least this much ROP, %.
const MIN_GAIN_PCT: f64 = 5.0;
/// The last stretch of the window that says where the driller is now, in samples (two minutes
/// at 1 Hz: the step he holds, not the last few).
const NOW_SAMPLES: usize = 120;

/// What one window shows: its segments, the last one's recommendation.
pub fn analyse(samples: &[Sample], s: &InsightSettings) -> (Vec<SegmentInsight>, Recommendation) {
    if samples.len() < s.min_samples {
        return (
            Vec::new(),
            Recommendation::not_enough(samples.len(), s.min_samples),
        );
    }
    let mut by_depth = samples.to_vec();
    by_depth.sort_by(|a, b| a.depth_ft.total_cmp(&b.depth_ft));
    let spans = segments(&by_depth, s.min_segment_ft, s.min_samples);
    let insights: Vec<SegmentInsight> = spans
        .iter()
        .map(|span| segment(&by_depth[span.start..span.end], s))
        .collect();
    let last = spans.last().copied().unwrap_or(Span { start: 0, end: 0 });
    let rec = recommend(&by_depth[last.start..last.end], insights.last(), samples, s);
    (insights, rec)
}

/// The band a sample falls in: (WOB band index, RPM band index).
fn cell(x: &Sample, s: &InsightSettings) -> (i64, i64) {
    cell_of((x.wob_klb, x.rpm), s)
}

/// The samples of one segment that say something about the parameters.
fn healthy(seg: &[Sample]) -> (Vec<&Sample>, Option<f64>) {
    let mse = sorted(seg.iter().filter_map(|x| x.mse_psi));
    let median_mse = median(&mse);
    let kept = seg
        .iter()
        .filter(|x| !x.stick_slip)
        .filter(|x| match (x.mse_psi, median_mse) {
            (Some(m), Some(median)) => m <= DYSFUNCTION_MSE_RATIO * median,
            _ => true,
        })
        .collect();
    (kept, median_mse)
}

fn segment(seg: &[Sample], s: &InsightSettings) -> SegmentInsight {
    let (kept, median_mse) = healthy(seg);
    let mut cells: std::collections::BTreeMap<(i64, i64), Vec<&Sample>> = Default::default();
    for x in &kept {
        cells.entry(cell(x, s)).or_default().push(x);
    }
    let bands: Vec<Band> = cells
        .iter()
        .filter(|(_, xs)| xs.len() >= s.min_samples)
        .map(|(&(w, r), xs)| band(w, r, xs, s))
        .collect();
    let best = bands
        .iter()
        .filter(|b| match (b.mse_median_psi, median_mse) {
            (Some(m), Some(median)) => m <= SANE_MSE_RATIO * median,
            _ => true,
        })
        .max_by(|a, b| a.rop_median_ft_h.total_cmp(&b.rop_median_ft_h))
        .cloned();
    let column = |f: fn(&Sample) -> Option<f64>| -> Option<f64> {
        let pairs: Vec<(f64, f64)> = kept
            .iter()
            .filter_map(|x| Some((f(x)?, x.rop_ft_h)))
            .collect();
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        spearman(&a, &b)
    };
    let dc = sorted(seg.iter().filter_map(|x| x.dc_exponent));
    SegmentInsight {
        from_ft: seg.first().map_or(0.0, |x| x.depth_ft),
        to_ft: seg.last().map_or(0.0, |x| x.depth_ft),
        samples: seg.len(),
        dysfunction: seg.len() - kept.len(),
        dc_exponent: median(&dc),
        mse_median_psi: median_mse,
        founder: founder(&bands),
        correlations: Correlations {
            wob: column(|x| Some(x.wob_klb)),
            rpm: column(|x| Some(x.rpm)),
            flow: column(|x| x.flow_gpm),
        },
        best,
        bands,
    }
}

fn band(w: i64, r: i64, xs: &[&Sample], s: &InsightSettings) -> Band {
    let rop = sorted(xs.iter().map(|x| x.rop_ft_h));
    let mse = sorted(xs.iter().filter_map(|x| x.mse_psi));
    Band {
        wob_klb: (w as f64 * s.wob_band_klb, (w + 1) as f64 * s.wob_band_klb),
        rpm: (r as f64 * s.rpm_band, (r + 1) as f64 * s.rpm_band),
        samples: xs.len(),
        rop_median_ft_h: quantile(&rop, 0.5),
        rop_p25_ft_h: quantile(&rop, 0.25),
        rop_p75_ft_h: quantile(&rop, 0.75),
        mse_median_psi: median(&mse),
    }
}

/// The founder point: the WOB past which ROP stops rising. A hinge line (ROP rising at one rate
/// to a WOB, then at another) is fitted to the band medians of the RPM band drilled at the most
/// weights; a founder is where the rate past the hinge falls below [`FOUNDER_SLOPE_SHARE`] of
/// the rate before it. `None` without three weights at one RPM, or where ROP keeps rising.
fn founder(bands: &[Band]) -> Option<Founder> {
    let mut by_rpm: std::collections::BTreeMap<i64, Vec<&Band>> = Default::default();
    for b in bands {
        by_rpm.entry(b.rpm.0 as i64).or_default().push(b);
    }
    let row = by_rpm.into_values().max_by_key(|r| r.len())?;
    if row.len() < 3 {
        return None;
    }
    let pts: Vec<(f64, f64)> = row
        .iter()
        .map(|b| ((b.wob_klb.0 + b.wob_klb.1) / 2.0, b.rop_median_ft_h))
        .collect();
    // Each interior point as the hinge; the one that fits best.
    let (hinge, before, after) = (1..pts.len() - 1)
        .filter_map(|h| {
            let (b, a, sse) = hinge_fit(&pts, pts[h].0)?;
            Some((pts[h].0, b, a, sse))
        })
        .min_by(|x, y| x.3.total_cmp(&y.3))
        .map(|(h, b, a, _)| (h, b, a))?;
    (before > 0.0 && after < FOUNDER_SLOPE_SHARE * before).then_some(Founder {
        wob_klb: hinge,
        rop_gain_below_ft_h_per_klb: before,
        rop_gain_above_ft_h_per_klb: after,
    })
}

/// Least squares of y = a + b·min(x, h) + c·max(x − h, 0): (b, c, squared error).
fn hinge_fit(pts: &[(f64, f64)], h: f64) -> Option<(f64, f64, f64)> {
    // Normal equations of the 3 × 3 system, solved by Cramer's rule.
    let rows: Vec<[f64; 3]> = pts
        .iter()
        .map(|&(x, _)| [1.0, x.min(h), (x - h).max(0.0)])
        .collect();
    let mut m = [[0.0; 3]; 3];
    let mut v = [0.0; 3];
    for (r, &(_, y)) in rows.iter().zip(pts) {
        for i in 0..3 {
            v[i] += r[i] * y;
            for j in 0..3 {
                m[i][j] += r[i] * r[j];
            }
        }
    }
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-9 {
        return None;
    }
    let solve = |k: usize| {
        let mut mk = m;
        for i in 0..3 {
            mk[i][k] = v[i];
        }
        det(&mk) / d
    };
    let (a, b, c) = (solve(0), solve(1), solve(2));
    let sse = rows
        .iter()
        .zip(pts)
        .map(|(r, &(_, y))| (y - (a + b * r[1] + c * r[2])).powi(2))
        .sum();
    Some((b, c, sse))
}

/// What to do now, in the segment the bit is in: move to its best band, stay, or nothing sure.
fn recommend(
    seg: &[Sample],
    insight: Option<&SegmentInsight>,
    window: &[Sample],
    s: &InsightSettings,
) -> Recommendation {
    let Some(insight) = insight else {
        return Recommendation::not_enough(0, s.min_samples);
    };
    let Some(best) = insight.best.clone() else {
        return Recommendation::not_enough(insight.samples, s.min_samples);
    };
    // Where the driller is now: the medians of the window's last stretch.
    let recent = &window[window.len().saturating_sub(NOW_SAMPLES)..];
    let w = sorted(recent.iter().map(|x| x.wob_klb));
    let r = sorted(recent.iter().map(|x| x.rpm));
    let now = (quantile(&w, 0.5), quantile(&r, 0.5));
    let here = |x: &Sample| cell(x, s) == cell_of(now, s);
    let in_best = |x: &Sample| {
        (best.wob_klb.0..best.wob_klb.1).contains(&x.wob_klb)
            && (best.rpm.0..best.rpm.1).contains(&x.rpm)
    };
    let (kept, _) = healthy(seg);
    let current: Vec<f64> = kept
        .iter()
        .filter(|x| here(x))
        .map(|x| x.rop_ft_h)
        .collect();
    let better: Vec<f64> = kept
        .iter()
        .filter(|x| in_best(x))
        .map(|x| x.rop_ft_h)
        .collect();
    if cell_of(now, s) == cell_of((best.wob_klb.0, best.rpm.0), s) {
        return Recommendation::keep(best, now);
    }
    let current_sorted = sorted(current.iter().copied());
    let baseline = if current_sorted.len() >= s.min_samples / 4 {
        quantile(&current_sorted, 0.5)
    } else {
        let all = sorted(kept.iter().map(|x| x.rop_ft_h));
        quantile(&all, 0.5)
    };
    let p = superiority(&better, &current).unwrap_or(0.5);
    let gain = (baseline > 0.0).then(|| (best.rop_median_ft_h / baseline - 1.0) * 100.0);
    // Not worth a driller's attention: a band no faster than now, or no more often than a coin
    // (the screen showed "Try 24–28 klb, 100–120 rpm … (+0 %) … faster 50 % of the time" for a
    // driller sitting on a band's edge).
    if p < MIN_SUPERIORITY || gain.is_none_or(|g| g < MIN_GAIN_PCT) {
        return Recommendation::keep_on(best, now, baseline);
    }
    let confidence = Confidence::of(p, better.len(), current.len(), s.min_samples);
    Recommendation::change(best, now, baseline, p, current.len(), confidence)
}

fn cell_of((wob, rpm): (f64, f64), s: &InsightSettings) -> (i64, i64) {
    (
        (wob / s.wob_band_klb).floor() as i64,
        (rpm / s.rpm_band).floor() as i64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// A driller holding 25 klb and 120 rpm, the RPM reading either side of a band's edge: two
    /// bands, one rock, one ROP (the screen once advised "+0 %" between them).
    #[test]
    fn a_band_no_faster_than_now_is_not_advised() {
        let samples: Vec<Sample> = (0..1_200)
            .map(|i| Sample {
                at: Utc.timestamp_opt(1_800_000_000 + i, 0).unwrap(),
                depth_ft: 9_000.0 + i as f64 * 0.04,
                wob_klb: 25.0,
                rpm: if i % 2 == 0 { 119.0 } else { 121.0 },
                // The band below the edge a hair faster: 1 %, not worth a change.
                rop_ft_h: if i % 2 == 0 { 149.5 } else { 148.0 } + (i % 7) as f64,
                flow_gpm: Some(600.0),
                mse_psi: Some(20_000.0),
                dc_exponent: Some(1.3),
                stick_slip: false,
            })
            .collect();
        let (segments, rec) = analyse(&samples, &InsightSettings::default());
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0].bands.len(), 2, "{:?}", segments[0].bands);
        assert_eq!(rec.kind, "keep", "{}", rec.text);
        assert!(
            rec.text.starts_with("Keep on at 25 klb, 120 rpm"),
            "{}",
            rec.text
        );
        assert_eq!(rec.expected_gain_pct, None);
    }
}
