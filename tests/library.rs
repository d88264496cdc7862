//! Library sync by version against a real PostgreSQL: two rigs, deltas, 304, tombstones,
//! a stale `since`, an outcome change travelling to the other rig, and stats.

mod common;

use actix_web::test;
use chrono::{Duration, Utc};
use common::app::{bearer, call, register, settle, upload_req, TestHub};
use common::event_for;
use diesel::prelude::*;
use sairen::fleet::codec::Encoding;
use sairen::fleet::{FleetEvent, LibraryResponse};
use sairen::hub::curator::pass::{run_pass, WhenBusy};
use sairen::hub::curator::CuratorSettings;
use serde_json::{json, Value};

fn at_depth(rig: &str, minutes_ago: i64, depth_ft: f64) -> FleetEvent {
    let mut e = event_for(rig, Utc::now() - Duration::minutes(minutes_ago));
    e.depth_ft = depth_ft;
    e
}

fn ids(r: &LibraryResponse) -> Vec<String> {
    r.episodes.iter().map(|e| e.id.clone()).collect()
}

#[actix_web::test]
async fn two_rigs_learn_only_from_each_other_by_delta() {
    let hub = TestHub::start().await;
    let a = hub.rig("RIG-A").await;
    let b = hub.rig("RIG-B").await;
    let a1 = at_depth("RIG-A", 60, 5_000.0);
    let a2 = at_depth("RIG-A", 50, 9_000.0);
    let b1 = at_depth("RIG-B", 40, 7_000.0);
    for (k, e) in [(&a.key, &a1), (&a.key, &a2), (&b.key, &b1)] {
        assert_eq!(
            call(
                &hub.app,
                upload_req(k, serde_json::to_vec(e).expect("json"), Encoding::Identity)
            )
            .await
            .0,
            201
        );
    }
    let mut conn = hub.db.conn();
    let settings = CuratorSettings::default();
    run_pass(&mut conn, &settings, WhenBusy::Wait).expect("pass");
    settle(&hub.state, &hub.db).await;

    // First sync: the whole library, other rigs' episodes only, best score first.
    let first = b.sync(None).await;
    assert_eq!(first.status, 200);
    let lib = first.body.expect("body");
    assert!(lib.full);
    let mut got = ids(&lib);
    got.sort();
    assert_eq!(
        got,
        vec![a1.id.to_string(), a2.id.to_string()],
        "B gets A's episodes, never its own"
    );
    assert!(lib.episodes.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!((first.version, first.delta), (Some(lib.version), Some(2)));
    assert_eq!(lib.total_fleet_episodes, 3);
    let of_a = a.sync(Some(0)).await.body.expect("body");
    assert_eq!(
        ids(&of_a),
        vec![b1.id.to_string()],
        "A gets B's, never its own"
    );

    // Nothing changed: 304 with the version in the headers.
    let same = b.sync(Some(lib.version)).await;
    assert_eq!(
        (same.status, same.version, same.delta),
        (304, Some(lib.version), Some(0))
    );

    // A new event of A's: the next delta holds it alone.
    let a3 = at_depth("RIG-A", 30, 11_000.0);
    assert_eq!(
        call(
            &hub.app,
            upload_req(
                &a.key,
                serde_json::to_vec(&a3).expect("json"),
                Encoding::Identity
            )
        )
        .await
        .0,
        201
    );
    run_pass(&mut conn, &settings, WhenBusy::Wait).expect("pass");
    settle(&hub.state, &hub.db).await;
    let delta = b.sync(Some(lib.version)).await.body.expect("body");
    assert!(!delta.full);
    assert_eq!(ids(&delta), vec![a3.id.to_string()]);
    assert!(delta.version > lib.version);

    // A's crew resolves a1: B's next delta carries it, scored higher.
    let before = lib
        .episodes
        .iter()
        .find(|e| e.id == a1.id.as_str())
        .expect("a1")
        .score;
    let patch = test::TestRequest::patch()
        .uri(&format!("/api/fleet/events/{}/outcome", a1.id))
        .insert_header(bearer(&a.key))
        .set_json(json!({"outcome": {"status": "resolved", "action_taken": "reduced WOB 5 klbf"}}));
    assert_eq!(call(&hub.app, patch).await.0, 200);
    run_pass(&mut conn, &settings, WhenBusy::Wait).expect("pass");
    settle(&hub.state, &hub.db).await;
    let changed = b.sync(Some(delta.version)).await.body.expect("body");
    assert_eq!(ids(&changed), vec![a1.id.to_string()]);
    assert!(
        changed.episodes[0].score > before,
        "{} → {}",
        before,
        changed.episodes[0].score
    );
    assert!(changed.episodes[0]
        .resolution_summary
        .ends_with("resolved: reduced WOB 5 klbf"));

    // An archived episode arrives as a tombstone.
    sairen::hub::db::episodes::archive(&mut conn, a2.id.as_str(), "test").expect("archive");
    settle(&hub.state, &hub.db).await;
    let pruned = b.sync(Some(changed.version)).await.body.expect("body");
    assert_eq!(
        (ids(&pruned), pruned.pruned_ids.clone()),
        (vec![], vec![a2.id.to_string()])
    );

    // Once that tombstone is purged, a rig still behind it must take the whole library.
    diesel::sql_query(
        "UPDATE episodes SET archived_at = now() - interval '100 days' WHERE archived",
    )
    .execute(&mut conn)
    .expect("age tombstone");
    settle(&hub.state, &hub.db).await;
    let report = run_pass(&mut conn, &settings, WhenBusy::Wait).expect("pass");
    settle(&hub.state, &hub.db).await;
    assert_eq!(report.purged, 1, "{report}");
    let stale = b.sync(Some(changed.version)).await.body.expect("body");
    assert!(stale.full, "behind a purged tombstone: full answer");
    let mut got = ids(&stale);
    got.sort();
    assert_eq!(got, vec![a1.id.to_string(), a3.id.to_string()]);
    let current = b.sync(Some(stale.version)).await;
    assert_eq!(
        current.status, 304,
        "the version survives the purge of its newest row"
    );

    // Every answered sync is logged and stamped on the rig (by the writer thread, so flush it).
    assert!(hub.state.sync_log.flush(std::time::Duration::from_secs(10)));
    let logged: i64 = sairen::hub::db::schema::sync_log::table
        .filter(sairen::hub::db::schema::sync_log::rig_id.eq("RIG-B"))
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(logged, 7);
    let (last_sync, version): (Option<chrono::DateTime<Utc>>, Option<i64>) =
        sairen::hub::db::schema::rigs::table
            .find("RIG-B")
            .select((
                sairen::hub::db::schema::rigs::last_sync,
                sairen::hub::db::schema::rigs::library_version,
            ))
            .first(&mut conn)
            .expect("rig");
    assert!(last_sync.is_some());
    assert_eq!(version, Some(stale.version));
}

#[actix_web::test]
async fn a_bad_since_is_a_400_that_says_why() {
    let hub = TestHub::start().await;
    let rig = hub.rig("RIG-S").await;
    for (uri, mention) in [
        ("/api/fleet/library?since=-1", "≥ 0"),
        ("/api/fleet/library?since=abc", "whole number"),
        (
            "/api/fleet/library?since=99",
            "beyond the library version 0",
        ),
    ] {
        let (status, body) = call(
            &hub.app,
            test::TestRequest::get()
                .uri(uri)
                .insert_header(bearer(&rig.key)),
        )
        .await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert!(body.to_string().contains(mention), "{uri}: {body}");
    }
    let (status, _) = call(&hub.app, test::TestRequest::get().uri("/api/fleet/library")).await;
    assert_eq!(status, 401, "the library needs a rig key");
}

#[actix_web::test]
async fn stats_count_the_active_library() {
    let hub = TestHub::start().await;
    let a = hub.rig("RIG-A").await;
    let b = hub.rig("RIG-B").await;
    for (k, e) in [
        (&a.key, at_depth("RIG-A", 30, 1_000.0)),
        (&a.key, at_depth("RIG-A", 20, 5_000.0)),
        (&b.key, at_depth("RIG-B", 10, 3_000.0)),
    ] {
        assert_eq!(
            call(
                &hub.app,
                upload_req(k, serde_json::to_vec(&e).expect("json"), Encoding::Identity)
            )
            .await
            .0,
            201
        );
    }
    run_pass(
        &mut hub.db.conn(),
        &CuratorSettings::default(),
        WhenBusy::Wait,
    )
    .expect("pass");
    settle(&hub.state, &hub.db).await;
    let (status, stats) = call(
        &hub.app,
        test::TestRequest::get()
            .uri("/api/fleet/library/stats")
            .insert_header(bearer(&a.key)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(stats["active_episodes"], json!(3));
    assert_eq!(stats["by_rig"], json!({"RIG-A": 2, "RIG-B": 1}));
    assert_eq!(stats["by_category"], json!({"pack_off": 3}));
    assert_eq!(stats["by_outcome"], json!({"pending": 3}));
    let histogram: i64 = stats["score_histogram"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_i64)
        .sum();
    assert_eq!(histogram, 3);
}

/// DESIGN §9: the answer for a rig at a library version never changes, so it carries an ETag,
/// and `If-None-Match` with it is a 304 until the library changes.
#[actix_web::test]
async fn a_full_answer_carries_an_etag_that_holds_until_the_library_changes() {
    let hub = TestHub::start().await;
    let a = hub.rig("RIG-A").await;
    let b = hub.rig("RIG-B").await;
    let upload = |e: FleetEvent| {
        upload_req(
            &a.key,
            serde_json::to_vec(&e).expect("json"),
            Encoding::Identity,
        )
    };
    assert_eq!(
        call(&hub.app, upload(at_depth("RIG-A", 30, 4_000.0)))
            .await
            .0,
        201
    );
    run_pass(
        &mut hub.db.conn(),
        &CuratorSettings::default(),
        WhenBusy::Wait,
    )
    .expect("pass");
    settle(&hub.state, &hub.db).await;

    let full = |tag: Option<&str>| {
        let mut req = test::TestRequest::get()
            .uri("/api/fleet/library")
            .insert_header(bearer(&b.key));
        if let Some(tag) = tag {
            req = req.insert_header(("If-None-Match", tag.to_owned()));
        }
        req.to_request()
    };
    let etag_of = |resp: &actix_web::dev::ServiceResponse| {
        resp.headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let first = test::call_service(&hub.app, full(None)).await;
    assert_eq!(first.status(), 200);
    let tag = etag_of(&first).expect("a full answer has an ETag");
    assert!(tag.starts_with("W/\""), "weak, for either encoding: {tag}");

    let again = test::call_service(&hub.app, full(Some(&tag))).await;
    assert_eq!(again.status(), 304, "same version, same answer");
    assert_eq!(etag_of(&again).as_deref(), Some(tag.as_str()));
    let other = test::call_service(&hub.app, full(Some("W/\"something-else\""))).await;
    assert_eq!(other.status(), 200, "a tag that is not this answer's");

    assert_eq!(
        call(&hub.app, upload(at_depth("RIG-A", 10, 8_000.0)))
            .await
            .0,
        201
    );
    run_pass(
        &mut hub.db.conn(),
        &CuratorSettings::default(),
        WhenBusy::Wait,
    )
    .expect("pass");
    settle(&hub.state, &hub.db).await;
    let changed = test::call_service(&hub.app, full(Some(&tag))).await;
    assert_eq!(
        changed.status(),
        200,
        "the library changed: the old tag no longer matches"
    );
    assert_ne!(etag_of(&changed), Some(tag));
}

/// The sync-log writer batches records; a batch that holds an older sync after a newer one
/// (two hub processes, or a retry after an outage) must not move `last_sync` backwards.
#[actix_web::test]
async fn batched_sync_records_never_move_last_sync_backwards() {
    use sairen::hub::db::library::{record_syncs, SyncRecord};
    use sairen::hub::db::schema::{rigs, sync_log};
    let hub = TestHub::start().await;
    register(&hub.app, "RIG-L").await;
    let newer = Utc::now();
    let record = |at, version| SyncRecord {
        rig_id: "RIG-L".into(),
        since: Some(1),
        served_version: version,
        delta_count: 0,
        pruned_count: 0,
        full: false,
        not_modified: true,
        at,
        clock_offset_secs: None,
    };
    let mut conn = hub.db.conn();
    record_syncs(
        &mut conn,
        &[record(newer, 9), record(newer - Duration::minutes(5), 4)],
    )
    .expect("batch");
    record_syncs(&mut conn, &[record(newer - Duration::minutes(1), 7)]).expect("late batch");
    let (last_sync, version): (Option<chrono::DateTime<Utc>>, Option<i64>) = rigs::table
        .find("RIG-L")
        .select((rigs::last_sync, rigs::library_version))
        .first(&mut conn)
        .expect("rig");
    let kept = last_sync.expect("last_sync set");
    assert!(
        (kept - newer).num_milliseconds().abs() < 1,
        "{kept} vs {newer}"
    );
    assert_eq!(version, Some(9), "the newest sync's version");
    let logged: i64 = sync_log::table
        .filter(sync_log::rig_id.eq("RIG-L"))
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(
        logged, 3,
        "every record is logged, in whatever order it came"
    );
}

/// `sync_log` is bounded (issue 17): one rig asking in a loop has at most
/// `MAX_LOGGED_PER_RIG_MINUTE` syncs logged a minute (a minute of 304s from one key once wrote
/// 1.8 M rows), and the curator deletes rows past `sync_log_retention_days`.
#[actix_web::test]
async fn the_sync_log_is_bounded_per_rig_and_by_age() {
    use sairen::hub::db::schema::sync_log;
    use sairen::hub::sync_log::MAX_LOGGED_PER_RIG_MINUTE;
    let hub = TestHub::start().await;
    let looping = hub.rig("RIG-LOOP").await;
    let quiet = hub.rig("RIG-QUIET").await;
    let first = looping.sync(None).await;
    let version = first.version.expect("version");
    for _ in 0..(2 * MAX_LOGGED_PER_RIG_MINUTE) {
        assert_eq!(looping.sync(Some(version)).await.status, 304);
    }
    assert_eq!(quiet.sync(Some(version)).await.status, 304);
    assert!(hub.state.sync_log.flush(std::time::Duration::from_secs(10)));
    let mut conn = hub.db.conn();
    let logged = |conn: &mut diesel::PgConnection, rig: &str| -> i64 {
        sync_log::table
            .filter(sync_log::rig_id.eq(rig))
            .count()
            .get_result(conn)
            .expect("count")
    };
    assert_eq!(
        logged(&mut conn, "RIG-LOOP"),
        i64::from(MAX_LOGGED_PER_RIG_MINUTE)
    );
    assert_eq!(
        logged(&mut conn, "RIG-QUIET"),
        1,
        "another rig is not held back"
    );

    diesel::sql_query(
        "UPDATE sync_log SET synced_at = now() - interval '40 days' WHERE rig_id = 'RIG-QUIET'",
    )
    .execute(&mut conn)
    .expect("age");
    let report = run_pass(&mut conn, &CuratorSettings::default(), WhenBusy::Wait).expect("pass");
    assert_eq!(report.sync_log_purged, 1, "{report}");
    assert_eq!(logged(&mut conn, "RIG-QUIET"), 0);
    assert_eq!(
        logged(&mut conn, "RIG-LOOP"),
        i64::from(MAX_LOGGED_PER_RIG_MINUTE),
        "recent rows stay"
    );
}
