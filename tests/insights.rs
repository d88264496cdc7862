//! Parameter insights (issue 20) on the simulator's drill-off sweep, whose model states where it
//! drills fastest (the founder point, the highest RPM): the real pipeline computes the physics,
//! the insights must find that band and that point, on every seed; too little data recommends
//! nothing; reports are kept through a restart.

use sairen::drilling::Campaign;
use sairen::rig::insights::runner::Insights;
use sairen::rig::insights::samples::SampleLog;
use sairen::rig::insights::store::{FileStore, PersistenceLayer};
use sairen::rig::insights::{Confidence, InsightSettings, InsightsReport};
use sairen::rig::pipeline::baseline::Baseline;
use sairen::rig::pipeline::knowledge::NoopStore;
use sairen::rig::pipeline::{Pipeline, PipelineConfig};
use sairen::simulate::{Scenario, Simulator, Sweep};
use std::io::Write;
use std::sync::Arc;

mod common;
use common::http;
use common::rig::{rig_command, RigClient, RigProcess};

fn settings(window_mins: u32) -> InsightSettings {
    InsightSettings {
        window_mins,
        ..InsightSettings::default()
    }
}

/// `secs` of `sweep` through the real pipeline into a sample log.
fn sweep_log(seed: u64, sweep: &Sweep, secs: usize, window_mins: u32) -> SampleLog {
    let config = PipelineConfig::default();
    let baseline = Baseline::new(config.baseline);
    let mut pipeline = Pipeline::new(config, Campaign::Production, baseline, Arc::new(NoopStore));
    let mut log = SampleLog::new(chrono::Duration::minutes(i64::from(window_mins)));
    for packet in Simulator::new(Scenario::Normal, seed)
        .with_sweep(sweep.clone())
        .take(secs)
    {
        let processed = pipeline.process(packet);
        if let Some(latest) = pipeline.latest() {
            log.record(&latest.packet, &processed.metrics);
        }
    }
    log
}

/// The standard sweep, and one with a softer rock: founder at 22 klb, three speeds, four-minute
/// steps — so nothing here is tuned to one sweep.
fn sweeps() -> Vec<(Sweep, (f64, f64))> {
    let soft = Sweep {
        wob_steps_klb: vec![10.0, 14.0, 18.0, 22.0, 26.0, 30.0],
        rpm_steps: vec![90.0, 130.0, 170.0],
        step_secs: 240,
        founder_klb: 22.0,
    };
    vec![(Sweep::standard(), (30.0, 150.0)), (soft, (22.0, 170.0))]
}

#[test]
fn the_sweeps_fastest_band_and_founder_point_are_found_on_every_seed() {
    for ((sweep, answer), seed) in sweeps()
        .into_iter()
        .flat_map(|s| [1, 7, 23].map(|seed| (s.clone(), seed)))
    {
        let (wob, rpm) = sweep.fastest();
        assert_eq!((wob, rpm), answer, "the model's own answer");
        let s = settings(300);
        let log = sweep_log(seed, &sweep, 5 * 3_600, 300);
        let samples = log.last(chrono::Duration::minutes(300));
        let report = InsightsReport::make(1, &samples, chrono::Utc::now(), "asked", &s);
        assert!(!report.segments.is_empty(), "seed {seed}");
        // Every segment thick enough to hold a full sweep finds the same band.
        for seg in report.segments.iter().filter(|g| g.bands.len() >= 10) {
            let best = seg.best.as_ref().expect("a best band");
            assert!(
                (best.wob_klb.0..best.wob_klb.1).contains(&wob)
                    && (best.rpm.0..best.rpm.1).contains(&rpm),
                "seed {seed}: best {} in {:.0}–{:.0} ft",
                best.describe(),
                seg.from_ft,
                seg.to_ft
            );
            let founder = seg.founder.as_ref().expect("a founder point");
            assert!(
                (founder.wob_klb - sweep.founder_klb).abs() <= 4.0,
                "seed {seed}: founder at {:.1} klb",
                founder.wob_klb
            );
            assert!(
                founder.rop_gain_above_ft_h_per_klb < 0.3 * founder.rop_gain_below_ft_h_per_klb
            );
            let rho = seg.correlations.rpm.expect("rpm correlation");
            assert!(
                rho > 0.0,
                "seed {seed}: more rpm drilled faster, ρ = {rho:.2}"
            );
        }
        assert!(
            report.segments.iter().any(|g| g.bands.len() >= 10),
            "seed {seed}: no segment held the sweep: {:?}",
            report
                .segments
                .iter()
                .map(|g| (g.from_ft, g.to_ft, g.bands.len()))
                .collect::<Vec<_>>()
        );
        let rec = &report.recommendation;
        assert_ne!(rec.kind, "not_enough_data", "seed {seed}: {}", rec.text);
        if rec.kind == "change" {
            let band = rec.band.as_ref().expect("band");
            assert!(
                (band.wob_klb.0..band.wob_klb.1).contains(&wob),
                "{}",
                rec.text
            );
            assert!(
                rec.expected_gain_pct.is_some_and(|g| g > 0.0),
                "{}",
                rec.text
            );
            assert_ne!(rec.confidence, Confidence::None);
        }
    }
}

