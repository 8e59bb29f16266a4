//! The engine: a Bevy `App` holding the simulation world, the [`SimTick`] schedule
//! and the domain plugins, driven tick by tick.
//!
//! How it works: [`SimPlugin`] inserts the checked scenario, the clock and the
//! thread pool, builds `SimTick` (single-threaded executor, the [`SimSet`]s chained
//! once, ambiguity detection set to error so two unordered systems touching the same
//! data fail at start-up instead of racing) and adds each domain's plugin. The
//! headless [`Engine`] and the GUI both call [`run_tick`], so a live exercise, a
//! headless run and a replay are the same computation. Parallelism lives inside the
//! kernels (rayon, in the engine's own pool), never in the schedule.

use std::sync::Arc;

use bevy::app::App;
use bevy::ecs::schedule::{LogLevel, Schedule, ScheduleBuildSettings, SingleThreadedExecutor};
use bevy::prelude::*;

pub mod exercise;
pub mod forces;
pub mod hydro;
pub mod people;
pub mod profile;
pub mod scoring;
pub mod sense;

use crate::exercise::{SimClock, SimSet, SimTick};
use crate::scenario::Scenario;

/// The checked scenario, shared read-only by every system.
#[derive(Resource, Clone)]
pub struct ScenarioRes(pub Arc<Scenario>);

/// The seed in force (the scenario's, or the `--seed` override).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSeed(pub u64);

/// The rayon pool the kernels run in (`--threads`).
#[derive(Resource, Clone)]
pub struct SimThreads(pub Arc<rayon::ThreadPool>);

/// Depth grids taken at the scenario's `outputs.depth_at` times, for the runner to
/// write (absent unless asked for; not state: the runner drains it after each tick).
#[derive(Resource, Debug, Clone, Default)]
pub struct DepthFrames(pub Vec<(f64, crate::world::Grid<f64>)>);

/// Set by a system when the simulation cannot go on (numerical failure); the runner
/// stops after the tick and keeps what was written.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct SimHealth {
    /// Why the run stopped, with the cell, time and values where known.
    pub failure: Option<String>,
    /// Notes on recovered problems (retried steps), in order.
    pub diagnostics: Vec<String>,
}

