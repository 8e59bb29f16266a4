//! Dynamic-wave routing of a drainage network (link–node, EXTRAN family, as EPA SWMM).
//!
//! How it works. The state is the water volume of every node and the flow of every
//! link. Each conduit solves the full Saint-Venant momentum equation in SWMM's
//! link form (gravity from the head difference, Manning friction, local and convective
//! inertia damped by the Froude number, minor losses), semi-implicitly in its flow.
//! A node's storage is its own area (storage curve, or the minimum surface area) plus
//! half the water surface of every conduit joined to it; a closed conduit above its
//! crown adds none, so a surcharged node keeps only the minimum area — a Preissmann
//! slot at the node — and its head rises quickly, as pressure does. Above the rim a
//! node ponds over its ponded area (when the file allows ponding) or loses the excess
//! as flooding.
//!
//! Each step iterates (up to `max_trials`, under-relaxed) a Newton update of every
//! node's depth against its continuity equation, with the links' flow sensitivities
//! dq/dh on the diagonal: stable in surcharge where a plain explicit update would ring.
//! After the first iteration a link whose two end nodes both moved by no more than the
//! head tolerance keeps its flow, and a node all of whose links kept theirs keeps its
//! head (SWMM's bypassed links): the later iterations visit only the unsettled nodes and
//! their links (a predictor from the last step's rate of rise was tried: 10 % less
//! network time on the benchmark, but 12–23 % more unconverged steps on the street
//! networks, so not kept).
//! Once the flows are settled, every node's volume is advanced by exactly `dt` times
//! its net inflow, after limiting any outflow to the water the node holds, and the depth
//! is read back from the volume. Water is therefore conserved to round-off: the
//! continuity table closes exactly, whatever the convergence.
//!
//! The step adapts to a Courant condition on every conduit (`variable_step` of the
//! options, or 0.5 when it is 0), never above the file's routing step.

use super::network::{
    Action, CurveKind, LinkKind, Network, NodeKind, Operand, OutfallBoundary, Relation,
    StorageShape, Subject, XSection,
};
use super::xsect::G;

/// Minimum node surface area when the file gives none, m² (SWMM's 12.566 ft²).
const MIN_SURFAREA_M2: f64 = 1.167;
/// Depth below which a conduit end is dry, m.
const DRY_M: f64 = 1e-5;
/// Points in each node's storage table.
const TABLE_N: usize = 200;

/// Running totals of the network's water, m³.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Continuity {
    /// Water in the network at the start.
    pub initial_storage: f64,
    /// Lateral inflow (runoff, external, coupling).
    pub inflow: f64,
    /// Outflow through outfalls.
    pub outflow: f64,
    /// Water lost from nodes that overflowed and could not pond.
    pub flooding_lost: f64,
    /// Water that rose above a rim (lost or ponded): SWMM's "flooding".
    pub flooding: f64,
    /// Water in the network (ponds included) now.
    pub storage: f64,
    /// Water the coupled surface gave to the network (inlets, outfall backflow).
    pub exchange_in: f64,
    /// Water the network gave to the coupled surface (lids lifted, coupled outfalls).
    pub exchange_out: f64,
    /// Water pumped out of nodes by mobile pumps (drainage robots, pump trucks with a
    /// hose down a manhole or a wet well).
    #[serde(default)]
    pub pumped: f64,
}

impl Continuity {
    /// Relative continuity error: (in − out − change) ÷ in, as a fraction.
    pub fn error(&self) -> f64 {
        let inflow = self.initial_storage + self.inflow + self.exchange_in;
        if inflow <= 0.0 {
            return 0.0;
        }
        (inflow
            - self.outflow
            - self.flooding_lost
            - self.exchange_out
            - self.pumped
            - self.storage)
            / inflow
    }
}

/// Depth difference below which an exchange flow is linear in it (keeps the flow's
/// sensitivity finite where the square-root laws have an infinite slope), m.
const EXCHANGE_LINEAR_M: f64 = 0.005;

/// The exchange of one coupled node with the surface cell above it over one step
/// (dual drainage): the cell's state is the input, `q` the result.
///
/// By the node's head `H`, the surface's water level `h_s` and its bed (the crest of
/// the opening) `z`, with `d = h_s − z`:
/// - `H ≤ z`: free inflow, the smaller of the weir `C_w·P·d·√(2g·d)` and the orifice
///   `C_o·A·√(2g·d)`;
/// - `z < H < h_s`: submerged, the free flow × `√((h_s − H)/d)` (the submerged weir
///   `C_w·P·d·√(2g·(h_s − H))`, the orifice `C_o·A·√(2g·(h_s − H))`);
/// - `H > h_s`: the lid lifts, `−C_o·A·√(2g·(H − h_s))` back onto the surface.
///
/// The inflow is never more than the water on the cell (`avail` over the step), and
/// with a `surface_area` neither direction moves more than brings the surface level to
/// the node's head within the step (`|h_s − H|·A_s/Δt`): the surface side is explicit,
/// and this keeps it from overshooting (a jet out of a lifted lid cannot pile the cell
/// above the head that drives it, nor an inlet draw the cell below the pipe's head).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Exchange {
    /// Surface water level over the node, m.
    pub level: f64,
    /// Surface bed over the node (crest of the opening), m.
    pub ground: f64,
    /// Surface water that may enter over the step, m³.
    pub avail: f64,
    /// Opening area (orifice), m².
    pub area: f64,
    /// Opening perimeter (weir crest length), m.
    pub perimeter: f64,
    /// Weir coefficient.
    pub cw: f64,
    /// Orifice coefficient.
    pub co: f64,
    /// Surface area whose level the exchange moves, m² (0: no limit).
    pub surface_area: f64,
    /// Result: flow into the network over the step, m³/s (negative: onto the surface).
    pub q: f64,
}

impl Exchange {
    /// Flow into the network at node head `head` over a step `dt`, and its sensitivity
    /// `−dq/dH` (≥ 0).
    pub fn flow(&self, head: f64, dt: f64) -> (f64, f64) {
        let s2g = (2.0 * G).sqrt();
        let lin = EXCHANGE_LINEAR_M;
        // √δ and its slope, linear below `lin`.
        let root = |delta: f64| -> (f64, f64) {
            if delta >= lin {
                let r = delta.sqrt();
                (r, 0.5 / r)
            } else {
                let r = lin.sqrt();
                (r * delta / lin, r / lin)
            }
        };
        let k_eq = self.surface_area / dt;
        if head > self.level {
            let (r, dr) = root(head - self.level);
            let k = self.co * self.area * s2g;
            let cap = k_eq * (head - self.level);
            if self.surface_area > 0.0 && k * r > cap {
                return (-cap, k_eq);
            }
            return (-k * r, k * dr);
        }
        let d = self.level - self.ground;
        if d <= 0.0 {
            return (0.0, 0.0);
        }
        let free = (self.cw * self.perimeter * d * s2g * d.sqrt())
            .min(self.co * self.area * s2g * d.sqrt());
        let (q, dq) = if head <= self.ground {
            (free, 0.0)
        } else {
            let (r, dr) = root(self.level - head);
            let f = free / d.sqrt();
            (f * r, f * dr)
        };
        let (q, dq) = if self.surface_area > 0.0 && head > self.ground {
            let eq = k_eq * (self.level - head);
            if q > eq { (eq, k_eq) } else { (q, dq) }
        } else {
            (q, dq)
        };
        let cap = self.avail.max(0.0) / dt;
        if q > cap { (cap, 0.0) } else { (q, dq) }
    }
}

/// Full-bore Manning capacity of each conduit at its invert slope (at least 0.01 %),
/// all barrels, m³/s; 0 for other links.
pub fn full_flows(net: &Network) -> Vec<f64> {
    net.links
        .iter()
        .map(|l| match &l.kind {
            LinkKind::Conduit(c) => {
                let z1 = net.nodes[l.from].invert_m + l.from_offset_m;
                let z2 = net.nodes[l.to].invert_m + l.to_offset_m;
                let s = ((z1 - z2).abs() / c.length_m.max(0.1)).max(1e-4);
                let g = c.xsect.geom(c.xsect.full_depth());
                let n = c.roughness.max(1e-4);
                c.barrels.max(1) as f64 * g.area * g.radius.powf(2.0 / 3.0) * s.sqrt() / n
            }
            _ => 0.0,
        })
        .collect()
}

/// Networks with at least this many links solve their links' momentum in parallel.
const PARALLEL_LINKS: usize = 512;

/// Storage against depth of one node: `av[k]` = (area, volume) at depth `k·dy`, side by
/// side so that one lookup touches one cache line.
#[derive(Debug, Clone)]
struct Table {
    dy: f64,
    av: Vec<[f64; 2]>,
    /// Area above the table's top (ponding), m² (0: overflow is lost).
    pond: f64,
    /// The table's top depth and the volume there, kept beside the step so that a
    /// lookup touches one cache line of the table, not also its last.
    top: f64,
    full: f64,
}

