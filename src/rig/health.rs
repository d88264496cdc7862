//! The rig's health: is the stream alive, how fast, how stale, is the baseline learned, and what
//! is wrong — in words an IT person and a driller can act on. `GET /api/v1/health` sends it; the
//! driller's screen shows it.

use super::acquisition::source::SourceState;
use super::core::Core;
use super::healer::{CheckReport, HealReports};
use serde::Serialize;

/// The rig's health as the endpoint and the driller's screen report it.
#[derive(Debug, Serialize)]
pub struct Health {
    /// "ok", "degraded" (running, something to look at), "stale" (no data) or "ended".
    pub status: &'static str,
    source: String,
    pub(crate) stream: Stream,
    pub baseline: Baseline,
    pub(crate) sensors: Vec<Sensor>,
    pub(crate) input_issues: Vec<InputIssue>,
    pub fleet: String,
    pub problems: Vec<String>,
    /// The self-healer's checks: what each last found, its last heal and its heal counts.
    pub healer: Vec<CheckReport>,
    /// Heal actions of the last ten minutes, newest first, in words (the screen shows them).
    pub recent_heals: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Stream {
    pub(crate) alive: bool,
    pub(crate) link_up: bool,
    link_detail: String,
    pub(crate) packets: u64,
    pub(crate) keepalives: u64,
    pub(crate) packets_per_sec: f64,
    pub(crate) stale_secs: Option<f64>,
    identical_packets: u64,
    ended: bool,
}

#[derive(Debug, Serialize)]
pub struct Baseline {
    pub state: &'static str,
    pub progress: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Sensor {
    pub(crate) channel: &'static str,
    pub(crate) problem: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct InputIssue {
    pub(crate) kind: String,
    pub(crate) count: u64,
}

impl Health {
    /// Read the health of `c`, whose input thread shares `input`; the stream is stale after
    /// `stale_after_secs` without data.
    pub(super) fn read(c: &Core, input: &SourceState, stale_after_secs: f64) -> Self {
        let stream = c.stream();
        let stale_secs = c.stale_secs();
        let alive = !stream.ended && stale_secs.is_some_and(|s| s <= stale_after_secs);
        let sensors = sensors(c);
        let identical = c.pipeline().sensors().identical_packets();
        let problems = problems(c, stale_secs, alive, identical, &sensors);
        let progress = c.pipeline().baseline().progress();
        Health {
            status: if stream.ended {
                "ended"
            } else if !alive {
                "stale"
            } else if problems.is_empty() {
                "ok"
            } else {
                "degraded"
            },
            source: c.source().to_owned(),
            stream: Stream {
                alive,
                link_up: stream.link_up,
                link_detail: stream.link_detail.clone(),
                packets: stream.packets,
                keepalives: stream.keepalives,
                packets_per_sec: stream.packets_per_sec,
                stale_secs,
                identical_packets: identical,
                ended: stream.ended,
            },
            baseline: Baseline {
                state: if progress >= 1.0 {
                    "locked"
                } else {
                    "learning"
                },
                progress,
            },
            sensors,
            input_issues: input_issues(c, input),
            fleet: c.fleet_summary(),
            problems,
            healer: Vec::new(),
            recent_heals: Vec::new(),
        }
    }

    /// With the self-healer's reports; a failing check's words join the problems unless
    /// they are there already.
    pub fn with_heals(mut self, heals: &HealReports) -> Self {
        self.healer = heals.all();
        self.recent_heals = heals.recent(chrono::Utc::now(), chrono::Duration::minutes(10));
        for r in &self.healer {
            if r.status == "failing" && !self.problems.contains(&r.detail) {
                self.problems.push(r.detail.clone());
            }
        }
        if self.healer.iter().any(|r| r.status == "failing") && self.status == "ok" {
            self.status = "degraded";
        }
        self
    }
}

/// What the input thread and the pipeline dropped, by kind.
fn input_issues(c: &Core, input: &SourceState) -> Vec<InputIssue> {
    let mut issues: Vec<InputIssue> = match input.issues.lock() {
        Ok(issues) => issues
            .all()
            .iter()
            .map(|(k, n)| InputIssue {
                kind: k.describe().to_owned(),
                count: *n,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    issues.extend(c.issues().all().iter().map(|(k, n)| InputIssue {
        kind: k.describe().to_owned(),
        count: *n,
    }));
    issues
}

fn sensors(c: &Core) -> Vec<Sensor> {
    c.pipeline()
        .sensors()
        .faults()
        .iter()
        .map(|(ch, f)| Sensor {
            channel: ch.as_str(),
            problem: f.describe(*ch),
        })
        .chain(
            c.pipeline()
                .well_control()
                .questions()
                .into_iter()
                .map(|(channel, problem)| Sensor { channel, problem }),
        )
        .collect()
}

/// Everything to look at, each in words that say what to check.
fn problems(
    c: &Core,
    stale_secs: Option<f64>,
    alive: bool,
    identical: u64,
    sensors: &[Sensor],
) -> Vec<String> {
    let stream = c.stream();
    let mut problems = Vec::new();
    match stale_secs {
        None if !stream.ended => problems.push(format!("no data yet from {}", c.source())),
        Some(s) if !alive && !stream.ended => problems.push(format!(
            "no data for {s:.0} s: check the WITS feed ({})",
            if stream.link_detail.is_empty() {
                c.source()
            } else {
                stream.link_detail.as_str()
            }
        )),
        _ => {}
    }
    if let Some(f) = &stream.failure {
        problems.push(format!("input failed: {f}"));
    }
    if identical >= crate::rig::pipeline::STUCK_AFTER_PACKETS {
        problems.push(format!(
            "stream frozen: the last {identical} packets are identical in every channel"
        ));
    }
    problems.extend(sensors.iter().map(|s| s.problem.clone()));
    if let Some(e) = &c.advisories().write_error {
        problems.push(format!("advisory log not written: {e}"));
    }
    if let Some(e) = &c.audit().write_error {
        problems.push(format!("audit trail not written: {e}"));
    }
    if let Some(e) = c.baseline_error() {
        problems.push(format!("baseline not saved: {e}"));
    }
    if let Some(e) = c.fingerprint_error() {
        problems.push(format!("flow-back fingerprint not saved: {e}"));
    }
    if let Some(off) = clock_off(c) {
        problems.push(format!(
            "this rig's clock is {} {} the hub's: the hub checks its events on this clock, so none \
             is lost, but the screen's and the log's times are wrong: set NTP",
            crate::drilling::duration_words_rounded(off.abs()),
            if off > 0.0 { "ahead of" } else { "behind" }
        ));
    }
    problems
}

/// A rig clock further than this from the hub's is a problem (seconds).
pub const CLOCK_OFF_SECS: f64 = 30.0;

/// How far this rig's clock is from the hub's, when the link has measured it off.
fn clock_off(c: &Core) -> Option<f64> {
    c.fleet_status()
        .link?
        .stats
        .clock_offset_secs
        .filter(|s| s.abs() > CLOCK_OFF_SECS)
}
