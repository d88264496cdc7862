//! `sairen rig` as a value: [`Rig::build`] reloads the baseline and advisory log, wires the fleet
//! link and starts the HTTP API; [`Rig::run_until_stopped`] starts the input and the packet loop
//! and runs until the input ends (replays) or SIGTERM / Ctrl-C, or [`RigStopper::stop`].

use super::acquisition::source::{self, SourceSpec, SourceState};
use super::advisories::AdvisoryLog;
use super::api::{self, ApiState};
use super::core::{lock, Core, EventSink, Identity, NoUplink};
use super::healer::{checks, HealReports, Healer, HealthCheck};
use super::heartbeat;
use super::insights::runner::Insights;
use super::insights::store::FileStore;
use super::packet_loop::{self, LoopEnd};
use super::pipeline::baseline::Baseline;
use super::pipeline::knowledge::{KnowledgeStore, NoopStore};
use super::pipeline::Pipeline;
use super::recall::{local_episode, Library, Recall};
use super::settings::{io_err, RigError, RigSettings};
use super::uplink::link::{self, HeartbeatSource, InsightsSource, LinkConfig};
use super::uplink::queue::Queue;
use super::uplink::sink::{LinkStats, QueueSink};
use crate::drilling::RiskLevel;
use crate::web::Secret;
use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A rig whose state is loaded and whose API is listening; nothing is read until it runs.
pub struct Rig {
    settings: RigSettings,
    core: Arc<Mutex<Core>>,
    source_state: Arc<SourceState>,
    server: Server,
    api_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    link_thread: Option<JoinHandle<()>>,
    healer: Option<JoinHandle<()>>,
}

/// Stops a running rig from another thread, as SIGTERM would.
#[derive(Clone)]
pub struct RigStopper {
    stop: Arc<AtomicBool>,
    source: Arc<SourceState>,
    server: ServerHandle,
}

impl RigStopper {
    /// Ask the rig to stop: the packet loop ends, the API stops, `run_until_stopped` returns.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.source.stop.store(true, Ordering::Relaxed);
        let server = self.server.clone();
        // The handle's future needs a runtime of its own when called from a plain thread.
        std::thread::spawn(move || actix_rt::System::new().block_on(server.stop(true)));
    }
}

/// The rig's parameter insights, their reports kept under `data_dir/insights`.
fn start_insights(settings: &RigSettings, data_dir: &Path) -> Result<Insights, RigError> {
    let store = FileStore::open(data_dir).map_err(io_err(format!(
        "insights reports in {}",
        data_dir.display()
    )))?;
    Insights::new(settings.config.insights.clone(), Arc::new(store))
        .spawn_worker()
        .map_err(io_err("starting the insights worker"))
}

/// The `[explainer]`'s thread (none with `backend = "none"`), its answers kept with their
/// advisories in the core.
fn start_explainer(
    settings: &RigSettings,
    core: &Arc<Mutex<Core>>,
) -> Result<super::explainer::Explainer, RigError> {
    let core = core.clone();
    super::explainer::start(
        &settings.config.explainer,
        settings.explainer_key.clone(),
        move || Box::new(move |id, explanation| lock(&core).add_explanation(id, explanation)),
    )
    .map_err(io_err("starting the explainer"))
}

