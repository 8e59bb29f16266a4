//! The drainage network as the router sees it: nodes (junctions, outfalls, storage),
//! links (conduits, pumps, orifices, weirs, outlets), subcatchments and their rain
//! gauges, curves, time series, external inflows and control rules.
//!
//! Everything is in SI units, whatever the source file used: lengths in metres, areas
//! in m², flows in m³/s, times in seconds from the start of the simulation, rain and
//! infiltration rates in mm/h. Link offsets are always depths above the node invert
//! (a file with `LINK_OFFSETS ELEVATION` is converted on reading). Nodes and links refer
//! to each other by index into [`Network::nodes`] / [`Network::links`]; ids are kept
//! for messages and outputs.

use serde::{Deserialize, Serialize};

/// A whole network with its forcing and options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// `[TITLE]` text (lines joined with newlines).
    pub title: String,
    /// `[OPTIONS]` that matter to routing.
    pub options: Options,
    /// Junctions, outfalls, storage units and dividers, in file order.
    pub nodes: Vec<Node>,
    /// Conduits, pumps, orifices, weirs and outlets, in file order.
    pub links: Vec<Link>,
    /// Subcatchments (network-only mode), in file order.
    pub subcatchments: Vec<Subcatchment>,
    /// Rain gauges.
    pub raingages: Vec<RainGage>,
    /// Curves (pump, storage, rating, tidal, …).
    pub curves: Vec<Curve>,
    /// Time series, values in the file's units (their meaning depends on the user).
    pub timeseries: Vec<TimeSeries>,
    /// External (direct) inflows to nodes, m³/s after scaling.
    pub inflows: Vec<Inflow>,
    /// Control rules, in file order.
    pub controls: Vec<Rule>,
    /// Sections present in the file that the router does not use, with the line of
    /// their header: listed for the user, not silently dropped.
    pub skipped: Vec<(String, usize)>,
}

/// Routing options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// The flow units the file used (everything here is converted to SI).
    pub flow_units: FlowUnits,
    /// Routing method requested by the file (the router always solves dynamic wave).
    pub routing: String,
    /// Whether flooded nodes pond (keep their overflow and take it back) instead of
    /// losing it.
    pub allow_ponding: bool,
    /// Simulation start, seconds after the start date's midnight (usually 0).
    pub start_s: f64,
    /// Simulation end, seconds after the start.
    pub end_s: f64,
    /// Reporting step, s.
    pub report_step_s: f64,
    /// Runoff time step in wet weather, s.
    pub wet_step_s: f64,
    /// Runoff time step in dry weather, s.
    pub dry_step_s: f64,
    /// Routing time step, s.
    pub routing_step_s: f64,
    /// Minimum nodal surface area, m² (SWMM's `MIN_SURFAREA`; 0: its default 1.167 m²).
    pub min_surfarea_m2: f64,
    /// Head convergence tolerance, m.
    pub head_tolerance_m: f64,
    /// Maximum trials per routing step.
    pub max_trials: u32,
    /// Minimum conduit slope (fraction; 0 = none).
    pub min_slope: f64,
    /// Inertial damping: `NONE`, `PARTIAL` (default) or `FULL`.
    pub inertial_damping: String,
    /// Normal-flow limitation: `SLOPE`, `FROUDE` or `BOTH` (default).
    pub normal_flow_limited: String,
    /// Force-main equation: `H-W` or `D-W`.
    pub force_main_equation: String,
    /// Variable step safety factor (0: fixed step).
    pub variable_step: f64,
    /// Conduit lengthening step, s (0: none).
    pub lengthening_step_s: f64,
    /// Minimum variable step, s.
    pub minimum_step_s: f64,
    /// Antecedent dry days.
    pub dry_days: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            flow_units: FlowUnits::Cms,
            routing: "DYNWAVE".into(),
            allow_ponding: false,
            start_s: 0.0,
            end_s: 86_400.0,
            report_step_s: 900.0,
            wet_step_s: 300.0,
            dry_step_s: 3600.0,
            routing_step_s: 20.0,
            min_surfarea_m2: 0.0,
            head_tolerance_m: 0.0015,
            max_trials: 8,
            min_slope: 0.0,
            inertial_damping: "PARTIAL".into(),
            normal_flow_limited: "BOTH".into(),
            force_main_equation: "H-W".into(),
            variable_step: 0.0,
            lengthening_step_s: 0.0,
            minimum_step_s: 0.5,
            dry_days: 0.0,
        }
    }
}

