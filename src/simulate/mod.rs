//! A physically plausible 1 Hz drilling stream for demos and scenario tests (`sairen simulate`).
//!
//! The model: a rotary rig drilling 8½-in hole from 10,000 ft with 5-in pipe and 10 ppg mud. ROP
//! follows WOB and RPM through the formation's drillability; torque follows WOB and depth;
//! standpipe pressure follows flow (Δp ∝ Q^1.86) plus the bit's share; hookload is the buoyed
//! string less WOB. Every 93-ft stand ends in a connection: pick up, pumps off (the flowline
//! drains back into the pits), slips, pumps on (the flowline fills again), ream down, weight on
//! bit. The mud engineer's additions keep the active pit level while drilling. Sensors carry
//! Gaussian noise. A scenario changes the physics from its onset on; the seed makes a run repeatable.

pub mod scenario;
pub mod serve;

use crate::drilling::WitsPacket;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
pub use scenario::Scenario;

const STAND_FT: f64 = 93.0;
const START_DEPTH_FT: f64 = 10_000.0;
const WOB_KLB: f64 = 25.0;
const RPM: f64 = 120.0;
const SPM_PER_PUMP: f64 = 100.0;
const GAL_PER_STROKE: f64 = 3.0;
const FLOW_GPM: f64 = 2.0 * SPM_PER_PUMP * GAL_PER_STROKE;
const ROP_FT_H: f64 = 120.0;
const BLOCK_KLB: f64 = 40.0;
/// 19.5 lb/ft pipe in 10 ppg mud (buoyancy factor 0.847).
const STRING_KLB_PER_FT: f64 = 0.0165;
const PIT_BBL: f64 = 520.0;
const FLOWBACK_BBL: f64 = 6.0;
const FLOWLINE_TAU_SECS: f64 = 15.0;
const CONNECTION_SECS: u64 = 250;
const MUD_PPG: f64 = 10.0;
/// A trip starts this long into the run (five minutes before a trip scenario's onset), s.
const TRIP_START_SECS: u64 = 1_500;
/// 5-in 19.5 lb/ft pipe pulled open-ended: (5² − 4.276²) / 1029.4, bbl/ft.
const DISPLACEMENT_BBL_FT: f64 = 0.006_52;
const TRIP_TANK_BBL: f64 = 40.0;
const GAL_PER_BBL: f64 = 42.0;
/// A slow kick's influx: 0.3 bbl/min.
const SLOW_INFLUX_GPM: f64 = 0.3 * GAL_PER_BBL;

/// What the crew is doing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Activity {
    /// On bottom, making hole; `drilled` feet of the current stand so far.
    Drilling { drilled: f64 },
    /// `secs` into a connection.
    Connection { secs: u64 },
    /// `secs` into pulling out of hole.
    Trip { secs: u64 },
}

/// The simulator: an endless iterator of packets, one per simulated second.
pub struct Simulator {
    scenario: Scenario,
    rng: StdRng,
    start: DateTime<Utc>,
    t: u64,
    activity: Activity,
    hole_ft: f64,
    bit_ft: f64,
    pit_bbl: f64,
    flowline_bbl: f64,
    flow_in: f64,
    rpm: f64,
    wob: f64,
    onset: Option<u64>,
    /// This connection's flow-back volume, bbl, and the flowline's time constant, s.
    flowback_bbl: f64,
    flowline_tau_secs: f64,
    /// A connection kick's influx, gpm (drawn from the seed).
    connection_influx_gpm: f64,
    mud_ppg: f64,
    influx_bbl: f64,
    trip_tank_bbl: f64,
    /// A trip scenario's influx into (or loss from) the well, bbl/min (drawn from the seed).
    trip_rate_bbl_min: f64,
    /// The driller's parameter sweep, if the run is one.
    sweep: Option<Sweep>,
}