/// A setup failure found while the plugins were built (taken by [`Engine::new`]).
#[derive(Resource, Debug, Default)]
pub struct SetupFailures(pub Vec<(&'static str, crate::setup::SetupError)>);

/// Why an engine cannot be built for a scenario (it validated, so this is a defect
/// between validation and setup, reported with the part that failed).
#[derive(Debug, thiserror::Error)]
#[error("the {part} cannot be set up: {source}")]
pub struct EngineError {
    /// Which part (`water`, `people`).
    pub part: &'static str,
    /// Why.
    pub source: Box<crate::setup::SetupError>,
}

/// Why a live order or inject was not taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubmitError {
    /// Its time lies before the drill's clock.
    #[error("{origin}: time {at} is in the past (the drill is at {now})")]
    InThePast {
        /// Where it came from (`console`, `orders.txt:3`).
        origin: String,
        /// Its time, as a clock.
        at: String,
        /// The drill's time, as a clock.
        now: String,
    },
    /// It does not fit the scenario (unknown unit, zone, place…).
    #[error("{origin}: {}", problems.join("; "))]
    Refused {
        /// Where it came from.
        origin: String,
        /// What is wrong, field by field.
        problems: Vec<String>,
    },
}

/// Limits a headless run puts on each tick (not state; absent: the defaults).
#[derive(Resource, Debug, Clone, Default)]
pub struct TickWatch {
    /// Raised from outside (Ctrl-C): long inner loops stop at their next step.
    pub interrupt: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Most wall time the water may take in one tick.
    pub max_wall: Option<std::time::Duration>,
    /// Most hydro sub-steps in one tick (default: see [`crate::hydro::Model`]).
    pub max_substeps: Option<u64>,
    /// Set by a system that stopped inside the tick because of `interrupt`.
    pub interrupted_at: Option<f64>,
}

/// A contribution to the state digest: a name and a function hashing the part of the
/// world state it owns, in a fixed order.
pub type DigestFn = fn(&World, &mut blake3::Hasher);

/// The parts of the state that go into the digest, by name (sorted when hashed).
#[derive(Resource, Default)]
pub struct DigestParts(pub Vec<(&'static str, DigestFn)>);

/// Why a part of the state cannot be saved or restored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    /// The resource holding the part is not in the world (the scenario has none).
    #[error("there is no {0} in this drill")]
    Missing(&'static str),
    /// The part could not be encoded.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// The saved bytes could not be decoded.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// The saved part does not fit the scenario (another district or population).
    #[error("{0}")]
    Mismatch(String),
    /// A snapshot lacks a registered part.
    #[error("the snapshot has no `{0}` state")]
    NoPart(String),
    /// Restoring one part failed.
    #[error("restoring the {part} state: {source}")]
    Part {
        /// The part.
        part: &'static str,
        /// Why.
        source: Box<StateError>,
    },
    /// Saving one part failed.
    #[error("saving the {part} state: {source}")]
    Save {
        /// The part.
        part: &'static str,
        /// Why.
        source: Box<StateError>,
    },
    /// The restored state does not reproduce the saved digest.
    #[error(
        "the restored state at {at} does not match its digest (saved {saved}, restored {restored})"
    )]
    Digest {
        /// Sim time of the state, as a clock.
        at: String,
        /// The saved digest (first 16 hex digits).
        saved: String,
        /// The restored state's digest (first 16 hex digits).
        restored: String,
    },
}

impl StateError {
    /// An encoding error.
    pub fn encode(e: impl std::fmt::Display) -> Self {
        Self::Encode(e.to_string())
    }

    /// A decoding error.
    pub fn decode(e: impl std::fmt::Display) -> Self {
        Self::Decode(e.to_string())
    }
}

/// Saves one part of the state (MessagePack bytes).
pub type SaveFn = fn(&World) -> Result<Vec<u8>, StateError>;
/// Restores one part of the state from what [`SaveFn`] wrote, onto an engine freshly
/// built from the same scenario and seed.
pub type LoadFn = fn(&mut World, &[u8]) -> Result<(), StateError>;

/// The parts of the full state a snapshot holds, by name: everything that changes as
/// the drill runs. What does not change (terrain, road graph, specs) is rebuilt from
/// the scenario on restore.
#[derive(Resource, Default)]
pub struct StateParts(pub Vec<(&'static str, SaveFn, LoadFn)>);

/// Parts of the full state that are the drill's input rather than its state: saved (a
/// seek or branch needs them) but not hashed. Only the inbox of commands still to come
/// is: a replay cut short holds fewer of them than the run had, and it must still
/// verify up to where it ends.
#[derive(Resource, Default)]
pub struct InputParts(pub Vec<&'static str>);

/// Register a part of the full state that is input (see [`InputParts`]).
pub fn register_input(app: &mut App, name: &'static str, save: SaveFn, load: LoadFn) {
    register_state(app, name, save, load);
    app.world_mut().resource_mut::<InputParts>().0.push(name);
}

/// Register a part of the full state with its own save and load.
pub fn register_state(app: &mut App, name: &'static str, save: SaveFn, load: LoadFn) {
    app.world_mut()
        .resource_mut::<StateParts>()
        .0
        .push((name, save, load));
}

/// Register a whole resource as a part of the full state.
pub fn register_state_resource<T: Resource + serde::Serialize + serde::de::DeserializeOwned>(
    app: &mut App,
    name: &'static str,
) {
    register_state(app, name, save_resource::<T>, load_resource::<T>);
}

/// The save and load of a whole resource, for [`register_state`].
pub fn state_fns<T: Resource + serde::Serialize + serde::de::DeserializeOwned>(
    name: &'static str,
) -> (&'static str, SaveFn, LoadFn) {
    (name, save_resource::<T>, load_resource::<T>)
}

fn save_resource<T: Resource + serde::Serialize>(w: &World) -> Result<Vec<u8>, StateError> {
    let r = w
        .get_resource::<T>()
        .ok_or(StateError::Missing("resource"))?;
    rmp_serde::to_vec_named(r).map_err(StateError::encode)
}

fn load_resource<T: Resource + serde::de::DeserializeOwned>(
    w: &mut World,
    b: &[u8],
) -> Result<(), StateError> {
    let v: T = rmp_serde::from_slice(b).map_err(StateError::decode)?;
    w.insert_resource(v);
    Ok(())
}

/// How a state digest is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestScheme {
    /// Replay formats 1–3: the registered digest parts (water depths and discharges,
    /// households, forces, sensors, clock). Also the quick check of `compare`, which
    /// looks for the first tick two runs differ at.
    #[default]
    Parts,
    /// Replay format 4 on: every saved part of the state, by name (the event log,
    /// score tracker, warnings and plan included): nothing is saved without being
    /// hashed.
    Saved,
}

/// The full state of an engine: every registered part, by name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FullState {
    /// Sim time, s.
    pub t: f64,
    /// Ticks done.
    pub tick: u64,
    /// The state digest at this moment (hex), checked after a restore.
    pub digest: String,
    /// How `digest` was made (states saved before format 4 have none: `Parts`).
    #[serde(default)]
    pub scheme: DigestScheme,
    /// Parts: name and MessagePack bytes.
    pub parts: Vec<(String, crate::codec::Bytes)>,
    /// A view of the state ([`view_of`]) rather than the state itself: it restores for
    /// looking at, not for running on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub view: bool,
}

/// A view of a full state, for scrubbing a replay: the water's depths and discharges
/// to the millimetre (see [`crate::hydro::ModelState::view`]), every other part exact.
/// `prev` is the view this one follows in a replay (its maxima are carried on). The
/// view's digest is the exact state's: a restored view is not checked against it.
pub fn view_of(st: &FullState, prev: Option<&FullState>) -> Result<FullState, StateError> {
    if st.view {
        return Ok(st.clone());
    }
    // All a view takes from the one before is its maxima.
    let before = match prev {
        Some(p) => p
            .parts
            .iter()
            .find(|(n, _)| n == "water")
            .map(|(_, b)| crate::hydro::ModelState::outputs_of(&b.0).map_err(StateError::decode))
            .transpose()?,
        None => None,
    };
    let mut parts = Vec::with_capacity(st.parts.len());
    for (name, b) in &st.parts {
        if name == "water" {
            let m: crate::hydro::ModelState =
                rmp_serde::from_slice(&b.0).map_err(StateError::decode)?;
            let v = m.view_keeping(before.as_ref());
            parts.push((
                name.clone(),
                crate::codec::Bytes(rmp_serde::to_vec_named(&v).map_err(StateError::encode)?),
            ));
        } else {
            parts.push((name.clone(), b.clone()));
        }
    }
    Ok(FullState {
        t: st.t,
        tick: st.tick,
        digest: st.digest.clone(),
        scheme: st.scheme,
        parts,
        view: true,
    })
}

/// Set when the world holds a view of a state ([`view_of`]) rather than a state: the
/// time of the view. A tick refuses to run on a view.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct RestoredView(pub Option<f64>);

/// Options of a run that are not in the scenario.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Override the scenario's seed.
    pub seed: Option<u64>,
    /// Threads for the kernels (default: all cores).
    pub threads: Option<usize>,
}

/// Everything the simulation needs in an `App`: resources, the tick schedule and
/// the domain plugins.
pub struct SimPlugin {
    scenario: Arc<Scenario>,
    options: EngineOptions,
}

impl SimPlugin {
    /// A plugin for this scenario.
    pub fn new(scenario: Arc<Scenario>, options: EngineOptions) -> Self {
        Self { scenario, options }
    }
}

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        let s = &self.scenario;
        let threads = self.options.threads.unwrap_or(0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("floodrill-kernel-{i}"))
            .build()
            .expect("building a thread pool only fails if the OS refuses threads");
        let mut schedule = Schedule::new(SimTick);
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: LogLevel::Error,
            ..Default::default()
        });
        app.add_schedule(schedule);
        // The phases in order, each after the one before (a chain).
        for w in SimSet::ALL.windows(2) {
            app.configure_sets(SimTick, w[1].after(w[0]));
        }
        app.insert_resource(ScenarioRes(s.clone()))
            .insert_resource(RunSeed(self.options.seed.unwrap_or(s.file.meta.seed)))
            .insert_resource(SimThreads(Arc::new(pool)))
            .insert_resource(SimClock::new(s.file.meta.tick.secs(), s.duration()))
            .init_resource::<SimHealth>()
            .init_resource::<SetupFailures>()
            .init_resource::<DigestParts>()
            .init_resource::<InputParts>()
            .init_resource::<StateParts>();
        profile::add_markers(app);
        register_state_resource::<SimClock>(app, "clock");
        register_state_resource::<SimHealth>(app, "health");
        register_digest(app, "clock", |w, h| {
            let c = w.resource::<SimClock>();
            h.update(&c.tick.to_le_bytes());
            h.update(&c.t.to_le_bytes());
        });
        // Domain plugins, in the order their systems appear in the tick.
        app.add_plugins((
            hydro::HydroPlugin,
            exercise::ExercisePlugin,
            people::PeoplePlugin,
            forces::ForcesPlugin,
            scoring::ScoringPlugin,
        ))
        .add_systems(SimTick, sense::sample_sensors.in_set(SimSet::Sense));
    }
}

