//! One tick of the household kernel: receptions, decisions, departures, movement on
//! the road graph, hazard, then shelter admission.
//!
//! # How
//! [`Households::step`] advances every household from `t` to `t + dt`:
//! 1. **Loads** (sequential, O(households)): households per edge and mode at the start
//!    of the tick (the queues' occupancy). Depth factors per edge come from the
//!    `EdgeCosts` depths and speed curves, recomputed only for edges whose depth
//!    changed.
//! 2. **Households** (parallel, rayon over chunks of 2048 households, each chunk writing
//!    only its own slice): reception (`WarningReceived` at its exact time), decision
//!    (`Preparing`, or `Staying` + `Refused`), departure at `reception + lognormal`
//!    delay (`Departed`; `StayedHome` → in place when no shelter can be reached from
//!    home), a waiting household's new try (or its refuge after `max_wait_s`),
//!    movement along the current edge up to its end, then the hazard check at the end
//!    of the tick.
//! 3. **Queues** (sequential, requests in (time, household id) order): every household
//!    at the end of its edge or at a node goes on (below); arrivals are collected.
//! 4. **Admission** (sequential, arrivals sorted by (arrival time, household id)): a
//!    shelter admits while it is open with room, else `TurnedAway` and the household
//!    heads for the nearest open shelter with room (`Rerouted`) or waits at the door.
//! 5. **Zone acknowledgements** due by `t + dt`.
//!
//! Events of the step are sorted by `(t, household id)` and appended.
//!
//! # Movement: links as queues
//! Mesoscopic, after the queue model of MATSim: a household is at a node or some
//! metres along a directed edge. On edge `e` it moves at `min(base, free(e)) × depth
//! factor(e)` (base: 1.2 m/s walking, 0.9 m/s with elderly or children, the speed
//! limit by car) until the edge's end, where it queues. Each edge holds at most
//! `lanes × length / spacing` households of a mode (storage; vehicles when driving)
//! and lets one leave every `1 / (lanes × flow per lane)` seconds (flow capacity),
//! first come first served. A household leaves when the flow allows and enters the
//! next edge of its shelter's [`RouteTree`] only if that edge has room; otherwise it
//! waits at the end of its edge (still taking its place there) and enters at the
//! moment a place frees. In one tick it may cross several short edges. If the next
//! edge is closed for its mode (water above the mode's limit, an order) or the tree
//! does not reach the node, it re-routes to the shelter nearest by the other trees
//! that is open, has room and whose first edge is open; failing that it is
//! **waiting** at the node (with its reason), tries again each tick, and after
//! `max_wait_s` takes **refuge** in a building there. A household on an edge whose
//! speed falls to zero (water at the edge's midpoint) is waiting there, cut off: it
//! goes on when the edge moves again, or takes refuge after `max_wait_s`.
//!
//! # Hazard
//! Depth `d` and speed `v` where the household is (home centroid at home): a moving
//! or waiting household is trapped when `d > 0` and `HR = d(v + 0.5) + DF >
//! hr_threshold`, or `d >` its mode's closure limit; a household at home when `d`
//! exceeds its building's threshold (0.8 m for one storey, a storey more for each
//! floor above); one in a refuge above two storeys. Casualties only by the explicit
//! rule.
//!
//! Units: seconds, metres, metres per second.

use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use rayon::prelude::*;

use crate::agents::events::{AgentEvent, HouseholdId, sort_events};
use crate::agents::households::{
    Attrs, CHUNK, HouseholdState, Households, NONE, Reason, action_of, position_of,
};
use crate::agents::params::{AgentError, AgentParams, QueueParams};
use crate::agents::shelters::{DestKind, Shelters};
use crate::scenario::schema::WarnAction;
use crate::world::grid::GridSpec;
use crate::world::roads::{EdgeId, Mode, NodeId, RoadGraph};
use crate::world::routing::{EdgeCosts, ModeLimits, RouteTree, SpeedCurve};
use crate::world::vector::Pt;

/// Water depth and speed grids over one [`GridSpec`] (row-major, row 0 north).
#[derive(Debug, Clone, Copy)]
pub struct WaterGrids<'a> {
    spec: GridSpec,
    depth: &'a [f64],
    speed: &'a [f64],
}

impl<'a> WaterGrids<'a> {
    /// Depth (m) and speed magnitude (m/s) per cell; both must have `spec.len()` cells.
    pub fn new(spec: GridSpec, depth: &'a [f64], speed: &'a [f64]) -> Result<Self, AgentError> {
        for (what, g) in [("water depth", depth), ("water speed", speed)] {
            if g.len() != spec.len() {
                return Err(AgentError::LengthMismatch {
                    what,
                    expected: spec.len(),
                    found: g.len(),
                });
            }
        }
        Ok(Self { spec, depth, speed })
    }

