//! The output folder of a run, kept consistent through a kill at any moment.
//!
//! How it works: a run writes everything into a fresh folder `DIR/partial-<run id>/`
//! (its replay is flushed there snapshot by snapshot) while `DIR/RUNNING` names the run,
//! its process and its partial folder. The previous run's files stay in `DIR`, complete
//! and untouched, until the new run has written all of its own. Then the marker turns to
//! the `moving` phase and lists both sets; the previous files are moved (renamed) into
//! `DIR/previous-<run id>/`, the new ones into `DIR`, the marker is removed and, last,
//! the previous files deleted.
//!
//! What a kill leaves:
//! - while the run runs (or writes its outputs): the previous run's complete outputs in
//!   `DIR`, the `RUNNING` marker, and the killed run's partial outputs in
//!   `DIR/partial-<run id>/` (its `drill.replay` opens up to its last snapshot);
//! - while the files move (a few renames): the marker in the `moving` phase; `DIR` holds
//!   some previous files or some new ones, never both (the previous ones leave before the
//!   new ones arrive), and the rest sit in `previous-<id>/` and `partial-<id>/`. The next
//!   run into `DIR` finishes the move first (the new run's outputs are complete);
//! - after the marker is removed: the new run's complete outputs (and perhaps a
//!   `previous-<id>/` folder the next run removes).
//!
//! A run refuses to start while the marker names a process that is still alive.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RunError;
use crate::scenario::Scenario;

/// The marker of a run in progress.
pub const MARKER: &str = "RUNNING";
const PARTIAL: &str = "partial-";
const PREVIOUS: &str = "previous-";

/// Names a run writes (for telling a run's files from the user's when the previous run's
/// summary does not list its files).
const KNOWN: &[&str] = &[
    "summary.json",
    "scorecard.json",
    "report.html",
    "maps",
    super::REPLAY_FILE,
    "events.jsonl",
    "households.csv",
    "households_final.csv",
    "tracks.csv",
    "rescues.csv",
    "probes.csv",
    "boundaries.csv",
    "water_balance.csv",
    "max_depth.asc",
    "max_velocity.asc",
    "max_hazard.asc",
    "time_first_flooded.asc",
];

/// What `DIR/RUNNING` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    /// What the file is, for a person who opens it.
    pub note: String,
    /// The run writing into the folder.
    pub run_id: String,
    /// Its process id.
    pub pid: u32,
    /// When it started (UTC, RFC 3339).
    pub started: String,
    /// Its scenario file.
    pub scenario: String,
    /// `running` (outputs go to `partial`) or `moving` (files being moved into place).
    pub phase: String,
    /// The folder (in `DIR`) the run writes into.
    pub partial: String,
    /// In the `moving` phase: the folder the previous files move to.
    #[serde(default)]
    pub previous: String,
    /// In the `moving` phase: the previous run's files being moved aside.
    #[serde(default)]
    pub previous_files: Vec<String>,
    /// In the `moving` phase: the new run's files being moved in.
    #[serde(default)]
    pub new_files: Vec<String>,
}

/// A fresh run id: UTC time and process id (`20260715T140000Z-4242`).
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    )
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    }
}

fn write_marker(dir: &Path, m: &Marker) -> Result<(), RunError> {
    super::write_json(&dir.join(MARKER), m)
}

fn read_marker(dir: &Path) -> Option<Marker> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    serde_json::from_str(&text).ok()
}

fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        // No way to tell: assume the marker is stale rather than block every run.
        return false;
    }
    // A zombie (killed, not yet reaped) has a /proc entry but runs no more.
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Top-level names in `dir`, sorted.
pub fn list(dir: &Path) -> Result<Vec<String>, RunError> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        v.push(e.file_name().to_string_lossy().into_owned());
    }
    v.sort();
    Ok(v)
}

fn is_run_file(name: &str) -> bool {
    KNOWN.contains(&name)
        || (name.starts_with("depth_") && name.ends_with(".asc"))
        || name.ends_with(".part")
}

/// The previous run's files in `dir`: those its summary lists, the names a run writes,
/// and the names the new run brings (they would be replaced anyway).
fn previous_files(dir: &Path, new: &[String]) -> Result<Vec<String>, RunError> {
    let listed: Vec<String> = std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.get("files")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
        })
        .unwrap_or_default();
    Ok(list(dir)?
        .into_iter()
        .filter(|n| {
            n != MARKER
                && !n.starts_with(PARTIAL)
                && !n.starts_with(PREVIOUS)
                && (listed.contains(n) || is_run_file(n) || new.contains(n))
        })
        .collect())
}

fn remove_any(p: &Path) -> std::io::Result<()> {
    if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    }
}

