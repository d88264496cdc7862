//! The hub API in process (actix test service) against a real PostgreSQL database per test:
//! every upload rule, every auth rule, outcomes, the registry, health and migrations.

mod common;

use actix_web::test;
use chrono::{Duration as ChronoDuration, Utc};
use common::{event_for, TestDb, ADMIN_KEY};
use diesel::prelude::*;
use diesel::sql_query;
use sairen::drilling::RiskLevel;
use sairen::fleet::codec::{decode_json, encode_json, Encoding};
use sairen::fleet::{FleetEvent, RigId};
use sairen::hub::auth::RigKey;
use sairen::hub::db;
use sairen::hub::watch::HubWatch;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use common::app::{bearer, call, register, start, start_with, upload_req, Status, TestHub};

fn json_bytes(event: &FleetEvent) -> Vec<u8> {
    serde_json::to_vec(event).expect("json")
}

#[actix_web::test]
async fn an_event_is_accepted_once_and_a_repeat_is_a_409_that_changes_nothing() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-A").await;
    let event = event_for("RIG-A", Utc::now());
    let (status, body) = rig.upload(&event).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, json!({"id": event.id.as_str(), "status": "accepted"}));

    let mut changed = event.clone();
    changed.advisory.recommendation = "something else entirely".into();
    let (status, body) = rig.upload(&changed).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body,
        json!({"id": event.id.as_str(), "status": "already_exists"})
    );

    let (status, body) = rig.get_event(&event.id).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["event"]["advisory"]["recommendation"],
        json!(event.advisory.recommendation)
    );
    assert_eq!(body["needs_curation"], json!(true));

    let mut conn = hub.db.conn();
    let (count, seen): (i64, Option<chrono::DateTime<Utc>>) = db::schema::rigs::table
        .find("RIG-A")
        .select((db::schema::rigs::event_count, db::schema::rigs::last_seen))
        .first(&mut conn)
        .expect("rig row");
    assert_eq!(count, 1, "the 409 must not count the event twice");
    assert!(seen.is_some());
}

#[actix_web::test]
async fn zstd_goes_both_ways() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-Z").await;
    let event = event_for("RIG-Z", Utc::now());
    let packed = encode_json(&event, Encoding::Zstd).expect("encode");
    let (status, body) = hub.call(upload_req(&rig.key, packed, Encoding::Zstd)).await;
    assert_eq!(status, 201, "{body}");

    let req = test::TestRequest::get()
        .uri(&format!("/api/fleet/events/{}", event.id))
        .insert_header(bearer(&rig.key))
        .insert_header(("Accept-Encoding", "gzip, zstd"))
        .to_request();
    let resp = test::call_service(&hub.app, req).await;
    assert_eq!(
        resp.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("zstd")
    );
    let body = test::read_body(resp).await;
    let stored: Value = decode_json(&body, Encoding::Zstd, 10 << 20).expect("zstd JSON");
    let back: FleetEvent = serde_json::from_value(stored["event"].clone()).expect("event");
    assert_eq!(back, event);
}

#[actix_web::test]
async fn every_upload_rule_answers_its_status_and_names_the_problem() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-V").await;
    register(&hub.app, "RIG-W").await;
    let now = Utc::now();
    let good = event_for("RIG-V", now);

    let mut cases: Vec<(&str, Vec<u8>, Encoding, Status, &str)> = Vec::new();
    cases.push((
        "malformed JSON",
        b"{\"id\": ".to_vec(),
        Encoding::Identity,
        400,
        "invalid JSON",
    ));
    let mut missing = serde_json::to_value(&good).expect("json");
    missing.as_object_mut().expect("object").remove("advisory");
    cases.push((
        "missing field",
        serde_json::to_vec(&missing).expect("json"),
        Encoding::Identity,
        400,
        "advisory",
    ));
    let mut low = good.clone();
    low.advisory.risk_level = RiskLevel::Low;
    cases.push((
        "low risk",
        json_bytes(&low),
        Encoding::Identity,
        400,
        "advisory.risk_level",
    ));
    let mut empty = good.clone();
    empty.history_window.clear();
    cases.push((
        "empty history",
        json_bytes(&empty),
        Encoding::Identity,
        400,
        "history_window",
    ));
    let mut bad_id = good.clone();
    bad_id.id = sairen::fleet::EventId::parse("OTHER-1763640000").expect("chars");
    cases.push((
        "id not of the rig",
        json_bytes(&bad_id),
        Encoding::Identity,
        400,
        "id",
    ));
    let other_rig = event_for("RIG-W", now);
    cases.push((
        "another rig's event",
        json_bytes(&other_rig),
        Encoding::Identity,
        403,
        "belongs to rig RIG-V",
    ));
    let future = event_for("RIG-V", now + ChronoDuration::minutes(10));
    cases.push((
        "10 minutes ahead",
        json_bytes(&future),
        Encoding::Identity,
        422,
        "ahead of the hub's clock",
    ));
    let old = event_for("RIG-V", now - ChronoDuration::days(8));
    cases.push((
        "8 days old",
        json_bytes(&old),
        Encoding::Identity,
        422,
        "days old",
    ));
    let bomb = zstd::stream::encode_all(std::io::repeat(b' ').take(64 << 20), 1).expect("bomb");
    assert!(
        bomb.len() < 1 << 20,
        "the bomb itself is under the 1 MiB sent limit"
    );
    cases.push(("zstd bomb", bomb, Encoding::Zstd, 413, "exceeds the limit"));
    cases.push((
        "body over 1 MiB as sent",
        vec![b' '; (1 << 20) + 1],
        Encoding::Identity,
        413,
        "as sent",
    ));
    cases.push((
        "corrupt zstd",
        b"not zstd at all".to_vec(),
        Encoding::Zstd,
        400,
        "not valid zstd",
    ));

    for (what, body, encoding, expected, mention) in cases {
        let (status, reply) = call(&hub.app, upload_req(&key, body, encoding)).await;
        assert_eq!(status, expected, "{what}: {reply}");
        let text = reply.to_string();
        assert!(
            text.contains(mention),
            "{what}: the error should mention {mention:?}: {text}"
        );
        assert!(
            reply["error"].is_string() && reply["code"].is_string(),
            "{what}: error shape {reply}"
        );
    }

    let req = upload_req(&key, json_bytes(&good), Encoding::Identity)
        .insert_header(("Content-Encoding", "br"));
    let (status, _) = call(&hub.app, req).await;
    assert_eq!(status, 415, "an encoding we do not speak");

    let (count,): (i64,) = (db::schema::events::table
        .count()
        .get_result(&mut hub.db.conn())
        .expect("count"),);
    assert_eq!(count, 0, "nothing refused may be stored");
}

