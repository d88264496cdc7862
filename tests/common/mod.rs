//! Test harness: a database per test cloned from a migrated template, a fixture event builder,
//! a real `sairen hub serve` process, a blocking HTTP call through awc, and a private PostgreSQL
//! cluster for tests that stop the database.
#![allow(dead_code)]

pub mod app;
pub mod fake_hub;
pub mod fake_llm;
pub mod rig;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_query;
use sairen::fleet::{EventId, FleetEvent, RigId};
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The admin key every test hub runs with.
pub const ADMIN_KEY: &str = "test-admin-key-0123456789";

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// URL of the maintenance database of the server under test (`DATABASE_URL` names the server).
pub fn server_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_SERVER.into());
    with_database(&url, "postgres")
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

fn connect_server() -> PgConnection {
    let url = server_url();
    PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url}: {e}\n\
             These tests need a real PostgreSQL. Start the machine's cluster \
             (`pg_ctlcluster --skip-systemctl-redirect 15 main start`, as .ci/run does) or set \
             DATABASE_URL to a server where this user may create databases."
        )
    })
}

fn migrations_fingerprint() -> u64 {
    use std::hash::{Hash, Hasher};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<PathBuf> = walk(&dir);
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in files {
        f.strip_prefix(&dir).unwrap_or(&f).hash(&mut h);
        std::fs::read(&f).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

const TEMPLATE_LOCK: i64 = 0x5341_4952_454E_7E57;

/// A database of its own for one test, dropped when the value is.
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// A fresh, migrated database (cloned from a template migrated once per schema version).
    pub fn new() -> Self {
        Self::create(true)
    }

    /// A fresh, empty database (no migrations applied).
    pub fn empty() -> Self {
        Self::create(false)
    }

    fn create(migrated: bool) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let mut admin = connect_server();
        let template = format!("sairen_tmpl_{:016x}", migrations_fingerprint());
        let name = format!(
            "sairen_test_{}_{}_{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        // Serialise template creation and cloning across test processes.
        sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .execute(&mut admin)
            .expect("lock");
        if migrated {
            let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &format!("EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}')"),
            ))
            .get_result(&mut admin)
            .expect("check template");
            if !exists {
                let building = format!("{template}_building");
                sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .execute(&mut admin)
                    .expect("drop");
                sql_query(format!("CREATE DATABASE {building}"))
                    .execute(&mut admin)
                    .expect("create template");
                {
                    let mut conn =
                        PgConnection::establish(&with_database(&server_url(), &building))
                            .expect("template");
                    sairen::hub::db::run_migrations(&mut conn).expect("migrate template");
                }
                sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
                    .execute(&mut admin)
                    .expect("rename");
            }
            sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .execute(&mut admin)
                .expect("clone");
        } else {
            sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .expect("create");
        }
        sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
            .execute(&mut admin)
            .expect("unlock");
        let url = with_database(&server_url(), &name);
        Self { name, url }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A direct connection, for setting up and checking state.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&server_url()) {
            let _ = sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// The fixture event, re-stamped for `rig` at `at` (so it is fresh and its id is the rig's).
pub fn event_for(rig: &str, at: DateTime<Utc>) -> FleetEvent {
    let path = format!(
        "{}/tests/fixtures/fleet_event.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut event: FleetEvent = serde_json::from_str(&text).expect("fixture parses");
    let rig_id = RigId::parse(rig).expect("rig id");
    event.id = EventId::new(&rig_id, at.timestamp(), 0);
    event.rig_id = rig_id;
    let shift = at - event.timestamp;
    event.timestamp = at;
    event.advisory.timestamp = at;
    for s in &mut event.history_window {
        s.packet.timestamp += shift;
    }
    event
}

/// A minimal blocking HTTP/1.1 exchange; returns status, headers (lower-cased names) and body.
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Send one request through awc (a new connection each time) and read the whole reply.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let url = format!("http://{addr}{path}");
    let method = awc::http::Method::from_bytes(method.as_bytes()).map_err(std::io::Error::other)?;
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let body = body.to_vec();
    actix_rt::System::new().block_on(async move {
        // Redirects are answers the tests read, not followed.
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .disable_redirects()
            .finish();
        let mut req = client.request(method, &url);
        for (n, v) in &headers {
            req = req.insert_header((n.as_str(), v.as_str()));
        }
        let sent = if body.is_empty() {
            req.send().await
        } else {
            req.send_body(body).await
        };
        let mut resp = sent.map_err(|e| std::io::Error::other(e.to_string()))?;
        let body = resp
            .body()
            .limit(256 << 20)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Reply {
            status: resp.status().as_u16(),
            headers: resp
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: body.to_vec(),
        })
    })
}

