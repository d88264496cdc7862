//! The dashboard's pages as askama templates (`templates/hub/`), and the small formatting rules
//! they share. Values are formatted here, so templates only place them; askama escapes every one.

use crate::drilling::{capitalise, thousands, AnomalyCategory, Campaign};
use crate::fleet::OutcomeKind;
use crate::hub::auth::{Caller, Role};
use askama::Template;
use chrono::{DateTime, Utc};

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page title.
    pub title: String,
    /// Reload every 60 s (not on forms).
    pub refresh: bool,
    /// Show the navigation and the sign-out button.
    pub signed_in: bool,
    /// Who is signed in, and as what ("ann · operator"); empty on a message page.
    pub who: String,
    /// Show the administrator's pages (Users, Audit) in the navigation.
    pub admin: bool,
    /// When the page was rendered, UTC.
    pub generated: String,
}

impl Chrome {
    /// The frame of `caller`'s page, which refreshes itself.
    pub fn page(title: impl Into<String>, caller: &Caller) -> Self {
        Self {
            who: format!(
                "{} · {}",
                caller.user.as_deref().unwrap_or("admin key"),
                caller.role
            ),
            admin: caller.role >= Role::Admin,
            refresh: true,
            ..Self::bare(title)
        }
    }

    /// The frame of a page that says only a message (it may be shown before sign-in).
    pub fn bare(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            refresh: false,
            signed_in: true,
            who: String::new(),
            admin: false,
            generated: Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A headline figure: a label, a value and an optional note under it.
#[derive(Debug, Clone)]
pub struct Tile {
    /// What it is.
    pub label: String,
    /// The figure.
    pub value: String,
    /// A line of context ("3 awaiting curation").
    pub note: String,
}

impl Tile {
    /// A tile.
    pub fn new(label: &str, value: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
            note: note.into(),
        }
    }
}

/// A chart, or the sentence that stands in for it when there is nothing to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Heading.
    pub title: String,
    /// The SVG, rendered by `crate::charts` (its labels escaped there).
    pub svg: Option<String>,
    /// Shown instead of an empty chart.
    pub empty: String,
}

impl Chart {
    /// A chart with its heading and empty-state sentence.
    pub fn new(title: &str, svg: Option<String>, empty: &str) -> Self {
        Self {
            title: title.into(),
            svg,
            empty: empty.into(),
        }
    }
}

