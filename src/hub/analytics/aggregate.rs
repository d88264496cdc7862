//! One aggregation over the fleet as pure arithmetic: each rig's health, its rank in its region
//! and the fleet, its outlier flags; each region's roll-up; the fleet's KPIs. The pass reads
//! the rigs and writes the result; everything between is here, checkable by hand.

use super::health::{Components, HealthWeights};
use super::outliers::{self, Outlier};
use super::regions::Regions;
use crate::fleet::Heartbeat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rig as the aggregation sees it.
#[derive(Debug, Clone)]
pub struct RigInput {
    /// The rig.
    pub rig_id: String,
    /// Its field (mapped to a region).
    pub field: String,
    /// Its status (`active`, `stale`, `faulted`, `never-seen`, `revoked`).
    pub status: String,
    /// Its latest heartbeat, if it ever sent one.
    pub beat: Option<Heartbeat>,
    /// Whether that heartbeat is within the stale limit.
    pub fresh: bool,
}

/// A rig's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RigResult {
    /// The rig.
    pub rig_id: String,
    /// Its region.
    pub region: String,
    /// Its status at this pass (`active`, `faulted`, `stale`).
    pub status: String,
    /// Health, 0–100.
    pub health: f64,
    /// What the health is made of.
    pub components: Components,
    /// 1 = healthiest in its region.
    pub rank_in_region: i32,
    /// 1 = healthiest in the fleet.
    pub rank_in_fleet: i32,
    /// The KPIs that make it an outlier, and among whom.
    pub outliers: Vec<Outlier>,
}

/// A region's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionResult {
    /// The region.
    pub region: String,
    /// Rigs in it (not revoked).
    pub rigs: i32,
    /// Rigs with a fresh heartbeat.
    pub reporting: i32,
    /// Mean health of the rigs that report (none: none does).
    pub health: Option<f64>,
    /// 1 = healthiest region.
    pub rank: i32,
    /// ROP weighted by on-bottom time over the last interval, ft/h.
    pub rop_ft_h: Option<f64>,
    /// MSE efficiency weighted by on-bottom time.
    pub mse_efficiency: Option<f64>,
    /// Incidents open.
    pub open_incidents: i64,
    /// Of those, at critical.
    pub critical: i64,
    /// Not acknowledged.
    pub unacknowledged: i64,
    /// Rigs by status.
    pub by_status: BTreeMap<String, i64>,
    /// Rigs flagged as outliers.
    pub outlier_rigs: i64,
    /// Its rigs, healthiest first.
    pub members: Vec<String>,
}

/// The fleet's KPIs at one pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetKpis {
    /// Rigs registered and not revoked.
    pub rigs: i64,
    /// Rigs with a fresh heartbeat.
    pub reporting: i64,
    /// Rigs by status (revoked included).
    pub by_status: BTreeMap<String, i64>,
    /// Mean health of the reporting rigs.
    pub health: Option<f64>,
    /// Incidents open across the fleet.
    pub open_incidents: i64,
    /// Of those, at critical.
    pub critical: i64,
    /// Not acknowledged.
    pub unacknowledged: i64,
    /// Rigs flagged as outliers.
    pub outlier_rigs: i64,
    /// Regions with at least one rig.
    pub regions: i64,
}

/// Everything one aggregation computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregate {
    /// One per rig with a heartbeat.
    pub rigs: Vec<RigResult>,
    /// One per region with a rig.
    pub regions: Vec<RegionResult>,
    /// The fleet.
    pub fleet: FleetKpis,
}

/// Reads one KPI from a fresh heartbeat (none: not applicable now).
type ReadKpi = fn(&Heartbeat) -> Option<f64>;

/// The KPIs checked for outliers, each with the least difference from the median that matters
/// to a fleet manager: where nearly every rig reads the same, a statistically extreme 0.2 s clock
/// against 0.1 s is not news.
const KPIS: [(&str, ReadKpi, f64); 7] = [
    (
        "rop_ft_h",
        |b| b.rop_ft_h.filter(|_| b.on_bottom_secs > 0.0),
        5.0,
    ),
    (
        "mse_efficiency",
        |b| b.mse_efficiency.filter(|_| b.on_bottom_secs > 0.0),
        0.05,
    ),
    (
        "alarms_last_hour",
        |b| Some(f64::from(b.alarms_last_hour)),
        3.0,
    ),
    (
        "unacknowledged",
        |b| Some(f64::from(b.incidents.unacknowledged)),
        1.0,
    ),
    ("dead_letters", |b| Some(f64::from(b.dead_letters)), 1.0),
    (
        "clock_offset_secs",
        |b| b.clock_offset_secs.map(f64::abs),
        5.0,
    ),
    (
        "sensors_out",
        |b| Some(f64::from(b.stream.sensors_out)),
        1.0,
    ),
];

