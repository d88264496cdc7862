//! The incident book: turns the pipeline's confirmations into incidents, decides when one is
//! announced (when it opens and once per escalation, never twice at a level), clears it after its
//! condition has been away for a hold-off, re-opens it when it comes back soon, attaches what its
//! root cause produced, and keeps shelving and acknowledgments. It runs on stream time and does no
//! I/O: the core persists it after every change.

use super::incident::{
    Acknowledgment, AlarmState, Announcement, Attached, Incident, Numbers, Reason, Trend,
};
use super::{IncidentConfig, Shelf};
use crate::drilling::{AnomalyCategory, RigState, RiskLevel};
use crate::fleet::{EventId, RigId};
use chrono::{DateTime, Duration, Utc};

/// Severity samples older than this are dropped from an incident's trend, s.
const TREND_SPAN_SECS: i64 = 180;
/// A severity change smaller than this over the trend span is "steady".
const TREND_STEP: f64 = 0.05;

/// A confirmation of trouble from the strategic check and the specialists.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// The trouble.
    pub category: AnomalyCategory,
    /// Its numbers now.
    pub numbers: Numbers,
    /// The rig state.
    pub rig_state: RigState,
    /// Measured depth, ft.
    pub depth_ft: Option<f64>,
}

/// The book's answer when the driller must be told.
#[derive(Debug, Clone, PartialEq)]
pub struct Announce {
    /// The incident.
    pub incident: EventId,
    /// The advisory's id (the incident's own for its first announcement).
    pub advisory_id: EventId,
    /// At which level.
    pub level: RiskLevel,
    /// Why now.
    pub reason: Reason,
}

/// What changed in the book, for the core to persist and to tell the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new incident.
    Opened,
    /// Its level rose.
    Escalated,
    /// It came back after clearing.
    Reopened,
    /// Its condition went away.
    Cleared,
    /// Cleared and answered.
    Closed,
    /// The crew answered it.
    Acknowledged,
    /// Its category was shelved.
    Shelved,
    /// A condition was attached to it.
    Attached,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The incident.
    pub id: EventId,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// Why the crew's request was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IncidentError {
    /// No incident with that id is held.
    #[error("no incident {0} is held on this rig")]
    NotFound(String),
    /// It is closed.
    #[error("incident {0} is closed")]
    Closed(String),
    /// It was acknowledged before.
    #[error("incident {0} was already acknowledged")]
    Already(String),
    /// A shelving request that breaks the rules.
    #[error("{0}")]
    BadShelving(String),
}

/// The incidents of this rig: open ones and the most recent closed ones, oldest first.
#[derive(Debug, Clone)]
pub struct IncidentBook {
    config: IncidentConfig,
    rig: RigId,
    incidents: Vec<Incident>,
    shelves: Vec<Shelf>,
    changes: Vec<Change>,
    last_id: Option<(i64, u32)>,
    /// Numbers changed without a state change since the last save.
    touched: bool,
}

/// Categories a primary's root cause produces, which are attached to it instead of raised.
fn produced_by(primary: AnomalyCategory) -> &'static [AnomalyCategory] {
    use AnomalyCategory::*;
    match primary {
        // A parted string: the standpipe pressure falls (read as a washout) and every drilling
        // reading (torque, ROP, MSE) stops meaning what it did.
        TwistOff => &[Washout, StuckPipe, StickSlip, Founder, MseInefficiency],
        // Pipe that does not advance: torque swings and MSE soars because ROP is zero.
        StuckPipe => &[StickSlip, Founder, MseInefficiency],
        // A packed annulus raises torque and drag and slows the bit.
        PackOff => &[StickSlip, Founder, MseInefficiency],
        // A foundering bit is inefficient by definition.
        Founder => &[MseInefficiency],
        // A kick means the bit is in formation pressure above the mud's: the falling
        // dc-exponent of that zone is the same cause, and the kick is what the crew acts on.
        Kick => &[PressureTransition],
        LostCirculation | Washout | StickSlip | MseInefficiency | PressureTransition => &[],
    }
}

