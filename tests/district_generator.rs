//! The demo district generator (`gen-district`, `tools/gen_district/`) run as a user
//! runs it, on a small 160 × 160 grid: it is deterministic, its files parse, and the
//! flood-relevant geometry holds (places inside the grid and beside roads, a levee
//! crest above the plain, hotspots in real low points, one connected road network).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SIZE: usize = 160;
const FILES: [&str; 8] = [
    "README.md",
    "buildings.geojson",
    "dem.asc",
    "landuse.asc",
    "network.inp",
    "places.geojson",
    "roads.geojson",
    "zones.geojson",
];

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-district"))
        .args(args)
        .output()
        .expect("gen-district should start")
}

fn generate(seed: u64, out: &Path) {
    let size = SIZE.to_string();
    let seed = seed.to_string();
    let out_s = out.to_str().expect("temp path is UTF-8");
    let o = run(&["--seed", &seed, "--size", &size, "--out", out_s]);
    assert!(
        o.status.success(),
        "gen-district failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read_all(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("output folder exists") {
        let e = e.expect("directory entry");
        let name = e.file_name().to_string_lossy().into_owned();
        files.insert(name, std::fs::read(e.path()).expect("readable file"));
    }
    files
}

/// A strictly parsed ESRI ASCII grid.
struct Asc {
    n: usize,
    xll: f64,
    yll: f64,
    cell: f64,
    values: Vec<f64>,
    /// Raw tokens, to check the number format.
    tokens: Vec<String>,
}

impl Asc {
    fn at(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.n + col]
    }
    /// Cell (row, col) holding map point (x, y), if inside.
    fn cell_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (u, v) = (x - self.xll, y - self.yll);
        let ext = self.n as f64 * self.cell;
        if !(0.0..ext).contains(&u) || !(0.0..ext).contains(&v) {
            return None;
        }
        Some((((ext - v) / self.cell) as usize, (u / self.cell) as usize))
    }
}

fn parse_asc(text: &str) -> Result<Asc, String> {
    let lines: Vec<&str> = text.lines().collect();
    let keys = [
        "ncols",
        "nrows",
        "xllcorner",
        "yllcorner",
        "cellsize",
        "NODATA_value",
    ];
    let mut head = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let line = lines.get(i).ok_or(format!("missing header line {key}"))?;
        let mut parts = line.split(' ');
        if parts.next() != Some(*key) {
            return Err(format!(
                "header line {} is `{line}`, expected `{key} …`",
                i + 1
            ));
        }
        let val: f64 = parts
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or(format!("bad value in `{line}`"))?;
        if parts.next().is_some() {
            return Err(format!("extra text in `{line}`"));
        }
        head.push(val);
    }
    let (ncols, nrows) = (head[0] as usize, head[1] as usize);
    if ncols != nrows {
        return Err(format!("grid is {ncols} × {nrows}, expected square"));
    }
    if head[5] != -9999.0 {
        return Err(format!("NODATA_value {} is not -9999", head[5]));
    }
    let rows = &lines[6..];
    if rows.len() != nrows {
        return Err(format!("{} data rows, header says {nrows}", rows.len()));
    }
    let mut values = Vec::with_capacity(ncols * nrows);
    let mut tokens = Vec::with_capacity(ncols * nrows);
    for (r, line) in rows.iter().enumerate() {
        let toks: Vec<&str> = line.split(' ').collect();
        if toks.len() != ncols {
            return Err(format!(
                "data row {} has {} values, expected {ncols}",
                r + 1,
                toks.len()
            ));
        }
        for t in toks {
            values.push(
                t.parse::<f64>()
                    .map_err(|_| format!("row {}: `{t}` is not a number", r + 1))?,
            );
            tokens.push(t.to_string());
        }
    }
    Ok(Asc {
        n: ncols,
        xll: head[2],
        yll: head[3],
        cell: head[4],
        values,
        tokens,
    })
}

