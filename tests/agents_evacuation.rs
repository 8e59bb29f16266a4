//! Household evacuation on small hand-built networks: arrival at the hand-computed
//! time, flooded edges avoided and re-routing mid-trip, shelter capacity and
//! turn-away, walking speed against depth, trapping in deep fast water.

use floodrill::agents::*;
use floodrill::world::grid::GridSpec;
use floodrill::world::roads::{Mode, RoadGraph};
use floodrill::world::routing::{CostParams, EdgeCosts, SpeedCurve};
use floodrill::world::vector::{Building, Pt, Road, Zone};

const DT: f64 = 5.0;
/// Default day median mobilisation delay (start hour 12 → day), seconds.
const MEDIAN_DAY: f64 = 1200.0;

fn road(id: &str, a: Pt, b: Pt) -> Road {
    Road {
        id: id.into(),
        name: String::new(),
        class: "residential".into(),
        lanes: 2,
        speed_kmh: 36.0,
        oneway: false,
        line: vec![a, b],
    }
}

fn building(id: &str, at: Pt, households: u32, floors: u32) -> Building {
    let (x, y) = at;
    Building {
        id: id.into(),
        zone: None,
        usage: "residential".into(),
        floors,
        households,
        residents: 0,
        ring: vec![
            (x - 1.0, y - 1.0),
            (x + 1.0, y - 1.0),
            (x + 1.0, y + 1.0),
            (x - 1.0, y + 1.0),
        ],
    }
}

fn zone_all() -> Zone {
    Zone {
        id: "Z0".into(),
        name: String::new(),
        name_en: String::new(),
        polygons: vec![vec![
            (-10_000.0, -10_000.0),
            (10_000.0, -10_000.0),
            (10_000.0, 10_000.0),
            (-10_000.0, 10_000.0),
        ]],
    }
}

/// Walkers only, no vulnerable members, deterministic mobilisation, full compliance.
fn walkers() -> AgentParams {
    let mut p = AgentParams::default();
    p.population.vehicle_share = 0.0;
    p.population.elderly_share = 0.0;
    p.population.children_share = 0.0;
    p.mobilisation.sigma = 0.0;
    p.mobilisation.compliance = 1.0;
    p.mobilisation.start_hour = 12.0;
    p
}

fn shelter(id: &str, at: Pt, capacity: u32, zones: Vec<u32>) -> ShelterSpec {
    ShelterSpec {
        id: id.into(),
        at,
        capacity,
        open: true,
        zones,
    }
}

struct Drill {
    graph: RoadGraph,
    costs: EdgeCosts,
    routes: ShelterRoutes,
    hh: Households,
    ws: floodrill::agents::Workspace,
    events: Vec<AgentEvent>,
    t: f64,
}

impl Drill {
    fn new(
        roads: &[Road],
        buildings: &[Building],
        shelters: &[ShelterSpec],
        params: &AgentParams,
        cost_params: CostParams,
    ) -> Self {
        Self::with_destinations(roads, buildings, shelters, params, cost_params, |_, _| {})
    }

    /// As `new`, with assembly points and exits added to the shelters by `more`.
    fn with_destinations(
        roads: &[Road],
        buildings: &[Building],
        shelters: &[ShelterSpec],
        params: &AgentParams,
        cost_params: CostParams,
        more: impl FnOnce(&mut Shelters, &RoadGraph),
    ) -> Self {
        let graph = RoadGraph::new(roads).unwrap();
        let zones = [zone_all()];
        let mut hh = Households::from_buildings(buildings, &zones, &graph, params, 7).unwrap();
        let mut sh = Shelters::new(shelters, &graph, 1).unwrap();
        more(&mut sh, &graph);
        hh.set_shelters(sh);
        let costs = EdgeCosts::new(&graph, cost_params).unwrap();
        let routes = ShelterRoutes::build(&graph, hh.shelters(), &costs);
        Self {
            graph,
            costs,
            routes,
            hh,
            ws: Default::default(),
            events: Vec::new(),
            t: 0.0,
        }
    }

