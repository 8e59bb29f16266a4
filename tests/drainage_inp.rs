//! The SWMM 5 `.inp` reader: the street reference case and the public models load with
//! their numbers in SI, and hostile or broken text is refused with an error at the right
//! file, line and section — never a panic.

use std::path::{Path, PathBuf};

use floodrill::hydro::drainage::network::*;
use floodrill::hydro::drainage::{InpError, parse_inp, read_inp};

const FT: f64 = 0.3048;
const CFS: f64 = 0.028_316_846_592;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/drainage")
        .join(rel)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn node<'a>(net: &'a Network, id: &str) -> &'a Node {
    let i = net.node_index(id).unwrap_or_else(|| panic!("node {id}"));
    &net.nodes[i]
}

fn link<'a>(net: &'a Network, id: &str) -> &'a Link {
    let i = net.link_index(id).unwrap_or_else(|| panic!("link {id}"));
    &net.links[i]
}

fn curve<'a>(net: &'a Network, id: &str) -> &'a Curve {
    net.curves.iter().find(|c| c.id == id).expect("curve")
}

fn series<'a>(net: &'a Network, id: &str) -> &'a TimeSeries {
    net.timeseries.iter().find(|s| s.id == id).expect("series")
}

fn sub<'a>(net: &'a Network, id: &str) -> &'a Subcatchment {
    net.subcatchments.iter().find(|s| s.id == id).expect("sub")
}

fn count_kinds(net: &Network) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for n in &net.nodes {
        match n.kind {
            NodeKind::Junction => c.0 += 1,
            NodeKind::Outfall { .. } => c.1 += 1,
            NodeKind::Storage { .. } => c.2 += 1,
        }
    }
    c
}

// ---------------------------------------------------------------------------------------
// The street reference case
// ---------------------------------------------------------------------------------------

#[test]
fn street_p1_loads_with_its_network_forcing_and_options() {
    let net = read_inp(&data("street_p1/street.inp")).unwrap();

    // 28 junctions (25 street manholes, 3 underpass), the outfall, the wet well.
    assert_eq!(count_kinds(&net), (28, 1, 1));
    assert_eq!(net.nodes.len(), 30);
    let conduits = net
        .links
        .iter()
        .filter(|l| matches!(l.kind, LinkKind::Conduit(_)))
        .count();
    assert_eq!((conduits, net.links.len()), (28, 29));
    assert_eq!(net.nodes[0].id, "J0_0", "nodes in file order");
    assert_eq!(node(&net, "J0_0").ponded_area_m2, 2000.0);
    assert_eq!(node(&net, "U3").ponded_area_m2, 1500.0);
    assert_eq!(node(&net, "J0_1").xy, Some((0.0, 100.0)));

    // The wet well: FUNCTIONAL 0 0 50 → a constant 50 m².
    let ww = node(&net, "WW");
    assert_eq!((ww.invert_m, ww.max_depth_m), (4.05, 3.35));
    assert_eq!(
        ww.kind,
        NodeKind::Storage {
            shape: StorageShape::Functional {
                a: 0.0,
                b: 0.0,
                c: 50.0
            }
        }
    );
    let out = node(&net, "OUT");
    assert_eq!(
        out.kind,
        NodeKind::Outfall {
            boundary: OutfallBoundary::Free,
            gated: true
        }
    );

    // T6 leads to the outfall; C0_3 has its outlet offset and a 0.5 m pipe.
    let t6 = link(&net, "T6");
    assert_eq!(net.nodes[t6.to].id, "OUT");
    assert_eq!(net.nodes[t6.from].id, "J6_0");
    let c03 = link(&net, "C0_3");
    assert_eq!((c03.from_offset_m, c03.to_offset_m), (0.0, 0.1));
    let LinkKind::Conduit(c) = &c03.kind else {
        panic!("conduit")
    };
    assert_eq!((c.length_m, c.roughness, c.barrels), (100.0, 0.013, 1));
    assert_eq!(c.xsect, XSection::Circular { d: 0.5 });

    // The pump and its PUMP3 curve of 5 points.
    let p1 = link(&net, "P1");
    assert_eq!(
        (net.nodes[p1.from].id.as_str(), net.nodes[p1.to].id.as_str()),
        ("WW", "J6_0")
    );
    let LinkKind::Pump(p) = &p1.kind else {
        panic!("pump")
    };
    assert!(!p.init_on);
    assert_eq!((p.startup_depth_m, p.shutoff_depth_m), (0.9, 0.3));
    let pc1 = &net.curves[p.curve.expect("a pump curve")];
    assert_eq!((pc1.id.as_str(), pc1.kind), ("PC1", CurveKind::Pump3));
    assert_eq!(pc1.points.len(), 5);
    assert_eq!(pc1.points[0], (2.0, 0.9));
    assert_eq!(pc1.points[4], (10.0, 0.0));
    assert_eq!(curve(&net, "PC1"), pc1);

    // Options.
    let o = &net.options;
    assert_eq!(o.flow_units, FlowUnits::Cms);
    assert_eq!((o.start_s, o.end_s), (0.0, 4.0 * 3600.0));
    assert_eq!(o.routing_step_s, 5.0);
    assert_eq!((o.report_step_s, o.wet_step_s), (60.0, 60.0));
    assert!(o.allow_ponding);
    assert_eq!(o.routing, "DYNWAVE");
    assert_eq!((o.min_surfarea_m2, o.head_tolerance_m), (1.167, 0.0015));
    assert_eq!((o.max_trials, o.minimum_step_s, o.dry_days), (8, 0.5, 7.0));

    // Subcatchment S_J0_0: 0.90 ha, 70 % impervious, Horton 76 → 6 mm/h, decay 4/h.
    assert_eq!(net.subcatchments.len(), 28);
    let s = sub(&net, "S_J0_0");
    assert!(close(s.area_m2, 9000.0), "{}", s.area_m2);
    assert!(close(s.imperv, 0.7) && close(s.slope, 0.005));
    assert_eq!(s.width_m, 100.0);
    assert_eq!(s.outlet, SubOutlet::Node(net.node_index("J0_0").unwrap()));
    assert!(close(s.s_imperv_m, 0.002) && close(s.s_perv_m, 0.005));
    assert!(close(s.pct_zero, 0.25) && s.route_to == "OUTLET" && s.pct_routed == 1.0);
    assert_eq!(
        s.infiltration,
        SubInfiltration::Horton {
            max_mm_h: 76.0,
            min_mm_h: 6.0,
            decay_per_h: 4.0,
            dry_days: 7.0,
            max_mm: 0.0
        }
    );

    // Rain gauge RG1: SI, so to_mm 1, with the Chicago storm peaking 88.7025 at 0:45.
    let g = &net.raingages[s.raingage];
    assert_eq!((g.id.as_str(), g.to_mm, g.interval_s), ("RG1", 1.0, 300.0));
    assert_eq!(g.format, RainFormat::Intensity);
    let ts = &net.timeseries[g.series];
    assert_eq!(ts.id, "TS_CHICAGO");
    assert_eq!(ts.points.len(), 25);
    let peak = ts
        .points
        .iter()
        .copied()
        .fold((0.0, 0.0), |a, p| if p.1 > a.1 { p } else { a });
    assert_eq!(peak, (45.0 * 60.0, 88.7025));

    assert_eq!(net.title, "", "the title holds only a comment");
    assert!(net.controls.is_empty() && net.inflows.is_empty());
}

