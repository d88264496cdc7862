//! Argument parsing and dispatch only: each subcommand's work lives in its own module.

use crate::admin::{self, AdminCommand};
use crate::hub::server::{self, HubSettings, ServeOptions};
use crate::rig::acquisition::source::SourceSpec;
use crate::rig::acquisition::units::UnitSystem;
use crate::rig::settings::{RigError, RigOptions, RigSecrets, RigSettings};
use crate::rig::start::Rig;
use crate::simulate::serve::{self as sim_serve, Run};
use crate::simulate::Scenario;
use crate::web::Secret;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// SAIREN watches a drilling rig's sensor stream and lets a fleet learn from each rig's trouble.
#[derive(Debug, Parser)]
#[command(name = "sairen", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run or maintain the fleet hub (PostgreSQL behind an HTTP API).
    #[command(subcommand)]
    Hub(HubCommand),
    /// Manage a running hub: rigs, dashboard users, the audit trail and the WireGuard tunnel
    /// (needs SAIREN_ADMIN_KEY).
    Admin(AdminArgs),
    /// Watch a rig's WITS stream (or a CSV log, or the simulator) and advise the driller.
    ///
    /// Exactly one input: --wits-tcp, --stdin, --csv or --simulate. Advisories go to the log,
    /// to <data-dir>/advisories.jsonl and to the HTTP API (GET /api/v1/health, /status,
    /// /advisories). Replays (--csv, --simulate) run at --speed and exit at the end of input;
    /// live inputs run until SIGTERM or Ctrl-C.
    Rig(RigArgs),
    /// Generate a physically plausible 1 Hz drilling stream as WITS0, normal or with trouble.
    ///
    /// Scenarios: normal, kick, lost_circulation, pack_off, washout, twist_off, stuck_pipe,
    /// founder, pressure_transition. Each anomaly starts 1,800 s into the run (after the rig's
    /// baseline has locked). Serve it over TCP (--listen; every client gets the run from its
    /// start) or write it to a file (--out FILE, or - for stdout).
    Simulate(SimulateArgs),
    /// Run the whole story locally and tell it as it goes: a hub, two rigs registered with
    /// `sairen admin`, rig A's pack-off resolved by its driller and curated by the hub, rig B
    /// citing A's precedent. Ends by itself within two minutes and cleans up.
    ///
    /// With DATABASE_URL set the demo's hub uses (and migrates) that database — use a scratch one;
    /// without it the hub runs its own PostgreSQL with the server binaries found on the machine.
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
enum RigTool {
    /// Walk the rig's audit trail (<data-dir>/audit.jsonl: acknowledgments, shelving, threshold
    /// and campaign changes, pit resets) and name the first entry edited, deleted or moved. Prints
    /// the head (entry and hash) to keep elsewhere; exits 1 when the chain is broken.
    AuditVerify {
        /// The rig's data directory ([rig] data_dir).
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// PostgreSQL URL for the demo's hub (a scratch database); without one the hub runs its own.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    database_url: Option<String>,
    /// Leave the hub and rigs running at the end; Ctrl-C stops them.
    #[arg(long)]
    keep_running: bool,
    /// Simulated seconds per second for the rigs.
    #[arg(long, default_value_t = 150.0, value_name = "N")]
    speed: f64,
}

#[derive(Debug, Args)]
// One input is required, except with --check-config (run_rig says so when there is none).
#[command(group(clap::ArgGroup::new("input").required(false).args(["wits_tcp", "stdin", "csv", "witsml", "simulate"])))]
#[command(args_conflicts_with_subcommands = true)]
struct RigArgs {
    /// A tool for the rig's files instead of running the rig.
    #[command(subcommand)]
    tool: Option<RigTool>,
    /// Rig config file (every key commented in the shipped example) [default: config/rig.toml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read WITS0 from the rig's WITS server at HOST:PORT; reconnects with backoff when the link drops.
    #[arg(long, value_name = "HOST:PORT")]
    wits_tcp: Option<String>,
    /// Read WITS0 from standard input.
    #[arg(long)]
    stdin: bool,
    /// Replay a CSV log with a header row through the channel map ([input] csv_channel_map or --csv-map).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Channel map for --csv; overrides [input] csv_channel_map.
    #[arg(long, value_name = "FILE", requires = "csv")]
    csv_map: Option<PathBuf>,
    /// Replay WITSML 1.4.1.1 log files of one well (chunks of a log and other logs of the well,
    /// merged by time) through the mnemonic map ([input] witsml_channel_map or --witsml-map).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    witsml: Vec<PathBuf>,
    /// Mnemonic map for --witsml; overrides [input] witsml_channel_map.
    #[arg(long, value_name = "FILE")]
    witsml_map: Option<PathBuf>,
    /// Run the built-in simulator with this scenario (see `sairen simulate --help`).
    #[arg(long, value_name = "SCENARIO", value_parser = parse_scenario)]
    simulate: Option<Scenario>,
    /// Simulator seed (with --simulate).
    #[arg(long, default_value_t = 1, requires = "simulate")]
    seed: u64,
    /// Simulated seconds to run (with --simulate; 0 = endless) [default: the scenario's length].
    #[arg(long, value_name = "N", requires = "simulate")]
    seconds: Option<u64>,
    /// Where the rig keeps baseline and advisories; overrides [rig] data_dir.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the rig API; overrides [api] bind. Not loopback: needs SAIREN_RIG_OPERATOR_TOKEN.
    #[arg(long, value_name = "ADDR")]
    api_bind: Option<String>,
    /// Replay speed for --csv and --simulate: simulated seconds per second (0 = as fast as possible).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    speed: f64,
    /// Check the configuration and the channel maps it names (and the input, when one is given:
    /// its file exists, its map reads), print what would run, and exit. Needs no input.
    #[arg(long)]
    check_config: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("output").required(true).args(["listen", "out"])))]
