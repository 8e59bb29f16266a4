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
        let truth = match (&s.measure, &water) {
            (Measure::WaterDepth, Some(w)) => {
                w.0.spec()
                    .cell_at(s.at.0, s.at.1)
                    .map(|(r, c)| w.0.depth_grid_at(r, c))
            }
            (Measure::Rain, Some(w)) => {
                Some(w.0.rain_field().intensity_at(w.0.spec(), s.at.0, s.at.1, t))
            }
            (Measure::PumpStatus(unit), _) => status.0.get(unit).copied(),
            _ => None,
        };
        s.advance(t, truth);
    }
}
