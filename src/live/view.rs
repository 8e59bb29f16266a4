//! What the console shows of a drill at one moment: a [`SimView`], taken from the
//! engine's world by the worker after a tick and handed to the window, which draws it
//! without ever touching the simulation.
//!
//! How it works: [`SimView::take`] reads the world once — the clock, the water depth
//! (f32, enough to draw) and each cell's hazard class (AIDR H1–H6 from depth and
//! speed), the rain at the district centre, every household's position and state, the
//! teams and robots with their state, what they are doing and the route still ahead,
//! the open rescue requests, the shelters with their occupancy, the injects still to
//! come, the drainage network's state, and (when asked) the live scorecard. It costs a
//! few milliseconds on a 512² district with 10,000 households, so the worker takes one
//! at most every frame interval, never per sub-step.

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::World;

use crate::agents::HouseholdState;
use crate::engine::RestoredView;
use crate::engine::exercise::{Inbox, Sensors, UnitStatus};
use crate::engine::forces::ForcesRes;
use crate::engine::hydro::Water;
use crate::engine::people::{People, Warnings};
use crate::engine::sense::sensor_truth;
use crate::exercise::SimClock;
use crate::exercise::commands::CommandKind;
use crate::exercise::sensors::Measure;
use crate::hydro::drainage::DualDrainage;
use crate::scenario::schema::InjectEvent;
use crate::scoring::Scorecard;
use crate::world::routing::Passability;
use crate::world::{GridSpec, Pt};

/// AIDR hazard class (Guideline 7-3, 2017) of water `d` metres deep flowing at `v`
/// m/s: 0 for dry (< 1 cm), else 1 (H1, generally safe) to 6 (H6, unsafe for all
/// buildings). The bounds are the guideline's combined depth, speed and depth × speed
/// limits.
pub fn hazard_class(d: f64, v: f64) -> u8 {
    if !(d.is_finite() && v.is_finite()) || d < 0.01 {
        return 0;
    }
    let dv = d * v;
    // (max depth, max speed, max depth × speed) of H1 … H5.
    const LIMITS: [(f64, f64, f64); 5] = [
        (0.3, 2.0, 0.3),
        (0.5, 2.0, 0.6),
        (1.2, 2.0, 0.6),
        (2.0, 2.0, 1.0),
        (4.0, 4.0, 4.0),
    ];
    for (k, (dm, vm, dvm)) in LIMITS.iter().enumerate() {
        if d <= *dm && v <= *vm && dv <= *dvm {
            return k as u8 + 1;
        }
    }
    6
}

/// A team or robot as the console shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitView {
    /// Id (what orders name).
    pub id: String,
    /// Name.
    pub name: String,
    /// A robot (drainage), not a team.
    pub robot: bool,
    /// Kind in words (`boat`, `vehicle`, `foot`, `robot`).
    pub kind: String,
    /// State (`standby`, `en_route`, …).
    pub state: String,
    /// Position, map metres.
    pub pos: Pt,
    /// Persons aboard (teams).
    pub aboard: u32,
    /// Crew (teams) .
    pub crew: u32,
    /// Volume pumped so far, m³ (robots).
    pub pumped_m3: f64,
    /// What it is doing, in words.
    pub doing: String,
    /// The route still ahead, its position first (empty when not travelling).
    pub route: Vec<Pt>,
    /// Where it is going, when that is a point; beyond the route's end when the water
    /// cuts the way.
    pub goal: Option<Pt>,
    /// The last positions it recorded (its track), oldest first.
    pub track: Vec<Pt>,
    /// Free for a new order (standby, posted, on scene, idle).
    pub free: bool,
}

/// An open rescue request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestView {
    /// Request id.
    pub id: u32,
    /// Where, map metres.
    pub at: Pt,
    /// Persons.
    pub persons: u32,
    /// Raised at, s.
    pub t: f64,
    /// A unit is on its way.
    pub assigned: bool,
}

/// A shelter (or assembly point) and how full it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ShelterView {
    /// Id.
    pub id: String,
    /// Where, map metres.
    pub at: Pt,
    /// Persons it takes.
    pub capacity: u32,
    /// Persons in it.
    pub occupancy: u32,
    /// Open.
    pub open: bool,
}

/// A scenario inject still to come.
#[derive(Debug, Clone)]
pub struct PendingInject {
    /// Inject id.
    pub id: String,
    /// When it is due, s.
    pub t: f64,
    /// What it does.
    pub event: InjectEvent,
}

