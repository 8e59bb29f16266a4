//! Dual drainage: a pipe network coupled to the 2D surface, cell by cell.
//!
//! Every coupled junction or storage node (a manhole, a street inlet, a wet well's
//! intake) sits under one surface cell and exchanges water with it through an opening
//! of area `A` and perimeter `P` ([`Exchange`] gives the laws: free weir, submerged
//! weir, orifice, and the lid lifting when the node's head passes the water above it).
//! The exchange is implicit in the node's head (inside the router's Newton update) and
//! explicit in the surface: the surface level is held over a network step and the inflow
//! is never more than the water on the cell. A coupled outfall discharges into its cell
//! (a river or a low street) and takes that cell's water level as its stage; its flap
//! gate, if it has one, stops the river from backing into the pipes.
//!
//! Defaults (stated, scenario parameters): weir coefficient 0.25 and orifice
//! coefficient 0.6 — laboratory tests of manholes and gully inlets give 0.1–0.4 for the
//! weir and 0.35–2.0 for the orifice (Rubinato et al. 2017, J. Hydrol. 552); an opening
//! of 0.28 m² with a 1.88 m crest (a 0.6 m cover or a 0.5 × 0.5 m gully grate); a
//! storage node (a wet well's or a tank's intake) 4 m² with an 8 m crest.
//!
//! Water is exchanged as volumes over each network step, so the surface and the
//! network each close their own books and together one balance ([`DualDrainage::step`]
//! returns the volume each cell gained or lost).

use serde::{Deserialize, Serialize};

pub use crate::world::sewer::CouplingParams;

use super::dynwave::{Exchange, Router, RouterState, interp};
use super::netrun::NetSeries;
use super::network::{LinkKind, Network, NodeKind};

/// A node coupled to the surface cell above it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Inlet {
    /// Node (index into the network).
    pub node: usize,
    /// Surface cell (row-major index).
    pub cell: usize,
    /// Opening area, m².
    pub area_m2: f64,
    /// Opening perimeter, m.
    pub perimeter_m: f64,
}

/// An outfall discharging into a surface cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoupledOutfall {
    /// Outfall node (index).
    pub node: usize,
    /// Surface cell (row-major index).
    pub cell: usize,
}

/// The evolving state of a [`DualDrainage`] (what a snapshot saves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DualState {
    router: RouterState,
    #[serde(default)]
    peaks: Option<NetPeaks>,
}

/// Per-node and per-link extremes over the run (what the report and the maps show).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetPeaks {
    /// Largest depth at each node, m, and when (s).
    pub max_depth: Vec<f64>,
    /// When the largest depth was reached, s.
    pub max_depth_t: Vec<f64>,
    /// Time each node spent surcharged (water above the crown of its highest pipe), s.
    pub surcharge_s: Vec<f64>,
    /// Volume each node put onto the street (lid lifted, flooding), m³.
    pub returned_m3: Vec<f64>,
    /// Volume each node took in from the street, m³.
    pub captured_m3: Vec<f64>,
    /// Volume each coupled outfall discharged into its cell (the river), m³.
    #[serde(default)]
    pub discharged_m3: Vec<f64>,
    /// Largest |flow| in each link, m³/s.
    pub max_flow: Vec<f64>,
    /// When the largest flow was reached, s.
    pub max_flow_t: Vec<f64>,
}

impl NetPeaks {
    fn new(nodes: usize, links: usize) -> Self {
        Self {
            max_depth: vec![0.0; nodes],
            max_depth_t: vec![0.0; nodes],
            surcharge_s: vec![0.0; nodes],
            returned_m3: vec![0.0; nodes],
            captured_m3: vec![0.0; nodes],
            discharged_m3: vec![0.0; nodes],
            max_flow: vec![0.0; links],
            max_flow_t: vec![0.0; links],
        }
    }
}

/// The crown of the highest conduit at each node, m above its invert (0: none, for
/// outfalls and nodes with pumps or weirs only).
pub fn node_crowns(net: &Network) -> Vec<f64> {
    let mut crown = vec![0.0f64; net.nodes.len()];
    for l in &net.links {
        if let LinkKind::Conduit(c) = &l.kind {
            let d = c.xsect.full_depth();
            crown[l.from] = crown[l.from].max(l.from_offset_m + d);
            crown[l.to] = crown[l.to].max(l.to_offset_m + d);
        }
    }
    crown
}

