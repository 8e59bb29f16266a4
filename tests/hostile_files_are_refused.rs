//! Hostile scenario files are refused with exit 2 and a message, never a hang, a
//! memory blow-up or a stack overflow (issue 11, the file parsers).

mod common;

use common::*;

fn validate_text(bytes: &[u8]) -> (i32, String) {
    let dir = mini_copy();
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, bytes).unwrap();
    let (code, _out, err) = floodrill(&["validate", path.to_str().unwrap()]);
    (code, err)
}

#[test]
fn stray_slash_in_scenario_is_reported_not_a_memory_blowup() {
    let text = mini_with(
        "name: \"小区演练 mini drill\",",
        "name: \"x\", / a single slash",
    );
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ron:5:"), "{err}");
}

#[test]
fn hundred_thousand_nested_brackets_exit_2_without_a_crash() {
    let deep = format!("{}{}", "(".repeat(100_000), "[".repeat(100_000));
    let text = mini_with("description:", &format!("description: {deep} x:"));
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ron:"), "{err}");
}

#[test]
fn scenario_with_a_utf8_bom_validates() {
    let mut b = "\u{feff}".as_bytes().to_vec();
    b.extend_from_slice(mini_with("tick: \"10s\"", "tick: \"10s\"").as_bytes());
    let (code, err) = validate_text(&b);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn gbk_byte_in_scenario_is_located_and_says_save_as_utf8() {
    let text = mini_with("name: \"小区演练 mini drill\"", "name: \"GBK\"");
    let mut b = text.replacen("GBK", "\u{1}", 1).into_bytes();
    let at = b.iter().position(|&c| c == 1).unwrap();
    b[at] = 0xC3;
    let (code, err) = validate_text(&b);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.ron:5:16:") && err.contains("save the file as UTF-8"),
        "{err}"
    );
}

#[test]
fn one_hour_sixty_minutes_is_refused_with_the_canonical_form() {
    let text = mini_with("duration: \"1h\"", "duration: \"1h60m\"");
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("meta.duration") && err.contains("write \"2h\""),
        "{err}"
    );
}

/// Validate the mini fixture with one of its files replaced by `text`.
fn validate_with_file(name: &str, text: &[u8]) -> (i32, String) {
    let dir = mini_copy();
    std::fs::write(dir.path().join(name), text).unwrap();
    let scen = dir.path().join("mini.ron");
    let (code, _out, err) = floodrill(&["validate", scen.to_str().unwrap()]);
    (code, err)
}

#[test]
fn recall_without_its_field_name_shows_the_expected_form_in_orders_files() {
    let (_dir, _out, code, _o, e) = run_mini_with_orders(
        "\u{feff}2m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n3m Recall(\"T01\")\n",
        &[],
    );
    assert_eq!(code, 2, "{e}");
    // The BOM before the first line is dropped, not shown inside a quote.
    assert!(!e.contains("orders.txt:1:"), "{e}");
    assert!(
        e.contains("orders.txt:2:") && e.contains("of the form Recall(unit: \"T01\")"),
        "{e}"
    );
}

#[test]
fn a_landuse_header_of_ten_billion_cells_is_refused_not_allocated() {
    let text = std::fs::read_to_string(mini_dir().join("landuse.asc")).unwrap();
    let text = text
        .replacen("ncols 20", "ncols 100000", 1)
        .replacen("nrows 16", "nrows 100000", 1);
    let (code, err) = validate_with_file("landuse.asc", text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("landuse.asc:1:") && err.contains("cells"),
        "{err}"
    );
}

#[test]
fn a_road_vertex_four_billion_metres_away_is_refused_not_a_hang() {
    let text = std::fs::read_to_string(mini_dir().join("roads.geojson")).unwrap();
    let at = text.find("1055").expect("a road coordinate in the fixture");
    let text = format!("{}4294967296{}", &text[..at], &text[at + 4..]);
    let (code, err) = validate_with_file("roads.geojson", text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("km outside the DEM"), "{err}");
}

#[test]
fn a_bow_tie_building_is_refused_with_the_feature() {
    let text = std::fs::read_to_string(mini_dir().join("buildings.geojson")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ring = &v["features"][0]["geometry"]["coordinates"][0];
    let p: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q[0].as_f64().unwrap(), q[1].as_f64().unwrap()))
        .collect();
    assert!(p.len() >= 5, "a four-cornered footprint in the fixture");
    // Swap two corners: the ring then crosses itself.
    let mut w = v.clone();
    w["features"][0]["geometry"]["coordinates"][0][1] = serde_json::json!([p[2].0, p[2].1]);
    w["features"][0]["geometry"]["coordinates"][0][2] = serde_json::json!([p[1].0, p[1].1]);
    let (code, err) = validate_with_file("buildings.geojson", w.to_string().as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("buildings.geojson") && err.contains("crosses itself"),
        "{err}"
    );
}

#[test]
fn a_repeated_time_in_an_inline_series_is_reported_at_the_point() {
    // Two points at 30m make a step and validate; a third at 30m is refused there.
    let text = mini_with("(\"30m\", 60.0),", "(\"30m\", 60.0), (\"30m\", 20.0),");
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 0, "{err}");
    let text = mini_with(
        "(\"30m\", 60.0),",
        "(\"30m\", 60.0), (\"30m\", 20.0), (\"30m\", 10.0),",
    );
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("point 5: a third point at 30m"), "{err}");
    assert!(!err.contains("bad.ron:2:1:"), "not at `Scenario(`: {err}");
}

#[test]
fn a_negative_pump_station_capacity_is_refused() {
    // Found by floodrill-fuzz (seed 77, case 6492).
    let text = std::fs::read_to_string(mini_dir().join("places.geojson")).unwrap();
    let at = text
        .find("\"capacity_m3_h\": ")
        .expect("a pump station in the fixture");
    let start = at + "\"capacity_m3_h\": ".len();
    let end = start + text[start..].find([',', '}']).unwrap();
    let text = format!("{}-1e308{}", &text[..start], &text[end..]);
    let (code, err) = validate_with_file("places.geojson", text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("capacity_m3_h -1e308"), "{err}");
}