use std::io::Read as _;

#[actix_web::test]
async fn keys_are_checked_as_design_section_5_says() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-K").await;
    let event = event_for("RIG-K", Utc::now());
    let up = |auth: Option<String>| {
        let mut req = test::TestRequest::post()
            .uri("/api/fleet/events")
            .set_payload(json_bytes(&event));
        if let Some(a) = auth {
            req = req.insert_header(("Authorization", a));
        }
        req
    };
    let wrong_secret = format!(
        "{}.{}",
        key.rsplit_once('.').expect("dot").0,
        "0".repeat(48)
    );
    let unknown_id = RigKey::generate().reveal().expose().to_owned();
    let cases: Vec<(&str, Option<String>, Status)> = vec![
        ("no key", None, 401),
        ("not bearer", Some(format!("Basic {key}")), 401),
        ("malformed key", Some("Bearer sk-fleet-nope".into()), 401),
        ("wrong secret", Some(format!("Bearer {wrong_secret}")), 403),
        ("unknown key id", Some(format!("Bearer {unknown_id}")), 403),
        (
            "admin key on a rig endpoint",
            Some(format!("Bearer {ADMIN_KEY}")),
            401,
        ),
    ];
    for (what, auth, expected) in cases {
        let (status, body) = call(&hub.app, up(auth)).await;
        assert_eq!(status, expected, "{what}: {body}");
    }
    let mismatch = up(Some(format!("Bearer {key}"))).insert_header(("X-Rig-ID", "RIG-OTHER"));
    assert_eq!(
        call(&hub.app, mismatch).await.0,
        403,
        "X-Rig-ID must match the key's rig"
    );

    let admin = |auth: Option<String>| {
        let mut req = test::TestRequest::get().uri("/api/fleet/rigs");
        if let Some(a) = auth {
            req = req.insert_header(("Authorization", a));
        }
        req
    };
    assert_eq!(
        call(&hub.app, admin(None)).await.0,
        401,
        "admin endpoint without a key"
    );
    assert_eq!(
        call(&hub.app, admin(Some(format!("Bearer {key}")))).await.0,
        403,
        "rig key on an admin endpoint"
    );
    assert_eq!(
        call(
            &hub.app,
            admin(Some("Bearer not-the-admin-key-at-all".into()))
        )
        .await
        .0,
        403,
        "wrong admin key"
    );
    assert_eq!(
        call(&hub.app, admin(Some(format!("Bearer {ADMIN_KEY}"))))
            .await
            .0,
        200
    );
}

fn revoke_req(rig: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(&format!("/api/fleet/rigs/{rig}/revoke"))
        .insert_header(bearer(ADMIN_KEY))
}

/// Two independent hub.app states on one database stand for two hub processes. Hub B has the
/// key verified and trusted from memory; a revoke through hub A reaches B by PostgreSQL
/// `NOTIFY` at commit, so B refuses within a poll of its change watch — well inside a second.
#[actix_web::test]
async fn a_revoke_holds_in_every_hub_process_that_has_the_key_cached() {
    let db = TestDb::new();
    let (hub_a, _) = start(&db).await;
    let (hub_b, state_b) = start(&db).await;
    let key = register(&hub_a, "RIG-R").await;
    let base = Utc::now() - ChronoDuration::seconds(60);
    let upload = |at| {
        upload_req(
            &key,
            json_bytes(&event_for("RIG-R", at)),
            Encoding::Identity,
        )
    };
    assert_eq!(call(&hub_b, upload(base)).await.0, 201);
    let parsed = RigKey::parse(&key).expect("key");
    assert!(
        state_b.keys.trusted(&parsed).is_some(),
        "hub B trusts the verified key without a database read"
    );
    let checks = state_b.keys.hash_checks();

    let (status, body) = call(&hub_a, revoke_req("RIG-R")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], json!("revoked"));

    let revoked_at = Instant::now();
    while state_b.keys.trusted(&parsed).is_some() {
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "hub B still trusts a revoked key after a second"
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
    let (status, body) = call(&hub_b, upload(base + ChronoDuration::seconds(1))).await;
    assert_eq!(status, 403, "hub B must refuse the revoked key: {body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("revoked"),
        "{body}"
    );
    assert_eq!(
        state_b.keys.hash_checks(),
        checks,
        "refused on the status row, before any hash check"
    );
}

/// With no change watch (PostgreSQL's notifications unavailable) every request reads the rig's
/// status row, so a revoke holds on the very next request.
#[actix_web::test]
async fn without_the_change_watch_a_revoke_holds_on_the_next_request() {
    let db = TestDb::new();
    let (hub_a, _) = start(&db).await;
    let (hub_b, state_b) = start_with(&db, HubWatch::off()).await;
    let key = register(&hub_a, "RIG-R").await;
    let base = Utc::now() - ChronoDuration::seconds(60);
    let upload = |at| {
        upload_req(
            &key,
            json_bytes(&event_for("RIG-R", at)),
            Encoding::Identity,
        )
    };
    assert_eq!(call(&hub_b, upload(base)).await.0, 201);
    assert!(state_b
        .keys
        .trusted(&RigKey::parse(&key).expect("key"))
        .is_none());
    assert_eq!(call(&hub_a, revoke_req("RIG-R")).await.0, 200);
    assert_eq!(
        call(&hub_b, upload(base + ChronoDuration::seconds(1)))
            .await
            .0,
        403
    );
}

