//! The sim driver: runs `SimTick` from the frame loop at the chosen speed.
//!
//! How it works: each frame, [`drive_simulation`] (an exclusive system in `Update`)
//! adds `real Δt × speed / tick` to the ticks owed and calls
//! [`run_tick`](crate::engine::run_tick) for the whole ticks, stopping early once the
//! frame's budget ([`FRAME_BUDGET`]) is spent so the window stays responsive. Ticks that
//! did not fit are dropped, not carried: on a slow machine the drill runs slower than
//! asked (the top bar shows the speed achieved) instead of piling up a backlog. Paused,
//! it runs only the single steps asked for. It never touches sim state except through
//! `run_tick`, so a console session computes exactly what a headless run computes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::engine::run_tick;
use crate::exercise::SimClock;

/// Speeds offered in the top bar, sim seconds per real second.
pub const SPEEDS: [f64; 5] = [1.0, 10.0, 60.0, 300.0, 600.0];

/// Wall time the ticks of one frame may take before the rest are dropped.
pub const FRAME_BUDGET: Duration = Duration::from_millis(30);

/// Longest real frame time counted (a stall — start-up, a dragged window — does not
/// turn into a burst of ticks).
const MAX_FRAME_DT: f64 = 0.25;

/// Real seconds over which the achieved speed is measured.
const SPEED_WINDOW: f64 = 1.5;

/// How the console drives the simulation. Console state, not sim state: it decides how
/// often `SimTick` runs, never what it computes.
#[derive(Resource, Debug, Clone)]
pub struct SimDriver {
    /// Sim seconds per real second.
    pub speed: f64,
    /// No ticks run except single steps.
    pub paused: bool,
    /// Single steps asked for and not yet run.
    pub steps_requested: u32,
    /// Why the simulation stopped, if a tick failed (the driver then stays paused).
    pub failure: Option<String>,
    /// Sim seconds per real second actually achieved over the last second or so.
    pub achieved_speed: f64,
    /// Ticks run in the last frame.
    pub last_frame_ticks: u32,
    /// Wall time of those ticks, milliseconds.
    pub last_frame_ms: f64,
    /// True when the last frame hit the budget and dropped ticks.
    pub behind: bool,
    owed_ticks: f64,
    /// Recent (real seconds since start, sim t) samples for `achieved_speed`.
    samples: VecDeque<(f64, f64)>,
}

impl SimDriver {
    /// A running driver at `speed`.
    pub fn new(speed: f64) -> Self {
        Self {
            speed,
            paused: false,
            steps_requested: 0,
            failure: None,
            achieved_speed: 0.0,
            last_frame_ticks: 0,
            last_frame_ms: 0.0,
            behind: false,
            owed_ticks: 0.0,
            samples: VecDeque::new(),
        }
    }

    /// Ask for one tick (only while paused; running, the speed decides).
    pub fn step(&mut self) {
        if self.paused && self.failure.is_none() {
            self.steps_requested += 1;
        }
    }

    /// Pause or resume.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        self.owed_ticks = 0.0;
    }

    /// Record sim time `t` at real time `wall` (seconds) and update the achieved speed
    /// over the samples of the last [`SPEED_WINDOW`] seconds.
    fn sample(&mut self, wall: f64, t: f64) {
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
            self.achieved_speed = (t - t0) / (wall - w0);
        }
    }

    /// Whole ticks due this frame for a real frame time `real_dt` and tick length `dt`
    /// (seconds); keeps the fraction for the next frame.
    fn ticks_due(&mut self, real_dt: f64, dt: f64) -> u64 {
        let mut due = u64::from(std::mem::take(&mut self.steps_requested));
        if !self.paused && dt > 0.0 {
            self.owed_ticks += real_dt.clamp(0.0, MAX_FRAME_DT) * self.speed / dt;
            let whole = self.owed_ticks.floor();
            self.owed_ticks -= whole;
            due += whole as u64;
        }
        due
    }
}

/// Adds the driver.
pub struct SimDriverPlugin {
    /// Initial speed, sim seconds per real second.
    pub speed: f64,
}

impl Plugin for SimDriverPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(SimDriver::new(self.speed))
            .add_systems(Update, drive_simulation);
    }
}

/// Run the ticks due this frame, within [`FRAME_BUDGET`].
pub fn drive_simulation(world: &mut World) {
    let (real_dt, wall) = {
        let time = world.resource::<Time<Real>>();
        (time.delta_secs_f64(), time.elapsed_secs_f64())
    };
    let clock = *world.resource::<SimClock>();
    let due = {
        let mut d = world.resource_mut::<SimDriver>();
        if d.failure.is_some() || clock.finished() {
            d.steps_requested = 0;
            d.last_frame_ticks = 0;
            d.sample(wall, clock.t);
            return;
        }
        d.ticks_due(real_dt, clock.dt)
    };
    let start = Instant::now();
    let mut done = 0u32;
    let mut failure = None;
    while u64::from(done) < due && !world.resource::<SimClock>().finished() {
        if let Err(e) = run_tick(world) {
            failure = Some(e.to_string());
            break;
        }
        done += 1;
        if start.elapsed() >= FRAME_BUDGET {
            break;
        }
    }
    let t_after = world.resource::<SimClock>().t;
    let mut d = world.resource_mut::<SimDriver>();
    d.last_frame_ticks = done;
    d.last_frame_ms = start.elapsed().as_secs_f64() * 1e3;
    d.behind = u64::from(done) < due && failure.is_none() && !clock.finished();
    if d.behind {
        d.owed_ticks = 0.0;
    }
    d.sample(wall, t_after);
    if let Some(f) = failure {
        d.failure = Some(f);
        d.paused = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_due_follow_speed_and_keep_the_fraction() {
        let mut d = SimDriver::new(60.0);
        // 60 sim s per real s with 10 s ticks: 6 ticks per second, 1.5 per 0.25 s frame.
        let per_frame: Vec<u64> = (0..4).map(|_| d.ticks_due(0.25, 10.0)).collect();
        assert_eq!(per_frame, [1, 2, 1, 2]);
    }

    #[test]
    fn paused_runs_only_single_steps() {
        let mut d = SimDriver::new(600.0);
        d.toggle_pause();
        assert_eq!(d.ticks_due(0.1, 5.0), 0);
        d.step();
        d.step();
        assert_eq!(d.ticks_due(0.1, 5.0), 2);
        assert_eq!(d.ticks_due(0.1, 5.0), 0);
    }

    #[test]
    fn achieved_speed_is_measured_over_a_window() {
        let mut d = SimDriver::new(60.0);
        for i in 0..=100 {
            // 50 frames per second, one 10 s tick every 10 frames: 50 sim s per real s.
            let wall = f64::from(i) * 0.02;
            d.sample(wall, f64::from(i / 10) * 10.0);
        }
        assert!(
            (d.achieved_speed - 50.0).abs() < 10.0,
            "{}",
            d.achieved_speed
        );
    }

    #[test]
    fn a_stall_does_not_become_a_burst() {
        let mut d = SimDriver::new(600.0);
        assert_eq!(d.ticks_due(10.0, 5.0), (MAX_FRAME_DT * 600.0 / 5.0) as u64);
    }
}
