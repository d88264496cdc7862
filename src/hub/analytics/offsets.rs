//! The parameters offset rigs drilled fastest, interval by interval down a field: the segments
//! the rigs' insights reported, read in 100 ft bins — in each, the fastest band any offset rig
//! found there — and neighbouring bins with the same band joined into one interval, with how many
//! rigs and hours of drilling it rests on.

use crate::fleet::insights::{BandSummary, OffsetInterval, MAX_INTERVALS};
use crate::hub::db::insights::SegmentRow;
use std::collections::BTreeSet;

/// Depth bins, ft.
pub const BIN_FT: f64 = 100.0;
/// The deepest bin considered, ft (as deep as any well the hub accepts).
const MAX_DEPTH_FT: f64 = 60_000.0;

/// A segment's fastest band, where it has one.
fn band(r: &SegmentRow) -> Option<BandSummary> {
    Some(BandSummary {
        wob_klb: (r.wob_lo?, r.wob_hi?),
        rpm: (r.rpm_lo?, r.rpm_hi?),
        rop_median_ft_h: r.rop_median_ft_h?,
        samples: u32::try_from(r.best_samples.unwrap_or(0)).unwrap_or(0),
    })
}

fn same_band(a: &BandSummary, b: &BandSummary) -> bool {
    a.wob_klb == b.wob_klb && a.rpm == b.rpm
}

/// One bin's answer: the fastest segment there and every segment that drilled it.
struct Bin {
    from_ft: f64,
    best: usize,
    rows: Vec<usize>,
}

/// The segments that drilled bin `[from, from + BIN_FT)`: those covering at least half of it, or
/// half of themselves where thinner than a bin.
fn bin_at(rows: &[(SegmentRow, BandSummary)], from: f64) -> Option<Bin> {
    let to = from + BIN_FT;
    let drilled: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, (r, _))| {
            let overlap = r.to_ft.min(to) - r.from_ft.max(from);
            overlap > 0.0 && overlap >= 0.5 * (r.to_ft - r.from_ft).min(BIN_FT)
        })
        .map(|(i, _)| i)
        .collect();
    let best = *drilled.iter().max_by(|a, b| {
        rows[**a]
            .1
            .rop_median_ft_h
            .total_cmp(&rows[**b].1.rop_median_ft_h)
    })?;
    Some(Bin {
        from_ft: from,
        best,
        rows: drilled,
    })
}

/// The offset intervals of a field's segments (other rigs' only: the caller leaves the asking
/// rig's out), shallowest first, at most [`MAX_INTERVALS`].
pub fn intervals(segments: &[SegmentRow]) -> Vec<OffsetInterval> {
    let rows: Vec<(SegmentRow, BandSummary)> = segments
        .iter()
        .filter(|r| r.from_ft.is_finite() && r.to_ft > r.from_ft && r.to_ft <= MAX_DEPTH_FT)
        .filter_map(|r| Some((r.clone(), band(r)?)))
        .collect();
    let Some(top) = rows.iter().map(|(r, _)| r.from_ft).reduce(f64::min) else {
        return Vec::new();
    };
    let bottom = rows.iter().map(|(r, _)| r.to_ft).fold(top, f64::max);
    let mut bins = Vec::new();
    let mut from = (top / BIN_FT).floor() * BIN_FT;
    while from < bottom {
        bins.extend(bin_at(&rows, from));
        from += BIN_FT;
    }
    let mut out: Vec<OffsetInterval> = Vec::new();
    let mut run: Vec<&Bin> = Vec::new();
    for bin in &bins {
        let joins = run.last().is_some_and(|last| {
            last.from_ft + BIN_FT == bin.from_ft && same_band(&rows[last.best].1, &rows[bin.best].1)
        });
        if !joins && !run.is_empty() {
            out.push(interval(&rows, &run));
            run.clear();
        }
        run.push(bin);
    }
    if !run.is_empty() {
        out.push(interval(&rows, &run));
    }
    out.truncate(MAX_INTERVALS);
    out
}

