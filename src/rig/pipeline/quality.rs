//! The sensor check before physics: a value no sensor of its kind can read (wrong units, a broken
//! transmitter) is dropped, and a channel that has stopped moving while it should move (a dead
//! sensor stuck at zero or at its last value, a frozen stream) is taken out of detection until it
//! moves again. What is wrong is kept for the health endpoint.

use crate::drilling::{Channel, WitsPacket};
use serde::Serialize;
use std::collections::BTreeMap;

/// Tally slack between hole and bit depth before a hole depth is called impossible, ft: a bit
/// on bottom can read a few feet past a hole depth updated a moment late.
const HOLE_BEHIND_BIT_FT: f64 = 30.0;

/// What is wrong with a channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Fault {
    /// Its last value was outside what such a sensor can read (often: wrong units configured).
    OutOfRange {
        /// The value received, in the unit the channel is read in.
        value: f64,
        /// The plausible range.
        min: f64,
        /// The plausible range.
        max: f64,
    },
    /// It has read exactly the same value for this many packets while it should move.
    Flatline {
        /// The value it is stuck at.
        value: f64,
        /// Packets in a row.
        packets: u64,
    },
    /// Torque near zero while the string turns with weight on the bit, for this many packets: a
    /// bit drilling on bottom takes thousands of ft·lbf, so the sensor is dead or unscaled (Volve
    /// F-9 A's top hole reads 0.01–0.2 kN·m for hundreds of feet).
    NoLoad {
        /// The last value, kft·lbf.
        value: f64,
        /// Packets in a row.
        packets: u64,
    },
    /// A hole depth shallower than the bit in it (a log's zero-filled column): impossible.
    BehindBit {
        /// The hole depth received, ft.
        value: f64,
        /// The bit depth beside it, ft.
        bit: f64,
    },
}

impl Fault {
    /// One line for a person.
    pub fn describe(&self, channel: Channel) -> String {
        match self {
            Self::OutOfRange { value, min, max } => format!(
                "{channel} read {value}, outside the plausible {min}…{max} {}: check the channel's units in the config",
                channel.unit()
            ),
            Self::Flatline { value, packets } => format!(
                "{channel} has read exactly {value} for {packets} packets while it should move: dead sensor or frozen feed; its detectors are off"
            ),
            Self::NoLoad { value, packets } => format!(
                "{channel} has read {value:.2} {} for {packets} packets while the string turns with weight on the bit, where drilling takes thousands of ft·lbf: dead or unscaled sensor; MSE and the torque detectors are off until it reads",
                channel.unit()
            ),
            Self::BehindBit { value, bit } => format!(
                "{channel} read {value:.0} ft with the bit at {bit:.0} ft: a hole is never shallower than its bit, so that value is ignored; check the source's hole-depth column"
            ),
        }
    }
}

/// The range a sensor of this kind can read, in oilfield units; `None` where anything goes.
fn plausible(channel: Channel) -> Option<(f64, f64)> {
    use Channel::*;
    Some(match channel {
        BitDepth | HoleDepth | HoleDepthTvd => (-100.0, 60_000.0),
        BlockPosition => (-50.0, 250.0),
        Rop => (-50.0, 2_000.0),
        Hookload => (-50.0, 3_000.0),
        Wob => (-100.0, 1_000.0),
        Torque => (-20.0, 200.0),
        Rpm => (-10.0, 1_000.0),
        Spp | CasingPressure => (-100.0, 15_000.0),
        Pump1 | Pump2 | Pump3 => (0.0, 400.0),
        PitVolume => (0.0, 10_000.0),
        TripTank => (0.0, 2_000.0),
        PitVolumeChange => (-1_000.0, 1_000.0),
        FlowOutPct => (0.0, 200.0),
        FlowOut | FlowIn => (0.0, 5_000.0),
        MudDensityOut | MudDensityIn => (5.0, 25.0),
        Gas => (0.0, 100.0),
        GasC1 | GasC2 | GasC3 | GasIc4 | GasNc4 | GasIc5 | GasNc5 => (0.0, 1_000_000.0),
        BitDiameter => (2.0, 40.0),
    })
}