impl IncidentBook {
    /// An empty book for this rig.
    pub fn new(config: IncidentConfig, rig: RigId) -> Self {
        Self {
            config,
            rig,
            incidents: Vec::new(),
            shelves: Vec::new(),
            changes: Vec::new(),
            last_id: None,
            touched: false,
        }
    }

    /// A book holding what a previous run saved.
    pub fn restore(
        config: IncidentConfig,
        rig: RigId,
        incidents: Vec<Incident>,
        shelves: Vec<Shelf>,
    ) -> Self {
        let mut book = Self::new(config, rig);
        book.incidents = incidents;
        book.shelves = shelves;
        for i in &mut book.incidents {
            i.restate();
        }
        book
    }

    /// The rules in force.
    pub fn config(&self) -> &IncidentConfig {
        &self.config
    }

    /// A fresh id: the rig and the second, with a suffix where two fall in one second.
    fn next_id(&mut self, at: DateTime<Utc>) -> EventId {
        let secs = at.timestamp();
        let held = |n: u32| {
            let id = EventId::new(&self.rig, secs, n);
            self.incidents
                .iter()
                .any(|i| i.id == id || i.announcements.iter().any(|a| a.advisory_id == id))
        };
        let mut n = match self.last_id {
            Some((s, n)) if s == secs => n + 1,
            _ => 0,
        };
        // After a restart the counter is gone; the ids the book holds are not.
        while held(n) {
            n += 1;
        }
        self.last_id = Some((secs, n));
        EventId::new(&self.rig, secs, n)
    }

    fn change(&mut self, id: &EventId, kind: ChangeKind) {
        self.changes.push(Change {
            id: id.clone(),
            kind,
        });
        if kind == ChangeKind::Closed {
            self.prune();
        }
    }

    /// What changed since the last call.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Whether numbers changed since the book was last saved.
    pub fn has_unsaved_numbers(&self) -> bool {
        self.touched
    }

    /// The book as it stands was saved.
    pub fn mark_saved(&mut self) {
        self.touched = false;
    }

    /// Whether `category` is shelved at `at`.
    pub fn is_shelved(&self, category: AnomalyCategory, at: DateTime<Utc>) -> bool {
        self.shelves
            .iter()
            .any(|s| s.category == category && s.until > at)
    }

    /// Take one confirmation; `Some` when the driller must be told now.
    pub fn confirm(&mut self, c: Confirmation) -> Option<Announce> {
        let at = c.numbers.at;
        if let Some(i) = self.primary_of(c.category, at) {
            let id = self.incidents[i].id.clone();
            if attach(&mut self.incidents[i], c.category, c.numbers.level, at) {
                self.change(&id, ChangeKind::Attached);
            }
            self.touched = true;
            return None;
        }
        let (index, returned) = match self.live(c.category, at) {
            Some(i) => (i, self.update(i, c.numbers)),
            None => (self.open(c), false),
        };
        self.announce_if_due(index, at, returned)
    }

    /// The live incident of a category that produces `category`, if any.
    fn primary_of(&self, category: AnomalyCategory, at: DateTime<Utc>) -> Option<usize> {
        self.incidents
            .iter()
            .rposition(|i| produced_by(i.category).contains(&category) && self.within_reach(i, at))
    }

    /// The incident a confirmation of `category` belongs to: one not closed, or one that cleared
    /// within the re-open window.
    fn live(&self, category: AnomalyCategory, at: DateTime<Utc>) -> Option<usize> {
        self.incidents
            .iter()
            .rposition(|i| i.category == category && self.within_reach(i, at))
    }

    fn within_reach(&self, i: &Incident, at: DateTime<Utc>) -> bool {
        match i.cleared_at {
            None => !i.is_closed(),
            Some(cleared) => secs_between(cleared, at) <= self.config.reopen_within_secs,
        }
    }

