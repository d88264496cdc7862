//! Rows as diesel reads and writes them.

use super::schema::{events, rigs};
use crate::drilling::{AnomalyCategory, RiskLevel};
use crate::fleet::{OutcomeKind, RigStatus};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A registered rig, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rigs, check_for_backend(diesel::pg::Pg))]
pub struct RigRow {
    /// The rig's id.
    pub rig_id: String,
    /// The well it is drilling.
    pub well_id: String,
    /// The field it is in.
    pub field: String,
    /// The public half of its API key.
    pub key_id: String,
    /// argon2 PHC hash of the key's secret.
    pub key_hash: String,
    /// Active or revoked.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: RigStatus,
    /// When it was registered.
    pub registered_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last authenticated request.
    pub last_seen: Option<DateTime<Utc>>,
    /// Last answered library sync.
    pub last_sync: Option<DateTime<Utc>>,
    /// Library version it was last brought to.
    pub library_version: Option<i64>,
    /// Events accepted from it.
    pub event_count: i64,
    /// Last change to the row.
    pub updated_at: DateTime<Utc>,
}

/// A rig about to be registered.
#[derive(Debug, Insertable)]
#[diesel(table_name = rigs)]
pub struct NewRig<'a> {
    /// The rig's id.
    pub rig_id: &'a str,
    /// The well.
    pub well_id: &'a str,
    /// The field.
    pub field: &'a str,
    /// The public half of the key.
    pub key_id: &'a str,
    /// argon2 PHC hash of the secret half.
    pub key_hash: &'a str,
}

/// What authentication needs to know about a key id.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rigs, check_for_backend(diesel::pg::Pg))]
pub struct KeyRow {
    /// The rig the key belongs to.
    pub rig_id: String,
    /// argon2 PHC hash of the secret.
    pub key_hash: String,
    /// Active or revoked.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: RigStatus,
}

/// An event about to be stored.
#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    /// Event id.
    pub id: String,
    /// The rig.
    pub rig_id: String,
    /// The well.
    pub well_id: String,
    /// The field.
    pub field: String,
    /// Campaign wire name.
    pub campaign: String,
    /// Category wire name.
    pub category: String,
    /// Risk level wire name.
    pub risk_level: String,
    /// Outcome kind wire name.
    pub outcome: String,
    /// Measured depth at the advisory.
    pub depth_ft: f64,
    /// When the advisory was raised.
    pub occurred_at: DateTime<Utc>,
    /// The whole `FleetEvent` as JSON.
    pub payload: serde_json::Value,
}

impl NewEvent {
    /// The row for an accepted event: its filter columns and the whole event as JSON.
    pub fn from_event(event: &crate::fleet::FleetEvent) -> Result<Self, serde_json::Error> {
        Ok(Self {
            id: event.id.to_string(),
            rig_id: event.rig_id.to_string(),
            well_id: event.well_id.clone(),
            field: event.field.clone(),
            campaign: event.campaign.as_str().into(),
            category: event.advisory.category.as_str().into(),
            risk_level: event.advisory.risk_level.as_str().into(),
            outcome: event.outcome.as_str().into(),
            depth_ft: event.depth_ft,
            occurred_at: event.timestamp,
            payload: serde_json::to_value(event)?,
        })
    }
}

/// A stored event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
pub struct EventRow {
    /// Event id.
    pub id: String,
    /// The rig.
    pub rig_id: String,
    /// Category.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub category: AnomalyCategory,
    /// Risk level.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub risk_level: RiskLevel,
    /// Outcome kind.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub outcome: OutcomeKind,
    /// Measured depth at the advisory.
    pub depth_ft: f64,
    /// When the advisory was raised.
    pub occurred_at: DateTime<Utc>,
    /// The whole `FleetEvent` as JSON, with the current outcome.
    pub payload: serde_json::Value,
    /// Whether the curator has still to look at it.
    pub needs_curation: bool,
    /// When the hub accepted it.
    pub received_at: DateTime<Utc>,
    /// When its outcome last changed.
    pub outcome_updated_at: Option<DateTime<Utc>>,
}
