//! EPA SWMM 5 `.inp` reader: the text of a SWMM 5.1/5.2 input file into a [`Network`]
//! in SI units, or an error that names the file, the 1-based line, the section, the
//! field that is wrong and what was expected.
//!
//! # How a file is read
//!
//! Lines are split into sections at `[NAME]` headers (matched as SWMM matches them: by
//! the start of the name, case-insensitively, so `[JUNCTIONS]` and `[Polygons]` are
//! found). `;` starts a comment anywhere on a line; tokens are split on whitespace; a
//! token in double quotes is one token (`""` is an empty token). Keywords and ids are
//! case-insensitive, as in SWMM (`j3` names the node `J3`); ids keep the spelling of
//! their definition. Sections may come in any order: `[OPTIONS]` is read first (units,
//! offsets and dates decide how the rest converts), then curves and time series, rain
//! gauges, nodes, links, subcatchments, inflows, controls and coordinates. References
//! are resolved against everything the file defines, and an error is reported at the
//! line that made the reference. Nodes and links are numbered in file order.
//!
//! # Sections
//!
//! Read: `[TITLE]`, `[OPTIONS]`, `[RAINGAGES]`, `[SUBCATCHMENTS]`, `[SUBAREAS]`,
//! `[INFILTRATION]`, `[JUNCTIONS]`, `[OUTFALLS]`, `[STORAGE]`, `[DIVIDERS]` (read as
//! junctions: the diversion itself is not kept), `[CONDUITS]`, `[PUMPS]`, `[ORIFICES]`,
//! `[WEIRS]`, `[OUTLETS]`, `[XSECTIONS]`, `[LOSSES]`, `[CONTROLS]`, `[INFLOWS]` (the
//! `FLOW` constituent; pollutant lines are passed over), `[CURVES]`, `[TIMESERIES]` and
//! `[COORDINATES]`. Every other SWMM section (`[REPORT]`, `[MAP]`, `[DWF]`, `[PATTERNS]`,
//! `[STREETS]`, …) is listed in [`Network::skipped`] with the line of its header. A
//! section name that is not SWMM's is an error.
//!
//! Supported in detail: outfalls `FREE`, `NORMAL`, `FIXED`, `TIDAL`, `TIMESERIES` (the
//! optional route-to subcatchment is ignored); storage `FUNCTIONAL`, `TABULAR` and the
//! SWMM 5.2 shapes (`CYLINDRICAL` and `PARABOLIC`/`PARABOLOID` become the exact
//! functional form; `CONICAL` and `PYRAMIDAL`, whose area is a quadratic in depth, become
//! a generated `STORAGE` curve of 64 segments up to max + surcharge depth, exact at its
//! points, named `"<node> (CONICAL shape)"`); cross-sections `CIRCULAR`, `FORCE_MAIN`,
//! `RECT_CLOSED`, `RECT_OPEN`, `TRAPEZOIDAL`, `TRIANGULAR`, `DUMMY`; pumps with a
//! `PUMP1`–`PUMP5` curve or `*` (ideal); orifices (`CIRCULAR`/`RECT_CLOSED` openings),
//! weirs (`TRANSVERSE`, `SIDEFLOW`, `ROADWAY` on `RECT_OPEN`, `V-NOTCH` on `TRIANGULAR`,
//! `TRAPEZOIDAL` on `TRAPEZOIDAL`), outlets (`FUNCTIONAL/HEAD|DEPTH`,
//! `TABULAR/HEAD|DEPTH`); rules with `NODE` `DEPTH|HEAD|INFLOW`, link `FLOW|DEPTH|STATUS|
//! SETTING` (per object as SWMM allows them) and `SIMULATION TIME|CLOCKTIME` premises,
//! and `PUMP … STATUS|SETTING`, `ORIFICE|WEIR|OUTLET … SETTING`, `CONDUIT … STATUS|
//! SETTING` actions with a number.
//!
//! Refused with a positioned error (the network has no place for them): other
//! cross-section shapes (`STREET`, `IRREGULAR`, `CUSTOM`, `EGG`, …), external time
//! series and rain files (`FILE`), weir coefficient curves, modulated control actions
//! (`CURVE`, `TIMESERIES`, `PID`), rule `VARIABLE`/`EXPRESSION` lines and any other
//! premise (`GAGE`, `VOLUME`, `DATE`, …).
//!
//! Read but not kept (no field in the network): storage evaporation and seepage,
//! culvert codes, roadway weir width and surface, divider parameters, inflow baseline
//! patterns, the `MODIFIED_` flag of Horton and Green-Ampt, the curve-number drying
//! time, subcatchment curb length and snow pack.
//!
//! # Units
//!
//! `FLOW_UNITS` `CFS`, `GPM` or `MGD` make the file US customary: lengths, depths,
//! elevations and offsets in ft (×0.3048), ponded and storage areas in ft², subcatchment
//! areas in acres (×4046.8564224 m²), rain and infiltration rates in in/h (×25.4 to mm/h),
//! depression storage in in. `CMS`, `LPS`, `MLD` make it SI (metres, hectares ×10⁴ m²,
//! mm, mm/h). Flows are converted from the flow units with [`FlowUnits::to_cms`].
//! Storage `A·d^B + C` (ft², d in ft) becomes `A·0.3048^(2−B)·d^B + C·0.3048²` (m², d in
//! m). Curves convert by kind: storage depth→m and area→m²; `PUMP1` volume→m³ and flow→
//! m³/s; `PUMP2`/`PUMP4` depth→m; `PUMP3`/`PUMP5` head→m; `RATING` head→m and flow→m³/s;
//! `TIDAL` stage→m (hour unchanged); `CONTROL` and the others keep the file's values.
//! Weir coefficients: SWMM evaluates every weir law in CFS and ft for a US file, and the
//! lengths in each law add up to the power 2.5, so `Cd_SI = Cd_US·0.3048³/0.3048^2.5 =
//! Cd_US·√0.3048` (3.33 → 1.84) for transverse, side-flow, V-notch, trapezoidal and
//! roadway weirs and the trapezoidal ends alike. Outlets `Q = c·h^e` (flow units, ft or
//! m) become `c_SI = c·to_cms·len^(−e)`. Time series keep the file's values: rain gauges say how to read
//! them (`to_mm`) and inflows scale them (`scale`); a series used as an outfall stage in
//! a US file is copied as `"<series> (m)"` with values in metres and the outfall uses the
//! copy.
//!
//! # Decisions
//!
//! - Times: `start_s` is 0 and `end_s` is END − START in seconds; time series points
//!   are seconds from the simulation start (a point with a date is placed by its date,
//!   a point without one is hours after the start, or after midnight of the series' last
//!   date, as SWMM reads them). Without any of `START_DATE`/`START_TIME`/`END_DATE`/
//!   `END_TIME` the default end (one day) is kept; an end not after the start is an
//!   error.
//! - `HEAD_TOLERANCE 0` and `MAX_TRIALS 0` mean SWMM's defaults and are stored as the
//!   [`Options`] defaults; `MIN_SURFAREA 0` is kept as 0 (the network's "use the default").
//! - External `FLOW` inflows are `baseline + Sfactor·series`, times the flow units factor:
//!   SWMM does not use the `Mfactor` column of a `FLOW` inflow, and neither does this
//!   reader (it must still be a number). A second `FLOW` inflow to a node is an error.
//! - Negative offsets (and offsets below the node invert with `LINK_OFFSETS ELEVATION`)
//!   become 0, as SWMM does; `*` as an elevation offset means the node's invert.
//!   Orifices, weirs and outlets get `to_offset_m = from_offset_m` as in SWMM (their
//!   opening is measured from the upstream node).
//! - Every conduit, orifice and weir needs a `[XSECTIONS]` line, and every subcatchment a
//!   `[SUBAREAS]` line; `[INFILTRATION]` is optional ([`SubInfiltration::None`]).
//!   Duplicate ids (among all nodes, all links, subcatchments, gauges, rules) and
//!   duplicate `[XSECTIONS]`, `[LOSSES]`, `[SUBAREAS]`, `[INFILTRATION]` or
//!   `[COORDINATES]` lines are errors naming both lines.
//! - A text with no section at all (empty, or only comments and blank lines) is an error
//!   ([`InpError::Empty`]): it is not an `.inp` file. A file with sections but no objects
//!   loads as an empty network.
//! - Numbers must be finite: `NaN`, `inf` and values that overflow on conversion are
//!   errors. [`read_inp`] accepts bytes that are not UTF-8 inside comments (legacy code
//!   pages are common in SWMM files) and reports them elsewhere with line and column.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::path::Path;

use super::network::{
    Action, Condition, Conduit, Curve, CurveKind, FlowUnits, Inflow, Link, LinkKind, MinorLosses,
    Network, Node, NodeKind, Operand, Options, Orifice, OutfallBoundary, Outlet, OutletRating,
    Pump, RainFormat, RainGage, Relation, Rule, StorageShape, SubInfiltration, SubOutlet,
    Subcatchment, Subject, TimeSeries, Weir, XSection,
};

/// Metres in a foot.
const FT: f64 = 0.3048;
/// Square metres in an acre.
const ACRE_M2: f64 = 4_046.856_422_4;
/// Square metres in a hectare.
const HECTARE_M2: f64 = 10_000.0;
/// Segments of the curve tabulating a conical or pyramidal storage unit.
const SHAPE_SEGMENTS: usize = 64;

/// An `.inp` file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InpError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// File.
        path: String,
        /// Why.
        message: String,
    },
    /// A line is wrong.
    #[error("{path}:{line}: [{section}] {message}")]
    Bad {
        /// File.
        path: String,
        /// Line (1-based).
        line: usize,
        /// Section.
        section: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A member of a JSON form of the network is wrong (the GeoJSON form).
    #[error("{path}: {at}: {message}")]
    Field {
        /// File.
        path: String,
        /// Where: the feature and its property, e.g. `features[12] (C5) "from"`.
        at: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The text holds no section header at all (empty, or only comments).
    #[error(
        "{path}:1: no SWMM section found: the file is empty or holds only comments \
         (expected an .inp file with sections such as [JUNCTIONS] and [CONDUITS])"
    )]
    Empty {
        /// File.
        path: String,
    },
}

impl InpError {
    /// The 1-based line of the problem, if it is tied to one.
    pub fn line(&self) -> Option<usize> {
        match self {
            InpError::Io { .. } | InpError::Field { .. } => None,
            InpError::Bad { line, .. } => Some(*line),
            InpError::Empty { .. } => Some(1),
        }
    }

    /// The section of the problem, if it is tied to one.
    pub fn section(&self) -> Option<&str> {
        match self {
            InpError::Bad { section, .. } => Some(section),
            _ => None,
        }
    }
}

/// Read an `.inp` file.
pub fn read_inp(path: &Path) -> Result<Network, InpError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| InpError::Io {
        path: name.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let text = decode_inp(&name, &bytes)?;
    parse_inp(&text, &name)
}

/// Parse the text of an `.inp` file (`path` names it in errors).
pub fn parse_inp(text: &str, path: &str) -> Result<Network, InpError> {
    let raw = split_sections(crate::text::strip_bom(text), path)?;
    Builder::new(path, &raw).build()
}

// ---------------------------------------------------------------------------------------
// Text: decoding, lines, tokens, sections
// ---------------------------------------------------------------------------------------

/// File bytes as text: UTF-8 is required outside comments; inside a comment (after `;`,
/// which no UTF-8 sequence or legacy code page byte can imitate) anything goes.
fn decode_inp(path: &str, bytes: &[u8]) -> Result<String, InpError> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(bytes.len());
    let mut section = String::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let cut = line.iter().position(|&b| b == b';').unwrap_or(line.len());
        let (code, comment) = line.split_at(cut);
        let code = std::str::from_utf8(code).map_err(|e| {
            let good = e.valid_up_to();
            let col = String::from_utf8_lossy(&code[..good]).chars().count() + 1;
            InpError::Bad {
                path: path.to_string(),
                line: i + 1,
                section: section.clone(),
                message: format!(
                    "byte 0x{:02X} at column {col} is not UTF-8 text (the file may be saved \
                     in a legacy code page; expected UTF-8 outside comments)",
                    code[good]
                ),
            }
        })?;
        if let Some(name) = header_name(code) {
            section = name;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(code);
        out.push_str(&String::from_utf8_lossy(comment));
    }
    Ok(out)
}

/// The upper-case name of a `[NAME]` header line, if the line is one.
fn header_name(code: &str) -> Option<String> {
    let first = code.split_whitespace().next()?;
    let inner = first.strip_prefix('[')?;
    let inner = inner.split(']').next().unwrap_or(inner);
    Some(inner.to_ascii_uppercase())
}

/// Tokens of a line: the text before `;`, split on whitespace, `"…"` as one token.
fn tokenize(line: &str) -> Vec<String> {
    let code = line.split(';').next().unwrap_or("");
    let mut toks = Vec::new();
    let mut chars = code.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut tok = String::new();
        if first == '"' {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                tok.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                tok.push(c);
            }
        }
        toks.push(tok);
    }
    toks
}

/// A section the reader uses, or one it lists as skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Sect {
    Title,
    Options,
    Raingages,
    Subcatchments,
    Subareas,
    Infiltration,
    Junctions,
    Outfalls,
    Storage,
    Dividers,
    Conduits,
    Pumps,
    Orifices,
    Weirs,
    Outlets,
    Xsections,
    Losses,
    Controls,
    Inflows,
    Curves,
    Timeseries,
    Coordinates,
    Skipped,
}

