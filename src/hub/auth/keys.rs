//! Rig keys: generated, parsed, hashed with argon2id and checked against a stored hash.

use super::AuthError;
pub(super) use crate::web::hex;
use crate::web::Secret;
use argon2::{Argon2, PasswordHash, PasswordHasher};
use blake2::{Blake2b, Digest};
use rand::RngCore;
use subtle::ConstantTimeEq;

pub(super) type Blake2b256 = Blake2b<blake2::digest::consts::U32>;

/// Every rig key starts with this.
pub const KEY_PREFIX: &str = "sk-fleet-";
const KEY_ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 24;

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex(&buf)
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A rig API key, parsed: only well-formed keys exist as values.
#[derive(Debug, Clone)]
pub struct RigKey {
    key_id: String,
    secret: Secret,
}

impl RigKey {
    /// A fresh random key (64-bit key id, 192-bit secret) from the OS-seeded CSPRNG.
    pub fn generate() -> Self {
        Self {
            key_id: random_hex(KEY_ID_BYTES),
            secret: Secret::new(random_hex(SECRET_BYTES)),
        }
    }

    /// Parse `sk-fleet-<16 hex>.<48 hex>`.
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let (key_id, secret) = text
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .ok_or(AuthError::Malformed)?;
        if !is_lower_hex(key_id, KEY_ID_BYTES * 2) || !is_lower_hex(secret, SECRET_BYTES * 2) {
            return Err(AuthError::Malformed);
        }
        Ok(Self {
            key_id: key_id.to_owned(),
            secret: Secret::new(secret),
        })
    }

    /// The public half, stored in clear.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The whole key as the rig must present it: shown once at registration, stored nowhere.
    pub fn reveal(&self) -> Secret {
        Secret::new(format!(
            "{KEY_PREFIX}{}.{}",
            self.key_id,
            self.secret.expose()
        ))
    }

    /// The argon2id PHC hash of the secret, with a fresh salt (default parameters: 19 MiB, t=2).
    pub fn hash(&self) -> Result<String, AuthError> {
        Argon2::default()
            .hash_password(self.secret.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Internal(e.to_string()))
    }

    #[cfg(test)]
    fn verify(&self, phc: &str) -> Result<bool, AuthError> {
        self.verify_with_memory(phc, &mut Vec::new())
    }

    /// Check the secret against a stored argon2 PHC hash, with `blocks` as the algorithm's working
    /// memory (grown to the hash's `m` once, then reused: a verifier keeps one per slot, so the
    /// hub's memory for key checks is allocated once rather than 19 MiB per check).
    pub(super) fn verify_with_memory(
        &self,
        phc: &str,
        blocks: &mut Vec<argon2::Block>,
    ) -> Result<bool, AuthError> {
        let bad = |e: &dyn std::fmt::Display| AuthError::Internal(format!("stored key hash: {e}"));
        let parsed = PasswordHash::new(phc).map_err(|e| bad(&e))?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(bad(&"no salt or no hash"));
        };
        let algorithm =
            argon2::Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| bad(&e))?;
        let version = match parsed.version {
            Some(v) => argon2::Version::try_from(v).map_err(|e| bad(&e))?,
            None => argon2::Version::default(),
        };
        let params = argon2::Params::try_from(&parsed).map_err(|e| bad(&e))?;
        blocks.resize(params.block_count(), argon2::Block::default());
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                self.secret.expose().as_bytes(),
                salt,
                &mut out,
                &mut blocks[..],
            )
            .map_err(|e| bad(&e))?;
        Ok(expected.as_bytes().ct_eq(&out).into())
    }

    /// Binds a cache entry to both the secret presented and the hash it was checked against.
    pub(super) fn fingerprint(&self, key_hash: &str) -> [u8; 32] {
        let mut h = Blake2b256::new();
        h.update(key_hash.as_bytes());
        h.update([0u8]);
        h.update(self.secret.expose().as_bytes());
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_and_keep_their_halves() {
        let key = RigKey::generate();
        let text = key.reveal();
        assert!(text.expose().starts_with("sk-fleet-"));
        let parsed = RigKey::parse(text.expose()).expect("own format");
        assert_eq!(parsed.key_id(), key.key_id());
        assert_ne!(
            RigKey::generate().key_id(),
            key.key_id(),
            "key ids are random"
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good = RigKey::generate().reveal().expose().to_owned();
        let bad = [
            "",
            "sk-fleet-",
            "sk-fleet-abc",
            &good.replace("sk-fleet-", "sk-other-"),
            &good.replace('.', ""),
            &good.to_uppercase(),
            &format!("{good}0"),
        ];
        for b in bad {
            assert!(
                matches!(RigKey::parse(b), Err(AuthError::Malformed)),
                "{b:?}"
            );
        }
    }

    #[test]
    fn hashes_verify_only_their_own_secret() {
        let key = RigKey::generate();
        let phc = key.hash().expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(
            !phc.contains(key.secret.expose()),
            "the hash must not contain the secret"
        );
        assert!(key.verify(&phc).expect("verify"));
        assert!(!RigKey::generate().verify(&phc).expect("verify"));
    }

    #[test]
    fn reused_memory_verifies_as_argon2_itself_does() {
        use argon2::PasswordVerifier;
        let (a, b) = (RigKey::generate(), RigKey::generate());
        let (ha, hb) = (a.hash().expect("hash"), b.hash().expect("hash"));
        let mut memory = Vec::new();
        for (key, phc, right) in [
            (&a, &ha, true),
            (&b, &ha, false),
            (&b, &hb, true),
            (&a, &hb, false),
        ] {
            let ours = key.verify_with_memory(phc, &mut memory).expect("verify");
            let theirs = Argon2::default()
                .verify_password(
                    key.secret.expose().as_bytes(),
                    &PasswordHash::new(phc).expect("phc"),
                )
                .is_ok();
            assert_eq!((ours, theirs), (right, right));
        }
        assert_eq!(memory.len(), 19 * 1024, "19 MiB of 1 KiB blocks, kept");
        assert!(a
            .verify_with_memory("$argon2id$v=19$m=19456,t=2,p=1$bad", &mut memory)
            .is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let key = RigKey::generate();
        let debug = format!("{key:?} {:?}", key.reveal());
        assert!(!debug.contains(key.secret.expose()), "{debug}");
    }
}
