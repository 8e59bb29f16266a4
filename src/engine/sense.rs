//! The virtual sensors in the tick (`SimSet::Sense`): each samples the true water,
//! rain or unit status at the end of the tick, with its noise and latency.

use bevy::prelude::*;

use super::exercise::{Sensors, UnitStatus};
use super::hydro::Water;
use crate::exercise::SimClock;
use crate::exercise::sensors::Measure;

/// Sample the sensors at the end of the tick from the true water and rain.
pub fn sample_sensors(
    clock: Res<SimClock>,
    water: Option<Res<Water>>,
    status: Res<UnitStatus>,
    mut sensors: ResMut<Sensors>,
) {
    let t = clock.t_end();
    for s in &mut sensors.0 {
        let truth = sensor_truth(&s.measure, s.at, water.as_deref(), &status, t);
        s.advance(t, truth);
    }
}

/// What a sensor measuring `measure` at `at` would read at `t` without noise or
/// latency: the water depth of its cell (m), the rain there (mm/h) or its unit's status
/// (1 running, 0 failed). `None` where it reads nothing (no water model, off the grid).
pub fn sensor_truth(
    measure: &Measure,
    at: (f64, f64),
    water: Option<&Water>,
    status: &UnitStatus,
    t: f64,
) -> Option<f64> {
    match (measure, water) {
        (Measure::WaterDepth, Some(w)) => {
            w.0.spec()
                .cell_at(at.0, at.1)
                .map(|(r, c)| w.0.depth_grid_at(r, c))
        }
        (Measure::Rain, Some(w)) => Some(w.0.rain_field().intensity_at(w.0.spec(), at.0, at.1, t)),
        (Measure::PumpStatus(unit), _) => status.0.get(unit).copied(),
        _ => None,
    }
}
