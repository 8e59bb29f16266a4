//! Mutations, one per case, aware of what the file is: RON (scenarios, orders, a
//! replay's embedded scenario), ESRI ASCII grids, GeoJSON layers, series files and
//! replay records. Each returns the new bytes, a one-line description (saved with a
//! finding), and whether the result is an input the engine must refuse (`NaN` for a
//! number, `1h60m` for a duration, a ring that does not close, …) — `validate`
//! accepting one of those is a finding of its own.

// `*r.pick(..)` picks a `&str` out of a `[&str]`; without the `*` inference asks for a `str`.
#![allow(clippy::explicit_auto_deref)]

use crate::rng::Rng;

/// One applied mutation.
pub struct Mutation {
    /// The mutated file.
    pub bytes: Vec<u8>,
    /// What was done, for the findings.
    pub what: String,
    /// The result is bad input that `validate` must refuse.
    pub must_refuse: bool,
}

impl Mutation {
    fn new(bytes: Vec<u8>, what: impl Into<String>, must_refuse: bool) -> Self {
        Mutation {
            bytes,
            what: what.into(),
            must_refuse,
        }
    }
}

/// Numbers that break naive code, with whether they are never a valid value for a
/// number in any input (NaN and the infinities).
pub const NUMBERS: [(&str, bool); 24] = [
    ("NaN", true),
    ("inf", true),
    ("-inf", true),
    ("1e300", false),
    ("-1e308", false),
    ("1e308", false),
    ("0", false),
    ("0.0", false),
    ("-1", false),
    ("-1.0", false),
    ("4294967296", false),
    ("18446744073709551615", false),
    ("99999999999999999999999", false),
    ("1e-300", false),
    ("-0.0", false),
    ("3.5e9", false),
    ("2147483648", false),
    ("9007199254740993", false),
    ("0.5", false),
    ("1e6", false),
    ("1e15", false),
    ("-5", false),
    ("100000", false),
    ("1.0000001", false),
];

/// Durations that break naive code, with whether they must be refused.
pub const DURATIONS: [(&str, bool); 22] = [
    ("1h60m", true),
    ("0.001s", false),
    ("99999999999999999999999d", true),
    ("0s", false),
    ("-1m", true),
    ("6h", false),
    ("0.000001s", false),
    ("1e300s", false),
    ("", true),
    ("1h 30m", false),
    ("60m", false),
    ("1d", false),
    ("NaNs", true),
    ("10", false),
    ("1h30", true),
    ("90s", false),
    ("1.5h", false),
    ("m", true),
    ("2562047788015215h", false),
    ("30m30m", true),
    ("1m", false),
    ("5m", false),
];

/// A hostile number (text, must refuse).
fn number(r: &mut Rng) -> (&'static str, bool) {
    *r.pick(&NUMBERS)
}

/// A hostile duration (text, must refuse).
fn duration(r: &mut Rng) -> (&'static str, bool) {
    *r.pick(&DURATIONS)
}

// ---------------------------------------------------------------------------------
// A rough RON / JSON scanner: numbers, strings, brackets (outside strings and comments).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Num,
    Str,
    Open,
    Close,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

