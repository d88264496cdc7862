//! A real `sairen hub serve` process: memory under a zstd bomb, graceful shutdown with a
//! request in flight, PostgreSQL stopping and coming back, and the admin CLI against it.

mod common;

use chrono::Utc;
use common::{
    event_for, http, read_reply, wait_until, HubProcess, PrivateCluster, TestDb, ADMIN_KEY,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

fn upload(hub: &HubProcess, key: &str, body: &[u8], zstd: bool) -> common::Reply {
    let auth = format!("Bearer {key}");
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    if zstd {
        headers.push(("Content-Encoding", "zstd"));
    }
    http(&hub.addr, "POST", "/api/fleet/events", &headers, body).expect("hub answers")
}

#[test]
fn a_zstd_bomb_gets_413_and_the_hub_does_not_grow() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "[server]\nworkers = 2\n");
    let key = hub.register("RIG-BOMB");
    // 4 GiB of zeros packs into about 130 KiB: under the 1 MiB sent limit.
    let bomb = zstd::stream::encode_all(std::io::repeat(0).take(4 << 30), 1).expect("bomb");
    assert!(bomb.len() < 1 << 20, "bomb is {} bytes", bomb.len());

    // Warm every code path once (allocator arenas, worker threads), then measure.
    let base = Utc::now();
    for i in 0..3 {
        let event = event_for("RIG-BOMB", base - chrono::Duration::seconds(10 + i));
        let body = sairen::fleet::codec::encode_json(&event, sairen::fleet::codec::Encoding::Zstd)
            .expect("encode");
        let reply = upload(&hub, &key, &body, true);
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(upload(&hub, &key, &bomb, true).status, 413);
    }
    // The warm-up uploads woke the curator: let its pass finish so it is not measured.
    let curated = wait_until(Duration::from_secs(30), || {
        http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
            .map(|r| r.status == 200 && r.json()["events_awaiting_curation"] == 0)
            .unwrap_or(false)
    });
    assert!(curated, "curator did not catch up\n{}", hub.log_text());
    std::thread::sleep(Duration::from_millis(500));
    let before = hub.rss_kib();
    for _ in 0..5 {
        let reply = upload(&hub, &key, &bomb, true);
        assert_eq!(
            reply.status,
            413,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert!(reply.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("exceeds the limit"));
    }
    let after = hub.rss_kib();
    assert!(
        after <= before + 4 * 1024,
        "RSS grew from {before} KiB to {after} KiB under 5 bombs"
    );
}

/// The largest event the contract lets a rig send: every list at its bound, every text at its
/// length, and an unknown field padding the body to just under the 10 MiB decoded limit (it
/// packs into a few kilobytes of zstd).
fn maximal_event(rig: &str, at: chrono::DateTime<Utc>, n: usize) -> Vec<u8> {
    let mut e = serde_json::to_value(event_for(rig, at)).expect("json");
    e["id"] = format!("{rig}-{}-{}", at.timestamp(), n % 10_000).into();
    let snapshot = e["history_window"][0].clone();
    e["history_window"] = vec![snapshot; sairen::fleet::MAX_HISTORY].into();
    let physics = e["advisory"]["physics"][0].clone();
    e["advisory"]["physics"] = vec![physics; 32].into();
    let vote = e["advisory"]["votes"][0].clone();
    e["advisory"]["votes"] = vec![vote; 16].into();
    let text = "Pack-off developing: reduce WOB and circulate. ".repeat(85);
    let text: String = text
        .chars()
        .take(sairen::hub::intake::MAX_TEXT_CHARS)
        .collect();
    e["advisory"]["recommendation"] = text.clone().into();
    e["advisory"]["reasoning"] = text.clone().into();
    e["notes"] = text.into();
    let size = serde_json::to_vec(&e).expect("json").len();
    e["padding"] = "x".repeat((10 << 20) - size - 1_024).into();
    let json = serde_json::to_vec(&e).expect("json");
    zstd::stream::encode_all(&json[..], 3).expect("zstd")
}

