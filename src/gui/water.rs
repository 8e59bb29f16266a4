//! The water-depth overlay: where the water is, drawn over the terrain, plus a legend
//! and the compact status the top bar shows (rain at the district centre, households).
//!
//! How it works: a second sprite at [`Z_WATER`] (above [`Z_TERRAIN`]) carries an RGBA
//! texture with one pixel per cell (or per `stride` cells, like the terrain picture).
//! Each cell deeper than [`DEPTH_CLASSES`]`[0]` gets the translucent blue of its depth
//! class, every other cell is transparent. [`refresh_water`] rewrites the texture's
//! bytes in place (one pass over the depth slice, rows in parallel) when the sim clock
//! has moved, at most every [`REFRESH_S`] of wall time while running and at once after
//! a single step while paused. It only reads [`Water`] and [`People`]; the simulation is
//! never touched.

use bevy::asset::RenderAssetUsages;
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use rayon::prelude::*;

use super::driver::{SimDriver, drive_simulation};
use super::map_view::{MapFrame, Z_TERRAIN, spawn_map};
use super::terrain::MAX_TEXTURE;
use crate::agents::HouseholdState;
use crate::engine::hydro::Water;
use crate::engine::people::People;
use crate::exercise::SimClock;
use crate::world::GridSpec;

/// Z of the water overlay (above the terrain).
pub const Z_WATER: f32 = Z_TERRAIN + 1.0;

/// Wall seconds between overlay refreshes while the simulation runs.
pub const REFRESH_S: f64 = 0.5;

pub use crate::report::terrain::{CLASS_LABELS, CLASS_RGBA, DEPTH_CLASSES, depth_class};

/// The overlay's texture and refresh state.
#[derive(Resource, Debug, Clone)]
pub struct WaterOverlay {
    /// The texture on the overlay sprite.
    pub image: Handle<Image>,
    /// Grid cells per pixel side.
    pub stride: usize,
    /// Show the overlay.
    pub visible: bool,
}

/// What the top bar shows about the sim (refreshed with the overlay).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct SimStatus {
    /// Rain intensity at the district centre, mm/h (`None` without a water model).
    pub rain_mm_h: Option<f64>,
    /// Households safe away from home (in a shelter, at an assembly point or out of the
    /// district), staying in, on the road, waiting for a way on, trapped (`None`
    /// without people).
    pub households: Option<[u32; 5]>,
    /// Wet cells (deeper than the first class bound).
    pub wet_cells: usize,
}

/// Marker of the water overlay sprite.
#[derive(Component)]
pub struct WaterSprite;

/// Adds the water overlay, its legend and the status.
pub struct WaterOverlayPlugin;

impl Plugin for WaterOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SimStatus>()
            .add_systems(Startup, spawn_overlay.after(spawn_map))
            .add_systems(Update, refresh_water.after(drive_simulation))
            .add_systems(EguiPrimaryContextPass, legend);
    }
}

/// Texture size for a grid: `(width, height, stride)`.
fn texture_size(spec: &GridSpec) -> (usize, usize, usize) {
    let stride = spec.ncols.max(spec.nrows).div_ceil(MAX_TEXTURE).max(1);
    (
        spec.ncols.div_ceil(stride),
        spec.nrows.div_ceil(stride),
        stride,
    )
}

/// Paint `depth` (row-major, row 0 north, `spec`) into `rgba` (`width × height × 4`,
/// sampled every `stride` cells); returns the number of wet pixels.
pub fn paint_depth(
    depth: &[f64],
    blocked: &[bool],
    spec: &GridSpec,
    stride: usize,
    rgba: &mut [u8],
) -> usize {
    let width = spec.ncols.div_ceil(stride);
    if width == 0 || depth.len() != spec.len() {
        rgba.fill(0);
        return 0;
    }
    rgba.par_chunks_mut(width * 4)
        .enumerate()
        .map(|(pr, row)| {
            let r = pr * stride;
            let mut wet = 0;
            for (pc, px) in row.chunks_exact_mut(4).enumerate() {
                let i = spec.idx(r, pc * stride);
                let class = if blocked.get(i).copied().unwrap_or(false) {
                    None
                } else {
                    depth_class(depth[i])
                };
                match class {
                    Some(k) => {
                        px.copy_from_slice(&CLASS_RGBA[k]);
                        wet += 1;
                    }
                    None => px.fill(0),
                }
            }
            wet
        })
        .sum()
}

