//! A rig's heartbeat: the small KPI record a linked rig sends every `heartbeat_secs`
//! (`POST /api/fleet/heartbeat`), from which the hub rolls rig → region → fleet.

use super::RigId;
use crate::drilling::{AnomalyCategory, Campaign, RigState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One rig's KPIs over the interval that ended at `sent_at`. A rig whose link was down sends
/// its latest on return, never a backlog: the hub's figures are about now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The rig (must be the key's).
    pub rig_id: RigId,
    /// The well it is on.
    pub well_id: String,
    /// Its field (what `[regions]` on the hub maps to a region).
    pub field: String,
    /// What the well is drilled for.
    pub campaign: Campaign,
    /// When the rig built this record, on its own clock.
    pub sent_at: DateTime<Utc>,
    /// How many seconds of stream this record sums (since the previous heartbeat).
    pub interval_secs: f64,
    /// What the rig is doing now.
    pub rig_state: RigState,
    /// Hole depth now, ft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_ft: Option<f64>,
    /// Feet drilled per on-bottom hour over the interval (none: not on bottom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rop_ft_h: Option<f64>,
    /// Seconds spent drilling (on bottom) in the interval.
    pub on_bottom_secs: f64,
    /// Mean MSE efficiency (0–1) while drilling in the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse_efficiency: Option<f64>,
    /// Incidents open now, by their current level, and how many the crew has not acknowledged.
    pub incidents: OpenIncidents,
    /// Alarms announced in the last hour.
    pub alarms_last_hour: u32,
    /// The WITS stream's health.
    pub stream: StreamHealth,
    /// Events waiting in the rig's upload queue.
    pub queue_depth: u32,
    /// Events and outcomes the hub refused for good.
    pub dead_letters: u32,
    /// How far the rig's clock was ahead of the hub's at the last exchange, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_secs: Option<f64>,
    /// The rig's `sairen` version.
    pub version: String,
    /// Seconds since `sairen rig` started.
    pub uptime_secs: f64,
    /// Problems the rig's health names now (0: healthy).
    pub faults: u32,
}

impl Heartbeat {
    /// A rig drilling calmly at 8,000 ft, 60 ft/h, 35 % MSE efficiency, nothing open: the
    /// starting point of tests, benchmarks and load runs that vary one figure at a time.
    pub fn calm(rig_id: RigId, field: &str, at: DateTime<Utc>) -> Self {
        Self {
            rig_id,
            well_id: "WELL-1".into(),
            field: field.into(),
            campaign: Campaign::Production,
            sent_at: at,
            interval_secs: 60.0,
            rig_state: RigState::Drilling,
            depth_ft: Some(8_000.0),
            rop_ft_h: Some(60.0),
            on_bottom_secs: 60.0,
            mse_efficiency: Some(0.35),
            incidents: OpenIncidents::default(),
            alarms_last_hour: 0,
            stream: StreamHealth {
                alive: true,
                stale_secs: Some(1.0),
                sensors_out: 0,
            },
            queue_depth: 0,
            dead_letters: 0,
            clock_offset_secs: Some(0.1),
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_secs: 3_600.0,
            faults: 0,
        }
    }
}

/// Open incidents by level now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenIncidents {
    /// The category of the open incident at the highest level (none: nothing open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<AnomalyCategory>,
    /// At critical.
    pub critical: u32,
    /// At high.
    pub high: u32,
    /// At elevated.
    pub elevated: u32,
    /// At low.
    pub low: u32,
    /// Open or cleared but not yet acknowledged by the crew.
    pub unacknowledged: u32,
}

impl OpenIncidents {
    /// The highest level open, as its wire name ("none" when nothing is open).
    pub fn highest(&self) -> &'static str {
        if self.critical > 0 {
            "critical"
        } else if self.high > 0 {
            "high"
        } else if self.elevated > 0 {
            "elevated"
        } else if self.low > 0 {
            "low"
        } else {
            "none"
        }
    }

    /// All open incidents.
    pub fn total(&self) -> u32 {
        self.critical + self.high + self.elevated + self.low
    }
}

/// The rig's input as its health sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamHealth {
    /// Data arrived within the stale limit.
    pub alive: bool,
    /// Seconds since the last data (none before any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_secs: Option<f64>,
    /// Channels faulted or questioned.
    pub sensors_out: u32,
}

/// The hub's answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatReceipt {
    /// `"stored"`.
    pub status: String,
    /// Seconds the hub asks between heartbeats (it may ask a large fleet to beat slower).
    pub next_in_secs: u64,
    /// What the fleet warns the rigs of this rig's region of now (empty: nothing).
    #[serde(default)]
    pub notices: Vec<FleetNotice>,
}

/// A fleet correlation as the rigs of its region are told it: the trouble, how many rigs met it
/// and when, and where — never which rigs (a rig learns from others through the fleet, not their
/// identities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetNotice {
    /// What the trouble was.
    pub category: AnomalyCategory,
    /// The region.
    pub region: String,
    /// How many rigs met it.
    pub rigs: u32,
    /// Within this many hours.
    pub window_hours: u32,
    /// The first incident.
    pub first_at: DateTime<Utc>,
    /// The last incident.
    pub last_at: DateTime<Utc>,
    /// Where two or more rigs met it, ft (none: their depths were not comparable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_from_ft: Option<f64>,
    /// The band's deep end, ft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_to_ft: Option<f64>,
    /// The notice in words ("lost circulation on 3 rigs in North Sea within 48 h, 7,950–8,400 ft").
    pub text: String,
}