#[test]
fn street_p1_skipped_sections_are_at_their_header_lines() {
    let path = data("street_p1/street.inp");
    let text = std::fs::read_to_string(&path).unwrap();
    let net = parse_inp(&text, "street.inp").unwrap();
    let names: Vec<&str> = net.skipped.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["REPORT", "MAP", "POLYGONS", "SYMBOLS"]);
    let lines: Vec<&str> = text.lines().collect();
    for (name, line) in &net.skipped {
        assert_eq!(lines[line - 1].trim(), format!("[{name}]"));
    }
}

#[test]
fn street_p20_loads_too() {
    let net = read_inp(&data("street_p20/street.inp")).unwrap();
    assert_eq!(
        (net.nodes.len(), net.links.len(), net.subcatchments.len()),
        (30, 29, 28)
    );
}

// ---------------------------------------------------------------------------------------
// Public models
// ---------------------------------------------------------------------------------------

/// Files of the public models expected to load (the others must fail at a line).
const LOADS: [&str; 7] = [
    "Example1.inp",
    "Example6.inp",
    "Pump_Control_Model.inp",
    "SWMMExtCntrlModel.inp",
    "model_full_features.inp",
    "model_state_plane.inp",
    "outfalls_issue.inp",
];

#[test]
fn every_public_model_loads_or_fails_at_a_line() {
    let dir = data("public-models");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "inp"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "{files:?}");
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match read_inp(path) {
            Ok(net) => {
                assert!(LOADS.contains(&name.as_str()), "{name} should not load");
                let (j, o, s) = count_kinds(&net);
                println!(
                    "{name}: {j} junctions, {o} outfalls, {s} storage, {} links, {} \
                     subcatchments, {} gauges, {} curves, {} series, {} inflows, {} rules; \
                     skipped {:?}",
                    net.links.len(),
                    net.subcatchments.len(),
                    net.raingages.len(),
                    net.curves.len(),
                    net.timeseries.len(),
                    net.inflows.len(),
                    net.controls.len(),
                    net.skipped
                );
                assert!(!net.nodes.is_empty() && !net.links.is_empty(), "{name}");
            }
            Err(e) => {
                let msg = e.to_string();
                println!("{name}: error: {msg}");
                assert!(!LOADS.contains(&name.as_str()), "{name} should load: {msg}");
                let line = e.line().expect("a line");
                assert!(msg.contains(&format!("{name}:{line}:")), "{msg}");
            }
        }
    }
}

#[test]
fn the_invalid_model_fails_at_its_first_dangling_reference() {
    let e = read_inp(&data("public-models/invalid_model.inp")).unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.line(), Some(111), "{msg}");
    assert!(msg.contains("invalid_model.inp:111: [CONDUITS]"), "{msg}");
    assert!(
        msg.contains("InvalidLink2") && msg.contains("\"NonExistantNode2\""),
        "{msg}"
    );
}

