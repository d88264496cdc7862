//! `sairen demo` as the README runs it: the whole story, ending by itself with rig B citing rig
//! A's precedent, within two minutes.

mod common;

use common::TestDb;
use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn the_demo_tells_the_whole_story_and_ends_by_itself() {
    let db = TestDb::new();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_sairen"))
        .arg("demo")
        .env("DATABASE_URL", db.url())
        .stdin(Stdio::null())
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "hub up on",
        "with `sairen admin register-rig`",
        "driller: resolved",
        "uploaded event",
        "hub curated:",
        "synced library version",
        "Precedent: RIG-A-",
        "rig B's advisory cites rig A's precedent",
        "fleet dashboard: http://",
        "rig B screen:",
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
    assert!(
        started.elapsed().as_secs() < 120,
        "took {:?}",
        started.elapsed()
    );
}

/// Processes whose command line names `needle` (the demo's children and its hub's PostgreSQL all
/// carry the demo's folder in theirs).
fn processes_naming(needle: &str) -> Vec<(u32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
            cmd.contains(needle).then_some((pid, cmd))
        })
        .collect()
}

#[test]
fn sigterm_to_the_demo_stops_its_hub_postgres_and_rigs_and_removes_its_files() {
    use std::io::{BufRead, BufReader};
    // No DATABASE_URL: the demo's hub runs its own PostgreSQL, which must stop too.
    let mut demo = Command::new(env!("CARGO_BIN_EXE_sairen"))
        .arg("demo")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the demo");
    let stdout = demo.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut work = None;
    let mut said = String::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8");
        said.push_str(&line);
        said.push('\n');
        if let Some(dir) = line.strip_prefix("demo files and logs in ") {
            work = Some(dir.to_owned());
        }
        if line.contains("drilling 8½-in hole") {
            break;
        }
    }
    let work = work.unwrap_or_else(|| panic!("the demo names its folder first:\n{said}"));
    let started = processes_naming(&work);
    assert!(
        started.len() >= 3,
        "hub, its PostgreSQL and rig A are running: {started:?}\n{said}"
    );

    let pid = i32::try_from(demo.id()).expect("pid");
    // SAFETY: a signal to the child this test started and has not yet waited for.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let stopping = Instant::now();
    let status = demo.wait().expect("the demo exits");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut demo.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(
        stopping.elapsed().as_secs() < 60,
        "stopped in {:?}",
        stopping.elapsed()
    );
    assert!(
        !status.success() && err.contains("stopped by a signal"),
        "{status:?} {err}"
    );
    // The hub stops its PostgreSQL on its way out; give the last postgres helpers a moment.
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while !processes_naming(&work).is_empty() && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(processes_naming(&work), Vec::new(), "left running");
    assert!(!std::path::Path::new(&work).exists(), "{work} is removed");
}