struct SimulateArgs {
    /// The scenario: normal, kick, lost_circulation, pack_off, washout, twist_off, stuck_pipe,
    /// founder or pressure_transition.
    #[arg(long, value_parser = parse_scenario)]
    scenario: Scenario,
    /// Serve WITS0 on this address (e.g. 127.0.0.1:7001); runs until stopped.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Write the run to this file (- for stdout), as fast as possible, and exit.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Simulated seconds (one packet each) [default: onset + detection window + 300, or 3600 for normal].
    #[arg(long, value_name = "N")]
    seconds: Option<u64>,
    /// Random seed: the same seed gives the same run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// With --listen: simulated seconds per second (1 = real time; 0 = as fast as the client reads).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    speed: f64,
    /// Units to send: fps (oilfield) or metric.
    #[arg(long, default_value = "fps", value_parser = parse_units)]
    units: UnitSystem,
}

fn parse_scenario(s: &str) -> Result<Scenario, String> {
    Scenario::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        format!("unknown scenario {s:?}; one of: {}", names.join(", "))
    })
}

fn parse_units(s: &str) -> Result<UnitSystem, String> {
    match s {
        "fps" => Ok(UnitSystem::Fps),
        "metric" => Ok(UnitSystem::Metric),
        _ => Err(format!("unknown units {s:?}: fps or metric")),
    }
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Serve the hub API. Migrates the database first, then runs until SIGTERM or Ctrl-C,
    /// letting in-flight requests finish.
    ///
    /// Needs SAIREN_ADMIN_KEY (at least 16 characters; the fleet administrator's secret) in the
    /// environment. With DATABASE_URL (e.g. postgres://sairen@127.0.0.1/sairen) it uses that
    /// PostgreSQL; without it, it runs its own under --data-dir. GET /metrics answers loopback
    /// only, or anyone presenting SAIREN_METRICS_TOKEN (16+ characters) when that is set.
    Serve(ServeArgs),
    /// Bring the database schema up to date and exit. Safe to run again: it applies only what is missing.
    Migrate(MigrateArgs),
    /// Run one curation and pruning pass, print what it did, and exit. Waits if a running hub
    /// is curating (one curator at a time across every hub process).
    Curate(MigrateArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Hub config file (every key commented in the shipped example) [default: config/hub.toml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on; overrides [server] bind.
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// PostgreSQL URL. Prefer the DATABASE_URL environment variable: the command line is visible
    /// to every user. Without one the hub runs its own PostgreSQL under --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    database_url: Option<String>,
    /// Where the hub's own PostgreSQL lives when no DATABASE_URL is set.
    #[arg(long, default_value = "data/hub", value_name = "DIR")]
    data_dir: PathBuf,
    /// Check the configuration, the admin key and the database URL's form, print what would run, and exit.
    #[arg(long)]
    check_config: bool,
}

#[derive(Debug, Args)]
struct MigrateArgs {
    /// PostgreSQL URL. Prefer the DATABASE_URL environment variable.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    database_url: String,
    /// Hub config file, for the pool settings [default: config/hub.toml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct AdminArgs {
    /// The hub's base URL.
    #[arg(
        long,
        env = "SAIREN_HUB_URL",
        default_value = "http://127.0.0.1:8070",
        value_name = "URL",
        global = true
    )]
    hub_url: String,
    /// Print the hub's JSON instead of a table, for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// Seconds to wait for the hub before giving up.
    #[arg(long, default_value_t = 10, value_name = "SECS", global = true)]
    timeout_secs: u64,
    #[command(subcommand)]
    command: AdminCommand,
}