#[actix_web::test]
async fn auth_costs_one_hash_check_however_many_rigs_are_registered() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-ONE").await;
    let base = Utc::now();
    let e1 = event_for("RIG-ONE", base - ChronoDuration::seconds(30));
    let before = hub.state.keys.hash_checks();
    assert_eq!(
        call(
            &hub.app,
            upload_req(&key, json_bytes(&e1), Encoding::Identity)
        )
        .await
        .0,
        201
    );
    assert_eq!(
        hub.state.keys.hash_checks() - before,
        1,
        "one rig: one hash check"
    );

    // 999 more rigs, each with its own key id (one shared hash keeps the setup fast).
    let shared_hash = RigKey::generate().hash().expect("hash");
    let mut conn = hub.db.conn();
    for i in 0..999 {
        let id = RigKey::generate();
        sql_query("INSERT INTO rigs (rig_id, well_id, field, key_id, key_hash) VALUES ($1, 'W', 'F', $2, $3)")
            .bind::<diesel::sql_types::Text, _>(format!("BULK-{i:04}"))
            .bind::<diesel::sql_types::Text, _>(id.key_id())
            .bind::<diesel::sql_types::Text, _>(&shared_hash)
            .execute(&mut conn)
            .expect("insert rig");
    }
    hub.state
        .keys
        .forget_rig(&RigId::parse("RIG-ONE").expect("rig id"));
    let e2 = event_for("RIG-ONE", base - ChronoDuration::seconds(20));
    let before = hub.state.keys.hash_checks();
    assert_eq!(
        call(
            &hub.app,
            upload_req(&key, json_bytes(&e2), Encoding::Identity)
        )
        .await
        .0,
        201
    );
    assert_eq!(
        hub.state.keys.hash_checks() - before,
        1,
        "1,000 rigs: still one hash check"
    );

    let e3 = event_for("RIG-ONE", base - ChronoDuration::seconds(10));
    let before = hub.state.keys.hash_checks();
    assert_eq!(
        call(
            &hub.app,
            upload_req(&key, json_bytes(&e3), Encoding::Identity)
        )
        .await
        .0,
        201
    );
    assert_eq!(
        hub.state.keys.hash_checks() - before,
        0,
        "a verified key is cached"
    );
}

