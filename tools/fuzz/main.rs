//! `floodrill-fuzz`: a black-box, process-level fuzzer for the floodrill CLI.
//!
//! Every case copies a small valid base (the mini fixture of `tests/data/mini` with a
//! series variant, an orders file and a replay made at start-up, or a shipped scenario
//! with the demo district), mutates ONE file in a way that knows its format, and runs
//! floodrill on it in a process of its own with a wall-clock and a memory limit:
//! `validate`, then — if that says yes — `run --until 2m` (validate ⇒ run); for orders
//! `run --orders`; for replays `replay`, `replay --verify`, `replay --at`, `run --from`
//! and `compare`. Crashes (signals), panics (exit 101), hangs (the time limit), exit 1 on
//! bad input, exit 2 without a file named, a run that fails after `validate` said yes,
//! bad input `validate` accepts, and replay commands that disagree are findings, saved
//! once per (command, kind, first stderr line) with the input and the command line.
//! The run is deterministic from `--seed`; it exits 1 when there is any finding.
//! See docs/fuzzing.md.

mod exec;
mod mutate;
mod rng;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

use exec::{Limits, Outcome, Verdict};
use mutate::Mutation;
use rng::Rng;

/// Fuzz the floodrill CLI with mutated scenarios, rasters, GeoJSON, series, orders and
/// replays; report crashes, panics, hangs, misleading exits and validate-then-fail.
#[derive(Parser, Debug)]
#[command(name = "floodrill-fuzz")]
struct Args {
    /// Seed of the whole run: the same seed tries the same cases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stop after this many cases (default 200 when --minutes is not given).
    #[arg(long)]
    cases: Option<u64>,
    /// Stop starting new cases after this many minutes (fractions allowed).
    #[arg(long)]
    minutes: Option<f64>,
    /// The first case number (to re-create one case: --first-case N --cases 1).
    #[arg(long, default_value_t = 0)]
    first_case: u64,
    /// Cases run at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// The floodrill binary (default: target/release/floodrill, else target/debug/floodrill).
    #[arg(long)]
    floodrill: Option<PathBuf>,
    /// The repository root (for tests/data/mini, scenarios/ and assets/).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Folder for the findings (each: the inputs, the command, stderr).
    #[arg(long, default_value = "target/fuzz-findings")]
    findings: PathBuf,
    /// Wall-clock limit per command, seconds.
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
    /// Address-space limit per command, MiB (0: none).
    #[arg(long, default_value_t = 3072)]
    mem_mib: u64,
    /// Only these targets (comma-separated): scenario, section, asc, geojson, series,
    /// orders, replay, demo.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Work folder for the cases (default: a fresh folder under the system temp dir).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Keep the work folder at the end.
    #[arg(long)]
    keep: bool,
    /// Print every case (target, mutation, exits).
    #[arg(long)]
    verbose: bool,
}

/// What a case mutates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Scenario,
    Section,
    Asc,
    GeoJson,
    Series,
    Orders,
    Replay,
    Demo,
}

const TARGETS: [(Target, &str, u32); 8] = [
    (Target::Scenario, "scenario", 24),
    (Target::Section, "section", 16),
    (Target::Asc, "asc", 12),
    (Target::GeoJson, "geojson", 14),
    (Target::Series, "series", 8),
    (Target::Orders, "orders", 8),
    (Target::Replay, "replay", 12),
    (Target::Demo, "demo", 6),
];

const MINI_FILES: [&str; 7] = [
    "mini.ron",
    "dem.asc",
    "landuse.asc",
    "roads.geojson",
    "buildings.geojson",
    "zones.geojson",
    "places.geojson",
];

const SHIPPED: [&str; 4] = [
    "demo_rainstorm.ron",
    "demo_late_warning.ron",
    "demo_levee_breach.ron",
    "demo_rainstorm_100k.ron",
];

const DEMO_FILES: [&str; 6] = [
    "dem.asc",
    "landuse.asc",
    "roads.geojson",
    "buildings.geojson",
    "zones.geojson",
    "places.geojson",
];

