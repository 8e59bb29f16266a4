//! [`Model`]: terrain + water state + forcing + accumulators, advanced with
//! [`Model::step_until`].
//!
//! # Setting up
//! ```
//! use floodrill::hydro::{Boundary, Edge, EdgeSegment, HydroConfig, HydroModel, LossClass,
//!     Horton, Infiltration, RainField, Series, Interp};
//! use floodrill::world::{Grid, GridSpec};
//!
//! let spec = GridSpec { ncols: 40, nrows: 30, xll: 0.0, yll: 0.0, cell: 5.0 };
//! let dem = Grid::filled(spec, 10.0);
//! let manning = Grid::filled(spec, 0.03);
//! let mut blocked = Grid::filled(spec, false);
//! *blocked.get_mut(10, 10) = true; // a building
//! let classes = vec![
//!     LossClass::none("road"),
//!     LossClass {
//!         name: "park".into(),
//!         infiltration: Infiltration::Horton(Horton { f0_mm_h: 76.0, fc_mm_h: 6.0, k_per_h: 4.0 }),
//!         impervious_fraction: 0.1,
//!         drainage_mm_h: 0.0,
//!     },
//! ];
//! let class_of = Grid::filled(spec, 1u16);
//! let rain = RainField::uniform(Series::new(&[(0.0, 50.0), (3600.0, 0.0)], Interp::Linear).unwrap());
//! let mut model = HydroModel::builder(&dem)
//!     .manning(&manning)
//!     .blocked(&blocked)
//!     .losses(classes, &class_of)
//!     .rain(rain)
//!     .boundary(Boundary::FreeOutflow {
//!         segment: EdgeSegment { edge: Edge::South, from: 50.0, to: 100.0 },
//!         slope: 0.01,
//!         manning: None,
//!     })
//!     .config(HydroConfig::default())
//!     .build()
//!     .unwrap();
//! let stats = model.step_until(60.0).unwrap();
//! assert!(stats.substeps > 0);
//! assert!(model.balance().relative_error().abs() < 1e-9);
//! ```
//!
//! # One call of `step_until(t_end)`
//! Time is cut into *source intervals* aligned to multiples of
//! [`HydroConfig::source_interval_s`] (and `t_end`). At the start of each interval a
//! spatial rain field is evaluated (at its middle); then adaptive sub-steps run
//! (`Δt = α·Δx/√(g·h_max)`, or with advection `α·Δx/max(√(g·h_max), max(|u| + √(g·h)))`
//! over the cells as the previous sub-step saw them; capped by `max_dt` and landing
//! exactly on the interval end);
//! at its end the losses (infiltration, drainage) are applied. At the end of the call
//! the accumulated outputs, probes and the storage are updated.
//!
//! # Numerical health
//! Each sub-step checks, inside its reductions, that every new discharge and depth is
//! finite and that no depth went negative beyond round-off. A failed sub-step is not
//! committed (the new state lives in scratch buffers until the checks pass); it is
//! retried with half the Δt up to `max_retries` times, each failure recorded in
//! [`Model::diagnostics`]. If the last retry fails too, `step_until` returns
//! [`HydroError::Numerical`] naming the cell (row, col, map x/y), the time and the values;
//! the model stays at the last good state.

use std::io::Write;

use rayon::prelude::*;

use super::balance::WaterBalance;
use super::boundary::{BFace, Boundary, BoundaryFlow, faces};
use super::drainage::DualDrainage;
use super::infiltration::{LossClass, Losses};
use super::outputs::{MaxOutputs, Probe, ProbeSample};
use super::rain::RainField;
use super::real::Real;
use super::surface::{
    self, BLOCKED_Z, CHUNK_ROWS, Dims, FluxIn, FluxK, SurfaceParams, UpdIn, UpdK,
    factor_scratch_len, velocity_scratch_len,
};
use crate::world::{Grid, GridSpec};

/// Engine-level settings of a hydraulic model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HydroConfig {
    /// The flow scheme.
    pub surface: SurfaceParams,
    /// Source interval, s: spatial rain is re-evaluated and losses applied this often
    /// (aligned to multiples of it). Default 5.
    pub source_interval_s: f64,
    /// Below this depth a cell's velocity is reported as 0, m. Default 0.01.
    pub velocity_min_depth: f64,
    /// Depth that counts as flooded for the first-flooded time, m. Default 0.15.
    pub flood_depth: f64,
}

impl Default for HydroConfig {
    fn default() -> Self {
        Self {
            surface: SurfaceParams::default(),
            source_interval_s: 5.0,
            velocity_min_depth: 0.01,
            flood_depth: 0.15,
        }
    }
}

/// Errors of the hydraulic model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HydroError {
    /// The inputs do not fit together.
    #[error("hydro setup: {0}")]
    Setup(String),
    /// `step_until` was asked to go back in time.
    #[error("hydro: cannot step to t = {t_end} s, the model is already at t = {t} s")]
    TimeInPast {
        /// Model time, s.
        t: f64,
        /// Requested time, s.
        t_end: f64,
    },
    /// A sub-step failed its health checks on every retry.
    #[error(
        "hydro: numerical failure at t = {} s (Δt = {} s after {attempts} attempts) in cell \
         (row {row}, col {col}) at x = {} m, y = {} m: {what}; check the inputs that set \
         this cell's water for values far outside what a district has (hydro.initial_depth_m, \
         hydro.initial_levels, a boundary stage or inflow, rain intensity, Manning's n)",
        num(*t), num(*dt), num(*x), num(*y)
    )]
    Numerical {
        /// Model time at the start of the failed sub-step, s.
        t: f64,
        /// Last Δt tried, s.
        dt: f64,
        /// Attempts made.
        attempts: u32,
        /// Row of the cell.
        row: usize,
        /// Column of the cell.
        col: usize,
        /// Map x of the cell centre, m.
        x: f64,
        /// Map y of the cell centre, m.
        y: f64,
        /// What was wrong, with the values.
        what: String,
    },
    /// The watchdog stopped a `step_until` call that could not reach its end: too many
    /// sub-steps or too much wall time for one call (one engine tick).
    #[error(
        "hydro: the run cannot progress: {limit} in the step from t = {} s to {} s; it reached \
         t = {} s after {substeps} sub-steps of Δt ≈ {} s (max depth {} m, wave speed {} m/s, \
         hydro.max_dt {} s). Likely cause: {cause}",
        num(*t_start), num(*t_end), num(*t), num(*dt), num(*depth), num(*speed), num(*max_dt)
    )]
    Stalled {
        /// What tripped the watchdog (the limit and its value).
        limit: String,
        /// Start of the call, s.
        t_start: f64,
        /// Target of the call, s.
        t_end: f64,
        /// Model time reached, s.
        t: f64,
        /// Sub-steps committed in the call.
        substeps: u64,
        /// The last sub-step, s.
        dt: f64,
        /// Largest depth the time step sees (cells and stage boundaries), m.
        depth: f64,
        /// Wave speed that set the step, m/s.
        speed: f64,
        /// `max_dt` in force, s.
        max_dt: f64,
        /// The input most likely responsible.
        cause: String,
    },
    /// The interrupt flag was raised (Ctrl-C) inside a `step_until` call; the model
    /// stopped at the last committed sub-step.
    #[error("hydro: interrupted at t = {} s, inside the step to {} s", num(*t), num(*t_end))]
    Interrupted {
        /// Model time reached (a sub-step boundary), s.
        t: f64,
        /// Target of the call, s.
        t_end: f64,
    },
}

/// A number for a message: 4 significant digits, in scientific notation when very
/// large or small (an input of 1e300 must not print 300 digits).
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let s = if a >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// Limits on one `step_until` call, so a run that cannot progress stops itself.
#[derive(Debug, Clone, Default)]
pub struct Watchdog {
    /// Most sub-steps one call may take; `None`: [`Watchdog::default_substeps`].
    pub max_substeps: Option<u64>,
    /// Most wall time one call may take; `None`: no limit.
    pub max_wall: Option<std::time::Duration>,
    /// Raised from outside (Ctrl-C): the call stops at the next sub-step.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Watchdog {
    /// The default sub-step budget of a call spanning `span` seconds: 200 000 plus one
    /// per millisecond simulated. A district's sub-step is rarely below 0.05 s (5 m
    /// cells, 10 m of water); a budget this size is only spent when the step has
    /// collapsed (a `max_dt` of microseconds, a stage kilometres above the terrain).
    pub fn default_substeps(span: f64) -> u64 {
        200_000 + (span.max(0.0) * 1000.0).min(1e12) as u64
    }
}

/// One failed (and retried) sub-step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HealthEvent {
    /// Model time at the start of the sub-step, s.
    pub t: f64,
    /// The Δt that failed, s.
    pub dt: f64,
    /// Cell row.
    pub row: usize,
    /// Cell column.
    pub col: usize,
    /// What was wrong.
    pub what: String,
}

/// What one `step_until` call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct StepStats {
    /// Sub-steps committed.
    pub substeps: u64,
    /// Cell updates (sub-steps × cells).
    pub cell_updates: u64,
    /// Smallest committed Δt, s.
    pub min_dt: f64,
    /// Largest committed Δt, s.
    pub max_dt: f64,
    /// Failed sub-steps that were retried.
    pub retries: u32,
}

struct BoundaryRt {
    spec: Boundary,
    faces: Vec<BFace>,
    point_cell: Option<usize>,
    flow: BoundaryFlow,
}