#[actix_web::test]
async fn outcomes_are_the_owners_to_set_and_the_last_write_wins() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-O").await;
    let other = register(&hub.app, "RIG-P").await;
    let event = event_for("RIG-O", Utc::now());
    assert_eq!(
        call(
            &hub.app,
            upload_req(&key, json_bytes(&event), Encoding::Identity)
        )
        .await
        .0,
        201
    );
    sql_query("UPDATE events SET needs_curation = false")
        .execute(&mut hub.db.conn())
        .expect("mark curated");

    let patch = |k: &str, id: &str, body: Value| {
        test::TestRequest::patch()
            .uri(&format!("/api/fleet/events/{id}/outcome"))
            .insert_header(bearer(k))
            .set_json(body)
    };
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/outcome_update.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture"),
    )
    .expect("json");
    let (status, body) = call(&hub.app, patch(&key, event.id.as_str(), fixture.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], fixture["outcome"]);
    // The incident's course lands in the event's row (one row per incident, growing).
    #[derive(diesel::QueryableByName)]
    struct Course {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        peak_level: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        duration_secs: Option<f64>,
    }
    let course: Course = sql_query("SELECT peak_level, duration_secs FROM events WHERE id = $1")
        .bind::<diesel::sql_types::Text, _>(event.id.as_str())
        .get_result(&mut hub.db.conn())
        .expect("course");
    assert_eq!(course.peak_level.as_deref(), Some("critical"));
    assert_eq!(course.duration_secs, Some(1_260.0));
    let mut bad_course = fixture.clone();
    bad_course["course"]["duration_secs"] = json!(-5.0);
    let (status, body) = call(&hub.app, patch(&key, event.id.as_str(), bad_course)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("course.duration_secs"), "{body}");

    let (status, _) = call(&hub.app, patch(&other, event.id.as_str(), fixture.clone())).await;
    assert_eq!(status, 403, "another rig may not set this rig's outcome");
    let (status, _) = call(&hub.app, patch(&key, "RIG-O-1000000000", fixture.clone())).await;
    assert_eq!(status, 404);
    let (status, body) = call(
        &hub.app,
        patch(
            &key,
            event.id.as_str(),
            json!({"outcome": {"status": "resolved", "action_taken": " "}}),
        ),
    )
    .await;
    assert_eq!(status, 400, "a resolved outcome needs its action: {body}");
    let (status, _) = call(
        &hub.app,
        patch(
            &key,
            event.id.as_str(),
            json!({"outcome": {"status": "sorted"}}),
        ),
    )
    .await;
    assert_eq!(status, 400, "unknown outcome");
    // The hub plan's flat form (issue 19) is taken as the object form is.
    let (status, body) = call(
        &hub.app,
        patch(
            &key,
            event.id.as_str(),
            json!({"outcome": "Resolved", "action_taken": "reduced flow to 450 gpm"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["outcome"],
        json!({"status": "resolved", "action_taken": "reduced flow to 450 gpm"})
    );
    let (status, body) = call(
        &hub.app,
        patch(&key, event.id.as_str(), json!({"outcome": "Resolved"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("needs action_taken"), "{body}");

    let last = json!({"outcome": {"status": "escalated", "reason": "torque kept climbing"}});
    assert_eq!(
        call(&hub.app, patch(&key, event.id.as_str(), last.clone()))
            .await
            .0,
        200
    );
    let row = db::events::get(&mut hub.db.conn(), event.id.as_str())
        .expect("query")
        .expect("row");
    assert_eq!(row.outcome, "escalated");
    assert_eq!(row.payload["outcome"], last["outcome"], "last write wins");
    assert_eq!(
        row.payload["notes"], fixture["notes"],
        "notes stay when an update brings none"
    );
    assert!(
        row.needs_curation,
        "an outcome change sends the event back to the curator"
    );
    assert!(row.outcome_updated_at.is_some());
}

#[actix_web::test]
async fn the_registry_registers_lists_shows_and_revokes() {
    let hub = TestHub::start().await;
    let key = register(&hub.app, "RIG-REG").await;
    assert!(
        RigKey::parse(&key).is_ok(),
        "the key has the documented shape"
    );

    let dup = test::TestRequest::post()
        .uri("/api/fleet/rigs/register")
        .insert_header(bearer(ADMIN_KEY))
        .set_json(json!({"rig_id": "RIG-REG", "well_id": "W", "field": "F"}));
    let (status, body) = call(&hub.app, dup).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap_or("")
        .contains("already registered"));

    let bad = test::TestRequest::post()
        .uri("/api/fleet/rigs/register")
        .insert_header(bearer(ADMIN_KEY))
        .set_json(json!({"rig_id": "bad rig", "well_id": "W", "field": "F"}));
    assert_eq!(call(&hub.app, bad).await.0, 400);

    let (status, list) = call(
        &hub.app,
        test::TestRequest::get()
            .uri("/api/fleet/rigs")
            .insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(
        !list
            .to_string()
            .contains(key.rsplit_once('.').expect("dot").1),
        "the secret is never shown again"
    );

    let show = |id: &str| {
        test::TestRequest::get()
            .uri(&format!("/api/fleet/rigs/{id}"))
            .insert_header(bearer(ADMIN_KEY))
    };
    let (status, detail) = call(&hub.app, show("RIG-REG")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["rig"]["status"], json!("active"));
    assert_eq!(call(&hub.app, show("NOPE")).await.0, 404);

    let revoke = revoke_req;
    assert_eq!(call(&hub.app, revoke("NOPE")).await.0, 404);
    assert_eq!(call(&hub.app, revoke("RIG-REG")).await.0, 200);
    assert_eq!(
        call(&hub.app, revoke("RIG-REG")).await.0,
        200,
        "revoking twice is harmless"
    );

    let mut conn = hub.db.conn();
    let stored: String = db::schema::rigs::table
        .find("RIG-REG")
        .select(db::schema::rigs::key_hash)
        .first(&mut conn)
        .expect("row");
    assert!(
        stored.starts_with("$argon2id$") && !stored.contains(key.rsplit_once('.').expect("dot").1)
    );
    let actions: Vec<String> = db::schema::audit_log::table
        .order(db::schema::audit_log::id)
        .select(db::schema::audit_log::action)
        .load(&mut conn)
        .expect("audit");
    assert_eq!(
        actions,
        vec!["register", "revoke"],
        "each registry change is audited once"
    );
}

#[actix_web::test]
async fn health_reports_the_database_and_the_curation_backlog() {
    let hub = TestHub::start().await;
    let (status, body) = call(&hub.app, test::TestRequest::get().uri("/api/fleet/health")).await;
    assert_eq!(status, 200);
    assert_eq!(body["database"], json!("reachable"));
    assert_eq!(body["library_version"], json!(0));
    assert_eq!(body["last_curation"], Value::Null);
    assert_eq!(body["events_awaiting_curation"], json!(0));

    let key = register(&hub.app, "RIG-H").await;
    assert_eq!(
        call(
            &hub.app,
            upload_req(
                &key,
                json_bytes(&event_for("RIG-H", Utc::now())),
                Encoding::Identity
            )
        )
        .await
        .0,
        201
    );
    let (_, body) = call(&hub.app, test::TestRequest::get().uri("/api/fleet/health")).await;
    assert_eq!(body["events_awaiting_curation"], json!(1));

    let (status, body) = call(&hub.app, test::TestRequest::get().uri("/no/such/route")).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string(), "unknown routes answer JSON too");
}

#[std::prelude::v1::test]
fn migrations_are_idempotent_and_revert_cleanly() {
    let db = TestDb::empty();
    let mut conn = db.conn();
    let all = db::run_migrations(&mut conn).expect("up").len();
    assert!(all >= 2, "every migration applies");
    assert!(
        db::run_migrations(&mut conn).expect("again").is_empty(),
        "a second run applies nothing"
    );
    assert_eq!(
        db::revert_all_migrations(&mut conn).expect("down").len(),
        all
    );
    let leftovers: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations')",
    ))
    .get_result(&mut conn)
    .expect("count");
    assert_eq!(leftovers, 0, "down.sql must remove every table up.sql made");
    assert_eq!(db::run_migrations(&mut conn).expect("up again").len(), all);
}

#[actix_web::test]
async fn a_burst_of_new_keys_runs_at_most_one_argon2_check_per_core_at_once() {
    let hub = TestHub::start().await;
    let rigs: Vec<String> = (0..8).map(|i| format!("RIG-BURST-{i}")).collect();
    let mut keys = vec![];
    for rig in &rigs {
        keys.push(register(&hub.app, rig).await);
    }
    let now = Utc::now();
    let uploads = rigs.iter().zip(&keys).map(|(rig, key)| {
        let event = event_for(rig, now - ChronoDuration::seconds(5));
        call(
            &hub.app,
            upload_req(key, json_bytes(&event), Encoding::Identity),
        )
    });
    let replies = futures_util::future::join_all(uploads).await;
    assert!(
        replies.iter().all(|(status, _)| *status == 201),
        "{replies:?}"
    );
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert_eq!(hub.state.keys.hash_checks(), 8, "one check per new key");
    assert!(
        hub.state.keys.peak_concurrent_hash_checks() <= cores,
        "{} checks at once on {cores} cores",
        hub.state.keys.peak_concurrent_hash_checks()
    );
}

/// Ids in paths are parsed before a handler runs: one that is not a rig or event id (a NUL, a
/// space, a slash encoded) names nothing, and is answered 404 in the API's shape, never a 500.
#[actix_web::test]
async fn ids_in_paths_that_do_not_parse_are_404s_in_the_api_shape() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-PATH").await;
    for id in ["%00", "bad%20id", "RIG-PATH%2F1", "%C3%28"] {
        for (req, who) in [
            (
                test::TestRequest::get().uri(&format!("/api/fleet/events/{id}")),
                &rig.key,
            ),
            (
                test::TestRequest::get().uri(&format!("/api/fleet/rigs/{id}")),
                &ADMIN_KEY.to_owned(),
            ),
            (
                test::TestRequest::post().uri(&format!("/api/fleet/rigs/{id}/revoke")),
                &ADMIN_KEY.to_owned(),
            ),
        ] {
            let (status, body) = hub.call(req.insert_header(bearer(who))).await;
            assert_eq!(status, 404, "{id}: {body}");
            assert_eq!(body["code"], "not_found", "{id}: {body}");
        }
    }
}

/// PostgreSQL stores no NUL in text or JSON: a NUL anywhere a rig or an administrator can put one
/// is a 400 naming the field, and nothing is stored (it was a 500, and a rig retries 5xx for ever).
#[actix_web::test]
async fn a_nul_anywhere_is_a_400_naming_the_field_and_nothing_is_stored() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-NUL").await;
    let now = Utc::now();

    let mut event = event_for("RIG-NUL", now);
    event.advisory.reasoning = "pit gain\u{0}7 bbl".into();
    let (status, body) = rig.upload(&event).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["details"], json!(["advisory.reasoning"]), "{body}");
    let mut event = event_for("RIG-NUL", now);
    if let Some(e) = event.advisory.physics.first_mut() {
        e.channel = "spp\u{0}".into();
    }
    let (status, body) = rig.upload(&event).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["details"],
        json!(["advisory.physics[0].channel"]),
        "{body}"
    );

    let good = event_for("RIG-NUL", now - ChronoDuration::seconds(5));
    assert_eq!(rig.upload(&good).await.0, 201);
    let patch = test::TestRequest::patch()
        .uri(&format!("/api/fleet/events/{}/outcome", good.id))
        .insert_header(bearer(&rig.key))
        .set_json(json!({"outcome": {"status": "false_positive"}, "notes": "sensor\u{0}fault"}));
    let (status, body) = hub.call(patch).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["details"], json!(["notes"]), "{body}");

    let register = test::TestRequest::post()
        .uri("/api/fleet/rigs/register")
        .insert_header(bearer(ADMIN_KEY))
        .set_json(json!({"rig_id": "RIG-OTHER", "well_id": "W\u{0}1", "field": "Volve"}));
    let (status, body) = hub.call(register).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["details"], json!(["well_id"]), "{body}");

    let (events,): (i64,) = (db::schema::events::table
        .count()
        .get_result(&mut hub.db.conn())
        .expect("count"),);
    assert_eq!(events, 1, "only the good event is stored");
    let (rigs,): (i64,) = (db::schema::rigs::table
        .count()
        .get_result(&mut hub.db.conn())
        .expect("count"),);
    assert_eq!(rigs, 1, "no rig registered with a NUL");
}

