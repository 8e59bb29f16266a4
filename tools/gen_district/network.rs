//! The storm sewer network, written as an EPA SWMM 5 `network.inp`.
//!
//! How it works (deterministic, no random stream):
//! 1. **Manholes** on every street except footpaths, at both ends of each road feature
//!    and at most 75 m apart between them; features share their end vertices, so a
//!    crossing is one manhole. Nothing is placed on the river works or east of the
//!    western levee's inner toe. The rim is the DEM at the manhole's cell.
//! 2. **Systems**: each underpass has its own (its road from one ramp foot to the
//!    other, draining to a wet well at its lowest point); everything else is the
//!    main system. A pipe joins two consecutive manholes of one street only when both
//!    are in the same system.
//! 3. **Outlets of the main system**: gravity outfalls through the western levee
//!    (flap-gated, discharging into the river channel at the bank + 6 m) from the
//!    levee road every ~300 m and beside each river pump station. A tree is grown from
//!    all outlets at once (Dijkstra on pipe length, uphill steps penalised), so every
//!    manhole drains by one pipe to the outlet nearest along the streets.
//! 4. **Sizes**: each manhole drains half of each street beside it over a 120 m
//!    strip; the design flow of a pipe is 0.8 × 45 mm/h × the area upstream, plus the
//!    underpass pumps that discharge upstream; the diameter is the smallest standard
//!    one (0.3–2.4 m) whose full-bore Manning capacity (n = 0.013) at 0.2 % passes it,
//!    then box culverts 2 m high. Inverts: 1 m cover over the crown, and at least
//!    0.1 % fall along every pipe.
//! 5. **Pump stations as pumps**: a river station's wet well (storage, 300 m², 6 m
//!    deep) takes the swale sump beside it and lifts to its outfall in the river with
//!    two pumps of half its capacity (on at 1.0 m, off at 0.4 m; on at 2.0 m, off at
//!    1.0 m). An underpass station's wet well (40 m², 5 m below the sump) takes the
//!    underpass pipes and lifts with two 0.5 m³/s pumps (on 0.8/off 0.3 m, on 1.6/off
//!    0.8 m) into the main-system manhole nearest its discharge point. Pump names
//!    start with the station's id (`PS03_P1`), which is how a scenario ties a station
//!    to its pumps.
//!
//! Coordinates are map coordinates (the DEM's frame); elevations are metres above the
//! DEM datum; flow units CMS.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::frame::{Frame, XLL, YLL, dist, round_to};
use crate::places::{Extra, Place};
use crate::plan::{Plan, RoadClass};
use crate::relief::Relief;
use crate::roads::RoadFeature;
use crate::terrain::{Rasters, sump_centre, underpass_rect};

/// What the generator reads.
pub struct Inputs<'a> {
    /// Grid.
    pub frame: &'a Frame,
    /// Relief (river geometry).
    pub relief: &'a Relief,
    /// Plan (underpasses, pump sites, levee road).
    pub plan: &'a Plan,
    /// DEM and land use.
    pub rasters: &'a Rasters,
    /// Road features (split at crossings).
    pub roads: &'a [RoadFeature],
    /// Places (pump stations, hotspots).
    pub places: &'a [Place],
}

/// Counts written into the README.
#[derive(Debug, Clone, Default)]
pub struct NetStats {
    /// Manholes.
    pub manholes: usize,
    /// Pipes.
    pub conduits: usize,
    /// Pipe length, km.
    pub length_km: f64,
    /// Outfalls.
    pub outfalls: usize,
    /// Wet wells.
    pub wet_wells: usize,
    /// Pumps.
    pub pumps: usize,
    /// Largest diameter (or box width), m.
    pub largest_m: f64,
}

