//! After-action outputs: the terminal summary, rasters, CSV series, PNG maps and the
//! HTML report. The report reads plain data ([`RunRecord`]: the finished run's
//! resources), never the engine's `World`; the runner builds the record and writes.

pub mod actions;
pub mod font;
pub mod html;
pub mod maps;
pub mod moments;
pub mod network;
pub mod print;
pub mod profile;
pub mod summary;
pub mod table;
pub mod terrain;
pub mod water;
pub mod whereabouts;

use std::path::{Path, PathBuf};

pub use summary::RunSummary;
pub use table::summary_table;

use crate::engine::exercise::Log;
use crate::engine::forces::ForcesRes;
use crate::engine::hydro::{BalanceSeries, Water};
use crate::engine::people::{People, PeopleSeries};
use crate::scenario::Scenario;

/// What the report reads of a finished (or stopped) run: the scenario and the run's
/// state, each part absent when the run has none (no households, no forces).
#[derive(Clone, Copy)]
pub struct RunRecord<'a> {
    /// The checked scenario.
    pub scenario: &'a Scenario,
    /// The event log.
    pub log: Option<&'a Log>,
    /// The water.
    pub water: Option<&'a Water>,
    /// The water balance over time.
    pub balance: Option<&'a BalanceSeries>,
    /// The households and road graph.
    pub people: Option<&'a People>,
    /// Households by state over time.
    pub people_series: Option<&'a PeopleSeries>,
    /// Teams, robots and rescue requests.
    pub forces: Option<&'a ForcesRes>,
}

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("{path}: cannot write output: {source}")]
    Output {
        /// File or folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A picture could not be encoded.
    #[error("{path}: cannot encode the picture: {message}")]
    Png {
        /// The picture's file.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
}

impl ReportError {
    /// A `map_err` for an I/O error on `path`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Output {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A `map_err` for a picture that could not be encoded as `path`.
    pub fn png(path: &Path) -> impl FnOnce(png::EncodingError) -> Self + '_ {
        move |e| Self::Png {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
