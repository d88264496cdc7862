//! What the driller's screen shows, built from the core under one short lock: the header, every
//! open or unanswered incident as a banner, the gauges (those the trouble involves highlighted),
//! the quieter incidents and the announcements. The page and its push (`live`) render the same.

use crate::charts::{risk_colour, sparkline, trend_line};
use crate::drilling::readings::{evidence_label, involved, reading, READINGS};
use crate::drilling::{capitalise, duration_words, thousands, AnomalyCategory};
use crate::rig::advisories::{AdvisoryRecord, Filter};
use crate::rig::api::ApiState;
use crate::rig::core::{lock, Core};
use crate::rig::incidents::{Incident, Trend};
use crate::rig::trends::{signal, Span};
use askama::Template;

/// Advisories the screen lists (newest first).
const SCREEN_ADVISORIES: usize = 8;

/// A reading in large type with its trend.
#[derive(Clone)]
pub struct Gauge {
    pub(super) label: &'static str,
    pub(super) value: String,
    pub(super) unit: &'static str,
    pub(super) trend: Option<String>,
    /// The level of the worst open incident this reading is part of ("" when none).
    pub(super) alarm: &'static str,
    /// A line under the value ("since 14:05:12 UTC" for the totaliser).
    pub(super) note: Option<String>,
}

/// An open or unanswered incident as the banner at the top of the screen shows it.
pub struct Banner {
    pub(super) id: String,
    /// Wire name of its level now, for its colour.
    pub(super) level: &'static str,
    pub(super) heading: String,
    pub(super) since: String,
    pub(super) state: &'static str,
    pub(super) words: String,
    pub(super) numbers: Vec<String>,
    pub(super) attached: String,
    pub(super) acknowledged: Option<String>,
}

/// One advisory as the screen shows it.
pub struct AdvisoryView {
    pub(super) risk: String,
    pub(super) colour: &'static str,
    pub(super) heading: String,
    pub(super) at: String,
    pub(super) recommendation: String,
    pub(super) reasoning: String,
    pub(super) evidence: Vec<String>,
    pub(super) precedents: Vec<String>,
    pub(super) acknowledged: Option<String>,
    /// The incident it announced, for its report.
    pub(super) incident: Option<String>,
    /// The explainer's words for it, when shown.
    pub(super) explanation: Option<String>,
}

/// How one screen looks at the rig: the trends' span, and whether it may change things (the
/// totaliser) without asking for the operator token.
#[derive(Debug, Clone, Copy, Default)]
pub struct Viewing {
    /// The trends' span.
    pub span: Span,
    /// No token is needed here (loopback, or the screen signed in with it).
    pub may_change: bool,
}

/// Everything on the screen that changes: rendered into the page and pushed as it changes.
pub struct Live {
    pub(super) rig_id: String,
    pub(super) well_id: String,
    pub(super) campaign: String,
    pub(super) rig_state: String,
    /// "NO DATA — detection paused since 19:36:01 UTC" when the feed is stale or ended.
    pub(super) paused: Option<String>,
    pub(super) banners: Vec<Banner>,
    /// Quieter incidents: Low ones, shelved categories.
    pub(super) quiet: Vec<String>,
    /// `id:level` of every announced incident nobody has answered: what the alarm sounds for.
    pub(super) sound: String,
    pub(super) status: String,
    pub(super) problems: Vec<String>,
    /// The fleet's notices for where this rig is drilling now.
    pub(super) notices: Vec<String>,
    /// The newest parameter insight, in words.
    pub(super) insight: Option<String>,
    /// What offset rigs drilled fastest where the bit is, or just below it.
    pub(super) offset: Option<String>,
    /// The self-healer's actions of the last ten minutes, newest first.
    pub(super) heals: Vec<String>,
    pub(super) baseline: String,
    pub(super) fleet: String,
    pub(super) gauges: Vec<Gauge>,
    /// The trend spans offered: (minutes, label, the one shown).
    pub(super) spans: Vec<(u32, &'static str, bool)>,
    /// Whether this screen shows the totaliser's zero button.
    pub(super) reset_pit: bool,
    pub(super) advisories: Vec<AdvisoryView>,
    pub(super) generated: String,
}

/// The screen's changing part alone, as the push sends it.
#[derive(Template)]
#[template(path = "rig/live.html")]
pub struct LiveFragment {
    /// What it shows.
    pub live: Live,
}

/// One incident as the acknowledge page shows it while the crew answers: its banner and the
/// gauges it involves, live.
pub struct IncidentLive {
    pub(super) incident: Banner,
    pub(super) gauges: Vec<Gauge>,
}

/// The acknowledge page's changing part alone, as the push sends it.
#[derive(Template)]
#[template(path = "rig/incident_live.html")]
pub struct IncidentFragment {
    /// What it shows.
    pub live: IncidentLive,
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() && decimals == 0 => thousands(v),
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "—".into(),
    }
}

