//! Outliers by the modified z-score of Iglewicz & Hoaglin (1993), "How to Detect and Handle
//! Outliers": M = 0.6745·(x − median) / MAD, an outlier where |M| > 3.5. The median and the
//! median absolute deviation are not dragged by the outlier itself, as a mean and a standard
//! deviation are — one rig in trouble among five cannot hide by inflating the spread.

use serde::{Deserialize, Serialize};

/// |M| above this is an outlier (Iglewicz & Hoaglin's recommendation).
pub const THRESHOLD: f64 = 3.5;
/// Fewer values than this and no value is called an outlier: a median of three says little.
pub const MIN_VALUES: usize = 5;
/// 0.6745 is the 0.75 quantile of the standard normal: MAD/0.6745 estimates σ.
const K: f64 = 0.6745;
/// Where the MAD is 0 (over half the values equal), the mean absolute deviation stands in,
/// scaled by 1.253314 (√(π/2), which makes it estimate σ too) — as IBM SPSS and NIST do.
const MEAN_AD_SCALE: f64 = 1.253_314;

/// One flagged value: which KPI, its value, the median it stands out from, and its M.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    /// The KPI's name (`"alarms_last_hour"`).
    pub kpi: String,
    /// Where it was judged: `"fleet"` or the region's name.
    pub among: String,
    /// The rig's value.
    pub value: f64,
    /// The median of the rigs it was judged among.
    pub median: f64,
    /// Its modified z-score.
    pub m: f64,
}

/// The median of `sorted` (not empty).
fn median_of(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The median and the modified z-score of every value (`None` for all where there are fewer
/// than [`MIN_VALUES`] finite values, or no spread at all). Non-finite values score `None`.
pub fn modified_z(values: &[f64]) -> (Option<f64>, Vec<Option<f64>>) {
    let finite = sorted(values.iter().copied().filter(|v| v.is_finite()));
    if finite.len() < MIN_VALUES {
        return (None, vec![None; values.len()]);
    }
    let median = median_of(&finite);
    let deviations = sorted(finite.iter().map(|v| (v - median).abs()));
    let mad = median_of(&deviations);
    let scale = if mad > 0.0 {
        mad / K
    } else {
        MEAN_AD_SCALE * deviations.iter().sum::<f64>() / deviations.len() as f64
    };
    if scale.is_nan() || scale <= 0.0 {
        return (Some(median), vec![None; values.len()]);
    }
    let scores = values
        .iter()
        .map(|v| v.is_finite().then(|| (v - median) / scale))
        .collect();
    (Some(median), scores)
}

/// The outliers among `values` (keyed by anything: a rig's index), judged among `among`.
pub fn flag<K: Copy>(kpi: &str, among: &str, values: &[(K, f64)]) -> Vec<(K, Outlier)> {
    let raw: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
    let (Some(median), scores) = modified_z(&raw) else {
        return Vec::new();
    };
    values
        .iter()
        .zip(scores)
        .filter_map(|((key, value), m)| {
            let m = m?;
            (m.abs() > THRESHOLD).then(|| {
                (
                    *key,
                    Outlier {
                        kpi: kpi.into(),
                        among: among.into(),
                        value: *value,
                        median,
                        m,
                    },
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_is_iglewicz_and_hoaglins_by_hand() {
        // Sorted 4.0 4.1 4.2 4.3 4.4 4.6 9.0: median 4.3; deviations 0 .1 .1 .2 .3 .3 4.7: MAD
        // 0.2; M(9.0) = 0.6745 × 4.7 / 0.2 = 15.85, and M(4.6) = 0.6745 × 0.3 / 0.2 = 1.01.
        let x = [4.1, 4.3, 4.6, 4.0, 4.4, 4.2, 9.0];
        let (median, m) = modified_z(&x);
        assert_eq!(median, Some(4.3));
        assert!((m[6].unwrap() - 15.85).abs() < 0.01, "{:?}", m[6]);
        assert!((m[2].unwrap() - 1.012).abs() < 0.01, "{:?}", m[2]);
        let keyed: Vec<_> = x.iter().copied().enumerate().collect();
        let flagged = flag("x", "fleet", &keyed);
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].0, 6);
        assert_eq!(flagged[0].1.median, 4.3);
    }

    #[test]
    fn no_outlier_in_a_tight_fleet_nor_in_too_few_rigs() {
        let tight = [60.0, 62.0, 58.0, 61.0, 59.0, 60.5, 63.0, 57.5];
        assert!(flag(
            "rop",
            "fleet",
            &tight.iter().copied().enumerate().collect::<Vec<_>>()
        )
        .is_empty());
        let few = [1.0, 1.0, 1.0, 100.0];
        assert!(flag(
            "rop",
            "fleet",
            &few.iter().copied().enumerate().collect::<Vec<_>>()
        )
        .is_empty());
    }

    #[test]
    fn a_count_that_is_zero_for_most_rigs_still_flags_the_one_that_is_not() {
        // The rig: 635 dead letters while the others had none. MAD is 0 here; the
        // mean absolute deviation stands in: 635 / (1.2533 × 635/6) = 4.79 > 3.5.
        let dead = [0.0, 0.0, 0.0, 635.0, 0.0, 0.0];
        let flagged = flag(
            "dead_letters",
            "fleet",
            &dead.iter().copied().enumerate().collect::<Vec<_>>(),
        );
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].0, 3);
        assert!((flagged[0].1.m - 4.787).abs() < 0.01, "{}", flagged[0].1.m);
        // Everyone equal: no spread, nobody flagged.
        assert!(flag(
            "x",
            "fleet",
            &[(0, 2.0), (1, 2.0), (2, 2.0), (3, 2.0), (4, 2.0)]
        )
        .is_empty());
    }
}