#[test]
fn too_little_drilling_recommends_nothing() {
    let s = settings(60);
    let log = sweep_log(3, &Sweep::standard(), 100, 60);
    let report = InsightsReport::make(
        1,
        &log.last(chrono::Duration::minutes(60)),
        chrono::Utc::now(),
        "asked",
        &s,
    );
    assert_eq!(report.recommendation.kind, "not_enough_data");
    assert_eq!(report.recommendation.confidence, Confidence::None);
    assert!(
        report.recommendation.text.contains("Not enough data"),
        "{}",
        report.recommendation.text
    );
    assert!(report.segments.is_empty());
}

#[test]
fn reports_survive_a_restart_and_number_on() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(FileStore::open(dir.path()).expect("store"));
    let insights = Insights::new(settings(60), store);
    let first = insights.request(chrono::Utc::now()).run().expect("report");
    assert_eq!(first.seq, 1);
    drop(insights);
    let reopened = Arc::new(FileStore::open(dir.path()).expect("store"));
    assert_eq!(reopened.latest().map(|r| r.seq), Some(1), "kept on disk");
    let again = Insights::new(settings(60), reopened);
    let second = again.request(chrono::Utc::now()).run().expect("report");
    assert_eq!(second.seq, 2, "numbered on from the newest kept");
    assert_eq!(again.history(10).len(), 2);
}

#[test]
fn a_rig_fed_the_sweep_reports_on_its_api_and_its_screen_and_makes_one_on_demand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = rig_command(
        dir.path(),
        "[insights]\ninterval_mins = 150\nwindow_mins = 150\n",
    );
    cmd.args(["--stdin", "--api-bind", "127.0.0.1:0"]);
    let mut rig = RigProcess::start(cmd);
    let mut stdin = rig.stdin.take().expect("stdin");
    let mut text = String::new();
    // Two and a half hours and a minute: one scheduled report, over two whole sweeps.
    for p in Simulator::new(Scenario::Normal, 5)
        .with_sweep(Sweep::standard())
        .take(150 * 60 + 60)
    {
        sairen::rig::acquisition::wits::write_frame(
            &p,
            sairen::rig::acquisition::units::UnitSystem::Fps,
            &mut text,
        );
    }
    stdin.write_all(text.as_bytes()).expect("write");
    stdin.flush().expect("flush");
    let body = rig.wait_for("/api/v1/insights", 60, |v| v["latest"]["seq"] == 1);
    let latest = &body["latest"];
    assert_eq!(latest["trigger"], "schedule", "{latest}");
    let best = latest["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .filter_map(|s| s["best"].as_object())
        .max_by_key(|b| b["samples"].as_u64())
        .expect("a best band");
    assert_eq!(best["wob_klb"], serde_json::json!([28.0, 32.0]), "{latest}");
    assert_eq!(best["rpm"], serde_json::json!([140.0, 160.0]), "{latest}");
    assert_eq!(body["settings"]["interval_mins"], 150);
    let screen = http(rig.addr(), "GET", "/", &[], b"").expect("screen");
    let page = String::from_utf8_lossy(&screen.body).to_string();
    assert!(page.contains("Drilling insights at"), "{page}");
    assert!(page.contains("28–32 klb, 140–160 rpm"), "{page}");
    let (status, made) = rig.send("POST", "/api/v1/insights/run", &serde_json::json!({}), None);
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["seq"], 2);
    assert_eq!(made["trigger"], "asked");
    let (_, body) = rig.get("/api/v1/insights?limit=5");
    assert_eq!(body["history"].as_array().map(Vec::len), Some(2));
    assert!(dir.path().join("data/insights/0000000002.json").exists());
    drop(stdin);
}
