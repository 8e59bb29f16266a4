//! floodrill-fuzz — a black-box, process-level fuzzer for every file floodrill reads.
//!
//! How it works: a base case (the mini fixture district, an orders file and a short
//! replay made from it at start-up) is copied into a fresh folder per case; one file is
//! mutated (RON-, raster-, GeoJSON-, series-, orders- and replay-aware mutations: extreme
//! numbers, malformed durations, stray and unbalanced characters, deep nesting, BOMs,
//! non-UTF-8 bytes, cut files, deleted and repeated lines, flipped bytes); then the
//! `floodrill` binary runs on it as a user would (`validate`, then `run --until 2m` when
//! it validates; `replay`, `--verify`, `--at`, `run --from`, `compare` for replays).
//!
//! Each child runs under a wall-clock limit and an address-space limit, with no stdin.
//! A case is fine when every command exits 0, or 2 with a message; it is a *finding*
//! when a command is killed by a signal (abort, stack overflow), panics (101), hangs
//! past the limit, exits 1 on bad input, exits 2 in silence, or when a scenario that
//! validated then fails to run its first minutes ("validates ⇒ runs").
//!
//! Deterministic from `--seed`: case `k` of seed `s` is always the same input. Findings
//! are kept (input folder, command, stderr) and de-duplicated by command, verdict and
//! the first line of stderr with its digits folded. The exit code is 1 when anything was
//! found, so CI fails on a finding.
//!
//! Usage: `floodrill-fuzz [--floodrill PATH] [--seed N] [--minutes M | --cases N]
//! [--timeout SECS] [--mem-mb MB] [--findings DIR]`. See `docs/fuzzing.md`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How one command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Exit status.
    Exit(i32),
    /// Killed by this signal (abort, segfault, stack overflow, out of memory).
    Signal(i32),
    /// Still running at the time limit (killed).
    Hang,
}

/// A command's outcome with what it printed on stderr.
#[derive(Debug, Clone)]
struct Ran {
    outcome: Outcome,
    stderr: String,
}

/// What a case's command must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Bad input is allowed: exit 0, or 2 with a message.
    ZeroOrTwo,
    /// The input validated: the run must succeed (exit 0).
    Zero,
    /// A replay command: 0, 2 with a message, or 1 only for a named divergence.
    Replay,
}

/// Why a command's outcome is a finding, or `None` when it is fine.
fn verdict(r: &Ran, expect: Expect) -> Option<String> {
    let quiet = r.stderr.trim().is_empty();
    match (&r.outcome, expect) {
        (Outcome::Hang, _) => Some("hang (time limit)".into()),
        (Outcome::Signal(s), _) => Some(format!("killed by signal {s}")),
        (Outcome::Exit(101), _) => Some("panic (exit 101)".into()),
        (Outcome::Exit(0), _) => None,
        (Outcome::Exit(2), Expect::Zero) => Some("validated, then the run refused it".into()),
        (Outcome::Exit(2), _) if quiet => Some("exit 2 without a message".into()),
        (Outcome::Exit(2), _) => None,
        (Outcome::Exit(1), Expect::Replay) if r.stderr.contains("diverge") => None,
        (Outcome::Exit(1), Expect::Zero) => Some("validated, then the run failed (exit 1)".into()),
        (Outcome::Exit(c), _) => Some(format!("exit {c}")),
    }
}

