//! Each rig's fleet notices, kept in memory between its heartbeats for as long as the change
//! watch vouches that no correlation and no rig's field has changed: a 1,000-rig fleet beating
//! every 30 s would otherwise read its regions' correlations 33 times a second to be told
//! nothing new.

use crate::fleet::FleetNotice;
use crate::hub::watch::HubWatch;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// More rigs than any fleet: past it the board starts again rather than grow.
const MOST_RIGS: usize = 20_000;

/// A rig's notices and the notices epoch they were read in.
type Kept = (u64, Arc<[FleetNotice]>);

/// Notices per rig, each under the notices epoch it was read in.
#[derive(Default)]
pub struct NoticeBoard(Mutex<HashMap<String, Kept>>);

impl NoticeBoard {
    /// `rig`'s notices, if they were read under an epoch `watch` still vouches for.
    pub fn get(&self, watch: &HubWatch, rig: &str) -> Option<Arc<[FleetNotice]>> {
        let board = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (stamp, notices) = board.get(rig)?;
        watch.notices_hold(*stamp).then(|| notices.clone())
    }

    /// Keep `notices` for `rig`, read after `stamp` was taken (none: the watch is down, and
    /// nothing is kept).
    pub fn put(&self, stamp: Option<u64>, rig: &str, notices: &[FleetNotice]) {
        let Some(stamp) = stamp else { return };
        let mut board = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if board.len() >= MOST_RIGS && !board.contains_key(rig) {
            board.clear();
        }
        board.insert(rig.to_owned(), (stamp, notices.into()));
    }
}
