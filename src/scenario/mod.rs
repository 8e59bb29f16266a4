//! Scenarios: the RON file format (version 1), loading, and validation into a checked
//! [`Scenario`]. Every error names the file, line:column, the field path and what was
//! expected; all errors are reported together.

pub mod duration;
pub mod error;
pub mod load;
pub mod locate;
pub mod schema;

pub use duration::{Duration, DurationError, format_clock, format_duration, parse_duration};
pub use error::{Diagnostic, ScenarioError};
pub use load::{
    Scenario, check_inject, check_order, load_str_with, load_with, parse, parse_as, read_input,
};
pub use schema::ScenarioFile;
