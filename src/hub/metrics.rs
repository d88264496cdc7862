//! The hub's figures for Prometheus (`GET /metrics`): what the handlers count as they go
//! (requests by route and status with their latency, uploads, sync answers, key checks, curator
//! passes), and what is read at scrape time (the pool's connections, the curator's backlog and
//! lag, the library version). Names start `sairen_hub_`; `docs/grafana-hub.json` charts them.
//! Every label takes a bounded set of values: routes are the registered patterns, never paths.

use crate::hub::db::status::HubStatus;
use crate::web::metrics::{labels, Families, Labels};
use actix_web::http::{Method, StatusCode};
use chrono::Utc;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// 1 ms to ~16 s, doubling: the hub's answers span a cached sync to a cold library.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// How an upload ended.
#[derive(Debug, Clone, Copy)]
pub enum Upload {
    /// Stored (201).
    Accepted,
    /// Already held (409).
    Duplicate,
    /// Refused for its content or its key (4xx).
    Refused,
    /// The hub failed (5xx): the rig retries.
    Failed,
}

/// What a key check decided.
#[derive(Debug, Clone, Copy)]
pub enum KeyCheck {
    /// Trusted from the cache, no hash computed.
    Cached,
    /// Verified against the stored hash.
    Verified,
    /// Refused (unknown, wrong, revoked or malformed).
    Refused,
    /// Held back by a rate limit (429): the key's own, or its id's wrong secrets; not a verdict
    /// on the key.
    Limited,
}

/// The counters the hub keeps while it runs; cheap to share (every field is reference-counted).
#[derive(Clone)]
pub struct HubMetrics {
    requests: Family<Labels, Counter>,
    latency: Histograms,
    uploads: Family<Labels, Counter>,
    sync_answers: Family<Labels, Counter>,
    key_checks: Family<Labels, Counter>,
    full_library_reads: Counter,
    heartbeats: Family<Labels, Counter>,
    heartbeat_deviations: Counter,
    webhooks: Family<Labels, Counter>,
    curator_passes: Arc<AtomicU64>,
    aggregation_passes: Arc<AtomicU64>,
}

impl Default for HubMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            uploads: Family::default(),
            sync_answers: Family::default(),
            key_checks: Family::default(),
            full_library_reads: Counter::default(),
            heartbeats: Family::default(),
            heartbeat_deviations: Counter::default(),
            webhooks: Family::default(),
            curator_passes: Arc::default(),
            aggregation_passes: Arc::default(),
        }
    }
}

impl HubMetrics {
    /// One answered request: `route` is the matched pattern (`/api/fleet/events/{id}`), or
    /// `unmatched`.
    pub fn request(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        self.requests
            .get_or_create(&labels(&[
                ("route", route),
                ("method", method.as_str()),
                ("status", status.as_str()),
            ]))
            .inc();
        self.latency
            .get_or_create(&labels(&[("route", route)]))
            .observe(took.as_secs_f64());
    }

    /// One upload's end.
    pub fn upload(&self, how: Upload) {
        let result = match how {
            Upload::Accepted => "accepted",
            Upload::Duplicate => "duplicate",
            Upload::Refused => "refused",
            Upload::Failed => "failed",
        };
        self.uploads
            .get_or_create(&labels(&[("result", result)]))
            .inc();
    }

    /// One library sync answered: `full`, `delta` or `not_modified`.
    pub fn sync_answer(&self, kind: &'static str) {
        self.sync_answers
            .get_or_create(&labels(&[("kind", kind)]))
            .inc();
    }

    /// One rig-key or admin-key check.
    pub fn key_check(&self, who: &'static str, result: KeyCheck) {
        let result = match result {
            KeyCheck::Cached => "cached",
            KeyCheck::Verified => "verified",
            KeyCheck::Refused => "refused",
            KeyCheck::Limited => "limited",
        };
        self.key_checks
            .get_or_create(&labels(&[("who", who), ("result", result)]))
            .inc();
    }

    /// The whole library was read from the database for full syncs (once per version, shared).
    pub fn full_library_read(&self) {
        self.full_library_reads.inc();
    }

    /// One heartbeat's end: `stored`, `refused` (4xx) or `failed` (5xx).
    pub fn heartbeat(&self, result: &'static str) {
        self.heartbeats
            .get_or_create(&labels(&[("result", result)]))
            .inc();
    }

    /// A stored heartbeat that changed what the fleet should think of its rig.
    pub fn heartbeat_deviation(&self) {
        self.heartbeat_deviations.inc();
    }

    /// One webhook delivery attempt: `delivered`, `retrying` or `gave_up`.
    pub fn webhook(&self, result: &'static str) {
        self.webhooks
            .get_or_create(&labels(&[("result", result)]))
            .inc();
    }