/// The log format the command's config file asks for (`[log] format`); text for the others.
fn log_format(command: &Command) -> crate::logging::LogFormat {
    use crate::config_file::chosen;
    let config = match command {
        Command::Hub(HubCommand::Serve(a)) => {
            chosen(a.config.as_deref(), crate::hub::config::DEFAULT_CONFIG_PATH)
        }
        Command::Hub(HubCommand::Migrate(a)) | Command::Hub(HubCommand::Curate(a)) => {
            chosen(a.config.as_deref(), crate::hub::config::DEFAULT_CONFIG_PATH)
        }
        Command::Rig(a) => chosen(a.config.as_deref(), crate::rig::config::DEFAULT_CONFIG_PATH),
        _ => None,
    };
    crate::logging::format_in(config.as_deref())
}

/// Parse the command line, run the subcommand, and return the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::logging::init(log_format(&cli.command));
    match cli.command {
        Command::Hub(HubCommand::Serve(args)) => report(run_serve(args)),
        Command::Hub(HubCommand::Migrate(args)) => {
            report(server::migrate(&args.database_url, args.config.as_deref()))
        }
        Command::Hub(HubCommand::Curate(args)) => {
            report(server::curate(&args.database_url, args.config.as_deref()))
        }
        Command::Rig(RigArgs {
            tool: Some(RigTool::AuditVerify { data_dir, json }),
            ..
        }) => report(audit_verify(&data_dir, json)),
        Command::Rig(args) => report(run_rig(args)),
        Command::Simulate(args) => report(run_simulate(args)),
        Command::Demo(args) => report(crate::demo::run(crate::demo::DemoOptions {
            database_url: args.database_url,
            keep_running: args.keep_running,
            speed: args.speed,
        })),
        Command::Admin(args) => {
            let key = std::env::var("SAIREN_ADMIN_KEY").ok().map(Secret::new);
            let options = admin::Options {
                hub_url: args.hub_url,
                output: if args.json {
                    admin::Output::Json
                } else {
                    admin::Output::Table
                },
                timeout_secs: args.timeout_secs,
            };
            let result = actix_rt::System::new().block_on(admin::run(options, key, args.command));
            report(result)
        }
    }
}

fn report<E: std::fmt::Display>(result: Result<(), E>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `sairen rig audit-verify`: the walk's result, printed; an error when the chain is broken.
fn audit_verify(data_dir: &std::path::Path, json: bool) -> Result<(), String> {
    let path = data_dir.join(crate::rig::audit::FILE_NAME);
    let found = crate::rig::audit::verify(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).map_err(|e| e.to_string())?
        );
    } else {
        match &found.head {
            Some((seq, hash)) => println!(
                "{}: {} entries; head: entry {seq}, hash {hash} (keep it: a later verify must reach it)",
                path.display(),
                found.entries
            ),
            None => println!("{}: no entries yet", path.display()),
        }
    }
    match found.problem {
        None => {
            if !json {
                println!("the chain holds");
            }
            Ok(())
        }
        Some(problem) => Err(format!("audit chain broken: {problem}")),
    }
}

