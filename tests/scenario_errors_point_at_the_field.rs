//! Bad scenarios exit 2 with the file, line:column and field in the message — one
//! case each for a misspelt field, a missing raster, a raster of the wrong extent, a
//! dangling reference and a malformed duration; all problems are reported together.

mod common;

use common::*;

/// Write `text` as `bad.ron` beside a copy of the fixture, validate it, and return
/// stderr after checking the exit code.
fn validate_bad(text: &str, prepare: impl FnOnce(&std::path::Path)) -> String {
    let dir = mini_copy();
    prepare(dir.path());
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, text).unwrap();
    let (code, _out, err) = floodrill(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2, "expected exit 2, stderr: {err}");
    assert!(err.contains("bad.ron:"), "message names the file: {err}");
    err
}

fn line_col_field(err: &str, line: usize, field: &str) {
    let needle = format!("bad.ron:{line}:");
    let at = err
        .find(&needle)
        .unwrap_or_else(|| panic!("no {needle} in: {err}"));
    let rest = &err[at + needle.len()..];
    let col: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    assert!(!col.is_empty(), "no column after {needle}: {err}");
    assert!(
        rest.contains(&format!(": {field}: ")),
        "field {field} not named: {err}"
    );
}

#[test]
fn misspelt_field() {
    let err = validate_bad(&mini_with("tick: \"10s\"", "tik: \"10s\""), |_| {});
    line_col_field(&err, 10, "meta.tik");
    assert!(
        err.contains("unknown field `tik`") && err.contains("`tick`"),
        "{err}"
    );
}

#[test]
fn missing_raster() {
    let err = validate_bad(
        &mini_with("dem: \"dem.asc\"", "dem: \"dem_missing.asc\""),
        |_| {},
    );
    line_col_field(&err, 14, "district.dem");
    assert!(
        err.contains("file not found") && err.contains("dem_missing.asc"),
        "{err}"
    );
}

#[test]
fn raster_of_wrong_extent() {
    let err = validate_bad(
        &mini_with("landuse: \"landuse.asc\"", "landuse: \"landuse_small.asc\""),
        |dir| {
            let text = std::fs::read_to_string(dir.join("landuse.asc")).unwrap();
            // Drop the last column and fix the header: a well-formed raster of another extent.
            let mut out = String::new();
            for (i, line) in text.lines().enumerate() {
                if i == 0 {
                    out.push_str("ncols 19\n");
                } else if i < 6 {
                    out.push_str(line);
                    out.push('\n');
                } else {
                    let vals: Vec<&str> = line.split_whitespace().collect();
                    out.push_str(&vals[..19].join(" "));
                    out.push('\n');
                }
            }
            std::fs::write(dir.join("landuse_small.asc"), out).unwrap();
        },
    );
    line_col_field(&err, 15, "district.landuse");
    assert!(err.contains("differs from the DEM"), "{err}");
}

#[test]
fn broken_raster_names_its_line() {
    let err = validate_bad(
        &mini_with("dem: \"dem.asc\"", "dem: \"dem_broken.asc\""),
        |dir| {
            let text = std::fs::read_to_string(dir.join("dem.asc")).unwrap();
            let broken = text.replacen("10.00", "ten", 1);
            std::fs::write(dir.join("dem_broken.asc"), broken).unwrap();
        },
    );
    line_col_field(&err, 14, "district.dem");
    assert!(
        err.contains("dem_broken.asc:7:") && err.contains("`ten`"),
        "{err}"
    );
}

#[test]
fn dangling_reference() {
    let err = validate_bad(&mini_with("post: \"P01\"", "post: \"P99\""), |_| {});
    line_col_field(&err, 50, "plan[1].then[0].post");
    assert!(
        err.contains("no place has id \"P99\"") && err.contains("\"P01\""),
        "{err}"
    );
}

#[test]
fn malformed_duration() {
    let err = validate_bad(
        &mini_with("duration: \"1h\"", "duration: \"1 hour\""),
        |_| {},
    );
    line_col_field(&err, 9, "meta.duration");
    assert!(err.contains("expected a duration like"), "{err}");
}

