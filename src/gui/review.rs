//! Replay review (`gui --replay FILE`): the console opens a recorded drill and a
//! review window scrubs it. Moving the time slider (or a jump button) seeks: the
//! recorded view at or before the moment (every snapshot interval: the water to the
//! millimetre, units, households, log and scorecard exact) is restored, so the map,
//! units, households and live scorecard show that moment at once. Playing on from
//! there first restores the exact state (the keyframe before the moment, re-simulated
//! to it); the drill then runs with the recorded orders and injects, exactly as
//! recorded.
//!
//! Seeking is the replay's own [`crate::engine::restore_world`] and
//! [`crate::engine::run_tick`]: the console still never computes anything a headless
//! run would not.

use std::path::PathBuf;
use std::time::Instant;

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::GuiOutcome;
use super::driver::SimDriver;
use crate::exercise::SimClock;
use crate::replay::Replay;
use crate::scenario::format_clock;

/// The replay under review.
#[derive(Resource)]
pub struct Review {
    /// The file.
    pub path: PathBuf,
    /// Its header, end and state index.
    pub replay: Replay,
    /// The last moment it holds, s.
    pub end: f64,
    /// The slider's moment, s.
    pub target: f64,
    /// A seek asked for and not yet done.
    pub pending: Option<f64>,
    /// What the last seek did.
    pub last: Option<String>,
}

/// Adds replay review to the console.
pub struct ReviewPlugin {
    /// The replay file.
    pub path: PathBuf,
    /// Open it at this moment (default: the start).
    pub at: Option<f64>,
}

impl Plugin for ReviewPlugin {
    fn build(&self, app: &mut App) {
        let opened = crate::replay::read_indexed(&self.path)
            .and_then(|r| match r {
                Some(r) => Ok(r),
                None => crate::replay::read(&self.path),
            })
            .map_err(|e| e.to_string())
            .and_then(|r| {
                if r.states.is_empty() {
                    Err(format!(
                        "{}: the replay holds no full states (format version 1); run the drill again to record one that can be reviewed",
                        self.path.display()
                    ))
                } else {
                    Ok(r)
                }
            });
        let r = match opened {
            Ok(r) => r,
            Err(e) => {
                app.world().resource::<GuiOutcome>().fail(e);
                return;
            }
        };
        let end = r
            .end
            .as_ref()
            .map(|e| e.t)
            .or_else(|| r.states.last().map(|s| s.t))
            .unwrap_or(0.0);
        let at = self.at.unwrap_or(0.0).clamp(0.0, end);
        app.insert_resource(Review {
            path: self.path.clone(),
            replay: r,
            end,
            target: at,
            pending: Some(at),
            last: None,
        })
        .add_systems(Update, apply_seek.before(super::driver::drive_simulation))
        .add_systems(EguiPrimaryContextPass, review_window);
    }
}

