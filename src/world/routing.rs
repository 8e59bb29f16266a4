//! Flood-aware routing: edge travel times and shortest-path trees to destinations.
//!
//! # What
//! [`EdgeCosts`] holds, per directed edge of a [`RoadGraph`] and per [`Mode`], the
//! travel time in seconds: `length / speed`, with
//! `speed = free speed × depth factor × congestion factor`. An edge is **closed**
//! (infinite time) for a mode when the mode may not use it, when an order closed it, when
//! its water depth exceeds the mode's limit ([`ModeLimits`]), or when the depth factor
//! reaches zero.
//!
//! [`RouteTree`] is one shortest-path tree *to* a destination (a shelter, a depot): a
//! reverse Dijkstra over incoming edges gives every node its travel time to the
//! destination and the edge to take next. Many agents share one tree per destination,
//! so moving an agent is a table lookup, not a search.
//!
//! # How
//! - Depth factor: a piecewise-linear [`SpeedCurve`] of speed factor against depth.
//!   Walking default 1.0 at 0 m, 0.8 at 0.2 m, 0.5 at 0.4 m, 0.2 at 0.5 m, 0 beyond — the
//!   shape follows Bernardini et al. 2020 (Safety Science 123; DOMAIN.md §6); the values
//!   are defaults to be tuned. Driving default 1.0 up to 0.1 m, then linear to 0.3 at the
//!   car limit (0.3 m, DOMAIN.md §6, UNSW WRL 2017).
//! - Congestion (BPR form): `1 / (1 + α (load / capacity)^β)`, where `load` is the count
//!   on the edge (vehicles when driving, households when walking, set with
//!   [`EdgeCosts::set_load`]) and `capacity = lanes × length × critical density`.
//! - Depth per edge: [`sample_edge_depths`] takes the **maximum** water depth of the
//!   cells under the segment, sampled at most every half cell along it.
//! - Dijkstra keys are `(time bits, node id)` in a binary heap, and an equal-time
//!   relaxation keeps the lower edge id, so equal-cost paths are chosen the same way on
//!   every run. Trees are independent; [`RouteTree::for_destinations`] builds them in
//!   parallel with rayon and collects them in input order, so the result does not depend
//!   on the thread count.
//! - Refresh: [`needs_refresh`] / [`changed_edges`] compare two cost sets so trees are
//!   rebuilt only when the water (or an order) changed the graph.
//!
//! Units: metres, seconds, metres per second; load in vehicles or households.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::world::grid::Grid;
use crate::world::roads::{EdgeId, Mode, NodeId, RoadGraph};

/// Cost parameters that are not valid, or inputs that do not fit the graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostError {
    /// A parameter is out of range.
    #[error("routing parameter {name}: {message}")]
    BadParam {
        /// Which parameter.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A per-edge input has the wrong length.
    #[error("{what}: expected one value per directed edge ({expected}), found {found}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Edge count.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// A water depth is NaN (a bug upstream, reported instead of routing through it).
    #[error("water depth on edge {edge} (road \"{road}\") is not a number")]
    NanDepth {
        /// Edge.
        edge: EdgeId,
        /// Road id.
        road: String,
    },
}

/// Water depth above which a mode may not use an edge, metres.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeLimits {
    /// Cars: default 0.3 m (DOMAIN.md §6).
    pub drive_m: f64,
    /// Walking: default 0.5 m (DOMAIN.md §6).
    pub walk_m: f64,
}

impl Default for ModeLimits {
    fn default() -> Self {
        Self {
            drive_m: 0.3,
            walk_m: 0.5,
        }
    }
}

impl ModeLimits {
    /// The limit for `mode`, metres.
    pub fn limit(&self, mode: Mode) -> f64 {
        match mode {
            Mode::Drive => self.drive_m,
            Mode::Walk => self.walk_m,
        }
    }
}