/// A long drill-off test: the driller holds each WOB × RPM step in turn for `step_secs`. Up to
/// `founder_klb` ROP rises in proportion to WOB; past it the cutters bury and each klb more
/// costs half what it gained before — so the formation drills fastest at the founder point and
/// the highest RPM, which the insights must find.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The WOB steps, klb.
    pub wob_steps_klb: Vec<f64>,
    /// The RPM steps.
    pub rpm_steps: Vec<f64>,
    /// How long each step is held, s of drilling.
    pub step_secs: u64,
    /// Where more weight stops drilling faster, klb.
    pub founder_klb: f64,
}

impl Sweep {
    /// Seven weights 14–38 klb at 110 and 150 rpm, five minutes each; the founder at 30 klb.
    pub fn standard() -> Self {
        Self {
            wob_steps_klb: vec![14.0, 18.0, 22.0, 26.0, 30.0, 34.0, 38.0],
            rpm_steps: vec![110.0, 150.0],
            step_secs: 300,
            founder_klb: 30.0,
        }
    }

    /// The WOB and RPM held `t` seconds in.
    fn at(&self, t: u64) -> (f64, f64) {
        let (w, r) = (self.wob_steps_klb.len().max(1), self.rpm_steps.len().max(1));
        let i = (t / self.step_secs.max(1)) as usize % (w * r);
        (
            self.wob_steps_klb.get(i % w).copied().unwrap_or(WOB_KLB),
            self.rpm_steps.get(i / w).copied().unwrap_or(RPM),
        )
    }

    /// The step that drills fastest, as the model says: (WOB klb, RPM).
    pub fn fastest(&self) -> (f64, f64) {
        let wob = self
            .wob_steps_klb
            .iter()
            .copied()
            .max_by(|a, b| self.wob_effect(*a).total_cmp(&self.wob_effect(*b)))
            .unwrap_or(WOB_KLB);
        let rpm = self.rpm_steps.iter().copied().fold(RPM, f64::max);
        (wob, rpm)
    }

    /// ROP per the usual rig's at 25 klb, at weight `wob`.
    fn wob_effect(&self, wob: f64) -> f64 {
        let below = wob.min(self.founder_klb);
        let above = (wob - self.founder_klb).max(0.0);
        ((below - 0.5 * above) / WOB_KLB).max(0.0)
    }
}

/// The start of every simulated run (fixed, so a seed fully determines a run).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The start of a run of `seconds` simulated seconds that ends about now: a live demo's packets
/// and events carry recent times (the hub refuses events from the future or over a week old),
/// whatever the replay speed.
pub fn start_ending_now(seconds: u64) -> DateTime<Utc> {
    let now = Utc::now();
    let now = now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()));
    now - Duration::seconds(seconds.min(365 * 86_400) as i64)
}

impl Simulator {
    /// A run of `scenario` from [`start_time`]; the same seed gives the same packets.
    pub fn new(scenario: Scenario, seed: u64) -> Self {
        Self::starting_at(scenario, seed, start_time())
    }

