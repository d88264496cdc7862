//! The fleet link when the hub misbehaves: it answers 503 and 429 (nothing lost, backoff
//! observed), accepts and never answers (timeouts, retries, and the pipeline never stalls), or
//! sends a library cut off halfway or corrupt (the previous library stays in use).

mod common;

use common::fake_hub::{Answer, FakeHub, Seen};
use common::rig::{rig_command, RigClient, RigProcess};
use std::time::Duration;

fn rig(dir: &std::path::Path, hub: &str, scenario: &str) -> RigProcess {
    let toml = format!(
        "[fleet]\nenabled = true\nhub_url = \"http://{hub}\"\nupload_interval_secs = 1\nsync_interval_secs = 2\nsync_jitter_secs = 1\nrequest_timeout_secs = 1\n"
    );
    let mut cmd = rig_command(dir, &toml);
    cmd.args(["--simulate", scenario, "--seconds", "0", "--speed", "400"])
        .args(["--api-bind", "127.0.0.1:0"])
        .env("SAIREN_RIG_API_KEY", "sk-fleet-test.test");
    RigProcess::start(cmd)
}

/// A library sync with nothing new.
fn not_modified() -> Answer {
    Answer::Status(304, vec![], vec![])
}

/// An incident's course (the PATCH that follows its event) taken as a hub takes it.
fn course_taken() -> Answer {
    Answer::Status(200, vec![], b"{\"status\":\"updated\"}".to_vec())
}

fn event_id(s: &Seen) -> String {
    let json = zstd::decode_all(&s.body[..]).expect("zstd body");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("event JSON");
    v["id"].as_str().expect("id").to_owned()
}

