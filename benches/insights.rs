//! Drilling insights' cost: what a sample costs the packet path, and what a report costs its
//! worker per hour of data.
//!
//! - `samples_record`: `SampleLog::record` over an hour of the simulator's drill-off sweep,
//!   processed by the real pipeline beforehand — ns per packet, to set beside the pipeline's own
//!   (`cargo bench --bench rig_pipeline`);
//! - `report_1h` / `report_5h`: `InsightsReport::make` over one and five hours of samples;
//! - `shift_record_1h`: `ShiftLog::record`, the handover's minute-by-minute log, which the packet
//!   path also pays (ns per packet);
//! - `learned_observe_2h`: `LearnedDetector::observe` with `[learned]` on over two hours — each
//!   packet scored by the drilling model's 100 trees once it has trained, and the re-trainings
//!   (ns per packet): the detector thread's work;
//! - `learned_send_2h`: what the packet path pays with `[learned]` on — the features handed to
//!   that thread (ns per packet).
//!
//! Run: `cargo bench --bench insights`.

use criterion::{criterion_group, Criterion, Throughput};
use sairen::drilling::{Campaign, DrillingMetrics, WitsPacket};
use sairen::rig::insights::samples::SampleLog;
use sairen::rig::insights::{InsightSettings, InsightsReport};
use sairen::rig::learned::worker::Learned;
use sairen::rig::learned::{LearnedDetector, LearnedSettings};
use sairen::rig::pipeline::baseline::Baseline;
use sairen::rig::pipeline::knowledge::NoopStore;
use sairen::rig::pipeline::{Pipeline, PipelineConfig};
use sairen::rig::reports::shift::ShiftLog;
use sairen::simulate::{Scenario, Simulator, Sweep};
use std::hint::black_box;
use std::sync::Arc;

/// `secs` of the sweep, each packet as the pipeline completed it and its metrics.
fn processed(secs: usize) -> Vec<(WitsPacket, DrillingMetrics)> {
    let config = PipelineConfig::default();
    let baseline = Baseline::new(config.baseline);
    let mut pipeline = Pipeline::new(config, Campaign::Production, baseline, Arc::new(NoopStore));
    Simulator::new(Scenario::Normal, 1)
        .with_sweep(Sweep::standard())
        .take(secs)
        .filter_map(|packet| {
            let m = pipeline.process(packet).metrics;
            pipeline.latest().map(|l| (l.packet.clone(), m))
        })
        .collect()
}

fn record(c: &mut Criterion) {
    let packets = processed(3_600);
    let mut group = c.benchmark_group("insights");
    group.throughput(Throughput::Elements(packets.len() as u64));
    group.bench_function("samples_record_1h", |b| {
        b.iter(|| {
            let mut log = SampleLog::new(chrono::Duration::minutes(60));
            for (p, m) in &packets {
                log.record(black_box(p), black_box(m));
            }
            black_box(log.len())
        })
    });
    let two_hours = processed(7_200);
    group.throughput(Throughput::Elements(two_hours.len() as u64));
    group.bench_function("learned_observe_2h", |b| {
        b.iter(|| {
            let mut d = LearnedDetector::new(LearnedSettings {
                enabled: true,
                ..LearnedSettings::default()
            });
            for (p, m) in &two_hours {
                black_box(d.observe(black_box(p), black_box(m), true));
            }
            black_box(d.trainings())
        })
    });
    let learned = Learned::start(LearnedSettings {
        enabled: true,
        ..LearnedSettings::default()
    })
    .expect("detector thread");
    group.bench_function("learned_send_2h", |b| {
        b.iter(|| {
            for (p, m) in &two_hours {
                learned.send(black_box(p), black_box(m), true);
            }
        })
    });
    group.throughput(Throughput::Elements(packets.len() as u64));
    group.bench_function("shift_record_1h", |b| {
        b.iter(|| {
            let mut log = ShiftLog::default();
            for (p, m) in &packets {
                log.record(black_box(p), black_box(m));
            }
            black_box(log.newest())
        })
    });
    for hours in [1, 5] {
        let packets = processed(hours * 3_600);
        let mut log = SampleLog::new(chrono::Duration::hours(hours as i64));
        for (p, m) in &packets {
            log.record(p, m);
        }
        let samples = log.last(chrono::Duration::hours(hours as i64));
        let settings = InsightSettings {
            window_mins: hours as u32 * 60,
            ..InsightSettings::default()
        };
        group.throughput(Throughput::Elements(samples.len() as u64));
        group.sample_size(20);
        group.bench_function(format!("report_{hours}h"), |b| {
            b.iter(|| {
                black_box(InsightsReport::make(
                    1,
                    black_box(&samples),
                    chrono::Utc::now(),
                    "bench",
                    &settings,
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, record);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