impl Rig {
    /// Open the data directory, reload the baseline, the advisory log and the library, start the
    /// fleet link (when configured) and the HTTP API.
    pub fn build(settings: RigSettings) -> Result<Self, RigError> {
        let config = &settings.config;
        let data_dir = config.rig.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .map_err(io_err(format!("data directory {}", data_dir.display())))?;
        let identity = Identity {
            rig_id: settings.rig_id.clone(),
            well_id: config.rig.well_id.clone(),
            field: config.rig.field.clone(),
        };
        let baseline_path = data_dir.join("baseline.json");
        let baseline = reload_baseline(&settings, &baseline_path);
        let advisories = AdvisoryLog::open(
            &data_dir,
            config.advisories.max_file_bytes,
            config.advisories.keep_files,
            config.advisories.keep_in_memory,
        )
        .map_err(io_err(format!("advisory log in {}", data_dir.display())))?;
        let recall = settings
            .fleet_key
            .is_some()
            .then(|| reload_recall(&data_dir, &identity, &advisories));
        let store: Arc<dyn KnowledgeStore> = match &recall {
            Some(r) => r.clone(),
            None => Arc::new(NoopStore),
        };
        let pipeline = Pipeline::new(config.pipeline(), config.rig.campaign, baseline, store);
        let stop = Arc::new(AtomicBool::new(false));
        let beat: HeartbeatSource = Arc::default();
        let insights: InsightsSource = Arc::default();
        let (sink, link_thread) = match (&recall, &settings.fleet_key) {
            (Some(recall), Some(key)) => {
                let (sink, thread) = start_link(&settings, key, recall, (&beat, &insights), &stop)?;
                (sink, Some(thread))
            }
            _ => (Box::new(NoUplink::default()) as Box<dyn EventSink>, None),
        };
        let core = Core::new(
            pipeline,
            advisories,
            identity,
            sink,
            &data_dir,
            settings.source.describe(),
        )
        .with_recall(recall)
        .with_insights(start_insights(&settings, &data_dir)?)
        .with_learned(
            super::learned::worker::Learned::start(config.learned.clone())
                .map_err(io_err("starting the learned detector"))?,
        );
        let core = Arc::new(Mutex::new(core));
        let explainer = start_explainer(&settings, &core)?;
        lock(&core).set_explainer(explainer);
        let source_state = Arc::new(SourceState::default());
        {
            let (core, input) = (core.clone(), source_state.clone());
            let (stale, started) = (config.input.stale_after_secs as f64, Instant::now());
            // Set once, here; a link without a core yet sends nothing.
            let _ = beat.set(Box::new(move || {
                heartbeat::build(&mut lock(&core), &input, stale, started)
            }));
        }
        {
            let core = core.clone();
            let _ = insights.set(Box::new(move || {
                let c = lock(&core);
                let id = c.identity();
                let report = c.insights().latest()?;
                Some(report.summary(&id.rig_id, &id.well_id, &id.field))
            }));
        }
        let heals = Arc::new(HealReports::default());
        let (server, api_addr) = serve_api(&settings, &core, &source_state, &stop, &heals)?;
        let healer = healer(&settings, &core, &source_state, heals)
            .spawn(stop.clone())
            .map_err(io_err("starting the self-healer"))?;
        Ok(Self {
            settings,
            core,
            source_state,
            server,
            api_addr,
            stop,
            link_thread,
            healer: Some(healer),
        })
    }

    /// Where the API listens (the first address bound; port 0 in the config gives a free one).
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// A handle that stops this rig from another thread.
    pub fn stopper(&self) -> RigStopper {
        RigStopper {
            stop: self.stop.clone(),
            source: self.source_state.clone(),
            server: self.server.handle(),
        }
    }

    /// Start the input and the packet loop, serve until the input ends or the rig is stopped,
    /// then print the run's summary.
    pub fn run_until_stopped(self) -> Result<(), RigError> {
        let Self {
            settings,
            core,
            source_state,
            server,
            stop,
            link_thread,
            healer,
            ..
        } = self;
        let config = &settings.config;
        crate::logging::set_process_fields(vec![("rig", config.rig.rig_id.to_string())]);
        log::info!(
            "rig {} on well {}: reading {}",
            config.rig.rig_id,
            config.rig.well_id,
            settings.source.describe()
        );
        let (tx, rx) = mpsc::sync_channel(4_096);
        let input = source::start(
            settings.source.clone(),
            config.input.wits_options(),
            tx,
            source_state.clone(),
        )
        .map_err(io_err("starting the input thread"))?;
        let worker = {
            let (core, stop, handle) = (core.clone(), stop.clone(), server.handle());
            let (pacing, stale_after) = (
                settings.pacing,
                Duration::from_secs(config.input.stale_after_secs),
            );
            std::thread::Builder::new()
                .name("sairen-pipeline".into())
                .spawn(move || {
                    let end = packet_loop::run(&core, &rx, pacing, stale_after, &stop);
                    // The input is done: take the API down too, so the process ends.
                    actix_rt::System::new().block_on(handle.stop(true));
                    end
                })
                .map_err(io_err("starting the pipeline thread"))?
        };
        let served = actix_rt::System::new().block_on(server);
        stop.store(true, Ordering::Relaxed);
        source_state.stop.store(true, Ordering::Relaxed);
        let end = worker.join().unwrap_or(LoopEnd::Stopped);
        for t in [link_thread, healer].into_iter().flatten() {
            let _ = t.join();
        }
        drop(input);
        served.map_err(io_err("API server"))?;
        summarize(&lock(&core), &source_state);
        match end {
            LoopEnd::Failed(why) => Err(RigError::Input(why)),
            LoopEnd::Ended | LoopEnd::Stopped => Ok(()),
        }
    }
}

