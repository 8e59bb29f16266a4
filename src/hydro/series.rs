//! Time series (rain, inflow, stage): points in time, interpolated linearly or held
//! stepwise, with exact integrals over an interval.
//!
//! Values keep the unit of their source (mm/h for rain, m³/s or m²/s for inflows, m
//! for stages); the user of a series says what it means. Times are seconds since the
//! scenario start. Before the first point the first value holds, after the last point
//! the last value holds.
//!
//! **Steps.** Times must not decrease. Two consecutive points at the same time are a
//! jump: the first point's value holds (or is approached) just before that time and the
//! second's from that time on, and integrals are exact across it — a rain that starts
//! at 60 mm/h at 10 min is `(10m, 0), (10m, 60)`, with no fake one-second ramp. Three or
//! more points at one time, or a time before the previous one, are errors at that
//! point's line.
//!
//! Two file layouts are read (UTF-8, a byte-order mark is accepted), each error naming
//! the file and the 1-based line (and the column for a misplaced time):
//! - **CSV**: a header line (e.g. `time_s,value`), then `time,value` rows; the time is
//!   seconds or duration text (`90`, `90s`, `15m`, `1h30m`, `2d`).
//! - **LISFLOOD-FP** (`.bdy`-style, used in `shared/data/validation`): comment lines
//!   starting with `#`, optionally a name line, then `N seconds` (or `minutes`, `hours`),
//!   then N lines of `value time`. Several such blocks may follow each other.

use std::path::Path;

/// How a series is evaluated between its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Interp {
    /// Linear between points.
    Linear,
    /// Each value holds from its time until the next point.
    Step,
}

/// Most points a series may have (a year at one point per 3 s); a file declaring more
/// is refused before anything is allocated.
pub const MAX_SERIES_POINTS: usize = 10_000_000;

/// A series that could not be built or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.located())]
pub struct SeriesError {
    /// File (or other origin) of the series.
    pub origin: String,
    /// 1-based line (0 when the error is not tied to a line).
    pub line: usize,
    /// 1-based column (0 when not known).
    pub col: usize,
    /// What was wrong and what was expected.
    pub message: String,
    /// Index (0-based) of the point the error is about, if it is about one.
    pub point: Option<usize>,
}

impl SeriesError {
    fn new(origin: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            origin: origin.to_string(),
            line,
            col: 0,
            message: message.into(),
            point: None,
        }
    }

    fn at_point(k: usize, message: impl Into<String>) -> Self {
        Self {
            point: Some(k),
            ..Self::new("series", 0, message)
        }
    }

    fn located(&self) -> String {
        match (self.line, self.col) {
            (0, _) => format!("{}: {}", self.origin, self.message),
            (l, 0) => format!("{}:{l}: {}", self.origin, self.message),
            (l, c) => format!("{}:{l}:{c}: {}", self.origin, self.message),
        }
    }
}

/// A time series of `(time_s, value)` points.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "SeriesPoints")]
pub struct Series {
    /// Name (from the file's name line, or empty).
    pub name: String,
    t: Vec<f64>,
    v: Vec<f64>,
    interp: Interp,
    /// Integral from `t[0]` to `t[k]`.
    #[serde(skip)]
    cum: Vec<f64>,
}

/// What a saved [`Series`] holds; the integrals are rebuilt on load.
#[derive(serde::Deserialize)]
struct SeriesPoints {
    name: String,
    t: Vec<f64>,
    v: Vec<f64>,
    interp: Interp,
}

impl From<SeriesPoints> for Series {
    fn from(p: SeriesPoints) -> Self {
        let mut s = Self {
            name: p.name,
            t: p.t,
            v: p.v,
            interp: p.interp,
            cum: Vec::new(),
        };
        s.build_cum();
        s
    }
}

