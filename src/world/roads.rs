//! The road graph: GeoJSON road centre lines snapped into a compact directed graph.
//!
//! # What
//! [`RoadGraph`] is the static network households, teams and robots move on. Nodes are
//! road vertices (line ends, and interior vertices — shared between lines or not, so
//! every edge is one straight segment whose water depth can be sampled along it);
//! vertices of any lines within the snapping tolerance become one node. Each consecutive
//! vertex pair of a road becomes directed edges carrying length (m), free speed (m/s),
//! lanes per direction, class, the source road and the segment midpoint.
//!
//! # Modes
//! Each directed edge has a [`ModeMask`]: [`ModeMask::DRIVE`] and/or [`ModeMask::WALK`].
//! A two-way road gives `a→b` and `b→a`, both `DRIVE | WALK`. A one-way road gives
//! `a→b` as `DRIVE | WALK` and `b→a` as `WALK` only (pedestrians ignore one-way rules).
//! A `footway` gives `a→b` and `b→a` as `WALK` only.
//!
//! # How
//! Snapping walks the vertices in file order (road index, then vertex index) and looks up
//! already-created nodes in the 3×3 neighbourhood of a bucket grid whose bucket size is
//! the tolerance; the nearest node within the tolerance (lowest id on a tie) is reused,
//! otherwise a new node is made at that vertex. The result depends only on the input
//! order, never on hash order. Adjacency is stored as CSR (compressed sparse rows):
//! `out_offsets`/`out_edges` and `in_offsets`/`in_edges`, edge ids sorted within each
//! node, for cache-friendly Dijkstra (see [`crate::world::routing`]).
//!
//! Lanes: the demo district's `lanes` property counts **both directions** (as its README
//! and generator say), so a two-way road's edges get `max(1, lanes / 2)` lanes each and a
//! one-way road's forward edge all of them.
//!
//! Units: metres, seconds, metres per second.

use std::collections::BTreeMap;
use std::fmt;

use crate::world::vector::{Place, Pt, Road};

/// Default snapping tolerance, metres.
pub const DEFAULT_SNAP_M: f64 = 1.0;

/// Node index in a [`RoadGraph`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The id as a vector index.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N{}", self.0)
    }
}

/// Directed edge index in a [`RoadGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeId(pub u32);

impl EdgeId {
    /// The id as a vector index.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for EdgeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E{}", self.0)
    }
}

/// A travel mode.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Mode {
    /// By car (or any road vehicle).
    Drive,
    /// On foot.
    Walk,
}

impl Mode {
    /// Both modes, in index order.
    pub const ALL: [Mode; 2] = [Mode::Drive, Mode::Walk];

    /// The mask bit of this mode.
    #[inline]
    pub fn mask(self) -> ModeMask {
        match self {
            Mode::Drive => ModeMask::DRIVE,
            Mode::Walk => ModeMask::WALK,
        }
    }

    /// The mode as written in files and logs.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Drive => "drive",
            Mode::Walk => "walk",
        }
    }

    /// Dense index (Drive 0, Walk 1) for per-mode arrays.
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Mode::Drive => 0,
            Mode::Walk => 1,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of modes allowed on a directed edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ModeMask(pub u8);

impl ModeMask {
    /// No mode.
    pub const NONE: ModeMask = ModeMask(0);
    /// Road vehicles.
    pub const DRIVE: ModeMask = ModeMask(1);
    /// Pedestrians.
    pub const WALK: ModeMask = ModeMask(2);
    /// Both.
    pub const ALL: ModeMask = ModeMask(3);

    /// True if `mode` is allowed.
    #[inline]
    pub fn allows(self, mode: Mode) -> bool {
        self.0 & mode.mask().0 != 0
    }
}

