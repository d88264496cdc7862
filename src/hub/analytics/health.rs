//! A rig's health score (0–100) from its latest heartbeat: a weighted mean of components, each
//! 0 (bad) to 1 (good), with configurable weights. The drilling preset weighs what a fleet
//! manager acts on first — open risk — above what can wait — a drifting clock.

use crate::fleet::Heartbeat;
use serde::{Deserialize, Serialize};

/// MSE efficiency counted as fully efficient: Teale's bit efficiency runs ~30–40 % in
/// efficient drilling (Teale 1965; Dupriest & Koederitz, SPE 92194), so 35 % scores 1.
const EFFICIENT_MSE: f64 = 0.35;
/// A clock within this many seconds of the hub's is right…
const CLOCK_OK_SECS: f64 = 2.0;
/// …and this far off or more scores 0 (the hub refuses events 300 s ahead by default).
const CLOCK_BAD_SECS: f64 = 300.0;

/// The weight of each component; `[analytics.health_weights]` in `hub.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthWeights {
    /// Open incidents by their highest level.
    pub risk: f64,
    /// Alarms the crew has not acknowledged.
    pub attention: f64,
    /// The WITS stream alive, and its sensors in.
    pub stream: f64,
    /// The uplink: dead letters and a growing queue.
    pub link: f64,
    /// The rig's clock against the hub's.
    pub clock: f64,
    /// MSE efficiency while drilling (left out while not drilling).
    pub efficiency: f64,
    /// Problems the rig's own health names.
    pub faults: f64,
}

/// The drilling preset.
impl Default for HealthWeights {
    fn default() -> Self {
        Self {
            risk: 0.35,
            attention: 0.10,
            stream: 0.20,
            link: 0.10,
            clock: 0.05,
            efficiency: 0.10,
            faults: 0.10,
        }
    }
}

impl HealthWeights {
    fn named(&self) -> [(&'static str, f64); 7] {
        [
            ("risk", self.risk),
            ("attention", self.attention),
            ("stream", self.stream),
            ("link", self.link),
            ("clock", self.clock),
            ("efficiency", self.efficiency),
            ("faults", self.faults),
        ]
    }

    /// Every weight finite and ≥ 0, and together 1 (±0.001): a config that says otherwise is
    /// refused at start with the sum it came to.
    pub fn validate(&self) -> Result<(), String> {
        for (name, w) in self.named() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!(
                    "analytics.health_weights.{name} must be a number ≥ 0, not {w}"
                ));
            }
        }
        let sum: f64 = self.named().iter().map(|(_, w)| w).sum();
        if (sum - 1.0).abs() > 1e-3 {
            return Err(format!(
                "analytics.health_weights must add up to 1 (they add up to {sum:.3})"
            ));
        }
        Ok(())
    }
}

/// Each component of a rig's health, 0–1; `efficiency` is absent while not drilling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Components {
    /// 1 with nothing open; 0 with a critical incident open.
    pub risk: f64,
    /// 1/(1 + unacknowledged).
    pub attention: f64,
    /// 0 when the stream is dead or the rig is stale; less with sensors out.
    pub stream: f64,
    /// Less with dead letters and a long queue.
    pub link: f64,
    /// 1 within 2 s of the hub's clock, 0 at 300 s off.
    pub clock: f64,
    /// MSE efficiency against 35 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
    /// 1/(1 + faults).
    pub faults: f64,
}

impl Components {
    /// The components of a rig whose latest heartbeat is `beat`; `fresh` is false when it is
    /// older than the stale limit (then the stream counts as dead: nobody knows it is alive).
    pub fn of(beat: &Heartbeat, fresh: bool) -> Self {
        let i = &beat.incidents;
        let risk = if i.critical > 0 {
            0.0
        } else if i.high > 0 {
            0.3
        } else if i.elevated > 0 {
            0.6
        } else if i.low > 0 {
            0.9
        } else {
            1.0
        };
        let stream = if fresh && beat.stream.alive {
            1.0 - 0.125 * f64::from(beat.stream.sensors_out.min(4))
        } else {
            0.0
        };
        let queue_penalty = if beat.queue_depth > 100 { 0.5 } else { 1.0 };
        let link = queue_penalty / (1.0 + f64::from(beat.dead_letters) / 10.0);
        let clock = beat.clock_offset_secs.map_or(1.0, |o| {
            ((CLOCK_BAD_SECS - o.abs()) / (CLOCK_BAD_SECS - CLOCK_OK_SECS)).clamp(0.0, 1.0)
        });
        let efficiency = beat
            .mse_efficiency
            .filter(|_| beat.on_bottom_secs > 0.0)
            .map(|e| (e / EFFICIENT_MSE).clamp(0.0, 1.0));
        Self {
            risk,
            attention: 1.0 / (1.0 + f64::from(i.unacknowledged)),
            stream,
            link,
            clock,
            efficiency,
            faults: 1.0 / (1.0 + f64::from(beat.faults)),
        }
    }

    /// The weighted mean, 0–100, over the components present.
    pub fn score(&self, w: &HealthWeights) -> f64 {
        let mut parts = vec![
            (self.risk, w.risk),
            (self.attention, w.attention),
            (self.stream, w.stream),
            (self.link, w.link),
            (self.clock, w.clock),
            (self.faults, w.faults),
        ];
        if let Some(e) = self.efficiency {
            parts.push((e, w.efficiency));
        }
        let weight: f64 = parts.iter().map(|(_, w)| w).sum();
        if weight <= 0.0 {
            return 100.0;
        }
        100.0 * parts.iter().map(|(v, w)| v * w).sum::<f64>() / weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::RigId;

    fn calm() -> Heartbeat {
        Heartbeat::calm(RigId::parse("RIG-A").unwrap(), "F", chrono::Utc::now())
    }

    #[test]
    fn a_calm_rig_scores_100_and_each_trouble_lowers_it_by_its_weight() {
        let w = HealthWeights::default();
        assert!(w.validate().is_ok());
        let calm = calm();
        assert!((Components::of(&calm, true).score(&w) - 100.0).abs() < 1e-9);
        let mut kick = calm.clone();
        kick.incidents.critical = 1;
        // Risk 0 takes its whole weight: 100 − 35.
        assert!((Components::of(&kick, true).score(&w) - 65.0).abs() < 1e-9);
        // Stale: the stream counts as dead.
        assert!((Components::of(&calm, false).score(&w) - 80.0).abs() < 1e-9);
        let mut off_clock = calm.clone();
        off_clock.clock_offset_secs = Some(-400.0);
        assert!((Components::of(&off_clock, true).score(&w) - 95.0).abs() < 1e-9);
        // Not drilling: efficiency is left out, not counted as 0.
        let mut tripping = calm;
        tripping.on_bottom_secs = 0.0;
        tripping.mse_efficiency = None;
        assert_eq!(Components::of(&tripping, true).efficiency, None);
        assert!((Components::of(&tripping, true).score(&w) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn weights_that_do_not_add_up_are_refused_with_their_sum() {
        let mut w = HealthWeights {
            risk: 0.5,
            ..Default::default()
        };
        assert!(w.validate().unwrap_err().contains("1.150"));
        w.risk = -0.35;
        assert!(w.validate().unwrap_err().contains("risk"));
    }
}