/// Input hygiene (issue 17): a rig reads only its own events; a method a route does not take is a
/// 405, a repeated query parameter a 400, a repeated X-Rig-ID a 400, each in the API's shape.
#[actix_web::test]
async fn rigs_read_only_their_own_events_and_odd_requests_get_their_own_status() {
    let hub = TestHub::start().await;
    let a = hub.rig("RIG-OWN-A").await;
    let b = hub.rig("RIG-OWN-B").await;
    let event = event_for("RIG-OWN-A", Utc::now());
    assert_eq!(a.upload(&event).await.0, 201);
    assert_eq!(a.get_event(&event.id).await.0, 200, "its own rig reads it");
    let (status, body) = b.get_event(&event.id).await;
    assert_eq!(status, 404, "another rig may not read it: {body}");
    assert!(
        !body.to_string().contains("recommendation"),
        "nothing of it is shown: {body}"
    );

    for (method, uri) in [
        (actix_web::http::Method::TRACE, "/api/fleet/health"),
        (actix_web::http::Method::DELETE, "/api/fleet/rigs"),
        (actix_web::http::Method::PUT, "/api/fleet/events"),
    ] {
        let req = test::TestRequest::default().method(method.clone()).uri(uri);
        let (status, body) = hub.call(req).await;
        assert_eq!(status, 405, "{method} {uri}: {body}");
        assert_eq!(body["code"], "method_not_allowed", "{body}");
    }
    let (status, body) = hub
        .call(test::TestRequest::get().uri("/api/fleet/no-such-route"))
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    let twice = test::TestRequest::get()
        .uri("/api/fleet/library?since=0&since=1")
        .insert_header(bearer(&a.key));
    let (status, body) = hub.call(twice).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "bad_request", "a JSON error: {body}");

    let req = test::TestRequest::post()
        .uri("/api/fleet/events")
        .insert_header(bearer(&a.key))
        .append_header(("X-Rig-ID", "RIG-OWN-A"))
        .append_header(("X-Rig-ID", "RIG-OWN-B"))
        .set_payload(json_bytes(&event_for("RIG-OWN-A", Utc::now())));
    let (status, body) = hub.call(req).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["details"], json!(["X-Rig-ID"]), "{body}");
}

/// Found by the contract fuzz: a number near f64's edge (1.7976931348623157e308) was stored, and
/// PostgreSQL's exact `numeric` gave back digits serde_json's fast float parser could not read,
/// so reading the event was a 500 for good. serde_json now parses floats exactly
/// (`float_roundtrip`): the rig's numbers, however odd, come back as they went in.
#[actix_web::test]
async fn a_number_at_the_edge_of_f64_comes_back_as_it_went_in() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-HUGE").await;
    let mut event = serde_json::to_value(event_for("RIG-HUGE", Utc::now())).expect("json");
    for (i, x) in [f64::MAX, -f64::MAX, 5e-324, -2.5e-61]
        .into_iter()
        .enumerate()
    {
        event["history_window"][1]["packet"]["spp_psi"] = json!(x);
        event["id"] = json!(format!("RIG-HUGE-{}-{i}", Utc::now().timestamp()));
        let body = encode_json(&event, Encoding::Identity).expect("encode");
        let (status, reply) = hub
            .call(upload_req(&rig.key, body, Encoding::Identity))
            .await;
        assert_eq!(status, 201, "{x}: {reply}");
        let id = event["id"].as_str().expect("id").to_owned();
        let (status, stored) = hub
            .call(
                test::TestRequest::get()
                    .uri(&format!("/api/fleet/events/{id}"))
                    .insert_header(bearer(&rig.key)),
            )
            .await;
        assert_eq!(status, 200, "{x}: {stored}");
        assert_eq!(
            stored["event"]["history_window"][1]["packet"]["spp_psi"].as_f64(),
            Some(x)
        );
    }
}

