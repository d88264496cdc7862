//! Fleet analytics on a real PostgreSQL: heartbeats checked and stored, hourly roll-ups and
//! retention, health, ranks and modified-z outliers on a seeded fleet with and without a planted
//! outlier, the overview's "who needs attention now" and the regions page — and a real rig
//! process whose heartbeats reach a real hub.

mod common;

use actix_web::test as actix_test;
use chrono::{DateTime, Duration, DurationRound, Utc};
use common::app::{bearer, page, TestHub};
use common::rig::{linked_rig_command, RigClient, RigProcess};
use common::{http, HubProcess, TestDb, ADMIN_KEY};
use sairen::drilling::AnomalyCategory;
use sairen::fleet::codec::{encode_json, Encoding};
use sairen::fleet::{Heartbeat, RigId};
use sairen::hub::analytics::pass::run_pass;
use sairen::hub::analytics::regions::Regions;
use sairen::hub::analytics::AnalyticsSettings;
use sairen::hub::db::{heartbeats, WhenBusy};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn beat_req(key: &str, body: Vec<u8>) -> actix_test::TestRequest {
    actix_test::TestRequest::post()
        .uri("/api/fleet/heartbeat")
        .insert_header(bearer(key))
        .insert_header(("Content-Encoding", "zstd"))
        .set_payload(body)
}

fn zstd(beat: &Heartbeat) -> Vec<u8> {
    encode_json(beat, Encoding::Zstd).expect("encode")
}

fn calm(rig: &str, field: &str) -> Heartbeat {
    Heartbeat::calm(RigId::parse(rig).expect("rig id"), field, Utc::now())
}

/// Register `rig` in `field` through the API; its key.
async fn register<S>(hub: &TestHub<S>, rig: &str, field: &str) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let req = actix_test::TestRequest::post()
        .uri("/api/fleet/rigs/register")
        .insert_header(bearer(ADMIN_KEY))
        .set_json(json!({"rig_id": rig, "well_id": format!("{rig}-W"), "field": field}));
    let (status, body) = hub.call(req).await;
    assert_eq!(status, 201, "{body}");
    body["api_key"].as_str().expect("api_key").to_owned()
}

