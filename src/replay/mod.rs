//! Replay files: what a run needs to be re-simulated and checked, written as it goes.
//!
//! Format (version 3, documented in `docs/replay.md`): UTF-8 text, one record per line,
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
//! out of place, an end index that does not describe the file or a wrong version is an
//! error naming the line and, for a snapshot, its time. Every reader goes through
//! [`read`], so every command refuses the same files. The header lists the district
//! files with their hashes; [`record::scenario_of`] finds them at the scenario's
//! absolute path or relative to the replay.

pub mod compare;
pub mod record;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exercise::commands::{Command, CommandKind};
use crate::exercise::log::Origin;
pub use record::{Recorder, Seek, Verified, open_at, open_view_at, snapshot, verify};

/// The format version this engine writes.
pub const FORMAT_VERSION: u32 = 6;
/// The format versions this engine reads (version 1 has no full states: seeking and
/// branching re-simulate from the start; versions 1 and 2 find their district files
/// only at the scenario's absolute path; versions 1–3 digest the registered digest
/// parts, version 5 every saved part of the state). Version 4 (development builds,
/// whose saved digests also hashed setup that is no longer saved: the households'
/// attributes, the score tracker's derived tables) cannot be checked and is refused
/// with a message saying so. Version 6 adds views and patched records (see
/// [`StateRecord`]).
pub const READS_VERSIONS: [u32; 5] = [1, 2, 3, 5, 6];

/// zstd level of the full states (the fastest: level 3 takes 1.7× as long for 2 %
/// less on the demo's water grids).
pub const STATE_ZSTD_LEVEL: i32 = 1;
/// How a `state` record encodes the full state.
pub const STATE_ENCODING: &str = "msgpack+zstd+base64";
/// How a patched `state` record encodes it: zstd with the MessagePack of its base
/// record as a reference prefix (what `zstd --patch-from` does), so what did not
/// change since the base costs next to nothing.
pub const PATCH_ENCODING: &str = "msgpack+zstd-patch+base64";
/// A keyframe chain starts again from a record of its own every this many keyframes,
/// so an exact seek decodes at most this many.
pub const KEY_CHAIN: usize = 12;
/// zstd level of the views: their arrays of small integers find four times the
/// matches in the record before at level 6 than at level 1 (0.37 against 0.63 MB for
/// the demo's water at 3 h); level 9 saves 1 % more of the file for 1.7× the time
/// (the demo's first 2 h: 22.0 against 22.2 MB, 3.2 against 1.8 s of encoding, which
/// runs between ticks on a machine whose cores the kernels use).
pub const VIEW_ZSTD_LEVEL: i32 = 6;
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
    /// The scenario file relative to the replay's folder (`/`-separated), where the
    /// district files are looked for when they are not at `scenario_path` (a project
    /// folder moved whole). Version 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_rel: Option<String>,
    /// Every file the scenario refers to, with its hash: a replay opens only with the
    /// very files it was recorded with. Version 3.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileRef>,
    /// The scenario text, embedded.
    pub scenario_text: String,
    /// blake3 of the text (hex).
    pub scenario_hash: String,
    /// Seed in force.
    pub seed: u64,
    /// Tick length, s.
    pub tick_s: f64,
    /// The replay this run branched from (none: a run from the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// How the snapshot and end digests were made (format 4 writes `saved`; absent in
    /// formats 1–3: `parts`).
    #[serde(default)]
    pub digest_scheme: crate::engine::DigestScheme,
}

/// A file the scenario refers to (DEM, land use, a GeoJSON layer, a series file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileRef {
    /// Its path as the scenario writes it (relative to the scenario's folder).
    pub path: String,
    /// Size, bytes.
    pub bytes: u64,
    /// blake3 of its contents (hex).
    pub blake3: String,
}

/// Where a branch came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Parent {
    /// The parent replay file (absolute).
    pub file: String,
    /// blake3 of the parent file's header record (hex), to recognise it.
    pub header_hash: String,
    /// Sim time of the branch, s.
    pub at: f64,
    /// Ticks done at the branch.
    pub tick: u64,
    /// State digest at the branch (the parent's, and this run's first snapshot).
    pub digest: String,
    /// The command stream that replaced the parent's orders from the branch on (none:
    /// no new orders; the parent's later external orders are dropped either way).
    pub orders: Option<String>,
}

