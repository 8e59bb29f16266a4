//! The water balance: cumulative volumes (m³) in and out of the model, and the error.
//!
//! `error = storage − initial − (rain + boundary_inflow + external − infiltration −
//! drained − pumped − boundary_outflow)`. With the mass-conserving scheme it is
//! round-off (≈10⁻¹² of the rain volume in f64). Rain that falls on blocked cells
//! (buildings) is not counted: it never enters the model.

/// Cumulative volumes since the model was built, m³.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WaterBalance {
    /// Model time of these figures, s.
    pub t: f64,
    /// Water stored on the surface when the run started.
    pub initial_storage: f64,
    /// Water stored on the surface now.
    pub storage: f64,
    /// Rain that fell on open (non-blocked) cells.
    pub rain: f64,
    /// Water infiltrated into the soil.
    pub infiltration: f64,
    /// Water removed by the urban drainage capacity.
    pub drained: f64,
    /// Water removed by pumps and robots (the sink API).
    pub pumped: f64,
    /// Water that entered across boundaries and at inflow points.
    pub boundary_inflow: f64,
    /// Water that left across boundaries.
    pub boundary_outflow: f64,
    /// Net depth set by hand after the start (e.g. `set_depth` mid-run).
    pub external: f64,
    /// Water in the drainage network at the start (dual drainage; 0 without one).
    #[serde(default)]
    pub network_initial: f64,
    /// Water in the drainage network now.
    #[serde(default)]
    pub network_storage: f64,
    /// External inflows into the network's nodes (the network file's inflows).
    #[serde(default)]
    pub network_inflow: f64,
    /// Water that left through outfalls not coupled to the surface.
    #[serde(default)]
    pub network_outflow: f64,
    /// Water lost at uncoupled nodes that overflowed.
    #[serde(default)]
    pub network_lost: f64,
    /// Surface water that entered the network (inlets, manholes, river backflow):
    /// internal, not in the error.
    #[serde(default)]
    pub to_network: f64,
    /// Network water that came back onto the surface (lids lifted, coupled outfalls):
    /// internal.
    #[serde(default)]
    pub from_network: f64,
}

impl WaterBalance {
    /// Total in minus total out.
    pub fn net_in(&self) -> f64 {
        (self.rain + self.boundary_inflow + self.external + self.network_inflow)
            - (self.infiltration
                + self.drained
                + self.pumped
                + self.boundary_outflow
                + self.network_outflow
                + self.network_lost)
    }

    /// `storage − initial − net_in`, m³ (surface and network together).
    pub fn error(&self) -> f64 {
        (self.storage + self.network_storage - self.initial_storage - self.network_initial)
            - self.net_in()
    }

    /// The error relative to the water that came in (rain + inflow), or to the initial
    /// storage when nothing came in.
    pub fn relative_error(&self) -> f64 {
        let base = self.rain + self.boundary_inflow + self.network_inflow;
        let base = if base > 0.0 {
            base
        } else {
            self.initial_storage.max(f64::MIN_POSITIVE)
        };
        self.error() / base
    }

    /// CSV header matching [`WaterBalance::csv_row`].
    pub fn csv_header() -> &'static str {
        "time_s,rain_m3,infiltration_m3,drained_m3,pumped_m3,boundary_in_m3,boundary_out_m3,storage_m3,error_m3,error_rel"
    }

    /// One CSV row.
    pub fn csv_row(&self) -> String {
        format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6e},{:.6e}",
            self.t,
            self.rain,
            self.infiltration,
            self.drained,
            self.pumped,
            self.boundary_inflow,
            self.boundary_outflow,
            self.storage,
            self.error(),
            self.relative_error()
        )
    }
}