    /// Water depth on every directed edge of road `road` (index), metres.
    fn flood_road(&mut self, road: usize, depth: f64, refresh: bool) {
        let mut d: Vec<f64> = (0..self.graph.edge_count())
            .map(|e| self.costs.depth(floodrill::world::roads::EdgeId(e as u32)))
            .collect();
        for e in self.graph.edges_of_road(road) {
            d[e.idx()] = depth;
        }
        self.costs.update_from_depth(&self.graph, &d).unwrap();
        if refresh {
            self.routes
                .refresh(&self.graph, self.hh.shelters(), &self.costs, 0.0);
        }
    }

    fn step(&mut self, water: Water) {
        let env = self.routes.env(&self.graph, &self.costs, water);
        self.hh.step(self.t, DT, &env, &mut self.ws);
        self.t += DT;
        self.events.extend(self.hh.drain_events());
    }

    fn run_until(&mut self, t_end: f64, water: Water, mut each: impl FnMut(&Self)) {
        while self.t < t_end {
            self.step(water);
            each(self);
        }
    }

    fn sheltered_at(&self, hh: HouseholdId) -> Option<(u32, f64)> {
        self.events.iter().find_map(|e| match *e {
            AgentEvent::Sheltered {
                hh: h, shelter, t, ..
            } if h == hh => Some((shelter, t)),
            _ => None,
        })
    }
}

fn sms(half_time_s: f64) -> ChannelParams {
    ChannelParams {
        id: "sms".into(),
        reach: 1.0,
        half_time_s,
    }
}

