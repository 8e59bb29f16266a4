//! floodrill — a disaster-drill and urban flood simulation engine.
//!
//! Rain falls on district terrain, water ponds, people are warned and evacuate,
//! forces respond, and the response is scored against the four-in-place rubric.
//! See `README.md` and `docs/` for the user's view; each module's docs for the how.
//!
//! Layers never point backwards: `world` (static district) and `scenario` (the file)
//! → `hydro` (kernels) → `engine` (the Bevy app and tick) → `report` and the CLI.
#![warn(missing_docs)]

pub mod agents;
pub mod codec;
pub mod engine;
pub mod exercise;
pub mod forces;
#[cfg(feature = "gui")]
pub mod gui;
pub mod hydro;
pub mod replay;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod scoring;
pub mod world;

/// The engine version written into summaries and replays.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
