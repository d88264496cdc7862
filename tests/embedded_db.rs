//! The hub without a DATABASE_URL: it makes its own PostgreSQL cluster under its data directory
//! with the machine's server binaries, on a Unix socket only, serves on it, and stops it on
//! SIGTERM. (As root, the cluster runs as the `postgres` system user.)

mod common;

use common::{free_port, http};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn without_a_database_url_the_hub_runs_and_stops_its_own_postgresql() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    let data = dir.path().join("hub");
    let bind = format!("127.0.0.1:{}", free_port());
    let mut hub = Command::new(env!("CARGO_BIN_EXE_sairen"))
        .args(["hub", "serve", "--bind", &bind, "--data-dir"])
        .arg(&data)
        .env_remove("DATABASE_URL")
        .env("SAIREN_ADMIN_KEY", common::ADMIN_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = hub.stderr.take().expect("stderr");
    let log = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
            .join("\n")
    });
    let start = Instant::now();
    loop {
        if let Ok(r) = http(&bind, "GET", "/api/fleet/health", &[], b"") {
            if r.status == 200 {
                assert_eq!(r.json()["database"], "reachable");
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the hub never came up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let cluster = data.join("postgres");
    assert!(cluster.join("PG_VERSION").exists());
    assert!(cluster.join("postmaster.pid").exists(), "running");
    // No TCP port: the cluster listens on its socket only.
    let conf = std::fs::read_to_string(cluster.join("postmaster.pid")).expect("pid file");
    assert!(conf.contains(&cluster.display().to_string()));
    Command::new("kill")
        .args(["-TERM", &hub.id().to_string()])
        .status()
        .expect("kill");
    let status = hub.wait().expect("wait");
    let log = log.join().expect("log");
    assert!(status.success(), "{log}");
    assert!(log.contains("PostgreSQL stopped"), "{log}");
    assert!(
        !cluster.join("postmaster.pid").exists(),
        "the cluster was stopped"
    );
}
