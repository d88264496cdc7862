//! `sairen rig` as a user runs it: a real process, its files, its HTTP API.

mod common;

use common::rig::{rig_command, volve_csv, RigClient, RigProcess};
use serde_json::json;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn the_volve_csv_replays_end_to_end_and_reports_missing_channels_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = rig_command(dir.path(), "")
        .arg("--csv")
        .arg(volve_csv())
        .args(["--speed", "0", "--api-bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let log = String::from_utf8_lossy(&out.stderr);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}\n{summary}");
    assert!(summary.contains("13746 packets"), "{summary}");
    assert_eq!(log.matches("has no column for").count(), 1, "{log}");
    let missing = log
        .lines()
        .find(|l| l.contains("has no column for"))
        .expect("reported");
    assert!(missing.contains("flow_out_gpm") && missing.contains("pit_volume_bbl"));
    let jsonl =
        std::fs::read_to_string(dir.path().join("data/advisories.jsonl")).unwrap_or_default();
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if v["kind"] == "advisory" {
            let category = v["advisory"]["category"].as_str().expect("category");
            assert!(!["kick", "lost_circulation"].contains(&category), "{line}");
        }
    }
    assert!(dir.path().join("data/baseline.json").exists());
}

#[test]
fn a_kick_reaches_the_api_is_acknowledged_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = || {
        let mut cmd = rig_command(dir.path(), "");
        cmd.args([
            "--simulate",
            "kick",
            "--seconds",
            "0",
            "--speed",
            "400",
            "--api-bind",
            "127.0.0.1:0",
        ]);
        RigProcess::start(cmd)
    };
    let rig = start();
    let list = rig.wait_for("/api/v1/advisories?category=kick", 60, |b| {
        b.as_array().is_some_and(|a| !a.is_empty())
    });
    let first = &list.as_array().expect("array")[list.as_array().expect("array").len() - 1];
    let id = first["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("RIG-TEST-1-"), "{id}");
    assert!(first["fleet_event"].as_bool().expect("flag"));
    assert!(
        first["advisory"]["recommendation"]
            .as_str()
            .expect("text")
            .contains("gpm"),
        "{first}"
    );

    let (status, health) = rig.get("/api/v1/health");
    assert_eq!(status, 200);
    assert_eq!(health["stream"]["alive"], true, "{health}");
    assert!(health["stream"]["packets"].as_u64().expect("n") > 1_800);
    assert_eq!(health["baseline"]["state"], "locked", "{health}");
    let (status, st) = rig.get("/api/v1/status");
    assert_eq!(status, 200);
    assert!(st["packet"]["flow_out_gpm"].is_number(), "{st}");
    assert!(st["latency"].as_array().expect("phases").len() >= 10);

    // The same figures for Prometheus, in a form its own checker accepts.
    let scrape = common::http(&rig.addr, "GET", "/metrics", &[], b"").expect("scrape");
    assert_eq!(scrape.status, 200);
    assert!(scrape
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8_lossy(&scrape.body).into_owned();
    common::promtool_check(&text);
    // No fleet link here, a clean simulated stream drops no input record, nothing needs healing.
    common::dashboard_series_exposed(
        "grafana-rig.json",
        &text,
        &[
            "sairen_rig_uplink_",
            "sairen_rig_clock_",
            "sairen_rig_input_issues_",
            "sairen_rig_heal_actions_",
        ],
    );
    let packets = common::metric(&text, "sairen_rig_packets_total").expect("packets");
    assert!(packets > 1_800.0, "{text}");
    assert_eq!(common::metric(&text, "sairen_rig_stream_alive"), Some(1.0));
    assert_eq!(
        common::metric(&text, "sairen_rig_baseline_progress"),
        Some(1.0)
    );
    let open: f64 = ["low", "elevated", "high", "critical"]
        .iter()
        .filter_map(|l| {
            common::metric(
                &text,
                &format!("sairen_rig_incidents_open{{level=\"{l}\"}}"),
            )
        })
        .sum();
    assert!(open >= 1.0, "the kick is open:\n{text}");
    assert!(common::metric(&text, "sairen_rig_incidents_unacknowledged").is_some_and(|n| n >= 1.0));
    let states: f64 = [
        "drilling",
        "connection",
        "circulating",
        "idle",
        "unknown",
        "reaming",
        "tripping_in",
        "tripping_out",
    ]
    .iter()
    .filter_map(|s| common::metric(&text, &format!("sairen_rig_state{{state=\"{s}\"}}")))
    .sum();
    assert_eq!(states, 1.0, "one state at a time:\n{text}");
    let timed = common::metric(
        &text,
        "sairen_rig_phase_latency_seconds_count{phase=\"total\"}",
    );
    assert!(timed.is_some_and(|n| n >= packets - 1.0), "{text}");

    // Bad input: a clear 4xx each.
    assert_eq!(rig.get("/api/v1/advisories?level=severe").0, 400);
    assert_eq!(rig.get("/api/v1/advisories?category=meteor").0, 400);
    assert_eq!(rig.get("/api/v1/nowhere").0, 404);
    let pending = json!({"id": id, "outcome": {"status": "pending"}});
    assert_eq!(
        rig.send("POST", "/api/v1/advisory/acknowledge", &pending, None)
            .0,
        400
    );
    let empty_action = json!({"id": id, "outcome": {"status": "resolved", "action_taken": " "}});
    assert_eq!(
        rig.send("POST", "/api/v1/advisory/acknowledge", &empty_action, None)
            .0,
        400
    );
    // A NUL is refused on the rig: the hub would refuse the outcome for good.
    for nul in [
        json!({"id": id, "outcome": {"status": "resolved", "action_taken": "shut in\u{0}"}}),
        json!({"id": id, "outcome": {"status": "false_positive"}, "notes": "a\u{0}b"}),
    ] {
        let (status, body) = rig.send("POST", "/api/v1/advisory/acknowledge", &nul, None);
        assert_eq!(status, 400, "{body}");
    }
    let unknown = json!({"id": "RIG-TEST-1-1", "outcome": {"status": "false_positive"}});
    assert_eq!(
        rig.send("POST", "/api/v1/advisory/acknowledge", &unknown, None)
            .0,
        404
    );

    let ack = json!({
        "id": id,
        "outcome": {"status": "resolved", "action_taken": "shut in, circulated out with driller's method"},
        "notes": "<script>alert(1)</script> gain 4 bbl"
    });
    let (status, body) = rig.send("POST", "/api/v1/advisory/acknowledge", &ack, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["acknowledgment"]["outcome"]["status"], "resolved");
    assert_eq!(
        rig.send("POST", "/api/v1/advisory/acknowledge", &ack, None)
            .0,
        409
    );

    // Thresholds: partial update, validated; nonsense refused with the reason.
    let (status, th) = rig.send(
        "PUT",
        "/api/v1/config/thresholds",
        &json!({"kick_flow_pct": 4.0}),
        None,
    );
    assert_eq!(status, 200, "{th}");
    assert_eq!(th["kick_flow_pct"], 4.0);
    assert_eq!(rig.get("/api/v1/config/thresholds").1["kick_flow_pct"], 4.0);
    let (status, err) = rig.send(
        "PUT",
        "/api/v1/config/thresholds",
        &json!({"kick_flow_pct": -1}),
        None,
    );
    assert_eq!(status, 400);
    assert!(
        err["details"][0]
            .as_str()
            .expect("reason")
            .contains("kick_flow_pct"),
        "{err}"
    );
    assert_eq!(
        rig.send(
            "PUT",
            "/api/v1/config/thresholds",
            &json!({"kick_flow": 4}),
            None
        )
        .0,
        400
    );
    assert_eq!(
        rig.send("PUT", "/api/v1/config/thresholds", &json!([1]), None)
            .0,
        400
    );
    let (status, c) = rig.send(
        "PUT",
        "/api/v1/campaign",
        &json!({"campaign": "plug_and_abandonment"}),
        None,
    );
    assert_eq!(
        (status, c["campaign"].as_str()),
        (200, Some("plug_and_abandonment"))
    );
    assert_eq!(
        rig.send(
            "PUT",
            "/api/v1/campaign",
            &json!({"campaign": "drilling"}),
            None
        )
        .0,
        400
    );
    drop(rig);

    // kill -9 and start again: the acknowledgment and the baseline come back from disk.
    let again = start();
    let list = again.wait_for("/api/v1/advisories?category=kick&limit=1000", 30, |b| {
        b.as_array()
            .is_some_and(|a| a.iter().any(|r| r["id"] == id.as_str()))
    });
    let kept = list
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("kept");
    assert_eq!(
        kept["acknowledgment"]["notes"],
        "<script>alert(1)</script> gain 4 bbl"
    );
    assert!(
        again.log_text().contains("baseline reloaded"),
        "{}",
        again.log_text()
    );
    drop(again);

    // The acknowledgment, the threshold and the campaign change are in the rig's audit trail
    // (refused changes are not), and `sairen rig audit-verify` finds the file edited.
    let verify = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sairen"))
            .args(["rig", "audit-verify", "--data-dir"])
            .arg(dir.path().join("data"))
            .output()
            .expect("audit-verify");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = verify();
    assert!(
        ok && out.contains("3 entries") && out.contains("the chain holds"),
        "{out}{err}"
    );
    let trail_path = dir.path().join("data").join("audit.jsonl");
    let trail = std::fs::read_to_string(&trail_path).expect("audit.jsonl");
    let actions: Vec<String> = trail
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("entry")["action"].to_string())
        .collect();
    assert_eq!(
        actions,
        [r#""acknowledge""#, r#""thresholds""#, r#""campaign""#]
    );
    assert!(
        trail.contains(r#""before":{"kick_flow_pct""#)
            && trail.contains(r#""after":"plug_and_abandonment""#),
        "{trail}"
    );
    std::fs::write(
        &trail_path,
        trail.replace("plug_and_abandonment", "production"),
    )
    .expect("edit");
    let (ok, _, err) = verify();
    assert!(!ok && err.contains("entry 3 was edited"), "{err}");
}

#[test]
fn off_loopback_the_api_needs_the_operator_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = rig_command(dir.path(), "")
        .args(["--simulate", "normal", "--api-bind", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!refused.status.success());
    let text = String::from_utf8_lossy(&refused.stderr);
    assert!(text.contains("SAIREN_RIG_OPERATOR_TOKEN"), "{text}");

    let token = "operator-token-0123456789";
    let mut cmd = rig_command(dir.path(), "");
    cmd.args([
        "--simulate",
        "normal",
        "--seconds",
        "0",
        "--api-bind",
        "0.0.0.0:0",
    ])
    .env("SAIREN_RIG_OPERATOR_TOKEN", token);
    let mut rig = RigProcess::start(cmd);
    rig.addr = rig.addr.replace("0.0.0.0", "127.0.0.1");
    assert_eq!(rig.get("/api/v1/health").0, 200, "reads stay open");
    let metrics = |auth: &[(&str, &str)]| {
        common::http(&rig.addr, "GET", "/metrics", auth, b"")
            .expect("scrape")
            .status
    };
    assert_eq!(metrics(&[]), 401, "metrics need the token off loopback");
    let bearer = format!("Bearer {token}");
    assert_eq!(metrics(&[("Authorization", bearer.as_str())]), 200);
    let change = json!({"campaign": "production"});
    assert_eq!(rig.send("PUT", "/api/v1/campaign", &change, None).0, 401);
    assert_eq!(
        rig.send(
            "PUT",
            "/api/v1/campaign",
            &change,
            Some("wrong-token-0123456789")
        )
        .0,
        403
    );
    assert_eq!(
        rig.send("PUT", "/api/v1/campaign", &change, Some(token)).0,
        200
    );
}

#[test]
fn health_says_what_is_wrong_with_a_garbled_then_silent_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = rig_command(dir.path(), "[input]\nstale_after_secs = 1\n");
    cmd.args(["--stdin", "--api-bind", "127.0.0.1:0"]);
    let mut rig = RigProcess::start(cmd);
    let mut stdin = rig.stdin.take().expect("stdin");
    let mut text = String::new();
    for (i, p) in sairen::simulate::Simulator::new(sairen::simulate::Scenario::Normal, 3)
        .take(50)
        .enumerate()
    {
        sairen::rig::acquisition::wits::write_frame(
            &p,
            sairen::rig::acquisition::units::UnitSystem::Fps,
            &mut text,
        );
        if i % 10 == 0 {
            text.push_str("garbage \u{1}\u{2} line\r\n0118abc\r\n");
        }
    }
    stdin.write_all(text.as_bytes()).expect("write");
    stdin.flush().expect("flush");
    let health = rig.wait_for("/api/v1/health", 30, |h| h["stream"]["packets"] == 50);
    let issues = health["input_issues"].to_string();
    assert!(
        issues.contains("not WITS0") && issues.contains("outside a &&"),
        "{health}"
    );
    // Then silence, with the pipe still open: stale, and said so.
    let health = rig.wait_for("/api/v1/health", 30, |h| h["status"] == "stale");
    assert!(
        health["problems"][0]
            .as_str()
            .expect("problem")
            .contains("no data for"),
        "{health}"
    );
    drop(stdin);
}

#[test]
fn a_wits_tcp_feed_that_comes_up_late_is_picked_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = rig_command(dir.path(), "[input]\nreconnect_max_secs = 1\n");
    cmd.args(["--wits-tcp", &addr, "--api-bind", "127.0.0.1:0"]);
    let rig = RigProcess::start(cmd);
    let down = rig.wait_for("/api/v1/health", 30, |h| {
        h["stream"]["link_detail"]
            .as_str()
            .is_some_and(|d| d.contains("cannot connect"))
    });
    assert_eq!(down["stream"]["link_up"], false);
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_sairen"))
        .args([
            "simulate",
            "--scenario",
            "normal",
            "--listen",
            &addr,
            "--speed",
            "50",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator");
    let up = rig.wait_for("/api/v1/health", 30, |h| {
        h["stream"]["link_up"] == true && h["stream"]["packets"].as_u64().is_some_and(|n| n > 20)
    });
    assert_eq!(up["stream"]["alive"], true, "{up}");
    let _ = sim.kill();
    let _ = sim.wait();
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn twelve_simulated_hours_fit_in_50_mb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = rig_command(dir.path(), "")
        .args(["--simulate", "kick", "--seconds", "43200", "--speed", "0"])
        .args(["--api-bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{summary}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(summary.contains("43200 packets"), "{summary}");
    let mb: f64 = summary
        .lines()
        .find_map(|l| l.strip_prefix("peak resident memory: "))
        .and_then(|v| v.trim_end_matches(" MB").parse().ok())
        .expect("peak memory reported");
    assert!(mb < 50.0, "peak resident memory {mb} MB");
}

#[test]
fn with_a_fleet_link_events_and_outcomes_wait_in_the_queue_and_without_one_nothing_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No hub is listening: the events wait on disk.
    let hub = format!("http://127.0.0.1:{}", common::free_port());
    let mut cmd = rig_command(
        dir.path(),
        &format!("[fleet]\nenabled = true\nhub_url = {hub:?}\n"),
    );
    cmd.args([
        "--simulate",
        "twist_off",
        "--seconds",
        "0",
        "--speed",
        "400",
    ])
    .args(["--api-bind", "127.0.0.1:0"])
    .env("SAIREN_RIG_API_KEY", "sk-fleet-unused.unused");
    let rig = RigProcess::start(cmd);
    let fleet = rig.wait_for("/api/v1/fleet", 60, |f| {
        f["queue_depth"].as_u64().is_some_and(|n| n >= 1)
    });
    assert_eq!(fleet["enabled"], true, "{fleet}");
    let list = rig.get("/api/v1/advisories?category=twist_off").1;
    let id = list[0]["id"].as_str().expect("id").to_owned();
    let queued: Vec<String> = std::fs::read_dir(dir.path().join("data/fleet_queue"))
        .expect("queue dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        queued.iter().any(|n| n.ends_with(&format!("{id}.evt"))),
        "{queued:?}"
    );
    let ack =
        json!({"id": id, "outcome": {"status": "resolved", "action_taken": "fished the BHA"}});
    assert_eq!(
        rig.send("POST", "/api/v1/advisory/acknowledge", &ack, None)
            .0,
        200
    );
    assert!(dir
        .path()
        .join(format!("data/fleet_queue/{id}.outcome"))
        .exists());
    // (That the answered incident is a local precedent at once is tested beside the core: one
    // twist-off is one incident now, so this run announces no second one to cite it.)
    drop(rig);

    let plain = tempfile::tempdir().expect("tempdir");
    let mut cmd = rig_command(plain.path(), "");
    cmd.args([
        "--simulate",
        "normal",
        "--seconds",
        "0",
        "--api-bind",
        "127.0.0.1:0",
    ]);
    let rig = RigProcess::start(cmd);
    assert_eq!(rig.get("/api/v1/fleet").1["enabled"], false);
    assert!(!plain.path().join("data/fleet_queue").exists());

    // A link without its key is refused at start, with what to do.
    let out = rig_command(plain.path(), "[fleet]\nenabled = true\n")
        .args(["--simulate", "normal", "--api-bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SAIREN_RIG_API_KEY"));
}

/// Issue 19: the config file's channel map is read from the config's folder, so the rig finds it
/// started from anywhere (here `/`), and `--check-config` checks it.
#[test]
fn a_config_files_channel_map_is_found_from_any_working_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("maps")).expect("maps");
    std::fs::copy(
        format!(
            "{}/config/channel-maps/volve-usrop.toml",
            env!("CARGO_MANIFEST_DIR")
        ),
        dir.path().join("maps/volve.toml"),
    )
    .expect("copy the map");
    let config = common::rig::rig_config(
        dir.path(),
        "[input]\ncsv_channel_map = \"maps/volve.toml\"\n",
    );
    let run = |map_present: bool| {
        if !map_present {
            std::fs::remove_file(dir.path().join("maps/volve.toml")).expect("remove");
        }
        std::process::Command::new(env!("CARGO_BIN_EXE_sairen"))
            .current_dir("/")
            .args(["rig", "--config"])
            .arg(&config)
            .arg("--csv")
            .arg(volve_csv())
            .arg("--check-config")
            .env_remove("SAIREN_RIG_OPERATOR_TOKEN")
            .output()
            .expect("run")
    };
    let out = run(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration valid"));
    let out = run(false);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("maps/volve.toml"),
        "names the missing map: {err}"
    );
}

/// Issue 19: `sairen rig --check-config` needs no input: it checks the config and the channel maps
/// it names, and says so; a map that is not there is named.
#[test]
fn check_config_needs_no_input_and_reads_the_maps_the_config_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |extra: &str| {
        let config = common::rig::rig_config(dir.path(), extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_sairen"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["rig", "--config"])
            .arg(&config)
            .arg("--check-config")
            .env_remove("SAIREN_RIG_OPERATOR_TOKEN")
            .env_remove("SAIREN_RIG_API_KEY")
            .output()
            .expect("run")
    };
    let out = run("");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("configuration valid") && said.contains("volve-usrop.toml"),
        "{said}"
    );
    let out = run("[input]\nwitsml_channel_map = \"nowhere.toml\"\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere.toml"), "{err}");
}

