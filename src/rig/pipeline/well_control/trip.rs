//! The trip tank against the string's displacement. While the pumps are off, every foot the bit
//! moves should move the trip tank by the string's displacement: pulling out, the hole takes that
//! much fill from it; running in, it gives that much back. The tank against that expectation is a
//! flat line on a well that is behaving: above it the well is giving mud (a swabbed influx), below
//! it the well is taking mud (losses). Refills of the tank itself are steps that stop, taken out
//! as transfers.

use super::pit::{FlowWitness, PitSeries};
use chrono::{DateTime, Utc};

/// Fastest bit movement believed, ft/min: faster than any trip runs (a depth glitch or a
/// re-referenced tally is not a trip); a step is believed up to this speed over the time since the
/// last reading, and at least `MIN_STEP_FT`.
const MAX_SPEED_FT_MIN: f64 = 600.0;
/// Steps up to this are always believed, ft.
const MIN_STEP_FT: f64 = 50.0;
/// Pipe moved before the tank is judged: two stands, ft.
const JUDGE_AFTER_FT: f64 = 186.0;
/// A tank that moved less than this share of the displacement is not lined up to the hole.
const LINED_UP: f64 = 0.25;
/// The bit counts as moved once it is this far from where it last stood, ft: a floater's heave
/// and a depth sensor's jitter move it back and forth by a few feet without any pipe moving.
const MOVE_BAND_FT: f64 = 5.0;
/// Pipe still this long ends the account: the next movement is a new trip, judged afresh, s.
const NEW_TRIP_AFTER_SECS: i64 = 1_800;

/// The trip-tank account of one pumps-off spell.
#[derive(Debug, Clone)]
pub struct TripAccount {
    displacement_bbl_ft: f64,
    against: PitSeries,
    expected_bbl: f64,
    last_bit_ft: Option<(DateTime<Utc>, f64)>,
    /// Where the bit last stood: movement counts from here, beyond `MOVE_BAND_FT`.
    anchor_ft: Option<f64>,
    start: Option<f64>,
    moved_ft: f64,
    lined_up: bool,
    judged_at_ft: f64,
    /// The tank and the expectation when the last two stands began, to judge them.
    judge_from: Option<(f64, f64)>,
    moved_at: Option<DateTime<Utc>>,
}

/// What the account says now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TripReading {
    /// Trip tank against what the string's movement says it should be: positive, the well gave
    /// mud; negative, it took mud, bbl.
    pub discrepancy_bbl: f64,
    /// The displacement expected so far, bbl (positive: returned to the tank).
    pub expected_bbl: f64,
    /// How far the bit has moved this spell, ft.
    pub moved_ft: f64,
}

impl TripAccount {
    /// An account for a string displacing `displacement_bbl_ft`, calling moves faster than
    /// `transfer_rate_bbl_min` (once they stop) refills of the tank.
    pub fn new(displacement_bbl_ft: f64, transfer_rate_bbl_min: f64) -> Self {
        Self {
            displacement_bbl_ft,
            against: PitSeries::new(transfer_rate_bbl_min),
            expected_bbl: 0.0,
            last_bit_ft: None,
            anchor_ft: None,
            start: None,
            moved_ft: 0.0,
            lined_up: false,
            judged_at_ft: 0.0,
            judge_from: None,
            moved_at: None,
        }
    }

