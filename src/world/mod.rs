//! The static district: rasters (DEM, land use) and vector layers (roads, buildings,
//! zones, places) and the storm sewer network read from an EPA SWMM `.inp` file.

pub mod asc;
pub mod grid;
pub mod roads;
pub mod routing;
pub mod sewer;
pub mod vector;

pub use asc::{AscGrid, RasterError, read_asc, read_asc_header, write_asc};
pub use grid::{Grid, GridSpec};
pub use vector::{Building, Place, PlaceKind, Pt, Road, VectorError, Zone, rasterize_zones};
