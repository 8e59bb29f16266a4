//! The road graph and flood-aware routing: hand-computed travel times on small networks
//! (free flow, one-way streets, a flooded edge, everything flooded), snapping, geometry
//! errors that name the road, the demo district's network (connected, places attached,
//! a shelter reachable from everywhere) and identical trees on 1 and 2 threads.

use std::path::PathBuf;

use floodrill::world::roads::{EdgeId, Mode, NodeId, RoadGraph, RoadGraphError};
use floodrill::world::routing::{CostParams, EdgeCosts, RouteTree, needs_refresh};
use floodrill::world::vector::{Pt, Road, load_places, load_roads};

/// 36 km/h = 10 m/s; walking 1.2 m/s (default).
const V: f64 = 10.0;
const W: f64 = 1.2;

fn road(id: &str, oneway: bool, line: &[Pt]) -> Road {
    Road {
        id: id.into(),
        name: String::new(),
        class: "residential".into(),
        lanes: 2,
        speed_kmh: 36.0,
        oneway,
        line: line.to_vec(),
    }
}

/// A 3 × 2 street grid with 100 m blocks, one road per block side:
///
/// ```text
/// (0,100) — (100,100) — (200,100)
///    |          |           |
/// (0,0)   —  (100,0)  —  (200,0)
/// ```
fn ladder() -> Vec<Road> {
    let mut r = Vec::new();
    for y in [0.0, 100.0] {
        for x in [0.0, 100.0] {
            r.push(road(&format!("H{x}_{y}"), false, &[(x, y), (x + 100.0, y)]));
        }
    }
    for x in [0.0, 100.0, 200.0] {
        r.push(road(&format!("V{x}"), false, &[(x, 0.0), (x, 100.0)]));
    }
    r
}

