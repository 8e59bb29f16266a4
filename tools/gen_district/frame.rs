//! The raster frame of the district and the small geometric helpers shared by every stage.
//!
//! All planning happens in *local* metres: `u` grows east from the western edge of the
//! grid, `v` grows north from its southern edge, so the square spans `[0, L] × [0, L]`
//! with `L = n · cell`. Map coordinates add the lower-left corner (`xll`, `yll`).
//! Rasters are row-major with row 0 the northern row, as in an ESRI ASCII grid.
//!
//! The value noise here is pure arithmetic on a hashed integer lattice (no `sin`, no
//! `exp`), so the same seed gives the same terrain bit for bit on any platform.

/// Western edge of the grid in map coordinates (local projected metres).
pub const XLL: f64 = 500_000.0;
/// Southern edge of the grid in map coordinates (local projected metres).
pub const YLL: f64 = 3_350_000.0;

/// The square raster the district is drawn on.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Cells per side.
    pub n: usize,
    /// Cell size, metres.
    pub cell: f64,
    /// Side length `n · cell`, metres.
    pub extent: f64,
}

impl Frame {
    /// A frame of `n × n` cells of `cell` metres.
    pub fn new(n: usize, cell: f64) -> Self {
        Frame {
            n,
            cell,
            extent: n as f64 * cell,
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.n * self.n
    }

    /// Row-major index of a cell.
    pub fn idx(&self, row: usize, col: usize) -> usize {
        row * self.n + col
    }

    /// Local `u` (metres east) of a column's centre.
    pub fn u_of(&self, col: usize) -> f64 {
        (col as f64 + 0.5) * self.cell
    }

    /// Local `v` (metres north) of a row's centre.
    pub fn v_of(&self, row: usize) -> f64 {
        self.extent - (row as f64 + 0.5) * self.cell
    }

    /// The cell holding a local point, if it is inside the grid.
    pub fn cell_at(&self, u: f64, v: f64) -> Option<(usize, usize)> {
        if !(0.0..self.extent).contains(&u) || !(0.0..self.extent).contains(&v) {
            return None;
        }
        let col = ((u / self.cell).floor() as usize).min(self.n - 1);
        let row = (((self.extent - v) / self.cell).floor() as usize).min(self.n - 1);
        Some((row, col))
    }

    /// Cells whose centres lie in the half-open rectangle `[u0, u1) × [v0, v1)`,
    /// as `(row, col)` in row-major order.
    pub fn cells_in_rect(&self, r: Rect) -> Vec<(usize, usize)> {
        let c = self.cell;
        let col_lo = ((r.u0 / c - 0.5).ceil().max(0.0)) as usize;
        let col_hi = ((r.u1 / c - 0.5).ceil().max(0.0) as usize).min(self.n);
        let row_lo = (((self.extent - r.v1) / c - 0.5).floor() + 1.0).max(0.0) as usize;
        let row_hi =
            ((((self.extent - r.v0) / c - 0.5).floor() + 1.0).max(0.0) as usize).min(self.n);
        let mut out = Vec::new();
        for row in row_lo..row_hi {
            let v = self.v_of(row);
            if v < r.v0 || v >= r.v1 {
                continue;
            }
            for col in col_lo..col_hi {
                let u = self.u_of(col);
                if u >= r.u0 && u < r.u1 {
                    out.push((row, col));
                }
            }
        }
        out
    }

    /// Snap a line of `width` metres to the grid so that it covers a whole number of
    /// cells: returns the snapped centre and the number of cells across.
    pub fn snap_line(&self, pos: f64, width: f64) -> (f64, usize) {
        let c = self.cell;
        let k = ((width / c).round() as usize).max(1);
        let centre = if k.is_multiple_of(2) {
            (pos / c).round() * c
        } else {
            ((pos / c).floor() + 0.5) * c
        };
        (centre, k)
    }
}

/// An axis-aligned rectangle in local metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// West edge.
    pub u0: f64,
    /// East edge.
    pub u1: f64,
    /// South edge.
    pub v0: f64,
    /// North edge.
    pub v1: f64,
}

