//! Issue 11, runs: a run that cannot progress stops itself (watchdog, Ctrl-C inside a
//! tick), `--until` between tick boundaries, outputs that survive a SIGKILL at any
//! moment, the hydraulic modeller's outputs and `--threads` limits.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
        .unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

/// A copy of the mini fixture with `mini.ron` edited by `edits` (from → to).
fn mini_edited(edits: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = common::mini_copy();
    let mut text = std::fs::read_to_string(dir.path().join("mini.ron")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "fixture lacks {from:?}");
        text = text.replacen(from, to, 1);
    }
    let p = dir.path().join("edited.ron");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn wait(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < deadline, "the run did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_tick_over_its_wall_time_limit_stops_with_exit_1_and_a_readable_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let scen = common::mini_dir().join("mini.ron");
    let out = dir.path().join("o");
    let (code, o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--max-tick-wall",
        "0s",
    ]);
    assert_eq!(code, 1, "{o}{e}");
    assert!(e.contains("cannot progress"), "{e}");
    assert!(e.contains("wall time"), "{e}");
    assert!(e.contains("Likely cause"), "{e}");
    // No number of dozens of digits.
    let longest = e
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 25, "a number of {longest} characters: {e}");
    // The failed run's outputs are in place and say it failed.
    let s = json(&out.join("summary.json"));
    assert_eq!(s["status"], "failed");
    assert!(!out.join("RUNNING").exists());
}

