//! The screen's push. `GET /live` (`/live?incident=ID` for the acknowledge page) is a stream of
//! server-sent events, each the changing part of the page rendered exactly as the page renders
//! it; one goes out when the core changed (looked at every 200 ms, so a confirming packet is on
//! the screen well within a second) and at least every 2 s (a feed that stops shows as stopped
//! without a packet). `GET /screen.js` swaps each in, sounds the alarm, and reloads the page if
//! the push goes quiet; without scripts the page refreshes itself every 5 s.

use super::view::{self, IncidentFragment, LiveFragment, Viewing};
use super::ScreenAuth;
use crate::rig::api::ApiState;
use crate::rig::core::lock;
use crate::web::ApiError;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a stream looks for a change.
const POLL: Duration = Duration::from_millis(200);
/// A stream sends at least this often, changed or not.
const AT_LEAST_EVERY: Duration = Duration::from_secs(2);
/// Screens that may follow the rig at once; beyond, a screen falls back to its 5 s refresh.
pub const MAX_STREAMS: usize = 16;

/// One of the [`MAX_STREAMS`] places, given back when its stream ends.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(count: &Arc<AtomicUsize>) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_STREAMS).then_some(n + 1)
            })
            .ok()?;
        Some(Self(count.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `?incident=` for the acknowledge page's numbers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    incident: Option<String>,
    trend: Option<u32>,
}

/// `GET /live`: the screen's changes as server-sent events.
pub async fn live(
    viewer: ScreenAuth,
    state: web::Data<ApiState>,
    query: web::Query<LiveQuery>,
) -> Result<HttpResponse, ApiError> {
    let LiveQuery { incident, trend } = query.into_inner();
    let viewing = super::viewing(&state, &viewer, trend)?;
    if let Some(id) = &incident {
        if view::incident_live(&state, id).is_none() {
            return Err(ApiError::NotFound(format!(
                "no incident {id} is held on this rig"
            )));
        }
    }
    let slot = Slot::take(&state.live_streams).ok_or_else(|| {
        ApiError::Unavailable(format!(
            "{MAX_STREAMS} screens already follow this rig live; this one refreshes every 5 s instead"
        ))
    })?;
    let feed = Feed {
        state: state.into_inner(),
        incident,
        viewing,
        _slot: slot,
        last: None,
        sent: None,
        done: false,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(futures_util::stream::unfold(feed, Feed::next)))
}

/// One screen's stream.
struct Feed {
    state: Arc<ApiState>,
    incident: Option<String>,
    viewing: Viewing,
    _slot: Slot,
    last: Option<u64>,
    sent: Option<Instant>,
    done: bool,
}

impl Feed {
    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Self)> {
        if self.done {
            return None;
        }
        loop {
            if self.state.stopping.load(Ordering::Relaxed) {
                return None;
            }
            let (version, ended) = {
                let c = lock(&self.state.core);
                (c.version(), c.stream().ended)
            };
            let due = self.sent.is_none_or(|t| t.elapsed() >= AT_LEAST_EVERY);
            if Some(version) != self.last || due {
                self.last = Some(version);
                self.sent = Some(Instant::now());
                // The feed's end is shown once; then the stream ends with the rig.
                self.done = ended;
                let event = event(&self.render());
                return Some((Ok(event), self));
            }
            actix_rt::time::sleep(POLL).await;
        }
    }

    fn render(&self) -> String {
        let html = match &self.incident {
            None => LiveFragment {
                live: view::live(&self.state, self.viewing),
            }
            .render(),
            Some(id) => match view::incident_live(&self.state, id) {
                Some((_, live)) => IncidentFragment { live }.render(),
                None => return String::new(),
            },
        };
        html.unwrap_or_else(|e| {
            log::error!("the screen's push could not render: {e}");
            String::new()
        })
    }
}

/// One server-sent event named `live` carrying `html` (a `data:` line per line).
fn event(html: &str) -> Bytes {
    let mut out = String::with_capacity(html.len() + html.len() / 40 + 16);
    out.push_str("event: live\n");
    for line in html.lines() {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// `GET /screen.js`: the screen's script, served by the rig itself (nothing is fetched elsewhere).
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(include_str!("../../../../templates/rig/screen.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_carries_every_line_as_data() {
        let e = event("<p>\n  KICK\n</p>");
        assert_eq!(
            &e[..],
            b"event: live\ndata: <p>\ndata:   KICK\ndata: </p>\n\n"
        );
    }

    #[test]
    fn streams_are_capped_and_give_their_place_back() {
        let count = Arc::new(AtomicUsize::new(0));
        let slots: Vec<Slot> = (0..MAX_STREAMS)
            .filter_map(|_| Slot::take(&count))
            .collect();
        assert_eq!(slots.len(), MAX_STREAMS);
        assert!(Slot::take(&count).is_none());
        drop(slots);
        assert_eq!(count.load(Ordering::Acquire), 0);
        assert!(Slot::take(&count).is_some());
    }
}
