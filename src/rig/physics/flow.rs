//! Flow balance: returns against what the pumps put in. (The pit's gain and trend are well
//! control's: they need the rig's connections and transfers.)

use super::finite;

/// US gallons in one oilfield barrel (API barrel, 42 US gal exactly).
pub const GAL_PER_BBL: f64 = 42.0;

/// Flow out minus flow in: (gpm, percent of flow in). Positive means more returns than went in.
///
/// The percentage is undefined with the pumps off (no flow in): a connection's flow-back is not a
/// percentage of anything.
pub fn flow_balance(flow_in_gpm: f64, flow_out_gpm: f64) -> (Option<f64>, Option<f64>) {
    if !(flow_in_gpm >= 0.0 && flow_out_gpm >= 0.0) {
        return (None, None);
    }
    let gpm = finite(flow_out_gpm - flow_in_gpm);
    let pct = if flow_in_gpm > 1.0 {
        finite(100.0 * (flow_out_gpm - flow_in_gpm) / flow_in_gpm)
    } else {
        None
    };
    (gpm, pct)
}

/// A volume rate in gpm as bbl/min.
pub fn gpm_to_bbl_min(gpm: f64) -> f64 {
    gpm / GAL_PER_BBL
}

#[cfg(test)]
mod tests {
    use super::*;
    /// Flow balance in gallons and barrels: the API barrel is 42 US gal (API MPMS Ch. 1), so an
    /// influx of 21 gpm is 0.5 bbl/min, and returns of 630 gpm against 600 in are +5 %.
    #[test]
    fn flow_balance_in_gpm_percent_and_barrels() {
        let (gpm, pct) = flow_balance(600.0, 630.0);
        assert_eq!(gpm, Some(30.0));
        assert!((pct.expect("pct") - 5.0).abs() < 1e-12);
        assert_eq!(gpm_to_bbl_min(21.0), 0.5);
        assert_eq!(
            flow_balance(0.0, 40.0),
            (Some(40.0), None),
            "pumps off: no percentage"
        );
        assert_eq!(flow_balance(f64::NAN, 40.0), (None, None));
    }

    /// Worked example "Oil Refinery Flow Rate" published with the bbl/day ↔ gpm conversion
    /// (yescalculator.com, "Barrels Per Day to GPM Calculator"): 10,000 bbl/day × 42 gal/bbl ÷
    /// 1,440 min/day = 291.67 gpm. Returns that much above what the pumps put in are an influx of
    /// 10,000 / 1,440 = 6.94 bbl/min.
    #[test]
    fn published_barrels_per_day_to_gpm_example() {
        let (gpm, pct) = flow_balance(600.0, 600.0 + 291.67);
        let gpm = gpm.expect("balance");
        assert!((gpm - 291.67).abs() < 1e-9, "{gpm}");
        let bbl_per_day = gpm_to_bbl_min(gpm) * 1_440.0;
        assert!((bbl_per_day - 10_000.0).abs() < 0.5, "{bbl_per_day}");
        assert!((pct.expect("pct") - 48.61).abs() < 0.01);
    }
}
