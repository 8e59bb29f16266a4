//! The forces in the tick: the Bevy adapter over the [`crate::forces`] kernel.
//!
//! At start-up the teams and robots are placed at their depots, the boat terrain is
//! derived from the grid (buildings, roads) and the river cells from the land classes
//! marked `river`. `apply_force_orders` (`SimSet::Inputs`, after the plan, the water
//! injects and the people's orders) carries out dispatch, pre-position, recall and
//! rescue-dispatch orders and the injects the forces own (robot failure, false report).
//! `step_forces` (`SimSet::Forces`) raises rescue requests for households trapped this
//! tick, moves the units, rescues, pumps (through the hydraulic model, so the water
//! balance counts it), and logs what happened.

use bevy::prelude::*;

use super::exercise::{
    DueInjects, IssuedOrders, Log, RescueRequested, UnitStatus, apply_inbox, evaluate_plan,
};
use super::hydro::{Water, apply_water_injects};
use super::people::{NewTrapped, People, apply_people_orders};
use super::{ScenarioRes, register_digest};
use crate::agents::DestKind;
use crate::agents::HouseholdId;
use crate::exercise::log::{Origin, SimEvent};
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::forces::{Actions, BoatTerrain, Env, ForceEvent, Forces, ShelterView};
use crate::hydro::AnyModel;
use crate::scenario::schema::{InjectEvent, Order};
use crate::world::roads::EdgeId;

/// The forces of the run.
#[derive(Resource, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ForcesRes(pub Forces);

/// Requests left waiting at the last minute boundary (the dispatch re-fires when this
/// changes).
#[derive(Resource, Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct LastUnserved(pub usize);

/// Static terrain the forces route over.
#[derive(Resource, Debug, Clone)]
pub struct ForceTerrain {
    /// Cells for boats.
    pub boat: BoatTerrain,
    /// River cells robots discharge into.
    pub river: Vec<bool>,
}

pub use crate::setup::forces::build_forces;

/// Adds the forces systems to `SimTick`.
pub struct ForcesPlugin;

impl Plugin for ForcesPlugin {
    fn build(&self, app: &mut App) {
        let scenario = app.world().resource::<ScenarioRes>().0.clone();
        let s = &scenario;
        let spec = s.dem.spec;
        let blocked: Vec<bool> = s
            .landuse
            .data
            .iter()
            .zip(&s.outside.data)
            .map(|(&code, &out)| out || s.land_class(code).is_some_and(|c| c.blocked))
            .collect();
        let river: Vec<bool> = s
            .landuse
            .data
            .iter()
            .map(|&code| s.land_class(code).is_some_and(|c| c.river))
            .collect();
        let graph = app
            .world()
            .get_resource::<People>()
            .map(|p| p.graph.clone());
        let boat = BoatTerrain::new(spec, blocked, graph.as_ref());
        let forces = build_forces(s);
        app.init_resource::<NewTrapped>();
        let mut status = app.world_mut().resource_mut::<UnitStatus>();
        for r in &s.file.forces.robots {
            status.0.insert(r.id.clone(), 1.0);
        }
        app.init_resource::<LastUnserved>();
        super::register_state_resource::<ForcesRes>(app, "forces");
        super::register_state_resource::<LastUnserved>(app, "last_unserved");
        app.insert_resource(ForcesRes(forces))
            .insert_resource(ForceTerrain { boat, river })
            .add_systems(
                SimTick,
                apply_force_orders
                    .in_set(SimSet::Inputs)
                    .after(apply_inbox)
                    .after(evaluate_plan)
                    .after(apply_water_injects)
                    .after(apply_people_orders),
            )
            .add_systems(SimTick, step_forces.in_set(SimSet::Forces));
        register_digest(app, "forces", |w, h| {
            if let Some(f) = w.get_resource::<ForcesRes>() {
                for t in &f.0.teams {
                    h.update(t.spec.id.as_bytes());
                    h.update(&[t.state as u8]);
                    h.update(&t.pos.0.to_le_bytes());
                    h.update(&t.pos.1.to_le_bytes());
                    h.update(&t.aboard.to_le_bytes());
                }
                for r in &f.0.robots {
                    h.update(r.spec.id.as_bytes());
                    h.update(&[r.state as u8]);
                    h.update(&r.pos.0.to_le_bytes());
                    h.update(&r.pos.1.to_le_bytes());
                    h.update(&r.pumped_m3.to_le_bytes());
                }
                for q in &f.0.requests {
                    h.update(&q.id.to_le_bytes());
                    h.update(&q.t.to_le_bytes());
                    h.update(&q.reached.unwrap_or(-1.0).to_le_bytes());
                    h.update(&q.closed.map_or(-1.0, |c| c.0).to_le_bytes());
                }
            }
        });
    }
}

