//! The rig's shared state: the pipeline, the advisory log, the stream's condition and where fleet
//! events go. The packet loop (`packet_loop`) feeds it; the API reads it and changes only what
//! its methods allow.

use super::acquisition::source::SourceState;
use super::acquisition::wits::{Issue, Issues};
use super::advisories::{AdvisoryLog, AdvisoryRecord};
use super::audit::{AuditTrail, Who};
use super::durable;
use super::explainer::{Explainer, Explanation};
use super::health::Health;
use super::incidents::{
    store as incident_store, Acknowledgment, ChangeKind, Incident, IncidentBook, IncidentError,
    Shelf,
};
use super::learned::worker::Learned;
use super::packet_loop::LoopEnd;
use super::pipeline::baseline::Baseline;
use super::pipeline::thresholds::Thresholds;
use super::pipeline::well_control::flowback::Fingerprint;
use super::pipeline::{Announced, Pipeline};
use super::recall::{local_episode, Recall};
use super::reports::shift::{self, ShiftLog};
use super::reports::trace::{self, Trace};
use super::trends::Trends;
use super::uplink::sink::FleetStatus;
use crate::drilling::{Campaign, RiskLevel, WitsPacket};
use crate::fleet::{EventId, EventOutcome, FleetEvent, IncidentCourse, OutcomeUpdate, RigId};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
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
    /// Wall-clock time of the last packet with data (keep-alives do not count).
    pub last_data: Option<Instant>,
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
    fingerprint_path: PathBuf,
    /// The flow-back fingerprint's last save error, for the health endpoint.
    fingerprint_error: Option<String>,
    incidents_path: PathBuf,
    /// The incident file's last save error, for the health endpoint.
    incidents_error: Option<String>,
    incidents_saved: Option<Instant>,
    /// When each fleet incident's course was last queued (stream time).
    course_sent: std::collections::BTreeMap<EventId, DateTime<Utc>>,
    /// The input, described.
    source: String,
    /// Precedent recall, when the rig has a fleet link: acknowledged events join it as local
    /// precedents.
    recall: Option<Arc<Recall>>,
    learned_since_save: u64,
    /// Bumped by every change a screen shows (packet, answer, shelf, link, end).
    version: u64,
    /// Two hours of every gauge's channel, for the screen's trends.
    trends: Trends,
    /// What the next heartbeat sums.
    kpis: super::heartbeat::KpiWindow,
    /// Parameter insights: their samples, schedule and store.
    insights: super::insights::runner::Insights,
    /// Asks the `[explainer]` for each advisory's words, never waiting.
    explainer: Explainer,
    /// The learned anomaly detector on its thread (`[learned]`, off unless enabled).
    learned: Learned,
    /// The last day by the minute, for the shift handover.
    shift: ShiftLog,
    shift_path: PathBuf,
    /// Where each incident's channels are kept once it clears, for its report.
    traces_dir: PathBuf,
    /// Pit volume and time the driller last zeroed the pit-gain totaliser at.
    pit_reference: Option<(f64, DateTime<Utc>)>,
    /// What the crew did to the alarms and settings, hash-chained.
    audit: AuditTrail,
}