/// Issue 17: 16 uploads at once of 100,000 tiny snapshots took a hub to 5.1 GB, and a rig's
/// page loaded 2.7 GB to send 1.9 KB. Now a burst of the largest legal events — 16 at a time,
/// 32 in all — then 16 rig pages at once and the curation of all of them stay under a stated
/// bound of resident memory above the hub's settled size (README: "Memory under load").
#[test]
fn a_burst_of_maximal_legal_events_keeps_the_hub_under_its_memory_bound() {
    const BOUND_MIB: u64 = 200;
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "[server]\nworkers = 2\n");
    let rigs: Vec<(String, String)> = (0..4)
        .map(|i| {
            let rig = format!("RIG-MAX-{i}");
            let key = hub.register(&rig);
            (rig, key)
        })
        .collect();
    let base = Utc::now() - chrono::Duration::minutes(30);
    // Warm-up: one of each, curated, so allocator arenas and the pool exist before measuring.
    for (i, (rig, key)) in rigs.iter().enumerate() {
        let body = maximal_event(rig, base, 1_000 + i);
        let reply = upload(&hub, key, &body, true);
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let idle = || {
        wait_until(Duration::from_secs(120), || {
            http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
                .map(|r| r.status == 200 && r.json()["events_awaiting_curation"] == 0)
                .unwrap_or(false)
        })
    };
    assert!(idle(), "curator did not catch up\n{}", hub.log_text());
    let settled = hub.rss_kib();
    hub.reset_peak_rss();

    let bodies: Vec<Vec<Vec<u8>>> = (0..16)
        .map(|t| {
            (0..2)
                .map(|k| {
                    let (rig, _) = &rigs[t % 4];
                    let at = base + chrono::Duration::seconds((t * 10 + k) as i64);
                    maximal_event(rig, at, t * 10 + k)
                })
                .collect()
        })
        .collect();
    std::thread::scope(|scope| {
        for (t, mine) in bodies.iter().enumerate() {
            let (_, key) = &rigs[t % 4];
            let hub = &hub;
            scope.spawn(move || {
                for body in mine {
                    let reply = upload(hub, key, body, true);
                    assert_eq!(
                        reply.status,
                        201,
                        "{}",
                        String::from_utf8_lossy(&reply.body)
                    );
                }
            });
        }
    });
    std::thread::scope(|scope| {
        for t in 0..16 {
            let hub = &hub;
            let path = format!("/api/fleet/rigs/{}", rigs[t % 4].0);
            scope.spawn(move || {
                let headers = common::admin_headers();
                let reply = http(&hub.addr, "GET", &path, &headers, b"").expect("rig page");
                assert_eq!(reply.status, 200);
                assert!(reply.body.len() < 64 << 10, "{} bytes", reply.body.len());
            });
        }
    });
    assert!(idle(), "curator did not catch up\n{}", hub.log_text());
    let peak = hub.peak_rss_kib();
    let grew_mib = peak.saturating_sub(settled) / 1024;
    println!(
        "hub memory: settled {} MiB, peak {} MiB under 32 maximal events 16 at a time, 16 rig pages and their curation (+{grew_mib} MiB)",
        settled / 1024,
        peak / 1024
    );
    assert!(
        grew_mib <= BOUND_MIB,
        "peak {peak} KiB is {grew_mib} MiB above the settled {settled} KiB (bound {BOUND_MIB} MiB)"
    );
}