#[test]
fn street_inlets_model_is_refused_at_its_street_cross_section() {
    let e = read_inp(&data("public-models/test_inlet_drains.inp")).unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.line(), Some(151), "{msg}");
    assert!(
        msg.contains("[XSECTIONS]") && msg.contains("STREET"),
        "{msg}"
    );
    assert!(
        msg.contains("CIRCULAR"),
        "names the supported shapes: {msg}"
    );
}

/// The second token of the line of `[section]` whose first token is `id`.
fn file_value(text: &str, section: &str, id: &str, col: usize) -> f64 {
    let mut inside = false;
    for l in text.lines() {
        let t: Vec<&str> = l.split(';').next().unwrap().split_whitespace().collect();
        if let Some(first) = t.first() {
            if first.starts_with('[') {
                inside = *first == section;
            } else if inside && *first == id {
                return t[col].parse().unwrap();
            }
        }
    }
    panic!("{section} {id}");
}

#[test]
fn example1_is_us_customary_and_arrives_in_si() {
    let path = data("public-models/Example1.inp");
    let text = std::fs::read_to_string(&path).unwrap();
    let net = read_inp(&path).unwrap();
    assert_eq!(net.options.flow_units, FlowUnits::Cfs);

    let ft = file_value(&text, "[JUNCTIONS]", "9", 1);
    assert_eq!(ft, 1000.0);
    let j9 = node(&net, "9");
    assert!(close(j9.invert_m, ft * FT) && close(j9.max_depth_m, 3.0 * FT));
    assert!(close(node(&net, "18").invert_m, 975.0 * FT));

    let c1 = link(&net, "1");
    let LinkKind::Conduit(c) = &c1.kind else {
        panic!()
    };
    assert!(close(c.length_m, 400.0 * FT));
    assert_eq!(c.xsect, XSection::Circular { d: 1.5 * FT });
    let c7 = link(&net, "7");
    assert!(close(c7.from_offset_m, FT) && close(c7.to_offset_m, FT));

    let s = sub(&net, "1");
    assert!(close(s.area_m2, 10.0 * 4_046.856_422_4), "{}", s.area_m2);
    assert!(close(s.width_m, 500.0 * FT) && close(s.slope, 0.0001));
    assert!(close(s.s_imperv_m, 0.05 * 0.0254));
    let SubInfiltration::Horton {
        max_mm_h, min_mm_h, ..
    } = s.infiltration
    else {
        panic!()
    };
    assert!(close(max_mm_h, 0.35 * 25.4) && close(min_mm_h, 0.25 * 25.4));
    let g = &net.raingages[0];
    assert_eq!((g.to_mm, g.interval_s), (25.4, 3600.0));

    // 1998-01-01 00:00 to 1998-01-02 12:00; SWMM's defaults where the file says 0.
    let o = &net.options;
    assert_eq!((o.start_s, o.end_s), (0.0, 36.0 * 3600.0));
    assert_eq!(
        (o.routing_step_s, o.variable_step, o.max_trials),
        (60.0, 0.75, 8)
    );
    assert_eq!((o.head_tolerance_m, o.min_surfarea_m2), (0.0015, 0.0));
    assert_eq!(o.routing, "KINWAVE");
    let ts1 = series(&net, "TS1");
    assert_eq!(ts1.points[7], (27.0 * 3600.0, 0.0));
    assert_eq!(
        ts1.points[3],
        (3.0 * 3600.0, 0.8),
        "values stay in the file's units"
    );
    for sec in [
        "EVAPORATION",
        "POLLUTANTS",
        "HYDROGRAPHS",
        "RDII",
        "VERTICES",
    ] {
        assert!(net.skipped.iter().any(|(s, _)| s == sec), "{sec}");
    }
}

#[test]
fn example6_storage_weir_and_inflow_in_si() {
    let net = read_inp(&data("public-models/Example6.inp")).unwrap();
    assert_eq!(
        net.title,
        "Example 6\nCircular Culvert with Roadway Overtopping\nand Upstream Storage"
    );
    let inlet = node(&net, "Inlet");
    let NodeKind::Storage {
        shape: StorageShape::Tabular(k),
    } = inlet.kind
    else {
        panic!()
    };
    let sc = &net.curves[k];
    assert_eq!(
        (sc.id.as_str(), sc.kind, sc.points.len()),
        ("StorageCurve", CurveKind::Storage, 5)
    );
    assert!(close(sc.points[1].0, 2.0 * FT) && close(sc.points[1].1, 9583.0 * FT * FT));
    assert_eq!(
        node(&net, "TailWater").kind,
        NodeKind::Outfall {
            boundary: OutfallBoundary::Fixed(859.5 * FT),
            gated: false
        }
    );

    let road = link(&net, "Roadway");
    assert!(close(road.from_offset_m, 5.0 * FT));
    let LinkKind::Weir(w) = &road.kind else {
        panic!()
    };
    assert_eq!(w.kind, "ROADWAY");
    // Q = Cd·L·h^1.5: 3.33 in CFS and ft is 3.33·√0.3048 ≈ 1.838 in m³/s and m.
    assert!(close(w.cd, 3.33 * FT.sqrt()), "{}", w.cd);
    assert_eq!(
        w.xsect,
        XSection::RectOpen {
            h: 50.0 * FT,
            w: 200.0 * FT
        }
    );
    assert!(!w.can_surcharge && !w.gated && w.end_contractions == 0);

    let LinkKind::Conduit(culvert) = &link(&net, "Culvert").kind else {
        panic!()
    };
    assert_eq!(culvert.barrels, 2);
    let LinkKind::Conduit(ch) = &link(&net, "Channel").kind else {
        panic!()
    };
    assert_eq!(
        ch.xsect,
        XSection::Trapezoidal {
            h: 9.0 * FT,
            w: 10.0 * FT,
            z_left: 2.0,
            z_right: 2.0
        }
    );

    let inf = &net.inflows[0];
    assert_eq!(net.nodes[inf.node].id, "Inlet");
    assert!(close(inf.scale, CFS) && inf.baseline == 0.0);
    let ts = &net.timeseries[inf.series.unwrap()];
    assert_eq!(
        (ts.points[1], ts.points[12]),
        ((450.0, 9.0), (5400.0, 220.0))
    );
    assert!(close(net.options.min_surfarea_m2, 12.557 * FT * FT));
    assert!(close(net.options.head_tolerance_m, 0.005 * FT));
}

