//! The driller's screen at `/`: every open or unanswered incident as a full-width banner at the top
//! (level, what, the numbers, what to do, since when), the numbers that matter in large type with
//! their last minute as a trend line (those the trouble involves highlighted), the rig state — or
//! "NO DATA" with every value greyed when the feed stops — and the announcements below. Each
//! incident is acknowledged on a page of its own (a form on the screen would be wiped by its
//! refresh).

use super::auth::ScreenAuth;
use super::incidents::{apply_acknowledgment, MAX_TEXT};
use super::ApiState;
use crate::charts::{escape, risk_colour, sparkline};
use crate::drilling::{capitalise, duration_words, thousands, AnomalyCategory, WitsPacket};
use crate::fleet::{EventId, EventOutcome, HistorySnapshot};
use crate::rig::advisories::{AdvisoryRecord, Filter};
use crate::rig::core::{lock, Core};
use crate::rig::incidents::{Incident, Trend};
use crate::web::{html_headers, html_page, ApiError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Advisories the screen lists (newest first).
const SCREEN_ADVISORIES: usize = 8;

/// A reading in large type with its trend.
#[derive(Clone)]
struct Gauge {
    label: &'static str,
    value: String,
    unit: &'static str,
    trend: Option<String>,
    /// The level of the worst open incident this reading is part of ("" when none).
    alarm: &'static str,
}

/// An open or unanswered incident as the banner at the top of the screen shows it.
struct Banner {
    id: String,
    /// Wire name of its level now, for its colour.
    level: &'static str,
    heading: String,
    since: String,
    state: &'static str,
    words: String,
    numbers: Vec<String>,
    attached: String,
    acknowledged: Option<String>,
}

/// One advisory as the screen shows it.
struct AdvisoryView {
    risk: String,
    colour: &'static str,
    heading: String,
    at: String,
    recommendation: String,
    reasoning: String,
    evidence: Vec<String>,
    precedents: Vec<String>,
    acknowledged: Option<String>,
}

#[derive(Template)]
#[template(path = "rig/screen.html")]
struct ScreenPage {
    rig_id: String,
    well_id: String,
    campaign: String,
    rig_state: String,
    /// "NO DATA — detection paused since 19:36:01 UTC" when the feed is stale or ended.
    paused: Option<String>,
    banners: Vec<Banner>,
    /// Quieter incidents: Low ones, shelved categories.
    quiet: Vec<String>,
    status: String,
    problems: Vec<String>,
    baseline: String,
    fleet: String,
    gauges: Vec<Gauge>,
    advisories: Vec<AdvisoryView>,
    generated: String,
}

#[derive(Template)]
#[template(path = "rig/acknowledge.html")]
struct AckPage {
    incident: Banner,
    /// The gauges the trouble involves, as they read now.
    gauges: Vec<Gauge>,
    /// Quick answers for this category (what crews most often did).
    picks: &'static [&'static str],
    by: String,
    needs_token: bool,
    error: Option<String>,
    outcome: String,
    text: String,
    notes: String,
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() && decimals == 0 => thousands(v),
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "—".into(),
    }
}

