//! Vector layers from GeoJSON: places, zones, roads and buildings.
//!
//! Each loader reads a `FeatureCollection` in the DEM's map coordinates (metres) and
//! checks what the engine relies on: geometry type, required properties and their
//! types, unique ids. Errors name the file, the feature (index and id) and what was
//! expected; JSON syntax errors name the line and column.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A map point (x, y), metres.
pub type Pt = (f64, f64);

/// A vector layer that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// The file could not be read.
    #[error("{path}: cannot read GeoJSON: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid JSON.
    #[error("{path}:{line}:{col}: invalid JSON: {message}")]
    Syntax {
        /// File.
        path: PathBuf,
        /// Line.
        line: usize,
        /// Column.
        col: usize,
        /// Parser message.
        message: String,
    },
    /// Valid JSON, but not what the layer needs.
    #[error("{path}: {what}: {message}")]
    Content {
        /// File.
        path: PathBuf,
        /// Which feature (`feature #3 (id "R004")`) or `top level`.
        what: String,
        /// What was expected.
        message: String,
    },
}

/// What a place is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PlaceKind {
    /// Evacuation shelter (避灾安置点).
    Shelter,
    /// Depot where teams and robots start.
    Depot,
    /// Waterlogging hotspot (underpass, low street).
    Hotspot,
    /// Pump station at the levee.
    PumpStation,
    /// Staging post for pre-positioning.
    Post,
    /// River or rain gauge.
    Gauge,
    /// Assembly point on high ground (临时避险点): evacuees who cannot reach a shelter
    /// with room go here; `capacity` persons if given, else no limit.
    Assembly,
    /// A way out of the district (households with relatives or a place of their own
    /// leave by the nearest exit).
    Exit,
    /// Anything else (kept, not used by the engine).
    Other(String),
}

impl PlaceKind {
    /// The kinds the engine knows, with their names in files: the one table both
    /// [`PlaceKind::parse`] and [`PlaceKind::name`] read.
    const KNOWN: [(&'static str, PlaceKind); 8] = [
        ("shelter", Self::Shelter),
        ("depot", Self::Depot),
        ("hotspot", Self::Hotspot),
        ("pump_station", Self::PumpStation),
        ("post", Self::Post),
        ("gauge", Self::Gauge),
        ("assembly_point", Self::Assembly),
        ("exit", Self::Exit),
    ];

    fn parse(s: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(name, _)| *name == s)
            .map_or_else(|| Self::Other(s.to_string()), |(_, k)| k.clone())
    }

    /// The kind as written in files.
    pub fn name(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(_, k)| k == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl std::fmt::Display for PlaceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A named point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Id (`S01`).
    pub id: String,
    /// Kind.
    pub kind: PlaceKind,
    /// Name (Chinese or English).
    pub name: String,
    /// English name, if given.
    pub name_en: String,
    /// Zone id, if given.
    pub zone: Option<String>,
    /// Map position, metres.
    pub at: Pt,
    /// Shelter capacity, persons.
    pub capacity: Option<f64>,
    /// Pump station capacity, m³/h.
    pub capacity_m3_h: Option<f64>,
    /// Pump station outfall position.
    pub outfall: Option<Pt>,
}

/// A zone (community).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Id (`Z01`).
    pub id: String,
    /// Name (东湖社区).
    pub name: String,
    /// English name, if given.
    pub name_en: String,
    /// Polygons (outer rings; holes are ignored).
    pub polygons: Vec<Vec<Pt>>,
}

impl Zone {
    /// True if the point lies inside one of the zone's polygons.
    pub fn contains(&self, p: Pt) -> bool {
        self.polygons.iter().any(|ring| point_in_ring(p, ring))
    }
}

/// A road segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Road {
    /// Id (`R001`).
    pub id: String,
    /// Street name.
    pub name: String,
    /// Class (primary, secondary, residential, footway, …).
    pub class: String,
    /// Lanes, both directions together (a two-way road has about half in each).
    pub lanes: u32,
    /// Speed limit, km/h.
    pub speed_kmh: f64,
    /// One-way in the direction of the line.
    pub oneway: bool,
    /// Centre line.
    pub line: Vec<Pt>,
}