fn scan(s: &[u8]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'/' && s.get(i + 1) == Some(&b'/') {
            while i < s.len() && s[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && s.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < s.len() && !(s[i] == b'*' && s[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < s.len() && s[i] != b'"' {
                if s[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok {
                kind: Kind::Str,
                start,
                end: i.min(s.len()),
            });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                i += 1;
            }
        } else if c.is_ascii_digit()
            || (c == b'-' && s.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < s.len()
                && (s[i].is_ascii_digit()
                    || s[i] == b'.'
                    || s[i] == b'_'
                    || ((s[i] == b'e' || s[i] == b'E') && i > start)
                    || ((s[i] == b'-' || s[i] == b'+') && matches!(s[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            toks.push(Tok {
                kind: Kind::Num,
                start,
                end: i,
            });
        } else {
            match c {
                b'(' | b'[' | b'{' => toks.push(Tok {
                    kind: Kind::Open,
                    start: i,
                    end: i + 1,
                }),
                b')' | b']' | b'}' => toks.push(Tok {
                    kind: Kind::Close,
                    start: i,
                    end: i + 1,
                }),
                _ => {}
            }
            i += 1;
        }
    }
    toks
}

/// The index (in `toks`) of the bracket closing the one at `open`.
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

fn splice(s: &[u8], start: usize, end: usize, with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + with.len());
    out.extend_from_slice(&s[..start]);
    out.extend_from_slice(with);
    out.extend_from_slice(&s[end..]);
    out
}

fn is_duration_text(t: &[u8]) -> bool {
    !t.is_empty()
        && t[0].is_ascii_digit()
        && t.iter().any(|c| matches!(c, b's' | b'm' | b'h' | b'd'))
        && t.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b's' | b'm' | b'h' | b'd'))
}

/// Line starts (byte offsets).
fn line_starts(s: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    for (i, &c) in s.iter().enumerate() {
        if c == b'\n' && i + 1 < s.len() {
            v.push(i + 1);
        }
    }
    v
}

fn line_span(s: &[u8], starts: &[usize], k: usize) -> (usize, usize) {
    let a = starts[k];
    let b = starts.get(k + 1).copied().unwrap_or(s.len());
    (a, b)
}

// ---------------------------------------------------------------------------------
// Generic byte and line mutations, for every kind of file.

/// A mutation that knows nothing of the format.
pub fn generic(s: &[u8], r: &mut Rng) -> Mutation {
    let n = s.len().max(1);
    match r.below(13) {
        0 => {
            let at = r.below(n);
            let c = *r.pick(&[
                "/", "(", ")", "[", "]", "{", "}", ",", "\"", ":", "\\", "#", ";", "-", ".", "/ ",
                "//", "/*", "*/", "'", "\0", "r#\"",
            ]);
            Mutation::new(
                splice(s, at, at, c.as_bytes()),
                format!("stray {c:?} at byte {at}"),
                false,
            )
        }
        1 => {
            let at = r.below(n);
            let depth = *r.pick(&[64usize, 500, 5_000, 50_000, 300_000]);
            let open = *r.pick(&["(", "[", "{", "Some(", "[("]);
            let mut with = open.repeat(depth);
            let closed = r.chance(1, 2);
            if closed {
                let close: String = open
                    .chars()
                    .rev()
                    .filter_map(|c| match c {
                        '(' => Some(')'),
                        '[' => Some(']'),
                        '{' => Some('}'),
                        _ => None,
                    })
                    .collect();
                with.push_str(&close.repeat(depth));
            }
            Mutation::new(
                splice(s, at, at, with.as_bytes()),
                format!(
                    "{depth} nested {open:?} at byte {at}{}",
                    if closed { " (closed)" } else { "" }
                ),
                // Inside a comment or a string deep nesting is harmless; elsewhere
                // it must be refused, bounded (a crash or hang is found anyway).
                false,
            )
        }
        2 => {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend_from_slice(s);
            Mutation::new(v, "UTF-8 BOM prepended", false)
        }
        3 => {
            let at = r.below(n);
            let bytes: &[u8] = *r.pick(&[
                &[0xFF][..],
                &[0xC3][..],
                &[0xD6, 0xD0, 0xCE, 0xC4][..],
                &[0xED, 0xA0, 0x80][..],
                &[0x80, 0x80][..],
            ]);
            Mutation::new(
                splice(s, at, at, bytes),
                format!("non-UTF-8 bytes {bytes:02X?} at byte {at}"),
                true,
            )
        }
        4 => {
            let at = r.below(n);
            Mutation::new(s[..at].to_vec(), format!("truncated at byte {at}"), false)
        }
        5 => {
            let a = r.below(n);
            let b = (a + 1 + r.below(40)).min(s.len());
            Mutation::new(
                splice(s, a, b, b""),
                format!("bytes {a}..{b} deleted"),
                false,
            )
        }
        6 => {
            let a = r.below(n);
            let b = (a + 1 + r.below(80)).min(s.len());
            let chunk = s[a..b].to_vec();
            Mutation::new(
                splice(s, b, b, &chunk),
                format!("bytes {a}..{b} duplicated"),
                false,
            )
        }
        7 => {
            let at = r.below(n).min(s.len().saturating_sub(1));
            let mut v = s.to_vec();
            if let Some(c) = v.get_mut(at) {
                *c ^= 1 << r.below(8);
            }
            Mutation::new(v, format!("bit flipped at byte {at}"), false)
        }
        8..=10 => {
            let starts = line_starts(s);
            let k = r.below(starts.len());
            let (a, b) = line_span(s, &starts, k);
            let line = s[a..b].to_vec();
            match r.below(3) {
                0 => Mutation::new(
                    splice(s, a, b, b""),
                    format!("line {} deleted", k + 1),
                    false,
                ),
                1 => Mutation::new(
                    splice(s, b, b, &line),
                    format!("line {} duplicated", k + 1),
                    false,
                ),
                _ => {
                    let j = r.below(starts.len());
                    let (c, d) = line_span(s, &starts, j);
                    let other = s[c..d].to_vec();
                    Mutation::new(
                        splice(s, a, b, &other),
                        format!("line {} replaced by line {}", k + 1, j + 1),
                        false,
                    )
                }
            }
        }
        11 => Mutation::new(Vec::new(), "emptied", false),
        _ => {
            let at = r.below(n);
            let junk = *r.pick(&["\r", "\r\n", "\t", "\u{a0}", "\u{200b}", "\u{feff}", "  "]);
            Mutation::new(
                splice(s, at, at, junk.as_bytes()),
                format!("{junk:?} inserted at byte {at}"),
                false,
            )
        }
    }
}

/// A mutation of a RON (or JSON) text, aware of numbers, strings, durations and brackets.
pub fn ron(s: &[u8], r: &mut Rng) -> Mutation {
    let toks = scan(s);
    let nums: Vec<&Tok> = toks.iter().filter(|t| t.kind == Kind::Num).collect();
    let strs: Vec<&Tok> = toks.iter().filter(|t| t.kind == Kind::Str).collect();
    let durs: Vec<&Tok> = strs
        .iter()
        .copied()
        .filter(|t| is_duration_text(&s[t.start + 1..t.end.saturating_sub(1).max(t.start + 1)]))
        .collect();
    let opens: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == Kind::Open)
        .map(|(k, _)| k)
        .collect();
    match r.weighted(&[30, 20, 6, 10, 8, 6, 4, 4, 12]) {
        0 if !nums.is_empty() => {
            let t = r.pick(&nums);
            let (v, bad) = number(r);
            let old = String::from_utf8_lossy(&s[t.start..t.end]).into_owned();
            Mutation::new(
                splice(s, t.start, t.end, v.as_bytes()),
                format!("number {old} at byte {} -> {v}", t.start),
                bad,
            )
        }
        1 if !durs.is_empty() => {
            let t = r.pick(&durs);
            let old = String::from_utf8_lossy(&s[t.start..t.end]).into_owned();
            if r.chance(1, 5) {
                // A bare number where a duration string belongs.
                let v = *r.pick(&["10", "600", "1.5", "-1", "1e300"]);
                return Mutation::new(
                    splice(s, t.start, t.end, v.as_bytes()),
                    format!("duration {old} at byte {} -> bare {v}", t.start),
                    true,
                );
            }
            let (v, bad) = duration(r);
            Mutation::new(
                splice(s, t.start, t.end, format!("\"{v}\"").as_bytes()),
                format!("duration {old} at byte {} -> \"{v}\"", t.start),
                bad,
            )
        }
        2 if !strs.is_empty() => {
            let t = r.pick(&strs);
            let old = String::from_utf8_lossy(&s[t.start..t.end]).into_owned();
            let v = *r.pick(&[
                "\"\"",
                "\"Z99\"",
                "\"T01\"",
                "\"S01\"",
                "\"PS01\"",
                "\"R001\"",
                "\"D01\"",
                "\"H01\"",
                "\"../../../../etc/passwd\"",
                "\"/dev/zero\"",
                "\"/dev/urandom\"",
                "\".\"",
                "\"2026-02-30T25:61:00\"",
                "\"\\u{0}\"",
                "\"\\ud800\"",
            ]);
            Mutation::new(
                splice(s, t.start, t.end, v.as_bytes()),
                format!("string {old} at byte {} -> {v}", t.start),
                false,
            )
        }
        3 if !opens.is_empty() => {
            // Delete one element (bracketed group with the identifier before it).
            let k = *r.pick(&opens);
            let Some(close) = matching(&toks, k) else {
                return generic(s, r);
            };
            let mut a = toks[k].start;
            while a > 0 && (s[a - 1].is_ascii_alphanumeric() || s[a - 1] == b'_') {
                a -= 1;
            }
            let mut b = toks[close].end;
            if s.get(b) == Some(&b',') {
                b += 1;
            }
            Mutation::new(
                splice(s, a, b, b""),
                format!("element at bytes {a}..{b} deleted"),
                false,
            )
        }
        4 if !opens.is_empty() => {
            let k = *r.pick(&opens);
            let Some(close) = matching(&toks, k) else {
                return generic(s, r);
            };
            let mut a = toks[k].start;
            while a > 0 && (s[a - 1].is_ascii_alphanumeric() || s[a - 1] == b'_') {
                a -= 1;
            }
            let b = toks[close].end;
            let mut with = b", ".to_vec();
            with.extend_from_slice(&s[a..b]);
            Mutation::new(
                splice(s, b, b, &with),
                format!("element at bytes {a}..{b} duplicated"),
                false,
            )
        }
        5 if !opens.is_empty() => {
            let k = *r.pick(&opens);
            let Some(close) = matching(&toks, k) else {
                return generic(s, r);
            };
            let (a, b) = (toks[k].end, toks[close].start);
            Mutation::new(
                splice(s, a, b, b""),
                format!("contents of the bracket at byte {} emptied", toks[k].start),
                false,
            )
        }
        6 if !opens.is_empty() => {
            // An unbalanced bracket: drop one closing bracket.
            let k = *r.pick(&opens);
            let Some(close) = matching(&toks, k) else {
                return generic(s, r);
            };
            let at = toks[close].start;
            Mutation::new(
                splice(s, at, at + 1, b""),
                format!("closing bracket at byte {at} deleted"),
                false,
            )
        }
        7 if !nums.is_empty() => {
            let t = r.pick(&nums);
            // A number cut or garbled in place.
            let old = &s[t.start..t.end];
            let v: Vec<u8> = match r.below(4) {
                0 => {
                    let mut v = old.to_vec();
                    v.extend_from_slice(b".");
                    v
                }
                1 => {
                    let mut v = old.to_vec();
                    v.extend_from_slice(b"e");
                    v
                }
                2 => b"1_000_000".to_vec(),
                _ => b"0x10".to_vec(),
            };
            Mutation::new(
                splice(s, t.start, t.end, &v),
                format!(
                    "number {} at byte {} -> {}",
                    String::from_utf8_lossy(old),
                    t.start,
                    String::from_utf8_lossy(&v)
                ),
                false,
            )
        }
        _ => generic(s, r),
    }
}

// ---------------------------------------------------------------------------------
// Scenario sections: hostile values in fields the fixture does not use.

/// Fill `{N}` (number), `{I}` (count) and `{D}` (duration) in a template; returns the
/// text and whether a filled value must be refused.
pub fn fill(template: &str, r: &mut Rng) -> (String, bool) {
    let mut out = String::new();
    let mut bad = false;
    let mut rest = template;
    while let Some(p) = rest.find('{') {
        out.push_str(&rest[..p]);
        let tail = &rest[p..];
        if let Some(t) = tail.strip_prefix("{N}") {
            if r.chance(1, 3) {
                out.push_str(*r.pick(&["1.0", "10.0", "0.5", "2.0"]));
            } else {
                let (v, b) = number(r);
                out.push_str(v);
                bad |= b;
            }
            rest = t;
        } else if let Some(t) = tail.strip_prefix("{I}") {
            out.push_str(*r.pick(&[
                "0",
                "1",
                "4000000000",
                "18446744073709551615",
                "1000000",
                "-1",
                "100",
            ]));
            rest = t;
        } else if let Some(t) = tail.strip_prefix("{D}") {
            if r.chance(1, 3) {
                out.push_str(*r.pick(&["1m", "5m", "10s", "0s"]));
            } else {
                let (v, b) = duration(r);
                out.push_str(v);
                bad |= b;
            }
            rest = t;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    (out, bad)
}

/// Top-level fields the mini fixture leaves out, with hostile values.
const SECTIONS: [&str; 12] = [
    "hydro: (initial_depth_m: {N}),",
    "hydro: (max_dt: \"{D}\"),",
    "hydro: (cfl: {N}, theta: {N}),",
    "hydro: (depth_threshold_m: {N}, advection: true),",
    "hydro: (initial_levels: [(landuse: 2, level_m: {N})]),",
    "population: (source: ZoneTotals([(\"Z01\", {I}), (\"Z02\", 10)])),",
    "population: (household_size: {N}, vehicle_share: {N}),",
    "population: (mobilisation: (median_day: \"{D}\", median_night: \"{D}\", sigma: {N}, compliance: {N})),",
    "population: (walking: (speed_m_s: {N}, slow_speed_m_s: {N})),",
    "rubric: Some((criteria: [(id: \"w\", name: \"w\", weight: {N}, metric: WarningLead(lead: \"{D}\", ack_within: \"15m\", onset_depth_m: {N}), pass_score: {N})], pass_mark: {N})),",
    "rubric: Some((criteria: [], pass_mark: {N})),",
    "population: (hazard: (trapped_above_hr: {N}, debris_factor: {N}, debris_depth_m: {N}, home_trapped_above_m: {N}, storey_height_m: {N}, casualty: Some((hr_above: {N}, exposure: \"{D}\")))),",
];

/// Replacements of exact pieces of the mini fixture by hostile ones.
const REPLACEMENTS: [(&str, &str); 16] = [
    (
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)])),",
        "Uniform(series: Points([(\"0s\", {N}), (\"{D}\", 60.0)])),",
    ),
    (
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)])),",
        "Chicago(a1: {N}, c: 1.24, b: 18.415, n: 0.785, return_period_years: {N}, duration: \"{D}\", peak_ratio: {N}, start: \"0m\", step: \"{D}\"),",
    ),
    (
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)])),",
        "MovingCell(peak_mm_h: {N}, radius_m: {N}, track: [(\"0m\", 1050.0, 2080.0), (\"{D}\", {N}, {N})]),",
    ),
    (
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)])),",
        "Uniform(series: Points([(\"0s\", 1.0), (\"0s\", 2.0), (\"{D}\", 3.0), (\"1m\", 4.0)])),",
    ),
    (
        "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),",
        "Stage(at: (edge: East, from: {N}, to: {N}), series: Points([(\"0s\", {N})])),",
    ),
    (
        "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),",
        "EdgeInflow(at: (edge: West, from: 2000.0, to: 2050.0), series: Points([(\"0s\", {N})])),",
    ),
    (
        "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),",
        "PointInflow(x: {N}, y: {N}, series: Points([(\"0s\", {N})])),",
    ),
    (
        "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),",
        "FreeOutflow(at: (edge: East, from: {N}, to: {N}), slope: {N}),",
    ),
    ("tick: \"10s\",", "tick: \"{D}\","),
    ("duration: \"1h\",", "duration: \"{D}\","),
    ("SensorAbove(\"WL_H01\", 0.01)", "All([])"),
    (
        "SensorAbove(\"WL_H01\", 0.01)",
        "Any([All([]), SensorBelow(\"WL_H01\", {N})])",
    ),
    (
        "Warn(zones: [\"Z02\"], channel: \"sms\")",
        "Warn(zones: [], channel: \"sms\")",
    ),
    (
        "shelters: [(place: \"S01\", zones: [\"Z01\", \"Z02\"])],",
        "shelters: [(place: \"S01\", zones: [\"Z01\"], capacity: {I}), (place: \"S01\", zones: [\"Z02\"])],",
    ),
    (
        "(id: \"pump-fails\", at: \"20m\", event: PumpFailure(unit: \"PS01\")),",
        "(id: \"breach\", at: \"{D}\", event: LeveeBreach(x: {N}, y: {N}, width_m: {N}, bottom_m: {N}, over: \"{D}\")),",
    ),
    (
        "(id: \"pump-fails\", at: \"20m\", event: PumpFailure(unit: \"PS01\")),",
        "(id: \"cell\", at: \"1m\", event: RainCell(source: MovingCell(peak_mm_h: {N}, radius_m: {N}, track: [(\"0m\", 1050.0, 2080.0)]))),",
    ),
];

