//! Drilling insights (issue 20): which WOB and RPM drill this formation fastest without
//! dysfunction, where more weight stops helping, and what to change now — learned from the rig's
//! own last hour of steady drilling, every `interval_mins` and on demand, and kept through
//! restarts by a [`store::PersistenceLayer`].
//!
//! [`samples`] takes one sample per packet of steady drilling (cheap, on the packet path);
//! [`analyse`] does the rest off it: [`segment`] splits formations, then bands, the founder
//! point and rank correlations per segment ([`stats`]).

pub mod analyse;
pub mod runner;
pub mod samples;
pub mod segment;
pub mod stats;
pub mod store;

use crate::fleet::insights::{BandSummary, InsightSummary, SegmentSummary, MAX_SEGMENTS};
use crate::fleet::RigId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the insights cut the data (`[insights]` in `config/rig.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InsightSettings {
    /// Run at all.
    pub enabled: bool,
    /// Minutes of stream time between reports.
    pub interval_mins: u32,
    /// Minutes of steady drilling each report reads (the last ones).
    pub window_mins: u32,
    /// WOB band width, klb.
    pub wob_band_klb: f64,
    /// RPM band width.
    pub rpm_band: f64,
    /// Samples a band needs before it is judged (at 1 Hz, two minutes).
    pub min_samples: usize,
    /// The thinnest formation segment, ft: thinner changes are the parameters', not the rock's.
    pub min_segment_ft: f64,
    /// Reports kept on disk.
    pub keep_reports: usize,
}

impl Default for InsightSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_mins: 60,
            window_mins: 60,
            wob_band_klb: 4.0,
            rpm_band: 20.0,
            min_samples: 120,
            min_segment_ft: 100.0,
            keep_reports: 168,
        }
    }
}

impl InsightSettings {
    /// Whether the settings make sense, or what does not.
    pub fn check(&self) -> Result<(), String> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if self.interval_mins == 0 || self.window_mins == 0 {
            return Err("insights.interval_mins and window_mins must be at least 1".into());
        }
        if !positive(self.wob_band_klb)
            || !positive(self.rpm_band)
            || !positive(self.min_segment_ft)
        {
            return Err(
                "insights.wob_band_klb, rpm_band and min_segment_ft must be above 0".into(),
            );
        }
        if self.min_samples < 10 || self.keep_reports == 0 {
            return Err(
                "insights.min_samples must be at least 10 and keep_reports at least 1".into(),
            );
        }
        Ok(())
    }
}

/// One WOB × RPM band as drilled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// WOB from, to (klb).
    pub wob_klb: (f64, f64),
    /// RPM from, to.
    pub rpm: (f64, f64),
    /// Samples of healthy drilling in it.
    pub samples: usize,
    /// Median ROP, ft/h.
    pub rop_median_ft_h: f64,
    /// Lower quartile of ROP, ft/h.
    pub rop_p25_ft_h: f64,
    /// Upper quartile of ROP, ft/h.
    pub rop_p75_ft_h: f64,
    /// Median MSE, psi.
    pub mse_median_psi: Option<f64>,
}

impl Band {
    /// "28–32 klb, 120–140 rpm".
    pub fn describe(&self) -> String {
        format!(
            "{:.0}–{:.0} klb, {:.0}–{:.0} rpm",
            self.wob_klb.0, self.wob_klb.1, self.rpm.0, self.rpm.1
        )
    }
}

/// Where more weight stops drilling faster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Founder {
    /// The WOB at the hinge, klb.
    pub wob_klb: f64,
    /// ROP gained per klb below it, ft/h.
    pub rop_gain_below_ft_h_per_klb: f64,
    /// And above it (negative: ROP falls).
    pub rop_gain_above_ft_h_per_klb: f64,
}

/// Spearman's ρ of ROP with each parameter over a segment's healthy samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlations {
    /// With WOB.
    pub wob: Option<f64>,
    /// With RPM.
    pub rpm: Option<f64>,
    /// With flow in.
    pub flow: Option<f64>,
}

/// One formation segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentInsight {
    /// Top, ft.
    pub from_ft: f64,
    /// Bottom, ft.
    pub to_ft: f64,
    /// Samples of steady drilling.
    pub samples: usize,
    /// Of those, left out as dysfunction (stick-slip, MSE over twice the segment's median).
    pub dysfunction: usize,
    /// Median dc-exponent: the formation's marker.
    pub dc_exponent: Option<f64>,
    /// Median MSE, psi: the other marker.
    pub mse_median_psi: Option<f64>,
    /// Every band with enough samples.
    pub bands: Vec<Band>,
    /// The fastest band at a sane MSE.
    pub best: Option<Band>,
    /// The founder point, where found.
    pub founder: Option<Founder>,
    /// ROP's rank correlations.
    pub correlations: Correlations,
}

/// How sure a recommendation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Not enough to go on.
    None,
    /// The bands overlap a lot or are thin.
    Low,
    /// Most of the time better.
    Medium,
    /// Nearly always better, on plenty of samples.
    High,
}

impl Confidence {
    /// From the probability `p` that the best band's ROP beats the current one's, on `n_best`
    /// and `n_now` samples.
    pub fn of(p: f64, n_best: usize, n_now: usize, min_samples: usize) -> Self {
        let plenty = n_best >= 3 * min_samples && n_now >= 3 * min_samples;
        match p {
            p if p >= 0.8 && plenty => Self::High,
            p if p >= 0.7 && n_now >= min_samples / 4 => Self::Medium,
            _ => Self::Low,
        }
    }
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// `change`, `keep` or `not_enough_data`.
    pub kind: String,
    /// In words, for the driller.
    pub text: String,
    /// The band to drill in.
    pub band: Option<Band>,
    /// Where the driller is now: WOB klb, RPM.
    pub now: Option<(f64, f64)>,
    /// Expected ROP gain, % (change only).
    pub expected_gain_pct: Option<f64>,
    /// Probability the band's ROP beats the current band's (Mann–Whitney).
    pub superiority: Option<f64>,
    /// How sure.
    pub confidence: Confidence,
}

impl Recommendation {
    fn not_enough(samples: usize, need: usize) -> Self {
        Self {
            kind: "not_enough_data".into(),
            text: format!(
                "Not enough data: {samples} samples of steady drilling, and a band needs {need} \
                 in one formation before it is judged."
            ),
            band: None,
            now: None,
            expected_gain_pct: None,
            superiority: None,
            confidence: Confidence::None,
        }
    }

    fn keep(band: Band, now: (f64, f64)) -> Self {
        Self {
            kind: "keep".into(),
            text: format!(
                "Keep drilling at {}: the fastest band of this formation at a sane MSE \
                 (median {:.0} ft/h on {} samples).",
                band.describe(),
                band.rop_median_ft_h,
                band.samples
            ),
            band: Some(band),
            now: Some(now),
            expected_gain_pct: None,
            superiority: None,
            confidence: Confidence::Medium,
        }
    }

    fn keep_on(best: Band, now: (f64, f64), baseline_ft_h: f64) -> Self {
        Self {
            kind: "keep".into(),
            text: format!(
                "Keep on at {:.0} klb, {:.0} rpm: no band drilled in this formation is clearly \
                 faster (the best, {}, made a median {:.0} ft/h against {:.0} now).",
                now.0,
                now.1,
                best.describe(),
                best.rop_median_ft_h,
                baseline_ft_h
            ),
            band: Some(best),
            now: Some(now),
            expected_gain_pct: None,
            superiority: None,
            confidence: Confidence::Medium,
        }
    }

    fn change(
        band: Band,
        now: (f64, f64),
        baseline_ft_h: f64,
        p: f64,
        n_now: usize,
        confidence: Confidence,
    ) -> Self {
        let gain =
            (baseline_ft_h > 0.0).then(|| (band.rop_median_ft_h / baseline_ft_h - 1.0) * 100.0);
        Self {
            kind: "change".into(),
            text: format!(
                "Try {}: this formation drilled there at a median {:.0} ft/h against {:.0} at \
                 {:.0} klb, {:.0} rpm now{} — {} confidence ({} samples there, {} here; faster \
                 {:.0} % of the time).",
                band.describe(),
                band.rop_median_ft_h,
                baseline_ft_h,
                now.0,
                now.1,
                gain.map_or_else(String::new, |g| format!(" ({g:+.0} %)")),
                match confidence {
                    Confidence::High => "high",
                    Confidence::Medium => "medium",
                    _ => "low",
                },
                band.samples,
                n_now,
                p * 100.0
            ),
            band: Some(band),
            now: Some(now),
            expected_gain_pct: gain,
            superiority: Some(p),
            confidence,
        }
    }
}

/// One insights report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsReport {
    /// Its number, rising across restarts.
    pub seq: u64,
    /// When it was made, stream time.
    pub made_at: DateTime<Utc>,
    /// The first and last sample read.
    pub from: Option<DateTime<Utc>>,
    /// The last sample read.
    pub to: Option<DateTime<Utc>>,
    /// Samples of steady drilling read.
    pub samples: usize,
    /// Formation segments, shallowest first.
    pub segments: Vec<SegmentInsight>,
    /// What to do now.
    pub recommendation: Recommendation,
    /// Why it ran: `schedule` or `asked`.
    pub trigger: String,
    /// How long the analysis took, ms.
    pub run_ms: f64,
}

impl InsightsReport {
    /// The report as the fleet keeps it: each segment's range, markers, fastest band and founder
    /// point (at most [`MAX_SEGMENTS`](crate::fleet::insights::MAX_SEGMENTS), the deepest kept).
    pub fn summary(&self, rig_id: &RigId, well_id: &str, field: &str) -> InsightSummary {
        let skip = self.segments.len().saturating_sub(MAX_SEGMENTS);
        InsightSummary {
            rig_id: rig_id.clone(),
            well_id: well_id.to_owned(),
            field: field.to_owned(),
            report_seq: self.seq,
            made_at: self.made_at,
            segments: self
                .segments
                .iter()
                .skip(skip)
                .map(|s| SegmentSummary {
                    from_ft: s.from_ft,
                    to_ft: s.to_ft,
                    samples: u32::try_from(s.samples).unwrap_or(u32::MAX),
                    dc_exponent: s.dc_exponent,
                    mse_median_psi: s.mse_median_psi,
                    best: s.best.as_ref().map(|b| BandSummary {
                        wob_klb: b.wob_klb,
                        rpm: b.rpm,
                        rop_median_ft_h: b.rop_median_ft_h,
                        samples: u32::try_from(b.samples).unwrap_or(u32::MAX),
                    }),
                    founder_wob_klb: s.founder.as_ref().map(|f| f.wob_klb),
                })
                .collect(),
        }
    }
}

impl InsightsReport {
    /// Analyse `samples` (oldest first) into report number `seq`.
    pub fn make(
        seq: u64,
        samples: &[samples::Sample],
        made_at: DateTime<Utc>,
        trigger: &str,
        s: &InsightSettings,
    ) -> Self {
        let started = std::time::Instant::now();
        let (segments, recommendation) = analyse::analyse(samples, s);
        Self {
            seq,
            made_at,
            from: samples.first().map(|x| x.at),
            to: samples.last().map(|x| x.at),
            samples: samples.len(),
            segments,
            recommendation,
            trigger: trigger.into(),
            run_ms: started.elapsed().as_secs_f64() * 1e3,
        }
    }
}
