//! `GET /metrics`: the hub's figures in the Prometheus text format, for a scraper on loopback or
//! holding `SAIREN_METRICS_TOKEN`.

use super::ApiError;
use crate::hub::auth::MetricsAuth;
use crate::hub::db::{self, DbError};
use crate::hub::metrics::ScrapeFigures;
use crate::hub::state::AppState;
use actix_web::{web, HttpResponse};

/// The figures, with what the database says now; a database that does not answer within the
/// pool's wait is reported as down (`sairen_hub_database_up 0`), never as a failed scrape.
pub async fn metrics(
    state: web::Data<AppState>,
    _scraper: MetricsAuth,
) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let read = web::block(move || -> Result<_, DbError> {
        let mut conn = pool.get().map_err(DbError::from)?;
        let status = db::status::hub_status(&mut conn)?;
        let oldest = db::status::oldest_awaiting_curation(&mut conn)?;
        Ok((status, oldest))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("metrics task: {e}")))?;
    let (status, oldest_waiting) = match read {
        Ok((s, o)) => (Some(s), o),
        Err(e) => {
            log::warn!("metrics: database not read: {e}");
            (None, None)
        }
    };
    let pool = state.pool.state();
    let figures = ScrapeFigures {
        pool: (pool.connections, pool.idle_connections),
        pool_max: state.pool.max_size(),
        status,
        oldest_waiting,
        storm: state.storm.is_on(chrono::Utc::now()),
    };
    Ok(crate::web::metrics::exposition(
        &state.metrics.registry(figures),
    ))
}