/// Owned buffers the forces' [`Env`] borrows from.
struct EnvBuf {
    edge_depth: Vec<f64>,
    closed: Vec<bool>,
    depth: Vec<f64>,
    shelters: Vec<ShelterView>,
}

fn env_buf(people: Option<&People>, water: Option<&AnyModel>, n_cells: usize) -> EnvBuf {
    let (edge_depth, closed, shelters) = match people {
        Some(p) => {
            let n = p.graph.edge_count();
            let sh = p.households.shelters();
            (
                (0..n as u32).map(|e| p.costs.depth(EdgeId(e))).collect(),
                p.costs.closed().to_vec(),
                (0..sh.len())
                    .map(|k| ShelterView {
                        id: sh.id(k).to_string(),
                        at: sh.pos(k),
                        room: sh.is_open(k) && sh.has_room(k, 1),
                        public: sh.kind(k) == DestKind::Shelter,
                    })
                    .collect(),
            )
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let depth = match water {
        Some(m) => m.depth_grid().data,
        None => vec![0.0; n_cells],
    };
    EnvBuf {
        edge_depth,
        closed,
        depth,
        shelters,
    }
}

fn env<'a>(
    b: &'a EnvBuf,
    graph: Option<&'a crate::world::roads::RoadGraph>,
    terrain: &'a ForceTerrain,
) -> Env<'a> {
    Env {
        graph,
        edge_depth: &b.edge_depth,
        closed: &b.closed,
        depth: &b.depth,
        terrain: &terrain.boat,
        river: &terrain.river,
        shelters: &b.shelters,
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_force_orders(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    issued: Res<IssuedOrders>,
    due: Res<DueInjects>,
    people: Option<Res<People>>,
    water: Option<Res<Water>>,
    terrain: Res<ForceTerrain>,
    mut forces: ResMut<ForcesRes>,
    mut log: ResMut<Log>,
    mut status: ResMut<UnitStatus>,
    mut last_unserved: ResMut<LastUnserved>,
) {
    let mine = issued.0.iter().any(|o| {
        matches!(
            o.order,
            Order::Dispatch { .. }
                | Order::PrePosition { .. }
                | Order::Recall { .. }
                | Order::DispatchNearestToRescue
        )
    }) || due.0.iter().any(|d| {
        matches!(
            d.event,
            InjectEvent::PumpFailure { .. } | InjectEvent::FalseReport { .. }
        )
    });
    if !mine {
        return;
    }
    let s = &scenario.0;
    let buf = env_buf(
        people.as_deref(),
        water.as_deref().map(|w| &w.0),
        s.dem.spec.len(),
    );
    let env = env(&buf, people.as_deref().map(|p| &p.graph), &terrain);
    let f = &mut forces.0;
    for d in &due.0 {
        match &d.event {
            InjectEvent::PumpFailure { unit, duration } if f.robot_index(unit).is_some() => {
                let until = duration.map_or(f64::INFINITY, |x| clock.t + x.secs());
                if f.fail_robot(unit, clock.t, until).is_ok() {
                    status.0.insert(unit.clone(), 0.0);
                }
            }
            InjectEvent::FalseReport { at } => {
                if let Some(p) = s.location(at) {
                    let id = f.raise_request(clock.t, p, None, 0);
                    log.0.push(
                        clock.t,
                        Origin::Trainer,
                        SimEvent::RescueRequested {
                            household: None,
                            inject: Some(d.id.clone()),
                            persons: 0,
                            request: id,
                            x: p.0,
                            y: p.1,
                        },
                    );
                }
            }
            // A station's failure is the water's; the rest belong to other domains.
            InjectEvent::PumpFailure { .. }
            | InjectEvent::LeveeBreach { .. }
            | InjectEvent::RoadCollapse { .. }
            | InjectEvent::CommOutage { .. }
            | InjectEvent::RainCell { .. } => {}
        }
    }
    // Teams that have not joined the drill yet (forces.teams[..].available_from).
    let available: Vec<bool> = s
        .file
        .forces
        .teams
        .iter()
        .map(|tm| clock.t >= tm.available_from.secs() - 1e-9)
        .collect();
    let not_yet = |unit: &str| {
        s.file
            .forces
            .teams
            .iter()
            .zip(&available)
            .find(|(tm, _)| tm.id == unit)
            .filter(|(_, a)| !**a)
            .map(|(tm, _)| crate::forces::OrderError::NotAvailable {
                unit: unit.to_string(),
                from: crate::scenario::format_clock(tm.available_from.secs()),
            })
    };
    for io in &issued.0 {
        let label = |l: &crate::scenario::schema::Location| match l {
            crate::scenario::schema::Location::Place(id) => id.clone(),
            crate::scenario::schema::Location::Point(x, y) => format!("({x:.0}, {y:.0})"),
        };
        let unit_of = match &io.order {
            Order::Dispatch { unit, .. }
            | Order::PrePosition { unit, .. }
            | Order::Recall { unit } => Some(unit.as_str()),
            _ => None,
        };
        let r = if let Some(e) = unit_of.and_then(not_yet) {
            Err(e)
        } else {
            match &io.order {
                Order::Dispatch { unit, to } => match s.location(to) {
                    Some(p) => f.dispatch(unit, p, &label(to), clock.t, &env),
                    None => continue,
                },
                Order::PrePosition { unit, post } => match s.place(post) {
                    Some(p) => f.pre_position(unit, p.at, post, clock.t, &env),
                    None => continue,
                },
                Order::Recall { unit } => f.recall(unit, clock.t, &env),
                Order::DispatchNearestToRescue => {
                    f.dispatch_to_rescues(clock.t, &env, &available);
                    let waiting = f.waiting_requests();
                    // Logged when the backlog changes, not every minute.
                    if waiting > 0 && waiting != last_unserved.0 {
                        log.0.push(
                            clock.t,
                            Origin::Sim,
                            SimEvent::NoTeamAvailable {
                                waiting_requests: waiting,
                            },
                        );
                    }
                    last_unserved.0 = waiting;
                    Ok(())
                }
                // The people's orders.
                Order::Warn { .. }
                | Order::OpenShelter(_)
                | Order::CloseShelter(_)
                | Order::CloseRoad(_) => continue,
            }
        };
        if let Err(e) = r {
            log.0.push(
                clock.t,
                Origin::Sim,
                SimEvent::OrderFailed {
                    error: e.to_string(),
                    order: Some(io.order.clone()),
                },
            );
        }
    }
    for ev in f.drain_events() {
        push_event(&mut log, &ev);
    }
}

struct Act<'a> {
    model: Option<&'a mut AnyModel>,
    people: Option<&'a mut crate::agents::Households>,
}

impl Actions for Act<'_> {
    fn rescue(&mut self, hh: HouseholdId, t: f64) -> Option<u32> {
        self.people.as_mut()?.rescue(hh, t).ok()
    }

    fn deliver(&mut self, shelter: usize, persons: u32, _t: f64) {
        if let Some(p) = self.people.as_mut() {
            p.deliver_rescued(shelter, persons);
        }
    }

    fn pump(&mut self, cells: &[(usize, usize)], to: Option<(usize, usize)>, volume: f64) -> f64 {
        let Some(m) = self.model.as_mut() else {
            return 0.0;
        };
        // The street's water first; what it lacks, from the manholes and wet wells the
        // hose reaches (a flooded underpass's wet well when its station has failed).
        let mut got = m.remove_water(cells, volume);
        if got < volume {
            got += m.remove_network_water(cells, volume - got);
        }
        if let Some((r, c)) = to {
            m.discharge_water(r, c, got);
        }
        got
    }
}

