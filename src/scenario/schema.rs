//! The scenario file format, version 1 (RON), as serde types.
//!
//! These types mirror the file one to one; `docs/scenario.md` documents every field
//! with an annotated example. Units: SI inside (metres, m³/s, m/s), except rain in
//! mm/h and speeds in km/h where people write them so; durations are text
//! ("1h30m"). Paths are relative to the scenario file. Unknown fields are errors.
//! The checked form, with files loaded and references resolved, is
//! [`super::Scenario`].

use serde::{Deserialize, Serialize};

use super::duration::Duration;

/// The scenario file's current format version.
pub const FORMAT_VERSION: u32 = 1;

/// A whole scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Scenario")]
pub struct ScenarioFile {
    /// Format version; must be 1.
    pub version: u32,
    /// Name, seed, time frame and tick.
    pub meta: Meta,
    /// Terrain, land use and the vector layers.
    pub district: District,
    /// Rain sources and per-zone scaling.
    #[serde(default)]
    pub rain: Rain,
    /// Numerical settings of the surface-flow solver.
    #[serde(default)]
    pub hydro: HydroSettings,
    /// The pipe network under the streets (dual drainage); without it the land
    /// classes' `drainage_mm_h` stands for the drains.
    #[serde(default)]
    pub drainage: Option<Drainage>,
    /// Domain boundaries (closed unless listed).
    #[serde(default)]
    pub boundaries: Vec<Boundary>,
    /// Who lives where.
    #[serde(default)]
    pub population: Population,
    /// Warning channels.
    #[serde(default)]
    pub warnings: Warnings,
    /// Shelters (places of kind `shelter` with their capacity and state).
    #[serde(default)]
    pub shelters: Vec<Shelter>,
    /// Rescue teams, drainage robots and mobile pumps.
    #[serde(default)]
    pub forces: Forces,
    /// Virtual sensors the trainees see.
    #[serde(default)]
    pub sensors: Vec<Sensor>,
    /// The contingency plan: if condition, then orders.
    #[serde(default)]
    pub plan: Vec<PlanRule>,
    /// The trainer's master events list.
    #[serde(default)]
    pub injects: Vec<Inject>,
    /// The four-in-place rubric (defaults from DOMAIN.md §8 if omitted).
    #[serde(default)]
    pub rubric: Option<Rubric>,
    /// What to write.
    #[serde(default)]
    pub outputs: Outputs,
}

/// Scenario metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name shown everywhere (Chinese or English).
    pub name: String,
    /// What the drill is about.
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream (overridable with `--seed`); default 0.
    #[serde(default)]
    pub seed: u64,
    /// Local date-time at sim time 0, `YYYY-MM-DDTHH:MM:SS`; default
    /// [`DEFAULT_START`] (it sets day or night for the people's mobilisation).
    #[serde(default = "default_start")]
    pub start: String,
    /// How long the drill runs.
    pub duration: Duration,
    /// The fixed simulation tick (default "5s").
    #[serde(default = "default_tick")]
    pub tick: Duration,
}

fn default_tick() -> Duration {
    Duration(5.0)
}

/// The drill start when `meta.start` is omitted.
pub const DEFAULT_START: &str = "2000-01-01T00:00:00";

fn default_start() -> String {
    DEFAULT_START.to_string()
}

/// Code of the land class every cell has when the scenario gives no land-use raster
/// and no land class.
pub const DEFAULT_LAND_CODE: i32 = 0;

/// Manning's n of the default land class (s/m^(1/3)) when neither `hydro.manning`
/// nor a land class gives one.
pub const DEFAULT_MANNING: f64 = 0.03;

impl LandClass {
    /// The class every cell has when the scenario gives no land-use raster and no
    /// land class: Manning's n `manning`, pervious, no infiltration, no drainage.
    pub fn default_class(manning: f64) -> Self {
        LandClass {
            code: DEFAULT_LAND_CODE,
            name: "default".into(),
            manning,
            impervious: 0.0,
            infiltration: Infiltration::None,
            drainage_mm_h: 0.0,
            blocked: false,
            river: false,
        }
    }
}