impl std::ops::BitOr for ModeMask {
    type Output = ModeMask;
    fn bitor(self, rhs: ModeMask) -> ModeMask {
        ModeMask(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for ModeMask {
    fn bitor_assign(&mut self, rhs: ModeMask) {
        self.0 |= rhs.0;
    }
}

/// Road class, from the `class` property.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoadClass {
    /// Arterial.
    Primary,
    /// Collector.
    Secondary,
    /// Local street.
    Residential,
    /// Path for pedestrians only (not drivable).
    Footway,
    /// Any other class (drivable).
    Other(String),
}

impl RoadClass {
    /// The classes the engine knows, with their names in files: the one table both
    /// [`RoadClass::parse`] and [`RoadClass::name`] read.
    const KNOWN: [(&'static str, RoadClass); 4] = [
        ("primary", Self::Primary),
        ("secondary", Self::Secondary),
        ("residential", Self::Residential),
        ("footway", Self::Footway),
    ];

    /// Parse the class as written in files.
    pub fn parse(s: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(name, _)| *name == s)
            .map_or_else(|| Self::Other(s.to_string()), |(_, c)| c.clone())
    }

    /// The class as written in files.
    pub fn name(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(_, c)| c == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// True if road vehicles may use it.
    pub fn drivable(&self) -> bool {
        !matches!(self, Self::Footway)
    }
}

/// One directed edge: a straight segment of a road, in one direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Tail node.
    pub from: NodeId,
    /// Head node.
    pub to: NodeId,
    /// Length, metres (between the snapped node positions).
    pub length: f64,
    /// Free (speed-limit) speed, metres per second.
    pub free_speed: f64,
    /// Lanes in this direction (≥ 1).
    pub lanes: u32,
    /// Which modes may use this direction.
    pub modes: ModeMask,
    /// Index of the source road in the slice the graph was built from.
    pub road: u32,
    /// Segment midpoint (map metres), for sampling water depth.
    pub mid: Pt,
}

/// Road geometry the graph cannot use. Each variant names the road (feature) id.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoadGraphError {
    /// A coordinate is NaN or infinite.
    #[error("road \"{road}\": vertex #{vertex} has a non-finite coordinate ({x}, {y})")]
    NonFinite {
        /// Road id.
        road: String,
        /// Vertex index within the line.
        vertex: usize,
        /// X as found.
        x: f64,
        /// Y as found.
        y: f64,
    },
    /// Every segment of the road collapses to a point (after snapping).
    #[error(
        "road \"{road}\": zero length (all {vertices} vertices snap to one node within {tolerance} m)"
    )]
    ZeroLength {
        /// Road id.
        road: String,
        /// Number of vertices.
        vertices: usize,
        /// Snapping tolerance, metres.
        tolerance: f64,
    },
    /// Speed limit not a positive finite number.
    #[error("road \"{road}\": speed_kmh must be > 0, found {speed_kmh}")]
    BadSpeed {
        /// Road id.
        road: String,
        /// Speed as found, km/h.
        speed_kmh: f64,
    },
    /// The snapping tolerance is negative or not finite.
    #[error("snapping tolerance must be a finite number ≥ 0 m, found {0}")]
    BadTolerance(f64),
    /// More nodes or edges than fit a `u32` id.
    #[error("road graph too large: {0}")]
    TooLarge(String),
}

/// Connected components of the graph for one mode (edges taken as undirected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components {
    /// Component label per node; `u32::MAX` for nodes with no edge of the mode.
    pub label: Vec<u32>,
    /// Node count per component, indexed by label. Labels are numbered in order of
    /// each component's lowest node id.
    pub sizes: Vec<usize>,
}

impl Components {
    /// Number of components.
    pub fn count(&self) -> usize {
        self.sizes.len()
    }

    /// Size of the largest component (0 for an empty graph).
    pub fn largest(&self) -> usize {
        self.sizes.iter().copied().max().unwrap_or(0)
    }
}

/// Uniform bucket grid over node positions for nearest-node queries.
#[derive(Debug, Clone)]
struct NodeIndex {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    /// CSR: nodes of bucket `b` are `nodes[offsets[b]..offsets[b + 1]]`, ascending ids.
    offsets: Vec<u32>,
    nodes: Vec<u32>,
}