#[test]
fn walker_and_car_reach_the_shelter_at_the_hand_computed_time() {
    // 1000 m street, home at its west end, shelter at its east end.
    let roads = [road("R1", (0.0, 0.0), (1000.0, 0.0))];
    for (car, speed) in [(false, 1.2), (true, 10.0)] {
        let mut p = walkers();
        p.population.vehicle_share = if car { 1.0 } else { 0.0 };
        let mut d = Drill::new(
            &roads,
            &[building("B1", (0.0, 5.0), 1, 1)],
            &[shelter("S1", (1000.0, 0.0), 100, vec![0])],
            &p,
            CostParams::default(),
        );
        let h = HouseholdId(0);
        assert_eq!(d.hh.mode(h), if car { Mode::Drive } else { Mode::Walk });
        let t0 = 60.0;
        d.hh.issue_warning(&[0], &sms(120.0), t0).unwrap();
        let recv = d.hh.reception_time(h).unwrap();
        assert!(recv > t0);
        let expected = recv + MEDIAN_DAY + 1000.0 / speed;
        d.run_until(expected + 4.0 * DT, Water::Dry, |d| {
            if d.t < expected - DT {
                assert_ne!(d.hh.state(h), HouseholdState::Sheltered, "early at {}", d.t);
            }
        });
        assert_eq!(d.hh.state(h), HouseholdState::Sheltered);
        let (s, t) = d.sheltered_at(h).unwrap();
        assert_eq!(s, 0);
        assert!(
            (t - expected).abs() <= DT,
            "car {car}: sheltered at {t}, expected {expected}"
        );
        // Exact up to the household's own (tiny) congestion on an empty street.
        assert!(
            (t - expected).abs() < 1e-3,
            "event time is exact: {t} vs {expected}"
        );
        assert_eq!(d.hh.shelters().occupancy(0), d.hh.persons(h));
        // The reception and departure events come first, at their own times.
        let kinds: Vec<&str> = d
            .events
            .iter()
            .map(|e| match e {
                AgentEvent::WarningReceived { .. } => "received",
                AgentEvent::Departed { .. } => "departed",
                AgentEvent::Sheltered { .. } => "sheltered",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["received", "departed", "sheltered"]);
        assert!((d.events[1].t() - (recv + MEDIAN_DAY)).abs() < 1e-9);
    }
}

/// Home H (0,0), junction M (500,0), shelter S (1000,0); a northern detour
/// H–(0,500)–(500,500)–(1000,500)–S, and a link M–(500,500).
fn two_routes() -> Vec<Road> {
    vec![
        road("HM", (0.0, 0.0), (500.0, 0.0)),        // 0
        road("MS", (500.0, 0.0), (1000.0, 0.0)),     // 1
        road("HN", (0.0, 0.0), (0.0, 500.0)),        // 2
        road("NN", (0.0, 500.0), (500.0, 500.0)),    // 3
        road("NE", (500.0, 500.0), (1000.0, 500.0)), // 4
        road("ES", (1000.0, 500.0), (1000.0, 0.0)),  // 5
        road("MN", (500.0, 0.0), (500.0, 500.0)),    // 6
    ]
}

#[test]
fn flooded_edge_is_avoided_and_route_replanned_mid_trip() {
    let b = [building("B1", (0.0, -5.0), 1, 1)];
    let s = [shelter("S1", (1000.0, 0.0), 100, vec![0])];
    let h = HouseholdId(0);

    // (a) Flooded before departure: the walker takes the northern detour (2000 m).
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    d.flood_road(1, 0.6, true);
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    let expected = MEDIAN_DAY + 2000.0 / 1.2;
    d.run_until(expected + 2.0 * DT, Water::Dry, |d| {
        let (x, y) = d.hh.position(h, &d.graph);
        assert!(
            !(y.abs() < 1e-9 && x > 500.0 + 1e-9 && x < 1000.0 - 1e-9),
            "on the flooded street at ({x}, {y})"
        );
    });
    let (_, t) = d.sheltered_at(h).expect("sheltered via the detour");
    assert!((t - expected).abs() <= DT, "{t} vs {expected}");

    // (b) Dry at departure; the street ahead floods while the walker is on H→M; the
    // trees are refreshed and it turns north at M (500 + 500 + 500 + 500 m).
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    d.run_until(MEDIAN_DAY + 200.0, Water::Dry, |_| {});
    let (x, y) = d.hh.position(h, &d.graph);
    assert!(
        x > 0.0 && x < 500.0 && y == 0.0,
        "walking H→M, at ({x}, {y})"
    );
    d.flood_road(1, 0.6, true);
    let expected = MEDIAN_DAY + 2000.0 / 1.2;
    d.run_until(expected + 2.0 * DT, Water::Dry, |d| {
        let (x, y) = d.hh.position(h, &d.graph);
        assert!(
            !(y.abs() < 1e-9 && x > 500.0 + 1e-9 && x < 1000.0 - 1e-9),
            "entered the flooded street"
        );
    });
    let (_, t) = d.sheltered_at(h).expect("sheltered after re-planning");
    assert!((t - expected).abs() <= DT, "{t} vs {expected}");

    // (c) Stale trees (not refreshed) and a second shelter north: at M the next edge is
    // closed, so the household re-routes to the other shelter.
    let s2 = [
        shelter("S1", (1000.0, 0.0), 100, vec![0]),
        shelter("S2", (500.0, 500.0), 100, vec![]),
    ];
    let mut d = Drill::new(&two_routes(), &b, &s2, &walkers(), CostParams::default());
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    d.run_until(MEDIAN_DAY + 200.0, Water::Dry, |_| {});
    d.flood_road(1, 0.6, false);
    d.run_until(MEDIAN_DAY + 2000.0, Water::Dry, |_| {});
    assert!(
        d.events.iter().any(|e| matches!(
            e,
            AgentEvent::Rerouted { hh, from: Some(0), to: 1, .. } if *hh == h
        )),
        "{:?}",
        d.events
    );
    let (shelter_idx, t) = d.sheltered_at(h).expect("sheltered at S2");
    assert_eq!(shelter_idx, 1);
    let expected = MEDIAN_DAY + 1000.0 / 1.2;
    assert!((t - expected).abs() <= DT, "{t} vs {expected}");

    // (d) Stale trees and no other shelter: it waits at M (cut off), and goes on once
    // the caller refreshes the trees.
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    d.run_until(MEDIAN_DAY + 200.0, Water::Dry, |_| {});
    d.flood_road(1, 0.6, false);
    d.run_until(MEDIAN_DAY + 1000.0, Water::Dry, |_| {});
    assert_eq!(d.hh.state(h), HouseholdState::Waiting);
    assert_eq!(d.hh.reason(h), Reason::CutOff);
    assert_eq!(d.hh.position(h, &d.graph), (500.0, 0.0), "waits at M");
    d.routes.refresh(&d.graph, d.hh.shelters(), &d.costs, 0.0);
    d.run_until(
        MEDIAN_DAY + 1000.0 + 1500.0 / 1.2 + 2.0 * DT,
        Water::Dry,
        |_| {},
    );
    assert_eq!(d.hh.state(h), HouseholdState::Sheltered);
}

#[test]
fn shelter_capacity_is_never_exceeded_and_overflow_goes_elsewhere() {
    // Home at the west end; small shelter A (assigned) at 1000 m, big B at 2000 m.
    let roads = [
        road("R1", (0.0, 0.0), (1000.0, 0.0)),
        road("R2", (1000.0, 0.0), (2000.0, 0.0)),
    ];
    let mut p = walkers();
    p.mobilisation.sigma = 0.5;
    let mut d = Drill::new(
        &roads,
        &[building("B1", (0.0, 5.0), 60, 1)],
        &[
            shelter("A", (1000.0, 0.0), 20, vec![0]),
            shelter("B", (2000.0, 0.0), 1000, vec![]),
        ],
        &p,
        CostParams::default(),
    );
    let total: u32 = (0..d.hh.len() as u32)
        .map(|i| d.hh.persons(HouseholdId(i)))
        .sum();
    assert!(total > 60);
    d.hh.issue_warning(&[0], &sms(300.0), 0.0).unwrap();
    d.run_until(6.0 * 3600.0, Water::Dry, |d| {
        assert!(
            d.hh.shelters().occupancy(0) <= 20,
            "A over capacity at {}",
            d.t
        );
    });
    let counts = d.hh.counts_by_state_and_zone();
    assert_eq!(counts.total(HouseholdState::Sheltered), 60, "{counts:?}");
    let occ = |k| d.hh.shelters().occupancy(k);
    assert!(
        occ(0) <= 20 && occ(0) >= 15,
        "A filled close to capacity: {}",
        occ(0)
    );
    assert_eq!(occ(0) + occ(1), total);
    let turned: Vec<HouseholdId> = d
        .events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::TurnedAway { hh, shelter: 0, .. } => Some(*hh),
            _ => None,
        })
        .collect();
    assert!(!turned.is_empty());
    for h in &turned {
        assert_eq!(d.sheltered_at(*h).map(|s| s.0), Some(1), "{h} ends in B");
    }
    // Persons admitted to A equal its occupancy.
    let in_a: u32 = d
        .events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Sheltered {
                shelter: 0,
                persons,
                ..
            } => Some(*persons),
            _ => None,
        })
        .sum();
    assert_eq!(in_a, occ(0));
}