/// Bounded work per request (issue 17): a history past `MAX_HISTORY` snapshots is refused at the
/// snapshot past the bound, before the rest is parsed, and so is JSON nested deeper than the
/// contract could need, however it hides (in an unknown field).
#[actix_web::test]
async fn an_oversized_history_and_deep_nesting_are_refused_before_they_cost_anything() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-BIG").await;
    let mut event = serde_json::to_value(event_for("RIG-BIG", Utc::now())).expect("json");
    let one = event["history_window"][0].clone();
    let over = sairen::fleet::MAX_HISTORY + 1;
    event["history_window"] = Value::Array(vec![one.clone(); over]);
    for encoding in [Encoding::Identity, Encoding::Zstd] {
        let body = encode_json(&event, encoding).expect("encode");
        let (status, reply) = hub.call(upload_req(&rig.key, body, encoding)).await;
        assert_eq!(status, 400, "{reply}");
        assert_eq!(reply["details"], json!(["history_window"]), "{reply}");
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or("")
                .contains("at most 120"),
            "{reply}"
        );
    }
    event["history_window"] = Value::Array(vec![one; sairen::fleet::MAX_HISTORY]);
    let fits = encode_json(&event, Encoding::Identity).expect("encode");
    assert_eq!(
        hub.call(upload_req(&rig.key, fits, Encoding::Identity))
            .await
            .0,
        201,
        "the bound itself is allowed"
    );

    let deep = format!(
        r#"{{"unknown": {}1{}, "id": "x"}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (status, reply) = hub
        .call(upload_req(&rig.key, deep.into_bytes(), Encoding::Identity))
        .await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap_or("")
            .contains("deeper than 64"),
        "{reply}"
    );
}

/// `GET /api/fleet/rigs/{id}` lists the rig's latest events from their columns (issue 17: it once
/// read their whole payloads), newest first, with the wire names of their category and levels.
#[actix_web::test]
async fn a_rigs_detail_lists_its_latest_events_in_brief() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-SHOW").await;
    let now = Utc::now();
    let (older, newer) = (
        event_for("RIG-SHOW", now - ChronoDuration::minutes(10)),
        event_for("RIG-SHOW", now - ChronoDuration::minutes(1)),
    );
    for e in [&older, &newer] {
        assert_eq!(rig.upload(e).await.0, 201);
    }
    let req = test::TestRequest::get()
        .uri("/api/fleet/rigs/RIG-SHOW")
        .insert_header(bearer(ADMIN_KEY));
    let (status, body) = hub.call(req).await;
    assert_eq!(status, 200, "{body}");
    let events = body["recent_events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["id"], json!(newer.id.as_str()), "newest first");
    assert_eq!(
        events[0]["category"],
        json!(newer.advisory.category.as_str())
    );
    assert_eq!(
        events[0]["risk_level"],
        json!(newer.advisory.risk_level.as_str())
    );
    assert_eq!(events[0]["outcome"], json!(newer.outcome.as_str()));
    assert!(
        events[0].get("payload").is_none() && events[0].get("history_window").is_none(),
        "{body}"
    );
}

#[actix_web::test]
async fn without_a_metrics_token_metrics_answer_loopback_only() {
    let db = TestDb::new();
    let (app, _state) = start(&db).await;
    let from = |peer: &str| {
        test::TestRequest::get()
            .uri("/metrics")
            .peer_addr(peer.parse().expect("addr"))
    };
    let (status, _) = call(&app, from("127.0.0.1:40000")).await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, from("[::1]:40000")).await;
    assert_eq!(status, 200);
    let (status, body) = call(&app, from("10.1.2.3:40000")).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("SAIREN_METRICS_TOKEN")),
        "{body}"
    );
}

#[actix_web::test]
async fn an_upload_is_checked_on_the_rigs_own_clock_and_filed_on_the_hubs() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-CLOCK").await;
    let now = Utc::now();
    let send = |event: &FleetEvent, clock: Option<String>| {
        let mut req = upload_req(&rig.key, json_bytes(event), Encoding::Identity);
        if let Some(c) = clock {
            req = req.insert_header(("X-Rig-Clock", c));
        }
        req
    };
    let rfc = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // Stamped by a clock ten minutes fast, a minute ago on that clock.
    let fast = event_for("RIG-CLOCK", now + ChronoDuration::minutes(9));
    let (status, body) = hub.call(send(&fast, None)).await;
    assert_eq!(
        status, 422,
        "without its clock, it is from the future: {body}"
    );
    assert_eq!(
        body["code"], "clock_skew",
        "a rig keeps what it is refused for"
    );
    let (status, body) = hub
        .call(send(&fast, Some(rfc(now + ChronoDuration::minutes(10)))))
        .await;
    assert_eq!(status, 201, "{body}");
    let mut conn = hub.db.conn();
    let (occurred, offset): (chrono::DateTime<Utc>, Option<f64>) = db::schema::events::table
        .inner_join(db::schema::rigs::table)
        .filter(db::schema::events::id.eq(fast.id.as_str()))
        .select((
            db::schema::events::occurred_at,
            db::schema::rigs::clock_offset_secs,
        ))
        .first(&mut conn)
        .expect("stored");
    let filed = (occurred - (now - ChronoDuration::minutes(1)))
        .num_seconds()
        .abs();
    assert!(filed <= 2, "filed on the hub's clock: {occurred}");
    assert!(
        offset.is_some_and(|o| (o - 600.0).abs() < 2.0),
        "{offset:?}"
    );
    let (_, stored) = hub
        .call(
            test::TestRequest::get()
                .uri(&format!("/api/fleet/events/{}", fast.id))
                .insert_header(bearer(&rig.key)),
        )
        .await;
    assert_eq!(
        stored["event"]["timestamp"],
        json!(fast.timestamp),
        "the payload keeps the stream's own time"
    );

    // A malformed clock is named; one two days off is beyond correction (and kept by the rig).
    let later = event_for("RIG-CLOCK", now - ChronoDuration::minutes(2));
    let (status, body) = hub.call(send(&later, Some("yesterday-ish".into()))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("X-Rig-Clock")));
    let (status, body) = hub
        .call(send(&later, Some(rfc(now + ChronoDuration::days(2)))))
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (422, json!("clock_skew")),
        "{body}"
    );
}

