//! The engine's water model in the precision a scenario chooses: f64 (the default) or
//! f32 storage of depth and discharge (`hydro.precision`; see the `surface` module docs
//! for what f32 changes). Every method forwards to [`Model`] in that precision; values
//! come and go as f64.

use std::borrow::Cow;
use std::io::Write;

use super::balance::WaterBalance;
use super::boundary::{Boundary, BoundaryFlow};
use super::drainage::DualDrainage;
use super::infiltration::Losses;
use super::model::{
    FlowSample, HealthEvent, HydroConfig, HydroError, KernelTimes, Model, ModelState, StepStats,
    Watchdog,
};
use super::outputs::{MaxOutputs, Probe};
use super::rain::{RainField, RainSource};
use super::real::Real;
use crate::world::{Grid, GridSpec};

/// A water model in f64 or in f32.
pub enum AnyModel {
    /// Depth and discharge stored in f64 (the default).
    F64(Model<f64>),
    /// Depth and discharge stored in f32 (half the memory traffic and twice the SIMD
    /// lanes; the balance and the sources are still summed in f64).
    F32(Model<f32>),
}

impl From<Model<f64>> for AnyModel {
    fn from(m: Model<f64>) -> Self {
        AnyModel::F64(m)
    }
}

impl From<Model<f32>> for AnyModel {
    fn from(m: Model<f32>) -> Self {
        AnyModel::F32(m)
    }
}

/// `$e` with `$m` bound to the model, whichever its precision.
macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            AnyModel::F64($m) => $e,
            AnyModel::F32($m) => $e,
        }
    };
}

fn widen<R: Real>(v: &[R]) -> Cow<'_, [f64]> {
    Cow::Owned(v.iter().map(|x| x.to_f64()).collect())
}