/// The district: rasters and vector layers (paths relative to the scenario file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    /// Human-readable district name.
    #[serde(default)]
    pub name: String,
    /// Digital elevation model, ESRI ASCII grid, metres.
    pub dem: String,
    /// Land-use class codes, ESRI ASCII grid with the DEM's extent. Optional: without
    /// it every cell has the one class of `land_classes` (or the default class).
    #[serde(default)]
    pub landuse: Option<String>,
    /// What each land-use code means for the water. Optional without a land-use
    /// raster (then at most one class; none: [`LandClass::default_class`]).
    #[serde(default)]
    pub land_classes: Vec<LandClass>,
    /// Optional per-cell Manning's n (ESRI ASCII grid with the DEM's extent),
    /// overriding the land classes' values.
    #[serde(default)]
    pub manning: Option<String>,
    /// Road centre lines, GeoJSON LineStrings.
    #[serde(default)]
    pub roads: Option<String>,
    /// Building footprints, GeoJSON Polygons.
    #[serde(default)]
    pub buildings: Option<String>,
    /// Zones (communities), GeoJSON Polygons.
    #[serde(default)]
    pub zones: Option<String>,
    /// Named places (shelters, depots, hotspots, pump stations, posts, gauges),
    /// GeoJSON Points.
    #[serde(default)]
    pub places: Option<String>,
}

/// One land-use class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandClass {
    /// Code in the land-use raster.
    pub code: i32,
    /// Name ("road", "住宅").
    pub name: String,
    /// Manning's n, s/m^(1/3).
    pub manning: f64,
    /// Impervious fraction 0–1 (only the pervious part infiltrates).
    #[serde(default)]
    pub impervious: f64,
    /// Infiltration model of the pervious part.
    #[serde(default)]
    pub infiltration: Infiltration,
    /// Urban drainage capacity removing ponded water, mm/h (until a pipe network is
    /// modelled).
    #[serde(default)]
    pub drainage_mm_h: f64,
    /// Cells of this class hold no water (building footprints as solid blocks).
    #[serde(default)]
    pub blocked: bool,
    /// Cells of this class are a river or outfall that drainage robots and mobile pumps
    /// may discharge into.
    #[serde(default)]
    pub river: bool,
}

/// Infiltration model of a land-use class.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Infiltration {
    /// No infiltration.
    #[default]
    None,
    /// Horton: f = fc + (f0 − fc)·e^(−k·t), mm/h and 1/h.
    Horton {
        /// Initial capacity, mm/h.
        f0_mm_h: f64,
        /// Final capacity, mm/h.
        fc_mm_h: f64,
        /// Decay constant, 1/h.
        k_per_h: f64,
    },
    /// SCS curve number (Ia = 0.2·S).
    CurveNumber {
        /// Curve number 1–100.
        cn: f64,
    },
}

/// Rain: sources added together, then scaled per zone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rain {
    /// Rain sources; their intensities add.
    #[serde(default)]
    pub sources: Vec<RainSource>,
    /// Multiply the rain over a zone by a factor.
    #[serde(default)]
    pub zone_scale: Vec<ZoneScale>,
}

/// A per-zone rain factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneScale {
    /// Zone id.
    pub zone: String,
    /// Factor (≥ 0).
    pub factor: f64,
}

/// A time series of values: inline points or a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Series {
    /// `[("0m", 0.0), ("30m", 60.0)]`: (time since start, value), linear in between.
    Points(Vec<(Duration, f64)>),
    /// A CSV file (`time,value` with a header; time as seconds or duration text) or
    /// the `value time` layout (`N seconds` then N lines of `value time_s`).
    File(String),
}