/// Why a seek in the review window failed.
#[derive(Debug, thiserror::Error)]
enum SeekError {
    /// The replay holds no full state that early.
    #[error("no full state at or before {}", format_clock(*.0))]
    NoState(f64),
    /// The state could not be read from the replay.
    #[error(transparent)]
    Replay(#[from] crate::replay::ReplayError),
    /// The state does not fit this scenario.
    #[error(transparent)]
    Restore(#[from] crate::engine::StateError),
    /// Re-simulating to the moment failed.
    #[error(transparent)]
    Tick(#[from] crate::engine::TickFailure),
}

/// Restore the recorded view at or before the moment asked for (see
/// [`crate::replay::Replay::load_view`]).
fn seek_view(world: &mut World, t: f64) -> Result<String, SeekError> {
    let started = Instant::now();
    let st = {
        let review = world.resource::<Review>();
        let k = review.replay.view_before(t).ok_or(SeekError::NoState(t))?;
        review.replay.load_view(k)?
    };
    crate::engine::restore_world(world, &st)?;
    Ok(format!(
        "{} in {:.2} s (recorded view: the water to the millimetre; ▶ restores the exact state first)",
        format_clock(st.t),
        started.elapsed().as_secs_f64(),
    ))
}

/// Restore the nearest exact state and re-simulate to the moment asked for.
fn seek(world: &mut World, t: f64) -> Result<String, SeekError> {
    let started = Instant::now();
    let st = {
        let review = world.resource::<Review>();
        let k = review.replay.state_before(t).ok_or(SeekError::NoState(t))?;
        review.replay.load_state(k)?
    };
    crate::engine::restore_world(world, &st)?;
    let restored = started.elapsed().as_secs_f64();
    while world.resource::<SimClock>().t < t - 1e-9 && !world.resource::<SimClock>().finished() {
        crate::engine::run_tick(world)?;
    }
    Ok(format!(
        "{} in {:.2} s (state at {} restored in {:.2} s, {} re-simulated)",
        format_clock(world.resource::<SimClock>().t),
        started.elapsed().as_secs_f64(),
        format_clock(st.t),
        restored,
        format_clock(t - st.t)
    ))
}

fn apply_seek(world: &mut World) {
    // Playing on from a view: the exact state first.
    let view_at = world
        .get_resource::<crate::engine::RestoredView>()
        .and_then(|v| v.0);
    if let Some(t) = view_at
        && !world.resource::<SimDriver>().paused
    {
        let outcome = seek(world, t);
        let failed = outcome.is_err();
        let text = outcome.unwrap_or_else(|e| format!("exact seek failed: {e}"));
        world.resource_mut::<Review>().last = Some(text);
        if failed {
            let mut driver = world.resource_mut::<SimDriver>();
            driver.paused = true;
            driver.failure = Some("the replay could not be restored".into());
        }
        return;
    }
    let Some(t) = world.resource_mut::<Review>().pending.take() else {
        return;
    };
    let outcome = seek_view(world, t);
    let failed = outcome.is_err();
    let text = outcome.unwrap_or_else(|e| format!("seek failed: {e}"));
    world.resource_mut::<Review>().last = Some(text);
    let mut driver = world.resource_mut::<SimDriver>();
    driver.paused = true;
    if failed {
        driver.failure = Some("the replay could not be restored".into());
    }
}

fn review_window(
    mut contexts: EguiContexts,
    mut review: ResMut<Review>,
    clock: Res<SimClock>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    egui::Window::new("复盘 review")
        .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -8.0])
        .resizable(false)
        .collapsible(true)
        .default_width(560.0)
        .show(ctx, |ui| {
            let name = review
                .path
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned());
            ui.label(
                RichText::new(format!(
                    "{name} · {} views, {} keyframes · 0:00:00 – {}",
                    review.replay.states.iter().filter(|s| s.view).count(),
                    review.replay.states.iter().filter(|s| !s.view).count(),
                    format_clock(review.end)
                ))
                .monospace(),
            );
            let end = review.end;
            let mut target = review.target;
            let label = format!("→ {}", format_clock(target));
            ui.spacing_mut().slider_width = 440.0;
            let slider = ui.add(
                egui::Slider::new(&mut target, 0.0..=end)
                    .show_value(false)
                    .text(label),
            );
            review.target = target;
            if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
                review.pending = Some(target);
            }
            ui.horizontal(|ui| {
                let step = 600.0;
                if ui.button("⏮ 开始 start").clicked() {
                    review.target = 0.0;
                    review.pending = Some(0.0);
                }
                if ui.button("−10 min").clicked() {
                    review.target = (clock.t - step).max(0.0);
                    review.pending = Some(review.target);
                }
                if ui.button("+10 min").clicked() {
                    review.target = (clock.t + step).min(end);
                    review.pending = Some(review.target);
                }
                if ui.button("结束 end ⏭").clicked() {
                    review.target = end;
                    review.pending = Some(end);
                }
            });
            if let Some(last) = &review.last {
                ui.label(RichText::new(format!("at {last}")).small());
            }
        });
    Ok(())
}
