//! The rig's figures for Prometheus (`GET /metrics`): read from the core at scrape time, under
//! one short lock, so the packet loop keeps no second set of counters. Names start `sairen_rig_`;
//! `docs/grafana-rig.json` charts them.

use super::acquisition::source::SourceState;
use super::core::Core;
use super::healer::HealReports;
use super::health::Health;
use super::heartbeat::{alarms_last_hour, open_incidents};
use crate::drilling::{RigState, RiskLevel};
use crate::web::metrics::{labels, Buckets, Families, Labels};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use std::fmt;

/// The rig's figures at one scrape.
#[derive(Debug)]
pub struct RigMetrics {
    packets: u64,
    keepalives: u64,
    packets_per_sec: f64,
    alive: bool,
    link_up: bool,
    stale_secs: Option<f64>,
    sensors_out: usize,
    problems: usize,
    input_issues: Vec<(Labels, u64)>,
    latency: Vec<(&'static str, Buckets)>,
    state: RigState,
    open_by_level: [u64; 4],
    unacknowledged: u64,
    alarms_last_hour: u64,
    baseline_progress: f64,
    queue_depth: Option<usize>,
    dead_letters: Option<usize>,
    delivered: Option<u64>,
    clock_offset_secs: Option<f64>,
    heal_checks: Vec<(Labels, f64)>,
    heal_actions: Vec<(Labels, u64)>,
    /// Advisory explanations by result, when the explainer is on.
    explanations: Option<Vec<(Labels, u64)>>,
    /// Whether the learned detector finds the rig unusual now, when it is on.
    learned_unusual: Option<bool>,
}

impl RigMetrics {
    /// Read `c` (whose input thread shares `input`), its health and the self-healer's reports.
    pub fn read(c: &Core, input: &SourceState, stale_after_secs: f64, heals: &HealReports) -> Self {
        let reports = heals.all();
        let health = Health::read(c, input, stale_after_secs);
        let pipeline = c.pipeline();
        let open = open_incidents(c);
        let open_by_level = [open.low, open.elevated, open.high, open.critical].map(u64::from);
        let unacknowledged = u64::from(open.unacknowledged);
        let link = c.fleet_status().link;
        let explainer = c.explainer();
        let explanations = explainer.is_on().then(|| {
            explainer
                .stats()
                .counts()
                .iter()
                .map(|(result, n)| (labels(&[("result", result)]), *n))
                .collect()
        });
        let learned = c.learned();
        let learned_unusual = learned
            .settings()
            .enabled
            .then(|| learned.findings().unusual.is_some());
        Self {
            explanations,
            learned_unusual,
            packets: health.stream.packets,
            keepalives: health.stream.keepalives,
            packets_per_sec: health.stream.packets_per_sec,
            alive: health.stream.alive,
            link_up: health.stream.link_up,
            stale_secs: health.stream.stale_secs,
            sensors_out: health.sensors.len(),
            problems: health.problems.len(),
            input_issues: health
                .input_issues
                .iter()
                .map(|i| (labels(&[("kind", &i.kind)]), i.count))
                .collect(),
            latency: pipeline.latency().buckets(),
            state: pipeline
                .latest()
                .map_or(RigState::Unknown, |s| s.metrics.rig_state),
            open_by_level,
            unacknowledged,
            alarms_last_hour: alarms_last_hour(c),
            baseline_progress: health.baseline.progress,
            queue_depth: link.as_ref().map(|l| l.queue_depth),
            dead_letters: link.as_ref().map(|l| l.dead_letters),
            delivered: link.as_ref().map(|l| l.stats.delivered),
            clock_offset_secs: link.as_ref().and_then(|l| l.stats.clock_offset_secs),
            heal_checks: reports
                .iter()
                .map(|r| {
                    let ok = f64::from(u8::from(r.status != "failing"));
                    (labels(&[("check", r.check)]), ok)
                })
                .collect(),
            heal_actions: reports
                .iter()
                .flat_map(|r| {
                    r.actions
                        .iter()
                        .map(|(a, n)| (labels(&[("check", r.check), ("action", a)]), *n))
                })
                .collect(),
        }
    }