    /// `(depth, speed)` at a map point; dry outside the grid.
    #[inline]
    pub fn sample(&self, p: Pt) -> (f64, f64) {
        // Same cell as `GridSpec::cell_at`, without a libm `floor` call: for values
        // ≥ 0 truncation is the floor, and NaN fails the comparison.
        let sp = &self.spec;
        let fx = (p.0 - sp.xll) / sp.cell;
        let fy = (p.1 - sp.yll) / sp.cell;
        if !(fx >= 0.0 && fy >= 0.0) {
            return (0.0, 0.0);
        }
        let (c, rs) = (fx as usize, fy as usize);
        if c >= sp.ncols || rs >= sp.nrows {
            return (0.0, 0.0);
        }
        let i = sp.idx(sp.nrows - 1 - rs, c);
        (self.depth[i], self.speed[i])
    }
}

/// Where the water is, for the hazard check.
#[derive(Clone, Copy)]
pub enum Water<'a> {
    /// No water anywhere (no hazard check).
    Dry,
    /// Depth and speed grids.
    Grids(WaterGrids<'a>),
    /// A sampler `point → (depth m, speed m/s)`; must be pure (it is called from
    /// several threads, in any order).
    Sampler(&'a (dyn Fn(Pt) -> (f64, f64) + Sync)),
}

impl std::fmt::Debug for Water<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dry => f.write_str("Dry"),
            Self::Grids(g) => write!(f, "Grids({})", g.spec),
            Self::Sampler(_) => f.write_str("Sampler(..)"),
        }
    }
}

impl Water<'_> {
    #[inline]
    fn sample(&self, p: Pt) -> Option<(f64, f64)> {
        match self {
            Self::Dry => None,
            Self::Grids(g) => Some(g.sample(p)),
            Self::Sampler(f) => Some(f(p)),
        }
    }
}

/// What one step needs from the world: the graph, the current edge costs (depths,
/// closures, the speed curves and congestion parameters), one route tree per shelter
/// and mode (in shelter order, built to [`Shelters::nodes`]), and the water.
#[derive(Debug, Clone, Copy)]
pub struct AgentEnv<'a> {
    /// The road graph.
    pub graph: &'a RoadGraph,
    /// Edge costs now: closure, depth per edge, curves, congestion parameters.
    pub costs: &'a EdgeCosts,
    /// Drive-mode tree per shelter.
    pub trees_drive: &'a [RouteTree],
    /// Walk-mode tree per shelter.
    pub trees_walk: &'a [RouteTree],
    /// Water for the hazard check.
    pub water: Water<'a>,
}

impl AgentEnv<'_> {
    /// Trees for `mode`.
    #[inline]
    pub fn trees(&self, mode: Mode) -> &[RouteTree] {
        match mode {
            Mode::Drive => self.trees_drive,
            Mode::Walk => self.trees_walk,
        }
    }
}

/// Compact per-edge geometry for the hot loop (one cache line instead of three).
#[derive(Debug, Clone, Copy, Default)]
struct EdgeGeo {
    ax: f64,
    ay: f64,
    dx: f64,
    dy: f64,
    len: f64,
    free: f64,
}

impl EdgeGeo {
    /// Same arithmetic as `households::position_of`, so positions agree bit for bit.
    #[inline]
    fn at(&self, s: f64) -> Pt {
        let f = if self.len > 0.0 {
            (s / self.len).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (self.ax + self.dx * f, self.ay + self.dy * f)
    }
}

/// The step's workspace: derived per-edge work arrays, rebuilt freely by the step
/// (not part of the state, never saved: `geo_key` holds a heap address). The caller
/// keeps one beside its [`Households`] and passes it to every [`Households::step`].
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Households (vehicles) on each edge per mode: counted at the start of the step,
    /// kept up to date by the queue pass.
    load: [Vec<u32>; 2],
    /// Storage capacity per mode and edge.
    storage: [Vec<u32>; 2],
    /// Seconds between two households leaving, per mode and edge (1 / flow capacity).
    headway: [Vec<f64>; 2],
    /// Depth factor per mode and edge.
    dfac: [Vec<f64>; 2],
    last_depth: Vec<f64>,
    curves: Option<(SpeedCurve, SpeedCurve)>,
    queues: Option<QueueParams>,
    geo: Vec<EdgeGeo>,
    /// (edges pointer, edge count, node count) the geometry was built for.
    geo_key: (usize, usize, usize),
    /// Households waiting for room on each edge during the queue pass (FIFO).
    parked: BTreeMap<u32, VecDeque<u32>>,
    /// Edges a household crossed in this step's queue pass (guards zero-length loops).
    hops: BTreeMap<u32, u32>,
}

impl Workspace {
    /// Households on each edge for `mode` at the start of the last step (vehicles when
    /// driving): feed them to `EdgeCosts::set_load` before rebuilding route trees if
    /// routes should see congestion.
    pub fn edge_loads(&self, mode: Mode) -> &[u32] {
        &self.load[mode.index()]
    }

