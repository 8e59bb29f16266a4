//! The map view: the district terrain as a sprite and a 2D camera to look at it.
//!
//! How it works: world units are map metres with the origin at the centre of the DEM's
//! extent ([`MapFrame`] converts; f32 keeps centimetres there even for projected
//! coordinates in the hundreds of kilometres). The terrain picture
//! ([`super::terrain::terrain_picture`]) is uploaded once as a texture (nearest
//! sampling, so cells stay sharp when zoomed in) on a sprite covering the extent at
//! [`Z_TERRAIN`]; overlays from later plugins go above it. The camera fits the district
//! into the part of the window below the top bar ([`ScreenInsets`]) until the user pans
//! or zooms; `F` fits again.
//!
//! Controls: drag with the left or middle button to pan, the wheel zooms at the cursor,
//! `F` (or `Home`) fits the district.

use bevy::asset::RenderAssetUsages;
use bevy::image::ImageSampler;
use bevy::input::mouse::{AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::terrain::terrain_picture;
use crate::engine::ScenarioRes;

/// Z of the terrain sprite; overlays (water, units) draw above it.
pub const Z_TERRAIN: f32 = 0.0;

/// Zoom step per wheel line (the scale is multiplied or divided by `1 + ZOOM_STEP`).
const ZOOM_STEP: f32 = 0.15;
/// Pixels of a pixel-unit scroll that count as one line.
const PIXELS_PER_LINE: f32 = 40.0;

/// Map ↔ world coordinates: world = map − centre of the DEM extent (metres).
#[derive(Resource, Debug, Clone, Copy)]
pub struct MapFrame {
    /// Extent `(xmin, ymin, xmax, ymax)`, map metres.
    pub extent: (f64, f64, f64, f64),
    /// Cell size, metres.
    pub cell: f64,
}

impl MapFrame {
    /// Centre of the extent, map metres.
    pub fn centre(&self) -> (f64, f64) {
        let (x0, y0, x1, y1) = self.extent;
        ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    }

    /// Width and height of the extent, metres.
    pub fn size(&self) -> Vec2 {
        let (x0, y0, x1, y1) = self.extent;
        Vec2::new((x1 - x0) as f32, (y1 - y0) as f32)
    }

    /// World position of a map point.
    pub fn to_world(&self, x: f64, y: f64) -> Vec2 {
        let (cx, cy) = self.centre();
        Vec2::new((x - cx) as f32, (y - cy) as f32)
    }

    /// Map point of a world position.
    pub fn to_map(&self, p: Vec2) -> (f64, f64) {
        let (cx, cy) = self.centre();
        (cx + f64::from(p.x), cy + f64::from(p.y))
    }
}

/// Screen space taken by docked panels, logical pixels (written by the panels each
/// frame, read when fitting the map).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct ScreenInsets {
    /// Height of the top bar.
    pub top: f32,
    /// Width taken on the left (the trainer's column).
    pub left: f32,
    /// Width taken on the right (the trainee's column).
    pub right: f32,
}

/// The map camera.
#[derive(Component, Debug, Clone, Copy)]
pub struct MapCamera {
    /// Keep the whole district in view (until the user pans or zooms).
    pub fitted: bool,
}

/// Marker of the terrain sprite.
#[derive(Component)]
pub struct TerrainSprite;

/// Adds the map view.
pub struct MapViewPlugin;

impl Plugin for MapViewPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ScreenInsets {
            top: 0.0,
            left: super::side::LEFT_W + 12.0,
            right: super::side::RIGHT_W + 12.0,
        })
        .add_systems(Startup, spawn_map)
        .add_systems(Update, (pan_and_zoom, fit_on_key, fit_camera).chain());
    }
}

