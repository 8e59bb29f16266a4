//! The live drill on a thread of its own: the console's window sends [`Control`]s and
//! draws the newest [`SimView`]; it never waits for a tick.
//!
//! How it works: [`LiveSim::start`] spawns the worker, which builds the [`Engine`]
//! (or opens a replay for review) and reports back before the window opens. The
//! worker then loops: take the controls waiting (blocking briefly when there is
//! nothing to run), run the ticks owed at the chosen speed ([`Pace`]: real time ×
//! speed ÷ tick, a stall never turning into a burst; `f64::INFINITY` runs as fast as
//! it can), record each tick into the session's replay, and publish a view at most
//! every [`LiveOptions::publish_every`] of wall time — or less often where a view is
//! slow to take, so that views cost at most about a ninth of the worker's time — and
//! after every single step.
//! Orders and injects are [`Engine::submit`]ted — checked like a command-stream line;
//! a refused one comes back as an [`Update::Reply`] saying why — and so are logged
//! with their origin and recorded in the replay. Review seeks are the replay's own
//! views and keyframes ([`crate::engine::restore_world`] and re-simulation), and
//! "branch from here" starts a new replay that names its parent.
//!
//! When the window closes ([`LiveSim::finish`], or dropping it), the worker ends the
//! replay and writes `events.jsonl` and `scorecard.json` beside it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::view::{RunState, SimView};
use crate::engine::exercise::{Inbox, Log};
use crate::engine::{Engine, EngineOptions, RestoredView};
use crate::exercise::commands::Command;
use crate::exercise::log::LogEntry;
use crate::replay::{Parent, Recorder, Replay};
use crate::scenario::{Scenario, format_clock};

/// Longest real time between two passes of the loop counted for the ticks owed.
const MAX_STEP_DT: f64 = 0.25;

/// Real seconds over which the achieved speed is measured.
const SPEED_WINDOW: f64 = 1.5;

/// Wall seconds between live scorecard updates.
const CARD_EVERY_S: f64 = 1.0;

/// The replay file a session writes in its folder.
pub const REPLAY_FILE: &str = "drill.replay";

/// What the window asks of the worker.
#[derive(Debug, Clone)]
pub enum Control {
    /// Sim seconds per real second (`f64::INFINITY`: as fast as possible).
    Speed(f64),
    /// Pause (true) or run.
    Pause(bool),
    /// One tick (while paused).
    Step,
    /// An order or inject, through [`Engine::submit`].
    Submit(Command),
    /// Review: show the recorded moment at or before `t` (a view; running restores the
    /// exact state first).
    Seek(f64),
    /// Review: continue live from this moment into a new replay naming its parent.
    Branch,
    /// End the session.
    Quit,
}

/// What the worker tells the window.
#[derive(Debug, Clone)]
pub enum Update {
    /// The newest view.
    View(Arc<SimView>),
    /// New log entries; `reset`: the log was replaced (a seek), these are all of it.
    Log {
        /// Replace what the window holds.
        reset: bool,
        /// The entries.
        entries: Vec<LogEntry>,
    },
    /// The answer to a [`Control::Submit`], [`Control::Seek`] or [`Control::Branch`].
    Reply {
        /// Accepted.
        ok: bool,
        /// What happened, or why not.
        text: String,
    },
}

/// Options of a live session.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Seed and threads.
    pub engine: EngineOptions,
    /// Initial speed, sim seconds per real second.
    pub speed: f64,
    /// Start paused.
    pub paused: bool,
    /// Record the session here (`drill.replay`, `events.jsonl`, `scorecard.json`).
    pub out: Option<PathBuf>,
    /// Review this replay instead of a fresh drill.
    pub replay: Option<PathBuf>,
    /// Open the replay at this moment, s.
    pub review_at: Option<f64>,
    /// A fresh drill runs as fast as it can to this moment first, then at `speed` (or
    /// paused).
    pub start_at: Option<f64>,
    /// Least wall time between two published views.
    pub publish_every: Duration,
    /// Run the drill's threads (the worker and its kernel pool) below the normal
    /// priority (Unix: nice +10), so that a window drawing the views keeps its frame
    /// rate when the drill could use every core: the drill then runs slower than asked
    /// (the views say how fast it runs) rather than the window stuttering.
    pub background: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            engine: EngineOptions::default(),
            speed: 60.0,
            paused: false,
            out: None,
            replay: None,
            review_at: None,
            start_at: None,
            publish_every: Duration::from_millis(33),
            background: false,
        }
    }
}

