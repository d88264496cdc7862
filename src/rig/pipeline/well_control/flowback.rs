//! A connection's flow-back fingerprint: how the active pit moves, against its level before the
//! pumps stopped, through each connection — the flowline draining back while the pumps are off,
//! and refilling after they start. Learned over the last connections, as the mean and spread at
//! each ten seconds (the "connection flow-back" monitoring of Schlumberger's and Pason's systems:
//! a connection is compared with the ones before it, not with a fixed volume).

use std::collections::VecDeque;

/// Seconds per point of a curve.
pub const STEP_SECS: f64 = 10.0;
/// Points while the pumps are off: ten minutes.
const OFF_POINTS: usize = 60;
/// Points after the pumps start: five minutes.
const ON_POINTS: usize = 30;
/// Connections remembered.
const KEEP: usize = 10;
/// Connections before the fingerprint is used.
pub const LEARNED_AFTER: usize = 3;

/// Which part of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Pumps off: flow-back.
    Off,
    /// Pumps on again: refill.
    On,
}

/// One connection's curve: the pit against its level before the pumps stopped, bbl.
#[derive(Debug, Clone)]
pub struct Curve {
    off: [Option<f64>; OFF_POINTS],
    on: [Option<f64>; ON_POINTS],
}

impl Default for Curve {
    fn default() -> Self {
        Self {
            off: [None; OFF_POINTS],
            on: [None; ON_POINTS],
        }
    }
}

impl Curve {
    /// Record the pit `offset` bbl from its level before the pumps stopped, `secs` into `part`.
    pub fn record(&mut self, part: Part, secs: f64, offset: f64) {
        let i = (secs / STEP_SECS) as usize;
        let points: &mut [Option<f64>] = match part {
            Part::Off => &mut self.off,
            Part::On => &mut self.on,
        };
        if let Some(p) = points.get_mut(i) {
            *p = Some(offset);
        }
    }

    /// The offset at `secs` into `part`; past the recorded end, the last point (the flow-back
    /// has levelled off by then).
    fn at(&self, part: Part, secs: f64) -> Option<f64> {
        let points: &[Option<f64>] = match part {
            Part::Off => &self.off,
            Part::On => &self.on,
        };
        let i = ((secs / STEP_SECS) as usize).min(points.len() - 1);
        points[..=i].iter().rev().find_map(|p| *p)
    }
}

/// What the fingerprint expects at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    /// Mean offset of the connections remembered, bbl.
    pub mean: f64,
    /// Their standard deviation, bbl.
    pub sigma: f64,
}

/// What the fingerprint allows at one moment, a step either side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Lowest mean offset, bbl.
    pub low: f64,
    /// Highest mean offset, bbl.
    pub high: f64,
    /// Largest standard deviation, bbl.
    pub sigma: f64,
}

/// The last connections' curves.
#[derive(Debug, Clone, Default)]
pub struct Fingerprint {
    curves: VecDeque<Curve>,
}

impl Fingerprint {
    /// Remember a connection that went as connections should (no kick or loss in it).
    pub fn learn(&mut self, curve: Curve) {
        if self.curves.len() == KEEP {
            self.curves.pop_front();
        }
        self.curves.push_back(curve);
    }

    /// Connections remembered.
    pub fn learned(&self) -> usize {
        self.curves.len()
    }

    /// The band the fingerprint allows at `secs` into `part`: the lowest and highest mean of the
    /// points one step either side (the curve is steep where the flowline drains and refills, and
    /// the pumps are seen to stop or start only to within a step), with the spread there.
    pub fn band(&self, part: Part, secs: f64) -> Option<Band> {
        let mut band: Option<Band> = None;
        for s in [secs - STEP_SECS, secs, secs + STEP_SECS] {
            let Some(e) = self.expected(part, s.max(0.0)) else {
                continue;
            };
            let b = band.get_or_insert(Band {
                low: e.mean,
                high: e.mean,
                sigma: e.sigma,
            });
            b.low = b.low.min(e.mean);
            b.high = b.high.max(e.mean);
            b.sigma = b.sigma.max(e.sigma);
        }
        band
    }

    /// The mean and spread at `secs` into `part`, once [`LEARNED_AFTER`] connections are in.
    pub fn expected(&self, part: Part, secs: f64) -> Option<Expected> {
        if self.curves.len() < LEARNED_AFTER {
            return None;
        }
        let mut n = 0.0;
        let (mut sum, mut sq) = (0.0, 0.0);
        for v in self.curves.iter().filter_map(|c| c.at(part, secs)) {
            n += 1.0;
            sum += v;
            sq += v * v;
        }
        if n < LEARNED_AFTER as f64 {
            return None;
        }
        let mean = sum / n;
        let sigma = ((sq / n - mean * mean).max(0.0) * n / (n - 1.0)).sqrt();
        Some(Expected { mean, sigma })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three connections returning 6, 7 and 8 bbl give 7 ± 1 bbl (sample standard deviation),
    /// and a connection longer than any before is compared with where they levelled off.
    #[test]
    fn mean_and_spread_of_the_last_connections() {
        let mut f = Fingerprint::default();
        for v in [6.0, 7.0, 8.0] {
            assert_eq!(f.expected(Part::Off, 60.0), None);
            let mut c = Curve::default();
            for i in 0..12 {
                c.record(Part::Off, i as f64 * 10.0, v * (i as f64 / 11.0));
            }
            c.record(Part::On, 0.0, v);
            f.learn(c);
        }
        let e = f.expected(Part::Off, 110.0).expect("learned");
        assert!(
            (e.mean - 7.0).abs() < 1e-9 && (e.sigma - 1.0).abs() < 1e-9,
            "{e:?}"
        );
        let late = f.expected(Part::Off, 500.0).expect("levelled");
        assert!((late.mean - 7.0).abs() < 1e-9);
        assert!((f.expected(Part::On, 30.0).expect("on").mean - 7.0).abs() < 1e-9);
        for _ in 0..20 {
            f.learn(Curve::default());
        }
        assert_eq!(f.learned(), 10, "only the last ten are kept");
    }
}
