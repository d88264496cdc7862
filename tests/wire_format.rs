//! The fixtures under `tests/fixtures/` document the wire format: each must parse into its type
//! and serialise back to the very same JSON.

use sairen::fleet::{FleetEpisode, FleetEvent, Heartbeat, LibraryResponse, OutcomeUpdate};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn round_trip<T: Serialize + DeserializeOwned>(name: &str) -> T {
    let original = fixture(name);
    let typed: T =
        serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).expect("serialise");
    assert_eq!(back, original, "{name} does not round-trip unchanged");
    typed
}

#[test]
fn fleet_event_fixture_round_trips() {
    let event: FleetEvent = round_trip("fleet_event.json");
    assert_eq!(event.history_window.len(), 2);
    assert!(event.id.check_rig(&event.rig_id).is_ok());
    assert_eq!(event.advisory.category.as_str(), "pack_off");
}

#[test]
fn outcome_update_fixture_round_trips() {
    let update: OutcomeUpdate = round_trip("outcome_update.json");
    assert_eq!(update.outcome.as_str(), "resolved");
}

#[test]
fn episode_and_library_fixtures_round_trip() {
    let episode: FleetEpisode = round_trip("fleet_episode.json");
    let library: LibraryResponse = round_trip("library_response.json");
    assert_eq!(library.episodes, vec![episode]);
}

#[test]
fn the_codec_carries_the_event_fixture_compressed() {
    use sairen::fleet::codec::{decode_json, encode_json, Encoding};
    let event: FleetEvent = serde_json::from_value(fixture("fleet_event.json")).expect("parse");
    let packed = encode_json(&event, Encoding::Zstd).expect("encode");
    let back: FleetEvent = decode_json(&packed, Encoding::Zstd, 10 << 20).expect("decode");
    assert_eq!(back, event);
}

#[test]
fn the_heartbeat_fixture_round_trips_and_stays_small_on_the_wire() {
    use sairen::fleet::codec::{encode_json, Encoding};
    let beat: Heartbeat = round_trip("heartbeat.json");
    assert_eq!(beat.incidents.highest(), "critical");
    let plain = serde_json::to_vec(&beat).expect("json").len();
    let packed = encode_json(&beat, Encoding::Zstd).expect("encode").len();
    println!("a heartbeat: {plain} bytes of JSON, {packed} zstd");
    // Once a minute, a day of them is under half a megabyte even uncompressed.
    assert!(plain < 800 && packed < plain, "{plain} / {packed}");
}
