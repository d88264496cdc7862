//! Adaptive ingestion: the fleet's size picks a profile, and the profile how often healthy rigs
//! beat and how often the fleet is aggregated — a 1,000-rig fleet is not rolled up, nor does it
//! hear from its quiet rigs, as often as a 20-rig one. A rig with anything open, a dead stream, a
//! fault or lost uploads always beats at the base rate. Past 50 rigs only deviations are taken
//! up at once: a beat that changes what the fleet should think of its rig wakes the aggregation
//! ([`deviation`]); the rest wait for the next scheduled pass.

use crate::fleet::Heartbeat;
use serde::Serialize;
use std::sync::atomic::{AtomicU8, Ordering};

/// The fleet's size class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Up to 50 rigs.
    Small,
    /// Up to 200.
    Medium,
    /// More (tested to 1,000).
    Large,
}

impl Profile {
    /// The profile of a fleet of `rigs` (not revoked).
    pub fn of(rigs: i64) -> Self {
        match rigs {
            ..=50 => Self::Small,
            51..=200 => Self::Medium,
            _ => Self::Large,
        }
    }

    /// How many times the base interval a healthy rig beats, and the fleet is aggregated.
    pub fn factor(self) -> u64 {
        match self {
            Self::Small => 1,
            Self::Medium => 2,
            Self::Large => 5,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    /// Seconds until `beat`'s rig should beat again: the base for a rig with anything to say,
    /// the profile's multiple of it for a quiet one.
    pub fn next_beat_secs(self, base: u64, beat: &Heartbeat) -> u64 {
        if quiet(beat) {
            (base * self.factor()).min(3_600)
        } else {
            base
        }
    }

    /// Whether a deviating beat should wake the aggregation: only where it does not already run
    /// at the base interval.
    pub fn wakes_on_deviation(self) -> bool {
        self.factor() > 1
    }
}

/// Nothing open or unacknowledged, the stream alive with every sensor, no fault, no lost upload.
fn quiet(beat: &Heartbeat) -> bool {
    beat.incidents.total() == 0
        && beat.incidents.unacknowledged == 0
        && beat.stream.alive
        && beat.stream.sensors_out == 0
        && beat.faults == 0
        && beat.dead_letters == 0
}

/// What in `beat` changes, since the rig's `previous` one, what the fleet should think of the
/// rig (its status, health, attention), in words; `None` when it is more of the same.
pub fn deviation(previous: Option<&Heartbeat>, beat: &Heartbeat) -> Option<&'static str> {
    let Some(prev) = previous else {
        return Some("its first heartbeat");
    };
    if prev.incidents.highest() != beat.incidents.highest() {
        Some("its highest open risk changed")
    } else if prev.stream.alive != beat.stream.alive {
        Some("its stream died or came back")
    } else if beat.dead_letters > prev.dead_letters {
        Some("it lost uploads")
    } else if prev.faults != beat.faults || prev.stream.sensors_out != beat.stream.sensors_out {
        Some("its faults changed")
    } else if quiet(prev) != quiet(beat) {
        Some("it turned quiet or stopped being")
    } else {
        None
    }
}

/// The profile a hub process works to, updated by its aggregation thread.
#[derive(Debug, Default)]
pub struct CurrentProfile(AtomicU8);

impl CurrentProfile {
    /// The profile now.
    pub fn get(&self) -> Profile {
        match self.0.load(Ordering::Relaxed) {
            1 => Profile::Medium,
            2 => Profile::Large,
            _ => Profile::Small,
        }
    }

    /// Set it.
    pub fn set(&self, p: Profile) {
        self.0.store(p as u8, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::RigId;

    #[test]
    fn quiet_rigs_of_large_fleets_beat_less_and_a_rig_in_trouble_never_does() {
        assert_eq!(Profile::of(50), Profile::Small);
        assert_eq!(Profile::of(51), Profile::Medium);
        assert_eq!(Profile::of(1_000), Profile::Large);
        let calm = Heartbeat::calm(RigId::parse("RIG-A").unwrap(), "F", chrono::Utc::now());
        assert_eq!(Profile::Small.next_beat_secs(60, &calm), 60);
        assert_eq!(Profile::Medium.next_beat_secs(60, &calm), 120);
        assert_eq!(Profile::Large.next_beat_secs(60, &calm), 300);
        let mut kick = calm.clone();
        kick.incidents.high = 1;
        assert_eq!(Profile::Large.next_beat_secs(60, &kick), 60);
        let mut lost = calm.clone();
        lost.dead_letters = 3;
        assert_eq!(Profile::Large.next_beat_secs(60, &lost), 60);
        assert!(!Profile::Small.wakes_on_deviation() && Profile::Large.wakes_on_deviation());
        let p = CurrentProfile::default();
        assert_eq!(p.get(), Profile::Small);
        p.set(Profile::Large);
        assert_eq!(p.get(), Profile::Large);
    }

    #[test]
    fn a_beat_deviates_when_it_changes_what_the_fleet_should_think_of_its_rig() {
        let calm = Heartbeat::calm(RigId::parse("RIG-A").unwrap(), "F", chrono::Utc::now());
        assert!(deviation(None, &calm).is_some(), "a first beat is news");
        let mut later = calm.clone();
        later.depth_ft = later.depth_ft.map(|d| d + 90.0);
        later.rop_ft_h = Some(61.0);
        later.alarms_last_hour = 1;
        assert_eq!(
            deviation(Some(&calm), &later),
            None,
            "drilling on is not news"
        );
        let mut kick = calm.clone();
        kick.incidents.high = 1;
        assert!(deviation(Some(&calm), &kick).is_some());
        assert_eq!(
            deviation(Some(&kick), &kick),
            None,
            "an incident still open is not news"
        );
        let mut critical = kick.clone();
        critical.incidents.critical = 1;
        assert!(deviation(Some(&kick), &critical).is_some(), "it grew");
        assert!(deviation(Some(&kick), &calm).is_some(), "it closed");
        let mut dead = calm.clone();
        dead.stream.alive = false;
        assert!(deviation(Some(&calm), &dead).is_some());
        let mut lost = calm.clone();
        lost.dead_letters = 1;
        assert!(deviation(Some(&calm), &lost).is_some());
        assert_eq!(deviation(Some(&lost), &lost), None, "the same loss, again");
        let mut unacked = calm.clone();
        unacked.incidents.unacknowledged = 1;
        assert!(
            deviation(Some(&calm), &unacked).is_some(),
            "cleared, not acknowledged"
        );
    }
}
