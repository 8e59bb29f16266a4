//! Running an ensemble's members on this machine: a shard of them (`--shard i/N` takes
//! the members whose index is `i` modulo `N`), `jobs` at a time, each in its own
//! process (default) or thread, each run's kernels on one thread.
//!
//! Layout of the output folder:
//! - `ensemble.json` — the manifest: the ensemble's name, hash, members, plans and the
//!   specification's path and text; a folder holds one ensemble only.
//! - `members/<plan>/<index>/result.json` — a finished member (written under a
//!   temporary name, then renamed: it exists only complete). A rerun skips it.
//! - `members/<plan>/<index>/run/` — the member's run outputs (no replay).
//! - `members/<plan>/<index>/failed.txt` — why a member failed twice; rerun retries it.
//! - `members/<plan>/<index>/timing.json` — its wall time (kept out of the result, so
//!   results are the same bytes on any machine).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::EnsembleError;
use super::member::{MemberResult, run_member};
use super::spec::Ensemble;

/// The manifest file of an ensemble's output folder.
pub const MANIFEST: &str = "ensemble.json";

/// How the members run side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Workers {
    /// Each member in a child process (`floodrill ensemble member …`).
    #[default]
    Processes,
    /// Each member in a thread of this process.
    Threads,
}

/// What an ensemble's output folder holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Ensemble name.
    pub name: String,
    /// The ensemble's hash.
    pub hash: String,
    /// Members.
    pub members: u32,
    /// Plans: (id, name).
    pub plans: Vec<(String, String)>,
    /// The specification file as given.
    pub spec_file: String,
    /// The specification's text.
    pub spec_text: String,
    /// Engine version.
    pub engine_version: String,
}

impl Manifest {
    /// The manifest of an ensemble.
    pub fn of(e: &Ensemble) -> Self {
        Self {
            name: e.file.name.clone(),
            hash: e.hash.clone(),
            members: e.file.members,
            plans: e
                .plans
                .iter()
                .map(|p| (p.spec.id.clone(), p.spec.name.clone()))
                .collect(),
            spec_file: std::fs::canonicalize(&e.path)
                .unwrap_or_else(|_| e.path.clone())
                .display()
                .to_string(),
            spec_text: e.text.clone(),
            engine_version: crate::ENGINE_VERSION.to_string(),
        }
    }
}

/// Options of a local run.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Output folder.
    pub out: PathBuf,
    /// This shard, of how many: (i, N).
    pub shard: (u32, u32),
    /// Members at a time.
    pub jobs: usize,
    /// Processes or threads.
    pub workers: Workers,
    /// The floodrill executable (for processes).
    pub exe: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
}

/// What a local run did.
#[derive(Debug, Clone, Default)]
pub struct LocalReport {
    /// Runs (plan × member) in the shard.
    pub tasks: usize,
    /// Already finished before this run (skipped).
    pub skipped: usize,
    /// Run now.
    pub ran: usize,
    /// Succeeded only on the second attempt: (plan, member, first error).
    pub retried: Vec<(String, u32, String)>,
    /// Failed twice: (plan, member, error).
    pub failed: Vec<(String, u32, String)>,
    /// Interrupted (Ctrl-C) before all were run.
    pub interrupted: bool,
    /// Wall time, s.
    pub wall_s: f64,
}

/// The folder of one member of one plan.
pub fn member_dir(out: &Path, plan: &str, index: u32) -> PathBuf {
    out.join("members").join(plan).join(format!("{index:05}"))
}

/// The finished result in a member folder, if there is one for this ensemble.
pub fn finished(dir: &Path, hash: &str) -> Option<MemberResult> {
    let text = std::fs::read_to_string(dir.join("result.json")).ok()?;
    let r: MemberResult = serde_json::from_str(&text).ok()?;
    (r.ensemble_hash == hash).then_some(r)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EnsembleError + '_ {
    move |source| EnsembleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write a file under a temporary name, then rename it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EnsembleError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io_err(d))?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Create the output folder with its manifest, or check that it holds this ensemble.
pub fn prepare(e: &Ensemble, out: &Path) -> Result<(), EnsembleError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let path = out.join(MANIFEST);
    let m = Manifest::of(e);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let old: Manifest = serde_json::from_str(&text).map_err(|err| EnsembleError::Folder {
            path: path.clone(),
            message: format!("not an ensemble manifest ({err})"),
        })?;
        if old.hash != m.hash {
            return Err(EnsembleError::Folder {
                path,
                message: format!(
                    "holds another ensemble ({:?}, hash {}…; this one is {}…): the specification, a plan's scenario or orders, or the engine changed. Use another --out, or remove the folder",
                    old.name,
                    &old.hash[..12],
                    &m.hash[..12]
                ),
            });
        }
        return Ok(());
    }
    let text = serde_json::to_string_pretty(&m).unwrap_or_default() + "\n";
    write_atomic(&path, text.as_bytes())
}

