//! The trainer's seat: the scenario's injects still to come, each with "fire now" and
//! "skip", the injects already applied, and ad-hoc injects — a levee breach or a
//! false rescue report placed on the map, a pump-station or robot failure, a road
//! collapse, a communication outage over picked zones.
//!
//! How it works: every action is submitted to the engine with origin "trainer", so it
//! is checked like a command-stream line, logged and recorded in the replay. "Fire
//! now" is a skip of the scheduled inject plus the same event now under the same id
//! (the scorecard still knows it); "skip" removes it from what is to come. The panel
//! is hidden in the trainee view.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::driver::{Console, LogCursor};
use super::lang::tr;
use super::layers::{Layers, MapTool, Tool};
use crate::engine::ScenarioRes;
use crate::exercise::commands::CommandKind;
use crate::exercise::log::{Origin, SimEvent};
use crate::scenario::format_clock;
use crate::scenario::schema::InjectEvent;
use crate::world::PlaceKind;

/// Adds the trainer panel.
pub struct TrainerPlugin;

impl Plugin for TrainerPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TrainerForm>().add_systems(
            EguiPrimaryContextPass,
            trainer_panel.in_set(super::side::UiOrder::Left1),
        );
    }
}

/// What is picked in the trainer panel.
#[derive(Resource, Debug, Clone)]
pub struct TrainerForm {
    /// Pump station or robot picked for a failure.
    pub unit: String,
    /// Failure duration, minutes (0: for the rest of the drill).
    pub fail_min: f64,
    /// Road picked for a collapse.
    pub road: String,
    /// Zones picked for an outage.
    pub zones: Vec<String>,
    /// Outage duration, minutes.
    pub outage_min: f64,
}

impl Default for TrainerForm {
    fn default() -> Self {
        Self {
            unit: String::new(),
            fail_min: 0.0,
            road: String::new(),
            zones: Vec::new(),
            outage_min: 30.0,
        }
    }
}

/// An inject event in a few words.
pub fn inject_kind(e: &InjectEvent) -> String {
    match e {
        InjectEvent::LeveeBreach { width_m, .. } => {
            tr(&format!("决口 levee breach {width_m:.0} m"))
        }
        InjectEvent::PumpFailure { unit, .. } => tr(&format!("故障 failure of {unit}")),
        InjectEvent::RoadCollapse { road } => tr(&format!("塌陷 road collapse {road}")),
        InjectEvent::CommOutage { zones, .. } => {
            tr(&format!("通信中断 outage {}", zones.join(", ")))
        }
        InjectEvent::RainCell { .. } => tr("雨团 extra rain cell"),
        InjectEvent::FalseReport { .. } => tr("虚假求救 false report"),
    }
}

/// The injects applied or skipped so far, in words, read from the log as it grows.
#[derive(Default)]
struct Applied {
    lines: Vec<String>,
    /// Where `lines` is in the log.
    read: LogCursor,
}