    fn encode_stream(&self, f: &mut Families) -> fmt::Result {
        f.counter("packets", "WITS packets processed.", self.packets)?;
        f.counter(
            "keepalives",
            "WITS keep-alive records received (no data).",
            self.keepalives,
        )?;
        f.gauge(
            "packets_per_second",
            "Packets per second over the last minute.",
            self.packets_per_sec,
        )?;
        f.gauge(
            "stream_alive",
            "1 while data arrives within the stale limit.",
            f64::from(u8::from(self.alive)),
        )?;
        f.gauge(
            "input_link_up",
            "1 while the input link (TCP, file) is connected.",
            f64::from(u8::from(self.link_up)),
        )?;
        f.gauge(
            "stream_stale_seconds",
            "Seconds since the last data (-1 before any).",
            self.stale_secs.unwrap_or(-1.0),
        )?;
        f.gauge(
            "sensors_out",
            "Channels faulted or questioned (dropped from the physics).",
            self.sensors_out as f64,
        )?;
        f.gauge(
            "health_problems",
            "Problems /api/v1/health names now (0 when ok).",
            self.problems as f64,
        )?;
        f.counters(
            "input_issues",
            "Input records dropped, by kind.",
            &self.input_issues,
        )?;
        let phases: Vec<(Labels, Buckets)> = self
            .latency
            .iter()
            .map(|(phase, b)| (labels(&[("phase", phase)]), b.clone()))
            .collect();
        f.histograms(
            "phase_latency_seconds",
            "Pipeline time per packet, by phase.",
            &phases,
        )
    }

    fn encode_drilling(&self, f: &mut Families) -> fmt::Result {
        // Every state has a series, so a dashboard's state panel shows each (1 for the current).
        let states: Vec<(Labels, f64)> = RigState::ALL
            .iter()
            .map(|s| {
                (
                    labels(&[("state", s.as_str())]),
                    f64::from(u8::from(*s == self.state)),
                )
            })
            .collect();
        f.gauges(
            "state",
            "The rig state now (1 for the current one).",
            &states,
        )?;
        let levels: Vec<(Labels, f64)> = RiskLevel::ALL
            .iter()
            .zip(self.open_by_level)
            .map(|(l, n)| (labels(&[("level", l.as_str())]), n as f64))
            .collect();
        f.gauges(
            "incidents_open",
            "Incidents not closed, by their level now.",
            &levels,
        )?;
        f.gauge(
            "incidents_unacknowledged",
            "Incidents nobody has acknowledged yet.",
            self.unacknowledged as f64,
        )?;
        f.gauge(
            "alarms_last_hour",
            "Alarms (advisories) raised in the last hour of the stream's clock.",
            self.alarms_last_hour as f64,
        )?;
        f.gauge(
            "baseline_progress",
            "Baseline learning, 0 to 1 (1: locked).",
            self.baseline_progress,
        )
    }

    fn encode_uplink(&self, f: &mut Families) -> fmt::Result {
        let (Some(depth), Some(dead), Some(delivered)) =
            (self.queue_depth, self.dead_letters, self.delivered)
        else {
            return Ok(());
        };
        f.gauge(
            "uplink_queue_depth",
            "Events waiting for the hub.",
            depth as f64,
        )?;
        f.gauge(
            "uplink_dead_letters",
            "Events the hub refused for good, kept aside.",
            dead as f64,
        )?;
        f.counter(
            "uplink_delivered",
            "Events delivered to the hub since start.",
            delivered,
        )?;
        let Some(offset) = self.clock_offset_secs else {
            return Ok(());
        };
        f.gauge(
            "clock_offset_seconds",
            "This rig's clock ahead of the hub's (negative: behind), from the hub's Date header.",
            offset,
        )
    }
}

/// Alarms in the hour before the latest packet (the stream's clock: replays count their own hour).
impl Collector for RigMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let mut f = Families::new(&mut encoder);
        self.encode_stream(&mut f)?;
        self.encode_drilling(&mut f)?;
        f.gauges(
            "heal_check_ok",
            "Self-healer checks: 1 unless failing (a person must act).",
            &self.heal_checks,
        )?;
        f.counters(
            "heal_actions",
            "Self-healer actions taken since start, by check and action.",
            &self.heal_actions,
        )?;
        if let Some(unusual) = self.learned_unusual {
            f.gauge(
                "learned_unusual",
                "1 while the [learned] detector finds the rig's operation unlike its own recent hours (Low: never an alarm of its own).",
                f64::from(u8::from(unusual)),
            )?;
        }
        if let Some(explanations) = &self.explanations {
            f.counters(
                "explanations",
                "Advisory explanations asked of the [explainer], by result: llm (shown), timeout, error, refused (failed the checks), queue_full.",
                explanations,
            )?;
        }
        self.encode_uplink(&mut f)
    }
}
