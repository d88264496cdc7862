//! The WireGuard plan the administrator's machine and the hub exchange (`PUT
//! /api/fleet/wireguard`): the subnet and the public keys go up, the tunnel addresses the hub
//! assigned and keeps come back. Private keys never leave the administrator's machine.

use super::RigId;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// What the administrator sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireguardPlan {
    /// The tunnel's IPv4 subnet, e.g. `10.77.0.0/24`; the hub takes its first address.
    pub subnet: String,
    /// The hub's WireGuard public key (base64).
    pub hub_public_key: String,
    /// Each rig's public key.
    #[serde(deserialize_with = "crate::drilling::bounded::at_most::<_, _, MAX_PEERS>")]
    pub peers: Vec<PeerKey>,
}

/// Most rigs one plan may name: the hub takes JSON bodies of up to 64 KiB, about 100 bytes a rig.
pub const MAX_PEERS: usize = 500;

/// One rig's public key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerKey {
    /// The rig.
    pub rig_id: RigId,
    /// Its WireGuard public key (base64).
    pub public_key: String,
}

/// What the hub assigned: every active rig with a key, and its address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireguardAssignment {
    /// The subnet.
    pub subnet: String,
    /// The hub's tunnel address.
    pub hub_address: Ipv4Addr,
    /// The hub's public key.
    pub hub_public_key: String,
    /// The rigs, by id.
    pub peers: Vec<Peer>,
}

/// One rig on the tunnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// The rig.
    pub rig_id: RigId,
    /// Its well, for the comments in the configs.
    pub well_id: String,
    /// Its field.
    pub field: String,
    /// Its tunnel address.
    pub address: Ipv4Addr,
    /// Its public key.
    pub public_key: String,
}

/// An IPv4 subnet of 4 to 65,536 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    network: u32,
    prefix: u8,
}

impl Subnet {
    /// Parse `a.b.c.d/n` (16 ≤ n ≤ 30, the address the network's own).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("subnet {text:?} must be written a.b.c.d/n"))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("subnet {text:?}: {addr:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| (16..=30).contains(p))
            .ok_or_else(|| format!("subnet {text:?}: the prefix must be 16 to 30"))?;
        let mask = u32::MAX << (32 - prefix);
        let network = u32::from(addr);
        if network & !mask != 0 {
            return Err(format!(
                "subnet {text:?}: {addr} is not the network's own address (did you mean {}/{prefix}?)",
                Ipv4Addr::from(network & mask)
            ));
        }
        Ok(Self { network, prefix })
    }

    /// The hub's address: the first host.
    pub fn hub(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.network + 1)
    }

    /// Every rig address, in order: the hosts after the hub's.
    pub fn rig_hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let broadcast = self.network | (u32::MAX >> self.prefix);
        (self.network + 2..broadcast).map(Ipv4Addr::from)
    }

    /// Whether `a` is a rig host of this subnet.
    pub fn holds(&self, a: Ipv4Addr) -> bool {
        let a = u32::from(a);
        let broadcast = self.network | (u32::MAX >> self.prefix);
        a > self.network + 1 && a < broadcast
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

/// Whether `key` is a WireGuard key as `wg` writes it: base64 of 32 bytes.
pub fn is_key(key: &str) -> bool {
    use base64::Engine;
    key.len() == 44
        && base64::engine::general_purpose::STANDARD
            .decode(key)
            .is_ok_and(|b| b.len() == 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subnet_gives_the_hub_its_first_host_and_the_rigs_the_rest() {
        let s = Subnet::parse("10.77.0.0/24").expect("subnet");
        assert_eq!(s.hub(), Ipv4Addr::new(10, 77, 0, 1));
        let hosts: Vec<_> = s.rig_hosts().collect();
        assert_eq!(hosts.first(), Some(&Ipv4Addr::new(10, 77, 0, 2)));
        assert_eq!(hosts.last(), Some(&Ipv4Addr::new(10, 77, 0, 254)));
        assert_eq!(hosts.len(), 253);
        assert!(s.holds(Ipv4Addr::new(10, 77, 0, 9)));
        assert!(!s.holds(Ipv4Addr::new(10, 77, 0, 1)), "the hub's");
        assert!(!s.holds(Ipv4Addr::new(10, 77, 1, 9)));
        assert!(Subnet::parse("10.77.0.5/24")
            .expect_err("not the network")
            .contains("10.77.0.0/24"));
        assert!(Subnet::parse("10.77.0.0/8").is_err());
        assert!(Subnet::parse("10.77.0.0").is_err());
        assert!(is_key("YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="));
        assert!(!is_key("not a key"));
    }
}
