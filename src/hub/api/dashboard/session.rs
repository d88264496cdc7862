//! Signing in to the dashboard: the admin key, typed once into a form, becomes an HttpOnly,
//! SameSite=Strict session cookie that expires; every dashboard page and endpoint accepts that
//! cookie or the admin key as a Bearer token, and refuses without either.

use super::views::{render, LoginPage};
use crate::hub::auth::AdminAuth;
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

/// The session cookie's name.
pub const COOKIE: &str = "sairen_session";

/// How long a sign-in lasts: one 12-hour tour, then the key is asked again.
pub const SESSION_HOURS: i64 = 12;

/// The value of the session cookie, if the request carries one.
fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Whether the request comes from a signed-in administrator (cookie or Bearer admin key).
fn check(req: &HttpRequest) -> Result<(), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("hub state not configured".into()))?;
    if let Some(token) = session_cookie(req) {
        if state
            .admin_key
            .session_valid(&token, Utc::now().timestamp())
        {
            return Ok(());
        }
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        AdminAuth::from_bearer(req).map(drop)
    } else {
        Err(ApiError::Unauthorized(
            "sign in at /dashboard/login or send Authorization: Bearer <admin key>".into(),
        ))
    }
}

/// A dashboard JSON endpoint's caller: signed in, or refused with 401/403 in the API's shape.
#[derive(Debug, Clone, Copy)]
pub struct DashboardAuth;

impl FromRequest for DashboardAuth {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(check(req).map(|()| DashboardAuth))
    }
}

/// A dashboard page's viewer: signed in, or sent to the sign-in page (which brings them back).
#[derive(Debug, Clone, Copy)]
pub struct PageAuth;

impl FromRequest for PageAuth {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match check(req) {
            Ok(()) => Ok(PageAuth),
            Err(ApiError::Internal(detail)) => Err(ApiError::Internal(detail).into()),
            Err(_) => {
                let next = req
                    .uri()
                    .path_and_query()
                    .map_or("/dashboard", |p| p.as_str());
                let to = format!("/dashboard/login?next={}", encode(next));
                Err(actix_web::error::InternalError::from_response(
                    "sign in first",
                    HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, to))
                        .finish(),
                )
                .into())
            }
        })
    }
}

/// Percent-encode a path for a query parameter.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after signing in: only a dashboard path of this hub (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/dashboard") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

/// `?next=` on the sign-in page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    admin_key: String,
    next: Option<String>,
}

/// `GET /dashboard/login`: the sign-in form.
pub async fn login_page(query: web::Query<NextQuery>) -> Result<HttpResponse, ApiError> {
    render(
        actix_web::http::StatusCode::OK,
        &LoginPage {
            next: safe_next(query.next.as_deref()),
            error: None,
        },
    )
}

/// `POST /dashboard/login`: the admin key for a session cookie, or the form again with the reason.
pub async fn login(
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let next = safe_next(form.next.as_deref());
    if !state.admin_key.matches(form.admin_key.trim()) {
        log::warn!("dashboard sign-in refused: wrong admin key");
        return render(
            actix_web::http::StatusCode::UNAUTHORIZED,
            &LoginPage {
                next,
                error: Some("That is not this hub's admin key (SAIREN_ADMIN_KEY).".into()),
            },
        );
    }
    let expires = Utc::now().timestamp() + SESSION_HOURS * 3_600;
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict",
        state.admin_key.session_token(expires),
        SESSION_HOURS * 3_600
    );
    log::info!("dashboard sign-in");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::LOCATION, next))
        .finish())
}

/// `POST /dashboard/logout`: the cookie cleared, back to the sign-in page.
pub async fn logout() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::SET_COOKIE,
            format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
        ))
        .insert_header((header::LOCATION, "/dashboard/login"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_leads_inside_the_dashboard() {
        assert_eq!(safe_next(Some("/dashboard/rigs/R1")), "/dashboard/rigs/R1");
        for bad in [
            "//evil.example/x",
            "https://evil.example",
            "/api/fleet/rigs",
            "/dashboard\\..\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard", "{bad}");
        }
        assert_eq!(safe_next(None), "/dashboard");
        assert_eq!(
            encode("/dashboard/trends?from=2026-01-01&to=x"),
            "/dashboard/trends%3Ffrom%3D2026-01-01%26to%3Dx"
        );
    }
}
