//! `sairen rig`'s packet loop: takes inputs from the source thread, paces replays, drops packets
//! whose time does not advance, runs the pipeline, logs and records advisories, turns Elevated and
//! above into fleet events, and saves the baseline as it learns.

use super::acquisition::source::Input;
use super::acquisition::wits::{Issue, Issues};
use super::advisories::{AdvisoryLog, AdvisoryRecord};
use super::pipeline::Pipeline;
use crate::drilling::{RiskLevel, WitsPacket};
use crate::fleet::{EventId, EventOutcome, FleetEvent, OutcomeUpdate, RigId};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Who this rig is, as its fleet events say.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The rig.
    pub rig_id: RigId,
    /// The well.
    pub well_id: String,
    /// The field.
    pub field: String,
}

/// Where fleet events go: the upload queue when the rig has a fleet link.
pub trait EventSink: Send {
    /// Take an event; must not block the packet path for long (one durable file write).
    fn submit(&mut self, event: FleetEvent);
    /// Take the crew's outcome of an event, to follow it to the hub.
    fn outcome(&mut self, _id: &EventId, _update: OutcomeUpdate) {}
    /// What the sink is, for the health endpoint.
    fn describe(&self) -> String;
    /// Its state, for `GET /api/v1/fleet`.
    fn status(&self) -> serde_json::Value {
        serde_json::json!({ "enabled": false, "detail": self.describe() })
    }
}

/// The sink of a rig without a fleet link: events stay in the advisory log.
#[derive(Debug, Default)]
pub struct NoUplink {
    /// Events made so far.
    pub events: u64,
}

impl EventSink for NoUplink {
    fn submit(&mut self, event: FleetEvent) {
        self.events += 1;
        if self.events == 1 {
            log::info!(
                "fleet event {} made; no fleet link is configured, so events stay in the advisory log",
                event.id
            );
        }
    }
    fn describe(&self) -> String {
        format!(
            "no fleet link configured ({} events kept locally)",
            self.events
        )
    }
}

/// A sink that keeps events in memory: for tools and benchmarks that drive a `Core` themselves.
#[derive(Debug, Default, Clone)]
pub struct CollectSink(pub std::sync::Arc<Mutex<Vec<FleetEvent>>>);

impl EventSink for CollectSink {
    fn submit(&mut self, event: FleetEvent) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
    fn describe(&self) -> String {
        "events kept in memory".into()
    }
}

/// The stream's condition, for the health endpoint.
#[derive(Debug, Clone, Default)]
pub struct StreamStats {
    /// Packets accepted.
    pub packets: u64,
    /// Keep-alives received.
    pub keepalives: u64,
    /// Wall-clock time of the last packet or keep-alive.
    pub last_seen: Option<Instant>,
    /// Whether the source's link is up (always for files).
    pub link_up: bool,
    /// What the source last said about its link.
    pub link_detail: String,
    /// Packets per second over the last few seconds of wall time.
    pub packets_per_sec: f64,
    rate_mark: Option<(Instant, u64)>,
    /// The input has ended.
    pub ended: bool,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    /// Time of the last accepted packet.
    pub last_time: Option<DateTime<Utc>>,
}

/// Everything the loop and the API share, behind one lock held briefly per packet.
pub struct Core {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// The advisory log.
    pub advisories: AdvisoryLog,
    /// Who this rig is.
    pub identity: Identity,
    /// Where fleet events go.
    pub sink: Box<dyn EventSink>,
    /// The stream's condition.
    pub stream: StreamStats,
    /// What the pipeline dropped (packets whose time did not advance).
    pub issues: Issues,
    /// Where the baseline is saved.
    pub baseline_path: PathBuf,
    /// The baseline's last save error, for the health endpoint.
    pub baseline_error: Option<String>,
    /// The input, described.
    pub source: String,
    /// Precedent recall, when the rig has a fleet link: acknowledged events join it as local
    /// precedents.
    pub recall: Option<std::sync::Arc<crate::rig::recall::Recall>>,
    learned_since_save: u64,
    last_id: Option<(i64, u32)>,
}

/// Save the baseline after this many learned samples.
const SAVE_EVERY: u64 = 300;

impl Core {
    /// A core around a pipeline.
    pub fn new(
        pipeline: Pipeline,
        advisories: AdvisoryLog,
        identity: Identity,
        sink: Box<dyn EventSink>,
        baseline_path: PathBuf,
        source: String,
    ) -> Self {
        Self {
            pipeline,
            advisories,
            identity,
            sink,
            stream: StreamStats::default(),
            issues: Issues::default(),
            baseline_path,
            baseline_error: None,
            source,
            recall: None,
            learned_since_save: 0,
            last_id: None,
        }
    }

