//! Well control in every rig state: kicks and losses judged on what each sensor is worth.
//!
//! - **Pumps on, steady** (drilling, reaming, circulating): the flow balance (a 30-s median, from a
//!   meter that follows the pumps) and the active pit against its reference (ten-second medians,
//!   transfers taken out, a Theil–Sen trend over minutes). Either alone raises; held for
//!   `kick_sustained_secs` it reaches HIGH; both together are corroborated.
//! - **Connections**: the pit against its level before the pumps stopped, compared with this rig's
//!   flow-back fingerprint ([`flowback`]); before it has one, a flow-back that does not decay is a
//!   flowing well. After the pumps start, the refill brings the pit back to where it was: only a
//!   pit below its level before the connection is a loss.
//! - **Pumps off** (trips, connections, flow checks): the trip tank against the string's
//!   displacement ([`trip`]); the active pit is not the well's measure on a trip.
//!
//! The gain is counted from a reference that follows the pit only while nothing is suspected, and
//! is kept through connections, so a kick that starts at a connection keeps its volume.

pub mod flowback;
pub mod meter;
pub mod pit;
pub mod robust;
pub mod trip;

use super::signature::{Indicator, Indicators, Reading};
use super::thresholds::Thresholds;
use crate::drilling::{RigState, WitsPacket};
use chrono::{DateTime, Utc};
use flowback::{Fingerprint, Part};
use meter::{MeterCheck, Trust};
use pit::{FlowWitness, PitSeries};
use std::collections::VecDeque;

/// Seconds the pumps must hold their rate before the flow balance is read.
const FLOW_SETTLE_SECS: f64 = 60.0;
/// The flow balance is the median of this many five-second means: 30 s.
const FLOW_BUCKETS: usize = 6;
/// Seconds per flow-balance mean.
const FLOW_BUCKET_SECS: i64 = 5;
/// The pit trend is read over this window, s.
const TREND_SECS: i64 = 180;
/// Least share of pairwise slopes agreeing before a pit trend counts.
const TREND_AGREEMENT: f64 = 0.7;
/// A pit moving slower than this is flat, bbl/min.
const FLAT_BBL_MIN: f64 = 0.1;
/// A pit flat this long at a new level is taken as the new level, s.
const NEW_LEVEL_SECS: i64 = 600;
/// Pumps off longer than this is no connection: the well is lined up to the trip tank, s.
const CONNECTION_MAX_SECS: f64 = 900.0;
/// After the pumps start, the refill is over by this, s.
const REFILL_MAX_SECS: f64 = 300.0;
/// Before the flow-back is judged without a fingerprint (two minutes to compare), s.
const FLOW_CHECK_AFTER_SECS: f64 = 120.0;
/// A flow-back decays; one whose last minute brought at least this share of the minute before
/// is not decaying.
const NOT_DECAYING: f64 = 0.8;
/// Ratio given to an indicator held beyond its threshold for `kick_sustained_secs`: HIGH.
const SUSTAINED_RATIO: f64 = 2.0;
/// Ratio given when flow and pit agree and both are sustained: CRITICAL.
const BOTH_SUSTAINED_RATIO: f64 = 3.0;

/// The well-control phase of the connection cycle.
#[derive(Debug, Clone)]
enum Cycle {
    /// Pumps on, no connection under way.
    Circulating,
    /// Pumps off since `since`; `pre` was the pit before they stopped.
    PumpsOff {
        since: DateTime<Utc>,
        pre: f64,
        curve: flowback::Curve,
        clean: bool,
    },
    /// Pumps on again since `since` after a pumps-off spell.
    Refill {
        since: DateTime<Utc>,
        pre: f64,
        curve: flowback::Curve,
        clean: bool,
    },
    /// Off bottom with the pumps off (a trip) or no pump data: the active pit says nothing.
    Away,
}

/// What well control read in one packet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WellView {
    /// Kick indicators, where something could be read.
    pub kick: Option<Reading>,
    /// Loss indicators, where something could be read.
    pub losses: Option<Reading>,
    /// The pit against what was expected of it (positive = gained), bbl.
    pub pit_gain_bbl: Option<f64>,
    /// The pit's robust trend, bbl/min.
    pub pit_rate_bbl_min: Option<f64>,
    /// Whether this packet can say a kick or loss has gone: only steady circulation can (a
    /// connection or a trip judges its own flow-back or displacement, not an influx already in
    /// the well, which stays in it with the pumps off).
    pub can_clear: bool,
}

