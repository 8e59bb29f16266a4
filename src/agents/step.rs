//! One tick of the household kernel: receptions, decisions, departures, movement on
//! the road graph, hazard, then shelter admission.
//!
//! # How
//! [`Households::step`] advances every household from `t` to `t + dt`:
//! 1. **Loads** (sequential, O(households)): households per edge and mode at the start
//!    of the tick → BPR congestion factor per loaded edge. Depth factors per edge come
//!    from the `EdgeCosts` depths and speed curves, recomputed only for edges whose
//!    depth changed.
//! 2. **Households** (parallel, rayon over chunks of 2048 households, each chunk writing
//!    only its own slice): reception (`WarningReceived` at its exact time), decision
//!    (`Preparing`, or `Staying` + `Refused`), departure at `reception + lognormal`
//!    delay (`Departed`), movement (below), then the hazard check at the end of the tick.
//! 3. **Admission** (sequential, arrivals sorted by (arrival time, household id)): a
//!    shelter admits while it is open with room, else `TurnedAway` and the household
//!    heads for the nearest open shelter with room (`Rerouted`) or waits there.
//! 4. **Zone acknowledgements** due by `t + dt`.
//!
//! Events of the step are sorted by `(t, household id)` and appended.
//!
//! # Movement
//! Mesoscopic: a household is at a node or some metres along a directed edge. Its
//! speed on edge `e` is `min(base, free(e)) × depth factor(e) × congestion factor(e)`
//! (base: 1.2 m/s walking, 0.9 m/s with elderly or children, the speed limit by car).
//! At a node it takes the next edge of its shelter's [`RouteTree`]; if that edge is
//! closed for its mode (water above the mode's limit, an order) or the tree does not
//! reach the node, it re-routes to the shelter nearest by the other trees that is open,
//! has room and whose first edge is open; failing that it waits at the node. A
//! household already on an edge whose speed falls to zero is held there.
//!
//! # Hazard
//! Depth `d` and speed `v` where the household is (home centroid at home): a moving
//! household is trapped when `d > 0` and `HR = d(v + 0.5) + DF > hr_threshold`, or
//! `d >` its mode's closure limit; a household at home when `d` exceeds its building's
//! threshold (0.8 m for one storey). Casualties only by the explicit rule.
//!
//! Units: seconds, metres, metres per second.

use rayon::prelude::*;

use crate::agents::events::{AgentEvent, HouseholdId, sort_events};
use crate::agents::households::{
    Attrs, CHUNK, HouseholdState, Households, NONE, Reason, position_of,
};
use crate::agents::params::{AgentError, AgentParams};
use crate::agents::shelters::Shelters;
use crate::world::grid::GridSpec;
use crate::world::roads::{Mode, NodeId, RoadGraph};
use crate::world::routing::{Congestion, EdgeCosts, ModeLimits, RouteTree, SpeedCurve};
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
    to: u32,
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
    load: [Vec<u32>; 2],
    loaded: [Vec<u32>; 2],
    /// Depth factor per mode and edge.
    dfac: [Vec<f64>; 2],
    /// Depth × congestion factor per mode and edge.
    fac: [Vec<f64>; 2],
    last_depth: Vec<f64>,
    curves: Option<(SpeedCurve, SpeedCurve)>,
    geo: Vec<EdgeGeo>,
    /// (edges pointer, edge count, node count) the geometry was built for.
    geo_key: (usize, usize, usize),
}

/// BPR factor with an integer-power fast path.
#[inline]
fn bpr(c: &Congestion, load: f64, capacity: f64) -> f64 {
    if load <= 0.0 {
        return 1.0;
    }
    let x = load / capacity;
    let p = if c.beta == 4.0 {
        let x2 = x * x;
        x2 * x2
    } else if c.beta.fract() == 0.0 && c.beta.abs() <= 16.0 {
        x.powi(c.beta as i32)
    } else {
        x.powf(c.beta)
    };
    1.0 / (1.0 + c.alpha * p)
}

impl Workspace {
    /// Households on each edge for `mode` at the start of the last step (vehicles when
    /// driving): feed them to `EdgeCosts::set_load` before rebuilding route trees if
    /// routes should see congestion.
    pub fn edge_loads(&self, mode: Mode) -> &[u32] {
        &self.load[mode.index()]
    }