#[test]
fn ctrl_c_inside_a_stalled_tick_is_honoured_and_exits_130() {
    // One long tick, interrupted inside.
    let (dir, scen) = mini_edited(&[
        ("tick: \"10s\"", "tick: \"10m\""),
        (
            "rain: (",
            "hydro: (max_dt: \"0.06s\", initial_depth_m: 0.2),\n    rain: (",
        ),
    ]);
    // The same district on 0.25 m cells (512,000 of them) under 0.2 m of water: one
    // 10-minute tick is thousands of sub-steps over the whole grid, long enough to be
    // interrupted inside. (Ticks that never end are refused at validation now.)
    let (nx, ny) = (800usize, 640usize);
    let mut dem = format!(
        "ncols {nx}\nnrows {ny}\nxllcorner 1000.0\nyllcorner 2000.0\ncellsize 0.25\nNODATA_value -9999\n"
    );
    let mut lu = dem.clone();
    for _ in 0..ny {
        for i in 0..nx {
            dem.push_str(&format!("{:.3} ", 10.0 - 0.005 * i as f64));
            lu.push_str("2 ");
        }
        dem.push('\n');
        lu.push('\n');
    }
    std::fs::write(dir.path().join("dem.asc"), dem).unwrap();
    std::fs::write(dir.path().join("landuse.asc"), lu).unwrap();
    let out = dir.path().join("o");
    let mut child = Command::new(env!("CARGO_BIN_EXE_floodrill"))
        .args([
            "run",
            scen.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is inside its only tick (its marker is written before it).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !out.join("RUNNING").exists() {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the tick ended too soon"
    );
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let st = wait(&mut child, 20);
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(st.code(), Some(130), "{err}");
    let s = json(&out.join("summary.json"));
    assert_eq!(s["status"], "interrupted");
    assert_eq!(s["ticks"], 0, "stopped inside the first tick");
    assert!(out.join("water_balance.csv").is_file());
    // The replay opens up to its last whole tick.
    let (code, o, e) = common::floodrill(&["replay", out.join("drill.replay").to_str().unwrap()]);
    assert_eq!(code, 0, "{o}{e}");
}

#[test]
fn until_between_tick_boundaries_stops_at_the_last_boundary_with_a_note() {
    let (dir, scen) = mini_edited(&[("tick: \"10s\"", "tick: \"10m\"")]);
    let out = dir.path().join("o");
    let (code, o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--until",
        "25m",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(e.contains("not on a tick boundary"), "{e}");
    let s = json(&out.join("summary.json"));
    assert_eq!(s["sim_time_s"], 1200.0, "stops at 0:20:00, not 0:30:00");
    // Shorter than one tick: refused, saying what to give.
    let (code, _o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--until",
        "5m",
    ]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("meta.tick") && e.contains("0:10:00"), "{e}");
}

/// After a kill, `dir` holds one run's files: either the first run's complete set
/// (with the second run's marker and partial folder) or the second's complete set.
fn check_consistent(dir: &Path, first_id: &str) {
    let s = json(&dir.join("summary.json"));
    let id = s["run_id"].as_str().unwrap().to_string();
    let running = dir.join("RUNNING").exists();
    if running {
        let m = json(&dir.join("RUNNING"));
        assert_ne!(m["run_id"].as_str().unwrap(), first_id);
        if m["phase"] == "moving" {
            // Killed while the files moved: the next run finishes the move; DIR holds
            // files of one run only (checked below through the summary when present).
            return;
        }
        assert_eq!(id, first_id, "a marker and the new summary together");
        let partial = dir.join(m["partial"].as_str().unwrap());
        assert!(partial.is_dir());
        let rp = partial.join("drill.replay");
        if rp.metadata().is_ok_and(|m| m.len() > 0) {
            let (code, o, e) = common::floodrill(&["replay", rp.to_str().unwrap()]);
            // A replay cut before its first line is complete may not open; one with a
            // header does.
            assert!(code == 0 || code == 2, "{o}{e}");
        }
    }
    for f in s["files"].as_array().unwrap() {
        let f = f.as_str().unwrap();
        assert!(dir.join(f).exists(), "{f} of run {id} missing");
    }
    assert_eq!(json(&dir.join("scorecard.json"))["run_id"], id.as_str());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains(&format!("content=\"{id}\"")),
        "report of another run"
    );
    // The replay in place is complete and verifies, and ends on the summary's state.
    let (code, o, e) = common::floodrill(&[
        "replay",
        dir.join("drill.replay").to_str().unwrap(),
        "--verify",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("complete:"), "{o}");
    let digest = s["final_state_digest"].as_str().unwrap();
    assert!(o.contains(&digest[..16]), "replay of another run: {o}");
}

#[test]
fn sigkill_at_any_moment_leaves_one_runs_outputs_and_the_previous_replay_intact() {
    let (dir, scen) = mini_edited(&[]);
    let out = dir.path().join("o");
    let (code, o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let first = json(&out.join("summary.json"))["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    check_consistent(&out, &first);
    // A slower second run (smaller steps) to kill at several moments.
    let (_d2, slow) = mini_edited(&[("rain: (", "hydro: (max_dt: \"0.05s\"),\n    rain: (")]);
    let mut prev_first = first.clone();
    for ms in [0u64, 40, 150, 400, 800, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_floodrill"))
            .args([
                "run",
                slow.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill();
        let _ = child.wait();
        check_consistent(&out, &prev_first);
        let now = json(&out.join("summary.json"))["run_id"]
            .as_str()
            .unwrap()
            .to_string();
        prev_first = now;
    }
    // A run after the kills completes and takes the folder over cleanly.
    let (code, o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(!out.join("RUNNING").exists());
    check_consistent(&out, "");
}

#[test]
fn a_run_killed_while_moving_its_files_is_finished_by_the_next_run() {
    // Stage a half-done move by hand, as a kill between two renames leaves it.
    let (dir, scen) = mini_edited(&[]);
    let out = dir.path().join("o");
    let run = || {
        common::floodrill(&[
            "run",
            scen.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
    };
    assert_eq!(run().0, 0);
    let done = dir.path().join("done");
    std::fs::rename(&out, &done).unwrap();
    std::fs::create_dir(&out).unwrap();
    let id = json(&done.join("summary.json"))["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let partial = format!("partial-{id}");
    std::fs::rename(&done, out.join(&partial)).unwrap();
    let files: Vec<String> = std::fs::read_dir(out.join(&partial))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Half moved: summary.json already in place.
    std::fs::rename(
        out.join(&partial).join("summary.json"),
        out.join("summary.json"),
    )
    .unwrap();
    let marker = serde_json::json!({
        "note": "test", "run_id": id, "pid": 1_000_000_000u32, "started": "", "scenario": "",
        "phase": "moving", "partial": partial, "previous": format!("previous-{id}"),
        "previous_files": [], "new_files": files,
    });
    std::fs::write(out.join("RUNNING"), marker.to_string()).unwrap();
    let (code, o, e) = run();
    assert_eq!(code, 0, "{o}{e}");
    assert!(e.contains("the move was finished"), "{e}");
    assert!(!out.join(&partial).exists());
    check_consistent(&out, "");
}

#[test]
fn hydraulic_outputs_have_nodata_headers_series_interval_rows_and_boundary_hydrographs() {
    let dir = tempfile::tempdir().unwrap();
    let scen = common::mini_dir().join("mini.ron");
    let out = dir.path().join("o");
    let (code, o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--hydraulics-only",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    for f in ["max_depth.asc", "max_velocity.asc", "depth_30m.asc"] {
        let t = std::fs::read_to_string(out.join(f)).unwrap();
        assert_eq!(
            t.lines().nth(5),
            Some("NODATA_value -9999"),
            "{f} has a 6-line header"
        );
    }
    // One probe row per series_interval (1 min), not per 10 s tick.
    let probes = std::fs::read_to_string(out.join("probes.csv")).unwrap();
    assert_eq!(probes.lines().count(), 1 + 60, "{probes}");
    // The outflow hydrograph: one row per minute, and its volume is the balance's.
    let b = std::fs::read_to_string(out.join("boundaries.csv")).unwrap();
    let mut lines = b.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,FreeOutflow_East_2000-2160_in_m3_s,FreeOutflow_East_2000-2160_out_m3_s")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 60);
    let vol: f64 = rows.iter().map(|r| r[2] * 60.0).sum();
    let s = json(&out.join("summary.json"));
    let bal = s["figures"]["boundary_out_m3"].as_f64().unwrap();
    assert!(bal > 0.0);
    assert!((vol - bal).abs() < 1e-3 * bal + 1e-3, "{vol} vs {bal}");
    // Hydraulics only: no replay, scorecard or report, and the summary says why.
    for f in ["drill.replay", "scorecard.json", "report.html"] {
        assert!(!out.join(f).exists(), "{f} written");
    }
    assert!(s["scorecard"].is_null());
    assert!(s["verdict"].as_str().unwrap().contains("hydraulics-only"));
}

#[test]
fn absurd_thread_counts_are_refused_and_more_than_the_cores_warns() {
    let scen = common::mini_dir().join("mini.ron");
    let (code, _o, e) = common::floodrill(&["run", scen.to_str().unwrap(), "--threads", "1000"]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("256"), "{e}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 256 {
        let dir = tempfile::tempdir().unwrap();
        let n = (cores + 1).to_string();
        let (code, o, e) = common::floodrill(&[
            "run",
            scen.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
            "--quiet",
            "--until",
            "1m",
            "--threads",
            &n,
        ]);
        assert_eq!(code, 0, "{o}{e}");
        assert!(e.contains("warning") && e.contains("core"), "{e}");
    }
}
