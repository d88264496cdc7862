//! Named dashboard users (admin only): `GET/POST /api/fleet/users`,
//! `POST /api/fleet/users/{name}/disable`, `PUT /api/fleet/users/{name}/password`. The dashboard's
//! Users page and `sairen admin user` both come here.

use super::{with_db, ApiError};
use crate::hub::auth::{check_name, check_password, hash_password, AdminAuth, Caller, Role};
use crate::hub::db::audit::Who;
use crate::hub::db::users::{self, User};
use crate::hub::state::AppState;
use crate::web::client_address;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// A user to add.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Their name (a-z, 0-9, `.`, `_`, `-`).
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// At least 12 characters.
    pub password: String,
}

/// A new password, and whether a disabled user may sign in again with it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// At least 12 characters.
    pub password: String,
    /// Enable a disabled user again (default: no).
    #[serde(default)]
    pub enable: bool,
}

/// Why a user change was refused, in the API's words.
fn bad(field: &'static str) -> impl Fn(String) -> ApiError {
    move |why| ApiError::bad_request(why, field)
}

/// Check and hash a new user's fields; the argon2 work off the workers.
pub async fn prepare(new: NewUser) -> Result<(String, Role, String), ApiError> {
    check_name(&new.name).map_err(bad("name"))?;
    let role = Role::parse(&new.role).map_err(bad("role"))?;
    check_password(&new.password).map_err(bad("password"))?;
    let hash = web::block(move || hash_password(&new.password)).await??;
    Ok((new.name, role, hash))
}

/// Add a user (201), or 409 when the name is taken.
pub async fn add_user(
    state: &AppState,
    by: &Caller,
    source: String,
    new: NewUser,
) -> Result<User, ApiError> {
    let (name, role, hash) = prepare(new).await?;
    let (actor, taken) = (by.actor(), name.clone());
    let added = with_db(state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        users::add(conn, &name, role, &hash, who)
    })
    .await?
    .ok_or_else(|| {
        ApiError::Conflict(format!(
            "user {taken} exists; disabled users keep their name (reset their password to enable them)"
        ))
    })?;
    log::info!("{} added user {} ({})", by.actor(), added.name, added.role);
    Ok(added)
}

/// Disable a user, ending their sessions at once; 404 when there is none.
pub async fn disable_user(
    state: &AppState,
    by: &Caller,
    source: String,
    name: String,
) -> Result<User, ApiError> {
    if by.user.as_deref() == Some(name.as_str()) {
        return Err(ApiError::Conflict(
            "you cannot disable yourself; another administrator can".into(),
        ));
    }
    let (actor, missing) = (by.actor(), name.clone());
    let user = with_db(state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        users::disable(conn, &name, who)
    })
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no user {missing}")))?;
    log::info!("{} disabled user {}", by.actor(), user.name);
    Ok(user)
}

/// `GET /api/fleet/users`: every user, by name (never a password hash).
pub async fn list(_admin: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(with_db(&state, users::list).await?))
}

/// `POST /api/fleet/users`.
pub async fn add(
    req: HttpRequest,
    admin: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let user = add_user(&state, &admin.0, client_address(&req), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(user))
}

/// `POST /api/fleet/users/{name}/disable`.
pub async fn disable(
    req: HttpRequest,
    admin: AdminAuth,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = disable_user(&state, &admin.0, client_address(&req), name.into_inner()).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// `PUT /api/fleet/users/{name}/password`: a new password; their sessions end at once.
pub async fn reset_password(
    req: HttpRequest,
    admin: AdminAuth,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<NewPassword>,
) -> Result<HttpResponse, ApiError> {
    let (name, body) = (name.into_inner(), body.into_inner());
    check_password(&body.password).map_err(bad("password"))?;
    let password = body.password;
    let hash = web::block(move || hash_password(&password)).await??;
    let (actor, source, missing) = (admin.0.actor(), client_address(&req), name.clone());
    let user = with_db(&state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        users::reset_password(conn, &name, &hash, body.enable, who)
    })
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no user {missing}")))?;
    log::info!(
        "{} reset the password of user {}",
        admin.0.actor(),
        user.name
    );
    Ok(HttpResponse::Ok().json(user))
}
