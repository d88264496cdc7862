//! One aggregation pass: roll up the heartbeats that came since the last pass, drop what is past
//! its retention, then aggregate the fleet and store the result. One pass at a time across every
//! hub process on the database (a PostgreSQL advisory lock).

use super::aggregate::{aggregate, RigInput};
use super::correlate::correlate;
use super::AnalyticsSettings;
use crate::hub::db::{self, dashboard, heartbeats, locks, DbError, WhenBusy};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use std::fmt;
use std::time::Instant;

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregationReport {
    /// Another hub process was aggregating; this pass did nothing.
    pub busy: bool,
    /// Rigs aggregated (not revoked).
    pub rigs: usize,
    /// Of those, with a fresh heartbeat.
    pub reporting: usize,
    /// Regions rolled up.
    pub regions: usize,
    /// Rigs flagged as outliers.
    pub outlier_rigs: usize,
    /// Cross-rig correlations holding.
    pub correlations: usize,
    /// Of those, seen for the first time in this pass.
    pub new_correlations: Vec<super::correlate::Correlation>,
    /// Rigs whose status became stale or faulted since the previous pass, with that status.
    pub became: Vec<(String, String)>,
    /// Hourly rows written or rewritten.
    pub hours_rolled: usize,
    /// Raw heartbeats, hourly rows and fleet rows removed by retention.
    pub pruned: heartbeats::Pruned,
    /// How long the pass took, ms.
    pub millis: u128,
}

impl fmt::Display for AggregationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.busy {
            return f.write_str("another hub process is aggregating; nothing done");
        }
        write!(
            f,
            "{} rigs ({} reporting) in {} regions, {} flagged as outliers; {} correlations ({} new); \
             {} hourly rows rolled up; retention removed {} heartbeats and {} hourly rows; {} ms",
            self.rigs,
            self.reporting,
            self.regions,
            self.outlier_rigs,
            self.correlations,
            self.new_correlations.len(),
            self.hours_rolled,
            self.pruned.raw,
            self.pruned.hours,
            self.millis
        )
    }
}

/// Run one pass at `now`, rolling up the hours from `roll_from` on (the previous pass's time;
/// `None` on a hub's first pass: every raw heartbeat kept).
pub fn run_pass(
    conn: &mut PgConnection,
    settings: &AnalyticsSettings,
    now: DateTime<Utc>,
    roll_from: Option<DateTime<Utc>>,
    when_busy: WhenBusy,
) -> Result<AggregationReport, DbError> {
    if !db::take_lock(conn, locks::ANALYTICS, when_busy)? {
        return Ok(AggregationReport {
            busy: true,
            ..Default::default()
        });
    }
    let result = roll_up_and_aggregate(conn, settings, now, roll_from);
    let released = db::release_lock(conn, locks::ANALYTICS);
    let report = result?;
    released?;
    Ok(report)
}

fn roll_up_and_aggregate(
    conn: &mut PgConnection,
    settings: &AnalyticsSettings,
    now: DateTime<Utc>,
    roll_from: Option<DateTime<Utc>>,
) -> Result<AggregationReport, DbError> {
    let started = Instant::now();
    let raw_before = now - settings.raw_retention;
    let hours_rolled = heartbeats::roll_up(conn, roll_from.unwrap_or(raw_before))?;
    let pruned = heartbeats::prune(conn, raw_before, now - settings.hourly_retention)?;
    let inputs: Vec<RigInput> = dashboard::rigs(conn, settings.stale_after_secs())?
        .into_iter()
        .map(|r| RigInput {
            rig_id: r.rig_id,
            field: r.field,
            status: r.status,
            beat: r.heartbeat,
            fresh: r.fresh,
        })
        .collect();
    let a = aggregate(&inputs, &settings.regions, &settings.weights);
    let became = db::analytics::store(conn, &a, now)?;
    let points =
        db::analytics::incident_points(conn, now - settings.correlation_window, &settings.regions)?;
    let found = correlate(&points, settings.correlation_depth_band_ft);
    let new_correlations = db::analytics::store_correlations(conn, &found, now)?;
    Ok(AggregationReport {
        busy: false,
        correlations: found.len(),
        new_correlations,
        became,
        rigs: a.fleet.rigs as usize,
        reporting: a.fleet.reporting as usize,
        regions: a.regions.len(),
        outlier_rigs: a.fleet.outlier_rigs as usize,
        hours_rolled,
        pruned,
        millis: started.elapsed().as_millis(),
    })
}
