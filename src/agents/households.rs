//! The household arrays (structure of arrays), population, warnings and rescue.
//!
//! # What
//! [`Households`] holds every household of a drill: static attributes (building, zone,
//! persons, mode, vulnerability, home node and position, mobilisation draws) and the
//! dynamic state (state, reception and departure times, destination, position on the
//! road graph), plus the [`Shelters`] it fills and the zone acknowledgement state.
//!
//! # How
//! - Population: one household per `households` count of each building, ids in building
//!   order. Per-household draws come from `rng::stream(seed, id, "population")` (size,
//!   car, elderly, children) and `rng::stream(seed, id, "mobilisation")` (the standard
//!   normal of the lognormal delay, and compliance), so they never shift when another
//!   mechanic draws.
//! - Warnings: [`Households::issue_warning`] schedules receptions (earliest over
//!   channels) for households still unaware; [`Households::step`] turns them into
//!   events when their time comes.
//!
//! Units: seconds, metres, persons.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::agents::events::{AgentEvent, HouseholdId};
use crate::agents::params::{AgentError, AgentParams, ChannelParams};
use crate::agents::shelters::Shelters;
use crate::rng;
use crate::scenario::schema::WarnAction;
use crate::world::roads::{Mode, NodeId, RoadGraph};
use crate::world::vector::{Building, Pt, Zone};

/// "No zone / node / edge / shelter" in the u32 arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// Households per parallel chunk.
pub(crate) const CHUNK: usize = 2048;

/// Where a household is in its evacuation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[repr(u8)]
pub enum HouseholdState {
    /// No warning received yet (one may be on its way).
    Unaware = 0,
    /// Warning received, not yet decided (lasts `decision_s`).
    Warned = 1,
    /// Decided to leave; waiting for its departure time.
    Preparing = 2,
    /// On the road to a destination.
    Moving = 3,
    /// Admitted to a shelter.
    Sheltered = 4,
    /// Decided not to leave (non-compliant); at home unless trapped or rescued.
    Staying = 5,
    /// Caught by the water; a rescue request is open.
    Trapped = 6,
    /// Rescued by a force.
    Rescued = 7,
    /// The casualty rule fired.
    Casualty = 8,
    /// On the road, stopped at a node: no shelter can be reached from there now (every
    /// one full, closed, or cut off by water or a closure — the [`Reason`]). It tries
    /// again every tick and takes refuge after `movement.max_wait_s`.
    Waiting = 9,
    /// Took refuge in a building where it was stopped (after waiting
    /// `movement.max_wait_s` with no shelter reachable); trapped there only above the
    /// refuge's depth (two storeys).
    Refuge = 10,
    /// Staying at home on purpose (upstairs, indoors): told to shelter in place, or it
    /// was to leave but no shelter could be reached from home (the [`Reason`]).
    InPlace = 11,
    /// Told to prepare: at home, ready to leave (a later evacuation order mobilises it
    /// faster).
    Ready = 12,
    /// Left the district by an exit, to relatives or a place of its own (投亲靠友).
    Away = 13,
}

impl HouseholdState {
    /// Number of states.
    pub const COUNT: usize = 14;

    /// All states in index order.
    pub const ALL: [HouseholdState; 14] = [
        Self::Unaware,
        Self::Warned,
        Self::Preparing,
        Self::Moving,
        Self::Sheltered,
        Self::Staying,
        Self::Trapped,
        Self::Rescued,
        Self::Casualty,
        Self::Waiting,
        Self::Refuge,
        Self::InPlace,
        Self::Ready,
        Self::Away,
    ];

