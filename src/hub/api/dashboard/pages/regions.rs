//! `GET /dashboard/regions`: every region's roll-up — health, rank, drilling figures, trouble —
//! and every outlier flag of the latest aggregation pass.

use super::super::views::*;
use super::{csv_time, wants_csv};
use crate::charts::{self, Bar};
use crate::hub::analytics::aggregate::{FleetKpis, RegionResult};
use crate::hub::analytics::attention::{figure, kpi_words};
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db::{self, dashboard, DbError};
use crate::hub::state::AppState;
use crate::web::{csv, ApiError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// What the page reads, in one database task.
struct Read {
    regions: Vec<RegionResult>,
    fleet: Option<(DateTime<Utc>, FleetKpis)>,
    outliers: Vec<OutlierLine>,
}

/// `GET /dashboard/regions` (`?format=csv`: the regions; `?table=outliers&format=csv`: the flags).
pub async fn regions(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let stale = state.analytics.stale_after_secs();
    let r = with_db(&state, move |conn| read(conn, stale)).await?;
    if wants_csv(&req) {
        return Ok(if req.query_string().contains("table=outliers") {
            outliers_csv(&r.outliers)
        } else {
            regions_csv(&r.regions, r.fleet.as_ref().map(|(at, _)| *at))
        });
    }
    let now = Utc::now();
    render(
        StatusCode::OK,
        &RegionsPage {
            page: Chrome::page("Regions", &auth.0),
            tiles: tiles(&r, now),
            regions: r.regions.iter().map(region_line).collect(),
            chart: Chart::new(
                "Health by region (mean of its reporting rigs; click a bar for its rigs)",
                charts::horizontal_bars(&health_bars(&r.regions), "health, 0–100"),
                "No region has a reporting rig yet.",
            ),
            outliers: r.outliers,
        },
    )
}

fn read(conn: &mut diesel::PgConnection, stale_after_secs: f64) -> Result<Read, DbError> {
    let outliers = dashboard::rigs(conn, stale_after_secs)?
        .into_iter()
        .filter_map(|r| Some((r.rig_id, r.health?)))
        .flat_map(|(rig_id, h)| {
            let region = h.region.clone();
            h.outliers.into_iter().map(move |o| OutlierLine {
                rig_id: rig_id.clone(),
                region: region.clone(),
                kpi: kpi_words(&o.kpi).to_owned(),
                among: o.among,
                value: figure(o.value),
                median: figure(o.median),
                m: format!("{:+.1}", o.m),
            })
        })
        .collect();
    Ok(Read {
        regions: db::analytics::regions(conn)?,
        fleet: db::analytics::fleet_latest(conn)?,
        outliers,
    })
}

fn tiles(r: &Read, now: DateTime<Utc>) -> Vec<Tile> {
    let Some((at, k)) = &r.fleet else {
        return vec![Tile::new(
            "Regions",
            "—",
            "no aggregation yet: it runs within a minute of the hub starting",
        )];
    };
    vec![
        Tile::new(
            "Regions",
            count(k.regions),
            format!("aggregated {}", ago(Some(*at), now)),
        ),
        Tile::new(
            "Fleet health",
            k.health.map_or_else(|| "—".into(), |h| format!("{h:.0}")),
            format!("{} of {} rigs reporting", k.reporting, k.rigs),
        ),
        Tile::new(
            "Open incidents",
            count(k.open_incidents),
            format!(
                "{} critical · {} not acknowledged",
                k.critical, k.unacknowledged
            ),
        ),
        Tile::new(
            "Outlier rigs",
            count(k.outlier_rigs),
            "by the modified z-score, |M| > 3.5",
        ),
    ]
}

fn region_line(r: &RegionResult) -> RegionLine {
    let opt = |v: Option<f64>, fmt: &dyn Fn(f64) -> String| v.map_or_else(|| "—".into(), fmt);
    RegionLine {
        rank: r.rank,
        region: r.region.clone(),
        link: format!(
            "/dashboard?{}",
            serde_urlencoded::to_string([("region", r.region.as_str())]).unwrap_or_default()
        ),
        rigs: r.rigs,
        reporting: r.reporting,
        health: opt(r.health, &|h| format!("{h:.0}")),
        rop: opt(r.rop_ft_h, &|v| format!("{v:.0}")),
        mse_efficiency: opt(r.mse_efficiency, &|v| format!("{:.0} %", v * 100.0)),
        open: r.open_incidents,
        critical: r.critical,
        unacknowledged: r.unacknowledged,
        outlier_rigs: r.outlier_rigs,
        statuses: r
            .by_status
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

fn health_bars(regions: &[RegionResult]) -> Vec<Bar> {
    regions
        .iter()
        .filter_map(|r| {
            let h = r.health?;
            Some(Bar {
                label: r.region.clone(),
                value: h.round(),
                colour: if h >= 80.0 {
                    "#2b8a3e"
                } else if h >= 60.0 {
                    "#d4a000"
                } else {
                    "#c0001a"
                },
                link: Some(region_line(r).link),
            })
        })
        .collect()
}

fn regions_csv(regions: &[RegionResult], at: Option<DateTime<Utc>>) -> HttpResponse {
    let num = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
    let rows = regions.iter().map(|r| {
        [
            r.rank.to_string(),
            r.region.clone(),
            r.rigs.to_string(),
            r.reporting.to_string(),
            num(r.health),
            num(r.rop_ft_h),
            num(r.mse_efficiency),
            r.open_incidents.to_string(),
            r.critical.to_string(),
            r.unacknowledged.to_string(),
            r.outlier_rigs.to_string(),
            r.members.join(" "),
            csv_time(at),
        ]
    });
    let header = [
        "rank",
        "region",
        "rigs",
        "reporting",
        "health",
        "rop_ft_h",
        "mse_efficiency",
        "open_incidents",
        "critical",
        "unacknowledged",
        "outlier_rigs",
        "rigs_by_health",
        "computed_at",
    ];
    csv::download("sairen-regions.csv", csv::table(&header, rows))
}

fn outliers_csv(lines: &[OutlierLine]) -> HttpResponse {
    let rows = lines.iter().map(|o| {
        [
            o.rig_id.clone(),
            o.region.clone(),
            o.kpi.clone(),
            o.among.clone(),
            o.value.clone(),
            o.median.clone(),
            o.m.clone(),
        ]
    });
    let header = [
        "rig_id",
        "region",
        "kpi",
        "among",
        "value",
        "median",
        "modified_z",
    ];
    csv::download("sairen-outliers.csv", csv::table(&header, rows))
}
