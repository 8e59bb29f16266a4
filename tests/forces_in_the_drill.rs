//! Forces and the exercise loop on the mini district: a command stream is checked and
//! applied and its orders land in `events.jsonl`; bad orders are rejected with the file,
//! line and what is wrong; a drainage robot lowers the ponding at the low street while
//! the water balance still closes; the run writes a scorecard with every criterion.

mod common;

use std::sync::Arc;

use floodrill::engine::forces::ForcesRes;
use floodrill::engine::hydro::Water;
use floodrill::engine::{Engine, EngineOptions};
use floodrill::exercise::commands::{Command, CommandKind};
use floodrill::exercise::log::Origin;
use floodrill::scenario::schema::{Location, Order};

fn events(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_command_stream_is_applied_and_its_orders_are_logged() {
    let (_dir, out, code, o, e) = common::run_mini_with_orders(
        "# trainee orders for the mini drill\n\
         2m   Dispatch(unit: \"R01\", to: Place(\"H01\"))   # robot to the low street\n\
         3m   trainer PrePosition(unit: \"T01\", post: \"P01\")\n\
         \n\
         12m  inject FalseReport(at: Place(\"H01\"))\n",
        &[],
    );
    assert_eq!(code, 0, "{o}{e}");
    let ev = events(&out);
    let order_from = |src: &str| {
        ev.iter()
            .find(|x| {
                x["kind"] == "order"
                    && x["detail"]["source"]
                        .as_str()
                        .is_some_and(|s| s.ends_with(src))
            })
            .unwrap_or_else(|| panic!("no order from {src}"))
            .clone()
    };
    let a = order_from("orders.txt:2");
    assert_eq!(a["origin"], "trainee");
    assert_eq!(a["t"], 120.0);
    assert_eq!(a["detail"]["order"]["Dispatch"]["unit"], "R01");
    let b = order_from("orders.txt:3");
    assert_eq!(b["origin"], "trainer");
    assert_eq!(b["t"], 180.0);
    let inj = ev
        .iter()
        .find(|x| {
            x["kind"] == "inject"
                && x["detail"]["source"]
                    .as_str()
                    .is_some_and(|s| s.ends_with("orders.txt:5"))
        })
        .expect("the inject is logged");
    assert_eq!(inj["origin"], "trainer");
    // The orders were carried out: the robot set off, the team reached its post, and
    // the false report became a rescue request a team went to.
    assert!(
        ev.iter()
            .any(|x| x["kind"] == "unit_departed" && x["detail"]["unit"] == "R01")
    );
    assert!(
        ev.iter()
            .any(|x| x["kind"] == "at_post" && x["detail"]["unit"] == "T01")
    );
    assert!(
        ev.iter()
            .any(|x| x["kind"] == "rescue_requested" && x["detail"]["persons"] == 0)
    );
    // The scorecard names all four criteria and the table is printed.
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("scorecard.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = card["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for n in ["预警到位", "转移到位", "力量到位", "处置到位"] {
        assert!(names.iter().any(|x| x.contains(n)), "{names:?}");
        assert!(o.contains(n), "scorecard table lacks {n}:\n{o}");
    }
}

#[test]
fn orders_naming_unknown_units_or_points_outside_are_rejected() {
    let (_dir, out, code, o, e) = common::run_mini_with_orders(
        "5m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
         6m Dispatch(unit: \"T99\", to: Place(\"H01\"))\n\
         7m Dispatch(unit: \"T01\", to: Point(9000.0, 9000.0))\n\
         8m Dispatch(unit: \"T01\" to: Place(\"H01\"))\n\
         9h Recall(unit: \"T01\")\n",
        &[],
    );
    assert_eq!(code, 2, "{o}{e}");
    assert!(
        e.contains("orders.txt:2:4: unit: no team or robot has id \"T99\""),
        "{e}"
    );
    assert!(e.contains("orders.txt:3:"), "{e}");
    assert!(e.contains("lies outside the district"), "{e}");
    assert!(e.contains("orders.txt:4:"), "{e}");
    assert!(e.contains("expected an order"), "{e}");
    assert!(
        e.contains("orders.txt:5:1: time 9h is after the end of the drill"),
        "{e}"
    );
    assert!(
        !out.join("summary.json").exists(),
        "nothing runs on bad orders"
    );
}

/// The mini drill without its plan, to 30 minutes (the peak of the rain); optionally with the robot sent to
/// the low street at the start.
fn run_mini(robot: bool) -> (f64, f64, f64) {
    // A heavier storm than the fixture's, so the low street ponds.
    let dir = common::mini_copy();
    let path = dir.path().join("mini.ron");
    std::fs::write(
        &path,
        common::mini_with(
            "(\"10m\", 60.0), (\"30m\", 60.0)",
            "(\"10m\", 200.0), (\"30m\", 200.0)",
        ),
    )
    .unwrap();
    let mut s = floodrill::setup::load(&path).unwrap();
    s.file.plan.clear();
    s.file.injects.clear();
    let h01 = s.place("H01").unwrap().at;
    let mut e = Engine::new(Arc::new(s), EngineOptions::default()).expect("the engine sets up");
    if robot {
        e.push_commands([Command {
            t: 0.0,
            origin: Origin::Trainee,
            kind: CommandKind::Order(Order::Dispatch {
                unit: "R01".into(),
                to: Location::Place("H01".into()),
            }),
            source: "test".into(),
            id: "test".into(),
        }]);
    }
    e.run_until(1800.0).unwrap();
    let w = e.world_mut().resource_mut::<Water>().into_inner();
    let (r, c) = w.0.spec().cell_at(h01.0, h01.1).unwrap();
    let depth = w.0.depth_grid_at(r, c);
    // Storage as it is now, after the last tick's pumping.
    w.0.storage();
    let b = *w.0.balance();
    let pumped = e.world().resource::<ForcesRes>().0.robots[0].pumped_m3;
    assert!(
        b.relative_error().abs() < 1e-9,
        "balance does not close: {b:?}"
    );
    assert!(
        (b.pumped - pumped).abs() < 1e-6 * pumped.max(1.0),
        "{} vs {pumped}",
        b.pumped
    );
    (depth, pumped, b.rain)
}

#[test]
fn live_orders_are_checked_before_they_are_queued() {
    let s = floodrill::setup::load(&common::mini_dir().join("mini.ron")).unwrap();
    let mut e = Engine::new(Arc::new(s), EngineOptions::default()).expect("the engine sets up");
    let cmd = |t: f64, order: Order| Command {
        t,
        origin: Origin::Trainee,
        kind: CommandKind::Order(order),
        source: "console".into(),
        id: "console".into(),
    };
    let err = e
        .submit(cmd(
            60.0,
            Order::Dispatch {
                unit: "T99".into(),
                to: Location::Place("H01".into()),
            },
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("no team or robot has id \"T99\""),
        "{err}"
    );
    let err = e
        .submit(cmd(
            60.0,
            Order::Dispatch {
                unit: "T01".into(),
                to: Location::Place("H99".into()),
            },
        ))
        .unwrap_err();
    assert!(err.to_string().contains("no place has id \"H99\""), "{err}");
    e.run_until(120.0).unwrap();
    let err = e
        .submit(cmd(60.0, Order::Recall { unit: "T01".into() }))
        .unwrap_err();
    assert!(err.to_string().contains("in the past"), "{err}");
    e.submit(cmd(120.0, Order::Recall { unit: "R01".into() }))
        .unwrap();
}

#[test]
fn a_robot_lowers_ponding_at_the_hotspot_and_the_balance_closes() {
    let (without, p0, _) = run_mini(false);
    let (with, p1, _) = run_mini(true);
    assert_eq!(p0, 0.0);
    assert!(p1 > 50.0, "pumped {p1} m³");
    println!(
        "depth at H01 at 30 min: {without:.3} m without the robot, {with:.3} m with it; pumped {p1:.0} m³"
    );
    assert!(without > 0.05, "the low street ponds: {without} m");
    assert!(
        with < without - 0.1,
        "depth at H01 with the robot {with} m, without {without} m"
    );
}

#[test]
fn a_team_that_joins_late_refuses_orders_until_then_and_serves_after() {
    let dir = common::mini_copy();
    let text = common::mini_with(
        "speed_kmh: 8.0, depot: \"D01\")]",
        "speed_kmh: 8.0, depot: \"D01\", available_from: \"20m\")]",
    );
    let sp = dir.path().join("late.ron");
    std::fs::write(&sp, text).unwrap();
    let orders = dir.path().join("orders.txt");
    std::fs::write(&orders, "25m PrePosition(unit: \"T01\", post: \"P01\")\n").unwrap();
    let out = dir.path().join("out");
    let (code, o, e) = common::floodrill(&[
        "run",
        sp.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--orders",
        orders.to_str().unwrap(),
        "--quiet",
        "--no-replay",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let ev = events(&out);
    // The plan pre-positions T01 at 5 min: refused, naming when it joins.
    let refused: Vec<&serde_json::Value> =
        ev.iter().filter(|e| e["kind"] == "order_failed").collect();
    assert!(
        refused.iter().any(|e| e["t"].as_f64() == Some(300.0)
            && e["detail"]["error"]
                .as_str()
                .is_some_and(|s| s.contains("T01 is not available until 0:20:00"))),
        "{refused:?}"
    );
    // After it joins, the command stream's order at 25 min is carried out.
    assert!(
        !refused.iter().any(|e| e["t"].as_f64() == Some(1500.0)),
        "{refused:?}"
    );
    let moved = ev.iter().any(|e| {
        e["t"].as_f64().is_some_and(|t| t >= 1500.0)
            && e.to_string().contains("T01")
            && e["kind"] != "order_failed"
            && e["kind"] != "order"
    });
    assert!(moved, "T01 never acted after joining");
    // A bad time is refused with the field.
    let bad = common::mini_with(
        "speed_kmh: 8.0, depot: \"D01\")]",
        "speed_kmh: 8.0, depot: \"D01\", available_from: \"soon\")]",
    );
    std::fs::write(&sp, bad).unwrap();
    let (code, _, e) = common::floodrill(&["validate", sp.to_str().unwrap()]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("forces.teams[0].available_from"), "{e}");
}
