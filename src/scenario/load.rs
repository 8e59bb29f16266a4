//! Loading and validating a scenario into a checked [`Scenario`].
//!
//! Two stages: `ron` parses the text into the serde types of [`super::schema`] (syntax
//! errors, unknown fields, wrong types and malformed durations stop here, with the
//! position `ron` reports and the field path from `serde_path_to_error`); then every
//! file is loaded and every cross-reference checked, collecting all problems, each
//! pointed at its field through a [`Locator`]. A scenario that passes always runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_path_to_error::Segment;

use super::duration::{Duration, format_duration};
use super::error::{Diagnostic, ScenarioError};
use super::locate::{Locator, Pos};
use super::schema::*;
use crate::world::{
    Building, Grid, GridSpec, Place, PlaceKind, Road, Zone, read_asc, read_asc_header, vector,
};

/// A checked scenario: the file as written, plus everything it refers to, loaded.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file as parsed; without a land-use raster and land classes,
    /// `district.land_classes` holds the default class every cell has.
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
    /// The drainage network (`drainage.network`), if any.
    pub network: Option<crate::world::sewer::Network>,
    /// Start of the drill as local date-time.
    pub start: chrono::NaiveDateTime,
    /// The checks it was validated with (used again for live orders and injects).
    pub checks: &'static dyn InputChecks,
}

/// A check of the layers above `scenario` failed; the message says why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

/// What validation asks of the layers above it (setup: series files, design storms,
/// the model's and the people's setup), so that `scenario` depends on nothing above
/// it. `crate::setup::Checks` is the implementation every caller uses.
pub trait InputChecks: Send + Sync + std::fmt::Debug {
    /// The points `(t s, value)` of a series file, or why it cannot be read.
    fn series_file(&self, path: &Path) -> Result<Vec<(f64, f64)>, Failed>;
    /// The hyetograph `(t s, mm/h)` of a Chicago rain source (`None` for other kinds).
    fn storm_series(&self, src: &RainSource) -> Option<Result<Vec<(f64, f64)>, Failed>>;
    /// How many edge cells a boundary segment covers.
    fn edge_cells(&self, spec: &GridSpec, edge: Edge, from: f64, to: f64) -> usize;
    /// The hydraulic model can be set up.
    fn model(&self, s: &Scenario) -> Result<(), Failed>;
    /// The people can be set up.
    fn people(&self, s: &Scenario) -> Result<(), Failed>;
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

    /// Households the run will have: the buildings' `households`, or the zone totals.
    pub fn households(&self) -> u64 {
        match &self.file.population.source {
            PopulationSource::Buildings => {
                self.buildings.iter().map(|b| u64::from(b.households)).sum()
            }
            PopulationSource::ZoneTotals(t) => t.iter().map(|(_, n)| u64::from(*n)).sum(),
        }
    }

    /// The memory a run of this scenario needs, bytes (see [`memory_estimate`]).
    pub fn memory_estimate(&self) -> u64 {
        memory_estimate(self.dem.spec.len() as u64, self.households())
    }

    /// For a large district, a line giving the memory a run needs (printed by
    /// `validate`); `None` for small ones.
    pub fn memory_note(&self) -> Option<String> {
        let need = self.memory_estimate();
        (need > limits::MEMORY_NOTE_ABOVE).then(|| {
            let spec = self.dem.spec;
            let avail = available_memory()
                .map(|a| format!("; {} available", format_bytes(a)))
                .unwrap_or_default();
            format!(
                "a run of this {} × {} district needs about {} ({}){avail}",
                spec.ncols,
                spec.nrows,
                format_bytes(need),
                memory_terms(spec.len() as u64, self.households())
            )
        })
    }

    /// For every shelter whose assigned zones the plan orders to evacuate (a plan
    /// `Warn` with `action: Evacuate`), a line when those zones' residents exceed its
    /// places: the shortfall if the expected share of them comes — all but the
    /// self-arranged (`population.self_arranged_share`) — printed by `validate`.
    /// Residents are the buildings' `residents`, else households × `household_size`.
    pub fn shelter_shortfalls(&self) -> Vec<String> {
        use crate::scenario::schema::WarnAction;
        let mut evacuated = std::collections::BTreeSet::new();
        for rule in &self.file.plan {
            for o in &rule.then {
                if let Order::Warn {
                    zones,
                    action: WarnAction::Evacuate,
                    ..
                } = o
                {
                    evacuated.extend(zones.iter().map(String::as_str));
                }
            }
        }
        let size = self.file.population.household_size;
        let mut residents: BTreeMap<&str, f64> = BTreeMap::new();
        for b in &self.buildings {
            let zone = b.zone.as_deref().or_else(|| {
                let c = b.centroid();
                self.zones
                    .iter()
                    .find(|z| z.contains(c))
                    .map(|z| z.id.as_str())
            });
            if let Some(z) = zone {
                let r = if b.residents > 0 {
                    b.residents as f64
                } else {
                    b.households as f64 * size
                };
                *residents.entry(z).or_default() += r;
            }
        }
        let mut out = Vec::new();
        for (k, sh) in self.file.shelters.iter().enumerate() {
            let zones: Vec<&str> = sh
                .zones
                .iter()
                .map(String::as_str)
                .filter(|z| evacuated.contains(z))
                .collect();
            if zones.is_empty() {
                continue;
            }
            let places = sh.capacity.map(f64::from).or_else(|| {
                self.places
                    .iter()
                    .find(|p| p.id == sh.place)
                    .and_then(|p| p.capacity)
            });
            let Some(places) = places else { continue };
            let people: f64 = zones
                .iter()
                .map(|z| residents.get(z).copied().unwrap_or(0.0))
                .sum();
            // Those with relatives or a place of their own leave the district instead.
            let public = 1.0 - self.file.population.self_arranged_share.clamp(0.0, 1.0);
            let expected = people * public;
            if expected > places {
                out.push(format!(
                    "shelters[{k}] (\"{}\"): the plan orders zones {} to evacuate, {:.0} residents; {:.0} of them are expected at public shelters (the other {:.0} % go to relatives or a place of their own — population.self_arranged_share), and the shelter has {:.0} places — {:.0} short (send fewer: shelter in place where buildings are tall enough, or add shelters or assembly points)",
                    sh.place,
                    zones.join(", "),
                    people,
                    expected,
                    100.0 * (1.0 - public),
                    places,
                    expected - places
                ));
            }
        }
        out
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
    let mut v = Validator::detached(s.checks);
    let r = Refs::new(&s.file, &s.places, &s.zones, &s.roads);
    v.order(o, "", &r, Some(&s.dem.spec));
    v.detached_problems()
}

/// Check an inject given outside the scenario file, like [`check_order`].
pub fn check_inject(s: &Scenario, e: &InjectEvent) -> Vec<(String, String)> {
    let mut v = Validator::detached(s.checks);
    let r = Refs::new(&s.file, &s.places, &s.zones, &s.roads);
    v.inject_event(e, "", &r, Some(&s.dem.spec));
    v.detached_problems()
}

/// Load, parse and validate a scenario file, with the checks of the layers above
/// (`crate::setup::load` passes them).
pub fn load_with(path: &Path, checks: &'static dyn InputChecks) -> Result<Scenario, ScenarioError> {
    let text = read_input(path, "scenario file")?;
    load_str_with(path, text, checks)
}

/// The text of an input file (`what` names it in the error: "scenario file"), or a
/// diagnostic at the line and column where it stops being text.
pub fn read_input(path: &Path, what: &str) -> Result<String, ScenarioError> {
    crate::text::read_text(path).map_err(|e| {
        let (line, col) = e.position();
        ScenarioError {
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                line: line.max(1),
                col: col.max(1),
                field: String::new(),
                message: match e {
                    crate::text::TextError::Io { source, .. } => {
                        format!("cannot read {what}: {source}")
                    }
                    other => other.reason(),
                },
            }],
        }
    })
}

