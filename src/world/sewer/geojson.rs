//! The network as GeoJSON, for GIS users: one FeatureCollection whose Point features
//! are the nodes and whose LineString features are the links, with flat, editable
//! attributes (QGIS shows and edits them as a table), and the routing options, curves,
//! time series and external inflows as members of the collection beside `features`.
//!
//! ```json
//! {"type": "FeatureCollection", "floodrill_network": 1,
//!  "options": {"routing_step_s": 5.0, "allow_ponding": true, ...},
//!  "curves": [{"id": "PC1", "kind": "Pump3", "points": [[2.0, 0.9], [10.0, 0.0]]}],
//!  "timeseries": [{"id": "TS1", "points": [[0.0, 0.0], [3600.0, 0.2]]}],
//!  "inflows": [{"node": "J0", "series": "TS1", "scale": 1.0, "baseline": 0.0}],
//!  "features": [
//!   {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.0, 0.0]},
//!    "properties": {"id": "J0", "type": "JUNCTION", "invert_m": 10.1, "max_depth_m": 1.9}},
//!   {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [100, 0]]},
//!    "properties": {"id": "C1", "type": "CONDUIT", "from": "J0", "to": "J1",
//!                   "length_m": 100.0, "roughness": 0.013, "shape": "CIRCULAR", "geom1": 0.8}}]}
//! ```
//!
//! Units are SI (m, m², m³/s, s), as everywhere inside floodrill; coordinates are the
//! district's projected CRS. Node types: `JUNCTION`, `OUTFALL` (`outfall`: `FREE`,
//! `NORMAL` or `FIXED` with `stage_m`; `gated`), `STORAGE` (`storage`: `FUNCTIONAL` with
//! `a`, `b`, `c`, or `TABULAR` with `curve`). Link types: `CONDUIT` (`shape` one of
//! `CIRCULAR`, `FORCE_MAIN`, `RECT_CLOSED`, `RECT_OPEN`, `TRAPEZOIDAL`, `TRIANGULAR`,
//! `DUMMY` with `geom1`–`geom4` as in SWMM's `[XSECTIONS]`) and `PUMP` (`curve`, or `*`
//! for an ideal pump; `startup_depth_m`, `shutoff_depth_m`). Omitted numbers take the
//! defaults SWMM gives them; `ORIFICE`, `WEIR` and `OUTLET` links carry SWMM's fields
//! under the same names. Rain gauges and subcatchments (the network-only mode's runoff)
//! are members beside `features`, naming their series, gauge and outlet by id. Control
//! rules are not carried: a network with them stays an `.inp` file, and converting one
//! says so.

use serde_json::{Map, Value, json};

use super::inp::InpError;
use super::network::{
    Conduit, CurveKind, Inflow, Link, LinkKind, MinorLosses, Network, Node, NodeKind, Options,
    Orifice, OutfallBoundary, Outlet, OutletRating, Pump, StorageShape, SubOutlet, Weir, XSection,
};

/// The version of the form this reader writes and reads.
pub const FORM: u64 = 1;