impl Table {
    fn new(dy: f64, av: Vec<[f64; 2]>, pond: f64) -> Self {
        let top = dy * (av.len() - 1) as f64;
        let full = av.last().map_or(0.0, |e| e[1]);
        Self {
            dy,
            av,
            pond,
            top,
            full,
        }
    }
    fn top(&self) -> f64 {
        self.top
    }
    fn full_volume(&self) -> f64 {
        self.full
    }
    fn area_at(&self, y: f64) -> f64 {
        if y >= self.top() {
            return if self.pond > 0.0 {
                self.pond
            } else {
                self.av.last().map_or(0.0, |e| e[0])
            };
        }
        let x = (y.max(0.0) / self.dy).min((self.av.len() - 1) as f64);
        let k = (x as usize).min(self.av.len() - 2);
        let f = x - k as f64;
        self.av[k][0] + f * (self.av[k + 1][0] - self.av[k][0])
    }
    fn volume_at(&self, y: f64) -> f64 {
        if y >= self.top() {
            return self.full_volume() + (y - self.top()) * self.pond;
        }
        let y = y.max(0.0);
        let k = ((y / self.dy) as usize).min(self.av.len() - 2);
        let h = y - k as f64 * self.dy;
        let s = (self.av[k + 1][0] - self.av[k][0]) / self.dy;
        self.av[k][1] + self.av[k][0] * h + 0.5 * s * h * h
    }
    /// The depth holding volume `v`; `near` is a depth close to it (the search for its
    /// table interval starts there).
    fn depth_of(&self, v: f64, near: f64) -> f64 {
        if v <= 0.0 {
            return 0.0;
        }
        let full = self.full_volume();
        if v >= full {
            return if self.pond > 0.0 {
                self.top() + (v - full) / self.pond
            } else {
                self.top()
            };
        }
        // The last k with volume[k] <= v (volumes increase with k).
        let last = self.av.len() - 2;
        let mut k = ((near.max(0.0) / self.dy) as usize).min(last);
        while k > 0 && self.av[k][1] > v {
            k -= 1;
        }
        while k < last && self.av[k + 1][1] <= v {
            k += 1;
        }
        let dv = v - self.av[k][1];
        let a = self.av[k][0];
        let s = (self.av[k + 1][0] - self.av[k][0]) / self.dy;
        let h = if s.abs() < 1e-12 {
            dv / a.max(1e-12)
        } else {
            // a·h + s·h²/2 = dv, the root in [0, dy].
            let disc = (a * a + 2.0 * s * dv).max(0.0);
            2.0 * dv / (a + disc.sqrt()).max(1e-12)
        };
        k as f64 * self.dy + h.clamp(0.0, self.dy)
    }
}

/// One interval of a node's [`Table`], copied out: the interval `k` (depths
/// `k·dy … (k+1)·dy`) with its end areas and volumes. The router keeps each node's
/// current interval in one array it reads in order, so that a head that stays within its
/// interval (most heads, most steps) reads no table — the tables of a large network do
/// not stay in the cache between surface steps. Results are the table's, bit for bit.
#[derive(Debug, Clone, Copy, Default)]
struct Seg {
    k: usize,
    a0: f64,
    a1: f64,
    v0: f64,
    v1: f64,
}

impl Table {
    /// Interval `k`.
    fn seg(&self, k: usize) -> Seg {
        Seg {
            k,
            a0: self.av[k][0],
            a1: self.av[k + 1][0],
            v0: self.av[k][1],
            v1: self.av[k + 1][1],
        }
    }
    /// The interval [`Table::volume_at`] reads at depth `y`.
    fn k_of(&self, y: f64) -> usize {
        ((y.max(0.0) / self.dy) as usize).min(self.av.len() - 2)
    }
    /// The interval holding depth `y`: `s` if it is that one, else from the table.
    fn seg_at(&self, s: &Seg, y: f64) -> Seg {
        let k = self.k_of(y);
        if k == s.k { *s } else { self.seg(k) }
    }
    /// [`Table::area_at`], reading interval `s` when `y` is in it.
    fn area_at_seg(&self, s: &Seg, y: f64) -> f64 {
        if y >= self.top() {
            return self.area_at(y);
        }
        let x = (y.max(0.0) / self.dy).min((self.av.len() - 1) as f64);
        let k = (x as usize).min(self.av.len() - 2);
        if k != s.k {
            return self.area_at(y);
        }
        let f = x - k as f64;
        s.a0 + f * (s.a1 - s.a0)
    }
    /// [`Table::volume_at`], reading interval `s` when `y` is in it.
    fn volume_at_seg(&self, s: &Seg, y: f64) -> f64 {
        if y >= self.top() {
            return self.volume_at(y);
        }
        let y = y.max(0.0);
        let k = ((y / self.dy) as usize).min(self.av.len() - 2);
        if k != s.k {
            return self.volume_at(y);
        }
        let h = y - k as f64 * self.dy;
        let sl = (s.a1 - s.a0) / self.dy;
        s.v0 + s.a0 * h + 0.5 * sl * h * h
    }
    /// [`Table::depth_of`] from near a depth in interval `s`, and the interval of the
    /// depth found.
    fn depth_of_seg(&self, s: &Seg, v: f64, near: f64) -> (f64, Seg) {
        let last = self.av.len() - 2;
        let stays = v > 0.0
            && v < self.full_volume()
            && ((near.max(0.0) / self.dy) as usize).min(last) == s.k
            && (s.k == 0 || s.v0 <= v)
            && (s.k == last || v < s.v1);
        if !stays {
            let y = self.depth_of(v, near);
            return (y, self.seg_at(s, y));
        }
        let k = s.k;
        let dv = v - s.v0;
        let a = s.a0;
        let sl = (s.a1 - s.a0) / self.dy;
        let h = if sl.abs() < 1e-12 {
            dv / a.max(1e-12)
        } else {
            let disc = (a * a + 2.0 * sl * dv).max(0.0);
            2.0 * dv / (a + disc.sqrt()).max(1e-12)
        };
        let y = k as f64 * self.dy + h.clamp(0.0, self.dy);
        (y, self.seg_at(s, y))
    }
}

/// A conduit's figures that its momentum equation reads every iteration, packed
/// together (the network's own records are large and scattered for a hot loop).
#[derive(Debug, Clone)]
struct Pipe {
    from: usize,
    to: usize,
    /// Invert elevations of the upstream and downstream ends, m.
    z1: f64,
    z2: f64,
    /// Length (at least 0.1 m), m.
    len: f64,
    /// Manning's n.
    n: f64,
    barrels: f64,
    xsect: XSection,
    entry: f64,
    exit: f64,
    avg: f64,
    /// A flap gate on the conduit.
    flap: bool,
    /// A gated outfall at the downstream / upstream end.
    gated_to: bool,
    gated_from: bool,
    /// Flow limit per barrel, m³/s (0: none).
    max_flow: f64,
    /// The section's geometry at its full depth, and its hydraulic radius to the 4/3
    /// (a conduit full at both ends — most of a surcharged network — needs no more).
    full: super::xsect::Geom,
    full_r43: f64,
}

/// How the inertial terms are damped (`INERTIAL_DAMPING`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Damping {
    Partial,
    None,
    Full,
}

/// When the flow of a free-surface conduit is limited to normal flow
/// (`NORMAL_FLOW_LIMITED`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum NormalLimit {
    None,
    Slope,
    Froude,
    Both,
}

/// A step's working arrays, kept by the [`Router`] between steps (not state: each
/// step fills them afresh).
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// Flows and volumes at the start of the step.
    old_q: Vec<f64>,
    old_v: Vec<f64>,
    /// The iterates: node depths, link flows, their dq/dh and mid areas.
    y: Vec<f64>,
    q: Vec<f64>,
    dqdh: Vec<f64>,
    amid: Vec<f64>,
    /// Per node: moved by no more than the tolerance in the last trial.
    settled: Vec<bool>,
    /// Marks while building the lists below (all false between uses).
    link_mark: Vec<bool>,
    node_mark: Vec<bool>,
    /// The links solved and the nodes updated in the trial under way.
    links: Vec<usize>,
    nodes: Vec<usize>,
    /// The nodes that moved by more than the tolerance in the last trial.
    unsettled: Vec<usize>,
    /// The trial's results per listed link (flow, dq/dh, mid area) and node (depth).
    solved: Vec<(f64, f64, f64)>,
    heads: Vec<(f64, Seg)>,
    outfall_before: Vec<f64>,
}

impl Scratch {
    /// Ready for a step of `r` (n nodes, nl links).
    fn start(&mut self, r: &Router, n: usize, nl: usize) {
        let copy = |v: &mut Vec<f64>, from: &[f64]| {
            v.clear();
            v.extend_from_slice(from);
        };
        copy(&mut self.old_q, &r.flow);
        copy(&mut self.old_v, &r.volume);
        copy(&mut self.y, &r.depth);
        copy(&mut self.q, &r.flow);
        copy(&mut self.amid, &r.a_mid);
        self.dqdh.clear();
        self.dqdh.resize(nl, 0.0);
        self.settled.clear();
        self.settled.resize(n, true);
        self.link_mark.clear();
        self.link_mark.resize(nl, false);
        self.node_mark.clear();
        self.node_mark.resize(n, false);
        self.unsettled.clear();
        self.outfall_before.clear();
        self.outfall_before.resize(r.outfalls.len(), 0.0);
    }
}

/// The evolving state of a [`Router`] (what a snapshot saves).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RouterState {
    depth: Vec<f64>,
    volume: Vec<f64>,
    flow: Vec<f64>,
    overflow: Vec<f64>,
    a_mid: Vec<f64>,
    pump_on: Vec<bool>,
    setting: Vec<f64>,
    #[serde(default)]
    failed: Vec<bool>,
    outfall_flow: Vec<f64>,
    captured: Vec<f64>,
    returned: Vec<f64>,
    t: f64,
    totals: Continuity,
    steps: u64,
    unconverged: u64,
}

