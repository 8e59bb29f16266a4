//! Replay files: what a run needs to be re-simulated and checked, written as it goes.
//!
//! Format (version 1, documented in `docs/replay.md`): UTF-8 text, one record per line,
//! `KIND CHECK JSON` where `CHECK` is the first 16 hex digits of blake3(`KIND JSON`).
//! The first record is the `header` (format version, engine version, the scenario's
//! path, text and hash, the seed); then, in sim-time order, `command` records (every
//! order and inject applied from outside the scenario file: command streams and live
//! orders; the scenario's own injects are in its text), `snapshot` records (sim time,
//! tick and state digest at every `outputs.snapshot_interval`, with the key metrics);
//! and an `end` record with the index of the snapshots and the final digest. The file
//! is flushed after every snapshot, so a crash or power cut loses at most one interval;
//! a file without its `end` record opens up to its last complete snapshot.
//!
//! Reading never panics: a truncated line, a checksum that does not match, a record
//! out of place or a wrong version is an error naming the line and, for a snapshot,
//! its time.

pub mod record;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exercise::commands::{Command, CommandKind};
use crate::exercise::log::Origin;
pub use record::{Recorder, Verified, snapshot, verify};

/// The format version this engine writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// First word of every replay file's first line.
pub const MAGIC: &str = "header";

/// The header record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// `floodrill-replay`.
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// Engine version that wrote it.
    pub engine_version: String,
    /// The scenario file (absolute), for resolving its relative paths.
    pub scenario_path: String,
    /// The scenario text, embedded.
    pub scenario_text: String,
    /// blake3 of the text (hex).
    pub scenario_hash: String,
    /// Seed in force.
    pub seed: u64,
    /// Tick length, s.
    pub tick_s: f64,
}

/// A recorded command.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommandRecord {
    /// Sim time it applied at, s.
    pub t: f64,
    /// Who gave it.
    pub origin: Origin,
    /// The order or inject, as in the scenario notation (RON).
    pub what: String,
    /// `order` or `inject`.
    pub kind: String,
    /// Where it came from.
    pub source: String,
    /// Id.
    pub id: String,
}

/// A snapshot record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// Sim time, s.
    pub t: f64,
    /// Ticks done.
    pub tick: u64,
    /// State digest (hex).
    pub digest: String,
    /// Key metrics at this moment (water volumes, households by state, rescues).
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

/// The closing record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct End {
    /// Sim time reached, s.
    pub t: f64,
    /// How the run ended (`completed`, `interrupted`, `failed`).
    pub status: String,
    /// Final digest.
    pub digest: String,
    /// Index: snapshot time and line number.
    pub snapshots: Vec<(f64, usize)>,
}

/// A replay as read.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The file.
    pub path: PathBuf,
    /// Header.
    pub header: Header,
    /// Commands in order.
    pub commands: Vec<CommandRecord>,
    /// Snapshots in order, with their line numbers.
    pub snapshots: Vec<(usize, Snapshot)>,
    /// The end record (none: the run did not close the file — it crashed or is still
    /// running).
    pub end: Option<End>,
}

/// Why a replay cannot be read or verified.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A bad record.
    #[error("{path}:{line}: {message}")]
    Bad {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// Verification found a difference.
    #[error("{path}: {message}")]
    Diverged {
        /// The file.
        path: String,
        /// The first divergent snapshot.
        message: String,
    },
}

/// The check of a record: the first 16 hex digits of blake3 over `KIND JSON`.
pub fn check(kind: &str, json: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(kind.as_bytes());
    h.update(b" ");
    h.update(json.as_bytes());
    h.finalize().to_hex()[..16].to_string()
}

/// Writes a replay as the run goes.
pub struct Writer {
    out: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    line: usize,
    snapshots: Vec<(f64, usize)>,
}

impl Writer {
    /// Create the file and write the header.
    pub fn create(path: &Path, header: &Header) -> Result<Self, ReplayError> {
        let io = |source| ReplayError::Io {
            path: path.display().to_string(),
            source,
        };
        let f = std::fs::File::create(path).map_err(io)?;
        let mut w = Self {
            out: std::io::BufWriter::new(f),
            path: path.to_path_buf(),
            line: 0,
            snapshots: Vec::new(),
        };
        w.record("header", header)?;
        w.flush()?;
        Ok(w)
    }

