//! The shift handover (`/handover?hours=12`): what the incoming crew needs from the last shift —
//! depth and hours drilled, how the time went, the parameters drilled with hour by hour, the
//! incidents and how they ended, the insights' advice, and what is not working. Built from the
//! shift log, the incident book, the insights and the rig's health, on stream time.

use super::shift::{ShiftLog, Summary, STATES};
use crate::charts::{stacked_columns, Series};
use crate::drilling::{capitalise, duration_words, thousands};
use crate::report::when;
use crate::rig::core::Core;
use crate::rig::health::Health;
use askama::Template;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// The longest and the default handover, h.
pub const MAX_HOURS: u32 = super::shift::KEEP_HOURS as u32;
/// The handover of a 12-hour tour.
pub const DEFAULT_HOURS: u32 = 12;

/// The page.
#[derive(Template)]
#[template(path = "rig/handover.html")]
pub struct Handover {
    pub(crate) rig_id: String,
    pub(crate) well_id: String,
    pub(crate) hours: u32,
    /// "02:00 – 14:00 UTC, 2026-12-03".
    pub(crate) span: String,
    /// The headline figures, label and value.
    pub(crate) figures: Vec<(String, String)>,
    /// Time in each rig state, most first: (state, minutes or hours, share).
    pub(crate) states: Vec<(String, String, String)>,
    /// Feet drilled per hour, as columns.
    pub(crate) drilled_chart: Option<String>,
    /// One row per hour, oldest first.
    pub(crate) hourly: Vec<HourRow>,
    /// Incidents open in the span, newest first.
    pub(crate) incidents: Vec<IncidentRow>,
    /// Categories shelved now.
    pub(crate) shelves: Vec<String>,
    /// The newest insights' advice and segments, in words.
    pub(crate) insights: Vec<String>,
    /// Sensors out and other problems now.
    pub(crate) problems: Vec<String>,
    /// The fleet's notices for where the rig is.
    pub(crate) notices: Vec<String>,
    pub(crate) made: String,
}

/// One hour of the shift.
pub struct HourRow {
    pub(crate) hour: String,
    pub(crate) depth: String,
    pub(crate) drilled: String,
    pub(crate) on_bottom: String,
    pub(crate) rop: String,
    pub(crate) wob: String,
    pub(crate) rpm: String,
    pub(crate) flow: String,
    pub(crate) spp: String,
}

/// One incident of the shift.
pub struct IncidentRow {
    pub(crate) id: String,
    pub(crate) opened: String,
    pub(crate) what: String,
    pub(crate) level: &'static str,
    pub(crate) lasted: String,
    pub(crate) state: String,
    pub(crate) outcome: String,
}

fn mean(s: &Summary, sum: impl Fn(&super::shift::OnBottom) -> f64, decimals: usize) -> String {
    match s.on_bottom.mean(sum) {
        Some(v) if decimals == 0 => thousands(v),
        Some(v) => format!("{v:.decimals$}"),
        None => "—".into(),
    }
}

/// The handover of the last `hours` of stream time.
pub fn build(c: &Core, health: &Health, hours: u32) -> Handover {
    let log = c.shift();
    let end = log.newest().unwrap_or_else(Utc::now);
    let start = end - TimeDelta::hours(i64::from(hours));
    let whole = log.summary(start, end + TimeDelta::minutes(1));
    let hourly = hourly(log, start, end);
    Handover {
        rig_id: c.identity().rig_id.to_string(),
        well_id: c.identity().well_id.clone(),
        hours,
        span: format!(
            "{} to {} (stream time)",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M UTC")
        ),
        figures: figures(&whole),
        states: states(&whole),
        drilled_chart: stacked_columns(
            &hourly
                .iter()
                .map(|(h, _)| h.format("%H:00").to_string())
                .collect::<Vec<_>>(),
            &[Series {
                name: "feet drilled".into(),
                colour: "#1f4e79",
                values: hourly.iter().map(|(_, s)| s.drilled_ft()).collect(),
            }],
            "hour (UTC)",
            "ft drilled",
        ),
        hourly: hourly.iter().map(|(h, s)| hour_row(*h, s)).collect(),
        incidents: incidents(c, start),
        shelves: c
            .pipeline()
            .incidents()
            .shelves()
            .iter()
            .map(|s| {
                format!(
                    "{} shelved until {}: {}",
                    capitalise(s.category.label()),
                    s.until.format("%H:%M UTC"),
                    s.reason
                )
            })
            .collect(),
        insights: insights(c, start)
            .into_iter()
            .chain(crate::rig::notices::offset_here(c))
            .collect(),
        // The health's problems name the sensors out among them.
        problems: health.problems.clone(),
        notices: c
            .fleet_status()
            .link
            .map(|l| l.stats.notices)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| crate::rig::notices::on_screen(n, whole.depth_ft.map(|d| d.1)))
            .collect(),
        made: format!(
            "Made {} by the SAIREN rig {} from its shift log, incident book and insights.",
            when(Utc::now()),
            c.identity().rig_id
        ),
    }
}

