//! The map's live layers and what a click on the map does.
//!
//! How it works: households are dots in a texture over the water (one pixel per cell,
//! coloured by state, redrawn with the water), so 100,000 of them cost one texture
//! upload, not 100,000 shapes. Routes, tracks, rescue requests, shelters (with an
//! occupancy bar) and markers for what is being placed are drawn by egui's painter on
//! a layer behind the windows, converted from map metres to screen points through the
//! map camera ([`MapScreen`]). A click on the map (a press and release that did not
//! drag) does what the current [`Tool`] says: select the unit under the cursor, send
//! the selected unit there (a trainee order), place an inject (a trainer's), or
//! inspect the cell, household or unit there. Orders and injects go to the worker as
//! [`crate::live::Control::Submit`]; the answer comes back as a message.
//!
//! In the trainee view the water, the hazard and the households are hidden: the
//! trainees see units, the shelters, reported rescue requests and the sensors.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui::{self, Color32, Pos2, RichText, Stroke};
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::driver::{Console, poll_worker};
use super::lang::tr;
use super::map_view::{MapCamera, MapFrame, spawn_map};
pub use super::side::Layers;
use super::water::{Z_WATER, overlay_image, refresh_due, show};
use crate::engine::ScenarioRes;
use crate::exercise::commands::CommandKind;
use crate::exercise::log::Origin;
use crate::live::view::household_state_name;
use crate::scenario::schema::{InjectEvent, Location, Order};
use crate::world::Pt;

/// Z of the households layer (above the water, below the network and units).
pub const Z_HOUSEHOLDS: f32 = Z_WATER + 0.3;

/// Pixels a press may move and still count as a click.
const CLICK_SLOP: f32 = 5.0;

/// What a click on the map does.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tool {
    /// Select a unit, or inspect what is there.
    #[default]
    Select,
    /// Send the selected unit to the point clicked (trainee).
    Dispatch(String),
    /// Place a levee breach (trainer).
    Breach,
    /// Place a false rescue report (trainer).
    FalseReport,
}

/// The map interaction state.
#[derive(Resource, Debug, Clone, Default)]
pub struct MapTool {
    /// What a click does.
    pub tool: Tool,
    /// The unit selected (id).
    pub selected: Option<String>,
    /// The last point inspected, map metres.
    pub inspect: Option<Pt>,
    /// Breach parameters for the next breach placed: width m, time to full depth s.
    pub breach_width_m: f64,
    /// Time for the breach to open, s.
    pub breach_over_s: f64,
}

/// The camera's mapping of map metres to screen points this frame.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct MapScreen {
    /// Camera centre, world units.
    pub cam: Vec2,
    /// World units per logical pixel.
    pub scale: f32,
    /// Window size, logical pixels.
    pub window: Vec2,
    /// Centre of the DEM extent, map metres (world origin).
    pub origin: (f64, f64),
    /// Set once the camera exists.
    pub ready: bool,
}

impl MapScreen {
    /// Screen point (logical pixels) of a map point.
    pub fn to_screen(&self, p: Pt) -> Pos2 {
        let wx = (p.0 - self.origin.0) as f32;
        let wy = (p.1 - self.origin.1) as f32;
        Pos2::new(
            self.window.x / 2.0 + (wx - self.cam.x) / self.scale,
            self.window.y / 2.0 - (wy - self.cam.y) / self.scale,
        )
    }

    /// Map point of a screen point (logical pixels).
    pub fn to_map(&self, s: Vec2) -> Pt {
        let wx = self.cam.x + (s.x - self.window.x / 2.0) * self.scale;
        let wy = self.cam.y - (s.y - self.window.y / 2.0) * self.scale;
        (self.origin.0 + f64::from(wx), self.origin.1 + f64::from(wy))
    }
}

/// The households texture.
#[derive(Resource, Debug, Clone)]
pub struct HouseholdLayer {
    image: Handle<Image>,
    width: usize,
    height: usize,
    /// Map point of the texture's top-left corner.
    origin: (f64, f64),
    /// Metres per pixel.
    px_m: f64,
}

