//! `sairen admin wireguard`: the tunnel's configs. Keys are made here (with `wg` where it is
//! installed, else the same X25519 keys in-process) and kept in the output folder, so a rerun —
//! after registering or revoking a rig — keeps every key and address; only public keys and the
//! subnet go to the hub, which assigns and keeps the addresses.

use super::{AdminError, Client, Output};
use crate::fleet::wireguard::{PeerKey, WireguardAssignment, WireguardPlan};
use crate::fleet::{RigStatus, RigSummary};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What `sairen admin wireguard` was asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where rigs reach the hub's WireGuard port, `HOST:PORT`.
    pub endpoint: String,
    /// The output folder.
    pub out: PathBuf,
    /// The subnet; `None`: the hub's current one, else [`DEFAULT_SUBNET`].
    pub subnet: Option<String>,
    /// The hub's UDP port.
    pub listen_port: u16,
    /// `PersistentKeepalive` in the rigs' configs, s (0: none).
    pub keepalive: u16,
}

/// The subnet of a first plan.
pub const DEFAULT_SUBNET: &str = "10.77.0.0/24";

/// A key pair, base64 as `wg` writes it.
struct Keys {
    private: String,
    public: String,
}

/// The key pair kept in `dir/<name>.key`, made now if there is none.
fn keys(dir: &Path, name: &str) -> Result<Keys, AdminError> {
    let path = dir.join(format!("{name}.key"));
    let private = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let private = generate_private()?;
            write_secret(&path, &format!("{private}\n"))?;
            private
        }
        Err(e) => return Err(AdminError::Invalid(format!("{}: {e}", path.display()))),
    };
    let public =
        public_of(&private).map_err(|e| AdminError::Invalid(format!("{}: {e}", path.display())))?;
    Ok(Keys { private, public })
}

fn wg_installed() -> bool {
    Command::new("wg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn generate_private() -> Result<String, AdminError> {
    if wg_installed() {
        let out = Command::new("wg")
            .arg("genkey")
            .output()
            .map_err(|e| AdminError::Invalid(format!("wg genkey: {e}")))?;
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = x25519_dalek::StaticSecret::from(bytes);
    Ok(base64::engine::general_purpose::STANDARD.encode(secret.to_bytes()))
}

/// The public key of a base64 private key.
fn public_of(private: &str) -> Result<String, String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes: [u8; 32] = engine
        .decode(private)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("not a WireGuard private key (base64 of 32 bytes)")?;
    let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(bytes));
    Ok(engine.encode(public.as_bytes()))
}

