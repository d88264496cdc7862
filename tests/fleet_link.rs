//! End to end (DESIGN §8): a real hub on PostgreSQL, two real rigs fed by the simulator, keys from
//! the registry. Rig A meets a pack-off while the hub is down; its driller acknowledges it as
//! resolved; the hub comes back, the queue carries the event and its outcome across the outage,
//! the curator makes an episode, rig B syncs it, and rig B's own pack-off advisory cites A's
//! precedent and action.

mod common;

use common::rig::{linked_rig_command, rig_command, RigClient, RigProcess};
use common::{free_port, http, HubProcess, TestDb};
use serde_json::json;
use std::time::{Duration, Instant};

const ACTION: &str = "reduced flow to 450 gpm and worked the pipe free";

fn rig(dir: &std::path::Path, rig_id: &str, hub: &str, key: &str) -> RigProcess {
    RigProcess::start(linked_rig_command(dir, rig_id, hub, key))
}

#[test]
fn rig_b_cites_rig_a_resolved_pack_off_carried_across_a_hub_outage() {
    let db = TestDb::new();
    let bind = format!("127.0.0.1:{}", free_port());
    let hub = HubProcess::start_on(db.url(), "", &bind);
    let key_a = hub.register("RIG-A");
    let key_b = hub.register("RIG-B");
    drop(hub); // The hub goes down before rig A meets its trouble.

    let dir_a = tempfile::tempdir().expect("tempdir");
    let a = rig(dir_a.path(), "RIG-A", &bind, &key_a);
    let fleet = a.wait_for("/api/v1/fleet", 120, |f| {
        f["queue_depth"].as_u64().is_some_and(|n| n >= 1)
    });
    assert!(
        fleet["stats"]["link_state"]
            .as_str()
            .unwrap_or("")
            .starts_with("down"),
        "{fleet}"
    );
    let list = a.get("/api/v1/advisories?category=pack_off").1;
    let first = list
        .as_array()
        .and_then(|l| l.iter().rev().find(|r| r["fleet_event"] == true))
        .expect("a pack-off fleet event");
    let id = first["id"].as_str().expect("id").to_owned();
    let ack = json!({"id": id, "outcome": {"status": "resolved", "action_taken": ACTION}});
    assert_eq!(
        a.send("POST", "/api/v1/advisory/acknowledge", &ack, None).0,
        200
    );

    // The hub comes back where rig A expects it.
    let hub = HubProcess::start_on(db.url(), "", &bind);
    let start = Instant::now();
    let episode_ready = loop {
        let reply = http(
            &hub.addr,
            "GET",
            "/api/fleet/library?since=0",
            &[("Authorization", &format!("Bearer {key_b}"))],
            b"",
        )
        .expect("library");
        if reply.status == 200 {
            let body = reply.json();
            let found = body["episodes"].as_array().and_then(|eps| {
                eps.iter()
                    .find(|e| {
                        e["resolution_summary"]
                            .as_str()
                            .is_some_and(|s| s.contains(ACTION))
                    })
                    .cloned()
            });
            if let Some(e) = found {
                break e;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "A's resolved episode never reached the library; rig A log:\n{}\nhub log:\n{}",
            a.log_text(),
            hub.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(episode_ready["rig_id"], "RIG-A");
    // The acknowledged event has left A's queue (it goes on raising CRITICALs, which follow it).
    let fleet = a.get("/api/v1/fleet").1;
    assert!(
        fleet["stats"]["delivered"].as_u64().is_some_and(|n| n >= 1),
        "{fleet}"
    );
    let still_queued = std::fs::read_dir(dir_a.path().join("data/fleet_queue"))
        .expect("queue")
        .filter_map(Result::ok)
        .any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.contains(&id) && name.ends_with(".evt")
        });
    // (Its incident goes on, so its course keeps following it as a fresh .outcome file.)
    assert!(!still_queued, "{id} delivered, its event file gone");

    // Rig B starts, syncs A's precedent, and meets its own pack-off.
    let dir_b = tempfile::tempdir().expect("tempdir");
    let b = rig(dir_b.path(), "RIG-B", &bind, &key_b);
    b.wait_for("/api/v1/fleet", 60, |f| {
        f["stats"]["episodes_loaded"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    });
    let cited = b.wait_for("/api/v1/advisories?category=pack_off", 120, |l| {
        l.as_array().is_some_and(|l| !l.is_empty())
    });
    let advisory = &cited.as_array().expect("list").last().expect("first")["advisory"];
    let precedent = &advisory["precedents"][0];
    assert_eq!(precedent["rig_id"], "RIG-A", "{advisory}");
    assert!(
        precedent["summary"]
            .as_str()
            .expect("summary")
            .contains(ACTION),
        "{advisory}"
    );
    assert!(
        advisory["recommendation"]
            .as_str()
            .expect("text")
            .contains(ACTION),
        "{advisory}"
    );
    // And the library survives B's restart on disk.
    assert!(dir_b.path().join("data/fleet_library.json.zst").exists());
}

/// A rig whose kick lasts thirty minutes sends one event for it, and the course that follows it
/// says how long it lasted and how bad it got: the hub keeps one row, its dashboard the duration
/// and peak (issue 15: one kick once became 24 rows).
#[test]
fn a_thirty_minute_kick_is_one_row_on_the_hub_with_its_duration_and_peak() {
    use diesel::prelude::*;
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    let key = hub.register("RIG-K");
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        "[fleet]\nenabled = true\nhub_url = \"http://{}\"\nupload_interval_secs = 1\nrequest_timeout_secs = 5\n",
        hub.addr
    );
    let mut cmd = rig_command(dir.path(), &toml);
    let config = dir.path().join("rig.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, text.replace("RIG-TEST-1", "RIG-K")).expect("config");
    // Onset at 30 min of stream time (6 s here), then the kick goes on until the test has seen
    // half an hour of it on the hub.
    cmd.args(["--simulate", "kick", "--seconds", "0", "--speed", "300"])
        .args(["--api-bind", "127.0.0.1:0"])
        .env("SAIREN_RIG_API_KEY", &key);
    let rig = RigProcess::start(cmd);
    let mut conn = db.conn();
    #[derive(QueryableByName, Debug)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        category: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        peak_level: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        duration_secs: Option<f64>,
    }
    let mut rows: Vec<Row> = Vec::new();
    let settled = common::wait_until(Duration::from_secs(120), || {
        rows = diesel::sql_query(
            "SELECT category, peak_level, duration_secs FROM events WHERE rig_id = 'RIG-K'",
        )
        .load(&mut conn)
        .expect("query");
        rows.iter()
            .any(|r| r.duration_secs.is_some_and(|d| d >= 25.0 * 60.0))
    });
    assert!(
        settled,
        "the kick's course never reached the hub: {rows:?}\nrig log:\n{}\nhub log:\n{}",
        rig.log_text(),
        hub.log_text()
    );
    let kicks: Vec<&Row> = rows.iter().filter(|r| r.category == "kick").collect();
    assert_eq!(kicks.len(), 1, "one row for the kick: {rows:?}");
    assert_eq!(kicks[0].peak_level.as_deref(), Some("critical"), "{rows:?}");
    let page = http(
        &hub.addr,
        "GET",
        "/dashboard/rigs/RIG-K",
        &common::admin_headers(),
        b"",
    )
    .expect("rig page");
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(
        html.contains("<th>Peak</th>") && html.contains("<th>Duration</th>"),
        "{html}"
    );
    assert!(
        html.contains("ongoing, 2") || html.contains("ongoing, 3"),
        "the kick is still open after ~30 min: {html}"
    );
}
