//! The operator token: what a driller's tool sends to change something on a rig whose API is
//! reachable from the rig network.

use super::ApiState;
use crate::web::ApiError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::fmt;
use std::future::{ready, Ready};
use subtle::ConstantTimeEq;

/// The token from `SAIREN_RIG_OPERATOR_TOKEN`; never printed.
#[derive(Clone)]
pub struct OperatorToken(String);

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(…)")
    }
}

impl OperatorToken {
    /// Shortest token accepted: a guessable token is no protection.
    pub const MIN_LEN: usize = 16;

    /// A token, if long enough.
    pub fn new(token: String) -> Result<Self, String> {
        if token.trim().len() < Self::MIN_LEN {
            return Err(format!(
                "SAIREN_RIG_OPERATOR_TOKEN must be at least {} characters",
                Self::MIN_LEN
            ));
        }
        Ok(Self(token.trim().to_owned()))
    }

    /// Whether `presented` is the token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

/// Present in a handler's arguments: the request may change something (the token checked out,
/// or the API listens on loopback only).
pub struct Operator;

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<ApiState>>() else {
            return ready(Err(ApiError::Internal("API state missing".into())));
        };
        let Some(token) = &state.token else {
            return ready(Ok(Operator));
        };
        let presented = req
            .headers()
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        ready(match presented {
            None => Err(ApiError::Unauthorized(
                "send the operator token: Authorization: Bearer <SAIREN_RIG_OPERATOR_TOKEN>".into(),
            )),
            Some(p) if token.matches(p.trim()) => Ok(Operator),
            Some(_) => Err(ApiError::Forbidden("wrong operator token".into())),
        })
    }
}
