//! People in the tick: the Bevy adapter over the [`crate::agents`] household kernel and
//! the road graph.
//!
//! At start-up the road graph is built from the roads layer (split at the places), the
//! households from the buildings (or zone totals), the shelters from the scenario, and
//! one route tree per shelter and mode. Each tick: `apply_people_orders`
//! (`SimSet::Inputs`, after the plan) carries out warnings, shelter and road orders;
//! `step_people` (`SimSet::Agents`) puts the water on the roads, refreshes the route
//! trees when the water changed the graph, steps the households, and logs their events
//! (a household trapped in water raises a rescue request); `record_people`
//! (`SimSet::Record`) keeps the counts by state and zone per series interval.

use bevy::prelude::*;

use super::exercise::{DueInjects, IssuedOrders, Log, RescueRequested, evaluate_plan};
use super::hydro::{Water as WaterRes, apply_water_injects};
use super::{RunSeed, ScenarioRes, SimHealth, StateError, register_digest};
use crate::agents::{
    AgentEvent, ChannelParams, Households, HouseholdsState, HouseholdsStateRef, Reason,
    ShelterRoutes, StateTable, Water,
};
use crate::exercise::log::{Origin, SimEvent};
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::scenario::Scenario;
use crate::scenario::schema::{InjectEvent, Order};
pub use crate::setup::people::PeopleSetup;
use crate::world::routing::{EdgeCosts, sample_edge_depths};

/// The people of the run: road graph, households, shelters, route trees and the step's
/// workspace, as setup made them ([`PeopleSetup`]).
#[derive(Resource, Deref, DerefMut)]
pub struct People(pub PeopleSetup);

/// A household trapped this tick: a rescue request for the forces.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Trapped {
    /// Sim time, s.
    pub t: f64,
    /// The household.
    pub hh: crate::agents::HouseholdId,
    /// Where, map metres.
    pub x: f64,
    /// Where, map metres.
    pub y: f64,
    /// Persons.
    pub persons: u32,
}

/// Households trapped since the forces last looked.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct NewTrapped(pub Vec<Trapped>);

/// A warning as issued: when, to which zones, on which channel, by whom.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WarningIssue {
    /// Sim time, s.
    pub t: f64,
    /// Zone ids.
    pub zones: Vec<String>,
    /// Channel id.
    pub channel: String,
    /// Who issued it.
    pub origin: Origin,
    /// The plan rule that issued it, if any.
    pub rule: Option<String>,
    /// What residents were told to do.
    #[serde(default)]
    pub action: crate::scenario::schema::WarnAction,
}

/// Every warning issued in the run, in order.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Warnings(pub Vec<WarningIssue>);

/// Households by state and zone, one table per series interval.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeopleSeries(pub Vec<(f64, StateTable)>);

/// The evolving part of [`People`] (the graph, the households' attributes and the zone
/// tables are rebuilt from the scenario).
#[derive(serde::Deserialize)]
struct PeopleState {
    households: HouseholdsState,
    costs: EdgeCosts,
    routes: ShelterRoutes,
}

fn save_people(w: &World) -> Result<Vec<u8>, StateError> {
    let p = w
        .get_resource::<People>()
        .ok_or(StateError::Missing("population"))?;
    #[derive(serde::Serialize)]
    struct Ref<'a> {
        households: HouseholdsStateRef<'a>,
        costs: &'a EdgeCosts,
        routes: &'a ShelterRoutes,
    }
    rmp_serde::to_vec_named(&Ref {
        households: p.households.saved(),
        costs: &p.costs,
        routes: &p.routes,
    })
    .map_err(StateError::encode)
}

fn load_people(w: &mut World, b: &[u8]) -> Result<(), StateError> {
    let st: PeopleState = rmp_serde::from_slice(b).map_err(StateError::decode)?;
    let mut p = w
        .get_resource_mut::<People>()
        .ok_or(StateError::Missing("population"))?;
    p.households
        .restore(st.households)
        .map_err(|e| StateError::Mismatch(e.to_string()))?;
    p.costs = st.costs;
    p.routes = st.routes;
    Ok(())
}

