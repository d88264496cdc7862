//! The rig's self-healer against real trouble (issue 19): a WITS source killed and restarted, a
//! WITS box that keeps its connection open but sends nothing, a small filesystem made for the test
//! filling up under the rig, and the saved baseline corrupted under a running rig. Each heal shows
//! on `/api/v1/health`, the driller's screen and `/metrics`.

mod common;

use common::rig::{rig_command, RigClient, RigProcess};
use common::{free_port, wait_until};
use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Fast rounds for the tests (the shipped default is every 30 s).
const FAST_HEALER: &str = "[healer]\ninterval_secs = 1\nwits_silent_secs = 3\nmin_free_mb = 4\n";

fn check<'a>(health: &'a Value, name: &str) -> &'a Value {
    health["healer"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("no {name} check in {health}"))
}

fn actions(health: &Value, name: &str, action: &str) -> u64 {
    check(health, name)["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x[0] == action))
        .and_then(|x| x[1].as_u64())
        .unwrap_or(0)
}

fn simulator(port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sairen"))
        .args([
            "simulate",
            "--scenario",
            "normal",
            "--seconds",
            "100000",
            "--speed",
            "5",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the WITS simulator")
}

#[test]
fn a_wits_source_killed_and_restarted_is_reported_and_picked_up_again() {
    let port = free_port();
    let mut wits = simulator(port);
    let dir = tempfile::tempdir().expect("dir");
    let toml = format!("{FAST_HEALER}[input]\nreconnect_max_secs = 1\n");
    let mut cmd = rig_command(dir.path(), &toml);
    cmd.args(["--wits-tcp", &format!("127.0.0.1:{port}")])
        .args(["--api-bind", "127.0.0.1:0"]);
    let rig = RigProcess::start(cmd);
    rig.wait_for("/api/v1/health", 30, |h| {
        check(h, "wits_feed")["status"] == "ok"
    });

    let _ = wits.kill();
    let _ = wits.wait();
    let down = rig.wait_for("/api/v1/health", 30, |h| {
        check(h, "wits_feed")["status"] == "failing"
    });
    assert!(
        check(&down, "wits_feed")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("WITS link down")),
        "{down}"
    );
    assert_ne!(down["status"], "ok", "{down}");

    let mut wits = simulator(port);
    let back = rig.wait_for("/api/v1/health", 30, |h| {
        check(h, "wits_feed")["status"] == "ok" && h["stream"]["alive"] == true
    });
    assert_eq!(back["stream"]["link_up"], true, "{back}");
    let _ = wits.kill();
    let _ = wits.wait();
}

#[test]
fn a_wits_box_that_stays_connected_but_silent_is_reconnected() {
    // A WITS box frozen with its connection open: it sends keep-alives and never data.
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("addr");
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut s = stream;
                while s.write_all(b"&&\r\n0111-9999\r\n!!\r\n").is_ok() {
                    std::thread::sleep(Duration::from_millis(500));
                }
            });
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = rig_command(dir.path(), FAST_HEALER);
    cmd.args(["--wits-tcp", &addr.to_string()])
        .args(["--api-bind", "127.0.0.1:0"]);
    let rig = RigProcess::start(cmd);
    let healed = rig.wait_for("/api/v1/health", 40, |h| {
        actions(h, "wits_feed", "reconnect") >= 1
    });
    assert!(
        wait_until(Duration::from_secs(10), || accepted
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 2),
        "the rig connected again"
    );
    let heal = &check(&healed, "wits_feed")["last_heal"];
    assert!(
        heal["problem"]
            .as_str()
            .is_some_and(|p| p.contains("connected but silent")),
        "{heal}"
    );
    // On the screen and in the metrics too.
    let screen = common::http(&rig.addr, "GET", "/", &[], b"").expect("screen");
    let page = String::from_utf8_lossy(&screen.body);
    assert!(
        page.contains("🔧") && page.contains("closed the connection"),
        "{page}"
    );
    let metrics = common::http(&rig.addr, "GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    common::promtool_check(&text);
    assert!(
        common::metric(
            &text,
            r#"sairen_rig_heal_actions_total{check="wits_feed",action="reconnect"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
}

/// A tmpfs of `mb` megabytes mounted on a fresh directory, unmounted when dropped.
struct SmallFs(tempfile::TempDir);

impl SmallFs {
    fn mount(mb: u32) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root (or CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self(dir)
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_filling_disk_pauses_non_critical_writes_and_a_corrupt_baseline_is_set_aside() {
    let fs = SmallFs::mount(12);
    let data = fs.0.path().join("data");
    let dir = tempfile::tempdir().expect("config dir");
    let mut cmd = rig_command(dir.path(), FAST_HEALER);
    // The config names data under the config's folder; point it at the small filesystem.
    let config = dir.path().join("rig.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("data_dir") {
                format!("data_dir = {:?}", data)
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, text).expect("config");
    cmd.args(["--simulate", "normal", "--seconds", "0", "--speed", "200"])
        .args(["--api-bind", "127.0.0.1:0"]);
    let rig = RigProcess::start(cmd);
    let baseline = data.join("baseline.json");
    rig.wait_for("/api/v1/health", 60, |h| {
        h["baseline"]["state"] == "locked" && baseline.exists()
    });

    // The baseline file goes bad under the running rig.
    std::fs::write(&baseline, b"{\"well_id\": \"W-TEST\", \"stats\": [garbage").expect("corrupt");
    let healed = rig.wait_for("/api/v1/health", 20, |h| {
        actions(h, "baseline_file", "set_aside_baseline") >= 1
    });
    let detail = check(&healed, "baseline_file")["last_heal"]["detail"].to_string();
    assert!(
        detail.contains("rewrote it from the learned baseline"),
        "{detail}"
    );
    let aside: Vec<_> = std::fs::read_dir(&data)
        .expect("data")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("baseline.json.bad-")
        })
        .collect();
    assert_eq!(
        aside.len(),
        1,
        "the bad file is kept aside for a person to look at"
    );
    let text = std::fs::read_to_string(&baseline).expect("rewritten");
    assert!(
        serde_json::from_str::<Value>(&text).is_ok(),
        "baseline.json reads again"
    );

    // The disk fills (a log, a core dump): only 2 MB stay free, under the 4 MB floor.
    let filler = fs.0.path().join("filler");
    let free = {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(fs.0.path())
            .output()
            .expect("df");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse::<u64>().ok())
            .expect("free bytes")
    };
    std::fs::write(&filler, vec![0u8; (free - 2_000_000) as usize]).expect("fill");
    let paused = rig.wait_for("/api/v1/health", 20, |h| {
        actions(h, "disk", "pause_writes") >= 1
    });
    let saved_at = std::fs::metadata(&baseline).and_then(|m| m.modified()).ok();
    assert!(
        paused["problems"]
            .to_string()
            .contains("non-critical writes paused")
            || check(&paused, "disk")["detail"]
                .to_string()
                .contains("paused non-critical writes"),
        "{paused}"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        std::fs::metadata(&baseline).and_then(|m| m.modified()).ok(),
        saved_at,
        "no baseline save while paused"
    );
    // Room again: writes resume.
    std::fs::remove_file(&filler).expect("free");
    rig.wait_for("/api/v1/health", 20, |h| {
        actions(h, "disk", "resume_writes") >= 1 && check(h, "disk")["status"] != "failing"
    });
}
