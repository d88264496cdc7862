//! One curation pass: curate every event waiting (each in its own transaction), then prune.
//!
//! The pass holds the cluster-wide curator lock on its connection from before its first
//! sequence value until after its last commit, so commit order equals sequence order and a
//! library reader asking "after N" never misses a change that commits late.

use super::episode::{episode_from_event, is_duplicate, merge_event};
use super::scoring::{score, ScoreInputs};
use super::CuratorSettings;
use crate::fleet::{FleetEpisode, FleetEvent};
pub use crate::hub::db::episodes::WhenBusy;
use crate::hub::db::episodes::{self as lib, EpisodeWrite};
use crate::hub::db::{status, DbError};
use chrono::Utc;
use diesel::{Connection, PgConnection};
use std::collections::HashMap;
use std::fmt;

/// Events read per round trip.
const BATCH: i64 = 500;

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// True when another curator held the lock and this pass did nothing.
    pub busy: bool,
    /// Events curated (new, merged or re-curated).
    pub events_curated: usize,
    /// Episodes created.
    pub episodes_created: usize,
    /// Events merged into an existing episode as duplicates.
    pub events_merged: usize,
    /// Episodes rebuilt because an event's outcome changed.
    pub episodes_updated: usize,
    /// Events that could not be curated (bad payload), with the reason stored on the event.
    pub events_skipped: usize,
    /// Stored event payloads parsed: one per event curated, plus an episode's members when an
    /// outcome changed and the episode is rebuilt — never the members of a growing episode on
    /// every merge, so curation stays linear in the events it handles.
    pub payloads_read: usize,
    /// Episodes archived by pruning.
    pub archived: usize,
    /// Episodes whose score pruning lowered (stale pending).
    pub rescored: usize,
    /// Tombstones older than the retention, deleted.
    pub purged: usize,
    /// `sync_log` rows older than their retention, deleted.
    pub sync_log_purged: usize,
    /// Audit entries older than their retention, removed behind a checkpoint.
    pub audit_pruned: i64,
    /// The library version after the pass.
    pub library_version: i64,
}

impl PassReport {
    /// Whether the pass changed anything.
    pub fn did_work(&self) -> bool {
        self.events_curated + self.events_skipped + self.archived + self.rescored + self.purged > 0
            || self.audit_pruned > 0
    }
}

impl fmt::Display for PassReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.busy {
            return f.write_str("another curator is running; nothing done");
        }
        write!(
            f,
            "curated {} events ({} new episodes, {} merged as duplicates, {} episodes updated, {} skipped); \
             pruning archived {}, rescored {} and purged {} old tombstones, {} old sync-log rows \
             and {} old audit entries; library version {}",
            self.events_curated,
            self.episodes_created,
            self.events_merged,
            self.episodes_updated,
            self.events_skipped,
            self.archived,
            self.rescored,
            self.purged,
            self.sync_log_purged,
            self.audit_pruned,
            self.library_version
        )
    }
}

enum Curated {
    New(String),
    Merged,
    Updated,
    Skipped,
}

/// Run one pass. With `wait_for_lock` false, return at once (`busy`) if another curator runs.
pub fn run_pass(
    conn: &mut PgConnection,
    settings: &CuratorSettings,
    when_busy: WhenBusy,
) -> Result<PassReport, DbError> {
    if !lib::lock_curator(conn, when_busy)? {
        return Ok(PassReport {
            busy: true,
            ..PassReport::default()
        });
    }
    let result = curate_and_prune(conn, settings);
    let unlocked = lib::unlock_curator(conn);
    let report = result?;
    unlocked?;
    Ok(report)
}

fn curate_and_prune(
    conn: &mut PgConnection,
    settings: &CuratorSettings,
) -> Result<PassReport, DbError> {
    let started = Utc::now();
    let mut report = PassReport::default();
    let mut counts = lib::active_by_category(conn)?;
    loop {
        let batch = lib::events_to_curate(conn, BATCH)?;
        if batch.is_empty() {
            break;
        }
        for (id, payload) in batch {
            report.payloads_read += 1;
            let curated =
                conn.transaction(|c| curate_event(c, &id, payload, settings, &counts, &mut report));
            match curated {
                Ok(Curated::New(category)) => {
                    *counts.entry(category).or_default() += 1;
                    report.episodes_created += 1;
                    report.events_curated += 1;
                }
                Ok(Curated::Merged) => {
                    report.events_merged += 1;
                    report.events_curated += 1;
                }
                Ok(Curated::Updated) => {
                    report.episodes_updated += 1;
                    report.events_curated += 1;
                }
                Ok(Curated::Skipped) => report.events_skipped += 1,
                Err(e @ DbError::Unavailable(_)) => return Err(e),
                Err(e) => {
                    // One bad event must not stop the rest: record why and move on.
                    log::error!("curator: event {id} could not be curated and is skipped: {e}");
                    lib::mark_curated(conn, &id, Some(&e.to_string()))?;
                    report.events_skipped += 1;
                }
            }
        }
    }
    let days = |d: chrono::Duration| d.num_days();
    report.archived += lib::archive_older_than(conn, days(settings.archive_after))?;
    report.archived +=
        lib::archive_false_positives_older_than(conn, days(settings.false_positive_archive_after))?;
    report.rescored += lib::demote_stale_pending(
        conn,
        days(settings.pending_stale_after),
        settings.stale_pending_score,
    )?;
    report.archived += lib::archive_beyond(conn, settings.max_active_episodes)?;
    report.purged = lib::purge_tombstones(conn, days(settings.tombstone_retention))?;
    report.sync_log_purged = lib::purge_sync_log(conn, days(settings.sync_log_retention))?;
    if let Some(keep) = settings.audit_retention {
        report.audit_pruned = crate::hub::db::audit::prune(
            conn,
            Utc::now() - keep,
            "curator (audit_retention_days)",
        )?;
    }
    report.library_version = status::library_version(conn)?;
    if report.did_work() {
        let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        lib::record_run(
            conn,
            started,
            n(report.events_curated),
            n(report.events_merged),
            n(report.archived),
            n(report.rescored + report.episodes_updated),
            report.library_version,
        )?;
    }
    Ok(report)
}