    /// Lower-case name for tables and CSV headers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unaware => "unaware",
            Self::Warned => "warned",
            Self::Preparing => "preparing",
            Self::Moving => "moving",
            Self::Sheltered => "sheltered",
            Self::Staying => "staying",
            Self::Trapped => "trapped",
            Self::Rescued => "rescued",
            Self::Casualty => "casualty",
            Self::Waiting => "waiting",
            Self::Refuge => "refuge",
            Self::InPlace => "in_place",
            Self::Ready => "ready",
            Self::Away => "away",
        }
    }

    /// Chinese and English, for legends.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unaware => "未获预警 unaware",
            Self::Warned => "已获预警 warned",
            Self::Preparing => "准备中 preparing",
            Self::Moving => "转移途中 moving",
            Self::Sheltered => "已安置 sheltered",
            Self::Staying => "拒绝转移 staying",
            Self::Trapped => "被困 trapped",
            Self::Rescued => "获救 rescued",
            Self::Casualty => "伤亡 casualty",
            Self::Waiting => "途中等待 waiting",
            Self::Refuge => "就近避险 refuge",
            Self::InPlace => "就地避险 in place",
            Self::Ready => "待命 ready",
            Self::Away => "已离开 away",
        }
    }

    /// How bad the outcome is if the drill ends in this state, lower is safer: the one
    /// ranking `compare` (better/worse) and the report's outcome map (worse drawn on
    /// top) use. Sheltered or away (left the district) 0; out of the water in a building — at home (unaware,
    /// warned, ready, preparing, staying, in place) or in a refuge — 1; waiting on the road
    /// for a way on 2; still on the road 3; rescued (was caught, now safe) 4; trapped
    /// (still in the water) 5; casualty 6.
    pub fn outcome_rank(self) -> u8 {
        match self {
            Self::Sheltered | Self::Away => 0,
            Self::Unaware
            | Self::Warned
            | Self::Preparing
            | Self::Staying
            | Self::InPlace
            | Self::Ready
            | Self::Refuge => 1,
            Self::Waiting => 2,
            Self::Moving => 3,
            Self::Rescued => 4,
            Self::Trapped => 5,
            Self::Casualty => 6,
        }
    }

    /// True while the household is at home (its position is the home building).
    #[inline]
    pub fn at_home(self) -> bool {
        matches!(
            self,
            Self::Unaware
                | Self::Warned
                | Self::Preparing
                | Self::Staying
                | Self::InPlace
                | Self::Ready
        )
    }
}

/// Why a household is waiting on the road or stayed at home when it was to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Reason {
    /// No reason recorded (the household is not waiting).
    None = 0,
    /// Every open shelter is full (or none is open).
    NoRoom = 1,
    /// Shelters have room, but the roads to them are flooded or closed from here.
    CutOff = 2,
    /// Told to shelter in place (stay indoors, upstairs).
    Ordered = 3,
}

impl Reason {
    /// All reasons in code order.
    pub const ALL: [Reason; 4] = [Self::None, Self::NoRoom, Self::CutOff, Self::Ordered];

    /// Name for tables and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "",
            Self::NoRoom => "no_shelter_with_room",
            Self::CutOff => "cut_off",
            Self::Ordered => "told_to_stay_in",
        }
    }

    /// The reason of a stored code (unknown codes read as `None`).
    pub fn from_code(c: u8) -> Self {
        Self::ALL.get(c as usize).copied().unwrap_or(Self::None)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for HouseholdState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Households by state, per zone: row `z` for zone index `z`, the last row for
/// households outside every zone. Columns follow [`HouseholdState::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StateTable {
    /// Household counts.
    pub households: Vec<[u32; HouseholdState::COUNT]>,
    /// Person counts.
    pub persons: Vec<[u32; HouseholdState::COUNT]>,
}

impl StateTable {
    /// Households in `state` over all zones.
    pub fn total(&self, state: HouseholdState) -> u32 {
        self.households.iter().map(|r| r[state as usize]).sum()
    }

    /// Persons in `state` over all zones.
    pub fn total_persons(&self, state: HouseholdState) -> u32 {
        self.persons.iter().map(|r| r[state as usize]).sum()
    }
}

/// Static attributes, one entry per household (rebuilt from the scenario, not saved).
#[derive(Debug, Clone, Default)]
pub(crate) struct Attrs {
    pub building: Vec<u32>,
    pub zone: Vec<u32>,
    pub persons: Vec<u16>,
    pub mode: Vec<Mode>,
    /// Bit 0 elderly, bit 1 children.
    pub vulnerable: Vec<u8>,
    /// Dry-ground speed cap, m/s (`f64::INFINITY` for cars: the edge's free speed).
    pub base_speed: Vec<f64>,
    pub home_node: Vec<u32>,
    pub home_pos: Vec<Pt>,
    /// Depth at home above which the household is trapped there, metres.
    pub home_trap_depth: Vec<f64>,
    /// Standard normal draw of the lognormal mobilisation delay.
    pub mob_z: Vec<f64>,
    pub complies: Vec<bool>,
    /// Goes to relatives or a place of its own (the nearest exit) when it leaves.
    pub self_arranged: Vec<bool>,
}

/// Dynamic state, one entry per household.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Dyn {
    pub state: Vec<HouseholdState>,
    /// Scheduled (earliest) reception, `INFINITY` when none.
    pub t_recv: Vec<f64>,
    pub channel: Vec<u16>,
    pub t_depart: Vec<f64>,
    /// Time of the last state change.
    pub t_state: Vec<f64>,
    /// Destination shelter index.
    pub target: Vec<u32>,
    /// Node the household is at, or the tail of its edge; `NONE` at home.
    pub node: Vec<u32>,
    /// Edge it is on; `NONE` at a node or at home.
    pub edge: Vec<u32>,
    /// Metres along `edge`.
    pub s: Vec<f64>,
    /// Continuous time above the casualty threshold while trapped, seconds.
    pub exposure: Vec<f64>,
    /// [`Reason`] code of a waiting, in-place or refuge household (0 otherwise).
    pub reason: Vec<u8>,
    /// When it reached the end of its edge, or asked at a node to go on: its place in
    /// the queue (`INFINITY` when neither).
    pub t_q: Vec<f64>,
    /// The action of the warning it acts on ([`action_code`]; 0 before any).
    pub advice: Vec<u8>,
    /// The action of a warning on its way to it (received at `t_recv`; 0: none).
    pub pending: Vec<u8>,
}