/// The series variant of the mini scenario: rain from a CSV file and an edge inflow
/// from a file in the `N seconds` layout.
fn series_scenario(mini: &str) -> String {
    mini.replacen(
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)])),",
        "Uniform(series: File(\"rain.csv\")),",
        1,
    )
    .replacen(
        "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),",
        "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),\n        \
         EdgeInflow(at: (edge: West, from: 2000.0, to: 2050.0), series: File(\"inflow.bdy\")),",
        1,
    )
}

const RAIN_CSV: &str = "time_s,value\n0,0.0\n10m,60.0\n30m,60.0\n40m,0.0\n";
const INFLOW_BDY: &str =
    "# west edge inflow, m2/s\nwest_inflow\n3 seconds\n0.0 0\n0.05 600\n0.0 1800\n";
const ORDERS_TXT: &str = "# trainee orders for the mini drill\n\
    2m   Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
    3m   trainer PrePosition(unit: \"T01\", post: \"P01\")\n\
    \n\
    5m   Warn(zones: [\"Z01\"], channel: \"sms\")\n\
    8m   inject FalseReport(at: Place(\"H01\"))\n\
    10m  inject PumpFailure(unit: \"PS01\", duration: \"5m\")\n";

/// One finding, first seen in `case`.
#[derive(Clone, Debug)]
struct Finding {
    verdict: Verdict,
    command: String,
    first_line: String,
    case: u64,
    target: String,
    what: String,
    count: u64,
    dir: PathBuf,
}

#[derive(Default)]
struct Stats {
    cases: u64,
    by_target: BTreeMap<String, u64>,
    exits: BTreeMap<String, u64>,
    findings: BTreeMap<(String, Verdict, String), Finding>,
    seq: u64,
}

struct Ctx {
    args: Args,
    floodrill: PathBuf,
    work: PathBuf,
    base: PathBuf,
    limits: Limits,
    targets: Vec<(Target, &'static str, u32)>,
    can_resign: bool,
    stats: Mutex<Stats>,
}

fn main() {
    let args = Args::parse();
    std::process::exit(match real_main(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("floodrill-fuzz: {e}");
            3
        }
    });
}

fn real_main(args: Args) -> Result<i32, String> {
    let repo =
        std::fs::canonicalize(&args.repo).map_err(|e| format!("{}: {e}", args.repo.display()))?;
    let floodrill = match &args.floodrill {
        Some(p) => p.clone(),
        None => {
            let rel = repo.join("target/release/floodrill");
            if rel.exists() {
                rel
            } else {
                repo.join("target/debug/floodrill")
            }
        }
    };
    let floodrill = std::fs::canonicalize(&floodrill)
        .map_err(|e| format!("floodrill binary {}: {e}", floodrill.display()))?;
    let work = match &args.work {
        Some(w) => w.clone(),
        None => std::env::temp_dir().join(format!("floodrill-fuzz-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let work = std::fs::canonicalize(&work).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.findings)
        .map_err(|e| format!("{}: {e}", args.findings.display()))?;
    let targets: Vec<_> = TARGETS
        .iter()
        .copied()
        .filter(|(_, n, _)| args.only.is_empty() || args.only.iter().any(|o| o == n))
        .collect();
    if targets.is_empty() {
        return Err(format!("--only {:?}: no such target", args.only));
    }
    let limits = Limits {
        timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
        mem_kib: args.mem_mib * 1024,
    };
    let base = work.join("base");
    let mut ctx = Ctx {
        args,
        floodrill,
        work: work.clone(),
        base: base.clone(),
        limits,
        targets,
        can_resign: false,
        stats: Mutex::new(Stats::default()),
    };
    make_base(&mut ctx, &repo)?;

    let start = Instant::now();
    let deadline = ctx
        .args
        .minutes
        .map(|m| start + Duration::from_secs_f64(m.max(0.0) * 60.0));
    let cases = ctx.args.cases.unwrap_or(if ctx.args.minutes.is_some() {
        u64::MAX
    } else {
        200
    });
    let first = ctx.args.first_case;
    let next = AtomicU64::new(first);
    println!(
        "floodrill-fuzz: seed {}, {} job(s), {}, limits {:.1} s / {} MiB, binary {}",
        ctx.args.seed,
        ctx.args.jobs.max(1),
        match (ctx.args.minutes, ctx.args.cases) {
            (Some(m), Some(c)) => format!("{c} cases or {m} min"),
            (Some(m), None) => format!("{m} min"),
            _ => format!("{cases} cases"),
        },
        ctx.limits.timeout.as_secs_f64(),
        ctx.args.mem_mib,
        ctx.floodrill.display()
    );
    std::thread::scope(|s| {
        for _ in 0..ctx.args.jobs.max(1) {
            s.spawn(|| {
                loop {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i.saturating_sub(first) >= cases {
                        break;
                    }
                    if let Err(e) = run_case(&ctx, &repo, i) {
                        eprintln!("[case {i}] harness error: {e}");
                    }
                }
            });
        }
    });
    let code = summary(&ctx, start.elapsed());
    if !ctx.args.keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(code)
}

/// Build the base folder and check it is valid; a base the binary refuses is itself
/// reported (with the base's command as the finding).
fn make_base(ctx: &mut Ctx, repo: &Path) -> Result<(), String> {
    let mini = ctx.base.join("mini");
    copy_dir(&repo.join("tests/data/mini"), &mini)?;
    let text = std::fs::read_to_string(mini.join("mini.ron")).map_err(|e| e.to_string())?;
    let w = |name: &str, body: &str| {
        std::fs::write(mini.join(name), body).map_err(|e| format!("{name}: {e}"))
    };
    w("series.ron", &series_scenario(&text))?;
    w("rain.csv", RAIN_CSV)?;
    w("inflow.bdy", INFLOW_BDY)?;
    w("orders.txt", ORDERS_TXT)?;
    let checks: [(&str, Vec<String>); 4] = [
        ("base validate mini", sv(&["validate", "mini/mini.ron"])),
        ("base validate series", sv(&["validate", "mini/series.ron"])),
        (
            "base run series",
            sv(&[
                "run",
                "mini/series.ron",
                "--until",
                "2m",
                "--out",
                "out-s",
                "--quiet",
                "--threads",
                "1",
            ]),
        ),
        (
            "base run orders",
            sv(&[
                "run",
                "mini/mini.ron",
                "--orders",
                "mini/orders.txt",
                "--until",
                "15m",
                "--out",
                "out-o",
                "--quiet",
                "--threads",
                "1",
            ]),
        ),
    ];
    for (label, a) in checks {
        let o = exec::run(
            &ctx.floodrill,
            &a,
            &ctx.base,
            &ctx.limits,
            &ctx.base,
            "base",
        )
        .map_err(|e| e.to_string())?;
        if !o.ok() {
            eprintln!(
                "warning: {label} failed ({}): {}",
                o.label(),
                o.first_line()
            );
            let v = match exec::judge(&o, false) {
                Verdict::Ok => Verdict::ValidateThenFail,
                v => v,
            };
            record(ctx, u64::MAX, "base", label, &a, v, &o, &ctx.base, label);
        }
    }
    // A replay of the mini drill's first 10 minutes, and a pristine copy for `compare`.
    let a = sv(&[
        "run",
        "mini/mini.ron",
        "--until",
        "10m",
        "--out",
        "rec",
        "--quiet",
        "--threads",
        "1",
    ]);
    let o = exec::run(
        &ctx.floodrill,
        &a,
        &ctx.base,
        &ctx.limits,
        &ctx.base,
        "base",
    )
    .map_err(|e| e.to_string())?;
    let rep = ctx.base.join("rep");
    std::fs::create_dir_all(&rep).map_err(|e| e.to_string())?;
    let made = ctx.base.join("rec/drill.replay");
    if o.ok() && made.exists() {
        std::fs::copy(&made, rep.join("drill.replay")).map_err(|e| e.to_string())?;
        std::fs::copy(&made, rep.join("orig.replay")).map_err(|e| e.to_string())?;
        let bytes = std::fs::read(&made).unwrap_or_default();
        ctx.can_resign = mutate::replay_checks_hold(&bytes);
        if !ctx.can_resign {
            eprintln!(
                "warning: the base replay's record checks are not blake3(KIND JSON); \
                 replay edits will not be re-signed"
            );
        }
    } else {
        eprintln!(
            "warning: could not make the base replay ({}): {}; replay cases are skipped",
            o.label(),
            o.first_line()
        );
        ctx.targets.retain(|t| t.0 != Target::Replay);
        if ctx.targets.is_empty() {
            return Err("no targets left".into());
        }
    }
    // The demo district and the shipped scenarios, for the demo target.
    if ctx.targets.iter().any(|t| t.0 == Target::Demo) {
        copy_dir(&repo.join("scenarios"), &ctx.base.join("demo/scenarios"))?;
        copy_dir(
            &repo.join("assets/districts/demo"),
            &ctx.base.join("demo/assets/districts/demo"),
        )?;
    }
    Ok(())
}

fn sv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for e in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let e = e.map_err(|e| e.to_string())?;
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()))?;
        } else {
            std::fs::copy(&p, to.join(e.file_name()))
                .map_err(|er| format!("{}: {er}", p.display()))?;
        }
    }
    Ok(())
}