/// Bins of one band joined: its rigs, hours and founder point from every segment that drilled it.
fn interval(rows: &[(SegmentRow, BandSummary)], run: &[&Bin]) -> OffsetInterval {
    let used: BTreeSet<usize> = run.iter().flat_map(|b| b.rows.iter().copied()).collect();
    let fastest: BTreeSet<usize> = run.iter().map(|b| b.best).collect();
    let rigs: BTreeSet<&str> = used.iter().map(|i| rows[*i].0.rig_id.as_str()).collect();
    let hours = used
        .iter()
        .map(|i| f64::from(rows[*i].0.samples.max(0)))
        .sum::<f64>()
        / 3_600.0;
    let mut best = rows[run[0].best].1.clone();
    // The band's speed and samples over every segment that found it fastest here.
    let speeds: Vec<f64> = fastest.iter().map(|i| rows[*i].1.rop_median_ft_h).collect();
    best.rop_median_ft_h = median(speeds).unwrap_or(best.rop_median_ft_h);
    best.samples = fastest.iter().map(|i| rows[*i].1.samples).sum();
    let founders: Vec<f64> = used
        .iter()
        .filter_map(|i| rows[*i].0.founder_wob_klb)
        .collect();
    let last = run[run.len() - 1];
    OffsetInterval {
        from_ft: run[0].from_ft,
        to_ft: last.from_ft + BIN_FT,
        best,
        rigs: u32::try_from(rigs.len()).unwrap_or(u32::MAX),
        hours,
        founder_wob_klb: median(founders),
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(
        rig: &str,
        from: f64,
        to: f64,
        wob: f64,
        rpm: f64,
        rop: f64,
        hours: f64,
    ) -> SegmentRow {
        SegmentRow {
            rig_id: rig.into(),
            well_id: format!("{rig}-W"),
            from_ft: from,
            to_ft: to,
            samples: (hours * 3_600.0) as i32,
            dc_exponent: Some(1.1),
            wob_lo: Some(wob),
            wob_hi: Some(wob + 4.0),
            rpm_lo: Some(rpm),
            rpm_hi: Some(rpm + 20.0),
            rop_median_ft_h: Some(rop),
            best_samples: Some(600),
            founder_wob_klb: Some(wob + 2.0),
            made_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_fastest_band_per_depth_is_joined_into_intervals_with_its_rigs_and_hours() {
        let rows = vec![
            // Two rigs through 8,000–8,600 ft: rig B found 28–32 klb faster than rig A's 24–28.
            segment("RIG-A", 8_000.0, 8_600.0, 24.0, 120.0, 150.0, 10.0),
            segment("RIG-B", 8_050.0, 8_600.0, 28.0, 140.0, 174.0, 20.0),
            // Deeper, a harder rock where only rig A drilled.
            segment("RIG-A", 8_600.0, 9_000.0, 32.0, 100.0, 60.0, 8.0),
            // A segment with no band judged counts for nothing.
            SegmentRow {
                wob_lo: None,
                rop_median_ft_h: None,
                ..segment("RIG-C", 8_000.0, 9_000.0, 0.0, 0.0, 0.0, 5.0)
            },
        ];
        let out = intervals(&rows);
        assert_eq!(out.len(), 2, "{out:#?}");
        // 8,000–8,100: both rigs drilled it (B from 8,050: half the bin): B's band is fastest.
        assert_eq!(
            (out[0].from_ft, out[0].to_ft),
            (8_000.0, 8_600.0),
            "{out:#?}"
        );
        assert_eq!(out[0].best.wob_klb, (28.0, 32.0));
        assert_eq!(out[0].best.rop_median_ft_h, 174.0);
        assert_eq!(out[0].rigs, 2);
        assert!((out[0].hours - 30.0).abs() < 1e-6);
        assert_eq!(
            out[0].founder_wob_klb,
            Some(28.0),
            "the median of 26 and 30"
        );
        assert_eq!(
            (out[1].from_ft, out[1].to_ft, out[1].rigs),
            (8_600.0, 9_000.0, 1)
        );
        assert_eq!(out[1].best.wob_klb, (32.0, 36.0));
        assert!(intervals(&[]).is_empty());
    }
}
