//! Who may do what on the rig's API: the operator token a driller's tool sends to change
//! something on a rig whose API is reachable from the rig network (`Operator`), and the screen's
//! optional sign-in (`ScreenAuth`).

use super::ApiState;
use crate::web::{basic_password, bearer_token, ApiError, NoToken, Secret};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use std::future::{ready, Ready};
use subtle::ConstantTimeEq;

/// The token from `SAIREN_RIG_OPERATOR_TOKEN`; never printed.
#[derive(Debug, Clone)]
pub struct OperatorToken(Secret);

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
        Ok(Self(Secret::new(token.trim())))
    }

    /// Whether `presented` is the token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        self.0
            .expose()
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
    }
}

/// Who is acting, for the audit trail: the name they gave (`by`, or the screen's "Your name"),
/// else `operator at <address>`; from the address the request came from.
pub fn who(req: &HttpRequest, by: Option<&str>) -> crate::rig::audit::Who {
    let source = req
        .peer_addr()
        .map_or_else(|| "local".to_owned(), |a| a.ip().to_string());
    let actor = by
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map_or_else(|| format!("operator at {source}"), str::to_owned);
    crate::rig::audit::Who { actor, source }
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
        ready(match bearer_token(req) {
            Err(NoToken::Missing | NoToken::NotText) => Err(ApiError::Unauthorized(
                "send the operator token: Authorization: Bearer <SAIREN_RIG_OPERATOR_TOKEN>".into(),
            )),
            Ok(presented) if token.matches(presented) => Ok(Operator),
            Ok(_) => Err(ApiError::Forbidden("wrong operator token".into())),
        })
    }
}

/// The viewer of the screen: anyone, unless `[api] screen_login` asks the browser for the
/// operator token (HTTP Basic: any user name, the token as the password).
pub struct ScreenAuth {
    /// The request carried the operator token (so acknowledging needs no further proof).
    pub(super) has_token: bool,
}

impl FromRequest for ScreenAuth {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<ApiState>>() else {
            return std::future::ready(Err(ApiError::Internal("API state missing".into()).into()));
        };
        let has_token = match (&state.token, basic_password(req)) {
            (Some(t), Ok(p)) => t.matches(&p),
            _ => false,
        };
        std::future::ready(if state.screen_login && !has_token {
            Err(actix_web::error::InternalError::from_response(
                "sign in",
                HttpResponse::Unauthorized()
                    .insert_header((
                        header::WWW_AUTHENTICATE,
                        r#"Basic realm="SAIREN rig screen""#,
                    ))
                    .content_type("text/plain; charset=utf-8")
                    .body("This screen asks for the rig's operator token as the password."),
            )
            .into())
        } else {
            Ok(ScreenAuth { has_token })
        })
    }
}