/// Piecewise-linear speed factor against water depth.
///
/// `points` are `(depth m, factor)` with increasing depths. Below the first depth the
/// first factor applies; between points the factor is interpolated; **beyond the last
/// depth the factor is 0** (the water stops the mode).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpeedCurve {
    /// `(depth m, speed factor)`, depths strictly increasing, factors ≥ 0.
    pub points: Vec<(f64, f64)>,
}

impl SpeedCurve {
    /// Walking default: 1.0 at 0 m, 0.8 at 0.2 m, 0.5 at 0.4 m, 0.2 at 0.5 m, 0 beyond.
    /// Shape after Bernardini et al. 2020 (DOMAIN.md §6); values to be tuned.
    pub fn walking_default() -> Self {
        Self {
            points: vec![(0.0, 1.0), (0.2, 0.8), (0.4, 0.5), (0.5, 0.2)],
        }
    }

    /// Driving default: 1.0 up to 0.1 m, then linear to 0.3 at `limit_m` (0 beyond).
    pub fn driving_default(limit_m: f64) -> Self {
        Self {
            points: vec![(0.0, 1.0), (0.1, 1.0), (limit_m.max(0.1 + 1e-9), 0.3)],
        }
    }

    /// Speed factor at `depth` metres.
    pub fn factor(&self, depth: f64) -> f64 {
        let p = &self.points;
        let Some(&(d0, f0)) = p.first() else {
            return 1.0;
        };
        if depth <= d0 {
            return f0;
        }
        for w in p.windows(2) {
            let ((da, fa), (db, fb)) = (w[0], w[1]);
            if depth <= db {
                return fa + (fb - fa) * (depth - da) / (db - da);
            }
        }
        0.0
    }

    fn validate(&self, name: &'static str) -> Result<(), CostError> {
        let bad = |message: String| Err(CostError::BadParam { name, message });
        for &(d, f) in &self.points {
            if !(d.is_finite() && f.is_finite() && d >= 0.0 && f >= 0.0) {
                return bad(format!(
                    "point ({d}, {f}): depth and factor must be finite and ≥ 0"
                ));
            }
        }
        if self.points.windows(2).any(|w| w[1].0 <= w[0].0) {
            return bad("depths must increase strictly".into());
        }
        Ok(())
    }
}

/// BPR-style congestion: `factor = 1 / (1 + alpha (load / capacity)^beta)`, with
/// `capacity = lanes × length × critical_per_lane_m`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Congestion {
    /// α (BPR default 0.15).
    pub alpha: f64,
    /// β (BPR default 4).
    pub beta: f64,
    /// Load per lane-metre at which `load / capacity = 1` (vehicles or households per
    /// metre of lane).
    pub critical_per_lane_m: f64,
}

impl Congestion {
    /// Cars: α 0.15, β 4, 25 vehicles per lane-km (a typical critical density; jam
    /// density ~140 per lane-km then gives a factor of about 0.01). Defaults to be tuned.
    pub fn driving_default() -> Self {
        Self {
            alpha: 0.15,
            beta: 4.0,
            critical_per_lane_m: 0.025,
        }
    }

    /// Walking households: α 0.15, β 4, 0.5 households per lane-metre (a lane of
    /// footpath per direction). Defaults to be tuned.
    pub fn walking_default() -> Self {
        Self {
            alpha: 0.15,
            beta: 4.0,
            critical_per_lane_m: 0.5,
        }
    }

    /// Speed factor for `load` on an edge of capacity `capacity`.
    #[inline]
    pub fn factor(&self, load: f64, capacity: f64) -> f64 {
        if load <= 0.0 {
            return 1.0;
        }
        1.0 / (1.0 + self.alpha * (load / capacity).powf(self.beta))
    }

    fn validate(&self, name: &'static str) -> Result<(), CostError> {
        if self.alpha.is_finite()
            && self.beta.is_finite()
            && self.alpha >= 0.0
            && self.beta > 0.0
            && self.critical_per_lane_m.is_finite()
            && self.critical_per_lane_m > 0.0
        {
            Ok(())
        } else {
            Err(CostError::BadParam {
                name,
                message: format!("need α ≥ 0, β > 0, critical density > 0; found {self:?}"),
            })
        }
    }
}

