//! Recording a run into a replay file, and verifying a replay by re-simulating it.

use std::path::Path;
use std::sync::Arc;

use super::{Header, Parent, Replay, ReplayError, Snapshot, Writer, read};
use crate::engine::StateError;
use crate::engine::exercise::Applied;
use crate::engine::{Engine, EngineOptions, RunSeed};
use crate::scenario::format_clock;

/// What the next state record of a replay is patched against.
#[derive(Default)]
struct Chain {
    /// The last keyframe: its time and MessagePack.
    key: Option<(f64, Vec<u8>)>,
    /// Keyframes patched since the last one of its own.
    keys_patched: usize,
    /// The last record as a view: its time, the view and its MessagePack.
    view: Option<(f64, crate::engine::FullState, Vec<u8>)>,
}

/// Encode the next state record: a keyframe (the exact state, patched against the
/// keyframe before it up to [`super::KEY_CHAIN`] in a row) or a view (patched against
/// the record before it).
fn encode_next(
    mut chain: Chain,
    st: crate::engine::FullState,
    key: bool,
) -> Result<(super::StateRecord, Chain), StateError> {
    let pack =
        |v: &crate::engine::FullState| rmp_serde::to_vec_named(v).map_err(StateError::encode);
    if key {
        let raw = pack(&st)?;
        let own = chain.keys_patched + 1 >= super::KEY_CHAIN;
        let base = match &chain.key {
            Some((t, r)) if !own => Some((*t, r.as_slice())),
            _ => None,
        };
        let rec = super::encode_raw(&st, &raw, base)?;
        chain.keys_patched = if rec.base.is_some() {
            chain.keys_patched + 1
        } else {
            0
        };
        let v = crate::engine::view_of(&st, None)?;
        let vraw = pack(&v)?;
        chain.view = Some((st.t, v, vraw));
        chain.key = Some((st.t, raw));
        Ok((rec, chain))
    } else {
        let prev = chain.view.take();
        let v = crate::engine::view_of(&st, prev.as_ref().map(|p| &p.1))?;
        let vraw = pack(&v)?;
        let rec = super::encode_raw(&v, &vraw, prev.as_ref().map(|p| (p.0, p.2.as_slice())))?;
        chain.view = Some((v.t, v, vraw));
        Ok((rec, chain))
    }
}

/// A state record being encoded beside the simulation.
type Encoding = std::thread::JoinHandle<Result<(super::StateRecord, Chain), StateError>>;

/// The replay of a run being written, driven tick by tick by the runner.
pub struct Recorder {
    writer: Writer,
    every: f64,
    /// Interval of the keyframes, s.
    key_every: f64,
    /// Time of the last keyframe.
    last_key: f64,
    applied_seen: usize,
    last_state: f64,
    /// What the next record is patched against (taken while a record is encoded).
    chain: Option<Chain>,
    /// A state record being encoded beside the simulation; written before the next
    /// snapshot (or at the end).
    encoding: Option<Encoding>,
    /// Encode beside the simulation: only when the kernels leave a core free (a
    /// thread more than cores stalls their fork-join steps and costs more than it saves).
    beside: bool,
}

impl Recorder {
    /// Create the file, write the header and the snapshot at the current time. A
    /// branch names its parent; the external commands it inherited (applied before the
    /// branch) are recorded first, so the file re-simulates from the start on its own.
    pub fn start(
        path: &Path,
        engine: &Engine,
        parent: Option<Parent>,
    ) -> Result<Self, ReplayError> {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Self::start_for(path, folder, engine, parent)
    }