/// Indicator slots that can be sustained.
#[derive(Debug, Clone, Copy)]
enum Slot {
    KickFlow,
    KickPit,
    LossFlow,
    LossPit,
    KickTrip,
    LossTrip,
}

/// The well-control monitor.
#[derive(Debug, Clone)]
pub struct WellControl {
    pit: PitSeries,
    trend: Option<robust::Trend>,
    meter: MeterCheck,
    flow: FlowMedian,
    reference: Option<f64>,
    flat_since: Option<DateTime<Utc>>,
    last_steady_level: Option<f64>,
    cycle: Cycle,
    fingerprint: Fingerprint,
    beyond_since: [Option<DateTime<Utc>>; 6],
    displacement_bbl_ft: f64,
    trip: Option<trip::TripAccount>,
    disagree_since: Option<DateTime<Utc>>,
    question: Option<String>,
    /// Flow and pit both said kick when both last read: while one of them is blind (no flow with
    /// the pumps off, none settled in the refill), the influx is no less corroborated for that.
    kick_corroborated: bool,
    fingerprint_changed: bool,
}

impl WellControl {
    /// A monitor that calls a pit move faster than `transfer_rate_bbl_min` a possible transfer,
    /// for a string displacing `displacement_bbl_ft` on trips.
    pub fn new(th: &Thresholds, displacement_bbl_ft: f64) -> Self {
        Self {
            pit: PitSeries::new(th.transfer_rate_bbl_min),
            trend: None,
            meter: MeterCheck::default(),
            flow: FlowMedian::default(),
            reference: None,
            flat_since: None,
            last_steady_level: None,
            cycle: Cycle::Away,
            fingerprint: Fingerprint::default(),
            beyond_since: [None; 6],
            displacement_bbl_ft,
            trip: None,
            disagree_since: None,
            question: None,
            kick_corroborated: false,
            fingerprint_changed: false,
        }
    }

    /// Read one (cleaned, completed) packet. `pumps_steady_secs` is how long the pump rate has
    /// held; `state` is the classified rig state.
    pub fn observe(
        &mut self,
        p: &WitsPacket,
        state: RigState,
        pumps_steady_secs: f64,
        th: &Thresholds,
        pumping_gpm: f64,
    ) -> WellView {
        let at = p.timestamp;
        let Some(pumping) = pumps_on(p, pumping_gpm) else {
            self.cycle = Cycle::Away;
            return WellView::default();
        };
        let q_in = p.flow_in_gpm.unwrap_or(0.0);
        // The trend of the last closed bucket (a new one closes every ten seconds).
        let pit_moving = self
            .trend
            .is_some_and(|t| t.slope.abs() >= th.loss_pit_rate_bbl_min);
        self.meter
            .observe(at, pumping, q_in, p.flow_out_gpm, pit_moving);
        let trusted = self.meter.reads_returns();
        let balance = self.flow_balance(p, pumping && trusted, pumps_steady_secs);
        let witness = match (&self.cycle, balance) {
            // Through a connection the pit moves with the flowline draining and refilling: those
            // steps are the connection's, judged against its fingerprint, never transfers.
            (Cycle::PumpsOff { .. } | Cycle::Refill { .. }, _) => FlowWitness::Unbalanced,
            (_, Some(b)) if b.abs() < th.kick_flow_pct / 2.0 => FlowWitness::Balanced,
            (_, Some(_)) => FlowWitness::Unbalanced,
            (_, None) => FlowWitness::Absent,
        };
        if let Some(v) = p.pit_volume_bbl {
            if self.pit.push(at, v, witness) {
                // Theil–Sen over 18 medians is ~150 slopes: once per bucket, not per packet.
                self.trend = self.pit.trend(TREND_SECS);
            }
        }
        self.step_cycle(at, pumping, state, pumps_steady_secs);
        let level = self.pit.level();
        let trend = self.trend.filter(|t| t.agreement >= TREND_AGREEMENT);
        let mut view = match self.cycle {
            Cycle::Circulating => self.circulating(at, level, trend, balance, th),
            Cycle::PumpsOff { since, pre, .. } => {
                self.pumps_off(secs(since, at), level.map(|l| l - pre), th)
            }
            Cycle::Refill { since, pre, .. } => {
                self.refill(at, secs(since, at), level.map(|l| l - pre), balance, th)
            }
            Cycle::Away => WellView::default(),
        };
        self.hold_corroboration(&mut view);
        self.quote_total_gain(&mut view);
        view.pit_rate_bbl_min = trend.map(|t| t.slope);
        self.trip_tank(p, pumping, th, &mut view);
        view
    }

