//! Routes for the forces: over the road graph within a wading limit (vehicles, teams on
//! foot, robots) and over the water grid (boats).
//!
//! How it works: one Dijkstra per request, from the unit to its goal; the forces are
//! few (tens), so a search per dispatch and per re-plan is cheap next to the
//! households' route trees. A road route ends at the reachable node nearest the goal,
//! then walks the last stretch off-road if it is short (`OFF_ROAD_M`); when the goal
//! lies behind water deeper than the wading limit the route stops short and says how
//! far short (`gap_m`). A boat route crosses grid cells (8-connected): afloat where the
//! water is at least `BOAT_DRAFT_M` deep, hauled on a trailer along roads, carried
//! across anything else that is open; buildings are never crossed.
//!
//! Determinism: ties in the heap break by node or cell index.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::world::roads::{Mode, NodeId, RoadGraph};
use crate::world::{GridSpec, Pt};

/// Longest off-road stretch at either end of a road route, metres.
pub const OFF_ROAD_M: f64 = 150.0;
/// Depth a rescue boat needs to float, metres.
pub const BOAT_DRAFT_M: f64 = 0.3;
/// Speed of a boat hauled on its trailer along a road, m/s (20 km/h).
pub const BOAT_TRAILER_M_S: f64 = 20.0 / 3.6;
/// Speed of a boat carried across open ground, m/s (2 km/h).
pub const BOAT_CARRY_M_S: f64 = 2.0 / 3.6;

/// A route: a polyline with the time at which each vertex is reached.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Path {
    /// Vertices, map metres.
    pub pts: Vec<Pt>,
    /// Time to reach each vertex from the start, s (first is 0).
    pub t: Vec<f64>,
    /// Distance from the route's end to the goal it could not reach, metres (0 when
    /// the goal is reached).
    pub gap_m: f64,
}

impl Path {
    /// Total travel time, s.
    pub fn duration(&self) -> f64 {
        self.t.last().copied().unwrap_or(0.0)
    }

    /// The end of the route.
    pub fn end(&self) -> Pt {
        self.pts.last().copied().unwrap_or((f64::NAN, f64::NAN))
    }

    /// Position after `s` seconds of travel.
    pub fn pos_at(&self, s: f64) -> Pt {
        if self.pts.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        let k = self.t.partition_point(|&x| x <= s);
        if k == 0 {
            return self.pts[0];
        }
        if k >= self.pts.len() {
            return self.end();
        }
        let (t0, t1) = (self.t[k - 1], self.t[k]);
        let a = if t1 > t0 { (s - t0) / (t1 - t0) } else { 1.0 };
        let (p, q) = (self.pts[k - 1], self.pts[k]);
        (p.0 + a * (q.0 - p.0), p.1 + a * (q.1 - p.1))
    }

    /// Where a re-plan after `s` seconds of travel should start: the next vertex, so a
    /// unit never turns back to a node behind it mid-segment. `None` at the end.
    pub fn replan_point(&self, s: f64) -> Option<Pt> {
        let k = self.t.partition_point(|&x| x <= s);
        self.pts.get(k).copied()
    }

    /// The rest of this route after `s` seconds up to its next vertex, followed by
    /// `tail` (a route planned from that vertex).
    pub fn splice(&self, s: f64, tail: Path) -> Path {
        let k = self.t.partition_point(|&x| x <= s);
        let Some(&next) = self.pts.get(k) else {
            return tail;
        };
        let lead = self.t[k] - s;
        let mut out = Path {
            pts: vec![self.pos_at(s), next],
            t: vec![0.0, lead],
            gap_m: tail.gap_m,
        };
        for (p, t) in tail.pts.iter().zip(&tail.t).skip(1) {
            out.pts.push(*p);
            out.t.push(lead + t);
        }
        out
    }

    fn push(&mut self, p: Pt, speed: f64) {
        let (t0, last) = match (self.t.last(), self.pts.last()) {
            (Some(&t), Some(&q)) => (t, q),
            _ => {
                self.pts.push(p);
                self.t.push(0.0);
                return;
            }
        };
        let d = dist(last, p);
        self.pts.push(p);
        self.t.push(t0 + d / speed.max(1e-6));
    }
}

/// Distance between two points, metres.
pub fn dist(a: Pt, b: Pt) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

