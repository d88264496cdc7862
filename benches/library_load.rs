//! Load runs for the curator and library sync, with real PostgreSQL and a real hub process:
//! a curation pass over 10,000 new events, a full sync of 50,000 episodes, and unchanged
//! deltas (304) under 200 concurrent clients (with `wrk`, if installed).
//!
//! Run: `cargo bench --bench library_load` (needs PostgreSQL as the tests do).

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::{Duration, Utc};
use common::{event_for, http, percentile, HubProcess, TestDb};
use diesel::prelude::*;
use sairen::hub::curator::pass::{run_pass, WhenBusy};
use sairen::hub::curator::CuratorSettings;
use sairen::hub::db::models::{NewEvent, NewRig};
use std::time::Instant;

const RIGS: usize = 20;

fn add_rigs(conn: &mut PgConnection) {
    for r in 0..RIGS {
        let (id, key) = (format!("RIG-{r:02}"), format!("load{r:02}"));
        let new = NewRig {
            rig_id: &id,
            well_id: "W",
            field: "Volve",
            key_id: &key,
            key_hash: "unused",
        };
        sairen::hub::db::rigs::register(conn, &new, sairen::hub::db::audit::Who::local("bench"))
            .expect("rig");
    }
}

fn curation_of_10k_events() {
    let db = TestDb::new();
    let mut conn = db.conn();
    add_rigs(&mut conn);
    let base = Utc::now() - Duration::days(1);
    let rows: Vec<NewEvent> = (0..10_000usize)
        .map(|i| {
            let (rig, k) = (i % RIGS, (i / RIGS) as i64);
            let mut e = event_for(&format!("RIG-{rig:02}"), base - Duration::seconds(120 * k));
            // Every tenth event repeats the one before it 40 ft deeper: a duplicate to merge.
            let step = if k % 10 == 9 { k - 1 } else { k };
            e.depth_ft = 1_000.0 + 150.0 * step as f64 + if step != k { 40.0 } else { 0.0 };
            NewEvent::from_event(&e).expect("row")
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        diesel::insert_into(sairen::hub::db::schema::events::table)
            .values(chunk)
            .execute(&mut conn)
            .expect("insert");
    }
    let start = Instant::now();
    let report = run_pass(&mut conn, &CuratorSettings::default(), WhenBusy::Wait).expect("pass");
    println!(
        "curation pass over 10,000 new events: {:.1} s — {report}",
        start.elapsed().as_secs_f64()
    );
}

fn seed_50k_episodes(conn: &mut PgConnection) {
    let fixture = std::fs::read_to_string(format!(
        "{}/tests/fixtures/fleet_episode.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    diesel::sql_query(
        "INSERT INTO episodes (id, rig_id, field, category, campaign, risk_level, outcome, depth_from_ft, depth_to_ft, \
         score, occurred_at, payload, change_seq) \
         SELECT 'EP-' || g, 'RIG-' || lpad((g % 20)::text, 2, '0'), 'Volve', 'pack_off', 'production', 'high', 'resolved', \
         1000 + g, 1000 + g, s, now() - make_interval(mins => g), \
         $1::jsonb || jsonb_build_object('id', 'EP-' || g, 'rig_id', 'RIG-' || lpad((g % 20)::text, 2, '0'), \
         'score', s, 'depth_from_ft', 1000 + g, 'depth_to_ft', 1000 + g), nextval('library_change_seq') \
         FROM generate_series(1, 50000) AS g, LATERAL (SELECT round(random()::numeric, 4)::float8 AS s) AS r",
    )
    .bind::<diesel::sql_types::Text, _>(fixture)
    .execute(conn)
    .expect("seed episodes");
}

fn sync_of_50k_episodes() {
    let db = TestDb::new();
    let mut conn = db.conn();
    add_rigs(&mut conn);
    seed_50k_episodes(&mut conn);
    let hub = HubProcess::start(db.url(), "[server]\nworkers = 2\n");
    let key = hub.register("RIG-READER");
    let auth = format!("Bearer {key}");
    let peak_before = hub.peak_rss_kib();
    for (label, accept) in [("zstd", "zstd"), ("identity", "identity")] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let reply = http(
                &hub.addr,
                "GET",
                "/api/fleet/library",
                &[("Authorization", &auth), ("Accept-Encoding", accept)],
                b"",
            )
            .expect("sync");
            times.push(start.elapsed().as_secs_f64());
            assert_eq!(reply.status, 200);
            size = reply.body.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "full sync of 50,000 episodes ({label}): median {:.2} s, best {:.2} s, body {:.1} MB",
            times[2],
            times[0],
            size as f64 / 1e6
        );
    }
    println!(
        "hub peak memory: {:.1} MB before the full syncs, {:.1} MB after (growth {:.1} MB)",
        peak_before as f64 / 1024.0,
        hub.peak_rss_kib() as f64 / 1024.0,
        (hub.peak_rss_kib() - peak_before) as f64 / 1024.0
    );
    // 200 rigs polling at once, each with its own key (one secret, hashed once, keeps setup fast).
    let secret = "0123456789abcdef0123456789abcdef0123456789abcdef";
    let phc = sairen::hub::auth::RigKey::parse(&format!("sk-fleet-0000000000000000.{secret}"))
        .expect("key")
        .hash()
        .expect("hash");
    let mut keys = Vec::new();
    for i in 0..200 {
        let key_id = format!("{:016x}", 0xfeed_0000_u64 + i);
        let (id, well) = (format!("POLL-{i:03}"), "W".to_owned());
        let new = NewRig {
            rig_id: &id,
            well_id: &well,
            field: "Volve",
            key_id: &key_id,
            key_hash: &phc,
        };
        sairen::hub::db::rigs::register(
            &mut conn,
            &new,
            sairen::hub::db::audit::Who::local("bench"),
        )
        .expect("rig");
        keys.push(format!("sk-fleet-{key_id}.{secret}"));
    }
    let version = http(&hub.addr, "GET", "/api/fleet/health", &[], b"")
        .expect("health")
        .json()["library_version"]
        .as_i64()
        .expect("version");
    // Every rig has synced once (its key verified and cached): the steady state being measured.
    for key in &keys {
        let reply = http(
            &hub.addr,
            "GET",
            &format!("/api/fleet/library?since={version}"),
            &[("Authorization", &format!("Bearer {key}"))],
            b"",
        )
        .expect("first sync");
        assert_eq!(reply.status, 304);
    }
    let script = std::env::temp_dir().join(format!("sairen-304-{}.lua", std::process::id()));
    let list = keys
        .iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        &script,
        format!(
            "local keys = {{{list}}}\n\
             request = function()\n\
               local k = keys[math.random(#keys)]\n\
               return wrk.format(\"GET\", \"/api/fleet/library?since={version}\", {{[\"Authorization\"] = \"Bearer \" .. k}})\n\
             end\n"
        ),
    )
    .expect("lua");
    let url = format!("http://{}", hub.addr);
    let warm = std::process::Command::new("wrk")
        .args(["-t2", "-c200", "-d5s", "-s"])
        .arg(&script)
        .arg(&url)
        .output();
    match warm {
        Ok(_) => {
            let out = std::process::Command::new("wrk")
                .args(["-t2", "-c200", "-d10s", "--latency", "-s"])
                .arg(&script)
                .arg(&url)
                .output()
                .expect("wrk");
            println!(
                "unchanged delta (304), 200 rigs, wrk -t2 -c200 -d10s:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
            // What the hub answered, from its request log ("… STATUS BYTES TIMEms …").
            let mut statuses = std::collections::BTreeMap::<String, usize>::new();
            let log = hub.log_text();
            for line in log.lines().filter(|l| l.contains("/api/fleet/library?")) {
                if let Some(status) = line
                    .split("HTTP/1.1\" ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                {
                    *statuses.entry(status.to_owned()).or_default() += 1;
                }
            }
            println!("hub answers by status (warm-up included): {statuses:?}");
            for line in log
                .lines()
                .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                .take(10)
            {
                println!("  hub: {line}");
            }
        }
        Err(e) => println!(
            "wrk not available ({e}): apt-get install wrk to measure 304s under 200 clients"
        ),
    }
    let _ = std::fs::remove_file(script);
    // The same 200 rigs at a fixed rate, as rigs really poll (each every `sync_interval_secs`),
    // but 10 and 50 times a second each: 3,000 and 15,000 times the rate of a 5-minute interval.
    // A herd: all 200 rigs ask for the whole library within one second (a fleet's first day, or
    // every rig after the hub's database was restored from a backup).
    let rss_before = hub.rss_kib();
    let herd_start = Instant::now();
    let (latencies, refused) = open_loop(&hub.addr, &keys, "/api/fleet/library", 1.0, 1.0, 200);
    println!(
        "full sync of 50,000 episodes (zstd), 200 rigs within 1 s: all answered after {:.1} s \
         ({} answered, {refused} refused); p50 {:.1} s, p99 {:.1} s; hub resident {:.0} MB before, \
         peak {:.0} MB",
        herd_start.elapsed().as_secs_f64(),
        latencies.len(),
        percentile(&latencies, 0.50) / 1e3,
        percentile(&latencies, 0.99) / 1e3,
        rss_before as f64 / 1024.0,
        hub.peak_rss_kib() as f64 / 1024.0
    );
    // A delta: the 20 newest changes (what a rig a curation pass or two behind receives).
    let delta = format!("/api/fleet/library?since={}", version - 20);
    for hz in [0.2, 1.0] {
        let (latencies, refused) = open_loop(&hub.addr, &keys, &delta, hz, 20.0, 200);
        println!(
            "delta of 20 episodes (200), 200 rigs × {hz} req/s open loop for 20 s ({} answered, \
             {refused} refused): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            latencies.len(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.90),
            percentile(&latencies, 0.99),
            percentile(&latencies, 0.999),
            latencies.last().copied().unwrap_or(0.0)
        );
    }
    let path = format!("/api/fleet/library?since={version}");
    for hz in [10.0, 50.0] {
        let (latencies, refused) = open_loop(&hub.addr, &keys, &path, hz, 10.0, 304);
        assert_eq!(refused, 0, "every unchanged sync is a 304");
        println!(
            "unchanged delta (304), 200 rigs × {hz} req/s open loop for 10 s ({} requests): \
             p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            latencies.len(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.90),
            percentile(&latencies, 0.99),
            percentile(&latencies, 0.999),
            latencies.last().copied().unwrap_or(0.0)
        );
    }
}