/// Everything that turns an edge and its water into a travel time.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CostParams {
    /// Closure depths per mode.
    pub limits: ModeLimits,
    /// Walking speed factor against depth.
    pub walk_curve: SpeedCurve,
    /// Driving speed factor against depth.
    pub drive_curve: SpeedCurve,
    /// Walking speed on dry ground, m/s (default 1.2); capped by the edge's limit.
    pub walk_speed: f64,
    /// Car congestion.
    pub drive_congestion: Congestion,
    /// Pedestrian congestion.
    pub walk_congestion: Congestion,
}

impl Default for CostParams {
    fn default() -> Self {
        let limits = ModeLimits::default();
        Self {
            limits,
            walk_curve: SpeedCurve::walking_default(),
            drive_curve: SpeedCurve::driving_default(limits.drive_m),
            walk_speed: 1.2,
            drive_congestion: Congestion::driving_default(),
            walk_congestion: Congestion::walking_default(),
        }
    }
}

impl CostParams {
    /// Check ranges: limits ≥ 0, walking speed > 0, curves and congestion valid.
    pub fn validate(&self) -> Result<(), CostError> {
        for (name, v) in [
            ("limits.drive_m", self.limits.drive_m),
            ("limits.walk_m", self.limits.walk_m),
        ] {
            if v.is_nan() || v < 0.0 {
                return Err(CostError::BadParam {
                    name,
                    message: format!("must be ≥ 0 m, found {v}"),
                });
            }
        }
        if !(self.walk_speed.is_finite() && self.walk_speed > 0.0) {
            return Err(CostError::BadParam {
                name: "walk_speed",
                message: format!("must be > 0 m/s, found {}", self.walk_speed),
            });
        }
        self.walk_curve.validate("walk_curve")?;
        self.drive_curve.validate("drive_curve")?;
        self.drive_congestion.validate("drive_congestion")?;
        self.walk_congestion.validate("walk_congestion")
    }

    fn curve(&self, mode: Mode) -> &SpeedCurve {
        match mode {
            Mode::Drive => &self.drive_curve,
            Mode::Walk => &self.walk_curve,
        }
    }

    fn congestion(&self, mode: Mode) -> &Congestion {
        match mode {
            Mode::Drive => &self.drive_congestion,
            Mode::Walk => &self.walk_congestion,
        }
    }
}

/// Travel time per directed edge and mode, from water depth, orders and load.
///
/// Derived state: rebuild it from the graph, the water and the orders after a load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EdgeCosts {
    params: CostParams,
    length: Vec<f64>,
    /// Free speed per mode, m/s; 0 where the mode may not use the edge.
    free_speed: [Vec<f64>; 2],
    capacity: [Vec<f64>; 2],
    depth: Vec<f64>,
    closed: Vec<bool>,
    load: [Vec<f64>; 2],
    time: [Vec<f64>; 2],
}

impl EdgeCosts {
    /// Dry, empty, nothing closed: free-flow times.
    pub fn new(graph: &RoadGraph, params: CostParams) -> Result<Self, CostError> {
        params.validate()?;
        let n = graph.edge_count();
        let length: Vec<f64> = graph.edges.iter().map(|e| e.length).collect();
        let free = |mode: Mode| -> Vec<f64> {
            graph
                .edges
                .iter()
                .map(|e| match mode {
                    _ if !e.modes.allows(mode) => 0.0,
                    Mode::Drive => e.free_speed,
                    Mode::Walk => params.walk_speed.min(e.free_speed),
                })
                .collect()
        };
        let cap = |mode: Mode| -> Vec<f64> {
            let c = params.congestion(mode).critical_per_lane_m;
            graph
                .edges
                .iter()
                .map(|e| (e.lanes.max(1) as f64 * e.length * c).max(1e-9))
                .collect()
        };
        let mut costs = Self {
            free_speed: [free(Mode::Drive), free(Mode::Walk)],
            capacity: [cap(Mode::Drive), cap(Mode::Walk)],
            params,
            length,
            depth: vec![0.0; n],
            closed: vec![false; n],
            load: [vec![0.0; n], vec![0.0; n]],
            time: [vec![0.0; n], vec![0.0; n]],
        };
        costs.recompute_all();
        Ok(costs)
    }

