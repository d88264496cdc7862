//! The rig's shared state: the pipeline, the advisory log, the stream's condition and where fleet
//! events go. The packet loop (`packet_loop`) feeds it; the API reads it and changes only what
//! its methods allow.

use super::acquisition::source::SourceState;
use super::acquisition::wits::{Issue, Issues};
use super::advisories::{AckError, Acknowledgment, AdvisoryLog, AdvisoryRecord};
use super::health::Health;
use super::packet_loop::LoopEnd;
use super::pipeline::thresholds::Thresholds;
use super::pipeline::Pipeline;
use super::recall::{local_episode, Recall};
use super::uplink::sink::FleetStatus;
use crate::drilling::{Campaign, RiskLevel, StrategicAdvisory, WitsPacket};
use crate::fleet::{EventId, EventOutcome, FleetEvent, OutcomeUpdate, RigId};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

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
    fn status(&self) -> FleetStatus {
        FleetStatus::off(self.describe())
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
pub struct CollectSink(pub Arc<Mutex<Vec<FleetEvent>>>);

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

/// Everything the packet loop and the API share, behind one lock held briefly per packet. Its
/// parts are reached through methods, so that what the API may change is said here.
pub struct Core {
    pipeline: Pipeline,
    advisories: AdvisoryLog,
    identity: Identity,
    sink: Box<dyn EventSink>,
    stream: StreamStats,
    /// What the pipeline dropped (packets whose time did not advance).
    issues: Issues,
    baseline_path: PathBuf,
    /// The baseline's last save error, for the health endpoint.
    baseline_error: Option<String>,
    /// The input, described.
    source: String,
    /// Precedent recall, when the rig has a fleet link: acknowledged events join it as local
    /// precedents.
    recall: Option<Arc<Recall>>,
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

    /// The same core, whose acknowledged fleet events become precedents in `recall` at once.
    pub fn with_recall(mut self, recall: Option<Arc<Recall>>) -> Self {
        self.recall = recall;
        self
    }

    /// The pipeline, to read.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The thresholds the pipeline judges by, changed live.
    pub fn set_thresholds(&mut self, thresholds: Thresholds) {
        self.pipeline.set_thresholds(thresholds);
    }

    /// The campaign the rig is on, changed live.
    pub fn set_campaign(&mut self, campaign: Campaign) {
        self.pipeline.set_campaign(campaign);
    }

    /// The advisory log, to read.
    pub fn advisories(&self) -> &AdvisoryLog {
        &self.advisories
    }

    /// Who this rig is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The stream's condition.
    pub fn stream(&self) -> &StreamStats {
        &self.stream
    }

    /// What the pipeline dropped.
    pub fn issues(&self) -> &Issues {
        &self.issues
    }

    /// The input, described.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where fleet events go, in one line.
    pub fn fleet_summary(&self) -> String {
        self.sink.describe()
    }

    /// The fleet link's state, for `GET /api/v1/fleet`.
    pub fn fleet_status(&self) -> FleetStatus {
        self.sink.status()
    }

    /// The rig's health now: stream, baseline, sensors and every problem in words.
    pub fn health(&self, input: &SourceState, stale_after_secs: f64) -> Health {
        Health::read(self, input, stale_after_secs)
    }

    /// The baseline's last save error.
    pub fn baseline_error(&self) -> Option<&str> {
        self.baseline_error.as_deref()
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
        if !self.accept(&packet) {
            return None;
        }
        let processed = self.pipeline.process(packet);
        self.learned_since_save += self.pipeline.take_baseline_changes();
        if self.learned_since_save >= SAVE_EVERY {
            self.save_baseline();
        }
        let advisory = processed.advisory?;
        let record = self.record(advisory);
        if record.fleet_event {
            self.submit(&record);
        }
        self.advisories.append(record.clone());
        Some(record)
    }

    /// Count a packet whose time advances; drop (and note) one whose time does not.
    fn accept(&mut self, packet: &WitsPacket) -> bool {
        self.stream.last_seen = Some(Instant::now());
        if self.stream.last_time.is_some_and(|t| packet.timestamp <= t) {
            self.issues
                .note(Issue::TimeNotAdvancing, &packet.timestamp.to_rfc3339());
            return false;
        }
        self.stream.last_time = Some(packet.timestamp);
        self.stream.packets += 1;
        self.update_rate();
        true
    }

    /// The advisory as the rig keeps it, logged in one line.
    fn record(&mut self, advisory: StrategicAdvisory) -> AdvisoryRecord {
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
        AdvisoryRecord {
            id,
            fleet_event,
            advisory,
            acknowledgment: None,
            key_metrics: latest.map(crate::fleet::EpisodeMetrics::from_snapshot),
            depth_ft,
            campaign: Some(self.pipeline.campaign()),
        }
    }

    /// Hand an Elevated-and-above advisory to the fleet sink as an event with its history.
    fn submit(&mut self, record: &AdvisoryRecord) {
        self.sink.submit(FleetEvent {
            id: record.id.clone(),
            rig_id: self.identity.rig_id.clone(),
            well_id: self.identity.well_id.clone(),
            field: self.identity.field.clone(),
            campaign: self.pipeline.campaign(),
            advisory: record.advisory.clone(),
            history_window: self.pipeline.history_window(),
            outcome: EventOutcome::Pending,
            notes: None,
            depth_ft: record.depth_ft.unwrap_or(0.0),
            timestamp: record.advisory.timestamp,
        });
    }

    /// Record what the crew made of advisory `id`: stored with the advisory, made a local
    /// precedent at once, and handed to the sink to follow its event to the hub.
    pub fn acknowledge(
        &mut self,
        id: &str,
        ack: Acknowledgment,
    ) -> Result<AdvisoryRecord, AckError> {
        let record = self.advisories.acknowledge(id, ack.clone())?;
        if let (true, Some(recall)) = (record.fleet_event, &self.recall) {
            // The rig's own experience is a precedent at once, before any hub has seen it.
            if let Some(e) = local_episode(&self.identity.rig_id, &self.identity.field, &record) {
                recall.add_local(e);
            }
        }
        if record.fleet_event {
            // The outcome follows its event to the hub (queued on disk, sent after the event).
            self.sink.outcome(
                &record.id,
                OutcomeUpdate {
                    outcome: ack.outcome,
                    notes: ack.notes,
                },
            );
        }
        Ok(record)
    }

    /// A keep-alive came: the feed is alive though it sent no data.
    pub fn keep_alive(&mut self) {
        self.stream.keepalives += 1;
        self.stream.last_seen = Some(Instant::now());
    }

    /// The input's link went up or down.
    pub fn set_link(&mut self, up: bool, detail: String) {
        self.stream.link_up = up;
        self.stream.link_detail = detail;
    }

    /// The packet loop ended: say so on the health endpoint and save the baseline.
    pub fn finish(&mut self, end: &LoopEnd) {
        self.stream.ended = *end != LoopEnd::Stopped;
        if let LoopEnd::Failed(why) = end {
            self.stream.failure = Some(why.clone());
        }
        self.save_baseline();
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