#[test]
fn pump_control_model_cylindrical_well_pump4_curve_and_rules() {
    let net = read_inp(&data("public-models/Pump_Control_Model.inp")).unwrap();
    // A 6 ft × 6 ft cylinder: π·3² ft² of constant area.
    let NodeKind::Storage {
        shape: StorageShape::Functional { a, b, c },
    } = node(&net, "SU1").kind
    else {
        panic!()
    };
    assert_eq!((a, b), (0.0, 0.0));
    assert!(close(c, std::f64::consts::PI * 9.0 * FT * FT));

    let LinkKind::Pump(p) = &link(&net, "PUMP1").kind else {
        panic!()
    };
    let pc = &net.curves[p.curve.unwrap()];
    assert_eq!((pc.kind, pc.points.len()), (CurveKind::Pump4, 6));
    assert!(close(pc.points[5].0, 17.0 * FT) && close(pc.points[5].1, 0.9 * CFS));

    let su1 = net.node_index("SU1").unwrap();
    let pump = net.link_index("PUMP1").unwrap();
    assert_eq!(net.controls.len(), 2);
    let r = &net.controls[0];
    assert_eq!((r.id.as_str(), r.priority), ("PUMP1A", 1.0));
    assert_eq!(r.conditions.len(), 1);
    let cond = &r.conditions[0].1;
    assert_eq!(cond.subject, Subject::NodeDepth(su1));
    assert_eq!(cond.relation, Relation::Ge);
    let Operand::Value(v) = cond.value else {
        panic!()
    };
    assert!(close(v, 4.0 * FT));
    assert_eq!(
        r.then,
        [Action {
            link: pump,
            setting: 1.0
        }]
    );
    assert_eq!(
        net.controls[1].then,
        [Action {
            link: pump,
            setting: 0.0
        }]
    );
    assert_eq!(net.controls[1].conditions[0].1.relation, Relation::Lt);
    assert!(net.skipped.iter().any(|(s, _)| s == "DWF"));
    assert!(net.skipped.iter().any(|(s, _)| s == "PATTERNS"));
}

#[test]
fn full_features_model_ids_are_case_insensitive_and_ideal_pumps_have_no_curve() {
    let net = read_inp(&data("public-models/model_full_features.inp")).unwrap();
    let s3 = sub(&net, "S3");
    assert_eq!(
        s3.outlet,
        SubOutlet::Node(net.node_index("J3").unwrap()),
        "j3 is J3"
    );
    let LinkKind::Pump(p) = &link(&net, "C2").kind else {
        panic!()
    };
    assert_eq!(p.curve, None);
    let LinkKind::Weir(w) = &link(&net, "C3").kind else {
        panic!()
    };
    assert_eq!(w.xsect, XSection::RectOpen { h: 5.0 * FT, w: FT });
    assert_eq!(net.inflows.len(), 3);
    assert!(
        net.inflows
            .iter()
            .all(|i| close(i.baseline, CFS) && i.series.is_none())
    );
    // 11/01/2015 14:00 to 11/04/2015 00:00.
    assert_eq!(net.options.end_s, 2.0 * 86_400.0 + 10.0 * 3600.0);
    assert_eq!(net.options.inertial_damping, "NONE");
}

#[test]
fn dated_series_are_placed_by_their_dates() {
    let net = read_inp(&data("public-models/outfalls_issue.inp")).unwrap();
    let NodeKind::Outfall {
        boundary: OutfallBoundary::Timeseries(k),
        ..
    } = node(&net, "StagedOutfall").kind
    else {
        panic!()
    };
    let ts = &net.timeseries[k];
    assert_eq!(
        ts.id, "OutfallStage",
        "SI: the stage series is used as it is"
    );
    assert_eq!(ts.points, [(0.0, 0.1), (3600.0, 0.5), (7200.0, 0.9)]);
    let ext = read_inp(&data("public-models/SWMMExtCntrlModel.inp")).unwrap();
    assert_eq!(ext.options.flow_units, FlowUnits::Mgd);
    let inf = &ext.inflows[0];
    assert!(close(inf.scale, FlowUnits::Mgd.to_cms()));
    let ts = &ext.timeseries[inf.series.unwrap()];
    assert_eq!(ts.points[1].0, 900.0);
    let LinkKind::Orifice(o) = &link(&ext, "OR1").kind else {
        panic!()
    };
    assert_eq!(o.xsect, XSection::Circular { d: 1.5 * FT });
    assert!(!o.bottom && o.cd == 0.65);
}

