//! Hydraulics: rain fields, infiltration, 2D surface flow, boundaries, breaches.
//!
//! Plain-Rust kernels over contiguous row-major grids (row 0 north), parallel with
//! rayon inside, bit-identical on any thread count; no Bevy types. The entry point is
//! [`HydroModel`] (built with [`Model::builder`]): it owns the terrain, the water state,
//! the forcing and the accumulators, and advances with [`Model::step_until`].
//!
//! | module | holds |
//! |---|---|
//! | `surface` | the local inertial flux and update kernels, [`SurfaceParams`] |
//! | `model` | [`Model`], [`HydroConfig`], stepping, health checks, the sink API |
//! | `rain` | [`RainField`] and its sources: series, Chicago storm, moving cell, frames, zones |
//! | `series` | [`Series`] and its CSV / LISFLOOD-FP readers |
//! | `infiltration` | [`LossClass`]: Horton, SCS curve number, impervious fraction, drainage |
//! | `boundary` | [`Boundary`]: free outflow, stage, inflows |
//! | `breach` | [`Breach`]: a crest lowered over time |
//! | `outputs`, `balance` | [`MaxOutputs`], [`Probe`], [`WaterBalance`] |
//! | `bench` | [`surface_bench`] |
//! | `drainage` | the pipe network: SWMM `.inp` reading, dynamic-wave routing |
//!
//! Units: SI throughout (m, s, m/s, m²/s, m³), except rain and drainage in mm/h and
//! Horton rates in mm/h at the interface.

// Negated comparisons such as `!(x > 0.0)` are deliberate throughout: they reject NaN,
// which `x <= 0.0` would let through.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod any;
mod balance;
pub mod bench;
mod boundary;
mod breach;
pub mod drainage;
mod infiltration;
mod model;
mod outputs;
mod rain;
mod real;
mod series;
mod surface;

pub use any::AnyModel;
pub use balance::WaterBalance;
pub use bench::{BenchResult, surface_bench};
pub use boundary::{Boundary, BoundaryFlow, Edge, EdgeSegment};
pub use breach::Breach;
pub use infiltration::{Horton, Infiltration, LossClass, LossError, LossState, Losses, Scs};
pub use model::{
    FlowSample, HealthEvent, HydroConfig, HydroError, KernelTimes, Model, ModelBuilder, ModelState,
    StepStats, Watchdog, num,
};
pub use outputs::{MaxOutputs, Probe, ProbeSample};
pub use rain::{
    ChicagoStorm, GriddedFrames, IdfParams, MM_PER_H, MovingCell, RainError, RainField, RainSource,
    ZoneScaling,
};
pub use real::Real;
pub use series::{Interp, Series, SeriesError, parse_duration};
pub use surface::{BLOCKED_Z, CHUNK_ROWS, SurfaceError, SurfaceParams};

/// The hydraulic model the engine uses (f64 state; see the `surface` module docs).
pub type HydroModel = Model<f64>;
/// The same model in f32 (half the memory traffic; a scenario's `hydro.precision: F32`,
/// through [`AnyModel`]).
pub type HydroModelF32 = Model<f32>;
