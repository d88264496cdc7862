//! The episode score (DESIGN §5): outcome 0.50 + recency 0.25 + detail 0.15 + diversity 0.10.

use super::CuratorSettings;
use crate::fleet::{EpisodeMetrics, EventOutcome};

/// Weight of the outcome term.
pub const OUTCOME_WEIGHT: f64 = 0.50;
/// Weight of the recency term.
pub const RECENCY_WEIGHT: f64 = 0.25;
/// Weight of the detail term.
pub const DETAIL_WEIGHT: f64 = 0.15;
/// Weight of the diversity term.
pub const DIVERSITY_WEIGHT: f64 = 0.10;

pub use crate::fleet::outcome_value;

/// `e^(−age_days / decay_days)`; an episode from the future (clock skew) counts as new.
pub fn recency_value(age_days: f64, decay_days: f64) -> f64 {
    (-age_days.max(0.0) / decay_days).exp()
}

/// Notes 0.3 (any crew notes) + action 0.4 (the outcome says what was done or why it went up)
/// + metrics 0.3 × the share of the key metrics present.
pub fn detail_value(notes: Option<&str>, outcome: &EventOutcome, metrics: &EpisodeMetrics) -> f64 {
    let notes = if notes.is_some_and(|n| !n.trim().is_empty()) {
        0.3
    } else {
        0.0
    };
    let action = if outcome.text().is_some_and(|t| !t.trim().is_empty()) {
        0.4
    } else {
        0.0
    };
    let (present, total) = metrics_present(metrics);
    notes + action + 0.3 * present as f64 / total as f64
}

fn metrics_present(m: &EpisodeMetrics) -> (usize, usize) {
    let all = [
        m.mse_psi,
        m.dc_exponent,
        m.ecd_ppg,
        m.flow_balance_gpm,
        m.pit_gain_bbl,
        m.torque_kftlbf,
        m.wob_klb,
        m.rpm,
        m.rop_ft_h,
        m.spp_psi,
        m.hookload_klb,
        m.mud_density_ppg,
    ];
    (all.iter().filter(|v| v.is_some()).count(), all.len())
}

/// What the score of one episode is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Weighted outcome term.
    pub outcome: f64,
    /// Weighted recency term.
    pub recency: f64,
    /// Weighted detail term.
    pub detail: f64,
    /// Weighted diversity term.
    pub diversity: f64,
    /// True when the pending-too-long rule replaced the sum.
    pub stale_pending: bool,
    /// The score, 0 to 1.
    pub total: f64,
}

/// Everything the score depends on.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInputs<'a> {
    /// The episode's (best) outcome.
    pub outcome: &'a EventOutcome,
    /// The crews' notes.
    pub notes: Option<&'a str>,
    /// The key metrics.
    pub metrics: &'a EpisodeMetrics,
    /// Age of the episode in days.
    pub age_days: f64,
    /// This episode's category's share of the active library, 0 to 1.
    pub category_share: f64,
}