// ---------------------------------------------------------------------------------------
// Small texts: conversions and decisions
// ---------------------------------------------------------------------------------------

/// A small valid SI network; line numbers matter to the tests below.
const BASE: &str = "\
[OPTIONS]
FLOW_UNITS CMS
[JUNCTIONS]
J1 10 2
J2 9 2
[OUTFALLS]
OUT 8 FREE NO
[CONDUITS]
C1 J1 J2 100 0.013 0 0
C2 J2 OUT 100 0.013 0 0
[XSECTIONS]
C1 CIRCULAR 0.5
C2 CIRCULAR 0.5
";

/// `BASE` with 1-based line `n` replaced.
fn with_line(n: usize, line: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    lines[n - 1] = line;
    lines.join("\n") + "\n"
}

fn ok(text: &str) -> Network {
    parse_inp(text, "t.inp").unwrap_or_else(|e| panic!("{e}"))
}

/// The error of `text`, checked to be at `line` and to name each of `parts`.
fn fails_at(text: &str, line: usize, parts: &[&str]) -> String {
    let e = parse_inp(text, "t.inp").expect_err("should fail");
    let msg = e.to_string();
    assert_eq!(e.line(), Some(line), "{msg}");
    assert!(msg.starts_with(&format!("t.inp:{line}:")), "{msg}");
    for p in parts {
        assert!(msg.contains(p), "{msg} should name {p}");
    }
    msg
}

#[test]
fn base_text_loads() {
    let net = ok(BASE);
    assert_eq!((net.nodes.len(), net.links.len()), (3, 2));
    assert!(net.skipped.is_empty());
    assert_eq!(net.options.end_s, 86_400.0, "no dates: the default end");
}

#[test]
fn elevation_offsets_become_depths_above_the_invert() {
    let text = with_line(2, "FLOW_UNITS CMS\nLINK_OFFSETS ELEVATION")
        .replace("C1 J1 J2 100 0.013 0 0", "C1 J1 J2 100 0.013 10.5 *")
        .replace("C2 J2 OUT 100 0.013 0 0", "C2 J2 OUT 100 0.013 8 9");
    let net = ok(&text);
    let c1 = link(&net, "C1");
    assert_eq!((c1.from_offset_m, c1.to_offset_m), (0.5, 0.0));
    let c2 = link(&net, "C2");
    assert_eq!(
        (c2.from_offset_m, c2.to_offset_m),
        (0.0, 1.0),
        "below the invert → 0"
    );
}

#[test]
fn quadratic_storage_shapes_are_tabulated_and_others_exact() {
    let text = format!(
        "{BASE}[STORAGE]\nS1 5 2 0 CONICAL 4 4 1 0.5\nS2 5 2 0 PYRAMIDAL 2 3 0\n\
         S3 5 2 0 PARABOLIC 2 2 4\n"
    );
    let net = ok(&text);
    let NodeKind::Storage {
        shape: StorageShape::Tabular(k),
    } = node(&net, "S1").kind
    else {
        panic!()
    };
    let c = &net.curves[k];
    assert_eq!(
        (c.id.as_str(), c.kind),
        ("S1 (CONICAL shape)", CurveKind::Storage)
    );
    let last = *c.points.last().unwrap();
    // A circular cone of base radius 2 m and side slope 1: area π(2 + d)² at d = 2.5 m.
    assert!(close(last.0, 2.5) && close(last.1, std::f64::consts::PI * 4.5 * 4.5));
    assert_eq!(
        node(&net, "S2").kind,
        NodeKind::Storage {
            shape: StorageShape::Functional {
                a: 0.0,
                b: 0.0,
                c: 6.0
            }
        }
    );
    let NodeKind::Storage {
        shape: StorageShape::Functional { a, b, c },
    } = node(&net, "S3").kind
    else {
        panic!()
    };
    assert!(close(a, std::f64::consts::PI / 4.0) && b == 1.0 && c == 0.0);
}

#[test]
fn us_functional_storage_coefficients_convert_with_the_exponent() {
    let text = format!(
        "{}[STORAGE]\nS1 5 2 0 FUNCTIONAL 10 0.5 100\n",
        with_line(2, "FLOW_UNITS CFS")
    );
    let NodeKind::Storage {
        shape: StorageShape::Functional { a, b, c },
    } = node(&ok(&text), "S1").kind
    else {
        panic!()
    };
    // Area ft² = 10·d_ft^0.5 + 100: at d = 1 m both forms agree.
    let d_ft = 1.0 / FT;
    let want = (10.0 * d_ft.sqrt() + 100.0) * FT * FT;
    assert!(close(a * 1f64.powf(b) + c, want));
    assert!(close(a, 10.0 * FT.powf(1.5)) && close(c, 100.0 * FT * FT));
}