/// A dynamic-wave router over a network.
#[derive(Debug, Clone)]
pub struct Router {
    net: Network,
    /// Node tables (outfalls: none).
    tables: Vec<Option<Table>>,
    /// Depth at each node, m.
    pub depth: Vec<f64>,
    /// Volume at each node, m³.
    pub volume: Vec<f64>,
    /// Flow in each link, m³/s (positive from `from` to `to`).
    pub flow: Vec<f64>,
    /// Overflow rate at each node this step, m³/s.
    pub overflow: Vec<f64>,
    /// Mid-conduit area at the end of the last step (for the local inertia term).
    a_mid: Vec<f64>,
    /// Pumps: on or off.
    pump_on: Vec<bool>,
    /// Rule settings per link (1: open / on).
    setting: Vec<f64>,
    /// Links out of service (a failed pump): no flow whatever the rules say.
    failed: Vec<bool>,
    /// Lateral inflow of the step under way, m³/s (an ideal pump passes it on).
    lateral: Vec<f64>,
    /// Links joined to each node: (link, this is its `from` end).
    adj: Vec<Vec<(usize, bool)>>,
    /// Exchange slot of each node coupled to a surface cell (dual drainage).
    coupled: Vec<Option<usize>>,
    /// Stage set from outside at a coupled outfall (the river cell's level), m.
    outfall_stage: Vec<Option<f64>>,
    /// The outfall nodes.
    outfalls: Vec<usize>,
    /// Node invert elevations, m.
    invert: Vec<f64>,
    /// The conduits' packed figures (other links: none).
    pipes: Vec<Option<Pipe>>,
    damping: Damping,
    normal_limit: NormalLimit,
    /// Per link: the last flow its free-end depths were found for, and those depths
    /// (critical, normal), m — they depend on the flow alone, which a settled link keeps.
    free_end: Vec<(f64, f64, f64)>,
    /// Flow out of each outfall over the last step, m³/s (negative: backflow).
    pub outfall_flow: Vec<f64>,
    /// Water each coupled node took from the surface, m³ (cumulative).
    pub captured: Vec<f64>,
    /// Water each coupled node returned to the surface, m³ (cumulative).
    pub returned: Vec<f64>,
    /// Time, s.
    pub t: f64,
    /// Water accounting.
    pub totals: Continuity,
    /// Steps taken and those that did not converge.
    pub steps: u64,
    /// Steps that reached `max_trials` without converging.
    pub unconverged: u64,
    /// Head iterations over all steps (a diagnostic, not saved).
    pub trials: u64,
    /// A step's working arrays.
    scratch: Scratch,
    /// Each node's current table interval (outfalls: unused).
    segs: Vec<Seg>,
}

impl Router {
    /// A router at the file's initial conditions.
    pub fn new(net: &Network) -> Self {
        let n = net.nodes.len();
        let mut adj = vec![Vec::new(); n];
        for (l, link) in net.links.iter().enumerate() {
            if link.from < n {
                adj[link.from].push((l, true));
            }
            if link.to < n {
                adj[link.to].push((l, false));
            }
        }
        let min_area = if net.options.min_surfarea_m2 > 0.0 {
            net.options.min_surfarea_m2
        } else {
            MIN_SURFAREA_M2
        };
        let tables: Vec<Option<Table>> = (0..n)
            .map(|i| node_table(net, i, &adj[i], min_area))
            .collect();
        let depth: Vec<f64> = net.nodes.iter().map(|nd| nd.init_depth_m).collect();
        let volume: Vec<f64> = (0..n)
            .map(|i| tables[i].as_ref().map_or(0.0, |t| t.volume_at(depth[i])))
            .collect();
        let flow: Vec<f64> = net
            .links
            .iter()
            .map(|l| match &l.kind {
                LinkKind::Conduit(c) => c.init_flow,
                _ => 0.0,
            })
            .collect();
        let pump_on = net
            .links
            .iter()
            .map(|l| matches!(&l.kind, LinkKind::Pump(p) if p.init_on))
            .collect();
        let initial: f64 = volume.iter().sum();
        let segs = (0..n)
            .map(|i| {
                tables[i]
                    .as_ref()
                    .map_or(Seg::default(), |t| t.seg(t.k_of(depth[i])))
            })
            .collect();
        let mut r = Self {
            tables,
            depth,
            volume,
            flow,
            overflow: vec![0.0; n],
            a_mid: vec![0.0; net.links.len()],
            pump_on,
            setting: vec![1.0; net.links.len()],
            failed: vec![false; net.links.len()],
            lateral: vec![0.0; n],
            adj,
            coupled: vec![None; n],
            outfall_stage: vec![None; n],
            outfalls: (0..n)
                .filter(|&i| matches!(net.nodes[i].kind, NodeKind::Outfall { .. }))
                .collect(),
            free_end: vec![(f64::NAN, 0.0, 0.0); net.links.len()],
            invert: net.nodes.iter().map(|nd| nd.invert_m).collect(),
            pipes: net.links.iter().map(|l| pipe_of(net, l)).collect(),
            damping: match net.options.inertial_damping.as_str() {
                "NONE" => Damping::None,
                "FULL" => Damping::Full,
                _ => Damping::Partial,
            },
            normal_limit: match net.options.normal_flow_limited.as_str() {
                "NONE" => NormalLimit::None,
                "SLOPE" => NormalLimit::Slope,
                "FROUDE" => NormalLimit::Froude,
                _ => NormalLimit::Both,
            },
            outfall_flow: vec![0.0; n],
            captured: vec![0.0; n],
            returned: vec![0.0; n],
            t: 0.0,
            totals: Continuity {
                initial_storage: initial,
                storage: initial,
                ..Default::default()
            },
            steps: 0,
            unconverged: 0,
            trials: 0,
            scratch: Scratch::default(),
            segs,
            net: net.clone(),
        };
        for l in 0..r.net.links.len() {
            if let LinkKind::Conduit(c) = &r.net.links[l].kind {
                let (y1, y2) = r.end_depths(l, &r.depth.clone());
                r.a_mid[l] = c.xsect.geom(0.5 * (y1 + y2)).area;
            }
        }
        r
    }

    /// The network routed.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Head (water surface elevation) at node `i`, m.
    pub fn head(&self, i: usize) -> f64 {
        self.net.nodes[i].invert_m + self.depth[i]
    }

    /// The largest stable step now (Courant condition on the conduits), s, at most
    /// `max_dt`.
    pub fn stable_dt(&self, max_dt: f64) -> f64 {
        let cr = if self.net.options.variable_step > 0.0 {
            self.net.options.variable_step
        } else {
            return max_dt;
        };
        // The smallest over the conduits (a minimum: the same on any thread count).
        let link_dt = |l: usize| -> f64 {
            let LinkKind::Conduit(c) = &self.net.links[l].kind else {
                return max_dt;
            };
            let a = self.a_mid[l];
            if a <= 1e-6 {
                return max_dt;
            }
            // Every conduit governs, full ones too (with the celerity of their full
            // depth): SWMM leaves out pressurised and nearly empty conduits and adds a
            // limit on the nodes' depth change instead; without that limit the longer
            // steps do not converge under surcharge (tried: half the steps unconverged
            // on the demo and a ringing river), so this stays the stricter rule.
            let v = (self.flow[l] / c.barrels.max(1) as f64 / a).abs();
            let yfull = c.xsect.full_depth();
            let width = c
                .xsect
                .top_width((a / c.xsect.full_area().max(1e-12)) * yfull);
            let depth = if width > 0.0 { a / width } else { yfull };
            let celerity = (G * depth).sqrt();
            cr * c.length_m / (v + celerity).max(1e-6)
        };
        let nl = self.net.links.len();
        let dt = if nl >= PARALLEL_LINKS {
            use rayon::prelude::*;
            (0..nl)
                .into_par_iter()
                .with_min_len(256)
                .map(link_dt)
                .reduce(|| max_dt, f64::min)
        } else {
            (0..nl).map(link_dt).fold(max_dt, f64::min)
        };
        dt.max(self.net.options.minimum_step_s.max(0.01))
            .min(max_dt)
    }

    /// The value a control rule's premise reads, SI.
    fn subject_value(&self, s: &Subject, lateral: &[f64]) -> f64 {
        match *s {
            Subject::NodeDepth(i) => self.depth.get(i).copied().unwrap_or(0.0),
            Subject::NodeHead(i) => {
                if i < self.depth.len() {
                    self.head(i)
                } else {
                    0.0
                }
            }
            Subject::NodeInflow(i) => {
                let from_links: f64 = self.adj.get(i).map_or(0.0, |a| {
                    a.iter()
                        .map(|&(l, from)| if from { -self.flow[l] } else { self.flow[l] })
                        .filter(|&q| q > 0.0)
                        .sum()
                });
                from_links + lateral.get(i).copied().unwrap_or(0.0).max(0.0)
            }
            Subject::LinkFlow(l) => self.flow.get(l).copied().unwrap_or(0.0),
            Subject::LinkDepth(l) => {
                if l < self.flow.len() {
                    let (y1, y2) = self.end_depths(l, &self.depth);
                    0.5 * (y1 + y2)
                } else {
                    0.0
                }
            }
            Subject::LinkStatus(l) => {
                let on = match self.net.links.get(l).map(|k| &k.kind) {
                    Some(LinkKind::Pump(_)) => self.pump_on[l],
                    _ => self.setting.get(l).is_some_and(|&x| x > 0.0),
                };
                f64::from(u8::from(on))
            }
            Subject::LinkSetting(l) => self.setting.get(l).copied().unwrap_or(0.0),
            Subject::Time => self.t,
            Subject::ClockTime => (self.net.options.start_s + self.t).rem_euclid(86_400.0),
        }
    }