/// SWMM flow units: US (CFS, GPM, MGD — lengths in feet) or SI (CMS, LPS, MLD — metres).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowUnits {
    /// Cubic feet per second.
    Cfs,
    /// US gallons per minute.
    Gpm,
    /// Million US gallons per day.
    Mgd,
    /// Cubic metres per second.
    Cms,
    /// Litres per second.
    Lps,
    /// Million litres per day.
    Mld,
}

impl FlowUnits {
    /// Whether lengths in the file are in feet (and areas in acres, rain in in/h).
    pub fn is_us(self) -> bool {
        matches!(self, Self::Cfs | Self::Gpm | Self::Mgd)
    }
    /// Cubic metres per second in one of these units.
    pub fn to_cms(self) -> f64 {
        match self {
            Self::Cfs => 0.028_316_846_592,
            Self::Gpm => 0.028_316_846_592 / 448.831,
            Self::Mgd => 0.028_316_846_592 * 1.547_23,
            Self::Cms => 1.0,
            Self::Lps => 0.001,
            Self::Mld => 1.0 / 86.4,
        }
    }
}

/// A node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Id in the file.
    pub id: String,
    /// Junction, outfall or storage (dividers are read as junctions).
    pub kind: NodeKind,
    /// Invert elevation, m.
    pub invert_m: f64,
    /// Depth from invert to rim (ground), m (0 for an outfall: no rim).
    pub max_depth_m: f64,
    /// Initial water depth, m.
    pub init_depth_m: f64,
    /// Extra depth above the rim before the node floods (a bolted lid), m.
    pub sur_depth_m: f64,
    /// Area that ponds above the rim when ponding is allowed, m² (0: overflow is lost).
    pub ponded_area_m2: f64,
    /// Map position (the file's coordinates), if given.
    pub xy: Option<(f64, f64)>,
    /// Line of the node's definition in the file.
    pub line: usize,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A manhole or junction.
    Junction,
    /// An outfall: the downstream boundary.
    Outfall {
        /// Boundary condition.
        boundary: OutfallBoundary,
        /// Flap gate: no backflow into the network.
        gated: bool,
    },
    /// A storage unit (wet well, pond, tank).
    Storage {
        /// Surface area against depth.
        shape: StorageShape,
    },
}

/// An outfall's stage condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OutfallBoundary {
    /// Critical or normal depth in the connecting conduit, whichever is smaller.
    Free,
    /// Normal depth in the connecting conduit.
    Normal,
    /// A fixed stage (elevation), m.
    Fixed(f64),
    /// Stage (elevation, m) against hour of the day, by curve index.
    Tidal(usize),
    /// Stage (elevation, m) against time, by time series index.
    Timeseries(usize),
}

/// A storage unit's surface area against depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StorageShape {
    /// Area = `a`·depth^`b` + `c`, m² (coefficients already in SI).
    Functional {
        /// Coefficient.
        a: f64,
        /// Exponent.
        b: f64,
        /// Constant area, m².
        c: f64,
    },
    /// Area (m²) against depth (m), by curve index.
    Tabular(usize),
}

/// A link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Id in the file.
    pub id: String,
    /// Upstream node (index).
    pub from: usize,
    /// Downstream node (index).
    pub to: usize,
    /// Offset of the link's invert above the upstream node's invert, m.
    pub from_offset_m: f64,
    /// Offset of the link's invert above the downstream node's invert, m.
    pub to_offset_m: f64,
    /// What the link is.
    pub kind: LinkKind,
    /// Line of the link's definition in the file.
    pub line: usize,
}

