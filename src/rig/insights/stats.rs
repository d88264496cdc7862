//! The statistics the insights need beyond the median: quantiles, Spearman's rank correlation
//! and the Mann–Whitney probability that one band's ROP beats another's.

/// The `q` quantile (0–1) of `sorted` (ascending, not empty), by linear interpolation between
/// order statistics (Hyndman & Fan 1996, definition 7: R's and NumPy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The median of `sorted` (ascending); `None` when empty.
pub fn median(sorted: &[f64]) -> Option<f64> {
    (!sorted.is_empty()).then(|| quantile(sorted, 0.5))
}

/// `values` sorted ascending (finite values only).
pub fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Ranks 1..=n of `values`, ties given their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            ranks[*k] = average;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ of `x` and `y` (Pearson's r of their ranks); `None` under three pairs or where
/// either does not vary.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// The probability that a value drawn from `a` exceeds one from `b`, ties counting half: the
/// Mann–Whitney U over n₁·n₂ (the "common-language effect size", McGraw & Wong 1992). 0.5 is no
/// difference; `None` if either is empty.
pub fn superiority(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    let r = ranks(&all);
    all.clear();
    let rank_sum_a: f64 = r[..a.len()].iter().sum();
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    Some(u / (n1 * n2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpys_default() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.25, 0.5, 0.75]) = [2.0, 3.0, 4.0];
        // numpy.quantile([1, 2, 3, 4], 0.25) = 1.75.
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.75), 4.0);
        assert!((quantile(&[1.0, 2.0, 3.0, 4.0], 0.25) - 1.75).abs() < 1e-12);
    }

    #[test]
    fn spearman_matches_the_textbook_example() {
        // The IQ / hours-of-TV example of Wikipedia's "Spearman's rank correlation coefficient"
        // (after Lehman 2005): ρ = −29/165 = −0.17575…
        let iq = [
            106.0, 100.0, 86.0, 101.0, 99.0, 103.0, 97.0, 113.0, 112.0, 110.0,
        ];
        let tv = [7.0, 27.0, 2.0, 50.0, 28.0, 29.0, 20.0, 12.0, 6.0, 17.0];
        let rho = spearman(&iq, &tv).expect("rho");
        assert!((rho - (-29.0 / 165.0)).abs() < 1e-9, "{rho}");
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        let ties = spearman(&[1.0, 2.0, 2.0, 3.0], &[10.0, 20.0, 20.0, 30.0]).expect("rho");
        assert!((ties - 1.0).abs() < 1e-12, "ties ranked alike: {ties}");
    }

    #[test]
    fn superiority_is_the_share_of_pairs_won() {
        assert_eq!(superiority(&[3.0, 4.0], &[1.0, 2.0]), Some(1.0));
        assert_eq!(superiority(&[1.0, 2.0], &[3.0, 4.0]), Some(0.0));
        // Pairs (a, b): (1,1) tie ½, (1,2) lose, (3,1) win, (3,2) win: 2.5 of 4.
        assert_eq!(superiority(&[1.0, 3.0], &[1.0, 2.0]), Some(0.625));
        assert_eq!(superiority(&[], &[1.0]), None);
    }
}