/// Read a raw HTTP/1.1 reply (not chunked) from a stream until the server closes it: for tests
/// that must write the request byte by byte themselves.
pub fn read_reply(mut stream: TcpStream) -> std::io::Result<Reply> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    Ok(Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// A running `sairen hub serve` process, killed when dropped.
pub struct HubProcess {
    /// The child process.
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Every log line so far.
    pub log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl HubProcess {
    /// Start a hub on `database_url` with the shipped defaults plus `extra_toml`, on a free port.
    pub fn start(database_url: &str, extra_toml: &str) -> Self {
        Self::start_on(database_url, extra_toml, "127.0.0.1:0")
    }

    /// The same on a given address (to bring a hub back where its rigs expect it).
    pub fn start_on(database_url: &str, extra_toml: &str, bind: &str) -> Self {
        Self::start_with_env(database_url, extra_toml, bind, &[])
    }

    /// The same with further environment variables.
    pub fn start_with_env(
        database_url: &str,
        extra_toml: &str,
        bind: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("hub.toml");
        std::fs::write(&config, extra_toml).expect("config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_sairen"))
            .args(["hub", "serve", "--bind", bind, "--config"])
            .arg(&config)
            .env("DATABASE_URL", database_url)
            .env("SAIREN_ADMIN_KEY", ADMIN_KEY)
            .envs(env.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("HUB_LOG").unwrap_or("info".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sairen hub serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    // Text or JSON lines: the address ends where its characters do.
                    let addr: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c))
                        .collect();
                    let _ = tx.send(addr);
                }
                sink.lock().expect("log").push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "hub did not start; log:\n{}",
                    log.lock().expect("log").join("\n")
                )
            });
        Self {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    /// Register a rig through the API and return its key.
    pub fn register(&self, rig: &str) -> String {
        let body =
            serde_json::json!({"rig_id": rig, "well_id": "W-1", "field": "Volve"}).to_string();
        let reply = http(
            &self.addr,
            "POST",
            "/api/fleet/rigs/register",
            &admin_headers(),
            body.as_bytes(),
        )
        .expect("register");
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()["api_key"]
            .as_str()
            .expect("api_key")
            .to_owned()
    }

    /// Add a dashboard user the way an administrator does: `sairen admin user add`, the
    /// password on standard input. The command's output.
    #[allow(dead_code)] // not every test binary adds users
    pub fn add_user(&self, name: &str, role: &str, password: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_sairen"))
            .args(["admin", "--hub-url", &format!("http://{}", self.addr)])
            .args(["user", "add", name, "--role", role])
            .env("SAIREN_ADMIN_KEY", ADMIN_KEY)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("sairen admin user add");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("password");
        child.wait_with_output().expect("sairen admin user add")
    }

    /// Resident memory of the hub process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.proc_status_kib("VmRSS:")
    }

    /// The most resident memory the hub process has had (since [`Self::reset_peak_rss`]), in
    /// KiB.
    #[allow(dead_code)] // used by the load-run bench and hub_process
    pub fn peak_rss_kib(&self) -> u64 {
        self.proc_status_kib("VmHWM:")
    }

    /// Start measuring the peak afresh (Linux: `5` to `/proc/PID/clear_refs`).
    #[allow(dead_code)]
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("reset the peak RSS (Linux 4.0+)");
    }

    fn proc_status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc status"))
    }

    /// Send a signal to the hub.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// The log so far, joined.
    pub fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headers carrying the admin key.