#[allow(clippy::too_many_arguments)]
fn step_forces(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    people: Option<ResMut<People>>,
    water: Option<ResMut<Water>>,
    terrain: Res<ForceTerrain>,
    mut trapped: ResMut<NewTrapped>,
    mut forces: ResMut<ForcesRes>,
    mut log: ResMut<Log>,
    mut status: ResMut<UnitStatus>,
    mut rescue: ResMut<RescueRequested>,
) {
    let f = &mut forces.0;
    for tr in trapped.0.drain(..) {
        let id = f.raise_request(tr.t, (tr.x, tr.y), Some(tr.hh), tr.persons);
        log.0.push(
            tr.t,
            Origin::Sim,
            SimEvent::RescueRequested {
                household: Some(tr.hh),
                inject: None,
                persons: tr.persons,
                request: id,
                x: tr.x,
                y: tr.y,
            },
        );
    }
    if f.teams.is_empty() && f.robots.is_empty() {
        return;
    }
    let mut people = people;
    let mut water = water;
    let buf = env_buf(
        people.as_deref(),
        water.as_deref().map(|w| &w.0),
        scenario.0.dem.spec.len(),
    );
    {
        let (graph_holder, hh) = match people.as_deref_mut() {
            Some(p) => {
                let super::people::PeopleSetup {
                    graph, households, ..
                } = &mut p.0;
                (Some(&*graph), Some(households))
            }
            None => (None, None),
        };
        let env = env(&buf, graph_holder, &terrain);
        let mut act = Act {
            model: water.as_deref_mut().map(|w| &mut w.0),
            people: hh,
        };
        f.step(clock.t, clock.dt, &env, &mut act);
    }
    for ev in f.drain_events() {
        push_event(&mut log, &ev);
    }
    for k in 0..f.robots.len() {
        status
            .0
            .insert(f.robots[k].spec.id.clone(), f.robot_status(k));
    }
    // Waiting requests are re-offered to the plan once a minute.
    let minute = (clock.t_end() / 60.0 + 1e-9).floor() > (clock.t / 60.0 + 1e-9).floor();
    if minute && f.waiting_requests() > 0 {
        rescue.0 = true;
    }
}

