//! The self-healer: a thread that runs the rig's [`HealthCheck`]s every `[healer] interval_secs`
//! (30 s), each with the one heal action it may take — reconnect a WITS feed that went silent,
//! pause non-critical writes when the disk runs low, set aside an unreadable baseline file and
//! rewrite or relearn it, reopen an advisory log whose writes fail — and reports what each found
//! and did on `/api/v1/health`, the driller's screen and `/metrics`. A check that panics is
//! reported as failing; the healer itself never stops the rig.

pub mod checks;

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What one look at one concern found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// All well (the words say what was seen).
    Fine(String),
    /// Something was wrong and the check did something about it.
    Healed {
        /// What was wrong.
        problem: String,
        /// What was done (a short fixed word, for the metric's label).
        action: &'static str,
        /// What was done, in words.
        detail: String,
    },
    /// Wrong, and nothing this check can do: a person must.
    Failing(String),
}

/// One concern the healer watches.
pub trait HealthCheck: Send {
    /// Its name on health, the screen and the metrics (`wits_feed`, `disk`, …).
    fn name(&self) -> &'static str;
    /// Look, and heal if it can.
    fn run(&mut self) -> Outcome;
}

/// What the healer last knew of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The check.
    pub check: &'static str,
    /// `ok`, `healed` (something was wrong; an action was taken) or `failing`.
    pub status: &'static str,
    /// What it saw.
    pub detail: String,
    /// When it last looked.
    pub checked_at: DateTime<Utc>,
    /// Its last heal: when, what was wrong and what was done.
    pub last_heal: Option<Heal>,
    /// Heal actions taken since start, by action.
    pub actions: Vec<(&'static str, u64)>,
}

/// One heal action taken.
#[derive(Debug, Clone, Serialize)]
pub struct Heal {
    /// When.
    pub at: DateTime<Utc>,
    /// What was wrong.
    pub problem: String,
    /// What was done.
    pub action: &'static str,
    /// In words.
    pub detail: String,
}

/// The healer's reports, shared with the API.
#[derive(Debug, Default)]
pub struct HealReports(Mutex<Vec<CheckReport>>);

impl HealReports {
    fn lock(&self) -> MutexGuard<'_, Vec<CheckReport>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every check's last report.
    pub fn all(&self) -> Vec<CheckReport> {
        self.lock().clone()
    }

    /// Heal actions taken within `within` of `now`, newest first, in words for the screen.
    pub fn recent(&self, now: DateTime<Utc>, within: chrono::Duration) -> Vec<String> {
        let mut heals: Vec<(DateTime<Utc>, String)> = self
            .lock()
            .iter()
            .filter_map(|r| r.last_heal.as_ref())
            .filter(|h| now - h.at <= within)
            .map(|h| {
                (
                    h.at,
                    format!(
                        "{} {}: {}",
                        h.at.format("%H:%M:%S UTC"),
                        h.problem,
                        h.detail
                    ),
                )
            })
            .collect();
        heals.sort_by_key(|h| std::cmp::Reverse(h.0));
        heals.into_iter().map(|(_, s)| s).collect()
    }

    fn record(&self, check: &'static str, outcome: Outcome, at: DateTime<Utc>) {
        let mut reports = self.lock();
        let slot = match reports.iter().position(|r| r.check == check) {
            Some(i) => &mut reports[i],
            None => {
                reports.push(CheckReport {
                    check,
                    status: "ok",
                    detail: String::new(),
                    checked_at: at,
                    last_heal: None,
                    actions: Vec::new(),
                });
                reports.last_mut().expect("just pushed")
            }
        };
        slot.checked_at = at;
        match outcome {
            Outcome::Fine(detail) => {
                slot.status = "ok";
                slot.detail = detail;
            }
            Outcome::Failing(problem) => {
                slot.status = "failing";
                slot.detail = problem;
            }
            Outcome::Healed {
                problem,
                action,
                detail,
            } => {
                log::warn!(check = check, action = action; "self-healer: {problem}: {detail}");
                slot.status = "healed";
                slot.detail = format!("{problem}: {detail}");
                match slot.actions.iter_mut().find(|(a, _)| *a == action) {
                    Some((_, n)) => *n += 1,
                    None => slot.actions.push((action, 1)),
                }
                slot.last_heal = Some(Heal {
                    at,
                    problem,
                    action,
                    detail,
                });
            }
        }
    }
}

/// The checks and how often they run.
pub struct Healer {
    checks: Vec<Box<dyn HealthCheck>>,
    every: Duration,
    reports: Arc<HealReports>,
}

impl Healer {
    /// A healer running `checks` every `every`, reporting into `reports`.
    pub fn new(
        checks: Vec<Box<dyn HealthCheck>>,
        every: Duration,
        reports: Arc<HealReports>,
    ) -> Self {
        Self {
            checks,
            every,
            reports,
        }
    }

    /// Run every check once, now.
    pub fn round(&mut self) {
        for check in &mut self.checks {
            let name = check.name();
            let outcome = catch_unwind(AssertUnwindSafe(|| check.run())).unwrap_or_else(|_| {
                Outcome::Failing("the check itself failed (a bug; the log has it)".into())
            });
            self.reports.record(name, outcome, Utc::now());
        }
    }

    /// Run on a thread of its own until `stop`.
    pub fn spawn(mut self, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("sairen-healer".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    self.round();
                    let mut left = self.every;
                    while left > Duration::ZERO && !stop.load(Ordering::Relaxed) {
                        let step = left.min(Duration::from_millis(200));
                        std::thread::sleep(step);
                        left -= step;
                    }
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted(Vec<Outcome>);

    impl HealthCheck for Scripted {
        fn name(&self) -> &'static str {
            "scripted"
        }
        fn run(&mut self) -> Outcome {
            match self.0.pop() {
                Some(o) => o,
                None => panic!("out of script"),
            }
        }
    }

    #[test]
    fn heals_are_counted_and_kept_and_a_panicking_check_is_reported_failing() {
        let reports = Arc::new(HealReports::default());
        let script = vec![
            Outcome::Fine("all quiet".into()),
            Outcome::Healed {
                problem: "WITS feed silent 64 s".into(),
                action: "reconnect",
                detail: "forced a reconnect".into(),
            },
            Outcome::Healed {
                problem: "WITS feed silent 70 s".into(),
                action: "reconnect",
                detail: "forced a reconnect".into(),
            },
        ];
        let mut healer = Healer::new(
            vec![Box::new(Scripted(script))],
            Duration::from_secs(30),
            reports.clone(),
        );
        healer.round();
        healer.round();
        let r = &reports.all()[0];
        assert_eq!(
            (r.status, r.actions.clone()),
            ("healed", vec![("reconnect", 2)])
        );
        healer.round();
        let r = &reports.all()[0];
        assert_eq!(r.status, "ok", "{r:?}");
        assert!(r.last_heal.is_some(), "the last heal is kept");
        assert_eq!(
            reports
                .recent(Utc::now(), chrono::Duration::minutes(10))
                .len(),
            1
        );
        healer.round();
        let r = &reports.all()[0];
        assert_eq!(r.status, "failing", "a panic is a failing check: {r:?}");
    }
}
