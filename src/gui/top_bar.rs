//! The top bar: which drill, what time it is, how fast it runs.
//!
//! Shows the scenario name, the sim clock (`T+H:MM:SS` since the start, of the drill's
//! duration, and the wall-clock date-time in the drill: start + t), the speed selector
//! (×1 … ×600, and as fast as possible), pause/resume, single step, the speed achieved,
//! a compact status from [`SimStatus`] (rain now at the district centre, households
//! sheltered / moving / trapped), whether the session is recorded, and the trainer /
//! trainee view switch. It only sends controls to the worker.
//!
//! Keys (when no text field has focus): `Space` pauses/resumes, `.` steps one tick.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::driver::{Console, SPEEDS};
use super::lang::tr;
use super::map_view::ScreenInsets;
use super::water::SimStatus;
use crate::engine::ScenarioRes;
use crate::live::Control;
use crate::scenario::format_clock;

/// Adds the top bar.
pub struct TopBarPlugin;

impl Plugin for TopBarPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            EguiPrimaryContextPass,
            top_bar.in_set(super::side::UiOrder::Top),
        );
    }
}

/// `×60` for 60, `×0.5` for 0.5, `max` for as fast as possible.
fn speed_label(speed: f64) -> String {
    if speed.is_infinite() {
        "max".into()
    } else if speed.fract() == 0.0 {
        format!("×{speed:.0}")
    } else {
        format!("×{speed}")
    }
}

/// The drill's local date-time at sim time `t` seconds.
pub fn drill_datetime(start: chrono::NaiveDateTime, t: f64) -> chrono::NaiveDateTime {
    start + chrono::TimeDelta::milliseconds((t * 1000.0).round() as i64)
}

/// Rain at the district centre and households safe / staying in / moving / waiting /
/// trapped.
fn status_label(ui: &mut egui::Ui, status: &SimStatus) {
    let mut shown = false;
    if let Some(rain) = status.rain_mm_h {
        ui.label(RichText::new(tr(&format!("雨 {rain:.1} mm/h"))).monospace())
            .on_hover_text(tr("雨强 rain intensity at the district centre, now"));
        shown = true;
    }
    if let Some([safe, inside, moving, waiting, trapped]) = status.households {
        let trapped_text = RichText::new(tr(&format!("困 trapped {trapped}"))).monospace();
        let trapped_text = if trapped > 0 {
            trapped_text.color(Color32::from_rgb(230, 80, 70))
        } else {
            trapped_text
        };
        ui.label(
            RichText::new(tr(&format!(
                "户 households: 安置 safe {safe} · 避险 inside {inside} · 转移 moving {moving} · 等待 waiting {waiting}"
            )))
            .monospace(),
        )
        .on_hover_text(
            "households: safe away from home (shelter, assembly point, left the district) · \
             staying in upstairs or in a refuge · on the road · waiting for a way on",
        );
        ui.label(trapped_text)
            .on_hover_text("households trapped by the water");
        shown = true;
    }
    if shown {
        ui.separator();
    }
}

