//! `GET /api/fleet/library?since=N` (delta sync by version) and `GET /api/fleet/library/stats`.

use super::body::streamed_response;
use super::{json_response, with_db, ApiError};
use crate::hub::auth::RigAuth;
use crate::hub::db::library::{self, FullLibrary, LibraryView, SyncAnswer, SyncRecord};
use crate::hub::state::AppState;
use actix_web::http::header::{ETag, EntityTag, IfNoneMatch};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::Utc;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;

/// The query of a sync.
#[derive(Debug, Deserialize)]
pub struct SyncQuery {
    /// The library version the rig holds (absent or 0: it has none).
    pub since: Option<String>,
}

fn parse_since(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.trim().parse::<i64>() {
        Ok(v) if v >= 0 => Ok(Some(v)),
        _ => Err(ApiError::bad_request(
            format!(
                "since must be a whole number ≥ 0 (the library version the rig holds), got {raw:?}"
            ),
            "since",
        )),
    }
}

/// Active-episode totals by library version. Every change to the active set takes a new version,
/// so a version's total never changes and can be remembered (DESIGN §9: answers per version are
/// cacheable). Only the newest version seen is kept.
#[derive(Default)]
pub struct TotalsByVersion(std::sync::Mutex<Option<(i64, i64)>>);

impl TotalsByVersion {
    fn get(&self, version: i64) -> Option<i64> {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.filter(|(v, _)| *v == version).map(|(_, total)| total)
    }

    fn put(&self, version: i64, total: i64) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none_or(|(v, _)| v <= version) {
            *slot = Some((version, total));
        }
    }
}

/// The whole library at the newest version a full sync asked for, read once and shared: when
/// every rig asks for it at once (a fleet's first day, every rig after a restore), one request
/// reads it and the rest wait for that read instead of each taking a pool connection for its own.
#[derive(Default)]
pub struct FullLibraries(tokio::sync::Mutex<Option<(Instant, Arc<FullLibrary>)>>);

/// How long a library read newer than the version asked for is served anyway: the change watch
/// trails the database by its poll (20 ms) and, under load, up to its staleness limit, and while it
/// does each request would otherwise read again (a loaded CI run read three times for one herd).
const NEWER_SERVED_FOR: std::time::Duration = crate::hub::watch::STALE_AFTER;

impl FullLibraries {
    /// The library at `version`: the one held if it is that version (or a newer one read within
    /// [`NEWER_SERVED_FOR`], while the watch catches up), else read now — once, however many ask.
    /// A database restored to an older version is read afresh once the newer read has aged.
    async fn at(&self, state: &AppState, version: i64) -> Result<Arc<FullLibrary>, ApiError> {
        let mut held = self.0.lock().await;
        if let Some((_, library)) = held.as_ref().filter(|(read_at, l)| {
            l.version == version || (l.version > version && read_at.elapsed() < NEWER_SERVED_FOR)
        }) {
            return Ok(library.clone());
        }
        let library = Arc::new(with_db(state, library::read_full).await?);
        state.metrics.full_library_read();
        *held = Some((Instant::now(), library.clone()));
        Ok(library)
    }
}

/// The library version now: from the change watch while it is live, else one index lookup.
async fn current_version(state: &AppState) -> Result<i64, ApiError> {
    match state.watch.library_version() {
        Some(version) => Ok(version),
        None => Ok(with_db(state, library::head).await?.version),
    }
}

/// Active episodes at `version`, if that is still the version when counted.
async fn total_at(state: &AppState, version: i64) -> Result<Option<i64>, ApiError> {
    if let Some(total) = state.library_totals.get(version) {
        return Ok(Some(total));
    }
    let counted = with_db(state, library::head_with_total).await?;
    let total = counted.total.unwrap_or(0);
    state.library_totals.put(counted.version, total);
    Ok((counted.version == version).then_some(total))
}

