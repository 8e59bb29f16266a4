//! The `floodrill` command line: run a drill headless, validate scenarios, benchmark.
//!
//! Exit codes: 0 success, 1 the simulation failed (numerical), 2 bad input (scenario,
//! raster, arguments), 130 interrupted by Ctrl-C (outputs up to then are written).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use floodrill::engine::EngineOptions;
use floodrill::run::{RunOptions, RunStatus};
use floodrill::scenario::{self, format_clock, parse_duration};
use indicatif::{ProgressBar, ProgressStyle};

/// floodrill — disaster-drill and urban flood simulation.
///
/// Rain falls on district terrain, water ponds in underpasses and low streets,
/// residents are warned and evacuate, teams and drainage robots respond, and the
/// response is scored against the four-in-place (四到位) rubric.
#[derive(Parser)]
#[command(name = "floodrill", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a drill headless from a scenario file and write its outputs.
    ///
    /// Shows progress (sim time, × real time, ETA), prints a summary at the end and
    /// writes DIR/summary.json. Ctrl-C finishes the current tick, writes what it has
    /// and exits with 130.
    Run {
        /// Scenario file (RON).
        scenario: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Stop at this sim time instead of the scenario's end, e.g. "1h30m".
        #[arg(long, value_parser = duration_arg)]
        until: Option<f64>,
        /// Seed for every random stream (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Threads for the numerical kernels (default: all cores). Results are
        /// bit-identical on any thread count.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        /// No progress bar and no summary table (summary.json is still written).
        #[arg(long)]
        quiet: bool,
        /// Command stream: timed orders and injects, one per line ("45m Dispatch(unit:
        /// \"T01\", to: Place(\"H01\"))", "1h inject LeveeBreach(...)"); checked
        /// against the scenario before the run starts.
        #[arg(long)]
        orders: Option<PathBuf>,
    },
    /// Open a replay file (every run writes DIR/drill.replay): what it holds, or with
    /// --verify re-simulate it and check every snapshot's state digest.
    ///
    /// A file cut short by a crash opens up to its last snapshot. A damaged, altered or
    /// foreign file is an error naming the line (and the snapshot); exit 2. A
    /// verification that diverges names the first divergent snapshot; exit 1.
    Replay {
        /// The replay file.
        file: PathBuf,
        /// Re-simulate from the recorded scenario, seed and commands and compare every
        /// snapshot digest.
        #[arg(long)]
        verify: bool,
        /// Threads for the re-simulation (results are the same on any count).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    },
    /// Check scenario files: syntax, fields, referenced files and cross-references.
    ///
    /// Reports every problem with file, line:column and field. Exits 2 if any file
    /// has problems.
    Validate {
        /// Scenario files (RON).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Open the interactive console on a scenario (build with `--features gui`).
    ///
    /// A window with the district map and a top bar: scenario name, sim clock, speed
    /// (×1 … ×600), pause and single step. It drives the same tick as `run`. Needs a
    /// display; on a machine without one, run under `xvfb-run`.
    Gui {
        /// Scenario file (RON).
        scenario: PathBuf,
        /// Save a PNG of the window once the map has rendered and a few ticks have run,
        /// then exit (for CI and documentation).
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Exit after this many frames whatever happens (a safety net for unattended
        /// runs; with --screenshot, reaching it before the PNG is written is an error).
        #[arg(long)]
        exit_after_frames: Option<u32>,
        /// Initial speed in sim seconds per real second (the top bar offers ×1 … ×600).
        #[arg(long, default_value_t = 60.0, value_parser = speed_arg)]
        speed: f64,
        /// Seed for every random stream (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Threads for the numerical kernels (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    },
    /// Measure the numerical kernels. The last line printed is the figure.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// 2D surface flow on a wet urban grid (size × size cells of 5 m, buildings,
    /// rain). Prints each repeat and, last, the median `cell_updates_per_s: X`.
    Surface {
        /// Cells per side.
        #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(16..=16384))]
        size: u32,
        /// Kernel threads (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        /// Simulated seconds per repeat (after a warm-up).
        #[arg(long, default_value_t = 60.0)]
        sim_seconds: f64,
        /// Repeats; the median is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
        /// State precision.
        #[arg(long, default_value = "f64", value_parser = ["f32", "f64"])]
        precision: String,
        /// Include the convective acceleration (the `advection` hydro option).
        #[arg(long)]
        advection: bool,
    },
    /// The household step on a synthetic flooded street grid (most households moving).
    /// Prints each repeat and, last, the median `household_updates_per_s: X`.
    Agents {
        /// Households.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=50_000_000))]
        households: u32,
        /// Kernel threads (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        /// Repeats; the median is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
    },
}

/// Load a scenario, printing every problem; `None` means exit 2.
fn replay(file: &std::path::Path, verify: bool, threads: Option<usize>) -> ExitCode {
    let r = match floodrill::replay::read(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let name = floodrill::scenario::parse(
        std::path::Path::new(&r.header.scenario_path),
        &r.header.scenario_text,
    )
    .map(|f| f.meta.name)
    .unwrap_or_default();
    println!(
        "{}: {} — scenario {} (hash {}), seed {}, floodrill {}",
        file.display(),
        name,
        r.header.scenario_path,
        &r.header.scenario_hash[..12.min(r.header.scenario_hash.len())],
        r.header.seed,
        r.header.engine_version
    );
    let last = r.snapshots.last().map(|s| s.1.t).unwrap_or(0.0);
    match &r.end {
        Some(end) => println!(
            "complete: {} to {}, {} snapshots, {} recorded commands, final digest {}",
            end.status,
            format_clock(end.t),
            r.snapshots.len(),
            r.commands.len(),
            &end.digest[..16.min(end.digest.len())]
        ),
        None => println!(
            "incomplete (the run did not close it): opens up to its last snapshot at {}; {} snapshots, {} recorded commands",
            format_clock(last),
            r.snapshots.len(),
            r.commands.len()
        ),
    }
    if !verify {
        return ExitCode::SUCCESS;
    }
    match floodrill::replay::verify(file, threads) {
        Ok(v) => {
            println!(
                "verified: {} snapshot digests{} match a re-simulation to {}",
                v.snapshots,
                if v.end_checked {
                    " and the final one"
                } else {
                    ""
                },
                format_clock(v.t)
            );
            ExitCode::SUCCESS
        }
        Err(e @ floodrill::replay::ReplayError::Diverged { .. }) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn load_or_report(path: &std::path::Path) -> Option<Arc<floodrill::scenario::Scenario>> {
    match scenario::load(path) {
        Ok(s) => Some(Arc::new(s)),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

fn duration_arg(s: &str) -> Result<f64, String> {
    parse_duration(s)
}

static STOP: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Replay {
            file,
            verify,
            threads,
        } => replay(&file, verify, threads.map(usize::from)),
        Command::Run {
            scenario,
            out,
            until,
            seed,
            threads,
            quiet,
            orders,
        } => run(
            scenario,
            out,
            until,
            seed,
            threads.map(usize::from),
            quiet,
            orders,
        ),
        Command::Gui {
            scenario,
            screenshot,
            exit_after_frames,
            speed,
            seed,
            threads,
        } => gui(
            scenario,
            screenshot,
            exit_after_frames,
            speed,
            EngineOptions {
                seed,
                threads: threads.map(usize::from),
            },
        ),
        Command::Bench {
            what:
                BenchWhat::Surface {
                    size,
                    threads,
                    sim_seconds,
                    repeat,
                    precision,
                    advection,
                },
        } => bench_surface(
            size as usize,
            threads,
            sim_seconds,
            repeat,
            &precision,
            advection,
        ),
        Command::Bench {
            what:
                BenchWhat::Agents {
                    households,
                    threads,
                    repeat,
                },
        } => bench_agents(households as usize, threads, repeat),
    }
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for p in paths {
        match scenario::load(p) {
            Ok(s) => println!("ok: {} — {}", p.display(), s.file.meta.name),
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} scenario files have problems", paths.len());
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn run(
    path: PathBuf,
    out: PathBuf,
    until: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
    quiet: bool,
    orders: Option<PathBuf>,
) -> ExitCode {
    let Some(scenario) = load_or_report(&path) else {
        return ExitCode::from(2);
    };
    let commands = match &orders {
        None => Vec::new(),
        Some(p) => match floodrill::exercise::commands::read_command_stream(p, &scenario) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
    };
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)) {
        eprintln!("warning: Ctrl-C handler not installed ({e}); Ctrl-C will end the run abruptly");
    }
    let opts = RunOptions {
        out: out.clone(),
        until,
        engine: EngineOptions { seed, threads },
        commands,
    };
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(1000);
        b.set_style(
            ProgressStyle::with_template("{prefix} [{bar:32}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_prefix(scenario.file.meta.name.clone());
        b
    };
    let mut progress = |t: f64, end: f64, wall: f64| {
        if end > 0.0 {
            bar.set_position(((t / end) * 1000.0) as u64);
        }
        let speed = if wall > 0.0 { t / wall } else { 0.0 };
        let eta = if speed > 0.0 { (end - t) / speed } else { 0.0 };
        bar.set_message(format!(
            "{} / {}  ×{:.0} real time  ETA {}",
            format_clock(t),
            format_clock(end),
            speed,
            format_clock(eta)
        ));
    };
    let result = floodrill::run::run(scenario.clone(), &opts, &STOP, &mut progress);
    bar.finish_and_clear();
    match result {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Ok(s) => {
            if !quiet {
                println!("{}", floodrill::report::summary_table(&s));
                if let Some(card) = &s.scorecard {
                    println!("{}", floodrill::report::table::scorecard_table(card, 6));
                }
            }
            println!("wrote {}", out.join("scorecard.json").display());
            println!("wrote {}", out.join("summary.json").display());
            match s.status {
                RunStatus::Completed => ExitCode::SUCCESS,
                RunStatus::Interrupted => {
                    eprintln!(
                        "interrupted at {}; outputs up to then are written",
                        s.sim_time
                    );
                    ExitCode::from(130)
                }
                RunStatus::Failed => {
                    eprintln!(
                        "error: {}",
                        s.failure.as_deref().unwrap_or("simulation failed")
                    );
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn bench_surface(
    size: usize,
    threads: Option<u16>,
    sim_seconds: f64,
    repeat: u32,
    precision: &str,
    advection: bool,
) -> ExitCode {
    use floodrill::hydro::HydroConfig;
    use floodrill::hydro::bench::surface_bench_cfg;
    if !(sim_seconds > 0.0 && sim_seconds.is_finite()) {
        eprintln!("error: --sim-seconds: expected a number > 0, found {sim_seconds}");
        return ExitCode::from(2);
    }
    let threads = threads.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    println!(
        "surface bench: {size}×{size} cells, {threads} thread(s), {precision}, advection {}, {sim_seconds} s simulated × {repeat}",
        if advection { "on" } else { "off" }
    );
    let mut cfg = HydroConfig::default();
    cfg.surface.advection = advection;
    let mut rates = Vec::new();
    for k in 0..repeat {
        let r = if precision == "f32" {
            surface_bench_cfg::<f32>(size, threads, sim_seconds, cfg)
        } else {
            surface_bench_cfg::<f64>(size, threads, sim_seconds, cfg)
        };
        println!(
            "run {}: {} sub-steps, {:.3e} cell updates in {:.3} s = {:.1} M/s",
            k + 1,
            r.substeps,
            r.cell_updates as f64,
            r.wall_s,
            r.cell_updates_per_s / 1e6
        );
        rates.push(r.cell_updates_per_s);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!("cell_updates_per_s: {median:.0}");
    ExitCode::SUCCESS
}

fn speed_arg(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "expected a positive number of sim seconds per real second, found \"{s}\""
        )),
    }
}

#[cfg(feature = "gui")]
fn gui(
    path: PathBuf,
    screenshot: Option<PathBuf>,
    exit_after_frames: Option<u32>,
    speed: f64,
    engine: EngineOptions,
) -> ExitCode {
    let Some(scenario) = load_or_report(&path) else {
        return ExitCode::from(2);
    };
    let opts = floodrill::gui::GuiOptions {
        screenshot,
        exit_after_frames,
        speed,
        engine,
    };
    match floodrill::gui::run_gui(scenario, opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(not(feature = "gui"))]
fn gui(
    _path: PathBuf,
    _screenshot: Option<PathBuf>,
    _exit_after_frames: Option<u32>,
    _speed: f64,
    _engine: EngineOptions,
) -> ExitCode {
    eprintln!(
        "error: this floodrill was built without the `gui` feature; run `cargo run --release --features gui -- gui SCENARIO`"
    );
    ExitCode::from(2)
}

fn bench_agents(households: usize, threads: Option<u16>, repeat: u32) -> ExitCode {
    let threads = threads.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    println!("agents bench: {households} households, {threads} thread(s) × {repeat}");
    let mut rates = Vec::new();
    for k in 0..repeat {
        let r = floodrill::agents::agents_bench(households, threads);
        println!(
            "run {}: {:.1} M household-updates/s",
            k + 1,
            r.household_updates_per_s / 1e6
        );
        rates.push(r.household_updates_per_s);
    }
    rates.sort_by(f64::total_cmp);
    println!("household_updates_per_s: {:.0}", rates[rates.len() / 2]);
    ExitCode::SUCCESS
}
