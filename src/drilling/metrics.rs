use serde::{Deserialize, Serialize};
use std::fmt;

/// What the rig is doing, classified from bit vs hole depth, RPM, flow, hookload and block movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RigState {
    /// On bottom, making hole.
    Drilling,
    /// Off bottom, rotating and pumping while moving the string.
    Reaming,
    /// Off bottom, pumping, string still.
    Circulating,
    /// In slips, adding a stand: pumps off, pit volume moves.
    Connection,
    /// Running the string into the hole.
    TrippingIn,
    /// Pulling the string out of the hole.
    TrippingOut,
    /// Nothing moving.
    Idle,
    /// Not enough channels to tell.
    #[default]
    Unknown,
}

impl RigState {
    /// Every state, drilling first.
    pub const ALL: [RigState; 8] = [
        Self::Drilling,
        Self::Reaming,
        Self::Circulating,
        Self::Connection,
        Self::TrippingIn,
        Self::TrippingOut,
        Self::Idle,
        Self::Unknown,
    ];

    /// The wire name (`"tripping_in"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drilling => "drilling",
            Self::Reaming => "reaming",
            Self::Circulating => "circulating",
            Self::Connection => "connection",
            Self::TrippingIn => "tripping_in",
            Self::TrippingOut => "tripping_out",
            Self::Idle => "idle",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for RigState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The drilling physics computed for one packet. A value is `None` when its inputs were absent
/// or the formula is undefined there (no ROP, no rotation); it is never NaN or infinite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrillingMetrics {
    /// The rig state this packet was classified as.
    pub rig_state: RigState,
    /// Mechanical specific energy (Teale 1965).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse_psi: Option<f64>,
    /// Rock strength over MSE (0–1), where the bit's rock strength is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse_efficiency: Option<f64>,
    /// d-exponent (Jorden & Shirley 1966).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d_exponent: Option<f64>,
    /// d-exponent corrected for mud weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dc_exponent: Option<f64>,
    /// Equivalent circulating density.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecd_ppg: Option<f64>,
    /// Flow out minus flow in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_balance_gpm: Option<f64>,
    /// Flow out minus flow in, as a percentage of flow in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_balance_pct: Option<f64>,
    /// Rate of change of the active pit volume (positive = gain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_rate_bbl_min: Option<f64>,
    /// Pit gain (positive) or loss (negative) since the last stable point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pit_gain_bbl: Option<f64>,
}