#[derive(PartialEq)]
struct Item(f64, u32);
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// What a road unit may use.
#[derive(Debug, Clone, Copy)]
pub struct RoadMover {
    /// Edges it may use.
    pub mode: Mode,
    /// Deepest water it crosses, metres.
    pub wading_limit_m: f64,
    /// Speed in dry conditions, m/s.
    pub speed_m_s: f64,
}

impl RoadMover {
    /// Speed in water of depth `d`: falls linearly to half at the wading limit.
    pub fn speed_in(&self, d: f64) -> f64 {
        let f = 1.0 - 0.5 * (d / self.wading_limit_m.max(1e-6)).clamp(0.0, 1.0);
        self.speed_m_s * f
    }
}

/// Shortest travel times on the road graph from one start, for one mover: a
/// Dijkstra tree, stopped early when a goal node is given.
#[derive(Debug, Clone)]
pub struct RoadTree {
    from: Pt,
    start: NodeId,
    best: Vec<f64>,
    prev: Vec<u32>,
    settled: Vec<bool>,
    speed: f64,
}

impl RoadTree {
    /// Grow the tree from `from` over edges open to the mover (`closed[e]` false,
    /// depth at most the wading limit). `None` if no usable node lies within
    /// [`OFF_ROAD_M`] of `from`.
    pub fn grow(
        graph: &RoadGraph,
        edge_depth: &[f64],
        closed: &[bool],
        mover: &RoadMover,
        from: Pt,
        goal: Option<NodeId>,
    ) -> Option<Self> {
        let start = graph.nearest_node(from, mover.mode)?;
        if dist(graph.pos(start), from) > OFF_ROAD_M {
            return None;
        }
        let n = graph.node_count();
        let mut best = vec![f64::INFINITY; n];
        let mut prev: Vec<u32> = vec![u32::MAX; n];
        let mut settled = vec![false; n];
        let mut heap = BinaryHeap::new();
        // Walking from the start point onto the network.
        best[start.idx()] = dist(graph.pos(start), from) / (mover.speed_m_s * 0.5).max(1e-6);
        heap.push(Item(best[start.idx()], start.0));
        while let Some(Item(c, u)) = heap.pop() {
            let ui = u as usize;
            if settled[ui] {
                continue;
            }
            settled[ui] = true;
            if Some(NodeId(u)) == goal {
                break;
            }
            for &e in graph.outgoing(NodeId(u)) {
                let ed = graph.edge(e);
                if !ed.modes.allows(mover.mode) || closed.get(e.idx()).copied().unwrap_or(false) {
                    continue;
                }
                let d = edge_depth.get(e.idx()).copied().unwrap_or(0.0);
                // A NaN depth closes the edge too.
                if d.is_nan() || d > mover.wading_limit_m {
                    continue;
                }
                let nc = c + ed.length / mover.speed_in(d).max(1e-6);
                let v = ed.to.idx();
                if nc < best[v] {
                    best[v] = nc;
                    prev[v] = u;
                    heap.push(Item(nc, ed.to.0));
                }
            }
        }
        Some(Self {
            from,
            start,
            best,
            prev,
            settled,
            speed: mover.speed_m_s,
        })
    }

    /// Travel time to `to` if its nearest node (for the mode) was reached and lies
    /// within [`OFF_ROAD_M`] of it.
    pub fn time_to(&self, graph: &RoadGraph, mode: Mode, to: Pt) -> Option<f64> {
        let n = graph.nearest_node(to, mode)?;
        let off = dist(graph.pos(n), to);
        (self.settled[n.idx()] && off <= OFF_ROAD_M)
            .then(|| self.best[n.idx()] + off / (self.speed * 0.5).max(1e-6))
    }

    /// The route to `to`: to the reached node nearest `to` (lowest id on a tie), then
    /// off-road to `to` if that is short; else it stops short (`gap_m`).
    pub fn path_to(&self, graph: &RoadGraph, to: Pt) -> Path {
        let n = self.best.len();
        let end = (0..n)
            .filter(|&i| self.settled[i])
            .min_by(|&a, &b| {
                dist(graph.pos(NodeId(a as u32)), to)
                    .total_cmp(&dist(graph.pos(NodeId(b as u32)), to))
                    .then(a.cmp(&b))
            })
            .unwrap_or(self.start.idx());
        let mut nodes = vec![end as u32];
        while let Some(&p) = nodes.last().map(|&x| &self.prev[x as usize]) {
            if p == u32::MAX {
                break;
            }
            nodes.push(p);
        }
        nodes.reverse();
        let mut path = Path {
            pts: vec![self.from],
            t: vec![0.0],
            gap_m: 0.0,
        };
        for &v in &nodes {
            path.pts.push(graph.pos(NodeId(v)));
            path.t.push(self.best[v as usize]);
        }
        let last = graph.pos(NodeId(end as u32));
        let gap = dist(last, to);
        if gap <= OFF_ROAD_M {
            path.push(to, self.speed * 0.5);
        } else {
            path.gap_m = gap;
        }
        path
    }
}

