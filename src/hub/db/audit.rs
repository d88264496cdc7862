//! The hub's audit trail: append-only and hash-chained in PostgreSQL (migration 10) — each entry
//! carries the SHA-256 of the previous entry's hash and its own content, sealed by a trigger
//! under a lock, and any update or delete is refused. [`verify`] walks the chain and names the
//! first entry that was edited, deleted or moved.

use super::schema::audit_log;
use super::DbError;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::PgConnection;
use serde::Serialize;

/// Who did something, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    /// `admin key`, `admin session`, `rig RIG-A-7`, …
    pub actor: &'a str,
    /// The client's address as the hub saw it (empty when not over HTTP).
    pub source: &'a str,
}

impl<'a> Who<'a> {
    /// An actor with no network source (a command on the hub itself, a test).
    pub fn local(actor: &'a str) -> Self {
        Self { actor, source: "" }
    }
}

/// Append one entry; the database seals it into the chain.
pub fn record(
    conn: &mut PgConnection,
    who: Who<'_>,
    action: &str,
    rig_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor.eq(who.actor),
            audit_log::source.eq(who.source),
            audit_log::action.eq(action),
            audit_log::rig_id.eq(rig_id),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a walk of the chain found.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Verification {
    /// Entries walked.
    pub entries: i64,
    /// The newest entry's id and hash: keep them elsewhere (a ticket, a mail) to catch a chain
    /// rewritten whole or cut short after today.
    pub head: Option<(i64, String)>,
    /// The first break, in words; `None`: the chain holds.
    pub problem: Option<String>,
}

#[derive(QueryableByName)]
struct Link {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    hash: String,
    #[diesel(sql_type = Text)]
    prev_hash: String,
    #[diesel(sql_type = Text)]
    expected: String,
}

/// Entries read per query while walking.
const CHUNK: i64 = 10_000;

#[derive(QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = BigInt)]
    through_id: i64,
    #[diesel(sql_type = Text)]
    through_hash: String,
}

#[derive(QueryableByName)]
struct Removed {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Remove the entries older than `before` (the newest always stays), keeping the chain
/// verifiable: a checkpoint records where the remaining chain starts, and the removal is itself
/// an `audit_pruned` entry by `actor`. Returns how many were removed.
pub fn prune(
    conn: &mut PgConnection,
    before: chrono::DateTime<chrono::Utc>,
    actor: &str,
) -> Result<i64, DbError> {
    let removed: Removed = diesel::sql_query("SELECT audit_prune($1, $2) AS n")
        .bind::<diesel::sql_types::Timestamptz, _>(before)
        .bind::<Text, _>(actor)
        .get_result(conn)?;
    Ok(removed.n)
}

/// Walk the whole chain, oldest first, in chunks — from the newest checkpoint when retention
/// removed the oldest entries.
pub fn verify(conn: &mut PgConnection) -> Result<Verification, DbError> {
    let start: Option<Checkpoint> = diesel::sql_query(
        "SELECT through_id, through_hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1",
    )
    .get_result(conn)
    .optional()?;
    let (mut entries, mut last_id, mut last_hash) = match start {
        Some(c) => (0i64, c.through_id, c.through_hash),
        None => (0i64, 0i64, "0".repeat(64)),
    };
    loop {
        let links: Vec<Link> = diesel::sql_query(
            "SELECT id, hash, prev_hash, audit_seal(prev_hash, a) AS expected \
             FROM audit_log a WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind::<BigInt, _>(last_id)
        .bind::<BigInt, _>(CHUNK)
        .load(conn)?;
        let done = (links.len() as i64) < CHUNK;
        for l in links {
            let problem = if l.hash != l.expected {
                Some(format!("entry {} was changed after it was written", l.id))
            } else if l.prev_hash != last_hash {
                Some(format!(
                    "the entry before {} is not the one it was written after: \
                     entries were deleted or moved",
                    l.id
                ))
            } else if l.id != last_id + 1 {
                Some(format!(
                    "entries {} to {} are missing",
                    last_id + 1,
                    l.id - 1
                ))
            } else {
                None
            };
            entries += 1;
            if problem.is_some() {
                return Ok(Verification {
                    entries,
                    head: Some((l.id, l.hash)),
                    problem,
                });
            }
            (last_id, last_hash) = (l.id, l.hash);
        }
        if done {
            break;
        }
    }
    Ok(Verification {
        entries,
        head: (entries > 0).then_some((last_id, last_hash)),
        problem: None,
    })
}

/// One entry as listed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Queryable, PartialEq)]
pub struct AuditEntry {
    /// Its place in the chain.
    pub id: i64,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who.
    pub actor: String,
    /// From where.
    pub source: String,
    /// What.
    pub action: String,
    /// The rig it concerned.
    pub rig_id: Option<String>,
    /// Before and after, or what else it needs.
    pub detail: serde_json::Value,
    /// Its seal.
    pub hash: String,
}

/// Entries newest first, at most `limit`, optionally of one action and one rig.
pub fn list(
    conn: &mut PgConnection,
    action: Option<&str>,
    rig_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    let mut q = audit_log::table
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor,
            audit_log::source,
            audit_log::action,
            audit_log::rig_id,
            audit_log::detail,
            audit_log::hash,
        ))
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(a) = action {
        q = q.filter(audit_log::action.eq(a));
    }
    if let Some(r) = rig_id {
        q = q.filter(audit_log::rig_id.eq(r));
    }
    Ok(q.load(conn)?)
}