/// Hostile values put into the fields the mini fixture leaves out or replaced in the
/// ones it has. Falls back to [`ron`] when the fixture's text is not there.
pub fn scenario_section(s: &[u8], r: &mut Rng) -> Mutation {
    let text = String::from_utf8_lossy(s).into_owned();
    if r.chance(1, 2) {
        let (with, bad) = fill(*r.pick(&SECTIONS), r);
        if let Some(end) = text.rfind(')') {
            let mut out = text[..end].to_string();
            out.push_str("    ");
            out.push_str(&with);
            out.push('\n');
            out.push_str(&text[end..]);
            return Mutation::new(out.into_bytes(), format!("section added: {with}"), bad);
        }
    } else {
        let (from, to) = *r.pick(&REPLACEMENTS);
        if text.contains(from) {
            let (with, bad) = fill(to, r);
            return Mutation::new(
                text.replacen(from, &with, 1).into_bytes(),
                format!("{from} -> {with}"),
                bad,
            );
        }
    }
    ron(s, r)
}

// ---------------------------------------------------------------------------------
// ESRI ASCII grids.

const HEADER_KEYS: [&str; 6] = [
    "ncols",
    "nrows",
    "xllcorner",
    "yllcorner",
    "cellsize",
    "NODATA_value",
];