/// What a link is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LinkKind {
    /// A pipe or channel.
    Conduit(Conduit),
    /// A pump.
    Pump(Pump),
    /// An orifice.
    Orifice(Orifice),
    /// A weir.
    Weir(Weir),
    /// An outlet: flow from a rating curve of head or depth.
    Outlet(Outlet),
}

/// A conduit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conduit {
    /// Length, m.
    pub length_m: f64,
    /// Manning's n.
    pub roughness: f64,
    /// Initial flow, m³/s.
    pub init_flow: f64,
    /// Flow limit, m³/s (0: none).
    pub max_flow: f64,
    /// Cross-section.
    pub xsect: XSection,
    /// Identical barrels.
    pub barrels: u32,
    /// Minor losses.
    pub losses: MinorLosses,
}

/// Minor loss coefficients of a conduit (`[LOSSES]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MinorLosses {
    /// Entrance loss coefficient.
    pub entry: f64,
    /// Exit loss coefficient.
    pub exit: f64,
    /// Average loss coefficient along the length.
    pub avg: f64,
    /// Flap gate: no reverse flow.
    pub flap_gate: bool,
    /// Seepage rate, mm/h.
    pub seepage_mm_h: f64,
}

/// A cross-section shape with its dimensions in metres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum XSection {
    /// Circular pipe of diameter `d`.
    Circular {
        /// Diameter, m.
        d: f64,
    },
    /// Force main (circular, pressurised): diameter and the friction coefficient
    /// (Hazen-Williams C or Darcy-Weisbach roughness height).
    ForceMain {
        /// Diameter, m.
        d: f64,
        /// Friction coefficient.
        c: f64,
    },
    /// Closed rectangle of height `h`, width `w`.
    RectClosed {
        /// Height, m.
        h: f64,
        /// Width, m.
        w: f64,
    },
    /// Open rectangular channel of depth `h`, width `w`.
    RectOpen {
        /// Full depth, m.
        h: f64,
        /// Width, m.
        w: f64,
    },
    /// Open trapezoidal channel: full depth, bottom width and the side slopes
    /// (horizontal per vertical) of the left and right sides.
    Trapezoidal {
        /// Full depth, m.
        h: f64,
        /// Bottom width, m.
        w: f64,
        /// Left side slope, m/m.
        z_left: f64,
        /// Right side slope, m/m.
        z_right: f64,
    },
    /// Open triangular channel of full depth `h` and top width `w`.
    Triangular {
        /// Full depth, m.
        h: f64,
        /// Top width, m.
        w: f64,
    },
    /// A dummy link: no geometry, no storage (pumps, or a conduit standing for one).
    Dummy,
}

impl XSection {
    /// Full depth, m (0 for a dummy).
    pub fn full_depth(&self) -> f64 {
        match *self {
            Self::Circular { d } | Self::ForceMain { d, .. } => d,
            Self::RectClosed { h, .. }
            | Self::RectOpen { h, .. }
            | Self::Trapezoidal { h, .. }
            | Self::Triangular { h, .. } => h,
            Self::Dummy => 0.0,
        }
    }
    /// Whether the section is closed (can pressurise).
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            Self::Circular { .. } | Self::ForceMain { .. } | Self::RectClosed { .. }
        )
    }
}

/// A pump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pump {
    /// Pump curve (index into [`Network::curves`]); `None`: an ideal pump (`*`), which
    /// passes its inflow.
    pub curve: Option<usize>,
    /// On at the start.
    pub init_on: bool,
    /// Depth at the inlet node at which the pump switches on, m (0: not used).
    pub startup_depth_m: f64,
    /// Depth at the inlet node at which it switches off, m (0: not used).
    pub shutoff_depth_m: f64,
}

/// An orifice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Orifice {
    /// In the side of the upstream node (`SIDE`) or its bottom (`BOTTOM`).
    pub bottom: bool,
    /// Discharge coefficient.
    pub cd: f64,
    /// Flap gate: no reverse flow.
    pub gated: bool,
    /// Time to open or close fully, s.
    pub close_time_s: f64,
    /// Opening: circular (`d` = diameter) or rectangular (`h` × `w`) closed section.
    pub xsect: XSection,
}