/// The baseline saved for this well, or a fresh one to learn; what happened is logged.
fn reload_baseline(settings: &RigSettings, path: &Path) -> Baseline {
    let config = &settings.config;
    let (baseline, warning) = Baseline::load(path, &config.rig.well_id, config.baseline);
    match warning {
        Some(w) => log::warn!("baseline: {w}"),
        None if !baseline.stats().is_empty() => log::info!(
            "baseline reloaded from {} ({:.0} % learned)",
            path.display(),
            baseline.progress() * 100.0
        ),
        None => log::info!(
            "no baseline yet for well {}: learning from steady drilling ({} samples to lock)",
            config.rig.well_id,
            config.baseline.lock_after_samples
        ),
    }
    baseline
}

/// The precedent store of a linked rig: the synced library (reloaded from its snapshot) with the
/// rig's own acknowledged events from its advisory log laid over it.
fn reload_recall(data_dir: &Path, identity: &Identity, advisories: &AdvisoryLog) -> Arc<Recall> {
    let library = link::load_library(data_dir).unwrap_or_else(Library::empty);
    if !library.is_empty() {
        log::info!(
            "library version {} reloaded: {} precedents",
            library.version,
            library.len()
        );
    }
    let recall = Arc::new(Recall::new(library));
    let own: Vec<_> = advisories
        .list(&Default::default())
        .iter()
        .filter(|r| r.fleet_event)
        .filter_map(|r| local_episode(&identity.rig_id, &identity.field, r))
        .collect();
    if !own.is_empty() {
        log::info!(
            "{} of this rig's own acknowledged events reloaded as precedents",
            own.len()
        );
    }
    for e in own {
        recall.add_local(e);
    }
    recall
}

/// Open the upload queue and start the link thread: the sink the core hands events to.
fn start_link(
    settings: &RigSettings,
    key: &Secret,
    recall: &Arc<Recall>,
    (beat, insights): (&HeartbeatSource, &InsightsSource),
    stop: &Arc<AtomicBool>,
) -> Result<(Box<dyn EventSink>, JoinHandle<()>), RigError> {
    let f = &settings.config.fleet;
    let data_dir: PathBuf = settings.config.rig.data_dir.clone();
    let queue =
        Queue::open(&data_dir, f.queue_bound).map_err(|e| RigError::Setting(e.to_string()))?;
    log::info!(
        "fleet link to {}: {} event(s) waiting in the upload queue",
        f.hub_url,
        queue.len()
    );
    let queue = Arc::new(Mutex::new(queue));
    let stats = Arc::new(Mutex::new(LinkStats::default()));
    let link_config = LinkConfig {
        hub_url: f.hub_url.clone(),
        rig_id: settings.rig_id.clone(),
        key: key.clone(),
        upload_interval: Duration::from_secs(f.upload_interval_secs),
        sync_interval: Duration::from_secs(f.sync_interval_secs),
        sync_jitter: Duration::from_secs(f.sync_jitter_secs),
        timeout: Duration::from_secs(f.request_timeout_secs),
        data_dir,
        heartbeat_interval: Duration::from_secs(f.heartbeat_secs),
    };
    let thread = link::start(
        link_config,
        queue.clone(),
        recall.clone(),
        stats.clone(),
        beat.clone(),
        insights.clone(),
        stop.clone(),
    )
    .map_err(io_err("starting the fleet link thread"))?;
    Ok((Box::new(QueueSink { queue, stats }), thread))
}

