//! The fleet dashboard through the hub's real routes on a real PostgreSQL: signing in, refusals,
//! the figures each page and endpoint shows for a seeded fleet, empty states, bad input and
//! escaping.

mod common;

use sairen::fleet::codec::Encoding;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test as actix_test;
use chrono::{Duration, Utc};
use common::app::{bearer, call, register, upload_req, TestHub};
use common::{event_for, ADMIN_KEY};
use sairen::drilling::AnomalyCategory;
use sairen::hub::curator::pass::{run_pass, WhenBusy};
use sairen::hub::curator::CuratorSettings;
use serde_json::{json, Value};

/// GET `uri` with `headers`; status, headers and body as text.
async fn get<S>(
    app: &S,
    uri: &str,
    headers: &[(&str, String)],
) -> (u16, Vec<(String, String)>, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = actix_test::TestRequest::get().uri(uri);
    for (k, v) in headers {
        req = req.insert_header((*k, v.clone()));
    }
    send(app, req).await
}

async fn send<S>(app: &S, req: actix_test::TestRequest) -> (u16, Vec<(String, String)>, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let resp = actix_test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = actix_test::read_body(resp).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Sign in through the form; the session cookie's `name=value`.
async fn sign_in<S>(app: &S) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = actix_test::TestRequest::post()
        .uri("/dashboard/login")
        .set_form([("password", ADMIN_KEY), ("next", "/dashboard/library")]);
    let (status, headers, _) = send(app, req).await;
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), Some("/dashboard/library"));
    let cookie = header(&headers, "set-cookie").expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    cookie.split(';').next().expect("name=value").to_owned()
}