/// A weir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weir {
    /// `TRANSVERSE`, `SIDEFLOW`, `V-NOTCH`, `TRAPEZOIDAL` or `ROADWAY`.
    pub kind: String,
    /// Discharge coefficient (SI: Q = cd·L·h^1.5 with Q in m³/s, L and h in m).
    pub cd: f64,
    /// Coefficient of the triangular ends (trapezoidal weirs), SI.
    pub cd_ends: f64,
    /// Flap gate.
    pub gated: bool,
    /// End contractions (0, 1 or 2).
    pub end_contractions: u32,
    /// Opening: height `h` and crest length `w` (RECT_OPEN), or a trapezoid/triangle.
    pub xsect: XSection,
    /// Whether the weir may surcharge (act as an orifice when submerged).
    pub can_surcharge: bool,
}

/// An outlet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlet {
    /// Flow against head (`true`) or depth above the offset (`false`).
    pub by_head: bool,
    /// Rating: a curve index, or `Q = c·h^e`.
    pub rating: OutletRating,
    /// Flap gate.
    pub gated: bool,
}

/// An outlet's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OutletRating {
    /// Flow (m³/s) against head or depth (m), by curve index.
    Tabular(usize),
    /// `Q = c·h^e` (coefficients in SI).
    Functional {
        /// Coefficient.
        c: f64,
        /// Exponent.
        e: f64,
    },
}

/// A curve: `(x, y)` points in SI, x ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Id in the file.
    pub id: String,
    /// What it is.
    pub kind: CurveKind,
    /// Points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// Kinds of curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CurveKind {
    /// Pump curve type 1: flow (m³/s) in steps against wet-well volume (m³).
    Pump1,
    /// Type 2: flow in steps against inlet depth (m).
    Pump2,
    /// Type 3: flow against head difference (m), continuous.
    Pump3,
    /// Type 4: flow against inlet depth (m), continuous.
    Pump4,
    /// Type 5: variable-speed type 3.
    Pump5,
    /// Storage area (m²) against depth (m).
    Storage,
    /// Outlet flow against head or depth.
    Rating,
    /// Outfall stage (m) against hour of the day.
    Tidal,
    /// Control setting against a variable.
    Control,
    /// Anything else (shape, diversion, weir).
    Other,
}

/// A time series: `(t_s, value)`, t ascending, value in the file's units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    /// Id in the file.
    pub id: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
}

/// A direct external inflow to a node: `baseline + scale·series(t)`, m³/s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inflow {
    /// Node (index).
    pub node: usize,
    /// Time series (index), if any.
    pub series: Option<usize>,
    /// Factor from the series' values to m³/s (the file's units factor × its scale
    /// factor).
    pub scale: f64,
    /// Constant baseline, m³/s.
    pub baseline: f64,
}

/// A rain gauge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RainGage {
    /// Id in the file.
    pub id: String,
    /// How the series' values are read.
    pub format: RainFormat,
    /// Recording interval, s.
    pub interval_s: f64,
    /// Snow catch factor (multiplies the values).
    pub scf: f64,
    /// The time series (index).
    pub series: usize,
    /// Factor from the series' values to mm (depth) or mm/h (intensity): 25.4 for a
    /// US file, 1 for SI.
    pub to_mm: f64,
}

/// Rain gauge formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RainFormat {
    /// Intensity over each interval (mm/h).
    Intensity,
    /// Depth in each interval (mm).
    Volume,
    /// Cumulative depth (mm).
    Cumulative,
}