/// Whether a channel should be moving in this packet, and after how many identical packets it is
/// called stuck. Channels a rig legitimately holds constant (rpm set-points, pump strokes, depths)
/// are never called stuck.
fn should_move(channel: Channel, pumping: bool, rotating: bool, stuck_after: u64) -> Option<u64> {
    match channel {
        Channel::Torque if rotating => Some(stuck_after),
        Channel::Spp | Channel::FlowOut | Channel::FlowOutPct if pumping => Some(stuck_after),
        Channel::Hookload => Some(stuck_after),
        // Pit sensors are coarse and the pit can rest: only a long flatline while pumping counts.
        Channel::PitVolume if pumping => Some(stuck_after * 10),
        _ => None,
    }
}

const CHANNELS: usize = Channel::ALL.len();

/// Torque below this while drilling reads as no load at all, kft·lbf.
const NO_LOAD_KFTLBF: f64 = 0.5;
/// …with the rotary turning faster than this, rpm…
const NO_LOAD_RPM: f64 = 30.0;
/// …and at least this weight on the bit, klb…
const NO_LOAD_WOB_KLB: f64 = 5.0;
/// …for this many packets in a row (a minute at 1 Hz: never a moment's reading).
const NO_LOAD_PACKETS: u64 = 60;

/// The channels' state and faults.
#[derive(Debug, Clone)]
pub struct SensorCheck {
    stuck_after: u64,
    /// Per channel (by `Channel as usize`): the value repeating and for how many packets.
    runs: [(u64, u64); CHANNELS],
    faults: BTreeMap<Channel, Fault>,
    identical_packets: u64,
    previous: [Option<u64>; CHANNELS],
    /// Packets in a row of torque without load while drilling.
    no_load: u64,
}

impl SensorCheck {
    /// A check that calls a channel stuck after `stuck_after` identical packets while it should move.
    pub fn new(stuck_after: u64) -> Self {
        Self {
            stuck_after: stuck_after.max(2),
            runs: [(0, 0); CHANNELS],
            faults: BTreeMap::new(),
            identical_packets: 0,
            previous: [None; CHANNELS],
            no_load: 0,
        }
    }

    /// Clean `packet` in place: out-of-range values and stuck channels become absent.
    pub fn clean(&mut self, packet: &mut WitsPacket) {
        let pumping = packet.flow_in_gpm.is_some_and(|q| q > 50.0)
            || [packet.pump1_spm, packet.pump2_spm, packet.pump3_spm]
                .iter()
                .flatten()
                .sum::<f64>()
                > 5.0;
        let rotating = packet.rpm.is_some_and(|r| r > 5.0);
        let drilling = packet.rpm.is_some_and(|r| r > NO_LOAD_RPM)
            && packet.wob_klb.is_some_and(|w| w > NO_LOAD_WOB_KLB);
        let mut identical = true;
        for (i, &channel) in Channel::ALL.iter().enumerate() {
            let slot = channel.slot(packet);
            let bits = slot.map(f64::to_bits);
            identical &= bits == self.previous[i];
            self.previous[i] = bits;
            let Some(value) = *slot else {
                self.runs[i] = (0, 0);
                continue;
            };
            if let Some((min, max)) = plausible(channel) {
                if !(min..=max).contains(&value) {
                    *slot = None;
                    self.faults
                        .insert(channel, Fault::OutOfRange { value, min, max });
                    self.runs[i] = (0, 0);
                    continue;
                }
            }
            let run = &mut self.runs[i];
            if run.1 > 0 && run.0 == value.to_bits() {
                run.1 += 1;
            } else {
                *run = (value.to_bits(), 1);
            }
            let packets = run.1;
            match should_move(channel, pumping, rotating, self.stuck_after) {
                Some(limit) if packets >= limit => {
                    *slot = None;
                    self.faults
                        .insert(channel, Fault::Flatline { value, packets });
                }
                _ => {
                    // A torque without load is cleared by its own check, below.
                    let no_load = matches!(self.faults.get(&channel), Some(Fault::NoLoad { .. }));
                    if !self.faults.is_empty() && !no_load {
                        self.faults.remove(&channel);
                    }
                }
            }
            if channel == Channel::Torque {
                self.no_load(slot, drilling);
            }
        }
        self.hole_behind_bit(packet);
        self.identical_packets = if identical {
            self.identical_packets + 1
        } else {
            0
        };
    }

