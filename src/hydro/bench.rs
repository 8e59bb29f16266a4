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

/// Result of the drainage benchmark: the same surface alone and with the network.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DrainageBenchResult {
    /// The surface alone.
    pub surface: BenchResult,
    /// Wall-clock time of the coupled run, s.
    pub coupled_wall_s: f64,
    /// Surface sub-steps of the coupled run.
    pub coupled_substeps: u64,
    /// Network routing steps of the coupled run.
    pub network_steps: u64,
    /// Head iterations of those steps.
    pub network_trials: u64,
    /// Nodes and links of the network.
    pub nodes: usize,
    /// Links.
    pub links: usize,
    /// Coupled inlets.
    pub inlets: usize,
    /// Water the network took from the surface over the timed part, m³.
    pub captured_m3: f64,
    /// Wall-clock time the coupled run spent in the network (routing and exchange), s.
    pub network_wall_s: f64,
}

/// The benchmark's street sewers as an EPA SWMM `.inp`: manholes 40 m apart along the
/// street lines of [`bench_grid`] (rows and columns ≡ 2 mod 24): trunks along the
/// east–west streets to a free outfall off the west edge, branches along the
/// north–south streets into the nearest trunk; 1.5 m cover, 0.1 % fall, diameters
/// by the area upstream (0.8 × 50 mm/h over a 120 m strip).
pub fn bench_network_inp(size: usize) -> String {
    use std::fmt::Write as _;
    let (dem, _, _) = bench_grid(size);
    let z = |r: usize, c: usize| *dem.get(r, c);
    let name = |r: usize, c: usize| format!("N{r}_{c}");
    let xy_of = |r: usize, c: usize| (c as f64 * 5.0 + 2.5, (size - 1 - r) as f64 * 5.0 + 2.5);
    let diam = |area: f64| {
        let q = 0.8 * 50.0 / 3.6e6 * area;
        [0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 1.8, 2.0, 2.4]
            .into_iter()
            .find(|d: &f64| {
                let a = std::f64::consts::PI * d * d / 4.0;
                a * (d / 4.0).powf(2.0 / 3.0) * 0.002f64.sqrt() / 0.013 >= q
            })
            .unwrap_or(2.4)
    };
    let (mut j, mut co, mut xs, mut xy, mut of) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut link = 0usize;
    let mut pipe = |co: &mut String, xs: &mut String, a: &str, b: &str, d: f64| {
        link += 1;
        let _ = writeln!(co, "P{link} {a} {b} 40.0 0.013 0 0 0 0");
        let _ = writeln!(xs, "P{link} CIRCULAR {d:.2} 0 0 0 1");
    };
    let node = |j: &mut String, xy: &mut String, r: usize, c: usize, inv: f64| {
        let _ = writeln!(j, "{} {inv:.3} {:.3} 0 0 0", name(r, c), z(r, c) - inv);
        let (x, y) = xy_of(r, c);
        let _ = writeln!(xy, "{} {x:.1} {y:.1}", name(r, c));
    };
    let lines: Vec<usize> = (2..size).step_by(24).collect();
    let strip = 40.0 * 120.0;
    // Branches: manholes 8 and 16 rows past each trunk line, on every north–south line.
    let mut feed = std::collections::BTreeMap::new(); // (trunk row, col) → area
    for &c in &lines {
        for &l in &lines {
            let (r1, r2) = (l + 8, l + 16);
            if r1 >= size {
                continue;
            }
            let next = l + 24;
            let down2 = if next < size { next } else { r1 };
            if r2 < size {
                node(&mut j, &mut xy, r2, c, z(r2, c) - 1.8);
                pipe(&mut co, &mut xs, &name(r2, c), &name(down2, c), 0.3);
                if down2 == next {
                    *feed.entry((next, c)).or_insert(0.0) += strip;
                }
            }
            node(&mut j, &mut xy, r1, c, z(r1, c) - 1.8);
            pipe(&mut co, &mut xs, &name(r1, c), &name(l, c), 0.3);
            let up = if r2 < size && down2 != next { 2.0 } else { 1.0 };
            *feed.entry((l, c)).or_insert(0.0) += up * strip;
        }
    }
    // Trunks: west along each east–west line, a manhole every 8 columns.
    let cols: Vec<usize> = (2..size).step_by(8).collect();
    for &r in &lines {
        let mut area = 0.0;
        let mut inv = f64::INFINITY;
        let mut prev: Option<(usize, f64)> = None;
        for &c in cols.iter().rev() {
            area += strip + feed.get(&(r, c)).copied().unwrap_or(0.0);
            let d = diam(area);
            inv = (z(r, c) - 1.5 - d).min(inv - 0.04);
            node(&mut j, &mut xy, r, c, inv);
            if let Some((pc, pd)) = prev {
                pipe(&mut co, &mut xs, &name(r, pc), &name(r, c), pd);
            }
            prev = Some((c, d));
        }
        let (c0, d0) = prev.unwrap_or((2, 0.3));
        let _ = writeln!(of, "OUT{r} {:.3} FREE NO", inv - 0.04);
        let _ = writeln!(xy, "OUT{r} -37.5 {:.1}", xy_of(r, c0).1);
        pipe(&mut co, &mut xs, &name(r, c0), &format!("OUT{r}"), d0);
    }
    format!(
        "[OPTIONS]\nFLOW_UNITS CMS\nFLOW_ROUTING DYNWAVE\nROUTING_STEP 0:00:05\nVARIABLE_STEP 0.75\n\n[JUNCTIONS]\n{j}\n[OUTFALLS]\n{of}\n[CONDUITS]\n{co}\n[XSECTIONS]\n{xs}\n[COORDINATES]\n{xy}"
    )
}