/// Why a live session could not start or ended badly.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The engine could not be built.
    #[error("cannot start the drill: {0}")]
    Setup(String),
    /// The replay to review could not be opened.
    #[error("{0}")]
    Replay(String),
    /// An output could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The worker thread stopped unexpectedly.
    #[error("the simulation worker stopped unexpectedly")]
    Crashed,
}

/// What a session wrote when it ended.
#[derive(Debug, Clone, Default)]
pub struct Closed {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Sim time at the end, s.
    pub t: f64,
}

/// The ticks owed for a speed (console state, never sim state).
#[derive(Debug, Clone)]
pub struct Pace {
    /// Sim seconds per real second.
    pub speed: f64,
    /// Paused.
    pub paused: bool,
    steps: u32,
    owed: f64,
    samples: std::collections::VecDeque<(f64, f64)>,
    /// Achieved sim seconds per real second.
    pub achieved: f64,
}

impl Pace {
    /// A pace at `speed`.
    pub fn new(speed: f64, paused: bool) -> Self {
        Self {
            speed,
            paused,
            steps: 0,
            owed: 0.0,
            samples: Default::default(),
            achieved: 0.0,
        }
    }

    /// Ask for one tick (only while paused).
    pub fn step(&mut self) {
        if self.paused {
            self.steps += 1;
        }
    }

    /// Pause or run (the ticks owed are dropped either way).
    pub fn set_paused(&mut self, p: bool) {
        self.paused = p;
        self.owed = 0.0;
    }

    /// Whole ticks due for a real time `real_dt` and tick `dt` (keeps the fraction);
    /// `u64::MAX` at infinite speed.
    pub fn ticks_due(&mut self, real_dt: f64, dt: f64) -> u64 {
        let mut due = u64::from(std::mem::take(&mut self.steps));
        if !self.paused && dt > 0.0 {
            if self.speed.is_infinite() {
                return u64::MAX;
            }
            self.owed += real_dt.clamp(0.0, MAX_STEP_DT) * self.speed / dt;
            let whole = self.owed.floor();
            self.owed -= whole;
            due += whole as u64;
        }
        due
    }

    /// Real seconds until the next tick is owed (for a worker with nothing to do).
    pub fn wait(&self, dt: f64) -> f64 {
        if self.paused || self.speed.is_nan() || self.speed <= 0.0 || self.speed.is_infinite() {
            return f64::INFINITY;
        }
        ((1.0 - self.owed) * dt / self.speed).max(0.0)
    }

    /// Drop the ticks owed (they could not be run in time).
    pub fn drop_owed(&mut self) {
        self.owed = 0.0;
    }

    /// Record sim time `t` at wall time `wall` and update [`Pace::achieved`].
    pub fn sample(&mut self, wall: f64, t: f64) {
        self.samples.push_back((wall, t));
        while self
            .samples
            .front()
            .is_some_and(|s| wall - s.0 > SPEED_WINDOW)
        {
            self.samples.pop_front();
        }
        if let Some(&(w0, t0)) = self.samples.front()
            && wall - w0 >= 0.25
        {
            self.achieved = (t - t0) / (wall - w0);
        }
    }
}

/// A live drill on its worker thread.
pub struct LiveSim {
    tx: Sender<Control>,
    rx: Receiver<Update>,
    handle: Option<JoinHandle<Result<Closed, LiveError>>>,
}

impl LiveSim {
    /// Build the engine (or open the replay) on a new thread and start it.
    pub fn start(scenario: Arc<Scenario>, opts: LiveOptions) -> Result<Self, LiveError> {
        let (tx, ctl_rx) = mpsc::channel();
        let (up_tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("floodrill-sim".into())
            .spawn(move || {
                let background = opts.background;
                if background {
                    lower_priority();
                }
                let w = match Worker::new(scenario, opts, up_tx) {
                    Ok(w) => {
                        if background
                            && let Some(pool) =
                                w.engine.world().get_resource::<crate::engine::SimThreads>()
                        {
                            pool.0.broadcast(|_| lower_priority());
                        }
                        let _ = ready_tx.send(Ok(()));
                        w
                    }
                    Err(e) => {
                        let text = e.to_string();
                        let _ = ready_tx.send(Err(e));
                        return Err(LiveError::Setup(text));
                    }
                };
                w.run(ctl_rx)
            })
            .map_err(|e| LiveError::Setup(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                tx,
                rx,
                handle: Some(handle),
            }),
            Ok(Err(e)) => {
                let _ = handle.join();
                Err(e)
            }
            Err(_) => {
                let _ = handle.join();
                Err(LiveError::Crashed)
            }
        }
    }

