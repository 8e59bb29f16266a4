//! Loading and validating a scenario into a checked [`Scenario`].
//!
//! Two stages: `ron` parses the text into the serde types of [`super::schema`] (syntax
//! errors, unknown fields, wrong types and malformed durations stop here, with the
//! position `ron` reports and the field path from `serde_path_to_error`); then every
//! file is loaded and every cross-reference checked, collecting all problems, each
//! pointed at its field through a [`Locator`]. A scenario that passes always runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_path_to_error::Segment;

use super::error::{Diagnostic, ScenarioError};
use super::locate::{Locator, Pos};
use super::schema::*;
use crate::world::{
    Building, Grid, GridSpec, Place, PlaceKind, Road, Zone, read_asc, read_asc_header, vector,
};

/// A checked scenario: the file as written, plus everything it refers to, loaded.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file as parsed.
    pub file: ScenarioFile,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text (embedded in replays and hashed).
    pub text: String,
    /// The folder relative paths resolve against.
    pub base_dir: PathBuf,
    /// Ground elevation, metres.
    pub dem: Grid<f64>,
    /// Land-use code per cell.
    pub landuse: Grid<i32>,
    /// Cells outside the district (no data in the DEM or the land use): solid, dry,
    /// closed. Their DEM value is a neutral fill.
    pub outside: Grid<bool>,
    /// Per-cell Manning's n overriding the land classes' values, if given.
    pub manning: Option<Grid<f64>>,
    /// Named places.
    pub places: Vec<Place>,
    /// Zones.
    pub zones: Vec<Zone>,
    /// Road segments.
    pub roads: Vec<Road>,
    /// Buildings.
    pub buildings: Vec<Building>,
    /// Start of the drill as local date-time.
    pub start: chrono::NaiveDateTime,
}

impl Scenario {
    /// Resolve a path from the scenario file against its folder.
    pub fn resolve(&self, rel: &str) -> PathBuf {
        self.base_dir.join(rel)
    }

    /// Place by id.
    pub fn place(&self, id: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }

    /// Map position of a location.
    pub fn location(&self, loc: &Location) -> Option<(f64, f64)> {
        match loc {
            Location::Place(id) => self.place(id).map(|p| p.at),
            Location::Point(x, y) => Some((*x, *y)),
        }
    }

    /// The land class of a code.
    pub fn land_class(&self, code: i32) -> Option<&LandClass> {
        self.file
            .district
            .land_classes
            .iter()
            .find(|c| c.code == code)
    }

    /// Drill duration in seconds.
    pub fn duration(&self) -> f64 {
        self.file.meta.duration.secs()
    }

    /// A content hash of the scenario text (hex), for replays and summaries.
    pub fn hash(&self) -> String {
        blake3::hash(self.text.as_bytes()).to_hex().to_string()
    }
}

/// Check an order given outside the scenario file (a command stream, the live API)
/// against a checked scenario: units, places, zones, channels, shelters and roads must
/// exist and points must lie inside the district. Returns `(field, message)` for each
/// problem (fields relative to the order), empty when it can be carried out.
pub fn check_order(s: &Scenario, o: &Order) -> Vec<(String, String)> {
    let mut v = Validator::detached();
    let r = Refs::new(&s.file, &s.places, &s.zones, &s.roads);
    v.order(o, "", &r, Some(&s.dem.spec));
    v.detached_problems()
}

/// Check an inject given outside the scenario file, like [`check_order`].
pub fn check_inject(s: &Scenario, e: &InjectEvent) -> Vec<(String, String)> {
    let mut v = Validator::detached();
    let r = Refs::new(&s.file, &s.places, &s.zones, &s.roads);
    v.inject_event(e, "", &r, Some(&s.dem.spec));
    v.detached_problems()
}

/// Load, parse and validate a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = super::text::read_text(path).map_err(|e| {
        let (line, col) = e.position();
        ScenarioError {
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                line: line.max(1),
                col: col.max(1),
                field: String::new(),
                message: match e {
                    super::text::TextError::Io { source, .. } => {
                        format!("cannot read scenario file: {source}")
                    }
                    other => other.reason(),
                },
            }],
        }
    })?;
    load_str(path, text)
}

