//! Phase 7: a ticket becomes an advisory only when the trouble is sustained across the history —
//! most of a window agreeing, and for the slow kinds a trend (regression slope and R²) in the
//! right direction — otherwise it was noise.

use super::baseline::{Baseline, Signal};
use super::history::History;
use super::signature::{Mark, Reading};
use super::thresholds::Thresholds;
use crate::drilling::{AnomalyCategory, PhysicsEvidence};

/// A least-squares line through points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Slope, y per x.
    pub slope: f64,
    /// Intercept.
    pub intercept: f64,
    /// Coefficient of determination, 0–1 (0 when y does not vary).
    pub r2: f64,
}

/// Ordinary least squares over `points`; `None` with fewer than three or no spread in x.
pub fn fit(points: &[(f64, f64)]) -> Option<Fit> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x / n, sy + y / n));
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in points {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let slope = sxy / sxx;
    let r2 = if syy > 0.0 {
        (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let out = Fit {
        slope,
        intercept: my - slope * mx,
        r2,
    };
    (out.slope.is_finite() && out.intercept.is_finite()).then_some(out)
}

/// How a category's trend is checked.
#[derive(Debug, Clone, Copy)]
enum Trend {
    /// None: a step change, sustained, is enough.
    None,
    /// The signal's regression over the 60-packet history, in this direction.
    Packets(Signal, f64),
    /// The signal's regression over the last `n` minute means, in this direction.
    Minutes(Signal, usize, f64),
}

/// Packets of the window that must agree, and the trend, per category.
fn rule(category: AnomalyCategory) -> (usize, Trend) {
    use AnomalyCategory::*;
    match category {
        Kick | LostCirculation | StuckPipe => (15, Trend::None),
        TwistOff => (8, Trend::None),
        PackOff => (30, Trend::Packets(Signal::SppAtFlow, 1.0)),
        Washout => (30, Trend::Minutes(Signal::SppAtFlow, 5, -1.0)),
        Founder => (30, Trend::Minutes(Signal::Mse, 5, 1.0)),
        PressureTransition => (30, Trend::Minutes(Signal::Dc, 10, -1.0)),
        StickSlip => (30, Trend::None),
        MseInefficiency => (60, Trend::None),
    }
}

/// A confirmed ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The trouble.
    pub category: AnomalyCategory,
    /// 0.25 at the threshold, 1.0 at four times it.
    pub severity: f64,
    /// Two independent measurements agree.
    pub corroborated: bool,
    /// Share of the window that agreed.
    pub sustained: f64,
    /// The newest reading.
    pub reading: Reading,
    /// The indicators with their trends, for the advisory.
    pub evidence: Vec<PhysicsEvidence>,
}

/// Check `category` across the history, given what the gate read in the newest packet; `Some`
/// when it is sustained (and trending, for the slow kinds).
pub fn verify(
    category: AnomalyCategory,
    latest: &Reading,
    history: &History,
    baseline: &Baseline,
    th: &Thresholds,
) -> Option<Verified> {
    let (window, trend) = rule(category);
    if history.entries().len() < window || !latest.agrees {
        return None;
    }
    let tally = tally(category, history, window);
    let sustained = tally.agreed as f64 / window as f64;
    if sustained < th.sustain_fraction {
        return None;
    }
    let latest = latest.clone();
    let mut evidence: Vec<PhysicsEvidence> =
        latest.indicators.iter().map(|i| i.evidence()).collect();
    if let Some((signal, f)) = trend_fit(trend, history, th)? {
        add_trend(&mut evidence, signal, &f, history, baseline);
    }
    // Severity from the last few agreeing packets, so one noisy reading does not set it.
    let n = tally.agreed.min(tally.recent.len()).max(1);
    let strength = tally.recent[..n].iter().sum::<f64>() / n as f64;
    let severity = (0.25 + (strength - 1.0) / 4.0).clamp(0.25, 1.0);
    Some(Verified {
        category,
        severity,
        corroborated: tally.corroborated,
        sustained,
        reading: latest,
        evidence,
    })
}

/// How many of the window's packets agreed, the last five agreeing strengths, and whether any
/// of those was corroborated.
struct Tally {
    agreed: usize,
    recent: [f64; 5],
    corroborated: bool,
}

/// Count the agreeing packets of the window, newest first, without allocating.
fn tally(category: AnomalyCategory, history: &History, window: usize) -> Tally {
    let i = category as usize;
    let mut t = Tally {
        agreed: 0,
        recent: [0.0; 5],
        corroborated: false,
    };
    for e in history.entries().iter().rev().take(window) {
        let m: Mark = e.marks[i];
        if m.read && m.agrees {
            if t.agreed < t.recent.len() {
                t.recent[t.agreed] = m.strength;
                t.corroborated |= m.corroborated;
            }
            t.agreed += 1;
        }
    }
    t
}

/// The trend a slow kind needs: `Some(None)` when none is needed, `None` when it is needed and
/// not there (not enough points, the wrong way, or too scattered).
fn trend_fit(trend: Trend, history: &History, th: &Thresholds) -> Option<Option<(Signal, Fit)>> {
    let (signal, f, dir) = match trend {
        Trend::None => return Some(None),
        Trend::Packets(signal, dir) => {
            let points: Vec<(f64, f64)> = history
                .entries()
                .iter()
                .filter(|e| e.steady)
                .filter_map(|e| {
                    let s = &e.snapshot;
                    let t = s.packet.timestamp.timestamp_millis() as f64 / 60_000.0;
                    signal.value(&s.packet, &s.metrics).map(|v| (t, v))
                })
                .collect();
            (signal, fit(&points)?, dir)
        }
        Trend::Minutes(signal, n, dir) => (signal, fit(&history.minute_series(signal, n))?, dir),
    };
    (f.slope * dir > 0.0 && f.r2 >= th.trend_min_r2).then_some(Some((signal, f)))
}

/// Put the trend on its indicator's evidence, or add the trended signal as evidence of its own.
fn add_trend(
    evidence: &mut Vec<PhysicsEvidence>,
    signal: Signal,
    f: &Fit,
    history: &History,
    baseline: &Baseline,
) {
    match evidence.iter_mut().find(|e| e.channel == signal.name()) {
        Some(e) => {
            e.trend_per_min = Some(f.slope);
            e.trend_r2 = Some(f.r2);
        }
        None => evidence.push(PhysicsEvidence {
            channel: signal.name().into(),
            value: history
                .entries()
                .back()
                .and_then(|e| signal.value(&e.snapshot.packet, &e.snapshot.metrics))
                .unwrap_or(f.intercept),
            unit: signal.unit().into(),
            baseline: baseline.locked(signal).map(|s| s.mean),
            deviation_pct: None,
            trend_per_min: Some(f.slope),
            trend_r2: Some(f.r2),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anscombe, F. J. (1973), "Graphs in Statistical Analysis", The American Statistician 27(1),
    /// data set I: fitted line y = 3.00 + 0.500·x with R² = 0.667.
    #[test]
    fn regression_matches_anscombe_set_one() {
        let x = [10.0, 8.0, 13.0, 9.0, 11.0, 14.0, 6.0, 4.0, 12.0, 7.0, 5.0];
        let y = [
            8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68,
        ];
        let points: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
        let f = fit(&points).expect("fit");
        assert!((f.slope - 0.5001).abs() < 1e-3, "{f:?}");
        assert!((f.intercept - 3.0001).abs() < 1e-3, "{f:?}");
        assert!((f.r2 - 0.6665).abs() < 1e-3, "{f:?}");
    }

    /// Points on an exact line fit it with R² = 1; no spread in x, or too few points, is no fit.
    #[test]
    fn regression_on_an_exact_line_and_degenerate_input() {
        let points: Vec<(f64, f64)> = (0..10)
            .map(|i| (i as f64, 4.0 + 0.346 * i as f64))
            .collect();
        let f = fit(&points).expect("fit");
        assert!((f.slope - 0.346).abs() < 1e-12 && (f.r2 - 1.0).abs() < 1e-12);
        assert!(
            fit(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).is_none(),
            "no spread in x"
        );
        assert!(
            fit(&[(1.0, 1.0), (2.0, 2.0)]).is_none(),
            "two points are no trend"
        );
        let flat = fit(&[(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)]).expect("fit");
        assert_eq!((flat.slope, flat.r2), (0.0, 0.0));
    }
}
