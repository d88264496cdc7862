//! Equivalent circulating density and the annular pressure loss behind it.

use super::finite;

/// Hydrostatic gradient of 1 ppg mud in psi/ft: a 1 ft column on 1 in² holds 12 in³ = 12/231 US gal,
/// so weighs 0.0519 lb; the oilfield rounds it to 0.052.
pub const PSI_PER_FT_PER_PPG: f64 = 0.052;

/// `ECD = MW + ΔP_annulus / (0.052 · TVD)` in ppg.
pub fn ecd_ppg(mud_ppg: f64, annular_loss_psi: f64, tvd_ft: f64) -> Option<f64> {
    if !(mud_ppg > 0.0 && tvd_ft > 0.0 && annular_loss_psi >= 0.0) {
        return None;
    }
    finite(mud_ppg + annular_loss_psi / (PSI_PER_FT_PER_PPG * tvd_ft))
}

/// Annular velocity in ft/min: `24.5 · Q / (Dh² − Dp²)`, Q gpm, diameters in.
pub fn annular_velocity_ft_min(flow_gpm: f64, hole_in: f64, pipe_od_in: f64) -> Option<f64> {
    let gap = hole_in * hole_in - pipe_od_in * pipe_od_in;
    if !(flow_gpm >= 0.0 && gap > 0.0) {
        return None;
    }
    finite(24.5 * flow_gpm / gap)
}

/// Annular pressure loss in psi over `length_ft` of annulus, the field approximation
/// `P = 1.4327·10⁻⁷ · MW · L · V² / (Dh − Dp)` (V ft/min): what a rig without a hydraulics model
/// uses, good to the accuracy the mud's rheology is known to.
pub fn annular_loss_psi(
    mud_ppg: f64,
    length_ft: f64,
    flow_gpm: f64,
    hole_in: f64,
    pipe_od_in: f64,
) -> Option<f64> {
    let v = annular_velocity_ft_min(flow_gpm, hole_in, pipe_od_in)?;
    if !(mud_ppg > 0.0 && length_ft >= 0.0) {
        return None;
    }
    finite(1.4327e-7 * mud_ppg * length_ft * v * v / (hole_in - pipe_od_in))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lapeyrouse, *Formulas and Calculations for Drilling, Production and Workover*, 2nd ed.
    /// (2002), worked in "Pressure Loss and Equivalent Circulating Density Review"
    /// (drillingformulas.com): 12.7 ppg mud, annular friction 50 psi, 10,000 ft TVD → 12.8 ppg.
    #[test]
    fn lapeyrouse_ecd_example() {
        let ecd = ecd_ppg(12.7, 50.0, 10_000.0).expect("defined");
        assert!((ecd - 12.8).abs() < 0.005, "{ecd}");
    }

    /// Lapeyrouse (2002), annular pressure loss example (reproduced by drillingformulas.com,
    /// "Annular Pressure Loss"): 13.0 ppg, 8,000 ft, 320 gpm, 6.5 in hole, 4.0 in pipe →
    /// annular velocity 299 ft/min, loss 531.65 psi; the ECD at 8,000 ft TVD follows as
    /// 13.0 + 531.65 / (0.052 × 8,000) = 14.28 ppg.
    #[test]
    fn lapeyrouse_annular_loss_example() {
        let v = annular_velocity_ft_min(320.0, 6.5, 4.0).expect("defined");
        assert!((v - 299.0).abs() < 0.5, "{v}");
        let loss = annular_loss_psi(13.0, 8_000.0, 320.0, 6.5, 4.0).expect("defined");
        // The book rounds V to 299 before squaring; unrounded the loss is 0.2 % lower.
        assert!((loss - 531.65).abs() / 531.65 < 0.003, "{loss}");
        let ecd = ecd_ppg(13.0, loss, 8_000.0).expect("defined");
        assert!((ecd - 14.28).abs() < 0.01, "{ecd}");
    }

    #[test]
    fn undefined_geometry_gives_none() {
        assert_eq!(annular_velocity_ft_min(300.0, 5.0, 5.0), None, "no annulus");
        assert_eq!(
            annular_velocity_ft_min(300.0, 4.0, 5.0),
            None,
            "pipe wider than hole"
        );
        assert_eq!(ecd_ppg(12.0, 50.0, 0.0), None, "surface");
        assert_eq!(ecd_ppg(f64::NAN, 50.0, 1_000.0), None);
        assert_eq!(annular_loss_psi(12.0, 1_000.0, 0.0, 8.5, 5.0), Some(0.0));
    }
}