/// Where a zone's people stand, as the map colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneStatus {
    /// No warning has been issued to it.
    NotWarned,
    /// Warned; nobody on the move yet (and not all safe).
    Warned,
    /// Households preparing, on the road or waiting for a way on.
    Evacuating,
    /// Warned, and nobody left to move: every household is in a shelter, away, in a
    /// refuge, rescued, or staying in on purpose (told to, or refusing).
    Cleared,
}

impl ZoneStatus {
    /// Chinese and English, for the legend.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotWarned => "未预警 not warned",
            Self::Warned => "已预警 warned",
            Self::Evacuating => "转移中 evacuating",
            Self::Cleared => "已清空 cleared",
        }
    }

    /// The status of a zone from whether it was warned and its households by state
    /// (indexed by [`HouseholdState`]). Trapped households keep a zone from clearing.
    pub fn of(warned: bool, by_state: &[u32; HouseholdState::COUNT]) -> Self {
        use HouseholdState as S;
        let n = |s: S| by_state[s as usize];
        if !warned {
            return Self::NotWarned;
        }
        if n(S::Preparing) + n(S::Moving) + n(S::Waiting) > 0 {
            return Self::Evacuating;
        }
        let left = n(S::Unaware) + n(S::Warned) + n(S::Ready) + n(S::Trapped);
        if left == 0 {
            Self::Cleared
        } else {
            Self::Warned
        }
    }
}

/// A zone's status and its households.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneView {
    /// Zone id.
    pub id: String,
    /// Status.
    pub status: ZoneStatus,
    /// Households in the zone.
    pub households: u32,
    /// Of them, safe (sheltered, away, rescued).
    pub safe: u32,
}

/// A road segment that is not open (open ones are the base map's roads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadView {
    /// From, map metres.
    pub a: Pt,
    /// To, map metres.
    pub b: Pt,
    /// How passable.
    pub state: Passability,
    /// Water on it, m.
    pub depth: f64,
}

/// A virtual sensor: what the trainees see of it, and the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorView {
    /// Sensor id.
    pub id: String,
    /// Where, map metres.
    pub at: Pt,
    /// A rain gauge (mm/h).
    pub rain: bool,
    /// A pump station's or robot's status (0 failed, 1 working, 2 pumping), not a
    /// water level (m).
    pub status: bool,
    /// The latest visible reading (noise and latency included): value and when it was
    /// taken, s.
    pub visible: Option<(f64, f64)>,
    /// The true value now (trainer only).
    pub truth: Option<f64>,
}

/// Household counts the top bar shows: safe away from home, staying in, moving,
/// waiting for a way on, trapped.
pub type HouseholdCounts = [u32; 5];

/// How the worker is running (carried by every view).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunState {
    /// Running as fast as it can to this moment first (`--start-at`).
    pub fast_forward: Option<f64>,
    /// Sim seconds per real second asked for.
    pub speed: f64,
    /// Paused.
    pub paused: bool,
    /// Sim seconds per real second achieved over the last second or so.
    pub achieved: f64,
    /// Ticks could not keep up with the speed (ticks dropped).
    pub behind: bool,
    /// Wall time of the last tick, ms.
    pub last_tick_ms: f64,
    /// Why the drill stopped, if a tick failed.
    pub failure: Option<String>,
    /// The replay being written, if any.
    pub recording: Option<PathBuf>,
    /// The replay under review, if any.
    pub reviewing: Option<PathBuf>,
}

