//! One printable page about one incident, the same on the rig (`/incidents/{id}/report`) and on
//! the hub's dashboard (any fleet event): what happened and when, the channels around it as
//! charts, the physics at its onset and its peak, the specialists' votes, the precedents and what
//! worked, the parameters at the time, and what the crew did. Each server fills an
//! [`IncidentReport`] from what it holds; this module draws it. The page is self-contained — no
//! script, nothing fetched — so it prints, saves and mails as it is.

use crate::charts::{time_chart, Mark};
use crate::drilling::readings::evidence_label;
use crate::drilling::{thousands, PhysicsEvidence, PrecedentRef, SpecialistVote};
use crate::fleet::EpisodeMetrics;
use askama::Template;
use chrono::{DateTime, Utc};

/// The page.
#[derive(Template)]
#[template(path = "report.html")]
pub struct IncidentReport {
    /// "Kick at 10,240 ft".
    pub title: String,
    /// Wire name of its highest level, for the colour of its heading.
    pub level: &'static str,
    /// One line under the title: level, where it stands, how it ended.
    pub summary: String,
    /// Who, where and when, as label and value.
    pub facts: Vec<(String, String)>,
    /// What the crew was told to do, as first announced.
    pub recommendation: String,
    /// Why, in the pipeline's words.
    pub reasoning: String,
    /// The `[explainer]`'s plain words, when a model's answer passed the checks.
    pub explanation: Option<String>,
    /// The channels around it: those the trouble shows on first.
    pub charts: Vec<ChannelChart>,
    /// What the charts cannot show, when something ("the rig keeps two hours").
    pub charts_note: Option<String>,
    /// The evidence at its onset and its peak, one row per channel.
    pub physics: Vec<PhysicsRow>,
    /// Whether the peak's evidence is known (the rig's book keeps it; a fleet event carries the
    /// onset's alone).
    pub peak_known: bool,
    /// The specialists' votes at the strongest announcement.
    pub votes: Vec<VoteRow>,
    /// Precedents cited, with what worked.
    pub precedents: Vec<String>,
    /// The drilling parameters when it opened.
    pub parameters: Vec<(String, String)>,
    /// What the crew said, oldest first.
    pub crew: Vec<CrewRow>,
    /// Its course: opened, escalated, cleared, closed — one line each.
    pub course: Vec<String>,
    /// A link back (href, words).
    pub back: (String, String),
    /// "Made 2026-12-03 14:05 UTC by the rig RIG-1".
    pub made: String,
}

/// One channel's chart.
pub struct ChannelChart {
    /// "SPP (psi)".
    pub title: String,
    /// The SVG.
    pub svg: String,
    /// Whether the trouble shows on this channel.
    pub involved: bool,
}

/// One channel's evidence at onset and peak.
pub struct PhysicsRow {
    /// As the rig floor names it.
    pub channel: String,
    /// Value at onset, with its unit ("—" when not in the onset's evidence).
    pub onset: String,
    /// Value at the peak.
    pub peak: String,
    /// The learned normal.
    pub normally: String,
    /// Trend per minute at the peak and its fit.
    pub trend: String,
}

/// One specialist's vote.
pub struct VoteRow {
    /// Which specialist.
    pub specialist: String,
    /// Wire name of the level it saw.
    pub level: &'static str,
    /// Its weight in the vote.
    pub weight: String,
    /// Its reason.
    pub reasoning: String,
}

/// One answer of the crew.
pub struct CrewRow {
    /// Resolved / escalated / false alarm, with the action or reason.
    pub outcome: String,
    /// Their notes.
    pub notes: Option<String>,
    /// Who.
    pub by: Option<String>,
    /// When.
    pub at: String,
}