/// A building footprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Building {
    /// Id (`B00001`).
    pub id: String,
    /// Zone id, if given.
    pub zone: Option<String>,
    /// Use (residential, school, commercial, industrial).
    pub usage: String,
    /// Floors.
    pub floors: u32,
    /// Households living there.
    pub households: u32,
    /// Residents.
    pub residents: u32,
    /// Footprint outer ring.
    pub ring: Vec<Pt>,
}

impl Building {
    /// Centroid of the footprint (vertex mean; fine for the compact footprints used).
    pub fn centroid(&self) -> Pt {
        let n = self.ring.len().max(1) as f64;
        let (sx, sy) = self
            .ring
            .iter()
            .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        (sx / n, sy / n)
    }
}

/// Even–odd point-in-polygon test.
pub fn point_in_ring(p: Pt, ring: &[Pt]) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > p.1) != (yj > p.1) && p.0 < (xj - xi) * (p.1 - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

struct Features<'a> {
    path: &'a Path,
    features: Vec<Value>,
}

fn read_collection(path: &Path) -> Result<Features<'_>, VectorError> {
    let text = crate::text::read_text(path).map_err(|e| match e {
        crate::text::TextError::Io { path, source } => VectorError::Io { path, source },
        other => {
            let (line, col) = other.position();
            VectorError::Syntax {
                path: path.to_path_buf(),
                line,
                col,
                message: other.reason(),
            }
        }
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| VectorError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        col: e.column(),
        message: e.to_string(),
    })?;
    let top = |m: &str| VectorError::Content {
        path: path.to_path_buf(),
        what: "top level".into(),
        message: m.into(),
    };
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(top(
            "expected a GeoJSON FeatureCollection (\"type\": \"FeatureCollection\")",
        ));
    }
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| top("expected a \"features\" array"))?
        .clone();
    Ok(Features { path, features })
}

struct Feat<'a> {
    path: &'a Path,
    index: usize,
    v: &'a Value,
}

