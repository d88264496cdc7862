//! Argument parsing and dispatch only: each subcommand's work lives in its own module.

use crate::admin::{self, AdminCommand};
use crate::hub::auth::Secret;
use crate::hub::config::HubConfig;
use crate::hub::server;
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
    /// Register, list, show and revoke rigs on a running hub (needs SAIREN_ADMIN_KEY).
    Admin(AdminArgs),
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Serve the hub API. Migrates the database first, then runs until SIGTERM or Ctrl-C,
    /// letting in-flight requests finish.
    ///
    /// Needs DATABASE_URL (e.g. postgres://sairen@127.0.0.1/sairen) and SAIREN_ADMIN_KEY
    /// (at least 16 characters; the fleet administrator's secret) in the environment.
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
    /// PostgreSQL URL. Prefer the DATABASE_URL environment variable: the command line is visible to every user.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    database_url: String,
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

fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
}

/// Parse the command line, run the subcommand, and return the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Hub(HubCommand::Serve(args)) => run_serve(args),
        Command::Hub(HubCommand::Migrate(args)) => run_migrate(args),
        Command::Hub(HubCommand::Curate(args)) => run_curate(args),
        Command::Admin(args) => {
            let key = std::env::var("SAIREN_ADMIN_KEY").ok().map(Secret::new);
            let options = admin::Options {
                hub_url: args.hub_url,
                json: args.json,
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

fn run_serve(args: ServeArgs) -> i32 {
    let result = (|| {
        let mut config = HubConfig::load(args.config.as_deref())?;
        if let Some(bind) = args.bind {
            config.server.bind = bind;
        }
        let admin_key = std::env::var("SAIREN_ADMIN_KEY").map(Secret::new).map_err(|_| {
            server::ServeError::Setting(
                "SAIREN_ADMIN_KEY is not set: export the fleet administrator's key (at least 16 characters) before starting the hub".into(),
            )
        })?;
        actix_rt::System::new().block_on(server::serve(config, &args.database_url, admin_key))
    })();
    report(result)
}

fn run_migrate(args: MigrateArgs) -> i32 {
    let result = HubConfig::load(args.config.as_deref())
        .map_err(server::ServeError::from)
        .and_then(|config| server::connect_and_migrate(&args.database_url, &config).map(drop));
    report(result)
}

fn run_curate(args: MigrateArgs) -> i32 {
    let result = HubConfig::load(args.config.as_deref())
        .map_err(server::ServeError::from)
        .and_then(|config| {
            let pool = server::connect_and_migrate(&args.database_url, &config)?;
            let mut conn = pool.get().map_err(crate::hub::db::DbError::from)?;
            let report =
                crate::hub::curator::pass::run_pass(&mut conn, &config.curator_settings(), true)?;
            println!("{report}");
            Ok(())
        });
    report(result)
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