fn node_at(g: &RoadGraph, p: Pt) -> NodeId {
    let n = g.nearest_node(p, Mode::Walk).unwrap();
    assert_eq!(g.pos(n), p, "no node at {p:?}");
    n
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn free_flow_time_is_length_over_speed() {
    let g = RoadGraph::new(&ladder()).unwrap();
    assert_eq!((g.node_count(), g.edge_count()), (6, 14));
    let costs = EdgeCosts::new(&g, CostParams::default()).unwrap();
    let dest = node_at(&g, (200.0, 100.0));
    let car = RouteTree::to_destination(&g, dest, Mode::Drive, &costs);
    let walk = RouteTree::to_destination(&g, dest, Mode::Walk, &costs);
    let o = node_at(&g, (0.0, 0.0));
    assert!(
        close(car.time_to_dest(o), 300.0 / V),
        "{}",
        car.time_to_dest(o)
    );
    assert!(close(walk.time_to_dest(o), 300.0 / W));
    assert_eq!(car.time_to_dest(dest), 0.0);
    assert_eq!(car.next_edge(dest), None);
    // The path's edges chain from the origin to the destination and add up to the time.
    let path = car.path(&g, o);
    assert_eq!(path.len(), 3);
    assert_eq!(g.edge(path[0]).from, o);
    assert_eq!(g.edge(*path.last().unwrap()).to, dest);
    let sum: f64 = path.iter().map(|&e| costs.time(Mode::Drive, e)).sum();
    assert!(close(sum, car.time_to_dest(o)));
    for w in path.windows(2) {
        assert_eq!(g.edge(w[0]).to, g.edge(w[1]).from);
    }
}

#[test]
fn oneway_forces_cars_the_long_way_but_not_walkers() {
    // A square; the bottom side is one-way from B to A.
    let a = (0.0, 0.0);
    let b = (100.0, 0.0);
    let c = (0.0, 100.0);
    let d = (100.0, 100.0);
    let g = RoadGraph::new(&[
        road("AB", true, &[b, a]),
        road("AC", false, &[a, c]),
        road("CD", false, &[c, d]),
        road("DB", false, &[d, b]),
    ])
    .unwrap();
    let costs = EdgeCosts::new(&g, CostParams::default()).unwrap();
    let (na, nb) = (node_at(&g, a), node_at(&g, b));
    let car = RouteTree::to_destination(&g, nb, Mode::Drive, &costs);
    let walk = RouteTree::to_destination(&g, nb, Mode::Walk, &costs);
    assert!(
        close(car.time_to_dest(na), 300.0 / V),
        "{}",
        car.time_to_dest(na)
    );
    assert!(close(walk.time_to_dest(na), 100.0 / W));
    assert_eq!(walk.path(&g, na).len(), 1);
    // The other way round the one-way street is the short way for cars too.
    let car_a = RouteTree::to_destination(&g, na, Mode::Drive, &costs);
    assert!(close(car_a.time_to_dest(nb), 100.0 / V));
}

#[test]
fn flooded_edge_is_avoided_and_the_detour_is_hand_computed() {
    let g = RoadGraph::new(&ladder()).unwrap();
    let dry = EdgeCosts::new(&g, CostParams::default()).unwrap();
    let (o, dest) = (node_at(&g, (0.0, 0.0)), node_at(&g, (200.0, 0.0)));
    let before = RouteTree::to_destination(&g, dest, Mode::Drive, &dry);
    assert!(close(before.time_to_dest(o), 200.0 / V));

    // 0.4 m on the block (100,0)–(200,0): above the car limit (0.3 m), below walking's.
    let flooded_road = g.road_ids.iter().position(|r| r == "H100_0").unwrap();
    let flooded = g.edges_of_road(flooded_road);
    assert_eq!(flooded.len(), 2);
    let mut depth = vec![0.0; g.edge_count()];
    for e in &flooded {
        depth[e.idx()] = 0.4;
    }
    let mut wet = dry.clone();
    wet.update_from_depth(&g, &depth).unwrap();
    assert!(needs_refresh(&dry, &wet, Mode::Drive, 0.01));

    let car = RouteTree::to_destination(&g, dest, Mode::Drive, &wet);
    // Detour: up, along the top and down = 400 m.
    assert!(
        close(car.time_to_dest(o), 400.0 / V),
        "{}",
        car.time_to_dest(o)
    );
    let path = car.path(&g, o);
    assert!(path.iter().all(|e| !flooded.contains(e)), "{path:?}");
    let len: f64 = path.iter().map(|&e| g.edge(e).length).sum();
    assert!(close(len, 400.0));

    // Walkers wade through at half speed (0.5 at 0.4 m): 100/1.2 + 100/0.6 < 400/1.2.
    let walk = RouteTree::to_destination(&g, dest, Mode::Walk, &wet);
    assert!(close(walk.time_to_dest(o), 100.0 / W + 100.0 / (W * 0.5)));
    assert!(walk.path(&g, o).iter().any(|e| flooded.contains(e)));

    // An order closing the same block in the dry gives the car the same detour.
    let mut ordered = dry.clone();
    for &e in &flooded {
        ordered.set_closed(e, true);
    }
    let car2 = RouteTree::to_destination(&g, dest, Mode::Drive, &ordered);
    assert!(close(car2.time_to_dest(o), 400.0 / V));
}

#[test]
fn everything_flooded_is_unreachable() {
    let g = RoadGraph::new(&ladder()).unwrap();
    let mut costs = EdgeCosts::new(&g, CostParams::default()).unwrap();
    costs
        .update_from_depth(&g, &vec![0.8; g.edge_count()])
        .unwrap();
    let dest = node_at(&g, (200.0, 100.0));
    for mode in Mode::ALL {
        let t = RouteTree::to_destination(&g, dest, mode, &costs);
        for n in 0..g.node_count() as u32 {
            let n = NodeId(n);
            if n == dest {
                assert_eq!(t.time_to_dest(n), 0.0);
            } else {
                assert_eq!(t.time_to_dest(n), f64::INFINITY, "{mode} {n}");
                assert!(!t.reaches(n) && t.next_edge(n).is_none() && t.path(&g, n).is_empty());
            }
        }
    }
}

#[test]
fn snapping_joins_within_tolerance_and_not_beyond() {
    let joined = RoadGraph::build(
        &[
            road("A", false, &[(0.0, 0.0), (100.0, 0.0)]),
            road("B", false, &[(100.8, 0.3), (200.0, 0.0)]),
        ],
        1.0,
    )
    .unwrap();
    assert_eq!(joined.node_count(), 3);
    assert_eq!(joined.components(Mode::Walk).count(), 1);
    // The snapped edge runs from the first vertex's position.
    assert_eq!(joined.edges[2].from, joined.edges[0].to);
    assert!(close(joined.edges[2].length, 100.0));

    let apart = RoadGraph::build(
        &[
            road("A", false, &[(0.0, 0.0), (100.0, 0.0)]),
            road("B", false, &[(101.2, 0.0), (200.0, 0.0)]),
        ],
        1.0,
    )
    .unwrap();
    assert_eq!(apart.node_count(), 4);
    assert_eq!(apart.components(Mode::Walk).sizes, vec![2, 2]);

    // An interior vertex shared with another line's end becomes a junction.
    let t = RoadGraph::new(&[
        road("Long", false, &[(0.0, 0.0), (50.0, 0.0), (100.0, 0.0)]),
        road("Side", false, &[(50.3, 0.0), (50.0, 60.0)]),
    ])
    .unwrap();
    assert_eq!(t.node_count(), 4);
    assert_eq!(t.outgoing(node_at(&t, (50.0, 0.0))).len(), 3);
}

#[test]
fn bad_geometry_names_the_road() {
    let e = RoadGraph::new(&[
        road("OK", false, &[(0.0, 0.0), (10.0, 0.0)]),
        road("R777", false, &[(10.0, 0.0), (f64::NAN, 5.0)]),
    ])
    .unwrap_err();
    assert!(matches!(e, RoadGraphError::NonFinite { .. }));
    assert!(e.to_string().contains("\"R777\""), "{e}");

    let e =
        RoadGraph::new(&[road("RZ", false, &[(5.0, 5.0), (5.0, 5.4), (5.2, 5.0)])]).unwrap_err();
    assert!(matches!(e, RoadGraphError::ZeroLength { .. }), "{e}");
    assert!(e.to_string().contains("\"RZ\""), "{e}");

    let mut slow = road("R0", false, &[(0.0, 0.0), (10.0, 0.0)]);
    slow.speed_kmh = -5.0;
    let e = RoadGraph::new(&[slow]).unwrap_err().to_string();
    assert!(e.contains("\"R0\"") && e.contains("-5"), "{e}");
}

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/districts/demo")
}