/// One case: pick a target, copy the base, mutate one file, run the commands, judge.
fn run_case(ctx: &Ctx, _repo: &Path, i: u64) -> Result<(), String> {
    let mut r = Rng::for_case(ctx.args.seed, i);
    let weights: Vec<u32> = ctx.targets.iter().map(|t| t.2).collect();
    let (target, tname, _) = ctx.targets[r.weighted(&weights)];
    let case = ctx.work.join(format!("case-{i}"));
    let _ = std::fs::remove_dir_all(&case);
    let (file, m, cmds) = match target {
        Target::Demo => {
            copy_dir(&ctx.base.join("demo"), &case)?;
            let scen = format!("scenarios/{}", r.pick(&SHIPPED));
            let file = if r.chance(1, 2) {
                scen.clone()
            } else {
                format!("assets/districts/demo/{}", r.pick(&DEMO_FILES))
            };
            let m = mutate_file(&case.join(&file), &mut r, ctx, target)?;
            (file, m, scenario_cmds(&scen))
        }
        Target::Replay => {
            copy_dir(&ctx.base.join("rep"), &case.join("rep"))?;
            let file = "rep/drill.replay".to_string();
            let m = mutate_file(&case.join(&file), &mut r, ctx, target)?;
            (file, m, Vec::new())
        }
        _ => {
            copy_dir(&ctx.base.join("mini"), &case.join("mini"))?;
            let (file, scen) = match target {
                Target::Scenario => {
                    let f = if r.chance(3, 4) {
                        "mini.ron"
                    } else {
                        "series.ron"
                    };
                    (f.to_string(), f.to_string())
                }
                Target::Section => ("mini.ron".into(), "mini.ron".into()),
                Target::Asc => (
                    r.pick(&["dem.asc", "landuse.asc"]).to_string(),
                    "mini.ron".into(),
                ),
                Target::GeoJson => (r.pick(&MINI_FILES[3..]).to_string(), "mini.ron".into()),
                Target::Series => (
                    r.pick(&["rain.csv", "inflow.bdy"]).to_string(),
                    "series.ron".into(),
                ),
                _ => ("orders.txt".into(), "mini.ron".into()),
            };
            let file = format!("mini/{file}");
            let m = mutate_file(&case.join(&file), &mut r, ctx, target)?;
            let scen = format!("mini/{scen}");
            let cmds = if target == Target::Orders {
                Vec::new()
            } else {
                scenario_cmds(&scen)
            };
            (file, m, cmds)
        }
    };
    {
        let mut st = ctx.stats.lock().map_err(|e| e.to_string())?;
        st.cases += 1;
        *st.by_target.entry(tname.to_string()).or_default() += 1;
        if st.cases % 250 == 0 {
            eprintln!(
                "... {} cases, {} distinct findings",
                st.cases,
                st.findings.len()
            );
        }
    }
    let what = format!("{file}: {}", m.what);
    match target {
        Target::Replay => replay_case(ctx, i, tname, &case, &what)?,
        Target::Orders => {
            let a = sv(&[
                "run",
                "mini/mini.ron",
                "--orders",
                "mini/orders.txt",
                "--until",
                "15m",
                "--out",
                "out",
                "--quiet",
                "--threads",
                "1",
            ]);
            let o = go(ctx, &case, "run-orders", &a)?;
            let mut v = exec::judge(&o, false);
            if v == Verdict::Ok && o.ok() && m.must_refuse {
                v = Verdict::AcceptedBadInput;
            }
            record(ctx, i, tname, "run --orders", &a, v, &o, &case, &what);
            log_case(ctx, i, &what, &[("run-orders", &o)]);
        }
        _ => {
            let (va, ra) = (&cmds[0], &cmds[1]);
            let vo = go(ctx, &case, "validate", va)?;
            let vv = exec::judge(&vo, false);
            record(ctx, i, tname, "validate", va, vv, &vo, &case, &what);
            if vo.ok() {
                let ro = go(ctx, &case, "run", ra)?;
                let mut rv = exec::judge_run_after_validate(&ro);
                let mut ro2 = ro.clone();
                if rv == Verdict::Ok
                    && ro.ok()
                    && let Some(msg) = overrun(&case.join("out"), 120.0)
                {
                    rv = Verdict::ValidateThenFail;
                    ro2.stderr = format!("{msg}\n{}", ro2.stderr);
                }
                if rv == Verdict::Ok && m.must_refuse {
                    record(
                        ctx,
                        i,
                        tname,
                        "validate",
                        va,
                        Verdict::AcceptedBadInput,
                        &Outcome {
                            stderr: format!("accepted: {}", m.what),
                            ..vo.clone()
                        },
                        &case,
                        &what,
                    );
                }
                record(ctx, i, tname, "validate+run", ra, rv, &ro2, &case, &what);
                log_case(ctx, i, &what, &[("validate", &vo), ("run", &ro)]);
            } else {
                log_case(ctx, i, &what, &[("validate", &vo)]);
            }
        }
    }
    // Findings have copied what they need; the case folder goes.
    let _ = std::fs::remove_dir_all(&case);
    Ok(())
}