/// Marker of the households sprite.
#[derive(Component)]
pub struct HouseholdSprite;

/// Colour of a household state (as [`crate::agents::HouseholdState`] `as u8`).
pub fn household_rgba(state: u8) -> [u8; 4] {
    match household_state_name(state) {
        "moving" => [255, 140, 0, 255],
        "waiting" => [255, 220, 0, 255],
        "sheltered" | "away" => [30, 170, 60, 255],
        "trapped" => [230, 20, 20, 255],
        "rescued" => [0, 180, 180, 255],
        "casualty" => [0, 0, 0, 255],
        "staying" | "in_place" | "refuge" => [150, 60, 200, 255],
        "warned" | "preparing" | "ready" => [90, 140, 255, 255],
        _ => [250, 250, 250, 255],
    }
}

/// Legend rows of the households layer.
pub const HOUSEHOLD_LEGEND: [(u8, &str); 8] = [
    (0, "未预警 unaware"),
    (1, "已预警 warned / preparing"),
    (3, "转移中 moving"),
    (9, "等待 waiting"),
    (4, "已安置 safe"),
    (5, "留守 staying in"),
    (6, "被困 trapped"),
    (7, "获救 rescued"),
];

/// Adds the layers and the map clicks.
pub struct LayersPlugin {
    /// Select this unit at the start.
    pub select: Option<String>,
}

impl Plugin for LayersPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<MapTool>()
            .init_resource::<MapScreen>()
            .add_systems(Startup, spawn_households.after(spawn_map))
            .add_systems(
                Update,
                (
                    track_camera,
                    refresh_households.after(poll_worker),
                    map_click.after(track_camera),
                ),
            )
            .add_systems(
                EguiPrimaryContextPass,
                (
                    paint_overlays.in_set(super::side::UiOrder::Float),
                    layers_window.in_set(super::side::UiOrder::Left3),
                ),
            );
        if !app.world().contains_resource::<Layers>() {
            app.init_resource::<Layers>();
        }
        let mut tool = app.world_mut().resource_mut::<MapTool>();
        tool.breach_width_m = 40.0;
        tool.breach_over_s = 1200.0;
        if let Some(u) = &self.select {
            tool.selected = Some(u.clone());
            tool.tool = Tool::Dispatch(u.clone());
        }
    }
}

