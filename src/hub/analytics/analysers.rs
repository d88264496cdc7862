//! Analysis slots: every analysis of the fleet beyond the roll-up is an [`Analyser`] — an id, a
//! version and a function from what the pass read to findings, each with a confidence. Its slot
//! (a row of `analysers`, switched at run time through the API) says whether it runs, how long
//! at least between runs, and the confidence below which its findings are dropped; findings are
//! stored with the analyser's id and version. Three ship: the outlier ranking, the correlator
//! and the per-rig anomaly scorer.

use super::aggregate::{RigInput, RigResult};
use super::attention::{figure, kpi_words};
use super::correlate::{correlate, Correlation, IncidentPoint};
use super::outliers::{self, Outlier};
use super::AnalyticsSettings;
use crate::hub::db::heartbeats::HourRow;
use serde::Serialize;
use std::collections::HashMap;

/// What an analyser reads: the pass's view of the fleet.
pub struct View<'a> {
    /// Every rig with its latest heartbeat.
    pub rigs: &'a [RigInput],
    /// The roll-up's result per rig (health, ranks, the outliers the roll-up measured).
    pub results: &'a [RigResult],
    /// Incidents within the correlation window.
    pub incidents: &'a [IncidentPoint],
    /// Each rig's hourly roll-ups over the last two days.
    pub hours: &'a HashMap<String, Vec<HourRow>>,
    /// The analytics settings.
    pub settings: &'a AnalyticsSettings,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rig it is about, if one.
    pub rig_id: Option<String>,
    /// The region it is about, if one.
    pub region: Option<String>,
    /// How sure, 0–1.
    pub confidence: f64,
    /// In words.
    pub summary: String,
    /// The figures (an [`Outlier`], a [`Correlation`], …).
    pub details: serde_json::Value,
}

