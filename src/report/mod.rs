//! After-action outputs: the terminal summary, and (as they land) rasters, CSV
//! series, PNG maps and the HTML report.

pub mod table;
pub mod water;

pub use table::summary_table;