/// The drill at one moment, as the console draws it.
#[derive(Debug, Clone)]
pub struct SimView {
    /// The clock.
    pub clock: SimClock,
    /// The water grid (`None` without a water model).
    pub spec: Option<GridSpec>,
    /// Water depth per cell, m (row-major, row 0 north; empty without water).
    pub depth: Vec<f32>,
    /// Hazard class per cell (0 dry, 1–6 H1–H6).
    pub hazard: Vec<u8>,
    /// Cells outside the model (buildings burned out, nodata), shared between views.
    pub blocked: Arc<Vec<bool>>,
    /// Rain now at the district centre, mm/h.
    pub rain_mm_h: Option<f64>,
    /// Every household: map position (f32 metres) and [`HouseholdState`] as `u8`.
    pub households: Vec<(f32, f32, u8)>,
    /// Household counts (`None` without people).
    pub counts: Option<HouseholdCounts>,
    /// Teams, then robots.
    pub units: Vec<UnitView>,
    /// Open rescue requests.
    pub requests: Vec<RequestView>,
    /// Rescue requests raised so far.
    pub requests_raised: usize,
    /// Shelters.
    pub shelters: Vec<ShelterView>,
    /// Scenario injects not yet applied, by due time.
    pub pending_injects: Vec<PendingInject>,
    /// Zones with their status, in scenario order (empty without people).
    pub zones: Vec<ZoneView>,
    /// Road segments slowed or closed, per direction.
    pub roads: Vec<RoadView>,
    /// Virtual sensors, in scenario order.
    pub sensors: Vec<SensorView>,
    /// The drainage network now (`None` without one).
    pub network: Option<Arc<DualDrainage>>,
    /// The live scorecard (taken at most every second of wall time).
    pub card: Option<Arc<Scorecard>>,
    /// The world holds a recorded view (review), not an exact state: time cannot run
    /// until the exact state is restored.
    pub is_view: bool,
    /// Wet cells (deeper than 1 cm).
    pub wet_cells: usize,
    /// How the worker is running.
    pub run: RunState,
}

/// Whether a unit in `state` takes new orders at once.
fn free_state(state: &str) -> bool {
    matches!(state, "standby" | "posted" | "on_scene" | "idle")
}

fn state_word<T: serde::Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Last `n` points of a `(t, x, y)` track.
fn track_tail(track: &[(f64, f64, f64)], n: usize) -> Vec<Pt> {
    track[track.len().saturating_sub(n)..]
        .iter()
        .map(|&(_, x, y)| (x, y))
        .collect()
}

impl SimView {
    /// Read the world. `blocked` is the model's mask (shared, it never changes);
    /// `card` the scorecard to carry (taken by the caller when due).
    pub fn take(world: &World, blocked: &Arc<Vec<bool>>, card: Option<Arc<Scorecard>>) -> Self {
        let clock = *world.resource::<SimClock>();
        let mut v = SimView {
            clock,
            spec: None,
            depth: Vec::new(),
            hazard: Vec::new(),
            blocked: blocked.clone(),
            rain_mm_h: None,
            households: Vec::new(),
            counts: None,
            units: Vec::new(),
            requests: Vec::new(),
            requests_raised: 0,
            shelters: Vec::new(),
            pending_injects: Vec::new(),
            zones: Vec::new(),
            roads: Vec::new(),
            sensors: Vec::new(),
            network: None,
            card,
            is_view: world
                .get_resource::<RestoredView>()
                .is_some_and(|r| r.0.is_some()),
            wet_cells: 0,
            run: RunState::default(),
        };
        if let Some(w) = world.get_resource::<Water>() {
            v.water(&w.0, clock.t);
        }
        if let Some(p) = world.get_resource::<People>() {
            v.people(&p.0);
            let warned: std::collections::BTreeSet<&str> = world
                .get_resource::<Warnings>()
                .map(|w| {
                    w.0.iter()
                        .flat_map(|i| i.zones.iter().map(String::as_str))
                        .collect()
                })
                .unwrap_or_default();
            v.zones_and_roads(&p.0, &warned);
        }
        if let Some(s) = world.get_resource::<Sensors>() {
            let water = world.get_resource::<Water>();
            let status = world
                .get_resource::<UnitStatus>()
                .cloned()
                .unwrap_or_default();
            v.sensors =
                s.0.iter()
                    .map(|s| {
                        let rain = matches!(s.measure, Measure::Rain);
                        let is_status = matches!(s.measure, Measure::PumpStatus(_));
                        let truth = sensor_truth(&s.measure, s.at, water, &status, clock.t);
                        SensorView {
                            id: s.id.clone(),
                            at: s.at,
                            rain,
                            status: is_status,
                            visible: s.visible().map(|r| (r.value, r.t_sample)),
                            truth,
                        }
                    })
                    .collect();
        }
        if let Some(f) = world.get_resource::<ForcesRes>() {
            v.forces(&f.0);
        }
        if let Some(inbox) = world.get_resource::<Inbox>() {
            v.pending_injects = inbox
                .pending
                .iter()
                .filter(|c| c.source.starts_with("injects["))
                .filter_map(|c| match &c.kind {
                    CommandKind::Inject(e) => Some(PendingInject {
                        id: c.id.clone(),
                        t: c.t,
                        event: e.clone(),
                    }),
                    _ => None,
                })
                .collect();
        }
        v
    }

