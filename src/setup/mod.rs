//! Setup: a checked scenario → the kernels' inputs, as pure functions (no Bevy).
//!
//! - [`hydro`]: the hydraulic model (Manning n, losses and blocked cells per land
//!   class, rain sources, boundaries, initial levels, probes);
//! - [`people`]: the road graph, households, shelters and route trees;
//! - [`forces`]: teams and robots at their depots.
//!
//! "A scenario that validates always runs" is kept here: [`load`] is the scenario's
//! own validation ([`crate::scenario::load_with`]) plus the [`Checks`] that need the
//! kernels (a series file parses, a design storm's peak is in range, the model and the
//! people can be built). The engine builds from the same functions, so what validated
//! is what runs. `scenario` itself depends on nothing above it.

pub mod forces;
pub mod hydro;
pub mod people;

use std::path::Path;

use crate::scenario::load::InputChecks;
use crate::scenario::schema::{Edge as SchemaEdge, RainSource as SchemaRain};
use crate::scenario::{Scenario, ScenarioError};
use crate::world::GridSpec;

/// Why a scenario cannot be turned into the kernels' inputs.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A series (file or points) is not a valid series.
    #[error(transparent)]
    Series(#[from] crate::hydro::SeriesError),
    /// A rain source cannot be made.
    #[error(transparent)]
    Rain(#[from] crate::hydro::RainError),
    /// The hydraulic model refused its inputs.
    #[error(transparent)]
    Hydro(#[from] crate::hydro::HydroError),
    /// The road graph cannot be built.
    #[error(transparent)]
    Roads(#[from] crate::world::roads::RoadGraphError),
    /// The travel costs cannot be set up.
    #[error(transparent)]
    Costs(#[from] crate::world::routing::CostError),
    /// The population's parameters or households cannot be set up.
    #[error(transparent)]
    Agents(#[from] crate::agents::AgentError),
    /// A land-use code has no land class.
    #[error("land-use code {0} has no class")]
    NoLandClass(i32),
    /// A rain source that is not a design storm was taken for one.
    #[error("the rain source is not a Chicago design storm")]
    NotAStorm,
    /// An id names nothing.
    #[error("{field}: no \"{id}\"")]
    Unknown {
        /// The field.
        field: &'static str,
        /// The id.
        id: String,
    },
}

/// Load, parse and validate a scenario file, including the checks that build its
/// kernel inputs: what this accepts, the engine runs.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    crate::scenario::load_with(path, &Checks)
}

/// [`load`] for scenario text read from `path` (a replay's embedded scenario).
pub fn load_str(path: &Path, text: String) -> Result<Scenario, ScenarioError> {
    crate::scenario::load_str_with(path, text, &Checks)
}

/// The checks validation asks of setup.
#[derive(Debug)]
pub struct Checks;

impl InputChecks for Checks {
    fn series_file(&self, path: &Path) -> Result<Vec<(f64, f64)>, crate::scenario::load::Failed> {
        hydro::read_series_file(path)
            .map(|s| s.points().collect())
            .map_err(failed)
    }

    fn storm_series(
        &self,
        src: &SchemaRain,
    ) -> Option<Result<Vec<(f64, f64)>, crate::scenario::load::Failed>> {
        let storm = hydro::chicago_storm(src)?;
        Some(
            storm
                .series()
                .map(|s| s.points().collect())
                .map_err(|e| failed(e.into())),
        )
    }

    fn edge_cells(&self, spec: &GridSpec, edge: SchemaEdge, from: f64, to: f64) -> usize {
        hydro::segment(&crate::scenario::schema::EdgeSegment { edge, from, to })
            .cells(spec)
            .len()
    }

    fn model(&self, s: &Scenario) -> Result<(), crate::scenario::load::Failed> {
        hydro::build_model(s).map(|_| ()).map_err(failed)
    }

    fn people(&self, s: &Scenario) -> Result<(), crate::scenario::load::Failed> {
        people::build_people(s, s.file.meta.seed)
            .map(|_| ())
            .map_err(failed)
    }
}

fn failed(e: SetupError) -> crate::scenario::load::Failed {
    crate::scenario::load::Failed(e.to_string())
}
