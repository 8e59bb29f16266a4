//! The network's GeoJSON form: every `.inp` of the shared public models and the street
//! reference that the form can carry converts and reads back as the same network (bit
//! for bit: the same routing), the demo drill on the GeoJSON form of its network is the
//! same drill, and a damaged GeoJSON network is refused naming the feature and the
//! property.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use floodrill::engine::{Engine, EngineOptions};
use floodrill::hydro::drainage::geojson::{parse_geojson, to_geojson};
use floodrill::hydro::drainage::{netrun, read_inp, read_network};
use floodrill::world::sewer::Network;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared(p: &str) -> PathBuf {
    root().join("../shared/data/drainage").join(p)
}

/// The network with what only a file position gives cleared (line numbers, the list of
/// skipped sections).
fn without_positions(mut n: Network) -> Network {
    n.nodes.iter_mut().for_each(|x| x.line = 0);
    n.links.iter_mut().for_each(|x| x.line = 0);
    n.controls.iter_mut().for_each(|x| x.line = 0);
    n.skipped.clear();
    n
}

#[test]
fn every_network_the_form_carries_reads_back_the_same() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared("public-models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "inp"))
        .collect();
    files.sort();
    files.push(shared("street_p1/street.inp"));
    files.push(root().join("assets/districts/demo/network.inp"));
    let mut converted = 0;
    for f in &files {
        let Ok(net) = read_inp(f) else { continue };
        let value = match to_geojson(&net) {
            Ok(v) => v,
            Err(e) => {
                // Only control rules are left out, and saying so is the answer.
                assert!(e.contains("control rules"), "{}: {e}", f.display());
                continue;
            }
        };
        let text = serde_json::to_string_pretty(&value).unwrap();
        let back = parse_geojson(&text, "x.geojson")
            .unwrap_or_else(|e| panic!("{}: its GeoJSON does not read back: {e}", f.display()));
        assert_eq!(
            without_positions(back),
            without_positions(net),
            "{}: the GeoJSON form changed the network",
            f.display()
        );
        converted += 1;
    }
    assert!(converted >= 8, "only {converted} networks converted");
}

#[test]
fn the_street_network_routes_the_same_from_its_geojson() {
    let inp = shared("street_p1/street.inp");
    let dir = tempfile::tempdir().unwrap();
    let gj = dir.path().join("street.geojson");
    let (code, _, err) = common::floodrill(&[
        "network",
        "geojson",
        inp.to_str().unwrap(),
        gj.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let a = netrun::run(&read_inp(&inp).unwrap());
    let b = netrun::run(&read_network(&gj).unwrap());
    assert_eq!(a.routing, b.routing);
    assert_eq!(a.series.depth, b.series.depth);
    assert_eq!(a.series.flow, b.series.flow);
    let out = dir.path().join("out");
    let (code, stdout, err) = common::floodrill(&[
        "network",
        "run",
        gj.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("continuity error"), "{stdout}");
    assert!(out.join("node_summary.csv").exists());
}

#[test]
fn the_demo_drill_on_its_geojson_network_is_the_same_drill() {
    let dir = tempfile::tempdir().unwrap();
    let demo = root().join("assets/districts/demo");
    let gj = dir.path().join("network.geojson");
    let net = read_inp(&demo.join("network.inp")).unwrap();
    std::fs::write(
        &gj,
        serde_json::to_string(&to_geojson(&net).unwrap()).unwrap(),
    )
    .unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/demo_rainstorm.ron")).unwrap();
    let assets = demo.display().to_string();
    let digest = |text: String, name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let s = floodrill::setup::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut e = Engine::new(Arc::new(s), EngineOptions::default()).unwrap();
        e.run_until(600.0).unwrap();
        e.digest()
    };
    let with_inp = digest(text.replace("../assets/districts/demo", &assets), "inp.ron");
    let with_geojson = digest(
        text.replace("../assets/districts/demo", &assets)
            .replace(&format!("{assets}/network.inp"), gj.to_str().unwrap()),
        "geojson.ron",
    );
    assert_eq!(with_inp, with_geojson);
}

/// The street network's GeoJSON with `edit` applied to its text.
fn damaged(edit: impl Fn(&mut serde_json::Value)) -> String {
    let net = read_inp(&shared("street_p1/street.inp")).unwrap();
    let mut v = to_geojson(&net).unwrap();
    edit(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

fn feature_of(v: &mut serde_json::Value, id: &str) -> usize {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["properties"]["id"] == id)
        .unwrap()
}

#[test]
fn a_damaged_geojson_network_is_refused_naming_the_feature_and_property() {
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "a link from a node that is not there",
            damaged(|v| {
                let k = feature_of(v, "C0_3");
                v["features"][k]["properties"]["from"] = "NOWHERE".into();
            }),
            &["(C0_3)", "\"from\"", "\"NOWHERE\" is not a node"],
        ),
        (
            "a negative pipe length",
            damaged(|v| {
                let k = feature_of(v, "T0");
                v["features"][k]["properties"]["length_m"] = (-5.0).into();
            }),
            &["(T0)", "\"length_m\"", "is -5", "above 0"],
        ),
        (
            "a diameter as text",
            damaged(|v| {
                let k = feature_of(v, "T1");
                v["features"][k]["properties"]["geom1"] = "big".into();
            }),
            &["(T1)", "\"geom1\"", "expected a number"],
        ),
        (
            "a pump curve that is not there",
            damaged(|v| {
                let k = feature_of(v, "P1");
                v["features"][k]["properties"]["curve"] = "PC9".into();
            }),
            &["(P1)", "\"curve\"", "\"PC9\""],
        ),
        (
            "a node drawn as a line",
            damaged(|v| {
                let k = feature_of(v, "J0_0");
                v["features"][k]["geometry"] =
                    serde_json::json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]});
            }),
            &["(J0_0)", "geometry", "expected a Point"],
        ),
        (
            "a node id twice",
            damaged(|v| {
                let k = feature_of(v, "J0_1");
                v["features"][k]["properties"]["id"] = "J0_0".into();
            }),
            &["\"id\"", "\"J0_0\" names a second node"],
        ),
        (
            "a misspelt option",
            damaged(|v| {
                v["options"]["routing_stepp_s"] = 5.0.into();
            }),
            &["\"options\".\"routing_stepp_s\"", "is not an option"],
        ),
        (
            "an unknown node type",
            damaged(|v| {
                let k = feature_of(v, "J0_2");
                v["features"][k]["properties"]["type"] = "MANHOLE".into();
            }),
            &["(J0_2)", "\"type\"", "\"MANHOLE\"", "expected JUNCTION"],
        ),
        (
            "not the floodrill form",
            damaged(|v| {
                v.as_object_mut().unwrap().remove("floodrill_network");
            }),
            &["\"floodrill_network\"", "missing"],
        ),
        (
            "not JSON",
            "{\"type\": \"FeatureCollection\",\n  \"features\": [oops]}".to_string(),
            &["bad.geojson:2", "not JSON"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, text, expect) in cases {
        let path = dir.path().join("bad.geojson");
        std::fs::write(&path, &text).unwrap();
        let (code, _, err) = common::floodrill(&["network", "run", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{what}: exit {code}: {err}");
        assert!(
            err.contains("bad.geojson"),
            "{what}: the file is not named: {err}"
        );
        for e in expect {
            assert!(err.contains(e), "{what}: {err:?} does not say {e:?}");
        }
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}
