//! Tunnel addresses and WireGuard public keys, kept on the hub so that any administrator's
//! machine writes the same configs.

use super::schema::rigs;
use super::DbError;
use crate::fleet::wireguard::{Peer, Subnet, WireguardAssignment, WireguardPlan};
use crate::fleet::RigId;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::PgConnection;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Why a plan cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A value is wrong (the message names it).
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for PlanError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Take `plan`: keep the subnet and the keys, give every active rig with a key an address (the
/// one it has, when it lies in the subnet; else the lowest free one), and answer the whole tunnel.
/// Revoked rigs lose their address and key: the next configs leave them out.
pub fn apply(
    conn: &mut PgConnection,
    plan: &WireguardPlan,
    who: super::audit::Who<'_>,
) -> Result<WireguardAssignment, PlanError> {
    let subnet = Subnet::parse(&plan.subnet).map_err(PlanError::Invalid)?;
    conn.transaction(|c| {
        diesel::sql_query(
            "INSERT INTO wireguard (id, subnet, hub_public_key) VALUES (true, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET subnet = $1, hub_public_key = $2, updated_at = now()",
        )
        .bind::<Text, _>(&plan.subnet)
        .bind::<Text, _>(&plan.hub_public_key)
        .execute(c)?;
        diesel::update(rigs::table.filter(rigs::status.eq("revoked")))
            .set((
                rigs::tunnel_address.eq(None::<String>),
                rigs::wg_public_key.eq(None::<String>),
            ))
            .execute(c)?;
        for p in &plan.peers {
            let updated = diesel::update(
                rigs::table
                    .find(p.rig_id.as_str())
                    .filter(rigs::status.eq("active")),
            )
            .set(rigs::wg_public_key.eq(Some(&p.public_key)))
            .execute(c)?;
            if updated == 0 {
                return Err(PlanError::Invalid(format!(
                    "peers: {} is not an active rig on this hub",
                    p.rig_id
                )));
            }
        }
        assign_addresses(c, &subnet)?;
        let assigned = read(c)?.ok_or_else(|| PlanError::Invalid("no plan stored".into()))?;
        let peers: Vec<String> = assigned
            .peers
            .iter()
            .map(|p| format!("{} {}", p.rig_id, p.address))
            .collect();
        super::audit::record(
            c,
            who,
            "wireguard_plan",
            None,
            serde_json::json!({"subnet": assigned.subnet, "peers": peers}),
        )?;
        Ok(assigned)
    })
}

/// Keep addresses inside the subnet, free the others, give the lowest free one to each rig with
/// a key and none.
fn assign_addresses(c: &mut PgConnection, subnet: &Subnet) -> Result<(), PlanError> {
    let held: Vec<(String, Option<String>)> = rigs::table
        .filter(rigs::wg_public_key.is_not_null())
        .order(rigs::registered_at)
        .select((rigs::rig_id, rigs::tunnel_address))
        .load(c)?;
    let mut taken = BTreeSet::new();
    let mut need = Vec::new();
    for (rig, address) in held {
        match address.and_then(|a| a.parse::<Ipv4Addr>().ok()) {
            Some(a) if subnet.holds(a) && taken.insert(a) => {}
            _ => need.push(rig),
        }
    }
    // Free every address about to be reassigned first: the column is unique.
    diesel::update(rigs::table.filter(rigs::rig_id.eq_any(&need)))
        .set(rigs::tunnel_address.eq(None::<String>))
        .execute(c)?;
    let mut free = subnet.rig_hosts().filter(|a| !taken.contains(a));
    for rig in need {
        let address = free.next().ok_or_else(|| {
            PlanError::Invalid(format!(
                "subnet: /{} has no address left for {rig}; use a larger subnet",
                subnet.prefix()
            ))
        })?;
        diesel::update(rigs::table.find(&rig))
            .set(rigs::tunnel_address.eq(Some(address.to_string())))
            .execute(c)?;
    }
    Ok(())
}

/// A rig's id, well, field, tunnel address and public key, as stored.
type PeerRow = (String, String, String, Option<String>, Option<String>);

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    subnet: String,
    #[diesel(sql_type = Text)]
    hub_public_key: String,
}

/// The tunnel as stored, if a plan was ever taken.
pub fn read(c: &mut PgConnection) -> Result<Option<WireguardAssignment>, PlanError> {
    let Some(stored) = diesel::sql_query("SELECT subnet, hub_public_key FROM wireguard")
        .get_result::<Stored>(c)
        .optional()?
    else {
        return Ok(None);
    };
    let subnet = Subnet::parse(&stored.subnet).map_err(PlanError::Invalid)?;
    let rows: Vec<PeerRow> = rigs::table
        .filter(rigs::status.eq("active"))
        .filter(rigs::wg_public_key.is_not_null())
        .order(rigs::rig_id)
        .select((
            rigs::rig_id,
            rigs::well_id,
            rigs::field,
            rigs::tunnel_address,
            rigs::wg_public_key,
        ))
        .load(c)?;
    let peers = rows
        .into_iter()
        .filter_map(|(rig_id, well_id, field, address, key)| {
            Some(Peer {
                rig_id: RigId::parse(&rig_id).ok()?,
                well_id,
                field,
                address: address?.parse().ok()?,
                public_key: key?,
            })
        })
        .collect();
    Ok(Some(WireguardAssignment {
        subnet: stored.subnet,
        hub_address: subnet.hub(),
        hub_public_key: stored.hub_public_key,
        peers,
    }))
}
