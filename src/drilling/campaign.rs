use serde::{Deserialize, Serialize};
use std::fmt;

/// What the well is being drilled or worked for; it changes how specialists are weighted
/// and which precedents are relevant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Campaign {
    /// Drilling a production (or exploration) well.
    Production,
    /// Plug & Abandonment: milling, cementing and cutting casing in an old well.
    PlugAndAbandonment,
}

impl Campaign {
    /// Both campaigns.
    pub const ALL: [Campaign; 2] = [Self::Production, Self::PlugAndAbandonment];

    /// The wire name (`"plug_and_abandonment"`), also used as the database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::PlugAndAbandonment => "plug_and_abandonment",
        }
    }

    /// The value with this wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// How a screen says it: `"P&A"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::PlugAndAbandonment => "P&A",
        }
    }
}

impl fmt::Display for Campaign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaigns_read_back_and_say_their_screen_names() {
        for c in Campaign::ALL {
            assert_eq!(Campaign::from_name(c.as_str()), Some(c));
        }
        assert_eq!(Campaign::PlugAndAbandonment.label(), "P&A");
        assert_eq!(Campaign::from_name("workover"), None);
    }
}