/// One rain source. Intensities in mm/h.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RainSource {
    /// The same intensity everywhere, from a series in mm/h.
    Uniform {
        /// Intensity over time, mm/h.
        series: Series,
    },
    /// The Chicago design storm (芝加哥雨型) from the IDF formula
    /// i = A1(1 + C·lg P)/(t + b)^n mm/min.
    Chicago {
        /// A1, mm/min.
        a1: f64,
        /// C.
        c: f64,
        /// b, minutes.
        b: f64,
        /// n.
        n: f64,
        /// Return period P, years.
        return_period_years: f64,
        /// Storm duration.
        duration: Duration,
        /// Peak position as a fraction of the duration (0.35–0.45 typical).
        peak_ratio: f64,
        /// When the storm starts after sim time 0.
        #[serde(default)]
        start: Duration,
        /// Hyetograph step (default 5m).
        #[serde(default = "default_chicago_step")]
        step: Duration,
    },
    /// A moving storm cell with a Gaussian footprint.
    MovingCell {
        /// Peak intensity at the centre, mm/h.
        peak_mm_h: f64,
        /// Gaussian radius (1σ), metres.
        radius_m: f64,
        /// Track: (time, x, y) in map coordinates, linear in between; no rain outside.
        track: Vec<(Duration, f64, f64)>,
    },
    /// Gridded frames: one ESRI ASCII raster (mm/h) per time, each held until the next.
    Frames {
        /// (time, raster path).
        frames: Vec<(Duration, String)>,
    },
}

fn default_chicago_step() -> Duration {
    Duration(300.0)
}

/// The drainage network coupled to the surface.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drainage {
    /// The network: an EPA SWMM 5 `.inp` file, node coordinates in the district's
    /// map coordinates (relative to the scenario file). Its subcatchments are not used:
    /// the rain falls on the 2D surface and enters through the inlets.
    pub network: String,
    /// Exchange coefficients and the default opening of an inlet or manhole
    /// (defaults: weir 0.25, orifice 0.6, 0.28 m², 1.88 m).
    #[serde(default)]
    pub coupling: crate::world::sewer::CouplingParams,
    /// Pump stations: a `pump_station` place and the pumps (link ids) it runs. A pump
    /// not listed belongs to the nearest pump station within 300 m of its wet well.
    #[serde(default)]
    pub stations: Vec<StationPumps>,
    /// Keep the land classes' `drainage_mm_h` as well as the network (default: the
    /// network replaces it).
    #[serde(default)]
    pub class_drainage: bool,
}

/// The pumps of one pump station.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationPumps {
    /// Place id (kind `pump_station`).
    pub place: String,
    /// Pump link ids in the network file.
    pub pumps: Vec<String>,
}

/// Surface-flow solver settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HydroSettings {
    /// CFL factor α (≤ 1; 0.7 default).
    #[serde(default = "default_cfl")]
    pub cfl: f64,
    /// θ weighting of de Almeida et al. (1 = plain Bates; 0.7–0.9 damps
    /// checkerboarding).
    #[serde(default = "default_theta")]
    pub theta: f64,
    /// Convective acceleration (advection) in the momentum update (more accurate
    /// fronts and depths in fast flow, ~2× the solver time). Off by default: the plain
    /// local inertial scheme of LISFLOOD-FP.
    #[serde(default)]
    pub advection: bool,
    /// Largest sub-step.
    #[serde(default = "default_max_dt")]
    pub max_dt: Duration,
    /// No flow through a face shallower than this, metres.
    #[serde(default = "default_depth_threshold")]
    pub depth_threshold_m: f64,
    /// Initial water depth everywhere (metres), before any boundary fills.
    #[serde(default)]
    pub initial_depth_m: f64,
    /// Cells with water surface set at start (a river's normal stage): zone of
    /// land-use `code` filled to `level_m`.
    #[serde(default)]
    pub initial_levels: Vec<InitialLevel>,
    /// One Manning's n for every cell, s/m^(1/3), overriding the land classes'
    /// values (not with a `district.manning` raster).
    #[serde(default)]
    pub manning: Option<f64>,
    /// Storage of depth and discharge: `F64` (default) or `F32` (about twice the
    /// surface kernels' speed; the water balance then closes to ~1e-6 of the rain
    /// instead of round-off — see docs/scenario.md).
    #[serde(default)]
    pub precision: Precision,
}

/// Storage precision of the water's depth and discharge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Precision {
    /// 8-byte floats (the default).
    #[default]
    F64,
    /// 4-byte floats.
    F32,
}

