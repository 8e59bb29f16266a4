//! The console's live drill, without a window: the simulation runs on its worker
//! thread, an order given from the console is checked, logged with origin `trainee`,
//! recorded in the session's replay (which verifies) and changes the drill exactly as
//! the same order in a command stream does; a refused order says why; a review opens a
//! replay at a moment and branches from it into a new replay naming its parent.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use floodrill::engine::{Engine, EngineOptions};
use floodrill::exercise::commands::{Command, CommandKind};
use floodrill::exercise::log::Origin;
use floodrill::live::{Control, LiveOptions, LiveSim, SimView, Update};
use floodrill::scenario::schema::{Location, Order};

/// Wait (at most a minute) for a view that satisfies `done`; replies are collected.
fn wait_for(
    live: &LiveSim,
    replies: &mut Vec<(bool, String)>,
    done: impl Fn(&SimView) -> bool,
) -> Arc<SimView> {
    let until = Instant::now() + Duration::from_secs(120);
    while Instant::now() < until {
        if let Some(u) = live.wait(Duration::from_millis(200)) {
            match u {
                Update::View(v) if done(&v) => return v,
                Update::Reply { ok, text } => replies.push((ok, text)),
                _ => {}
            }
        }
    }
    panic!("no such view within two minutes; replies {replies:?}");
}

fn one_thread() -> EngineOptions {
    EngineOptions {
        seed: None,
        threads: Some(1),
    }
}

fn dispatch(t: f64) -> Command {
    Command {
        t,
        origin: Origin::Trainee,
        kind: CommandKind::Order(Order::Dispatch {
            unit: "T01".into(),
            to: Location::Place("H01".into()),
        }),
        source: "console".into(),
        id: "console".into(),
    }
}

