//! Accumulated outputs: per-cell maxima, time of first flooding, probes.
//!
//! Updated at the end of every [`crate::hydro::HydroModel::step_until`] call (once per
//! engine tick, default 5 s), not every sub-step: the peaks between ticks of a smooth
//! flood differ little and this keeps the flow kernels lean.
//!
//! Velocity at a cell centre: `|q|/h` with `q` the mean of the two opposite faces'
//! unit discharges in each direction, where `h` exceeds
//! [`crate::hydro::HydroConfig::velocity_min_depth`] (0 elsewhere: at film depths the
//! ratio is meaningless). Hazard: `d·(v + 0.5)` (Defra FD2320 without debris factor).

use crate::world::{Grid, GridSpec};

/// Per-cell maxima and flood timing. Stored as f32 (output precision).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MaxOutputs {
    /// Grid of the outputs.
    pub spec: GridSpec,
    /// Maximum depth, m.
    #[serde(with = "crate::codec::f32s")]
    pub max_depth: Vec<f32>,
    /// Maximum speed, m/s.
    #[serde(with = "crate::codec::f32s")]
    pub max_speed: Vec<f32>,
    /// Maximum hazard `d·(v + 0.5)`, m²/s.
    #[serde(with = "crate::codec::f32s")]
    pub max_hazard: Vec<f32>,
    /// Time (s) the depth first exceeded `flood_depth`; NaN if never.
    #[serde(with = "crate::codec::f64s")]
    pub first_flooded: Vec<f64>,
    /// Depth threshold of `first_flooded`, m (default 0.15).
    pub flood_depth: f64,
}

impl MaxOutputs {
    pub(crate) fn new(spec: GridSpec, flood_depth: f64) -> Self {
        let n = spec.len();
        Self {
            spec,
            max_depth: vec![0.0; n],
            max_speed: vec![0.0; n],
            max_hazard: vec![0.0; n],
            first_flooded: vec![f64::NAN; n],
            flood_depth,
        }
    }

    fn grid(&self, v: &[f32]) -> Grid<f64> {
        Grid {
            spec: self.spec,
            data: v.iter().map(|&x| x as f64).collect(),
        }
    }

    /// Maximum depth as a raster (m).
    pub fn max_depth_grid(&self) -> Grid<f64> {
        self.grid(&self.max_depth)
    }

    /// Maximum speed as a raster (m/s).
    pub fn max_speed_grid(&self) -> Grid<f64> {
        self.grid(&self.max_speed)
    }

    /// Maximum hazard as a raster.
    pub fn max_hazard_grid(&self) -> Grid<f64> {
        self.grid(&self.max_hazard)
    }

    /// First-flooded time as a raster (s), with `nodata` where never flooded.
    pub fn first_flooded_grid(&self, nodata: f64) -> Grid<f64> {
        Grid {
            spec: self.spec,
            data: self
                .first_flooded
                .iter()
                .map(|&t| if t.is_nan() { nodata } else { t })
                .collect(),
        }
    }
}

/// One probe sample.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProbeSample {
    /// Model time, s.
    pub t: f64,
    /// Depth, m.
    pub depth: f64,
    /// Speed, m/s.
    pub speed: f64,
}

/// A point where depth and speed are recorded at the end of every `step_until`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Probe {
    /// Name.
    pub name: String,
    /// Map x, m.
    pub x: f64,
    /// Map y, m.
    pub y: f64,
    /// Cell row.
    pub row: usize,
    /// Cell column.
    pub col: usize,
    /// Samples in time order.
    pub samples: Vec<ProbeSample>,
}

impl Probe {
    /// CSV of the samples: `time_s,depth_m,speed_m_s`.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("time_s,depth_m,speed_m_s\n");
        for p in &self.samples {
            s.push_str(&format!("{},{:.6},{:.6}\n", p.t, p.depth, p.speed));
        }
        s
    }
}
