//! The rig's report on one incident: the incident book's record of it, the advisories that
//! announced it, and the channels around it (live from the trends while it is open, from its
//! kept trace once it cleared), drawn as the shared [`IncidentReport`].

use super::trace::{self, Trace};
use crate::charts::Mark;
use crate::drilling::readings::involved;
use crate::drilling::{capitalise, duration_words, thousands};
use crate::report::{
    chart, order_charts, parameters, physics_rows, precedent_lines, vote_rows, when, CrewRow,
    IncidentReport,
};
use crate::rig::advisories::AdvisoryRecord;
use crate::rig::core::Core;
use crate::rig::incidents::{Acknowledgment, Incident};

/// The report on incident `id` (its own id or that of an advisory that announced it), or `None`
/// when the rig no longer holds it.
pub fn build(c: &Core, id: &str) -> Option<IncidentReport> {
    let incident_id = c.incident_of(id)?;
    let incident = c.pipeline().incidents().get(incident_id.as_str())?;
    let onset = c.advisories().get(incident.id.as_str());
    let strongest = incident
        .announcements
        .iter()
        .max_by_key(|a| a.level)
        .and_then(|a| c.advisories().get(a.advisory_id.as_str()))
        .or(onset);
    // An open incident's channels are in the trends (unless the rig restarted since: then in
    // the trace kept at the stop); a cleared one's in the trace kept when it cleared.
    let live = || Trace::take(incident, c.trends());
    let kept = || trace::load(c.traces_dir(), incident.id.as_str());
    let trace = if incident.is_active() {
        live().or_else(kept)
    } else {
        kept().or_else(live)
    };
    let identity = c.identity();
    let mut facts = vec![
        ("Rig".to_owned(), identity.rig_id.to_string()),
        ("Well".to_owned(), identity.well_id.clone()),
        ("Field".to_owned(), identity.field.clone()),
        ("Incident".to_owned(), incident.id.to_string()),
    ];
    facts.extend(timing(incident));
    if let Some(campaign) = onset.and_then(|r| r.campaign) {
        facts.push(("Campaign".into(), campaign.label().into()));
    }
    let (charts, charts_note) = charts(incident, trace.as_ref());
    Some(IncidentReport {
        title: title(incident),
        level: incident.peak.level.as_str(),
        summary: summary(incident),
        facts,
        recommendation: onset.map_or_else(
            || incident.now.words.clone(),
            |r| r.advisory.recommendation.clone(),
        ),
        reasoning: strongest.map_or_else(String::new, |r| r.advisory.reasoning.clone()),
        explanation: onset
            .and_then(|r| r.explanation.as_ref())
            .and_then(|e| Some(format!("{} (model {})", e.text.as_ref()?, e.model))),
        charts,
        charts_note,
        physics: physics_rows(
            onset.map_or(&incident.now.evidence, |r| &r.advisory.physics),
            &incident.peak.evidence,
        ),
        peak_known: true,
        votes: strongest.map_or_else(Vec::new, |r| vote_rows(&r.advisory.votes)),
        precedents: strongest.map_or_else(Vec::new, |r| precedent_lines(&r.advisory.precedents)),
        parameters: onset
            .and_then(|r: &AdvisoryRecord| r.key_metrics.as_ref())
            .map_or_else(Vec::new, parameters),
        crew: incident
            .earlier_acknowledgments
            .iter()
            .chain(&incident.acknowledgment)
            .map(crew_row)
            .collect(),
        course: course(incident),
        back: ("/".into(), "the driller's screen".into()),
        made: format!(
            "Made {} by the SAIREN rig {} from its incident book, advisory log and channel trends.",
            when(chrono::Utc::now()),
            identity.rig_id
        ),
    })
}

fn title(i: &Incident) -> String {
    match i.depth_ft {
        Some(d) => format!("{} at {} ft", capitalise(i.category.label()), thousands(d)),
        None => capitalise(i.category.label()),
    }
}

