//! The two unit systems a WITS stream may use, and conversion to the oilfield (FPS) units every
//! `WitsPacket` field is named in.

use serde::{Deserialize, Serialize};

/// The units the rig's WITS items arrive in (a setting: WITS0 frames do not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitSystem {
    /// Oilfield units: ft, klb, kft·lbf, psi, bbl, gpm, ppg.
    #[default]
    Fps,
    /// WITS metric: m, KDN (10 kN), kN·m, kPa, m³, L/min, kg/m³.
    Metric,
}

/// What a channel measures, which decides its conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Depth or length: ft / m.
    Length,
    /// Rate of penetration: ft/h / m/h.
    Speed,
    /// Hookload, weight on bit: klb / KDN.
    Force,
    /// Torque: kft·lbf / kN·m.
    Torque,
    /// Pressure: psi / kPa.
    Pressure,
    /// Pit volume: bbl / m³.
    Volume,
    /// Flow rate: gpm / L/min.
    Flow,
    /// Mud density: ppg / kg/m³.
    Density,
    /// Bit or hole diameter: in / mm.
    Diameter,
    /// rpm, spm, %: the same in both systems.
    Unitless,
}

/// Feet per metre (exact by definition of the international foot: 0.3048 m).
pub const FT_PER_M: f64 = 1.0 / 0.3048;
/// Kilopounds-force per KDN (10 kN): 10,000 N / 4.448 221 615 260 5 N/lbf / 1,000.
pub const KLB_PER_KDN: f64 = 10_000.0 / 4.448_221_615_260_5 / 1_000.0;
/// kft·lbf per kN·m: 1,000 N·m / 1.355 817 948 331 4 N·m per ft·lbf / 1,000.
pub const KFTLBF_PER_KNM: f64 = 1.0 / 1.355_817_948_331_4;
/// psi per kPa: 1,000 Pa / 6,894.757 293 168 Pa per psi.
pub const PSI_PER_KPA: f64 = 1_000.0 / 6_894.757_293_168;
/// Barrels (42 US gal) per cubic metre: 1 / 0.158 987 294 928.
pub const BBL_PER_M3: f64 = 1.0 / 0.158_987_294_928;
/// US gallons per litre: 1 / 3.785 411 784.
pub const GAL_PER_L: f64 = 1.0 / 3.785_411_784;
/// Pounds per US gallon per kg/m³: 3.785 411 784 L / 0.453 592 37 kg / 1,000.
pub const PPG_PER_KG_M3: f64 = 3.785_411_784 / 0.453_592_37 / 1_000.0;

impl UnitSystem {
    /// `value` of `quantity` in this system, in FPS.
    pub fn to_fps(self, quantity: Quantity, value: f64) -> f64 {
        match self {
            Self::Fps => value,
            Self::Metric => value * metric_factor(quantity),
        }
    }
}

/// Newtons per pound-force (NIST SP 811).
const N_PER_LBF: f64 = 4.448_221_615_260_5;
/// Newtons per kilogram-force (standard gravity, 9.806 65 m/s²).
const N_PER_KGF: f64 = 9.806_65;

/// Every unit a CSV channel map may name (lower case, separators as `.`), with what it measures and
/// the factor that takes it to the FPS unit of that quantity.
const UNITS: &[(&[&str], Quantity, f64)] = &[
    (&["ft"], Quantity::Length, 1.0),
    (&["m"], Quantity::Length, FT_PER_M),
    (&["ft/h", "ft/hr"], Quantity::Speed, 1.0),
    (&["m/h", "m/hr"], Quantity::Speed, FT_PER_M),
    // SI base units, as WITSML logs carry them.
    (&["m/s"], Quantity::Speed, FT_PER_M * 3_600.0),
    (&["n"], Quantity::Force, 1.0 / N_PER_LBF / 1_000.0),
    (&["klb", "klbf", "kip"], Quantity::Force, 1.0),
    (&["lb", "lbf"], Quantity::Force, 1e-3),
    (&["kn"], Quantity::Force, 1_000.0 / N_PER_LBF / 1_000.0),
    (&["kdn"], Quantity::Force, KLB_PER_KDN),
    (
        &["kkgf", "tf", "tonne.force"],
        Quantity::Force,
        1_000.0 * N_PER_KGF / N_PER_LBF / 1_000.0,
    ),
    (&["kft.lbf", "kft.lb"], Quantity::Torque, 1.0),
    (&["ft.lbf", "ft.lb"], Quantity::Torque, 1e-3),
    (&["kn.m"], Quantity::Torque, KFTLBF_PER_KNM),
    (&["n.m"], Quantity::Torque, KFTLBF_PER_KNM / 1_000.0),
    (&["psi"], Quantity::Pressure, 1.0),
    (&["kpa"], Quantity::Pressure, PSI_PER_KPA),
    (&["bar"], Quantity::Pressure, 100.0 * PSI_PER_KPA),
    (&["mpa"], Quantity::Pressure, 1_000.0 * PSI_PER_KPA),
    (&["pa"], Quantity::Pressure, PSI_PER_KPA / 1_000.0),
    (&["bbl"], Quantity::Volume, 1.0),
    (&["m3", "m³"], Quantity::Volume, BBL_PER_M3),
    (&["gpm", "gal/min"], Quantity::Flow, 1.0),
    (&["l/min", "lpm"], Quantity::Flow, GAL_PER_L),
    (&["m3/min", "m³/min"], Quantity::Flow, 1_000.0 * GAL_PER_L),
    (&["m3/s", "m³/s"], Quantity::Flow, 60_000.0 * GAL_PER_L),
    (&["ppg", "lb/gal"], Quantity::Density, 1.0),
    (&["kg/m3", "kg/m³"], Quantity::Density, PPG_PER_KG_M3),
    (
        &["g/cm3", "g/cm³", "sg"],
        Quantity::Density,
        1_000.0 * PPG_PER_KG_M3,
    ),
    (&["in"], Quantity::Diameter, 1.0),
    (&["mm"], Quantity::Diameter, 1.0 / 25.4),
    (
        &["rpm", "spm", "%", "1", "euc", "unitless", "ppm"],
        Quantity::Unitless,
        1.0,
    ),
    // Revolutions per second (WITSML's c/s): rpm.
    (&["c/s", "rev/s"], Quantity::Unitless, 60.0),
];

