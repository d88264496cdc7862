//! The measured channels of a `WitsPacket`, by name: what CSV channel maps, baselines and evidence
//! refer to.

use super::WitsPacket;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! channels {
    ($( $variant:ident => $field:ident, $item:expr, $unit:expr; )*) => {
        /// One measured channel of a `WitsPacket`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Channel {
            $(
                #[doc = concat!("`", stringify!($field), "`")]
                $variant,
            )*
        }

        impl Channel {
            /// Every channel, in WITS item order.
            pub const ALL: &'static [Channel] = &[$(Self::$variant),*];

            /// The packet field's name (`"torque_kftlbf"`), also its name in CSV maps and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($field)),* }
            }

            /// The WITS record-01 item that carries it, where there is one.
            pub fn wits_item(self) -> Option<u8> {
                match self { $(Self::$variant => $item),* }
            }

            /// The oilfield unit the packet holds it in (`"kft·lbf"`).
            pub fn unit(self) -> &'static str {
                match self { $(Self::$variant => $unit),* }
            }

            /// The channel's value in `packet`.
            pub fn get(self, packet: &WitsPacket) -> Option<f64> {
                match self { $(Self::$variant => packet.$field),* }
            }

            /// The channel's slot in `packet`.
            pub fn slot(self, packet: &mut WitsPacket) -> &mut Option<f64> {
                match self { $(Self::$variant => &mut packet.$field),* }
            }
        }
    };
}

channels! {
    BitDepth => bit_depth_ft, Some(8), "ft";
    HoleDepth => hole_depth_ft, Some(10), "ft";
    HoleDepthTvd => hole_depth_tvd_ft, Some(11), "ft";
    BlockPosition => block_position_ft, Some(12), "ft";
    Rop => rop_ft_h, Some(13), "ft/h";
    Hookload => hookload_klb, Some(14), "klb";
    Wob => wob_klb, Some(16), "klb";
    Torque => torque_kftlbf, Some(18), "kft·lbf";
    Rpm => rpm, Some(20), "rpm";
    Spp => spp_psi, Some(21), "psi";
    CasingPressure => casing_pressure_psi, Some(22), "psi";
    Pump1 => pump1_spm, Some(23), "spm";
    Pump2 => pump2_spm, Some(24), "spm";
    Pump3 => pump3_spm, Some(25), "spm";
    PitVolume => pit_volume_bbl, Some(26), "bbl";
    PitVolumeChange => pit_volume_change_bbl, Some(27), "bbl";
    FlowOutPct => flow_out_pct, Some(28), "%";
    FlowOut => flow_out_gpm, Some(29), "gpm";
    FlowIn => flow_in_gpm, Some(30), "gpm";
    MudDensityOut => mud_density_out_ppg, Some(31), "ppg";
    MudDensityIn => mud_density_in_ppg, Some(32), "ppg";
    Gas => gas_pct, Some(40), "%";
    TripTank => trip_tank_bbl, None, "bbl";
    GasC1 => gas_c1_ppm, None, "ppm";
    GasC2 => gas_c2_ppm, None, "ppm";
    GasC3 => gas_c3_ppm, None, "ppm";
    GasIc4 => gas_ic4_ppm, None, "ppm";
    GasNc4 => gas_nc4_ppm, None, "ppm";
    GasIc5 => gas_ic5_ppm, None, "ppm";
    GasNc5 => gas_nc5_ppm, None, "ppm";
    BitDiameter => bit_diameter_in, None, "in";
}

impl Channel {
    /// The channel with this field name.
    pub fn from_name(name: &str) -> Option<Channel> {
        Self::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_items_and_slots_agree() {
        let mut p = WitsPacket::default();
        for (i, &c) in Channel::ALL.iter().enumerate() {
            assert_eq!(Channel::from_name(c.as_str()), Some(c));
            *c.slot(&mut p) = Some(i as f64);
        }
        for (i, &c) in Channel::ALL.iter().enumerate() {
            assert_eq!(c.get(&p), Some(i as f64), "{c}");
        }
        // The JSON name is the field name, so a packet's JSON keys are channel names.
        let json = serde_json::to_value(&p).expect("json");
        for &c in Channel::ALL {
            assert!(json.get(c.as_str()).is_some(), "{c}");
        }
    }
}
