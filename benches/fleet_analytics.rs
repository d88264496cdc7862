//! Load run for fleet analytics at issue 18's sizes: 1,000 rigs in 64 regions heartbeating every
//! 30 s into a real `sairen hub serve` (latency and the hub's memory), one aggregation pass over
//! them (roll-ups, health, ranks, outliers), and the overview and regions pages at 1,000 rigs.
//!
//! Run: `cargo bench --bench fleet_analytics` (needs PostgreSQL as the tests do).
//! `SAIREN_BEAT_ROUNDS` sets the 30-second rounds of heartbeats (default 3).

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::Utc;
use common::{http, percentile, HubProcess, TestDb, ADMIN_KEY};
use diesel::prelude::*;
use sairen::fleet::codec::{encode_json, Encoding};
use sairen::fleet::{Heartbeat, RigId};
use sairen::hub::analytics::pass::run_pass;
use sairen::hub::analytics::regions::Regions;
use sairen::hub::analytics::AnalyticsSettings;
use sairen::hub::auth::{RigKey, KEY_PREFIX};
use sairen::hub::db::models::NewRig;
use sairen::hub::db::schema::rigs;
use sairen::hub::db::WhenBusy;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RIGS: usize = 1_000;
const REGIONS: usize = 64;
const ROUND: Duration = Duration::from_secs(30);
/// Client threads sending the fleet's heartbeats (a rig's beat waits for none of the others).
const SENDERS: usize = 8;

fn rounds() -> usize {
    std::env::var("SAIREN_BEAT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

fn rig_id(i: usize) -> String {
    format!("FLEET-{i:04}")
}

fn field(i: usize) -> String {
    format!("Field {}", i % REGIONS)
}

/// 1,000 rigs registered straight into the table, all with one secret (one argon2 hash made
/// once; each rig still has its own key id, and the hub still checks each key once).
fn register_fleet(db: &TestDb) -> Vec<String> {
    let full = RigKey::generate().reveal();
    let secret = full
        .expose()
        .split_once('.')
        .map(|(_, s)| s.to_owned())
        .expect("key.secret");
    let hash = RigKey::parse(full.expose())
        .expect("key")
        .hash()
        .expect("hash");
    let key_ids: Vec<String> = (0..RIGS)
        .map(|i| format!("{:016x}", 0xfeed_0000 + i))
        .collect();
    let (ids, fields): (Vec<String>, Vec<String>) =
        (0..RIGS).map(|i| (rig_id(i), field(i))).unzip();
    let rows: Vec<NewRig> = (0..RIGS)
        .map(|i| NewRig {
            rig_id: &ids[i],
            well_id: "WELL-1",
            field: &fields[i],
            key_id: &key_ids[i],
            key_hash: &hash,
        })
        .collect();
    let mut conn = db.conn();
    diesel::insert_into(rigs::table)
        .values(&rows)
        .execute(&mut conn)
        .expect("rigs");
    key_ids
        .iter()
        .map(|id| format!("{KEY_PREFIX}{id}.{secret}"))
        .collect()
}

/// Rig `i`'s heartbeat: calm, each rig a little different, every 97th in a kick and every 211th
/// with uploads refused for good.
fn beat(i: usize) -> Vec<u8> {
    let mut b = Heartbeat::calm(RigId::parse(&rig_id(i)).expect("id"), &field(i), Utc::now());
    b.interval_secs = 30.0;
    b.on_bottom_secs = 30.0 * (0.5 + (i % 5) as f64 * 0.1);
    b.rop_ft_h = Some(40.0 + (i * 7 % 41) as f64);
    b.mse_efficiency = Some(0.25 + (i % 9) as f64 * 0.015);
    b.alarms_last_hour = (i % 4) as u32;
    if i % 97 == 0 {
        b.incidents.critical = 1;
        b.incidents.unacknowledged = 1;
    }
    if i % 211 == 0 {
        b.dead_letters = 300;
    }
    encode_json(&b, Encoding::Zstd).expect("zstd")
}

/// One round: every rig beats once, spread evenly over 30 s; each beat's latency in ms.
fn round(addr: &str, keys: &Arc<Vec<String>>) -> Vec<f64> {
    let start = Instant::now();
    let threads: Vec<_> = (0..SENDERS)
        .map(|t| {
            let (addr, keys) = (addr.to_owned(), keys.clone());
            std::thread::spawn(move || {
                let mut times = Vec::new();
                for i in (t..RIGS).step_by(SENDERS) {
                    let due = ROUND.mul_f64(i as f64 / RIGS as f64);
                    if let Some(wait) = due.checked_sub(start.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let body = beat(i);
                    let auth = format!("Bearer {}", keys[i]);
                    let t0 = Instant::now();
                    let reply = http(
                        &addr,
                        "POST",
                        "/api/fleet/heartbeat",
                        &[
                            ("Authorization", &auth),
                            ("Content-Type", "application/json"),
                            ("Content-Encoding", "zstd"),
                        ],
                        &body,
                    )
                    .expect("heartbeat");
                    times.push(t0.elapsed().as_secs_f64() * 1e3);
                    assert_eq!(
                        reply.status,
                        200,
                        "{}",
                        String::from_utf8_lossy(&reply.body)
                    );
                }
                times
            })
        })
        .collect();
    let times = threads
        .into_iter()
        .flat_map(|t| t.join().expect("sender"))
        .collect();
    if let Some(rest) = ROUND.checked_sub(start.elapsed()) {
        std::thread::sleep(rest);
    }
    times
}

fn quantiles(mut times: Vec<f64>) -> String {
    times.sort_by(f64::total_cmp);
    format!(
        "p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0)
    )
}

/// `path` as the administrator, `n` times: the median time in ms and the body's size in KB.
fn page(addr: &str, path: &str, n: usize) -> (f64, f64) {
    let auth = format!("Bearer {ADMIN_KEY}");
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let reply = http(addr, "GET", path, &[("Authorization", &auth)], b"").expect("page");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(reply.status, 200, "{path}");
        size = reply.body.len();
    }
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), size as f64 / 1024.0)
}