/// A route on the road graph from `from` to `to` using edges open to the mover
/// (`closed[e]` false, depth at most the wading limit), ending at the reachable node
/// nearest `to`. `None` if the unit cannot get onto the network (no usable node within
/// [`OFF_ROAD_M`]).
pub fn road_route(
    graph: &RoadGraph,
    edge_depth: &[f64],
    closed: &[bool],
    mover: &RoadMover,
    from: Pt,
    to: Pt,
) -> Option<Path> {
    let goal = graph.nearest_node(to, mover.mode);
    RoadTree::grow(graph, edge_depth, closed, mover, from, goal).map(|t| t.path_to(graph, to))
}

/// Cell classes for boat routing.
#[derive(Debug, Clone)]
pub struct BoatTerrain {
    /// The grid.
    pub spec: GridSpec,
    /// Cells a boat never crosses (buildings, outside the district).
    pub blocked: Vec<bool>,
    /// Cells on a road (trailer speed when dry).
    pub road: Vec<bool>,
}

impl BoatTerrain {
    /// Mark the cells under the road graph's edges as road.
    pub fn new(spec: GridSpec, blocked: Vec<bool>, graph: Option<&RoadGraph>) -> Self {
        let mut road = vec![false; spec.len()];
        if let Some(g) = graph {
            let step = spec.cell * 0.5;
            for e in 0..g.edge_count() {
                let ed = g.edge(crate::world::roads::EdgeId(e as u32));
                let (a, b) = (g.pos(ed.from), g.pos(ed.to));
                let n = ((ed.length / step).ceil() as usize).max(1);
                for k in 0..=n {
                    let f = k as f64 / n as f64;
                    if let Some((r, c)) = spec.cell_at(a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
                    {
                        road[spec.idx(r, c)] = true;
                    }
                }
            }
        }
        Self {
            spec,
            blocked,
            road,
        }
    }

    fn speed(&self, i: usize, depth: f64, boat_m_s: f64) -> f64 {
        if depth >= BOAT_DRAFT_M {
            boat_m_s
        } else if self.road[i] {
            BOAT_TRAILER_M_S
        } else {
            BOAT_CARRY_M_S
        }
    }
}

/// Shortest boat travel times over the grid from one start: a Dijkstra tree
/// (8-connected; each move costs its length over the speed in the cell entered),
/// stopped early when a goal cell is given.
#[derive(Debug, Clone)]
pub struct BoatTree {
    from: Pt,
    best: Vec<f64>,
    prev: Vec<u32>,
    done: Vec<bool>,
    start: usize,
    boat_m_s: f64,
}

impl BoatTree {
    /// Grow the tree from `from`; `None` if `from` is outside the grid. With goals the
    /// search stops once every goal cell is settled; with `astar` and one goal it is
    /// directed by the straight distance at the fastest speed (an admissible and
    /// consistent bound, so the times of settled cells stay exact). With no goals the
    /// whole reachable grid is settled.
    ///
    /// Performance note: a full search of a 512² grid takes a few tens of milliseconds;
    /// goal-directed searches settle a small part of it.
    pub fn grow(
        terrain: &BoatTerrain,
        depth: &[f64],
        boat_m_s: f64,
        from: Pt,
        goals: &[(usize, usize)],
        astar: bool,
    ) -> Option<Self> {
        let spec = &terrain.spec;
        let (r0, c0) = spec.cell_at(from.0, from.1)?;
        let n = spec.len();
        let (nr, nc) = (spec.nrows as i64, spec.ncols as i64);
        let mut best = vec![f64::INFINITY; n];
        let mut prev = vec![u32::MAX; n];
        let mut done = vec![false; n];
        let s = spec.idx(r0, c0);
        best[s] = 0.0;
        let mut heap = BinaryHeap::new();
        heap.push(Item(0.0, s as u32));
        let cell = spec.cell;
        let mut is_goal = vec![false; if goals.is_empty() { 0 } else { n }];
        let mut left = 0usize;
        for &(r, c) in goals {
            let i = spec.idx(r, c);
            if !is_goal[i] {
                is_goal[i] = true;
                left += 1;
            }
        }
        // A* bound for a single goal: straight distance at the fastest speed.
        let target = (astar && goals.len() == 1).then(|| spec.cell_centre(goals[0].0, goals[0].1));
        let vmax = boat_m_s.max(BOAT_TRAILER_M_S).max(BOAT_CARRY_M_S);
        let h = |i: usize| {
            target.map_or(0.0, |g| {
                dist(spec.cell_centre(i / spec.ncols, i % spec.ncols), g) / vmax
            })
        };
        while let Some(Item(_, u)) = heap.pop() {
            let ui = u as usize;
            if done[ui] {
                continue;
            }
            done[ui] = true;
            let cst = best[ui];
            if !is_goal.is_empty() && is_goal[ui] {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
            let (r, c) = (ui / spec.ncols, ui % spec.ncols);
            for (dr, dc) in [
                (-1i64, 0i64),
                (1, 0),
                (0, -1),
                (0, 1),
                (-1, -1),
                (-1, 1),
                (1, -1),
                (1, 1),
            ] {
                let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                if rr < 0 || cc < 0 || rr >= nr || cc >= nc {
                    continue;
                }
                let v = rr as usize * spec.ncols + cc as usize;
                if terrain.blocked[v] || done[v] {
                    continue;
                }
                // No corner cutting between two blocked cells.
                if dr != 0
                    && dc != 0
                    && terrain.blocked[r * spec.ncols + cc as usize]
                    && terrain.blocked[rr as usize * spec.ncols + c]
                {
                    continue;
                }
                let len = if dr != 0 && dc != 0 {
                    cell * std::f64::consts::SQRT_2
                } else {
                    cell
                };
                let nc2 = cst + len / terrain.speed(v, depth[v], boat_m_s);
                if nc2 < best[v] {
                    best[v] = nc2;
                    prev[v] = u;
                    heap.push(Item(nc2 + h(v), v as u32));
                }
            }
        }
        Some(Self {
            from,
            best,
            prev,
            done,
            start: s,
            boat_m_s,
        })
    }

    /// Travel time to `to` if its cell (or, for a blocked cell such as a building, an
    /// open neighbour) was reached.
    pub fn time_to(&self, terrain: &BoatTerrain, to: Pt) -> Option<f64> {
        let spec = &terrain.spec;
        let (r, c) = spec.cell_at(to.0, to.1)?;
        let i = spec.idx(r, c);
        if self.done[i] {
            return Some(self.best[i]);
        }
        let mut m: Option<f64> = None;
        for (dr, dc) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
            let (rr, cc) = (r as i64 + dr, c as i64 + dc);
            if rr < 0 || cc < 0 || rr >= spec.nrows as i64 || cc >= spec.ncols as i64 {
                continue;
            }
            let j = spec.idx(rr as usize, cc as usize);
            if self.done[j] {
                let x = self.best[j] + spec.cell / BOAT_CARRY_M_S;
                m = Some(m.map_or(x, |y: f64| y.min(x)));
            }
        }
        m
    }

