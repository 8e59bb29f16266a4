//! Replays (issue 11, item 5): every command that reads a replay checks it the same way
//! and refuses a damaged one naming the line, with exit 2; a replay whose scenario or
//! district files are missing, changed or do not load exits 2 naming the replay; a
//! replay opens after its project folder moves; `compare` says when two runs cover
//! different spans; two identical runs write identical bytes.

mod common;

use std::path::{Path, PathBuf};

use floodrill::replay::check;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Run the mini scenario at `scen` into `out` with extra arguments; must succeed.
fn run_into(scen: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["run", s(scen), "--out", s(out), "--quiet"];
    args.extend_from_slice(extra);
    let (code, o, e) = common::floodrill(&args);
    assert_eq!(code, 0, "{o}{e}");
}

/// A replay of the mini drill with two recorded commands.
fn replay_with_commands() -> (tempfile::TempDir, PathBuf) {
    let (dir, out, code, o, e) = common::run_mini_with_orders(
        "4m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
         25m inject CommOutage(zones: [\"Z01\"], duration: \"10m\")\n",
        &["--quiet"],
    );
    assert_eq!(code, 0, "{o}{e}");
    (dir, out.join("drill.replay"))
}

fn lines_of(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(p: &Path, lines: &[String]) {
    std::fs::write(p, lines.join("\n") + "\n").unwrap();
}

/// Rebuild the `end` record's index (snapshots, states, byte ranges) for lines that
/// were edited on purpose, and reseal it.
fn reindex(lines: &mut [String]) {
    let (mut snaps, mut states, mut ranges) = (Vec::new(), Vec::new(), Vec::new());
    let mut offset = 0u64;
    for (k, l) in lines.iter().enumerate() {
        let len = l.len() as u64;
        if l.starts_with("snapshot ") {
            snaps.push(serde_json::json!([json_of(l)["t"], k + 1]));
        } else if l.starts_with("state ") {
            states.push(serde_json::json!([json_of(l)["t"], k + 1]));
            ranges.push(serde_json::json!([offset, offset + len]));
        }
        offset += len + 1;
    }
    let last = lines.len() - 1;
    let mut end = json_of(&lines[last]);
    end["snapshots"] = snaps.into();
    end["states"] = states.into();
    end["state_ranges"] = ranges.into();
    lines[last] = sealed("end", &end);
}

/// The JSON of a record line.
fn json_of(line: &str) -> serde_json::Value {
    serde_json::from_str(line.splitn(3, ' ').nth(2).unwrap()).unwrap()
}

/// A record line with a fresh checksum.
fn sealed(kind: &str, v: &serde_json::Value) -> String {
    let json = v.to_string();
    format!("{kind} {} {json}", check(kind, &json))
}

/// Every command that reads a replay, on `file` (a branch writes into `scratch`).
fn every_reader(file: &Path, scratch: &Path) -> Vec<(String, i32, String)> {
    let out = scratch.join("branch-out");
    let cmp = scratch.join("cmp-out");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("replay", vec!["replay", s(file)]),
        ("replay --verify", vec!["replay", s(file), "--verify"]),
        ("replay --at", vec!["replay", s(file), "--at", "25m"]),
        (
            "run --from",
            vec![
                "run",
                "--from",
                s(file),
                "--at",
                "10m",
                "--out",
                s(&out),
                "--quiet",
            ],
        ),
        (
            "compare",
            vec!["compare", s(file), s(file), "--out", s(&cmp)],
        ),
        (
            "bench seek",
            vec!["bench", "seek", s(file), "--repeat", "1"],
        ),
    ];
    cases
        .into_iter()
        .map(|(name, args)| {
            let (code, o, e) = common::floodrill(&args);
            (name.to_string(), code, format!("{o}{e}"))
        })
        .collect()
}

/// Every reader refuses `file` with exit 2 and a message containing `needle`.
fn all_refuse(file: &Path, scratch: &Path, needle: &str) {
    for (name, code, out) in every_reader(file, scratch) {
        assert_eq!(code, 2, "{name} on {}: {out}", file.display());
        assert!(
            out.contains(needle),
            "{name}: expected {needle:?} in: {out}"
        );
        assert!(!out.contains("panicked"), "{name}: {out}");
    }
}

#[test]
fn compare_of_a_full_drill_with_one_cut_short_says_the_spans_differ_and_scores_each_at_its_end() {
    let dir = common::mini_copy();
    let scen = dir.path().join("mini.ron");
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    run_into(&scen, &full, &[]);
    run_into(&scen, &cut, &["--until", "30m"]);
    // A run killed mid-way: its file has no end record (cut after the snapshot at 20 min).
    let killed = dir.path().join("killed.replay");
    let lines = lines_of(&full.join("drill.replay"));
    let k = lines
        .iter()
        .position(|l| l.starts_with("snapshot ") && json_of(l)["t"] == 1200.0)
        .unwrap();
    write_lines(&killed, &lines[..=k]);
    let cmp = dir.path().join("cmp");
    for (b, end, t, status) in [
        (
            cut.join("drill.replay"),
            "0:30:00",
            1800.0,
            "completed, 0:30:00 of 1:00:00",
        ),
        (
            killed.clone(),
            "0:20:00",
            1200.0,
            "cut short, 0:20:00 of 1:00:00",
        ),
    ] {
        let (code, o, e) = common::floodrill(&[
            "compare",
            s(&full.join("drill.replay")),
            s(&b),
            "--out",
            s(&cmp),
        ]);
        assert_eq!(code, 0, "{o}{e}");
        assert!(o.contains("the runs cover different spans"), "{o}");
        assert!(
            o.contains("A ends at 1:00:00 (completed, the whole drill)"),
            "{o}"
        );
        assert!(o.contains(&format!("B ends at {end} ({status})")), "{o}");
        assert!(o.contains("each is scored at its own end"), "{o}");
        // No claim beyond the shorter span.
        assert!(
            o.contains(&format!(
                "do not diverge at any shared snapshot up to {end} (nothing is known of the longer run's rest)"
            )),
            "{o}"
        );
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(cmp.join("compare.json")).unwrap())
                .unwrap();
        assert_eq!(j["span_a"]["end_t"], 3600.0);
        assert_eq!(j["span_b"]["end_t"], t);
        // B is scored at its own end: its scorecard is that of a straight run stopped there.
        let sc = floodrill::setup::load(&scen).unwrap();
        let mut eng = floodrill::engine::Engine::new(
            std::sync::Arc::new(sc),
            floodrill::engine::EngineOptions::default(),
        )
        .expect("the engine sets up");
        eng.run_until(t).unwrap();
        let card = floodrill::engine::scoring::scorecard(eng.world());
        assert_eq!(
            j["scorecard_b"]["overall"], card.overall,
            "{}",
            j["scorecard_b"]
        );
    }
    // The same span: no note, and "do not diverge" up to the common end.
    let (code, o, e) = common::floodrill(&[
        "compare",
        s(&full.join("drill.replay")),
        s(&full.join("drill.replay")),
        "--out",
        s(&cmp),
    ]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(!o.contains("different spans"), "{o}");
    assert!(
        o.contains("do not diverge at any shared snapshot up to 1:00:00"),
        "{o}"
    );
}

#[test]
fn seek_and_branch_refuse_the_damaged_records_that_replay_and_verify_refuse() {
    let (d, file) = replay_with_commands();
    let lines = lines_of(&file);
    let damaged = d.path().join("damaged.replay");
    // One flipped byte in each kind of record: a command, a snapshot, a full state
    // that `--at 25m` does not load (the last), and the end record.
    let pick = |kind: &str, last: bool| {
        let mut it = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with(&format!("{kind} ")));
        let found = if last { it.next_back() } else { it.nth(1) };
        found
            .or_else(|| {
                lines
                    .iter()
                    .enumerate()
                    .find(|(_, l)| l.starts_with(&format!("{kind} ")))
            })
            .map(|(k, _)| k)
            .unwrap()
    };
    for (kind, last) in [
        ("command", false),
        ("snapshot", false),
        ("state", true),
        ("end", true),
    ] {
        let k = pick(kind, last);
        let mut l = lines.clone();
        let i = l[k].find("\"t\":").unwrap() + 4;
        let mut b = l[k].clone().into_bytes();
        b[i] = if b[i] == b'9' { b'8' } else { b'9' };
        l[k] = String::from_utf8(b).unwrap();
        write_lines(&damaged, &l);
        all_refuse(&damaged, d.path(), &format!("damaged.replay:{}: ", k + 1));
        all_refuse(&damaged, d.path(), "does not match its checksum");
    }
    // A resealed command that no longer reads as an order: named, exit 2, everywhere.
    let k = pick("command", false);
    let mut l = lines.clone();
    let mut v = json_of(&l[k]);
    v["what"] = "Dispatch(unit: ".into();
    l[k] = sealed("command", &v);
    write_lines(&damaged, &l);
    all_refuse(&damaged, d.path(), &format!("damaged.replay:{}: ", k + 1));
    // A state record removed (each remaining line checks out): the end record's index
    // no longer describes the file.
    let k = pick("state", true);
    let mut l = lines.clone();
    l.remove(k);
    write_lines(&damaged, &l);
    all_refuse(&damaged, d.path(), "index");
    // A view removed: the view after it is patched against a record no longer there,
    // named on its line.
    let views: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("state ") && l.contains("\"view\":true"))
        .map(|(k, _)| k)
        .collect();
    assert!(views.len() >= 2, "{} views", views.len());
    let mut l = lines.clone();
    l.remove(views[0]);
    write_lines(&damaged, &l);
    all_refuse(
        &damaged,
        d.path(),
        &format!("damaged.replay:{}: the view at", views[1]),
    );
    all_refuse(&damaged, d.path(), "is patched against a record at");
}

