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

    /// A new dashboard session token (random; the hub keeps only [`session_digest`] of it).
    pub fn new_session_token() -> String {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex(&bytes)
    }

    /// Which admin key a session was signed in with: a digest of the key's digest, so the
    /// stored sessions of a replaced key are void and the key cannot be read back from them.
    pub fn session_tag(&self) -> String {
        let mut h = Blake2b256::new();
        h.update(b"sairen-dashboard-session\0");
        h.update(self.digest);
        hex(&h.finalize())
    }
}

/// What the hub stores of a session token.
pub fn session_digest(token: &str) -> String {
    hex(&Blake2b256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_are_random_and_tags_belong_to_one_admin_key() {
        let admin = AdminKey::new(&Secret::new("correct horse battery staple")).expect("key");
        let other = AdminKey::new(&Secret::new("another admin key entirely")).expect("key");
        let (a, b) = (AdminKey::new_session_token(), AdminKey::new_session_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(session_digest(&a), a, "the token is never what is stored");
        assert_ne!(admin.session_tag(), other.session_tag());
        assert_eq!(admin.session_tag(), admin.session_tag());
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