/// The network as a GeoJSON FeatureCollection, or what it holds that the form cannot
/// carry.
pub fn to_geojson(net: &Network) -> Result<Value, String> {
    let mut missing = Vec::new();
    if !net.controls.is_empty() {
        missing.push(format!("{} control rules", net.controls.len()));
    }
    let mut features = Vec::new();
    for n in &net.nodes {
        let mut p = Map::new();
        p.insert("id".into(), json!(n.id));
        match &n.kind {
            NodeKind::Junction => {
                p.insert("type".into(), json!("JUNCTION"));
            }
            NodeKind::Outfall { boundary, gated } => {
                p.insert("type".into(), json!("OUTFALL"));
                match boundary {
                    OutfallBoundary::Free => {
                        p.insert("outfall".into(), json!("FREE"));
                    }
                    OutfallBoundary::Normal => {
                        p.insert("outfall".into(), json!("NORMAL"));
                    }
                    OutfallBoundary::Fixed(s) => {
                        p.insert("outfall".into(), json!("FIXED"));
                        p.insert("stage_m".into(), json!(s));
                    }
                    OutfallBoundary::Tidal(k) => {
                        p.insert("outfall".into(), json!("TIDAL"));
                        p.insert("curve".into(), json!(net.curves[*k].id));
                    }
                    OutfallBoundary::Timeseries(k) => {
                        p.insert("outfall".into(), json!("TIMESERIES"));
                        p.insert("series".into(), json!(net.timeseries[*k].id));
                    }
                }
                p.insert("gated".into(), json!(gated));
            }
            NodeKind::Storage { shape } => {
                p.insert("type".into(), json!("STORAGE"));
                match shape {
                    StorageShape::Functional { a, b, c } => {
                        p.insert("storage".into(), json!("FUNCTIONAL"));
                        p.insert("a".into(), json!(a));
                        p.insert("b".into(), json!(b));
                        p.insert("c".into(), json!(c));
                    }
                    StorageShape::Tabular(k) => {
                        p.insert("storage".into(), json!("TABULAR"));
                        p.insert("curve".into(), json!(net.curves[*k].id));
                    }
                }
            }
        }
        p.insert("invert_m".into(), json!(n.invert_m));
        p.insert("max_depth_m".into(), json!(n.max_depth_m));
        p.insert("init_depth_m".into(), json!(n.init_depth_m));
        p.insert("sur_depth_m".into(), json!(n.sur_depth_m));
        p.insert("ponded_area_m2".into(), json!(n.ponded_area_m2));
        let Some((x, y)) = n.xy else {
            missing.push(format!("node {}'s coordinates", n.id));
            continue;
        };
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": Value::Object(p),
        }));
    }
    for l in &net.links {
        let mut p = Map::new();
        p.insert("id".into(), json!(l.id));
        match &l.kind {
            LinkKind::Conduit(c) => {
                p.insert("type".into(), json!("CONDUIT"));
                p.insert("length_m".into(), json!(c.length_m));
                p.insert("roughness".into(), json!(c.roughness));
                put_xsect(&mut p, &c.xsect);
                p.insert("barrels".into(), json!(c.barrels));
                p.insert("init_flow".into(), json!(c.init_flow));
                p.insert("max_flow".into(), json!(c.max_flow));
                p.insert("entry_loss".into(), json!(c.losses.entry));
                p.insert("exit_loss".into(), json!(c.losses.exit));
                p.insert("avg_loss".into(), json!(c.losses.avg));
                p.insert("flap_gate".into(), json!(c.losses.flap_gate));
                p.insert("seepage_mm_h".into(), json!(c.losses.seepage_mm_h));
            }
            LinkKind::Pump(pu) => {
                p.insert("type".into(), json!("PUMP"));
                let curve = pu
                    .curve
                    .map_or("*".to_string(), |k| net.curves[k].id.clone());
                p.insert("curve".into(), json!(curve));
                p.insert("init_on".into(), json!(pu.init_on));
                p.insert("startup_depth_m".into(), json!(pu.startup_depth_m));
                p.insert("shutoff_depth_m".into(), json!(pu.shutoff_depth_m));
            }
            LinkKind::Orifice(o) => {
                p.insert("type".into(), json!("ORIFICE"));
                p.insert(
                    "orifice".into(),
                    json!(if o.bottom { "BOTTOM" } else { "SIDE" }),
                );
                put_xsect(&mut p, &o.xsect);
                p.insert("cd".into(), json!(o.cd));
                p.insert("gated".into(), json!(o.gated));
                p.insert("close_time_s".into(), json!(o.close_time_s));
            }
            LinkKind::Weir(w) => {
                p.insert("type".into(), json!("WEIR"));
                p.insert("weir".into(), json!(w.kind));
                put_xsect(&mut p, &w.xsect);
                p.insert("cd".into(), json!(w.cd));
                p.insert("cd_ends".into(), json!(w.cd_ends));
                p.insert("gated".into(), json!(w.gated));
                p.insert("end_contractions".into(), json!(w.end_contractions));
                p.insert("can_surcharge".into(), json!(w.can_surcharge));
            }
            LinkKind::Outlet(o) => {
                p.insert("type".into(), json!("OUTLET"));
                p.insert("by_head".into(), json!(o.by_head));
                match &o.rating {
                    OutletRating::Tabular(k) => {
                        p.insert("rating".into(), json!("TABULAR"));
                        p.insert("curve".into(), json!(net.curves[*k].id));
                    }
                    OutletRating::Functional { c, e } => {
                        p.insert("rating".into(), json!("FUNCTIONAL"));
                        p.insert("c".into(), json!(c));
                        p.insert("e".into(), json!(e));
                    }
                }
                p.insert("gated".into(), json!(o.gated));
            }
        }
        p.insert("from".into(), json!(net.nodes[l.from].id));
        p.insert("to".into(), json!(net.nodes[l.to].id));
        p.insert("from_offset_m".into(), json!(l.from_offset_m));
        p.insert("to_offset_m".into(), json!(l.to_offset_m));
        let end = |i: usize| net.nodes[i].xy.map(|(x, y)| json!([x, y]));
        let geometry = match (end(l.from), end(l.to)) {
            (Some(a), Some(b)) => json!({"type": "LineString", "coordinates": [a, b]}),
            _ => Value::Null,
        };
        features.push(json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": Value::Object(p),
        }));
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
        return Err(format!(
            "the GeoJSON form does not carry {}{} (keep the network as an .inp file)",
            shown.join(", "),
            if missing.len() > 5 {
                format!(" and {} more", missing.len() - 5)
            } else {
                String::new()
            }
        ));
    }
    let inflows: Vec<Value> = net
        .inflows
        .iter()
        .map(|f| {
            json!({
                "node": net.nodes[f.node].id,
                "series": f.series.map(|k| net.timeseries[k].id.clone()),
                "scale": f.scale,
                "baseline": f.baseline,
            })
        })
        .collect();
    let mut raingages = Vec::new();
    for g in &net.raingages {
        let mut v = serde_json::to_value(g).map_err(|e| e.to_string())?;
        v["series"] = json!(net.timeseries[g.series].id);
        raingages.push(v);
    }
    let mut subcatchments = Vec::new();
    for sc in &net.subcatchments {
        let mut v = serde_json::to_value(sc).map_err(|e| e.to_string())?;
        v["raingage"] = json!(net.raingages[sc.raingage].id);
        v["outlet"] = match sc.outlet {
            SubOutlet::Node(i) => json!({"node": net.nodes[i].id}),
            SubOutlet::Subcatchment(i) => json!({"subcatchment": net.subcatchments[i].id}),
        };
        subcatchments.push(v);
    }
    Ok(json!({
        "type": "FeatureCollection",
        "floodrill_network": FORM,
        "name": net.title,
        "options": serde_json::to_value(&net.options).map_err(|e| e.to_string())?,
        "curves": serde_json::to_value(&net.curves).map_err(|e| e.to_string())?,
        "timeseries": serde_json::to_value(&net.timeseries).map_err(|e| e.to_string())?,
        "inflows": inflows,
        "raingages": raingages,
        "subcatchments": subcatchments,
        "features": features,
    }))
}

