//! The rig's hot path: WITS0 text in, advisories out, on one core.
//!
//! - criterion: replay throughput of the whole path (framing, decoding, the ten phases) over
//!   an hour of simulated drilling with connections and a kick — packets per second;
//! - a latency run: every packet of 12 simulated hours timed on its own — p50, p99, max — and the
//!   pipeline's own per-phase figures.
//!
//! Run: `cargo bench --bench rig_pipeline`.

use criterion::{criterion_group, Criterion, Throughput};
use sairen::drilling::Campaign;
use sairen::rig::acquisition::units::UnitSystem;
use sairen::rig::acquisition::wits::{self, Decoded, Decoder, Framer, Issues, DEFAULT_NULLS};
use sairen::rig::pipeline::baseline::Baseline;
use sairen::rig::pipeline::knowledge::NoopStore;
use sairen::rig::pipeline::{Pipeline, PipelineConfig};
use sairen::simulate::{Scenario, Simulator};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

fn wits_text(scenario: Scenario, seconds: usize) -> String {
    let mut text = String::new();
    for p in Simulator::new(scenario, 1).take(seconds) {
        wits::write_frame(&p, UnitSystem::Fps, &mut text);
    }
    text
}

fn pipeline() -> Pipeline {
    let config = PipelineConfig::default();
    let baseline = Baseline::new(config.baseline);
    Pipeline::new(config, Campaign::Production, baseline, Arc::new(NoopStore))
}

/// The whole path over `text`; returns packets and advisories.
fn replay(text: &str, mut on_packet: impl FnMut()) -> (u64, u64) {
    let mut p = pipeline();
    let decoder = Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS);
    let mut framer = Framer::default();
    let mut issues = Issues::default();
    let (mut packets, mut advisories) = (0, 0);
    let epoch = sairen::simulate::start_time();
    for line in text.lines() {
        if let Some(frame) = framer.push_line(line, &mut issues) {
            if let Decoded::Packet(packet) = decoder.decode(frame, epoch, &mut issues) {
                packets += 1;
                advisories += p.process(*packet).announcements.len() as u64;
                on_packet();
            }
        }
    }
    (packets, advisories)
}

fn throughput(c: &mut Criterion) {
    let text = wits_text(Scenario::Kick, 3_600);
    let (packets, advisories) = replay(&text, || {});
    assert!(
        advisories > 0,
        "the kick must be raised in the benchmarked run"
    );
    let mut group = c.benchmark_group("rig_pipeline");
    group.throughput(Throughput::Elements(packets));
    group.sample_size(20);
    group.bench_function("wits0_text_to_advisories_1h_kick", |b| {
        b.iter(|| black_box(replay(black_box(&text), || {})))
    });
    group.finish();
}

fn latency() {
    // Twelve hours of a kick scenario's stream: drilling, connections, the kick and after.
    let text = wits_text(Scenario::Kick, 12 * 3_600);
    let mut p = pipeline();
    let decoder = Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS);
    let mut framer = Framer::default();
    let mut issues = Issues::default();
    let epoch = sairen::simulate::start_time();
    let mut times = Vec::with_capacity(12 * 3_600);
    let mut lines = text.lines();
    // Each packet timed from its first line to its advisory (or none).
    loop {
        let start = Instant::now();
        let mut done = false;
        for line in lines.by_ref() {
            if let Some(frame) = framer.push_line(line, &mut issues) {
                if let Decoded::Packet(packet) = decoder.decode(frame, epoch, &mut issues) {
                    black_box(p.process(*packet));
                    done = true;
                    break;
                }
            }
        }
        if !done {
            break;
        }
        times.push(start.elapsed().as_nanos() as f64 / 1_000.0);
    }
    times.sort_by(f64::total_cmp);
    let q = |f: f64| times[((times.len() as f64 * f) as usize).min(times.len() - 1)];
    println!(
        "per-packet latency over {} packets (WITS0 text in, advisory out): p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.1} µs",
        times.len(),
        q(0.5),
        q(0.99),
        q(0.999),
        times[times.len() - 1]
    );
    println!("per-phase (pipeline's own histogram; p99 is a bucket's upper edge):");
    for ph in p.latency().report() {
        println!(
            "  {:<12} mean {:>7.3} µs  p99 ≤ {:>7.3} µs  max {:>8.1} µs",
            ph.phase, ph.mean_us, ph.p99_us, ph.max_us
        );
    }
}

criterion_group!(benches, throughput);

fn main() {
    benches();
    latency();
    Criterion::default().configure_from_args().final_summary();
}
