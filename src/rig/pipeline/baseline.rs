//! Phase 4: what normal looks like on this well. Per signal, a mean and deviation learned while
//! drilling is steady (Welford), locked once enough samples are in, then adapting slowly
//! (an exponential window) while nothing is wrong, so the baseline follows depth but not trouble.
//! Saved crash-safely and reloaded at start.

use crate::drilling::{DrillingMetrics, WitsPacket};
use crate::rig::durable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Standpipe pressure goes as flow rate to this power (turbulent friction losses, Bourgoyne et
/// al., *Applied Drilling Engineering*, ch. 4), so pressures at different rates compare once scaled.
pub const FRICTION_EXPONENT: f64 = 1.86;

/// Standpipe pressure goes as mud density to about this power: between the friction losses'
/// ρ^0.75 (Blasius) and the bit nozzles' ρ^1, so a weight-up is not read as a pack-off.
pub const DENSITY_EXPONENT: f64 = 0.8;
/// The density standpipe pressures are scaled to, ppg.
pub const REFERENCE_DENSITY_PPG: f64 = 10.0;

/// What multiplies a standpipe pressure read at `flow_gpm` (and `density_ppg`, where sent) to give
/// it at 1,000 gpm and 10 ppg; `None` without flow.
pub fn spp_scale(flow_gpm: f64, density_ppg: Option<f64>) -> Option<f64> {
    if flow_gpm.is_nan() || flow_gpm <= 1.0 {
        return None;
    }
    let density = density_ppg
        .filter(|d| *d > 0.0)
        .map_or(1.0, |d| (REFERENCE_DENSITY_PPG / d).powf(DENSITY_EXPONENT));
    crate::rig::physics::finite((1_000.0 / flow_gpm).powf(FRICTION_EXPONENT) * density)
}

/// A signal the baseline learns: a packet channel or a computed metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Rotary torque, kft·lbf.
    Torque,
    /// Standpipe pressure, psi.
    Spp,
    /// Standpipe pressure scaled to 1,000 gpm by the turbulent-flow law Δp ∝ Q^1.86 (and to
    /// 10 ppg by [`DENSITY_EXPONENT`] where density is sent): a pump-rate change or a weight-up
    /// moves the pressure but not this, so pack-offs and washouts are judged at equal flow.
    SppAtFlow,
    /// Hookload, klb.
    Hookload,
    /// Weight on bit, klb.
    Wob,
    /// Rotary speed, rpm.
    Rpm,
    /// Rate of penetration, ft/h.
    Rop,
    /// Flow in, gpm.
    FlowIn,
    /// Mechanical specific energy, psi.
    Mse,
    /// Corrected d-exponent.
    Dc,
}

impl Signal {
    /// Every signal, in a fixed order.
    pub const ALL: [Signal; 10] = [
        Self::Torque,
        Self::Spp,
        Self::SppAtFlow,
        Self::Hookload,
        Self::Wob,
        Self::Rpm,
        Self::Rop,
        Self::FlowIn,
        Self::Mse,
        Self::Dc,
    ];

    /// Its value in one packet and its metrics.
    pub fn value(self, p: &WitsPacket, m: &DrillingMetrics) -> Option<f64> {
        match self {
            Self::Torque => p.torque_kftlbf,
            Self::Spp => p.spp_psi,
            Self::SppAtFlow => {
                let scale = spp_scale(p.flow_in_gpm?, p.mud_density_in_ppg)?;
                crate::rig::physics::finite(p.spp_psi? * scale)
            }
            Self::Hookload => p.hookload_klb,
            Self::Wob => p.wob_klb,
            Self::Rpm => p.rpm,
            Self::Rop => p.rop_ft_h,
            Self::FlowIn => p.flow_in_gpm,
            Self::Mse => m.mse_psi,
            Self::Dc => m.dc_exponent,
        }
    }

    /// Its name in evidence and the API (the packet or metrics field name).
    pub fn name(self) -> &'static str {
        match self {
            Self::Torque => "torque_kftlbf",
            Self::Spp => "spp_psi",
            Self::SppAtFlow => "spp_at_1000_gpm_psi",
            Self::Hookload => "hookload_klb",
            Self::Wob => "wob_klb",
            Self::Rpm => "rpm",
            Self::Rop => "rop_ft_h",
            Self::FlowIn => "flow_in_gpm",
            Self::Mse => "mse_psi",
            Self::Dc => "dc_exponent",
        }
    }

    /// Its unit, as a driller reads it.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Torque => "kft·lbf",
            Self::Spp | Self::SppAtFlow | Self::Mse => "psi",
            Self::Hookload | Self::Wob => "klb",
            Self::Rpm => "rpm",
            Self::Rop => "ft/h",
            Self::FlowIn => "gpm",
            Self::Dc => "",
        }
    }
}

