//! Terrain edits over time: a levee breach.
//!
//! A breach lowers the bed of the cells within a width of a point (or of a short line)
//! from their height at the breach start to a target height, linearly over a duration.
//! The inject system calls [`Breach::apply`] every tick; it writes the bed through
//! [`crate::hydro::Model::set_bed_elevation`], which keeps the water depth of each cell
//! (mass is conserved; the water surface drops with the bed). The flow kernels derive
//! all face data from the cell beds each step, so no cached face data goes stale.
//! A breach never raises a cell: cells already below the target keep their height.

use super::model::Model;
use super::real::Real;
use crate::world::GridSpec;

/// A levee breach in progress (or yet to start).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Breach {
    /// Cells `(row, col)` of the breach.
    pub cells: Vec<(usize, usize)>,
    /// Target bed elevation, m.
    pub target_z: f64,
    /// Start time, s.
    pub start_s: f64,
    /// Duration of the lowering, s (0 = instantaneous).
    pub duration_s: f64,
    /// Bed of each cell when the breach started (captured on the first `apply` at or
    /// after `start_s`).
    start_z: Option<Vec<f64>>,
}

impl Breach {
    /// A breach of the cells whose centres lie within `width/2` of the segment from
    /// `(x0, y0)` to `(x1, y1)` (pass the same point twice for a breach around a point).
    #[allow(clippy::too_many_arguments)]
    pub fn along_line(
        spec: &GridSpec,
        (x0, y0): (f64, f64),
        (x1, y1): (f64, f64),
        width_m: f64,
        target_z: f64,
        start_s: f64,
        duration_s: f64,
    ) -> Self {
        let half = 0.5 * width_m.max(0.0);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len2 = dx * dx + dy * dy;
        let mut cells = Vec::new();
        for r in 0..spec.nrows {
            for c in 0..spec.ncols {
                let (x, y) = spec.cell_centre(r, c);
                let a = if len2 > 0.0 {
                    (((x - x0) * dx + (y - y0) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (x0 + a * dx, y0 + a * dy);
                if (x - px).hypot(y - py) <= half + 1e-9 {
                    cells.push((r, c));
                }
            }
        }
        if cells.is_empty()
            && let Some(rc) = spec.cell_at(x0, y0)
        {
            cells.push(rc);
        }
        Self {
            cells,
            target_z,
            start_s,
            duration_s,
            start_z: None,
        }
    }

    /// A breach around a point.
    pub fn around_point(
        spec: &GridSpec,
        x: f64,
        y: f64,
        width_m: f64,
        target_z: f64,
        start_s: f64,
        duration_s: f64,
    ) -> Self {
        Self::along_line(spec, (x, y), (x, y), width_m, target_z, start_s, duration_s)
    }

    /// Fraction of the lowering done at time `t` (0 before the start, 1 at the end).
    pub fn progress(&self, t: f64) -> f64 {
        if t < self.start_s {
            0.0
        } else if self.duration_s <= 0.0 {
            1.0
        } else {
            ((t - self.start_s) / self.duration_s).clamp(0.0, 1.0)
        }
    }

    /// Set the breach cells' beds for time `t`. Returns true if anything changed.
    pub fn apply<R: Real>(&mut self, t: f64, model: &mut Model<R>) -> bool {
        if t < self.start_s {
            return false;
        }
        let z0 = self
            .start_z
            .get_or_insert_with(|| {
                self.cells
                    .iter()
                    .map(|&(r, c)| model.bed_elevation(r, c))
                    .collect()
            })
            .clone();
        let a = self.progress(t);
        let mut changed = false;
        for (k, &(r, c)) in self.cells.iter().enumerate() {
            let from = z0[k];
            if from <= self.target_z {
                continue;
            }
            let z = from + a * (self.target_z - from);
            if z != model.bed_elevation(r, c) {
                model.set_bed_elevation(r, c, z);
                changed = true;
            }
        }
        changed
    }
}
