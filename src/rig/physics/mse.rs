//! Mechanical specific energy (Teale 1965) and drilling efficiency against rock strength.

use super::finite;
use std::f64::consts::PI;

/// `MSE = 4·WOB/(π·D²) + 480·N·T/(D²·ROP)` in psi; WOB lbf, D in, N rpm, T ft·lbf, ROP ft/h.
///
/// The first term is the axial energy, the second the rotary energy per volume drilled. Undefined
/// (None) without penetration or a bit size: energy per zero volume removed has no meaning.
/// Without rotation or torque only the axial term remains, which is what a motor-less slide gives.
pub fn mse_psi(
    wob_lbf: f64,
    bit_in: f64,
    rpm: f64,
    torque_ftlbf: f64,
    rop_ft_h: f64,
) -> Option<f64> {
    if !(bit_in > 0.0 && rop_ft_h > 0.0 && wob_lbf >= 0.0) {
        return None;
    }
    let d2 = bit_in * bit_in;
    let axial = 4.0 * wob_lbf / (PI * d2);
    let rotary = if rpm > 0.0 && torque_ftlbf > 0.0 {
        480.0 * rpm * torque_ftlbf / (d2 * rop_ft_h)
    } else {
        0.0
    };
    finite(axial + rotary)
}

/// Rock strength over MSE, clamped to 0–1: 1 is every unit of energy going into breaking rock.
pub fn efficiency(rock_strength_psi: f64, mse_psi: f64) -> Option<f64> {
    if !(rock_strength_psi > 0.0 && mse_psi > 0.0) {
        return None;
    }
    finite((rock_strength_psi / mse_psi).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::acquisition::units::{FT_PER_M, KFTLBF_PER_KNM};

    /// Worked example published with the field-unit formula ("How to Calculate Mechanical
    /// Specific Energy (MSE) in Drilling", calculator5.snowdaycalculatornow.com, March 2026):
    /// WOB 35,000 lbf, 8.5 in bit, 120 rpm, 4,500 ft·lbf, 50 ft/h → about 72,357 psi (the page
    /// rounds the bit area to 56.75 in²; unrounded the sum is 72,367 psi).
    #[test]
    fn published_field_unit_example() {
        let mse = mse_psi(35_000.0, 8.5, 120.0, 4_500.0, 50.0).expect("defined");
        assert!((mse - 72_357.0).abs() / 72_357.0 < 2e-4, "{mse}");
    }

    /// Teale (1965), Int. J. Rock Mech. Min. Sci. 2, 57–73, defines specific energy in coherent
    /// units as `e = F/A + 2π·N·T/(A·u)` (N rev/s, u m/s). The oilfield constant 480 must give the
    /// same energy: a 311.15 mm (12¼ in) bit at 100 kN, 2 rev/s, 10 kN·m and 20 m/h is computed both
    /// ways and compared, 1 psi = 6,894.757 Pa (NIST SP 811).
    #[test]
    fn field_constant_agrees_with_teales_si_definition() {
        let d_m = 0.311_15;
        let area = PI * d_m * d_m / 4.0;
        let (force_n, rev_s, torque_nm, u_m_s) = (100_000.0, 2.0, 10_000.0, 20.0 / 3_600.0);
        let si_pa = force_n / area + 2.0 * PI * rev_s * torque_nm / (area * u_m_s);

        let field = mse_psi(
            force_n / 4.448_221_615_260_5,
            d_m / 0.0254,
            rev_s * 60.0,
            torque_nm / 1_000.0 * KFTLBF_PER_KNM * 1_000.0,
            20.0 * FT_PER_M,
        )
        .expect("defined");
        let si_psi = si_pa / 6_894.757_293_168;
        assert!(
            (field - si_psi).abs() / si_psi < 1e-9,
            "{field} vs {si_psi}"
        );
    }

    #[test]
    fn undefined_or_axial_only_never_nan() {
        assert_eq!(
            mse_psi(35_000.0, 8.5, 120.0, 4_500.0, 0.0),
            None,
            "no penetration"
        );
        assert_eq!(
            mse_psi(35_000.0, 0.0, 120.0, 4_500.0, 50.0),
            None,
            "no bit size"
        );
        assert_eq!(mse_psi(f64::NAN, 8.5, 120.0, 4_500.0, 50.0), None);
        let axial = mse_psi(35_000.0, 8.5, 0.0, 0.0, 50.0).expect("axial only");
        assert!((axial - 35_000.0 / (PI * 8.5 * 8.5 / 4.0)).abs() < 1e-9);
        assert_eq!(efficiency(20_000.0, 80_000.0), Some(0.25));
        assert_eq!(efficiency(20_000.0, 10_000.0), Some(1.0), "clamped");
        assert_eq!(efficiency(0.0, 10_000.0), None);
    }
}