/// How the baseline learns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineConfig {
    /// Samples of steady drilling a signal needs before its baseline locks and detectors use it.
    pub lock_after_samples: u64,
    /// After locking, the baseline follows the well with an exponential window this many samples
    /// long (0 = never adapt).
    pub adapt_window_samples: u64,
    /// While trouble is confirmed the baseline holds still, for at most this many samples of
    /// drilling; a condition that lasts longer is the well's new normal: the baseline relearns.
    pub hold_during_trouble_samples: u64,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self {
            // Ten minutes at 1 Hz: long enough to see the noise, short enough to protect early.
            lock_after_samples: 600,
            // About an hour: follows depth trends, too slow to learn a washout as normal.
            adapt_window_samples: 3_600,
            // Half an hour at 1 Hz: the crew has been told six times by then.
            hold_during_trouble_samples: 1_800,
        }
    }
}

impl BaselineConfig {
    /// Every reason this cannot be used; empty when it can.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(10..=1_000_000).contains(&self.lock_after_samples) {
            out.push(format!(
                "baseline.lock_after_samples must be between 10 and 1000000, not {}",
                self.lock_after_samples
            ));
        }
        if self.adapt_window_samples > 10_000_000 {
            out.push("baseline.adapt_window_samples must be at most 10000000".into());
        }
        out
    }
}

/// Running mean and variance of one signal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Samples learned.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Welford's sum of squared deviations while learning; n·variance once adapting.
    m2: f64,
}

impl Stat {
    /// Standard deviation (0 with fewer than two samples).
    pub fn std(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0).sqrt()
        }
    }
}

/// The per-signal baselines of one well.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    stats: BTreeMap<Signal, Stat>,
    #[serde(skip)]
    config: BaselineConfig,
}

/// What `Baseline::learn` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Learned {
    /// Some signal locked with this sample.
    pub newly_locked: bool,
}

impl Baseline {
    /// An empty baseline that learns with `config`.
    pub fn new(config: BaselineConfig) -> Self {
        Self {
            stats: BTreeMap::new(),
            config,
        }
    }

    /// Learn from one sample of steady drilling. Once locked, a value far outside the baseline is
    /// clamped to ±3σ before it is learned: a spike moves the baseline by a bounded step, while
    /// a lasting change of regime (deeper hole, harder rock) is still followed, slowly.
    pub fn learn(&mut self, p: &WitsPacket, m: &DrillingMetrics) -> Learned {
        let lock_at = self.config.lock_after_samples;
        let window = self.config.adapt_window_samples;
        let mut out = Learned::default();
        for signal in Signal::ALL {
            let Some(x) = signal.value(p, m).filter(|x| x.is_finite()) else {
                continue;
            };
            let s = self.stats.entry(signal).or_default();
            if s.n < lock_at {
                s.n += 1;
                let delta = x - s.mean;
                s.mean += delta / s.n as f64;
                s.m2 += delta * (x - s.mean);
                out.newly_locked |= s.n == lock_at;
            } else if window > 0 {
                let std = s.std();
                // A signal that barely moved while learning (a steady pump rate) must still be
                // able to follow the well: the clamp is never narrower than 1 % of the mean.
                let band = (3.0 * std).max(0.01 * s.mean.abs());
                let x = if band > 0.0 {
                    x.clamp(s.mean - band, s.mean + band)
                } else {
                    x
                };
                // Exponential window: the variance keeps its scale as n·σ² with n fixed.
                let alpha = 1.0 / window as f64;
                let var = std * std;
                let delta = x - s.mean;
                s.mean += alpha * delta;
                let var = (1.0 - alpha) * (var + alpha * delta * delta);
                s.m2 = var * (s.n - 1) as f64;
            }
        }
        out
    }

    /// Forget everything and learn again: a new bit or BHA makes the old normal meaningless.
    pub fn reset(&mut self) {
        self.stats.clear();
    }

    /// The locked baseline of a signal, `None` while it is still learning.
    pub fn locked(&self, signal: Signal) -> Option<&Stat> {
        self.stats
            .get(&signal)
            .filter(|s| s.n >= self.config.lock_after_samples)
    }

    /// Deviation of `value` from the signal's locked mean, % of the mean.
    pub fn deviation_pct(&self, signal: Signal, value: f64) -> Option<f64> {
        let s = self.locked(signal)?;
        if s.mean.abs() < 1e-9 {
            return None;
        }
        let d = (value - s.mean) / s.mean.abs() * 100.0;
        d.is_finite().then_some(d)
    }

    /// How it learns.
    pub fn config(&self) -> &BaselineConfig {
        &self.config
    }

    /// How far the slowest-learning signal seen so far has got, 0–1 (1 = every one locked).
    pub fn progress(&self) -> f64 {
        let lock_at = self.config.lock_after_samples.max(1) as f64;
        self.stats
            .values()
            .map(|s| (s.n as f64 / lock_at).min(1.0))
            .fold(None, |acc: Option<f64>, p| {
                Some(acc.map_or(p, |a| a.min(p)))
            })
            .unwrap_or(0.0)
    }

    /// Every signal with its statistics (for the API).
    pub fn stats(&self) -> &BTreeMap<Signal, Stat> {
        &self.stats
    }