/// An overlay's RGBA texture (`width × height`), sampled nearest so that cells stay
/// sharp, kept in the main world too: its bytes are rewritten in place.
pub fn overlay_image(width: usize, height: usize, rgba: Vec<u8>) -> Image {
    let mut image = Image::new(
        Extent3d {
            width: width as u32,
            height: height as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    image.sampler = ImageSampler::nearest();
    image
}

fn spawn_overlay(
    mut commands: Commands,
    water: Option<Res<Water>>,
    frame: Res<MapFrame>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(water) = water else { return };
    let model = &water.0;
    let spec = *model.spec();
    let (width, height, stride) = texture_size(&spec);
    if width == 0 || height == 0 {
        return;
    }
    let mut rgba = vec![0u8; width * height * 4];
    paint_depth(&model.depth(), model.blocked(), &spec, stride, &mut rgba);
    let handle = images.add(overlay_image(width, height, rgba));
    let (x0, y0, x1, y1) = spec.extent();
    let centre = frame.to_world((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    commands.spawn((
        Sprite {
            image: handle.clone(),
            custom_size: Some(Vec2::new((x1 - x0) as f32, (y1 - y0) as f32)),
            ..default()
        },
        Transform::from_xyz(centre.x, centre.y, Z_WATER),
        WaterSprite,
    ));
    commands.insert_resource(WaterOverlay {
        image: handle,
        stride,
        visible: true,
    });
}

#[allow(clippy::too_many_arguments)]
fn refresh_water(
    time: Res<Time<Real>>,
    clock: Res<SimClock>,
    driver: Res<SimDriver>,
    water: Option<Res<Water>>,
    people: Option<Res<People>>,
    frame: Option<Res<MapFrame>>,
    overlay: Option<Res<WaterOverlay>>,
    mut images: ResMut<Assets<Image>>,
    mut status: ResMut<SimStatus>,
    mut sprite: Query<&mut Visibility, With<WaterSprite>>,
    mut last: Local<Option<(u64, f64)>>,
) {
    if let Some(o) = &overlay {
        show(o.visible, sprite.iter_mut());
    }
    if !refresh_due(&time, &clock, &driver, &mut last) {
        return;
    }
    let mut new_status = SimStatus {
        households: people.map(|p| household_counts(&p)),
        ..*status
    };
    if let Some(water) = water {
        let model = &water.0;
        let spec = *model.spec();
        if let Some(f) = frame {
            let (cx, cy) = f.centre();
            new_status.rain_mm_h = Some(model.rain_field().intensity_at(&spec, cx, cy, clock.t));
        }
        if let Some(o) = overlay
            && let Some(mut image) = images.get_mut(&o.image)
            && let Some(data) = image.data.as_mut()
        {
            new_status.wet_cells =
                paint_depth(&model.depth(), model.blocked(), &spec, o.stride, data);
        }
    }
    *status = new_status;
}

/// Show or hide an overlay's sprites.
pub fn show<'a>(visible: bool, sprites: impl Iterator<Item = Mut<'a, Visibility>>) {
    let want = if visible {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    };
    for mut v in sprites {
        if *v != want {
            *v = want;
        }
    }
}

/// Whether an overlay is due a redraw: when the clock moved, at once while paused
/// (single steps), otherwise at most every [`REFRESH_S`] of wall time; `last` keeps
/// the tick and wall time of the last redraw.
pub fn refresh_due(
    time: &Time<Real>,
    clock: &SimClock,
    driver: &SimDriver,
    last: &mut Option<(u64, f64)>,
) -> bool {
    let wall = time.elapsed_secs_f64();
    let moved = last.is_none_or(|(tick, _)| tick != clock.tick);
    let due = driver.paused || last.is_none_or(|(_, at)| wall - at >= REFRESH_S);
    if moved && due {
        *last = Some((clock.tick, wall));
    }
    moved && due
}

/// Households safe away from home, staying in, moving, waiting, trapped.
fn household_counts(p: &People) -> [u32; 5] {
    let t = p.households.counts_by_state_and_zone();
    [
        t.total(HouseholdState::Sheltered) + t.total(HouseholdState::Away),
        t.total(HouseholdState::InPlace) + t.total(HouseholdState::Refuge),
        t.total(HouseholdState::Moving),
        t.total(HouseholdState::Waiting),
        t.total(HouseholdState::Trapped),
    ]
}

/// Ground colour the legend swatches are blended over (a light street block).
const LEGEND_GROUND: [u8; 3] = [225, 220, 205];

/// Opaque egui colour of a depth class as it looks over light ground (the class colour
/// blended over [`LEGEND_GROUND`] in sRGB, as the sprite is).
pub fn class_colour(k: usize) -> Color32 {
    let [r, g, b, a] = CLASS_RGBA[k];
    let a = f32::from(a) / 255.0;
    let mix = |c: u8, ground: u8| (f32::from(c) * a + f32::from(ground) * (1.0 - a)).round() as u8;
    Color32::from_rgb(
        mix(r, LEGEND_GROUND[0]),
        mix(g, LEGEND_GROUND[1]),
        mix(b, LEGEND_GROUND[2]),
    )
}

fn legend(mut contexts: EguiContexts, overlay: Option<ResMut<WaterOverlay>>) -> Result {
    let Some(mut overlay) = overlay else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    egui::Window::new("水深 depth")
        .anchor(egui::Align2::LEFT_BOTTOM, [8.0, -8.0])
        .resizable(false)
        .collapsible(true)
        .default_width(130.0)
        .show(ctx, |ui| {
            ui.checkbox(&mut overlay.visible, "显示 show");
            for (k, label) in CLASS_LABELS.iter().enumerate().rev() {
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(22.0, 14.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, class_colour(k));
                    ui.label(RichText::new(*label).monospace());
                });
            }
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_classes_bounds() {
        assert_eq!(depth_class(0.0), None);
        assert_eq!(depth_class(0.02), None);
        assert_eq!(depth_class(0.05), Some(0));
        assert_eq!(depth_class(0.2), Some(1));
        assert_eq!(depth_class(0.4), Some(2));
        assert_eq!(depth_class(0.7), Some(3));
        assert_eq!(depth_class(3.0), Some(4));
        assert_eq!(depth_class(f64::NAN), None);
    }

    #[test]
    fn paint_marks_wet_cells_only() {
        let spec = GridSpec {
            ncols: 3,
            nrows: 2,
            xll: 0.0,
            yll: 0.0,
            cell: 5.0,
        };
        let depth = [0.0, 0.1, 2.0, 0.5, 0.01, 0.3];
        let blocked = [false, false, false, false, false, true];
        let mut rgba = vec![7u8; 24];
        let wet = paint_depth(&depth, &blocked, &spec, 1, &mut rgba);
        assert_eq!(wet, 3);
        assert_eq!(&rgba[0..4], &[0, 0, 0, 0]);
        assert_eq!(&rgba[4..8], &CLASS_RGBA[0]);
        assert_eq!(&rgba[8..12], &CLASS_RGBA[4]);
        assert_eq!(&rgba[12..16], &CLASS_RGBA[2]);
        assert_eq!(&rgba[20..24], &[0, 0, 0, 0]);
    }
}