    /// The parameters in use.
    pub fn params(&self) -> &CostParams {
        &self.params
    }

    /// Number of directed edges covered.
    pub fn len(&self) -> usize {
        self.length.len()
    }

    /// True for a graph without edges.
    pub fn is_empty(&self) -> bool {
        self.length.is_empty()
    }

    /// Travel time of edge `e` for `mode`, seconds; `f64::INFINITY` when closed.
    #[inline]
    pub fn time(&self, mode: Mode, e: EdgeId) -> f64 {
        self.time[mode.index()][e.idx()]
    }

    /// All travel times for `mode`, seconds, indexed by edge id.
    pub fn times(&self, mode: Mode) -> &[f64] {
        &self.time[mode.index()]
    }

    /// True if `mode` may use edge `e` now.
    #[inline]
    pub fn is_open(&self, mode: Mode, e: EdgeId) -> bool {
        self.time(mode, e).is_finite()
    }

    /// Water depth last set on edge `e`, metres.
    pub fn depth(&self, e: EdgeId) -> f64 {
        self.depth[e.idx()]
    }

    /// Load on edge `e` for `mode` (vehicles or households).
    pub fn load(&self, mode: Mode, e: EdgeId) -> f64 {
        self.load[mode.index()][e.idx()]
    }

    /// The order-closure mask, one flag per directed edge.
    pub fn closed(&self) -> &[bool] {
        &self.closed
    }

    /// Set the water depth on every edge (metres, one per directed edge, e.g. from
    /// [`sample_edge_depths`]) and recompute all times. Negative depths count as dry;
    /// `+∞` closes; NaN is an error naming the edge.
    pub fn update_from_depth(
        &mut self,
        graph: &RoadGraph,
        depth_at_edge: &[f64],
    ) -> Result<(), CostError> {
        if depth_at_edge.len() != self.len() {
            return Err(CostError::LengthMismatch {
                what: "depth_at_edge",
                expected: self.len(),
                found: depth_at_edge.len(),
            });
        }
        if let Some(i) = depth_at_edge.iter().position(|d| d.is_nan()) {
            let edge = EdgeId(i as u32);
            return Err(CostError::NanDepth {
                edge,
                road: graph.road_id(edge).to_string(),
            });
        }
        for (d, &new) in self.depth.iter_mut().zip(depth_at_edge) {
            *d = new.max(0.0);
        }
        self.recompute_all();
        Ok(())
    }

    /// How passable edge `e` is for vehicles now: closed by order first, then closed
    /// by water above the driving limit, slowed where the depth curve cuts the speed.
    pub fn passability(&self, e: EdgeId) -> Passability {
        let i = e.idx();
        let depth = self.depth[i];
        if self.closed[i] {
            Passability::ClosedByOrder
        } else if depth > self.params.limits.limit(Mode::Drive) {
            Passability::ClosedByDepth
        } else if self.params.curve(Mode::Drive).factor(depth) < 1.0 - 1e-9 {
            Passability::Slowed
        } else {
            Passability::Open
        }
    }

    /// Close (or reopen) edge `e` by order, for every mode.
    pub fn set_closed(&mut self, e: EdgeId, closed: bool) {
        self.closed[e.idx()] = closed;
        self.recompute(e.idx());
    }