    fn prepare(
        &mut self,
        env: &AgentEnv,
        params: &AgentParams,
        attrs: &Attrs,
        state: &[HouseholdState],
        edge: &[u32],
    ) {
        let g = env.graph;
        let ne = g.edge_count();
        let key = (g.edges.as_ptr() as usize, ne, g.node_count());
        let p = env.costs.params();
        let curves = (p.drive_curve.clone(), p.walk_curve.clone());
        let q = params.movement.queues;
        if self.geo_key != key || self.curves.as_ref() != Some(&curves) || self.queues != Some(q) {
            for mode in Mode::ALL {
                let m = mode.index();
                self.load[m] = vec![0; ne];
                self.dfac[m] = vec![0.0; ne];
                self.storage[m] = g
                    .edges
                    .iter()
                    .map(|e| q.storage(mode, e.lanes, e.length))
                    .collect();
                self.headway[m] = g
                    .edges
                    .iter()
                    .map(|e| 1.0 / q.flow_per_s(mode, e.lanes))
                    .collect();
            }
            self.last_depth = vec![f64::NAN; ne];
            self.curves = Some(curves);
            self.queues = Some(q);
            self.geo = g
                .edges
                .iter()
                .map(|e| {
                    let (a, b) = (g.node_pos[e.from.idx()], g.node_pos[e.to.idx()]);
                    EdgeGeo {
                        ax: a.0,
                        ay: a.1,
                        dx: b.0 - a.0,
                        dy: b.1 - a.1,
                        len: e.length,
                        free: e.free_speed,
                    }
                })
                .collect();
            self.geo_key = key;
        }
        let (dc, wc) = self.curves.as_ref().expect("curves set above");
        for e in 0..ne {
            let d = env.costs.depth(crate::world::roads::EdgeId(e as u32));
            if d.to_bits() != self.last_depth[e].to_bits() {
                self.last_depth[e] = d;
                self.dfac[0][e] = dc.factor(d);
                self.dfac[1][e] = wc.factor(d);
            }
        }
        for l in &mut self.load {
            l.fill(0);
        }
        for i in 0..state.len() {
            let e = edge[i];
            if e != NONE && state[i] == HouseholdState::Moving {
                self.load[attrs.mode[i].index()][e as usize] += 1;
            }
        }
        self.parked.clear();
        self.hops.clear();
    }
}

/// Read-only context of the parallel pass.
struct Ctx<'a> {
    env: &'a AgentEnv<'a>,
    trees: [&'a [RouteTree]; 2],
    attrs: &'a Attrs,
    params: &'a AgentParams,
    limits: ModeLimits,
    shelters: &'a Shelters,
    dfac: [&'a [f64]; 2],
    geo: &'a [EdgeGeo],
    t0: f64,
    t1: f64,
}

/// One chunk's slices of the dynamic arrays.
struct ChunkMut<'a> {
    base: usize,
    state: &'a mut [HouseholdState],
    t_recv: &'a [f64],
    channel: &'a [u16],
    t_depart: &'a mut [f64],
    t_state: &'a mut [f64],
    target: &'a mut [u32],
    node: &'a mut [u32],
    edge: &'a mut [u32],
    s: &'a mut [f64],
    exposure: &'a mut [f64],
    reason: &'a mut [u8],
    t_q: &'a mut [f64],
    advice: &'a mut [u8],
    pending: &'a mut [u8],
}

/// Why no shelter could be chosen: none open with room for `persons`, or the roads to
/// those with room are cut.
fn why_stuck(shelters: &Shelters, persons: u32) -> Reason {
    if (0..shelters.len())
        .any(|k| shelters.kind(k) != DestKind::Exit && shelters.has_room(k, persons))
    {
        Reason::CutOff
    } else {
        Reason::NoRoom
    }
}

#[derive(Default)]
struct ChunkOut {
    events: Vec<AgentEvent>,
    asks: Vec<Ask>,
}

/// True if `mode` can leave `node` towards shelter `k` now: the tree reaches it and
/// its first edge is open (or the node is the shelter's).
#[inline]
fn first_step_ok(tree: &RouteTree, costs: &EdgeCosts, mode: Mode, node: NodeId) -> bool {
    if tree.is_dest(node) {
        return true;
    }
    match tree.next_edge(node) {
        Some(e) => costs.is_open(mode, e),
        None => false,
    }
}

/// Where a household choosing a destination stands.
#[derive(Clone, Copy)]
struct Chooser {
    mode: Mode,
    node: NodeId,
    zone: u32,
    persons: u32,
    /// Never chosen (the destination that just turned it away or was cut off).
    exclude: u32,
    /// Its zone's assigned shelter first (room unknown to the household).
    prefer_assigned: bool,
    /// Goes to relatives or a place of its own: the nearest exit first.
    self_arranged: bool,
}

impl Chooser {
    /// Household `i` (its mode, zone, persons and plans) choosing from `node`.
    fn of(a: &Attrs, i: usize, node: NodeId, exclude: u32, prefer_assigned: bool) -> Self {
        Self {
            mode: a.mode[i],
            node,
            zone: a.zone[i],
            persons: u32::from(a.persons[i]),
            exclude,
            prefer_assigned,
            self_arranged: a.self_arranged[i],
        }
    }
}

