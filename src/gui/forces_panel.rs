//! The forces on the map and the drill panel: every team and robot as a coloured marker
//! that follows the simulation, and a panel with each unit's state, the rescue backlog,
//! the live four-in-place scorecard, and the trainee's rescue-dispatch order.
//!
//! How it works: one sprite per unit at [`Z_UNITS`] (above the water), moved every
//! frame to the unit's position in [`ForcesRes`]; colours match the report's track map.
//! The live scorecard is recomputed from the world at most every [`CARD_EVERY_S`] of
//! wall time ([`crate::engine::scoring::scorecard`] reads the households and forces).
//! Orders from the panel go through the engine's inbox with origin "trainee" and the
//! current sim time, like a command-stream line, so they are logged and replayed the
//! same way. It never changes the simulation outside `SimSet::Inputs`.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::map_view::MapFrame;
use super::water::Z_WATER;
use crate::engine::exercise::Inbox;
use crate::engine::forces::ForcesRes;
use crate::exercise::SimClock;
use crate::exercise::commands::{Command, CommandKind};
use crate::exercise::log::Origin;
use crate::report::maps::TRACK_RGBA;
use crate::scenario::schema::Order;
use crate::scoring::Scorecard;

/// Z of the unit markers (above the water overlay).
pub const Z_UNITS: f32 = Z_WATER + 1.0;

/// Wall seconds between live scorecard updates.
pub const CARD_EVERY_S: f64 = 1.0;

/// Marker side, metres (world units).
const MARKER_M: f32 = 24.0;

/// A unit's marker: index into teams (then robots).
#[derive(Component, Debug, Clone, Copy)]
pub struct UnitMarker(pub usize);

/// The live scorecard and when it was computed (wall seconds).
#[derive(Resource, Debug, Default, Clone)]
pub struct LiveCard {
    /// The card, once computed.
    pub card: Option<Scorecard>,
    /// Wall time of the last update, s.
    pub at: f64,
}

/// Adds the unit markers and the drill panel.
pub struct ForcesPanelPlugin;

impl Plugin for ForcesPanelPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<LiveCard>()
            .add_systems(Startup, spawn_markers)
            .add_systems(Update, (move_markers, update_card))
            .add_systems(EguiPrimaryContextPass, panel);
    }
}

fn colour(k: usize) -> [u8; 4] {
    TRACK_RGBA[k % TRACK_RGBA.len()]
}

fn spawn_markers(mut commands: Commands, forces: Option<Res<ForcesRes>>) {
    let Some(f) = forces else { return };
    let n = f.0.teams.len() + f.0.robots.len();
    for k in 0..n {
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
    forces: Option<Res<ForcesRes>>,
    frame: Res<MapFrame>,
    mut q: Query<(&UnitMarker, &mut Transform)>,
) {
    let Some(f) = forces else { return };
    let nt = f.0.teams.len();
    for (m, mut tr) in &mut q {
        let pos = if m.0 < nt {
            f.0.teams[m.0].pos
        } else {
            f.0.robots[m.0 - nt].pos
        };
        if pos.0.is_finite() && pos.1.is_finite() {
            let w = frame.to_world(pos.0, pos.1);
            tr.translation.x = w.x;
            tr.translation.y = w.y;
        }
    }
}

fn update_card(world: &mut World) {
    let now = world.resource::<Time<Real>>().elapsed_secs_f64();
    let due = {
        let live = world.resource::<LiveCard>();
        live.card.is_none() || now >= live.at + CARD_EVERY_S
    };
    if due && world.contains_resource::<crate::engine::scoring::RubricRes>() {
        let card = crate::engine::scoring::scorecard(world);
        let mut live = world.resource_mut::<LiveCard>();
        live.card = Some(card);
        live.at = now;
    }
}

fn panel(
    mut contexts: EguiContexts,
    forces: Option<Res<ForcesRes>>,
    live: Res<LiveCard>,
    clock: Res<SimClock>,
    mut inbox: ResMut<Inbox>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    egui::Window::new("演练 drill")
        .anchor(egui::Align2::RIGHT_TOP, [-8.0, 48.0])
        .resizable(false)
        .collapsible(true)
        .default_width(300.0)
        .show(ctx, |ui| {
            if let Some(card) = &live.card {
                let overall = if card.not_yet {
                    "四到位 score — (尚无 not yet)".to_string()
                } else {
                    format!("四到位 score {:.0}", card.overall)
                };
                ui.label(RichText::new(overall).strong());
                for c in &card.criteria {
                    let col = if c.not_yet {
                        Color32::from_rgb(150, 150, 150)
                    } else if c.pass {
                        Color32::from_rgb(40, 160, 70)
                    } else {
                        Color32::from_rgb(210, 50, 50)
                    };
                    let score = if c.not_yet {
                        "尚无 not yet".to_string()
                    } else {
                        format!("{:>5.1}", c.score)
                    };
                    ui.horizontal(|ui| {
                        ui.colored_label(col, score);
                        ui.label(&c.name);
                    });
                }
                ui.separator();
            }
            let Some(f) = &forces else {
                ui.label("no forces in this scenario");
                return;
            };
            let waiting = f.0.waiting_requests();
            let open = f.0.requests.iter().filter(|r| r.closed.is_none()).count();
            ui.label(format!(
                "求救 rescue requests: {} raised, {open} open, {waiting} waiting",
                f.0.requests.len()
            ));
            if ui
                .button("派遣救援 send nearest teams to waiting requests")
                .clicked()
            {
                inbox.push([Command {
                    t: clock.t,
                    origin: Origin::Trainee,
                    kind: CommandKind::Order(Order::DispatchNearestToRescue),
                    source: "console".into(),
                    id: "console".into(),
                }]);
            }
            ui.separator();
            let nt = f.0.teams.len();
            egui::Grid::new("units").striped(true).show(ui, |ui| {
                for (k, t) in f.0.teams.iter().enumerate() {
                    marker(ui, k);
                    ui.label(format!("{} {}", t.spec.id, t.spec.name));
                    ui.label(format!("{:?}", t.state).to_lowercase());
                    ui.label(if t.aboard > 0 {
                        format!("{} aboard", t.aboard)
                    } else {
                        String::new()
                    });
                    ui.end_row();
                }
                for (k, r) in f.0.robots.iter().enumerate() {
                    marker(ui, nt + k);
                    ui.label(format!("{} {}", r.spec.id, r.spec.name));
                    ui.label(format!("{:?}", r.state).to_lowercase());
                    ui.label(format!("{:.0} m³", r.pumped_m3));
                    ui.end_row();
                }
            });
        });
    Ok(())
}

fn marker(ui: &mut egui::Ui, k: usize) {
    let c = colour(k);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter()
        .rect_filled(rect, 2.0, Color32::from_rgb(c[0], c[1], c[2]));
}