impl Default for HydroSettings {
    fn default() -> Self {
        Self {
            cfl: default_cfl(),
            theta: default_theta(),
            advection: false,
            max_dt: default_max_dt(),
            depth_threshold_m: default_depth_threshold(),
            initial_depth_m: 0.0,
            initial_levels: Vec::new(),
            manning: None,
            precision: Precision::F64,
        }
    }
}

fn default_cfl() -> f64 {
    0.7
}
fn default_theta() -> f64 {
    1.0
}
fn default_max_dt() -> Duration {
    Duration(10.0)
}
fn default_depth_threshold() -> f64 {
    0.001
}

/// Initial water level over all cells of one land-use class (e.g. the river).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialLevel {
    /// Land-use code whose cells are filled.
    pub landuse: i32,
    /// Water surface elevation, metres.
    pub level_m: f64,
}

/// A domain edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edge {
    /// Top (max y).
    North,
    /// Bottom (min y).
    South,
    /// Right (max x).
    East,
    /// Left (min x).
    West,
}

/// A stretch of one domain edge: `from`–`to` along it in map coordinates (x for
/// North/South, y for East/West).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeSegment {
    /// Which edge.
    pub edge: Edge,
    /// Start along the edge, map metres.
    pub from: f64,
    /// End along the edge, map metres.
    pub to: f64,
}

/// A boundary condition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Boundary {
    /// Free outflow at normal depth for the given bed slope.
    FreeOutflow {
        /// Where.
        at: EdgeSegment,
        /// Bed slope (m/m) for normal depth.
        slope: f64,
    },
    /// Water surface elevation held at a series, metres.
    Stage {
        /// Where.
        at: EdgeSegment,
        /// Stage over time, metres.
        series: Series,
    },
    /// Discharge entering the domain, m³/s, at a point.
    PointInflow {
        /// Map x, metres.
        x: f64,
        /// Map y, metres.
        y: f64,
        /// Discharge over time, m³/s.
        series: Series,
    },
    /// Unit discharge entering along an edge segment, m²/s.
    EdgeInflow {
        /// Where.
        at: EdgeSegment,
        /// Unit discharge over time, m²/s.
        series: Series,
    },
}

/// Population settings; households come from the buildings layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Where households come from.
    #[serde(default)]
    pub source: PopulationSource,
    /// Mean persons per household.
    #[serde(default = "default_household_size")]
    pub household_size: f64,
    /// Share of households evacuating by car.
    #[serde(default = "default_vehicle_share")]
    pub vehicle_share: f64,
    /// Share of households with an elderly member.
    #[serde(default = "default_elderly_share")]
    pub elderly_share: f64,
    /// Share of households with children.
    #[serde(default = "default_children_share")]
    pub children_share: f64,
    /// Share of households that, told to evacuate, go to relatives or a place of their
    /// own (投亲靠友) — out of the district by its nearest exit — rather than to a public
    /// shelter. Default 0.5: surveys of large evacuations find a minority in public
    /// shelters; half is on the shelter-heavy side, which a plan should be sized for.
    /// Without exits (no road leaves the map) they go to a public shelter.
    #[serde(default = "default_self_arranged_share")]
    pub self_arranged_share: f64,
    /// Roads that end at the edge of the map are ways out of the district (exits) for
    /// the self-arranged; places of kind `exit` are always exits.
    #[serde(default = "yes")]
    pub district_exits: bool,
    /// Mobilisation after a warning is received.
    #[serde(default)]
    pub mobilisation: Mobilisation,
    /// Walking speeds, m/s.
    #[serde(default)]
    pub walking: Walking,
    /// When people in water are trapped, and the optional casualty rule.
    #[serde(default)]
    pub hazard: Hazard,
}

/// Walking speeds on dry ground.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walking {
    /// Walking speed, m/s.
    #[serde(default = "default_walk")]
    pub speed_m_s: f64,
    /// Walking speed of households with elderly members or children, m/s.
    #[serde(default = "default_slow_walk")]
    pub slow_speed_m_s: f64,
    /// A household stopped on the road with no shelter it can reach takes refuge in a
    /// building there after waiting this long (default 30 min).
    #[serde(default)]
    pub max_wait: Option<Duration>,
}