impl Sect {
    /// The section's name in messages.
    fn name(self) -> &'static str {
        match self {
            Sect::Title => "TITLE",
            Sect::Options => "OPTIONS",
            Sect::Raingages => "RAINGAGES",
            Sect::Subcatchments => "SUBCATCHMENTS",
            Sect::Subareas => "SUBAREAS",
            Sect::Infiltration => "INFILTRATION",
            Sect::Junctions => "JUNCTIONS",
            Sect::Outfalls => "OUTFALLS",
            Sect::Storage => "STORAGE",
            Sect::Dividers => "DIVIDERS",
            Sect::Conduits => "CONDUITS",
            Sect::Pumps => "PUMPS",
            Sect::Orifices => "ORIFICES",
            Sect::Weirs => "WEIRS",
            Sect::Outlets => "OUTLETS",
            Sect::Xsections => "XSECTIONS",
            Sect::Losses => "LOSSES",
            Sect::Controls => "CONTROLS",
            Sect::Inflows => "INFLOWS",
            Sect::Curves => "CURVES",
            Sect::Timeseries => "TIMESERIES",
            Sect::Coordinates => "COORDINATES",
            Sect::Skipped => "SKIPPED",
        }
    }
}

/// SWMM's section names by the start that identifies them (as SWMM matches them; more
/// specific starts first where one is the start of another).
const SECTIONS: &[(&str, Sect)] = &[
    ("TITLE", Sect::Title),
    ("OPTION", Sect::Options),
    ("FILE", Sect::Skipped),
    ("RAINGAGE", Sect::Raingages),
    ("TEMPERATURE", Sect::Skipped),
    ("EVAP", Sect::Skipped),
    ("SUBCATCHMENT", Sect::Subcatchments),
    ("SUBAREA", Sect::Subareas),
    ("INFIL", Sect::Infiltration),
    ("AQUIFER", Sect::Skipped),
    ("GROUNDWATER", Sect::Skipped),
    ("SNOWPACK", Sect::Skipped),
    ("JUNC", Sect::Junctions),
    ("OUTFALL", Sect::Outfalls),
    ("STORAGE", Sect::Storage),
    ("DIVIDER", Sect::Dividers),
    ("CONDUIT", Sect::Conduits),
    ("PUMP", Sect::Pumps),
    ("ORIFICE", Sect::Orifices),
    ("WEIR", Sect::Weirs),
    ("OUTLET", Sect::Outlets),
    ("XSECT", Sect::Xsections),
    ("TRANSECT", Sect::Skipped),
    ("LOSS", Sect::Losses),
    ("CONTROL", Sect::Controls),
    ("POLLUT", Sect::Skipped),
    ("LANDUSE", Sect::Skipped),
    ("BUILDUP", Sect::Skipped),
    ("WASHOFF", Sect::Skipped),
    ("COVERAGE", Sect::Skipped),
    ("INFLOW", Sect::Inflows),
    ("DWF", Sect::Skipped),
    ("PATTERN", Sect::Skipped),
    ("RDII", Sect::Skipped),
    ("HYDROGRAPH", Sect::Skipped),
    ("LOADING", Sect::Skipped),
    ("TREATMENT", Sect::Skipped),
    ("CURVE", Sect::Curves),
    ("TIMESERIES", Sect::Timeseries),
    ("REPORT", Sect::Skipped),
    ("MAP", Sect::Skipped),
    ("COORDINATE", Sect::Coordinates),
    ("VERTICES", Sect::Skipped),
    ("POLYGON", Sect::Skipped),
    ("LABEL", Sect::Skipped),
    ("SYMBOL", Sect::Skipped),
    ("BACKDROP", Sect::Skipped),
    ("TAG", Sect::Skipped),
    ("PROFILE", Sect::Skipped),
    ("LID_CONTROL", Sect::Skipped),
    ("LID_USAGE", Sect::Skipped),
    ("GW_FLOW", Sect::Skipped),
    ("GWF", Sect::Skipped),
    ("ADJUSTMENT", Sect::Skipped),
    ("EVENT", Sect::Skipped),
    ("STREET", Sect::Skipped),
    ("INLET_USAGE", Sect::Skipped),
    ("INLET", Sect::Skipped),
];

/// The section of an upper-case header name, as SWMM finds it.
fn find_section(name: &str) -> Option<Sect> {
    SECTIONS
        .iter()
        .find(|(start, _)| name.starts_with(start))
        .map(|&(_, s)| s)
}

/// A line with tokens (a `[TITLE]` line holds its text as the one token).
#[derive(Debug)]
struct Line {
    /// 1-based line number.
    no: usize,
    /// Tokens; never empty.
    toks: Vec<String>,
}

/// The file split into sections.
#[derive(Debug, Default)]
struct Raw {
    /// Lines of each section read, in file order (a repeated section continues).
    sects: HashMap<Sect, Vec<Line>>,
    /// Skipped sections: name as written (upper case, no brackets) and header line.
    skipped: Vec<(String, usize)>,
}

/// The lines of a text: split on `\n` (a trailing `\r` dropped), or on `\r` alone for
/// a file with old Mac line ends.
fn text_lines(text: &str) -> Vec<&str> {
    if text.contains('\n') {
        text.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect()
    } else {
        text.split('\r').collect()
    }
}

/// Pass 1: the text into sections of tokenized lines.
fn split_sections(text: &str, path: &str) -> Result<Raw, InpError> {
    let mut raw = Raw::default();
    let mut current: Option<Sect> = None;
    let mut any_header = false;
    for (i, text) in text_lines(text).into_iter().enumerate() {
        let no = i + 1;
        let code = text.split(';').next().unwrap_or("");
        if let Some(name) = header_name(code) {
            any_header = true;
            let sect = find_section(&name).ok_or_else(|| InpError::Bad {
                path: path.to_string(),
                line: no,
                section: name.clone(),
                message: format!(
                    "unknown section [{name}] (expected a SWMM 5 section such as [OPTIONS], \
                     [JUNCTIONS], [CONDUITS], [XSECTIONS] or [TIMESERIES])"
                ),
            })?;
            if sect == Sect::Skipped {
                raw.skipped.push((name.clone(), no));
            }
            current = Some(sect);
            continue;
        }
        let toks = tokenize(code);
        if toks.is_empty() {
            continue;
        }
        let Some(sect) = current else {
            return Err(InpError::Bad {
                path: path.to_string(),
                line: no,
                section: "start of file".into(),
                message: format!(
                    "\"{}\" comes before any section header (expected a line such as \
                     [TITLE] or [OPTIONS] first)",
                    toks[0]
                ),
            });
        };
        if sect == Sect::Skipped {
            continue;
        }
        let toks = if sect == Sect::Title {
            vec![code.trim().to_string()]
        } else {
            toks
        };
        raw.sects.entry(sect).or_default().push(Line { no, toks });
    }
    if !any_header {
        return Err(InpError::Empty {
            path: path.to_string(),
        });
    }
    Ok(raw)
}

// ---------------------------------------------------------------------------------------
// Values: numbers, words, dates and times
// ---------------------------------------------------------------------------------------

/// A unit of the file: its name in messages and the factor to SI.
#[derive(Debug, Clone, Copy)]
struct Unit {
    name: &'static str,
    f: f64,
}

/// No unit (a ratio, a coefficient in SI already, a count).
const NONE: Unit = Unit { name: "", f: 1.0 };
/// Hours, to seconds.
const HOURS: Unit = Unit {
    name: "hours",
    f: 3600.0,
};

/// The units of a file, from its `FLOW_UNITS`.
#[derive(Debug, Clone, Copy)]
struct Units {
    us: bool,
    flow: FlowUnits,
}

impl Units {
    fn length(self) -> Unit {
        if self.us {
            Unit { name: "ft", f: FT }
        } else {
            Unit { name: "m", f: 1.0 }
        }
    }
    fn area(self) -> Unit {
        if self.us {
            Unit {
                name: "ft²",
                f: FT * FT,
            }
        } else {
            Unit {
                name: "m²", f: 1.0
            }
        }
    }
    fn volume(self) -> Unit {
        if self.us {
            Unit {
                name: "ft³",
                f: FT * FT * FT,
            }
        } else {
            Unit {
                name: "m³", f: 1.0
            }
        }
    }
    fn land(self) -> Unit {
        if self.us {
            Unit {
                name: "acres",
                f: ACRE_M2,
            }
        } else {
            Unit {
                name: "ha",
                f: HECTARE_M2,
            }
        }
    }
    fn flow(self) -> Unit {
        let name = match self.flow {
            FlowUnits::Cfs => "CFS",
            FlowUnits::Gpm => "GPM",
            FlowUnits::Mgd => "MGD",
            FlowUnits::Cms => "CMS",
            FlowUnits::Lps => "LPS",
            FlowUnits::Mld => "MLD",
        };
        Unit {
            name,
            f: self.flow.to_cms(),
        }
    }
    /// Rain and infiltration rates, to mm/h.
    fn rate(self) -> Unit {
        if self.us {
            Unit {
                name: "in/h",
                f: 25.4,
            }
        } else {
            Unit {
                name: "mm/h",
                f: 1.0,
            }
        }
    }
    /// Rain-like depths (suction head, infiltration volume), to mm.
    fn depth_mm(self) -> Unit {
        if self.us {
            Unit {
                name: "in",
                f: 25.4,
            }
        } else {
            Unit { name: "mm", f: 1.0 }
        }
    }
    /// Rain-like depths (depression storage, roughness heights), to m.
    fn depth_m(self) -> Unit {
        if self.us {
            Unit {
                name: "in",
                f: 0.0254,
            }
        } else {
            Unit {
                name: "mm",
                f: 0.001,
            }
        }
    }
    /// Weir discharge coefficients, to SI (see [`weir_cd`]).
    fn weir_cd(self) -> Unit {
        if self.us {
            Unit {
                name: "US units (CFS, ft)",
                f: weir_cd(1.0),
            }
        } else {
            NONE
        }
    }
}

/// A weir discharge coefficient in US units to SI.
///
/// SWMM evaluates every weir law in CFS with lengths in ft for a US file: transverse,
/// roadway and trapezoidal centre `Q = Cd·L·h^1.5`, side-flow `Q = Cd·L^0.83·h^1.67`,
/// V-notch and trapezoidal ends `Q = Cd·s·h^2.5` (s the side slope, dimensionless). In
/// each the lengths add up to the power 2.5, so with `L = L_m/0.3048`, `h = h_m/0.3048`
/// and `Q_m³/s = 0.3048³·Q_cfs`:
/// `Q_m³/s = Cd·0.3048³/0.3048^2.5 · (length terms in m) = Cd·√0.3048 · …`.
/// Hence `Cd_SI = Cd_US·√0.3048 ≈ 0.552·Cd_US` (3.33 → 1.84, SWMM's SI default). The flow
/// units (GPM, MGD) do not enter: weir laws are always in CFS (or CMS for SI).
fn weir_cd(cd_us: f64) -> f64 {
    cd_us * FT.sqrt()
}

/// Range a number must be in.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Any,
    NonNeg,
    Pos,
    /// 0–100.
    Pct,
    /// 0–1.
    Frac,
}

/// "expected …" text of a number.
fn expected(kind: Kind, unit: Unit) -> String {
    let base = match kind {
        Kind::Any => "a number",
        Kind::NonNeg => "a number ≥ 0",
        Kind::Pos => "a number > 0",
        Kind::Pct => "a percentage from 0 to 100",
        Kind::Frac => "a fraction from 0 to 1",
    };
    if unit.name.is_empty() {
        base.to_string()
    } else {
        format!("{base}, in {}", unit.name)
    }
}

/// A finite number, or `None`.
fn finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in a month of a year.
fn month_days(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A date `MM/DD/YYYY` (or `-` separated; the month may be a name such as `JAN`) as
/// days since 1970-01-01.
fn parse_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let parts: Vec<&str> = s.split(['/', '-']).collect();
    let [m, d, y] = parts.as_slice() else {
        return None;
    };
    let m = match m.parse::<u8>() {
        Ok(m) => i64::from(m),
        Err(_) => {
            let up = m.to_ascii_uppercase();
            MONTHS.iter().position(|n| up.starts_with(n))? as i64 + 1
        }
    };
    let d = i64::from(d.parse::<u8>().ok()?);
    let y = i64::from(y.parse::<u16>().ok()?);
    let ok = (1..=12).contains(&m) && (1..=9999).contains(&y) && d >= 1;
    (ok && d <= month_days(y, m)).then(|| days_from_civil(y, m, d))
}

/// A time as seconds: decimal hours (any sign) or `H:MM[:SS]`.
fn parse_clock(s: &str) -> Option<f64> {
    if let Some(h) = finite(s) {
        return Some(h * 3600.0).filter(|v| v.is_finite());
    }
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let h = f64::from(parts[0].parse::<u32>().ok()?);
    let m = f64::from(parts[1].parse::<u32>().ok()?);
    let sec = match parts.get(2) {
        Some(p) => finite(p).filter(|v| *v >= 0.0 && !p.starts_with(['+', '-']))?,
        None => 0.0,
    };
    Some(h * 3600.0 + m * 60.0 + sec)
}

/// Whether a time series token is a date rather than a time.
fn looks_like_date(tok: &str) -> bool {
    tok.contains('/') || (tok.contains('-') && finite(tok).is_none() && !tok.contains(':'))
}

