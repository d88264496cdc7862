use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One WITS record-01 sample, converted to oilfield (FPS) units.
///
/// Every channel is optional: rigs send what their sensors have, and an absent value
/// (a WITS null such as -999.25) is `None`, never a number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WitsPacket {
    /// When the sample was taken (the rig's clock, UTC).
    pub timestamp: DateTime<Utc>,
    /// Item 0108: bit depth, measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_depth_ft: Option<f64>,
    /// Item 0110: hole depth, measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hole_depth_ft: Option<f64>,
    /// Item 0111: hole depth, true vertical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hole_depth_tvd_ft: Option<f64>,
    /// Item 0112: block position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_position_ft: Option<f64>,
    /// Item 0113: rate of penetration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rop_ft_h: Option<f64>,
    /// Item 0114: hookload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hookload_klb: Option<f64>,
    /// Item 0116: weight on bit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wob_klb: Option<f64>,
    /// Item 0118: rotary torque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torque_kftlbf: Option<f64>,
    /// Item 0120: rotary speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<f64>,
    /// Item 0121: standpipe pressure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spp_psi: Option<f64>,
    /// Item 0122: casing (choke) pressure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub casing_pressure_psi: Option<f64>,
    /// Item 0123: pump 1 stroke rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pump1_spm: Option<f64>,
    /// Item 0124: pump 2 stroke rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pump2_spm: Option<f64>,
    /// Item 0125: pump 3 stroke rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pump3_spm: Option<f64>,
    /// Item 0126: active pit volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_volume_bbl: Option<f64>,
    /// Item 0127: change in active pit volume, as the rig reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_volume_change_bbl: Option<f64>,
    /// Item 0128: flow out, paddle percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_out_pct: Option<f64>,
    /// Item 0129: flow out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_out_gpm: Option<f64>,
    /// Item 0130: flow in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_in_gpm: Option<f64>,
    /// Item 0131: mud density out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mud_density_out_ppg: Option<f64>,
    /// Item 0132: mud density in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mud_density_in_ppg: Option<f64>,
    /// Item 0140: total gas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_pct: Option<f64>,
    /// Record 11, item 1129: trip tank 1 volume (the hole is filled from, and returns to, it on
    /// trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip_tank_bbl: Option<f64>,
    /// Record 12, item 1212: methane (C1) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_c1_ppm: Option<f64>,
    /// Record 12, item 1213: ethane (C2) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_c2_ppm: Option<f64>,
    /// Record 12, item 1214: propane (C3) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_c3_ppm: Option<f64>,
    /// Record 12, item 1215: iso-butane (iC4) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_ic4_ppm: Option<f64>,
    /// Record 12, item 1216: normal butane (nC4) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_nc4_ppm: Option<f64>,
    /// Record 12, item 1217: iso-pentane (iC5) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_ic5_ppm: Option<f64>,
    /// Record 12, item 1218: normal pentane (nC5) from the gas chromatograph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_nc5_ppm: Option<f64>,
    /// Bit diameter, where the source sends it (drilling logs do; WITS record 01 does not).
    /// Without it, physics uses the bit size in the rig's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_diameter_in: Option<f64>,
}

impl WitsPacket {
    /// Measured depth as an advisory or event states it: hole depth, else bit depth, ft.
    pub fn depth_ft(&self) -> Option<f64> {
        self.hole_depth_ft.or(self.bit_depth_ft)
    }
}