/// Issue 18's herd: 200 rigs asking for the whole library within a second got 190 refusals
/// (each full answer held a pool connection while it was read). Now the whole library is read
/// once per version and shared: 60 full syncs at once on a pool of two are all answered, each
/// without the asking rig's own episodes, from one read.
#[test]
fn a_herd_of_full_syncs_on_a_small_pool_is_all_answered_from_one_read() {
    let db = TestDb::new();
    let hub = HubProcess::start(
        db.url(),
        "[database]\npool_size = 2\n[curator]\ncuration_interval_secs = 1\n",
    );
    let rigs: Vec<(String, String)> = ["RIG-HERD-A", "RIG-HERD-B", "RIG-HERD-C"]
        .iter()
        .map(|r| (r.to_string(), hub.register(r)))
        .collect();
    let base = Utc::now() - chrono::Duration::days(2);
    for (i, (rig, key)) in rigs.iter().take(2).enumerate() {
        for n in 0..15 {
            // Hours apart: each its own episode.
            let at = base + chrono::Duration::hours(n + 20 * i as i64);
            let body = serde_json::to_vec(&event_for(rig, at)).expect("json");
            let reply = upload(&hub, key, &body, false);
            assert_eq!(
                reply.status,
                201,
                "{}",
                String::from_utf8_lossy(&reply.body)
            );
        }
    }
    let curated = wait_until(Duration::from_secs(60), || {
        http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
            .map(|r| r.json()["events_awaiting_curation"] == 0 && r.json()["active_episodes"] == 30)
            .unwrap_or(false)
    });
    assert!(curated, "curator did not catch up\n{}", hub.log_text());
    let answers: Vec<(String, u16, serde_json::Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..60)
            .map(|t| {
                let (rig, key) = &rigs[t % 3];
                let hub = &hub;
                scope.spawn(move || {
                    let auth = format!("Bearer {key}");
                    let reply = http(
                        &hub.addr,
                        "GET",
                        "/api/fleet/library",
                        &[("Authorization", auth.as_str())],
                        b"",
                    )
                    .expect("sync");
                    let body = serde_json::from_slice(&reply.body).unwrap_or_default();
                    (rig.clone(), reply.status, body)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for (rig, status, body) in &answers {
        assert_eq!(*status, 200, "{rig}: {body}");
        assert_eq!(body["full"], true);
        let episodes = body["episodes"].as_array().expect("episodes");
        let expected = if rig == "RIG-HERD-C" { 30 } else { 15 };
        assert_eq!(episodes.len(), expected, "{rig} gets the others' episodes");
        assert!(
            episodes.iter().all(|e| e["rig_id"] != rig.as_str()),
            "{rig} got its own episodes back"
        );
        assert_eq!(body["total_fleet_episodes"], 30);
    }
    let metrics = http(&hub.addr, "GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body);
    assert_eq!(
        common::metric(&text, "sairen_hub_full_library_reads_total"),
        Some(1.0),
        "one read for the whole herd:\n{text}"
    );
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let db = TestDb::new();
    let mut hub = HubProcess::start(db.url(), "[server]\nshutdown_grace_secs = 20\n");
    let key = hub.register("RIG-TERM");
    let body = serde_json::to_vec(&event_for("RIG-TERM", Utc::now())).expect("json");
    let (first, rest) = body.split_at(body.len() / 2);

    let mut stream = TcpStream::connect(&hub.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let head = format!(
        "POST /api/fleet/events HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(first).expect("first half");
    std::thread::sleep(Duration::from_millis(500));
    hub.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(rest).expect("second half");
    let reply = read_reply(stream).expect("reply");
    assert_eq!(
        reply.status,
        201,
        "the request in flight completes: {}",
        String::from_utf8_lossy(&reply.body)
    );

    let start = Instant::now();
    let status = loop {
        if let Some(s) = hub.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(25),
            "hub did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "clean exit after SIGTERM: {status:?}\n{}",
        hub.log_text()
    );
    let id = reply.json()["id"].as_str().expect("id").to_owned();
    let stored = sairen::hub::db::events::get(&mut db.conn(), &id).expect("query");
    assert!(stored.is_some(), "the 201 event is stored");
}

#[test]
fn postgres_stopping_gives_503_and_the_hub_recovers_by_itself() {
    let cluster = PrivateCluster::start();
    let hub = HubProcess::start(&cluster.url(), "[database]\nacquire_timeout_ms = 1000\n");
    let key = hub.register("RIG-PG");
    let before = event_for("RIG-PG", Utc::now() - chrono::Duration::seconds(60));
    let accepted = upload(
        &hub,
        &key,
        &serde_json::to_vec(&before).expect("json"),
        false,
    );
    assert_eq!(accepted.status, 201);

    cluster.down();
    let health = http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
        .expect("health answers while the database is down");
    assert_eq!(
        health.status,
        503,
        "{}",
        String::from_utf8_lossy(&health.body)
    );
    assert_eq!(health.json()["code"], "unavailable");
    assert!(health.header("retry-after").is_some());
    assert!(
        !String::from_utf8_lossy(&health.body).contains("src/"),
        "no internals in the body"
    );
    let during = event_for("RIG-PG", Utc::now() - chrono::Duration::seconds(30));
    let refused = upload(
        &hub,
        &key,
        &serde_json::to_vec(&during).expect("json"),
        false,
    );
    assert_eq!(
        refused.status,
        503,
        "a write while the database is down: {}",
        String::from_utf8_lossy(&refused.body)
    );

    cluster.up();
    let healthy = wait_until(Duration::from_secs(30), || {
        http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
            .map(|r| r.status == 200)
            .unwrap_or(false)
    });
    assert!(
        healthy,
        "the hub serves again without a restart\n{}",
        hub.log_text()
    );
    let retried = upload(
        &hub,
        &key,
        &serde_json::to_vec(&during).expect("json"),
        false,
    );
    assert_eq!(
        retried.status,
        201,
        "the rig's retry lands: {}",
        String::from_utf8_lossy(&retried.body)
    );
    let auth = format!("Bearer {key}");
    let kept = http(
        &hub.addr,
        "GET",
        &format!("/api/fleet/events/{}", before.id),
        &[("Authorization", auth.as_str())],
        b"",
    )
    .expect("get");
    assert_eq!(
        kept.status, 200,
        "the event that got a 201 before the outage is still there"
    );
}

fn admin(hub_url: &str, key: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sairen"));
    cmd.arg("admin")
        .arg("--hub-url")
        .arg(hub_url)
        .args(args)
        .env_remove("SAIREN_ADMIN_KEY");
    if let Some(k) = key {
        cmd.env("SAIREN_ADMIN_KEY", k);
    }
    let out = cmd.output().expect("run sairen admin");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_admin_cli_manages_rigs_and_explains_failures() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    let url = format!("http://{}", hub.addr);
    let key = Some(ADMIN_KEY);

    let (ok, out, err) = admin(
        &url,
        key,
        &[
            "register-rig",
            "--rig-id",
            "RIG-CLI-1",
            "--well-id",
            "NO 15/9-F-9",
            "--field",
            "Volve",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("RIG-CLI-1") && out.contains("sk-fleet-") && out.contains("shown once"),
        "{out}"
    );

    let (ok, out, err) = admin(
        &url,
        key,
        &[
            "--json",
            "register-rig",
            "--rig-id",
            "RIG-CLI-2",
            "--well-id",
            "W2",
            "--field",
            "Volve",
        ],
    );
    assert!(ok, "{err}");
    let reg: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert!(reg["api_key"]
        .as_str()
        .is_some_and(|k| k.starts_with("sk-fleet-")));

    let (ok, _, err) = admin(
        &url,
        key,
        &[
            "register-rig",
            "--rig-id",
            "RIG-CLI-1",
            "--well-id",
            "W",
            "--field",
            "F",
        ],
    );
    assert!(!ok && err.contains("already registered"), "{err}");

    let (ok, out, _) = admin(&url, key, &["list-rigs"]);
    assert!(
        ok && out.contains("RIG-CLI-1") && out.contains("RIG-CLI-2") && out.contains("LAST SEEN"),
        "{out}"
    );
    let (ok, out, _) = admin(&url, key, &["--json", "list-rigs"]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .expect("json")
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let (ok, out, _) = admin(&url, key, &["show-rig", "RIG-CLI-1"]);
    assert!(
        ok && out.contains("key id") && out.contains("no events yet"),
        "{out}"
    );
    let (ok, _, err) = admin(&url, key, &["show-rig", "RIG-NOPE"]);
    assert!(!ok && err.contains("no rig RIG-NOPE"), "{err}");

    let (ok, out, _) = admin(&url, key, &["revoke-rig", "RIG-CLI-2"]);
    assert!(ok && out.contains("revoked"), "{out}");

    let (ok, _, err) = admin(&url, Some("definitely-the-wrong-key"), &["list-rigs"]);
    assert!(!ok && err.contains("refused the admin key"), "{err}");
    let (ok, _, err) = admin(&url, None, &["list-rigs"]);
    assert!(!ok && err.contains("SAIREN_ADMIN_KEY is not set"), "{err}");
    let dead = format!("http://127.0.0.1:{}", common::free_port());
    let (ok, _, err) = admin(&dead, key, &["list-rigs"]);
    assert!(!ok && err.contains("cannot reach the hub"), "{err}");
}

/// `sairen admin user`, as an administrator runs it: the password on standard input (never an
/// argument), a table back, and a user who signs in to the real hub and is then disabled.
#[test]
fn the_admin_cli_manages_users_with_the_password_on_stdin() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    let url = format!("http://{}", hub.addr);

    let added = hub.add_user("shift.lead", "operator", "a long shift passphrase");
    let out = String::from_utf8_lossy(&added.stdout);
    assert!(
        added.status.success() && out.contains("shift.lead") && out.contains("operator"),
        "{added:?}"
    );
    let short = hub.add_user("shorty", "viewer", "short");
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"),
        "{short:?}"
    );
    let bad_role = hub.add_user("rooty", "root", "a long root passphrase");
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("viewer, operator or admin"));

    let sign_in = |password: &str| {
        let form = format!("user=shift.lead&password={}", password.replace(' ', "+"));
        common::http(
            &hub.addr,
            "POST",
            "/dashboard/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        )
        .expect("sign in")
        .status
    };
    assert_eq!(sign_in("a long shift passphrase"), 303);

    let (ok, out, err) = admin(&url, Some(ADMIN_KEY), &["user", "list"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("LAST SIGN-IN") && out.contains("shift.lead") && out.contains("enabled"),
        "{out}"
    );
    let (ok, out, err) = admin(&url, Some(ADMIN_KEY), &["user", "disable", "shift.lead"]);
    assert!(ok && out.contains("disabled"), "{out}{err}");
    assert_eq!(sign_in("a long shift passphrase"), 401);
    let (ok, _, err) = admin(&url, Some(ADMIN_KEY), &["user", "disable", "nobody"]);
    assert!(!ok && err.contains("no user nobody"), "{err}");
    let (ok, out, _) = admin(
        &url,
        Some(ADMIN_KEY),
        &["audit", "list", "--action", "user_added"],
    );
    assert!(ok && out.contains("shift.lead"), "{out}");
}

#[test]
fn a_bad_database_url_is_reported_once_in_libpqs_words_before_anything_starts() {
    let port = common::free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_sairen"))
        .args(["hub", "serve", "--bind", "127.0.0.1:0"])
        .env("SAIREN_ADMIN_KEY", ADMIN_KEY)
        .env(
            "DATABASE_URL",
            format!("postgres://nobody:pw@127.0.0.1:{port}/none"),
        )
        .output()
        .expect("run the hub");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_eq!(
        err.matches("Connection refused").count(),
        1,
        "one line, libpq's reason once:\n{err}"
    );
    assert!(!err.contains("r2d2"), "no pool retries logged:\n{err}");
    assert!(
        err.contains(&format!(
            "cannot connect to postgres://nobody:***@127.0.0.1:{port}/none"
        )),
        "names the URL without its password:\n{err}"
    );
}

#[test]
fn metrics_count_real_traffic_pass_promtool_and_need_the_token_when_one_is_set() {
    let db = TestDb::new();
    let token = "metrics-token-0123456789";
    let hub = HubProcess::start_with_env(
        db.url(),
        "",
        "127.0.0.1:0",
        &[("SAIREN_METRICS_TOKEN", token)],
    );
    let key = hub.register("RIG-METRICS-1");
    let event = event_for("RIG-METRICS-1", Utc::now() - chrono::Duration::minutes(5));
    let body = serde_json::to_vec(&event).expect("json");
    assert_eq!(upload(&hub, &key, &body, false).status, 201);
    assert_eq!(upload(&hub, &key, &body, false).status, 409);
    assert_eq!(
        upload(&hub, &key, b"{\"not\": \"an event\"}", false).status,
        400
    );
    let auth = format!("Bearer {key}");
    let sync = |since: &str| {
        http(
            &hub.addr,
            "GET",
            &format!("/api/fleet/library{since}"),
            &[("Authorization", auth.as_str())],
            b"",
        )
        .expect("sync")
        .status
    };
    assert_eq!(sync(""), 200);
    let wrong = format!(
        "Bearer {}",
        "sk-fleet-0000000000000000.wrongwrongwrongwrong"
    );
    let refused = http(
        &hub.addr,
        "GET",
        "/api/fleet/library",
        &[("Authorization", wrong.as_str())],
        b"",
    )
    .expect("refused");
    assert!(matches!(refused.status, 401 | 403), "{}", refused.status);
    assert_eq!(
        http(&hub.addr, "GET", "/no/such/route/42", &[], b"")
            .expect("404")
            .status,
        404
    );

    let scrape = |auth: Option<&str>| {
        let header = auth.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = header
            .as_deref()
            .map(|h| vec![("Authorization", h)])
            .unwrap_or_default();
        http(&hub.addr, "GET", "/metrics", &headers, b"").expect("scrape")
    };
    assert_eq!(scrape(None).status, 401, "a token is set: it is needed");
    assert_eq!(scrape(Some("not-the-metrics-token-xx")).status, 403);
    assert_eq!(
        scrape(Some(ADMIN_KEY)).status,
        403,
        "the admin key is no scrape key"
    );
    let reply = scrape(Some(token));
    assert_eq!(reply.status, 200);
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    common::promtool_check(&text);
    common::dashboard_series_exposed("grafana-hub.json", &text, &[]);
    let m = |series: &str| common::metric(&text, series);
    assert_eq!(
        m(r#"sairen_hub_uploads_total{result="accepted"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        m(r#"sairen_hub_uploads_total{result="duplicate"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(r#"sairen_hub_uploads_total{result="refused"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(
            r#"sairen_hub_http_requests_total{route="/api/fleet/events",method="POST",status="201"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        m(r#"sairen_hub_http_requests_total{route="unmatched",method="GET",status="404"}"#),
        Some(1.0),
        "unknown paths are one series, never one per path:\n{text}"
    );
    assert!(m(r#"sairen_hub_sync_answers_total{kind="full"}"#).is_some_and(|n| n >= 1.0));
    assert!(
        m(r#"sairen_hub_key_checks_total{who="rig",result="refused"}"#).is_some_and(|n| n >= 1.0)
    );
    assert!(
        m(r#"sairen_hub_key_checks_total{who="admin",result="verified"}"#)
            .is_some_and(|n| n >= 1.0)
    );
    assert_eq!(m("sairen_hub_database_up"), Some(1.0));
    assert!(m("sairen_hub_db_pool_max_connections").is_some_and(|n| n >= 1.0));
    assert!(
        m(r#"sairen_hub_http_request_duration_seconds_count{route="/api/fleet/events"}"#)
            .is_some_and(|n| n >= 3.0),
        "{text}"
    );
    // The curator takes the event: the backlog drains and the library's version moves.
    let drained = wait_until(Duration::from_secs(30), || {
        let text = String::from_utf8_lossy(&scrape(Some(token)).body).into_owned();
        common::metric(&text, "sairen_hub_curator_backlog_events") == Some(0.0)
            && common::metric(&text, "sairen_hub_library_version").is_some_and(|v| v >= 1.0)
            && common::metric(&text, "sairen_hub_curator_passes_total").is_some_and(|n| n >= 1.0)
    });
    assert!(drained, "curation never showed in /metrics");
}

#[test]
fn json_logs_give_each_request_its_route_status_and_rig() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "[log]\nformat = \"json\"\n");
    let key = hub.register("RIG-JSONLOG-1");
    let event = event_for("RIG-JSONLOG-1", Utc::now() - chrono::Duration::minutes(5));
    let body = serde_json::to_vec(&event).expect("json");
    assert_eq!(upload(&hub, &key, &body, false).status, 201);
    let logged = wait_until(Duration::from_secs(10), || {
        hub.log_text().contains("\"route\":\"/api/fleet/events\"")
    });
    assert!(logged, "{}", hub.log_text());
    let lines = hub.log.lock().expect("log").clone();
    let parsed = common::json_log_lines(&lines);
    let upload_line = parsed
        .iter()
        .find(|l| l["route"] == "/api/fleet/events")
        .expect("the upload's line");
    assert_eq!(upload_line["status"], 201, "{upload_line}");
    assert_eq!(upload_line["method"], "POST");
    assert_eq!(
        upload_line["rig"], "RIG-JSONLOG-1",
        "the key's rig, not a claimed one"
    );
    assert!(upload_line["ms"].is_number());
    assert!(
        !hub.log_text().contains("sk-fleet-"),
        "no key reaches the log"
    );
}