impl Series {
    /// A series from points; times and values must be finite, times must not decrease,
    /// and there must be at least one point. Two consecutive points at the same time
    /// are a jump (see the module notes); three at one time are refused.
    pub fn new(points: &[(f64, f64)], interp: Interp) -> Result<Self, SeriesError> {
        if points.is_empty() {
            return Err(SeriesError::new(
                "series",
                0,
                "a series needs at least one point",
            ));
        }
        if points.len() > MAX_SERIES_POINTS {
            return Err(SeriesError::new(
                "series",
                0,
                format!(
                    "{} points, more than the limit of {MAX_SERIES_POINTS}",
                    points.len()
                ),
            ));
        }
        let num = crate::scenario::duration::short_number;
        for (k, &(t, v)) in points.iter().enumerate() {
            if !t.is_finite() || !v.is_finite() {
                return Err(SeriesError::at_point(
                    k,
                    format!("point {}: ({}, {}) is not finite", k + 1, num(t), num(v)),
                ));
            }
            if k > 0 && t < points[k - 1].0 {
                return Err(SeriesError::at_point(
                    k,
                    format!(
                        "point {}: time {} is before the previous point's {}; times must not \
                         decrease",
                        k + 1,
                        format_time(t),
                        format_time(points[k - 1].0)
                    ),
                ));
            }
            if k > 1 && t == points[k - 1].0 && t == points[k - 2].0 {
                return Err(SeriesError::at_point(
                    k,
                    format!(
                        "point {}: a third point at time {}; a step is two points at the same \
                         time (the value just before, then the value from that time on)",
                        k + 1,
                        format_time(t)
                    ),
                ));
            }
        }
        let mut s = Self {
            name: String::new(),
            t: points.iter().map(|p| p.0).collect(),
            v: points.iter().map(|p| p.1).collect(),
            interp,
            cum: Vec::new(),
        };
        s.build_cum();
        Ok(s)
    }

    /// A constant value.
    pub fn constant(v: f64) -> Self {
        Self::new(&[(0.0, v)], Interp::Step).expect("one finite point")
    }

    fn build_cum(&mut self) {
        let mut cum = Vec::with_capacity(self.t.len());
        cum.push(0.0);
        for k in 1..self.t.len() {
            let dt = self.t[k] - self.t[k - 1];
            let seg = match self.interp {
                Interp::Linear => 0.5 * (self.v[k] + self.v[k - 1]) * dt,
                Interp::Step => self.v[k - 1] * dt,
            };
            cum.push(cum[k - 1] + seg);
        }
        self.cum = cum;
    }