/// Choose a destination from `node`, in this order: the nearest exit for a
/// self-arranged household; the zone's assigned shelter if `prefer_assigned` and it is
/// open and reachable; the open public shelter with room for `persons` nearest by
/// route time; the nearest assembly point with room. Only destinations whose first
/// step from `node` is open count; ties to the lower index; `exclude` is never chosen.
/// A household that is not self-arranged has nowhere to go outside the district.
fn choose_shelter(
    shelters: &Shelters,
    trees: &[RouteTree],
    costs: &EdgeCosts,
    c: Chooser,
) -> Option<u32> {
    let ok = |k: u32| {
        k != c.exclude
            && shelters.is_open(k as usize)
            && trees[k as usize].reaches(c.node)
            && first_step_ok(&trees[k as usize], costs, c.mode, c.node)
    };
    if c.self_arranged
        && let Some(x) = shelters.exit()
        && ok(x)
    {
        return Some(x);
    }
    if c.prefer_assigned
        && let Some(a) = shelters.assigned(c.zone)
        && ok(a)
    {
        return Some(a);
    }
    for kind in [DestKind::Shelter, DestKind::Assembly] {
        let mut best: Option<(f64, u32)> = None;
        for (k, tree) in trees.iter().enumerate() {
            if shelters.kind(k) != kind || !shelters.has_room(k, c.persons) || !ok(k as u32) {
                continue;
            }
            let t = tree.time_to_dest(c.node);
            if best.is_none_or(|(bt, _)| t < bt) {
                best = Some((t, k as u32));
            }
        }
        if let Some((_, k)) = best {
            return Some(k);
        }
    }
    None
}

fn opt(k: u32) -> Option<u32> {
    Some(k).filter(|&k| k != NONE)
}