#[actix_web::test]
async fn pages_and_endpoints_refuse_without_a_session_or_the_admin_key() {
    let hub = TestHub::start().await;
    for page in [
        "/dashboard",
        "/dashboard/library",
        "/dashboard/trends",
        "/dashboard/audit",
        "/dashboard/rigs/RIG-A",
    ] {
        let (status, headers, _) = get(&hub.app, page, &[]).await;
        assert_eq!(status, 303, "{page}");
        let to = header(&headers, "location").expect("redirect");
        assert!(
            to.starts_with("/dashboard/login?next=/dashboard"),
            "{page} -> {to}"
        );
    }
    let (status, headers, _) = get(&hub.app, "/", &[]).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (303, Some("/dashboard"))
    );

    for endpoint in ["summary", "trends", "outcomes"] {
        let uri = format!("/api/fleet/dashboard/{endpoint}");
        let (status, _, _) = get(&hub.app, &uri, &[]).await;
        assert_eq!(status, 401, "{uri}");
        let (status, _, _) = get(&hub.app, &uri, &[bearer("not-the-admin-key-at-all")]).await;
        assert_eq!(status, 403, "{uri}");
        let forged = ("Cookie", "sairen_session=9999999999.00ff".to_owned());
        let (status, _, _) = get(&hub.app, &uri, &[forged]).await;
        assert_eq!(status, 401, "a forged session is no session: {uri}");
        let (status, _, _) = get(&hub.app, &uri, &[bearer(ADMIN_KEY)]).await;
        assert_eq!(status, 200, "{uri}");
    }

    // A wrong key at the form: the form again, with the reason, and no cookie.
    let req = actix_test::TestRequest::post()
        .uri("/dashboard/login")
        .set_form([("password", "wrong-wrong-wrong-wrong")]);
    let (status, headers, body) = send(&hub.app, req).await;
    assert_eq!(status, 401);
    assert!(header(&headers, "set-cookie").is_none());
    assert!(
        body.contains("not this hub&#39;s admin key") || body.contains("not this hub's admin key"),
        "{body}"
    );

    // The right key: a session that opens the pages; signing out clears it.
    let cookie = sign_in(&hub.app).await;
    let (status, _, body) = get(&hub.app, "/dashboard", &[("Cookie", cookie.clone())]).await;
    assert_eq!(status, 200);
    assert!(body.contains("Fleet overview"));
    assert!(
        body.contains(r#"http-equiv="refresh" content="60""#),
        "pages refresh every 60 s"
    );
    assert!(
        !body.contains("http://") || !body.contains("<script src"),
        "nothing fetched from elsewhere"
    );
    // A second hub process on the same database accepts the session too…
    let (other, _) = common::app::start(&hub.db).await;
    let (status, _, _) = get(&other, "/dashboard", &[("Cookie", cookie.clone())]).await;
    assert_eq!(status, 200, "a session holds in every hub process");
    let (status, headers, _) = send(
        &hub.app,
        actix_test::TestRequest::post()
            .uri("/dashboard/logout")
            .insert_header(("Cookie", cookie.clone())),
    )
    .await;
    assert_eq!(status, 303);
    assert!(header(&headers, "set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    // …and after signing out, a kept copy of the cookie opens nothing, in either process.
    for (status, location) in [
        get(&hub.app, "/dashboard", &[("Cookie", cookie.clone())]).await,
        get(&other, "/dashboard", &[("Cookie", cookie.clone())]).await,
    ]
    .map(|(s, h, _)| (s, header(&h, "location").map(str::to_owned)))
    {
        assert_eq!(status, 303, "signed out means signed out");
        assert!(location.is_some_and(|l| l.starts_with("/dashboard/login")));
    }
    let summary = [("Cookie", cookie.clone())];
    assert_eq!(
        get(&hub.app, "/api/fleet/dashboard/summary", &summary)
            .await
            .0,
        401
    );
    assert_eq!(
        get(&other, "/api/fleet/dashboard/summary", &summary)
            .await
            .0,
        401
    );
}

#[actix_web::test]
async fn an_empty_hub_says_so_instead_of_showing_zero_percent() {
    let hub = TestHub::start().await;
    let cookie = [("Cookie", sign_in(&hub.app).await)];
    let (_, _, overview) = get(&hub.app, "/dashboard", &cookie).await;
    assert!(overview.contains("No outcome data yet"), "{overview}");
    assert!(overview.contains("No rig is registered yet"));
    assert!(!overview.contains("0 %"), "no misleading 0 %");
    let (_, _, library) = get(&hub.app, "/dashboard/library", &cookie).await;
    assert!(library.contains("The library is empty"));
    let (_, _, trends) = get(&hub.app, "/dashboard/trends", &cookie).await;
    assert!(trends.contains("No events in this range."));
    assert!(trends.contains("No outcome data yet"));
}

#[actix_web::test]
async fn a_seeded_fleet_shows_its_figures_on_every_page_and_endpoint() {
    let hub = TestHub::start().await;
    let key_a = register(&hub.app, "RIG-A").await;
    let key_b = register(&hub.app, "RIG-B").await;
    let now = Utc::now();
    // RIG-A: three pack-offs and a kick, at 9,000–12,500 ft; RIG-B: one washout.
    let mut ids = vec![];
    for (i, (rig, key, category, depth)) in [
        ("RIG-A", &key_a, AnomalyCategory::PackOff, 9_100.0),
        ("RIG-A", &key_a, AnomalyCategory::PackOff, 10_200.0),
        ("RIG-A", &key_a, AnomalyCategory::PackOff, 11_300.0),
        ("RIG-A", &key_a, AnomalyCategory::Kick, 12_500.0),
        ("RIG-B", &key_b, AnomalyCategory::Washout, 8_000.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut event = event_for(rig, now - Duration::hours(i as i64 + 1));
        event.advisory.category = category;
        event.depth_ft = depth;
        let body = serde_json::to_vec(&event).expect("json");
        let (status, reply) = call(&hub.app, upload_req(key, body, Encoding::Identity)).await;
        assert_eq!(status, 201, "{reply}");
        ids.push((event.id.to_string(), key.clone()));
    }
    // Outcomes: one pack-off resolved with an action that tries to be markup, one false alarm.
    let patch = |id: &str, key: &str, outcome: Value| {
        actix_test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{id}/outcome"))
            .insert_header(bearer(key))
            .set_json(json!({ "outcome": outcome }))
    };
    let action = "<script>alert('x')</script> reamed and circulated";
    let (status, reply) = call(
        &hub.app,
        actix_test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{}/outcome", ids[0].0))
            .insert_header(bearer(&ids[0].1))
            .set_json(json!({
                "outcome": {"status": "resolved", "action_taken": action},
                "notes": "<img src=x onerror=alert(2)> gas at shakers"
            })),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (status, _) = call(
        &hub.app,
        patch(&ids[1].0, &ids[1].1, json!({"status": "false_positive"})),
    )
    .await;
    assert_eq!(status, 200);
    let report = run_pass(
        &mut hub.db.conn(),
        &CuratorSettings::default(),
        WhenBusy::Wait,
    )
    .expect("curate");
    assert_eq!(report.events_curated, 5);

    // JSON endpoints.
    let admin = [bearer(ADMIN_KEY)];
    let (status, _, body) = get(&hub.app, "/api/fleet/dashboard/summary", &admin).await;
    assert_eq!(status, 200, "{body}");
    let summary: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(summary["events_total"], 5);
    assert_eq!(summary["events_last_24h"], 5);
    assert_eq!(summary["rigs"].as_array().map(Vec::len), Some(2));
    assert_eq!(summary["rigs"][0]["rig_id"], "RIG-A", "busiest first");
    assert_eq!(summary["rigs"][0]["status"], "active");
    assert_eq!(
        summary["by_category"][0],
        json!({"name": "pack_off", "count": 3})
    );
    assert_eq!(summary["events_per_day"].as_array().map(Vec::len), Some(30));
    let per_day: i64 = summary["events_per_day"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(per_day, 5, "every event falls on one of the last 30 days");
    assert!(summary["active_episodes"].as_i64().unwrap_or(0) >= 1);

    let (status, _, body) = get(&hub.app, "/api/fleet/dashboard/outcomes", &admin).await;
    assert_eq!(status, 200);
    let outcomes: Value = serde_json::from_str(&body).expect("json");
    let pack_off = outcomes["by_category"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["category"] == "pack_off"))
        .expect("pack-off row");
    assert_eq!(
        (pack_off["total"].as_i64(), pack_off["resolved"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(pack_off["resolution_rate"], 0.5, "1 resolved of 2 decided");
    let kick = outcomes["by_category"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["category"] == "kick"))
        .expect("kick row");
    assert_eq!(
        kick["resolution_rate"],
        Value::Null,
        "nothing decided: no rate, not 0"
    );
    assert_eq!(outcomes["common_actions"][0]["action"], action);

    let (status, _, body) = get(&hub.app, "/api/fleet/dashboard/trends", &admin).await;
    assert_eq!(status, 200);
    let trends: Value = serde_json::from_str(&body).expect("json");
    let bands: Vec<(f64, i64)> = trends["by_depth"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| {
            (
                b["from_ft"].as_f64().unwrap_or(-1.0),
                b["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        bands,
        vec![
            (8_000.0, 1),
            (9_000.0, 1),
            (10_000.0, 1),
            (11_000.0, 1),
            (12_000.0, 1)
        ]
    );
    assert_eq!(trends["campaigns"][0]["campaign"], "production");
    assert_eq!(trends["campaigns"][0]["events"], 5);
    let (status, _, body) = get(
        &hub.app,
        "/api/fleet/dashboard/trends?from=2026-11-20&to=2026-11-01",
        &admin,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#""details":["from"]"#), "{body}");

    // Pages.
    let cookie = [("Cookie", sign_in(&hub.app).await)];
    let (_, _, overview) = get(&hub.app, "/dashboard", &cookie).await;
    for needle in [
        "RIG-A",
        "RIG-B",
        "/dashboard/rigs/RIG-A",
        "Pack-off",
        "1 of 2",
        "<svg",
    ] {
        assert!(overview.contains(needle), "overview lacks {needle}");
    }
    let (status, _, rig) = get(&hub.app, "/dashboard/rigs/RIG-A", &cookie).await;
    assert_eq!(status, 200);
    for needle in [
        "Rig RIG-A",
        "12,500",
        "Advisory timeline",
        "reamed and circulated",
        "False alarm",
    ] {
        assert!(rig.contains(needle), "rig page lacks {needle}");
    }
    assert!(
        !rig.contains("<script>alert"),
        "the action is shown as text, never run"
    );
    assert!(
        rig.contains("gas at shakers") && !rig.contains("<img src=x"),
        "notes shown, escaped"
    );
    let at = rig.find("alert(").expect("the action is on the page");
    let shown = &rig[at.saturating_sub(20)..at];
    assert!(
        shown.contains("&lt;script&gt;") || shown.contains("&#60;script&#62;"),
        "escaped markup: {shown}"
    );
    let (_, _, library) = get(&hub.app, "/dashboard/library", &cookie).await;
    for needle in [
        "Active episodes",
        "Contribution per rig",
        "RIG-A",
        "Score histogram",
    ] {
        assert!(library.contains(needle), "library page lacks {needle}");
    }
    assert!(
        library.contains("supplies 80 % of the library"),
        "RIG-A holds 4 of 5: flagged"
    );
    assert!(
        library.contains("No precedent yet for"),
        "uncovered categories are listed"
    );
    let (status, _, trends) = get(&hub.app, "/dashboard/trends", &cookie).await;
    assert_eq!(status, 200);
    for needle in [
        "Events per day by category",
        "Anomaly density by depth",
        "Production",
        "reamed and circulated",
    ] {
        assert!(trends.contains(needle), "trends page lacks {needle}");
    }

    // Bad input on pages: a page that says what is wrong.
    let (status, _, page) = get(&hub.app, "/dashboard/rigs/NO-SUCH-RIG", &cookie).await;
    assert_eq!(status, 404);
    assert!(page.contains("No such rig") && page.contains("NO-SUCH-RIG"));
    let (status, _, page) = get(&hub.app, "/dashboard/rigs/%3Cb%3Ex", &cookie).await;
    assert_eq!(status, 404);
    assert!(
        !page.contains("<b>x") && (page.contains("&lt;b&gt;x") || page.contains("&#60;b&#62;x")),
        "{page}"
    );
    let (status, _, page) = get(
        &hub.app,
        "/dashboard/trends?from=2026-11-20&to=2026-11-01",
        &cookie,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("does not make sense") && page.contains("after"),
        "{page}"
    );
    let (status, _, page) = get(&hub.app, "/dashboard/nothing-here", &cookie).await;
    assert_eq!(status, 404);
    assert!(page.contains("Page not found"));
}

/// A sign-in link whose `next` carries CR/LF (a header-splitting attempt) is a 400 page, on the
/// form and at sign-in, and never reaches a `Location` header; a page asked with a method it does
/// not take is a 405 page (issue 17).
#[actix_web::test]
async fn a_damaged_next_is_a_400_and_a_wrong_method_a_405() {
    let hub = TestHub::start().await;
    let (status, _, body) = get(
        &hub.app,
        "/dashboard/login?next=/dashboard%0D%0ASet-Cookie:%20x=1",
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("Damaged sign-in link"), "{body}");
    let req = actix_test::TestRequest::post()
        .uri("/dashboard/login")
        .set_form([
            ("admin_key", ADMIN_KEY),
            ("next", "/dashboard\r\nSet-Cookie: x=1"),
        ]);
    let (status, headers, _) = send(&hub.app, req).await;
    assert_eq!(status, 400);
    assert!(
        header(&headers, "set-cookie").is_none(),
        "no session either"
    );

    let req = actix_test::TestRequest::default()
        .method(actix_web::http::Method::TRACE)
        .uri("/dashboard/library");
    let (status, _, body) = send(&hub.app, req).await;
    assert_eq!(status, 405);
    assert!(body.contains("Method not allowed"), "{body}");
}

/// Every page carries the security headers (issue 17): a CSP that allows no script and no framing,
/// no referrer, no sniffing; the sign-in page and error pages too.
#[actix_web::test]
async fn every_page_carries_the_security_headers() {
    let hub = TestHub::start().await;
    let cookie = [("Cookie", sign_in(&hub.app).await)];
    for page in [
        "/dashboard",
        "/dashboard/library",
        "/dashboard/trends",
        "/dashboard/audit",
        "/dashboard/rigs/NO-SUCH-RIG",
        "/dashboard/login",
    ] {
        let (_, headers, _) = get(&hub.app, page, &cookie).await;
        let csp = header(&headers, "content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{page}: {csp:?}"
        );
        assert!(
            !csp.contains("script-src"),
            "{page}: no script is allowed: {csp}"
        );
        assert_eq!(header(&headers, "x-frame-options"), Some("DENY"), "{page}");
        assert_eq!(
            header(&headers, "referrer-policy"),
            Some("no-referrer"),
            "{page}"
        );
        assert_eq!(
            header(&headers, "x-content-type-options"),
            Some("nosniff"),
            "{page}"
        );
    }
}

/// Guessing the admin key is slowed (issue 17: 300 wrong keys in 0.24 s): past ten wrong keys a
/// minute from one client, sign-in answers 429 with Retry-After before the key is even checked;
/// another client is not held back.
#[actix_web::test]
async fn a_client_guessing_the_admin_key_is_told_to_wait() {
    let hub = TestHub::start().await;
    let guesser: std::net::SocketAddr = "10.1.1.1:40000".parse().expect("addr");
    let other: std::net::SocketAddr = "10.1.1.2:40000".parse().expect("addr");
    let attempt = |from, key: &str| {
        actix_test::TestRequest::post()
            .uri("/dashboard/login")
            .peer_addr(from)
            .set_form([("password", key)])
    };
    for i in 0..sairen::hub::state::SIGN_IN_FAILURES_PER_MINUTE {
        let (status, _, _) = send(
            &hub.app,
            attempt(guesser, &format!("guess-{i:04}-wrong-key")),
        )
        .await;
        assert_eq!(status, 401, "guess {i}");
    }
    let (status, headers, body) = send(&hub.app, attempt(guesser, "guess-past-the-limit")).await;
    assert_eq!(status, 429);
    let wait: u64 = header(&headers, "retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=61).contains(&wait), "{wait}");
    assert!(body.contains("Too many wrong passwords or keys"), "{body}");
    let (status, headers, _) = send(&hub.app, attempt(guesser, ADMIN_KEY)).await;
    assert_eq!(
        status, 429,
        "not even the right key, until the minute is over"
    );
    assert!(header(&headers, "set-cookie").is_none());
    let (status, _, _) = send(&hub.app, attempt(other, ADMIN_KEY)).await;
    assert_eq!(status, 303, "another client signs in");
}

#[actix_web::test]
async fn the_audit_page_filters_exports_and_says_whether_the_chain_holds() {
    let hub = TestHub::start().await;
    register(&hub.app, "RIG-AUD-1").await;
    register(&hub.app, "RIG-AUD-2").await;
    let cookie = [("Cookie", sign_in(&hub.app).await)];
    let (status, _, page) = get(&hub.app, "/dashboard/audit", &cookie).await;
    assert_eq!(status, 200);
    assert!(page.contains("The chain holds over 3 entries"), "{page}");
    assert!(
        page.contains("RIG-AUD-1") && page.contains("sign_in"),
        "{page}"
    );
    let (_, _, only) = get(
        &hub.app,
        "/dashboard/audit?action=register&rig=RIG-AUD-2",
        &cookie,
    )
    .await;
    assert!(
        only.contains("RIG-AUD-2") && !only.contains(">RIG-AUD-1<"),
        "{only}"
    );
    assert!(
        only.replace("&#38;", "&")
            .contains("/api/fleet/audit?format=csv&limit=1000&action=register&rig=RIG-AUD-2"),
        "the export link carries the filters: {only}"
    );
    // A filter that is not an action or a rig id is dropped, never echoed into the link.
    let (status, _, odd) = get(
        &hub.app,
        "/dashboard/audit?rig=%3Cscript%3E&action=drop",
        &cookie,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        !odd.contains("<script>") && !odd.contains("action=drop"),
        "{odd}"
    );
    // The export opens with the session cookie alone.
    let (status, headers, csv) = get(
        &hub.app,
        "/api/fleet/audit?format=csv&action=register",
        &cookie,
    )
    .await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").is_some_and(|t| t.starts_with("text/csv")));
    assert_eq!(csv.lines().count(), 3, "{csv}");
}

/// Issue 18's defects, as a fleet manager met them: a rig registered seconds ago was
/// "inactive (silent > 48 h)"; "RESOLVED 100 %" stood for one decided event beside pending ones;
/// "most from RIG-A" on a tie; a negative median time to resolution; events per rig-day divided
/// by 30 days for a rig minutes old.
#[actix_web::test]
async fn a_new_fleet_is_told_as_it_is_not_as_percentages_of_nothing() {
    let hub = TestHub::start().await;
    let key_a = register(&hub.app, "RIG-NEW-A").await;
    let key_b = register(&hub.app, "RIG-NEW-B").await;
    register(&hub.app, "RIG-NEW-C").await;
    let now = Utc::now();
    let mut ids = vec![];
    for (rig, key, hours) in [
        ("RIG-NEW-A", &key_a, 50),
        ("RIG-NEW-A", &key_a, 1),
        ("RIG-NEW-B", &key_b, 30),
        ("RIG-NEW-B", &key_b, 2),
    ] {
        let event = event_for(rig, now - Duration::hours(hours));
        let body = serde_json::to_vec(&event).expect("json");
        let (status, reply) = call(&hub.app, upload_req(key, body, Encoding::Identity)).await;
        assert_eq!(status, 201, "{reply}");
        ids.push(event.id.to_string());
    }
    // One decided event, resolved — and filed, by a skewed clock, before the event itself.
    let (status, _) = call(
        &hub.app,
        actix_test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{}/outcome", ids[1]))
            .insert_header(bearer(&key_a))
            .set_json(json!({"outcome": {"status": "resolved", "action_taken": "circulated"}})),
    )
    .await;
    assert_eq!(status, 200);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE events SET outcome_updated_at = occurred_at - interval '30 minutes' WHERE id = $1",
        )
        .bind::<diesel::sql_types::Text, _>(&ids[1]),
        &mut hub.db.conn(),
    )
    .expect("skew");
    run_pass(
        &mut hub.db.conn(),
        &CuratorSettings::default(),
        WhenBusy::Wait,
    )
    .expect("curate");

    let cookie = [("Cookie", sign_in(&hub.app).await)];
    let (_, _, overview) = get(&hub.app, "/dashboard", &cookie).await;
    assert!(overview.contains("1 never seen"), "{overview}");
    assert!(overview.contains(r#"badge never-seen"#), "{overview}");
    assert!(overview.contains("1 of 1"), "{overview}");
    assert!(
        !overview.contains("100 %"),
        "one decided event is no 100 %: {overview}"
    );
    assert!(overview.contains("3 pending"), "{overview}");
    let (_, _, library) = get(&hub.app, "/dashboard/library", &cookie).await;
    assert!(
        library.contains("RIG-NEW-A and RIG-NEW-B equally"),
        "a tie is a tie: {library}"
    );
    let (_, _, outcomes) = get(&hub.app, "/api/fleet/dashboard/outcomes", &cookie).await;
    let outcomes: Value = serde_json::from_str(&outcomes).expect("json");
    let median = outcomes["by_category"][0]["median_minutes_to_resolution"]
        .as_f64()
        .expect("a median");
    assert!(
        median >= 0.0,
        "a time to resolution is never negative: {outcomes}"
    );
    let (_, _, trends) = get(&hub.app, "/api/fleet/dashboard/trends", &cookie).await;
    let trends: Value = serde_json::from_str(&trends).expect("json");
    let per_rig_day = trends["campaigns"][0]["events_per_rig_day"]
        .as_f64()
        .expect("a rate");
    // A: 2 events over the 50 h since its first; B: 2 over the 30 h since its first.
    let expected = 4.0 / (50.0 / 24.0 + 30.0 / 24.0);
    assert!(
        (per_rig_day - expected).abs() < 0.05,
        "{per_rig_day} events per rig-day, expected {expected:.2}: {trends}"
    );
}

/// Every table a fleet manager takes to a spreadsheet is a download: the rigs of the overview and
/// a rig's events, figures as figures, and a crew's note that looks like a formula disarmed.
#[actix_web::test]
async fn the_rigs_and_a_rigs_events_export_as_csv() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-CSV-1").await;
    register(&hub.app, "RIG-CSV-2").await;
    let event = event_for("RIG-CSV-1", Utc::now() - Duration::hours(3));
    let body = serde_json::to_vec(&event).expect("json");
    assert_eq!(
        call(&hub.app, upload_req(&key, body, Encoding::Identity))
            .await
            .0,
        201
    );
    let (status, _) = call(
        &hub.app,
        actix_test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{}/outcome", event.id))
            .insert_header(bearer(&key))
            .set_json(json!({
                "outcome": {"status": "resolved", "action_taken": "=cmd|' /C calc'!A0"},
                "notes": "logged by \"Jo\", night tour"
            })),
    )
    .await;
    assert_eq!(status, 200);
    let cookie = [("Cookie", sign_in(&hub.app).await)];
    let (_, _, page) = get(&hub.app, "/dashboard", &cookie).await;
    assert!(page.contains(r#"href="/dashboard?format=csv""#), "{page}");

    let (status, headers, rigs) = get(&hub.app, "/dashboard?format=csv", &cookie).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").is_some_and(|t| t.starts_with("text/csv")));
    assert!(header(&headers, "content-disposition").is_some_and(|d| d.contains("sairen-rigs.csv")));
    let lines: Vec<&str> = rigs.lines().collect();
    assert_eq!(
        lines[0],
        "rig_id,well_id,field,region,status,highest_open,unacknowledged,health,attention,\
         heartbeat_at,last_seen,last_sync,library_version,events,clock_offset_secs,dead_letters"
    );
    assert_eq!(lines.len(), 3, "{rigs}");
    let csv_1 = lines
        .iter()
        .find(|l| l.starts_with("\"RIG-CSV-1\""))
        .expect("RIG-CSV-1");
    assert!(
        csv_1.contains("\"active\"") && csv_1.contains(",\"1\","),
        "{csv_1}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("\"RIG-CSV-2\"") && l.contains("never-seen")),
        "{rigs}"
    );

    let (status, headers, events) =
        get(&hub.app, "/dashboard/rigs/RIG-CSV-1?format=csv", &cookie).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-disposition")
        .is_some_and(|d| d.contains("sairen-RIG-CSV-1-events.csv")));
    assert!(
        events.starts_with("occurred_at,event_id,category,"),
        "{events}"
    );
    assert!(events.contains(&format!("\"{}\"", event.id)), "{events}");
    assert!(
        events.contains("\"'=cmd|' /C calc'!A0\""),
        "a formula is disarmed: {events}"
    );
    assert!(
        events.contains("\"logged by \"\"Jo\"\", night tour\""),
        "{events}"
    );
    // The library's contribution and the trends' two tables.
    run_pass(
        &mut hub.db.conn(),
        &CuratorSettings::default(),
        WhenBusy::Wait,
    )
    .expect("curate");
    let (status, _, library) = get(&hub.app, "/dashboard/library?format=csv", &cookie).await;
    assert_eq!(status, 200);
    assert_eq!(
        library,
        "rig_id,active_episodes,share\r\n\"RIG-CSV-1\",\"1\",\"1.0000\"\r\n"
    );
    let (_, _, page) = get(&hub.app, "/dashboard/trends", &cookie).await;
    assert!(page.contains("format=csv&amp;table=actions"), "{page}");
    let (status, headers, campaigns) = get(&hub.app, "/dashboard/trends?format=csv", &cookie).await;
    assert_eq!(status, 200);
    assert!(
        header(&headers, "content-disposition").is_some_and(|d| d.contains("sairen-campaigns-"))
    );
    assert!(
        campaigns.starts_with("campaign,events,rigs,events_per_rig_day,resolution_rate\r\n\"production\",\"1\",\"1\","),
        "{campaigns}"
    );
    let (_, _, actions) = get(
        &hub.app,
        "/dashboard/trends?format=csv&table=actions",
        &cookie,
    )
    .await;
    assert!(
        actions.starts_with("category,action,times\r\n") && actions.contains("'=cmd"),
        "{actions}"
    );
    // Signed out, there is no export.
    let (status, _, _) = get(&hub.app, "/dashboard?format=csv", &[]).await;
    assert_eq!(status, 303);
}

#[actix_web::test]
async fn trends_narrow_to_one_category_and_the_category_bars_lead_there() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-CAT").await;
    for (i, category) in [
        AnomalyCategory::Kick,
        AnomalyCategory::PackOff,
        AnomalyCategory::Kick,
    ]
    .into_iter()
    .enumerate()
    {
        let mut event = event_for("RIG-CAT", Utc::now() - Duration::hours(i as i64 + 1));
        event.advisory.category = category;
        let body = serde_json::to_vec(&event).expect("json");
        let (status, _) = call(&hub.app, upload_req(&key, body, Encoding::Identity)).await;
        assert_eq!(status, 201);
    }
    let admin = [bearer(ADMIN_KEY)];
    let (status, _, body) = get(
        &hub.app,
        "/api/fleet/dashboard/trends?category=kick",
        &admin,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let t: Value = serde_json::from_str(&body).expect("json");
    let names: Vec<&str> = t["per_day"]
        .as_array()
        .expect("per_day")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| *n == "kick"),
        "{names:?}"
    );
    let events: i64 = t["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .filter_map(|c| c["events"].as_i64())
        .sum();
    assert_eq!(events, 2, "two kicks, not the pack-off");
    let (status, _, body) = get(
        &hub.app,
        "/api/fleet/dashboard/trends?category=ghost",
        &admin,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("category") && body.contains("lost_circulation"),
        "{body}"
    );
    let (_, _, page) = get(&hub.app, "/dashboard", &admin).await;
    assert!(
        page.contains(r#"href="/dashboard/trends?category=kick""#),
        "a bar leads there"
    );
    let (status, _, page) = get(&hub.app, "/dashboard/trends?category=pack_off", &admin).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<option value="pack_off" selected>"#),
        "{page}"
    );
}

#[actix_web::test]
async fn trends_narrow_to_a_rig_an_outcome_and_a_depth_band_and_the_charts_lead_there() {
    let hub = TestHub::start().await;
    let (key_a, key_b) = (
        register(&hub.app, "RIG-NA").await,
        register(&hub.app, "RIG-NB").await,
    );
    // RIG-NA: kicks at 9,100 and 9,900 ft (one a false alarm) and one at 12,500; RIG-NB: one
    // kick at 9,400 ft.
    let mut ids = vec![];
    for (i, (rig, key, depth)) in [
        ("RIG-NA", &key_a, 9_100.0),
        ("RIG-NA", &key_a, 9_900.0),
        ("RIG-NA", &key_a, 12_500.0),
        ("RIG-NB", &key_b, 9_400.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut event = event_for(rig, Utc::now() - Duration::hours(i as i64 + 1));
        event.advisory.category = AnomalyCategory::Kick;
        event.depth_ft = depth;
        let body = serde_json::to_vec(&event).expect("json");
        let (status, reply) = call(&hub.app, upload_req(key, body, Encoding::Identity)).await;
        assert_eq!(status, 201, "{reply}");
        ids.push(event.id.to_string());
    }
    let (status, reply) = call(
        &hub.app,
        actix_test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{}/outcome", ids[1]))
            .insert_header(bearer(&key_a))
            .set_json(json!({ "outcome": {"status": "false_positive"} })),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let admin = [bearer(ADMIN_KEY)];
    let events = |query: &'static str| {
        let app = &hub.app;
        let admin = &admin;
        async move {
            let (status, _, body) =
                get(app, &format!("/api/fleet/dashboard/trends?{query}"), admin).await;
            assert_eq!(status, 200, "{query}: {body}");
            let t: Value = serde_json::from_str(&body).expect("json");
            t["campaigns"]
                .as_array()
                .expect("campaigns")
                .iter()
                .filter_map(|c| c["events"].as_i64())
                .sum::<i64>()
        }
    };
    assert_eq!(events("").await, 4);
    assert_eq!(events("rig=RIG-NB").await, 1);
    assert_eq!(events("outcome=false_positive").await, 1);
    assert_eq!(events("band=9000").await, 3, "9,100, 9,400 and 9,900 ft");
    assert_eq!(events("rig=RIG-NA&band=9000&outcome=pending").await, 1);
    for (query, field) in [
        ("band=950", "band"),
        ("band=-1000", "band"),
        ("outcome=ghost", "outcome"),
        ("rig=no%20such%20rig", "rig"),
    ] {
        let (status, _, body) = get(
            &hub.app,
            &format!("/api/fleet/dashboard/trends?{query}"),
            &admin,
        )
        .await;
        assert_eq!(status, 400, "{query}");
        assert!(body.contains(field), "{query}: {body}");
    }
    // The charts lead there: the overview's outcome bars, a rig's category bars and its
    // timeline's dots (to the event's row), and the trends' depth columns.
    let (_, _, page) = get(&hub.app, "/dashboard", &admin).await;
    assert!(
        page.contains(r#"href="/dashboard/trends?outcome=false_positive""#),
        "{page}"
    );
    let (_, _, page) = get(&hub.app, "/dashboard/rigs/RIG-NA", &admin).await;
    assert!(
        page.contains(r#"href="/dashboard/trends?rig=RIG-NA&amp;category=kick""#),
        "{page}"
    );
    assert!(
        page.contains(&format!(r##"<a href="#event-{}"><circle"##, ids[0]))
            && page.contains(&format!(r#"<tr id="event-{}">"#, ids[0])),
        "{page}"
    );
    let (status, _, page) = get(&hub.app, "/dashboard/trends?rig=RIG-NA", &admin).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Narrowed to <strong>rig RIG-NA</strong>")
            && page.contains(r#"<input type="hidden" name="rig" value="RIG-NA">"#),
        "{page}"
    );
    assert!(
        page.contains("&amp;rig=RIG-NA&amp;band=9000\""),
        "a depth column narrows further, keeping the rig: {page}"
    );
    let (status, _, page) = get(&hub.app, "/dashboard/trends?band=950", &admin).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("band must be the top of a 1,000 ft band"),
        "{page}"
    );
    // The overview's rig search: part of an id, any case.
    let (_, _, page) = get(&hub.app, "/dashboard?rig=nb", &admin).await;
    assert!(
        page.contains("/dashboard/rigs/RIG-NB") && !page.contains("/dashboard/rigs/RIG-NA"),
        "{page}"
    );
}

#[actix_web::test]
async fn any_event_has_a_printable_report_with_its_history_window_votes_and_outcome() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-REP").await;
    let mut event = event_for("RIG-REP", Utc::now() - Duration::hours(2));
    // The history window a rig sends (120 packets at most): the fixture's packet stretched to
    // two minutes, SPP climbing as a pack-off's does.
    let template = event.history_window[0].clone();
    event.history_window = (0..120)
        .map(|s| {
            let mut snap = template.clone();
            snap.packet.timestamp = event.timestamp - Duration::seconds(120 - s);
            snap.packet.spp_psi = Some(3_000.0 + 2.0 * s as f64);
            snap
        })
        .collect();
    let id = event.id.to_string();
    let (status, reply) = call(
        &hub.app,
        upload_req(
            &key,
            serde_json::to_vec(&event).expect("json"),
            Encoding::Identity,
        ),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let (status, reply) = call(
        &hub.app,
        actix_test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{id}/outcome"))
            .insert_header(bearer(&key))
            .set_json(json!({
                "outcome": {"status": "resolved", "action_taken": "Reduced flow, worked the pipe free"},
                "notes": "<script>alert(1)</script> cuttings at the shakers",
                "course": {"peak_level": "critical", "duration_secs": 840, "cleared_at": Utc::now().to_rfc3339(), "announcements": 2}
            })),
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    let path = format!("/dashboard/events/{id}/report");
    let (status, _, _) = get(&hub.app, &path, &[]).await;
    assert_ne!(status, 200, "a report needs a session or the admin key");
    let admin = [bearer(ADMIN_KEY)];
    let (status, headers, page) = get(&hub.app, &path, &admin).await;
    assert_eq!(status, 200, "{page}");
    assert!(header(&headers, "content-security-policy")
        .is_some_and(|c| c.contains("default-src 'none'")));
    assert!(page.contains("Pack-off at "), "{page}");
    assert!(
        page.contains("Critical at its peak"),
        "the course's peak: {page}"
    );
    assert!(
        page.contains("Resolved: Reduced flow, worked the pipe free"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "notes are escaped");
    assert!(page.contains("14 min"), "the duration: {page}");
    // SPP is charted, marked where the event was raised, and is a channel the pack-off shows on.
    assert!(
        page.contains("<figure class=\"involved\"><figcaption>SPP (psi)</figcaption>"),
        "{page}"
    );
    assert!(page.contains(">raised<"));
    assert!(page.contains("Physics when it was raised") && !page.contains("<th>Peak</th>"));
    assert!(
        page.contains("<td>hydraulics</td>") && page.contains("<td>mse</td>"),
        "votes: {page}"
    );
    assert!(
        page.contains(&format!("/dashboard/rigs/RIG-REP#event-{id}")),
        "back to the row"
    );
    // The rig's page links each event to its report.
    let (_, _, rig_page) = get(&hub.app, "/dashboard/rigs/RIG-REP", &admin).await;
    assert!(rig_page.contains(&format!("href=\"{path}\"")), "{rig_page}");
    for bad in [
        "/dashboard/events/RIG-REP-1-0001/report",
        "/dashboard/events/%00/report",
    ] {
        let (status, _, page) = get(&hub.app, bad, &admin).await;
        assert_eq!(status, 404, "{bad}: {page}");
        assert!(page.contains("No such event"));
    }
}