/// Build the people of a scenario (see [`crate::setup::people`]).
pub fn build_people(s: &Scenario, seed: u64) -> Result<People, crate::setup::SetupError> {
    crate::setup::people::build_people(s, seed).map(People)
}

/// Adds the people systems to `SimTick` (only when the scenario has roads and
/// households).
pub struct PeoplePlugin;

impl Plugin for PeoplePlugin {
    fn build(&self, app: &mut App) {
        let scenario = app.world().resource::<ScenarioRes>().0.clone();
        let seed = app.world().resource::<RunSeed>().0;
        if scenario.roads.is_empty() || scenario.buildings.iter().all(|b| b.households == 0) {
            return;
        }
        let people = match build_people(&scenario, seed) {
            Ok(p) => p,
            Err(e) => {
                app.world_mut()
                    .resource_mut::<super::SetupFailures>()
                    .0
                    .push(("people", e));
                return;
            }
        };
        let mut series = PeopleSeries::default();
        series
            .0
            .push((0.0, people.households.counts_by_state_and_zone()));
        for (name, save, load) in [
            (
                "people",
                save_people as super::SaveFn,
                load_people as super::LoadFn,
            ),
            super::state_fns::<PeopleSeries>("people_series"),
            super::state_fns::<NewTrapped>("new_trapped"),
            super::state_fns::<Warnings>("warnings"),
        ] {
            super::register_state(app, name, save, load);
        }
        app.insert_resource(people)
            .insert_resource(series)
            .init_resource::<NewTrapped>()
            .init_resource::<Warnings>()
            .add_systems(
                SimTick,
                apply_people_orders
                    .in_set(SimSet::Inputs)
                    .after(evaluate_plan)
                    .after(apply_water_injects),
            )
            .add_systems(SimTick, step_people.in_set(SimSet::Agents))
            .add_systems(SimTick, record_people.in_set(SimSet::Record));
        register_digest(app, "people", |w, h| {
            if let Some(p) = w.get_resource::<People>() {
                h.update(&p.households.digest());
            }
        });
    }
}