    /// Torque near zero for a minute while drilling is dropped and named, until it reads again.
    fn no_load(&mut self, slot: &mut Option<f64>, drilling: bool) {
        let Some(value) = *slot else {
            return;
        };
        if !drilling {
            // Off bottom or not turning: nothing to judge by, and nothing cleared either.
            return;
        }
        if value.abs() >= NO_LOAD_KFTLBF {
            self.no_load = 0;
            if matches!(
                self.faults.get(&Channel::Torque),
                Some(Fault::NoLoad { .. })
            ) {
                self.faults.remove(&Channel::Torque);
            }
            return;
        }
        self.no_load += 1;
        if self.no_load >= NO_LOAD_PACKETS {
            *slot = None;
            self.faults.insert(
                Channel::Torque,
                Fault::NoLoad {
                    value,
                    packets: self.no_load,
                },
            );
        }
    }

    /// A hole depth more than `HOLE_BEHIND_BIT_FT` shallower than the bit is dropped and named
    /// (real logs zero-fill a depth column they do not carry: Volve F-9 A's GwdTime log).
    fn hole_behind_bit(&mut self, packet: &mut WitsPacket) {
        if let (Some(hole), Some(bit)) = (packet.hole_depth_ft, packet.bit_depth_ft) {
            if hole + HOLE_BEHIND_BIT_FT < bit {
                packet.hole_depth_ft = None;
                self.faults
                    .insert(Channel::HoleDepth, Fault::BehindBit { value: hole, bit });
            }
        }
    }

    /// Every channel at fault now.
    pub fn faults(&self) -> &BTreeMap<Channel, Fault> {
        &self.faults
    }