impl Applied {
    fn read(&mut self, console: &Console) {
        let (reset, new) = self.read.take(console);
        if reset {
            self.lines.clear();
        }
        for e in new {
            match &e.event {
                SimEvent::InjectApplied { id, event, .. } => self.lines.push(format!(
                    "{} {id} — {} ({})",
                    format_clock(e.t),
                    inject_kind(event),
                    e.origin
                )),
                SimEvent::InjectSkipped { id, .. } => self
                    .lines
                    .push(tr(&format!("{} {id} — 跳过 skipped", format_clock(e.t)))),
                _ => {}
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn trainer_panel(
    mut contexts: EguiContexts,
    mut marks: ResMut<super::side::UiMarks>,
    mut console: ResMut<Console>,
    scenario: Res<ScenarioRes>,
    layers: Res<Layers>,
    mut tool: ResMut<MapTool>,
    mut form: ResMut<TrainerForm>,
    mut applied: Local<Applied>,
) -> Result {
    applied.read(&console);
    if layers.trainee {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let Some(v) = console.view.clone() else {
        return Ok(());
    };
    let s = &scenario.0;
    let mut out: Vec<(CommandKind, Option<String>)> = Vec::new();
    let shown = super::side::section(
        ctx,
        super::side::Column::Left,
        tr("导调 trainer — 注入 injects"),
        true,
        |ui| {
            ui.label(RichText::new(tr("待发 to come")).strong());
            if v.pending_injects.is_empty() {
                ui.label(RichText::new(tr("无 none")).small());
            }
            egui::Grid::new("pending_injects")
                .striped(true)
                .show(ui, |ui| {
                    for p in &v.pending_injects {
                        ui.label(RichText::new(format_clock(p.t)).monospace());
                        ui.label(&p.id).on_hover_text(inject_kind(&p.event));
                        if ui.small_button(tr("▶ 现在 fire now")).clicked() {
                            out.push((CommandKind::Skip(p.id.clone()), None));
                            out.push((CommandKind::Inject(p.event.clone()), Some(p.id.clone())));
                        }
                        if ui.small_button(tr("✕ 跳过 skip")).clicked() {
                            out.push((CommandKind::Skip(p.id.clone()), None));
                        }
                        ui.end_row();
                    }
                });
            if !applied.lines.is_empty() {
                ui.separator();
                ui.label(RichText::new(tr("已发 applied")).strong());
                for a in applied.lines.iter().rev().take(6) {
                    ui.label(RichText::new(a).small());
                }
            }
            ui.separator();
            ui.label(RichText::new(tr("临时注入 ad-hoc")).strong());
            ui.horizontal(|ui| {
                ui.label(tr("宽 width m"));
                ui.add(egui::DragValue::new(&mut tool.breach_width_m).range(5.0..=500.0));
                ui.label(tr("历时 over min"));
                let mut min = tool.breach_over_s / 60.0;
                if ui
                    .add(egui::DragValue::new(&mut min).range(0.0..=240.0))
                    .changed()
                {
                    tool.breach_over_s = min * 60.0;
                }
            });
            ui.horizontal_wrapped(|ui| {
                let breach = ui
                    .selectable_label(
                        tool.tool == Tool::Breach,
                        tr("🌊 决口 levee breach (click map)"),
                    )
                    .on_hover_text(
                        "the crest is lowered to the lowest ground within 30 m of the point",
                    );
                marks.put("breach_button", breach.rect);
                if breach.clicked() {
                    tool.tool = Tool::Breach;
                }
                if ui
                    .selectable_label(tool.tool == Tool::FalseReport, tr("虚假求救 false report"))
                    .clicked()
                {
                    tool.tool = Tool::FalseReport;
                }
            });
            let units: Vec<String> = s
                .places
                .iter()
                .filter(|p| matches!(p.kind, PlaceKind::PumpStation))
                .map(|p| p.id.clone())
                .chain(s.file.forces.robots.iter().map(|r| r.id.clone()))
                .collect();
            if !units.is_empty() {
                ui.horizontal(|ui| {
                    pick(ui, "fail_unit", &mut form.unit, &units);
                    ui.add(
                        egui::DragValue::new(&mut form.fail_min)
                            .range(0.0..=1440.0)
                            .suffix(" min"),
                    )
                    .on_hover_text("0: for the rest of the drill");
                    if ui.button(tr("⚠ 故障 fail")).clicked() {
                        out.push((
                            CommandKind::Inject(InjectEvent::PumpFailure {
                                unit: form.unit.clone(),
                                duration: (form.fail_min > 0.0).then(|| {
                                    crate::scenario::Duration::from_secs(form.fail_min * 60.0)
                                }),
                            }),
                            None,
                        ));
                    }
                });
            }
            let roads: Vec<String> = s.roads.iter().map(|r| r.id.clone()).collect();
            if !roads.is_empty() {
                ui.horizontal(|ui| {
                    pick(ui, "collapse_road", &mut form.road, &roads);
                    if ui.button(tr("道路塌陷 collapse")).clicked() {
                        out.push((
                            CommandKind::Inject(InjectEvent::RoadCollapse {
                                road: form.road.clone(),
                            }),
                            None,
                        ));
                    }
                });
            }
            ui.horizontal_wrapped(|ui| {
                for z in &s.zones {
                    let mut on = form.zones.contains(&z.id);
                    if ui.checkbox(&mut on, &z.id).changed() {
                        if on {
                            form.zones.push(z.id.clone());
                        } else {
                            form.zones.retain(|x| x != &z.id);
                        }
                    }
                }
            });
            ui.horizontal(|ui| {
                ui.add(
                    egui::DragValue::new(&mut form.outage_min)
                        .range(1.0..=1440.0)
                        .suffix(" min"),
                );
                if ui
                    .add_enabled(
                        !form.zones.is_empty(),
                        egui::Button::new(tr("📵 通信中断 comm outage")),
                    )
                    .clicked()
                {
                    out.push((
                        CommandKind::Inject(InjectEvent::CommOutage {
                            zones: form.zones.clone(),
                            duration: crate::scenario::Duration::from_secs(form.outage_min * 60.0),
                        }),
                        None,
                    ));
                }
            });
        },
    );
    if let Some(r) = shown {
        marks.put("trainer", r);
    }
    for (kind, id) in out {
        console.submit_as(kind, Origin::Trainer, id);
    }
    Ok(())
}

fn pick(ui: &mut egui::Ui, id: &str, value: &mut String, options: &[String]) {
    if value.is_empty()
        && let Some(first) = options.first()
    {
        value.clone_from(first);
    }
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.clone())
        .width(120.0)
        .show_ui(ui, |ui| {
            for o in options {
                ui.selectable_value(value, o.clone(), o);
            }
        });
}