/// Parse and validate scenario text read from `path` (used for error messages and to
/// resolve relative paths).
pub fn load_str_with(
    path: &Path,
    text: String,
    checks: &'static dyn InputChecks,
) -> Result<Scenario, ScenarioError> {
    let text = match crate::text::strip_bom(&text).len() {
        n if n == text.len() => text,
        n => text[text.len() - n..].to_string(),
    };
    let file = parse(path, &text)?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut v = Validator {
        path: path.to_path_buf(),
        loc: Locator::new(&text),
        diags: Vec::new(),
        checks: Some(checks),
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
        && let Err(e) = checks.model(s)
    {
        v.err("", format!("the hydraulic model cannot be set up: {e}"));
    }
    if v.diags.is_empty()
        && let Some(s) = &checked
        && !s.roads.is_empty()
        && s.buildings.iter().any(|b| b.households > 0)
        && let Err(e) = checks.people(s)
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
    parse_as(path, text)
}

/// Parse any RON file of ours (a scenario, an ensemble specification) with the
/// scenario's extensions and diagnostics: file, line:column, field path, what was
/// expected.
pub fn parse_as<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, ScenarioError> {
    let text = crate::text::strip_bom(text);
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
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
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
    /// The checks of the layers above (none: those checks are skipped).
    checks: Option<&'static dyn InputChecks>,
}

impl Validator {
    fn detached(checks: &'static dyn InputChecks) -> Self {
        Validator {
            path: PathBuf::new(),
            loc: Locator::new(""),
            diags: Vec::new(),
            base_dir: PathBuf::from("."),
            checks: Some(checks),
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

    fn fraction(&mut self, v: f64, field: &str) {
        self.range(v, field, 0.0, 1.0, "a fraction", "");
    }

    /// `v` must be finite and within `lo..=hi`; the message names what was expected
    /// (`what`, e.g. "a Manning's n") and its unit.
    fn range(&mut self, v: f64, field: &str, lo: f64, hi: f64, what: &str, unit: &str) -> bool {
        let ok = v.is_finite() && v >= lo && v <= hi;
        if !ok {
            let found = if v.is_finite() {
                format!("{} is out of range", num(v))
            } else {
                format!("{v} is not a finite number")
            };
            self.err(
                field,
                format!(
                    "{found}; expected {what} between {} and {}{unit}",
                    num(lo),
                    num(hi)
                ),
            );
        }
        ok
    }

    /// A whole number within `lo..=hi`.
    fn count(&mut self, v: u64, field: &str, lo: u64, hi: u64, what: &str) -> bool {
        let ok = v >= lo && v <= hi;
        if !ok {
            self.err(
                field,
                format!("{v} is out of range; expected {what} between {lo} and {hi}"),
            );
        }
        ok
    }

    /// A duration within `lo..=hi` seconds.
    fn span(&mut self, d: Duration, field: &str, lo: f64, hi: f64, what: &str) -> bool {
        let v = d.secs();
        let ok = v.is_finite() && v >= lo && v <= hi;
        if !ok {
            self.err(
                field,
                format!(
                    "{d} is out of range; expected {what} between {} and {}",
                    format_duration(lo),
                    format_duration(hi)
                ),
            );
        }
        ok
    }

    /// A water surface or crest elevation: within the DEM's range widened by
    /// [`limits::LEVEL_MARGIN_M`] on both sides.
    fn level(&mut self, v: f64, field: &str, dem: Option<(f64, f64)>, what: &str) -> bool {
        let m = limits::LEVEL_MARGIN_M;
        match dem {
            Some((lo, hi)) => self.range(
                v,
                field,
                lo - m,
                hi + m,
                &format!("{what} within {m} m of the DEM's elevations"),
                " m",
            ),
            None => self.range(
                v,
                field,
                limits::ELEVATION_MIN_M - m,
                limits::ELEVATION_MAX_M + m,
                what,
                " m",
            ),
        }
    }

    /// Every value of a series within `lo..=hi`; a series file is read (again) only
    /// when [`Self::series`] found it well formed.
    #[allow(clippy::too_many_arguments)]
    fn series_values(
        &mut self,
        s: &Series,
        field: &str,
        lo: f64,
        hi: f64,
        what: &str,
        unit: &str,
        well_formed: bool,
    ) {
        let values: Vec<(f64, f64)> = match s {
            Series::Points(pts) => pts.iter().map(|(t, v)| (t.secs(), *v)).collect(),
            Series::File(rel) => {
                if !well_formed {
                    return;
                }
                let Some(checks) = self.checks else { return };
                match checks.series_file(&self.base_dir.join(rel)) {
                    Ok(points) => points,
                    Err(_) => return,
                }
            }
        };
        if let Some((t, v)) = values
            .iter()
            .find(|(_, v)| !(v.is_finite() && *v >= lo && *v <= hi))
        {
            let found = if v.is_finite() {
                format!("{} is out of range", num(*v))
            } else {
                format!("{v} is not a finite number")
            };
            self.err(
                field,
                format!(
                    "value at {}: {found}; expected {what} between {} and {}{unit}",
                    format_duration(*t),
                    num(lo),
                    num(hi)
                ),
            );
        }
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
        let mut f = f;
        self.require(f.version == FORMAT_VERSION, "version", || {
            format!(
                "unsupported format version {}; this floodrill reads version {FORMAT_VERSION}",
                f.version
            )
        });
        let start = self.check_meta(&f.meta);
        let (dem, landuse, manning) = self.check_rasters(&f.district, &f.hydro);
        // Without a land-use raster and land classes every cell has the default class.
        if f.district.land_classes.is_empty() && f.district.landuse.is_none() {
            f.district.land_classes.push(LandClass::default_class(
                f.hydro.manning.unwrap_or(DEFAULT_MANNING),
            ));
        }
        // Cells without data (DEM or land use) lie outside the district: closed and dry.
        let mut dem = dem;
        let outside = dem.as_ref().map(|d| Grid {
            spec: d.spec,
            data: d.data.iter().map(|v| v.is_nan()).collect::<Vec<bool>>(),
        });
        let mut dem_range = None;
        if let Some(d) = &mut dem {
            let (n, sum, lo, hi) = d
                .data
                .iter()
                .filter(|v| !v.is_nan())
                .fold((0usize, 0.0, f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
                    (a.0 + 1, a.1 + v, a.2.min(v), a.3.max(v))
                });
            if n == 0 {
                self.err(
                    "district.dem",
                    "no cell of the district has both elevation and land use",
                );
            } else {
                dem_range = Some((lo, hi));
                let fill = sum / n as f64;
                for v in &mut d.data {
                    if v.is_nan() {
                        *v = fill;
                    }
                }
            }
        }
        let spec = dem.as_ref().map(|d| d.spec);
        let (layers, status) = self.check_layers(&f.district, spec.as_ref());
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
        let mut ctx = Refs::new(&f, &layers.0, &layers.1, &layers.2);
        ctx.dem = dem_range;
        ctx.broken = status;
        self.check_rain(&f, &ctx, spec.as_ref());
        self.check_hydro(&f, dem_range);
        self.check_boundaries(&f, spec.as_ref(), dem_range);
        self.check_population(&f, &ctx, &layers.3);
        self.check_warnings(&f);
        self.check_shelters(&f, &ctx);
        self.check_forces(&f, &ctx);
        self.check_sensors(&f, &ctx, spec.as_ref());
        self.check_plan(&f, &ctx, spec.as_ref());
        self.check_injects(&f, &ctx, spec.as_ref());
        self.check_rubric(&f, &ctx);
        self.check_outputs(&f, &ctx, spec.as_ref());
        let network = self.check_drainage(&f, &layers.0, spec.as_ref());
        // One root cause, then a count of what it made uncheckable.
        for (layer, n) in ctx.skipped.take() {
            let why = ctx.broken.get(layer).cloned().unwrap_or_default();
            self.err(
                &format!("district.{layer}"),
                format!(
                    "… and {n} reference{} to {layer} not checked because {why}",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
        drop(ctx);
        let (places, zones, roads, buildings) = layers;
        let s = Scenario {
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
            network,
            start: start?,
            checks: self.checks?,
            file: f,
        };
        // The district's memory, households included, against what the machine has.
        let need = s.memory_estimate();
        if let Some(avail) = available_memory()
            && need > avail
        {
            self.err(
                "district.dem",
                format!(
                    "{}: a run of this district needs about {} ({}), more than the {} this \
                     machine has available",
                    s.resolve(&s.file.district.dem).display(),
                    format_bytes(need),
                    memory_terms(s.dem.spec.len() as u64, s.households()),
                    format_bytes(avail)
                ),
            );
        }
        Some(s)
    }

    fn check_meta(&mut self, m: &Meta) -> Option<chrono::NaiveDateTime> {
        self.require(!m.name.trim().is_empty(), "meta.name", || {
            "expected a non-empty name".into()
        });
        let d_ok = self.span(
            m.duration,
            "meta.duration",
            limits::TICK_MIN_S,
            limits::DURATION_MAX_S,
            "a drill duration",
        );
        let t = m.tick.secs();
        let t_ok = (limits::TICK_MIN_S..=limits::TICK_MAX_S).contains(&t);
        self.require(t_ok, "meta.tick", || {
            format!(
                "{} is out of range; expected a tick between {} and {} (shorter ticks make \
                 an hour's drill thousands of ticks long; longer ones overrun `--until` and \
                 make people and forces jump)",
                m.tick,
                format_duration(limits::TICK_MIN_S),
                format_duration(limits::TICK_MAX_S)
            )
        });
        if d_ok && t_ok {
            if m.tick.secs() > m.duration.secs() {
                self.err(
                    "meta.tick",
                    format!(
                        "the tick {} is longer than the drill ({}); expected a tick ≤ the duration",
                        m.tick, m.duration
                    ),
                );
            } else {
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

    fn land_class(&mut self, c: &LandClass, at: &str) {
        self.range(
            c.manning,
            &format!("{at}.manning"),
            limits::MANNING_MIN,
            limits::MANNING_MAX,
            "a Manning's n",
            " s/m^(1/3)",
        );
        self.fraction(c.impervious, &format!("{at}.impervious"));
        self.range(
            c.drainage_mm_h,
            &format!("{at}.drainage_mm_h"),
            0.0,
            limits::LOSS_MAX_MM_H,
            "a drainage capacity",
            " mm/h",
        );
        match &c.infiltration {
            Infiltration::None => {}
            Infiltration::Horton {
                f0_mm_h,
                fc_mm_h,
                k_per_h,
            } => {
                let at = format!("{at}.infiltration");
                self.range(
                    *f0_mm_h,
                    &format!("{at}.f0_mm_h"),
                    0.0,
                    limits::LOSS_MAX_MM_H,
                    "an initial capacity",
                    " mm/h",
                );
                if f0_mm_h.is_finite() {
                    self.range(
                        *fc_mm_h,
                        &format!("{at}.fc_mm_h"),
                        0.0,
                        f0_mm_h.clamp(0.0, limits::LOSS_MAX_MM_H),
                        "a final capacity (≤ f0_mm_h)",
                        " mm/h",
                    );
                }
                self.range(
                    *k_per_h,
                    &format!("{at}.k_per_h"),
                    0.01,
                    100.0,
                    "a decay constant",
                    " 1/h",
                );
            }
            Infiltration::CurveNumber { cn } => {
                self.range(
                    *cn,
                    &format!("{at}.infiltration.cn"),
                    1.0,
                    100.0,
                    "a curve number",
                    "",
                );
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn check_rasters(
        &mut self,
        d: &District,
        h: &HydroSettings,
    ) -> (Option<Grid<f64>>, Option<Grid<i32>>, Option<Grid<f64>>) {
        let dem = self.file_exists(&d.dem, "district.dem").and_then(|p| {
            // The grids a run keeps, from the header alone, before the DEM is read.
            if let Ok((spec, _)) = read_asc_header(&p)
                && let Some(avail) = available_memory()
            {
                let need = memory_estimate(spec.len() as u64, 0);
                if need > avail {
                    self.err(
                        "district.dem",
                        format!(
                            "{}: a run of this {} × {} district needs about {} ({}), more than \
                             the {} this machine has available",
                            p.display(),
                            spec.ncols,
                            spec.nrows,
                            format_bytes(need),
                            memory_terms(spec.len() as u64, 0),
                            format_bytes(avail)
                        ),
                    );
                    return None;
                }
            }
            match read_asc(&p) {
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
                    let (lo, hi) = (limits::ELEVATION_MIN_M, limits::ELEVATION_MAX_M);
                    if let Some((k, v)) = grid
                        .data
                        .iter()
                        .enumerate()
                        .find(|(_, v)| !(v.is_nan() || (lo..=hi).contains(*v)))
                    {
                        let (r, c) = (k / grid.spec.ncols, k % grid.spec.ncols);
                        self.err(
                            "district.dem",
                            format!(
                                "{}: cell (row {}, col {}) has elevation {}; expected an \
                                 elevation between {} and {} m (or the NODATA_value)",
                                p.display(),
                                r + 1,
                                c + 1,
                                num(*v),
                                num(lo),
                                num(hi)
                            ),
                        );
                        return None;
                    }
                    Some(grid)
                }
                Err(e) => {
                    self.err("district.dem", e.to_string());
                    None
                }
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
            self.land_class(c, &at);
        }
        let mut lu_outside = Vec::new();
        let landuse = match &d.landuse {
            None => {
                // One class for every cell: the only land class, or the default class.
                self.require(d.land_classes.len() <= 1, "district.land_classes", || {
                    format!(
                        "{} land classes but no land-use raster says which cell has which; \
                         give `district.landuse` or keep one class",
                        d.land_classes.len()
                    )
                });
                let code = d.land_classes.first().map_or(DEFAULT_LAND_CODE, |c| c.code);
                dem.as_ref().map(|g| Grid::filled(g.spec, code))
            }
            Some(rel) => {
                self.require(!d.land_classes.is_empty(), "district.land_classes", || {
                    "a land-use raster is given but no land class says what its codes mean; \
                     expected at least one class"
                        .into()
                });
                self.file_exists(rel, "district.landuse").and_then(|p| match read_asc(&p) {
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
        })
            }
        };
        let mut dem = dem;
        if let Some(dem) = &mut dem {
            for k in lu_outside {
                dem.data[k] = f64::NAN;
            }
        }
        if h.manning.is_some() && d.manning.is_some() {
            self.err(
                "hydro.manning",
                "one Manning's n for all cells and a `district.manning` raster are both \
                 given; keep one",
            );
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
                    let (lo, hi) = (limits::MANNING_MIN, limits::MANNING_MAX);
                    let bad = g.grid.data.iter().enumerate().find(|&(k, &v)| {
                        let outside = dem.as_ref().is_some_and(|d| d.data[k].is_nan()) || g.nodata == Some(v);
                        !(outside || (lo..=hi).contains(&v))
                    });
                    if let Some((k, v)) = bad {
                        let (r, c) = (k / g.grid.spec.ncols, k % g.grid.spec.ncols);
                        self.err("district.manning", format!(
                            "{}: cell (row {}, col {}) has Manning's n {}; expected a Manning's n between {} and {} s/m^(1/3)",
                            p.display(), r + 1, c + 1, num(*v), num(lo), num(hi)));
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
    ) -> (
        (Vec<Place>, Vec<Zone>, Vec<Road>, Vec<Building>),
        BTreeMap<&'static str, String>,
    ) {
        let mut broken = BTreeMap::new();
        fn layer<T>(
            v: &mut Validator,
            rel: &Option<String>,
            name: &'static str,
            broken: &mut BTreeMap<&'static str, String>,
            f: impl Fn(&Path) -> Result<Vec<T>, vector::VectorError>,
        ) -> Vec<T> {
            let field = format!("district.{name}");
            let Some(rel) = rel else { return Vec::new() };
            let Some(p) = v.file_exists(rel, &field) else {
                broken.insert(name, format!("the {name} layer was not found"));
                return Vec::new();
            };
            match f(&p) {
                Ok(items) if items.is_empty() => {
                    v.err(
                        &field,
                        format!(
                            "{}: the {name} layer has no features; add them or leave out \
                             `district.{name}`",
                            p.display()
                        ),
                    );
                    broken.insert(name, format!("the {name} layer is empty"));
                    Vec::new()
                }
                Ok(items) => items,
                Err(e) => {
                    v.err(&field, e.to_string());
                    broken.insert(name, format!("the {name} layer could not be read"));
                    Vec::new()
                }
            }
        }
        let places = layer(self, &d.places, "places", &mut broken, vector::load_places);
        let zones = layer(self, &d.zones, "zones", &mut broken, vector::load_zones);
        let roads = layer(self, &d.roads, "roads", &mut broken, vector::load_roads);
        let buildings = layer(
            self,
            &d.buildings,
            "buildings",
            &mut broken,
            vector::load_buildings,
        );
        if let Some(spec) = spec {
            let (x0, y0, x1, y1) = spec.extent();
            for p in &places {
                if spec.cell_at(p.at.0, p.at.1).is_none() {
                    self.err("district.places", format!(
                        "place \"{}\" at ({:.1}, {:.1}) lies outside the DEM (x {x0}–{x1}, y {y0}–{y1})",
                        p.id, p.at.0, p.at.1));
                }
            }
            // Features with no point inside the DEM's extent cannot be on the map.
            let outside = |pts: &mut dyn Iterator<Item = &(f64, f64)>| {
                let (mut a, mut b, mut c, mut e) = (
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                );
                for &(x, y) in pts {
                    a = a.min(x);
                    b = b.min(y);
                    c = c.max(x);
                    e = e.max(y);
                }
                !(c >= x0 && a <= x1 && e >= y0 && b <= y1)
            };
            let report =
                |v: &mut Validator, name: &str, rel: &Option<String>, k: usize, id: &str| {
                    let file = rel.as_deref().unwrap_or_default();
                    let what = name.trim_end_matches('s');
                    v.err(
                        &format!("district.{name}"),
                        format!(
                            "{file}: {what} \"{id}\" (feature {}) lies entirely outside the DEM \
                         (x {x0}–{x1}, y {y0}–{y1})",
                            k + 1
                        ),
                    );
                };
            // A vertex thousands of kilometres away is a typo or a wrong coordinate
            // system; the road graph and the maps would span it. Allowed: ten times the
            // DEM's size, or 50 km, around it (an OSM extract larger than the DEM).
            let margin = (10.0 * (x1 - x0).max(y1 - y0)).max(50_000.0);
            let far = |pts: &mut dyn Iterator<Item = &(f64, f64)>| {
                pts.enumerate()
                    .find(|(_, (x, y))| {
                        !(*x >= x0 - margin
                            && *x <= x1 + margin
                            && *y >= y0 - margin
                            && *y <= y1 + margin)
                    })
                    .map(|(i, &(x, y))| (i, x, y))
            };
            let report_far = |v: &mut Validator,
                              name: &str,
                              rel: &Option<String>,
                              k: usize,
                              id: &str,
                              (i, x, y): (usize, f64, f64)| {
                let file = rel.as_deref().unwrap_or_default();
                let what = name.trim_end_matches('s');
                v.err(
                    &format!("district.{name}"),
                    format!(
                        "{file}: {what} \"{id}\" (feature {}), vertex {}: ({}, {}) lies more than \
                         {} km outside the DEM (x {x0}–{x1}, y {y0}–{y1}); is it in the DEM's \
                         coordinate system (projected metres)?",
                        k + 1,
                        i + 1,
                        crate::scenario::duration::short_number(x),
                        crate::scenario::duration::short_number(y),
                        crate::scenario::duration::short_number(margin / 1000.0),
                    ),
                );
            };
            for (k, r) in roads.iter().enumerate() {
                if let Some(f) = far(&mut r.line.iter()) {
                    report_far(self, "roads", &d.roads, k, &r.id, f);
                }
            }
            for (k, b) in buildings.iter().enumerate() {
                if let Some(f) = far(&mut b.ring.iter()) {
                    report_far(self, "buildings", &d.buildings, k, &b.id, f);
                }
            }
            for (k, z) in zones.iter().enumerate() {
                if let Some(f) = far(&mut z.polygons.iter().flatten()) {
                    report_far(self, "zones", &d.zones, k, &z.id, f);
                }
            }
            for (k, r) in roads.iter().enumerate() {
                if outside(&mut r.line.iter()) {
                    report(self, "roads", &d.roads, k, &r.id);
                }
            }
            for (k, b) in buildings.iter().enumerate() {
                if outside(&mut b.ring.iter()) {
                    report(self, "buildings", &d.buildings, k, &b.id);
                }
            }
            for (k, z) in zones.iter().enumerate() {
                if outside(&mut z.polygons.iter().flatten()) {
                    report(self, "zones", &d.zones, k, &z.id);
                }
            }
        }
        for p in &places {
            if let Some(c) = p.capacity
                && !(c.is_finite() && (0.0..=limits::CAPACITY_MAX).contains(&c))
            {
                self.err(
                    "district.places",
                    format!(
                        "place \"{}\" has capacity {}; expected between 0 and {}",
                        p.id,
                        num(c),
                        num(limits::CAPACITY_MAX)
                    ),
                );
            }
            let pump_max = limits::INFLOW_MAX_M3_S * 3600.0;
            if let Some(c) = p.capacity_m3_h
                && !(c.is_finite() && (0.0..=pump_max).contains(&c))
            {
                self.err(
                    "district.places",
                    format!(
                        "place \"{}\" has capacity_m3_h {}; expected a pumping capacity between \
                         0 and {} m³/h",
                        p.id,
                        num(c),
                        num(pump_max)
                    ),
                );
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
        ((places, zones, roads, buildings), broken)
    }

    fn series(&mut self, s: &Series, field: &str) {
        match s {
            Series::Points(pts) => {
                self.require(!pts.is_empty(), field, || {
                    "expected at least one (time, value) point".into()
                });
                // Two points at one time are a step (the value jumps there); a third
                // at the same time, or a time going back, is a mistake. Reported at the
                // point itself.
                for k in 1..pts.len() {
                    let (t0, t1) = (pts[k - 1].0.secs(), pts[k].0.secs());
                    let third = k >= 2 && pts[k - 2].0.secs() == t1 && t0 == t1;
                    if t1 < t0 || third {
                        self.err(
                            &format!("{field}[{k}]"),
                            if third {
                                format!(
                                    "point {}: a third point at {}; two points at one time \
                                     make a step, more are ambiguous",
                                    k + 1,
                                    pts[k].0
                                )
                            } else {
                                format!(
                                    "point {}: time {} is before the previous point's {}; \
                                     times must not decrease",
                                    k + 1,
                                    pts[k].0,
                                    pts[k - 1].0
                                )
                            },
                        );
                        break;
                    }
                }
                if let Some((k, (t, v))) = pts.iter().enumerate().find(|(_, (_, v))| !v.is_finite())
                {
                    self.err(
                        &format!("{field}[{k}]"),
                        format!("point {}: value at {t} is not a finite number: {v}", k + 1),
                    );
                }
            }
            Series::File(rel) => {
                if let Some(p) = self.file_exists(rel, field)
                    && let Some(checks) = self.checks
                    && let Err(e) = checks.series_file(&p)
                {
                    self.err(field, e.0);
                }
            }
        }
    }

    fn check_rain(&mut self, f: &ScenarioFile, r: &Refs, spec: Option<&GridSpec>) {
        for (i, z) in f.rain.zone_scale.iter().enumerate() {
            let at = format!("rain.zone_scale[{i}]");
            r.zone(self, &z.zone, &format!("{at}.zone"));
            self.range(z.factor, &format!("{at}.factor"), 0.0, 10.0, "a factor", "");
        }
        for (i, s) in f.rain.sources.iter().enumerate() {
            self.rain_source(s, &format!("rain.sources[{i}]"), spec);
        }
    }

    fn rain_source(&mut self, s: &RainSource, at: &str, spec: Option<&GridSpec>) {
        let rain_max = limits::RAIN_MAX_MM_H;
        match s {
            RainSource::Uniform { series } => {
                let field = format!("{at}.series");
                let before = self.diags.len();
                self.series(series, &field);
                let ok = self.diags.len() == before;
                self.series_values(
                    series,
                    &field,
                    0.0,
                    rain_max,
                    "a rain intensity",
                    " mm/h",
                    ok,
                );
            }
            RainSource::Chicago {
                a1,
                c,
                b,
                n,
                return_period_years,
                duration,
                peak_ratio,
                start,
                step,
            } => {
                let before = self.diags.len();
                self.range(*a1, &format!("{at}.a1"), 0.001, 100.0, "an A1", " mm/min");
                self.range(*c, &format!("{at}.c"), 0.0, 10.0, "a C", "");
                self.range(*b, &format!("{at}.b"), 0.0, 100.0, "a b", " min");
                self.range(*n, &format!("{at}.n"), 0.01, 0.99, "an n", "");
                self.range(
                    *return_period_years,
                    &format!("{at}.return_period_years"),
                    1.0,
                    10_000.0,
                    "a return period",
                    " years",
                );
                self.span(
                    *duration,
                    &format!("{at}.duration"),
                    60.0,
                    limits::DURATION_MAX_S,
                    "a storm duration",
                );
                self.range(
                    *peak_ratio,
                    &format!("{at}.peak_ratio"),
                    0.01,
                    0.99,
                    "a peak position",
                    " of the duration",
                );
                self.span(
                    *start,
                    &format!("{at}.start"),
                    0.0,
                    limits::DURATION_MAX_S,
                    "a start",
                );
                if self.span(
                    *step,
                    &format!("{at}.step"),
                    60.0,
                    limits::DURATION_MAX_S,
                    "a hyetograph step",
                ) && step.secs() > duration.secs()
                {
                    self.err(
                        &format!("{at}.step"),
                        format!("the step {step} is longer than the storm ({duration})"),
                    );
                }
                if self.diags.len() == before {
                    match self.checks.and_then(|c| c.storm_series(s)) {
                        Some(Ok(points)) => {
                            let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
                            self.require(peak <= rain_max, at, || {
                                format!(
                                    "the storm's peak intensity {} mm/h is out of range; \
                                     expected at most {} mm/h (lower a1 or the return period, \
                                     or lengthen the step)",
                                    num(peak),
                                    num(rain_max)
                                )
                            });
                        }
                        Some(Err(e)) => self.err(at, e.0),
                        None => {}
                    }
                }
            }
            RainSource::MovingCell {
                peak_mm_h,
                radius_m,
                track,
            } => {
                self.range(
                    *peak_mm_h,
                    &format!("{at}.peak_mm_h"),
                    0.0,
                    rain_max,
                    "a peak intensity",
                    " mm/h",
                );
                self.range(
                    *radius_m,
                    &format!("{at}.radius_m"),
                    1.0,
                    100_000.0,
                    "a radius",
                    " m",
                );
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
                let m = limits::COORD_MAX_M;
                for (k, (_, x, y)) in track.iter().enumerate() {
                    if !self.range(*x, &format!("{at}.track[{k}]"), -m, m, "a map x", " m") {
                        break;
                    }
                    if !self.range(*y, &format!("{at}.track[{k}]"), -m, m, "a map y", " m") {
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
                                } else if let Ok(g) = read_asc(&p) {
                                    let bad = g.grid.data.iter().enumerate().find(|&(_, &v)| {
                                        g.nodata != Some(v) && !(0.0..=rain_max).contains(&v)
                                    });
                                    if let Some((i, v)) = bad {
                                        let nc = g.grid.spec.ncols;
                                        self.err(
                                            &field,
                                            format!(
                                                "{}: cell (row {}, col {}) has rain {}; expected \
                                                 a rain intensity between 0 and {} mm/h",
                                                p.display(),
                                                i / nc + 1,
                                                i % nc + 1,
                                                num(*v),
                                                num(rain_max)
                                            ),
                                        );
                                    }
                                }
                            }
                            Err(e) => self.err(&field, e.to_string()),
                        }
                    }
                }
            }
        }
    }

    fn check_hydro(&mut self, f: &ScenarioFile, dem: Option<(f64, f64)>) {
        let h = &f.hydro;
        self.require(h.cfl > 0.0 && h.cfl <= 1.0, "hydro.cfl", || {
            format!("expected 0 < cfl ≤ 1 (stability), found {}", num(h.cfl))
        });
        self.require(h.theta > 0.0 && h.theta <= 1.0, "hydro.theta", || {
            format!("expected 0 < theta ≤ 1, found {}", num(h.theta))
        });
        if self.span(
            h.max_dt,
            "hydro.max_dt",
            limits::MAX_DT_MIN_S,
            limits::TICK_MAX_S,
            "a largest sub-step",
        ) {
            let tick = f.meta.tick.secs();
            let steps = tick / h.max_dt.secs();
            self.require(
                steps <= limits::SUBSTEPS_PER_TICK_MAX,
                "hydro.max_dt",
                || {
                    format!(
                        "a tick of {} would take at least {} sub-steps of {}; expected a \
                         largest sub-step ≥ the tick / {}",
                        f.meta.tick,
                        steps.ceil(),
                        h.max_dt,
                        limits::SUBSTEPS_PER_TICK_MAX
                    )
                },
            );
        }
        self.range(
            h.depth_threshold_m,
            "hydro.depth_threshold_m",
            1e-6,
            0.1,
            "a depth threshold",
            " m",
        );
        self.range(
            h.initial_depth_m,
            "hydro.initial_depth_m",
            0.0,
            limits::DEPTH_MAX_M,
            "an initial depth",
            " m",
        );
        if let Some(n) = h.manning {
            self.range(
                n,
                "hydro.manning",
                limits::MANNING_MIN,
                limits::MANNING_MAX,
                "a Manning's n",
                " s/m^(1/3)",
            );
        }
        let codes: BTreeSet<i32> = if f.district.land_classes.is_empty() {
            [DEFAULT_LAND_CODE].into()
        } else {
            f.district.land_classes.iter().map(|c| c.code).collect()
        };
        for (i, l) in h.initial_levels.iter().enumerate() {
            self.require(
                codes.contains(&l.landuse),
                &format!("hydro.initial_levels[{i}].landuse"),
                || format!("no land class has code {}", l.landuse),
            );
            self.level(
                l.level_m,
                &format!("hydro.initial_levels[{i}].level_m"),
                dem,
                "a water level",
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
        let axis = match s.edge {
            Edge::North | Edge::South => "x",
            Edge::East | Edge::West => "y",
        };
        if !self.require_ok(s.from < s.to, &format!("{at}.to"), || {
            format!(
                "expected `to` > `from` ({}), found {}",
                num(s.from),
                num(s.to)
            )
        }) {
            return;
        }
        if !self.require_ok(
            s.from >= lo - 1e-6 && s.to <= hi + 1e-6,
            &format!("{at}.from"),
            || {
                format!(
                    "segment {}–{} runs off the {:?} edge, which spans {axis} {lo}–{hi}",
                    num(s.from),
                    num(s.to),
                    s.edge
                )
            },
        ) {
            return;
        }
        // The segment covers the edge cells whose centres lie in [from, to].
        let half = spec.cell / 2.0;
        let covered = self
            .checks
            .is_none_or(|c| c.edge_cells(spec, s.edge, s.from, s.to) > 0);
        self.require(covered, &format!("{at}.from"), || {
            format!(
                "segment {}–{} covers no cell of the {:?} edge: a segment covers the edge \
                 cells whose centres lie in [from, to], and the centres lie at {axis} {}, {}, … {}",
                num(s.from),
                num(s.to),
                s.edge,
                num(lo + half),
                num(lo + 3.0 * half),
                num(hi - half)
            )
        });
    }

    fn require_ok(&mut self, ok: bool, field: &str, message: impl FnOnce() -> String) -> bool {
        self.require(ok, field, message);
        ok
    }

    fn point_inside(&mut self, x: f64, y: f64, at: &str, spec: Option<&GridSpec>) {
        if let Some(spec) = spec
            && spec.cell_at(x, y).is_none()
        {
            let (x0, y0, x1, y1) = spec.extent();
            self.err(
                at,
                format!(
                    "point ({}, {}) lies outside the district (x {x0}–{x1}, y {y0}–{y1})",
                    num(x),
                    num(y)
                ),
            );
        }
    }

    fn check_boundaries(
        &mut self,
        f: &ScenarioFile,
        spec: Option<&GridSpec>,
        dem: Option<(f64, f64)>,
    ) {
        for (i, b) in f.boundaries.iter().enumerate() {
            let at = format!("boundaries[{i}]");
            let field = format!("{at}.series");
            match b {
                Boundary::FreeOutflow { at: s, slope } => {
                    self.segment(s, &format!("{at}.at"), spec);
                    self.range(
                        *slope,
                        &format!("{at}.slope"),
                        1e-6,
                        1.0,
                        "a bed slope",
                        " m/m",
                    );
                }
                Boundary::Stage { at: s, series } => {
                    self.segment(s, &format!("{at}.at"), spec);
                    let before = self.diags.len();
                    self.series(series, &field);
                    let ok = self.diags.len() == before;
                    let m = limits::LEVEL_MARGIN_M;
                    let (lo, hi) = dem.map_or(
                        (limits::ELEVATION_MIN_M - m, limits::ELEVATION_MAX_M + m),
                        |(lo, hi)| (lo - m, hi + m),
                    );
                    self.series_values(
                        series,
                        &field,
                        lo,
                        hi,
                        &format!("a stage within {m} m of the DEM's elevations"),
                        " m",
                        ok,
                    );
                }
                Boundary::EdgeInflow { at: s, series } => {
                    self.segment(s, &format!("{at}.at"), spec);
                    let before = self.diags.len();
                    self.series(series, &field);
                    let ok = self.diags.len() == before;
                    self.series_values(
                        series,
                        &field,
                        0.0,
                        limits::UNIT_INFLOW_MAX_M2_S,
                        "a unit discharge",
                        " m²/s",
                        ok,
                    );
                }
                Boundary::PointInflow { x, y, series } => {
                    self.point_inside(*x, *y, &format!("{at}.x"), spec);
                    let before = self.diags.len();
                    self.series(series, &field);
                    let ok = self.diags.len() == before;
                    self.series_values(
                        series,
                        &field,
                        0.0,
                        limits::INFLOW_MAX_M3_S,
                        "a discharge",
                        " m³/s",
                        ok,
                    );
                }
            }
        }
    }

    fn check_population(&mut self, f: &ScenarioFile, r: &Refs, buildings: &[Building]) {
        let p = &f.population;
        self.range(
            p.household_size,
            "population.household_size",
            1.0,
            20.0,
            "a household size",
            " persons",
        );
        self.fraction(p.vehicle_share, "population.vehicle_share");
        self.fraction(p.elderly_share, "population.elderly_share");
        self.fraction(p.children_share, "population.children_share");
        let m = &p.mobilisation;
        let week = 7.0 * 86400.0;
        self.span(
            m.median_day,
            "population.mobilisation.median_day",
            1.0,
            week,
            "a median delay",
        );
        self.span(
            m.median_night,
            "population.mobilisation.median_night",
            1.0,
            week,
            "a median delay",
        );
        self.range(
            m.sigma,
            "population.mobilisation.sigma",
            0.0,
            3.0,
            "a lognormal σ",
            "",
        );
        self.fraction(m.compliance, "population.mobilisation.compliance");
        for (v, field) in [
            (p.walking.speed_m_s, "population.walking.speed_m_s"),
            (
                p.walking.slow_speed_m_s,
                "population.walking.slow_speed_m_s",
            ),
        ] {
            self.range(v, field, 0.1, 3.0, "a walking speed", " m/s");
        }
        let hz = &p.hazard;
        self.range(
            hz.trapped_above_hr,
            "population.hazard.trapped_above_hr",
            0.1,
            20.0,
            "a hazard rating",
            "",
        );
        self.range(
            hz.debris_factor,
            "population.hazard.debris_factor",
            0.0,
            2.0,
            "a debris factor",
            "",
        );
        self.range(
            hz.debris_depth_m,
            "population.hazard.debris_depth_m",
            0.0,
            10.0,
            "a depth",
            " m",
        );
        self.range(
            hz.home_trapped_above_m,
            "population.hazard.home_trapped_above_m",
            0.1,
            10.0,
            "a depth",
            " m",
        );
        self.range(
            hz.storey_height_m,
            "population.hazard.storey_height_m",
            0.0,
            10.0,
            "a storey height",
            " m",
        );
        if let Some(c) = &hz.casualty {
            self.range(
                c.hr_above,
                "population.hazard.casualty.hr_above",
                0.1,
                20.0,
                "a hazard rating",
                "",
            );
            self.span(
                c.exposure,
                "population.hazard.casualty.exposure",
                0.0,
                limits::DURATION_MAX_S,
                "an exposure",
            );
        }
        // Households are counted before any is generated.
        let size = p.household_size.clamp(1.0, 20.0);
        match &p.source {
            PopulationSource::ZoneTotals(t) => {
                let mut seen = BTreeSet::new();
                for (i, (z, _)) in t.iter().enumerate() {
                    let field = format!("population.source[{i}][0]");
                    r.zone(self, z, &field);
                    if !seen.insert(z.as_str()) {
                        self.err(&field, format!("zone \"{z}\" is listed twice"));
                    }
                }
                let total: u64 = t.iter().map(|(_, n)| u64::from(*n)).sum();
                self.population_limit(total, size, "population.source");
            }
            PopulationSource::Buildings => {
                let total: u64 = buildings.iter().map(|b| u64::from(b.households)).sum();
                self.population_limit(total, size, "district.buildings");
            }
        }
    }

    fn population_limit(&mut self, households: u64, size: f64, field: &str) {
        let persons = households as f64 * size;
        if households > limits::HOUSEHOLDS_MAX || persons > limits::PERSONS_MAX as f64 {
            self.err(
                field,
                format!(
                    "{households} households (about {} persons at {} per household) exceed the \
                     limit of {} households and {} persons a drill can simulate",
                    persons.round(),
                    num(size),
                    limits::HOUSEHOLDS_MAX,
                    limits::PERSONS_MAX
                ),
            );
        }
    }

    fn check_warnings(&mut self, f: &ScenarioFile) {
        let mut ids = BTreeSet::new();
        let day = 86400.0;
        for (i, c) in f.warnings.channels.iter().enumerate() {
            let at = format!("warnings.channels[{i}]");
            if !ids.insert(c.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("channel id \"{}\" is used twice", c.id),
                );
            }
            self.fraction(c.reach, &format!("{at}.reach"));
            self.span(
                c.half_time,
                &format!("{at}.half_time"),
                1.0,
                day,
                "a half time",
            );
        }
        if let Some(d) = f.warnings.ack_delay {
            self.span(
                d,
                "warnings.ack_delay",
                0.0,
                day,
                "an acknowledgement delay",
            );
        }
    }

    fn check_shelters(&mut self, f: &ScenarioFile, r: &Refs) {
        let mut seen = BTreeSet::new();
        let mut first_listed: std::collections::BTreeMap<&str, (usize, &str)> =
            std::collections::BTreeMap::new();
        for (i, s) in f.shelters.iter().enumerate() {
            let at = format!("shelters[{i}]");
            if !seen.insert(s.place.as_str()) {
                self.err(
                    &format!("{at}.place"),
                    format!("shelter \"{}\" is listed twice", s.place),
                );
            }
            if let Some(c) = s.capacity {
                self.count(
                    u64::from(c),
                    &format!("{at}.capacity"),
                    1,
                    limits::CAPACITY_MAX as u64,
                    "a capacity in persons",
                );
            }
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
                let field = format!("{at}.zones[{k}]");
                r.zone(self, z, &field);
                // A zone evacuates to one assigned shelter; a second listing would be
                // silently ignored, so the plan on paper and the drill would differ.
                match first_listed.get(z.as_str()) {
                    Some((j, other)) if *j != i => self.err(
                        &field,
                        format!(
                            "zone \"{z}\" is already assigned to shelter \"{other}\" \
                             (shelters[{j}]); a zone evacuates to one assigned shelter (others \
                             with room are found on the way): list it under one shelter"
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        first_listed.insert(z.as_str(), (i, s.place.as_str()));
                    }
                }
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
            self.count(
                u64::from(t.crew),
                &format!("{at}.crew"),
                1,
                1000,
                "a crew in persons",
            );
            self.count(
                u64::from(t.capacity),
                &format!("{at}.capacity"),
                1,
                10_000,
                "a capacity in persons",
            );
            self.range(
                t.wading_limit_m,
                &format!("{at}.wading_limit_m"),
                0.0,
                10.0,
                "a wading limit",
                " m",
            );
            self.range(
                t.speed_kmh,
                &format!("{at}.speed_kmh"),
                0.1,
                200.0,
                "a speed",
                " km/h",
            );
            self.span(
                t.rescue_time_per_person,
                &format!("{at}.rescue_time_per_person"),
                1.0,
                86400.0,
                "a time per person",
            );
            self.span(
                t.available_from,
                &format!("{at}.available_from"),
                0.0,
                limits::DURATION_MAX_S,
                "a time the team joins",
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
            self.range(
                b.capacity_m3_h,
                &format!("{at}.capacity_m3_h"),
                1.0,
                50_000.0,
                "a pumping capacity",
                " m³/h",
            );
            self.span(
                b.setup,
                &format!("{at}.setup"),
                0.0,
                86400.0,
                "a set-up time",
            );
            self.range(
                b.wading_limit_m,
                &format!("{at}.wading_limit_m"),
                0.0,
                10.0,
                "a wading limit",
                " m",
            );
            self.range(
                b.speed_kmh,
                &format!("{at}.speed_kmh"),
                0.1,
                200.0,
                "a speed",
                " km/h",
            );
            self.range(
                b.hose_reach_m,
                &format!("{at}.hose_reach_m"),
                1.0,
                1000.0,
                "a suction reach",
                " m",
            );
            self.range(
                b.discharge_reach_m,
                &format!("{at}.discharge_reach_m"),
                0.0,
                10_000.0,
                "a discharge reach",
                " m",
            );
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
            self.range(
                s.noise,
                &format!("{at}.noise"),
                0.0,
                100.0,
                "a noise σ",
                " (sensor units)",
            );
            self.span(
                s.latency,
                &format!("{at}.latency"),
                0.0,
                86400.0,
                "a latency",
            );
            self.span(
                s.interval,
                &format!("{at}.interval"),
                1.0,
                86400.0,
                "a sampling interval",
            );
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
                    format_duration(r.duration)
                )
            }),
            Condition::SensorAbove(s, v) | Condition::SensorBelow(s, v) => {
                self.require(r.sensors.contains(s.as_str()), &format!("{at}[0]"), || {
                    format!("no sensor has id \"{s}\" (sensors: {})", list(&r.sensors))
                });
                let m = limits::READING_MAX;
                self.range(*v, &format!("{at}[1]"), -m, m, "a sensor reading", "");
            }
            Condition::RescueRequested => {}
            Condition::All(cs) | Condition::Any(cs) => {
                self.require(!cs.is_empty(), at, || {
                    "expected at least one condition inside All(…) or Any(…)".into()
                });
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
            Order::Warn { zones, channel, .. } => {
                self.require(!zones.is_empty(), &format!("{at}.zones"), || {
                    "expected at least one zone to warn".into()
                });
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
        let month = limits::DURATION_MAX_S;
        match e {
            InjectEvent::LeveeBreach {
                x,
                y,
                width_m,
                bottom_m,
                over,
            } => {
                self.point_inside(*x, *y, &format!("{ev}.x"), spec);
                self.range(
                    *width_m,
                    &format!("{ev}.width_m"),
                    1.0,
                    5000.0,
                    "a breach width",
                    " m",
                );
                self.level(*bottom_m, &format!("{ev}.bottom_m"), r.dem, "a crest");
                self.span(*over, &format!("{ev}.over"), 0.0, 86400.0, "a breach time");
            }
            InjectEvent::PumpFailure { unit, duration } => {
                r.pump_or_robot(self, unit, &format!("{ev}.unit"));
                if let Some(d) = duration {
                    self.span(*d, &format!("{ev}.duration"), 1.0, month, "an outage");
                }
            }
            InjectEvent::RoadCollapse { road } => r.road(self, road, &format!("{ev}.road")),
            InjectEvent::CommOutage { zones, duration } => {
                self.require(!zones.is_empty(), &format!("{ev}.zones"), || {
                    "expected at least one zone".into()
                });
                for (k, z) in zones.iter().enumerate() {
                    r.zone(self, z, &format!("{ev}.zones[{k}]"));
                }
                self.span(
                    *duration,
                    &format!("{ev}.duration"),
                    1.0,
                    month,
                    "an outage",
                );
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
                    format_duration(r.duration)
                )
            });
            self.inject_event(&inj.event, &format!("{at}.event"), r, spec);
        }
    }

    fn check_rubric(&mut self, f: &ScenarioFile, ctx: &Refs) {
        let Some(rubric) = &f.rubric else { return };
        self.require(!rubric.criteria.is_empty(), "rubric.criteria", || {
            "expected at least one criterion".into()
        });
        let mut ids = BTreeSet::new();
        let (day, month) = (86400.0, limits::DURATION_MAX_S);
        for (i, c) in rubric.criteria.iter().enumerate() {
            let at = format!("rubric.criteria[{i}]");
            if !ids.insert(c.id.as_str()) {
                self.err(
                    &format!("{at}.id"),
                    format!("criterion id \"{}\" is used twice", c.id),
                );
            }
            self.range(
                c.weight,
                &format!("{at}.weight"),
                0.001,
                1000.0,
                "a weight",
                "",
            );
            self.range(
                c.pass_score,
                &format!("{at}.pass_score"),
                0.0,
                100.0,
                "a score",
                "",
            );
            let m = format!("{at}.metric");
            match &c.metric {
                Metric::WarningLead {
                    lead,
                    ack_within,
                    onset_depth_m,
                } => {
                    self.span(*lead, &format!("{m}.lead"), 0.0, day, "a lead time");
                    self.span(
                        *ack_within,
                        &format!("{m}.ack_within"),
                        0.0,
                        day,
                        "a deadline",
                    );
                    self.range(
                        *onset_depth_m,
                        &format!("{m}.onset_depth_m"),
                        0.01,
                        10.0,
                        "an onset depth",
                        " m",
                    );
                }
                Metric::Evacuation {
                    target_share,
                    evacuate_zones,
                } => {
                    self.fraction(*target_share, &format!("{m}.target_share"));
                    for (k, z) in evacuate_zones.iter().enumerate() {
                        ctx.zone(self, z, &format!("{m}.evacuate_zones[{k}]"));
                    }
                }
                Metric::Forces {
                    posts_by,
                    response_within,
                } => {
                    self.span(*posts_by, &format!("{m}.posts_by"), 0.0, month, "a time");
                    self.span(
                        *response_within,
                        &format!("{m}.response_within"),
                        1.0,
                        day,
                        "a response target",
                    );
                }
                Metric::Response {
                    drained_below_m,
                    within,
                } => {
                    self.range(
                        *drained_below_m,
                        &format!("{m}.drained_below_m"),
                        0.0,
                        10.0,
                        "a depth",
                        " m",
                    );
                    self.span(*within, &format!("{m}.within"), 0.0, month, "a time");
                }
            }
        }
        self.range(
            rubric.pass_mark,
            "rubric.pass_mark",
            0.0,
            100.0,
            "a score",
            "",
        );
    }

    /// The drainage network: it reads, lies on the DEM, its coefficients are physical
    /// and its stations name pump-station places and pumps of the file.
    fn check_drainage(
        &mut self,
        f: &ScenarioFile,
        places: &[Place],
        spec: Option<&GridSpec>,
    ) -> Option<crate::world::sewer::Network> {
        use crate::world::sewer::network::LinkKind;
        let d = f.drainage.as_ref()?;
        let c = &d.coupling;
        self.range(
            c.weir_coefficient,
            "drainage.coupling.weir_coefficient",
            0.01,
            2.0,
            "a weir coefficient (laboratory tests give 0.1–0.4)",
            "",
        );
        self.range(
            c.orifice_coefficient,
            "drainage.coupling.orifice_coefficient",
            0.01,
            3.0,
            "an orifice coefficient (laboratory tests give 0.35–2.0)",
            "",
        );
        self.range(
            c.inlet_area_m2,
            "drainage.coupling.inlet_area_m2",
            0.001,
            100.0,
            "an inlet opening",
            "m²",
        );
        self.range(
            c.inlet_perimeter_m,
            "drainage.coupling.inlet_perimeter_m",
            0.01,
            100.0,
            "an inlet crest length",
            "m",
        );
        self.range(
            c.storage_area_m2,
            "drainage.coupling.storage_area_m2",
            0.001,
            1000.0,
            "a storage node's intake opening",
            "m²",
        );
        self.range(
            c.storage_perimeter_m,
            "drainage.coupling.storage_perimeter_m",
            0.01,
            1000.0,
            "a storage node's intake crest length",
            "m",
        );
        let path = self.base_dir.join(&d.network);
        let net = match crate::world::sewer::read_network(&path) {
            Ok(n) => n,
            Err(e) => {
                self.err(
                    "drainage.network",
                    format!("the network file cannot be read: {e}"),
                );
                return None;
            }
        };
        if let Some(spec) = spec {
            let on = net
                .nodes
                .iter()
                .filter(|n| n.xy.is_some_and(|(x, y)| spec.cell_at(x, y).is_some()))
                .count();
            if on == 0 {
                let (x0, y0, x1, y1) = spec.extent();
                self.err(
                    "drainage.network",
                    format!(
                        "{}: none of its {} nodes lies on the DEM (x {x0:.0}–{x1:.0}, y \
                         {y0:.0}–{y1:.0}); give [COORDINATES] in the district's map coordinates",
                        path.display(),
                        net.nodes.len()
                    ),
                );
            }
        }
        for (k, st) in d.stations.iter().enumerate() {
            let field = format!("drainage.stations[{k}]");
            match places.iter().find(|p| p.id == st.place) {
                Some(p) if p.kind == PlaceKind::PumpStation => {}
                Some(p) => self.err(
                    &format!("{field}.place"),
                    format!(
                        "place \"{}\" is a {:?}, expected a pump_station",
                        p.id, p.kind
                    ),
                ),
                None => self.err(
                    &format!("{field}.place"),
                    format!("no place \"{}\" in district.places", st.place),
                ),
            }
            for (j, id) in st.pumps.iter().enumerate() {
                let ok = net
                    .link_index(id)
                    .is_some_and(|l| matches!(net.links[l].kind, LinkKind::Pump(_)));
                self.require(ok, &format!("{field}.pumps[{j}]"), || {
                    format!("no pump \"{id}\" in {}", path.display())
                });
            }
        }
        Some(net)
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
        self.span(
            o.series_interval,
            "outputs.series_interval",
            1.0,
            86400.0,
            "an interval",
        );
        self.span(
            o.snapshot_interval,
            "outputs.snapshot_interval",
            1.0,
            limits::DURATION_MAX_S,
            "an interval",
        );
        self.span(
            o.keyframe_interval,
            "outputs.keyframe_interval",
            1.0,
            limits::DURATION_MAX_S,
            "an interval",
        );
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

/// A number for a message: plain when it reads well, else in scientific notation
/// (`1e308`, not 309 digits).
fn num(v: f64) -> String {
    let a = v.abs();
    if v.is_finite() && a != 0.0 && !(1e-4..1e7).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
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
    /// The DEM's lowest and highest elevation, m.
    dem: Option<(f64, f64)>,
    /// Layers given but empty or unreadable ("zones", "places", "roads") and why:
    /// references to them are counted, not reported one by one.
    broken: BTreeMap<&'static str, String>,
    /// References not checked, per broken layer.
    skipped: std::cell::RefCell<BTreeMap<&'static str, usize>>,
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
            dem: None,
            broken: BTreeMap::new(),
            skipped: Default::default(),
        }
    }

    /// Whether references to `layer` are only counted (the layer itself failed).
    fn skip(&self, layer: &'static str) -> bool {
        if self.broken.contains_key(layer) {
            *self.skipped.borrow_mut().entry(layer).or_default() += 1;
            true
        } else {
            false
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
            None if self.skip("places") => None,
            None => {
                let candidates: BTreeSet<&str> = self
                    .places
                    .iter()
                    .filter(|p| kind.as_ref().is_none_or(|k| &p.kind == k))
                    .map(|p| p.id.as_str())
                    .collect();
                let what = kind.as_ref().map(|k| k.name()).unwrap_or("place");
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
                            p.kind.name(),
                            k.name()
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
        if is_pump || self.robots.contains(unit) || self.skip("places") {
            return;
        }
        v.err(
            at,
            format!("\"{unit}\" is neither a pump station place nor a robot id"),
        );
    }

    fn zone(&self, v: &mut Validator, id: &str, at: &str) {
        if self.zones.contains(id) || self.skip("zones") {
            return;
        }
        v.err(
            at,
            format!("no zone has id \"{id}\" (zones: {})", list(&self.zones)),
        );
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
        if self.roads.contains(id) || self.skip("roads") {
            return;
        }
        v.err(at, format!("no road has id \"{id}\" in the roads layer"));
    }
}

/// Physical bounds of the numbers in a scenario (`docs/scenario.md` gives each beside
/// its field): wide enough for any district a drill is about, tight enough that a
/// scenario inside them starts and finishes its ticks.
pub mod limits {
    /// Shortest tick, s.
    pub const TICK_MIN_S: f64 = 1.0;
    /// Longest tick (and longest `hydro.max_dt`), s.
    pub const TICK_MAX_S: f64 = 600.0;
    /// Longest drill (and any other span), s: 30 days.
    pub const DURATION_MAX_S: f64 = 30.0 * 86400.0;
    /// Smallest `hydro.max_dt`, s.
    pub const MAX_DT_MIN_S: f64 = 0.01;
    /// Most sub-steps of `hydro.max_dt` a tick may need.
    pub const SUBSTEPS_PER_TICK_MAX: f64 = 10_000.0;
    /// Smallest Manning's n, s/m^(1/3) (smooth glass-like surfaces ≈ 0.01).
    pub const MANNING_MIN: f64 = 0.005;
    /// Largest Manning's n, s/m^(1/3) (dense vegetation ≈ 0.2).
    pub const MANNING_MAX: f64 = 1.0;
    /// Heaviest rain, mm/h (world records over an hour ≈ 300 mm).
    pub const RAIN_MAX_MM_H: f64 = 500.0;
    /// Largest infiltration or drainage capacity, mm/h.
    pub const LOSS_MAX_MM_H: f64 = 1000.0;
    /// Largest point inflow, m³/s (a great river in flood).
    pub const INFLOW_MAX_M3_S: f64 = 100_000.0;
    /// Largest edge inflow per metre of edge, m²/s.
    pub const UNIT_INFLOW_MAX_M2_S: f64 = 1000.0;
    /// How far a stage, level or crest may lie below the DEM's lowest or above its
    /// highest cell, m.
    pub const LEVEL_MARGIN_M: f64 = 50.0;
    /// Deepest initial depth, m.
    pub const DEPTH_MAX_M: f64 = 50.0;
    /// Lowest DEM elevation, m (the Dead Sea shore is at −430 m).
    pub const ELEVATION_MIN_M: f64 = -1000.0;
    /// Highest DEM elevation, m (Everest is 8849 m).
    pub const ELEVATION_MAX_M: f64 = 9000.0;
    /// Largest map coordinate of a storm track, m.
    pub const COORD_MAX_M: f64 = 1e8;
    /// Largest sensor threshold (sensor units).
    pub const READING_MAX: f64 = 10_000.0;
    /// Largest shelter or place capacity, persons.
    pub const CAPACITY_MAX: f64 = 1_000_000.0;
    /// Most households a drill simulates.
    pub const HOUSEHOLDS_MAX: u64 = 2_000_000;
    /// Most persons a drill simulates.
    pub const PERSONS_MAX: u64 = 10_000_000;
    /// Memory a run keeps per DEM cell, bytes (measured: 240–260 B per cell over
    /// 512²–2048² districts, peak RSS of `run`).
    pub const BYTES_PER_CELL: u64 = 256;
    /// Memory a run keeps per household, bytes (measured ≈ 500 B; doubled).
    pub const BYTES_PER_HOUSEHOLD: u64 = 1024;
    /// Memory a run needs whatever the district, bytes.
    pub const BYTES_BASE: u64 = 64 << 20;
    /// `validate` prints the estimate above this, bytes.
    pub const MEMORY_NOTE_ABOVE: u64 = 256 << 20;
}

/// The memory a run of `cells` DEM cells and `households` households needs, bytes.
pub fn memory_estimate(cells: u64, households: u64) -> u64 {
    limits::BYTES_BASE
        .saturating_add(cells.saturating_mul(limits::BYTES_PER_CELL))
        .saturating_add(households.saturating_mul(limits::BYTES_PER_HOUSEHOLD))
}

fn memory_terms(cells: u64, households: u64) -> String {
    let mut s = format!("{cells} cells × {} B", limits::BYTES_PER_CELL);
    if households > 0 {
        s.push_str(&format!(
            " + {households} households × {} B",
            limits::BYTES_PER_HOUSEHOLD
        ));
    }
    s.push_str(&format!(" + {}", format_bytes(limits::BYTES_BASE)));
    s
}

/// Bytes as "4.2 GB" / "320 MB".
pub fn format_bytes(b: u64) -> String {
    let mb = b as f64 / (1u64 << 20) as f64;
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.0} MB")
    }
}

/// The memory this machine has available: `MemAvailable` of /proc/meminfo, else
/// `MemTotal`; `None` where neither can be read.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb.saturating_mul(1024))
    };
    field("MemAvailable:").or_else(|| field("MemTotal:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_4096_square_district_is_estimated_at_about_4_gb_before_the_run() {
        let need = memory_estimate(4096 * 4096, 0);
        assert_eq!(format_bytes(need), "4.1 GB");
        assert!(memory_estimate(512 * 512, 100_000) < limits::MEMORY_NOTE_ABOVE);
        assert_eq!(memory_estimate(u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn numbers_in_messages_are_short() {
        assert_eq!(num(1e308), "1e308");
        assert_eq!(num(-1e308), "-1e308");
        assert_eq!(num(4294967296.0), "4.294967296e9");
        assert_eq!(num(0.015), "0.015");
        assert_eq!(num(0.0), "0");
    }
}