/// Health points from the median that matter.
const HEALTH_MATTERS: f64 = 5.0;

/// Rank `ids` by `health`, best first (ties by id): rank of each, 1-based.
fn ranks(mut scored: Vec<(&str, f64)>) -> BTreeMap<&str, i32> {
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    scored
        .into_iter()
        .enumerate()
        .map(|(i, (id, _))| (id, i32::try_from(i + 1).unwrap_or(i32::MAX)))
        .collect()
}

/// The outliers of every KPI and of health among `members` (indices into `beats`).
fn outliers_among(
    among: &str,
    members: &[usize],
    beats: &[(&RigInput, &Heartbeat, f64)],
) -> Vec<(usize, Outlier)> {
    let fresh: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| beats[i].0.fresh)
        .collect();
    let mut out = outliers::flag(
        "health",
        among,
        &fresh.iter().map(|&i| (i, beats[i].2)).collect::<Vec<_>>(),
    );
    for (kpi, read, _) in KPIS {
        let values: Vec<(usize, f64)> = fresh
            .iter()
            .filter_map(|&i| read(beats[i].1).map(|v| (i, v)))
            .collect();
        out.extend(outliers::flag(kpi, among, &values));
    }
    out.retain(|(_, o)| (o.value - o.median).abs() >= matters(&o.kpi));
    out
}

/// The least difference from the median that makes `kpi` an outlier worth a flag.
fn matters(kpi: &str) -> f64 {
    KPIS.iter()
        .find(|(k, _, _)| *k == kpi)
        .map_or(HEALTH_MATTERS, |(_, _, m)| *m)
}

/// Weighted mean of `(value, weight)`s with some weight.
fn weighted(pairs: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (sum, weight) = pairs.fold((0.0, 0.0), |(s, w), (v, wt)| (s + v * wt, w + wt));
    (weight > 0.0).then(|| sum / weight)
}

/// Aggregate the fleet.
pub fn aggregate(rigs: &[RigInput], regions: &Regions, weights: &HealthWeights) -> Aggregate {
    let live: Vec<&RigInput> = rigs.iter().filter(|r| r.status != "revoked").collect();
    let beats: Vec<(&RigInput, &Heartbeat, f64)> = live
        .iter()
        .filter_map(|r| {
            let b = r.beat.as_ref()?;
            Some((*r, b, Components::of(b, r.fresh).score(weights)))
        })
        .collect();
    let mut by_region: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (r, _, _)) in beats.iter().enumerate() {
        by_region.entry(regions.of(&r.field)).or_default().push(i);
    }
    let mut flags: Vec<Vec<Outlier>> = vec![Vec::new(); beats.len()];
    let everyone: Vec<usize> = (0..beats.len()).collect();
    for (i, o) in outliers_among("fleet", &everyone, &beats) {
        flags[i].push(o);
    }
    for (region, members) in &by_region {
        for (i, o) in outliers_among(region, members, &beats) {
            flags[i].push(o);
        }
    }
    let fleet_rank = ranks(
        beats
            .iter()
            .map(|(r, _, h)| (r.rig_id.as_str(), *h))
            .collect(),
    );
    let mut region_rank: BTreeMap<&str, i32> = BTreeMap::new();
    for members in by_region.values() {
        region_rank.extend(ranks(
            members
                .iter()
                .map(|&i| (beats[i].0.rig_id.as_str(), beats[i].2))
                .collect(),
        ));
    }
    let results: Vec<RigResult> = beats
        .iter()
        .zip(flags)
        .map(|((r, b, health), outliers)| RigResult {
            rig_id: r.rig_id.clone(),
            region: regions.of(&r.field).to_owned(),
            status: r.status.clone(),
            health: *health,
            components: Components::of(b, r.fresh),
            rank_in_region: region_rank[r.rig_id.as_str()],
            rank_in_fleet: fleet_rank[r.rig_id.as_str()],
            outliers,
        })
        .collect();
    let region_results = roll_up_regions(&live, &beats, &results, regions);
    let fleet = fleet_kpis(rigs, &beats, &results, region_results.len());
    Aggregate {
        rigs: results,
        regions: region_results,
        fleet,
    }
}

