//! The simulator's scenarios: what goes wrong, when, and how soon SAIREN must say so.

use crate::drilling::AnomalyCategory;
use std::fmt;

/// A drilling run, normal or with one kind of trouble starting at [`Scenario::onset_secs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Drilling stands with connections, nothing wrong.
    Normal,
    /// Formation fluid enters the well: flow out and pits rise, gas follows.
    Kick,
    /// Mud goes into the formation: returns and pits fall.
    LostCirculation,
    /// Cuttings pack around the string: standpipe pressure and torque climb.
    PackOff,
    /// A hole in the string: standpipe pressure falls slowly at the same pump rate.
    Washout,
    /// The string parts: torque collapses, pressure and hookload fall.
    TwistOff,
    /// The string sticks: torque climbs, the bit stops, the rotary stalls.
    StuckPipe,
    /// More weight no longer drills faster: MSE climbs with WOB.
    Founder,
    /// Entering overpressure: the formation drills faster, the dc-exponent falls.
    PressureTransition,
    /// A slow influx while drilling: the pit gains 0.3 bbl/min, flow out is up about 2 %.
    SlowKick,
    /// An influx that starts as the pumps stop for a connection, after four connections have
    /// taught the flow-back fingerprint: 0.5–1.5 bbl/min (by seed), and on after the pumps start.
    ConnectionKick,
    /// Normal drilling whose returns come back slowly after each connection: flowline refill time
    /// constant 30–45 s and 7–11 bbl of flow-back (by seed).
    LaggedReturns,
    /// Normal drilling; the driller raises the pump rate from 600 to 700 gpm.
    PumpStep,
    /// Normal drilling; the mud is weighted up from 10 to 11 ppg over 20 minutes.
    WeightUp,
    /// Normal drilling; the driller cuts WOB from 25 to 12 klb.
    WobCut,
    /// Pulling out of hole from 1,500 s; from the onset the well gives 0.4–1.0 bbl/min (by seed)
    /// into the trip tank: a swabbed influx.
    SwabKick,
    /// Pulling out of hole from 1,500 s; from the onset the hole takes 0.4–1.0 bbl/min (by seed)
    /// more than the string's displacement.
    TripLosses,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 17] = [
        Self::Normal,
        Self::Kick,
        Self::LostCirculation,
        Self::PackOff,
        Self::Washout,
        Self::TwistOff,
        Self::StuckPipe,
        Self::Founder,
        Self::PressureTransition,
        Self::SlowKick,
        Self::ConnectionKick,
        Self::LaggedReturns,
        Self::PumpStep,
        Self::WeightUp,
        Self::WobCut,
        Self::SwabKick,
        Self::TripLosses,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Kick => "kick",
            Self::LostCirculation => "lost_circulation",
            Self::PackOff => "pack_off",
            Self::Washout => "washout",
            Self::TwistOff => "twist_off",
            Self::StuckPipe => "stuck_pipe",
            Self::Founder => "founder",
            Self::PressureTransition => "pressure_transition",
            Self::SlowKick => "slow_kick",
            Self::ConnectionKick => "connection_kick",
            Self::LaggedReturns => "lagged_returns",
            Self::PumpStep => "pump_step",
            Self::WeightUp => "weight_up",
            Self::WobCut => "wob_cut",
            Self::SwabKick => "swab_kick",
            Self::TripLosses => "trip_losses",
        }
    }

    /// The scenario of a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The category SAIREN must raise.
    pub fn category(self) -> Option<AnomalyCategory> {
        use AnomalyCategory as C;
        Some(match self {
            Self::Normal | Self::LaggedReturns | Self::PumpStep | Self::WeightUp | Self::WobCut => {
                return None
            }
            Self::Kick | Self::SlowKick | Self::ConnectionKick | Self::SwabKick => C::Kick,
            Self::LostCirculation | Self::TripLosses => C::LostCirculation,
            Self::PackOff => C::PackOff,
            Self::Washout => C::Washout,
            Self::TwistOff => C::TwistOff,
            Self::StuckPipe => C::StuckPipe,
            Self::Founder => C::Founder,
            Self::PressureTransition => C::PressureTransition,
        })
    }

    /// Seconds from the start of the run to the trouble (or the crew's change): after the
    /// baseline has locked and a connection has passed, mid-stand. A connection kick comes after
    /// four connections; the simulator calls that connection at its onset.
    pub fn onset_secs(self) -> Option<u64> {
        match self {
            Self::Normal | Self::LaggedReturns => None,
            Self::ConnectionKick => Some(14_400),
            _ => Some(1_800),
        }
    }

    /// How soon after onset SAIREN must raise the category at Elevated or above. Sudden trouble
    /// must be caught in seconds; slow trends need minutes of data to be told from noise.
    pub fn detect_within_secs(self) -> Option<u64> {
        Some(match self {
            Self::Normal | Self::LaggedReturns | Self::PumpStep | Self::WeightUp | Self::WobCut => {
                return None
            }
            Self::Kick => 90,
            // Elevated before 5 bbl at 0.3 bbl/min.
            Self::SlowKick => 1_000,
            Self::ConnectionKick => 240,
            Self::SwabKick | Self::TripLosses => 600,
            Self::LostCirculation => 120,
            Self::PackOff => 300,
            Self::Washout => 600,
            Self::TwistOff => 30,
            Self::StuckPipe => 120,
            Self::Founder => 600,
            Self::PressureTransition => 900,
        })
    }

    /// A sensible run length: past the detection window, three hours after the crew's change,
    /// or an hour of normal drilling (twelve of slow returns: a dozen connections).
    pub fn default_seconds(self) -> u64 {
        match (self.onset_secs(), self.detect_within_secs()) {
            (Some(onset), Some(window)) => onset + window + 300,
            (Some(onset), None) => onset + 3 * 3_600,
            _ if self == Self::LaggedReturns => 12 * 3_600,
            _ => 3_600,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