/// A cross-section as `shape` and `geom1`–`geom4`.
fn put_xsect(p: &mut Map<String, Value>, x: &XSection) {
    let (shape, g) = shape_of(x);
    p.insert("shape".into(), json!(shape));
    for (k, v) in g.iter().enumerate() {
        p.insert(format!("geom{}", k + 1), json!(v));
    }
}

/// Shape name and `geom1`–`geom4` of a cross-section, as SWMM's `[XSECTIONS]`.
fn shape_of(x: &XSection) -> (&'static str, [f64; 4]) {
    match *x {
        XSection::Circular { d } => ("CIRCULAR", [d, 0.0, 0.0, 0.0]),
        XSection::ForceMain { d, c } => ("FORCE_MAIN", [d, c, 0.0, 0.0]),
        XSection::RectClosed { h, w } => ("RECT_CLOSED", [h, w, 0.0, 0.0]),
        XSection::RectOpen { h, w } => ("RECT_OPEN", [h, w, 0.0, 0.0]),
        XSection::Trapezoidal {
            h,
            w,
            z_left,
            z_right,
        } => ("TRAPEZOIDAL", [h, w, z_left, z_right]),
        XSection::Triangular { h, w } => ("TRIANGULAR", [h, w, 0.0, 0.0]),
        XSection::Dummy => ("DUMMY", [0.0; 4]),
    }
}

/// A problem at one place of the file.
fn bad(path: &str, at: &str, message: impl Into<String>) -> InpError {
    InpError::Field {
        path: path.to_string(),
        at: at.to_string(),
        message: message.into(),
    }
}

/// The properties of one feature, read with the feature named in every error.
struct Props<'a> {
    path: &'a str,
    at: String,
    p: &'a Map<String, Value>,
}