struct District {
    dem: Asc,
    landuse: Asc,
    roads: Value,
    buildings: Value,
    zones: Value,
    places: Value,
}

fn load(dir: &Path) -> District {
    let text = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let asc = |name: &str| parse_asc(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let json = |name: &str| -> Value {
        serde_json::from_str(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    District {
        dem: asc("dem.asc"),
        landuse: asc("landuse.asc"),
        roads: json("roads.geojson"),
        buildings: json("buildings.geojson"),
        zones: json("zones.geojson"),
        places: json("places.geojson"),
    }
}

fn generated(seed: u64) -> (tempfile::TempDir, District) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(seed, dir.path());
    let d = load(dir.path());
    (dir, d)
}

fn features(fc: &Value) -> &Vec<Value> {
    assert_eq!(fc["type"], "FeatureCollection");
    fc["features"].as_array().expect("features array")
}

fn xy(v: &Value) -> (f64, f64) {
    let a = v.as_array().expect("coordinate pair");
    assert_eq!(a.len(), 2, "coordinates are [x, y]");
    (a[0].as_f64().expect("x"), a[1].as_f64().expect("y"))
}

/// Coordinates are rounded to 0.1 m.
fn assert_decimetres(x: f64) {
    assert!(
        ((x * 10.0).round() - x * 10.0).abs() < 1e-6,
        "coordinate {x} is not rounded to 0.1 m"
    );
}

const ROAD: f64 = 1.0;
const WATER: f64 = 6.0;
const BUILDING: f64 = 7.0;

#[test]
fn same_seed_gives_identical_bytes() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    generate(7, a.path());
    let first = read_all(a.path());
    assert_eq!(
        first.keys().map(String::as_str).collect::<Vec<_>>(),
        FILES,
        "exactly the district files"
    );
    generate(7, a.path());
    assert_eq!(
        read_all(a.path()),
        first,
        "regenerating in place changed the files"
    );
    generate(7, b.path());
    let other = read_all(b.path());
    for name in FILES {
        let (x, y) = (&first[name], &other[name]);
        if name == "README.md" {
            // The README quotes the output folder in its command line.
            let x = String::from_utf8_lossy(x).replace(a.path().to_str().unwrap_or(""), "OUT");
            let y = String::from_utf8_lossy(y).replace(b.path().to_str().unwrap_or(""), "OUT");
            assert_eq!(x, y, "README differs beyond the output path");
        } else {
            assert!(x == y, "{name} differs between two runs with the same seed");
        }
    }
}

#[test]
fn different_seed_gives_a_different_dem() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    generate(7, a.path());
    generate(8, b.path());
    let da = std::fs::read(a.path().join("dem.asc")).expect("dem");
    let db = std::fs::read(b.path().join("dem.asc")).expect("dem");
    assert_ne!(da, db, "seeds 7 and 8 gave the same DEM");
}

#[test]
fn rasters_have_the_documented_header_and_values() {
    let (_dir, d) = generated(7);
    for g in [&d.dem, &d.landuse] {
        assert_eq!(g.n, SIZE);
        assert_eq!((g.xll, g.yll, g.cell), (500000.0, 3350000.0, 5.0));
    }
    for t in &d.dem.tokens {
        let dec = t.split('.').nth(1).map_or(0, str::len);
        assert_eq!(dec, 2, "DEM value `{t}` does not have 2 decimals");
    }
    let (lo, hi) = d
        .dem
        .values
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &z| (a.min(z), b.max(z)));
    assert!(
        lo > 0.0 && hi < 80.0,
        "DEM range {lo}..{hi} is not plausible"
    );
    let mut used = [false; 9];
    for (t, &c) in d.landuse.tokens.iter().zip(&d.landuse.values) {
        assert!(
            t.parse::<u8>().is_ok(),
            "land-use value `{t}` is not an integer"
        );
        assert!((1.0..=8.0).contains(&c), "land-use code {c} is not 1–8");
        used[c as usize] = true;
    }
    for code in [1, 2, 4, 5, 6, 7, 8] {
        assert!(used[code], "land-use code {code} never used");
    }
}

