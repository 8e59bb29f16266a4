//! The water in the tick: the Bevy adapter over the [`crate::hydro`] kernels.
//!
//! [`crate::setup::hydro::build_model`] turns a checked scenario into a [`HydroModel`]
//! (Manning n, blocked cells and losses per land class; rain sources and zone scaling;
//! boundaries; initial levels; probes). The systems are thin: `step_water` advances the model to the end
//! of the tick in `SimSet::Hydro`, `record_water` samples the series in
//! `SimSet::Record`. A numerical failure that survives the model's own retries is
//! reported through [`SimHealth`] and stops the run after the tick.

use bevy::prelude::*;

use super::{DepthFrames, ScenarioRes, SimHealth, StateError, register_digest};
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::hydro::AnyModel;
use crate::scenario::schema as s;
use crate::setup::hydro::{build_model, rain_source, station_cells, station_pumps};

/// The hydraulic model of the run.
#[derive(Resource)]
pub struct Water(pub AnyModel);

/// Totals over the run's `step_until` calls.
#[derive(Resource, Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct WaterStats {
    /// Sub-steps.
    pub substeps: u64,
    /// Cell updates.
    pub cell_updates: u64,
    /// Smallest sub-step, s.
    pub min_dt: f64,
    /// Largest sub-step, s.
    pub max_dt: f64,
    /// Retried sub-steps.
    pub retries: u64,
}

/// Levee breaches under way (from injects), applied at the start of each tick.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Breaches(pub Vec<(String, crate::hydro::Breach)>);

/// A pump station out of service: its zone's drainage is off until `until`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StationFailure {
    /// Pump station place id.
    pub station: String,
    /// Cells whose drainage it serves (row-major indices).
    pub cells: Vec<usize>,
    /// Network pumps it runs (link indices).
    #[serde(default)]
    pub pumps: Vec<usize>,
    /// Restored at, s (∞: not in this drill).
    pub until: f64,
}

/// Pump stations out of service.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct StationFailures(pub Vec<StationFailure>);

/// The water-balance series, one row per `outputs.series_interval`.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct BalanceSeries(pub Vec<crate::hydro::WaterBalance>);

fn save_water(w: &World) -> Result<Vec<u8>, StateError> {
    let m = &w
        .get_resource::<Water>()
        .ok_or(StateError::Missing("water model"))?
        .0;
    rmp_serde::to_vec_named(&m.save_state()).map_err(StateError::encode)
}

fn load_water(w: &mut World, b: &[u8]) -> Result<(), StateError> {
    let st: crate::hydro::ModelState = rmp_serde::from_slice(b).map_err(StateError::decode)?;
    let mut water = w
        .get_resource_mut::<Water>()
        .ok_or(StateError::Missing("water model"))?;
    water
        .0
        .restore_state(&st)
        .map_err(|e| StateError::Mismatch(e.to_string()))
}

/// Adds the water systems to `SimTick`.
pub struct HydroPlugin;

impl Plugin for HydroPlugin {
    fn build(&self, app: &mut App) {
        let scenario = app.world().resource::<ScenarioRes>().0.clone();
        // A scenario that validated builds a model; validation runs the same builder.
        let model = match build_model(&scenario) {
            Ok(m) => m,
            Err(e) => {
                app.world_mut()
                    .resource_mut::<super::SetupFailures>()
                    .0
                    .push(("water", e));
                return;
            }
        };
        let mut series = BalanceSeries::default();
        series.0.push(*model.balance());
        app.init_resource::<super::exercise::UnitStatus>();
        {
            let mut status = app
                .world_mut()
                .resource_mut::<super::exercise::UnitStatus>();
            for p in &scenario.places {
                if p.kind == crate::world::PlaceKind::PumpStation {
                    status.0.insert(p.id.clone(), 2.0);
                }
            }
        }
        super::register_state(app, "water", save_water, load_water);
        super::register_state_resource::<BalanceSeries>(app, "water_series");
        super::register_state_resource::<WaterStats>(app, "water_stats");
        super::register_state_resource::<Breaches>(app, "breaches");
        super::register_state_resource::<StationFailures>(app, "station_failures");
        app.insert_resource(Water(model))
            .insert_resource(series)
            .init_resource::<WaterStats>()
            .init_resource::<Breaches>()
            .init_resource::<StationFailures>()
            .add_systems(
                SimTick,
                apply_water_injects
                    .in_set(SimSet::Inputs)
                    .after(super::exercise::evaluate_plan),
            )
            .add_systems(SimTick, step_water.in_set(SimSet::Hydro))
            .add_systems(
                SimTick,
                (record_water, capture_depth_at)
                    .chain()
                    .in_set(SimSet::Record),
            );
        register_digest(app, "hydro", |w, h| {
            if let Some(water) = w.get_resource::<Water>() {
                // Writing into a hasher cannot fail.
                let _ = water.0.write_state_bytes(h);
            }
        });
    }
}

