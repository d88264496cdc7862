//! One authenticated upload through the real hub handlers into a real PostgreSQL, with 1 and
//! with 1,000 registered rigs, with the key's verification cached and not.
//!
//! Run: `cargo bench --bench hub_upload` (needs PostgreSQL as the tests do; DATABASE_URL names the server).

#[path = "../tests/common/mod.rs"]
mod common;

use actix_web::test;
use chrono::Utc;
use common::{event_for, TestDb};
use criterion::{criterion_group, criterion_main, Criterion};
use diesel::prelude::*;
use sairen::hub::auth::RigKey;
use std::time::Duration;

fn add_bulk_rigs(db: &TestDb, n: usize) {
    let shared_hash = RigKey::generate().hash().expect("hash");
    let mut conn = db.conn();
    for i in 0..n {
        diesel::sql_query("INSERT INTO rigs (rig_id, well_id, field, key_id, key_hash) VALUES ($1, 'W', 'F', $2, $3)")
            .bind::<diesel::sql_types::Text, _>(format!("BULK-{i:05}"))
            .bind::<diesel::sql_types::Text, _>(RigKey::generate().key_id())
            .bind::<diesel::sql_types::Text, _>(&shared_hash)
            .execute(&mut conn)
            .expect("insert rig");
    }
}

fn bench_uploads(c: &mut Criterion) {
    let mut group = c.benchmark_group("hub_upload");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    for rigs in [1usize, 1000] {
        let db = TestDb::new();
        let rt = actix_rt::Runtime::new().expect("runtime");
        // Storm mode off: this measures one upload's cost, thousands a second.
        let mut config = sairen::hub::config::HubConfig::default();
        config.storm.enabled = false;
        let watch = sairen::hub::watch::HubWatch::spawn(db.url()).expect("watch");
        while !watch.is_live() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let (app, state) = rt.block_on(common::app::start_configured(&db, watch, &config));
        let key = rt.block_on(common::app::register(&app, "RIG-BENCH"));
        add_bulk_rigs(&db, rigs - 1);

        // Ids are {rig}-{seconds}: count back from a fixed instant so every upload is new.
        let base = Utc::now();
        let mut n: i64 = 0;
        for cached in [false, true] {
            let name = format!(
                "{rigs}_rigs/{}",
                if cached {
                    "key_cached"
                } else {
                    "key_verified_argon2"
                }
            );
            let bench_rig = sairen::fleet::RigId::parse("RIG-BENCH").expect("rig id");
            group.bench_function(&name, |b| {
                b.iter(|| {
                    n += 1;
                    let event = event_for("RIG-BENCH", base - chrono::Duration::seconds(n));
                    if !cached {
                        state.keys.forget_rig(&bench_rig);
                    }
                    let req = test::TestRequest::post()
                        .uri("/api/fleet/events")
                        .insert_header(("Authorization", format!("Bearer {key}")))
                        .set_payload(serde_json::to_vec(&event).expect("json"))
                        .to_request();
                    let resp = rt.block_on(test::call_service(&app, req));
                    assert_eq!(resp.status().as_u16(), 201);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_uploads);
criterion_main!(benches);