/// Run the drainage benchmark: [`surface_bench`]'s grid alone, then the same grid
/// coupled to [`bench_network_inp`] (every manhole an inlet), each for `sim_seconds`
/// after the same warm-up, in a pool of `threads` threads.
pub fn drainage_bench(size: usize, threads: usize, sim_seconds: f64) -> DrainageBenchResult {
    use super::drainage::{CouplingParams, DualDrainage, parse_inp};
    let surface = surface_bench_with::<f64>(size, threads, sim_seconds);
    let net = parse_inp(&bench_network_inp(size), "bench.inp").expect("bench network is valid");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("rayon pool");
    pool.install(|| {
        let (dem, blocked, depth) = bench_grid(size);
        let spec = dem.spec;
        let dd = DualDrainage::new(
            &net,
            CouplingParams::default(),
            |x, y| spec.cell_at(x, y).map(|(r, c)| spec.idx(r, c)),
            |_| None,
        );
        let inlets = dd.inlets.len();
        let mut m = Model::<f64>::builder(&dem)
            .uniform_manning(0.02)
            .blocked(&blocked)
            .initial_depth(&depth)
            .rain(RainField::uniform(Series::constant(50.0)))
            .drainage(dd)
            .build()
            .expect("benchmark model is valid");
        m.step_until(5.0).expect("warm-up");
        let t0 = m.time();
        let (steps0, cap0, tr0, w0) = m.drainage().map_or((0, 0.0, 0, 0.0), |d| {
            (
                d.router.steps,
                d.router.totals.exchange_in,
                d.router.trials,
                d.wall_s,
            )
        });
        let start = Instant::now();
        let s = m.step_until(t0 + sim_seconds).expect("benchmark run");
        let wall = start.elapsed().as_secs_f64();
        let (steps1, cap1, tr1, w1) = m.drainage().map_or((0, 0.0, 0, 0.0), |d| {
            (
                d.router.steps,
                d.router.totals.exchange_in,
                d.router.trials,
                d.wall_s,
            )
        });
        DrainageBenchResult {
            surface,
            coupled_wall_s: wall,
            coupled_substeps: s.substeps,
            network_steps: steps1 - steps0,
            network_trials: tr1 - tr0,
            nodes: net.nodes.len(),
            links: net.links.len(),
            inlets,
            captured_m3: cap1 - cap0,
            network_wall_s: w1 - w0,
        }
    })
}