    /// The aggregation thread's pass counter.
    pub fn aggregation_passes(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.aggregation_passes)
    }

    /// The curator thread's pass counter.
    pub fn curator_passes(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.curator_passes)
    }

    /// A registry holding the live counters and `now`, the figures read for this scrape.
    pub fn registry(&self, now: ScrapeFigures) -> Registry {
        let mut r = Registry::with_prefix("sairen_hub");
        r.register(
            "http_requests",
            "Requests answered, by route pattern, method and status.",
            self.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to answer, by route pattern.",
            self.latency.clone(),
        );
        r.register(
            "uploads",
            "Event uploads by result (accepted, duplicate, refused, failed).",
            self.uploads.clone(),
        );
        r.register(
            "sync_answers",
            "Library syncs answered, by kind (full, delta, not_modified).",
            self.sync_answers.clone(),
        );
        r.register(
            "key_checks",
            "Rig and admin key checks, by result.",
            self.key_checks.clone(),
        );
        r.register(
            "full_library_reads",
            "Times the whole library was read for full syncs: once per version, however many rigs ask.",
            self.full_library_reads.clone(),
        );
        r.register(
            "heartbeats",
            "Rig heartbeats by result (stored, refused, failed).",
            self.heartbeats.clone(),
        );
        r.register(
            "heartbeat_deviations",
            "Stored heartbeats that changed what the fleet should think of their rig (risk, stream, faults, lost uploads); in medium and large fleets each wakes the aggregation.",
            self.heartbeat_deviations.clone(),
        );
        r.register(
            "webhook_deliveries",
            "Webhook delivery attempts by result (delivered, retrying, gave_up).",
            self.webhooks.clone(),
        );
        r.register_collector(Box::new(ScrapeTime {
            figures: now,
            curator_passes: self.curator_passes.load(Ordering::Relaxed),
            aggregation_passes: self.aggregation_passes.load(Ordering::Relaxed),
        }));
        r
    }
}

/// What the hub reads at scrape time.
#[derive(Debug)]
pub struct ScrapeFigures {
    /// Connections the pool holds, and how many are idle.
    pub pool: (u32, u32),
    /// The pool's limit.
    pub pool_max: u32,
    /// The database's view (`None`: it did not answer).
    pub status: Option<HubStatus>,
    /// The oldest event still waiting for the curator, when it arrived.
    pub oldest_waiting: Option<chrono::DateTime<Utc>>,
    /// Storm mode is on in this process.
    pub storm: bool,
}

#[derive(Debug)]
struct ScrapeTime {
    figures: ScrapeFigures,
    curator_passes: u64,
    aggregation_passes: u64,
}

impl Collector for ScrapeTime {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let mut f = Families::new(&mut encoder);
        let (open, idle) = self.figures.pool;
        f.gauges(
            "db_pool_connections",
            "PostgreSQL connections the pool holds, by state.",
            &[
                (
                    labels(&[("state", "busy")]),
                    f64::from(open - idle.min(open)),
                ),
                (labels(&[("state", "idle")]), f64::from(idle)),
            ],
        )?;
        f.gauge(
            "db_pool_max_connections",
            "The pool's limit ([database] pool_size).",
            f64::from(self.figures.pool_max),
        )?;
        f.gauge(
            "database_up",
            "1 when PostgreSQL answered this scrape.",
            f64::from(u8::from(self.figures.status.is_some())),
        )?;
        f.counter(
            "curator_passes",
            "Curation passes this process ran.",
            self.curator_passes,
        )?;
        f.gauge(
            "storm_mode",
            "1 while storm mode defers non-critical uploads, curation and aggregation.",
            f64::from(u8::from(self.figures.storm)),
        )?;
        f.counter(
            "aggregation_passes",
            "Fleet aggregation passes (health, ranks, outliers) this process ran.",
            self.aggregation_passes,
        )?;
        let Some(status) = &self.figures.status else {
            return Ok(());
        };
        f.gauge(
            "library_version",
            "The precedent library's version (its newest change).",
            status.library_version as f64,
        )?;
        f.gauge(
            "library_active_episodes",
            "Episodes in the library (not archived).",
            status.active_episodes as f64,
        )?;
        f.gauge(
            "curator_backlog_events",
            "Events waiting for the curator.",
            status.events_awaiting_curation as f64,
        )?;
        let lag = self.figures.oldest_waiting.map_or(0.0, |t| {
            (Utc::now() - t).num_milliseconds().max(0) as f64 / 1e3
        });
        f.gauge(
            "curator_lag_seconds",
            "Age of the oldest event waiting for the curator (0: none waits).",
            lag,
        )
    }
}
