//! Drilling insights across the fleet (issue 20, item 2), through a real hub process and real rig
//! processes: rig A drills the simulator's drill-off sweep (whose model states the fastest band)
//! and sends its report's summary; the hub keeps it per field and depth; rig B of the same field,
//! drilling the same depths, is told with its next sync and shows it on its screen — and keeps it
//! when the hub is gone. Rig A is never told its own; bad summaries are refused in words.

mod common;
use common::rig::{fleet_toml, named_rig_command, RigClient, RigProcess};
use common::{admin_headers, http, HubProcess, TestDb};
use sairen::rig::acquisition::units::UnitSystem;
use sairen::rig::acquisition::wits::write_frame;
use sairen::simulate::{Scenario, Simulator, Sweep};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// A rig `rig_id` linked to the hub at `hub`, reading WITS on its stdin.
fn linked(dir: &Path, rig_id: &str, hub: &str, key: &str, extra: &str) -> RigProcess {
    let mut cmd = named_rig_command(dir, rig_id, key, &format!("{}{extra}", fleet_toml(hub)));
    cmd.args(["--stdin", "--api-bind", "127.0.0.1:0"]);
    RigProcess::start(cmd)
}

fn feed(rig: &mut RigProcess, packets: impl Iterator<Item = sairen::drilling::WitsPacket>) {
    let mut text = String::new();
    for p in packets {
        write_frame(&p, UnitSystem::Fps, &mut text);
    }
    let stdin = rig.stdin.as_mut().expect("stdin");
    stdin.write_all(text.as_bytes()).expect("write");
    stdin.flush().expect("flush");
}

fn offsets(hub: &HubProcess, key: &str, tag: Option<&str>) -> common::Reply {
    let bearer = format!("Bearer {key}");
    let mut headers = vec![("Authorization", bearer.as_str())];
    if let Some(t) = tag {
        headers.push(("If-None-Match", t));
    }
    http(
        &hub.addr,
        "GET",
        "/api/fleet/insights/offsets",
        &headers,
        b"",
    )
    .expect("offsets")
}

fn screen(rig: &RigProcess) -> String {
    let r = http(rig.addr(), "GET", "/", &[], b"").expect("screen");
    String::from_utf8_lossy(&r.body).into_owned()
}

