//! The response forces: rescue teams and drainage robots (and mobile pumps), their
//! orders, travel, rescues and pumping — a plain-Rust kernel the engine drives once per
//! tick in `SimSet::Forces`.
//!
//! How it works:
//! - A **team** (vehicle, boat, on foot) goes standby → en route → on scene → rescuing →
//!   transporting → returning (or posted at a staging post). Vehicles and teams on foot
//!   follow the road graph within their wading limit; boats cross the water grid
//!   ([`route`]). A rescue takes `rescue_time_per_person` per person; a team takes what
//!   it can carry, delivers it to the nearest open shelter, then goes back to its post
//!   or depot. Teams re-plan their route every [`REPLAN_S`] as the water changes.
//! - A **robot** travels the roads within its wading limit, sets up, then pumps its
//!   capacity from the open cells within its hose reach (never more than is there) and
//!   discharges it to the nearest river cell within its discharge reach, or out of the
//!   district; failures stop it until restored.
//! - **Rescue requests** come from trapped households and from false reports. Each
//!   records when it was raised, reached and closed — the evidence of 力量到位 and 处置到位.
//!
//! The kernel never sees the hydraulic model or the households: the caller lends them
//! through [`Actions`] and describes the world this tick in [`Env`]. Everything that
//! happens is returned as [`ForceEvent`]s. Units and requests are kept in scenario /
//! creation order, so a step is deterministic.

pub mod route;

use serde::Serialize;

use crate::agents::HouseholdId;
use crate::world::roads::{Mode, RoadGraph};
use crate::world::{GridSpec, Pt};
pub use route::{
    BOAT_DRAFT_M, BoatTerrain, BoatTree, Path, RoadMover, RoadTree, boat_route, dist, road_route,
};

/// Seconds between route re-plans of a moving unit.
pub const REPLAN_S: f64 = 60.0;
/// A team on scene takes open requests within this distance, metres.
pub const SCENE_RADIUS_M: f64 = 100.0;
/// Time a team spends searching at a false report before clearing it, s.
pub const FALSE_REPORT_SEARCH_S: f64 = 600.0;
/// Interval of the recorded unit tracks, s.
pub const TRACK_EVERY_S: f64 = 60.0;

/// How a team moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum TeamKind {
    /// Road vehicle.
    Vehicle,
    /// Rescue boat.
    Boat,
    /// On foot.
    OnFoot,
}

/// A rescue team as configured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TeamSpec {
    /// Id (`T01`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// How it moves.
    pub kind: TeamKind,
    /// Crew, persons.
    pub crew: u32,
    /// Persons it can carry.
    pub capacity: u32,
    /// Deepest water it drives or walks through, metres.
    pub wading_limit_m: f64,
    /// Speed, m/s.
    pub speed_m_s: f64,
    /// Time per person rescued, s.
    pub rescue_s_per_person: f64,
    /// Depot position.
    pub depot: Pt,
}

/// A drainage robot or mobile pump as configured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RobotSpec {
    /// Id (`R01`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Pumping capacity, m³/s.
    pub capacity_m3_s: f64,
    /// Set-up time on scene, s.
    pub setup_s: f64,
    /// Deepest water it drives through, metres.
    pub wading_limit_m: f64,
    /// Speed, m/s.
    pub speed_m_s: f64,
    /// Suction reach, metres.
    pub hose_reach_m: f64,
    /// Discharge hose reach, metres.
    pub discharge_reach_m: f64,
    /// Depot position.
    pub depot: Pt,
}

/// Where a team is in its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamState {
    /// At its depot, free.
    Standby,
    /// At a staging post, free.
    Posted,
    /// Travelling to an order's location or a rescue.
    EnRoute,
    /// At an ordered location, free for rescues nearby.
    OnScene,
    /// Rescuing people (or searching at a report).
    Rescuing,
    /// Carrying rescued people to a shelter.
    Transporting,
    /// Going back to its post or depot.
    Returning,
}

/// Where a robot is in its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotState {
    /// At its depot.
    Standby,
    /// At a staging post.
    Posted,
    /// Travelling.
    EnRoute,
    /// Setting up on scene.
    SettingUp,
    /// Pumping.
    Pumping,
    /// On scene with nothing to pump (no water within reach).
    Idle,
    /// Going back to its depot.
    Returning,
    /// Broken down (an inject), until restored.
    Failed,
}

/// What a unit is travelling for.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Goal {
    None,
    /// An ordered location (with a label for the log).
    Point(Pt, String),
    /// A staging post.
    Post(Pt, String),
    /// Rescue requests (ids), the first one's location.
    Requests(Vec<u32>),
    /// A shelter (index into `Env::shelters`).
    Shelter(usize),
    /// Home (post or depot).
    Home,
}

/// A rescue team at run time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Team {
    /// Configuration.
    pub spec: TeamSpec,
    /// State.
    pub state: TeamState,
    /// Position, map metres.
    pub pos: Pt,
    /// The post it was pre-positioned to (returns there), if any.
    pub post: Option<(Pt, String)>,
    /// Persons aboard.
    pub aboard: u32,
    /// Recorded positions `(t, x, y)` every [`TRACK_EVERY_S`].
    pub track: Vec<(f64, f64, f64)>,
    goal: Goal,
    path: Option<Path>,
    path_s: f64,
    next_replan: f64,
    work_until: f64,
    work: Vec<u32>,
    blocked_logged: bool,
}