/// A subcatchment (SWMM's nonlinear reservoir).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subcatchment {
    /// Id in the file.
    pub id: String,
    /// Rain gauge (index).
    pub raingage: usize,
    /// Where its runoff goes.
    pub outlet: SubOutlet,
    /// Area, m².
    pub area_m2: f64,
    /// Impervious share, 0–1.
    pub imperv: f64,
    /// Characteristic width of overland flow, m.
    pub width_m: f64,
    /// Slope, m/m.
    pub slope: f64,
    /// Manning's n of the impervious part.
    pub n_imperv: f64,
    /// Manning's n of the pervious part.
    pub n_perv: f64,
    /// Depression storage of the impervious part, m.
    pub s_imperv_m: f64,
    /// Depression storage of the pervious part, m.
    pub s_perv_m: f64,
    /// Share of the impervious part with no depression storage, 0–1.
    pub pct_zero: f64,
    /// Internal routing: `OUTLET` (default), `IMPERVIOUS` or `PERVIOUS`, and the share
    /// routed.
    pub route_to: String,
    /// Share of runoff routed internally, 0–1.
    pub pct_routed: f64,
    /// Infiltration on the pervious part.
    pub infiltration: SubInfiltration,
}

/// Where a subcatchment drains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubOutlet {
    /// A node (index).
    Node(usize),
    /// Another subcatchment (index).
    Subcatchment(usize),
}

/// Infiltration on a subcatchment's pervious part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubInfiltration {
    /// Horton: rates in mm/h, decay per hour, drying time in days, maximum volume mm
    /// (0: none).
    Horton {
        /// Initial (maximum) rate, mm/h.
        max_mm_h: f64,
        /// Final (minimum) rate, mm/h.
        min_mm_h: f64,
        /// Decay constant, 1/h.
        decay_per_h: f64,
        /// Time to dry out completely, days.
        dry_days: f64,
        /// Maximum infiltration volume, mm (0: none).
        max_mm: f64,
    },
    /// Green-Ampt: suction head mm, saturated conductivity mm/h, initial deficit.
    GreenAmpt {
        /// Suction head, mm.
        suction_mm: f64,
        /// Saturated hydraulic conductivity, mm/h.
        ksat_mm_h: f64,
        /// Initial moisture deficit, fraction.
        deficit: f64,
    },
    /// SCS curve number.
    CurveNumber {
        /// Curve number.
        cn: f64,
    },
    /// None given.
    None,
}

/// A control rule (`[CONTROLS]`): `IF` conditions `THEN` actions `ELSE` actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Rule id.
    pub id: String,
    /// Conditions, each joined to the previous by `and` (`true`) or `or` (`false`; the
    /// first one's flag is unused).
    pub conditions: Vec<(bool, Condition)>,
    /// Actions when the conditions hold.
    pub then: Vec<Action>,
    /// Actions when they do not.
    pub otherwise: Vec<Action>,
    /// Priority (higher wins a conflict).
    pub priority: f64,
    /// Line of `RULE`.
    pub line: usize,
}

/// One premise: `object attribute relation value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// What is tested.
    pub subject: Subject,
    /// Relation.
    pub relation: Relation,
    /// Value (SI: depths and heads in m, flows in m³/s, times in s); or another subject.
    pub value: Operand,
}

/// The thing a premise tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Subject {
    /// A node's depth (m).
    NodeDepth(usize),
    /// A node's head (m).
    NodeHead(usize),
    /// A node's inflow (m³/s).
    NodeInflow(usize),
    /// A link's flow (m³/s).
    LinkFlow(usize),
    /// A link's depth (m).
    LinkDepth(usize),
    /// A pump's or link's status (1 on/open, 0 off/closed).
    LinkStatus(usize),
    /// A link's setting (pump speed, orifice/weir opening fraction).
    LinkSetting(usize),
    /// Simulation time, s.
    Time,
    /// Clock time of day, s after midnight.
    ClockTime,
}

/// A premise's right-hand side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Operand {
    /// A number (SI).
    Value(f64),
    /// Another subject's value.
    Subject(Subject),
}

/// Comparison of a premise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A rule's action on a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The link (index).
    pub link: usize,
    /// New setting: pump status (1 on, 0 off) or speed, orifice/weir opening 0–1.
    pub setting: f64,
}

impl Network {
    /// Index of the node with this id.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
    /// Index of the link with this id.
    pub fn link_index(&self, id: &str) -> Option<usize> {
        self.links.iter().position(|l| l.id == id)
    }
}
