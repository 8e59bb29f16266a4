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

use std::collections::BTreeMap;

use bevy::prelude::*;

use super::exercise::{DueInjects, IssuedOrders, Log, RescueRequested, evaluate_plan};
use super::hydro::{Water as WaterRes, apply_water_injects};
use super::{RunSeed, ScenarioRes, SimHealth, register_digest};
use crate::agents::{
    AgentEvent, AgentParams, ChannelParams, Households, ShelterRoutes, ShelterSpec, Shelters,
    StateTable, Water,
};
use crate::exercise::log::Origin;
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::scenario::Scenario;
use crate::scenario::schema::{InjectEvent, Order, PopulationSource};
use crate::world::roads::RoadGraph;
use crate::world::routing::{CostParams, EdgeCosts, sample_edge_depths};

/// The people of the run: road graph, households, shelters, routes.
#[derive(Resource)]
pub struct People {
    /// The road graph.
    pub graph: RoadGraph,
    /// Households.
    pub households: Households,
    /// Edge travel times (water, congestion, closures).
    pub costs: EdgeCosts,
    /// Route trees to the shelters.
    pub routes: ShelterRoutes,
    /// Zone index by id.
    pub zone_index: BTreeMap<String, u32>,
    /// Zone ids by index.
    pub zone_ids: Vec<String>,
}

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
}

/// Every warning issued in the run, in order.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Warnings(pub Vec<WarningIssue>);

/// Households by state and zone, one table per series interval.
#[derive(Resource, Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeopleSeries(pub Vec<(f64, StateTable)>);

/// The evolving part of [`People`] (the graph and zone tables are rebuilt).
#[derive(serde::Serialize, serde::Deserialize)]
struct PeopleState {
    households: Households,
    costs: EdgeCosts,
    routes: ShelterRoutes,
}

fn save_people(w: &World) -> Result<Vec<u8>, String> {
    let p = w.get_resource::<People>().ok_or("no people")?;
    #[derive(serde::Serialize)]
    struct Ref<'a> {
        households: &'a Households,
        costs: &'a EdgeCosts,
        routes: &'a ShelterRoutes,
    }
    rmp_serde::to_vec_named(&Ref {
        households: &p.households,
        costs: &p.costs,
        routes: &p.routes,
    })
    .map_err(|e| e.to_string())
}

fn load_people(w: &mut World, b: &[u8]) -> Result<(), String> {
    let st: PeopleState = rmp_serde::from_slice(b).map_err(|e| e.to_string())?;
    let mut p = w.get_resource_mut::<People>().ok_or("no people")?;
    if st.households.len() != p.households.len() {
        return Err(format!(
            "the saved state has {} households, the scenario {}",
            st.households.len(),
            p.households.len()
        ));
    }
    p.households = st.households;
    p.costs = st.costs;
    p.routes = st.routes;
    Ok(())
}