impl Props<'_> {
    fn err(&self, field: &str, message: impl std::fmt::Display) -> InpError {
        bad(
            self.path,
            &format!("{} \"{field}\"", self.at),
            message.to_string(),
        )
    }
    fn text(&self, field: &str) -> Result<&str, InpError> {
        match self.p.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
            Some(v) => Err(self.err(field, format!("is {v} (expected a non-empty text)"))),
            None => Err(self.err(field, "is missing (expected a text)")),
        }
    }
    fn word(&self, field: &str, words: &[&str]) -> Result<usize, InpError> {
        let s = self.text(field)?;
        words
            .iter()
            .position(|w| w.eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                self.err(
                    field,
                    format!("is \"{s}\" (expected one of {})", words.join(", ")),
                )
            })
    }
    /// A number: `min ≤ x` (and `x > min` when `strict`), or `default` when absent.
    fn num(
        &self,
        field: &str,
        default: Option<f64>,
        min: f64,
        strict: bool,
    ) -> Result<f64, InpError> {
        let v = match self.p.get(field) {
            None | Some(Value::Null) => {
                return default.ok_or_else(|| self.err(field, "is missing (expected a number)"));
            }
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            Some(v) => return Err(self.err(field, format!("is {v} (expected a number)"))),
        };
        let ok = v.is_finite() && if strict { v > min } else { v >= min };
        if !ok {
            let rule = if min == f64::NEG_INFINITY {
                "a finite number".to_string()
            } else if strict {
                format!("a number above {min}")
            } else {
                format!("a number of at least {min}")
            };
            return Err(self.err(field, format!("is {v} (expected {rule})")));
        }
        Ok(v)
    }
    fn flag(&self, field: &str) -> Result<bool, InpError> {
        match self.p.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.err(field, format!("is {v} (expected true or false)"))),
        }
    }
}