    /// As [`Recorder::start`], for a file written at `path` that will be moved into
    /// `folder` when the run ends (a run stages its outputs): the scenario's path is
    /// recorded relative to `folder`, where the replay will be opened.
    pub fn start_for(
        path: &Path,
        folder: &Path,
        engine: &Engine,
        parent: Option<Parent>,
    ) -> Result<Self, ReplayError> {
        let w = engine.world();
        let s = &w.resource::<crate::engine::ScenarioRes>().0;
        let scenario_path = std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone());
        let scenario_rel = std::fs::canonicalize(folder)
            .ok()
            .and_then(|f| relative_path(&f, &scenario_path));
        let header = Header {
            format: "floodrill-replay".into(),
            version: super::FORMAT_VERSION,
            engine_version: crate::ENGINE_VERSION.into(),
            scenario_path: scenario_path.display().to_string(),
            scenario_rel,
            files: referenced_files(s),
            scenario_text: s.text.clone(),
            scenario_hash: s.hash(),
            seed: w.resource::<RunSeed>().0,
            tick_s: s.file.meta.tick.secs(),
            parent,
            digest_scheme: crate::engine::DigestScheme::Saved,
        };
        let every = s
            .file
            .outputs
            .snapshot_interval
            .secs()
            .max(s.file.meta.tick.secs());
        let key_every = s.file.outputs.keyframe_interval.secs().max(every);
        let mut r = Self {
            writer: Writer::create(path, &header)?,
            every,
            key_every,
            last_key: f64::NAN,
            applied_seen: 0,
            last_state: f64::NAN,
            chain: Some(Chain::default()),
            encoding: None,
            beside: std::thread::available_parallelism().map_or(1, |n| n.get())
                > engine
                    .world()
                    .resource::<crate::engine::SimThreads>()
                    .0
                    .current_num_threads(),
        };
        r.record_applied(engine)?;
        r.writer.snapshot(&snapshot(engine))?;
        r.state(engine, true)?;
        Ok(r)
    }

    /// Take snapshots and views every `every` seconds (at least one tick of `tick` s)
    /// from now on, instead of the scenario's `outputs.snapshot_interval`.
    pub fn set_interval(&mut self, every: f64, tick: f64) {
        if every.is_finite() && every > 0.0 {
            self.every = every.max(tick);
            self.key_every = self.key_every.max(self.every);
        }
    }

    /// Write keyframes every `every` seconds (at least one snapshot interval) from
    /// now on, instead of the scenario's `outputs.keyframe_interval`.
    pub fn set_keyframe_interval(&mut self, every: f64) {
        if every.is_finite() && every > 0.0 {
            self.key_every = every.max(self.every);
        }
    }

    fn record_applied(&mut self, engine: &Engine) -> Result<(), ReplayError> {
        let applied = &engine.world().resource::<Applied>().0;
        for c in &applied[self.applied_seen.min(applied.len())..] {
            // The scenario's own injects are in its text.
            if !c.source.starts_with("injects[") {
                self.writer.command(c)?;
            }
        }
        self.applied_seen = applied.len();
        Ok(())
    }

    /// Save the full state now and encode it as a keyframe or a view: on a thread of
    /// its own when a core is free, so the drill runs on while it is compressed
    /// (written by [`Self::write_encoded`]), else at once.
    fn state(&mut self, engine: &Engine, key: bool) -> Result<(), ReplayError> {
        self.write_encoded()?;
        let st = engine.save_state().map_err(|e| self.io(&e))?;
        self.last_state = st.t;
        if key {
            self.last_key = st.t;
        }
        let chain = self.chain.take().unwrap_or_default();
        if self.beside {
            self.encoding = Some(std::thread::spawn(move || encode_next(chain, st, key)));
            Ok(())
        } else {
            let (rec, chain) = encode_next(chain, st, key).map_err(|e| self.io(&e))?;
            self.chain = Some(chain);
            self.writer.state_record(&rec)
        }
    }

    /// Write the state being encoded, if any (waits for it).
    fn write_encoded(&mut self) -> Result<(), ReplayError> {
        if let Some(h) = self.encoding.take() {
            let (rec, chain) = h
                .join()
                .map_err(|_| self.io(&"the state encoder stopped"))?
                .map_err(|e| self.io(&e))?;
            self.chain = Some(chain);
            self.writer.state_record(&rec)?;
        }
        Ok(())
    }

    /// Whether the state now is due as a keyframe: a keyframe interval has passed
    /// since the last, or the drill is at its end.
    fn key_due(&self, engine: &Engine) -> bool {
        let c = engine.clock();
        c.finished()
            || self.last_key.is_nan()
            || (c.t / self.key_every + 1e-9).floor()
                > (self.last_key / self.key_every + 1e-9).floor()
    }

    fn io(&self, e: &dyn std::fmt::Display) -> ReplayError {
        ReplayError::Io {
            path: self.writer.path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        }
    }

    /// After a tick: record the commands applied in it, and a snapshot when an
    /// interval boundary was passed.
    pub fn after_tick(&mut self, engine: &Engine) -> Result<(), ReplayError> {
        self.record_applied(engine)?;
        let clock = engine.clock();
        let before = ((clock.t - clock.dt) / self.every + 1e-9).floor();
        let now = (clock.t / self.every + 1e-9).floor();
        if now > before {
            self.write_encoded()?;
            self.writer.snapshot(&snapshot(engine))?;
            let key = self.key_due(engine);
            self.state(engine, key)?;
        }
        Ok(())
    }

    /// Close the file with the exact state at the end (if not just written) and the
    /// end record.
    pub fn finish(mut self, engine: &Engine, status: &str) -> Result<(), ReplayError> {
        if self.last_state != engine.clock().t {
            self.state(engine, true)?;
        }
        self.write_encoded()?;
        self.writer
            .finish(engine.clock().t, status, &engine.digest())
    }
}

