//! The aggregation thread of `hub serve`: a pass at start, then every aggregation interval (the
//! profile's multiple of it), or sooner — never sooner than the base interval — when a rig's
//! heartbeat deviates.

use super::pass::run_pass;
use super::profile::Profile;
use crate::hub::db::WhenBusy;
use crate::hub::state::AppState;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Start the aggregation thread of the hub whose state is `state`, its base interval `interval`.
pub fn spawn(state: &AppState, interval: Duration) -> std::io::Result<()> {
    let pool = state.pool.clone();
    let settings = state.analytics.clone();
    let notify = state.notify.clone();
    let passes = state.metrics.aggregation_passes();
    let storm = state.storm.clone();
    let profile = state.profile.clone();
    let wake = state.aggregator.clone();
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
                // The base interval always; the rest of the profile's interval unless a
                // deviating beat asks for a pass.
                std::thread::sleep(interval);
                let rest = interval * (profile.get().factor() as u32).saturating_sub(1);
                if wake.wait(rest) {
                    log::debug!("aggregation: woken by a deviating heartbeat");
                }
            }
        })?;
    Ok(())
}
