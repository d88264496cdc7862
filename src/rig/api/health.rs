//! `GET /api/v1/health`: is the stream alive, how fast, how stale, is the baseline learned, and
//! what is wrong — in words an IT person and a driller can act on.

use super::ApiState;
use crate::rig::runner::lock;
use crate::web::ApiError;
use actix_web::{web, HttpResponse};
use serde::Serialize;

/// The rig's health as the endpoint and the driller's screen report it.
#[derive(Serialize)]
pub(super) struct Health {
    /// "ok", "degraded" (running, something to look at), "stale" (no data) or "ended".
    pub(super) status: &'static str,
    source: String,
    stream: Stream,
    pub(super) baseline: Baseline,
    sensors: Vec<Sensor>,
    input_issues: Vec<InputIssue>,
    pub(super) fleet: String,
    pub(super) problems: Vec<String>,
}

#[derive(Serialize)]
struct Stream {
    alive: bool,
    link_up: bool,
    link_detail: String,
    packets: u64,
    keepalives: u64,
    packets_per_sec: f64,
    stale_secs: Option<f64>,
    identical_packets: u64,
    ended: bool,
}

#[derive(Serialize)]
pub(super) struct Baseline {
    pub(super) state: &'static str,
    pub(super) progress: f64,
}

#[derive(Serialize)]
struct Sensor {
    channel: &'static str,
    problem: String,
}

#[derive(Serialize)]
struct InputIssue {
    kind: String,
    count: u64,
}

pub async fn health(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(report(&state)))
}

/// Read the rig's health now.
pub(super) fn report(state: &ApiState) -> Health {
    let mut input_issues: Vec<InputIssue> = match state.source.issues.lock() {
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
    let c = lock(&state.core);
    input_issues.extend(c.issues.all().iter().map(|(k, n)| InputIssue {
        kind: k.describe().to_owned(),
        count: *n,
    }));
    let stale_secs = c.stale_secs();
    let alive = !c.stream.ended && stale_secs.is_some_and(|s| s <= state.stale_after_secs);
    let sensors: Vec<Sensor> = c
        .pipeline
        .sensors()
        .faults()
        .iter()
        .map(|(ch, f)| Sensor {
            channel: ch.as_str(),
            problem: f.describe(*ch),
        })
        .collect();
    let identical = c.pipeline.sensors().identical_packets();
    let progress = c.pipeline.baseline().progress();
    let mut problems = Vec::new();
    match stale_secs {
        None if !c.stream.ended => problems.push(format!("no data yet from {}", c.source)),
        Some(s) if !alive && !c.stream.ended => problems.push(format!(
            "no data for {s:.0} s: check the WITS feed ({})",
            if c.stream.link_detail.is_empty() {
                c.source.as_str()
            } else {
                c.stream.link_detail.as_str()
            }
        )),
        _ => {}
    }
    if let Some(f) = &c.stream.failure {
        problems.push(format!("input failed: {f}"));
    }
    if identical >= crate::rig::pipeline::STUCK_AFTER_PACKETS {
        problems.push(format!(
            "stream frozen: the last {identical} packets are identical in every channel"
        ));
    }
    problems.extend(sensors.iter().map(|s| s.problem.clone()));
    if let Some(e) = &c.advisories.write_error {
        problems.push(format!("advisory log not written: {e}"));
    }
    if let Some(e) = &c.baseline_error {
        problems.push(format!("baseline not saved: {e}"));
    }
    let status = if c.stream.ended {
        "ended"
    } else if !alive {
        "stale"
    } else if problems.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    Health {
        status,
        source: c.source.clone(),
        stream: Stream {
            alive,
            link_up: c.stream.link_up,
            link_detail: c.stream.link_detail.clone(),
            packets: c.stream.packets,
            keepalives: c.stream.keepalives,
            packets_per_sec: c.stream.packets_per_sec,
            stale_secs,
            identical_packets: identical,
            ended: c.stream.ended,
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
        input_issues,
        fleet: c.sink.describe(),
        problems,
    }
}
