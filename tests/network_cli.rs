//! `floodrill network run` as a user runs it: the reference street model routes,
//! prints both continuity tables and writes its CSV series; a broken `.inp` exits 2
//! naming file:line; a missing file exits 2.

use std::path::Path;
use std::process::Command;

fn floodrill(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_floodrill"))
        .args(args)
        .output()
        .unwrap()
}

fn data(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/drainage")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn the_street_model_routes_and_writes_its_series() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("net");
    let out = floodrill(&[
        "network",
        "run",
        &data("street_p20/street.inp"),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Runoff continuity") && stdout.contains("Flow routing continuity"));
    assert!(stdout.contains("skipped: [REPORT]"), "{stdout}");
    for f in [
        "node_depth.csv",
        "node_flooding.csv",
        "link_flow.csv",
        "outfall_inflow.csv",
        "pump_flow.csv",
        "system.csv",
    ] {
        let text = std::fs::read_to_string(out_dir.join(f)).unwrap();
        // A header and one row per report minute over 4 hours.
        assert_eq!(text.lines().count(), 1 + 240, "{f}");
    }
    let head = std::fs::read_to_string(out_dir.join("pump_flow.csv")).unwrap();
    assert!(head.starts_with("time_s,P1_flow_cms"), "{head}");
}

#[test]
fn a_broken_model_exits_2_naming_the_line() {
    let out = floodrill(&["network", "run", &data("public-models/invalid_model.inp")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid_model.inp:111:"), "{err}");
    assert!(err.contains("NonExistantNode2"), "{err}");
    let out = floodrill(&["network", "run", "/nonexistent/x.inp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.inp"));
    // A century at a 5 s step is refused, not left running for days.
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.inp");
    let text = std::fs::read_to_string(data("street_p20/street.inp"))
        .unwrap()
        .replace(
            "END_DATE              01/01/2024",
            "END_DATE              01/01/2124",
        );
    std::fs::write(&long, text).unwrap();
    let out = floodrill(&["network", "run", long.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("routing steps"));
}
