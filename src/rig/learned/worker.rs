//! The detector off the packet path: the packet loop hands each packet's features to a thread of
//! its own (a bounded queue, never waited on: a full one drops the packet and counts it), which
//! scores and re-trains, and publishes what it finds unusual for the screen and the advisories.

use super::{features, LearnedDetector, LearnedSettings, Unusual, FEATURES};
use crate::drilling::{DrillingMetrics, RigState, WitsPacket};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// Packets waiting for the detector at most (seconds of a live feed; a replay at full speed
/// outruns it and some packets go unjudged, counted).
const QUEUE: usize = 4_096;

/// One packet as the detector reads it.
struct Observation {
    at: DateTime<Utc>,
    state: RigState,
    x: [f32; FEATURES],
    quiet: bool,
}

/// What the detector has found, shared with the core.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Findings {
    /// What it finds unusual now.
    pub unusual: Option<Unusual>,
    /// Packets it has read.
    pub observed: u64,
    /// Packets it could not take (its queue was full).
    pub dropped: u64,
    /// Models trained so far.
    pub trainings: u64,
}

/// The core's side.
pub struct Learned {
    settings: LearnedSettings,
    tx: Option<SyncSender<Observation>>,
    findings: Arc<Mutex<Findings>>,
}

impl Learned {
    /// Off: nothing is read, nothing is found.
    pub fn off() -> Self {
        Self {
            settings: LearnedSettings::default(),
            tx: None,
            findings: Arc::default(),
        }
    }

    /// The detector of `settings` on a thread of its own (none when it is off).
    pub fn start(settings: LearnedSettings) -> std::io::Result<Self> {
        if !settings.enabled {
            return Ok(Self {
                settings,
                ..Self::off()
            });
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let findings: Arc<Mutex<Findings>> = Arc::default();
        let (shared, detector) = (findings.clone(), LearnedDetector::new(settings.clone()));
        std::thread::Builder::new()
            .name("learned".into())
            .spawn(move || run(detector, rx, &shared))?;
        Ok(Self {
            settings,
            tx: Some(tx),
            findings,
        })
    }

    /// Its settings.
    pub fn settings(&self) -> &LearnedSettings {
        &self.settings
    }

    /// Hand one packet over; returns at once.
    pub fn send(&self, p: &WitsPacket, m: &DrillingMetrics, quiet: bool) {
        let Some(tx) = &self.tx else {
            return;
        };
        let observation = Observation {
            at: p.timestamp,
            state: m.rig_state,
            x: features(p, m),
            quiet,
        };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tx.try_send(observation)
        {
            self.findings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .dropped += 1;
        }
    }

    /// What it has found so far.
    pub fn findings(&self) -> Findings {
        self.findings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn run(mut detector: LearnedDetector, rx: Receiver<Observation>, shared: &Mutex<Findings>) {
    while let Ok(o) = rx.recv() {
        let unusual = detector
            .observe_features(o.at, o.state, o.x, o.quiet)
            .cloned();
        let mut f = shared.lock().unwrap_or_else(|e| e.into_inner());
        f.unusual = unusual;
        f.observed += 1;
        f.trainings = detector.trainings();
    }
}
