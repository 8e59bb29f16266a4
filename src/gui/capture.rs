//! Screenshot mode and the frame limit, for CI and documentation.
//!
//! How it works: with a screenshot path, once the window has rendered
//! [`MIN_FRAMES`] frames (fonts loaded, terrain uploaded) and the simulation has run
//! [`MIN_TICKS`] ticks (or reached `--start-at`, or is paused, finished or stopped),
//! and [`SETTLE_FRAMES`] more frames have drawn that state, one [`Screenshot`] of the
//! primary window is requested; its observer writes the PNG and asks the app to exit.
//! With a frame limit, the app exits after that many frames whatever happens; if a
//! screenshot was asked for and is not written by then, that is an error
//! ([`GuiOutcome`]). Ctrl+Q ends the session at any time.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

use super::GuiOutcome;
use super::driver::Console;
use super::water::SimStatus;

/// Frames rendered before the screenshot is taken.
pub const MIN_FRAMES: u32 = 20;
/// Ticks run before the screenshot is taken (so the clock shows time advancing).
pub const MIN_TICKS: u64 = 3;
/// Frames drawn after the state is ready (overlays refreshed) before the shot.
pub const SETTLE_FRAMES: u32 = 12;

/// Adds screenshot mode and the frame limit.
pub struct CapturePlugin {
    /// Where to save the screenshot.
    pub screenshot: Option<PathBuf>,
    /// Exit after this many frames.
    pub exit_after_frames: Option<u32>,
}

/// The capture plan and its progress.
#[derive(Resource, Debug, Clone)]
struct CapturePlan {
    screenshot: Option<PathBuf>,
    exit_after_frames: Option<u32>,
    requested: bool,
    /// Frames drawn since the state became ready.
    settled: u32,
    /// Set by the screenshot's observer once the PNG is on disk.
    saved: Arc<AtomicBool>,
}

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, quit_on_ctrl_q);
        if self.screenshot.is_none() && self.exit_after_frames.is_none() {
            return;
        }
        app.insert_resource(CapturePlan {
            screenshot: self.screenshot.clone(),
            exit_after_frames: self.exit_after_frames,
            requested: false,
            settled: 0,
            saved: Arc::new(AtomicBool::new(false)),
        })
        .add_systems(Last, (request_screenshot, stop_at_frame_limit));
    }
}

fn quit_on_ctrl_q(keys: Res<ButtonInput<KeyCode>>, mut exit: MessageWriter<AppExit>) {
    if keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight])
        && keys.just_pressed(KeyCode::KeyQ)
    {
        exit.write(AppExit::Success);
    }
}

fn request_screenshot(
    mut commands: Commands,
    frames: Res<FrameCount>,
    console: Res<Console>,
    outcome: Res<GuiOutcome>,
    status: Res<SimStatus>,
    mut plan: ResMut<CapturePlan>,
) {
    let Some(path) = plan.screenshot.clone() else {
        return;
    };
    let Some(v) = &console.view else { return };
    let clock = v.clock;
    let sim_ready = v.run.fast_forward.is_none()
        && (clock.tick >= MIN_TICKS || v.run.paused || clock.finished() || v.run.failure.is_some());
    if plan.requested || frames.0 < MIN_FRAMES || !sim_ready {
        return;
    }
    plan.settled += 1;
    if plan.settled < SETTLE_FRAMES {
        return;
    }
    plan.requested = true;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        outcome.fail(format!("cannot create {}: {e}", dir.display()));
        commands.write_message(AppExit::error());
        return;
    }
    eprintln!(
        "floodrill gui: frame {}, sim T+{} (tick {}, ×{:.0} achieved, last tick {:.1} ms, {} wet cells on the map): taking a screenshot",
        frames.0,
        crate::scenario::format_clock(clock.t),
        clock.tick,
        v.run.achieved,
        v.run.last_tick_ms,
        status.wet_cells,
    );
    let outcome = outcome.clone();
    let saved_flag = plan.saved.clone();
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
            let saved = captured
                .image
                .clone()
                .try_into_dynamic()
                .map_err(|e| e.to_string())
                .and_then(|img| img.to_rgb8().save(&path).map_err(|e| e.to_string()));
            match saved {
                Ok(()) => {
                    saved_flag.store(true, Ordering::SeqCst);
                    eprintln!("floodrill gui: wrote {}", path.display());
                    exit.write(AppExit::Success);
                }
                Err(e) => {
                    outcome.fail(format!(
                        "cannot save the screenshot to {}: {e}",
                        path.display()
                    ));
                    exit.write(AppExit::error());
                }
            }
        },
    );
}

fn stop_at_frame_limit(
    frames: Res<FrameCount>,
    plan: Res<CapturePlan>,
    outcome: Res<GuiOutcome>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(limit) = plan.exit_after_frames else {
        return;
    };
    if frames.0 < limit {
        return;
    }
    if plan.screenshot.is_some() && !plan.saved.load(Ordering::SeqCst) {
        outcome.fail(format!(
            "no screenshot written after {limit} frames{}",
            if plan.requested {
                " (requested, not yet captured)"
            } else {
                ""
            }
        ));
        exit.write(AppExit::error());
    } else {
        exit.write(AppExit::Success);
    }
}
