//! `sairen rig`: load the config, reload the baseline and advisory log, start the input, the
//! packet loop and the HTTP API, and run until the input ends (replays) or SIGTERM / Ctrl-C.

use super::acquisition::source::{self, SourceSpec, SourceState};
use super::advisories::AdvisoryLog;
use super::api::{self, ApiState, OperatorToken};
use super::config::{ConfigError, RigConfig};
use super::pipeline::baseline::Baseline;
use super::pipeline::knowledge::{KnowledgeStore, NoopStore};
use super::pipeline::Pipeline;
use super::recall::{local_episode, Library, Recall};
use super::runner::{self, lock, Core, Identity, LoopEnd, NoUplink};
use super::uplink::link::{self, ApiKey, LinkConfig};
use super::uplink::queue::Queue;
use super::uplink::sink::{LinkStats, QueueSink};
use crate::drilling::RiskLevel;
use actix_web::{web, App, HttpServer};
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct RigOptions {
    /// Config file (default `config/rig.toml` if present).
    pub config: Option<PathBuf>,
    /// The input.
    pub source: SourceSpec,
    /// Overrides `[rig] data_dir`.
    pub data_dir: Option<PathBuf>,
    /// Overrides `[api] bind`.
    pub api_bind: Option<String>,
    /// Overrides `[input] csv_channel_map`.
    pub csv_map: Option<PathBuf>,
    /// Replay speed (simulated seconds per second; 0 = as fast as possible).
    pub speed: f64,
    /// Validate the configuration and exit.
    pub check_config: bool,
}

/// Why the rig cannot run.
#[derive(Debug, thiserror::Error)]
pub enum RigError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A setting outside the config file is wrong.
    #[error("{0}")]
    Setting(String),
    /// The data directory or the API address cannot be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The input failed.
    #[error("input failed: {0}")]
    Input(String),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RigError {
    let what = what.into();
    move |source| RigError::Io { what, source }
}

fn is_loopback(addr: &str) -> Result<bool, RigError> {
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(io_err(format!("API address {addr:?}")))?
        .collect();
    Ok(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()))
}