#[test]
fn walking_speed_falls_with_depth_as_configured() {
    let roads = [road("R1", (0.0, 0.0), (100.0, 0.0))];
    let b = [building("B1", (0.0, 5.0), 1, 1)];
    let s = [shelter("S1", (100.0, 0.0), 100, vec![0])];
    let curve = SpeedCurve {
        points: vec![(0.0, 1.0), (0.3, 0.5), (0.6, 0.1)],
    };
    // Water sheet 0.3 m deep, still: HR = 0.3·0.5 + 0.5 = 0.65, not trapped.
    let spec = GridSpec {
        ncols: 30,
        nrows: 10,
        xll: -50.0,
        yll: -25.0,
        cell: 10.0,
    };
    let depth = vec![0.3; spec.len()];
    let speed = vec![0.0; spec.len()];
    for (elderly, base) in [(false, 1.2), (true, 0.9)] {
        for (d_edge, factor) in [(0.0, 1.0), (0.3, 0.5)] {
            let mut p = walkers();
            p.population.elderly_share = if elderly { 1.0 } else { 0.0 };
            let cp = CostParams {
                walk_curve: curve.clone(),
                ..CostParams::default()
            };
            let mut d = Drill::new(&roads, &b, &s, &p, cp);
            d.flood_road(0, d_edge, true);
            d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
            let water = Water::Grids(WaterGrids::new(spec, &depth, &speed).unwrap());
            let expected = MEDIAN_DAY + 100.0 / (base * factor);
            d.run_until(expected + 2.0 * DT, water, |_| {});
            let (_, t) = d
                .sheltered_at(HouseholdId(0))
                .unwrap_or_else(|| panic!("not sheltered: {:?}", d.events));
            assert!(
                (t - expected).abs() < 1e-3,
                "elderly {elderly}, depth {d_edge}: {t} vs {expected}"
            );
        }
    }
}