/// The answer to (rig, since) at a library version is always the same (DESIGN §9), so this
/// names it. Weak: the same answer may go out zstd-compressed or not.
fn etag(rig: &str, since: Option<i64>, version: i64) -> EntityTag {
    let asked = since.map_or_else(|| "full".to_owned(), |s| format!("since-{s}"));
    EntityTag::new_weak(format!("{rig}.{asked}.v{version}"))
}

fn none_match(req: &HttpRequest, tag: &EntityTag) -> bool {
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(items)) => items.iter().any(|t| t.weak_eq(tag)),
        None => false,
    }
}

fn counts(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Answer a rig's sync: other rigs' episodes changed after `since`, tombstones, or the whole
/// library; 304 when nothing changed (or the rig's `If-None-Match` names the answer).
pub async fn sync(
    req: HttpRequest,
    auth: RigAuth,
    state: web::Data<AppState>,
    query: web::Query<SyncQuery>,
) -> Result<HttpResponse, ApiError> {
    let since = parse_since(query.since.as_deref())?;
    let offset = super::clock::rig_clock_offset(&req, Utc::now())?;
    let rig = auth.rig_id.to_string();
    // A rig with no library: the shared whole library, unless it names that answer already.
    if since.is_none_or(|s| s == 0) {
        let version = current_version(&state).await?;
        // Version 0 asked at version 0 (an empty library) is a 304 like any other up-to-date ask.
        if since != Some(version) && !none_match(&req, &etag(&rig, since, version)) {
            let (response, served) = sync_full(&req, &state, &rig, since, version).await?;
            record(&state, rig, since, &served, offset);
            return Ok(response);
        }
    }
    let (response, served) = match answer(&req, &state, &rig, since).await? {
        SyncAnswer::BeyondVersion { version } => {
            return Err(ApiError::bad_request(
                format!(
                    "since {} is beyond the library version {version}; sync again without since",
                    since.unwrap_or(0)
                ),
                "since",
            ))
        }
        SyncAnswer::NotModified { version, total } => {
            let mut builder = HttpResponse::NotModified();
            library_headers(&mut builder, &rig, since, version, total, 0);
            (builder.finish(), Served::nothing(version))
        }
        SyncAnswer::Changes(view) => {
            state.library_totals.put(view.version, view.total);
            changes(&req, &rig, since, view)?
        }
    };
    record(&state, rig, since, &served, offset);
    Ok(response)
}

/// A rig with no library (or version 0) gets the shared whole library, less its own episodes.
async fn sync_full(
    req: &HttpRequest,
    state: &AppState,
    rig: &str,
    since: Option<i64>,
    version: i64,
) -> Result<(HttpResponse, Served), ApiError> {
    let whole = state.full_libraries.at(state, version).await?;
    let (at, total) = (whole.version, whole.episodes.len() as i64);
    state.library_totals.put(at, total);
    let others = whole.episodes.iter().filter(|(r, _)| r != rig).count();
    let me = rig.to_owned();
    let texts = (0..whole.episodes.len()).filter_map(move |i| {
        let (owner, text) = &whole.episodes[i];
        (owner != &me).then(|| text.as_bytes().to_vec())
    });
    let body = Body {
        version: at,
        full: true,
        total,
        count: others,
        pruned_ids: Vec::new(),
    };
    library_body(req, rig, since, body, texts)
}

/// Log and count one answered sync.
fn record(
    state: &AppState,
    rig: String,
    since: Option<i64>,
    served: &Served,
    offset: Option<chrono::Duration>,
) {
    state.metrics.sync_answer(if served.not_modified {
        "not_modified"
    } else if served.full {
        "full"
    } else {
        "delta"
    });
    state.sync_log.record(SyncRecord {
        rig_id: rig,
        since,
        served_version: served.version,
        delta_count: served.delta_count,
        pruned_count: served.pruned_count,
        full: served.full,
        not_modified: served.not_modified,
        at: Utc::now(),
        clock_offset_secs: offset.map(super::clock::secs),
    });
}

/// The answer to (rig, since) now. The common case, a rig that is up to date, is answered from
/// memory: no database work while the change watch is live (the sync log is written off the
/// request path).
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    rig: &str,
    since: Option<i64>,
) -> Result<SyncAnswer, ApiError> {
    let version = current_version(state).await?;
    let unchanged = since == Some(version) || none_match(req, &etag(rig, since, version));
    if unchanged {
        if let Some(total) = total_at(state, version).await? {
            return Ok(SyncAnswer::NotModified { version, total });
        }
    }
    let reader = rig.to_owned();
    with_db(state, move |conn| {
        library::read_for_rig(conn, &reader, since)
    })
    .await
}