    fn next_id(&mut self, at: DateTime<Utc>) -> EventId {
        let secs = at.timestamp();
        let n = match self.last_id {
            Some((s, n)) if s == secs => n + 1,
            _ => 0,
        };
        self.last_id = Some((secs, n));
        EventId::new(&self.identity.rig_id, secs, n)
    }

    /// Run one packet through; the advisory record when one was raised.
    pub fn handle(&mut self, packet: WitsPacket) -> Option<AdvisoryRecord> {
        self.stream.last_seen = Some(Instant::now());
        if self.stream.last_time.is_some_and(|t| packet.timestamp <= t) {
            self.issues
                .note(Issue::TimeNotAdvancing, &packet.timestamp.to_rfc3339());
            return None;
        }
        self.stream.last_time = Some(packet.timestamp);
        self.stream.packets += 1;
        self.update_rate();
        let processed = self.pipeline.process(packet);
        self.learned_since_save += self.pipeline.take_baseline_changes();
        if self.learned_since_save >= SAVE_EVERY {
            self.save_baseline();
        }
        let advisory = processed.advisory?;
        let id = self.next_id(advisory.timestamp);
        let fleet_event = advisory.risk_level >= RiskLevel::Elevated;
        let latest = self.pipeline.latest();
        let depth_ft = latest.and_then(|s| s.packet.depth_ft());
        let line = format!(
            "[{}] {} at {} — {}",
            advisory.risk_level.as_str().to_uppercase(),
            advisory.category.label(),
            depth_ft
                .map(|d| format!("{} ft", crate::drilling::thousands(d)))
                .unwrap_or_else(|| "unknown depth".into()),
            advisory.recommendation
        );
        if fleet_event {
            log::warn!("{line}");
        } else {
            log::info!("{line}");
        }
        let record = AdvisoryRecord {
            id: id.clone(),
            fleet_event,
            advisory,
            acknowledgment: None,
            key_metrics: latest.map(crate::fleet::EpisodeMetrics::from_snapshot),
            depth_ft,
            campaign: Some(self.pipeline.campaign()),
        };
        if fleet_event {
            let history_window = self.pipeline.history_window();
            self.sink.submit(FleetEvent {
                id,
                rig_id: self.identity.rig_id.clone(),
                well_id: self.identity.well_id.clone(),
                field: self.identity.field.clone(),
                campaign: self.pipeline.campaign(),
                advisory: record.advisory.clone(),
                history_window,
                outcome: EventOutcome::Pending,
                notes: None,
                depth_ft: depth_ft.unwrap_or(0.0),
                timestamp: record.advisory.timestamp,
            });
        }
        self.advisories.append(record.clone());
        Some(record)
    }

    fn update_rate(&mut self) {
        let now = Instant::now();
        match self.stream.rate_mark {
            Some((at, count)) => {
                let secs = now.duration_since(at).as_secs_f64();
                if secs >= 2.0 {
                    self.stream.packets_per_sec = (self.stream.packets - count) as f64 / secs;
                    self.stream.rate_mark = Some((now, self.stream.packets));
                }
            }
            None => self.stream.rate_mark = Some((now, self.stream.packets)),
        }
    }

    /// Save the baseline now (crash-safe); a failure is kept for the health endpoint.
    pub fn save_baseline(&mut self) {
        self.learned_since_save = 0;
        match self
            .pipeline
            .baseline()
            .save(&self.baseline_path, &self.identity.well_id)
        {
            Ok(()) => self.baseline_error = None,
            Err(e) => {
                if self.baseline_error.is_none() {
                    log::error!(
                        "cannot save the baseline to {}: {e}; it keeps learning in memory",
                        self.baseline_path.display()
                    );
                }
                self.baseline_error = Some(e.to_string());
            }
        }
    }

    /// Seconds since the last packet or keep-alive.
    pub fn stale_secs(&self) -> Option<f64> {
        self.stream.last_seen.map(|t| t.elapsed().as_secs_f64())
    }
}

/// Lock the core, recovering from a poisoned lock (a panic elsewhere must not stop the rig).
pub fn lock(core: &Mutex<Core>) -> MutexGuard<'_, Core> {
    core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How the loop ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LoopEnd {
    /// The input ended (replay done).
    Ended,
    /// Asked to stop.
    Stopped,
    /// The input failed.
    Failed(String),
}