/// The thresholds a change touched: their values before and after, by name.
fn changed_fields(before: &Thresholds, after: &Thresholds) -> (Value, Value) {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return (Value::Null, Value::Null);
    };
    let changed: Vec<&String> = a.keys().filter(|k| b.get(*k) != a.get(*k)).collect();
    let pick = |m: &serde_json::Map<String, Value>| -> Value {
        changed
            .iter()
            .map(|k| ((*k).clone(), m.get(*k).cloned().unwrap_or(Value::Null)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    (pick(&b), pick(&a))
}

/// Save the baseline after this many learned samples.
const SAVE_EVERY: u64 = 300;
/// Save the incidents' numbers (when nothing but numbers changed) at most this often, s; a change
/// of state is saved at once.
const INCIDENT_NUMBERS_EVERY_SECS: u64 = 10;
/// An open fleet incident's course (its duration, its numbers) follows its event to the hub at
/// least this often, s of stream time, besides every change of state.
const COURSE_EVERY_SECS: i64 = 60;

impl Core {
    /// A core around a pipeline, keeping its baseline and incidents under `data_dir`; the
    /// incidents a previous run left open are restored into the pipeline.
    pub fn new(
        pipeline: Pipeline,
        advisories: AdvisoryLog,
        identity: Identity,
        sink: Box<dyn EventSink>,
        data_dir: &Path,
        source: String,
    ) -> Self {
        let incidents_path = incident_store::path(data_dir);
        let (saved, incidents_error) = match incident_store::load(&incidents_path) {
            Ok(saved) => (saved, None),
            Err(e) => {
                log::error!(
                    "cannot read {}: {e}; starting with no open incidents",
                    incidents_path.display()
                );
                (Default::default(), Some(e.to_string()))
            }
        };
        let open = saved.incidents.iter().filter(|i| !i.is_closed()).count();
        if open > 0 {
            log::warn!(
                "{open} incident(s) still open from before the restart: they stay on the screen until they clear and are acknowledged"
            );
        }
        let fingerprint_path = data_dir.join("flowback.json");
        let mut pipeline = pipeline;
        match Fingerprint::load(&fingerprint_path, &identity.well_id) {
            (f, None) if f.learned() > 0 => {
                log::info!(
                    "flow-back fingerprint reloaded from {}: {} connections learned",
                    fingerprint_path.display(),
                    f.learned()
                );
                pipeline.well_control_mut().restore_fingerprint(f);
            }
            (_, None) => {}
            (_, Some(why)) => log::warn!("flow-back fingerprint: {why}"),
        }
        let book = IncidentBook::restore(
            *pipeline.incidents().config(),
            identity.rig_id.clone(),
            saved.incidents,
            saved.shelves,
        );
        Self {
            pipeline: pipeline.with_incidents(book),
            advisories,
            identity,
            sink,
            stream: StreamStats::default(),
            issues: Issues::default(),
            baseline_path: data_dir.join("baseline.json"),
            baseline_error: None,
            fingerprint_path,
            fingerprint_error: None,
            incidents_path,
            incidents_error,
            incidents_saved: None,
            course_sent: Default::default(),
            source,
            recall: None,
            learned_since_save: 0,
            version: 0,
            trends: Trends::default(),
            kpis: Default::default(),
            // Off until the rig's settings say otherwise: tools driving a core want none.
            insights: super::insights::runner::Insights::new(
                super::insights::InsightSettings {
                    enabled: false,
                    ..Default::default()
                },
                Arc::new(super::insights::store::MemoryStore::default()),
            ),
            explainer: Explainer::off(),
            learned: Learned::off(),
            shift: ShiftLog::load(&shift::path(data_dir)),
            shift_path: shift::path(data_dir),
            traces_dir: trace::dir(data_dir),
            pit_reference: None,
            audit: AuditTrail::open_or_report(data_dir),
        }
    }

    /// Judge packets with `learned` from now on.
    pub fn with_learned(mut self, learned: Learned) -> Self {
        self.learned = learned;
        self
    }

    /// The learned detector (its settings, what it finds unusual now).
    pub fn learned(&self) -> &Learned {
        &self.learned
    }

    /// Explain every advisory from now on with `explainer`.
    pub fn set_explainer(&mut self, explainer: Explainer) {
        self.explainer = explainer;
    }

    /// The explainer (its counts, whether it is on).
    pub fn explainer(&self) -> &Explainer {
        &self.explainer
    }

    /// Keep the explainer's answer for advisory `id` with the advisory; the screen shows it.
    pub fn add_explanation(&mut self, id: &EventId, explanation: Explanation) {
        if self.advisories.explain(id, explanation) {
            self.version += 1;
        }
    }

    /// The last day by the minute.
    pub fn shift(&self) -> &ShiftLog {
        &self.shift
    }

    /// Where incident traces are kept.
    pub fn traces_dir(&self) -> &Path {
        &self.traces_dir
    }

    /// Keep the shift log (it waits while the disk is nearly full); a failure is logged, as the
    /// handover is not worth stopping for.
    fn save_shift(&self) {
        if let Err(e) = self.shift.save(&self.shift_path) {
            log::warn!(
                "cannot save the shift log to {}: {e}; a restart would start the handover afresh",
                self.shift_path.display()
            );
        }
    }

    /// Keep the channels around incident `id` for its report, now that it cleared or closed.
    fn save_trace(&self, id: &EventId) {
        let book = self.pipeline.incidents();
        let Some(incident) = book.get(id.as_str()) else {
            return;
        };
        let Some(trace) = Trace::take(incident, &self.trends) else {
            return;
        };
        let held: Vec<&str> = book.incidents().iter().map(|i| i.id.as_str()).collect();
        if let Err(e) = trace::save(&self.traces_dir, id.as_str(), &trace, &held) {
            log::warn!(
                "cannot keep incident {id}'s channels in {}: {e}; its report will show them only while the rig holds them (two hours)",
                self.traces_dir.display()
            );
        }
    }

    /// The audit trail (its file, and whether its last write failed).
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    /// The heartbeat's figures since the last heartbeat; the next interval starts now.
    pub fn take_kpi_window(&mut self) -> super::heartbeat::WindowFigures {
        self.kpis.take()
    }

    /// Two hours of every gauge's channel.
    pub fn trends(&self) -> &Trends {
        &self.trends
    }

    /// The pit-gain totaliser's zero: pit volume, bbl, and when it was set.
    pub fn pit_reference(&self) -> Option<(f64, DateTime<Utc>)> {
        self.pit_reference
    }

    /// Zero the pit-gain totaliser at the pit volume now (as a driller does after a transfer or
    /// at a connection); `None` when the stream has no pit volume.
    pub fn reset_pit(&mut self, who: &Who) -> Option<(f64, DateTime<Utc>)> {
        let pit =
            crate::drilling::readings::reading("Pit volume").and_then(|i| self.trends.latest(i))?;
        let at = self.stream.last_time.unwrap_or_else(Utc::now);
        let before = self.pit_reference.map(|(bbl, _)| bbl);
        self.audit.record(
            who,
            "pit_reset",
            None,
            json!({"pit_volume_bbl": pit, "previous_zero_bbl": before}),
        );
        self.pit_reference = Some((pit, at));
        self.version += 1;
        log::info!("pit-gain totaliser zeroed at {pit:.1} bbl");
        self.pit_reference
    }

    /// A number that changes whenever something a screen shows does.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The same core, whose acknowledged fleet events become precedents in `recall` at once.
    pub fn with_recall(mut self, recall: Option<Arc<Recall>>) -> Self {
        self.recall = recall;
        self
    }

    /// The same core making parameter insights.
    pub fn with_insights(mut self, insights: super::insights::runner::Insights) -> Self {
        self.insights = insights;
        self
    }

    /// The parameter insights.
    pub fn insights(&self) -> &super::insights::runner::Insights {
        &self.insights
    }

    /// The pipeline, to read.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The thresholds the pipeline judges by, changed live.
    pub fn set_thresholds(&mut self, thresholds: Thresholds, who: &Who) {
        let (before, after) = changed_fields(self.pipeline.thresholds(), &thresholds);
        self.audit.record(
            who,
            "thresholds",
            None,
            json!({"before": before, "after": after}),
        );
        self.pipeline.set_thresholds(thresholds);
    }

    /// The campaign the rig is on, changed live.
    pub fn set_campaign(&mut self, campaign: Campaign, who: &Who) {
        let before = self.pipeline.campaign();
        self.audit.record(
            who,
            "campaign",
            None,
            json!({"before": before, "after": campaign}),
        );
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

    /// The flow-back fingerprint's last save error.
    pub fn fingerprint_error(&self) -> Option<&str> {
        self.fingerprint_error.as_deref()
    }

    /// Run one packet through; the announcements it made (mostly none).
    pub fn handle(&mut self, packet: WitsPacket) -> Vec<AdvisoryRecord> {
        if !self.accept(&packet) {
            return Vec::new();
        }
        let processed = self.pipeline.process(packet);
        if let Some(latest) = self.pipeline.latest() {
            self.trends.record(&latest.packet, &processed.metrics);
            self.kpis.record(&latest.packet, &processed.metrics);
            self.insights.record(&latest.packet, &processed.metrics);
            self.shift.record(&latest.packet, &processed.metrics);
            let quiet = !self
                .pipeline
                .incidents()
                .incidents()
                .iter()
                .any(|i| i.is_active() && i.now.level >= RiskLevel::Elevated);
            self.learned.send(&latest.packet, &processed.metrics, quiet);
        }
        if self.shift.save_due() {
            self.save_shift();
        }
        self.learned_since_save += self.pipeline.take_baseline_changes();
        if self.learned_since_save >= SAVE_EVERY {
            self.save_baseline();
        }
        if self.pipeline.well_control_mut().take_fingerprint_change() {
            self.save_fingerprint();
        }
        let mut records = Vec::with_capacity(processed.announcements.len());
        for announced in processed.announcements {
            let record = self.record(announced);
            if record.fleet_event {
                self.submit(&record);
            }
            self.explainer
                .ask(&record.id, &record.advisory, record.depth_ft);
            self.advisories.append(record.clone());
            records.push(record);
        }
        self.follow_incidents();
        records
    }

    /// Count a packet whose time advances; drop (and note) one whose time does not.
    fn accept(&mut self, packet: &WitsPacket) -> bool {
        self.stream.last_seen = Some(Instant::now());
        self.stream.last_data = self.stream.last_seen;
        if self.stream.last_time.is_some_and(|t| packet.timestamp <= t) {
            self.issues
                .note(Issue::TimeNotAdvancing, &packet.timestamp.to_rfc3339());
            return false;
        }
        self.stream.last_time = Some(packet.timestamp);
        self.stream.packets += 1;
        self.version += 1;
        self.update_rate();
        true
    }

    /// An announcement as the rig keeps it, logged in one line.
    fn record(&mut self, announced: Announced) -> AdvisoryRecord {
        let Announced { announce, advisory } = announced;
        let latest = self.pipeline.latest();
        let depth_ft = latest.and_then(|s| s.packet.depth_ft());
        let line = format!(
            "[{}] {} {} at {} — {}",
            advisory.risk_level.as_str().to_uppercase(),
            advisory.category.label(),
            announce.reason.label(),
            depth_ft
                .map(|d| format!("{} ft", crate::drilling::thousands(d)))
                .unwrap_or_else(|| "unknown depth".into()),
            advisory.recommendation
        );
        log::warn!(
            incident = announce.incident.as_str(),
            category = advisory.category.as_str(),
            risk = advisory.risk_level.as_str(),
            depth_ft = depth_ft.unwrap_or(f64::NAN);
            "{line} (incident {})",
            announce.incident
        );
        let mut advisory = advisory;
        if let Some(u) = self.learned.findings().unusual {
            // The hybrid: a rule's ticket the learned detector corroborates says so.
            advisory.reasoning.push_str(&format!(
                " The learned detector agrees: this rig's {} has been unlike its own recent operation since {} ({}).",
                u.state.to_string().replace('_', " "),
                u.since.format("%H:%M:%S"),
                if u.channels.is_empty() { "several channels at once".to_owned() } else { u.channels_words() }
            ));
        }
        let fleet_event = advisory.risk_level >= RiskLevel::Elevated;
        AdvisoryRecord {
            id: announce.advisory_id,
            incident: Some(announce.incident),
            reason: Some(announce.reason),
            fleet_event,
            raised_at: Some(Utc::now()),
            advisory,
            acknowledgment: None,
            key_metrics: latest.map(crate::fleet::EpisodeMetrics::from_snapshot),
            depth_ft,
            campaign: Some(self.pipeline.campaign()),
            explanation: None,
        }
    }

    /// Hand an incident to the fleet sink as one event with its history, the first time it is
    /// announced at Elevated or above; later announcements travel as its course.
    fn submit(&mut self, record: &AdvisoryRecord) {
        let Some(id) = record.incident.clone() else {
            return;
        };
        if self
            .pipeline
            .incidents()
            .get(id.as_str())
            .is_none_or(|i| i.fleet_event)
        {
            return;
        }
        self.pipeline.incidents_mut().mark_fleet_event(&id);
        self.sink.submit(FleetEvent {
            id,
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

    /// Save what changed in the incident book (a change of state at once, numbers every few
    /// seconds) and send the course of fleet incidents after their events.
    fn follow_incidents(&mut self) {
        self.version += 1;
        let changes = self.pipeline.incidents_mut().take_changes();
        let unsaved = self.pipeline.incidents().has_unsaved_numbers();
        if unsaved {
            self.send_due_courses();
        }
        let numbers_due = unsaved
            && self.incidents_saved.is_none_or(|t| {
                t.elapsed() >= std::time::Duration::from_secs(INCIDENT_NUMBERS_EVERY_SECS)
            });
        if changes.is_empty() && !numbers_due {
            return;
        }
        self.save_incidents();
        let mut told = Vec::new();
        for change in &changes {
            if matches!(change.kind, ChangeKind::Cleared | ChangeKind::Closed) {
                self.save_trace(&change.id);
            }
        }
        for change in changes {
            let tells_fleet = matches!(
                change.kind,
                ChangeKind::Escalated
                    | ChangeKind::Reopened
                    | ChangeKind::Cleared
                    | ChangeKind::Closed
                    | ChangeKind::Acknowledged
                    | ChangeKind::Attached
            );
            if tells_fleet && !told.contains(&change.id) {
                told.push(change.id);
            }
        }
        for id in told {
            self.send_course(&id);
        }
    }

    /// Queue the course of every open fleet incident whose last one is a minute old.
    fn send_due_courses(&mut self) {
        let Some(now) = self.stream.last_time else {
            return;
        };
        let due: Vec<EventId> = self
            .pipeline
            .incidents()
            .incidents()
            .iter()
            .filter(|i| i.fleet_event && i.is_active())
            .filter(|i| {
                self.course_sent
                    .get(&i.id)
                    .is_none_or(|t| (now - *t).num_seconds() >= COURSE_EVERY_SECS)
            })
            .map(|i| i.id.clone())
            .collect();
        for id in due {
            self.send_course(&id);
        }
    }

    /// Queue incident `id`'s whole state (outcome so far, peak, duration, clearing) to follow
    /// its event to the hub; a later update replaces an earlier one still waiting.
    fn send_course(&mut self, id: &EventId) {
        let Some(incident) = self.pipeline.incidents().get(id.as_str()) else {
            return;
        };
        if !incident.fleet_event {
            return;
        }
        let update = course_update(incident);
        self.sink.outcome(id, update);
        if let Some(now) = self.stream.last_time {
            self.course_sent.insert(id.clone(), now);
        }
        let book = self.pipeline.incidents();
        self.course_sent
            .retain(|id, _| book.get(id.as_str()).is_some_and(|i| !i.is_closed()));
    }

    /// Write the incident book now (crash-safe); a failure is kept for the health endpoint.
    fn save_incidents(&mut self) {
        self.incidents_saved = Some(Instant::now());
        let book = self.pipeline.incidents();
        match incident_store::save(&self.incidents_path, book.incidents(), book.shelves()) {
            Ok(()) => {
                self.incidents_error = None;
                self.pipeline.incidents_mut().mark_saved();
            }
            Err(e) => {
                if self.incidents_error.is_none() {
                    log::error!(
                        "cannot save the incidents to {}: {e}; they stay on the screen but a restart would lose them — free disk space under the data directory",
                        self.incidents_path.display()
                    );
                }
                self.incidents_error = Some(e.to_string());
            }
        }
    }

    /// The incident file's last save error.
    pub fn incidents_error(&self) -> Option<&str> {
        self.incidents_error.as_deref()
    }

    /// The incident an advisory announced (the advisory's own id is its incident's for the first
    /// announcement).
    pub fn incident_of(&self, advisory_id: &str) -> Option<EventId> {
        if let Some(i) = self.pipeline.incidents().get(advisory_id) {
            return Some(i.id.clone());
        }
        self.advisories.get(advisory_id)?.incident.clone()
    }

    /// Record what the crew made of incident `id`: kept with the incident and its announcements,
    /// made a local precedent at once, and queued to follow its event to the hub.
    pub fn acknowledge(
        &mut self,
        id: &str,
        ack: Acknowledgment,
        who: &Who,
    ) -> Result<Incident, IncidentError> {
        let at = self.stream.last_time.unwrap_or(ack.at);
        let incident = self
            .pipeline
            .incidents_mut()
            .acknowledge(id, ack.clone(), at)?;
        self.audit.record(
            who,
            "acknowledge",
            Some(id),
            json!({"category": incident.category, "outcome": ack.outcome, "notes": ack.notes}),
        );
        for a in &incident.announcements {
            // Announcements rotated out of memory keep their acknowledgment in the incident.
            let _ = self
                .advisories
                .acknowledge(a.advisory_id.as_str(), ack.clone());
        }
        if let (true, Some(recall)) = (incident.fleet_event, &self.recall) {
            // The rig's own experience is a precedent at once, before any hub has seen it.
            let peak = incident
                .announcements
                .iter()
                .max_by_key(|a| a.level)
                .and_then(|a| self.advisories.get(a.advisory_id.as_str()));
            if let Some(e) =
                peak.and_then(|r| local_episode(&self.identity.rig_id, &self.identity.field, r))
            {
                recall.add_local(e);
            }
        }
        self.follow_incidents();
        Ok(incident)
    }

    /// Shelve incident `id`'s category for `minutes` with a reason (stream time).
    pub fn shelve(
        &mut self,
        id: &str,
        minutes: f64,
        reason: &str,
        by: Option<String>,
        who: &Who,
    ) -> Result<Shelf, IncidentError> {
        let at = self.stream.last_time.unwrap_or_else(Utc::now);
        let shelf = self
            .pipeline
            .incidents_mut()
            .shelve(id, minutes, reason, by, at)?;
        self.audit.record(
            who,
            "shelve",
            Some(id),
            json!({"category": shelf.category, "minutes": minutes, "reason": shelf.reason, "until": shelf.until}),
        );
        log::warn!(
            "{} shelved until {} ({}): its incidents are tracked and listed, not announced",
            shelf.category.label(),
            shelf.until.format("%H:%M:%S UTC"),
            shelf.reason
        );
        self.follow_incidents();
        Ok(shelf)
    }

    /// A keep-alive came: the feed is alive though it sent no data.
    pub fn keep_alive(&mut self) {
        self.stream.keepalives += 1;
        self.stream.last_seen = Some(Instant::now());
    }

    /// The input's link went up or down.
    pub fn set_link(&mut self, up: bool, detail: String) {
        self.version += 1;
        if up {
            // A new connection's silence is counted from when it came up.
            self.stream.last_data = Some(Instant::now());
        }
        self.stream.link_up = up;
        self.stream.link_detail = detail;
    }

    /// The packet loop ended: say so on the health endpoint and save the baseline.
    pub fn finish(&mut self, end: &LoopEnd) {
        self.version += 1;
        self.stream.ended = *end != LoopEnd::Stopped;
        if let LoopEnd::Failed(why) = end {
            self.stream.failure = Some(why.clone());
        }
        self.save_baseline();
        // The incidents as they stand, on disk and on their way to the hub; their channels and
        // the shift so far, for the reports after a restart (the trends start empty).
        self.save_incidents();
        self.save_shift();
        let unclosed: Vec<(EventId, bool)> = self
            .pipeline
            .incidents()
            .incidents()
            .iter()
            .filter(|i| !i.is_closed())
            .map(|i| (i.id.clone(), i.fleet_event))
            .collect();
        for (id, fleet_event) in unclosed {
            self.save_trace(&id);
            if fleet_event {
                self.send_course(&id);
            }
        }
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

    /// Save the baseline now (crash-safe); a failure is kept for the health endpoint. Skipped
    /// while the self-healer has paused non-critical writes (the disk is nearly full).
    pub fn save_baseline(&mut self) {
        if durable::non_critical_paused() {
            return;
        }
        self.learned_since_save = 0;
        let saved = self
            .pipeline
            .baseline()
            .save(&self.baseline_path, &self.identity.well_id);
        note_save(
            saved,
            &mut self.baseline_error,
            "baseline",
            &self.baseline_path,
        );
    }

    /// Save the flow-back fingerprint (after each connection it learned: a few an hour), unless
    /// non-critical writes are paused.
    fn save_fingerprint(&mut self) {
        if durable::non_critical_paused() {
            return;
        }
        let saved = self
            .pipeline
            .well_control()
            .fingerprint()
            .save(&self.fingerprint_path, &self.identity.well_id);
        note_save(
            saved,
            &mut self.fingerprint_error,
            "flow-back fingerprint",
            &self.fingerprint_path,
        );
    }

    /// Seconds since the last packet or keep-alive.
    pub fn stale_secs(&self) -> Option<f64> {
        self.stream.last_seen.map(|t| t.elapsed().as_secs_f64())
    }

    /// Seconds since the last packet with data, or since the link came up if none came since.
    pub fn data_silent_secs(&self) -> Option<f64> {
        self.stream.last_data.map(|t| t.elapsed().as_secs_f64())
    }

    /// The self-healer's look at the saved baseline: a file that no longer reads is renamed
    /// aside and rewritten from the baseline in memory (which, still learning, goes on learning).
    pub fn heal_baseline_file(&mut self) -> crate::rig::healer::Outcome {
        use crate::rig::healer::Outcome;
        let path = self.baseline_path.clone();
        if !path.exists() {
            return Outcome::Fine("not saved yet".into());
        }
        let config = *self.pipeline.baseline().config();
        let (_, problem) = Baseline::load(&path, &self.identity.well_id, config);
        let Some(problem) = problem else {
            return Outcome::Fine(format!("{} reads", path.display()));
        };
        let aside = path.with_extension(format!("json.bad-{}", Utc::now().timestamp()));
        if let Err(e) = std::fs::rename(&path, &aside) {
            return Outcome::Failing(format!(
                "{problem}; cannot set it aside as {}: {e}",
                aside.display()
            ));
        }
        let learned = self.pipeline.baseline().progress() >= 1.0;
        self.save_baseline();
        let detail = format!(
            "set it aside as {}; {}",
            aside.display(),
            match (&self.baseline_error, learned) {
                (Some(e), _) => format!("rewriting it failed ({e}); relearning meanwhile"),
                (None, true) => "rewrote it from the learned baseline in memory".to_owned(),
                (None, false) => "relearning (the baseline was still learning)".to_owned(),
            }
        );
        Outcome::Healed {
            problem,
            action: "set_aside_baseline",
            detail,
        }
    }

    /// Reopen the advisory log file (its writes failed): where it is.
    pub fn reopen_advisory_log(&mut self) -> std::io::Result<std::path::PathBuf> {
        self.advisories.reopen()
    }
}

/// An incident's whole state as its fleet event's update: the crew's outcome so far (pending
/// until acknowledged) and its course.
fn course_update(i: &Incident) -> OutcomeUpdate {
    let (outcome, notes) = match &i.acknowledgment {
        Some(a) => (a.outcome.clone(), a.notes.clone()),
        None => (EventOutcome::Pending, None),
    };
    OutcomeUpdate {
        outcome,
        notes,
        course: Some(IncidentCourse {
            peak_level: i.peak.level,
            duration_secs: i.duration_secs(),
            cleared_at: i.cleared_at,
            announcements: i.announcements.len() as u32,
            attached: i.attached.iter().map(|a| a.category).collect(),
        }),
    }
}

/// Keep a learned state's save result for the health endpoint: the first failure of a run of
/// them is logged; the state keeps learning in memory either way.
fn note_save(saved: std::io::Result<()>, error: &mut Option<String>, what: &str, path: &Path) {
    match saved {
        Ok(()) => *error = None,
        Err(e) => {
            if error.is_none() {
                log::error!(
                    "cannot save the {what} to {}: {e}; it keeps learning in memory",
                    path.display()
                );
            }
            *error = Some(e.to_string());
        }
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
            dir,
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

    /// The flow-back fingerprint learned over a shift's connections is saved as each connection
    /// is learned, and a restarted rig starts from it rather than from nothing.
    #[test]
    fn the_connection_fingerprint_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let learned = {
            let mut c = core(dir.path(), Arc::new(Mutex::new(Vec::new())));
            for p in Simulator::new(Scenario::Normal, 3).take(6 * 3_600) {
                c.handle(p);
                if c.pipeline().well_control().connections_learned() >= 3 {
                    break;
                }
            }
            c.pipeline().well_control().connections_learned()
        };
        assert!(learned >= 3, "{learned} connections learned");
        assert!(dir.path().join("flowback.json").exists());
        let restarted = core(dir.path(), Arc::new(Mutex::new(Vec::new())));
        assert_eq!(
            restarted.pipeline().well_control().connections_learned(),
            learned
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
    fn a_rig_restarted_mid_kick_shows_the_same_open_incident_and_goes_on_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let events = Arc::new(Mutex::new(Vec::new()));
        let packets: Vec<WitsPacket> = Simulator::new(Scenario::Kick, 3).take(2_400).collect();
        let mut c = core(dir.path(), events.clone());
        for p in &packets[..2_000] {
            c.handle(p.clone());
        }
        let before = c.pipeline.incidents().incidents().to_vec();
        assert_eq!(before.len(), 1, "{before:#?}");
        assert!(before[0].is_active());
        drop(c); // as if killed: the book is written at every change of state
        let mut c = core(dir.path(), events.clone());
        let after = c.pipeline.incidents().incidents().to_vec();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].id, before[0].id);
        assert_eq!(after[0].announcements, before[0].announcements);
        assert!(after[0].is_active());
        for p in &packets[2_000..] {
            c.handle(p.clone());
        }
        let later = c.pipeline.incidents().incidents();
        assert_eq!(later.len(), 1, "the same incident goes on: {later:#?}");
        assert_eq!(later[0].id, before[0].id);
        let events = events.lock().expect("events");
        assert_eq!(events.len(), 1, "one fleet event for the incident");
        assert_eq!(events[0].id, before[0].id);
    }

    #[test]
    fn an_answered_incident_is_a_local_precedent_at_once() {
        use crate::rig::pipeline::knowledge::{KnowledgeStore, PrecedentQuery};
        let dir = tempfile::tempdir().expect("tempdir");
        let recall = Arc::new(Recall::default());
        let mut c =
            core(dir.path(), Arc::new(Mutex::new(Vec::new()))).with_recall(Some(recall.clone()));
        for p in Simulator::new(Scenario::TwistOff, 2).take(1_900) {
            c.handle(p);
        }
        let id = c.pipeline.incidents().incidents()[0].id.clone();
        let ack = Acknowledgment {
            outcome: EventOutcome::Resolved {
                action_taken: "fished the BHA".into(),
            },
            notes: None,
            by: Some("driller".into()),
            at: Utc::now(),
        };
        let who = Who {
            actor: "driller".into(),
            source: "screen".into(),
        };
        c.acknowledge(id.as_str(), ack, &who).expect("ack");
        let trail = crate::rig::audit::verify(c.audit().path()).expect("trail");
        assert_eq!(
            (trail.entries, trail.problem),
            (1, None),
            "the act is audited"
        );
        let latest = c.pipeline.latest().expect("packets").clone();
        let found = recall.query(&PrecedentQuery {
            category: crate::drilling::AnomalyCategory::TwistOff,
            campaign: Campaign::Production,
            depth_ft: latest.packet.depth_ft(),
            metrics: crate::fleet::EpisodeMetrics::from_snapshot(&latest),
            limit: 3,
        });
        assert_eq!(
            found.first().map(|p| p.episode_id.as_str()),
            Some(id.as_str())
        );
        assert!(found[0].summary.contains("fished the BHA"), "{found:?}");
    }

    #[test]
    fn an_unreadable_incident_file_is_kept_aside_and_the_rig_starts() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("incidents.json"), b"{\"incidents\": [tor").expect("write");
        let c = core(dir.path(), Arc::new(Mutex::new(Vec::new())));
        assert!(c.pipeline.incidents().incidents().is_empty());
        let aside = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("incidents.json.unreadable-")
            });
        assert!(aside, "the unreadable file is kept for a person to look at");
    }
}