/// The code of a warning action in [`Dyn::advice`] and [`Dyn::pending`]: 1 prepare,
/// 2 shelter in place, 3 evacuate (stronger is larger).
#[inline]
pub(crate) fn action_code(a: WarnAction) -> u8 {
    match a {
        WarnAction::Prepare => 1,
        WarnAction::ShelterInPlace => 2,
        WarnAction::Evacuate => 3,
    }
}

/// The action of a code (`None` for 0).
#[inline]
pub(crate) fn action_of(code: u8) -> Option<WarnAction> {
    match code {
        1 => Some(WarnAction::Prepare),
        2 => Some(WarnAction::ShelterInPlace),
        3 => Some(WarnAction::Evacuate),
        _ => None,
    }
}

/// The link queues' state: per mode and edge, the earliest time the next household
/// may leave (the flow capacity). Sized on the first step.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct QueueState {
    pub next_exit: [Vec<f64>; 2],
}

/// Per-zone warning state.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ZoneState {
    pub first_recv: Vec<f64>,
    pub ack_t: Vec<f64>,
    pub acked: Vec<bool>,
    pub outage_until: Vec<f64>,
}

/// What a saved state holds of [`Households`]: the evolving part only (states, times,
/// positions, shelters' occupancy, zone warning state, channels issued, events not yet
/// drained). The attributes, parameters and seed are rebuilt from the scenario, so
/// they are not saved ([`Households::saved`], [`Households::restore`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HouseholdsState {
    dynm: Dyn,
    shelters: Shelters,
    zones: ZoneState,
    channels: Vec<String>,
    channel_issues: Vec<u32>,
    events: Vec<AgentEvent>,
    queues: QueueState,
}

/// [`HouseholdsState`] borrowed from the households (saving copies nothing); it
/// serialises to the same fields.
#[derive(serde::Serialize)]
pub struct HouseholdsStateRef<'a> {
    dynm: &'a Dyn,
    shelters: &'a Shelters,
    zones: &'a ZoneState,
    channels: &'a [String],
    channel_issues: &'a [u32],
    events: &'a [AgentEvent],
    queues: &'a QueueState,
}

/// All households of a drill, their shelters and warning state (see the module docs).
#[derive(Debug, Clone)]
pub struct Households {
    pub(crate) seed: u64,
    pub(crate) params: AgentParams,
    pub(crate) attrs: Attrs,
    pub(crate) dynm: Dyn,
    pub(crate) shelters: Shelters,
    pub(crate) zones: ZoneState,
    pub(crate) channels: Vec<String>,
    pub(crate) channel_issues: Vec<u32>,
    pub(crate) events: Vec<AgentEvent>,
    pub(crate) queues: QueueState,
}

/// Zone index of every building: its `zone` id, else the first zone polygon containing
/// its centroid, else `NONE`.
fn building_zones(buildings: &[Building], zones: &[Zone]) -> Vec<u32> {
    let by_id: BTreeMap<&str, u32> = zones
        .iter()
        .enumerate()
        .map(|(k, z)| (z.id.as_str(), k as u32))
        .collect();
    buildings
        .iter()
        .map(|b| {
            b.zone
                .as_deref()
                .and_then(|id| by_id.get(id).copied())
                .or_else(|| {
                    let c = b.centroid();
                    zones.iter().position(|z| z.contains(c)).map(|k| k as u32)
                })
                .unwrap_or(NONE)
        })
        .collect()
}

fn uniform(r: &mut ChaCha8Rng) -> f64 {
    r.random::<f64>()
}

/// Poisson draw (Knuth for small means, rounded normal beyond 30).
fn poisson(lambda: f64, r: &mut ChaCha8Rng) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * std_normal(r)).round().max(0.0) as u32;
    }
    let l = (-lambda).exp();
    let mut k = 0u32;
    let mut p = 1.0;
    loop {
        p *= uniform(r);
        if p <= l || k >= 1000 {
            return k;
        }
        k += 1;
    }
}