    /// Evaluate the control rules and apply their actions (SWMM's semantics: premises
    /// left to right, each `AND` or `OR` joining the next to the result so far; where
    /// rules set the same link, the highest priority wins, the first listed on a tie).
    fn apply_rules(&mut self, lateral: &[f64]) {
        if self.net.controls.is_empty() {
            return;
        }
        let mut chosen: Vec<(usize, f64, f64)> = Vec::new(); // link, setting, priority
        for rule in &self.net.controls {
            let mut result = true;
            for (k, (and, c)) in rule.conditions.iter().enumerate() {
                let lhs = self.subject_value(&c.subject, lateral);
                let rhs = match &c.value {
                    Operand::Value(v) => *v,
                    Operand::Subject(s) => self.subject_value(s, lateral),
                };
                let holds = match c.relation {
                    Relation::Eq => (lhs - rhs).abs() < 1e-9,
                    Relation::Ne => (lhs - rhs).abs() >= 1e-9,
                    Relation::Lt => lhs < rhs,
                    Relation::Le => lhs <= rhs,
                    Relation::Gt => lhs > rhs,
                    Relation::Ge => lhs >= rhs,
                };
                result = if k == 0 {
                    holds
                } else if *and {
                    result && holds
                } else {
                    result || holds
                };
            }
            let actions: &[Action] = if result { &rule.then } else { &rule.otherwise };
            for a in actions {
                match chosen.iter_mut().find(|c| c.0 == a.link) {
                    Some(c) if rule.priority > c.2 => *c = (a.link, a.setting, rule.priority),
                    Some(_) => {}
                    None => chosen.push((a.link, a.setting, rule.priority)),
                }
            }
        }
        for (link, setting, _) in chosen {
            self.set_setting(link, setting);
        }
    }

    /// Couple nodes to surface cells: node `nodes[k]` exchanges through slot `k` of the
    /// `ex` argument of [`Router::step_with`]. A coupled junction or storage node keeps
    /// its water above the rim in a pressure slot of the minimum surface area instead of
    /// losing it, and its water returns to the surface through the exchange; a coupled
    /// outfall takes its stage from [`Router::set_outfall_stage`] and its backflow is
    /// limited to its slot's `avail`.
    pub fn couple(&mut self, nodes: &[usize]) {
        let min_area = if self.net.options.min_surfarea_m2 > 0.0 {
            self.net.options.min_surfarea_m2
        } else {
            MIN_SURFAREA_M2
        };
        for (k, &i) in nodes.iter().enumerate() {
            if i >= self.coupled.len() {
                continue;
            }
            self.coupled[i] = Some(k);
            if let Some(tb) = &mut self.tables[i]
                && tb.pond <= 0.0
            {
                tb.pond = min_area;
            }
        }
    }

    /// Whether node `i` is coupled to the surface.
    pub fn is_coupled(&self, i: usize) -> bool {
        self.coupled.get(i).is_some_and(|c| c.is_some())
    }

    /// The stage at a coupled outfall (None: its own boundary), m.
    pub fn set_outfall_stage(&mut self, i: usize, stage: Option<f64>) {
        if let Some(s) = self.outfall_stage.get_mut(i) {
            *s = stage;
        }
    }

    /// The evolving state (what a snapshot saves).
    pub fn state(&self) -> RouterState {
        RouterState {
            depth: self.depth.clone(),
            volume: self.volume.clone(),
            flow: self.flow.clone(),
            overflow: self.overflow.clone(),
            a_mid: self.a_mid.clone(),
            pump_on: self.pump_on.clone(),
            setting: self.setting.clone(),
            failed: self.failed.clone(),
            outfall_flow: self.outfall_flow.clone(),
            captured: self.captured.clone(),
            returned: self.returned.clone(),
            t: self.t,
            totals: self.totals,
            steps: self.steps,
            unconverged: self.unconverged,
        }
    }

    /// Put a saved state back (the router must route the same network).
    pub fn restore(&mut self, st: &RouterState) -> Result<(), String> {
        let n = self.net.nodes.len();
        let nl = self.net.links.len();
        let ok = [
            st.depth.len(),
            st.volume.len(),
            st.overflow.len(),
            st.outfall_flow.len(),
            st.captured.len(),
            st.returned.len(),
        ]
        .iter()
        .all(|&k| k == n)
            && [
                st.flow.len(),
                st.a_mid.len(),
                st.pump_on.len(),
                st.setting.len(),
            ]
            .iter()
            .all(|&k| k == nl);
        if !ok {
            return Err(format!(
                "the saved drainage state is for another network (this one has {n} nodes and \
                 {nl} links, the state {} and {})",
                st.depth.len(),
                st.flow.len()
            ));
        }
        self.depth.clone_from(&st.depth);
        self.volume.clone_from(&st.volume);
        self.flow.clone_from(&st.flow);
        self.overflow.clone_from(&st.overflow);
        self.a_mid.clone_from(&st.a_mid);
        self.pump_on.clone_from(&st.pump_on);
        self.setting.clone_from(&st.setting);
        if st.failed.len() == nl {
            self.failed.clone_from(&st.failed);
        }
        self.outfall_flow.clone_from(&st.outfall_flow);
        self.captured.clone_from(&st.captured);
        self.returned.clone_from(&st.returned);
        self.t = st.t;
        self.totals = st.totals;
        self.steps = st.steps;
        self.unconverged = st.unconverged;
        Ok(())
    }

    /// Advance by `dt` seconds with `lateral[i]` m³/s flowing into node `i`.
    pub fn step(&mut self, dt: f64, lateral: &[f64]) {
        self.step_with(dt, lateral, &mut []);
    }