    /// The route to the reached cell nearest `to`, then to `to` itself if that is
    /// within one and a half cells; else it stops short (`gap_m`).
    pub fn path_to(&self, terrain: &BoatTerrain, to: Pt) -> Path {
        let spec = &terrain.spec;
        let mut nearest = (f64::INFINITY, self.start);
        for (i, &d) in self.done.iter().enumerate() {
            if d {
                let g = dist(spec.cell_centre(i / spec.ncols, i % spec.ncols), to);
                if g < nearest.0 {
                    nearest = (g, i);
                }
            }
        }
        let mut cells = vec![nearest.1];
        while let Some(&p) = cells.last().map(|&x| &self.prev[x]) {
            if p == u32::MAX {
                break;
            }
            cells.push(p as usize);
        }
        cells.reverse();
        let mut path = Path {
            pts: vec![self.from],
            t: vec![0.0],
            gap_m: 0.0,
        };
        for &b in cells.iter().skip(1) {
            path.pts
                .push(spec.cell_centre(b / spec.ncols, b % spec.ncols));
            path.t.push(self.best[b]);
        }
        let gap = dist(path.end(), to);
        if gap <= spec.cell * 1.5 {
            path.push(to, BOAT_CARRY_M_S.max(self.boat_m_s * 0.5));
        } else {
            path.gap_m = gap;
        }
        path
    }
}

/// A boat route over the grid from `from` to `to`, ending at the nearest reachable
/// open cell to `to`. `None` if `from` is outside the grid.
pub fn boat_route(
    terrain: &BoatTerrain,
    depth: &[f64],
    boat_m_s: f64,
    from: Pt,
    to: Pt,
) -> Option<Path> {
    let goal: Vec<(usize, usize)> = terrain.spec.cell_at(to.0, to.1).into_iter().collect();
    BoatTree::grow(terrain, depth, boat_m_s, from, &goal, true).map(|t| t.path_to(terrain, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_interpolates_and_ends() {
        let p = Path {
            pts: vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)],
            t: vec![0.0, 10.0, 20.0],
            gap_m: 0.0,
        };
        assert_eq!(p.pos_at(5.0), (5.0, 0.0));
        assert_eq!(p.pos_at(15.0), (10.0, 5.0));
        assert_eq!(p.pos_at(99.0), (10.0, 10.0));
        assert_eq!(p.duration(), 20.0);
        // Re-planning mid-segment keeps going to the next vertex first.
        let tail = Path {
            pts: vec![(10.0, 0.0), (20.0, 0.0)],
            t: vec![0.0, 10.0],
            gap_m: 0.0,
        };
        assert_eq!(p.replan_point(5.0), Some((10.0, 0.0)));
        let q = p.splice(5.0, tail);
        assert_eq!(q.pts, vec![(5.0, 0.0), (10.0, 0.0), (20.0, 0.0)]);
        assert_eq!(q.t, vec![0.0, 5.0, 15.0]);
    }

    #[test]
    fn directed_boat_search_finds_the_same_time_as_a_full_one() {
        let spec = GridSpec {
            ncols: 40,
            nrows: 30,
            xll: 0.0,
            yll: 0.0,
            cell: 5.0,
        };
        // Blocks of buildings, water in some streets, dry elsewhere.
        let blocked: Vec<bool> = (0..spec.len())
            .map(|i| {
                let (r, c) = (i / 40, i % 40);
                r % 6 > 1 && c % 7 > 2 && (r * 31 + c * 17) % 5 != 0
            })
            .collect();
        let depth: Vec<f64> = (0..spec.len())
            .map(|i| {
                if (i / 40) % 6 == 0 || i % 40 < 5 {
                    0.8
                } else {
                    0.0
                }
            })
            .collect();
        let t = BoatTerrain::new(spec, blocked, None);
        let (from, to) = ((3.0, 3.0), (190.0, 140.0));
        let full = BoatTree::grow(&t, &depth, 2.5, from, &[], false).unwrap();
        let directed = boat_route(&t, &depth, 2.5, from, to).unwrap();
        let a = full.path_to(&t, to).duration();
        assert!(
            (a - directed.duration()).abs() < 1e-9,
            "{a} vs {}",
            directed.duration()
        );
        assert_eq!(full.time_to(&t, to).is_some(), directed.gap_m == 0.0);
    }

    #[test]
    fn boat_goes_around_buildings_and_floats_faster() {
        let spec = GridSpec {
            ncols: 5,
            nrows: 3,
            xll: 0.0,
            yll: 0.0,
            cell: 10.0,
        };
        // Middle column blocked except the bottom row.
        let mut blocked = vec![false; 15];
        blocked[2] = true;
        blocked[7] = true;
        let t = BoatTerrain::new(spec, blocked, None);
        let wet = vec![1.0; 15];
        let p = boat_route(&t, &wet, 2.0, (5.0, 25.0), (45.0, 25.0)).unwrap();
        assert_eq!(p.gap_m, 0.0);
        assert!(p.pts.iter().any(|q| q.1 < 10.0), "{:?}", p.pts);
        let dry = vec![0.0; 15];
        let q = boat_route(&t, &dry, 2.0, (5.0, 25.0), (45.0, 25.0)).unwrap();
        assert!(q.duration() > 3.0 * p.duration());
    }
}