#[actix_web::test]
async fn a_heartbeat_is_checked_like_an_event_and_stored_as_the_rigs_latest() {
    let hub = TestHub::start().await;
    let key_a = register(&hub, "RIG-A", "Volve").await;
    let key_b = register(&hub, "RIG-B", "Volve").await;

    let (status, body) = hub
        .call(beat_req(&key_a, zstd(&calm("RIG-A", "Volve"))))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "stored", "next_in_secs": 60, "notices": []}),
        "a small fleet: every rig beats at the base interval"
    );
    let mut conn = hub.db.conn();
    assert_eq!(heartbeats::count(&mut conn, "RIG-A").expect("count"), 1);

    // Another rig's key, bad figures, a NUL, unknown fields, the wrong time: refused, named.
    let (status, body) = hub
        .call(beat_req(&key_b, zstd(&calm("RIG-A", "Volve"))))
        .await;
    assert_eq!(status, 403, "{body}");
    let mut hot = calm("RIG-A", "Volve");
    hot.mse_efficiency = Some(1.5);
    let (status, body) = hub.call(beat_req(&key_a, zstd(&hot))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("mse_efficiency"), "{body}");
    let mut long = calm("RIG-A", "Volve");
    long.on_bottom_secs = 600.0;
    let (status, body) = hub.call(beat_req(&key_a, zstd(&long))).await;
    assert_eq!(status, 400, "on bottom longer than the interval: {body}");
    assert!(body.to_string().contains("on_bottom_secs"), "{body}");
    let mut nul = calm("RIG-A", "Volve");
    nul.version = "1.0\0".into();
    let (status, body) = hub.call(beat_req(&key_a, zstd(&nul))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("NUL"), "{body}");
    let mut extra = serde_json::to_value(calm("RIG-A", "Volve")).expect("json");
    extra["surprise"] = json!(1);
    let req = actix_test::TestRequest::post()
        .uri("/api/fleet/heartbeat")
        .insert_header(bearer(&key_a))
        .set_json(extra);
    let (status, body) = hub.call(req).await;
    assert_eq!(status, 400, "{body}");
    let mut ahead = calm("RIG-A", "Volve");
    ahead.sent_at = Utc::now() + Duration::hours(1);
    let (status, body) = hub.call(beat_req(&key_a, zstd(&ahead))).await;
    assert_eq!(status, 422, "an hour ahead on the rig's own clock: {body}");
    let req = actix_test::TestRequest::post()
        .uri("/api/fleet/heartbeat")
        .set_payload(zstd(&calm("RIG-A", "Volve")));
    assert_eq!(hub.call(req).await.0, 401);
    let req = beat_req(&key_a, b"\x28\xb5\x2f\xfd garbage".to_vec());
    assert_eq!(hub.call(req).await.0, 400, "a broken zstd frame");
    assert_eq!(
        heartbeats::count(&mut conn, "RIG-A").expect("count"),
        1,
        "nothing refused was stored"
    );

    // A rig two days fast is still seen: its heartbeat is read on its own clock, filed on the
    // hub's, and its offset is what the dashboard shows.
    let mut fast = calm("RIG-B", "Volve");
    fast.sent_at = Utc::now() + Duration::days(2);
    let rig_clock = fast.sent_at.to_rfc3339();
    let req = beat_req(&key_b, zstd(&fast)).insert_header(("X-Rig-Clock", rig_clock));
    let (status, body) = hub.call(req).await;
    assert_eq!(status, 200, "{body}");
    let (_, summary) = hub
        .call(
            actix_test::TestRequest::get()
                .uri("/api/fleet/dashboard/summary")
                .insert_header(bearer(ADMIN_KEY)),
        )
        .await;
    let rig = |id: &str| -> Value {
        summary["rigs"]
            .as_array()
            .expect("rigs")
            .iter()
            .find(|r| r["rig_id"] == id)
            .cloned()
            .expect("the rig")
    };
    assert_eq!(rig("RIG-A")["status"], "active");
    assert_eq!(
        rig("RIG-A")["heartbeat"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    let offset = rig("RIG-B")["clock_offset_secs"].as_f64().expect("offset");
    assert!((offset - 172_800.0).abs() < 5.0, "{offset}");
    let sent: DateTime<Utc> =
        serde_json::from_value(rig("RIG-B")["heartbeat"]["sent_at"].clone()).expect("sent_at");
    assert!(
        (sent - Utc::now()).num_seconds().abs() < 60,
        "filed on the hub's clock: {sent}"
    );
    let (_, overview) = page(&hub.app, "/dashboard").await;
    assert!(
        overview.contains("clock 2 d ahead"),
        "the overview says why"
    );
}

fn settings(regions: &[(&str, &[&str])]) -> AnalyticsSettings {
    let map: BTreeMap<String, Vec<String>> = regions
        .iter()
        .map(|(r, fields)| {
            (
                r.to_string(),
                fields.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    AnalyticsSettings {
        regions: Regions::new(&map).expect("regions"),
        raw_retention: Duration::days(1),
        hourly_retention: Duration::days(2),
        ..AnalyticsSettings::default()
    }
}

#[actix_web::test]
async fn roll_ups_weigh_rop_by_time_on_bottom_and_retention_keeps_hours_longer_than_beats() {
    let hub = TestHub::start().await;
    register(&hub, "RIG-A", "Volve").await;
    let mut conn = hub.db.conn();
    let hour = (Utc::now() - Duration::hours(3))
        .duration_trunc(Duration::hours(1))
        .expect("an hour");
    // 60 s at 60 ft/h, 30 s at 30 ft/h, one beat off bottom, and one in the next hour.
    let beats = [
        (5, Some(60.0), 60.0, 0),
        (20, Some(30.0), 30.0, 3),
        (40, None, 0.0, 1),
        (70, Some(90.0), 60.0, 0),
    ];
    for (minute, rop, on_bottom, unack) in beats {
        let mut b = calm("RIG-A", "Volve");
        b.rop_ft_h = rop;
        b.on_bottom_secs = on_bottom;
        b.incidents.unacknowledged = unack;
        let at = hour + Duration::minutes(minute);
        heartbeats::insert(&mut conn, &b, at, None).expect("insert");
    }
    let s = settings(&[]);
    let now = hour + Duration::hours(2);
    let report = run_pass(&mut conn, &s, now, None, WhenBusy::Wait).expect("pass");
    assert_eq!(report.hours_rolled, 2, "{report}");
    let rows = heartbeats::hours(&mut conn, "RIG-A", hour).expect("hours");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].beats, 3);
    assert_eq!(rows[0].on_bottom_secs, 90.0);
    // (60 × 60 + 30 × 30) / 90 = 50: time on bottom weighs, not the count of beats.
    assert!(
        (rows[0].rop_ft_h.expect("rop") - 50.0).abs() < 1e-9,
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[0].unacknowledged_max, 3);
    assert_eq!(rows[1].rop_ft_h, Some(90.0));

    // A day and a half on: the raw beats are gone, the hours stay; three days on, they go too.
    let later = hour + Duration::hours(36);
    let report = run_pass(&mut conn, &s, later, Some(now), WhenBusy::Wait).expect("pass");
    assert_eq!(report.pruned.raw, 4, "{report}");
    assert_eq!(heartbeats::count(&mut conn, "RIG-A").expect("count"), 0);
    assert_eq!(
        heartbeats::hours(&mut conn, "RIG-A", hour)
            .expect("hours")
            .len(),
        2
    );
    let report = run_pass(
        &mut conn,
        &s,
        hour + Duration::days(3),
        Some(later),
        WhenBusy::Wait,
    )
    .expect("pass");
    assert_eq!(report.pruned.hours, 2, "{report}");
}

/// Eight calm rigs in Volve and Sleipner ("North Sea") and three in Mars ("Gulf"), each with
/// its own small spread of ROP and alarms.
async fn seed_fleet<S>(hub: &TestHub<S>) -> Vec<(String, String, String)>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let mut rigs = Vec::new();
    for i in 0..11 {
        let field = match i {
            0..=4 => "Volve",
            5..=7 => "Sleipner",
            _ => "Mars",
        };
        let id = format!("RIG-{i:02}");
        let key = register(hub, &id, field).await;
        rigs.push((id, field.to_owned(), key));
    }
    rigs
}

fn calm_variant(rig: &str, field: &str, i: usize) -> Heartbeat {
    let mut b = calm(rig, field);
    b.rop_ft_h = Some(52.0 + (i * 7 % 11) as f64);
    b.alarms_last_hour = (i % 3) as u32 + 1;
    b.mse_efficiency = Some(0.28 + (i % 4) as f64 * 0.02);
    b.clock_offset_secs = Some(0.2 * (i % 3) as f64);
    b
}

#[actix_web::test]
async fn health_ranks_and_a_planted_outlier_reach_the_overview_and_the_regions_page() {
    let hub = TestHub::start().await;
    let rigs = seed_fleet(&hub).await;
    let s = settings(&[("North Sea", &["Volve", "Sleipner"]), ("Gulf", &["Mars"])]);
    for (i, (id, field, key)) in rigs.iter().enumerate() {
        let (status, body) = hub
            .call(beat_req(key, zstd(&calm_variant(id, field, i))))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let mut conn = hub.db.conn();
    let report = run_pass(&mut conn, &s, Utc::now(), None, WhenBusy::Wait).expect("pass");
    assert_eq!(
        (report.rigs, report.reporting, report.regions),
        (11, 11, 2),
        "{report}"
    );
    assert_eq!(
        report.outlier_rigs, 0,
        "a calm fleet has no outlier: {report}"
    );
    let (status, regions) = page(&hub.app, "/dashboard/regions").await;
    assert_eq!(status, 200);
    assert!(regions.contains("No rig stands out"), "{regions}");
    assert!(regions.contains("North Sea") && regions.contains("Gulf"));

    // RIG-03 is in a kick nobody acknowledged; RIG-06's uploads are refused for good (its clock
    // ran ahead, as in the issue: 635 of them).
    let (id, field, key) = &rigs[3];
    let mut kick = calm_variant(id, field, 3);
    kick.incidents.critical = 1;
    kick.incidents.unacknowledged = 1;
    kick.incidents.worst = Some(AnomalyCategory::Kick);
    assert_eq!(hub.call(beat_req(key, zstd(&kick))).await.0, 200);
    let (id, field, key) = &rigs[6];
    let mut lost = calm_variant(id, field, 6);
    lost.dead_letters = 635;
    assert_eq!(hub.call(beat_req(key, zstd(&lost))).await.0, 200);
    let report = run_pass(&mut conn, &s, Utc::now(), None, WhenBusy::Wait).expect("pass");
    assert!(report.outlier_rigs >= 1, "{report}");

    let (_, regions) = page(&hub.app, "/dashboard/regions").await;
    assert!(
        regions.contains("refused uploads"),
        "the KPI that made RIG-06 one:\n{regions}"
    );
    assert!(regions.contains("RIG-06"));
    let (_, csv) = page(&hub.app, "/dashboard/regions?table=outliers&format=csv").await;
    let flagged: Vec<&str> = csv.lines().skip(1).collect();
    assert!(
        flagged
            .iter()
            .any(|l| l.contains("\"RIG-06\"") && l.contains("\"refused uploads\"")),
        "{csv}"
    );
    assert!(!csv.contains("RIG-00"), "a calm rig is not flagged:\n{csv}");

    // The overview leads with the kick, then the lost uploads, each with why.
    let (status, overview) = page(&hub.app, "/dashboard").await;
    assert_eq!(status, 200);
    let at = |needle: &str| overview.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(at("RIG-03") < at("RIG-06") && at("RIG-06") < at("RIG-00"));
    assert!(overview.contains("critical: kick open"), "{overview}");
    assert!(overview.contains("635 uploads refused by the hub for good"));
    assert!(overview.contains("2 of 11"), "two rigs need attention");
    // Filters: a region, and a status nobody has.
    let (_, gulf) = page(&hub.app, "/dashboard?region=Gulf").await;
    assert!(
        gulf.contains("RIG-10") && !gulf.contains("RIG-03"),
        "{gulf}"
    );
    let (_, none) = page(&hub.app, "/dashboard?status=faulted").await;
    assert!(none.contains("No rig matches these filters"));
    let (_, csv) = page(&hub.app, "/dashboard?region=Gulf&format=csv").await;
    assert_eq!(csv.lines().count(), 1 + 3, "the Gulf's three rigs:\n{csv}");
    // The kick rig ranks last in its region, and its page says why and shows its heartbeat.
    let (_, rig) = page(&hub.app, "/dashboard/rigs/RIG-03").await;
    assert!(rig.contains("Needs attention"), "{rig}");
    assert!(rig.contains("#8 in North Sea"), "{rig}");
    assert!(rig.contains("1 critical · 0 high"), "{rig}");
}

#[test]
fn a_linked_rig_process_beats_and_the_hub_shows_it() {
    let db = TestDb::new();
    let hub = HubProcess::start(
        db.url(),
        "[analytics]\nheartbeat_secs = 10\nstale_after_secs = 30\n",
    );
    let key = hub.register("RIG-BEAT");
    let dir = tempfile::tempdir().expect("dir");
    let rig = RigProcess::start(linked_rig_command(dir.path(), "RIG-BEAT", &hub.addr, &key));
    // The first beat goes as the rig starts, before its stream does (it says so: faulted);
    // the second, ten seconds on, finds it drilling.
    let fleet = rig.wait_for("/api/v1/fleet", 60, |f| {
        f["stats"]["heartbeats_sent"]
            .as_u64()
            .is_some_and(|n| n >= 2)
    });
    assert!(fleet["stats"]["last_heartbeat"].is_string(), "{fleet}");
    let summary = http(
        &hub.addr,
        "GET",
        "/api/fleet/dashboard/summary",
        &[("Authorization", &format!("Bearer {ADMIN_KEY}"))],
        b"",
    )
    .expect("summary")
    .json();
    let me = summary["rigs"]
        .as_array()
        .expect("rigs")
        .iter()
        .find(|r| r["rig_id"] == "RIG-BEAT")
        .cloned()
        .expect("the rig");
    let beat = &me["heartbeat"];
    assert_eq!(beat["well_id"], "W-TEST", "{me}");
    assert_eq!(beat["field"], "Volve");
    assert_eq!(beat["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        beat["uptime_secs"].as_f64().is_some_and(|u| u > 0.0),
        "{beat}"
    );
    assert_eq!(me["status"], "active", "{me}");
    assert_eq!(me["fresh"], true);
    assert_eq!(beat["stream"]["alive"], true, "{beat}");
    assert!(
        beat["interval_secs"].as_f64().is_some_and(|s| s > 100.0),
        "150× real time: {beat}"
    );
    assert!(
        beat["depth_ft"].as_f64().is_some_and(|d| d > 1_000.0),
        "{beat}"
    );
}

#[test]
fn losses_on_three_rigs_of_a_region_warn_a_fourth_rigs_driller_before_the_band() {
    let db = TestDb::new();
    let hub = HubProcess::start(
        db.url(),
        "[analytics]\nheartbeat_secs = 10\naggregation_interval_secs = 1\n\
         [regions]\n\"North Sea\" = [\"Volve\"]\n",
    );
    // Three rigs lost returns between 10,100 and 10,400 ft in the last day; a fourth drills
    // towards that depth (the simulator starts at 10,000 ft).
    let admin = format!("Bearer {ADMIN_KEY}");
    for (i, depth) in [10_100.0, 10_250.0, 10_400.0].into_iter().enumerate() {
        let rig = format!("RIG-LOSS-{i}");
        let key = hub.register(&rig);
        let mut event = common::event_for(&rig, Utc::now() - Duration::hours(3 * i as i64 + 1));
        event.advisory.category = AnomalyCategory::LostCirculation;
        event.depth_ft = depth;
        let auth = format!("Bearer {key}");
        let reply = http(
            &hub.addr,
            "POST",
            "/api/fleet/events",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            serde_json::to_string(&event).expect("json").as_bytes(),
        )
        .expect("upload");
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let words = "lost circulation on 3 rigs in North Sea within 48 h, 10,100–10,400 ft";
    let seen = common::wait_until(std::time::Duration::from_secs(30), || {
        http(
            &hub.addr,
            "GET",
            "/dashboard/correlations",
            &[("Authorization", &admin)],
            b"",
        )
        .is_ok_and(|r| String::from_utf8_lossy(&r.body).contains(&words[1..]))
    });
    assert!(seen, "the correlations page names it:\n{}", hub.log_text());

    let key = hub.register("RIG-WATCH");
    let dir = tempfile::tempdir().expect("dir");
    let rig = RigProcess::start(linked_rig_command(dir.path(), "RIG-WATCH", &hub.addr, &key));
    let fleet = rig.wait_for("/api/v1/fleet", 60, |f| {
        f["stats"]["notices"]
            .as_array()
            .is_some_and(|n| !n.is_empty())
    });
    let notice = &fleet["stats"]["notices"][0];
    assert_eq!(notice["rigs"], 3, "{notice}");
    assert_eq!(notice["category"], "lost_circulation");
    assert_eq!(notice["depth_from_ft"], 10_100.0);
    assert!(
        notice.get("rig_ids").is_none(),
        "a notice never names the rigs"
    );
    let screen = http(&rig.addr, "GET", "/", &[], b"").expect("screen");
    let page = String::from_utf8_lossy(&screen.body);
    assert!(
        page.contains(&format!("Fleet notice: {words}")) && page.contains("above the band"),
        "the driller is warned before the band:\n{page}"
    );
    assert!(
        rig.log_text().contains("fleet notice: lost circulation"),
        "and the log says so"
    );
}

#[actix_web::test]
async fn analysers_are_slots_operators_switch_and_their_findings_carry_id_and_version() {
    use common::app::{add_user, sign_in, with_cookie};
    use sairen::hub::db::analysers;
    let hub = TestHub::start().await;
    let rigs = seed_fleet(&hub).await;
    let s = settings(&[("North Sea", &["Volve", "Sleipner"]), ("Gulf", &["Mars"])]);
    for (i, (id, field, key)) in rigs.iter().enumerate() {
        let mut beat = calm_variant(id, field, i);
        if i == 6 {
            beat.dead_letters = 635;
        }
        assert_eq!(hub.call(beat_req(key, zstd(&beat))).await.0, 200);
    }
    let mut conn = hub.db.conn();
    let pass = |conn: &mut diesel::PgConnection| {
        run_pass(conn, &s, Utc::now(), None, WhenBusy::Wait).expect("pass")
    };
    let report = pass(&mut conn);
    assert_eq!(report.outlier_rigs, 1, "{report}");
    let found = analysers::findings(&mut conn, Some("outliers")).expect("findings");
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|f| f.analyser_version == 1 && f.rig_id.as_deref() == Some("RIG-06")));
    // 635 among ten zeros: MeanAD 57.7, M = 635 / (1.2533 × 57.7) = 8.78, confidence
    // 1 − 3.5/8.78 = 0.60.
    let dead = |f: &&analysers::StoredFinding| {
        f.details["kpi"] == "dead_letters" && f.details["among"] == "fleet"
    };
    let fleet_dead = found
        .iter()
        .find(dead)
        .expect("the dead letters, among the fleet");
    assert!(
        (fleet_dead.confidence - 0.601).abs() < 0.005,
        "{}",
        fleet_dead.confidence
    );

    // A viewer reads the slots and may not switch them; an operator may, and it is audited.
    assert_eq!(
        add_user(
            &hub.app,
            "night.viewer",
            "viewer",
            "a long viewer passphrase"
        )
        .await
        .0,
        201
    );
    assert_eq!(
        add_user(
            &hub.app,
            "desk.op",
            "operator",
            "a long operator passphrase"
        )
        .await
        .0,
        201
    );
    let viewer = sign_in(&hub.app, "night.viewer", "a long viewer passphrase")
        .await
        .expect("viewer");
    let operator = sign_in(&hub.app, "desk.op", "a long operator passphrase")
        .await
        .expect("operator");
    let list = with_cookie(
        actix_test::TestRequest::get().uri("/api/fleet/analysers"),
        &viewer,
    );
    let (status, body) = hub.call(list).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["analysers"]
        .as_array()
        .expect("analysers")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["correlator", "outliers", "rig_anomaly"]);
    let off = |cookie: &str, body: Value| {
        with_cookie(
            actix_test::TestRequest::put()
                .uri("/api/fleet/analysers/outliers")
                .set_json(body),
            cookie,
        )
    };
    assert_eq!(
        hub.call(off(&viewer, json!({"active": false}))).await.0,
        403
    );
    let (status, body) = hub
        .call(off(&operator, json!({"min_confidence": 1.5})))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("min_confidence"));
    let (status, body) = hub.call(off(&operator, json!({"active": false}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["updated_by"], "user desk.op");

    // Off: no outlier flags anywhere, and the pages say none.
    let report = pass(&mut conn);
    assert_eq!(report.outlier_rigs, 0, "{report}");
    let (_, regions) = page(&hub.app, "/dashboard/regions").await;
    assert!(regions.contains("No rig stands out"));
    // On again with a threshold above that finding's confidence: it is dropped, surer ones kept.
    let (status, _) = hub
        .call(off(
            &operator,
            json!({"active": true, "min_confidence": 0.65}),
        ))
        .await;
    assert_eq!(status, 200);
    pass(&mut conn);
    let kept = analysers::findings(&mut conn, Some("outliers")).expect("findings");
    assert!(kept.iter().all(|f| f.confidence >= 0.65), "{kept:?}");
    assert!(!kept.iter().any(|f| dead(&f)), "0.60 is below 0.65");
    hub.call(off(&operator, json!({"min_confidence": 0.0})))
        .await;
    assert_eq!(pass(&mut conn).outlier_rigs, 1);
    let (_, page_text) = page(&hub.app, "/dashboard/analysers").await;
    assert!(
        page_text.contains("outliers") && page_text.contains("RIG-06"),
        "{page_text}"
    );

    // Each slot keeps its interval: the anomaly scorer (300 s) ran once, not at every pass.
    let slots = analysers::slots(&mut conn).expect("slots");
    let anomaly = slots.iter().find(|s| s.id == "rig_anomaly").expect("slot");
    let first = anomaly.last_run_at.expect("it ran");
    pass(&mut conn);
    let again = analysers::slots(&mut conn).expect("slots");
    let anomaly = again.iter().find(|s| s.id == "rig_anomaly").expect("slot");
    assert_eq!(anomaly.last_run_at, Some(first), "not again within 300 s");
    // The switch is in the audit trail under the operator's name.
    let (_, audit) = hub
        .call(
            actix_test::TestRequest::get()
                .uri("/api/fleet/audit?action=analyser_changed:outliers")
                .insert_header(bearer(ADMIN_KEY)),
        )
        .await;
    assert!(audit.to_string().contains("user desk.op"), "{audit}");
}

#[actix_web::test]
async fn in_a_large_fleet_only_deviating_beats_wake_the_aggregation_and_notices_follow_the_watch() {
    use sairen::hub::analytics::correlate::Correlation;
    use sairen::hub::analytics::profile::Profile;
    use sairen::hub::db::analytics::store_correlations;
    let hub = TestHub::start().await;
    let key = register(&hub, "RIG-DEV", "Volve").await;
    let wake = &hub.state.aggregator;
    hub.state.profile.set(Profile::Large);
    let beat = |b: Heartbeat| hub.call(beat_req(&key, zstd(&b)));

    let (status, body) = beat(calm("RIG-DEV", "Volve")).await;
    assert_eq!(status, 200, "{body}");
    assert!(wake.is_pending(), "a first heartbeat is news");
    assert!(wake.wait(std::time::Duration::ZERO));
    let (_, body) = beat(calm("RIG-DEV", "Volve")).await;
    assert_eq!(
        body["next_in_secs"], 300,
        "a quiet rig of a large fleet beats 5× slower"
    );
    assert!(
        !wake.is_pending(),
        "more of the same waits for the scheduled pass"
    );
    let mut kick = calm("RIG-DEV", "Volve");
    kick.incidents.high = 1;
    kick.incidents.unacknowledged = 1;
    kick.incidents.worst = Some(AnomalyCategory::Kick);
    let (_, body) = beat(kick.clone()).await;
    assert_eq!(body["next_in_secs"], 60);
    assert!(wake.is_pending(), "a kick opened: taken up at once");
    assert!(wake.wait(std::time::Duration::ZERO));
    beat(kick.clone()).await;
    assert!(!wake.is_pending(), "the same kick, still open");
    hub.state.profile.set(Profile::Small);
    beat(calm("RIG-DEV", "Volve")).await;
    assert!(
        !wake.is_pending(),
        "a small fleet aggregates at the base interval anyway"
    );

    // Notices: read once, then kept until a correlation changes, which the watch hears of.
    let (_, body) = beat(calm("RIG-DEV", "Volve")).await;
    assert_eq!(body["notices"], json!([]));
    let before = hub.state.watch.notices_stamp().expect("the watch is live");
    let now = Utc::now();
    let losses = Correlation {
        region: sairen::hub::analytics::regions::UNASSIGNED.into(),
        category: AnomalyCategory::LostCirculation,
        rigs: vec!["RIG-X".into(), "RIG-Y".into()],
        incidents: 2,
        first_at: now - Duration::hours(3),
        last_at: now - Duration::hours(1),
        depth_band_ft: Some((8_000.0, 9_000.0)),
    };
    let mut conn = hub.db.conn();
    store_correlations(&mut conn, std::slice::from_ref(&losses), now).expect("store");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while hub.state.watch.notices_stamp() == Some(before) {
        assert!(
            std::time::Instant::now() < deadline,
            "the watch never heard"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (_, body) = beat(calm("RIG-DEV", "Volve")).await;
    let notices = body["notices"].as_array().expect("notices");
    assert_eq!(notices.len(), 1, "{body}");
    assert!(
        !body.to_string().contains("RIG-X"),
        "a notice never names the rigs: {body}"
    );
    // The same correlation stored again by the next pass changes nothing a rig is told.
    let stamp = hub.state.watch.notices_stamp();
    store_correlations(&mut conn, &[losses], now + Duration::minutes(1)).expect("store");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        hub.state.watch.notices_stamp(),
        stamp,
        "no change, no wake-up"
    );
    let (_, again) = beat(calm("RIG-DEV", "Volve")).await;
    assert_eq!(again["notices"], body["notices"]);
    store_correlations(&mut conn, &[], now + Duration::minutes(2)).expect("store");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, body) = beat(calm("RIG-DEV", "Volve")).await;
        if body["notices"] == json!([]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the notice outlived its correlation"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
