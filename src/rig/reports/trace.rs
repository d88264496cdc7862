//! The channels around an incident, kept for its report: read from the screen's two hours of
//! trends while it is open, and written to `<data_dir>/traces/<id>.json` when it clears or
//! closes — so its report still shows what the channels did after the trends have moved on.

use crate::drilling::readings::READINGS;
use crate::rig::durable::{non_critical_paused, write_atomic};
use crate::rig::incidents::Incident;
use crate::rig::trends::Trends;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// How long before an incident opened its report's charts begin, min: the build-up.
pub const LEAD_MINS: i64 = 10;
/// How long after it cleared they run on, min: what the crew's action did.
pub const TAIL_MINS: i64 = 5;
/// Points per channel: one per 10 s over a 40-minute incident, and the width of a printed page.
pub const POINTS: usize = 240;

/// One channel over the trace's span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceChannel {
    /// Its label, as the screen's gauge says it.
    pub label: String,
    /// Its unit.
    pub unit: String,
    /// Equal slices of the span, oldest first (none where a slice had no reading).
    pub values: Vec<Option<f32>>,
}

/// Every channel with a reading, from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Start of the span (stream time).
    pub from: DateTime<Utc>,
    /// End of the span.
    pub to: DateTime<Utc>,
    /// Whether the rig no longer held the start of the lead-in when the trace was taken (an
    /// incident longer than the trends' two hours).
    pub start_lost: bool,
    /// The channels that had a reading in the span, in the screen's order.
    pub channels: Vec<TraceChannel>,
}

impl Trace {
    /// The channels around `incident` as `trends` hold them now; `None` when they hold nothing
    /// of its span.
    pub fn take(incident: &Incident, trends: &Trends) -> Option<Self> {
        let (oldest, newest) = trends.held()?;
        let wanted_from = incident.opened_at - Duration::minutes(LEAD_MINS);
        let end = incident
            .cleared_at
            .or(incident.closed_at)
            .unwrap_or(incident.last_seen_at);
        let to = (end + Duration::minutes(TAIL_MINS)).min(newest);
        let from = wanted_from.max(oldest);
        if to <= from {
            return None;
        }
        let channels: Vec<TraceChannel> = READINGS
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let values = trends.window(i, from, to, POINTS);
                values.iter().any(|v| v.is_finite()).then(|| TraceChannel {
                    label: c.label.to_owned(),
                    unit: c.unit.to_owned(),
                    values: values
                        .into_iter()
                        .map(|v| v.is_finite().then_some(v as f32))
                        .collect(),
                })
            })
            .collect();
        (!channels.is_empty()).then_some(Self {
            from,
            to,
            start_lost: from > wanted_from,
            channels,
        })
    }
}

/// Where incident traces are kept.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("traces")
}

fn file(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

/// Keep `trace` for incident `id` (crash-safe), and forget the traces of incidents no longer
/// `held` (the book keeps the newest closed ones). Waits, like every non-critical write, while the
/// disk is nearly full.
pub fn save(dir: &Path, id: &str, trace: &Trace, held: &[&str]) -> io::Result<()> {
    if non_critical_paused() {
        return Ok(());
    }
    let bytes = serde_json::to_vec(trace).map_err(io::Error::other)?;
    write_atomic(&file(dir, id), &bytes)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        if !held.contains(&stem) {
            // A trace left behind costs only disk; the next save tries again.
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The trace kept for incident `id`, if one was; a file that cannot be read is reported and
/// treated as none (the report then says the channels are not held).
pub fn load(dir: &Path, id: &str) -> Option<Trace> {
    let path = file(dir, id);
    let bytes = std::fs::read(&path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(trace) => Some(trace),
        Err(e) => {
            log::warn!(
                "the incident trace {} cannot be read ({e}); its report shows no channels",
                path.display()
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::DrillingMetrics;
    use crate::simulate::{Scenario, Simulator};

    fn trends_of(secs: usize) -> Trends {
        let mut t = Trends::default();
        let metrics = DrillingMetrics::default();
        for p in Simulator::new(Scenario::Normal, 3).take(secs) {
            t.record(&p, &metrics);
        }
        t
    }

    fn incident_at(opened: DateTime<Utc>, cleared: Option<DateTime<Utc>>) -> Incident {
        let mut i: Incident = serde_json::from_value(serde_json::json!({
            "id": "RIG-1-1796000000-0001", "category": "kick", "state": "active_unacknowledged",
            "rig_state": "drilling", "opened_at": opened, "last_seen_at": opened,
            "now": {"at": opened, "level": "high", "severity": 0.5, "evidence": [], "words": ""},
            "peak": {"at": opened, "level": "high", "severity": 0.5, "evidence": [], "words": ""},
            "trend": "steady"
        }))
        .expect("incident");
        i.cleared_at = cleared;
        i
    }

    #[test]
    fn a_trace_spans_the_lead_in_to_the_tail_and_says_when_its_start_is_lost() {
        let t = trends_of(3_600);
        let (oldest, newest) = t.held().expect("held");
        let opened = oldest + Duration::minutes(30);
        let cleared = opened + Duration::minutes(5);
        let trace = Trace::take(&incident_at(opened, Some(cleared)), &t).expect("trace");
        assert_eq!(trace.from, opened - Duration::minutes(LEAD_MINS));
        assert_eq!(trace.to, cleared + Duration::minutes(TAIL_MINS));
        assert!(!trace.start_lost);
        let torque = trace
            .channels
            .iter()
            .find(|c| c.label == "Torque")
            .expect("torque");
        assert_eq!(torque.values.len(), POINTS);
        assert!(torque.values.iter().filter(|v| v.is_some()).count() > POINTS - 5);
        // The simulator has no casing pressure: a channel without readings is left out.
        assert!(trace
            .channels
            .iter()
            .all(|c| c.values.iter().any(Option::is_some)));

        // Opened two minutes into what is held: the lead-in's start is gone, and the trace says so.
        let early =
            Trace::take(&incident_at(oldest + Duration::minutes(2), None), &t).expect("trace");
        assert_eq!(early.from, oldest);
        assert!(early.start_lost);
        assert!(early.to <= newest);
    }

    #[test]
    fn traces_survive_on_disk_and_those_of_forgotten_incidents_go() {
        let t = trends_of(1_200);
        let (oldest, _) = t.held().expect("held");
        let trace =
            Trace::take(&incident_at(oldest + Duration::minutes(12), None), &t).expect("trace");
        let tmp = tempfile::tempdir().expect("tmp");
        let d = dir(tmp.path());
        save(&d, "A-1", &trace, &["A-1"]).expect("save");
        save(&d, "A-2", &trace, &["A-2"]).expect("save");
        assert_eq!(load(&d, "A-2").as_ref(), Some(&trace));
        assert!(load(&d, "A-1").is_none(), "A-1 is no longer held");
        std::fs::write(file(&d, "A-3"), b"{\"from\": tru").expect("write");
        assert!(
            load(&d, "A-3").is_none(),
            "a torn file is none, not a panic"
        );
    }
}