/// A robot at run time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Robot {
    /// Configuration.
    pub spec: RobotSpec,
    /// State.
    pub state: RobotState,
    /// Position, map metres.
    pub pos: Pt,
    /// Volume pumped, m³.
    pub pumped_m3: f64,
    /// Failed until this time (∞: for the rest of the drill).
    pub failed_until: Option<f64>,
    /// Recorded positions `(t, x, y)`.
    pub track: Vec<(f64, f64, f64)>,
    /// When it started pumping at its current site.
    pub pumping_since: Option<f64>,
    goal: Goal,
    path: Option<Path>,
    path_s: f64,
    next_replan: f64,
    work_until: f64,
    resume: RobotState,
    cells: Vec<(usize, usize)>,
    discharge: Option<(usize, usize)>,
}

/// The part of a route still ahead of a unit at `path_s` seconds along it: its
/// position now, then the route's later vertices (empty without a route).
fn ahead(pos: Pt, path: Option<&Path>, path_s: f64) -> Vec<Pt> {
    let Some(p) = path else {
        return Vec::new();
    };
    let mut out = vec![pos];
    out.extend(
        p.pts
            .iter()
            .zip(&p.t)
            .filter(|(_, t)| **t > path_s)
            .map(|(pt, _)| *pt),
    );
    out
}

impl Goal {
    /// Where the unit is travelling to, where that is known without the environment
    /// (an ordered point, a post, home at `home`).
    fn point(&self, home: Pt) -> Option<Pt> {
        match self {
            Self::Point(p, _) | Self::Post(p, _) => Some(*p),
            Self::Home => Some(home),
            _ => None,
        }
    }

    /// What the unit is travelling for, for a person reading the console.
    fn describe(&self) -> String {
        match self {
            Self::None => String::new(),
            Self::Point(_, label) => format!("to {label}"),
            Self::Post(_, id) => format!("to post {id}"),
            Self::Requests(ids) => format!(
                "rescue request{} {}",
                if ids.len() == 1 { "" } else { "s" },
                ids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Shelter(k) => format!("to shelter #{k}"),
            Self::Home => "home".into(),
        }
    }
}

impl Team {
    /// The route still ahead (its position first), empty when not travelling.
    pub fn route_ahead(&self) -> Vec<Pt> {
        ahead(self.pos, self.path.as_ref(), self.path_s)
    }

    /// What it is doing, in words (`to the ordered point`, `rescue requests 3, 4`).
    pub fn goal_text(&self) -> String {
        self.goal.describe()
    }

    /// Where it is going, when that is a point (an ordered location, a post, home).
    pub fn goal_point(&self) -> Option<Pt> {
        let home = self.post.as_ref().map_or(self.spec.depot, |p| p.0);
        self.goal.point(home)
    }
}

impl Robot {
    /// The route still ahead (its position first), empty when not travelling.
    pub fn route_ahead(&self) -> Vec<Pt> {
        ahead(self.pos, self.path.as_ref(), self.path_s)
    }

    /// What it is doing, in words.
    pub fn goal_text(&self) -> String {
        self.goal.describe()
    }

    /// Where it is going, when that is a point (an ordered location, a post, home).
    pub fn goal_point(&self) -> Option<Pt> {
        self.goal.point(self.spec.depot)
    }
}

/// How a rescue request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The people were rescued.
    Rescued,
    /// Nobody was there (a false report).
    FalseReport,
    /// The household was lost (casualty) or left before the team arrived.
    Lost,
}

/// A rescue request.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RescueRequest {
    /// Id (creation order).
    pub id: u32,
    /// Raised at, s.
    pub t: f64,
    /// Where, map metres.
    pub at: Pt,
    /// The trapped household (none for a false report).
    pub household: Option<HouseholdId>,
    /// Persons reported.
    pub persons: u32,
    /// A false report (nobody there).
    pub false_report: bool,
    /// Team assigned (index).
    pub assigned: Option<usize>,
    /// Reached by a team at, s.
    pub reached: Option<f64>,
    /// Closed at, s, and how.
    pub closed: Option<(f64, Outcome)>,
}

impl RescueRequest {
    /// Open and waiting for a team.
    pub fn waiting(&self) -> bool {
        self.closed.is_none() && self.assigned.is_none()
    }
}

/// The world as the forces see it this tick.
pub struct Env<'a> {
    /// Road graph (absent: no roads).
    pub graph: Option<&'a RoadGraph>,
    /// Water depth per directed edge, metres.
    pub edge_depth: &'a [f64],
    /// Closed edges.
    pub closed: &'a [bool],
    /// Water depth per cell, metres.
    pub depth: &'a [f64],
    /// Grid and cell classes for boats.
    pub terrain: &'a BoatTerrain,
    /// River cells robots may discharge into.
    pub river: &'a [bool],
    /// The people's destinations, in their order (only public shelters take the
    /// rescued).
    pub shelters: &'a [ShelterView],
}

/// A destination as the forces see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShelterView {
    /// Id (`S01`).
    pub id: String,
    /// Map position, metres.
    pub at: Pt,
    /// Open with room for one more.
    pub room: bool,
    /// A public shelter (forces deliver the rescued only to these).
    pub public: bool,
}

impl Env<'_> {
    fn spec(&self) -> &GridSpec {
        &self.terrain.spec
    }
}

/// What the forces do to the rest of the world.
pub trait Actions {
    /// Rescue household `hh` at `t`: its persons, or `None` if it is no longer there
    /// to be rescued (lost, sheltered).
    fn rescue(&mut self, hh: HouseholdId, t: f64) -> Option<u32>;
    /// `persons` rescued are brought to shelter `shelter` (index into
    /// [`Env::shelters`]) at `t`: they count into its occupancy, room or not.
    fn deliver(&mut self, shelter: usize, persons: u32, t: f64);
    /// Pump up to `volume` m³ from `cells`, discharging into `to` (or out of the
    /// district); returns the volume pumped.
    fn pump(&mut self, cells: &[(usize, usize)], to: Option<(usize, usize)>, volume: f64) -> f64;
}