    /// A kick that flow and pit both read stays corroborated while one of them is blind — no flow
    /// with the pumps off or unsettled after a rate change, none in the refill — and the other
    /// still reads it beyond its threshold: the banner does not drop from CRITICAL to HIGH at
    /// every connection of a well that is still flowing. Both reading again judge it afresh.
    fn hold_corroboration(&mut self, view: &mut WellView) {
        let Some(kick) = view.kick.as_mut() else {
            return;
        };
        if !kick.agrees {
            self.kick_corroborated = false;
        } else if kick.indicators.iter().count() >= 2 {
            self.kick_corroborated = kick.corroborated;
        } else if self.kick_corroborated {
            kick.corroborated = true;
        }
    }

    /// Through a connection a kick is judged on its flow-back or refill, but the well has gained
    /// all it gained since the reference before it: that total goes with the reading, for the
    /// words ("113 bbl gained — SHUT IN NOW"), weighing nothing in the judgement (ratio 0).
    fn quote_total_gain(&self, view: &mut WellView) {
        let (Cycle::PumpsOff { .. } | Cycle::Refill { .. }, Some(kick)) =
            (&self.cycle, view.kick.as_mut())
        else {
            return;
        };
        let Some(gain) = self.pit.level().zip(self.reference).map(|(l, r)| l - r) else {
            return;
        };
        if gain <= 0.0 || !kick.agrees {
            return;
        }
        let total = indicator("pit_gain_bbl", gain, "bbl", 0.0, None);
        kick.indicators = kick
            .indicators
            .iter()
            .copied()
            .chain(std::iter::once(total))
            .collect();
    }

    /// The 30-s median flow balance, %, while the pumps are steady and the meter trusted.
    fn flow_balance(&mut self, p: &WitsPacket, readable: bool, steady_secs: f64) -> Option<f64> {
        let pct = match (p.flow_in_gpm, p.flow_out_gpm) {
            (Some(q_in), Some(q_out)) if q_in > 1.0 => 100.0 * (q_out - q_in) / q_in,
            _ => f64::NAN,
        };
        if !(readable && steady_secs >= FLOW_SETTLE_SECS && pct.is_finite()) {
            self.flow = FlowMedian::default();
            return None;
        }
        self.flow.push(p.timestamp, pct)
    }

    /// Move through the connection cycle on the pumps and the rig state.
    fn step_cycle(&mut self, at: DateTime<Utc>, pumping: bool, state: RigState, steady: f64) {
        let level = self.pit.level();
        let tripping = matches!(state, RigState::TrippingIn | RigState::TrippingOut);
        let cycle = std::mem::replace(&mut self.cycle, Cycle::Away);
        self.cycle = match cycle {
            _ if tripping => {
                self.pit.forget_step();
                Cycle::Away
            }
            Cycle::Away if pumping => {
                // Back from a trip or a long stop: the pit has moved for known reasons.
                self.reference = None;
                self.flat_since = None;
                Cycle::Circulating
            }
            Cycle::Circulating if pumping => {
                if steady >= FLOW_SETTLE_SECS / 2.0 {
                    self.last_steady_level = level.or(self.last_steady_level);
                }
                Cycle::Circulating
            }
            Cycle::Circulating => match self.last_steady_level {
                Some(pre) => {
                    self.pit.forget_step();
                    Cycle::PumpsOff {
                        since: at,
                        pre,
                        curve: flowback::Curve::default(),
                        clean: true,
                    }
                }
                None => Cycle::Away,
            },
            Cycle::Away => Cycle::Away,
            Cycle::PumpsOff { since, .. } if !pumping && secs(since, at) > CONNECTION_MAX_SECS => {
                Cycle::Away
            }
            Cycle::PumpsOff {
                pre, curve, clean, ..
            } if pumping => Cycle::Refill {
                since: at,
                pre,
                curve,
                clean,
            },
            Cycle::Refill { pre, curve, .. } if !pumping => Cycle::PumpsOff {
                // Pumps stopped again mid-refill: the flow-back starts again from the level before
                // the connection; an irregular connection teaches the fingerprint nothing.
                since: at,
                pre,
                curve,
                clean: false,
            },
            Cycle::Refill {
                since,
                curve,
                clean,
                ..
            } if secs(since, at) >= REFILL_MAX_SECS => {
                if clean {
                    self.fingerprint.learn(curve);
                    self.fingerprint_changed = true;
                }
                self.last_steady_level = level;
                Cycle::Circulating
            }
            other => other,
        };
    }

