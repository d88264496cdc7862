//! Rigs for black-box tests: a real `sairen rig` process (its API address read from its log), or
//! the same rig built in this test process with `Rig::build` (its address asked of it), each with
//! its own data directory and config; both answered through [`RigClient`].

use super::http;
use sairen::rig::acquisition::source::SourceSpec;
use sairen::rig::settings::{RigError, RigOptions, RigSecrets, RigSettings};
use sairen::rig::start::{Rig, RigStopper};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running rig, killed when dropped.
pub struct RigProcess {
    /// The child.
    pub child: Child,
    /// `127.0.0.1:PORT` of its API.
    pub addr: String,
    /// Every log line so far.
    pub log: Arc<Mutex<Vec<String>>>,
    /// Its stdin, when started with `--stdin`.
    pub stdin: Option<ChildStdin>,
}

/// The test rig's config under `dir` (rig RIG-TEST-1, data in `dir/data`) plus `extra_toml`.
pub fn rig_config(dir: &Path, extra_toml: &str) -> PathBuf {
    let config = dir.join("rig.toml");
    let toml = format!(
        "[rig]\nrig_id = \"RIG-TEST-1\"\nwell_id = \"W-TEST\"\nfield = \"Volve\"\ndata_dir = {:?}\n{extra_toml}",
        dir.join("data")
    );
    std::fs::write(&config, toml).expect("config");
    config
}

/// The `sairen` binary with the rig's config and data directory under `dir`.
pub fn rig_command(dir: &Path, extra_toml: &str) -> Command {
    let config = rig_config(dir, extra_toml);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sairen"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["rig", "--config"])
        .arg(&config)
        .env(
            "RUST_LOG",
            std::env::var("RIG_LOG").unwrap_or("info".into()),
        )
        .env_remove("SAIREN_RIG_OPERATOR_TOKEN")
        .env_remove("SAIREN_RIG_API_KEY");
    cmd
}

/// `[fleet]` linking a test rig to the hub at `hub` (`HOST:PORT`): uploads every second, a sync
/// every 2 s.
pub fn fleet_toml(hub: &str) -> String {
    format!(
        "[fleet]\nenabled = true\nhub_url = \"http://{hub}\"\nupload_interval_secs = 1\nsync_interval_secs = 2\nsync_jitter_secs = 1\nrequest_timeout_secs = 5\n"
    )
}

/// The rig of `rig_command(dir, extra_toml)`, named `rig_id` (instead of RIG-TEST-1) and given
/// its fleet `key`: not yet started.
pub fn named_rig_command(dir: &Path, rig_id: &str, key: &str, extra_toml: &str) -> Command {
    let mut cmd = rig_command(dir, extra_toml);
    let config = dir.join("rig.toml");
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("RIG-TEST-1", rig_id);
    std::fs::write(&config, text).expect("config");
    cmd.env("SAIREN_RIG_API_KEY", key);
    cmd
}

/// The rig `rig_id` under `dir` on the simulator's pack-off at 150× real time, linked to the hub
/// at `hub` (`HOST:PORT`) with `key`, uploading every second: not yet started.
#[allow(dead_code)]
pub fn linked_rig_command(dir: &Path, rig_id: &str, hub: &str, key: &str) -> Command {
    let mut cmd = named_rig_command(dir, rig_id, key, &fleet_toml(hub));
    cmd.args(["--simulate", "pack_off", "--seconds", "0", "--speed", "150"])
        .args(["--api-bind", "127.0.0.1:0"]);
    cmd
}

impl RigProcess {
    /// Start `cmd` (from [`rig_command`] plus input arguments) and wait for its API.
    pub fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sairen rig");
        let stderr = child.stderr.take().expect("stderr");
        let stdin = child.stdin.take();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("rig API on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = tx.send(addr);
                }
                sink.lock().expect("log").push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "rig did not start; log:\n{}",
                    log.lock().expect("log").join("\n")
                )
            });
        Self {
            child,
            addr,
            log,
            stdin,
        }
    }
}

impl RigClient for RigProcess {
    fn addr(&self) -> &str {
        &self.addr
    }

    fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }
}

/// What a test asks of a running rig, over its HTTP API.
pub trait RigClient {
    /// `127.0.0.1:PORT` of its API.
    fn addr(&self) -> &str;

    /// Its log so far, for failure messages.
    fn log_text(&self) -> String;