    /// Send a control (ignored once the worker has ended).
    pub fn send(&self, c: Control) {
        let _ = self.tx.send(c);
    }

    /// Everything the worker has sent since the last call (never waits).
    pub fn poll(&self) -> Vec<Update> {
        self.rx.try_iter().collect()
    }

    /// Wait up to `timeout` for the next update.
    pub fn wait(&self, timeout: Duration) -> Option<Update> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// End the session: the worker closes the replay and writes the session's files.
    pub fn finish(mut self) -> Result<Closed, LiveError> {
        self.close()
    }

    fn close(&mut self) -> Result<Closed, LiveError> {
        let _ = self.tx.send(Control::Quit);
        match self.handle.take() {
            Some(h) => h.join().map_err(|_| LiveError::Crashed)?,
            None => Ok(Closed::default()),
        }
    }
}

impl Drop for LiveSim {
    fn drop(&mut self) {
        if self.handle.is_some()
            && let Err(e) = self.close()
        {
            eprintln!("floodrill: {e}");
        }
    }
}

/// Lower the calling thread's scheduling priority (nice +10 on Unix; elsewhere
/// nothing). Only this thread: Linux keeps a nice value per thread.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `gettid` has no preconditions; `setpriority` on our own thread id only
    // changes this thread's nice value, and a failure (refused) changes nothing.
    unsafe {
        let tid = libc::gettid();
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Wall time between two views, at least, as a multiple of the time a view takes.
const VIEW_COST_RATIO: f64 = 8.0;

/// The worker's side.
struct Worker {
    engine: Engine,
    pace: Pace,
    up: Sender<Update>,
    publish_every: Duration,
    blocked: Arc<Vec<bool>>,
    recorder: Option<Recorder>,
    recording: Option<PathBuf>,
    out: Option<PathBuf>,
    review: Option<(PathBuf, Replay)>,
    failure: Option<String>,
    behind: bool,
    last_tick_ms: f64,
    /// Wall time the last view took to take and send, s.
    publish_s: f64,
    log_sent: usize,
    card_at: Option<Instant>,
    card: Option<Arc<crate::scoring::Scorecard>>,
    started: Instant,
    quit: bool,
    changed: bool,
    /// Run as fast as possible to this moment first.
    start_at: Option<f64>,
}

impl Worker {
    fn new(
        scenario: Arc<Scenario>,
        opts: LiveOptions,
        up: Sender<Update>,
    ) -> Result<Self, LiveError> {
        let engine = Engine::new(scenario, opts.engine.clone())
            .map_err(|e| LiveError::Setup(e.to_string()))?;
        let blocked = Arc::new(
            engine
                .world()
                .get_resource::<crate::engine::hydro::Water>()
                .map(|w| w.0.blocked().to_vec())
                .unwrap_or_default(),
        );
        let mut w = Self {
            engine,
            pace: Pace::new(opts.speed, opts.paused || opts.replay.is_some()),
            up,
            publish_every: opts.publish_every,
            blocked,
            recorder: None,
            recording: None,
            out: opts.out.clone(),
            review: None,
            failure: None,
            behind: false,
            last_tick_ms: 0.0,
            publish_s: 0.0,
            log_sent: 0,
            card_at: None,
            card: None,
            started: Instant::now(),
            quit: false,
            changed: true,
            start_at: opts.start_at.filter(|_| opts.replay.is_none()),
        };
        match &opts.replay {
            Some(path) => {
                let r = open_review(path)?;
                w.review = Some((path.clone(), r));
                let at = opts.review_at.unwrap_or(0.0);
                w.seek_view(at).map_err(LiveError::Replay)?;
            }
            None => {
                if let Some(dir) = &opts.out {
                    w.start_recording(dir, None)?;
                }
            }
        }
        Ok(w)
    }

    fn start_recording(&mut self, dir: &Path, parent: Option<Parent>) -> Result<(), LiveError> {
        std::fs::create_dir_all(dir).map_err(|source| LiveError::Output {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(REPLAY_FILE);
        let r = Recorder::start_for(&path, dir, &self.engine, parent).map_err(|e| {
            LiveError::Output {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            }
        })?;
        self.recorder = Some(r);
        self.recording = Some(path);
        self.out = Some(dir.to_path_buf());
        Ok(())
    }

    fn run(mut self, rx: Receiver<Control>) -> Result<Closed, LiveError> {
        let mut last = Instant::now();
        let mut last_publish: Option<Instant> = None;
        let mut idle_wait = 0.0f64;
        while !self.quit {
            // Controls: wait for one when there is nothing to run yet.
            let first = if idle_wait > 0.0 {
                match rx.recv_timeout(Duration::from_secs_f64(idle_wait.min(0.05))) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => break,
                }
            };
            if let Some(c) = first {
                self.handle(c);
                for c in rx.try_iter() {
                    self.handle(c);
                }
            }
            if self.quit {
                break;
            }
            // Running on from a recorded view needs the exact state first.
            if self.is_view() && !self.pace.paused {
                let t = self.engine.clock().t;
                let text = self.seek_exact(t);
                self.reply(text.is_ok(), text.unwrap_or_else(|e| e));
                last = Instant::now();
            }
            let now = Instant::now();
            let real_dt = now.duration_since(last).as_secs_f64();
            last = now;
            let dt = self.engine.clock().dt;
            let stopped = self.failure.is_some() || self.engine.finished() || self.is_view();
            let fast_forward = self
                .start_at
                .filter(|t| self.engine.clock().t < t - 1e-9 && !stopped);
            if fast_forward.is_none() && self.start_at.take().is_some() {
                // The views must say the fast-forward is over.
                self.changed = true;
            }
            let due = if stopped {
                self.pace.ticks_due(0.0, dt);
                0
            } else if let Some(t) = fast_forward {
                ((t - self.engine.clock().t) / dt).ceil().max(1.0) as u64
            } else {
                self.pace.ticks_due(real_dt, dt)
            };
            let start = Instant::now();
            let mut done = 0u64;
            while done < due && self.failure.is_none() && !self.engine.finished() {
                let t0 = Instant::now();
                if let Err(e) = self.engine.tick() {
                    self.failure = Some(e.to_string());
                    self.pace.set_paused(true);
                }
                self.last_tick_ms = t0.elapsed().as_secs_f64() * 1e3;
                if let Some(r) = &mut self.recorder
                    && let Err(e) = r.after_tick(&self.engine)
                {
                    self.failure = Some(format!("the replay cannot be written: {e}"));
                    self.recorder = None;
                    self.pace.set_paused(true);
                }
                done += 1;
                self.changed = true;
                if start.elapsed() >= self.publish_interval() {
                    break;
                }
            }
            self.behind =
                done < due && due != u64::MAX && fast_forward.is_none() && self.failure.is_none();
            if self.behind {
                self.pace.drop_owed();
            }
            let wall = self.started.elapsed().as_secs_f64();
            self.pace.sample(wall, self.engine.clock().t);
            let publish_due = last_publish.is_none_or(|p| p.elapsed() >= self.publish_interval());
            if self.changed && (publish_due || self.pace.paused) {
                self.publish();
                last_publish = Some(Instant::now());
            }
            idle_wait = if done > 0 {
                0.0
            } else if stopped || self.pace.paused {
                0.05
            } else {
                self.pace.wait(dt).min(0.05)
            };
            if done == 0 && idle_wait == 0.0 {
                idle_wait = 0.001;
            }
        }
        self.close()
    }

    fn run_state(&self) -> RunState {
        RunState {
            fast_forward: self.start_at,
            speed: self.pace.speed,
            paused: self.pace.paused,
            achieved: self.pace.achieved,
            behind: self.behind,
            last_tick_ms: self.last_tick_ms,
            failure: self.failure.clone(),
            recording: self.recording.clone(),
            reviewing: self.review.as_ref().map(|(p, _)| p.clone()),
        }
    }

    fn is_view(&self) -> bool {
        self.engine
            .world()
            .get_resource::<RestoredView>()
            .is_some_and(|v| v.0.is_some())
    }

    fn reply(&self, ok: bool, text: String) {
        let _ = self.up.send(Update::Reply { ok, text });
    }

    fn handle(&mut self, c: Control) {
        self.changed = true;
        match c {
            Control::Speed(s) => {
                if s > 0.0 {
                    self.pace.speed = s;
                }
            }
            Control::Pause(p) => self.pace.set_paused(p),
            Control::Step => self.pace.step(),
            Control::Submit(mut cmd) => {
                // Given "now" by a person: it applies at the next tick, even when the
                // drill has moved on since the view the order was given on.
                cmd.t = cmd.t.max(self.engine.clock().t);
                let what = describe_command(&cmd);
                match self.engine.submit(cmd) {
                    Ok(()) => self.reply(true, format!("{what}: accepted")),
                    Err(e) => self.reply(false, e.to_string()),
                }
            }
            Control::Seek(t) => {
                let r = self.seek_view(t);
                self.pace.set_paused(true);
                self.reply(r.is_ok(), r.unwrap_or_else(|e| e));
            }
            Control::Branch => {
                let r = self.branch();
                self.reply(r.is_ok(), r.unwrap_or_else(|e| e));
            }
            Control::Quit => self.quit = true,
        }
    }

    /// Show the recorded view at or before `t`.
    fn seek_view(&mut self, t: f64) -> Result<String, String> {
        let Some((_, replay)) = &self.review else {
            return Err("seeking needs a replay (gui --replay FILE)".into());
        };
        let started = Instant::now();
        let k = replay
            .view_before(t)
            .ok_or_else(|| format!("no recorded state at or before {}", format_clock(t)))?;
        let st = replay.load_view_or_state(k).map_err(|e| e.to_string())?;
        crate::engine::restore_world(self.engine.world_mut(), &st).map_err(|e| e.to_string())?;
        self.log_sent = usize::MAX;
        self.card_at = None;
        Ok(format!(
            "{} in {:.2} s (the recorded view; running restores the exact state first)",
            format_clock(st.t),
            started.elapsed().as_secs_f64()
        ))
    }

    /// Restore the keyframe at or before `t` and re-simulate to `t`.
    fn seek_exact(&mut self, t: f64) -> Result<String, String> {
        let Some((_, replay)) = &self.review else {
            return Err("no replay to restore from".into());
        };
        let started = Instant::now();
        let k = replay
            .state_before(t)
            .ok_or_else(|| format!("no keyframe at or before {}", format_clock(t)))?;
        let st = replay.load_state(k).map_err(|e| e.to_string())?;
        crate::engine::restore_world(self.engine.world_mut(), &st).map_err(|e| e.to_string())?;
        self.log_sent = usize::MAX;
        self.card_at = None;
        let from = st.t;
        let r = self.engine.run_until(t).map_err(|e| e.to_string());
        if let Err(e) = r {
            self.failure = Some(e.clone());
            self.pace.set_paused(true);
            return Err(format!("exact seek failed: {e}"));
        }
        Ok(format!(
            "exact state at {} in {:.2} s (keyframe at {}, {} re-simulated)",
            format_clock(self.engine.clock().t),
            started.elapsed().as_secs_f64(),
            format_clock(from),
            format_clock(self.engine.clock().t - from)
        ))
    }

    /// Continue live from the current moment into a new replay naming its parent.
    fn branch(&mut self) -> Result<String, String> {
        let Some((path, replay)) = &self.review else {
            return Err("branching needs a replay under review (gui --replay FILE)".into());
        };
        if self.recorder.is_some() {
            return Err("this session is already a branch; end it to branch again".into());
        }
        let (path, header_hash) = (path.clone(), replay.header_hash());
        if self.is_view() {
            let t = self.engine.clock().t;
            self.seek_exact(t)?;
        }
        let clock = self.engine.clock();
        let dir = match &self.out {
            Some(d) => d.clone(),
            None => {
                let base = path.parent().unwrap_or(Path::new("."));
                let stamp = format_clock(clock.t).replace(':', "");
                base.join(format!("branch-{stamp}"))
            }
        };
        let parent = Parent {
            file: std::fs::canonicalize(&path)
                .unwrap_or(path.clone())
                .display()
                .to_string(),
            header_hash,
            at: clock.t,
            tick: clock.tick,
            digest: self.engine.digest(),
            orders: None,
        };
        // The parent's later orders give way to the trainees'; the scenario's injects stay.
        self.engine
            .world_mut()
            .resource_mut::<Inbox>()
            .pending
            .retain(|c| c.source.starts_with("injects["));
        self.start_recording(&dir, Some(parent))
            .map_err(|e| e.to_string())?;
        self.review = None;
        Ok(format!(
            "branched at {}: live from here, recording {}",
            format_clock(clock.t),
            dir.join(REPLAY_FILE).display()
        ))
    }

    /// Least wall time between two views: `publish_every`, or longer where taking a
    /// view is slow (a large district, many households), so that views cost at most
    /// about a ninth of the worker's time and the drill keeps its speed.
    fn publish_interval(&self) -> Duration {
        self.publish_every
            .max(Duration::from_secs_f64(self.publish_s * VIEW_COST_RATIO))
    }

    fn publish(&mut self) {
        let started = Instant::now();
        self.publish_view();
        self.publish_s = started.elapsed().as_secs_f64();
    }

    fn publish_view(&mut self) {
        self.changed = false;
        let card_due = self
            .card_at
            .is_none_or(|at| at.elapsed().as_secs_f64() >= CARD_EVERY_S)
            || self.pace.paused;
        if card_due
            && self
                .engine
                .world()
                .contains_resource::<crate::engine::scoring::RubricRes>()
        {
            self.card = Some(Arc::new(crate::engine::scoring::scorecard(
                self.engine.world(),
            )));
            self.card_at = Some(Instant::now());
        }
        let mut view = SimView::take(self.engine.world(), &self.blocked, self.card.clone());
        view.run = self.run_state();
        let _ = self.up.send(Update::View(Arc::new(view)));
        if let Some(log) = self.engine.world().get_resource::<Log>() {
            let entries = &log.0.entries;
            let reset = self.log_sent > entries.len();
            let from = if reset { 0 } else { self.log_sent };
            if reset || from < entries.len() {
                let _ = self.up.send(Update::Log {
                    reset,
                    entries: entries[from..].to_vec(),
                });
            }
            self.log_sent = entries.len();
        }
    }

    fn close(mut self) -> Result<Closed, LiveError> {
        let mut closed = Closed {
            files: Vec::new(),
            t: self.engine.clock().t,
        };
        let Some(dir) = self.out.clone().filter(|_| self.recorder.is_some()) else {
            return Ok(closed);
        };
        let status = if self.failure.is_some() {
            "failed"
        } else if self.engine.finished() {
            "completed"
        } else {
            "interrupted"
        };
        if let (Some(r), Some(path)) = (self.recorder.take(), self.recording.clone()) {
            r.finish(&self.engine, status)
                .map_err(|e| LiveError::Output {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            closed.files.push(path);
        }
        let write = |name: &str, text: &str| -> Result<PathBuf, LiveError> {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|source| LiveError::Output {
                path: path.clone(),
                source,
            })?;
            Ok(path)
        };
        if let Some(log) = self.engine.world().get_resource::<Log>() {
            closed.files.push(write("events.jsonl", &log.0.to_jsonl())?);
        }
        if self
            .engine
            .world()
            .contains_resource::<crate::engine::scoring::RubricRes>()
        {
            let card = crate::engine::scoring::scorecard(self.engine.world());
            let text = serde_json::to_string_pretty(&card).unwrap_or_default();
            closed.files.push(write("scorecard.json", &text)?);
        }
        Ok(closed)
    }
}

fn open_review(path: &Path) -> Result<Replay, LiveError> {
    let r = crate::replay::read_indexed(path)
        .and_then(|r| match r {
            Some(r) => Ok(r),
            None => crate::replay::read(path),
        })
        .map_err(|e| LiveError::Replay(e.to_string()))?;
    if r.states.is_empty() {
        return Err(LiveError::Replay(format!(
            "{}: the replay holds no full states (format version 1); run the drill again to record one that can be reviewed",
            path.display()
        )));
    }
    Ok(r)
}

/// A command in a few words, for the reply.
fn describe_command(c: &Command) -> String {
    use crate::exercise::commands::CommandKind;
    let what = match &c.kind {
        CommandKind::Order(o) => ron::to_string(o).unwrap_or_default(),
        CommandKind::Inject(e) => ron::to_string(e).unwrap_or_default(),
        CommandKind::Skip(id) => format!("skip {id}"),
    };
    format!("{} at {}", what, format_clock(c.t))
}