#[test]
fn geojson_files_have_the_documented_properties() {
    let (_dir, d) = generated(7);

    let mut ids = std::collections::BTreeSet::new();
    for f in features(&d.roads) {
        let p = &f["properties"];
        assert!(
            ids.insert(p["id"].as_str().expect("road id").to_string()),
            "duplicate road id"
        );
        assert!(p["id"].as_str().is_some_and(|s| s.starts_with('R')));
        assert!(p["name"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(
            ["primary", "secondary", "residential", "footway"]
                .contains(&p["class"].as_str().expect("class"))
        );
        assert!(
            p["lanes"].is_u64() && p["speed_kmh"].is_number() && p["oneway"].is_boolean(),
            "{p}"
        );
        assert_eq!(f["geometry"]["type"], "LineString");
        let coords = f["geometry"]["coordinates"]
            .as_array()
            .expect("coordinates");
        assert!(coords.len() >= 2);
        for c in coords {
            let (x, y) = xy(c);
            assert_decimetres(x);
            assert_decimetres(y);
        }
    }

    let zone_ids: Vec<String> = features(&d.zones)
        .iter()
        .map(|f| f["properties"]["id"].as_str().expect("zone id").to_string())
        .collect();
    assert!(!zone_ids.is_empty());
    for f in features(&d.zones) {
        let p = &f["properties"];
        assert!(
            p["name"].as_str().is_some_and(|s| s.ends_with("社区")),
            "{p}"
        );
        assert!(p["name_en"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(f["geometry"]["type"], "Polygon");
    }

    let mut households = 0;
    for f in features(&d.buildings) {
        let p = &f["properties"];
        assert!(
            zone_ids.iter().any(|z| p["zone"] == z.as_str()),
            "building zone {} unknown",
            p["zone"]
        );
        let use_ = p["use"].as_str().expect("use");
        assert!(["residential", "school", "commercial", "industrial"].contains(&use_));
        assert!(p["floors"].as_u64().is_some_and(|f| f >= 1));
        let (hh, res) = (
            p["households"].as_u64().expect("households"),
            p["residents"].as_u64().expect("residents"),
        );
        if use_ == "residential" {
            assert!(hh >= 1 && res >= hh, "{p}");
        } else {
            assert_eq!((hh, res), (0, 0), "{p}");
        }
        households += hh;
        let ring = f["geometry"]["coordinates"][0].as_array().expect("ring");
        assert_eq!(ring.len(), 5, "rectangular footprint");
        assert_eq!(ring[0], ring[4], "ring is closed");
    }
    assert!(households > 0);

    for f in features(&d.places) {
        let p = &f["properties"];
        assert_eq!(f["geometry"]["type"], "Point");
        let kind = p["kind"].as_str().expect("kind");
        let id = p["id"].as_str().expect("id");
        let prefix = match kind {
            "shelter" => "S",
            "depot" => "D",
            "hotspot" => "H",
            "pump_station" => "PS",
            "post" => "P",
            "gauge" => "G",
            "assembly_point" => "A",
            other => panic!("unknown kind {other}"),
        };
        assert!(
            id.starts_with(prefix) && id[prefix.len()..].chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
        assert!(
            p["name"].as_str().is_some_and(|s| !s.is_empty()) && p["name_en"].as_str().is_some()
        );
        if kind == "gauge" {
            assert!(p["zone"].is_null());
        } else {
            assert!(
                zone_ids.iter().any(|z| p["zone"] == z.as_str()),
                "{id}: zone {}",
                p["zone"]
            );
        }
        match kind {
            "shelter" | "assembly_point" => {
                assert!(p["capacity"].as_u64().is_some_and(|c| c > 0))
            }
            "pump_station" => {
                // River stations 5,000–20,000 m³/h; underpass stations (下立交泵站)
                // two 0.5 m³/s pumps.
                let underpass = p["name"].as_str().is_some_and(|n| n.contains("下立交"));
                let range = if underpass { 3600..=3600 } else { 5000..=20000 };
                assert!(
                    p["capacity_m3_h"]
                        .as_u64()
                        .is_some_and(|c| range.contains(&c)),
                    "{id}: capacity {}",
                    p["capacity_m3_h"]
                );
                assert!(p["outfall_x"].is_number() && p["outfall_y"].is_number());
            }
            "hotspot" => assert!(p["ground_m"].is_number()),
            _ => {}
        }
    }
    for kind in [
        "shelter",
        "depot",
        "hotspot",
        "pump_station",
        "post",
        "gauge",
        "assembly_point",
    ] {
        assert!(
            features(&d.places)
                .iter()
                .any(|f| f["properties"]["kind"] == kind),
            "no place of kind {kind}"
        );
    }
}

#[test]
fn roads_form_one_connected_network() {
    let (_dir, d) = generated(7);
    let key = |v: &Value| {
        let (x, y) = xy(v);
        ((x * 10.0).round() as i64, (y * 10.0).round() as i64)
    };
    let mut index = BTreeMap::new();
    let mut edges = Vec::new();
    for f in features(&d.roads) {
        let c = f["geometry"]["coordinates"]
            .as_array()
            .expect("coordinates");
        let (a, b) = (key(&c[0]), key(&c[c.len() - 1]));
        let n = index.len();
        let ia = *index.entry(a).or_insert(n);
        let n = index.len();
        let ib = *index.entry(b).or_insert(n);
        edges.push((ia, ib));
    }
    let mut parent: Vec<usize> = (0..index.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            x = p[x];
        }
        x
    }
    for (a, b) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra] = rb;
    }
    let roots = (0..parent.len())
        .filter(|&i| find(&mut parent, i) == i)
        .count();
    assert_eq!(roots, 1, "the road network falls into {roots} parts");
}

#[test]
fn places_lie_inside_the_dem_on_dry_cells_beside_roads() {
    let (_dir, d) = generated(7);
    let lu = &d.landuse;
    for f in features(&d.places) {
        let p = &f["properties"];
        let (x, y) = xy(&f["geometry"]["coordinates"]);
        let id = p["id"].as_str().expect("id");
        let (r, c) = lu
            .cell_of(x, y)
            .unwrap_or_else(|| panic!("{id} at ({x}, {y}) is outside the DEM"));
        let here = lu.at(r, c);
        match p["kind"].as_str().expect("kind") {
            "gauge" => assert_eq!(here, WATER, "{id}: the gauge is not on the river"),
            kind => {
                assert!(
                    here != WATER && here != BUILDING,
                    "{id} ({kind}) stands on class {here}"
                );
                let beside_road = [
                    (r.wrapping_sub(1), c),
                    (r + 1, c),
                    (r, c.wrapping_sub(1)),
                    (r, c + 1),
                ]
                .iter()
                .any(|&(rr, cc)| rr < lu.n && cc < lu.n && lu.at(rr, cc) == ROAD);
                assert!(
                    here == ROAD || beside_road,
                    "{id} ({kind}) is not on or beside a road"
                );
            }
        }
        if p["kind"] == "pump_station" {
            let (ox, oy) = (
                p["outfall_x"].as_f64().expect("x"),
                p["outfall_y"].as_f64().expect("y"),
            );
            let (orow, ocol) = lu
                .cell_of(ox, oy)
                .unwrap_or_else(|| panic!("{id}: outfall outside the DEM"));
            // A river station lifts into the river; an underpass station into the
            // street sewer north of the rail line (its outfall point is on the road).
            let underpass = p["name"].as_str().is_some_and(|n| n.contains("下立交"));
            assert_eq!(
                lu.at(orow, ocol),
                if underpass { ROAD } else { WATER },
                "{id}: outfall is not in the river (or, for an underpass station, on the street)"
            );
        }
    }
}

#[test]
fn levee_crest_is_higher_than_the_plain_beside_it() {
    let (_dir, d) = generated(7);
    let (dem, lu) = (&d.dem, &d.landuse);
    let cells = |m: f64| (m / dem.cell).round() as usize;
    let mut rows_checked = 0;
    for r in 0..dem.n {
        // The westernmost river cell; the levee crest lies within 60 m west of it, the
        // town (roads, yards, buildings) 60–200 m west of it.
        let w = (0..dem.n)
            .find(|&c| lu.at(r, c) == WATER)
            .unwrap_or_else(|| panic!("row {r} has no river"));
        let crest = (w.saturating_sub(cells(60.0))..w)
            .map(|c| dem.at(r, c))
            .fold(f64::MIN, f64::max);
        let town: Vec<f64> = (w.saturating_sub(cells(200.0))..w.saturating_sub(cells(60.0)))
            .filter(|&c| [1.0, 2.0, 3.0, 7.0].contains(&lu.at(r, c)))
            .map(|c| dem.at(r, c))
            .collect();
        if town.len() < 3 {
            continue;
        }
        let plain = town.iter().sum::<f64>() / town.len() as f64;
        assert!(
            crest >= plain + 1.5,
            "row {r}: levee crest {crest} m is not well above the plain beside it ({plain:.2} m)"
        );
        rows_checked += 1;
    }
    assert!(
        rows_checked * 10 >= dem.n * 8,
        "only {rows_checked} of {} rows have town beside the levee",
        dem.n
    );
}

#[test]
fn hotspots_are_lower_than_their_surroundings() {
    let (_dir, d) = generated(7);
    let dem = &d.dem;
    let mut underpasses = 0;
    let hotspots: Vec<&Value> = features(&d.places)
        .iter()
        .filter(|f| f["properties"]["kind"] == "hotspot")
        .collect();
    assert!(hotspots.len() >= 2);
    for f in hotspots {
        let p = &f["properties"];
        let id = p["id"].as_str().expect("id");
        let (x, y) = xy(&f["geometry"]["coordinates"]);
        let (r, c) = dem.cell_of(x, y).expect("inside");
        let z = dem.at(r, c);
        let ground = p["ground_m"].as_f64().expect("ground_m");
        assert!(
            (ground - z).abs() < 0.005,
            "{id}: ground_m {ground} but the DEM says {z}"
        );
        for dr in -1i64..=1 {
            for dc in -1i64..=1 {
                let (rr, cc) = ((r as i64 + dr) as usize, (c as i64 + dc) as usize);
                if rr < dem.n && cc < dem.n {
                    assert!(
                        dem.at(rr, cc) >= z,
                        "{id}: a neighbour is lower than the hotspot"
                    );
                }
            }
        }
        // Mean ground 40–100 m away.
        let mut ring = Vec::new();
        for rr in r.saturating_sub(20)..(r + 21).min(dem.n) {
            for cc in c.saturating_sub(20)..(c + 21).min(dem.n) {
                let dist = ((rr as f64 - r as f64).powi(2) + (cc as f64 - c as f64).powi(2)).sqrt()
                    * dem.cell;
                if (40.0..=100.0).contains(&dist) {
                    ring.push(dem.at(rr, cc));
                }
            }
        }
        let around = ring.iter().sum::<f64>() / ring.len() as f64;
        let underpass = p["name"].as_str().is_some_and(|n| n.contains("下立交"));
        let need = if underpass { 2.5 } else { 0.5 };
        assert!(
            around - z >= need,
            "{id}: only {:.2} m below its surroundings",
            around - z
        );
        underpasses += usize::from(underpass);
    }
    assert!(underpasses >= 1, "no underpass hotspot");
}

#[test]
fn help_works_and_bad_arguments_exit_with_code_2() {
    let help = run(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in ["--seed", "--out", "--size", "--cell"] {
        assert!(text.contains(flag), "--help does not mention {flag}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().to_str().expect("UTF-8");
    let bad = run(&["--size", "10", "--out", out]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--size"),
        "the error names the bad flag"
    );
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "nothing written on error"
    );
}

#[test]
fn the_sewer_network_reads_routes_and_serves_every_pump_station() {
    use floodrill::hydro::drainage::{LinkKind, NodeKind, read_inp};
    let (dir, d) = generated(7);
    let net = read_inp(&dir.path().join("network.inp")).expect("network.inp reads");
    let junctions = net
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Junction))
        .count();
    assert!(junctions >= 30, "only {junctions} manholes");
    assert!(net.links.len() >= junctions, "{} links", net.links.len());
    // Every node is on the DEM (outfalls in the river included).
    let (ncols, nrows, xll, yll, cell) = (d.dem.n, d.dem.n, d.dem.xll, d.dem.yll, d.dem.cell);
    for n in &net.nodes {
        let (x, y) =
            n.xy.unwrap_or_else(|| panic!("{} has no coordinates", n.id));
        assert!(
            x > xll && x < xll + ncols as f64 * cell && y > yll && y < yll + nrows as f64 * cell,
            "{} at ({x}, {y}) is off the DEM",
            n.id
        );
    }
    // Each pump station has a wet well and two pumps named after it.
    let stations: Vec<String> = features(&d.places)
        .iter()
        .filter(|p| p["properties"]["kind"] == "pump_station")
        .map(|p| p["properties"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!stations.is_empty(), "no pump station");
    for st in &stations {
        let ww = net
            .nodes
            .iter()
            .position(|n| n.id == format!("{st}_WW"))
            .unwrap_or_else(|| panic!("{st}: no wet well"));
        assert!(matches!(net.nodes[ww].kind, NodeKind::Storage { .. }));
        let pumps: Vec<_> = net
            .links
            .iter()
            .filter(|l| matches!(l.kind, LinkKind::Pump(_)) && l.from == ww)
            .map(|l| l.id.clone())
            .collect();
        assert_eq!(pumps, [format!("{st}_P1"), format!("{st}_P2")], "{st}");
    }
    // Pipes fall at least 0.1 % towards their outlet, and the network routes a
    // steady inflow with its continuity closed.
    for l in &net.links {
        if let LinkKind::Conduit(c) = &l.kind {
            let (a, b) = (&net.nodes[l.from], &net.nodes[l.to]);
            if matches!(b.kind, NodeKind::Junction) {
                let fall = a.invert_m - b.invert_m;
                assert!(
                    fall >= 0.00099 * c.length_m - 0.011,
                    "{}: {} → {} falls {fall:.3} m over {:.0} m",
                    l.id,
                    a.id,
                    b.id,
                    c.length_m
                );
            }
        }
    }
}

/// The shipped districts are the generator's output, byte for byte (README aside: it
/// quotes the output folder): `assets/districts/demo` (512², the default) and
/// `assets/districts/demo_1m` (1024², the district-scale speed demo).
#[test]
fn shipped_districts_are_what_the_generator_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/districts");
    for (name, size, cell) in [
        ("demo", "512", "5"),
        ("demo_1m", "1024", "5"),
        ("demo_10m", "256", "10"),
    ] {
        let t = tempfile::tempdir().expect("temp dir");
        let out = t.path().to_str().expect("temp path is UTF-8");
        let o = run(&["--seed", "7", "--size", size, "--cell", cell, "--out", out]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (made, shipped) = (read_all(t.path()), read_all(&root.join(name)));
        for f in FILES.iter().filter(|f| **f != "README.md") {
            assert!(
                made.get(*f) == shipped.get(*f),
                "assets/districts/{name}/{f} is not what `gen-district --seed 7 --size {size} --cell {cell}` writes"
            );
        }
    }
}
