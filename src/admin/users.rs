//! `sairen admin user`: named dashboard users, over the hub's users API. Passwords are typed at
//! a prompt that does not echo them, or read from the first line of standard input (scripts);
//! never from the command line, where `ps` and the shell's history would keep them.

use super::{print_json, when, AdminError, Client, Output, NO_BODY};
use crate::hub::auth::{check_name, check_password, Role};
use crate::hub::db::users::User;
use clap::Subcommand;
use serde_json::json;
use std::io::{BufRead, IsTerminal};

/// What `sairen admin user` does.
#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is asked at a prompt (twice), or read from standard input.
    Add {
        /// Their name: a-z, 0-9, '.', '_' and '-'.
        name: String,
        /// viewer (reads), operator (also records outcomes of fleet events) or admin (also
        /// manages rigs, users and the tunnel, and reads the audit trail).
        #[arg(long)]
        role: String,
    },
    /// List every user, their role and their last sign-in.
    List,
    /// Disable a user: their sessions end at once, in every hub process.
    Disable {
        /// Their name.
        name: String,
    },
    /// Set a new password (asked like `add`); their sessions end at once.
    ResetPassword {
        /// Their name.
        name: String,
        /// Let a disabled user sign in again with the new password.
        #[arg(long)]
        enable: bool,
    },
}

/// Run one user command.
pub async fn run(client: &Client, command: UserCommand, output: Output) -> Result<(), AdminError> {
    let user: User = match command {
        UserCommand::List => return list(client, output).await,
        UserCommand::Add { name, role } => {
            check_name(&name).map_err(AdminError::Invalid)?;
            Role::parse(&role).map_err(|e| AdminError::Invalid(format!("--role: {e}")))?;
            let password = read_password(&name)?;
            let body = json!({"name": name, "role": role, "password": password});
            client.call("POST", "/api/fleet/users", Some(&body)).await?
        }
        UserCommand::Disable { name } => {
            check_name(&name).map_err(AdminError::Invalid)?;
            let path = format!("/api/fleet/users/{name}/disable");
            client.call("POST", &path, NO_BODY).await?
        }
        UserCommand::ResetPassword { name, enable } => {
            check_name(&name).map_err(AdminError::Invalid)?;
            let password = read_password(&name)?;
            let path = format!("/api/fleet/users/{name}/password");
            let body = json!({"password": password, "enable": enable});
            client.call("PUT", &path, Some(&body)).await?
        }
    };
    if output == Output::Json {
        return print_json(&user);
    }
    println!("{}", table(std::slice::from_ref(&user)));
    Ok(())
}

async fn list(client: &Client, output: Output) -> Result<(), AdminError> {
    let users: Vec<User> = client.call("GET", "/api/fleet/users", NO_BODY).await?;
    if output == Output::Json {
        return print_json(&users);
    }
    if users.is_empty() {
        println!("no users yet: `sairen admin user add NAME --role admin`");
    } else {
        println!("{}", table(&users));
    }
    Ok(())
}

fn table(users: &[User]) -> String {
    let mut lines = vec![format!(
        "{:<24} {:<9} {:<18} {:<18} {}",
        "NAME", "ROLE", "ADDED (UTC)", "LAST SIGN-IN", "STATUS"
    )];
    for u in users {
        lines.push(format!(
            "{:<24} {:<9} {:<18} {:<18} {}",
            u.name,
            u.role.as_str(),
            when(Some(u.created_at)),
            when(u.last_sign_in_at),
            u.disabled_at.map_or_else(
                || "enabled".into(),
                |t| format!("disabled {}", when(Some(t)))
            )
        ));
    }
    lines.join("\n")
}

/// The new password: at a prompt that does not echo it, typed twice; else the first line of
/// standard input.
fn read_password(name: &str) -> Result<String, AdminError> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))
            .map_err(|e| AdminError::Invalid(format!("cannot read the password: {e}")))?;
        let again = rpassword::prompt_password("The same again: ")
            .map_err(|e| AdminError::Invalid(format!("cannot read the password: {e}")))?;
        if first != again {
            return Err(AdminError::Invalid("the two passwords differ".into()));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| AdminError::Invalid(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    check_password(&password).map_err(AdminError::Invalid)?;
    Ok(password)
}
