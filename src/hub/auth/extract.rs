//! The extractors handlers take: each exists only once its caller checked out. Rigs present
//! their key as a Bearer token; people present the session cookie of a sign-in (a named user's,
//! or the admin key's), and scripts the admin key as a Bearer token. Each extractor names the
//! least role it lets through.

use super::admin::session_digest;
use super::admin::COOKIE;
use super::keys::{RigKey, KEY_PREFIX};
use super::users::{Caller, Role};
use super::AuthError;
use crate::fleet::RigId;
use crate::hub::db::{sessions, DbError};
use crate::hub::metrics::KeyCheck;
use crate::hub::state::AppState;
use crate::web::{bearer_token, ApiError, NoToken};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

fn hub_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("hub state not configured".into()))
}

/// The Bearer token, or the hub's refusal of a request without one.
fn token(req: &HttpRequest) -> Result<String, AuthError> {
    bearer_token(req).map(str::to_owned).map_err(|e| match e {
        NoToken::Missing => AuthError::Missing,
        NoToken::NotText => AuthError::Malformed,
    })
}

/// Left in the request's extensions by [`RigAuth`], for the request log.
#[derive(Debug, Clone)]
pub struct AuthenticatedRig(pub RigId);

/// An authenticated rig: a handler that takes one runs only for an active rig's valid key.
#[derive(Debug, Clone)]
pub struct RigAuth {
    /// The rig the key belongs to.
    pub rig_id: RigId,
}

impl FromRequest for RigAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = hub_state(req);
        let token = token(req);
        let request = req.clone();
        let claims: Vec<String> = req
            .headers()
            .get_all("X-Rig-ID")
            .map(|v| v.to_str().unwrap_or("<not text>").to_owned())
            .collect();
        Box::pin(async move {
            if claims.len() > 1 {
                return Err(AuthError::RepeatedRigId(claims.len()).into());
            }
            let claimed = claims.into_iter().next();
            let state = state?;
            let metrics = state.metrics.clone();
            let checked = check_rig_key(state, token).await;
            metrics.key_check(
                "rig",
                match &checked {
                    Ok((_, true)) => KeyCheck::Cached,
                    Ok((_, false)) => KeyCheck::Verified,
                    Err(ApiError::TooManyRequests { .. }) => KeyCheck::Limited,
                    Err(_) => KeyCheck::Refused,
                },
            );
            let (rig_id, _) = checked?;
            request
                .extensions_mut()
                .insert(AuthenticatedRig(rig_id.clone()));
            if let Some(claimed) = claimed.filter(|c| c != rig_id.as_str()) {
                return Err(AuthError::RigMismatch {
                    claimed,
                    key_rig: rig_id.to_string(),
                }
                .into());
            }
            Ok(RigAuth { rig_id })
        })
    }
}

/// The rig a key belongs to, and whether the cache vouched for it (no hash computed).
async fn check_rig_key(
    state: web::Data<AppState>,
    token: Result<String, AuthError>,
) -> Result<(RigId, bool), ApiError> {
    let key = RigKey::parse(&token?)?;
    let (rig_id, cached) = match state.keys.trusted(&key) {
        Some(rig_id) => (rig_id, true),
        None => {
            let key_id = key.key_id().to_owned();
            // The rig's own key, verified before, is never held back by others' guesses.
            if let Some(wait) = state.key_failures.wait(&key_id) {
                if !state.keys.verified_before(&key) {
                    return Err(AuthError::KeyIdThrottled(wait).into());
                }
            }
            let checking = state.clone();
            match web::block(move || checking.keys.authenticate(&checking.pool, &key)).await? {
                Ok(rig_id) => (rig_id, false),
                Err(e) => {
                    if matches!(e, AuthError::WrongKey) {
                        state.key_failures.failed(&key_id);
                    }
                    return Err(e.into());
                }
            }
        }
    };
    if let Err(wait) = state.rig_rates.check(rig_id.as_str()) {
        return Err(AuthError::RigRateLimited {
            rig: rig_id.to_string(),
            per_minute: state.rig_requests_per_minute,
            wait,
        }
        .into());
    }
    Ok((rig_id, cached))
}

/// Left in the request's extensions once a dashboard user or the admin key checked out, for the
/// request log.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Caller);

