//! The d-exponent (Jorden & Shirley, 1966) and its mud-weight correction (Rehm & McClendon, 1971).

use super::finite;

/// `d = log10(R / 60N) / log10(12W / 10⁶D)`, R ft/h, N rpm, W lbf, D in (Jorden & Shirley 1966).
///
/// Undefined (None) without penetration, rotation or weight, or where the denominator vanishes
/// (12W = 10⁶D, a weight no bit carries).
pub fn d_exponent(rop_ft_h: f64, rpm: f64, wob_lbf: f64, bit_in: f64) -> Option<f64> {
    if !(rop_ft_h > 0.0 && rpm > 0.0 && wob_lbf > 0.0 && bit_in > 0.0) {
        return None;
    }
    let denominator = (12.0 * wob_lbf / (1e6 * bit_in)).log10();
    if denominator.abs() < 1e-9 {
        return None;
    }
    finite((rop_ft_h / (60.0 * rpm)).log10() / denominator)
}

/// `dc = d · ρ_normal / ρ_mud`, densities in ppg (Rehm & McClendon 1971).
pub fn dc_exponent(d: f64, normal_ppg: f64, mud_ppg: f64) -> Option<f64> {
    if !(normal_ppg > 0.0 && mud_ppg > 0.0) {
        return None;
    }
    finite(d * normal_ppg / mud_ppg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lapeyrouse, N. J., *Formulas and Calculations for Drilling, Production and Workover*,
    /// 2nd ed. (Gulf Professional Publishing, 2002), "d" exponent example: R = 30 ft/h,
    /// N = 120 rpm, W = 35,000 lb, D = 8.5 in → d = 1.82.
    #[test]
    fn lapeyrouse_d_exponent_example() {
        let d = d_exponent(30.0, 120.0, 35_000.0, 8.5).expect("defined");
        assert!((d - 1.82).abs() < 0.005, "{d}");
    }

    /// Lapeyrouse (2002), corrected "d" exponent example: R = 90 ft/h, N = 110 rpm,
    /// W = 20,000 lb, D = 8.5 in, normal 9.0 ppg, actual 12.0 ppg → d = 1.20, dc = 0.90.
    #[test]
    fn lapeyrouse_corrected_d_exponent_example() {
        let d = d_exponent(90.0, 110.0, 20_000.0, 8.5).expect("defined");
        assert!((d - 1.20).abs() < 0.005, "{d}");
        let dc = dc_exponent(d, 9.0, 12.0).expect("defined");
        assert!((dc - 0.90).abs() < 0.005, "{dc}");
    }

    #[test]
    fn undefined_inputs_give_none_never_nan() {
        assert_eq!(
            d_exponent(0.0, 120.0, 35_000.0, 8.5),
            None,
            "no penetration"
        );
        assert_eq!(d_exponent(30.0, 0.0, 35_000.0, 8.5), None, "no rotation");
        assert_eq!(d_exponent(30.0, 120.0, 0.0, 8.5), None, "no weight");
        assert_eq!(d_exponent(f64::NAN, 120.0, 35_000.0, 8.5), None);
        assert_eq!(
            d_exponent(30.0, 120.0, 1e6 * 8.5 / 12.0, 8.5),
            None,
            "log of 1"
        );
        assert_eq!(dc_exponent(1.5, 9.0, 0.0), None);
        assert_eq!(dc_exponent(f64::INFINITY, 9.0, 10.0), None);
    }
}
