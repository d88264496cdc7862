//! Outgoing webhooks from a real `sairen hub serve` on a real PostgreSQL to a real local
//! receiver: a critical incident, a rig gone stale and a new correlation are each delivered with
//! a valid HMAC-SHA256 signature; a receiver that is down, then failing, is retried until it
//! takes them; every attempt is on record.

mod common;

use chrono::{Duration, Utc};
use common::fake_hub::{Answer, FakeHub};
use common::{event_for, free_port, http, HubProcess, TestDb};
use sairen::drilling::{AnomalyCategory, RiskLevel};
use sairen::fleet::{Heartbeat, RigId};
use sairen::hub::db::notifications;
use sairen::hub::notify::{sign, Kind};
use std::time::Duration as StdDuration;

const SECRET: &str = "the ops desk's webhook secret";

fn post_json(hub: &HubProcess, path: &str, key: &str, body: &str) -> u16 {
    let auth = format!("Bearer {key}");
    http(
        &hub.addr,
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .expect("request")
    .status
}

#[test]
fn notifications_reach_a_receiver_signed_and_are_retried_while_it_is_down() {
    let db = TestDb::new();
    let port = free_port();
    let toml = format!(
        "[analytics]\nheartbeat_secs = 10\nstale_after_secs = 10\naggregation_interval_secs = 1\n\
         [notify]\nretry_first_secs = 1\nmax_attempts = 20\ntimeout_secs = 2\n\
         [[notify.webhook]]\nurl = \"http://127.0.0.1:{port}/hooks/sairen\"\n\
         events = [\"critical_incident\", \"rig_stale\", \"correlation\"]\n\
         secret_env = \"SAIREN_TEST_WEBHOOK_SECRET\"\n"
    );
    let hub = HubProcess::start_with_env(
        db.url(),
        &toml,
        "127.0.0.1:0",
        &[("SAIREN_TEST_WEBHOOK_SECRET", SECRET)],
    );
    let key_a = hub.register("RIG-HOOK-A");
    let key_b = hub.register("RIG-HOOK-B");

    // A critical kick on A, and a kick on B near it: a critical incident and a correlation.
    for (rig, key, risk, depth) in [
        ("RIG-HOOK-A", &key_a, RiskLevel::Critical, 9_100.0),
        ("RIG-HOOK-B", &key_b, RiskLevel::High, 9_300.0),
    ] {
        let mut event = event_for(rig, Utc::now() - Duration::minutes(20));
        event.advisory.category = AnomalyCategory::Kick;
        event.advisory.risk_level = risk;
        event.depth_ft = depth;
        let body = serde_json::to_string(&event).expect("json");
        assert_eq!(post_json(&hub, "/api/fleet/events", key, &body), 201);
    }
    // B beats once and then falls silent: stale ten seconds on.
    let beat = Heartbeat::calm(RigId::parse("RIG-HOOK-B").expect("id"), "Volve", Utc::now());
    let body = serde_json::to_string(&beat).expect("json");
    assert_eq!(post_json(&hub, "/api/fleet/heartbeat", &key_b, &body), 200);

    // The receiver is down: the critical incident is tried and kept, with why.
    let mut conn = db.conn();
    let tried = common::wait_until(StdDuration::from_secs(20), || {
        notifications::of_kind(&mut conn, Kind::CriticalIncident)
            .is_ok_and(|n| n.first().is_some_and(|n| n.attempts >= 2))
    });
    assert!(
        tried,
        "retried while the receiver is down:\n{}",
        hub.log_text()
    );
    let first = &notifications::of_kind(&mut conn, Kind::CriticalIncident).expect("record")[0];
    assert!(first.delivered_at.is_none());
    assert!(
        first
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no answer")),
        "{first:?}"
    );

    // It comes up, failing once with a 500, then taking everything.
    let receiver = FakeHub::start_on(&format!("127.0.0.1:{port}"), |_, n| {
        let status = if n == 0 { 500 } else { 204 };
        Answer::Status(status, Vec::new(), Vec::new())
    });
    let delivered = common::wait_until(StdDuration::from_secs(60), || {
        [Kind::CriticalIncident, Kind::RigStale, Kind::Correlation]
            .iter()
            .all(|k| {
                notifications::of_kind(&mut conn, *k)
                    .is_ok_and(|n| n.len() == 1 && n[0].delivered_at.is_some())
            })
    });
    assert!(delivered, "every kind delivered:\n{}", hub.log_text());

    let seen = receiver.requests("POST", "/hooks/sairen");
    assert!(
        seen.len() >= 4,
        "one 500, then three deliveries: {}",
        seen.len()
    );
    let header = |s: &common::fake_hub::Seen, name: &str| {
        s.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut kinds = Vec::new();
    for s in &seen {
        let signature = header(s, "x-sairen-signature-256");
        assert!(
            sign::verify(SECRET, &s.body, &signature),
            "a valid signature: {signature}"
        );
        assert!(!sign::verify("another secret", &s.body, &signature));
        let body: serde_json::Value = serde_json::from_slice(&s.body).expect("JSON");
        assert_eq!(header(s, "x-sairen-event"), body["kind"]);
        kinds.push(body["kind"].as_str().unwrap_or_default().to_owned());
        match body["kind"].as_str() {
            Some("critical_incident") => {
                assert_eq!(body["rig_id"], "RIG-HOOK-A");
                assert_eq!(body["summary"], "RIG-HOOK-A: critical kick at 9,100 ft");
                assert_eq!(body["link"], "/dashboard/rigs/RIG-HOOK-A");
            }
            Some("rig_stale") => assert_eq!(body["rig_id"], "RIG-HOOK-B"),
            Some("correlation") => assert!(
                body["summary"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("Kick on 2 rigs in unassigned within 48 h")),
                "{body}"
            ),
            other => panic!("an unexpected notification {other:?}"),
        }
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds, ["correlation", "critical_incident", "rig_stale"]);
    // Nothing twice: each cause was delivered once, and the 500 was retried, not dropped.
    let critical = &notifications::of_kind(&mut conn, Kind::CriticalIncident).expect("record")[0];
    assert!(critical.attempts >= 3, "{critical:?}");
    let metrics = http(&hub.addr, "GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        common::metric(
            &text,
            "sairen_hub_webhook_deliveries_total{result=\"delivered\"}"
        )
        .is_some_and(|n| n >= 3.0),
        "{text}"
    );
}

#[test]
fn a_webhook_without_its_secret_stops_the_hub_before_it_starts() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("hub.toml");
    std::fs::write(
        &config,
        "[[notify.webhook]]\nurl = \"https://ops.example.com/hook\"\nevents = [\"rig_stale\"]\n\
         secret_env = \"SAIREN_TEST_UNSET_SECRET\"\n",
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sairen"))
        .args(["hub", "serve", "--check-config", "--config"])
        .arg(&config)
        .env("DATABASE_URL", db.url())
        .env("SAIREN_ADMIN_KEY", common::ADMIN_KEY)
        .env_remove("SAIREN_TEST_UNSET_SECRET")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("SAIREN_TEST_UNSET_SECRET"),
        "names the variable to set: {said}"
    );
    std::fs::write(
        &config,
        "[[notify.webhook]]\nurl = \"https://ops.example.com/hook\"\nevents = [\"rig_gone\"]\n\
         secret_env = \"X\"\n",
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sairen"))
        .args(["hub", "serve", "--check-config", "--config"])
        .arg(&config)
        .env("SAIREN_ADMIN_KEY", common::ADMIN_KEY)
        .output()
        .expect("run");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("unknown event \"rig_gone\""), "{said}");
}