/// Run `program args` under the limits, stdout and stderr into files in `dir`.
fn run_limited(
    program: &Path,
    args: &[String],
    dir: &Path,
    timeout: Duration,
    mem_mb: u64,
) -> std::io::Result<Ran> {
    let err_path = dir.join("stderr.txt");
    let out_path = dir.join("stdout.txt");
    let stderr = fs::File::create(&err_path)?;
    let stdout = fs::File::create(&out_path)?;
    // `ulimit -v` bounds the address space, so an input that makes the program
    // allocate tens of gigabytes aborts at once instead of swapping the machine.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mem_mb * 1024))
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()?;
    let started = Instant::now();
    let outcome = loop {
        if let Some(status) = child.try_wait()? {
            use std::os::unix::process::ExitStatusExt;
            break match (status.code(), status.signal()) {
                (Some(c), _) => Outcome::Exit(c),
                (None, Some(s)) => Outcome::Signal(s),
                (None, None) => Outcome::Exit(-1),
            };
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Outcome::Hang;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(&err_path) {
        let mut bytes = Vec::new();
        let _ = f.by_ref().take(64 * 1024).read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    Ok(Ran {
        outcome,
        stderr: text,
    })
}

/// Which file of the case a mutation goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Scenario,
    Dem,
    LandUse,
    Roads,
    Zones,
    Places,
    Buildings,
    Orders,
    Series,
    Replay,
}

impl Target {
    const ALL: [Target; 10] = [
        Target::Scenario,
        Target::Dem,
        Target::LandUse,
        Target::Roads,
        Target::Zones,
        Target::Places,
        Target::Buildings,
        Target::Orders,
        Target::Series,
        Target::Replay,
    ];
    /// Relative share of cases.
    fn weight(self) -> u32 {
        match self {
            Target::Scenario => 30,
            Target::Replay => 14,
            Target::Orders => 10,
            Target::Series => 8,
            Target::Dem => 10,
            _ => 7,
        }
    }
    fn file(self) -> &'static str {
        match self {
            Target::Scenario => "mini.ron",
            Target::Dem => "dem.asc",
            Target::LandUse => "landuse.asc",
            Target::Roads => "roads.geojson",
            Target::Zones => "zones.geojson",
            Target::Places => "places.geojson",
            Target::Buildings => "buildings.geojson",
            Target::Orders => "orders.txt",
            Target::Series => "rain.csv",
            Target::Replay => "base.replay",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Target::Scenario => "scenario",
            Target::Dem => "dem",
            Target::LandUse => "landuse",
            Target::Roads => "roads",
            Target::Zones => "zones",
            Target::Places => "places",
            Target::Buildings => "buildings",
            Target::Orders => "orders",
            Target::Series => "series",
            Target::Replay => "replay",
        }
    }
}

/// Numbers a hostile user would try.
const NUMBERS: &[&str] = &[
    "NaN",
    "inf",
    "-inf",
    "1e300",
    "-1e308",
    "1e308",
    "0",
    "-1",
    "-0.0",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "100000",
    "1e-300",
    "0.000001",
    "12.",
    "1e",
    "0x10",
    "+5",
    "3.4.5",
];

/// Durations a hostile user would try.
const DURATIONS: &[&str] = &[
    "1h60m",
    "1m60s",
    "0.001s",
    "0.000001s",
    "99999999999999999999999d",
    "0s",
    "-5m",
    "6h",
    "48h",
    "1h30",
    "",
    "m",
    "1e9s",
    "NaNs",
    "5 m",
];

/// Characters that break parsers.
const STRAY: &[&str] = &[
    "/", "(", ")", "[", "]", "{", "}", ",", ":", "\"", "\\", "\0", "#", "'", "r#\"", "/*", "*/",
    "中", "\u{feff}", "\n", "-", ".", "e",
];

fn pick<'a, R: Rng>(rng: &mut R, items: &'a [&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// Byte ranges of number-like tokens in `text`.
fn number_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let starts = text[i].is_ascii_digit()
            && (i == 0 || !(text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'_'));
        if starts {
            let j0 = if i > 0 && text[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let mut j = i;
            while j < text.len()
                && (text[j].is_ascii_digit() || matches!(text[j], b'.' | b'e' | b'E' | b'-'))
            {
                j += 1;
            }
            out.push((j0, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the insides of double-quoted strings.
fn string_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'"' {
            let s = i + 1;
            let mut j = s;
            while j < text.len() && text[j] != b'"' && text[j] != b'\n' {
                j += 1;
            }
            if j < text.len() && text[j] == b'"' {
                out.push((s, j));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn is_duration(s: &[u8]) -> bool {
    !s.is_empty()
        && s[0].is_ascii_digit()
        && s.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'd' | b'h' | b'm' | b's'))
        && s.iter().any(|c| matches!(c, b'd' | b'h' | b'm' | b's'))
}

fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        text.iter()
            .enumerate()
            .filter(|(_, c)| **c == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

fn splice(text: &mut Vec<u8>, (a, b): (usize, usize), with: &[u8]) {
    text.splice(a..b, with.iter().copied());
}

/// One mutation of `text`; returns a short description.
fn mutate<R: Rng>(rng: &mut R, text: &mut Vec<u8>, target: Target) -> String {
    let len = text.len();
    let pos = |rng: &mut R| {
        if len == 0 {
            0
        } else {
            rng.random_range(0..=len)
        }
    };
    let kind = rng.random_range(0..16u32);
    // Replays are mostly damaged at the byte level; the others get mostly token edits.
    let kind = if target == Target::Replay && kind < 6 {
        12 + kind % 4
    } else {
        kind
    };
    match kind {
        0..=3 => {
            let spans = number_spans(text);
            if spans.is_empty() {
                return mutate(rng, text, Target::Replay);
            }
            let sp = spans[rng.random_range(0..spans.len())];
            let n = pick(rng, NUMBERS);
            let old = String::from_utf8_lossy(&text[sp.0..sp.1]).into_owned();
            splice(text, sp, n.as_bytes());
            format!("number {old} → {n}")
        }
        4 | 5 => {
            let spans: Vec<_> = string_spans(text)
                .into_iter()
                .filter(|&(a, b)| is_duration(&text[a..b]))
                .collect();
            let spans = if spans.is_empty() {
                string_spans(text)
            } else {
                spans
            };
            if spans.is_empty() {
                return mutate(rng, text, Target::Replay);
            }
            let sp = spans[rng.random_range(0..spans.len())];
            let d = pick(rng, DURATIONS);
            let old = String::from_utf8_lossy(&text[sp.0..sp.1]).into_owned();
            splice(text, sp, d.as_bytes());
            format!("string \"{old}\" → \"{d}\"")
        }
        6 => {
            let spans = string_spans(text);
            if spans.is_empty() {
                return mutate(rng, text, Target::Replay);
            }
            let sp = spans[rng.random_range(0..spans.len())];
            let with = match rng.random_range(0..4u32) {
                0 => String::new(),
                1 => "ZZ99".to_string(),
                2 => "x".repeat(100_000),
                _ => "../../../../etc/passwd".to_string(),
            };
            splice(text, sp, with.as_bytes());
            format!("string → {} chars", with.chars().count())
        }
        7 | 8 => {
            let p = pos(rng);
            let s = pick(rng, STRAY);
            splice(text, (p, p), s.as_bytes());
            format!("insert {s:?} at byte {p}")
        }
        9 => {
            let p = pos(rng);
            let open = if rng.random_bool(0.5) { "(" } else { "[" };
            let n = [200usize, 5_000, 100_000][rng.random_range(0..3)];
            splice(text, (p, p), open.repeat(n).as_bytes());
            format!("{n} × {open} at byte {p}")
        }
        10 => {
            let lines = line_starts(text);
            let l = rng.random_range(0..lines.len());
            let a = lines[l];
            let b = lines.get(l + 1).copied().unwrap_or(len);
            if rng.random_bool(0.5) {
                text.drain(a..b);
                format!("delete line {}", l + 1)
            } else {
                let copy = text[a..b].to_vec();
                let times = [1usize, 2, 50][rng.random_range(0..3)];
                for _ in 0..times {
                    splice(text, (b, b), &copy);
                }
                format!("repeat line {} × {times}", l + 1)
            }
        }
        11 => {
            if rng.random_bool(0.5) {
                text.splice(0..0, [0xef, 0xbb, 0xbf]);
                "UTF-8 BOM".into()
            } else {
                let p = pos(rng);
                // "中" saved as GBK, as a Windows editor would.
                splice(text, (p, p), &[0xd6, 0xd0]);
                format!("GBK bytes at byte {p}")
            }
        }
        12 => {
            let p = pos(rng);
            text.truncate(p);
            format!("cut at byte {p}")
        }
        13 => {
            if len == 0 {
                return "empty".into();
            }
            let p = rng.random_range(0..len);
            let bit = 1u8 << rng.random_range(0..8u32);
            text[p] ^= bit;
            format!("flip bit {bit:#04x} of byte {p}")
        }
        14 => {
            let lines = line_starts(text);
            if lines.len() < 3 {
                return mutate(rng, text, Target::Scenario);
            }
            let i = rng.random_range(0..lines.len() - 1);
            let j = rng.random_range(0..lines.len() - 1);
            let (i, j) = (i.min(j), i.max(j));
            if i == j {
                return "no-op swap".into();
            }
            let la = text[lines[i]..lines[i + 1]].to_vec();
            let lb = text[lines[j]..lines[j + 1]].to_vec();
            let mut out = text[..lines[i]].to_vec();
            out.extend_from_slice(&lb);
            out.extend_from_slice(&text[lines[i + 1]..lines[j]]);
            out.extend_from_slice(&la);
            out.extend_from_slice(&text[lines[j + 1]..]);
            *text = out;
            format!("swap lines {} and {}", i + 1, j + 1)
        }
        _ => {
            // Structure-specific edits.
            match target {
                Target::Dem | Target::LandUse => {
                    let edits = [
                        ("ncols 20", "ncols 100000"),
                        ("nrows 16", "nrows 100000"),
                        ("ncols 20", "ncols 20 junk"),
                        ("cellsize 10.0", "cellsize 0"),
                        ("cellsize 10.0", "cellsize -10"),
                        ("NODATA_value -9999", ""),
                        ("xllcorner", "xllcenter"),
                    ];
                    let (a, b) = edits[rng.random_range(0..edits.len())];
                    let s = String::from_utf8_lossy(text).replacen(a, b, 1);
                    *text = s.into_bytes();
                    format!("header {a:?} → {b:?}")
                }
                Target::Roads | Target::Zones | Target::Places | Target::Buildings => {
                    let edits = [
                        ("\"coordinates\":", "\"coordinates\": [], \"x\":"),
                        ("\"Polygon\"", "\"MultiPolygon\""),
                        ("\"LineString\"", "\"MultiLineString\""),
                        ("\"Point\"", "\"LineString\""),
                        ("\"FeatureCollection\"", "\"Feature\""),
                        ("\"features\"", "\"feature\""),
                        ("\"properties\"", "\"props\""),
                    ];
                    let (a, b) = edits[rng.random_range(0..edits.len())];
                    let s = String::from_utf8_lossy(text).replacen(a, b, 1);
                    *text = s.into_bytes();
                    format!("geojson {a:?} → {b:?}")
                }
                _ => {
                    let p = pos(rng);
                    text.truncate(p);
                    format!("cut at byte {p}")
                }
            }
        }
    }
}

/// The orders file of the base case.
const ORDERS: &str = "# trainee orders for the mini drill\n\
    2m   Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
    3m   trainer PrePosition(unit: \"T01\", post: \"P01\")\n\
    4m   Warn(zones: [\"Z01\"], channel: \"sms\")\n\
    5m   inject FalseReport(at: Place(\"H01\"))\n\
    6m   inject CommOutage(zones: [\"Z02\"], duration: \"15m\")\n";

/// A rain series file for the base case (time, mm/h).
const RAIN: &str = "time,mm_h\n0s,0\n5m,30\n10m,60\n30m,40\n40m,0\n";

struct Fuzzer {
    floodrill: PathBuf,
    base: PathBuf,
    work: PathBuf,
    findings: PathBuf,
    timeout: Duration,
    mem_mb: u64,
    seen: BTreeMap<String, usize>,
    histogram: BTreeMap<String, usize>,
    found: usize,
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_file() {
            fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

fn fold_digits(s: &str) -> String {
    let mut out = String::new();
    let mut last_digit = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('#');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out
}

impl Fuzzer {
    /// Make the base case: the mini fixture with a rain series file, an orders file
    /// and a 10-minute replay.
    fn prepare(&mut self, fixture: &Path) -> Result<(), String> {
        copy_dir(fixture, &self.base).map_err(|e| format!("copy {}: {e}", fixture.display()))?;
        fs::write(self.base.join("orders.txt"), ORDERS).map_err(|e| e.to_string())?;
        fs::write(self.base.join("rain.csv"), RAIN).map_err(|e| e.to_string())?;
        let scen = self.base.join("mini.ron");
        let text = fs::read_to_string(&scen).map_err(|e| e.to_string())?;
        // The series case reads its rain from rain.csv; the plain case is the fixture.
        fs::write(
            self.base.join("series.ron"),
            text.replacen(
                "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)]))",
                "Uniform(series: File(\"rain.csv\"))",
                1,
            ),
        )
        .map_err(|e| e.to_string())?;
        let args: Vec<String> = [
            "run", "mini.ron", "--until", "10m", "--out", "base_out", "--quiet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let r = run_limited(
            &self.floodrill,
            &args,
            &self.base,
            Duration::from_secs(120),
            self.mem_mb,
        )
        .map_err(|e| e.to_string())?;
        if r.outcome != Outcome::Exit(0) {
            return Err(format!(
                "the base run failed ({:?}): {}",
                r.outcome, r.stderr
            ));
        }
        fs::copy(
            self.base.join("base_out/drill.replay"),
            self.base.join("base.replay"),
        )
        .map_err(|e| e.to_string())?;
        fs::remove_dir_all(self.base.join("base_out")).map_err(|e| e.to_string())?;
        for name in ["stderr.txt", "stdout.txt"] {
            let _ = fs::remove_file(self.base.join(name));
        }
        let r = self.run_case_cmd(&self.base.clone(), &["validate", "series.ron"])?;
        if r.outcome != Outcome::Exit(0) {
            return Err(format!("the series base does not validate: {}", r.stderr));
        }
        Ok(())
    }

    fn run_case_cmd(&self, dir: &Path, args: &[&str]) -> Result<Ran, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        run_limited(&self.floodrill, &args, dir, self.timeout, self.mem_mb)
            .map_err(|e| format!("spawn {}: {e}", self.floodrill.display()))
    }

    /// The commands of a case, each with what it must do; a command runs only when
    /// the one before it exited 0 if `needs_ok` is set.
    fn commands(target: Target) -> Vec<(Vec<&'static str>, Expect, bool)> {
        let run = |scen: &'static str, orders: bool| {
            let mut v = vec!["run", scen, "--until", "2m", "--out", "out", "--quiet"];
            if orders {
                v.extend(["--orders", "orders.txt"]);
            }
            v
        };
        match target {
            Target::Orders => vec![(run("mini.ron", true), Expect::ZeroOrTwo, false)],
            Target::Series => vec![
                (vec!["validate", "series.ron"], Expect::ZeroOrTwo, false),
                (run("series.ron", false), Expect::Zero, true),
            ],
            Target::Replay => vec![
                (vec!["replay", "base.replay"], Expect::Replay, false),
                (
                    vec!["replay", "base.replay", "--at", "5m"],
                    Expect::Replay,
                    false,
                ),
                (
                    vec!["replay", "base.replay", "--verify"],
                    Expect::Replay,
                    false,
                ),
                (
                    vec![
                        "run",
                        "--from",
                        "base.replay",
                        "--at",
                        "5m",
                        "--out",
                        "branch",
                        "--quiet",
                    ],
                    Expect::Replay,
                    false,
                ),
                (
                    vec!["compare", "base.replay", "base.replay", "--out", "cmp"],
                    Expect::Replay,
                    false,
                ),
            ],
            _ => vec![
                (vec!["validate", "mini.ron"], Expect::ZeroOrTwo, false),
                (run("mini.ron", true), Expect::Zero, true),
            ],
        }
    }

    /// Case `k`: mutate, run, judge. Returns the number of new findings.
    fn case(&mut self, seed: u64, k: u64) -> Result<usize, String> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let total: u32 = Target::ALL.iter().map(|t| t.weight()).sum();
        let mut r = rng.random_range(0..total);
        let mut target = Target::Scenario;
        for t in Target::ALL {
            if r < t.weight() {
                target = t;
                break;
            }
            r -= t.weight();
        }
        let dir = self.work.join(format!("case-{k}"));
        let _ = fs::remove_dir_all(&dir);
        copy_dir(&self.base, &dir).map_err(|e| e.to_string())?;
        let file = dir.join(target.file());
        let mut text = fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let n = rng.random_range(1..=3u32);
        let mut what = Vec::new();
        for _ in 0..n {
            what.push(mutate(&mut rng, &mut text, target));
        }
        fs::write(&file, &text).map_err(|e| e.to_string())?;
        let mut new = 0;
        let mut prev_ok = true;
        for (args, expect, needs_ok) in Self::commands(target) {
            if needs_ok && !prev_ok {
                continue;
            }
            let ran = self.run_case_cmd(&dir, &args)?;
            let key = format!("{} {:?}", args[0], ran.outcome);
            *self.histogram.entry(key).or_default() += 1;
            prev_ok = ran.outcome == Outcome::Exit(0);
            if let Some(why) = verdict(&ran, expect) {
                let first = ran
                    .stderr
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                let sig = format!(
                    "{} {} | {} | {}",
                    target.name(),
                    args[0],
                    why,
                    fold_digits(first)
                );
                let count = self.seen.entry(sig.clone()).or_default();
                *count += 1;
                self.found += 1;
                if *count == 1 {
                    new += 1;
                    let keep =
                        self.findings
                            .join(format!("{:04}-{}", self.seen.len(), target.name()));
                    let _ = fs::remove_dir_all(&keep);
                    copy_dir(&dir, &keep).map_err(|e| e.to_string())?;
                    let report = format!(
                        "case {k} (seed {seed})\ntarget {}\nmutations: {}\ncommand: floodrill {}\nverdict: {why}\nstderr:\n{}\n",
                        target.file(),
                        what.join("; "),
                        args.join(" "),
                        ran.stderr.chars().take(4000).collect::<String>()
                    );
                    fs::write(keep.join("FINDING.txt"), &report).map_err(|e| e.to_string())?;
                    eprintln!("FINDING {sig}\n  mutations: {}", what.join("; "));
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        Ok(new)
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: floodrill-fuzz [--floodrill PATH] [--seed N] [--minutes M | --cases N] \
         [--timeout SECS] [--mem-mb MB] [--findings DIR] [--fixture DIR]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut floodrill = None;
    let mut seed = 1u64;
    let mut minutes: Option<f64> = None;
    let mut cases: Option<u64> = None;
    let mut timeout = 20.0f64;
    let mut mem_mb = 3072u64;
    let mut findings = PathBuf::from("target/fuzz-findings");
    let mut fixture = root.join("tests/data/mini");
    while let Some(a) = args.next() {
        let mut val = || args.next();
        let ok = match a.as_str() {
            "--floodrill" => val().map(|v| floodrill = Some(PathBuf::from(v))),
            "--seed" => val().and_then(|v| v.parse().ok()).map(|v| seed = v),
            "--minutes" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| minutes = Some(v)),
            "--cases" => val().and_then(|v| v.parse().ok()).map(|v| cases = Some(v)),
            "--timeout" => val().and_then(|v| v.parse().ok()).map(|v| timeout = v),
            "--mem-mb" => val().and_then(|v| v.parse().ok()).map(|v| mem_mb = v),
            "--findings" => val().map(|v| findings = PathBuf::from(v)),
            "--fixture" => val().map(|v| fixture = PathBuf::from(v)),
            _ => None,
        };
        if ok.is_none() {
            eprintln!("floodrill-fuzz: bad or incomplete option {a:?}");
            return usage();
        }
    }
    let floodrill = floodrill.unwrap_or_else(|| {
        let rel = root.join("target/release/floodrill");
        if rel.exists() {
            rel
        } else {
            root.join("target/debug/floodrill")
        }
    });
    let floodrill = fs::canonicalize(&floodrill).unwrap_or(floodrill);
    if !floodrill.exists() {
        eprintln!(
            "floodrill-fuzz: no floodrill binary at {} (build it, or give --floodrill)",
            floodrill.display()
        );
        return ExitCode::from(2);
    }
    let work = std::env::temp_dir().join(format!("floodrill-fuzz-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    if let Err(e) = fs::create_dir_all(&work).and_then(|_| fs::create_dir_all(&findings)) {
        eprintln!("floodrill-fuzz: {e}");
        return ExitCode::from(2);
    }
    let findings = fs::canonicalize(&findings).unwrap_or(findings);
    let mut f = Fuzzer {
        floodrill,
        base: work.join("base"),
        work: work.clone(),
        findings,
        timeout: Duration::from_secs_f64(timeout),
        mem_mb,
        seen: BTreeMap::new(),
        histogram: BTreeMap::new(),
        found: 0,
    };
    if let Err(e) = f.prepare(&fixture) {
        eprintln!("floodrill-fuzz: cannot prepare the base case: {e}");
        let _ = fs::remove_dir_all(&work);
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let budget = minutes.map(|m| Duration::from_secs_f64(m * 60.0));
    let max_cases = cases.unwrap_or(if budget.is_some() { u64::MAX } else { 200 });
    let mut k = 0u64;
    while k < max_cases && budget.is_none_or(|b| started.elapsed() < b) {
        if let Err(e) = f.case(seed, k) {
            eprintln!("floodrill-fuzz: case {k}: {e}");
            let _ = fs::remove_dir_all(&work);
            return ExitCode::from(2);
        }
        k += 1;
        if k.is_multiple_of(100) {
            eprintln!(
                "… {k} cases in {:.0} s, {} findings ({} distinct)",
                started.elapsed().as_secs_f64(),
                f.found,
                f.seen.len()
            );
        }
    }
    let _ = fs::remove_dir_all(&work);
    println!(
        "floodrill-fuzz: seed {seed}, {k} cases in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    println!("exit codes by command:");
    for (key, n) in &f.histogram {
        println!("  {key:<28} {n}");
    }
    if f.seen.is_empty() {
        println!("no findings");
        ExitCode::SUCCESS
    } else {
        println!(
            "{} findings, {} distinct (kept in {}):",
            f.found,
            f.seen.len(),
            f.findings.display()
        );
        for (sig, n) in &f.seen {
            println!("  {n:>5} × {sig}");
        }
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout_s: f64) -> Ran {
        let dir = tempfile::tempdir().unwrap();
        run_limited(
            Path::new("/bin/sh"),
            &["-c".to_string(), script.to_string()],
            dir.path(),
            Duration::from_secs_f64(timeout_s),
            1024,
        )
        .unwrap()
    }

    #[test]
    fn an_abort_a_panic_a_hang_and_a_silent_exit_2_are_findings() {
        let abort = sh("kill -ABRT $$", 5.0);
        assert_eq!(abort.outcome, Outcome::Signal(6));
        assert!(verdict(&abort, Expect::ZeroOrTwo).is_some());
        let panic = sh("echo 'thread main panicked' >&2; exit 101", 5.0);
        assert!(
            verdict(&panic, Expect::ZeroOrTwo)
                .unwrap()
                .contains("panic")
        );
        let hang = sh("sleep 30", 0.3);
        assert_eq!(hang.outcome, Outcome::Hang);
        assert!(verdict(&hang, Expect::ZeroOrTwo).unwrap().contains("hang"));
        let silent = sh("exit 2", 5.0);
        assert!(verdict(&silent, Expect::ZeroOrTwo).is_some());
        let one = sh("echo 'error: something' >&2; exit 1", 5.0);
        assert!(verdict(&one, Expect::ZeroOrTwo).is_some());
    }

    #[test]
    fn a_clear_refusal_is_fine_but_not_after_validation() {
        let refused = sh(
            "echo 'mini.ron:3:5: meta.tick: expected …' >&2; exit 2",
            5.0,
        );
        assert_eq!(verdict(&refused, Expect::ZeroOrTwo), None);
        assert!(verdict(&refused, Expect::Zero).is_some());
        let ok = sh("exit 0", 5.0);
        assert_eq!(verdict(&ok, Expect::Zero), None);
        let diverged = sh("echo 'the replay diverges at line 4' >&2; exit 1", 5.0);
        assert_eq!(verdict(&diverged, Expect::Replay), None);
        assert!(verdict(&diverged, Expect::Zero).is_some());
    }

    #[test]
    fn children_run_under_the_address_space_limit() {
        // `sh` with 1024 MB: the child sees a 1,048,576 kB limit.
        let r = sh("test \"$(ulimit -v)\" = 1048576 || exit 3", 5.0);
        assert_eq!(r.outcome, Outcome::Exit(0));
    }

    #[test]
    fn mutations_are_deterministic_and_change_the_input() {
        let base = b"meta: (tick: \"10s\", level: 12.5, name: \"x\")\n".to_vec();
        let mut changed = 0;
        for k in 0..50u64 {
            let mut a = base.clone();
            let mut b = base.clone();
            let da = mutate(&mut ChaCha8Rng::seed_from_u64(k), &mut a, Target::Scenario);
            let db = mutate(&mut ChaCha8Rng::seed_from_u64(k), &mut b, Target::Scenario);
            assert_eq!((da, &a), (db, &b));
            changed += usize::from(a != base);
        }
        assert!(
            changed > 40,
            "only {changed} of 50 mutations changed the input"
        );
    }

    #[test]
    fn number_and_duration_spans_are_found() {
        let t = b"a: -12.5e3, b: \"1h30m\", c: x2";
        let n = number_spans(t);
        assert_eq!(&t[n[0].0..n[0].1], b"-12.5e3");
        assert!(string_spans(t).iter().any(|&(a, b)| is_duration(&t[a..b])));
    }
}