/// Standard normal (Box–Muller).
fn std_normal(r: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - uniform(r); // (0, 1]
    let u2 = uniform(r);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Footprint area (shoelace), m².
fn ring_area(ring: &[Pt]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut a = 0.0;
    for k in 0..n {
        let (p, q) = (ring[k], ring[(k + 1) % n]);
        a += p.0 * q.1 - q.0 * p.1;
    }
    (a * 0.5).abs()
}

impl Households {
    /// One household per `households` count of each building (any use with a
    /// positive count), ids in building order. Zone from the building's `zone` id or the zone
    /// polygon containing its centroid; home node = nearest node of the household's
    /// mode to the centroid. No shelters yet: add them with [`Households::set_shelters`].
    pub fn from_buildings(
        buildings: &[Building],
        zones: &[Zone],
        graph: &RoadGraph,
        params: &AgentParams,
        seed: u64,
    ) -> Result<Self, AgentError> {
        let counts: Vec<u32> = buildings.iter().map(|b| b.households).collect();
        Self::from_counts(buildings, &counts, zones, graph, params, seed)
    }

    /// Per-zone totals `(zone id, households)` spread over each zone's residential
    /// buildings in proportion to floor area (footprint × floors), by largest
    /// remainder (ties to the lower building index).
    pub fn from_zone_totals(
        buildings: &[Building],
        zones: &[Zone],
        totals: &[(String, u32)],
        graph: &RoadGraph,
        params: &AgentParams,
        seed: u64,
    ) -> Result<Self, AgentError> {
        let bz = building_zones(buildings, zones);
        let mut counts = vec![0u32; buildings.len()];
        for (zid, total) in totals {
            let z = zones
                .iter()
                .position(|zz| &zz.id == zid)
                .ok_or_else(|| AgentError::UnknownZone(zid.clone()))? as u32;
            let members: Vec<(usize, f64)> = buildings
                .iter()
                .enumerate()
                .filter(|(k, b)| bz[*k] == z && b.usage == "residential")
                .map(|(k, b)| (k, ring_area(&b.ring) * b.floors.max(1) as f64))
                .collect();
            let w: f64 = members.iter().map(|m| m.1).sum();
            if *total > 0 && (members.is_empty() || w <= 0.0) {
                return Err(AgentError::BadParam {
                    name: "population.zone_totals",
                    message: format!("zone \"{zid}\" has no residential building with an area"),
                });
            }
            let mut given = 0u32;
            let mut rema: Vec<(f64, usize)> = Vec::with_capacity(members.len());
            for &(k, a) in &members {
                let q = *total as f64 * a / w;
                let f = q.floor();
                counts[k] += f as u32;
                given += f as u32;
                rema.push((q - f, k));
            }
            rema.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, k) in rema.iter().take(total.saturating_sub(given) as usize) {
                counts[k] += 1;
            }
        }
        Self::from_counts(buildings, &counts, zones, graph, params, seed)
    }

    fn from_counts(
        buildings: &[Building],
        counts: &[u32],
        zones: &[Zone],
        graph: &RoadGraph,
        params: &AgentParams,
        seed: u64,
    ) -> Result<Self, AgentError> {
        params.validate()?;
        let bz = building_zones(buildings, zones);
        let total: u64 = counts.iter().map(|&c| c as u64).sum();
        if total >= NONE as u64 {
            return Err(AgentError::BadParam {
                name: "population",
                message: format!("{total} households do not fit 32-bit ids"),
            });
        }
        let n = total as usize;
        let pp = &params.population;
        let mp = &params.mobilisation;
        let hz = &params.hazard;
        let mv = &params.movement;
        let mut a = Attrs::default();
        for (bk, b) in buildings.iter().enumerate() {
            let c = counts[bk];
            if c == 0 {
                continue;
            }
            let centroid = b.centroid();
            let nodes = [
                graph.nearest_node(centroid, Mode::Drive),
                graph.nearest_node(centroid, Mode::Walk),
            ];
            let mean = if b.residents > 0 && b.households > 0 {
                (b.residents as f64 / b.households as f64).max(1.0)
            } else {
                pp.household_size
            };
            let trap =
                hz.home_trap_depth_m + b.floors.saturating_sub(1) as f64 * hz.storey_height_m;
            for _ in 0..c {
                let id = a.zone.len() as u64;
                let mut r = rng::stream(seed, id, "population");
                let size = (1 + poisson(mean - 1.0, &mut r)).min(u16::MAX as u32) as u16;
                let car = uniform(&mut r) < pp.vehicle_share;
                let elderly = uniform(&mut r) < pp.elderly_share;
                let children = uniform(&mut r) < pp.children_share;
                let mut m = rng::stream(seed, id, "mobilisation");
                let z = std_normal(&mut m);
                let complies = uniform(&mut m) < mp.compliance;
                let away =
                    uniform(&mut rng::stream(seed, id, "destination")) < pp.self_arranged_share;
                // A car household whose building has no drivable node walks.
                let mode = if car && nodes[0].is_some() {
                    Mode::Drive
                } else {
                    Mode::Walk
                };
                let vul = elderly as u8 | (children as u8) << 1;
                a.building.push(bk as u32);
                a.zone.push(bz[bk]);
                a.persons.push(size);
                a.mode.push(mode);
                a.vulnerable.push(vul);
                a.base_speed.push(match mode {
                    Mode::Drive => f64::INFINITY,
                    Mode::Walk if vul != 0 => mv.slow_walk_speed,
                    Mode::Walk => mv.walk_speed,
                });
                a.home_node
                    .push(nodes[mode.index()].map_or(NONE, |n: NodeId| n.0));
                a.home_pos.push(centroid);
                a.home_trap_depth.push(trap);
                a.mob_z.push(z);
                a.complies.push(complies);
                a.self_arranged.push(away);
            }
        }
        let nz = zones.len();
        Ok(Self {
            seed,
            params: params.clone(),
            attrs: a,
            dynm: Dyn {
                state: vec![HouseholdState::Unaware; n],
                t_recv: vec![f64::INFINITY; n],
                channel: vec![0; n],
                t_depart: vec![f64::INFINITY; n],
                t_state: vec![0.0; n],
                target: vec![NONE; n],
                node: vec![NONE; n],
                edge: vec![NONE; n],
                s: vec![0.0; n],
                exposure: vec![0.0; n],
                reason: vec![0; n],
                t_q: vec![f64::INFINITY; n],
                advice: vec![0; n],
                pending: vec![0; n],
            },
            shelters: Shelters::new(&[], graph, nz)?,
            zones: ZoneState {
                first_recv: vec![f64::INFINITY; nz],
                ack_t: vec![f64::INFINITY; nz],
                acked: vec![false; nz],
                outage_until: vec![f64::NEG_INFINITY; nz],
            },
            channels: Vec::new(),
            channel_issues: Vec::new(),
            events: Vec::new(),
            queues: QueueState::default(),
        })
    }

    /// The evolving part, for a saved state.
    pub fn saved(&self) -> HouseholdsStateRef<'_> {
        HouseholdsStateRef {
            dynm: &self.dynm,
            shelters: &self.shelters,
            zones: &self.zones,
            channels: &self.channels,
            channel_issues: &self.channel_issues,
            events: &self.events,
            queues: &self.queues,
        }
    }

    /// Put back a saved evolving part onto households built from the same scenario and
    /// seed. The error says what does not fit (household, zone or shelter counts).
    pub fn restore(&mut self, st: HouseholdsState) -> Result<(), AgentError> {
        let n = self.len();
        let d = &st.dynm;
        let lens = [
            d.state.len(),
            d.t_recv.len(),
            d.channel.len(),
            d.t_depart.len(),
            d.t_state.len(),
            d.target.len(),
            d.node.len(),
            d.edge.len(),
            d.s.len(),
            d.exposure.len(),
            d.reason.len(),
            d.t_q.len(),
            d.advice.len(),
            d.pending.len(),
        ];
        if lens.iter().any(|&l| l != n) {
            return Err(AgentError::BadState(format!(
                "the saved state has {} households, the scenario {n}",
                d.state.len()
            )));
        }
        let nz = self.zone_count();
        let z = &st.zones;
        if [
            z.first_recv.len(),
            z.ack_t.len(),
            z.acked.len(),
            z.outage_until.len(),
        ]
        .iter()
        .any(|&l| l != nz)
        {
            return Err(AgentError::BadState(format!(
                "the saved state has {} zones, the scenario {nz}",
                z.first_recv.len()
            )));
        }
        if st.shelters.len() != self.shelters.len() {
            return Err(AgentError::BadState(format!(
                "the saved state has {} shelters, the scenario {}",
                st.shelters.len(),
                self.shelters.len()
            )));
        }
        if st.channels.len() != st.channel_issues.len()
            || d.channel
                .iter()
                .any(|&c| c as usize >= st.channels.len().max(1))
        {
            return Err(AgentError::BadState(
                "the saved warning channels do not match the households' receptions".into(),
            ));
        }
        self.dynm = st.dynm;
        self.shelters = st.shelters;
        self.zones = st.zones;
        self.channels = st.channels;
        self.channel_issues = st.channel_issues;
        self.events = st.events;
        self.queues = st.queues;
        Ok(())
    }

    /// Replace the shelters (before the first step; occupancy starts as given).
    pub fn set_shelters(&mut self, shelters: Shelters) {
        self.shelters = shelters;
    }

    /// The shelters (occupancy, capacity, nodes for route trees).
    pub fn shelters(&self) -> &Shelters {
        &self.shelters
    }

    /// Open or close shelter `k` (an order); people inside stay.
    pub fn set_shelter_open(&mut self, k: usize, open: bool) {
        self.shelters.set_open(k, open);
    }

    /// The parameters in use.
    pub fn params(&self) -> &AgentParams {
        &self.params
    }

    /// Number of households.
    pub fn len(&self) -> usize {
        self.attrs.zone.len()
    }

    /// True without households.
    pub fn is_empty(&self) -> bool {
        self.attrs.zone.is_empty()
    }

    /// Number of zones.
    pub fn zone_count(&self) -> usize {
        self.zones.first_recv.len()
    }

    /// State of household `hh`.
    pub fn state(&self, hh: HouseholdId) -> HouseholdState {
        self.dynm.state[hh.idx()]
    }

    /// All states, indexed by household id.
    pub fn states(&self) -> &[HouseholdState] {
        &self.dynm.state
    }

    /// Persons in household `hh`.
    pub fn persons(&self, hh: HouseholdId) -> u32 {
        self.attrs.persons[hh.idx()] as u32
    }

    /// Zone index of `hh` (`None` outside every zone).
    pub fn zone(&self, hh: HouseholdId) -> Option<u32> {
        Some(self.attrs.zone[hh.idx()]).filter(|&z| z != NONE)
    }

    /// Building index of `hh`.
    pub fn building(&self, hh: HouseholdId) -> u32 {
        self.attrs.building[hh.idx()]
    }

    /// Travel mode of `hh`.
    pub fn mode(&self, hh: HouseholdId) -> Mode {
        self.attrs.mode[hh.idx()]
    }

    /// True if `hh` has an elderly member.
    pub fn elderly(&self, hh: HouseholdId) -> bool {
        self.attrs.vulnerable[hh.idx()] & 1 != 0
    }

    /// True if `hh` has children.
    pub fn children(&self, hh: HouseholdId) -> bool {
        self.attrs.vulnerable[hh.idx()] & 2 != 0
    }

    /// True if `hh` leaves when warned (its compliance draw).
    pub fn complies(&self, hh: HouseholdId) -> bool {
        self.attrs.complies[hh.idx()]
    }

    /// Home node of `hh` for its mode (`None` if the graph has none).
    pub fn home_node(&self, hh: HouseholdId) -> Option<NodeId> {
        Some(self.attrs.home_node[hh.idx()])
            .filter(|&n| n != NONE)
            .map(NodeId)
    }

    /// Scheduled or past reception time of `hh` (`None` if no channel reaches it).
    pub fn reception_time(&self, hh: HouseholdId) -> Option<f64> {
        Some(self.dynm.t_recv[hh.idx()]).filter(|t| t.is_finite())
    }

    /// Departure time of `hh` once it has received a warning.
    pub fn departure_time(&self, hh: HouseholdId) -> Option<f64> {
        Some(self.dynm.t_depart[hh.idx()]).filter(|t| t.is_finite())
    }

    /// Time of `hh`'s last state change, seconds.
    pub fn state_time(&self, hh: HouseholdId) -> f64 {
        self.dynm.t_state[hh.idx()]
    }

    /// Why `hh` waits, stayed in place or took refuge ([`Reason::None`] otherwise).
    pub fn reason(&self, hh: HouseholdId) -> Reason {
        Reason::from_code(self.dynm.reason[hh.idx()])
    }

    /// The action of the warning `hh` acts on (`None` before any reached it).
    pub fn advice(&self, hh: HouseholdId) -> Option<WarnAction> {
        action_of(self.dynm.advice[hh.idx()])
    }

    /// Destination shelter index of `hh`.
    pub fn target(&self, hh: HouseholdId) -> Option<u32> {
        Some(self.dynm.target[hh.idx()]).filter(|&s| s != NONE)
    }

    /// Map position of `hh`: along its edge, at its node, or at home.
    pub fn position(&self, hh: HouseholdId, graph: &RoadGraph) -> Pt {
        let i = hh.idx();
        position_of(
            graph,
            self.dynm.node[i],
            self.dynm.edge[i],
            self.dynm.s[i],
            self.attrs.home_pos[i],
        )
    }

    /// Id of channel index `k` (as carried by [`AgentEvent::WarningReceived`]).
    pub fn channel_id(&self, k: u16) -> &str {
        &self.channels[k as usize]
    }

    /// Acknowledgement time of zone `z` once known (first reception + ack delay).
    pub fn zone_ack_time(&self, z: u32) -> Option<f64> {
        self.zones
            .ack_t
            .get(z as usize)
            .copied()
            .filter(|t| t.is_finite())
    }

    /// Communication outage: warnings issued to zone `z` before `until` (sim seconds)
    /// are held and go out at `until`.
    pub fn set_comm_outage(&mut self, z: u32, until: f64) -> Result<(), AgentError> {
        let slot = self
            .zones
            .outage_until
            .get_mut(z as usize)
            .ok_or(AgentError::UnknownZone(format!("#{z}")))?;
        *slot = until;
        Ok(())
    }

    /// Events produced so far (not yet drained).
    pub fn events(&self) -> &[AgentEvent] {
        &self.events
    }

    /// Take the events produced since the last drain.
    pub fn drain_events(&mut self) -> Vec<AgentEvent> {
        std::mem::take(&mut self.events)
    }

    /// Issue an evacuation warning on `channel` at `t_issue` to the zones (indices)
    /// listed ([`Households::issue_warning_with`] with [`WarnAction::Evacuate`]).
    pub fn issue_warning(
        &mut self,
        zones: &[u32],
        channel: &ChannelParams,
        t_issue: f64,
    ) -> Result<usize, AgentError> {
        self.issue_warning_with(zones, channel, t_issue, WarnAction::Evacuate)
    }

    /// Issue a warning telling the zones (indices) listed to `action`, on `channel` at
    /// `t_issue`.
    ///
    /// It is for every household of those zones still unaware, and for those at home
    /// that act on a weaker action (ready after "prepare", staying in after "shelter in
    /// place") when this one is stronger. Each draws, from its own stream
    /// `warn/<channel id>/<k>` (`k` = how often the channel was issued before), whether
    /// the channel reaches it (probability `reach`) and its delay
    /// `half_time · log2(1 / (1 − u))` after the zone's effective issue time (held
    /// until the end of a comm outage). An unaware household's reception time becomes
    /// the earliest over channels, and it acts on the strongest action on its way; a
    /// warned one receives the stronger action at its new reception time. Returns how
    /// many households got an earlier (or a stronger) reception.
    pub fn issue_warning_with(
        &mut self,
        zones: &[u32],
        channel: &ChannelParams,
        t_issue: f64,
        action: WarnAction,
    ) -> Result<usize, AgentError> {
        channel.validate()?;
        let nz = self.zone_count();
        let mut eff = vec![f64::NAN; nz];
        for &z in zones {
            let zi = z as usize;
            if zi >= nz {
                return Err(AgentError::UnknownZone(format!("#{z}")));
            }
            eff[zi] = t_issue.max(self.zones.outage_until[zi]);
        }
        let ck = match self.channels.iter().position(|c| c == &channel.id) {
            Some(k) => k,
            None => {
                if self.channels.len() >= u16::MAX as usize {
                    return Err(AgentError::BadParam {
                        name: "channel.id",
                        message: "too many channels".into(),
                    });
                }
                self.channels.push(channel.id.clone());
                self.channel_issues.push(0);
                self.channels.len() - 1
            }
        };
        let purpose = format!("warn/{}/{}", channel.id, self.channel_issues[ck]);
        self.channel_issues[ck] += 1;
        let seed = self.seed;
        let code = action_code(action);
        let zone = &self.attrs.zone;
        let state = &self.dynm.state;
        let advice = &self.dynm.advice;
        let (reach, half) = (channel.reach, channel.half_time_s);
        let improved: usize = self
            .dynm
            .t_recv
            .par_chunks_mut(CHUNK)
            .zip(self.dynm.channel.par_chunks_mut(CHUNK))
            .zip(self.dynm.pending.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(c, ((tr, ch), pend))| {
                let base = c * CHUNK;
                let mut n = 0;
                for k in 0..tr.len() {
                    let i = base + k;
                    let z = zone[i];
                    if z == NONE {
                        continue;
                    }
                    // Unaware, or at home on a weaker action than this one.
                    let upgrade =
                        matches!(state[i], HouseholdState::Ready | HouseholdState::InPlace)
                            && advice[i] != 0
                            && code > advice[i].max(pend[k]);
                    if state[i] != HouseholdState::Unaware && !upgrade {
                        continue;
                    }
                    let e = eff[z as usize];
                    if e.is_nan() {
                        continue;
                    }
                    let mut r = rng::stream(seed, i as u64, &purpose);
                    if uniform(&mut r) >= reach {
                        continue;
                    }
                    let u = uniform(&mut r);
                    let t = e + half * (1.0 / (1.0 - u)).log2();
                    if upgrade {
                        // A new reception of the stronger action.
                        tr[k] = t;
                        ch[k] = ck as u16;
                        pend[k] = code;
                        n += 1;
                    } else {
                        if t < tr[k] {
                            tr[k] = t;
                            ch[k] = ck as u16;
                            n += 1;
                        }
                        pend[k] = pend[k].max(code);
                    }
                }
                n
            })
            .sum();
        // Zone first reception (min is order-independent).
        for i in 0..self.len() {
            let z = self.attrs.zone[i];
            if z != NONE && !eff[z as usize].is_nan() {
                let fr = &mut self.zones.first_recv[z as usize];
                *fr = fr.min(self.dynm.t_recv[i]);
            }
        }
        if let Some(ack) = self.params.ack_delay_s {
            for z in 0..nz {
                if !self.zones.acked[z] && self.zones.first_recv[z].is_finite() {
                    self.zones.ack_t[z] = self.zones.first_recv[z] + ack;
                }
            }
        }
        Ok(improved)
    }

    /// A force rescued household `hh` at `t`: it becomes `Rescued` (the caller
    /// transports it) and a [`AgentEvent::Rescued`] is recorded. Returns its persons.
    /// Refused for households sheltered, already rescued, or casualties.
    pub fn rescue(&mut self, hh: HouseholdId, t: f64) -> Result<u32, AgentError> {
        let i = hh.idx();
        let st = *self
            .dynm
            .state
            .get(i)
            .ok_or(AgentError::UnknownHousehold(hh.0))?;
        if matches!(
            st,
            HouseholdState::Sheltered
                | HouseholdState::Away
                | HouseholdState::Rescued
                | HouseholdState::Casualty
        ) {
            return Err(AgentError::WrongState {
                hh: hh.0,
                state: st.name(),
                what: "rescued",
            });
        }
        self.dynm.state[i] = HouseholdState::Rescued;
        self.dynm.t_state[i] = t;
        self.dynm.edge[i] = NONE;
        self.dynm.t_q[i] = f64::INFINITY;
        let persons = self.attrs.persons[i] as u32;
        self.events.push(AgentEvent::Rescued { hh, t, persons });
        Ok(persons)
    }

    /// `persons` rescued are brought to shelter `k`: they count into its occupancy
    /// whatever the room (the excess is recorded as over capacity). Out-of-range
    /// indices are ignored.
    pub fn deliver_rescued(&mut self, k: usize, persons: u32) {
        if k < self.shelters.len() {
            self.shelters.deliver(k, persons);
        }
    }

    /// Households and persons by state and zone (last row: outside every zone).
    pub fn counts_by_state_and_zone(&self) -> StateTable {
        let rows = self.zone_count() + 1;
        let mut t = StateTable {
            households: vec![[0; HouseholdState::COUNT]; rows],
            persons: vec![[0; HouseholdState::COUNT]; rows],
        };
        for i in 0..self.len() {
            let z = self.attrs.zone[i];
            let r = if z == NONE { rows - 1 } else { z as usize };
            let s = self.dynm.state[i] as usize;
            t.households[r][s] += 1;
            t.persons[r][s] += self.attrs.persons[i] as u32;
        }
        t
    }

    /// blake3 digest of the dynamic state (every household's state, times, position,
    /// destination) and the shelters' occupancy — for replay verification and
    /// thread-count tests.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"floodrill-agents-v1");
        let d = &self.dynm;
        for i in 0..self.len() {
            h.update(&[d.state[i] as u8]);
            for v in [
                d.t_recv[i],
                d.t_depart[i],
                d.t_state[i],
                d.s[i],
                d.exposure[i],
                d.t_q[i],
            ] {
                h.update(&v.to_bits().to_le_bytes());
            }
            for v in [
                d.target[i],
                d.node[i],
                d.edge[i],
                d.channel[i] as u32,
                d.reason[i] as u32,
                d.advice[i] as u32,
                d.pending[i] as u32,
            ] {
                h.update(&v.to_le_bytes());
            }
        }
        self.shelters.hash_into(&mut h);
        for v in self.queues.next_exit.iter().flatten() {
            h.update(&v.to_bits().to_le_bytes());
        }
        for (&t, &a) in self.zones.ack_t.iter().zip(&self.zones.acked) {
            h.update(&t.to_bits().to_le_bytes());
            h.update(&[a as u8]);
        }
        *h.finalize().as_bytes()
    }
}

/// Position from (node, edge, s), or `home` when at home.
#[inline]
pub(crate) fn position_of(graph: &RoadGraph, node: u32, edge: u32, s: f64, home: Pt) -> Pt {
    if edge != NONE {
        let e = &graph.edges[edge as usize];
        let (a, b) = (graph.node_pos[e.from.idx()], graph.node_pos[e.to.idx()]);
        let f = if e.length > 0.0 {
            (s / e.length).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
    } else if node != NONE {
        graph.node_pos[node as usize]
    } else {
        home
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_is_close() {
        let mut r = rng::stream(1, 2, "test");
        let n = 20_000;
        let s: u64 = (0..n).map(|_| poisson(1.6, &mut r) as u64).sum();
        let mean = s as f64 / n as f64;
        assert!((mean - 1.6).abs() < 0.05, "{mean}");
    }

    #[test]
    fn normal_moments() {
        let mut r = rng::stream(1, 3, "test");
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| std_normal(&mut r)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05, "{m} {v}");
    }
}
