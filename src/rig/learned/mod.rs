//! Learned anomaly detection (`[learned]`, off by default): an isolation forest per rig state,
//! trained on this rig's own recent quiet operation and re-trained on a schedule, scores the
//! drilling channels of each packet. It never raises an alarm of its own: alone it says "unusual
//! behaviour" at Low, quietly, with the channels that made it so; beside a rule's advisory it
//! corroborates (a line in the advisory's reasoning). See the README's figures for what it earns.

pub mod forest;
pub mod worker;

use crate::drilling::{DrillingMetrics, RigState, WitsPacket};
use chrono::{DateTime, Duration, Utc};
use forest::IsolationForest;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Features the forest reads.
pub const FEATURES: usize = 9;
/// Their names, as the rig floor says them, and units.
pub const NAMES: [(&str, &str); FEATURES] = [
    ("WOB", "klb"),
    ("RPM", "rpm"),
    ("Torque", "kft·lbf"),
    ("SPP", "psi"),
    ("Flow in", "gpm"),
    ("Δ flow", "gpm"),
    ("ROP", "ft/h"),
    ("Hookload", "klb"),
    ("Pit rate", "bbl/min"),
];

/// The states judged: steady operation, where each channel has a usual value. Connections, trips
/// and a rig standing idle are pipe handling — hookload, weight and pressure swing by design (on
/// Volve F-9 A's logs nearly every unusual call came from "idle" pipe handling).
pub const JUDGED: [RigState; 3] = [RigState::Drilling, RigState::Reaming, RigState::Circulating];

/// `[learned]` in `rig.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnedSettings {
    /// Score packets at all.
    pub enabled: bool,
    /// Each state's model learns from this many minutes of quiet operation in it.
    pub train_mins: u32,
    /// …re-trained this often, minutes of stream time.
    pub retrain_mins: u32,
    /// One training sample every this many seconds.
    pub sample_every_secs: u32,
    /// A state is judged once its model has this many samples.
    pub min_samples: usize,
    /// Trees in each forest.
    pub trees: usize,
    /// The share of the training samples scored unusual: sets the threshold.
    pub contamination: f64,
    /// Unusual when at least this many of the last `window` packets score above the threshold.
    pub persist: usize,
    /// …of this many.
    pub window: usize,
    /// After the rig state changes, the first this many seconds are not judged (pumps ramping,
    /// weight coming on: a transition is unlike either state).
    pub settle_secs: u32,
}

impl Default for LearnedSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            train_mins: 120,
            retrain_mins: 30,
            sample_every_secs: 5,
            min_samples: 100,
            trees: 100,
            contamination: 0.05,
            persist: 8,
            window: 10,
            settle_secs: 180,
        }
    }
}

impl LearnedSettings {
    /// Every reason these values cannot be used, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.train_mins == 0 || self.retrain_mins == 0 || self.sample_every_secs == 0 {
            out.push(
                "[learned] train_mins, retrain_mins and sample_every_secs must be at least 1"
                    .into(),
            );
        }
        if !(10..=100_000).contains(&self.min_samples) || !(1..=1_000).contains(&self.trees) {
            out.push("[learned] min_samples must be 10 to 100000 and trees 1 to 1000".into());
        }
        if !(self.contamination > 0.0 && self.contamination < 0.5) {
            out.push(format!(
                "[learned] contamination must be between 0 and 0.5, not {}",
                self.contamination
            ));
        }
        if self.window == 0 || self.persist == 0 || self.persist > self.window || self.window > 600
        {
            out.push("[learned] persist must be 1 to window, and window 1 to 600".into());
        }
        out
    }
}

/// The features of one packet (NaN where absent).
pub fn features(p: &WitsPacket, m: &DrillingMetrics) -> [f32; FEATURES] {
    let v = |x: Option<f64>| x.filter(|v| v.is_finite()).map_or(f32::NAN, |v| v as f32);
    let delta = match (p.flow_out_gpm, p.flow_in_gpm) {
        (Some(out), Some(inn)) => Some(out - inn),
        _ => None,
    };
    [
        v(p.wob_klb),
        v(p.rpm),
        v(p.torque_kftlbf),
        v(p.spp_psi),
        v(p.flow_in_gpm),
        v(delta),
        v(p.rop_ft_h),
        v(p.hookload_klb),
        v(m.pit_rate_bbl_min),
    ]
}