#[test]
fn us_stage_series_get_a_copy_in_metres() {
    let text = with_line(2, "FLOW_UNITS CFS").replace("OUT 8 FREE NO", "OUT 8 TIMESERIES TIDE")
        + "[TIMESERIES]\nTIDE 0:00 10 1:00 12\n[INFLOWS]\nJ1 FLOW TIDE FLOW 1 2 0.5\n";
    let net = ok(&text);
    let NodeKind::Outfall {
        boundary: OutfallBoundary::Timeseries(k),
        ..
    } = node(&net, "OUT").kind
    else {
        panic!()
    };
    let stage = &net.timeseries[k];
    assert_eq!(stage.id, "TIDE (m)");
    assert!(close(stage.points[1].1, 12.0 * FT) && stage.points[1].0 == 3600.0);
    let inf = &net.inflows[0];
    assert_eq!(
        net.timeseries[inf.series.unwrap()].points[1].1,
        12.0,
        "original kept"
    );
    assert!(close(inf.scale, 2.0 * CFS) && close(inf.baseline, 0.5 * CFS));
}

#[test]
fn rules_with_time_premises_or_and_else_read_in_si() {
    let text = format!(
        "{BASE}[ORIFICES]\nO1 J1 J2 SIDE 0.2 0.65 NO 0.5\n[XSECTIONS]\nO1 RECT_CLOSED 0.5 1\n\
         [CONTROLS]\nRULE R1\nIF SIMULATION TIME > 1:30\nOR NODE J1 DEPTH >= NODE J2 DEPTH\n\
         AND LINK C1 FLOW > 0.2\nTHEN ORIFICE O1 SETTING = 0.5\nAND CONDUIT C1 STATUS = CLOSED\n\
         ELSE ORIFICE O1 SETTING = 1\nPRIORITY 3\n"
    );
    let net = ok(&text);
    let LinkKind::Orifice(o) = &link(&net, "O1").kind else {
        panic!()
    };
    assert_eq!((o.close_time_s, o.cd), (1800.0, 0.65));
    let r = &net.controls[0];
    assert_eq!(r.line, 19);
    assert_eq!(r.conditions.len(), 3);
    assert_eq!(r.conditions[0].1.subject, Subject::Time);
    assert_eq!(r.conditions[0].1.value, Operand::Value(5400.0));
    assert!(!r.conditions[1].0 && r.conditions[2].0);
    assert_eq!(
        r.conditions[1].1.value,
        Operand::Subject(Subject::NodeDepth(net.node_index("J2").unwrap()))
    );
    let o1 = net.link_index("O1").unwrap();
    let c1 = net.link_index("C1").unwrap();
    assert_eq!(
        r.then,
        [
            Action {
                link: o1,
                setting: 0.5
            },
            Action {
                link: c1,
                setting: 0.0
            }
        ]
    );
    assert_eq!(
        r.otherwise,
        [Action {
            link: o1,
            setting: 1.0
        }]
    );
    assert_eq!(r.priority, 3.0);
}

// ---------------------------------------------------------------------------------------
// Hostile and broken input
// ---------------------------------------------------------------------------------------

#[test]
fn empty_or_comment_only_text_is_not_an_inp_file() {
    for text in ["", "\n\n", "  ;; just a comment\n\t\n"] {
        let e = parse_inp(text, "t.inp").unwrap_err();
        assert!(matches!(e, InpError::Empty { .. }), "{e}");
        assert_eq!(e.line(), Some(1));
        assert!(e.to_string().starts_with("t.inp:1: no SWMM section"), "{e}");
    }
    // Sections but nothing in them: an empty network.
    let net = ok("[TITLE]\n[JUNCTIONS]\n");
    assert!(net.nodes.is_empty() && net.links.is_empty());
}

#[test]
fn a_conduit_naming_an_unknown_node_is_refused_at_its_line() {
    fails_at(
        &with_line(10, "C2 J2 J9 100 0.013 0 0"),
        10,
        &[
            "[CONDUITS]",
            "conduit C2",
            "to node \"J9\" is not defined",
            "junction",
        ],
    );
}

#[test]
fn an_unknown_or_unsupported_shape_is_named() {
    fails_at(
        &with_line(13, "C2 WIBBLE 0.5"),
        13,
        &["[XSECTIONS]", "\"WIBBLE\"", "CIRCULAR"],
    );
    fails_at(
        &with_line(13, "C2 EGG 1 0 0 0"),
        13,
        &["EGG is not supported", "TRIANGULAR"],
    );
}

#[test]
fn a_bad_number_names_its_field() {
    fails_at(
        &with_line(4, "J1 1.2.3 2"),
        4,
        &["[JUNCTIONS]", "junction J1", "invert", "\"1.2.3\""],
    );
    fails_at(&with_line(4, "J1 10 -2"), 4, &["max depth", "≥ 0"]);
    fails_at(&with_line(9, "C1 J1 J2 0 0.013 0 0"), 9, &["length", "> 0"]);
}