    fn open(&mut self, c: Confirmation) -> usize {
        let at = c.numbers.at;
        let id = self.next_id(at);
        let mut incident = Incident {
            id: id.clone(),
            category: c.category,
            state: AlarmState::ActiveUnacknowledged,
            rig_state: c.rig_state,
            depth_ft: c.depth_ft,
            opened_at: at,
            last_seen_at: at,
            cleared_at: None,
            closed_at: None,
            severity_marks: vec![(at, c.numbers.severity)],
            now: c.numbers.clone(),
            peak: c.numbers,
            trend: Trend::Steady,
            acknowledgment: None,
            earlier_acknowledgments: Vec::new(),
            announcements: Vec::new(),
            attached: Vec::new(),
            attached_to: None,
            reopened: 0,
            fleet_event: false,
        };
        incident.restate();
        // What this one's root cause produces, already open on its own, belongs to it now.
        for other in &mut self.incidents {
            if !other.is_closed() && produced_by(c.category).contains(&other.category) {
                other.attached_to = Some(id.clone());
            }
        }
        self.incidents.push(incident);
        self.change(&id, ChangeKind::Opened);
        self.incidents.len() - 1
    }

    /// Take new numbers for incident `index`, re-opening it if it had cleared; true when it came
    /// back after the crew had answered it.
    fn update(&mut self, index: usize, numbers: Numbers) -> bool {
        let at = numbers.at;
        let i = &mut self.incidents[index];
        let mut returned = false;
        if !i.is_active() {
            i.cleared_at = None;
            i.closed_at = None;
            i.reopened += 1;
            if let Some(ack) = i.acknowledgment.take() {
                // The crew answered it and it came back: it needs answering again.
                i.earlier_acknowledgments.push(ack);
                returned = true;
            }
            let id = i.id.clone();
            self.change(&id, ChangeKind::Reopened);
        }
        let i = &mut self.incidents[index];
        i.last_seen_at = at;
        if numbers.level > i.peak.level
            || (numbers.level == i.peak.level && numbers.severity > i.peak.severity)
        {
            i.peak = numbers.clone();
        }
        i.severity_marks
            .retain(|(t, _)| (at - *t).num_seconds() <= TREND_SPAN_SECS);
        if i.severity_marks
            .last()
            .is_none_or(|(t, _)| (at - *t).num_seconds() >= 10)
        {
            i.severity_marks.push((at, numbers.severity));
        }
        i.trend = trend(&i.severity_marks, numbers.severity);
        i.now = numbers;
        i.restate();
        self.touched = true;
        returned
    }

    /// Announce incident `index` when it reached a level not announced yet (from Elevated, and
    /// not while its category is shelved), or came back after the crew had answered it.
    fn announce_if_due(
        &mut self,
        index: usize,
        at: DateTime<Utc>,
        returned: bool,
    ) -> Option<Announce> {
        let (category, level) = {
            let i = &self.incidents[index];
            (i.category, i.now.level)
        };
        if level < RiskLevel::Elevated || self.is_shelved(category, at) {
            return None;
        }
        let i = &self.incidents[index];
        let reason = match i.announced_level() {
            None => Reason::Opened,
            Some(done) if level > done => Reason::Escalated,
            Some(_) if returned => Reason::Returned,
            Some(_) => return None,
        };
        let incident = i.id.clone();
        let advisory_id = if i.announcements.is_empty() {
            incident.clone()
        } else {
            self.next_id(at)
        };
        let i = &mut self.incidents[index];
        i.announcements.push(Announcement {
            advisory_id: advisory_id.clone(),
            at,
            level,
            reason,
        });
        if reason == Reason::Escalated {
            self.change(&incident, ChangeKind::Escalated);
        }
        Some(Announce {
            incident,
            advisory_id,
            level,
            reason,
        })
    }

    /// One step of stream time: conditions seen now keep their incidents; incidents whose
    /// condition has been away for the hold-off clear (and close, when answered or never
    /// announced); expired shelves go.
    pub fn tick(&mut self, at: DateTime<Utc>, present: impl Fn(AnomalyCategory) -> bool) {
        let hold = self.config.clear_after_secs;
        let mut changed = Vec::new();
        for i in self.incidents.iter_mut().filter(|i| i.is_active()) {
            if present(i.category) {
                i.last_seen_at = i.last_seen_at.max(at);
                continue;
            }
            if secs_between(i.last_seen_at, at) < hold {
                continue;
            }
            i.cleared_at = Some(at);
            changed.push((i.id.clone(), ChangeKind::Cleared));
            if i.is_acknowledged() || i.announcements.is_empty() {
                i.closed_at = Some(at);
                changed.push((i.id.clone(), ChangeKind::Closed));
            }
            i.restate();
        }
        for (id, kind) in changed {
            self.change(&id, kind);
        }
        self.shelves.retain(|s| s.until > at);
    }