fn figures(s: &Summary) -> Vec<(String, String)> {
    let depth = |d: f64| format!("{} ft", thousands(d));
    let mut out = Vec::new();
    match s.depth_ft {
        Some((from, to)) => {
            out.push(("Hole depth now".into(), depth(to)));
            out.push((
                "Drilled".into(),
                format!(
                    "{} ({} → {})",
                    depth(s.drilled_ft()),
                    thousands(from),
                    depth(to)
                ),
            ));
        }
        None => out.push(("Hole depth".into(), "no depth reading in this span".into())),
    }
    out.push((
        "On bottom".into(),
        format!(
            "{:.1} h of {:.1} h",
            s.on_bottom.secs / 3_600.0,
            s.covered_secs / 3_600.0
        ),
    ));
    out.push((
        "Average ROP on bottom".into(),
        format!("{} ft/h", mean(s, |b| b.rop, 0)),
    ));
    out.push((
        "Parameters on bottom".into(),
        format!(
            "WOB {} klb, {} rpm, {} gpm, SPP {} psi",
            mean(s, |b| b.wob, 1),
            mean(s, |b| b.rpm, 0),
            mean(s, |b| b.flow, 0),
            mean(s, |b| b.spp, 0)
        ),
    ));
    out
}

fn states(s: &Summary) -> Vec<(String, String, String)> {
    let mut rows: Vec<(usize, f64)> = s
        .state_secs
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, secs)| *secs >= 30.0)
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows.into_iter()
        .map(|(i, secs)| {
            (
                capitalise(&STATES[i].to_string().replace('_', " ")),
                if secs < 3_600.0 {
                    format!("{:.0} min", secs / 60.0)
                } else {
                    format!("{:.1} h", secs / 3_600.0)
                },
                format!("{:.0} %", 100.0 * secs / s.covered_secs.max(1.0)),
            )
        })
        .collect()
}

/// Each whole hour of the span summed, oldest first.
fn hourly(
    log: &ShiftLog,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Summary)> {
    let mut hour = start.duration_trunc(TimeDelta::hours(1)).unwrap_or(start);
    let mut out = Vec::new();
    while hour <= end {
        let next = hour + TimeDelta::hours(1);
        let s = log.summary(hour.max(start), next);
        if s.covered_secs > 0.0 {
            out.push((hour, s));
        }
        hour = next;
    }
    out
}

fn hour_row(hour: DateTime<Utc>, s: &Summary) -> HourRow {
    HourRow {
        hour: hour.format("%H:00").to_string(),
        depth: s.depth_ft.map_or_else(|| "—".into(), |d| thousands(d.1)),
        drilled: thousands(s.drilled_ft()),
        on_bottom: format!("{:.0}", s.on_bottom.secs / 60.0),
        rop: mean(s, |b| b.rop, 0),
        wob: mean(s, |b| b.wob, 1),
        rpm: mean(s, |b| b.rpm, 0),
        flow: mean(s, |b| b.flow, 0),
        spp: mean(s, |b| b.spp, 0),
    }
}

/// The incidents that were open at any time since `start`, newest first.
fn incidents(c: &Core, start: DateTime<Utc>) -> Vec<IncidentRow> {
    let mut rows: Vec<IncidentRow> = c
        .pipeline()
        .incidents()
        .incidents()
        .iter()
        .rev()
        .filter(|i| !i.is_closed() || i.cleared_at.unwrap_or(i.last_seen_at) >= start)
        .map(|i| IncidentRow {
            id: i.id.to_string(),
            opened: i.opened_at.format("%m-%d %H:%M").to_string(),
            what: match i.depth_ft {
                Some(d) => format!("{} at {} ft", capitalise(i.category.label()), thousands(d)),
                None => capitalise(i.category.label()),
            },
            level: i.peak.level.as_str(),
            lasted: duration_words(i.duration_secs()),
            state: i.state.label().into(),
            outcome: i
                .acknowledgment
                .as_ref()
                .map_or_else(|| "not acknowledged".into(), |a| a.outcome.describe()),
        })
        .collect();
    rows.truncate(50);
    rows
}

/// The newest insights report made in the span, in words.
fn insights(c: &Core, start: DateTime<Utc>) -> Vec<String> {
    if !c.insights().settings().enabled {
        return vec!["Drilling insights are off ([insights] enabled = false).".into()];
    }
    let Some(report) = c
        .insights()
        .latest()
        .filter(|r| r.to.is_none_or(|t| t >= start))
    else {
        return vec!["No insights report in this span.".into()];
    };
    let mut out = vec![format!(
        "{} (report {} at {})",
        report.recommendation.text,
        report.seq,
        report.made_at.format("%H:%M UTC")
    )];
    for s in &report.segments {
        let mut line = format!(
            "{}–{} ft: {} samples",
            thousands(s.from_ft),
            thousands(s.to_ft),
            s.samples
        );
        if let Some(b) = &s.best {
            line.push_str(&format!(
                "; fastest at {:.0}–{:.0} klb, {:.0}–{:.0} rpm ({} ft/h)",
                b.wob_klb.0,
                b.wob_klb.1,
                b.rpm.0,
                b.rpm.1,
                thousands(b.rop_median_ft_h)
            ));
        }
        if let Some(f) = &s.founder {
            line.push_str(&format!("; founder ≈ {:.0} klb", f.wob_klb));
        }
        out.push(line);
    }
    out
}
