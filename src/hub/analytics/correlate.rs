//! Cross-rig correlation: incidents of one category on two or more rigs of one region within the
//! window form a fleet correlation ("lost circulation on 3 rigs in North Sea within 48 h,
//! 7,900–8,400 ft"). Where at least two of those rigs met it within `depth_band_ft` of each
//! other, the correlation carries that depth band: the zone the fleet warns its other rigs of.

use crate::drilling::AnomalyCategory;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One incident as the correlator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPoint {
    /// The rig.
    pub rig_id: String,
    /// Its region.
    pub region: String,
    /// What it was.
    pub category: AnomalyCategory,
    /// Where, ft.
    pub depth_ft: f64,
    /// When.
    pub at: DateTime<Utc>,
}

/// A fleet correlation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    /// The region.
    pub region: String,
    /// The category.
    pub category: AnomalyCategory,
    /// The rigs that met it, by id.
    pub rigs: Vec<String>,
    /// Incidents counted.
    pub incidents: usize,
    /// The first and the last of them.
    pub first_at: DateTime<Utc>,
    /// The last of them.
    pub last_at: DateTime<Utc>,
    /// The depth band where two or more rigs met it, ft (none: their depths are not comparable).
    pub depth_band_ft: Option<(f64, f64)>,
}

impl Correlation {
    /// How the dashboard and a rig's screen say it.
    pub fn describe(&self, window_hours: i64) -> String {
        let band = self.depth_band_ft.map_or_else(String::new, |(lo, hi)| {
            format!(
                ", {}–{} ft",
                crate::drilling::thousands(lo),
                crate::drilling::thousands(hi)
            )
        });
        format!(
            "{} on {} rigs in {} within {window_hours} h{band}",
            self.category.label(),
            self.rigs.len(),
            self.region
        )
    }
}

impl Correlation {
    /// As the rigs of its region are told it.
    pub fn notice(&self, window_hours: i64) -> crate::fleet::FleetNotice {
        crate::fleet::FleetNotice {
            category: self.category,
            region: self.region.clone(),
            rigs: u32::try_from(self.rigs.len()).unwrap_or(u32::MAX),
            window_hours: u32::try_from(window_hours).unwrap_or(u32::MAX),
            first_at: self.first_at,
            last_at: self.last_at,
            depth_from_ft: self.depth_band_ft.map(|b| b.0),
            depth_to_ft: self.depth_band_ft.map(|b| b.1),
            text: self.describe(window_hours),
        }
    }
}

/// The band of `points` (sorted by depth) holding the most distinct rigs within `width` ft.
fn densest_band(points: &[&IncidentPoint], width: f64) -> Option<(f64, f64)> {
    let mut best: Option<(usize, f64, f64)> = None;
    for (i, start) in points.iter().enumerate() {
        let inside: Vec<&&IncidentPoint> = points[i..]
            .iter()
            .take_while(|p| p.depth_ft - start.depth_ft <= width)
            .collect();
        let rigs: BTreeSet<&str> = inside.iter().map(|p| p.rig_id.as_str()).collect();
        let hi = inside.last().map_or(start.depth_ft, |p| p.depth_ft);
        if rigs.len() >= 2 && best.is_none_or(|(n, _, _)| rigs.len() > n) {
            best = Some((rigs.len(), start.depth_ft, hi));
        }
    }
    best.map(|(_, lo, hi)| (lo, hi))
}

/// The correlations among `points` (already limited to the window): one per region and
/// category met by two or more rigs, newest first.
pub fn correlate(points: &[IncidentPoint], depth_band_ft: f64) -> Vec<Correlation> {
    let mut groups: BTreeMap<(&str, AnomalyCategory), Vec<&IncidentPoint>> = BTreeMap::new();
    for p in points {
        groups
            .entry((p.region.as_str(), p.category))
            .or_default()
            .push(p);
    }
    let mut out: Vec<Correlation> = groups
        .into_iter()
        .filter_map(|((region, category), mut members)| {
            let rigs: BTreeSet<&str> = members.iter().map(|p| p.rig_id.as_str()).collect();
            if rigs.len() < 2 {
                return None;
            }
            members.sort_by(|a, b| a.depth_ft.total_cmp(&b.depth_ft));
            Some(Correlation {
                region: region.to_owned(),
                category,
                rigs: rigs.iter().map(|r| r.to_string()).collect(),
                incidents: members.len(),
                first_at: members.iter().map(|p| p.at).min()?,
                last_at: members.iter().map(|p| p.at).max()?,
                depth_band_ft: densest_band(&members, depth_band_ft),
            })
        })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.last_at));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(
        rig: &str,
        region: &str,
        category: AnomalyCategory,
        depth: f64,
        hours_ago: i64,
    ) -> IncidentPoint {
        IncidentPoint {
            rig_id: rig.into(),
            region: region.into(),
            category,
            depth_ft: depth,
            at: Utc::now() - Duration::hours(hours_ago),
        }
    }

    #[test]
    fn losses_on_three_rigs_of_a_region_form_one_correlation_with_their_depth_band() {
        use AnomalyCategory::*;
        let points = [
            at("A", "North Sea", LostCirculation, 7_950.0, 30),
            at("B", "North Sea", LostCirculation, 8_200.0, 20),
            at("B", "North Sea", LostCirculation, 8_230.0, 19),
            at("C", "North Sea", LostCirculation, 8_400.0, 2),
            // Far shallower: in the correlation, outside the band.
            at("D", "North Sea", LostCirculation, 3_000.0, 5),
            // One rig alone in another region, and another category: no correlation.
            at("E", "Gulf", LostCirculation, 8_000.0, 1),
            at("A", "North Sea", Kick, 8_000.0, 1),
        ];
        let found = correlate(&points, 1_000.0);
        assert_eq!(found.len(), 1, "{found:#?}");
        let c = &found[0];
        assert_eq!(c.rigs, ["A", "B", "C", "D"]);
        assert_eq!(c.incidents, 5);
        assert_eq!(c.depth_band_ft, Some((7_950.0, 8_400.0)));
        assert_eq!(
            c.describe(48),
            "lost circulation on 4 rigs in North Sea within 48 h, 7,950–8,400 ft"
        );
    }

    #[test]
    fn depths_too_far_apart_give_a_correlation_without_a_band() {
        let points = [
            at("A", "R", AnomalyCategory::StuckPipe, 2_000.0, 3),
            at("B", "R", AnomalyCategory::StuckPipe, 9_000.0, 4),
        ];
        let found = correlate(&points, 1_000.0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].depth_band_ft, None);
        // One rig twice is not the fleet.
        let once = [
            at("A", "R", AnomalyCategory::Kick, 2_000.0, 3),
            at("A", "R", AnomalyCategory::Kick, 2_010.0, 2),
        ];
        assert!(correlate(&once, 1_000.0).is_empty());
    }
}