impl Ctx<'_> {
    /// Advance one household (chunk slot `k`) over the tick.
    fn update(&self, c: &mut ChunkMut, k: usize, out: &mut ChunkOut) {
        use HouseholdState as S;
        let i = c.base + k;
        let hh = HouseholdId(i as u32);
        let a = self.attrs;
        let mp = &self.params.mobilisation;
        let (t0, t1) = (self.t0, self.t1);
        let mut st = c.state[k];
        if matches!(st, S::Sheltered | S::Away | S::Rescued | S::Casualty) {
            return;
        }
        let mode = a.mode[i];
        let persons = a.persons[i] as u32;
        // Reception: a first warning, or a stronger action reaching a household at
        // home on a weaker one (ready, or staying in as told).
        let stronger = matches!(st, S::Ready | S::InPlace) && c.pending[k] > c.advice[k];
        if (st == S::Unaware || stronger) && c.t_recv[k] <= t1 {
            let tr = c.t_recv[k];
            out.events.push(AgentEvent::WarningReceived {
                hh,
                t: tr,
                channel: c.channel[k],
            });
            let prepared = st == S::Ready && a.complies[i];
            let factor = if prepared { mp.prepared_factor } else { 1.0 };
            st = S::Warned;
            c.advice[k] = c.pending[k].max(1);
            c.pending[k] = 0;
            c.reason[k] = Reason::None as u8;
            c.t_state[k] = tr;
            c.t_depart[k] = tr + factor * mp.median_at(tr) * (mp.sigma * a.mob_z[i]).exp();
        }
        // Decision.
        if st == S::Warned {
            let td = c.t_state[k] + mp.decision_s;
            if td <= t1 {
                c.t_state[k] = td;
                // No storey above the water (one storey): staying in is no refuge.
                let one_storey =
                    a.home_trap_depth[i] <= self.params.hazard.home_trap_depth_m + 1e-9;
                match action_of(c.advice[k]) {
                    Some(WarnAction::Prepare) => st = S::Ready,
                    Some(WarnAction::ShelterInPlace) if !one_storey => {
                        // Everyone stays in; the non-compliant would stay home anyway.
                        st = S::InPlace;
                        c.reason[k] = Reason::Ordered as u8;
                        out.events.push(AgentEvent::StayedHome {
                            hh,
                            t: td,
                            reason: Reason::Ordered as u8,
                        });
                    }
                    _ if a.complies[i] => st = S::Preparing,
                    _ => {
                        st = S::Staying;
                        out.events.push(AgentEvent::Refused { hh, t: td });
                    }
                }
            }
        }
        // Departure.
        let mut t_from = t0;
        // Leaving home this tick: at its door only for an instant (the queue pass
        // moves it on); the water where it goes is checked from the next tick.
        let mut just_left = false;
        if st == S::Preparing && c.t_depart[k] <= t1 && a.home_node[i] != NONE {
            let td = c.t_depart[k].max(c.t_state[k]);
            let home = a.home_node[i];
            st = S::Moving;
            c.t_state[k] = td;
            c.node[k] = home;
            c.edge[k] = NONE;
            c.s[k] = 0.0;
            let target = choose_shelter(
                self.shelters,
                self.trees[mode.index()],
                self.env.costs,
                Chooser::of(a, i, NodeId(home), NONE, true),
            );
            match target {
                Some(j) => {
                    c.target[k] = j;
                    c.t_q[k] = f64::INFINITY;
                    just_left = true;
                    out.events.push(AgentEvent::Departed {
                        hh,
                        t: td,
                        shelter: Some(j),
                        mode,
                    });
                    t_from = td;
                }
                None => {
                    // No shelter can be reached from home: stay in, upstairs, rather
                    // than set out into the water.
                    let why = why_stuck(self.shelters, persons);
                    st = S::InPlace;
                    c.node[k] = NONE;
                    c.target[k] = NONE;
                    c.reason[k] = why as u8;
                    out.events.push(AgentEvent::StayedHome {
                        hh,
                        t: td,
                        reason: why as u8,
                    });
                }
            }
        }
        // Waiting on the road: try again, or take refuge once the wait is over.
        if st == S::Waiting {
            let n = c.node[k];
            // Held on an edge the water stopped: it goes on when the edge moves again.
            let held = c.edge[k] != NONE;
            let found = if held {
                (self.speed(i, c.edge[k]) > 0.0).then_some(c.target[k])
            } else {
                choose_shelter(
                    self.shelters,
                    self.trees[mode.index()],
                    self.env.costs,
                    Chooser::of(a, i, NodeId(n), NONE, false),
                )
            };
            match found {
                Some(j) => {
                    st = S::Moving;
                    c.target[k] = j;
                    c.reason[k] = Reason::None as u8;
                    c.t_state[k] = t0;
                    if !held {
                        c.t_q[k] = f64::INFINITY;
                        out.events.push(AgentEvent::Rerouted {
                            hh,
                            t: t0,
                            from: None,
                            to: j,
                        });
                    }
                    t_from = t0;
                }
                None => {
                    let tr = c.t_state[k] + self.params.movement.max_wait_s;
                    if tr <= t1 {
                        let p = if held {
                            self.geo[c.edge[k] as usize].at(c.s[k])
                        } else {
                            position_of(self.env.graph, n, NONE, 0.0, a.home_pos[i])
                        };
                        st = S::Refuge;
                        c.t_state[k] = tr;
                        out.events.push(AgentEvent::TookRefuge {
                            hh,
                            t: tr,
                            x: p.0,
                            y: p.1,
                            reason: c.reason[k],
                        });
                    }
                }
            }
        }
        // Movement (to the end of the edge; the queue pass moves it on).
        if st == S::Moving && !self.advance(c, k, i, t_from) {
            // Stopped by the water on its edge: waiting there, cut off.
            st = S::Waiting;
            c.t_state[k] = t_from;
            c.reason[k] = Reason::CutOff as u8;
            out.events.push(AgentEvent::Waiting {
                hh,
                t: t_from,
                node: c.node[k],
                reason: Reason::CutOff as u8,
            });
        }
        // Hazard.
        if !just_left
            && matches!(
                st,
                S::Unaware
                    | S::Warned
                    | S::Preparing
                    | S::Staying
                    | S::InPlace
                    | S::Ready
                    | S::Moving
                    | S::Waiting
                    | S::Refuge
                    | S::Trapped
            )
        {
            let p = if c.edge[k] != NONE {
                self.geo[c.edge[k] as usize].at(c.s[k])
            } else {
                position_of(self.env.graph, c.node[k], NONE, 0.0, a.home_pos[i])
            };
            if let Some((d, v)) = self.env.water.sample(p) {
                let hz = &self.params.hazard;
                let hr = hz.rating(d, v);
                let trapped = match st {
                    S::Moving | S::Waiting => {
                        d > 0.0 && (hr > hz.hr_threshold || d > self.limits.limit(mode))
                    }
                    S::Trapped => false,
                    S::Refuge => d > hz.home_trap_depth_m + hz.storey_height_m,
                    _ => d > a.home_trap_depth[i],
                };
                if trapped {
                    st = S::Trapped;
                    c.t_state[k] = t1;
                    c.t_q[k] = f64::INFINITY;
                    c.exposure[k] = 0.0;
                    out.events.push(AgentEvent::Trapped {
                        hh,
                        t: t1,
                        x: p.0,
                        y: p.1,
                        depth: d,
                        velocity: v,
                        persons,
                    });
                } else if st == S::Trapped
                    && let Some(rule) = hz.casualty
                {
                    if hr > rule.hr_above {
                        c.exposure[k] += t1 - t0;
                        if c.exposure[k] > rule.for_s {
                            st = S::Casualty;
                            c.t_state[k] = t1;
                            out.events.push(AgentEvent::Casualty {
                                hh,
                                t: t1,
                                depth: d,
                                velocity: v,
                                persons,
                            });
                        }
                    } else {
                        c.exposure[k] = 0.0;
                    }
                }
            }
        }
        c.state[k] = st;
        if st == S::Moving && c.t_q[k] <= t1 {
            out.asks.push(Ask(c.t_q[k], i as u32));
        }
    }

    /// Move a `Moving` household along its edge from `t_from` to `t1`, up to the edge's
    /// end; there (or at a node) it asks to go on: its place in the queue (`t_q`) is
    /// the time it got there, and the queue pass moves it on.
    /// Returns false when the water (or a NaN) holds it where it is on its edge.
    fn advance(&self, c: &mut ChunkMut, k: usize, i: usize, t_from: f64) -> bool {
        let e = c.edge[k];
        if e == NONE {
            if c.t_q[k].is_infinite() {
                c.t_q[k] = t_from;
            }
            return true;
        }
        if c.t_q[k].is_finite() {
            // At the end of its edge, queued.
            return true;
        }
        let ed = &self.geo[e as usize];
        let v = self.speed(i, e);
        if v.is_nan() || v <= 0.0 {
            return false;
        }
        let need = (ed.len - c.s[k]).max(0.0) / v;
        if t_from + need <= self.t1 {
            c.s[k] = ed.len;
            c.t_q[k] = t_from + need;
        } else {
            c.s[k] += v * (self.t1 - t_from);
        }
        true
    }

    /// Speed of household `i` on edge `e` now, m/s.
    #[inline]
    fn speed(&self, i: usize, e: u32) -> f64 {
        let a = self.attrs;
        let ed = &self.geo[e as usize];
        a.base_speed[i].min(ed.free) * self.dfac[a.mode[i].index()][e as usize]
    }
}

