//! After-action outputs: the terminal summary, and (as they land) rasters, CSV
//! series, PNG maps and the HTML report.

pub mod html;
pub mod maps;
pub mod table;
pub mod terrain;
pub mod water;

pub use table::summary_table;