struct Fault {
    row: usize,
    col: usize,
    what: String,
}

/// The rain weights of a sub-step: the static ones when the rain is separable, else the
/// rain field's current frame (a function of fields, so that the others stay free to
/// borrow).
fn weights<'a, R>(separable: bool, w_static: &'a [R], w_buf: &'a [R]) -> &'a [R] {
    if separable { w_static } else { w_buf }
}

/// Wall time of the water's kernels since the model was built, s (a measurement, not
/// state: never saved or restored).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct KernelTimes {
    /// The flux pass (momentum on every face, the time step's wave speed with it); with
    /// the scheme without advection (the default) the depth update too, fused into the
    /// same pass over the grid.
    pub fluxes: f64,
    /// The boundaries' face fluxes.
    pub boundaries: f64,
    /// The depth update (with advection: a pass of its own) and the boundaries' volume
    /// accounting.
    pub update: f64,
    /// The drainage network's routing and its exchange with the surface.
    pub drainage: f64,
    /// Infiltration and per-class drainage.
    pub losses: f64,
    /// A rain field that is not uniform in time, filled per rain segment.
    pub rain: f64,
}

impl KernelTimes {
    /// The sum, s.
    pub fn total(&self) -> f64 {
        self.fluxes + self.boundaries + self.update + self.drainage + self.losses + self.rain
    }
}

/// A hydraulic model in precision `R` (use [`crate::hydro::HydroModel`]).
pub struct Model<R: Real> {
    spec: GridSpec,
    d: Dims,
    dx: f64,
    area: f64,
    cfg: HydroConfig,
    /// Reference level subtracted from the bed inside the kernels, m.
    z_ref: f64,
    z_map: Vec<f64>,
    z: Vec<R>,
    n: Vec<R>,
    blocked: Vec<bool>,
    n_open: usize,
    h: Vec<R>,
    h_next: Vec<R>,
    qx: Vec<R>,
    qy: Vec<R>,
    qx_raw: Vec<R>,
    qy_raw: Vec<R>,
    scratch: Vec<R>,
    /// Per-chunk face-velocity scratch of the flux pass (advection only).
    vel_scratch: Vec<R>,
    /// The boundaries' edge discharges of the sub-step being tried (scratch).
    edge: surface::EdgeQ<R>,
    rain: RainField,
    rain_separable: bool,
    w_static: Vec<R>,
    w_static_sum: f64,
    w_buf: Vec<R>,
    w_buf_sum: f64,
    rain_f64: Vec<f64>,
    losses: Option<Losses>,
    boundaries: Vec<BoundaryRt>,
    t: f64,
    hmax: f64,
    /// Largest cell wave speed `|u| + √(g·h)` seen by the last committed flux pass
    /// (advection only), m/s.
    wave_speed: f64,
    hmax_dirty: bool,
    balance: WaterBalance,
    outputs: MaxOutputs,
    probes: Vec<Probe>,
    health: Vec<HealthEvent>,
    partials: Vec<f64>,
    debug_nan: Option<(usize, u32)>,
    /// Bed elevations changed since the build (breaches), by cell, m.
    bed_edits: std::collections::BTreeMap<usize, f64>,
    /// Limits on a `step_until` call (not state).
    watchdog: Watchdog,
    /// Boundary volumes at the end of each `step_until` call.
    flow_samples: Vec<FlowSample>,
    /// The pipe network coupled to the surface (dual drainage), if any.
    drainage: Option<Box<DualDrainage>>,
    /// Wall time per kernel (not state).
    kernel: KernelTimes,
}

/// The evolving state of a [`Model`]: what a snapshot saves and a restore puts back
/// onto a model built from the same inputs. Depths and discharges keep their bits.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModelState {
    t: f64,
    wave_speed: f64,
    balance: WaterBalance,
    /// Bytes per value of `h`, `qx`, `qy` (4: f32, 8: f64).
    real_bytes: u8,
    h: crate::codec::Bytes,
    qx: crate::codec::Bytes,
    qy: crate::codec::Bytes,
    bed_edits: Vec<(usize, f64)>,
    rain: RainField,
    losses: Option<super::infiltration::LossState>,
    boundary_flows: Vec<BoundaryFlow>,
    outputs: MaxOutputs,
    probe_samples: Vec<Vec<super::outputs::ProbeSample>>,
    health: Vec<HealthEvent>,
    /// Cumulative boundary volumes at the end of each `step_until` (absent in states
    /// saved before they were kept).
    #[serde(default)]
    flow_samples: Vec<FlowSample>,
    /// The coupled network's state (absent without a network).
    #[serde(default)]
    drainage: Option<super::drainage::DualState>,
}

/// Resolution of the depths in a view of the water ([`ModelState::view`]), m.
pub const VIEW_DEPTH_STEP_M: f64 = 1e-3;
/// Resolution of the unit discharges in a view of the water, m²/s.
pub const VIEW_Q_STEP_M2_S: f64 = 1e-3;

/// Values as little-endian `i32` multiples of `step`, byte-shuffled (a view's arrays).
fn quantize(v: &[u8], width: usize, step: f64) -> crate::codec::Bytes {
    let raw = crate::codec::unshuffle(v, width);
    let mut out = Vec::with_capacity(raw.len() / width * 4);
    for c in raw.chunks_exact(width) {
        let x = if width == 4 {
            f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64
        } else {
            f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
        };
        let q = if x.is_finite() {
            (x / step).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
        } else {
            0
        };
        out.extend_from_slice(&q.to_le_bytes());
    }
    crate::codec::Bytes(crate::codec::shuffle(&out, 4))
}

impl ModelState {
    /// A view of this state for scrubbing a replay: depths to [`VIEW_DEPTH_STEP_M`],
    /// unit discharges to [`VIEW_Q_STEP_M2_S`] and the losses' totals to 0.1 mm;
    /// everything else as saved. The maxima are those of `prev` (the view this one
    /// follows in a replay, back to its keyframe), so they stay the same bytes from
    /// frame to frame; a restored view raises them by its own depths and speeds. A view
    /// restores onto a model (see [`Model::restore_state`]) but is not the exact state:
    /// a drill cannot go on from it.
    pub fn view(&self, prev: Option<&ModelState>) -> ModelState {
        self.view_keeping(prev.map(|p| &p.outputs))
    }

    /// [`ModelState::view`] given only the maxima of the view before (all it reads of
    /// it), as [`ModelState::outputs_of`] reads them from its bytes.
    pub fn view_keeping(&self, prev_outputs: Option<&MaxOutputs>) -> ModelState {
        if self.is_view() {
            return self.clone();
        }
        let w = self.real_bytes as usize;
        let mut v = self.clone();
        v.real_bytes = 0;
        v.h = quantize(&self.h.0, w, VIEW_DEPTH_STEP_M);
        v.qx = quantize(&self.qx.0, w, VIEW_Q_STEP_M2_S);
        v.qy = quantize(&self.qy.0, w, VIEW_Q_STEP_M2_S);
        v.losses = self.losses.as_ref().map(|l| l.view(1e-4));
        if let Some(o) = prev_outputs {
            v.outputs = o.clone();
        }
        v
    }

    /// The maxima of a state or view from its MessagePack alone (the rest of it is
    /// skipped, not decoded).
    pub fn outputs_of(bytes: &[u8]) -> Result<MaxOutputs, rmp_serde::decode::Error> {
        #[derive(serde::Deserialize)]
        struct Only {
            outputs: MaxOutputs,
        }
        rmp_serde::from_slice::<Only>(bytes).map(|o| o.outputs)
    }

    /// Whether this is a view ([`ModelState::view`]) rather than the exact state.
    pub fn is_view(&self) -> bool {
        self.real_bytes == 0
    }
}

/// The cumulative volumes through every boundary at one moment (the end of a
/// `step_until` call): the boundary hydrographs are differences of these.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FlowSample {
    /// Model time, s.
    pub t: f64,
    /// Per boundary, in the order added: (volume in, volume out) since the start, m³.
    pub volumes: Vec<(f64, f64)>,
}

/// Builder of a [`Model`]; see the module example.
pub struct ModelBuilder<R: Real> {
    dem: Grid<f64>,
    manning: Option<Grid<f64>>,
    uniform_n: f64,
    blocked: Option<Grid<bool>>,
    depth: Option<Grid<f64>>,
    losses: Option<(Vec<LossClass>, Grid<u16>)>,
    rain: RainField,
    boundaries: Vec<Boundary>,
    probes: Vec<(String, f64, f64)>,
    cfg: HydroConfig,
    start_s: f64,
    drainage: Option<DualDrainage>,
    _r: std::marker::PhantomData<R>,
}

