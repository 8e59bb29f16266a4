//! Where a tick's wall time goes: per phase of the tick ([`SimSet`]) and, inside the
//! water, per kernel ([`crate::hydro::KernelTimes`]). A measurement, not part of the
//! state: it is never saved, digested or replayed, and reading it changes nothing.
//!
//! How it works: a marker system sits before the first set, between every two sets and
//! after the last; each adds the wall time since the one before it to the phase that
//! ran between them. The single-threaded tick runs them in order.

use std::time::Instant;

use bevy::prelude::*;

use crate::exercise::{SimClock, SimSet, SimTick};

/// The tick's phases, in order (as [`SimSet`]).
pub const PHASES: [&str; 8] = [
    "inputs", "weather", "hydro", "sense", "agents", "forces", "score", "record",
];

const SETS: [SimSet; 8] = SimSet::ALL;

/// Wall time spent in each phase since the engine was built, s.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct PhaseTimes {
    /// Seconds per phase, in [`PHASES`] order.
    pub wall_s: [f64; 8],
    /// Ticks measured.
    pub ticks: u64,
    /// The slowest tick after the first (which also warms the caches and allocates):
    /// its wall time, s — what a live console at its fastest must fit into the real
    /// time a tick may take.
    pub slowest_s: f64,
    /// When that tick started, sim time, s.
    pub slowest_at: f64,
    /// The tick's length in sim time, s.
    pub tick_s: f64,
    mark: Option<Instant>,
    start: Option<Instant>,
}

impl PhaseTimes {
    /// The sum over the phases, s.
    pub fn total(&self) -> f64 {
        self.wall_s.iter().sum()
    }
}

fn marker(k: usize) -> impl FnMut(ResMut<PhaseTimes>, Option<Res<SimClock>>) {
    move |mut p: ResMut<PhaseTimes>, clock: Option<Res<SimClock>>| {
        let now = Instant::now();
        if k == 0 {
            p.start = Some(now);
        }
        if k > 0
            && let Some(m) = p.mark
        {
            p.wall_s[k - 1] += (now - m).as_secs_f64();
        }
        if k == SETS.len() {
            p.ticks += 1;
            p.mark = None;
            if let Some(c) = &clock {
                p.tick_s = c.dt;
            }
            if let Some(s) = p.start.take() {
                let took = (now - s).as_secs_f64();
                if p.ticks > 1 && took > p.slowest_s {
                    p.slowest_s = took;
                    p.slowest_at = clock.as_ref().map_or(0.0, |c| c.t);
                }
            }
        } else {
            p.mark = Some(now);
        }
    }
}

/// Add the phase markers to the tick.
pub fn add_markers(app: &mut App) {
    app.init_resource::<PhaseTimes>();
    app.add_systems(SimTick, marker(0).before(SETS[0]));
    for k in 1..SETS.len() {
        app.add_systems(SimTick, marker(k).after(SETS[k - 1]).before(SETS[k]));
    }
    app.add_systems(SimTick, marker(SETS.len()).after(SETS[SETS.len() - 1]));
}

/// The profile of a run as JSON (`summary.json`'s `figures.profile`): seconds per
/// phase and per water kernel, the replay's recording (outside the tick), and the
/// loop's wall time.
pub fn profile_json(
    p: &PhaseTimes,
    kernels: Option<crate::hydro::KernelTimes>,
    replay_s: f64,
    wall_s: f64,
) -> serde_json::Value {
    let phases: serde_json::Map<String, serde_json::Value> = PHASES
        .iter()
        .zip(p.wall_s)
        .map(|(n, s)| ((*n).to_string(), serde_json::json!(s)))
        .collect();
    serde_json::json!({
        "ticks": p.ticks,
        "slowest_tick_s": p.slowest_s,
        "slowest_tick_at_s": p.slowest_at,
        "tick_s": p.tick_s,
        "wall_s": wall_s,
        "phases_s": phases,
        "replay_s": replay_s,
        "hydro_kernels_s": kernels.map(|k| serde_json::to_value(k).unwrap_or_default()),
    })
}
