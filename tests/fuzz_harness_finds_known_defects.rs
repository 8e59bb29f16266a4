//! The fuzz harness (`floodrill-fuzz`) must not pass everything: run against fake
//! "floodrill" programs that panic, abort, hang, exit 1, exit 2 without naming a file or
//! fail a run after `validate` said yes, it reports each as its kind of finding and
//! exits 1; against one that answers every case properly it reports none and exits 0.
//! The fakes behave only inside a case folder, so the harness's own base checks pass.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fake floodrill: a shell script that behaves per `mode` inside a case folder.
fn fake(dir: &Path, mode: &str) -> PathBuf {
    let path = dir.join(format!("fake-{mode}.sh"));
    let misbehave = match mode {
        "panic" => "echo \"thread 'main' panicked at src/x.rs:1:1:\" >&2; exit 101",
        "abort" => "kill -s ABRT $$",
        "hang" => "sleep 30",
        "exit1" => "echo 'mini.ron: something' >&2; exit 1",
        "unlocated" => "echo 'Expected string' >&2; exit 2",
        "run-fails" => {
            "[ \"$1\" = validate ] && exit 0; echo 'mini/mini.ron: cell (3, 4): NaN' >&2; exit 1"
        }
        _ => "echo 'mini/mini.ron:1:1: bad input' >&2; exit 2",
    };
    let script = format!(
        "#!/bin/sh\n\
         case \"$(pwd)\" in */case-*) {misbehave} ;; esac\n\
         # The base: a run writes its folder with a replay and a summary.\n\
         out=''; prev=''\n\
         for a in \"$@\"; do [ \"$prev\" = --out ] && out=$a; prev=$a; done\n\
         if [ \"$1\" = run ] && [ -n \"$out\" ]; then mkdir -p \"$out\"; \
         echo 'header 0 {{}}' > \"$out/drill.replay\"; \
         echo '{{\"sim_time_s\": 0}}' > \"$out/summary.json\"; fi\n\
         exit 0\n"
    );
    std::fs::write(&path, script).expect("write fake");
    let _ = Command::new("chmod").arg("+x").arg(&path).status();
    path
}

/// Run the harness on a fake; returns (exit code, stdout).
fn harness(mode: &str, only: &str, cases: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prog = fake(tmp.path(), mode);
    let out = Command::new(env!("CARGO_BIN_EXE_floodrill-fuzz"))
        .args([
            "--seed",
            "3",
            "--cases",
            cases,
            "--timeout",
            "1",
            "--only",
            only,
        ])
        .arg("--floodrill")
        .arg(&prog)
        .arg("--repo")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--findings")
        .arg(tmp.path().join("findings"))
        .arg("--work")
        .arg(tmp.path().join("work"))
        .output()
        .expect("run floodrill-fuzz");
    let so = String::from_utf8_lossy(&out.stdout).into_owned();
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), format!("{so}\n{se}"))
}

fn kinds_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("findings by kind:"))
        .unwrap_or("")
}

#[test]
fn a_panicking_program_is_a_panic_finding() {
    let (code, out) = harness("panic", "scenario", "3");
    assert_eq!(code, 1, "{out}");
    assert!(kinds_line(&out).contains("panic="), "{out}");
}

#[test]
fn an_aborting_program_is_a_crash_finding() {
    let (code, out) = harness("abort", "asc", "2");
    assert_eq!(code, 1, "{out}");
    assert!(kinds_line(&out).contains("crash="), "{out}");
}

#[test]
fn a_program_past_the_time_limit_is_a_hang_finding() {
    let (code, out) = harness("hang", "orders", "1");
    assert_eq!(code, 1, "{out}");
    assert!(kinds_line(&out).contains("hang="), "{out}");
}

#[test]
fn exit_1_and_unlocated_errors_are_findings() {
    let (code, out) = harness("exit1", "geojson", "2");
    assert_eq!(code, 1, "{out}");
    assert!(kinds_line(&out).contains("exit1="), "{out}");
    let (code, out) = harness("unlocated", "series", "2");
    assert_eq!(code, 1, "{out}");
    assert!(kinds_line(&out).contains("unlocated-error="), "{out}");
}

#[test]
fn a_run_failing_after_validate_said_yes_is_a_finding() {
    let (code, out) = harness("run-fails", "section", "3");
    assert_eq!(code, 1, "{out}");
    assert!(kinds_line(&out).contains("validate-then-fail="), "{out}");
}

#[test]
fn a_program_refusing_bad_input_properly_gives_no_finding() {
    let (code, out) = harness("clean", "scenario,asc,geojson,series,orders", "6");
    assert_eq!(kinds_line(&out), "findings by kind: none", "{out}");
    assert_eq!(code, 0, "{out}");
}
