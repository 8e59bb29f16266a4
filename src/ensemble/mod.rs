//! Ensembles for planners: every plan run on the same many members (storms, delays,
//! compliance, failures, seeds — drawn from the ensemble's hash and the member's
//! index), on this machine or sharded over a cluster, and merged into distributions,
//! paired differences with bootstrap intervals, probability maps and a report.
//!
//! How it works: [`spec`] loads and checks the specification against every plan's
//! scenario; [`member`] draws a member and applies it to a plan's scenario (a varied
//! `ScenarioFile`, checked like any scenario) and runs it headless with one kernel
//! thread, keeping what the merge needs in a `result.json`; [`local`] runs a shard's
//! unfinished members side by side in processes or threads, retrying a crashed one
//! once; [`merge`] reads results from any shard folders, sorts them by (plan, member)
//! and computes every figure from that order, so shards merged in any order give the
//! same bytes as one run.

pub mod html;
pub mod local;
pub mod member;
pub mod merge;
pub mod spec;
pub mod stats;

pub use local::{LocalOptions, LocalReport, Workers, run_shard};
pub use merge::merge;
pub use spec::Ensemble;

use std::path::{Path, PathBuf};

/// Load and check an ensemble specification, every plan's scenario and orders, and
/// the varied scenarios of every quantity at its lower bound, at its upper bound and
/// of member 0 — whatever the field checks missed (a storm too intense for the rain
/// limit, a storm that no longer fits its step) is refused before anything runs.
pub fn load(path: &Path) -> Result<Ensemble, crate::scenario::ScenarioError> {
    load_checked(path, true)
}

/// [`load`], optionally without trying the varied scenarios (a member's worker
/// process: the ensemble that started it has tried them).
pub fn load_checked(
    path: &Path,
    corners: bool,
) -> Result<Ensemble, crate::scenario::ScenarioError> {
    let e = spec::load_spec(path)?;
    if !corners {
        return Ok(e);
    }
    let cases = [
        (
            "every varied quantity at its lower bound",
            member::bound_draws(&e, false),
        ),
        (
            "every varied quantity at its upper bound",
            member::bound_draws(&e, true),
        ),
        ("member 0", member::draws(&e, 0)),
    ];
    let mut diagnostics = Vec::new();
    'plans: for (i, p) in e.plans.iter().enumerate() {
        for (what, d) in &cases {
            if let Err(msg) = member::scenario_with(&e, i, d) {
                diagnostics.push(spec::diagnostic(
                    &e,
                    "vary",
                    format!(
                        "plan {:?}: with {what}, the varied scenario does not load: {msg}",
                        p.spec.id
                    ),
                ));
                continue 'plans;
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(e)
    } else {
        Err(crate::scenario::ScenarioError { diagnostics })
    }
}

/// Why an ensemble command failed.
#[derive(Debug, thiserror::Error)]
pub enum EnsembleError {
    /// The specification (or a plan's scenario or orders) is bad.
    #[error("{0}")]
    Spec(crate::scenario::ScenarioError),
    /// A folder holds something else than this ensemble.
    #[error("{}: {message}", path.display())]
    Folder {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Runs are missing from the folders merged.
    #[error("{0}")]
    Incomplete(String),
    /// A bad command line.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl EnsembleError {
    /// The exit code: 2 for bad input, 1 for a failure to write.
    pub fn exit_code(&self) -> u8 {
        match self {
            EnsembleError::Io { .. } => 1,
            _ => 2,
        }
    }
}