#[test]
fn bad_replays_exit_2_naming_the_replay_and_the_problem() {
    let (d, file) = replay_with_commands();
    let lines = lines_of(&file);
    let bad = d.path().join("bad.replay");
    // Foreign, empty, a header cut short, binary junk.
    for bytes in [
        b"hello world\n".to_vec(),
        Vec::new(),
        lines[0].as_bytes()[..40].to_vec(),
        vec![0xff, 0xfe, 0x00, 0x01, b'\n', 0x80],
    ] {
        std::fs::write(&bad, &bytes).unwrap();
        all_refuse(&bad, d.path(), "bad.replay:1: ");
    }
    // The embedded scenario does not load (a consistent file: hash and checksum
    // recomputed): exit 2 naming the replay and the scenario's problem.
    let mut h = json_of(&lines[0]);
    let text = h["scenario_text"]
        .as_str()
        .unwrap()
        .replace("dem: \"dem.asc\"", "dem: \"nowhere.asc\"");
    h["scenario_hash"] = blake3::hash(text.as_bytes()).to_hex().to_string().into();
    h["scenario_text"] = text.into();
    let mut l = lines.clone();
    l[0] = sealed("header", &h);
    reindex(&mut l);
    write_lines(&bad, &l);
    for (name, code, out) in every_reader(&bad, d.path()) {
        if name == "replay" {
            // Only reads the file; the scenario is not set up.
            continue;
        }
        assert_eq!(code, 2, "{name}: {out}");
        assert!(
            out.contains("bad.replay: the scenario it embeds"),
            "{name}: {out}"
        );
        assert!(out.contains("nowhere.asc"), "{name}: {out}");
    }
    // A district file changed since the run: named, exit 2.
    let dem = d.path().join("dem.asc");
    let mut t = std::fs::read_to_string(&dem).unwrap();
    t.push('\n');
    std::fs::write(&dem, t).unwrap();
    for (name, code, out) in every_reader(&file, d.path()) {
        if name == "replay" {
            continue;
        }
        assert_eq!(code, 2, "{name}: {out}");
        assert!(
            out.contains("drill.replay: the district files"),
            "{name}: {out}"
        );
        assert!(
            out.contains("dem.asc has changed since the run"),
            "{name}: {out}"
        );
    }
}

