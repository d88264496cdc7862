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