impl Default for Walking {
    fn default() -> Self {
        Self {
            speed_m_s: default_walk(),
            slow_speed_m_s: default_slow_walk(),
            max_wait: None,
        }
    }
}

fn default_walk() -> f64 {
    1.2
}
fn default_slow_walk() -> f64 {
    0.9
}

/// Hazard to people in water (UK hazard rating HR = d·(v + 0.5) + DF).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hazard {
    /// A household moving through water with HR above this is trapped ("danger for
    /// most" = 1.25).
    #[serde(default = "default_hr")]
    pub trapped_above_hr: f64,
    /// Debris factor DF added when the depth exceeds `debris_depth_m`.
    #[serde(default = "default_df")]
    pub debris_factor: f64,
    /// Depth above which the debris factor applies, metres.
    #[serde(default = "default_debris_depth")]
    pub debris_depth_m: f64,
    /// A household at home in a one-storey building is trapped above this depth, m;
    /// each further storey adds `storey_height_m` (people go upstairs).
    #[serde(default = "default_home_depth")]
    pub home_trapped_above_m: f64,
    /// Storey height, metres.
    #[serde(default = "default_storey")]
    pub storey_height_m: f64,
    /// Casualties only by this explicit rule: HR above `hr` for at least `for_`.
    #[serde(default)]
    pub casualty: Option<CasualtyRule>,
}

impl Default for Hazard {
    fn default() -> Self {
        Self {
            trapped_above_hr: default_hr(),
            debris_factor: default_df(),
            debris_depth_m: default_debris_depth(),
            home_trapped_above_m: default_home_depth(),
            storey_height_m: default_storey(),
            casualty: None,
        }
    }
}

/// The explicit casualty rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasualtyRule {
    /// Hazard rating threshold (2.5 = "danger for all" and beyond).
    pub hr_above: f64,
    /// Continuous exposure.
    pub exposure: Duration,
}

fn default_hr() -> f64 {
    1.25
}
fn default_df() -> f64 {
    0.5
}
fn default_debris_depth() -> f64 {
    0.25
}
fn default_home_depth() -> f64 {
    0.8
}
fn default_storey() -> f64 {
    3.0
}

impl Default for Population {
    fn default() -> Self {
        Self {
            source: PopulationSource::default(),
            household_size: default_household_size(),
            vehicle_share: default_vehicle_share(),
            elderly_share: default_elderly_share(),
            children_share: default_children_share(),
            self_arranged_share: default_self_arranged_share(),
            district_exits: true,
            mobilisation: Mobilisation::default(),
            walking: Walking::default(),
            hazard: Hazard::default(),
        }
    }
}

fn default_household_size() -> f64 {
    2.6
}
fn default_vehicle_share() -> f64 {
    0.45
}
fn default_elderly_share() -> f64 {
    0.25
}
fn default_children_share() -> f64 {
    0.2
}

fn default_self_arranged_share() -> f64 {
    0.5
}

/// Where households come from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub enum PopulationSource {
    /// The `households` property of each building.
    #[default]
    Buildings,
    /// Totals per zone, spread over the zone's residential buildings by floor area.
    ZoneTotals(Vec<(String, u32)>),
}

/// Mobilisation delay (lognormal) and compliance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mobilisation {
    /// Median delay by day (07:00–21:00).
    #[serde(default = "default_median_day")]
    pub median_day: Duration,
    /// Median delay at night.
    #[serde(default = "default_median_night")]
    pub median_night: Duration,
    /// Lognormal σ.
    #[serde(default = "default_sigma")]
    pub sigma: f64,
    /// Share that leaves when warned; the rest stays or leaves late.
    #[serde(default = "default_compliance")]
    pub compliance: f64,
}

impl Default for Mobilisation {
    fn default() -> Self {
        Self {
            median_day: default_median_day(),
            median_night: default_median_night(),
            sigma: default_sigma(),
            compliance: default_compliance(),
        }
    }
}