/// What a sync answer served, for the sync log.
struct Served {
    version: i64,
    delta_count: i32,
    pruned_count: i32,
    full: bool,
    not_modified: bool,
}

impl Served {
    fn nothing(version: i64) -> Self {
        Self {
            version,
            delta_count: 0,
            pruned_count: 0,
            full: false,
            not_modified: true,
        }
    }
}

/// The headers every sync answer carries: its ETag and the library's figures.
fn library_headers(
    builder: &mut HttpResponseBuilder,
    rig: &str,
    since: Option<i64>,
    version: i64,
    total: i64,
    delta: usize,
) {
    builder
        .insert_header(ETag(etag(rig, since, version)))
        .insert_header(("X-Library-Version", version.to_string()))
        .insert_header(("X-Total-Episodes", total.to_string()))
        .insert_header(("X-Delta-Count", delta.to_string()));
}

/// What a 200 sync answer says besides its episodes.
struct Body {
    version: i64,
    full: bool,
    total: i64,
    /// Episodes it carries.
    count: usize,
    pruned_ids: Vec<String>,
}

/// A 200 with the changed episodes read for this rig.
fn changes(
    req: &HttpRequest,
    rig: &str,
    since: Option<i64>,
    view: LibraryView,
) -> Result<(HttpResponse, Served), ApiError> {
    let body = Body {
        version: view.version,
        full: view.full,
        total: view.total,
        count: view.episodes.len(),
        pruned_ids: view.pruned_ids,
    };
    let texts = view.episodes.into_iter().map(String::into_bytes);
    library_body(req, rig, since, body, texts)
}

/// A 200 sync answer. The stored episode JSON goes out as it is, streamed: each episode's text
/// is copied out only as it is sent, so a request never holds another copy of the library.
fn library_body(
    req: &HttpRequest,
    rig: &str,
    since: Option<i64>,
    body: Body,
    texts: impl Iterator<Item = Vec<u8>> + 'static,
) -> Result<(HttpResponse, Served), ApiError> {
    let mut builder = HttpResponse::build(StatusCode::OK);
    library_headers(
        &mut builder,
        rig,
        since,
        body.version,
        body.total,
        body.count,
    );
    let served = Served {
        version: body.version,
        delta_count: counts(body.count),
        pruned_count: counts(body.pruned_ids.len()),
        full: body.full,
        not_modified: false,
    };
    let head = format!(
        "{{\"version\":{},\"full\":{},\"episodes\":[",
        body.version, body.full
    );
    let mut tail = b"],\"pruned_ids\":".to_vec();
    serde_json::to_writer(&mut tail, &body.pruned_ids)
        .map_err(|e| ApiError::Internal(format!("encoding tombstones: {e}")))?;
    tail.extend_from_slice(format!(",\"total_fleet_episodes\":{}}}", body.total).as_bytes());
    let episodes = texts.enumerate().flat_map(|(i, text)| {
        let comma = (i > 0).then(|| b",".to_vec());
        comma.into_iter().chain(std::iter::once(text))
    });
    let pieces = std::iter::once(head.into_bytes())
        .chain(episodes)
        .chain(std::iter::once(tail));
    Ok((streamed_response(req, builder, pieces)?, served))
}

/// The library's make-up: by category, outcome and rig, and a score histogram.
pub async fn stats(
    req: HttpRequest,
    _auth: RigAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let stats = with_db(&state, library::stats).await?;
    json_response(&req, StatusCode::OK, &stats)
}
