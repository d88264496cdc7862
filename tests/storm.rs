//! Storm mode on a real `sairen hub serve` and PostgreSQL: a burst of uploads turns it on; every
//! CRITICAL event is taken while the rest are answered 429 with Retry-After; the overview, health
//! and `/metrics` say so; the deferred events, kept in a rig's real upload queue, are delivered by
//! the rig's real uploader as the storm passes, and storm mode turns itself off.

mod common;

use chrono::{Duration, Utc};
use common::{event_for, http, HubProcess, TestDb, ADMIN_KEY};
use diesel::prelude::*;
use sairen::drilling::RiskLevel;
use sairen::fleet::FleetEvent;
use sairen::rig::uplink::queue::Queue;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

const RIG: &str = "RIG-STORM";

fn upload(hub: &HubProcess, key: &str, event: &FleetEvent) -> common::Reply {
    let auth = format!("Bearer {key}");
    http(
        &hub.addr,
        "POST",
        "/api/fleet/events",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        serde_json::to_string(event).expect("json").as_bytes(),
    )
    .expect("upload")
}

fn storm_mode(hub: &HubProcess) -> bool {
    http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
        .expect("health")
        .json()["storm_mode"]
        == true
}

fn stored(db: &TestDb) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.conn();
    diesel::sql_query("SELECT count(*) AS n FROM events")
        .get_result::<Count>(&mut conn)
        .expect("count")
        .n
}

#[test]
fn a_burst_turns_storm_mode_on_criticals_pass_and_the_rest_arrive_later() {
    let db = TestDb::new();
    // A storm: more than 60 new events a minute over 5 s (6 in 5 s) in a fleet with no history.
    let hub = HubProcess::start(
        db.url(),
        "[storm]\nmultiple = 10.0\nmin_events_per_minute = 60.0\nwindow_secs = 5\ncalm_secs = 2\n\
         retry_after_secs = 1\n",
    );
    let key = hub.register(RIG);
    let base = Utc::now() - Duration::minutes(30);
    let events: Vec<FleetEvent> = (0..28)
        .map(|i| {
            let mut e = event_for(RIG, base + Duration::seconds(i));
            e.advisory.risk_level = if i % 7 == 3 {
                RiskLevel::Critical
            } else {
                RiskLevel::Elevated
            };
            e
        })
        .collect();
    let mut deferred = Vec::new();
    let mut was_on = false;
    for e in &events {
        let reply = upload(&hub, &key, e);
        match reply.status {
            201 => {}
            429 => {
                assert_eq!(reply.header("retry-after"), Some("1"));
                assert!(
                    String::from_utf8_lossy(&reply.body).contains("storm mode"),
                    "says why"
                );
                assert!(
                    e.advisory.risk_level < RiskLevel::Critical,
                    "a CRITICAL event refused"
                );
                deferred.push(e.clone());
            }
            other => panic!("{other}: {}", String::from_utf8_lossy(&reply.body)),
        }
        was_on |= storm_mode(&hub);
    }
    assert!(was_on, "storm mode came on");
    assert!(
        deferred.len() >= 10,
        "most of the burst deferred: {}",
        deferred.len()
    );
    assert_eq!(stored(&db), (events.len() - deferred.len()) as i64);
    let admin = format!("Bearer {ADMIN_KEY}");
    let page = http(
        &hub.addr,
        "GET",
        "/dashboard",
        &[("Authorization", &admin)],
        b"",
    )
    .expect("overview");
    let page = String::from_utf8_lossy(&page.body);
    assert!(
        page.contains("Storm mode.") && page.contains("CRITICAL ones are taken"),
        "the overview says it is on and why:\n{page}"
    );
    let metrics = http(&hub.addr, "GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body);
    assert_eq!(
        common::metric(&text, "sairen_hub_storm_mode"),
        Some(1.0),
        "{text}"
    );

    // The rig kept what was deferred: its uploader sends it as the storm passes (the hub lets a
    // few through, storms again, calms again: never more than its trigger rate).
    let dir = tempfile::tempdir().expect("dir");
    let queue = Arc::new(Mutex::new(Queue::open(dir.path(), 1_000).expect("queue")));
    for e in &deferred {
        queue.lock().expect("queue").enqueue(e).expect("enqueue");
    }
    let drained = common::rig::drain_queue(
        &queue,
        dir.path(),
        &hub.addr,
        RIG,
        &key,
        StdDuration::from_secs(120),
    );
    assert!(
        drained,
        "the uploader delivered every deferred event, none dead-lettered:\n{}",
        hub.log_text()
    );
    assert_eq!(stored(&db), events.len() as i64, "nothing lost");
    let calm = common::wait_until(StdDuration::from_secs(20), || !storm_mode(&hub));
    assert!(calm, "storm mode turns itself off");
    let log = hub.log_text();
    assert!(
        log.contains("storm mode on") && log.contains("storm mode off"),
        "{log}"
    );
}