    /// Advance by `dt` seconds with `lateral[i]` m³/s flowing into node `i` and the
    /// coupled nodes exchanging with the surface through `ex` (by slot, see
    /// [`Router::couple`]); each slot's `q` is set to the flow it carried.
    pub fn step_with(&mut self, dt: f64, lateral: &[f64], ex: &mut [Exchange]) {
        use rayon::prelude::*;
        let n = self.net.nodes.len();
        let nl = self.net.links.len();
        self.update_pumps();
        self.apply_rules(lateral);
        self.lateral.clear();
        self.lateral.extend_from_slice(lateral);
        self.lateral.resize(n, 0.0);
        // Working arrays kept from step to step (a large network would otherwise map
        // and unmap fresh pages every step).
        let mut sc = std::mem::take(&mut self.scratch);
        sc.start(self, n, nl);
        let Scratch {
            old_q,
            old_v,
            y,
            q,
            dqdh,
            amid,
            settled,
            link_mark,
            node_mark,
            links,
            nodes,
            unsettled,
            solved,
            heads,
            outfall_before,
        } = &mut sc;
        let max_trials = self.net.options.max_trials.max(1);
        let tol = self.net.options.head_tolerance_m.max(1e-6);
        let mut converged = false;
        let nex = ex.len();
        let coupled_slots = std::mem::take(&mut self.coupled);
        let mut free_end = std::mem::take(&mut self.free_end);
        let mut segs = std::mem::take(&mut self.segs);
        let slot = |i: usize| coupled_slots[i].filter(|&k| k < nex);
        // Nodes whose head moved by no more than the tolerance in the last trial; a link
        // between two of them keeps its flow (SWMM's bypassed links), and a node whose
        // links all kept theirs keeps its head. Later trials visit only the links and
        // nodes around the unsettled ones.
        for trial in 0..max_trials {
            for (b, &i) in outfall_before.iter_mut().zip(&self.outfalls) {
                *b = y[i];
            }
            self.set_outfalls(y, q, &mut free_end);
            // The links to solve: all at first, then those with an unsettled end.
            links.clear();
            if trial == 0 || 4 * unsettled.len() > n {
                links.extend((0..nl).filter(|&l| {
                    trial == 0
                        || !(settled[self.net.links[l].from] && settled[self.net.links[l].to])
                }));
            } else {
                for &i in unsettled.iter() {
                    for &(l, _) in &self.adj[i] {
                        if !link_mark[l] {
                            link_mark[l] = true;
                            links.push(l);
                        }
                    }
                }
                links.sort_unstable();
                for &l in links.iter() {
                    link_mark[l] = false;
                }
            }
            {
                let y: &[f64] = y;
                let solve = |&l: &usize| self.link_flow(l, y, old_q[l], dt);
                if links.len() >= PARALLEL_LINKS {
                    links
                        .par_iter()
                        .with_min_len(64)
                        .map(solve)
                        .collect_into_vec(solved);
                } else {
                    solved.clear();
                    solved.extend(links.iter().map(solve));
                }
            }
            for (&l, &(qn, d, am)) in links.iter().zip(solved.iter()) {
                q[l] = if trial == 0 { qn } else { 0.5 * (qn + q[l]) };
                dqdh[l] = d;
                amid[l] = am;
            }
            for &l in links.iter() {
                link_mark[l] = true;
            }
            nodes.clear();
            if trial == 0 {
                nodes.extend((0..n).filter(|&i| self.tables[i].is_some()));
            } else if 4 * unsettled.len() > n {
                nodes.extend((0..n).filter(|&i| {
                    self.tables[i].is_some()
                        && (!settled[i] || self.adj[i].iter().any(|&(l, _)| link_mark[l]))
                }));
            } else {
                let ends = links.iter().flat_map(|&l| {
                    let k = &self.net.links[l];
                    [k.from, k.to]
                });
                for i in unsettled.iter().copied().chain(ends) {
                    if !node_mark[i] && self.tables[i].is_some() {
                        node_mark[i] = true;
                        nodes.push(i);
                    }
                }
                nodes.sort_unstable();
                for &i in nodes.iter() {
                    node_mark[i] = false;
                }
            }
            for &l in links.iter() {
                link_mark[l] = false;
            }
            // Each node's new head from the flows alone (Jacobi): independent too.
            {
                let (y, q, dqdh): (&[f64], &[f64], &[f64]) = (y, q, dqdh);
                let ex: &[Exchange] = ex;
                let segs: &[Seg] = &segs;
                let node_head = |&i: &usize| -> (f64, Seg) {
                    let Some(tb) = &self.tables[i] else {
                        return (y[i], segs[i]);
                    };
                    let sg = &segs[i];
                    let mut net_in = self.lateral[i] + self.net_flow(i, q);
                    let mut sum_d: f64 = self.adj[i].iter().map(|&(l, _)| dqdh[l]).sum();
                    if let Some(k) = slot(i) {
                        let (qx, dx) = ex[k].flow(self.invert[i] + y[i], dt);
                        net_in += qx;
                        sum_d += dx;
                    }
                    let target = old_v[i] + dt * net_in;
                    let v_now = tb.volume_at_seg(sg, y[i]);
                    let h = if tb.pond <= 0.0 && target >= tb.full_volume() {
                        tb.top()
                    } else {
                        let a = tb.area_at_seg(sg, y[i]) + dt * sum_d;
                        (y[i] + (target - v_now) / a.max(1e-9)).max(0.0)
                    };
                    (h, tb.seg_at(sg, h))
                };
                if nodes.len() >= PARALLEL_LINKS {
                    nodes
                        .par_iter()
                        .with_min_len(64)
                        .map(node_head)
                        .collect_into_vec(heads);
                } else {
                    heads.clear();
                    heads.extend(nodes.iter().map(node_head));
                }
            }
            // Every node not visited kept its head: settled. The visited ones are
            // settled when they moved by no more than the tolerance.
            for &i in unsettled.iter() {
                settled[i] = true;
            }
            unsettled.clear();
            let mut change = 0.0f64;
            for (&i, &(h, sg)) in nodes.iter().zip(heads.iter()) {
                let d = (h - y[i]).abs();
                y[i] = h;
                segs[i] = sg;
                if d > tol {
                    settled[i] = false;
                    unsettled.push(i);
                }
                change = change.max(d);
            }
            // An outfall's depth follows its links' flows (set_outfalls): settled when
            // that moved it no more than the tolerance.
            for (&b, &i) in outfall_before.iter().zip(&self.outfalls) {
                let ok = trial > 0 && (y[i] - b).abs() <= tol;
                settled[i] = ok;
                if !ok {
                    unsettled.push(i);
                }
            }
            self.trials += 1;
            if change <= tol {
                converged = true;
                break;
            }
        }
        self.steps += 1;
        if !converged {
            self.unconverged += 1;
        }
        self.set_outfalls(y, q, &mut free_end);
        // The exchange at the settled heads: part of each coupled node's lateral.
        let mut lat = std::mem::take(&mut self.lateral);
        for i in 0..n {
            if let Some(k) = slot(i) {
                let x = if self.tables[i].is_some() {
                    ex[k].flow(self.invert[i] + y[i], dt).0
                } else {
                    0.0
                };
                ex[k].q = x;
                lat[i] += x;
            }
        }
        // Flows settled: no node gives more than it holds; a coupled outfall gives
        // back no more than its cell holds.
        for _ in 0..3 {
            let mut limited = false;
            for (i, &v_old) in old_v.iter().enumerate() {
                let mut gain = match (&self.tables[i], slot(i)) {
                    (Some(_), _) => v_old + dt * lat[i].max(0.0),
                    (None, Some(k)) => ex[k].avail.max(0.0),
                    (None, None) => continue,
                };
                let outfall = self.tables[i].is_none();
                let mut out = 0.0;
                for &(l, from) in &self.adj[i] {
                    let qi = if from { -q[l] } else { q[l] };
                    if qi >= 0.0 {
                        if !outfall {
                            gain += dt * qi;
                        }
                    } else {
                        out -= dt * qi;
                    }
                }
                if !outfall {
                    gain += dt * lat[i].min(0.0);
                }
                if out > gain.max(0.0) + 1e-12 {
                    let f = gain.max(0.0) / out;
                    for &(l, from) in &self.adj[i] {
                        let leaving = if from { q[l] > 0.0 } else { q[l] < 0.0 };
                        if leaving {
                            q[l] *= f;
                        }
                    }
                    limited = true;
                }
            }
            if !limited {
                break;
            }
        }
        // Advance the volumes by exactly dt × net inflow.
        for i in 0..n {
            self.overflow[i] = 0.0;
            let coupled = slot(i);
            match &self.tables[i] {
                None => {
                    // Outfall: what the links bring leaves the network (to the coupled
                    // cell, or out of the model).
                    let out = self.net_flow(i, q);
                    self.outfall_flow[i] = out;
                    if let Some(k) = coupled {
                        ex[k].q = -out;
                        if out >= 0.0 {
                            self.totals.exchange_out += dt * out;
                        } else {
                            self.totals.exchange_in -= dt * out;
                        }
                    } else {
                        self.totals.outflow += dt * (out + lat[i]);
                        self.totals.inflow += dt * lat[i];
                    }
                }
                Some(tb) => {
                    let mut v = old_v[i] + dt * (lat[i] + self.net_flow(i, q));
                    if let Some(k) = coupled {
                        let x = ex[k].q;
                        self.totals.inflow += dt * (lat[i] - x);
                        if x >= 0.0 {
                            self.totals.exchange_in += dt * x;
                            self.captured[i] += dt * x;
                        } else {
                            self.totals.exchange_out -= dt * x;
                            self.returned[i] -= dt * x;
                            self.overflow[i] = -x;
                        }
                    } else {
                        self.totals.inflow += dt * lat[i];
                    }
                    if v < 0.0 {
                        // Round-off of the limiter: kept in the books as lost.
                        self.totals.flooding_lost += v;
                        v = 0.0;
                    }
                    let full = tb.full_volume();
                    if v > full && coupled.is_none() {
                        let risen = v - old_v[i].max(full);
                        if risen > 0.0 {
                            self.totals.flooding += risen;
                            self.overflow[i] = risen / dt;
                        }
                        if tb.pond <= 0.0 {
                            self.totals.flooding_lost += v - full;
                            v = full;
                        }
                    }
                    self.volume[i] = v;
                    let (d, sg) = tb.depth_of_seg(&segs[i], v, y[i]);
                    y[i] = d;
                    segs[i] = sg;
                }
            }
        }
        self.lateral = lat;
        self.coupled = coupled_slots;
        self.free_end = free_end;
        std::mem::swap(&mut self.depth, y);
        std::mem::swap(&mut self.flow, q);
        // The mid areas the momentum equation used: its local inertia term compares
        // the next step's with these.
        std::mem::swap(&mut self.a_mid, amid);
        self.scratch = sc;
        self.segs = segs;
        self.totals.storage = self.volume.iter().sum();
        self.t += dt;
    }

    /// Net inflow to node `i` from its links, m³/s.
    fn net_flow(&self, i: usize, q: &[f64]) -> f64 {
        self.adj[i]
            .iter()
            .map(|&(l, from)| if from { -q[l] } else { q[l] })
            .sum()
    }

    /// Depths of the water at the two ends of conduit `l` above its end inverts, m.
    fn end_depths(&self, l: usize, y: &[f64]) -> (f64, f64) {
        let link = &self.net.links[l];
        let n1 = &self.net.nodes[link.from];
        let n2 = &self.net.nodes[link.to];
        let h1 = n1.invert_m + y[link.from];
        let h2 = n2.invert_m + y[link.to];
        let z1 = n1.invert_m + link.from_offset_m;
        let z2 = n2.invert_m + link.to_offset_m;
        ((h1 - z1).max(0.0), (h2 - z2).max(0.0))
    }

    /// Pumps switch on and off by their inlet depth.
    fn update_pumps(&mut self) {
        for (l, link) in self.net.links.iter().enumerate() {
            let LinkKind::Pump(p) = &link.kind else {
                continue;
            };
            let y = self.depth[link.from];
            if p.startup_depth_m > 0.0 && y >= p.startup_depth_m {
                self.pump_on[l] = true;
            }
            if p.shutoff_depth_m > 0.0 && y <= p.shutoff_depth_m {
                self.pump_on[l] = false;
            }
        }
    }

    /// Set a link's setting (a pump on = 1 / off = 0, a gate's opening): failures,
    /// restores and control rules.
    pub fn set_setting(&mut self, link: usize, setting: f64) {
        if let Some(s) = self.setting.get_mut(link) {
            *s = setting.clamp(0.0, 1.0);
        }
        if let Some(LinkKind::Pump(_)) = self.net.links.get(link).map(|l| &l.kind) {
            self.pump_on[link] = setting > 0.0;
        }
    }

