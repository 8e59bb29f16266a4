//! The forces on the map and the trainee's seat: every team and robot as a coloured
//! marker that follows the simulation, and a panel with each unit's state, crew,
//! aboard and what it is doing, the rescue backlog, the live four-in-place scorecard
//! (each criterion's evidence one click away), and the orders a trainee gives.
//!
//! How it works: one sprite per unit at [`Z_UNITS`] (above the water), moved every
//! frame to the unit's position in the newest view; colours match the report's track
//! map. Selecting a unit (in the list or on the map) draws its route and arms "click
//! the map to send it"; the panel's buttons recall it or pre-position it at a post.
//! Below: warn zones on a channel with an action (evacuate, shelter in place,
//! prepare), open or close a shelter, close a road, and send the nearest free teams to
//! the waiting rescue requests. Every order is submitted to the engine with origin
//! "trainee" (checked like a command-stream line; a refused order comes back saying
//! why), so it is logged and recorded in the replay.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::driver::Console;
use super::lang::tr;
use super::layers::{MapTool, Tool};
use super::map_view::MapFrame;
use super::water::Z_WATER;
use crate::engine::ScenarioRes;
use crate::exercise::commands::CommandKind;
use crate::exercise::log::Origin;
use crate::report::maps::TRACK_RGBA;
use crate::scenario::schema::{Order, WarnAction};
use crate::world::PlaceKind;

/// Z of the unit markers (above the water overlay).
pub const Z_UNITS: f32 = Z_WATER + 1.0;

/// Marker side, metres (world units).
const MARKER_M: f32 = 24.0;

/// A unit's marker: index into teams (then robots).
#[derive(Component, Debug, Clone, Copy)]
pub struct UnitMarker(pub usize);

/// The trainee's order form (what is picked in the panel).
#[derive(Resource, Debug, Clone, Default)]
pub struct OrderForm {
    /// Zones ticked for a warning.
    pub zones: Vec<String>,
    /// Channel for the warning.
    pub channel: String,
    /// What the warning tells residents (index into the actions offered).
    pub action: usize,
    /// Shelter picked.
    pub shelter: String,
    /// Road picked.
    pub road: String,
    /// Post picked for pre-positioning.
    pub post: String,
    /// The criterion whose evidence is open.
    pub evidence: Option<usize>,
}

/// Adds the unit markers and the drill panel.
pub struct ForcesPanelPlugin;

impl Plugin for ForcesPanelPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<OrderForm>()
            .add_systems(Startup, spawn_markers)
            .add_systems(Update, move_markers)
            .add_systems(
                EguiPrimaryContextPass,
                panel.in_set(super::side::UiOrder::Right1),
            );
    }
}

fn colour(k: usize) -> [u8; 4] {
    TRACK_RGBA[k % TRACK_RGBA.len()]
}

fn spawn_markers(mut commands: Commands, scenario: Res<ScenarioRes>) {
    let f = &scenario.0.file.forces;
    for k in 0..f.teams.len() + f.robots.len() {
        let c = colour(k);
        commands.spawn((
            Sprite {
                color: Color::srgb_u8(c[0], c[1], c[2]),
                custom_size: Some(Vec2::splat(MARKER_M)),
                ..default()
            },
            Transform::from_xyz(0.0, 0.0, Z_UNITS),
            UnitMarker(k),
        ));
    }
}

fn move_markers(
    console: Res<Console>,
    frame: Res<MapFrame>,
    mut q: Query<(&UnitMarker, &mut Transform)>,
) {
    let Some(v) = &console.view else { return };
    for (m, mut tr) in &mut q {
        let Some(u) = v.units.get(m.0) else { continue };
        if u.pos.0.is_finite() && u.pos.1.is_finite() {
            let w = frame.to_world(u.pos.0, u.pos.1);
            tr.translation.x = w.x;
            tr.translation.y = w.y;
        }
    }
}

const ACTIONS: [(WarnAction, &str); 3] = [
    (WarnAction::Evacuate, "转移 evacuate"),
    (WarnAction::ShelterInPlace, "就地避险 shelter in place"),
    (WarnAction::Prepare, "准备 prepare"),
];

