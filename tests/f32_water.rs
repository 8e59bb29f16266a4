//! The water in f32 (`hydro: (precision: F32)`): a drill runs in it, bit-identical on 1
//! and 2 threads; its replay verifies; its water balance and its maximum depths stay
//! close to the f64 run's (the balance closes to round-off of f32, not of f64).

mod common;

use std::path::Path;
use std::sync::Arc;

use floodrill::engine::{Engine, EngineOptions};

/// A copy of the mini fixture whose scenario stores the water in f32 (`mini_f32.ron`).
fn f32_copy() -> tempfile::TempDir {
    let dir = common::mini_copy();
    let text = common::mini_with(
        "    boundaries: [",
        "    hydro: (precision: F32),\n    boundaries: [",
    );
    std::fs::write(dir.path().join("mini_f32.ron"), text).expect("write scenario");
    dir
}

fn digest(scenario: &Path, threads: usize) -> String {
    let s = floodrill::setup::load(scenario).expect("the scenario validates");
    let mut e = Engine::new(
        Arc::new(s),
        EngineOptions {
            seed: None,
            threads: Some(threads),
        },
    )
    .expect("the engine sets up");
    e.run_until(f64::INFINITY).expect("runs");
    e.digest()
}

#[test]
fn f32_drill_is_deterministic_and_differs_from_f64() {
    let dir = f32_copy();
    let f32_scen = dir.path().join("mini_f32.ron");
    let a = digest(&f32_scen, 1);
    assert_eq!(
        a,
        digest(&f32_scen, 2),
        "f32 state differs between 1 and 2 threads"
    );
    assert_ne!(
        a,
        digest(&dir.path().join("mini.ron"), 2),
        "f32 gave the f64 state"
    );
}

fn asc(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).expect("raster");
    text.lines()
        .filter(|l| !l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .flat_map(|l| {
            l.split_whitespace()
                .map(|v| v.parse::<f64>().expect("number"))
        })
        .collect()
}

#[test]
fn f32_run_verifies_and_stays_close_to_f64() {
    let dir = f32_copy();
    let mut outs = Vec::new();
    for scen in ["mini.ron", "mini_f32.ron"] {
        let out = dir.path().join(format!("out_{scen}"));
        let (code, o, e) = common::floodrill(&[
            "run",
            dir.path().join(scen).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(code, 0, "{o}{e}");
        outs.push(out);
    }
    let (code, o, e) = common::floodrill(&[
        "replay",
        outs[1].join("drill.replay").to_str().unwrap(),
        "--verify",
    ]);
    assert_eq!(code, 0, "the f32 replay does not verify: {o}{e}");
    let summary = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap()
    };
    let (s64, s32) = (summary(&outs[0]), summary(&outs[1]));
    let err = |s: &serde_json::Value| {
        s["figures"]["balance_error_of_rain"]
            .as_f64()
            .unwrap()
            .abs()
    };
    assert!(err(&s64) < 1e-12, "f64 balance {}", err(&s64));
    assert!(err(&s32) < 1e-5, "f32 balance {}", err(&s32));
    assert!(err(&s32) > err(&s64), "f32 balanced like f64: was it f32?");
    let (a, b) = (
        asc(&outs[0].join("max_depth.asc")),
        asc(&outs[1].join("max_depth.asc")),
    );
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst < 0.01, "maximum depths differ by up to {worst} m");
}