    /// Pump up to `volume` m³ out of node `i` (a mobile pump's hose down its manhole or
    /// wet well), booked as `pumped`; returns what it held to give. Outfalls hold none.
    pub fn take_water(&mut self, i: usize, volume: f64) -> f64 {
        let Some(Some(tb)) = self.tables.get(i) else {
            return 0.0;
        };
        if !(volume > 0.0) {
            return 0.0;
        }
        let got = volume.min(self.volume[i].max(0.0));
        if got <= 0.0 {
            return 0.0;
        }
        let v = self.volume[i] - got;
        self.volume[i] = v;
        self.depth[i] = tb.depth_of(v, self.depth[i]);
        self.totals.pumped += got;
        self.totals.storage = self.volume.iter().sum();
        got
    }

    /// Put a link out of service (a pump that failed: no flow, whatever its controls
    /// say) or back.
    pub fn set_failed(&mut self, link: usize, failed: bool) {
        if let Some(f) = self.failed.get_mut(link) {
            *f = failed;
        }
    }

    /// Whether a link is out of service.
    pub fn is_failed(&self, link: usize) -> bool {
        self.failed.get(link).copied().unwrap_or(false)
    }

    /// Outfall depths from the flow that reaches them.
    /// `free_end`: the memo of [`Router::free_end`], taken out of `self` by the caller.
    fn set_outfalls(&self, y: &mut [f64], q: &[f64], free_end: &mut [(f64, f64, f64)]) {
        for &i in &self.outfalls {
            let node = &self.net.nodes[i];
            let NodeKind::Outfall { boundary, .. } = &node.kind else {
                continue;
            };
            let stage = match boundary {
                OutfallBoundary::Fixed(s) => Some(*s),
                OutfallBoundary::Timeseries(k) => self
                    .net
                    .timeseries
                    .get(*k)
                    .map(|ts| interp(&ts.points, self.t)),
                OutfallBoundary::Tidal(k) => self
                    .net
                    .curves
                    .get(*k)
                    .map(|c| interp(&c.points, (self.t / 3600.0) % 24.0)),
                _ => None,
            };
            let mut d = 0.0;
            // Free (and normal): critical or normal depth in the conduits that reach it.
            for &(l, from) in &self.adj[i] {
                let link = &self.net.links[l];
                let LinkKind::Conduit(c) = &link.kind else {
                    continue;
                };
                let qq = q[l].abs() / c.barrels.max(1) as f64;
                let z_end = if from {
                    link.from_offset_m
                } else {
                    link.to_offset_m
                };
                let memo = &mut free_end[l];
                if memo.0.to_bits() != qq.to_bits() {
                    let s = conduit_slope(&self.net, l);
                    *memo = (
                        qq,
                        c.xsect.critical_depth(qq),
                        c.xsect.normal_depth(qq, s, c.roughness),
                    );
                }
                let (yc, yn) = (memo.1, memo.2);
                let ye = match boundary {
                    OutfallBoundary::Normal => yn,
                    _ => yc.min(yn),
                };
                d = f64::max(d, z_end + ye);
            }
            if let Some(s) = self.outfall_stage[i] {
                // A river cell's level: it backs up the outfall once above the free depth.
                d = d.max(s - node.invert_m);
            } else if let Some(s) = stage {
                d = (s - node.invert_m).max(0.0);
            }
            y[i] = d;
        }
    }

    /// Flow through link `l` given node depths `y`, its flow `q0` at the start of the
    /// step and the step `dt`; also dq/dh (m²/s), the flow's sensitivity to the head at
    /// either end.
    fn link_flow(&self, l: usize, y: &[f64], q0: f64, dt: f64) -> (f64, f64, f64) {
        if let Some(p) = &self.pipes[l] {
            if self.failed[l] {
                return (0.0, 0.0, 0.0);
            }
            let h1 = self.invert[p.from] + y[p.from];
            let h2 = self.invert[p.to] + y[p.to];
            return self.conduit_flow(l, p, h1, h2, q0, dt);
        }
        let link = &self.net.links[l];
        let n1 = &self.net.nodes[link.from];
        let n2 = &self.net.nodes[link.to];
        let h1 = n1.invert_m + y[link.from];
        let h2 = n2.invert_m + y[link.to];
        let setting = self.setting[l];
        if self.failed[l] {
            return (0.0, 0.0, 0.0);
        }
        let (q, d) = match &link.kind {
            LinkKind::Conduit(_) => return (0.0, 0.0, 0.0),
            LinkKind::Pump(p) => {
                if !self.pump_on[l] || setting <= 0.0 {
                    return (0.0, 0.0, 0.0);
                }
                let Some(curve) = p.curve.and_then(|k| self.net.curves.get(k)) else {
                    // Ideal pump: what the inlet node receives, limited later by its
                    // volume.
                    let inflow: f64 = self.adj[link.from]
                        .iter()
                        .filter(|&&(k, _)| k != l)
                        .map(|&(k, from)| if from { -self.flow[k] } else { self.flow[k] })
                        .sum::<f64>()
                        + self.lateral.get(link.from).copied().unwrap_or(0.0);
                    return (inflow.max(0.0) * setting, 0.0, 0.0);
                };
                let yin = y[link.from];
                let qp = match curve.kind {
                    CurveKind::Pump1 => step_interp(
                        &curve.points,
                        self.volume.get(link.from).copied().unwrap_or(0.0),
                    ),
                    CurveKind::Pump2 => step_interp(&curve.points, yin),
                    CurveKind::Pump3 | CurveKind::Pump5 => interp(&curve.points, h2 - h1),
                    _ => interp(&curve.points, yin),
                };
                (qp.max(0.0) * setting, 0.0)
            }
            LinkKind::Orifice(o) => {
                let crest = n1.invert_m + link.from_offset_m;
                let full = o.xsect.full_depth() * setting;
                let area = o.xsect.geom(full).area;
                let f = |h1: f64, h2: f64| -> f64 {
                    let (up, dn, sign) = if h1 >= h2 {
                        (h1, h2, 1.0)
                    } else {
                        (h2, h1, -1.0)
                    };
                    if o.gated && sign < 0.0 {
                        return 0.0;
                    }
                    let head_up = up - crest;
                    if head_up <= 0.0 || full <= 0.0 {
                        return 0.0;
                    }
                    let q = if head_up < full && !o.bottom {
                        // Partly submerged opening: a weir over its sill.
                        let a = o.xsect.geom(head_up).area;
                        o.cd * a * (2.0 * G * head_up / 2.0).sqrt()
                    } else {
                        let centre = if o.bottom { crest } else { crest + 0.5 * full };
                        let h = up - dn.max(centre);
                        o.cd * area * (2.0 * G * h.max(0.0)).sqrt()
                    };
                    sign * q
                };
                algebraic(f, h1, h2)
            }
            LinkKind::Weir(w) => {
                let crest = n1.invert_m + link.from_offset_m;
                let length = match w.xsect {
                    XSection::RectOpen { w: b, .. } | XSection::RectClosed { w: b, .. } => b,
                    XSection::Trapezoidal { w: b, .. } => b,
                    _ => 0.0,
                };
                let height = w.xsect.full_depth() * setting;
                let vnotch = w.kind == "V-NOTCH";
                let f = |h1: f64, h2: f64| -> f64 {
                    let (up, dn, sign) = if h1 >= h2 {
                        (h1, h2, 1.0)
                    } else {
                        (h2, h1, -1.0)
                    };
                    if w.gated && sign < 0.0 {
                        return 0.0;
                    }
                    let hu = (up - crest).min(if height > 0.0 { height } else { f64::MAX });
                    if hu <= 0.0 {
                        return 0.0;
                    }
                    let hd = (dn - crest).max(0.0);
                    let le = (length - 0.1 * w.end_contractions as f64 * hu).max(0.0);
                    let free = if vnotch {
                        w.cd * (match w.xsect {
                            XSection::Triangular { h, w: top } if h > 0.0 => 0.5 * top / h,
                            _ => 1.0,
                        }) * hu.powf(2.5)
                    } else {
                        w.cd * le * hu.powf(1.5)
                    };
                    // Villemonte's submergence correction.
                    let ex = if vnotch { 2.5 } else { 1.5 };
                    let ratio = (hd / hu).clamp(0.0, 1.0);
                    sign * free * (1.0 - ratio.powf(ex)).max(0.0).powf(0.385)
                };
                algebraic(f, h1, h2)
            }
            LinkKind::Outlet(o) => {
                let crest = n1.invert_m + link.from_offset_m;
                let f = |h1: f64, h2: f64| -> f64 {
                    let (up, dn, sign) = if h1 >= h2 {
                        (h1, h2, 1.0)
                    } else {
                        (h2, h1, -1.0)
                    };
                    if o.gated && sign < 0.0 {
                        return 0.0;
                    }
                    let h = if o.by_head {
                        up - dn.max(crest)
                    } else {
                        up - crest
                    };
                    if h <= 0.0 {
                        return 0.0;
                    }
                    let q = match &o.rating {
                        super::network::OutletRating::Tabular(k) => self
                            .net
                            .curves
                            .get(*k)
                            .map_or(0.0, |c| interp(&c.points, h)),
                        super::network::OutletRating::Functional { c, e } => c * h.powf(*e),
                    };
                    sign * q.max(0.0) * setting
                };
                algebraic(f, h1, h2)
            }
        };
        (q, d, 0.0)
    }