fn run_serve(args: ServeArgs) -> Result<(), server::ServeError> {
    let options = ServeOptions {
        config: args.config,
        bind: args.bind,
        database_url: args.database_url,
        data_dir: args.data_dir,
    };
    let admin_key = std::env::var("SAIREN_ADMIN_KEY").ok().map(Secret::new);
    let metrics_token = std::env::var("SAIREN_METRICS_TOKEN").ok().map(Secret::new);
    let settings = HubSettings::load(options, admin_key)?
        .with_metrics_token(metrics_token)?
        .with_webhooks(|name| std::env::var(name).ok())?;
    if args.check_config {
        println!("{}", settings.describe());
        return Ok(());
    }
    server::serve(settings)
}

fn run_rig(args: RigArgs) -> Result<(), RigError> {
    let source = if let Some(addr) = args.wits_tcp {
        SourceSpec::WitsTcp(addr)
    } else if args.stdin {
        SourceSpec::Stdin
    } else if let Some(path) = args.csv {
        // The map is resolved against the config in `RigSettings::resolve`.
        SourceSpec::Csv {
            path,
            map: PathBuf::new(),
        }
    } else if !args.witsml.is_empty() {
        SourceSpec::Witsml {
            paths: args.witsml,
            map: args.witsml_map.unwrap_or_default(),
        }
    } else if let Some(scenario) = args.simulate {
        SourceSpec::Simulate {
            scenario,
            seed: args.seed,
            seconds: args.seconds.unwrap_or_else(|| scenario.default_seconds()),
        }
    } else if args.check_config {
        let options = RigOptions {
            config: args.config,
            source: SourceSpec::Stdin,
            data_dir: args.data_dir,
            api_bind: args.api_bind,
            csv_map: args.csv_map,
            speed: args.speed,
        };
        println!(
            "{}",
            RigSettings::check_without_input(options, RigSecrets::from_env())?
        );
        return Ok(());
    } else {
        return Err(RigError::Setting(
            "give one input: --wits-tcp, --stdin, --csv, --witsml or --simulate".into(),
        ));
    };
    let options = RigOptions {
        config: args.config,
        source,
        data_dir: args.data_dir,
        api_bind: args.api_bind,
        csv_map: args.csv_map,
        speed: args.speed,
    };
    let settings = RigSettings::load(options, RigSecrets::from_env())?;
    if args.check_config {
        println!("{}", settings.describe());
        return Ok(());
    }
    Rig::build(settings)?.run_until_stopped()
}

fn run_simulate(args: SimulateArgs) -> Result<(), std::io::Error> {
    if !(args.speed.is_finite() && args.speed >= 0.0) {
        return Err(std::io::Error::other(
            "--speed must be 0 or a positive factor",
        ));
    }
    let run = Run {
        scenario: args.scenario,
        seed: args.seed,
        seconds: args
            .seconds
            .unwrap_or_else(|| args.scenario.default_seconds()),
        speed: args.speed,
        units: args.units,
    };
    if let Some(onset) = args.scenario.onset_secs() {
        log::info!(
            "scenario {}: trouble starts {onset} s into the run; SAIREN must raise {} within {} s",
            args.scenario,
            args.scenario.category().map(|c| c.as_str()).unwrap_or("-"),
            args.scenario.detect_within_secs().unwrap_or(0)
        );
    }
    match (args.listen, args.out) {
        (Some(addr), _) => sim_serve::listen(run, &addr),
        (None, Some(out)) => {
            let n = sim_serve::write_file(run, &out)?;
            if out.as_os_str() != "-" {
                eprintln!(
                    "wrote {n} packets of scenario {} to {}",
                    args.scenario,
                    out.display()
                );
            }
            Ok(())
        }
        (None, None) => Err(std::io::Error::other("give --listen ADDR or --out FILE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
