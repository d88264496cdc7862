//! Credentials as both APIs read them: secrets that never print, and the one way a token is taken
//! from an `Authorization` header (scheme case-insensitive, RFC 9110 §11.1).

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::Engine;
use std::fmt;

/// A string that never shows in `Debug` output or logs: keys, tokens, passwords.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Why a request carries no usable token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoToken {
    /// No `Authorization` header, another scheme, or an empty token.
    Missing,
    /// The header is not visible ASCII.
    NotText,
}

/// The token of `Authorization: Bearer <token>`, trimmed.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, NoToken> {
    let text = authorization(req)?;
    let (scheme, token) = text.split_once(' ').ok_or(NoToken::Missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(NoToken::Missing);
    }
    Ok(token)
}

/// The password of `Authorization: Basic <base64 user:password>` (the user is ignored).
pub fn basic_password(req: &HttpRequest) -> Result<String, NoToken> {
    let text = authorization(req)?;
    let (scheme, encoded) = text.split_once(' ').ok_or(NoToken::Missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(NoToken::Missing);
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| NoToken::NotText)?;
    let pair = String::from_utf8(raw).map_err(|_| NoToken::NotText)?;
    pair.split_once(':')
        .map(|(_, password)| password.to_owned())
        .ok_or(NoToken::Missing)
}

fn authorization(req: &HttpRequest) -> Result<&str, NoToken> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(NoToken::Missing)?;
    Ok(value.to_str().map_err(|_| NoToken::NotText)?.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn with(value: &str) -> HttpRequest {
        TestRequest::default()
            .insert_header((header::AUTHORIZATION, value))
            .to_http_request()
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        for v in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer abc"] {
            assert_eq!(bearer_token(&with(v)), Ok("abc"), "{v:?}");
        }
        for v in ["Bearer", "Bearer  ", "Basic abc", "abc"] {
            assert_eq!(bearer_token(&with(v)), Err(NoToken::Missing), "{v:?}");
        }
        let none = TestRequest::default().to_http_request();
        assert_eq!(bearer_token(&none), Err(NoToken::Missing));
    }

    #[test]
    fn basic_gives_the_password_only() {
        // "driller:s3cret token" in base64.
        let req = with("Basic ZHJpbGxlcjpzM2NyZXQgdG9rZW4=");
        assert_eq!(basic_password(&req).as_deref(), Ok("s3cret token"));
        assert_eq!(basic_password(&with("Basic !!!")), Err(NoToken::NotText));
        assert_eq!(basic_password(&with("Bearer abc")), Err(NoToken::Missing));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2-hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-hunter2");
    }
}