#[test]
fn a_replay_opens_after_its_project_folder_moves() {
    let top = tempfile::tempdir().unwrap();
    let project = top.path().join("project");
    std::fs::create_dir(&project).unwrap();
    for e in std::fs::read_dir(common::mini_dir()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), project.join(e.file_name())).unwrap();
    }
    run_into(&project.join("mini.ron"), &project.join("out"), &[]);
    let moved = top.path().join("elsewhere").join("moved");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&project, &moved).unwrap();
    let file = moved.join("out/drill.replay");
    let (code, o, e) = common::floodrill(&["replay", s(&file), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(
        o.contains("verified: 7 snapshot digests and the final one"),
        "{o}"
    );
    // Looking: the view recorded at or before the moment; exactly: re-simulated to it.
    let (code, o, e) = common::floodrill(&["replay", s(&file), "--at", "25m"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(
        o.contains("at 0:20:00") && o.contains("showing the view recorded at 0:20:00"),
        "{o}"
    );
    let (code, o, e) = common::floodrill(&["replay", s(&file), "--at", "25m", "--exact"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("at 0:25:00"), "{o}");
    let b = moved.join("b");
    let (code, o, e) = common::floodrill(&[
        "run",
        "--from",
        s(&file),
        "--at",
        "10m",
        "--out",
        s(&b),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    // The scenario file itself may go: the replay embeds it.
    std::fs::remove_file(moved.join("mini.ron")).unwrap();
    let (code, o, e) = common::floodrill(&["replay", s(&file), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    // A district file missing: named, exit 2.
    std::fs::remove_file(moved.join("roads.geojson")).unwrap();
    let (code, o, e) = common::floodrill(&["replay", s(&file), "--at", "25m"]);
    assert_eq!(code, 2, "{o}{e}");
    assert!(e.contains("roads.geojson is missing"), "{e}");
}

#[test]
fn a_version_2_replay_is_still_read_and_verified() {
    let (d, file) = replay_with_commands();
    let mut l = lines_of(&file);
    let mut h = json_of(&l[0]);
    let o = h.as_object_mut().unwrap();
    o.insert("version".into(), 2.into());
    o.remove("files");
    o.remove("scenario_rel");
    l[0] = sealed("header", &h);
    reindex(&mut l);
    let v2 = d.path().join("out/v2.replay");
    write_lines(&v2, &l);
    let (code, o, e) = common::floodrill(&["replay", s(&v2), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    let (code, o, e) = common::floodrill(&["replay", s(&v2), "--at", "25m"]);
    assert_eq!(code, 0, "{o}{e}");
}

#[test]
fn identical_runs_write_identical_replay_bytes() {
    let dir = common::mini_copy();
    let scen = dir.path().join("mini.ron");
    let (a, b) = (dir.path().join("one"), dir.path().join("two"));
    run_into(&scen, &a, &[]);
    run_into(&scen, &b, &[]);
    let (x, y) = (
        std::fs::read(a.join("drill.replay")).unwrap(),
        std::fs::read(b.join("drill.replay")).unwrap(),
    );
    if x != y {
        let (lx, ly) = (String::from_utf8_lossy(&x), String::from_utf8_lossy(&y));
        let k = lx.lines().zip(ly.lines()).position(|(p, q)| p != q);
        panic!("the two replays differ, first at line {k:?}");
    }
    // Not grown by the fix: the mini replay was 169,499 bytes with the scratch
    // arrays in every state, before the header listed the district files. Since then
    // each state also carries the boundary volumes per tick (for boundaries.csv),
    // about 12 kB over the mini drill; the scratch arrays would add far more.
    assert!(x.len() < 185_000, "{} bytes", x.len());
}

#[test]
fn a_resealed_end_record_with_an_impossible_time_is_refused_not_a_panic() {
    // Found by floodrill-fuzz (seed 2026, case 733): `--at` clamped to the end's time
    // and panicked on -1e308.
    let (dir, file) = replay_with_commands();
    for bad in [-1e308, f64::MAX, -5.0] {
        let mut lines = lines_of(&file);
        let last = lines.len() - 1;
        let mut end = json_of(&lines[last]);
        end["t"] = bad.into();
        lines[last] = sealed("end", &end);
        let edited = dir.path().join("impossible-time.replay");
        write_lines(&edited, &lines);
        all_refuse(&edited, dir.path(), "has the time");
    }
}
