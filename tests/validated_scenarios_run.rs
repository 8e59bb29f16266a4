//! Issue 11, "a scenario that validates always runs": every number has a physical
//! range checked at validation with the field and the range in the message, and a
//! scenario at the extremes of those ranges runs its first minute.

mod common;

use std::path::Path;

/// Write `text` as the scenario of a fresh mini copy and run `validate`.
fn validate_text(text: &str) -> (tempfile::TempDir, i32, String, String) {
    let dir = common::mini_copy();
    let p = dir.path().join("mini.ron");
    std::fs::write(&p, text).unwrap();
    let (code, o, e) = common::floodrill(&["validate", p.to_str().unwrap()]);
    (dir, code, o, e)
}

fn refused(text: &str, field: &str, words: &str) {
    let (_d, code, o, e) = validate_text(text);
    assert_eq!(code, 2, "expected a refusal naming {field}; got {o}{e}");
    assert!(
        e.contains(field) && e.contains(words),
        "expected {field} and {words:?} in: {e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

fn run_minute(dir: &Path) -> (i32, String) {
    let scen = dir.join("mini.ron");
    let out = dir.join("out");
    let (code, o, e) = common::floodrill(&[
        "run",
        scen.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        // Ten minutes: the longest tick allowed, so every validated tick ends in it.
        "--until",
        "10m",
        "--quiet",
    ]);
    (code, format!("{o}{e}"))
}

#[test]
fn huge_manning_is_refused_with_the_field_and_range() {
    refused(
        &common::mini_with(
            "manning: 0.015, impervious: 1.0",
            "manning: 1e308, impervious: 1.0",
        ),
        "district.land_classes[0].manning",
        "1e308 is out of range; expected a Manning's n between 0.005 and 1 s/m^(1/3)",
    );
}

#[test]
fn huge_rain_and_negative_rain_are_refused() {
    refused(
        &common::mini_with("(\"10m\", 60.0)", "(\"10m\", 1e308)"),
        "rain.sources[0].series",
        "expected a rain intensity between 0 and 500 mm/h",
    );
    refused(
        &common::mini_with("(\"10m\", 60.0)", "(\"10m\", -5.0)"),
        "rain.sources[0].series",
        "-5 is out of range",
    );
}

#[test]
fn stage_of_four_billion_metres_and_huge_inflows_are_refused() {
    let b = "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),";
    refused(
        &common::mini_with(
            b,
            "Stage(at: (edge: East, from: 2000.0, to: 2160.0), series: Points([(\"0s\", 4294967296.0)])),",
        ),
        "boundaries[0].series",
        "within 50 m of the DEM's elevations",
    );
    refused(
        &common::mini_with(
            b,
            "PointInflow(x: 1100.0, y: 2080.0, series: Points([(\"0s\", 1e300)])),",
        ),
        "boundaries[0].series",
        "expected a discharge between 0 and 100000 m³/s",
    );
    refused(
        &common::mini_with(
            b,
            "EdgeInflow(at: (edge: West, from: 2000.0, to: 2160.0), series: Points([(\"0s\", 1e300)])),",
        ),
        "boundaries[0].series",
        "expected a unit discharge between 0 and 1000 m²/s",
    );
}

#[test]
fn huge_initial_level_and_depth_are_refused() {
    refused(
        &common::mini_with(
            "outputs: (",
            "hydro: (initial_depth_m: 1e300, initial_levels: [(landuse: 1, level_m: 1e300)]),\n    outputs: (",
        ),
        "hydro.initial_depth_m",
        "expected an initial depth between 0 and 50 m",
    );
    refused(
        &common::mini_with(
            "outputs: (",
            "hydro: (initial_levels: [(landuse: 1, level_m: 1e300)]),\n    outputs: (",
        ),
        "hydro.initial_levels[0].level_m",
        "expected a water level within 50 m of the DEM's elevations",
    );
}

#[test]
fn tiny_and_huge_ticks_and_tiny_max_dt_are_refused() {
    refused(
        &common::mini_with("tick: \"10s\"", "tick: \"0.001s\""),
        "meta.tick",
        "expected a tick between 1s",
    );
    refused(
        &common::mini_with("tick: \"10s\"", "tick: \"6h\""),
        "meta.tick",
        "out of range",
    );
    refused(
        &common::mini_with(
            "outputs: (",
            "hydro: (max_dt: \"0.000001s\"),\n    outputs: (",
        ),
        "hydro.max_dt",
        "expected a largest sub-step between",
    );
}

#[test]
fn four_billion_persons_are_refused_before_households_are_made() {
    refused(
        &common::mini_with(
            "warnings: (",
            "population: (source: ZoneTotals([(\"Z01\", 4000000000)])),\n    warnings: (",
        ),
        "population.source",
        "exceed the limit of 2000000 households",
    );
}

#[test]
fn nan_thresholds_empty_conditions_and_duplicate_shelters_are_refused() {
    refused(
        &common::mini_with(
            "SensorAbove(\"WL_H01\", 0.01)",
            "SensorAbove(\"WL_H01\", NaN)",
        ),
        "plan[0].when[1]",
        "NaN is not a finite number",
    );
    refused(
        &common::mini_with("when: At(\"5m\")", "when: All([])"),
        "plan[1].when",
        "expected at least one condition",
    );
    refused(
        &common::mini_with("Warn(zones: [\"Z02\"]", "Warn(zones: []"),
        "plan[0].then[0].zones",
        "expected at least one zone",
    );
    refused(
        &common::mini_with(
            "shelters: [(place: \"S01\", zones: [\"Z01\", \"Z02\"])]",
            "shelters: [(place: \"S01\"), (place: \"S01\")]",
        ),
        "shelters[1].place",
        "listed twice",
    );
    refused(
        &common::mini_with(
            "outputs: (",
            "rubric: (criteria: [(id: \"w\", name: \"w\", weight: 1.0, metric: WarningLead(lead: \"10m\", ack_within: \"10m\", onset_depth_m: -1e308))]),\n    outputs: (",
        ),
        "onset_depth_m",
        "-1e308 is out of range",
    );
}

#[test]
fn negative_shelter_capacity_in_the_places_layer_is_refused() {
    let dir = common::mini_copy();
    let places = std::fs::read_to_string(dir.path().join("places.geojson")).unwrap();
    let p = dir.path().join("places.geojson");
    let mut v: serde_json::Value = serde_json::from_str(&places).unwrap();
    for f in v["features"].as_array_mut().unwrap() {
        if f["properties"]["id"] == "S01" {
            f["properties"]["capacity"] = serde_json::json!(-50);
        }
    }
    std::fs::write(&p, v.to_string()).unwrap();
    let scen = dir.path().join("mini.ron");
    let (code, _, e) = common::floodrill(&["validate", scen.to_str().unwrap()]);
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("district.places") && e.contains("capacity -50"),
        "{e}"
    );
}

#[test]
fn empty_zones_file_is_reported_once_not_echoed() {
    let dir = common::mini_copy();
    std::fs::write(
        dir.path().join("zones.geojson"),
        r#"{"type": "FeatureCollection", "features": []}"#,
    )
    .unwrap();
    let scen = dir.path().join("mini.ron");
    let (code, _, e) = common::floodrill(&["validate", scen.to_str().unwrap()]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("the zones layer has no features"), "{e}");
    assert!(!e.contains("no zone has id"), "echoes remain: {e}");
    assert!(
        e.contains("references to zones not checked because the zones layer is empty"),
        "{e}"
    );
}

#[test]
fn road_entirely_outside_the_dem_is_refused() {
    let dir = common::mini_copy();
    let p = dir.path().join("roads.geojson");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["features"][0]["geometry"]["coordinates"] =
        serde_json::json!([[90000.0, 90000.0], [90100.0, 90000.0]]);
    std::fs::write(&p, v.to_string()).unwrap();
    let scen = dir.path().join("mini.ron");
    let (code, _, e) = common::floodrill(&["validate", scen.to_str().unwrap()]);
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("district.roads") && e.contains("(feature 1) lies entirely outside the DEM"),
        "{e}"
    );
}