/// Parse the GeoJSON form (`path` names it in errors).
pub fn parse_geojson(text: &str, path: &str) -> Result<Network, InpError> {
    let root: Value =
        serde_json::from_str(crate::text::strip_bom(text)).map_err(|e| InpError::Bad {
            path: path.to_string(),
            line: e.line().max(1),
            section: "GeoJSON".into(),
            message: format!("not JSON: {e} (expected a GeoJSON FeatureCollection)"),
        })?;
    let Some(obj) = root.as_object() else {
        return Err(bad(
            path,
            "the file",
            "is not a JSON object (expected a GeoJSON FeatureCollection)",
        ));
    };
    if obj.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(bad(
            path,
            "\"type\"",
            "is not \"FeatureCollection\" (expected a GeoJSON FeatureCollection of the network's nodes and links)",
        ));
    }
    match obj.get("floodrill_network").and_then(Value::as_u64) {
        Some(FORM) => {}
        other => {
            return Err(bad(
                path,
                "\"floodrill_network\"",
                format!(
                    "is {} (expected {FORM}: the form written by `floodrill network geojson`)",
                    other.map_or("missing".to_string(), |v| v.to_string())
                ),
            ));
        }
    }
    let mut net = Network {
        title: obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        ..Default::default()
    };
    // Options: the defaults with the file's members over them; an unknown member is
    // an error (a misspelt option must not be silently ignored).
    let mut opts = serde_json::to_value(Options::default())
        .map_err(|e| bad(path, "\"options\"", e.to_string()))?;
    if let Some(given) = obj.get("options") {
        let Some(given) = given.as_object() else {
            return Err(bad(
                path,
                "\"options\"",
                "is not an object (expected the routing options by name)",
            ));
        };
        let base = opts
            .as_object_mut()
            .expect("options serialise as an object");
        for (k, v) in given {
            if !base.contains_key(k) {
                let known: Vec<&str> = base.keys().map(String::as_str).collect();
                return Err(bad(
                    path,
                    &format!("\"options\".\"{k}\""),
                    format!("is not an option (expected one of {})", known.join(", ")),
                ));
            }
            base.insert(k.clone(), v.clone());
        }
    }
    net.options =
        serde_json::from_value(opts).map_err(|e| bad(path, "\"options\"", format!("{e}")))?;
    if !(net.options.routing_step_s > 0.0)
        || !(net.options.end_s >= 0.0)
        || !(net.options.report_step_s > 0.0)
    {
        return Err(bad(
            path,
            "\"options\"",
            "routing_step_s and report_step_s must be above 0 and end_s at least 0",
        ));
    }
    net.curves = member(obj, "curves", path)?;
    net.timeseries = member(obj, "timeseries", path)?;
    for (k, c) in net.curves.iter().enumerate() {
        check_points(&c.points, path, &format!("\"curves\"[{k}] ({})", c.id))?;
    }
    for (k, s) in net.timeseries.iter().enumerate() {
        check_points(&s.points, path, &format!("\"timeseries\"[{k}] ({})", s.id))?;
    }
    let features = obj
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            bad(
                path,
                "\"features\"",
                "is missing or not a list (expected the nodes and links as features)",
            )
        })?;
    // Nodes first (links name them), then links.
    let mut link_features = Vec::new();
    for (k, f) in features.iter().enumerate() {
        let at = format!("features[{k}]");
        let props = f
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| bad(path, &at, "has no \"properties\" object"))?;
        let id = props.get("id").and_then(Value::as_str).unwrap_or("?");
        let pr = Props {
            path,
            at: format!("{at} ({id})"),
            p: props,
        };
        let geometry = f.get("geometry").unwrap_or(&Value::Null);
        let gtype = geometry.get("type").and_then(Value::as_str).unwrap_or("");
        let ty = pr.text("type")?.to_ascii_uppercase();
        match ty.as_str() {
            "JUNCTION" | "OUTFALL" | "STORAGE" => {
                if gtype != "Point" {
                    return Err(pr.err(
                        "geometry",
                        format!(
                            "is a {} (expected a Point: a node's position)",
                            if gtype.is_empty() {
                                "missing geometry"
                            } else {
                                gtype
                            }
                        ),
                    ));
                }
                let xy = point(geometry)
                    .ok_or_else(|| pr.err("geometry", "has no finite [x, y] coordinates"))?;
                let node = read_node(&pr, &ty, xy, &net, k + 1)?;
                if net.node_index(&node.id).is_some() {
                    return Err(pr.err(
                        "id",
                        format!(
                            "\"{}\" names a second node (expected each node id once)",
                            node.id
                        ),
                    ));
                }
                net.nodes.push(node);
            }
            "CONDUIT" | "PUMP" | "ORIFICE" | "WEIR" | "OUTLET" => link_features.push((k, pr, ty)),
            other => {
                return Err(pr.err(
                    "type",
                    format!("is \"{other}\" (expected JUNCTION, OUTFALL, STORAGE, CONDUIT, PUMP, ORIFICE, WEIR or OUTLET)"),
                ));
            }
        }
    }
    for (k, pr, ty) in link_features {
        let link = read_link(&pr, &ty, &net, k + 1)?;
        if net.link_index(&link.id).is_some() {
            return Err(pr.err(
                "id",
                format!(
                    "\"{}\" names a second link (expected each link id once)",
                    link.id
                ),
            ));
        }
        net.links.push(link);
    }
    if let Some(list) = obj.get("inflows") {
        let list = list
            .as_array()
            .ok_or_else(|| bad(path, "\"inflows\"", "is not a list"))?;
        for (k, f) in list.iter().enumerate() {
            let p = f
                .as_object()
                .ok_or_else(|| bad(path, &format!("\"inflows\"[{k}]"), "is not an object"))?;
            let pr = Props {
                path,
                at: format!("\"inflows\"[{k}]"),
                p,
            };
            let node_id = pr.text("node")?;
            let node = net.node_index(node_id).ok_or_else(|| {
                pr.err("node", format!("\"{node_id}\" is not a node of the file"))
            })?;
            let series = match p.get("series") {
                None | Some(Value::Null) => None,
                Some(_) => {
                    let s = pr.text("series")?;
                    Some(
                        net.timeseries
                            .iter()
                            .position(|t| t.id == s)
                            .ok_or_else(|| {
                                pr.err(
                                    "series",
                                    format!("\"{s}\" is not one of the file's \"timeseries\""),
                                )
                            })?,
                    )
                }
            };
            net.inflows.push(Inflow {
                node,
                series,
                scale: pr.num("scale", Some(1.0), f64::NEG_INFINITY, false)?,
                baseline: pr.num("baseline", Some(0.0), f64::NEG_INFINITY, false)?,
            });
        }
    }
    read_runoff(obj, path, &mut net)?;
    if net.nodes.is_empty() {
        return Err(bad(
            path,
            "\"features\"",
            "hold no node (expected JUNCTION, OUTFALL or STORAGE points)",
        ));
    }
    Ok(net)
}

