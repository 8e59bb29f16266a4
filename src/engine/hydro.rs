//! The water in the tick: the Bevy adapter over the [`crate::hydro`] kernels.
//!
//! [`build_model`] turns a checked scenario into a [`HydroModel`] (Manning n, blocked
//! cells and losses per land class; rain sources and zone scaling; boundaries; initial
//! levels; probes). The systems are thin: `step_water` advances the model to the end
//! of the tick in `SimSet::Hydro`, `record_water` samples the series in
//! `SimSet::Record`. A numerical failure that survives the model's own retries is
//! reported through [`SimHealth`] and stops the run after the tick.

use std::path::Path;

use bevy::prelude::*;

use super::{OutputDir, ScenarioRes, SimHealth, register_digest};
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::hydro::{
    Boundary, ChicagoStorm, Edge, EdgeSegment, GriddedFrames, Horton, HydroConfig, HydroModel,
    IdfParams, Infiltration, Interp, LossClass, MovingCell, RainField, RainSource, Scs, Series,
    ZoneScaling,
};
use crate::scenario::Scenario;
use crate::scenario::schema as s;
use crate::world::{Grid, rasterize_zones};

/// The hydraulic model of the run.
#[derive(Resource)]
pub struct Water(pub HydroModel);

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
    /// Restored at, s (∞: not in this drill).
    pub until: f64,
}

/// Pump stations out of service.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct StationFailures(pub Vec<StationFailure>);

/// The water-balance series, one row per `outputs.series_interval`.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct BalanceSeries(pub Vec<crate::hydro::WaterBalance>);

fn save_water(w: &World) -> Result<Vec<u8>, String> {
    let m = &w.get_resource::<Water>().ok_or("no water model")?.0;
    rmp_serde::to_vec_named(&m.save_state()).map_err(|e| e.to_string())
}

fn load_water(w: &mut World, b: &[u8]) -> Result<(), String> {
    let st: crate::hydro::ModelState = rmp_serde::from_slice(b).map_err(|e| e.to_string())?;
    let mut water = w.get_resource_mut::<Water>().ok_or("no water model")?;
    water.0.restore_state(&st).map_err(|e| e.to_string())
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
                app.world_mut().resource_mut::<SimHealth>().failure = Some(e);
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
                (record_water, write_depth_at)
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
    use crate::exercise::log::Origin;
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
                    "levee_breach",
                    serde_json::json!({ "inject": d.id, "x": x, "y": y, "width_m": width_m, "bottom_m": bottom_m, "cells": b.cells.len() }),
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
                let cells = station_cells(s, place);
                water.0.set_drainage_off(&cells, true);
                let until = duration.map_or(f64::INFINITY, |x| clock.t + x.secs());
                status.0.insert(unit.clone(), 0.0);
                log.0.push(
                    clock.t,
                    Origin::Sim,
                    "pump_station_failed",
                    serde_json::json!({ "station": unit, "inject": d.id, "cells": cells.len(), "until_s": until.is_finite().then_some(until) }),
                );
                stations.0.retain(|f| &f.station != unit);
                stations.0.push(StationFailure {
                    station: unit.clone(),
                    cells,
                    until,
                });
            }
            _ => {}
        }
    }
    let t = clock.t;
    for (_, b) in &mut breaches.0 {
        b.apply(t, &mut water.0);
    }
    let mut k = 0;
    while k < stations.0.len() {
        if t >= stations.0[k].until - 1e-9 {
            let f = stations.0.remove(k);
            water.0.set_drainage_off(&f.cells, false);
            status.0.insert(f.station.clone(), 2.0);
            log.0.push(
                t,
                Origin::Sim,
                "pump_station_restored",
                serde_json::json!({ "station": f.station }),
            );
        } else {
            k += 1;
        }
    }
}

