//! Durations as text at the interface ("1h30m", "45m", "90s", "2h", "1.5h", "1d").
//!
//! Inside the engine every duration is seconds (`f64`). The text form accepts one or
//! more `<number><unit>` parts with units `d`, `h`, `m`, `s` in that order, each at
//! most once, e.g. `1h30m`, `2m30s`, `0s`. A bare number is refused: "5" could be
//! seconds or minutes, and a drill that runs 60× too long is a wasted morning.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of simulated time, in seconds, written as text in files.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Duration(pub f64);

impl Duration {
    /// Seconds.
    pub fn secs(self) -> f64 {
        self.0
    }

    /// From seconds.
    pub fn from_secs(s: f64) -> Self {
        Duration(s)
    }
}

/// Why a duration text was refused.
pub const DURATION_EXPECTED: &str =
    "a duration like \"1h30m\", \"45m\", \"90s\" or \"1.5h\" (units d, h, m, s)";

/// Why a duration text was refused: each case says what was expected and, where one
/// exists, the text to write instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was written.
    #[error("expected {DURATION_EXPECTED}, found an empty string")]
    Empty,
    /// Not `<number><unit>` parts in d, h, m, s order.
    #[error("expected {DURATION_EXPECTED}, found \"{0}\"")]
    Malformed(String),
    /// A number with no unit (`"5"`).
    #[error(
        "expected {DURATION_EXPECTED}, found \"{shown}\"; a bare number has no unit: write \"{number}s\" for seconds or \"{number}m\" for minutes"
    )]
    BareNumber {
        /// The text as given (shortened).
        shown: String,
        /// The number without a unit.
        number: String,
    },
    /// More than [`MAX_DURATION_S`].
    #[error("duration \"{0}\" is longer than the longest accepted, 366 days (\"366d\")")]
    TooLong(String),
    /// A fraction on a part other than the last (`"1.5h30m"`).
    #[error("duration \"{shown}\": only the last part may have a fraction; write \"{canonical}\"")]
    FractionNotLast {
        /// The text as given (shortened).
        shown: String,
        /// The same duration written as it should be.
        canonical: String,
    },
    /// A later part not below one of the unit before it (`"1h60m"`).
    #[error("duration \"{shown}\": {part} is not less than 1{unit_before}; write \"{canonical}\"")]
    PartTooLarge {
        /// The text as given (shortened).
        shown: String,
        /// The part that is too large (`60m`).
        part: String,
        /// The unit before it.
        unit_before: char,
        /// The same duration written as it should be.
        canonical: String,
    },
    /// A bare number of seconds out of range (series files accept bare seconds).
    #[error("expected seconds from 0 to {max} (366 days), found {found}")]
    SecondsOutOfRange {
        /// The most accepted, s.
        max: f64,
        /// The number found.
        found: String,
    },
}

/// The longest duration accepted anywhere (a drill, a series time, an order time): 366
/// days. Longer spans are typing mistakes, and an unbounded one overflows arithmetic.
pub const MAX_DURATION_S: f64 = 366.0 * 86400.0;

/// Parse a duration text into seconds.
///
/// Rules: one or more `<number><unit>` parts, units `d`, `h`, `m`, `s` in that order and
/// each at most once; a number is digits with an optional fraction (`1.5`), and only the
/// last part may have a fraction. The first part may be any size (`90s`, `36h`), a later
/// part must be below one of the next larger unit (`1h60m`, `1h90s` is refused, with "write 2h").
/// At most [`MAX_DURATION_S`].
pub fn parse_duration(text: &str) -> Result<f64, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let shown: String = if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_string()
    };
    let bad = || DurationError::Malformed(shown.clone());
    const UNITS: [char; 4] = ['d', 'h', 'm', 's'];
    const SIZE: [f64; 4] = [86400.0, 3600.0, 60.0, 1.0];
    // Parts as (value, unit index).
    let mut parts: Vec<(f64, usize, bool)> = Vec::new();
    let mut num = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
        } else if let Some(u) = UNITS.iter().position(|&o| o == ch) {
            let well_formed = !num.is_empty()
                && num.matches('.').count() <= 1
                && !num.starts_with('.')
                && !num.ends_with('.');
            if !well_formed || parts.last().is_some_and(|&(_, l, _)| u <= l) {
                return Err(bad());
            }
            let v: f64 = num.parse().map_err(|_| bad())?;
            parts.push((v, u, num.contains('.')));
            num.clear();
        } else if ch.is_whitespace() {
            if !num.is_empty() {
                return Err(bad());
            }
        } else {
            return Err(bad());
        }
    }
    if !num.is_empty() || parts.is_empty() {
        if !num.is_empty() && parts.is_empty() && num.parse::<f64>().is_ok() {
            return Err(DurationError::BareNumber { shown, number: num });
        }
        return Err(bad());
    }
    let total: f64 = parts.iter().map(|&(v, u, _)| v * SIZE[u]).sum();
    if !total.is_finite() || total > MAX_DURATION_S {
        return Err(DurationError::TooLong(shown));
    }
    let canonical = || format_duration(total);
    for (k, &(v, u, frac)) in parts.iter().enumerate() {
        if frac && k + 1 < parts.len() {
            return Err(DurationError::FractionNotLast {
                shown,
                canonical: canonical(),
            });
        }
        if k > 0 {
            // Below one of the next larger unit, whichever unit came before.
            let prev = u - 1;
            let limit = SIZE[prev] / SIZE[u];
            if v >= limit {
                return Err(DurationError::PartTooLarge {
                    shown,
                    part: format!("{v}{}", UNITS[u]),
                    unit_before: UNITS[prev],
                    canonical: canonical(),
                });
            }
        }
    }
    Ok(total)
}

