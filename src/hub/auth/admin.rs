//! The fleet administrator's key, and the dashboard sessions it signs.

use super::keys::{hex, Blake2b256};
use crate::web::Secret;
use blake2::Digest;
use subtle::ConstantTimeEq;

/// The dashboard's session cookie.
pub const COOKIE: &str = "sairen_session";

/// How long a sign-in lasts: one 12-hour tour, then the key is asked again.
pub const SESSION_HOURS: i64 = 12;

/// The fleet administrator's key, held only as a digest and compared in constant time.
pub struct AdminKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey(***)")
    }
}

impl AdminKey {
    /// Shortest admin key accepted.
    pub const MIN_LEN: usize = 16;

    /// Accept an admin key of at least [`AdminKey::MIN_LEN`] characters.
    pub fn new(key: &Secret) -> Result<Self, String> {
        Self::from_variable(key, "SAIREN_ADMIN_KEY")
    }

    /// Accept a secret read from the environment variable `variable` (named in the refusal),
    /// held as a digest and compared like the admin key: the metrics token is one too.
    pub fn from_variable(key: &Secret, variable: &str) -> Result<Self, String> {
        let len = key.expose().chars().count();
        if len < Self::MIN_LEN {
            return Err(format!(
                "{variable} must be at least {} characters (got {len})",
                Self::MIN_LEN
            ));
        }
        Ok(Self {
            digest: Blake2b256::digest(key.expose().as_bytes()).into(),
        })
    }

    /// Whether `presented` is the admin key. Digests first, so the comparison's time depends
    /// on neither key's content nor length.
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Blake2b256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.digest).into()
    }

    /// A dashboard session token valid until `expires` (Unix seconds): `<expires>.<tag>`, the tag
    /// a keyed hash of the expiry under the admin key's digest. Stateless on purpose — any hub
    /// process of the cluster accepts it, and changing the admin key ends every session.
    pub fn session_token(&self, expires: i64) -> String {
        format!("{expires}.{}", hex(&self.session_tag(expires)))
    }

    /// Whether `token` is a session token of this admin key that has not expired at `now`.
    pub fn session_valid(&self, token: &str, now: i64) -> bool {
        let Some((expires, tag)) = token.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        let expected = hex(&self.session_tag(expires));
        expires > now && bool::from(expected.as_bytes().ct_eq(tag.as_bytes()))
    }

    fn session_tag(&self, expires: i64) -> [u8; 32] {
        let mut h = Blake2b256::new();
        h.update(b"sairen-dashboard-session\0");
        h.update(self.digest);
        h.update(expires.to_be_bytes());
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_expire_and_belong_to_one_admin_key() {
        let admin = AdminKey::new(&Secret::new("correct horse battery staple")).expect("key");
        let other = AdminKey::new(&Secret::new("another admin key entirely")).expect("key");
        let token = admin.session_token(1_000);
        assert!(admin.session_valid(&token, 999));
        assert!(!admin.session_valid(&token, 1_000), "expired at its expiry");
        assert!(!other.session_valid(&token, 999), "another key's session");
        let forged = token.replacen("1000.", "9999.", 1);
        assert!(
            !admin.session_valid(&forged, 999),
            "expiry moved without the key"
        );
        for junk in ["", ".", "1000", "abc.def", "1000.zz"] {
            assert!(!admin.session_valid(junk, 0), "{junk:?}");
        }
    }

    #[test]
    fn admin_key_matches_exactly() {
        let admin =
            AdminKey::new(&Secret::new("correct horse battery staple")).expect("long enough");
        assert!(admin.matches("correct horse battery staple"));
        assert!(!admin.matches("correct horse battery stapl"));
        assert!(!admin.matches(""));
        assert!(AdminKey::new(&Secret::new("short")).is_err());
    }
}
