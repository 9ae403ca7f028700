//! Short durations as people type them on a command line: `90s`, `10m`, `12h`, `30d`.
//!
//! One number and one unit, nothing else: `certdesk practice serve --validity 10m` and
//! `certdesk watch --renew-within 5m` take the same form. A parser of its own rather than a
//! crate because the grammar is four letters wide and the messages are certdesk's (which forms
//! are accepted, in the error itself).

use std::time::Duration;

/// The longest duration accepted (100 years): enough for any certificate, small enough that
/// adding it to a date cannot overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Why a duration was refused, in plain words (for a usage error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub String);

impl std::fmt::Display for DurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurationError {}

/// Parses `<n>s`, `<n>m`, `<n>h` or `<n>d` (seconds, minutes, hours, days; `n` a whole number
/// above 0, at most [`MAX_DURATION`]).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let refuse = |why: &str| {
        DurationError(format!(
            "\"{text}\" is not a duration{why}: write a whole number and a unit, e.g. 90s, 10m, 12h or 30d"
        ))
    };
    let t = text.trim();
    let Some(unit) = t.chars().last() else {
        return Err(refuse(""));
    };
    let secs_per: u64 = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(refuse(" (no unit)")),
    };
    let digits = &t[..t.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse(""));
    }
    let n: u64 = digits.parse().map_err(|_| refuse(" (too long)"))?;
    if n == 0 {
        return Err(refuse(" (it must be more than 0)"));
    }
    let secs = n
        .checked_mul(secs_per)
        .filter(|s| *s <= MAX_DURATION.as_secs())
        .ok_or_else(|| refuse(" (more than 100 years)"))?;
    Ok(Duration::from_secs(secs))
}

/// A duration in the largest unit that divides it exactly (`600 s` → `10m`): the form
/// [`parse_duration`] reads back.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, per) in [('d', 86_400), ('h', 3600), ('m', 60)] {
        if s >= per && s.is_multiple_of(per) {
            return format!("{}{unit}", s / per);
        }
    }
    format!("{s}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_its_round_trip() {
        for (text, secs) in [
            ("90s", 90),
            ("10m", 600),
            ("12h", 43_200),
            ("90d", 7_776_000),
            (" 5M ", 300),
        ] {
            let d = parse_duration(text).expect(text);
            assert_eq!(d.as_secs(), secs, "{text}");
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
    }

    #[test]
    fn refusals_say_what_is_accepted() {
        for bad in [
            "",
            "m",
            "10",
            "10x",
            "-5m",
            "1.5h",
            "0m",
            "10 m",
            "99999999999999999999d",
            "36501d",
            "١٠m",
        ] {
            let e = parse_duration(bad).expect_err(bad);
            assert!(e.0.contains("e.g. 90s, 10m, 12h or 30d"), "{bad}: {e}");
        }
        assert!(parse_duration("36500d").is_ok());
    }
}
