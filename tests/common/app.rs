//! The hub's real handlers in process (actix test service) on a test database.

use super::{TestDb, ADMIN_KEY};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{test, web, App};
use sairen::hub::auth::{AdminKey, Secret};
use sairen::hub::config::HubConfig;
use sairen::hub::db::{self, PoolSettings};
use sairen::hub::server::app_state;
use sairen::hub::state::AppState;
use serde_json::{json, Value};
use std::time::Duration;

pub type Status = u16;

pub async fn start(
    db: &TestDb,
) -> (
    impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    web::Data<AppState>,
) {
    let settings = PoolSettings {
        max_size: 4,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(10),
    };
    let pool = db::connect(db.url(), &settings).expect("pool");
    let admin = AdminKey::new(&Secret::new(ADMIN_KEY)).expect("admin key");
    let state = web::Data::new(app_state(&HubConfig::default(), pool, admin));
    let app = test::init_service(
        App::new()
            .app_data(state.clone())
            .configure(sairen::hub::api::routes),
    )
    .await;
    (app, state)
}

pub async fn call<S>(app: &S, req: test::TestRequest) -> (Status, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let body = test::read_body(resp).await;
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    (status, json)
}

pub fn bearer(key: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {key}"))
}

pub async fn register<S>(app: &S, rig: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = test::TestRequest::post()
        .uri("/api/fleet/rigs/register")
        .insert_header(bearer(ADMIN_KEY))
        .set_json(json!({"rig_id": rig, "well_id": "W-1", "field": "Volve"}));
    let (status, body) = call(app, req).await;
    assert_eq!(status, 201, "{body}");
    body["api_key"].as_str().expect("api_key").to_owned()
}

pub fn upload_req(key: &str, body: Vec<u8>, zstd: bool) -> test::TestRequest {
    let mut req = test::TestRequest::post()
        .uri("/api/fleet/events")
        .insert_header(bearer(key))
        .set_payload(body);
    if zstd {
        req = req.insert_header(("Content-Encoding", "zstd"));
    }
    req
}