/// The demo roads, split at the places so each place has a node beside it.
fn demo_graph() -> (Vec<Road>, RoadGraph) {
    let roads = load_roads(&demo().join("roads.geojson")).unwrap();
    let places = load_places(&demo().join("places.geojson")).unwrap();
    let stops: Vec<Pt> = places.iter().map(|p| p.at).collect();
    let g = RoadGraph::build_with_stops(&roads, &stops, 1.0).unwrap();
    (roads, g)
}

#[test]
fn demo_district_is_one_walkable_network_and_s04_reaches_every_node() {
    let (roads, g) = demo_graph();
    assert_eq!(roads.len(), 415);
    let walk = g.components(Mode::Walk);
    assert_eq!(walk.count(), 1, "walking components: {:?}", walk.sizes);
    assert_eq!(walk.largest(), g.node_count());

    let places = load_places(&demo().join("places.geojson")).unwrap();
    for mode in Mode::ALL {
        let att = g.attach(&places, mode);
        assert_eq!(att.len(), places.len());
        for ((id, n), p) in att.iter().zip(&places) {
            assert_eq!(id, &p.id);
            let q = g.pos(*n);
            let d = ((q.0 - p.at.0).powi(2) + (q.1 - p.at.1).powi(2)).sqrt();
            // Places sit beside roads (G01, the river gauge, 27.5 m away).
            assert!(d <= 30.0, "{id} attaches {d:.1} m away ({mode})");
        }
    }
    // Without the split, the nearest vertex can be half a block away (H04: 124 m).
    let plain = RoadGraph::new(&roads).unwrap();
    assert!(g.node_count() > plain.node_count());
    assert!(g.node_count() <= plain.node_count() + 2 * places.len());
    let h04 = places.iter().find(|p| p.id == "H04").unwrap();
    let q = plain.pos(plain.nearest_node(h04.at, Mode::Walk).unwrap());
    assert!(((q.0 - h04.at.0).powi(2) + (q.1 - h04.at.1).powi(2)).sqrt() > 100.0);

    let costs = EdgeCosts::new(&g, CostParams::default()).unwrap();
    let s04 = g
        .attach(&places, Mode::Drive)
        .into_iter()
        .find(|(id, _)| id == "S04")
        .unwrap()
        .1;
    let walk_tree = RouteTree::to_destination(&g, s04, Mode::Walk, &costs);
    let unreached: Vec<_> = (0..g.node_count() as u32)
        .map(NodeId)
        .filter(|&n| !walk_tree.reaches(n))
        .collect();
    assert!(
        unreached.is_empty(),
        "walking: {unreached:?} cannot reach S04"
    );
    let car_tree = RouteTree::to_destination(&g, s04, Mode::Drive, &costs);
    let unreached: Vec<_> = (0..g.node_count() as u32)
        .map(NodeId)
        .filter(|&n| g.node_modes[n.idx()].allows(Mode::Drive) && !car_tree.reaches(n))
        .collect();
    assert!(
        unreached.is_empty(),
        "driving: {unreached:?} cannot reach S04"
    );
    // Sanity: a tree never beats the straight line at the fastest speed (60 km/h).
    for n in 0..g.node_count() as u32 {
        let (p, q) = (g.pos(NodeId(n)), g.pos(s04));
        let crow = ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
        assert!(car_tree.time_to_dest(NodeId(n)) >= crow / (60.0 / 3.6) - 1e-9);
    }
}

