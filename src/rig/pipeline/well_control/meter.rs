//! Whether the flow-out meter measures the returns at all. A paddle that has stuck, or a meter
//! that reads the same few gpm whether 0 or 700 gpm go in (real data: Volve F-9 A), does not
//! follow the pumps: its flow balance is nonsense, and it leaves detection with a named reason
//! until it follows them again.

use chrono::{DateTime, Utc};

/// Seconds a pump state must hold before its flows count as settled (returns lag the pumps by
/// the flowline and the annulus).
const SETTLED_SECS: f64 = 120.0;
/// Averaging time of the flows, s.
const MEAN_SECS: f64 = 30.0;
/// Below this share of the flow-in change, flow out did not follow the pumps.
const MIN_RESPONSE: f64 = 0.3;
/// From this share it follows them again.
const GOOD_RESPONSE: f64 = 0.6;
/// Pump changes in a row that flow out did not follow before it is distrusted.
const MISSES: u32 = 2;
/// Flow out under this share of flow in (or over its inverse) with the pit not moving to match:
/// the meter is not reading the returns.
const IMPLAUSIBLE: f64 = 0.3;

/// The meter's standing.
#[derive(Debug, Clone, PartialEq)]
pub enum Trust {
    /// It follows the pumps (or has not yet been shown not to).
    Trusted,
    /// It does not: why, in a sentence.
    Untrusted(String),
}

/// The check.
#[derive(Debug, Clone)]
pub struct MeterCheck {
    trust: Trust,
    mean_in: Option<f64>,
    mean_out: Option<f64>,
    last: Option<DateTime<Utc>>,
    pumping: Option<(bool, DateTime<Utc>)>,
    /// Flows when the pumps last settled on, and off: (in, out).
    settled_on: Option<(f64, f64)>,
    settled_off: Option<(f64, f64)>,
    judged: bool,
    misses: u32,
    implausible_since: Option<DateTime<Utc>>,
}

impl Default for MeterCheck {
    fn default() -> Self {
        Self {
            trust: Trust::Trusted,
            mean_in: None,
            mean_out: None,
            last: None,
            pumping: None,
            settled_on: None,
            settled_off: None,
            judged: false,
            misses: 0,
            implausible_since: None,
        }
    }
}

impl MeterCheck {
    /// One packet's flows; `pit_moving` says whether the pit trend is large enough to explain a
    /// large imbalance (a real loss or influx moves the pit too).
    pub fn observe(
        &mut self,
        at: DateTime<Utc>,
        pumping: bool,
        flow_in: f64,
        flow_out: Option<f64>,
        pit_moving: bool,
    ) -> &Trust {
        let Some(out) = flow_out else {
            return &self.trust;
        };
        let dt = self.last.map_or(1.0, |t| {
            ((at - t).num_milliseconds() as f64 / 1_000.0).clamp(0.0, 60.0)
        });
        self.last = Some(at);
        let a = 1.0 - (-dt / MEAN_SECS).exp();
        let mean_in = *self
            .mean_in
            .insert(self.mean_in.map_or(flow_in, |m| m + a * (flow_in - m)));
        let mean_out = *self
            .mean_out
            .insert(self.mean_out.map_or(out, |m| m + a * (out - m)));
        match self.pumping {
            Some((p, _)) if p == pumping => {}
            _ => {
                self.pumping = Some((pumping, at));
                self.judged = false;
            }
        }
        let held = self
            .pumping
            .map_or(0.0, |(_, t)| (at - t).num_milliseconds() as f64 / 1_000.0);
        if held >= SETTLED_SECS && !self.judged {
            self.judged = true;
            self.settle(pumping, mean_in, mean_out);
        }
        if pumping && held >= SETTLED_SECS {
            self.plausible(at, mean_in, mean_out, pit_moving);
        }
        &self.trust
    }

