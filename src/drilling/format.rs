//! Numbers as a driller reads them, the same in advisories on the rig and summaries on the hub.

use std::fmt;

/// Rounded to a whole number with thousands separators: `12,450` for 12,450.4.
pub fn thousands(v: f64) -> String {
    Thousands(v).to_string()
}

/// `thousands` for `format!` arguments: written straight into the output, no `String` of its
/// own (advisory words are rebuilt on every packet of a confirmed trouble).
#[derive(Debug, Clone, Copy)]
pub struct Thousands(pub f64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = self.0.round();
        // `as` saturates: NaN is 0, anything past u64 is u64::MAX (20 digits, 6 separators).
        let mut n = rounded.abs() as u64;
        let mut buf = [0u8; 27];
        let mut at = buf.len();
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                at -= 1;
                buf[at] = b',';
            }
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            digits += 1;
            if n == 0 {
                break;
            }
        }
        if rounded < 0.0 {
            at -= 1;
            buf[at] = b'-';
        }
        f.pad(std::str::from_utf8(&buf[at..]).map_err(|_| fmt::Error)?)
    }
}

/// The text with its first letter in upper case ("pack-off" → "Pack-off").
pub fn capitalise(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b) if b.is_ascii() => {
            let mut out = String::with_capacity(s.len());
            out.push(b.to_ascii_uppercase() as char);
            out.push_str(&s[1..]);
            out
        }
        _ => {
            let mut chars = s.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// A span of time as a driller says it, coarser as it grows: "30 s", "14 min", "47 h", "3 d".
pub fn duration_words(secs: f64) -> String {
    let s = if secs.is_finite() {
        secs.max(0.0) as u64
    } else {
        0
    };
    match s {
        0..60 => format!("{s} s"),
        60..3_600 => format!("{} min", s / 60),
        3_600..172_800 => format!("{} h", s / 3_600),
        _ => format!("{} d", s / 86_400),
    }
}

/// [`duration_words`] rounded to the nearest unit rather than down: a measured 599.7 s offset
/// reads "10 min", not "9 min".
pub fn duration_words_rounded(secs: f64) -> String {
    let s = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
    let unit = match s.round() as u64 {
        0..60 => 1.0,
        60..3_600 => 60.0,
        3_600..172_800 => 3_600.0,
        _ => 86_400.0,
    };
    duration_words((s / unit).round() * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_durations_round_to_their_unit() {
        assert_eq!(duration_words_rounded(599.7), "10 min");
        assert_eq!(duration_words_rounded(570.0), "10 min");
        assert_eq!(duration_words_rounded(569.0), "9 min");
        assert_eq!(duration_words_rounded(31.4), "31 s");
        assert_eq!(duration_words_rounded(5_400.0), "2 h");
    }

    #[test]
    fn durations_grow_coarser() {
        assert_eq!(duration_words(30.4), "30 s");
        assert_eq!(duration_words(14.0 * 60.0 + 59.0), "14 min");
        assert_eq!(duration_words(47.0 * 3_600.0), "47 h");
        assert_eq!(duration_words(3.0 * 86_400.0), "3 d");
        assert_eq!(duration_words(f64::NAN), "0 s");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(12_450.4), "12,450");
        assert_eq!(thousands(3_012.4), "3,012");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1_234_567.0), "-1,234,567");
        assert_eq!(thousands(0.2), "0");
        assert_eq!(thousands(-0.2), "0");
        assert_eq!(thousands(f64::NAN), "0");
        assert_eq!(thousands(1e30), "18,446,744,073,709,551,615");
        assert_eq!(format!("[{:>7}]", Thousands(1_234.0)), "[  1,234]");
    }

    #[test]
    fn capitals_for_ascii_and_beyond() {
        assert_eq!(capitalise("pack-off"), "Pack-off");
        assert_eq!(capitalise("élan"), "Élan");
        assert_eq!(capitalise(""), "");
    }
}