fn scenario_cmds(scen: &str) -> Vec<Vec<String>> {
    vec![
        sv(&["validate", scen]),
        sv(&[
            "run",
            scen,
            "--until",
            "2m",
            "--out",
            "out",
            "--quiet",
            "--threads",
            "1",
        ]),
    ]
}

/// A run that exited 0 but ran past `--until` (or wrote no summary) misleads.
fn overrun(out: &Path, until_s: f64) -> Option<String> {
    let text = match std::fs::read_to_string(out.join("summary.json")) {
        Ok(t) => t,
        Err(e) => return Some(format!("run exited 0 but wrote no summary.json: {e}")),
    };
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let t = v.get("sim_time_s")?.as_f64()?;
    (t > until_s + 1e-6)
        .then(|| format!("run --until 2m exited 0 at sim time {t} s (past --until)"))
}

fn replay_case(ctx: &Ctx, i: u64, tname: &str, case: &Path, what: &str) -> Result<(), String> {
    let f = "rep/drill.replay";
    let list: [(&str, Vec<String>); 5] = [
        ("replay", sv(&["replay", f])),
        (
            "replay --verify",
            sv(&["replay", f, "--verify", "--threads", "1"]),
        ),
        (
            "replay --at",
            sv(&["replay", f, "--at", "5m", "--threads", "1"]),
        ),
        (
            "run --from",
            sv(&[
                "run",
                "--from",
                f,
                "--at",
                "5m",
                "--until",
                "10m",
                "--out",
                "br",
                "--quiet",
                "--threads",
                "1",
            ]),
        ),
        (
            "compare",
            sv(&[
                "compare",
                "rep/orig.replay",
                f,
                "--out",
                "cmp",
                "--threads",
                "1",
            ]),
        ),
    ];
    let mut outs: Vec<(&str, Outcome)> = Vec::new();
    for (label, a) in &list {
        let o = go(ctx, case, &label.replace([' ', '-'], "_"), a)?;
        let diverged = *label == "replay --verify"
            && (o.stderr.to_lowercase().contains("diverg")
                || o.stdout.to_lowercase().contains("diverg"));
        let v = exec::judge(&o, diverged);
        record(ctx, i, tname, label, a, v, &o, case, what);
        outs.push((label, o));
    }
    // Every command must check what it reads the same way.
    let refused = |o: &Outcome| o.code == Some(2);
    if refused(&outs[0].1) {
        for k in [2usize, 3] {
            if outs[k].1.ok() {
                let o = Outcome {
                    stderr: format!(
                        "`replay` refused the file ({}) but `{}` accepted it",
                        outs[0].1.first_line(),
                        outs[k].0
                    ),
                    ..outs[k].1.clone()
                };
                record(
                    ctx,
                    i,
                    tname,
                    outs[k].0,
                    &list[k].1,
                    Verdict::Inconsistent,
                    &o,
                    case,
                    what,
                );
            }
        }
    }
    let refs: Vec<(&str, &Outcome)> = outs.iter().map(|(l, o)| (*l, o)).collect();
    log_case(ctx, i, what, &refs);
    Ok(())
}

