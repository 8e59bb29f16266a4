//! Writing the district files: two ESRI ASCII grids, four GeoJSON files and a README.
//!
//! How it works: the text is built in memory with a fixed key order and fixed number
//! formatting (DEM with 2 decimals, coordinates rounded to 0.1 m and printed in the
//! shortest form that reads back exactly), then written to `NAME.part` and renamed,
//! so a reader never sees half a file. GeoJSON is one feature per line: small, and
//! readable in a diff. Nothing here depends on hash-map order or on serde_json's map
//! features, so the same seed gives the same bytes from any build.

use std::fmt::Write as _;
use std::path::Path;

use crate::GenError;
use crate::buildings::Building;
use crate::frame::{Frame, XLL, YLL};
use crate::places::{Extra, Place, to_map};
use crate::roads::RoadFeature;
use crate::zones::Zone;

/// A JSON value with the few shapes these files need.
pub enum J {
    /// String.
    S(String),
    /// Number (printed shortest-exact).
    F(f64),
    /// Integer.
    I(i64),
    /// Boolean.
    B(bool),
    /// null.
    Null,
    /// Pre-rendered JSON.
    Raw(String),
}

fn esc(s: &str) -> String {
    // serde_json escapes exactly as JSON requires; a &str never fails to serialise.
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".to_string()
    }
}

fn render(v: &J) -> String {
    match v {
        J::S(s) => esc(s),
        J::F(x) => num(*x),
        J::I(i) => i.to_string(),
        J::B(b) => b.to_string(),
        J::Null => "null".to_string(),
        J::Raw(r) => r.clone(),
    }
}

/// A JSON object with keys in the given order.
pub fn obj(pairs: &[(&str, J)]) -> String {
    let mut s = String::from("{");
    for (k, (key, v)) in pairs.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        let _ = write!(s, "{}:{}", esc(key), render(v));
    }
    s.push('}');
    s
}

fn pt(p: [f64; 2]) -> String {
    let m = to_map(p);
    format!("[{},{}]", num(m[0]), num(m[1]))
}

fn feature(geometry: String, props: String) -> String {
    obj(&[
        ("type", J::S("Feature".into())),
        ("properties", J::Raw(props)),
        ("geometry", J::Raw(geometry)),
    ])
}

fn collection(name: &str, features: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[",
        esc(name)
    );
    s.push_str(&features.join(",\n"));
    s.push_str("\n]}\n");
    s
}

fn ring_json(ring: &[[f64; 2]]) -> String {
    let pts: Vec<String> = ring.iter().map(|&p| pt(p)).collect();
    format!(
        "{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}",
        pts.join(",")
    )
}

/// ESRI ASCII grid text; `fmt` renders one value.
pub fn asc<T: Copy>(frame: &Frame, values: &[T], fmt: impl Fn(T, &mut String)) -> String {
    let mut s = String::with_capacity(values.len() * 6 + 200);
    let _ = writeln!(s, "ncols {}", frame.n);
    let _ = writeln!(s, "nrows {}", frame.n);
    let _ = writeln!(s, "xllcorner {}", XLL);
    let _ = writeln!(s, "yllcorner {}", YLL);
    let _ = writeln!(s, "cellsize {}", frame.cell);
    let _ = writeln!(s, "NODATA_value -9999");
    for row in values.chunks(frame.n) {
        for (k, &v) in row.iter().enumerate() {
            if k > 0 {
                s.push(' ');
            }
            fmt(v, &mut s);
        }
        s.push('\n');
    }
    s
}

/// `roads.geojson`.
pub fn roads_geojson(roads: &[RoadFeature]) -> String {
    let feats: Vec<String> = roads
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let props = obj(&[
                ("id", J::S(format!("R{:03}", i + 1))),
                ("name", J::S(r.name.clone())),
                ("class", J::S(r.class.as_str().into())),
                ("lanes", J::I(r.lanes as i64)),
                ("speed_kmh", J::F(r.speed_kmh)),
                ("oneway", J::B(r.oneway)),
            ]);
            feature(
                format!(
                    "{{\"type\":\"LineString\",\"coordinates\":[{},{}]}}",
                    pt(r.a),
                    pt(r.b)
                ),
                props,
            )
        })
        .collect();
    collection("roads", &feats)
}

/// `buildings.geojson`.
pub fn buildings_geojson(buildings: &[Building]) -> String {
    let feats: Vec<String> = buildings
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let r = b.rect;
            let ring = [
                [r.u0, r.v0],
                [r.u1, r.v0],
                [r.u1, r.v1],
                [r.u0, r.v1],
                [r.u0, r.v0],
            ];
            let props = obj(&[
                ("id", J::S(format!("B{:05}", i + 1))),
                ("zone", J::S(b.zone.clone())),
                ("use", J::S(b.use_.as_str().into())),
                ("floors", J::I(b.floors as i64)),
                ("households", J::I(b.households as i64)),
                ("residents", J::I(b.residents as i64)),
            ]);
            feature(ring_json(&ring), props)
        })
        .collect();
    collection("buildings", &feats)
}

/// `zones.geojson`.
pub fn zones_geojson(zones: &[Zone]) -> String {
    let feats: Vec<String> = zones
        .iter()
        .map(|z| {
            let props = obj(&[
                ("id", J::S(z.id.clone())),
                ("name", J::S(z.name.cn.clone())),
                ("name_en", J::S(z.name.en.clone())),
            ]);
            feature(ring_json(&z.ring), props)
        })
        .collect();
    collection("zones", &feats)
}

/// `places.geojson`.
pub fn places_geojson(places: &[Place]) -> String {
    let feats: Vec<String> = places
        .iter()
        .map(|p| {
            let mut props = vec![
                ("id", J::S(p.id.clone())),
                ("kind", J::S(p.kind.into())),
                ("name", J::S(p.name.cn.clone())),
                ("name_en", J::S(p.name.en.clone())),
                ("zone", p.zone.clone().map_or(J::Null, J::S)),
            ];
            match p.extra {
                Extra::None => {}
                Extra::Shelter { capacity } => props.push(("capacity", J::I(capacity as i64))),
                Extra::Pump {
                    capacity_m3_h,
                    outfall,
                } => {
                    let m = to_map(outfall);
                    props.push(("capacity_m3_h", J::I(capacity_m3_h as i64)));
                    props.push(("outfall_x", J::F(m[0])));
                    props.push(("outfall_y", J::F(m[1])));
                }
                Extra::Hotspot { ground_m } => props.push(("ground_m", J::F(ground_m))),
            }
            feature(
                format!("{{\"type\":\"Point\",\"coordinates\":{}}}", pt(p.p)),
                obj(&props),
            )
        })
        .collect();
    collection("places", &feats)
}

/// Write `text` to `dir/name` via a temporary file and a rename.
pub fn write_file(dir: &Path, name: &str, text: &str) -> Result<(), GenError> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.part"));
    std::fs::write(&tmp, text).map_err(|source| GenError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, &path).map_err(|source| GenError::Io { path, source })
}
