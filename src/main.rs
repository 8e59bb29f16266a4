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
use floodrill::scenario::{format_clock, parse_duration};
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
    ///
    /// With --from REPLAY --at TIME it branches instead: it continues an earlier run
    /// from that moment of its replay, with the orders of --orders in place of the
    /// parent's later orders, into a new replay that records its parent.
    Run {
        /// Scenario file (RON); not with --from (the replay embeds its scenario).
        #[arg(required_unless_present = "from", conflicts_with = "from")]
        scenario: Option<PathBuf>,
        /// Branch from this replay file (an earlier run's DIR/drill.replay).
        #[arg(long, requires = "at")]
        from: Option<PathBuf>,
        /// The moment of --from to branch at, e.g. "1h" or "1h30m".
        #[arg(long, requires = "from", value_parser = duration_arg)]
        at: Option<f64>,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Stop at this sim time instead of the scenario's end, e.g. "1h30m".
        #[arg(long, value_parser = duration_arg)]
        until: Option<f64>,
        /// Seed for every random stream (default: the scenario's).
        #[arg(long, conflicts_with = "from")]
        seed: Option<u64>,
        /// Threads for the numerical kernels (default: all cores; at most 256). Results
        /// are bit-identical on any thread count; more threads than cores only slow the
        /// run down (a warning says so).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<u16>,
        /// No progress bar and no summary table (summary.json is still written).
        #[arg(long)]
        quiet: bool,
        /// Print where the wall time went: each phase of the tick and each water kernel
        /// (always in summary.json's `figures.profile`).
        #[arg(long)]
        profile: bool,
        /// Only the hydraulics: no replay, no scorecard and no report (the water
        /// outputs, summary.json and the series are written).
        #[arg(long, conflicts_with = "from")]
        hydraulics_only: bool,
        /// Stop the run (exit 1) when the water takes more than this wall time in one
        /// tick, e.g. "10m" (default: no limit; a sub-step budget per tick always
        /// applies).
        #[arg(long, value_parser = duration_arg)]
        max_tick_wall: Option<f64>,
        /// Write no replay (drill.replay): the run cannot be reviewed, branched or
        /// verified afterwards, but saves the disk and the time of its full states.
        #[arg(long, conflicts_with = "snapshot_interval")]
        no_replay: bool,
        /// Interval of the replay's snapshots and views, e.g. "2m" (default: the
        /// scenario's `outputs.snapshot_interval`): what a review can scrub to.
        #[arg(long, value_parser = interval_arg)]
        snapshot_interval: Option<f64>,
        /// Interval of the replay's keyframes (exact states), e.g. "30m" (default: the
        /// scenario's `outputs.keyframe_interval`, 2 h): longer makes a smaller file,
        /// and a branch or an exact seek re-simulates up to one interval.
        #[arg(long, value_parser = interval_arg, conflicts_with = "no_replay")]
        keyframe_interval: Option<f64>,
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
        /// Open the drill at this moment ("3h20m") and show the state there (units,
        /// households, water, the scorecard so far) and how long the seek took: the
        /// recorded view at or before it (the water to the millimetre, everything else
        /// exact), or with --exact the exact state (the keyframe before it,
        /// re-simulated to the moment).
        #[arg(long, value_parser = duration_arg, conflicts_with = "verify")]
        at: Option<f64>,
        /// With --at: the exact state at the moment (re-simulates up to one keyframe
        /// interval).
        #[arg(long, requires = "at")]
        exact: bool,
        /// Threads for the re-simulation (results are the same on any count).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    },
    /// Print a finished run's after-action report (DIR/report.html) with headless
    /// Chromium, every evidence table opened: a PDF for the files, a PNG for slides.
    Report {
        /// A finished run's output folder (with report.html).
        dir: PathBuf,
        /// Write DIR/report.pdf.
        #[arg(long, required_unless_present = "screenshot")]
        pdf: bool,
        /// Write a PNG of the page's first --height pixels, 1280 px wide.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Height of the screenshot, pixels.
        #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u32).range(200..=30000))]
        height: u32,
    },
    /// Measure the improvement plan's top actions: branch the drill's replay (DIR/drill.replay)
    /// at the moment each action was due, with the orders that carry it out, run on to
    /// the end, and write each criterion's score beside the drill's into
    /// DIR/what_if.json and DIR/report.html (branches in DIR/what-if/N).
    Review {
        /// A finished run's output folder (with drill.replay and scorecard.json).
        dir: PathBuf,
        /// Run the counterfactuals (the only thing `review` does so far).
        #[arg(long, required = true)]
        what_if: bool,
        /// How many of the top actions that are orders to measure.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=10))]
        top: u16,
        /// Threads for the numerical kernels (default: all cores; at most 256).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<u16>,
    },
    /// Compare two runs of the same district from their replays (e.g. a drill and a
    /// branch of it): the scorecards side by side, the first moment the two diverge,
    /// and difference maps of maximum depth and household outcomes.
    ///
    /// Writes DIR/compare.html (self-contained, for a browser), DIR/compare.json,
    /// DIR/diff_max_depth.png and DIR/diff_households.png.
    Compare {
        /// The first replay (the baseline).
        a: PathBuf,
        /// The second replay (the variant).
        b: PathBuf,
        /// Output folder for the maps and compare.json.
        #[arg(long, default_value = "compare")]
        out: PathBuf,
        /// Threads (results are the same on any count).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    },
    /// Check scenario files: syntax, fields, referenced files and cross-references.
    ///
    /// Reports every problem with file, line:column and field. Exits 2 if any file
    /// has problems. An ensemble specification (`Ensemble(…)`) is checked with its
    /// plans' scenarios and orders.
    Validate {
        /// Scenario files (RON).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Compare plans over many storms: an ensemble of members, every plan on every member.
    ///
    /// `floodrill ensemble SPEC --out DIR` runs the members not yet finished in DIR
    /// (`--jobs` at a time, each on one kernel thread) and merges them into DIR:
    /// ensemble.html, members.csv, criteria.csv, paired.csv, probability grids and
    /// maps. A killed ensemble resumes where it stopped; a crashed member is retried
    /// once. On a cluster, each task runs `--shard i/N` into a shared or its own
    /// folder, and `floodrill ensemble merge DIR... --out OUT` combines them (the same
    /// bytes as one run, in any order). The specification's format: docs/ensemble.md.
    #[command(args_conflicts_with_subcommands = true)]
    Ensemble {
        #[command(subcommand)]
        what: Option<EnsembleWhat>,
        /// The ensemble specification (RON).
        spec: Option<PathBuf>,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out/ensemble")]
        out: PathBuf,
        /// Run only the members whose index is i modulo N (0 ≤ i < N), e.g. "2/4".
        #[arg(long, value_parser = shard_arg)]
        shard: Option<(u32, u32)>,
        /// Members at a time (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run members in child processes or in threads of this process.
        #[arg(long, value_enum, default_value_t = WorkersArg::Processes)]
        workers: WorkersArg,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// The drainage network on its own (EPA SWMM 5 `.inp` models, or their GeoJSON form).
    Network {
        #[command(subcommand)]
        what: NetworkWhat,
    },
    /// Open the interactive console on a scenario (build with `--features gui`).
    ///
    /// A window with the district map and a top bar: scenario name, sim clock, speed
    /// (×1 … ×600), pause and single step. It drives the same tick as `run`. Needs a
    /// display; on a machine without one, run under `xvfb-run`.
    ///
    /// With --replay FILE it reviews a recorded drill instead: a review window scrubs
    /// it (seek to any moment, then play on as recorded, or branch from there).
    ///
    /// The drill ticks on a worker thread; orders given in the window (select a unit,
    /// click the map) and injects fired from the trainer panel go through the same
    /// checks as a command stream, with origin trainee / trainer. With --out DIR the
    /// session is recorded (DIR/drill.replay, events.jsonl, scorecard.json on exit).
    Gui {
        /// Scenario file (RON); not with --replay (the replay embeds its scenario).
        #[arg(required_unless_present = "replay", conflicts_with = "replay")]
        scenario: Option<PathBuf>,
        /// Review this replay file (DIR/drill.replay of an earlier run).
        #[arg(long)]
        replay: Option<PathBuf>,
        /// With --replay: open it at this moment, e.g. "2h30m".
        #[arg(long, requires = "replay", value_parser = duration_arg)]
        at: Option<f64>,
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
        /// Threads for the numerical kernels (default: all cores; at most 256).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<u16>,
        /// Record the session in this folder (drill.replay, events.jsonl,
        /// scorecard.json); a review's branch is recorded here too.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run as fast as possible to this moment first, e.g. "1h30m" (not with --replay).
        #[arg(long, value_parser = duration_arg, conflicts_with = "replay")]
        start_at: Option<f64>,
        /// Start paused.
        #[arg(long)]
        paused: bool,
        /// Start in the trainee view (what the trainees would know), e.g. on a projector.
        #[arg(long)]
        trainee: bool,
        /// Select this team or robot at the start (its route is drawn).
        #[arg(long)]
        select: Option<String>,
        /// Show the hazard classes (H1–H6) instead of the water depth at the start.
        #[arg(long)]
        hazard: bool,
        /// UI scale, 0.5–4 (1.5 reads well on a projector).
        #[arg(long, default_value_t = 1.0)]
        scale: f32,
        /// Language of the console: both (Chinese and English side by side), zh, en.
        #[arg(long, default_value = "both")]
        lang: String,
        /// Write where the panels and units are on screen to this JSON file, twice a
        /// second (for scripted tests).
        #[arg(long)]
        ui_marks: Option<PathBuf>,
        /// Write frame-time statistics (median, 99th percentile) to this JSON file.
        #[arg(long)]
        frame_stats: Option<PathBuf>,
    },
    /// Measure the numerical kernels. The last line printed is the figure.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum WorkersArg {
    Processes,
    Threads,
}

#[derive(Subcommand)]
enum EnsembleWhat {
    /// Merge the results in ensemble folders (shards, in any order) into OUT.
    Merge {
        /// Ensemble output folders (each with its ensemble.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder of the merged result.
        #[arg(long, default_value = "out/ensemble")]
        out: PathBuf,
        /// Merge even if some runs are missing (they are listed in the report).
        #[arg(long)]
        allow_missing: bool,
    },
    /// Run one plan in one member and write its result (what each worker process runs).
    #[command(hide = true)]
    Member {
        /// The ensemble specification.
        spec: PathBuf,
        /// The ensemble's output folder.
        #[arg(long)]
        out: PathBuf,
        /// Plan id.
        #[arg(long)]
        plan: String,
        /// Member index.
        #[arg(long)]
        member: u32,
    },
}

fn shard_arg(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected i/N with 0 ≤ i < N (e.g. \"0/4\"), found {s:?}");
    let (a, b) = s.split_once('/').ok_or_else(bad)?;
    let i: u32 = a.trim().parse().map_err(|_| bad())?;
    let n: u32 = b.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

#[derive(Subcommand)]
enum NetworkWhat {
    /// Route a SWMM model with its own subcatchments (nonlinear-reservoir runoff,
    /// Horton infiltration, dynamic-wave routing) from its start to its end; print the
    /// runoff and routing continuity tables and write node depths, node flooding, link
    /// flows, outfall inflows, pump flows and system totals as CSV into DIR.
    Run {
        /// The network: an `.inp` file, or its GeoJSON form (`.geojson`).
        inp: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out/network")]
        out: PathBuf,
    },
    /// Write a network as GeoJSON for GIS (QGIS and the like): nodes as points and
    /// links as lines with their attributes, the options, curves, time series and
    /// inflows beside them. The GeoJSON form is read back wherever a network is (a
    /// scenario's `drainage.network`, `network run`).
    Geojson {
        /// The `.inp` file.
        inp: PathBuf,
        /// The GeoJSON file to write.
        out: PathBuf,
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
        /// Kernel threads (default: all cores; at most 256).
        #[arg(long, value_parser = threads_arg)]
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
    /// The drainage network's cost: the surface benchmark's grid alone, then coupled
    /// to a street sewer network (a manhole every 40 m on every street, each an inlet;
    /// about 9,000 links on 1024²). Prints both times per repeat and, last, the median
    /// `network_overhead: X` (coupled time ÷ surface time − 1).
    Drainage {
        /// Cells per side.
        #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(64..=8192))]
        size: u32,
        /// Kernel threads (default: all cores; at most 256).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<u16>,
        /// Simulated seconds per repeat (after a warm-up).
        #[arg(long, default_value_t = 60.0)]
        sim_seconds: f64,
        /// Repeats; the median is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
    },
    /// A whole drill without outputs: × real time and where the wall time goes (each
    /// phase of the tick, each water kernel). Prints each repeat, the median run's
    /// table and, last, the median `realtime_factor: X`.
    Drill {
        /// Scenario file (RON).
        scenario: PathBuf,
        /// Stop at this sim time, e.g. "1h" (default: the scenario's end).
        #[arg(long, value_parser = duration_arg)]
        until: Option<f64>,
        /// Kernel threads (default: all cores; at most 256).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<u16>,
        /// Repeats; the median is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
    },
    /// The household step on a synthetic flooded street grid (most households moving).
    /// Prints each repeat and, last, the median `household_updates_per_s: X`.
    Agents {
        /// Households.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=50_000_000))]
        households: u32,
        /// Kernel threads (default: all cores; at most 256).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<u16>,
        /// Repeats; the median is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
    },
    /// Seeking in a replay: open it at a moment (default: its end) several times.
    /// Prints each repeat and, last, the median `seek_s: X`.
    Seek {
        /// The replay file.
        file: PathBuf,
        /// The moment to open (default: the end).
        #[arg(long, value_parser = duration_arg)]
        at: Option<f64>,
        /// Time the exact seek (keyframe, then re-simulation to the moment) instead of
        /// the view a review scrubs to.
        #[arg(long)]
        exact: bool,
        /// Kernel threads (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        /// Repeats; the median is reported.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
    },
}

/// `floodrill network run`: route an `.inp` model and write its series.
fn network_run(inp: &std::path::Path, out: &std::path::Path) -> ExitCode {
    use floodrill::hydro::drainage::{netrun, read_network};
    let net = match read_network(inp) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for (section, line) in &net.skipped {
        println!(
            "skipped: [{section}] at {}:{line} (not used by the router)",
            inp.display()
        );
    }
    println!(
        "{}: {} nodes, {} links, {} subcatchments, {} to simulate",
        inp.display(),
        net.nodes.len(),
        net.links.len(),
        net.subcatchments.len(),
        format_clock(net.options.end_s)
    );
    // A simulation the machine cannot finish is refused rather than left to run for
    // days: at most 10⁸ routing steps (about 16 years at SWMM's common 5 s step).
    let steps = net.options.end_s / net.options.routing_step_s.max(0.01);
    if steps > 1e8 {
        eprintln!(
            "error: {}: [OPTIONS] the run from START to END ({}) at ROUTING_STEP {} s is {steps:.2e} routing steps (expected at most 1e8: shorten END_DATE or lengthen ROUTING_STEP)",
            inp.display(),
            format_clock(net.options.end_s),
            net.options.routing_step_s
        );
        return ExitCode::from(2);
    }
    let t0 = std::time::Instant::now();
    let r = netrun::run(&net);
    print!("{}", r.continuity_table());
    println!("wall time {:.2} s", t0.elapsed().as_secs_f64());
    if let Err(e) = r.write_csv(&net, out) {
        eprintln!("error: {}: {e}", out.display());
        return ExitCode::from(2);
    }
    println!("wrote {}", out.display());
    ExitCode::SUCCESS
}

/// `floodrill bench drill`: run a scenario without outputs, `repeat` times.
fn bench_drill(
    path: &std::path::Path,
    until: Option<f64>,
    threads: Option<usize>,
    repeat: u32,
) -> ExitCode {
    use floodrill::engine::profile::profile_json;
    use floodrill::report::profile::profile_table;
    let Some(scenario) = load_or_report(path) else {
        return ExitCode::from(2);
    };
    let end = until
        .unwrap_or(scenario.duration())
        .min(scenario.duration());
    let mut runs = Vec::new();
    for k in 1..=repeat {
        let mut e = match floodrill::engine::Engine::new(
            scenario.clone(),
            EngineOptions {
                seed: None,
                threads,
            },
        ) {
            Ok(e) => e,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        };
        let t0 = std::time::Instant::now();
        if let Err(err) = e.run_until(end) {
            eprintln!("error: {err}");
            return ExitCode::from(1);
        }
        let wall = t0.elapsed().as_secs_f64();
        let sim = e.clock().t;
        let kernels = e
            .world()
            .get_resource::<floodrill::engine::hydro::Water>()
            .map(|w| w.0.kernel_times());
        let threads = e
            .world()
            .resource::<floodrill::engine::SimThreads>()
            .0
            .current_num_threads();
        println!(
            "run {k}: {} simulated in {wall:.2} s wall on {threads} thread(s): ×{:.1} real time",
            format_clock(sim),
            sim / wall.max(1e-12)
        );
        runs.push((
            sim / wall.max(1e-12),
            profile_json(&e.phase_times(), kernels, 0.0, wall),
        ));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (factor, profile) = &runs[runs.len() / 2];
    println!("{}", profile_table(profile));
    println!("realtime_factor: {factor:.2}");
    ExitCode::SUCCESS
}

/// `floodrill network geojson`: write a network's GeoJSON form.
fn network_geojson(inp: &std::path::Path, out: &std::path::Path) -> ExitCode {
    use floodrill::hydro::drainage::{geojson, read_network};
    let net = match read_network(inp) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let value = match geojson::to_geojson(&net) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {}: {e}", inp.display());
            return ExitCode::from(2);
        }
    };
    let text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    if let Err(e) = std::fs::write(out, text) {
        eprintln!("error: {}: {e}", out.display());
        return ExitCode::from(2);
    }
    println!(
        "wrote {} ({} nodes, {} links)",
        out.display(),
        net.nodes.len(),
        net.links.len()
    );
    ExitCode::SUCCESS
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
                "verified: {} snapshot digests{} match a re-simulation to {}, and its {} keyframes and views decode to the re-simulated states",
                v.snapshots,
                if v.end_checked {
                    " and the final one"
                } else {
                    ""
                },
                format_clock(v.t),
                v.states
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

/// `floodrill report DIR --pdf / --screenshot FILE`.
fn print_report(
    dir: &std::path::Path,
    pdf: bool,
    screenshot: Option<&std::path::Path>,
    height: u32,
) -> ExitCode {
    use floodrill::report::print::{Output, print};
    let mut jobs = Vec::new();
    if pdf {
        jobs.push((dir.join("report.pdf"), Output::Pdf));
    }
    if let Some(p) = screenshot {
        jobs.push((p.to_path_buf(), Output::Screenshot { height }));
    }
    for (out, what) in jobs {
        match print(dir, &out, what) {
            Ok(()) => println!("wrote {}", out.display()),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

/// Open a replay at a moment and show the drill there.
fn seek(file: &std::path::Path, t: f64, exact: bool, threads: Option<usize>) -> ExitCode {
    let started = std::time::Instant::now();
    let opened = if exact {
        floodrill::replay::open_at(file, t, threads)
    } else {
        floodrill::replay::open_view_at(file, t, threads)
    };
    let (engine, r, sk) = match opened {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(match e {
                floodrill::replay::ReplayError::Diverged { .. } => 1,
                _ => 2,
            });
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let name = floodrill::scenario::parse(
        std::path::Path::new(&r.header.scenario_path),
        &r.header.scenario_text,
    )
    .map(|f| f.meta.name)
    .unwrap_or_default();
    let end = r.end.as_ref().map_or(sk.t, |e| e.t);
    if sk.t < t - 1e-9 && sk.t >= end - 1e-9 {
        println!(
            "note: the replay ends at {}; showing that moment",
            format_clock(sk.t)
        );
    } else if sk.t < t - 1e-9 {
        println!(
            "note: showing the view recorded at {} (views every snapshot interval; --exact re-simulates to {})",
            format_clock(sk.t),
            format_clock(t)
        );
    }
    println!(
        "{}: {name} at {} (tick {}), digest {}",
        file.display(),
        format_clock(sk.t),
        engine.clock().tick,
        &engine.digest()[..16]
    );
    if !exact {
        println!(
            "seek took {wall:.2} s: read {:.2} s, restored the view at {} in {:.2} s (the water to the millimetre; --exact for the exact state)",
            sk.read_s,
            format_clock(sk.t),
            sk.restore_s
        );
    } else {
        println!(
            "seek took {wall:.2} s: read {:.2} s, restored the state at {} in {:.2} s, re-simulated {} in {:.2} s",
            sk.read_s,
            sk.from_state.map_or(
                "0:00:00 (no full state before it)".to_string(),
                format_clock
            ),
            sk.restore_s,
            format_clock(sk.resimulated_s),
            sk.simulate_s
        );
    }
    let snap = floodrill::replay::snapshot(&engine);
    let mut rows = Vec::new();
    for (k, v) in &snap.metrics {
        let v = match v.as_f64() {
            Some(x) if x.fract() != 0.0 => format!("{x:.1}"),
            _ => v.to_string(),
        };
        rows.push((k.clone(), v));
    }
    println!(
        "{}",
        floodrill::report::table::key_value_table("at this moment", &rows)
    );
    if let Some(f) = engine
        .world()
        .get_resource::<floodrill::engine::forces::ForcesRes>()
    {
        let state = |v: serde_json::Result<serde_json::Value>| {
            v.ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        };
        let mut units: Vec<Vec<String>> =
            f.0.teams
                .iter()
                .map(|u| {
                    vec![
                        u.spec.id.clone(),
                        u.spec.name.clone(),
                        state(serde_json::to_value(u.state)),
                        format!("({:.0}, {:.0})", u.pos.0, u.pos.1),
                    ]
                })
                .collect();
        units.extend(f.0.robots.iter().map(|u| {
            vec![
                u.spec.id.clone(),
                u.spec.name.clone(),
                state(serde_json::to_value(u.state)),
                format!("({:.0}, {:.0})", u.pos.0, u.pos.1),
            ]
        }));
        if !units.is_empty() {
            println!(
                "{}",
                floodrill::report::table::grid_table(
                    "units",
                    &["id", "name", "state", "at (x, y)"],
                    &units
                )
            );
        }
    }
    let card = floodrill::engine::scoring::scorecard(engine.world());
    println!("{}", floodrill::report::table::scorecard_table(&card, 3));
    ExitCode::SUCCESS
}

/// `floodrill compare A B`.
fn compare(
    a: &std::path::Path,
    b: &std::path::Path,
    out: &std::path::Path,
    threads: Option<usize>,
) -> ExitCode {
    let (c, diff) = match floodrill::replay::compare::compare(a, b, threads) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let maps = match floodrill::report::maps::diff_maps(&diff) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: drawing the difference maps: {e}");
            return ExitCode::from(1);
        }
    };
    println!("{}", floodrill::report::table::comparison_text(&c));
    let write = |name: &str, bytes: &[u8]| -> Result<(), OutputError> {
        let p = out.join(name);
        std::fs::write(&p, bytes).map_err(|source| OutputError {
            path: p.clone(),
            action: "write",
            source,
        })?;
        println!("wrote {}", p.display());
        Ok(())
    };
    let json = serde_json::to_string_pretty(&c).unwrap_or_default() + "\n";
    let res = std::fs::create_dir_all(out)
        .map_err(|source| OutputError {
            path: out.to_path_buf(),
            action: "create",
            source,
        })
        .and_then(|_| write("compare.json", json.as_bytes()))
        .and_then(|_| write("diff_max_depth.png", &maps.max_depth))
        .and_then(|_| write("diff_households.png", &maps.households))
        .and_then(|_| {
            write(
                "compare.html",
                floodrill::report::html::comparison_html(&c, &maps).as_bytes(),
            )
        });
    if let Err(e) = res {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// `floodrill bench seek`.
fn bench_seek(
    file: &std::path::Path,
    at: Option<f64>,
    exact: bool,
    threads: Option<usize>,
    repeat: u32,
) -> ExitCode {
    let t = at.unwrap_or(f64::INFINITY);
    let mut times = Vec::new();
    for k in 0..repeat {
        let started = std::time::Instant::now();
        let opened = if exact {
            floodrill::replay::open_at(file, t, threads)
        } else {
            floodrill::replay::open_view_at(file, t, threads)
        };
        match opened {
            Ok((_, _, sk)) => {
                let wall = started.elapsed().as_secs_f64();
                println!(
                    "repeat {}: {wall:.3} s to {} (read {:.3} s, restore {:.3} s from {}, re-simulate {} in {:.3} s)",
                    k + 1,
                    format_clock(sk.t),
                    sk.read_s,
                    sk.restore_s,
                    sk.from_state.map_or("the start".to_string(), format_clock),
                    format_clock(sk.resimulated_s),
                    sk.simulate_s
                );
                times.push(wall);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    println!("seek_s: {:.3}", times[times.len() / 2]);
    ExitCode::SUCCESS
}

/// The scenario a replay embeds, set up again, and its seed (through the replay's
/// index when it has one, so a big file is not read whole).
fn scenario_of_replay(
    file: &std::path::Path,
) -> Result<(Arc<floodrill::scenario::Scenario>, u64), floodrill::replay::ReplayError> {
    let r = match floodrill::replay::read_indexed(file)? {
        Some(r) => r,
        None => floodrill::replay::read(file)?,
    };
    let s = floodrill::replay::record::scenario_of(&r)?;
    Ok((Arc::new(s), r.header.seed))
}

fn load_or_report(path: &std::path::Path) -> Option<Arc<floodrill::scenario::Scenario>> {
    match floodrill::setup::load(path) {
        Ok(s) => Some(Arc::new(s)),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

fn duration_arg(s: &str) -> Result<f64, floodrill::scenario::DurationError> {
    parse_duration(s)
}

/// `floodrill review DIR --what-if`.
fn review_what_if(dir: &std::path::Path, top: usize, threads: Option<usize>) -> ExitCode {
    use floodrill::run::what_if::{WhatIfError, measure, write};
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)) {
        eprintln!("warning: Ctrl-C handler not installed ({e}); Ctrl-C will end the run abruptly");
    }
    let engine = EngineOptions {
        seed: None,
        threads,
    };
    let results = measure(dir, top, engine, &STOP, &mut |s| {
        println!(
            "what-if {}: {} — branching at {} with {}",
            s.index,
            s.action,
            format_clock(s.at),
            s.orders_file.display()
        );
    });
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return match e {
                WhatIfError::Output { .. } | WhatIfError::Stopped { .. } => ExitCode::from(1),
                _ => ExitCode::from(2),
            };
        }
    };
    if results.is_empty() {
        println!(
            "no action of the improvement plan is an order that can be branched: nothing to measure"
        );
        return ExitCode::SUCCESS;
    }
    for r in &results {
        println!(
            "  {}: 总评 overall {:.1} → {:.1}",
            r["folder"].as_str().unwrap_or(""),
            r["overall"]["drill"].as_f64().unwrap_or(0.0),
            r["overall"]["what_if"].as_f64().unwrap_or(0.0)
        );
        for c in r["criteria"].as_array().into_iter().flatten() {
            println!(
                "    {}: {:.1} → {:.1}",
                c["name"].as_str().unwrap_or("?"),
                c["drill"].as_f64().unwrap_or(0.0),
                c["what_if"].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    match write(dir, &results) {
        Ok(files) => {
            for f in files {
                println!("wrote {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// A replay interval: a duration above zero.
fn interval_arg(s: &str) -> Result<f64, String> {
    let t = parse_duration(s).map_err(|e| e.to_string())?;
    if t > 0.0 {
        Ok(t)
    } else {
        Err(format!(
            "\"{s}\": expected an interval above zero, e.g. \"5m\""
        ))
    }
}

/// An output file or folder that could not be made.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot {action}: {source}", path.display())]
struct OutputError {
    path: std::path::PathBuf,
    action: &'static str,
    source: std::io::Error,
}

/// A command-line value clap cannot turn into what a flag expects.
#[derive(Debug, thiserror::Error)]
enum ArgError {
    #[error("expected at least 1 thread")]
    NoThreads,
    #[error(
        "{0} threads is more than the {MAX_THREADS} accepted; this machine has {cores} core(s) \
         and more threads than cores only slow the run down",
        cores = cores()
    )]
    TooManyThreads(u64),
    #[error("expected a whole number of threads, found \"{0}\"")]
    NotThreads(String),
    #[error("expected a positive number of sim seconds per real second, found \"{0}\"")]
    NotSpeed(String),
}

/// Most kernel threads accepted: beyond this a count is a typo, not a machine.
const MAX_THREADS: u16 = 256;

fn threads_arg(s: &str) -> Result<u16, ArgError> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_THREADS)).contains(&n) => Ok(n as u16),
        Ok(0) => Err(ArgError::NoThreads),
        Ok(n) => Err(ArgError::TooManyThreads(n)),
        Err(_) => Err(ArgError::NotThreads(s.to_string())),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Warn (stderr) when more threads are asked for than the machine has cores.
fn warn_threads(threads: Option<u16>) {
    let n = cores();
    if let Some(t) = threads
        && usize::from(t) > n
    {
        eprintln!(
            "warning: --threads {t} is more than the {n} core(s) of this machine; the kernels \
             will be slower than with --threads {n} (results are the same on any count)"
        );
    }
}

static STOP: std::sync::LazyLock<Arc<AtomicBool>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicBool::new(false)));

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Ensemble {
            what,
            spec,
            out,
            shard,
            jobs,
            workers,
            quiet,
        } => match what {
            Some(EnsembleWhat::Merge {
                dirs,
                out,
                allow_missing,
            }) => ensemble_merge(&dirs, &out, allow_missing),
            Some(EnsembleWhat::Member {
                spec,
                out,
                plan,
                member,
            }) => ensemble_member(&spec, &out, &plan, member),
            None => match spec {
                Some(spec) => ensemble_run(&spec, &out, shard, jobs, workers, quiet),
                None => {
                    eprintln!(
                        "error: give an ensemble specification (floodrill ensemble SPEC --out DIR) or `merge DIR...`"
                    );
                    ExitCode::from(2)
                }
            },
        },
        Command::Network {
            what: NetworkWhat::Run { inp, out },
        } => network_run(&inp, &out),
        Command::Network {
            what: NetworkWhat::Geojson { inp, out },
        } => network_geojson(&inp, &out),
        Command::Replay {
            file,
            verify,
            at,
            exact,
            threads,
        } => match at {
            Some(t) => seek(&file, t, exact, threads.map(usize::from)),
            None => replay(&file, verify, threads.map(usize::from)),
        },
        Command::Report {
            dir,
            pdf,
            screenshot,
            height,
        } => print_report(&dir, pdf, screenshot.as_deref(), height),
        Command::Compare { a, b, out, threads } => compare(&a, &b, &out, threads.map(usize::from)),
        Command::Review {
            dir,
            what_if: _,
            top,
            threads,
        } => review_what_if(&dir, usize::from(top), threads.map(usize::from)),
        Command::Bench {
            what:
                BenchWhat::Seek {
                    file,
                    at,
                    exact,
                    threads,
                    repeat,
                },
        } => bench_seek(&file, at, exact, threads.map(usize::from), repeat),
        Command::Run {
            scenario,
            from,
            at,
            out,
            until,
            seed,
            threads,
            quiet,
            profile,
            orders,
            hydraulics_only,
            max_tick_wall,
            no_replay,
            snapshot_interval,
            keyframe_interval,
        } => {
            warn_threads(threads);
            run(RunArgs {
                path: scenario,
                branch: from.zip(at),
                out,
                until,
                seed,
                threads: threads.map(usize::from),
                quiet,
                profile,
                orders,
                hydraulics_only,
                max_tick_wall,
                no_replay,
                snapshot_interval,
                keyframe_interval,
            })
        }
        Command::Gui {
            scenario,
            replay,
            at,
            screenshot,
            exit_after_frames,
            speed,
            seed,
            threads,
            out,
            start_at,
            paused,
            trainee,
            select,
            hazard,
            scale,
            lang,
            ui_marks,
            frame_stats,
        } => {
            warn_threads(threads);
            gui(GuiArgs {
                path: scenario,
                replay: replay.map(|r| (r, at)),
                screenshot,
                exit_after_frames,
                speed,
                engine: EngineOptions {
                    seed,
                    threads: threads.map(usize::from),
                },
                out,
                start_at,
                paused,
                trainee,
                select,
                hazard,
                scale,
                lang,
                ui_marks,
                frame_stats,
            })
        }
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
                BenchWhat::Drill {
                    scenario,
                    until,
                    threads,
                    repeat,
                },
        } => bench_drill(&scenario, until, threads.map(usize::from), repeat),
        Command::Bench {
            what:
                BenchWhat::Drainage {
                    size,
                    threads,
                    sim_seconds,
                    repeat,
                },
        } => bench_drainage(size as usize, threads, sim_seconds, repeat),
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
        if floodrill::ensemble::spec::is_ensemble_file(p) {
            match floodrill::ensemble::load(p) {
                Ok(e) => println!(
                    "ok: {} — ensemble {} ({} members × {} plans)",
                    p.display(),
                    e.file.name,
                    e.file.members,
                    e.plans.len()
                ),
                Err(e) => {
                    failed += 1;
                    eprintln!("{e}");
                }
            }
            continue;
        }
        match floodrill::setup::load(p) {
            Ok(s) => {
                println!("ok: {} — {}", p.display(), s.file.meta.name);
                if let Some(note) = s.memory_note() {
                    println!("  note: {note}");
                }
                for w in s.shelter_shortfalls() {
                    println!("  warning: {w}");
                }
            }
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

/// The arguments of `floodrill run`.
struct RunArgs {
    path: Option<PathBuf>,
    branch: Option<(PathBuf, f64)>,
    out: PathBuf,
    until: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
    quiet: bool,
    profile: bool,
    orders: Option<PathBuf>,
    hydraulics_only: bool,
    max_tick_wall: Option<f64>,
    no_replay: bool,
    snapshot_interval: Option<f64>,
    keyframe_interval: Option<f64>,
}

fn run(a: RunArgs) -> ExitCode {
    let RunArgs {
        path,
        branch,
        out,
        until,
        seed,
        threads,
        quiet,
        profile,
        orders,
        hydraulics_only,
        max_tick_wall,
        no_replay,
        snapshot_interval,
        keyframe_interval,
    } = a;
    let scenario = match (&path, &branch) {
        (Some(p), _) => match load_or_report(p) {
            Some(s) => s,
            None => return ExitCode::from(2),
        },
        (None, Some((from, _))) => match scenario_of_replay(from) {
            Ok((s, _)) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, None) => {
            eprintln!("error: give a scenario file, or --from REPLAY --at TIME");
            return ExitCode::from(2);
        }
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
        branch: branch.map(|(from, at)| floodrill::run::Branch {
            from,
            at,
            orders_file: orders.clone(),
        }),
        hydraulics_only,
        max_tick_wall: max_tick_wall.map(std::time::Duration::from_secs_f64),
        no_replay,
        snapshot_interval,
        keyframe_interval,
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
            for n in &s.notes {
                eprintln!("note: {n}");
            }
            if !quiet {
                println!("{}", floodrill::report::summary_table(&s));
                match (&s.scorecard, &s.verdict) {
                    (Some(card), _) => {
                        println!("{}", floodrill::report::table::scorecard_table(card, 6));
                        if !s.executive_summary.is_empty() {
                            println!("执行摘要 Executive summary:");
                            for line in &s.executive_summary {
                                println!("  {line}");
                            }
                        }
                    }
                    (None, Some(v)) => println!("scorecard: {v}"),
                    (None, None) => {}
                }
            }
            if profile && let Some(p) = s.figures.get("profile") {
                println!("{}", floodrill::report::profile::profile_table(p));
            }
            if s.scorecard.is_some() {
                println!("wrote {}", out.join("scorecard.json").display());
            }
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

fn bench_drainage(size: usize, threads: Option<u16>, sim_seconds: f64, repeat: u32) -> ExitCode {
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
        "drainage bench: {size}×{size} cells, {threads} thread(s), {sim_seconds} s simulated × {repeat}"
    );
    let mut ratios = Vec::new();
    let (mut surf, mut coup, mut inner) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..repeat {
        let r = floodrill::hydro::bench::drainage_bench(size, threads, sim_seconds);
        if k == 0 {
            println!(
                "network: {} nodes, {} links, {} inlets",
                r.nodes, r.links, r.inlets
            );
        }
        let ratio = r.coupled_wall_s / r.surface.wall_s.max(1e-12) - 1.0;
        // The same ratio measured inside the coupled run: its network time over the
        // rest (less noisy than two runs on a shared machine).
        let inside = r.network_wall_s / (r.coupled_wall_s - r.network_wall_s).max(1e-12);
        println!(
            "run {}: surface alone {:.3} s ({} sub-steps); coupled {:.3} s ({} sub-steps, {} network steps of {:.1} iterations, {:.0} m³ into the pipes), of which the network {:.3} s; network adds {:+.1} % ({:+.1} % inside the coupled run)",
            k + 1,
            r.surface.wall_s,
            r.surface.substeps,
            r.coupled_wall_s,
            r.coupled_substeps,
            r.network_steps,
            r.network_trials as f64 / r.network_steps.max(1) as f64,
            r.captured_m3,
            r.network_wall_s,
            100.0 * ratio,
            100.0 * inside
        );
        inner.push(inside);
        ratios.push(ratio);
        surf.push(r.surface.wall_s);
        coup.push(r.coupled_wall_s);
    }
    for v in [&mut ratios, &mut surf, &mut coup, &mut inner] {
        v.sort_by(f64::total_cmp);
    }
    let mid = ratios.len() / 2;
    println!(
        "median: surface alone {:.3} s, coupled {:.3} s; network inside the coupled run {:+.1} %",
        surf[mid],
        coup[mid],
        100.0 * inner[mid]
    );
    println!("network_overhead: {:.4}", ratios[mid]);
    ExitCode::SUCCESS
}

fn speed_arg(s: &str) -> Result<f64, ArgError> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(ArgError::NotSpeed(s.to_string())),
    }
}

/// The `gui` command's arguments.
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
struct GuiArgs {
    path: Option<PathBuf>,
    replay: Option<(PathBuf, Option<f64>)>,
    screenshot: Option<PathBuf>,
    exit_after_frames: Option<u32>,
    speed: f64,
    engine: EngineOptions,
    out: Option<PathBuf>,
    start_at: Option<f64>,
    paused: bool,
    trainee: bool,
    select: Option<String>,
    hazard: bool,
    scale: f32,
    lang: String,
    ui_marks: Option<PathBuf>,
    frame_stats: Option<PathBuf>,
}

#[cfg(feature = "gui")]
fn gui(a: GuiArgs) -> ExitCode {
    let (scenario, engine) = match (&a.path, &a.replay) {
        (Some(p), _) => match load_or_report(p) {
            Some(s) => (s, a.engine),
            None => return ExitCode::from(2),
        },
        (None, Some((file, _))) => match scenario_of_replay(file) {
            Ok((s, seed)) => (
                s,
                EngineOptions {
                    seed: Some(seed),
                    ..a.engine
                },
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, None) => {
            eprintln!("error: give a scenario file, or --replay FILE");
            return ExitCode::from(2);
        }
    };
    if let Some(u) = &a.select {
        let f = &scenario.file.forces;
        if !f.teams.iter().any(|t| &t.id == u) && !f.robots.iter().any(|r| &r.id == u) {
            eprintln!(
                "error: --select {u}: no team or robot {u:?} in {} (it has {})",
                scenario.path.display(),
                f.teams
                    .iter()
                    .map(|t| t.id.as_str())
                    .chain(f.robots.iter().map(|r| r.id.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return ExitCode::from(2);
        }
    }
    let lang = match a.lang.as_str() {
        "both" => floodrill::gui::lang::Lang::Both,
        "zh" => floodrill::gui::lang::Lang::Zh,
        "en" => floodrill::gui::lang::Lang::En,
        other => {
            eprintln!("error: --lang {other:?}: expected both, zh or en");
            return ExitCode::from(2);
        }
    };
    let (replay, review_at) = match a.replay {
        Some((f, at)) => (Some(f), at),
        None => (None, None),
    };
    let opts = floodrill::gui::GuiOptions {
        screenshot: a.screenshot,
        exit_after_frames: a.exit_after_frames,
        speed: a.speed,
        engine,
        replay,
        review_at,
        out: a.out,
        start_at: a.start_at,
        paused: a.paused,
        trainee: a.trainee,
        select: a.select,
        hazard: a.hazard,
        scale: a.scale,
        lang,
        ui_marks: a.ui_marks,
        frame_stats: a.frame_stats,
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
fn gui(_: GuiArgs) -> ExitCode {
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

fn load_ensemble(spec: &std::path::Path) -> Option<floodrill::ensemble::Ensemble> {
    match floodrill::ensemble::load(spec) {
        Ok(e) => Some(e),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

/// `floodrill ensemble SPEC --out DIR`.
fn ensemble_run(
    spec: &std::path::Path,
    out: &std::path::Path,
    shard: Option<(u32, u32)>,
    jobs: Option<usize>,
    workers: WorkersArg,
    quiet: bool,
) -> ExitCode {
    use floodrill::ensemble::{LocalOptions, Workers};
    let Some(e) = load_ensemble(spec) else {
        return ExitCode::from(2);
    };
    if let Err(err) = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)) {
        eprintln!("warning: Ctrl-C handler not installed ({err})");
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(err) => {
            eprintln!(
                "error: cannot find the floodrill executable for the member processes: {err}"
            );
            return ExitCode::from(1);
        }
    };
    let shard = shard.unwrap_or((0, 1));
    let opts = LocalOptions {
        out: out.to_path_buf(),
        shard,
        jobs: jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1),
        workers: match workers {
            WorkersArg::Processes => Workers::Processes,
            WorkersArg::Threads => Workers::Threads,
        },
        exe,
        progress: !quiet,
    };
    let plans = e.plans.len();
    println!(
        "{}: {} members × {} plans{}, {} at a time ({})",
        e.file.name,
        e.file.members,
        plans,
        if shard.1 > 1 {
            format!(", shard {}/{}", shard.0, shard.1)
        } else {
            String::new()
        },
        opts.jobs,
        match opts.workers {
            Workers::Processes => "processes",
            Workers::Threads => "threads",
        }
    );
    let r = match floodrill::ensemble::run_shard(&e, &opts, &STOP) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(err.exit_code());
        }
    };
    println!(
        "{} runs in this shard: {} already finished, {} run now in {:.0} s",
        r.tasks, r.skipped, r.ran, r.wall_s
    );
    for (p, m, err) in &r.retried {
        eprintln!("note: {p}/{m} failed once and succeeded on the retry (first attempt: {err})");
    }
    for (p, m, err) in &r.failed {
        eprintln!("error: {p}/{m} failed twice: {err}");
    }
    if r.interrupted {
        eprintln!(
            "interrupted: the finished members are kept; run the same command again to resume"
        );
        return ExitCode::from(130);
    }
    if !r.failed.is_empty() {
        eprintln!(
            "{} runs failed (their folders hold failed.txt); run the same command again to retry them",
            r.failed.len()
        );
        return ExitCode::from(1);
    }
    if shard.1 > 1 {
        println!(
            "shard done; when every shard is, merge: floodrill ensemble merge DIR... --out OUT"
        );
        return ExitCode::SUCCESS;
    }
    ensemble_merge(&[out.to_path_buf()], out, false)
}

/// `floodrill ensemble merge DIR... --out OUT`.
fn ensemble_merge(dirs: &[PathBuf], out: &std::path::Path, allow_missing: bool) -> ExitCode {
    match floodrill::ensemble::merge(dirs, out, allow_missing) {
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
        Ok(o) => {
            for n in &o.notes {
                eprintln!("note: {n}");
            }
            println!("{}", floodrill::ensemble::html::summary_table(&o.merged));
            for f in &o.files {
                if !f.starts_with("maps/") && !f.starts_with("prob_") {
                    println!("wrote {}", out.join(f).display());
                }
            }
            ExitCode::SUCCESS
        }
    }
}

/// `floodrill ensemble member SPEC --out DIR --plan P --member M` (a worker process).
fn ensemble_member(
    spec: &std::path::Path,
    out: &std::path::Path,
    plan: &str,
    member: u32,
) -> ExitCode {
    // The ensemble that started this process has tried the varied scenarios' corners.
    let e = match floodrill::ensemble::load_checked(spec, false) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Some(p) = e.plan(plan) else {
        eprintln!("error: the ensemble has no plan {plan:?}");
        return ExitCode::from(2);
    };
    if member >= e.file.members {
        eprintln!(
            "error: member {member} of an ensemble of {}",
            e.file.members
        );
        return ExitCode::from(2);
    }
    if let Err(err) = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)) {
        eprintln!("warning: Ctrl-C handler not installed ({err})");
    }
    match floodrill::ensemble::local::run_and_write(&e, out, p, member, &STOP) {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {plan}/{member}: {err}");
            ExitCode::from(if STOP.load(Ordering::Relaxed) { 130 } else { 1 })
        }
    }
}