/// The upper-case key of an id (SWMM ids are case-insensitive).
fn key(id: &str) -> String {
    id.to_ascii_uppercase()
}

// ---------------------------------------------------------------------------------------
// A line being read
// ---------------------------------------------------------------------------------------

/// A line being read, with what it defines (for messages).
struct Row<'a> {
    path: &'a str,
    sect: Sect,
    no: usize,
    toks: &'a [String],
    /// "junction J1", "option ROUTING_STEP", …
    what: String,
}

impl<'a> Row<'a> {
    /// An error at this line, about what it defines.
    fn err(&self, msg: impl std::fmt::Display) -> InpError {
        InpError::Bad {
            path: self.path.to_string(),
            line: self.no,
            section: self.sect.name().to_string(),
            message: format!("{}: {msg}", self.what),
        }
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        self.toks.get(i).map(String::as_str)
    }

    /// Whether token `i` is `*` (SWMM's "default").
    fn star(&self, i: usize) -> bool {
        self.get(i).is_some_and(|t| t.starts_with('*'))
    }

    /// A required token.
    fn tok(&self, i: usize, name: &str, exp: &str) -> Result<&'a str, InpError> {
        self.get(i)
            .ok_or_else(|| self.err(format!("{name} is missing (expected {exp})")))
    }

    /// The id (token 0), not empty.
    fn id(&self) -> Result<&'a str, InpError> {
        match self.get(0) {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(self.err("the id is empty (expected a name)")),
        }
    }

    /// A required number in `kind`'s range, converted to SI by `unit`.
    fn num(&self, i: usize, name: &str, kind: Kind, unit: Unit) -> Result<f64, InpError> {
        let exp = expected(kind, unit);
        let tok = self.tok(i, name, &exp)?;
        self.value(tok, name, kind, unit)
    }

    /// An optional number (`default` is SI).
    fn num_or(
        &self,
        i: usize,
        name: &str,
        kind: Kind,
        unit: Unit,
        default: f64,
    ) -> Result<f64, InpError> {
        match self.get(i) {
            Some(tok) => self.value(tok, name, kind, unit),
            None => Ok(default),
        }
    }

    /// A token as a number in `kind`'s range, converted to SI by `unit`.
    fn value(&self, tok: &str, name: &str, kind: Kind, unit: Unit) -> Result<f64, InpError> {
        let exp = expected(kind, unit);
        let Ok(v) = tok.parse::<f64>() else {
            return Err(self.err(format!("{name} \"{tok}\" is not a number (expected {exp})")));
        };
        if !v.is_finite() {
            return Err(self.err(format!(
                "{name} \"{tok}\" is not a finite number (expected {exp})"
            )));
        }
        let ok = match kind {
            Kind::Any => true,
            Kind::NonNeg => v >= 0.0,
            Kind::Pos => v > 0.0,
            Kind::Pct => (0.0..=100.0).contains(&v),
            Kind::Frac => (0.0..=1.0).contains(&v),
        };
        if !ok {
            return Err(self.err(format!("{name} {tok} is out of range (expected {exp})")));
        }
        self.finite_si(v * unit.f, tok, name, &exp)
    }

    /// `v` if finite, else a "too large" error about token `tok`.
    fn finite_si(&self, v: f64, tok: &str, name: &str, exp: &str) -> Result<f64, InpError> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(format!(
                "{name} {tok} is too large to convert to SI units (expected {exp})"
            )))
        }
    }

    /// A whole number from `min` to `max`.
    fn whole(&self, i: usize, name: &str, min: u32, max: u32) -> Result<u32, InpError> {
        let exp = format!("a whole number from {min} to {max}");
        let tok = self.tok(i, name, &exp)?;
        match finite(tok) {
            Some(v) if v.fract() == 0.0 && v >= f64::from(min) && v <= f64::from(max) => {
                Ok(v as u32)
            }
            _ => Err(self.err(format!("{name} \"{tok}\" is not valid (expected {exp})"))),
        }
    }

    /// A required keyword: its index in `opts` (upper case).
    fn word(&self, i: usize, name: &str, opts: &[&str]) -> Result<usize, InpError> {
        let list = opts.join(", ");
        let tok = self.tok(i, name, &format!("one of {list}"))?;
        let up = tok.to_ascii_uppercase();
        opts.iter().position(|o| *o == up).ok_or_else(|| {
            self.err(format!(
                "{name} \"{tok}\" is not recognised (expected one of {list})"
            ))
        })
    }

    /// An optional keyword (`*` counts as absent).
    fn word_or(
        &self,
        i: usize,
        name: &str,
        opts: &[&str],
        default: usize,
    ) -> Result<usize, InpError> {
        if self.get(i).is_none() || self.star(i) {
            Ok(default)
        } else {
            self.word(i, name, opts)
        }
    }

    /// An optional YES/NO (`*` counts as absent).
    fn yes_no_or(&self, i: usize, name: &str, default: bool) -> Result<bool, InpError> {
        Ok(self.word_or(i, name, &["NO", "YES"], usize::from(default))? == 1)
    }

    /// A required time: decimal hours or `H:MM[:SS]`, as seconds.
    fn clock(&self, i: usize, name: &str) -> Result<f64, InpError> {
        let exp = "decimal hours or H:MM[:SS]";
        let tok = self.tok(i, name, exp)?;
        parse_clock(tok)
            .ok_or_else(|| self.err(format!("{name} \"{tok}\" is not a time (expected {exp})")))
    }

    /// A required date `MM/DD/YYYY`, as days since 1970-01-01.
    fn date(&self, i: usize, name: &str) -> Result<i64, InpError> {
        let exp = "a date MM/DD/YYYY";
        let tok = self.tok(i, name, exp)?;
        parse_date(tok).ok_or_else(|| {
            self.err(format!(
                "{name} \"{tok}\" is not a valid date (expected {exp})"
            ))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------

const FLOW_WORDS: [&str; 6] = ["CFS", "GPM", "MGD", "CMS", "LPS", "MLD"];
const FLOWS: [FlowUnits; 6] = [
    FlowUnits::Cfs,
    FlowUnits::Gpm,
    FlowUnits::Mgd,
    FlowUnits::Cms,
    FlowUnits::Lps,
    FlowUnits::Mld,
];
const INFIL_WORDS: [&str; 5] = [
    "HORTON",
    "MODIFIED_HORTON",
    "GREEN_AMPT",
    "MODIFIED_GREEN_AMPT",
    "CURVE_NUMBER",
];
const ROUTING_WORDS: [&str; 9] = [
    "NONE", "STEADY", "KINWAVE", "XKINWAVE", "DYNWAVE", "NF", "KW", "EKW", "DW",
];
const CURVE_WORDS: [&str; 12] = [
    "STORAGE",
    "DIVERSION",
    "TIDAL",
    "RATING",
    "CONTROL",
    "SHAPE",
    "WEIR",
    "PUMP1",
    "PUMP2",
    "PUMP3",
    "PUMP4",
    "PUMP5",
];
const CURVE_KINDS: [CurveKind; 12] = [
    CurveKind::Storage,
    CurveKind::Other,
    CurveKind::Tidal,
    CurveKind::Rating,
    CurveKind::Control,
    CurveKind::Other,
    CurveKind::Other,
    CurveKind::Pump1,
    CurveKind::Pump2,
    CurveKind::Pump3,
    CurveKind::Pump4,
    CurveKind::Pump5,
];
const PUMP_CURVES: [CurveKind; 5] = [
    CurveKind::Pump1,
    CurveKind::Pump2,
    CurveKind::Pump3,
    CurveKind::Pump4,
    CurveKind::Pump5,
];
const SHAPES_SUPPORTED: &str =
    "CIRCULAR, FORCE_MAIN, RECT_CLOSED, RECT_OPEN, TRAPEZOIDAL, TRIANGULAR or DUMMY";
/// SWMM shapes this reader refuses (to tell "not supported" from "unknown").
const SHAPES_SWMM_OTHER: [&str; 19] = [
    "FILLED_CIRCULAR",
    "PARABOLIC",
    "POWER",
    "RECT_TRIANGULAR",
    "RECT_ROUND",
    "MODBASKETHANDLE",
    "HORIZ_ELLIPSE",
    "VERT_ELLIPSE",
    "ARCH",
    "EGG",
    "HORSESHOE",
    "GOTHIC",
    "CATENARY",
    "SEMIELLIPTICAL",
    "BASKETHANDLE",
    "SEMICIRCULAR",
    "IRREGULAR",
    "CUSTOM",
    "STREET",
];
const WEIR_WORDS: [&str; 5] = [
    "TRANSVERSE",
    "SIDEFLOW",
    "V-NOTCH",
    "TRAPEZOIDAL",
    "ROADWAY",
];
const STORAGE_WORDS: [&str; 7] = [
    "TABULAR",
    "FUNCTIONAL",
    "CYLINDRICAL",
    "CONICAL",
    "PARABOLIC",
    "PARABOLOID",
    "PYRAMIDAL",
];

/// Infiltration methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Infil {
    Horton,
    GreenAmpt,
    CurveNumber,
}

/// The infiltration method of a keyword index in [`INFIL_WORDS`].
fn infil_of(k: usize) -> Infil {
    match k {
        0 | 1 => Infil::Horton,
        2 | 3 => Infil::GreenAmpt,
        _ => Infil::CurveNumber,
    }
}

/// A curve kind's name in messages.
fn curve_kind_name(kinds: &[CurveKind]) -> &'static str {
    match kinds.first() {
        Some(CurveKind::Storage) => "a STORAGE curve",
        Some(CurveKind::Tidal) => "a TIDAL curve",
        Some(CurveKind::Rating) => "a RATING curve",
        _ => "a PUMP1–PUMP5 curve",
    }
}

// ---------------------------------------------------------------------------------------
// Pass 2: the network
// ---------------------------------------------------------------------------------------

/// Options that decide how the rest of the file reads.
#[derive(Debug, Clone, Copy)]
struct Opts {
    link_elev: bool,
    infil: Infil,
    force_main_dw: bool,
    /// Simulation start: days since 1970-01-01 and seconds after midnight.
    start_day: i64,
    start_tod: f64,
}

/// Dates and times of `[OPTIONS]` with their lines.
#[derive(Debug, Default)]
struct Dates {
    start_date: Option<(i64, usize)>,
    start_time: Option<(f64, usize)>,
    end_date: Option<(i64, usize)>,
    end_time: Option<(f64, usize)>,
}

/// Indexes by upper-case id.
#[derive(Debug, Default)]
struct Index {
    nodes: HashMap<String, usize>,
    links: HashMap<String, usize>,
    curves: HashMap<String, usize>,
    series: HashMap<String, usize>,
    gages: HashMap<String, usize>,
    subs: HashMap<String, usize>,
}

/// A node or link read, before numbering.
struct Def<T> {
    item: T,
    what: &'static str,
    sect: Sect,
    line: usize,
    id: String,
}

/// Builds the network from the sections.
struct Builder<'a> {
    path: &'a str,
    raw: &'a Raw,
    u: Units,
    o: Opts,
    net: Network,
    ix: Index,
    /// Curve type word and first line, by curve index.
    curve_meta: Vec<(&'static str, usize)>,
    /// Per series: the last date seen, and the first line.
    series_meta: Vec<(Option<i64>, usize)>,
    /// Outfall stage series references (node index).
    stage_outfalls: Vec<usize>,
}

impl<'a> Builder<'a> {
    fn new(path: &'a str, raw: &'a Raw) -> Self {
        let flow = FlowUnits::Cms;
        Builder {
            path,
            raw,
            u: Units {
                us: flow.is_us(),
                flow,
            },
            o: Opts {
                link_elev: false,
                infil: Infil::Horton,
                force_main_dw: false,
                start_day: 0,
                start_tod: 0.0,
            },
            net: Network::default(),
            ix: Index::default(),
            curve_meta: Vec::new(),
            series_meta: Vec::new(),
            stage_outfalls: Vec::new(),
        }
    }

    fn lines(&self, s: Sect) -> &'a [Line] {
        self.raw.sects.get(&s).map_or(&[], Vec::as_slice)
    }

    fn row(&self, sect: Sect, line: &'a Line, what: impl Into<String>) -> Row<'a> {
        Row {
            path: self.path,
            sect,
            no: line.no,
            toks: &line.toks,
            what: what.into(),
        }
    }

    /// A row about the object named by the line's first token: "`kind` `id`".
    fn obj_row(&self, sect: Sect, line: &'a Line, kind: &str) -> Row<'a> {
        let id = line.toks.first().map_or("", String::as_str);
        self.row(sect, line, format!("{kind} {id}"))
    }

    fn build(mut self) -> Result<Network, InpError> {
        self.options()?;
        self.title();
        self.curves()?;
        self.timeseries()?;
        self.raingages()?;
        self.nodes()?;
        self.links()?;
        self.losses()?;
        self.subcatchments()?;
        self.inflows()?;
        self.controls()?;
        self.coordinates()?;
        self.stage_series_in_metres();
        self.net.skipped = self.raw.skipped.clone();
        Ok(self.net)
    }

    // --- references -------------------------------------------------------------------

    fn lookup(
        &self,
        r: &Row,
        i: usize,
        name: &str,
        map: &HashMap<String, usize>,
        exp: &str,
    ) -> Result<usize, InpError> {
        let tok = r.tok(i, name, exp)?;
        map.get(&key(tok))
            .copied()
            .ok_or_else(|| r.err(format!("{name} \"{tok}\" is not defined (expected {exp})")))
    }

    fn node_ref(&self, r: &Row, i: usize, name: &str) -> Result<usize, InpError> {
        let exp = "the id of a junction, outfall, divider or storage unit";
        self.lookup(r, i, name, &self.ix.nodes, exp)
    }

    fn link_ref(&self, r: &Row, i: usize, name: &str) -> Result<usize, InpError> {
        let exp = "the id of a conduit, pump, orifice, weir or outlet";
        self.lookup(r, i, name, &self.ix.links, exp)
    }

    fn series_ref(&self, r: &Row, i: usize, name: &str) -> Result<usize, InpError> {
        self.lookup(
            r,
            i,
            name,
            &self.ix.series,
            "the name of a series in [TIMESERIES]",
        )
    }

    fn curve_ref(
        &self,
        r: &Row,
        i: usize,
        name: &str,
        kinds: &[CurveKind],
    ) -> Result<usize, InpError> {
        let want = curve_kind_name(kinds);
        let c = self.lookup(
            r,
            i,
            name,
            &self.ix.curves,
            &format!("the name of {want} in [CURVES]"),
        )?;
        if kinds.contains(&self.net.curves[c].kind) {
            return Ok(c);
        }
        let (word, line) = self.curve_meta[c];
        Err(r.err(format!(
            "{name} \"{}\" is a {word} curve (line {line}) (expected {want})",
            self.net.curves[c].id
        )))
    }

    /// A link end offset at token `i`: a depth above `node`'s invert in SI, from a depth
    /// or (with `LINK_OFFSETS ELEVATION`) an elevation, `*` meaning the invert; negative
    /// depths become 0 as in SWMM.
    fn offset(&self, r: &Row, i: usize, name: &str, node: usize) -> Result<f64, InpError> {
        if self.o.link_elev && r.star(i) {
            return Ok(0.0);
        }
        let v = r.num(i, name, Kind::Any, self.u.length())?;
        let d = if self.o.link_elev {
            v - self.node_invert(node)
        } else {
            v
        };
        Ok(d.max(0.0))
    }

    fn node_invert(&self, node: usize) -> f64 {
        self.net.nodes.get(node).map_or(0.0, |n| n.invert_m)
    }

    /// Insert `id` into an index, or fail naming the line that holds it already.
    fn unique(
        map: &mut HashMap<String, usize>,
        lines: &mut HashMap<String, (usize, &'static str)>,
        r: &Row,
        id: &str,
        what: &'static str,
        value: usize,
    ) -> Result<(), InpError> {
        let k = key(id);
        if let Some(&(line, other)) = lines.get(&k) {
            return Err(r.err(format!(
                "the id is already used by the {other} at line {line} (expected a unique id)"
            )));
        }
        lines.insert(k.clone(), (r.no, what));
        map.insert(k, value);
        Ok(())
    }

    // --- [OPTIONS] and [TITLE] ---------------------------------------------------------

    fn options(&mut self) -> Result<(), InpError> {
        let lines = self.lines(Sect::Options);
        for l in lines {
            if key(&l.toks[0]) == "FLOW_UNITS" {
                let r = self.row(Sect::Options, l, "option FLOW_UNITS");
                let flow = FLOWS[r.word(1, "value", &FLOW_WORDS)?];
                self.net.options.flow_units = flow;
                self.u = Units {
                    us: flow.is_us(),
                    flow,
                };
            }
        }
        let mut dates = Dates::default();
        for l in lines {
            let k = key(&l.toks[0]);
            if k != "FLOW_UNITS" {
                let r = self.row(Sect::Options, l, format!("option {k}"));
                self.option(&r, &k, &mut dates)?;
            }
        }
        self.finish_dates(&dates)
    }

    /// One option (unknown ones are ignored).
    fn option(&mut self, r: &Row, k: &str, dates: &mut Dates) -> Result<(), InpError> {
        let u = self.u;
        let opts = &mut self.net.options;
        match k {
            "INFILTRATION" => self.o.infil = infil_of(r.word(1, "value", &INFIL_WORDS)?),
            "FLOW_ROUTING" => {
                opts.routing = ROUTING_WORDS[r.word(1, "value", &ROUTING_WORDS)?].to_string();
            }
            "LINK_OFFSETS" => self.o.link_elev = r.word(1, "value", &["DEPTH", "ELEVATION"])? == 1,
            "ALLOW_PONDING" => opts.allow_ponding = r.word(1, "value", &["NO", "YES"])? == 1,
            "START_DATE" => dates.start_date = Some((r.date(1, "value")?, r.no)),
            "END_DATE" => dates.end_date = Some((r.date(1, "value")?, r.no)),
            "START_TIME" => dates.start_time = Some((time_of_day(r)?, r.no)),
            "END_TIME" => dates.end_time = Some((time_of_day(r)?, r.no)),
            "REPORT_STEP" => opts.report_step_s = positive_clock(r)?,
            "WET_STEP" => opts.wet_step_s = positive_clock(r)?,
            "DRY_STEP" => opts.dry_step_s = positive_clock(r)?,
            "ROUTING_STEP" => opts.routing_step_s = seconds_or_clock(r, Kind::Pos)?,
            "LENGTHENING_STEP" => {
                opts.lengthening_step_s = seconds_or_clock(r, Kind::Any)?.max(0.0)
            }
            "MINIMUM_STEP" => {
                let unit = Unit { name: "s", f: 1.0 };
                opts.minimum_step_s = r.num(1, "value", Kind::NonNeg, unit)?;
            }
            "MIN_SURFAREA" => opts.min_surfarea_m2 = r.num(1, "value", Kind::NonNeg, u.area())?,
            "HEAD_TOLERANCE" => {
                let v = r.num(1, "value", Kind::NonNeg, u.length())?;
                opts.head_tolerance_m = if v > 0.0 {
                    v
                } else {
                    Options::default().head_tolerance_m
                };
            }
            "MAX_TRIALS" => {
                let v = r.whole(1, "value", 0, 10_000)?;
                opts.max_trials = if v > 0 {
                    v
                } else {
                    Options::default().max_trials
                };
            }
            "MIN_SLOPE" => {
                let v = r.num(1, "value", Kind::NonNeg, Unit { name: "%", f: 0.01 })?;
                if v >= 1.0 {
                    return Err(r.err("value must be below 100 % (expected a percentage)"));
                }
                opts.min_slope = v;
            }
            "INERTIAL_DAMPING" => {
                let w = ["NONE", "PARTIAL", "FULL"];
                opts.inertial_damping = w[r.word(1, "value", &w)?].to_string();
            }
            "NORMAL_FLOW_LIMITED" => {
                let w = ["SLOPE", "FROUDE", "BOTH", "NONE"];
                opts.normal_flow_limited = w[r.word(1, "value", &w)?].to_string();
            }
            "FORCE_MAIN_EQUATION" => {
                let w = ["H-W", "D-W"];
                let k = r.word(1, "value", &w)?;
                opts.force_main_equation = w[k].to_string();
                self.o.force_main_dw = k == 1;
            }
            "VARIABLE_STEP" => {
                let v = r.num(1, "value", Kind::NonNeg, NONE)?;
                if v > 2.0 {
                    return Err(r.err(format!("value {v} is out of range (expected 0 to 2)")));
                }
                opts.variable_step = v;
            }
            "DRY_DAYS" => {
                let unit = Unit {
                    name: "days",
                    f: 1.0,
                };
                opts.dry_days = r.num(1, "value", Kind::NonNeg, unit)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// `start_s` = 0 and `end_s` = END − START from the dates and times.
    fn finish_dates(&mut self, d: &Dates) -> Result<(), InpError> {
        let all = [
            d.start_date.map(|x| x.1),
            d.start_time.map(|x| x.1),
            d.end_date.map(|x| x.1),
            d.end_time.map(|x| x.1),
        ];
        let Some(last_line) = all.iter().flatten().max().copied() else {
            return Ok(());
        };
        let sd = d.start_date.or(d.end_date).map_or(0, |x| x.0);
        let ed = d.end_date.or(d.start_date).map_or(0, |x| x.0);
        let st = d.start_time.map_or(0.0, |x| x.0);
        let et = d.end_time.map_or(0.0, |x| x.0);
        let dur = (ed - sd) as f64 * 86_400.0 + et - st;
        if !(dur > 0.0) {
            return Err(InpError::Bad {
                path: self.path.to_string(),
                line: last_line,
                section: Sect::Options.name().to_string(),
                message: format!(
                    "END_DATE/END_TIME is not after START_DATE/START_TIME (the simulation would \
                     last {dur} s; expected an end after the start)"
                ),
            });
        }
        self.o.start_day = sd;
        self.o.start_tod = st;
        self.net.options.start_s = 0.0;
        self.net.options.end_s = dur;
        Ok(())
    }

    fn title(&mut self) {
        let lines: Vec<&str> = self
            .lines(Sect::Title)
            .iter()
            .map(|l| l.toks[0].as_str())
            .collect();
        self.net.title = lines.join("\n");
    }

    // --- [CURVES] and [TIMESERIES] -----------------------------------------------------

    /// The units of a curve's x and y.
    fn curve_units(&self, kind: CurveKind) -> (Unit, Unit) {
        let (len, flow) = (self.u.length(), self.u.flow());
        match kind {
            CurveKind::Storage => (len, self.u.area()),
            CurveKind::Pump1 => (self.u.volume(), flow),
            CurveKind::Pump2 | CurveKind::Pump3 | CurveKind::Pump4 | CurveKind::Pump5 => {
                (len, flow)
            }
            CurveKind::Rating => (len, flow),
            CurveKind::Tidal => (
                Unit {
                    name: "hours",
                    f: 1.0,
                },
                len,
            ),
            CurveKind::Control | CurveKind::Other => (NONE, NONE),
        }
    }

    fn curves(&mut self) -> Result<(), InpError> {
        for l in self.lines(Sect::Curves) {
            let r = self.obj_row(Sect::Curves, l, "curve");
            let id = r.id()?;
            let (c, start) = match self.ix.curves.get(&key(id)) {
                Some(&c) => {
                    let same_word = r.get(1).is_some_and(|t| key(t) == self.curve_meta[c].0);
                    (c, if same_word { 2 } else { 1 })
                }
                None => {
                    let k = r.word(1, "type", &CURVE_WORDS)?;
                    let c = self.net.curves.len();
                    self.net.curves.push(Curve {
                        id: id.to_string(),
                        kind: CURVE_KINDS[k],
                        points: Vec::new(),
                    });
                    self.curve_meta.push((CURVE_WORDS[k], r.no));
                    self.ix.curves.insert(key(id), c);
                    (c, 2)
                }
            };
            self.curve_points(&r, c, start)?;
        }
        for (c, curve) in self.net.curves.iter().enumerate() {
            if curve.points.is_empty() {
                let (word, line) = self.curve_meta[c];
                return Err(InpError::Bad {
                    path: self.path.to_string(),
                    line,
                    section: Sect::Curves.name().to_string(),
                    message: format!(
                        "curve {}: the {word} curve has no points (expected x y pairs after the \
                         type)",
                        curve.id
                    ),
                });
            }
        }
        Ok(())
    }

    /// The `x y` pairs of a curve line from token `start`.
    fn curve_points(&mut self, r: &Row, c: usize, start: usize) -> Result<(), InpError> {
        let (ux, uy) = self.curve_units(self.net.curves[c].kind);
        let mut i = start;
        while i < r.toks.len() {
            let x = r.num(i, "x", Kind::Any, ux)?;
            if r.get(i + 1).is_none() {
                return Err(r.err(format!(
                    "x {} has no y value (expected x y pairs)",
                    r.toks[i]
                )));
            }
            let y = r.num(i + 1, "y", Kind::Any, uy)?;
            let points = &mut self.net.curves[c].points;
            if let Some(&(px, _)) = points.last()
                && !(x > px)
            {
                return Err(r.err(format!(
                    "x {} does not increase (the previous point has x {}; expected x values \
                     in ascending order)",
                    r.toks[i],
                    px / ux.f
                )));
            }
            points.push((x, y));
            i += 2;
        }
        Ok(())
    }

    fn timeseries(&mut self) -> Result<(), InpError> {
        for l in self.lines(Sect::Timeseries) {
            let r = self.obj_row(Sect::Timeseries, l, "time series");
            let id = r.id()?;
            if r.get(1).is_some_and(|t| key(t) == "FILE") {
                return Err(r.err(
                    "external time series files are not supported (expected [date] time value \
                     points in the .inp file)",
                ));
            }
            let s = match self.ix.series.get(&key(id)) {
                Some(&s) => s,
                None => {
                    let s = self.net.timeseries.len();
                    self.net.timeseries.push(TimeSeries {
                        id: id.to_string(),
                        points: Vec::new(),
                    });
                    self.series_meta.push((None, r.no));
                    self.ix.series.insert(key(id), s);
                    s
                }
            };
            if r.toks.len() < 3 {
                return Err(r.err("a point is incomplete (expected [date] time value)"));
            }
            self.series_points(&r, s)?;
        }
        Ok(())
    }

    /// The `[date] time value` points of a series line.
    fn series_points(&mut self, r: &Row, s: usize) -> Result<(), InpError> {
        let mut i = 1;
        while i < r.toks.len() {
            if looks_like_date(&r.toks[i]) {
                self.series_meta[s].0 = Some(r.date(i, "date")?);
                i += 1;
            }
            let tod = r.clock(i, "time")?;
            let v = r.num(i + 1, "value", Kind::Any, NONE)?;
            let t = match self.series_meta[s].0 {
                Some(day) => (day - self.o.start_day) as f64 * 86_400.0 + tod - self.o.start_tod,
                None => tod,
            };
            let points = &mut self.net.timeseries[s].points;
            if let Some(&(pt, _)) = points.last()
                && !(t > pt)
            {
                return Err(r.err(format!(
                    "time {} is not after the previous point ({} s and {pt} s from the start; \
                     expected points in ascending time)",
                    r.toks[i], t
                )));
            }
            points.push((t, v));
            i += 2;
        }
        Ok(())
    }

    // --- [RAINGAGES] -------------------------------------------------------------------

    fn raingages(&mut self) -> Result<(), InpError> {
        let mut seen = HashMap::new();
        for l in self.lines(Sect::Raingages) {
            let r = self.obj_row(Sect::Raingages, l, "rain gauge");
            let id = r.id()?;
            let g = self.raingage(&r, id)?;
            let n = self.net.raingages.len();
            Self::unique(&mut self.ix.gages, &mut seen, &r, id, "rain gauge", n)?;
            self.net.raingages.push(g);
        }
        Ok(())
    }

    fn raingage(&self, r: &Row, id: &str) -> Result<RainGage, InpError> {
        let formats = ["INTENSITY", "VOLUME", "CUMULATIVE"];
        let format = match r.word(1, "format", &formats)? {
            0 => RainFormat::Intensity,
            1 => RainFormat::Volume,
            _ => RainFormat::Cumulative,
        };
        let interval_s = (r.clock(2, "interval")?).round();
        if !(interval_s > 0.0) {
            return Err(r.err(format!(
                "interval {} is not positive (expected decimal hours or H:MM > 0)",
                r.toks[2]
            )));
        }
        let scf = r.num(3, "snow catch factor", Kind::NonNeg, NONE)?;
        if r.word(4, "source", &["TIMESERIES", "FILE"])? == 1 {
            return Err(r.err(
                "rain gauge data files are not supported (expected TIMESERIES and a series name)",
            ));
        }
        Ok(RainGage {
            id: id.to_string(),
            format,
            interval_s,
            scf,
            series: self.series_ref(r, 5, "time series")?,
            to_mm: if self.u.us { 25.4 } else { 1.0 },
        })
    }

    // --- nodes ---------------------------------------------------------------------------

    fn nodes(&mut self) -> Result<(), InpError> {
        let mut defs = Vec::new();
        for l in self.lines(Sect::Junctions) {
            defs.push(self.junction(l)?);
        }
        for l in self.lines(Sect::Dividers) {
            defs.push(self.divider(l)?);
        }
        for l in self.lines(Sect::Outfalls) {
            defs.push(self.outfall(l)?);
        }
        for l in self.lines(Sect::Storage) {
            defs.push(self.storage(l)?);
        }
        defs.sort_by_key(|d| d.line);
        let mut seen = HashMap::new();
        for d in defs {
            let r = self.def_row(&d);
            let n = self.net.nodes.len();
            Self::unique(&mut self.ix.nodes, &mut seen, &r, &d.id, d.what, n)?;
            if let NodeKind::Outfall {
                boundary: OutfallBoundary::Timeseries(_),
                ..
            } = d.item.kind
            {
                self.stage_outfalls.push(n);
            }
            self.net.nodes.push(d.item);
        }
        Ok(())
    }

    /// A row standing for a definition (for errors found after reading it).
    fn def_row<T>(&self, d: &Def<T>) -> Row<'a> {
        Row {
            path: self.path,
            sect: d.sect,
            no: d.line,
            toks: &[],
            what: format!("{} {}", d.what, d.id),
        }
    }

    fn node_def(r: &Row, id: &str, node: Node, what: &'static str) -> Def<Node> {
        Def {
            item: node,
            what,
            sect: r.sect,
            line: r.no,
            id: id.to_string(),
        }
    }

    /// A node from an invert and the depths at tokens `at..at+4`.
    fn node_with_depths(&self, r: &Row, id: &str, at: usize) -> Result<Node, InpError> {
        let len = self.u.length();
        Ok(Node {
            id: id.to_string(),
            kind: NodeKind::Junction,
            invert_m: r.num(1, "invert", Kind::Any, len)?,
            max_depth_m: r.num_or(at, "max depth", Kind::NonNeg, len, 0.0)?,
            init_depth_m: r.num_or(at + 1, "initial depth", Kind::NonNeg, len, 0.0)?,
            sur_depth_m: r.num_or(at + 2, "surcharge depth", Kind::NonNeg, len, 0.0)?,
            ponded_area_m2: r.num_or(at + 3, "ponded area", Kind::NonNeg, self.u.area(), 0.0)?,
            xy: None,
            line: r.no,
        })
    }

    fn junction(&self, l: &'a Line) -> Result<Def<Node>, InpError> {
        let r = self.obj_row(Sect::Junctions, l, "junction");
        let id = r.id()?;
        let node = self.node_with_depths(&r, id, 2)?;
        Ok(Self::node_def(&r, id, node, "junction"))
    }

    /// A divider, read as a junction (its diversion is not kept).
    fn divider(&self, l: &'a Line) -> Result<Def<Node>, InpError> {
        let r = self.obj_row(Sect::Dividers, l, "divider");
        let id = r.id()?;
        r.tok(2, "diverted link", "a link id or *")?;
        let types = ["CUTOFF", "TABULAR", "WEIR", "OVERFLOW"];
        let at = match r.word(3, "divider type", &types)? {
            0 => {
                r.num(4, "cutoff flow", Kind::NonNeg, self.u.flow())?;
                5
            }
            1 => {
                r.tok(4, "diversion curve", "a curve name")?;
                5
            }
            2 => {
                r.num(4, "min flow", Kind::NonNeg, self.u.flow())?;
                r.num(5, "max depth", Kind::NonNeg, self.u.length())?;
                r.num(6, "weir coefficient", Kind::NonNeg, NONE)?;
                7
            }
            _ => 4,
        };
        let node = self.node_with_depths(&r, id, at)?;
        Ok(Self::node_def(&r, id, node, "divider"))
    }

    fn outfall(&self, l: &'a Line) -> Result<Def<Node>, InpError> {
        let r = self.obj_row(Sect::Outfalls, l, "outfall");
        let id = r.id()?;
        let len = self.u.length();
        let invert_m = r.num(1, "invert", Kind::Any, len)?;
        let types = ["FREE", "NORMAL", "FIXED", "TIDAL", "TIMESERIES"];
        let (boundary, at) = match r.word(2, "type", &types)? {
            0 => (OutfallBoundary::Free, 3),
            1 => (OutfallBoundary::Normal, 3),
            2 => (
                OutfallBoundary::Fixed(r.num(3, "stage", Kind::Any, len)?),
                4,
            ),
            3 => {
                let c = self.curve_ref(&r, 3, "tidal curve", &[CurveKind::Tidal])?;
                (OutfallBoundary::Tidal(c), 4)
            }
            _ => (
                OutfallBoundary::Timeseries(self.series_ref(&r, 3, "stage series")?),
                4,
            ),
        };
        let gated = r.yes_no_or(at, "gated", false)?;
        let node = Node {
            id: id.to_string(),
            kind: NodeKind::Outfall { boundary, gated },
            invert_m,
            max_depth_m: 0.0,
            init_depth_m: 0.0,
            sur_depth_m: 0.0,
            ponded_area_m2: 0.0,
            xy: None,
            line: r.no,
        };
        Ok(Self::node_def(&r, id, node, "outfall"))
    }

    fn storage(&mut self, l: &'a Line) -> Result<Def<Node>, InpError> {
        let r = self.obj_row(Sect::Storage, l, "storage unit");
        let id = r.id()?;
        let len = self.u.length();
        let invert_m = r.num(1, "invert", Kind::Any, len)?;
        let max_depth_m = r.num(2, "max depth", Kind::NonNeg, len)?;
        let init_depth_m = r.num(3, "initial depth", Kind::NonNeg, len)?;
        let k = r.word(4, "shape", &STORAGE_WORDS)?;
        let at = if k == 0 { 6 } else { 8 };
        let sur_depth_m = r.num_or(at, "surcharge depth", Kind::NonNeg, len, 0.0)?;
        let shape = if k == 0 {
            StorageShape::Tabular(self.curve_ref(&r, 5, "storage curve", &[CurveKind::Storage])?)
        } else {
            self.storage_shape(&r, id, k, max_depth_m + sur_depth_m)?
        };
        let node = Node {
            id: id.to_string(),
            kind: NodeKind::Storage { shape },
            invert_m,
            max_depth_m,
            init_depth_m,
            sur_depth_m,
            ponded_area_m2: 0.0,
            xy: None,
            line: r.no,
        };
        Ok(Self::node_def(&r, id, node, "storage unit"))
    }

    /// A storage unit's area law from tokens 5–7, in SI (`depth_m`: the depth to
    /// tabulate a quadratic shape to).
    fn storage_shape(
        &mut self,
        r: &Row,
        id: &str,
        k: usize,
        depth_m: f64,
    ) -> Result<StorageShape, InpError> {
        let len = self.u.length();
        if STORAGE_WORDS[k] == "FUNCTIONAL" {
            let a = r.num(5, "coefficient A", Kind::Any, NONE)?;
            let b = r.num(6, "exponent B", Kind::Any, NONE)?;
            let c = r.num(7, "constant C", Kind::NonNeg, self.u.area())?;
            // Area in ft² = a·(d_m/0.3048)^b + c  ⇒  a_SI = a·0.3048^(2−b).
            let a = r.finite_si(
                a * len.f.powf(2.0 - b),
                &r.toks[5],
                "coefficient A",
                "a number",
            )?;
            return Ok(StorageShape::Functional { a, b, c });
        }
        let l = r.num(5, "length L", Kind::Pos, len)?;
        let w = r.num(6, "width W", Kind::Pos, len)?;
        let (semi_a, semi_b) = (l / 2.0, w / 2.0);
        let shape = STORAGE_WORDS[k];
        let (a0, a1, a2) = match shape {
            "CYLINDRICAL" => (PI * semi_a * semi_b, 0.0, 0.0),
            "PARABOLIC" | "PARABOLOID" => {
                // Area grows linearly with depth: π·A·B at the full height Z.
                let z = r.num(7, "height Z", Kind::Pos, len)?;
                return Ok(StorageShape::Functional {
                    a: PI * semi_a * semi_b / z,
                    b: 1.0,
                    c: 0.0,
                });
            }
            "CONICAL" => {
                let z = r.num(7, "side slope Z", Kind::NonNeg, NONE)?;
                let a2 = PI * semi_b / semi_a * z * z;
                (PI * semi_a * semi_b, 2.0 * PI * semi_b * z, a2)
            }
            _ => {
                let z = r.num(7, "side slope Z", Kind::NonNeg, NONE)?;
                (l * w, 2.0 * (l + w) * z, 4.0 * z * z)
            }
        };
        if a1 == 0.0 && a2 == 0.0 {
            return Ok(StorageShape::Functional {
                a: 0.0,
                b: 0.0,
                c: a0,
            });
        }
        self.tabulate_storage(r, id, shape, depth_m, (a0, a1, a2))
    }

    /// A generated STORAGE curve of `a0 + a1·d + a2·d²` from 0 to `depth_m`.
    fn tabulate_storage(
        &mut self,
        r: &Row,
        id: &str,
        shape: &'static str,
        depth_m: f64,
        (a0, a1, a2): (f64, f64, f64),
    ) -> Result<StorageShape, InpError> {
        if !(depth_m > 0.0) {
            return Err(r.err(format!(
                "a {shape} storage unit needs a max depth > 0 (expected a positive max depth: \
                 its area is tabulated up to max depth + surcharge depth)"
            )));
        }
        let points: Vec<(f64, f64)> = (0..=SHAPE_SEGMENTS)
            .map(|i| {
                let d = depth_m * i as f64 / SHAPE_SEGMENTS as f64;
                (d, a0 + d * (a1 + d * a2))
            })
            .collect();
        if points.iter().any(|p| !p.1.is_finite()) {
            return Err(r.err(format!(
                "the {shape} dimensions are too large (expected sizes that give a finite area)"
            )));
        }
        let mut name = format!("{id} ({shape} shape)");
        while self.ix.curves.contains_key(&key(&name)) {
            name.push('\'');
        }
        let c = self.net.curves.len();
        self.ix.curves.insert(key(&name), c);
        self.curve_meta.push(("STORAGE", r.no));
        self.net.curves.push(Curve {
            id: name,
            kind: CurveKind::Storage,
            points,
        });
        Ok(StorageShape::Tabular(c))
    }

    // --- links ---------------------------------------------------------------------------

    fn links(&mut self) -> Result<(), InpError> {
        let xs = self.xsection_lines()?;
        let mut defs = Vec::new();
        for l in self.lines(Sect::Conduits) {
            defs.push(self.conduit(l, &xs)?);
        }
        for l in self.lines(Sect::Pumps) {
            defs.push(self.pump(l)?);
        }
        for l in self.lines(Sect::Orifices) {
            defs.push(self.orifice(l, &xs)?);
        }
        for l in self.lines(Sect::Weirs) {
            defs.push(self.weir(l, &xs)?);
        }
        for l in self.lines(Sect::Outlets) {
            defs.push(self.outlet(l)?);
        }
        defs.sort_by_key(|d| d.line);
        let mut seen = HashMap::new();
        for d in defs {
            let r = self.def_row(&d);
            let n = self.net.links.len();
            Self::unique(&mut self.ix.links, &mut seen, &r, &d.id, d.what, n)?;
            self.net.links.push(d.item);
        }
        for l in self.lines(Sect::Xsections) {
            let r = self.obj_row(Sect::Xsections, l, "link");
            self.link_ref(&r, 0, "link")?;
        }
        Ok(())
    }

    /// `[XSECTIONS]` lines by link key (a second line for a link is an error).
    fn xsection_lines(&self) -> Result<HashMap<String, &'a Line>, InpError> {
        let mut map: HashMap<String, &'a Line> = HashMap::new();
        for l in self.lines(Sect::Xsections) {
            let r = self.obj_row(Sect::Xsections, l, "link");
            let id = r.id()?;
            if let Some(first) = map.get(&key(id)) {
                return Err(r.err(format!(
                    "a second cross-section (the first is at line {}; expected one line per \
                     link)",
                    first.no
                )));
            }
            map.insert(key(id), l);
        }
        Ok(map)
    }

    /// The `[XSECTIONS]` row of the link that `r` defines.
    fn xsect_row(
        &self,
        r: &Row,
        id: &str,
        xs: &HashMap<String, &'a Line>,
    ) -> Result<Row<'a>, InpError> {
        match xs.get(&key(id)) {
            Some(l) => Ok(self.row(Sect::Xsections, l, format!("link {id}"))),
            None => Err(r.err(format!(
                "has no [XSECTIONS] line (expected a line `{id} SHAPE geom1 geom2 geom3 geom4`)"
            ))),
        }
    }

    /// The shape of an `[XSECTIONS]` row, in SI.
    fn xsection(&self, x: &Row) -> Result<XSection, InpError> {
        let len = self.u.length();
        let exp = format!("one of {SHAPES_SUPPORTED}");
        let shape = key(x.tok(1, "shape", &exp)?);
        let pos = |i: usize, name: &str| x.num(i, name, Kind::Pos, len);
        let nonneg = |i: usize, name: &str| x.num(i, name, Kind::NonNeg, len);
        Ok(match shape.as_str() {
            "CIRCULAR" => XSection::Circular {
                d: pos(2, "diameter (geom1)")?,
            },
            "FORCE_MAIN" => XSection::ForceMain {
                d: pos(2, "diameter (geom1)")?,
                c: if self.o.force_main_dw {
                    x.num(
                        3,
                        "D-W roughness height (geom2)",
                        Kind::Pos,
                        self.u.depth_m(),
                    )?
                } else {
                    x.num(3, "H-W C-factor (geom2)", Kind::Pos, NONE)?
                },
            },
            "RECT_CLOSED" => XSection::RectClosed {
                h: pos(2, "height (geom1)")?,
                w: pos(3, "width (geom2)")?,
            },
            "RECT_OPEN" => XSection::RectOpen {
                h: pos(2, "height (geom1)")?,
                w: pos(3, "width (geom2)")?,
            },
            "TRAPEZOIDAL" => XSection::Trapezoidal {
                h: pos(2, "height (geom1)")?,
                w: nonneg(3, "bottom width (geom2)")?,
                z_left: x.num(4, "left side slope (geom3)", Kind::NonNeg, NONE)?,
                z_right: x.num(5, "right side slope (geom4)", Kind::NonNeg, NONE)?,
            },
            "TRIANGULAR" => XSection::Triangular {
                h: pos(2, "height (geom1)")?,
                w: pos(3, "top width (geom2)")?,
            },
            "DUMMY" => XSection::Dummy,
            other if SHAPES_SWMM_OTHER.contains(&other) => {
                return Err(x.err(format!(
                    "shape {other} is not supported (expected {SHAPES_SUPPORTED})"
                )));
            }
            other => {
                return Err(x.err(format!(
                    "unknown shape \"{other}\" (expected {SHAPES_SUPPORTED})"
                )));
            }
        })
    }

    fn link_def(r: &Row, id: &str, link: Link, what: &'static str) -> Def<Link> {
        Def {
            item: link,
            what,
            sect: r.sect,
            line: r.no,
            id: id.to_string(),
        }
    }

    fn conduit(&self, l: &'a Line, xs: &HashMap<String, &'a Line>) -> Result<Def<Link>, InpError> {
        let r = self.obj_row(Sect::Conduits, l, "conduit");
        let id = r.id()?;
        let from = self.node_ref(&r, 1, "from node")?;
        let to = self.node_ref(&r, 2, "to node")?;
        let (len, flow) = (self.u.length(), self.u.flow());
        let length_m = r.num(3, "length", Kind::Pos, len)?;
        let roughness = r.num(4, "roughness", Kind::Pos, NONE)?;
        let from_offset_m = self.offset(&r, 5, "inlet offset", from)?;
        let to_offset_m = self.offset(&r, 6, "outlet offset", to)?;
        let init_flow = r.num_or(7, "initial flow", Kind::Any, flow, 0.0)?;
        let max_flow = r.num_or(8, "max flow", Kind::NonNeg, flow, 0.0)?;
        let x = self.xsect_row(&r, id, xs)?;
        let xsect = self.xsection(&x)?;
        // SWMM keeps the barrel count in a signed byte: at most 127.
        let barrels = if x.get(6).is_some() {
            x.whole(6, "barrels", 1, 127)?
        } else {
            1
        };
        let kind = LinkKind::Conduit(Conduit {
            length_m,
            roughness,
            init_flow,
            max_flow,
            xsect,
            barrels,
            losses: MinorLosses::default(),
        });
        let link = Link {
            id: id.to_string(),
            from,
            to,
            from_offset_m,
            to_offset_m,
            kind,
            line: r.no,
        };
        Ok(Self::link_def(&r, id, link, "conduit"))
    }

    fn pump(&self, l: &'a Line) -> Result<Def<Link>, InpError> {
        let r = self.obj_row(Sect::Pumps, l, "pump");
        let id = r.id()?;
        let from = self.node_ref(&r, 1, "from node")?;
        let to = self.node_ref(&r, 2, "to node")?;
        let curve = if r.get(3).is_none() || r.star(3) {
            None
        } else {
            Some(self.curve_ref(&r, 3, "pump curve", &PUMP_CURVES)?)
        };
        let len = self.u.length();
        let pump = Pump {
            curve,
            init_on: r.word_or(4, "status", &["ON", "OFF"], 0)? == 0,
            startup_depth_m: r.num_or(5, "startup depth", Kind::NonNeg, len, 0.0)?,
            shutoff_depth_m: r.num_or(6, "shutoff depth", Kind::NonNeg, len, 0.0)?,
        };
        let link = Link {
            id: id.to_string(),
            from,
            to,
            from_offset_m: 0.0,
            to_offset_m: 0.0,
            kind: LinkKind::Pump(pump),
            line: r.no,
        };
        Ok(Self::link_def(&r, id, link, "pump"))
    }

    fn orifice(&self, l: &'a Line, xs: &HashMap<String, &'a Line>) -> Result<Def<Link>, InpError> {
        let r = self.obj_row(Sect::Orifices, l, "orifice");
        let id = r.id()?;
        let from = self.node_ref(&r, 1, "from node")?;
        let to = self.node_ref(&r, 2, "to node")?;
        let bottom = r.word(3, "type", &["SIDE", "BOTTOM"])? == 1;
        let offset = self.offset(&r, 4, "offset", from)?;
        let cd = r.num(5, "discharge coefficient", Kind::NonNeg, NONE)?;
        let gated = r.yes_no_or(6, "gated", false)?;
        let close_time_s = r.num_or(7, "open/close time", Kind::NonNeg, HOURS, 0.0)?;
        let x = self.xsect_row(&r, id, xs)?;
        let xsect = self.xsection(&x)?;
        if !matches!(
            xsect,
            XSection::Circular { .. } | XSection::RectClosed { .. }
        ) {
            return Err(x.err(format!(
                "shape {} cannot be an orifice opening (expected CIRCULAR or RECT_CLOSED)",
                x.toks[1]
            )));
        }
        let kind = LinkKind::Orifice(Orifice {
            bottom,
            cd,
            gated,
            close_time_s,
            xsect,
        });
        let link = Link {
            id: id.to_string(),
            from,
            to,
            from_offset_m: offset,
            to_offset_m: offset,
            kind,
            line: r.no,
        };
        Ok(Self::link_def(&r, id, link, "orifice"))
    }

    fn weir(&self, l: &'a Line, xs: &HashMap<String, &'a Line>) -> Result<Def<Link>, InpError> {
        let r = self.obj_row(Sect::Weirs, l, "weir");
        let id = r.id()?;
        let from = self.node_ref(&r, 1, "from node")?;
        let to = self.node_ref(&r, 2, "to node")?;
        let kind = WEIR_WORDS[r.word(3, "type", &WEIR_WORDS)?];
        let crest = self.offset(&r, 4, "crest height", from)?;
        let cd_unit = self.u.weir_cd();
        let cd = r.num(5, "discharge coefficient", Kind::NonNeg, cd_unit)?;
        let gated = r.yes_no_or(6, "gated", false)?;
        let end_contractions = if r.get(7).is_none() || r.star(7) {
            0
        } else {
            r.whole(7, "end contractions", 0, 2)?
        };
        let cd_ends = if r.get(8).is_none() || r.star(8) {
            0.0
        } else {
            r.num(8, "end coefficient", Kind::NonNeg, cd_unit)?
        };
        let can_surcharge = r.yes_no_or(9, "surcharge", true)?;
        if r.get(12).is_some() && !r.star(12) {
            return Err(r.err(
                "weir coefficient curves are not supported (expected * or nothing in the 13th \
                 column)",
            ));
        }
        let x = self.xsect_row(&r, id, xs)?;
        let xsect = self.weir_xsection(&x, kind)?;
        let weir = Weir {
            kind: kind.to_string(),
            cd,
            cd_ends,
            gated,
            end_contractions,
            xsect,
            can_surcharge,
        };
        let link = Link {
            id: id.to_string(),
            from,
            to,
            from_offset_m: crest,
            to_offset_m: crest,
            kind: LinkKind::Weir(weir),
            line: r.no,
        };
        Ok(Self::link_def(&r, id, link, "weir"))
    }

    /// A weir's opening: the shape its type needs.
    fn weir_xsection(&self, x: &Row, kind: &str) -> Result<XSection, InpError> {
        let xsect = self.xsection(x)?;
        let (ok, need) = match kind {
            "V-NOTCH" => (matches!(xsect, XSection::Triangular { .. }), "TRIANGULAR"),
            "TRAPEZOIDAL" => (matches!(xsect, XSection::Trapezoidal { .. }), "TRAPEZOIDAL"),
            _ => (matches!(xsect, XSection::RectOpen { .. }), "RECT_OPEN"),
        };
        if ok {
            Ok(xsect)
        } else {
            Err(x.err(format!(
                "shape {} does not fit a {kind} weir (expected {need})",
                x.toks[1]
            )))
        }
    }

    /// An outlet. A functional rating `Q = c·h^e` holds in the file's flow units with h
    /// in ft (US) or m (SI): `Q_SI = to_cms·c·(h_m/len)^e`, so
    /// `c_SI = c·to_cms·len^(−e)` with `len` 0.3048 (US) or 1 (SI).
    fn outlet(&self, l: &'a Line) -> Result<Def<Link>, InpError> {
        let r = self.obj_row(Sect::Outlets, l, "outlet");
        let id = r.id()?;
        let from = self.node_ref(&r, 1, "from node")?;
        let to = self.node_ref(&r, 2, "to node")?;
        let offset = self.offset(&r, 3, "offset", from)?;
        let types = "FUNCTIONAL/DEPTH, FUNCTIONAL/HEAD, TABULAR/DEPTH or TABULAR/HEAD";
        let ty = key(r.tok(4, "type", types)?);
        let (base, qual) = ty.split_once('/').unwrap_or((ty.as_str(), "DEPTH"));
        let by_head = match (base, qual) {
            ("FUNCTIONAL" | "TABULAR", "DEPTH") => false,
            ("FUNCTIONAL" | "TABULAR", "HEAD") => true,
            _ => {
                return Err(r.err(format!(
                    "type \"{}\" is not recognised (expected {types})",
                    r.toks[4]
                )));
            }
        };
        let (rating, gate_at) = if base == "FUNCTIONAL" {
            let c = r.num(5, "coefficient", Kind::NonNeg, NONE)?;
            let e = r.num(6, "exponent", Kind::Any, NONE)?;
            let c_si = c * self.u.flow().f * self.u.length().f.powf(-e);
            let c = r.finite_si(c_si, &r.toks[5], "coefficient", "a number ≥ 0")?;
            (OutletRating::Functional { c, e }, 7)
        } else {
            let curve = self.curve_ref(&r, 5, "rating curve", &[CurveKind::Rating])?;
            (OutletRating::Tabular(curve), 6)
        };
        let outlet = Outlet {
            by_head,
            rating,
            gated: r.yes_no_or(gate_at, "gated", false)?,
        };
        let link = Link {
            id: id.to_string(),
            from,
            to,
            from_offset_m: offset,
            to_offset_m: offset,
            kind: LinkKind::Outlet(outlet),
            line: r.no,
        };
        Ok(Self::link_def(&r, id, link, "outlet"))
    }

    fn losses(&mut self) -> Result<(), InpError> {
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for l in self.lines(Sect::Losses) {
            let r = self.obj_row(Sect::Losses, l, "link");
            let j = self.link_ref(&r, 0, "link")?;
            if let Some(first) = seen.insert(j, r.no) {
                return Err(r.err(format!(
                    "a second [LOSSES] line (the first is at line {first}; expected one per link)"
                )));
            }
            let losses = MinorLosses {
                entry: r.num(1, "entry loss", Kind::NonNeg, NONE)?,
                exit: r.num(2, "exit loss", Kind::NonNeg, NONE)?,
                avg: r.num(3, "average loss", Kind::NonNeg, NONE)?,
                flap_gate: r.yes_no_or(4, "flap gate", false)?,
                seepage_mm_h: r.num_or(5, "seepage rate", Kind::NonNeg, self.u.rate(), 0.0)?,
            };
            // SWMM keeps losses of other link types but uses them only for conduits.
            if let LinkKind::Conduit(c) = &mut self.net.links[j].kind {
                c.losses = losses;
            }
        }
        Ok(())
    }

    // --- subcatchments -----------------------------------------------------------------

    fn subcatchments(&mut self) -> Result<(), InpError> {
        let lines = self.lines(Sect::Subcatchments);
        let mut seen = HashMap::new();
        for (i, l) in lines.iter().enumerate() {
            let r = self.obj_row(Sect::Subcatchments, l, "subcatchment");
            let id = r.id()?;
            Self::unique(&mut self.ix.subs, &mut seen, &r, id, "subcatchment", i)?;
        }
        let areas = self.lines_by_sub(Sect::Subareas)?;
        let infil = self.lines_by_sub(Sect::Infiltration)?;
        for (i, l) in lines.iter().enumerate() {
            let s = self.subcatchment(i, l, &areas, &infil)?;
            self.net.subcatchments.push(s);
        }
        Ok(())
    }

    /// Lines of a per-subcatchment section by subcatchment index.
    fn lines_by_sub(&self, sect: Sect) -> Result<HashMap<usize, &'a Line>, InpError> {
        let mut map: HashMap<usize, &'a Line> = HashMap::new();
        for l in self.lines(sect) {
            let r = self.obj_row(sect, l, "subcatchment");
            let exp = "the id of a subcatchment in [SUBCATCHMENTS]";
            let s = self.lookup(&r, 0, "subcatchment", &self.ix.subs, exp)?;
            if let Some(first) = map.insert(s, l) {
                return Err(r.err(format!(
                    "a second [{}] line (the first is at line {}; expected one per subcatchment)",
                    sect.name(),
                    first.no
                )));
            }
        }
        Ok(map)
    }

    fn subcatchment(
        &self,
        i: usize,
        l: &'a Line,
        areas: &HashMap<usize, &'a Line>,
        infil: &HashMap<usize, &'a Line>,
    ) -> Result<Subcatchment, InpError> {
        let r = self.obj_row(Sect::Subcatchments, l, "subcatchment");
        let id = r.id()?;
        let exp = "the id of a rain gauge in [RAINGAGES]";
        let raingage = self.lookup(&r, 1, "rain gauge", &self.ix.gages, exp)?;
        let outlet = self.sub_outlet(&r, i)?;
        let area_m2 = r.num(3, "area", Kind::NonNeg, self.u.land())?;
        let imperv = r.num(4, "% impervious", Kind::Pct, Unit { name: "%", f: 0.01 })?;
        let width_m = r.num(5, "width", Kind::NonNeg, self.u.length())?;
        let slope = r.num(6, "% slope", Kind::NonNeg, Unit { name: "%", f: 0.01 })?;
        r.num(7, "curb length", Kind::NonNeg, NONE)?;
        let Some(&area_line) = areas.get(&i) else {
            return Err(r.err(format!(
                "has no [SUBAREAS] line (expected `{id} N-Imperv N-Perv S-Imperv S-Perv PctZero \
                 RouteTo`)"
            )));
        };
        let mut s = Subcatchment {
            id: id.to_string(),
            raingage,
            outlet,
            area_m2,
            imperv,
            width_m,
            slope,
            n_imperv: 0.0,
            n_perv: 0.0,
            s_imperv_m: 0.0,
            s_perv_m: 0.0,
            pct_zero: 0.0,
            route_to: "OUTLET".into(),
            pct_routed: 1.0,
            infiltration: SubInfiltration::None,
        };
        self.subareas(&mut s, area_line)?;
        if let Some(l) = infil.get(&i) {
            s.infiltration = self.infiltration(l)?;
        }
        Ok(s)
    }

    /// Where subcatchment `i` drains: a node, else another subcatchment.
    fn sub_outlet(&self, r: &Row, i: usize) -> Result<SubOutlet, InpError> {
        let exp = "the id of a node or of another subcatchment";
        let tok = r.tok(2, "outlet", exp)?;
        if let Some(&n) = self.ix.nodes.get(&key(tok)) {
            return Ok(SubOutlet::Node(n));
        }
        match self.ix.subs.get(&key(tok)) {
            Some(&s) if s == i => Err(r.err(format!(
                "outlet \"{tok}\" is the subcatchment itself (expected {exp})"
            ))),
            Some(&s) => Ok(SubOutlet::Subcatchment(s)),
            None => Err(r.err(format!("outlet \"{tok}\" is not defined (expected {exp})"))),
        }
    }

    fn subareas(&self, s: &mut Subcatchment, l: &'a Line) -> Result<(), InpError> {
        let r = self.obj_row(Sect::Subareas, l, "subcatchment");
        let pct = Unit { name: "%", f: 0.01 };
        s.n_imperv = r.num(1, "N-Imperv", Kind::NonNeg, NONE)?;
        s.n_perv = r.num(2, "N-Perv", Kind::NonNeg, NONE)?;
        s.s_imperv_m = r.num(3, "S-Imperv", Kind::NonNeg, self.u.depth_m())?;
        s.s_perv_m = r.num(4, "S-Perv", Kind::NonNeg, self.u.depth_m())?;
        s.pct_zero = r.num(5, "PctZero", Kind::Pct, pct)?;
        let routes = ["OUTLET", "IMPERVIOUS", "PERVIOUS"];
        s.route_to = routes[r.word(6, "RouteTo", &routes)?].to_string();
        s.pct_routed = r.num_or(7, "PctRouted", Kind::Pct, pct, 1.0)?;
        Ok(())
    }

    fn infiltration(&self, l: &'a Line) -> Result<SubInfiltration, InpError> {
        let mut r = self.obj_row(Sect::Infiltration, l, "subcatchment");
        let mut method = self.o.infil;
        if let Some(k) = r
            .toks
            .last()
            .and_then(|t| INFIL_WORDS.iter().position(|w| *w == key(t)))
        {
            method = infil_of(k);
            r.toks = &r.toks[..r.toks.len() - 1];
        }
        let (rate, depth) = (self.u.rate(), self.u.depth_mm());
        Ok(match method {
            Infil::Horton => {
                let max_mm_h = r.num(1, "max rate", Kind::NonNeg, rate)?;
                let min_mm_h = r.num(2, "min rate", Kind::NonNeg, rate)?;
                if max_mm_h < min_mm_h {
                    return Err(r.err(format!(
                        "max rate {} is below min rate {} (expected max ≥ min)",
                        r.toks[1], r.toks[2]
                    )));
                }
                SubInfiltration::Horton {
                    max_mm_h,
                    min_mm_h,
                    decay_per_h: r.num(
                        3,
                        "decay",
                        Kind::NonNeg,
                        Unit {
                            name: "1/h",
                            f: 1.0,
                        },
                    )?,
                    dry_days: r.num(
                        4,
                        "drying time",
                        Kind::NonNeg,
                        Unit {
                            name: "days",
                            f: 1.0,
                        },
                    )?,
                    max_mm: r.num_or(5, "max volume", Kind::NonNeg, depth, 0.0)?,
                }
            }
            Infil::GreenAmpt => SubInfiltration::GreenAmpt {
                suction_mm: r.num(1, "suction head", Kind::NonNeg, depth)?,
                ksat_mm_h: r.num(2, "conductivity", Kind::Pos, rate)?,
                deficit: r.num(3, "initial deficit", Kind::Frac, NONE)?,
            },
            Infil::CurveNumber => {
                let cn = r.num(1, "curve number", Kind::Pos, NONE)?;
                if cn > 100.0 {
                    return Err(r.err(format!(
                        "curve number {} is out of range (expected a number from 0 to 100)",
                        r.toks[1]
                    )));
                }
                r.num(2, "conductivity (unused)", Kind::Any, NONE)?;
                r.num(
                    3,
                    "drying time",
                    Kind::Pos,
                    Unit {
                        name: "days",
                        f: 1.0,
                    },
                )?;
                SubInfiltration::CurveNumber { cn }
            }
        })
    }

    // --- [INFLOWS] -----------------------------------------------------------------------

    fn inflows(&mut self) -> Result<(), InpError> {
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for l in self.lines(Sect::Inflows) {
            let r = self.obj_row(Sect::Inflows, l, "inflow to node");
            let node = self.node_ref(&r, 0, "node")?;
            let constituent = r.tok(1, "constituent", "FLOW or a pollutant name")?;
            if key(constituent) != "FLOW" {
                continue;
            }
            if let Some(first) = seen.insert(node, r.no) {
                return Err(r.err(format!(
                    "a second FLOW inflow (the first is at line {first}; expected one per node)"
                )));
            }
            let series = match r.tok(2, "time series", "a series name or \"\"")? {
                "" => None,
                _ => Some(self.series_ref(&r, 2, "time series")?),
            };
            if r.get(3).is_some() {
                r.word(3, "type", &["FLOW"])?;
            }
            // The units factor (Mfactor) of a FLOW inflow is not used by SWMM.
            r.num_or(4, "units factor", Kind::Any, NONE, 1.0)?;
            let sf = r.num_or(5, "scale factor", Kind::Any, NONE, 1.0)?;
            let flow = self.u.flow();
            let baseline = r.num_or(6, "baseline", Kind::Any, flow, 0.0)?;
            // |sf| is finite and the units factor at most 1: the product is finite.
            let scale = sf * flow.f;
            self.net.inflows.push(Inflow {
                node,
                series,
                scale,
                baseline,
            });
        }
        Ok(())
    }

    // --- [CONTROLS] ----------------------------------------------------------------------

    fn controls(&mut self) -> Result<(), InpError> {
        let mut state = RuleState::None;
        let mut seen = HashMap::new();
        let mut rules_ix = HashMap::new();
        for l in self.lines(Sect::Controls) {
            let kw = key(&l.toks[0]);
            let what = match self.net.controls.last() {
                Some(rule) if kw != "RULE" => format!("rule {}", rule.id),
                _ => format!("{kw} clause"),
            };
            let r = self.row(Sect::Controls, l, what);
            if kw == "RULE" {
                let id = r.tok(1, "rule id", "a name after RULE")?;
                let r = self.row(Sect::Controls, l, format!("rule {id}"));
                no_more(&r, 2)?;
                let n = self.net.controls.len();
                Self::unique(&mut rules_ix, &mut seen, &r, id, "rule", n)?;
                self.net.controls.push(Rule {
                    id: id.to_string(),
                    conditions: Vec::new(),
                    then: Vec::new(),
                    otherwise: Vec::new(),
                    priority: 0.0,
                    line: r.no,
                });
                state = RuleState::Rule;
                continue;
            }
            state = self.rule_clause(&r, &kw, state)?;
        }
        Ok(())
    }

    /// One clause of the current rule; the new state.
    fn rule_clause(&mut self, r: &Row, kw: &str, state: RuleState) -> Result<RuleState, InpError> {
        use RuleState as S;
        let order = |need: &str| {
            r.err(format!(
                "{kw} is out of order (expected {need}; a rule reads RULE id, IF, AND/OR, THEN, \
                 AND, ELSE, AND, PRIORITY)"
            ))
        };
        if state == S::None {
            return Err(order("RULE id first"));
        }
        match (kw, state) {
            ("IF", S::Rule) => self.push_condition(r, true).map(|_| S::If),
            ("IF", _) => Err(order("IF right after RULE")),
            ("AND", S::If) | ("OR", S::If) => self.push_condition(r, kw == "AND").map(|_| S::If),
            ("AND", S::Then) | ("AND", S::Else) => self.push_action(r, state).map(|_| state),
            ("AND", _) => Err(order("AND after IF, THEN or ELSE")),
            ("OR", _) => Err(order("OR among the IF premises")),
            ("THEN", S::If) => self.push_action(r, S::Then).map(|_| S::Then),
            ("THEN", _) => Err(order("THEN after the IF premises")),
            ("ELSE", S::Then) => self.push_action(r, S::Else).map(|_| S::Else),
            ("ELSE", _) => Err(order("ELSE after the THEN actions")),
            ("PRIORITY", S::Then) | ("PRIORITY", S::Else) => {
                let p = r.num(1, "priority", Kind::Any, NONE)?;
                no_more(r, 2)?;
                if let Some(rule) = self.net.controls.last_mut() {
                    rule.priority = p;
                }
                Ok(S::Priority)
            }
            ("PRIORITY", _) => Err(order("PRIORITY after the actions")),
            ("VARIABLE" | "EXPRESSION", _) => Err(r.err(format!(
                "{kw} definitions are not supported (expected premises on objects: NODE, LINK, \
                 CONDUIT, PUMP, ORIFICE, WEIR, OUTLET or SIMULATION)"
            ))),
            _ => Err(r.err(format!(
                "\"{}\" is not a rule keyword (expected RULE, IF, AND, OR, THEN, ELSE or \
                 PRIORITY)",
                r.toks[0]
            ))),
        }
    }

    fn push_condition(&mut self, r: &Row, and: bool) -> Result<(), InpError> {
        let (subject, vk, next) = self.subject(r, 1)?;
        let rels = ["=", "<>", "<", "<=", ">", ">="];
        let relation = match r.word(next, "relation", &rels)? {
            0 => Relation::Eq,
            1 => Relation::Ne,
            2 => Relation::Lt,
            3 => Relation::Le,
            4 => Relation::Gt,
            _ => Relation::Ge,
        };
        let at = next + 1;
        let tok = r.tok(at, "value", "a number or an object attribute")?;
        let (value, end) = if OBJECT_WORDS.contains(&key(tok).as_str()) {
            let (s, _, end) = self.subject(r, at)?;
            (Operand::Subject(s), end)
        } else {
            (Operand::Value(self.premise_value(r, at, vk)?), at + 1)
        };
        no_more(r, end)?;
        if let Some(rule) = self.net.controls.last_mut() {
            rule.conditions.push((
                and,
                Condition {
                    subject,
                    relation,
                    value,
                },
            ));
        }
        Ok(())
    }

    /// A premise variable at token `i`: the subject, how its values read, the next token.
    fn subject(&self, r: &Row, i: usize) -> Result<(Subject, ValueKind, usize), InpError> {
        let obj = key(r.tok(i, "object", OBJECTS_EXPECTED)?);
        if obj == "SIMULATION" {
            let attr = key(r.tok(i + 1, "attribute", "TIME or CLOCKTIME")?);
            return match attr.as_str() {
                "TIME" => Ok((Subject::Time, ValueKind::Time, i + 2)),
                "CLOCKTIME" => Ok((Subject::ClockTime, ValueKind::Time, i + 2)),
                _ => Err(r.err(format!(
                    "SIMULATION {attr} premises are not supported (expected TIME or CLOCKTIME)"
                ))),
            };
        }
        let attrs: &[&str] = match obj.as_str() {
            "NODE" => &["DEPTH", "HEAD", "INFLOW"],
            "LINK" | "CONDUIT" => &["FLOW", "DEPTH", "STATUS"],
            "PUMP" => &["FLOW", "STATUS", "SETTING"],
            "ORIFICE" | "WEIR" | "OUTLET" => &["FLOW", "SETTING"],
            _ => {
                return Err(r.err(format!(
                    "premises on \"{}\" are not supported (expected {OBJECTS_EXPECTED})",
                    r.toks[i]
                )));
            }
        };
        let n = if obj == "NODE" {
            self.node_ref(r, i + 1, "node")?
        } else {
            self.link_ref(r, i + 1, "link")?
        };
        let attr = attrs[r.word(i + 2, &format!("{obj} attribute"), attrs)?];
        let (s, vk) = match (obj.as_str(), attr) {
            ("NODE", "DEPTH") => (Subject::NodeDepth(n), ValueKind::Length),
            ("NODE", "HEAD") => (Subject::NodeHead(n), ValueKind::Length),
            ("NODE", _) => (Subject::NodeInflow(n), ValueKind::Flow),
            (_, "FLOW") => (Subject::LinkFlow(n), ValueKind::Flow),
            (_, "DEPTH") => (Subject::LinkDepth(n), ValueKind::Length),
            (_, "STATUS") => (Subject::LinkStatus(n), ValueKind::Status),
            _ => (Subject::LinkSetting(n), ValueKind::Number),
        };
        Ok((s, vk, i + 3))
    }

    /// The value of a premise at token `i`, in SI.
    fn premise_value(&self, r: &Row, i: usize, vk: ValueKind) -> Result<f64, InpError> {
        match vk {
            ValueKind::Length => r.num(i, "value", Kind::Any, self.u.length()),
            ValueKind::Flow => r.num(i, "value", Kind::Any, self.u.flow()),
            ValueKind::Number => r.num(i, "value", Kind::Any, NONE),
            ValueKind::Time => r.clock(i, "time"),
            ValueKind::Status => {
                let w = ["OFF", "ON", "CLOSED", "OPEN"];
                Ok(if r.word(i, "status", &w)? % 2 == 1 {
                    1.0
                } else {
                    0.0
                })
            }
        }
    }

    fn push_action(&mut self, r: &Row, state: RuleState) -> Result<(), InpError> {
        let objs = ["PUMP", "ORIFICE", "WEIR", "OUTLET", "CONDUIT"];
        let obj = objs[r.word(1, "object", &objs)?];
        let link = self.link_ref(r, 2, "link")?;
        let ok = matches!(
            (obj, &self.net.links[link].kind),
            ("PUMP", LinkKind::Pump(_))
                | ("ORIFICE", LinkKind::Orifice(_))
                | ("WEIR", LinkKind::Weir(_))
                | ("OUTLET", LinkKind::Outlet(_))
                | ("CONDUIT", LinkKind::Conduit(_))
        );
        if !ok {
            return Err(r.err(format!(
                "link \"{}\" is not a {} (expected the id of a {})",
                r.toks[2],
                obj.to_ascii_lowercase(),
                obj.to_ascii_lowercase()
            )));
        }
        let attrs: &[&str] = match obj {
            "PUMP" | "CONDUIT" => &["STATUS", "SETTING"],
            _ => &["SETTING"],
        };
        let attr = attrs[r.word(3, &format!("{obj} attribute"), attrs)?];
        r.word(4, "operator", &["="])?;
        let setting = self.action_setting(r, obj, attr)?;
        no_more(r, 6)?;
        if let Some(rule) = self.net.controls.last_mut() {
            let list = if state == RuleState::Else {
                &mut rule.otherwise
            } else {
                &mut rule.then
            };
            list.push(Action { link, setting });
        }
        Ok(())
    }

    /// The setting of an action (token 5).
    fn action_setting(&self, r: &Row, obj: &str, attr: &str) -> Result<f64, InpError> {
        if attr == "STATUS" {
            let w: [&str; 2] = if obj == "PUMP" {
                ["OFF", "ON"]
            } else {
                ["CLOSED", "OPEN"]
            };
            return Ok(r.word(5, "status", &w)? as f64);
        }
        if let Some(t) = r.get(5)
            && ["CURVE", "TIMESERIES", "PID"].contains(&key(t).as_str())
        {
            return Err(r.err(format!(
                "modulated {} settings are not supported (expected a number)",
                key(t)
            )));
        }
        if obj == "PUMP" || obj == "CONDUIT" {
            r.num(5, "setting", Kind::NonNeg, NONE)
        } else {
            r.num(5, "setting", Kind::Frac, NONE)
        }
    }

    // --- [COORDINATES] and outfall stage series -----------------------------------------

    fn coordinates(&mut self) -> Result<(), InpError> {
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for l in self.lines(Sect::Coordinates) {
            let r = self.obj_row(Sect::Coordinates, l, "node");
            let n = self.node_ref(&r, 0, "node")?;
            if let Some(first) = seen.insert(n, r.no) {
                return Err(r.err(format!(
                    "a second position (the first is at line {first}; expected one per node)"
                )));
            }
            let x = r.num(1, "x", Kind::Any, NONE)?;
            let y = r.num(2, "y", Kind::Any, NONE)?;
            self.net.nodes[n].xy = Some((x, y));
        }
        Ok(())
    }

    /// In a US file, give outfalls whose stage is a time series a copy of it in metres.
    fn stage_series_in_metres(&mut self) {
        if !self.u.us {
            return;
        }
        let mut copies: HashMap<usize, usize> = HashMap::new();
        for &n in &self.stage_outfalls {
            let NodeKind::Outfall {
                boundary: OutfallBoundary::Timeseries(s),
                ..
            } = &mut self.net.nodes[n].kind
            else {
                continue;
            };
            let copy = *copies.entry(*s).or_insert_with(|| {
                let src = &self.net.timeseries[*s];
                let mut id = format!("{} (m)", src.id);
                while self.ix.series.contains_key(&key(&id)) {
                    id.push('\'');
                }
                let points = src.points.iter().map(|&(t, v)| (t, v * FT)).collect();
                self.ix.series.insert(key(&id), self.net.timeseries.len());
                self.net.timeseries.push(TimeSeries { id, points });
                self.net.timeseries.len() - 1
            });
            *s = copy;
        }
    }
}

/// How the value of a premise reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Length,
    Flow,
    Number,
    Status,
    Time,
}

/// Where a rule is in its clauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleState {
    None,
    Rule,
    If,
    Then,
    Else,
    Priority,
}

