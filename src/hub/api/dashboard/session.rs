//! Signing in to the dashboard: the admin key, typed once into a form, becomes an HttpOnly,
//! SameSite=Strict session cookie that expires; every dashboard page and endpoint accepts that
//! cookie or the admin key as a Bearer token (`hub::auth`'s `PageAuth` and `DashboardAuth`), and
//! refuses without either.

use super::pages::message;
use super::views::{render, LoginPage};
use crate::hub::api::with_db;
use crate::hub::auth::{session_cookie, session_digest, AdminKey, COOKIE, SESSION_HOURS};
use crate::hub::db::audit::Who;
use crate::hub::db::{self, sessions};
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use std::net::IpAddr;
use std::time::Duration;

/// Where to go after signing in: only a dashboard path of this hub (never another site), and
/// never one a `Location` header cannot carry.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/dashboard")
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

/// A `next` with control characters (CR/LF: a header-splitting attempt) is a damaged link: 400.
fn refuse_damaged(next: Option<&str>) -> Option<Result<HttpResponse, ApiError>> {
    next.is_some_and(|n| n.chars().any(char::is_control))
        .then(|| {
            message(
            StatusCode::BAD_REQUEST,
            "Damaged sign-in link",
            "The link's next= address holds control characters. Open the dashboard at /dashboard."
                .into(),
        )
        })
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
    if let Some(refused) = refuse_damaged(query.next.as_deref()) {
        return refused;
    }
    render(
        StatusCode::OK,
        &LoginPage {
            next: safe_next(query.next.as_deref()),
            error: None,
        },
    )
}

/// `POST /dashboard/login`: the admin key for a session cookie, or the form again with the reason.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    if let Some(refused) = refuse_damaged(form.next.as_deref()) {
        return refused;
    }
    let next = safe_next(form.next.as_deref());
    let client = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    if let Some(wait) = state.sign_ins.wait(&client) {
        return too_many(next, wait);
    }
    if !state.admin_key.matches(form.admin_key.trim()) {
        state.sign_ins.failed(&client);
        log::warn!("dashboard sign-in refused: wrong admin key from {client}");
        audit(&state, &client, "sign_in_refused").await?;
        return render(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                next,
                error: Some("That is not this hub's admin key (SAIREN_ADMIN_KEY).".into()),
            },
        );
    }
    state.sign_ins.succeeded(&client);
    let token = AdminKey::new_session_token();
    let (digest, tag) = (session_digest(&token), state.admin_key.session_tag());
    let expires = Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    let from = client.to_string();
    with_db(&state, move |conn| {
        sessions::start(conn, &digest, &tag, &from, expires)
    })
    .await?;
    audit(&state, &client, "sign_in").await?;
    let cookie = format!(
        "{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict",
        SESSION_HOURS * 3_600
    );
    log::info!("dashboard sign-in from {client}");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::LOCATION, next))
        .finish())
}

/// An audit entry for a sign-in, a refused one or a sign-out at the dashboard.
async fn audit(state: &AppState, client: &IpAddr, action: &'static str) -> Result<(), ApiError> {
    let source = client.to_string();
    with_db(state, move |conn| {
        let who = Who {
            actor: "dashboard",
            source: &source,
        };
        db::audit::record(conn, who, action, None, serde_json::json!({}))
    })
    .await
}

/// The form again, 429 with `Retry-After`: this client has tried too many wrong keys this minute.
fn too_many(next: String, wait: Duration) -> Result<HttpResponse, ApiError> {
    let secs = wait.as_secs() + 1;
    let mut response = render(
        StatusCode::TOO_MANY_REQUESTS,
        &LoginPage {
            next,
            error: Some(format!(
                "Too many wrong keys from here: wait {secs} s before trying again."
            )),
        },
    )?;
    if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(response)
}

/// `POST /dashboard/logout`: the session ended on the hub (every process refuses it from now
/// on, whoever holds a copy of the cookie), the cookie cleared, back to the sign-in page.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = session_cookie(&req) {
        let digest = session_digest(&token);
        with_db(&state, move |conn| sessions::end(conn, &digest)).await?;
        log::info!("dashboard sign-out");
        let client = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        audit(&state, &client, "sign_out").await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::SET_COOKIE,
            format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
        ))
        .insert_header((header::LOCATION, "/dashboard/login"))
        .finish())
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
    }
}
