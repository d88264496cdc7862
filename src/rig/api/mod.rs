//! The rig's HTTP API (DESIGN §2 `rig/api/`): every route registered here, each handler in its
//! own file. Reads are open; the endpoints that change something need the operator token when
//! the API is bound to anything but loopback.

mod advisories;
mod auth;
mod control;
mod incidents;
mod insights;
mod metrics;
mod reports;
mod screen;
mod status;

pub use auth::OperatorToken;

use crate::rig::acquisition::source::SourceState;
use crate::rig::core::{lock, Core};
use crate::rig::healer::HealReports;
use crate::rig::health::Health;
use crate::web::{json_error, not_found, query_error};
use actix_web::web;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

/// What every handler can reach.
pub struct ApiState {
    /// The pipeline, advisory log and stream state.
    pub core: Arc<Mutex<Core>>,
    /// The input's shared state (stream issues).
    pub source: Arc<SourceState>,
    /// Seconds without data before the stream counts as stale.
    pub stale_after_secs: f64,
    /// The operator token, when the API is exposed beyond loopback.
    pub token: Option<OperatorToken>,
    /// The screen asks for the operator token before showing anything.
    pub screen_login: bool,
    /// Screens following the rig live now (at most `screen::MAX_STREAMS`).
    pub live_streams: Arc<AtomicUsize>,
    /// Set when the rig stops: live streams end so the server can.
    pub stopping: Arc<AtomicBool>,
    /// What the self-healer found and did.
    pub heals: Arc<HealReports>,
}

impl ApiState {
    /// The rig's health now, with the self-healer's reports.
    pub fn health(&self) -> Health {
        lock(&self.core)
            .health(&self.source, self.stale_after_secs)
            .with_heals(&self.heals)
    }
}

/// Register every route of the rig API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(16 * 1024)
            .error_handler(json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .service(
        web::scope("/api/v1")
            .route("/health", web::get().to(status::health))
            .route("/status", web::get().to(status::status))
            .route("/advisories", web::get().to(advisories::list))
            .route("/incidents", web::get().to(incidents::list))
            .route(
                "/incidents/{id}/acknowledge",
                web::post().to(incidents::acknowledge),
            )
            .route("/incidents/{id}/shelve", web::post().to(incidents::shelve))
            .route(
                "/advisory/acknowledge",
                web::post().to(advisories::acknowledge),
            )
            .route("/config/thresholds", web::get().to(control::get_thresholds))
            .route("/config/thresholds", web::put().to(control::put_thresholds))
            .route("/campaign", web::get().to(control::get_campaign))
            .route("/campaign", web::put().to(control::put_campaign))
            .route("/fleet", web::get().to(status::fleet))
            .route("/insights", web::get().to(insights::list))
            .route("/insights/run", web::post().to(insights::run))
            .route("/pit/reset", web::post().to(control::reset_pit)),
    )
    .route("/metrics", web::get().to(metrics::metrics))
    .route("/", web::get().to(screen::screen))
    .route("/live", web::get().to(screen::live))
    .route("/screen.js", web::get().to(screen::script))
    .route("/handover", web::get().to(reports::handover))
    .route("/incidents/{id}/report", web::get().to(reports::incident))
    .route("/pit/reset", web::post().to(screen::reset_pit))
    .route("/incidents/{id}/shelve", web::post().to(screen::shelve))
    .route(
        "/incidents/{id}/acknowledge",
        web::get().to(screen::acknowledge_form),
    )
    .route(
        "/incidents/{id}/acknowledge",
        web::post().to(screen::acknowledge),
    )
    .route(
        "/advisories/{id}/acknowledge",
        web::get().to(screen::acknowledge_form),
    )
    .route(
        "/advisories/{id}/acknowledge",
        web::post().to(screen::acknowledge),
    )
    .default_service(web::to(not_found));
}