/// Spawn the terrain sprite and the camera, and insert [`MapFrame`] (`Startup`).
pub fn spawn_map(
    mut commands: Commands,
    scenario: Res<ScenarioRes>,
    mut images: ResMut<Assets<Image>>,
) {
    let s = &scenario.0;
    let frame = MapFrame {
        extent: s.dem.spec.extent(),
        cell: s.dem.spec.cell,
    };
    let pic = terrain_picture(&s.dem, &s.landuse, &s.file.district.land_classes);
    let mut image = Image::new(
        Extent3d {
            width: pic.width as u32,
            height: pic.height as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        pic.rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.sampler = ImageSampler::nearest();
    commands.spawn((
        Sprite {
            image: images.add(image),
            custom_size: Some(frame.size()),
            ..default()
        },
        Transform::from_xyz(0.0, 0.0, Z_TERRAIN),
        TerrainSprite,
    ));
    // No multisampling: the map is textures and egui shapes (egui antialiases its own
    // edges), and on a software renderer (lavapipe) 4× MSAA costs most of a frame.
    commands.spawn((Camera2d, Msaa::Off, MapCamera { fitted: true }));
    commands.insert_resource(frame);
}

/// Metres per logical pixel that show the whole district below the top bar.
fn fit_scale(frame: &MapFrame, window: &Window, insets: &ScreenInsets) -> f32 {
    let w = (window.width() - insets.left - insets.right).max(1.0);
    let h = (window.height() - insets.top).max(1.0);
    let size = frame.size();
    (size.x / w).max(size.y / h) * 1.04
}

fn fit_camera(
    frame: Option<Res<MapFrame>>,
    insets: Res<ScreenInsets>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&mut Transform, &mut Projection, &MapCamera)>,
) {
    let Some(frame) = frame else { return };
    let (mut transform, mut projection, map_camera) = camera.into_inner();
    if !map_camera.fitted {
        return;
    }
    let scale = fit_scale(&frame, &window, &insets);
    if let Projection::Orthographic(ortho) = projection.as_mut()
        && ortho.scale != scale
    {
        ortho.scale = scale;
    }
    // Centre the district in the area below the top bar, between the columns.
    let target = Vec3::new(
        (insets.right - insets.left) * scale / 2.0,
        insets.top * scale / 2.0,
        transform.translation.z,
    );
    if transform.translation != target {
        transform.translation = target;
    }
}

fn fit_on_key(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Res<EguiWantsInput>,
    mut camera: Single<&mut MapCamera>,
) {
    if !egui.wants_any_keyboard_input() && keys.any_just_pressed([KeyCode::KeyF, KeyCode::Home]) {
        camera.fitted = true;
    }
}

#[allow(clippy::too_many_arguments)]
fn pan_and_zoom(
    buttons: Res<ButtonInput<MouseButton>>,
    scroll: Res<AccumulatedMouseScroll>,
    egui: Res<EguiWantsInput>,
    frame: Option<Res<MapFrame>>,
    insets: Res<ScreenInsets>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&mut Transform, &mut Projection, &mut MapCamera)>,
    mut drag_from: Local<Option<Vec2>>,
) {
    let Some(frame) = frame else { return };
    let (mut transform, mut projection, mut map_camera) = camera.into_inner();
    let Projection::Orthographic(ortho) = projection.as_mut() else {
        return;
    };
    let cursor = window.cursor_position();
    let pan_buttons = [MouseButton::Left, MouseButton::Middle];

    // Pan: only drags that start on the map (not on a panel) move it.
    if !buttons.any_pressed(pan_buttons) {
        *drag_from = None;
    } else if buttons.any_just_pressed(pan_buttons) && !egui.wants_any_pointer_input() {
        *drag_from = cursor;
    }
    if let (Some(from), Some(now)) = (*drag_from, cursor) {
        let d = now - from;
        if d != Vec2::ZERO {
            // Screen y grows downwards, world y upwards.
            transform.translation.x -= d.x * ortho.scale;
            transform.translation.y += d.y * ortho.scale;
            map_camera.fitted = false;
        }
        *drag_from = Some(now);
    }

    // Zoom at the cursor: the map point under it stays put.
    let lines = match scroll.unit {
        MouseScrollUnit::Line => scroll.delta.y,
        MouseScrollUnit::Pixel => scroll.delta.y / PIXELS_PER_LINE,
    };
    if lines == 0.0 || egui.wants_any_pointer_input() {
        return;
    }
    let fit = fit_scale(&frame, &window, &insets);
    let min_scale = frame.cell as f32 / 32.0;
    let new_scale =
        (ortho.scale * (1.0 + ZOOM_STEP).powf(-lines)).clamp(min_scale.min(fit), fit * 4.0);
    let centre = Vec2::new(window.width(), window.height()) / 2.0;
    let offset = cursor.map_or(Vec2::ZERO, |c| Vec2::new(c.x - centre.x, centre.y - c.y));
    let anchor = transform.translation.truncate() + offset * ortho.scale;
    let cam = anchor - offset * new_scale;
    transform.translation.x = cam.x;
    transform.translation.y = cam.y;
    ortho.scale = new_scale;
    map_camera.fitted = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_and_world_round_trip() {
        let f = MapFrame {
            extent: (500_000.0, 3_400_000.0, 502_560.0, 3_402_560.0),
            cell: 5.0,
        };
        assert_eq!(f.to_world(501_280.0, 3_401_280.0), Vec2::ZERO);
        assert_eq!(
            f.to_world(500_000.0, 3_402_560.0),
            Vec2::new(-1280.0, 1280.0)
        );
        let (x, y) = f.to_map(Vec2::new(12.5, -7.25));
        assert!((x - 501_292.5).abs() < 1e-9 && (y - 3_401_272.75).abs() < 1e-9);
        assert_eq!(f.size(), Vec2::new(2560.0, 2560.0));
    }
}