#[actix_web::test]
async fn a_wireguard_plan_is_checked_before_anything_is_kept() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-WG-API").await;
    let key = "YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    let put = |body: Value, bearer_key: &str| {
        test::TestRequest::put()
            .uri("/api/fleet/wireguard")
            .insert_header(bearer(bearer_key))
            .set_json(body)
    };
    let plan = |subnet: &str, hub_key: &str, rig_key: &str| {
        json!({"subnet": subnet, "hub_public_key": hub_key,
               "peers": [{"rig_id": "RIG-WG-API", "public_key": rig_key}]})
    };
    let (status, _) = hub
        .call(put(plan("10.77.0.0/24", key, key), &rig.key))
        .await;
    assert_eq!(status, 403, "a rig key is no admin key");
    for (body, names) in [
        (plan("10.77.0.9/24", key, key), "10.77.0.0/24"),
        (plan("10.77.0.0/24", "short", key), "hub_public_key"),
        (plan("10.77.0.0/24", key, "not-a-key"), "RIG-WG-API"),
        (
            json!({"subnet": "10.77.0.0/24", "hub_public_key": key,
                   "peers": [{"rig_id": "RIG-NOBODY", "public_key": key}]}),
            "not an active rig",
        ),
    ] {
        let (status, reply) = hub.call(put(body, ADMIN_KEY)).await;
        assert_eq!(status, 400, "{reply}");
        assert!(reply.to_string().contains(names), "{reply}");
    }
    let (status, _) = hub
        .call(
            test::TestRequest::get()
                .uri("/api/fleet/wireguard")
                .insert_header(bearer(ADMIN_KEY)),
        )
        .await;
    assert_eq!(status, 404, "nothing was kept");
    let (status, reply) = hub
        .call(put(plan("10.77.0.0/24", key, key), ADMIN_KEY))
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["hub_address"], "10.77.0.1");
    assert_eq!(reply["peers"][0]["address"], "10.77.0.2");
}

#[actix_web::test]
async fn wrong_secrets_for_a_known_key_id_are_answered_429_without_argon2_and_the_rig_gets_in() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-GUESSED").await;
    assert_eq!(
        rig.sync(None).await.status,
        200,
        "the rig's own key, verified once"
    );
    // The key id is public (`list-rigs`); the secret is guessed.
    let guess = format!(
        "{}.{}",
        rig.key.rsplit_once('.').expect("dot").0,
        "0".repeat(48)
    );
    let before = hub.state.keys.hash_checks();
    let mut answers = Vec::new();
    for _ in 0..12 {
        let req = test::TestRequest::get()
            .uri("/api/fleet/library")
            .insert_header(bearer(&guess));
        let resp = test::call_service(&hub.app, req.to_request()).await;
        let retry_after = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        answers.push((resp.status().as_u16(), retry_after));
    }
    assert_eq!(
        answers[..5].iter().map(|a| a.0).collect::<Vec<_>>(),
        [403; 5],
        "{answers:?}"
    );
    assert!(
        answers[5..]
            .iter()
            .all(|(s, r)| *s == 429 && r.is_some_and(|r| (1..=60).contains(&r))),
        "{answers:?}"
    );
    assert_eq!(
        hub.state.keys.hash_checks() - before,
        5,
        "no argon2 check past the limit"
    );
    // The metrics tell a guesser held back from a refused key.
    let metrics = test::TestRequest::get()
        .uri("/metrics")
        .peer_addr("127.0.0.1:40000".parse().expect("addr"));
    let resp = test::call_service(&hub.app, metrics.to_request()).await;
    let text = String::from_utf8_lossy(&test::read_body(resp).await).into_owned();
    let count = |result: &str| {
        let series = format!(r#"sairen_hub_key_checks_total{{who="rig",result="{result}"}} "#);
        text.lines()
            .find_map(|l| l.strip_prefix(&series))
            .and_then(|n| n.parse::<f64>().ok())
    };
    assert_eq!(count("limited"), Some(7.0), "{text}");
    assert_eq!(count("refused"), Some(5.0), "{text}");
    assert_eq!(
        rig.sync(None).await.status,
        200,
        "the rig's own key is not locked out by the guesses"
    );
}

#[actix_web::test]
async fn a_rig_over_its_requests_a_minute_is_told_when_to_come_back_and_others_are_not() {
    let hub = TestHub::start().await;
    let busy = hub.rig("RIG-BUSY").await;
    let calm = hub.rig("RIG-CALM").await;
    let per_minute = sairen::hub::config::HubConfig::default()
        .auth
        .rig_requests_per_minute;
    let sync = |key: &str| {
        test::TestRequest::get()
            .uri("/api/fleet/library?since=0")
            .insert_header(bearer(key))
    };
    // A minute's allowance at once (a burst), plus what trickles back while it is spent.
    let started = Instant::now();
    let mut taken = 0u32;
    let resp = loop {
        let resp = test::call_service(&hub.app, sync(&busy.key).to_request()).await;
        if resp.status().as_u16() == 429 {
            break resp;
        }
        assert!(
            matches!(resp.status().as_u16(), 200 | 304),
            "{}",
            resp.status()
        );
        taken += 1;
        assert!(taken <= 2 * per_minute, "never limited");
    };
    let trickled = started.elapsed().as_secs_f64() * f64::from(per_minute) / 60.0;
    assert!(
        f64::from(taken) >= f64::from(per_minute)
            && f64::from(taken) <= f64::from(per_minute) + trickled + 2.0,
        "limited after {taken} requests in {:?}",
        started.elapsed()
    );
    let retry_after = resp
        .headers()
        .get("Retry-After")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|r| r >= 1), "{retry_after:?}");
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["code"], "too_many_requests", "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("RIG-BUSY")),
        "{body}"
    );
    let (status, _) = hub.call(sync(&calm.key)).await;
    assert!(matches!(status, 200 | 304), "another rig is not held back");
}