fn spawn_households(
    mut commands: Commands,
    scenario: Res<ScenarioRes>,
    frame: Res<MapFrame>,
    mut images: ResMut<Assets<Image>>,
) {
    let spec = scenario.0.dem.spec;
    let stride = spec
        .ncols
        .max(spec.nrows)
        .div_ceil(super::terrain::MAX_TEXTURE)
        .max(1);
    let (width, height) = (spec.ncols.div_ceil(stride), spec.nrows.div_ceil(stride));
    if width == 0 || height == 0 {
        return;
    }
    let handle = images.add(overlay_image(width, height, vec![0; width * height * 4]));
    let (x0, y0, x1, y1) = spec.extent();
    let px_m = spec.cell * stride as f64;
    let centre = frame.to_world((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (w_m, h_m) = (width as f64 * px_m, height as f64 * px_m);
    commands.spawn((
        Sprite {
            image: handle.clone(),
            custom_size: Some(Vec2::new(w_m as f32, h_m as f32)),
            ..default()
        },
        Transform::from_xyz(
            centre.x + ((w_m - (x1 - x0)) / 2.0) as f32,
            centre.y - ((h_m - (y1 - y0)) / 2.0) as f32,
            Z_HOUSEHOLDS,
        ),
        HouseholdSprite,
    ));
    commands.insert_resource(HouseholdLayer {
        image: handle,
        width,
        height,
        origin: (x0, y1),
        px_m,
    });
}

/// Paint households `(x, y, state)` as a 2 × 2 pixel dot each (visible with the
/// whole district in view); returns how many fell inside.
pub fn paint_households(
    households: &[(f32, f32, u8)],
    origin: (f64, f64),
    px_m: f64,
    (width, height): (usize, usize),
    rgba: &mut [u8],
) -> usize {
    rgba.fill(0);
    let mut n = 0;
    for &(x, y, s) in households {
        let c = ((f64::from(x) - origin.0) / px_m).floor();
        let r = ((origin.1 - f64::from(y)) / px_m).floor();
        if c < 0.0 || r < 0.0 || c >= width as f64 || r >= height as f64 {
            continue;
        }
        let (r, c) = (r as usize, c as usize);
        for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let (rr, cc) = (r + dr, c + dc);
            if rr < height && cc < width {
                let i = (rr * width + cc) * 4;
                rgba[i..i + 4].copy_from_slice(&household_rgba(s));
            }
        }
        n += 1;
    }
    n
}

fn refresh_households(
    time: Res<Time<Real>>,
    console: Res<Console>,
    layer: Option<Res<HouseholdLayer>>,
    layers: Res<Layers>,
    mut images: ResMut<Assets<Image>>,
    mut sprite: Query<&mut Visibility, With<HouseholdSprite>>,
    mut last: Local<Option<(u64, f64)>>,
) {
    let Some(layer) = layer else { return };
    show(layers.households && !layers.trainee, sprite.iter_mut());
    if !refresh_due(&time, &console, &mut last) {
        return;
    }
    let Some(v) = &console.view else { return };
    if let Some(mut image) = images.get_mut(&layer.image)
        && let Some(data) = image.data.as_mut()
    {
        paint_households(
            &v.households,
            layer.origin,
            layer.px_m,
            (layer.width, layer.height),
            data,
        );
    }
}

fn track_camera(
    frame: Option<Res<MapFrame>>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Query<(&Transform, &Projection), With<MapCamera>>,
    mut screen: ResMut<MapScreen>,
) {
    let Some(frame) = frame else { return };
    let Ok((t, p)) = camera.single() else { return };
    let Projection::Orthographic(o) = p else {
        return;
    };
    *screen = MapScreen {
        cam: t.translation.truncate(),
        scale: o.scale,
        window: Vec2::new(window.width(), window.height()),
        origin: frame.centre(),
        ready: true,
    };
}

/// Lowest ground within `radius` metres of a point (the level a breach there cuts to).
fn lowest_ground(s: &crate::scenario::Scenario, p: Pt, radius: f64) -> Option<f64> {
    let spec = s.dem.spec;
    let (x0, _, _, y1) = spec.extent();
    let k = (radius / spec.cell).ceil() as i64;
    let c0 = ((p.0 - x0) / spec.cell).floor() as i64;
    let r0 = ((y1 - p.1) / spec.cell).floor() as i64;
    let mut low: Option<f64> = None;
    for r in (r0 - k)..=(r0 + k) {
        for c in (c0 - k)..=(c0 + k) {
            if r < 0 || c < 0 || r >= spec.nrows as i64 || c >= spec.ncols as i64 {
                continue;
            }
            let (r, c) = (r as usize, c as usize);
            if *s.outside.get(r, c) {
                continue;
            }
            let z = *s.dem.get(r, c);
            low = Some(low.map_or(z, |l: f64| l.min(z)));
        }
    }
    low
}

/// What a click at map point `p` does with `tool` (the command to submit, if any).
pub fn click_command(
    tool: &mut MapTool,
    view: &crate::live::SimView,
    scenario: &crate::scenario::Scenario,
    p: Pt,
    pick_radius_m: f64,
) -> Option<(CommandKind, Origin)> {
    match tool.tool.clone() {
        Tool::Dispatch(unit) => {
            tool.tool = Tool::Select;
            Some((
                CommandKind::Order(Order::Dispatch {
                    unit,
                    to: Location::Point(p.0.round(), p.1.round()),
                }),
                Origin::Trainee,
            ))
        }
        Tool::Breach => {
            tool.tool = Tool::Select;
            let bottom = lowest_ground(scenario, p, 30.0)?;
            Some((
                CommandKind::Inject(InjectEvent::LeveeBreach {
                    x: p.0.round(),
                    y: p.1.round(),
                    width_m: tool.breach_width_m,
                    bottom_m: (bottom * 100.0).round() / 100.0,
                    over: crate::scenario::Duration::from_secs(tool.breach_over_s),
                }),
                Origin::Trainer,
            ))
        }
        Tool::FalseReport => {
            tool.tool = Tool::Select;
            Some((
                CommandKind::Inject(InjectEvent::FalseReport {
                    at: Location::Point(p.0.round(), p.1.round()),
                }),
                Origin::Trainer,
            ))
        }
        Tool::Select => {
            match view.unit_near(p, pick_radius_m) {
                Some(k) => {
                    let id = view.units[k].id.clone();
                    tool.tool = Tool::Dispatch(id.clone());
                    tool.selected = Some(id);
                    tool.inspect = None;
                }
                None => tool.inspect = Some(p),
            }
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn map_click(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    egui: Res<EguiWantsInput>,
    window: Single<&Window, With<PrimaryWindow>>,
    screen: Res<MapScreen>,
    scenario: Res<ScenarioRes>,
    mut tool: ResMut<MapTool>,
    mut console: ResMut<Console>,
    mut pressed: Local<Option<Vec2>>,
) {
    if keys.just_pressed(KeyCode::Escape) && !egui.wants_any_keyboard_input() {
        tool.tool = Tool::Select;
        tool.selected = None;
        tool.inspect = None;
    }
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) {
        *pressed = if egui.wants_any_pointer_input() {
            None
        } else {
            cursor
        };
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(from), Some(at)) = (pressed.take(), cursor) else {
        return;
    };
    if from.distance(at) > CLICK_SLOP || !screen.ready {
        return;
    }
    let Some(view) = console.view.clone() else {
        return;
    };
    let p = screen.to_map(at);
    // A unit marker is picked within 14 px (or 20 m when zoomed in).
    let radius = f64::from(screen.scale * 14.0).max(20.0);
    if let Some((kind, origin)) = click_command(&mut tool, &view, &scenario.0, p, radius) {
        console.submit(kind, origin);
    }
}

fn paint_overlays(
    mut contexts: EguiContexts,
    console: Res<Console>,
    screen: Res<MapScreen>,
    layers: Res<Layers>,
    tool: Res<MapTool>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(v) = &console.view else {
        return Ok(());
    };
    if !screen.ready {
        return Ok(());
    }
    let zoom = ctx.zoom_factor();
    let to = |p: Pt| {
        let s = screen.to_screen(p);
        Pos2::new(s.x / zoom, s.y / zoom)
    };
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Background,
        egui::Id::new("map_overlays"),
    ));
    if layers.shelters {
        for s in &v.shelters {
            let c = to(s.at);
            let r = egui::Rect::from_center_size(c, egui::vec2(16.0, 16.0));
            let fill = if s.open {
                Color32::from_rgb(250, 250, 250)
            } else {
                Color32::from_rgb(120, 120, 120)
            };
            painter.rect_filled(r, 2.0, fill);
            painter.rect_stroke(
                r,
                2.0,
                Stroke::new(1.5, Color32::from_rgb(30, 120, 50)),
                egui::StrokeKind::Outside,
            );
            let share = if s.capacity > 0 {
                (s.occupancy as f32 / s.capacity as f32).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let bar = egui::Rect::from_min_size(
                Pos2::new(r.left(), r.bottom() + 2.0),
                egui::vec2(16.0 * share, 4.0),
            );
            let col = if s.occupancy > s.capacity {
                Color32::from_rgb(220, 30, 30)
            } else {
                Color32::from_rgb(30, 160, 60)
            };
            painter.rect_filled(bar, 0.0, col);
        }
    }
    if layers.requests {
        for r in &v.requests {
            let c = to(r.at);
            painter.circle_stroke(c, 9.0, Stroke::new(2.5, Color32::from_rgb(230, 20, 20)));
            painter.text(
                c + egui::vec2(10.0, -10.0),
                egui::Align2::LEFT_BOTTOM,
                format!("SOS {}", r.persons),
                egui::FontId::proportional(12.0),
                Color32::from_rgb(230, 20, 20),
            );
        }
    }
    let selected = tool.selected.as_deref();
    for (k, u) in v.units.iter().enumerate() {
        let is_sel = selected == Some(u.id.as_str());
        if !(layers.routes || is_sel) {
            continue;
        }
        let col = {
            let c = crate::report::maps::TRACK_RGBA[k % crate::report::maps::TRACK_RGBA.len()];
            Color32::from_rgb(c[0], c[1], c[2])
        };
        if u.track.len() > 1 {
            let pts: Vec<Pos2> = u.track.iter().map(|p| to(*p)).collect();
            painter.add(egui::Shape::line(
                pts,
                Stroke::new(if is_sel { 2.0 } else { 1.0 }, col.gamma_multiply(0.6)),
            ));
        }
        if u.route.len() > 1 {
            let pts: Vec<Pos2> = u.route.iter().map(|p| to(*p)).collect();
            if let Some(end) = pts.last() {
                painter.circle_filled(*end, if is_sel { 6.0 } else { 3.0 }, col);
            }
            painter.add(egui::Shape::dashed_line(
                &pts,
                Stroke::new(if is_sel { 4.0 } else { 2.0 }, col),
                10.0,
                5.0,
            ));
        }
        // The rest of the way, where the route stops short of the goal (water, a
        // closure): a thin dotted line.
        if let Some(g) = u.goal
            && u.state != "on_scene"
            && u.state != "posted"
            && u.state != "pumping"
        {
            let from = u.route.last().copied().unwrap_or(u.pos);
            if (from.0 - g.0).hypot(from.1 - g.1) > 1.0 {
                painter.add(egui::Shape::dotted_line(
                    &[to(from), to(g)],
                    col,
                    6.0,
                    if is_sel { 2.5 } else { 1.5 },
                ));
                painter.circle_stroke(to(g), if is_sel { 7.0 } else { 4.0 }, Stroke::new(2.0, col));
            }
        }
        if is_sel {
            painter.circle_stroke(to(u.pos), 16.0, Stroke::new(3.0, Color32::WHITE));
            painter.text(
                to(u.pos) + egui::vec2(18.0, 0.0),
                egui::Align2::LEFT_CENTER,
                format!("{} {}", u.id, u.name),
                egui::FontId::proportional(14.0),
                Color32::WHITE,
            );
        }
    }
    if let Some(p) = tool.inspect {
        let c = to(p);
        painter.line_segment(
            [c - egui::vec2(8.0, 0.0), c + egui::vec2(8.0, 0.0)],
            Stroke::new(2.0, Color32::BLACK),
        );
        painter.line_segment(
            [c - egui::vec2(0.0, 8.0), c + egui::vec2(0.0, 8.0)],
            Stroke::new(2.0, Color32::BLACK),
        );
    }
    Ok(())
}

fn layers_window(
    mut contexts: EguiContexts,
    mut marks: ResMut<super::side::UiMarks>,
    mut layers: ResMut<Layers>,
    mut tool: ResMut<MapTool>,
    console: Res<Console>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let shown = super::side::section(
        ctx,
        super::side::Column::Left,
        tr("图层 layers"),
        true,
        |ui| {
            ui.add_enabled_ui(!layers.trainee, |ui| {
                ui.checkbox(&mut layers.households, tr("住户 households"));
            });
            ui.checkbox(&mut layers.routes, tr("路线 routes & tracks"));
            ui.checkbox(&mut layers.shelters, tr("安置点 shelters"));
            ui.checkbox(&mut layers.requests, tr("求救 rescue requests"));
            if layers.households && !layers.trainee {
                ui.separator();
                egui::Grid::new("household_legend").show(ui, |ui| {
                    for (k, (s, label)) in HOUSEHOLD_LEGEND.iter().enumerate() {
                        let [r, g, b, _] = household_rgba(*s);
                        ui.horizontal(|ui| {
                            let (rect, _) = ui
                                .allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                            ui.painter()
                                .rect_filled(rect, 5.0, Color32::from_rgb(r, g, b));
                            ui.label(RichText::new(tr(label)).small());
                        });
                        if k % 2 == 1 {
                            ui.end_row();
                        }
                    }
                });
            }
            match &tool.tool {
                Tool::Select => {}
                Tool::Dispatch(u) => {
                    ui.separator();
                    ui.label(
                        RichText::new(tr(&format!("点击地图派遣 {u} — click the map to send it")))
                            .strong(),
                    );
                }
                Tool::Breach => {
                    ui.separator();
                    ui.label(
                        RichText::new(tr("点击堤防放置决口 click a levee to breach it")).strong(),
                    );
                }
                Tool::FalseReport => {
                    ui.separator();
                    ui.label(
                        RichText::new(tr("点击地图放置虚假求救 click to place a false report"))
                            .strong(),
                    );
                }
            }
            if tool.tool != Tool::Select && ui.button(tr("取消 cancel (Esc)")).clicked() {
                tool.tool = Tool::Select;
            }
            if let (Some(p), Some(v)) = (tool.inspect, &console.view) {
                ui.separator();
                ui.label(RichText::new(format!("({:.0}, {:.0})", p.0, p.1)).monospace());
                if !layers.trainee
                    && let Some((r, c, d, h)) = v.cell_at(p)
                {
                    ui.label(tr(&format!(
                        "格 cell {r},{c}: 水深 depth {d:.2} m · {}",
                        if h == 0 {
                            "干 dry".to_string()
                        } else {
                            format!("H{h}")
                        }
                    )));
                }
                if !layers.trainee
                    && let Some(k) = v.household_near(p, 15.0)
                {
                    ui.label(tr(&format!(
                        "住户 household #{k}: {}",
                        household_state_name(v.households[k].2)
                    )));
                }
            }
        },
    );
    if let Some(r) = shown {
        marks.put("layers", r);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_and_map_round_trip() {
        let s = MapScreen {
            cam: Vec2::new(100.0, -50.0),
            scale: 2.0,
            window: Vec2::new(1280.0, 800.0),
            origin: (500_000.0, 3_350_000.0),
            ready: true,
        };
        let p = (500_300.0, 3_349_900.0);
        let sp = s.to_screen(p);
        let back = s.to_map(Vec2::new(sp.x, sp.y));
        assert!((back.0 - p.0).abs() < 1e-3 && (back.1 - p.1).abs() < 1e-3);
        // The camera centre is the window centre.
        let c = s.to_screen((500_100.0, 3_349_950.0));
        assert_eq!(c, Pos2::new(640.0, 400.0));
    }

    #[test]
    fn households_paint_one_pixel_each_inside_the_extent() {
        let mut rgba = vec![9u8; 4 * 4 * 4];
        let hh = [(2.5, 17.5, 3u8), (12.5, 2.5, 6), (99.0, 99.0, 0)];
        let n = paint_households(&hh, (0.0, 20.0), 5.0, (4, 4), &mut rgba);
        assert_eq!(n, 2);
        let at = |r: usize, c: usize| &rgba[(r * 4 + c) * 4..(r * 4 + c) * 4 + 4];
        // A 2 × 2 dot from the household's cell, cut at the texture's edge.
        for (r, c) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            assert_eq!(at(r, c), &household_rgba(3));
        }
        assert_eq!(at(3, 2), &household_rgba(6));
        assert_eq!(at(3, 3), &household_rgba(6));
        assert_eq!(at(2, 2), &[0, 0, 0, 0]);
        assert_eq!(rgba.iter().filter(|&&b| b == 9).count(), 0);
    }
}
