//! The hub's real handlers in process (actix test service) on a test database.

use super::{TestDb, ADMIN_KEY};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{test, web, App};
use sairen::fleet::codec::{decode_json, Encoding};
use sairen::fleet::{EventId, FleetEvent, LibraryResponse};
use sairen::hub::auth::AdminKey;
use sairen::hub::config::HubConfig;
use sairen::hub::db::{self, PoolSettings};
use sairen::hub::state::AppState;
use sairen::hub::watch::HubWatch;
use sairen::web::Secret;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Status = u16;

/// The hub's app on `db` with its change watch running and live, as `hub serve` has it.
pub async fn start(
    db: &TestDb,
) -> (
    impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    web::Data<AppState>,
) {
    let watch = HubWatch::spawn(db.url()).expect("watch thread");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !watch.is_live() {
        assert!(
            Instant::now() < deadline,
            "the change watch never connected"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    start_with(db, watch).await
}

/// The hub's app on `db` with the given change watch (`HubWatch::off()`: no caches trusted).
pub async fn start_with(
    db: &TestDb,
    watch: Arc<HubWatch>,
) -> (
    impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    web::Data<AppState>,
) {
    start_configured(db, watch, &HubConfig::default()).await
}

/// The hub's app on `db` with `config`.
pub async fn start_configured(
    db: &TestDb,
    watch: Arc<HubWatch>,
    config: &HubConfig,
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
    let state = web::Data::new(AppState::new(config, pool, admin, watch).expect("state"));
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

/// An upload of `body`, sent as `encoding` says (zstd bodies carry `Content-Encoding: zstd`).
pub fn upload_req(key: &str, body: Vec<u8>, encoding: Encoding) -> test::TestRequest {
    let mut req = test::TestRequest::post()
        .uri("/api/fleet/events")
        .insert_header(bearer(key))
        .set_payload(body);
    if encoding == Encoding::Zstd {
        req = req.insert_header(("Content-Encoding", "zstd"));
    }
    req
}

/// The hub's real handlers in process on a database of their own, with verbs for what tests do.
pub struct TestHub<S> {
    /// The app, to send requests to.
    pub app: S,
    /// Its shared state (caches, the change watch).
    pub state: web::Data<AppState>,
    /// Its database.
    pub db: TestDb,
}

impl TestHub<()> {
    /// A hub on a fresh migrated database, its change watch live.
    pub async fn start() -> TestHub<
        impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    > {
        let db = TestDb::new();
        let (app, state) = start(&db).await;
        TestHub { app, state, db }
    }
}

impl<S> TestHub<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    /// Register `rig_id` and stand for it.
    pub async fn rig(&self, rig_id: &str) -> TestRig<'_, S> {
        TestRig {
            key: register(&self.app, rig_id).await,
            hub: self,
        }
    }

    /// Send a request; its status and JSON body.
    pub async fn call(&self, req: test::TestRequest) -> (Status, Value) {
        call(&self.app, req).await
    }
}

/// A library sync as a rig sees it.
pub struct Synced {
    /// The HTTP status.
    pub status: Status,
    /// `X-Library-Version`.
    pub version: Option<i64>,
    /// `X-Delta-Count`.
    pub delta: Option<i64>,
    /// The library, on a 200.
    pub body: Option<LibraryResponse>,
}

/// A registered rig of a [`TestHub`], with its key.
pub struct TestRig<'a, S> {
    /// Its API key.
    pub key: String,
    hub: &'a TestHub<S>,
}

impl<S> TestRig<'_, S>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    /// Upload an event as plain JSON.
    pub async fn upload(&self, event: &FleetEvent) -> (Status, Value) {
        let body = serde_json::to_vec(event).expect("json");
        self.hub
            .call(upload_req(&self.key, body, Encoding::Identity))
            .await
    }

    /// `GET /api/fleet/library`, since a version or whole (zstd accepted): the status, the
    /// version and delta-count headers, and the library when the answer is a 200.
    pub async fn sync(&self, since: Option<i64>) -> Synced {
        let uri = since.map_or("/api/fleet/library".to_owned(), |s| {
            format!("/api/fleet/library?since={s}")
        });
        let req = test::TestRequest::get()
            .uri(&uri)
            .insert_header(bearer(&self.key))
            .insert_header(("Accept-Encoding", "zstd"));
        let resp = test::call_service(&self.hub.app, req.to_request()).await;
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
        };
        let (version, delta) = (header("x-library-version"), header("x-delta-count"));
        let encoding = if resp.headers().contains_key("content-encoding") {
            Encoding::Zstd
        } else {
            Encoding::Identity
        };
        let bytes = test::read_body(resp).await;
        let body = (status == 200).then(|| {
            decode_json::<LibraryResponse>(&bytes, encoding, 64 << 20).expect("a LibraryResponse")
        });
        Synced {
            status,
            version,
            delta,
            body,
        }
    }

    /// `GET /api/fleet/events/{id}`.
    pub async fn get_event(&self, id: &EventId) -> (Status, Value) {
        let req = test::TestRequest::get()
            .uri(&format!("/api/fleet/events/{id}"))
            .insert_header(bearer(&self.key));
        self.hub.call(req).await
    }
}

/// Wait until the change watch has seen the library version the database holds now: the
/// watch follows commits within one poll, and a test that just ran a curator pass on its own
/// connection must not race it.
pub async fn settle(state: &AppState, db: &TestDb) {
    let version = sairen::hub::db::library::head(&mut db.conn())
        .expect("head")
        .version;
    let deadline = Instant::now() + Duration::from_secs(10);
    while state.watch.library_version() != Some(version) {
        assert!(
            Instant::now() < deadline,
            "the change watch never saw library version {version} (it has {:?})",
            state.watch.library_version()
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

/// GET a dashboard page as the administrator (the admin key as a bearer): status and body.
#[allow(dead_code)]
pub async fn page<S>(app: &S, uri: &str) -> (Status, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = test::TestRequest::get()
        .uri(uri)
        .insert_header(bearer(ADMIN_KEY));
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let body = test::read_body(resp).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Add a dashboard user through the API with the admin key: status and body.
#[allow(dead_code)]
pub async fn add_user<S>(app: &S, name: &str, role: &str, password: &str) -> (u16, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    call(
        app,
        test::TestRequest::post()
            .uri("/api/fleet/users")
            .insert_header(bearer(ADMIN_KEY))
            .set_json(json!({"name": name, "role": role, "password": password})),
    )
    .await
}

/// Sign in as `user`; the session cookie's `name=value`, or the status of the refusal.
#[allow(dead_code)]
pub async fn sign_in<S>(app: &S, user: &str, password: &str) -> Result<String, u16>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = test::TestRequest::post()
        .uri("/dashboard/login")
        .peer_addr(format!("10.2.0.{}:4000", user.len()).parse().expect("addr"))
        .set_form([
            ("user", user),
            ("password", password),
            ("next", "/dashboard"),
        ]);
    let resp = test::call_service(app, req.to_request()).await;
    if resp.status().as_u16() != 303 {
        return Err(resp.status().as_u16());
    }
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    Ok(cookie.split(';').next().expect("name=value").to_owned())
}

/// `req` with the session cookie.
#[allow(dead_code)]
pub fn with_cookie(req: test::TestRequest, cookie: &str) -> test::TestRequest {
    req.insert_header(("Cookie", cookie.to_owned()))
}