#[test]
fn a_console_order_is_checked_logged_recorded_and_acts_as_in_a_command_stream() {
    let dir = common::mini_copy();
    let scenario = Arc::new(floodrill::setup::load(&dir.path().join("mini.ron")).unwrap());
    let session = dir.path().join("session");
    let live = LiveSim::start(
        scenario.clone(),
        LiveOptions {
            engine: one_thread(),
            paused: true,
            out: Some(session.clone()),
            ..LiveOptions::default()
        },
    )
    .unwrap();
    let mut replies = Vec::new();
    let first = wait_for(&live, &mut replies, |_| true);
    assert_eq!(first.clock.tick, 0);
    assert!(first.run.paused);
    assert!(
        !first.households.is_empty(),
        "the view carries the households"
    );
    assert!(first.units.iter().any(|u| u.id == "T01"));
    for _ in 0..6 {
        live.send(Control::Step);
    }
    let v = wait_for(&live, &mut replies, |v| v.clock.tick >= 6);
    let at = v.clock.t;
    live.send(Control::Submit(dispatch(at)));
    let mut refused = dispatch(at);
    refused.kind = CommandKind::Order(Order::Recall {
        unit: "NO_SUCH_TEAM".into(),
    });
    live.send(Control::Submit(refused));
    live.send(Control::Speed(f64::INFINITY));
    live.send(Control::Pause(false));
    let end = wait_for(&live, &mut replies, |v| v.clock.finished());
    assert!(
        end.card.is_some(),
        "the live scorecard comes with the views"
    );
    let closed = live.finish().unwrap();
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(replies[0].0, "the dispatch is accepted: {replies:?}");
    assert!(
        !replies[1].0 && replies[1].1.contains("NO_SUCH_TEAM"),
        "a refused order says why: {replies:?}"
    );
    assert!(closed.files.iter().any(|f| f.ends_with("events.jsonl")));

    let events = std::fs::read_to_string(session.join("events.jsonl")).unwrap();
    let line = events
        .lines()
        .find(|l| l.contains("\"trainee\"") && l.contains("T01") && l.contains("Dispatch"))
        .unwrap_or_else(|| panic!("no trainee dispatch in events.jsonl:\n{events}"));
    assert!(line.contains("console"), "{line}");

    let replay = session.join("drill.replay");
    let r = floodrill::replay::read(&replay).unwrap();
    let c = r
        .engine_commands()
        .unwrap()
        .into_iter()
        .find(|c| c.origin == Origin::Trainee)
        .expect("the replay records the trainee's order");
    assert!((c.t - at).abs() < 1e-9);
    floodrill::replay::record::verify(&replay, Some(1)).expect("the session's replay verifies");

    // The same order in a command stream gives the same drill, bit for bit.
    let mut e = Engine::new(scenario, one_thread()).unwrap();
    e.push_commands([dispatch(at)]);
    e.run_until(f64::INFINITY).unwrap();
    let end_digest = r.end.as_ref().map(|e| e.digest.clone()).unwrap();
    assert_eq!(e.digest(), end_digest);
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_review_opens_at_a_moment_and_branches_into_a_replay_naming_its_parent() {
    let dir = common::mini_copy();
    let a = dir.path().join("a");
    let (code, o, e) = common::floodrill(&[
        "run",
        s(&dir.path().join("mini.ron")),
        "--out",
        s(&a),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let parent = a.join("drill.replay");
    let r = floodrill::replay::read(&parent).unwrap();
    let scenario = Arc::new(floodrill::replay::record::scenario_of(&r).unwrap());
    let b = dir.path().join("b");
    let live = LiveSim::start(
        scenario,
        LiveOptions {
            engine: EngineOptions {
                seed: Some(r.header.seed),
                threads: Some(1),
            },
            replay: Some(parent.clone()),
            review_at: Some(1800.0),
            out: Some(b.clone()),
            ..LiveOptions::default()
        },
    )
    .unwrap();
    let mut replies = Vec::new();
    let v = wait_for(&live, &mut replies, |_| true);
    assert!(v.is_view, "a review opens on the recorded view");
    assert!(v.clock.t <= 1800.0 && v.clock.t > 1200.0, "{}", v.clock.t);
    assert!(v.run.reviewing.is_some() && v.run.recording.is_none());
    let t = v.clock.t;
    live.send(Control::Branch);
    let v = wait_for(&live, &mut replies, |v| v.run.recording.is_some());
    assert!(!v.is_view, "a branch starts from the exact state");
    assert!((v.clock.t - t).abs() < 1e-9);
    live.send(Control::Speed(f64::INFINITY));
    live.send(Control::Pause(false));
    wait_for(&live, &mut replies, |v| v.clock.finished());
    live.finish().unwrap();
    assert!(replies.iter().all(|r| r.0), "{replies:?}");
    let child = floodrill::replay::read(&b.join("drill.replay")).unwrap();
    let p = child
        .header
        .parent
        .as_ref()
        .expect("the branch names its parent");
    assert!(
        p.file.ends_with("drill.replay") && (p.at - t).abs() < 1e-9,
        "{p:?}"
    );
    assert_eq!(p.header_hash, r.header_hash());
    floodrill::replay::record::verify(&b.join("drill.replay"), Some(1))
        .expect("the branch verifies");
}

#[test]
fn a_trainer_fires_one_inject_early_and_skips_nothing_else_and_the_replay_agrees() {
    let dir = common::mini_copy();
    let scenario = Arc::new(floodrill::setup::load(&dir.path().join("mini.ron")).unwrap());
    let session = dir.path().join("session");
    let live = LiveSim::start(
        scenario,
        LiveOptions {
            engine: one_thread(),
            paused: true,
            start_at: Some(600.0),
            out: Some(session.clone()),
            ..LiveOptions::default()
        },
    )
    .unwrap();
    let mut replies = Vec::new();
    let v = wait_for(&live, &mut replies, |v| {
        v.run.fast_forward.is_none() && v.clock.t >= 600.0
    });
    assert_eq!(v.clock.t, 600.0, "the fast-forward stops at --start-at");
    assert!(
        v.pending_injects.iter().any(|p| p.id == "pump-fails"),
        "the scenario's inject is still to come: {:?}",
        v.pending_injects
    );
    let event = v.pending_injects[0].event.clone();
    let trainer = |kind: CommandKind, id: &str| Command {
        t: 600.0,
        origin: Origin::Trainer,
        kind,
        source: "console:trainer".into(),
        id: id.into(),
    };
    // Fire now: the scheduled one is skipped, the same event applies now, same id.
    live.send(Control::Submit(trainer(
        CommandKind::Skip("pump-fails".into()),
        "x",
    )));
    live.send(Control::Submit(trainer(
        CommandKind::Inject(event),
        "pump-fails",
    )));
    // A second skip of it is refused: nothing of that id is to come any more.
    live.send(Control::Step);
    let _ = wait_for(&live, &mut replies, |v| v.clock.t > 600.0);
    live.send(Control::Submit(trainer(
        CommandKind::Skip("pump-fails".into()),
        "x",
    )));
    live.send(Control::Speed(f64::INFINITY));
    live.send(Control::Pause(false));
    let end = wait_for(&live, &mut replies, |v| v.clock.finished());
    assert!(end.pending_injects.is_empty());
    live.finish().unwrap();
    assert_eq!(replies.len(), 3, "{replies:?}");
    assert!(replies[0].0 && replies[1].0, "{replies:?}");
    assert!(
        !replies[2].0 && replies[2].1.contains("pump-fails"),
        "a skip of an inject no longer to come is refused: {replies:?}"
    );
    let events = std::fs::read_to_string(session.join("events.jsonl")).unwrap();
    let applied: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("\"kind\":\"inject\"") && l.contains("pump-fails"))
        .collect();
    assert_eq!(
        applied.len(),
        1,
        "the inject applies once, early: {applied:?}"
    );
    assert!(applied[0].contains("\"t\":600.0") && applied[0].contains("\"trainer\""));
    assert!(events.contains("inject_skipped"));
    floodrill::replay::record::verify(&session.join("drill.replay"), Some(1))
        .expect("the replay with a skip verifies");
}

#[test]
fn a_command_stream_skips_a_scenario_inject_and_a_bad_skip_names_the_line() {
    let s = floodrill::setup::load(&common::mini_dir().join("mini.ron")).expect("mini loads");
    let cmds = floodrill::exercise::commands::parse_command_stream(
        "orders.txt",
        "# the trainer calls the pump failure off\n10m skip pump-fails\n",
        &s,
    )
    .expect("a skip of a scenario inject still to come checks");
    assert!(matches!(&cmds[0].kind, CommandKind::Skip(id) if id == "pump-fails"));
    assert_eq!(cmds[0].origin, Origin::Trainer);
    let mut e = Engine::new(Arc::new(s.clone()), one_thread()).unwrap();
    e.push_commands(cmds);
    e.run_until(1800.0).unwrap();
    let log =
        serde_json::to_string(&e.world().resource::<floodrill::engine::exercise::Log>().0).unwrap();
    assert!(log.contains("inject_skipped"), "the skip is logged");
    assert!(
        !log.contains("\"kind\":\"inject\""),
        "the skipped inject does not apply"
    );

    for (text, want) in [
        (
            "10m skip no-such\n",
            "orders.txt:1:10: no inject \"no-such\"",
        ),
        (
            "30m skip pump-fails\n",
            "orders.txt:1:10: inject \"pump-fails\" happens at 20m",
        ),
        (
            "10m skip\n",
            "orders.txt:1:9: expected the id of a scenario inject",
        ),
    ] {
        let err = floodrill::exercise::commands::parse_command_stream("orders.txt", text, &s)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text:?}: {err}");
    }
}