/// A snapshot of the engine now: digest and key metrics.
pub fn snapshot(engine: &Engine) -> Snapshot {
    let w = engine.world();
    let clock = engine.clock();
    let mut m = serde_json::Map::new();
    if let Some(water) = w.get_resource::<crate::engine::hydro::Water>() {
        let b = water.0.balance();
        m.insert("rain_m3".into(), b.rain.into());
        m.insert("storage_m3".into(), b.storage.into());
        m.insert("pumped_m3".into(), b.pumped.into());
        m.insert("drained_m3".into(), b.drained.into());
    }
    if let Some(p) = w.get_resource::<crate::engine::people::People>() {
        let t = p.households.counts_by_state_and_zone();
        for st in crate::agents::HouseholdState::ALL {
            m.insert(format!("households_{}", st.name()), t.total(st).into());
        }
    }
    if let Some(f) = w.get_resource::<crate::engine::forces::ForcesRes>() {
        m.insert("rescue_requests".into(), f.0.requests.len().into());
        m.insert(
            "rescue_requests_closed".into(),
            f.0.requests
                .iter()
                .filter(|r| r.closed.is_some())
                .count()
                .into(),
        );
    }
    Snapshot {
        t: clock.t,
        tick: clock.tick,
        digest: engine.digest(),
        metrics: m,
    }
}

/// What a verification found.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Snapshots checked.
    pub snapshots: usize,
    /// State records (keyframes and views) decoded and checked against the
    /// re-simulated state.
    pub states: usize,
    /// The end record's digest was checked too (a closed file).
    pub end_checked: bool,
    /// Sim time re-simulated, s.
    pub t: f64,
}

