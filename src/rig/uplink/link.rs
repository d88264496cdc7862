//! The rig's side of the wire: upload queued events and outcome updates to the hub, and keep the
//! precedent library in sync. Runs on its own thread with its own async runtime; the packet path
//! never waits for it. DESIGN §6.

use super::queue::Queue;
use super::sink::{lock_queue, LinkState, LinkStats, SharedQueue};
use crate::fleet::codec::{decode_json, Encoding};
use crate::fleet::insights::{InsightSummary, Offsets};
use crate::fleet::{FleetEpisode, Heartbeat, HeartbeatReceipt, LibraryResponse, RigId};
use crate::rig::durable;
use crate::rig::recall::{Library, Recall};
use crate::web::Secret;
use awc::http::StatusCode;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The library snapshot under the data dir: what a restart without a link still has.
pub const LIBRARY_FILE: &str = "fleet_library.json.zst";
/// Largest library body accepted, decoded.
const MAX_LIBRARY_BYTES: usize = 256 * 1024 * 1024;
/// Waits between retries of one event within a cycle (DESIGN §6).
const BACKOFF_SECS: [u64; 4] = [2, 4, 8, 16];
/// Longest a hub's `Retry-After` is waited out in one go.
const LONGEST_WAIT: Duration = Duration::from_secs(300);

/// How the link behaves.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The hub's base URL.
    pub hub_url: String,
    /// This rig.
    pub rig_id: RigId,
    /// Its key (`SAIREN_RIG_API_KEY`).
    pub key: Secret,
    /// Between upload cycles.
    pub upload_interval: Duration,
    /// Between syncs…
    pub sync_interval: Duration,
    /// …± this.
    pub sync_jitter: Duration,
    /// Longest one request may take.
    pub timeout: Duration,
    /// The data directory (library snapshot).
    pub data_dir: PathBuf,
    /// Between heartbeats, until the hub asks for another interval.
    pub heartbeat_interval: Duration,
}

/// Builds the rig's heartbeat now; set once the core exists (the link starts before it).
pub type HeartbeatSource = Arc<OnceLock<Box<dyn Fn() -> Heartbeat + Send + Sync>>>;

/// Summarises the rig's newest insights report; set once the core exists.
pub type InsightsSource = Arc<OnceLock<Box<dyn Fn() -> Option<InsightSummary> + Send + Sync>>>;

/// The offsets the hub last sent, under the data dir: a rig offline keeps warning from them.
pub const OFFSETS_FILE: &str = "fleet_offsets.json";

/// Largest offsets body accepted.
const MAX_OFFSETS_BYTES: usize = 1024 * 1024;

/// The offsets kept by an earlier run, if any (unreadable: none, said once).
pub fn load_offsets(data_dir: &Path) -> (Offsets, Option<String>) {
    #[derive(Deserialize)]
    struct Kept {
        tag: Option<String>,
        offsets: Offsets,
    }
    let path = data_dir.join(OFFSETS_FILE);
    match std::fs::read(&path).map(|b| serde_json::from_slice::<Kept>(&b)) {
        Ok(Ok(k)) => (k.offsets, k.tag),
        Ok(Err(e)) => {
            log::warn!(
                "{} cannot be read ({e}); asking the hub afresh",
                path.display()
            );
            (Offsets::default(), None)
        }
        Err(_) => (Offsets::default(), None),
    }
}

/// The shortest and longest heartbeat interval the hub may ask for.
const HEARTBEAT_BOUNDS: (u64, u64) = (10, 3_600);

/// What the hub's answer means for the thing sent.
#[derive(Debug, PartialEq)]
enum Reply {
    /// 201 or 409 (or 200 for an outcome): done.
    Delivered,
    /// 5xx, timeout, network: keep it, try again later.
    Retry(String),
    /// 429: the hub asks this rig to wait this long (its `Retry-After`, at most
    /// [`LONGEST_WAIT`]); keep it and try again then.
    Later(String, Duration),
    /// Any other 4xx: the hub will never take it.
    Refused(String),
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: i64,
    episodes: Vec<FleetEpisode>,
}