/// Run until the input ends, fails, or `stop` is set. Replays (`replay`) are paced at `speed`
/// simulated seconds per second (0 = as fast as possible). The watchdog logs once when no data
/// has come for `stale_after` and once when it comes back.
pub fn run(
    core: &Mutex<Core>,
    rx: &Receiver<Input>,
    replay: bool,
    speed: f64,
    stale_after: Duration,
    stop: &AtomicBool,
) -> LoopEnd {
    let mut origin: Option<(DateTime<Utc>, Instant)> = None;
    let mut stale_since: Option<Instant> = None;
    let mut last_input = Instant::now();
    let end = loop {
        if stop.load(Ordering::Relaxed) {
            break LoopEnd::Stopped;
        }
        let input = match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(i) => i,
            Err(RecvTimeoutError::Timeout) => {
                if stale_since.is_none() && last_input.elapsed() >= stale_after {
                    stale_since = Some(last_input);
                    log::warn!(
                        "no data for {} s from {}: detection is paused until the feed returns; check the WITS link",
                        last_input.elapsed().as_secs(),
                        lock(core).source
                    );
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break LoopEnd::Ended,
        };
        last_input = Instant::now();
        if let Some(since) = stale_since.take() {
            log::info!("data is back after {} s without", since.elapsed().as_secs());
        }
        match input {
            Input::Packet(p) => {
                if replay && speed > 0.0 {
                    let (t0, w0) = *origin.get_or_insert((p.timestamp, Instant::now()));
                    let sim_secs = (p.timestamp - t0).num_milliseconds() as f64 / 1_000.0;
                    let due = w0 + Duration::from_secs_f64((sim_secs / speed).max(0.0));
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                }
                lock(core).handle(*p);
            }
            Input::KeepAlive => {
                let mut c = lock(core);
                c.stream.keepalives += 1;
                c.stream.last_seen = Some(Instant::now());
            }
            Input::Link { up, detail } => {
                if up {
                    log::info!("input: {detail}");
                } else {
                    log::warn!("input: {detail}");
                }
                let mut c = lock(core);
                c.stream.link_up = up;
                c.stream.link_detail = detail;
            }
            Input::End => break LoopEnd::Ended,
            Input::Failed(why) => break LoopEnd::Failed(why),
        }
    };
    let mut c = lock(core);
    c.stream.ended = end != LoopEnd::Stopped;
    if let LoopEnd::Failed(why) = &end {
        c.stream.failure = Some(why.clone());
    }
    c.save_baseline();
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::Campaign;
    use crate::rig::pipeline::baseline::Baseline;
    use crate::rig::pipeline::knowledge::NoopStore;
    use crate::rig::pipeline::PipelineConfig;
    use crate::simulate::{Scenario, Simulator};
    use std::sync::Arc;

    fn core(dir: &std::path::Path, events: Arc<Mutex<Vec<FleetEvent>>>) -> Core {
        let config = PipelineConfig::default();
        let pipeline = Pipeline::new(
            config.clone(),
            Campaign::Production,
            Baseline::new(config.baseline),
            Arc::new(NoopStore),
        );
        Core::new(
            pipeline,
            AdvisoryLog::open(dir, 1 << 20, 2, 100).expect("log"),
            Identity {
                rig_id: RigId::parse("RIG-T").expect("rig"),
                well_id: "W".into(),
                field: "F".into(),
            },
            Box::new(CollectSink(events)),
            dir.join("baseline.json"),
            "test".into(),
        )
    }

    #[test]
    fn an_elevated_advisory_becomes_a_fleet_event_with_its_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut c = core(dir.path(), events.clone());
        for p in Simulator::new(Scenario::TwistOff, 1).take(1_900) {
            c.handle(p);
        }
        let events = events.lock().expect("events");
        let e = events.first().expect("an event");
        assert_eq!(e.history_window.len(), 60);
        assert_eq!(e.outcome, EventOutcome::Pending);
        assert!(e.id.as_str().starts_with("RIG-T-"));
        assert_eq!(
            e.history_window.last().map(|s| s.packet.timestamp),
            Some(e.timestamp)
        );
        assert!(e.depth_ft > 10_000.0);
        // The log holds the same advisory under the same id.
        let held = c.advisories.list(&Default::default());
        assert!(held.iter().any(|r| r.id == e.id && r.fleet_event));
        assert!(
            dir.path().join("baseline.json").exists(),
            "saved as it learned"
        );
    }

    #[test]
    fn packets_whose_time_does_not_advance_are_dropped_and_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = core(dir.path(), Arc::new(Mutex::new(Vec::new())));
        let packets: Vec<WitsPacket> = Simulator::new(Scenario::Normal, 1).take(3).collect();
        c.handle(packets[1].clone());
        c.handle(packets[1].clone());
        c.handle(packets[0].clone());
        c.handle(packets[2].clone());
        assert_eq!(c.stream.packets, 2);
        assert_eq!(c.issues.count(Issue::TimeNotAdvancing), 2);
    }

    #[test]
    fn two_advisories_in_one_second_get_distinct_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = core(dir.path(), Arc::new(Mutex::new(Vec::new())));
        let at = crate::simulate::start_time();
        let (a, b) = (c.next_id(at), c.next_id(at));
        assert_ne!(a, b);
        assert!(b.as_str().ends_with("-1"), "{b}");
    }
}