/// Build the people of a scenario.
pub fn build_people(s: &Scenario, seed: u64) -> Result<People, String> {
    let f = &s.file;
    let stops: Vec<(f64, f64)> = s.places.iter().map(|p| p.at).collect();
    let graph = RoadGraph::build_with_stops(&s.roads, &stops, 1.0).map_err(|e| e.to_string())?;
    let mut params = AgentParams::default();
    let p = &f.population;
    params.population.household_size = p.household_size;
    params.population.vehicle_share = p.vehicle_share;
    params.population.elderly_share = p.elderly_share;
    params.population.children_share = p.children_share;
    params.mobilisation.median_day_s = p.mobilisation.median_day.secs();
    params.mobilisation.median_night_s = p.mobilisation.median_night.secs();
    params.mobilisation.sigma = p.mobilisation.sigma;
    params.mobilisation.compliance = p.mobilisation.compliance;
    use chrono::Timelike;
    params.mobilisation.start_hour = s.start.hour() as f64 + s.start.minute() as f64 / 60.0;
    params.ack_delay_s = f.warnings.ack_delay.map(|d| d.secs());
    params.movement.walk_speed = p.walking.speed_m_s;
    params.movement.slow_walk_speed = p.walking.slow_speed_m_s;
    let hz = &p.hazard;
    params.hazard.hr_threshold = hz.trapped_above_hr;
    params.hazard.debris_factor = hz.debris_factor;
    params.hazard.debris_depth_m = hz.debris_depth_m;
    params.hazard.home_trap_depth_m = hz.home_trapped_above_m;
    params.hazard.storey_height_m = hz.storey_height_m;
    params.hazard.casualty = hz.casualty.as_ref().map(|c| crate::agents::CasualtyRule {
        hr_above: c.hr_above,
        for_s: c.exposure.secs(),
    });
    params.validate().map_err(|e| e.to_string())?;
    let mut households = match &p.source {
        PopulationSource::Buildings => {
            Households::from_buildings(&s.buildings, &s.zones, &graph, &params, seed)
        }
        PopulationSource::ZoneTotals(t) => {
            Households::from_zone_totals(&s.buildings, &s.zones, t, &graph, &params, seed)
        }
    }
    .map_err(|e| e.to_string())?;
    let zone_index: BTreeMap<String, u32> = s
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| (z.id.clone(), i as u32))
        .collect();
    let specs: Vec<ShelterSpec> = f
        .shelters
        .iter()
        .filter_map(|sh| {
            let place = s.place(&sh.place)?;
            let capacity = sh
                .capacity
                .or(place.capacity.map(|c| c.max(0.0) as u32))
                .unwrap_or(0);
            Some(ShelterSpec {
                id: sh.place.clone(),
                at: place.at,
                capacity,
                open: sh.open,
                zones: sh
                    .zones
                    .iter()
                    .filter_map(|z| zone_index.get(z).copied())
                    .collect(),
            })
        })
        .collect();
    households
        .set_shelters(Shelters::new(&specs, &graph, s.zones.len()).map_err(|e| e.to_string())?);
    let costs = EdgeCosts::new(&graph, CostParams::default()).map_err(|e| e.to_string())?;
    let routes = ShelterRoutes::build(&graph, households.shelters(), &costs);
    Ok(People {
        graph,
        households,
        costs,
        routes,
        zone_ids: s.zones.iter().map(|z| z.id.clone()).collect(),
        zone_index,
    })
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
                app.world_mut().resource_mut::<SimHealth>().failure = Some(format!("people: {e}"));
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
                    "comm_outage",
                    serde_json::json!({ "zones": zones, "until_s": until, "inject": d.id }),
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
                        "road_closed",
                        serde_json::json!({ "road": road, "inject": d.id }),
                    );
                }
            }
            _ => {}
        }
    }
    for io in &issued.0 {
        match &io.order {
            Order::Warn { zones, channel } => {
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
                });
                match people.households.issue_warning(&idx, &params, clock.t) {
                    Ok(n) => log.0.push(
                        clock.t,
                        io.origin,
                        "warning_issued",
                        serde_json::json!({ "zones": zones, "channel": channel, "households_reached_earlier": n }),
                    ),
                    Err(e) => log.0.push(clock.t, Origin::Sim, "order_failed", serde_json::json!({ "error": e.to_string() })),
                }
            }
            Order::OpenShelter(id) | Order::CloseShelter(id) => {
                let open = matches!(io.order, Order::OpenShelter(_));
                if let Some(k) = s.file.shelters.iter().position(|sh| &sh.place == id) {
                    people.households.set_shelter_open(k, open);
                    log.0.push(
                        clock.t,
                        io.origin,
                        if open {
                            "shelter_opened"
                        } else {
                            "shelter_closed"
                        },
                        serde_json::json!({ "shelter": id }),
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
                        "road_closed",
                        serde_json::json!({ "road": id }),
                    );
                }
            }
            _ => {}
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
    let p = &mut *people;
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
    p.households.step(clock.t, clock.dt, &env);
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
        let (kind, detail) = event_json(&ev, &p.zone_ids, &p.households);
        log.0.push(ev.t(), Origin::Sim, kind, detail);
    }
}

fn event_json(
    ev: &AgentEvent,
    zone_ids: &[String],
    hh: &Households,
) -> (&'static str, serde_json::Value) {
    use serde_json::json;
    let shelter_id = |k: u32| hh.shelters().id(k as usize).to_string();
    match ev {
        AgentEvent::WarningReceived { hh: h, channel, .. } => (
            "warning_received",
            json!({ "household": h.to_string(), "channel": hh.channel_id(*channel) }),
        ),
        AgentEvent::Refused { hh: h, .. } => ("stays_home", json!({ "household": h.to_string() })),
        AgentEvent::ZoneAcknowledged { zone, .. } => (
            "zone_acknowledged",
            json!({ "zone": zone_ids.get(*zone as usize) }),
        ),
        AgentEvent::Departed {
            hh: h,
            shelter,
            mode,
            ..
        } => (
            "departed",
            json!({ "household": h.to_string(), "shelter": shelter.map(shelter_id), "mode": format!("{mode:?}") }),
        ),
        AgentEvent::Rerouted {
            hh: h, from, to, ..
        } => (
            "rerouted",
            json!({ "household": h.to_string(), "from": from.map(shelter_id), "to": shelter_id(*to) }),
        ),
        AgentEvent::TurnedAway { hh: h, shelter, .. } => (
            "turned_away",
            json!({ "household": h.to_string(), "shelter": shelter_id(*shelter) }),
        ),
        AgentEvent::Sheltered {
            hh: h,
            shelter,
            persons,
            ..
        } => (
            "sheltered",
            json!({ "household": h.to_string(), "shelter": shelter_id(*shelter), "persons": persons }),
        ),
        AgentEvent::Trapped {
            hh: h,
            x,
            y,
            depth,
            velocity,
            persons,
            ..
        } => (
            "trapped",
            json!({ "household": h.to_string(), "x": x, "y": y, "depth_m": depth, "velocity_m_s": velocity, "persons": persons }),
        ),
        AgentEvent::Rescued { hh: h, persons, .. } => (
            "rescued",
            json!({ "household": h.to_string(), "persons": persons }),
        ),
        AgentEvent::Casualty {
            hh: h,
            depth,
            velocity,
            persons,
            ..
        } => (
            "casualty",
            json!({ "household": h.to_string(), "depth_m": depth, "velocity_m_s": velocity, "persons": persons }),
        ),
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