    fn record<T: Serialize>(&mut self, kind: &str, v: &T) -> Result<usize, ReplayError> {
        let json = serde_json::to_string(v).map_err(|e| ReplayError::Io {
            path: self.path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        writeln!(self.out, "{kind} {} {json}", check(kind, &json)).map_err(|source| {
            ReplayError::Io {
                path: self.path.display().to_string(),
                source,
            }
        })?;
        self.line += 1;
        Ok(self.line)
    }

    /// Record a command applied from outside the scenario file.
    pub fn command(&mut self, c: &Command) -> Result<(), ReplayError> {
        let (kind, what) = match &c.kind {
            CommandKind::Order(o) => ("order", ron::to_string(o)),
            CommandKind::Inject(e) => ("inject", ron::to_string(e)),
        };
        let what = what.map_err(|e| ReplayError::Io {
            path: self.path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        self.record(
            "command",
            &CommandRecord {
                t: c.t,
                origin: c.origin,
                what,
                kind: kind.into(),
                source: c.source.clone(),
                id: c.id.clone(),
            },
        )?;
        Ok(())
    }

    /// Record a snapshot and flush.
    pub fn snapshot(&mut self, s: &Snapshot) -> Result<(), ReplayError> {
        let line = self.record("snapshot", s)?;
        self.snapshots.push((s.t, line));
        self.flush()
    }

    /// Close with the end record.
    pub fn finish(mut self, t: f64, status: &str, digest: &str) -> Result<(), ReplayError> {
        let end = End {
            t,
            status: status.into(),
            digest: digest.into(),
            snapshots: std::mem::take(&mut self.snapshots),
        };
        self.record("end", &end)?;
        self.flush()
    }

    fn flush(&mut self) -> Result<(), ReplayError> {
        self.out.flush().map_err(|source| ReplayError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        let _ = self.out.get_ref().sync_data();
        Ok(())
    }
}

/// Read a replay file. A file cut short (no `end` record, or a last line without its
/// newline) opens up to its last complete record.
pub fn read(path: &Path) -> Result<Replay, ReplayError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ReplayError::Io {
        path: p.clone(),
        source,
    })?;
    parse(&p, &bytes)
}

/// Parse replay bytes (`path` names them in errors).
pub fn parse(path: &str, bytes: &[u8]) -> Result<Replay, ReplayError> {
    let bad = |line: usize, message: String| ReplayError::Bad {
        path: path.to_string(),
        line,
        message,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(bad(line, "not UTF-8 text: the file is corrupted".into()));
        }
    };
    // A last line without its newline was being written when the run stopped.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut header: Option<Header> = None;
    let mut commands = Vec::new();
    let mut snapshots: Vec<(usize, Snapshot)> = Vec::new();
    let mut end = None;
    for (k, raw) in complete.lines().enumerate() {
        let line = k + 1;
        let mut parts = raw.splitn(3, ' ');
        let (kind, sum, json) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err(bad(line, "expected a record `KIND CHECK JSON`".into())),
        };
        // Name the snapshot even when its checksum fails, if its time is readable.
        let what = if kind == "snapshot" {
            serde_json::from_str::<serde_json::Value>(json)
                .ok()
                .and_then(|v| v["t"].as_f64())
                .map_or("a snapshot".to_string(), |t| {
                    format!("the snapshot at {}", crate::scenario::format_clock(t))
                })
        } else {
            format!("a `{kind}` record")
        };
        if check(kind, json) != sum {
            return Err(bad(
                line,
                format!("{what} does not match its checksum: the record was altered or damaged"),
            ));
        }
        if end.is_some() {
            return Err(bad(line, "a record after the `end` record".into()));
        }
        let de = |e: serde_json::Error| bad(line, format!("{what} cannot be read: {e}"));
        match (kind, &header) {
            ("header", None) if line == 1 => {
                let h: Header = serde_json::from_str(json).map_err(de)?;
                if h.format != "floodrill-replay" {
                    return Err(bad(
                        line,
                        format!("format \"{}\", expected \"floodrill-replay\"", h.format),
                    ));
                }
                if h.version != FORMAT_VERSION {
                    return Err(bad(
                        line,
                        format!(
                            "replay format version {} written by floodrill {}; this floodrill reads version {FORMAT_VERSION}",
                            h.version, h.engine_version
                        ),
                    ));
                }
                header = Some(h);
            }
            (_, None) => {
                return Err(bad(
                    line,
                    "expected the `header` record first: not a floodrill replay".into(),
                ));
            }
            ("command", Some(_)) => commands.push(serde_json::from_str(json).map_err(de)?),
            ("snapshot", Some(_)) => {
                let s: Snapshot = serde_json::from_str(json).map_err(de)?;
                if snapshots.last().is_some_and(|l| l.1.t > s.t) {
                    return Err(bad(
                        line,
                        format!("{what} is earlier than the one before it"),
                    ));
                }
                snapshots.push((line, s));
            }
            ("end", Some(_)) => end = Some(serde_json::from_str::<End>(json).map_err(de)?),
            (other, Some(_)) => {
                return Err(bad(
                    line,
                    format!("unknown record kind `{other}` (expected command, snapshot or end)"),
                ));
            }
        }
    }
    let Some(header) = header else {
        return Err(bad(
            1,
            "empty or cut before its header: not a floodrill replay".into(),
        ));
    };
    Ok(Replay {
        path: PathBuf::from(path),
        header,
        commands,
        snapshots,
        end,
    })
}

impl Replay {
    /// The recorded commands as engine commands (parsed back from their notation).
    pub fn engine_commands(&self) -> Result<Vec<Command>, ReplayError> {
        self.commands
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let err = |e: ron::error::SpannedError| ReplayError::Bad {
                    path: self.path.display().to_string(),
                    line: 0,
                    message: format!("command {} ({}) cannot be read: {e}", i + 1, c.source),
                };
                let kind = if c.kind == "inject" {
                    CommandKind::Inject(ron::from_str(&c.what).map_err(err)?)
                } else {
                    CommandKind::Order(ron::from_str(&c.what).map_err(err)?)
                };
                Ok(Command {
                    t: c.t,
                    origin: c.origin,
                    kind,
                    source: c.source.clone(),
                    id: c.id.clone(),
                })
            })
            .collect()
    }
}