impl NodeIndex {
    fn build(pos: &[Pt]) -> Self {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in pos {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        if pos.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        // About two nodes per bucket on average, never below 1 m.
        let area = ((x1 - x0) * (y1 - y0)).max(1.0);
        // At most 4096 buckets along the longer side, so a long thin network cannot
        // blow up the bucket count.
        let cell = (2.0 * area / pos.len().max(1) as f64)
            .sqrt()
            .max(1.0)
            .max((x1 - x0).max(y1 - y0) / 4096.0);
        let nx = ((x1 - x0) / cell).floor() as usize + 1;
        let ny = ((y1 - y0) / cell).floor() as usize + 1;
        let mut idx = Self {
            x0,
            y0,
            cell,
            nx,
            ny,
            offsets: vec![0; nx * ny + 1],
            nodes: vec![0; pos.len()],
        };
        let bucket: Vec<usize> = pos.iter().map(|&p| idx.bucket_of(p)).collect();
        for &b in &bucket {
            idx.offsets[b + 1] += 1;
        }
        for b in 0..nx * ny {
            idx.offsets[b + 1] += idx.offsets[b];
        }
        let mut fill = idx.offsets.clone();
        for (n, &b) in bucket.iter().enumerate() {
            idx.nodes[fill[b] as usize] = n as u32;
            fill[b] += 1;
        }
        idx
    }

    fn coords(&self, p: Pt) -> (i64, i64) {
        (
            ((p.0 - self.x0) / self.cell).floor() as i64,
            ((p.1 - self.y0) / self.cell).floor() as i64,
        )
    }

    fn bucket_of(&self, p: Pt) -> usize {
        let (bx, by) = self.coords(p);
        let bx = bx.clamp(0, self.nx as i64 - 1) as usize;
        let by = by.clamp(0, self.ny as i64 - 1) as usize;
        by * self.nx + bx
    }

    /// Nearest node accepted by `ok`, ties to the lowest id.
    fn nearest(&self, p: Pt, pos: &[Pt], ok: impl Fn(usize) -> bool) -> Option<NodeId> {
        if !(p.0.is_finite() && p.1.is_finite()) || pos.is_empty() {
            return None;
        }
        let (bx, by) = self.coords(p);
        let (nx, ny) = (self.nx as i64, self.ny as i64);
        // Chebyshev distance (in buckets) from the query bucket to the grid, and to its
        // far corner: rings outside [k0, kmax] hold no bucket.
        let gap = |b: i64, n: i64| (-b).max(b - (n - 1)).max(0);
        let k0 = gap(bx, nx).max(gap(by, ny));
        let kmax = (bx.max(nx - 1 - bx)).max(by.max(ny - 1 - by)).max(k0);
        let mut best: Option<(f64, u32)> = None;
        let visit = |cx: i64, cy: i64, best: &mut Option<(f64, u32)>| {
            if cx < 0 || cy < 0 || cx >= nx || cy >= ny {
                return;
            }
            let b = cy as usize * self.nx + cx as usize;
            for &n in &self.nodes[self.offsets[b] as usize..self.offsets[b + 1] as usize] {
                if !ok(n as usize) {
                    continue;
                }
                let q = pos[n as usize];
                let d2 = (q.0 - p.0).powi(2) + (q.1 - p.1).powi(2);
                if best.is_none_or(|(bd, bn)| d2 < bd || (d2 == bd && n < bn)) {
                    *best = Some((d2, n));
                }
            }
        };
        for k in k0..=kmax {
            for cy in (by - k).max(0)..=(by + k).min(ny - 1) {
                if (cy - by).abs() == k {
                    for cx in (bx - k).max(0)..=(bx + k).min(nx - 1) {
                        visit(cx, cy, &mut best);
                    }
                } else {
                    visit(bx - k, cy, &mut best);
                    visit(bx + k, cy, &mut best);
                }
            }
            // Every bucket in ring k + 1 is at least k cells away from the query point.
            if let Some((d2, _)) = best {
                let reach = k as f64 * self.cell;
                if d2 <= reach * reach {
                    break;
                }
            }
        }
        best.map(|(_, n)| NodeId(n))
    }
}

/// The road network as a compact directed graph (see the module docs).
#[derive(Debug, Clone)]
pub struct RoadGraph {
    /// Node positions (map metres), indexed by [`NodeId`].
    pub node_pos: Vec<Pt>,
    /// Modes of any edge touching each node (in or out).
    pub node_modes: Vec<ModeMask>,
    /// Directed edges, indexed by [`EdgeId`], in road order (forward before reverse).
    pub edges: Vec<Edge>,
    /// Road ids, indexed by [`Edge::road`].
    pub road_ids: Vec<String>,
    /// Road classes, indexed by [`Edge::road`].
    pub road_classes: Vec<RoadClass>,
    /// Snapping tolerance used, metres.
    pub tolerance: f64,
    out_offsets: Vec<u32>,
    out_edges: Vec<EdgeId>,
    in_offsets: Vec<u32>,
    in_edges: Vec<EdgeId>,
    index: NodeIndex,
}

impl RoadGraph {
    /// Build with the default tolerance ([`DEFAULT_SNAP_M`]).
    pub fn new(roads: &[Road]) -> Result<Self, RoadGraphError> {
        Self::build(roads, DEFAULT_SNAP_M)
    }

