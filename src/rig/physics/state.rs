//! Rig-state classification (DESIGN §3.2): what the crew is doing, from bit vs hole depth,
//! rotation, flow, hookload and block movement.

use super::hoist::{Direction, Hoist};
use crate::drilling::{RigState, WitsPacket};
use serde::{Deserialize, Serialize};

/// Thresholds that separate the states; defaults suit a land or offshore rotary rig.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateThresholds {
    /// The bit is on bottom within this distance of the hole depth, ft.
    pub on_bottom_ft: f64,
    /// Pumps count as on above this flow in, gpm (or above 5 spm total where only strokes are sent).
    pub pumping_gpm: f64,
    /// The string counts as rotating above this, rpm.
    pub rotating_rpm: f64,
    /// The string counts as moving when the bit moves faster than this, ft/min.
    pub moving_ft_min: f64,
    /// Within this distance of bottom, pumps off and still means a connection rather than a trip, ft.
    pub connection_zone_ft: f64,
    /// Far from bottom with the pumps off and the bit still, a hookload this far above its level
    /// with the string in the slips means the string hangs in the elevators: a trip's pause, still
    /// the trip (as a mud logger labels it), klb.
    pub hanging_klb: f64,
}

impl Default for StateThresholds {
    fn default() -> Self {
        Self {
            on_bottom_ft: 1.0,
            pumping_gpm: 50.0,
            rotating_rpm: 5.0,
            moving_ft_min: 5.0,
            connection_zone_ft: 150.0,
            hanging_klb: 20.0,
        }
    }
}

/// Classifies each packet against the previous one (block movement needs two).
#[derive(Debug, Clone, Default)]
pub struct StateClassifier {
    thresholds: StateThresholds,
    previous: Option<(chrono::DateTime<chrono::Utc>, f64)>,
    /// The last hole depth read: a packet without one (a log that does not carry it, a value
    /// dropped as impossible) is judged against it, since a hole does not get shallower.
    last_hole_ft: Option<f64>,
    hoist: Hoist,
}

impl StateClassifier {
    /// A classifier with these thresholds.
    pub fn new(thresholds: StateThresholds) -> Self {
        Self {
            thresholds,
            previous: None,
            last_hole_ft: None,
            hoist: Hoist::default(),
        }
    }

    /// The rig state for `packet`, with `flow_in_gpm` already derived (from pump strokes where the
    /// rig sends no flow meter).
    pub fn classify(&mut self, packet: &WitsPacket, flow_in_gpm: Option<f64>) -> RigState {
        let bit_speed = self.bit_speed_ft_min(packet);
        self.hoist
            .observe(packet.timestamp, packet.hookload_klb, packet.bit_depth_ft);
        let th = self.thresholds;
        // Unknown where neither flow in nor a pump's strokes are sent: a row without pump data is
        // not a connection (real depth logs have long spells of such rows).
        let spm = [packet.pump1_spm, packet.pump2_spm, packet.pump3_spm];
        let pumps_known = flow_in_gpm.is_some() || spm.iter().any(Option::is_some);
        let pumping = match flow_in_gpm {
            Some(q) => q > th.pumping_gpm,
            None => spm.iter().flatten().sum::<f64>() > 5.0,
        };
        let rotating = packet.rpm.is_some_and(|r| r > th.rotating_rpm);
        if let Some(hole) = packet.hole_depth_ft {
            self.last_hole_ft = Some(hole);
        }
        let hole = packet.hole_depth_ft.or(self.last_hole_ft);
        let off_bottom = match (packet.bit_depth_ft, hole) {
            (Some(bit), Some(hole)) => Some(hole - bit),
            _ => None,
        };
        let Some(off_bottom) = off_bottom else {
            // Depth-indexed logs carry no bit depth: they are recorded while drilling, and a
            // positive ROP with the pumps on is the only thing that makes hole.
            return match (packet.rop_ft_h, pumping || rotating) {
                (Some(rop), true) if rop > 0.0 => RigState::Drilling,
                (_, true) if pumping => RigState::Circulating,
                _ if flow_in_gpm.is_none() && packet.rpm.is_none() => RigState::Unknown,
                _ => RigState::Idle,
            };
        };
        let moving = bit_speed.map(|v| v.abs() > th.moving_ft_min);
        if off_bottom <= th.on_bottom_ft && (pumping || rotating) {
            return RigState::Drilling;
        }
        if !pumps_known && moving != Some(true) {
            return RigState::Unknown;
        }
        if pumping {
            return if rotating && moving == Some(true) {
                RigState::Reaming
            } else {
                RigState::Circulating
            };
        }
        let tripping = |d: Direction| match d {
            Direction::In => RigState::TrippingIn,
            Direction::Out => RigState::TrippingOut,
        };
        match (moving, bit_speed) {
            // The trip's way over the last stands, not this moment's: running in, each stand is
            // picked up out of the slips before it goes down.
            (Some(true), Some(v)) if off_bottom > th.connection_zone_ft => {
                tripping(self.hoist.direction().unwrap_or(if v > 0.0 {
                    Direction::In
                } else {
                    Direction::Out
                }))
            }
            _ if off_bottom <= th.connection_zone_ft => RigState::Connection,
            _ if self.hoist.hanging(th.hanging_klb) => {
                self.hoist.direction().map_or(RigState::Idle, tripping)
            }
            // Rotating with the pumps off and the string still is the top drive spinning a
            // connection in, not reaming (which moves the string and pumps).
            _ => RigState::Idle,
        }
    }

