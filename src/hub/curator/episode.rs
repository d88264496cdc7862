//! Building an episode from an event, the dedup window, and merging a duplicate event in.

use super::scoring::outcome_value;
use super::CuratorSettings;
use crate::fleet::{EpisodeMetrics, FleetEpisode, FleetEvent};

pub use crate::fleet::{episode_from_event, resolution_summary};

/// Whether `event` is the same trouble as `episode`: same rig and category, depth within
/// `dedup_depth_ft` of the episode's depth range, time within `dedup_window` of the episode.
/// Both edges are inclusive.
pub fn is_duplicate(
    episode: &FleetEpisode,
    event: &FleetEvent,
    settings: &CuratorSettings,
) -> bool {
    let depth_gap = if event.depth_ft < episode.depth_from_ft {
        episode.depth_from_ft - event.depth_ft
    } else {
        (event.depth_ft - episode.depth_to_ft).max(0.0)
    };
    let time_gap = (event.timestamp - episode.timestamp).abs();
    episode.rig_id == event.rig_id
        && episode.category == event.advisory.category
        && depth_gap <= settings.dedup_depth_ft
        && time_gap <= settings.dedup_window
}

/// Fold a duplicate event into its episode: the depth range widens, the highest risk and severity
/// and the best outcome are kept, notes are merged, and the summary is rewritten.
pub fn merge_event(episode: &mut FleetEpisode, event: &FleetEvent) {
    episode.depth_from_ft = episode.depth_from_ft.min(event.depth_ft);
    episode.depth_to_ft = episode.depth_to_ft.max(event.depth_ft);
    episode.risk_level = episode.risk_level.max(event.advisory.risk_level);
    episode.severity = episode.severity.max(event.advisory.severity);
    if event.timestamp < episode.timestamp {
        episode.timestamp = event.timestamp;
    }
    // Ties keep the episode's outcome, so a re-curated event does not flip it back and forth.
    if outcome_value(&event.outcome) > outcome_value(&episode.outcome) {
        episode.outcome = event.outcome.clone();
        if let Some(last) = event.history_window.last() {
            episode.key_metrics = EpisodeMetrics::from_snapshot(last);
        }
    }
    if let Some(new) = event
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        episode.notes = match episode.notes.take() {
            Some(old) if old.split(" | ").any(|part| part == new) => Some(old),
            Some(old) => Some(format!("{old} | {new}")),
            None => Some(new.to_owned()),
        };
    }
    episode.resolution_summary = resolution_summary(episode);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::RiskLevel;
    use crate::fleet::EventOutcome;
    use chrono::Duration;

    fn fixture() -> FleetEvent {
        let text = include_str!("../../../tests/fixtures/fleet_event.json");
        serde_json::from_str(text).expect("fixture parses")
    }

    #[test]
    fn an_event_makes_an_episode_with_a_summary_quoting_depth_and_action() {
        let mut event = fixture();
        event.outcome = EventOutcome::Resolved {
            action_taken: "reduced WOB 5 klbf".into(),
        };
        let ep = episode_from_event(&event);
        assert_eq!(ep.id, event.id.as_str());
        assert_eq!(
            ep.resolution_summary,
            "RIG-ALPHA-7 at 12,450 ft, pack-off, resolved: reduced WOB 5 klbf"
        );
        assert_eq!(
            ep.key_metrics.torque_kftlbf,
            Some(18.5),
            "metrics from the last snapshot"
        );
        assert_eq!(
            (ep.depth_from_ft, ep.depth_to_ft),
            (event.depth_ft, event.depth_ft)
        );
    }

    #[test]
    fn the_dedup_window_is_100_ft_and_10_minutes_inclusive() {
        let base = fixture();
        let ep = episode_from_event(&base);
        let settings = CuratorSettings::default();
        let at = |ft: f64, minutes: i64| {
            let mut e = base.clone();
            e.depth_ft = base.depth_ft + ft;
            e.timestamp = base.timestamp + Duration::minutes(minutes);
            is_duplicate(&ep, &e, &settings)
        };
        assert!(at(99.0, 0) && at(-99.0, 0) && at(100.0, 0));
        assert!(!at(101.0, 0) && !at(-101.0, 0));
        assert!(at(0.0, 9) && at(0.0, -9) && at(0.0, 10));
        assert!(!at(0.0, 11) && !at(0.0, -11));
        let mut other_category = base.clone();
        other_category.advisory.category = crate::drilling::AnomalyCategory::Washout;
        assert!(!is_duplicate(&ep, &other_category, &settings));
        let mut other_rig = base.clone();
        other_rig.rig_id = crate::fleet::RigId::parse("RIG-BETA-2").expect("id");
        assert!(!is_duplicate(&ep, &other_rig, &settings));
    }

    #[test]
    fn merging_keeps_the_best_outcome_the_worst_risk_and_every_note_once() {
        let first = fixture();
        let mut ep = episode_from_event(&first);
        let mut second = first.clone();
        second.depth_ft += 40.0;
        second.advisory.risk_level = RiskLevel::Critical;
        second.outcome = EventOutcome::Resolved {
            action_taken: "picked up and circulated".into(),
        };
        second.notes = Some("cavings at shakers".into());
        merge_event(&mut ep, &second);
        merge_event(&mut ep, &second);
        let mut third = first.clone();
        third.outcome = EventOutcome::FalsePositive;
        third.notes = Some("second crew".into());
        merge_event(&mut ep, &third);
        assert_eq!(ep.depth_to_ft, first.depth_ft + 40.0);
        assert_eq!(ep.risk_level, RiskLevel::Critical);
        assert_eq!(
            ep.outcome, second.outcome,
            "a false positive never replaces a resolution"
        );
        assert_eq!(
            ep.notes.as_deref(),
            Some("cavings at shakers | second crew")
        );
        assert!(
            ep.resolution_summary
                .ends_with("resolved: picked up and circulated"),
            "{}",
            ep.resolution_summary
        );
    }
}
