//! Replay review (`gui --replay FILE`): the console opens a recorded drill and a
//! review window scrubs it. Moving the time slider (or a jump button, or a click on
//! an event in the timeline) seeks: the worker restores the recorded view at or
//! before the moment (every snapshot interval: the water to the millimetre, units,
//! households, log and scorecard exact), so the map, units, households and live
//! scorecard show that moment at once. Playing on from there first restores the exact
//! state (the keyframe before the moment, re-simulated to it); the drill then runs
//! with the recorded orders and injects, exactly as recorded, at any speed. "Branch
//! from here" continues live from the current moment into a new replay that names its
//! parent: the recorded orders after it give way to the trainees'.
//!
//! Seeking is the replay's own [`crate::engine::restore_world`] and
//! [`crate::engine::run_tick`], done by the worker ([`crate::live`]): the console
//! still never computes anything a headless run would not.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::driver::Console;
use super::lang::tr;
use crate::live::Control;
use crate::scenario::format_clock;

/// The replay under review (what the window knows of it).
#[derive(Resource, Debug, Clone)]
pub struct Review {
    /// The file.
    pub path: PathBuf,
    /// The last moment it holds, s.
    pub end: f64,
    /// Recorded views and keyframes.
    pub records: (usize, usize),
    /// The slider's moment, s.
    pub target: f64,
}

/// Adds the review window (with `--replay FILE`).
pub struct ReviewPlugin {
    /// The replay file.
    pub path: PathBuf,
    /// Its end, s.
    pub end: f64,
    /// Views and keyframes it holds.
    pub records: (usize, usize),
    /// Where it opens, s.
    pub at: f64,
}

impl Plugin for ReviewPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Review {
            path: self.path.clone(),
            end: self.end,
            records: self.records,
            target: self.at,
        })
        .add_systems(
            EguiPrimaryContextPass,
            review_window.in_set(super::side::UiOrder::Float),
        );
    }
}

fn review_window(
    mut contexts: EguiContexts,
    mut marks: ResMut<super::side::UiMarks>,
    review: Option<ResMut<Review>>,
    mut console: ResMut<Console>,
) -> Result {
    let Some(mut review) = review else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let Some(v) = console.view.clone() else {
        return Ok(());
    };
    let branched = v.run.reviewing.is_none();
    let shown = egui::Window::new(tr("复盘 review"))
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
                    review.records.0,
                    review.records.1,
                    format_clock(review.end)
                ))
                .monospace(),
            );
            if branched {
                ui.label(
                    RichText::new(tr(&format!(
                        "⑂ 分支 branched: live from here, recording {}",
                        v.run
                            .recording
                            .as_ref()
                            .map_or(String::new(), |p| p.display().to_string())
                    )))
                    .strong(),
                );
                return;
            }
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
                console.send(Control::Seek(target));
            }
            ui.horizontal(|ui| {
                let step = 600.0;
                let now = v.clock.t;
                let jump = |to: f64, console: &mut Console, review: &mut Review| {
                    review.target = to.clamp(0.0, end);
                    console.send(Control::Seek(review.target));
                };
                if ui.button(tr("⏮ 开始 start")).clicked() {
                    jump(0.0, &mut console, &mut review);
                }
                if ui.button("−10 min").clicked() {
                    jump(now - step, &mut console, &mut review);
                }
                if ui.button("+10 min").clicked() {
                    jump(now + step, &mut console, &mut review);
                }
                if ui.button(tr("结束 end ⏭")).clicked() {
                    jump(end, &mut console, &mut review);
                }
                ui.separator();
                if ui
                    .button(tr("⑂ 从此分支 branch from here"))
                    .on_hover_text(
                        "continue live from this moment into a new replay that names this one",
                    )
                    .clicked()
                {
                    console.send(Control::Branch);
                }
            });
            ui.label(
                RichText::new(format!(
                    "at {}{}",
                    format_clock(v.clock.t),
                    if v.is_view {
                        " (recorded view; ▶ restores the exact state first)"
                    } else {
                        ""
                    }
                ))
                .small(),
            );
        });
    if let Some(s) = &shown {
        marks.put("review", s.response.rect);
    }
    Ok(())
}