    fn bit_speed_ft_min(&mut self, packet: &WitsPacket) -> Option<f64> {
        let bit = packet.bit_depth_ft.filter(|d| d.is_finite())?;
        let speed = self.previous.and_then(|(t, d)| {
            let secs = (packet.timestamp - t).num_milliseconds() as f64 / 1_000.0;
            (secs > 0.0).then(|| (bit - d) / secs * 60.0)
        });
        if self.previous.is_none_or(|(t, _)| packet.timestamp > t) {
            self.previous = Some((packet.timestamp, bit));
        }
        speed.or(Some(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn packet(s: i64, bit: f64, hole: f64, rpm: f64) -> WitsPacket {
        WitsPacket {
            timestamp: Utc
                .timestamp_opt(1_700_000_000 + s, 0)
                .single()
                .expect("valid"),
            bit_depth_ft: Some(bit),
            hole_depth_ft: Some(hole),
            rpm: Some(rpm),
            ..WitsPacket::default()
        }
    }

    /// One stand's cycle as a mud logger sees it: drilling, picking up off bottom while
    /// circulating, in slips for the connection, back down reaming, and a trip out.
    #[test]
    fn classifies_a_drilling_and_connection_cycle() {
        let mut c = StateClassifier::default();
        assert_eq!(
            c.classify(&packet(0, 10_000.0, 10_000.0, 120.0), Some(600.0)),
            RigState::Drilling
        );
        assert_eq!(
            c.classify(&packet(1, 10_000.0, 10_000.0, 120.0), Some(600.0)),
            RigState::Drilling
        );
        // Picked up 30 ft in 60 s with pumps on and no rotation: circulating.
        assert_eq!(
            c.classify(&packet(61, 9_970.0, 10_000.0, 0.0), Some(600.0)),
            RigState::Circulating
        );
        // Pumps off, in slips 30 ft off bottom.
        assert_eq!(
            c.classify(&packet(62, 9_970.0, 10_000.0, 0.0), Some(0.0)),
            RigState::Connection
        );
        assert_eq!(
            c.classify(&packet(180, 9_970.0, 10_000.0, 0.0), Some(0.0)),
            RigState::Connection
        );
        // Washing down, rotating and pumping, 20 ft/min.
        assert_eq!(
            c.classify(&packet(240, 9_990.0, 10_000.0, 60.0), Some(600.0)),
            RigState::Reaming
        );
        // Pulling out of hole far from bottom, pumps off: 90 ft per 60 s.
        assert_eq!(
            c.classify(&packet(300, 9_500.0, 10_000.0, 0.0), Some(0.0)),
            RigState::TrippingOut
        );
        assert_eq!(
            c.classify(&packet(360, 9_410.0, 10_000.0, 0.0), Some(0.0)),
            RigState::TrippingOut
        );
        // Still in the slips for six minutes, then running back in: the trip's way is read over
        // the last five minutes, so it reads in once the pulling out has aged out of them.
        assert_eq!(
            c.classify(&packet(720, 9_410.0, 10_000.0, 0.0), Some(0.0)),
            RigState::Idle
        );
        assert_eq!(
            c.classify(&packet(780, 9_500.0, 10_000.0, 0.0), Some(0.0)),
            RigState::TrippingIn
        );
        assert_eq!(
            c.classify(&packet(840, 9_500.0, 10_000.0, 0.0), Some(0.0)),
            RigState::Idle
        );
    }

    #[test]
    fn depth_indexed_logs_without_bit_depth_are_drilling_when_making_hole() {
        let mut c = StateClassifier::default();
        let p = WitsPacket {
            rop_ft_h: Some(40.0),
            rpm: Some(120.0),
            ..WitsPacket::default()
        };
        assert_eq!(c.classify(&p, Some(700.0)), RigState::Drilling);
        assert_eq!(c.classify(&WitsPacket::default(), None), RigState::Unknown);
    }

    /// Issue 16: rows of a real depth log without flow or pump data were classed "connection";
    /// they are unknown, while a string moving far off bottom is still a trip.
    #[test]
    fn rows_without_pump_data_are_unknown_not_a_connection() {
        let mut c = StateClassifier::default();
        let mut p = packet(0, 9_990.0, 10_000.0, 0.0);
        p.rpm = None;
        assert_eq!(c.classify(&p, None), RigState::Unknown);
        let mut p = packet(60, 9_000.0, 10_000.0, 0.0);
        p.rpm = None;
        let mut q = packet(120, 8_900.0, 10_000.0, 0.0);
        q.rpm = None;
        c.classify(&p, None);
        assert_eq!(c.classify(&q, None), RigState::TrippingOut);
    }

    #[test]
    fn strokes_stand_in_for_a_missing_flow_meter() {
        let mut c = StateClassifier::default();
        let mut p = packet(0, 9_950.0, 10_000.0, 0.0);
        p.pump1_spm = Some(80.0);
        assert_eq!(c.classify(&p, None), RigState::Circulating);
    }
}