#[test]
fn deep_fast_water_traps_with_depth_and_velocity() {
    // Water 0.4 m at 2 m/s east of x = 400 (HR = 0.4·2.5 + 0.5 = 1.5 > 1.25); the
    // edge costs have not seen it yet, so the route stays open.
    let roads = [road("R1", (0.0, 0.0), (1000.0, 0.0))];
    let spec = GridSpec {
        ncols: 120,
        nrows: 20,
        xll: -100.0,
        yll: -100.0,
        cell: 10.0,
    };
    let mut depth = vec![0.0; spec.len()];
    let mut speed = vec![0.0; spec.len()];
    for r in 0..spec.nrows {
        for c in 0..spec.ncols {
            let (x, _) = spec.cell_centre(r, c);
            if x > 400.0 {
                depth[spec.idx(r, c)] = 0.4;
                speed[spec.idx(r, c)] = 2.0;
            }
        }
    }
    let mut p = walkers();
    p.hazard.casualty = Some(CasualtyRule {
        hr_above: 1.4,
        for_s: 600.0,
    });
    let mut d = Drill::new(
        &roads,
        &[
            building("B1", (0.0, 5.0), 1, 1),    // walks into the water
            building("B2", (600.0, 50.0), 1, 1), // at home, 0.4 m: stays dry enough
        ],
        &[shelter("S1", (1000.0, 0.0), 100, vec![0])],
        &p,
        CostParams::default(),
    );
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    let water = Water::Grids(WaterGrids::new(spec, &depth, &speed).unwrap());
    d.run_until(MEDIAN_DAY + 400.0 / 1.2 + 3.0 * DT, water, |_| {});
    let h = HouseholdId(0);
    assert_eq!(d.hh.state(h), HouseholdState::Trapped);
    let trap = d
        .events
        .iter()
        .find(|e| matches!(e, AgentEvent::Trapped { hh, .. } if *hh == h))
        .expect("rescue request");
    match *trap {
        AgentEvent::Trapped {
            x,
            y,
            depth,
            velocity,
            persons,
            t,
            ..
        } => {
            assert!(x > 400.0 && x < 420.0 && y == 0.0, "at ({x}, {y})");
            assert_eq!((depth, velocity), (0.4, 2.0));
            assert_eq!(persons, d.hh.persons(h));
            // It reaches x = 400 at departure + 400 / 1.2 s; caught at the end of that tick.
            let reach = MEDIAN_DAY + 400.0 / 1.2;
            assert!(
                t >= reach && t <= reach + 2.0 * DT,
                "trapped at {t}, reach {reach}"
            );
        }
        _ => unreachable!(),
    }
    // B2 sat at home in 0.4 m (< 0.8 m for one storey): never trapped.
    assert!(
        !d.events
            .iter()
            .any(|e| matches!(e, AgentEvent::Trapped { hh, .. } if *hh == HouseholdId(1)))
    );
    // Casualty only by the explicit rule: HR 1.5 > 1.4 for more than 600 s.
    let trapped_at = d.hh.state_time(h);
    d.run_until(trapped_at + 600.0 + 2.0 * DT, water, |_| {});
    assert_eq!(d.hh.state(h), HouseholdState::Casualty);
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, AgentEvent::Casualty { hh, .. } if *hh == h))
    );

    // Rule off (default): still trapped after an hour; a force can rescue it.
    let mut d = Drill::new(
        &roads,
        &[building("B1", (0.0, 5.0), 1, 1)],
        &[shelter("S1", (1000.0, 0.0), 100, vec![0])],
        &walkers(),
        CostParams::default(),
    );
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    d.run_until(MEDIAN_DAY + 3600.0, water, |_| {});
    assert_eq!(d.hh.state(h), HouseholdState::Trapped);
    assert_eq!(d.hh.rescue(h, d.t).unwrap(), d.hh.persons(h));
    assert_eq!(d.hh.state(h), HouseholdState::Rescued);
    assert!(d.hh.rescue(h, d.t).is_err());
}