/// Move the previous files aside, the new ones in, then drop the marker and the
/// previous files. Safe to repeat after a kill part-way (what is already moved is
/// skipped).
fn move_into_place(dir: &Path, m: &Marker) -> Result<(), RunError> {
    let partial = dir.join(&m.partial);
    let previous = dir.join(&m.previous);
    std::fs::create_dir_all(&previous).map_err(io(&previous))?;
    for n in &m.previous_files {
        let from = dir.join(n);
        if from.symlink_metadata().is_ok() {
            let to = previous.join(n);
            if to.symlink_metadata().is_ok() {
                remove_any(&to).map_err(io(&to))?;
            }
            std::fs::rename(&from, &to).map_err(io(&from))?;
        }
    }
    for n in &m.new_files {
        let from = partial.join(n);
        if from.symlink_metadata().is_ok() {
            let to = dir.join(n);
            if to.symlink_metadata().is_ok() {
                // Not a previous file (they have left): a stray of the same name.
                remove_any(&to).map_err(io(&to))?;
            }
            std::fs::rename(&from, &to).map_err(io(&from))?;
        }
    }
    let marker = dir.join(MARKER);
    std::fs::remove_file(&marker).map_err(io(&marker))?;
    let _ = std::fs::remove_dir_all(&partial);
    let _ = std::fs::remove_dir_all(&previous);
    Ok(())
}

/// Get `dir` ready for a new run: finish a move a killed run left half done, refuse
/// if another run is alive in it, note a killed run's partial outputs, write the marker
/// and create the run's partial folder (returned).
pub fn begin(
    dir: &Path,
    run_id: &str,
    scenario: &Scenario,
    notes: &mut Vec<String>,
) -> Result<PathBuf, RunError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    if let Some(m) = read_marker(dir) {
        if alive(m.pid) {
            return Err(RunError::Busy(format!(
                "{}: run {} (process {}) is writing into this folder; give another --out, or \
                 wait for it (if that process is not floodrill, delete {})",
                dir.display(),
                m.run_id,
                m.pid,
                dir.join(MARKER).display()
            )));
        }
        if m.phase == "moving" {
            move_into_place(dir, &m)?;
            notes.push(format!(
                "run {} was stopped while it moved its outputs into place; the move was \
                 finished before this run started",
                m.run_id
            ));
        } else {
            let p = dir.join(&m.partial);
            if p.is_dir() {
                notes.push(format!(
                    "run {} did not finish (killed); its partial outputs are in {} (its {} \
                     opens up to its last snapshot); delete that folder when done with it",
                    m.run_id,
                    p.display(),
                    super::REPLAY_FILE
                ));
            }
            let marker = dir.join(MARKER);
            std::fs::remove_file(&marker).map_err(io(&marker))?;
        }
    }
    // Previous files left after a completed move (the run was killed just after it).
    for n in list(dir)? {
        if n.starts_with(PREVIOUS) {
            let _ = std::fs::remove_dir_all(dir.join(n));
        }
    }
    let partial_name = format!("{PARTIAL}{run_id}");
    let partial = dir.join(&partial_name);
    std::fs::create_dir(&partial).map_err(io(&partial))?;
    write_marker(
        dir,
        &Marker {
            note: format!(
                "floodrill run {run_id} is writing into {partial_name}/; the other files here \
                 are the previous run's until it ends. If this run was killed, {partial_name}/ \
                 holds its partial outputs."
            ),
            run_id: run_id.to_string(),
            pid: std::process::id(),
            started: chrono::Utc::now().to_rfc3339(),
            scenario: scenario.path.display().to_string(),
            phase: "running".into(),
            partial: partial_name,
            previous: String::new(),
            previous_files: Vec::new(),
            new_files: Vec::new(),
        },
    )?;
    Ok(partial)
}

/// Move the run's files (`files`, all in its partial folder) into `dir` in place of the
/// previous run's.
pub fn commit(
    dir: &Path,
    run_id: &str,
    files: &[String],
    notes: &mut Vec<String>,
) -> Result<(), RunError> {
    let mut m = read_marker(dir).ok_or_else(|| RunError::Output {
        path: dir.join(MARKER),
        source: std::io::Error::other("the run's marker is gone (removed by another program?)"),
    })?;
    if m.run_id != run_id {
        return Err(RunError::Busy(format!(
            "{}: another run ({}) took this folder over while run {run_id} ran; this run's \
             outputs stay in {}",
            dir.display(),
            m.run_id,
            dir.join(format!("{PARTIAL}{run_id}")).display()
        )));
    }
    let previous = previous_files(dir, files)?;
    let stale: Vec<&str> = previous
        .iter()
        .filter(|n| !files.contains(n))
        .map(String::as_str)
        .collect();
    if !stale.is_empty() {
        notes.push(format!(
            "removed the previous run's files this run does not write: {}",
            stale.join(", ")
        ));
    }
    m.phase = "moving".into();
    m.previous = format!("{PREVIOUS}{run_id}");
    m.previous_files = previous;
    m.new_files = files.to_vec();
    m.note = format!(
        "floodrill run {run_id} is moving its complete outputs from {}/ into this folder and \
         the previous run's into {}/; if it was killed, the next run finishes the move",
        m.partial, m.previous
    );
    write_marker(dir, &m)?;
    move_into_place(dir, &m)
}