/// Who a signed-in request comes from: a live session (read from the database, so a sign-out,
/// a disabled user or a reset password ends it at once in every hub process), else the admin
/// key as a Bearer token.
async fn signed_in(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = hub_state(req)?;
    let caller = match session_cookie(req) {
        Some(token) => {
            let (digest, tag) = (session_digest(&token), state.admin_key.session_tag());
            let pool = state.pool.clone();
            web::block(move || -> Result<Option<Caller>, DbError> {
                let mut conn = pool.get().map_err(DbError::from)?;
                sessions::live(&mut conn, &digest, &tag)
            })
            .await??
        }
        None => None,
    };
    let caller = match caller {
        Some(caller) => caller,
        None if req.headers().contains_key(header::AUTHORIZATION) => {
            admin_bearer(req)?;
            Caller::admin_key()
        }
        None => {
            return Err(ApiError::Unauthorized(
                "sign in at /dashboard/login or send Authorization: Bearer <admin key>".into(),
            ))
        }
    };
    // Scripts hold the admin key and are not limited; a user in a loop is.
    if let Some(user) = &caller.user {
        if let Err(wait) = state.user_rates.check(user) {
            return Err(AuthError::UserRateLimited {
                user: user.clone(),
                per_minute: state.user_requests_per_minute,
                wait,
            }
            .into());
        }
    }
    req.extensions_mut().insert(SignedIn(caller.clone()));
    Ok(caller)
}

/// `Authorization: Bearer <SAIREN_ADMIN_KEY>`, checked.
fn admin_bearer(req: &HttpRequest) -> Result<(), ApiError> {
    let state = hub_state(req)?;
    let token = token(req);
    let ok = token
        .as_ref()
        .is_ok_and(|token| state.admin_key.matches(token));
    state.metrics.key_check(
        "admin",
        if ok {
            KeyCheck::Verified
        } else {
            KeyCheck::Refused
        },
    );
    let token = token?;
    if ok {
        Ok(())
    } else if token.starts_with(KEY_PREFIX) {
        Err(AuthError::RigKeyOnAdminEndpoint.into())
    } else {
        Err(AuthError::WrongAdminKey.into())
    }
}

/// A signed-in caller whose role is at least `needed`.
async fn signed_in_as(req: HttpRequest, needed: Role) -> Result<Caller, ApiError> {
    let caller = signed_in(&req).await?;
    caller.require(needed)?;
    Ok(caller)
}

/// The fleet administrator: the admin key as a Bearer token (scripts, `sairen admin`), or a
/// signed-in user with the admin role.
#[derive(Debug, Clone)]
pub struct AdminAuth(pub Caller);

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in_as(req, Role::Admin).await.map(AdminAuth) })
    }
}

/// The value of the session cookie, if the request carries one.
pub fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// A dashboard JSON endpoint's caller, of any role: signed in, or refused with 401/403 in the
/// API's shape.
#[derive(Debug, Clone)]
pub struct DashboardAuth(pub Caller);

impl FromRequest for DashboardAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in_as(req, Role::Viewer).await.map(DashboardAuth) })
    }
}

/// A dashboard page's viewer, of any role: signed in, or sent to the sign-in page (which brings
/// them back). Pages that need more check [`Caller::require`].
#[derive(Debug, Clone)]
pub struct PageAuth(pub Caller);

impl FromRequest for PageAuth {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match signed_in(&req).await {
                Ok(caller) => Ok(PageAuth(caller)),
                // The database is down, a bug or a user in a loop: say so, never "sign in again".
                Err(
                    e @ (ApiError::Internal(_)
                    | ApiError::Unavailable(_)
                    | ApiError::TooManyRequests { .. }),
                ) => Err(e.into()),
                Err(_) => {
                    let next = req
                        .uri()
                        .path_and_query()
                        .map_or("/dashboard", |p| p.as_str());
                    let to = format!("/dashboard/login?next={}", percent_encode(next));
                    Err(actix_web::error::InternalError::from_response(
                        "sign in first",
                        HttpResponse::SeeOther()
                            .insert_header((header::LOCATION, to))
                            .finish(),
                    )
                    .into())
                }
            }
        })
    }
}

/// Percent-encode a path for a query parameter.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Prometheus scrape of `/metrics`: with `Authorization: Bearer <SAIREN_METRICS_TOKEN>` when
/// the hub has that token, else from loopback only. Not the admin key: a scraper's credential
/// should open nothing else.
pub struct MetricsAuth;

impl FromRequest for MetricsAuth {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(MetricsAuth::check(req))
    }
}

impl MetricsAuth {
    fn check(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = hub_state(req)?;
        let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
        match (&state.metrics_token, bearer_token(req)) {
            (Some(t), Ok(presented)) if t.matches(presented) => Ok(MetricsAuth),
            (Some(_), Err(NoToken::Missing)) => Err(ApiError::Unauthorized(
                "send the metrics token: Authorization: Bearer <SAIREN_METRICS_TOKEN>".into(),
            )),
            (Some(_), _) => Err(ApiError::Forbidden("wrong metrics token".into())),
            (None, _) if loopback => Ok(MetricsAuth),
            (None, _) => Err(ApiError::Forbidden(
                "/metrics answers loopback only: set SAIREN_METRICS_TOKEN on the hub to scrape it from elsewhere".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_after_sign_in_is_percent_encoded() {
        assert_eq!(
            percent_encode("/dashboard/trends?from=2026-01-01&to=x"),
            "/dashboard/trends%3Ffrom%3D2026-01-01%26to%3Dx"
        );
    }
}