fn combo(ui: &mut egui::Ui, id: &str, value: &mut String, options: &[String]) {
    if value.is_empty()
        && let Some(first) = options.first()
    {
        value.clone_from(first);
    }
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.clone())
        .width(150.0)
        .show_ui(ui, |ui| {
            for o in options {
                ui.selectable_value(value, o.clone(), o);
            }
        });
}

fn scorecard_ui(ui: &mut egui::Ui, card: &crate::scoring::Scorecard, form: &mut OrderForm) {
    let overall = if card.not_yet {
        tr("四到位 score — (尚无 not yet)")
    } else {
        tr(&format!("四到位 score {:.0}", card.overall))
    };
    ui.label(RichText::new(overall).strong());
    for (k, c) in card.criteria.iter().enumerate() {
        let col = if c.not_yet {
            Color32::from_rgb(150, 150, 150)
        } else if c.pass {
            Color32::from_rgb(40, 160, 70)
        } else {
            Color32::from_rgb(210, 50, 50)
        };
        let score = if c.not_yet {
            tr("尚无 not yet")
        } else {
            format!("{:>5.1}", c.score)
        };
        ui.horizontal(|ui| {
            ui.colored_label(col, score);
            let open = form.evidence == Some(k);
            if ui
                .selectable_label(open, tr(&c.name))
                .on_hover_text(tr("证据 evidence"))
                .clicked()
            {
                form.evidence = if open { None } else { Some(k) };
            }
        });
        if form.evidence == Some(k) {
            egui::ScrollArea::vertical()
                .id_salt("evidence")
                .max_height(120.0)
                .show(ui, |ui| {
                    if c.evidence.is_empty() {
                        ui.label(RichText::new(tr("无 no evidence yet")).small());
                    }
                    for e in &c.evidence {
                        ui.label(RichText::new(tr(&e.to_string())).small().monospace());
                    }
                });
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn panel(
    mut contexts: EguiContexts,
    mut marks: ResMut<super::side::UiMarks>,
    mut console: ResMut<Console>,
    scenario: Res<ScenarioRes>,
    mut tool: ResMut<MapTool>,
    mut form: ResMut<OrderForm>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(v) = console.view.clone() else {
        return Ok(());
    };
    let s = &scenario.0;
    let mut orders: Vec<Order> = Vec::new();
    let shown = super::side::section(
        ctx,
        super::side::Column::Right,
        tr("学员 trainee — 力量与指令 forces & orders"),
        true,
        |ui| {
            if let Some(card) = &v.card {
                scorecard_ui(ui, card, &mut form);
                ui.separator();
            }
            let waiting = v.requests.iter().filter(|r| !r.assigned).count();
            ui.label(tr(&format!(
                "求救 rescue requests: {} raised, {} open, {waiting} waiting",
                v.requests_raised,
                v.requests.len()
            )));
            if ui
                .button(tr("派遣救援 send nearest teams to waiting requests"))
                .clicked()
            {
                orders.push(Order::DispatchNearestToRescue);
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("units")
                .max_height(180.0)
                .show(ui, |ui| {
                    egui::Grid::new("units").striped(true).show(ui, |ui| {
                        for (k, u) in v.units.iter().enumerate() {
                            marker(ui, k);
                            let sel = tool.selected.as_deref() == Some(u.id.as_str());
                            let row = ui
                                .selectable_label(sel, format!("{} {}", u.id, u.name))
                                .on_hover_text(format!(
                                    "{} · crew {} · {}",
                                    u.kind,
                                    u.crew,
                                    if u.doing.is_empty() { "—" } else { &u.doing }
                                ));
                            marks.put(&format!("unit:{}", u.id), row.rect);
                            if row.clicked() {
                                tool.selected = Some(u.id.clone());
                                tool.tool = Tool::Dispatch(u.id.clone());
                            }
                            ui.label(&u.state);
                            ui.label(if u.robot {
                                format!("{:.0} m³", u.pumped_m3)
                            } else if u.aboard > 0 {
                                format!("{} aboard", u.aboard)
                            } else {
                                String::new()
                            });
                            ui.end_row();
                        }
                    });
                });
            if let Some(id) = tool.selected.clone()
                && let Some(u) = v.units.iter().find(|u| u.id == id)
            {
                ui.separator();
                ui.label(RichText::new(tr(&format!("{} {} — {}", u.id, u.name, u.state))).strong());
                if !u.doing.is_empty() {
                    ui.label(tr(&format!("任务 doing: {}", u.doing)));
                }
                ui.horizontal(|ui| {
                    if ui.button(tr("📍 派遣 dispatch (click map)")).clicked() {
                        tool.tool = Tool::Dispatch(id.clone());
                    }
                    if ui.button(tr("↩ 召回 recall")).clicked() {
                        orders.push(Order::Recall { unit: id.clone() });
                    }
                });
                let posts: Vec<String> = s
                    .places
                    .iter()
                    .filter(|p| matches!(p.kind, PlaceKind::Post))
                    .map(|p| p.id.clone())
                    .collect();
                if !posts.is_empty() {
                    ui.horizontal(|ui| {
                        combo(ui, "post", &mut form.post, &posts);
                        if ui.button(tr("前置 pre-position")).clicked() {
                            orders.push(Order::PrePosition {
                                unit: id.clone(),
                                post: form.post.clone(),
                            });
                        }
                    });
                }
            }
            ui.separator();
            ui.collapsing(tr("预警 warn zones"), |ui| {
                ui.horizontal_wrapped(|ui| {
                    for z in &s.zones {
                        let mut on = form.zones.contains(&z.id);
                        if ui.checkbox(&mut on, &z.id).on_hover_text(&z.name).changed() {
                            if on {
                                form.zones.push(z.id.clone());
                            } else {
                                form.zones.retain(|x| x != &z.id);
                            }
                        }
                    }
                });
                let channels: Vec<String> = s
                    .file
                    .warnings
                    .channels
                    .iter()
                    .map(|c| c.id.clone())
                    .collect();
                ui.horizontal(|ui| {
                    combo(ui, "channel", &mut form.channel, &channels);
                    egui::ComboBox::from_id_salt("action")
                        .selected_text(tr(ACTIONS[form.action.min(2)].1))
                        .show_ui(ui, |ui| {
                            for (k, (_, label)) in ACTIONS.iter().enumerate() {
                                ui.selectable_value(&mut form.action, k, tr(label));
                            }
                        });
                });
                if ui
                    .add_enabled(
                        !form.zones.is_empty(),
                        egui::Button::new(tr("📢 发布预警 warn")),
                    )
                    .clicked()
                {
                    orders.push(Order::Warn {
                        zones: form.zones.clone(),
                        channel: form.channel.clone(),
                        action: ACTIONS[form.action.min(2)].0,
                    });
                }
            });
            ui.collapsing(tr("安置点与道路 shelters & roads"), |ui| {
                let shelters: Vec<String> = v.shelters.iter().map(|s| s.id.clone()).collect();
                if !shelters.is_empty() {
                    ui.horizontal(|ui| {
                        combo(ui, "shelter", &mut form.shelter, &shelters);
                        if ui.button(tr("开放 open")).clicked() {
                            orders.push(Order::OpenShelter(form.shelter.clone()));
                        }
                        if ui.button(tr("关闭 close")).clicked() {
                            orders.push(Order::CloseShelter(form.shelter.clone()));
                        }
                    });
                    for sh in &v.shelters {
                        ui.label(
                            RichText::new(format!(
                                "{} {}/{}{}",
                                sh.id,
                                sh.occupancy,
                                sh.capacity,
                                if sh.open { "" } else { " (closed)" }
                            ))
                            .small(),
                        );
                    }
                }
                let roads: Vec<String> = s.roads.iter().map(|r| r.id.clone()).collect();
                if !roads.is_empty() {
                    ui.horizontal(|ui| {
                        combo(ui, "road", &mut form.road, &roads);
                        if ui.button(tr("封闭道路 close road")).clicked() {
                            orders.push(Order::CloseRoad(form.road.clone()));
                        }
                    });
                }
            });
        },
    );
    if let Some(r) = shown {
        marks.put("trainee", r);
    }
    for o in orders {
        console.submit(CommandKind::Order(o), Origin::Trainee);
    }
    Ok(())
}

fn marker(ui: &mut egui::Ui, k: usize) {
    let c = colour(k);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter()
        .rect_filled(rect, 2.0, Color32::from_rgb(c[0], c[1], c[2]));
}
