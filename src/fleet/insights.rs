//! Drilling insights across the fleet: the compact summary of a rig's insights report that goes
//! to the hub (per formation segment: depth range, markers, the fastest band, the founder point,
//! how much drilling it rests on), and what the hub hands back to the rigs of a field — the
//! parameters offset rigs drilled fastest, interval by interval.

use crate::drilling::bounded::at_most;
use crate::drilling::thousands;
use crate::fleet::RigId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most segments a summary may carry.
pub const MAX_SEGMENTS: usize = 32;
/// Most intervals the hub returns for a field.
pub const MAX_INTERVALS: usize = 200;

/// `POST /api/fleet/insights`: one insights report, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightSummary {
    /// The rig (must be the key's).
    pub rig_id: RigId,
    /// The well.
    pub well_id: String,
    /// The field, as the rig is configured.
    pub field: String,
    /// The report's number on the rig (a rig's numbers only grow; the hub keeps each once).
    pub report_seq: u64,
    /// When the rig made it (the rig's clock).
    pub made_at: DateTime<Utc>,
    /// Its formation segments, shallowest first.
    #[serde(deserialize_with = "at_most::<_, _, MAX_SEGMENTS>")]
    pub segments: Vec<SegmentSummary>,
}

/// One formation segment of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSummary {
    /// Top of the segment, ft MD.
    pub from_ft: f64,
    /// Bottom, ft MD.
    pub to_ft: f64,
    /// Seconds of steady drilling in it.
    pub samples: u32,
    /// Its median dc-exponent: the formation marker a geologist reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dc_exponent: Option<f64>,
    /// Its median MSE, psi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse_median_psi: Option<f64>,
    /// The fastest band at a sane MSE, where one was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<BandSummary>,
    /// The WOB past which ROP stopped rising, klb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founder_wob_klb: Option<f64>,
}

/// A WOB × RPM band and what it drilled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSummary {
    /// WOB from, to, klb.
    pub wob_klb: (f64, f64),
    /// RPM from, to.
    pub rpm: (f64, f64),
    /// Median ROP there, ft/h.
    pub rop_median_ft_h: f64,
    /// Seconds drilled there.
    pub samples: u32,
}

impl BandSummary {
    /// "28–32 klb, 140–160 rpm".
    pub fn words(&self) -> String {
        format!(
            "{:.0}–{:.0} klb, {:.0}–{:.0} rpm",
            self.wob_klb.0, self.wob_klb.1, self.rpm.0, self.rpm.1
        )
    }
}

/// A depth interval of a field where offset rigs drilled one band fastest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetInterval {
    /// Top, ft MD.
    pub from_ft: f64,
    /// Bottom, ft MD.
    pub to_ft: f64,
    /// The band drilled fastest there.
    pub best: BandSummary,
    /// Offset rigs that drilled the interval.
    pub rigs: u32,
    /// Hours of steady drilling the interval rests on.
    pub hours: f64,
    /// The founder point the offset rigs found there, the median of theirs, klb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founder_wob_klb: Option<f64>,
}

impl OffsetInterval {
    /// "offset rigs drilled 8,000–8,600 ft fastest at 28–32 klb, 140–160 rpm: 174 ft/h (3 rigs,
    /// 41 h)".
    pub fn words(&self) -> String {
        let rigs = if self.rigs == 1 {
            "1 rig".to_owned()
        } else {
            format!("{} rigs", self.rigs)
        };
        let mut s = format!(
            "offset rigs drilled {}–{} ft fastest at {}: {} ft/h ({rigs}, {:.0} h)",
            thousands(self.from_ft),
            thousands(self.to_ft),
            self.best.words(),
            thousands(self.best.rop_median_ft_h),
            self.hours.max(1.0)
        );
        if let Some(f) = self.founder_wob_klb {
            s.push_str(&format!("; founder ≈ {f:.0} klb"));
        }
        s
    }

    /// Whether `depth_ft` is in it.
    pub fn holds(&self, depth_ft: f64) -> bool {
        (self.from_ft..self.to_ft).contains(&depth_ft)
    }
}

/// `GET /api/fleet/insights/offsets`: the offset intervals of the asking rig's field, drilled by
/// the other rigs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offsets {
    /// The field.
    pub field: String,
    /// Shallowest first.
    #[serde(deserialize_with = "at_most::<_, _, MAX_INTERVALS>")]
    pub intervals: Vec<OffsetInterval>,
}

impl Offsets {
    /// The interval the bit is in, or the next one starting within `ahead_ft` below it (the
    /// driller is warned before reaching it): the interval, and whether it is still ahead.
    pub fn near(&self, depth_ft: f64, ahead_ft: f64) -> Option<(&OffsetInterval, bool)> {
        if let Some(i) = self.intervals.iter().find(|i| i.holds(depth_ft)) {
            return Some((i, false));
        }
        self.intervals
            .iter()
            .filter(|i| i.from_ft > depth_ft && i.from_ft - depth_ft <= ahead_ft)
            .min_by(|a, b| a.from_ft.total_cmp(&b.from_ft))
            .map(|i| (i, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(from: f64, to: f64) -> OffsetInterval {
        OffsetInterval {
            from_ft: from,
            to_ft: to,
            best: BandSummary {
                wob_klb: (28.0, 32.0),
                rpm: (140.0, 160.0),
                rop_median_ft_h: 174.0,
                samples: 1_075,
            },
            rigs: 3,
            hours: 41.2,
            founder_wob_klb: Some(30.0),
        }
    }

    #[test]
    fn an_interval_says_where_how_fast_and_on_how_much() {
        assert_eq!(
            interval(8_000.0, 8_600.0).words(),
            "offset rigs drilled 8,000–8,600 ft fastest at 28–32 klb, 140–160 rpm: 174 ft/h (3 rigs, 41 h); founder ≈ 30 klb"
        );
    }

    #[test]
    fn the_bit_is_told_of_the_interval_it_is_in_or_the_next_one_ahead() {
        let o = Offsets {
            field: "Volve".into(),
            intervals: vec![interval(8_000.0, 8_600.0), interval(9_000.0, 9_400.0)],
        };
        assert_eq!(
            o.near(8_100.0, 300.0).map(|(i, ahead)| (i.from_ft, ahead)),
            Some((8_000.0, false))
        );
        assert_eq!(
            o.near(8_800.0, 300.0).map(|(i, ahead)| (i.from_ft, ahead)),
            Some((9_000.0, true))
        );
        assert!(o.near(8_650.0, 300.0).is_none(), "nothing within 300 ft");
        assert!(o.near(9_400.0, 300.0).is_none(), "past the last");
    }

    #[test]
    fn a_summary_with_too_many_segments_is_refused_as_it_is_read() {
        let segment = serde_json::json!({"from_ft": 1.0, "to_ft": 2.0, "samples": 1});
        let body = serde_json::json!({
            "rig_id": "RIG-A", "well_id": "W", "field": "F", "report_seq": 1,
            "made_at": "2026-12-03T00:00:00Z", "segments": vec![segment; MAX_SEGMENTS + 1]
        });
        assert!(serde_json::from_value::<InsightSummary>(body).is_err());
    }
}
