//! The hub's own PostgreSQL when no `DATABASE_URL` is configured: a cluster under the data
//! directory, made with the server binaries found on the machine (`initdb`, `pg_ctl`; PATH, then
//! `/usr/lib/postgresql/*/bin`), listening only on a Unix socket inside it so no port can clash,
//! stopped when the hub exits. PostgreSQL refuses to run as root: as root the cluster runs as the
//! `postgres` system user (via `runuser`) where there is one; otherwise the error says what to do.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the embedded database cannot run.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No server binaries.
    #[error("no DATABASE_URL is set and no PostgreSQL server binaries (initdb, pg_ctl) were found on PATH or in /usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql) or set DATABASE_URL to a PostgreSQL server")]
    NoBinaries,
    /// Running as root without a `postgres` user to run the cluster as.
    #[error("no DATABASE_URL is set and PostgreSQL will not run as root, and there is no `postgres` system user to run it as: run the hub as an ordinary user, or set DATABASE_URL to a PostgreSQL server")]
    Root,
    /// A step failed.
    #[error("embedded PostgreSQL: {step} failed: {detail}")]
    Step {
        /// What was being done.
        step: &'static str,
        /// What it said.
        detail: String,
    },
}

/// A running embedded cluster; stopped when dropped.
#[derive(Debug)]
pub struct EmbeddedDb {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<String>,
    url: String,
}

/// The PostgreSQL server binaries (`initdb`, `pg_ctl`): on `PATH`, else the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn find_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

/// PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` system user.
fn run_as() -> Result<Option<String>, EmbeddedError> {
    if !is_root() {
        return Ok(None);
    }
    let exists = Command::new("id")
        .arg("postgres")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if exists {
        Ok(Some("postgres".to_owned()))
    } else {
        Err(EmbeddedError::Root)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl EmbeddedDb {
    /// Create the cluster under `data_dir/postgres` if needed, start it, and return it.
    pub fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let bin = find_bin().ok_or(EmbeddedError::NoBinaries)?;
        let run_as = run_as()?;
        let step = |step: &'static str| {
            move |e: std::io::Error| EmbeddedError::Step {
                step,
                detail: e.to_string(),
            }
        };
        std::fs::create_dir_all(data_dir).map_err(step("creating the data directory"))?;
        let dir = std::fs::canonicalize(data_dir)
            .map_err(step("resolving the data directory"))?
            .join("postgres");
        let db = Self {
            url: format!(
                "postgres://postgres@localhost/postgres?host={}",
                dir.display()
            ),
            dir,
            bin,
            run_as,
        };
        db.init_if_new()?;
        let options = format!("-k {} -c listen_addresses=''", db.dir.display());
        db.run(
            "pg_ctl",
            &[
                "-D",
                &db.dir.to_string_lossy(),
                "-l",
                &db.dir.join("server.log").to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        log::info!(
            "the hub's own PostgreSQL is up on the socket in {}",
            db.dir.display()
        );
        Ok(db)
    }

    /// Make the cluster on first start (initdb); either way, hand it to the user it runs as.
    fn init_if_new(&self) -> Result<(), EmbeddedError> {
        if self.dir.join("PG_VERSION").exists() {
            return self.own();
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| EmbeddedError::Step {
            step: "creating the cluster directory",
            detail: e.to_string(),
        })?;
        self.own()?;
        log::info!(
            "creating the hub's own PostgreSQL cluster in {}",
            self.dir.display()
        );
        self.run(
            "initdb",
            &[
                "-D",
                &self.dir.to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )
    }

    fn own(&self) -> Result<(), EmbeddedError> {
        if let Some(user) = &self.run_as {
            // The cluster belongs to the user it runs as; its parents must let that user through.
            let ok = Command::new("chown")
                .args(["-R", &format!("{user}:"), &self.dir.to_string_lossy()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            // It must also be able to reach it: every parent searchable by others. The hub does
            // not loosen a directory it did not make; it says which one is in the way.
            let mut parent = self.dir.parent();
            while let Some(p) = parent {
                use std::os::unix::fs::PermissionsExt;
                let searchable = std::fs::metadata(p)
                    .map(|m| m.permissions().mode() & 0o001 != 0)
                    .unwrap_or(false);
                if !searchable {
                    return Err(EmbeddedError::Step {
                        step: "reaching the cluster directory as the postgres user",
                        detail: format!(
                            "{} is not searchable by other users; choose a --data-dir under a searchable path (e.g. /var/lib/sairen-hub) or set DATABASE_URL",
                            p.display()
                        ),
                    });
                }
                parent = p.parent();
            }
            if !ok {
                return Err(EmbeddedError::Step {
                    step: "giving the cluster directory to the postgres user",
                    detail: self.dir.display().to_string(),
                });
            }
        }
        Ok(())
    }

    fn run(&self, tool: &'static str, args: &[&str]) -> Result<(), EmbeddedError> {
        let program = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = cmd.args(args).output().map_err(|e| EmbeddedError::Step {
            step: tool,
            detail: e.to_string(),
        })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(EmbeddedError::Step {
                step: tool,
                detail: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stderr),
                    String::from_utf8_lossy(&out.stdout)
                ),
            })
        }
    }

    /// The URL to connect with.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EmbeddedDb {
    fn drop(&mut self) {
        match self.run(
            "pg_ctl",
            &[
                "-D",
                &self.dir.to_string_lossy(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        ) {
            Ok(()) => log::info!("the hub's own PostgreSQL stopped"),
            Err(e) => log::warn!("{e}"),
        }
    }
}
