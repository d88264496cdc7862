//! When insights run: every `interval_mins` of stream time (so a replay at any pace reports per
//! hour drilled) on a worker thread fed a copy of the window, and on demand. The packet path
//! only records a sample and, once an interval, copies the window (a few hundred KB) into a
//! channel that never blocks it.

use super::samples::{Sample, SampleLog};
use super::store::PersistenceLayer;
use super::{InsightSettings, InsightsReport};
use crate::drilling::{DrillingMetrics, WitsPacket};
use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// The newest report, in memory for the screen (the store is read only by the API).
type Latest = Arc<Mutex<Option<Arc<InsightsReport>>>>;

fn keep_latest(latest: &Latest, report: &InsightsReport) {
    *latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(report.clone()));
}

/// One window to analyse.
struct Job {
    samples: Vec<Sample>,
    made_at: DateTime<Utc>,
}

/// The rig's insights: its sample log, schedule and store.
pub struct Insights {
    settings: InsightSettings,
    log: SampleLog,
    due: Option<DateTime<Utc>>,
    seq: Arc<AtomicU64>,
    store: Arc<dyn PersistenceLayer>,
    worker: Option<SyncSender<Job>>,
    latest: Latest,
}

impl Insights {
    /// Insights kept in `store`, numbered on from its newest report; scheduled runs need
    /// [`Insights::spawn_worker`].
    pub fn new(settings: InsightSettings, store: Arc<dyn PersistenceLayer>) -> Self {
        let newest = store.latest();
        let seq = newest.as_ref().map_or(0, |r| r.seq);
        Self {
            latest: Arc::new(Mutex::new(newest.map(Arc::new))),
            log: SampleLog::new(Duration::minutes(i64::from(settings.window_mins))),
            settings,
            due: None,
            seq: Arc::new(AtomicU64::new(seq)),
            store,
            worker: None,
        }
    }

    /// Start the thread scheduled reports are made on.
    pub fn spawn_worker(mut self) -> std::io::Result<Self> {
        // One window waiting at most: a worker still busy with the last one skips this one.
        let (tx, rx) = sync_channel::<Job>(1);
        let (store, seq, settings) = (self.store.clone(), self.seq.clone(), self.settings.clone());
        let latest = self.latest.clone();
        std::thread::Builder::new()
            .name("insights".into())
            .spawn(move || {
                for job in rx {
                    let n = seq.fetch_add(1, Ordering::Relaxed) + 1;
                    let report =
                        InsightsReport::make(n, &job.samples, job.made_at, "schedule", &settings);
                    log::info!(
                        "insights report {n}: {} samples, {} segments, {:.0} ms: {}",
                        report.samples,
                        report.segments.len(),
                        report.run_ms,
                        report.recommendation.text
                    );
                    keep_latest(&latest, &report);
                    if let Err(e) = store.save(&report, settings.keep_reports) {
                        log::warn!("insights report {n} not saved: {e}; the next one tries again");
                    }
                }
            })?;
        self.worker = Some(tx);
        Ok(self)
    }

    /// Take one processed packet; once an interval, hand the window to the worker.
    pub fn record(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        if !self.settings.enabled {
            return;
        }
        self.log.record(p, m);
        let interval = Duration::minutes(i64::from(self.settings.interval_mins));
        let due = *self.due.get_or_insert(p.timestamp + interval);
        if p.timestamp < due {
            return;
        }
        self.due = Some(p.timestamp + interval);
        let Some(worker) = &self.worker else { return };
        let job = Job {
            samples: self
                .log
                .last(Duration::minutes(i64::from(self.settings.window_mins))),
            made_at: p.timestamp,
        };
        match worker.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => log::warn!(
                "insights: the last report is still being made; this interval's is skipped"
            ),
            Err(TrySendError::Disconnected(_)) => {
                log::warn!("insights: the worker has stopped; no more scheduled reports")
            }
        }
    }

    /// What an on-demand report needs, taken under the core's lock: the window, its time, the
    /// settings, and where to keep it.
    pub fn request(&self, now: DateTime<Utc>) -> OnDemand {
        OnDemand {
            samples: self
                .log
                .last(Duration::minutes(i64::from(self.settings.window_mins))),
            made_at: self.log.newest().map_or(now, |s| s.at),
            settings: self.settings.clone(),
            seq: self.seq.clone(),
            store: self.store.clone(),
            latest: self.latest.clone(),
        }
    }

    /// The newest report (made here or found on disk at start).
    pub fn latest(&self) -> Option<Arc<InsightsReport>> {
        self.latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reports kept, newest first.
    pub fn history(&self, limit: usize) -> Vec<InsightsReport> {
        self.store.history(limit)
    }

    /// Where the reports are kept, to read off the core's lock.
    pub fn store(&self) -> Arc<dyn PersistenceLayer> {
        self.store.clone()
    }

    /// The settings.
    pub fn settings(&self) -> &InsightSettings {
        &self.settings
    }
}

/// An on-demand report, made off the core's lock.
pub struct OnDemand {
    samples: Vec<Sample>,
    made_at: DateTime<Utc>,
    settings: InsightSettings,
    seq: Arc<AtomicU64>,
    store: Arc<dyn PersistenceLayer>,
    latest: Latest,
}

impl OnDemand {
    /// Make it and keep it.
    pub fn run(self) -> std::io::Result<InsightsReport> {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let report = InsightsReport::make(n, &self.samples, self.made_at, "asked", &self.settings);
        keep_latest(&self.latest, &report);
        self.store.save(&report, self.settings.keep_reports)?;
        Ok(report)
    }
}
