use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of trouble SAIREN recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyCategory {
    /// Formation fluid entering the wellbore (pit gain, flow out above flow in).
    Kick,
    /// Mud lost to the formation (pit loss, flow out below flow in).
    LostCirculation,
    /// Cuttings or cavings packing around the string (pressure and torque rising).
    PackOff,
    /// A hole in the string or a bit nozzle lost (pressure falling at constant flow).
    Washout,
    /// The string parted (hookload, torque and pressure drop together).
    TwistOff,
    /// The string cannot move or rotate freely.
    StuckPipe,
    /// Torsional oscillation of the string (torque cycling at constant RPM).
    StickSlip,
    /// ROP stops responding to more weight on bit: bit balling or foundering.
    Founder,
    /// Energy wasted: MSE far above the rock's strength.
    MseInefficiency,
    /// A change in pore pressure seen in the corrected d-exponent trend.
    PressureTransition,
}

/// The engineering discipline a category belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryGroup {
    /// Kick and lost circulation.
    WellControl,
    /// Pack-off and washout.
    Hydraulics,
    /// Twist-off, stuck pipe, stick-slip.
    Mechanical,
    /// Founder and poor MSE efficiency.
    Efficiency,
    /// Pressure transition.
    Formation,
}

impl AnomalyCategory {
    /// Every category, in a stable order.
    pub const ALL: [AnomalyCategory; 10] = [
        Self::Kick,
        Self::LostCirculation,
        Self::PackOff,
        Self::Washout,
        Self::TwistOff,
        Self::StuckPipe,
        Self::StickSlip,
        Self::Founder,
        Self::MseInefficiency,
        Self::PressureTransition,
    ];

    /// The value with this wire name (`"pack_off"`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }

    /// The wire name (`"pack_off"`), also used as the database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kick => "kick",
            Self::LostCirculation => "lost_circulation",
            Self::PackOff => "pack_off",
            Self::Washout => "washout",
            Self::TwistOff => "twist_off",
            Self::StuckPipe => "stuck_pipe",
            Self::StickSlip => "stick_slip",
            Self::Founder => "founder",
            Self::MseInefficiency => "mse_inefficiency",
            Self::PressureTransition => "pressure_transition",
        }
    }

    /// How a driller says it: `"pack-off"`, `"lost circulation"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Kick => "kick",
            Self::LostCirculation => "lost circulation",
            Self::PackOff => "pack-off",
            Self::Washout => "washout",
            Self::TwistOff => "twist-off",
            Self::StuckPipe => "stuck pipe",
            Self::StickSlip => "stick-slip",
            Self::Founder => "founder",
            Self::MseInefficiency => "poor MSE efficiency",
            Self::PressureTransition => "pressure transition",
        }
    }

    /// The discipline this category belongs to.
    pub fn group(self) -> CategoryGroup {
        match self {
            Self::Kick | Self::LostCirculation => CategoryGroup::WellControl,
            Self::PackOff | Self::Washout => CategoryGroup::Hydraulics,
            Self::TwistOff | Self::StuckPipe | Self::StickSlip => CategoryGroup::Mechanical,
            Self::Founder | Self::MseInefficiency => CategoryGroup::Efficiency,
            Self::PressureTransition => CategoryGroup::Formation,
        }
    }
}

impl fmt::Display for AnomalyCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_as_str_for_every_category() {
        for c in AnomalyCategory::ALL {
            let json = serde_json::to_string(&c).expect("serialize");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            let back: AnomalyCategory = serde_json::from_str(&json).expect("parse");
            assert_eq!(back, c);
        }
    }

    /// The pipeline indexes per-category arrays with `category as usize`.
    #[test]
    fn all_lists_categories_in_declaration_order() {
        for (i, c) in AnomalyCategory::ALL.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }

    #[test]
    fn groups_follow_the_design() {
        assert_eq!(AnomalyCategory::Kick.group(), CategoryGroup::WellControl);
        assert_eq!(AnomalyCategory::Washout.group(), CategoryGroup::Hydraulics);
        assert_eq!(
            AnomalyCategory::StickSlip.group(),
            CategoryGroup::Mechanical
        );
        assert_eq!(AnomalyCategory::Founder.group(), CategoryGroup::Efficiency);
        assert_eq!(
            AnomalyCategory::PressureTransition.group(),
            CategoryGroup::Formation
        );
    }
}