/// Object words that start a premise variable.
const OBJECT_WORDS: [&str; 9] = [
    "NODE",
    "LINK",
    "CONDUIT",
    "PUMP",
    "ORIFICE",
    "WEIR",
    "OUTLET",
    "SIMULATION",
    "GAGE",
];
const OBJECTS_EXPECTED: &str = "NODE, LINK, CONDUIT, PUMP, ORIFICE, WEIR, OUTLET or SIMULATION";

/// Fail if the row has tokens from `n` on.
fn no_more(r: &Row, n: usize) -> Result<(), InpError> {
    match r.get(n) {
        Some(t) => Err(r.err(format!(
            "unexpected \"{t}\" after the clause (expected one clause per line)"
        ))),
        None => Ok(()),
    }
}

/// Time of day of a START_TIME/END_TIME option, seconds.
fn time_of_day(r: &Row) -> Result<f64, InpError> {
    let t = r.clock(1, "value")?;
    if t < 0.0 {
        return Err(r.err(format!(
            "value {} is negative (expected a time of day H:MM[:SS])",
            r.toks[1]
        )));
    }
    Ok(t)
}

/// A step option in decimal hours or `H:MM:SS`, positive, seconds.
fn positive_clock(r: &Row) -> Result<f64, InpError> {
    let t = r.clock(1, "value")?;
    if !(t > 0.0) {
        return Err(r.err(format!(
            "value {} is not positive (expected H:MM:SS or decimal hours > 0)",
            r.toks[1]
        )));
    }
    Ok(t)
}

