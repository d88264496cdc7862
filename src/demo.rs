//! `sairen demo`: the whole story on one machine, told as it happens — a hub, two rigs registered
//! with `sairen admin`, rig A meeting a pack-off that its driller resolves, the hub curating it,
//! rig B syncing and citing A's precedent in its own pack-off advisory. Ends by itself within two
//! minutes and cleans up what it started (`--keep-running` to stay up).

use rand::RngCore;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
}

/// Every process the demo started, stopped when it ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        // SIGTERM first, newest first: rigs save their baseline, the hub lets requests finish and
        // stops its own PostgreSQL. SIGKILL only for one that does not stop in time.
        for c in self.0.iter_mut().rev() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
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

/// One HTTP exchange with a local peer (the demo's own children), through awc.
fn call(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let (method, url, bearer) = (method.to_owned(), url.to_owned(), bearer.map(str::to_owned));
    actix_rt::System::new().block_on(async move {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(5))
            .finish();
        let mut req = match method.as_str() {
            "POST" => client.post(&url),
            _ => client.get(&url),
        };
        if let Some(b) = bearer {
            req = req.insert_header(("Authorization", format!("Bearer {b}")));
        }
        let mut resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .ok()?;
        let bytes = resp.body().limit(64 << 20).await.ok()?;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Some((resp.status().as_u16(), json))
    })
}

struct Demo {
    started: Instant,
    logs: PathBuf,
    deadline: Duration,
}

impl Demo {
    fn say(&self, line: &str) {
        println!("[{:>5.1} s] {line}", self.started.elapsed().as_secs_f64());
    }