#[actix_web::test]
async fn the_audit_trail_records_who_did_what_and_its_chain_finds_edits_deletions_and_moves() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-AUDIT").await;
    let event = event_for("RIG-AUDIT", Utc::now() - ChronoDuration::minutes(3));
    assert_eq!(rig.upload(&event).await.0, 201);
    let resolved = json!({"outcome": {"status": "resolved", "action_taken": "circulated out"}});
    let (status, _) = hub
        .call(
            test::TestRequest::patch()
                .uri(&format!("/api/fleet/events/{}/outcome", event.id))
                .insert_header(bearer(&rig.key))
                .set_json(resolved),
        )
        .await;
    assert_eq!(status, 200);
    for key in ["wrong-wrong-wrong-wrong", ADMIN_KEY] {
        hub.call(
            test::TestRequest::post()
                .uri("/dashboard/login")
                .peer_addr("10.9.8.7:4000".parse().expect("addr"))
                .set_form([("password", key)]),
        )
        .await;
    }
    let (status, _) = hub
        .call(
            test::TestRequest::post()
                .uri("/api/fleet/rigs/RIG-AUDIT/revoke")
                .insert_header(bearer(ADMIN_KEY)),
        )
        .await;
    assert_eq!(status, 200);

    let list = |q: &str| {
        test::TestRequest::get()
            .uri(&format!("/api/fleet/audit{q}"))
            .insert_header(bearer(ADMIN_KEY))
    };
    let (status, entries) = hub.call(list("")).await;
    assert_eq!(status, 200, "{entries}");
    let actions: Vec<&str> = entries
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "register",
            "outcome_update",
            "sign_in_refused",
            "sign_in",
            "revoke"
        ],
        "{entries}"
    );
    let refused = &entries[2];
    assert_eq!(refused["source"], "10.9.8.7", "from where: {refused}");
    let update = &entries[3];
    assert_eq!(update["actor"], "rig RIG-AUDIT");
    assert_eq!(update["detail"]["before"]["status"], "pending", "{update}");
    assert_eq!(update["detail"]["after"]["status"], "resolved", "{update}");
    let (_, only) = hub.call(list("?action=revoke")).await;
    assert_eq!(only.as_array().map(Vec::len), Some(1));
    let csv = test::call_service(&hub.app, list("?format=csv").to_request()).await;
    assert_eq!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let text = String::from_utf8(test::read_body(csv).await.to_vec()).expect("utf-8");
    assert!(
        text.starts_with("id,at,actor,source,action,rig_id,detail,hash\r\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 6, "{text}");

    let verify = || {
        test::TestRequest::get()
            .uri("/api/fleet/audit/verify")
            .insert_header(bearer(ADMIN_KEY))
    };
    let (_, found) = hub.call(verify()).await;
    assert_eq!(found["entries"], 5, "{found}");
    assert!(found["problem"].is_null(), "{found}");

    // Append-only: the application's own connection cannot change or remove an entry.
    let mut conn = hub.db.conn();
    let refused =
        sql_query("UPDATE audit_log SET actor = 'nobody' WHERE id = 2").execute(&mut conn);
    assert!(refused.is_err_and(|e| e.to_string().contains("append-only")));
    // Someone with the database's owner rights goes around it; the chain still tells.
    let tamper = |conn: &mut diesel::PgConnection, sql: &str| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_append_only; {sql}; \
             ALTER TABLE audit_log ENABLE TRIGGER audit_append_only"
        ))
        .expect("tamper");
    };
    let problem = |found: &Value| found["problem"].as_str().unwrap_or("").to_owned();
    tamper(
        &mut conn,
        "UPDATE audit_log SET actor = 'nobody' WHERE id = 2",
    );
    let (_, found) = hub.call(verify()).await;
    assert!(problem(&found).contains("entry 2 was changed"), "{found}");
    tamper(
        &mut conn,
        "UPDATE audit_log SET actor = 'rig RIG-AUDIT' WHERE id = 2",
    );
    let (_, found) = hub.call(verify()).await;
    assert!(found["problem"].is_null(), "restored: {found}");
    // Moved: entries 3 and 4 swap their contents.
    tamper(
        &mut conn,
        "UPDATE audit_log a SET action = b.action, source = b.source FROM audit_log b \
         WHERE (a.id, b.id) IN ((3, 4), (4, 3))",
    );
    let (_, found) = hub.call(verify()).await;
    assert!(problem(&found).contains("entry 3 was changed"), "{found}");
    tamper(
        &mut conn,
        "UPDATE audit_log a SET action = b.action, source = b.source FROM audit_log b \
         WHERE (a.id, b.id) IN ((3, 4), (4, 3))",
    );
    // Deleted: entry 3 goes.
    tamper(&mut conn, "DELETE FROM audit_log WHERE id = 3");
    let (_, found) = hub.call(verify()).await;
    assert!(
        problem(&found).contains("the entry before 4 is not the one it was written after"),
        "{found}"
    );
}

/// Retention keeps the audit chain verifiable (issue 17): old entries go only through
/// `audit_prune`, behind a checkpoint and an `audit_pruned` entry; the newest stays; verify
/// starts at the checkpoint and still finds a later deletion; no other delete is allowed.
#[actix_web::test]
async fn audit_retention_removes_old_entries_and_the_chain_still_verifies() {
    let hub = TestHub::start().await;
    for rig in ["RIG-RET-1", "RIG-RET-2", "RIG-RET-3", "RIG-RET-4"] {
        hub.rig(rig).await;
    }
    let mut conn = hub.db.conn();
    let verify =
        |conn: &mut diesel::PgConnection| sairen::hub::db::audit::verify(conn).expect("verify");
    assert_eq!(verify(&mut conn).entries, 4);
    // A cut-off in the future: everything is old, but the newest entry stays.
    let removed =
        sairen::hub::db::audit::prune(&mut conn, Utc::now() + ChronoDuration::minutes(1), "test")
            .expect("prune");
    assert_eq!(removed, 3);
    let found = verify(&mut conn);
    assert_eq!(found.problem, None, "{found:?}");
    assert_eq!(
        found.entries, 2,
        "the newest register and the audit_pruned entry"
    );
    let (_, pruned) = hub
        .call(
            test::TestRequest::get()
                .uri("/api/fleet/audit?action=audit_pruned")
                .insert_header(bearer(ADMIN_KEY)),
        )
        .await;
    assert_eq!(pruned[0]["detail"]["removed"], 3, "{pruned}");
    assert_eq!(pruned[0]["detail"]["through_id"], 3, "{pruned}");
    // Nothing else may delete, not even with the pruning flag set by hand.
    let refused = {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "BEGIN; SELECT set_config('sairen.audit_pruning', 'on', true); \
             DELETE FROM audit_log WHERE id = 4",
        )
    };
    assert!(
        refused.is_err_and(|e| e.to_string().contains("append-only")),
        "a delete outside a checkpoint is refused"
    );
    let _ = sql_query("ROLLBACK").execute(&mut conn);
    let refused = sql_query("DELETE FROM audit_checkpoints").execute(&mut conn);
    assert!(refused.is_err_and(|e| e.to_string().contains("append-only")));
    // Around the triggers, a deletion after the checkpoint is still found.
    {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_append_only; \
             DELETE FROM audit_log WHERE id = 4; \
             ALTER TABLE audit_log ENABLE TRIGGER audit_append_only",
        )
        .expect("tamper");
    }
    let found = verify(&mut conn);
    assert!(found.problem.is_some(), "{found:?}");
}