    /// Build from roads, snapping vertices within `tolerance` metres into one node.
    ///
    /// Consecutive vertices that snap to the same node are dropped (no self-loops); a
    /// road all of whose vertices snap together is an error.
    pub fn build(roads: &[Road], tolerance: f64) -> Result<Self, RoadGraphError> {
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(RoadGraphError::BadTolerance(tolerance));
        }
        let too_large = |what: &str| RoadGraphError::TooLarge(what.to_string());
        let u32_of = |n: usize, what: &str| u32::try_from(n).map_err(|_| too_large(what));
        let bucket = if tolerance > 0.0 { tolerance } else { 1.0 };
        let mut buckets: BTreeMap<(i64, i64), Vec<u32>> = BTreeMap::new();
        let mut node_pos: Vec<Pt> = Vec::new();
        let mut edges: Vec<Edge> = Vec::new();
        let tol2 = tolerance * tolerance;

        for (ri, road) in roads.iter().enumerate() {
            if !(road.speed_kmh.is_finite() && road.speed_kmh > 0.0) {
                return Err(RoadGraphError::BadSpeed {
                    road: road.id.clone(),
                    speed_kmh: road.speed_kmh,
                });
            }
            let mut ids = Vec::with_capacity(road.line.len());
            for (vi, &(x, y)) in road.line.iter().enumerate() {
                if !(x.is_finite() && y.is_finite()) {
                    return Err(RoadGraphError::NonFinite {
                        road: road.id.clone(),
                        vertex: vi,
                        x,
                        y,
                    });
                }
                let (bx, by) = ((x / bucket).floor() as i64, (y / bucket).floor() as i64);
                let mut best: Option<(f64, u32)> = None;
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let Some(list) =
                            buckets.get(&(bx.saturating_add(dx), by.saturating_add(dy)))
                        else {
                            continue;
                        };
                        for &n in list {
                            let q = node_pos[n as usize];
                            let d2 = (q.0 - x).powi(2) + (q.1 - y).powi(2);
                            if d2 <= tol2 && best.is_none_or(|(bd, bn)| (d2, n) < (bd, bn)) {
                                best = Some((d2, n));
                            }
                        }
                    }
                }
                let id = match best {
                    Some((_, n)) => n,
                    None => {
                        let n = u32_of(node_pos.len(), "more than 2³² nodes")?;
                        node_pos.push((x, y));
                        buckets.entry((bx, by)).or_default().push(n);
                        n
                    }
                };
                ids.push(id);
            }