/// Score an episode: the weighted sum, except that a pending episode older than
/// `pending_stale_after` scores `stale_pending_score`.
pub fn score(inputs: &ScoreInputs<'_>, settings: &CuratorSettings) -> Score {
    let outcome = OUTCOME_WEIGHT * outcome_value(inputs.outcome);
    let recency = RECENCY_WEIGHT * recency_value(inputs.age_days, settings.recency_decay_days);
    let detail = DETAIL_WEIGHT * detail_value(inputs.notes, inputs.outcome, inputs.metrics);
    let diversity = DIVERSITY_WEIGHT * (1.0 - inputs.category_share.clamp(0.0, 1.0));
    let stale_days = settings.pending_stale_after.num_seconds() as f64 / 86_400.0;
    let stale_pending =
        matches!(inputs.outcome, EventOutcome::Pending) && inputs.age_days > stale_days;
    let total = if stale_pending {
        settings.stale_pending_score
    } else {
        outcome + recency + detail + diversity
    };
    Score {
        outcome,
        recency,
        detail,
        diversity,
        stale_pending,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_metrics() -> EpisodeMetrics {
        EpisodeMetrics {
            mse_psi: Some(1.0),
            dc_exponent: Some(1.0),
            ecd_ppg: Some(1.0),
            flow_balance_gpm: Some(1.0),
            pit_gain_bbl: Some(1.0),
            torque_kftlbf: Some(1.0),
            wob_klb: Some(1.0),
            rpm: Some(1.0),
            rop_ft_h: Some(1.0),
            spp_psi: Some(1.0),
            hookload_klb: Some(1.0),
            mud_density_ppg: Some(1.0),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_fresh_well_documented_resolved_episode_scores_by_hand() {
        // 0.50·1.0 + 0.25·e^0 + 0.15·(0.3 + 0.4 + 0.3·12/12) + 0.10·(1 − 0.25) = 0.975
        let outcome = EventOutcome::Resolved {
            action_taken: "reduced WOB".into(),
        };
        let metrics = full_metrics();
        let inputs = ScoreInputs {
            outcome: &outcome,
            notes: Some("cavings"),
            metrics: &metrics,
            age_days: 0.0,
            category_share: 0.25,
        };
        let s = score(&inputs, &CuratorSettings::default());
        assert!(
            close(s.outcome, 0.5)
                && close(s.recency, 0.25)
                && close(s.detail, 0.15)
                && close(s.diversity, 0.075)
        );
        assert!(close(s.total, 0.975), "{s:?}");
    }

    #[test]
    fn a_half_documented_pending_episode_at_the_decay_age_scores_by_hand() {
        // 0.50·0.2 + 0.25·e^(−180/180) + 0.15·(0.3·6/12) + 0.10·(1 − 1) = 0.1 + 0.0919699 + 0.0225 + 0
        let metrics = EpisodeMetrics {
            mse_psi: Some(1.0),
            wob_klb: Some(1.0),
            rpm: Some(1.0),
            rop_ft_h: Some(1.0),
            spp_psi: Some(1.0),
            hookload_klb: Some(1.0),
            ..Default::default()
        };
        let settings = CuratorSettings {
            pending_stale_after: chrono::Duration::days(365),
            ..Default::default()
        };
        let inputs = ScoreInputs {
            outcome: &EventOutcome::Pending,
            notes: None,
            metrics: &metrics,
            age_days: 180.0,
            category_share: 1.0,
        };
        let s = score(&inputs, &settings);
        assert!(close(s.recency, 0.25 * (-1.0f64).exp()));
        assert!(
            close(s.total, 0.1 + 0.25 * 0.36787944117144233 + 0.0225),
            "{s:?}"
        );
    }

    #[test]
    fn each_outcome_has_its_weight() {
        assert!(close(
            outcome_value(&EventOutcome::Resolved {
                action_taken: "x".into()
            }),
            1.0
        ));
        assert!(close(
            outcome_value(&EventOutcome::Escalated { reason: "x".into() }),
            0.7
        ));
        assert!(close(outcome_value(&EventOutcome::Pending), 0.2));
        assert!(close(outcome_value(&EventOutcome::FalsePositive), 0.1));
        // Recency at 90 days: e^(−0.5) = 0.6065306597
        assert!(close(recency_value(90.0, 180.0), 0.6065306597126334));
        assert!(
            close(recency_value(-3.0, 180.0), 1.0),
            "future timestamps count as new"
        );
    }

    #[test]
    fn detail_counts_notes_action_and_metrics_separately() {
        let none = EpisodeMetrics::default();
        assert!(close(
            detail_value(None, &EventOutcome::Pending, &none),
            0.0
        ));
        assert!(
            close(detail_value(Some("  "), &EventOutcome::Pending, &none), 0.0),
            "blank notes are no notes"
        );
        assert!(close(
            detail_value(Some("n"), &EventOutcome::Pending, &none),
            0.3
        ));
        let esc = EventOutcome::Escalated {
            reason: "torque rising".into(),
        };
        assert!(close(detail_value(None, &esc, &none), 0.4));
        assert!(close(
            detail_value(None, &EventOutcome::FalsePositive, &full_metrics()),
            0.3
        ));
    }

    #[test]
    fn pending_too_long_drops_to_the_stale_score_and_not_a_day_before() {
        let metrics = full_metrics();
        let at = |days: f64| {
            let inputs = ScoreInputs {
                outcome: &EventOutcome::Pending,
                notes: None,
                metrics: &metrics,
                age_days: days,
                category_share: 0.0,
            };
            score(&inputs, &CuratorSettings::default())
        };
        assert!(!at(29.0).stale_pending && at(29.0).total > 0.05);
        assert!(at(31.0).stale_pending);
        assert!(close(at(31.0).total, 0.05));
        let resolved = EventOutcome::Resolved {
            action_taken: "x".into(),
        };
        let inputs = ScoreInputs {
            outcome: &resolved,
            notes: None,
            metrics: &metrics,
            age_days: 31.0,
            category_share: 0.0,
        };
        assert!(
            !score(&inputs, &CuratorSettings::default()).stale_pending,
            "only pending episodes go stale"
        );
    }
}