#[test]
fn nan_and_infinity_are_not_numbers() {
    for bad in ["NaN", "inf", "-infinity", "1e400"] {
        fails_at(
            &with_line(4, &format!("J1 {bad} 2")),
            4,
            &["invert", "not a finite number"],
        );
    }
    // Finite in the file but not in SI.
    let text = format!(
        "{}[TIMESERIES]\nT 0 1\n[RAINGAGES]\nG INTENSITY 1:00 1 TIMESERIES T\n\
         [SUBCATCHMENTS]\nS G J1 1e305 50 100 1 0\n[SUBAREAS]\nS 0.01 0.1 1 1 25 OUTLET\n",
        with_line(2, "FLOW_UNITS CFS")
    );
    fails_at(&text, 19, &["[SUBCATCHMENTS]", "area", "too large"]);
}

#[test]
fn duplicate_ids_name_both_lines() {
    fails_at(
        &with_line(5, "J1 9 2"),
        5,
        &["junction J1", "junction at line 4"],
    );
    fails_at(&with_line(5, "j1 9 2"), 5, &["line 4"]);
    let text = BASE.replace("OUT 8 FREE NO", "J2 8 FREE NO");
    fails_at(&text, 7, &["[OUTFALLS]", "junction at line 5"]);
    fails_at(
        &format!("{BASE}C2 CIRCULAR 1\n"),
        14,
        &["second cross-section", "line 13"],
    );
}

#[test]
fn an_unknown_section_is_refused() {
    fails_at(
        &format!("{BASE}[FOO]\nx 1\n"),
        14,
        &["[FOO]", "unknown section"],
    );
    fails_at(&format!("junk\n{BASE}"), 1, &["before any section"]);
}

#[test]
fn a_pump_with_a_missing_curve_is_refused() {
    let text = format!("{BASE}[PUMPS]\nP1 J2 OUT PC9 ON 0 0\n");
    fails_at(
        &text,
        15,
        &[
            "[PUMPS]",
            "pump P1",
            "\"PC9\" is not defined",
            "PUMP1–PUMP5",
        ],
    );
    let text = format!("{BASE}[PUMPS]\nP1 J2 OUT PC9 ON\n[CURVES]\nPC9 STORAGE 0 1\n");
    fails_at(&text, 15, &["is a STORAGE curve (line 17)"]);
}

#[test]
fn a_curve_with_descending_x_is_refused_at_the_point() {
    let text = format!("{BASE}[CURVES]\nPC1 PUMP3 2 0.9 4 0.8\nPC1 3 0.7\n");
    fails_at(
        &text,
        16,
        &[
            "[CURVES]",
            "curve PC1",
            "x 3 does not increase",
            "ascending",
        ],
    );
    let text = format!("{BASE}[CURVES]\nPC1 PUMP3\n");
    fails_at(&text, 15, &["no points"]);
    let text = format!("{BASE}[TIMESERIES]\nT 1:00 1\nT 0:30 2\n");
    fails_at(&text, 16, &["[TIMESERIES]", "0:30", "ascending time"]);
}

#[test]
fn unsupported_features_are_refused_where_they_are() {
    let ts = format!("{BASE}[TIMESERIES]\nT FILE rain.dat\n");
    fails_at(&ts, 15, &["external time series files are not supported"]);
    let rg = format!("{BASE}[RAINGAGES]\nG INTENSITY 0:05 1 FILE r.dat STA MM\n");
    fails_at(&rg, 15, &["[RAINGAGES]", "files are not supported"]);
    let rule = format!(
        "{BASE}[CONTROLS]\nRULE R\nIF GAGE G INTENSITY > 1\nTHEN CONDUIT C1 STATUS = OPEN\n"
    );
    fails_at(
        &rule,
        16,
        &["[CONTROLS]", "rule R", "GAGE", "not supported"],
    );
    let pid = format!(
        "{BASE}[CONTROLS]\nRULE R\nIF NODE J1 DEPTH > 1\nTHEN CONDUIT C1 SETTING = PID 1 2 3\n"
    );
    fails_at(&pid, 17, &["PID"]);
    let order = format!("{BASE}[CONTROLS]\nRULE R\nTHEN CONDUIT C1 STATUS = OPEN\n");
    fails_at(&order, 16, &["out of order"]);
    let wrong =
        format!("{BASE}[CONTROLS]\nRULE R\nIF NODE J1 DEPTH > 1\nTHEN PUMP C1 STATUS = ON\n");
    fails_at(&wrong, 17, &["is not a pump"]);
    let weir = format!("{BASE}[WEIRS]\nW1 J1 J2 V-NOTCH 0 1.4\n[XSECTIONS]\nW1 RECT_OPEN 1 1\n");
    fails_at(&weir, 17, &["does not fit a V-NOTCH weir", "TRIANGULAR"]);
}

#[test]
fn references_and_times_are_checked() {
    fails_at(
        &format!("{BASE}C9 CIRCULAR 0.5\n"),
        14,
        &["link \"C9\" is not defined"],
    );
    fails_at(
        &BASE.replace("C2 CIRCULAR 0.5\n", ""),
        10,
        &["conduit C2", "no [XSECTIONS] line"],
    );
    let end = with_line(2, "START_DATE 01/02/2020\nEND_DATE 01/01/2020");
    fails_at(&end, 3, &["[OPTIONS]", "not after"]);
    fails_at(
        &with_line(2, "START_DATE 02/30/2020"),
        2,
        &["option START_DATE", "not a valid date"],
    );
    fails_at(&with_line(2, "FLOW_UNITS XYZ"), 2, &["\"XYZ\"", "CFS, GPM"]);
    let sub = format!("{BASE}[SUBCATCHMENTS]\nS1 G9 J1 1 50 100 1 0\n");
    fails_at(&sub, 15, &["rain gauge \"G9\" is not defined"]);
    let inf = format!("{BASE}[INFLOWS]\nJ1 FLOW \"\" FLOW 1 1 1\nJ1 FLOW \"\" FLOW 1 1 2\n");
    fails_at(&inf, 16, &["second FLOW inflow", "line 15"]);
    let xy = format!("{BASE}[COORDINATES]\nJ7 0 0\n");
    fails_at(&xy, 15, &["node \"J7\" is not defined"]);
}