impl Feat<'_> {
    fn what(&self) -> String {
        match self.v.pointer("/properties/id").and_then(Value::as_str) {
            Some(id) => format!("feature #{} (id \"{id}\")", self.index),
            None => format!("feature #{}", self.index),
        }
    }

    fn err(&self, message: impl Into<String>) -> VectorError {
        VectorError::Content {
            path: self.path.to_path_buf(),
            what: self.what(),
            message: message.into(),
        }
    }

    fn prop(&self, key: &str) -> Option<&Value> {
        self.v
            .get("properties")
            .and_then(|p| p.get(key))
            .filter(|v| !v.is_null())
    }

    fn str_req(&self, key: &str) -> Result<String, VectorError> {
        match self.prop(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(other) => Err(self.err(format!(
                "property \"{key}\": expected a text, found {other}"
            ))),
            None => Err(self.err(format!("missing property \"{key}\" (a text)"))),
        }
    }

    fn str_opt(&self, key: &str) -> Result<Option<String>, VectorError> {
        match self.prop(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(format!(
                "property \"{key}\": expected a text, found {other}"
            ))),
        }
    }

    fn num_opt(&self, key: &str) -> Result<Option<f64>, VectorError> {
        match self.prop(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    self.err(format!("property \"{key}\": expected a number, found {v}"))
                }),
        }
    }

    fn count_opt(&self, key: &str) -> Result<Option<u32>, VectorError> {
        match self.num_opt(key)? {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64 => Ok(Some(x as u32)),
            Some(x) => Err(self.err(format!(
                "property \"{key}\": expected a whole number ≥ 0, found {x}"
            ))),
        }
    }

    fn bool_opt(&self, key: &str) -> Result<Option<bool>, VectorError> {
        match self.prop(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(format!(
                "property \"{key}\": expected true or false, found {other}"
            ))),
        }
    }

    fn geometry(&self) -> Result<(&str, &Value), VectorError> {
        let g = self
            .v
            .get("geometry")
            .filter(|g| !g.is_null())
            .ok_or_else(|| self.err("missing geometry"))?;
        let t = g
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| self.err("geometry has no \"type\""))?;
        let c = g
            .get("coordinates")
            .ok_or_else(|| self.err("geometry has no \"coordinates\""))?;
        Ok((t, c))
    }

    fn pt(&self, v: &Value) -> Result<Pt, VectorError> {
        let a = v.as_array().filter(|a| a.len() >= 2);
        let x = a.and_then(|a| a[0].as_f64()).filter(|x| x.is_finite());
        let y = a.and_then(|a| a[1].as_f64()).filter(|y| y.is_finite());
        match (x, y) {
            (Some(x), Some(y)) => Ok((x, y)),
            _ => Err(self.err(format!(
                "expected a position [x, y] of finite numbers, found {v}"
            ))),
        }
    }

    fn line(&self, v: &Value, min: usize) -> Result<Vec<Pt>, VectorError> {
        let arr = v
            .as_array()
            .ok_or_else(|| self.err("expected an array of positions"))?;
        let pts = arr
            .iter()
            .map(|p| self.pt(p))
            .collect::<Result<Vec<_>, _>>()?;
        if pts.len() < min {
            return Err(self.err(format!(
                "expected at least {min} positions, found {}",
                pts.len()
            )));
        }
        Ok(pts)
    }

    fn point(&self) -> Result<Pt, VectorError> {
        match self.geometry()? {
            ("Point", c) => self.pt(c),
            (t, _) => Err(self.err(format!("geometry: expected a Point, found {t}"))),
        }
    }

    fn outer_rings(&self) -> Result<Vec<Vec<Pt>>, VectorError> {
        let ring_of = |poly: &Value| -> Result<Vec<Pt>, VectorError> {
            let rings = poly
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| self.err("polygon has no rings"))?;
            let ring = self.line(&rings[0], 4)?;
            if ring.first() != ring.last() {
                return Err(self.err(format!(
                    "polygon ring is not closed: it starts at {:?} and ends at {:?}; a \
                     GeoJSON ring repeats its first position at the end",
                    ring[0],
                    ring[ring.len() - 1]
                )));
            }
            if let Some((a, b)) = self_crossing(&ring) {
                return Err(self.err(format!(
                    "polygon ring crosses itself (a bow-tie): its edges {} and {} cross; \
                     repair the geometry (QGIS: Vector → Geometry Tools → Fix Geometries)",
                    a + 1,
                    b + 1
                )));
            }
            Ok(ring)
        };
        match self.geometry()? {
            ("Polygon", c) => Ok(vec![ring_of(c)?]),
            ("MultiPolygon", c) => {
                let polys = c
                    .as_array()
                    .ok_or_else(|| self.err("MultiPolygon: expected an array of polygons"))?;
                if polys.is_empty() {
                    return Err(self.err("MultiPolygon has no polygons"));
                }
                polys.iter().map(ring_of).collect()
            }
            (t, _) => Err(self.err(format!(
                "geometry: expected a Polygon or MultiPolygon, found {t}"
            ))),
        }
    }

    fn lines(&self) -> Result<Vec<Vec<Pt>>, VectorError> {
        match self.geometry()? {
            ("LineString", c) => Ok(vec![self.line(c, 2)?]),
            ("MultiLineString", c) => {
                let lines = c
                    .as_array()
                    .ok_or_else(|| self.err("MultiLineString: expected an array of lines"))?;
                if lines.is_empty() {
                    return Err(self.err("MultiLineString has no lines"));
                }
                lines.iter().map(|l| self.line(l, 2)).collect()
            }
            (t, _) => Err(self.err(format!("geometry: expected a LineString, found {t}"))),
        }
    }
}

/// Rings with more vertices than this are not checked for crossings (the check is
/// quadratic; a building or a zone drawn by hand has far fewer).
const MAX_CROSSING_CHECK: usize = 4096;