/// What the detector finds unusual, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unusual {
    /// Since when (stream time).
    pub since: DateTime<Utc>,
    /// The rig state it was judged in.
    pub state: RigState,
    /// The newest score, and the threshold it is over.
    pub score: f64,
    /// The threshold: the training samples' score at `1 − contamination`.
    pub threshold: f64,
    /// The channels furthest from their usual values: (name, value, usual, unit).
    pub channels: Vec<(&'static str, f32, f32, &'static str)>,
}

impl Unusual {
    /// "Torque 14.2 kft·lbf (usually 10.1), SPP 3,410 psi (usually 3,000)".
    pub fn channels_words(&self) -> String {
        self.channels
            .iter()
            .map(|(name, v, usual, unit)| {
                let fmt = |x: f32| {
                    if x.abs() >= 100.0 {
                        crate::drilling::thousands(f64::from(x))
                    } else {
                        format!("{x:.1}")
                    }
                };
                format!("{name} {} {unit} (usually {})", fmt(*v), fmt(*usual))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One rig state's model: its training samples, its forest, and the usual value of each feature.
#[derive(Debug, Default)]
struct StateModel {
    samples: VecDeque<(DateTime<Utc>, [f32; FEATURES])>,
    forest: Option<IsolationForest<FEATURES>>,
    centre: [f32; FEATURES],
    scale: [f32; FEATURES],
    threshold: f64,
    trained_at: Option<DateTime<Utc>>,
    last_sample: Option<DateTime<Utc>>,
}

fn quantile(sorted: &[f32], q: f64) -> f32 {
    if sorted.is_empty() {
        return f32::NAN;
    }
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    let w = (at - lo as f64) as f32;
    sorted[lo] * (1.0 - w) + sorted[hi] * w
}

impl StateModel {
    fn train(&mut self, s: &LearnedSettings, at: DateTime<Utc>, seed: u64) {
        self.trained_at = Some(at);
        for f in 0..FEATURES {
            let mut col: Vec<f32> = self
                .samples
                .iter()
                .map(|(_, x)| x[f])
                .filter(|v| v.is_finite())
                .collect();
            col.sort_by(f32::total_cmp);
            let median = quantile(&col, 0.5);
            let iqr = quantile(&col, 0.75) - quantile(&col, 0.25);
            self.centre[f] = if median.is_finite() { median } else { 0.0 };
            // A channel held steady (flow in at 600 gpm) still moves by its noise: a floor keeps
            // its z-scores meaningful.
            self.scale[f] = (iqr / 1.349).max(0.02 * self.centre[f].abs()).max(1e-3);
        }
        let data: Vec<[f32; FEATURES]> =
            self.samples.iter().map(|(_, x)| self.imputed(x)).collect();
        self.forest = IsolationForest::fit(&data, s.trees, 256, seed);
        if let Some(forest) = &self.forest {
            let mut scores: Vec<f32> = data.iter().map(|x| forest.score(x) as f32).collect();
            scores.sort_by(f32::total_cmp);
            self.threshold = f64::from(quantile(&scores, 1.0 - s.contamination));
        }
    }

    fn imputed(&self, x: &[f32; FEATURES]) -> [f32; FEATURES] {
        let mut out = *x;
        for (v, c) in out.iter_mut().zip(self.centre) {
            if !v.is_finite() {
                *v = c;
            }
        }
        out
    }
}

/// The detector: one model per rig state, and the run of recent verdicts.
#[derive(Debug)]
pub struct LearnedDetector {
    settings: LearnedSettings,
    models: Vec<StateModel>,
    recent: VecDeque<bool>,
    state: Option<RigState>,
    /// When the rig entered its state.
    state_since: Option<DateTime<Utc>>,
    unusual: Option<Unusual>,
    trained: u64,
}

impl LearnedDetector {
    /// A detector with these settings (it judges nothing until a state has `min_samples`).
    pub fn new(settings: LearnedSettings) -> Self {
        Self {
            models: RigState::ALL
                .iter()
                .map(|_| StateModel::default())
                .collect(),
            settings,
            recent: VecDeque::new(),
            state: None,
            state_since: None,
            unusual: None,
            trained: 0,
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &LearnedSettings {
        &self.settings
    }

    /// What it finds unusual now, if anything.
    pub fn unusual(&self) -> Option<&Unusual> {
        self.unusual.as_ref()
    }

    /// Models trained so far (every state, every re-training).
    pub fn trainings(&self) -> u64 {
        self.trained
    }

    /// Learn from and judge one packet; `quiet` when no incident is open (trouble is not learned
    /// as normal). What it finds unusual now, if anything.
    pub fn observe(
        &mut self,
        p: &WitsPacket,
        m: &DrillingMetrics,
        quiet: bool,
    ) -> Option<&Unusual> {
        self.observe_features(p.timestamp, m.rig_state, features(p, m), quiet)
    }

    /// [`observe`](Self::observe) of a packet's features `x`, at `at` in `state`.
    pub fn observe_features(
        &mut self,
        at: DateTime<Utc>,
        state: RigState,
        x: [f32; FEATURES],
        quiet: bool,
    ) -> Option<&Unusual> {
        if !self.settings.enabled {
            return None;
        }
        if self.state != Some(state) {
            // Another state is another normal: its own model judges from its own start.
            self.state = Some(state);
            self.state_since = Some(at);
            self.recent.clear();
            self.unusual = None;
        }
        let index = RigState::ALL
            .iter()
            .position(|s| *s == state)
            .unwrap_or(RigState::ALL.len() - 1);
        if !JUDGED.contains(&state) {
            return None;
        }
        self.learn(index, at, x, quiet);
        let settling = self
            .state_since
            .is_some_and(|t| (at - t).num_seconds() < i64::from(self.settings.settle_secs));
        let model = &self.models[index];
        let (Some(forest), false) = (&model.forest, settling) else {
            return None;
        };
        let score = forest.score(&model.imputed(&x));
        self.recent.push_back(score > model.threshold);
        if self.recent.len() > self.settings.window {
            self.recent.pop_front();
        }
        let over = self.recent.iter().filter(|f| **f).count();
        if over < self.settings.persist {
            if over == 0 {
                self.unusual = None;
            }
            return self.unusual.as_ref();
        }
        let since = self.unusual.as_ref().map_or(at, |u| u.since);
        let mut channels: Vec<(f32, usize)> = (0..FEATURES)
            .filter(|f| x[*f].is_finite())
            .map(|f| (((x[f] - model.centre[f]) / model.scale[f]).abs(), f))
            .collect();
        channels.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.unusual = Some(Unusual {
            since,
            state,
            score,
            threshold: model.threshold,
            channels: channels
                .iter()
                .take(3)
                .filter(|(z, _)| *z >= 2.0)
                .map(|(_, f)| (NAMES[*f].0, x[*f], model.centre[*f], NAMES[*f].1))
                .collect(),
        });
        self.unusual.as_ref()
    }

    /// Keep a quiet packet as a training sample (one every `sample_every_secs`), forget those older
    /// than `train_mins`, and train the state's model when it is due.
    fn learn(&mut self, index: usize, at: DateTime<Utc>, x: [f32; FEATURES], quiet: bool) {
        let s = &self.settings;
        let model = &mut self.models[index];
        let due_sample = model
            .last_sample
            .is_none_or(|t| (at - t).num_seconds() >= i64::from(s.sample_every_secs));
        if quiet && self.unusual.is_none() && due_sample {
            model.samples.push_back((at, x));
            model.last_sample = Some(at);
            let keep = Duration::minutes(i64::from(s.train_mins));
            while model.samples.front().is_some_and(|(t, _)| at - *t > keep) {
                model.samples.pop_front();
            }
        }
        let due_training = model
            .trained_at
            .is_none_or(|t| (at - t).num_minutes() >= i64::from(s.retrain_mins));
        if model.samples.len() >= s.min_samples && due_training {
            model.train(s, at, self.trained);
            self.trained += 1;
        }
    }
}