/// A small deterministic generator (no dependency needed for fuzzing).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn random_bytes_and_token_soup_never_panic() {
    let mut g = Lcg(0x5eed);
    for _ in 0..300 {
        let len = g.below(3000);
        let bytes: Vec<u8> = (0..len).map(|_| g.next() as u8).collect();
        let _ = parse_inp(&String::from_utf8_lossy(&bytes), "r.inp");
    }
    // Lines of SWMM words in random order reach deeper into the reader.
    let words = [
        "[JUNCTIONS]",
        "[OUTFALLS]",
        "[STORAGE]",
        "[CONDUITS]",
        "[XSECTIONS]",
        "[PUMPS]",
        "[CURVES]",
        "[TIMESERIES]",
        "[CONTROLS]",
        "[OPTIONS]",
        "[WEIRS]",
        "[ORIFICES]",
        "[OUTLETS]",
        "[SUBCATCHMENTS]",
        "[SUBAREAS]",
        "[INFILTRATION]",
        "[RAINGAGES]",
        "[INFLOWS]",
        "[LOSSES]",
        "[DIVIDERS]",
        "[COORDINATES]",
        "J1",
        "J2",
        "OUT",
        "C1",
        "P1",
        "PC1",
        "T",
        "G",
        "S1",
        "RULE",
        "IF",
        "THEN",
        "AND",
        "OR",
        "ELSE",
        "PRIORITY",
        "NODE",
        "LINK",
        "PUMP",
        "DEPTH",
        "STATUS",
        "=",
        ">",
        "ON",
        "OFF",
        "CIRCULAR",
        "DUMMY",
        "FUNCTIONAL",
        "TABULAR",
        "CONICAL",
        "PUMP3",
        "STORAGE",
        "TIDAL",
        "RATING",
        "FREE",
        "FIXED",
        "TIMESERIES",
        "FLOW",
        "\"\"",
        "*",
        "0",
        "1",
        "-1",
        "0.5",
        "1e308",
        "1:00",
        "01/01/2020",
        "NaN",
        "YES",
        "NO",
        "ELEVATION",
        "LINK_OFFSETS",
        "FLOW_UNITS",
        "CFS",
        "INTENSITY",
        "HORTON",
        "CURVE_NUMBER",
        "OUTLET",
        "TRANSVERSE",
        "V-NOTCH",
        "SIDE",
        ";",
    ];
    for _ in 0..2000 {
        let mut text = String::new();
        for _ in 0..g.below(40) {
            for _ in 0..=g.below(9) {
                text.push_str(words[g.below(words.len())]);
                text.push(' ');
            }
            text.push('\n');
        }
        let _ = parse_inp(&text, "soup.inp");
    }
}

#[test]
fn cut_and_shuffled_street_files_never_panic_and_fail_at_a_line() {
    let text = std::fs::read_to_string(data("street_p1/street.inp")).unwrap();
    let mut g = Lcg(7);
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut)
            && let Err(e) = parse_inp(&text[..cut], "street.inp")
        {
            assert!(e.line().is_some(), "{e}");
        }
        cut += 61;
    }
    let lines: Vec<&str> = text.lines().collect();
    for _ in 0..200 {
        let mut l = lines.clone();
        for _ in 0..5 {
            let i = g.below(l.len());
            let j = g.below(l.len());
            l.swap(i, j);
        }
        l.remove(g.below(l.len()));
        if let Err(e) = parse_inp(&l.join("\n"), "street.inp") {
            assert!(e.to_string().contains("street.inp:"), "{e}");
        }
    }
}

#[test]
fn legacy_code_page_bytes_are_fine_in_comments_and_located_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.inp");
    let mut bytes = BASE
        .replace("J1 10 2\n", "J1 10 2 ; caf\u{e9}\n")
        .into_bytes();
    let at = bytes.iter().position(|&b| b == 0xc3).unwrap();
    bytes.splice(at..at + 2, [0xe9]);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(read_inp(&path).unwrap().nodes.len(), 3);

    let bytes = BASE.replace("J2 9 2", "J\u{e9} 9 2").into_bytes();
    let mut bytes = bytes;
    let at = bytes.iter().position(|&b| b == 0xc3).unwrap();
    bytes.splice(at..at + 2, [0xe9]);
    std::fs::write(&path, &bytes).unwrap();
    let e = read_inp(&path).unwrap_err();
    assert_eq!(e.line(), Some(5), "{e}");
    assert!(
        e.to_string().contains("[JUNCTIONS]") && e.to_string().contains("0xE9"),
        "{e}"
    );
}