/// A mutation of an ESRI ASCII grid: header values, junk tokens, cut numbers, bad cells.
pub fn asc(s: &[u8], r: &mut Rng) -> Mutation {
    let text = String::from_utf8_lossy(s).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.split_whitespace()
                .next()
                .is_some_and(|k| HEADER_KEYS.iter().any(|h| h.eq_ignore_ascii_case(k)))
        })
        .map(|(i, _)| i)
        .collect();
    let data: Vec<usize> = (0..lines.len()).filter(|i| !header.contains(i)).collect();
    let join = |ls: Vec<String>| {
        let mut t = ls.join("\n");
        t.push('\n');
        t.into_bytes()
    };
    let mut ls: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match r.below(10) {
        0..=2 if !header.is_empty() => {
            let k = *r.pick(&header);
            let key = ls[k].split_whitespace().next().unwrap_or("").to_string();
            let v = *r.pick(&[
                "100000",
                "4294967296",
                "18446744073709551615",
                "0",
                "-1",
                "1e300",
                "NaN",
                "inf",
                "junk",
                "",
                "20.5",
                "1e-300",
                "-9999",
                "21",
                "15",
                "65536",
                "3037000500",
            ]);
            // Corners and the no-data marker may be negative or zero; sizes may not.
            let free = matches!(key.as_str(), "xllcorner" | "yllcorner" | "NODATA_value");
            let must =
                matches!(v, "NaN" | "inf" | "junk" | "") || (matches!(v, "0" | "-1") && !free);
            ls[k] = format!("{key} {v}");
            Mutation::new(join(ls), format!("header {key} -> {v:?}"), must)
        }
        3 if !header.is_empty() => {
            let k = *r.pick(&header);
            let junk = *r.pick(&[" junk", " 5", " ,", " 1e3"]);
            let old = ls[k].clone();
            ls[k].push_str(junk);
            Mutation::new(join(ls), format!("header line {old:?} + {junk:?}"), true)
        }
        4 if !header.is_empty() => {
            let k = *r.pick(&header);
            let old = ls.remove(k);
            Mutation::new(join(ls), format!("header line {old:?} deleted"), false)
        }
        5 if !data.is_empty() => {
            // A value cut mid-number: the file ends at `12.`
            let k = *r.pick(&data);
            let line = ls[k].clone();
            // A line of whole numbers has no such cut: it is then only cut short at a
            // line end, which is bad only when rows are missing (checked below).
            let cut = line.find('.').map(|p| p + 1);
            let last = k + 1 == ls.len() || ls[k + 1..].iter().all(|l| l.trim().is_empty());
            ls.truncate(k);
            let mut t = ls.join("\n");
            t.push('\n');
            t.push_str(&line[..cut.unwrap_or(line.len())]);
            Mutation::new(
                t.into_bytes(),
                format!("file cut mid-number in line {}", k + 1),
                cut.is_some() || !last,
            )
        }
        6 | 7 if !data.is_empty() => {
            let k = *r.pick(&data);
            let mut vals: Vec<String> = ls[k].split_whitespace().map(str::to_string).collect();
            if vals.is_empty() {
                return generic(s, r);
            }
            let j = r.below(vals.len());
            let v = *r.pick(&[
                "NaN", "nan", "inf", "-inf", "1e300", "-1e308", "junk", "12.", "1e", "-9999",
                "99999", "0x10", "1,5",
            ]);
            let must = !matches!(v, "1e300" | "-1e308" | "-9999" | "99999");
            let old = std::mem::replace(&mut vals[j], v.to_string());
            ls[k] = vals.join(" ");
            Mutation::new(
                join(ls),
                format!("cell {j} of line {} {old} -> {v}", k + 1),
                must,
            )
        }
        8 if !data.is_empty() => {
            let k = *r.pick(&data);
            let mut vals: Vec<&str> = lines[k].split_whitespace().collect();
            let what = if r.chance(1, 2) && !vals.is_empty() {
                vals.pop();
                "a value dropped from"
            } else {
                vals.push("1.0");
                "a value added to"
            };
            ls[k] = vals.join(" ");
            Mutation::new(join(ls), format!("{what} line {}", k + 1), true)
        }
        _ => generic(s, r),
    }
}

