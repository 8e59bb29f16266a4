//! Time series (rain, inflow, stage): points in time, interpolated linearly or held
//! stepwise, with exact integrals over an interval.
//!
//! Values keep the unit of their source (mm/h for rain, m³/s or m²/s for inflows, m
//! for stages); the user of a series says what it means. Times are seconds since the
//! scenario start. Before the first point the first value holds, after the last point
//! the last value holds.
//!
//! Two file layouts are read, each error naming the file and the 1-based line:
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

/// A series that could not be built or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct SeriesError {
    /// File (or other origin) of the series.
    pub origin: String,
    /// 1-based line (0 when the error is not tied to a line).
    pub line: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

impl SeriesError {
    fn new(origin: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            origin: origin.to_string(),
            line,
            message: message.into(),
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
    /// A series from points; times must be finite and strictly increasing, values
    /// finite, and there must be at least one point.
    pub fn new(points: &[(f64, f64)], interp: Interp) -> Result<Self, SeriesError> {
        if points.is_empty() {
            return Err(SeriesError::new(
                "series",
                0,
                "a series needs at least one point",
            ));
        }
        for (k, &(t, v)) in points.iter().enumerate() {
            if !t.is_finite() || !v.is_finite() {
                return Err(SeriesError::new(
                    "series",
                    0,
                    format!("point {}: ({t}, {v}) is not finite", k + 1),
                ));
            }
            if k > 0 && t <= points[k - 1].0 {
                return Err(SeriesError::new(
                    "series",
                    0,
                    format!(
                        "point {}: time {t} s is not after the previous point's {} s",
                        k + 1,
                        points[k - 1].0
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
        if t <= self.t[0] {
            return self.v[0];
        }
        if t >= self.t[n - 1] {
            return self.v[n - 1];
        }
        // k: last point with t[k] <= t (k < n-1 here).
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

    /// Parse CSV text; `origin` names the source in errors.
    pub fn parse_csv(origin: &str, text: &str, interp: Interp) -> Result<Self, SeriesError> {
        let mut pts: Vec<(f64, f64)> = Vec::new();
        let mut lines: Vec<usize> = Vec::new();
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
                if first.parse::<f64>().is_ok() || parse_duration(first).is_some() {
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
            let t = cols[0]
                .parse::<f64>()
                .ok()
                .or_else(|| parse_duration(cols[0]))
                .ok_or_else(|| {
                    SeriesError::new(
                        origin,
                        lineno,
                        format!(
                            "time `{}`: expected seconds or a duration like `1h30m`",
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
            lines.push(lineno);
        }
        if pts.is_empty() {
            return Err(SeriesError::new(
                origin,
                text.lines().count(),
                "no data rows",
            ));
        }
        Self::new(&pts, interp).map_err(|e| relocate(e, origin, &lines))
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
        let mut out = Vec::new();
        let mut it = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .peekable();
        while let Some((lineno, line)) = it.next() {
            let (name, count_line) = match parse_count(line) {
                Some(c) => (String::new(), Some((lineno, c))),
                None => (line.to_string(), None),
            };
            let (count_lineno, (count, scale)) = match count_line {
                Some(c) => c,
                None => {
                    let Some((l2, text2)) = it.next() else {
                        return Err(SeriesError::new(
                            origin,
                            lineno,
                            "expected `N seconds` after the series name, found the end of the file",
                        ));
                    };
                    let c = parse_count(text2).ok_or_else(|| {
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
            let mut pts = Vec::with_capacity(count);
            let mut lines = Vec::with_capacity(count);
            for k in 0..count {
                let Some((l, row)) = it.next() else {
                    return Err(SeriesError::new(
                        origin,
                        count_lineno,
                        format!("header promises {count} points, the file ends after {k}"),
                    ));
                };
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
                lines.push(l);
            }
            let mut s = Self::new(&pts, Interp::Linear).map_err(|e| relocate(e, origin, &lines))?;
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

fn read(path: &Path) -> Result<String, SeriesError> {
    std::fs::read_to_string(path)
        .map_err(|e| SeriesError::new(&path.display().to_string(), 0, format!("cannot read: {e}")))
}

/// Point errors from [`Series::new`] say "point k"; give them the file line instead.
fn relocate(e: SeriesError, origin: &str, lines: &[usize]) -> SeriesError {
    let k = e
        .message
        .strip_prefix("point ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse::<usize>().ok());
    let line = k.and_then(|k| lines.get(k - 1).copied()).unwrap_or(0);
    SeriesError::new(origin, line, e.message)
}

/// `N seconds|minutes|hours` → (N, seconds per unit).
fn parse_count(line: &str) -> Option<(usize, f64)> {
    let mut toks = line.split_ascii_whitespace();
    let n: usize = toks.next()?.parse().ok()?;
    let unit = toks.next()?.to_ascii_lowercase();
    if toks.next().is_some() {
        return None;
    }
    let scale = match unit.as_str() {
        "seconds" | "second" | "s" => 1.0,
        "minutes" | "minute" | "min" => 60.0,
        "hours" | "hour" | "h" => 3600.0,
        "days" | "day" | "d" => 86400.0,
        _ => return None,
    };
    Some((n, scale))
}

/// Parse duration text: a sequence of `<number><unit>` with units `d`, `h`, `m`, `s`
/// (`"1h30m"`, `"90s"`, `"2.5h"`), or a bare number of seconds. Returns seconds.
pub fn parse_duration(text: &str) -> Option<f64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<f64>() {
        return (v.is_finite() && v >= 0.0).then_some(v);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
            continue;
        }
        let scale = match ch {
            'd' => 86400.0,
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        let v: f64 = num.parse().ok()?;
        total += v * scale;
        num.clear();
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(total)
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
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("90"), Some(90.0));
        assert_eq!(parse_duration("2.5h"), Some(9000.0));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("h"), None);
    }
}
