//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The mini fixture folder.
pub fn mini_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini")
}

/// Copy the mini fixture into a fresh temp dir; returns the dir (keep it alive).
pub fn mini_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for e in std::fs::read_dir(mini_dir()).expect("fixture dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy fixture");
    }
    dir
}

/// The mini scenario text with `from` replaced by `to` (which must occur).
pub fn mini_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(mini_dir().join("mini.ron")).expect("mini.ron");
    assert!(text.contains(from), "fixture does not contain {from:?}");
    text.replacen(from, to, 1)
}

/// Run the floodrill binary; returns (exit code, stdout, stderr).
pub fn floodrill(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_floodrill"))
        .args(args)
        .output()
        .expect("run floodrill");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run the mini drill (a fresh copy) with a command stream `orders` and extra
/// arguments; returns (temp dir to keep alive, output dir, exit code, stdout, stderr).
pub fn run_mini_with_orders(
    orders: &str,
    extra: &[&str],
) -> (tempfile::TempDir, PathBuf, i32, String, String) {
    let dir = mini_copy();
    let path = dir.path().join("orders.txt");
    std::fs::write(&path, orders).expect("write orders");
    let out = dir.path().join("out");
    let scen = dir.path().join("mini.ron");
    let mut args = vec![
        "run",
        scen.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
        "--orders",
        path.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let (code, o, e) = floodrill(&args);
    (dir, out, code, o, e)
}

/// The sens district (`tests/data/sens`) in a fresh temp dir with its plan levers filled
/// in: the warning's time, the number of boats and the shelter's places. Returns the dir
/// (keep it alive) and the scenario file.
pub fn sens_variant(warn_at: &str, boats: usize, capacity: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sens");
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let teams: Vec<String> = (1..=boats)
        .map(|k| {
            format!(
                "(id: \"B{k}\", name: \"冲锋舟{k}\", kind: Boat, crew: 4, capacity: 8, \
                 wading_limit_m: 3.0, speed_kmh: 8.0, depot: \"D01\")"
            )
        })
        .collect();
    let text = std::fs::read_to_string(src.join("sens.ron"))
        .unwrap()
        .replace("WARN_AT", warn_at)
        .replace("TEAMS", &teams.join(", "))
        .replace("CAPACITY", &capacity.to_string());
    let path = dir.path().join("variant.ron");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}
