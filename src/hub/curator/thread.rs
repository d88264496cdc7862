//! The curator thread of `hub serve`: woken when an event or outcome arrives, and on an interval.

use super::pass::run_pass;
use super::CuratorSettings;
use crate::hub::db::DbPool;
use crate::hub::storm::Storm;
use crate::hub::wake::Wake;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often a deferred pass looks again whether the storm is over.
const STORM_RECHECK: Duration = Duration::from_secs(2);

/// Start the curator thread. It runs a pass at start, then whenever woken or `interval` passes.
/// If another hub process holds the curator lock, the pass returns at once and waits for the next.
pub fn spawn(
    pool: DbPool,
    settings: CuratorSettings,
    interval: Duration,
    wake: Wake,
    passes: Arc<AtomicU64>,
    storm: Arc<Storm>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("curator".into())
        .spawn(move || loop {
            if storm.is_on(chrono::Utc::now()) {
                // Storm mode: the uploads that matter come first; the events wait, stored.
                std::thread::sleep(STORM_RECHECK);
                continue;
            }
            match pool.get() {
                Ok(mut conn) => match run_pass(&mut conn, &settings, super::pass::WhenBusy::Skip)
                    .inspect(|r| {
                        if !r.busy {
                            passes.fetch_add(1, Ordering::Relaxed);
                        }
                    }) {
                    Ok(report) if report.did_work() => log::info!("curator: {report}"),
                    Ok(report) if report.busy => log::debug!("curator: {report}"),
                    Ok(_) => {}
                    Err(e) => {
                        log::warn!("curator pass failed, will retry on the next wake-up: {e}")
                    }
                },
                Err(e) => log::warn!(
                    "curator: no database connection ({e}); will retry on the next wake-up"
                ),
            }
            let _ = wake.wait(interval);
            // Let a burst of uploads land before curating them together.
            std::thread::sleep(Duration::from_millis(200));
        })?;
    Ok(())
}
