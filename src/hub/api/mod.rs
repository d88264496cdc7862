//! The hub's HTTP API: every route is registered here; each handler lives in its own file.

mod analysers;
mod audit;
mod body;
pub mod clock;
pub mod dashboard;
mod error;
pub mod events;
pub mod health;
mod heartbeat;
mod insights;
pub mod library;
mod metrics;
pub mod registry;
pub mod users;
mod wireguard;

pub use analysers::{change_slot as change_analyser, read as read_analysers};
pub use body::json_response;
pub use error::ApiError;

use crate::hub::db::DbError;
use crate::hub::state::AppState;
use crate::web::{json_error, not_found, path_error, query_error};
use actix_web::web;
use diesel::PgConnection;

/// Run synchronous database work on the blocking pool with a pooled connection
/// (diesel is synchronous; the async workers never wait on PostgreSQL).
pub async fn with_db<T, E, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
    ApiError: From<E>,
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
{
    let pool = state.pool.clone();
    Ok(web::block(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        work(&mut conn)
    })
    .await??)
}

/// Register every route of the hub API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(json_error),
    )
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::QueryConfig::default().error_handler(query_error))
    // Where Prometheus looks, outside the API's scope.
    .route("/metrics", web::get().to(metrics::metrics))
    .service(
        web::scope("/api/fleet")
            .route("/health", web::get().to(health::health))
            .route("/openapi.json", web::get().to(health::openapi))
            .route("/events", web::post().to(events::upload))
            .route("/events/{id}", web::get().to(events::get))
            .route(
                "/events/{id}/outcome",
                web::patch().to(events::update_outcome),
            )
            .route("/heartbeat", web::post().to(heartbeat::beat))
            .route("/insights", web::post().to(insights::upload))
            .route("/insights/offsets", web::get().to(insights::offsets))
            .route("/library", web::get().to(library::sync))
            .route("/library/stats", web::get().to(library::stats))
            .route("/rigs", web::get().to(registry::list))
            .route("/rigs/register", web::post().to(registry::register))
            .route("/rigs/{id}", web::get().to(registry::show))
            .route("/rigs/{id}/revoke", web::post().to(registry::revoke))
            .route("/analysers", web::get().to(analysers::list))
            .route("/analysers/{id}", web::put().to(analysers::change))
            .route("/audit", web::get().to(audit::list))
            .route("/audit/verify", web::get().to(audit::verify))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::add))
            .route("/users/{name}/disable", web::post().to(users::disable))
            .route(
                "/users/{name}/password",
                web::put().to(users::reset_password),
            )
            .route("/wireguard", web::get().to(wireguard::get))
            .route("/wireguard", web::put().to(wireguard::put))
            .route(
                "/dashboard/summary",
                web::get().to(dashboard::data::summary),
            )
            .route("/dashboard/trends", web::get().to(dashboard::data::trends))
            .route(
                "/dashboard/outcomes",
                web::get().to(dashboard::data::outcomes),
            ),
    )
    .configure(dashboard::routes)
    .default_service(web::to(not_found));
}