    /// With the pumps off, the trip tank against the string's displacement joins what the active
    /// pit says (a second sensor: both beyond is corroborated).
    fn trip_tank(&mut self, p: &WitsPacket, pumping: bool, th: &Thresholds, view: &mut WellView) {
        let (false, Some(tank)) = (pumping, p.trip_tank_bbl) else {
            self.trip = None;
            return;
        };
        let (disp, rate) = (self.displacement_bbl_ft, th.transfer_rate_bbl_min);
        let account = self
            .trip
            .get_or_insert_with(|| trip::TripAccount::new(disp, rate));
        let Some(r) = account.push(p.timestamp, tank, p.bit_depth_ft) else {
            return;
        };
        let at = p.timestamp;
        let d = r.discrepancy_bbl;
        let kick = self.indicator(
            Slot::KickTrip,
            at,
            th,
            "trip_tank_gain_bbl",
            d.max(0.0),
            "bbl",
            d / th.trip_discrepancy_bbl,
        );
        let losses = self.indicator(
            Slot::LossTrip,
            at,
            th,
            "trip_tank_loss_bbl",
            (-d).max(0.0),
            "bbl",
            -d / th.trip_discrepancy_bbl,
        );
        view.kick = join(view.kick.take(), kick);
        view.losses = join(view.losses.take(), losses);
    }

    /// Pumps on and steady: flow and pit, each for what it is worth.
    fn circulating(
        &mut self,
        at: DateTime<Utc>,
        level: Option<f64>,
        trend: Option<robust::Trend>,
        balance: Option<f64>,
        th: &Thresholds,
    ) -> WellView {
        let reference = match (self.reference, level) {
            (Some(r), _) => Some(r),
            (None, Some(l)) => Some(*self.reference.insert(l)),
            _ => None,
        };
        let gain = level.zip(reference).map(|(l, r)| l - r);
        let slope = trend.map(|t| t.slope);
        let kick_flow = balance.map(|b| self.kick_flow(at, th, b));
        let kick_pit = gain.map(|g| {
            let rate = slope.unwrap_or(0.0) / th.kick_pit_rate_bbl_min;
            let ratio = (g / th.kick_pit_gain_bbl).max(rate);
            self.indicator(
                Slot::KickPit,
                at,
                th,
                "pit_gain_bbl",
                g.max(0.0),
                "bbl",
                ratio,
            )
        });
        let loss_flow = balance.map(|b| {
            self.indicator(
                Slot::LossFlow,
                at,
                th,
                "flow_balance_pct",
                b,
                "%",
                -b / th.loss_flow_pct,
            )
        });
        let loss_pit = gain.map(|g| {
            let rate = -slope.unwrap_or(0.0) / th.loss_pit_rate_bbl_min;
            let ratio = (-g / th.loss_pit_bbl).max(rate);
            self.indicator(
                Slot::LossPit,
                at,
                th,
                "pit_loss_bbl",
                (-g).max(0.0),
                "bbl",
                ratio,
            )
        });
        self.follow_reference(
            at,
            level,
            slope,
            [&kick_flow, &kick_pit, &loss_flow, &loss_pit],
        );
        self.ask_if_disagree(at, &kick_flow, &kick_pit, th);
        WellView {
            kick: pair(kick_flow, kick_pit),
            losses: pair(loss_flow, loss_pit),
            pit_gain_bbl: gain,
            pit_rate_bbl_min: None,
            can_clear: balance.is_some() || level.is_some(),
        }
    }