    fn prepare(&mut self, env: &AgentEnv, attrs: &Attrs, state: &[HouseholdState], edge: &[u32]) {
        let g = env.graph;
        let ne = g.edge_count();
        let key = (g.edges.as_ptr() as usize, ne, g.node_count());
        let p = env.costs.params();
        let curves = (p.drive_curve.clone(), p.walk_curve.clone());
        if self.geo_key != key || self.curves.as_ref() != Some(&curves) {
            for m in 0..2 {
                self.load[m] = vec![0; ne];
                self.loaded[m].clear();
                self.dfac[m] = vec![0.0; ne];
                self.fac[m] = vec![0.0; ne];
            }
            self.last_depth = vec![f64::NAN; ne];
            self.curves = Some(curves);
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
                        to: e.to.0,
                    }
                })
                .collect();
            self.geo_key = key;
        }
        // Undo last tick's congestion.
        for m in 0..2 {
            for &e in &self.loaded[m] {
                self.load[m][e as usize] = 0;
                self.fac[m][e as usize] = self.dfac[m][e as usize];
            }
            self.loaded[m].clear();
        }
        let (dc, wc) = self.curves.as_ref().expect("curves set above");
        for e in 0..ne {
            let d = env.costs.depth(crate::world::roads::EdgeId(e as u32));
            if d.to_bits() != self.last_depth[e].to_bits() {
                self.last_depth[e] = d;
                self.dfac[0][e] = dc.factor(d);
                self.dfac[1][e] = wc.factor(d);
                self.fac[0][e] = self.dfac[0][e];
                self.fac[1][e] = self.dfac[1][e];
            }
        }
        for i in 0..state.len() {
            let e = edge[i];
            if e != NONE && state[i] == HouseholdState::Moving {
                let m = attrs.mode[i].index();
                let l = &mut self.load[m][e as usize];
                if *l == 0 {
                    self.loaded[m].push(e);
                }
                *l += 1;
            }
        }
        for mode in Mode::ALL {
            let m = mode.index();
            let c = match mode {
                Mode::Drive => &p.drive_congestion,
                Mode::Walk => &p.walk_congestion,
            };
            for &e in &self.loaded[m] {
                let ed = &g.edges[e as usize];
                let cap = (ed.lanes.max(1) as f64 * ed.length * c.critical_per_lane_m).max(1e-9);
                let e = e as usize;
                self.fac[m][e] = self.dfac[m][e] * bpr(c, self.load[m][e] as f64, cap);
            }
        }
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
    fac: [&'a [f64]; 2],
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
}

/// How a move over the tick ended.
enum Moved {
    /// Still on the way.
    OnWay,
    /// Reached its shelter's node (queued for admission).
    Arrived,
    /// Stopped at a node at `t`: no shelter can be reached from there.
    Stuck(f64, Reason),
}

/// Why no shelter could be chosen: none open with room for `persons`, or the roads to
/// those with room are cut.
fn why_stuck(shelters: &Shelters, persons: u32) -> Reason {
    if (0..shelters.len()).any(|k| shelters.has_room(k, persons)) {
        Reason::CutOff
    } else {
        Reason::NoRoom
    }
}

#[derive(Default)]
struct ChunkOut {
    events: Vec<AgentEvent>,
    arrivals: Vec<(f64, u32)>,
}

/// True if `mode` can leave `node` towards shelter `k` now: the tree reaches it and
/// its first edge is open (or the node is the shelter's).
#[inline]
fn first_step_ok(tree: &RouteTree, costs: &EdgeCosts, mode: Mode, node: NodeId) -> bool {
    if node == tree.dest() {
        return true;
    }
    match tree.next_edge(node) {
        Some(e) => costs.is_open(mode, e),
        None => false,
    }
}