/// Largest spacing between manholes along a street, m.
const SPACING: f64 = 75.0;
/// Width of the strip a street's sewer drains, m.
const STRIP: f64 = 120.0;
/// Design rain intensity, m/s (45 mm/h), and runoff coefficient.
const DESIGN_I: f64 = 45.0 / 3.6e6;
const RUNOFF_C: f64 = 0.8;
/// Cover over the crown, m; minimum fall along a pipe.
const COVER: f64 = 1.0;
const MIN_FALL: f64 = 0.001;
/// Design slope for sizing, Manning's n.
const DESIGN_S: f64 = 0.002;
const MANNING: f64 = 0.013;
/// Standard diameters, m.
const DIAMETERS: [f64; 11] = [0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 1.8, 2.0, 2.4];
/// Spacing of gravity outfalls along the levee road, m.
const OUTFALL_EVERY: f64 = 300.0;
/// Underpass pumps: each, m³/s.
const UNDERPASS_PUMP: f64 = 0.5;

#[derive(Debug, Clone)]
struct Node {
    p: [f64; 2],
    ground: f64,
    /// 0 = main system, k + 1 = underpass k.
    system: usize,
    area: f64,
}

fn key(p: [f64; 2]) -> (i64, i64) {
    ((p[0] * 2.0).round() as i64, (p[1] * 2.0).round() as i64)
}

fn full_capacity(d: f64) -> f64 {
    let a = std::f64::consts::PI * d * d / 4.0;
    a * (d / 4.0).powf(2.0 / 3.0) * DESIGN_S.sqrt() / MANNING
}

fn box_capacity(w: f64, h: f64) -> f64 {
    let a = w * h;
    a * (a / (2.0 * (w + h))).powf(2.0 / 3.0) * DESIGN_S.sqrt() / MANNING
}

/// Cross-section for a design flow: `("CIRCULAR", d, 0)` or `("RECT_CLOSED", 2, w)`.
fn section(q: f64) -> (&'static str, f64, f64) {
    for d in DIAMETERS {
        if full_capacity(d) >= q {
            return ("CIRCULAR", d, 0.0);
        }
    }
    let mut w = 2.5;
    while box_capacity(w, 2.0) < q && w < 12.0 {
        w += 0.5;
    }
    ("RECT_CLOSED", 2.0, w)
}