impl AnyModel {
    /// Bytes per stored value of depth and discharge (8 or 4).
    pub fn real_bytes(&self) -> usize {
        match self {
            AnyModel::F64(_) => 8,
            AnyModel::F32(_) => 4,
        }
    }
    /// The grid.
    pub fn spec(&self) -> &GridSpec {
        each!(self, m => m.spec())
    }
    /// Model time, s.
    pub fn time(&self) -> f64 {
        each!(self, m => m.time())
    }
    /// The configuration.
    pub fn config(&self) -> &HydroConfig {
        each!(self, m => m.config())
    }
    /// Water depth per cell, m (borrowed in f64, widened in f32).
    pub fn depth(&self) -> Cow<'_, [f64]> {
        match self {
            AnyModel::F64(m) => Cow::Borrowed(m.depth()),
            AnyModel::F32(m) => widen(m.depth()),
        }
    }
    /// Cells that are not blocked.
    pub fn open_cells(&self) -> usize {
        each!(self, m => m.open_cells())
    }
    /// Blocked cells (buildings, outside the district).
    pub fn blocked(&self) -> &[bool] {
        each!(self, m => m.blocked())
    }
    /// Water depth as a grid, m.
    pub fn depth_grid(&self) -> Grid<f64> {
        each!(self, m => m.depth_grid())
    }
    /// Water surface elevation of a cell, m.
    pub fn water_level(&self, row: usize, col: usize) -> f64 {
        each!(self, m => m.water_level(row, col))
    }
    /// Bed elevation of a cell, m.
    pub fn bed_elevation(&self, row: usize, col: usize) -> f64 {
        each!(self, m => m.bed_elevation(row, col))
    }
    /// Change a cell's bed elevation (breach, collapse), m.
    pub fn set_bed_elevation(&mut self, row: usize, col: usize, z: f64) {
        each!(self, m => m.set_bed_elevation(row, col, z))
    }
    /// Depth-averaged velocity of a cell (east, north), m/s.
    pub fn velocity(&self, row: usize, col: usize) -> (f64, f64) {
        each!(self, m => m.velocity(row, col))
    }
    /// Set a cell's depth, m.
    pub fn set_depth(&mut self, row: usize, col: usize, depth: f64) -> Result<(), HydroError> {
        each!(self, m => m.set_depth(row, col, depth))
    }
    /// Pump water out of cells; the volume taken, m³.
    pub fn remove_water(&mut self, cells: &[(usize, usize)], volume_m3: f64) -> f64 {
        each!(self, m => m.remove_water(cells, volume_m3))
    }
    /// Pump water out of the network under cells; the volume taken, m³.
    pub fn remove_network_water(&mut self, cells: &[(usize, usize)], volume_m3: f64) -> f64 {
        each!(self, m => m.remove_network_water(cells, volume_m3))
    }
    /// Put water on a cell, m³.
    pub fn discharge_water(&mut self, row: usize, col: usize, volume_m3: f64) {
        each!(self, m => m.discharge_water(row, col, volume_m3))
    }
    /// Put the urban drainage of cells out of service or back.
    pub fn set_drainage_off(&mut self, cells: &[usize], off: bool) {
        each!(self, m => m.set_drainage_off(cells, off))
    }
    /// Add a rain source (an inject).
    pub fn add_rain_source(&mut self, src: RainSource) -> Result<(), HydroError> {
        each!(self, m => m.add_rain_source(src))
    }
    /// Add a boundary.
    pub fn add_boundary(&mut self, b: Boundary) -> Result<(), HydroError> {
        each!(self, m => m.add_boundary(b))
    }
    /// Replace the rain.
    pub fn set_rain(&mut self, rain: RainField) -> Result<(), HydroError> {
        each!(self, m => m.set_rain(rain))
    }
    /// Add a probe.
    pub fn add_probe(&mut self, name: &str, x: f64, y: f64) -> Result<(), HydroError> {
        each!(self, m => m.add_probe(name, x, y))
    }
    /// The rain field.
    pub fn rain_field(&self) -> &RainField {
        each!(self, m => m.rain_field())
    }
    /// Depth of a cell, m.
    pub fn depth_grid_at(&self, row: usize, col: usize) -> f64 {
        each!(self, m => m.depth_grid_at(row, col))
    }
    /// The water balance.
    pub fn balance(&self) -> &WaterBalance {
        each!(self, m => m.balance())
    }
    /// Per-cell maxima.
    pub fn outputs(&self) -> &MaxOutputs {
        each!(self, m => m.outputs())
    }
    /// The probes.
    pub fn probes(&self) -> &[Probe] {
        each!(self, m => m.probes())
    }
    /// Flows through each boundary.
    pub fn boundary_flows(&self) -> Vec<BoundaryFlow> {
        each!(self, m => m.boundary_flows())
    }
    /// Boundary volume samples.
    pub fn flow_samples(&self) -> &[FlowSample] {
        each!(self, m => m.flow_samples())
    }
    /// Health events.
    pub fn diagnostics(&self) -> &[HealthEvent] {
        each!(self, m => m.diagnostics())
    }
    /// The loss model, if any.
    pub fn losses(&self) -> Option<&Losses> {
        each!(self, m => m.losses())
    }
    /// Write the evolving state's bytes (for digests).
    pub fn write_state_bytes(&self, out: &mut impl Write) -> std::io::Result<()> {
        each!(self, m => m.write_state_bytes(out))
    }
    /// The evolving state.
    pub fn save_state(&self) -> ModelState {
        each!(self, m => m.save_state())
    }
    /// Put back a saved state.
    pub fn restore_state(&mut self, st: &ModelState) -> Result<(), HydroError> {
        each!(self, m => m.restore_state(st))
    }
    /// Test hook: a NaN on a face for the next `attempts` sub-steps.
    pub fn debug_inject_nan(&mut self, row: usize, col: usize, attempts: u32) {
        each!(self, m => m.debug_inject_nan(row, col, attempts))
    }
    /// Water on the surface, m³.
    pub fn storage(&mut self) -> f64 {
        each!(self, m => m.storage())
    }
    /// Wall time per kernel.
    pub fn kernel_times(&self) -> KernelTimes {
        each!(self, m => m.kernel_times())
    }
    /// The coupled drainage network, if any.
    pub fn drainage(&self) -> Option<&DualDrainage> {
        each!(self, m => m.drainage())
    }
    /// The coupled drainage network, to set pumps and gates.
    pub fn drainage_mut(&mut self) -> Option<&mut DualDrainage> {
        each!(self, m => m.drainage_mut())
    }
    /// Advance to `t_end`.
    pub fn step_until(&mut self, t_end: f64) -> Result<StepStats, HydroError> {
        each!(self, m => m.step_until(t_end))
    }
    /// Set the watchdog.
    pub fn set_watchdog(&mut self, w: Watchdog) {
        each!(self, m => m.set_watchdog(w))
    }
}