    /// Replace the whole order-closure mask (one flag per directed edge).
    pub fn set_closed_mask(&mut self, closed: Vec<bool>) -> Result<(), CostError> {
        if closed.len() != self.len() {
            return Err(CostError::LengthMismatch {
                what: "closed",
                expected: self.len(),
                found: closed.len(),
            });
        }
        self.closed = closed;
        self.recompute_all();
        Ok(())
    }

    /// Set the load on edge `e` for `mode` (vehicles or households on it; negative or
    /// NaN count as 0) and recompute its time.
    pub fn set_load(&mut self, mode: Mode, e: EdgeId, load: f64) {
        self.load[mode.index()][e.idx()] = load.max(0.0);
        self.recompute(e.idx());
    }

    fn recompute_all(&mut self) {
        for i in 0..self.len() {
            self.recompute(i);
        }
    }

    fn recompute(&mut self, i: usize) {
        for mode in Mode::ALL {
            let m = mode.index();
            let free = self.free_speed[m][i];
            let depth = self.depth[i];
            let t = if free <= 0.0 || self.closed[i] || depth > self.params.limits.limit(mode) {
                f64::INFINITY
            } else {
                let f_depth = self.params.curve(mode).factor(depth);
                let f_load = self
                    .params
                    .congestion(mode)
                    .factor(self.load[m][i], self.capacity[m][i]);
                let speed = free * f_depth * f_load;
                if speed > 0.0 {
                    self.length[i] / speed
                } else {
                    f64::INFINITY
                }
            };
            self.time[m][i] = t;
        }
    }
}

/// How passable a road segment is for vehicles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passability {
    /// At free speed (or slowed only by traffic).
    Open,
    /// Slowed by water on it.
    Slowed,
    /// Closed by water deeper than vehicles can drive.
    ClosedByDepth,
    /// Closed by an order (or a road-collapse inject).
    ClosedByOrder,
}

impl Passability {
    /// Chinese and English, for the legend.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "通行 open",
            Self::Slowed => "积水减速 slowed",
            Self::ClosedByDepth => "积水断行 closed by water",
            Self::ClosedByOrder => "封闭 closed by order",
        }
    }
}

/// Water depth per directed edge: the maximum of the grid cells under the segment,
/// sampled from end to end at most every half cell (ends included). Points outside the
/// grid count as dry; a NaN cell makes the edge NaN (reported by
/// [`EdgeCosts::update_from_depth`]).
pub fn sample_edge_depths(graph: &RoadGraph, depth: &Grid<f64>) -> Vec<f64> {
    let step = (depth.spec.cell * 0.5).max(1e-6);
    graph
        .edges
        .iter()
        .map(|e| {
            let (a, b) = (graph.pos(e.from), graph.pos(e.to));
            let n = ((e.length / step).ceil() as usize).max(1);
            let mut m = 0.0f64;
            for k in 0..=n {
                let t = k as f64 / n as f64;
                let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                if let Some(&d) = depth.sample(p.0, p.1) {
                    if d.is_nan() {
                        return f64::NAN;
                    }
                    m = m.max(d);
                }
            }
            m
        })
        .collect()
}

/// Edges whose time for `mode` changed between `old` and `new`: opened, closed, or by
/// more than `rel_tol` of the old time. Ascending ids.
///
/// # Panics
/// If the two cost sets cover different edge counts (different graphs).
pub fn changed_edges(old: &EdgeCosts, new: &EdgeCosts, mode: Mode, rel_tol: f64) -> Vec<EdgeId> {
    assert_eq!(
        old.len(),
        new.len(),
        "changed_edges: cost sets of different graphs"
    );
    old.times(mode)
        .iter()
        .zip(new.times(mode))
        .enumerate()
        .filter(|&(_, (&a, &b))| differs(a, b, rel_tol))
        .map(|(i, _)| EdgeId(i as u32))
        .collect()
}