fn parse_event(payload: serde_json::Value) -> Result<FleetEvent, String> {
    serde_json::from_value(payload).map_err(|e| format!("stored payload is not a FleetEvent: {e}"))
}

fn curate_event(
    conn: &mut PgConnection,
    id: &str,
    payload: serde_json::Value,
    settings: &CuratorSettings,
    counts: &HashMap<String, i64>,
    report: &mut PassReport,
) -> Result<Curated, DbError> {
    let event = match parse_event(payload) {
        Ok(e) => e,
        Err(reason) => {
            log::error!("curator: event {id}: {reason}; skipped");
            lib::mark_curated(conn, id, Some(&reason))?;
            return Ok(Curated::Skipped);
        }
    };
    let home = place(conn, id, &event, settings)?;
    let category = event.advisory.category.as_str();
    let mut episode = match home.merge_into {
        // A duplicate folds into the stored episode: its members are not read again.
        Some(mut episode) => {
            merge_event(&mut episode, &event);
            episode
        }
        None if matches!(home.kind, Curated::New(_)) => {
            build_episode(&home.episode_id, vec![event])?
        }
        // An outcome changed: the best outcome may now be another member's, so rebuild.
        None => {
            let payloads = lib::member_payloads(conn, &home.episode_id)?;
            report.payloads_read += payloads.len();
            let members = payloads
                .into_iter()
                .filter_map(|p| parse_event(p).ok())
                .collect();
            build_episode(&home.episode_id, members)?
        }
    };
    let add = i64::from(matches!(home.kind, Curated::New(_)));
    let in_category = counts.get(category).copied().unwrap_or(0) + add;
    let total = counts.values().sum::<i64>() + add;
    let share = if total > 0 {
        in_category as f64 / total as f64
    } else {
        0.0
    };
    let age_days = (Utc::now() - episode.timestamp).num_seconds() as f64 / 86_400.0;
    let inputs = ScoreInputs {
        outcome: &episode.outcome,
        notes: episode.notes.as_deref(),
        metrics: &episode.key_metrics,
        age_days,
        category_share: share,
    };
    episode.score = score(&inputs, settings).total;
    let payload = serde_json::to_value(&episode).map_err(|e| DbError::Encode(e.to_string()))?;
    lib::upsert(
        conn,
        &EpisodeWrite {
            episode: &episode,
            payload,
        },
    )?;
    lib::set_member(conn, id, &home.episode_id)?;
    lib::mark_curated(conn, id, None)?;
    Ok(home.kind)
}

/// The episode an event belongs to.
struct Home {
    episode_id: String,
    kind: Curated,
    /// The stored episode a duplicate folds into.
    merge_into: Option<FleetEpisode>,
}

/// Which episode does this event belong to: the one it is already in (its outcome changed), a
/// duplicate's, or a new one of its own?
fn place(
    conn: &mut PgConnection,
    id: &str,
    event: &FleetEvent,
    settings: &CuratorSettings,
) -> Result<Home, DbError> {
    if let Some(row) = lib::episode_with_event(conn, id)? {
        return Ok(Home {
            episode_id: row.id,
            kind: Curated::Updated,
            merge_into: None,
        });
    }
    let category = event.advisory.category.as_str();
    let window = settings.dedup_window;
    let candidates = lib::dedup_candidates(
        conn,
        event.rig_id.as_str(),
        category,
        event.timestamp - window,
        event.timestamp + window,
    )?;
    let duplicate = candidates.into_iter().find_map(|row| {
        serde_json::from_value::<FleetEpisode>(row.payload)
            .ok()
            .filter(|ep| is_duplicate(ep, event, settings))
            .map(|ep| (row.id, ep))
    });
    Ok(match duplicate {
        Some((episode_id, episode)) => Home {
            episode_id,
            kind: Curated::Merged,
            merge_into: Some(episode),
        },
        None => Home {
            episode_id: id.to_owned(),
            kind: Curated::New(category.to_owned()),
            merge_into: None,
        },
    })
}

/// One episode from its events, oldest first, under the episode's id.
fn build_episode(episode_id: &str, mut members: Vec<FleetEvent>) -> Result<FleetEpisode, DbError> {
    members.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then_with(|| a.id.cmp(&b.id)));
    let Some((first, rest)) = members.split_first() else {
        return Err(DbError::Encode(format!(
            "episode {episode_id} has no readable events"
        )));
    };
    let mut episode = episode_from_event(first);
    for e in rest {
        merge_event(&mut episode, e);
    }
    episode.id = episode_id.to_owned();
    Ok(episode)
}
