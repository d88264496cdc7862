//! The ten phases of DESIGN §3 on every packet: validate and classify, physics, baseline,
//! history, tactical gate, strategic verification, knowledge, specialists, composition.
//! [`Pipeline::process`] is the coordinator; each phase lives in its own module and is timed.

pub mod baseline;
pub mod composer;
pub mod history;
pub mod knowledge;
pub mod latency;
pub mod quality;
pub mod signature;
pub mod specialists;
pub mod strategic;
pub mod thresholds;
pub mod well_control;

use crate::drilling::{
    AnomalyCategory, Campaign, DrillingMetrics, RigState, StrategicAdvisory, WitsPacket,
};
use crate::fleet::{EpisodeMetrics, HistorySnapshot, RigId};
use crate::rig::incidents::{Announce, Confirmation, IncidentBook, IncidentConfig, Numbers};
use crate::rig::physics::state::StateThresholds;
use crate::rig::physics::{Physics, WellConfig};
use baseline::{Baseline, BaselineConfig};
use chrono::{DateTime, Utc};
use history::History;
use knowledge::{KnowledgeStore, PrecedentQuery};
use latency::{Latency, Phase};
use quality::SensorCheck;
use serde::{Deserialize, Serialize};
use specialists::Specialist;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use thresholds::Thresholds;
use well_control::WellControl;

/// Seconds a state (and the pump rate) must hold before detectors trust the packets: flow out
/// lags a pump change by the annulus' transit, and torque and pressure settle after a connection.
pub const SETTLE_SECS: f64 = 60.0;
/// A pump-rate change larger than this fraction restarts the settling clock.
const PUMP_CHANGE: f64 = 0.05;
/// Phases are timed on one packet in this many.
const PHASE_SAMPLE: u64 = 8;
/// Packets identical in a row before a channel is called stuck.
pub const STUCK_AFTER_PACKETS: u64 = 30;

/// What the pipeline needs to know about the well and how to judge it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// Well geometry and mud for the physics.
    pub well: WellConfig,
    /// Rig-state thresholds.
    pub states: StateThresholds,
    /// Baseline learning.
    pub baseline: BaselineConfig,
    /// Detection thresholds.
    pub thresholds: Thresholds,
    /// How incidents clear, re-open and may be shelved.
    pub incidents: IncidentConfig,
}

/// A ticket the gate raised and the strategic check has not yet confirmed or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ticket {
    /// The trouble suspected.
    pub category: AnomalyCategory,
    /// When the gate raised it.
    pub opened_at: DateTime<Utc>,
    /// Whether it has been confirmed at least once.
    pub confirmed: bool,
}

/// An announcement of an incident: the advisory the driller is shown, and why now.
#[derive(Debug, Clone)]
pub struct Announced {
    /// The incident, the advisory's id and the reason.
    pub announce: Announce,
    /// The advisory.
    pub advisory: StrategicAdvisory,
}

/// What one packet produced.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The metrics computed.
    pub metrics: DrillingMetrics,
    /// Incidents that opened, escalated or came back on this packet (mostly none).
    pub announcements: Vec<Announced>,
}

/// The coordinator: owns every phase's state.
pub struct Pipeline {
    config: PipelineConfig,
    campaign: Campaign,
    sensors: SensorCheck,
    physics: Physics,
    well: WellControl,
    well_view: well_control::WellView,
    baseline: Baseline,
    baseline_dirty: u64,
    history: History,
    tickets: BTreeMap<AnomalyCategory, Ticket>,
    store: Arc<dyn KnowledgeStore>,
    panel: Vec<Box<dyn Specialist>>,
    incidents: IncidentBook,
    latency: Latency,
    state_since: Option<(RigState, DateTime<Utc>)>,
    pumps_since: Option<(f64, DateTime<Utc>)>,
    last_time: Option<DateTime<Utc>>,
    bit_in: Option<f64>,
    /// When this hole section began (the bit size last changed), if it changed in this run.
    section_since: Option<DateTime<Utc>>,
    held: u64,
    hold_noted: bool,
    packets: u64,
}

