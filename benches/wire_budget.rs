//! Bytes on the wire per rig per day for a typical day (DESIGN's fleet budget: 650 KB): 5 events
//! with their 60-packet history windows, 3 outcome updates, 4 library syncs. Events come from the
//! real pipeline on simulator scenarios; the synced episodes from the hub's own curator code, as a
//! fleet of 50 rigs raising 5 events a day would send them (250 new episodes a day, in 4 deltas).
//! HTTP headers are counted at the sizes the rig and hub actually send (measured once by hand:
//! ~420 bytes a request, ~210 a response).
//!
//! Run: `cargo bench --bench wire_budget`.

use sairen::drilling::Campaign;
use sairen::fleet::codec::{encode_json, Encoding};
use sairen::fleet::{EventId, EventOutcome, FleetEvent, LibraryResponse, OutcomeUpdate, RigId};
use sairen::hub::curator::episode::episode_from_event;
use sairen::rig::advisories::AdvisoryLog;
use sairen::rig::core::{CollectSink, Core, Identity};
use sairen::rig::pipeline::baseline::Baseline;
use sairen::rig::pipeline::knowledge::NoopStore;
use sairen::rig::pipeline::{Pipeline, PipelineConfig};
use sairen::simulate::{Scenario, Simulator};
use std::sync::{Arc, Mutex};

const REQUEST_HEADERS: usize = 420;
const RESPONSE_HEADERS: usize = 210;

fn first_event(scenario: Scenario) -> FleetEvent {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = Arc::new(Mutex::new(Vec::new()));
    let config = PipelineConfig::default();
    let pipeline = Pipeline::new(
        config.clone(),
        Campaign::Production,
        Baseline::new(config.baseline),
        Arc::new(NoopStore),
    );
    let mut core = Core::new(
        pipeline,
        AdvisoryLog::open(dir.path(), 1 << 24, 1, 100).expect("log"),
        Identity {
            rig_id: RigId::parse("RIG-ALPHA-7").expect("rig"),
            well_id: "15/9-F-9 A".into(),
            field: "Volve".into(),
        },
        Box::new(CollectSink(events.clone())),
        dir.path(),
        "bench".into(),
    );
    for p in Simulator::new(scenario, 1).take(scenario.default_seconds() as usize) {
        core.handle(p);
        if !events.lock().expect("events").is_empty() {
            break;
        }
    }
    let first = events.lock().expect("events").first().cloned();
    first.expect("the scenario raised an event")
}

fn main() {
    let scenarios = [
        Scenario::Kick,
        Scenario::PackOff,
        Scenario::TwistOff,
        Scenario::LostCirculation,
        Scenario::Washout,
    ];
    let events: Vec<FleetEvent> = scenarios.iter().map(|s| first_event(*s)).collect();
    let event_bytes: Vec<usize> = events
        .iter()
        .map(|e| encode_json(e, Encoding::Zstd).expect("encode").len())
        .collect();
    let uploads: usize = event_bytes
        .iter()
        .map(|b| b + REQUEST_HEADERS + RESPONSE_HEADERS + 60)
        .sum();

    let outcome = OutcomeUpdate {
        outcome: EventOutcome::Resolved {
            action_taken: "reduced flow to 450 gpm, worked the pipe free and circulated bottoms up"
                .into(),
        },
        notes: Some("gain 4 bbl; shut in 12 min".into()),
        course: None,
    };
    let outcome_bytes = serde_json::to_vec(&outcome).expect("json").len();
    let outcomes = 3 * (outcome_bytes + REQUEST_HEADERS + RESPONSE_HEADERS + 200);

    // A day's fleet episodes: 50 rigs × 5 events, built by the curator's code from real events.
    let mut episodes = Vec::new();
    for rig in 0..50 {
        let rig_id = RigId::parse(&format!("RIG-{rig:02}")).expect("rig");
        for (k, e) in events.iter().enumerate() {
            let mut e = e.clone();
            e.rig_id = rig_id.clone();
            e.id = EventId::new(&rig_id, e.timestamp.timestamp() + (rig * 10 + k) as i64, 0);
            e.depth_ft += (rig * 37 + k * 11) as f64;
            e.outcome = outcome.outcome.clone();
            let mut ep = episode_from_event(&e);
            ep.score = 0.5 + (k as f64) / 20.0;
            episodes.push(ep);
        }
    }
    let mut sync_bytes = Vec::new();
    let mut plain_bytes = 0usize;
    for (i, chunk) in episodes.chunks(episodes.len().div_ceil(4)).enumerate() {
        let answer = LibraryResponse {
            version: 100 + i as i64,
            full: false,
            episodes: chunk.to_vec(),
            pruned_ids: vec![],
            total_fleet_episodes: 5_000,
        };
        sync_bytes.push(encode_json(&answer, Encoding::Zstd).expect("encode").len());
        plain_bytes += serde_json::to_vec(&answer).expect("json").len();
    }
    let syncs: usize = sync_bytes
        .iter()
        .map(|b| b + REQUEST_HEADERS + RESPONSE_HEADERS)
        .sum();

    let total = uploads + outcomes + syncs;
    println!("bytes on the wire per rig per day (typical day):");
    println!(
        "  5 events (zstd, 60-packet windows): {} bytes each → {} with HTTP",
        event_bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        uploads
    );
    println!("  3 outcome updates: {outcome_bytes} bytes each → {outcomes} with HTTP");
    println!(
        "  4 library deltas ({} episodes in all, zstd): {} bytes → {} with HTTP",
        episodes.len(),
        sync_bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        syncs
    );
    println!(
        "  total {:.1} KB of the 650 KB budget ({:.0} %)",
        total as f64 / 1_000.0,
        total as f64 / 6_500.0
    );
    // These episodes are variations of five events and compress unusually well; real ones are
    // all different. Bound: the deltas with no compression at all.
    let bound = uploads + outcomes + plain_bytes + 4 * (REQUEST_HEADERS + RESPONSE_HEADERS);
    println!(
        "  bound with the deltas uncompressed ({plain_bytes} bytes): {:.1} KB ({:.0} %)",
        bound as f64 / 1_000.0,
        bound as f64 / 6_500.0
    );
}
