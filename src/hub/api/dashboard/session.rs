//! Signing in to the dashboard: a user's name and password (or, to bootstrap, the admin key),
//! typed once into a form, becomes an HttpOnly, SameSite=Strict session cookie that expires;
//! every dashboard page and endpoint accepts that cookie or the admin key as a Bearer token
//! (`hub::auth`'s `PageAuth` and `DashboardAuth`), and refuses without either.

use super::pages::message;
use super::views::{render, LoginPage};
use crate::hub::api::with_db;
use crate::hub::auth::{
    check_name, password_matches, session_cookie, session_digest, AdminKey, Caller, Role, COOKIE,
    SESSION_HOURS,
};
use crate::hub::db::audit::Who;
use crate::hub::db::sessions::Holder;
use crate::hub::db::{self, sessions};
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
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

/// The sign-in form: a user's name and password, or no name and the admin key.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user: String,
    password: String,
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
            user: String::new(),
            error: None,
        },
    )
}

/// Checks a password against when the user does not exist, so that a wrong name costs what a
/// wrong password does and the answer's time does not tell which names exist.
const NO_SUCH_USER_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FpcmVuLW5vLXN1Y2gtdXNlcg$2yKq0JvU4m0c8x1sQb6oWk3d7oC2x0n8H5mJ3bQ8pXo";

/// Whom a sign-in names, once their secret checked out.
enum Verified {
    AdminKey,
    User(String, Role),
}

/// `POST /dashboard/login`: a name and password (or the admin key) for a session cookie, or the
/// form again with the reason.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    if let Some(refused) = refuse_damaged(form.next.as_deref()) {
        return refused;
    }
    let next = safe_next(form.next.as_deref());
    let client = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let user = form.user.trim().to_owned();
    let throttled = state.sign_ins.wait(&client).or_else(|| {
        (!user.is_empty())
            .then(|| state.password_failures.wait(&user))
            .flatten()
    });
    if let Some(wait) = throttled {
        return too_many(next, user, wait);
    }
    let checked = if user.is_empty() {
        state
            .admin_key
            .matches(form.password.trim())
            .then_some(Verified::AdminKey)
    } else {
        check_user(&state, &user, form.password).await?
    };
    let Some(who) = checked else {
        state.sign_ins.failed(&client);
        if !user.is_empty() {
            state.password_failures.failed(&user);
        }
        log::warn!("dashboard sign-in refused from {client} (user {user:?})");
        audit(
            &state,
            &client,
            "dashboard",
            "sign_in_refused",
            json!({"user": user}),
        )
        .await?;
        let error = if user.is_empty() {
            "That is not this hub's admin key (SAIREN_ADMIN_KEY). To sign in as a user, enter your name."
        } else {
            "Wrong user name or password, or the user is disabled."
        };
        return render(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                next,
                user,
                error: Some(error.into()),
            },
        );
    };
    state.sign_ins.succeeded(&client);
    let (holder, caller) = match who {
        Verified::AdminKey => (
            Holder::AdminKey(state.admin_key.session_tag()),
            Caller::admin_key(),
        ),
        Verified::User(name, role) => (
            Holder::User(name.clone()),
            Caller {
                user: Some(name),
                role,
            },
        ),
    };
    let token = AdminKey::new_session_token();
    let digest = session_digest(&token);
    let expires = Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    let from = client.to_string();
    with_db(&state, move |conn| {
        if let Holder::User(name) = &holder {
            db::users::signed_in(conn, name)?;
        }
        sessions::start(conn, &digest, &holder, &from, expires)
    })
    .await?;
    let actor = caller.actor();
    audit(
        &state,
        &client,
        &actor,
        "sign_in",
        json!({"role": caller.role}),
    )
    .await?;
    let cookie = format!(
        "{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict",
        SESSION_HOURS * 3_600
    );
    log::info!("dashboard sign-in from {client}: {actor} ({})", caller.role);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::LOCATION, next))
        .finish())
}

/// The user's role when `password` is theirs and they are enabled; argon2 off the workers.
async fn check_user(
    state: &AppState,
    user: &str,
    password: String,
) -> Result<Option<Verified>, ApiError> {
    let name = user.to_owned();
    let found = if check_name(user).is_ok() {
        with_db(state, move |conn| db::users::credentials(conn, &name)).await?
    } else {
        None
    };
    let phc = found
        .as_ref()
        .map_or(NO_SUCH_USER_PHC.to_owned(), |c| c.password_hash.clone());
    let matches = web::block(move || password_matches(&password, &phc)).await??;
    Ok(found
        .filter(|c| matches && !c.disabled)
        .map(|c| Verified::User(user.to_owned(), c.role)))
}

/// An audit entry for a sign-in, a refused one or a sign-out at the dashboard.
async fn audit(
    state: &AppState,
    client: &IpAddr,
    actor: &str,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let (source, actor) = (client.to_string(), actor.to_owned());
    with_db(state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        db::audit::record(conn, who, action, None, detail)
    })
    .await
}

/// The form again, 429 with `Retry-After`: this client, or guesses at this user's password,
/// tried too many wrong secrets this minute.
fn too_many(next: String, user: String, wait: Duration) -> Result<HttpResponse, ApiError> {
    let secs = wait.as_secs() + 1;
    let mut response = render(
        StatusCode::TOO_MANY_REQUESTS,
        &LoginPage {
            next,
            user,
            error: Some(format!(
                "Too many wrong passwords or keys: wait {secs} s before trying again."
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
        let tag = state.admin_key.session_tag();
        let holder = with_db(&state, move |conn| {
            let holder = sessions::live(conn, &digest, &tag)?;
            sessions::end(conn, &digest)?;
            Ok::<_, crate::hub::db::DbError>(holder)
        })
        .await?;
        if let Some(caller) = holder {
            let actor = caller.actor();
            log::info!("dashboard sign-out: {actor}");
            let client = req
                .peer_addr()
                .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
            audit(&state, &client, &actor, "sign_out", json!({})).await?;
        }
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

    #[test]
    fn a_name_nobody_has_costs_a_real_argon2_check_and_matches_nothing() {
        let parsed = argon2::PasswordHash::new(NO_SUCH_USER_PHC).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let (params, real) = (
            argon2::Params::try_from(&parsed).expect("params"),
            argon2::Params::default(),
        );
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (real.m_cost(), real.t_cost(), real.p_cost()),
            "the same work as a real user's hash"
        );
        assert!(!password_matches("a long enough passphrase", NO_SUCH_USER_PHC).expect("check"));
    }
}