/// True if any edge changed as in [`changed_edges`] (stops at the first): the trees for
/// `mode` need rebuilding.
///
/// # Panics
/// If the two cost sets cover different edge counts (different graphs).
pub fn needs_refresh(old: &EdgeCosts, new: &EdgeCosts, mode: Mode, rel_tol: f64) -> bool {
    assert_eq!(
        old.len(),
        new.len(),
        "needs_refresh: cost sets of different graphs"
    );
    old.times(mode)
        .iter()
        .zip(new.times(mode))
        .any(|(&a, &b)| differs(a, b, rel_tol))
}

#[inline]
fn differs(a: f64, b: f64, rel_tol: f64) -> bool {
    match (a.is_finite(), b.is_finite()) {
        (true, true) => (b - a).abs() > rel_tol * a,
        (fa, fb) => fa != fb,
    }
}

const NO_EDGE: u32 = u32::MAX;

/// Shortest-path tree to one destination for one mode: for every node, the travel time
/// to the destination and the edge to take next.
///
/// Derived state (rebuild after the water or orders change; see [`needs_refresh`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RouteTree {
    dest: NodeId,
    mode: Mode,
    time: Vec<f64>,
    next: Vec<u32>,
}

impl RouteTree {
    /// Reverse Dijkstra from `dest` over incoming edges open to `mode` under `costs`.
    ///
    /// Ties: the heap pops `(time, node id)` in ascending order, and a relaxation that
    /// equals a node's best time keeps the lower edge id, so equal-cost paths are
    /// resolved the same way every time.
    ///
    /// # Panics
    /// If `dest` is not a node of `graph` or `costs` was made for another graph.
    pub fn to_destination(graph: &RoadGraph, dest: NodeId, mode: Mode, costs: &EdgeCosts) -> Self {
        Self::to_nearest(graph, &[dest], mode, costs)
    }

    /// Reverse Dijkstra from every node of `dests` at once: the tree leads each node to
    /// the nearest of them (by time; ties as in [`RouteTree::to_destination`]).
    /// [`RouteTree::dest`] is the first.
    ///
    /// # Panics
    /// If `dests` is empty, a node is not in `graph`, or `costs` was made for another
    /// graph.
    pub fn to_nearest(graph: &RoadGraph, dests: &[NodeId], mode: Mode, costs: &EdgeCosts) -> Self {
        let n = graph.node_count();
        assert!(!dests.is_empty(), "RouteTree: no destination");
        for d in dests {
            assert!(
                d.idx() < n,
                "RouteTree: destination {d} not in a graph of {n} nodes"
            );
        }
        assert_eq!(
            costs.len(),
            graph.edge_count(),
            "RouteTree: costs of another graph"
        );
        let times = costs.times(mode);
        let mut time = vec![f64::INFINITY; n];
        let mut next = vec![NO_EDGE; n];
        let mut done = vec![false; n];
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        for d in dests {
            time[d.idx()] = 0.0;
            heap.push(Reverse((0.0f64.to_bits(), d.0)));
        }
        while let Some(Reverse((bits, v))) = heap.pop() {
            let v = v as usize;
            if done[v] {
                continue;
            }
            done[v] = true;
            // Times are finite and ≥ 0, so their bit patterns order like the values.
            let tv = f64::from_bits(bits);
            for &e in graph.incoming(NodeId(v as u32)) {
                let c = times[e.idx()];
                if !c.is_finite() {
                    continue;
                }
                let u = graph.edge(e).from.idx();
                // A destination stays one (no edge onwards), even over a zero-time edge.
                if done[u] || (time[u] == 0.0 && next[u] == NO_EDGE) {
                    continue;
                }
                let t = tv + c;
                if t < time[u] {
                    time[u] = t;
                    next[u] = e.0;
                    heap.push(Reverse((t.to_bits(), u as u32)));
                } else if t == time[u] && e.0 < next[u] {
                    next[u] = e.0;
                }
            }
        }
        Self {
            dest: dests[0],
            mode,
            time,
            next,
        }
    }

