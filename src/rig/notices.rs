//! The fleet's notices on this rig's screen: a correlation of the rig's region is shown while the
//! rig drills towards or through its depth band — the fleet warns before the trouble, not after;
//! and what offset rigs of the field drilled fastest where the bit is, or just below it.

use crate::drilling::{capitalise, thousands};
use crate::fleet::insights::Offsets;
use crate::fleet::FleetNotice;

/// An offset interval is announced this many feet before the bit reaches it.
pub const OFFSET_AHEAD_FT: f64 = 300.0;

/// [`offset_words`] for the rig `c` now: its offsets, at the depth of its newest packet.
pub fn offset_here(c: &crate::rig::core::Core) -> Option<String> {
    let depth = c.pipeline().latest().and_then(|s| s.packet.depth_ft());
    offset_words(&c.fleet_status().link?.stats.offsets, depth)
}

/// What offset rigs drilled fastest where the hole is (`depth_ft`), or in the interval it will
/// reach within [`OFFSET_AHEAD_FT`]; none elsewhere.
pub fn offset_words(offsets: &Offsets, depth_ft: Option<f64>) -> Option<String> {
    let (interval, ahead) = offsets.near(depth_ft?, OFFSET_AHEAD_FT)?;
    Some(if ahead {
        format!(
            "Ahead at {} ft: {}.",
            thousands(interval.from_ft),
            interval.words()
        )
    } else {
        format!("Fleet: {}.", capitalise(&interval.words()))
    })
}

/// A band is announced this many feet before the bit reaches it (about 8 h at 60 ft/h).
pub const LOOKAHEAD_FT: f64 = 500.0;
/// …and kept this many feet past its deep end.
const PAST_FT: f64 = 100.0;

/// What the screen says of `n` with the hole at `depth_ft`; none when the band is far away.
pub fn on_screen(n: &FleetNotice, depth_ft: Option<f64>) -> Option<String> {
    let (Some(from), Some(to), Some(depth)) = (n.depth_from_ft, n.depth_to_ft, depth_ft) else {
        // No band, or no depth yet: the whole region is warned.
        return Some(format!("Fleet notice: {}", n.text));
    };
    if depth < from - LOOKAHEAD_FT || depth > to + PAST_FT {
        return None;
    }
    let where_ = if depth < from {
        format!("{} ft above the band", thousands(from - depth))
    } else {
        "inside the band".to_owned()
    };
    Some(format!(
        "Fleet notice: {} — the hole is at {} ft, {where_}",
        n.text,
        thousands(depth)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drilling::AnomalyCategory;
    use chrono::Utc;

    fn losses() -> FleetNotice {
        FleetNotice {
            category: AnomalyCategory::LostCirculation,
            region: "North Sea".into(),
            rigs: 3,
            window_hours: 48,
            first_at: Utc::now(),
            last_at: Utc::now(),
            depth_from_ft: Some(7_950.0),
            depth_to_ft: Some(8_400.0),
            text: "lost circulation on 3 rigs in North Sea within 48 h, 7,950–8,400 ft".into(),
        }
    }

    #[test]
    fn a_band_is_shown_from_500_ft_above_it_until_just_past_it() {
        let n = losses();
        assert_eq!(on_screen(&n, Some(7_000.0)), None, "far above");
        let near = on_screen(&n, Some(7_600.0)).expect("350 ft above");
        assert!(
            near.ends_with("the hole is at 7,600 ft, 350 ft above the band"),
            "{near}"
        );
        let inside = on_screen(&n, Some(8_100.0)).expect("inside");
        assert!(inside.ends_with("inside the band"), "{inside}");
        assert_eq!(on_screen(&n, Some(9_000.0)), None, "drilled past");
        let mut no_band = losses();
        no_band.depth_from_ft = None;
        no_band.depth_to_ft = None;
        assert!(
            on_screen(&no_band, Some(2_000.0)).is_some(),
            "the whole region is warned"
        );
    }
}