    /// Take one packet's trip tank and bit depth.
    pub fn push(
        &mut self,
        at: DateTime<Utc>,
        tank_bbl: f64,
        bit_ft: Option<f64>,
    ) -> Option<TripReading> {
        if self
            .moved_at
            .is_some_and(|t| (at - t).num_seconds() > NEW_TRIP_AFTER_SECS)
        {
            // Half an hour in the slips: whatever the tank did meanwhile (emptied, lined up
            // elsewhere) is not this trip's.
            *self = Self::new(self.displacement_bbl_ft, self.against.transfer_rate());
        }
        if let Some(bit) = bit_ft.filter(|b| b.is_finite()) {
            if let Some((last_at, last)) = self.last_bit_ft {
                let step = bit - last;
                let minutes = (at - last_at).num_milliseconds() as f64 / 60_000.0;
                if step.abs() <= MIN_STEP_FT.max(MAX_SPEED_FT_MIN * minutes) {
                    // Running in (bit deeper) returns the steel's volume to the tank.
                    self.expected_bbl += step * self.displacement_bbl_ft;
                } else {
                    // A depth glitch or a re-referenced tally: movement counts from here.
                    self.anchor_ft = Some(bit);
                }
            }
            let anchor = *self.anchor_ft.get_or_insert(bit);
            if (bit - anchor).abs() >= MOVE_BAND_FT {
                self.moved_ft += (bit - anchor).abs();
                self.anchor_ft = Some(bit);
                self.moved_at = Some(at);
            }
            self.moved_at.get_or_insert(at);
            self.last_bit_ft = Some((at, bit));
        }
        self.against
            .push(at, tank_bbl - self.expected_bbl, FlowWitness::Absent);
        let level = self.against.level()?;
        let start = *self.start.get_or_insert(level);
        let reading = TripReading {
            discrepancy_bbl: level - start,
            expected_bbl: self.expected_bbl,
            moved_ft: self.moved_ft,
        };
        // Whether the tank is lined up is judged on each two stands: until it is, over the whole
        // spell; then over the last two stands alone, so a tank lined away mid-trip stops being
        // read. A well flowing at the rate the pipe displaces holds the tank still too: a tank
        // whose discrepancy is already larger than the two stands' displacement stays read.
        if self.moved_ft >= self.judged_at_ft + JUDGE_AFTER_FT {
            let measured = reading.discrepancy_bbl + reading.expected_bbl;
            let (m0, e0) = self.judge_from.unwrap_or((0.0, 0.0));
            let recent = TripReading {
                discrepancy_bbl: (measured - m0) - (reading.expected_bbl - e0),
                expected_bbl: reading.expected_bbl - e0,
                moved_ft: reading.moved_ft,
            };
            self.lined_up = if self.lined_up {
                recent.lined_up() || reading.discrepancy_bbl.abs() > recent.expected_bbl.abs()
            } else {
                reading.lined_up()
            };
            self.judged_at_ft = self.moved_ft;
            self.judge_from = Some((measured, reading.expected_bbl));
        }
        self.lined_up.then_some(reading)
    }
}

impl TripAccount {
    /// The displacement expected so far this trip, bbl (positive: returned to the tank).
    pub fn expected_bbl(&self) -> f64 {
        self.expected_bbl
    }

    /// How far the bit has moved this trip, ft (movement beyond the 5-ft band).
    pub fn moved_ft(&self) -> f64 {
        self.moved_ft
    }
}

impl TripReading {
    /// Whether the tank moved with the pipe at all: a tank that is not lined up to the hole (the
    /// hole filled from the active pit, a tank isolated at connections) holds still while the
    /// string moves, and says nothing about the well.
    pub fn lined_up(&self) -> bool {
        let measured = self.discrepancy_bbl + self.expected_bbl;
        measured.abs() >= LINED_UP * self.expected_bbl.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::pipeline::well_control::test_time as t;

    /// Pulling ten 93-ft stands of 5-in pipe open-ended takes 10 × 93 × 0.00652 = 6.07 bbl from
    /// the trip tank: a tank that falls by that has no discrepancy; one that falls 2 bbl less has
    /// a 2-bbl gain (swabbed influx); a 20-bbl refill mid-trip is not a gain.
    #[test]
    fn a_trip_that_takes_its_displacement_balances() {
        let disp = 0.00652;
        for (influx_total, refill) in [(0.0, false), (2.0, false), (0.0, true)] {
            let mut acc = TripAccount::new(disp, 3.0);
            let mut last = None;
            let (mut bit, mut tank) = (10_000.0, 40.0);
            for s in 0..2_000 {
                // 90 s pulling a stand (62 ft/min), 60 s in slips.
                let pulling = s % 150 < 90 && s < 1_500;
                if pulling {
                    bit -= 93.0 / 90.0;
                    tank -= 93.0 / 90.0 * disp;
                    tank += influx_total / 900.0;
                }
                if refill && (700..760).contains(&s) {
                    tank += 20.0 / 60.0;
                }
                last = acc.push(t(s), tank, Some(bit)).or(last);
            }
            let r = last.expect("reading");
            assert!((r.expected_bbl + 6.07).abs() < 0.05, "{r:?}");
            // Movement counts in steps of at least MOVE_BAND_FT: the last few feet may not yet.
            assert!((r.moved_ft - 930.0).abs() < MOVE_BAND_FT + 1.0, "{r:?}");
            assert!(
                (r.discrepancy_bbl - influx_total).abs() < 0.2,
                "influx {influx_total} refill {refill}: {r:?}"
            );
        }
        // A tank isolated from the hole holds still while the pipe moves: no reading.
        let mut acc = TripAccount::new(disp, 3.0);
        let mut any = None;
        for s in 0..1_000 {
            any = any.or(acc.push(t(s), 40.0, Some(10_000.0 - s as f64)));
        }
        assert_eq!(any, None);
    }
}
