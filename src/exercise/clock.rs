//! The simulation clock and the tick schedule.
//!
//! Simulation time is owned by the engine, never by the wall clock: [`SimClock`]
//! holds the start of the current tick `t` and the fixed tick length `dt` (seconds).
//! One run of the [`SimTick`] schedule advances the world from `t` to `t + dt`;
//! the runner then moves the clock on. Headless runs call it as fast as they can, the
//! GUI calls it k times per frame, a replay calls it to re-simulate — the same
//! computation each time.

use bevy::ecs::schedule::{ScheduleLabel, SystemSet};
use bevy::prelude::Resource;

/// The schedule run once per simulation tick.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimTick;

/// The ordered phases of a tick. They are chained once, in this order, when the
/// schedule is built ([`crate::engine`]); every sim system belongs to exactly one.
///
/// 1. `Inputs` — apply injects and orders due by `t`; evaluate plan rules
/// 2. `Weather` — rain intensity field for this tick
/// 3. `Hydro` — surface flow in adaptive sub-steps up to `t + dt`; sinks; breaches
/// 4. `Sense` — virtual sensors sample the water; automatic warnings fire
/// 5. `Agents` — households decide, route, move; hazard check
/// 6. `Forces` — teams and robots act
/// 7. `Score` — rubric metrics accumulate
/// 8. `Record` — event log, time series, periodic snapshots
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSet {
    /// Injects, orders and plan rules due by `t`.
    Inputs,
    /// Rain for this tick.
    Weather,
    /// Water to `t + dt`.
    Hydro,
    /// Virtual sensors.
    Sense,
    /// Households.
    Agents,
    /// Teams and robots.
    Forces,
    /// Rubric metrics.
    Score,
    /// Logs, series, snapshots.
    Record,
}

impl SimSet {
    /// Every phase, in the order the tick runs them.
    pub const ALL: [SimSet; 8] = [
        SimSet::Inputs,
        SimSet::Weather,
        SimSet::Hydro,
        SimSet::Sense,
        SimSet::Agents,
        SimSet::Forces,
        SimSet::Score,
        SimSet::Record,
    ];
}

/// Simulation time.
#[derive(Resource, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimClock {
    /// Start of the current tick, seconds since scenario start.
    pub t: f64,
    /// Tick length, seconds.
    pub dt: f64,
    /// Number of completed ticks.
    pub tick: u64,
    /// Scenario end, seconds.
    pub end: f64,
}

impl SimClock {
    /// A clock at 0 with tick `dt` running to `end`.
    pub fn new(dt: f64, end: f64) -> Self {
        Self {
            t: 0.0,
            dt,
            tick: 0,
            end,
        }
    }

    /// End of the current tick.
    pub fn t_end(&self) -> f64 {
        // Computed from the tick count, not by accumulation, so long runs do not drift.
        (self.tick + 1) as f64 * self.dt
    }

    /// True once the scenario's duration has been simulated.
    pub fn finished(&self) -> bool {
        self.t >= self.end - 1e-9
    }

    /// Move to the next tick (called by the runner after [`SimTick`]).
    pub fn advance(&mut self) {
        self.tick += 1;
        self.t = self.tick as f64 * self.dt;
    }
}