/// How the report says a time.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A value as the rig floor reads it: flows, pressures, speeds and depths whole; others to three
/// significant figures or so (25.4 klb, 0.51 bbl, 1.05).
fn number(v: f64, unit: &str) -> String {
    let whole = matches!(unit, "gpm" | "psi" | "ft" | "ft/h" | "rpm") || v.abs() >= 100.0;
    let n = if whole {
        thousands(v)
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if unit.is_empty() {
        n
    } else {
        format!("{n} {unit}")
    }
}

/// The evidence at onset and peak side by side, one row per channel (onset's order, then any the
/// peak added).
pub fn physics_rows(onset: &[PhysicsEvidence], peak: &[PhysicsEvidence]) -> Vec<PhysicsRow> {
    let mut channels: Vec<&str> = onset.iter().map(|e| &*e.channel).collect();
    for e in peak {
        if !channels.contains(&&*e.channel) {
            channels.push(&e.channel);
        }
    }
    let find = |set: &'_ [PhysicsEvidence], ch: &str| -> Option<PhysicsEvidence> {
        set.iter().find(|e| e.channel == ch).cloned()
    };
    channels
        .into_iter()
        .map(|ch| {
            let (o, p) = (find(onset, ch), find(peak, ch));
            let either = p.as_ref().or(o.as_ref());
            let show = |e: &Option<PhysicsEvidence>| {
                e.as_ref()
                    .map_or_else(|| "—".to_owned(), |e| number(e.value, &e.unit))
            };
            PhysicsRow {
                channel: evidence_label(ch).to_owned(),
                onset: show(&o),
                peak: show(&p),
                normally: either
                    .and_then(|e| e.baseline.map(|b| number(b, &e.unit)))
                    .unwrap_or_else(|| "—".into()),
                trend: either
                    .and_then(|e| {
                        let slope = e.trend_per_min?;
                        let fit = e
                            .trend_r2
                            .map_or_else(String::new, |r2| format!(" (R² {r2:.2})"));
                        Some(format!("{slope:+.2} {}/min{fit}", e.unit))
                    })
                    .unwrap_or_else(|| "—".into()),
            }
        })
        .collect()
}

/// The specialists' votes, heaviest first.
pub fn vote_rows(votes: &[SpecialistVote]) -> Vec<VoteRow> {
    let mut rows: Vec<&SpecialistVote> = votes.iter().collect();
    rows.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    rows.into_iter()
        .map(|v| VoteRow {
            specialist: v.specialist.replace('_', " "),
            level: v.risk_level.as_str(),
            weight: format!("{:.2}", v.weight),
            reasoning: v.reasoning.clone(),
        })
        .collect()
}

/// The precedents cited, most similar first, each with its similarity.
pub fn precedent_lines(precedents: &[PrecedentRef]) -> Vec<String> {
    let mut rows: Vec<&PrecedentRef> = precedents.iter().collect();
    rows.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    rows.into_iter()
        .map(|p| format!("{} — {:.0} % alike", p.summary, p.similarity * 100.0))
        .collect()
}

/// The key parameters at a moment, where measured.
pub fn parameters(m: &EpisodeMetrics) -> Vec<(String, String)> {
    [
        ("WOB", m.wob_klb, "klb"),
        ("RPM", m.rpm, "rpm"),
        ("Torque", m.torque_kftlbf, "kft·lbf"),
        ("ROP", m.rop_ft_h, "ft/h"),
        ("SPP", m.spp_psi, "psi"),
        ("Flow balance", m.flow_balance_gpm, "gpm"),
        ("Pit gain", m.pit_gain_bbl, "bbl"),
        ("MSE", m.mse_psi, "psi"),
        ("dc-exponent", m.dc_exponent, ""),
        ("ECD", m.ecd_ppg, "ppg"),
    ]
    .into_iter()
    .filter_map(|(label, v, unit)| {
        v.filter(|v| v.is_finite())
            .map(|v| (label.to_owned(), number(v, unit)))
    })
    .collect()
}

/// A channel's chart over `span` (Unix seconds) with the incident's moments marked; `None` with
/// too few readings to draw.
pub fn chart(
    label: &str,
    unit: &str,
    values: &[f64],
    span: (i64, i64),
    marks: &[Mark],
    involved: bool,
) -> Option<ChannelChart> {
    let title = if unit.is_empty() {
        label.to_owned()
    } else {
        format!("{label} ({unit})")
    };
    let colour = if involved { "#c0001a" } else { "#1f4e79" };
    Some(ChannelChart {
        svg: time_chart(values, span, &title, marks, colour)?,
        title,
        involved,
    })
}

/// The charts in reading order: those the trouble shows on first, then the rest as given.
pub fn order_charts(mut charts: Vec<ChannelChart>) -> Vec<ChannelChart> {
    charts.sort_by_key(|c| !c.involved);
    charts
}