/// `/dashboard/login`.
#[derive(Template)]
#[template(path = "hub/login.html")]
pub struct LoginPage {
    /// Where to go after signing in.
    pub next: String,
    /// The name typed last time, to type it only once.
    pub user: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// A page that only says something (not found, bad request).
#[derive(Template)]
#[template(path = "hub/message.html")]
pub struct MessagePage {
    /// Frame.
    pub page: Chrome,
    /// Heading.
    pub heading: String,
    /// What happened and what to do.
    pub message: String,
}

/// One rig row of the overview.
#[derive(Debug, Clone)]
pub struct RigListItem {
    /// Id (links to its page).
    pub rig_id: String,
    /// Well.
    pub well_id: String,
    /// Field.
    pub field: String,
    /// Region (from the latest aggregation), or "—".
    pub region: String,
    /// active / faulted / stale / never-seen / revoked.
    pub status: String,
    /// Highest level open now (`critical` … `low`), or `none`.
    pub level: String,
    /// Health 0–100, or "—" before the first aggregation or heartbeat.
    pub health: String,
    /// Why it needs attention now (empty: it does not).
    pub reasons: Vec<String>,
    /// "3 min ago" or "never".
    pub last_seen: String,
    /// "2 h ago" or "never".
    pub last_sync: String,
    /// Library version it holds, or "—".
    pub library_version: String,
    /// Events uploaded.
    pub events: String,
    /// "in step", "10 min ahead", "3 min behind" or "—" (never said).
    pub clock: String,
    /// Off by more than [`CLOCK_OFF_SECS`]: shown as a warning.
    pub clock_off: bool,
}

/// A select of a filter form: its name, the options and the one chosen ("" = all).
#[derive(Debug, Clone)]
pub struct Filter {
    /// The query parameter.
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// The values to choose from.
    pub options: Vec<String>,
    /// The value chosen, or "" for all.
    pub chosen: String,
}

/// A rig clock further than this from the hub's is flagged (seconds).
pub const CLOCK_OFF_SECS: f64 = crate::hub::analytics::attention::CLOCK_OFF_SECS;

/// A rig's clock offset in words, and whether it is off.
pub fn clock_words(offset_secs: Option<f64>) -> (String, bool) {
    match offset_secs {
        None => ("—".into(), false),
        Some(s) if s.abs() <= CLOCK_OFF_SECS => ("in step".into(), false),
        Some(s) => (
            format!(
                "{} {}",
                crate::drilling::duration_words_rounded(s.abs()),
                if s > 0.0 { "ahead" } else { "behind" }
            ),
            true,
        ),
    }
}

/// `/dashboard`: the fleet overview.
#[derive(Template)]
#[template(path = "hub/overview.html")]
pub struct OverviewPage {
    /// Frame.
    pub page: Chrome,
    /// Headline figures.
    pub tiles: Vec<Tile>,
    /// The rigs the filters let through, those needing attention first.
    pub rigs: Vec<RigListItem>,
    /// Of those, how many need attention now.
    pub attention: usize,
    /// Rigs registered in all.
    pub rigs_total: usize,
    /// Region, field and status filters.
    pub filters: Vec<Filter>,
    /// The rig search as typed ("" for none).
    pub rig_search: String,
    /// The filters as a query string (`region=North%20Sea&`), for the CSV link; empty: none.
    pub filter_query: String,
    /// Storm mode: since when and why (empty: off).
    pub storm: String,
    /// Events per day, categories, outcomes.
    pub charts: Vec<Chart>,
}

/// One event row of a rig page.
#[derive(Debug, Clone)]
pub struct EventLine {
    /// The event's id (for the outcome form).
    pub id: String,
    /// Nobody has said yet: the fleet desk may record the outcome.
    pub pending: bool,
    /// When (UTC).
    pub at: String,
    /// Category label.
    pub category: String,
    /// Risk wire name (for the badge's colour).
    pub risk: String,
    /// The highest level its incident reached, wire name.
    pub peak: String,
    /// How long its incident lasted ("14 min"; "ongoing, 6 min"; "—" when the rig sent no course).
    pub duration: String,
    /// Depth, ft.
    pub depth: String,
    /// Campaign label.
    pub campaign: String,
    /// Outcome label.
    pub outcome: String,
    /// The action or reason, as the crew wrote it.
    pub outcome_text: String,
    /// The crew's notes.
    pub notes: String,
}

/// `/dashboard/rigs/{id}`.
#[derive(Template)]
#[template(path = "hub/rig.html")]
pub struct RigPage {
    /// Frame.
    pub page: Chrome,
    /// The viewer may record outcomes (operator or administrator).
    pub can_act: bool,
    /// The rig.
    pub rig: RigListItem,
    /// Its latest heartbeat's figures, label and value (empty: none yet).
    pub kpis: Vec<(String, String)>,
    /// Its outlier flags in words.
    pub outliers: Vec<String>,
    /// Headline figures.
    pub tiles: Vec<Tile>,
    /// Timeline and categories.
    pub charts: Vec<Chart>,
    /// Newest events first.
    pub events: Vec<EventLine>,
    /// How many events the table leaves out.
    pub more_events: i64,
}

/// One contributing rig on the library page.
#[derive(Debug, Clone)]
pub struct Contribution {
    /// Rig id.
    pub rig_id: String,
    /// Active episodes from it.
    pub episodes: String,
    /// Its share of the library, percent.
    pub share: String,
}

/// `/dashboard/library`.
#[derive(Template)]
#[template(path = "hub/library.html")]
pub struct LibraryPage {
    /// Frame.
    pub page: Chrome,
    /// Headline figures.
    pub tiles: Vec<Tile>,
    /// A warning when one rig dominates the library.
    pub warning: Option<String>,
    /// Score histogram and coverage.
    pub charts: Vec<Chart>,
    /// Categories with no active episode.
    pub uncovered: Vec<String>,
    /// Rigs by contribution.
    pub contributions: Vec<Contribution>,
}

/// `/dashboard/audit`: the audit trail.
#[derive(Template)]
#[template(path = "hub/audit.html")]
pub struct AuditPage {
    /// Frame.
    pub page: Chrome,
    /// The chain's state in words.
    pub chain: String,
    /// Whether the chain is broken (shown as a warning).
    pub broken: bool,
    /// The filter's actions, and whether each is the one chosen.
    pub actions: Vec<(String, bool)>,
    /// The rig filter.
    pub rig: String,
    /// The CSV export of what is shown.
    pub export: String,
    /// Newest first.
    pub entries: Vec<AuditLine>,
}

/// One audit entry on the page.
#[derive(Debug, Clone)]
pub struct AuditLine {
    /// Its place in the chain.
    pub id: String,
    /// When.
    pub at: String,
    /// What.
    pub action: String,
    /// Who.
    pub actor: String,
    /// From where.
    pub source: String,
    /// About which rig.
    pub rig_id: String,
    /// Before and after.
    pub detail: String,
}

/// A campaign row on the trends page.
#[derive(Debug, Clone)]
pub struct CampaignLine {
    /// Production or P&A.
    pub campaign: String,
    /// Events.
    pub events: String,
    /// Rigs.
    pub rigs: String,
    /// Events per rig per day.
    pub per_rig_day: String,
    /// Resolution rate, or "No outcome data yet".
    pub resolution: String,
}

/// A common-action row.
#[derive(Debug, Clone)]
pub struct ActionLine {
    /// Category label.
    pub category: String,
    /// The action.
    pub action: String,
    /// How often.
    pub count: String,
}

/// `/dashboard/trends`.
#[derive(Template)]
#[template(path = "hub/trends.html")]
pub struct TrendsPage {
    /// Frame.
    pub page: Chrome,
    /// The range shown (or asked for, when refused).
    pub from: String,
    /// End of range.
    pub to: String,
    /// The one category shown (wire name), or "" for every one.
    pub category: String,
    /// The category select's options: (wire name, label).
    pub categories: Vec<(String, String)>,
    /// What else narrows the page (a drill-down's rig, outcome or depth band).
    pub narrowed: Vec<Narrowing>,
    /// The page's own link, filters and all (its CSV links add to it).
    pub query: String,
    /// Why the range was refused.
    pub error: Option<String>,
    /// Over time, over depth.
    pub charts: Vec<Chart>,
    /// Production vs P&A.
    pub campaigns: Vec<CampaignLine>,
    /// Most common actions per category.
    pub actions: Vec<ActionLine>,
}

/// One thing a drill-down narrowed a page to, kept by its form and lifted by its link.
pub struct Narrowing {
    /// In words: "rig RIG-A".
    pub what: String,
    /// Its query parameter.
    pub name: &'static str,
    /// Its value there.
    pub value: String,
    /// The page without it.
    pub lift: String,
}

/// Render a page as HTML (one definition for both dashboards, in `crate::web`).
pub use crate::web::html_page as render;

/// "3 min ago", "5 h ago", "2 d ago", or "never".
pub fn ago(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(t) = t else {
        return "never".into();
    };
    format!(
        "{} ago",
        crate::drilling::duration_words((now - t).num_seconds() as f64)
    )
}

/// A count with thousands separators.
pub fn count(n: i64) -> String {
    thousands(n as f64)
}

/// Below this many, a share is told as "1 of 1", not "100 %": a percentage of one or two
/// decided events says more than it knows.
pub const FEW: i64 = 5;

/// `part` of `whole` as a percentage, as "1 of 2" while the whole is under [`FEW`], or "No
/// outcome data yet" when it is nothing.
pub fn share(part: i64, whole: i64) -> String {
    match whole {
        0 => percent_or_none(None),
        w if w < FEW => format!("{part} of {w}"),
        w => percent_or_none(Some(part as f64 / w as f64)),
    }
}

/// A share as a percentage, or the honest "No outcome data yet" when there is no denominator.
pub fn percent_or_none(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.0} %", r * 100.0),
        _ => "No outcome data yet".into(),
    }
}

