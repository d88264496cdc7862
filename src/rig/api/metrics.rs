//! `GET /metrics`: the rig's figures in the Prometheus text format. Behind the operator token
//! when the API listens beyond loopback, like every other route a stranger could use to watch
//! the rig's trouble; Prometheus sends it with `authorization: {credentials_file: …}`.

use super::auth::Operator;
use super::ApiState;
use crate::rig::core::lock;
use crate::rig::metrics::RigMetrics;
use actix_web::{web, HttpResponse};
use prometheus_client::registry::Registry;

pub async fn metrics(state: web::Data<ApiState>, _operator: Operator) -> HttpResponse {
    let figures = RigMetrics::read(
        &lock(&state.core),
        &state.source,
        state.stale_after_secs,
        &state.heals,
    );
    let mut registry = Registry::with_prefix("sairen_rig");
    registry.register_collector(Box::new(figures));
    crate::web::metrics::exposition(&registry)
}