    /// Poll `probe` until it yields, or fail the step at the demo's deadline.
    fn until<T>(&self, step: &str, mut probe: impl FnMut() -> Option<T>) -> Result<T, DemoError> {
        loop {
            if let Some(v) = probe() {
                return Ok(v);
            }
            if self.started.elapsed() > self.deadline {
                return Err(DemoError::Timeout {
                    step: step.into(),
                    secs: self.deadline.as_secs(),
                    logs: self.logs.display().to_string(),
                });
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn spawn(&self, name: &str, cmd: &mut Command) -> Result<Child, DemoError> {
        let log = std::fs::File::create(self.logs.join(format!("{name}.log")))
            .map_err(|e| DemoError::Failed(format!("log file for {name}: {e}")))?;
        let err = log
            .try_clone()
            .map_err(|e| DemoError::Failed(e.to_string()))?;
        cmd.stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| DemoError::Failed(format!("cannot start {name}: {e}")))
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
    let result = story(&options, work.path());
    if result.is_err() || options.keep_running {
        let kept = work.keep();
        eprintln!("demo files and logs kept in {}", kept.display());
    }
    result
}

fn story(options: &DemoOptions, work: &Path) -> Result<(), DemoError> {
    let exe = std::env::current_exe().map_err(|e| DemoError::Failed(e.to_string()))?;
    let demo = Demo {
        started: Instant::now(),
        logs: work.to_path_buf(),
        deadline: Duration::from_secs(110),
    };
    let mut children = Children(Vec::new());
    let mut secret = [0u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let admin_key: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let run_tag = chrono::Utc::now().format("%H%M%S").to_string();

    // 1. The hub.
    let hub_port = free_port()?;
    let hub = format!("http://127.0.0.1:{hub_port}");
    let mut hub_cmd = Command::new(&exe);
    hub_cmd
        .args(["hub", "serve", "--bind", &format!("127.0.0.1:{hub_port}")])
        .env("SAIREN_ADMIN_KEY", &admin_key);
    let database = match &options.database_url {
        Some(url) => {
            hub_cmd.env("DATABASE_URL", url);
            "the PostgreSQL of DATABASE_URL"
        }
        None => {
            hub_cmd
                .env_remove("DATABASE_URL")
                .arg("--data-dir")
                .arg(work.join("hub"));
            "its own PostgreSQL (no DATABASE_URL set)"
        }
    };
    children.0.push(demo.spawn("hub", &mut hub_cmd)?);
    demo.until("the hub starting", || {
        call("GET", &format!("{hub}/api/fleet/health"), None, None).filter(|(s, _)| *s == 200)
    })?;
    demo.say(&format!(
        "hub up on {hub} with {database}, migrated, curator running"
    ));

    // 2. Two rigs registered with `sairen admin`.
    let register = |rig: &str| -> Result<String, DemoError> {
        let out = Command::new(&exe)
            .args([
                "admin",
                "--hub-url",
                &hub,
                "--json",
                "register-rig",
                "--rig-id",
                rig,
            ])
            .args(["--well-id", &format!("DEMO-{rig}"), "--field", "DEMO"])
            .env("SAIREN_ADMIN_KEY", &admin_key)
            .output()
            .map_err(|e| DemoError::Failed(e.to_string()))?;
        let v: Value = serde_json::from_slice(&out.stdout).map_err(|_| {
            DemoError::Failed(format!(
                "sairen admin register-rig {rig} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        })?;
        v["api_key"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| DemoError::Failed(format!("no key for {rig}: {v}")))
    };
    let (rig_a, rig_b) = (format!("RIG-A-{run_tag}"), format!("RIG-B-{run_tag}"));
    let key_a = register(&rig_a)?;
    let key_b = register(&rig_b)?;
    demo.say(&format!(
        "registered {rig_a} and {rig_b} with `sairen admin register-rig`"
    ));

    // 3. Rig A drills into a pack-off.
    let speed = format!("{}", options.speed);
    let api_a = free_port()?;
    let config_a = rig_config(work, &rig_a, api_a, &hub)?;
    children.0.push(
        demo.spawn(
            "rig-a",
            Command::new(&exe)
                .arg("rig")
                .arg("--config")
                .arg(&config_a)
                .args([
                    "--simulate",
                    "pack_off",
                    "--seconds",
                    "0",
                    "--speed",
                    &speed,
                ])
                .env("SAIREN_RIG_API_KEY", &key_a),
        )?,
    );
    let a_api = format!("http://127.0.0.1:{api_a}/api/v1");
    demo.say(&format!(
        "{rig_a} drilling 8½-in hole at {speed}× real time (pack-off 30 simulated minutes in)"
    ));
    let record = demo.until("rig A raising its pack-off", || {
        let (_, list) = call(
            "GET",
            &format!("{a_api}/advisories?category=pack_off"),
            None,
            None,
        )?;
        list.as_array()?
            .iter()
            .rev()
            .find(|r| r["fleet_event"] == true)
            .cloned()
    })?;
    let id = record["id"].as_str().unwrap_or_default().to_owned();
    demo.say(&format!(
        "{rig_a} [{}] {}",
        record["advisory"]["risk_level"]
            .as_str()
            .unwrap_or("?")
            .to_uppercase(),
        record["advisory"]["recommendation"].as_str().unwrap_or("")
    ));
    let action = "reduced flow to 450 gpm and worked the pipe free";
    let ack =
        serde_json::json!({"id": id, "outcome": {"status": "resolved", "action_taken": action}});
    call(
        "POST",
        &format!("{a_api}/advisory/acknowledge"),
        None,
        Some(ack),
    )
    .filter(|(s, _)| *s == 200)
    .ok_or_else(|| DemoError::Failed("acknowledging on rig A failed".into()))?;
    demo.say(&format!("{rig_a}'s driller: resolved — {action}"));
    demo.until("rig A uploading its event", || {
        let (_, f) = call("GET", &format!("{a_api}/fleet"), None, None)?;
        (f["stats"]["delivered"].as_u64()? >= 1).then_some(())
    })?;
    demo.say(&format!(
        "{rig_a} uploaded event {id} and its outcome to the hub"
    ));

    // 4. The hub curates it into the library.
    let summary = demo.until("the hub curating A's episode", || {
        let (status, lib) = call(
            "GET",
            &format!("{hub}/api/fleet/library?since=0"),
            Some(&key_b),
            None,
        )?;
        if status != 200 {
            return None;
        }
        lib["episodes"].as_array()?.iter().find_map(|e| {
            let s = e["resolution_summary"].as_str()?;
            s.contains(action).then(|| s.to_owned())
        })
    })?;
    demo.say(&format!("hub curated: {summary}"));

    // 5. Rig B syncs and meets its own pack-off.
    let api_b = free_port()?;
    let config_b = rig_config(work, &rig_b, api_b, &hub)?;
    children.0.push(
        demo.spawn(
            "rig-b",
            Command::new(&exe)
                .arg("rig")
                .arg("--config")
                .arg(&config_b)
                .args([
                    "--simulate",
                    "pack_off",
                    "--seed",
                    "2",
                    "--seconds",
                    "0",
                    "--speed",
                    &speed,
                ])
                .env("SAIREN_RIG_API_KEY", &key_b),
        )?,
    );
    let b_api = format!("http://127.0.0.1:{api_b}/api/v1");
    let version = demo.until("rig B syncing the library", || {
        let (_, f) = call("GET", &format!("{b_api}/fleet"), None, None)?;
        (f["stats"]["episodes_loaded"].as_u64()? >= 1)
            .then(|| f["stats"]["library_version"].clone())
    })?;
    demo.say(&format!("{rig_b} synced library version {version}"));
    let cited = demo.until("rig B citing A's precedent", || {
        let (_, list) = call(
            "GET",
            &format!("{b_api}/advisories?category=pack_off"),
            None,
            None,
        )?;
        list.as_array()?.iter().rev().find_map(|r| {
            let p = &r["advisory"]["precedents"][0];
            (p["rig_id"].as_str()? == rig_a).then(|| r["advisory"]["recommendation"].clone())
        })
    })?;
    demo.say(&format!(
        "{rig_b} advises: {}",
        cited.as_str().unwrap_or("")
    ));

    println!();
    println!(
        "Done in {:.0} s: rig B's advisory cites rig A's precedent and the action that worked.",
        demo.started.elapsed().as_secs_f64()
    );
    println!(
        "  fleet dashboard: {hub}/dashboard   (sign in with this run's admin key: {admin_key})"
    );
    println!("  hub API:         {hub}/api/fleet/health");
    println!("  rig A screen:    http://127.0.0.1:{api_a}/   (API {a_api}/health)");
    println!("  rig B screen:    http://127.0.0.1:{api_b}/   (API {b_api}/health)");
    println!("  logs:            {}", work.display());
    if options.keep_running {
        println!("Everything keeps running; Ctrl-C stops it.");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    println!("Stopping hub and rigs, removing the demo's files.");
    drop(children);
    Ok(())
}