fn open_loop(
    addr: &str,
    keys: &[String],
    path: &str,
    per_client_hz: f64,
    seconds: f64,
    expect_status: u16,
) -> (Vec<f64>, usize) {
    use std::io::{BufRead, BufReader, Write};
    let period = std::time::Duration::from_secs_f64(1.0 / per_client_hz);
    let start = Instant::now() + std::time::Duration::from_millis(500);
    let end = start + std::time::Duration::from_secs_f64(seconds);
    let threads: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: zstd\r\n\r\n"
            );
            let addr = addr.to_owned();
            let phase = period.mul_f64(i as f64 / keys.len() as f64);
            std::thread::spawn(move || {
                let connect = || {
                    let stream = std::net::TcpStream::connect(&addr).expect("connect");
                    stream.set_nodelay(true).expect("nodelay");
                    (stream.try_clone().expect("clone"), BufReader::new(stream))
                };
                // Polls further apart than the hub's keep-alive (5 s) come on a new connection,
                // as a rig polling every few minutes does.
                let fresh = period > std::time::Duration::from_secs(1);
                let (mut writer, mut reader) = connect();
                let mut latencies = Vec::new();
                let mut refused = 0usize;
                let mut due = start + phase;
                let mut line = String::new();
                while due < end {
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    if fresh {
                        (writer, reader) = connect();
                    }
                    writer.write_all(request.as_bytes()).expect("send");
                    // Status line, headers, then the body by its Content-Length (none for 304).
                    let mut status_ok = false;
                    let mut length = 0usize;
                    let mut chunked = false;
                    loop {
                        line.clear();
                        reader.read_line(&mut line).expect("read");
                        if line.starts_with("HTTP/1.1 ") {
                            status_ok = line.starts_with(&format!("HTTP/1.1 {expect_status}"));
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().expect("content-length");
                        }
                        chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                    }
                    if !status_ok {
                        refused += 1;
                    }
                    let mut body = vec![0u8; length];
                    std::io::Read::read_exact(&mut reader, &mut body).expect("body");
                    while chunked {
                        line.clear();
                        reader.read_line(&mut line).expect("chunk size");
                        let size = usize::from_str_radix(line.trim(), 16).expect("chunk size");
                        let mut chunk = vec![0u8; size + 2]; // the chunk and its CRLF
                        std::io::Read::read_exact(&mut reader, &mut chunk).expect("chunk");
                        chunked = size > 0;
                    }
                    if status_ok {
                        latencies.push(due.elapsed().as_secs_f64() * 1e3);
                    }
                    due += period;
                }
                (latencies, refused)
            })
        })
        .collect();
    let (mut all, mut refused) = (Vec::new(), 0);
    for t in threads {
        let (l, r) = t.join().expect("client");
        all.extend(l);
        refused += r;
    }
    all.sort_by(f64::total_cmp);
    (all, refused)
}

fn main() {
    // `cargo bench --bench library_load -- sync` runs only the parts whose name contains "sync".
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if wanted("curation") {
        curation_of_10k_events();
    }
    if wanted("sync") {
        sync_of_50k_episodes();
    }
}