/// Make the network. Returns the `.inp` text and its counts.
pub fn make_network(inp: &Inputs) -> (String, NetStats) {
    let (frame, relief, plan, rasters) = (inp.frame, inp.relief, inp.plan, inp.rasters);
    let ground = |p: [f64; 2]| {
        frame
            .cell_at(p[0], p[1])
            .map_or(f64::NAN, |(r, c)| rasters.dem[frame.idx(r, c)])
    };
    let on_land = |p: [f64; 2]| {
        frame.cell_at(p[0], p[1]).is_some()
            && !relief.in_river_works(p[0], p[1])
            && p[0] < relief.river.west_inner_toe(p[1]) - 5.0
    };
    // Underpass extents: the dip and its ramps (the road falls by `depth` at ~7 %).
    let dips: Vec<_> = plan
        .underpasses
        .iter()
        .map(|up| {
            let r = underpass_rect(plan, frame.cell, up.u, up.half);
            let ramp = up.depth / 0.07 + 10.0;
            (
                up.u - up.half - frame.cell,
                up.u + up.half + frame.cell,
                r.v0 - ramp,
                r.v1 + ramp,
            )
        })
        .collect();
    let system_of = |p: [f64; 2]| {
        dips.iter()
            .position(|&(u0, u1, v0, v1)| p[0] >= u0 && p[0] <= u1 && p[1] >= v0 && p[1] <= v1)
            .map_or(0, |k| k + 1)
    };

    // 1–2. Manholes and pipes along the streets.
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    let mut edges: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for f in inp.roads {
        if f.class == RoadClass::Footway {
            continue;
        }
        let len = dist(f.a, f.b);
        if len < 1.0 {
            continue;
        }
        let n = (len / SPACING).ceil() as usize;
        let mut prev: Option<usize> = None;
        for k in 0..=n {
            let t = k as f64 / n as f64;
            let raw = [
                f.a[0] + t * (f.b[0] - f.a[0]),
                f.a[1] + t * (f.b[1] - f.a[1]),
            ];
            // Streets run to the grid's edge: keep the manhole half a cell inside.
            let inside = |x: f64| x.clamp(0.5 * frame.cell, frame.extent - 0.5 * frame.cell);
            let p = [round_to(inside(raw[0]), 2.0), round_to(inside(raw[1]), 2.0)];
            if !on_land(p) || !ground(p).is_finite() {
                prev = None;
                continue;
            }
            let id = *index.entry(key(p)).or_insert_with(|| {
                nodes.push(Node {
                    p,
                    ground: ground(p),
                    system: system_of(p),
                    area: 0.0,
                });
                nodes.len() - 1
            });
            if let Some(q) = prev
                && q != id
                && nodes[q].system == nodes[id].system
            {
                let l = dist(nodes[q].p, nodes[id].p);
                edges.insert((q.min(id), q.max(id)), l);
                nodes[q].area += 0.5 * l * STRIP;
                nodes[id].area += 0.5 * l * STRIP;
            }
            prev = Some(id);
        }
    }
    let n_manholes = nodes.len();
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n_manholes];
    for (&(a, b), &l) in &edges {
        adj[a].push((b, l));
        adj[b].push((a, l));
    }

    let stations: Vec<&Place> = inp
        .places
        .iter()
        .filter(|p| p.kind == "pump_station")
        .collect();
    let station_near = |q: [f64; 2]| {
        stations
            .iter()
            .min_by(|a, b| dist(a.p, q).total_cmp(&dist(b.p, q)))
            .copied()
    };
    let nearest_node = |q: [f64; 2], system: usize| {
        (0..n_manholes)
            .filter(|&i| nodes[i].system == system)
            .min_by(|&a, &b| dist(nodes[a].p, q).total_cmp(&dist(nodes[b].p, q)))
    };

    // 3. Roots of the main system: levee-road manholes every ~300 m and beside pumps.
    let levee = plan.levee_road().pos;
    let mut on_levee: Vec<usize> = (0..n_manholes)
        .filter(|&i| nodes[i].system == 0 && (nodes[i].p[0] - levee).abs() < frame.cell)
        .collect();
    on_levee.sort_by(|&a, &b| nodes[a].p[1].total_cmp(&nodes[b].p[1]));
    let mut roots: Vec<usize> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for &i in &on_levee {
        let v = nodes[i].p[1];
        let near_pump = plan.pumps.iter().any(|s| (s.v - v).abs() < 0.5 * SPACING);
        if v - last >= OUTFALL_EVERY || near_pump {
            roots.push(i);
            last = v;
        }
    }
    // The lowest manhole of each underpass drains to its wet well.
    let mut up_roots: Vec<Option<usize>> = Vec::new();
    for k in 0..plan.underpasses.len() {
        let low = (0..n_manholes)
            .filter(|&i| nodes[i].system == k + 1)
            .min_by(|&a, &b| nodes[a].ground.total_cmp(&nodes[b].ground));
        up_roots.push(low);
    }
    let mut all_roots = roots.clone();
    all_roots.extend(up_roots.iter().flatten());

    // Tree: multi-source Dijkstra from the roots; parent = next manhole downstream.
    let mut cost = vec![f64::INFINITY; n_manholes];
    let mut parent: Vec<Option<usize>> = vec![None; n_manholes];
    let mut done = vec![false; n_manholes];
    for &r in &all_roots {
        cost[r] = 0.0;
    }
    while let Some(u) = (0..n_manholes)
        .filter(|&i| !done[i] && cost[i].is_finite())
        .min_by(|&a, &b| cost[a].total_cmp(&cost[b]).then(a.cmp(&b)))
    {
        done[u] = true;
        for &(w, l) in &adj[u] {
            // Flow runs w → u; a step where w lies lower than u is penalised.
            let c = cost[u] + l + 200.0 * (nodes[u].ground - nodes[w].ground).max(0.0);
            if c < cost[w] {
                cost[w] = c;
                parent[w] = Some(u);
            }
        }
    }
    // Order from the leaves down: by decreasing cost.
    let mut order: Vec<usize> = (0..n_manholes).filter(|&i| cost[i].is_finite()).collect();
    order.sort_by(|&a, &b| cost[b].total_cmp(&cost[a]).then(a.cmp(&b)));

    // 4. Design flows: area upstream, plus underpass pumps discharging into the system.
    let mut extra_q = vec![0.0; n_manholes];
    let mut discharges: Vec<(usize, Option<usize>)> = Vec::new(); // (underpass k, main manhole)
    for (k, up) in plan.underpasses.iter().enumerate() {
        if up_roots[k].is_none() {
            continue;
        }
        let st = station_near(nodes[up_roots[k].unwrap_or(0)].p);
        let target = match st.map(|s| &s.extra) {
            Some(Extra::Pump { outfall, .. }) => *outfall,
            _ => [up.u, plan.rail.v + plan.rail.corridor_half + 40.0],
        };
        let j = nearest_node(target, 0);
        if let Some(j) = j {
            extra_q[j] += 2.0 * UNDERPASS_PUMP;
        }
        discharges.push((k, j));
    }
    let mut acc_area: Vec<f64> = nodes.iter().map(|n| n.area).collect();
    let mut acc_q = extra_q.clone();
    for &i in &order {
        if let Some(p) = parent[i] {
            acc_area[p] += acc_area[i];
            acc_q[p] += acc_q[i];
        }
    }
    let design = |i: usize| RUNOFF_C * DESIGN_I * acc_area[i] + acc_q[i];
    let sect: Vec<(&str, f64, f64)> = (0..n_manholes).map(|i| section(design(i))).collect();
    // Inverts, leaves first: cover over the crown of the pipe leaving, fall along pipes.
    let mut invert: Vec<f64> = (0..n_manholes)
        .map(|i| nodes[i].ground - COVER - sect[i].1)
        .collect();
    for &i in &order {
        if let Some(p) = parent[i] {
            let l = dist(nodes[i].p, nodes[p].p);
            invert[p] = invert[p].min(invert[i] - MIN_FALL * l);
        }
    }
    for x in &mut invert {
        *x = round_to(*x, 100.0);
    }

    // Names.
    let jname = |i: usize| format!("J{:04}", i + 1);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "[TITLE]\n;;Storm sewer network of the floodrill demo district (generated by gen-district; see README.md)\n"
    );
    let _ = writeln!(
        s,
        "[OPTIONS]\nFLOW_UNITS           CMS\nFLOW_ROUTING         DYNWAVE\nLINK_OFFSETS         DEPTH\nALLOW_PONDING        NO\nROUTING_STEP         0:00:05\nVARIABLE_STEP        0.75\nSTART_DATE           07/15/2026\nSTART_TIME           00:00:00\nEND_DATE             07/15/2026\nEND_TIME             06:00:00\nREPORT_STEP          00:01:00\n"
    );

    let mut stats = NetStats {
        manholes: n_manholes,
        ..NetStats::default()
    };
    let mut junctions = String::new();
    let mut conduits = String::new();
    let mut xsections = String::new();
    let mut coords = String::new();
    let mut storage = String::new();
    let mut outfalls = String::new();
    let mut pumps = String::new();
    let mut curves = String::new();
    let map = |p: [f64; 2]| (round_to(XLL + p[0], 10.0), round_to(YLL + p[1], 10.0));
    let mut coord = |name: &str, p: [f64; 2]| {
        let (x, y) = map(p);
        let _ = writeln!(coords, "{name:<12} {x:.1} {y:.1}");
    };
    let mut link_no = 0usize;
    let xsect = |xs: &mut String, name: &str, (shape, g1, g2): (&str, f64, f64)| {
        let _ = writeln!(xs, "{name:<12} {shape:<12} {g1:.2} {g2:.2} 0 0 1");
    };
    for i in 0..n_manholes {
        if !cost[i].is_finite() {
            continue; // an isolated manhole (no street pipe reaches it): not written
        }
        let depth = round_to(nodes[i].ground - invert[i], 100.0);
        let _ = writeln!(
            junctions,
            "{:<12} {:.2} {:.2} 0 0 0",
            jname(i),
            invert[i],
            depth
        );
        coord(&jname(i), nodes[i].p);
    }
    for &i in order.iter().rev() {
        let Some(p) = parent[i] else { continue };
        link_no += 1;
        let name = format!("C{link_no:04}");
        let l = dist(nodes[i].p, nodes[p].p).max(1.0);
        let _ = writeln!(
            conduits,
            "{name:<12} {:<12} {:<12} {l:.1} {MANNING} 0 0 0 0",
            jname(i),
            jname(p)
        );
        xsect(&mut xsections, &name, sect[i]);
        stats.length_km += l / 1000.0;
        stats.largest_m = stats.largest_m.max(sect[i].1.max(sect[i].2));
    }
    let mut losses_gate = Vec::new();
    // Gravity outfalls through the levee.
    let mut n_out = 0usize;
    let mut outfall_to = |from: usize,
                          q_design: f64,
                          conduits: &mut String,
                          xsections: &mut String,
                          outfalls: &mut String,
                          coord: &mut dyn FnMut(&str, [f64; 2])| {
        n_out += 1;
        let v = nodes[from].p[1];
        let at = [round_to(relief.river.west_bank(v) + 6.0, 10.0), v];
        let bed = ground(at);
        let l = dist(nodes[from].p, at);
        let inv = round_to((invert[from] - MIN_FALL * l).max(bed), 100.0);
        let name = format!("OF{n_out:02}");
        let _ = writeln!(outfalls, "{name:<12} {inv:.2} FREE YES");
        coord(&name, at);
        link_no += 1;
        let cname = format!("C{link_no:04}");
        let _ = writeln!(
            conduits,
            "{cname:<12} {:<12} {name:<12} {l:.1} {MANNING} 0 0 0 0",
            jname(from)
        );
        let s = section(q_design);
        let _ = writeln!(
            xsections,
            "{cname:<12} {:<12} {:.2} {:.2} 0 0 1",
            s.0, s.1, s.2
        );
        losses_gate.push(cname);
    };
    for &r in &roots {
        outfall_to(
            r,
            design(r),
            &mut conduits,
            &mut xsections,
            &mut outfalls,
            &mut coord,
        );
    }
    stats.outfalls = n_out;
    stats.conduits = link_no;

    // 5. Pump stations.
    let curve_for = |name: &str, q: f64, curves: &mut String| {
        // TYPE3: flow against head (head = outlet head − wet-well head).
        for (h, f) in [(0.0, 1.1), (6.0, 1.0), (12.0, 0.6), (16.0, 0.0)] {
            let ty = if h == 0.0 { "Pump3" } else { "" };
            let _ = writeln!(curves, "{name:<12} {ty:<6} {h:.1} {:.3}", f * q);
        }
    };
    let mut n_pump_out = 0usize;
    for site in &plan.pumps {
        let sump = sump_centre(relief, site.v);
        let Some(st) = station_near([site.road_edge, site.v]) else {
            continue;
        };
        let Extra::Pump {
            capacity_m3_h,
            outfall,
        } = st.extra
        else {
            continue;
        };
        let g = ground(sump);
        if !g.is_finite() {
            continue;
        }
        let ww = format!("{}_WW", st.id);
        let _ = writeln!(
            storage,
            "{ww:<12} {:.2} 6.00 0 FUNCTIONAL 0 0 300 0 0",
            g - 6.0
        );
        coord(&ww, sump);
        n_pump_out += 1;
        let of = format!("{}_OUT", st.id);
        let bed = ground(outfall);
        let _ = writeln!(outfalls, "{of:<12} {:.2} FREE YES", bed.max(g - 6.0));
        coord(&of, outfall);
        let q = capacity_m3_h as f64 / 3600.0 / 2.0;
        let cv = format!("{}_CURVE", st.id);
        curve_for(&cv, q, &mut curves);
        for (k, (on, off)) in [(1.0, 0.4), (2.0, 1.0)].into_iter().enumerate() {
            let _ = writeln!(
                pumps,
                "{:<12} {ww:<12} {of:<12} {cv:<12} ON {on:.1} {off:.1}",
                format!("{}_P{}", st.id, k + 1)
            );
            stats.pumps += 1;
        }
        stats.wet_wells += 1;
    }
    for (k, j) in discharges {
        let Some(low) = up_roots[k] else { continue };
        let Some(st) = station_near(nodes[low].p) else {
            continue;
        };
        let ww = format!("{}_WW", st.id);
        let sump = nodes[low].p;
        let g = nodes[low].ground;
        let bottom = round_to(invert[low].min(g - 5.0) - 0.5, 100.0);
        let _ = writeln!(
            storage,
            "{ww:<12} {bottom:.2} {:.2} 0 FUNCTIONAL 0 0 40 0 0",
            g - bottom
        );
        coord(&ww, [sump[0], sump[1] + 6.0]);
        link_no += 1;
        let cname = format!("C{link_no:04}");
        let _ = writeln!(
            conduits,
            "{cname:<12} {:<12} {ww:<12} 6.0 {MANNING} 0 0 0 0",
            jname(low)
        );
        let _ = writeln!(xsections, "{cname:<12} CIRCULAR     1.00 0.00 0 0 1");
        let Some(j) = j else { continue };
        let cv = format!("{}_CURVE", st.id);
        curve_for(&cv, UNDERPASS_PUMP, &mut curves);
        for (n, (on, off)) in [(0.8, 0.3), (1.6, 0.8)].into_iter().enumerate() {
            let _ = writeln!(
                pumps,
                "{:<12} {ww:<12} {:<12} {cv:<12} ON {on:.1} {off:.1}",
                format!("{}_P{}", st.id, n + 1),
                jname(j)
            );
            stats.pumps += 1;
        }
        stats.wet_wells += 1;
    }
    stats.outfalls += n_pump_out;
    stats.conduits = link_no;

    let _ = writeln!(
        s,
        "[JUNCTIONS]\n;;Name       Elevation MaxDepth InitDepth SurDepth Aponded\n{junctions}"
    );
    let _ = writeln!(
        s,
        "[OUTFALLS]\n;;Name       Elevation Type Gated\n{outfalls}"
    );
    let _ = writeln!(
        s,
        "[STORAGE]\n;;Name       Elev MaxDepth InitDepth Shape Coeff Expon Const SurDepth Fevap\n{storage}"
    );
    let _ = writeln!(
        s,
        "[CONDUITS]\n;;Name       From         To           Length Roughness InOffset OutOffset InitFlow MaxFlow\n{conduits}"
    );
    let _ = writeln!(
        s,
        "[PUMPS]\n;;Name       From         To           Curve        Status Startup Shutoff\n{pumps}"
    );
    let _ = writeln!(
        s,
        "[XSECTIONS]\n;;Link       Shape        Geom1 Geom2 Geom3 Geom4 Barrels\n{xsections}"
    );
    let mut losses = String::new();
    for c in &losses_gate {
        let _ = writeln!(losses, "{c:<12} 0.5 1.0 0 NO");
    }
    let _ = writeln!(
        s,
        "[LOSSES]\n;;Link       Inlet Outlet Average FlapGate\n{losses}"
    );
    let _ = writeln!(s, "[CURVES]\n;;Name       Type   Head  Flow\n{curves}");
    let _ = writeln!(s, "[COORDINATES]\n;;Node       X-Coord Y-Coord\n{coords}");
    (s, stats)
}