    /// The conduit momentum equation (SWMM's link form), semi-implicit in the flow.
    fn conduit_flow(
        &self,
        l: usize,
        p: &Pipe,
        h1: f64,
        h2: f64,
        q0: f64,
        dt: f64,
    ) -> (f64, f64, f64) {
        let barrels = p.barrels;
        let x = &p.xsect;
        let yfull = x.full_depth();
        let (z1, z2, len) = (p.z1, p.z2, p.len);
        let q_old = q0 / barrels;
        let mut y1 = (h1 - z1).clamp(0.0, yfull);
        let mut y2 = (h2 - z2).clamp(0.0, yfull);
        if y1 <= DRY_M && y2 <= DRY_M {
            return (0.0, 0.0, 0.0);
        }
        let s0 = (z1 - z2) / len;
        // A free fall at the lower end: the water there is at critical depth (or
        // normal depth if smaller).
        let qq = q_old.abs().max(1e-9);
        if h2 < z2 && h1 > z1 {
            let yc = x.critical_depth(qq);
            let yn = x.normal_depth(qq, s0.abs(), p.n);
            y2 = y2.max(yc.min(yn)).min(yfull);
        }
        if h1 < z1 && h2 > z2 {
            let yc = x.critical_depth(qq);
            let yn = x.normal_depth(qq, s0.abs(), p.n);
            y1 = y1.max(yc.min(yn)).min(yfull);
        }
        let full = y1 >= yfull && y2 >= yfull;
        let (g1, g2, gm) = if full {
            (p.full, p.full, p.full)
        } else {
            (x.geom(y1), x.geom(y2), x.geom(0.5 * (y1 + y2)))
        };
        if gm.area <= 1e-9 {
            return (0.0, 0.0, gm.area);
        }
        // Heads used in the gravity term: an end below the invert counts at the invert
        // plus its (critical) depth.
        let hh1 = h1.max(z1 + y1);
        let hh2 = h2.max(z2 + y2);
        let v = q_old / gm.area;
        let fr = if gm.width > 0.0 && !full {
            v.abs() / (G * gm.area / gm.width).sqrt()
        } else {
            0.0
        };
        let damping = if fr <= 0.5 {
            1.0
        } else if fr < 1.0 {
            2.0 * (1.0 - fr)
        } else {
            0.0
        };
        // Upstream weighting of area and radius by the damping, only for a part-full
        // conduit flowing downhill in the direction of its head (as SWMM).
        let rho = if !full && q_old > 0.0 && hh1 >= hh2 {
            damping
        } else {
            1.0
        };
        // The inertia terms: damped by the Froude number, and none in a full conduit
        // (PARTIAL, SWMM's default), always (NONE) or never (FULL).
        let sigma = match self.damping {
            Damping::None => 1.0,
            Damping::Full => 0.0,
            _ if full => 0.0,
            Damping::Partial => damping,
        };
        let a_wtd = g1.area + (gm.area - g1.area) * rho;
        let r_wtd = (g1.radius + (gm.radius - g1.radius) * rho).max(1e-6);
        let dq1 = dt * G * a_wtd * (hh2 - hh1) / len;
        let r43 = if full {
            p.full_r43
        } else {
            r_wtd.powf(4.0 / 3.0)
        };
        let dq2 = dt * G * p.n * p.n * v.abs() / r43;
        let dq3 = 2.0 * v * (gm.area - self.a_mid[l]) * sigma;
        let dq4 = dt * v * v * (g2.area - g1.area) / len * sigma;
        let dq5 = if p.entry + p.exit + p.avg > 0.0 {
            let l1 = if g1.area > 0.0 {
                p.entry * v.abs() * gm.area / g1.area
            } else {
                0.0
            };
            let l2 = if g2.area > 0.0 {
                p.exit * v.abs() * gm.area / g2.area
            } else {
                0.0
            };
            (l1 + l2 + p.avg * v.abs()) / (2.0 * len) * dt
        } else {
            0.0
        };
        let denom = 1.0 + dq2 + dq5;
        let mut q = (q_old - dq1 + dq3 + dq4) / denom;
        // Normal-flow limitation on a free-surface conduit flowing downhill.
        if q > 0.0 && s0 > 0.0 && y1 < yfull && self.normal_limit != NormalLimit::None {
            let slope_test = (hh1 - hh2) / len < s0;
            let froude_test = fr >= 1.0;
            let apply = match self.normal_limit {
                NormalLimit::Slope => slope_test,
                NormalLimit::Froude => froude_test,
                _ => slope_test || froude_test,
            };
            if apply {
                let qn = g1.area * g1.radius.powf(2.0 / 3.0) * s0.sqrt() / p.n;
                q = q.min(qn);
            }
        }
        if p.flap && q < 0.0 {
            q = 0.0;
        }
        // Flap gates at an outfall stop backflow into the network.
        if (p.gated_to && q < 0.0) || (p.gated_from && q > 0.0) {
            q = 0.0;
        }
        if p.max_flow > 0.0 {
            q = q.clamp(-p.max_flow / barrels, p.max_flow / barrels);
        }
        let dqdh = G * a_wtd * dt / len / denom;
        (q * barrels, dqdh * barrels, gm.area)
    }
}

/// The packed figures of a conduit (other links: none).
fn pipe_of(net: &Network, link: &super::network::Link) -> Option<Pipe> {
    let LinkKind::Conduit(c) = &link.kind else {
        return None;
    };
    let gated = |i: usize| {
        net.nodes
            .get(i)
            .is_some_and(|nd| matches!(nd.kind, NodeKind::Outfall { gated: true, .. }))
    };
    let invert = |i: usize| net.nodes.get(i).map_or(0.0, |nd| nd.invert_m);
    Some(Pipe {
        from: link.from,
        to: link.to,
        z1: invert(link.from) + link.from_offset_m,
        z2: invert(link.to) + link.to_offset_m,
        len: c.length_m.max(0.1),
        n: c.roughness,
        barrels: c.barrels.max(1) as f64,
        xsect: c.xsect.clone(),
        entry: c.losses.entry,
        exit: c.losses.exit,
        avg: c.losses.avg,
        flap: c.losses.flap_gate,
        gated_to: gated(link.to),
        gated_from: gated(link.from),
        max_flow: c.max_flow,
        full: c.xsect.geom(c.xsect.full_depth()),
        full_r43: c
            .xsect
            .geom(c.xsect.full_depth())
            .radius
            .max(1e-6)
            .powf(4.0 / 3.0),
    })
}

/// Flow and dq/dh of an algebraic link `f(h1, h2)` (numerical derivative).
fn algebraic(f: impl Fn(f64, f64) -> f64, h1: f64, h2: f64) -> (f64, f64) {
    let q = f(h1, h2);
    let e = 1e-3;
    let d = ((f(h1 + e, h2) - q) / e).abs();
    (q, d)
}

/// Slope of conduit `l` (positive downhill), m/m.
fn conduit_slope(net: &Network, l: usize) -> f64 {
    let link = &net.links[l];
    let LinkKind::Conduit(c) = &link.kind else {
        return 0.0;
    };
    let z1 = net.nodes[link.from].invert_m + link.from_offset_m;
    let z2 = net.nodes[link.to].invert_m + link.to_offset_m;
    ((z1 - z2) / c.length_m.max(0.1))
        .abs()
        .max(net.options.min_slope.max(1e-5))
}

/// Linear interpolation in ascending points, held at the ends.
pub fn interp(p: &[(f64, f64)], x: f64) -> f64 {
    match p {
        [] => 0.0,
        [only] => only.1,
        _ => {
            if x <= p[0].0 {
                return p[0].1;
            }
            let k = p.partition_point(|q| q.0 <= x);
            if k >= p.len() {
                return p[p.len() - 1].1;
            }
            let (a, b) = (p[k - 1], p[k]);
            let w = if b.0 > a.0 {
                (x - a.0) / (b.0 - a.0)
            } else {
                1.0
            };
            a.1 + w * (b.1 - a.1)
        }
    }
}

/// Step interpolation (pump types 1 and 2): the value of the last point at or below x.
fn step_interp(p: &[(f64, f64)], x: f64) -> f64 {
    let k = p.partition_point(|q| q.0 <= x);
    if k == 0 {
        p.first().map_or(0.0, |q| q.1)
    } else {
        p[k - 1].1
    }
}

