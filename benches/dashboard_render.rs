//! How long each dashboard page takes to render, database work included, for a fleet of 50 rigs
//! with 50,000 events (30 days) and 50,000 active episodes — the size the dashboard issue names.
//!
//! Run: `cargo bench --bench dashboard_render` (needs PostgreSQL as the tests do).

#[path = "../tests/common/mod.rs"]
mod common;

use actix_web::test;
use common::{TestDb, ADMIN_KEY};
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

const RIGS: i32 = 50;
const EVENTS: i32 = 50_000;
const EPISODES: i32 = 50_000;

/// Fill the fleet in three statements (generate_series), shaped like real data: ten categories,
/// four outcomes with actions, depths to 15,000 ft, times over 30 days, two campaigns, and each
/// event's payload carrying a 60-snapshot history window (what makes the rows wide).
fn seed(db: &TestDb) {
    let mut conn = db.conn();
    let categories = "(ARRAY['kick','lost_circulation','pack_off','washout','twist_off','stuck_pipe','stick_slip','founder','mse_inefficiency','pressure_transition'])";
    let outcomes = "(ARRAY['resolved','pending','escalated','false_positive','resolved'])";
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "INSERT INTO rigs (rig_id, well_id, field, key_id, key_hash, last_seen, last_sync, library_version, event_count) \
         SELECT 'RIG-' || lpad(i::text, 2, '0'), 'W-' || i, 'Volve', 'k' || i, 'x', now() - (i || ' hours')::interval, \
                now() - (i || ' minutes')::interval, {EPISODES}, {} FROM generate_series(1, {RIGS}) i",
        EVENTS / RIGS
    ))
    .execute(&mut conn)
    .expect("rigs");
    diesel::sql_query(format!(
        "INSERT INTO events (id, rig_id, well_id, field, campaign, category, risk_level, outcome, depth_ft, occurred_at, payload, needs_curation, outcome_updated_at) \
         SELECT 'RIG-' || lpad((i % {RIGS} + 1)::text, 2, '0') || '-' || (1700000000 + i), \
                'RIG-' || lpad((i % {RIGS} + 1)::text, 2, '0'), 'W', 'Volve', \
                CASE WHEN i % 7 = 0 THEN 'plug_and_abandonment' ELSE 'production' END, \
                {categories}[i % 10 + 1], (ARRAY['elevated','high','critical'])[i % 3 + 1], {outcomes}[i % 5 + 1], \
                (i * 37) % 15000, now() - ((i % 43200) || ' minutes')::interval, \
                jsonb_build_object('outcome', jsonb_build_object('status', {outcomes}[i % 5 + 1], 'action_taken', 'action ' || (i % 9)), 'notes', 'note ' || i, \
                                   'history_window', (SELECT jsonb_agg(jsonb_build_object('t', g, 'spp_psi', 3000 + g + i % 97, 'torque_kftlbf', 10 + g % 7, 'flow_in_gpm', 600, 'flow_out_gpm', 600 + g % 5, 'pit_volume_bbl', 500 + g / 10.0)) FROM generate_series(1, 60) g)), \
                false, now() - ((i % 43200) || ' minutes')::interval + interval '40 minutes' \
         FROM generate_series(1, {EVENTS}) i"
    ))
    .execute(&mut conn)
    .expect("events");
    diesel::sql_query(format!(
        "INSERT INTO episodes (id, rig_id, field, category, campaign, risk_level, outcome, depth_from_ft, depth_to_ft, score, occurred_at, payload, change_seq) \
         SELECT 'EP-' || i, 'RIG-' || lpad((i % {RIGS} + 1)::text, 2, '0'), 'Volve', {categories}[i % 10 + 1], 'production', 'high', \
                {outcomes}[i % 5 + 1], (i * 37) % 15000, (i * 37) % 15000 + 50, (i % 1000) / 1000.0, now() - ((i % 43200) || ' minutes')::interval, \
                '{{}}'::jsonb, nextval('library_change_seq') \
         FROM generate_series(1, {EPISODES}) i"
    ))
    .execute(&mut conn)
    .expect("episodes");
    diesel::sql_query("ANALYZE")
        .execute(&mut conn)
        .expect("analyze");
}

fn bench_pages(c: &mut Criterion) {
    let db = TestDb::new();
    seed(&db);
    let rt = actix_rt::Runtime::new().expect("runtime");
    let (app, _state) = rt.block_on(common::app::start(&db));
    let mut group = c.benchmark_group("dashboard_render_50_rigs_50k_episodes");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(6));
    for (name, uri) in [
        ("overview", "/dashboard"),
        ("rig_detail", "/dashboard/rigs/RIG-07"),
        ("library", "/dashboard/library"),
        ("trends_30_days", "/dashboard/trends"),
        ("json_summary", "/api/fleet/dashboard/summary"),
        ("json_trends", "/api/fleet/dashboard/trends"),
        ("json_outcomes", "/api/fleet/dashboard/outcomes"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let req = test::TestRequest::get()
                    .uri(uri)
                    .insert_header(("Authorization", format!("Bearer {ADMIN_KEY}")))
                    .to_request();
                let resp = rt.block_on(test::call_service(&app, req));
                assert_eq!(resp.status().as_u16(), 200, "{uri}");
                rt.block_on(test::read_body(resp)).len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_pages);
criterion_main!(benches);
