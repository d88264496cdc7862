//! The episode feature vector (DESIGN §4): the one function that turns an episode's key metrics into
//! the point precedent recall measures distance between. The same on every rig; never shipped.

use super::EpisodeMetrics;

/// Dimensions of the feature vector.
pub const DIM: usize = 13;

/// A point in feature space.
pub type Features = [f32; DIM];

/// Each metric scaled by a typical span, so that one unit means the same size of difference in
/// every dimension; an absent metric sits at 0 (neutral), and MSE, which spans decades, is taken
/// as a logarithm. Depth (ft) is the thirteenth dimension: trouble at 12,000 ft resembles trouble
/// at 12,500 ft more than at 3,000 ft.
pub fn features(m: &EpisodeMetrics, depth_ft: Option<f64>) -> Features {
    let scaled = |v: Option<f64>, span: f64| -> f32 {
        v.filter(|v| v.is_finite())
            .map(|v| (v / span) as f32)
            .unwrap_or(0.0)
    };
    let mse = m
        .mse_psi
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| ((v / 1_000.0).ln() / 5.0) as f32)
        .unwrap_or(0.0);
    [
        mse,
        scaled(m.dc_exponent, 2.0),
        scaled(m.ecd_ppg, 5.0),
        scaled(m.flow_balance_gpm, 100.0),
        scaled(m.pit_gain_bbl, 10.0),
        scaled(m.torque_kftlbf, 20.0),
        scaled(m.wob_klb, 40.0),
        scaled(m.rpm, 150.0),
        scaled(m.rop_ft_h, 150.0),
        scaled(m.spp_psi, 3_000.0),
        scaled(m.hookload_klb, 300.0),
        scaled(m.mud_density_ppg, 5.0),
        scaled(depth_ft, 10_000.0),
    ]
}

/// Squared Euclidean distance (order-preserving and cheaper than the distance itself).
pub fn distance2(a: &Features, b: &Features) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_metrics_are_neutral_and_nothing_is_nan() {
        let empty = features(&EpisodeMetrics::default(), None);
        assert!(empty.iter().all(|v| *v == 0.0));
        let weird = EpisodeMetrics {
            mse_psi: Some(-5.0),
            dc_exponent: Some(f64::NAN),
            torque_kftlbf: Some(f64::INFINITY),
            ..EpisodeMetrics::default()
        };
        assert!(features(&weird, Some(f64::NAN))
            .iter()
            .all(|v| v.is_finite()));
    }

    #[test]
    fn nearer_situations_are_nearer_points() {
        let at = |torque: f64, depth: f64| {
            features(
                &EpisodeMetrics {
                    torque_kftlbf: Some(torque),
                    spp_psi: Some(3_000.0),
                    ..EpisodeMetrics::default()
                },
                Some(depth),
            )
        };
        let here = at(18.0, 12_000.0);
        assert!(distance2(&here, &at(17.0, 12_400.0)) < distance2(&here, &at(8.0, 12_000.0)));
        assert!(distance2(&here, &at(18.0, 12_500.0)) < distance2(&here, &at(18.0, 3_000.0)));
        assert_eq!(distance2(&here, &here), 0.0);
    }
}
