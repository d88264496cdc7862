//! `sairen admin wireguard` against a real hub, its files checked with WireGuard's own tools:
//! `wg-quick strip` parses every config, `wg pubkey` derives each kept private key's public key,
//! which must be the one the other side's config lists. A rerun after a revoke and a new
//! registration keeps every other rig's key and address. (A live tunnel between network
//! namespaces needs the kernel's WireGuard module; this machine's kernel has none, see README.)

mod common;

use common::{HubProcess, TestDb, ADMIN_KEY};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// `sairen admin ARGS` against the hub at `url`, run by `sairen` (on the host, or in a namespace).
fn admin(mut sairen: Command, url: &str, args: &[&str]) -> String {
    let out = sairen
        .args(["admin", "--hub-url", url])
        .args(args)
        .env("SAIREN_ADMIN_KEY", ADMIN_KEY)
        .output()
        .expect("run sairen admin");
    assert!(
        out.status.success(),
        "sairen admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `sairen` on the host.
fn sairen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sairen"))
}

/// `wg pubkey` of a private key file.
fn wg_pubkey(private: &Path) -> String {
    let key = std::fs::read(private).expect("key");
    let mut child = Command::new("wg")
        .arg("pubkey")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("wg is needed: run scripts/install-tools.sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&key)
        .expect("feed");
    let out = child.wait_with_output().expect("wg pubkey");
    assert!(
        out.status.success(),
        "wg pubkey refused {}",
        private.display()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `wg-quick strip` accepts the file (the wg-quick format, every key known).
fn wg_quick_parses(conf: &Path) {
    let out = Command::new("wg-quick")
        .arg("strip")
        .arg(conf)
        .output()
        .expect("wg-quick is needed: run scripts/install-tools.sh");
    assert!(
        out.status.success(),
        "wg-quick strip {}: {}",
        conf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `key = value` lines of a config, grouped by the comment naming the rig before a [Peer].
fn value(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key} = ")))
        .map(str::to_owned)
        .collect()
}

/// The hub config's peers: rig id (from the comment) → (public key, allowed ips).
fn hub_peers(text: &str) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let mut rig = None;
    let mut key = None;
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# ").filter(|c| c.starts_with("RIG-")) {
            rig = c.split_whitespace().next().map(str::to_owned);
        } else if let Some(k) = line.strip_prefix("PublicKey = ") {
            key = Some(k.to_owned());
        } else if let Some(ips) = line.strip_prefix("AllowedIPs = ") {
            if let (Some(r), Some(k)) = (rig.take(), key.take()) {
                out.insert(r, (k, ips.to_owned()));
            }
        }
    }
    out
}

#[test]
fn configs_are_generated_checked_with_wg_and_stable_across_a_revoke() {
    let db = TestDb::new();
    let hub = HubProcess::start(db.url(), "");
    for rig in ["RIG-WG-A", "RIG-WG-B", "RIG-WG-C"] {
        hub.register(rig);
    }
    let out = tempfile::tempdir().expect("out");
    let dir = out.path().join("wg");
    let dir_arg = dir.to_string_lossy().into_owned();
    let said = admin(
        sairen(),
        &format!("http://{}", hub.addr),
        &[
            "wireguard",
            "--endpoint",
            "hub.example:51820",
            "--out",
            &dir_arg,
        ],
    );
    assert!(
        said.contains("tunnel 10.77.0.0/24 — hub 10.77.0.1 (3 rigs)"),
        "{said}"
    );

    let hub_conf = dir.join("hub/wg0.conf");
    let hub_text = std::fs::read_to_string(&hub_conf).expect("hub config");
    wg_quick_parses(&hub_conf);
    assert_eq!(value(&hub_text, "Address"), ["10.77.0.1/24"]);
    assert_eq!(value(&hub_text, "ListenPort"), ["51820"]);
    let hub_public = wg_pubkey(&dir.join("keys/hub.key"));
    let peers = hub_peers(&hub_text);
    assert_eq!(peers.len(), 3, "{hub_text}");
    let mut addresses = Vec::new();
    for (rig, (key, allowed)) in &peers {
        let conf = dir.join("rigs").join(rig).join("wg0.conf");
        wg_quick_parses(&conf);
        let mode = std::fs::metadata(&conf).expect("conf").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{} holds a private key: owner only",
            conf.display()
        );
        let text = std::fs::read_to_string(&conf).expect("rig config");
        assert_eq!(
            &wg_pubkey(&dir.join("keys").join(format!("{rig}.key"))),
            key,
            "the hub's peer entry for {rig} is its key"
        );
        assert_eq!(
            value(&text, "PublicKey"),
            std::slice::from_ref(&hub_public),
            "{rig} knows the hub"
        );
        assert_eq!(value(&text, "Endpoint"), ["hub.example:51820"]);
        assert_eq!(value(&text, "AllowedIPs"), ["10.77.0.1/32"]);
        assert_eq!(value(&text, "PersistentKeepalive"), ["25"]);
        let address = value(&text, "Address").remove(0);
        assert_eq!(allowed, &address, "{rig}: the hub routes to its address");
        addresses.push(address);
    }
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 3, "one address each: {addresses:?}");

    // B is revoked, D joins: B leaves the tunnel, A and C keep their keys and addresses.
    admin(
        sairen(),
        &format!("http://{}", hub.addr),
        &["revoke-rig", "RIG-WG-B"],
    );
    hub.register("RIG-WG-D");
    admin(
        sairen(),
        &format!("http://{}", hub.addr),
        &[
            "wireguard",
            "--endpoint",
            "hub.example:51820",
            "--out",
            &dir_arg,
        ],
    );
    let again = hub_peers(&std::fs::read_to_string(&hub_conf).expect("hub config"));
    assert!(
        !again.contains_key("RIG-WG-B"),
        "a revoked rig leaves the tunnel"
    );
    for rig in ["RIG-WG-A", "RIG-WG-C"] {
        assert_eq!(again.get(rig), peers.get(rig), "{rig} unchanged");
    }
    let d = &again.get("RIG-WG-D").expect("the new rig").1;
    assert!(
        !["RIG-WG-A", "RIG-WG-C"].iter().any(|r| &peers[*r].1 == d),
        "D's address is its own"
    );
}