    /// Pumps off at a connection: the flow-back against the fingerprint, or, before there is one,
    /// a flow-back that does not decay.
    fn pumps_off(&mut self, secs: f64, offset: Option<f64>, th: &Thresholds) -> WellView {
        let Some(offset) = offset else {
            return WellView::default();
        };
        if let Cycle::PumpsOff { curve, .. } = &mut self.cycle {
            curve.record(Part::Off, secs, offset);
        }
        let minute = self.pit.change(60, 0);
        let minute_before = self.pit.change(120, 60);
        let flowing = secs >= FLOW_CHECK_AFTER_SECS
            && minute
                .zip(minute_before)
                .is_some_and(|(m, mb)| m >= th.kick_pit_rate_bbl_min && m >= NOT_DECAYING * mb);
        let kick = match self.over_fingerprint(Part::Off, secs, offset, th) {
            Some(mut i) => {
                if flowing && i.ratio >= 1.0 {
                    i.ratio = i.ratio.max(SUSTAINED_RATIO);
                }
                Some(i)
            }
            None => minute.map(|m| {
                let ratio = if flowing {
                    m / th.kick_pit_rate_bbl_min
                } else {
                    0.0
                };
                indicator("pit_rate_bbl_min", m, "bbl/min", ratio, None)
            }),
        };
        let losses = (secs >= FLOW_CHECK_AFTER_SECS / 2.0)
            .then_some(minute)
            .flatten()
            .map(|m| {
                indicator(
                    "pit_rate_bbl_min",
                    m,
                    "bbl/min",
                    -m / th.loss_pit_rate_bbl_min,
                    None,
                )
            });
        self.connection_view(kick, losses, offset)
    }

    /// Pumps on again: the refill brings the pit back down to where it was. Above the
    /// fingerprint's refill (or still rising) is a kick; below the level before the connection is
    /// a loss. Once the flow has settled, returns above flow in are a kick too: a refill's
    /// returns lag flow in, they never exceed it.
    fn refill(
        &mut self,
        at: DateTime<Utc>,
        secs: f64,
        offset: Option<f64>,
        balance: Option<f64>,
        th: &Thresholds,
    ) -> WellView {
        let kick_flow = balance
            .filter(|b| *b > 0.0)
            .map(|b| self.kick_flow(at, th, b));
        let Some(offset) = offset else {
            return WellView {
                kick: kick_flow.map(single),
                ..WellView::default()
            };
        };
        if let Cycle::Refill { curve, .. } = &mut self.cycle {
            curve.record(Part::On, secs, offset);
        }
        let kick = match self.over_fingerprint(Part::On, secs, offset, th) {
            Some(i) => Some(i),
            None => {
                let minute = self.pit.change(60, 0);
                (secs >= 60.0).then_some(minute).flatten().map(|m| {
                    indicator(
                        "pit_rate_bbl_min",
                        m,
                        "bbl/min",
                        m / th.kick_pit_rate_bbl_min,
                        None,
                    )
                })
            }
        };
        let losses = Some(indicator(
            "pit_loss_bbl",
            (-offset).max(0.0),
            "bbl",
            -offset / th.loss_pit_bbl,
            None,
        ));
        let mut view = self.connection_view(kick, losses, offset);
        if let Some(flow) = kick_flow {
            self.mark_unclean(&Some(flow), &None);
            view.kick = join(view.kick, flow);
        }
        view
    }

    /// The pit `offset` bbl from its pre-connection level against the fingerprint at `secs` into
    /// `part`: the excess over the highest mean a step either side, as a share of k·σ (at least
    /// `flowback_excess_bbl`); `None` before the fingerprint is learned.
    fn over_fingerprint(
        &self,
        part: Part,
        secs: f64,
        offset: f64,
        th: &Thresholds,
    ) -> Option<Indicator> {
        let b = self.fingerprint.band(part, secs)?;
        let tolerance = (th.flowback_sigmas * b.sigma).max(th.flowback_excess_bbl);
        let excess = offset - b.high;
        Some(indicator(
            "pit_gain_bbl",
            excess.max(0.0),
            "bbl",
            excess / tolerance,
            Some(b.high),
        ))
    }

    /// What a connection's part reads: one indicator each way, the pit against its
    /// pre-connection level, and never a reason to clear (the influx stays in the well).
    fn connection_view(
        &mut self,
        kick: Option<Indicator>,
        losses: Option<Indicator>,
        offset: f64,
    ) -> WellView {
        self.mark_unclean(&kick, &losses);
        WellView {
            kick: kick.map(single),
            losses: losses.map(single),
            pit_gain_bbl: Some(offset),
            pit_rate_bbl_min: None,
            can_clear: false,
        }
    }

