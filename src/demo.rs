//! `sairen demo`: the whole story on one machine, told as it happens — a hub, two rigs registered
//! with `sairen admin`, rig A meeting a pack-off that its driller resolves, the hub curating it,
//! rig B syncing and citing A's precedent in its own pack-off advisory. Ends by itself within two
//! minutes and cleans up what it started (`--keep-running` to stay up). SIGTERM or Ctrl-C at any
//! point stops the hub (and its own PostgreSQL) and both rigs, and removes the demo's files.

use crate::fleet::{LibraryResponse, RegisteredRig};
use crate::rig::advisories::AdvisoryRecord;
use crate::rig::uplink::sink::{FleetStatus, LinkStatus};
use awc::http::Method;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the demo was asked for.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// PostgreSQL for the hub (a database the demo may create tables in); `None`: the hub runs
    /// its own, under the demo's directory.
    pub database_url: Option<String>,
    /// Leave hub and rigs running at the end (Ctrl-C stops them).
    pub keep_running: bool,
    /// Simulated seconds per second for the rigs.
    pub speed: f64,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A step did not happen in time; the logs say why.
    #[error("{step} did not happen within {secs} s; logs in {logs}")]
    Timeout {
        /// The step.
        step: String,
        /// How long it was given.
        secs: u64,
        /// Where the children's logs are.
        logs: String,
    },
    /// A child could not be started or answered nonsense.
    #[error("{0}")]
    Failed(String),
    /// SIGTERM or SIGINT arrived; everything the demo started was stopped.
    #[error("stopped by a signal; the hub, its PostgreSQL and both rigs were stopped and the demo's files removed")]
    Stopped,
}

/// Every process the demo started, stopped when it ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        // SIGTERM first, newest first: rigs save their baseline, the hub lets requests finish and
        // stops its own PostgreSQL. SIGKILL only for one that does not stop in time.
        for c in self.0.iter_mut().rev() {
            if let Ok(pid) = libc::pid_t::try_from(c.id()) {
                // SAFETY: kill only sends a signal, to a child this demo started and still owns
                // (not yet waited for, so its pid cannot have been reused).
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16, DemoError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DemoError::Failed(format!("no free port: {e}")))
}

/// One HTTP exchange with a local peer (the demo's own children), through awc: the status and
/// the body read as `T` (`None` when the peer is not there yet or answered something else).
fn call<T: DeserializeOwned>(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Option<(u16, Option<T>)> {
    let (url, bearer) = (url.to_owned(), bearer.map(str::to_owned));
    actix_rt::System::new().block_on(async move {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(5))
            .finish();
        let mut req = client.request(method, &url);
        if let Some(b) = bearer {
            req = req.insert_header(("Authorization", format!("Bearer {b}")));
        }
        let mut resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .ok()?;
        let bytes = resp.body().limit(64 << 20).await.ok()?;
        Some((resp.status().as_u16(), serde_json::from_slice(&bytes).ok()))
    })
}

/// A GET whose 200 body reads as `T`.
fn get<T: DeserializeOwned>(url: &str, bearer: Option<&str>) -> Option<T> {
    match call(Method::GET, url, bearer, None)? {
        (200, body) => body,
        _ => None,
    }
}

/// The demo's run: what it started, and the clock its steps are told and timed by.
struct Demo {
    exe: PathBuf,
    started: Instant,
    /// Configs, rig data and the children's logs.
    work: PathBuf,
    deadline: Duration,
    admin_key: String,
    children: Children,
    /// Set by SIGTERM or SIGINT: every wait ends and the children are stopped.
    stop: Arc<AtomicBool>,
}

impl Demo {
    fn say(&self, line: &str) {
        println!("[{:>5.1} s] {line}", self.started.elapsed().as_secs_f64());
    }

