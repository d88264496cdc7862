//! A connection's flow-back fingerprint: how the active pit moves, against its level before the
//! pumps stopped, through each connection — the flowline draining back while the pumps are off,
//! and refilling after they start. Learned over the last connections, as the mean and spread at
//! each ten seconds (the "connection flow-back" monitoring of Schlumberger's and Pason's systems:
//! a connection is compared with the ones before it, not with a fixed volume).

use crate::rig::durable;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::Path;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// `OFF_POINTS` points, one per ten seconds with the pumps off.
    off: Vec<Option<f64>>,
    /// `ON_POINTS` points, one per ten seconds after they start.
    on: Vec<Option<f64>>,
}

impl Default for Curve {
    fn default() -> Self {
        Self {
            off: vec![None; OFF_POINTS],
            on: vec![None; ON_POINTS],
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
        let i = ((secs / STEP_SECS) as usize).min(points.len().checked_sub(1)?);
        points[..=i].iter().rev().find_map(|p| *p)
    }

    /// Whether a curve read from a file is one this code writes: its lengths, finite values.
    fn is_sound(&self) -> bool {
        self.off.len() == OFF_POINTS
            && self.on.len() == ON_POINTS
            && self
                .off
                .iter()
                .chain(&self.on)
                .flatten()
                .all(|v| v.is_finite())
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fingerprint {
    curves: VecDeque<Curve>,
}

/// The fingerprint as saved: for one well (another well's connections are not this one's).
#[derive(Serialize, Deserialize)]
struct FingerprintFile {
    well_id: String,
    curves: Vec<Curve>,
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

    /// Save crash-safely (see [`durable::write_atomic`]): a restarted rig judges its next
    /// connection against the ones before, not as an unlearned rig.
    pub fn save(&self, path: &Path, well_id: &str) -> std::io::Result<()> {
        let file = FingerprintFile {
            well_id: well_id.to_owned(),
            curves: self.curves.iter().cloned().collect(),
        };
        let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        durable::write_atomic(path, &bytes)
    }

    /// What [`Fingerprint::save`] wrote for this well; a missing file is none learned, a file for
    /// another well or one that does not read back is reported and ignored.
    pub fn load(path: &Path, well_id: &str) -> (Self, Option<String>) {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Self::default(), None),
            Err(e) => {
                let why = format!(
                    "cannot read {}: {e}; learning connections afresh",
                    path.display()
                );
                return (Self::default(), Some(why));
            }
        };
        let why = match serde_json::from_slice::<FingerprintFile>(&bytes) {
            Ok(file) if file.well_id != well_id => format!(
                "{} holds the connections of well {:?}, not {well_id:?}; learning afresh",
                path.display(),
                file.well_id
            ),
            Ok(file) if file.curves.iter().all(Curve::is_sound) => {
                let mut f = Self::default();
                let skip = file.curves.len().saturating_sub(KEEP);
                file.curves.into_iter().skip(skip).for_each(|c| f.learn(c));
                return (f, None);
            }
            Ok(_) => format!(
                "{} holds curves of the wrong shape; learning connections afresh",
                path.display()
            ),
            Err(e) => format!(
                "{} is not a readable flow-back fingerprint ({e}); learning connections afresh",
                path.display()
            ),
        };
        (Self::default(), Some(why))
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

    /// Saved and read back for the same well it is the same; another well's, a truncated file or
    /// curves of the wrong shape are named and learned afresh.
    #[test]
    fn the_fingerprint_survives_a_restart_of_its_well_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("flowback.json");
        let mut f = Fingerprint::default();
        for v in [6.0, 7.0, 8.0, 7.5] {
            let mut c = Curve::default();
            for i in 0..12 {
                c.record(Part::Off, i as f64 * 10.0, v * (i as f64 / 11.0));
            }
            f.learn(c);
        }
        f.save(&path, "W-1").expect("save");
        let (back, why) = Fingerprint::load(&path, "W-1");
        assert_eq!((back.learned(), why), (4, None));
        // JSON keeps every value to within a unit in the last place.
        for secs in [0.0, 50.0, 110.0, 400.0] {
            let (a, b) = (
                back.expected(Part::Off, secs).expect("learned"),
                f.expected(Part::Off, secs).expect("learned"),
            );
            assert!((a.mean - b.mean).abs() < 1e-12 && (a.sigma - b.sigma).abs() < 1e-12);
        }
        let (other, why) = Fingerprint::load(&path, "W-2");
        assert_eq!(other.learned(), 0);
        assert!(why.expect("named").contains("\"W-1\""));
        let (none, why) = Fingerprint::load(&dir.path().join("absent.json"), "W-1");
        assert_eq!((none.learned(), why), (0, None));
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, &text[..text.len() / 2]).expect("truncate");
        let (cut, why) = Fingerprint::load(&path, "W-1");
        assert_eq!(cut.learned(), 0);
        assert!(why.expect("named").contains("not a readable"));
        std::fs::write(
            &path,
            r#"{"well_id":"W-1","curves":[{"off":[1.0],"on":[]}]}"#,
        )
        .expect("write");
        let (odd, why) = Fingerprint::load(&path, "W-1");
        assert_eq!(odd.learned(), 0);
        assert!(why.expect("named").contains("wrong shape"));
    }
}