#[test]
fn json_logs_are_one_object_per_line_with_the_incident_and_the_rig() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = rig_command(dir.path(), "[log]\nformat = \"json\"\n");
    cmd.args([
        "--simulate",
        "kick",
        "--seconds",
        "0",
        "--speed",
        "400",
        "--api-bind",
        "127.0.0.1:0",
    ]);
    let rig = RigProcess::start(cmd);
    rig.wait_for("/api/v1/advisories?category=kick", 60, |b| {
        b.as_array().is_some_and(|a| !a.is_empty())
    });
    let lines = rig.log.lock().expect("log").clone();
    assert!(lines.len() >= 3, "{lines:?}");
    let parsed = common::json_log_lines(&lines);
    let alarm = parsed
        .iter()
        .find(|l| l["category"] == "kick")
        .unwrap_or_else(|| panic!("no kick line: {lines:?}"));
    assert_eq!(alarm["level"], "WARN", "{alarm}");
    assert_eq!(alarm["risk"], "elevated", "{alarm}");
    assert!(
        alarm["incident"]
            .as_str()
            .is_some_and(|i| i.starts_with("RIG-TEST-1-")),
        "{alarm}"
    );
    assert_eq!(alarm["rig"], "RIG-TEST-1", "{alarm}");
    assert!(alarm["depth_ft"].is_number(), "{alarm}");
}
