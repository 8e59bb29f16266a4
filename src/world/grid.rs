//! Raster grids: a georeferenced header plus a row-major `Vec<T>`.
//!
//! Row 0 is the **northern** row, as in ESRI ASCII files, so a grid reads and writes
//! in file order. Cell `(r, c)` has its centre at
//! `x = xll + (c + 0.5)·cell`, `y = yll + (nrows − r − 0.5)·cell` (metres).

use serde::{Deserialize, Serialize};

/// Georeferencing of a raster: size, lower-left corner and square cell size (metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridSpec {
    /// Number of columns (west → east).
    pub ncols: usize,
    /// Number of rows (north → south).
    pub nrows: usize,
    /// X of the lower-left corner of the lower-left cell, metres.
    pub xll: f64,
    /// Y of the lower-left corner of the lower-left cell, metres.
    pub yll: f64,
    /// Cell size, metres.
    pub cell: f64,
}

impl GridSpec {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ncols * self.nrows
    }

    /// True for a grid without cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row-major index of `(row, col)`.
    #[inline]
    pub fn idx(&self, row: usize, col: usize) -> usize {
        row * self.ncols + col
    }

    /// Centre of cell `(row, col)` in map coordinates (metres).
    pub fn cell_centre(&self, row: usize, col: usize) -> (f64, f64) {
        (
            self.xll + (col as f64 + 0.5) * self.cell,
            self.yll + (self.nrows as f64 - row as f64 - 0.5) * self.cell,
        )
    }

    /// The cell `(row, col)` containing map point `(x, y)`, or `None` outside the grid.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let c = ((x - self.xll) / self.cell).floor();
        let r_from_south = ((y - self.yll) / self.cell).floor();
        if !c.is_finite() || !r_from_south.is_finite() || c < 0.0 || r_from_south < 0.0 {
            return None;
        }
        let (c, rs) = (c as usize, r_from_south as usize);
        if c >= self.ncols || rs >= self.nrows {
            return None;
        }
        Some((self.nrows - 1 - rs, c))
    }

    /// Map extent `(xmin, ymin, xmax, ymax)`.
    pub fn extent(&self) -> (f64, f64, f64, f64) {
        (
            self.xll,
            self.yll,
            self.xll + self.ncols as f64 * self.cell,
            self.yll + self.nrows as f64 * self.cell,
        )
    }

    /// True when both grids cover the same cells (size, origin and cell size agree
    /// to within a thousandth of a cell).
    pub fn same_extent(&self, other: &GridSpec) -> bool {
        let tol = 1e-3 * self.cell.max(other.cell);
        self.ncols == other.ncols
            && self.nrows == other.nrows
            && (self.xll - other.xll).abs() <= tol
            && (self.yll - other.yll).abs() <= tol
            && (self.cell - other.cell).abs() <= tol
    }
}

impl std::fmt::Display for GridSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}×{} cells of {} m at ({}, {})",
            self.ncols, self.nrows, self.cell, self.xll, self.yll
        )
    }
}

/// A raster of `T` over a [`GridSpec`], row-major, row 0 north.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid<T> {
    /// Georeferencing.
    pub spec: GridSpec,
    /// Cell values, `spec.nrows × spec.ncols`, row-major.
    pub data: Vec<T>,
}

impl<T: Clone> Grid<T> {
    /// A grid filled with `value`.
    pub fn filled(spec: GridSpec, value: T) -> Self {
        Self {
            data: vec![value; spec.len()],
            spec,
        }
    }
}

impl<T> Grid<T> {
    /// Value at `(row, col)`.
    #[inline]
    pub fn get(&self, row: usize, col: usize) -> &T {
        &self.data[self.spec.idx(row, col)]
    }

    /// Mutable value at `(row, col)`.
    #[inline]
    pub fn get_mut(&mut self, row: usize, col: usize) -> &mut T {
        let i = self.spec.idx(row, col);
        &mut self.data[i]
    }

    /// Value at map point `(x, y)`, or `None` outside the grid.
    pub fn sample(&self, x: f64, y: f64) -> Option<&T> {
        self.spec.cell_at(x, y).map(|(r, c)| self.get(r, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_centre_and_lookup_round_trip() {
        let spec = GridSpec {
            ncols: 4,
            nrows: 3,
            xll: 100.0,
            yll: 200.0,
            cell: 5.0,
        };
        for r in 0..3 {
            for c in 0..4 {
                let (x, y) = spec.cell_centre(r, c);
                assert_eq!(spec.cell_at(x, y), Some((r, c)));
            }
        }
        assert_eq!(spec.cell_at(99.0, 201.0), None);
        assert_eq!(spec.cell_at(101.0, 215.1), None);
        // Row 0 is north.
        assert_eq!(spec.cell_at(101.0, 214.0), Some((0, 0)));
    }
}