    /// Poll `probe` until it yields, or fail the step at the demo's deadline.
    fn until<T>(&self, step: &str, mut probe: impl FnMut() -> Option<T>) -> Result<T, DemoError> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Err(DemoError::Stopped);
            }
            if let Some(v) = probe() {
                return Ok(v);
            }
            if self.started.elapsed() > self.deadline {
                return Err(DemoError::Timeout {
                    step: step.into(),
                    secs: self.deadline.as_secs(),
                    logs: self.work.display().to_string(),
                });
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Start a child with its output in `<name>.log`; it is stopped when the demo ends.
    fn spawn(&mut self, name: &str, cmd: &mut Command) -> Result<(), DemoError> {
        let log = std::fs::File::create(self.work.join(format!("{name}.log")))
            .map_err(|e| DemoError::Failed(format!("log file for {name}: {e}")))?;
        let err = log
            .try_clone()
            .map_err(|e| DemoError::Failed(e.to_string()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| DemoError::Failed(format!("cannot start {name}: {e}")))?;
        self.children.0.push(child);
        Ok(())
    }
}

fn rig_config(dir: &Path, rig_id: &str, api: u16, hub: &str) -> Result<PathBuf, DemoError> {
    let path = dir.join(format!("{rig_id}.toml"));
    let text = format!(
        "[rig]\nrig_id = \"{rig_id}\"\nwell_id = \"DEMO-{rig_id}\"\nfield = \"DEMO\"\ndata_dir = {:?}\n\
         [api]\nbind = \"127.0.0.1:{api}\"\n\
         [fleet]\nenabled = true\nhub_url = \"{hub}\"\nupload_interval_secs = 1\nsync_interval_secs = 2\nsync_jitter_secs = 1\nrequest_timeout_secs = 5\n",
        dir.join(format!("{rig_id}-data"))
    );
    std::fs::write(&path, text).map_err(|e| DemoError::Failed(e.to_string()))?;
    Ok(path)
}

/// Run the demo. Its files (configs, rig data, logs) are removed at the end, and kept when it
/// fails or with `--keep-running`.
pub fn run(options: DemoOptions) -> Result<(), DemoError> {
    let work = tempfile::Builder::new()
        .prefix("sairen-demo-")
        .tempdir()
        .map_err(|e| DemoError::Failed(e.to_string()))?;
    {
        // Searchable by others: a hub running its own PostgreSQL as root hands the cluster to the
        // postgres user, who must reach it.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755));
    }
    println!("demo files and logs in {}", work.path().display());
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| DemoError::Failed(format!("cannot watch for signals: {e}")))?;
    }
    let result = story(&options, work.path(), stop);
    if matches!(result, Err(DemoError::Stopped)) {
        return result;
    }
    if result.is_err() || options.keep_running {
        let kept = work.keep();
        eprintln!("demo files and logs kept in {}", kept.display());
    }
    result
}

/// The driller's action on rig A, which rig B's advisory must cite.
const ACTION: &str = "reduced flow to 450 gpm and worked the pipe free";

/// The hub the demo started.
struct HubUp {
    url: String,
}

/// A rig registered with the hub, and its key.
struct Registered {
    rig_id: String,
    key: String,
}

/// A rig the demo started, drilling into its pack-off.
struct RigUp {
    rig_id: String,
    port: u16,
}

impl RigUp {
    fn api(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1", self.port)
    }

    /// The fleet events this rig holds of one category, oldest first.
    fn fleet_events(&self, category: &str) -> Option<Vec<AdvisoryRecord>> {
        let list: Vec<AdvisoryRecord> = get(
            &format!("{}/advisories?category={category}", self.api()),
            None,
        )?;
        Some(list.into_iter().rev().filter(|r| r.fleet_event).collect())
    }

    fn fleet(&self) -> Option<LinkStatus> {
        get::<FleetStatus>(&format!("{}/fleet", self.api()), None)?.link
    }
}

fn story(options: &DemoOptions, work: &Path, stop: Arc<AtomicBool>) -> Result<(), DemoError> {
    let mut demo = Demo::new(work, stop)?;
    let hub = demo.start_hub(options)?;
    let run_tag = chrono::Utc::now().format("%H%M%S").to_string();
    let a = demo.register(&hub, &format!("RIG-A-{run_tag}"))?;
    let b = demo.register(&hub, &format!("RIG-B-{run_tag}"))?;
    demo.say(&format!(
        "registered {} and {} with `sairen admin register-rig`",
        a.rig_id, b.rig_id
    ));
    let rig_a = demo.start_rig(&hub, &a, "rig-a", 1, options.speed)?;
    demo.say(&format!(
        "{} drilling 8½-in hole at {}× real time (pack-off 30 simulated minutes in)",
        a.rig_id, options.speed
    ));
    let event = demo.pack_off_on(&rig_a)?;
    demo.resolve(&rig_a, &event)?;
    demo.curated(&hub, &b)?;
    let rig_b = demo.start_rig(&hub, &b, "rig-b", 2, options.speed)?;
    demo.cited(&rig_b, &a)?;
    demo.finish(&hub, &rig_a, &rig_b, options.keep_running)
}

