//! A full-state snapshot restored onto a fresh engine continues the drill exactly: the
//! same digests at every later moment and the same scorecard at the end, on 1 or 2
//! threads, whether the state went through its bytes or not.

mod common;

use std::sync::Arc;

use floodrill::engine::{Engine, EngineOptions};
use floodrill::exercise::commands::parse_command_stream;

/// Orders and injects that touch every kind of state: a robot, a levee breach (the
/// bed), an extra rain cell, a communication outage, a false report.
const ORDERS: &str = "4m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
     8m inject LeveeBreach(x: 1105.0, y: 2085.0, width_m: 20.0, bottom_m: 0.0, over: \"10m\")\n\
     9m inject RainCell(source: MovingCell(peak_mm_h: 80.0, radius_m: 60.0, track: [(\"9m\", 1000.0, 2080.0), (\"40m\", 1200.0, 2080.0)]))\n\
     12m inject FalseReport(at: Place(\"H01\"))\n\
     25m inject CommOutage(zones: [\"Z01\"], duration: \"10m\")\n";

fn engine(threads: usize) -> Engine {
    let s = floodrill::setup::load(&common::mini_dir().join("mini.ron")).expect("mini loads");
    let cmds = parse_command_stream("orders.txt", ORDERS, &s).expect("orders check");
    let mut e = Engine::new(
        Arc::new(s),
        EngineOptions {
            seed: None,
            threads: Some(threads),
        },
    )
    .expect("the engine sets up");
    e.push_commands(cmds);
    e
}

fn digests_from(e: &mut Engine, times: &[f64]) -> Vec<String> {
    times
        .iter()
        .map(|&t| {
            e.run_until(t).expect("runs");
            e.digest()
        })
        .collect()
}

#[test]
fn a_restored_state_continues_bit_for_bit() {
    let later = [1500.0, 2400.0, 3000.0, 3600.0];
    let mut a = engine(2);
    let straight = digests_from(&mut a, &later);
    let card_a = serde_json::to_string(&floodrill::engine::scoring::scorecard(a.world())).unwrap();

    for (at, threads) in [(600.0, 1), (1230.0, 2)] {
        let mut b = engine(2);
        b.run_until(at).expect("runs");
        let st = b.save_state().expect("saves");
        assert_eq!(st.t, at);
        // Through its bytes, as a replay file holds it.
        let bytes = rmp_serde::to_vec_named(&st).expect("encodes");
        let st: floodrill::engine::FullState = rmp_serde::from_slice(&bytes).expect("decodes");
        let mut c = engine(threads);
        c.restore_state(&st).expect("restores");
        assert_eq!(c.clock().t, at);
        assert_eq!(c.digest(), b.digest());
        let times: Vec<f64> = later.iter().copied().filter(|&t| t > at).collect();
        let resumed = digests_from(&mut c, &times);
        assert_eq!(
            resumed,
            straight[later.len() - times.len()..],
            "restored at {at} s on {threads} thread(s)"
        );
        let card_c =
            serde_json::to_string(&floodrill::engine::scoring::scorecard(c.world())).unwrap();
        assert_eq!(card_c, card_a, "scorecard after a restore at {at} s");
    }
}

#[test]
fn a_state_from_another_scenario_is_refused() {
    let mut b = engine(1);
    b.run_until(600.0).expect("runs");
    let mut st = b.save_state().expect("saves");
    // A wrong digest: the restore says so.
    st.digest = "0".repeat(64);
    let mut c = engine(1);
    let err = c.restore_state(&st).unwrap_err();
    assert!(
        err.to_string().contains("does not match its digest"),
        "{err}"
    );
    // A part missing.
    let mut st = b.save_state().expect("saves");
    st.parts.retain(|(n, _)| n != "forces");
    let err = engine(1).restore_state(&st).unwrap_err();
    assert!(err.to_string().contains("no `forces` state"), "{err}");
}
