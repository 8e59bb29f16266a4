//! Rain: uniform series, the Chicago design storm, a moving storm cell, gridded
//! frames, per-zone scaling, and the [`RainField`] that combines them.
//!
//! Intensities are **mm/h at the interface** (series, frames, storm peak) and **m/s
//! inside the model** ([`MM_PER_H`] converts). A [`RainField`] made only of uniform
//! series (optionally scaled per zone) is *separable*: the model keeps a static per-cell
//! weight (zone factor, 0 on buildings) and evaluates one scalar per sub-step — the
//! exact mean of the series over the sub-step — so uniform rain costs nothing per cell
//! beyond one multiply. Any other source makes the field spatial: the model fills a
//! per-cell buffer (m/s) at the middle of each source interval (default 5 s).
//!
//! # Chicago design storm (芝加哥雨型, Keifer & Chu 1957)
//! From the IDF formula `i(t) = a/(t + b)^n` mm/min with `a = A1·(1 + C·lg P)` (t in
//! minutes): the depth over any duration `t` taken around the peak, split `r : 1 − r`
//! before/after it, equals the IDF depth `H(t) = a·t/(t + b)^n`. With the peak at
//! `t_p = r·T`, the cumulative depth from the storm start to `τ` is
//! `r·H(T) − r·H((t_p − τ)/r)` before the peak and `r·H(T) + (1 − r)·H((τ − t_p)/(1 − r))`
//! after it. The block intensities are differences of that curve over each time step,
//! so the total depth is exactly `i(T)·T` and the peak block is the one holding `t_p`.
//! The instantaneous intensity is `a·[(1 − n)·t_b/r + b]/(t_b/r + b)^(n+1)` (DOMAIN.md §3), which this
//! cumulative curve differentiates to.

use std::collections::BTreeMap;
use std::path::Path;

/// Why a rain source cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RainError {
    /// The design storm's parameters are out of range.
    #[error("{0}")]
    Storm(String),
    /// The gridded frames cannot be read or are inconsistent.
    #[error("{0}")]
    Frames(String),
    /// A gridded source or the zone raster is not on the model's grid.
    #[error("{0}")]
    Grid(String),
}

use super::series::{Interp, Series};
use crate::world::{Grid, GridSpec, RasterError, read_asc};

/// Metres per second in one mm/h.
pub const MM_PER_H: f64 = 1.0 / 3.6e6;

/// Intensity–duration–frequency parameters, Chinese form:
/// `i = A1·(1 + C·lg P)/(t + b)^n` mm/min, `t` in minutes, `P` in years.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IdfParams {
    /// A1, mm/min (the `q` form's A divided by 167).
    pub a1: f64,
    /// C (dimensionless).
    pub c: f64,
    /// b, minutes.
    pub b: f64,
    /// n (dimensionless).
    pub n: f64,
}

impl IdfParams {
    /// From the `q = 167·A1(1 + C·lg P)/(t + b)^n` L/(s·ha) form's A (= 167·A1).
    pub fn from_q_form(a: f64, c: f64, b: f64, n: f64) -> Self {
        Self {
            a1: a / 167.0,
            c,
            b,
            n,
        }
    }

    /// `a = A1·(1 + C·lg P)`, mm/min·min^n.
    pub fn a(&self, return_period_years: f64) -> f64 {
        self.a1 * (1.0 + self.c * return_period_years.log10())
    }

    /// Average intensity over a duration, mm/min.
    pub fn intensity_mm_per_min(&self, return_period_years: f64, duration_min: f64) -> f64 {
        self.a(return_period_years) / (duration_min + self.b).powf(self.n)
    }

    /// Depth over a duration, mm: `i(t)·t`.
    pub fn depth_mm(&self, return_period_years: f64, duration_min: f64) -> f64 {
        self.intensity_mm_per_min(return_period_years, duration_min) * duration_min
    }
}

/// A Chicago design storm.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChicagoStorm {
    /// IDF formula.
    pub idf: IdfParams,
    /// Return period P, years.
    pub return_period_years: f64,
    /// Storm duration T, minutes.
    pub duration_min: f64,
    /// Peak position r as a fraction of the duration (typically 0.35–0.45).
    pub peak_ratio: f64,
    /// Block length of the hyetograph, minutes (e.g. 1 or 5).
    pub time_step_min: f64,
    /// Scenario time of the storm start, s.
    pub start_s: f64,
}

