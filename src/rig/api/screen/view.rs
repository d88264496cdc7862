//! What the driller's screen shows, built from the core under one short lock: the header, every
//! open or unanswered incident as a banner, the gauges (those the trouble involves highlighted),
//! the quieter incidents and the announcements. The page and its push (`live`) render the same.

use crate::charts::{risk_colour, sparkline};
use crate::drilling::{capitalise, duration_words, thousands, AnomalyCategory, WitsPacket};
use crate::fleet::HistorySnapshot;
use crate::rig::advisories::{AdvisoryRecord, Filter};
use crate::rig::api::ApiState;
use crate::rig::core::{lock, Core};
use crate::rig::incidents::{Incident, Trend};
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
    pub(super) baseline: String,
    pub(super) fleet: String,
    pub(super) gauges: Vec<Gauge>,
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

pub(super) fn gauge(
    window: &[HistorySnapshot],
    label: &'static str,
    unit: &'static str,
    decimals: usize,
    read: impl Fn(&HistorySnapshot) -> Option<f64>,
) -> Gauge {
    let values: Vec<f64> = window.iter().map(|s| read(s).unwrap_or(f64::NAN)).collect();
    Gauge {
        label,
        value: fmt(window.last().and_then(&read), decimals),
        unit,
        trend: sparkline(&values, "#7fd1ff"),
        alarm: "",
    }
}

pub(super) fn gauges(window: &[HistorySnapshot]) -> Vec<Gauge> {
    let p = |f: fn(&WitsPacket) -> Option<f64>| move |s: &HistorySnapshot| f(&s.packet);
    let delta = |s: &HistorySnapshot| Some(s.packet.flow_out_gpm? - s.packet.flow_in_gpm?);
    vec![
        gauge(window, "Depth", "ft", 0, p(|p| p.depth_ft())),
        gauge(window, "ROP", "ft/h", 0, p(|p| p.rop_ft_h)),
        gauge(window, "WOB", "klb", 1, p(|p| p.wob_klb)),
        gauge(window, "RPM", "rpm", 0, p(|p| p.rpm)),
        gauge(window, "Torque", "kft·lbf", 1, p(|p| p.torque_kftlbf)),
        gauge(window, "Hookload", "klb", 0, p(|p| p.hookload_klb)),
        gauge(window, "SPP", "psi", 0, p(|p| p.spp_psi)),
        gauge(window, "Casing", "psi", 0, p(|p| p.casing_pressure_psi)),
        gauge(window, "Flow in", "gpm", 0, p(|p| p.flow_in_gpm)),
        gauge(window, "Flow out", "gpm", 0, p(|p| p.flow_out_gpm)),
        gauge(window, "Δ flow", "gpm", 0, delta),
        gauge(window, "Pit volume", "bbl", 1, p(|p| p.pit_volume_bbl)),
        gauge(window, "Gas", "%", 1, p(|p| p.gas_pct)),
        gauge(window, "MSE", "psi", 0, |s| s.metrics.mse_psi),
        gauge(window, "dc-exponent", "", 2, |s| s.metrics.dc_exponent),
    ]
}

/// The gauges a category's trouble shows on.
pub(super) fn involved(category: AnomalyCategory) -> &'static [&'static str] {
    use AnomalyCategory::*;
    match category {
        Kick | LostCirculation => &["Flow in", "Flow out", "Δ flow", "Pit volume"],
        PackOff => &["SPP", "Torque", "Flow in"],
        Washout => &["SPP", "Flow in"],
        TwistOff => &["Torque", "Hookload", "SPP"],
        StuckPipe => &["Torque", "ROP", "RPM", "Hookload"],
        StickSlip => &["RPM", "Torque"],
        Founder => &["MSE", "WOB", "ROP"],
        MseInefficiency => &["MSE"],
        PressureTransition => &["dc-exponent", "Gas"],
    }
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
    let decimals = if e.value.abs() >= 100.0 { 0 } else { 1 };
    let mut line = format!(
        "{} {} {}",
        channel_label(&e.channel),
        fmt(Some(e.value), decimals),
        e.unit
    );
    if let Some(b) = e.baseline {
        line.push_str(&format!(" (normally {})", fmt(Some(b), decimals)));
    }
    line
}

/// A channel's name on the rig floor.
pub(super) fn channel_label(channel: &str) -> &str {
    match channel {
        "flow_in_gpm" => "Flow in",
        "flow_out_gpm" => "Flow out",
        "delta_flow_gpm" => "Δ flow",
        "pit_gain_bbl" => "Pit gain",
        "pit_rate_bbl_min" => "Pit rate",
        "spp_psi" => "SPP",
        "torque_kftlbf" => "Torque",
        "hookload_klb" => "Hookload",
        "rpm_cv_pct" => "RPM swing",
        "mse_psi" => "MSE",
        "wob_klb" => "WOB",
        "rop_ft_h" => "ROP",
        "mse_efficiency" => "Efficiency",
        "dc_exponent" => "dc-exponent",
        other => other,
    }
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
        acknowledged: r.acknowledgment.as_ref().map(|k| {
            let mut t = k.outcome.describe();
            if let Some(n) = &k.notes {
                t.push_str(&format!(" — {n}"));
            }
            t
        }),
    }
}

/// The screen as it stands now.
pub fn live(state: &ApiState) -> Live {
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
    let (loud, quiet) = incident_views(&c, now);
    let stream_now = c.stream().last_time.unwrap_or(now);
    let levels: Vec<(&Incident, &'static str)> =
        loud.iter().map(|i| (*i, i.now.level.as_str())).collect();
    let mut gauges = gauges(&window);
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
    let window = c.pipeline().history_window();
    let mut gauges = gauges(&window);
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
