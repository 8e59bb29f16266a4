//! The people's inputs: a checked scenario → the road graph, households (by building
//! or zone totals, with the population's parameters), shelters and the first route
//! trees.

use std::collections::BTreeMap;

use super::SetupError;
use crate::agents::{AgentParams, Households, ShelterRoutes, ShelterSpec, Shelters};
use crate::scenario::Scenario;
use crate::scenario::schema::PopulationSource;
use crate::world::roads::{Mode, NodeId, RoadGraph};
use crate::world::routing::{CostParams, EdgeCosts};
use crate::world::vector::PlaceKind;

/// The people of a scenario as the kernels take them.
pub struct PeopleSetup {
    /// The road graph.
    pub graph: RoadGraph,
    /// Households.
    pub households: Households,
    /// Edge travel times.
    pub costs: EdgeCosts,
    /// Route trees to the shelters.
    pub routes: ShelterRoutes,
    /// Zone index by id.
    pub zone_index: BTreeMap<String, u32>,
    /// Zone ids by index.
    pub zone_ids: Vec<String>,
    /// The households' step workspace (rebuilt by the step; never saved).
    pub ws: crate::agents::Workspace,
}

/// Build the people of a scenario.
pub fn build_people(s: &Scenario, seed: u64) -> Result<PeopleSetup, SetupError> {
    let f = &s.file;
    let stops: Vec<(f64, f64)> = s.places.iter().map(|p| p.at).collect();
    let graph = RoadGraph::build_with_stops(&s.roads, &stops, 1.0)?;
    let mut params = AgentParams::default();
    let p = &f.population;
    params.population.household_size = p.household_size;
    params.population.vehicle_share = p.vehicle_share;
    params.population.elderly_share = p.elderly_share;
    params.population.children_share = p.children_share;
    params.population.self_arranged_share = p.self_arranged_share;
    params.mobilisation.median_day_s = p.mobilisation.median_day.secs();
    params.mobilisation.median_night_s = p.mobilisation.median_night.secs();
    params.mobilisation.sigma = p.mobilisation.sigma;
    params.mobilisation.compliance = p.mobilisation.compliance;
    use chrono::Timelike;
    params.mobilisation.start_hour = s.start.hour() as f64 + s.start.minute() as f64 / 60.0;
    params.ack_delay_s = f.warnings.ack_delay.map(|d| d.secs());
    params.movement.walk_speed = p.walking.speed_m_s;
    params.movement.slow_walk_speed = p.walking.slow_speed_m_s;
    if let Some(w) = p.walking.max_wait {
        params.movement.max_wait_s = w.secs();
    }
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
    params.validate()?;
    let mut households = match &p.source {
        PopulationSource::Buildings => {
            Households::from_buildings(&s.buildings, &s.zones, &graph, &params, seed)
        }
        PopulationSource::ZoneTotals(t) => {
            Households::from_zone_totals(&s.buildings, &s.zones, t, &graph, &params, seed)
        }
    }?;
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
    let mut shelters = Shelters::new(&specs, &graph, s.zones.len())?;
    for pl in s.places.iter().filter(|p| p.kind == PlaceKind::Assembly) {
        let cap = pl.capacity.map(|c| c.max(0.0) as u32);
        shelters.add_assembly(&pl.id, pl.at, cap, &graph)?;
    }
    if p.self_arranged_share > 0.0 {
        shelters.add_exits(&district_exits(s, &graph), &graph);
    }
    households.set_shelters(shelters);
    let costs = EdgeCosts::new(&graph, CostParams::default())?;
    let routes = ShelterRoutes::build(&graph, households.shelters(), &costs);
    Ok(PeopleSetup {
        graph,
        households,
        costs,
        routes,
        zone_ids: s.zones.iter().map(|z| z.id.clone()).collect(),
        zone_index,
        ws: Default::default(),
    })
}

/// Margin from the edge of the road network within which a road end is a way out of
/// the map, metres.
const EXIT_MARGIN_M: f64 = 30.0;

/// The district's exits: roads that end at the edge of the road network (where the map
/// was cut), and the places of kind `exit` (nearest node). Ascending ids, no repeats.
fn district_exits(s: &Scenario, graph: &RoadGraph) -> Vec<NodeId> {
    let mut v = if s.file.population.district_exits {
        graph.boundary_ends(EXIT_MARGIN_M)
    } else {
        Vec::new()
    };
    for pl in s.places.iter().filter(|p| p.kind == PlaceKind::Exit) {
        v.extend(
            Mode::ALL
                .iter()
                .filter_map(|&m| graph.nearest_node(pl.at, m)),
        );
    }
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mini_people_are_its_buildings_households_in_scenario_zone_order() {
        let sc = crate::setup::tests::mini();
        let p = build_people(&sc, sc.file.meta.seed).expect("builds");
        let expected: u64 = sc.buildings.iter().map(|b| u64::from(b.households)).sum();
        assert_eq!(p.households.len() as u64, expected);
        let ids: Vec<String> = sc.zones.iter().map(|z| z.id.clone()).collect();
        assert_eq!(p.zone_ids, ids);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(p.zone_index[id], i as u32);
        }
        let sh = p.households.shelters();
        let public = (0..sh.len())
            .filter(|&k| sh.kind(k) == crate::agents::DestKind::Shelter)
            .count();
        assert_eq!(public, sc.file.shelters.len());
        for (k, s) in sc.file.shelters.iter().enumerate() {
            assert_eq!(sh.id(k), s.place, "scenario shelters come first, in order");
        }
        if sc.file.population.self_arranged_share > 0.0 {
            let exit = sh.exit().expect("self-arranged households need a way out");
            assert_eq!(exit as usize, sh.len() - 1, "the exit is last");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_households() {
        let sc = crate::setup::tests::mini();
        let a = build_people(&sc, 7).expect("builds");
        let b = build_people(&sc, 7).expect("builds");
        assert_eq!(a.households.digest(), b.households.digest());
    }
}