    /// The points `(time_s, value)`.
    pub fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.t.iter().copied().zip(self.v.iter().copied())
    }

    /// Interpolation mode.
    pub fn interp(&self) -> Interp {
        self.interp
    }

    /// Time of the last point, s.
    pub fn end_time(&self) -> f64 {
        *self.t.last().expect("non-empty")
    }

    /// The same series with every value multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        let mut s = self.clone();
        for v in &mut s.v {
            *v *= factor;
        }
        s.build_cum();
        s
    }

    /// Value at time `t` (s).
    pub fn value_at(&self, t: f64) -> f64 {
        let n = self.t.len();
        // Strictly before the first point: at a jump on the first time, the second
        // value holds from that time on.
        if t < self.t[0] {
            return self.v[0];
        }
        if t >= self.t[n - 1] {
            return self.v[n - 1];
        }
        // k: last point with t[k] <= t (k < n-1 here, and t[k+1] > t, so a jump's
        // zero-width gap is never divided by).
        let k = self.t.partition_point(|&x| x <= t) - 1;
        match self.interp {
            Interp::Step => self.v[k],
            Interp::Linear => {
                let a = (t - self.t[k]) / (self.t[k + 1] - self.t[k]);
                self.v[k] + a * (self.v[k + 1] - self.v[k])
            }
        }
    }

    /// Integral from `t[0]` to `t` (negative before `t[0]`).
    fn cumulative(&self, t: f64) -> f64 {
        let n = self.t.len();
        if t <= self.t[0] {
            return (t - self.t[0]) * self.v[0];
        }
        if t >= self.t[n - 1] {
            return self.cum[n - 1] + (t - self.t[n - 1]) * self.v[n - 1];
        }
        let k = self.t.partition_point(|&x| x <= t) - 1;
        let dt = t - self.t[k];
        let seg = match self.interp {
            Interp::Step => self.v[k] * dt,
            Interp::Linear => 0.5 * (self.v[k] + self.value_at(t)) * dt,
        };
        self.cum[k] + seg
    }

    /// Exact integral of the series over `[t0, t1]` (value × s).
    pub fn integral(&self, t0: f64, t1: f64) -> f64 {
        self.cumulative(t1) - self.cumulative(t0)
    }

    /// Mean value over `[t0, t1]`; the value at `t0` if the interval is empty.
    pub fn mean(&self, t0: f64, t1: f64) -> f64 {
        if t1 > t0 {
            self.integral(t0, t1) / (t1 - t0)
        } else {
            self.value_at(t0)
        }
    }

    /// Read a CSV series (`time,value` with a header line).
    pub fn read_csv(path: &Path, interp: Interp) -> Result<Self, SeriesError> {
        let text = read(path)?;
        Self::parse_csv(&path.display().to_string(), &text, interp)
    }

    /// Read a series file: CSV (`time,value` with a header) when its first data line
    /// has a comma, else the first series of the `value time` layout; linear.
    pub fn read_file(path: &Path) -> Result<Self, SeriesError> {
        let text = read(path)?;
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        let origin = path.display().to_string();
        if first.contains(',') {
            Self::parse_csv(&origin, &text, Interp::Linear)
        } else {
            Self::parse_lisflood_all(&origin, &text).map(|mut v| v.remove(0))
        }
    }

    /// Parse CSV text; `origin` names the source in errors.
    pub fn parse_csv(origin: &str, text: &str, interp: Interp) -> Result<Self, SeriesError> {
        let text = crate::text::strip_bom(text);
        let mut pts: Vec<(f64, f64)> = Vec::new();
        let mut spots: Vec<(usize, usize)> = Vec::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let lineno = i + 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                header_seen = true;
                let first = line.split(',').next().unwrap_or("").trim();
                if first.parse::<f64>().is_ok() || parse_duration(first).is_ok() {
                    return Err(SeriesError::new(
                        origin,
                        lineno,
                        "expected a header line such as `time_s,value` before the data",
                    ));
                }
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            if cols.len() != 2 {
                return Err(SeriesError::new(
                    origin,
                    lineno,
                    format!("expected 2 columns `time,value`, found {}", cols.len()),
                ));
            }
            if pts.len() == MAX_SERIES_POINTS {
                return Err(SeriesError::new(
                    origin,
                    lineno,
                    format!("more than {MAX_SERIES_POINTS} points, the limit for a series"),
                ));
            }
            let t = parse_duration(cols[0]).map_err(|e| {
                SeriesError::new(
                    origin,
                    lineno,
                    format!(
                        "time `{}`: expected seconds or a duration like `1h30m` ({e})",
                        cols[0]
                    ),
                )
            })?;
            let v: f64 = cols[1].parse().map_err(|_| {
                SeriesError::new(
                    origin,
                    lineno,
                    format!("value `{}`: expected a number", cols[1]),
                )
            })?;
            pts.push((t, v));
            // The time is the first thing on the line.
            let col = raw.chars().take_while(|c| c.is_whitespace()).count() + 1;
            spots.push((lineno, col));
        }
        if pts.is_empty() {
            return Err(SeriesError::new(
                origin,
                text.lines().count(),
                "no data rows",
            ));
        }
        Self::new(&pts, interp).map_err(|e| relocate(e, origin, &spots))
    }

    /// Read the first series of a LISFLOOD-FP layout file.
    pub fn read_lisflood(path: &Path) -> Result<Self, SeriesError> {
        let text = read(path)?;
        let origin = path.display().to_string();
        let mut all = Self::parse_lisflood_all(&origin, &text)?;
        Ok(all.remove(0))
    }

    /// Parse every series block of LISFLOOD-FP layout text (linear interpolation).
    pub fn parse_lisflood_all(origin: &str, text: &str) -> Result<Vec<Self>, SeriesError> {
        let text = crate::text::strip_bom(text);
        let mut out = Vec::new();
        let mut it = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| {
                let l = l.trim();
                !l.is_empty() && !l.starts_with('#')
            })
            .peekable();
        while let Some((lineno, raw)) = it.next() {
            let line = raw.trim();
            let (name, count_line) = match parse_count(origin, lineno, line)? {
                Some(c) => (String::new(), Some((lineno, c))),
                None => (line.to_string(), None),
            };
            let (count_lineno, (count, scale)) = match count_line {
                Some(c) => c,
                None => {
                    let Some((l2, raw2)) = it.next() else {
                        return Err(SeriesError::new(
                            origin,
                            lineno,
                            "expected `N seconds` after the series name, found the end of the file",
                        ));
                    };
                    let text2 = raw2.trim();
                    let c = parse_count(origin, l2, text2)?.ok_or_else(|| {
                        SeriesError::new(
                            origin,
                            l2,
                            format!(
                                "expected `N seconds` (point count and time unit), found `{text2}`"
                            ),
                        )
                    })?;
                    (l2, c)
                }
            };
            // The count is only a promise: grow as the rows arrive, never allocate it.
            let mut pts = Vec::new();
            let mut spots = Vec::new();
            for k in 0..count {
                let Some((l, raw_row)) = it.next() else {
                    return Err(SeriesError::new(
                        origin,
                        count_lineno,
                        format!("header promises {count} points, the file ends after {k}"),
                    ));
                };
                let row = raw_row.trim();
                let mut toks = row.split_ascii_whitespace();
                let (Some(a), Some(b), None) = (toks.next(), toks.next(), toks.next()) else {
                    return Err(SeriesError::new(
                        origin,
                        l,
                        format!("expected `value time`, found `{row}`"),
                    ));
                };
                let v: f64 = a.parse().map_err(|_| {
                    SeriesError::new(origin, l, format!("value `{a}`: expected a number"))
                })?;
                let t: f64 = b.parse().map_err(|_| {
                    SeriesError::new(origin, l, format!("time `{b}`: expected a number"))
                })?;
                pts.push((t * scale, v));
                // Column of the time token (the second one), in characters.
                let byte = b.as_ptr() as usize - raw_row.as_ptr() as usize;
                spots.push((l, raw_row[..byte].chars().count() + 1));
            }
            let mut s = Self::new(&pts, Interp::Linear).map_err(|e| relocate(e, origin, &spots))?;
            s.name = name;
            out.push(s);
        }
        if out.is_empty() {
            return Err(SeriesError::new(
                origin,
                text.lines().count(),
                "no series in the file",
            ));
        }
        Ok(out)
    }
}

