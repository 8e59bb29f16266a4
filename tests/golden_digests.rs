//! Golden digests: the final state digests of the mini drill and of each shipped demo
//! at a fixed time are pinned in `tests/golden/digests.txt`, by both schemes: `parts`
//! (water, households, forces, sensors, clock — the digest of replay formats 1–3) and
//! `saved` (every saved part of the state, the log and score tracker included). A change that alters results on
//! purpose refreshes them with
//!
//! ```sh
//! FLOODRILL_BLESS=1 cargo test --test golden_digests
//! ```
//!
//! and says in its commit why the results changed.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use floodrill::engine::{DigestScheme, Engine, EngineOptions};

/// The pinned cases: a name, the scenario (from the repository root) and how long to run.
const CASES: &[(&str, &str, &str)] = &[
    ("mini", "tests/data/mini/mini.ron", "1h"),
    ("demo_rainstorm", "scenarios/demo_rainstorm.ron", "20m"),
    (
        "demo_late_warning",
        "scenarios/demo_late_warning.ron",
        "20m",
    ),
    (
        "demo_levee_breach",
        "scenarios/demo_levee_breach.ron",
        "20m",
    ),
    (
        "demo_wrong_evacuation",
        "scenarios/demo_wrong_evacuation.ron",
        "20m",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden_file() -> PathBuf {
    root().join("tests/golden/digests.txt")
}

fn digests_of(scenario: &Path, until: &str) -> [(&'static str, String); 2] {
    let s = floodrill::setup::load(scenario)
        .unwrap_or_else(|e| panic!("{} validates: {e}", scenario.display()));
    let until = floodrill::scenario::parse_duration(until).expect("a duration");
    let mut e = Engine::new(Arc::new(s), EngineOptions::default()).expect("the engine sets up");
    e.run_until(until).expect("the drill runs");
    [
        ("parts", e.digest_by(DigestScheme::Parts)),
        ("saved", e.digest()),
    ]
}

/// `name digest` lines, in file order.
fn pinned() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(golden_file()).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.to_string()))
        })
        .collect()
}

#[test]
fn final_digests_match_the_pinned_ones() {
    let bless = std::env::var_os("FLOODRILL_BLESS").is_some();
    let pinned = pinned();
    let mut lines = vec![
        "# name digest — refresh with: FLOODRILL_BLESS=1 cargo test --test golden_digests"
            .to_string(),
    ];
    let mut wrong = Vec::new();
    for (name, scen, until) in CASES {
        for (scheme, d) in digests_of(&root().join(scen), until) {
            let key = format!("{name}.{scheme}");
            lines.push(format!("{key} {d}"));
            match pinned.iter().find(|(n, _)| *n == key) {
                Some((_, p)) if *p == d => {}
                Some((_, p)) => {
                    wrong.push(format!("{key} ({scen} at {until}): pinned {p}, now {d}"))
                }
                None => wrong.push(format!("{key} ({scen} at {until}): not pinned, now {d}")),
            }
        }
    }
    if bless {
        std::fs::write(golden_file(), lines.join("\n") + "\n").expect("write the golden digests");
        return;
    }
    assert!(
        wrong.is_empty(),
        "the results changed:\n  {}\nIf the change is meant, refresh with \
         `FLOODRILL_BLESS=1 cargo test --test golden_digests` and say why in the commit.",
        wrong.join("\n  ")
    );
}