fn go(ctx: &Ctx, case: &Path, name: &str, a: &[String]) -> Result<Outcome, String> {
    let o = exec::run(&ctx.floodrill, a, case, &ctx.limits, case, name)
        .map_err(|e| format!("spawn {}: {e}", ctx.floodrill.display()))?;
    let mut st = ctx.stats.lock().map_err(|e| e.to_string())?;
    *st.exits
        .entry(format!("{} {}", a[0], o.label()))
        .or_default() += 1;
    Ok(o)
}

fn log_case(ctx: &Ctx, i: u64, what: &str, outs: &[(&str, &Outcome)]) {
    if ctx.args.verbose {
        let ex: Vec<String> = outs
            .iter()
            .map(|(l, o)| format!("{l}={} ({:.2}s)", o.label(), o.elapsed.as_secs_f64()))
            .collect();
        eprintln!("[case {i}] {what} | {}", ex.join(" "));
    }
}

fn mutate_file(path: &Path, r: &mut Rng, ctx: &Ctx, target: Target) -> Result<Mutation, String> {
    let s = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let m = if r.chance(1, 10) {
        mutate::generic(&s, r)
    } else if target == Target::Section {
        mutate::scenario_section(&s, r)
    } else if name.ends_with(".ron") {
        mutate::ron(&s, r)
    } else if name.ends_with(".asc") {
        mutate::asc(&s, r)
    } else if name.ends_with(".geojson") {
        mutate::geojson(&s, r)
    } else if name.ends_with(".csv") || name.ends_with(".bdy") {
        mutate::series(&s, r)
    } else if name.ends_with(".txt") {
        mutate::orders(&s, r)
    } else if name.ends_with(".replay") {
        mutate::replay(&s, r, ctx.can_resign)
    } else {
        mutate::generic(&s, r)
    };
    std::fs::write(path, &m.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(m)
}

/// Count an outcome and, for a finding never seen before, save it.
#[allow(clippy::too_many_arguments)]
fn record(
    ctx: &Ctx,
    case: u64,
    target: &str,
    label: &str,
    args: &[String],
    v: Verdict,
    o: &Outcome,
    case_dir: &Path,
    what: &str,
) {
    if v == Verdict::Ok {
        return;
    }
    let first = exec::normalise(
        o.stderr
            .lines()
            .chain(o.stdout.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or(""),
        case_dir,
    );
    let key = (label.to_string(), v, first.clone());
    let Ok(mut st) = ctx.stats.lock() else {
        return;
    };
    if let Some(f) = st.findings.get_mut(&key) {
        f.count += 1;
        return;
    }
    st.seq += 1;
    let dir = ctx.args.findings.join(format!(
        "{:03}-{}-{}",
        st.seq,
        v.name(),
        label.replace([' ', '+'], "_").replace("--", "")
    ));
    let f = Finding {
        verdict: v,
        command: format!("floodrill {}", shell_join(args)),
        first_line: first,
        case,
        target: target.to_string(),
        what: what.to_string(),
        count: 1,
        dir: dir.clone(),
    };
    eprintln!(
        "[case {}] FINDING {}: {} | {} | {}",
        if case == u64::MAX {
            "base".into()
        } else {
            case.to_string()
        },
        v.name(),
        f.command,
        o.label(),
        o.first_line().chars().take(200).collect::<String>()
    );
    save(&dir, &f, o, case_dir);
    st.findings.insert(key, f);
}

fn shell_join(a: &[String]) -> String {
    a.iter()
        .map(|s| {
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=".contains(c))
            {
                s.clone()
            } else {
                format!("'{}'", s.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Save a finding: the case's inputs (not its outputs), the command and stderr.
fn save(dir: &Path, f: &Finding, o: &Outcome, cwd: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::create_dir_all(dir);
    for sub in ["mini", "rep", "scenarios"] {
        let p = cwd.join(sub);
        if p.is_dir() {
            let _ = copy_dir(&p, &dir.join(sub));
        }
    }
    if cwd.join("assets").is_dir() {
        // The demo district is 2 MB: keep only what differs from the base.
        let _ = copy_dir(&cwd.join("assets"), &dir.join("assets"));
    }
    let text = format!(
        "kind: {}\ncase: {}\ntarget: {}\nmutation: {}\ncommand (run in this folder): {}\nexit: {}\nwall time: {:.2} s\nfirst stderr line: {}\n",
        f.verdict.name(),
        if f.case == u64::MAX {
            "base".into()
        } else {
            f.case.to_string()
        },
        f.target,
        f.what,
        f.command,
        o.label(),
        o.elapsed.as_secs_f64(),
        o.first_line()
    );
    let _ = std::fs::write(dir.join("finding.txt"), text);
    let _ = std::fs::write(dir.join("stderr.txt"), exec::tail_str(&o.stderr, 4096));
    let _ = std::fs::write(dir.join("stdout.txt"), exec::tail_str(&o.stdout, 2048));
}

fn summary(ctx: &Ctx, took: Duration) -> i32 {
    let Ok(st) = ctx.stats.lock() else {
        return 3;
    };
    let mut out = String::new();
    out.push_str(&format!(
        "\n== floodrill-fuzz summary: seed {}, {} cases in {:.1} s\n",
        ctx.args.seed,
        st.cases,
        took.as_secs_f64()
    ));
    out.push_str("cases by target:");
    for (t, n) in &st.by_target {
        out.push_str(&format!(" {t}={n}"));
    }
    out.push_str("\nexit codes (command exit: count):\n");
    for (k, n) in &st.exits {
        out.push_str(&format!("  {k}: {n}\n"));
    }
    let mut kinds: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for f in st.findings.values() {
        let e = kinds.entry(f.verdict.name()).or_default();
        e.0 += 1;
        e.1 += f.count;
    }
    out.push_str(&format!("distinct findings: {}\n", st.findings.len()));
    let mut list: Vec<&Finding> = st.findings.values().collect();
    list.sort_by_key(|f| (f.verdict, f.dir.clone()));
    for f in &list {
        out.push_str(&format!(
            "  [{}] {} ×{} (first case {}, {}): {} | {}\n",
            f.verdict.name(),
            f.dir.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            f.count,
            if f.case == u64::MAX {
                "base".into()
            } else {
                f.case.to_string()
            },
            f.target,
            f.command,
            f.first_line
        ));
        out.push_str(&format!("      mutation: {}\n", f.what));
    }
    let line: Vec<String> = kinds
        .iter()
        .map(|(k, (d, n))| format!("{k}={d} ({n} cases)"))
        .collect();
    out.push_str(&format!(
        "findings by kind: {}\n",
        if line.is_empty() {
            "none".into()
        } else {
            line.join(" ")
        }
    ));
    print!("{out}");
    let _ = std::fs::write(ctx.args.findings.join("summary.txt"), &out);
    if st.findings.is_empty() { 0 } else { 1 }
}
