//! `sairen admin`: the hub's administration client over its HTTP API — rigs, dashboard users,
//! the audit trail — and the WireGuard configs.

mod users;
mod wireguard;

pub use users::UserCommand;

use crate::fleet::{RegisterRig, RegisteredRig, RigDetail, RigId, RigSummary};
use crate::web::Secret;
use awc::http::StatusCode;
use clap::Subcommand;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// What the administrator can do.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Register a rig and print its API key (shown once: store it on the rig as SAIREN_RIG_API_KEY).
    RegisterRig {
        /// The rig's id, e.g. RIG-ALPHA-7 (letters, digits, '-', '_', '.').
        #[arg(long)]
        rig_id: String,
        /// The well it is drilling.
        #[arg(long)]
        well_id: String,
        /// The field (asset) it is in.
        #[arg(long)]
        field: String,
    },
    /// Revoke a rig: the hub refuses its key from now on.
    RevokeRig {
        /// The rig's id.
        rig_id: String,
    },
    /// List every registered rig.
    ListRigs,
    /// Show one rig and its latest events.
    ShowRig {
        /// The rig's id.
        rig_id: String,
    },
    /// Named dashboard users and their roles: add, list, disable, reset-password.
    #[command(subcommand)]
    User(UserCommand),
    /// The hub's audit trail: `verify` walks its hash chain, `list` shows entries.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write the WireGuard tunnel's configs: the hub's wg0.conf with every active rig as a peer,
    /// and one wg0.conf per rig. The hub assigns and keeps the addresses; the keys are made here
    /// (with `wg` where installed) and kept in --out/keys, so a rerun after registering or
    /// revoking a rig keeps every other rig's key and address.
    Wireguard {
        /// Where rigs reach the hub's WireGuard port, HOST:PORT (its public or VSAT-side address).
        #[arg(long)]
        endpoint: String,
        /// Folder for the configs and the private keys.
        #[arg(long, default_value = "wireguard")]
        out: std::path::PathBuf,
        /// The tunnel's IPv4 subnet (the hub takes its first address) [default: the hub's
        /// current one, else 10.77.0.0/24].
        #[arg(long)]
        subnet: Option<String>,
        /// The UDP port the hub's WireGuard listens on.
        #[arg(long, default_value_t = 51820)]
        listen_port: u16,
        /// PersistentKeepalive in the rigs' configs, s: keeps NAT and satellite links from
        /// dropping an idle tunnel (0: none).
        #[arg(long, default_value_t = 25)]
        keepalive: u16,
    },
}

/// What `sairen admin audit` does.
#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and name the first entry edited, deleted or moved; prints the head
    /// (id and hash) to keep elsewhere, so a chain rewritten whole later is caught too. Exits 1
    /// when the chain is broken.
    Verify,
    /// Entries, newest first.
    List {
        /// Only this action (register, revoke, sign_in, sign_in_refused, sign_out,
        /// outcome_update, wireguard_plan, user_added, user_disabled, password_reset).
        #[arg(long)]
        action: Option<String>,
        /// Only entries about this rig.
        #[arg(long)]
        rig: Option<String>,
        /// At most this many (1 to 1,000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

/// How an admin command prints what the hub answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Tables and sentences.
    Table,
    /// The hub's JSON, pretty-printed.
    Json,
}

/// How to reach the hub and how to print.
#[derive(Debug, Clone)]
pub struct Options {
    /// The hub's base URL.
    pub hub_url: String,
    /// Tables for a person, or the hub's JSON for scripts.
    pub output: Output,
    /// Request timeout.
    pub timeout_secs: u64,
}

/// Why an admin command failed, in words an IT person can act on.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No admin key in the environment.
    #[error("SAIREN_ADMIN_KEY is not set: export the hub's admin key first")]
    NoAdminKey,
    /// An argument is not acceptable (said before the hub is asked).
    #[error("{0}")]
    Invalid(String),
    /// The hub did not answer.
    #[error("cannot reach the hub at {url}: {reason} (is `sairen hub serve` running there? set --hub-url or SAIREN_HUB_URL)")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The hub refused the admin key.
    #[error("the hub refused the admin key ({0}): SAIREN_ADMIN_KEY must be the key the hub was started with")]
    Refused(String),
    /// The rig is already registered.
    #[error("{0}")]
    AlreadyExists(String),
    /// No such rig.
    #[error("{0}")]
    NotFound(String),
    /// Any other refusal, with the hub's reason.
    #[error("the hub answered {status}: {message}")]
    Hub {
        /// HTTP status.
        status: u16,
        /// The hub's error message.
        message: String,
    },
    /// The hub's answer could not be read.
    #[error("unexpected answer from the hub: {0}")]
    BadResponse(String),
}

