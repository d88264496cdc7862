//! `GET /dashboard/insights`: per field, the parameters its rigs drilled fastest interval by
//! interval down the hole — the same intervals each rig of the field is told (less its own).

use super::super::views::*;
use crate::drilling::thousands;
use crate::hub::analytics::offsets;
use crate::hub::api::with_db;
use crate::hub::auth::PageAuth;
use crate::hub::db;
use crate::hub::state::AppState;
use crate::web::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// Fields shown at most (most rigs first).
const FIELDS_SHOWN: usize = 50;

/// `GET /dashboard/insights`.
pub async fn insights(
    auth: PageAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let fields = with_db(&state, |conn| {
        let mut out = Vec::new();
        for (field, rigs, segments) in db::insights::fields(conn)?.into_iter().take(FIELDS_SHOWN) {
            let rows = db::insights::field_segments(conn, &field, None)?;
            out.push(FieldInsights {
                intervals: offsets::intervals(&rows).iter().map(line).collect(),
                field,
                rigs,
                segments,
            });
        }
        Ok::<_, db::DbError>(out)
    })
    .await?;
    render(
        StatusCode::OK,
        &InsightsPage {
            page: Chrome::page("Drilling insights", &auth.0),
            fields,
        },
    )
}

fn line(i: &crate::fleet::insights::OffsetInterval) -> OffsetLine {
    OffsetLine {
        depth: format!("{}–{} ft", thousands(i.from_ft), thousands(i.to_ft)),
        band: i.best.words(),
        rop: thousands(i.best.rop_median_ft_h),
        founder: i
            .founder_wob_klb
            .map_or_else(|| "—".into(), |f| format!("≈ {f:.0} klb")),
        rigs: i.rigs,
        hours: format!("{:.1}", i.hours),
    }
}