    fn water(&mut self, m: &crate::hydro::AnyModel, t: f64) {
        let spec = *m.spec();
        let depth = m.depth();
        self.depth = depth.iter().map(|&d| d as f32).collect();
        self.hazard = vec![0; spec.len()];
        let mut wet = 0;
        for r in 0..spec.nrows {
            for c in 0..spec.ncols {
                let i = spec.idx(r, c);
                let d = depth[i];
                if d < 0.01 || self.blocked.get(i).copied().unwrap_or(false) {
                    continue;
                }
                wet += 1;
                let (u, w) = m.velocity(r, c);
                self.hazard[i] = hazard_class(d, u.hypot(w));
            }
        }
        self.wet_cells = wet;
        let (x0, y0, x1, y1) = spec.extent();
        self.rain_mm_h =
            Some(
                m.rain_field()
                    .intensity_at(&spec, (x0 + x1) / 2.0, (y0 + y1) / 2.0, t),
            );
        self.network = m.drainage().map(|d| Arc::new(d.clone()));
        self.spec = Some(spec);
    }

    fn people(&mut self, p: &crate::setup::people::PeopleSetup) {
        let hh = &p.households;
        self.households = (0..hh.len())
            .map(|i| {
                let id = crate::agents::HouseholdId(i as u32);
                let (x, y) = hh.position(id, &p.graph);
                (x as f32, y as f32, hh.state(id) as u8)
            })
            .collect();
        let t = hh.counts_by_state_and_zone();
        self.counts = Some([
            t.total(HouseholdState::Sheltered) + t.total(HouseholdState::Away),
            t.total(HouseholdState::InPlace) + t.total(HouseholdState::Refuge),
            t.total(HouseholdState::Moving),
            t.total(HouseholdState::Waiting),
            t.total(HouseholdState::Trapped),
        ]);
        let s = hh.shelters();
        self.shelters = (0..s.len())
            .map(|k| ShelterView {
                id: s.id(k).to_string(),
                at: s.pos(k),
                capacity: s.capacity(k),
                occupancy: s.occupancy(k),
                open: s.is_open(k),
            })
            .collect();
    }

    fn zones_and_roads(
        &mut self,
        p: &crate::setup::people::PeopleSetup,
        warned: &std::collections::BTreeSet<&str>,
    ) {
        let table = p.households.counts_by_state_and_zone();
        self.zones = p
            .zone_index
            .iter()
            .filter_map(|(id, &k)| {
                let row = table.households.get(k as usize)?;
                let safe = [
                    HouseholdState::Sheltered,
                    HouseholdState::Away,
                    HouseholdState::Rescued,
                ]
                .iter()
                .map(|&s| row[s as usize])
                .sum();
                Some(ZoneView {
                    id: id.clone(),
                    status: ZoneStatus::of(warned.contains(id.as_str()), row),
                    households: row.iter().sum(),
                    safe,
                })
            })
            .collect();
        self.roads = (0..p.graph.edge_count())
            .filter_map(|i| {
                let e = crate::world::roads::EdgeId(i as u32);
                let state = p.costs.passability(e);
                (state != Passability::Open).then(|| {
                    let edge = &p.graph.edges[i];
                    RoadView {
                        a: p.graph.pos(edge.from),
                        b: p.graph.pos(edge.to),
                        state,
                        depth: p.costs.depth(e),
                    }
                })
            })
            .collect();
    }

    fn forces(&mut self, f: &crate::forces::Forces) {
        for t in &f.teams {
            let state = state_word(&t.state);
            let goal = t.goal_point().filter(|_| state != "standby");
            self.units.push(UnitView {
                id: t.spec.id.clone(),
                name: t.spec.name.clone(),
                robot: false,
                kind: state_word(&t.spec.kind),
                free: free_state(&state),
                state,
                pos: t.pos,
                aboard: t.aboard,
                crew: t.spec.crew,
                pumped_m3: 0.0,
                doing: t.goal_text(),
                route: t.route_ahead(),
                goal,
                track: track_tail(&t.track, 240),
            });
        }
        for r in &f.robots {
            let state = state_word(&r.state);
            let goal = r.goal_point().filter(|_| state != "standby");
            self.units.push(UnitView {
                id: r.spec.id.clone(),
                name: r.spec.name.clone(),
                robot: true,
                kind: "robot".into(),
                free: free_state(&state),
                state,
                pos: r.pos,
                aboard: 0,
                crew: 0,
                pumped_m3: r.pumped_m3,
                doing: r.goal_text(),
                route: r.route_ahead(),
                goal,
                track: track_tail(&r.track, 240),
            });
        }
        self.requests_raised = f.requests.len();
        self.requests = f
            .requests
            .iter()
            .filter(|r| r.closed.is_none())
            .map(|r| RequestView {
                id: r.id,
                at: r.at,
                persons: r.persons,
                t: r.t,
                assigned: r.assigned.is_some(),
            })
            .collect();
    }

