//! What a run reports of itself: `summary.json` ([`RunSummary`]). The runner fills it
//! in; the report and the terminal table read it.

use serde::Serialize;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Ran to the end (or to `--until`).
    Completed,
    /// Stopped by Ctrl-C after finishing the current tick.
    Interrupted,
    /// Stopped by a numerical failure; outputs up to then were written.
    Failed,
}

/// What `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// This run's id (also in the `RUNNING` marker while it runs, in `scorecard.json`
    /// and in `report.html`).
    pub run_id: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    pub scenario_file: String,
    /// blake3 of the scenario text.
    pub scenario_hash: String,
    /// Seed in force.
    pub seed: u64,
    /// floodrill version.
    pub engine_version: String,
    /// How the run ended.
    pub status: RunStatus,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    /// Ticks simulated.
    pub ticks: u64,
    /// Tick length, seconds.
    pub tick_s: f64,
    /// Sim time reached, seconds.
    pub sim_time_s: f64,
    /// Sim time reached, as a clock.
    pub sim_time: String,
    /// Wall-clock time of the simulation loop, seconds.
    pub wall_time_s: f64,
    /// Sim seconds per wall second.
    pub realtime_factor: f64,
    /// Kernel threads.
    pub threads: usize,
    /// Digest of the final state (hex).
    pub final_state_digest: String,
    /// Domain figures (hydraulics, people, …) added by the output writers.
    pub figures: serde_json::Map<String, serde_json::Value>,
    /// Recovered numerical problems (retried sub-steps), in order.
    pub diagnostics: Vec<String>,
    /// Scenario sections that were validated and carried but whose behaviour this
    /// version does not simulate yet.
    pub not_yet_simulated: Vec<String>,
    /// The four-in-place scorecard (also in `scorecard.json`); absent when there is
    /// nothing to judge or the run was hydraulics-only.
    pub scorecard: Option<crate::scoring::Scorecard>,
    /// Why there is no scorecard, if there is none.
    pub verdict: Option<String>,
    /// The executive summary of the after-action report (the score, the costliest
    /// failure and its cause, the change that would help most).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub executive_summary: Vec<String>,
    /// Things the trainer should know about this run (a `--until` moved to a tick
    /// boundary, an earlier killed run found in the folder, …).
    pub notes: Vec<String>,
    /// The replay this run branched from (`run --from`), if any.
    pub parent: Option<crate::replay::Parent>,
    /// The files and folders this run wrote into the output folder.
    pub files: Vec<String>,
}