#[test]
fn households_at_home_are_trapped_by_deep_water_in_low_buildings() {
    let roads = [road("R1", (0.0, 0.0), (1000.0, 0.0))];
    let spec = GridSpec {
        ncols: 120,
        nrows: 20,
        xll: -100.0,
        yll: -100.0,
        cell: 10.0,
    };
    let depth = vec![0.9; spec.len()];
    let speed = vec![0.1; spec.len()];
    let mut d = Drill::new(
        &roads,
        &[
            building("B1", (200.0, 5.0), 1, 1),
            building("B2", (300.0, 5.0), 1, 3),
        ],
        &[shelter("S1", (1000.0, 0.0), 100, vec![0])],
        &walkers(),
        CostParams::default(),
    );
    let water = Water::Grids(WaterGrids::new(spec, &depth, &speed).unwrap());
    d.step(water);
    assert_eq!(d.hh.state(HouseholdId(0)), HouseholdState::Trapped);
    assert_eq!(
        d.hh.state(HouseholdId(1)),
        HouseholdState::Unaware,
        "3 storeys: upstairs"
    );
    match d.events[..] {
        [
            AgentEvent::Trapped {
                hh, x, y, depth, ..
            },
        ] => {
            assert_eq!(hh, HouseholdId(0));
            assert_eq!((x, y, depth), (200.0, 5.0, 0.9));
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn a_cut_off_household_waits_then_takes_refuge_and_one_cut_off_at_home_stays_in() {
    let b = [building("B1", (0.0, -5.0), 1, 1)];
    let s = [shelter("S1", (1000.0, 0.0), 100, vec![0])];
    let h = HouseholdId(0);
    // On H→M when M→S floods; the trees are not refreshed, so from M nothing can be
    // reached: waiting at M, cut off, then refuge there `max_wait_s` later.
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    d.run_until(MEDIAN_DAY + 200.0, Water::Dry, |_| {});
    d.flood_road(1, 0.6, false);
    d.run_until(
        MEDIAN_DAY + 500.0 / 1.2 + 1800.0 + 2.0 * DT,
        Water::Dry,
        |_| {},
    );
    let waited = d
        .events
        .iter()
        .find_map(|e| match *e {
            AgentEvent::Waiting { hh, t, reason, .. } if hh == h => Some((t, reason)),
            _ => None,
        })
        .expect("a waiting event");
    assert!(
        (waited.0 - (MEDIAN_DAY + 500.0 / 1.2)).abs() < 1e-6,
        "{waited:?}"
    );
    assert_eq!(Reason::from_code(waited.1), Reason::CutOff);
    let refuge = d
        .events
        .iter()
        .find_map(|e| match *e {
            AgentEvent::TookRefuge { hh, t, x, y, .. } if hh == h => Some((t, x, y)),
            _ => None,
        })
        .expect("took refuge");
    assert_eq!(refuge, (waited.0 + 1800.0, 500.0, 0.0));
    assert_eq!(d.hh.state(h), HouseholdState::Refuge);
    assert_eq!(d.hh.reason(h), Reason::CutOff);

    // Both ways out of H flooded before it leaves: it stays in, upstairs.
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    d.flood_road(0, 0.6, true);
    d.flood_road(2, 0.6, true);
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    d.run_until(MEDIAN_DAY + 2.0 * DT, Water::Dry, |_| {});
    assert_eq!(d.hh.state(h), HouseholdState::InPlace);
    assert_eq!(d.hh.reason(h), Reason::CutOff);
    assert!(d.events.iter().any(|e| matches!(
        e,
        AgentEvent::StayedHome { hh, t, .. } if *hh == h && (*t - MEDIAN_DAY).abs() < 1e-6
    )));
    assert!(
        !d.events
            .iter()
            .any(|e| matches!(e, AgentEvent::Departed { .. }))
    );
}

/// The hand-worked queue: 30 walking households leave one node together onto a 100 m
/// link (1 m/s) that holds 10 and lets 2 leave per minute, into a shelter at its end.
/// Ten enter at once, the rest each as a place frees; they leave one every 30 s, the
/// first when it reaches the end: household k arrives at T0 + 100 + 30 k seconds.
#[test]
fn a_link_with_capacity_2_per_minute_and_storage_10_delivers_30_households_on_the_clock() {
    let mut p = walkers();
    p.movement.walk_speed = 1.0;
    p.movement.queues.walk_flow_per_lane_h = 120.0; // one lane each way: 2 per minute
    p.movement.queues.walk_spacing_m = 10.0; // 100 m of one lane: 10 households
    let roads = [road("BC", (0.0, 0.0), (100.0, 0.0))];
    let mut d = Drill::new(
        &roads,
        &[building("B1", (0.0, -2.0), 30, 1)],
        &[shelter("S1", (100.0, 0.0), 1000, vec![0])],
        &p,
        CostParams::default(),
    );
    d.hh.issue_warning(&[0], &sms(0.0), 0.0).unwrap();
    let mut most_on_link = 0;
    d.run_until(MEDIAN_DAY + 1200.0, Water::Dry, |d| {
        most_on_link = most_on_link.max(d.ws.edge_loads(Mode::Walk).iter().copied().max().unwrap());
    });
    assert_eq!(most_on_link, 10, "the link never holds more than fits");
    for k in 0..30u32 {
        let (_, t) = d.sheltered_at(HouseholdId(k)).expect("sheltered");
        let want = MEDIAN_DAY + 100.0 + 30.0 * k as f64;
        assert!((t - want).abs() < 1e-9, "household {k}: {t} vs {want}");
    }
}

#[test]
fn warnings_carry_an_action_stay_in_upstairs_one_storey_leaves_prepared_leave_sooner() {
    use floodrill::scenario::schema::WarnAction;
    let s = [shelter("S1", (1000.0, 0.0), 100, vec![0])];
    // Told to shelter in place: the five-storey household stays in, the one-storey one
    // (no storey above the water) leaves.
    let b = [
        building("B5", (0.0, -5.0), 1, 5),
        building("B1", (0.0, 5.0), 1, 1),
    ];
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    d.hh.issue_warning_with(&[0], &sms(0.0), 0.0, WarnAction::ShelterInPlace)
        .unwrap();
    d.run_until(MEDIAN_DAY + 10.0 * DT, Water::Dry, |_| {});
    assert_eq!(d.hh.state(HouseholdId(0)), HouseholdState::InPlace);
    assert_eq!(d.hh.reason(HouseholdId(0)), Reason::Ordered);
    assert_eq!(d.hh.state(HouseholdId(1)), HouseholdState::Moving);

    // Told to prepare at 0, to evacuate at 600 s: it leaves half its usual delay after
    // the second reception.
    let b = [building("B5", (0.0, -5.0), 1, 5)];
    let mut d = Drill::new(&two_routes(), &b, &s, &walkers(), CostParams::default());
    let h = HouseholdId(0);
    d.hh.issue_warning_with(&[0], &sms(0.0), 0.0, WarnAction::Prepare)
        .unwrap();
    d.run_until(600.0, Water::Dry, |_| {});
    assert_eq!(d.hh.state(h), HouseholdState::Ready);
    // A weaker or equal action does not reach it again.
    assert_eq!(
        d.hh.issue_warning_with(&[0], &sms(0.0), 600.0, WarnAction::Prepare)
            .unwrap(),
        0
    );
    assert_eq!(
        d.hh.issue_warning_with(&[0], &sms(0.0), 600.0, WarnAction::Evacuate)
            .unwrap(),
        1
    );
    d.run_until(600.0 + 0.5 * MEDIAN_DAY + 2.0 * DT, Water::Dry, |_| {});
    let left = d
        .events
        .iter()
        .find_map(|e| match *e {
            AgentEvent::Departed { hh, t, .. } if hh == h => Some(t),
            _ => None,
        })
        .expect("departed");
    assert!((left - (600.0 + 0.5 * MEDIAN_DAY)).abs() < 1e-6, "{left}");
}

#[test]
fn self_arranged_households_leave_by_the_nearest_exit_and_the_rest_fill_the_shelter_then_the_assembly_point()
 {
    // Exit road end 800 m west of home; shelter A (20 places) 1000 m east; an assembly
    // point 500 m north of A; a second, farther exit 3000 m east beyond A.
    let roads = [
        road("R1", (0.0, 0.0), (1000.0, 0.0)),
        road("R2", (1000.0, 0.0), (1000.0, 500.0)),
        road("R3", (0.0, 0.0), (-800.0, 0.0)),
        road("R4", (1000.0, 0.0), (3000.0, 0.0)),
    ];
    let drill = |share: f64| {
        let mut p = walkers();
        p.population.self_arranged_share = share;
        let mut d = Drill::with_destinations(
            &roads,
            &[building("B1", (0.0, 5.0), 60, 1)],
            &[shelter("A", (1000.0, 0.0), 20, vec![0])],
            &p,
            CostParams::default(),
            |sh, g| {
                sh.add_assembly("P1", (1000.0, 500.0), None, g).unwrap();
                let ends: Vec<_> = [(-800.0, 0.0), (3000.0, 0.0)]
                    .iter()
                    .map(|&at| g.nearest_node(at, Mode::Walk).unwrap())
                    .collect();
                sh.add_exits(&ends, g);
            },
        );
        d.hh.issue_warning(&[0], &sms(120.0), 0.0).unwrap();
        d
    };
    let mut d = drill(0.5);
    let sh = d.hh.shelters();
    assert_eq!(
        (0..sh.len()).map(|k| sh.kind(k)).collect::<Vec<_>>(),
        [DestKind::Shelter, DestKind::Assembly, DestKind::Exit]
    );
    d.run_until(4.0 * 3600.0, Water::Dry, |d| {
        assert!(
            d.hh.shelters().occupancy(0) <= 20,
            "A over capacity at {}",
            d.t
        );
    });
    let n = d.hh.len() as u32;
    let counts = d.hh.counts_by_state_and_zone();
    let away = counts.total(HouseholdState::Away);
    let sheltered = counts.total(HouseholdState::Sheltered);
    assert_eq!(
        away + sheltered,
        n,
        "everyone ends away or sheltered: {counts:?}"
    );
    assert!(
        (15..=45).contains(&away),
        "about half go to relatives: {away} of {n}"
    );
    // Those away took the west exit (800 m), not the east one: at their walking time.
    for e in &d.events {
        if let AgentEvent::LeftDistrict { hh, t, persons } = *e {
            assert_eq!(d.hh.state(hh), HouseholdState::Away);
            assert_eq!(persons, d.hh.persons(hh));
            let dep = d.hh.departure_time(hh).unwrap();
            let walk = 800.0 / 1.2;
            assert!(
                t >= dep + walk - 1e-6 && t <= dep + walk + 120.0,
                "{hh}: left at {t}, departed {dep}: not by the west exit"
            );
        }
    }
    let left = d
        .events
        .iter()
        .filter(|e| matches!(e, AgentEvent::LeftDistrict { .. }))
        .count() as u32;
    assert_eq!(left, away);
    // The public evacuees filled A, then went on to the assembly point; nobody "arrived"
    // at the exit as if it were a shelter.
    let occ = |k| d.hh.shelters().occupancy(k);
    let public: u32 = (0..n)
        .map(HouseholdId)
        .filter(|&h| d.hh.state(h) == HouseholdState::Sheltered)
        .map(|h| d.hh.persons(h))
        .sum();
    assert!(occ(0) >= 15 && occ(0) <= 20, "A filled: {}", occ(0));
    assert_eq!(occ(0) + occ(1), public);
    assert!(occ(1) > 0, "the overflow is at the assembly point");
    let persons_away: u32 = (0..n)
        .map(HouseholdId)
        .filter(|&h| d.hh.state(h) == HouseholdState::Away)
        .map(|h| d.hh.persons(h))
        .sum();
    assert_eq!(occ(2), persons_away, "the exit counts those who passed it");
    for e in &d.events {
        if let AgentEvent::Sheltered { shelter, .. } = e {
            assert_ne!(*shelter, 2, "sheltered at the exit");
        }
    }

    // With no one self-arranged, nobody is away.
    let mut d = drill(0.0);
    d.run_until(4.0 * 3600.0, Water::Dry, |_| {});
    let counts = d.hh.counts_by_state_and_zone();
    assert_eq!(counts.total(HouseholdState::Away), 0);
    assert_eq!(counts.total(HouseholdState::Sheltered), d.hh.len() as u32);
}