impl<R: Real> ModelBuilder<R> {
    /// Manning's n per cell (s·m^(−1/3)).
    pub fn manning(mut self, n: &Grid<f64>) -> Self {
        self.manning = Some(n.clone());
        self
    }
    /// One Manning's n everywhere (default 0.03).
    pub fn uniform_manning(mut self, n: f64) -> Self {
        self.uniform_n = n;
        self.manning = None;
        self
    }
    /// Blocked cells (buildings): never hold water, all faces closed.
    pub fn blocked(mut self, b: &Grid<bool>) -> Self {
        self.blocked = Some(b.clone());
        self
    }
    /// Initial depth per cell, m (default dry).
    pub fn initial_depth(mut self, h: &Grid<f64>) -> Self {
        self.depth = Some(h.clone());
        self
    }
    /// Loss classes and the class index of each cell.
    pub fn losses(mut self, classes: Vec<LossClass>, class_of: &Grid<u16>) -> Self {
        self.losses = Some((classes, class_of.clone()));
        self
    }
    /// Rain.
    pub fn rain(mut self, rain: RainField) -> Self {
        self.rain = rain;
        self
    }
    /// Add a boundary condition.
    pub fn boundary(mut self, b: Boundary) -> Self {
        self.boundaries.push(b);
        self
    }
    /// Add a probe at map point `(x, y)`.
    pub fn probe(mut self, name: &str, x: f64, y: f64) -> Self {
        self.probes.push((name.to_string(), x, y));
        self
    }
    /// Settings.
    pub fn config(mut self, cfg: HydroConfig) -> Self {
        self.cfg = cfg;
        self
    }
    /// Model time at the start, s (default 0).
    pub fn start_time(mut self, t: f64) -> Self {
        self.start_s = t;
        self
    }
    /// Couple a pipe network to the surface (dual drainage).
    pub fn drainage(mut self, d: DualDrainage) -> Self {
        self.drainage = Some(d);
        self
    }

    /// Check everything and build the model.
    pub fn build(self) -> Result<Model<R>, HydroError> {
        let err = |m: String| Err(HydroError::Setup(m));
        self.cfg
            .surface
            .validate()
            .map_err(|e| HydroError::Setup(e.to_string()))?;
        if !(self.cfg.source_interval_s > 0.0) {
            return err(format!(
                "source_interval_s = {}: expected > 0",
                self.cfg.source_interval_s
            ));
        }
        let spec = self.dem.spec;
        if spec.is_empty() {
            return err("the DEM has no cells".into());
        }
        let check = |what: &str, s: &GridSpec| -> Result<(), HydroError> {
            if s.same_extent(&spec) {
                Ok(())
            } else {
                Err(HydroError::Setup(format!(
                    "{what} grid is {s}, the DEM is {spec}"
                )))
            }
        };
        let (nr, nc) = (spec.nrows, spec.ncols);
        let ncell = spec.len();
        let blocked: Vec<bool> = match &self.blocked {
            Some(b) => {
                check("blocked", &b.spec)?;
                b.data.clone()
            }
            None => vec![false; ncell],
        };
        for (i, z) in self.dem.data.iter().enumerate() {
            if !z.is_finite() {
                return err(format!(
                    "DEM cell (row {}, col {}) is not finite",
                    i / nc,
                    i % nc
                ));
            }
        }
        let n_open = blocked.iter().filter(|b| !**b).count();
        let z_ref = self
            .dem
            .data
            .iter()
            .zip(&blocked)
            .filter(|(_, b)| !**b)
            .map(|(z, _)| *z)
            .fold(f64::INFINITY, f64::min);
        let z_ref = if z_ref.is_finite() { z_ref } else { 0.0 };
        let manning: Vec<f64> = match &self.manning {
            Some(m) => {
                check("manning", &m.spec)?;
                m.data.clone()
            }
            None => vec![self.uniform_n; ncell],
        };
        for (i, &v) in manning.iter().enumerate() {
            if !blocked[i] && (v.is_nan() || v <= 0.0 || v.is_infinite()) {
                return err(format!(
                    "Manning's n {v} at cell (row {}, col {}): expected a positive number",
                    i / nc,
                    i % nc
                ));
            }
        }
        let mut h = vec![R::ZERO; ncell];
        if let Some(d) = &self.depth {
            check("initial depth", &d.spec)?;
            for (i, &v) in d.data.iter().enumerate() {
                if !(v >= 0.0 && v.is_finite()) {
                    return err(format!(
                        "initial depth {v} at cell (row {}, col {}): expected ≥ 0",
                        i / nc,
                        i % nc
                    ));
                }
                if !blocked[i] {
                    h[i] = R::from_f64(v);
                }
            }
        }
        self.rain
            .check_grid(&spec)
            .map_err(|e| HydroError::Setup(e.to_string()))?;
        let losses = match self.losses {
            Some((classes, class_of)) => {
                check("land-use class", &class_of.spec)?;
                Some(
                    Losses::new(classes, class_of.data, nc)
                        .map_err(|e| HydroError::Setup(e.to_string()))?,
                )
            }
            None => None,
        };
        let z: Vec<R> = self
            .dem
            .data
            .iter()
            .zip(&blocked)
            .map(|(&z, &b)| R::from_f64(if b { BLOCKED_Z } else { z - z_ref }))
            .collect();
        let n: Vec<R> = manning
            .iter()
            .zip(&blocked)
            .map(|(&v, &b)| R::from_f64(if b { 1.0 } else { v }))
            .collect();
        let nchunks = nr.div_ceil(CHUNK_ROWS);
        let mut m = Model {
            spec,
            d: Dims { nr, nc },
            dx: spec.cell,
            area: spec.cell * spec.cell,
            cfg: self.cfg,
            z_ref,
            z_map: self.dem.data.clone(),
            z,
            n,
            blocked,
            n_open,
            h_next: h.clone(),
            h,
            qx: vec![R::ZERO; nr * (nc + 1)],
            qy: vec![R::ZERO; (nr + 1) * nc],
            qx_raw: vec![R::ZERO; nr * (nc + 1)],
            qy_raw: vec![R::ZERO; (nr + 1) * nc],
            scratch: vec![R::ZERO; nchunks * factor_scratch_len(nc)],
            vel_scratch: if self.cfg.surface.advection {
                vec![R::ZERO; nchunks * velocity_scratch_len(nc)]
            } else {
                Vec::new()
            },
            edge: surface::EdgeQ::default(),
            rain: RainField::none(),
            rain_separable: true,
            w_static: vec![R::ZERO; ncell],
            w_static_sum: 0.0,
            w_buf: Vec::new(),
            w_buf_sum: 0.0,
            rain_f64: Vec::new(),
            losses,
            boundaries: Vec::new(),
            t: self.start_s,
            hmax: 0.0,
            wave_speed: 0.0,
            hmax_dirty: true,
            balance: WaterBalance {
                t: self.start_s,
                ..Default::default()
            },
            outputs: MaxOutputs::new(spec, self.cfg.flood_depth),
            probes: Vec::new(),
            health: Vec::new(),
            partials: Vec::new(),
            bed_edits: Default::default(),
            debug_nan: None,
            watchdog: Watchdog::default(),
            flow_samples: Vec::new(),
            drainage: None,
            kernel: KernelTimes::default(),
        };
        if let Some(d) = self.drainage {
            if let Some(&c) = d
                .slot_cells()
                .collect::<Vec<_>>()
                .iter()
                .find(|&&c| c >= ncell)
            {
                return err(format!(
                    "the drainage network is coupled to cell {c}, outside the grid"
                ));
            }
            m.balance.network_initial = d.router.totals.storage;
            m.balance.network_storage = d.router.totals.storage;
            m.drainage = Some(Box::new(d));
        }
        m.set_rain(self.rain)?;
        for b in self.boundaries {
            m.add_boundary(b)?;
        }
        for (name, x, y) in self.probes {
            m.add_probe(&name, x, y)?;
        }
        let s = m.storage();
        m.balance.initial_storage = s;
        m.balance.storage = s;
        Ok(m)
    }
}

impl<R: Real> Model<R> {
    /// Start building a model on a DEM (bed elevation, m; row 0 north).
    pub fn builder(dem: &Grid<f64>) -> ModelBuilder<R> {
        ModelBuilder {
            dem: dem.clone(),
            manning: None,
            uniform_n: 0.03,
            blocked: None,
            depth: None,
            losses: None,
            rain: RainField::none(),
            boundaries: Vec::new(),
            probes: Vec::new(),
            cfg: HydroConfig::default(),
            start_s: 0.0,
            drainage: None,
            _r: std::marker::PhantomData,
        }
    }

    // ----- forcing -----

    /// Replace the rain field (e.g. from an inject). Takes effect from the next
    /// sub-step (spatial fields from the next source interval).
    pub fn set_rain(&mut self, rain: RainField) -> Result<(), HydroError> {
        rain.check_grid(&self.spec)
            .map_err(|e| HydroError::Setup(e.to_string()))?;
        let f = rain.zone_factors(&self.spec);
        let mut sum = 0.0;
        for (i, &fi) in f.iter().enumerate() {
            let v = if self.blocked[i] { 0.0 } else { fi };
            if !(v >= 0.0 && v.is_finite()) {
                return Err(HydroError::Setup(format!(
                    "rain zone factor {v} at cell {i}: expected ≥ 0"
                )));
            }
            self.w_static[i] = R::from_f64(v);
            sum += self.w_static[i].to_f64();
        }
        self.w_static_sum = sum;
        self.rain_separable = rain.is_separable();
        if !self.rain_separable && self.w_buf.is_empty() {
            self.w_buf = vec![R::ZERO; self.spec.len()];
            self.rain_f64 = vec![0.0; self.spec.len()];
        }
        self.rain = rain;
        Ok(())
    }

