//! Ensembles as a planner runs them: one process, shards merged in any order, a killed
//! ensemble resumed, and bad specifications refused with the field named.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::floodrill;

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini_ensemble/ensemble.ron")
}

/// The merged outputs that must be the same bytes however the members were run.
fn merged_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names = vec![
        "members.csv".to_string(),
        "criteria.csv".to_string(),
        "paired.csv".to_string(),
        "ensemble_summary.json".to_string(),
        "ensemble.html".to_string(),
    ];
    for e in std::fs::read_dir(dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        if n.starts_with("prob_depth_gt_") {
            names.push(n);
        }
    }
    for e in std::fs::read_dir(dir.join("maps")).unwrap() {
        names.push(format!("maps/{}", e.unwrap().file_name().to_string_lossy()));
    }
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let b = std::fs::read(dir.join(&n)).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, b)
        })
        .collect()
}

fn results(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut out = Vec::new();
    for plan in ["A", "B"] {
        let Ok(rd) = std::fs::read_dir(dir.join("members").join(plan)) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path().join("result.json");
            if let Ok(m) = std::fs::metadata(&p) {
                out.push((p, m));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn four_shards_merged_in_a_shuffled_order_equal_the_one_process_run() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let s = spec();
    let (code, out, err) = floodrill(&[
        "ensemble",
        s.to_str().unwrap(),
        "--out",
        one.to_str().unwrap(),
        "--quiet",
        "--workers",
        "threads",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("12 runs in this shard"), "{out}");
    assert!(out.contains("B − A · 总分 overall"), "{out}");
    let whole = merged_files(&one);
    assert!(
        whole.len() >= 9,
        "{:?}",
        whole.iter().map(|w| &w.0).collect::<Vec<_>>()
    );

    let shards: Vec<PathBuf> = (0..4).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        let (code, out, err) = floodrill(&[
            "ensemble",
            s.to_str().unwrap(),
            "--out",
            d.to_str().unwrap(),
            "--shard",
            &format!("{i}/4"),
            "--jobs",
            "1",
            "--quiet",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("shard done"), "{out}");
    }
    // A shard alone does not merge.
    let (code, _, err) = floodrill(&[
        "ensemble",
        "merge",
        shards[1].to_str().unwrap(),
        "--out",
        tmp.path().join("partial").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("runs are missing") && err.contains("--allow-missing"),
        "{err}"
    );

    let merged = tmp.path().join("merged");
    let order = [2, 0, 3, 1];
    let mut args = vec!["ensemble".to_string(), "merge".to_string()];
    args.extend(order.iter().map(|i| shards[*i].display().to_string()));
    args.extend(["--out".to_string(), merged.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = floodrill(&args);
    assert_eq!(code, 0, "{out}{err}");
    let parts = merged_files(&merged);
    assert_eq!(
        whole.iter().map(|w| &w.0).collect::<Vec<_>>(),
        parts.iter().map(|w| &w.0).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in whole.iter().zip(&parts) {
        assert!(
            a == b,
            "{name} differs between the one-process run and the merged shards"
        );
    }
    // A tampered result (a grid of 10^22 cells) is refused, naming the file, not
    // allocated.
    let bad = shards[0].join("members/A/00000/result.json");
    let text = std::fs::read_to_string(&bad).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut v = v;
    v["grid"]["ncols"] = serde_json::json!(100_000_000_000u64);
    v["grid"]["nrows"] = serde_json::json!(100_000_000_000u64);
    std::fs::write(&bad, v.to_string()).unwrap();
    let mut args = vec!["ensemble".to_string(), "merge".to_string()];
    args.extend(shards.iter().map(|d| d.display().to_string()));
    args.extend([
        "--out".to_string(),
        tmp.path().join("bad").display().to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = floodrill(&args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("members/A/00000/result.json") && err.contains("do not agree"),
        "{err}"
    );
    // The paired comparison is there, with intervals.
    let paired = std::fs::read_to_string(one.join("paired.csv")).unwrap();
    assert!(paired.lines().count() == 6, "{paired}");
    assert!(paired.contains("B,A,overall"), "{paired}");
    let html = std::fs::read_to_string(one.join("ensemble.html")).unwrap();
    assert!(
        html.contains("95 % CI") && html.contains("@font-face"),
        "report"
    );
}

#[test]
fn a_killed_ensemble_resumes_without_redoing_finished_members() {
    let tmp = tempfile::tempdir().unwrap();
    // The test ensemble with more members, so that the kill lands mid-way.
    let text = std::fs::read_to_string(spec())
        .unwrap()
        .replace("members: 6,", "members: 40,")
        .replace(
            "\"../mini/",
            &format!("\"{}/", spec().parent().unwrap().join("../mini").display()),
        )
        .replace(
            "orders: \"early.txt\"",
            &format!(
                "orders: \"{}\"",
                spec().parent().unwrap().join("early.txt").display()
            ),
        );
    let sp = tmp.path().join("big.ron");
    std::fs::write(&sp, text).unwrap();
    let out = tmp.path().join("out");
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(env!("CARGO_BIN_EXE_floodrill"))
            .args([
                "ensemble",
                sp.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .args(["--quiet", "--jobs", "2"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let t0 = std::time::Instant::now();
    while results(&out).len() < 6 {
        assert!(t0.elapsed().as_secs() < 300, "no member finished");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SIGKILL the ensemble and its member processes.
    let pgid = child.id();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
    let _ = child.wait();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = results(&out);
    assert!(
        before.len() < 80,
        "the kill came after every member had finished"
    );
    let (code, stdout, err) = floodrill(&[
        "ensemble",
        sp.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(
        stdout.contains(&format!(
            "80 runs in this shard: {} already finished",
            before.len()
        )),
        "{stdout}"
    );
    // The finished members were not run again: the same files, untouched.
    let after = results(&out);
    assert_eq!(after.len(), 80);
    for (p, m) in &before {
        let now = after.iter().find(|a| &a.0 == p).expect("kept");
        assert_eq!(
            m.modified().unwrap(),
            now.1.modified().unwrap(),
            "{} was rewritten",
            p.display()
        );
    }
    // And the resumed ensemble equals one run from scratch.
    let fresh = tmp.path().join("fresh");
    let (code, stdout, err) = floodrill(&[
        "ensemble",
        sp.to_str().unwrap(),
        "--out",
        fresh.to_str().unwrap(),
        "--quiet",
        "--workers",
        "threads",
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    for f in ["members.csv", "ensemble_summary.json", "paired.csv"] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(fresh.join(f)).unwrap(),
            "{f} differs after resuming"
        );
    }
}

fn bad_spec(from: &str, to: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(spec()).unwrap();
    assert!(text.contains(from), "fixture lacks {from:?}");
    let text = text.replacen(from, to, 1).replace(
        "\"../mini/",
        &format!("\"{}/", spec().parent().unwrap().join("../mini").display()),
    );
    let text = text.replace(
        "orders: \"early.txt\"",
        &format!(
            "orders: \"{}\"",
            spec().parent().unwrap().join("early.txt").display()
        ),
    );
    let p = tmp.path().join("bad.ron");
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("out");
    let (code, stdout, err) = floodrill(&[
        "ensemble",
        p.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        !out.join("members").exists(),
        "a bad spec ran members: {stdout}"
    );
    // `validate` says the same.
    let (vcode, _, verr) = floodrill(&["validate", p.to_str().unwrap()]);
    assert_eq!(vcode, code);
    assert_eq!(verr.lines().next(), err.lines().next());
    (code, err)
}

#[test]
fn a_bad_ensemble_spec_exits_2_naming_the_field() {
    let (code, err) = bad_spec(
        "compliance: Uniform(0.6, 0.95),",
        "complience: Uniform(0.6, 0.95),",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.ron:14:")
            && err.contains("unknown field `complience`")
            && err.contains("`compliance`"),
        "{err}"
    );
    let (code, err) = bad_spec(
        "compliance: Uniform(0.6, 0.95),",
        "compliance: Uniform(0.6, 1.3),",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.ron:14:")
            && err.contains("vary.compliance")
            && err.contains("1.3 is outside"),
        "{err}"
    );
    // The mini district's rain is a uniform series, not a Chicago storm.
    let (code, err) = bad_spec(
        "rain_scale:",
        "return_period_years: Fixed(50.0),\n        rain_scale:",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("vary.return_period_years") && err.contains("no Chicago design storm"),
        "{err}"
    );
    let (code, err) = bad_spec("units: [\"R01\"]", "units: [\"PS09\"]");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("vary.pump_failure.units[0]")
            && err.contains("no pump station or robot \"PS09\""),
        "{err}"
    );
    // Each bound is within what `vary` takes, but the storm at the upper one is more
    // intense than any rain the scenario may have: refused before any member runs.
    let (code, err) = bad_spec(
        "rain_scale: Uniform(0.5, 1.6),",
        "rain_scale: Uniform(0.5, 19.0),",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("vary") && err.contains("at its upper bound") && err.contains("mm/h"),
        "{err}"
    );
    let (code, err) = bad_spec("members: 6,", "members: 0,");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("members") && err.contains("found 0"), "{err}");
    let (code, err) = bad_spec("\"../mini/mini.ron\"),", "\"../mini/nothere.ron\"),");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("plans[0].scenario") && err.contains("nothere.ron"),
        "{err}"
    );
    let (code, err) = bad_spec("(id: \"B\",", "(id: \"A\",");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("plans[1].id") && err.contains("used twice"),
        "{err}"
    );
}

#[test]
fn member_draws_are_a_pure_function_of_the_hash_and_index() {
    let a = floodrill::ensemble::load(&spec()).unwrap();
    let b = floodrill::ensemble::load(&spec()).unwrap();
    assert_eq!(a.hash, b.hash);
    let d = |e: &floodrill::ensemble::Ensemble, i| floodrill::ensemble::member::draws(e, i);
    for i in 0..6 {
        assert_eq!(d(&a, i), d(&b, i));
    }
    assert_ne!(d(&a, 0), d(&a, 1));
    let x = d(&a, 3);
    let r = x.rain_scale.unwrap();
    assert!((0.5..=1.6).contains(&r), "{r}");
    let c = x.compliance.unwrap();
    assert!((0.6..=0.95).contains(&c), "{c}");
    // Over many members, about half have the robot failure, between 15 and 30 min.
    let fails: Vec<f64> = (0..400)
        .filter_map(|i| d(&a, i).pump_failure.map(|f| f.1))
        .collect();
    assert!((150..250).contains(&fails.len()), "{}", fails.len());
    assert!(fails.iter().all(|t| (900.0..=1800.0).contains(t)));
    // Both plans of a member run the varied scenario with the member's draws.
    for p in 0..2 {
        let s = floodrill::ensemble::member::member_scenario(&a, p, 3).unwrap();
        assert_eq!(s.file.population.mobilisation.compliance, c);
        assert_eq!(s.file.meta.seed, x.seed.unwrap());
    }
}