/// Re-simulate a replay from its embedded scenario, seed and recorded commands, and
/// check every snapshot digest (and the final one). The first difference is an error
/// naming that snapshot.
pub fn verify(path: &Path, threads: Option<usize>) -> Result<Verified, ReplayError> {
    let r = read(path)?;
    let scheme = r.header.digest_scheme;
    let p = path.display().to_string();
    let mut engine = fresh_engine(&r, threads)?;
    engine.push_commands(r.engine_commands()?);
    let diverged = |what: String| ReplayError::Diverged {
        path: p.clone(),
        message: what,
    };
    // Every state record is decoded in order (each view against the one before it)
    // and must be the re-simulated state at its time, or its view.
    let mut next_state = 0;
    let mut prev_view: Option<crate::engine::FullState> = None;
    let mut states_checked = 0;
    let mut check_states = |engine: &Engine, upto: f64| -> Result<(), ReplayError> {
        while next_state < r.states.len() && r.states[next_state].t <= upto + 1e-9 {
            let k = next_state;
            next_state += 1;
            let rs = &r.states[k];
            if engine.clock().t != rs.t {
                continue;
            }
            let st = r.load_view_or_state(k)?;
            let now = engine.save_state().map_err(|e| diverged(e.to_string()))?;
            let what = if rs.view { "view" } else { "full state" };
            // The commands still to come are input: a run given orders live had fewer
            // of them in hand than the re-simulation.
            let inputs = engine.input_parts();
            let state_parts = |f: &crate::engine::FullState| -> Vec<(String, crate::codec::Bytes)> {
                f.parts
                    .iter()
                    .filter(|(n, _)| !inputs.contains(&n.as_str()))
                    .cloned()
                    .collect()
            };
            let same = if rs.view {
                let v = crate::engine::view_of(&now, prev_view.as_ref())
                    .map_err(|e| diverged(e.to_string()))?;
                let same = state_parts(&v) == state_parts(&st) && v.digest == st.digest;
                prev_view = Some(v);
                same
            } else {
                prev_view =
                    Some(crate::engine::view_of(&now, None).map_err(|e| diverged(e.to_string()))?);
                state_parts(&now) == state_parts(&st) && now.digest == st.digest
            };
            if !same {
                return Err(diverged(format!(
                    "the {what} at {} (line {}) is not the re-simulated state there",
                    format_clock(rs.t),
                    rs.line
                )));
            }
            states_checked += 1;
        }
        Ok(())
    };
    check_states(&engine, 0.0)?;
    for (line, s) in &r.snapshots {
        engine.run_until(s.t).map_err(|e| {
            diverged(format!(
                "re-simulation failed before the snapshot at {} (line {line}): {e}",
                format_clock(s.t)
            ))
        })?;
        let d = engine.digest_by(scheme);
        if engine.clock().t != s.t || d != s.digest {
            return Err(diverged(format!(
                "first divergent snapshot: the snapshot at {} (line {line}, tick {}): recorded digest {}, re-simulated {} at {}",
                format_clock(s.t),
                s.tick,
                s.digest,
                d,
                format_clock(engine.clock().t)
            )));
        }
        check_states(&engine, s.t)?;
    }
    let mut end_checked = false;
    if let Some(end) = &r.end {
        engine
            .run_until(end.t)
            .map_err(|e| diverged(format!("re-simulation failed before the end: {e}")))?;
        let d = engine.digest_by(scheme);
        if d != end.digest {
            return Err(diverged(format!(
                "the replay diverges: the final state at {} differs: recorded digest {}, \
                 re-simulated {}",
                format_clock(end.t),
                end.digest,
                d
            )));
        }
        end_checked = true;
        check_states(&engine, end.t)?;
    }
    Ok(Verified {
        snapshots: r.snapshots.len(),
        states: states_checked,
        end_checked,
        t: engine.clock().t,
    })
}

