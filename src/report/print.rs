//! The after-action report as a PDF for the bureau's files, and as a picture, printed by
//! headless Chromium (the browser the report is written for): `floodrill report DIR
//! --pdf` and `--screenshot FILE`.
//!
//! How it works: a copy of `report.html` with every collapsed evidence table opened is
//! written beside it (`.report-print.html`), Chromium prints it (`--print-to-pdf`) or
//! photographs it (`--screenshot`, a window as wide as the page), and the copy is
//! removed. Chromium is found as `$FLOODRILL_CHROMIUM`, else `chromium`,
//! `chromium-browser`, `google-chrome` or `google-chrome-stable` on the `PATH`; it is
//! stopped after two minutes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why printing failed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No report in the folder.
    #[error("{0}: no report.html here (run a drill into this folder first)")]
    NoReport(String),
    /// No browser.
    #[error(
        "printing needs Chromium: none found as $FLOODRILL_CHROMIUM or chromium, chromium-browser, google-chrome, google-chrome-stable on the PATH (Debian: apt install chromium)"
    )]
    NoChromium,
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Chromium ran but did not write the file.
    #[error("{browser} did not write {out}: {why}")]
    Browser {
        /// The browser.
        browser: String,
        /// The file it should have written.
        out: String,
        /// Its exit status, or the timeout, and what it said.
        why: String,
    },
}

/// The browser to print with.
pub fn chromium() -> Result<PathBuf, PrintError> {
    if let Some(p) = std::env::var_os("FLOODRILL_CHROMIUM") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(PrintError::NoChromium)
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(PrintError::NoChromium)
}

/// What to make of the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Output {
    /// A PDF (A4).
    Pdf,
    /// A PNG of the first `height` pixels of the page, 1280 px wide.
    Screenshot {
        /// Height, pixels.
        height: u32,
    },
}

/// Print `DIR/report.html` into `out` with every evidence table open.
pub fn print(dir: &Path, out: &Path, what: Output) -> Result<(), PrintError> {
    let report = dir.join("report.html");
    let html = std::fs::read_to_string(&report)
        .map_err(|_| PrintError::NoReport(dir.display().to_string()))?;
    let browser = chromium()?;
    let copy = dir.join(".report-print.html");
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| PrintError::Io { path: p, source }
    };
    std::fs::write(&copy, html.replace("<details>", "<details open>")).map_err(io(&copy))?;
    let out_abs = std::path::absolute(out).map_err(io(out))?;
    let copy_abs = std::path::absolute(&copy).map_err(io(&copy))?;
    let _ = std::fs::remove_file(&out_abs);
    let profile = std::env::temp_dir().join(format!("floodrill-chromium-{}", std::process::id()));
    let mut cmd = std::process::Command::new(&browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    match what {
        Output::Pdf => {
            cmd.arg("--no-pdf-header-footer")
                .arg(format!("--print-to-pdf={}", out_abs.display()));
        }
        Output::Screenshot { height } => {
            cmd.arg(format!("--window-size=1280,{height}"))
                .arg(format!("--screenshot={}", out_abs.display()));
        }
    }
    cmd.arg(format!("file://{}", copy_abs.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let result = run_for(&mut cmd, Duration::from_secs(120));
    let _ = std::fs::remove_file(&copy);
    let _ = std::fs::remove_dir_all(&profile);
    let why = match result {
        Ok((status, _)) if status.success() && out_abs.is_file() => return Ok(()),
        Ok((status, err)) => format!("{status}; {}", last_lines(&err)),
        Err(e) => e,
    };
    Err(PrintError::Browser {
        browser: browser.display().to_string(),
        out: out.display().to_string(),
        why,
    })
}

/// Run `cmd` for at most `limit`: its status and standard error, or why not.
fn run_for(
    cmd: &mut std::process::Command,
    limit: Duration,
) -> Result<(std::process::ExitStatus, String), String> {
    let mut child = cmd.spawn().map_err(|e| format!("cannot be started: {e}"))?;
    let err = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut e) = err {
            use std::io::Read;
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok((status, reader.join().unwrap_or_default())),
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("stopped after {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn last_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}
