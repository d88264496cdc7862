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

#[cfg(test)]
mod tests {
    use super::*;

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