#[test]
fn rig_as_fastest_band_reaches_rig_bs_screen_through_the_hub_and_stays_offline() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    let (key_a, key_b) = (hub.register("RIG-A"), hub.register("RIG-B"));

    // Rig A: two and a half hours of the sweep, one scheduled report over all of it.
    let dir_a = tempfile::tempdir().expect("tempdir");
    let mut rig_a = linked(
        dir_a.path(),
        "RIG-A",
        &hub.addr,
        &key_a,
        "[insights]\ninterval_mins = 150\nwindow_mins = 150\n",
    );
    feed(
        &mut rig_a,
        Simulator::new(Scenario::Normal, 5)
            .with_sweep(Sweep::standard())
            .take(150 * 60 + 60),
    );
    rig_a.wait_for("/api/v1/insights", 60, |v| v["latest"]["seq"] == 1);

    // The hub holds it: rig B's field (Volve) has an interval drilled fastest at the sweep's
    // fastest step (its founder point, 30 klb, at its highest RPM, 150).
    let deadline = Instant::now() + Duration::from_secs(30);
    let told = loop {
        let r = offsets(&hub, &key_b, None);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        if v["intervals"].as_array().is_some_and(|i| !i.is_empty()) {
            break (v, r.header("etag").map(str::to_owned));
        }
        assert!(
            Instant::now() < deadline,
            "rig A's insights never reached the hub: {}",
            rig_a.log_text()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let (body, tag) = told;
    assert_eq!(body["field"], "Volve");
    let widest = body["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .max_by(|a, b| {
            let w = |i: &serde_json::Value| {
                i["to_ft"].as_f64().unwrap_or(0.0) - i["from_ft"].as_f64().unwrap_or(0.0)
            };
            w(a).total_cmp(&w(b))
        })
        .expect("an interval");
    assert_eq!(
        widest["best"]["wob_klb"],
        serde_json::json!([28.0, 32.0]),
        "{body}"
    );
    assert_eq!(
        widest["best"]["rpm"],
        serde_json::json!([140.0, 160.0]),
        "{body}"
    );
    assert_eq!(widest["rigs"], 1);
    // Unchanged: 304 on its tag. Rig A is not told its own.
    let tag = tag.expect("an ETag");
    assert_eq!(offsets(&hub, &key_b, Some(&tag)).status, 304);
    let own = offsets(&hub, &key_a, None).json();
    assert_eq!(own["intervals"], serde_json::json!([]), "{own}");

    // Rig B drills into the same depths: its next sync tells it, its screen says it.
    let dir_b = tempfile::tempdir().expect("tempdir");
    let mut rig_b = linked(dir_b.path(), "RIG-B", &hub.addr, &key_b, "");
    let from = widest["from_ft"].as_f64().expect("from");
    feed(&mut rig_b, Simulator::new(Scenario::Normal, 8).take(120));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = screen(&rig_b);
        if page.contains("ffset rigs drilled") {
            assert!(page.contains("28–32 klb, 140–160 rpm"), "{page}");
            assert!(page.contains("1 rig,"), "{page}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rig B's screen never showed the offsets (bit vs {from} ft): {}",
            rig_b.log_text()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let (_, fleet) = rig_b.get("/api/v1/fleet");
    assert!(
        fleet["stats"]["offsets"]["intervals"]
            .as_array()
            .is_some_and(|i| !i.is_empty()),
        "{fleet}"
    );

    // The fleet dashboard shows them per field.
    let admin = admin_headers();
    let page = http(&hub.addr, "GET", "/dashboard/insights", &admin, b"").expect("page");
    let page = String::from_utf8_lossy(&page.body).into_owned();
    assert!(
        page.contains("<h2>Volve</h2>") && page.contains("28–32 klb, 140–160 rpm"),
        "{page}"
    );

    // The hub goes; rig B starts again on its own and still shows what it was told.
    drop(rig_b);
    drop(hub);
    let mut rig_b = linked(dir_b.path(), "RIG-B", "127.0.0.1:9", &key_b, "");
    feed(&mut rig_b, Simulator::new(Scenario::Normal, 9).take(60));
    rig_b.wait_for("/api/v1/health", 30, |h| {
        h["stream"]["packets"].as_u64() >= Some(60)
    });
    assert!(
        screen(&rig_b).contains("28–32 klb, 140–160 rpm"),
        "kept on disk"
    );
}

#[test]
fn a_summary_is_checked_kept_once_and_only_from_its_own_rig() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    let key = hub.register("RIG-S");
    let bearer = format!("Bearer {key}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let summary = |rig: &str, to_ft: f64| {
        serde_json::json!({
            "rig_id": rig, "well_id": "W-1", "field": "Volve", "report_seq": 3,
            "made_at": "2026-12-03T10:00:00Z",
            "segments": [{"from_ft": 9_000.0, "to_ft": to_ft, "samples": 3_600,
                          "best": {"wob_klb": [20.0, 24.0], "rpm": [120.0, 140.0], "rop_median_ft_h": 90.0, "samples": 900}}]
        })
        .to_string()
    };
    let post = |body: String| {
        http(
            &hub.addr,
            "POST",
            "/api/fleet/insights",
            &headers,
            body.as_bytes(),
        )
        .expect("post")
    };
    assert_eq!(post(summary("RIG-S", 9_400.0)).status, 201);
    let again = post(summary("RIG-S", 9_400.0));
    assert_eq!(
        (again.status, again.json()["status"].clone()),
        (200, serde_json::json!("already_held"))
    );
    let other = post(summary("RIG-OTHER", 9_400.0));
    assert_eq!(
        other.status,
        403,
        "{}",
        String::from_utf8_lossy(&other.body)
    );
    let upside_down = post(summary("RIG-S", 8_000.0));
    assert_eq!(upside_down.status, 400);
    assert!(String::from_utf8_lossy(&upside_down.body).contains("segments.to_ft"));
    let nul = post(summary("RIG-S", 9_400.0).replace("W-1", "W\\u0000"));
    assert_eq!(nul.status, 400);
    let too_many = serde_json::json!({
        "rig_id": "RIG-S", "well_id": "W-1", "field": "Volve", "report_seq": 4, "made_at": "2026-12-03T10:00:00Z",
        "segments": vec![serde_json::json!({"from_ft": 1.0, "to_ft": 2.0, "samples": 1}); 33]
    });
    assert_eq!(post(too_many.to_string()).status, 400);
    let no_key = http(
        &hub.addr,
        "POST",
        "/api/fleet/insights",
        &[("Content-Type", "application/json")],
        summary("RIG-S", 9_400.0).as_bytes(),
    )
    .expect("post");
    assert_eq!(no_key.status, 401);
}