/// Write `text` readable by its owner only.
fn write_secret(path: &Path, text: &str) -> Result<(), AdminError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| AdminError::Invalid(format!("{}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).map(|_| f))
        .map_err(|e| AdminError::Invalid(format!("{}: {e}", path.display())))?;
    f.flush()
        .map_err(|e| AdminError::Invalid(format!("{}: {e}", path.display())))
}

/// The hub's `wg0.conf`: its interface, then every rig as a peer.
pub fn hub_config(a: &WireguardAssignment, hub: &str, listen_port: u16, prefix: u8) -> String {
    let mut text = format!(
        "# SAIREN hub tunnel, written by `sairen admin wireguard`. Install as\n\
         # /etc/wireguard/wg0.conf (0600) and `systemctl enable --now wg-quick@wg0`.\n\
         [Interface]\nAddress = {}/{prefix}\nListenPort = {listen_port}\nPrivateKey = {hub}\n",
        a.hub_address
    );
    for p in &a.peers {
        text.push_str(&format!(
            "\n# {} (well {}, field {})\n[Peer]\nPublicKey = {}\nAllowedIPs = {}/32\n",
            p.rig_id, p.well_id, p.field, p.public_key, p.address
        ));
    }
    text
}

/// One rig's `wg0.conf`: its interface and the hub as its one peer.
pub fn rig_config(
    a: &WireguardAssignment,
    rig: &crate::fleet::wireguard::Peer,
    private: &str,
    endpoint: &str,
    keepalive: u16,
) -> String {
    let mut text = format!(
        "# SAIREN tunnel of {rig_id}, written by `sairen admin wireguard`. Install on the rig as\n\
         # /etc/wireguard/wg0.conf (0600) and `systemctl enable --now wg-quick@wg0`; then\n\
         # [fleet] hub_url = \"http://{hub}:8070\" in /etc/sairen/rig.toml.\n\
         [Interface]\nAddress = {address}/32\nPrivateKey = {private}\n\n\
         # the SAIREN hub\n[Peer]\nPublicKey = {hub_key}\nEndpoint = {endpoint}\nAllowedIPs = {hub}/32\n",
        rig_id = rig.rig_id,
        hub = a.hub_address,
        address = rig.address,
        hub_key = a.hub_public_key,
    );
    if keepalive > 0 {
        // NAT and satellite links drop idle UDP flows; the rig keeps its own open.
        text.push_str(&format!("PersistentKeepalive = {keepalive}\n"));
    }
    text
}

/// Run it: keys, the hub's assignment, the files.
pub async fn run(client: &Client, req: Request, output: Output) -> Result<(), AdminError> {
    let subnet_prefix = |s: &str| {
        crate::fleet::wireguard::Subnet::parse(s)
            .map(|s| s.prefix())
            .map_err(AdminError::Invalid)
    };
    let current: Option<WireguardAssignment> = match client
        .call::<(), WireguardAssignment>("GET", "/api/fleet/wireguard", None)
        .await
    {
        Ok(a) => Some(a),
        Err(AdminError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let subnet = req
        .subnet
        .or_else(|| current.map(|c| c.subnet))
        .unwrap_or_else(|| DEFAULT_SUBNET.into());
    let prefix = subnet_prefix(&subnet)?;
    let rigs: Vec<RigSummary> = client.call::<(), _>("GET", "/api/fleet/rigs", None).await?;
    let key_dir = req.out.join("keys");
    let hub = keys(&key_dir, "hub")?;
    let mut peers = Vec::new();
    for r in rigs.iter().filter(|r| r.status == RigStatus::Active) {
        peers.push(PeerKey {
            rig_id: crate::fleet::RigId::parse(&r.rig_id)
                .map_err(|e| AdminError::BadResponse(format!("{e}")))?,
            public_key: keys(&key_dir, &r.rig_id)?.public,
        });
    }
    let plan = WireguardPlan {
        subnet,
        hub_public_key: hub.public.clone(),
        peers,
    };
    let assigned: WireguardAssignment = client
        .call("PUT", "/api/fleet/wireguard", Some(&plan))
        .await?;
    write_secret(
        &req.out.join("hub").join("wg0.conf"),
        &hub_config(&assigned, &hub.private, req.listen_port, prefix),
    )?;
    for p in &assigned.peers {
        let private = keys(&key_dir, p.rig_id.as_str())?.private;
        write_secret(
            &req.out
                .join("rigs")
                .join(p.rig_id.as_str())
                .join("wg0.conf"),
            &rig_config(&assigned, p, &private, &req.endpoint, req.keepalive),
        )?;
    }
    if output == Output::Json {
        return super::print_json(&assigned);
    }
    println!(
        "tunnel {} — hub {} ({} rig{})",
        assigned.subnet,
        assigned.hub_address,
        assigned.peers.len(),
        if assigned.peers.len() == 1 { "" } else { "s" }
    );
    for p in &assigned.peers {
        println!("  {:<15} {}", p.address, p.rig_id);
    }
    println!(
        "\nwrote {}/hub/wg0.conf and {}/rigs/<rig>/wg0.conf (0600; private keys in {}/keys — keep them there \
         for the next run, and nowhere else)\nkeys made with {}",
        req.out.display(),
        req.out.display(),
        req.out.display(),
        if wg_installed() { "wg genkey" } else { "X25519 in-process (wg not installed)" }
    );
    println!(
        "next: on the hub, [server] bind = \"{}:8070\"; on each rig, [fleet] hub_url = \"http://{}:8070\"",
        assigned.hub_address, assigned.hub_address
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_is_the_one_wg_derives() {
        // From wg(8): `echo yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk= | wg pubkey`.
        assert_eq!(
            public_of("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=").expect("key"),
            "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
        );
        assert!(public_of("short").is_err());
    }
}
