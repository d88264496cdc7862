//! `GET /dashboard/users` and its forms (administrators): every user, add one, disable one.
//! The changes go through the same steps as the users API, so both are audited alike.

use super::super::views::*;
use super::refuse_below;
use crate::hub::api::users::{add_user, disable_user, NewUser};
use crate::hub::api::with_db;
use crate::hub::auth::{Caller, PageAuth, Role, MIN_PASSWORD_CHARS};
use crate::hub::db::users::{self, User};
use crate::hub::state::AppState;
use crate::web::{client_address, ApiError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

/// The add-a-user form.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    name: String,
    role: String,
    password: String,
}

/// `GET /dashboard/users`.
pub async fn users(auth: PageAuth, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Some(refused) = refuse_below(&auth.0, Role::Admin) {
        return refused;
    }
    page(&state, &auth.0, StatusCode::OK, None, None).await
}

/// `POST /dashboard/users`: add a user, then the page again saying so (or why not).
pub async fn add(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, ApiError> {
    if let Some(refused) = refuse_below(&auth.0, Role::Admin) {
        return refused;
    }
    let form = form.into_inner();
    let new = NewUser {
        name: form.name.trim().to_owned(),
        role: form.role,
        password: form.password,
    };
    match add_user(&state, &auth.0, client_address(&req), new).await {
        Ok(user) => {
            let done = format!("Added {} as {}.", user.name, user.role);
            page(&state, &auth.0, StatusCode::OK, None, Some(done)).await
        }
        Err(ApiError::BadRequest { message, .. }) => {
            page(
                &state,
                &auth.0,
                StatusCode::BAD_REQUEST,
                Some(message),
                None,
            )
            .await
        }
        Err(ApiError::Conflict(message)) => {
            page(&state, &auth.0, StatusCode::CONFLICT, Some(message), None).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /dashboard/users/{name}/disable`: back to the page (303), the user's sessions ended.
pub async fn disable(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(refused) = refuse_below(&auth.0, Role::Admin) {
        return refused;
    }
    match disable_user(&state, &auth.0, client_address(&req), name.into_inner()).await {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/dashboard/users"))
            .finish()),
        Err(ApiError::Conflict(message) | ApiError::NotFound(message)) => {
            page(&state, &auth.0, StatusCode::CONFLICT, Some(message), None).await
        }
        Err(e) => Err(e),
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let listed = with_db(state, users::list).await?;
    let now = Utc::now();
    render(
        status,
        &UsersPage {
            page: Chrome {
                refresh: false,
                ..Chrome::page("Users", caller)
            },
            error,
            notice,
            users: listed.iter().map(|u| line(u, caller, now)).collect(),
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            min_password: MIN_PASSWORD_CHARS,
        },
    )
}

fn line(u: &User, caller: &Caller, now: chrono::DateTime<Utc>) -> UserLine {
    UserLine {
        name: u.name.clone(),
        role: u.role.to_string(),
        status: u.disabled_at.map_or_else(
            || "enabled".into(),
            |t| format!("disabled {}", ago(Some(t), now)),
        ),
        added: u.created_at.format("%Y-%m-%d %H:%M").to_string(),
        last_sign_in: ago(u.last_sign_in_at, now),
        can_disable: u.disabled_at.is_none() && caller.user.as_deref() != Some(u.name.as_str()),
    }
}
