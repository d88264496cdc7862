//! A webhook body's signature: HMAC-SHA256 of the exact bytes sent, keyed by the webhook's
//! secret, hex in `X-Sairen-Signature-256: sha256=<hex>` — as GitHub signs its webhooks, so a
//! receiver's existing check works. The body carries `created_at`, so a receiver can refuse replays.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header.
pub const HEADER: &str = "X-Sairen-Signature-256";

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Whether `header` is `body`'s signature under `secret`, compared in constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    let Some(expected) = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_4231_test_case_2_and_a_round_trip() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = signature("a webhook secret", b"{\"kind\":\"rig_stale\"}");
        assert!(verify(
            "a webhook secret",
            b"{\"kind\":\"rig_stale\"}",
            &sig
        ));
        assert!(!verify("another secret", b"{\"kind\":\"rig_stale\"}", &sig));
        assert!(!verify(
            "a webhook secret",
            b"{\"kind\":\"rig_faulted\"}",
            &sig
        ));
        assert!(!verify("a webhook secret", b"x", "sha256=zz"));
    }
}