/// A time for a message: duration text when it is one, else seconds.
fn format_time(t: f64) -> String {
    if t.is_finite() && t >= 0.0 {
        crate::scenario::format_duration(t)
    } else {
        format!("{} s", crate::scenario::duration::short_number(t))
    }
}

fn read(path: &Path) -> Result<String, SeriesError> {
    crate::text::read_text(path).map_err(|e| {
        let (line, col) = e.position();
        SeriesError {
            col,
            ..SeriesError::new(&path.display().to_string(), line, e.reason())
        }
    })
}

/// Point errors from [`Series::new`] name a point; give them its file line and column.
fn relocate(e: SeriesError, origin: &str, spots: &[(usize, usize)]) -> SeriesError {
    let (line, col) = e
        .point
        .and_then(|k| spots.get(k).copied())
        .unwrap_or((0, 0));
    SeriesError {
        origin: origin.to_string(),
        line,
        col,
        ..e
    }
}

/// `N seconds|minutes|hours` → (N, seconds per unit); `None` when the line is not a
/// count line (it may be a name), an error when it is one with a count above
/// [`MAX_SERIES_POINTS`].
fn parse_count(
    origin: &str,
    lineno: usize,
    line: &str,
) -> Result<Option<(usize, f64)>, SeriesError> {
    let mut toks = line.split_ascii_whitespace();
    let (Some(n), Some(unit), None) = (toks.next(), toks.next(), toks.next()) else {
        return Ok(None);
    };
    let scale = match unit.to_ascii_lowercase().as_str() {
        "seconds" | "second" | "s" => 1.0,
        "minutes" | "minute" | "min" => 60.0,
        "hours" | "hour" | "h" => 3600.0,
        "days" | "day" | "d" => 86400.0,
        _ => return Ok(None),
    };
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let too_many = || {
        SeriesError::new(
            origin,
            lineno,
            format!(
                "the header declares {} points, more than the limit of {MAX_SERIES_POINTS} for \
                 a series",
                if n.len() > 24 {
                    format!("{}… ({} digits)", &n[..12], n.len())
                } else {
                    n.to_string()
                }
            ),
        )
    };
    let count: usize = n.parse().map_err(|_| too_many())?;
    if count > MAX_SERIES_POINTS {
        return Err(too_many());
    }
    Ok(Some((count, scale)))
}