/// How long the rig has held its state and its pump rate, s.
#[derive(Debug, Clone, Copy)]
struct Settled {
    state_secs: f64,
    pumps_secs: f64,
}

impl Settled {
    /// Long enough for detectors to trust the packets.
    fn steady(self) -> bool {
        self.state_secs >= SETTLE_SECS && self.pumps_secs >= SETTLE_SECS
    }
}

/// Times one packet: the whole of it always, its phases on one packet in [`PHASE_SAMPLE`].
/// Reading the clock costs ~25 ns, a tenth of a phase; the sampled distribution is the same.
struct Stopwatch {
    start: Instant,
    lap: Instant,
    sampled: bool,
}

impl Stopwatch {
    fn start(packets: u64) -> Self {
        let now = Instant::now();
        Self {
            start: now,
            lap: now,
            sampled: packets % PHASE_SAMPLE == 0,
        }
    }

    /// Record the phase that just ended, on a sampled packet.
    fn lap(&mut self, latency: &mut Latency, phase: Phase) {
        if self.sampled {
            let now = Instant::now();
            latency.record(phase, now - self.lap);
            self.lap = now;
        }
    }

    fn elapsed(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

impl Pipeline {
    /// A pipeline with this configuration, a (possibly reloaded) baseline and a knowledge store;
    /// its incidents are named for the default rig until [`Pipeline::with_incidents`].
    pub fn new(
        config: PipelineConfig,
        campaign: Campaign,
        baseline: Baseline,
        store: Arc<dyn KnowledgeStore>,
    ) -> Self {
        let incidents = config.incidents;
        Self {
            physics: Physics::new(config.well, config.states),
            well: WellControl::new(&config.thresholds, config.well.displacement_bbl_ft()),
            well_view: well_control::WellView::default(),
            config,
            campaign,
            sensors: SensorCheck::new(STUCK_AFTER_PACKETS),
            baseline,
            baseline_dirty: 0,
            history: History::default(),
            tickets: BTreeMap::new(),
            store,
            panel: specialists::panel(),
            incidents: IncidentBook::new(incidents, RigId::default_rig()),
            latency: Latency::default(),
            state_since: None,
            pumps_since: None,
            last_time: None,
            bit_in: None,
            section_since: None,
            held: 0,
            hold_noted: false,
            packets: 0,
        }
    }

    /// The same pipeline keeping this rig's (possibly restored) incident book.
    pub fn with_incidents(mut self, book: IncidentBook) -> Self {
        self.incidents = book;
        self
    }

    /// Run every phase on one packet.
    pub fn process(&mut self, mut packet: WitsPacket) -> Processed {
        let mut watch = Stopwatch::start(self.packets);

        // 2. Validate and classify.
        self.physics.complete(&mut packet);
        self.sensors.clean(&mut packet);
        self.packets += 1;
        watch.lap(&mut self.latency, Phase::Validate);

        // 3. Physics, with the well-control reading of the pits and flows in every state.
        let mut metrics = self.physics.compute(&packet);
        let settled = self.settled(&packet, metrics.rig_state);
        let steady = settled.steady();
        let well = self.well.observe(
            &packet,
            metrics.rig_state,
            settled.pumps_secs,
            &self.config.thresholds,
            self.config.states.pumping_gpm,
        );
        metrics.pit_gain_bbl = well.pit_gain_bbl;
        metrics.pit_rate_bbl_min = well.pit_rate_bbl_min;
        self.well_view = well;
        watch.lap(&mut self.latency, Phase::Physics);

        // 4. Baseline.
        self.follow_bit(&packet);
        self.learn(&packet, &metrics, steady);
        watch.lap(&mut self.latency, Phase::Baseline);

        // 6. History (before the gate, which reads the newest entry).
        self.history.push(packet, metrics.clone(), steady);
        watch.lap(&mut self.latency, Phase::History);

        // 5. Tactical gate: open tickets; drop those whose pattern has gone.
        let readings = self.gate();
        watch.lap(&mut self.latency, Phase::Tactical);

        // 7. Strategic verification of every open ticket, most severe first.
        let confirmed = self.verify(&readings);
        watch.lap(&mut self.latency, Phase::Strategic);

        // 8.–10. Confirmations become incidents; those due an announcement speak.
        let announcements = self.advise(confirmed, &mut watch);
        self.track(&readings);
        self.latency.record(Phase::Total, watch.elapsed());
        Processed {
            metrics,
            announcements,
        }
    }

    /// A new bit size is a new hole section: the baseline relearns and open tickets close.
    fn follow_bit(&mut self, packet: &WitsPacket) {
        let Some(bit) = packet.bit_diameter_in else {
            return;
        };
        if self.bit_in.is_some_and(|b| (b - bit).abs() > 0.01) {
            log::info!(
                "bit size changed to {bit:.2} in: baseline relearning for the new hole section"
            );
            self.baseline.reset();
            self.tickets.clear();
            self.section_since = Some(packet.timestamp);
            self.held = 0;
        }
        self.bit_in = Some(bit);
    }

    /// Learn from steady drilling while no trouble is confirmed and no incident is open or waits
    /// for an answer (suspicions that come to nothing must not freeze it, or it could never
    /// follow the well).
    fn learn(&mut self, packet: &WitsPacket, metrics: &DrillingMetrics, steady: bool) {
        if !(steady && metrics.rig_state == RigState::Drilling) {
            return;
        }
        let trouble = self.tickets.values().any(|t| t.confirmed)
            || self.incidents.holds_baseline(self.section_since);
        if trouble {
            self.held += 1;
        } else {
            self.held = 0;
            self.hold_noted = false;
        }
        if self.held > self.config.baseline.hold_during_trouble_samples {
            self.relearn_if_answered();
        }
        if self.held == 0 {
            self.baseline.learn(packet, metrics);
            self.baseline_dirty += 1;
        }
    }

    /// Trouble has lasted through the hold: the crew drilled on through it, so once they have
    /// answered every incident it is the well's new normal (a new formation, a new pump rate) and
    /// the baseline relearns. Never for a kick or losses, and never unanswered.
    fn relearn_if_answered(&mut self) {
        let open: Vec<&str> = self
            .incidents
            .incidents()
            .iter()
            .filter(|i| !i.is_closed())
            .map(|i| i.category.as_str())
            .collect();
        if !self.incidents.may_relearn() {
            if !self.hold_noted {
                log::warn!(
                    "{} has lasted {} packets of drilling; the baseline holds until the crew answers it (and always for a kick or losses)",
                    open.join(", "),
                    self.held
                );
                self.hold_noted = true;
            }
            return;
        }
        log::warn!(
            "{} has lasted {} packets of drilling and was acknowledged: taking it as the new normal and relearning the baseline",
            open.join(", "),
            self.held
        );
        self.baseline.reset();
        self.tickets.clear();
        self.held = 0;
        self.hold_noted = false;
    }

    /// Verify every open ticket against its latest reading; mark the confirmed ones, and return
    /// them most severe first.
    fn verify(
        &mut self,
        readings: &[Option<signature::Reading>; AnomalyCategory::ALL.len()],
    ) -> Vec<strategic::Verified> {
        let th = self.config.thresholds;
        let mut confirmed: Vec<strategic::Verified> = self
            .tickets
            .keys()
            .filter_map(|&c| {
                let latest = readings[c as usize].as_ref()?;
                strategic::verify(c, latest, &self.history, &self.baseline, &th)
            })
            .collect();
        for v in &confirmed {
            if let Some(t) = self.tickets.get_mut(&v.category) {
                t.confirmed = true;
            }
        }
        confirmed.sort_by(|a, b| b.severity.total_cmp(&a.severity));
        confirmed
    }

    /// Every confirmed trouble, deliberated, goes to the incident book; for those it announces,
    /// precedents are looked up and the advisory composed.
    fn advise(
        &mut self,
        confirmed: Vec<strategic::Verified>,
        watch: &mut Stopwatch,
    ) -> Vec<Announced> {
        let mut out = Vec::new();
        let Some(latest) = self.history.latest().filter(|_| !confirmed.is_empty()) else {
            return out;
        };
        // Cloned (not borrowed) because the book and the store are reached through `self` below;
        // only on a packet that confirmed something.
        let snapshot = latest.snapshot.clone();
        let th = self.config.thresholds;
        for v in confirmed {
            // 9. Specialists.
            let (risk_level, votes) = specialists::deliberate(&self.panel, &v, self.campaign);
            watch.lap(&mut self.latency, Phase::Specialists);
            let since = self
                .incidents
                .open_since(v.category, snapshot.packet.timestamp);
            let words = composer::recommendation(&v, &snapshot.packet, since, &th);
            let Some(announce) = self.incidents.confirm(Confirmation {
                category: v.category,
                numbers: Numbers {
                    at: snapshot.packet.timestamp,
                    level: risk_level,
                    severity: v.severity,
                    evidence: composer::gauge_evidence(&v, &snapshot.packet),
                    words,
                },
                rig_state: snapshot.metrics.rig_state,
                depth_ft: snapshot.packet.depth_ft(),
            }) else {
                continue;
            };
            // 8. Knowledge: only for an advisory that will be composed.
            let precedents = self.store.query(&PrecedentQuery {
                category: v.category,
                campaign: self.campaign,
                depth_ft: snapshot.packet.depth_ft(),
                metrics: EpisodeMetrics::from_snapshot(&snapshot),
                limit: 3,
            });
            watch.lap(&mut self.latency, Phase::Knowledge);
            // 10. Compose.
            let advisory = composer::compose(composer::Draft {
                verified: &v,
                packet: &snapshot.packet,
                rig_state: snapshot.metrics.rig_state,
                risk_level,
                votes,
                precedents,
                since,
                thresholds: &th,
            });
            watch.lap(&mut self.latency, Phase::Compose);
            out.push(Announced { announce, advisory });
        }
        out
    }

    /// One step of the incident book. A condition counts as away only when its detector read
    /// this packet and found it clearly under its threshold: near the threshold (or with its
    /// ticket still open) it is present, and where the detector does not read at all (a kick
    /// while the pumps are off for a connection, a sensor out) nothing says it has gone.
    fn track(&mut self, readings: &[Option<signature::Reading>; AnomalyCategory::ALL.len()]) {
        let Some(at) = self.last_time else { return };
        let near = self.config.incidents.clear_below_fraction;
        let tickets = &self.tickets;
        let well_can_clear = self.well_view.can_clear;
        self.incidents.tick(at, |c| {
            let well_control =
                matches!(c, AnomalyCategory::Kick | AnomalyCategory::LostCirculation);
            tickets.contains_key(&c)
                || (well_control && !well_can_clear)
                || readings[c as usize]
                    .as_ref()
                    .is_none_or(|r| r.strength >= near)
        });
    }

    /// How long the rig has held its state and its pump rate.
    fn settled(&mut self, p: &WitsPacket, state: RigState) -> Settled {
        let now = p.timestamp;
        let since = match self.state_since {
            Some((s, t)) if s == state && now >= t => t,
            _ => {
                self.state_since = Some((state, now));
                now
            }
        };
        let pumps_since = match (p.flow_in_gpm, self.pumps_since) {
            (Some(q), Some((q0, t)))
                if (q - q0).abs() <= PUMP_CHANGE * q0.abs().max(50.0) && now >= t =>
            {
                t
            }
            (Some(q), _) => {
                self.pumps_since = Some((q, now));
                now
            }
            (None, _) => since,
        };
        let secs = |t: DateTime<Utc>| (now - t).num_milliseconds() as f64 / 1_000.0;
        self.last_time = Some(now);
        Settled {
            state_secs: secs(since),
            pumps_secs: secs(pumps_since),
        }
    }

    /// Read every category in the newest packet, record the marks, open and drop tickets; the
    /// full readings go to the strategic check.
    fn gate(&mut self) -> [Option<signature::Reading>; AnomalyCategory::ALL.len()] {
        let mut readings: [Option<signature::Reading>; AnomalyCategory::ALL.len()] =
            Default::default();
        let th = self.config.thresholds;
        let Some(latest) = self.history.latest_mut() else {
            return readings;
        };
        let at = latest.snapshot.packet.timestamp;
        for category in AnomalyCategory::ALL {
            let reading = signature::read(category, latest, &self.baseline, &th, &self.well_view);
            if let Some(r) = &reading {
                latest.marks[category as usize] = r.mark();
            }
            readings[category as usize] = reading;
        }
        for category in AnomalyCategory::ALL {
            let i = category as usize;
            let agrees = readings[i].as_ref().is_some_and(|r| r.agrees);
            match self.tickets.get(&category) {
                None if agrees => {
                    self.tickets.insert(
                        category,
                        Ticket {
                            category,
                            opened_at: at,
                            confirmed: false,
                        },
                    );
                }
                Some(t) if !agrees => {
                    // Keep it while the pattern shows anywhere in the last window; then drop it.
                    let recent = self
                        .history
                        .entries()
                        .iter()
                        .rev()
                        .take(30)
                        .any(|e| e.marks[i].agrees);
                    if !recent {
                        if !t.confirmed {
                            log::debug!("{category} ticket dropped as noise");
                        }
                        self.tickets.remove(&category);
                    }
                }
                _ => {}
            }
        }
        readings
    }

    /// The last 60 packets, oldest first: an event's history window.
    pub fn history_window(&self) -> Vec<HistorySnapshot> {
        self.history.window()
    }

    /// The newest packet and its metrics.
    pub fn latest(&self) -> Option<&HistorySnapshot> {
        self.history.latest().map(|e| &e.snapshot)
    }

    /// The baseline.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// Packets learned by the baseline since the last call; resets the count (for periodic saves).
    pub fn take_baseline_changes(&mut self) -> u64 {
        std::mem::take(&mut self.baseline_dirty)
    }

    /// Open tickets.
    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.tickets.values()
    }

    /// The incidents.
    pub fn incidents(&self) -> &IncidentBook {
        &self.incidents
    }

    /// The incidents, to acknowledge, shelve and take changes from.
    pub fn incidents_mut(&mut self) -> &mut IncidentBook {
        &mut self.incidents
    }

    /// The sensor check (faults, frozen feed).
    pub fn sensors(&self) -> &SensorCheck {
        &self.sensors
    }

    /// Well control: its sensor questions and what it has learned.
    pub fn well_control(&self) -> &WellControl {
        &self.well
    }

    /// Well control, to restore what was saved before a restart and to save what it learns.
    pub fn well_control_mut(&mut self) -> &mut WellControl {
        &mut self.well
    }

    /// Per-phase latency.
    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    /// Packets processed.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> &Thresholds {
        &self.config.thresholds
    }

    /// Replace the thresholds (already validated by the caller).
    pub fn set_thresholds(&mut self, thresholds: Thresholds) {
        self.config.thresholds = thresholds;
    }

    /// The campaign the specialists weigh for.
    pub fn campaign(&self) -> Campaign {
        self.campaign
    }

    /// Change campaign.
    pub fn set_campaign(&mut self, campaign: Campaign) {
        self.campaign = campaign;
    }
}
