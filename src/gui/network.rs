//! The drainage network layer: pipes and manholes over the water, coloured by what they
//! are doing now, with a legend that counts the surcharged and flooding manholes and the
//! pumps running, stopped and failed.
//!
//! How it works: like the water overlay, one sprite (at [`Z_NETWORK`], above the water)
//! carries an RGBA texture covering the district, here at up to two pixels per cell (pipes two
//! or three pixels wide, so that they stay visible with the whole district in view); [`refresh_network`] redraws it when the sim clock has
//! moved (at most every [`super::water::REFRESH_S`] of wall time while running). Pipes are lines
//! coloured by flow ÷ full-bore capacity (pale below half, blue to full, orange above:
//! pressurised), pumps green when running, grey when off and red when failed; manholes
//! are dots: orange when surcharged (water above the crown of their highest pipe),
//! magenta when the lid has lifted and water comes out onto the street. `N` or the
//! legend's box shows and hides the layer. It only reads the newest view's copy of the
//! network (the layer appears with the first view that has one).

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::driver::{Console, poll_worker};
use super::lang::tr;
use super::map_view::MapFrame;
use super::water::{Z_WATER, overlay_image, refresh_due, show};
use crate::hydro::drainage::{DualDrainage, LinkKind, NodeKind, link_capacities};

/// Z of the network layer (above the water).
pub const Z_NETWORK: f32 = Z_WATER + 0.5;

/// Largest side of the layer's texture, pixels.
const MAX_SIDE: usize = 4096;

const PIPE_LOW: [u8; 4] = [150, 170, 190, 200];
const PIPE_MID: [u8; 4] = [40, 110, 220, 235];
const PIPE_FULL: [u8; 4] = [245, 140, 20, 255];
const PUMP_ON: [u8; 4] = [40, 190, 80, 255];
const PUMP_OFF: [u8; 4] = [120, 120, 120, 255];
const PUMP_FAILED: [u8; 4] = [220, 30, 30, 255];
const NODE: [u8; 4] = [60, 60, 70, 220];
const NODE_SURCHARGED: [u8; 4] = [245, 140, 20, 255];
const NODE_FLOODING: [u8; 4] = [220, 40, 200, 255];

/// What the layer counts now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NetCounts {
    /// Manholes and other nodes (outfalls included).
    pub nodes: usize,
    /// Links.
    pub links: usize,
    /// Nodes with water above the crown of their highest pipe.
    pub surcharged: usize,
    /// Nodes putting water onto the street (or losing it above the rim).
    pub flooding: usize,
    /// Pumps running, stopped and failed.
    pub pumps: [usize; 3],
    /// Pipes running full or above.
    pub full_pipes: usize,
}

/// The layer's texture and state.
#[derive(Resource, Debug, Clone)]
pub struct NetworkLayer {
    image: Handle<Image>,
    /// Show the layer.
    pub visible: bool,
    width: usize,
    height: usize,
    /// Pixels per map metre.
    px_per_m: f64,
    /// Map point of the texture's top-left corner.
    origin: (f64, f64),
    capacity: Vec<f64>,
    /// The counts at the last redraw.
    pub counts: NetCounts,
}

/// Marker of the layer's sprite.
#[derive(Component)]
pub struct NetworkSprite;

/// Adds the network layer and its legend.
pub struct NetworkLayerPlugin;

impl Plugin for NetworkLayerPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            Update,
            (
                spawn_layer.after(poll_worker),
                toggle_on_key,
                refresh_network.after(spawn_layer),
            ),
        )
        .add_systems(
            EguiPrimaryContextPass,
            legend.in_set(super::side::UiOrder::Left4),
        );
    }
}