fn roll_up_regions(
    live: &[&RigInput],
    beats: &[(&RigInput, &Heartbeat, f64)],
    results: &[RigResult],
    regions: &Regions,
) -> Vec<RegionResult> {
    let mut out: BTreeMap<&str, RegionResult> = BTreeMap::new();
    for r in live {
        let region = regions.of(&r.field);
        let e = out.entry(region).or_insert_with(|| RegionResult {
            region: region.to_owned(),
            rigs: 0,
            reporting: 0,
            health: None,
            rank: 0,
            rop_ft_h: None,
            mse_efficiency: None,
            open_incidents: 0,
            critical: 0,
            unacknowledged: 0,
            by_status: BTreeMap::new(),
            outlier_rigs: 0,
            members: Vec::new(),
        });
        e.rigs += 1;
        *e.by_status.entry(r.status.clone()).or_default() += 1;
    }
    for (region, e) in out.iter_mut() {
        let here: Vec<(&(&RigInput, &Heartbeat, f64), &RigResult)> = beats
            .iter()
            .zip(results)
            .filter(|(_, res)| res.region == *region)
            .collect();
        let fresh: Vec<_> = here.iter().filter(|((r, _, _), _)| r.fresh).collect();
        e.reporting = i32::try_from(fresh.len()).unwrap_or(i32::MAX);
        e.health = weighted(fresh.iter().map(|((_, _, h), _)| (*h, 1.0)));
        e.rop_ft_h = weighted(
            fresh
                .iter()
                .filter_map(|((_, b, _), _)| Some((b.rop_ft_h?, b.on_bottom_secs))),
        );
        e.mse_efficiency = weighted(
            fresh
                .iter()
                .filter_map(|((_, b, _), _)| Some((b.mse_efficiency?, b.on_bottom_secs))),
        );
        for ((_, b, _), res) in &fresh {
            e.open_incidents += i64::from(b.incidents.total());
            e.critical += i64::from(b.incidents.critical);
            e.unacknowledged += i64::from(b.incidents.unacknowledged);
            e.outlier_rigs += i64::from(!res.outliers.is_empty());
        }
        let mut members: Vec<&RigResult> = here.iter().map(|(_, res)| *res).collect();
        members.sort_by_key(|m| m.rank_in_region);
        e.members = members.iter().map(|m| m.rig_id.clone()).collect();
    }
    let rank = ranks(
        out.values()
            .map(|e| (e.region.as_str(), e.health.unwrap_or(-1.0)))
            .collect(),
    );
    let rank: BTreeMap<String, i32> = rank.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    out.into_values()
        .map(|mut e| {
            e.rank = rank[&e.region];
            e
        })
        .collect()
}