/// Something a unit did, for the log and the scorer.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ForceEvent {
    /// A unit set off.
    #[serde(rename = "unit_departed")]
    Departed {
        /// Sim time, s.
        t: f64,
        /// Unit id.
        unit: String,
        /// What for (`post P01`, `request 3`, `shelter S04`, `home`, `place H01`).
        to: String,
        /// Planned travel time, s.
        eta_s: f64,
        /// Distance by which the route stops short of the goal, metres.
        gap_m: f64,
    },
    /// A unit found no route (water deeper than its wading limit, or no network).
    NoRoute {
        /// Sim time, s.
        t: f64,
        /// Unit id.
        unit: String,
        /// What for.
        to: String,
    },
    /// A unit reached a staging post.
    AtPost {
        /// Sim time, s.
        t: f64,
        /// Unit id.
        unit: String,
        /// Post id.
        post: String,
    },
    /// A unit reached an ordered location.
    OnScene {
        /// Sim time, s.
        t: f64,
        /// Unit id.
        unit: String,
        /// Location label.
        at: String,
    },
    /// A team reached a rescue request.
    RequestReached {
        /// Sim time, s.
        t: f64,
        /// Team id.
        unit: String,
        /// Request id.
        request: u32,
        /// Since the request was raised, s.
        response_s: f64,
    },
    /// A team rescued the people of a request.
    #[serde(rename = "people_rescued")]
    Rescued {
        /// Sim time, s.
        t: f64,
        /// Team id.
        unit: String,
        /// Request id.
        request: u32,
        /// Persons.
        persons: u32,
    },
    /// A request was closed without a rescue.
    RequestClosed {
        /// Sim time, s.
        t: f64,
        /// Team id.
        unit: String,
        /// Request id.
        request: u32,
        /// Why.
        outcome: Outcome,
    },
    /// A team delivered rescued people to a shelter.
    Delivered {
        /// Sim time, s.
        t: f64,
        /// Team id.
        unit: String,
        /// Shelter id.
        shelter: String,
        /// Persons.
        persons: u32,
    },
    /// A unit is back at its post or depot.
    #[serde(rename = "unit_returned")]
    Returned {
        /// Sim time, s.
        t: f64,
        /// Unit id.
        unit: String,
    },
    /// A robot started pumping.
    PumpingStarted {
        /// Sim time, s.
        t: f64,
        /// Robot id.
        unit: String,
        /// Cells within reach.
        cells: usize,
        /// Discharging into the river (else out of the district).
        to_river: bool,
    },
    /// A robot stopped pumping (recalled, moved, failed).
    PumpingStopped {
        /// Sim time, s.
        t: f64,
        /// Robot id.
        unit: String,
        /// Pumped at this site, m³.
        pumped_m3: f64,
    },
    /// A robot failed.
    #[serde(rename = "unit_failed")]
    Failed {
        /// Sim time, s.
        t: f64,
        /// Robot id.
        unit: String,
    },
    /// A robot was restored.
    #[serde(rename = "unit_restored")]
    Restored {
        /// Sim time, s.
        t: f64,
        /// Robot id.
        unit: String,
    },
}

/// Why an order cannot be carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    /// No unit with that id.
    #[error("no team or robot has id \"{0}\"")]
    UnknownUnit(String),
    /// The unit is busy with people aboard.
    #[error("{0} has rescued people aboard and is taking them to a shelter")]
    Busy(String),
    /// The team has not joined the drill yet.
    #[error("{unit} is not available until {from} (forces.teams: available_from)")]
    NotAvailable {
        /// The team.
        unit: String,
        /// When it joins, `H:MM:SS`.
        from: String,
    },
}

/// All forces and requests.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Forces {
    /// Teams, scenario order.
    pub teams: Vec<Team>,
    /// Robots, scenario order.
    pub robots: Vec<Robot>,
    /// Rescue requests, creation order.
    pub requests: Vec<RescueRequest>,
    events: Vec<ForceEvent>,
}