    /// GET a path; status and JSON.
    fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = http(self.addr(), "GET", path, &[], b"").expect("GET");
        (r.status, r.json())
    }

    /// Send a JSON body with a method and optional bearer token; status and JSON.
    fn send(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b.as_str()));
        }
        let r = http(
            self.addr(),
            method,
            path,
            &headers,
            body.to_string().as_bytes(),
        )
        .expect("request");
        (r.status, r.json())
    }

    /// Poll `path` until `done` says yes, or panic after `secs`.
    fn wait_for(
        &self,
        path: &str,
        secs: u64,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let (status, body) = self.get(path);
            if status == 200 && done(&body) {
                return body;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!(
                    "{path} not as wanted after {secs} s: {body}\nlog:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A rig built and run in this test process, stopped (as SIGTERM would) when dropped.
pub struct RigInProcess {
    /// `127.0.0.1:PORT` of its API.
    pub addr: String,
    stopper: RigStopper,
    thread: Option<std::thread::JoinHandle<Result<(), RigError>>>,
    _config_dir: PathBuf,
}

impl RigInProcess {
    /// Build the rig of `rig_config(dir, extra_toml)` on `source`, run it on a thread, and return
    /// once its API listens.
    pub fn start(
        dir: &Path,
        extra_toml: &str,
        source: SourceSpec,
        speed: f64,
        api_bind: &str,
        secrets: RigSecrets,
    ) -> Self {
        let options = RigOptions {
            config: Some(rig_config(dir, extra_toml)),
            source,
            data_dir: None,
            api_bind: Some(api_bind.to_owned()),
            csv_map: None,
            speed,
        };
        let settings = RigSettings::load(options, secrets).expect("valid rig settings");
        let rig = Rig::build(settings).expect("the rig builds");
        let addr = rig.api_addr().to_string().replace("0.0.0.0", "127.0.0.1");
        let stopper = rig.stopper();
        let thread = std::thread::spawn(move || rig.run_until_stopped());
        Self {
            addr,
            stopper,
            thread: Some(thread),
            _config_dir: dir.to_path_buf(),
        }
    }
}

impl RigClient for RigInProcess {
    fn addr(&self) -> &str {
        &self.addr
    }

    fn log_text(&self) -> String {
        "(in-process rig: its log goes to the test's output)".into()
    }
}

impl Drop for RigInProcess {
    fn drop(&mut self) {
        self.stopper.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RigProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shared Volve log, read in place (never copied into the repository): from the folder
/// `SAIREN_SHARED_DATA` names, else `../shared/data` beside the checkout, else the workplace's
/// `/work/shared/data`. Absent everywhere, the test fails and says where it looked.
pub fn volve_csv() -> PathBuf {
    const FILE: &str = "usrop_A0_F-9A_depth.csv";
    let mut places: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = std::env::var("SAIREN_SHARED_DATA") {
        places.push(PathBuf::from(dir));
    }
    places.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    places.push(PathBuf::from("/work/shared/data"));
    places
        .iter()
        .map(|d| d.join(FILE))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "{FILE} not found in {places:?}: set SAIREN_SHARED_DATA to the folder of the shared drilling data"
            )
        })
}

/// The rig's real uploader over the queue in `dir`, sending to the hub at `hub` (`HOST:PORT`) as
/// `rig_id` with `key` until the queue is empty or `within` passes: whether it emptied, with no
/// dead letter. The link's library sync and heartbeats are left idle (an hour apart).
#[allow(dead_code)] // not every test binary drains a queue
pub fn drain_queue(
    queue: &Arc<Mutex<sairen::rig::uplink::queue::Queue>>,
    dir: &Path,
    hub: &str,
    rig_id: &str,
    key: &str,
    within: Duration,
) -> bool {
    use sairen::fleet::RigId;
    use sairen::rig::recall::Recall;
    use sairen::rig::uplink::link::{self, LinkConfig};
    use sairen::rig::uplink::sink::LinkStats;
    use sairen::web::Secret;
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    let config = LinkConfig {
        hub_url: format!("http://{hub}"),
        rig_id: RigId::parse(rig_id).expect("rig id"),
        key: Secret::new(key),
        upload_interval: Duration::from_millis(200),
        sync_interval: Duration::from_secs(3_600),
        sync_jitter: Duration::ZERO,
        timeout: Duration::from_secs(10),
        data_dir: dir.to_path_buf(),
        heartbeat_interval: Duration::from_secs(3_600),
    };
    let thread = link::start(
        config,
        queue.clone(),
        Arc::new(Recall::default()),
        Arc::new(Mutex::new(LinkStats::default())),
        Arc::default(),
        Arc::default(),
        stop.clone(),
    )
    .expect("link thread");
    let drained = super::wait_until(within, || queue.lock().expect("queue").is_empty());
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
    drained && queue.lock().expect("queue").dead_letters() == 0
}
