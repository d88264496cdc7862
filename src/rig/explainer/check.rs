//! What the model is asked, and whether its answer may be shown: the advisory's facts as the only
//! numbers it may use, and an answer refused when it is empty, too long, or quotes a number that
//! is not among them — a driller must never read a pit gain the sensors did not measure.

use crate::drilling::readings::evidence_label;
use crate::drilling::StrategicAdvisory;

/// Longest explanation shown, characters.
pub const MAX_CHARS: usize = 600;

/// The instruction that comes before every advisory.
pub const SYSTEM: &str = "You explain a drilling-rig alarm to the driller in two or three short, \
plain sentences: what the measurements show and why the recommended action fits. Use only the \
numbers given, exactly as given. Add no new instructions, no numbers of your own, no markdown.";

/// The advisory as the model reads it: its facts, one per line.
pub fn prompt(a: &StrategicAdvisory, depth_ft: Option<f64>) -> String {
    let mut lines = vec![
        format!("Alarm: {} ({}).", a.category.label(), a.risk_level.label()),
        format!("Rig state: {}.", a.rig_state.to_string().replace('_', " ")),
    ];
    if let Some(d) = depth_ft {
        lines.push(format!("Measured depth: {d:.0} ft."));
    }
    for e in &a.physics {
        let mut l = format!(
            "{}: {} {}",
            evidence_label(&e.channel),
            trim(e.value),
            e.unit
        );
        if let Some(b) = e.baseline {
            l.push_str(&format!(" (normally {} {})", trim(b), e.unit));
        }
        if let Some(t) = e.trend_per_min {
            l.push_str(&format!(", changing {} {} per minute", trim(t), e.unit));
        }
        lines.push(format!("{l}."));
    }
    lines.push(format!("Recommended action: {}", a.recommendation));
    lines.push(format!("Why the system raised it: {}", a.reasoning));
    lines.join("\n")
}

/// A value with at most two decimals and no trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Why an answer is not shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Nothing but white space.
    #[error("the answer was empty")]
    Empty,
    /// Longer than [`MAX_CHARS`].
    #[error("the answer was longer than {MAX_CHARS} characters")]
    TooLong,
    /// It quotes a number the advisory does not hold.
    #[error("the answer quotes {0}, which is not in the advisory's evidence")]
    InventedNumber(String),
}

/// The answer as it may be shown (trimmed, on one paragraph), or why not.
pub fn vet(answer: &str, prompt: &str) -> Result<String, Refusal> {
    let text: String = answer.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    if text.chars().count() > MAX_CHARS {
        return Err(Refusal::TooLong);
    }
    let allowed = numbers(prompt);
    for (written, value, decimals) in numbers_written(&text) {
        let scale = 10f64.powi(decimals as i32);
        let matches = allowed.iter().any(|a| {
            // "668 gpm" for 668.4 is the same number, rounded as a person says it.
            (a - value).abs() <= 1e-9 * a.abs().max(1.0)
                || ((a * scale).round() / scale - value).abs() < 1e-9
        });
        if !matches {
            return Err(Refusal::InventedNumber(written));
        }
    }
    Ok(text)
}

fn numbers(text: &str) -> Vec<f64> {
    numbers_written(text)
        .into_iter()
        .map(|(_, v, _)| v)
        .collect()
}

/// Every number in `text`: as written, its value, and its decimals. Thousands separators are
/// read as such ("10,240"); a sign is kept only when it touches the digits.
fn numbers_written(text: &str) -> Vec<(String, f64, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = if i > 0
            && matches!(chars[i - 1], '-' | '+' | '−')
            && (i < 2 || !chars[i - 2].is_alphanumeric())
        {
            i - 1
        } else {
            i
        };
        let mut digits = String::new();
        let mut decimals = 0;
        let mut seen_point = false;
        while i < chars.len() {
            let c = chars[i];
            let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() {
                digits.push(c);
                if seen_point {
                    decimals += 1;
                }
            } else if c == ',' && !seen_point && next_digit {
                // A thousands separator, not a list's comma.
            } else if c == '.' && !seen_point && next_digit {
                seen_point = true;
                digits.push('.');
            } else {
                break;
            }
            i += 1;
        }
        let negative = start < i && matches!(chars[start], '-' | '−');
        if let Ok(v) = digits.parse::<f64>() {
            let written: String = chars[start..i].iter().collect();
            out.push((written, if negative { -v } else { v }, decimals));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kick() -> StrategicAdvisory {
        let path = format!(
            "{}/tests/fixtures/fleet_event.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let event: crate::fleet::FleetEvent =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("event");
        event.advisory
    }

    #[test]
    fn the_prompt_holds_the_evidence_and_the_recommendation() {
        let a = kick();
        let p = prompt(&a, Some(12_450.0));
        assert!(p.contains("Measured depth: 12450 ft."), "{p}");
        assert!(
            p.contains("SPP: 3420 psi (normally 3000 psi), changing 38 psi per minute."),
            "{p}"
        );
        assert!(p.contains(&a.recommendation));
    }

    #[test]
    fn an_answer_quoting_only_the_evidence_passes_and_one_inventing_a_number_does_not() {
        let a = kick();
        let p = prompt(&a, Some(12_450.0));
        let good = "Standpipe pressure is 3,420 psi against a normal 3000 psi and climbing 38 psi \
                    a minute at 12,450 ft:\n cuttings are packing around the string.";
        assert_eq!(
            vet(good, &p).as_deref(),
            Ok("Standpipe pressure is 3,420 psi against a normal 3000 psi and climbing 38 psi a minute at 12,450 ft: cuttings are packing around the string.")
        );
        // As given, or rounded as a person says it: 18.5 kft·lbf said as 19.
        assert!(vet("Torque is up to 18.5 kft·lbf.", &p).is_ok());
        assert!(vet("Torque is up to 19 kft·lbf.", &p).is_ok());
        assert!(vet("Torque is up to 18 kft·lbf.", &p).is_err());
        assert_eq!(
            vet("Pit gain is 12 bbl.", &p),
            Err(Refusal::InventedNumber("12".into()))
        );
        assert_eq!(
            vet("SPP 3,420 psi, expect -200 psi soon.", &p),
            Err(Refusal::InventedNumber("-200".into()))
        );
        assert_eq!(vet(" \n\t", &p), Err(Refusal::Empty));
        assert_eq!(vet(&"word ".repeat(200), &p), Err(Refusal::TooLong));
    }

    #[test]
    fn numbers_are_read_as_written() {
        let found: Vec<(String, f64)> =
            numbers_written("a 10,240 ft, 3.5 bbl, ROP 80, 90 and −2.25.")
                .into_iter()
                .map(|(w, v, _)| (w, v))
                .collect();
        assert_eq!(
            found,
            vec![
                ("10,240".into(), 10_240.0),
                ("3.5".into(), 3.5),
                ("80".into(), 80.0),
                ("90".into(), 90.0),
                ("−2.25".into(), -2.25)
            ]
        );
    }
}