/// The storage table of node `i`.
fn node_table(net: &Network, i: usize, adj: &[(usize, bool)], min_area: f64) -> Option<Table> {
    let node = &net.nodes[i];
    if matches!(node.kind, NodeKind::Outfall { .. }) {
        return None;
    }
    // The rim: the node's full depth, or (none given) the highest crown joined to it.
    let mut top = node.max_depth_m;
    if top <= 0.0 {
        for &(l, from) in adj {
            let link = &net.links[l];
            let off = if from {
                link.from_offset_m
            } else {
                link.to_offset_m
            };
            if let LinkKind::Conduit(c) = &link.kind {
                top = top.max(off + c.xsect.full_depth());
            }
        }
    }
    let top = (top + node.sur_depth_m).max(0.01);
    let dy = top / (TABLE_N - 1) as f64;
    let own = |y: f64| -> f64 {
        match &node.kind {
            NodeKind::Storage { shape } => match shape {
                StorageShape::Functional { a, b, c } => c + a * y.max(0.0).powf(*b),
                StorageShape::Tabular(k) => {
                    net.curves.get(*k).map_or(0.0, |cv| interp(&cv.points, y))
                }
            },
            _ => 0.0,
        }
    };
    let is_storage = matches!(node.kind, NodeKind::Storage { .. });
    let area: Vec<f64> = (0..TABLE_N)
        .map(|k| {
            let y = k as f64 * dy;
            let mut a = own(y);
            if !is_storage {
                for &(l, from) in adj {
                    let link = &net.links[l];
                    let LinkKind::Conduit(c) = &link.kind else {
                        continue;
                    };
                    let off = if from {
                        link.from_offset_m
                    } else {
                        link.to_offset_m
                    };
                    let w = c.xsect.surface_width(y - off);
                    a += 0.5 * w * c.length_m * c.barrels.max(1) as f64;
                }
            }
            a.max(min_area)
        })
        .collect();
    let mut av = vec![[0.0; 2]; TABLE_N];
    for k in 0..TABLE_N {
        av[k][0] = area[k];
        if k > 0 {
            av[k][1] = av[k - 1][1] + 0.5 * (area[k - 1] + area[k]) * dy;
        }
    }
    let pond = if net.options.allow_ponding && node.ponded_area_m2 > 0.0 {
        node.ponded_area_m2
    } else {
        0.0
    };
    Some(Table::new(dy, av, pond))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hydro::drainage::network::{Conduit, Link, MinorLosses, Node, Options};

    fn node(id: &str, kind: NodeKind, invert: f64, max_depth: f64, init: f64) -> Node {
        Node {
            id: id.into(),
            kind,
            invert_m: invert,
            max_depth_m: max_depth,
            init_depth_m: init,
            sur_depth_m: 0.0,
            ponded_area_m2: 0.0,
            xy: None,
            line: 0,
        }
    }

    fn pipe(id: &str, from: usize, to: usize, d: f64, length: f64) -> Link {
        Link {
            id: id.into(),
            from,
            to,
            from_offset_m: 0.0,
            to_offset_m: 0.0,
            kind: LinkKind::Conduit(Conduit {
                length_m: length,
                roughness: 0.013,
                init_flow: 0.0,
                max_flow: 0.0,
                xsect: XSection::Circular { d },
                barrels: 1,
                losses: MinorLosses::default(),
            }),
            line: 0,
        }
    }

    fn free_outfall() -> NodeKind {
        NodeKind::Outfall {
            boundary: OutfallBoundary::Free,
            gated: false,
        }
    }

    /// Pump "P" from node 0 to node 1, no on/off depths.
    fn pump_link(curve: Option<usize>, init_on: bool) -> Link {
        Link {
            id: "P".into(),
            from: 0,
            to: 1,
            from_offset_m: 0.0,
            to_offset_m: 0.0,
            kind: LinkKind::Pump(crate::hydro::drainage::network::Pump {
                curve,
                init_on,
                startup_depth_m: 0.0,
                shutoff_depth_m: 0.0,
            }),
            line: 0,
        }
    }

    fn options() -> Options {
        Options {
            routing_step_s: 5.0,
            ..Default::default()
        }
    }

    fn tank(id: &str, invert: f64, init: f64) -> Node {
        node(
            id,
            NodeKind::Storage {
                shape: StorageShape::Functional {
                    a: 0.0,
                    b: 0.0,
                    c: 100.0,
                },
            },
            invert,
            5.0,
            init,
        )
    }

    #[test]
    fn two_tanks_joined_by_a_pipe_level_out_and_keep_every_cubic_metre() {
        let net = Network {
            options: options(),
            nodes: vec![tank("A", 0.0, 2.0), tank("B", 0.0, 0.0)],
            links: vec![pipe("P", 0, 1, 0.5, 50.0)],
            ..Default::default()
        };
        let mut r = Router::new(&net);
        let v0: f64 = r.volume.iter().sum();
        for _ in 0..2000 {
            r.step(5.0, &[0.0, 0.0]);
        }
        let v1: f64 = r.volume.iter().sum();
        assert!((v1 - v0).abs() <= 1e-9 * v0, "{v0} → {v1}");
        assert!(
            (r.depth[0] - 1.0).abs() < 0.02 && (r.depth[1] - 1.0).abs() < 0.02,
            "levels {:?}",
            r.depth
        );
        assert!(r.totals.error().abs() < 1e-12);
    }

    #[test]
    fn a_steady_inflow_leaves_by_the_outfall_at_the_same_rate() {
        // 0.1 m³/s into the head of two 100 m pipes at 0.5 % to a free outfall.
        let free = free_outfall();
        let net = Network {
            options: options(),
            nodes: vec![
                node("J1", NodeKind::Junction, 1.0, 2.0, 0.0),
                node("J2", NodeKind::Junction, 0.5, 2.0, 0.0),
                node("O", free, 0.0, 0.0, 0.0),
            ],
            links: vec![pipe("C1", 0, 1, 0.6, 100.0), pipe("C2", 1, 2, 0.6, 100.0)],
            ..Default::default()
        };
        let mut r = Router::new(&net);
        for _ in 0..1440 {
            r.step(5.0, &[0.1, 0.0, 0.0]);
        }
        assert!((r.flow[1] - 0.1).abs() < 1e-3, "outflow {}", r.flow[1]);
        // Normal depth of 0.1 m³/s in a 0.6 m pipe at 0.5 %, n = 0.013.
        let yn = XSection::Circular { d: 0.6 }.normal_depth(0.1, 0.005, 0.013);
        let yc = XSection::Circular { d: 0.6 }.critical_depth(0.1);
        assert!(
            r.depth[0] > 0.8 * yn.min(yc) && r.depth[0] < 1.3 * yn.max(yc),
            "depth {} (normal {yn}, critical {yc})",
            r.depth[0]
        );
        let c = r.totals;
        assert!(c.error().abs() < 1e-12, "{c:?}");
        assert!((c.inflow - 0.1 * 7200.0).abs() < 1e-9);
    }

    #[test]
    fn more_than_the_pipe_carries_floods_the_manhole_and_the_books_still_close() {
        let free = free_outfall();
        let net = Network {
            options: options(),
            nodes: vec![
                node("J1", NodeKind::Junction, 1.0, 1.5, 0.0),
                node("O", free, 0.0, 0.0, 0.0),
            ],
            links: vec![pipe("C1", 0, 1, 0.3, 100.0)],
            ..Default::default()
        };
        let mut r = Router::new(&net);
        for _ in 0..720 {
            r.step(5.0, &[0.5, 0.0]);
        }
        let c = r.totals;
        assert!(c.flooding_lost > 100.0, "{c:?}");
        assert!(
            (r.depth[0] - 1.5).abs() < 1e-9,
            "at the rim: {}",
            r.depth[0]
        );
        assert!(c.error().abs() < 1e-12, "{c:?}");
        assert!(
            r.flow[0] > 0.1 && r.flow[0] < 0.5,
            "pressurised pipe flow {}",
            r.flow[0]
        );
    }
    #[test]
    fn control_rules_cycle_a_pump_between_their_levels() {
        use crate::hydro::drainage::network::{Condition, Curve, Rule};
        let free = free_outfall();
        let rule = |id: &str, rel: Relation, level: f64, on: f64| Rule {
            id: id.into(),
            conditions: vec![(
                true,
                Condition {
                    subject: Subject::NodeDepth(0),
                    relation: rel,
                    value: Operand::Value(level),
                },
            )],
            then: vec![Action {
                link: 0,
                setting: on,
            }],
            otherwise: vec![],
            priority: 1.0,
            line: 0,
        };
        let net = Network {
            options: options(),
            nodes: vec![tank("WW", 0.0, 0.0), node("O", free, 3.0, 0.0, 0.0)],
            links: vec![pump_link(Some(0), false)],
            curves: vec![Curve {
                id: "C".into(),
                kind: CurveKind::Pump2,
                points: vec![(0.0, 0.5)],
            }],
            controls: vec![
                rule("ON", Relation::Ge, 2.0, 1.0),
                rule("OFF", Relation::Lt, 0.5, 0.0),
            ],
            ..Default::default()
        };
        let mut r = Router::new(&net);
        let (mut lo, mut hi, mut switches, mut was_on) = (f64::MAX, 0.0f64, 0, false);
        for k in 0..4000 {
            r.step(5.0, &[0.2, 0.0]);
            let on = r.flow[0] > 0.0;
            if on != was_on {
                switches += 1;
                was_on = on;
            }
            if k > 400 {
                lo = lo.min(r.depth[0]);
                hi = hi.max(r.depth[0]);
            }
        }
        // 100 m² wet well, 0.2 m³/s in, 0.5 m³/s out when on: it cycles 0.5 ↔ 2 m.
        assert!(switches > 10, "{switches} switches");
        assert!(lo > 0.4 && lo < 0.55 && hi > 1.95 && hi < 2.1, "{lo}..{hi}");
        assert!(r.totals.error().abs() < 1e-12);
    }
    #[test]
    fn an_ideal_pump_passes_what_its_wet_well_receives() {
        let free = free_outfall();
        let net = Network {
            options: options(),
            nodes: vec![tank("WW", 0.0, 0.0), node("O", free, 3.0, 0.0, 0.0)],
            links: vec![pump_link(None, true)],
            ..Default::default()
        };
        let mut r = Router::new(&net);
        for _ in 0..100 {
            r.step(5.0, &[0.2, 0.0]);
        }
        assert!((r.flow[0] - 0.2).abs() < 1e-12, "{}", r.flow[0]);
        assert!(
            r.depth[0] < 1e-9,
            "the wet well stays empty: {}",
            r.depth[0]
        );
    }
}
