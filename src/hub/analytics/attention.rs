//! "Which rigs need attention now?": each rig's reasons in words, and the order the overview
//! lists them in — open risk first, then the unacknowledged, a dead or stale stream, lost
//! uploads, a wrong clock and outlier flags; healthy rigs last, revoked ones at the very end.

use crate::drilling::AnomalyCategory;
use crate::hub::db::dashboard::RigOverview;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

/// A clock further than this from the hub's is a reason (seconds).
pub const CLOCK_OFF_SECS: f64 = 30.0;
/// More events than this waiting in a rig's queue is a reason.
pub const LONG_QUEUE: u32 = 100;

/// What the overview says about one rig.
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    /// The highest level open now (`critical` … `low`, or `none`).
    pub level: &'static str,
    /// Why it needs attention, most urgent first (empty: it does not).
    pub reasons: Vec<String>,
    key: (u8, u8, u8, u32, u32, u8, usize, Reverse<i64>),
}

fn level_rank(level: &str) -> u8 {
    match level {
        "critical" => 4,
        "high" => 3,
        "elevated" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A span in the coarsest unit that fits: "45 s", "12 min", "3 h", "2 d".
pub fn span_words(secs: f64) -> String {
    let s = secs.abs();
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5_400.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 129_600.0 {
        format!("{:.0} h", s / 3_600.0)
    } else {
        format!("{:.0} d", s / 86_400.0)
    }
}

/// Read `rig`'s reasons and rank at `now`.
pub fn of(rig: &RigOverview, now: DateTime<Utc>) -> Attention {
    let beat = rig.heartbeat.as_ref();
    let mut reasons = Vec::new();
    let level = beat.map_or("none", |b| b.incidents.highest());
    if let Some(b) = beat {
        let i = &b.incidents;
        let at_level = match level {
            "critical" => i.critical,
            "high" => i.high,
            "elevated" => i.elevated,
            "low" => i.low,
            _ => 0,
        };
        if at_level > 0 {
            let what = i.worst.map_or("incident", AnomalyCategory::label);
            reasons.push(if at_level == 1 {
                format!("{level}: {what} open")
            } else {
                format!("{level}: {what} and {} more open", at_level - 1)
            });
        }
        if i.unacknowledged > 0 {
            reasons.push(format!(
                "{} not acknowledged",
                plural(i.unacknowledged, "alarm", "alarms")
            ));
        }
    }
    let status_rank = match rig.status.as_str() {
        "faulted" => 2,
        "stale" => 1,
        _ => 0,
    };
    match (rig.status.as_str(), beat) {
        ("stale", _) => {
            let heard = rig.heartbeat_at.or(rig.last_seen);
            reasons.push(heard.map_or_else(
                || "never heard from".to_owned(),
                |t| format!("silent for {}", span_words((now - t).num_seconds() as f64)),
            ));
        }
        ("faulted", Some(b)) if !b.stream.alive => reasons.push(format!(
            "WITS stream dead{}",
            b.stream
                .stale_secs
                .map(|s| format!(" for {}", span_words(s)))
                .unwrap_or_default()
        )),
        _ => {}
    }
    if let Some(b) = beat {
        if b.faults > 0 {
            reasons.push(format!(
                "{} named by the rig's health",
                plural(b.faults, "problem", "problems")
            ));
        }
        if b.stream.sensors_out > 0 {
            reasons.push(plural(b.stream.sensors_out, "sensor out", "sensors out"));
        }
        if b.dead_letters > 0 {
            reasons.push(format!(
                "{} refused by the hub for good",
                plural(b.dead_letters, "upload", "uploads")
            ));
        }
        if b.queue_depth > LONG_QUEUE {
            reasons.push(format!("{} events waiting to upload", b.queue_depth));
        }
    }
    let clock_off = rig
        .clock_offset_secs
        .filter(|o| o.abs() > CLOCK_OFF_SECS)
        .inspect(|o| {
            reasons.push(format!(
                "clock {} {}",
                span_words(*o),
                if *o > 0.0 { "ahead" } else { "behind" }
            ))
        })
        .is_some();
    let outliers = rig.health.as_ref().map_or(&[][..], |h| &h.outliers[..]);
    for o in outliers.iter().filter(|o| o.among == "fleet") {
        reasons.push(format!(
            "outlier in the fleet: {} {} (median {})",
            kpi_words(&o.kpi),
            figure(o.value),
            figure(o.median)
        ));
    }
    let bucket = match rig.status.as_str() {
        "revoked" => 0,
        "never-seen" => 1,
        _ => 2,
    };
    let b = beat.map(|b| (b.incidents.unacknowledged, b.dead_letters));
    let health = rig.health.as_ref().map_or(100.0, |h| h.health);
    Attention {
        level,
        key: (
            bucket,
            level_rank(level),
            status_rank,
            b.map_or(0, |b| b.0),
            b.map_or(0, |b| b.1),
            u8::from(clock_off),
            outliers.len(),
            Reverse((health * 10.0) as i64),
        ),
        reasons,
    }
}

/// `rigs` in the order the overview lists them, each with its attention.
pub fn rank(rigs: Vec<RigOverview>, now: DateTime<Utc>) -> Vec<(RigOverview, Attention)> {
    let mut ranked: Vec<(RigOverview, Attention)> = rigs
        .into_iter()
        .map(|r| {
            let a = of(&r, now);
            (r, a)
        })
        .collect();
    ranked.sort_by(|(ra, a), (rb, b)| b.key.cmp(&a.key).then_with(|| ra.rig_id.cmp(&rb.rig_id)));
    ranked
}

/// How a KPI's name reads.
pub fn kpi_words(kpi: &str) -> &str {
    match kpi {
        "health" => "health",
        "rop_ft_h" => "ROP (ft/h)",
        "mse_efficiency" => "MSE efficiency",
        "alarms_last_hour" => "alarms in the last hour",
        "unacknowledged" => "unacknowledged alarms",
        "dead_letters" => "refused uploads",
        "clock_offset_secs" => "clock offset (s)",
        "sensors_out" => "sensors out",
        other => other,
    }
}

/// A figure to at most one decimal, without a trailing ".0".
pub fn figure(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0}")
    } else if v.abs() < 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Heartbeat, OpenIncidents, RigId};

    fn rig(id: &str, status: &str, beat: Option<Heartbeat>) -> RigOverview {
        RigOverview {
            rig_id: id.into(),
            well_id: "W".into(),
            field: "F".into(),
            status: status.into(),
            last_seen: Some(Utc::now()),
            last_sync: None,
            library_version: None,
            event_count: 0,
            clock_offset_secs: None,
            heartbeat_at: Some(Utc::now()),
            fresh: beat.is_some(),
            heartbeat: beat,
            health: None,
        }
    }

    fn beat() -> Heartbeat {
        let mut b = Heartbeat::calm(RigId::parse("RIG-A").unwrap(), "F", Utc::now());
        b.clock_offset_secs = None;
        b
    }

    #[test]
    fn a_kick_leads_then_the_unacknowledged_then_lost_uploads_and_the_calm_come_last() {
        let mut kick = beat();
        kick.incidents = OpenIncidents {
            critical: 1,
            unacknowledged: 1,
            worst: Some(AnomalyCategory::Kick),
            ..Default::default()
        };
        let mut unack = beat();
        unack.incidents.unacknowledged = 3;
        unack.incidents.elevated = 1;
        let mut dead = beat();
        dead.dead_letters = 635;
        let rigs = vec![
            rig("CALM", "active", Some(beat())),
            rig("GONE", "revoked", None),
            rig("LOST", "active", Some(dead)),
            rig("KICK", "active", Some(kick)),
            rig("ACK", "active", Some(unack)),
            rig("NEW", "never-seen", None),
        ];
        let order: Vec<String> = rank(rigs, Utc::now())
            .into_iter()
            .map(|(r, _)| r.rig_id)
            .collect();
        assert_eq!(order, ["KICK", "ACK", "LOST", "CALM", "NEW", "GONE"]);
        let mut kick = beat();
        kick.incidents.critical = 1;
        kick.incidents.worst = Some(AnomalyCategory::Kick);
        let a = of(&rig("KICK", "active", Some(kick)), Utc::now());
        assert_eq!(a.level, "critical");
        assert_eq!(a.reasons, ["critical: kick open"]);
        let mut lost = beat();
        lost.dead_letters = 635;
        let a = of(&rig("LOST", "active", Some(lost)), Utc::now());
        assert_eq!(a.reasons, ["635 uploads refused by the hub for good"]);
        assert!(of(&rig("CALM", "active", Some(beat())), Utc::now())
            .reasons
            .is_empty());
    }

    #[test]
    fn a_stale_rig_says_how_long_it_has_been_silent() {
        let mut r = rig("OLD", "stale", Some(beat()));
        r.heartbeat_at = Some(Utc::now() - chrono::Duration::minutes(12));
        assert_eq!(of(&r, Utc::now()).reasons, ["silent for 12 min"]);
    }
}
