//! Identifiers that can only hold valid values: once parsed, nothing re-checks them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty string.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("must be at most {max} characters, got {len}")]
    TooLong {
        /// The maximum length.
        max: usize,
        /// The length given.
        len: usize,
    },
    /// A character outside the allowed set.
    #[error("may contain only letters, digits, '-', '_' and '.', and must start with a letter or digit (got {0:?})")]
    BadCharacter(String),
    /// An event id that is not `{rig_id}-{unix_seconds}` or `{rig_id}-{unix_seconds}-{n}`.
    #[error("event id {id:?} must be \"{rig_id}-<unix seconds>\" or \"{rig_id}-<unix seconds>-<n>\" (n of at most 4 digits)")]
    NotOfRig {
        /// The event id.
        id: String,
        /// The rig it should belong to.
        rig_id: String,
    },
}

fn check_token(s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > max {
        return Err(IdError::TooLong { max, len: s.len() });
    }
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(IdError::BadCharacter(s.to_owned()))
    }
}

/// A rig's identifier, e.g. `RIG-ALPHA-7`: 1–64 letters, digits, `-`, `_`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RigId(String);

impl RigId {
    /// The longest rig id accepted.
    pub const MAX_LEN: usize = 64;

    /// The id of a rig not yet configured (`[rig] rig_id`'s default).
    pub fn default_rig() -> Self {
        Self("RIG-LOCAL".into())
    }

    /// Parse a rig id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_token(s, Self::MAX_LEN)?;
        Ok(Self(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RigId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        check_token(&s, Self::MAX_LEN)?;
        Ok(Self(s))
    }
}

impl From<RigId> for String {
    fn from(id: RigId) -> String {
        id.0
    }
}

impl fmt::Display for RigId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fleet event's identifier: `{rig_id}-{unix_seconds}`, with `-N` where two fall in one second.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

impl EventId {
    /// The longest event id accepted (a 64-character rig id, a 20-digit time and a suffix).
    pub const MAX_LEN: usize = 100;

    /// The id of the `n`th event (0 = first, no suffix) a rig raised in one second.
    pub fn new(rig: &RigId, unix_seconds: i64, n: u32) -> Self {
        if n == 0 {
            Self(format!("{rig}-{unix_seconds}"))
        } else {
            Self(format!("{rig}-{unix_seconds}-{n}"))
        }
    }

    /// Parse an event id's characters; whether it belongs to a rig is [`EventId::check_rig`]'s job.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_token(s, Self::MAX_LEN)?;
        Ok(Self(s.to_owned()))
    }

    /// Confirm the id is `{rig}-{digits}` or `{rig}-{digits}-{digits}`.
    pub fn check_rig(&self, rig: &RigId) -> Result<(), IdError> {
        // Seconds of at least 9 digits (after 1973) and a suffix of at most 4 make the id space
        // unambiguous: rig "A" cannot claim "A-7-1700000000", which is rig "A-7"'s.
        let digits = |s: &str, lens: std::ops::RangeInclusive<usize>| {
            lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        let ok = self
            .0
            .strip_prefix(rig.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|rest| match rest.split_once('-') {
                None => digits(rest, 9..=20),
                Some((secs, n)) => digits(secs, 9..=20) && digits(n, 1..=4),
            });
        if ok {
            Ok(())
        } else {
            Err(IdError::NotOfRig {
                id: self.0.clone(),
                rig_id: rig.to_string(),
            })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EventId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        check_token(&s, Self::MAX_LEN)?;
        Ok(Self(s))
    }
}

impl From<EventId> for String {
    fn from(id: EventId) -> String {
        id.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rig(s: &str) -> RigId {
        RigId::parse(s).expect("valid rig id")
    }

    #[test]
    fn rig_ids_accept_the_usual_shapes() {
        for ok in ["RIG-ALPHA-7", "rig_01", "a", "North.Sea-3"] {
            assert!(RigId::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rig_ids_refuse_empty_long_and_odd_characters() {
        assert_eq!(RigId::parse(""), Err(IdError::Empty));
        assert!(matches!(
            RigId::parse(&"x".repeat(65)),
            Err(IdError::TooLong { max: 64, len: 65 })
        ));
        for bad in ["-lead", "has space", "slash/y", "ünï", "semi;colon"] {
            assert!(
                matches!(RigId::parse(bad), Err(IdError::BadCharacter(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn event_ids_belong_to_their_rig_only() {
        let alpha = rig("RIG-ALPHA-7");
        let id = EventId::new(&alpha, 1_700_000_000, 0);
        assert_eq!(id.as_str(), "RIG-ALPHA-7-1700000000");
        assert!(id.check_rig(&alpha).is_ok());
        assert!(EventId::new(&alpha, 1_700_000_000, 2)
            .check_rig(&alpha)
            .is_ok());
        // A rig whose id is a prefix of another's cannot claim its events.
        assert!(id.check_rig(&rig("RIG-ALPHA")).is_err());
        assert!(id.check_rig(&rig("RIG-BETA-1")).is_err());
        let bad = [
            "RIG-ALPHA-7",
            "RIG-ALPHA-7-",
            "RIG-ALPHA-7-abc",
            "RIG-ALPHA-7-1700000000-",
            "RIG-ALPHA-7-1700000000-12345",
            "RIG-ALPHA-7-12345",
            "RIG-ALPHA-7-1-2-3",
        ];
        for bad in bad {
            let parsed = EventId::parse(bad).expect("characters are fine");
            assert!(parsed.check_rig(&alpha).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_reject_bad_json_values_with_the_reason() {
        let err = serde_json::from_str::<RigId>("\"bad rig\"").expect_err("space is not allowed");
        assert!(err.to_string().contains("may contain only"), "{err}");
    }
}
