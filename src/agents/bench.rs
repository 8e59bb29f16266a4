//! The household-step benchmark: a synthetic grid district with water on some streets
//! and most households on the move.
//!
//! # How
//! A 100 × 100 node street grid (100 m blocks, 30 km/h, two lanes) with four zones
//! (quadrants) and a shelter near each corner, one per zone. Every 7th edge carries
//! 0.2 m of water (slower), every 31st 0.4 m (closed to cars); a shallow sheet (0.05 m,
//! 0.2 m/s) covers the hazard grid. All zones are warned at t = 0 (reach 1, median
//! reception 10 s, mobilisation median 60 s, σ 0.3); after 300 s of warm-up the bench
//! times `ticks` steps of 5 s. Only [`Households::step`] is timed.
//!
//! Units: household-updates per second = households × timed ticks / wall seconds.

use std::time::Instant;

use crate::agents::households::{HouseholdState, Households};
use crate::agents::params::{AgentParams, ChannelParams};
use crate::agents::routes::ShelterRoutes;
use crate::agents::shelters::{ShelterSpec, Shelters};
use crate::agents::step::{Water, WaterGrids};
use crate::world::grid::GridSpec;
use crate::world::roads::RoadGraph;
use crate::world::routing::{CostParams, EdgeCosts};
use crate::world::vector::{Building, Road, Zone};

/// What the household benchmark measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// Households simulated.
    pub households: usize,
    /// Rayon threads.
    pub threads: usize,
    /// Timed ticks.
    pub ticks: usize,
    /// Wall time of the timed steps, seconds.
    pub seconds: f64,
    /// Households × ticks / seconds.
    pub household_updates_per_s: f64,
    /// Share of households `Moving` at the end.
    pub moving_share: f64,
    /// Digest of the final state (same on any thread count).
    pub digest: [u8; 32],
}

const N: usize = 100;
const BLOCK: f64 = 100.0;

fn grid_roads() -> Vec<Road> {
    let mut roads = Vec::with_capacity(2 * N);
    let ext = (N - 1) as f64 * BLOCK;
    for k in 0..N {
        let c = k as f64 * BLOCK;
        for (id, line) in [
            (
                format!("H{k}"),
                (0..N).map(|j| (j as f64 * BLOCK, c)).collect::<Vec<_>>(),
            ),
            (
                format!("V{k}"),
                (0..N).map(|j| (c, j as f64 * BLOCK)).collect(),
            ),
        ] {
            roads.push(Road {
                id,
                name: String::new(),
                class: "residential".into(),
                lanes: 2,
                speed_kmh: 30.0,
                oneway: false,
                line,
            });
        }
    }
    debug_assert!(ext > 0.0);
    roads
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<(f64, f64)> {
    vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
}

/// The synthetic district: graph, zones, buildings holding `households` in total, and
/// shelter specs.
pub fn bench_district(
    households: usize,
) -> (RoadGraph, Vec<Zone>, Vec<Building>, Vec<ShelterSpec>) {
    let graph = RoadGraph::new(&grid_roads()).expect("bench grid is valid");
    let ext = (N - 1) as f64 * BLOCK;
    let h = ext / 2.0;
    let zones: Vec<Zone> = (0..4)
        .map(|q| {
            let (x0, y0) = ((q % 2) as f64 * h, (q / 2) as f64 * h);
            Zone {
                id: format!("Z{q}"),
                name: String::new(),
                name_en: String::new(),
                polygons: vec![square(x0, y0, x0 + h, y0 + h)],
            }
        })
        .collect();
    // One building per block, households spread evenly (remainder to the first ones).
    let blocks = (N - 1) * (N - 1);
    let per = households / blocks;
    let extra = households % blocks;
    let mut buildings = Vec::new();
    for b in 0..blocks {
        let count = per + usize::from(b < extra);
        if count == 0 {
            continue;
        }
        let (bx, by) = ((b % (N - 1)) as f64 * BLOCK, (b / (N - 1)) as f64 * BLOCK);
        buildings.push(Building {
            id: format!("B{b:05}"),
            zone: None,
            usage: "residential".into(),
            floors: 3,
            households: count as u32,
            residents: 0,
            ring: square(bx + 20.0, by + 20.0, bx + 60.0, by + 60.0),
        });
    }
    let shelters = (0..4)
        .map(|q| {
            let (x, y) = ((q % 2) as f64 * ext, (q / 2) as f64 * ext);
            ShelterSpec {
                id: format!("S{q}"),
                at: (x, y),
                capacity: u32::MAX / 8,
                open: true,
                zones: vec![q],
            }
        })
        .collect();
    (graph, zones, buildings, shelters)
}

/// Run the benchmark on `threads` rayon threads, timing `ticks` steps of 5 s.
pub fn agents_bench_with(households: usize, threads: usize, ticks: usize) -> BenchResult {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("rayon pool");
    pool.install(|| {
        let (graph, zones, buildings, specs) = bench_district(households);
        let mut params = AgentParams::default();
        params.mobilisation.median_day_s = 60.0;
        params.mobilisation.sigma = 0.3;
        params.mobilisation.compliance = 0.95;
        let mut hh = Households::from_buildings(&buildings, &zones, &graph, &params, 2024)
            .expect("bench population");
        hh.set_shelters(Shelters::new(&specs, &graph, zones.len()).expect("bench shelters"));
        let mut costs = EdgeCosts::new(&graph, CostParams::default()).expect("bench costs");
        let depth: Vec<f64> = (0..graph.edge_count())
            .map(|e| match e {
                _ if e % 31 == 0 => 0.4,
                _ if e % 7 == 0 => 0.2,
                _ => 0.0,
            })
            .collect();
        costs
            .update_from_depth(&graph, &depth)
            .expect("bench depths");
        let routes = ShelterRoutes::build(&graph, hh.shelters(), &costs);
        let spec = GridSpec {
            ncols: 200,
            nrows: 200,
            xll: -50.0,
            yll: -50.0,
            cell: 50.0,
        };
        let wd = vec![0.05; spec.len()];
        let wv = vec![0.2; spec.len()];
        let water = Water::Grids(WaterGrids::new(spec, &wd, &wv).expect("bench water"));
        let env = routes.env(&graph, &costs, water);
        let channel = ChannelParams {
            id: "sms".into(),
            reach: 1.0,
            half_time_s: 10.0,
        };
        hh.issue_warning(&[0, 1, 2, 3], &channel, 0.0)
            .expect("bench warning");
        let dt = 5.0;
        let mut t = 0.0;
        let mut ws = crate::agents::Workspace::default();
        while t < 300.0 {
            hh.step(t, dt, &env, &mut ws);
            t += dt;
        }
        hh.drain_events();
        let start = Instant::now();
        for _ in 0..ticks {
            hh.step(t, dt, &env, &mut ws);
            t += dt;
        }
        let seconds = start.elapsed().as_secs_f64();
        let moving = hh
            .states()
            .iter()
            .filter(|&&s| s == HouseholdState::Moving)
            .count();
        let n = hh.len();
        BenchResult {
            households: n,
            threads: threads.max(1),
            ticks,
            seconds,
            household_updates_per_s: (n * ticks) as f64 / seconds.max(1e-12),
            moving_share: moving as f64 / n.max(1) as f64,
            digest: hh.digest(),
        }
    })
}

/// `floodrill bench agents --households N`: 60 timed ticks (5 min of sim time).
pub fn agents_bench(households: usize, threads: usize) -> BenchResult {
    agents_bench_with(households, threads, 60)
}