/// Rain gauges and subcatchments (the network-only mode's runoff), their references
/// by id.
fn read_runoff(obj: &Map<String, Value>, path: &str, net: &mut Network) -> Result<(), InpError> {
    let list = |key: &str| -> Result<Vec<Value>, InpError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(bad(path, &format!("\"{key}\""), "is not a list")),
        }
    };
    for (k, mut v) in list("raingages")?.into_iter().enumerate() {
        let at = format!("\"raingages\"[{k}]");
        let s = v
            .get("series")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let i = net
            .timeseries
            .iter()
            .position(|t| t.id == s)
            .ok_or_else(|| {
                bad(
                    path,
                    &format!("{at} \"series\""),
                    format!("\"{s}\" is not one of the file's \"timeseries\""),
                )
            })?;
        v["series"] = json!(i);
        let g = serde_json::from_value(v)
            .map_err(|e| bad(path, &at, format!("cannot be read: {e}")))?;
        net.raingages.push(g);
    }
    let subs = list("subcatchments")?;
    let ids: Vec<String> = subs
        .iter()
        .map(|v| {
            v.get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect();
    for (k, mut v) in subs.into_iter().enumerate() {
        let at = format!("\"subcatchments\"[{k}] ({})", ids[k]);
        let g = v
            .get("raingage")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let gi = net
            .raingages
            .iter()
            .position(|r| r.id == g)
            .ok_or_else(|| {
                bad(
                    path,
                    &format!("{at} \"raingage\""),
                    format!("\"{g}\" is not one of the file's \"raingages\""),
                )
            })?;
        v["raingage"] = json!(gi);
        let out = v.get("outlet").cloned().unwrap_or(Value::Null);
        let outlet = if let Some(n) = out.get("node").and_then(Value::as_str) {
            json!({"Node": net.node_index(n).ok_or_else(|| bad(path, &format!("{at} \"outlet\""), format!("\"{n}\" is not a node of the file")))?})
        } else if let Some(n) = out.get("subcatchment").and_then(Value::as_str) {
            json!({"Subcatchment": ids.iter().position(|x| x == n).ok_or_else(|| bad(path, &format!("{at} \"outlet\""), format!("\"{n}\" is not a subcatchment of the file")))?})
        } else {
            return Err(bad(
                path,
                &format!("{at} \"outlet\""),
                "is missing (expected {\"node\": id} or {\"subcatchment\": id})",
            ));
        };
        v["outlet"] = outlet;
        let sc = serde_json::from_value(v)
            .map_err(|e| bad(path, &at, format!("cannot be read: {e}")))?;
        net.subcatchments.push(sc);
    }
    Ok(())
}

fn member<T: serde::de::DeserializeOwned>(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Vec<T>, InpError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| bad(path, &format!("\"{key}\""), format!("cannot be read: {e}"))),
    }
}

fn check_points(points: &[(f64, f64)], path: &str, at: &str) -> Result<(), InpError> {
    if points.is_empty() {
        return Err(bad(path, at, "has no points (expected [[x, y], ...])"));
    }
    if points.iter().any(|p| !p.0.is_finite() || !p.1.is_finite()) {
        return Err(bad(path, at, "has a point that is not a finite number"));
    }
    if points.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(bad(
            path,
            at,
            "has its x values out of order (expected them increasing)",
        ));
    }
    Ok(())
}

