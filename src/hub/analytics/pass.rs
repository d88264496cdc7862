//! One aggregation pass: roll up the heartbeats that came since the last pass, drop what is past
//! its retention, then aggregate the fleet and store the result. One pass at a time across every
//! hub process on the database (a PostgreSQL advisory lock).

use super::aggregate::Aggregate;
use super::aggregate::{aggregate, RigInput};
use super::analysers::{self, correlations_of, View};
use super::correlate::IncidentPoint;
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
    /// Findings kept per analyser that ran (its id and how many).
    pub findings: Vec<(String, usize)>,
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
    let mut a = aggregate(&inputs, &settings.regions, &settings.weights);
    let points =
        db::analytics::incident_points(conn, now - settings.correlation_window, &settings.regions)?;
    let findings = run_analysers(conn, settings, now, &inputs, &a, &points)?;
    // The roll-up's outlier flags are the outlier ranking's current findings (none while it is
    // switched off; its last run's while it waits out its interval).
    let flags = db::analysers::findings(conn, Some("outliers"))?;
    for r in &mut a.rigs {
        r.outliers = flags
            .iter()
            .filter(|f| f.rig_id.as_deref() == Some(r.rig_id.as_str()))
            .filter_map(|f| serde_json::from_value(f.details.clone()).ok())
            .collect();
    }
    recount_outliers(&mut a);
    let became = db::analytics::store(conn, &a, now)?;
    let found = correlations_of(
        &db::analysers::findings(conn, Some("correlator"))?
            .into_iter()
            .map(|f| f.details)
            .collect::<Vec<_>>(),
    );
    let new_correlations = db::analytics::store_correlations(conn, &found, now)?;
    Ok(AggregationReport {
        busy: false,
        correlations: found.len(),
        new_correlations,
        became,
        findings,
        rigs: a.fleet.rigs as usize,
        reporting: a.fleet.reporting as usize,
        regions: a.regions.len(),
        outlier_rigs: a.fleet.outlier_rigs as usize,
        hours_rolled,
        pruned,
        millis: started.elapsed().as_millis(),
    })
}

/// Run every analyser whose slot is due, keeping the findings as sure as its slot asks; clear
/// the findings of those switched off. What each that ran kept.
fn run_analysers(
    conn: &mut PgConnection,
    settings: &AnalyticsSettings,
    now: DateTime<Utc>,
    inputs: &[RigInput],
    a: &Aggregate,
    points: &[IncidentPoint],
) -> Result<Vec<(String, usize)>, DbError> {
    let slots = db::analysers::slots(conn)?;
    let slot = |id: &str| slots.iter().find(|s| s.id == id);
    let hours = if slot("rig_anomaly").is_some_and(|s| s.due(now)) {
        heartbeats::hours_by_rig(conn, now - chrono::Duration::hours(48))?
    } else {
        Default::default()
    };
    let view = View {
        rigs: inputs,
        results: &a.rigs,
        incidents: points,
        hours: &hours,
        settings,
    };
    let mut kept = Vec::new();
    for analyser in analysers::all() {
        match slot(analyser.id()) {
            Some(s) if s.due(now) => {
                let findings: Vec<_> = analyser
                    .analyse(&view)
                    .into_iter()
                    .filter(|f| f.confidence >= s.min_confidence)
                    .collect();
                db::analysers::store_findings(
                    conn,
                    s.id.as_str(),
                    analyser.version(),
                    now,
                    &findings,
                )?;
                kept.push((s.id.clone(), findings.len()));
            }
            Some(s) if !s.active => {
                db::analysers::clear_findings(conn, &s.id)?;
            }
            _ => {}
        }
    }
    Ok(kept)
}

/// The fleet's and each region's count of outlier rigs, after the outlier flags were settled.
fn recount_outliers(a: &mut Aggregate) {
    a.fleet.outlier_rigs = a.rigs.iter().filter(|r| !r.outliers.is_empty()).count() as i64;
    for region in &mut a.regions {
        region.outlier_rigs = a
            .rigs
            .iter()
            .filter(|r| r.region == region.region && !r.outliers.is_empty())
            .count() as i64;
    }
}
