//! Load run for event upload: realistic events (60-snapshot history windows, zstd as the rig sends
//! them) from many rigs at once into a real `sairen hub serve` on loopback, and — in the same run,
//! on the same PostgreSQL — the same payloads inserted by plain SQL (one transaction per event, as
//! the hub commits each), so the hub's cost over the database's own can be read as a ratio.
//!
//! Run: `cargo bench --bench upload_load` (needs PostgreSQL as the tests do).

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::{Duration, Utc};
use common::{event_for, http, percentile, HubProcess, TestDb};
use diesel::prelude::*;
use diesel::sql_types::Text;
use sairen::fleet::FleetEvent;
use std::sync::Arc;
use std::time::Instant;

/// Concurrent rigs (one client thread each).
const RIGS: usize = 16;
/// Events each rig uploads (`SAIREN_LOAD_PER_RIG` to change).
fn per_rig() -> usize {
    std::env::var("SAIREN_LOAD_PER_RIG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250)
}

/// The fixture event with a 60-snapshot history window (the rig's window), for `rig` at `at`.
fn realistic(rig: &str, at: chrono::DateTime<Utc>) -> FleetEvent {
    let mut e = event_for(rig, at);
    let template = e.history_window[0].clone();
    e.history_window = (0..60)
        .map(|i| {
            let mut s = template.clone();
            s.packet.timestamp = at - Duration::seconds(59 - i);
            s.packet.spp_psi = s.packet.spp_psi.map(|v| v + i as f64 * 1.7);
            s.packet.torque_kftlbf = s.packet.torque_kftlbf.map(|v| v + (i % 7) as f64 * 0.13);
            s.packet.pit_volume_bbl = s.packet.pit_volume_bbl.map(|v| v + i as f64 * 0.05);
            s
        })
        .collect();
    e
}

/// Run `work(rig index, event index)` on RIGS threads, per_rig() times each; events/s and the
/// latency quantiles in ms.
fn drive(work: impl Fn(usize, usize) + Send + Sync + 'static) -> (f64, f64, f64) {
    let work = Arc::new(work);
    let start = Instant::now();
    let threads: Vec<_> = (0..RIGS)
        .map(|r| {
            let work = work.clone();
            std::thread::spawn(move || {
                (0..per_rig())
                    .map(|i| {
                        let t = Instant::now();
                        work(r, i);
                        t.elapsed().as_secs_f64() * 1e3
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    let mut times: Vec<f64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client thread"))
        .collect();
    let rate = times.len() as f64 / start.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    (rate, percentile(&times, 0.5), percentile(&times, 0.99))
}

fn main() {
    let db = TestDb::new();
    let hub = HubProcess::start(
        db.url(),
        // Storm mode off: this run measures what the hub can take, not how it paces a flood.
        "[server]\nworkers = 2\n[curator]\ncuration_interval_secs = 86400\n[storm]\nenabled = false\n",
    );
    let rss_start = hub.rss_kib();
    let keys: Vec<String> = (0..RIGS)
        .map(|r| hub.register(&format!("LOAD-{r:02}")))
        .collect();
    let rss_registered = hub.rss_kib();
    let now = Utc::now();
    // Bodies built before the clock starts: the run measures the hub, not the client.
    let bodies: Vec<Vec<(String, Vec<u8>, String)>> = (0..RIGS)
        .map(|r| {
            (0..per_rig())
                .map(|i| {
                    let e = realistic(
                        &format!("LOAD-{r:02}"),
                        now - Duration::seconds(10 * i as i64 + 1),
                    );
                    let json = serde_json::to_string(&e).expect("json");
                    let zstd = zstd::encode_all(json.as_bytes(), 3).expect("zstd");
                    (e.id.to_string(), zstd, json)
                })
                .collect()
        })
        .collect();
    let json_kb = bodies[0][0].2.len() as f64 / 1024.0;
    let zstd_kb = bodies[0][0].1.len() as f64 / 1024.0;
    let bodies = Arc::new(bodies);

    let (addr, hub_bodies, hub_keys) = (hub.addr.clone(), bodies.clone(), Arc::new(keys));
    let (hub_rate, hub_p50, hub_p99) = drive(move |r, i| {
        let auth = format!("Bearer {}", hub_keys[r]);
        let rig = format!("LOAD-{r:02}");
        let reply = http(
            &addr,
            "POST",
            "/api/fleet/events",
            &[
                ("Authorization", &auth),
                ("X-Rig-ID", &rig),
                ("Content-Type", "application/json"),
                ("Content-Encoding", "zstd"),
            ],
            &hub_bodies[r][i].1,
        )
        .expect("upload");
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
    });
    let rss_uploaded = hub.rss_kib();

    {
        let mut conn = db.conn();
        diesel::sql_query(
            "CREATE TABLE plain_events (id TEXT PRIMARY KEY, payload JSONB NOT NULL)",
        )
        .execute(&mut conn)
        .expect("plain table");
    }
    let url = db.url().to_owned();
    let conns: Arc<Vec<std::sync::Mutex<PgConnection>>> = Arc::new(
        (0..RIGS)
            .map(|_| std::sync::Mutex::new(PgConnection::establish(&url).expect("connect")))
            .collect(),
    );
    let plain_bodies = bodies.clone();
    let (pg_rate, pg_p50, pg_p99) = drive(move |r, i| {
        let mut conn = conns[r].lock().expect("connection");
        let (id, _, json) = &plain_bodies[r][i];
        diesel::sql_query("INSERT INTO plain_events (id, payload) VALUES ($1, $2::jsonb)")
            .bind::<Text, _>(id)
            .bind::<Text, _>(json)
            .execute(&mut *conn)
            .expect("plain insert");
    });

    let n = RIGS * per_rig();
    println!("upload load run: {n} events from {RIGS} concurrent rigs, each event {json_kb:.1} KB JSON / {zstd_kb:.1} KB zstd (60-snapshot history)");
    println!("  hub  (HTTP, zstd, key check, validation, one transaction per event): {hub_rate:>7.0} events/s  p50 {hub_p50:.1} ms  p99 {hub_p99:.1} ms");
    println!("  plain PostgreSQL INSERT of the same JSON (one transaction each):    {pg_rate:>7.0} events/s  p50 {pg_p50:.1} ms  p99 {pg_p99:.1} ms");
    println!("  ratio hub / plain inserts: {:.2}", hub_rate / pg_rate);
    println!(
        "  hub RSS: {:.1} MB at start, {:.1} MB after registering {RIGS} rigs, {:.1} MB after the uploads; peak {:.1} MB",
        rss_start as f64 / 1024.0,
        rss_registered as f64 / 1024.0,
        rss_uploaded as f64 / 1024.0,
        hub.peak_rss_kib() as f64 / 1024.0
    );
}
