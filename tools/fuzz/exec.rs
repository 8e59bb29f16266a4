//! Running one floodrill command on a mutated input, bounded, and judging what it did.
//!
//! Each command runs in a process group of its own through `sh -c 'ulimit -v …; exec …'`
//! (so the address-space limit applies to floodrill itself, and an allocation that
//! cannot be met aborts instead of taking the machine), with stdin closed, stdout and
//! stderr in files, and a wall-clock limit after which the whole group is killed.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The limits every child gets.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Wall-clock limit per command.
    pub timeout: Duration,
    /// Address-space limit (RLIMIT_AS) in KiB; 0 for none.
    pub mem_kib: u64,
}

/// How one command ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that killed it, if one did (and it was not our timeout).
    pub signal: Option<i32>,
    /// Killed by us at the wall-clock limit.
    pub timed_out: bool,
    /// Its stderr (the first and last 4 KiB when longer), lossily decoded.
    pub stderr: String,
    /// Its stdout (the first and last 4 KiB when longer), lossily decoded.
    pub stdout: String,
    /// Wall time taken.
    pub elapsed: Duration,
}

impl Outcome {
    /// A short label for the exit-code histogram: `0`, `2`, `101`, `sig6`, `timeout`.
    pub fn label(&self) -> String {
        if self.timed_out {
            "timeout".into()
        } else if let Some(s) = self.signal {
            format!("sig{s}")
        } else {
            match self.code {
                Some(c) => c.to_string(),
                None => "?".into(),
            }
        }
    }

    /// True when it exited 0.
    pub fn ok(&self) -> bool {
        !self.timed_out && self.signal.is_none() && self.code == Some(0)
    }

    /// The first non-empty line of stderr (else of stdout).
    pub fn first_line(&self) -> String {
        self.stderr
            .lines()
            .chain(self.stdout.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string()
    }
}

/// Run `prog args…` in `cwd` under `limits`; stdout and stderr go to `log_dir/NAME.out|err`.
pub fn run(
    prog: &Path,
    args: &[String],
    cwd: &Path,
    limits: &Limits,
    log_dir: &Path,
    name: &str,
) -> std::io::Result<Outcome> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let out_path = log_dir.join(format!("{name}.out"));
    let err_path = log_dir.join(format!("{name}.err"));
    let mut cmd = Command::new("sh");
    // $0 is the limit; "$@" the program and its arguments.
    cmd.arg("-c")
        .arg("ulimit -c 0; if [ \"$0\" != 0 ]; then ulimit -v \"$0\" || exit 125; fi; exec \"$@\"")
        .arg(limits.mem_kib.to_string())
        .arg(prog)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path)?)
        .stderr(File::create(&err_path)?)
        .env("RUST_BACKTRACE", "0")
        .env_remove("RUST_LOG")
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let mut timed_out = false;
    let mut pause = Duration::from_millis(2);
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if start.elapsed() >= limits.timeout {
            timed_out = true;
            kill_group(pid);
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    let elapsed = start.elapsed();
    // Anything the program left behind in its group (it has no children of its own today).
    kill_group(pid);
    Ok(Outcome {
        code: status.code(),
        signal: if timed_out { None } else { status.signal() },
        timed_out,
        stderr: tail(&err_path, 8192),
        stdout: tail(&out_path, 8192),
        elapsed,
    })
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The first and last `max / 2` bytes of a file, lossily decoded (all of it when
/// short): a message naming the file comes first, a panic's location may come last.
pub fn tail(path: &Path, max: usize) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    if bytes.len() <= max {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let head = String::from_utf8_lossy(&bytes[..max / 2]);
    let end = String::from_utf8_lossy(&bytes[bytes.len() - max / 2..]);
    format!("{head}\n[… {} bytes …]\n{end}", bytes.len() - max)
}

/// The last `max` bytes of a string (on a character boundary).
pub fn tail_str(s: &str, max: usize) -> &str {
    let mut from = s.len().saturating_sub(max);
    while !s.is_char_boundary(from) {
        from += 1;
    }
    &s[from..]
}

/// What a command's ending means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Exit 0, or exit 2 with a message naming a file.
    Ok,
    /// Killed by a signal (abort, segmentation fault, stack overflow).
    Crash,
    /// Exit 101: a Rust panic.
    Panic,
    /// Still running at the wall-clock limit.
    Hang,
    /// Exit 1 on bad input (1 is for failed runs; bad input is 2).
    Exit1,
    /// Exit 2 but the message names no file (or there is no message).
    UnlocatedError,
    /// Any other exit code.
    OddExit,
    /// `validate` said yes, then the run failed (or ran over its `--until`).
    ValidateThenFail,
    /// An input that must be refused (NaN, `1h60m`, a ring that does not close, …)
    /// was accepted by `validate`.
    AcceptedBadInput,
    /// Commands that read the same replay disagree about whether it is readable.
    Inconsistent,
}

impl Verdict {
    /// A short name for file names and the summary.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Crash => "crash",
            Verdict::Panic => "panic",
            Verdict::Hang => "hang",
            Verdict::Exit1 => "exit1",
            Verdict::UnlocatedError => "unlocated-error",
            Verdict::OddExit => "odd-exit",
            Verdict::ValidateThenFail => "validate-then-fail",
            Verdict::AcceptedBadInput => "accepted-bad-input",
            Verdict::Inconsistent => "inconsistent",
        }
    }
}

