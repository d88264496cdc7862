//! The aggregation's results: each rig's health, each region's roll-up, the fleet's KPIs.

use super::schema::{fleet_kpis, region_health, rig_health};
use super::DbError;
use crate::hub::analytics::aggregate::{Aggregate, FleetKpis, RegionResult};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;

fn json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, DbError> {
    serde_json::to_value(v).map_err(|e| DbError::Encode(e.to_string()))
}

/// Replace the latest results with `a`, computed at `at`, in one transaction: a reader sees
/// one pass or the next, never half of each.
pub fn store(conn: &mut PgConnection, a: &Aggregate, at: DateTime<Utc>) -> Result<(), DbError> {
    let rigs = a
        .rigs
        .iter()
        .map(|r| {
            Ok((
                rig_health::rig_id.eq(&r.rig_id),
                rig_health::computed_at.eq(at),
                rig_health::region.eq(&r.region),
                rig_health::health.eq(r.health),
                rig_health::components.eq(json(&r.components)?),
                rig_health::rank_in_region.eq(r.rank_in_region),
                rig_health::rank_in_fleet.eq(r.rank_in_fleet),
                rig_health::outliers.eq(json(&r.outliers)?),
            ))
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let regions = a
        .regions
        .iter()
        .map(|r| {
            Ok((
                region_health::region.eq(&r.region),
                region_health::computed_at.eq(at),
                region_health::rigs.eq(r.rigs),
                region_health::reporting.eq(r.reporting),
                region_health::health.eq(r.health),
                region_health::rank.eq(r.rank),
                region_health::payload.eq(json(r)?),
            ))
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let fleet = json(&a.fleet)?;
    conn.transaction(|conn| {
        diesel::delete(rig_health::table).execute(conn)?;
        // PostgreSQL takes at most 65,535 bound values a statement: 8 a row.
        for chunk in rigs.chunks(4_000) {
            diesel::insert_into(rig_health::table)
                .values(chunk)
                .execute(conn)?;
        }
        diesel::delete(region_health::table).execute(conn)?;
        for chunk in regions.chunks(4_000) {
            diesel::insert_into(region_health::table)
                .values(chunk)
                .execute(conn)?;
        }
        diesel::insert_into(fleet_kpis::table)
            .values((
                fleet_kpis::computed_at.eq(at),
                fleet_kpis::payload.eq(fleet),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(())
    })
}

/// Every region's latest roll-up, healthiest first.
pub fn regions(conn: &mut PgConnection) -> Result<Vec<RegionResult>, DbError> {
    let rows: Vec<serde_json::Value> = region_health::table
        .order((region_health::rank.asc(), region_health::region.asc()))
        .select(region_health::payload)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// The fleet's KPIs at every pass since `from`, oldest first.
pub fn fleet_history(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, FleetKpis)>, DbError> {
    let rows: Vec<(DateTime<Utc>, serde_json::Value)> = fleet_kpis::table
        .filter(fleet_kpis::computed_at.ge(from))
        .order(fleet_kpis::computed_at.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(at, v)| Some((at, serde_json::from_value(v).ok()?)))
        .collect())
}

/// The latest pass's fleet KPIs and when it ran.
pub fn fleet_latest(
    conn: &mut PgConnection,
) -> Result<Option<(DateTime<Utc>, FleetKpis)>, DbError> {
    let row: Option<(DateTime<Utc>, serde_json::Value)> = fleet_kpis::table
        .order(fleet_kpis::computed_at.desc())
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(at, v)| Some((at, serde_json::from_value(v).ok()?))))
}