fn default_median_day() -> Duration {
    Duration(1200.0)
}
fn default_median_night() -> Duration {
    Duration(2100.0)
}
fn default_sigma() -> f64 {
    0.6
}
fn default_compliance() -> f64 {
    0.85
}

/// Warning channels.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warnings {
    /// Channels by id.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// A zone acknowledges (叫应) this long after the first reception.
    #[serde(default)]
    pub ack_delay: Option<Duration>,
}

/// One warning channel with its reception curve.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Id used in orders.
    pub id: String,
    /// What it is.
    pub kind: ChannelKind,
    /// Share of households eventually reached, 0–1.
    pub reach: f64,
    /// Time by which half of the eventual reach is reached.
    pub half_time: Duration,
}

/// Kinds of warning channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelKind {
    /// Cell broadcast / SMS.
    CellBroadcast,
    /// Grid workers door to door (网格员).
    DoorToDoor,
    /// Loudspeakers.
    Loudspeaker,
}

/// A shelter: a place of kind `shelter`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shelter {
    /// Place id.
    pub place: String,
    /// Capacity in persons (defaults to the place's `capacity`).
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Open at start.
    #[serde(default = "yes")]
    pub open: bool,
    /// Zones assigned to this shelter.
    #[serde(default)]
    pub zones: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The response forces.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forces {
    /// Rescue teams.
    #[serde(default)]
    pub teams: Vec<Team>,
    /// Drainage robots and mobile pumps.
    #[serde(default)]
    pub robots: Vec<Robot>,
}

/// How a team moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamKind {
    /// On the road graph within its wading limit.
    Vehicle,
    /// Through wet cells.
    Boat,
    /// Walking.
    OnFoot,
}

/// A rescue team.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Id (`T01`).
    pub id: String,
    /// Name (消防救援一队).
    #[serde(default)]
    pub name: String,
    /// How it moves.
    pub kind: TeamKind,
    /// Crew, persons.
    pub crew: u32,
    /// Persons it can carry.
    pub capacity: u32,
    /// Deepest water it drives or walks through, metres.
    pub wading_limit_m: f64,
    /// Travel speed, km/h.
    pub speed_kmh: f64,
    /// Time per person rescued.
    #[serde(default = "default_rescue_time")]
    pub rescue_time_per_person: Duration,
    /// Depot place id where it starts.
    pub depot: String,
    /// When it joins the drill (off duty or committed elsewhere until then; default:
    /// from the start). Orders to it before then are refused, naming the time, and it
    /// is not sent to rescues.
    #[serde(default)]
    pub available_from: Duration,
}

fn default_rescue_time() -> Duration {
    Duration(120.0)
}

/// A drainage robot, drainage truck or mobile pump.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Robot {
    /// Id (`R01`).
    pub id: String,
    /// Name (排涝机器人1号).
    #[serde(default)]
    pub name: String,
    /// Pumping capacity, m³/h.
    pub capacity_m3_h: f64,
    /// Set-up time on scene.
    pub setup: Duration,
    /// Deepest water it drives through, metres.
    pub wading_limit_m: f64,
    /// Travel speed, km/h.
    pub speed_kmh: f64,
    /// Suction reach around its position, metres.
    pub hose_reach_m: f64,
    /// Longest discharge hose to a river or outfall cell, metres (beyond: out of the
    /// domain through a discharge line).
    #[serde(default = "default_discharge_reach")]
    pub discharge_reach_m: f64,
    /// Depot place id where it starts.
    pub depot: String,
}

fn default_discharge_reach() -> f64 {
    500.0
}

/// Where something is: a named place or a map point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Location {
    /// A place id from the places layer.
    Place(String),
    /// Map coordinates (x, y), metres.
    Point(f64, f64),
}

/// What a sensor measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SensorKind {
    /// Water depth at a location, metres.
    WaterLevel,
    /// Rain intensity at a location, mm/h.
    RainGauge,
    /// Status of a pump station (place id) or robot (robot id).
    PumpStatus(String),
}