    /// Keep at most `keep_closed` closed incidents (the oldest go; they are in the advisory log).
    fn prune(&mut self) {
        let closed = self.incidents.iter().filter(|i| i.is_closed()).count();
        let mut excess = closed.saturating_sub(self.config.keep_closed);
        if excess > 0 {
            self.incidents.retain(|i| {
                if excess > 0 && i.is_closed() {
                    excess -= 1;
                    false
                } else {
                    true
                }
            });
        }
    }

    /// Record the crew's answer to incident `id`; a cleared incident closes with it.
    pub fn acknowledge(
        &mut self,
        id: &str,
        ack: Acknowledgment,
        at: DateTime<Utc>,
    ) -> Result<Incident, IncidentError> {
        let i = self
            .incidents
            .iter_mut()
            .find(|i| i.id.as_str() == id)
            .ok_or_else(|| IncidentError::NotFound(id.to_owned()))?;
        if i.is_closed() {
            return Err(IncidentError::Closed(id.to_owned()));
        }
        if i.is_acknowledged() {
            return Err(IncidentError::Already(id.to_owned()));
        }
        i.acknowledgment = Some(ack);
        let closes = i.cleared_at.is_some();
        if closes {
            i.closed_at = Some(at);
        }
        i.restate();
        let (out, id) = (i.clone(), i.id.clone());
        self.change(&id, ChangeKind::Acknowledged);
        if closes {
            self.change(&id, ChangeKind::Closed);
        }
        Ok(out)
    }

    /// Shelve incident `id`'s category for `minutes` with a reason: its incidents go on being
    /// tracked and listed, but are not announced until the shelf expires.
    pub fn shelve(
        &mut self,
        id: &str,
        minutes: f64,
        reason: &str,
        by: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Shelf, IncidentError> {
        let max = self.config.max_shelve_mins;
        let i = self
            .incidents
            .iter()
            .find(|i| i.id.as_str() == id)
            .ok_or_else(|| IncidentError::NotFound(id.to_owned()))?;
        if i.is_closed() {
            return Err(IncidentError::Closed(id.to_owned()));
        }
        if reason.trim().is_empty() {
            return Err(IncidentError::BadShelving(
                "say why (a known bad sensor, work in progress): shelving needs a reason".into(),
            ));
        }
        if !(minutes.is_finite() && minutes > 0.0 && minutes <= max) {
            return Err(IncidentError::BadShelving(format!(
                "shelve for more than 0 and at most {max} minutes, not {minutes}"
            )));
        }
        let (category, id) = (i.category, i.id.clone());
        let shelf = Shelf {
            category,
            until: at + Duration::milliseconds((minutes * 60_000.0) as i64),
            reason: reason.trim().to_owned(),
            by,
            at,
        };
        self.shelves.retain(|s| s.category != category);
        self.shelves.push(shelf.clone());
        self.change(&id, ChangeKind::Shelved);
        Ok(shelf)
    }

    /// Whether the baseline must hold still: an incident opened in this hole section (since
    /// `section_since`, when the bit size last changed) is open or waits for an answer. One from
    /// the section before was judged against a baseline that no longer exists: it stays listed,
    /// but it cannot stop the new section's baseline from being learned (nor, unlearned, could
    /// its detector ever read it gone).
    pub fn holds_baseline(&self, section_since: Option<DateTime<Utc>>) -> bool {
        self.incidents
            .iter()
            .any(|i| !i.is_closed() && section_since.is_none_or(|s| i.opened_at >= s))
    }

    /// Whether a condition that lasts may become the well's new normal: every open incident was
    /// answered by the crew, and none is well control (a kick or losses never become normal).
    pub fn may_relearn(&self) -> bool {
        self.incidents.iter().filter(|i| !i.is_closed()).all(|i| {
            i.is_acknowledged()
                && !matches!(
                    i.category,
                    AnomalyCategory::Kick | AnomalyCategory::LostCirculation
                )
        })
    }

    /// When the live incident of `category` opened, if one is live at `at`.
    pub fn open_since(
        &self,
        category: AnomalyCategory,
        at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.live(category, at).map(|i| self.incidents[i].opened_at)
    }

    /// One incident by id.
    pub fn get(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id.as_str() == id)
    }