            let class = RoadClass::parse(&road.class);
            let drive = if class.drivable() {
                ModeMask::DRIVE
            } else {
                ModeMask::NONE
            };
            let free_speed = road.speed_kmh / 3.6;
            let lanes_total = road.lanes.max(1);
            let (fwd_lanes, rev_lanes) = if road.oneway && class.drivable() {
                (lanes_total, 1)
            } else {
                let l = (lanes_total / 2).max(1);
                (l, l)
            };
            let (fwd_modes, rev_modes) = if road.oneway {
                (drive | ModeMask::WALK, ModeMask::WALK)
            } else {
                (drive | ModeMask::WALK, drive | ModeMask::WALK)
            };
            let road_u32 = u32_of(ri, "more than 2³² roads")?;
            let before = edges.len();
            for w in ids.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a == b {
                    continue;
                }
                let (pa, pb) = (node_pos[a as usize], node_pos[b as usize]);
                let length = ((pb.0 - pa.0).powi(2) + (pb.1 - pa.1).powi(2)).sqrt();
                let mid = ((pa.0 + pb.0) * 0.5, (pa.1 + pb.1) * 0.5);
                for (from, to, lanes, modes) in
                    [(a, b, fwd_lanes, fwd_modes), (b, a, rev_lanes, rev_modes)]
                {
                    edges.push(Edge {
                        from: NodeId(from),
                        to: NodeId(to),
                        length,
                        free_speed,
                        lanes,
                        modes,
                        road: road_u32,
                        mid,
                    });
                }
            }
            if edges.len() == before {
                return Err(RoadGraphError::ZeroLength {
                    road: road.id.clone(),
                    vertices: road.line.len(),
                    tolerance,
                });
            }
        }
        u32_of(edges.len(), "more than 2³² edges")?;

        let n = node_pos.len();
        let mut node_modes = vec![ModeMask::NONE; n];
        for e in &edges {
            node_modes[e.from.idx()] |= e.modes;
            node_modes[e.to.idx()] |= e.modes;
        }
        let (out_offsets, out_edges) = csr(n, &edges, |e| e.from);
        let (in_offsets, in_edges) = csr(n, &edges, |e| e.to);
        let index = NodeIndex::build(&node_pos);
        Ok(Self {
            node_pos,
            node_modes,
            edges,
            road_ids: roads.iter().map(|r| r.id.clone()).collect(),
            road_classes: roads.iter().map(|r| RoadClass::parse(&r.class)).collect(),
            tolerance,
            out_offsets,
            out_edges,
            in_offsets,
            in_edges,
            index,
        })
    }

    /// Build like [`RoadGraph::build`], first splitting road segments at `stops` (place
    /// positions) so each stop gets a node on the road beside it: for every stop, the
    /// nearest segment overall and the nearest drivable segment get a vertex at the foot
    /// of the perpendicular from the stop (merged by snapping when within `tolerance` of
    /// an existing vertex). Without this, a place beside the middle of a long block is
    /// attached to a block end, up to half a block away.
    ///
    /// Performance: O(stops × segments) — meant for places (tens to hundreds), not for
    /// every building.
    pub fn build_with_stops(
        roads: &[Road],
        stops: &[Pt],
        tolerance: f64,
    ) -> Result<Self, RoadGraphError> {
        // (road, segment) → parameters t in (0, 1) where a vertex is inserted.
        let mut cuts: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
        for &p in stops {
            if !(p.0.is_finite() && p.1.is_finite()) {
                continue;
            }
            for drivable_only in [false, true] {
                let mut best: Option<(f64, usize, usize, f64)> = None;
                for (ri, r) in roads.iter().enumerate() {
                    if drivable_only && !RoadClass::parse(&r.class).drivable() {
                        continue;
                    }
                    for (si, w) in r.line.windows(2).enumerate() {
                        let (a, b) = (w[0], w[1]);
                        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                        let l2 = dx * dx + dy * dy;
                        if !(l2.is_finite() && l2 > 0.0) {
                            continue;
                        }
                        let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0);
                        let d2 = (a.0 + t * dx - p.0).powi(2) + (a.1 + t * dy - p.1).powi(2);
                        if best.is_none_or(|(bd, ..)| d2 < bd) {
                            best = Some((d2, ri, si, t));
                        }
                    }
                }
                if let Some((_, ri, si, t)) = best
                    && t > 0.0
                    && t < 1.0
                {
                    cuts.entry((ri, si)).or_default().push(t);
                }
            }
        }
        if cuts.is_empty() {
            return Self::build(roads, tolerance);
        }
        let mut split: Vec<Road> = roads.to_vec();
        for (ri, road) in split.iter_mut().enumerate() {
            let old = &roads[ri].line;
            if cuts.range((ri, 0)..(ri + 1, 0)).next().is_none() {
                continue;
            }
            let mut line = Vec::with_capacity(old.len() + 2);
            for (si, w) in old.windows(2).enumerate() {
                line.push(w[0]);
                if let Some(ts) = cuts.get_mut(&(ri, si)) {
                    ts.sort_by(f64::total_cmp);
                    ts.dedup();
                    for &t in ts.iter() {
                        line.push((
                            w[0].0 + t * (w[1].0 - w[0].0),
                            w[0].1 + t * (w[1].1 - w[0].1),
                        ));
                    }
                }
            }
            line.extend(old.last().copied());
            road.line = line;
        }
        Self::build(&split, tolerance)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_pos.len()
    }

    /// Number of directed edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The edge with id `e`.
    #[inline]
    pub fn edge(&self, e: EdgeId) -> &Edge {
        &self.edges[e.idx()]
    }

    /// Position of node `n`, map metres.
    #[inline]
    pub fn pos(&self, n: NodeId) -> Pt {
        self.node_pos[n.idx()]
    }

    /// The ways out of the map: nodes joined to one other node only (a road that ends)
    /// lying within `margin` metres of the bounding box of all nodes — where the
    /// extract cut a road that goes on beyond it. Ascending ids.
    pub fn boundary_ends(&self, margin: f64) -> Vec<NodeId> {
        let n = self.node_count();
        if n == 0 {
            return Vec::new();
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in &self.node_pos {
            x0 = x0.min(p.0);
            y0 = y0.min(p.1);
            x1 = x1.max(p.0);
            y1 = y1.max(p.1);
        }
        (0..n as u32)
            .map(NodeId)
            .filter(|&v| {
                let p = self.pos(v);
                let near = p.0 - x0 <= margin
                    || x1 - p.0 <= margin
                    || p.1 - y0 <= margin
                    || y1 - p.1 <= margin;
                if !near {
                    return false;
                }
                let mut other = None;
                let ends = self.outgoing(v).iter().map(|&e| self.edge(e).to);
                let starts = self.incoming(v).iter().map(|&e| self.edge(e).from);
                for u in ends.chain(starts) {
                    if u == v {
                        continue;
                    }
                    match other {
                        None => other = Some(u),
                        Some(o) if o != u => return false,
                        _ => {}
                    }
                }
                other.is_some()
            })
            .collect()
    }

    /// Edges leaving `n` (all modes), ascending ids.
    #[inline]
    pub fn outgoing(&self, n: NodeId) -> &[EdgeId] {
        let i = n.idx();
        &self.out_edges[self.out_offsets[i] as usize..self.out_offsets[i + 1] as usize]
    }

    /// Edges entering `n` (all modes), ascending ids.
    #[inline]
    pub fn incoming(&self, n: NodeId) -> &[EdgeId] {
        let i = n.idx();
        &self.in_edges[self.in_offsets[i] as usize..self.in_offsets[i + 1] as usize]
    }

    /// Id of the road edge `e` comes from.
    pub fn road_id(&self, e: EdgeId) -> &str {
        &self.road_ids[self.edge(e).road as usize]
    }

    /// Class of the road edge `e` comes from.
    pub fn class(&self, e: EdgeId) -> &RoadClass {
        &self.road_classes[self.edge(e).road as usize]
    }

    /// All directed edges of road `road` (index into the build slice), ascending ids.
    pub fn edges_of_road(&self, road: usize) -> Vec<EdgeId> {
        (0..self.edges.len() as u32)
            .map(EdgeId)
            .filter(|&e| self.edge(e).road as usize == road)
            .collect()
    }

    /// The node nearest to `pt` that has an edge usable by `mode` (lowest id on a tie),
    /// or `None` if there is none or `pt` is not finite.
    ///
    /// Performance: a uniform bucket grid searched in growing rings; about two nodes per
    /// bucket, so a query inside the network looks at a handful of nodes.
    pub fn nearest_node(&self, pt: Pt, mode: Mode) -> Option<NodeId> {
        self.index
            .nearest(pt, &self.node_pos, |n| self.node_modes[n].allows(mode))
    }

    /// Attach places to their nearest node usable by `mode`, in input order:
    /// `(place id, node)`. Places are left out only if the graph has no node of `mode`
    /// (or the place position is not finite).
    pub fn attach(&self, places: &[Place], mode: Mode) -> Vec<(String, NodeId)> {
        places
            .iter()
            .filter_map(|p| self.nearest_node(p.at, mode).map(|n| (p.id.clone(), n)))
            .collect()
    }

    /// Connected components for `mode`, treating usable edges as undirected (weak
    /// connectivity; enough for diagnostics, one-way traps are not detected).
    pub fn components(&self, mode: Mode) -> Components {
        let n = self.node_count();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                let p = parent[x as usize];
                parent[x as usize] = parent[p as usize];
                x = p;
            }
            x
        }
        for e in &self.edges {
            if !e.modes.allows(mode) {
                continue;
            }
            let (a, b) = (find(&mut parent, e.from.0), find(&mut parent, e.to.0));
            if a != b {
                // Lower root wins, so labels do not depend on edge order.
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent[hi as usize] = lo;
            }
        }
        let mut label = vec![u32::MAX; n];
        let mut sizes: Vec<usize> = Vec::new();
        let mut root_label = vec![u32::MAX; n];
        for (i, l) in label.iter_mut().enumerate() {
            if !self.node_modes[i].allows(mode) {
                continue;
            }
            let r = find(&mut parent, i as u32) as usize;
            if root_label[r] == u32::MAX {
                root_label[r] = sizes.len() as u32;
                sizes.push(0);
            }
            *l = root_label[r];
            sizes[root_label[r] as usize] += 1;
        }
        Components { label, sizes }
    }
}