/// A virtual sensor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensor {
    /// Id used in plan rules.
    pub id: String,
    /// What it measures.
    pub kind: SensorKind,
    /// Where.
    pub at: Location,
    /// Standard deviation of reading noise (sensor units).
    #[serde(default)]
    pub noise: f64,
    /// Delay before a reading is seen.
    #[serde(default)]
    pub latency: Duration,
    /// Sampling interval (default 1m).
    #[serde(default = "default_interval")]
    pub interval: Duration,
}

fn default_interval() -> Duration {
    Duration(60.0)
}

/// A contingency-plan rule: when the condition first holds, issue the orders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRule {
    /// Id (for the log).
    pub id: String,
    /// When.
    pub when: Condition,
    /// What.
    pub then: Vec<Order>,
    /// Fire again each time the condition becomes true (default: once).
    #[serde(default)]
    pub repeat: bool,
}

/// A plan-rule condition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Condition {
    /// At a sim time.
    At(Duration),
    /// A sensor reading rises to or above a value.
    SensorAbove(String, f64),
    /// A sensor reading falls below a value.
    SensorBelow(String, f64),
    /// Whenever a rescue request is raised.
    RescueRequested,
    /// All conditions hold.
    All(Vec<Condition>),
    /// Any condition holds.
    Any(Vec<Condition>),
}

/// An order to the forces, the warning system or the shelters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Order {
    /// Send a team or robot to a location.
    Dispatch {
        /// Team or robot id.
        unit: String,
        /// Where.
        to: Location,
    },
    /// Pre-position a team or robot at a post (place id).
    PrePosition {
        /// Team or robot id.
        unit: String,
        /// Post place id.
        post: String,
    },
    /// Send a unit back to its depot.
    Recall {
        /// Team or robot id.
        unit: String,
    },
    /// Send the nearest free boat or vehicle team to the oldest open rescue request.
    DispatchNearestToRescue,
    /// Warn zones on a channel, telling them what to do.
    Warn {
        /// Zone ids.
        zones: Vec<String>,
        /// Channel id.
        channel: String,
        /// What residents are told to do (default `Evacuate`).
        #[serde(default, skip_serializing_if = "WarnAction::is_evacuate")]
        action: WarnAction,
    },
    /// Open a shelter.
    OpenShelter(String),
    /// Close a shelter.
    CloseShelter(String),
    /// Close a road (road id).
    CloseRoad(String),
}

/// What a warning tells residents to do. A stronger action (evacuate > shelter in
/// place > prepare) reaches households already warned with a weaker one again.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum WarnAction {
    /// Get ready to leave: a later evacuation order finds the household prepared
    /// (its mobilisation delay is halved).
    Prepare,
    /// Stay indoors and go upstairs (就地避险). Households of one-storey buildings — no
    /// storey above the water — must leave: for them it is an evacuation order.
    ShelterInPlace,
    /// Leave for a shelter (转移).
    #[default]
    Evacuate,
}

impl WarnAction {
    /// True for the default (`Evacuate`), which the notation leaves out.
    pub fn is_evacuate(&self) -> bool {
        *self == Self::Evacuate
    }

    /// Name for logs and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Prepare => "prepare",
            Self::ShelterInPlace => "shelter_in_place",
            Self::Evacuate => "evacuate",
        }
    }
}

/// A trainer's inject on the master events list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// Id (for the log and the scorecard).
    pub id: String,
    /// When it happens.
    pub at: Duration,
    /// What happens.
    pub event: InjectEvent,
}

/// What an inject does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum InjectEvent {
    /// A levee crest is lowered across a width over a duration.
    LeveeBreach {
        /// Centre of the breach, map metres.
        x: f64,
        /// Centre of the breach, map metres.
        y: f64,
        /// Breach width, metres.
        width_m: f64,
        /// Final crest elevation, metres.
        bottom_m: f64,
        /// Time to reach the final crest.
        over: Duration,
    },
    /// A pump station (place id) or robot (robot id) fails.
    PumpFailure {
        /// Pump station place id or robot id.
        unit: String,
        /// Until restored (default: for the rest of the drill).
        #[serde(default)]
        duration: Option<Duration>,
    },
    /// A road collapses and closes.
    RoadCollapse {
        /// Road id.
        road: String,
    },
    /// Warnings to these zones are delayed.
    CommOutage {
        /// Zone ids.
        zones: Vec<String>,
        /// How long.
        duration: Duration,
    },
    /// An extra rain cell.
    RainCell {
        /// The cell (a `MovingCell` source).
        source: RainSource,
    },
    /// A rescue request with nobody there.
    FalseReport {
        /// Where it was reported.
        at: Location,
    },
}