/// Carry out warnings, shelter and road orders, and the injects the people own
/// (communication outage, road collapse).
pub fn apply_people_orders(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    issued: Res<IssuedOrders>,
    due: Res<DueInjects>,
    mut people: ResMut<People>,
    mut warnings: ResMut<Warnings>,
    mut log: ResMut<Log>,
) {
    let s = &scenario.0;
    for d in &due.0 {
        match &d.event {
            InjectEvent::CommOutage { zones, duration } => {
                let until = clock.t + duration.secs();
                for z in zones {
                    if let Some(&k) = people.zone_index.get(z) {
                        let _ = people.households.set_comm_outage(k, until);
                    }
                }
                log.0.push(
                    clock.t,
                    Origin::Sim,
                    SimEvent::CommOutage {
                        inject: d.id.clone(),
                        until_s: until,
                        zones: zones.clone(),
                    },
                );
            }
            InjectEvent::RoadCollapse { road } => {
                if let Some(r) = s.roads.iter().position(|rd| &rd.id == road) {
                    let p = &mut *people;
                    for e in p.graph.edges_of_road(r) {
                        p.costs.set_closed(e, true);
                    }
                    log.0.push(
                        clock.t,
                        Origin::Sim,
                        SimEvent::RoadClosed {
                            inject: Some(d.id.clone()),
                            road: road.clone(),
                        },
                    );
                }
            }
            // The water's and the forces' injects.
            InjectEvent::LeveeBreach { .. }
            | InjectEvent::PumpFailure { .. }
            | InjectEvent::RainCell { .. }
            | InjectEvent::FalseReport { .. } => {}
        }
    }
    for io in &issued.0 {
        match &io.order {
            Order::Warn {
                zones,
                channel,
                action,
            } => {
                let Some(ch) = s.file.warnings.channels.iter().find(|c| &c.id == channel) else {
                    continue;
                };
                let params = ChannelParams {
                    id: ch.id.clone(),
                    reach: ch.reach,
                    half_time_s: ch.half_time.secs(),
                };
                let idx: Vec<u32> = zones
                    .iter()
                    .filter_map(|z| people.zone_index.get(z).copied())
                    .collect();
                warnings.0.push(WarningIssue {
                    t: clock.t,
                    zones: zones.clone(),
                    channel: channel.clone(),
                    origin: io.origin,
                    rule: io.rule.clone(),
                    action: *action,
                });
                match people
                    .households
                    .issue_warning_with(&idx, &params, clock.t, *action)
                {
                    Ok(n) => log.0.push(
                        clock.t,
                        io.origin,
                        SimEvent::WarningIssued {
                            action: (!action.is_evacuate()).then(|| action.name().to_string()),
                            channel: channel.clone(),
                            households_reached_earlier: n as u64,
                            zones: zones.clone(),
                        },
                    ),
                    Err(e) => log.0.push(
                        clock.t,
                        Origin::Sim,
                        SimEvent::OrderFailed {
                            error: e.to_string(),
                            order: None,
                        },
                    ),
                }
            }
            Order::OpenShelter(id) | Order::CloseShelter(id) => {
                let open = matches!(io.order, Order::OpenShelter(_));
                if let Some(k) = s.file.shelters.iter().position(|sh| &sh.place == id) {
                    people.households.set_shelter_open(k, open);
                    let shelter = id.clone();
                    log.0.push(
                        clock.t,
                        io.origin,
                        if open {
                            SimEvent::ShelterOpened { shelter }
                        } else {
                            SimEvent::ShelterClosed { shelter }
                        },
                    );
                }
            }
            Order::CloseRoad(id) => {
                if let Some(r) = s.roads.iter().position(|rd| &rd.id == id) {
                    let p = &mut *people;
                    for e in p.graph.edges_of_road(r) {
                        p.costs.set_closed(e, true);
                    }
                    log.0.push(
                        clock.t,
                        io.origin,
                        SimEvent::RoadClosed {
                            inject: None,
                            road: id.clone(),
                        },
                    );
                }
            }
            // The forces' orders.
            Order::Dispatch { .. }
            | Order::PrePosition { .. }
            | Order::Recall { .. }
            | Order::DispatchNearestToRescue => {}
        }
    }
}

fn step_people(
    clock: Res<SimClock>,
    water: Option<Res<WaterRes>>,
    mut people: ResMut<People>,
    mut log: ResMut<Log>,
    mut rescue: ResMut<RescueRequested>,
    mut trapped: ResMut<NewTrapped>,
    mut health: ResMut<SimHealth>,
) {
    let p = &mut people.0;
    if let Some(w) = &water {
        let depth = w.0.depth_grid();
        let edge_depths = sample_edge_depths(&p.graph, &depth);
        if let Err(e) = p.costs.update_from_depth(&p.graph, &edge_depths) {
            health.failure = Some(format!("people: {e}"));
            return;
        }
        p.routes
            .refresh(&p.graph, p.households.shelters(), &p.costs, 0.05);
    }
    let model = water.as_ref().map(|w| &w.0);
    let sampler = |pt: (f64, f64)| -> (f64, f64) {
        let Some(m) = model else { return (0.0, 0.0) };
        match m.spec().cell_at(pt.0, pt.1) {
            Some((r, c)) => {
                let (u, v) = m.velocity(r, c);
                (m.depth_grid_at(r, c), (u * u + v * v).sqrt())
            }
            None => (0.0, 0.0),
        }
    };
    let env_water = if model.is_some() {
        Water::Sampler(&sampler)
    } else {
        Water::Dry
    };
    let env = p.routes.env(&p.graph, &p.costs, env_water);
    p.households.step(clock.t, clock.dt, &env, &mut p.ws);
    for ev in p.households.drain_events() {
        if let AgentEvent::Trapped {
            hh,
            x,
            y,
            persons,
            t,
            ..
        } = &ev
        {
            rescue.0 = true;
            trapped.0.push(Trapped {
                t: *t,
                hh: *hh,
                x: *x,
                y: *y,
                persons: *persons,
            });
        }
        let event = sim_event(&ev, &p.zone_ids, &p.households, &p.graph);
        log.0.push(ev.t(), Origin::Sim, event);
    }
}

