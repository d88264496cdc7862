use serde::{Deserialize, Serialize};
use std::fmt;

/// How urgently the driller must act; ordered, so `level >= RiskLevel::Elevated` reads as it sounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Worth watching; stays on the rig.
    Low,
    /// AMBER: confirmed trouble developing; uploaded to the fleet.
    Elevated,
    /// RED: act now.
    High,
    /// RED: the well is at risk; act immediately.
    Critical,
}

impl RiskLevel {
    /// All levels, lowest first.
    pub const ALL: [RiskLevel; 4] = [Self::Low, Self::Elevated, Self::High, Self::Critical];

    /// The value with this wire name (`"critical"`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }

    /// How a screen says it: `"Critical"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Elevated => "Elevated",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }

    /// The wire name (`"elevated"`), also used as the database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Elevated => "elevated",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_from_low_to_critical() {
        assert!(RiskLevel::Low < RiskLevel::Elevated);
        assert!(RiskLevel::Elevated < RiskLevel::High);
        assert!(RiskLevel::High < RiskLevel::Critical);
    }

    #[test]
    fn wire_names_match_as_str() {
        for level in RiskLevel::ALL {
            let json = serde_json::to_string(&level).expect("serialize");
            assert_eq!(json, format!("\"{}\"", level.as_str()));
        }
    }
}
