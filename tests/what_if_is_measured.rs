//! The counterfactuals are measured, not guessed: on the small district of
//! `tests/data/sens` with a plan that warns an hour late, `run::what_if::measure`
//! branches the replay with the top corrective action's orders at the moment it was
//! due, and the branch's warning score is higher than the drill's; the report gets the
//! measured section. A folder without a replay, or without a scorecard, is refused by
//! name.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use floodrill::engine::EngineOptions;
use floodrill::run::what_if::{WhatIfError, measure, write};
use floodrill::run::{RunOptions, RunStatus, run};

fn engine() -> EngineOptions {
    EngineOptions {
        seed: Some(1),
        threads: Some(1),
    }
}

#[test]
fn the_late_plans_top_action_is_branched_and_raises_its_criterion() {
    let (tmp, path) = common::sens_variant("1h5m", 1, 106);
    let scenario = Arc::new(floodrill::setup::load(&path).unwrap());
    let out = tmp.path().join("late");
    let stop = Arc::new(AtomicBool::new(false));
    let opts = RunOptions {
        out: out.clone(),
        engine: engine(),
        ..RunOptions::default()
    };
    let s = run(scenario, &opts, &stop, &mut |_, _, _| {}).unwrap();
    assert_eq!(s.status, RunStatus::Completed);

    let mut started = Vec::new();
    let results = measure(&out, 1, engine(), &stop, &mut |st| {
        started.push((st.index, st.action.to_string(), st.at));
    })
    .unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(started.len(), 1);
    let r = &results[0];
    eprintln!("{r:#}");
    assert!(
        r["action"].as_str().unwrap().contains("Z01"),
        "the action names the zone: {r}"
    );
    // The branch started before the late warning (1:05) and the orders warn Z01.
    assert!(started[0].2 < 3900.0, "branched at {}", started[0].2);
    assert!(
        r["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o.as_str().unwrap().contains("Z01")),
        "{r}"
    );
    let warning = r["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "warning")
        .unwrap();
    let (drill, what_if) = (
        warning["drill"].as_f64().unwrap(),
        warning["what_if"].as_f64().unwrap(),
    );
    assert!(
        what_if > drill,
        "warning on time must score higher: {drill} → {what_if}"
    );
    // The branch is a real run with its own scorecard, beside its orders.
    assert!(out.join("what-if/1/scorecard.json").is_file());
    assert!(out.join("what-if/1.orders").is_file());

    let files = write(&out, &results).unwrap();
    assert!(files.iter().any(|f| f.ends_with("what_if.json")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Counterfactuals, measured"));
    assert!(
        html.contains(&format!("{drill:.1} → {what_if:.1}")),
        "{drill} {what_if}"
    );
    // Measuring again replaces the section instead of adding a second one.
    write(&out, &results).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("Counterfactuals, measured").count(), 1);
}

#[test]
fn a_folder_without_a_replay_or_a_scorecard_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let e = measure(tmp.path(), 2, engine(), &stop, &mut |_| {}).unwrap_err();
    assert!(matches!(e, WhatIfError::Card { .. }), "{e}");
    assert!(e.to_string().contains("scorecard.json"), "{e}");

    std::fs::write(tmp.path().join("scorecard.json"), "{\"criteria\": []}").unwrap();
    let e = measure(tmp.path(), 2, engine(), &stop, &mut |_| {}).unwrap_err();
    assert!(matches!(e, WhatIfError::NoReplay(_)), "{e}");
    assert!(e.to_string().contains("--no-replay"), "{e}");
}
