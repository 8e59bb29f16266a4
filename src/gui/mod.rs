//! The trainer console (feature `gui`): one window with the district map, the live
//! layers, the trainee's orders, the trainer's injects, the timeline and charts, and
//! replay review — on the same engine API as plan rules and command streams.
//!
//! How it works: the drill runs on a worker thread ([`crate::live::LiveSim`]); the
//! window never touches the simulation and never waits for a tick. [`run_gui`] starts
//! the worker, then builds a Bevy `App` with the windowing and rendering plugins and
//! [`GuiPlugin`], which composes one plugin per concern:
//!
//! - [`driver::SimDriverPlugin`] — each frame takes the newest view, new log entries
//!   and the answers to orders from the worker, and sends the panels' controls.
//! - [`map_view::MapViewPlugin`] — the district terrain (hillshade × land-use colour) as
//!   a sprite in map metres, a 2D camera with pan (drag) and zoom (wheel).
//! - [`top_bar::TopBarPlugin`] — scenario name, sim clock and date-time, speed (×1 …
//!   ×600, as fast as possible), pause, step, status, recording, trainer/trainee view.
//! - [`water::WaterOverlayPlugin`] — water depth or AIDR hazard class over the terrain.
//! - [`layers::LayersPlugin`] — households as dots coloured by state, routes and
//!   tracks, rescue requests, shelters with occupancy; clicks on the map (select,
//!   dispatch, place an inject, inspect).
//! - [`network::NetworkLayerPlugin`] — the drainage network: pipes by flow ÷ capacity,
//!   pumps running / off / failed, surcharged and flooding manholes (`N`).
//! - [`forces_panel::ForcesPanelPlugin`] — unit markers, and the trainee's panel: units,
//!   scorecard with evidence, orders (dispatch, recall, pre-position, warn, shelters,
//!   roads, rescue dispatch).
//! - [`trainer::TrainerPlugin`] — the scenario's injects with "fire now" and "skip",
//!   and ad-hoc injects.
//! - [`timeline::TimelinePlugin`] — events you can click (in review: seek there),
//!   charts, the answers to orders.
//! - [`situation::SituationPlugin`] — zones by status, roads by passability, the
//!   sensors with their readings and series.
//! - [`review::ReviewPlugin`] (with `--replay FILE`) — the scrubber, jumps, branch.
//! - [`marks::MarksPlugin`] — where each panel and unit is on screen (`--ui-marks`,
//!   for scripted tests), frame-time statistics (`--frame-stats`).
//! - [`capture::CapturePlugin`] — the screenshot (`--screenshot`), the frame limit,
//!   Ctrl+Q.
//! - [`fonts`] — a bundled CJK font registered as egui's fallback, so Chinese names render.
//!
//! Controls: drag pans, the wheel zooms at the cursor, `F` fits the district, `Space`
//! pauses/resumes, `.` steps one tick when paused, `Esc` drops the selection, `N`
//! shows/hides the network, Ctrl+Q ends the session (the replay is closed and
//! `events.jsonl`, `scorecard.json` written).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::EguiPlugin;

use crate::engine::{EngineOptions, ScenarioRes};
use crate::live::{LiveOptions, LiveSim};
use crate::scenario::Scenario;