/// Bind the API and start serving it (two workers: a screen and a tool at once is the load).
/// The self-healer's checks for this rig: the WITS feed's only where it reads one over TCP.
fn healer(
    settings: &RigSettings,
    core: &Arc<Mutex<Core>>,
    source: &Arc<SourceState>,
    heals: Arc<HealReports>,
) -> Healer {
    let config = &settings.config.healer;
    let mut checks: Vec<Box<dyn HealthCheck>> = Vec::new();
    if matches!(settings.source, SourceSpec::WitsTcp(_)) {
        checks.push(Box::new(checks::WitsFeed {
            core: core.clone(),
            source: source.clone(),
            silent: Duration::from_secs(config.wits_silent_secs),
        }));
    }
    checks.push(Box::new(checks::DiskSpace {
        dir: settings.config.rig.data_dir.clone(),
        min_free_bytes: config.min_free_mb.saturating_mul(1_000_000),
    }));
    checks.push(Box::new(checks::BaselineFile { core: core.clone() }));
    checks.push(Box::new(checks::AdvisoryLogFile::new(core.clone())));
    checks.push(Box::new(checks::FleetLink { core: core.clone() }));
    Healer::new(checks, Duration::from_secs(config.interval_secs), heals)
}

fn serve_api(
    settings: &RigSettings,
    core: &Arc<Mutex<Core>>,
    source: &Arc<SourceState>,
    stop: &Arc<AtomicBool>,
    heals: &Arc<HealReports>,
) -> Result<(Server, SocketAddr), RigError> {
    let config = &settings.config;
    let state = web::Data::new(ApiState {
        core: core.clone(),
        source: source.clone(),
        stale_after_secs: config.input.stale_after_secs as f64,
        token: settings.operator_token.clone(),
        screen_login: config.api.screen_login,
        live_streams: Default::default(),
        stopping: stop.clone(),
        heals: heals.clone(),
    });
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(api::routes))
        .workers(2)
        .shutdown_timeout(5)
        .bind(&config.api.bind)
        .map_err(io_err(format!("API address {}", config.api.bind)))?;
    let addrs = server.addrs();
    for addr in &addrs {
        log::info!("rig API on http://{addr}/api/v1/health · driller's screen on http://{addr}/");
    }
    let first = addrs.first().copied().ok_or_else(|| RigError::Io {
        what: format!("API address {}", config.api.bind),
        source: std::io::Error::other("it resolves to no address"),
    })?;
    Ok((server.run(), first))
}

fn summarize(c: &Core, source: &SourceState) {
    let all = c.advisories().list(&Default::default());
    let count = |l: RiskLevel| all.iter().filter(|r| r.advisory.risk_level == l).count();
    let total = c
        .pipeline()
        .latency()
        .report()
        .into_iter()
        .find(|p| p.phase == "total");
    println!(
        "rig {}: {} packets, advisories held: {} critical, {} high, {} elevated, {} low; baseline {:.0} % learned",
        c.identity().rig_id,
        c.stream().packets,
        count(RiskLevel::Critical),
        count(RiskLevel::High),
        count(RiskLevel::Elevated),
        count(RiskLevel::Low),
        c.pipeline().baseline().progress() * 100.0
    );
    if let Some(t) = total {
        println!(
            "pipeline latency per packet: mean {:.1} µs, p99 ≤ {:.1} µs, max {:.1} µs",
            t.mean_us, t.p99_us, t.max_us
        );
    }
    if let Some(kib) = peak_rss_kib() {
        println!("peak resident memory: {:.1} MB", kib as f64 / 1024.0);
    }
    let mut issues: Vec<String> = c
        .issues()
        .all()
        .iter()
        .map(|(k, n)| format!("{n} × {k}"))
        .collect();
    if let Ok(i) = source.issues.lock() {
        issues.extend(i.all().iter().map(|(k, n)| format!("{n} × {k}")));
    }
    if !issues.is_empty() {
        println!("input issues: {}", issues.join("; "));
    }
}

/// The process's peak resident set (Linux `VmHWM`), KiB.
fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
