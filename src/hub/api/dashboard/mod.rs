//! The fleet dashboard: server-rendered pages (askama, `templates/hub/`) with SVG charts drawn on
//! the server, and the JSON endpoints behind the same figures. Nothing is fetched from elsewhere:
//! it works on an air-gapped network.

pub mod data;
pub mod pages;
pub mod session;
pub mod views;

use actix_web::web;

/// The dashboard's pages (HTML; its JSON endpoints are in the API's route table): `/` and
/// `/dashboard/...`, with a 404 page for any other dashboard path.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::index)).service(
        web::scope("/dashboard")
            .route("", web::get().to(pages::overview))
            .route("/", web::get().to(pages::overview))
            .route("/login", web::get().to(session::login_page))
            .route("/login", web::post().to(session::login))
            .route("/logout", web::post().to(session::logout))
            .route("/rigs/{id}", web::get().to(pages::rig))
            .route("/events/{id}/report", web::get().to(pages::report))
            .route(
                "/events/{id}/outcome",
                web::post().to(pages::record_outcome),
            )
            .route("/regions", web::get().to(pages::regions))
            .route("/correlations", web::get().to(pages::correlations))
            .route("/analysers", web::get().to(pages::analysers))
            .route("/analysers/{id}", web::post().to(pages::change_analyser))
            .route("/library", web::get().to(pages::library))
            .route("/insights", web::get().to(pages::insights))
            .route("/trends", web::get().to(pages::trends))
            .route("/audit", web::get().to(pages::audit))
            .route("/users", web::get().to(pages::users))
            .route("/users", web::post().to(pages::user_forms::add))
            .route(
                "/users/{name}/disable",
                web::post().to(pages::user_forms::disable),
            )
            .default_service(web::to(pages::not_found)),
    );
}
