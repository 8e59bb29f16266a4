//! Boundary conditions on the grid edges, and point inflows.
//!
//! Every edge is closed unless a boundary opens a segment of it. A segment is an
//! [`Edge`] and a range of the map coordinate along it (x for the north and south
//! edges, y for east and west); it covers the edge cells whose centres lie in the range.
//!
//! - [`Boundary::FreeOutflow`]: normal-depth outflow `q = h^(5/3)·√S/n` (m²/s) out of
//!   each edge cell deeper than the depth threshold (`n` the cell's Manning n unless
//!   given). Never flows in.
//! - [`Boundary::Stage`]: a water level (m, map datum) outside the edge, fixed or
//!   varying; the face flux follows the local inertial equation against that level, so
//!   water flows out or in.
//! - [`Boundary::UnitInflow`]: a unit discharge (m²/s) into the domain across each face
//!   of the segment (the plane-wave case's west boundary).
//! - [`Boundary::PointInflow`]: a discharge (m³/s) added to one cell.
//!
//! Series are averaged exactly over each sub-step (inflows) or taken at mid-step
//! (stages). The outflow limiter applies to boundary faces too, so a free outflow never
//! takes more than a cell holds; the balance counts the limited fluxes.

use super::series::Series;
use crate::world::GridSpec;

/// A grid edge. North is row 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Edge {
    /// Row 0 (largest y).
    North,
    /// Last row (smallest y).
    South,
    /// Last column (largest x).
    East,
    /// Column 0 (smallest x).
    West,
}

/// Part of an edge: cells whose centre coordinate along the edge is in `[from, to]`
/// (x for North/South, y for East/West), metres.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EdgeSegment {
    /// Which edge.
    pub edge: Edge,
    /// Start of the range along the edge, m.
    pub from: f64,
    /// End of the range, m.
    pub to: f64,
}

impl EdgeSegment {
    /// The whole edge.
    pub fn whole(edge: Edge) -> Self {
        Self {
            edge,
            from: f64::NEG_INFINITY,
            to: f64::INFINITY,
        }
    }

    /// The edge cells `(row, col)` it covers, in order along the edge.
    pub fn cells(&self, spec: &GridSpec) -> Vec<(usize, usize)> {
        let (lo, hi) = (self.from.min(self.to), self.from.max(self.to));
        let mut out = Vec::new();
        match self.edge {
            Edge::North | Edge::South => {
                let r = if self.edge == Edge::North {
                    0
                } else {
                    spec.nrows - 1
                };
                for c in 0..spec.ncols {
                    let (x, _) = spec.cell_centre(r, c);
                    if x >= lo && x <= hi {
                        out.push((r, c));
                    }
                }
            }
            Edge::East | Edge::West => {
                let c = if self.edge == Edge::West {
                    0
                } else {
                    spec.ncols - 1
                };
                for r in 0..spec.nrows {
                    let (_, y) = spec.cell_centre(r, c);
                    if y >= lo && y <= hi {
                        out.push((r, c));
                    }
                }
            }
        }
        out
    }
}

/// A boundary condition.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Boundary {
    /// Free (normal-depth) outflow with the given bed slope.
    FreeOutflow {
        /// Where.
        segment: EdgeSegment,
        /// Bed slope S (m/m, > 0).
        slope: f64,
        /// Manning n for the outflow; `None` uses each edge cell's n.
        manning: Option<f64>,
    },
    /// Water level outside the edge (m, map datum), fixed ([`Series::constant`]) or
    /// varying.
    Stage {
        /// Where.
        segment: EdgeSegment,
        /// Level, m.
        level_m: Series,
    },
    /// Unit discharge into the domain across each face of the segment.
    UnitInflow {
        /// Where.
        segment: EdgeSegment,
        /// Unit discharge, m²/s (≥ 0).
        q_m2_s: Series,
    },
    /// Discharge into one cell.
    PointInflow {
        /// Map x, m.
        x: f64,
        /// Map y, m.
        y: f64,
        /// Discharge, m³/s (negative values count as 0; use the sink API to remove).
        q_m3_s: Series,
    },
}

impl Boundary {
    /// A short name for messages and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Boundary::FreeOutflow { .. } => "free outflow",
            Boundary::Stage { .. } => "stage",
            Boundary::UnitInflow { .. } => "unit inflow",
            Boundary::PointInflow { .. } => "point inflow",
        }
    }
}

/// Cumulative flow through one boundary.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoundaryFlow {
    /// Volume in, m³.
    pub inflow_m3: f64,
    /// Volume out, m³.
    pub outflow_m3: f64,
    /// Net outward discharge in the last sub-step, m³/s.
    pub last_q_out_m3_s: f64,
}

/// One edge face of a boundary, resolved on the grid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BFace {
    /// Cell index inside the domain.
    pub cell: usize,
    pub row: usize,
    pub col: usize,
    /// Index into qx (if `x`) or qy.
    pub face: usize,
    pub x: bool,
    /// +1 if positive discharge on this face leaves the domain.
    pub out_sign: f64,
}

/// Edge faces of a segment (blocked cells left out).
pub(crate) fn faces(spec: &GridSpec, seg: &EdgeSegment, blocked: &[bool]) -> Vec<BFace> {
    let nc = spec.ncols;
    let nr = spec.nrows;
    seg.cells(spec)
        .into_iter()
        .filter(|&(r, c)| !blocked[r * nc + c])
        .map(|(r, c)| {
            let cell = r * nc + c;
            match seg.edge {
                Edge::West => BFace {
                    cell,
                    row: r,
                    col: c,
                    face: r * (nc + 1),
                    x: true,
                    out_sign: -1.0,
                },
                Edge::East => BFace {
                    cell,
                    row: r,
                    col: c,
                    face: r * (nc + 1) + nc,
                    x: true,
                    out_sign: 1.0,
                },
                Edge::North => BFace {
                    cell,
                    row: r,
                    col: c,
                    face: c,
                    x: false,
                    out_sign: -1.0,
                },
                Edge::South => BFace {
                    cell,
                    row: r,
                    col: c,
                    face: nr * nc + c,
                    x: false,
                    out_sign: 1.0,
                },
            }
        })
        .collect()
}