/// A unit as written in a CSV channel map (case-insensitive: `"kN.m"`, `"L/min"`, `"kkgf"`), with
/// what it measures and the factor that takes it to the FPS unit of that quantity.
pub fn parse_unit(name: &str) -> Option<(Quantity, f64)> {
    let unit = name
        .trim()
        .to_ascii_lowercase()
        .replace(['·', '*', '-', ' '], ".");
    UNITS
        .iter()
        .find(|(names, _, _)| names.contains(&unit.as_str()))
        .map(|&(_, quantity, factor)| (quantity, factor))
}

/// The units a channel map may name for `quantity`, for an error that says what would do.
pub fn units_for(quantity: Quantity) -> Vec<&'static str> {
    UNITS
        .iter()
        .filter(|(_, q, _)| *q == quantity)
        .flat_map(|(names, _, _)| names.iter().copied())
        .collect()
}

fn metric_factor(quantity: Quantity) -> f64 {
    match quantity {
        Quantity::Length | Quantity::Speed => FT_PER_M,
        Quantity::Force => KLB_PER_KDN,
        Quantity::Torque => KFTLBF_PER_KNM,
        Quantity::Pressure => PSI_PER_KPA,
        Quantity::Volume => BBL_PER_M3,
        Quantity::Flow => GAL_PER_L,
        Quantity::Density => PPG_PER_KG_M3,
        Quantity::Diameter => 1.0 / 25.4,
        Quantity::Unitless => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    /// Reference values: NIST Special Publication 811 (2008), Appendix B.8 conversion factors,
    /// and the API barrel (42 US gal).
    #[test]
    fn metric_converts_to_oilfield_units_as_nist_sp_811_gives() {
        let m = UnitSystem::Metric;
        assert!(close(m.to_fps(Quantity::Length, 1_000.0), 3_280.84, 1e-6));
        assert!(close(m.to_fps(Quantity::Speed, 30.48), 100.0, 1e-12));
        // 1 lbf = 4.448 222 N, so 1 KDN (10 kN) = 2,248.089 lbf.
        assert!(close(m.to_fps(Quantity::Force, 1.0), 2.248_089, 1e-6));
        // 1 ft·lbf = 1.355 818 N·m.
        assert!(close(m.to_fps(Quantity::Torque, 1.355_818), 1.0, 1e-6));
        // 1 psi = 6.894 757 kPa.
        assert!(close(m.to_fps(Quantity::Pressure, 6.894_757), 1.0, 1e-6));
        // 1 bbl = 0.158 987 3 m³.
        assert!(close(m.to_fps(Quantity::Volume, 1.0), 6.289_811, 1e-6));
        assert!(close(
            m.to_fps(Quantity::Flow, 3_785.411_784),
            1_000.0,
            1e-12
        ));
        // Fresh water, 1,000 kg/m³ = 8.345 404 lb/US gal.
        assert!(close(m.to_fps(Quantity::Density, 1_000.0), 8.345_404, 1e-6));
        assert_eq!(m.to_fps(Quantity::Unitless, 120.0), 120.0);
        assert_eq!(UnitSystem::Fps.to_fps(Quantity::Pressure, 3_000.0), 3_000.0);
    }

    /// The Volve log's units (its README): 1 kkgf = 9,806.65 N = 2,204.62 lbf; 1 g/cm³ is
    /// 8.345 404 ppg; 311.15 mm is a 12¼ in bit; 1 bar = 14.503 77 psi (NIST SP 811).
    #[test]
    fn csv_unit_names_parse_to_factors() {
        let f = |u: &str| parse_unit(u).expect(u);
        assert_eq!(f("kkgf").0, Quantity::Force);
        assert!(close(f("kkgf").1, 2.204_62, 5e-6), "rounded in the README");
        assert!(close(f("g/cm3").1 * 1.21, 10.098, 1e-4));
        assert!(close(f("mm").1 * 311.15, 12.25, 1e-12));
        assert!(close(f("bar").1, 14.503_77, 1e-6));
        assert!(close(f("kN.m").1, f("KN·M").1, 0.0));
        assert_eq!(f("L/min"), f("lpm"));
        assert_eq!(parse_unit("furlongs"), None);
    }
}
