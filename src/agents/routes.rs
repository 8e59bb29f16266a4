//! Route trees to every shelter, per mode, rebuilt only when the costs changed.
//!
//! [`ShelterRoutes`] keeps one reverse-Dijkstra [`RouteTree`] per shelter and mode and
//! the [`EdgeCosts`] they were built from; [`ShelterRoutes::refresh`] compares the
//! current costs with that basis ([`needs_refresh`]) and rebuilds a mode's trees only
//! when an edge opened, closed or changed time by more than a relative tolerance.
//! Derived state: rebuild after loading a snapshot.
//!
//! Units: seconds.

use rayon::prelude::*;

use crate::agents::shelters::Shelters;
use crate::agents::step::{AgentEnv, Water};
use crate::world::roads::{Mode, RoadGraph};
use crate::world::routing::{EdgeCosts, RouteTree, needs_refresh};

/// One tree per destination entry for `mode` (the exits' tree from every exit),
/// built in parallel; the same on any number of threads.
fn trees_for(
    graph: &RoadGraph,
    shelters: &Shelters,
    mode: Mode,
    costs: &EdgeCosts,
) -> Vec<RouteTree> {
    (0..shelters.len())
        .into_par_iter()
        .map(|k| RouteTree::to_nearest(graph, shelters.dest_nodes(k, mode), mode, costs))
        .collect()
}

/// Trees per shelter and mode, with the costs they were built from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ShelterRoutes {
    trees: [Vec<RouteTree>; 2],
    basis: EdgeCosts,
}

impl ShelterRoutes {
    /// Build every tree (parallel over shelters).
    pub fn build(graph: &RoadGraph, shelters: &Shelters, costs: &EdgeCosts) -> Self {
        let tree = |mode: Mode| trees_for(graph, shelters, mode, costs);
        Self {
            trees: [tree(Mode::Drive), tree(Mode::Walk)],
            basis: costs.clone(),
        }
    }

    /// Rebuild the trees of each mode whose edge times changed by more than `rel_tol`
    /// (relative) since the last build, or where an edge opened or closed. Returns true
    /// if anything was rebuilt.
    pub fn refresh(
        &mut self,
        graph: &RoadGraph,
        shelters: &Shelters,
        costs: &EdgeCosts,
        rel_tol: f64,
    ) -> bool {
        let mut any = false;
        for mode in Mode::ALL {
            if needs_refresh(&self.basis, costs, mode, rel_tol) {
                self.trees[mode.index()] = trees_for(graph, shelters, mode, costs);
                any = true;
            }
        }
        if any {
            self.basis = costs.clone();
        }
        any
    }

    /// Trees for `mode`, in shelter order.
    pub fn trees(&self, mode: Mode) -> &[RouteTree] {
        &self.trees[mode.index()]
    }

    /// An [`AgentEnv`] over these trees.
    pub fn env<'a>(
        &'a self,
        graph: &'a RoadGraph,
        costs: &'a EdgeCosts,
        water: Water<'a>,
    ) -> AgentEnv<'a> {
        AgentEnv {
            graph,
            costs,
            trees_drive: &self.trees[0],
            trees_walk: &self.trees[1],
            water,
        }
    }
}