struct Client {
    http: awc::Client,
    base: String,
    key: Secret,
}

impl Client {
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, AdminError> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "POST" => self.http.post(&url),
            "PUT" => self.http.put(&url),
            _ => self.http.get(&url),
        }
        .insert_header(("Authorization", format!("Bearer {}", self.key.expose())));
        let sent = match body {
            Some(b) => request.send_json(b).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|e| AdminError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        })?;
        let bytes = response
            .body()
            .limit(16 << 20)
            .await
            .map_err(|e| AdminError::BadResponse(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| AdminError::BadResponse(e.to_string()));
        }
        let message = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => AdminError::Refused(message),
            StatusCode::CONFLICT => AdminError::AlreadyExists(message),
            StatusCode::NOT_FOUND => AdminError::NotFound(message),
            _ => AdminError::Hub {
                status: status.as_u16(),
                message,
            },
        })
    }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "never".into(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

fn rig_table(rigs: &[RigSummary]) -> String {
    let mut rows = vec![[
        "RIG",
        "WELL",
        "FIELD",
        "STATUS",
        "LAST SEEN (UTC)",
        "EVENTS",
        "LIBRARY",
    ]
    .map(String::from)];
    for r in rigs {
        rows.push([
            r.rig_id.clone(),
            r.well_id.clone(),
            r.field.clone(),
            r.status.to_string(),
            when(r.last_seen),
            r.event_count.to_string(),
            r.library_version
                .map_or_else(|| "-".into(), |v| v.to_string()),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn print_json<T: Serialize>(value: &T) -> Result<(), AdminError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| AdminError::BadResponse(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Run one admin command against the hub.
pub async fn run(
    options: Options,
    key: Option<Secret>,
    command: AdminCommand,
) -> Result<(), AdminError> {
    let key = key.ok_or(AdminError::NoAdminKey)?;
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(options.timeout_secs))
        .finish();
    let client = Client {
        http,
        base: options.hub_url.trim_end_matches('/').to_owned(),
        key,
    };
    match command {
        AdminCommand::RegisterRig {
            rig_id,
            well_id,
            field,
        } => {
            let body = RegisterRig {
                rig_id: rig_id_arg(&rig_id)?,
                well_id,
                field,
            };
            register(&client, &body, options.output).await
        }
        AdminCommand::RevokeRig { rig_id } => {
            revoke(&client, &rig_id_arg(&rig_id)?, options.output).await
        }
        AdminCommand::ListRigs => list(&client, options.output).await,
        AdminCommand::ShowRig { rig_id } => {
            show(&client, &rig_id_arg(&rig_id)?, options.output).await
        }
        AdminCommand::User(command) => users::run(&client, command, options.output).await,
        AdminCommand::Audit(AuditCommand::Verify) => audit_verify(&client, options.output).await,
        AdminCommand::Audit(AuditCommand::List { action, rig, limit }) => {
            audit_list(&client, action, rig, limit, options.output).await
        }
        AdminCommand::Wireguard {
            endpoint,
            out,
            subnet,
            listen_port,
            keepalive,
        } => {
            let request = wireguard::Request {
                endpoint,
                out,
                subnet,
                listen_port,
                keepalive,
            };
            wireguard::run(&client, request, options.output).await
        }
    }
}

/// A rig id from the command line, checked here so a bad one is named before the hub is asked.
fn rig_id_arg(text: &str) -> Result<RigId, AdminError> {
    RigId::parse(text).map_err(|e| AdminError::Invalid(format!("--rig-id {text:?}: {e}")))
}

const NO_BODY: Option<&()> = None;

async fn register(client: &Client, body: &RegisterRig, output: Output) -> Result<(), AdminError> {
    let reg: RegisteredRig = client
        .call("POST", "/api/fleet/rigs/register", Some(body))
        .await?;
    if output == Output::Json {
        return print_json(&reg);
    }
    println!("{}\n", rig_table(std::slice::from_ref(&reg.rig)));
    println!(
        "API key (shown once — the hub keeps only its hash):\n\n    {}\n",
        reg.api_key
    );
    println!(
        "On the rig, put it in the service's environment file, e.g.:\n    SAIREN_RIG_API_KEY={}",
        reg.api_key
    );
    Ok(())
}

async fn revoke(client: &Client, rig_id: &RigId, output: Output) -> Result<(), AdminError> {
    let rig: RigSummary = client
        .call("POST", &format!("/api/fleet/rigs/{rig_id}/revoke"), NO_BODY)
        .await?;
    if output == Output::Json {
        return print_json(&rig);
    }
    println!(
        "rig {} is {} (since {}); its key is refused from now on",
        rig.rig_id,
        rig.status.as_str(),
        when(rig.revoked_at)
    );
    Ok(())
}

async fn list(client: &Client, output: Output) -> Result<(), AdminError> {
    let rigs: Vec<RigSummary> = client.call("GET", "/api/fleet/rigs", NO_BODY).await?;
    if output == Output::Json {
        return print_json(&rigs);
    }
    if rigs.is_empty() {
        println!(
            "no rigs registered yet: `sairen admin register-rig --rig-id … --well-id … --field …`"
        );
    } else {
        println!("{}", rig_table(&rigs));
    }
    Ok(())
}

async fn show(client: &Client, rig_id: &RigId, output: Output) -> Result<(), AdminError> {
    let detail: RigDetail = client
        .call("GET", &format!("/api/fleet/rigs/{rig_id}"), NO_BODY)
        .await?;
    if output == Output::Json {
        return print_json(&detail);
    }
    let r = &detail.rig;
    println!("{}\n", rig_table(std::slice::from_ref(r)));
    println!("key id:        {}", r.key_id);
    println!("registered:    {}", when(Some(r.registered_at)));
    println!("revoked:       {}", when(r.revoked_at));
    println!("last sync:     {}", when(r.last_sync));
    if detail.recent_events.is_empty() {
        println!("\nno events yet");
        return Ok(());
    }
    println!("\nlatest events:");
    for e in &detail.recent_events {
        println!(
            "  {}  {:<20} {:<9} {:>8.0} ft  {:<15} {}",
            when(Some(e.occurred_at)),
            e.category.as_str(),
            e.risk_level.as_str(),
            e.depth_ft,
            e.outcome.as_str(),
            e.id
        );
    }
    Ok(())
}

async fn audit_verify(client: &Client, output: Output) -> Result<(), AdminError> {
    let found: crate::hub::db::audit::Verification = client
        .call("GET", "/api/fleet/audit/verify", NO_BODY)
        .await?;
    if output == Output::Json {
        print_json(&found)?;
    } else {
        match &found.head {
            Some((id, hash)) => println!(
                "{} entries; head: entry {id}, hash {hash} (keep it: a later verify must reach it)",
                found.entries
            ),
            None => println!("the audit trail is empty"),
        }
    }
    match found.problem {
        None => {
            if output == Output::Table {
                println!("the chain holds");
            }
            Ok(())
        }
        Some(problem) => Err(AdminError::Invalid(format!(
            "audit chain broken: {problem}"
        ))),
    }
}

async fn audit_list(
    client: &Client,
    action: Option<String>,
    rig: Option<String>,
    limit: u32,
    output: Output,
) -> Result<(), AdminError> {
    let mut path = format!("/api/fleet/audit?limit={limit}");
    for (name, value) in [("action", action), ("rig", rig)] {
        if let Some(v) = value {
            if !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(AdminError::Invalid(format!(
                    "--{name} {v:?}: letters, digits, '-', '_', '.' only"
                )));
            }
            path.push_str(&format!("&{name}={v}"));
        }
    }
    let entries: Vec<crate::hub::db::audit::AuditEntry> =
        client.call("GET", &path, NO_BODY).await?;
    if output == Output::Json {
        return print_json(&entries);
    }
    for e in &entries {
        println!(
            "{:>6}  {}  {:<16} {:<15} {:<14} {:<12} {}",
            e.id,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.action,
            e.source,
            e.actor,
            e.rig_id.as_deref().unwrap_or("-"),
            e.detail
        );
    }
    if entries.is_empty() {
        println!("no entries");
    }
    Ok(())
}
