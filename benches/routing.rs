//! Routing benchmark (criterion) on the demo district's road graph: building the graph
//! from the roads layer, one shortest-path tree to a shelter, the five shelter trees
//! (in parallel on the global rayon pool), a boat route across the grid, and
//! nearest-node queries.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use floodrill::forces::{BoatTerrain, boat_route};
use floodrill::world::roads::{Mode, NodeId, RoadGraph};
use floodrill::world::routing::{CostParams, EdgeCosts, RouteTree};
use floodrill::world::vector::{Pt, load_places, load_roads};

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/districts/demo")
}

fn routing(c: &mut Criterion) {
    let roads = load_roads(&demo().join("roads.geojson")).expect("demo roads");
    let places = load_places(&demo().join("places.geojson")).expect("demo places");
    let stops: Vec<Pt> = places.iter().map(|p| p.at).collect();
    let mut g = c.benchmark_group("routing_demo");
    g.sample_size(20);
    g.bench_function("build_graph", |b| {
        b.iter(|| black_box(RoadGraph::build_with_stops(&roads, &stops, 1.0).unwrap()))
    });
    let graph = RoadGraph::build_with_stops(&roads, &stops, 1.0).expect("demo graph");
    let costs = EdgeCosts::new(&graph, CostParams::default()).expect("costs");
    let dests: Vec<NodeId> = graph
        .attach(&places, Mode::Drive)
        .into_iter()
        .filter(|(id, _)| id.starts_with('S'))
        .map(|(_, n)| n)
        .collect();
    g.bench_function("one_tree", |b| {
        b.iter(|| {
            black_box(RouteTree::to_destination(
                &graph,
                dests[0],
                Mode::Drive,
                &costs,
            ))
        })
    });
    g.bench_function("shelter_trees", |b| {
        b.iter(|| {
            black_box(RouteTree::for_destinations(
                &graph,
                &dests,
                Mode::Walk,
                &costs,
            ))
        })
    });
    g.bench_function("nearest_node_x1000", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for i in 0..1000u64 {
                let p = (
                    500000.0 + (i * 7919 % 2560) as f64,
                    3350000.0 + (i * 104729 % 2560) as f64,
                );
                acc += u64::from(graph.nearest_node(p, Mode::Walk).map_or(0, |n| n.0));
            }
            black_box(acc)
        })
    });
    // A boat across the whole district over dry ground and roads (worst case).
    let dem = floodrill::world::read_asc(&demo().join("dem.asc"))
        .expect("demo dem")
        .grid;
    let spec = dem.spec;
    let terrain = BoatTerrain::new(spec, vec![false; spec.len()], Some(&graph));
    let depth = vec![0.0; spec.len()];
    let (x0, y0, x1, y1) = spec.extent();
    g.bench_function("boat_route_corner_to_corner", |b| {
        b.iter(|| {
            black_box(boat_route(
                &terrain,
                &depth,
                2.2,
                (x0 + 10.0, y0 + 10.0),
                (x1 - 10.0, y1 - 10.0),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