    /// A connection with a kick or loss in it does not teach the fingerprint. (Only beyond the
    /// threshold: leaving out every connection near it would teach a fingerprint narrower than
    /// the rig's, which would then call more connections kicks.)
    fn mark_unclean(&mut self, kick: &Option<Indicator>, losses: &Option<Indicator>) {
        let trouble = [kick, losses]
            .iter()
            .any(|i| i.as_ref().is_some_and(Indicator::beyond));
        if let Cycle::PumpsOff { clean, .. } | Cycle::Refill { clean, .. } = &mut self.cycle {
            *clean &= !trouble;
        }
    }

    /// The flow balance as a kick indicator, sustained like the others.
    fn kick_flow(&mut self, at: DateTime<Utc>, th: &Thresholds, balance_pct: f64) -> Indicator {
        self.indicator(
            Slot::KickFlow,
            at,
            th,
            "flow_balance_pct",
            balance_pct,
            "%",
            balance_pct / th.kick_flow_pct,
        )
    }

    /// An indicator whose ratio is raised to HIGH once it has been beyond its threshold for
    /// `kick_sustained_secs`.
    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &mut self,
        slot: Slot,
        at: DateTime<Utc>,
        th: &Thresholds,
        name: &'static str,
        value: f64,
        unit: &'static str,
        ratio: f64,
    ) -> Indicator {
        let since = &mut self.beyond_since[slot as usize];
        let mut ratio = ratio;
        if ratio >= 1.0 {
            let t = *since.get_or_insert(at);
            if secs(t, at) >= th.kick_sustained_secs {
                ratio = ratio.max(SUSTAINED_RATIO);
            }
        } else {
            *since = None;
        }
        indicator(name, value, unit, ratio, None)
    }

    /// The reference follows the pit while nothing is suspected and the pit is flat, and takes a
    /// level the pit has held flat for ten minutes as the new normal.
    fn follow_reference(
        &mut self,
        at: DateTime<Utc>,
        level: Option<f64>,
        slope: Option<f64>,
        indicators: [&Option<Indicator>; 4],
    ) {
        let Some(level) = level else { return };
        let flat = slope.is_some_and(|s| s.abs() < FLAT_BBL_MIN);
        if !flat {
            self.flat_since = None;
            return;
        }
        let since = *self.flat_since.get_or_insert(at);
        let quiet = indicators
            .iter()
            .all(|i| i.as_ref().is_none_or(|i| i.ratio < 0.5));
        let settled = (at - since).num_seconds() >= NEW_LEVEL_SECS;
        if quiet || settled {
            if let (false, Some(r)) = (quiet, self.reference) {
                log::info!(
                    "pit has held {:+.1} bbl from its reference for {} min: taken as its new level",
                    level - r,
                    NEW_LEVEL_SECS / 60
                );
            }
            self.reference = Some(level);
            if settled {
                self.flat_since = Some(at);
            }
        }
    }

    /// Flow and pit that disagree for minutes are a question for the crew about a sensor.
    fn ask_if_disagree(
        &mut self,
        at: DateTime<Utc>,
        flow: &Option<Indicator>,
        pit: &Option<Indicator>,
        th: &Thresholds,
    ) {
        let (Some(f), Some(p)) = (flow, pit) else {
            self.disagree_since = None;
            self.question = None;
            return;
        };
        let disagree = (f.ratio >= 1.0 && p.ratio < 0.3) || (p.ratio >= 1.0 && f.ratio < 0.3);
        if !disagree {
            self.disagree_since = None;
            self.question = None;
            return;
        }
        let since = *self.disagree_since.get_or_insert(at);
        if secs(since, at) >= th.kick_sustained_secs && self.question.is_none() {
            let q = format!(
                "flow and pit disagree for {} min: flow balance {:+.1} %, pit {:+.1} bbl; check the flow-out meter and the pit sensors (a kick is raised on the one that moved)",
                (secs(since, at) / 60.0).round(),
                f.value,
                p.value
            );
            log::warn!("{q}");
            self.question = Some(q);
        }
    }

    /// Sensor questions for the crew now, with the channel they are about: a flow-out meter that
    /// does not follow the pumps, flow and pit that disagree.
    pub fn questions(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Trust::Untrusted(why) = self.meter.trust() {
            out.push(("flow_out_gpm", why.clone()));
        }
        out.extend(self.question.clone().map(|q| ("pit_volume_bbl", q)));
        out
    }

    /// The flow-back fingerprint, to save.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// Start from a fingerprint saved before a restart.
    pub fn restore_fingerprint(&mut self, fingerprint: Fingerprint) {
        self.fingerprint = fingerprint;
    }

    /// Whether a connection was learned since the last call (the fingerprint is due a save).
    pub fn take_fingerprint_change(&mut self) -> bool {
        std::mem::take(&mut self.fingerprint_changed)
    }

    /// Connections in the flow-back fingerprint.
    pub fn connections_learned(&self) -> usize {
        self.fingerprint.learned()
    }
}

