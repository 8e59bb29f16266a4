//! Seek, branch and compare: a replay opens at any moment from its nearest full state
//! and matches a straight run there; a branch with an earlier dispatch continues from
//! a moment of its parent into a new, self-contained replay naming its parent; and
//! `floodrill compare` shows the changed scorecard and where the two runs part.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use floodrill::engine::{Engine, EngineOptions};
use floodrill::replay::check;

/// The mini drill without the plan's robot dispatch: the pump station failure at 20 min
/// goes uncompensated, and 处置到位 fails.
fn no_robot_mini() -> (tempfile::TempDir, PathBuf) {
    let dir = common::mini_copy();
    let text = common::mini_with(
        "then: [Warn(zones: [\"Z02\"], channel: \"sms\"), Dispatch(unit: \"R01\", to: Place(\"H01\"))]",
        "then: [Warn(zones: [\"Z02\"], channel: \"sms\")]",
    );
    let scen = dir.path().join("mini.ron");
    std::fs::write(&scen, text).unwrap();
    (dir, scen)
}

fn run(args: &[&str]) -> (i32, String, String) {
    common::floodrill(args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_branch_with_an_earlier_dispatch_changes_the_scorecard_and_compare_names_the_divergence() {
    let (dir, scen) = no_robot_mini();
    let a = dir.path().join("a");
    let (code, o, e) = run(&["run", s(&scen), "--out", s(&a), "--quiet"]);
    assert_eq!(code, 0, "{o}{e}");
    let parent = a.join("drill.replay");
    let alt = dir.path().join("alt.txt");
    std::fs::write(&alt, "10m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n").unwrap();
    let b = dir.path().join("b");
    let (code, o, e) = run(&[
        "run",
        "--from",
        s(&parent),
        "--at",
        "10m",
        "--orders",
        s(&alt),
        "--out",
        s(&b),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let child = b.join("drill.replay");
    let r = floodrill::replay::read(&child).unwrap();
    let p = r
        .header
        .parent
        .as_ref()
        .expect("the branch names its parent");
    assert_eq!(p.at, 600.0);
    assert!(p.file.ends_with("drill.replay"), "{}", p.file);
    assert_eq!(
        p.header_hash,
        floodrill::replay::read(&parent).unwrap().header_hash()
    );
    assert!(p.orders.as_deref().unwrap().ends_with("alt.txt"));
    // Its summary and report say whose branch it is.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["parent"]["at"], 600.0);
    let report = std::fs::read_to_string(b.join("report.html")).unwrap();
    assert!(report.contains("分支 branch") && report.contains("0:10:00"));
    // The branch re-simulates from the start on its own.
    let (code, o, e) = run(&["replay", s(&child), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    // Compare.
    let cmp = dir.path().join("cmp");
    let (code, o, e) = run(&["compare", s(&parent), s(&child), "--out", s(&cmp)]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("B branches from A at 0:10:00"), "{o}");
    assert!(
        o.contains("identical up to 0:10:00, different at the snapshot at 0:20:00"),
        "{o}"
    );
    assert!(o.contains("first different input at 0:10:00"), "{o}");
    assert!(o.contains("Dispatch(unit:\"R01\""), "{o}");
    assert!(o.contains("处置到位"), "{o}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cmp.join("compare.json")).unwrap()).unwrap();
    let score = |card: &str, id: &str| {
        j[card]["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    assert!(
        score("scorecard_a", "response") < 80.0 && score("scorecard_b", "response") >= 80.0,
        "{}",
        j["scorecard_a"]["criteria"]
    );
    assert_eq!(j["divergence"]["same_until"], 600.0);
    assert_eq!(j["divergence"]["differ_at"], 1200.0);
    let tick = j["divergence"]["first_tick"][1].as_f64().unwrap();
    assert!(tick > 600.0 && tick < 1200.0, "{tick}");
    let html = std::fs::read_to_string(cmp.join("compare.html")).unwrap();
    assert!(html.contains("处置到位") && html.contains("data:image/png;base64,"));
    for png in ["diff_max_depth.png", "diff_households.png"] {
        let b = std::fs::read(cmp.join(png)).unwrap();
        assert_eq!(&b[1..4], b"PNG", "{png}");
    }
    // A run compared with itself does not diverge.
    let (code, o, e) = run(&["compare", s(&parent), s(&parent), "--out", s(&cmp)]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("do not diverge"), "{o}");
}

const ORDERS: &str = "4m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
                      25m inject CommOutage(zones: [\"Z01\"], duration: \"10m\")\n";

/// The digest of a straight run to `t` with the orders read from `orders` (the path
/// the recorded run was given: the log names where each order came from).
fn straight_digest(t: f64, orders: &str) -> String {
    let sc = floodrill::setup::load(&common::mini_dir().join("mini.ron")).unwrap();
    let cmds = floodrill::exercise::commands::parse_command_stream(orders, ORDERS, &sc).unwrap();
    let mut e = Engine::new(Arc::new(sc), EngineOptions::default()).expect("the engine sets up");
    e.push_commands(cmds);
    e.run_until(t).unwrap();
    e.digest()
}

#[test]
fn seeking_restores_the_nearest_state_and_matches_a_straight_run() {
    let (d, out, code, o, e) = common::run_mini_with_orders(ORDERS, &["--quiet"]);
    assert_eq!(code, 0, "{o}{e}");
    let file = out.join("drill.replay");
    // Keyframes (exact states) at the start and the end (every 2 h by default), views
    // every 10 min between: an exact seek starts from a keyframe.
    for (t, from) in [(1500.0, 0.0), (2400.0, 0.0), (3600.0, 3600.0), (100.0, 0.0)] {
        let (engine, _, sk) = floodrill::replay::open_at(&file, t, Some(1)).unwrap();
        assert_eq!(engine.clock().t, t);
        assert_eq!(sk.from_state, Some(from), "seek to {t}");
        let orders = d.path().join("orders.txt");
        assert_eq!(
            engine.digest(),
            straight_digest(t, orders.to_str().unwrap()),
            "seek to {t}"
        );
    }
    // A closed file opens with its index of states.
    let (_, r, _) = floodrill::replay::open_at(&file, 1500.0, Some(1)).unwrap();
    // Every record of it is checked (as `replay FILE` does), and the index with them.
    assert!(
        r.snapshots.len() == 7 && r.states.len() == 7,
        "{:?}",
        r.states
    );
    // Damaged copies never panic the indexed reader or the state decoder.
    let bytes = std::fs::read(&file).unwrap();
    let mut rng =
        <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(3);
    let damaged = d.path().join("damaged.replay");
    for _ in 0..60 {
        use rand::RngExt;
        let mut b = bytes.clone();
        let i = rng.random_range(0..b.len());
        match rng.random_range(0..3u8) {
            0 => b.truncate(i),
            1 => b[i] = rng.random::<u8>(),
            _ => b.insert(i, b'\n'),
        }
        std::fs::write(&damaged, &b).unwrap();
        if let Ok(Some(r)) = floodrill::replay::read_indexed(&damaged) {
            for k in 0..r.states.len() {
                let _ = r.load_state(k);
            }
        }
    }
    let (code, o, e) = run(&["replay", s(&file), "--at", "25m", "--exact"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("at 0:25:00"), "{o}");
    assert!(o.contains("restored the state at 0:00:00"), "{o}");
    assert!(o.contains("re-simulated 0:25:00"), "{o}");
    assert!(o.contains("units"), "{o}");
    // Without --exact: the view recorded at 0:20:00, nothing re-simulated.
    let (code, o, e) = run(&["replay", s(&file), "--at", "25m"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("at 0:20:00"), "{o}");
    assert!(o.contains("restored the view at 0:20:00"), "{o}");
    assert!(o.contains("units"), "{o}");
    // Past the end: the end is shown, with a note.
    let (code, o, e) = run(&["replay", s(&file), "--at", "5h"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("the replay ends at 1:00:00"), "{o}");
    // Without its full states (as a version-1 file), a seek re-simulates from the start.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("state "))
        .map(String::from)
        .collect();
    let json = lines[0].splitn(3, ' ').nth(2).unwrap().replace(
        &format!("\"version\":{}", floodrill::replay::FORMAT_VERSION),
        "\"version\":1",
    );
    lines[0] = format!("header {} {json}", check("header", &json));
    // The end record's index of states goes too.
    let last = lines.len() - 1;
    let end_json = lines[last].splitn(3, ' ').nth(2).unwrap();
    let mut end: serde_json::Value = serde_json::from_str(end_json).unwrap();
    end.as_object_mut().unwrap().remove("states");
    end.as_object_mut().unwrap().remove("state_ranges");
    // Its index of snapshots names their lines in the file without states.
    let snaps: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("snapshot "))
        .map(|(k, l)| {
            let v: serde_json::Value =
                serde_json::from_str(l.splitn(3, ' ').nth(2).unwrap()).unwrap();
            serde_json::json!([v["t"], k + 1])
        })
        .collect();
    end["snapshots"] = snaps.into();
    let end_json = end.to_string();
    lines[last] = format!("end {} {end_json}", check("end", &end_json));
    let v1 = d.path().join("v1.replay");
    std::fs::write(&v1, lines.join("\n") + "\n").unwrap();
    let (engine, _, sk) = floodrill::replay::open_at(&v1, 1500.0, Some(2)).unwrap();
    assert_eq!(sk.from_state, None);
    let orders = d.path().join("orders.txt");
    assert_eq!(
        engine.digest(),
        straight_digest(1500.0, orders.to_str().unwrap())
    );
    // A keyframe altered and resealed (the last: the exact state at the end, patched
    // against the one at the start): the restore refuses it, naming its line.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let k = lines.iter().rposition(|l| l.starts_with("state ")).unwrap();
    let mut rec: serde_json::Value =
        serde_json::from_str(lines[k].splitn(3, ' ').nth(2).unwrap()).unwrap();
    let data = rec["data"].as_str().unwrap().to_string();
    let mid = data.len() / 2;
    let flipped = format!(
        "{}{}{}",
        &data[..mid],
        if &data[mid..mid + 1] == "A" { "B" } else { "A" },
        &data[mid + 1..]
    );
    rec["data"] = flipped.into();
    let json = rec.to_string();
    lines[k] = format!("state {} {json}", check("state", &json));
    let bad = d.path().join("bad.replay");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let t = rec["t"].as_f64().unwrap();
    match floodrill::replay::open_at(&bad, t, Some(1)) {
        Ok(_) => panic!("a damaged state was restored"),
        Err(e) => {
            let e = e.to_string();
            assert!(e.contains(&format!("{}", k + 1)), "{e}");
        }
    }
}

#[test]
fn branch_mistakes_are_clear_errors() {
    let (d, out, code, o, e) = common::run_mini_with_orders(ORDERS, &["--quiet"]);
    assert_eq!(code, 0, "{o}{e}");
    let file = out.join("drill.replay");
    let alt = d.path().join("alt.txt");
    std::fs::write(
        &alt,
        "# earlier\n5m Dispatch(unit: \"T01\", to: Place(\"H01\"))\n",
    )
    .unwrap();
    let b = d.path().join("b");
    let (code, _, e) = run(&[
        "run",
        "--from",
        s(&file),
        "--at",
        "10m",
        "--orders",
        s(&alt),
        "--out",
        s(&b),
    ]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("alt.txt:2"), "{e}");
    assert!(e.contains("before the branch at 0:10:00"), "{e}");
    let (code, _, e) = run(&["run", "--from", s(&file), "--at", "3h", "--out", s(&b)]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("ends at 1:00:00"), "{e}");
    let (code, _, e) = run(&[
        "run",
        "--from",
        s(&d.path().join("nope.replay")),
        "--at",
        "3h",
    ]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("nope.replay"), "{e}");
    let (code, _, _) = run(&["run", "--at", "10m"]);
    assert_eq!(code, 2);
}
