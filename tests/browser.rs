//! The browser test: a real hub seeded with a small fleet (rigs, events over three weeks,
//! outcomes, a revoked rig), a real rig linked to it drilling into a kick, and every dashboard
//! page and the driller's screen loaded in headless Chromium — status, key figures, no failed or
//! foreign request, a screenshot of each (`target/screenshots/`, or `SAIREN_SCREENSHOTS_DIR`).
//!
//! Needs Chromium and playwright-core, so it is not part of `cargo test`; run it with
//! `bash scripts/browser-test.sh` (installs both where missing), as `.ci/run` does.

mod common;

use chrono::{Duration, Utc};
use common::rig::{fleet_toml, named_rig_command, rig_command, RigClient, RigProcess};
use common::{admin_headers, event_for, http, HubProcess, TestDb};
use sairen::drilling::{AnomalyCategory, Campaign, RiskLevel};
use sairen::fleet::{Heartbeat, RigId};
use sairen::rig::acquisition::units::UnitSystem;
use sairen::rig::acquisition::wits::write_frame;
use sairen::simulate::{Scenario, Simulator};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Instant;

struct Seed {
    rig: &'static str,
    campaign: Campaign,
    category: AnomalyCategory,
    risk: RiskLevel,
    depth_ft: f64,
    days_ago: i64,
    outcome: Value,
}

/// Actions crews write, per category: what the trends page's "most common actions" shows.
fn action(category: AnomalyCategory, n: usize) -> &'static str {
    let options: &[&str] = match category {
        AnomalyCategory::Kick => &[
            "Shut in on the annular, weighted up 0.5 ppg, circulated out (driller's method)",
            "Flow-checked, shut in, killed with wait-and-weight",
        ],
        AnomalyCategory::LostCirculation => &["Pumped 40 bbl LCM pill, reduced flow rate 15 %"],
        AnomalyCategory::PackOff => &[
            "Picked up off bottom, reduced flow, reamed the stand, circulated bottoms up",
            "Worked the pipe, circulated hi-vis sweep",
        ],
        AnomalyCategory::Washout => {
            &["Pulled out of hole, found washed-out drill pipe joint, laid it down"]
        }
        AnomalyCategory::StuckPipe => &["Jarred down, spotted pipe-release pill, freed after 3 h"],
        _ => &["Adjusted WOB and RPM to the drill-off test optimum"],
    };
    options[n % options.len()]
}

fn seeds() -> Vec<Seed> {
    use AnomalyCategory::*;
    let plan: [(&str, Campaign, &[AnomalyCategory]); 4] = [
        (
            "RIG-NORTH-1",
            Campaign::Production,
            &[
                PackOff,
                Kick,
                PackOff,
                Washout,
                PackOff,
                LostCirculation,
                Kick,
                StuckPipe,
                PackOff,
                Founder,
                PackOff,
            ],
        ),
        (
            "RIG-NORTH-2",
            Campaign::Production,
            &[
                Kick,
                PackOff,
                LostCirculation,
                PackOff,
                Washout,
                PressureTransition,
                Kick,
            ],
        ),
        (
            "RIG-WEST-3",
            Campaign::Production,
            &[PackOff, StuckPipe, Kick, LostCirculation, PackOff],
        ),
        (
            "RIG-SOUTH-7",
            Campaign::PlugAndAbandonment,
            &[StuckPipe, PackOff, StuckPipe, TwistOff],
        ),
    ];
    let mut out = vec![];
    for (r, (rig, campaign, cats)) in plan.into_iter().enumerate() {
        for (i, category) in cats.iter().enumerate() {
            let n = r * 7 + i;
            let outcome = match n % 6 {
                0 | 2 | 3 => json!({"status": "resolved", "action_taken": action(*category, n)}),
                1 => {
                    json!({"status": "escalated", "reason": "Called the drilling superintendent: losses exceeded the kick tolerance"})
                }
                4 => json!({"status": "false_positive"}),
                _ => Value::Null, // pending
            };
            out.push(Seed {
                rig,
                campaign,
                category: *category,
                risk: [RiskLevel::Elevated, RiskLevel::High, RiskLevel::Critical][n % 3],
                depth_ft: 4_000.0 + 850.0 * i as f64 + 300.0 * r as f64,
                days_ago: (20 - 2 * i as i64 - r as i64).max(0),
                outcome,
            });
        }
    }
    out
}