// ---------------------------------------------------------------------------------
// GeoJSON layers.

fn features(v: &mut serde_json::Value) -> Option<&mut Vec<serde_json::Value>> {
    v.get_mut("features")?.as_array_mut()
}

/// A mutation of a GeoJSON FeatureCollection: geometry, properties, features.
pub fn geojson(s: &[u8], r: &mut Rng) -> Mutation {
    use serde_json::{Value, json};
    let Ok(mut doc) = serde_json::from_slice::<Value>(s) else {
        return ron(s, r);
    };
    if r.chance(1, 4) {
        return ron(s, r);
    }
    let Some(fs) = features(&mut doc) else {
        return ron(s, r);
    };
    if fs.is_empty() {
        return ron(s, r);
    }
    let n = fs.len();
    let k = r.below(n);
    let (what, must) = match r.below(16) {
        0 => {
            fs.clear();
            ("features emptied".to_string(), false)
        }
        1 => {
            let f = fs[k].clone();
            fs.push(f);
            (format!("feature {k} duplicated (same id)"), true)
        }
        2 => {
            fs.remove(k);
            (format!("feature {k} removed"), false)
        }
        3 => {
            let ty = fs[k]["geometry"]["type"].as_str().unwrap_or("").to_string();
            let multi = if ty.starts_with("Multi") {
                ty.clone()
            } else {
                format!("Multi{ty}")
            };
            fs[k]["geometry"] = json!({"type": multi, "coordinates": []});
            (format!("feature {k} geometry -> empty {multi}"), true)
        }
        4 => {
            fs[k]["geometry"]["coordinates"] = json!([]);
            (format!("feature {k} coordinates emptied"), true)
        }
        5 => {
            fs[k]["geometry"] = Value::Null;
            (format!("feature {k} geometry null"), true)
        }
        6 | 7 => {
            // Polygon rings: unclosed, bow-tie, two points.
            let g = &mut fs[k]["geometry"];
            let Some(ring) = g["coordinates"].get_mut(0).and_then(Value::as_array_mut) else {
                return ron(s, r);
            };
            if ring.len() < 4 || !ring[0].is_array() {
                // Not a polygon ring (a line or a point): move it out of the grid.
                let shift = r.pick(&[1e5, -1e5, 1e300, 1e9]).to_owned();
                shift_coords(&mut fs[k]["geometry"]["coordinates"], shift);
                (format!("feature {k} shifted by {shift:e} in x"), true)
            } else {
                match r.below(3) {
                    0 => {
                        ring.pop();
                        (format!("feature {k} ring unclosed"), true)
                    }
                    1 => {
                        ring.swap(1, 2);
                        (format!("feature {k} ring made a bow-tie"), true)
                    }
                    _ => {
                        ring.truncate(2);
                        (format!("feature {k} ring cut to two points"), true)
                    }
                }
            }
        }
        8 | 9 => {
            let shift = *r.pick(&[1e5, -1e5, 1e300, 1e9, 0.0]);
            shift_coords(&mut fs[k]["geometry"]["coordinates"], shift);
            (
                format!("feature {k} shifted by {shift:e} in x"),
                shift != 0.0,
            )
        }
        10..=13 => {
            let Some(props) = fs[k]["properties"].as_object_mut() else {
                return ron(s, r);
            };
            let keys: Vec<String> = props.keys().cloned().collect();
            if keys.is_empty() {
                return ron(s, r);
            }
            let key = r.pick(&keys).clone();
            let v = r
                .pick(&[
                    json!(-1),
                    json!(0),
                    json!(1e308),
                    json!(-1e308),
                    json!(4294967296u64),
                    json!(u64::MAX),
                    json!(-5.5),
                    json!("text"),
                    Value::Null,
                    json!([]),
                    json!({}),
                    json!(""),
                    json!(true),
                ])
                .clone();
            let must = matches!(
                key.as_str(),
                "capacity"
                    | "capacity_m3_h"
                    | "households"
                    | "residents"
                    | "floors"
                    | "lanes"
                    | "speed_kmh"
            ) && v.as_f64().is_some_and(|x| x < 0.0);
            let desc = format!("feature {k} property {key} -> {v}");
            props.insert(key, v);
            (desc, must)
        }
        14 => {
            let Some(props) = fs[k]["properties"].as_object_mut() else {
                return ron(s, r);
            };
            let keys: Vec<String> = props.keys().cloned().collect();
            if keys.is_empty() {
                return ron(s, r);
            }
            let key = r.pick(&keys).clone();
            props.remove(&key);
            (format!("feature {k} property {key} removed"), false)
        }
        _ => {
            let ty = *r.pick(&[
                "Circle",
                "GeometryCollection",
                "Point",
                "LineString",
                "Polygon",
            ]);
            fs[k]["geometry"]["type"] = json!(ty);
            (format!("feature {k} geometry type -> {ty}"), false)
        }
    };
    let bytes = serde_json::to_vec(&doc).unwrap_or_else(|_| s.to_vec());
    Mutation::new(bytes, what, must)
}