/// Carry out the injects that act on the water (levee breach, extra rain cell, pump
/// station failure) and move breaches and repairs on.
///
/// A pump station lifts the drainage of the zone it stands in: while it is out of
/// service, the drainage capacity of that zone's cells is off (a station outside every
/// zone serves the cells within 500 m).
#[allow(clippy::too_many_arguments)]
pub fn apply_water_injects(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    due: Res<super::exercise::DueInjects>,
    mut water: ResMut<Water>,
    mut breaches: ResMut<Breaches>,
    mut stations: ResMut<StationFailures>,
    mut status: ResMut<super::exercise::UnitStatus>,
    mut log: ResMut<super::exercise::Log>,
    mut health: ResMut<SimHealth>,
) {
    use crate::exercise::log::{Origin, SimEvent};
    let s = &scenario.0;
    let spec = *water.0.spec();
    for d in &due.0 {
        match &d.event {
            s::InjectEvent::LeveeBreach {
                x,
                y,
                width_m,
                bottom_m,
                over,
            } => {
                let b = crate::hydro::Breach::around_point(
                    &spec,
                    *x,
                    *y,
                    *width_m,
                    *bottom_m,
                    clock.t,
                    over.secs(),
                );
                log.0.push(
                    clock.t,
                    Origin::Sim,
                    SimEvent::LeveeBreach {
                        bottom_m: *bottom_m,
                        cells: b.cells.len(),
                        inject: d.id.clone(),
                        width_m: *width_m,
                        x: *x,
                        y: *y,
                    },
                );
                breaches.0.push((d.id.clone(), b));
            }
            s::InjectEvent::RainCell { source } => match rain_source(s, source) {
                Ok(src) => {
                    if let Err(e) = water.0.add_rain_source(src) {
                        health.failure = Some(format!("inject {}: {e}", d.id));
                    }
                }
                Err(e) => health.failure = Some(format!("inject {}: {e}", d.id)),
            },
            s::InjectEvent::PumpFailure { unit, duration } => {
                let Some(place) = s.place(unit) else { continue };
                let pumps = station_pumps(s, place);
                // With a pipe network the station is its pumps; the per-class drainage
                // of its zone stops only where the network does not replace it.
                let cells = match &s.file.drainage {
                    Some(d) if !d.class_drainage => Vec::new(),
                    _ => station_cells(s, place),
                };
                water.0.set_drainage_off(&cells, true);
                if let Some(dd) = water.0.drainage_mut() {
                    for &l in &pumps {
                        dd.router.set_failed(l, true);
                    }
                }
                let until = duration.map_or(f64::INFINITY, |x| clock.t + x.secs());
                status.0.insert(unit.clone(), 0.0);
                log.0.push(
                    clock.t,
                    Origin::Sim,
                    SimEvent::PumpStationFailed {
                        cells: cells.len(),
                        pumps: pumps.len(),
                        inject: d.id.clone(),
                        station: unit.clone(),
                        until_s: until.is_finite().then_some(until),
                    },
                );
                stations.0.retain(|f| &f.station != unit);
                stations.0.push(StationFailure {
                    station: unit.clone(),
                    cells,
                    pumps,
                    until,
                });
            }
            // The people's and the forces' injects.
            s::InjectEvent::RoadCollapse { .. }
            | s::InjectEvent::CommOutage { .. }
            | s::InjectEvent::FalseReport { .. } => {}
        }
    }
    let t = clock.t;
    for (_, b) in &mut breaches.0 {
        match &mut water.0 {
            AnyModel::F64(m) => b.apply(t, m),
            AnyModel::F32(m) => b.apply(t, m),
        };
    }
    let mut k = 0;
    while k < stations.0.len() {
        if t >= stations.0[k].until - 1e-9 {
            let f = stations.0.remove(k);
            water.0.set_drainage_off(&f.cells, false);
            if let Some(dd) = water.0.drainage_mut() {
                for &l in &f.pumps {
                    dd.router.set_failed(l, false);
                }
            }
            status.0.insert(f.station.clone(), 2.0);
            log.0.push(
                t,
                Origin::Sim,
                SimEvent::PumpStationRestored {
                    station: f.station.clone(),
                },
            );
        } else {
            k += 1;
        }
    }
}

