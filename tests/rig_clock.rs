//! Rigs whose clocks are wrong, linked to a real hub (issue 19, "clocks"): one ten minutes fast,
//! one ten minutes slow, one two days fast — each a real `sairen rig` under libfaketime
//! (`faketime`, Debian's package; `scripts/install-tools.sh` installs it), the hub on the real
//! clock. None may lose or dead-letter an event; the fast and slow ones are delivered, their
//! offsets measured on both sides and shown on the dashboard; the one beyond the hub's correction
//! keeps its events queued for when its clock is set.

mod common;

use common::rig::{linked_rig_command, RigClient, RigProcess};
use common::{http, HubProcess, TestDb, ADMIN_KEY};

use std::process::Command;

/// `cmd` run under `faketime -f <offset>`: its wall clock moved, its monotonic clock real.
fn under_faketime(cmd: &Command, offset: &str) -> Command {
    let mut faked = Command::new("faketime");
    faked
        .args(["-f", offset])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => faked.env(k, v),
            None => faked.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        faked.current_dir(dir);
    }
    faked.env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    faked
}

fn linked_rig(
    dir: &std::path::Path,
    rig_id: &str,
    hub: &str,
    key: &str,
    offset: &str,
) -> RigProcess {
    let cmd = linked_rig_command(dir, rig_id, hub, key);
    assert!(
        Command::new("faketime")
            .args(["-f", "+0s", "true"])
            .status()
            .is_ok_and(|s| s.success()),
        "faketime is needed: run scripts/install-tools.sh"
    );
    RigProcess::start(under_faketime(&cmd, offset))
}

#[test]
fn rigs_ten_minutes_fast_and_slow_lose_nothing_and_the_dashboard_shows_their_clocks() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    let rigs = [("RIG-FAST", "+600s", 600.0), ("RIG-SLOW", "-600s", -600.0)];
    let dirs: Vec<_> = rigs
        .iter()
        .map(|_| tempfile::tempdir().expect("dir"))
        .collect();
    let keys: Vec<String> = rigs.iter().map(|(id, ..)| hub.register(id)).collect();
    let far_key = hub.register("RIG-FAR");
    let far_dir = tempfile::tempdir().expect("dir");
    let running: Vec<RigProcess> = rigs
        .iter()
        .zip(&dirs)
        .zip(&keys)
        .map(|(((id, offset, _), dir), key)| linked_rig(dir.path(), id, &hub.addr, key, offset))
        .collect();
    let far = linked_rig(far_dir.path(), "RIG-FAR", &hub.addr, &far_key, "+2d");

    for (rig, (id, _, expected)) in running.iter().zip(&rigs) {
        let fleet = rig.wait_for("/api/v1/fleet", 120, |f| {
            f["stats"]["delivered"].as_u64().is_some_and(|n| n >= 1)
        });
        assert_eq!(fleet["dead_letters"], 0, "{id}: {fleet}");
        let offset = fleet["stats"]["clock_offset_secs"]
            .as_f64()
            .unwrap_or_else(|| panic!("{id} measured no offset: {fleet}"));
        assert!(
            (offset - expected).abs() < 5.0,
            "{id}: measured {offset} s, is {expected} s"
        );
        let (_, health) = rig.get("/api/v1/health");
        let problems = health["problems"].to_string();
        assert!(
            problems.contains("10 min") && problems.contains("set NTP"),
            "{id}: {problems}"
        );
    }

    // The hub filed them and shows the clocks.
    let dashboard = http(
        &hub.addr,
        "GET",
        "/dashboard",
        &[("Authorization", &format!("Bearer {ADMIN_KEY}"))],
        b"",
    )
    .expect("dashboard");
    assert_eq!(dashboard.status, 200);
    let page = String::from_utf8_lossy(&dashboard.body);
    assert!(
        page.contains("10 min ahead"),
        "the fast rig's clock:\n{page}"
    );
    assert!(
        page.contains("10 min behind"),
        "the slow rig's clock:\n{page}"
    );

    // Two days fast is beyond what the hub corrects: refused for the clock, kept, never dropped.
    // (Its library syncs are answered all the same.)
    far.wait_for("/api/v1/fleet", 120, |f| {
        f["queue_depth"].as_u64().is_some_and(|n| n >= 1) && f["stats"]["last_sync"].is_string()
    });
    let refused = common::wait_until(std::time::Duration::from_secs(60), || {
        far.log_text().contains("clock_skew")
    });
    assert!(
        refused,
        "the hub refused for the clock:\n{}",
        far.log_text()
    );
    let fleet = far.get("/api/v1/fleet").1;
    assert_eq!(fleet["dead_letters"], 0, "{fleet}");
    assert_eq!(fleet["stats"]["delivered"], 0, "{fleet}");
    assert!(
        fleet["stats"]["clock_offset_secs"]
            .as_f64()
            .is_some_and(|o| (o - 172_800.0).abs() < 5.0),
        "{fleet}"
    );
}
