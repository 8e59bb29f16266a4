//! Plan sensitivity: on a small district (`tests/data/sens`: a low block of one-storey
//! homes flooded by an inflow from 1 h, a shelter and the rescue station on the hill),
//! each plan lever moves its criterion's mean score over three seeds the way it should:
//! warning earlier → 预警到位 and 转移到位 up; more boats → 力量到位 up; more shelter places
//! → 转移到位 up. Every run lasts 2 h past the inflow, and none ends with a household
//! still moving.

mod common;

use std::sync::Arc;

use floodrill::agents::HouseholdState;
use floodrill::engine::people::People;
use floodrill::engine::{Engine, EngineOptions};

const SEEDS: [u64; 3] = [1, 2, 3];

/// The plan's levers.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// The warning's time ("5m" is about an hour before the block floods).
    warn_at: &'static str,
    boats: usize,
    /// Shelter places (the block has about 106 residents, half of whom are expected at
    /// the public shelter).
    capacity: u32,
}

const BASE: Plan = Plan {
    warn_at: "35m",
    boats: 1,
    capacity: 106,
};

/// Mean score per criterion (warning, evacuation, forces, response) over the seeds.
fn mean_scores(p: Plan) -> [f64; 4] {
    let (_dir, path) = common::sens_variant(p.warn_at, p.boats, p.capacity);
    let scenario = Arc::new(floodrill::setup::load(&path).unwrap());
    let mut sum = [0.0; 4];
    for seed in SEEDS {
        let mut e = Engine::new(
            scenario.clone(),
            EngineOptions {
                seed: Some(seed),
                threads: Some(1),
            },
        )
        .unwrap();
        while !e.finished() {
            e.tick().unwrap();
        }
        let hh = &e.world().resource::<People>().households;
        let moving = hh
            .states()
            .iter()
            .filter(|&&s| s == HouseholdState::Moving)
            .count();
        assert_eq!(
            moving, 0,
            "{p:?} seed {seed}: households still moving at the end"
        );
        let card = floodrill::engine::scoring::scorecard(e.world());
        assert!(!card.not_yet, "{p:?}: the final card has a verdict");
        for (k, id) in ["warning", "evacuation", "forces", "response"]
            .iter()
            .enumerate()
        {
            let c = card.criteria.iter().find(|c| c.id == *id).unwrap();
            sum[k] += c.score;
        }
    }
    sum.map(|s| s / SEEDS.len() as f64)
}

/// Non-increasing along the list, and the first strictly above the last.
fn falls(what: &str, v: &[f64]) {
    eprintln!("{what}: {v:?}");
    for w in v.windows(2) {
        assert!(w[0] >= w[1] - 1e-9, "{what}: {v:?} does not fall");
    }
    assert!(v[0] > v[v.len() - 1], "{what}: {v:?} does not move");
}

#[test]
fn each_plan_lever_moves_its_criterion_the_way_it_should() {
    // Warning about 60, 30 and 0 minutes before the block floods.
    let warn: Vec<[f64; 4]> = ["5m", "35m", "1h5m"]
        .iter()
        .map(|&w| mean_scores(Plan { warn_at: w, ..BASE }))
        .collect();
    falls(
        "预警到位 with a later warning",
        &warn.iter().map(|s| s[0]).collect::<Vec<_>>(),
    );
    falls(
        "转移到位 with a later warning",
        &warn.iter().map(|s| s[1]).collect::<Vec<_>>(),
    );
    // 3, 1, 0 boats, with the late warning (people are caught and call for rescue).
    let boats: Vec<[f64; 4]> = [3, 1, 0]
        .iter()
        .map(|&b| {
            mean_scores(Plan {
                warn_at: "1h5m",
                boats: b,
                ..BASE
            })
        })
        .collect();
    falls(
        "力量到位 with fewer boats",
        &boats.iter().map(|s| s[2]).collect::<Vec<_>>(),
    );
    // 150 %, 100 %, 50 % of the places the public shelter is expected to need: half the
    // residents (the default `self_arranged_share`) go to relatives out of the district.
    let places: Vec<[f64; 4]> = [80, 53, 27]
        .iter()
        .map(|&c| {
            mean_scores(Plan {
                capacity: c,
                ..BASE
            })
        })
        .collect();
    falls(
        "转移到位 with fewer places",
        &places.iter().map(|s| s[1]).collect::<Vec<_>>(),
    );
}