/// The trend's colour.
const TREND: &str = "#7fd1ff";

/// One gauge: its newest reading and its trend over `span` on a fixed scale — the baseline's
/// normal range (±2σ, shaded) in a frame of ±4σ (at least ±10 %) where the baseline has locked,
/// else the channel's two-hour extent, so the scale does not jump as the numbers move.
fn gauge(c: &Core, index: usize, span: Span) -> Gauge {
    let ch = &READINGS[index];
    let trends = c.trends();
    let normal = signal(index)
        .and_then(|s| c.pipeline().baseline().locked(s))
        .map(|st| (st.mean, st.std()));
    let (range, band) = match normal {
        Some((mean, sd)) => {
            let half = (4.0 * sd).max(0.1 * mean.abs()).max(1e-6);
            (
                Some((mean - half, mean + half)),
                Some((mean - 2.0 * sd, mean + 2.0 * sd)),
            )
        }
        None => (
            trends.extent(index).map(|(lo, hi)| {
                let pad = ((hi - lo) * 0.05).max(1e-6);
                (lo - pad, hi + pad)
            }),
            None,
        ),
    };
    let series = trends.series(index, span);
    Gauge {
        label: ch.label,
        value: fmt(trends.latest(index), ch.decimals),
        unit: ch.unit,
        trend: range.and_then(|r| trend_line(&series, r, band, TREND)),
        alarm: "",
        note: None,
    }
}

/// Pit gain since the driller zeroed the totaliser, when they have.
fn pit_gain(c: &Core, span: Span) -> Option<Gauge> {
    let (zero, at) = c.pit_reference()?;
    let index = reading("Pit volume")?;
    let series: Vec<f64> = c
        .trends()
        .series(index, span)
        .into_iter()
        .map(|v| v - zero)
        .collect();
    Some(Gauge {
        label: "Pit gain",
        value: fmt(c.trends().latest(index).map(|v| v - zero), 1),
        unit: "bbl",
        trend: sparkline(&series, TREND),
        alarm: "",
        note: Some(format!("since {}", at.format("%H:%M:%S UTC"))),
    })
}

/// Every gauge, in screen order (the totaliser's pit gain after the pit volume).
pub(super) fn gauges(c: &Core, span: Span) -> Vec<Gauge> {
    let mut out: Vec<Gauge> = (0..READINGS.len()).map(|i| gauge(c, i, span)).collect();
    if let (Some(g), Some(at)) = (pit_gain(c, span), reading("Pit volume")) {
        out.insert(at + 1, g);
    }
    out
}