/// CSR adjacency keyed by `key(edge)`: offsets per node, edge ids ascending per node.
fn csr(n: usize, edges: &[Edge], key: impl Fn(&Edge) -> NodeId) -> (Vec<u32>, Vec<EdgeId>) {
    let mut offsets = vec![0u32; n + 1];
    for e in edges {
        offsets[key(e).idx() + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut list = vec![EdgeId(0); edges.len()];
    for (i, e) in edges.iter().enumerate() {
        let k = key(e).idx();
        list[fill[k] as usize] = EdgeId(i as u32);
        fill[k] += 1;
    }
    (offsets, list)
}

/// A place names a position within this distance, metres ([`name_at`]).
pub const PLACE_RADIUS_M: f64 = 80.0;

/// The name of what is at `p`, for a reader: the nearest place within
/// [`PLACE_RADIUS_M`] (`兴中路下穿 (H01)`), else the road of the nearest edge of `graph`
/// (built from `roads`; its name and id, else its id), else the coordinates.
pub fn name_at(graph: &RoadGraph, roads: &[Road], places: &[Place], p: Pt) -> String {
    let d2 = |q: Pt| (q.0 - p.0).powi(2) + (q.1 - p.1).powi(2);
    let place = places
        .iter()
        .map(|pl| (d2(pl.at), pl))
        .filter(|(d, _)| *d <= PLACE_RADIUS_M * PLACE_RADIUS_M)
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    if let Some((_, pl)) = place {
        return if pl.name.is_empty() {
            pl.id.clone()
        } else {
            format!("{} ({})", pl.name, pl.id)
        };
    }
    let road = graph
        .edges
        .iter()
        .map(|e| (d2(e.mid), e.road))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    match road.and_then(|(_, r)| roads.get(r as usize)) {
        Some(r) if !r.name.is_empty() => format!("{} ({})", r.name, r.id),
        Some(r) => r.id.clone(),
        None => format!("({:.0}, {:.0})", p.0, p.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn road(id: &str, class: &str, oneway: bool, line: &[Pt]) -> Road {
        Road {
            id: id.into(),
            name: String::new(),
            class: class.into(),
            lanes: 2,
            speed_kmh: 36.0,
            oneway,
            line: line.to_vec(),
        }
    }

    #[test]
    fn modes_per_direction() {
        let g = RoadGraph::new(&[
            road("A", "residential", false, &[(0.0, 0.0), (10.0, 0.0)]),
            road("B", "residential", true, &[(10.0, 0.0), (20.0, 0.0)]),
            road("C", "footway", false, &[(20.0, 0.0), (30.0, 0.0)]),
        ])
        .unwrap();
        assert_eq!(g.node_count(), 4);
        let m: Vec<ModeMask> = g.edges.iter().map(|e| e.modes).collect();
        assert_eq!(
            m,
            vec![
                ModeMask::ALL,
                ModeMask::ALL,
                ModeMask::ALL,
                ModeMask::WALK,
                ModeMask::WALK,
                ModeMask::WALK
            ]
        );
        assert!((g.edges[0].free_speed - 10.0).abs() < 1e-12);
        assert_eq!(g.edges[0].lanes, 1);
        assert_eq!(g.edges[2].lanes, 2);
        assert_eq!(g.nearest_node((29.0, 1.0), Mode::Walk), Some(NodeId(3)));
        assert_eq!(g.nearest_node((29.0, 1.0), Mode::Drive), Some(NodeId(2)));
        assert_eq!(g.components(Mode::Drive).sizes, vec![3]);
        assert_eq!(g.components(Mode::Walk).sizes, vec![4]);
        assert_eq!(g.outgoing(NodeId(1)), &[EdgeId(1), EdgeId(2)]);
        assert_eq!(g.incoming(NodeId(1)), &[EdgeId(0), EdgeId(3)]);
    }

    #[test]
    fn nearest_matches_brute_force() {
        // A skewed cloud of vertices, queries inside and far outside.
        let mut roads = Vec::new();
        for i in 0..200 {
            let x = (i * 37 % 101) as f64 * 13.7;
            let y = (i * 53 % 89) as f64 * 7.3 + (i as f64).sqrt();
            roads.push(road(
                &format!("R{i}"),
                "residential",
                false,
                &[(x, y), (x + 3.0, y + 4.0)],
            ));
        }
        let g = RoadGraph::new(&roads).unwrap();
        for q in 0..300 {
            let p = (
                (q * 71 % 97) as f64 * 19.0 - 300.0,
                (q * 29 % 83) as f64 * 11.0 - 200.0,
            );
            let brute = (0..g.node_count() as u32)
                .min_by(|&a, &b| {
                    let d = |n: u32| {
                        let s = g.node_pos[n as usize];
                        (s.0 - p.0).powi(2) + (s.1 - p.1).powi(2)
                    };
                    d(a).total_cmp(&d(b)).then(a.cmp(&b))
                })
                .map(NodeId);
            assert_eq!(g.nearest_node(p, Mode::Walk), brute, "query {p:?}");
        }
    }

    #[test]
    fn stops_split_the_nearest_segment() {
        let roads = [
            road("A", "residential", false, &[(0.0, 0.0), (100.0, 0.0)]),
            road("F", "footway", false, &[(0.0, 10.0), (100.0, 10.0)]),
        ];
        let g = RoadGraph::build_with_stops(&roads, &[(40.0, 8.0), (0.5, 3.0)], 1.0).unwrap();
        // (40, 8): the footway gets (40, 10), the street (40, 0); (0.5, 3) snaps to (0, 0).
        assert_eq!(g.node_count(), 6);
        let walk = g.nearest_node((40.0, 8.0), Mode::Walk).unwrap();
        let drive = g.nearest_node((40.0, 8.0), Mode::Drive).unwrap();
        assert_eq!((g.pos(walk), g.pos(drive)), ((40.0, 10.0), (40.0, 0.0)));
        assert_eq!(g.edges_of_road(0).len(), 4);
    }

    #[test]
    fn bad_tolerance_and_speed() {
        assert!(matches!(
            RoadGraph::build(&[], f64::NAN),
            Err(RoadGraphError::BadTolerance(_))
        ));
        let mut r = road("R9", "primary", false, &[(0.0, 0.0), (5.0, 0.0)]);
        r.speed_kmh = 0.0;
        let e = RoadGraph::new(&[r]).unwrap_err().to_string();
        assert!(e.contains("\"R9\"") && e.contains("speed"), "{e}");
    }
}
