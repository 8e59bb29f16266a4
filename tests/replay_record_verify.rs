//! Replay files: every run writes one; `floodrill replay FILE --verify` re-simulates it
//! and checks every snapshot digest; an altered snapshot is named; a file cut short by a
//! crash (or a SIGKILL mid-run) opens up to its last snapshot; damaged, truncated or
//! foreign bytes never panic the reader.

mod common;

use std::time::{Duration, Instant};

use floodrill::replay::check;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

fn replay_of_mini_with_orders() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, out, code, o, e) = common::run_mini_with_orders(
        "4m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n\
         25m inject CommOutage(zones: [\"Z01\"], duration: \"10m\")\n",
        &["--quiet"],
    );
    assert_eq!(code, 0, "{o}{e}");
    (dir, out.join("drill.replay"))
}

/// Change one hex digit of the digest in the `n`-th snapshot line; with `reseal` the
/// line's checksum is recomputed (a consistent file with a wrong state).
fn alter_snapshot(path: &std::path::Path, n: usize, reseal: bool) -> (usize, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let (k, line) = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("snapshot "))
        .nth(n)
        .map(|(k, l)| (k, l.clone()))
        .unwrap();
    let json = line.splitn(3, ' ').nth(2).unwrap().to_string();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let at = floodrill::scenario::format_clock(v["t"].as_f64().unwrap());
    let i = json.find("\"digest\":\"").unwrap() + 10;
    let mut bytes = json.into_bytes();
    bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
    let json = String::from_utf8(bytes).unwrap();
    let sum = if reseal {
        check("snapshot", &json)
    } else {
        line.split(' ').nth(1).unwrap().to_string()
    };
    lines[k] = format!("snapshot {sum} {json}");
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    (k + 1, at)
}

#[test]
fn a_run_writes_a_replay_that_verifies() {
    let (_d, file) = replay_of_mini_with_orders();
    let (code, o, e) = common::floodrill(&["replay", file.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("complete: completed to 1:00:00"), "{o}");
    assert!(o.contains("2 recorded commands"), "{o}");
    assert!(
        o.contains("verified: 7 snapshot digests and the final one"),
        "{o}"
    );
}

#[test]
fn one_flipped_byte_in_a_snapshot_fails_verification_naming_it() {
    // The checksum catches the flip and names the snapshot.
    let (_d, file) = replay_of_mini_with_orders();
    let (line, at) = alter_snapshot(&file, 2, false);
    let (code, o, e) = common::floodrill(&["replay", file.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 2, "{o}{e}");
    assert!(e.contains(&format!(":{line}: the snapshot at {at}")), "{e}");
    assert!(e.contains("does not match its checksum"), "{e}");
    // Resealed (checksum recomputed), the re-simulation finds the difference there.
    let (_d2, file2) = replay_of_mini_with_orders();
    let (line, at) = alter_snapshot(&file2, 3, true);
    let (code, o, e) = common::floodrill(&["replay", file2.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 1, "{o}{e}");
    assert!(
        e.contains(&format!(
            "first divergent snapshot: the snapshot at {at} (line {line}"
        )),
        "{e}"
    );
}

#[test]
fn truncated_and_foreign_files_are_clear_errors_or_open_to_the_last_snapshot() {
    let (d, file) = replay_of_mini_with_orders();
    let bytes = std::fs::read(&file).unwrap();
    // Cut in the middle of the fifth line: opens, incomplete, verifies what it has.
    let cut = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(3)
        .unwrap()
        .0
        + 20;
    let short = d.path().join("short.replay");
    std::fs::write(&short, &bytes[..cut]).unwrap();
    let (code, o, e) = common::floodrill(&["replay", short.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("incomplete"), "{o}");
    assert!(o.contains("verified:"), "{o}");
    // Not a replay at all.
    let junk = d.path().join("junk.replay");
    std::fs::write(&junk, "hello world\n").unwrap();
    let (code, _, e) = common::floodrill(&["replay", junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(e.contains("junk.replay:1:"), "{e}");
    // A newer format version.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let first = text.lines().next().unwrap();
    let json = first.splitn(3, ' ').nth(2).unwrap().replace(
        &format!("\"version\":{}", floodrill::replay::FORMAT_VERSION),
        "\"version\":9",
    );
    let v9 = d.path().join("v9.replay");
    std::fs::write(&v9, format!("header {} {json}\n", check("header", &json))).unwrap();
    let (code, _, e) = common::floodrill(&["replay", v9.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(e.contains("replay format version 9"), "{e}");
    // Version 4 (development builds whose digests hashed setup) is refused, saying why.
    let json4 = first.splitn(3, ' ').nth(2).unwrap().replace(
        &format!("\"version\":{}", floodrill::replay::FORMAT_VERSION),
        "\"version\":4",
    );
    let v4 = d.path().join("v4.replay");
    std::fs::write(&v4, format!("header {} {json4}\n", check("header", &json4))).unwrap();
    let (code, _, e) = common::floodrill(&["replay", v4.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 2);
    assert!(
        e.contains("v4.replay:1:")
            && e.contains("version 4")
            && e.contains("run the scenario again"),
        "{e}"
    );
    // Random damage never panics the reader.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..400 {
        let mut b = bytes.clone();
        match rng.random_range(0..3u8) {
            0 => b.truncate(rng.random_range(0..bytes.len())),
            1 => {
                let i = rng.random_range(0..b.len());
                b[i] = rng.random::<u8>();
            }
            _ => {
                let i = rng.random_range(0..b.len());
                b.insert(i, b'\n');
            }
        }
        let _ = floodrill::replay::parse("damaged.replay", &b);
    }
}

#[test]
fn a_run_killed_mid_way_leaves_a_replay_that_opens_to_its_last_snapshot() {
    let dir = common::mini_copy();
    let scen = dir.path().join("mini.ron");
    std::fs::write(
        &scen,
        common::mini_with("duration: \"1h\"", "duration: \"48h\""),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_floodrill"))
        .args([
            "run",
            scen.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // A run writes into DIR/partial-<run id>/ (named by DIR/RUNNING) until it ends.
    let started = Instant::now();
    let mut file = out.join("drill.replay");
    loop {
        if let Some(p) = std::fs::read_to_string(out.join("RUNNING"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|m| m["partial"].as_str().map(String::from))
        {
            file = out.join(p).join("drill.replay");
        }
        let n = std::fs::read_to_string(&file)
            .map(|t| t.lines().filter(|l| l.starts_with("snapshot ")).count())
            .unwrap_or(0);
        if n >= 4 || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (code, o, e) = common::floodrill(&["replay", file.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("incomplete"), "{o}");
    assert!(o.contains("verified:"), "{o}");
}