/// An analysis of the fleet at an aggregation pass.
pub trait Analyser: Send + Sync {
    /// Its stable id (the slot's key).
    fn id(&self) -> &'static str;
    /// Its version, stored with every finding: a change in method is a new version.
    fn version(&self) -> i32;
    /// What it does, in a sentence.
    fn about(&self) -> &'static str;
    /// Its findings on `view`.
    fn analyse(&self, view: &View<'_>) -> Vec<Finding>;
}

/// Every analyser, in the order the pass runs them.
pub fn all() -> Vec<Box<dyn Analyser>> {
    vec![
        Box::new(OutlierRanking),
        Box::new(Correlator),
        Box::new(RigAnomaly),
    ]
}

/// The outlier flags of the roll-up as findings: how sure grows with how far past the
/// threshold — 0 at |M| = 3.5, ½ at 7, → 1.
pub struct OutlierRanking;

impl Analyser for OutlierRanking {
    fn id(&self) -> &'static str {
        "outliers"
    }
    fn version(&self) -> i32 {
        1
    }
    fn about(&self) -> &'static str {
        "Rigs whose health or a KPI lies past 3.5 modified z-scores (Iglewicz & Hoaglin) from the median of the fleet or their region."
    }
    fn analyse(&self, view: &View<'_>) -> Vec<Finding> {
        view.results
            .iter()
            .flat_map(|r| {
                r.outliers.iter().map(|o| Finding {
                    rig_id: Some(r.rig_id.clone()),
                    region: Some(r.region.clone()),
                    confidence: (1.0 - outliers::THRESHOLD / o.m.abs()).clamp(0.0, 1.0),
                    summary: format!(
                        "{}: {} {} against a median of {} in {} (M = {:+.1})",
                        r.rig_id,
                        kpi_words(&o.kpi),
                        figure(o.value),
                        figure(o.median),
                        if o.among == "fleet" {
                            "the fleet"
                        } else {
                            o.among.as_str()
                        },
                        o.m
                    ),
                    details: serde_json::to_value(o).unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Cross-rig correlations as findings: two rigs ⅔ sure, three or more sure.
pub struct Correlator;

impl Analyser for Correlator {
    fn id(&self) -> &'static str {
        "correlator"
    }
    fn version(&self) -> i32 {
        1
    }
    fn about(&self) -> &'static str {
        "One category of trouble on two or more rigs of a region within the window, with the depth band they share."
    }
    fn analyse(&self, view: &View<'_>) -> Vec<Finding> {
        let hours = view.settings.correlation_window.num_hours();
        correlate(view.incidents, view.settings.correlation_depth_band_ft)
            .into_iter()
            .map(|c| Finding {
                rig_id: None,
                region: Some(c.region.clone()),
                confidence: (c.rigs.len() as f64 / 3.0).min(1.0),
                summary: crate::drilling::capitalise(&c.describe(hours)),
                details: serde_json::to_value(&c).unwrap_or_default(),
            })
            .collect()
    }
}

/// Each rig against its own last two days: its latest ROP and alarm rate scored by the modified
/// z-score among its own hourly roll-ups. A rig drilling at a fifth of its usual ROP, or alarming
/// ten times as often, is unusual for itself even where the fleet looks the same. Sure in
/// proportion to the history it has (a day and more: sure).
pub struct RigAnomaly;

/// Hours of a rig's own history before it is judged at all.
const MIN_HOURS: usize = 6;

impl Analyser for RigAnomaly {
    fn id(&self) -> &'static str {
        "rig_anomaly"
    }
    fn version(&self) -> i32 {
        1
    }
    fn about(&self) -> &'static str {
        "Each rig's latest ROP and alarm rate against its own last two days of hourly roll-ups (modified z-score past 3.5)."
    }
    fn analyse(&self, view: &View<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for r in view.rigs.iter().filter(|r| r.fresh) {
            let (Some(beat), Some(hours)) = (&r.beat, view.hours.get(&r.rig_id)) else {
                continue;
            };
            if hours.len() < MIN_HOURS {
                continue;
            }
            let confidence = (hours.len() as f64 / 24.0).min(1.0);
            let own: [(&str, Vec<f64>, Option<f64>); 2] = [
                (
                    "rop_ft_h",
                    hours.iter().filter_map(|h| h.rop_ft_h).collect(),
                    beat.rop_ft_h.filter(|_| beat.on_bottom_secs > 0.0),
                ),
                (
                    "alarms_last_hour",
                    hours.iter().map(|h| f64::from(h.alarms_max)).collect(),
                    Some(f64::from(beat.alarms_last_hour)),
                ),
            ];
            for (kpi, mut history, now) in own {
                let Some(now) = now else { continue };
                history.push(now);
                let (Some(median), scores) = outliers::modified_z(&history) else {
                    continue;
                };
                let Some(m) = scores.last().copied().flatten() else {
                    continue;
                };
                if m.abs() <= outliers::THRESHOLD {
                    continue;
                }
                let o = Outlier {
                    kpi: kpi.into(),
                    among: "its own last two days".into(),
                    value: now,
                    median,
                    m,
                };
                out.push(Finding {
                    rig_id: Some(r.rig_id.clone()),
                    region: None,
                    confidence,
                    summary: format!(
                        "{}: {} {} against its own median of {} over two days (M = {m:+.1})",
                        r.rig_id,
                        kpi_words(kpi),
                        figure(now),
                        figure(median)
                    ),
                    details: serde_json::to_value(&o).unwrap_or_default(),
                });
            }
        }
        out
    }
}

/// Findings of the correlator read back as correlations.
pub fn correlations_of(findings: &[serde_json::Value]) -> Vec<Correlation> {
    findings
        .iter()
        .filter_map(|d| serde_json::from_value(d.clone()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Heartbeat, RigId};
    use chrono::{Duration, Utc};

    fn hour(rig: &str, k: i64, rop: f64, alarms: i32) -> HourRow {
        HourRow {
            rig_id: rig.into(),
            hour: Utc::now() - Duration::hours(k),
            beats: 60,
            depth_ft: Some(8_000.0),
            on_bottom_secs: 3_000.0,
            rop_ft_h: Some(rop),
            mse_efficiency: Some(0.3),
            open_incidents_max: 0,
            critical_beats: 0,
            unacknowledged_max: 0,
            alarms_max: alarms,
            stale_beats: 0,
            dead_letters_max: 0,
            clock_offset_secs: Some(0.1),
        }
    }

    #[test]
    fn a_rig_at_a_fifth_of_its_own_rop_is_unusual_and_one_at_its_usual_is_not() {
        let settings = AnalyticsSettings::default();
        let history: Vec<HourRow> = (1..=30)
            .map(|k| hour("RIG-A", k, 58.0 + (k % 5) as f64, (k % 3) as i32))
            .collect();
        let hours = HashMap::from([("RIG-A".to_owned(), history)]);
        let rig = |rop: f64| RigInput {
            rig_id: "RIG-A".into(),
            field: "F".into(),
            status: "active".into(),
            fresh: true,
            beat: Some({
                let mut b = Heartbeat::calm(RigId::parse("RIG-A").unwrap(), "F", Utc::now());
                b.rop_ft_h = Some(rop);
                b.alarms_last_hour = 1;
                b
            }),
        };
        let slow = [rig(12.0)];
        let view = View {
            rigs: &slow,
            results: &[],
            incidents: &[],
            hours: &hours,
            settings: &settings,
        };
        let found = RigAnomaly.analyse(&view);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .summary
                .contains("ROP (ft/h) 12 against its own median of 60"),
            "{}",
            found[0].summary
        );
        assert_eq!(found[0].confidence, 1.0, "30 hours of its own history");
        let usual = [rig(60.0)];
        let view = View {
            rigs: &usual,
            ..view
        };
        assert!(RigAnomaly.analyse(&view).is_empty());
    }
}