#[test]
fn a_hub_answering_503_then_429_loses_nothing_and_is_backed_off_from() {
    let hub = FakeHub::start(|s, n| match (s.method.as_str(), n) {
        ("POST", 0) => Answer::Status(
            503,
            vec![("Retry-After".into(), "5".into())],
            b"{}".to_vec(),
        ),
        ("POST", 1) => Answer::Status(429, vec![], b"{}".to_vec()),
        // A limited rig is told how long to wait, and waits that long, not its own backoff.
        ("POST", 2) => Answer::Status(
            429,
            vec![("Retry-After".into(), "6".into())],
            b"{}".to_vec(),
        ),
        ("POST", _) => Answer::Status(201, vec![], b"{\"status\":\"accepted\"}".to_vec()),
        ("PATCH", _) => course_taken(),
        _ => not_modified(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = rig(dir.path(), &hub.addr, "twist_off");
    rig.wait_for("/api/v1/fleet", 90, |f| {
        f["stats"]["delivered"].as_u64().is_some_and(|n| n >= 1)
    });
    let posts = hub.requests("POST", "/api/fleet/events");
    let first = event_id(&posts[0]);
    let tries: Vec<&Seen> = posts.iter().filter(|s| event_id(s) == first).collect();
    assert!(tries.len() >= 4, "{} tries", tries.len());
    let gap = |a: &Seen, b: &Seen| b.at.duration_since(a.at).as_secs_f64();
    assert!(
        gap(tries[0], tries[1]) >= 1.9,
        "first retry after {:.2} s",
        gap(tries[0], tries[1])
    );
    assert!(
        gap(tries[1], tries[2]) >= 3.9,
        "second retry after {:.2} s",
        gap(tries[1], tries[2])
    );
    assert!(
        (5.9..9.0).contains(&gap(tries[2], tries[3])),
        "after Retry-After: 6, the third retry after {:.2} s",
        gap(tries[2], tries[3])
    );
    // Nothing lost: every event the rig raised is delivered or still queued, none dead.
    let fleet = rig.get("/api/v1/fleet").1;
    assert_eq!(fleet["dead_letters"], 0, "{fleet}");
    let delivered: std::collections::HashSet<String> = hub
        .requests("POST", "/api/fleet/events")
        .iter()
        .map(event_id)
        .collect();
    assert!(delivered.contains(&first));
}

#[test]
fn a_hub_that_never_answers_times_out_and_the_pipeline_keeps_going() {
    let hub = FakeHub::start(|s, n| match (s.method.as_str(), n) {
        ("POST", 0..=1) => Answer::Hang,
        ("POST", _) => Answer::Status(201, vec![], b"{}".to_vec()),
        ("PATCH", _) => course_taken(),
        ("GET", _) => Answer::Hang,
        _ => not_modified(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = rig(dir.path(), &hub.addr, "twist_off");
    rig.wait_for("/api/v1/fleet", 60, |f| {
        f["queue_depth"].as_u64().is_some_and(|n| n >= 1)
    });
    // While uploads and syncs hang, packets keep flowing through the pipeline.
    let before = rig.get("/api/v1/health").1["stream"]["packets"]
        .as_u64()
        .expect("n");
    std::thread::sleep(Duration::from_secs(2));
    let after = rig.get("/api/v1/health").1["stream"]["packets"]
        .as_u64()
        .expect("n");
    assert!(after > before + 100, "pipeline stalled: {before} → {after}");
    let fleet = rig.wait_for("/api/v1/fleet", 90, |f| {
        f["stats"]["delivered"].as_u64().is_some_and(|n| n >= 1)
    });
    assert!(
        hub.requests("POST", "/api/fleet/events").len() >= 3,
        "{fleet}"
    );
}

fn library(version: i64) -> Vec<u8> {
    let text = include_str!("fixtures/library_response.json");
    let mut v: serde_json::Value = serde_json::from_str(text).expect("fixture");
    v["version"] = version.into();
    v["full"] = true.into();
    serde_json::to_vec(&v).expect("json")
}

#[test]
fn a_library_cut_off_or_corrupt_leaves_the_last_good_one_in_use() {
    let hub = FakeHub::start(|s, n| match (s.method.as_str(), n) {
        ("GET", 0) => Answer::Status(
            200,
            vec![("Content-Type".into(), "application/json".into())],
            library(42),
        ),
        ("GET", n) if n % 2 == 1 => Answer::CutOff(200, 50_000, library(43)[..100].to_vec()),
        ("GET", _) => Answer::Status(
            200,
            vec![("Content-Encoding".into(), "zstd".into())],
            b"\x28\xb5\x2f\xfd garbage, not a zstd frame".to_vec(),
        ),
        _ => Answer::Status(201, vec![], b"{}".to_vec()),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = rig(dir.path(), &hub.addr, "normal");
    rig.wait_for("/api/v1/fleet", 30, |f| f["stats"]["library_version"] == 42);
    // At least one cut-off and one corrupt answer after it.
    let start = std::time::Instant::now();
    while hub.requests("GET", "/api/fleet/library").len() < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no further syncs"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let fleet = rig.get("/api/v1/fleet").1;
    assert_eq!(fleet["stats"]["library_version"], 42, "{fleet}");
    assert!(
        fleet["stats"]["episodes_loaded"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{fleet}"
    );
    assert!(
        rig.log_text().contains("keeping version 42"),
        "{}",
        rig.log_text()
    );
    // The snapshot on disk is the good one too.
    assert!(dir.path().join("data/fleet_library.json.zst").exists());
}

#[test]
fn a_hub_restored_from_a_backup_older_than_the_rigs_library_is_synced_from_whole() {
    // The rig first gets version 42; then the hub "is restored" to version 7: a delta from 42 is
    // refused (400, since beyond the version) and the rig must ask again without since.
    let hub = FakeHub::start(|s, n| {
        match (s.method.as_str(), n) {
        ("GET", 0) => Answer::Status(200, vec![], library(42)),
        ("GET", _) if s.path.contains("since=42") => Answer::Status(
            400,
            vec![],
            br#"{"error":"since 42 is beyond the library version 7; sync again without since","code":"bad_request","details":["since"]}"#.to_vec(),
        ),
        ("GET", _) if s.path.contains("since=0") => Answer::Status(200, vec![], library(7)),
        ("GET", _) => not_modified(),
        _ => Answer::Status(201, vec![], b"{}".to_vec()),
    }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = rig(dir.path(), &hub.addr, "normal");
    rig.wait_for("/api/v1/fleet", 30, |f| f["stats"]["library_version"] == 42);
    let fleet = rig.wait_for("/api/v1/fleet", 30, |f| f["stats"]["library_version"] == 7);
    assert_eq!(fleet["stats"]["link_state"], "up", "{fleet}");
    assert!(
        rig.log_text().contains("restored from a backup"),
        "{}",
        rig.log_text()
    );
}
