//! Numbers as a driller reads them, the same in advisories on the rig and summaries on the hub.

/// Rounded to a whole number with thousands separators: `12,450` for 12,450.4.
pub fn thousands(v: f64) -> String {
    let rounded = v.round();
    let digits = format!("{}", rounded.abs() as u64);
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// The text with its first letter in upper case ("pack-off" → "Pack-off").
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