/// A `state` record: the full state of the drill at a snapshot, for seeking and
/// branching without re-simulating from the start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StateRecord {
    /// Sim time, s.
    pub t: f64,
    /// Ticks done.
    pub tick: u64,
    /// State digest (hex); a restore must reproduce it.
    pub digest: String,
    /// [`STATE_ENCODING`].
    pub encoding: String,
    /// Size of the MessagePack before compression, bytes.
    pub raw_bytes: usize,
    /// blake3 of the MessagePack before compression (hex): a damaged state is
    /// refused, even in parts the state digest does not cover.
    pub raw_blake3: String,
    /// The encoded state.
    pub data: String,
    /// A view of the state (the water to the millimetre, see
    /// [`crate::engine::view_of`]) for scrubbing, not the exact state a drill can go
    /// on from (format 6; absent: the exact state, a keyframe).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub view: bool,
    /// The time of the record this one is patched against ([`PATCH_ENCODING`]): for
    /// a keyframe the keyframe before it; for a view the record before it (the view of
    /// it, when that is a keyframe). Absent: a record of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
}

/// Where a `state` record is, read without decoding it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRef {
    /// 1-based line.
    pub line: usize,
    /// Sim time, s.
    pub t: f64,
    /// Byte range of the record's line in the file (without its newline).
    range: (u64, u64),
    /// A view, not an exact state (see [`StateRecord::view`]).
    pub view: bool,
    /// The time of the record it is patched against.
    pub base: Option<f64>,
}

/// What a command record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandRecordKind {
    /// An order (`what` is an `Order` in RON).
    Order,
    /// An inject (`what` is an `InjectEvent` in RON).
    Inject,
    /// A scenario inject skipped (`what` is its id as a RON string).
    Skip,
}

impl CommandRecordKind {
    /// The kind as written in the replay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Inject => "inject",
            Self::Skip => "skip",
        }
    }
}

impl std::fmt::Display for CommandRecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    pub kind: CommandRecordKind,
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
    /// Index: full-state time and line number.
    #[serde(default)]
    pub states: Vec<(f64, usize)>,
    /// Index: byte range of each full state's line, so a seek reads only the header,
    /// this record and the state it needs.
    #[serde(default)]
    pub state_ranges: Vec<(u64, u64)>,
}

/// The last state record a [`Replay`] decoded: its index and MessagePack.
type DecodedCache = std::sync::Arc<std::sync::Mutex<Option<(usize, std::sync::Arc<Vec<u8>>)>>>;

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
    /// Full states in order (decoded on demand with [`Replay::load_state`]).
    pub states: Vec<StateRef>,
    /// Where the states are read from.
    source: Source,
    /// blake3 of the header record's line (hex).
    header_line_hash: String,
    /// Line of each command.
    command_lines: Vec<usize>,
    /// The end record (none: the run did not close the file — it crashed or is still
    /// running).
    pub end: Option<End>,
    /// The last state record decoded (index and MessagePack).
    cache: DecodedCache,
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
    /// The replay is readable but cannot be used: its scenario or district files
    /// are missing, changed or do not load.
    #[error("{path}: {message}")]
    Input {
        /// The replay file.
        path: String,
        /// What is wrong.
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

/// Encode a full state for a `state` record: MessagePack, zstd, base64 (the costly
/// part of recording; the recorder runs it beside the simulation).
pub fn encode_state(
    st: &crate::engine::FullState,
) -> Result<StateRecord, crate::engine::StateError> {
    let raw = rmp_serde::to_vec_named(st).map_err(crate::engine::StateError::encode)?;
    encode_raw(st, &raw, None)
}

/// Encode the MessagePack `raw` of `st` (a state or a view) for a `state` record, on
/// its own or patched against `base` (the base record's time and MessagePack).
pub fn encode_raw(
    st: &crate::engine::FullState,
    raw: &[u8],
    base: Option<(f64, &[u8])>,
) -> Result<StateRecord, crate::engine::StateError> {
    use crate::engine::StateError;
    let (packed, encoding) = match base {
        None => (
            zstd::bulk::compress(raw, STATE_ZSTD_LEVEL).map_err(StateError::encode)?,
            STATE_ENCODING,
        ),
        Some((_, prefix)) => (
            compress_patch(
                raw,
                prefix,
                if st.view {
                    VIEW_ZSTD_LEVEL
                } else {
                    STATE_ZSTD_LEVEL
                },
            )
            .map_err(StateError::encode)?,
            PATCH_ENCODING,
        ),
    };
    use base64::Engine as _;
    Ok(StateRecord {
        t: st.t,
        tick: st.tick,
        digest: st.digest.clone(),
        encoding: encoding.into(),
        raw_bytes: raw.len(),
        raw_blake3: blake3::hash(raw).to_hex().to_string(),
        data: base64::engine::general_purpose::STANDARD.encode(packed),
        view: st.view,
        base: base.map(|b| b.0),
    })
}

/// The window a patch needs: the prefix and the data together (at least 1 MiB, at most
/// 2 GiB).
fn patch_window_log(n: usize) -> u32 {
    (usize::BITS - n.max(1 << 20).leading_zeros()).clamp(20, 31)
}

/// zstd of `raw` with `prefix` as its reference (long-distance matching over both).
fn compress_patch(raw: &[u8], prefix: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() / 16 + 64);
    let mut enc = zstd::stream::write::Encoder::with_ref_prefix(&mut out, level, prefix)?;
    enc.window_log(patch_window_log(prefix.len() + raw.len()))?;
    enc.long_distance_matching(true)?;
    enc.include_contentsize(true)?;
    enc.set_pledged_src_size(Some(raw.len() as u64))?;
    enc.write_all(raw)?;
    enc.finish()?;
    Ok(out)
}