#[test]
fn all_problems_are_reported_together() {
    let text = mini_with("post: \"P01\"", "post: \"P99\"").replacen(
        "channel: \"sms\"",
        "channel: \"radio\"",
        1,
    );
    let err = validate_bad(&text, |_| {});
    assert!(
        err.contains("plan[1].then[0].post") && err.contains("plan[0].then[0].channel"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn the_fixture_itself_validates() {
    let (code, out, err) = floodrill(&["validate", mini_dir().join("mini.ron").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn shipped_scenarios_validate() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios shipped");
    let args: Vec<&str> = std::iter::once("validate")
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, out, err) = floodrill(&args);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn raster_with_bad_header_names_its_line() {
    let err = validate_bad(
        &mini_with("dem: \"dem.asc\"", "dem: \"dem_hdr.asc\""),
        |dir| {
            let text = std::fs::read_to_string(dir.join("dem.asc")).unwrap();
            std::fs::write(
                dir.join("dem_hdr.asc"),
                text.replacen("cellsize 10.0", "cellsize ten", 1),
            )
            .unwrap();
        },
    );
    line_col_field(&err, 14, "district.dem");
    assert!(
        err.contains("dem_hdr.asc:5:") && err.contains("cellsize"),
        "{err}"
    );
}

#[test]
fn raster_with_short_row_names_its_line() {
    let err = validate_bad(
        &mini_with("dem: \"dem.asc\"", "dem: \"dem_row.asc\""),
        |dir| {
            let text = std::fs::read_to_string(dir.join("dem.asc")).unwrap();
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            let mut vals: Vec<&str> = lines[9].split_whitespace().collect();
            vals.pop();
            lines[9] = vals.join(" ");
            std::fs::write(dir.join("dem_row.asc"), lines.join("\n") + "\n").unwrap();
        },
    );
    assert!(
        err.contains("dem_row.asc:10:") && err.contains("19 values, expected ncols = 20"),
        "{err}"
    );
}

#[test]
fn broken_series_file_names_its_line() {
    let text = mini_with(
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)]))",
        "Uniform(series: File(\"gauge.csv\"))",
    );
    let err = validate_bad(&text, |dir| {
        std::fs::write(dir.join("gauge.csv"), "time,mm_h\n0,10\n10m,twenty\n").unwrap();
    });
    assert!(
        err.contains("rain.sources[0].series") && err.contains("gauge.csv:3"),
        "{err}"
    );
}

#[test]
fn zone_assigned_to_two_shelters() {
    let err = validate_bad(
        &mini_with(
            "shelters: [(place: \"S01\", zones: [\"Z01\", \"Z02\"])],",
            "shelters: [(place: \"S01\", zones: [\"Z01\", \"Z02\"]),\n                (place: \"S02\", zones: [\"Z02\"])],",
        ),
        |dir| {
            let p = dir.join("places.geojson");
            let text = std::fs::read_to_string(&p).unwrap().replacen(
                "\"features\": [",
                "\"features\": [{\"type\": \"Feature\", \"properties\": {\"id\": \"S02\", \
                 \"kind\": \"shelter\", \"name\": \"second\", \"capacity\": 100}, \"geometry\": \
                 {\"type\": \"Point\", \"coordinates\": [1025.0, 2085.0]}}, ",
                1,
            );
            std::fs::write(&p, text).unwrap();
        },
    );
    line_col_field(&err, 40, "shelters[1].zones[0]");
    assert!(
        err.contains("zone \"Z02\" is already assigned to shelter \"S01\" (shelters[0])"),
        "{err}"
    );
    assert!(
        !err.contains("shelters[0].zones"),
        "the first listing is fine: {err}"
    );
}

#[test]
fn validate_warns_of_a_shelter_shortfall_naming_the_shelter() {
    let (code, out, err) = common::floodrill(&["validate", "scenarios/demo_wrong_evacuation.ron"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("warning: shelters[1] (\"S02\"): the plan orders zones Z01, Z02 to evacuate")
            && out.contains("1500 places"),
        "{out}"
    );
    // The good plan tells the tall buildings to stay in: nothing to warn of.
    let (code, out, _) = common::floodrill(&["validate", "scenarios/demo_rainstorm.ron"]);
    assert_eq!(code, 0);
    assert!(!out.contains("warning:"), "{out}");
}

#[test]
fn broken_drainage_network_names_its_file_and_line() {
    let text = mini_with(
        "    boundaries: [",
        "    drainage: (network: \"net.inp\"),\n    boundaries: [",
    );
    let err = validate_bad(&text, |dir| {
        std::fs::write(
            dir.join("net.inp"),
            "[JUNCTIONS]\nJ1 10 2\n[OUTFALLS]\nO1 9 FREE\n[CONDUITS]\nC1 J1 NOWHERE 50 0.013\n",
        )
        .unwrap();
    });
    assert!(
        err.contains(": drainage.network: "),
        "field not named: {err}"
    );
    assert!(
        err.contains("net.inp:6:"),
        "the .inp line is not named: {err}"
    );
    assert!(err.contains("NOWHERE"), "the bad node is not named: {err}");
}