#[test]
fn boundary_segment_covering_no_cell_is_refused() {
    // The East edge's cell centres lie at y 2005, 2015, … 2155.
    refused(
        &common::mini_with("from: 2000.0, to: 2160.0", "from: 2000.0, to: 2004.0"),
        "boundaries[0].at.from",
        "covers no cell",
    );
}

#[test]
fn district_far_beyond_the_machine_memory_is_refused_with_an_estimate() {
    let dir = common::mini_copy();
    std::fs::write(
        dir.path().join("dem.asc"),
        // 10,000² cells: within the raster limit, beyond this machine's 24 GB.
        "ncols 10000\nnrows 10000\nxllcorner 1000.0\nyllcorner 2000.0\ncellsize 10.0\nNODATA_value -9999\n1 2 3\n",
    )
    .unwrap();
    let scen = dir.path().join("mini.ron");
    let (code, _, e) = common::floodrill(&["validate", scen.to_str().unwrap()]);
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("district.dem") && e.contains("needs about") && e.contains("cells × 256 B"),
        "{e}"
    );
}

#[test]
fn hydraulics_alone_need_no_landuse_classes_seed_or_start() {
    let dir = common::mini_copy();
    let scen = r#"Scenario(
    version: 1,
    meta: (name: "hydraulics only", duration: "10m", tick: "10s"),
    district: (dem: "dem.asc"),
    hydro: (manning: 0.035),
    rain: (sources: [Uniform(series: Points([("0s", 30.0), ("10m", 30.0)]))]),
    boundaries: [FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01)],
)"#;
    std::fs::write(dir.path().join("mini.ron"), scen).unwrap();
    let p = dir.path().join("mini.ron");
    let (code, o, e) = common::floodrill(&["validate", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{o}{e}");
    let (code, out) = run_minute(dir.path());
    assert_eq!(code, 0, "{out}");
}

/// Each numeric field of the mini scenario (and the fields a hostile user broke) at
/// the extremes of its documented range: whatever validates must run its first
/// minute.
#[test]
fn every_extreme_that_validates_runs_its_first_minute() {
    let b = "FreeOutflow(at: (edge: East, from: 2000.0, to: 2160.0), slope: 0.01),";
    let hydro =
        |h: &str| common::mini_with("outputs: (", &format!("hydro: ({h}),\n    outputs: ("));
    let cases: Vec<(&str, String)> = vec![
        (
            "manning min",
            common::mini_with(
                "manning: 0.015, impervious: 1.0",
                "manning: 0.005, impervious: 1.0",
            ),
        ),
        (
            "manning max",
            common::mini_with(
                "manning: 0.015, impervious: 1.0",
                "manning: 1.0, impervious: 1.0",
            ),
        ),
        (
            "rain max",
            common::mini_with("(\"0s\", 0.0)", "(\"0s\", 500.0)"),
        ),
        (
            "tick min",
            common::mini_with("tick: \"10s\"", "tick: \"1s\""),
        ),
        (
            "tick max",
            common::mini_with(
                "duration: \"1h\",\n        tick: \"10s\"",
                "duration: \"1h\",\n        tick: \"10m\"",
            ),
        ),
        ("max_dt min", hydro("max_dt: \"0.01s\"")),
        ("max_dt max", hydro("max_dt: \"10m\"")),
        ("depth max", hydro("initial_depth_m: 50.0")),
        (
            "level max",
            hydro("initial_levels: [(landuse: 1, level_m: 60.29)]"),
        ),
        (
            "level min",
            hydro("initial_levels: [(landuse: 1, level_m: -42.57)]"),
        ),
        ("threshold min", hydro("depth_threshold_m: 0.000001")),
        ("threshold max", hydro("depth_threshold_m: 0.1")),
        (
            "stage max",
            common::mini_with(
                b,
                "Stage(at: (edge: East, from: 2000.0, to: 2160.0), series: Points([(\"0s\", 60.29)])),",
            ),
        ),
        (
            "stage min",
            common::mini_with(
                b,
                "Stage(at: (edge: East, from: 2000.0, to: 2160.0), series: Points([(\"0s\", -42.57)])),",
            ),
        ),
        (
            "point inflow max",
            common::mini_with(
                b,
                "PointInflow(x: 1100.0, y: 2080.0, series: Points([(\"0s\", 100000.0)])),",
            ),
        ),
        (
            "edge inflow max",
            common::mini_with(
                b,
                "EdgeInflow(at: (edge: West, from: 2000.0, to: 2160.0), series: Points([(\"0s\", 1000.0)])),",
            ),
        ),
        (
            "slope min",
            common::mini_with("slope: 0.01", "slope: 0.000001"),
        ),
        ("slope max", common::mini_with("slope: 0.01", "slope: 1.0")),
        (
            "drainage max",
            common::mini_with("drainage_mm_h: 20.0", "drainage_mm_h: 1000.0"),
        ),
        (
            "horton max",
            common::mini_with(
                "f0_mm_h: 76.0, fc_mm_h: 6.0, k_per_h: 4.0",
                "f0_mm_h: 1000.0, fc_mm_h: 1000.0, k_per_h: 100.0",
            ),
        ),
        (
            "zone scale max",
            common::mini_with("factor: 1.2", "factor: 10.0"),
        ),
        (
            "robot max",
            common::mini_with("capacity_m3_h: 500.0", "capacity_m3_h: 50000.0"),
        ),
        (
            "team speed max",
            common::mini_with("speed_kmh: 8.0", "speed_kmh: 200.0"),
        ),
        (
            "household size max",
            common::mini_with(
                "warnings: (",
                "population: (household_size: 20.0, walking: (speed_m_s: 3.0, slow_speed_m_s: 0.1)),\n    warnings: (",
            ),
        ),
    ];
    let mut ran = 0;
    for (what, text) in &cases {
        let (dir, code, o, e) = validate_text(text);
        assert!(
            code == 0 || code == 2,
            "{what}: validate exit {code}: {o}{e}"
        );
        if code != 0 {
            eprintln!("{what}: refused: {e}");
        }
        if code == 0 {
            let (code, out) = run_minute(dir.path());
            assert_eq!(code, 0, "{what}: validated but the run failed: {out}");
            ran += 1;
        }
    }
    assert!(
        ran >= cases.len() - 2,
        "only {ran} of {} extremes validated",
        cases.len()
    );
}