    /// The unit nearest to a map point within `radius` metres.
    pub fn unit_near(&self, p: Pt, radius: f64) -> Option<usize> {
        nearest(self.units.iter().map(|u| u.pos), p, radius)
    }

    /// The household nearest to a map point within `radius` metres.
    pub fn household_near(&self, p: Pt, radius: f64) -> Option<usize> {
        nearest(
            self.households
                .iter()
                .map(|&(x, y, _)| (f64::from(x), f64::from(y))),
            p,
            radius,
        )
    }

    /// Depth (m) and hazard class of the cell under a map point.
    pub fn cell_at(&self, p: Pt) -> Option<(usize, usize, f32, u8)> {
        let spec = self.spec?;
        let (x0, _, _, y1) = spec.extent();
        let c = ((p.0 - x0) / spec.cell).floor();
        let r = ((y1 - p.1) / spec.cell).floor();
        if c < 0.0 || r < 0.0 || c >= spec.ncols as f64 || r >= spec.nrows as f64 {
            return None;
        }
        let (r, c) = (r as usize, c as usize);
        let i = spec.idx(r, c);
        Some((r, c, *self.depth.get(i)?, *self.hazard.get(i)?))
    }
}

fn nearest(pts: impl Iterator<Item = Pt>, p: Pt, radius: f64) -> Option<usize> {
    pts.enumerate()
        .map(|(k, q)| (k, (q.0 - p.0).hypot(q.1 - p.1)))
        .filter(|(_, d)| *d <= radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// Words for a household state byte (as [`SimView::households`] carries it).
pub fn household_state_name(s: u8) -> &'static str {
    HouseholdState::ALL
        .get(usize::from(s))
        .map_or("?", |h| h.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazard_classes_follow_the_guideline_bounds() {
        assert_eq!(hazard_class(0.0, 0.0), 0);
        assert_eq!(hazard_class(0.2, 0.5), 1);
        assert_eq!(hazard_class(0.4, 0.5), 2);
        assert_eq!(hazard_class(0.4, 1.8), 4, "d·v 0.72 is past H3's 0.6");
        assert_eq!(hazard_class(1.0, 0.3), 3);
        assert_eq!(hazard_class(1.5, 0.5), 4);
        assert_eq!(hazard_class(3.0, 1.0), 5);
        assert_eq!(hazard_class(5.0, 0.1), 6);
        assert_eq!(hazard_class(f64::NAN, 0.0), 0);
    }

    #[test]
    fn a_zone_clears_only_when_warned_and_nobody_is_left_to_move() {
        use HouseholdState as S;
        let with = |pairs: &[(S, u32)]| {
            let mut a = [0u32; HouseholdState::COUNT];
            for &(s, n) in pairs {
                a[s as usize] = n;
            }
            a
        };
        let all_safe = with(&[(S::Sheltered, 5), (S::InPlace, 2), (S::Staying, 1)]);
        assert_eq!(ZoneStatus::of(false, &all_safe), ZoneStatus::NotWarned);
        assert_eq!(ZoneStatus::of(true, &all_safe), ZoneStatus::Cleared);
        let home = with(&[(S::Warned, 3), (S::Sheltered, 1)]);
        assert_eq!(ZoneStatus::of(true, &home), ZoneStatus::Warned);
        let moving = with(&[(S::Moving, 1), (S::Sheltered, 9)]);
        assert_eq!(ZoneStatus::of(true, &moving), ZoneStatus::Evacuating);
        let trapped = with(&[(S::Trapped, 1), (S::Sheltered, 9)]);
        assert_eq!(ZoneStatus::of(true, &trapped), ZoneStatus::Warned);
    }

    #[test]
    fn the_nearest_point_within_the_radius_wins() {
        let pts = [(0.0, 0.0), (10.0, 0.0), (3.0, 4.0)];
        assert_eq!(nearest(pts.into_iter(), (2.0, 3.0), 10.0), Some(2));
        assert_eq!(nearest(pts.into_iter(), (50.0, 50.0), 10.0), None);
    }
}