/// Parse and validate scenario text read from `path` (used for error messages and to
/// resolve relative paths).
pub fn load_str(path: &Path, text: String) -> Result<Scenario, ScenarioError> {
    let text = match super::text::strip_bom(&text).len() {
        n if n == text.len() => text,
        n => text[text.len() - n..].to_string(),
    };
    let file = parse(path, &text)?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut v = Validator {
        path: path.to_path_buf(),
        loc: Locator::new(&text),
        diags: Vec::new(),
        base_dir: if base_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base_dir
        },
    };
    let checked = v.check(file, &text);
    // Whatever the checks above missed, the hydraulic model's own setup catches: a
    // scenario that validates always runs.
    if v.diags.is_empty()
        && let Some(s) = &checked
        && let Err(e) = crate::engine::hydro::build_model(s)
    {
        v.err("", format!("the hydraulic model cannot be set up: {e}"));
    }
    if v.diags.is_empty()
        && let Some(s) = &checked
        && !s.roads.is_empty()
        && s.buildings.iter().any(|b| b.households > 0)
        && let Err(e) = crate::engine::people::build_people(s, s.file.meta.seed)
    {
        v.err(
            "district.roads",
            format!("the people cannot be set up: {e}"),
        );
    }
    let mut diags = v.diags;
    diags.sort_by_key(|d| (d.line, d.col));
    match checked {
        Some(s) if diags.is_empty() => Ok(s),
        _ => Err(ScenarioError { diagnostics: diags }),
    }
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parse only (no files loaded): syntax, field names, types, durations.
pub fn parse(path: &Path, text: &str) -> Result<ScenarioFile, ScenarioError> {
    let text = super::text::strip_bom(text);
    let mut de =
        ron::de::Deserializer::from_str_with_options(text, &ron_options()).map_err(|e| {
            ScenarioError {
                diagnostics: vec![Diagnostic {
                    file: path.to_path_buf(),
                    line: e.span.start.line,
                    col: e.span.start.col,
                    field: String::new(),
                    message: e.code.to_string(),
                }],
            }
        })?;
    let result: Result<ScenarioFile, _> = serde_path_to_error::deserialize(&mut de);
    let fail = |field: String, code: ron::Error, de: &ron::de::Deserializer| {
        let span = de.span_error(code.clone()).span;
        // Custom errors (durations, values) are raised after the value is read; point
        // at the value's start when the locator knows it.
        let pos = if field.is_empty() {
            None
        } else {
            Locator::new(text).get(&field)
        };
        let (line, col) = match pos {
            Some(Pos { line, col }) if matches!(code, ron::Error::Message(_)) => (line, col),
            _ => (span.start.line, span.start.col),
        };
        ScenarioError {
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                line,
                col,
                field,
                message: explain(&code),
            }],
        }
    };
    match result {
        Ok(file) => match de.end() {
            Ok(()) => Ok(file),
            Err(code) => Err(fail(String::new(), code, &de)),
        },
        Err(e) => {
            let field = field_path(e.path());
            let code = e.into_inner();
            Err(fail(field, code, &de))
        }
    }
}

