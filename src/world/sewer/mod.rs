//! The storm sewer network as data: the EPA SWMM 5 `.inp` reader ([`inp`]), the
//! network it builds ([`network`]) and the coupling coefficients a scenario gives
//! ([`CouplingParams`]). Routing it is `hydro::drainage`.

// `!(x > 0.0)` is how a value is checked to be a positive number (NaN fails it).
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod geojson;
pub mod inp;
pub mod network;

use serde::{Deserialize, Serialize};

pub use inp::{InpError, parse_inp, read_inp};
pub use network::Network;

/// Read a network file: the GeoJSON form ([`geojson`]) when its name ends in `.geojson`
/// or `.json`, else an EPA SWMM 5 `.inp` file.
pub fn read_network(path: &std::path::Path) -> Result<Network, InpError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("geojson" | "json")) {
        return read_inp(path);
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| InpError::Io {
        path: name.clone(),
        message: format!("cannot read: {e}"),
    })?;
    geojson::parse_geojson(&text, &name)
}

/// The exchange coefficients and the default openings of dual drainage (see
/// `hydro::drainage::coupling` for the laws they enter).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CouplingParams {
    /// Weir coefficient `C_w` in `C_w·P·d·√(2g·d)`.
    pub weir_coefficient: f64,
    /// Orifice coefficient `C_o` in `C_o·A·√(2g·Δh)`.
    pub orifice_coefficient: f64,
    /// Opening area of an inlet or manhole, m².
    pub inlet_area_m2: f64,
    /// Opening perimeter (weir crest length), m.
    pub inlet_perimeter_m: f64,
    /// Opening area of a storage node (a wet well's or tank's intake grating), m².
    pub storage_area_m2: f64,
    /// Its perimeter, m.
    pub storage_perimeter_m: f64,
}

impl Default for CouplingParams {
    /// Weir 0.25 and orifice 0.6 (laboratory tests give 0.1–0.4 and 0.35–2.0,
    /// Rubinato et al. 2017); a 0.28 m² opening with a 1.88 m crest per manhole or gully,
    /// 4 m² and 8 m per storage node.
    fn default() -> Self {
        Self {
            weir_coefficient: 0.25,
            orifice_coefficient: 0.6,
            inlet_area_m2: 0.28,
            inlet_perimeter_m: 1.88,
            storage_area_m2: 4.0,
            storage_perimeter_m: 8.0,
        }
    }
}