    /// True if `node` is a destination of the tree (reached, no edge onwards).
    #[inline]
    pub fn is_dest(&self, node: NodeId) -> bool {
        self.time[node.idx()] == 0.0 && self.next[node.idx()] == NO_EDGE
    }

    /// One tree per destination, built in parallel (rayon), in the order of `dests`.
    /// Each tree is computed independently, so the result is the same on any number of
    /// threads.
    pub fn for_destinations(
        graph: &RoadGraph,
        dests: &[NodeId],
        mode: Mode,
        costs: &EdgeCosts,
    ) -> Vec<Self> {
        dests
            .par_iter()
            .map(|&d| Self::to_destination(graph, d, mode, costs))
            .collect()
    }

    /// The destination node.
    pub fn dest(&self) -> NodeId {
        self.dest
    }

    /// The mode the tree was built for.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Travel time from `node` to the destination, seconds; `f64::INFINITY` if
    /// unreachable.
    #[inline]
    pub fn time_to_dest(&self, node: NodeId) -> f64 {
        self.time[node.idx()]
    }

    /// True if the destination can be reached from `node`.
    #[inline]
    pub fn reaches(&self, node: NodeId) -> bool {
        self.time[node.idx()].is_finite()
    }

    /// The edge to take from `node`; `None` at the destination or when unreachable.
    #[inline]
    pub fn next_edge(&self, node: NodeId) -> Option<EdgeId> {
        match self.next[node.idx()] {
            NO_EDGE => None,
            e => Some(EdgeId(e)),
        }
    }

    /// Edges from `node` to the destination, in travel order; empty at the destination
    /// or when unreachable.
    pub fn path(&self, graph: &RoadGraph, node: NodeId) -> Vec<EdgeId> {
        let mut out = Vec::new();
        let mut at = node;
        while let Some(e) = self.next_edge(at) {
            out.push(e);
            at = graph.edge(e).to;
            if out.len() > self.next.len() {
                unreachable!("RouteTree: cycle in next-edge table at {at}");
            }
        }
        out
    }

