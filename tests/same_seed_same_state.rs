//! Determinism: the same scenario and seed give the same state digest, run after run
//! and on 1 or 2 kernel threads; a different seed is allowed to differ.

mod common;

use std::sync::Arc;

use floodrill::engine::{Engine, EngineOptions};

fn digest(threads: usize, seed: Option<u64>) -> String {
    let s = floodrill::setup::load(&common::mini_dir().join("mini.ron")).expect("mini validates");
    let mut e = Engine::new(
        Arc::new(s),
        EngineOptions {
            seed,
            threads: Some(threads),
        },
    )
    .expect("the engine sets up");
    e.run_until(f64::INFINITY).expect("runs");
    assert!(e.finished());
    e.digest()
}

#[test]
fn two_runs_give_the_same_digest() {
    assert_eq!(digest(2, None), digest(2, None));
}

#[test]
fn one_and_two_threads_give_the_same_digest() {
    assert_eq!(digest(1, None), digest(2, None));
}

#[test]
fn cli_runs_agree_across_threads() {
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let scen = common::mini_dir().join("mini.ron");
    for (dir, threads) in [(&d1, "1"), (&d2, "2")] {
        let (code, out, err) = common::floodrill(&[
            "run",
            scen.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
            "--threads",
            threads,
            "--quiet",
        ]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let read = |d: &tempfile::TempDir| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.path().join("summary.json")).unwrap())
            .unwrap()
    };
    let (a, b) = (read(&d1), read(&d2));
    assert_eq!(a["final_state_digest"], b["final_state_digest"]);
    assert_eq!(a["threads"], 1);
    assert_eq!(a["status"], "completed");
    assert_eq!(a["seed"], 42);
}