/// The first pair of non-adjacent edges of a closed ring that cross properly, if any.
fn self_crossing(ring: &[Pt]) -> Option<(usize, usize)> {
    let n = ring.len() - 1; // edges; the last position repeats the first
    if n > MAX_CROSSING_CHECK {
        return None;
    }
    let orient = |a: Pt, b: Pt, c: Pt| {
        let v = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    for i in 0..n {
        let (p1, p2) = (ring[i], ring[i + 1]);
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // the first and last edges share the closing vertex
            }
            let (q1, q2) = (ring[j], ring[j + 1]);
            let (d1, d2) = (orient(p1, p2, q1), orient(p1, p2, q2));
            let (d3, d4) = (orient(q1, q2, p1), orient(q1, q2, p2));
            if d1 * d2 < 0 && d3 * d4 < 0 {
                return Some((i, j));
            }
        }
    }
    None
}

fn each<T>(
    path: &Path,
    mut f: impl FnMut(&Feat<'_>) -> Result<Vec<T>, VectorError>,
    id_of: impl Fn(&T) -> &str,
) -> Result<Vec<T>, VectorError> {
    let fc = read_collection(path)?;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for (index, v) in fc.features.iter().enumerate() {
        let feat = Feat {
            path: fc.path,
            index,
            v,
        };
        for item in f(&feat)? {
            let id = id_of(&item).to_string();
            if let Some(first) = seen.insert(id.clone(), index)
                && first != index
            {
                return Err(feat.err(format!("duplicate id \"{id}\" (also feature #{first})")));
            }
            out.push(item);
        }
    }
    Ok(out)
}

/// Load places (GeoJSON Points with `id`, `kind`, `name`).
pub fn load_places(path: &Path) -> Result<Vec<Place>, VectorError> {
    each(
        path,
        |f| {
            let outfall = match (f.num_opt("outfall_x")?, f.num_opt("outfall_y")?) {
                (Some(x), Some(y)) => Some((x, y)),
                _ => None,
            };
            Ok(vec![Place {
                id: f.str_req("id")?,
                kind: PlaceKind::parse(&f.str_req("kind")?),
                name: f.str_opt("name")?.unwrap_or_default(),
                name_en: f.str_opt("name_en")?.unwrap_or_default(),
                zone: f.str_opt("zone")?,
                at: f.point()?,
                capacity: f.num_opt("capacity")?,
                capacity_m3_h: f.num_opt("capacity_m3_h")?,
                outfall,
            }])
        },
        |p| &p.id,
    )
}

/// Load zones (GeoJSON Polygons with `id`, `name`).
pub fn load_zones(path: &Path) -> Result<Vec<Zone>, VectorError> {
    each(
        path,
        |f| {
            Ok(vec![Zone {
                id: f.str_req("id")?,
                name: f.str_opt("name")?.unwrap_or_default(),
                name_en: f.str_opt("name_en")?.unwrap_or_default(),
                polygons: f.outer_rings()?,
            }])
        },
        |z| &z.id,
    )
}

/// Load roads (GeoJSON LineStrings with `id`; `class`, `lanes`, `speed_kmh`,
/// `oneway` default to residential, 1, 30, false). A MultiLineString becomes one road
/// per part with ids `id/1`, `id/2`, ….
pub fn load_roads(path: &Path) -> Result<Vec<Road>, VectorError> {
    each(
        path,
        |f| {
            let id = f.str_req("id")?;
            let lines = f.lines()?;
            let speed = f.num_opt("speed_kmh")?.unwrap_or(30.0);
            if speed <= 0.0 {
                return Err(f.err(format!(
                    "property \"speed_kmh\": expected > 0, found {speed}"
                )));
            }
            let n = lines.len();
            let base = Road {
                id: id.clone(),
                name: f.str_opt("name")?.unwrap_or_default(),
                class: f.str_opt("class")?.unwrap_or_else(|| "residential".into()),
                lanes: f.count_opt("lanes")?.unwrap_or(1).max(1),
                speed_kmh: speed,
                oneway: f.bool_opt("oneway")?.unwrap_or(false),
                line: Vec::new(),
            };
            Ok(lines
                .into_iter()
                .enumerate()
                .map(|(k, line)| Road {
                    id: if n == 1 {
                        id.clone()
                    } else {
                        format!("{id}/{}", k + 1)
                    },
                    line,
                    ..base.clone()
                })
                .collect())
        },
        |r| &r.id,
    )
}

/// Load buildings (GeoJSON Polygons with `id`; `households`, `residents`, `floors`,
/// `use`, `zone` optional).
pub fn load_buildings(path: &Path) -> Result<Vec<Building>, VectorError> {
    each(
        path,
        |f| {
            let rings = f.outer_rings()?;
            let ring = rings
                .into_iter()
                .max_by_key(|r| r.len())
                .unwrap_or_default();
            Ok(vec![Building {
                id: f.str_req("id")?,
                zone: f.str_opt("zone")?,
                usage: f.str_opt("use")?.unwrap_or_else(|| "residential".into()),
                floors: f.count_opt("floors")?.unwrap_or(1),
                households: f.count_opt("households")?.unwrap_or(0),
                residents: f.count_opt("residents")?.unwrap_or(0),
                ring,
            }])
        },
        |b| &b.id,
    )
}

/// Rasterize zones onto a grid: each cell gets `index + 1` of the first zone whose
/// polygon contains its centre, or 0 outside every zone.
pub fn rasterize_zones(spec: &crate::world::GridSpec, zones: &[Zone]) -> crate::world::Grid<i64> {
    let mut g = crate::world::Grid::filled(*spec, 0i64);
    for (k, z) in zones.iter().enumerate() {
        for ring in &z.polygons {
            // Only scan the rows and columns under the ring's bounding box.
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for &(x, y) in ring {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
            let c0 = (((x0 - spec.xll) / spec.cell).floor().max(0.0)) as usize;
            let c1 = ((((x1 - spec.xll) / spec.cell).ceil()).max(0.0) as usize).min(spec.ncols);
            let top = spec.yll + spec.nrows as f64 * spec.cell;
            let r0 = (((top - y1) / spec.cell).floor().max(0.0)) as usize;
            let r1 = ((((top - y0) / spec.cell).ceil()).max(0.0) as usize).min(spec.nrows);
            for r in r0..r1 {
                for c in c0..c1 {
                    let i = spec.idx(r, c);
                    if g.data[i] == 0 && point_in_ring(spec.cell_centre(r, c), ring) {
                        g.data[i] = k as i64 + 1;
                    }
                }
            }
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_in_square() {
        let sq = vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ];
        assert!(point_in_ring((5.0, 5.0), &sq));
        assert!(!point_in_ring((15.0, 5.0), &sq));
    }

    fn zones_file(geometry: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("zones.geojson");
        std::fs::write(
            &p,
            format!(
                r#"{{"type":"FeatureCollection","features":[
                  {{"type":"Feature","properties":{{"id":"Z01","name":"z"}},"geometry":{geometry}}}]}}"#
            ),
        )
        .unwrap();
        load_zones(&p)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn unclosed_bow_tie_and_empty_multi_geometries_are_refused() {
        let e = zones_file(r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10]]]}"#);
        assert!(
            e.contains("zones.geojson") && e.contains("not closed"),
            "{e}"
        );
        let e =
            zones_file(r#"{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[0,10],[0,0]]]}"#);
        assert!(e.contains("crosses itself") && e.contains("Z01"), "{e}");
        let e = zones_file(r#"{"type":"MultiPolygon","coordinates":[]}"#);
        assert!(e.contains("MultiPolygon has no polygons"), "{e}");
        let ok =
            zones_file(r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}"#);
        assert_eq!(ok, "");
    }

    #[test]
    fn bad_feature_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("roads.geojson");
        std::fs::write(
            &p,
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"id":"R1"},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}},
              {"type":"Feature","properties":{"id":"R2"},"geometry":{"type":"LineString","coordinates":[[0,0]]}}]}"#,
        )
        .unwrap();
        let e = load_roads(&p).unwrap_err().to_string();
        assert!(
            e.contains("feature #1 (id \"R2\")") && e.contains("at least 2"),
            "{e}"
        );
    }
}