/// A category's label from its wire name (the name itself if unknown).
pub fn category_label(name: &str) -> String {
    AnomalyCategory::from_name(name).map_or_else(|| name.to_owned(), |c| capitalise(c.label()))
}

/// An outcome's label from its wire name (the name itself if unknown).
pub fn outcome_label(name: &str) -> String {
    OutcomeKind::from_name(name).map_or_else(|| name.to_owned(), |k| k.label().to_owned())
}

/// A campaign's label from its wire name (the name itself if unknown).
pub fn campaign_label(name: &str) -> String {
    Campaign::from_name(name).map_or_else(|| name.to_owned(), |c| c.label().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ages_read_naturally() {
        let now = Utc::now();
        assert_eq!(ago(None, now), "never");
        assert_eq!(ago(Some(now - Duration::seconds(30)), now), "30 s ago");
        assert_eq!(ago(Some(now - Duration::minutes(5)), now), "5 min ago");
        assert_eq!(ago(Some(now - Duration::hours(47)), now), "47 h ago");
        assert_eq!(ago(Some(now - Duration::days(3)), now), "3 d ago");
    }

    #[test]
    fn no_denominator_is_never_zero_percent() {
        assert_eq!(percent_or_none(None), "No outcome data yet");
        assert_eq!(percent_or_none(Some(0.0)), "0 %");
        assert_eq!(percent_or_none(Some(0.756)), "76 %");
        assert_eq!(share(1, 1), "1 of 1", "one decided event is no 100 %");
        assert_eq!(share(3, 4), "3 of 4");
        assert_eq!(share(3, 5), "60 %");
        assert_eq!(share(0, 0), "No outcome data yet");
    }

    #[test]
    fn labels() {
        assert_eq!(category_label("pack_off"), "Pack-off");
        assert_eq!(
            category_label("<b>"),
            "<b>",
            "unknown names pass through (escaped later)"
        );
        assert_eq!(campaign_label("plug_and_abandonment"), "P&A");
        assert_eq!(outcome_label("false_positive"), "False alarm");
    }
}

/// `/dashboard/users` (administrators).
#[derive(Template)]
#[template(path = "hub/users.html")]
pub struct UsersPage {
    /// Frame.
    pub page: Chrome,
    /// Why the last change was refused.
    pub error: Option<String>,
    /// What the last change did.
    pub notice: Option<String>,
    /// Every user, by name.
    pub users: Vec<UserLine>,
    /// The roles to choose from, least first.
    pub roles: Vec<&'static str>,
    /// Shortest password accepted.
    pub min_password: usize,
}

/// One user on the Users page.
#[derive(Debug, Clone)]
pub struct UserLine {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// `enabled`, or `disabled <when>`.
    pub status: String,
    /// When they were added.
    pub added: String,
    /// Their last sign-in, or "never".
    pub last_sign_in: String,
    /// Whether the page offers to disable them (enabled, and not the viewer themself).
    pub can_disable: bool,
}

/// One region's row on the regions page.
#[derive(Debug, Clone)]
pub struct RegionLine {
    /// 1 = healthiest.
    pub rank: i32,
    /// The region.
    pub region: String,
    /// The overview filtered to it.
    pub link: String,
    /// Rigs in it.
    pub rigs: i32,
    /// With a fresh heartbeat.
    pub reporting: i32,
    /// Mean health, or "—".
    pub health: String,
    /// On-bottom-weighted ROP, ft/h, or "—".
    pub rop: String,
    /// On-bottom-weighted MSE efficiency, or "—".
    pub mse_efficiency: String,
    /// Incidents open.
    pub open: i64,
    /// At critical.
    pub critical: i64,
    /// Not acknowledged.
    pub unacknowledged: i64,
    /// Rigs flagged as outliers.
    pub outlier_rigs: i64,
    /// "3 active · 1 stale".
    pub statuses: String,
}

/// One outlier flag on the regions page.
#[derive(Debug, Clone)]
pub struct OutlierLine {
    /// The rig.
    pub rig_id: String,
    /// Its region.
    pub region: String,
    /// The KPI in words.
    pub kpi: String,
    /// "fleet" or the region it was judged in.
    pub among: String,
    /// The rig's value.
    pub value: String,
    /// The median it stands out from.
    pub median: String,
    /// Its modified z-score, signed.
    pub m: String,
}

/// `/dashboard/regions`.
#[derive(Template)]
#[template(path = "hub/regions.html")]
pub struct RegionsPage {
    /// Frame.
    pub page: Chrome,
    /// Headline figures.
    pub tiles: Vec<Tile>,
    /// Healthiest first.
    pub regions: Vec<RegionLine>,
    /// Health by region.
    pub chart: Chart,
    /// Every outlier flag.
    pub outliers: Vec<OutlierLine>,
}

/// One correlation on the correlations page.
#[derive(Debug, Clone)]
pub struct CorrelationLine {
    /// In words.
    pub text: String,
    /// The region.
    pub region: String,
    /// The category, as a driller says it.
    pub category: String,
    /// The rigs that met it (each links to its page).
    pub rigs: Vec<String>,
    /// Incidents counted.
    pub incidents: usize,
    /// "7,950–8,400 ft", or that depths are not comparable.
    pub band: String,
    /// The first incident, UTC.
    pub first_at: String,
    /// The last incident, UTC.
    pub last_at: String,
    /// When the fleet first saw it ("3 h ago").
    pub seen: String,
}

/// `/dashboard/correlations`.
#[derive(Template)]
#[template(path = "hub/correlations.html")]
pub struct CorrelationsPage {
    /// Frame.
    pub page: Chrome,
    /// The window, hours.
    pub window_hours: i64,
    /// How close in depth two rigs' incidents make a band, ft.
    pub band_ft: String,
    /// Newest first.
    pub correlations: Vec<CorrelationLine>,
}

/// One analyser on the Analysers page.
#[derive(Debug, Clone)]
pub struct AnalyserLine {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: i32,
    /// What it does.
    pub about: String,
    /// Running.
    pub active: bool,
    /// Its confidence threshold.
    pub min_confidence: String,
    /// "every pass" or "at most every 300 s".
    pub min_interval: String,
    /// The same in seconds, for the form.
    pub min_interval_secs: i32,
    /// When it last ran.
    pub last_run: String,
    /// When and by whom its slot was last changed.
    pub changed: String,
    /// Findings it holds.
    pub findings: usize,
}

/// One finding on the Analysers page.
#[derive(Debug, Clone)]
pub struct FindingLine {
    /// "outliers v1".
    pub analyser: String,
    /// The rig, if one.
    pub rig_id: Option<String>,
    /// The region, or "".
    pub region: String,
    /// How sure.
    pub confidence: String,
    /// In words.
    pub summary: String,
}

/// `/dashboard/analysers`.
#[derive(Template)]
#[template(path = "hub/analysers.html")]
pub struct AnalysersPage {
    /// Frame.
    pub page: Chrome,
    /// The viewer may switch analysers (operator or administrator).
    pub can_act: bool,
    /// Every analyser.
    pub analysers: Vec<AnalyserLine>,
    /// The current findings, most confident first (at most 500).
    pub findings: Vec<FindingLine>,
}

/// One field on the insights page: where its rigs drilled fastest, interval by interval.
#[derive(Debug, Clone)]
pub struct FieldInsights {
    /// The field.
    pub field: String,
    /// Rigs that reported insights there.
    pub rigs: i64,
    /// Segments held.
    pub segments: i64,
    /// Its intervals, shallowest first.
    pub intervals: Vec<OffsetLine>,
}

/// One offset interval as the insights page lists it.
#[derive(Debug, Clone)]
pub struct OffsetLine {
    /// "8,000–8,600 ft".
    pub depth: String,
    /// "28–32 klb, 140–160 rpm".
    pub band: String,
    /// Median ROP there, ft/h.
    pub rop: String,
    /// "≈ 30 klb", or "—".
    pub founder: String,
    /// Rigs that drilled it.
    pub rigs: u32,
    /// Hours of drilling it rests on.
    pub hours: String,
}

/// `/dashboard/insights`.
#[derive(Template)]
#[template(path = "hub/insights.html")]
pub struct InsightsPage {
    /// Frame.
    pub page: Chrome,
    /// Fields with most rigs first.
    pub fields: Vec<FieldInsights>,
}