    /// Add a boundary condition.
    pub fn add_boundary(&mut self, b: Boundary) -> Result<(), HydroError> {
        let (fs, point) = match &b {
            Boundary::FreeOutflow {
                segment,
                slope,
                manning,
            } => {
                if !(*slope > 0.0 && slope.is_finite()) {
                    return Err(HydroError::Setup(format!(
                        "free outflow slope {slope}: expected > 0"
                    )));
                }
                if let Some(n) = manning
                    && !(*n > 0.0)
                {
                    return Err(HydroError::Setup(format!(
                        "free outflow Manning n {n}: expected > 0"
                    )));
                }
                (faces(&self.spec, segment, &self.blocked), None)
            }
            Boundary::Stage { segment, .. } | Boundary::UnitInflow { segment, .. } => {
                (faces(&self.spec, segment, &self.blocked), None)
            }
            Boundary::PointInflow { x, y, .. } => {
                let (r, c) = self.spec.cell_at(*x, *y).ok_or_else(|| {
                    HydroError::Setup(format!(
                        "point inflow at ({x}, {y}) is outside the grid {}",
                        self.spec
                    ))
                })?;
                let i = r * self.d.nc + c;
                if self.blocked[i] {
                    return Err(HydroError::Setup(format!(
                        "point inflow at ({x}, {y}) falls in a blocked cell (row {r}, col {c})"
                    )));
                }
                (Vec::new(), Some(i))
            }
        };
        if fs.is_empty() && point.is_none() {
            return Err(HydroError::Setup(format!(
                "{} boundary covers no open edge cell (check the segment range)",
                b.kind()
            )));
        }
        self.boundaries.push(BoundaryRt {
            spec: b,
            faces: fs,
            point_cell: point,
            flow: BoundaryFlow::default(),
        });
        Ok(())
    }

    /// Add a probe at map point `(x, y)`.
    pub fn add_probe(&mut self, name: &str, x: f64, y: f64) -> Result<(), HydroError> {
        let (row, col) = self.spec.cell_at(x, y).ok_or_else(|| {
            HydroError::Setup(format!("probe `{name}` at ({x}, {y}) is outside the grid"))
        })?;
        self.probes.push(Probe {
            name: name.to_string(),
            x,
            y,
            row,
            col,
            samples: Vec::new(),
        });
        Ok(())
    }

    // ----- state access -----

    /// The grid.
    pub fn spec(&self) -> &GridSpec {
        &self.spec
    }
    /// Model time, s.
    pub fn time(&self) -> f64 {
        self.t
    }
    /// Settings.
    pub fn config(&self) -> &HydroConfig {
        &self.cfg
    }
    /// Depth per cell (m), row-major, row 0 north.
    pub fn depth(&self) -> &[R] {
        &self.h
    }
    /// Unit discharge on x-faces (m²/s, positive east), `nrows × (ncols + 1)`.
    pub fn qx(&self) -> &[R] {
        &self.qx
    }
    /// Unit discharge on y-faces (m²/s, **positive south**), `(nrows + 1) × ncols`.
    pub fn qy(&self) -> &[R] {
        &self.qy
    }
    /// Number of open (non-blocked) cells.
    pub fn open_cells(&self) -> usize {
        self.n_open
    }
    /// Blocked cells.
    pub fn blocked(&self) -> &[bool] {
        &self.blocked
    }
    /// Depth as a raster (m).
    pub fn depth_grid(&self) -> Grid<f64> {
        Grid {
            spec: self.spec,
            data: self.h.iter().map(|v| v.to_f64()).collect(),
        }
    }
    /// Water surface elevation `z + h` of a cell, m (map datum).
    pub fn water_level(&self, row: usize, col: usize) -> f64 {
        let i = row * self.d.nc + col;
        self.z_map[i] + self.h[i].to_f64()
    }
    /// Bed elevation of a cell, m.
    pub fn bed_elevation(&self, row: usize, col: usize) -> f64 {
        self.z_map[row * self.d.nc + col]
    }
    /// Set the bed elevation of a cell (m), keeping its depth (mass is conserved).
    /// Blocked cells keep their blocked status.
    pub fn set_bed_elevation(&mut self, row: usize, col: usize, z: f64) {
        let i = row * self.d.nc + col;
        self.z_map[i] = z;
        self.bed_edits.insert(i, z);
        if !self.blocked[i] {
            self.z[i] = R::from_f64(z - self.z_ref);
        }
    }
    /// Velocity `(vx east, vy north)` at a cell centre, m/s (0 below the velocity depth).
    pub fn velocity(&self, row: usize, col: usize) -> (f64, f64) {
        let (nc, nx) = (self.d.nc, self.d.nc + 1);
        let h = self.h[row * nc + col].to_f64();
        if h <= self.cfg.velocity_min_depth {
            return (0.0, 0.0);
        }
        let qx = 0.5 * (self.qx[row * nx + col].to_f64() + self.qx[row * nx + col + 1].to_f64());
        let qys = 0.5 * (self.qy[row * nc + col].to_f64() + self.qy[(row + 1) * nc + col].to_f64());
        (qx / h, -qys / h)
    }
    /// Set the depth of one cell (m) — initial conditions or a trainer's edit. A change
    /// after the start counts as `external` in the balance.
    pub fn set_depth(&mut self, row: usize, col: usize, depth: f64) -> Result<(), HydroError> {
        let i = row * self.d.nc + col;
        if !(depth >= 0.0 && depth.is_finite()) {
            return Err(HydroError::Setup(format!(
                "depth {depth} at (row {row}, col {col}): expected ≥ 0"
            )));
        }
        if self.blocked[i] {
            return Err(HydroError::Setup(format!(
                "cell (row {row}, col {col}) is blocked"
            )));
        }
        let old = self.h[i].to_f64();
        self.h[i] = R::from_f64(depth);
        self.balance.external += (self.h[i].to_f64() - old) * self.area;
        self.hmax_dirty = true;
        Ok(())
    }

    /// Remove up to `volume_m3` from the given cells (a pump or robot), taking the same
    /// fraction of each cell's water. Returns the volume removed (m³), counted as
    /// `pumped`.
    pub fn remove_water(&mut self, cells: &[(usize, usize)], volume_m3: f64) -> f64 {
        let nc = self.d.nc;
        let avail: f64 = cells
            .iter()
            .map(|&(r, c)| self.h[r * nc + c].to_f64())
            .sum::<f64>()
            * self.area;
        if !(volume_m3 > 0.0) || avail <= 0.0 {
            return 0.0;
        }
        let frac = (volume_m3 / avail).min(1.0);
        let mut removed = 0.0;
        for &(r, c) in cells {
            let i = r * nc + c;
            let old = self.h[i];
            let new = if frac >= 1.0 {
                R::ZERO
            } else {
                R::from_f64(old.to_f64() * (1.0 - frac))
            };
            self.h[i] = new;
            removed += (old.to_f64() - new.to_f64()) * self.area;
        }
        self.balance.pumped += removed;
        removed
    }

    /// Pump up to `volume_m3` out of the drainage network's manholes and wet wells under
    /// `cells` (a robot's or pump truck's hose where the street holds too little water),
    /// counted as `pumped`. Returns the volume removed (m³; 0 without a network).
    pub fn remove_network_water(&mut self, cells: &[(usize, usize)], volume_m3: f64) -> f64 {
        let nc = self.d.nc;
        let Some(dd) = self.drainage.as_mut() else {
            return 0.0;
        };
        let idx: Vec<usize> = cells.iter().map(|&(r, c)| r * nc + c).collect();
        let got = dd.take_water(&idx, volume_m3);
        self.balance.pumped += got;
        self.book_network();
        got
    }

    /// Pour `volume_m3` into one cell: the discharge of a pump or robot into a river
    /// inside the district. Counted against `pumped` (net water pumped out of the
    /// district), so the balance still closes.
    pub fn discharge_water(&mut self, row: usize, col: usize, volume_m3: f64) {
        let i = row * self.d.nc + col;
        if !(volume_m3 > 0.0) || self.blocked[i] {
            return;
        }
        let old = self.h[i];
        self.h[i] = R::from_f64(old.to_f64() + volume_m3 / self.area);
        let added = (self.h[i].to_f64() - old.to_f64()) * self.area;
        self.balance.pumped -= added;
        self.hmax_dirty = true;
    }

    /// Put the urban drainage of `cells` (row-major indices) out of service or back
    /// (a pump station failure and its repair).
    pub fn set_drainage_off(&mut self, cells: &[usize], off: bool) {
        if let Some(l) = &mut self.losses {
            l.set_drainage_off(cells, off);
        }
    }

    /// Add a rain source from now on (an extra storm cell).
    pub fn add_rain_source(&mut self, src: super::rain::RainSource) -> Result<(), HydroError> {
        let r = self.rain.clone().with(src);
        self.set_rain(r)
    }

    /// The rain field (for gauges and displays).
    pub fn rain_field(&self) -> &RainField {
        &self.rain
    }

    /// Depth of one cell, m.
    pub fn depth_grid_at(&self, row: usize, col: usize) -> f64 {
        self.h[self.spec.idx(row, col)].to_f64()
    }

    /// The water balance (storage updated at the end of each `step_until`).
    pub fn balance(&self) -> &WaterBalance {
        &self.balance
    }
    /// Accumulated maxima.
    pub fn outputs(&self) -> &MaxOutputs {
        &self.outputs
    }
    /// Probes with their samples.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }
    /// Cumulative flow through each boundary, in the order added.
    pub fn boundary_flows(&self) -> Vec<BoundaryFlow> {
        self.boundaries.iter().map(|b| b.flow).collect()
    }
    /// Cumulative boundary volumes at the end of each `step_until` call.
    pub fn flow_samples(&self) -> &[FlowSample] {
        &self.flow_samples
    }

    /// Failed (and retried) sub-steps so far.
    pub fn diagnostics(&self) -> &[HealthEvent] {
        &self.health
    }
    /// Loss state, if losses are configured.
    pub fn losses(&self) -> Option<&Losses> {
        self.losses.as_ref()
    }

