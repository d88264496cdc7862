//! Statistics that one bad reading cannot move: the median, and the Theil–Sen slope (the median
//! of the slopes between every pair of points), which tolerates up to 29 % of outliers.

/// The median of `values` (reordered in place); `None` when empty or any value is not finite.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // Selection, not a sort: linear, and this runs on every packet's flow balance.
    let n = values.len();
    let (left, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    Some(if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    })
}

/// A robust trend: the Theil–Sen slope (y per x) and the share of pairwise slopes that agree with
/// its sign (how consistently the points move that way, 0.5–1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Median pairwise slope.
    pub slope: f64,
    /// Share of pairwise slopes of the same sign as `slope`.
    pub agreement: f64,
}

/// Most points a trend is computed over: the pairwise slopes are held on the stack.
pub const MAX_POINTS: usize = 40;

/// Theil–Sen over `points` (at most [`MAX_POINTS`], the rest ignored); `None` with fewer than
/// three or no spread in x.
pub fn theil_sen(points: impl Iterator<Item = (f64, f64)>) -> Option<Trend> {
    let mut xy = [(0.0, 0.0); MAX_POINTS];
    let mut n = 0;
    for p in points.take(MAX_POINTS) {
        xy[n] = p;
        n += 1;
    }
    if n < 3 {
        return None;
    }
    let mut slopes = [0.0; MAX_POINTS * (MAX_POINTS - 1) / 2];
    let mut k = 0;
    for i in 0..n {
        for j in i + 1..n {
            let dx = xy[j].0 - xy[i].0;
            if dx != 0.0 {
                slopes[k] = (xy[j].1 - xy[i].1) / dx;
                k += 1;
            }
        }
    }
    let slope = median(&mut slopes[..k])?;
    let same = slopes[..k]
        .iter()
        .filter(|s| s.signum() == slope.signum() && **s != 0.0)
        .count();
    Some(Trend {
        slope,
        agreement: same as f64 / k as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sen (1968), "Estimates of the regression coefficient based on Kendall's tau", JASA 63:
    /// the estimator is the median of pairwise slopes. On Anscombe's set III (1973), a line
    /// y = 4 + 0.346·x with one outlier at x = 13, least squares gives 0.500 while Theil–Sen
    /// recovers the line's 0.346.
    #[test]
    fn theil_sen_ignores_anscombe_set_three_outlier() {
        let x = [10.0, 8.0, 13.0, 9.0, 11.0, 14.0, 6.0, 4.0, 12.0, 7.0, 5.0];
        let y = [
            7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73,
        ];
        let t = theil_sen(x.iter().copied().zip(y.iter().copied())).expect("trend");
        assert!((t.slope - 0.345).abs() < 0.005, "{t:?}");
        assert!(t.agreement > 0.9, "{t:?}");
    }

    #[test]
    fn medians_and_degenerate_input() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [1.0, f64::NAN]), None);
        assert!(theil_sen([(1.0, 1.0), (2.0, 2.0)].into_iter()).is_none());
        assert!(theil_sen([(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)].into_iter()).is_none());
    }
}