    /// The pumps have held a state long enough: compare with the last settled opposite state.
    fn settle(&mut self, pumping: bool, mean_in: f64, mean_out: f64) {
        let (now, before) = if pumping {
            self.settled_on = Some((mean_in, mean_out));
            (self.settled_on, self.settled_off)
        } else {
            self.settled_off = Some((mean_in, mean_out));
            (self.settled_off, self.settled_on)
        };
        let (Some((in1, out1)), Some((in0, out0))) = (now, before) else {
            return;
        };
        let d_in = in1 - in0;
        if d_in.abs() < 100.0 {
            return;
        }
        let response = (out1 - out0) / d_in;
        if response >= GOOD_RESPONSE {
            self.misses = 0;
            if self.trust != Trust::Trusted && self.implausible_since.is_none() {
                log::info!("flow out follows the pumps again: back in kick and loss detection");
                self.trust = Trust::Trusted;
            }
        } else if response < MIN_RESPONSE {
            self.misses += 1;
            if self.misses >= MISSES {
                self.distrust(format!(
                    "flow out did not follow the pumps: {out0:.0} → {out1:.0} gpm while flow in went {in0:.0} → {in1:.0} gpm ({} changes in a row); kicks and losses are judged on the pits until it does",
                    self.misses
                ));
            }
        }
    }

    /// While pumping: returns a fraction (or a multiple) of flow in with the pits not moving to
    /// match are a meter not reading, not a well.
    fn plausible(&mut self, at: DateTime<Utc>, mean_in: f64, mean_out: f64, pit_moving: bool) {
        let ratio = mean_out / mean_in.max(1.0);
        let odd = !(IMPLAUSIBLE..=1.0 / IMPLAUSIBLE).contains(&ratio) && !pit_moving;
        if !odd {
            if self.implausible_since.take().is_some() && self.misses < MISSES {
                self.trust = Trust::Trusted;
            }
            return;
        }
        let since = *self.implausible_since.get_or_insert(at);
        if (at - since).num_seconds() as f64 >= SETTLED_SECS && self.trust == Trust::Trusted {
            self.distrust(format!(
                "flow out reads {mean_out:.0} gpm against {mean_in:.0} gpm in while the pits hold: the meter is not reading the returns; kicks and losses are judged on the pits until it does"
            ));
        }
    }

    fn distrust(&mut self, why: String) {
        if self.trust == Trust::Trusted {
            log::warn!("{why}");
        }
        self.trust = Trust::Untrusted(why);
    }

    /// The meter's standing.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Whether its reading can be used now: trusted, and (while pumping) its returns within what a
    /// meter reading them could show. A total loss of returns reads as implausible here too; the
    /// pits, falling at the whole pump rate, catch that within a minute or two.
    pub fn reads_returns(&self) -> bool {
        let ratio = match (self.mean_in, self.mean_out) {
            (Some(q_in), Some(q_out)) if q_in > 100.0 => q_out / q_in,
            _ => 1.0,
        };
        self.trust == Trust::Trusted && (IMPLAUSIBLE..=1.0 / IMPLAUSIBLE).contains(&ratio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::pipeline::well_control::test_time as t;

    /// Pumps cycling 700 gpm ↔ 0 every five minutes. A meter whose reading follows them stays
    /// trusted; one that reads about 9 gpm throughout (the Volve F-9 A flow-out channel) is
    /// distrusted with the numbers in its reason.
    #[test]
    fn a_meter_that_ignores_the_pumps_is_named() {
        for (follows, trusted) in [(true, true), (false, false)] {
            let mut m = MeterCheck::default();
            for s in 0..3_600 {
                let on = (s / 300) % 2 == 0;
                let q_in = if on { 700.0 } else { 0.0 };
                let q_out = if follows { q_in } else { 9.0 };
                m.observe(t(s), on, q_in, Some(q_out), false);
            }
            match m.trust() {
                Trust::Trusted => assert!(trusted),
                Trust::Untrusted(why) => {
                    assert!(!trusted);
                    assert!(why.contains("gpm"), "{why}");
                }
            }
        }
    }

    /// A meter reading 9 gpm against 700 in with the pits steady is distrusted while the pumps
    /// stay on; real returns 30 % short with the pit falling to match are losses, not a meter.
    #[test]
    fn an_implausible_reading_with_steady_pits_is_named_but_real_losses_are_not() {
        let mut m = MeterCheck::default();
        for s in 0..600 {
            m.observe(t(s), true, 700.0, Some(9.0), false);
        }
        assert!(matches!(m.trust(), Trust::Untrusted(w) if w.contains("9 gpm against 700")));
        let mut m = MeterCheck::default();
        for s in 0..600 {
            m.observe(t(s), true, 700.0, Some(150.0), true);
        }
        assert_eq!(m.trust(), &Trust::Trusted);
    }
}