/// The cells whose drainage a pump station serves: its zone, or within 500 m.
pub fn station_cells(s: &Scenario, place: &crate::world::Place) -> Vec<usize> {
    let spec = s.dem.spec;
    if let Some(z) = &place.zone
        && let Some(k) = s.zones.iter().position(|zz| &zz.id == z)
    {
        let ids = rasterize_zones(&spec, &s.zones);
        return ids
            .data
            .iter()
            .enumerate()
            .filter(|(_, v)| **v == k as i64 + 1)
            .map(|(i, _)| i)
            .collect();
    }
    (0..spec.len())
        .filter(|&i| {
            let (x, y) = spec.cell_centre(i / spec.ncols, i % spec.ncols);
            (x - place.at.0).hypot(y - place.at.1) <= 500.0
        })
        .collect()
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

fn write_depth_at(
    water: Res<Water>,
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    dir: Option<Res<OutputDir>>,
    mut health: ResMut<SimHealth>,
) {
    let Some(dir) = dir else { return };
    for t in &scenario.0.file.outputs.depth_at {
        let t = t.secs();
        // A time falls in the tick (t, t_end]; time 0 is written after the first tick's
        // start, i.e. in the first tick.
        let due =
            (t > clock.t + 1e-9 || (t == 0.0 && clock.tick == 0)) && t <= clock.t_end() + 1e-9;
        if due && let Err(e) = crate::report::water::write_depth(&dir.0, &water.0, t) {
            health.failure = Some(e.to_string());
        }
    }
}

/// Read a series file: CSV (`time,value` with a header) when its first data line has
/// a comma, else the `value time` layout.
pub fn read_series_file(path: &Path) -> Result<Series, String> {
    Series::read_file(path).map_err(|e| e.to_string())
}

/// A scenario series in kernel form.
pub fn series(scenario: &Scenario, s: &s::Series) -> Result<Series, String> {
    match s {
        s::Series::Points(pts) => {
            let pts: Vec<(f64, f64)> = pts.iter().map(|(t, v)| (t.secs(), *v)).collect();
            Series::new(&pts, Interp::Linear).map_err(|e| e.to_string())
        }
        s::Series::File(rel) => read_series_file(&scenario.resolve(rel)),
    }
}

/// The Chicago design storm of a scenario's `Chicago` rain source (None for other
/// sources): the one mapping of its fields, used by validation and by the model.
pub fn chicago_storm(src: &s::RainSource) -> Option<ChicagoStorm> {
    let s::RainSource::Chicago {
        a1,
        c,
        b,
        n,
        return_period_years,
        duration,
        peak_ratio,
        start,
        step,
    } = src
    else {
        return None;
    };
    Some(ChicagoStorm {
        idf: IdfParams {
            a1: *a1,
            c: *c,
            b: *b,
            n: *n,
        },
        return_period_years: *return_period_years,
        duration_min: duration.secs() / 60.0,
        peak_ratio: *peak_ratio,
        time_step_min: step.secs() / 60.0,
        start_s: start.secs(),
    })
}

/// A scenario rain source in kernel form.
pub fn rain_source(scenario: &Scenario, src: &s::RainSource) -> Result<RainSource, String> {
    Ok(match src {
        s::RainSource::Uniform { series: ser } => RainSource::Uniform(series(scenario, ser)?),
        s::RainSource::Chicago { .. } => match chicago_storm(src) {
            Some(storm) => RainSource::Uniform(storm.series()?),
            None => return Err("a Chicago source without its storm".into()),
        },
        s::RainSource::MovingCell {
            peak_mm_h,
            radius_m,
            track,
        } => RainSource::Moving(MovingCell {
            peak_mm_h: *peak_mm_h,
            radius_m: *radius_m,
            track: track.iter().map(|(t, x, y)| (t.secs(), *x, *y)).collect(),
        }),
        s::RainSource::Frames { frames } => {
            let list: Vec<(f64, std::path::PathBuf)> = frames
                .iter()
                .map(|(t, rel)| (t.secs(), scenario.resolve(rel)))
                .collect();
            let refs: Vec<(f64, &Path)> = list.iter().map(|(t, p)| (*t, p.as_path())).collect();
            RainSource::Gridded(GriddedFrames::read_asc_frames(&refs)?)
        }
    })
}

fn segment(seg: &s::EdgeSegment) -> EdgeSegment {
    EdgeSegment {
        edge: match seg.edge {
            s::Edge::North => Edge::North,
            s::Edge::South => Edge::South,
            s::Edge::East => Edge::East,
            s::Edge::West => Edge::West,
        },
        from: seg.from,
        to: seg.to,
    }
}

/// Build the hydraulic model of a scenario.
pub fn build_model(scenario: &Scenario) -> Result<HydroModel, String> {
    let f = &scenario.file;
    let spec = scenario.dem.spec;
    let classes = &f.district.land_classes;
    let class_index = |code: i32| classes.iter().position(|c| c.code == code);
    let mut manning = Grid::filled(spec, 0.0);
    let mut blocked = Grid::filled(spec, false);
    let mut class_of = Grid::filled(spec, 0u16);
    let mut depth0 = Grid::filled(spec, f.hydro.initial_depth_m);
    for (i, &code) in scenario.landuse.data.iter().enumerate() {
        let k = class_index(code).ok_or_else(|| format!("land-use code {code} has no class"))?;
        let c = &classes[k];
        // One n for all cells, else the raster, else the class's n.
        manning.data[i] = match (f.hydro.manning, &scenario.manning) {
            (Some(n), _) => n,
            (None, Some(m)) => m.data[i],
            (None, None) => c.manning,
        };
        blocked.data[i] = c.blocked || scenario.outside.data[i];
        class_of.data[i] = k as u16;
        for lvl in &f.hydro.initial_levels {
            if lvl.landuse == code {
                depth0.data[i] = depth0.data[i].max(lvl.level_m - scenario.dem.data[i]);
            }
        }
        if blocked.data[i] {
            depth0.data[i] = 0.0;
        }
    }
    let losses: Vec<LossClass> = classes
        .iter()
        .map(|c| LossClass {
            name: c.name.clone(),
            infiltration: match c.infiltration {
                s::Infiltration::None => Infiltration::None,
                s::Infiltration::Horton {
                    f0_mm_h,
                    fc_mm_h,
                    k_per_h,
                } => Infiltration::Horton(Horton {
                    f0_mm_h,
                    fc_mm_h,
                    k_per_h,
                }),
                s::Infiltration::CurveNumber { cn } => Infiltration::Scs(Scs {
                    curve_number: cn,
                    ia_ratio: 0.2,
                }),
            },
            impervious_fraction: c.impervious,
            drainage_mm_h: c.drainage_mm_h,
        })
        .collect();
    let mut rain = RainField::none();
    for src in &f.rain.sources {
        rain = rain.with(rain_source(scenario, src)?);
    }
    if !f.rain.zone_scale.is_empty() {
        let ids = rasterize_zones(&spec, &scenario.zones);
        let mut factors = std::collections::BTreeMap::new();
        for zs in &f.rain.zone_scale {
            let k = scenario
                .zones
                .iter()
                .position(|z| z.id == zs.zone)
                .ok_or_else(|| format!("rain.zone_scale: no zone \"{}\"", zs.zone))?;
            factors.insert(k as i64 + 1, zs.factor);
        }
        rain.zones = Some(ZoneScaling {
            zones: ids,
            factors,
        });
    }
    let mut cfg = HydroConfig::default();
    cfg.surface.alpha = f.hydro.cfl;
    cfg.surface.theta = f.hydro.theta;
    cfg.surface.advection = f.hydro.advection;
    cfg.surface.max_dt = f.hydro.max_dt.secs();
    cfg.surface.depth_threshold = f.hydro.depth_threshold_m;
    cfg.source_interval_s = f.meta.tick.secs().min(cfg.source_interval_s).max(1.0);
    let mut b = HydroModel::builder(&scenario.dem)
        .manning(&manning)
        .blocked(&blocked)
        .losses(losses, &class_of)
        .initial_depth(&depth0)
        .rain(rain)
        .config(cfg);
    for bc in &f.boundaries {
        b = b.boundary(match bc {
            s::Boundary::FreeOutflow { at, slope } => Boundary::FreeOutflow {
                segment: segment(at),
                slope: *slope,
                manning: None,
            },
            s::Boundary::Stage { at, series: ser } => Boundary::Stage {
                segment: segment(at),
                level_m: series(scenario, ser)?,
            },
            s::Boundary::EdgeInflow { at, series: ser } => Boundary::UnitInflow {
                segment: segment(at),
                q_m2_s: series(scenario, ser)?,
            },
            s::Boundary::PointInflow { x, y, series: ser } => Boundary::PointInflow {
                x: *x,
                y: *y,
                q_m3_s: series(scenario, ser)?,
            },
        });
    }
    for p in &f.outputs.probes {
        let (x, y) = scenario
            .location(&p.at)
            .ok_or_else(|| format!("probe \"{}\": unknown place", p.id))?;
        b = b.probe(&p.id, x, y);
    }
    b.build().map_err(|e| e.to_string())
}