fn fleet_kpis(
    all: &[RigInput],
    beats: &[(&RigInput, &Heartbeat, f64)],
    results: &[RigResult],
    regions: usize,
) -> FleetKpis {
    let mut by_status = BTreeMap::new();
    for r in all {
        *by_status.entry(r.status.clone()).or_default() += 1;
    }
    let fresh: Vec<_> = beats.iter().filter(|(r, _, _)| r.fresh).collect();
    FleetKpis {
        rigs: all.iter().filter(|r| r.status != "revoked").count() as i64,
        reporting: fresh.len() as i64,
        by_status,
        health: weighted(fresh.iter().map(|(_, _, h)| (*h, 1.0))),
        open_incidents: fresh
            .iter()
            .map(|(_, b, _)| i64::from(b.incidents.total()))
            .sum(),
        critical: fresh
            .iter()
            .map(|(_, b, _)| i64::from(b.incidents.critical))
            .sum(),
        unacknowledged: fresh
            .iter()
            .map(|(_, b, _)| i64::from(b.incidents.unacknowledged))
            .sum(),
        outlier_rigs: results.iter().filter(|r| !r.outliers.is_empty()).count() as i64,
        regions: regions as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{OpenIncidents, RigId};

    fn rig(id: &str, field: &str, alarms: u32, rop: f64) -> RigInput {
        RigInput {
            rig_id: id.into(),
            field: field.into(),
            status: "active".into(),
            fresh: true,
            beat: Some({
                let mut b = Heartbeat::calm(RigId::parse(id).unwrap(), field, chrono::Utc::now());
                b.rop_ft_h = Some(rop);
                b.mse_efficiency = Some(0.3);
                b.alarms_last_hour = alarms;
                b.clock_offset_secs = Some(0.5);
                b
            }),
        }
    }

    fn regions() -> Regions {
        Regions::new(&BTreeMap::from([(
            "North Sea".to_owned(),
            vec!["Volve".to_owned()],
        )]))
        .unwrap()
    }

    #[test]
    fn a_planted_outlier_is_flagged_with_its_kpi_and_a_calm_fleet_has_none() {
        let rops = [55.0, 61.0, 58.0, 63.0, 57.0, 60.0, 59.0, 62.0];
        let mut fleet: Vec<RigInput> = rops
            .iter()
            .enumerate()
            .map(|(i, r)| rig(&format!("RIG-{i}"), "Volve", 2 + (i as u32 % 3), *r))
            .collect();
        let calm = aggregate(&fleet, &regions(), &HealthWeights::default());
        assert!(calm.rigs.iter().all(|r| r.outliers.is_empty()), "{calm:#?}");
        assert_eq!(calm.fleet.outlier_rigs, 0);
        // RIG-3 alarms 40 times an hour where the others alarm 2–4 times.
        fleet[3].beat.as_mut().unwrap().alarms_last_hour = 40;
        let a = aggregate(&fleet, &regions(), &HealthWeights::default());
        let flagged: Vec<&RigResult> = a.rigs.iter().filter(|r| !r.outliers.is_empty()).collect();
        assert_eq!(flagged.len(), 1, "{a:#?}");
        assert_eq!(flagged[0].rig_id, "RIG-3");
        let kpis: Vec<(&str, &str)> = flagged[0]
            .outliers
            .iter()
            .map(|o| (o.kpi.as_str(), o.among.as_str()))
            .collect();
        assert!(kpis.contains(&("alarms_last_hour", "fleet")), "{kpis:?}");
        assert!(
            kpis.contains(&("alarms_last_hour", "North Sea")),
            "{kpis:?}"
        );
        assert_eq!(a.fleet.outlier_rigs, 1);
    }

    #[test]
    fn a_statistically_extreme_but_tiny_difference_is_not_flagged() {
        // Six clocks at 0.1 s and one at 0.2 s: M = 5.6 (MeanAD stands in), but 0.1 s is nothing.
        let mut fleet: Vec<RigInput> = (0..7)
            .map(|i| rig(&format!("RIG-{i}"), "Volve", 2, 60.0))
            .collect();
        for r in &mut fleet {
            r.beat.as_mut().unwrap().clock_offset_secs = Some(0.1);
        }
        fleet[4].beat.as_mut().unwrap().clock_offset_secs = Some(0.2);
        let a = aggregate(&fleet, &regions(), &HealthWeights::default());
        assert!(a.rigs.iter().all(|r| r.outliers.is_empty()), "{a:#?}");
        // Ten minutes off is news.
        fleet[4].beat.as_mut().unwrap().clock_offset_secs = Some(600.0);
        let a = aggregate(&fleet, &regions(), &HealthWeights::default());
        let flagged = a.rigs.iter().find(|r| r.rig_id == "RIG-4").unwrap();
        assert!(
            flagged
                .outliers
                .iter()
                .any(|o| o.kpi == "clock_offset_secs"),
            "{flagged:?}"
        );
    }

    #[test]
    fn ranks_and_regions_roll_up_from_their_rigs() {
        let mut fleet = vec![
            rig("RIG-A", "Volve", 1, 50.0),
            rig("RIG-B", "Volve", 1, 70.0),
            rig("RIG-C", "Mars", 1, 40.0),
        ];
        fleet[0].beat.as_mut().unwrap().incidents = OpenIncidents {
            critical: 1,
            unacknowledged: 1,
            ..Default::default()
        };
        fleet[2].fresh = false;
        fleet[2].status = "stale".into();
        let a = aggregate(&fleet, &regions(), &HealthWeights::default());
        let by_id = |id: &str| a.rigs.iter().find(|r| r.rig_id == id).unwrap();
        assert_eq!(by_id("RIG-B").rank_in_fleet, 1);
        assert_eq!(by_id("RIG-B").rank_in_region, 1);
        assert_eq!(by_id("RIG-A").rank_in_region, 2);
        // Stale scores without its stream (80) above a rig in a critical kick (60).
        assert_eq!(by_id("RIG-C").region, "unassigned");
        assert!(by_id("RIG-C").health > by_id("RIG-A").health);
        let north = a.regions.iter().find(|r| r.region == "North Sea").unwrap();
        assert_eq!((north.rigs, north.reporting, north.critical), (2, 2, 1));
        // Equal on-bottom time: the plain mean.
        assert_eq!(north.rop_ft_h, Some(60.0));
        assert_eq!(north.members, vec!["RIG-B", "RIG-A"]);
        let unassigned = a.regions.iter().find(|r| r.region == "unassigned").unwrap();
        assert_eq!((unassigned.rigs, unassigned.reporting), (1, 0));
        assert_eq!(unassigned.health, None);
        assert_eq!(a.fleet.by_status["stale"], 1);
        assert_eq!(a.fleet.reporting, 2);
    }
}
