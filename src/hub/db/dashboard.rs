//! The figures the fleet dashboard shows: aggregates over rigs, events and episodes, computed in
//! PostgreSQL (a handful of GROUP BYs over indexed columns) so a page costs one round of queries
//! whatever the fleet's size.

use super::status::{hub_status, HubStatus};
use super::DbError;
use crate::drilling::{AnomalyCategory, Campaign, RiskLevel};
use crate::fleet::Heartbeat;
use crate::fleet::OutcomeKind;
use crate::hub::analytics::outliers::Outlier;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel::PgConnection;
use serde::Serialize;

/// A rig that has never sent a heartbeat (an older rig, or one without a link thread) is stale
/// when the hub has not heard from it for this long.
pub const SILENT_AFTER_HOURS: i64 = 48;

/// A rig as the dashboard lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RigOverview {
    /// The rig's id.
    pub rig_id: String,
    /// The well it drills.
    pub well_id: String,
    /// Its field.
    pub field: String,
    /// `active`; `faulted` (its heartbeat says its stream is dead or its health names a
    /// problem); `stale` (no heartbeat within the stale limit, or silent 48 h without one);
    /// `never-seen`; or `revoked`.
    pub status: String,
    /// When it last uploaded, synced or beat.
    pub last_seen: Option<DateTime<Utc>>,
    /// When it last synced the library.
    pub last_sync: Option<DateTime<Utc>>,
    /// The library version it last received.
    pub library_version: Option<i64>,
    /// Events it has uploaded.
    pub event_count: i64,
    /// How far its clock was ahead of the hub's at its latest request that said, seconds.
    pub clock_offset_secs: Option<f64>,
    /// When its latest heartbeat arrived.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// Its latest heartbeat (none: it never sent one, or it no longer reads).
    pub heartbeat: Option<Heartbeat>,
    /// Whether that heartbeat is within the stale limit.
    pub fresh: bool,
    /// Its health, ranks and outlier flags from the latest aggregation pass.
    pub health: Option<RigHealth>,
}

/// A rig's health as the latest aggregation pass left it.
#[derive(Debug, Clone, Serialize)]
pub struct RigHealth {
    /// Its region.
    pub region: String,
    /// Health, 0–100.
    pub health: f64,
    /// 1 = healthiest in its region.
    pub rank_in_region: i32,
    /// 1 = healthiest in the fleet.
    pub rank_in_fleet: i32,
    /// KPIs that make it an outlier.
    pub outliers: Vec<Outlier>,
    /// When the pass ran.
    pub computed_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct RigOverviewRow {
    #[diesel(sql_type = Text)]
    rig_id: String,
    #[diesel(sql_type = Text)]
    well_id: String,
    #[diesel(sql_type = Text)]
    field: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_seen: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_sync: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    library_version: Option<i64>,
    #[diesel(sql_type = BigInt)]
    event_count: i64,
    #[diesel(sql_type = Nullable<Double>)]
    clock_offset_secs: Option<f64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    heartbeat_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    heartbeat: Option<serde_json::Value>,
    #[diesel(sql_type = Bool)]
    fresh: bool,
    #[diesel(sql_type = Nullable<Text>)]
    region: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    health: Option<f64>,
    #[diesel(sql_type = Nullable<Integer>)]
    rank_in_region: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    rank_in_fleet: Option<i32>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    outliers: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    computed_at: Option<DateTime<Utc>>,
}

impl From<RigOverviewRow> for RigOverview {
    fn from(r: RigOverviewRow) -> Self {
        // A stored heartbeat passed intake; one that no longer reads (an older wire shape) is
        // shown as none rather than failing the page.
        let heartbeat = r.heartbeat.and_then(|v| serde_json::from_value(v).ok());
        let health = match (
            r.region,
            r.health,
            r.rank_in_region,
            r.rank_in_fleet,
            r.computed_at,
        ) {
            (Some(region), Some(health), Some(rank_in_region), Some(rank_in_fleet), Some(at)) => {
                Some(RigHealth {
                    region,
                    health,
                    rank_in_region,
                    rank_in_fleet,
                    outliers: r
                        .outliers
                        .and_then(|v| serde_json::from_value(v).ok())
                        .unwrap_or_default(),
                    computed_at: at,
                })
            }
            _ => None,
        };
        Self {
            rig_id: r.rig_id,
            well_id: r.well_id,
            field: r.field,
            status: r.status,
            last_seen: r.last_seen,
            last_sync: r.last_sync,
            library_version: r.library_version,
            event_count: r.event_count,
            clock_offset_secs: r.clock_offset_secs,
            heartbeat_at: r.heartbeat_at,
            heartbeat,
            fresh: r.fresh,
            health,
        }
    }
}

/// Every rig status, in the order a fleet manager reads them.
pub const STATUSES: [&str; 5] = ["active", "faulted", "stale", "never-seen", "revoked"];

/// A count under a name (a category, an outcome, a campaign, a rig).
#[derive(Debug, Clone, Serialize, QueryableByName, PartialEq)]
pub struct NamedCount {
    /// The name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// A count on one UTC day under a name.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    #[diesel(sql_type = Text)]
    pub day: String,
    /// The category or campaign counted.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The fleet at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct FleetSummary {
    /// When these figures were read.
    pub generated_at: DateTime<Utc>,
    /// Every registered rig.
    pub rigs: Vec<RigOverview>,
    /// Rigs by status.
    pub rig_status: Vec<NamedCount>,
    /// Events ever received.
    pub events_total: i64,
    /// Events in the last 24 h.
    pub events_last_24h: i64,
    /// Events per UTC day over the last 30 days (days without events included, count 0).
    pub events_per_day: Vec<NamedCount>,
    /// Events by category.
    pub by_category: Vec<NamedCount>,
    /// Events by outcome.
    pub by_outcome: Vec<NamedCount>,
    /// Library version.
    pub library_version: i64,
    /// Active episodes in the library.
    pub active_episodes: i64,
    /// When the curator last finished.
    pub last_curation: Option<DateTime<Utc>>,
    /// Events the curator has not looked at yet.
    pub events_awaiting_curation: i64,
}

#[derive(QueryableByName)]
struct SummaryCell {
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<Text>)]
    day: Option<String>,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = BigInt)]
    last_24h: i64,
}

