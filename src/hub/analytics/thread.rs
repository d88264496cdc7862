//! The aggregation thread of `hub serve`: a pass at start, then every aggregation interval.

use super::pass::run_pass;
use super::profile::{CurrentProfile, Profile};
use super::AnalyticsSettings;
use crate::hub::db::{DbPool, WhenBusy};
use crate::hub::notify::NotifySettings;
use crate::hub::storm::Storm;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Start the aggregation thread; `passes` counts the passes that ran (for `/metrics`).
pub fn spawn(
    pool: DbPool,
    settings: AnalyticsSettings,
    notify: Arc<NotifySettings>,
    interval: Duration,
    passes: Arc<AtomicU64>,
    storm: Arc<Storm>,
    profile: Arc<CurrentProfile>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("aggregator".into())
        .spawn(move || {
            let mut last = None;
            loop {
                let now = chrono::Utc::now();
                if storm.is_on(now) {
                    log::debug!("aggregation deferred: storm mode");
                    std::thread::sleep(interval.min(Duration::from_secs(2)));
                    continue;
                }
                match pool.get() {
                    Ok(mut conn) => {
                        // Every process keeps the profile, whichever of them aggregates.
                        if let Ok(n) = crate::hub::db::rigs::live_count(&mut conn) {
                            let p = Profile::of(n);
                            if p != profile.get() {
                                log::info!(
                                    "fleet of {n} rigs: the {} profile (quiet rigs beat and the fleet is aggregated every {}× the base interval)",
                                    p.as_str(),
                                    p.factor()
                                );
                                profile.set(p);
                            }
                        }
                        match run_pass(&mut conn, &settings, now, last, WhenBusy::Skip) {
                            Ok(report) if report.busy => log::debug!("aggregation: {report}"),
                            Ok(report) => {
                                passes.fetch_add(1, Ordering::Relaxed);
                                // The hour of the previous pass is rolled up again: a beat
                                // that landed during the pass is counted next time.
                                last = Some(now);
                                log::debug!("aggregation: {report}");
                                let hours = settings.correlation_window.num_hours();
                                for c in &report.new_correlations {
                                    log::info!(
                                        "new fleet correlation: {} (rigs {}); its region's rigs are told",
                                        c.describe(hours),
                                        c.rigs.join(", ")
                                    );
                                }
                                for (rig, status) in &report.became {
                                    log::warn!("rig {rig} is now {status}");
                                }
                                if let Err(e) =
                                    crate::hub::notify::enqueue_findings(&mut conn, &notify, &report, hours, now)
                                {
                                    log::warn!("aggregation: notifications not queued: {e}");
                                }
                            }
                            Err(e) => log::warn!(
                                "aggregation pass failed, will retry in {} s: {e}",
                                interval.as_secs()
                            ),
                        }
                    }
                    Err(e) => log::warn!(
                        "aggregation: no database connection ({e}); will retry in {} s",
                        interval.as_secs()
                    ),
                }
                std::thread::sleep(interval * profile.get().factor() as u32);
            }
        })?;
    Ok(())
}