fn point(g: &Value) -> Option<(f64, f64)> {
    let c = g.get("coordinates")?.as_array()?;
    let x = c.first()?.as_f64()?;
    let y = c.get(1)?.as_f64()?;
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

fn read_node(
    pr: &Props,
    ty: &str,
    xy: (f64, f64),
    net: &Network,
    line: usize,
) -> Result<Node, InpError> {
    let id = pr.text("id")?.to_string();
    let kind = match ty {
        "JUNCTION" => NodeKind::Junction,
        "OUTFALL" => {
            let boundary = match pr.word(
                "outfall",
                &["FREE", "NORMAL", "FIXED", "TIDAL", "TIMESERIES"],
            )? {
                0 => OutfallBoundary::Free,
                1 => OutfallBoundary::Normal,
                2 => OutfallBoundary::Fixed(pr.num("stage_m", None, f64::NEG_INFINITY, false)?),
                3 => OutfallBoundary::Tidal(curve_of(
                    pr,
                    net,
                    "curve",
                    &[CurveKind::Tidal],
                    "a Tidal curve",
                )?),
                _ => {
                    let t = pr.text("series")?;
                    OutfallBoundary::Timeseries(
                        net.timeseries
                            .iter()
                            .position(|k| k.id == t)
                            .ok_or_else(|| {
                                pr.err(
                                    "series",
                                    format!("\"{t}\" is not one of the file's \"timeseries\""),
                                )
                            })?,
                    )
                }
            };
            NodeKind::Outfall {
                boundary,
                gated: pr.flag("gated")?,
            }
        }
        _ => {
            let shape = match pr.word("storage", &["FUNCTIONAL", "TABULAR"])? {
                0 => StorageShape::Functional {
                    a: pr.num("a", Some(0.0), 0.0, false)?,
                    b: pr.num("b", Some(0.0), f64::NEG_INFINITY, false)?,
                    c: pr.num("c", Some(0.0), 0.0, false)?,
                },
                _ => {
                    let c = pr.text("curve")?;
                    StorageShape::Tabular(
                        net.curves
                            .iter()
                            .position(|k| k.id == c && k.kind == CurveKind::Storage)
                            .ok_or_else(|| {
                                pr.err(
                                    "curve",
                                    format!(
                                        "\"{c}\" is not a Storage curve of the file's \"curves\""
                                    ),
                                )
                            })?,
                    )
                }
            };
            NodeKind::Storage { shape }
        }
    };
    Ok(Node {
        id,
        kind,
        invert_m: pr.num("invert_m", None, f64::NEG_INFINITY, false)?,
        max_depth_m: pr.num("max_depth_m", Some(0.0), 0.0, false)?,
        init_depth_m: pr.num("init_depth_m", Some(0.0), 0.0, false)?,
        sur_depth_m: pr.num("sur_depth_m", Some(0.0), 0.0, false)?,
        ponded_area_m2: pr.num("ponded_area_m2", Some(0.0), 0.0, false)?,
        xy: Some(xy),
        line,
    })
}

/// The id in `field` of a curve of one of `kinds`.
fn curve_of(
    pr: &Props,
    net: &Network,
    field: &str,
    kinds: &[CurveKind],
    what: &str,
) -> Result<usize, InpError> {
    let c = pr.text(field)?;
    net.curves
        .iter()
        .position(|k| k.id == c && kinds.contains(&k.kind))
        .ok_or_else(|| {
            pr.err(
                field,
                format!("\"{c}\" is not {what} of the file's \"curves\""),
            )
        })
}

/// A cross-section from `shape` and `geom1`–`geom4`.
fn read_xsect(pr: &Props) -> Result<XSection, InpError> {
    let shape = pr.word(
        "shape",
        &[
            "CIRCULAR",
            "FORCE_MAIN",
            "RECT_CLOSED",
            "RECT_OPEN",
            "TRAPEZOIDAL",
            "TRIANGULAR",
            "DUMMY",
        ],
    )?;
    let g = |k: usize, strict: bool| {
        pr.num(
            &format!("geom{k}"),
            if strict { None } else { Some(0.0) },
            0.0,
            strict,
        )
    };
    Ok(match shape {
        0 => XSection::Circular { d: g(1, true)? },
        1 => XSection::ForceMain {
            d: g(1, true)?,
            c: g(2, true)?,
        },
        2 => XSection::RectClosed {
            h: g(1, true)?,
            w: g(2, true)?,
        },
        3 => XSection::RectOpen {
            h: g(1, true)?,
            w: g(2, true)?,
        },
        4 => XSection::Trapezoidal {
            h: g(1, true)?,
            w: g(2, false)?,
            z_left: g(3, false)?,
            z_right: g(4, false)?,
        },
        5 => XSection::Triangular {
            h: g(1, true)?,
            w: g(2, true)?,
        },
        _ => XSection::Dummy,
    })
}

fn read_link(pr: &Props, ty: &str, net: &Network, line: usize) -> Result<Link, InpError> {
    let id = pr.text("id")?.to_string();
    let end = |field: &str| -> Result<usize, InpError> {
        let n = pr.text(field)?;
        net.node_index(n)
            .ok_or_else(|| pr.err(field, format!("\"{n}\" is not a node of the file (expected the id of a JUNCTION, OUTFALL or STORAGE feature)")))
    };
    let from = end("from")?;
    let to = end("to")?;
    if from == to {
        return Err(pr.err(
            "to",
            "is the link's own \"from\" node (expected two different nodes)",
        ));
    }
    let kind = if ty == "ORIFICE" {
        LinkKind::Orifice(Orifice {
            bottom: pr.word("orifice", &["SIDE", "BOTTOM"])? == 1,
            cd: pr.num("cd", None, 0.0, true)?,
            gated: pr.flag("gated")?,
            close_time_s: pr.num("close_time_s", Some(0.0), 0.0, false)?,
            xsect: read_xsect(pr)?,
        })
    } else if ty == "WEIR" {
        let kind = [
            "TRANSVERSE",
            "SIDEFLOW",
            "V-NOTCH",
            "TRAPEZOIDAL",
            "ROADWAY",
        ][pr.word(
            "weir",
            &[
                "TRANSVERSE",
                "SIDEFLOW",
                "V-NOTCH",
                "TRAPEZOIDAL",
                "ROADWAY",
            ],
        )?];
        let ends = pr.num("end_contractions", Some(0.0), 0.0, false)?;
        if ends.fract() != 0.0 || ends > 2.0 {
            return Err(pr.err(
                "end_contractions",
                format!("is {ends} (expected 0, 1 or 2)"),
            ));
        }
        LinkKind::Weir(Weir {
            kind: kind.to_string(),
            cd: pr.num("cd", None, 0.0, true)?,
            cd_ends: pr.num("cd_ends", Some(0.0), 0.0, false)?,
            gated: pr.flag("gated")?,
            end_contractions: ends as u32,
            xsect: read_xsect(pr)?,
            can_surcharge: match pr.p.get("can_surcharge") {
                None | Some(Value::Null) => true,
                _ => pr.flag("can_surcharge")?,
            },
        })
    } else if ty == "OUTLET" {
        let rating = match pr.word("rating", &["FUNCTIONAL", "TABULAR"])? {
            0 => OutletRating::Functional {
                c: pr.num("c", None, 0.0, false)?,
                e: pr.num("e", None, f64::NEG_INFINITY, false)?,
            },
            _ => OutletRating::Tabular(curve_of(
                pr,
                net,
                "curve",
                &[CurveKind::Rating],
                "a Rating curve",
            )?),
        };
        LinkKind::Outlet(Outlet {
            by_head: pr.flag("by_head")?,
            rating,
            gated: pr.flag("gated")?,
        })
    } else if ty == "CONDUIT" {
        let xsect = read_xsect(pr)?;
        let barrels = pr.num("barrels", Some(1.0), 1.0, false)?;
        if barrels.fract() != 0.0 || barrels > 1000.0 {
            return Err(pr.err(
                "barrels",
                format!("is {barrels} (expected a whole number from 1 to 1000)"),
            ));
        }
        LinkKind::Conduit(Conduit {
            length_m: pr.num("length_m", None, 0.0, true)?,
            roughness: pr.num("roughness", None, 0.0, true)?,
            init_flow: pr.num("init_flow", Some(0.0), f64::NEG_INFINITY, false)?,
            max_flow: pr.num("max_flow", Some(0.0), 0.0, false)?,
            xsect,
            barrels: barrels as u32,
            losses: MinorLosses {
                entry: pr.num("entry_loss", Some(0.0), 0.0, false)?,
                exit: pr.num("exit_loss", Some(0.0), 0.0, false)?,
                avg: pr.num("avg_loss", Some(0.0), 0.0, false)?,
                flap_gate: pr.flag("flap_gate")?,
                seepage_mm_h: pr.num("seepage_mm_h", Some(0.0), 0.0, false)?,
            },
        })
    } else {
        let c = pr.text("curve")?;
        let curve = if c == "*" {
            None
        } else {
            Some(
                net.curves
                    .iter()
                    .position(|k| {
                        k.id == c
                            && matches!(
                                k.kind,
                                CurveKind::Pump1 | CurveKind::Pump2 | CurveKind::Pump3 | CurveKind::Pump4 | CurveKind::Pump5
                            )
                    })
                    .ok_or_else(|| pr.err("curve", format!("\"{c}\" is not a pump curve (Pump1–Pump5) of the file's \"curves\", nor \"*\" for an ideal pump")))?,
            )
        };
        LinkKind::Pump(Pump {
            curve,
            init_on: pr.flag("init_on")?,
            startup_depth_m: pr.num("startup_depth_m", Some(0.0), 0.0, false)?,
            shutoff_depth_m: pr.num("shutoff_depth_m", Some(0.0), 0.0, false)?,
        })
    };
    Ok(Link {
        id,
        from,
        to,
        from_offset_m: pr.num("from_offset_m", Some(0.0), 0.0, false)?,
        to_offset_m: pr.num("to_offset_m", Some(0.0), 0.0, false)?,
        kind,
        line,
    })
}
