//! A headless run: load nothing, decide nothing — take a checked scenario, tick the
//! engine to the end (or `--until`, or Ctrl-C), write the outputs and the summary.
//!
//! The CLI is a thin layer over [`run`]; the progress display is a callback so tests
//! and batch jobs can run silently.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::engine::{Engine, EngineOptions, RunSeed};
use crate::scenario::{Scenario, format_clock};

pub mod folder;
pub mod what_if;

/// The replay file every run writes into its output folder.
pub const REPLAY_FILE: &str = "drill.replay";

/// Options of a headless run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Stop at this sim time (seconds) instead of the scenario's end.
    pub until: Option<f64>,
    /// Seed and threads.
    pub engine: EngineOptions,
    /// Timed orders and injects to apply (a checked command stream).
    pub commands: Vec<crate::exercise::commands::Command>,
    /// Continue from a moment of an earlier run's replay instead of starting at 0.
    pub branch: Option<Branch>,
    /// Only the hydraulics: no replay, no scorecard and no report.
    pub hydraulics_only: bool,
    /// Stop the run (failed) when the water takes longer than this in one tick.
    pub max_tick_wall: Option<std::time::Duration>,
    /// Write no replay.
    pub no_replay: bool,
    /// Interval of the replay's snapshots and views, s (default: the scenario's
    /// `outputs.snapshot_interval`).
    pub snapshot_interval: Option<f64>,
    /// Interval of the replay's keyframes, s (default: the scenario's
    /// `outputs.keyframe_interval`).
    pub keyframe_interval: Option<f64>,
}

/// A run that continues from a replay moment with other orders.
#[derive(Debug, Clone)]
pub struct Branch {
    /// The parent replay file.
    pub from: PathBuf,
    /// Sim time to branch at, s.
    pub at: f64,
    /// The command stream file given for the branch (for the record).
    pub orders_file: Option<PathBuf>,
}

pub use crate::report::summary::{RunStatus, RunSummary};

/// Sections of the scenario present in the file whose behaviour is not simulated by
/// this version (so a trainer is never misled into thinking they acted).
pub fn not_yet_simulated(s: &Scenario) -> Vec<String> {
    let f = &s.file;
    let mut out = Vec::new();
    let households: u64 = s.buildings.iter().map(|b| u64::from(b.households)).sum();
    for (present, name) in [
        (
            households > 0 && s.roads.is_empty(),
            "population (no roads layer)",
        ),
        (
            f.forces
                .teams
                .iter()
                .any(|t| t.kind != crate::scenario::schema::TeamKind::Boat)
                && s.roads.is_empty(),
            "road teams and robots (no roads layer)",
        ),
    ] {
        if present {
            out.push(name.to_string());
        }
    }
    out
}