    /// Travel times to the destination, indexed by node id.
    pub fn times(&self) -> &[f64] {
        &self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::grid::GridSpec;
    use crate::world::vector::Road;

    fn line(id: &str, a: (f64, f64), b: (f64, f64)) -> Road {
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

    #[test]
    fn curves_interpolate() {
        let w = SpeedCurve::walking_default();
        assert_eq!(w.factor(0.0), 1.0);
        assert!((w.factor(0.1) - 0.9).abs() < 1e-12);
        assert!((w.factor(0.45) - 0.35).abs() < 1e-12);
        assert_eq!(w.factor(0.51), 0.0);
        let d = SpeedCurve::driving_default(0.3);
        assert_eq!(d.factor(0.05), 1.0);
        assert!((d.factor(0.2) - 0.65).abs() < 1e-12);
        assert!((d.factor(0.3) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn depth_slows_then_closes_each_mode() {
        let g = RoadGraph::new(&[line("A", (0.0, 0.0), (100.0, 0.0))]).unwrap();
        let mut c = EdgeCosts::new(&g, CostParams::default()).unwrap();
        let e = EdgeId(0);
        assert!((c.time(Mode::Drive, e) - 10.0).abs() < 1e-12);
        assert!((c.time(Mode::Walk, e) - 100.0 / 1.2).abs() < 1e-12);
        c.update_from_depth(&g, &[0.2, 0.2]).unwrap();
        assert!((c.time(Mode::Drive, e) - 10.0 / 0.65).abs() < 1e-9);
        assert!((c.time(Mode::Walk, e) - 100.0 / (1.2 * 0.8)).abs() < 1e-9);
        c.update_from_depth(&g, &[0.35, 0.35]).unwrap();
        assert!(!c.is_open(Mode::Drive, e) && c.is_open(Mode::Walk, e));
        c.update_from_depth(&g, &[0.6, 0.6]).unwrap();
        assert!(!c.is_open(Mode::Walk, e));
        let err = c.update_from_depth(&g, &[0.0, f64::NAN]).unwrap_err();
        assert!(err.to_string().contains("\"A\""), "{err}");
    }

    #[test]
    fn passability_is_order_then_water_then_slowing() {
        let g = RoadGraph::new(&[line("A", (0.0, 0.0), (100.0, 0.0))]).unwrap();
        let mut c = EdgeCosts::new(&g, CostParams::default()).unwrap();
        let (e, back) = (EdgeId(0), EdgeId(1));
        assert_eq!(c.passability(e), Passability::Open);
        c.update_from_depth(&g, &[0.2, 0.0]).unwrap();
        assert_eq!(c.passability(e), Passability::Slowed);
        assert_eq!(c.passability(back), Passability::Open);
        c.update_from_depth(&g, &[0.35, 0.0]).unwrap();
        assert_eq!(c.passability(e), Passability::ClosedByDepth);
        c.set_closed(back, true);
        assert_eq!(c.passability(back), Passability::ClosedByOrder);
        c.set_closed(e, true);
        assert_eq!(c.passability(e), Passability::ClosedByOrder);
    }

    #[test]
    fn congestion_follows_bpr() {
        let g = RoadGraph::new(&[line("A", (0.0, 0.0), (100.0, 0.0))]).unwrap();
        let mut c = EdgeCosts::new(&g, CostParams::default()).unwrap();
        // One lane each way, 100 m, 0.025 veh/m → capacity 2.5 vehicles.
        c.set_load(Mode::Drive, EdgeId(0), 5.0);
        let want = 10.0 * (1.0 + 0.15 * 2.0f64.powi(4));
        assert!((c.time(Mode::Drive, EdgeId(0)) - want).abs() < 1e-9);
        assert!((c.time(Mode::Drive, EdgeId(1)) - 10.0).abs() < 1e-12);
        assert!((c.time(Mode::Walk, EdgeId(0)) - 100.0 / 1.2).abs() < 1e-12);
    }

    #[test]
    fn sampling_takes_the_deepest_cell_under_the_segment() {
        let g = RoadGraph::new(&[line("A", (0.0, 5.0), (100.0, 5.0))]).unwrap();
        let spec = GridSpec {
            ncols: 20,
            nrows: 2,
            xll: 0.0,
            yll: 0.0,
            cell: 5.0,
        };
        let mut grid = Grid::filled(spec, 0.01);
        // Row 1 is the southern row (y 0–5); the segment runs along y = 5, the boundary,
        // which belongs to the northern row 0.
        *grid.get_mut(0, 13) = 0.7;
        let d = sample_edge_depths(&g, &grid);
        assert_eq!(d, vec![0.7, 0.7]);
        let mut c = EdgeCosts::new(&g, CostParams::default()).unwrap();
        c.update_from_depth(&g, &d).unwrap();
        assert!(!c.is_open(Mode::Walk, EdgeId(0)));
    }

    #[test]
    fn refresh_detection() {
        let g = RoadGraph::new(&[line("A", (0.0, 0.0), (100.0, 0.0))]).unwrap();
        let old = EdgeCosts::new(&g, CostParams::default()).unwrap();
        let mut new = old.clone();
        new.update_from_depth(&g, &[0.01, 0.01]).unwrap();
        assert!(!needs_refresh(&old, &new, Mode::Drive, 0.05));
        new.update_from_depth(&g, &[0.2, 0.0]).unwrap();
        assert!(needs_refresh(&old, &new, Mode::Walk, 0.05));
        assert_eq!(
            changed_edges(&old, &new, Mode::Drive, 0.05),
            vec![EdgeId(0)]
        );
        new.set_closed(EdgeId(1), true);
        assert_eq!(
            changed_edges(&old, &new, Mode::Drive, 0.05),
            vec![EdgeId(0), EdgeId(1)]
        );
    }
}