/// Register a part of the state for the digest.
pub fn register_digest(app: &mut App, name: &'static str, f: DigestFn) {
    app.world_mut()
        .resource_mut::<DigestParts>()
        .0
        .push((name, f));
}

/// The state digest (hex) by a scheme.
pub fn digest_by(world: &World, scheme: DigestScheme) -> String {
    match scheme {
        DigestScheme::Parts => parts_digest(world),
        DigestScheme::Saved => state_digest(world),
    }
}

/// The state digest: blake3 over every saved part of the state (its MessagePack
/// bytes), in name order (hex). A part that cannot be saved hashes its error, so the
/// digest still differs from a healthy state's.
pub fn state_digest(world: &World) -> String {
    let input = &world.resource::<InputParts>().0;
    let saved: Vec<(&'static str, Result<Vec<u8>, StateError>)> = world
        .resource::<StateParts>()
        .0
        .iter()
        .filter(|(n, _, _)| !input.contains(n))
        .map(|(n, save, _)| (*n, save(world)))
        .collect();
    saved_digest(&saved)
}

/// [`state_digest`] of parts already saved: `(name, bytes or why not)`.
fn saved_digest(saved: &[(&str, Result<Vec<u8>, StateError>)]) -> String {
    let mut order: Vec<usize> = (0..saved.len()).collect();
    order.sort_by_key(|&k| saved[k].0);
    let mut h = blake3::Hasher::new();
    for k in order {
        let (name, bytes) = &saved[k];
        h.update(name.as_bytes());
        match bytes {
            Ok(bytes) => {
                h.update(&(bytes.len() as u64).to_le_bytes());
                h.update(bytes);
            }
            Err(e) => {
                h.update(b"unsaveable:");
                h.update(e.to_string().as_bytes());
            }
        }
    }
    h.finalize().to_hex().to_string()
}

/// The digest of the registered digest parts (formats 1–3; see [`DigestScheme::Parts`]).
pub fn parts_digest(world: &World) -> String {
    let mut parts: Vec<(&'static str, DigestFn)> = world.resource::<DigestParts>().0.clone();
    parts.sort_by_key(|p| p.0);
    let mut h = blake3::Hasher::new();
    for (name, f) in parts {
        h.update(name.as_bytes());
        f(world, &mut h);
    }
    h.finalize().to_hex().to_string()
}

/// Restore a full state onto a world built by [`SimPlugin`] from the same scenario and
/// seed (a headless engine or the console). Every registered part must be present;
/// afterwards the state digest must equal the saved one, else the error says so and the
/// world must not be used.
pub fn restore_world(world: &mut World, st: &FullState) -> Result<(), StateError> {
    let parts: Vec<(&'static str, LoadFn)> = world
        .resource::<StateParts>()
        .0
        .iter()
        .map(|(n, _, l)| (*n, *l))
        .collect();
    for (name, load) in parts {
        let b = st
            .parts
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| StateError::NoPart(name.to_string()))?;
        load(world, &b.1.0).map_err(|e| StateError::Part {
            part: name,
            source: Box::new(e),
        })?;
    }
    world.insert_resource(RestoredView(st.view.then_some(st.t)));
    if st.view {
        return Ok(());
    }
    let d = digest_by(world, st.scheme);
    if d != st.digest {
        return Err(StateError::Digest {
            at: crate::scenario::format_clock(st.t),
            saved: st.digest.chars().take(16).collect(),
            restored: d.chars().take(16).collect(),
        });
    }
    Ok(())
}

/// Why a tick could not complete.
#[derive(Debug, Clone, thiserror::Error)]
#[error("simulation stopped at {time}: {reason}")]
pub struct TickFailure {
    /// Sim time as text.
    pub time: String,
    /// Diagnostic.
    pub reason: String,
    /// Stopped by the interrupt flag (Ctrl-C) inside the tick, not by a failure.
    pub interrupted: bool,
}

/// Run one tick of the simulation in the engine's thread pool and move the clock on.
pub fn run_tick(world: &mut World) -> Result<(), TickFailure> {
    if let Some(t) = world.get_resource::<RestoredView>().and_then(|v| v.0) {
        return Err(TickFailure {
            time: crate::scenario::format_clock(t),
            reason: "the drill holds a view of the replay (the water to the millimetre), not its exact state: seek exactly to run on from here".into(),
            interrupted: false,
        });
    }
    let pool = world.resource::<SimThreads>().0.clone();
    pool.install(|| world.run_schedule(SimTick));
    if let Some(t) = world
        .get_resource::<TickWatch>()
        .and_then(|w| w.interrupted_at)
    {
        return Err(TickFailure {
            time: crate::scenario::format_clock(world.resource::<SimClock>().t),
            reason: format!(
                "interrupted inside the tick (the water had reached {})",
                crate::scenario::format_clock(t)
            ),
            interrupted: true,
        });
    }
    if let Some(reason) = world.resource::<SimHealth>().failure.clone() {
        let t = world.resource::<SimClock>().t_end();
        return Err(TickFailure {
            time: crate::scenario::format_clock(t),
            reason,
            interrupted: false,
        });
    }
    world.resource_mut::<SimClock>().advance();
    Ok(())
}

/// A headless engine: an `App` with [`SimPlugin`], ticked on demand.
pub struct Engine {
    app: App,
}

impl Engine {
    /// Build the engine for a checked scenario ([`crate::setup::load`]).
    pub fn new(scenario: Arc<Scenario>, options: EngineOptions) -> Result<Self, EngineError> {
        let mut app = App::empty();
        app.add_plugins(SimPlugin::new(scenario, options));
        app.finish();
        app.cleanup();
        let failures = std::mem::take(&mut app.world_mut().resource_mut::<SetupFailures>().0);
        if let Some((part, source)) = failures.into_iter().next() {
            return Err(EngineError {
                part,
                source: Box::new(source),
            });
        }
        Ok(Self { app })
    }

    /// Run one tick.
    pub fn tick(&mut self) -> Result<(), TickFailure> {
        run_tick(self.app.world_mut())
    }

    /// The clock.
    pub fn clock(&self) -> SimClock {
        *self.app.world().resource::<SimClock>()
    }

    /// True once the scenario's duration has been simulated.
    pub fn finished(&self) -> bool {
        self.clock().finished()
    }

    /// Tick until sim time `t` (seconds) or the end of the scenario.
    pub fn run_until(&mut self, t: f64) -> Result<(), TickFailure> {
        while !self.finished() && self.clock().t < t - 1e-9 {
            self.tick()?;
        }
        Ok(())
    }

    /// The state digest (hex): every saved part ([`DigestScheme::Saved`]).
    pub fn digest(&self) -> String {
        state_digest(self.app.world())
    }

    /// The state digest by a scheme (a replay of format 1–3 was made with `Parts`).
    pub fn digest_by(&self, scheme: DigestScheme) -> String {
        digest_by(self.app.world(), scheme)
    }

    /// Wall time per phase of the tick so far (a measurement, not state).
    pub fn phase_times(&self) -> profile::PhaseTimes {
        self.app
            .world()
            .get_resource::<profile::PhaseTimes>()
            .copied()
            .unwrap_or_default()
    }

    /// The world, read-only.
    pub fn world(&self) -> &World {
        self.app.world()
    }

    /// Limit each tick (interrupt flag, wall time, sub-steps): a tick that cannot
    /// progress, or is interrupted, stops inside instead of running on.
    pub fn set_watch(&mut self, watch: TickWatch) {
        self.app.world_mut().insert_resource(watch);
    }

    /// Take the depth grid at the scenario's `outputs.depth_at` times from now on;
    /// collect them with [`Engine::take_depth_frames`].
    pub fn capture_depth_frames(&mut self) {
        self.app.world_mut().init_resource::<DepthFrames>();
    }

    /// The depth grids taken since the last call: `(sim time, depth)`.
    pub fn take_depth_frames(&mut self) -> Vec<(f64, crate::world::Grid<f64>)> {
        self.app
            .world_mut()
            .get_resource_mut::<DepthFrames>()
            .map(|mut f| std::mem::take(&mut f.0))
            .unwrap_or_default()
    }

    /// Queue timed orders and injects (a command stream, the live API); each applies
    /// at the first tick starting at or after its time.
    pub fn push_commands(
        &mut self,
        cmds: impl IntoIterator<Item = crate::exercise::commands::Command>,
    ) {
        self.app
            .world_mut()
            .resource_mut::<exercise::Inbox>()
            .push(cmds);
    }

    /// Submit one order or inject live (the console's API): it is checked against the
    /// scenario like a command-stream line and must not lie in the past; it then applies
    /// at the first tick starting at or after its time. The error says what is wrong.
    pub fn submit(&mut self, cmd: crate::exercise::commands::Command) -> Result<(), SubmitError> {
        use crate::exercise::commands::CommandKind;
        let now = self.clock().t;
        if cmd.t < now - 1e-9 {
            return Err(SubmitError::InThePast {
                origin: cmd.source,
                at: crate::scenario::format_clock(cmd.t),
                now: crate::scenario::format_clock(now),
            });
        }
        let s = self.app.world().resource::<ScenarioRes>().0.clone();
        let problems = match &cmd.kind {
            CommandKind::Order(o) => crate::scenario::check_order(&s, o),
            CommandKind::Inject(e) => crate::scenario::check_inject(&s, e),
            CommandKind::Skip(id) => {
                let pending = self
                    .app
                    .world()
                    .resource::<exercise::Inbox>()
                    .pending
                    .iter()
                    .any(|p| p.source.starts_with("injects[") && &p.id == id);
                if pending {
                    Vec::new()
                } else {
                    vec![(
                        "skip".to_string(),
                        format!(
                            "no scenario inject {id:?} is still to come (applied already, skipped, or not in the scenario)"
                        ),
                    )]
                }
            }
        };
        if !problems.is_empty() {
            let text: Vec<String> = problems
                .into_iter()
                .map(|(f, m)| if f.is_empty() { m } else { format!("{f}: {m}") })
                .collect();
            return Err(SubmitError::Refused {
                origin: cmd.source,
                problems: text,
            });
        }
        self.push_commands([cmd]);
        Ok(())
    }

    /// The full state now: every registered part (see [`StateParts`]).
    pub fn save_state(&self) -> Result<FullState, StateError> {
        let w = self.app.world();
        let saved: Vec<(&'static str, Result<Vec<u8>, StateError>)> = w
            .resource::<StateParts>()
            .0
            .iter()
            .map(|(n, save, _)| (*n, save(w)))
            .collect();
        let input = &w.resource::<InputParts>().0;
        let hashed: Vec<(&'static str, Result<Vec<u8>, StateError>)> = saved
            .iter()
            .filter(|(n, _)| !input.contains(n))
            .map(|(n, b)| (*n, b.clone()))
            .collect();
        let digest = saved_digest(&hashed);
        let mut parts = Vec::new();
        for (name, b) in saved {
            let b = b.map_err(|e| StateError::Save {
                part: name,
                source: Box::new(e),
            })?;
            parts.push((name.to_string(), crate::codec::Bytes(b)));
        }
        let c = self.clock();
        Ok(FullState {
            t: c.t,
            tick: c.tick,
            digest,
            scheme: DigestScheme::Saved,
            parts,
            view: false,
        })
    }

    /// The parts of the full state that are input, not state (see [`InputParts`]).
    pub fn input_parts(&self) -> Vec<&'static str> {
        self.app.world().resource::<InputParts>().0.clone()
    }

    /// Restore a full state saved by an engine built from the same scenario and seed
    /// (see [`restore_world`]).
    pub fn restore_state(&mut self, st: &FullState) -> Result<(), StateError> {
        restore_world(self.app.world_mut(), st)
    }

    /// The world (for outputs and tests).
    pub fn world_mut(&mut self) -> &mut World {
        self.app.world_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::commands::{Command, CommandKind};
    use crate::exercise::log::Origin;
    use crate::scenario::schema::Order;

    fn mini_engine() -> Engine {
        let s = crate::setup::tests::mini();
        Engine::new(
            Arc::new(s),
            EngineOptions {
                seed: None,
                threads: Some(1),
            },
        )
        .expect("the mini engine sets up")
    }

    #[test]
    fn the_saved_digest_does_not_depend_on_the_order_parts_were_registered() {
        let a = [
            ("b", Ok(vec![1u8, 2])),
            ("a", Ok(vec![3u8])),
            ("c", Err(StateError::Missing("x"))),
        ];
        let b = [
            ("c", Err(StateError::Missing("x"))),
            ("a", Ok(vec![3u8])),
            ("b", Ok(vec![1u8, 2])),
        ];
        assert_eq!(saved_digest(&a), saved_digest(&b));
        // Moving a byte from one part to the next is a different state.
        let c = [("a", Ok(vec![3u8, 1])), ("b", Ok(vec![2u8]))];
        let d = [("a", Ok(vec![3u8])), ("b", Ok(vec![1u8, 2]))];
        assert_ne!(saved_digest(&c), saved_digest(&d));
    }

    #[test]
    fn a_full_state_carries_the_saved_scheme_and_restores_to_its_digest() {
        let mut e = mini_engine();
        e.run_until(300.0).unwrap();
        let st = e.save_state().unwrap();
        assert_eq!(st.scheme, DigestScheme::Saved);
        assert_eq!(st.digest, e.digest());
        let mut f = mini_engine();
        f.restore_state(&st).unwrap();
        assert_eq!(f.digest(), st.digest);
        assert_eq!(
            f.digest_by(DigestScheme::Parts),
            e.digest_by(DigestScheme::Parts)
        );
    }

    #[test]
    fn a_state_of_an_older_format_is_checked_with_the_parts_digest() {
        let mut e = mini_engine();
        e.run_until(300.0).unwrap();
        let mut st = e.save_state().unwrap();
        st.scheme = DigestScheme::Parts;
        st.digest = e.digest_by(DigestScheme::Parts);
        let mut f = mini_engine();
        f.restore_state(&st).expect("an older state restores");
        st.digest = e.digest();
        let err = mini_engine().restore_state(&st).unwrap_err();
        assert!(matches!(err, StateError::Digest { .. }), "{err}");
    }

    #[test]
    fn a_live_order_in_the_past_or_for_an_unknown_unit_is_refused_with_its_reason() {
        let mut e = mini_engine();
        e.run_until(120.0).unwrap();
        let cmd = |t: f64, unit: &str| Command {
            t,
            origin: Origin::Trainee,
            kind: CommandKind::Order(Order::Recall { unit: unit.into() }),
            source: "console".into(),
            id: "c1".into(),
        };
        let err = e.submit(cmd(60.0, "T01")).unwrap_err();
        assert!(matches!(err, SubmitError::InThePast { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "console: time 0:01:00 is in the past (the drill is at 0:02:00)"
        );
        let err = e.submit(cmd(120.0, "T99")).unwrap_err();
        assert!(matches!(err, SubmitError::Refused { .. }), "{err}");
        e.submit(cmd(120.0, "T01")).expect("a good order is taken");
    }

    #[test]
    fn depth_frames_are_taken_only_when_asked_for_at_the_scenarios_times() {
        let mut e = mini_engine();
        e.run_until(3600.0).unwrap();
        assert!(e.take_depth_frames().is_empty());
        let mut e = mini_engine();
        e.capture_depth_frames();
        e.run_until(3600.0).unwrap();
        let frames = e.take_depth_frames();
        let times: Vec<f64> = frames.iter().map(|f| f.0).collect();
        assert_eq!(times, vec![1800.0], "mini asks for depth at 30m");
        assert!(e.take_depth_frames().is_empty(), "taken once");
    }
}