/// The log's form of a household event: indices resolved to ids.
fn sim_event(
    ev: &AgentEvent,
    zone_ids: &[String],
    hh: &Households,
    graph: &crate::world::roads::RoadGraph,
) -> SimEvent {
    let shelter_id = |k: u32| hh.shelters().id(k as usize).to_string();
    match *ev {
        AgentEvent::WarningReceived { hh: h, channel, .. } => SimEvent::WarningReceived {
            channel: hh.channel_id(channel).to_string(),
            household: h,
        },
        AgentEvent::Refused { hh: h, .. } => SimEvent::Refused { household: h },
        AgentEvent::ZoneAcknowledged { zone, .. } => SimEvent::ZoneAcknowledged {
            zone: zone_ids.get(zone as usize).cloned(),
        },
        AgentEvent::Departed {
            hh: h,
            shelter,
            mode,
            ..
        } => SimEvent::Departed {
            household: h,
            mode,
            shelter: shelter.map(shelter_id),
        },
        AgentEvent::Rerouted {
            hh: h, from, to, ..
        } => SimEvent::Rerouted {
            from: from.map(shelter_id),
            household: h,
            to: shelter_id(to),
        },
        AgentEvent::TurnedAway { hh: h, shelter, .. } => SimEvent::TurnedAway {
            household: h,
            shelter: shelter_id(shelter),
        },
        AgentEvent::Waiting {
            hh: h,
            node,
            reason,
            ..
        } => {
            let (x, y) = graph.node_pos[node as usize];
            SimEvent::Waiting {
                household: h,
                x,
                y,
                reason: Reason::from_code(reason).name().to_string(),
            }
        }
        AgentEvent::TookRefuge {
            hh: h,
            x,
            y,
            reason,
            ..
        } => SimEvent::TookRefuge {
            household: h,
            x,
            y,
            reason: Reason::from_code(reason).name().to_string(),
        },
        AgentEvent::StayedHome { hh: h, reason, .. } => SimEvent::StayedHome {
            household: h,
            reason: Reason::from_code(reason).name().to_string(),
        },
        AgentEvent::Sheltered {
            hh: h,
            shelter,
            persons,
            ..
        } => SimEvent::Sheltered {
            household: h,
            persons,
            shelter: shelter_id(shelter),
        },
        AgentEvent::LeftDistrict { hh: h, persons, .. } => SimEvent::LeftDistrict {
            household: h,
            persons,
        },
        AgentEvent::Trapped {
            hh: h,
            x,
            y,
            depth,
            velocity,
            persons,
            ..
        } => SimEvent::Trapped {
            depth_m: depth,
            household: h,
            persons,
            velocity_m_s: velocity,
            x,
            y,
        },
        AgentEvent::Rescued { hh: h, persons, .. } => SimEvent::Rescued {
            household: h,
            persons,
        },
        AgentEvent::Casualty {
            hh: h,
            depth,
            velocity,
            persons,
            ..
        } => SimEvent::Casualty {
            depth_m: depth,
            household: h,
            persons,
            velocity_m_s: velocity,
        },
    }
}

fn record_people(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    people: Res<People>,
    mut series: ResMut<PeopleSeries>,
) {
    let every = scenario.0.file.outputs.series_interval.secs();
    let k_now = (clock.t_end() / every + 1e-9).floor();
    let k_before = (clock.t / every + 1e-9).floor();
    if k_now > k_before || clock.t_end() >= clock.end - 1e-9 {
        series
            .0
            .push((clock.t_end(), people.households.counts_by_state_and_zone()));
    }
}
