//! The surface-flow benchmark: a wet urban-like grid, timed.
//!
//! The grid: 5 m cells; bumpy terrain (a gentle tilt plus two scales of waves); about
//! 12 % of the cells in blocked building footprints (rectangles on a street grid);
//! every open cell wet (water surface a little above the terrain, ≥ 5 cm); 50 mm/h of
//! uniform rain; closed edges. After a short warm-up the model runs `sim_seconds` of
//! model time in a rayon pool of `threads` threads. The figure of merit is cell-updates
//! per wall-clock second (sub-steps × cells / s).

use std::time::Instant;

use super::model::{HydroConfig, Model};
use super::rain::RainField;
use super::real::Real;
use super::series::Series;
use crate::world::{Grid, GridSpec};

/// Result of one benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BenchResult {
    /// Grid size (cells per side).
    pub size: usize,
    /// Threads used.
    pub threads: usize,
    /// State precision ("f32" or "f64").
    pub precision: &'static str,
    /// Model seconds run (after warm-up).
    pub sim_seconds: f64,
    /// Sub-steps run.
    pub substeps: u64,
    /// Cell updates (sub-steps × cells).
    pub cell_updates: u64,
    /// Wall-clock time, s.
    pub wall_s: f64,
    /// Cell updates per wall-clock second.
    pub cell_updates_per_s: f64,
    /// Mean Δt, s.
    pub mean_dt: f64,
}

fn hash01(a: u64) -> f64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The benchmark grid: `(dem, blocked, initial depth)`.
pub fn bench_grid(size: usize) -> (Grid<f64>, Grid<bool>, Grid<f64>) {
    let spec = GridSpec {
        ncols: size,
        nrows: size,
        xll: 0.0,
        yll: 0.0,
        cell: 5.0,
    };
    let mut dem = Grid::filled(spec, 0.0);
    let mut blocked = Grid::filled(spec, false);
    let mut depth = Grid::filled(spec, 0.0);
    let block = 24usize;
    for r in 0..size {
        for c in 0..size {
            let (x, y) = (c as f64, r as f64);
            let z = 0.002 * x * 5.0
                + 0.4 * (x * 0.05).sin() * (y * 0.04).cos()
                + 0.08 * (x * 0.7 + y * 0.3).sin()
                + 0.02 * hash01((r * size + c) as u64);
            *dem.get_mut(r, c) = z;
            // Buildings: a rectangle inside most street blocks.
            let (br, bc) = (r / block, c / block);
            let (ir, ic) = (r % block, c % block);
            let hb = hash01((br * 7919 + bc) as u64);
            let (h0, w0) = (
                6 + (hb * 8.0) as usize,
                6 + (hash01((bc * 104_729 + br) as u64) * 8.0) as usize,
            );
            if hb > 0.15 && (6..6 + h0).contains(&ir) && (6..6 + w0).contains(&ic) {
                *blocked.get_mut(r, c) = true;
            }
        }
    }
    for r in 0..size {
        for c in 0..size {
            let z = *dem.get(r, c);
            let level = 0.5 + 0.002 * c as f64 * 5.0;
            *depth.get_mut(r, c) = if *blocked.get(r, c) {
                0.0
            } else {
                (level - z).max(0.05)
            };
        }
    }
    (dem, blocked, depth)
}

/// Build the benchmark model in precision `R`.
pub fn bench_model<R: Real>(size: usize) -> Model<R> {
    bench_model_with::<R>(size, HydroConfig::default())
}

/// Build the benchmark model in precision `R` with the given settings.
pub fn bench_model_with<R: Real>(size: usize, cfg: HydroConfig) -> Model<R> {
    let (dem, blocked, depth) = bench_grid(size);
    Model::<R>::builder(&dem)
        .uniform_manning(0.02)
        .blocked(&blocked)
        .initial_depth(&depth)
        .rain(RainField::uniform(Series::constant(50.0)))
        .config(cfg)
        .build()
        .expect("benchmark model is valid")
}

/// Run the benchmark in precision `R`.
pub fn surface_bench_with<R: Real>(size: usize, threads: usize, sim_seconds: f64) -> BenchResult {
    surface_bench_cfg::<R>(size, threads, sim_seconds, HydroConfig::default())
}

/// Run the benchmark in precision `R` with the given settings (e.g. advection off).
pub fn surface_bench_cfg<R: Real>(
    size: usize,
    threads: usize,
    sim_seconds: f64,
    cfg: HydroConfig,
) -> BenchResult {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("rayon pool");
    pool.install(|| {
        let mut m = bench_model_with::<R>(size, cfg);
        m.step_until(5.0).expect("warm-up");
        let t0 = m.time();
        let start = Instant::now();
        let s = m.step_until(t0 + sim_seconds).expect("benchmark run");
        let wall = start.elapsed().as_secs_f64();
        BenchResult {
            size,
            threads: threads.max(1),
            precision: R::NAME,
            sim_seconds,
            substeps: s.substeps,
            cell_updates: s.cell_updates,
            wall_s: wall,
            cell_updates_per_s: s.cell_updates as f64 / wall.max(1e-12),
            mean_dt: sim_seconds / s.substeps.max(1) as f64,
        }
    })
}

/// Run the benchmark with the engine's precision ([`crate::hydro::HydroModel`]): a
/// `size × size` grid, `threads` threads, `sim_seconds` of model time.
pub fn surface_bench(size: usize, threads: usize, sim_seconds: f64) -> BenchResult {
    surface_bench_with::<f64>(size, threads, sim_seconds)
}
