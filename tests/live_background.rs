//! The console's drill runs below the window's priority: with `background` set, the
//! worker thread and the kernel pool's threads have nice +10, the caller keeps its
//! own. (A file of its own: no other test's threads run in this process.)

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use floodrill::engine::EngineOptions;
use floodrill::live::{LiveOptions, LiveSim, Update};

/// The nice value of every thread of this process whose name starts with `prefix`.
#[cfg(target_os = "linux")]
fn nice_of_threads(prefix: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // Fields after the name in parentheses: state is field 3, nice field 19.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            out.push(fields[16].parse().unwrap());
        }
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn a_background_drill_runs_its_threads_below_the_window() {
    let dir = common::mini_copy();
    let scenario = Arc::new(floodrill::setup::load(&dir.path().join("mini.ron")).unwrap());
    let live = LiveSim::start(
        scenario,
        LiveOptions {
            engine: EngineOptions {
                seed: None,
                threads: Some(2),
            },
            paused: true,
            background: true,
            ..LiveOptions::default()
        },
    )
    .unwrap();
    // The first view: the worker and its pool are set up.
    let until = Instant::now() + Duration::from_secs(120);
    while !matches!(live.wait(Duration::from_millis(200)), Some(Update::View(_))) {
        assert!(Instant::now() < until, "no view within two minutes");
    }
    let worker = nice_of_threads("floodrill-sim");
    let kernels = nice_of_threads("floodrill-kerne");
    assert_eq!(worker, [10], "the worker thread");
    assert_eq!(kernels, [10, 10], "the kernel pool's threads");
    let own = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let own: i64 = own
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect::<Vec<_>>()[16]
        .parse()
        .unwrap();
    assert_eq!(own, 0, "the calling (window's) thread keeps its priority");
    live.finish().unwrap();
}