impl Rect {
    /// A rectangle from its edges.
    pub fn new(u0: f64, u1: f64, v0: f64, v1: f64) -> Self {
        Rect { u0, u1, v0, v1 }
    }
    /// Width (east–west), metres.
    pub fn w(&self) -> f64 {
        self.u1 - self.u0
    }
    /// Height (north–south), metres.
    pub fn h(&self) -> f64 {
        self.v1 - self.v0
    }
    /// Centre point.
    pub fn centre(&self) -> [f64; 2] {
        [0.5 * (self.u0 + self.u1), 0.5 * (self.v0 + self.v1)]
    }
    /// Area, square metres.
    pub fn area(&self) -> f64 {
        self.w().max(0.0) * self.h().max(0.0)
    }
    /// The rectangle shrunk by `d` metres on every side.
    pub fn shrink(&self, d: f64) -> Rect {
        Rect::new(self.u0 + d, self.u1 - d, self.v0 + d, self.v1 - d)
    }
    /// Whether a point lies inside (closed).
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.u0 && p[0] <= self.u1 && p[1] >= self.v0 && p[1] <= self.v1
    }
    /// Distance from a point to the rectangle (0 inside).
    pub fn dist(&self, p: [f64; 2]) -> f64 {
        let du = (self.u0 - p[0]).max(p[0] - self.u1).max(0.0);
        let dv = (self.v0 - p[1]).max(p[1] - self.v1).max(0.0);
        (du * du + dv * dv).sqrt()
    }
}

/// Euclidean distance between two points.
pub fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Round to `1/q` (e.g. `q = 10` rounds to 0.1).
pub fn round_to(x: f64, q: f64) -> f64 {
    (x * q).round() / q
}

/// Ray-casting point-in-polygon test on a ring (closed or not).
pub fn point_in_ring(p: [f64; 2], ring: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Quintic fade used by the value noise (C2-continuous).
fn fade(t: f64) -> f64 {
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

/// `smoothstep` on `[0, 1]` (clamped).
pub fn smoothstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// SplitMix64 finaliser: a good 64-bit integer hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seeded smooth value noise in 1 and 2 dimensions, values in `[-1, 1]`.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    seed: u64,
}

impl Noise {
    /// Noise with its own lattice seed.
    pub fn new(seed: u64) -> Self {
        Noise { seed }
    }

    fn lattice(&self, ix: i64, iy: i64) -> f64 {
        let h = mix(self.seed ^ mix((ix as u64).wrapping_mul(0x1656_67B1) ^ mix(iy as u64)));
        (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// 2-D value noise at `(x, y)` in lattice units.
    pub fn at(&self, x: f64, y: f64) -> f64 {
        let (fx, fy) = (x.floor(), y.floor());
        let (ix, iy) = (fx as i64, fy as i64);
        let (tx, ty) = (fade(x - fx), fade(y - fy));
        let a = self.lattice(ix, iy);
        let b = self.lattice(ix + 1, iy);
        let c = self.lattice(ix, iy + 1);
        let d = self.lattice(ix + 1, iy + 1);
        let ab = a + (b - a) * tx;
        let cd = c + (d - c) * tx;
        ab + (cd - ab) * ty
    }

    /// 1-D value noise.
    pub fn at1(&self, x: f64) -> f64 {
        self.at(x, 0.5)
    }

    /// Fractal sum of `octaves` octaves (lacunarity 2, gain 0.5), roughly in `[-1, 1]`.
    pub fn fbm(&self, x: f64, y: f64, octaves: u32) -> f64 {
        let (mut sum, mut amp, mut norm, mut f) = (0.0, 1.0, 0.0, 1.0);
        for o in 0..octaves {
            // Offset each octave so lattice points do not line up.
            let off = 17.31 * o as f64;
            sum += amp * self.at(x * f + off, y * f - off);
            norm += amp;
            amp *= 0.5;
            f *= 2.0;
        }
        sum / norm
    }
}