    /// Every incident held, oldest first.
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// Shelves in force.
    pub fn shelves(&self) -> &[Shelf] {
        &self.shelves
    }

    /// Mark incident `id` as sent to the fleet.
    pub fn mark_fleet_event(&mut self, id: &EventId) {
        if let Some(i) = self.incidents.iter_mut().find(|i| &i.id == id) {
            i.fleet_event = true;
        }
    }
}

/// Record `category` at `level` on `primary`; true when it is new there.
fn attach(
    primary: &mut Incident,
    category: AnomalyCategory,
    level: RiskLevel,
    at: DateTime<Utc>,
) -> bool {
    match primary.attached.iter_mut().find(|a| a.category == category) {
        Some(a) => {
            a.last_at = at;
            a.peak_level = a.peak_level.max(level);
            false
        }
        None => {
            primary.attached.push(Attached {
                category,
                first_at: at,
                last_at: at,
                peak_level: level,
            });
            true
        }
    }
}

fn secs_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1_000.0
}

/// Worsening, steady or easing: severity now against the oldest sample of the span.
fn trend(marks: &[(DateTime<Utc>, f64)], now: f64) -> Trend {
    match marks.first() {
        Some((_, then)) if now > then + TREND_STEP => Trend::Worsening,
        Some((_, then)) if now < then - TREND_STEP => Trend::Easing,
        _ => Trend::Steady,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_772_352_000 + s, 0).single().expect("t")
    }

    fn book() -> IncidentBook {
        IncidentBook::new(
            IncidentConfig::default(),
            RigId::parse("RIG-T").expect("rig"),
        )
    }

    fn confirm(
        b: &mut IncidentBook,
        category: AnomalyCategory,
        level: RiskLevel,
        s: i64,
    ) -> Option<Announce> {
        b.confirm(Confirmation {
            category,
            numbers: Numbers {
                at: at(s),
                level,
                severity: 0.3 + s as f64 / 10_000.0,
                evidence: vec![],
                words: format!("at {s}"),
            },
            rig_state: RigState::Drilling,
            depth_ft: Some(10_000.0),
        })
    }

    fn ack(by: &str) -> Acknowledgment {
        Acknowledgment {
            outcome: crate::fleet::EventOutcome::FalsePositive,
            notes: None,
            by: Some(by.into()),
            at: at(0),
        }
    }

    use AnomalyCategory::*;
    use RiskLevel::*;

    #[test]
    fn announced_when_it_opens_and_once_per_escalation_never_again_at_a_level() {
        let mut b = book();
        let opened = confirm(&mut b, Kick, Elevated, 0).expect("opens");
        assert_eq!(opened.reason, Reason::Opened);
        assert_eq!(
            opened.advisory_id, opened.incident,
            "first announcement shares the id"
        );
        for s in 1..100 {
            assert_eq!(
                confirm(&mut b, Kick, Elevated, s),
                None,
                "same level at {s}"
            );
        }
        let up = confirm(&mut b, Kick, Critical, 100).expect("escalates");
        assert_eq!((up.reason, up.level), (Reason::Escalated, Critical));
        assert_ne!(up.advisory_id, up.incident);
        // Down and back up to a level already announced: nothing new.
        assert_eq!(confirm(&mut b, Kick, High, 101), None);
        assert_eq!(confirm(&mut b, Kick, Critical, 102), None);
        assert_eq!(b.incidents().len(), 1);
        let i = &b.incidents()[0];
        assert_eq!(i.announcements.len(), 2);
        assert_eq!(i.peak.level, Critical);
        assert_eq!(i.now.level, Critical);
        assert_eq!(i.now.words, "at 102");
    }

    #[test]
    fn a_low_incident_is_listed_not_announced_and_closes_by_itself() {
        let mut b = book();
        assert_eq!(confirm(&mut b, StickSlip, Low, 0), None);
        assert_eq!(b.incidents().len(), 1);
        assert!(b.holds_baseline(None));
        b.tick(at(300), |_| false);
        assert!(
            b.incidents()[0].is_closed(),
            "never announced: nothing to answer"
        );
        assert!(!b.holds_baseline(None));
    }

    #[test]
    fn clears_after_the_hold_off_stays_until_acknowledged_and_reopens_within_the_window() {
        let mut b = book();
        let id = confirm(&mut b, PackOff, High, 0).expect("opens").incident;
        // Present (near the threshold) keeps it, however long.
        for s in (1..600).step_by(10) {
            b.tick(at(s), |c| c == PackOff);
        }
        assert!(b.incidents()[0].is_active());
        b.tick(at(700), |_| false);
        assert!(b.incidents()[0].is_active(), "not yet: hold-off is 120 s");
        b.tick(at(600 + 121), |_| false);
        let i = &b.incidents()[0];
        assert_eq!(i.state, AlarmState::ClearedUnacknowledged);
        assert!(
            b.holds_baseline(None),
            "unanswered: the baseline still holds"
        );
        // Back within the re-open window: the same incident, not announced again.
        assert_eq!(confirm(&mut b, PackOff, High, 900), None);
        assert_eq!(b.incidents().len(), 1);
        assert_eq!(b.incidents()[0].reopened, 1);
        assert_eq!(b.incidents()[0].state, AlarmState::ActiveUnacknowledged);
        // Answered, then cleared: closed.
        b.acknowledge(id.as_str(), ack("driller"), at(901))
            .expect("ack");
        assert_eq!(b.incidents()[0].state, AlarmState::ActiveAcknowledged);
        b.tick(at(1_100), |_| false);
        assert_eq!(b.incidents()[0].state, AlarmState::Closed);
        assert!(!b.holds_baseline(None));
        // After the window a new incident opens.
        let again = confirm(&mut b, PackOff, High, 1_100 + 901).expect("new");
        assert_ne!(again.incident, id);
        assert_eq!(b.incidents().len(), 2);
    }

    #[test]
    fn coming_back_after_an_answer_is_announced_once_as_returned() {
        let mut b = book();
        let id = confirm(&mut b, Kick, High, 0).expect("opens").incident;
        b.acknowledge(id.as_str(), ack("driller"), at(10))
            .expect("ack");
        b.tick(at(200), |_| false);
        assert!(b.incidents()[0].is_closed());
        let back = confirm(&mut b, Kick, High, 300).expect("returned");
        assert_eq!((back.reason, back.incident.clone()), (Reason::Returned, id));
        let i = &b.incidents()[0];
        assert!(!i.is_acknowledged(), "needs answering again");
        assert_eq!(
            i.earlier_acknowledgments.len(),
            1,
            "the first answer is kept"
        );
        assert_eq!(confirm(&mut b, Kick, High, 301), None);
    }

    #[test]
    fn what_a_root_cause_produces_is_attached_not_raised() {
        let mut b = book();
        let washout_first = confirm(&mut b, Washout, Elevated, 0).expect("opens");
        let twist = confirm(&mut b, TwistOff, Critical, 5)
            .expect("opens")
            .incident;
        assert_eq!(confirm(&mut b, Washout, High, 10), None, "attached");
        assert_eq!(confirm(&mut b, StuckPipe, High, 11), None, "attached");
        let t = b.get(twist.as_str()).expect("held");
        let attached: Vec<_> = t.attached.iter().map(|a| a.category).collect();
        assert_eq!(attached, vec![Washout, StuckPipe]);
        assert_eq!(t.attached[0].peak_level, High);
        let w = b.get(washout_first.incident.as_str()).expect("held");
        assert_eq!(
            w.attached_to,
            Some(twist),
            "the earlier washout belongs to it now"
        );
        // A kick is not a twist-off's.
        assert!(confirm(&mut b, Kick, High, 12).is_some());
    }

    #[test]
    fn shelving_needs_a_reason_and_a_limit_and_hides_nothing() {
        let mut b = book();
        let id = confirm(&mut b, LostCirculation, High, 0)
            .expect("opens")
            .incident;
        let refuse = |b: &mut IncidentBook, minutes: f64, reason: &str| {
            b.shelve(id.as_str(), minutes, reason, None, at(1))
        };
        assert!(matches!(
            refuse(&mut b, 30.0, " "),
            Err(IncidentError::BadShelving(_))
        ));
        assert!(matches!(
            refuse(&mut b, 241.0, "bad meter"),
            Err(IncidentError::BadShelving(_))
        ));
        assert!(matches!(
            refuse(&mut b, f64::NAN, "bad meter"),
            Err(IncidentError::BadShelving(_))
        ));
        assert_eq!(
            b.shelve("RIG-T-1-0", 30.0, "x", None, at(1)),
            Err(IncidentError::NotFound("RIG-T-1-0".into()))
        );
        let shelf = refuse(&mut b, 30.0, "flow-out paddle stuck").expect("shelved");
        assert_eq!(shelf.until, at(1 + 1_800));
        // Escalation while shelved: tracked, not announced.
        assert_eq!(confirm(&mut b, LostCirculation, Critical, 60), None);
        assert_eq!(b.incidents()[0].now.level, Critical);
        assert_eq!(b.shelves().len(), 1);
        // The shelf expires; the level not yet announced is announced.
        b.tick(at(1_802), |_| true);
        assert!(b.shelves().is_empty());
        let late = confirm(&mut b, LostCirculation, Critical, 1_803).expect("announced");
        assert_eq!(late.reason, Reason::Escalated);
    }

    #[test]
    fn acknowledging_twice_or_a_closed_incident_is_refused() {
        let mut b = book();
        let id = confirm(&mut b, Founder, Elevated, 0)
            .expect("opens")
            .incident;
        b.acknowledge(id.as_str(), ack("a"), at(1)).expect("first");
        assert_eq!(
            b.acknowledge(id.as_str(), ack("b"), at(2)),
            Err(IncidentError::Already(id.to_string()))
        );
        b.tick(at(500), |_| false);
        assert_eq!(
            b.acknowledge(id.as_str(), ack("b"), at(501)),
            Err(IncidentError::Closed(id.to_string()))
        );
        assert_eq!(
            b.get(id.as_str())
                .and_then(|i| i.acknowledgment.as_ref()?.by.clone()),
            Some("a".into())
        );
    }

    #[test]
    fn a_kick_never_becomes_the_new_normal_an_answered_pack_off_may() {
        let mut b = book();
        let kick = confirm(&mut b, Kick, High, 0).expect("opens").incident;
        assert!(!b.may_relearn(), "unanswered");
        b.acknowledge(kick.as_str(), ack("a"), at(1)).expect("ack");
        assert!(!b.may_relearn(), "a kick, even answered");
        let mut b = book();
        let pack = confirm(&mut b, PackOff, High, 0).expect("opens").incident;
        assert!(!b.may_relearn());
        b.acknowledge(pack.as_str(), ack("a"), at(1)).expect("ack");
        assert!(b.may_relearn());
    }

    #[test]
    fn two_incidents_in_one_second_get_distinct_ids_and_a_restored_book_does_not_reuse_them() {
        let mut b = book();
        let a = confirm(&mut b, Kick, High, 0).expect("a").incident;
        let c = confirm(&mut b, PackOff, High, 0).expect("b").incident;
        assert_ne!(a, c);
        assert!(c.as_str().ends_with("-1"), "{c}");
        let mut restored = IncidentBook::restore(
            IncidentConfig::default(),
            RigId::parse("RIG-T").expect("rig"),
            b.incidents().to_vec(),
            vec![],
        );
        let d = confirm(&mut restored, Washout, High, 0)
            .expect("c")
            .incident;
        assert!(d != a && d != c, "{d}");
    }

    #[test]
    fn closed_incidents_beyond_the_limit_are_dropped_oldest_first() {
        let mut b = IncidentBook::new(
            IncidentConfig {
                keep_closed: 2,
                reopen_within_secs: 1.0,
                ..IncidentConfig::default()
            },
            RigId::parse("RIG-T").expect("rig"),
        );
        for n in 0..5 {
            let s = n * 1_000;
            confirm(&mut b, StickSlip, Low, s);
            b.tick(at(s + 500), |_| false);
        }
        assert_eq!(b.incidents().len(), 2);
        assert_eq!(b.incidents()[0].opened_at, at(3_000));
    }
}