/// A request of the queue pass: household `i` may go on at `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ask(f64, u32);

impl Eq for Ask {}

impl PartialOrd for Ask {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Ask {
    /// Reversed (earliest, then lowest id, first out of a max-heap).
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// What the queue pass does with one request.
enum Next {
    /// Arrived at its shelter's node at `t`.
    Arrive(f64),
    /// Onto edge `e` at `t`.
    Enter(EdgeId, f64),
    /// No room on the next edge: wait for it.
    Park(EdgeId),
    /// Nowhere to go from this node at `t`.
    Stuck(f64, Reason),
}

impl Households {
    /// Where household `i`, free to go on from node `n` at `t`, goes next: its
    /// shelter (arrived), the next edge of its route (with room, or parked until there
    /// is), or nowhere (stuck). Re-routes, logged, when its shelter is closed or the
    /// way to it is cut. Returns the new target too.
    fn next_step(
        &self,
        env: &AgentEnv,
        ws: &Workspace,
        i: usize,
        n: NodeId,
        t: f64,
        events: &mut Vec<AgentEvent>,
    ) -> (Next, u32) {
        let mode = self.attrs.mode[i];
        let trees = env.trees(mode);
        let costs = env.costs;
        let persons = self.attrs.persons[i] as u32;
        let hh = HouseholdId(i as u32);
        let reroute = |events: &mut Vec<AgentEvent>, tg: u32| {
            let j = choose_shelter(
                &self.shelters,
                trees,
                costs,
                Chooser::of(&self.attrs, i, n, tg, false),
            )?;
            events.push(AgentEvent::Rerouted {
                hh,
                t,
                from: opt(tg),
                to: j,
            });
            Some(j)
        };
        let stuck = || Next::Stuck(t, why_stuck(&self.shelters, persons));
        let mut tg = self.dynm.target[i];
        if tg == NONE || !self.shelters.is_open(tg as usize) {
            match reroute(events, tg) {
                Some(j) => tg = j,
                None => return (stuck(), NONE),
            }
        }
        // At most one re-route here: `choose_shelter` only picks a shelter whose first
        // step from `n` is open.
        for _ in 0..2 {
            let tree = &trees[tg as usize];
            if tree.is_dest(n) {
                return (Next::Arrive(t), tg);
            }
            match tree.next_edge(n) {
                Some(e) if costs.is_open(mode, e) => {
                    let m = mode.index();
                    let full = ws.load[m][e.idx()] >= ws.storage[m][e.idx()];
                    return (
                        if full {
                            Next::Park(e)
                        } else {
                            Next::Enter(e, t)
                        },
                        tg,
                    );
                }
                _ => match reroute(events, tg) {
                    Some(j) => tg = j,
                    None => return (stuck(), NONE),
                },
            }
        }
        (stuck(), NONE)
    }

    /// Household `i` leaves its edge (if on one) at `t`: one place frees on the edge
    /// (the first household parked for it may enter at `t`) and the next may leave it
    /// one headway later.
    fn leave_edge(&mut self, ws: &mut Workspace, heap: &mut BinaryHeap<Ask>, i: usize, t: f64) {
        let e = self.dynm.edge[i];
        if e == NONE {
            return;
        }
        let m = self.attrs.mode[i].index();
        let e = e as usize;
        ws.load[m][e] = ws.load[m][e].saturating_sub(1);
        self.queues.next_exit[m][e] = t + ws.headway[m][e];
        if let Some(j) = ws.parked.get_mut(&(e as u32)).and_then(|q| q.pop_front()) {
            heap.push(Ask(t, j));
        }
    }

    /// Household `i` leaves its edge at `t` and stops at node `n` (arrived, or stuck).
    fn step_off(
        &mut self,
        ws: &mut Workspace,
        heap: &mut BinaryHeap<Ask>,
        i: usize,
        t: f64,
        n: NodeId,
    ) {
        self.leave_edge(ws, heap, i, t);
        let d = &mut self.dynm;
        d.node[i] = n.0;
        d.edge[i] = NONE;
        d.s[i] = 0.0;
        d.t_q[i] = f64::INFINITY;
    }