/// File name endings that count as "names a file" in an error message.
const FILE_MARKS: [&str; 8] = [
    ".ron", ".asc", ".geojson", ".csv", ".bdy", ".txt", ".replay", ".json",
];

/// Whether a message names an input file.
pub fn names_a_file(msg: &str) -> bool {
    FILE_MARKS.iter().any(|m| msg.contains(m))
}

/// The verdict on one command on its own. `exit1_ok` says whether exit 1 is a
/// documented answer for this command (`replay --verify` exits 1 on divergence).
pub fn judge(o: &Outcome, exit1_ok: bool) -> Verdict {
    if o.timed_out {
        return Verdict::Hang;
    }
    if o.signal.is_some() {
        return Verdict::Crash;
    }
    match o.code {
        Some(0) => Verdict::Ok,
        Some(2) => {
            if names_a_file(&o.stderr) {
                Verdict::Ok
            } else {
                Verdict::UnlocatedError
            }
        }
        Some(101) => Verdict::Panic,
        // A shell's "killed by signal N" code, should exec ever fail to replace it.
        Some(c) if c > 128 && c < 160 => Verdict::Crash,
        Some(1) if exit1_ok => Verdict::Ok,
        Some(1) => Verdict::Exit1,
        _ => Verdict::OddExit,
    }
}

/// The verdict on a run that followed a `validate` that exited 0: anything but a
/// clean exit is a validate-then-fail, unless it is worse (crash, panic, hang).
pub fn judge_run_after_validate(o: &Outcome) -> Verdict {
    match judge(o, false) {
        Verdict::Ok if o.ok() => Verdict::Ok,
        Verdict::Crash => Verdict::Crash,
        Verdict::Panic => Verdict::Panic,
        Verdict::Hang => Verdict::Hang,
        // The harness's own `--until 2m` refused because the scenario's tick is longer:
        // a refusal of the command line, which names it, not of the scenario.
        // (It names the option and the scenario field rather than a file.)
        Verdict::Ok | Verdict::UnlocatedError
            if o.code == Some(2)
                && o.stderr.trim_start().starts_with("error: --until")
                && o.stderr.contains("meta.tick") =>
        {
            Verdict::Ok
        }
        _ => Verdict::ValidateThenFail,
    }
}

/// A line of stderr made comparable across cases: the case folder, digits and hex
/// runs folded, cut to 140 characters.
pub fn normalise(line: &str, case_dir: &Path) -> String {
    let line = line.replace(&case_dir.display().to_string(), "<case>");
    let mut out = String::new();
    let mut last_hash = false;
    for ch in line.chars() {
        if ch.is_ascii_digit() {
            if !last_hash {
                out.push('#');
            }
            last_hash = true;
        } else {
            out.push(ch);
            last_hash = false;
        }
    }
    out.chars().take(140).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(code: Option<i32>, signal: Option<i32>, timed_out: bool, stderr: &str) -> Outcome {
        Outcome {
            code,
            signal,
            timed_out,
            stderr: stderr.into(),
            stdout: String::new(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn verdicts_follow_the_exit() {
        assert_eq!(judge(&o(Some(0), None, false, ""), false), Verdict::Ok);
        assert_eq!(
            judge(&o(Some(2), None, false, "a.ron:1:2: x"), false),
            Verdict::Ok
        );
        assert_eq!(
            judge(&o(Some(2), None, false, "bad"), false),
            Verdict::UnlocatedError
        );
        assert_eq!(
            judge(&o(Some(101), None, false, "panicked"), false),
            Verdict::Panic
        );
        assert_eq!(judge(&o(None, Some(6), false, ""), false), Verdict::Crash);
        assert_eq!(judge(&o(None, None, true, ""), false), Verdict::Hang);
        assert_eq!(
            judge(&o(Some(1), None, false, "a.ron"), false),
            Verdict::Exit1
        );
        assert_eq!(
            judge(&o(Some(1), None, false, "diverges"), true),
            Verdict::Ok
        );
        assert_eq!(
            judge(&o(Some(3), None, false, "a.ron"), false),
            Verdict::OddExit
        );
        assert_eq!(
            judge_run_after_validate(&o(Some(2), None, false, "a.ron: x")),
            Verdict::ValidateThenFail
        );
        assert_eq!(
            judge_run_after_validate(&o(None, Some(11), false, "")),
            Verdict::Crash
        );
    }

    #[test]
    fn normalised_lines_fold_numbers_and_the_case_folder() {
        let d = Path::new("/tmp/x/case-17");
        assert_eq!(
            normalise("/tmp/x/case-17/mini.ron:12:5: bad 1e300", d),
            "<case>/mini.ron:#:#: bad #e#"
        );
    }
}