fn gauge(
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

fn gauges(window: &[HistorySnapshot]) -> Vec<Gauge> {
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
fn involved(category: AnomalyCategory) -> &'static [&'static str] {
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
fn highlight(gauges: &mut [Gauge], banners: &[(&Incident, &'static str)]) {
    for (incident, level) in banners {
        for g in gauges.iter_mut() {
            if involved(incident.category).contains(&g.label) && g.alarm.is_empty() {
                g.alarm = level;
            }
        }
    }
}

/// What the banner says about an incident: heading, since when, the numbers, the words.
fn banner(i: &Incident, now: chrono::DateTime<chrono::Utc>) -> Banner {
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
fn evidence_line(e: &crate::drilling::PhysicsEvidence) -> String {
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
fn channel_label(channel: &str) -> &str {
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
fn incident_views(c: &Core, now: chrono::DateTime<chrono::Utc>) -> (Vec<&Incident>, Vec<String>) {
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

fn view(r: &AdvisoryRecord) -> AdvisoryView {
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

/// `GET /`: the driller's screen.
pub async fn screen(
    _viewer: ScreenAuth,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
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
    let page = ScreenPage {
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
        generated: chrono::Utc::now().format("%H:%M:%S UTC").to_string(),
    };
    drop(c);
    html_page(StatusCode::OK, &page)
}

/// Quick answers per category: what a crew most often did, one tap from the form.
fn picks(category: AnomalyCategory) -> &'static [&'static str] {
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

/// The incident a path names (by its own id or the id of an advisory that announced it).
fn find(state: &ApiState, id: &str) -> Option<(Incident, Vec<Gauge>)> {
    let id = EventId::parse(id).ok()?;
    let c = lock(&state.core);
    let incident_id = c.incident_of(id.as_str())?;
    let incident = c.pipeline().incidents().get(incident_id.as_str())?.clone();
    let window = c.pipeline().history_window();
    let mut gauges = gauges(&window);
    gauges.retain(|g| involved(incident.category).contains(&g.label));
    highlight(&mut gauges, &[(&incident, incident.now.level.as_str())]);
    Some((incident, gauges))
}

fn not_found(id: &str) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::NotFound();
    html_headers(&mut response);
    Ok(response.body(format!(
            "<!doctype html><title>Not found</title><p style=\"font:24px sans-serif\">No incident {} is held on this rig. <a href=\"/\">Back to the screen</a></p>",
            escape(&format!("{id:?}"))
        )))
}

/// `GET /advisories/{id}/acknowledge`: the acknowledge form.
pub async fn acknowledge_form(
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some((incident, gauges)) = find(&state, &path) else {
        return not_found(&path);
    };
    let now = lock(&state.core)
        .stream()
        .last_time
        .unwrap_or_else(chrono::Utc::now);
    html_page(
        StatusCode::OK,
        &AckPage {
            incident: banner(&incident, now),
            gauges,
            picks: picks(incident.category),
            by: String::new(),
            needs_token: state.token.is_some() && !viewer.has_token,
            error: None,
            outcome: "resolved".into(),
            text: String::new(),
            notes: String::new(),
        },
    )
}

/// The acknowledge form as posted.
#[derive(Debug, Deserialize)]
pub struct AckForm {
    outcome: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    pick: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    operator_token: String,
}

/// `POST /advisories/{id}/acknowledge`: record it and go back to the screen, or show the form
/// again with what is wrong (the crew's words kept).
pub async fn acknowledge(
    viewer: ScreenAuth,
    req: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    form: web::Form<AckForm>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let Some((incident, gauges)) = find(&state, &id) else {
        return not_found(&id);
    };
    let now = lock(&state.core)
        .stream()
        .last_time
        .unwrap_or_else(chrono::Utc::now);
    let form = form.into_inner();
    let needs_token = state.token.is_some() && !viewer.has_token;
    let refuse = |status: StatusCode, error: String| {
        html_page(
            status,
            &AckPage {
                incident: banner(&incident, now),
                gauges: gauges.clone(),
                picks: picks(incident.category),
                by: form.by.clone(),
                needs_token,
                error: Some(error),
                outcome: form.outcome.clone(),
                text: form.text.clone(),
                notes: form.notes.clone(),
            },
        )
    };
    if needs_token
        && !state
            .token
            .as_ref()
            .is_some_and(|t| t.matches(form.operator_token.trim()))
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "The operator token is wrong: ask the rig's IT person for SAIREN_RIG_OPERATOR_TOKEN."
                .into(),
        );
    }
    // Typed words win over a quick pick.
    let text = Some(form.text.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or(form.pick.trim())
        .to_owned();
    let outcome = match form.outcome.as_str() {
        "resolved" => EventOutcome::Resolved { action_taken: text },
        "escalated" => EventOutcome::Escalated { reason: text },
        "false_positive" => EventOutcome::FalsePositive,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Choose Resolved, Escalated or False alarm.".into(),
            )
        }
    };
    let notes = Some(form.notes.trim().to_owned()).filter(|n| !n.is_empty());
    let by = Some(form.by.trim().to_owned()).filter(|b| !b.is_empty());
    match apply_acknowledgment(&state, &req, incident.id.as_str(), outcome, notes, by) {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .finish()),
        Err(ApiError::BadRequest { message, .. }) => refuse(
            StatusCode::BAD_REQUEST,
            format!("{} (at most {MAX_TEXT} characters).", capitalise(&message)),
        ),
        Err(ApiError::Conflict(_)) => refuse(
            StatusCode::CONFLICT,
            "This incident was acknowledged already, or has closed (see the screen).".into(),
        ),
        Err(other) => Err(other),
    }
}