/// Sum counts by name, largest first (ties by name).
fn tally<'a>(items: impl Iterator<Item = (&'a str, i64)>) -> Vec<NamedCount> {
    let mut sums: std::collections::BTreeMap<&str, i64> = Default::default();
    for (name, n) in items {
        *sums.entry(name).or_default() += n;
    }
    let mut out: Vec<NamedCount> = sums
        .into_iter()
        .map(|(name, count)| NamedCount {
            name: name.into(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    out
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rigs with their status and their latest health. `$1`: the stale limit in seconds.
const RIGS_SQL: &str = "SELECT r.rig_id, r.well_id, r.field, \
       CASE WHEN r.status = 'revoked' THEN 'revoked' \
            WHEN r.last_seen IS NULL AND r.heartbeat_at IS NULL THEN 'never-seen' \
            WHEN r.heartbeat_at IS NULL THEN \
                 CASE WHEN r.last_seen > now() - make_interval(hours => $2) \
                      THEN 'active' ELSE 'stale' END \
            WHEN r.heartbeat_at < now() - make_interval(secs => $1) THEN 'stale' \
            WHEN NOT coalesce((r.heartbeat->'stream'->>'alive')::boolean, true) \
                 OR coalesce((r.heartbeat->>'faults')::int, 0) > 0 THEN 'faulted' \
            ELSE 'active' END AS status, \
       r.last_seen, r.last_sync, r.library_version, r.event_count, r.clock_offset_secs, \
       r.heartbeat_at, r.heartbeat, \
       coalesce(r.heartbeat_at >= now() - make_interval(secs => $1), false) AS fresh, \
       h.region, h.health, h.rank_in_region, h.rank_in_fleet, h.outliers, h.computed_at \
     FROM rigs r LEFT JOIN rig_health h ON h.rig_id = r.rig_id";

/// Every rig with its derived status, busiest first; a heartbeat older than `stale_after_secs`
/// makes a rig stale.
pub fn rigs(conn: &mut PgConnection, stale_after_secs: f64) -> Result<Vec<RigOverview>, DbError> {
    let rows: Vec<RigOverviewRow> =
        diesel::sql_query(format!("{RIGS_SQL} ORDER BY r.event_count DESC, r.rig_id"))
            .bind::<Double, _>(stale_after_secs)
            .bind::<Integer, _>(SILENT_AFTER_HOURS as i32)
            .load(conn)?;
    Ok(rows.into_iter().map(RigOverview::from).collect())
}

/// One rig with its derived status, if registered.
pub fn rig(
    conn: &mut PgConnection,
    rig_id: &str,
    stale_after_secs: f64,
) -> Result<Option<RigOverview>, DbError> {
    let row: Option<RigOverviewRow> = diesel::sql_query(format!("{RIGS_SQL} WHERE r.rig_id = $3"))
        .bind::<Double, _>(stale_after_secs)
        .bind::<Integer, _>(SILENT_AFTER_HOURS as i32)
        .bind::<Text, _>(rig_id)
        .get_result(conn)
        .optional()?;
    Ok(row.map(RigOverview::from))
}

fn counts(conn: &mut PgConnection, sql: &str) -> Result<Vec<NamedCount>, DbError> {
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// The fleet overview's figures.
pub fn summary(conn: &mut PgConnection, stale_after_secs: f64) -> Result<FleetSummary, DbError> {
    let rigs = rigs(conn, stale_after_secs)?;
    let mut rig_status: Vec<NamedCount> = STATUSES
        .into_iter()
        .map(|s| NamedCount {
            name: s.into(),
            count: rigs.iter().filter(|r| r.status == s).count() as i64,
        })
        .collect();
    rig_status.retain(|c| c.count > 0 || c.name == "active");
    let today = Utc::now().date_naive();
    let from = today - Duration::days(29);
    // One pass over the events (through the covering index) for every event figure.
    let cells: Vec<SummaryCell> = diesel::sql_query(
        "SELECT category, outcome, to_char(d, 'YYYY-MM-DD') AS day, count, last_24h FROM ( \
           SELECT category, outcome, \
                  CASE WHEN occurred_at >= $1 \
                       THEN date_trunc('day', occurred_at AT TIME ZONE 'UTC') END AS d, \
                  count(*) AS count, \
                  count(*) FILTER (WHERE occurred_at > now() - interval '24 hours') AS last_24h \
           FROM events GROUP BY 1, 2, 3) cells",
    )
    .bind::<Timestamptz, _>(day_start(from))
    .load(conn)?;
    let events_total = cells.iter().map(|c| c.count).sum();
    let events_last_24h = cells.iter().map(|c| c.last_24h).sum();
    let events_per_day = days(from, today)
        .map(|d| {
            let day = d.to_string();
            let count = cells
                .iter()
                .filter(|c| c.day.as_deref() == Some(day.as_str()))
                .map(|c| c.count)
                .sum();
            NamedCount { name: day, count }
        })
        .collect();
    let by_category = tally(cells.iter().map(|c| (c.category.as_str(), c.count)));
    let by_outcome = tally(cells.iter().map(|c| (c.outcome.as_str(), c.count)));
    let HubStatus {
        library_version,
        active_episodes,
        last_curation,
        events_awaiting_curation,
    } = hub_status(conn)?;
    Ok(FleetSummary {
        generated_at: Utc::now(),
        rigs,
        rig_status,
        events_total,
        events_last_24h,
        events_per_day,
        by_category,
        by_outcome,
        library_version,
        active_episodes,
        last_curation,
        events_awaiting_curation,
    })
}

/// Every UTC day from `from` to `to`, both included.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Start of `day` (UTC).
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Events per day and category over `from..=to` (UTC days), narrowed by `filter`.
pub fn events_per_day(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    filter: &EventFilter,
) -> Result<Vec<DayCount>, DbError> {
    Ok(filter
        .query(
            "SELECT to_char(d, 'YYYY-MM-DD') AS day, name, count FROM ( \
               SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC') AS d, category AS name, \
                      count(*) AS count \
               FROM {EVENTS} GROUP BY 1, 2) days \
             ORDER BY 1, 2",
            Some(day_range(from, to)),
        )
        .load(conn)?)
}

/// Events per depth band (a bin `bin_ft` deep) over a date range.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct DepthBand {
    /// Top of the band, ft.
    #[diesel(sql_type = Double)]
    pub from_ft: f64,
    /// Events whose depth falls in it.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// What one campaign's events came to over a date range.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct CampaignRate {
    /// `production` or `plug_and_abandonment`.
    #[diesel(sql_type = Text)]
    pub campaign: String,
    /// Events.
    #[diesel(sql_type = BigInt)]
    pub events: i64,
    /// Distinct rigs that raised them.
    #[diesel(sql_type = BigInt)]
    pub rigs: i64,
    /// Events per rig per day over the range.
    #[diesel(sql_type = Double)]
    pub events_per_rig_day: f64,
    /// Share of decided events that were resolved; `None` while none is decided.
    #[diesel(sql_type = Nullable<Double>)]
    pub resolution_rate: Option<f64>,
}

/// An action crews took, and how often, for one category.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct CommonAction {
    /// The category.
    #[diesel(sql_type = Text)]
    pub category: String,
    /// The action as the crew wrote it.
    #[diesel(sql_type = Text)]
    pub action: String,
    /// How many resolved events name it.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The trends page's figures over a date range.
#[derive(Debug, Clone, Serialize)]
pub struct Trends {
    /// First day (UTC) included.
    pub from: NaiveDate,
    /// Last day (UTC) included.
    pub to: NaiveDate,
    /// Events per day and category.
    pub per_day: Vec<DayCount>,
    /// Events per 1,000 ft of depth.
    pub by_depth: Vec<DepthBand>,
    /// Production against P&A.
    pub campaigns: Vec<CampaignRate>,
    /// The three most common actions per category.
    pub common_actions: Vec<CommonAction>,
}

/// Depth band height for "depth against anomaly density".
pub const DEPTH_BAND_FT: f64 = 1_000.0;

/// The trends over `from..=to` (UTC days), narrowed by `filter`.
pub fn trends(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    filter: &EventFilter,
) -> Result<Trends, DbError> {
    let range = day_range(from, to);
    let by_depth = filter
        .query(
            "SELECT floor(depth_ft / $7) * $7 AS from_ft, count(*) AS count FROM {EVENTS} \
             GROUP BY 1 ORDER BY 1",
            Some(range),
        )
        .bind::<Double, _>(DEPTH_BAND_FT)
        .load(conn)?;
    // A rig's days in the range run from when it joined (its registration, or its first event in
    // the range if that came earlier) to the range's end or now, and count at least one: a rig
    // five minutes old is not divided by the whole range.
    let campaigns = filter
        .query(
            "WITH ev AS (SELECT rig_id, campaign, outcome, occurred_at FROM {EVENTS}), \
                  span AS (SELECT r.rig_id, GREATEST(1.0, extract(epoch FROM \
                              LEAST($2, now()) - GREATEST($1, LEAST(r.registered_at, f.first))) \
                              / 86400.0) AS days \
                           FROM rigs r JOIN (SELECT rig_id, min(occurred_at) AS first FROM ev \
                                             GROUP BY rig_id) f USING (rig_id)) \
             SELECT campaign, count(*) AS events, count(DISTINCT rig_id) AS rigs, \
                    count(*)::float8 / (SELECT sum(s.days) FROM span s WHERE s.rig_id IN \
                        (SELECT e2.rig_id FROM ev e2 WHERE e2.campaign = ev.campaign)) \
                      AS events_per_rig_day, \
                    (count(*) FILTER (WHERE outcome = 'resolved'))::float8 \
                      / NULLIF(count(*) FILTER (WHERE outcome <> 'pending'), 0) AS resolution_rate \
             FROM ev GROUP BY 1 ORDER BY 1 DESC",
            Some(range),
        )
        .load(conn)?;
    Ok(Trends {
        from,
        to,
        per_day: events_per_day(conn, from, to, filter)?,
        by_depth,
        campaigns,
        common_actions: common_actions(conn, Some(range), filter, 3)?,
    })
}

/// What narrows the trends to the events a drill-down asked for; each `None` lets all through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// One category.
    pub category: Option<AnomalyCategory>,
    /// One rig.
    pub rig: Option<crate::fleet::RigId>,
    /// One outcome.
    pub outcome: Option<OutcomeKind>,
    /// One depth band: its top, ft (the band is [`DEPTH_BAND_FT`] deep).
    pub band_ft: Option<f64>,
}

impl EventFilter {
    /// `sql` with `{EVENTS}` read as the filtered events, its parameters `$1`–`$6` bound (the
    /// time range, then the filter): a query's own parameters start at `$7`.
    fn query(
        &self,
        sql: &str,
        range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> diesel::query_builder::BoxedSqlQuery<
        'static,
        diesel::pg::Pg,
        diesel::query_builder::SqlQuery,
    > {
        let events = format!(
            "events WHERE ($1::timestamptz IS NULL OR occurred_at >= $1) \
                      AND ($2::timestamptz IS NULL OR occurred_at < $2) \
                      AND ($3::text IS NULL OR category = $3) \
                      AND ($4::text IS NULL OR rig_id = $4) \
                      AND ($5::text IS NULL OR outcome = $5) \
                      AND ($6::float8 IS NULL OR (depth_ft >= $6 AND depth_ft < $6 + {DEPTH_BAND_FT:.1}))"
        );
        diesel::sql_query(sql.replace("{EVENTS}", &events))
            .into_boxed()
            .bind::<Nullable<Timestamptz>, _>(range.map(|r| r.0))
            .bind::<Nullable<Timestamptz>, _>(range.map(|r| r.1))
            .bind::<Nullable<Text>, _>(self.category.map(AnomalyCategory::as_str))
            .bind::<Nullable<Text>, _>(self.rig.as_ref().map(|r| r.as_str().to_owned()))
            .bind::<Nullable<Text>, _>(self.outcome.map(OutcomeKind::as_str))
            .bind::<Nullable<Double>, _>(self.band_ft)
    }
}

/// The instants that bound `from..=to` (UTC days).
fn day_range(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (day_start(from), day_start(to) + Duration::days(1))
}

/// The `per_category` most common actions of resolved events, per category.
fn common_actions(
    conn: &mut PgConnection,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    filter: &EventFilter,
    per_category: i64,
) -> Result<Vec<CommonAction>, DbError> {
    Ok(filter
        .query(
            "SELECT category, action, count FROM ( \
               SELECT category, outcome_text AS action, count(*) AS count, \
                      row_number() OVER (PARTITION BY category \
                                         ORDER BY count(*) DESC, outcome_text) AS rank \
               FROM {EVENTS} AND outcome = 'resolved' AND coalesce(outcome_text, '') <> '' \
               GROUP BY 1, 2) ranked \
             WHERE rank <= $7 ORDER BY category, count DESC, action",
            range,
        )
        .bind::<BigInt, _>(per_category)
        .load(conn)?)
}

/// How one category's events ended.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct CategoryOutcomes {
    /// The category.
    #[diesel(sql_type = Text)]
    pub category: String,
    /// Events.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    /// Still without an outcome.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    /// Resolved by the crew.
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    /// Escalated.
    #[diesel(sql_type = BigInt)]
    pub escalated: i64,
    /// Not real.
    #[diesel(sql_type = BigInt)]
    pub false_positive: i64,
    /// Resolved among decided events; `None` while none is decided (never a misleading 0 %).
    #[diesel(sql_type = Nullable<Double>)]
    pub resolution_rate: Option<f64>,
    /// Median minutes from the event to its resolution being reported.
    #[diesel(sql_type = Nullable<Double>)]
    pub median_minutes_to_resolution: Option<f64>,
}

/// The outcomes endpoint: per category, and the common actions.
#[derive(Debug, Clone, Serialize)]
pub struct Outcomes {
    /// Per category, busiest first.
    pub by_category: Vec<CategoryOutcomes>,
    /// The five most common actions per category.
    pub common_actions: Vec<CommonAction>,
}

/// Outcome figures for the fleet's whole history.
pub fn outcomes(conn: &mut PgConnection) -> Result<Outcomes, DbError> {
    Ok(Outcomes {
        by_category: outcomes_by_category(conn, None)?,
        common_actions: common_actions(conn, None, &EventFilter::default(), 5)?,
    })
}

/// How each category's events ended, for the fleet or one rig.
pub fn outcomes_by_category(
    conn: &mut PgConnection,
    rig_id: Option<&str>,
) -> Result<Vec<CategoryOutcomes>, DbError> {
    Ok(diesel::sql_query(
        "SELECT category, count(*) AS total, \
                count(*) FILTER (WHERE outcome = 'pending') AS pending, \
                count(*) FILTER (WHERE outcome = 'resolved') AS resolved, \
                count(*) FILTER (WHERE outcome = 'escalated') AS escalated, \
                count(*) FILTER (WHERE outcome = 'false_positive') AS false_positive, \
                (count(*) FILTER (WHERE outcome = 'resolved'))::float8 \
                  / NULLIF(count(*) FILTER (WHERE outcome <> 'pending'), 0) AS resolution_rate, \
                percentile_cont(0.5) WITHIN GROUP ( \
                  ORDER BY GREATEST(0, extract(epoch FROM outcome_updated_at - occurred_at)) / 60.0) \
                  FILTER (WHERE outcome = 'resolved' AND outcome_updated_at IS NOT NULL) \
                  AS median_minutes_to_resolution \
         FROM events WHERE ($1::text IS NULL OR rig_id = $1) GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    .bind::<Nullable<Text>, _>(rig_id)
    .load(conn)?)
}

/// One event as the rig page lists it.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct EventListing {
    /// Event id.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Category.
    #[diesel(sql_type = Text)]
    pub category: AnomalyCategory,
    /// Risk level.
    #[diesel(sql_type = Text)]
    pub risk_level: RiskLevel,
    /// Outcome kind.
    #[diesel(sql_type = Text)]
    pub outcome: OutcomeKind,
    /// The action or reason the crew gave, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome_text: Option<String>,
    /// The crew's notes, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub notes: Option<String>,
    /// Campaign.
    #[diesel(sql_type = Text)]
    pub campaign: Campaign,
    /// Measured depth, ft.
    #[diesel(sql_type = Double)]
    pub depth_ft: f64,
    /// When it happened.
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    /// The highest level its incident reached (the level it was sent at, for rigs that send no
    /// course).
    #[diesel(sql_type = Text)]
    pub peak_level: RiskLevel,
    /// How long its incident lasted so far, s, when the rig sent its course.
    #[diesel(sql_type = Nullable<Double>)]
    pub duration_secs: Option<f64>,
    /// When its incident's condition went away, once it has.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub cleared_at: Option<DateTime<Utc>>,
}

/// A rig's newest `limit` events.
pub fn rig_events(
    conn: &mut PgConnection,
    rig_id: &str,
    limit: i64,
) -> Result<Vec<EventListing>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, category, risk_level, outcome, outcome_text, payload->>'notes' AS notes, \
                campaign, depth_ft, occurred_at, coalesce(peak_level, risk_level) AS peak_level, \
                duration_secs, cleared_at \
         FROM events WHERE rig_id = $1 ORDER BY occurred_at DESC, id LIMIT $2",
    )
    .bind::<Text, _>(rig_id)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// The library health page's figures.
#[derive(Debug, Clone, Serialize)]
pub struct LibraryHealth {
    /// Library version.
    pub library_version: i64,
    /// Active episodes.
    pub active_episodes: i64,
    /// Archived episodes.
    pub archived_episodes: i64,
    /// Active episodes per score tenth: `[0.0, 0.1)`, …, `[0.9, 1.0]`.
    pub score_histogram: [i64; 10],
    /// Active episodes per category (every category, zero included).
    pub coverage: Vec<NamedCount>,
    /// Active episodes per contributing rig, most first.
    pub contribution: Vec<NamedCount>,
}

#[derive(QueryableByName)]
struct Bin {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    bin: i32,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Read the library's health.
pub fn library_health(conn: &mut PgConnection) -> Result<LibraryHealth, DbError> {
    let status = hub_status(conn)?;
    let archived_episodes = diesel::sql_query("SELECT count(*) AS n FROM episodes WHERE archived")
        .get_result::<Count>(conn)?
        .n;
    let mut score_histogram = [0i64; 10];
    let bins: Vec<Bin> = diesel::sql_query(
        "SELECT least(width_bucket(score, 0, 1, 10), 10) - 1 AS bin, count(*) AS n \
         FROM episodes WHERE NOT archived GROUP BY 1",
    )
    .load(conn)?;
    for b in bins {
        score_histogram[b.bin.clamp(0, 9) as usize] += b.n;
    }
    let present = counts(
        conn,
        "SELECT category AS name, count(*) AS count FROM episodes WHERE NOT archived GROUP BY 1",
    )?;
    let coverage = crate::drilling::AnomalyCategory::ALL
        .into_iter()
        .map(|c| NamedCount {
            name: c.as_str().into(),
            count: present
                .iter()
                .find(|p| p.name == c.as_str())
                .map_or(0, |p| p.count),
        })
        .collect();
    Ok(LibraryHealth {
        library_version: status.library_version,
        active_episodes: status.active_episodes,
        archived_episodes,
        score_histogram,
        coverage,
        contribution: counts(
            conn,
            "SELECT rig_id AS name, count(*) AS count FROM episodes WHERE NOT archived \
             GROUP BY 1 ORDER BY 2 DESC, 1",
        )?,
    })
}