impl ChicagoStorm {
    fn check(&self) -> Result<(), RainError> {
        let s = self;
        if !(s.return_period_years > 0.0) {
            return Err(RainError::Storm(format!(
                "return period {} years: expected > 0",
                s.return_period_years
            )));
        }
        if !(s.duration_min > 0.0 && s.duration_min.is_finite()) {
            return Err(RainError::Storm(format!(
                "duration {} min: expected > 0",
                s.duration_min
            )));
        }
        if !(s.peak_ratio > 0.0 && s.peak_ratio < 1.0) {
            return Err(RainError::Storm(format!(
                "peak ratio {}: expected 0 < r < 1",
                s.peak_ratio
            )));
        }
        if !(s.time_step_min > 0.0 && s.time_step_min <= s.duration_min) {
            return Err(RainError::Storm(format!(
                "time step {} min: expected 0 < step ≤ duration {}",
                s.time_step_min, s.duration_min
            )));
        }
        if !(s.idf.a1 > 0.0 && s.idf.b >= 0.0 && s.idf.n > 0.0 && s.idf.n < 1.0) {
            return Err(RainError::Storm(format!(
                "IDF parameters A1 = {}, b = {}, n = {}: expected A1 > 0, b ≥ 0, 0 < n < 1",
                s.idf.a1, s.idf.b, s.idf.n
            )));
        }
        Ok(())
    }

    fn h(&self, t_min: f64) -> f64 {
        if t_min <= 0.0 {
            0.0
        } else {
            self.idf.depth_mm(self.return_period_years, t_min)
        }
    }

    /// Cumulative depth (mm) from the storm start to `t_min` minutes after it.
    pub fn cumulative_mm(&self, t_min: f64) -> f64 {
        let t_total = self.duration_min;
        let r = self.peak_ratio;
        let tp = r * t_total;
        let t = t_min.clamp(0.0, t_total);
        if t <= tp {
            r * self.h(t_total) - r * self.h((tp - t) / r)
        } else {
            r * self.h(t_total) + (1.0 - r) * self.h((t - tp) / (1.0 - r))
        }
    }

    /// Instantaneous intensity (mm/min) at `t_min` minutes after the start.
    pub fn intensity_mm_per_min(&self, t_min: f64) -> f64 {
        let a = self.idf.a(self.return_period_years);
        let (b, n) = (self.idf.b, self.idf.n);
        let r = self.peak_ratio;
        let tp = r * self.duration_min;
        if t_min < 0.0 || t_min > self.duration_min {
            return 0.0;
        }
        let tt = if t_min <= tp {
            (tp - t_min) / r
        } else {
            (t_min - tp) / (1.0 - r)
        };
        a * ((1.0 - n) * tt + b) / (tt + b).powf(n + 1.0)
    }

    /// The hyetograph as a step series in mm/h: one block per time step (the last one
    /// may be shorter), then 0 from the end of the storm.
    pub fn series(&self) -> Result<Series, RainError> {
        self.check()?;
        let mut pts = Vec::new();
        let mut t0 = 0.0f64;
        while t0 < self.duration_min - 1e-9 {
            let t1 = (t0 + self.time_step_min).min(self.duration_min);
            let depth = self.cumulative_mm(t1) - self.cumulative_mm(t0);
            pts.push((self.start_s + t0 * 60.0, depth / (t1 - t0) * 60.0));
            t0 = t1;
        }
        pts.push((self.start_s + self.duration_min * 60.0, 0.0));
        if self.start_s > 0.0 {
            pts.insert(0, (0.0, 0.0));
        }
        Series::new(&pts, Interp::Step).map_err(|e| RainError::Storm(e.message))
    }
}

/// A storm cell with a Gaussian footprint moving along a track.
///
/// Intensity at distance `d` from the centre: `peak·exp(−d²/(2·radius²))` mm/h. The
/// centre moves linearly between the track points `(t_s, x, y)`; before the first and
/// after the last track time the cell rains nowhere.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MovingCell {
    /// Intensity at the centre, mm/h.
    pub peak_mm_h: f64,
    /// Footprint radius (standard deviation of the Gaussian), m.
    pub radius_m: f64,
    /// Track points `(time_s, x, y)` in map coordinates, times increasing.
    pub track: Vec<(f64, f64, f64)>,
}

impl MovingCell {
    /// Centre at time `t`, or `None` outside the track's time span.
    pub fn centre(&self, t: f64) -> Option<(f64, f64)> {
        let tr = &self.track;
        if tr.is_empty() || t < tr[0].0 || t > tr[tr.len() - 1].0 {
            return None;
        }
        let k = tr
            .partition_point(|p| p.0 <= t)
            .saturating_sub(1)
            .min(tr.len() - 1);
        if k + 1 >= tr.len() {
            return Some((tr[k].1, tr[k].2));
        }
        let (t0, x0, y0) = tr[k];
        let (t1, x1, y1) = tr[k + 1];
        let a = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
        Some((x0 + a * (x1 - x0), y0 + a * (y1 - y0)))
    }

