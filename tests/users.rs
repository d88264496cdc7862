//! Named users and roles on the hub (issue 17), through its real routes on a real PostgreSQL:
//! what a viewer, an operator and an administrator may open and do, on every page and endpoint;
//! a disabled user or a reset password ends sessions at once; a guessed password is answered
//! 429 before it is checked; every change is in the audit trail under the user's name.

mod common;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test as actix_test;
use chrono::Utc;
use common::app::{add_user, bearer, call, sign_in, with_cookie, TestHub};
use common::{event_for, ADMIN_KEY};
use serde_json::json;

async fn send<S>(app: &S, req: actix_test::TestRequest) -> (u16, Option<String>, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let resp = actix_test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = actix_test::read_body(resp).await;
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

const PASSWORD: &str = "a long enough passphrase";

/// What each role opens: (method, path, body, the status a viewer, an operator and an
/// administrator get).
#[actix_web::test]
async fn each_role_opens_what_it_may_on_every_page_and_endpoint_and_nothing_more() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-ROLES").await;
    let pending = event_for("RIG-ROLES", Utc::now() - chrono::Duration::minutes(5));
    assert_eq!(rig.upload(&pending).await.0, 201);
    let mut cookies = Vec::new();
    for (name, role) in [("vera", "viewer"), ("otto", "operator"), ("ada", "admin")] {
        let (status, body) = add_user(&hub.app, name, role, PASSWORD).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["role"], role);
        assert!(body.get("password_hash").is_none(), "{body}");
        cookies.push(sign_in(&hub.app, name, PASSWORD).await.expect("signed in"));
    }
    let outcome_form = [("status", "resolved"), ("text", "circulated bottoms up")];
    let outcome_uri = format!("/dashboard/events/{}/outcome", pending.id);
    // (what, request, the status for viewer, operator, admin)
    type Req = Box<dyn Fn() -> actix_test::TestRequest>;
    let get =
        |uri: &'static str| -> Req { Box::new(move || actix_test::TestRequest::get().uri(uri)) };
    let cases: Vec<(&str, Req, [u16; 3])> = vec![
        ("overview", get("/dashboard"), [200, 200, 200]),
        (
            "rig page",
            get("/dashboard/rigs/RIG-ROLES"),
            [200, 200, 200],
        ),
        ("library page", get("/dashboard/library"), [200, 200, 200]),
        ("trends page", get("/dashboard/trends"), [200, 200, 200]),
        (
            "summary",
            get("/api/fleet/dashboard/summary"),
            [200, 200, 200],
        ),
        (
            "trends data",
            get("/api/fleet/dashboard/trends"),
            [200, 200, 200],
        ),
        (
            "outcomes data",
            get("/api/fleet/dashboard/outcomes"),
            [200, 200, 200],
        ),
        ("audit page", get("/dashboard/audit"), [403, 403, 200]),
        ("audit list", get("/api/fleet/audit"), [403, 403, 200]),
        (
            "audit verify",
            get("/api/fleet/audit/verify"),
            [403, 403, 200],
        ),
        ("users page", get("/dashboard/users"), [403, 403, 200]),
        ("users list", get("/api/fleet/users"), [403, 403, 200]),
        ("rigs list", get("/api/fleet/rigs"), [403, 403, 200]),
        (
            "rig detail",
            get("/api/fleet/rigs/RIG-ROLES"),
            [403, 403, 200],
        ),
        ("wireguard", get("/api/fleet/wireguard"), [403, 403, 404]),
        (
            "register a rig",
            Box::new(|| {
                actix_test::TestRequest::post()
                    .uri("/api/fleet/rigs/register")
                    .set_json(json!({"rig_id": "RIG-NEW", "well_id": "W", "field": "F"}))
            }),
            [403, 403, 201],
        ),
        (
            "add a user by API",
            Box::new(|| {
                actix_test::TestRequest::post()
                    .uri("/api/fleet/users")
                    .set_json(json!({"name": "ned", "role": "viewer", "password": PASSWORD}))
            }),
            [403, 403, 201],
        ),
        (
            "add a user by form",
            Box::new(|| {
                actix_test::TestRequest::post()
                    .uri("/dashboard/users")
                    .set_form([("name", "nia"), ("role", "viewer"), ("password", PASSWORD)])
            }),
            [403, 403, 200],
        ),
        (
            "record an outcome",
            Box::new(move || {
                actix_test::TestRequest::post()
                    .uri(&outcome_uri)
                    .set_form(outcome_form)
            }),
            [403, 303, 303],
        ),
    ];
    for (what, req, expected) in &cases {
        for (who, cookie) in ["viewer", "operator", "admin"].iter().zip(&cookies) {
            let i = ["viewer", "operator", "admin"]
                .iter()
                .position(|r| r == who)
                .expect("role");
            let (status, _, body) = send(&hub.app, with_cookie(req(), cookie)).await;
            assert_eq!(status, expected[i], "{what} as {who}: {body}");
            if status == 403 {
                assert!(body.contains(who), "the refusal names the role: {body}");
            }
        }
    }
    // The operator's outcome is stored, and the audit trail says who.
    let (_, entries) = call(
        &hub.app,
        actix_test::TestRequest::get()
            .uri("/api/fleet/audit?action=outcome_update")
            .insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    let actors: Vec<&str> = entries
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert!(actors.contains(&"user otto"), "{entries}");
    let (_, stored) = rig.get_event(&pending.id).await;
    assert_eq!(stored["event"]["outcome"]["status"], "resolved", "{stored}");
    assert_eq!(
        stored["event"]["outcome"]["action_taken"], "circulated bottoms up",
        "{stored}"
    );
    // The pages show who is signed in, and the administrator's pages only to administrators.
    let (_, _, viewer_page) = send(
        &hub.app,
        with_cookie(
            actix_test::TestRequest::get().uri("/dashboard"),
            &cookies[0],
        ),
    )
    .await;
    assert!(viewer_page.contains("vera · viewer"), "{viewer_page}");
    assert!(!viewer_page.contains("/dashboard/users"), "{viewer_page}");
    let (_, _, admin_page) = send(
        &hub.app,
        with_cookie(
            actix_test::TestRequest::get().uri("/dashboard"),
            &cookies[2],
        ),
    )
    .await;
    assert!(admin_page.contains("/dashboard/users"), "{admin_page}");
    // Admin actions taken in a session are the user's in the audit trail.
    let (_, added) = call(
        &hub.app,
        actix_test::TestRequest::get()
            .uri("/api/fleet/audit?action=user_added")
            .insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    let added_by: Vec<&str> = added
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert!(
        added_by.contains(&"user ada") && added_by.contains(&"admin key"),
        "{added}"
    );
}

#[actix_web::test]
async fn disabling_a_user_or_resetting_their_password_ends_their_sessions_at_once() {
    let hub = TestHub::start().await;
    for name in ["dora", "rex"] {
        assert_eq!(add_user(&hub.app, name, "operator", PASSWORD).await.0, 201);
    }
    let dora = sign_in(&hub.app, "dora", PASSWORD).await.expect("dora");
    let rex = sign_in(&hub.app, "rex", PASSWORD).await.expect("rex");
    let overview =
        |cookie: &str| with_cookie(actix_test::TestRequest::get().uri("/dashboard"), cookie);
    assert_eq!(send(&hub.app, overview(&dora)).await.0, 200);

    let (status, body) = call(
        &hub.app,
        actix_test::TestRequest::post()
            .uri("/api/fleet/users/dora/disable")
            .insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["disabled_at"].is_string(), "{body}");
    let (status, location, _) = send(&hub.app, overview(&dora)).await;
    assert_eq!(
        status, 303,
        "the disabled user's copied cookie opens nothing"
    );
    assert!(location.is_some_and(|l| l.starts_with("/dashboard/login")));
    assert_eq!(
        sign_in(&hub.app, "dora", PASSWORD).await,
        Err(401),
        "nor may she sign in again"
    );
    assert_eq!(
        send(&hub.app, overview(&rex)).await.0,
        200,
        "others keep theirs"
    );

    let reset = |name: &str, enable: bool| {
        actix_test::TestRequest::put()
            .uri(&format!("/api/fleet/users/{name}/password"))
            .insert_header(bearer(ADMIN_KEY))
            .set_json(json!({"password": "a brand new passphrase", "enable": enable}))
    };
    assert_eq!(call(&hub.app, reset("rex", false)).await.0, 200);
    assert_eq!(
        send(&hub.app, overview(&rex)).await.0,
        303,
        "reset ends rex's session"
    );
    assert_eq!(sign_in(&hub.app, "rex", PASSWORD).await, Err(401));
    assert!(sign_in(&hub.app, "rex", "a brand new passphrase")
        .await
        .is_ok());
    // Enabled again with a new password, dora signs in with it.
    assert_eq!(call(&hub.app, reset("dora", true)).await.0, 200);
    assert!(sign_in(&hub.app, "dora", "a brand new passphrase")
        .await
        .is_ok());

    // Bad changes are refused with the field named; a taken name is a conflict.
    for (body, field) in [
        (
            json!({"name": "Bad Name", "role": "viewer", "password": PASSWORD}),
            "name",
        ),
        (
            json!({"name": "ok", "role": "root", "password": PASSWORD}),
            "role",
        ),
        (
            json!({"name": "ok", "role": "viewer", "password": "short"}),
            "password",
        ),
        (
            json!({"name": "o\u{0}k", "role": "viewer", "password": PASSWORD}),
            "name",
        ),
    ] {
        let (status, reply) = call(
            &hub.app,
            actix_test::TestRequest::post()
                .uri("/api/fleet/users")
                .insert_header(bearer(ADMIN_KEY))
                .set_json(body),
        )
        .await;
        assert_eq!(status, 400, "{reply}");
        assert!(
            reply["error"].to_string().contains(field) || reply["field"] == field,
            "{reply}"
        );
    }
    assert_eq!(add_user(&hub.app, "dora", "viewer", PASSWORD).await.0, 409);
    let (status, _) = call(&hub.app, reset("nobody", false)).await;
    assert_eq!(status, 404);

    let (_, entries) = call(
        &hub.app,
        actix_test::TestRequest::get()
            .uri("/api/fleet/audit")
            .insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    let actions: Vec<&str> = entries
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "user_added",
        "user_disabled",
        "password_reset",
        "sign_in",
        "sign_in_refused",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let (status, verified) = call(
        &hub.app,
        actix_test::TestRequest::get()
            .uri("/api/fleet/audit/verify")
            .insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(verified["problem"].is_null(), "{verified}");
}

/// Guessing a user's password is answered 429 before the password is checked (issue 17's
/// sign-in flood): past five wrong passwords a minute for one name, even the right one waits,
/// whichever client it comes from; other users are not held back.
#[actix_web::test]
async fn guessing_a_users_password_is_told_to_wait_before_any_check() {
    let hub = TestHub::start().await;
    for name in ["target", "bystander"] {
        assert_eq!(add_user(&hub.app, name, "viewer", PASSWORD).await.0, 201);
    }
    let attempt = |client: u8, user: &str, password: &str| {
        actix_test::TestRequest::post()
            .uri("/dashboard/login")
            .peer_addr(format!("10.3.0.{client}:4000").parse().expect("addr"))
            .set_form([("user", user), ("password", password)])
    };
    // Spread over clients, so only the per-name limit can stop them.
    for i in 0..5u8 {
        let (status, _, _) = send(&hub.app, attempt(i, "target", "wrong guess number x")).await;
        assert_eq!(status, 401, "guess {i}");
    }
    let (status, _, body) = send(&hub.app, attempt(9, "target", PASSWORD)).await;
    assert_eq!(
        status, 429,
        "the right password waits out the minute: {body}"
    );
    assert!(body.contains("wait"), "{body}");
    let (status, _, _) = send(&hub.app, attempt(9, "bystander", PASSWORD)).await;
    assert_eq!(status, 303, "another user signs in");
    // A name that does not exist is refused like a wrong password.
    let (status, _, body) = send(&hub.app, attempt(8, "nobody", PASSWORD)).await;
    assert_eq!(status, 401);
    assert!(body.contains("Wrong user name or password"), "{body}");
}