fn field_path(p: &serde_path_to_error::Path) -> String {
    let mut s = String::new();
    for seg in p {
        match seg {
            Segment::Seq { index } => s.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    s
}

fn explain(code: &ron::Error) -> String {
    match code {
        ron::Error::NoSuchStructField {
            expected, found, ..
        } => format!(
            "unknown field `{found}`; expected one of: {}",
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ron::Error::MissingStructField { field, .. } => format!("missing required field `{field}`"),
        ron::Error::NoSuchEnumVariant {
            expected, found, ..
        } => format!(
            "unknown variant `{found}`; expected one of: {}",
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

struct Validator {
    path: PathBuf,
    loc: Locator,
    diags: Vec<Diagnostic>,
    base_dir: PathBuf,
}

impl Validator {
    fn detached() -> Self {
        Validator {
            path: PathBuf::new(),
            loc: Locator::new(""),
            diags: Vec::new(),
            base_dir: PathBuf::from("."),
        }
    }

    /// Problems of a detached check, fields relative to the checked item.
    fn detached_problems(self) -> Vec<(String, String)> {
        self.diags
            .into_iter()
            .map(|d| (d.field.trim_start_matches('.').to_string(), d.message))
            .collect()
    }

    fn err(&mut self, field: &str, message: impl Into<String>) {
        let Pos { line, col } = self.loc.find(field);
        self.diags.push(Diagnostic {
            file: self.path.clone(),
            line,
            col,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn require(&mut self, ok: bool, field: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.err(field, message());
        }
    }

    fn positive(&mut self, v: f64, field: &str) {
        self.require(v.is_finite() && v > 0.0, field, || {
            format!("expected a number > 0, found {v}")
        });
    }

    fn non_negative(&mut self, v: f64, field: &str) {
        self.require(v.is_finite() && v >= 0.0, field, || {
            format!("expected a number ≥ 0, found {v}")
        });
    }

    fn fraction(&mut self, v: f64, field: &str) {
        self.require((0.0..=1.0).contains(&v), field, || {
            format!("expected a fraction 0–1, found {v}")
        });
    }

    fn file_exists(&mut self, rel: &str, field: &str) -> Option<PathBuf> {
        let p = self.base_dir.join(rel);
        if p.is_file() {
            Some(p)
        } else {
            self.err(
                field,
                format!(
                    "file not found: {} (paths are relative to the scenario file)",
                    p.display()
                ),
            );
            None
        }
    }

    fn check(&mut self, f: ScenarioFile, text: &str) -> Option<Scenario> {
        self.require(f.version == FORMAT_VERSION, "version", || {
            format!(
                "unsupported format version {}; this floodrill reads version {FORMAT_VERSION}",
                f.version
            )
        });
        let start = self.check_meta(&f.meta);
        let (dem, landuse, manning) = self.check_rasters(&f.district);
        // Cells without data (DEM or land use) lie outside the district: closed and dry.
        let mut dem = dem;
        let outside = dem.as_ref().map(|d| Grid {
            spec: d.spec,
            data: d.data.iter().map(|v| v.is_nan()).collect::<Vec<bool>>(),
        });
        if let Some(d) = &mut dem {
            let valid: Vec<f64> = d.data.iter().copied().filter(|v| !v.is_nan()).collect();
            if valid.is_empty() {
                self.err(
                    "district.dem",
                    "no cell of the district has both elevation and land use",
                );
            } else {
                let fill = valid.iter().sum::<f64>() / valid.len() as f64;
                for v in &mut d.data {
                    if v.is_nan() {
                        *v = fill;
                    }
                }
            }
        }
        let spec = dem.as_ref().map(|d| d.spec);
        let layers = self.check_layers(&f.district, spec.as_ref());
        if let Some(out) = &outside {
            for p in &layers.0 {
                if let Some((r, c)) = out.spec.cell_at(p.at.0, p.at.1)
                    && *out.get(r, c)
                {
                    self.err("district.places", format!(
                        "place \"{}\" at ({:.1}, {:.1}) lies on a no-data cell, outside the district",
                        p.id, p.at.0, p.at.1));
                }
            }
        }
        let ctx = Refs::new(&f, &layers.0, &layers.1, &layers.2);
        self.check_rain(&f, &ctx, spec.as_ref());
        self.check_hydro(&f);
        self.check_boundaries(&f, spec.as_ref());
        self.check_population(&f, &ctx);
        self.check_warnings(&f);
        self.check_shelters(&f, &ctx);
        self.check_forces(&f, &ctx);
        self.check_sensors(&f, &ctx, spec.as_ref());
        self.check_plan(&f, &ctx, spec.as_ref());
        self.check_injects(&f, &ctx, spec.as_ref());
        self.check_rubric(&f);
        self.check_outputs(&f, &ctx, spec.as_ref());
        let (places, zones, roads, buildings) = layers;
        Some(Scenario {
            path: self.path.clone(),
            text: text.to_string(),
            base_dir: self.base_dir.clone(),
            dem: dem?,
            landuse: landuse?,
            outside: outside?,
            manning,
            places,
            zones,
            roads,
            buildings,
            start: start?,
            file: f,
        })
    }

    fn check_meta(&mut self, m: &Meta) -> Option<chrono::NaiveDateTime> {
        self.require(!m.name.trim().is_empty(), "meta.name", || {
            "expected a non-empty name".into()
        });
        self.positive(m.duration.secs(), "meta.duration");
        self.positive(m.tick.secs(), "meta.tick");
        if m.tick.secs() > 0.0 && m.duration.secs() > 0.0 {
            let ticks = m.duration.secs() / m.tick.secs();
            self.require(
                (ticks - ticks.round()).abs() < 1e-9,
                "meta.duration",
                || {
                    format!(
                        "the duration {} is not a whole number of ticks of {}",
                        m.duration, m.tick
                    )
                },
            );
        }
        match chrono::NaiveDateTime::parse_from_str(&m.start, "%Y-%m-%dT%H:%M:%S") {
            Ok(t) => Some(t),
            Err(_) => {
                self.err(
                    "meta.start",
                    format!(
                        "expected a local date-time like \"2026-07-15T14:00:00\", found \"{}\"",
                        m.start
                    ),
                );
                None
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn check_rasters(
        &mut self,
        d: &District,
    ) -> (Option<Grid<f64>>, Option<Grid<i32>>, Option<Grid<f64>>) {
        let dem = self
            .file_exists(&d.dem, "district.dem")
            .and_then(|p| match read_asc(&p) {
                Ok(g) => {
                    // No-data cells lie outside the district (a DEM clipped to its boundary):
                    // they are kept as solid, closed cells.
                    let mut grid = g.grid;
                    if let Some(nd) = g.nodata {
                        // NaN marks "outside" until the mask is built; the value is then
                        // replaced by a neutral elevation.
                        for v in &mut grid.data {
                            if *v == nd {
                                *v = f64::NAN;
                            }
                        }
                    }
                    Some(grid)
                }
                Err(e) => {
                    self.err("district.dem", e.to_string());
                    None
                }
            });
        let mut codes = BTreeSet::new();
        for (i, c) in d.land_classes.iter().enumerate() {
            let at = format!("district.land_classes[{i}]");
            if !codes.insert(c.code) {
                self.err(
                    &format!("{at}.code"),
                    format!("land-use code {} is defined twice", c.code),
                );
            }
            self.positive(c.manning, &format!("{at}.manning"));
            self.fraction(c.impervious, &format!("{at}.impervious"));
            self.non_negative(c.drainage_mm_h, &format!("{at}.drainage_mm_h"));
            match &c.infiltration {
                Infiltration::None => {}
                Infiltration::Horton {
                    f0_mm_h,
                    fc_mm_h,
                    k_per_h,
                } => {
                    self.non_negative(*fc_mm_h, &format!("{at}.infiltration.fc_mm_h"));
                    self.require(
                        f0_mm_h >= fc_mm_h,
                        &format!("{at}.infiltration.f0_mm_h"),
                        || format!("expected f0 ≥ fc ({fc_mm_h}), found {f0_mm_h}"),
                    );
                    self.positive(*k_per_h, &format!("{at}.infiltration.k_per_h"));
                }
                Infiltration::CurveNumber { cn } => {
                    self.require(
                        *cn > 0.0 && *cn <= 100.0,
                        &format!("{at}.infiltration.cn"),
                        || format!("expected a curve number in (0, 100], found {cn}"),
                    );
                }
            }
        }
        let mut lu_outside = Vec::new();
        let landuse = self.file_exists(&d.landuse, "district.landuse").and_then(|p| match read_asc(&p) {
            Ok(g) => {
                if let Some(dem) = &dem
                    && !g.grid.spec.same_extent(&dem.spec)
                {
                    self.err("district.landuse", format!(
                        "{}: extent {} differs from the DEM's {}; the rasters must agree cell for cell",
                        p.display(), g.grid.spec, dem.spec));
                    return None;
                }
                let mut out = Vec::with_capacity(g.grid.data.len());
                let first_code = codes.iter().next().copied().unwrap_or(0);
                for (k, &v) in g.grid.data.iter().enumerate() {
                    let dem_outside = dem.as_ref().is_some_and(|d| d.data[k].is_nan());
                    if g.nodata == Some(v) || dem_outside {
                        // Outside the district: the class does not matter (see `outside`).
                        if !dem_outside {
                            lu_outside.push(k);
                        }
                        out.push(first_code);
                        continue;
                    }
                    let code = v.round() as i32;
                    if (v - code as f64).abs() > 1e-6 || !codes.contains(&code) {
                        let (r, c) = (k / g.grid.spec.ncols, k % g.grid.spec.ncols);
                        self.err("district.land_classes", format!(
                            "{}: cell (row {}, col {}) has code {v}, which no land class defines (defined: {})",
                            p.display(), r + 1, c + 1,
                            codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")));
                        return None;
                    }
                    out.push(code);
                }
                Some(Grid { spec: g.grid.spec, data: out })
            }
            Err(e) => {
                self.err("district.landuse", e.to_string());
                None
            }
        });
        let mut dem = dem;
        if let Some(dem) = &mut dem {
            for k in lu_outside {
                dem.data[k] = f64::NAN;
            }
        }
        let manning = d.manning.as_ref().and_then(|rel| {
            let p = self.file_exists(rel, "district.manning")?;
            match read_asc(&p) {
                Ok(g) => {
                    if let Some(dem) = &dem
                        && !g.grid.spec.same_extent(&dem.spec)
                    {
                        self.err("district.manning", format!(
                            "{}: extent {} differs from the DEM's {}; the rasters must agree cell for cell",
                            p.display(), g.grid.spec, dem.spec));
                        return None;
                    }
                    let bad = g.grid.data.iter().enumerate().find(|&(k, &v)| {
                        let outside = dem.as_ref().is_some_and(|d| d.data[k].is_nan()) || g.nodata == Some(v);
                        !outside && (v.is_nan() || v <= 0.0 || v.is_infinite())
                    });
                    if let Some((k, v)) = bad {
                        let (r, c) = (k / g.grid.spec.ncols, k % g.grid.spec.ncols);
                        self.err("district.manning", format!(
                            "{}: cell (row {}, col {}) has Manning's n {v}; expected a number > 0",
                            p.display(), r + 1, c + 1));
                        return None;
                    }
                    Some(g.grid)
                }
                Err(e) => {
                    self.err("district.manning", e.to_string());
                    None
                }
            }
        });
        (dem, landuse, manning)
    }

    #[allow(clippy::type_complexity)]
    fn check_layers(
        &mut self,
        d: &District,
        spec: Option<&GridSpec>,
    ) -> (Vec<Place>, Vec<Zone>, Vec<Road>, Vec<Building>) {
        fn layer<T>(
            v: &mut Validator,
            rel: &Option<String>,
            field: &str,
            f: impl Fn(&Path) -> Result<Vec<T>, vector::VectorError>,
        ) -> Vec<T> {
            let Some(rel) = rel else { return Vec::new() };
            let Some(p) = v.file_exists(rel, field) else {
                return Vec::new();
            };
            f(&p).unwrap_or_else(|e| {
                v.err(field, e.to_string());
                Vec::new()
            })
        }
        let places = layer(self, &d.places, "district.places", vector::load_places);
        let zones = layer(self, &d.zones, "district.zones", vector::load_zones);
        let roads = layer(self, &d.roads, "district.roads", vector::load_roads);
        let buildings = layer(
            self,
            &d.buildings,
            "district.buildings",
            vector::load_buildings,
        );
        if let Some(spec) = spec {
            for p in &places {
                if spec.cell_at(p.at.0, p.at.1).is_none() {
                    let (x0, y0, x1, y1) = spec.extent();
                    self.err("district.places", format!(
                        "place \"{}\" at ({:.1}, {:.1}) lies outside the DEM (x {x0}–{x1}, y {y0}–{y1})",
                        p.id, p.at.0, p.at.1));
                }
            }
        }
        let zone_ids: BTreeSet<&str> = zones.iter().map(|z| z.id.as_str()).collect();
        if !zones.is_empty() {
            for p in &places {
                if let Some(z) = &p.zone
                    && !zone_ids.contains(z.as_str())
                {
                    self.err(
                        "district.places",
                        format!(
                            "place \"{}\" names zone \"{z}\", which the zones layer does not have",
                            p.id
                        ),
                    );
                }
            }
            if let Some(b) = buildings.iter().find(|b| {
                b.zone
                    .as_ref()
                    .is_some_and(|z| !zone_ids.contains(z.as_str()))
            }) {
                self.err(
                    "district.buildings",
                    format!(
                        "building \"{}\" names zone \"{}\", which the zones layer does not have",
                        b.id,
                        b.zone.clone().unwrap_or_default()
                    ),
                );
            }
        }
        (places, zones, roads, buildings)
    }

    fn series(&mut self, s: &Series, field: &str) {
        match s {
            Series::Points(pts) => {
                self.require(!pts.is_empty(), field, || {
                    "expected at least one (time, value) point".into()
                });
                for w in pts.windows(2) {
                    if w[1].0.secs() < w[0].0.secs() {
                        self.err(
                            field,
                            format!("times must not decrease ({} after {})", w[1].0, w[0].0),
                        );
                        break;
                    }
                }
                if let Some((t, v)) = pts.iter().find(|(_, v)| !v.is_finite()) {
                    self.err(field, format!("value at {t} is not a finite number: {v}"));
                }
            }
            Series::File(rel) => {
                if let Some(p) = self.file_exists(rel, field)
                    && let Err(e) = crate::engine::hydro::read_series_file(&p)
                {
                    self.err(field, e);
                }
            }
        }
    }

    fn check_rain(&mut self, f: &ScenarioFile, r: &Refs, spec: Option<&GridSpec>) {
        for (i, z) in f.rain.zone_scale.iter().enumerate() {
            let at = format!("rain.zone_scale[{i}]");
            r.zone(self, &z.zone, &format!("{at}.zone"));
            self.non_negative(z.factor, &format!("{at}.factor"));
        }
        for (i, s) in f.rain.sources.iter().enumerate() {
            self.rain_source(s, &format!("rain.sources[{i}]"), spec);
        }
    }

    fn rain_source(&mut self, s: &RainSource, at: &str, spec: Option<&GridSpec>) {
        match s {
            RainSource::Uniform { series } => self.series(series, &format!("{at}.series")),
            RainSource::Chicago {
                a1,
                b,
                n,
                return_period_years,
                duration,
                peak_ratio,
                step,
                ..
            } => {
                self.positive(*a1, &format!("{at}.a1"));
                self.non_negative(*b, &format!("{at}.b"));
                self.positive(*n, &format!("{at}.n"));
                self.require(
                    *return_period_years >= 1.0,
                    &format!("{at}.return_period_years"),
                    || format!("expected a return period ≥ 1 year, found {return_period_years}"),
                );
                self.positive(duration.secs(), &format!("{at}.duration"));
                self.require(
                    *peak_ratio > 0.0 && *peak_ratio < 1.0,
                    &format!("{at}.peak_ratio"),
                    || format!("expected a fraction strictly between 0 and 1, found {peak_ratio}"),
                );
                self.positive(step.secs(), &format!("{at}.step"));
            }
            RainSource::MovingCell {
                peak_mm_h,
                radius_m,
                track,
            } => {
                self.non_negative(*peak_mm_h, &format!("{at}.peak_mm_h"));
                self.positive(*radius_m, &format!("{at}.radius_m"));
                self.require(track.len() >= 2, &format!("{at}.track"), || {
                    "expected at least two (time, x, y) points".into()
                });
                for w in track.windows(2) {
                    if w[1].0.secs() <= w[0].0.secs() {
                        self.err(
                            &format!("{at}.track"),
                            format!("track times must increase ({} after {})", w[1].0, w[0].0),
                        );
                        break;
                    }
                }
            }
            RainSource::Frames { frames } => {
                self.require(!frames.is_empty(), &format!("{at}.frames"), || {
                    "expected at least one frame".into()
                });
                for (k, (_, rel)) in frames.iter().enumerate() {
                    let field = format!("{at}.frames[{k}]");
                    if let Some(p) = self.file_exists(rel, &field) {
                        match read_asc_header(&p) {
                            Ok((fs, _)) => {
                                if let Some(spec) = spec
                                    && !fs.same_extent(spec)
                                {
                                    self.err(
                                        &field,
                                        format!(
                                            "{}: extent {fs} differs from the DEM's {spec}",
                                            p.display()
                                        ),
                                    );
                                }
                            }
                            Err(e) => self.err(&field, e.to_string()),
                        }
                    }
                }
            }
        }
    }

    fn check_hydro(&mut self, f: &ScenarioFile) {
        let h = &f.hydro;
        self.require(h.cfl > 0.0 && h.cfl <= 1.0, "hydro.cfl", || {
            format!("expected 0 < cfl ≤ 1 (stability), found {}", h.cfl)
        });
        self.require(h.theta > 0.0 && h.theta <= 1.0, "hydro.theta", || {
            format!("expected 0 < theta ≤ 1, found {}", h.theta)
        });
        self.positive(h.max_dt.secs(), "hydro.max_dt");
        self.positive(h.depth_threshold_m, "hydro.depth_threshold_m");
        self.non_negative(h.initial_depth_m, "hydro.initial_depth_m");
        let codes: BTreeSet<i32> = f.district.land_classes.iter().map(|c| c.code).collect();
        for (i, l) in h.initial_levels.iter().enumerate() {
            self.require(
                codes.contains(&l.landuse),
                &format!("hydro.initial_levels[{i}].landuse"),
                || format!("no land class has code {}", l.landuse),
            );
        }
    }

    fn segment(&mut self, s: &EdgeSegment, at: &str, spec: Option<&GridSpec>) {
        let Some(spec) = spec else { return };
        let (x0, y0, x1, y1) = spec.extent();
        let (lo, hi) = match s.edge {
            Edge::North | Edge::South => (x0, x1),
            Edge::East | Edge::West => (y0, y1),
        };
        self.require(s.from < s.to, &format!("{at}.to"), || {
            format!("expected `to` > `from` ({}), found {}", s.from, s.to)
        });
        self.require(
            s.from >= lo - 1e-6 && s.to <= hi + 1e-6,
            &format!("{at}.from"),
            || {
                format!(
                    "segment {}–{} runs off the {:?} edge, which spans {lo}–{hi}",
                    s.from, s.to, s.edge
                )
            },
        );
    }

    fn point_inside(&mut self, x: f64, y: f64, at: &str, spec: Option<&GridSpec>) {
        if let Some(spec) = spec
            && spec.cell_at(x, y).is_none()
        {
            let (x0, y0, x1, y1) = spec.extent();
            self.err(
                at,
                format!("point ({x}, {y}) lies outside the district (x {x0}–{x1}, y {y0}–{y1})"),
            );
        }
    }

    fn check_boundaries(&mut self, f: &ScenarioFile, spec: Option<&GridSpec>) {
        for (i, b) in f.boundaries.iter().enumerate() {
            let at = format!("boundaries[{i}]");
            match b {
                Boundary::FreeOutflow { at: s, slope } => {
                    self.segment(s, &format!("{at}.at"), spec);
                    self.positive(*slope, &format!("{at}.slope"));
                }
                Boundary::Stage { at: s, series } | Boundary::EdgeInflow { at: s, series } => {
                    self.segment(s, &format!("{at}.at"), spec);
                    self.series(series, &format!("{at}.series"));
                }
                Boundary::PointInflow { x, y, series } => {
                    self.point_inside(*x, *y, &format!("{at}.x"), spec);
                    self.series(series, &format!("{at}.series"));
                }
            }
        }
    }

    fn check_population(&mut self, f: &ScenarioFile, r: &Refs) {
        let p = &f.population;
        self.positive(p.household_size, "population.household_size");
        self.fraction(p.vehicle_share, "population.vehicle_share");
        self.fraction(p.elderly_share, "population.elderly_share");
        self.fraction(p.children_share, "population.children_share");
        self.positive(
            p.mobilisation.median_day.secs(),
            "population.mobilisation.median_day",
        );
        self.positive(
            p.mobilisation.median_night.secs(),
            "population.mobilisation.median_night",
        );
        self.non_negative(p.mobilisation.sigma, "population.mobilisation.sigma");
        self.fraction(
            p.mobilisation.compliance,
            "population.mobilisation.compliance",
        );
        self.positive(p.walking.speed_m_s, "population.walking.speed_m_s");
        self.positive(
            p.walking.slow_speed_m_s,
            "population.walking.slow_speed_m_s",
        );
        let hz = &p.hazard;
        self.positive(hz.trapped_above_hr, "population.hazard.trapped_above_hr");
        self.non_negative(hz.debris_factor, "population.hazard.debris_factor");
        self.non_negative(hz.debris_depth_m, "population.hazard.debris_depth_m");
        self.positive(
            hz.home_trapped_above_m,
            "population.hazard.home_trapped_above_m",
        );
        self.non_negative(hz.storey_height_m, "population.hazard.storey_height_m");
        if let Some(c) = &hz.casualty {
            self.positive(c.hr_above, "population.hazard.casualty.hr_above");
            self.non_negative(c.exposure.secs(), "population.hazard.casualty.exposure");
        }
        if let PopulationSource::ZoneTotals(t) = &p.source {
            for (i, (z, _)) in t.iter().enumerate() {
                r.zone(self, z, &format!("population.source[{i}][0]"));
            }
        }
    }

    fn check_warnings(&mut self, f: &ScenarioFile) {
        let mut ids = BTreeSet::new();
        for (i, c) in f.warnings.channels.iter().enumerate() {
            let at = format!("warnings.channels[{i}]");
            if !ids.insert(c.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("channel id \"{}\" is used twice", c.id),
                );
            }
            self.fraction(c.reach, &format!("{at}.reach"));
            self.positive(c.half_time.secs(), &format!("{at}.half_time"));
        }
    }

    fn check_shelters(&mut self, f: &ScenarioFile, r: &Refs) {
        for (i, s) in f.shelters.iter().enumerate() {
            let at = format!("shelters[{i}]");
            if let Some(p) = r.place_of(
                self,
                &s.place,
                &format!("{at}.place"),
                Some(PlaceKind::Shelter),
            ) {
                self.require(
                    s.capacity.is_some() || p.capacity.is_some(),
                    &format!("{at}.capacity"),
                    || {
                        format!(
                            "shelter \"{}\" has no capacity here or in the places layer",
                            s.place
                        )
                    },
                );
            }
            for (k, z) in s.zones.iter().enumerate() {
                r.zone(self, z, &format!("{at}.zones[{k}]"));
            }
        }
    }

    fn check_forces(&mut self, f: &ScenarioFile, r: &Refs) {
        let mut ids = BTreeSet::new();
        for (i, t) in f.forces.teams.iter().enumerate() {
            let at = format!("forces.teams[{i}]");
            if !ids.insert(t.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("unit id \"{}\" is used twice", t.id),
                );
            }
            self.require(t.crew > 0, &format!("{at}.crew"), || {
                "expected a crew of at least 1".into()
            });
            self.require(t.capacity > 0, &format!("{at}.capacity"), || {
                "expected a capacity of at least 1 person".into()
            });
            self.non_negative(t.wading_limit_m, &format!("{at}.wading_limit_m"));
            self.positive(t.speed_kmh, &format!("{at}.speed_kmh"));
            self.positive(
                t.rescue_time_per_person.secs(),
                &format!("{at}.rescue_time_per_person"),
            );
            r.place_of(
                self,
                &t.depot,
                &format!("{at}.depot"),
                Some(PlaceKind::Depot),
            );
        }
        for (i, b) in f.forces.robots.iter().enumerate() {
            let at = format!("forces.robots[{i}]");
            if !ids.insert(b.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("unit id \"{}\" is used twice", b.id),
                );
            }
            self.positive(b.capacity_m3_h, &format!("{at}.capacity_m3_h"));
            self.non_negative(b.setup.secs(), &format!("{at}.setup"));
            self.non_negative(b.wading_limit_m, &format!("{at}.wading_limit_m"));
            self.positive(b.speed_kmh, &format!("{at}.speed_kmh"));
            self.positive(b.hose_reach_m, &format!("{at}.hose_reach_m"));
            self.non_negative(b.discharge_reach_m, &format!("{at}.discharge_reach_m"));
            r.place_of(
                self,
                &b.depot,
                &format!("{at}.depot"),
                Some(PlaceKind::Depot),
            );
        }
    }

    fn location(&mut self, l: &Location, at: &str, r: &Refs, spec: Option<&GridSpec>) {
        match l {
            Location::Place(id) => {
                r.place_of(self, id, at, None);
            }
            Location::Point(x, y) => self.point_inside(*x, *y, at, spec),
        }
    }

    fn check_sensors(&mut self, f: &ScenarioFile, r: &Refs, spec: Option<&GridSpec>) {
        let mut ids = BTreeSet::new();
        for (i, s) in f.sensors.iter().enumerate() {
            let at = format!("sensors[{i}]");
            if !ids.insert(s.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("sensor id \"{}\" is used twice", s.id),
                );
            }
            self.location(&s.at, &format!("{at}.at"), r, spec);
            self.non_negative(s.noise, &format!("{at}.noise"));
            self.positive(s.interval.secs(), &format!("{at}.interval"));
            if let SensorKind::PumpStatus(unit) = &s.kind {
                r.pump_or_robot(self, unit, &format!("{at}.kind"));
            }
        }
    }

    fn condition(&mut self, c: &Condition, at: &str, r: &Refs) {
        match c {
            Condition::At(t) => self.require(t.secs() <= r.duration, at, || {
                format!(
                    "time {t} is after the end of the drill ({})",
                    super::duration::format_duration(r.duration)
                )
            }),
            Condition::SensorAbove(s, _) | Condition::SensorBelow(s, _) => {
                self.require(r.sensors.contains(s.as_str()), &format!("{at}[0]"), || {
                    format!("no sensor has id \"{s}\" (sensors: {})", list(&r.sensors))
                });
            }
            Condition::RescueRequested => {}
            Condition::All(cs) | Condition::Any(cs) => {
                for (k, c) in cs.iter().enumerate() {
                    self.condition(c, &format!("{at}[0][{k}]"), r);
                }
            }
        }
    }

    fn order(&mut self, o: &Order, at: &str, r: &Refs, spec: Option<&GridSpec>) {
        match o {
            Order::Dispatch { unit, to } => {
                r.unit(self, unit, &format!("{at}.unit"));
                self.location(to, &format!("{at}.to"), r, spec);
            }
            Order::PrePosition { unit, post } => {
                r.unit(self, unit, &format!("{at}.unit"));
                r.place_of(self, post, &format!("{at}.post"), Some(PlaceKind::Post));
            }
            Order::Recall { unit } => r.unit(self, unit, &format!("{at}.unit")),
            Order::DispatchNearestToRescue => {}
            Order::Warn { zones, channel } => {
                for (k, z) in zones.iter().enumerate() {
                    r.zone(self, z, &format!("{at}.zones[{k}]"));
                }
                self.require(
                    r.channels.contains(channel.as_str()),
                    &format!("{at}.channel"),
                    || {
                        format!(
                            "no warning channel has id \"{channel}\" (channels: {})",
                            list(&r.channels)
                        )
                    },
                );
            }
            Order::OpenShelter(s) | Order::CloseShelter(s) => {
                self.require(r.shelters.contains(s.as_str()), &format!("{at}[0]"), || {
                    format!(
                        "no shelter is listed for place \"{s}\" (shelters: {})",
                        list(&r.shelters)
                    )
                });
            }
            Order::CloseRoad(id) => r.road(self, id, &format!("{at}[0]")),
        }
    }

    fn check_plan(&mut self, f: &ScenarioFile, r: &Refs, spec: Option<&GridSpec>) {
        let mut ids = BTreeSet::new();
        for (i, rule) in f.plan.iter().enumerate() {
            let at = format!("plan[{i}]");
            if !ids.insert(rule.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("rule id \"{}\" is used twice", rule.id),
                );
            }
            self.condition(&rule.when, &format!("{at}.when"), r);
            self.require(!rule.then.is_empty(), &format!("{at}.then"), || {
                "expected at least one order".into()
            });
            for (k, o) in rule.then.iter().enumerate() {
                self.order(o, &format!("{at}.then[{k}]"), r, spec);
            }
        }
    }

    fn inject_event(&mut self, e: &InjectEvent, ev: &str, r: &Refs, spec: Option<&GridSpec>) {
        match e {
            InjectEvent::LeveeBreach {
                x,
                y,
                width_m,
                over,
                ..
            } => {
                self.point_inside(*x, *y, &format!("{ev}.x"), spec);
                self.positive(*width_m, &format!("{ev}.width_m"));
                self.non_negative(over.secs(), &format!("{ev}.over"));
            }
            InjectEvent::PumpFailure { unit, .. } => {
                r.pump_or_robot(self, unit, &format!("{ev}.unit"));
            }
            InjectEvent::RoadCollapse { road } => r.road(self, road, &format!("{ev}.road")),
            InjectEvent::CommOutage { zones, duration } => {
                for (k, z) in zones.iter().enumerate() {
                    r.zone(self, z, &format!("{ev}.zones[{k}]"));
                }
                self.positive(duration.secs(), &format!("{ev}.duration"));
            }
            InjectEvent::RainCell { source } => {
                self.rain_source(source, &format!("{ev}.source"), spec)
            }
            InjectEvent::FalseReport { at: l } => self.location(l, &format!("{ev}.at"), r, spec),
        }
    }

    fn check_injects(&mut self, f: &ScenarioFile, r: &Refs, spec: Option<&GridSpec>) {
        let mut ids = BTreeSet::new();
        for (i, inj) in f.injects.iter().enumerate() {
            let at = format!("injects[{i}]");
            if !ids.insert(inj.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("inject id \"{}\" is used twice", inj.id),
                );
            }
            self.require(inj.at.secs() <= r.duration, &format!("{at}.at"), || {
                format!(
                    "time {} is after the end of the drill ({})",
                    inj.at,
                    super::duration::format_duration(r.duration)
                )
            });
            self.inject_event(&inj.event, &format!("{at}.event"), r, spec);
        }
    }

    fn check_rubric(&mut self, f: &ScenarioFile) {
        let Some(rubric) = &f.rubric else { return };
        self.require(!rubric.criteria.is_empty(), "rubric.criteria", || {
            "expected at least one criterion".into()
        });
        let mut ids = BTreeSet::new();
        for (i, c) in rubric.criteria.iter().enumerate() {
            let at = format!("rubric.criteria[{i}]");
            if !ids.insert(c.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("criterion id \"{}\" is used twice", c.id),
                );
            }
            self.positive(c.weight, &format!("{at}.weight"));
            self.require(
                (0.0..=100.0).contains(&c.pass_score),
                &format!("{at}.pass_score"),
                || format!("expected a score 0–100, found {}", c.pass_score),
            );
        }
        self.require(
            (0.0..=100.0).contains(&rubric.pass_mark),
            "rubric.pass_mark",
            || format!("expected a score 0–100, found {}", rubric.pass_mark),
        );
    }

    fn check_outputs(&mut self, f: &ScenarioFile, r: &Refs, spec: Option<&GridSpec>) {
        let o = &f.outputs;
        for (i, t) in o.depth_at.iter().enumerate() {
            self.require(
                t.secs() <= r.duration,
                &format!("outputs.depth_at[{i}]"),
                || format!("time {t} is after the end of the drill"),
            );
        }
        let mut ids = BTreeSet::new();
        for (i, p) in o.probes.iter().enumerate() {
            if !ids.insert(p.id.as_str()) {
                self.err(
                    &format!("outputs.probes[{i}].id"),
                    format!("probe id \"{}\" is used twice", p.id),
                );
            }
            self.location(&p.at, &format!("outputs.probes[{i}].at"), r, spec);
        }
        self.positive(o.series_interval.secs(), "outputs.series_interval");
        self.positive(o.snapshot_interval.secs(), "outputs.snapshot_interval");
    }
}

fn list(s: &BTreeSet<&str>) -> String {
    if s.is_empty() {
        "none defined".into()
    } else {
        s.iter()
            .map(|x| format!("\"{x}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The ids a scenario defines, for cross-reference checks.
struct Refs<'a> {
    places: &'a [Place],
    zones: BTreeSet<&'a str>,
    roads: BTreeSet<&'a str>,
    units: BTreeSet<&'a str>,
    robots: BTreeSet<&'a str>,
    sensors: BTreeSet<&'a str>,
    channels: BTreeSet<&'a str>,
    shelters: BTreeSet<&'a str>,
    duration: f64,
}

impl<'a> Refs<'a> {
    fn new(f: &'a ScenarioFile, places: &'a [Place], zones: &'a [Zone], roads: &'a [Road]) -> Self {
        Refs {
            places,
            zones: zones.iter().map(|z| z.id.as_str()).collect(),
            roads: roads.iter().map(|r| r.id.as_str()).collect(),
            units: f
                .forces
                .teams
                .iter()
                .map(|t| t.id.as_str())
                .chain(f.forces.robots.iter().map(|r| r.id.as_str()))
                .collect(),
            robots: f.forces.robots.iter().map(|r| r.id.as_str()).collect(),
            sensors: f.sensors.iter().map(|s| s.id.as_str()).collect(),
            channels: f.warnings.channels.iter().map(|c| c.id.as_str()).collect(),
            shelters: f.shelters.iter().map(|s| s.place.as_str()).collect(),
            duration: f.meta.duration.secs(),
        }
    }

    fn place_of(
        &self,
        v: &mut Validator,
        id: &str,
        at: &str,
        kind: Option<PlaceKind>,
    ) -> Option<&'a Place> {
        match self.places.iter().find(|p| p.id == id) {
            None => {
                let candidates: BTreeSet<&str> = self
                    .places
                    .iter()
                    .filter(|p| kind.as_ref().is_none_or(|k| &p.kind == k))
                    .map(|p| p.id.as_str())
                    .collect();
                let what = kind.as_ref().map(|k| k.as_str()).unwrap_or("place");
                v.err(
                    at,
                    format!(
                        "no place has id \"{id}\" ({what} places: {})",
                        list(&candidates)
                    ),
                );
                None
            }
            Some(p) => {
                if let Some(k) = kind
                    && p.kind != k
                {
                    v.err(
                        at,
                        format!(
                            "place \"{id}\" is a {}, expected a {}",
                            p.kind.as_str(),
                            k.as_str()
                        ),
                    );
                }
                Some(p)
            }
        }
    }

    fn pump_or_robot(&self, v: &mut Validator, unit: &str, at: &str) {
        let is_pump = self
            .places
            .iter()
            .any(|p| p.id == unit && p.kind == PlaceKind::PumpStation);
        v.require(is_pump || self.robots.contains(unit), at, || {
            format!("\"{unit}\" is neither a pump station place nor a robot id")
        });
    }

    fn zone(&self, v: &mut Validator, id: &str, at: &str) {
        v.require(self.zones.contains(id), at, || {
            format!("no zone has id \"{id}\" (zones: {})", list(&self.zones))
        });
    }

    fn unit(&self, v: &mut Validator, id: &str, at: &str) {
        v.require(self.units.contains(id), at, || {
            format!(
                "no team or robot has id \"{id}\" (units: {})",
                list(&self.units)
            )
        });
    }

    fn road(&self, v: &mut Validator, id: &str, at: &str) {
        v.require(self.roads.contains(id), at, || {
            format!("no road has id \"{id}\" in the roads layer")
        });
    }
}