/// The four-in-place rubric: criteria with metrics, thresholds and weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// The criteria.
    pub criteria: Vec<Criterion>,
    /// Overall pass mark, 0–100.
    #[serde(default = "default_pass_mark")]
    pub pass_mark: f64,
}

fn default_pass_mark() -> f64 {
    60.0
}

/// One rubric criterion.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Id.
    pub id: String,
    /// Display name (预警到位).
    pub name: String,
    /// Weight in the overall score.
    pub weight: f64,
    /// How it is measured.
    pub metric: Metric,
    /// Score at or above which the criterion passes, 0–100.
    #[serde(default = "default_pass_mark")]
    pub pass_score: f64,
}

/// How a criterion is measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Metric {
    /// 预警到位: every at-risk zone warned `lead` before its hazard onset and
    /// acknowledged within `ack_within`.
    WarningLead {
        /// Required lead time.
        lead: Duration,
        /// Acknowledgement deadline after the warning.
        ack_within: Duration,
        /// Depth defining hazard onset, metres.
        #[serde(default = "default_onset_depth")]
        onset_depth_m: f64,
    },
    /// 转移到位: at-risk residents safe before hazard reaches them — left for a shelter,
    /// an assembly point or out of the district, or (outside `evacuate_zones`) staying
    /// in upstairs as a shelter-in-place order told them.
    Evacuation {
        /// Target share safe, 0–1.
        target_share: f64,
        /// Zones whose residents must leave (应转尽转): staying in does not count there,
        /// even when ordered. Empty: the plan's orders decide.
        #[serde(default)]
        evacuate_zones: Vec<String>,
    },
    /// 力量到位: forces at posts by a time; rescue requests reached within a target.
    Forces {
        /// Posts occupied by this sim time.
        posts_by: Duration,
        /// Rescue response target.
        response_within: Duration,
    },
    /// 处置到位: hotspots drained below a depth within a time after rain stops.
    Response {
        /// Depth below which a hotspot counts as drained, metres.
        drained_below_m: f64,
        /// Time allowed after the rain stops.
        within: Duration,
    },
}

fn default_onset_depth() -> f64 {
    0.15
}

/// What a run writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Maximum depth, velocity and hazard rasters, and time of first flooding.
    #[serde(default = "yes")]
    pub max_rasters: bool,
    /// Depth rasters at these times.
    #[serde(default)]
    pub depth_at: Vec<Duration>,
    /// Probes: depth and velocity series at points or places.
    #[serde(default)]
    pub probes: Vec<Probe>,
    /// Interval of the water-balance and probe series.
    #[serde(default = "default_interval")]
    pub series_interval: Duration,
    /// Interval of replay snapshots (a digest to check and a view of the drill to
    /// scrub to).
    #[serde(default = "default_snapshot_interval")]
    pub snapshot_interval: Duration,
    /// Interval of the replay's keyframes: the exact states a branch or an exact seek
    /// starts from (re-simulating up to one interval; default 2 h). Longer makes a
    /// smaller file.
    #[serde(default = "default_keyframe_interval")]
    pub keyframe_interval: Duration,
}

impl Default for Outputs {
    fn default() -> Self {
        Self {
            max_rasters: true,
            depth_at: Vec::new(),
            probes: Vec::new(),
            series_interval: default_interval(),
            snapshot_interval: default_snapshot_interval(),
            keyframe_interval: default_keyframe_interval(),
        }
    }
}

fn default_keyframe_interval() -> Duration {
    Duration(7200.0)
}

fn default_snapshot_interval() -> Duration {
    Duration(600.0)
}

/// An output probe.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Id (column name).
    pub id: String,
    /// Where.
    pub at: Location,
}