fn top_bar(
    mut contexts: EguiContexts,
    scenario: Res<ScenarioRes>,
    mut console: ResMut<Console>,
    mut insets: ResMut<ScreenInsets>,
    status: Res<SimStatus>,
    mut layers: ResMut<super::layers::Layers>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let s = &scenario.0;
    let Some(view) = console.view.clone() else {
        return Ok(());
    };
    let clock = view.clock;
    let run = &view.run;
    let finished = clock.finished();
    let can_run = run.failure.is_none() && !finished;

    if !ctx.egui_wants_keyboard_input() {
        let (space, dot) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::Space),
                i.key_pressed(egui::Key::Period),
            )
        });
        if space && can_run {
            console.send(Control::Pause(!run.paused));
        }
        if dot && run.paused {
            console.send(Control::Step);
        }
    }

    let mut root = egui::Ui::new(
        ctx.clone(),
        "floodrill_root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.content_rect()),
    );
    let bar = egui::Panel::top("top_bar").show(&mut root, |ui| {
        ui.add_space(2.0);
        // Wraps onto a second row when the window is too narrow for everything.
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&s.file.meta.name).strong().size(18.0))
                .on_hover_text(&s.file.meta.description);
            ui.separator();

            let now = drill_datetime(s.start, clock.t);
            ui.label(
                RichText::new(format!("T+{}", format_clock(clock.t)))
                    .monospace()
                    .size(17.0)
                    .color(ui.visuals().strong_text_color()),
            )
            .on_hover_text(format!("tick {} · Δt {} s", clock.tick, clock.dt));
            ui.label(RichText::new(format!("/ {}", format_clock(clock.end))).monospace());
            ui.label(RichText::new(now.format("%Y-%m-%d %H:%M:%S").to_string()).monospace())
                .on_hover_text(tr("演练时间 drill time (start + T)"));
            ui.separator();

            ui.label(tr("速度 speed"));
            let mut speed = run.speed;
            for v in SPEEDS {
                ui.selectable_value(&mut speed, v, speed_label(v))
                    .on_hover_text(if v.is_infinite() {
                        tr("尽快 as fast as the machine can")
                    } else {
                        format!("{v} sim seconds per real second")
                    });
            }
            if speed != run.speed {
                console.send(Control::Speed(speed));
            }
            ui.separator();

            let (icon, what) = if run.paused {
                (tr("▶ 继续 resume"), "Space")
            } else {
                (tr("⏸ 暂停 pause"), "Space")
            };
            if ui
                .add_enabled(
                    can_run && !view.is_view || run.paused,
                    egui::Button::new(icon),
                )
                .on_hover_text(what)
                .clicked()
                && can_run
            {
                console.send(Control::Pause(!run.paused));
            }
            if ui
                .add_enabled(
                    can_run && run.paused && !view.is_view,
                    egui::Button::new(tr("⏭ 单步 step")),
                )
                .on_hover_text("One tick (.)")
                .clicked()
            {
                console.send(Control::Step);
            }
            ui.separator();

            // The trainees know the rain (gauges), not every household's state.
            if layers.trainee {
                status_label(
                    ui,
                    &SimStatus {
                        households: None,
                        ..*status
                    },
                );
            } else {
                status_label(ui, &status);
            }

            if let Some(f) = &run.failure {
                ui.colored_label(Color32::from_rgb(230, 80, 70), tr("✖ 模拟中止 stopped"))
                    .on_hover_text(f.as_str());
            } else if finished {
                ui.label(tr("演练结束 finished"));
            } else if run.paused {
                ui.label(tr("已暂停 paused"));
            } else {
                let achieved = RichText::new(tr(&format!(
                    "实际 achieved {}",
                    speed_label(run.achieved.round())
                )));
                let achieved = if run.behind {
                    achieved.color(Color32::from_rgb(230, 160, 60))
                } else {
                    achieved
                };
                ui.label(achieved).on_hover_text(format!(
                    "speed achieved; last tick {:.1} ms{}",
                    run.last_tick_ms,
                    if run.behind {
                        " — the machine cannot keep up, ticks dropped"
                    } else {
                        ""
                    }
                ));
            }
            ui.separator();
            match &run.recording {
                Some(p) => ui
                    .colored_label(Color32::from_rgb(220, 60, 60), tr("● 录制 REC recording"))
                    .on_hover_text(format!("recording {}", p.display())),
                None if run.reviewing.is_some() => ui.label(tr("复盘 review")),
                None => ui
                    .label(tr("未录制 not recording"))
                    .on_hover_text("start with --out DIR to record the session"),
            };
            ui.separator();
            let seat = if layers.trainee {
                tr("学员视图 trainee view")
            } else {
                tr("导调视图 trainer view")
            };
            let mut lang = super::lang::get();
            egui::ComboBox::from_id_salt("language")
                .selected_text(lang.label())
                .show_ui(ui, |ui| {
                    for l in super::lang::Lang::ALL {
                        ui.selectable_value(&mut lang, l, l.label());
                    }
                })
                .response
                .on_hover_text("语言 language");
            if lang != super::lang::get() {
                super::lang::set(lang);
            }
            if ui
                .selectable_label(layers.trainee, seat)
                .on_hover_text(
                    "T: the trainees see only what they would know (sensors, reports, units)",
                )
                .clicked()
            {
                layers.trainee = !layers.trainee;
            }
        });
        ui.add_space(2.0);
    });
    ctx.data_mut(|d| d.insert_temp(super::side::top_id(), bar.response.rect.bottom()));
    let top = bar.response.rect.height() * ctx.zoom_factor();
    if insets.top != top {
        insets.top = top;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drill_time_is_start_plus_t() {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 7, 15)
            .and_then(|d| d.and_hms_opt(14, 0, 0))
            .expect("valid date");
        let t = drill_datetime(start, 3725.0);
        assert_eq!(
            t.format("%Y-%m-%d %H:%M:%S").to_string(),
            "2026-07-15 15:02:05"
        );
    }

    #[test]
    fn speed_labels() {
        assert_eq!(speed_label(60.0), "×60");
        assert_eq!(speed_label(0.5), "×0.5");
    }
}
