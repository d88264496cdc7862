//! Named dashboard users: their roles, names and passwords (argon2id). Who a signed-in request
//! is, whether a user or the admin key, is a [`Caller`].

use super::AuthError;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user may do; each role may do everything the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every fleet page and figure.
    Viewer,
    /// Also acts on the fleet's events: records an outcome from the fleet desk.
    Operator,
    /// Also manages rigs, users and the tunnel, and reads the audit trail.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// The role named `text`, if any.
    pub fn from_name(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The role named `text`, or why there is none.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::from_name(text)
            .ok_or_else(|| format!("role must be viewer, operator or admin, not {text:?}"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest user name.
pub const MAX_NAME_CHARS: usize = 64;
/// Shortest password accepted: a passphrase, not a word.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (argon2 work does not grow with it, but a body should be bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A user name: lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit —
/// safe in a URL path, a log line and a CSV cell as it is.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok_start && ok_chars && name.len() <= MAX_NAME_CHARS {
        Ok(())
    } else {
        Err(format!(
            "user name {name:?}: 1 to {MAX_NAME_CHARS} of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        ))
    }
}

/// Whether `password` may be set: long enough, bounded, and no control characters (which a
/// sign-in form could not carry back).
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters (got {n})"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at most {MAX_PASSWORD_CHARS} characters (got {n})"
        ));
    }
    if password.chars().any(char::is_control) {
        return Err("the password must not hold control characters".into());
    }
    Ok(())
}

/// The argon2id PHC hash of a password, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Internal(e.to_string()))
}

/// Whether `password` matches the stored PHC hash.
pub fn password_matches(password: &str, phc: &str) -> Result<bool, AuthError> {
    let parsed =
        PasswordHash::new(phc).map_err(|e| AuthError::Internal(format!("stored hash: {e}")))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Who a signed-in request comes from, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's name; `None` for the admin key (a script, or the bootstrap sign-in).
    pub user: Option<String>,
    /// What they may do.
    pub role: Role,
}

impl Caller {
    /// The admin key's holder.
    pub fn admin_key() -> Self {
        Self {
            user: None,
            role: Role::Admin,
        }
    }

    /// How the audit trail and the logs name them: `user NAME` or `admin key`.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(name) => format!("user {name}"),
            None => "admin key".into(),
        }
    }

    /// `Ok` when their role is at least `needed`, else 403 naming both.
    pub fn require(&self, needed: Role) -> Result<(), AuthError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(AuthError::RoleTooLow {
                actor: self.actor(),
                role: self.role,
                needed,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_roles_before_it_may() {
        let operator = Caller {
            user: Some("ann".into()),
            role: Role::Operator,
        };
        assert!(operator.require(Role::Viewer).is_ok());
        assert!(operator.require(Role::Operator).is_ok());
        let refused = operator.require(Role::Admin).expect_err("not admin");
        assert!(refused.to_string().contains("user ann"), "{refused}");
        assert!(refused.to_string().contains("admin"), "{refused}");
        assert!(Caller::admin_key().require(Role::Admin).is_ok());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn names_are_safe_as_they_are_and_passwords_are_passphrases() {
        for good in ["ann", "j.smith", "ops-1", "0night_shift"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Ann", "-x", "a b", "a/b", "ann\0", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("a long enough passphrase").is_ok());
        assert!(check_password("a long enough\npassphrase").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn a_password_matches_its_hash_and_nothing_else() {
        let phc = hash_password("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(password_matches("correct horse battery", &phc).expect("check"));
        assert!(!password_matches("correct horse battery!", &phc).expect("check"));
    }
}