fn shift_coords(v: &mut serde_json::Value, dx: f64) {
    if let serde_json::Value::Array(a) = v {
        if a.len() >= 2 && a.iter().all(serde_json::Value::is_number) {
            let x = a[0].as_f64().unwrap_or(0.0) + dx;
            if let Some(n) = serde_json::Number::from_f64(x) {
                a[0] = serde_json::Value::Number(n);
            }
        } else {
            for e in a {
                shift_coords(e, dx);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Series files (CSV and the `N seconds` layout).

/// A mutation of a series file: repeated and decreasing times, huge counts, bad values.
pub fn series(s: &[u8], r: &mut Rng) -> Mutation {
    let text = String::from_utf8_lossy(s).into_owned();
    let mut ls: Vec<String> = text.lines().map(str::to_string).collect();
    let join = |ls: &[String]| {
        let mut t = ls.join("\n");
        t.push('\n');
        t.into_bytes()
    };
    let count_line = ls.iter().position(|l| {
        let mut t = l.split_whitespace();
        t.next().is_some_and(|n| n.parse::<u64>().is_ok())
            && t.next().is_some_and(|u| u.chars().all(char::is_alphabetic))
    });
    let data: Vec<usize> = (0..ls.len())
        .filter(|&i| {
            let l = ls[i].trim();
            !l.is_empty()
                && !l.starts_with('#')
                && Some(i) != count_line
                && l.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-')
        })
        .collect();
    match r.below(9) {
        0 if count_line.is_some() => {
            let k = count_line.unwrap_or(0);
            let unit = ls[k]
                .split_whitespace()
                .nth(1)
                .unwrap_or("seconds")
                .to_string();
            let n = *r.pick(&[
                "18446744073709551615",
                "1000000000000",
                "4294967296",
                "0",
                "-1",
                "99999999999999999999999",
                "100000000",
            ]);
            ls[k] = format!("{n} {unit}");
            Mutation::new(join(&ls), format!("declared count -> {n}"), n != "0")
        }
        1 if count_line.is_some() => {
            let k = count_line.unwrap_or(0);
            let n = ls[k].split_whitespace().next().unwrap_or("3").to_string();
            let u = *r.pick(&["fortnights", "", "s", "hours", "minutes", "seconds junk"]);
            ls[k] = format!("{n} {u}");
            Mutation::new(join(&ls), format!("count unit -> {u:?}"), false)
        }
        2 if data.len() >= 2 => {
            let k = *r.pick(&data);
            let l = ls[k].clone();
            ls.insert(k, l);
            // Two points at one time are a step (docs/scenario.md), so one repeat is
            // valid input; what must be refused is a third (below) or a decrease.
            Mutation::new(join(&ls), format!("data line {} repeated", k + 1), false)
        }
        3 if data.len() >= 2 => {
            let a = r.below(data.len() - 1);
            ls.swap(data[a], data[a + 1]);
            Mutation::new(
                join(&ls),
                format!("data lines {} and {} swapped", data[a] + 1, data[a + 1] + 1),
                true,
            )
        }
        4 | 5 if !data.is_empty() => {
            let k = *r.pick(&data);
            let sep = if ls[k].contains(',') { "," } else { " " };
            let mut cols: Vec<String> = ls[k]
                .split(if sep == "," { ',' } else { ' ' })
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            if cols.is_empty() {
                return generic(s, r);
            }
            let j = r.below(cols.len());
            let (v, bad) = if r.chance(1, 2) {
                number(r)
            } else {
                duration(r)
            };
            let old = std::mem::replace(&mut cols[j], v.to_string());
            ls[k] = cols.join(sep);
            Mutation::new(
                join(&ls),
                format!("line {} column {j} {old} -> {v:?}", k + 1),
                bad,
            )
        }
        6 => {
            let keep = r.below(2);
            ls.truncate(keep);
            Mutation::new(join(&ls), format!("cut to {keep} lines"), true)
        }
        7 if !data.is_empty() => {
            let k = *r.pick(&data);
            ls[k].push_str(*r.pick(&[",9", " 9", ",", ";1", " junk"]));
            Mutation::new(join(&ls), format!("junk after line {}", k + 1), true)
        }
        _ => generic(s, r),
    }
}

// ---------------------------------------------------------------------------------
// Orders files.

const ORDER_LINES: [&str; 16] = [
    "{D} Recall(\"T01\")",
    "{D} Recall(unit: \"T01\")",
    "{D} inject LeveeBreach(x: {N}, y: {N}, width_m: {N}, bottom_m: {N}, over: \"{D}\")",
    "{D} Dispatch(unit: \"T01\", to: Point({N}, {N}))",
    "{D} Dispatch(unit: \"R01\", to: Place(\"H01\"))",
    "{D} Warn(zones: [], channel: \"sms\")",
    "{D} inject RainCell(source: MovingCell(peak_mm_h: {N}, radius_m: {N}, track: [(\"0m\", 1050.0, 2080.0)]))",
    "{D} inject PumpFailure(unit: \"PS01\", duration: \"{D}\")",
    "{D} inject CommOutage(zones: [\"Z01\"], duration: \"{D}\")",
    "{D} DispatchNearestToRescue",
    "{D} inject FalseReport(at: Point({N}, {N}))",
    "{D} nobody OpenShelter(\"S01\")",
    "{D} CloseRoad(\"R001\")",
    "{D} trainer CloseShelter(\"S99\")",
    "{D} inject RoadCollapse(road: \"R002\")",
    "{D} PrePosition(unit: \"T01\", post: \"P01\")",
];

/// A mutation of an orders file: a hostile order line, or a RON-aware edit.
pub fn orders(s: &[u8], r: &mut Rng) -> Mutation {
    if r.chance(1, 2) {
        let (line, bad) = fill(*r.pick(&ORDER_LINES), r);
        let mut v = s.to_vec();
        if !v.ends_with(b"\n") && !v.is_empty() {
            v.push(b'\n');
        }
        v.extend_from_slice(line.as_bytes());
        v.push(b'\n');
        return Mutation::new(v, format!("order line added: {line}"), bad);
    }
    ron(s, r)
}

// ---------------------------------------------------------------------------------
// Replays: records `KIND CHECK JSON`, CHECK = first 16 hex of blake3(KIND + " " + JSON).

/// The check of a record.
pub fn replay_check(kind: &str, json: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(kind.as_bytes());
    h.update(b" ");
    h.update(json.as_bytes());
    h.finalize().to_hex()[..16].to_string()
}

/// Whether every record of a replay carries the check [`replay_check`] computes
/// (the harness re-signs edited records only when this holds for the base replay).
pub fn replay_checks_hold(s: &[u8]) -> bool {
    let text = String::from_utf8_lossy(s);
    text.lines().all(|l| {
        let mut p = l.splitn(3, ' ');
        match (p.next(), p.next(), p.next()) {
            (Some(k), Some(c), Some(j)) => replay_check(k, j) == c,
            _ => false,
        }
    })
}

/// A mutation of a replay: line edits, byte damage, and edits of a record's JSON
/// (including its embedded scenario) that are re-signed so they pass the check.
pub fn replay(s: &[u8], r: &mut Rng, can_resign: bool) -> Mutation {
    let text = String::from_utf8_lossy(s).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() || r.chance(1, 4) {
        return generic(s, r);
    }
    let k = r.below(lines.len());
    let mut p = lines[k].splitn(3, ' ');
    let (Some(kind), Some(_), Some(json)) = (p.next(), p.next(), p.next()) else {
        return generic(s, r);
    };
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(json) else {
        return generic(s, r);
    };
    let resign = can_resign && r.chance(4, 5);
    let what = if kind == "header" && r.chance(1, 2) {
        let scen = v["scenario_text"].as_str().unwrap_or("").to_string();
        let m = if r.chance(1, 2) {
            scenario_section(scen.as_bytes(), r)
        } else {
            ron(scen.as_bytes(), r)
        };
        v["scenario_text"] = serde_json::Value::String(String::from_utf8_lossy(&m.bytes).into());
        if r.chance(1, 2) {
            // Keep the header's own hash of the text consistent too.
            let h = blake3::hash(v["scenario_text"].as_str().unwrap_or("").as_bytes());
            v["scenario_hash"] = serde_json::Value::String(h.to_hex().to_string());
            format!("header: embedded scenario {} (hash updated)", m.what)
        } else {
            format!("header: embedded scenario {}", m.what)
        }
    } else {
        let mut leaves = Vec::new();
        collect_leaves(&v, String::new(), &mut leaves);
        if leaves.is_empty() {
            return generic(s, r);
        }
        let path = r.pick(&leaves).clone();
        let new = hostile_json(r, leaves_get(&v, &path));
        let desc = format!("{kind} record (line {}): {path} -> {new}", k + 1);
        if let Some(slot) = leaf_mut(&mut v, &path) {
            *slot = new;
        }
        desc
    };
    let json2 = serde_json::to_string(&v).unwrap_or_default();
    let check = if resign {
        replay_check(kind, &json2)
    } else {
        lines[k].split(' ').nth(1).unwrap_or("0").to_string()
    };
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == k {
            out.push_str(&format!("{kind} {check} {json2}"));
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    Mutation::new(
        out.into_bytes(),
        format!("{what}{}", if resign { " (re-signed)" } else { "" }),
        false,
    )
}

fn collect_leaves(v: &serde_json::Value, path: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                collect_leaves(x, format!("{path}/{k}"), out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(8) {
                collect_leaves(x, format!("{path}/{i}"), out);
            }
            if a.is_empty() {
                out.push(path);
            }
        }
        _ => out.push(path),
    }
}

fn leaves_get<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    v.pointer(path)
}

fn leaf_mut<'a>(v: &'a mut serde_json::Value, path: &str) -> Option<&'a mut serde_json::Value> {
    v.pointer_mut(path)
}

fn hostile_json(r: &mut Rng, old: Option<&serde_json::Value>) -> serde_json::Value {
    use serde_json::{Value, json};
    match old {
        Some(Value::String(s)) if s.len() > 40 => {
            // Long strings (digests, base64 state): damage one character.
            let mut b = s.clone().into_bytes();
            let i = r.below(b.len());
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            if r.chance(1, 3) {
                b.truncate(r.below(b.len()));
            }
            Value::String(String::from_utf8_lossy(&b).into())
        }
        Some(Value::String(_)) => r
            .pick(&[
                json!(""),
                json!("completed"),
                json!("interrupted"),
                json!("failed"),
                json!("1h60m"),
                json!("plan"),
                json!("order"),
                json!("inject"),
                json!("Recall(\"T01\")"),
                json!("Dispatch(unit: \"T01\", to: Point(1e300, 0))"),
                json!(7),
            ])
            .clone(),
        _ => r
            .pick(&[
                json!(-1),
                json!(0),
                json!(1e300),
                json!(-1e308),
                json!(4294967296u64),
                json!(u64::MAX),
                json!(0.5),
                json!(1e15),
                json!(3),
                Value::Null,
                json!("x"),
                json!([]),
            ])
            .clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scanner_finds_numbers_strings_and_brackets_outside_comments() {
        let s = b"// 12 (\nA(x: -1.5e3, y: \"1h\", z: [f0_mm_h])";
        let t = scan(s);
        let kinds: Vec<Kind> = t.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Open,
                Kind::Num,
                Kind::Str,
                Kind::Open,
                Kind::Close,
                Kind::Close
            ]
        );
        assert_eq!(&s[t[1].start..t[1].end], b"-1.5e3");
        assert_eq!(matching(&t, 0), Some(5));
    }

    #[test]
    fn templates_are_filled() {
        let mut r = Rng::for_case(1, 1);
        for _ in 0..50 {
            let (t, _) = fill("a: {N}, b: \"{D}\", c: {I}", &mut r);
            assert!(
                !t.contains("{N}") && !t.contains("{D}") && !t.contains("{I}"),
                "{t}"
            );
        }
    }

    #[test]
    fn re_signed_records_pass_the_check() {
        let json = "{\"t\":0}";
        let line = format!("end {} {json}\n", replay_check("end", json));
        assert!(replay_checks_hold(line.as_bytes()));
        assert!(!replay_checks_hold(b"end 0000000000000000 {\"t\":0}\n"));
    }
}