/// Undo [`compress_patch`]; at most `size` bytes are produced.
fn decompress_patch(data: &[u8], prefix: &[u8], size: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut dec = zstd::stream::read::Decoder::with_ref_prefix(data, prefix)?;
    dec.window_log_max(31)?;
    let mut out = Vec::with_capacity(size);
    dec.take(size as u64 + 1).read_to_end(&mut out)?;
    Ok(out)
}

/// Writes a replay as the run goes.
pub struct Writer {
    out: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    line: usize,
    offset: u64,
    last_range: (u64, u64),
    syncing: Option<std::thread::JoinHandle<()>>,
    snapshots: Vec<(f64, usize)>,
    states: Vec<(f64, usize)>,
    state_ranges: Vec<(u64, u64)>,
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
            offset: 0,
            last_range: (0, 0),
            syncing: None,
            snapshots: Vec::new(),
            states: Vec::new(),
            state_ranges: Vec::new(),
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
        let sum = check(kind, &json);
        writeln!(self.out, "{kind} {sum} {json}").map_err(|source| ReplayError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        let len = (kind.len() + sum.len() + json.len() + 2) as u64;
        self.last_range = (self.offset, self.offset + len);
        self.offset += len + 1;
        self.line += 1;
        Ok(self.line)
    }