    /// Save crash-safely (see [`durable::write_atomic`]).
    pub fn save(&self, path: &Path, well_id: &str) -> std::io::Result<()> {
        let file = BaselineFile {
            well_id: well_id.to_owned(),
            stats: self.stats.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        durable::write_atomic(path, &bytes)
    }

    /// Load what [`Baseline::save`] wrote for this well; a missing file is a fresh start, a file
    /// for another well or one that does not parse is reported and ignored.
    pub fn load(path: &Path, well_id: &str, config: BaselineConfig) -> (Self, Option<String>) {
        let fresh = Self::new(config);
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (fresh, None),
            Err(e) => {
                return (
                    fresh,
                    Some(format!(
                        "cannot read {}: {e}; learning afresh",
                        path.display()
                    )),
                )
            }
        };
        match serde_json::from_slice::<BaselineFile>(&bytes) {
            Ok(file) if file.well_id == well_id => {
                let stats = file
                    .stats
                    .into_iter()
                    .filter(|(_, s)| s.mean.is_finite() && s.m2.is_finite() && s.m2 >= 0.0)
                    .collect();
                (Self { stats, config }, None)
            }
            Ok(file) => (
                fresh,
                Some(format!(
                    "{} is the baseline of well {:?}, not {well_id:?}; learning afresh",
                    path.display(),
                    file.well_id
                )),
            ),
            Err(e) => (
                fresh,
                Some(format!(
                    "{} is not a readable baseline ({e}); learning afresh",
                    path.display()
                )),
            ),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    well_id: String,
    stats: BTreeMap<Signal, Stat>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(torque: f64) -> (WitsPacket, DrillingMetrics) {
        let p = WitsPacket {
            torque_kftlbf: Some(torque),
            ..WitsPacket::default()
        };
        (p, DrillingMetrics::default())
    }

    fn config() -> BaselineConfig {
        BaselineConfig {
            lock_after_samples: 100,
            adapt_window_samples: 1_000,
            hold_during_trouble_samples: 100,
        }
    }

    #[test]
    fn learns_mean_and_deviation_then_locks() {
        let mut b = Baseline::new(config());
        for i in 0..99 {
            let (p, m) = sample(10.0 + if i % 2 == 0 { 1.0 } else { -1.0 });
            assert!(!b.learn(&p, &m).newly_locked);
            assert!(b.locked(Signal::Torque).is_none());
        }
        let (p, m) = sample(9.0);
        assert!(b.learn(&p, &m).newly_locked);
        let s = b.locked(Signal::Torque).expect("locked");
        assert!((s.mean - 10.0).abs() < 1e-9, "{}", s.mean);
        // Fifty 11s and fifty 9s: sample σ = √(100/99).
        assert!(
            (s.std() - (100.0f64 / 99.0).sqrt()).abs() < 1e-9,
            "{}",
            s.std()
        );
        let dev = b.deviation_pct(Signal::Torque, 12.3).expect("locked");
        assert!((dev - 23.0).abs() < 1e-9, "{dev}");
    }

    #[test]
    fn after_locking_it_follows_slowly_and_bounds_an_outlier() {
        let mut b = Baseline::new(config());
        for i in 0..100 {
            let (p, m) = sample(10.0 + if i % 2 == 0 { 0.5 } else { -0.5 });
            b.learn(&p, &m);
        }
        let before = *b.locked(Signal::Torque).expect("locked");
        let (p, m) = sample(30.0);
        b.learn(&p, &m);
        let mean = b.locked(Signal::Torque).expect("locked").mean;
        // Clamped to mean + 3σ: one step of 3σ/window at most.
        let bound = 3.0 * before.std() / 1_000.0;
        assert!(
            mean - before.mean <= bound + 1e-12,
            "an outlier moved it to {mean}"
        );
        assert!(mean > before.mean);
        for _ in 0..1_000 {
            let (p, m) = sample(11.0);
            b.learn(&p, &m);
        }
        let mean = b.locked(Signal::Torque).expect("locked").mean;
        // 1,000 samples of a 1,000-sample window: 1 − e⁻¹ = 63 % of the way.
        assert!((mean - 10.632).abs() < 0.01, "{mean}");
    }

    #[test]
    fn survives_a_save_and_refuses_another_wells_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("baseline.json");
        let mut b = Baseline::new(config());
        for i in 0..150 {
            let (p, m) = sample(5.0 + (i % 3) as f64);
            b.learn(&p, &m);
        }
        b.save(&path, "W-1").expect("save");
        let (back, warning) = Baseline::load(&path, "W-1", config());
        assert!(warning.is_none());
        assert_eq!(back.stats(), b.stats());
        let (other, warning) = Baseline::load(&path, "W-2", config());
        assert!(other.stats().is_empty());
        assert!(warning.expect("warned").contains("W-1"));
        std::fs::write(&path, b"{\"well_id\": \"W-1\", \"stats\": ").expect("truncate");
        let (broken, warning) = Baseline::load(&path, "W-1", config());
        assert!(broken.stats().is_empty());
        assert!(warning.expect("warned").contains("not a readable baseline"));
    }
}