/// Full-bore Manning capacity of each conduit at its invert slope (at least 0.01 %),
/// m³/s; 0 for other links.
pub fn link_capacities(net: &Network) -> Vec<f64> {
    super::dynwave::full_flows(net)
}

/// A network coupled to a surface.
#[derive(Debug, Clone)]
pub struct DualDrainage {
    /// The network's router.
    pub router: Router,
    /// Coupled nodes (slots `0..inlets.len()`).
    pub inlets: Vec<Inlet>,
    /// Coupled outfalls (the slots after the inlets).
    pub outfalls: Vec<CoupledOutfall>,
    /// Coefficients.
    pub params: CouplingParams,
    ex: Vec<Exchange>,
    lateral: Vec<f64>,
    /// Volume each slot put onto its cell over the last call, m³ (negative: took).
    delta: Vec<f64>,
    /// Slots per cell sharing its water (same order as the slots).
    share: Vec<f64>,
    /// Extremes so far.
    pub peaks: NetPeaks,
    crown: Vec<f64>,
    /// Series sampled every `sample_every` s (not part of the saved state).
    pub series: NetSeries,
    /// Sampling interval of [`DualDrainage::series`], s (0: no series).
    pub sample_every: f64,
    returned_rate: Vec<f64>,
    /// Wall-clock seconds spent in [`DualDrainage::step`] so far (a measurement, not
    /// part of the state).
    pub wall_s: f64,
}

/// Couplings with at least this many slots fill their exchanges in parallel.
const PARALLEL_SLOTS: usize = 512;

impl DualDrainage {
    /// Couple `net`'s nodes to cells. `cell_of(x, y)` maps a node's position to its
    /// surface cell (None: off the grid or on a building); a junction or storage node
    /// with a cell is coupled, an outfall with a cell discharges there, every other node
    /// routes as in the network alone. `opening(node)` may override the default opening.
    pub fn new(
        net: &Network,
        params: CouplingParams,
        cell_of: impl Fn(f64, f64) -> Option<usize>,
        opening: impl Fn(usize) -> Option<(f64, f64)>,
    ) -> Self {
        let mut inlets = Vec::new();
        let mut outfalls = Vec::new();
        for (i, node) in net.nodes.iter().enumerate() {
            let Some((x, y)) = node.xy else { continue };
            let Some(cell) = cell_of(x, y) else { continue };
            match node.kind {
                NodeKind::Outfall { .. } => outfalls.push(CoupledOutfall { node: i, cell }),
                _ => {
                    let default = if matches!(node.kind, NodeKind::Storage { .. }) {
                        (params.storage_area_m2, params.storage_perimeter_m)
                    } else {
                        (params.inlet_area_m2, params.inlet_perimeter_m)
                    };
                    let (area_m2, perimeter_m) = opening(i).unwrap_or(default);
                    inlets.push(Inlet {
                        node: i,
                        cell,
                        area_m2,
                        perimeter_m,
                    });
                }
            }
        }
        let mut router = Router::new(net);
        let slots: Vec<usize> = inlets
            .iter()
            .map(|c| c.node)
            .chain(outfalls.iter().map(|o| o.node))
            .collect();
        router.couple(&slots);
        let cells: Vec<usize> = inlets
            .iter()
            .map(|c| c.cell)
            .chain(outfalls.iter().map(|o| o.cell))
            .collect();
        let mut count = std::collections::BTreeMap::new();
        for &c in &cells {
            *count.entry(c).or_insert(0usize) += 1;
        }
        let share = cells.iter().map(|c| 1.0 / count[c] as f64).collect();
        let k = slots.len();
        Self {
            router,
            inlets,
            outfalls,
            params,
            ex: vec![Exchange::default(); k],
            lateral: vec![0.0; net.nodes.len()],
            delta: vec![0.0; k],
            share,
            peaks: NetPeaks::new(net.nodes.len(), net.links.len()),
            crown: node_crowns(net),
            series: NetSeries::default(),
            sample_every: 0.0,
            returned_rate: vec![0.0; net.nodes.len()],
            wall_s: 0.0,
        }
    }

