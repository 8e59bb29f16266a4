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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The mini fixture of the integration tests.
    pub(crate) fn mini() -> Scenario {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini/mini.ron");
        load(&p).expect("the mini scenario validates")
    }

    #[test]
    fn load_reports_what_only_setup_can_check_at_its_field() {
        // A series file that does not parse: only setup reads series files.
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini");
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        std::fs::write(dir.path().join("rain.csv"), "time,value\n0s,abc\n").unwrap();
        let text = std::fs::read_to_string(dir.path().join("mini.ron")).unwrap();
        let i = text.find("sources: [").expect("a rain source list");
        let text = format!(
            "{}sources: [Uniform(series: File(\"rain.csv\")), {}",
            &text[..i],
            &text[i + "sources: [".len()..]
        );
        let err = load_str(&dir.path().join("mini.ron"), text).unwrap_err();
        let d = &err.diagnostics[0];
        assert!(d.field.starts_with("rain.sources[0]"), "{err}");
        assert!(d.message.contains("rain.csv"), "{err}");
    }

    #[test]
    fn checks_count_the_cells_a_boundary_segment_covers() {
        let s = mini();
        let spec = s.dem.spec;
        let (x0, x1) = (spec.xll, spec.xll + spec.cell * spec.ncols as f64);
        assert_eq!(
            Checks.edge_cells(&spec, SchemaEdge::North, x0, x1),
            spec.ncols
        );
        // A segment between two cell centres covers none.
        let c = spec.xll + spec.cell * 0.6;
        assert_eq!(
            Checks.edge_cells(&spec, SchemaEdge::North, c, c + 0.2 * spec.cell),
            0
        );
    }
}