/// Format seconds as the shortest duration text ("1h30m", "45s", "2h").
pub fn format_duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return format!("{secs}s");
    }
    let whole = secs.floor();
    let frac = secs - whole;
    let mut rest = whole as u64;
    let mut out = String::new();
    for (unit, size) in [("d", 86400u64), ("h", 3600), ("m", 60)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if rest > 0 || frac > 0.0 || out.is_empty() {
        if frac > 0.0 {
            let s = format!("{:.3}", rest as f64 + frac);
            out.push_str(s.trim_end_matches('0').trim_end_matches('.'));
        } else {
            out.push_str(&rest.to_string());
        }
        out.push('s');
    }
    out
}

/// Format seconds since scenario start as a clock `H:MM:SS`.
pub fn format_clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `deserialize_any`, so that a bare number reaches the visitor and is refused
        // with the form to write instead of the parser's "Expected string".
        d.deserialize_any(DurationVisitor)
    }
}

struct DurationVisitor;

impl DurationVisitor {
    fn bare<E: serde::de::Error>(n: impl std::fmt::Display) -> E {
        E::custom(format!(
            "a duration is text such as \"1h30m\" or \"90s\", found the bare number {n}; \
             write \"{n}s\" for seconds or \"{n}m\" for minutes"
        ))
    }
}

impl serde::de::Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{DURATION_EXPECTED}")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map(Duration).map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
        Err(Self::bare(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
        Err(Self::bare(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Duration, E> {
        Err(Self::bare(crate::scenario::duration::short_number(v)))
    }
}

/// A number for a message: at most 6 significant digits, no exponent below 1e9.
pub fn short_number(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e9).contains(&a) {
        return format!("{v:.3e}");
    }
    let s = format!(
        "{:.*}",
        (5 - a.log10().floor().max(0.0) as i64).max(0) as usize,
        v
    );
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration("45m"), Ok(2700.0));
        assert_eq!(parse_duration("90s"), Ok(90.0));
        assert_eq!(parse_duration("1.5h"), Ok(5400.0));
        assert_eq!(parse_duration("1d2h"), Ok(93600.0));
        assert_eq!(parse_duration("0s"), Ok(0.0));
        assert_eq!(parse_duration("2m 30s"), Ok(150.0));
    }

    #[test]
    fn refuses_ambiguous_or_malformed() {
        for bad in [
            "", "5", "h", "1x", "30m1h", "1h1h", "-5m", "1..5h", "m5", "1.h", ".5h", "1 5m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn overflowing_units_are_refused_with_the_canonical_form() {
        let e = parse_duration("1h60m").unwrap_err().to_string();
        assert!(e.contains("write \"2h\""), "{e}");
        let e = parse_duration("1m60s").unwrap_err().to_string();
        assert!(e.contains("write \"2m\""), "{e}");
        let e = parse_duration("1d24h").unwrap_err().to_string();
        assert!(e.contains("write \"2d\""), "{e}");
        let e = parse_duration("1h90s").unwrap_err().to_string();
        assert!(e.contains("write \"1h1m30s\""), "{e}");
        let e = parse_duration("1.5h30m").unwrap_err().to_string();
        assert!(e.contains("write \"2h\""), "{e}");
        // The first part may be any size, and a later part just below the limit is fine.
        assert_eq!(parse_duration("90s"), Ok(90.0));
        assert_eq!(parse_duration("36h"), Ok(129600.0));
        assert_eq!(parse_duration("1h59m59.5s"), Ok(7199.5));
    }

    #[test]
    fn durations_beyond_366_days_are_refused() {
        for bad in ["99999999999999999999999d", "367d", "9000h", "1e400s"] {
            let e = parse_duration(bad).unwrap_err().to_string();
            assert!(e.contains("366") || e.contains("expected"), "{bad}: {e}");
        }
        assert_eq!(parse_duration("366d"), Ok(MAX_DURATION_S));
        let e = parse_duration("99999999999999999999999d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("366 days"), "{e}");
    }

    #[test]
    fn a_bare_number_says_durations_are_text() {
        let e = parse_duration("5").unwrap_err().to_string();
        assert!(e.contains("\"5s\"") && e.contains("\"5m\""), "{e}");
        let e = ron::from_str::<Duration>("300").unwrap_err().to_string();
        assert!(
            e.contains("a duration is text such as \"1h30m\" or \"90s\"") && e.contains("300"),
            "{e}"
        );
        assert_eq!(
            ron::from_str::<Duration>("\"5m\"").unwrap(),
            Duration(300.0)
        );
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(1e300), "1.000e300");
        assert_eq!(short_number(0.1 + 0.2), "0.3");
        assert_eq!(short_number(12.5), "12.5");
        assert_eq!(short_number(123456.789), "123457");
        assert_eq!(short_number(-3.0), "-3");
    }

    #[test]
    fn formats_round_trip() {
        for s in [0.0, 5.0, 60.0, 5400.0, 93600.0, 3725.0, 2.5] {
            assert_eq!(parse_duration(&format_duration(s)), Ok(s));
        }
        assert_eq!(format_duration(5400.0), "1h30m");
        assert_eq!(format_clock(3725.0), "1:02:05");
    }
}