/// Choose a shelter from `node`: the zone's assigned one if `prefer_assigned` and it is
/// open and reachable (room unknown to the household), else the open shelter with room
/// for `persons` nearest by route time whose first step is open; ties to the lower
/// index. `exclude` is never chosen.
#[allow(clippy::too_many_arguments)]
fn choose_shelter(
    shelters: &Shelters,
    trees: &[RouteTree],
    costs: &EdgeCosts,
    mode: Mode,
    node: NodeId,
    zone: u32,
    persons: u32,
    exclude: u32,
    prefer_assigned: bool,
) -> Option<u32> {
    if prefer_assigned
        && let Some(a) = shelters.assigned(zone)
        && a != exclude
        && shelters.is_open(a as usize)
        && first_step_ok(&trees[a as usize], costs, mode, node)
    {
        return Some(a);
    }
    let mut best: Option<(f64, u32)> = None;
    for (k, tree) in trees.iter().enumerate() {
        if k as u32 == exclude || !shelters.has_room(k, persons) {
            continue;
        }
        let t = tree.time_to_dest(node);
        if !t.is_finite() || !first_step_ok(tree, costs, mode, node) {
            continue;
        }
        if best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, k as u32));
        }
    }
    best.map(|(_, k)| k)
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
        if matches!(st, S::Sheltered | S::Rescued | S::Casualty) {
            return;
        }
        let mode = a.mode[i];
        let persons = a.persons[i] as u32;
        // Reception.
        if st == S::Unaware && c.t_recv[k] <= t1 {
            let tr = c.t_recv[k];
            out.events.push(AgentEvent::WarningReceived {
                hh,
                t: tr,
                channel: c.channel[k],
            });
            st = S::Warned;
            c.t_state[k] = tr;
            c.t_depart[k] = tr + mp.median_at(tr) * (mp.sigma * a.mob_z[i]).exp();
        }
        // Decision.
        if st == S::Warned {
            let td = c.t_state[k] + mp.decision_s;
            if td <= t1 {
                c.t_state[k] = td;
                if a.complies[i] {
                    st = S::Preparing;
                } else {
                    st = S::Staying;
                    out.events.push(AgentEvent::Refused { hh, t: td });
                }
            }
        }
        // Departure.
        let mut t_from = t0;
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
                mode,
                NodeId(home),
                a.zone[i],
                persons,
                NONE,
                true,
            );
            match target {
                Some(j) => {
                    c.target[k] = j;
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
            let found = choose_shelter(
                self.shelters,
                self.trees[mode.index()],
                self.env.costs,
                mode,
                NodeId(n),
                a.zone[i],
                persons,
                NONE,
                false,
            );
            match found {
                Some(j) => {
                    st = S::Moving;
                    c.target[k] = j;
                    c.reason[k] = Reason::None as u8;
                    c.t_state[k] = t0;
                    out.events.push(AgentEvent::Rerouted {
                        hh,
                        t: t0,
                        from: None,
                        to: j,
                    });
                    t_from = t0;
                }
                None => {
                    let tr = c.t_state[k] + self.params.movement.max_wait_s;
                    if tr <= t1 {
                        let p = position_of(self.env.graph, n, NONE, 0.0, a.home_pos[i]);
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
        // Movement.
        let mut arrived = false;
        if st == S::Moving {
            match self.advance(c, k, i, t_from, out) {
                Moved::OnWay => {}
                Moved::Arrived => arrived = true,
                Moved::Stuck(ts, why) => {
                    st = S::Waiting;
                    c.t_state[k] = ts;
                    c.reason[k] = why as u8;
                    out.events.push(AgentEvent::Waiting {
                        hh,
                        t: ts,
                        node: c.node[k],
                        reason: why as u8,
                    });
                }
            }
        }
        // Hazard.
        if !arrived
            && matches!(
                st,
                S::Unaware
                    | S::Warned
                    | S::Preparing
                    | S::Staying
                    | S::InPlace
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
    }

    /// Move a `Moving` household from `t_from` to `t1`: on its way, at its shelter's
    /// node (queued for admission), or stopped where no shelter can be reached.
    fn advance(
        &self,
        c: &mut ChunkMut,
        k: usize,
        i: usize,
        t_from: f64,
        out: &mut ChunkOut,
    ) -> Moved {
        let a = self.attrs;
        let costs = self.env.costs;
        let mode = a.mode[i];
        let m = mode.index();
        let trees = self.trees[m];
        let hh = HouseholdId(i as u32);
        let persons = a.persons[i] as u32;
        let zone = a.zone[i];
        let base = a.base_speed[i];
        let t1 = self.t1;
        let mut tn = t_from;
        let mut hops = 0u32;
        let max_hops = self.params.movement.max_hops_per_tick;
        loop {
            let e = c.edge[k];
            if e != NONE {
                let ed = &self.geo[e as usize];
                let v = base.min(ed.free) * self.fac[m][e as usize];
                // Held while the water (or a NaN) stops it.
                if v.is_nan() || v <= 0.0 {
                    return Moved::OnWay;
                }
                let need = (ed.len - c.s[k]).max(0.0) / v;
                if tn + need <= t1 {
                    tn += need;
                    c.node[k] = ed.to;
                    c.edge[k] = NONE;
                    c.s[k] = 0.0;
                } else {
                    c.s[k] += v * (t1 - tn);
                    return Moved::OnWay;
                }
            } else {
                if hops >= max_hops {
                    return Moved::OnWay;
                }
                hops += 1;
                let n = NodeId(c.node[k]);
                let tg = c.target[k];
                // Another shelter from here: the household's target is closed, full or
                // unreachable. Logged as a re-route; `None`: no shelter can be reached.
                let reroute = |events: &mut Vec<AgentEvent>, tg: u32| {
                    let j = choose_shelter(
                        self.shelters,
                        trees,
                        costs,
                        mode,
                        n,
                        zone,
                        persons,
                        tg,
                        false,
                    )?;
                    events.push(AgentEvent::Rerouted {
                        hh,
                        t: tn,
                        from: opt(tg),
                        to: j,
                    });
                    Some(j)
                };
                if tg == NONE || !self.shelters.is_open(tg as usize) {
                    match reroute(&mut out.events, tg) {
                        Some(j) => c.target[k] = j,
                        None => {
                            c.target[k] = NONE;
                            return Moved::Stuck(tn, why_stuck(self.shelters, persons));
                        }
                    }
                }
                let tg = c.target[k];
                let tree = &trees[tg as usize];
                if n == tree.dest() {
                    out.arrivals.push((tn, i as u32));
                    return Moved::Arrived;
                }
                match tree.next_edge(n) {
                    Some(e) if costs.is_open(mode, e) => {
                        c.edge[k] = e.0;
                        c.s[k] = 0.0;
                    }
                    _ => match reroute(&mut out.events, tg) {
                        Some(j) => c.target[k] = j,
                        // Stopped here: the household waits (the edge may reopen or
                        // the trees be refreshed) and takes refuge if nothing opens.
                        None => return Moved::Stuck(tn, why_stuck(self.shelters, persons)),
                    },
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
        ws.prepare(env, &self.attrs, &self.dynm.state, &self.dynm.edge);
        let ctx = Ctx {
            env,
            trees: [env.trees_drive, env.trees_walk],
            attrs: &self.attrs,
            params: &self.params,
            limits: env.costs.params().limits,
            shelters: &self.shelters,
            fac: [&ws.fac[0], &ws.fac[1]],
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
            let mut base = 0;
            for state in st {
                let n = state.len();
                let (Some(t_recv), Some(channel), Some(t_depart), Some(t_state)) =
                    (tr.next(), ch.next(), tdp.next(), ts.next())
                else {
                    unreachable!("household arrays of equal length")
                };
                let (Some(target), Some(node), Some(edge), Some(s), Some(exposure), Some(reason)) = (
                    tg.next(),
                    nd.next(),
                    ed.next(),
                    s.next(),
                    ex.next(),
                    rs.next(),
                ) else {
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
        let mut arrivals = Vec::new();
        for o in outs {
            events.extend(o.events);
            arrivals.extend(o.arrivals);
        }
        // Admission: sequential, in (arrival time, household id) order.
        arrivals.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (ta, i) in arrivals {
            let i = i as usize;
            let hh = HouseholdId(i as u32);
            let persons = self.attrs.persons[i] as u32;
            let k = self.dynm.target[i];
            if self.shelters.admit(k as usize, persons) {
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
                    mode,
                    NodeId(self.dynm.node[i]),
                    self.attrs.zone[i],
                    persons,
                    k,
                    false,
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
    fn bpr_matches_routing() {
        let c = Congestion::driving_default();
        for (l, cap) in [(0.0, 2.5), (1.0, 2.5), (5.0, 2.5), (7.0, 1.3)] {
            assert!((bpr(&c, l, cap) - c.factor(l, cap)).abs() < 1e-12);
        }
    }

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