    /// Write the evolving state as little-endian bytes in a fixed order (time, depth,
    /// qx, qy, bed, loss state) — hash it with any `Write` hasher (e.g. blake3).
    pub fn write_state_bytes(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(&self.t.to_le_bytes());
        for arr in [&self.h, &self.qx, &self.qy, &self.z] {
            for v in arr.iter() {
                v.extend_le(&mut buf);
                if buf.len() >= (1 << 16) - 16 {
                    out.write_all(&buf)?;
                    buf.clear();
                }
            }
        }
        if let Some(l) = &self.losses {
            l.extend_state_bytes(&mut buf);
        }
        if let Some(d) = &self.drainage {
            let r = &d.router;
            for arr in [&r.depth, &r.volume, &r.flow] {
                for v in arr.iter() {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        out.write_all(&buf)
    }

    /// The evolving state (see [`ModelState`]).
    pub fn save_state(&self) -> ModelState {
        let bytes = |v: &[R]| {
            let mut b = Vec::with_capacity(std::mem::size_of_val(v));
            for x in v {
                x.extend_le(&mut b);
            }
            crate::codec::Bytes(crate::codec::shuffle(&b, std::mem::size_of::<R>()))
        };
        ModelState {
            t: self.t,
            wave_speed: self.wave_speed,
            balance: self.balance,
            real_bytes: std::mem::size_of::<R>() as u8,
            h: bytes(&self.h),
            qx: bytes(&self.qx),
            qy: bytes(&self.qy),
            bed_edits: self.bed_edits.iter().map(|(&i, &z)| (i, z)).collect(),
            rain: self.rain.clone(),
            losses: self.losses.as_ref().map(|l| l.save_state()),
            boundary_flows: self.boundaries.iter().map(|b| b.flow).collect(),
            outputs: self.outputs.clone(),
            probe_samples: self.probes.iter().map(|p| p.samples.clone()).collect(),
            health: self.health.clone(),
            flow_samples: self.flow_samples.clone(),
            drainage: self.drainage.as_ref().map(|d| d.state()),
        }
    }

    /// Put back a state saved by a model built from the same inputs. The error names
    /// what does not fit (grid size, precision, boundaries, probes).
    pub fn restore_state(&mut self, st: &ModelState) -> Result<(), HydroError> {
        let bad = |what: String| HydroError::Setup(format!("the saved water state {what}"));
        if st.is_view() {
            return self.restore_view(st);
        }
        if st.real_bytes as usize != std::mem::size_of::<R>() {
            return Err(bad(format!(
                "has {}-byte values, this model {}-byte",
                st.real_bytes,
                std::mem::size_of::<R>()
            )));
        }
        let values =
            |b: &crate::codec::Bytes, n: usize, name: &str| -> Result<Vec<R>, HydroError> {
                let w = std::mem::size_of::<R>();
                if b.0.len() != n * w {
                    return Err(bad(format!(
                        "has {} values of {name}, this grid needs {n}",
                        b.0.len() / w
                    )));
                }
                Ok(crate::codec::unshuffle(&b.0, w)
                    .chunks_exact(w)
                    .map(|c| {
                        if w == 4 {
                            R::from_f64(f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)
                        } else {
                            R::from_f64(f64::from_le_bytes(c.try_into().expect("8 bytes")))
                        }
                    })
                    .collect())
            };
        let h = values(&st.h, self.h.len(), "depth")?;
        let qx = values(&st.qx, self.qx.len(), "qx")?;
        let qy = values(&st.qy, self.qy.len(), "qy")?;
        if st.boundary_flows.len() != self.boundaries.len() {
            return Err(bad(format!(
                "has {} boundaries, this model {}",
                st.boundary_flows.len(),
                self.boundaries.len()
            )));
        }
        if st.probe_samples.len() != self.probes.len() {
            return Err(bad(format!(
                "has {} probes, this model {}",
                st.probe_samples.len(),
                self.probes.len()
            )));
        }
        if st.outputs.max_depth.len() != self.h.len() {
            return Err(bad("has maxima of another grid size".into()));
        }
        if let Some(&(i, _)) = st.bed_edits.iter().find(|(i, _)| *i >= self.h.len()) {
            return Err(bad(format!("edits the bed of cell {i}, outside the grid")));
        }
        match (&mut self.drainage, &st.drainage) {
            (Some(d), Some(ds)) => d.restore(ds).map_err(bad)?,
            (None, None) => {}
            _ => return Err(bad("does not match the model's drainage network".into())),
        }
        match (&mut self.losses, &st.losses) {
            (Some(l), Some(ls)) => l.restore_state(ls).map_err(|e| bad(e.to_string()))?,
            (None, None) => {}
            _ => return Err(bad("does not match the model's losses".into())),
        }
        self.set_rain(st.rain.clone())?;
        for &(i, z) in &st.bed_edits {
            self.set_bed_elevation(i / self.d.nc, i % self.d.nc, z);
        }
        self.h = h;
        self.h_next.clone_from(&self.h);
        self.qx = qx;
        self.qy = qy;
        self.t = st.t;
        self.wave_speed = st.wave_speed;
        self.balance = st.balance;
        for (b, f) in self.boundaries.iter_mut().zip(&st.boundary_flows) {
            b.flow = *f;
        }
        self.outputs = st.outputs.clone();
        for (p, s) in self.probes.iter_mut().zip(&st.probe_samples) {
            p.samples.clone_from(s);
        }
        self.health.clone_from(&st.health);
        self.flow_samples.clone_from(&st.flow_samples);
        self.hmax_dirty = true;
        Ok(())
    }

    /// Put back a view of a state ([`ModelState::view`]): the depths and discharges to
    /// the view's resolution, the maxima raised by them.
    fn restore_view(&mut self, st: &ModelState) -> Result<(), HydroError> {
        let bad = |what: String| HydroError::Setup(format!("the saved water view {what}"));
        let values = |b: &crate::codec::Bytes, n: usize, step: f64, name: &str| {
            if b.0.len() != n * 4 {
                return Err(bad(format!(
                    "has {} values of {name}, this grid needs {n}",
                    b.0.len() / 4
                )));
            }
            Ok(crate::codec::unshuffle(&b.0, 4)
                .chunks_exact(4)
                .map(|c| R::from_f64(i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64 * step))
                .collect::<Vec<R>>())
        };
        let h = values(&st.h, self.h.len(), VIEW_DEPTH_STEP_M, "depth")?;
        let qx = values(&st.qx, self.qx.len(), VIEW_Q_STEP_M2_S, "qx")?;
        let qy = values(&st.qy, self.qy.len(), VIEW_Q_STEP_M2_S, "qy")?;
        let mut exact = st.clone();
        exact.real_bytes = std::mem::size_of::<R>() as u8;
        let bytes = |v: &[R]| {
            let mut b = Vec::with_capacity(std::mem::size_of_val(v));
            for x in v {
                x.extend_le(&mut b);
            }
            crate::codec::Bytes(crate::codec::shuffle(&b, std::mem::size_of::<R>()))
        };
        exact.h = bytes(&h);
        exact.qx = bytes(&qx);
        exact.qy = bytes(&qy);
        self.restore_state(&exact)?;
        let flows = self.flow_samples.len();
        let probes: Vec<usize> = self.probes.iter().map(|p| p.samples.len()).collect();
        self.accumulate_outputs();
        // Only the maxima: the samples were restored as recorded.
        self.flow_samples.truncate(flows);
        for (p, n) in self.probes.iter_mut().zip(probes) {
            p.samples.truncate(n);
        }
        Ok(())
    }

    /// Test hook: poison the next `attempts` sub-step attempts with a NaN discharge on
    /// the east face of cell `(row, col)`.
    #[doc(hidden)]
    pub fn debug_inject_nan(&mut self, row: usize, col: usize, attempts: u32) {
        self.debug_nan = Some((row * self.d.nc + col, attempts));
    }

    // ----- stepping -----

    /// Water stored on the surface, m³ (deterministic: per-chunk sums added in order);
    /// also brings the balance's `storage` up to date (after pumps or edits between
    /// steps).
    pub fn storage(&mut self) -> f64 {
        let nc = self.d.nc;
        self.h
            .par_chunks(CHUNK_ROWS * nc)
            .map(|c| c.iter().map(|v| v.to_f64()).sum::<f64>())
            .collect_into_vec(&mut self.partials);
        let s = self.partials.iter().sum::<f64>() * self.area;
        self.balance.storage = s;
        s
    }

    /// Advance the coupled network over a committed surface sub-step of `dt` and put
    /// what it exchanged onto the surface cells.
    ///
    /// Every committed surface sub-step: gathering several and exchanging once (tried)
    /// left the surface and the pipes out of step long enough for the river and the
    /// underpasses to ring, and half the network steps did not converge.
    fn exchange_with_network(&mut self, dt: f64) {
        let Some(dd) = self.drainage.as_mut() else {
            return;
        };
        let max_dt = dd.network().options.routing_step_s.clamp(0.05, 60.0);
        let (h, z) = (&self.h, &self.z_map);
        dd.step(dt, max_dt, self.area, |c| h[c].to_f64(), |c| z[c]);
        for (k, c) in dd.slot_cells().enumerate() {
            let v = dd.deltas()[k];
            if v == 0.0 {
                continue;
            }
            let old = self.h[c].to_f64();
            let new = (old + v / self.area).max(0.0);
            self.h[c] = R::from_f64(new);
            let moved = (self.h[c].to_f64() - old) * self.area;
            if moved >= 0.0 {
                self.balance.from_network += moved;
                if new > self.hmax {
                    self.hmax = new;
                }
            } else {
                self.balance.to_network -= moved;
            }
            // Round-off between what the network booked and what the cell holds.
            self.balance.external += moved - v;
        }
    }

    /// The network's figures in the water balance.
    fn book_network(&mut self) {
        let Some(dd) = &self.drainage else { return };
        let c = dd.router.totals;
        self.balance.network_storage = c.storage;
        self.balance.network_inflow = c.inflow;
        self.balance.network_outflow = c.outflow;
        self.balance.network_lost = c.flooding_lost;
    }

    /// Wall time per kernel since the model was built (a measurement, not state).
    pub fn kernel_times(&self) -> KernelTimes {
        self.kernel
    }

    /// The coupled drainage network, if any.
    pub fn drainage(&self) -> Option<&DualDrainage> {
        self.drainage.as_deref()
    }

    /// The coupled drainage network, to set pumps and gates (failures, restores).
    pub fn drainage_mut(&mut self) -> Option<&mut DualDrainage> {
        self.drainage.as_deref_mut()
    }

    fn refresh_hmax(&mut self) {
        let m = self
            .h
            .par_chunks(4096)
            .map(|c| c.iter().map(|v| v.to_f64()).fold(0.0, f64::max))
            .reduce(|| 0.0, f64::max);
        self.hmax = m;
        self.hmax_dirty = false;
    }

    fn stage_depth_max(&self, t: f64) -> f64 {
        let mut m: f64 = 0.0;
        for b in &self.boundaries {
            if let Boundary::Stage { level_m, .. } = &b.spec {
                let lvl = level_m.value_at(t);
                for f in &b.faces {
                    m = m.max(lvl - self.z_map[f.cell]);
                }
            }
        }
        m
    }

    /// Advance to `t_end` (s), landing on it exactly.
    pub fn step_until(&mut self, t_end: f64) -> Result<StepStats, HydroError> {
        let mut stats = StepStats {
            min_dt: f64::INFINITY,
            ..Default::default()
        };
        if t_end < self.t - 1e-9 {
            return Err(HydroError::TimeInPast { t: self.t, t_end });
        }
        if self.hmax_dirty {
            self.refresh_hmax();
        }
        let t_start = self.t;
        let started = std::time::Instant::now();
        let budget = self
            .watchdog
            .max_substeps
            .unwrap_or_else(|| Watchdog::default_substeps(t_end - t_start));
        let si = self.cfg.source_interval_s;
        while t_end - self.t > 1e-9 * t_end.abs().max(1.0) {
            let mut k = (self.t / si + 1e-9).floor() + 1.0;
            if k * si - self.t < 1e-9 * si {
                k += 1.0;
            }
            let seg_end = (k * si).min(t_end);
            let seg_start = self.t;
            if !self.rain_separable {
                let clock = std::time::Instant::now();
                let tm = 0.5 * (seg_start + seg_end);
                self.rain.fill(&self.spec, tm, &mut self.rain_f64);
                let mut s = 0.0;
                for i in 0..self.rain_f64.len() {
                    let v = if self.blocked[i] {
                        0.0
                    } else {
                        self.rain_f64[i].max(0.0)
                    };
                    self.w_buf[i] = R::from_f64(v);
                    s += self.w_buf[i].to_f64();
                }
                self.w_buf_sum = s;
                self.kernel.rain += clock.elapsed().as_secs_f64();
            }
            let mut rain_scale = 0.0;
            while seg_end - self.t > 1e-12 * seg_end.abs().max(1.0) {
                rain_scale += self.substep(seg_end, &mut stats)?;
                self.check_watchdog(&stats, t_start, t_end, started, budget)?;
            }
            self.t = seg_end;
            if let Some(l) = &mut self.losses {
                let clock = std::time::Instant::now();
                let w = if self.rain_separable {
                    &self.w_static
                } else {
                    &self.w_buf
                };
                let (inf, dr) = l.apply(&mut self.h, w, rain_scale, seg_end - seg_start);
                self.balance.infiltration += inf * self.area;
                self.balance.drained += dr * self.area;
                self.kernel.losses += clock.elapsed().as_secs_f64();
            }
        }
        self.t = t_end.max(self.t);
        self.book_network();
        self.accumulate_outputs();
        let s = self.storage();
        self.balance.storage = s;
        self.balance.t = self.t;
        if stats.substeps == 0 {
            stats.min_dt = 0.0;
        }
        Ok(stats)
    }

    /// Set the limits on each `step_until` call (sub-steps, wall time, interrupt flag).
    pub fn set_watchdog(&mut self, w: Watchdog) {
        self.watchdog = w;
    }

    /// Stop a call that cannot reach its end, or that was interrupted. The model stays at
    /// the last committed sub-step (a consistent state, between sub-steps).
    fn check_watchdog(
        &self,
        stats: &StepStats,
        t_start: f64,
        t_end: f64,
        started: std::time::Instant,
        budget: u64,
    ) -> Result<(), HydroError> {
        use std::sync::atomic::Ordering;
        if let Some(flag) = &self.watchdog.interrupt
            && flag.load(Ordering::Relaxed)
        {
            return Err(HydroError::Interrupted { t: self.t, t_end });
        }
        let limit = if stats.substeps >= budget {
            format!("{budget} sub-steps were not enough")
        } else if let Some(w) = self.watchdog.max_wall
            && started.elapsed() > w
        {
            format!("{} s of wall time were not enough", num(w.as_secs_f64()))
        } else {
            return Ok(());
        };
        let p = self.cfg.surface;
        let stage = self.stage_depth_max(self.t);
        let depth = self.hmax.max(stage);
        let speed = (p.g * depth).sqrt().max(self.wave_speed);
        let dt_cfl = if speed > 0.0 {
            p.alpha * self.dx / speed
        } else {
            f64::INFINITY
        };
        let dt = if stats.substeps > 0 {
            (self.t - t_start) / stats.substeps as f64
        } else {
            0.0
        };
        let cause = if p.max_dt < dt_cfl {
            format!(
                "hydro.max_dt ({} s) is what limits the sub-step; a district needs no less than \
                 about 0.01 s",
                num(p.max_dt)
            )
        } else if stage > 100.0 || (stage >= self.hmax && stage > 0.0) {
            format!(
                "a boundary stage {} m above the terrain at its edge cells (boundaries: Stage \
                 series) — far above any flood",
                num(stage)
            )
        } else if stats.retries > 0 && dt < 0.25 * dt_cfl {
            format!(
                "{} retried sub-steps halved the step (see the diagnostics); the water at the \
                 named cells is unstable — check the Manning's n, the rain and the inflows there",
                stats.retries
            )
        } else {
            format!(
                "water {} m deep moving at {} m/s sets a step of {} s: an initial depth or \
                 level (hydro.initial_depth_m, hydro.initial_levels), an inflow (boundaries: \
                 EdgeInflow/PointInflow) or rain far above what a district can have",
                num(self.hmax),
                num(speed),
                num(dt_cfl)
            )
        };
        Err(HydroError::Stalled {
            limit,
            t_start,
            t_end,
            t: self.t,
            substeps: stats.substeps,
            dt,
            depth,
            speed,
            max_dt: p.max_dt,
            cause,
        })
    }

    /// One committed sub-step ending at most at `seg_end`; returns the rain scale used
    /// (m per unit weight).
    fn substep(&mut self, seg_end: f64, stats: &mut StepStats) -> Result<f64, HydroError> {
        let p = self.cfg.surface;
        let hm = self.hmax.max(self.stage_depth_max(self.t));
        // With advection the signal speed is |u| + √(g·h): the largest cell value the
        // last flux pass saw (|u| capped like the advected velocities). It lags the
        // state by one sub-step; α < 1 covers the change over one step, and a step
        // that still fails the health checks is retried with half the Δt.
        let speed = (p.g * hm).sqrt().max(self.wave_speed);
        let dt_cfl = if speed > 0.0 {
            p.alpha * self.dx / speed
        } else {
            p.max_dt
        };
        let dt_allowed = dt_cfl.min(p.max_dt);
        let remaining = seg_end - self.t;
        // Spread the rest of the interval over equal sub-steps instead of ending with a
        // short one: a repeating long-long-short Δt pattern excites a parametric
        // instability of the (nearly undamped) scheme at low friction — seen as a
        // growing checkerboard on the plane-wave case. Never more sub-steps than with
        // the short landing step.
        let k = (remaining / dt_allowed * (1.0 - 1e-12)).ceil().max(1.0);
        let mut dt = remaining / k;
        let mut lands = k == 1.0;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match self.try_step(dt) {
                Ok(rain_scale) => {
                    let clock = std::time::Instant::now();
                    self.exchange_with_network(dt);
                    self.kernel.drainage += clock.elapsed().as_secs_f64();
                    self.t = if lands { seg_end } else { self.t + dt };
                    stats.substeps += 1;
                    stats.cell_updates += self.spec.len() as u64;
                    stats.min_dt = stats.min_dt.min(dt);
                    stats.max_dt = stats.max_dt.max(dt);
                    return Ok(rain_scale);
                }
                Err(f) => {
                    if attempts > p.max_retries {
                        let (x, y) = self.spec.cell_centre(f.row, f.col);
                        return Err(HydroError::Numerical {
                            t: self.t,
                            dt,
                            attempts,
                            row: f.row,
                            col: f.col,
                            x,
                            y,
                            what: f.what,
                        });
                    }
                    self.health.push(HealthEvent {
                        t: self.t,
                        dt,
                        row: f.row,
                        col: f.col,
                        what: f.what,
                    });
                    stats.retries += 1;
                    dt *= 0.5;
                    lands = false;
                }
            }
        }
    }

    fn try_step(&mut self, dt: f64) -> Result<f64, Fault> {
        let p = self.cfg.surface;
        let d = self.d;
        let t = self.t;
        // Rain: the exact mean of the uniform series over the sub-step, per unit weight.
        let (rain_scale, w_sum) = if self.rain_separable {
            (
                self.rain.uniform_depth(t, t + dt).max(0.0),
                self.w_static_sum,
            )
        } else {
            (dt, self.w_buf_sum)
        };
        let fk = FluxK::<R>::new(&p, self.dx, dt);
        let uk = UpdK::<R> {
            rain_dt: R::from_f64(rain_scale),
            dt_dx: R::from_f64(dt / self.dx),
            neg_tol: R::from_f64(-(256.0 * R::EPSILON.to_f64()) * self.hmax.max(1.0)),
        };
        let clock = std::time::Instant::now();
        self.boundary_faces(t, dt);
        self.kernel.boundaries += clock.elapsed().as_secs_f64();
        if !p.advection {
            return self.fused_step(dt, rain_scale, w_sum, &fk, &uk);
        }
        let clock = std::time::Instant::now();
        let flux = {
            let inp = FluxIn {
                z: &self.z,
                h: &self.h,
                n: &self.n,
                qx: &self.qx,
                qy: &self.qy,
            };
            surface::flux_pass(
                d,
                &p,
                &fk,
                &inp,
                &mut self.qx_raw,
                &mut self.qy_raw,
                &mut self.vel_scratch,
            )
        };
        self.kernel.fluxes += clock.elapsed().as_secs_f64();
        if self.inject_debug_nan() || !flux.finite {
            return Err(self.find_flux_fault());
        }
        let clock = std::time::Instant::now();
        self.edge.write(&mut self.qx_raw, &mut self.qy_raw);
        self.kernel.boundaries += clock.elapsed().as_secs_f64();
        let clock = std::time::Instant::now();
        let w = weights(self.rain_separable, &self.w_static, &self.w_buf);
        let out = {
            let inp = UpdIn {
                h: &self.h,
                w,
                qx: &self.qx_raw,
                qy: &self.qy_raw,
            };
            surface::update_pass(d, &p, &uk, &inp, &mut self.h_next, &mut self.scratch)
        };
        if out.hmax_bits >= R::INF_BITS || out.negative > 0 {
            return Err(self.find_depth_fault(&uk, w));
        }
        self.finish_step(
            dt,
            rain_scale,
            w_sum,
            &uk,
            out.hmax_bits,
            flux.wave_speed,
            clock,
        );
        Ok(rain_scale)
    }

    /// The sub-step without advection: fluxes, edge discharges and depths in one pass
    /// ([`surface::fused_pass`]; the same values as the three separate steps).
    fn fused_step(
        &mut self,
        dt: f64,
        rain_scale: f64,
        w_sum: f64,
        fk: &FluxK<R>,
        uk: &UpdK<R>,
    ) -> Result<f64, Fault> {
        let p = self.cfg.surface;
        let clock = std::time::Instant::now();
        let w = weights(self.rain_separable, &self.w_static, &self.w_buf);
        let inp = FluxIn {
            z: &self.z,
            h: &self.h,
            n: &self.n,
            qx: &self.qx,
            qy: &self.qy,
        };
        let (flux, out) = surface::fused_pass(
            self.d,
            &p,
            fk,
            uk,
            &inp,
            w,
            &self.edge,
            &mut self.qx_raw,
            &mut self.qy_raw,
            &mut self.h_next,
            &mut self.scratch,
        );
        self.kernel.fluxes += clock.elapsed().as_secs_f64();
        if self.inject_debug_nan() || !flux.finite {
            return Err(self.find_flux_fault());
        }
        let w = weights(self.rain_separable, &self.w_static, &self.w_buf);
        if out.hmax_bits >= R::INF_BITS || out.negative > 0 {
            return Err(self.find_depth_fault(uk, w));
        }
        let clock = std::time::Instant::now();
        self.finish_step(dt, rain_scale, w_sum, uk, out.hmax_bits, 0.0, clock);
        Ok(rain_scale)
    }

    /// Test hook: put a NaN on a face of the pending discharges (see
    /// [`Model::debug_inject_nan`]); true if it did.
    fn inject_debug_nan(&mut self) -> bool {
        let nc = self.d.nc;
        match self.debug_nan {
            Some((cell, left)) if left > 0 => {
                let (r, c) = (cell / nc, cell % nc);
                self.qx_raw[r * (nc + 1) + c + 1] = R::from_f64(f64::NAN);
                self.debug_nan = Some((cell, left - 1));
                true
            }
            _ => false,
        }
    }

    /// Commit a sub-step that passed its checks: the boundaries' volumes (with exactly
    /// the limited fluxes the update moved), point inflows, the rain booked, and the new
    /// state swapped in. `clock` started the update kernel's timing.
    #[allow(clippy::too_many_arguments)]
    fn finish_step(
        &mut self,
        dt: f64,
        rain_scale: f64,
        w_sum: f64,
        uk: &UpdK<R>,
        hmax_bits: R::Bits,
        wave_speed: f64,
        clock: std::time::Instant,
    ) {
        let d = self.d;
        let t = self.t;
        let w = weights(self.rain_separable, &self.w_static, &self.w_buf);
        // Boundary accounting with exactly the limited fluxes the update pass moved.
        let inp = UpdIn {
            h: &self.h,
            w,
            qx: &self.qx_raw,
            qy: &self.qy_raw,
        };
        let mut hmax = R::from_bits(hmax_bits).to_f64();
        for b in &mut self.boundaries {
            let (mut vin, mut vout) = (0.0, 0.0);
            for f in &b.faces {
                let q = if f.x {
                    self.qx_raw[f.face]
                } else {
                    self.qy_raw[f.face]
                }
                .to_f64();
                let o = q * f.out_sign;
                if o > 0.0 {
                    let fac = surface::cell_factor(d, uk, &inp, f.row, f.col).to_f64();
                    vout += o * fac * self.dx * dt;
                } else {
                    vin -= o * self.dx * dt;
                }
            }
            if let (Some(cell), Boundary::PointInflow { q_m3_s, .. }) = (b.point_cell, &b.spec) {
                let q = q_m3_s.mean(t, t + dt).max(0.0);
                let before = self.h_next[cell];
                self.h_next[cell] = before + R::from_f64(q * dt / self.area);
                vin += (self.h_next[cell] - before).to_f64() * self.area;
                hmax = hmax.max(self.h_next[cell].to_f64());
            }
            b.flow.inflow_m3 += vin;
            b.flow.outflow_m3 += vout;
            b.flow.last_q_out_m3_s = (vout - vin) / dt;
            self.balance.boundary_inflow += vin;
            self.balance.boundary_outflow += vout;
        }
        self.kernel.update += clock.elapsed().as_secs_f64();
        self.balance.rain += rain_scale * w_sum * self.area;
        std::mem::swap(&mut self.h, &mut self.h_next);
        std::mem::swap(&mut self.qx, &mut self.qx_raw);
        std::mem::swap(&mut self.qy, &mut self.qy_raw);
        self.hmax = hmax;
        self.wave_speed = wave_speed;
    }

    /// The discharges the boundaries put on their edge faces in the sub-step from `t`
    /// to `t + dt` (pure functions of the old state), into `self.edge`, sorted.
    fn boundary_faces(&mut self, t: f64, dt: f64) {
        let p = self.cfg.surface;
        let thr = p.depth_threshold;
        let dx = self.dx;
        let edge = &mut self.edge;
        edge.x.clear();
        edge.y.clear();
        let (h, qx, qy, n, z_map) = (&self.h, &self.qx, &self.qy, &self.n, &self.z_map);
        let mut set = |f: &BFace, q: f64| {
            if f.x {
                edge.x.push((f.face, R::from_f64(q)));
            } else {
                edge.y.push((f.face, R::from_f64(q)));
            }
        };
        for b in &self.boundaries {
            match &b.spec {
                Boundary::FreeOutflow { slope, manning, .. } => {
                    let ss = slope.sqrt();
                    for f in &b.faces {
                        let hc = h[f.cell].to_f64();
                        let nn = manning.unwrap_or(n[f.cell].to_f64());
                        let q = if hc > thr {
                            hc.powf(5.0 / 3.0) * ss / nn
                        } else {
                            0.0
                        };
                        set(f, f.out_sign * q);
                    }
                }
                Boundary::Stage { level_m, .. } => {
                    let lvl = level_m.value_at(t + 0.5 * dt);
                    for f in &b.faces {
                        let zc = z_map[f.cell];
                        let eta = zc + h[f.cell].to_f64();
                        let q_old = if f.x { qx[f.face] } else { qy[f.face] }.to_f64();
                        let nn = n[f.cell].to_f64();
                        let q =
                            surface::inertial_face(&p, dx, dt, q_old, eta, zc, lvl, nn, f.out_sign);
                        set(f, q);
                    }
                }
                Boundary::UnitInflow { q_m2_s, .. } => {
                    let q = q_m2_s.mean(t, t + dt).max(0.0);
                    for f in &b.faces {
                        set(f, -f.out_sign * q);
                    }
                }
                Boundary::PointInflow { .. } => {}
            }
        }
        self.edge.sort();
    }

    fn find_flux_fault(&self) -> Fault {
        let (nr, nc) = (self.d.nr, self.d.nc);
        let nx = nc + 1;
        for r in 0..nr {
            for c in 0..nx {
                let q = self.qx_raw[r * nx + c];
                if !q.is_finite() {
                    // Name the cell west of the face (the east cell for the west edge).
                    let (cc, side) = if c == 0 { (0, "west") } else { (c - 1, "east") };
                    let i = r * nc + cc;
                    return Fault {
                        row: r,
                        col: cc,
                        what: format!(
                            "x-face discharge {} m²/s on the {side} face (old {}; depth {} m, bed {} m)",
                            num(q.to_f64()),
                            num(self.qx[r * nx + c].to_f64()),
                            num(self.h[i].to_f64()),
                            num(self.z_map[i])
                        ),
                    };
                }
            }
        }
        for r in 0..=nr {
            for c in 0..nc {
                let q = self.qy_raw[r * nc + c];
                if !q.is_finite() {
                    // Name the cell north of the face (the south cell for the north edge).
                    let (rr, side) = if r == 0 {
                        (0, "north")
                    } else {
                        (r - 1, "south")
                    };
                    let i = rr * nc + c;
                    return Fault {
                        row: rr,
                        col: c,
                        what: format!(
                            "y-face discharge {} m²/s on the {side} face (old {}; depth {} m, bed {} m)",
                            num(q.to_f64()),
                            num(self.qy[r * nc + c].to_f64()),
                            num(self.h[i].to_f64()),
                            num(self.z_map[i])
                        ),
                    };
                }
            }
        }
        Fault {
            row: 0,
            col: 0,
            what: "non-finite discharge (not found on rescan)".into(),
        }
    }

    fn find_depth_fault(&self, uk: &UpdK<R>, w: &[R]) -> Fault {
        let nc = self.d.nc;
        for (i, v) in self.h_next.iter().enumerate() {
            if !v.is_finite() {
                return Fault {
                    row: i / nc,
                    col: i % nc,
                    what: format!(
                        "new depth {} m (old depth {} m, rain {} m/step, bed {} m)",
                        num(v.to_f64()),
                        num(self.h[i].to_f64()),
                        num((uk.rain_dt * w[i]).to_f64()),
                        num(self.z_map[i])
                    ),
                };
            }
        }
        // Negative depth: recompute the raw values sequentially to name the cell.
        let inp = UpdIn {
            h: &self.h,
            w,
            qx: &self.qx_raw,
            qy: &self.qy_raw,
        };
        let (nr, nx) = (self.d.nr, nc + 1);
        let fac = |r: isize, c: isize| -> R {
            if r < 0 || c < 0 || r >= nr as isize || c >= nc as isize {
                R::ONE
            } else {
                surface::cell_factor(self.d, uk, &inp, r as usize, c as usize)
            }
        };
        for r in 0..nr {
            for c in 0..nc {
                let (ri, ci) = (r as isize, c as isize);
                let qw = self.qx_raw[r * nx + c];
                let qe = self.qx_raw[r * nx + c + 1];
                let qn = self.qy_raw[r * nc + c];
                let qs = self.qy_raw[(r + 1) * nc + c];
                let fw = if qw > R::ZERO {
                    fac(ri, ci - 1)
                } else {
                    fac(ri, ci)
                };
                let fe = if qe > R::ZERO {
                    fac(ri, ci)
                } else {
                    fac(ri, ci + 1)
                };
                let fn_ = if qn > R::ZERO {
                    fac(ri - 1, ci)
                } else {
                    fac(ri, ci)
                };
                let fs = if qs > R::ZERO {
                    fac(ri, ci)
                } else {
                    fac(ri + 1, ci)
                };
                let i = r * nc + c;
                let dd = ((qw * fw - qe * fe) + (qn * fn_ - qs * fs)) * uk.dt_dx;
                let hn = (self.h[i] + uk.rain_dt * w[i]) + dd;
                if hn < uk.neg_tol {
                    return Fault {
                        row: r,
                        col: c,
                        what: format!(
                            "negative depth {} m (old depth {} m, net flux {} m)",
                            num(hn.to_f64()),
                            num(self.h[i].to_f64()),
                            num(dd.to_f64())
                        ),
                    };
                }
            }
        }
        Fault {
            row: 0,
            col: 0,
            what: "negative depth (not found on rescan)".into(),
        }
    }

    fn accumulate_outputs(&mut self) {
        let (nc, nx) = (self.d.nc, self.d.nc + 1);
        let vmin = self.cfg.velocity_min_depth;
        let fd = self.cfg.flood_depth;
        let t = self.t;
        let (h, qx, qy) = (&self.h, &self.qx, &self.qy);
        let o = &mut self.outputs;
        let ch = CHUNK_ROWS * nc;
        o.max_depth
            .par_chunks_mut(ch)
            .zip(o.max_speed.par_chunks_mut(ch))
            .zip(o.max_hazard.par_chunks_mut(ch))
            .zip(o.first_flooded.par_chunks_mut(ch))
            .enumerate()
            .for_each(|(ci, (((md, ms), mh), ff))| {
                let base = ci * ch;
                for j in 0..md.len() {
                    let i = base + j;
                    let (r, c) = (i / nc, i % nc);
                    let d = h[i].to_f64();
                    let v = if d > vmin {
                        let ux = 0.5 * (qx[r * nx + c].to_f64() + qx[r * nx + c + 1].to_f64());
                        let uy = 0.5 * (qy[r * nc + c].to_f64() + qy[(r + 1) * nc + c].to_f64());
                        (ux * ux + uy * uy).sqrt() / d
                    } else {
                        0.0
                    };
                    let hz = d * (v + 0.5);
                    md[j] = md[j].max(d as f32);
                    ms[j] = ms[j].max(v as f32);
                    mh[j] = mh[j].max(hz as f32);
                    if d > fd && ff[j].is_nan() {
                        ff[j] = t;
                    }
                }
            });
        if !self.boundaries.is_empty() {
            self.flow_samples.push(FlowSample {
                t,
                volumes: self
                    .boundaries
                    .iter()
                    .map(|b| (b.flow.inflow_m3, b.flow.outflow_m3))
                    .collect(),
            });
        }
        for k in 0..self.probes.len() {
            let (r, c) = (self.probes[k].row, self.probes[k].col);
            let depth = self.h[r * nc + c].to_f64();
            let (vx, vy) = self.velocity(r, c);
            self.probes[k].samples.push(ProbeSample {
                t,
                depth,
                speed: vx.hypot(vy),
            });
        }
    }
}

#[cfg(test)]
mod watchdog_tests {
    use super::*;
    use crate::hydro::{Edge, EdgeSegment, HydroModel, Interp, Series};

    fn flat() -> Grid<f64> {
        let spec = GridSpec {
            ncols: 8,
            nrows: 6,
            xll: 0.0,
            yll: 0.0,
            cell: 10.0,
        };
        Grid::filled(spec, 10.0)
    }

    #[test]
    fn a_stage_kilometres_above_the_terrain_stalls_and_names_the_stage() {
        let mut m: HydroModel = HydroModel::builder(&flat())
            .uniform_manning(0.03)
            .boundary(Boundary::Stage {
                segment: EdgeSegment::whole(Edge::West),
                level_m: Series::new(&[(0.0, 4294967296.0)], Interp::Linear).unwrap(),
            })
            .build()
            .unwrap();
        m.set_watchdog(Watchdog {
            max_substeps: Some(1000),
            ..Default::default()
        });
        let e = m.step_until(10.0).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, HydroError::Stalled { .. }), "{text}");
        assert!(text.contains("boundary stage"), "{text}");
        assert!(text.contains("4.295e9"), "{text}");
    }