fn spawn_layer(
    mut commands: Commands,
    console: Res<Console>,
    frame: Option<Res<MapFrame>>,
    mut images: ResMut<Assets<Image>>,
    mut done: Local<bool>,
) {
    if *done {
        return;
    }
    let Some(frame) = frame else { return };
    let Some(v) = &console.view else { return };
    *done = true;
    let (Some(dd), Some(spec)) = (v.network.as_deref(), v.spec) else {
        return;
    };
    let (x0, y0, x1, y1) = spec.extent();
    let side = spec.ncols.max(spec.nrows).max(1);
    let per_cell = (MAX_SIDE / side).clamp(1, 2) as f64;
    let px_per_m = per_cell / spec.cell;
    let width = (((x1 - x0) * px_per_m).ceil() as usize).clamp(1, MAX_SIDE);
    let height = (((y1 - y0) * px_per_m).ceil() as usize).clamp(1, MAX_SIDE);
    let mut layer = NetworkLayer {
        image: Handle::default(),
        visible: true,
        width,
        height,
        px_per_m,
        origin: (x0, y1),
        capacity: link_capacities(dd.network()),
        counts: NetCounts::default(),
    };
    let mut rgba = vec![0u8; width * height * 4];
    layer.counts = paint_network(dd, &layer, &mut rgba);
    let handle = images.add(overlay_image(width, height, rgba));
    layer.image = handle.clone();
    let centre = frame.to_world((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    commands.spawn((
        Sprite {
            image: handle,
            custom_size: Some(Vec2::new(
                (width as f64 / px_per_m) as f32,
                (height as f64 / px_per_m) as f32,
            )),
            ..default()
        },
        // The texture's extent starts at the DEM's top-left corner.
        Transform::from_xyz(
            centre.x + ((width as f64 / px_per_m - (x1 - x0)) / 2.0) as f32,
            centre.y - ((height as f64 / px_per_m - (y1 - y0)) / 2.0) as f32,
            Z_NETWORK,
        ),
        NetworkSprite,
    ));
    commands.insert_resource(layer);
}

/// Draw the network's state now into `rgba`; returns what it counted.
pub fn paint_network(dd: &DualDrainage, layer: &NetworkLayer, rgba: &mut [u8]) -> NetCounts {
    rgba.fill(0);
    let net = dd.network();
    let r = &dd.router;
    let (w, h) = (layer.width as i64, layer.height as i64);
    let px = |x: f64, y: f64| -> (i64, i64) {
        (
            ((x - layer.origin.0) * layer.px_per_m).floor() as i64,
            ((layer.origin.1 - y) * layer.px_per_m).floor() as i64,
        )
    };
    let put = |x: i64, y: i64, c: [u8; 4], rgba: &mut [u8]| {
        if x >= 0 && y >= 0 && x < w && y < h {
            let i = ((y * w + x) * 4) as usize;
            rgba[i..i + 4].copy_from_slice(&c);
        }
    };
    let mut counts = NetCounts {
        nodes: net.nodes.len(),
        links: net.links.len(),
        ..Default::default()
    };
    for (l, link) in net.links.iter().enumerate() {
        let (Some(a), Some(b)) = (net.nodes[link.from].xy, net.nodes[link.to].xy) else {
            continue;
        };
        let q = r.flow.get(l).copied().unwrap_or(0.0).abs();
        let (colour, thick) = match &link.kind {
            LinkKind::Pump(_) => {
                let k = if r.is_failed(l) {
                    2
                } else if q > 1e-6 {
                    0
                } else {
                    1
                };
                counts.pumps[k] += 1;
                ([PUMP_ON, PUMP_OFF, PUMP_FAILED][k], 3)
            }
            LinkKind::Conduit(c) => {
                let cap = layer.capacity.get(l).copied().unwrap_or(0.0);
                let ratio = if cap > 0.0 { q / cap } else { 0.0 };
                if ratio >= 1.0 {
                    counts.full_pipes += 1;
                }
                let colour = if ratio >= 1.0 {
                    PIPE_FULL
                } else if ratio >= 0.5 {
                    PIPE_MID
                } else {
                    PIPE_LOW
                };
                (colour, if c.xsect.full_depth() >= 1.0 { 3 } else { 2 })
            }
            _ => (PIPE_MID, 2),
        };
        let (x0, y0) = px(a.0, a.1);
        let (x1, y1) = px(b.0, b.1);
        // Bresenham, `thick` pixels wide.
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        let mut guard = 0;
        loop {
            for t in 0..thick {
                put(x + t, y, colour, rgba);
                put(x, y + t, colour, rgba);
            }
            if (x == x1 && y == y1) || guard > 20_000 {
                break;
            }
            guard += 1;
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }
    for (i, node) in net.nodes.iter().enumerate() {
        let Some((x, y)) = node.xy else { continue };
        let (cx, cy) = px(x, y);
        let d = r.depth.get(i).copied().unwrap_or(0.0);
        let outfall = matches!(node.kind, NodeKind::Outfall { .. });
        let flooding = !outfall && r.overflow.get(i).copied().unwrap_or(0.0) > 1e-6;
        let surcharged = !outfall && dd.crown(i) > 0.0 && d > dd.crown(i) + 1e-3;
        let (colour, half) = if flooding {
            counts.flooding += 1;
            (NODE_FLOODING, 4)
        } else if surcharged {
            counts.surcharged += 1;
            (NODE_SURCHARGED, 3)
        } else {
            (NODE, 1)
        };
        for oy in -half..=half {
            for ox in -half..=half {
                put(cx + ox, cy + oy, colour, rgba);
            }
        }
    }
    counts
}

fn toggle_on_key(
    keys: Res<ButtonInput<KeyCode>>,
    egui_input: Option<Res<EguiWantsInput>>,
    layer: Option<ResMut<NetworkLayer>>,
) {
    if egui_input.is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    if let Some(mut layer) = layer
        && keys.just_pressed(KeyCode::KeyN)
    {
        layer.visible = !layer.visible;
    }
}

fn refresh_network(
    time: Res<Time<Real>>,
    console: Res<Console>,
    layer: Option<ResMut<NetworkLayer>>,
    mut images: ResMut<Assets<Image>>,
    mut sprite: Query<&mut Visibility, With<NetworkSprite>>,
    mut last: Local<Option<(u64, f64)>>,
) {
    let Some(mut layer) = layer else { return };
    show(layer.visible, sprite.iter_mut());
    if !refresh_due(&time, &console, &mut last) {
        return;
    }
    let Some(dd) = console.view.as_ref().and_then(|v| v.network.clone()) else {
        return;
    };
    let dd = dd.as_ref();
    let handle = layer.image.clone();
    if let Some(mut image) = images.get_mut(&handle)
        && let Some(data) = image.data.as_mut()
    {
        let counts = paint_network(dd, &layer, data);
        layer.counts = counts;
    }
}

fn legend(mut contexts: EguiContexts, layer: Option<ResMut<NetworkLayer>>) -> Result {
    let Some(mut layer) = layer else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let c = layer.counts;
    super::side::section(
        ctx,
        super::side::Column::Left,
        tr("排水管网 drainage network"),
        false,
        |ui| {
            ui.checkbox(&mut layer.visible, tr("显示 show (N)"));
            let key = |ui: &mut egui::Ui, rgba: [u8; 4], text: String| {
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(22.0, 10.0), egui::Sense::hover());
                    ui.painter().rect_filled(
                        rect,
                        2.0,
                        Color32::from_rgb(rgba[0], rgba[1], rgba[2]),
                    );
                    ui.label(RichText::new(text));
                });
            };
            key(ui, PIPE_LOW, tr("管道 pipe < ½ full-bore flow"));
            key(ui, PIPE_MID, tr("管道 pipe ½–1"));
            key(
                ui,
                PIPE_FULL,
                tr(&format!(
                    "满管/压力流 full or pressurised: {}",
                    c.full_pipes
                )),
            );
            key(
                ui,
                NODE_SURCHARGED,
                tr(&format!("超载检查井 surcharged manholes: {}", c.surcharged)),
            );
            key(
                ui,
                NODE_FLOODING,
                tr(&format!(
                    "冒溢检查井 manholes flooding the street: {}",
                    c.flooding
                )),
            );
            key(
                ui,
                PUMP_ON,
                tr(&format!(
                    "水泵 pumps: {} running 运行, {} off 停, {} failed 故障",
                    c.pumps[0], c.pumps[1], c.pumps[2]
                )),
            );
            if c.pumps[2] > 0 {
                key(ui, PUMP_FAILED, tr("故障水泵 failed pump"));
            }
            ui.label(tr(&format!(
                "{} nodes 节点, {} links 管段",
                c.nodes, c.links
            )));
        },
    );
    Ok(())
}