pub mod capture;
pub mod driver;
pub mod fonts;
pub mod forces_panel;
pub mod lang;
pub mod layers;
pub mod map_view;
pub mod marks;
pub mod network;
pub mod review;
pub mod side;
pub mod situation;
pub use crate::report::terrain;
pub mod timeline;
pub mod top_bar;
pub mod trainer;
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
    /// Record the session here (`drill.replay`, `events.jsonl`, `scorecard.json`).
    pub out: Option<PathBuf>,
    /// Run as fast as possible to this moment first, s.
    pub start_at: Option<f64>,
    /// Start paused.
    pub paused: bool,
    /// Start in the trainee view (for a projector in the trainees' room).
    pub trainee: bool,
    /// Select this unit at the start.
    pub select: Option<String>,
    /// Show the hazard classes instead of depths at the start.
    pub hazard: bool,
    /// UI scale (1: normal; 1.5 for a projector).
    pub scale: f32,
    /// Language at the start (the top bar switches it).
    pub lang: lang::Lang,
    /// Write where panels and units are on screen to this JSON file (for scripts).
    pub ui_marks: Option<PathBuf>,
    /// Write frame-time statistics to this JSON file.
    pub frame_stats: Option<PathBuf>,
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
            out: None,
            start_at: None,
            paused: false,
            trainee: false,
            select: None,
            hazard: false,
            scale: 1.0,
            lang: lang::Lang::Both,
            ui_marks: None,
            frame_stats: None,
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
    if !(opts.scale.is_finite() && (0.5..=4.0).contains(&opts.scale)) {
        return Err(GuiError::Scale(opts.scale));
    }
    lang::set(opts.lang);
    let review = match &opts.replay {
        Some(p) => Some(review_info(p)?),
        None => None,
    };
    let live = LiveSim::start(
        scenario.clone(),
        LiveOptions {
            engine: opts.engine.clone(),
            speed: opts.speed,
            paused: opts.paused,
            out: opts.out.clone(),
            replay: opts.replay.clone(),
            review_at: opts.review_at,
            start_at: opts.start_at,
            // The window's frames come first; the drill takes what is left.
            background: true,
            ..LiveOptions::default()
        },
    )
    .map_err(|e| GuiError::Failed(e.to_string()))?;
    let outcome = GuiOutcome::default();
    let title = format!("floodrill — {}", scenario.file.meta.name);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            resolution: WindowResolution::new(1280, 800),
            // The worker runs the drill; vsync keeps an idle console cool.
            present_mode: PresentMode::AutoVsync,
            ..default()
        }),
        ..default()
    }))
    .insert_resource(ScenarioRes(scenario))
    .insert_resource(driver::Worker(Mutex::new(Some(live))))
    .insert_resource(outcome.clone())
    .add_plugins(GuiPlugin { opts, review });
    let exit = app.run();
    let live = app
        .world_mut()
        .remove_resource::<driver::Worker>()
        .and_then(|w| w.0.into_inner().ok().flatten());
    if let Some(live) = live {
        match live.finish() {
            Ok(closed) => {
                for f in &closed.files {
                    eprintln!("floodrill gui: wrote {}", f.display());
                }
            }
            Err(e) => outcome.fail(e.to_string()),
        }
    }
    if let Some(why) = outcome.take() {
        return Err(GuiError::Failed(why));
    }
    match exit {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err(GuiError::Exit(code.get())),
    }
}

/// What the review window shows of a replay: its end and its views and keyframes.
fn review_info(path: &std::path::Path) -> Result<(f64, (usize, usize)), GuiError> {
    let r = crate::replay::read_indexed(path)
        .and_then(|r| match r {
            Some(r) => Ok(r),
            None => crate::replay::read(path),
        })
        .map_err(|e| GuiError::Failed(e.to_string()))?;
    let end = r
        .end
        .as_ref()
        .map(|e| e.t)
        .or_else(|| r.states.last().map(|s| s.t))
        .unwrap_or(0.0);
    let views = r.states.iter().filter(|s| s.view).count();
    Ok((end, (views, r.states.len() - views)))
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
    /// `--scale` is out of range.
    #[error("the UI scale must be between 0.5 and 4, got {0}")]
    Scale(f32),
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

/// The console's plugins, on top of a windowed `App` that has [`ScenarioRes`] and the
/// worker ([`driver::Worker`]).
pub struct GuiPlugin {
    /// Console options.
    pub opts: GuiOptions,
    /// The replay under review: its end and (views, keyframes).
    pub review: Option<(f64, (usize, usize))>,
}

impl Plugin for GuiPlugin {
    fn build(&self, app: &mut App) {
        let o = &self.opts;
        use side::UiOrder as U;
        app.configure_sets(
            bevy_egui::EguiPrimaryContextPass,
            (
                U::Top,
                U::Left1,
                U::Left2,
                U::Left3,
                U::Left4,
                U::Left5,
                U::Right1,
                U::Right2,
                U::Float,
            )
                .chain(),
        );
        app.insert_resource(ClearColor(Color::srgb(0.12, 0.13, 0.15)))
            .init_resource::<GuiOutcome>()
            .insert_resource(layers::Layers {
                trainee: o.trainee,
                ..Default::default()
            })
            .insert_resource(marks::Scale(o.scale))
            .add_plugins(EguiPlugin::default())
            .add_plugins((
                fonts::plugin,
                driver::SimDriverPlugin,
                map_view::MapViewPlugin,
                top_bar::TopBarPlugin,
                water::WaterOverlayPlugin { hazard: o.hazard },
                layers::LayersPlugin {
                    select: o.select.clone(),
                },
                network::NetworkLayerPlugin,
                forces_panel::ForcesPanelPlugin,
                trainer::TrainerPlugin,
                timeline::TimelinePlugin,
                situation::SituationPlugin,
                marks::MarksPlugin {
                    ui_marks: o.ui_marks.clone(),
                    frame_stats: o.frame_stats.clone(),
                },
                capture::CapturePlugin {
                    screenshot: o.screenshot.clone(),
                    exit_after_frames: o.exit_after_frames,
                },
            ));
        if let (Some(path), Some((end, records))) = (&o.replay, self.review) {
            app.add_plugins(review::ReviewPlugin {
                path: path.clone(),
                end,
                records,
                at: o.review_at.unwrap_or(0.0).clamp(0.0, end),
            });
        }
    }
}
