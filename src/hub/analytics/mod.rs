//! Fleet analytics (the Fleet Aggregation spec): heartbeats rolled rig → region → fleet, a
//! health score per rig and region, rankings with modified-z-score outliers. The arithmetic is
//! pure ([`aggregate`], [`health`], [`outliers`], [`regions`]); [`pass`] reads and writes
//! PostgreSQL; [`thread`] runs a pass every aggregation interval.

pub mod aggregate;
pub mod analysers;
pub mod attention;
pub mod correlate;
pub mod health;
pub mod notices;
pub mod offsets;
pub mod outliers;
pub mod pass;
pub mod profile;
pub mod regions;
pub mod thread;

use chrono::Duration;
use health::HealthWeights;
use regions::Regions;

/// Everything an aggregation pass and the dashboard's status need.
#[derive(Debug, Clone)]
pub struct AnalyticsSettings {
    /// Seconds between heartbeats asked of rigs.
    pub heartbeat_secs: u64,
    /// A rig whose latest heartbeat is older than this is stale.
    pub stale_after: Duration,
    /// Raw heartbeats (and per-pass fleet KPIs) are kept this long.
    pub raw_retention: Duration,
    /// Hourly roll-ups are kept this long.
    pub hourly_retention: Duration,
    /// Fields to regions.
    pub regions: Regions,
    /// The health score's weights.
    pub weights: HealthWeights,
    /// Incidents within this long of now are correlated across rigs.
    pub correlation_window: Duration,
    /// Incidents this close in depth (ft) on two rigs make a correlation's depth band.
    pub correlation_depth_band_ft: f64,
}

impl AnalyticsSettings {
    /// The stale limit in seconds, as the dashboard's queries take it.
    pub fn stale_after_secs(&self) -> f64 {
        self.stale_after.num_milliseconds() as f64 / 1e3
    }
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            heartbeat_secs: 60,
            stale_after: Duration::seconds(300),
            raw_retention: Duration::days(14),
            hourly_retention: Duration::days(730),
            regions: Regions::default(),
            weights: HealthWeights::default(),
            correlation_window: Duration::hours(48),
            correlation_depth_band_ft: 1_000.0,
        }
    }
}