fn main() {
    let db = TestDb::new();
    let regions: String = (0..REGIONS)
        .map(|r| format!("\"Region {r}\" = [\"Field {r}\"]\n"))
        .collect();
    let hub = HubProcess::start(
        db.url(),
        &format!(
            "[server]\nworkers = 2\n[analytics]\nheartbeat_secs = 30\naggregation_interval_secs = 86400\n[regions]\n{regions}"
        ),
    );
    let rss_start = hub.rss_kib();
    let keys = Arc::new(register_fleet(&db));
    println!("fleet analytics load run: {RIGS} rigs in {REGIONS} regions, a heartbeat each every 30 s ({} B zstd), {SENDERS} sending threads, hub with 2 workers", beat(1).len());
    for r in 0..rounds() {
        let times = round(&hub.addr, &keys);
        let what = if r == 0 {
            "round 1 (each key checked by argon2 once)"
        } else {
            "a round with keys cached"
        };
        println!(
            "  {what}: {} beats  {}  hub RSS {:.1} MB",
            times.len(),
            quantiles(times),
            hub.rss_kib() as f64 / 1024.0
        );
    }
    println!(
        "  hub RSS: {:.1} MB at start, peak {:.1} MB",
        rss_start as f64 / 1024.0,
        hub.peak_rss_kib() as f64 / 1024.0
    );

    let map: BTreeMap<String, Vec<String>> = (0..REGIONS)
        .map(|r| (format!("Region {r}"), vec![format!("Field {r}")]))
        .collect();
    let settings = AnalyticsSettings {
        regions: Regions::new(&map).expect("regions"),
        ..AnalyticsSettings::default()
    };
    let mut conn = db.conn();
    let mut passes = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let report =
            run_pass(&mut conn, &settings, Utc::now(), None, WhenBusy::Wait).expect("pass");
        passes.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(report.rigs, RIGS);
        if passes.len() == 1 {
            println!("  aggregation pass: {report}");
        }
    }
    passes.sort_by(f64::total_cmp);
    println!("  aggregation pass over {RIGS} rigs in {REGIONS} regions (every raw beat rolled up again): median {:.0} ms of 3", passes[1]);
    let (overview_ms, overview_kb) = page(&hub.addr, "/dashboard", 5);
    let (regions_ms, regions_kb) = page(&hub.addr, "/dashboard/regions", 5);
    println!("  /dashboard at {RIGS} rigs: median {overview_ms:.0} ms of 5, {overview_kb:.0} KB");
    println!("  /dashboard/regions at {REGIONS} regions: median {regions_ms:.0} ms of 5, {regions_kb:.0} KB");
}