/// Load the library snapshot, if there is a good one.
pub fn load_library(data_dir: &Path) -> Option<Library> {
    let bytes = std::fs::read(data_dir.join(LIBRARY_FILE)).ok()?;
    match decode_json::<Snapshot>(&bytes, Encoding::Zstd, MAX_LIBRARY_BYTES) {
        Ok(s) => Some(Library::build(s.version, s.episodes)),
        Err(e) => {
            log::warn!("library snapshot unreadable ({e}); starting without precedents until the next sync");
            None
        }
    }
}

fn save_library(data_dir: &Path, library: &Library) -> std::io::Result<()> {
    if durable::non_critical_paused() {
        // The disk is nearly full: the library stays in memory until space returns.
        return Ok(());
    }
    let snapshot = Snapshot {
        version: library.version,
        episodes: library.live().cloned().collect(),
    };
    let bytes = crate::fleet::codec::encode_json(&snapshot, Encoding::Zstd)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    durable::write_atomic(&data_dir.join(LIBRARY_FILE), &bytes)
}

struct Hub {
    http: awc::Client,
    config: LinkConfig,
    stats: Arc<Mutex<LinkStats>>,
}

impl Hub {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.hub_url.trim_end_matches('/'))
    }

    /// Every request: the key, the rig's id, and the rig's clock now (the hub checks uploads on
    /// the rig's own clock and shows rigs whose clocks are off).
    fn auth(&self, req: awc::ClientRequest) -> awc::ClientRequest {
        req.insert_header((
            "Authorization",
            format!("Bearer {}", self.config.key.expose()),
        ))
        .insert_header(("X-Rig-ID", self.config.rig_id.as_str()))
        .insert_header((
            "X-Rig-Clock",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ))
    }

    /// Read the hub's `Date` against this rig's clock over the exchange that began at `sent`.
    fn observe_clock(
        &self,
        sent: chrono::DateTime<chrono::Utc>,
        headers: &awc::http::header::HeaderMap,
    ) {
        let Some(date) = headers.get("Date").and_then(|v| v.to_str().ok()) else {
            return;
        };
        if let Some(offset) = super::clock::offset_from_date(sent, chrono::Utc::now(), date) {
            set(&self.stats, |s| s.clock_offset_secs = Some(offset));
        }
    }

    async fn send(&self, req: awc::ClientRequest, body: Vec<u8>, ok: &[StatusCode]) -> Reply {
        self.exchange(req, body, ok).await.0
    }

    /// Send `body` and read the answer: what it means, and its body's text.
    async fn exchange(
        &self,
        req: awc::ClientRequest,
        body: Vec<u8>,
        ok: &[StatusCode],
    ) -> (Reply, String) {
        let sent = chrono::Utc::now();
        let mut response = match req.send_body(body).await {
            Ok(r) => r,
            Err(e) => {
                return (
                    Reply::Retry(format!("no answer from the hub: {e}")),
                    String::new(),
                )
            }
        };
        self.observe_clock(sent, response.headers());
        let status = response.status();
        let retry_after = response
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(LONGEST_WAIT));
        let text = response
            .body()
            .limit(64 * 1024)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let reply = if ok.contains(&status) {
            Reply::Delivered
        } else if let Some(wait) = retry_after.filter(|_| status == StatusCode::TOO_MANY_REQUESTS) {
            Reply::Later(format!("hub answered {status}: {text}"), wait)
        } else if status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
            || super::clock::is_clock_refusal(status, &text)
        {
            // A refusal for this rig's clock is kept and retried: the clock gets fixed (or the
            // hub's correction catches up), and the event was never wrong.
            Reply::Retry(format!("hub answered {status}: {text}"))
        } else {
            Reply::Refused(format!("hub answered {status}: {text}"))
        };
        (reply, text)
    }

    /// Send one heartbeat; the hub's answer (when to send the next, the fleet's notices).
    async fn post_heartbeat(&self, beat: &Heartbeat) -> Result<Option<HeartbeatReceipt>, String> {
        let body = crate::fleet::codec::encode_json(beat, Encoding::Zstd)
            .map_err(|e| format!("heartbeat to JSON: {e}"))?;
        let req = self
            .auth(self.http.post(self.url("/api/fleet/heartbeat")))
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("Content-Encoding", "zstd"));
        match self.exchange(req, body, &[StatusCode::OK]).await {
            (Reply::Delivered, text) => Ok(serde_json::from_str::<HeartbeatReceipt>(&text).ok()),
            (Reply::Retry(why) | Reply::Later(why, _) | Reply::Refused(why), _) => Err(why),
        }
    }

    async fn post_event(&self, body: Vec<u8>) -> Reply {
        let req = self
            .auth(self.http.post(self.url("/api/fleet/events")))
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("Content-Encoding", "zstd"));
        self.send(req, body, &[StatusCode::CREATED, StatusCode::CONFLICT])
            .await
    }

    async fn patch_outcome(&self, id: &str, body: Vec<u8>) -> Reply {
        let req = self
            .auth(
                self.http
                    .patch(self.url(&format!("/api/fleet/events/{id}/outcome"))),
            )
            .insert_header(("Content-Type", "application/json"));
        self.send(req, body, &[StatusCode::OK]).await
    }

    /// Send the newest insights summary; `Ok` once the hub holds it.
    async fn post_insights(&self, summary: &InsightSummary) -> Result<(), String> {
        let body = crate::fleet::codec::encode_json(summary, Encoding::Zstd)
            .map_err(|e| format!("insights to JSON: {e}"))?;
        let req = self
            .auth(self.http.post(self.url("/api/fleet/insights")))
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("Content-Encoding", "zstd"));
        match self
            .send(req, body, &[StatusCode::CREATED, StatusCode::OK])
            .await
        {
            Reply::Delivered => Ok(()),
            Reply::Retry(why) | Reply::Later(why, _) | Reply::Refused(why) => Err(why),
        }
    }

    /// The offsets of this rig's field, unless they are still those tagged `tag` (`Ok(None)`).
    async fn offsets(
        &self,
        tag: Option<&str>,
    ) -> Result<Option<(Offsets, Option<String>)>, String> {
        let mut req = self.auth(self.http.get(self.url("/api/fleet/insights/offsets")));
        if let Some(tag) = tag {
            req = req.insert_header(("If-None-Match", tag));
        }
        let mut response = req.send().await.map_err(|e| format!("no answer: {e}"))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let tag = response
            .headers()
            .get("ETag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body()
            .limit(MAX_OFFSETS_BYTES)
            .await
            .map_err(|e| format!("offsets body cut off: {e}"))?;
        if status != StatusCode::OK {
            return Err(format!(
                "hub answered {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let offsets =
            serde_json::from_slice(&body).map_err(|e| format!("offsets unreadable: {e}"))?;
        Ok(Some((offsets, tag)))
    }

    async fn library(&self, since: i64) -> Result<Option<LibraryResponse>, SyncFailure> {
        let req = self
            .auth(
                self.http
                    .get(self.url(&format!("/api/fleet/library?since={since}"))),
            )
            .insert_header(("Accept-Encoding", "zstd"));
        let sent = chrono::Utc::now();
        let mut response = req
            .send()
            .await
            .map_err(|e| SyncFailure::Other(format!("no answer: {e}")))?;
        self.observe_clock(sent, response.headers());
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let encoding = Encoding::from_content_encoding(
            response
                .headers()
                .get("Content-Encoding")
                .and_then(|v| v.to_str().ok()),
        )
        .map_err(|e| SyncFailure::Other(e.to_string()))?;
        let body = response
            .body()
            .limit(MAX_LIBRARY_BYTES)
            .await
            .map_err(|e| SyncFailure::Other(format!("library body cut off: {e}")))?;
        if status == StatusCode::BAD_REQUEST && since > 0 {
            return Err(SyncFailure::AheadOfHub(
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
        if status != StatusCode::OK {
            return Err(SyncFailure::Other(format!(
                "hub answered {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        decode_json(&body, encoding, MAX_LIBRARY_BYTES)
            .map(Some)
            .map_err(|e| SyncFailure::Other(format!("library body unreadable: {e}")))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

fn set<F: FnOnce(&mut LinkStats)>(stats: &Mutex<LinkStats>, f: F) {
    f(&mut stats.lock().unwrap_or_else(|p| p.into_inner()));
}

/// Sleep `d` in short steps so a stop is honoured quickly; `false` when stopped.
async fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let step = Duration::from_millis(200);
    let mut left = d;
    while left > Duration::ZERO {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let s = left.min(step);
        actix_rt::time::sleep(s).await;
        left -= s;
    }
    !stop.load(Ordering::Relaxed)
}

/// One upload cycle: events oldest first, then the outcomes whose events are delivered.
async fn upload_cycle(
    hub: &Hub,
    queue: &Mutex<Queue>,
    stats: &Mutex<LinkStats>,
    stop: &AtomicBool,
) {
    let ids = lock_queue(queue).ids();
    for id in ids {
        let body = match lock_queue(queue).body(&id) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(e) => {
                log::error!("{e}");
                return;
            }
        };
        let mut attempt = 0;
        loop {
            match hub.post_event(body.clone()).await {
                Reply::Delivered => {
                    if let Err(e) = lock_queue(queue).remove(&id) {
                        log::error!("{e}");
                    }
                    set(stats, |s| {
                        s.delivered += 1;
                        s.last_upload = Some(now());
                        s.link_state = LinkState::Up;
                    });
                    break;
                }
                Reply::Refused(why) => {
                    if let Err(e) = lock_queue(queue).dead_letter(&id, &why) {
                        log::error!("{e}");
                    }
                    break;
                }
                Reply::Later(why, wait) => {
                    log::info!(
                        "uploading {id}: {why}; waiting {} s as the hub asks",
                        wait.as_secs()
                    );
                    if !nap(wait, stop).await {
                        return;
                    }
                }
                Reply::Retry(why) => {
                    set(stats, |s| s.link_state = LinkState::Down(why.to_string()));
                    let Some(wait) = BACKOFF_SECS.get(attempt) else {
                        log::warn!("uploading {id}: {why}; trying again next cycle");
                        return;
                    };
                    log::info!("uploading {id}: {why}; retrying in {wait} s");
                    attempt += 1;
                    if !nap(Duration::from_secs(*wait), stop).await {
                        return;
                    }
                }
            }
        }
    }
    let ready = lock_queue(queue).outcomes_ready();
    for id in ready {
        let Some(update) = lock_queue(queue).outcome(&id) else {
            continue;
        };
        let Ok(body) = serde_json::to_vec(&update) else {
            continue;
        };
        match hub.patch_outcome(&id, body).await {
            Reply::Delivered => {
                if let Err(e) = lock_queue(queue).remove_outcome(&id) {
                    log::error!("{e}");
                }
            }
            Reply::Refused(why) => {
                if let Err(e) = lock_queue(queue).dead_letter_outcome(&id, &why) {
                    log::error!("{e}");
                }
            }
            Reply::Retry(why) | Reply::Later(why, _) => {
                set(stats, |s| s.link_state = LinkState::Down(why.to_string()));
                return;
            }
        }
    }
}

/// If the wall clock was stepped since the last cycle (NTP set it right, or someone did), the
/// events queued before were stamped by the wrong clock: move them by the step.
fn restamp_after_a_step(
    wall: &mut super::clock::StepWatch,
    queue: &Mutex<Queue>,
    stats: &Mutex<LinkStats>,
) {
    let Some(step) = wall.step() else {
        return;
    };
    match lock_queue(queue).restamp(step) {
        Ok(0) => log::info!(
            "the clock was stepped by {:+.1} s; nothing queued to re-stamp",
            step.num_milliseconds() as f64 / 1e3
        ),
        Ok(n) => {
            log::warn!(
                "the clock was stepped by {:+.1} s: re-stamped {n} queued event(s) onto the corrected clock",
                step.num_milliseconds() as f64 / 1e3
            );
            set(stats, |s| s.restamped += n as u64);
        }
        Err(e) => log::error!("re-stamping the queue after a clock step: {e}"),
    }
}

/// Why a library sync got no library.
#[derive(Debug)]
enum SyncFailure {
    /// The hub refused our version as newer than its own: its database was restored from a backup
    /// (or replaced). The whole library, asked for without `since`, is the way back.
    AheadOfHub(String),
    /// Anything else: keep the library we have and try at the next interval.
    Other(String),
}

impl std::fmt::Display for SyncFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AheadOfHub(body) => write!(f, "the hub's library is older than ours: {body}"),
            Self::Other(why) => f.write_str(why),
        }
    }
}

/// One library sync; the library in use is replaced only by a whole, applied answer.
async fn sync_once(hub: &Hub, recall: &Recall, stats: &Mutex<LinkStats>) {
    let current = recall.library();
    let mut answer = hub.library(current.version).await;
    if let Err(SyncFailure::AheadOfHub(why)) = &answer {
        log::warn!(
            "the hub's library is older than our version {} ({why}): its database was probably \
             restored from a backup; taking its whole library",
            current.version
        );
        answer = hub.library(0).await;
    }
    match answer {
        Ok(None) => set(stats, |s| {
            s.last_sync = Some(now());
            s.link_state = LinkState::Up;
        }),
        Ok(Some(answer)) => {
            let next = if answer.full {
                Library::build(answer.version, answer.episodes)
            } else {
                let changed =
                    current.with_changes(answer.version, answer.episodes, &answer.pruned_ids);
                // Rebuild the index once the changes beside it grow; this thread, not the packet path.
                if changed.unindexed() > 256 {
                    Library::build(changed.version, changed.live().cloned().collect())
                } else {
                    changed
                }
            };
            if let Err(e) = save_library(&hub.config.data_dir, &next) {
                log::warn!("library snapshot not saved ({e}); it stays in memory");
            }
            let (version, episodes) = (next.version, next.len());
            recall.swap(next);
            log::info!("library synced to version {version}: {episodes} precedents");
            set(stats, |s| {
                s.last_sync = Some(now());
                s.library_version = version;
                s.episodes_loaded = episodes;
                s.link_state = LinkState::Up;
            });
        }
        Err(why) => {
            log::warn!(
                "library sync failed ({why}); keeping version {}",
                current.version
            );
            set(stats, |s| {
                s.link_state = LinkState::Down(format!("library sync: {why}"))
            });
        }
    }
}

/// With each sync: send the newest insights report if the hub has not taken it, and fetch what
/// offset rigs of this field drilled fastest (kept on disk when it changed).
async fn share_insights(
    hub: &Hub,
    source: &InsightsSource,
    tag: &mut Option<String>,
    stats: &Mutex<LinkStats>,
) {
    let summary = source.get().and_then(|build| build());
    let sent = stats
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insights_sent;
    if let Some(summary) = summary.filter(|s| sent != Some(s.report_seq)) {
        match hub.post_insights(&summary).await {
            Ok(()) => set(stats, |s| s.insights_sent = Some(summary.report_seq)),
            Err(why) => log::info!(
                "insights report {} not taken by the hub ({why}); sent again at the next sync",
                summary.report_seq
            ),
        }
    }
    match hub.offsets(tag.as_deref()).await {
        Ok(None) => {}
        Ok(Some((offsets, new_tag))) => {
            let kept = serde_json::json!({"tag": new_tag, "offsets": offsets});
            let path = hub.config.data_dir.join(OFFSETS_FILE);
            if let Err(e) = durable::write_atomic(&path, kept.to_string().as_bytes()) {
                log::warn!(
                    "offsets not saved to {} ({e}); they stay in memory",
                    path.display()
                );
            }
            log::info!(
                "offset rigs of field {:?}: {} interval(s) with their fastest parameters",
                offsets.field,
                offsets.intervals.len()
            );
            *tag = new_tag;
            set(stats, |s| s.offsets = offsets);
        }
        Err(why) => log::info!("offsets not fetched ({why}); keeping those held"),
    }
}

/// Send heartbeats until `stop`: each built fresh when it is due, so a link that was down sends
/// how the rig is now on its return, never a backlog.
async fn heartbeats(hub: &Hub, source: &HeartbeatSource, stop: &AtomicBool) {
    let mut interval = hub.config.heartbeat_interval;
    loop {
        let Some(build) = source.get() else {
            // The core is built just after the link starts: the first heartbeat follows it.
            if !nap(Duration::from_millis(200), stop).await {
                return;
            }
            continue;
        };
        {
            let beat = build();
            match hub.post_heartbeat(&beat).await {
                Ok(receipt) => {
                    let asked = receipt.as_ref().map(|r| {
                        Duration::from_secs(
                            r.next_in_secs.clamp(HEARTBEAT_BOUNDS.0, HEARTBEAT_BOUNDS.1),
                        )
                    });
                    if let Some(asked) = asked.filter(|a| *a != interval) {
                        log::info!(
                            "the hub asks for a heartbeat every {} s (was {} s)",
                            asked.as_secs(),
                            interval.as_secs()
                        );
                        interval = asked;
                    }
                    let notices = receipt.map(|r| r.notices).unwrap_or_default();
                    set(&hub.stats, |s| {
                        if notices != s.notices {
                            for n in notices.iter().filter(|n| !s.notices.contains(n)) {
                                log::warn!("fleet notice: {}", n.text);
                            }
                        }
                        s.notices = notices;
                        s.heartbeats_sent += 1;
                        s.last_heartbeat = Some(now());
                        s.link_state = LinkState::Up;
                    });
                }
                // Not retried: the next heartbeat, built then, replaces this one.
                Err(why) => log::debug!("heartbeat not taken: {why}"),
            }
        }
        if !nap(interval, stop).await {
            return;
        }
    }
}

/// Start the link thread: uploads every `upload_interval`, syncs every `sync_interval` ± jitter,
/// heartbeats every `heartbeat_interval`, until `stop`.
pub fn start(
    config: LinkConfig,
    queue: SharedQueue,
    recall: Arc<Recall>,
    stats: Arc<Mutex<LinkStats>>,
    beat: HeartbeatSource,
    insights: InsightsSource,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (offsets, mut offsets_tag) = load_offsets(&config.data_dir);
    {
        let library = recall.library();
        set(&stats, |s| {
            s.library_version = library.version;
            s.episodes_loaded = library.len();
            s.offsets = offsets;
        });
    }
    std::thread::Builder::new()
        .name("sairen-fleet".into())
        .spawn(move || {
            actix_rt::System::new().block_on(async move {
                let hub = Hub {
                    http: awc::Client::builder().timeout(config.timeout).finish(),
                    config,
                    stats: Arc::clone(&stats),
                };
                let mut wall = super::clock::StepWatch::new();
                let uploads = async {
                    loop {
                        restamp_after_a_step(&mut wall, &queue, &stats);
                        upload_cycle(&hub, &queue, &stats, &stop).await;
                        if !nap(hub.config.upload_interval, &stop).await {
                            break;
                        }
                    }
                };
                let syncs = async {
                    loop {
                        sync_once(&hub, &recall, &stats).await;
                        share_insights(&hub, &insights, &mut offsets_tag, &stats).await;
                        let jitter = hub.config.sync_jitter.as_secs_f64();
                        let offset = if jitter > 0.0 {
                            rand::rng().random_range(-jitter..jitter)
                        } else {
                            0.0
                        };
                        let wait = (hub.config.sync_interval.as_secs_f64() + offset).max(1.0);
                        if !nap(Duration::from_secs_f64(wait), &stop).await {
                            break;
                        }
                    }
                };
                futures_util::future::join3(uploads, syncs, heartbeats(&hub, &beat, &stop)).await;
            });
        })
}