/// The files a scenario refers to: every string in it that names a file beside it
/// (found by walking the parsed file, so a new kind of file reference is covered too),
/// in path order, with their sizes and hashes.
pub fn referenced_files(s: &crate::scenario::Scenario) -> Vec<super::FileRef> {
    fn strings<'a>(v: &'a serde_json::Value, out: &mut std::collections::BTreeSet<&'a str>) {
        match v {
            serde_json::Value::String(x) => {
                out.insert(x);
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let Ok(v) = serde_json::to_value(&s.file) else {
        return Vec::new();
    };
    let mut names = std::collections::BTreeSet::new();
    strings(&v, &mut names);
    names
        .into_iter()
        .filter(|n| !n.is_empty() && s.resolve(n).is_file())
        .filter_map(|n| {
            let (bytes, blake3) = hash_file(&s.resolve(n)).ok()?;
            Some(super::FileRef {
                path: n.to_string(),
                bytes,
                blake3,
            })
        })
        .collect()
}

/// Size and blake3 (hex) of a file, streamed.
fn hash_file(p: &Path) -> std::io::Result<(u64, String)> {
    let mut h = blake3::Hasher::new();
    let n = std::io::copy(&mut std::fs::File::open(p)?, &mut h)?;
    Ok((n, h.finalize().to_hex().to_string()))
}

/// `to` relative to the folder `from` (both absolute), `/`-separated; none when they
/// share no root (another drive).
fn relative_path(from: &Path, to: &Path) -> Option<String> {
    use std::path::Component;
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    if a.first() != b.first() {
        return None;
    }
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    for c in &b[common..] {
        parts.push(c.as_os_str().to_str()?.to_string());
    }
    Some(parts.join("/"))
}

/// Why the recorded files are not usable at one place.
fn files_problem(base: &Path, files: &[super::FileRef]) -> Option<String> {
    for f in files {
        let p = base.join(&f.path);
        match std::fs::metadata(&p) {
            Err(_) => return Some(format!("{} is missing", p.display())),
            Ok(m) if m.len() != f.bytes => {
                return Some(format!(
                    "{} has changed since the run ({} bytes, recorded {})",
                    p.display(),
                    m.len(),
                    f.bytes
                ));
            }
            Ok(_) => match hash_file(&p) {
                Err(e) => return Some(format!("{} cannot be read: {e}", p.display())),
                Ok((_, h)) if h != f.blake3 => {
                    return Some(format!(
                        "{} has changed since the run (its blake3 differs from the one recorded)",
                        p.display()
                    ));
                }
                Ok(_) => {}
            },
        }
    }
    None
}

/// Where the scenario's files are: at its recorded absolute path, else relative to
/// the replay file (a project folder moved whole). Every recorded file must be there
/// with its recorded hash; otherwise the error names the file and what is wrong with
/// it at each place looked at.
pub fn scenario_location(r: &Replay) -> Result<std::path::PathBuf, ReplayError> {
    let h = &r.header;
    let absolute = std::path::PathBuf::from(&h.scenario_path);
    let mut places = vec![absolute.clone()];
    if let Some(rel) = &h.scenario_rel {
        let folder = match r.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let p = folder.join(rel);
        let same = |x: &Path| x.parent().and_then(|d| std::fs::canonicalize(d).ok());
        if same(&p).is_none() || same(&p) != same(&absolute) {
            places.push(p);
        }
    }
    // Versions 1 and 2 record no files: the absolute path it is.
    if h.files.is_empty() {
        return Ok(absolute);
    }
    let mut problems = Vec::new();
    for p in &places {
        let base = p.parent().unwrap_or(Path::new("."));
        match files_problem(base, &h.files) {
            None => return Ok(p.clone()),
            Some(why) => problems.push(why),
        }
    }
    Err(ReplayError::Input {
        path: r.path.display().to_string(),
        message: format!(
            "the district files this replay was recorded with are not as they were: {} (the scenario was {}{}); restore those files, or run the scenario again for a new replay",
            problems.join("; and relative to the replay, "),
            h.scenario_path,
            h.scenario_rel.as_ref().map_or(String::new(), |rel| format!(
                ", {rel} from the replay's folder"
            ))
        ),
    })
}

/// The scenario a replay embeds, set up again from the files it was recorded with
/// (see [`scenario_location`]). A scenario that does not load is an input error naming
/// the replay and the problem.
pub fn scenario_of(r: &Replay) -> Result<crate::scenario::Scenario, ReplayError> {
    let h = &r.header;
    let at = scenario_location(r)?;
    let scenario =
        crate::setup::load_str(&at, h.scenario_text.clone()).map_err(|e| ReplayError::Input {
            path: r.path.display().to_string(),
            message: format!(
                "the scenario it embeds (recorded from {}) cannot be set up again:\n{e}",
                h.scenario_path
            ),
        })?;
    if scenario.hash() != h.scenario_hash {
        return Err(ReplayError::Input {
            path: r.path.display().to_string(),
            message: "the embedded scenario text does not match its hash".into(),
        });
    }
    Ok(scenario)
}

/// An engine at time 0 for the replay's scenario and seed (no commands pushed).
fn fresh_engine(r: &Replay, threads: Option<usize>) -> Result<Engine, ReplayError> {
    Engine::new(
        Arc::new(scenario_of(r)?),
        EngineOptions {
            seed: Some(r.header.seed),
            threads,
        },
    )
    .map_err(|e| ReplayError::Input {
        path: r.path.display().to_string(),
        message: format!("the scenario it embeds validates but {e}"),
    })
}

/// How a seek got to its moment.
#[derive(Debug, Clone)]
pub struct Seek {
    /// The moment reached, s.
    pub t: f64,
    /// The full state it started from, s (none: from the start, version-1 file or no
    /// state before `t`).
    pub from_state: Option<f64>,
    /// Sim seconds re-simulated after the state.
    pub resimulated_s: f64,
    /// Wall-clock seconds: reading the file, restoring, re-simulating.
    pub read_s: f64,
    /// Restoring the state.
    pub restore_s: f64,
    /// Re-simulating.
    pub simulate_s: f64,
}

/// Open a replay for looking at sim time `t` (clamped to what the file holds): the
/// latest record at or before `t` — a view (the water to the millimetre, everything
/// else exact) or a keyframe's view — restored without re-simulating. The engine
/// cannot run on from it (see [`crate::engine::RestoredView`]); [`open_at`] gives the
/// exact state.
pub fn open_view_at(
    path: &Path,
    t: f64,
    threads: Option<usize>,
) -> Result<(Engine, Replay, Seek), ReplayError> {
    let started = std::time::Instant::now();
    let r = match super::read_indexed(path)? {
        Some(r) if !r.states.is_empty() => r,
        _ => read(path)?,
    };
    let read_s = started.elapsed().as_secs_f64();
    let Some(k) = r.view_before(t.max(0.0)) else {
        // Nothing recorded to look at (format 1): the exact way.
        return open_at(path, t, threads);
    };
    let mut engine = fresh_engine(&r, threads)?;
    let t0 = std::time::Instant::now();
    let st = r.load_view(k)?;
    engine
        .restore_state(&st)
        .map_err(|e| ReplayError::Diverged {
            path: path.display().to_string(),
            message: format!("line {}: {e}", r.states[k].line),
        })?;
    Ok((
        engine,
        r,
        Seek {
            t: st.t,
            from_state: Some(st.t),
            resimulated_s: 0.0,
            read_s,
            restore_s: t0.elapsed().as_secs_f64(),
            simulate_s: 0.0,
        },
    ))
}

/// Open a replay at sim time `t` (clamped to what the file holds): restore the latest
/// full state at or before `t`, then re-simulate to `t` with the recorded commands.
/// The restored state must reproduce its digest; a file read whole also has every
/// snapshot passed on the way checked. The returned [`Replay`] of a closed file holds
/// only its header, end record and state index (read it whole for the rest).
pub fn open_at(
    path: &Path,
    t: f64,
    threads: Option<usize>,
) -> Result<(Engine, Replay, Seek), ReplayError> {
    let started = std::time::Instant::now();
    // A closed file opens through its index (header, end record, one state); a file
    // cut short, or without full states, is read whole.
    let r = match super::read_indexed(path)? {
        Some(r)
            if r.state_before(t.min(r.end.as_ref().map_or(0.0, |e| e.t)))
                .is_some() =>
        {
            r
        }
        _ => read(path)?,
    };
    let read_s = started.elapsed().as_secs_f64();
    let last = r
        .end
        .as_ref()
        .map(|e| e.t)
        .or_else(|| r.snapshots.last().map(|s| s.1.t))
        .unwrap_or(0.0);
    // The engine stops at the first tick boundary at or after `t`: a state there
    // serves as well.
    let dt = r.header.tick_s.max(1e-9);
    let t = ((t.clamp(0.0, last) / dt - 1e-9).ceil() * dt).min(last);
    let p = path.display().to_string();
    let mut engine = fresh_engine(&r, threads)?;
    let t0 = std::time::Instant::now();
    let from_state = match r.state_before(t) {
        Some(k) => {
            let st = r.load_state(k)?;
            engine
                .restore_state(&st)
                .map_err(|e| ReplayError::Diverged {
                    path: p.clone(),
                    message: format!("line {}: {e}", r.states[k].line),
                })?;
            Some(st.t)
        }
        None => {
            engine.push_commands(r.engine_commands()?);
            None
        }
    };
    let restore_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let start_t = engine.clock().t;
    for (line, s) in r.snapshots.iter().filter(|s| s.1.t > start_t && s.1.t <= t) {
        engine.run_until(s.t).map_err(|e| ReplayError::Diverged {
            path: p.clone(),
            message: format!("re-simulation failed before {}: {e}", format_clock(s.t)),
        })?;
        if engine.digest_by(r.header.digest_scheme) != s.digest {
            return Err(ReplayError::Diverged {
                path: p,
                message: format!(
                    "the re-simulated state differs from the snapshot at {} (line {line})",
                    format_clock(s.t)
                ),
            });
        }
    }
    engine.run_until(t).map_err(|e| ReplayError::Diverged {
        path: p.clone(),
        message: format!("re-simulation failed before {}: {e}", format_clock(t)),
    })?;
    let simulate_s = t1.elapsed().as_secs_f64();
    let reached = engine.clock().t;
    Ok((
        engine,
        r,
        Seek {
            t: reached,
            from_state,
            resimulated_s: reached - start_t,
            read_s,
            restore_s,
            simulate_s,
        },
    ))
}