/// Log a unit's event (an exhaustive mapping: a new kind of force event must be named
/// here).
fn push_event(log: &mut Log, ev: &ForceEvent) {
    let (t, event) = match ev.clone() {
        ForceEvent::Departed {
            t,
            unit,
            to,
            eta_s,
            gap_m,
        } => (
            t,
            SimEvent::UnitDeparted {
                gap_m,
                eta_s,
                to,
                unit,
            },
        ),
        ForceEvent::NoRoute { t, unit, to } => (t, SimEvent::NoRoute { to, unit }),
        ForceEvent::AtPost { t, unit, post } => (t, SimEvent::AtPost { post, unit }),
        ForceEvent::OnScene { t, unit, at } => (t, SimEvent::OnScene { at, unit }),
        ForceEvent::RequestReached {
            t,
            unit,
            request,
            response_s,
        } => (
            t,
            SimEvent::RequestReached {
                request,
                response_s,
                unit,
            },
        ),
        ForceEvent::Rescued {
            t,
            unit,
            request,
            persons,
        } => (
            t,
            SimEvent::PeopleRescued {
                persons,
                request,
                unit,
            },
        ),
        ForceEvent::RequestClosed {
            t,
            unit,
            request,
            outcome,
        } => (
            t,
            SimEvent::RequestClosed {
                outcome,
                request,
                unit,
            },
        ),
        ForceEvent::Delivered {
            t,
            unit,
            shelter,
            persons,
        } => (
            t,
            SimEvent::Delivered {
                persons,
                shelter,
                unit,
            },
        ),
        ForceEvent::Returned { t, unit } => (t, SimEvent::UnitReturned { unit }),
        ForceEvent::PumpingStarted {
            t,
            unit,
            cells,
            to_river,
        } => (
            t,
            SimEvent::PumpingStarted {
                cells,
                to_river,
                unit,
            },
        ),
        ForceEvent::PumpingStopped { t, unit, pumped_m3 } => {
            (t, SimEvent::PumpingStopped { pumped_m3, unit })
        }
        ForceEvent::Failed { t, unit } => (t, SimEvent::UnitFailed { unit }),
        ForceEvent::Restored { t, unit } => (t, SimEvent::UnitRestored { unit }),
    };
    log.0.push(t, Origin::Sim, event);
}