    /// Intensity at `(x, y)` at time `t`, mm/h.
    pub fn intensity_mm_h(&self, x: f64, y: f64, t: f64) -> f64 {
        match self.centre(t) {
            None => 0.0,
            Some((cx, cy)) => {
                let d2 = (x - cx).powi(2) + (y - cy).powi(2);
                self.peak_mm_h * (-d2 / (2.0 * self.radius_m * self.radius_m)).exp()
            }
        }
    }
}

/// Rain rasters (mm/h), each held from its time until the next frame's. Before the
/// first frame it does not rain; the last frame holds until a frame of zeros follows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GriddedFrames {
    frames: Vec<(f64, Grid<f64>)>,
}

impl GriddedFrames {
    /// Frames `(time_s, raster in mm/h)`; times strictly increasing, all rasters on the
    /// same grid, values finite and ≥ 0.
    pub fn new(frames: Vec<(f64, Grid<f64>)>) -> Result<Self, RainError> {
        for k in 0..frames.len() {
            if k > 0 && frames[k].0 <= frames[k - 1].0 {
                return Err(RainError::Frames(format!(
                    "frame {}: time {} s not after the previous frame's {} s",
                    k + 1,
                    frames[k].0,
                    frames[k - 1].0
                )));
            }
            if !frames[k].1.spec.same_extent(&frames[0].1.spec) {
                return Err(RainError::Frames(format!(
                    "frame {}: grid {} differs from the first frame's {}",
                    k + 1,
                    frames[k].1.spec,
                    frames[0].1.spec
                )));
            }
            if let Some(v) = frames[k]
                .1
                .data
                .iter()
                .find(|v| !(v.is_finite() && **v >= 0.0))
            {
                return Err(RainError::Frames(format!(
                    "frame {}: intensity {v} mm/h is not a finite value ≥ 0",
                    k + 1
                )));
            }
        }
        Ok(Self { frames })
    }

    /// Read frames from ESRI ASCII files `(time_s, path)` (no-data cells read as 0).
    pub fn read_asc_frames(list: &[(f64, &Path)]) -> Result<Self, RainError> {
        let mut frames = Vec::with_capacity(list.len());
        for &(t, p) in list {
            let g = read_asc(p).map_err(|e: RasterError| RainError::Frames(e.to_string()))?;
            let mut grid = g.grid;
            if let Some(nd) = g.nodata {
                for v in &mut grid.data {
                    if *v == nd {
                        *v = 0.0;
                    }
                }
            }
            frames.push((t, grid));
        }
        Self::new(frames)
    }

    /// The frame in force at time `t`, if any.
    pub fn frame_at(&self, t: f64) -> Option<&Grid<f64>> {
        let k = self.frames.partition_point(|f| f.0 <= t);
        (k > 0).then(|| &self.frames[k - 1].1)
    }

    /// Grid of the frames (None if there are none).
    pub fn spec(&self) -> Option<GridSpec> {
        self.frames.first().map(|f| f.1.spec)
    }
}

/// Per-zone rain factors: a zone-id raster and a factor per zone (zones not listed get
/// 1).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ZoneScaling {
    /// Zone id per cell.
    pub zones: Grid<i64>,
    /// Factor per zone id.
    pub factors: BTreeMap<i64, f64>,
}

impl ZoneScaling {
    /// Per-cell factor.
    pub fn factor_grid(&self) -> Vec<f64> {
        self.zones
            .data
            .iter()
            .map(|z| self.factors.get(z).copied().unwrap_or(1.0))
            .collect()
    }
}

/// One rain source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RainSource {
    /// The same intensity everywhere, mm/h (a gauge series, a Chicago storm's
    /// [`ChicagoStorm::series`], a LISFLOOD `rain.txt`).
    Uniform(Series),
    /// A moving storm cell.
    Moving(MovingCell),
    /// Gridded frames.
    Gridded(GriddedFrames),
}

/// All rain on the model: the sum of its sources, times an optional per-zone factor.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RainField {
    /// The sources (summed).
    pub sources: Vec<RainSource>,
    /// Optional per-zone scaling of the sum.
    pub zones: Option<ZoneScaling>,
}

impl RainField {
    /// No rain.
    pub fn none() -> Self {
        Self::default()
    }

    /// Uniform rain from a series in mm/h.
    pub fn uniform(series_mm_h: Series) -> Self {
        Self {
            sources: vec![RainSource::Uniform(series_mm_h)],
            zones: None,
        }
    }

    /// Add a source.
    pub fn with(mut self, source: RainSource) -> Self {
        self.sources.push(source);
        self
    }