/// Trees for every shelter, both modes, on a partly flooded and loaded demo graph.
fn demo_trees(g: &RoadGraph, threads: usize) -> Vec<RouteTree> {
    let places = load_places(&demo().join("places.geojson")).unwrap();
    let dests: Vec<NodeId> = g
        .attach(&places, Mode::Drive)
        .into_iter()
        .filter(|(id, _)| id.starts_with('S'))
        .map(|(_, n)| n)
        .collect();
    assert_eq!(dests.len(), 5);
    let mut costs = EdgeCosts::new(g, CostParams::default()).unwrap();
    // Deterministic pseudo-water: every 7th edge 0.2 m, every 23rd 0.45 m.
    let depth: Vec<f64> = (0..g.edge_count())
        .map(|i| match (i % 7, i % 23) {
            (_, 0) => 0.45,
            (0, _) => 0.2,
            _ => 0.0,
        })
        .collect();
    costs.update_from_depth(g, &depth).unwrap();
    for i in (0..g.edge_count()).step_by(5) {
        costs.set_load(Mode::Drive, EdgeId(i as u32), (i % 11) as f64);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut t = RouteTree::for_destinations(g, &dests, Mode::Drive, &costs);
        t.extend(RouteTree::for_destinations(g, &dests, Mode::Walk, &costs));
        t
    })
}

#[test]
fn trees_are_identical_on_one_and_two_threads() {
    let (_, g) = demo_graph();
    let one = demo_trees(&g, 1);
    let two = demo_trees(&g, 2);
    assert_eq!(one.len(), 10);
    for (a, b) in one.iter().zip(&two) {
        assert_eq!((a.dest(), a.mode()), (b.dest(), b.mode()));
        let bits = |t: &RouteTree| t.times().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
        for n in 0..g.node_count() as u32 {
            assert_eq!(a.next_edge(NodeId(n)), b.next_edge(NodeId(n)));
        }
    }
    // The flooding matters: some node is slower than in the dry.
    let dry = EdgeCosts::new(&g, CostParams::default()).unwrap();
    let t0 = RouteTree::to_destination(&g, one[0].dest(), Mode::Drive, &dry);
    assert!(t0.times().iter().zip(one[0].times()).any(|(a, b)| b > a));
}

#[test]
fn the_ways_out_are_the_road_ends_at_the_edge_of_the_network() {
    // A cross whose four arms end at the edge, a cul-de-sac inside, and a loop corner
    // at the edge (degree 2: not an end).
    let roads = vec![
        road("W", false, &[(-500.0, 0.0), (0.0, 0.0)]),
        road("E", false, &[(0.0, 0.0), (500.0, 0.0)]),
        road("S", false, &[(0.0, -500.0), (0.0, 0.0)]),
        road("N", false, &[(0.0, 0.0), (0.0, 500.0)]),
        road("C", false, &[(0.0, 0.0), (200.0, 150.0)]),
        road("L1", false, &[(500.0, 0.0), (500.0, 480.0)]),
        road("L2", false, &[(500.0, 480.0), (0.0, 500.0)]),
    ];
    let g = RoadGraph::new(&roads).unwrap();
    let at = |p: Pt| g.nearest_node(p, Mode::Walk).unwrap();
    let mut want = vec![at((-500.0, 0.0)), at((0.0, -500.0))];
    want.sort();
    assert_eq!(g.boundary_ends(30.0), want);
    // The demo district is cut from a larger city: it has ways out on its edges.
    let (_, demo) = demo_graph();
    assert!(demo.boundary_ends(30.0).len() >= 2);
}