fn write_water_outputs(
    engine: &mut Engine,
    scenario: &Scenario,
    dir: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>, RunError> {
    use crate::engine::hydro::{BalanceSeries, Water, WaterStats};
    use serde_json::json;
    let mut figures = serde_json::Map::new();
    let world = engine.world_mut();
    let stats = world.get_resource::<WaterStats>().copied();
    let rows = world
        .get_resource::<BalanceSeries>()
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let Some(mut water) = world.get_resource_mut::<Water>() else {
        return Ok(figures);
    };
    water.0.storage();
    let model = &water.0;
    if scenario.file.outputs.max_rasters {
        crate::report::water::write_max_rasters(dir, model)?;
    }
    let every = scenario.file.outputs.series_interval.secs();
    crate::report::water::write_probes(dir, model, every)?;
    crate::report::water::write_boundaries(dir, model, &boundary_names(scenario), every)?;
    let mut rows = rows;
    let last = *model.balance();
    if rows.last().is_none_or(|r| r.t < last.t) {
        rows.push(last);
    }
    crate::report::water::write_balance(dir, &rows)?;
    let b = model.balance();
    let max_depth = model
        .outputs()
        .max_depth_grid()
        .data
        .iter()
        .cloned()
        .fold(0.0, f64::max);
    if let Some(st) = stats {
        figures.insert("hydro_substeps".into(), json!(st.substeps));
        figures.insert("hydro_cell_updates".into(), json!(st.cell_updates));
        figures.insert("hydro_min_dt_s".into(), json!(st.min_dt));
        figures.insert("hydro_retries".into(), json!(st.retries));
    }
    figures.insert("rain_m3".into(), json!(b.rain));
    figures.insert("infiltration_m3".into(), json!(b.infiltration));
    figures.insert("drained_m3".into(), json!(b.drained));
    figures.insert("pumped_m3".into(), json!(b.pumped));
    figures.insert("boundary_in_m3".into(), json!(b.boundary_inflow));
    figures.insert("boundary_out_m3".into(), json!(b.boundary_outflow));
    figures.insert(
        "storage_change_m3".into(),
        json!(b.storage - b.initial_storage),
    );
    figures.insert("balance_error_m3".into(), json!(b.error()));
    let rel_rain = if b.rain > 0.0 {
        b.error() / b.rain
    } else {
        b.relative_error()
    };
    figures.insert("balance_error_of_rain".into(), json!(rel_rain));
    figures.insert("max_depth_m".into(), json!(max_depth));
    if let Some(dd) = model.drainage() {
        crate::report::network::write_network(dir, dd)?;
        crate::report::network::network_figures(dd, &mut figures);
    }
    Ok(figures)
}

/// Column names of the boundaries in `boundaries.csv`, in scenario order:
/// `<kind>_<edge>_<from>-<to>` (`FreeOutflow_East_2000-2160`), `PointInflow_<x>_<y>`,
/// with `_#2`, `_#3` … after a repeated name.
pub fn boundary_names(s: &Scenario) -> Vec<String> {
    use crate::scenario::schema::Boundary as B;
    let seg = |kind: &str, at: &crate::scenario::schema::EdgeSegment| {
        format!("{kind}_{:?}_{}-{}", at.edge, at.from, at.to)
    };
    let mut out: Vec<String> = Vec::new();
    for b in &s.file.boundaries {
        let base = match b {
            B::FreeOutflow { at, .. } => seg("FreeOutflow", at),
            B::Stage { at, .. } => seg("Stage", at),
            B::EdgeInflow { at, .. } => seg("EdgeInflow", at),
            B::PointInflow { x, y, .. } => format!("PointInflow_{x}_{y}"),
        };
        let n = out
            .iter()
            .filter(|o| *o == &base || o.starts_with(&format!("{base}_#")))
            .count();
        out.push(if n == 0 {
            base
        } else {
            format!("{base}_#{}", n + 1)
        });
    }
    out
}

/// Progress callback: (sim seconds done, sim seconds to do, wall seconds so far).
pub type Progress<'a> = &'a mut dyn FnMut(f64, f64, f64);

/// Errors a run can end with before or after simulating.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The parent replay of a branch cannot be opened at the moment asked for.
    #[error("{0}")]
    Branch(String),
    /// `--until` cannot be honoured.
    #[error(transparent)]
    Until(#[from] UntilError),
    /// Another run is writing into the output folder.
    #[error("{0}")]
    Busy(String),
    /// The output folder could not be written.
    #[error("{path}: cannot write output: {source}")]
    Output {
        /// File or folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The scenario validated but the engine could not be set up (a defect).
    #[error(transparent)]
    Setup(#[from] crate::engine::EngineError),
}

/// What the report reads of a run: its resources, as plain data.
pub fn run_record(w: &bevy::prelude::World) -> crate::report::RunRecord<'_> {
    crate::report::RunRecord {
        scenario: &w.resource::<crate::engine::ScenarioRes>().0,
        log: w.get_resource(),
        water: w.get_resource(),
        balance: w.get_resource(),
        people: w.get_resource(),
        people_series: w.get_resource(),
        forces: w.get_resource(),
    }
}

/// Run a checked scenario headless. `stop` is polled between ticks and inside the
/// hydro sub-step loop (Ctrl-C): the run stops there, writes what it has and ends
/// [`RunStatus::Interrupted`].
///
/// Outputs are written into a fresh folder `DIR/partial-<run id>/` while a `DIR/RUNNING`
/// marker names the run; at the end the previous run's files are moved aside and the
/// new ones moved into `DIR` (renames), then the marker and the previous files are
/// removed. See [`crate::run::folder`] for what a kill at any moment leaves.
pub fn run(
    scenario: Arc<Scenario>,
    opts: &RunOptions,
    stop: &Arc<AtomicBool>,
    progress: Progress<'_>,
) -> Result<RunSummary, RunError> {
    let mut notes = Vec::new();
    let (end, note) = effective_end(&scenario, opts.until, opts.branch.as_ref().map(|b| b.at))
        .map_err(RunError::Until)?;
    notes.extend(note);
    let run_id = folder::new_run_id();
    let staging = folder::begin(&opts.out, &run_id, &scenario, &mut notes)?;
    let dir = staging.as_path();
    let (mut engine, parent) = match &opts.branch {
        None => {
            let mut e = Engine::new(scenario.clone(), opts.engine.clone())?;
            e.push_commands(opts.commands.iter().cloned());
            (e, None)
        }
        Some(b) => {
            let (e, parent) = branch_engine(b, opts)?;
            (e, Some(parent))
        }
    };
    engine.capture_depth_frames();
    engine.set_watch(crate::engine::TickWatch {
        interrupt: Some(stop.clone()),
        max_wall: opts.max_tick_wall,
        max_substeps: None,
        interrupted_at: None,
    });
    let replay_path = dir.join(REPLAY_FILE);
    let replay_err = |e: crate::replay::ReplayError| RunError::Output {
        path: replay_path.clone(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut recorder = if opts.hydraulics_only || opts.no_replay {
        None
    } else {
        let mut r =
            crate::replay::Recorder::start_for(&replay_path, &opts.out, &engine, parent.clone())
                .map_err(replay_err)?;
        if let Some(every) = opts.snapshot_interval {
            r.set_interval(every, engine.clock().dt);
        }
        if let Some(every) = opts.keyframe_interval {
            r.set_keyframe_interval(every);
        }
        Some(r)
    };
    let started = Instant::now();
    let mut replay_s = 0.0;
    let mut status = RunStatus::Completed;
    let mut failure = None;
    let mut inside_tick = false;
    while !engine.finished() && engine.clock().t < end - 1e-9 {
        if stop.load(Ordering::Relaxed) {
            status = RunStatus::Interrupted;
            break;
        }
        let ticked = engine.tick();
        for (t, grid) in engine.take_depth_frames() {
            crate::report::water::write_depth(dir, &grid, t)?;
        }
        if let Err(e) = ticked {
            if e.interrupted {
                status = RunStatus::Interrupted;
                inside_tick = true;
                notes.push(format!("Ctrl-C at {}: {}", e.time, e.reason));
            } else {
                status = RunStatus::Failed;
                failure = Some(e.to_string());
            }
            break;
        }
        if let Some(r) = &mut recorder {
            let clock = Instant::now();
            r.after_tick(&engine).map_err(replay_err)?;
            replay_s += clock.elapsed().as_secs_f64();
        }
        progress(engine.clock().t, end, started.elapsed().as_secs_f64());
    }
    // Closed before the outputs are written: the end digest is the simulated state.
    let status_text = serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    match recorder {
        // Stopped inside a tick, the state is between two ticks: the replay stays open,
        // ending at the last whole tick (it opens up to there).
        Some(_) if inside_tick => notes.push(format!(
            "{REPLAY_FILE} ends at the last whole tick, {} (left open: the run stopped inside the next tick)",
            format_clock(engine.clock().t)
        )),
        Some(r) => r.finish(&engine, &status_text).map_err(replay_err)?,
        None => {}
    }
    let wall = started.elapsed().as_secs_f64();
    let clock = engine.clock();
    let threads = engine
        .world()
        .resource::<crate::engine::SimThreads>()
        .0
        .current_num_threads();
    let profile = crate::engine::profile::profile_json(
        &engine.phase_times(),
        engine
            .world()
            .get_resource::<crate::engine::hydro::Water>()
            .map(|w| w.0.kernel_times()),
        replay_s,
        wall,
    );
    let mut figures = write_water_outputs(&mut engine, &scenario, dir)?;
    figures.insert("profile".into(), profile);
    write_people_outputs(&engine, &scenario, dir, &mut figures)?;
    if let Some(log) = engine
        .world()
        .get_resource::<crate::engine::exercise::Log>()
    {
        crate::report::water::write_text(&dir.join("events.jsonl"), &log.0.to_jsonl())?;
        use crate::exercise::log::SimEvent;
        let count = |f: fn(&SimEvent) -> bool| log.0.entries.iter().filter(|e| f(&e.event)).count();
        figures.insert(
            "plan_rules_fired".into(),
            serde_json::json!(count(|e| matches!(e, SimEvent::RuleFired { .. }))),
        );
        figures.insert(
            "orders_issued".into(),
            serde_json::json!(count(|e| matches!(e, SimEvent::OrderIssued { .. }))),
        );
        figures.insert(
            "injects_applied".into(),
            serde_json::json!(count(|e| matches!(e, SimEvent::InjectApplied { .. }))),
        );
    }
    write_forces_outputs(&engine, dir, &mut figures)?;
    let judged = nothing_to_judge(&scenario).is_none() && !opts.hydraulics_only;
    let scorecard = crate::engine::scoring::scorecard(engine.world());
    let findings = crate::report::actions::findings(&scorecard, &scenario);
    let executive_summary = if judged {
        crate::report::actions::executive_summary(&scorecard, &findings)
    } else {
        Vec::new()
    };
    if judged {
        let mut v = serde_json::to_value(&scorecard).map_err(|e| RunError::Output {
            path: dir.join("scorecard.json"),
            source: std::io::Error::other(e),
        })?;
        if let Some(m) = v.as_object_mut() {
            m.insert("run_id".into(), serde_json::json!(run_id));
            m.insert(
                "executive_summary".into(),
                serde_json::json!(executive_summary),
            );
            m.insert("improvement_plan".into(), serde_json::json!(findings));
        }
        write_json(&dir.join("scorecard.json"), &v)?;
    }
    let verdict = if opts.hydraulics_only {
        Some("not judged: a hydraulics-only run (--hydraulics-only)".to_string())
    } else {
        nothing_to_judge(&scenario)
    };
    let diagnostics = engine
        .world()
        .resource::<crate::engine::SimHealth>()
        .diagnostics
        .clone();
    let mut summary = RunSummary {
        run_id: run_id.clone(),
        scenario: scenario.file.meta.name.clone(),
        scenario_file: scenario.path.display().to_string(),
        scenario_hash: scenario.hash(),
        seed: engine.world().resource::<RunSeed>().0,
        engine_version: crate::ENGINE_VERSION.to_string(),
        status,
        failure,
        ticks: clock.tick,
        tick_s: clock.dt,
        sim_time_s: clock.t,
        sim_time: format_clock(clock.t),
        wall_time_s: wall,
        realtime_factor: if wall > 0.0 { clock.t / wall } else { 0.0 },
        threads,
        final_state_digest: engine.digest(),
        figures,
        diagnostics,
        not_yet_simulated: not_yet_simulated(&scenario),
        scorecard: judged.then(|| scorecard.clone()),
        verdict,
        executive_summary,
        notes,
        parent,
        files: Vec::new(),
    };
    if !opts.hydraulics_only {
        // The console command in the report's links names the replay where it will be
        // once the run's folder is committed.
        let replay = (!opts.no_replay).then(|| shell_word(&opts.out.join(REPLAY_FILE)));
        crate::report::html::write_report(
            dir,
            &run_record(engine.world()),
            &summary,
            judged.then_some(&scorecard),
            replay.as_deref(),
        )?;
    }
    summary.files = folder::list(dir)?;
    summary.files.push("summary.json".into());
    summary.files.sort();
    write_json(&dir.join("summary.json"), &summary)?;
    folder::commit(&opts.out, &run_id, &summary.files, &mut summary.notes)?;
    Ok(summary)
}

/// A path as one shell word (quoted when it holds anything but the plain characters).
fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Why a scenario's scorecard would say nothing: no people and no forces (a score of
/// 100 would mislead). `None` when there is something to judge.
pub fn nothing_to_judge(s: &Scenario) -> Option<String> {
    let households: u64 = s.buildings.iter().map(|b| u64::from(b.households)).sum();
    let forces = s.file.forces.teams.len() + s.file.forces.robots.len();
    (households == 0 && forces == 0).then(|| {
        "nothing to judge: the scenario has no households and no teams or robots".to_string()
    })
}

/// A `--until` that ends before the run's first tick does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "--until {}: the scenario's tick (meta.tick) is {}, so the first tick ends at {}; \
     give --until {} or later, or a shorter meta.tick",
    format_clock(*until),
    format_clock(*tick),
    format_clock(*first_end),
    format_clock(*first_end)
)]
pub struct UntilError {
    /// The `--until` asked for, s.
    pub until: f64,
    /// The scenario's tick, s.
    pub tick: f64,
    /// When the first tick ends, s.
    pub first_end: f64,
}

/// Where a run stops: the scenario's end, or `--until` on a tick boundary. A `--until`
/// between two boundaries stops at the last boundary before it (a tick is never cut),
/// with a note; one shorter than a tick is refused. `from` is a branch's start.
pub fn effective_end(
    s: &Scenario,
    until: Option<f64>,
    from: Option<f64>,
) -> Result<(f64, Option<String>), UntilError> {
    let dur = s.duration();
    let Some(u) = until else {
        return Ok((dur, None));
    };
    if u >= dur {
        return Ok((dur, None));
    }
    let dt = s.file.meta.tick.secs();
    let k = (u / dt + 1e-9).floor();
    let end = k * dt;
    let start = from.unwrap_or(0.0);
    if end <= start + 1e-9 {
        return Err(UntilError {
            until: u,
            tick: dt,
            first_end: start + dt,
        });
    }
    if (end - u).abs() > 1e-6 {
        return Ok((
            end,
            Some(format!(
                "--until {} is not on a tick boundary (meta.tick {}); the run stops at {}, the last tick boundary before it",
                format_clock(u),
                format_clock(dt),
                format_clock(end)
            )),
        ));
    }
    Ok((end, None))
}

/// The engine at the branch moment of the parent replay, with the parent's orders
/// from then on replaced by the branch's, and the parent as the new replay records it.
fn branch_engine(
    b: &Branch,
    opts: &RunOptions,
) -> Result<(Engine, crate::replay::Parent), RunError> {
    use crate::exercise::commands::CommandKind;
    let err = |e: crate::replay::ReplayError| RunError::Branch(e.to_string());
    let (mut engine, replay, _) =
        crate::replay::open_at(&b.from, b.at, opts.engine.threads).map_err(err)?;
    let t = engine.clock().t;
    if (t - b.at).abs() > engine.clock().dt {
        return Err(RunError::Branch(format!(
            "{}: the replay ends at {}, before the branch at {}",
            b.from.display(),
            format_clock(t),
            format_clock(b.at)
        )));
    }
    if let Some(c) = opts.commands.iter().find(|c| c.t < t - 1e-9) {
        return Err(RunError::Branch(format!(
            "{}: {} at {} is before the branch at {}; a branch changes only what comes after it",
            c.source,
            match &c.kind {
                CommandKind::Order(_) => "the order",
                CommandKind::Inject(_) => "the inject",
                CommandKind::Skip(_) => "the skip",
            },
            format_clock(c.t),
            format_clock(t)
        )));
    }
    let parent_digest = engine.digest();
    {
        let world = engine.world_mut();
        let mut inbox = world.resource_mut::<crate::engine::exercise::Inbox>();
        // The parent's own later orders give way to the branch's; the scenario's
        // injects stay.
        inbox.pending.retain(|c| c.source.starts_with("injects["));
    }
    engine.push_commands(opts.commands.iter().cloned());
    let from = std::fs::canonicalize(&b.from).unwrap_or_else(|_| b.from.clone());
    let parent = crate::replay::Parent {
        file: from.display().to_string(),
        header_hash: replay.header_hash(),
        at: t,
        tick: engine.clock().tick,
        digest: parent_digest,
        orders: b.orders_file.as_ref().map(|p| p.display().to_string()),
    };
    Ok((engine, parent))
}

/// Write JSON through a temporary file and a rename, so a reader never sees half.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RunError> {
    let io = |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    };
    let text = serde_json::to_string_pretty(value).map_err(|e| io(std::io::Error::other(e)))?;
    let tmp = path.with_extension("json.part");
    std::fs::write(&tmp, text + "\n").map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn write_forces_outputs(
    engine: &Engine,
    dir: &Path,
    figures: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<(), RunError> {
    let Some(f) = engine
        .world()
        .get_resource::<crate::engine::forces::ForcesRes>()
    else {
        return Ok(());
    };
    let f = &f.0;
    let mut tracks = String::from("unit,kind,time_s,x,y\n");
    for t in &f.teams {
        for (ts, x, y) in &t.track {
            tracks.push_str(&format!("{},team,{ts},{x:.1},{y:.1}\n", t.spec.id));
        }
    }
    for r in &f.robots {
        for (ts, x, y) in &r.track {
            tracks.push_str(&format!("{},robot,{ts},{x:.1},{y:.1}\n", r.spec.id));
        }
    }
    crate::report::water::write_text(&dir.join("tracks.csv"), &tracks)?;
    let mut req = String::from(
        "request,raised_s,x,y,persons,false_report,team,reached_s,response_s,closed_s,outcome\n",
    );
    for r in &f.requests {
        let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
        req.push_str(&format!(
            "{},{},{:.1},{:.1},{},{},{},{},{},{},{}\n",
            r.id,
            r.t,
            r.at.0,
            r.at.1,
            r.persons,
            r.false_report,
            r.assigned.map_or("", |k| f.teams[k].spec.id.as_str()),
            opt(r.reached),
            opt(r.reached.map(|x| x - r.t)),
            opt(r.closed.map(|c| c.0)),
            r.closed.map_or(String::new(), |c| {
                serde_json::to_value(c.1)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            }),
        ));
    }
    crate::report::water::write_text(&dir.join("rescues.csv"), &req)?;
    let rescued: u32 = f
        .requests
        .iter()
        .filter(|r| matches!(r.closed, Some((_, crate::forces::Outcome::Rescued))))
        .map(|r| r.persons)
        .sum();
    figures.insert(
        "rescue_requests".into(),
        serde_json::json!(f.requests.len()),
    );
    figures.insert("persons_rescued".into(), serde_json::json!(rescued));
    let pumped: serde_json::Map<String, serde_json::Value> = f
        .robots
        .iter()
        .map(|r| (r.spec.id.clone(), serde_json::json!(r.pumped_m3.round())))
        .collect();
    figures.insert("robot_pumped_m3".into(), serde_json::Value::Object(pumped));
    Ok(())
}

fn write_people_outputs(
    engine: &Engine,
    scenario: &Scenario,
    dir: &Path,
    figures: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<(), RunError> {
    use crate::agents::HouseholdState;
    use crate::engine::people::{People, PeopleSeries};
    let world = engine.world();
    let (Some(people), Some(series)) = (
        world.get_resource::<People>(),
        world.get_resource::<PeopleSeries>(),
    ) else {
        return Ok(());
    };
    let states = HouseholdState::ALL;
    let mut s = String::from("time_s,zone");
    for st in states {
        s.push_str(&format!(",{}_households", st.name()));
    }
    for st in states {
        s.push_str(&format!(",{}_persons", st.name()));
    }
    s.push('\n');
    for (t, table) in &series.0 {
        for (z, (hh, persons)) in table.households.iter().zip(&table.persons).enumerate() {
            let zone = scenario.zones.get(z).map_or("-", |zz| zz.id.as_str());
            s.push_str(&format!("{t},{zone}"));
            for v in hh.iter().chain(persons.iter()) {
                s.push_str(&format!(",{v}"));
            }
            s.push('\n');
        }
    }
    crate::report::water::write_text(&dir.join("households.csv"), &s)?;
    if let Some((_, last)) = series.0.last() {
        let mut by_state = serde_json::Map::new();
        for st in states {
            by_state.insert(st.name().to_string(), serde_json::json!(last.total(st)));
        }
        figures.insert(
            "households".into(),
            serde_json::json!(people.households.len()),
        );
        figures.insert(
            "households_by_state".into(),
            serde_json::Value::Object(by_state),
        );
        figures.insert(
            "persons_sheltered".into(),
            serde_json::json!(last.total_persons(HouseholdState::Sheltered)),
        );
        figures.insert(
            "persons_away".into(),
            serde_json::json!(last.total_persons(HouseholdState::Away)),
        );
        figures.insert(
            "persons_trapped".into(),
            serde_json::json!(last.total_persons(HouseholdState::Trapped)),
        );
    }
    // Where every household ended, and why; those not safe, grouped by place.
    use crate::report::whereabouts;
    let rows = whereabouts::whereabouts(scenario, &people.graph, &people.households);
    crate::report::water::write_text(&dir.join("households_final.csv"), &whereabouts::csv(&rows))?;
    let groups = whereabouts::groups(&rows, whereabouts::not_safe);
    let persons: u32 = groups.iter().map(|g| g.persons).sum();
    figures.insert("persons_not_safe_at_end".into(), serde_json::json!(persons));
    figures.insert(
        "not_safe_at_end".into(),
        serde_json::json!(group_lines(&groups)),
    );
    let refuges = whereabouts::groups(&rows, whereabouts::in_refuge);
    let persons: u32 = refuges.iter().map(|g| g.persons).sum();
    figures.insert(
        "persons_in_refuge_at_end".into(),
        serde_json::json!(persons),
    );
    figures.insert(
        "in_refuge_at_end".into(),
        serde_json::json!(group_lines(&refuges)),
    );
    planner_measures(world, &people.households, figures);
    Ok(())
}

/// The summary's lines for groups of households: the eight with most persons, then
/// how many more.
fn group_lines(groups: &[crate::report::whereabouts::Group]) -> Vec<String> {
    const SHOWN: usize = 8;
    let mut lines: Vec<String> = groups
        .iter()
        .take(SHOWN)
        .map(|g| {
            let why = if g.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", g.reason)
            };
            format!(
                "{}{why} at {}: {} households, {} persons, since {}",
                g.state,
                g.place,
                g.households,
                g.persons,
                format_clock(g.since_s)
            )
        })
        .collect();
    if groups.len() > SHOWN {
        let rest: u32 = groups[SHOWN..].iter().map(|g| g.persons).sum();
        lines.push(format!(
            "{} more places, {rest} persons (households_final.csv)",
            groups.len() - SHOWN
        ));
    }
    lines
}

/// The planner's measures: clearance times of those told to evacuate (when 90 % and
/// 100 % of them were safe — sheltered, in a refuge, or staying in with no way out),
/// how many of them never were, and each shelter's peak occupancy.
fn planner_measures(
    world: &bevy::prelude::World,
    hh: &crate::agents::Households,
    figures: &mut serde_json::Map<String, serde_json::Value>,
) {
    use crate::agents::{HouseholdId, HouseholdState as S};
    use crate::scenario::schema::WarnAction;
    let mut told = 0u64;
    let mut safe: Vec<(f64, u32)> = Vec::new();
    let mut total_p = 0u64;
    for i in 0..hh.len() as u32 {
        let id = HouseholdId(i);
        if hh.advice(id) != Some(WarnAction::Evacuate) {
            continue;
        }
        told += 1;
        total_p += hh.persons(id) as u64;
        if matches!(
            hh.state(id),
            S::Sheltered | S::Away | S::Refuge | S::InPlace
        ) {
            safe.push((hh.state_time(id), hh.persons(id)));
        }
    }
    if told > 0 {
        safe.sort_by(|a, b| a.0.total_cmp(&b.0));
        let safe_p: u64 = safe.iter().map(|s| s.1 as u64).sum();
        // The time by which `share` of the persons told to leave were safe.
        let by = |share: f64| {
            let need = (share * total_p as f64).ceil() as u64;
            let mut acc = 0u64;
            for &(t, p) in &safe {
                acc += p as u64;
                if acc >= need {
                    return serde_json::json!(format_clock(t));
                }
            }
            serde_json::json!("not reached")
        };
        figures.insert("clearance_90_percent".into(), by(0.9));
        figures.insert("clearance_100_percent".into(), by(1.0));
        figures.insert(
            "persons_told_to_evacuate".into(),
            serde_json::json!(total_p),
        );
        figures.insert(
            "persons_told_to_evacuate_never_safe".into(),
            serde_json::json!(total_p - safe_p),
        );
    }
    let f = crate::engine::scoring::facts(world);
    if !f.shelters.is_empty() {
        let peaks: Vec<String> = f
            .shelters
            .iter()
            .map(|s| format!("{} {}/{}", s.id, s.peak, s.capacity))
            .collect();
        figures.insert(
            "shelter_peak_occupancy".into(),
            serde_json::json!(peaks.join(", ")),
        );
    }
}
