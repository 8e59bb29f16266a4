//! People: households that are warned, decide, evacuate on the road graph to shelters,
//! or get caught by the water and need rescue.
//!
//! # What
//! A plain-Rust kernel (no Bevy types) over a structure of arrays of households:
//! - [`Households`] — population from buildings or zone totals, warnings
//!   ([`Households::issue_warning`]), one [`Households::step`] per tick, rescue,
//!   counts by state and zone, a state digest;
//! - [`Shelters`] — capacity in persons, occupancy, open/closed, assigned zones;
//! - [`ShelterRoutes`] — one route tree per shelter and mode, refreshed when the water
//!   changes the graph;
//! - [`AgentEvent`] — what happened, drained by the caller;
//! - [`agents_bench`] — the household-step benchmark.
//!
//! # States
//! `Unaware → Warned → Preparing → Moving → Sheltered`; `Warned → Staying`
//! (non-compliant); any of `Unaware, Warned, Preparing, Staying, Moving` → `Trapped`
//! (water) → `Rescued` (a force, via [`Households::rescue`]) or `Casualty` (only by the
//! explicit rule). A `Moving` household turned away at a full shelter goes on to the
//! next, or waits at the node.
//!
//! # A tick
//! ```no_run
//! use floodrill::agents::*;
//! use floodrill::world::routing::{CostParams, EdgeCosts};
//! # fn demo(graph: &floodrill::world::roads::RoadGraph,
//! #         buildings: &[floodrill::world::Building], zones: &[floodrill::world::Zone],
//! #         specs: &[ShelterSpec], depth_grid: &[f64], speed_grid: &[f64],
//! #         spec: floodrill::world::GridSpec, edge_depths: &[f64]) -> Result<(), Box<dyn std::error::Error>> {
//! let params = AgentParams::default();
//! let mut hh = Households::from_buildings(buildings, zones, graph, &params, 42)?;
//! hh.set_shelters(Shelters::new(specs, graph, zones.len())?);
//! let mut costs = EdgeCosts::new(graph, CostParams::default())?;
//! let mut routes = ShelterRoutes::build(graph, hh.shelters(), &costs);
//! let sms = ChannelParams { id: "sms".into(), reach: 0.9, half_time_s: 600.0 };
//! hh.issue_warning(&[0, 1], &sms, 0.0)?;
//! let (mut t, dt) = (0.0, 5.0);
//! let mut ws = Workspace::default();                     // the step's work arrays
//! // Each tick, after the hydraulics:
//! costs.update_from_depth(graph, edge_depths)?;          // water on the roads
//! routes.refresh(graph, hh.shelters(), &costs, 0.05);     // only if the graph changed
//! let water = Water::Grids(WaterGrids::new(spec, depth_grid, speed_grid)?);
//! hh.step(t, dt, &routes.env(graph, &costs, water), &mut ws);
//! for ev in hh.drain_events() { /* record, score, raise rescue requests */ }
//! let table = hh.counts_by_state_and_zone();              // once a minute
//! t += dt;
//! # Ok(()) }
//! ```
//!
//! Determinism: per-household random streams `(seed, household id, purpose)`; the
//! parallel pass writes disjoint chunks; shelter admission is sequential in
//! (arrival time, id) order; events are sorted by (time, id). Same seed ⇒ same
//! [`Households::digest`] on any thread count.
//!
//! Units: seconds, metres, metres per second, persons.

mod bench;
mod events;
mod households;
mod params;
mod routes;
mod shelters;
mod step;

pub use bench::{BenchResult, agents_bench, agents_bench_with, bench_district};
pub use events::{AgentEvent, HouseholdId};
pub use households::{
    HouseholdState, Households, HouseholdsState, HouseholdsStateRef, Reason, StateTable,
};
pub use params::{
    AgentError, AgentParams, CasualtyRule, ChannelParams, HazardParams, MobilisationParams,
    MovementParams, PopulationParams,
};
pub use routes::ShelterRoutes;
pub use shelters::{DestKind, ShelterSpec, Shelters};
pub use step::{AgentEnv, Water, WaterGrids, Workspace};