    /// Record a command applied from outside the scenario file.
    pub fn command(&mut self, c: &Command) -> Result<(), ReplayError> {
        let (kind, what) = match &c.kind {
            CommandKind::Order(o) => (CommandRecordKind::Order, ron::to_string(o)),
            CommandKind::Inject(e) => (CommandRecordKind::Inject, ron::to_string(e)),
            CommandKind::Skip(id) => (CommandRecordKind::Skip, ron::to_string(id)),
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
                kind,
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

    /// Record the full state and flush.
    pub fn state(&mut self, st: &crate::engine::FullState) -> Result<(), ReplayError> {
        let rec = encode_state(st).map_err(|e| ReplayError::Io {
            path: self.path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        self.state_record(&rec)
    }

    /// Record a full state already encoded (see [`encode_state`]) and flush.
    pub fn state_record(&mut self, rec: &StateRecord) -> Result<(), ReplayError> {
        let line = self.record("state", rec)?;
        self.states.push((rec.t, line));
        self.state_ranges.push(self.last_range);
        self.flush()
    }

    /// Close with the end record.
    pub fn finish(mut self, t: f64, status: &str, digest: &str) -> Result<(), ReplayError> {
        let end = End {
            t,
            status: status.into(),
            digest: digest.into(),
            snapshots: std::mem::take(&mut self.snapshots),
            states: std::mem::take(&mut self.states),
            state_ranges: std::mem::take(&mut self.state_ranges),
        };
        self.record("end", &end)?;
        self.flush()?;
        if let Some(h) = self.syncing.take() {
            let _ = h.join();
        }
        let _ = self.out.get_ref().sync_data();
        Ok(())
    }

    /// Hand what was written to the operating system, and have it put on disk by a
    /// thread of its own (waiting for the disk would hold up the drill; a full state is
    /// megabytes).
    fn flush(&mut self) -> Result<(), ReplayError> {
        self.out.flush().map_err(|source| ReplayError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        if let Some(h) = self.syncing.take() {
            let _ = h.join();
        }
        if let Ok(f) = self.out.get_ref().try_clone() {
            self.syncing = Some(std::thread::spawn(move || {
                let _ = f.sync_data();
            }));
        }
        Ok(())
    }
}

/// Read a replay file, streaming (a full state is decoded only when asked for with
/// [`Replay::load_state`]). Every record's checksum is checked, and the `end` record's
/// index against the file: every command that opens a replay reads it this way, so
/// none accepts a file another refuses. A file cut short (no `end` record, or a last
/// line without its newline) opens up to its last complete record.
pub fn read(path: &Path) -> Result<Replay, ReplayError> {
    use std::io::BufRead;
    let p = path.display().to_string();
    let io = |source| ReplayError::Io {
        path: p.clone(),
        source,
    };
    let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    // A foreign file is refused on its first bytes (not read whole looking for a line).
    let head = f.fill_buf().map_err(io)?;
    let magic = format!("{MAGIC} ");
    if head.len() < magic.len() || !head.starts_with(magic.as_bytes()) {
        let n = head.len().min(magic.len());
        if head.len() < magic.len() && magic.as_bytes().starts_with(&head[..n]) {
            return Err(Parser::new(&p).empty());
        }
        return Err(Parser::new(&p).foreign(1));
    }
    let mut parser = Parser::new(&p);
    let mut buf = Vec::new();
    let mut offset = 0usize;
    let mut line = 0usize;
    loop {
        buf.clear();
        let n = f.read_until(b'\n', &mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&buf)
            .map_err(|_| parser.bad(line, "not UTF-8 text: the file is corrupted".into()))?;
        // A last line without its newline was being written when the run stopped.
        let Some(raw) = text.strip_suffix('\n') else {
            break;
        };
        parser.feed(line, offset, raw)?;
        offset += n;
    }
    parser.finish(Source::Disk(path.to_path_buf()))
}

/// Parse replay bytes (`path` names them in errors), with the checks of [`read`].
pub fn parse(path: &str, bytes: &[u8]) -> Result<Replay, ReplayError> {
    parse_owned(path, bytes.to_vec())
}

/// What a `state` record says of itself, without its data.
#[derive(Deserialize)]
struct StateHead {
    t: f64,
    #[allow(dead_code)]
    data: serde::de::IgnoredAny,
    #[serde(default)]
    view: bool,
    #[serde(default)]
    base: Option<f64>,
}

fn parse_owned(path: &str, owned: Vec<u8>) -> Result<Replay, ReplayError> {
    let mut parser = Parser::new(path);
    let text = match std::str::from_utf8(&owned) {
        Ok(t) => t,
        Err(e) => {
            let line = owned[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(parser.bad(line, "not UTF-8 text: the file is corrupted".into()));
        }
    };
    // A last line without its newline was being written when the run stopped.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut offset = 0usize;
    for (k, raw) in complete.split_terminator('\n').enumerate() {
        parser.feed(k + 1, offset, raw)?;
        offset += raw.len() + 1;
    }
    parser.finish(Source::Memory(std::sync::Arc::new(owned)))
}

/// The records of a replay as they are read, line by line: checksums, order, version.
struct Parser<'p> {
    path: &'p str,
    header: Option<Header>,
    header_line_hash: String,
    commands: Vec<CommandRecord>,
    command_lines: Vec<usize>,
    snapshots: Vec<(usize, Snapshot)>,
    states: Vec<StateRef>,
    end: Option<(usize, End)>,
}

impl<'p> Parser<'p> {
    fn new(path: &'p str) -> Self {
        Self {
            path,
            header: None,
            header_line_hash: String::new(),
            commands: Vec::new(),
            command_lines: Vec::new(),
            snapshots: Vec::new(),
            states: Vec::new(),
            end: None,
        }
    }

    fn bad(&self, line: usize, message: String) -> ReplayError {
        ReplayError::Bad {
            path: self.path.to_string(),
            line,
            message,
        }
    }

    fn foreign(&self, line: usize) -> ReplayError {
        self.bad(
            line,
            "expected the `header` record first: not a floodrill replay".into(),
        )
    }

    fn empty(&self) -> ReplayError {
        self.bad(
            1,
            "empty or cut before its header: not a floodrill replay".into(),
        )
    }

    /// One complete line (without its newline) starting at byte `start`.
    fn feed(&mut self, line: usize, start: usize, raw: &str) -> Result<(), ReplayError> {
        let mut parts = raw.splitn(3, ' ');
        let (kind, sum, json) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ if self.header.is_none() => return Err(self.foreign(line)),
            _ => {
                return Err(self.bad(line, "expected a record `KIND CHECK JSON`".into()));
            }
        };
        // Name the snapshot even when its checksum fails, if its time is readable.
        let what = if kind == "snapshot" || kind == "state" {
            let noun = if kind == "state" {
                if json.contains("\"view\":true") {
                    "view"
                } else {
                    "full state"
                }
            } else {
                "snapshot"
            };
            serde_json::from_str::<StateTime>(json)
                .ok()
                .map_or(format!("a {noun}"), |v| {
                    format!("the {noun} at {}", crate::scenario::format_clock(v.t))
                })
        } else {
            format!("a `{kind}` record")
        };
        if self.header.is_none() && (line != 1 || kind != "header") {
            return Err(self.foreign(line));
        }
        if check(kind, json) != sum {
            return Err(self.bad(
                line,
                format!("{what} does not match its checksum: the record was altered or damaged"),
            ));
        }
        if self.end.is_some() {
            return Err(self.bad(line, "a record after the `end` record".into()));
        }
        let de = |e: serde_json::Error| ReplayError::Bad {
            path: self.path.to_string(),
            line,
            message: format!("{what} cannot be read: {e}"),
        };
        match kind {
            "header" if self.header.is_none() => {
                let h: Header = serde_json::from_str(json).map_err(de)?;
                if h.format != "floodrill-replay" {
                    return Err(self.bad(
                        line,
                        format!("format \"{}\", expected \"floodrill-replay\"", h.format),
                    ));
                }
                if h.version == 4 {
                    return Err(self.bad(
                        line,
                        format!(
                            "replay format version 4 written by floodrill {}: its states and digests include setup this floodrill rebuilds instead of saving, so they cannot be checked; run the scenario again to get a version-{FORMAT_VERSION} replay",
                            h.engine_version
                        ),
                    ));
                }
                if !READS_VERSIONS.contains(&h.version) {
                    return Err(self.bad(
                        line,
                        format!(
                            "replay format version {} written by floodrill {}; this floodrill reads versions {READS_VERSIONS:?}",
                            h.version, h.engine_version
                        ),
                    ));
                }
                if blake3::hash(h.scenario_text.as_bytes()).to_hex().as_str() != h.scenario_hash {
                    return Err(self.bad(
                        line,
                        "the embedded scenario text does not match its hash".into(),
                    ));
                }
                self.header_line_hash = blake3::hash(raw.as_bytes()).to_hex().to_string();
                self.header = Some(h);
            }
            "command" => {
                let c: CommandRecord = serde_json::from_str(json).map_err(de)?;
                self.time_ok(line, &what, c.t)?;
                // The command must read back as what it says it is.
                let back = match c.kind {
                    CommandRecordKind::Inject => {
                        ron::from_str::<crate::scenario::schema::InjectEvent>(&c.what)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    }
                    CommandRecordKind::Order => {
                        ron::from_str::<crate::scenario::schema::Order>(&c.what)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    }
                    CommandRecordKind::Skip => ron::from_str::<String>(&c.what)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                };
                if let Err(e) = back {
                    return Err(self.bad(
                        line,
                        format!("the command ({}) cannot be read: {e}", c.source),
                    ));
                }
                if self.commands.last().is_some_and(|l| l.t > c.t) {
                    return Err(self.bad(line, format!("{what} is earlier than the one before it")));
                }
                self.commands.push(c);
                self.command_lines.push(line);
            }
            "snapshot" => {
                let s: Snapshot = serde_json::from_str(json).map_err(de)?;
                self.time_ok(line, &what, s.t)?;
                if self.snapshots.last().is_some_and(|l| l.1.t > s.t) {
                    return Err(self.bad(line, format!("{what} is earlier than the one before it")));
                }
                self.snapshots.push((line, s));
            }
            "state" => {
                let s: StateHead = serde_json::from_str(json).map_err(de)?;
                self.time_ok(line, &what, s.t)?;
                if self.states.last().is_some_and(|l| l.t >= s.t) {
                    return Err(
                        self.bad(line, format!("{what} is not later than the one before it"))
                    );
                }
                if let Some(b) = s.base {
                    // A keyframe is patched against a keyframe, a view against the
                    // record before it.
                    let ok = if s.view {
                        self.states.last().is_some_and(|l| l.t == b)
                    } else {
                        self.states.iter().any(|l| l.t == b && !l.view)
                    };
                    if !ok {
                        return Err(self.bad(
                            line,
                            format!(
                                "{what} is patched against a record at {} that is not there",
                                crate::scenario::format_clock(b)
                            ),
                        ));
                    }
                }
                self.states.push(StateRef {
                    line,
                    t: s.t,
                    range: (start as u64, (start + raw.len()) as u64),
                    view: s.view,
                    base: s.base,
                });
            }
            "end" => {
                let e: End = serde_json::from_str(json).map_err(de)?;
                self.time_ok(line, &what, e.t)?;
                if self.snapshots.last().is_some_and(|l| l.1.t > e.t) {
                    return Err(self.bad(line, format!("{what} is earlier than the last snapshot")));
                }
                self.end = Some((line, e));
            }
            other => {
                return Err(self.bad(
                    line,
                    format!(
                        "unknown record kind `{other}` (expected command, snapshot, state or end)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A record's sim time must be one a drill can have: finite, from 0 to the longest
    /// drill.
    fn time_ok(&self, line: usize, what: &str, t: f64) -> Result<(), ReplayError> {
        if t.is_finite() && (0.0..=crate::scenario::duration::MAX_DURATION_S).contains(&t) {
            Ok(())
        } else {
            Err(self.bad(
                line,
                format!(
                    "{what} has the time {} s; expected 0 to {} s",
                    crate::scenario::duration::short_number(t),
                    crate::scenario::duration::MAX_DURATION_S
                ),
            ))
        }
    }

    /// The replay read; the `end` record's index must describe the file.
    fn finish(self, source: Source) -> Result<Replay, ReplayError> {
        let Some(header) = self.header.clone() else {
            return Err(self.empty());
        };
        if let Some((line, e)) = &self.end {
            let snaps: Vec<(f64, usize)> = self.snapshots.iter().map(|(l, s)| (s.t, *l)).collect();
            let states: Vec<(f64, usize)> = self.states.iter().map(|s| (s.t, s.line)).collect();
            let ranges: Vec<(u64, u64)> = self.states.iter().map(|s| s.range).collect();
            let problem = if e.snapshots != snaps {
                Some("snapshots")
            } else if e.states != states {
                Some("full states")
            } else if !e.state_ranges.is_empty() && e.state_ranges != ranges {
                Some("full states' byte ranges")
            } else {
                None
            };
            if let Some(what) = problem {
                return Err(self.bad(
                    *line,
                    format!(
                        "the `end` record's index of {what} does not match the file: records were added, removed or moved"
                    ),
                ));
            }
        }
        Ok(Replay {
            path: PathBuf::from(self.path),
            header,
            commands: self.commands,
            command_lines: self.command_lines,
            snapshots: self.snapshots,
            states: self.states,
            end: self.end.map(|e| e.1),
            header_line_hash: self.header_line_hash,
            source,
            cache: Default::default(),
        })
    }
}

/// Where a replay's states are read from: the bytes read whole, or the file itself
/// (opened through its index).
#[derive(Clone)]
enum Source {
    Memory(std::sync::Arc<Vec<u8>>),
    Disk(PathBuf),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory(b) => write!(f, "<{} bytes>", b.len()),
            Self::Disk(p) => write!(f, "<{}>", p.display()),
        }
    }
}

impl Source {
    fn line(&self, (a, b): (u64, u64)) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Memory(bytes) => bytes
                .get(a as usize..b as usize)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| std::io::Error::other("the record lies outside the file")),
            Self::Disk(p) => {
                use std::io::{Read, Seek};
                let mut f = std::fs::File::open(p)?;
                f.seek(std::io::SeekFrom::Start(a))?;
                let mut out = vec![0u8; b.saturating_sub(a) as usize];
                f.read_exact(&mut out)?;
                Ok(out)
            }
        }
    }
}

/// Open a replay for seeking: [`read`] (every record checked, the state index
/// verified against the file). `None` when the file has no `end` record (cut short):
/// kept for callers that fall back to [`read`], which opens such a file as well.
pub fn read_indexed(path: &Path) -> Result<Option<Replay>, ReplayError> {
    let r = read(path)?;
    Ok(r.end.is_some().then_some(r))
}

/// The time of a snapshot or state record (to name it in errors).
#[derive(Deserialize)]
struct StateTime {
    t: f64,
}

impl Replay {
    /// blake3 of the header record's line (hex): names this file in a branch.
    pub fn header_hash(&self) -> String {
        self.header_line_hash.clone()
    }

    /// Decode the `k`-th state record as the exact state (a keyframe, decoded along
    /// its chain). The error names the line and time; a view is refused.
    pub fn load_state(&self, k: usize) -> Result<crate::engine::FullState, ReplayError> {
        if self.states.get(k).is_some_and(|r| r.view) {
            return Err(self.state_bad(
                k,
                "is a view (the water to the millimetre), not an exact state".into(),
            ));
        }
        self.load_any(k)
    }

    /// Decode the `k`-th state record as a view ([`crate::engine::view_of`]): a view
    /// record as recorded, a keyframe made into its view.
    pub fn load_view(&self, k: usize) -> Result<crate::engine::FullState, ReplayError> {
        let st = self.load_any(k)?;
        if st.view {
            Ok(st)
        } else {
            crate::engine::view_of(&st, None).map_err(|e| self.state_bad(k, e.to_string()))
        }
    }

    /// Decode the `k`-th state record as recorded: a keyframe's exact state or a
    /// view.
    pub fn load_view_or_state(&self, k: usize) -> Result<crate::engine::FullState, ReplayError> {
        self.load_any(k)
    }

    fn load_any(&self, k: usize) -> Result<crate::engine::FullState, ReplayError> {
        let raw = self.raw_of(k)?;
        let st: crate::engine::FullState = rmp_serde::from_slice(&raw)
            .map_err(|e| self.state_bad(k, format!("cannot be decoded: {e}")))?;
        let r = &self.states[k];
        if st.t != r.t || st.view != r.view {
            return Err(self.state_bad(k, "its time or kind does not match its contents".into()));
        }
        Ok(st)
    }

    fn state_bad(&self, k: usize, message: String) -> ReplayError {
        let (line, what) = match self.states.get(k) {
            Some(r) => (
                r.line,
                format!(
                    "the {} at {}",
                    if r.view { "view" } else { "full state" },
                    crate::scenario::format_clock(r.t)
                ),
            ),
            None => (0, format!("state record number {}", k + 1)),
        };
        ReplayError::Bad {
            path: self.path.display().to_string(),
            line,
            message: format!("{what} {message}"),
        }
    }

    /// The `k`-th state record, read and checked against its checksum.
    fn record(&self, k: usize) -> Result<StateRecord, ReplayError> {
        let r = self
            .states
            .get(k)
            .ok_or_else(|| self.state_bad(k, "is not in the file".into()))?;
        let line = self
            .source
            .line(r.range)
            .map_err(|e| self.state_bad(k, format!("cannot be read: {e}")))?;
        let line =
            std::str::from_utf8(&line).map_err(|_| self.state_bad(k, "is not UTF-8".into()))?;
        let mut parts = line.splitn(3, ' ');
        let (kind, sum, json) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err(self.state_bad(k, "is not a record `state CHECK JSON`".into())),
        };
        if kind != "state" || check(kind, json) != sum {
            return Err(self.state_bad(
                k,
                "does not match its checksum: the record was altered or damaged".into(),
            ));
        }
        let rec: StateRecord = serde_json::from_str(json)
            .map_err(|e| self.state_bad(k, format!("cannot be read: {e}")))?;
        if rec.t != r.t || rec.view != r.view || rec.base != r.base {
            return Err(self.state_bad(k, "does not match the file's index".into()));
        }
        Ok(rec)
    }

    /// The MessagePack of the `k`-th record: its chain of bases decoded from the
    /// record of its own it starts from (the last one decoded is kept, so scrubbing
    /// forward decodes one record a step).
    fn raw_of(&self, k: usize) -> Result<Vec<u8>, ReplayError> {
        // The chain, newest first.
        let mut chain = vec![k];
        let mut at = k;
        let cached = self.cache.lock().ok().and_then(|c| c.clone());
        let mut start: Option<(Vec<u8>, bool)> = None;
        loop {
            if let Some((ck, ref raw)) = cached
                && ck == at
            {
                chain.pop();
                start = Some((raw.to_vec(), self.states[ck].view));
                break;
            }
            let Some(b) = self.states[at].base else { break };
            let j = if self.states[at].view {
                at.checked_sub(1)
            } else {
                self.states[..at].iter().rposition(|s| s.t == b && !s.view)
            };
            match j {
                Some(j) if self.states[j].t == b => {
                    chain.push(j);
                    at = j;
                }
                _ => {
                    return Err(self.state_bad(
                        at,
                        format!(
                            "is patched against a record at {} that is not there",
                            crate::scenario::format_clock(b)
                        ),
                    ));
                }
            }
        }
        let mut cur = start;
        while let Some(j) = chain.pop() {
            let rec = self.record(j)?;
            let prefix = match cur.take() {
                None => None,
                Some((raw, was_view)) if rec.view && !was_view => {
                    // A view after a keyframe is patched against the keyframe's view.
                    let st: crate::engine::FullState =
                        rmp_serde::from_slice(&raw).map_err(|e| {
                            self.state_bad(j, format!("has a base that cannot be decoded: {e}"))
                        })?;
                    let v = crate::engine::view_of(&st, None)
                        .and_then(|v| {
                            rmp_serde::to_vec_named(&v).map_err(crate::engine::StateError::encode)
                        })
                        .map_err(|e| self.state_bad(j, e.to_string()))?;
                    Some(v)
                }
                Some((raw, _)) => Some(raw),
            };
            let raw = self.unpack(j, &rec, prefix.as_deref())?;
            cur = Some((raw, rec.view));
        }
        let (raw, view) = cur.ok_or_else(|| self.state_bad(k, "is not in the file".into()))?;
        debug_assert_eq!(view, self.states[k].view);
        if let Ok(mut c) = self.cache.lock() {
            *c = Some((k, std::sync::Arc::new(raw.clone())));
        }
        Ok(raw)
    }

    /// The MessagePack of a record, decompressed (against `prefix` when patched) and
    /// checked against its recorded size and hash.
    fn unpack(
        &self,
        k: usize,
        rec: &StateRecord,
        prefix: Option<&[u8]>,
    ) -> Result<Vec<u8>, ReplayError> {
        let bad = |m: String| self.state_bad(k, m);
        let expected = if rec.base.is_some() {
            PATCH_ENCODING
        } else {
            STATE_ENCODING
        };
        if rec.encoding != expected {
            return Err(bad(format!(
                "has the encoding \"{}\", expected \"{expected}\"",
                rec.encoding
            )));
        }
        use base64::Engine as _;
        let packed = base64::engine::general_purpose::STANDARD
            .decode(rec.data.as_bytes())
            .map_err(|e| bad(format!("has bad base64: {e}")))?;
        // The recorded size bounds the allocation (1 GiB at most).
        if rec.raw_bytes > 1 << 30 {
            return Err(bad(format!(
                "claims {} bytes, more than 1 GiB",
                rec.raw_bytes
            )));
        }
        let raw = match (rec.base, prefix) {
            (None, _) => zstd::bulk::decompress(&packed, rec.raw_bytes),
            (Some(_), Some(p)) => decompress_patch(&packed, p, rec.raw_bytes),
            (Some(_), None) => return Err(bad("has no base record to be decoded against".into())),
        }
        .map_err(|e| bad(format!("cannot be decompressed: {e}")))?;
        if raw.len() != rec.raw_bytes {
            return Err(bad(format!(
                "decompresses to {} bytes, the record says {}",
                raw.len(),
                rec.raw_bytes
            )));
        }
        if blake3::hash(&raw).to_hex().as_str() != rec.raw_blake3 {
            return Err(bad(
                "does not match its checksum once decoded: the record or one it is patched against is damaged".into(),
            ));
        }
        Ok(raw)
    }

    /// The latest exact state (keyframe) at or before `t` (index), if any.
    pub fn state_before(&self, t: f64) -> Option<usize> {
        self.states.iter().rposition(|s| s.t <= t + 1e-9 && !s.view)
    }

    /// The latest state record of either kind at or before `t` (index), if any.
    pub fn view_before(&self, t: f64) -> Option<usize> {
        self.states.iter().rposition(|s| s.t <= t + 1e-9)
    }

    /// The recorded commands as engine commands (parsed back from their notation).
    pub fn engine_commands(&self) -> Result<Vec<Command>, ReplayError> {
        self.commands
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let err = |e: ron::error::SpannedError| ReplayError::Bad {
                    path: self.path.display().to_string(),
                    line: self.command_lines.get(i).copied().unwrap_or(0),
                    message: format!("the command ({}) cannot be read: {e}", c.source),
                };
                let kind = match c.kind {
                    CommandRecordKind::Inject => {
                        CommandKind::Inject(ron::from_str(&c.what).map_err(err)?)
                    }
                    CommandRecordKind::Order => {
                        CommandKind::Order(ron::from_str(&c.what).map_err(err)?)
                    }
                    CommandRecordKind::Skip => {
                        CommandKind::Skip(ron::from_str(&c.what).map_err(err)?)
                    }
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