/// Two network namespaces joined by a veth pair (the hub's WAN side 192.168.77.1, the rig's
/// 192.168.77.2), removed with everything in them when dropped.
struct Namespaces {
    hub: String,
    rig: String,
    tunnels: Vec<(String, std::path::PathBuf)>,
}

fn sh(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Namespaces {
    fn new() -> Self {
        let n = std::process::id() % 100_000;
        let (hub, rig) = (format!("sairen-h{n}"), format!("sairen-r{n}"));
        let (vh, vr) = (format!("svh{n}"), format!("svr{n}"));
        sh(&["ip", "netns", "add", &hub]);
        let ns = Self {
            hub: hub.clone(),
            rig: rig.clone(),
            tunnels: Vec::new(),
        };
        sh(&["ip", "netns", "add", &rig]);
        sh(&[
            "ip", "link", "add", &vh, "type", "veth", "peer", "name", &vr,
        ]);
        sh(&["ip", "link", "set", &vh, "netns", &hub]);
        sh(&["ip", "link", "set", &vr, "netns", &rig]);
        for (ns, dev, addr) in [
            (&hub, &vh, "192.168.77.1/24"),
            (&rig, &vr, "192.168.77.2/24"),
        ] {
            sh(&["ip", "-n", ns, "addr", "add", addr, "dev", dev]);
            sh(&["ip", "-n", ns, "link", "set", dev, "up"]);
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        ns
    }

    /// `wg-quick up` of `conf` in `ns`, userspace (boringtun) where the kernel has no module.
    fn tunnel_up(&mut self, ns: &str, conf: &Path) {
        sh(&[
            "ip",
            "netns",
            "exec",
            ns,
            "env",
            "WG_QUICK_USERSPACE_IMPLEMENTATION=boringtun-cli",
            "WG_SUDO=true",
            "wg-quick",
            "up",
            &conf.to_string_lossy(),
        ]);
        self.tunnels.push((ns.to_owned(), conf.to_path_buf()));
    }

    /// `program args…` in `ns`.
    fn command(&self, ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for (ns, conf) in &self.tunnels {
            let _ = Command::new("ip")
                .args(["netns", "exec", ns, "wg-quick", "down"])
                .arg(conf)
                .output();
        }
        for ns in [&self.hub, &self.rig] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        // A userspace tunnel whose interface went with its namespace may outlive it.
        for (_, conf) in &self.tunnels {
            if let Some(name) = conf.file_stem() {
                let _ = Command::new("pkill")
                    .args(["-f", &format!("boringtun-cli {}", name.to_string_lossy())])
                    .status();
            }
        }
    }
}

/// A child stopped with SIGTERM (the hub then stops its own PostgreSQL) when dropped.
struct Stopping(std::process::Child);

impl Drop for Stopping {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // SAFETY: a signal to a child this test started and has not yet waited for.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sairen hub serve` in `ns` on its own PostgreSQL under `data`, bound to `bind`; waits until it
/// listens.
fn hub_in(ns: &Namespaces, data: &Path, bind: &str) -> Stopping {
    use std::io::BufRead;
    let mut child = ns
        .command(&ns.hub, env!("CARGO_BIN_EXE_sairen"))
        .args(["hub", "serve", "--bind", bind, "--data-dir"])
        .arg(data)
        .env_remove("DATABASE_URL")
        .env("SAIREN_ADMIN_KEY", ADMIN_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the hub");
    let stderr = child.stderr.take().expect("stderr");
    let mut said = Vec::new();
    for line in std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
    {
        let up = line.contains("listening on");
        said.push(line);
        if up {
            return Stopping(child);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "the hub did not start in its namespace:\n{}",
        said.join("\n")
    );
}

#[test]
fn a_rig_reaches_a_hub_bound_to_the_tunnel_through_a_live_wireguard_link() {
    for tool in ["boringtun-cli", "wg-quick", "ip"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success()),
            "{tool} is needed: run scripts/install-tools.sh (as root: the test makes network namespaces)"
        );
    }
    // Declared first, dropped last: `wg-quick down` reads the configs in it.
    let work = tempfile::tempdir().expect("work");
    let mut ns = Namespaces::new();
    // Searchable by the postgres user, who runs the hub's own cluster when the hub runs as root.
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data = work.path().join("hub");

    // The README's steps: register, write the configs, bring the tunnel up, bind the hub to it.
    let (key, wg) = {
        let _hub = hub_in(&ns, &data, "127.0.0.1:8070");
        let local = "http://127.0.0.1:8070";
        let reg: serde_json::Value = serde_json::from_str(&admin(
            ns.command(&ns.hub, env!("CARGO_BIN_EXE_sairen")),
            local,
            &[
                "--json",
                "register-rig",
                "--rig-id",
                "RIG-TUN-1",
                "--well-id",
                "W-T",
                "--field",
                "F",
            ],
        ))
        .expect("json");
        let wg = work.path().join("wg");
        admin(
            ns.command(&ns.hub, env!("CARGO_BIN_EXE_sairen")),
            local,
            &[
                "wireguard",
                "--endpoint",
                "192.168.77.1:51820",
                "--out",
                &wg.to_string_lossy(),
            ],
        );
        (reg["api_key"].as_str().expect("key").to_owned(), wg)
    };
    // Interface names of their own: boringtun's control sockets share one folder across namespaces.
    let hub_conf = work.path().join("wgsh.conf");
    let rig_conf = work.path().join("wgsr.conf");
    std::fs::copy(wg.join("hub/wg0.conf"), &hub_conf).expect("hub conf");
    std::fs::copy(wg.join("rigs/RIG-TUN-1/wg0.conf"), &rig_conf).expect("rig conf");
    let (hub_ns, rig_ns) = (ns.hub.clone(), ns.rig.clone());
    ns.tunnel_up(&hub_ns, &hub_conf);
    ns.tunnel_up(&rig_ns, &rig_conf);
    let _hub = hub_in(&ns, &data, "10.77.0.1:8070");

    // The rig, in its own namespace: its only way to 10.77.0.1 is the tunnel.
    let rig_dir = tempfile::tempdir().expect("rig");
    let config = rig_dir.path().join("rig.toml");
    std::fs::write(
        &config,
        format!(
            "[rig]\nrig_id = \"RIG-TUN-1\"\nwell_id = \"W-T\"\nfield = \"F\"\ndata_dir = {:?}\n\
             [fleet]\nenabled = true\nhub_url = \"http://10.77.0.1:8070\"\nupload_interval_secs = 1\n\
             sync_interval_secs = 2\nsync_jitter_secs = 1\nrequest_timeout_secs = 5\n",
            rig_dir.path().join("data")
        ),
    )
    .expect("config");
    let _rig = Stopping(
        ns.command(&ns.rig, env!("CARGO_BIN_EXE_sairen"))
            .arg("rig")
            .arg("--config")
            .arg(&config)
            .args(["--simulate", "pack_off", "--seconds", "0", "--speed", "150"])
            .args(["--api-bind", "127.0.0.1:0"])
            .env("SAIREN_RIG_API_KEY", &key)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the rig"),
    );
    let tunnel = "http://10.77.0.1:8070";
    let arrived = common::wait_until(std::time::Duration::from_secs(120), || {
        let shown: serde_json::Value = serde_json::from_str(&admin(
            ns.command(&ns.hub, env!("CARGO_BIN_EXE_sairen")),
            tunnel,
            &["--json", "show-rig", "RIG-TUN-1"],
        ))
        .unwrap_or_default();
        shown["recent_events"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    });
    assert!(
        arrived,
        "the rig's pack-off never reached the hub through the tunnel"
    );
}
