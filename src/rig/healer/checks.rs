//! The rig's health checks, each with its heal action.

use super::{HealthCheck, Outcome};
use crate::drilling::duration_words;
use crate::rig::acquisition::source::SourceState;
use crate::rig::core::{lock, Core};
use crate::rig::durable;
use crate::rig::uplink::sink::LinkState;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A WITS TCP feed that sends no data (only keep-alives, or nothing on a socket that stays
/// open: a frozen WITS box) for `silent`: close the connection so the input reconnects.
pub struct WitsFeed {
    /// The core (when data last came).
    pub core: Arc<Mutex<Core>>,
    /// The input (its socket).
    pub source: Arc<SourceState>,
    /// Longest silence before reconnecting.
    pub silent: Duration,
}

impl HealthCheck for WitsFeed {
    fn name(&self) -> &'static str {
        "wits_feed"
    }

    fn run(&mut self) -> Outcome {
        let (link_up, detail, silent_for) = {
            let c = lock(&self.core);
            (
                c.stream().link_up,
                c.stream().link_detail.clone(),
                c.data_silent_secs(),
            )
        };
        if !link_up {
            return Outcome::Failing(format!(
                "WITS link down ({detail}); the input retries with backoff"
            ));
        }
        let silent_for = silent_for.unwrap_or(0.0);
        if silent_for < self.silent.as_secs_f64() {
            return Outcome::Fine(format!("data {} ago", duration_words(silent_for)));
        }
        let problem = format!(
            "WITS feed connected but silent for {}",
            duration_words(silent_for)
        );
        if self.source.force_reconnect() {
            Outcome::Healed {
                problem,
                action: "reconnect",
                detail: "closed the connection; the input reconnects".into(),
            }
        } else {
            Outcome::Failing(format!("{problem}; no connection to close"))
        }
    }
}

/// Free space under the data directory: below `min_free_bytes`, pause the writes the rig can do
/// without (baseline, flow-back fingerprint, library snapshot) so that incidents, the advisory
/// log and the upload queue keep the room; resume above one and a half times that.
pub struct DiskSpace {
    /// The data directory.
    pub dir: PathBuf,
    /// The floor.
    pub min_free_bytes: u64,
}

impl HealthCheck for DiskSpace {
    fn name(&self) -> &'static str {
        "disk"
    }

    fn run(&mut self) -> Outcome {
        let free = match durable::free_bytes(&self.dir) {
            Ok(f) => f,
            Err(e) => {
                return Outcome::Failing(format!(
                    "cannot read free space under {}: {e}",
                    self.dir.display()
                ))
            }
        };
        let mb = |b: u64| b as f64 / 1e6;
        let paused = durable::non_critical_paused();
        if free < self.min_free_bytes {
            let problem = format!(
                "{:.1} MB free under {} (floor {:.0} MB)",
                mb(free),
                self.dir.display(),
                mb(self.min_free_bytes)
            );
            if paused {
                return Outcome::Failing(format!(
                    "{problem}; non-critical writes paused: free disk space"
                ));
            }
            durable::set_non_critical_paused(true);
            return Outcome::Healed {
                problem,
                action: "pause_writes",
                detail: "paused non-critical writes (baseline, flow-back fingerprint, library \
                         snapshot); incidents, the advisory log and the upload queue still write"
                    .into(),
            };
        }
        if paused && free >= self.min_free_bytes.saturating_mul(3) / 2 {
            durable::set_non_critical_paused(false);
            return Outcome::Healed {
                problem: format!("disk space back ({:.1} MB free)", mb(free)),
                action: "resume_writes",
                detail: "non-critical writes resumed".into(),
            };
        }
        Outcome::Fine(format!("{:.0} MB free", mb(free)))
    }
}

/// The saved baseline file: one that no longer reads (a bad sector, a half-copied restore) is set
/// aside and rewritten from the baseline in memory, or relearned when that was still learning.
pub struct BaselineFile {
    /// The core (its baseline and where it is saved).
    pub core: Arc<Mutex<Core>>,
}

impl HealthCheck for BaselineFile {
    fn name(&self) -> &'static str {
        "baseline_file"
    }

    fn run(&mut self) -> Outcome {
        lock(&self.core).heal_baseline_file()
    }
}

/// The advisory log: while its writes fail, reopen it once (a file removed or a disk remounted
/// under it); then report until a write succeeds.
#[derive(Default)]
pub struct AdvisoryLogFile {
    /// The core (its advisory log).
    pub core: Option<Arc<Mutex<Core>>>,
    reopened_for: Option<String>,
}

impl AdvisoryLogFile {
    /// Watch `core`'s advisory log.
    pub fn new(core: Arc<Mutex<Core>>) -> Self {
        Self {
            core: Some(core),
            reopened_for: None,
        }
    }
}

impl HealthCheck for AdvisoryLogFile {
    fn name(&self) -> &'static str {
        "advisory_log"
    }

    fn run(&mut self) -> Outcome {
        let Some(core) = &self.core else {
            return Outcome::Fine("not watched".into());
        };
        let mut c = lock(core);
        let Some(error) = c.advisories().write_error.clone() else {
            self.reopened_for = None;
            return Outcome::Fine("written".into());
        };
        if self.reopened_for.as_deref() == Some(error.as_str()) {
            return Outcome::Failing(format!(
                "advisory log still not written after reopening: {error}; advisories show on the \
                 screen and the API meanwhile"
            ));
        }
        self.reopened_for = Some(error.clone());
        match c.reopen_advisory_log() {
            Ok(path) => Outcome::Healed {
                problem: format!("advisory log not written: {error}"),
                action: "reopen_log",
                detail: format!("reopened {}", path.display()),
            },
            Err(e) => Outcome::Failing(format!(
                "advisory log not written ({error}); reopening failed: {e}"
            )),
        }
    }
}

/// The link to the hub: nothing to heal here (the link retries by itself and keeps every event),
/// but a hub out of reach is said with what waits for it.
pub struct FleetLink {
    /// The core (the link's figures).
    pub core: Arc<Mutex<Core>>,
}

impl HealthCheck for FleetLink {
    fn name(&self) -> &'static str {
        "fleet_link"
    }

    fn run(&mut self) -> Outcome {
        let status = lock(&self.core).fleet_status();
        let Some(link) = status.link else {
            return Outcome::Fine(status.detail.unwrap_or_else(|| "off".into()));
        };
        match &link.stats.link_state {
            LinkState::Down(why) => Outcome::Failing(format!(
                "hub out of reach ({why}); {} event(s) queued, kept until it answers",
                link.queue_depth
            )),
            LinkState::Up => Outcome::Fine(format!("up; {} queued", link.queue_depth)),
            LinkState::NotTried => Outcome::Fine("not tried yet".into()),
        }
    }
}
