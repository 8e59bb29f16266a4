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

/// Parse a duration text into seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(format!(
            "expected {DURATION_EXPECTED}, found an empty string"
        ));
    }
    let bad = || format!("expected {DURATION_EXPECTED}, found \"{text}\"");
    let order = ['d', 'h', 'm', 's'];
    let mut last_unit: Option<usize> = None;
    let mut total = 0.0f64;
    let mut num = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
        } else if let Some(u) = order.iter().position(|&o| o == ch) {
            if num.is_empty() || last_unit.is_some_and(|l| u <= l) {
                return Err(bad());
            }
            let v: f64 = num.parse().map_err(|_| bad())?;
            total += v * [86400.0, 3600.0, 60.0, 1.0][u];
            last_unit = Some(u);
            num.clear();
        } else if ch.is_whitespace() {
            continue;
        } else {
            return Err(bad());
        }
    }
    if !num.is_empty() || last_unit.is_none() || !total.is_finite() {
        return Err(bad());
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
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(Duration)
            .map_err(serde::de::Error::custom)
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
        for bad in ["", "5", "h", "1x", "30m1h", "1h1h", "-5m", "1..5h", "m5"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should fail");
        }
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