/// Run the rig.
pub fn run(options: RigOptions) -> Result<(), RigError> {
    let mut config = RigConfig::load(options.config.as_deref())?;
    if let Some(dir) = options.data_dir {
        config.rig.data_dir = dir;
    }
    if let Some(bind) = options.api_bind {
        config.api.bind = bind;
    }
    if !(options.speed.is_finite() && options.speed >= 0.0) {
        return Err(RigError::Setting(format!(
            "--speed must be 0 (as fast as possible) or a positive factor, not {}",
            options.speed
        )));
    }
    let token = match std::env::var("SAIREN_RIG_OPERATOR_TOKEN") {
        Ok(t) if !t.is_empty() => Some(OperatorToken::new(t).map_err(RigError::Setting)?),
        _ => None,
    };
    let loopback = is_loopback(&config.api.bind)?;
    if !loopback && token.is_none() {
        return Err(RigError::Setting(format!(
            "the API would listen on {} (not loopback) with no SAIREN_RIG_OPERATOR_TOKEN: anyone on the rig network could acknowledge advisories or change thresholds. Set the token (16+ characters) or bind to 127.0.0.1.",
            config.api.bind
        )));
    }
    if config.api.screen_login && token.is_none() {
        return Err(RigError::Setting(
            "[api] screen_login = true needs SAIREN_RIG_OPERATOR_TOKEN: it is the screen's password"
                .into(),
        ));
    }
    let source = match options.source {
        SourceSpec::Csv { path, .. } => {
            let map = options
                .csv_map
                .unwrap_or_else(|| config.input.csv_channel_map.clone());
            super::acquisition::csv::ChannelMap::load(&map)
                .map_err(|e| RigError::Setting(e.to_string()))?;
            SourceSpec::Csv { path, map }
        }
        other => other,
    };
    if options.check_config {
        println!(
            "configuration valid: rig {} on well {}, input {}, API on {}{}",
            config.rig.rig_id,
            config.rig.well_id,
            source.describe(),
            config.api.bind,
            if token.is_some() {
                " (operator token set)"
            } else {
                ""
            }
        );
        return Ok(());
    }

    let data_dir = config.rig.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .map_err(io_err(format!("data directory {}", data_dir.display())))?;
    let baseline_path = data_dir.join("baseline.json");
    let (baseline, warning) = Baseline::load(&baseline_path, &config.rig.well_id, config.baseline);
    match warning {
        Some(w) => log::warn!("baseline: {w}"),
        None if !baseline.stats().is_empty() => log::info!(
            "baseline reloaded from {} ({:.0} % learned)",
            baseline_path.display(),
            baseline.progress() * 100.0
        ),
        None => log::info!(
            "no baseline yet for well {}: learning from steady drilling ({} samples to lock)",
            config.rig.well_id,
            config.baseline.lock_after_samples
        ),
    }
    let advisories = AdvisoryLog::open(
        &data_dir,
        config.advisories.max_file_bytes,
        config.advisories.keep_files,
        config.advisories.keep_in_memory,
    )
    .map_err(io_err(format!("advisory log in {}", data_dir.display())))?;
    let advisories_for_recall = advisories.list(&Default::default());
    let identity = Identity {
        rig_id: config.rig_id()?,
        well_id: config.rig.well_id.clone(),
        field: config.rig.field.clone(),
    };
    let api_key = match std::env::var("SAIREN_RIG_API_KEY") {
        Ok(k) if !k.trim().is_empty() => Some(ApiKey::new(k)),
        _ => None,
    };
    if config.fleet.enabled && api_key.is_none() {
        return Err(RigError::Setting(
            "[fleet] enabled = true needs SAIREN_RIG_API_KEY (the key `sairen admin register-rig` printed for this rig); without it the hub would refuse every upload".into(),
        ));
    }
    // The precedent store: the synced library (reloaded from its snapshot) with a fleet link,
    // nothing without one.
    let recall = config.fleet.enabled.then(|| {
        let library = link::load_library(&data_dir).unwrap_or_else(Library::empty);
        if !library.is_empty() {
            log::info!(
                "library version {} reloaded: {} precedents",
                library.version,
                library.len()
            );
        }
        Arc::new(Recall::new(library))
    });
    let store: Arc<dyn KnowledgeStore> = match &recall {
        Some(r) => r.clone(),
        None => Arc::new(NoopStore),
    };
    let pipeline = Pipeline::new(config.pipeline(), config.rig.campaign, baseline, store);
    let stop = Arc::new(AtomicBool::new(false));
    let mut link_thread = None;
    let sink: Box<dyn super::runner::EventSink> = match (&recall, api_key) {
        (Some(recall), Some(key)) => {
            let queue = Queue::open(&data_dir, config.fleet.queue_bound)
                .map_err(|e| RigError::Setting(e.to_string()))?;
            log::info!(
                "fleet link to {}: {} event(s) waiting in the upload queue",
                config.fleet.hub_url,
                queue.len()
            );
            let queue = Arc::new(Mutex::new(queue));
            let stats = Arc::new(Mutex::new(LinkStats {
                link_state: "not tried yet".into(),
                ..Default::default()
            }));
            let f = &config.fleet;
            let link_config = LinkConfig {
                hub_url: f.hub_url.clone(),
                rig_id: config.rig_id()?,
                key,
                upload_interval: Duration::from_secs(f.upload_interval_secs),
                sync_interval: Duration::from_secs(f.sync_interval_secs),
                sync_jitter: Duration::from_secs(f.sync_jitter_secs),
                timeout: Duration::from_secs(f.request_timeout_secs),
                data_dir: data_dir.clone(),
            };
            link_thread = Some(
                link::start(
                    link_config,
                    queue.clone(),
                    recall.clone(),
                    stats.clone(),
                    stop.clone(),
                )
                .map_err(io_err("starting the fleet link thread"))?,
            );
            Box::new(QueueSink { queue, stats })
        }
        _ => Box::new(NoUplink::default()),
    };
    if let Some(recall) = &recall {
        // The rig's own acknowledged events, from its advisory log, are precedents again.
        let own = advisories_for_recall
            .iter()
            .filter(|r| r.fleet_event)
            .filter_map(|r| local_episode(&identity.rig_id, &identity.field, r))
            .collect::<Vec<_>>();
        if !own.is_empty() {
            log::info!(
                "{} of this rig's own acknowledged events reloaded as precedents",
                own.len()
            );
        }
        for e in own {
            recall.add_local(e);
        }
    }
    let core = Arc::new(Mutex::new(Core::new(
        pipeline,
        advisories,
        identity,
        sink,
        baseline_path,
        source.describe(),
    )));
    lock(&core).recall = recall.clone();
    let source_state = Arc::new(SourceState::default());
    let state = web::Data::new(ApiState {
        core: core.clone(),
        source: source_state.clone(),
        stale_after_secs: config.input.stale_after_secs as f64,
        token,
        screen_login: config.api.screen_login,
    });
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(api::routes))
        .workers(2)
        .shutdown_timeout(5)
        .bind(&config.api.bind)
        .map_err(io_err(format!("API address {}", config.api.bind)))?;
    for addr in server.addrs() {
        log::info!("rig API on http://{addr}/api/v1/health · driller's screen on http://{addr}/");
    }
    let server = server.run();
    let handle = server.handle();

    log::info!(
        "rig {} on well {}: reading {}",
        config.rig.rig_id,
        config.rig.well_id,
        source.describe()
    );
    let replay = source.is_replay();
    let (tx, rx) = mpsc::sync_channel(4_096);
    let input = source::start(
        source,
        config.input.units,
        config.input.nulls.clone(),
        Duration::from_secs(config.input.reconnect_max_secs),
        tx,
        source_state.clone(),
    )
    .map_err(io_err("starting the input thread"))?;
    let worker = {
        let (core, stop) = (core.clone(), stop.clone());
        let speed = options.speed;
        let stale_after = Duration::from_secs(config.input.stale_after_secs);
        std::thread::Builder::new()
            .name("sairen-pipeline".into())
            .spawn(move || {
                let end = runner::run(&core, &rx, replay, speed, stale_after, &stop);
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
    if let Some(t) = link_thread {
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

fn summarize(c: &Core, source: &SourceState) {
    let all = c.advisories.list(&Default::default());
    let count = |l: RiskLevel| all.iter().filter(|r| r.advisory.risk_level == l).count();
    let total = c
        .pipeline
        .latency()
        .report()
        .into_iter()
        .find(|p| p.phase == "total");
    println!(
        "rig {}: {} packets, advisories held: {} critical, {} high, {} elevated, {} low; baseline {:.0} % learned",
        c.identity.rig_id,
        c.stream.packets,
        count(RiskLevel::Critical),
        count(RiskLevel::High),
        count(RiskLevel::Elevated),
        count(RiskLevel::Low),
        c.pipeline.baseline().progress() * 100.0
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
        .issues
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
