//! The incident report and the shift handover (issue 20, item 5) on a real `sairen rig` process:
//! a simulated kick is reported with its channels as charts, its physics, the specialists' votes
//! and the crew's answer; the handover adds up the shift; both survive a restart (the channels
//! from the trace the rig kept, the shift from its log); bad requests are refused in words.

mod common;
use common::http;
use common::rig::{rig_command, RigClient, RigProcess};
use sairen::rig::acquisition::units::UnitSystem;
use sairen::rig::acquisition::wits::write_frame;
use sairen::simulate::{Scenario, Simulator};
use serde_json::json;
use std::io::Write;

fn page(rig: &RigProcess, path: &str) -> (u16, String) {
    let r = http(rig.addr(), "GET", path, &[], b"").expect("GET");
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

/// The charts' titles in page order.
fn chart_titles(html: &str) -> Vec<(String, bool)> {
    html.split("<figure")
        .skip(1)
        .map(|f| {
            let involved = f.starts_with(" class=\"involved\"");
            let title = f
                .split("<figcaption>")
                .nth(1)
                .and_then(|t| t.split("</figcaption>").next())
                .unwrap_or_default()
                .to_owned();
            (title, involved)
        })
        .collect()
}

#[test]
fn a_kick_is_reported_with_its_channels_and_the_handover_adds_up_the_shift_through_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |args: &[&str]| {
        let mut cmd = rig_command(dir.path(), "");
        cmd.args(args).args(["--api-bind", "127.0.0.1:0"]);
        RigProcess::start(cmd)
    };
    // 45 minutes of the simulator on the rig's stdin: normal drilling, the kick from minute 30.
    let mut rig = start(&["--stdin"]);
    let mut stdin = rig.stdin.take().expect("stdin");
    let mut text = String::new();
    for p in Simulator::new(Scenario::Kick, 11).take(2_700) {
        write_frame(&p, UnitSystem::Fps, &mut text);
    }
    stdin.write_all(text.as_bytes()).expect("write");
    stdin.flush().expect("flush");
    rig.wait_for("/api/v1/health", 120, |h| h["stream"]["packets"] == 2_700);
    let (_, list) = rig.get("/api/v1/incidents");
    let kick = list["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .find(|i| i["category"] == "kick")
        .unwrap_or_else(|| panic!("no kick in {list}"));
    let id = kick["id"].as_str().expect("id").to_owned();
    let (status, body) = rig.send(
        "POST",
        &format!("/api/v1/incidents/{id}/acknowledge"),
        &json!({"outcome": {"status": "resolved", "action_taken": "Shut in; SIDPP 350 psi, SICP 520 psi"},
                "notes": "Gain 14 bbl <b>at</b> shut-in", "by": "Driller A"}),
        None,
    );
    assert_eq!(status, 200, "{body}");

    let check_report = |rig: &RigProcess, after_restart: bool| {
        let (status, html) = page(rig, &format!("/incidents/{id}/report"));
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Kick at "), "{html}");
        assert!(!html.contains("<script"), "self-contained, no script");
        // The charts: the kick's channels first (flow, pits), each with the moment it opened.
        let charts = chart_titles(&html);
        assert!(charts.len() >= 8, "{after_restart}: {charts:?}");
        assert!(
            charts[0].1,
            "the first chart is one the kick shows on: {charts:?}"
        );
        for wanted in [
            "Flow out (gpm)",
            "Pit volume (bbl)",
            "SPP (psi)",
            "Torque (kft·lbf)",
        ] {
            assert!(
                charts.iter().any(|(t, _)| t == wanted),
                "{wanted} in {charts:?}"
            );
        }
        let involved: Vec<&str> = charts
            .iter()
            .filter(|c| c.1)
            .map(|c| c.0.as_str())
            .collect();
        assert!(involved.contains(&"Flow out (gpm)") && !involved.contains(&"Torque (kft·lbf)"));
        assert!(
            html.matches(">opened<").count() >= 8,
            "every chart marks the onset"
        );
        // Physics, votes, what the crew did (escaped).
        assert!(
            html.contains("Physics at onset and peak") && html.contains("<td>Flow out</td>"),
            "{html}"
        );
        assert!(
            html.contains("well control"),
            "the well-control specialist's vote: {html}"
        );
        assert!(
            html.contains("Resolved: Shut in; SIDPP 350 psi, SICP 520 psi"),
            "{html}"
        );
        assert!(
            html.contains("Gain 14 bbl &#60;b&#62;at&#60;/b&#62; shut-in"),
            "{html}"
        );
        assert!(html.contains("Driller A"));
        assert!(html.contains("RIG-TEST-1") && html.contains("W-TEST"));
    };
    check_report(&rig, false);

    let check_handover = |rig: &RigProcess| {
        let (status, html) = page(rig, "/handover?hours=1");
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Shift handover — RIG-TEST-1"), "{html}");
        assert!(
            html.contains(&format!("/incidents/{id}/report")),
            "the kick is listed: {html}"
        );
        assert!(html.contains("Resolved: Shut in"), "{html}");
        // An hour of a 45-minute stream: 44 or 45 minutes covered, most of it on bottom.
        let covered = html
            .split("On bottom</th><td>")
            .nth(1)
            .and_then(|t| t.split(" h</td>").next())
            .expect("on bottom");
        let (on_bottom, of) = covered.split_once(" h of ").expect("x h of y");
        let (on_bottom, of): (f64, f64) = (on_bottom.parse().expect("h"), of.parse().expect("h"));
        assert!((0.70..=0.76).contains(&of), "{covered}");
        assert!(on_bottom > 0.3 && on_bottom <= of, "{covered}");
        assert!(html.contains("<td>Drilling</td>"), "{html}");
        let rows = html.matches("<tr><td>").count();
        assert!(rows >= 3, "hour rows, states, the incident: {html}");
    };
    check_handover(&rig);

    for (path, status) in [
        ("/handover?hours=0", 400),
        ("/handover?hours=25", 400),
        ("/handover?shift=day", 400),
        ("/incidents/RIG-TEST-1-1-0001/report", 404),
        ("/incidents/..%2F..%2Fetc/report", 404),
    ] {
        assert_eq!(page(&rig, path).0, status, "{path}");
    }
    let (_, screen) = page(&rig, "/");
    assert!(
        screen.contains(&format!("/incidents/{id}/report")),
        "the screen links it"
    );
    assert!(screen.contains("href=\"/handover\""));

    // The input ends (the rig keeps the open kick's channels and the shift as it stops), and
    // the rig starts again with no data: its trends are empty, the report's charts come from the
    // trace it kept, the handover from the shift log.
    drop(stdin);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut rig = rig;
    while rig.child.try_wait().expect("wait").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the rig did not stop at the end of its input"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(dir.path().join(format!("data/traces/{id}.json")).exists());
    assert!(dir.path().join("data/shift.json").exists());
    drop(rig);
    let rig = start(&["--stdin"]);
    check_report(&rig, true);
    check_handover(&rig);
}
