//! The interactive console (feature `gui`): a window with the district map and an egui
//! top bar, driving the same [`SimTick`](crate::exercise::SimTick) as a headless run.
//!
//! How it works: [`run_gui`] builds one Bevy `App` with the windowing and rendering
//! plugins, the engine's [`SimPlugin`] (the simulation world, unchanged) and
//! [`GuiPlugin`], which composes one plugin per concern:
//!
//! - [`driver::SimDriverPlugin`] — runs `k` ticks per frame for the chosen speed through
//!   [`crate::engine::run_tick`], within a per-frame time budget; pause and single step.
//!   It is the only place the GUI touches the simulation, and it only calls `run_tick`:
//!   the GUI never mutates sim state.
//! - [`map_view::MapViewPlugin`] — the district terrain (hillshade × land-use colour) as
//!   a sprite in map metres, a 2D camera with pan (drag) and zoom (wheel).
//! - [`top_bar::TopBarPlugin`] — scenario name, sim clock and date-time, speed, pause,
//!   step, and a compact status (rain at the district centre, households sheltered /
//!   moving / trapped).
//! - [`water::WaterOverlayPlugin`] — the water depth over the terrain in five depth
//!   classes (refreshed at most twice a second of wall time), with a legend.
//! - [`network::NetworkLayerPlugin`] — the drainage network over the water: pipes by
//!   flow ÷ capacity, pumps running / off / failed, surcharged and flooding manholes,
//!   with a legend that counts them (`N` shows and hides it).
//! - [`capture::CapturePlugin`] — the CI screenshot (`--screenshot`) and the frame limit
//!   (`--exit-after-frames`).
//! - [`review::ReviewPlugin`] (with `--replay FILE`) — a review window whose time
//!   slider seeks in a recorded drill: restore the recorded view at or before the
//!   moment and show it; playing on restores the exact state first.
//! - [`fonts`] — a bundled CJK font registered as egui's fallback, so Chinese names render.
//!
//! Later panels (sensors, orders) are further plugins reading the same
//! resources ([`map_view::MapFrame`] for map ↔ world coordinates).
//!
//! Controls: drag (left or middle button) pans, the wheel zooms at the cursor, `F` fits
//! the district to the window, `Space` pauses/resumes, `.` steps one tick when paused.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::EguiPlugin;

use crate::engine::{EngineOptions, SimPlugin};
use crate::scenario::Scenario;

pub mod capture;
pub mod driver;
pub mod fonts;
pub mod forces_panel;
pub mod map_view;
pub mod network;
pub mod review;
pub use crate::report::terrain;
pub mod top_bar;
pub mod water;

/// Options of the interactive console that are not in the scenario.
#[derive(Debug, Clone)]
pub struct GuiOptions {
    /// Save a PNG of the window here once the map and UI have rendered and a few ticks
    /// have run, then exit (for CI and documentation).
    pub screenshot: Option<PathBuf>,
    /// Exit after this many frames whatever happens (a safety net so CI never hangs).
    /// With `screenshot` set, reaching the limit before the file is written is an error.
    pub exit_after_frames: Option<u32>,
    /// Initial speed: sim seconds per real second (×1 … ×600).
    pub speed: f64,
    /// Seed and threads, as for a headless run.
    pub engine: EngineOptions,
    /// Review this replay (its scenario and seed) instead of a fresh drill, opened at
    /// `review_at` (default: the start).
    pub replay: Option<PathBuf>,
    /// The moment to open the replay at, s.
    pub review_at: Option<f64>,
}

impl Default for GuiOptions {
    fn default() -> Self {
        Self {
            screenshot: None,
            exit_after_frames: None,
            speed: 60.0,
            engine: EngineOptions::default(),
            replay: None,
            review_at: None,
        }
    }
}

/// Why the console ended with an error (set by the plugins, read by [`run_gui`]).
#[derive(Resource, Clone, Default)]
pub struct GuiOutcome(pub Arc<Mutex<Option<String>>>);

impl GuiOutcome {
    /// Record an error (the first one wins).
    pub fn fail(&self, why: impl Into<String>) {
        if let Ok(mut g) = self.0.lock() {
            g.get_or_insert_with(|| why.into());
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut g| g.take())
    }
}

/// Open the console window on a checked scenario and run until the window is closed
/// (or the screenshot is written, or the frame limit is reached).
///
/// Needs a display (X11: `DISPLAY`; use `xvfb-run` on a machine without one) and a
/// Vulkan or OpenGL driver (Mesa's software `lavapipe` works without a GPU).
pub fn run_gui(scenario: Arc<Scenario>, opts: GuiOptions) -> Result<(), GuiError> {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Err(GuiError::NoDisplay);
    }
    if !(opts.speed.is_finite() && opts.speed > 0.0) {
        return Err(GuiError::Speed(opts.speed));
    }
    if let Some(p) = &opts.screenshot
        && !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        return Err(GuiError::ScreenshotNotPng(p.clone()));
    }
    let outcome = GuiOutcome::default();
    let title = format!("floodrill — {}", scenario.file.meta.name);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            resolution: WindowResolution::new(1280, 800),
            // The driver budgets its ticks per frame; vsync keeps an idle console cool.
            present_mode: PresentMode::AutoVsync,
            ..default()
        }),
        ..default()
    }))
    .add_plugins(SimPlugin::new(scenario, opts.engine.clone()))
    .insert_resource(outcome.clone())
    .add_plugins(GuiPlugin { opts });
    let exit = app.run();
    if let Some(why) = outcome.take() {
        return Err(GuiError::Failed(why));
    }
    match exit {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err(GuiError::Exit(code.get())),
    }
}

/// Why the console could not open or ended in failure.
#[derive(Debug, thiserror::Error)]
pub enum GuiError {
    /// No X display to open a window on.
    #[error(
        "no display: DISPLAY is not set (on a machine without a screen, run under \
         xvfb-run -a -s \"-screen 0 1280x800x24\")"
    )]
    NoDisplay,
    /// `--speed` is not a positive number.
    #[error("speed must be a positive number of sim seconds per real second, got {0}")]
    Speed(f64),
    /// `--screenshot` is not a .png path.
    #[error("the screenshot must be a .png file, got {}", .0.display())]
    ScreenshotNotPng(std::path::PathBuf),
    /// The console stopped on a failure it reported (a tick, a replay, a screenshot).
    #[error("{0}")]
    Failed(String),
    /// The app exited with an error code.
    #[error("the console exited with code {0}")]
    Exit(u8),
}

/// The console's plugins, on top of a windowed `App` that already has [`SimPlugin`].
pub struct GuiPlugin {
    /// Console options.
    pub opts: GuiOptions,
}

impl Plugin for GuiPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ClearColor(Color::srgb(0.12, 0.13, 0.15)))
            .init_resource::<GuiOutcome>()
            .add_plugins(EguiPlugin::default())
            .add_plugins((
                fonts::plugin,
                driver::SimDriverPlugin {
                    speed: self.opts.speed,
                },
                map_view::MapViewPlugin,
                top_bar::TopBarPlugin,
                water::WaterOverlayPlugin,
                network::NetworkLayerPlugin,
                forces_panel::ForcesPanelPlugin,
                capture::CapturePlugin {
                    screenshot: self.opts.screenshot.clone(),
                    exit_after_frames: self.opts.exit_after_frames,
                },
            ));
        if let Some(path) = &self.opts.replay {
            app.add_plugins(review::ReviewPlugin {
                path: path.clone(),
                at: self.opts.review_at,
            });
        }
    }
}
