//! The aggregation's results: each rig's health, each region's roll-up, the fleet's KPIs.

use super::schema::{correlations, fleet_kpis, region_health, rig_health};
use super::DbError;
use crate::drilling::AnomalyCategory;
use crate::hub::analytics::aggregate::{Aggregate, FleetKpis, RegionResult};
use crate::hub::analytics::correlate::{Correlation, IncidentPoint};
use crate::hub::analytics::regions::Regions;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::PgConnection;

fn json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, DbError> {
    serde_json::to_value(v).map_err(|e| DbError::Encode(e.to_string()))
}

/// Replace the latest results with `a`, computed at `at`, in one transaction: a reader sees
/// one pass or the next, never half of each. The rigs whose status became stale or faulted since
/// the previous pass, with that status.
pub fn store(
    conn: &mut PgConnection,
    a: &Aggregate,
    at: DateTime<Utc>,
) -> Result<Vec<(String, String)>, DbError> {
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
                rig_health::status.eq(&r.status),
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
        let before: std::collections::HashMap<String, String> = rig_health::table
            .select((rig_health::rig_id, rig_health::status))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        let became = a
            .rigs
            .iter()
            .filter(|r| matches!(r.status.as_str(), "stale" | "faulted"))
            .filter(|r| before.get(&r.rig_id) != Some(&r.status))
            .map(|r| (r.rig_id.clone(), r.status.clone()))
            .collect();
        diesel::delete(rig_health::table).execute(conn)?;
        // PostgreSQL takes at most 65,535 bound values a statement: 9 a row.
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
        Ok(became)
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

/// The incidents of the rigs not revoked since `from`, each in its rig's region; false alarms
/// are left out (they were not trouble).
pub fn incident_points(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    regions: &Regions,
) -> Result<Vec<IncidentPoint>, DbError> {
    use super::schema::{events, rigs};
    let rows: Vec<(String, String, String, f64, DateTime<Utc>)> = events::table
        .inner_join(rigs::table)
        .filter(events::occurred_at.ge(from))
        .filter(events::outcome.ne("false_positive"))
        .filter(rigs::status.ne("revoked"))
        .select((
            events::rig_id,
            rigs::field,
            events::category,
            events::depth_ft,
            events::occurred_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(rig_id, field, category, depth_ft, at)| {
            Some(IncidentPoint {
                region: regions.of(&field).to_owned(),
                rig_id,
                category: AnomalyCategory::from_name(&category)?,
                depth_ft,
                at,
            })
        })
        .collect())
}

/// Keep `found` as the correlations now: each new one stamped `at` as first seen, each still
/// holding keeps its first sighting, each no longer holding removed. The new ones are returned.
pub fn store_correlations(
    conn: &mut PgConnection,
    found: &[Correlation],
    at: DateTime<Utc>,
) -> Result<Vec<Correlation>, DbError> {
    conn.transaction(|conn| {
        let known: Vec<(String, String)> = correlations::table
            .select((correlations::region, correlations::category))
            .load(conn)?;
        let mut new = Vec::new();
        for c in found {
            let key = (c.region.clone(), c.category.as_str().to_owned());
            if !known.contains(&key) {
                new.push(c.clone());
            }
            diesel::insert_into(correlations::table)
                .values((
                    correlations::region.eq(&key.0),
                    correlations::category.eq(&key.1),
                    correlations::first_seen_at.eq(at),
                    correlations::updated_at.eq(at),
                    correlations::payload.eq(json(c)?),
                ))
                .on_conflict((correlations::region, correlations::category))
                .do_update()
                .set((
                    correlations::updated_at.eq(at),
                    correlations::payload.eq(json(c)?),
                ))
                .execute(conn)?;
        }
        diesel::delete(correlations::table.filter(correlations::updated_at.lt(at)))
            .execute(conn)?;
        Ok(new)
    })
}

/// The correlations holding now, in `region` (every region: `None`), newest first, each with
/// when the fleet first saw it.
pub fn correlations_in(
    conn: &mut PgConnection,
    region: Option<&str>,
) -> Result<Vec<(DateTime<Utc>, Correlation)>, DbError> {
    let mut query = correlations::table
        .select((correlations::first_seen_at, correlations::payload))
        .into_boxed();
    if let Some(region) = region {
        query = query.filter(correlations::region.eq(region.to_owned()));
    }
    let rows: Vec<(DateTime<Utc>, serde_json::Value)> = query.load(conn)?;
    let mut out: Vec<(DateTime<Utc>, Correlation)> = rows
        .into_iter()
        .filter_map(|(at, v)| Some((at, serde_json::from_value(v).ok()?)))
        .collect();
    out.sort_by_key(|(_, c)| std::cmp::Reverse(c.last_at));
    Ok(out)
}