    /// Fold the state after a router step of `sub` s into the peaks and the series.
    fn track(&mut self, sub: f64) {
        let r = &self.router;
        let t = r.t;
        let pk = &mut self.peaks;
        for i in 0..r.depth.len() {
            let d = r.depth[i];
            if d > pk.max_depth[i] {
                pk.max_depth[i] = d;
                pk.max_depth_t[i] = t;
            }
            if self.crown[i] > 0.0 && d > self.crown[i] + 1e-3 {
                pk.surcharge_s[i] += sub;
            }
        }
        for (l, &q) in r.flow.iter().enumerate() {
            if q.abs() > pk.max_flow[l] {
                pk.max_flow[l] = q.abs();
                pk.max_flow_t[l] = t;
            }
        }
        self.returned_rate.iter_mut().for_each(|x| *x = 0.0);
        for (k, inlet) in self.inlets.iter().enumerate() {
            let q = self.ex[k].q;
            if q >= 0.0 {
                pk.captured_m3[inlet.node] += q * sub;
            } else {
                pk.returned_m3[inlet.node] -= q * sub;
                self.returned_rate[inlet.node] -= q;
            }
        }
        let ni = self.inlets.len();
        for (k, o) in self.outfalls.iter().enumerate() {
            let q = self.ex[ni + k].q;
            if q < 0.0 {
                pk.discharged_m3[o.node] -= q * sub;
            } else {
                pk.captured_m3[o.node] += q * sub;
            }
        }
        if self.sample_every > 0.0 {
            let next = self.series.t.last().map_or(0.0, |&t0| t0) + self.sample_every;
            if t >= next - 1e-6 {
                let s = &mut self.series;
                s.t.push((t / self.sample_every).round() * self.sample_every);
                s.depth.push(r.depth.clone());
                s.flooding.push(self.returned_rate.clone());
                s.flow.push(r.flow.clone());
            }
        }
    }

    /// Whether node `i` has been surcharged (above the crown of its highest pipe).
    pub fn was_surcharged(&self, i: usize) -> bool {
        self.peaks.surcharge_s.get(i).is_some_and(|&s| s > 0.0)
    }

    /// The crown height of node `i`'s highest pipe above its invert, m (0: none).
    pub fn crown(&self, i: usize) -> f64 {
        self.crown.get(i).copied().unwrap_or(0.0)
    }

    /// The network.
    pub fn network(&self) -> &Network {
        self.router.network()
    }

    /// Pump up to `volume` m³ out of the coupled nodes under `cells` (row-major) — the
    /// manholes and wet wells a mobile pump's hose reaches — taking from each in
    /// proportion to the water it holds; returns the volume pumped.
    pub fn take_water(&mut self, cells: &[usize], volume: f64) -> f64 {
        if !(volume > 0.0) {
            return 0.0;
        }
        let mut under: Vec<usize> = self
            .inlets
            .iter()
            .filter(|c| cells.contains(&c.cell))
            .map(|c| c.node)
            .collect();
        under.sort_unstable();
        under.dedup();
        let held: f64 = under.iter().map(|&i| self.router.volume[i].max(0.0)).sum();
        if held <= 0.0 {
            return 0.0;
        }
        let f = (volume / held).min(1.0);
        under
            .into_iter()
            .map(|i| {
                let want = self.router.volume[i].max(0.0) * f;
                self.router.take_water(i, want)
            })
            .sum()
    }