/// Run plan `plan` in member `index` and write its result into its folder (used by a
/// child process and by a thread worker alike).
pub fn run_and_write(
    e: &Ensemble,
    out: &Path,
    plan: usize,
    index: u32,
    stop: &Arc<AtomicBool>,
) -> Result<MemberResult, String> {
    let dir = member_dir(out, &e.plans[plan].spec.id, index);
    std::fs::create_dir_all(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let started = Instant::now();
    let r = run_member(e, plan, index, &dir, 1, stop)?;
    let text = serde_json::to_string_pretty(&r).map_err(|err| err.to_string())? + "\n";
    let timing = serde_json::json!({ "wall_s": started.elapsed().as_secs_f64() });
    write_atomic(&dir.join("timing.json"), timing.to_string().as_bytes())
        .map_err(|err| err.to_string())?;
    write_atomic(&dir.join("result.json"), text.as_bytes()).map_err(|err| err.to_string())?;
    let _ = std::fs::remove_file(dir.join("failed.txt"));
    Ok(r)
}

fn attempt(
    e: &Ensemble,
    o: &LocalOptions,
    plan: usize,
    index: u32,
    stop: &Arc<AtomicBool>,
) -> Result<(), String> {
    match o.workers {
        Workers::Threads => {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_and_write(e, &o.out, plan, index, stop)
            }));
            match r {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(m)) => Err(m),
                Err(p) => Err(format!(
                    "panicked: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
            }
        }
        Workers::Processes => {
            let child = std::process::Command::new(&o.exe)
                .arg("ensemble")
                .arg("member")
                .arg(&e.path)
                .arg("--out")
                .arg(&o.out)
                .arg("--plan")
                .arg(&e.plans[plan].spec.id)
                .arg("--member")
                .arg(index.to_string())
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|err| format!("cannot start {}: {err}", o.exe.display()))?;
            let out = child
                .wait_with_output()
                .map_err(|err| format!("lost the member's process: {err}"))?;
            if out.status.success() {
                Ok(())
            } else {
                let err = String::from_utf8_lossy(&out.stderr);
                let tail: Vec<&str> = err.lines().rev().take(6).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Err(format!("exited with {}: {}", out.status, tail.join(" | ")))
            }
        }
    }
}

/// Run this shard's members that are not finished yet.
pub fn run_shard(
    e: &Ensemble,
    o: &LocalOptions,
    stop: &Arc<AtomicBool>,
) -> Result<LocalReport, EnsembleError> {
    prepare(e, &o.out)?;
    let started = Instant::now();
    let (i, n) = o.shard;
    let mut todo = Vec::new();
    let mut report = LocalReport::default();
    for m in (0..e.file.members).filter(|m| m % n == i) {
        for p in 0..e.plans.len() {
            report.tasks += 1;
            let dir = member_dir(&o.out, &e.plans[p].spec.id, m);
            if finished(&dir, &e.hash).is_some() {
                report.skipped += 1;
            } else {
                todo.push((p, m));
            }
        }
    }
    let bar = if o.progress {
        let b = indicatif::ProgressBar::new(report.tasks as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:32}] {pos}/{len} runs  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_prefix(e.file.name.clone());
        b.set_position(report.skipped as u64);
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results = Mutex::new((Vec::new(), Vec::new()));
    let jobs = o.jobs.clamp(1, todo.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(p, m)) = todo.get(k) else { return };
                    let id = e.plans[p].spec.id.clone();
                    let first = attempt(e, o, p, m, stop);
                    let outcome = match first {
                        Ok(()) => Ok(None),
                        Err(_) if stop.load(Ordering::Relaxed) => return,
                        Err(err1) => match attempt(e, o, p, m, stop) {
                            Ok(()) => Ok(Some(err1)),
                            Err(_) if stop.load(Ordering::Relaxed) => return,
                            Err(err2) => Err(err2),
                        },
                    };
                    let mut r = results.lock().unwrap_or_else(|p| p.into_inner());
                    match outcome {
                        Ok(None) => {}
                        Ok(Some(err1)) => r.0.push((id, m, err1)),
                        Err(err2) => {
                            let dir = member_dir(&o.out, &id, m);
                            let _ = write_atomic(&dir.join("failed.txt"), err2.as_bytes());
                            r.1.push((id, m, err2));
                        }
                    }
                    drop(r);
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    bar.inc(1);
                    let el = started.elapsed().as_secs_f64();
                    let left = todo.len().saturating_sub(d);
                    bar.set_message(format!(
                        "ETA {}",
                        crate::scenario::format_clock(el / d as f64 * left as f64)
                    ));
                }
            });
        }
    });
    bar.finish_and_clear();
    let (mut retried, mut failed) = results.into_inner().unwrap_or_else(|p| p.into_inner());
    retried.sort();
    failed.sort();
    report.ran = done.load(Ordering::Relaxed);
    report.retried = retried;
    report.failed = failed;
    report.interrupted = stop.load(Ordering::Relaxed) && report.ran < todo.len();
    report.wall_s = started.elapsed().as_secs_f64();
    Ok(report)
}