impl Demo {
    fn new(work: &Path, stop: Arc<AtomicBool>) -> Result<Self, DemoError> {
        let mut secret = [0u8; 24];
        rand::rng().fill_bytes(&mut secret);
        Ok(Self {
            exe: std::env::current_exe().map_err(|e| DemoError::Failed(e.to_string()))?,
            started: Instant::now(),
            work: work.to_path_buf(),
            deadline: Duration::from_secs(110),
            admin_key: secret.iter().map(|b| format!("{b:02x}")).collect(),
            children: Children(Vec::new()),
            stop,
        })
    }

    /// 1. The hub, on `DATABASE_URL` or its own PostgreSQL.
    fn start_hub(&mut self, options: &DemoOptions) -> Result<HubUp, DemoError> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(&self.exe);
        cmd.args(["hub", "serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("SAIREN_ADMIN_KEY", &self.admin_key);
        let database = match &options.database_url {
            Some(db) => {
                cmd.env("DATABASE_URL", db);
                "the PostgreSQL of DATABASE_URL"
            }
            None => {
                cmd.env_remove("DATABASE_URL")
                    .arg("--data-dir")
                    .arg(self.work.join("hub"));
                "its own PostgreSQL (no DATABASE_URL set)"
            }
        };
        self.spawn("hub", &mut cmd)?;
        self.until("the hub starting", || {
            call::<Value>(Method::GET, &format!("{url}/api/fleet/health"), None, None)
                .filter(|(s, _)| *s == 200)
        })?;
        self.say(&format!(
            "hub up on {url} with {database}, migrated, curator running"
        ));
        Ok(HubUp { url })
    }

    /// 2. A rig registered with `sairen admin register-rig`, as an administrator would.
    fn register(&self, hub: &HubUp, rig_id: &str) -> Result<Registered, DemoError> {
        let out = Command::new(&self.exe)
            .args(["admin", "--hub-url", &hub.url, "--json", "register-rig"])
            .args(["--rig-id", rig_id, "--well-id", &format!("DEMO-{rig_id}")])
            .args(["--field", "DEMO"])
            .env("SAIREN_ADMIN_KEY", &self.admin_key)
            .output()
            .map_err(|e| DemoError::Failed(e.to_string()))?;
        let registered: RegisteredRig = serde_json::from_slice(&out.stdout).map_err(|_| {
            DemoError::Failed(format!(
                "sairen admin register-rig {rig_id} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        })?;
        Ok(Registered {
            rig_id: rig_id.to_owned(),
            key: registered.api_key,
        })
    }

    /// 3. and 5. A rig on the simulator's pack-off, linked to the hub, logging to `<log>.log`.
    fn start_rig(
        &mut self,
        hub: &HubUp,
        rig: &Registered,
        log: &str,
        seed: u64,
        speed: f64,
    ) -> Result<RigUp, DemoError> {
        // A port found free can be taken by another program before the rig binds it (a loaded
        // CI machine saw rig A gone at once): a rig that exits before its API answers is started
        // again on another port.
        for _ in 0..3 {
            let port = free_port()?;
            let config = rig_config(&self.work, &rig.rig_id, port, &hub.url)?;
            self.spawn(
                log,
                Command::new(&self.exe)
                    .arg("rig")
                    .arg("--config")
                    .arg(&config)
                    .args(["--simulate", "pack_off", "--seed", &seed.to_string()])
                    .args(["--seconds", "0", "--speed", &speed.to_string()])
                    .env("SAIREN_RIG_API_KEY", &rig.key),
            )?;
            let up = RigUp {
                rig_id: rig.rig_id.clone(),
                port,
            };
            if self.answers(&up)? {
                return Ok(up);
            }
        }
        Err(DemoError::Failed(format!(
            "{} exited at start three times; its log is {}",
            rig.rig_id,
            self.work.join(format!("{log}.log")).display()
        )))
    }

    /// Whether the rig just started answers on its API (`false`: it exited first).
    fn answers(&mut self, rig: &RigUp) -> Result<bool, DemoError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if get::<Value>(&format!("{}/health", rig.api()), None).is_some() {
                return Ok(true);
            }
            let exited = self
                .children
                .0
                .last_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
            if exited {
                self.children.0.pop();
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(DemoError::Failed(format!(
            "{} did not answer on its API within 30 s",
            rig.rig_id
        )))
    }

    /// Rig A raises its pack-off as a fleet event.
    fn pack_off_on(&self, rig: &RigUp) -> Result<AdvisoryRecord, DemoError> {
        let record = self.until("rig A raising its pack-off", || {
            rig.fleet_events("pack_off")?.into_iter().next()
        })?;
        self.say(&format!(
            "{} [{}] {}",
            rig.rig_id,
            record.advisory.risk_level.as_str().to_uppercase(),
            record.advisory.recommendation
        ));
        Ok(record)
    }

    /// Rig A's driller resolves it; the event and its outcome go up to the hub.
    fn resolve(&self, rig: &RigUp, event: &AdvisoryRecord) -> Result<(), DemoError> {
        let ack = serde_json::json!({"id": event.id, "outcome": {"status": "resolved", "action_taken": ACTION}});
        call::<Value>(
            Method::POST,
            &format!("{}/advisory/acknowledge", rig.api()),
            None,
            Some(ack),
        )
        .filter(|(s, _)| *s == 200)
        .ok_or_else(|| DemoError::Failed("acknowledging on rig A failed".into()))?;
        self.say(&format!("{}'s driller: resolved — {ACTION}", rig.rig_id));
        self.until("rig A uploading its event", || {
            (rig.fleet()?.stats.delivered >= 1).then_some(())
        })?;
        self.say(&format!(
            "{} uploaded event {} and its outcome to the hub",
            rig.rig_id, event.id
        ));
        Ok(())
    }

    /// 4. The hub curates A's episode into the library (read with B's key: other rigs' only).
    fn curated(&self, hub: &HubUp, reader: &Registered) -> Result<(), DemoError> {
        let url = format!("{}/api/fleet/library?since=0", hub.url);
        let summary = self.until("the hub curating A's episode", || {
            let library: LibraryResponse = get(&url, Some(&reader.key))?;
            library
                .episodes
                .into_iter()
                .map(|e| e.resolution_summary)
                .find(|s| s.contains(ACTION))
        })?;
        self.say(&format!("hub curated: {summary}"));
        Ok(())
    }

    /// 5. Rig B syncs the library and, at its own pack-off, cites A's precedent.
    fn cited(&self, rig: &RigUp, precedent_of: &Registered) -> Result<(), DemoError> {
        let version = self.until("rig B syncing the library", || {
            let link = rig.fleet()?;
            (link.stats.episodes_loaded >= 1).then_some(link.stats.library_version)
        })?;
        self.say(&format!("{} synced library version {version}", rig.rig_id));
        let cited = self.until("rig B citing A's precedent", || {
            rig.fleet_events("pack_off")?.into_iter().find_map(|r| {
                let first = r.advisory.precedents.first()?;
                (first.rig_id.as_str() == precedent_of.rig_id).then_some(r.advisory.recommendation)
            })
        })?;
        self.say(&format!("{} advises: {cited}", rig.rig_id));
        Ok(())
    }

    /// Say where everything is; stop it all unless asked to keep it running.
    fn finish(
        self,
        hub: &HubUp,
        a: &RigUp,
        b: &RigUp,
        keep_running: bool,
    ) -> Result<(), DemoError> {
        println!();
        println!(
            "Done in {:.0} s: rig B's advisory cites rig A's precedent and the action that worked.",
            self.started.elapsed().as_secs_f64()
        );
        println!(
            "  fleet dashboard: {}/dashboard   (no user name; password: this run's admin key {})",
            hub.url, self.admin_key
        );
        println!("  hub API:         {}/api/fleet/health", hub.url);
        for (name, rig) in [("rig A", a), ("rig B", b)] {
            println!(
                "  {name} screen:    http://127.0.0.1:{}/   (API {}/health)",
                rig.port,
                rig.api()
            );
        }
        println!("  logs:            {}", self.work.display());
        if keep_running {
            println!("Everything keeps running; Ctrl-C or SIGTERM stops it.");
            while !self.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
            }
            println!("Stopping hub and rigs.");
            return Ok(());
        }
        println!("Stopping hub and rigs, removing the demo's files.");
        drop(self.children);
        Ok(())
    }
}