    /// The surface cell of each slot (inlets, then outfalls).
    pub fn slot_cells(&self) -> impl Iterator<Item = usize> + '_ {
        self.inlets
            .iter()
            .map(|c| c.cell)
            .chain(self.outfalls.iter().map(|o| o.cell))
    }

    /// Volume each slot put onto its cell over the last [`DualDrainage::step`], m³
    /// (negative: the network took it), in slot order.
    pub fn deltas(&self) -> &[f64] {
        &self.delta
    }

    /// Advance the network by `dt` (in steps no longer than its own stable step, at most
    /// `max_dt`) against the surface as it is: `depth(cell)` and `bed(cell)` (m),
    /// cells of `cell_area` m². Afterwards [`DualDrainage::deltas`] holds what each cell
    /// gained; the caller puts it onto the surface.
    pub fn step(
        &mut self,
        dt: f64,
        max_dt: f64,
        cell_area: f64,
        depth: impl Fn(usize) -> f64 + Sync,
        bed: impl Fn(usize) -> f64 + Sync,
    ) {
        let started = std::time::Instant::now();
        let ni = self.inlets.len();
        let cells: Vec<usize> = self.slot_cells().collect();
        // Water on each slot's cell at the start (shared among the slots of a cell).
        let mut avail: Vec<f64> = (0..cells.len())
            .map(|k| depth(cells[k]).max(0.0) * cell_area * self.share[k])
            .collect();
        self.delta.iter_mut().for_each(|d| *d = 0.0);
        let p = self.params;
        let mut t = 0.0;
        while dt - t > 1e-9 * dt.max(1.0) {
            let h = self.router.stable_dt(max_dt.min(dt));
            let n = ((dt - t) / h * (1.0 - 1e-12)).ceil().max(1.0);
            let sub = (dt - t) / n;
            // Each slot's exchange against its cell's level now, with what this call
            // already moved (independent: a large network fills them in parallel).
            let fill = |(k, e): (usize, &mut Exchange)| {
                let c = cells[k];
                let z = bed(c);
                let d = (depth(c) + self.delta[k] / (cell_area * self.share[k])).max(0.0);
                let (area, perimeter) = if k < ni {
                    (self.inlets[k].area_m2, self.inlets[k].perimeter_m)
                } else {
                    (0.0, 0.0)
                };
                *e = Exchange {
                    level: z + d,
                    ground: z,
                    avail: avail[k],
                    area,
                    perimeter,
                    cw: p.weir_coefficient,
                    co: p.orifice_coefficient,
                    surface_area: cell_area * self.share[k],
                    q: 0.0,
                };
            };
            let mut ex = std::mem::take(&mut self.ex);
            if ex.len() >= PARALLEL_SLOTS {
                use rayon::prelude::*;
                ex.par_iter_mut()
                    .enumerate()
                    .with_min_len(256)
                    .for_each(fill);
            } else {
                ex.iter_mut().enumerate().for_each(fill);
            }
            self.ex = ex;
            for o in &self.outfalls {
                let c = o.cell;
                let d = depth(c);
                let stage = (d > 1e-3).then(|| bed(c) + d);
                self.router.set_outfall_stage(o.node, stage);
            }
            self.external_inflows(self.router.t + sub);
            self.router.step_with(sub, &self.lateral, &mut self.ex);
            for ((e, d), a) in self.ex.iter().zip(&mut self.delta).zip(&mut avail) {
                let v = -e.q * sub;
                *d += v;
                *a = (*a + v).max(0.0);
            }
            self.track(sub);
            t += sub;
        }
        self.wall_s += started.elapsed().as_secs_f64();
    }

    /// The `.inp` file's external inflows at time `t`, into `self.lateral`.
    fn external_inflows(&mut self, t: f64) {
        self.lateral.iter_mut().for_each(|x| *x = 0.0);
        let net = self.router.network();
        for inf in &net.inflows {
            let v = inf.baseline
                + inf
                    .series
                    .and_then(|k| net.timeseries.get(k))
                    .map_or(0.0, |ts| inf.scale * interp(&ts.points, t));
            if let Some(x) = self.lateral.get_mut(inf.node) {
                *x += v;
            }
        }
    }

    /// The evolving state.
    pub fn state(&self) -> DualState {
        DualState {
            router: self.router.state(),
            peaks: Some(self.peaks.clone()),
        }
    }

    /// Put a saved state back.
    pub fn restore(&mut self, st: &DualState) -> Result<(), String> {
        self.router.restore(&st.router)?;
        let net = self.router.network();
        let fresh = NetPeaks::new(net.nodes.len(), net.links.len());
        match &st.peaks {
            Some(p)
                if p.max_depth.len() == fresh.max_depth.len()
                    && p.max_flow.len() == fresh.max_flow.len() =>
            {
                self.peaks = p.clone();
                if self.peaks.discharged_m3.len() != fresh.discharged_m3.len() {
                    self.peaks.discharged_m3 = fresh.discharged_m3;
                }
            }
            Some(_) => return Err("the saved network extremes do not match the network".into()),
            None => self.peaks = fresh,
        }
        // Samples after the restored time belong to a future that no longer happens.
        let t = self.router.t;
        let keep = self.series.t.iter().take_while(|&&x| x <= t + 1e-6).count();
        let s = &mut self.series;
        s.t.truncate(keep);
        s.depth.truncate(keep);
        s.flooding.truncate(keep);
        s.flow.truncate(keep);
        Ok(())
    }
}