/// A step option in decimal seconds or `H:MM:SS`, seconds.
fn seconds_or_clock(r: &Row, kind: Kind) -> Result<f64, InpError> {
    let exp = "decimal seconds or H:MM:SS";
    let tok = r.tok(1, "value", exp)?;
    let t = match finite(tok) {
        Some(s) => s,
        None if tok.contains(':') => r.clock(1, "value")?,
        None => {
            return Err(r.err(format!(
                "value \"{tok}\" is not a time step (expected {exp})"
            )));
        }
    };
    if matches!(kind, Kind::Pos) && !(t > 0.0) {
        return Err(r.err(format!("value {tok} is not positive (expected {exp} > 0)")));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_on_space_with_quotes_and_comments() {
        assert_eq!(tokenize("  a\tb  ; c d"), ["a", "b"]);
        assert_eq!(
            tokenize("J1 FLOW \"\" FLOW 1"),
            ["J1", "FLOW", "", "FLOW", "1"]
        );
        assert_eq!(tokenize("\"two words\" x"), ["two words", "x"]);
        assert_eq!(tokenize("\"unclosed"), ["unclosed"]);
        assert!(tokenize(";; only a comment").is_empty());
    }

    #[test]
    fn sections_match_by_their_start_like_swmm() {
        assert_eq!(find_section("JUNCTIONS"), Some(Sect::Junctions));
        assert_eq!(find_section("POLYGONS"), Some(Sect::Skipped));
        assert_eq!(find_section("INLET_USAGE"), Some(Sect::Skipped));
        assert_eq!(find_section("INFLOWS"), Some(Sect::Inflows));
        assert_eq!(find_section("INFILTRATION"), Some(Sect::Infiltration));
        assert_eq!(find_section("FOO"), None);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("01/01/1970"), Some(0));
        assert_eq!(parse_date("1/2/1970"), Some(1));
        assert_eq!(
            parse_date("03/01/2024").zip(parse_date("02/28/2024")),
            Some((19783, 19781))
        );
        assert_eq!(parse_date("FEB/29/2023"), None);
        assert_eq!(parse_date("13/01/2020"), None);
        assert_eq!(parse_clock("0:05"), Some(300.0));
        assert_eq!(parse_clock("04:00:00"), Some(14_400.0));
        assert_eq!(parse_clock(".125"), Some(450.0));
        assert_eq!(parse_clock("27:00"), Some(97_200.0));
        assert_eq!(parse_clock("1:-5"), None);
        assert_eq!(parse_clock("nan"), None);
        assert_eq!(parse_clock("1e308"), None);
        assert!(
            looks_like_date("01/02/2020") && !looks_like_date("-1") && !looks_like_date("1:00")
        );
    }

    #[test]
    fn weir_coefficient_3_33_us_is_1_84_si() {
        assert!((weir_cd(3.33) - 1.838).abs() < 1e-3);
    }

    #[test]
    fn non_utf8_bytes_are_fine_in_comments_only() {
        let ok = decode_inp("a.inp", b"[TITLE]\nx ; caf\xe9\n").unwrap();
        assert!(ok.starts_with("[TITLE]\nx ; caf"));
        let e = decode_inp("a.inp", b"[JUNCTIONS]\nJ\xe9 1\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(e.to_string().contains("[JUNCTIONS]") && e.to_string().contains("0xE9"));
    }

    #[test]
    fn old_mac_line_ends_are_lines() {
        assert_eq!(text_lines("a\rb"), ["a", "b"]);
        assert_eq!(text_lines("a\r\nb\n"), ["a", "b", ""]);
    }
}