pub fn admin_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Authorization", "Bearer test-admin-key-0123456789"),
        ("Content-Type", "application/json"),
    ]
}

/// A TCP port nobody is listening on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A throwaway PostgreSQL cluster of this test's own (initdb, pg_ctl), for tests that stop it.
pub struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

fn pg_bin() -> PathBuf {
    sairen::hub::embedded::find_bin().expect(
        "PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin",
    )
}

/// A PostgreSQL server tool, run as user `postgres` when we are root (initdb and pg_ctl refuse root).
fn pg_command(exe: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(exe);
        cmd
    } else {
        Command::new(exe)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

impl PrivateCluster {
    /// initdb and start a cluster on a free port (as user `postgres` when running as root).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(ok.success());
        }
        let cluster = Self {
            bin: pg_bin(),
            port: free_port(),
            dir,
        };
        let data = cluster.dir.path().join("data");
        cluster.pg(
            "initdb",
            &[
                "-D",
                data.to_str().expect("path"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster.up();
        cluster
    }

    fn pg(&self, tool: &str, args: &[&str]) {
        let output = pg_command(&self.bin.join(tool))
            .args(args)
            .output()
            .expect("run PostgreSQL tool");
        assert!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Start (or restart) the server.
    pub fn up(&self) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-c fsync=off -c listen_addresses=127.0.0.1 -p {} -k {}",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("path"),
                "-o",
                &opts,
                "-l",
                log.to_str().expect("path"),
                "-w",
                "start",
            ],
        );
    }

    /// Stop the server (fast shutdown: sessions are terminated).
    pub fn down(&self) {
        let data = self.dir.path().join("data");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("path"),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let args = [
            "-D",
            data.to_str().unwrap_or_default(),
            "-m",
            "immediate",
            "stop",
        ];
        let _ = pg_command(&self.bin.join("pg_ctl")).args(args).output();
    }
}

/// Poll `f` until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The nearest-rank `p` quantile of ascending `sorted` values (NaN when there are none), as the
/// load runs report latencies.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Check a `/metrics` body with Prometheus's own `promtool check metrics` (Debian's
/// `prometheus` package; `scripts/install-tools.sh` installs it), failing on any complaint.
#[allow(dead_code)]
pub fn promtool_check(text: &str) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("promtool is needed to check /metrics ({e}): run scripts/install-tools.sh")
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool ran");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of the series `series` (name and labels exactly as exposed) in a `/metrics` body.
#[allow(dead_code)]
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Every `sairen_…` series a shipped Grafana dashboard (`docs/<file>`) charts appears in the
/// `/metrics` body `text`, but those starting with one of `absent_ok` (families this run does not
/// have, such as the uplink's without a fleet link).
#[allow(dead_code)]
pub fn dashboard_series_exposed(file: &str, text: &str, absent_ok: &[&str]) {
    let path = format!("{}/docs/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("dashboard")).expect("JSON");
    let mut charted = Vec::new();
    for panel in doc["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("sairen_") {
                    charted.push(word.to_owned());
                }
            }
        }
    }
    assert!(charted.len() >= 10, "{charted:?}");
    let missing: Vec<&String> = charted
        .iter()
        .filter(|name| !absent_ok.iter().any(|p| name.starts_with(p)))
        .filter(|name| {
            !text
                .lines()
                .any(|l| l.starts_with(name.as_str()) && l[name.len()..].starts_with(['{', ' ']))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{file} charts series /metrics lacks: {missing:?}"
    );
}

/// Log lines written with `[log] format = "json"`, each parsed and checked to carry ts, level,
/// target and message.
#[allow(dead_code)]
pub fn json_log_lines(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|l| {
            let line: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            for key in ["ts", "level", "target", "message"] {
                assert!(line[key].is_string(), "{key} missing: {line}");
            }
            line
        })
        .collect()
}