impl Forces {
    /// Forces at their depots.
    pub fn new(teams: Vec<TeamSpec>, robots: Vec<RobotSpec>) -> Self {
        Self {
            teams: teams
                .into_iter()
                .map(|spec| Team {
                    pos: spec.depot,
                    spec,
                    state: TeamState::Standby,
                    post: None,
                    aboard: 0,
                    track: Vec::new(),
                    goal: Goal::None,
                    path: None,
                    path_s: 0.0,
                    next_replan: 0.0,
                    work_until: 0.0,
                    work: Vec::new(),
                    blocked_logged: false,
                })
                .collect(),
            robots: robots
                .into_iter()
                .map(|spec| Robot {
                    pos: spec.depot,
                    spec,
                    state: RobotState::Standby,
                    pumped_m3: 0.0,
                    failed_until: None,
                    track: Vec::new(),
                    pumping_since: None,
                    goal: Goal::None,
                    path: None,
                    path_s: 0.0,
                    next_replan: 0.0,
                    work_until: 0.0,
                    resume: RobotState::Standby,
                    cells: Vec::new(),
                    discharge: None,
                })
                .collect(),
            requests: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Index of a team by id.
    pub fn team_index(&self, id: &str) -> Option<usize> {
        self.teams.iter().position(|t| t.spec.id == id)
    }

    /// Index of a robot by id.
    pub fn robot_index(&self, id: &str) -> Option<usize> {
        self.robots.iter().position(|r| r.spec.id == id)
    }

    /// Take the events since the last call.
    pub fn drain_events(&mut self) -> Vec<ForceEvent> {
        std::mem::take(&mut self.events)
    }

    /// Raise a rescue request; returns its id.
    pub fn raise_request(
        &mut self,
        t: f64,
        at: Pt,
        household: Option<HouseholdId>,
        persons: u32,
    ) -> u32 {
        let id = self.requests.len() as u32;
        self.requests.push(RescueRequest {
            id,
            t,
            at,
            household,
            persons,
            false_report: household.is_none(),
            assigned: None,
            reached: None,
            closed: None,
        });
        id
    }

    /// Requests open and waiting for a team.
    pub fn waiting_requests(&self) -> usize {
        self.requests.iter().filter(|r| r.waiting()).count()
    }

    /// Send a unit to a location (`label` names it in the log).
    pub fn dispatch(
        &mut self,
        unit: &str,
        to: Pt,
        label: &str,
        t: f64,
        env: &Env,
    ) -> Result<(), OrderError> {
        self.send(unit, Goal::Point(to, label.to_string()), t, env)
    }

    /// Pre-position a unit at a post.
    pub fn pre_position(
        &mut self,
        unit: &str,
        post: Pt,
        post_id: &str,
        t: f64,
        env: &Env,
    ) -> Result<(), OrderError> {
        self.send(unit, Goal::Post(post, post_id.to_string()), t, env)
    }

    /// Send a unit home (its depot; a team's post is forgotten).
    pub fn recall(&mut self, unit: &str, t: f64, env: &Env) -> Result<(), OrderError> {
        if let Some(k) = self.team_index(unit) {
            self.teams[k].post = None;
        }
        self.send(unit, Goal::Home, t, env)
    }

    fn send(&mut self, unit: &str, goal: Goal, t: f64, env: &Env) -> Result<(), OrderError> {
        if let Some(k) = self.team_index(unit) {
            let tm = &self.teams[k];
            if tm.aboard > 0 {
                return Err(OrderError::Busy(unit.to_string()));
            }
            // Requests it was going to are freed for others.
            let freed: Vec<u32> = match &tm.goal {
                Goal::Requests(ids) => ids.clone(),
                _ => Vec::new(),
            };
            for id in freed.into_iter().chain(tm.work.clone()) {
                let r = &mut self.requests[id as usize];
                if r.closed.is_none() {
                    r.assigned = None;
                }
            }
            self.teams[k].work.clear();
            if let Goal::Post(p, id) = &goal {
                self.teams[k].post = Some((*p, id.clone()));
            }
            self.team_go(k, goal, t, env);
            return Ok(());
        }
        if let Some(k) = self.robot_index(unit) {
            self.robot_go(k, goal, t);
            let r = &mut self.robots[k];
            if r.state != RobotState::Failed {
                self.robot_route(k, t, env);
            }
            return Ok(());
        }
        Err(OrderError::UnknownUnit(unit.to_string()))
    }

    /// Send the nearest free team to each waiting rescue request, oldest first. A team
    /// counts as free when it is `available` (by team index; missing: available), has
    /// nobody aboard and is not already on a rescue; nearest
    /// is by travel time on its own route; a team whose route stops short of the
    /// request is not sent. Returns the number of requests assigned.
    pub fn dispatch_to_rescues(&mut self, t: f64, env: &Env, available: &[bool]) -> usize {
        let mut assigned = 0;
        let waiting: Vec<u32> = self
            .requests
            .iter()
            .filter(|r| r.waiting())
            .map(|r| r.id)
            .collect();
        if waiting.is_empty() {
            return 0;
        }
        let targets: Vec<Pt> = waiting
            .iter()
            .map(|&i| self.requests[i as usize].at)
            .collect();
        // One travel-time tree per free team, grown once for all the requests.
        let mut free: Vec<(usize, Reach)> = self
            .teams
            .iter()
            .enumerate()
            .filter(|(k, _)| available.get(*k).copied().unwrap_or(true))
            .filter(|(_, tm)| {
                tm.aboard == 0
                    && (matches!(
                        tm.state,
                        TeamState::Standby
                            | TeamState::Posted
                            | TeamState::OnScene
                            | TeamState::Returning
                    ) || (tm.state == TeamState::EnRoute
                        && !matches!(tm.goal, Goal::Requests(_))))
            })
            .filter_map(|(k, tm)| Reach::grow(tm, env, &targets).map(|r| (k, r)))
            .collect();
        for id in waiting {
            if free.is_empty() {
                break;
            }
            if !self.requests[id as usize].waiting() {
                continue;
            }
            let at = self.requests[id as usize].at;
            let Some((slot, _)) = free
                .iter()
                .enumerate()
                .filter_map(|(i, (_, r))| r.time_to(env, at).map(|x| (i, x)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            else {
                continue;
            };
            let (k, reach) = free.swap_remove(slot);
            let path = reach.path_to(env, at);
            if path.gap_m > 0.0 {
                continue;
            }
            // Take the waiting requests at the same spot, up to the capacity.
            let cap = self.teams[k].spec.capacity;
            let mut ids = vec![id];
            let mut persons = self.requests[id as usize].persons;
            for r in &self.requests {
                if r.id != id
                    && r.waiting()
                    && dist(r.at, at) <= SCENE_RADIUS_M
                    && persons + r.persons <= cap
                {
                    ids.push(r.id);
                    persons += r.persons;
                }
            }
            for &i in &ids {
                self.requests[i as usize].assigned = Some(k);
                assigned += 1;
            }
            let tm = &mut self.teams[k];
            tm.goal = Goal::Requests(ids.clone());
            tm.state = TeamState::EnRoute;
            tm.path = Some(path.clone());
            tm.path_s = 0.0;
            tm.next_replan = t + REPLAN_S;
            self.events.push(ForceEvent::Departed {
                t,
                unit: tm.spec.id.clone(),
                to: format!("request {}", ids[0]),
                eta_s: path.duration(),
                gap_m: 0.0,
            });
        }
        assigned
    }

    /// A robot fails until `until` (∞ for the rest of the drill).
    pub fn fail_robot(&mut self, unit: &str, t: f64, until: f64) -> Result<(), OrderError> {
        let k = self
            .robot_index(unit)
            .ok_or_else(|| OrderError::UnknownUnit(unit.to_string()))?;
        let r = &mut self.robots[k];
        if r.state == RobotState::Pumping {
            self.events.push(ForceEvent::PumpingStopped {
                t,
                unit: r.spec.id.clone(),
                pumped_m3: r.pumped_m3,
            });
        }
        if r.state != RobotState::Failed {
            r.resume = r.state;
            r.state = RobotState::Failed;
        }
        r.failed_until = Some(until);
        r.pumping_since = None;
        self.events.push(ForceEvent::Failed {
            t,
            unit: unit.to_string(),
        });
        Ok(())
    }

    /// Status of a robot for sensors: 0 failed, 1 working order (idle, travelling),
    /// 2 pumping.
    pub fn robot_status(&self, k: usize) -> f64 {
        match self.robots[k].state {
            RobotState::Failed => 0.0,
            RobotState::Pumping => 2.0,
            _ => 1.0,
        }
    }

    /// Advance every unit by `dt` to `t + dt`.
    pub fn step(&mut self, t: f64, dt: f64, env: &Env, act: &mut dyn Actions) {
        let t_end = t + dt;
        for k in 0..self.teams.len() {
            self.step_team(k, t_end, dt, env, act);
            let p = self.teams[k].pos;
            record_track(&mut self.teams[k].track, t_end, p);
        }
        for k in 0..self.robots.len() {
            self.step_robot(k, t, dt, env, act);
            let p = self.robots[k].pos;
            record_track(&mut self.robots[k].track, t_end, p);
        }
    }

    fn team_go(&mut self, k: usize, goal: Goal, t: f64, env: &Env) {
        let tm = &mut self.teams[k];
        tm.goal = goal;
        tm.state = match tm.goal {
            Goal::Home => TeamState::Returning,
            Goal::Shelter(_) => TeamState::Transporting,
            _ => TeamState::EnRoute,
        };
        tm.path = None;
        tm.blocked_logged = false;
        self.team_route(k, t, env, true);
    }

    fn goal_point(&self, goal: &Goal, home: Pt, env: &Env) -> Option<(Pt, String)> {
        Some(match goal {
            Goal::None => return None,
            Goal::Point(p, l) => (*p, format!("place {l}")),
            Goal::Post(p, id) => (*p, format!("post {id}")),
            Goal::Requests(ids) => (
                self.requests[*ids.first()? as usize].at,
                format!("request {}", ids[0]),
            ),
            Goal::Shelter(s) => (
                env.shelters[*s].at,
                format!("shelter {}", env.shelters[*s].id),
            ),
            Goal::Home => (home, "home".into()),
        })
    }

    fn team_route(&mut self, k: usize, t: f64, env: &Env, announce: bool) {
        let home = {
            let tm = &self.teams[k];
            tm.post.as_ref().map_or(tm.spec.depot, |p| p.0)
        };
        let Some((to, label)) = self.goal_point(&self.teams[k].goal.clone(), home, env) else {
            return;
        };
        let tm = &mut self.teams[k];
        let now = tm.path.as_ref().map_or(tm.pos, |p| p.pos_at(tm.path_s));
        tm.pos = now;
        // A re-plan starts from the next vertex ahead (the current leg is kept).
        let lead = tm
            .path
            .as_ref()
            .and_then(|p| p.replan_point(tm.path_s).map(|v| (p.clone(), tm.path_s, v)));
        let from = lead.as_ref().map_or(now, |l| l.2);
        let path = team_path(tm, from, to, env).map(|tail| match &lead {
            Some((p, s, _)) => p.splice(*s, tail),
            None => tail,
        });
        tm.next_replan = t + REPLAN_S;
        match path {
            Some(p) => {
                if announce {
                    self.events.push(departed(t, &tm.spec.id, label, &p));
                }
                tm.path = Some(p);
                tm.path_s = 0.0;
                tm.blocked_logged = false;
            }
            None => {
                tm.path = None;
                if !tm.blocked_logged {
                    tm.blocked_logged = true;
                    self.events.push(ForceEvent::NoRoute {
                        t,
                        unit: tm.spec.id.clone(),
                        to: label,
                    });
                }
            }
        }
    }

    fn step_team(&mut self, k: usize, t_end: f64, dt: f64, env: &Env, act: &mut dyn Actions) {
        let state = self.teams[k].state;
        match state {
            TeamState::EnRoute | TeamState::Transporting | TeamState::Returning => {
                if t_end >= self.teams[k].next_replan {
                    self.team_route(k, t_end, env, false);
                }
                let tm = &mut self.teams[k];
                let Some(path) = &tm.path else { return };
                tm.path_s = (tm.path_s + dt).min(path.duration());
                tm.pos = path.pos_at(tm.path_s);
                if tm.path_s >= path.duration() - 1e-9 {
                    if path.gap_m > 0.0 {
                        // Stopped short: wait here and re-plan at the next interval.
                        tm.path = None;
                        return;
                    }
                    self.team_arrived(k, t_end, env, act);
                }
            }
            TeamState::Rescuing => {
                if t_end >= self.teams[k].work_until - 1e-9 {
                    self.finish_rescue(k, t_end, env, act);
                }
            }
            TeamState::OnScene => {
                let at = self.teams[k].pos;
                let ids: Vec<u32> = self
                    .requests
                    .iter()
                    .filter(|r| r.waiting() && dist(r.at, at) <= SCENE_RADIUS_M)
                    .map(|r| r.id)
                    .collect();
                if !ids.is_empty() {
                    for &i in &ids {
                        self.requests[i as usize].assigned = Some(k);
                    }
                    self.teams[k].goal = Goal::Requests(ids);
                    self.team_arrived(k, t_end, env, act);
                }
            }
            TeamState::Standby | TeamState::Posted => {}
        }
    }

    fn team_arrived(&mut self, k: usize, t: f64, env: &Env, act: &mut dyn Actions) {
        let goal = self.teams[k].goal.clone();
        let id = self.teams[k].spec.id.clone();
        self.teams[k].path = None;
        match goal {
            Goal::None => {}
            Goal::Point(_, label) => {
                self.teams[k].state = TeamState::OnScene;
                self.events.push(ForceEvent::OnScene {
                    t,
                    unit: id,
                    at: label,
                });
            }
            Goal::Post(_, post) => {
                self.teams[k].state = TeamState::Posted;
                self.events.push(ForceEvent::AtPost { t, unit: id, post });
            }
            Goal::Home => {
                let tm = &mut self.teams[k];
                if tm.aboard > 0 {
                    // No shelter to go to: the rescued are handed over at the depot.
                    self.events.push(ForceEvent::Delivered {
                        t,
                        unit: id.clone(),
                        shelter: "depot".into(),
                        persons: tm.aboard,
                    });
                    tm.aboard = 0;
                }
                tm.state = if tm.post.is_some() {
                    TeamState::Posted
                } else {
                    TeamState::Standby
                };
                tm.goal = Goal::None;
                self.events.push(ForceEvent::Returned { t, unit: id });
            }
            Goal::Shelter(s) => {
                act.deliver(s, self.teams[k].aboard, t);
                let tm = &mut self.teams[k];
                self.events.push(ForceEvent::Delivered {
                    t,
                    unit: id,
                    shelter: env.shelters[s].id.clone(),
                    persons: tm.aboard,
                });
                tm.aboard = 0;
                self.after_delivery(k, t, env);
            }
            Goal::Requests(ids) => {
                let mut secs = 0.0;
                for &i in &ids {
                    let r = &mut self.requests[i as usize];
                    if r.reached.is_none() {
                        r.reached = Some(t);
                        self.events.push(ForceEvent::RequestReached {
                            t,
                            unit: id.clone(),
                            request: i,
                            response_s: t - r.t,
                        });
                    }
                    secs += if r.false_report {
                        FALSE_REPORT_SEARCH_S
                    } else {
                        r.persons as f64 * self.teams[k].spec.rescue_s_per_person
                    };
                }
                let tm = &mut self.teams[k];
                tm.work = ids;
                tm.work_until = t + secs;
                tm.state = TeamState::Rescuing;
                if secs <= 0.0 {
                    self.finish_rescue(k, t, env, act);
                }
            }
        }
    }

    fn finish_rescue(&mut self, k: usize, t: f64, env: &Env, act: &mut dyn Actions) {
        let work = std::mem::take(&mut self.teams[k].work);
        let id = self.teams[k].spec.id.clone();
        for i in work {
            let r = &mut self.requests[i as usize];
            if r.closed.is_some() {
                continue;
            }
            let outcome = match r.household {
                None => Outcome::FalseReport,
                Some(hh) => match act.rescue(hh, t) {
                    Some(p) => {
                        self.teams[k].aboard += p;
                        Outcome::Rescued
                    }
                    None => Outcome::Lost,
                },
            };
            r.closed = Some((t, outcome));
            if outcome == Outcome::Rescued {
                self.events.push(ForceEvent::Rescued {
                    t,
                    unit: id.clone(),
                    request: i,
                    persons: r.persons,
                });
            } else {
                self.events.push(ForceEvent::RequestClosed {
                    t,
                    unit: id.clone(),
                    request: i,
                    outcome,
                });
            }
        }
        // More people waiting close by and room aboard: take them first.
        let (pos, cap, aboard) = {
            let tm = &self.teams[k];
            (tm.pos, tm.spec.capacity, tm.aboard)
        };
        let mut more = Vec::new();
        let mut load = aboard;
        for r in &self.requests {
            if r.waiting() && dist(r.at, pos) <= 3.0 * SCENE_RADIUS_M && load + r.persons <= cap {
                more.push(r.id);
                load += r.persons;
            }
        }
        if !more.is_empty() {
            for &i in &more {
                self.requests[i as usize].assigned = Some(k);
            }
            self.team_go(k, Goal::Requests(more), t, env);
            return;
        }
        if self.teams[k].aboard > 0 {
            match nearest_shelter(pos, env) {
                Some(s) => self.team_go(k, Goal::Shelter(s), t, env),
                None => self.after_delivery(k, t, env),
            }
        } else {
            self.after_delivery(k, t, env);
        }
    }

    fn after_delivery(&mut self, k: usize, t: f64, env: &Env) {
        self.team_go(k, Goal::Home, t, env);
    }

    fn robot_go(&mut self, k: usize, goal: Goal, t: f64) {
        let r = &mut self.robots[k];
        if r.state == RobotState::Pumping {
            self.events.push(ForceEvent::PumpingStopped {
                t,
                unit: r.spec.id.clone(),
                pumped_m3: r.pumped_m3,
            });
        }
        r.pumping_since = None;
        r.cells.clear();
        r.discharge = None;
        r.goal = goal;
        r.path = None;
        let next = match r.goal {
            Goal::Home => RobotState::Returning,
            _ => RobotState::EnRoute,
        };
        if r.state == RobotState::Failed {
            r.resume = next;
        } else {
            r.state = next;
        }
    }

    fn robot_route(&mut self, k: usize, t: f64, env: &Env) {
        let depot = self.robots[k].spec.depot;
        let Some((to, label)) = self.goal_point(&self.robots[k].goal.clone(), depot, env) else {
            return;
        };
        let r = &mut self.robots[k];
        let now = r.path.as_ref().map_or(r.pos, |p| p.pos_at(r.path_s));
        r.pos = now;
        r.next_replan = t + REPLAN_S;
        let mover = RoadMover {
            mode: Mode::Drive,
            wading_limit_m: r.spec.wading_limit_m,
            speed_m_s: r.spec.speed_m_s,
        };
        let lead = r
            .path
            .as_ref()
            .and_then(|p| p.replan_point(r.path_s).map(|v| (p.clone(), r.path_s, v)));
        let from = lead.as_ref().map_or(now, |l| l.2);
        let path = env
            .graph
            .and_then(|g| road_route(g, env.edge_depth, env.closed, &mover, from, to))
            .map(|tail| match &lead {
                Some((p, s, _)) => p.splice(*s, tail),
                None => tail,
            });
        let announce = r.path.is_none() && r.path_s == 0.0;
        match path {
            Some(p) => {
                if announce {
                    self.events.push(departed(t, &r.spec.id, label, &p));
                }
                r.path = Some(p);
                r.path_s = 0.0;
            }
            None => {
                // Off the network: drive straight there (yards, open ground).
                let mut p = Path {
                    pts: vec![now],
                    t: vec![0.0],
                    gap_m: 0.0,
                };
                p.pts.push(to);
                p.t.push(dist(now, to) / r.spec.speed_m_s.max(1e-6));
                if announce {
                    self.events.push(departed(t, &r.spec.id, label, &p));
                }
                r.path = Some(p);
                r.path_s = 0.0;
            }
        }
    }

    fn step_robot(&mut self, k: usize, t: f64, dt: f64, env: &Env, act: &mut dyn Actions) {
        let t_end = t + dt;
        match self.robots[k].state {
            RobotState::Failed => {
                let r = &mut self.robots[k];
                if r.failed_until.is_some_and(|u| t_end >= u - 1e-9) {
                    r.failed_until = None;
                    self.events.push(ForceEvent::Restored {
                        t: t_end,
                        unit: r.spec.id.clone(),
                    });
                    // A pump that stopped must be set up again.
                    r.state = match r.resume {
                        RobotState::Pumping | RobotState::SettingUp | RobotState::Idle => {
                            r.work_until = t_end + r.spec.setup_s;
                            RobotState::SettingUp
                        }
                        s => s,
                    };
                    if matches!(r.state, RobotState::EnRoute | RobotState::Returning) {
                        r.path = None;
                        r.next_replan = t_end;
                    }
                }
            }
            RobotState::EnRoute | RobotState::Returning => {
                if t_end >= self.robots[k].next_replan {
                    self.robot_route(k, t_end, env);
                }
                let r = &mut self.robots[k];
                let Some(path) = &r.path else { return };
                r.path_s = (r.path_s + dt).min(path.duration());
                r.pos = path.pos_at(r.path_s);
                if r.path_s >= path.duration() - 1e-9 {
                    r.path = None;
                    r.path_s = 0.0;
                    let id = r.spec.id.clone();
                    match r.goal.clone() {
                        Goal::Home => {
                            r.state = RobotState::Standby;
                            r.goal = Goal::None;
                            self.events
                                .push(ForceEvent::Returned { t: t_end, unit: id });
                        }
                        Goal::Post(_, post) => {
                            r.state = RobotState::Posted;
                            self.events.push(ForceEvent::AtPost {
                                t: t_end,
                                unit: id,
                                post,
                            });
                        }
                        Goal::Point(_, label) => {
                            // Deploy where it could get to (the edge of deep water).
                            r.state = RobotState::SettingUp;
                            r.work_until = t_end + r.spec.setup_s;
                            self.events.push(ForceEvent::OnScene {
                                t: t_end,
                                unit: id,
                                at: label,
                            });
                        }
                        _ => r.state = RobotState::Standby,
                    }
                }
            }
            RobotState::SettingUp => {
                if t_end >= self.robots[k].work_until - 1e-9 {
                    let spec = env.spec();
                    let r = &mut self.robots[k];
                    r.cells = cells_within(spec, env.terrain, r.pos, r.spec.hose_reach_m);
                    r.discharge = nearest_river(spec, env.river, r.pos, r.spec.discharge_reach_m);
                    r.state = RobotState::Pumping;
                    r.pumping_since = Some(t_end);
                    self.events.push(ForceEvent::PumpingStarted {
                        t: t_end,
                        unit: r.spec.id.clone(),
                        cells: r.cells.len(),
                        to_river: r.discharge.is_some(),
                    });
                }
            }
            RobotState::Pumping => {
                let r = &mut self.robots[k];
                // Part of the tick spent setting up is not pumped.
                let from = r.pumping_since.unwrap_or(t).max(t);
                let secs = (t_end - from).max(0.0);
                let want = r.spec.capacity_m3_s * secs;
                if want > 0.0 && !r.cells.is_empty() {
                    r.pumped_m3 += act.pump(&r.cells, r.discharge, want);
                }
            }
            RobotState::Standby | RobotState::Posted | RobotState::Idle => {}
        }
    }
}

/// A team's travel-time tree: over the roads for vehicles and teams on foot, over
/// the grid for boats.
enum Reach {
    Road(RoadTree, Mode),
    Boat(BoatTree),
}

impl Reach {
    /// The tree of a team, grown until it has settled every point in `to` (boats) or
    /// over the whole network (roads are cheap).
    fn grow(tm: &Team, env: &Env, to: &[Pt]) -> Option<Self> {
        let from = tm.path.as_ref().map_or(tm.pos, |p| p.pos_at(tm.path_s));
        match tm.spec.kind {
            TeamKind::Boat => {
                let goals: Vec<(usize, usize)> = to
                    .iter()
                    .filter_map(|p| env.terrain.spec.cell_at(p.0, p.1))
                    .collect();
                // Plain Dijkstra: the times to every request must be exact.
                BoatTree::grow(
                    env.terrain,
                    env.depth,
                    tm.spec.speed_m_s,
                    from,
                    &goals,
                    false,
                )
                .map(Reach::Boat)
            }
            TeamKind::Vehicle | TeamKind::OnFoot => {
                let mover = road_mover(tm);
                RoadTree::grow(env.graph?, env.edge_depth, env.closed, &mover, from, None)
                    .map(|t| Reach::Road(t, mover.mode))
            }
        }
    }

    fn time_to(&self, env: &Env, to: Pt) -> Option<f64> {
        match self {
            Reach::Road(t, mode) => t.time_to(env.graph?, *mode, to),
            Reach::Boat(t) => t.time_to(env.terrain, to),
        }
    }

    fn path_to(&self, env: &Env, to: Pt) -> Path {
        match (self, env.graph) {
            (Reach::Road(t, _), Some(g)) => t.path_to(g, to),
            (Reach::Boat(t), _) => t.path_to(env.terrain, to),
            (Reach::Road(..), None) => Path {
                pts: vec![to],
                t: vec![0.0],
                gap_m: f64::INFINITY,
            },
        }
    }
}

fn road_mover(tm: &Team) -> RoadMover {
    RoadMover {
        mode: if tm.spec.kind == TeamKind::Vehicle {
            Mode::Drive
        } else {
            Mode::Walk
        },
        wading_limit_m: tm.spec.wading_limit_m,
        speed_m_s: tm.spec.speed_m_s,
    }
}

fn team_path(tm: &Team, from: Pt, to: Pt, env: &Env) -> Option<Path> {
    match tm.spec.kind {
        TeamKind::Boat => boat_route(env.terrain, env.depth, tm.spec.speed_m_s, from, to),
        TeamKind::Vehicle | TeamKind::OnFoot => road_route(
            env.graph?,
            env.edge_depth,
            env.closed,
            &road_mover(tm),
            from,
            to,
        ),
    }
}

/// The nearest open shelter with room; if every one is full, the nearest shelter (the
/// rescued are taken in regardless).
fn nearest_shelter(p: Pt, env: &Env) -> Option<usize> {
    let near = |with_room: bool| {
        env.shelters
            .iter()
            .enumerate()
            .filter(|(_, s)| s.public && (s.room || !with_room))
            .min_by(|a, b| {
                dist(a.1.at, p)
                    .total_cmp(&dist(b.1.at, p))
                    .then(a.0.cmp(&b.0))
            })
            .map(|(i, _)| i)
    };
    near(true).or_else(|| near(false))
}

fn departed(t: f64, unit: &str, to: String, p: &Path) -> ForceEvent {
    ForceEvent::Departed {
        t,
        unit: unit.to_string(),
        to,
        eta_s: p.duration(),
        gap_m: p.gap_m,
    }
}

fn record_track(track: &mut Vec<(f64, f64, f64)>, t: f64, p: Pt) {
    let due = track.last().is_none_or(|l| t >= l.0 + TRACK_EVERY_S - 1e-9);
    if due {
        track.push((t, p.0, p.1));
    }
}

/// Open cells within `reach` of `p`, row-major order.
pub fn cells_within(
    spec: &GridSpec,
    terrain: &BoatTerrain,
    p: Pt,
    reach: f64,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let Some((r0, c0)) = spec.cell_at(p.0, p.1) else {
        return out;
    };
    let k = (reach / spec.cell).ceil() as i64 + 1;
    for r in (r0 as i64 - k).max(0)..=(r0 as i64 + k).min(spec.nrows as i64 - 1) {
        for c in (c0 as i64 - k).max(0)..=(c0 as i64 + k).min(spec.ncols as i64 - 1) {
            let (r, c) = (r as usize, c as usize);
            if !terrain.blocked[spec.idx(r, c)]
                && dist(spec.cell_centre(r, c), p) <= reach.max(spec.cell * 0.5)
            {
                out.push((r, c));
            }
        }
    }
    out
}

/// The river cell nearest `p` within `reach` (lowest index on a tie).
pub fn nearest_river(spec: &GridSpec, river: &[bool], p: Pt, reach: f64) -> Option<(usize, usize)> {
    let (r0, c0) = spec.cell_at(p.0, p.1)?;
    let k = (reach / spec.cell).ceil() as i64;
    let mut best: Option<(f64, usize, usize)> = None;
    for r in (r0 as i64 - k).max(0)..=(r0 as i64 + k).min(spec.nrows as i64 - 1) {
        for c in (c0 as i64 - k).max(0)..=(c0 as i64 + k).min(spec.ncols as i64 - 1) {
            let (r, c) = (r as usize, c as usize);
            if !river.get(spec.idx(r, c)).copied().unwrap_or(false) {
                continue;
            }
            let d = dist(spec.cell_centre(r, c), p);
            if d <= reach && best.is_none_or(|b| d < b.0) {
                best = Some((d, r, c));
            }
        }
    }
    best.map(|b| (b.1, b.2))
}