fn summary(i: &Incident) -> String {
    let mut s = format!(
        "{} at its peak, while {}; {}",
        i.peak.level.label(),
        i.rig_state.to_string().replace('_', " "),
        i.state.label()
    );
    if let Some(a) = &i.acknowledgment {
        s.push_str(&format!(" — {}", a.outcome.describe()));
    }
    s.push('.');
    s
}

fn timing(i: &Incident) -> Vec<(String, String)> {
    let mut out = vec![
        ("Opened".to_owned(), when(i.opened_at)),
        (
            "Lasted".to_owned(),
            format!(
                "{}{}",
                duration_words(i.duration_secs()),
                if i.is_active() { " so far" } else { "" }
            ),
        ),
    ];
    if let Some(t) = i.cleared_at {
        out.push(("Cleared".into(), when(t)));
    }
    if let Some(t) = i.closed_at {
        out.push(("Closed".into(), when(t)));
    }
    if i.reopened > 0 {
        out.push(("Came back".into(), format!("{} time(s)", i.reopened)));
    }
    if !i.attached.is_empty() {
        let names: Vec<&str> = i.attached.iter().map(|a| a.category.label()).collect();
        out.push(("Also produced".into(), names.join(", ")));
    }
    out
}

/// The charts of the trace, the incident's moments marked; and what they cannot show.
fn charts(
    i: &Incident,
    trace: Option<&Trace>,
) -> (Vec<crate::report::ChannelChart>, Option<String>) {
    let Some(trace) = trace else {
        return (
            Vec::new(),
            Some("The rig keeps two hours of channels; this incident's are no longer held.".into()),
        );
    };
    let mut marks = vec![Mark {
        at: i.opened_at.timestamp(),
        label: "opened".into(),
    }];
    marks.extend(i.announcements.iter().skip(1).map(|a| Mark {
        at: a.at.timestamp(),
        label: a.reason.label().into(),
    }));
    if let Some(t) = i.cleared_at {
        marks.push(Mark {
            at: t.timestamp(),
            label: "cleared".into(),
        });
    }
    let span = (trace.from.timestamp(), trace.to.timestamp());
    let shows_on = involved(i.category);
    let charts = trace
        .channels
        .iter()
        .filter_map(|ch| {
            let values: Vec<f64> = ch
                .values
                .iter()
                .map(|v| v.map_or(f64::NAN, f64::from))
                .collect();
            chart(
                &ch.label,
                &ch.unit,
                &values,
                span,
                &marks,
                shows_on.contains(&ch.label.as_str()),
            )
        })
        .collect();
    let note = trace.start_lost.then(|| {
        format!(
            "The charts start at {}: the rig keeps two hours of channels, and the first of the ten minutes before it opened were no longer held.",
            when(trace.from)
        )
    });
    (order_charts(charts), note)
}

fn crew_row(a: &Acknowledgment) -> CrewRow {
    CrewRow {
        outcome: a.outcome.describe(),
        notes: a.notes.clone(),
        by: a.by.clone(),
        at: when(a.at),
    }
}

/// Its course, oldest first.
fn course(i: &Incident) -> Vec<String> {
    let mut lines: Vec<(chrono::DateTime<chrono::Utc>, String)> = i
        .announcements
        .iter()
        .map(|a| {
            (
                a.at,
                format!(
                    "{} {} — announced at {}",
                    when(a.at),
                    a.reason.label(),
                    a.level.label()
                ),
            )
        })
        .collect();
    if i.announcements.is_empty() {
        lines.push((
            i.opened_at,
            format!(
                "{} opened (not announced: shelved or Low)",
                when(i.opened_at)
            ),
        ));
    }
    if let Some(t) = i.cleared_at {
        lines.push((t, format!("{} cleared: its condition had gone", when(t))));
    }
    if let Some(t) = i.closed_at {
        lines.push((t, format!("{} closed", when(t))));
    }
    lines.sort_by_key(|(t, _)| *t);
    lines.into_iter().map(|(_, l)| l).collect()
}