/// Parse a series file's time: a bare number of seconds (`90`, `5400.5`), or duration
/// text under the same rules as everywhere else ([`crate::scenario::parse_duration`]:
/// `"1h30m"`, `"90s"`, `"2.5h"`, at most 366 days; `"1h60m"` is refused). Returns
/// seconds.
pub fn parse_duration(text: &str) -> Result<f64, crate::scenario::DurationError> {
    let s = text.trim();
    if let Ok(v) = s.parse::<f64>() {
        let max = crate::scenario::duration::MAX_DURATION_S;
        return if v.is_finite() && (0.0..=max).contains(&v) && !s.ends_with('.') {
            Ok(v)
        } else {
            Err(crate::scenario::DurationError::SecondsOutOfRange {
                max,
                found: crate::scenario::duration::short_number(v),
            })
        };
    }
    crate::scenario::parse_duration(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_value_and_exact_integral() {
        let s = Series::new(&[(0.0, 0.0), (10.0, 10.0), (20.0, 0.0)], Interp::Linear).unwrap();
        assert_eq!(s.value_at(5.0), 5.0);
        assert_eq!(s.value_at(-1.0), 0.0);
        assert_eq!(s.value_at(25.0), 0.0);
        assert!((s.integral(0.0, 20.0) - 100.0).abs() < 1e-12);
        assert!((s.integral(5.0, 15.0) - 75.0).abs() < 1e-12);
        assert!((s.mean(0.0, 10.0) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn step_holds_values() {
        let s = Series::new(&[(0.0, 2.0), (10.0, 4.0)], Interp::Step).unwrap();
        assert_eq!(s.value_at(9.99), 2.0);
        assert_eq!(s.value_at(10.0), 4.0);
        assert!((s.integral(5.0, 15.0) - (5.0 * 2.0 + 5.0 * 4.0)).abs() < 1e-12);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration("90"), Ok(90.0));
        assert_eq!(parse_duration("2.5h"), Ok(9000.0));
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn series_durations_share_the_scenario_rules() {
        let e = parse_duration("1h60m").unwrap_err().to_string();
        assert!(e.contains("write \"2h\""), "{e}");
        assert!(parse_duration("99999999999999999999999d").is_err());
        assert!(parse_duration("1e300").is_err());
        assert!(parse_duration("-5").is_err());
        let e = Series::parse_csv("g.csv", "time,value\n0,1\n1h60m,2\n", Interp::Linear)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("g.csv:3:") && e.contains("write \"2h\""),
            "{e}"
        );
    }

    #[test]
    fn step_change_value_and_integral_are_exact() {
        // 0 until 10 s, then 5 from 10 s on: no ramp.
        let s = Series::new(
            &[(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (20.0, 5.0)],
            Interp::Linear,
        )
        .unwrap();
        assert_eq!(s.value_at(9.999), 0.0);
        assert_eq!(s.value_at(10.0), 5.0);
        assert_eq!(s.value_at(15.0), 5.0);
        assert_eq!(s.integral(0.0, 20.0), 50.0);
        assert_eq!(s.integral(5.0, 15.0), 25.0);
        assert_eq!(s.integral(9.0, 10.0), 0.0);
        assert_eq!(s.integral(10.0, 11.0), 5.0);
        assert_eq!(s.mean(8.0, 12.0), 2.5);
        // A ramp into the step and out of it: the jump's two sides are the two values.
        let r = Series::new(
            &[(0.0, 0.0), (10.0, 10.0), (10.0, 2.0), (20.0, 0.0)],
            Interp::Linear,
        )
        .unwrap();
        assert_eq!(r.value_at(5.0), 5.0);
        assert_eq!(r.value_at(10.0), 2.0);
        assert_eq!(r.integral(0.0, 20.0), 50.0 + 10.0);
        // A jump at the first time: the second value from that time on.
        let f = Series::new(&[(0.0, 1.0), (0.0, 3.0), (10.0, 3.0)], Interp::Step).unwrap();
        assert_eq!(f.value_at(0.0), 3.0);
        assert_eq!(f.value_at(-1.0), 1.0);
        assert_eq!(f.integral(0.0, 10.0), 30.0);
        // And at the last.
        let l = Series::new(&[(0.0, 1.0), (10.0, 1.0), (10.0, 4.0)], Interp::Linear).unwrap();
        assert_eq!(l.value_at(10.0), 4.0);
        assert_eq!(l.integral(0.0, 12.0), 10.0 + 8.0);
    }

    #[test]
    fn three_points_at_one_time_or_decreasing_times_are_errors_at_their_line() {
        let e = Series::parse_csv(
            "g.csv",
            "time,value\n0,1\n10,1\n10,2\n  10,3\n",
            Interp::Linear,
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (5, 3), "{e}");
        assert!(e.message.contains("third point"), "{e}");
        let e = Series::parse_lisflood_all("r.txt", "3 seconds\n1 0\n1 20\n1   10\n").unwrap_err();
        assert_eq!((e.line, e.col), (4, 5), "{e}");
        assert!(
            e.to_string()
                .starts_with("r.txt:4:5: point 3: time 10s is before"),
            "{e}"
        );
    }

    #[test]
    fn huge_declared_point_counts_are_refused_before_allocating() {
        for n in [
            "18446744073709551615",
            "1000000000000",
            "99999999999999999999999999",
        ] {
            let text = format!("{n} seconds\n1 0\n");
            let e = Series::parse_lisflood_all("r.txt", &text).unwrap_err();
            assert_eq!(e.line, 1, "{e}");
            assert!(e.message.contains("limit of 10000000"), "{n}: {e}");
        }
        // Within the limit but far more than the file holds: refused without allocating.
        let e = Series::parse_lisflood_all("r.txt", "9999999 seconds\n1 0\n").unwrap_err();
        assert!(e.message.contains("ends after 1"), "{e}");
    }
}
