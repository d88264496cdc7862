//! The shipped systemd units: hardened as the deployment issue asks, secrets from a root-only
//! environment file, and command lines the binary accepts (checked by running them with
//! `--check-config` against the shipped configs).

use std::collections::HashMap;
use std::process::Command;

fn unit(name: &str) -> (String, HashMap<String, String>) {
    let text = std::fs::read_to_string(format!("{}/systemd/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("unit file");
    let keys = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (text, keys)
}

fn hardened(keys: &HashMap<String, String>, name: &str) {
    for (k, v) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(keys.get(k).map(String::as_str), Some(v), "{name}: {k}");
    }
    assert!(
        keys.contains_key("EnvironmentFile"),
        "{name}: secrets from a file"
    );
    assert!(keys.contains_key("User"), "{name}: its own user");
    assert!(
        keys.get("Restart").is_some_and(|r| r != "no"),
        "{name}: restarts"
    );
}

/// Run a unit's ExecStart with `--check-config`, the shipped config in place of /etc/sairen.
fn check(exec: &str, envs: &[(&str, &str)]) -> std::process::Output {
    let config_dir = format!("{}/config", env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().expect("tempdir");
    let args: Vec<String> = exec
        .split_whitespace()
        .skip(1)
        .map(|a| {
            a.replace("/etc/sairen", &config_dir)
                .replace("/var/lib/sairen-rig", &data.path().to_string_lossy())
                .replace("${SAIREN_WITS}", "127.0.0.1:7001")
        })
        .collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sairen"));
    cmd.args(&args).arg("--check-config");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run")
}

#[test]
fn the_hub_unit_is_hardened_and_its_command_line_runs() {
    let (_, keys) = unit("sairen-hub.service");
    hardened(&keys, "hub");
    let out = check(
        &keys["ExecStart"],
        &[
            ("DATABASE_URL", "postgres://sairen@127.0.0.1/sairen"),
            ("SAIREN_ADMIN_KEY", "a-long-enough-admin-key"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_rig_unit_is_hardened_writes_only_its_data_and_its_command_line_runs() {
    let (_, keys) = unit("sairen-rig.service");
    hardened(&keys, "rig");
    assert_eq!(keys["ReadWritePaths"], "/var/lib/sairen-rig");
    assert!(keys["ExecStart"].contains("--data-dir /var/lib/sairen-rig"));
    let out = check(&keys["ExecStart"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