fn step_water(
    mut water: ResMut<Water>,
    mut stats: ResMut<WaterStats>,
    clock: Res<SimClock>,
    mut health: ResMut<SimHealth>,
    watch: Option<ResMut<super::TickWatch>>,
) {
    let before = water.0.diagnostics().len();
    let mut watch = watch;
    if let Some(w) = &watch {
        water.0.set_watchdog(crate::hydro::Watchdog {
            max_substeps: w.max_substeps,
            max_wall: w.max_wall,
            interrupt: w.interrupt.clone(),
        });
    }
    match water.0.step_until(clock.t_end()) {
        Ok(st) => {
            if stats.substeps == 0 || st.min_dt < stats.min_dt {
                stats.min_dt = st.min_dt;
            }
            stats.max_dt = stats.max_dt.max(st.max_dt);
            stats.substeps += st.substeps;
            stats.cell_updates += st.cell_updates;
            stats.retries += u64::from(st.retries);
        }
        Err(crate::hydro::HydroError::Interrupted { t, .. }) if watch.is_some() => {
            if let Some(w) = &mut watch {
                w.interrupted_at = Some(t);
            }
        }
        Err(e) => health.failure = Some(e.to_string()),
    }
    for d in &water.0.diagnostics()[before..] {
        health.diagnostics.push(format!(
            "t = {:.2} s: sub-step of {} s retried, cell (row {}, col {}): {}",
            d.t,
            crate::hydro::num(d.dt),
            d.row,
            d.col,
            d.what
        ));
    }
}

fn record_water(
    mut water: ResMut<Water>,
    mut series: ResMut<BalanceSeries>,
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
) {
    let every = scenario.0.file.outputs.series_interval.secs();
    let t = clock.t_end();
    let k_now = (t / every + 1e-9).floor();
    let k_before = (clock.t / every + 1e-9).floor();
    if k_now > k_before || clock.t_end() >= clock.end - 1e-9 {
        water.0.storage();
        series.0.push(*water.0.balance());
    }
}

/// Take the depth grid at the scenario's `outputs.depth_at` times (when a runner asked
/// for the frames); the runner writes them.
fn capture_depth_at(
    water: Res<Water>,
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    frames: Option<ResMut<DepthFrames>>,
) {
    let Some(mut frames) = frames else { return };
    for t in &scenario.0.file.outputs.depth_at {
        let t = t.secs();
        // A time falls in the tick (t, t_end]; time 0 is written after the first tick's
        // start, i.e. in the first tick.
        let due =
            (t > clock.t + 1e-9 || (t == 0.0 && clock.tick == 0)) && t <= clock.t_end() + 1e-9;
        if due {
            frames.0.push((t, water.0.depth_grid()));
        }
    }
}