fn post(addr: &str, path: &str, key: &str, rig: &str, method: &str, body: &Value) -> u16 {
    let auth = format!("Bearer {key}");
    http(
        addr,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("X-Rig-ID", rig),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
    .expect("request")
    .status
}

/// The last two minutes of the simulator's pack-off up to `at`, with the physics a rig computes:
/// the history window a rig sends with an event (at most 120 packets).
fn history_before(at: chrono::DateTime<Utc>) -> Vec<sairen::fleet::HistorySnapshot> {
    let mut physics = sairen::rig::physics::Physics::new(Default::default(), Default::default());
    Simulator::starting_at(Scenario::PackOff, 2, at - Duration::seconds(1_920))
        .skip(1_800)
        .take(120)
        .map(|mut packet| {
            physics.complete(&mut packet);
            let metrics = physics.compute(&packet);
            sairen::fleet::HistorySnapshot { packet, metrics }
        })
        .collect()
}

fn summary(hub: &HubProcess) -> Value {
    http(
        &hub.addr,
        "GET",
        "/api/fleet/dashboard/summary",
        &admin_headers(),
        b"",
    )
    .expect("summary")
    .json()
}

#[test]
#[ignore = "needs Chromium and playwright-core: run bash scripts/browser-test.sh"]
fn every_page_loads_in_a_real_browser_with_its_figures() {
    let db = TestDb::new();
    let hub = HubProcess::start(
        db.url(),
        "[upload]\nmax_event_age_days = 30\n[curator]\ncuration_interval_secs = 2\n\
         [analytics]\naggregation_interval_secs = 2\n\
         [regions]\n\"North Sea\" = [\"Volve\"]\n\"Gulf of Mexico\" = [\"Mars\"]\n",
    );
    let seeds = seeds();
    let mut keys = std::collections::HashMap::new();
    for rig in [
        "RIG-NORTH-1",
        "RIG-NORTH-2",
        "RIG-WEST-3",
        "RIG-SOUTH-7",
        "RIG-OLD-9",
        "RIG-SCREEN",
        "RIG-QUIET",
    ] {
        keys.insert(rig, hub.register(rig));
    }
    let now = Utc::now();
    // The first seeded event with an outcome is the hub's report in the browser: it carries a
    // history window as a rig sends one (two minutes of the simulator's pack-off, with physics).
    let mut reported: Option<String> = None;
    for (i, s) in seeds.iter().enumerate() {
        let mut event = event_for(
            s.rig,
            now - Duration::days(s.days_ago) - Duration::minutes(37 * i as i64 + 5),
        );
        event.campaign = s.campaign;
        event.advisory.category = s.category;
        event.advisory.risk_level = s.risk;
        event.depth_ft = s.depth_ft;
        let id = event.id.to_string();
        if reported.is_none() && !s.outcome.is_null() {
            event.history_window = history_before(event.timestamp);
            reported = Some(id.clone());
        }
        let body = serde_json::to_value(&event).expect("json");
        assert_eq!(
            post(
                &hub.addr,
                "/api/fleet/events",
                &keys[s.rig],
                s.rig,
                "POST",
                &body
            ),
            201
        );
        if !s.outcome.is_null() {
            // As a rig with incidents sends it: how long the incident lasted and its worst level
            // (every third one rose a level after it was raised).
            let peak = if i % 3 == 0 && s.risk < RiskLevel::Critical {
                RiskLevel::ALL[s.risk as usize + 1]
            } else {
                s.risk
            };
            let course = json!({
                "peak_level": peak,
                "duration_secs": 240 + 420 * (i % 5),
                "cleared_at": (now - Duration::days(s.days_ago)).to_rfc3339(),
                "announcements": if peak > s.risk { 2 } else { 1 },
            });
            let update = json!({"outcome": s.outcome, "notes": "Logged by the toolpusher <b>after</b> the tour", "course": course});
            let path = format!("/api/fleet/events/{id}/outcome");
            assert_eq!(
                post(&hub.addr, &path, &keys[s.rig], s.rig, "PATCH", &update),
                200
            );
        }
    }
    // Heartbeats: a kick nobody has acknowledged on RIG-NORTH-1, uploads refused for good on
    // RIG-SOUTH-7, two calm rigs in the Gulf of Mexico (registered in field Mars), the rest calm.
    for rig in ["RIG-GULF-1", "RIG-GULF-2"] {
        let body = json!({"rig_id": rig, "well_id": format!("{rig}-W"), "field": "Mars"});
        let reply = http(
            &hub.addr,
            "POST",
            "/api/fleet/rigs/register",
            &admin_headers(),
            body.to_string().as_bytes(),
        )
        .expect("register");
        assert_eq!(reply.status, 201);
        keys.insert(
            rig,
            reply.json()["api_key"].as_str().expect("key").to_owned(),
        );
    }
    for (i, rig) in [
        "RIG-NORTH-1",
        "RIG-NORTH-2",
        "RIG-WEST-3",
        "RIG-SOUTH-7",
        "RIG-GULF-1",
        "RIG-GULF-2",
    ]
    .into_iter()
    .enumerate()
    {
        let field = if rig.starts_with("RIG-GULF") {
            "Mars"
        } else {
            "Volve"
        };
        let mut beat = Heartbeat::calm(RigId::parse(rig).expect("id"), field, Utc::now());
        beat.rop_ft_h = Some(48.0 + 6.0 * i as f64);
        beat.alarms_last_hour = (i % 3) as u32;
        match rig {
            "RIG-NORTH-1" => {
                beat.incidents.critical = 1;
                beat.incidents.unacknowledged = 1;
                beat.incidents.worst = Some(AnomalyCategory::Kick);
            }
            "RIG-SOUTH-7" => beat.dead_letters = 635,
            _ => {}
        }
        let body = serde_json::to_value(&beat).expect("json");
        assert_eq!(
            post(
                &hub.addr,
                "/api/fleet/heartbeat",
                &keys[rig],
                rig,
                "POST",
                &body
            ),
            200
        );
    }
    // The fleet desk signs in by name: an administrator added with the CLI, as the README says.
    let added = hub.add_user("desk.lead", "admin", "a long desk passphrase");
    assert!(added.status.success(), "{added:?}");
    let added = hub.add_user("night.viewer", "viewer", "another long passphrase");
    assert!(added.status.success(), "{added:?}");
    let revoke = http(
        &hub.addr,
        "POST",
        "/api/fleet/rigs/RIG-OLD-9/revoke",
        &admin_headers(),
        b"",
    )
    .expect("revoke");
    assert_eq!(revoke.status, 200);
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while summary(&hub)["events_awaiting_curation"] != 0 {
        assert!(
            Instant::now() < deadline,
            "the curator never caught up: {}",
            hub.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // A rig of its own whose kick comes while its screen is open: the time from the confirming
    // packet to the banner on the page is measured (at 30×, the kick is confirmed ~61 s in).
    let live_dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = rig_command(live_dir.path(), "");
    cmd.args(["--simulate", "kick", "--seconds", "0", "--speed", "30"])
        .args(["--api-bind", "127.0.0.1:0"]);
    let live_rig = RigProcess::start(cmd);

    // And a rig whose WITS feed goes silent after 20 packets: its screen must say so.
    let wits = std::net::TcpListener::bind("127.0.0.1:0").expect("wits listener");
    let wits_addr = wits.local_addr().expect("addr");
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut feed, _)) = wits.accept() {
            let mut text = String::new();
            for p in Simulator::new(Scenario::Normal, 3).take(20) {
                text.clear();
                write_frame(&p, UnitSystem::Fps, &mut text);
                let _ = feed.write_all(text.as_bytes());
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            // Connected, and silent, until the test ends.
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
    });
    let stale_dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = rig_command(stale_dir.path(), "[input]\nstale_after_secs = 2\n");
    cmd.args(["--wits-tcp", &wits_addr.to_string()])
        .args(["--api-bind", "127.0.0.1:0"]);
    let stale_rig = RigProcess::start(cmd);

    // A rig on the same hub drills into a kick; its advisory cites the fleet's kicks.
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        "{}[insights]\ninterval_mins = 10\nwindow_mins = 30\n",
        fleet_toml(&hub.addr)
    );
    let mut cmd = named_rig_command(dir.path(), "RIG-SCREEN", &keys["RIG-SCREEN"], &toml);
    // Endless, at 60×: the kick (simulated 1,800 s) is advised ~30 s in. The run is stamped to
    // reach "now" at simulated 2,190 s; the page is read before its clock runs ahead of the hub's.
    cmd.args([
        "--simulate",
        "kick",
        "--seconds",
        "0",
        "--speed",
        "60",
        "--api-bind",
        "127.0.0.1:0",
    ]);
    let rig = RigProcess::start(cmd);
    let kicks = rig.wait_for("/api/v1/advisories?category=kick", 90, |b| {
        b.as_array().and_then(|a| a.first()).is_some_and(|a| {
            a["advisory"]["precedents"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        })
    });
    let kick_id = kicks[0]["id"].as_str().expect("advisory id").to_owned();

    // Two rigs of the field (Volve) report where they drilled fastest; a quiet rig of the same
    // field, drilling into those depths with its own insights on, shows both on its screen.
    for (rig, seq, rop) in [("RIG-NORTH-1", 7, 168.0), ("RIG-NORTH-2", 3, 151.0)] {
        let summary = json!({
            "rig_id": rig, "well_id": format!("{rig}-W"), "field": "Volve", "report_seq": seq,
            "made_at": now.to_rfc3339(),
            "segments": [
                {"from_ft": 9_700.0, "to_ft": 10_600.0, "samples": 14_400, "dc_exponent": 1.12, "mse_median_psi": 41_000.0,
                 "best": {"wob_klb": [28.0, 32.0], "rpm": [140.0, 160.0], "rop_median_ft_h": rop, "samples": 2_400},
                 "founder_wob_klb": 30.0},
                {"from_ft": 10_600.0, "to_ft": 11_200.0, "samples": 9_000, "dc_exponent": 1.31,
                 "best": {"wob_klb": [20.0, 24.0], "rpm": [100.0, 120.0], "rop_median_ft_h": rop * 0.5, "samples": 1_800}}
            ]
        });
        assert_eq!(
            post(
                &hub.addr,
                "/api/fleet/insights",
                &keys[rig],
                rig,
                "POST",
                &summary
            ),
            201
        );
    }
    let quiet_dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        "{}[insights]\ninterval_mins = 10\nwindow_mins = 30\n",
        fleet_toml(&hub.addr)
    );
    let mut cmd = named_rig_command(quiet_dir.path(), "RIG-QUIET", &keys["RIG-QUIET"], &toml);
    cmd.args(["--simulate", "normal", "--seconds", "0", "--speed", "100"])
        .args(["--api-bind", "127.0.0.1:0"]);
    let quiet_rig = RigProcess::start(cmd);
    quiet_rig.wait_for("/api/v1/insights", 60, |v| v["latest"].is_object());
    quiet_rig.wait_for("/api/v1/fleet", 60, |v| {
        v["stats"]["offsets"]["intervals"]
            .as_array()
            .is_some_and(|i| !i.is_empty())
    });

    stale_rig.wait_for("/api/v1/health", 30, |h| h["status"] == "stale");
    // An aggregation pass has flagged RIG-SOUTH-7's refused uploads.
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while !summary(&hub)["rigs"].as_array().is_some_and(|rigs| {
        rigs.iter().any(|r| {
            r["rig_id"] == "RIG-SOUTH-7"
                && r["health"]["outliers"]
                    .as_array()
                    .is_some_and(|o| !o.is_empty())
        })
    }) {
        assert!(
            Instant::now() < deadline,
            "no aggregation flagged RIG-SOUTH-7: {}",
            hub.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let plan = json!({
        "screenshot_dir": std::env::var("SAIREN_SCREENSHOTS_DIR")
            .unwrap_or_else(|_| format!("{}/target/screenshots", env!("CARGO_MANIFEST_DIR"))),
        "sites": [
            {
                "name": "rig-live",
                "origin": format!("http://{}", live_rig.addr),
                "pages": [
                    {"path": "/", "screenshot": "rig-screen-live", "full_page": false,
                     "banner_within_ms": 1000,
                     "expect": ["KICK", "Silence alarm", "Acknowledge"]}
                ]
            },
            {
                "name": "hub",
                "origin": format!("http://{}", hub.addr),
                "login": {"path": "/dashboard/login", "user": "desk.lead", "password": "a long desk passphrase"},
                "pages": [
                    {"path": "/dashboard", "screenshot": "hub-overview",
                     "expect": ["Fleet overview", "RIG-NORTH-1", "RIG-SOUTH-7", "revoked", "Events per day, last 30 days", "Events by category", "Outcomes", "in all", "RIG-SCREEN", "Need attention", "critical: kick open", "635 uploads refused by the hub for good", "Fleet health"]},
                    {"path": "/dashboard?region=Gulf%20of%20Mexico", "screenshot": "hub-overview-filtered",
                     "expect": ["RIG-GULF-1", "RIG-GULF-2", "clear"]},
                    {"path": "/dashboard/correlations", "screenshot": "hub-correlations",
                     "expect": ["Trouble on more than one rig of a region", "within 48 h"]},
                    {"path": "/dashboard/analysers", "screenshot": "hub-analysers",
                     "expect": ["Analysis slots", "outliers", "correlator", "rig_anomaly", "Set", "RIG-SOUTH-7", "Findings"]},
                    {"path": "/dashboard/regions", "screenshot": "hub-regions",
                     "expect": ["Regions, healthiest first", "North Sea", "Gulf of Mexico", "Health by region", "Outlier flags", "refused uploads", "RIG-SOUTH-7"]},
                    {"path": "/dashboard/rigs/RIG-NORTH-1", "screenshot": "hub-rig-detail",
                     "expect": ["Rig RIG-NORTH-1", "Needs attention", "Now, from its latest heartbeat", "ROP per hour, last 48 h", "Advisory timeline", "Event history", "Picked up off bottom", "Outcome reported", "Peak", "Duration", "Record", "you may record the outcome"]},
                    {"path": "/dashboard/library", "screenshot": "hub-library",
                     "expect": ["Library health", "Score histogram", "Category coverage", "Contribution per rig", "RIG-NORTH-1"]},
                    {"path": "/dashboard/trends", "screenshot": "hub-trends",
                     "expect": ["Events per day by category", "Anomaly density by depth", "Production", "P&A", "Most common actions per category", "Shut in on the annular"]},
                    {"path": "/dashboard/trends?rig=RIG-NORTH-1&outcome=resolved", "screenshot": "hub-trends-narrowed",
                     "expect": ["Narrowed to", "rig RIG-NORTH-1", "outcome: resolved", "lift", "Anomaly density by depth"]},
                    {"path": "/dashboard?rig=gulf", "screenshot": "hub-overview-rig-search",
                     "expect": ["RIG-GULF-1", "RIG-GULF-2", "Rig or well"]},
                    {"path": "/dashboard/audit", "screenshot": "hub-audit",
                     "expect": ["Audit trail", "The chain holds", "register", "Export CSV", "RIG-OLD-9", "user desk.lead", "user_added"]},
                    {"path": "/dashboard/users", "screenshot": "hub-users",
                     "expect": ["Users", "desk.lead", "night.viewer", "viewer", "Disable", "Add a user", "desk.lead · admin"]},
                    {"path": format!("/dashboard/events/{}/report", reported.as_deref().expect("a seeded event with an outcome")), "screenshot": "hub-event-report",
                     "expect": ["at its peak", "The channels around it", "SPP (psi)", "raised", "Physics when it was raised", "The specialists' votes", "What the crew did", "Logged by the toolpusher <b>after</b> the tour"]},
                    {"path": "/dashboard/insights", "screenshot": "hub-insights",
                     "expect": ["Drilling insights", "Volve", "9,700–10,600 ft", "28–32 klb, 140–160 rpm", "≈ 30 klb", "Hours drilled"]},
                    {"path": "/dashboard/rigs/NO-SUCH-RIG", "status": 404, "screenshot": "hub-not-found",
                     "expect": ["No such rig", "NO-SUCH-RIG"]},
                    {"path": "/dashboard/trends?from=2026-11-20&to=2026-11-01", "status": 400, "screenshot": "hub-bad-range",
                     "expect": ["does not make sense"]}
                ]
            },
            {
                "name": "rig",
                "origin": format!("http://{}", rig.addr),
                "pages": [
                    {"path": "/", "screenshot": "rig-screen", "full_page": false,
                     "first_screen": ".banner",
                     "contrast": [".banner .what", ".banner .words", ".banner .numbers span", ".risk"],
                     "expect": ["RIG-SCREEN", "KICK", "since", "Flow in", "Pit volume", "Flow out", "Δ flow", "Hookload", "MSE", "dc-exponent", "Fleet precedents", "Acknowledge", "Announcements"]},
                    {"path": "/", "screenshot": "rig-screen-silenced", "full_page": false, "silence": true,
                     "expect": ["KICK"]},
                    {"path": format!("/advisories/{kick_id}/acknowledge"), "screenshot": "rig-acknowledge",
                     "pushed": true,
                     "first_screen": ".banner",
                     "expect": ["KICK", "Flow out", "Quick answer", "Flow-checked", "Resolved", "Escalated", "False alarm", "Your name", "Notes (optional)", "Save", "Or shelve this kind of alarm", "Shelve"]},
                    {"path": format!("/incidents/{kick_id}/report"), "screenshot": "rig-incident-report",
                     "expect": ["Kick at", "The channels around it", "Flow out (gpm)", "Pit volume (bbl)", "opened", "Physics at onset and peak", "The specialists' votes", "well control", "Precedents and what worked", "Not acknowledged yet"]},
                    {"path": "/handover", "screenshot": "rig-handover",
                     "expect": ["Shift handover — RIG-SCREEN", "Drilled", "On bottom", "Kick at", "Hour by hour", "Drilling insights"]}
                ]
            },
            {
                "name": "rig-quiet",
                "origin": format!("http://{}", quiet_rig.addr),
                "pages": [
                    {"path": "/", "screenshot": "rig-screen-quiet", "full_page": false,
                     "expect": ["RIG-QUIET", "Drilling insights at", "Fleet: Offset rigs drilled 9,700–10,600 ft fastest at 28–32 klb, 140–160 rpm", "founder ≈ 30 klb"]},
                    {"path": "/handover?hours=6", "screenshot": "rig-handover-quiet",
                     "expect": ["Shift handover — RIG-QUIET", "None in this span", "Offset rigs drilled"]}
                ]
            },
            {
                "name": "rig-stale",
                "origin": format!("http://{}", stale_rig.addr),
                "pages": [
                    {"path": "/", "screenshot": "rig-screen-stale", "full_page": false,
                     "escalation_resounds": true,
                     "expect": ["NO DATA", "detection paused since", "stream stale", "nothing is being watched"]}
                ]
            }
        ]
    });
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, plan.to_string()).expect("plan");
    let out = Command::new("node")
        .arg(format!(
            "{}/scripts/browser/check.mjs",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg(&plan_path)
        .output()
        .expect("node (install it with the machine's Node.js) runs the browser check");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "browser check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