    /// Packets in a row identical to the one before in every channel (a frozen feed repeats itself).
    pub fn identical_packets(&self) -> u64 {
        self.identical_packets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(spp: f64, flow_in: f64) -> WitsPacket {
        WitsPacket {
            spp_psi: Some(spp),
            flow_in_gpm: Some(flow_in),
            rpm: Some(120.0),
            ..WitsPacket::default()
        }
    }

    #[test]
    fn a_value_in_the_wrong_units_is_dropped_and_named() {
        let mut check = SensorCheck::new(30);
        // 1,200 kg/m³ read as ppg.
        let mut p = WitsPacket {
            mud_density_in_ppg: Some(1_200.0),
            ..packet(3_000.0, 600.0)
        };
        check.clean(&mut p);
        assert_eq!(p.mud_density_in_ppg, None);
        let fault = &check.faults()[&Channel::MudDensityIn];
        assert!(fault.describe(Channel::MudDensityIn).contains("units"));
        assert_eq!(p.spp_psi, Some(3_000.0));
    }

    #[test]
    fn torque_without_load_while_drilling_is_a_dead_sensor_but_not_after_a_twist_off() {
        let mut check = SensorCheck::new(30);
        let drilling = |torque: f64, wob: f64| WitsPacket {
            torque_kftlbf: Some(torque),
            wob_klb: Some(wob),
            ..packet(3_000.0, 600.0)
        };
        // Volve's top hole: 0.01-0.2 kN·m, moving (never a flatline), rotating with weight on bit.
        for i in 0..59 {
            let mut p = drilling(0.05 + 0.001 * i as f64, 20.0);
            check.clean(&mut p);
            assert!(p.torque_kftlbf.is_some(), "packet {i}: a minute first");
        }
        let mut p = drilling(0.12, 20.0);
        check.clean(&mut p);
        assert_eq!(p.torque_kftlbf, None);
        let fault = &check.faults()[&Channel::Torque];
        assert!(
            matches!(fault, Fault::NoLoad { packets: 60, .. }),
            "{fault:?}"
        );
        assert!(fault.describe(Channel::Torque).contains("dead or unscaled"));
        // Off bottom (a connection) the fault stays; a real reading while drilling clears it.
        let mut p = drilling(0.1, 0.0);
        check.clean(&mut p);
        assert!(check.faults().contains_key(&Channel::Torque));
        let mut p = drilling(9.5, 22.0);
        check.clean(&mut p);
        assert_eq!(p.torque_kftlbf, Some(9.5));
        assert!(!check.faults().contains_key(&Channel::Torque));
        // A parted string: torque collapses, but the bit carries no weight: not a sensor fault.
        let mut check = SensorCheck::new(30);
        for i in 0..300 {
            let mut p = drilling(0.2 + 0.001 * i as f64, 0.0);
            check.clean(&mut p);
            assert!(p.torque_kftlbf.is_some());
        }
        // (The test's constant SPP is a flatline of its own; the torque is what is judged.)
        assert!(
            !check.faults().contains_key(&Channel::Torque),
            "{:?}",
            check.faults()
        );
    }

    #[test]
    fn a_stuck_pressure_while_pumping_is_taken_out_and_returns_when_it_moves() {
        let mut check = SensorCheck::new(30);
        for i in 0..29 {
            let mut p = packet(0.0, 600.0 + i as f64);
            check.clean(&mut p);
            assert_eq!(p.spp_psi, Some(0.0), "packet {i}");
        }
        let mut p = packet(0.0, 650.0);
        check.clean(&mut p);
        assert_eq!(p.spp_psi, None);
        assert!(matches!(
            check.faults()[&Channel::Spp],
            Fault::Flatline { packets: 30, .. }
        ));
        let mut p = packet(2_950.0, 600.0);
        check.clean(&mut p);
        assert_eq!(p.spp_psi, Some(2_950.0));
        assert!(!check.faults().contains_key(&Channel::Spp));
    }

    #[test]
    fn a_constant_pressure_with_pumps_off_is_normal_and_identical_packets_are_counted() {
        let mut check = SensorCheck::new(30);
        for _ in 0..100 {
            let mut p = packet(0.0, 0.0);
            p.rpm = Some(0.0);
            p.hookload_klb = None;
            check.clean(&mut p);
            assert_eq!(p.spp_psi, Some(0.0));
        }
        assert!(check.faults().is_empty(), "{:?}", check.faults());
        assert_eq!(check.identical_packets(), 99);
    }

    /// Real data: Volve F-9 A's GwdTime log writes hole depth 0 m in 5,607 of its 8,084 rows
    /// with the bit at up to 359 m. Such a hole depth is dropped and named; a bit a few feet
    /// past a late hole depth is kept.
    #[test]
    fn a_hole_shallower_than_its_bit_is_dropped_and_named() {
        let mut check = SensorCheck::new(30);
        let mut p = WitsPacket {
            hole_depth_ft: Some(0.0),
            bit_depth_ft: Some(1_100.0),
            ..packet(0.0, 0.0)
        };
        check.clean(&mut p);
        assert_eq!(p.hole_depth_ft, None);
        let why = check.faults()[&Channel::HoleDepth].describe(Channel::HoleDepth);
        assert!(why.contains("never shallower"), "{why}");
        let mut p = WitsPacket {
            hole_depth_ft: Some(3_956.0),
            bit_depth_ft: Some(3_960.0),
            ..packet(0.0, 0.0)
        };
        check.clean(&mut p);
        assert_eq!(p.hole_depth_ft, Some(3_956.0));
        assert!(!check.faults().contains_key(&Channel::HoleDepth));
    }
}