    /// True when every source is uniform in space (zone scaling allowed): the field is
    /// then `zone_factor(cell) × uniform_rate(t)`.
    pub fn is_separable(&self) -> bool {
        self.sources
            .iter()
            .all(|s| matches!(s, RainSource::Uniform(_)))
    }

    /// Sum of the uniform sources' intensity at `t`, m/s.
    pub fn uniform_rate(&self, t: f64) -> f64 {
        self.sources
            .iter()
            .map(|s| match s {
                RainSource::Uniform(series) => series.value_at(t) * MM_PER_H,
                _ => 0.0,
            })
            .sum()
    }

    /// Depth of the uniform sources over `[t0, t1]`, m (exact integral).
    pub fn uniform_depth(&self, t0: f64, t1: f64) -> f64 {
        self.sources
            .iter()
            .map(|s| match s {
                RainSource::Uniform(series) => series.integral(t0, t1) * MM_PER_H,
                _ => 0.0,
            })
            .sum()
    }

    /// Check that gridded sources and zones match the model grid.
    pub fn check_grid(&self, spec: &GridSpec) -> Result<(), RainError> {
        for s in &self.sources {
            if let RainSource::Gridded(g) = s
                && let Some(gs) = g.spec()
                && !gs.same_extent(spec)
            {
                return Err(RainError::Grid(format!(
                    "rain frames on {gs}, model grid is {spec}"
                )));
            }
        }
        if let Some(z) = &self.zones
            && !z.zones.spec.same_extent(spec)
        {
            return Err(RainError::Grid(format!(
                "rain zone raster on {}, model grid is {spec}",
                z.zones.spec
            )));
        }
        Ok(())
    }

    /// Per-cell zone factor (all 1 without zones).
    pub fn zone_factors(&self, spec: &GridSpec) -> Vec<f64> {
        match &self.zones {
            Some(z) => z.factor_grid(),
            None => vec![1.0; spec.len()],
        }
    }

    /// Rain intensity at map point (x, y) at time `t`, mm/h, zone factor included (what
    /// a rain gauge there would read).
    pub fn intensity_at(&self, spec: &GridSpec, x: f64, y: f64, t: f64) -> f64 {
        let mut mm_h = self.uniform_rate(t) / MM_PER_H;
        for s in &self.sources {
            match s {
                RainSource::Uniform(_) => {}
                RainSource::Moving(cell) => mm_h += cell.intensity_mm_h(x, y, t),
                RainSource::Gridded(g) => {
                    if let Some(v) = g.frame_at(t).and_then(|f| f.sample(x, y)) {
                        mm_h += v;
                    }
                }
            }
        }
        if let Some(z) = &self.zones
            && let Some((r, c)) = spec.cell_at(x, y)
        {
            let id = *z.zones.get(r, c);
            mm_h *= z.factors.get(&id).copied().unwrap_or(1.0);
        }
        mm_h
    }

    /// Fill `out` (one value per cell, m/s) with the whole field at time `t`, zone
    /// factors included.
    pub fn fill(&self, spec: &GridSpec, t: f64, out: &mut [f64]) {
        let base = self.uniform_rate(t);
        out.fill(base);
        for s in &self.sources {
            match s {
                RainSource::Uniform(_) => {}
                RainSource::Moving(cell) => {
                    if cell.centre(t).is_none() {
                        continue;
                    }
                    for r in 0..spec.nrows {
                        for c in 0..spec.ncols {
                            let (x, y) = spec.cell_centre(r, c);
                            out[spec.idx(r, c)] += cell.intensity_mm_h(x, y, t) * MM_PER_H;
                        }
                    }
                }
                RainSource::Gridded(g) => {
                    if let Some(frame) = g.frame_at(t) {
                        for (o, v) in out.iter_mut().zip(&frame.data) {
                            *o += v * MM_PER_H;
                        }
                    }
                }
            }
        }
        if let Some(z) = &self.zones {
            for (o, f) in out.iter_mut().zip(z.factor_grid()) {
                *o *= f;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_cell_follows_track() {
        let m = MovingCell {
            peak_mm_h: 60.0,
            radius_m: 100.0,
            track: vec![(0.0, 0.0, 0.0), (100.0, 1000.0, 0.0)],
        };
        assert_eq!(m.centre(50.0), Some((500.0, 0.0)));
        assert_eq!(m.centre(101.0), None);
        assert!((m.intensity_mm_h(500.0, 0.0, 50.0) - 60.0).abs() < 1e-12);
        let e = 60.0 * (-0.5f64).exp();
        assert!((m.intensity_mm_h(600.0, 0.0, 50.0) - e).abs() < 1e-12);
    }
}