    #[test]
    fn a_microsecond_max_dt_stalls_and_names_hydro_max_dt() {
        let mut cfg = HydroConfig::default();
        cfg.surface.max_dt = 1e-6;
        let mut depth = flat();
        depth.data.iter_mut().for_each(|d| *d = 0.1);
        let mut m: HydroModel = HydroModel::builder(&flat())
            .uniform_manning(0.03)
            .initial_depth(&depth)
            .config(cfg)
            .build()
            .unwrap();
        // The default budget of a 10 s step (210 000 sub-steps) is spent long before
        // the 10 000 000 this step needs.
        let e = m.step_until(10.0).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("hydro.max_dt"), "{text}");
        assert!(m.time() < 10.0 && m.time() > 0.0);
    }

    #[test]
    fn the_interrupt_flag_stops_a_step_between_sub_steps() {
        let mut m: HydroModel = HydroModel::builder(&flat())
            .uniform_manning(0.03)
            .build()
            .unwrap();
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        m.set_watchdog(Watchdog {
            interrupt: Some(flag),
            ..Default::default()
        });
        assert!(matches!(
            m.step_until(10.0),
            Err(HydroError::Interrupted { .. })
        ));
    }

    #[test]
    fn numbers_in_messages_are_short() {
        assert_eq!(num(1e300), "1.000e300");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(1e-6), "1.000e-6");
        assert_eq!(num(-0.00001), "-1.000e-5");
    }
}