    /// The queue pass (sequential, earliest request first, ties to the lower id): every
    /// household at the end of its edge or at a node leaves when the edge's flow
    /// capacity allows (FIFO) and enters the next edge when it has room, possibly
    /// crossing several short edges in the step; arrivals go to admission.
    fn queue_pass(
        &mut self,
        env: &AgentEnv,
        ws: &mut Workspace,
        asks: Vec<Ask>,
        t1: f64,
        events: &mut Vec<AgentEvent>,
        arrivals: &mut Vec<(f64, u32)>,
    ) {
        let ne = env.graph.edge_count();
        for q in &mut self.queues.next_exit {
            if q.len() != ne {
                *q = vec![f64::NEG_INFINITY; ne];
            }
        }
        let max_hops = self.params.movement.max_hops_per_tick;
        let mut heap: BinaryHeap<Ask> = asks.into();
        while let Some(Ask(t, hi)) = heap.pop() {
            let i = hi as usize;
            if self.dynm.state[i] != HouseholdState::Moving {
                continue;
            }
            let m = self.attrs.mode[i].index();
            let e = self.dynm.edge[i];
            let n = if e != NONE {
                env.graph.edges[e as usize].to
            } else {
                NodeId(self.dynm.node[i])
            };
            let tx = if e != NONE {
                t.max(self.queues.next_exit[m][e as usize])
            } else {
                t
            };
            if tx > t1 {
                continue;
            }
            let (next, tg) = self.next_step(env, ws, i, n, tx, events);
            let d = &mut self.dynm;
            match next {
                Next::Park(e2) => {
                    d.target[i] = tg;
                    ws.parked.entry(e2.0).or_default().push_back(hi);
                }
                Next::Arrive(ta) => {
                    d.target[i] = tg;
                    self.step_off(ws, &mut heap, i, ta, n);
                    arrivals.push((ta, hi));
                }
                Next::Stuck(ts, why) => {
                    self.step_off(ws, &mut heap, i, ts, n);
                    let d = &mut self.dynm;
                    d.target[i] = NONE;
                    d.state[i] = HouseholdState::Waiting;
                    d.t_state[i] = ts;
                    d.reason[i] = why as u8;
                    events.push(AgentEvent::Waiting {
                        hh: HouseholdId(hi),
                        t: ts,
                        node: n.0,
                        reason: why as u8,
                    });
                }
                Next::Enter(e2, te) => {
                    d.target[i] = tg;
                    self.leave_edge(ws, &mut heap, i, te);
                    let ei = e2.idx();
                    ws.load[m][ei] += 1;
                    let d = &mut self.dynm;
                    d.edge[i] = e2.0;
                    d.node[i] = env.graph.edges[ei].from.0;
                    d.s[i] = 0.0;
                    d.t_q[i] = f64::INFINITY;
                    let hops = ws.hops.entry(hi).or_insert(0);
                    *hops += 1;
                    let ed = &ws.geo[ei];
                    let v = self.attrs.base_speed[i].min(ed.free) * ws.dfac[m][ei];
                    if v.is_nan() || v <= 0.0 {
                        continue;
                    }
                    let tend = te + ed.len / v;
                    if tend <= t1 {
                        d.s[i] = ed.len;
                        d.t_q[i] = tend;
                        if *hops < max_hops {
                            heap.push(Ask(tend, hi));
                        }
                    } else {
                        d.s[i] = v * (t1 - te);
                    }
                }
            }
        }
    }
}

impl Households {
    /// Advance every household from `t` to `t + dt` (seconds); see the module docs.
    ///
    /// # Panics
    /// If the trees do not match the shelters (one per shelter and mode) or the costs
    /// were made for another graph — caller bugs, not input errors.
    pub fn step(&mut self, t: f64, dt: f64, env: &AgentEnv, ws: &mut Workspace) {
        let ns = self.shelters.len();
        assert!(
            env.trees_drive.len() == ns && env.trees_walk.len() == ns,
            "agents::step: {} drive and {} walk trees for {ns} shelters",
            env.trees_drive.len(),
            env.trees_walk.len()
        );
        assert_eq!(
            env.costs.len(),
            env.graph.edge_count(),
            "agents::step: edge costs of another graph"
        );
        let t1 = t + dt;
        ws.prepare(
            env,
            &self.params,
            &self.attrs,
            &self.dynm.state,
            &self.dynm.edge,
        );
        let ctx = Ctx {
            env,
            trees: [env.trees_drive, env.trees_walk],
            attrs: &self.attrs,
            params: &self.params,
            limits: env.costs.params().limits,
            shelters: &self.shelters,
            dfac: [&ws.dfac[0], &ws.dfac[1]],
            geo: &ws.geo,
            t0: t,
            t1,
        };
        let d = &mut self.dynm;
        let mut chunks = Vec::with_capacity(d.state.len().div_ceil(CHUNK));
        {
            let st = d.state.chunks_mut(CHUNK);
            let mut tr = d.t_recv.chunks(CHUNK);
            let mut ch = d.channel.chunks(CHUNK);
            let mut tdp = d.t_depart.chunks_mut(CHUNK);
            let mut ts = d.t_state.chunks_mut(CHUNK);
            let mut tg = d.target.chunks_mut(CHUNK);
            let mut nd = d.node.chunks_mut(CHUNK);
            let mut ed = d.edge.chunks_mut(CHUNK);
            let mut s = d.s.chunks_mut(CHUNK);
            let mut ex = d.exposure.chunks_mut(CHUNK);
            let mut rs = d.reason.chunks_mut(CHUNK);
            let mut tq = d.t_q.chunks_mut(CHUNK);
            let mut adv = d.advice.chunks_mut(CHUNK);
            let mut pen = d.pending.chunks_mut(CHUNK);
            let mut base = 0;
            for state in st {
                let n = state.len();
                let (Some(t_recv), Some(channel), Some(t_depart), Some(t_state)) =
                    (tr.next(), ch.next(), tdp.next(), ts.next())
                else {
                    unreachable!("household arrays of equal length")
                };
                let (
                    Some(target),
                    Some(node),
                    Some(edge),
                    Some(s),
                    Some(exposure),
                    Some(reason),
                    Some(t_q),
                    Some(advice),
                    Some(pending),
                ) = (
                    tg.next(),
                    nd.next(),
                    ed.next(),
                    s.next(),
                    ex.next(),
                    rs.next(),
                    tq.next(),
                    adv.next(),
                    pen.next(),
                )
                else {
                    unreachable!("household arrays of equal length")
                };
                chunks.push(ChunkMut {
                    base,
                    state,
                    t_recv,
                    channel,
                    t_depart,
                    t_state,
                    target,
                    node,
                    edge,
                    s,
                    exposure,
                    reason,
                    t_q,
                    advice,
                    pending,
                });
                base += n;
            }
        }
        let outs: Vec<ChunkOut> = chunks
            .into_par_iter()
            .map(|mut c| {
                let mut out = ChunkOut::default();
                for k in 0..c.state.len() {
                    ctx.update(&mut c, k, &mut out);
                }
                out
            })
            .collect();
        let mut events = Vec::new();
        let mut asks = Vec::new();
        for o in outs {
            events.extend(o.events);
            asks.extend(o.asks);
        }
        let mut arrivals = Vec::new();
        self.queue_pass(env, ws, asks, t1, &mut events, &mut arrivals);
        // Admission: sequential, in (arrival time, household id) order.
        arrivals.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (ta, i) in arrivals {
            let i = i as usize;
            let hh = HouseholdId(i as u32);
            let persons = self.attrs.persons[i] as u32;
            let k = self.dynm.target[i];
            if self.shelters.kind(k as usize) == DestKind::Exit {
                self.shelters.admit(k as usize, persons);
                self.dynm.state[i] = HouseholdState::Away;
                self.dynm.t_state[i] = ta;
                events.push(AgentEvent::LeftDistrict { hh, t: ta, persons });
            } else if self.shelters.admit(k as usize, persons) {
                self.dynm.state[i] = HouseholdState::Sheltered;
                self.dynm.t_state[i] = ta;
                events.push(AgentEvent::Sheltered {
                    hh,
                    shelter: k,
                    t: ta,
                    persons,
                });
            } else {
                events.push(AgentEvent::TurnedAway {
                    hh,
                    t: ta,
                    shelter: k,
                });
                let mode = self.attrs.mode[i];
                let next = choose_shelter(
                    &self.shelters,
                    env.trees(mode),
                    env.costs,
                    Chooser::of(&self.attrs, i, NodeId(self.dynm.node[i]), k, false),
                );
                match next {
                    Some(j) => {
                        events.push(AgentEvent::Rerouted {
                            hh,
                            t: ta,
                            from: Some(k),
                            to: j,
                        });
                        self.dynm.target[i] = j;
                    }
                    None => {
                        // Nowhere else to go from here now: wait at the shelter's door.
                        let why = why_stuck(&self.shelters, persons);
                        self.dynm.target[i] = NONE;
                        self.dynm.state[i] = HouseholdState::Waiting;
                        self.dynm.t_state[i] = ta;
                        self.dynm.reason[i] = why as u8;
                        events.push(AgentEvent::Waiting {
                            hh,
                            t: ta,
                            node: self.dynm.node[i],
                            reason: why as u8,
                        });
                    }
                }
            }
        }
        // Zone acknowledgements due.
        for z in 0..self.zone_count() {
            let at = self.zones.ack_t[z];
            if !self.zones.acked[z] && at <= t1 {
                self.zones.acked[z] = true;
                events.push(AgentEvent::ZoneAcknowledged {
                    zone: z as u32,
                    t: at,
                });
            }
        }
        sort_events(&mut events);
        self.events.extend(events);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn water_grid_length_is_checked() {
        let spec = GridSpec {
            ncols: 2,
            nrows: 2,
            xll: 0.0,
            yll: 0.0,
            cell: 1.0,
        };
        assert!(WaterGrids::new(spec, &[0.0; 4], &[0.0; 3]).is_err());
        let w = WaterGrids::new(spec, &[0.1, 0.2, 0.3, 0.4], &[0.0; 4]).unwrap();
        assert_eq!(w.sample((0.5, 1.5)), (0.1, 0.0));
        assert_eq!(w.sample((5.0, 5.0)), (0.0, 0.0));
        assert_eq!(w.sample((-0.5, 0.5)), (0.0, 0.0));
        assert_eq!(w.sample((f64::NAN, 0.5)), (0.0, 0.0));
        // Agrees with `GridSpec::cell_at` everywhere on a fine lattice.
        for a in -10..30 {
            for b in -10..30 {
                let p = (a as f64 * 0.1 + 0.003, b as f64 * 0.1 - 0.004);
                let want = spec.cell_at(p.0, p.1).map_or((0.0, 0.0), |(r, c)| {
                    ([0.1, 0.2, 0.3, 0.4][spec.idx(r, c)], 0.0)
                });
                assert_eq!(w.sample(p), want, "{p:?}");
            }
        }
    }
}