    /// The same run stamped from `start`.
    pub fn starting_at(scenario: Scenario, seed: u64, start: DateTime<Utc>) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let connection_influx_gpm = if scenario == Scenario::ConnectionKick {
            GAL_PER_BBL * rng.random_range(0.5..1.5)
        } else {
            0.0
        };
        let trip_rate_bbl_min = if matches!(scenario, Scenario::SwabKick | Scenario::TripLosses) {
            rng.random_range(0.4..1.0)
        } else {
            0.0
        };
        // Slow returns: a longer, fuller flowline (by seed) than the usual 6 bbl and 15 s.
        let (flowback_bbl, flowline_tau_secs) = if scenario == Scenario::LaggedReturns {
            (rng.random_range(7.0..11.0), rng.random_range(30.0..45.0))
        } else {
            (FLOWBACK_BBL, FLOWLINE_TAU_SECS)
        };
        Self {
            scenario,
            rng,
            start,
            t: 0,
            // Part-way into a stand, so the first connection comes after ~17 minutes.
            activity: Activity::Drilling { drilled: 60.0 },
            hole_ft: START_DEPTH_FT,
            bit_ft: START_DEPTH_FT,
            pit_bbl: PIT_BBL,
            flowline_bbl: flowback_bbl,
            flow_in: FLOW_GPM,
            rpm: RPM,
            wob: WOB_KLB,
            onset: scenario.onset_secs(),
            flowback_bbl,
            flowline_tau_secs,
            connection_influx_gpm,
            mud_ppg: MUD_PPG,
            influx_bbl: 0.0,
            trip_tank_bbl: TRIP_TANK_BBL,
            trip_rate_bbl_min,
            sweep: None,
        }
    }

    /// The same run drilled as a parameter sweep.
    pub fn with_sweep(mut self, sweep: Sweep) -> Self {
        self.sweep = Some(sweep);
        self
    }

    /// Formation fluid that has entered the well so far, bbl: what a kick detector is judged by.
    pub fn influx_bbl(&self) -> f64 {
        self.influx_bbl
    }

    /// The same run with its trouble (or the crew's change) starting `secs` in instead.
    pub fn with_onset(mut self, secs: u64) -> Self {
        self.onset = Some(secs);
        self
    }

    /// Seconds since the scenario's onset, when it has begun.
    fn since_onset(&self) -> Option<f64> {
        let onset = self.onset?;
        (self.t >= onset).then(|| (self.t - onset) as f64)
    }

    fn noise(&mut self, sigma: f64) -> f64 {
        // Box–Muller: one standard normal from two uniforms.
        let u1: f64 = self.rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = self.rng.random();
        sigma * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// How easily the formation drills, 1.0 on average, varying with depth.
    fn drillability(&self) -> f64 {
        1.0 + 0.12 * (self.hole_ft / 180.0).sin()
    }

    fn step(&mut self) -> WitsPacket {
        let s = self.since_onset();
        let scenario = if s.is_some() {
            self.scenario
        } else {
            Scenario::Normal
        };
        if self.t == TRIP_START_SECS
            && matches!(self.scenario, Scenario::SwabKick | Scenario::TripLosses)
        {
            self.activity = Activity::Trip { secs: 0 };
        }
        let motion = match self.activity {
            Activity::Drilling { drilled } => self.drill(scenario, s, drilled),
            Activity::Connection { secs } => self.connect(secs),
            Activity::Trip { secs } => self.trip(scenario, s, secs),
        };
        let mut flow_out = self.flowline();
        let trouble = self.trouble(scenario, s, &mut flow_out);
        let packet = self.packet(scenario, s, &motion, &trouble, flow_out);
        self.t += 1;
        packet
    }

    /// One second on bottom: weight and speed ease to their targets, the bit advances, and a
    /// stand drilled down calls a connection (not inside a scenario's detection window).
    fn drill(&mut self, scenario: Scenario, s: Option<f64>, drilled: f64) -> Motion {
        let (mut wob_target, mut rpm_target) = match &self.sweep {
            Some(sweep) => sweep.at(self.t),
            None => (WOB_KLB, RPM),
        };
        let mut k = self.drillability();
        match scenario {
            Scenario::Founder => wob_target *= 1.0 + 0.5 * ramp(s, 600.0),
            Scenario::PressureTransition => k *= 1.0 + ramp(s, 900.0),
            Scenario::Kick => k *= 1.3,
            Scenario::StuckPipe => rpm_target *= 1.0 - 0.85 * ramp(s, 60.0),
            Scenario::WobCut => wob_target = 12.0,
            // Heavier mud holds the chips down: about a quarter less ROP per ppg of overbalance.
            Scenario::WeightUp => k *= 1.0 - 0.25 * (self.mud_ppg - MUD_PPG),
            _ => {}
        }
        if scenario == Scenario::WeightUp {
            self.mud_ppg = MUD_PPG + ramp(s, 1_200.0);
        }
        // Back on bottom after a connection the driller eases weight on over ~20 s.
        self.wob += (wob_target - self.wob) * 0.15;
        self.rpm += (rpm_target - self.rpm) * 0.3;
        self.flow_in = FLOW_GPM * self.pump_factor(scenario);
        let mut wob_effect = match &self.sweep {
            Some(sweep) => sweep.wob_effect(self.wob),
            None => (self.wob / WOB_KLB).max(0.0),
        };
        if scenario == Scenario::Founder {
            // Past the founder point extra weight buries the cutters.
            wob_effect = wob_effect.min(1.0) * (1.0 - 0.3 * ramp(s, 600.0));
        }
        let mut rop = ROP_FT_H * k * wob_effect * (self.rpm / RPM).max(0.0).powf(0.6);
        match scenario {
            Scenario::TwistOff => rop = 0.0,
            Scenario::StuckPipe => rop *= 1.0 - ramp(s, 20.0),
            Scenario::PackOff => rop *= 1.0 - 0.3 * ramp(s, 400.0),
            _ => {}
        }
        let advance = rop / 3_600.0;
        self.hole_ft += advance;
        self.bit_ft = self.hole_ft;
        let drilled = drilled + advance;
        // The crew keeps drilling through trouble rather than stopping for a connection
        // inside a scenario's detection window.
        let busy =
            s.is_some_and(|s| s <= self.scenario.detect_within_secs().unwrap_or(0) as f64 + 300.0);
        // A connection kick's connection is called so that the pumps stop at its onset.
        let called = self.scenario == Scenario::ConnectionKick
            && self.onset.is_some_and(|o| self.t + 20 == o);
        self.activity = if (drilled >= STAND_FT && !busy) || called {
            Activity::Connection { secs: 0 }
        } else {
            Activity::Drilling { drilled }
        };
        Motion {
            rop,
            off_bottom: 0.0,
            in_slips: false,
        }
    }

    /// One second of a connection: 0–20 s pick up 30 ft; 20–40 pumps down; slips; 160–190 pumps
    /// up; ream down.
    fn connect(&mut self, secs: u64) -> Motion {
        let c = secs as f64;
        self.wob *= 0.5;
        let off_bottom = match secs {
            0..=19 => 1.5 * (c + 1.0),
            20..=189 => 30.0,
            190..=229 => 30.0 - 0.75 * (c - 189.0),
            _ => 0.0,
        };
        self.rpm = match secs {
            0..=9 => RPM * (1.0 - (c + 1.0) / 10.0),
            10..=189 => 0.0,
            _ => RPM * ((c - 189.0) / 10.0).min(1.0),
        };
        let pumps = match secs {
            0..=19 => 1.0,
            20..=39 => 1.0 - (c - 19.0) / 20.0,
            40..=159 => 0.0,
            160..=179 => (c - 159.0) / 20.0,
            _ => 1.0,
        };
        let scenario = if self.since_onset().is_some() {
            self.scenario
        } else {
            Scenario::Normal
        };
        self.flow_in = FLOW_GPM * pumps * self.pump_factor(scenario);
        self.bit_ft = self.hole_ft - off_bottom.max(0.0);
        self.activity = if secs + 1 >= CONNECTION_SECS {
            Activity::Drilling { drilled: 0.0 }
        } else {
            Activity::Connection { secs: secs + 1 }
        };
        Motion {
            rop: 0.0,
            off_bottom,
            in_slips: (45..150).contains(&secs),
        }
    }

    /// One second of pulling out of hole, pumps off: 90 s pulling a 93-ft stand, 60 s in slips
    /// breaking it out. The hole is kept full from the trip tank (it falls by the steel pulled),
    /// which is refilled from the active system at 10 bbl/min when it runs low.
    fn trip(&mut self, scenario: Scenario, s: Option<f64>, secs: u64) -> Motion {
        self.wob = 0.0;
        self.rpm = 0.0;
        self.flow_in = 0.0;
        let pulling = secs % 150 < 90;
        if pulling {
            let step = STAND_FT / 90.0;
            self.bit_ft -= step;
            self.trip_tank_bbl -= step * DISPLACEMENT_BBL_FT;
        }
        // Refilled in the slips when it has run down: 10 bbl/min for the minute.
        if secs % 150 >= 90 && self.trip_tank_bbl + (secs % 150 - 90) as f64 / 6.0 < 20.0 {
            self.trip_tank_bbl += 10.0 / 60.0;
            self.pit_bbl -= 10.0 / 60.0;
        }
        if s.is_some() {
            let rate = self.trip_rate_bbl_min / 60.0;
            match scenario {
                Scenario::SwabKick => {
                    self.trip_tank_bbl += rate;
                    self.influx_bbl += rate;
                }
                Scenario::TripLosses => self.trip_tank_bbl -= rate,
                _ => {}
            }
        }
        self.activity = Activity::Trip { secs: secs + 1 };
        Motion {
            rop: 0.0,
            off_bottom: self.hole_ft - self.bit_ft,
            in_slips: !pulling,
        }
    }

    /// The pumps' rate against the usual 600 gpm: 700 gpm after a pump step.
    fn pump_factor(&self, scenario: Scenario) -> f64 {
        if scenario == Scenario::PumpStep {
            700.0 / FLOW_GPM
        } else {
            1.0
        }
    }

    /// The flowline holds ~6 bbl at 600 gpm (more at a higher rate); it drains to the pits when
    /// the pumps stop and refills from them when they start, with a ~15 s time constant (slower
    /// and larger with lagged returns). Flow out, gpm.
    fn flowline(&mut self) -> f64 {
        let target_line = self.flowback_bbl * self.flow_in / FLOW_GPM;
        let moved = (self.flowline_bbl - target_line) / self.flowline_tau_secs;
        self.flowline_bbl -= moved;
        self.pit_bbl += moved;
        self.flow_in + moved * GAL_PER_BBL * 60.0
    }

    /// What the scenario's trouble does to the well this second (flow out and the pit changed
    /// in place).
    fn trouble(&mut self, scenario: Scenario, s: Option<f64>, flow_out: &mut f64) -> Trouble {
        let mut t = Trouble {
            spp_factor: 1.0,
            torque_factor: 1.0,
            hook_delta: 0.0,
            gas: 0.5,
        };
        match scenario {
            Scenario::SlowKick | Scenario::ConnectionKick => {
                let influx = if scenario == Scenario::SlowKick {
                    SLOW_INFLUX_GPM
                } else {
                    self.connection_influx_gpm
                };
                *flow_out += influx;
                self.pit_bbl += influx / GAL_PER_BBL / 60.0;
                self.influx_bbl += influx / GAL_PER_BBL / 60.0;
            }
            Scenario::Kick => {
                let influx = s.map_or(0.0, |s| (1.0 * s).min(150.0));
                *flow_out += influx;
                self.pit_bbl += influx / 42.0 / 60.0;
                self.influx_bbl += influx / 42.0 / 60.0;
                t.spp_factor -= influx / FLOW_GPM * 0.1;
                t.gas += 6.0 * ramp(s, 240.0);
            }
            Scenario::LostCirculation => {
                let loss = s.map_or(0.0, |s| (1.5 * s).min(0.3 * FLOW_GPM));
                *flow_out -= loss;
                self.pit_bbl -= loss / 42.0 / 60.0;
                t.spp_factor -= loss / FLOW_GPM * 0.15;
            }
            Scenario::PackOff => {
                t.spp_factor += 0.25 * ramp(s, 400.0);
                t.torque_factor += 0.3 * ramp(s, 400.0) * (1.0 + 0.3 * self.rng.random::<f64>());
                *flow_out -= 0.05 * FLOW_GPM * ramp(s, 400.0);
            }
            Scenario::Washout => t.spp_factor -= 0.3 * ramp(s, 1_200.0),
            Scenario::TwistOff => {
                t.spp_factor -= 0.15;
                t.torque_factor = 0.35;
                // The BHA below the break: ~600 ft of collars, 46 klb buoyed.
                t.hook_delta = -46.0;
                self.wob = 0.0;
            }
            Scenario::StuckPipe => t.torque_factor += 0.8 * ramp(s, 40.0),
            Scenario::PressureTransition => t.gas += 2.5 * ramp(s, 900.0),
            _ => {}
        }
        t
    }

    /// The sensors' readings of this second, with their noise.
    fn packet(
        &mut self,
        scenario: Scenario,
        s: Option<f64>,
        motion: &Motion,
        trouble: &Trouble,
        flow_out: f64,
    ) -> WitsPacket {
        let rotating = self.rpm > 5.0;
        let wob = if motion.off_bottom > 0.5 {
            0.0
        } else {
            self.wob
        };
        let torque = if rotating {
            (2.0 + self.hole_ft / 5_000.0 + 0.25 * wob) * trouble.torque_factor
        } else {
            0.0
        };
        let q = self.flow_in / FLOW_GPM;
        // Bit nozzles lose pressure as ρ, pipe friction as ρ^0.75: together about ρ^0.9.
        let density = (self.mud_ppg / MUD_PPG).powf(0.9);
        let spp = if self.flow_in > 0.0 {
            (2_600.0 + 0.02 * self.hole_ft + 8.0 * wob)
                * q.powf(1.86)
                * density
                * trouble.spp_factor
        } else {
            0.0
        };
        let string = STRING_KLB_PER_FT * self.bit_ft;
        let hookload = if motion.in_slips {
            BLOCK_KLB
        } else {
            BLOCK_KLB + string - wob + trouble.hook_delta
        };
        let spm = SPM_PER_PUMP * self.flow_in / FLOW_GPM;
        WitsPacket {
            timestamp: self.start + Duration::seconds(self.t as i64),
            bit_depth_ft: Some(self.bit_ft),
            hole_depth_ft: Some(self.hole_ft),
            hole_depth_tvd_ft: Some(self.hole_ft),
            block_position_ft: Some(60.0 + motion.off_bottom),
            rop_ft_h: Some((motion.rop * (1.0 + self.noise(0.05))).max(0.0)),
            hookload_klb: Some(hookload + self.noise(1.0)),
            wob_klb: Some((wob + self.noise(0.4)).max(0.0)),
            torque_kftlbf: Some(if rotating {
                (torque * (1.0 + self.noise(0.03))).max(0.0)
            } else {
                0.0
            }),
            rpm: Some(if rotating {
                self.rpm + self.noise(1.0)
            } else {
                0.0
            }),
            spp_psi: Some(if spp > 0.0 {
                spp + self.noise(12.0)
            } else {
                0.0
            }),
            casing_pressure_psi: Some(0.0),
            pump1_spm: Some(spm),
            pump2_spm: Some(spm),
            pump3_spm: Some(0.0),
            pit_volume_bbl: Some(self.pit_bbl + self.noise(0.02)),
            flow_out_gpm: Some((flow_out * (1.0 + self.noise(0.015))).max(0.0)),
            flow_in_gpm: Some(self.flow_in),
            mud_density_in_ppg: Some(self.mud_ppg),
            mud_density_out_ppg: Some(
                self.mud_ppg
                    - if scenario == Scenario::Kick {
                        0.2 * ramp(s, 240.0)
                    } else {
                        0.0
                    },
            ),
            gas_pct: Some((trouble.gas + self.noise(0.05)).max(0.0)),
            // Read to the hundredth of a barrel; isolated from the hole while drilling.
            trip_tank_bbl: Some((self.trip_tank_bbl * 100.0).round() / 100.0),
            ..WitsPacket::default()
        }
    }
}

/// How far a trouble that takes `secs` to develop has come, 0 to 1 (0 before the onset).
fn ramp(since_onset: Option<f64>, secs: f64) -> f64 {
    since_onset.map_or(0.0, |s| (s / secs).min(1.0))
}

/// How the rig moved this second.
struct Motion {
    rop: f64,
    off_bottom: f64,
    in_slips: bool,
}

/// What the trouble did this second.
struct Trouble {
    spp_factor: f64,
    torque_factor: f64,
    hook_delta: f64,
    gas: f64,
}

impl Iterator for Simulator {
    type Item = WitsPacket;

    fn next(&mut self) -> Option<WitsPacket> {
        Some(self.step())
    }
}