/// The flow balance over the last 30 s: the median of five-second means (a mean smooths the
/// meter's noise, the median drops a spike), recomputed as each five seconds closes.
#[derive(Debug, Clone, Default)]
struct FlowMedian {
    bucket: Option<i64>,
    sum: f64,
    count: u32,
    means: VecDeque<f64>,
    median: Option<f64>,
}

impl FlowMedian {
    fn push(&mut self, at: DateTime<Utc>, pct: f64) -> Option<f64> {
        let bucket = at.timestamp().div_euclid(FLOW_BUCKET_SECS);
        if self.bucket.is_some_and(|b| bucket > b) && self.count > 0 {
            if self.means.len() == FLOW_BUCKETS {
                self.means.pop_front();
            }
            self.means.push_back(self.sum / f64::from(self.count));
            (self.sum, self.count) = (0.0, 0);
            if self.means.len() >= FLOW_BUCKETS / 2 {
                let mut values = [0.0; FLOW_BUCKETS];
                for (slot, m) in values.iter_mut().zip(&self.means) {
                    *slot = *m;
                }
                self.median = robust::median(&mut values[..self.means.len()]);
            }
        }
        if self.bucket.is_none_or(|b| bucket >= b) {
            self.bucket = Some(bucket);
            self.sum += pct;
            self.count += 1;
        }
        self.median
    }
}

/// Whether the pumps run: flow in, or strokes where there is no flow meter; `None` when neither
/// is sent (no pump data: nothing can be said about the well's flow).
fn pumps_on(p: &WitsPacket, pumping_gpm: f64) -> Option<bool> {
    if let Some(q) = p.flow_in_gpm {
        return Some(q > pumping_gpm);
    }
    let spm = [p.pump1_spm, p.pump2_spm, p.pump3_spm];
    spm.iter()
        .any(Option::is_some)
        .then(|| spm.iter().flatten().sum::<f64>() > 5.0)
}

/// A test clock: `s` seconds after a fixed instant.
#[cfg(test)]
pub(crate) fn test_time(s: i64) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.timestamp_opt(1_700_000_000 + s, 0)
        .single()
        .expect("valid")
}

fn secs(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1_000.0
}

fn indicator(
    name: &'static str,
    value: f64,
    unit: &'static str,
    ratio: f64,
    baseline: Option<f64>,
) -> Indicator {
    Indicator {
        name,
        value,
        unit,
        baseline,
        deviation_pct: None,
        ratio: if ratio.is_finite() { ratio } else { 0.0 },
        primary: true,
    }
}

fn single(i: Indicator) -> Reading {
    Reading {
        agrees: i.beyond(),
        corroborated: false,
        strength: i.ratio.max(0.0),
        indicators: std::iter::once(i).collect(),
    }
}

/// A reading with one more independent indicator.
fn join(reading: Option<Reading>, extra: Indicator) -> Option<Reading> {
    let first = reading.and_then(|r| r.indicators.iter().next().copied());
    pair(first, Some(extra))
}

/// Flow and pit together: either alone agrees; both beyond is corroborated, and both held
/// beyond (sustained) is as strong as a well-control reading gets.
fn pair(flow: Option<Indicator>, pit: Option<Indicator>) -> Option<Reading> {
    let indicators: Indicators = [flow, pit].into_iter().flatten().collect();
    if indicators.is_empty() {
        return None;
    }
    let mut strength = indicators.iter().map(|i| i.ratio).fold(0.0, f64::max);
    let corroborated = indicators.iter().filter(|i| i.beyond()).count() >= 2;
    if corroborated && indicators.iter().all(|i| i.ratio >= SUSTAINED_RATIO) {
        strength = strength.max(BOTH_SUSTAINED_RATIO);
    }
    Some(Reading {
        agrees: strength >= 1.0,
        corroborated,
        strength,
        indicators,
    })
}
