//! floodrill — a disaster-drill and urban flood simulation engine.
//!
//! Rain falls on district terrain, water ponds, people are warned and evacuate,
//! forces respond, and the response is scored against the four-in-place rubric.
//! See `README.md` and `docs/` for the user's view; each module's docs for the how.
//!
//! Layers never point backwards; a module uses only modules of lower layers (checked
//! by `tests/layers.rs`, which reads the sources):
//!
//! 0. `codec`, `rng`, `text` — leaves (encodings, seeded streams, reading a user's text);
//! 1. `world` — the static district (grids, rasters, vector layers, road graph);
//! 2. `scenario` — the file: schema, parsing, validation;
//! 3. `hydro`, `agents`, `scoring` — the kernels (water; households; the rubric);
//! 4. `forces` — teams and robots (a kernel that rescues households);
//! 5. `setup` (scenario → kernel inputs) and `exercise` (clock, commands, plan, the
//!    typed event log);
//! 6. `engine` — the Bevy app and the tick;
//! 7. `replay` — recording, verifying, seeking, comparing;
//! 8. `report` — outputs of a run, from plain data;
//! 9. `run` — the headless runner (writes the outputs);
//! 10. `live` (the drill on a worker thread, and what the console draws of it) and
//!     `ensemble` (many members, merged);
//! 11. `gui` — the trainer console; then the CLI (`main.rs`).
#![warn(missing_docs)]

pub mod agents;
pub mod codec;
pub mod engine;
pub mod ensemble;
pub mod exercise;
pub mod forces;
#[cfg(feature = "gui")]
pub mod gui;
pub mod hydro;
pub mod live;
pub mod replay;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod scoring;
pub mod setup;
pub mod text;
pub mod world;

/// The engine version written into summaries and replays.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
