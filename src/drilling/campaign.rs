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
}

impl fmt::Display for Campaign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