/// Mark the gauges open incidents involve with the worst level among them.
pub(super) fn highlight(gauges: &mut [Gauge], banners: &[(&Incident, &'static str)]) {
    for (incident, level) in banners {
        for g in gauges.iter_mut() {
            if involved(incident.category).contains(&g.label) && g.alarm.is_empty() {
                g.alarm = level;
            }
        }
    }
}

/// What the banner says about an incident: heading, since when, the numbers, the words.
pub(super) fn banner(i: &Incident, now: chrono::DateTime<chrono::Utc>) -> Banner {
    let level = i.now.level.as_str();
    let mut heading = format!(
        "{} {}",
        level.to_uppercase(),
        i.category.label().to_uppercase()
    );
    if let Some(d) = i.depth_ft {
        heading.push_str(&format!(" at {} ft", thousands(d)));
    }
    let trend = match i.trend {
        Trend::Worsening => ", worsening",
        Trend::Steady => "",
        Trend::Easing => ", easing",
    };
    let mut since = format!(
        "since {} ({}{trend})",
        i.opened_at.format("%H:%M:%S UTC"),
        duration_words((now - i.opened_at).num_seconds() as f64)
    );
    if i.peak.level > i.now.level {
        since.push_str(&format!(", peak {}", i.peak.level.label()));
    }
    Banner {
        id: i.id.to_string(),
        level,
        heading,
        since,
        state: i.state.label(),
        words: i.now.words.clone(),
        numbers: i.now.evidence.iter().map(evidence_line).collect(),
        attached: i
            .attached
            .iter()
            .map(|a| a.category.label())
            .collect::<Vec<_>>()
            .join(", "),
        acknowledged: i.acknowledgment.as_ref().map(|k| {
            let mut t = k.outcome.describe();
            if let Some(by) = &k.by {
                t.push_str(&format!(" — {by}"));
            }
            t
        }),
    }
}

/// One measurement as the driller reads it: "Flow out 745 gpm", "SPP 3,450 psi (normally 3,150)".
pub(super) fn evidence_line(e: &crate::drilling::PhysicsEvidence) -> String {
    // Flows, pressures and speeds are read in whole units on the rig floor.
    let whole = matches!(&*e.unit, "gpm" | "psi" | "ft" | "ft/h" | "rpm");
    let decimals = if whole || e.value.abs() >= 100.0 {
        0
    } else {
        1
    };
    let mut line = format!(
        "{} {} {}",
        evidence_label(&e.channel),
        fmt(Some(e.value), decimals),
        e.unit
    );
    if let Some(b) = e.baseline {
        line.push_str(&format!(" (normally {})", fmt(Some(b), decimals)));
    }
    line
}

/// The incidents that get a banner (open, or cleared but unanswered, and announced), unanswered
/// first, then the worst; and the quieter ones in a line each.
pub(super) fn incident_views(
    c: &Core,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<&Incident>, Vec<String>) {
    let book = c.pipeline().incidents();
    let mut loud: Vec<&Incident> = book
        .incidents()
        .iter()
        .filter(|i| !i.is_closed() && !i.announcements.is_empty())
        .collect();
    loud.sort_by_key(|i| (i.is_acknowledged(), std::cmp::Reverse(i.now.level)));
    let mut quiet: Vec<String> = book
        .incidents()
        .iter()
        .filter(|i| !i.is_closed() && i.announcements.is_empty())
        .map(|i| {
            format!(
                "{} {} since {}{}",
                i.now.level.label(),
                i.category.label(),
                i.opened_at.format("%H:%M:%S"),
                if book.is_shelved(i.category, now) {
                    " (shelved)"
                } else {
                    ""
                }
            )
        })
        .collect();
    quiet.extend(book.shelves().iter().map(|s| {
        format!(
            "{} shelved until {} — {}{}",
            capitalise(s.category.label()),
            s.until.format("%H:%M UTC"),
            s.reason,
            s.by.as_ref().map(|b| format!(" ({b})")).unwrap_or_default()
        )
    }));
    (loud, quiet)
}

pub(super) fn view(r: &AdvisoryRecord) -> AdvisoryView {
    let a = &r.advisory;
    let label = a.category.label();
    let mut heading = label.to_uppercase();
    if let Some(d) = r.depth_ft {
        heading.push_str(&format!(" at {} ft", thousands(d)));
    }
    AdvisoryView {
        risk: a.risk_level.as_str().to_owned(),
        colour: risk_colour(a.risk_level.as_str()),
        heading,
        at: a.timestamp.format("%H:%M:%S UTC").to_string(),
        recommendation: a.recommendation.clone(),
        reasoning: a.reasoning.clone(),
        evidence: a.physics.iter().map(evidence_line).collect(),
        precedents: a
            .precedents
            .iter()
            .map(|p| {
                format!(
                    "{} (similarity {:.2}): {}",
                    p.rig_id, p.similarity, p.summary
                )
            })
            .collect(),
        incident: r.incident.as_ref().map(ToString::to_string),
        explanation: r
            .explanation
            .as_ref()
            .and_then(|e| e.text.clone().map(|t| format!("{t} ({})", e.model))),
        acknowledged: r.acknowledgment.as_ref().map(|k| {
            let mut t = k.outcome.describe();
            if let Some(n) = &k.notes {
                t.push_str(&format!(" — {n}"));
            }
            t
        }),
    }
}

/// The fleet's notices that apply at the hole's depth now.
fn notices(c: &Core) -> Vec<String> {
    let depth = c.pipeline().latest().and_then(|s| s.packet.depth_ft());
    c.fleet_status()
        .link
        .map(|l| l.stats.notices)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| crate::rig::notices::on_screen(n, depth))
        .collect()
}

/// What the learned detector finds unusual now, as a quiet line: Low, never an alarm of its own.
fn learned_line(c: &Core) -> Option<String> {
    let u = c.learned().findings().unusual?;
    let what = if u.channels.is_empty() {
        "several channels at once, none far on its own".to_owned()
    } else {
        u.channels_words()
    };
    Some(format!(
        "LOW — unusual {} (learned from this rig's own last hours) since {}: {what}. No rule has confirmed trouble; watch these channels.",
        u.state.to_string().replace('_', " "),
        u.since.format("%H:%M:%S UTC")
    ))
}

/// The newest insights report's advice and its founder point, with when it was made.
fn insight(c: &Core) -> Option<String> {
    if !c.insights().settings().enabled {
        return None;
    }
    let report = c.insights().latest()?;
    let founder = report
        .segments
        .last()
        .and_then(|s| s.founder.as_ref())
        .map_or_else(String::new, |f| {
            format!(" Founder point here ≈ {:.0} klb.", f.wob_klb)
        });
    Some(format!(
        "Drilling insights at {}: {}{founder}",
        report.made_at.format("%H:%M"),
        report.recommendation.text
    ))
}

/// The screen as it stands now.
pub fn live(state: &ApiState, viewing: Viewing) -> Live {
    let health = state.health();
    let c = lock(&state.core);
    let window = c.pipeline().history_window();
    let now = chrono::Utc::now();
    let paused = matches!(health.status, "stale" | "ended").then(|| {
        let since =
            now - chrono::Duration::milliseconds((c.stale_secs().unwrap_or(0.0) * 1_000.0) as i64);
        format!(
            "NO DATA — detection paused since {}",
            since.format("%H:%M:%S UTC")
        )
    });
    let (loud, mut quiet) = incident_views(&c, now);
    quiet.extend(learned_line(&c));
    let stream_now = c.stream().last_time.unwrap_or(now);
    let levels: Vec<(&Incident, &'static str)> =
        loud.iter().map(|i| (*i, i.now.level.as_str())).collect();
    let mut gauges = gauges(&c, viewing.span);
    highlight(&mut gauges, &levels);
    let sound = loud
        .iter()
        .filter(|i| !i.is_acknowledged())
        .map(|i| format!("{}:{}", i.id, i.now.level.max(i.peak.level).as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    Live {
        rig_id: c.identity().rig_id.to_string(),
        well_id: c.identity().well_id.clone(),
        campaign: c.pipeline().campaign().label().into(),
        rig_state: window.last().map_or_else(
            || "no data yet".into(),
            |s| s.metrics.rig_state.to_string().replace('_', " "),
        ),
        paused,
        banners: loud.iter().map(|i| banner(i, stream_now)).collect(),
        quiet,
        sound,
        status: health.status.to_owned(),
        problems: health.problems,
        notices: notices(&c),
        // Advice waits while trouble is on the screen: during a kick the driller sees the kick.
        insight: loud.is_empty().then(|| insight(&c)).flatten(),
        offset: loud
            .is_empty()
            .then(|| crate::rig::notices::offset_here(&c))
            .flatten(),
        heals: health.recent_heals,
        baseline: if health.baseline.progress >= 1.0 {
            "baseline learned".into()
        } else {
            format!(
                "learning the baseline: {:.0} %",
                health.baseline.progress * 100.0
            )
        },
        fleet: health.fleet,
        gauges,
        spans: Span::ALL
            .iter()
            .map(|s| (s.minutes(), s.label(), *s == viewing.span))
            .collect(),
        reset_pit: viewing.may_change
            && reading("Pit volume").is_some_and(|i| c.trends().latest(i).is_some()),
        advisories: c
            .advisories()
            .list(&Filter {
                min_level: None,
                category: None,
                limit: SCREEN_ADVISORIES,
            })
            .iter()
            .map(view)
            .collect(),
        generated: now.format("%H:%M:%S UTC").to_string(),
    }
}

/// The incident a path names (by its own id or the id of an advisory that announced it), as the
/// acknowledge page shows it now.
pub fn incident_live(state: &ApiState, id: &str) -> Option<(Incident, IncidentLive)> {
    let id = crate::fleet::EventId::parse(id).ok()?;
    let c = lock(&state.core);
    let incident_id = c.incident_of(id.as_str())?;
    let incident = c.pipeline().incidents().get(incident_id.as_str())?.clone();
    let mut gauges = gauges(&c, Span::default());
    gauges.retain(|g| involved(incident.category).contains(&g.label));
    highlight(&mut gauges, &[(&incident, incident.now.level.as_str())]);
    let now = c.stream().last_time.unwrap_or_else(chrono::Utc::now);
    let live = IncidentLive {
        incident: banner(&incident, now),
        gauges,
    };
    Some((incident, live))
}

impl IncidentLive {
    /// Whether the crew answered it already.
    pub fn acknowledged(&self) -> Option<&str> {
        self.incident.acknowledged.as_deref()
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.incident.id
    }
}

/// Quick answers per category: what a crew most often did, one tap from the form.
pub fn picks(category: AnomalyCategory) -> &'static [&'static str] {
    use AnomalyCategory::*;
    match category {
        Kick => &[
            "Flow-checked: no flow, drilling resumed",
            "Shut in; SIDPP and SICP recorded",
            "Pit transfer, not a kick",
        ],
        LostCirculation => &[
            "Pump rate reduced; losses stopped",
            "LCM pill pumped",
            "Surface leak or transfer, not losses",
        ],
        PackOff | StuckPipe => &[
            "Flow reduced, pipe worked free, hole circulated clean",
            "Reamed and back-reamed the stand",
        ],
        Washout => &[
            "Surface lines and pumps checked",
            "Pulled out and found the washed connection",
        ],
        TwistOff => &[
            "String weight checked; preparing to fish",
            "Sensor fault, string intact",
        ],
        StickSlip | Founder | MseInefficiency => {
            &["WOB and RPM adjusted", "Bit worn; planned trip"]
        }
        PressureTransition => &["Mud weight raised", "Gas and flow watched; no change"],
    }
}
