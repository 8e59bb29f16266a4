//! The water-depth overlay: where the water is, drawn over the terrain, plus a legend
//! and the compact status the top bar shows (rain at the district centre, households).
//!
//! How it works: a second sprite at [`Z_WATER`] (above [`Z_TERRAIN`]) carries an RGBA
//! texture with one pixel per cell (or per `stride` cells, like the terrain picture).
//! Each cell deeper than [`DEPTH_CLASSES`]`[0]` gets the translucent blue of its depth
//! class, every other cell is transparent. [`refresh_water`] rewrites the texture's
//! bytes in place (one pass over the depth slice, rows in parallel) when the sim clock
//! has moved, at most every [`REFRESH_S`] of wall time while running and at once after
//! a single step while paused. With the hazard layer chosen it paints each cell's AIDR
//! hazard class (H1–H6, from depth and speed) instead. It only reads the newest
//! [`crate::live::SimView`]; the simulation is never touched.

use bevy::asset::RenderAssetUsages;
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use rayon::prelude::*;

use super::driver::{Console, poll_worker};
use super::lang::tr;
use super::map_view::{MapFrame, Z_TERRAIN, spawn_map};
use super::terrain::MAX_TEXTURE;
use crate::engine::ScenarioRes;
use crate::world::GridSpec;

/// Z of the water overlay (above the terrain).
pub const Z_WATER: f32 = Z_TERRAIN + 1.0;

/// Wall seconds between overlay refreshes while the simulation runs.
pub const REFRESH_S: f64 = 0.5;

pub use crate::report::terrain::{CLASS_LABELS, CLASS_RGBA, DEPTH_CLASSES, depth_class};

/// What the water overlay shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaterMode {
    /// Depth classes.
    #[default]
    Depth,
    /// AIDR hazard classes H1–H6.
    Hazard,
}

/// sRGB colour and alpha of the hazard classes H1 … H6.
pub const HAZARD_RGBA: [[u8; 4]; 6] = [
    [120, 200, 120, 150],
    [250, 230, 90, 185],
    [250, 170, 50, 200],
    [235, 100, 40, 215],
    [200, 30, 30, 230],
    [110, 20, 90, 240],
];

/// Legend labels of the hazard classes.
pub const HAZARD_LABELS: [&str; 6] = [
    "H1 安全 safe",
    "H2 小车危险 small cars",
    "H3 车辆老幼 cars, elderly",
    "H4 人车危险 people",
    "H5 建筑易损 buildings",
    "H6 建筑危险 all unsafe",
];

/// The overlay's texture and refresh state.
#[derive(Resource, Debug, Clone)]
pub struct WaterOverlay {
    /// The texture on the overlay sprite.
    pub image: Handle<Image>,
    /// Grid cells per pixel side.
    pub stride: usize,
    /// Show the overlay.
    pub visible: bool,
    /// Depth or hazard.
    pub mode: WaterMode,
    /// Force a redraw (the mode changed).
    pub dirty: bool,
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

/// The mode the overlay starts in.
#[derive(Resource, Debug, Clone, Copy)]
struct StartMode(WaterMode);

/// Marker of the water overlay sprite.
#[derive(Component)]
pub struct WaterSprite;

/// Adds the water overlay, its legend and the status.
pub struct WaterOverlayPlugin {
    /// Start with the hazard classes shown.
    pub hazard: bool,
}

impl Plugin for WaterOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SimStatus>()
            .insert_resource(StartMode(if self.hazard {
                WaterMode::Hazard
            } else {
                WaterMode::Depth
            }))
            .add_systems(Startup, spawn_overlay.after(spawn_map))
            .add_systems(Update, refresh_water.after(poll_worker))
            .add_systems(
                EguiPrimaryContextPass,
                legend.in_set(super::side::UiOrder::Left2),
            );
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
    depth: &[f32],
    blocked: &[bool],
    spec: &GridSpec,
    stride: usize,
    rgba: &mut [u8],
) -> usize {
    if depth.len() != spec.len() {
        rgba.fill(0);
        return 0;
    }
    paint_cells(spec, stride, rgba, |i| {
        if blocked.get(i).copied().unwrap_or(false) {
            return None;
        }
        depth_class(f64::from(depth[i])).map(|k| (CLASS_RGBA[k], true))
    })
}

/// Paint every `stride`-th cell of `spec` into `rgba` with `colour(cell)`: a colour
/// and whether the pixel counts, or `None` for a transparent pixel. Returns the count.
fn paint_cells(
    spec: &GridSpec,
    stride: usize,
    rgba: &mut [u8],
    colour: impl Fn(usize) -> Option<([u8; 4], bool)> + Sync,
) -> usize {
    let width = spec.ncols.div_ceil(stride);
    if width == 0 {
        rgba.fill(0);
        return 0;
    }
    rgba.par_chunks_mut(width * 4)
        .enumerate()
        .map(|(pr, row)| {
            let r = pr * stride;
            let mut counted = 0;
            for (pc, px) in row.chunks_exact_mut(4).enumerate() {
                match colour(spec.idx(r, pc * stride)) {
                    Some((rgba, counts)) => {
                        px.copy_from_slice(&rgba);
                        counted += usize::from(counts);
                    }
                    None => px.fill(0),
                }
            }
            counted
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

/// Paint hazard classes (0 dry, 1–6) like [`paint_depth`]; returns the pixels in H3 or
/// above.
pub fn paint_hazard(hazard: &[u8], spec: &GridSpec, stride: usize, rgba: &mut [u8]) -> usize {
    if hazard.len() != spec.len() {
        rgba.fill(0);
        return 0;
    }
    paint_cells(spec, stride, rgba, |i| match hazard[i] {
        0 => None,
        k => Some((HAZARD_RGBA[usize::from(k.min(6)) - 1], k >= 3)),
    })
}

fn spawn_overlay(
    mut commands: Commands,
    scenario: Res<ScenarioRes>,
    frame: Res<MapFrame>,
    start: Res<StartMode>,
    mut images: ResMut<Assets<Image>>,
) {
    let spec = scenario.0.dem.spec;
    let (width, height, stride) = texture_size(&spec);
    if width == 0 || height == 0 {
        return;
    }
    let rgba = vec![0u8; width * height * 4];
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
        mode: start.0,
        dirty: true,
    });
}

#[allow(clippy::too_many_arguments)]
fn refresh_water(
    time: Res<Time<Real>>,
    console: Res<Console>,
    overlay: Option<ResMut<WaterOverlay>>,
    layers: Res<super::side::Layers>,
    mut images: ResMut<Assets<Image>>,
    mut status: ResMut<SimStatus>,
    mut sprite: Query<&mut Visibility, With<WaterSprite>>,
    mut last: Local<Option<(u64, f64)>>,
) {
    let Some(mut o) = overlay else { return };
    // The trainees do not see the water itself: only what the sensors report.
    show(o.visible && !layers.trainee, sprite.iter_mut());
    let Some(v) = console.view.clone() else {
        return;
    };
    let forced = std::mem::take(&mut o.dirty);
    if !refresh_due(&time, &console, &mut last) && !forced {
        return;
    }
    let mut new_status = SimStatus {
        households: v.counts,
        rain_mm_h: v.rain_mm_h,
        wet_cells: v.wet_cells,
    };
    if let Some(spec) = v.spec
        && let Some(mut image) = images.get_mut(&o.image)
        && let Some(data) = image.data.as_mut()
    {
        new_status.wet_cells = match o.mode {
            WaterMode::Depth => paint_depth(&v.depth, &v.blocked, &spec, o.stride, data),
            WaterMode::Hazard => paint_hazard(&v.hazard, &spec, o.stride, data),
        };
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

/// Whether an overlay is due a redraw: when a new view came, at once while paused
/// (single steps, seeks), otherwise at most every [`REFRESH_S`] of wall time; `last`
/// keeps the view count and wall time of the last redraw.
pub fn refresh_due(time: &Time<Real>, console: &Console, last: &mut Option<(u64, f64)>) -> bool {
    let wall = time.elapsed_secs_f64();
    let moved = last.is_none_or(|(n, _)| n != console.views);
    let paused = console.view.as_ref().is_none_or(|v| v.run.paused);
    let due = paused || last.is_none_or(|(_, at)| wall - at >= REFRESH_S);
    if moved && due {
        *last = Some((console.views, wall));
    }
    moved && due
}

/// Ground colour the legend swatches are blended over (a light street block).
const LEGEND_GROUND: [u8; 3] = [225, 220, 205];

/// Opaque egui colour of a depth class as it looks over light ground (the class colour
/// blended over [`LEGEND_GROUND`] in sRGB, as the sprite is).
pub fn class_colour(k: usize) -> Color32 {
    blend(CLASS_RGBA[k])
}

/// Opaque egui colour of a hazard class `k` (0 = H1) over light ground.
pub fn hazard_colour(k: usize) -> Color32 {
    blend(HAZARD_RGBA[k])
}

fn blend([r, g, b, a]: [u8; 4]) -> Color32 {
    let a = f32::from(a) / 255.0;
    let mix = |c: u8, ground: u8| (f32::from(c) * a + f32::from(ground) * (1.0 - a)).round() as u8;
    Color32::from_rgb(
        mix(r, LEGEND_GROUND[0]),
        mix(g, LEGEND_GROUND[1]),
        mix(b, LEGEND_GROUND[2]),
    )
}

fn swatch(ui: &mut egui::Ui, c: Color32, label: &str) {
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(22.0, 14.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 2.0, c);
        ui.label(RichText::new(tr(label)).small());
    });
}

fn legend(
    mut contexts: EguiContexts,
    mut marks: ResMut<super::side::UiMarks>,
    overlay: Option<ResMut<WaterOverlay>>,
    layers: Res<super::side::Layers>,
) -> Result {
    let Some(mut overlay) = overlay else {
        return Ok(());
    };
    if layers.trainee {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let shown = super::side::section(ctx, super::side::Column::Left, tr("水 water"), true, |ui| {
        ui.checkbox(&mut overlay.visible, tr("显示 show"));
        let before = overlay.mode;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut overlay.mode, WaterMode::Depth, tr("水深 depth"));
            ui.selectable_value(&mut overlay.mode, WaterMode::Hazard, tr("危险 hazard"));
        });
        if overlay.mode != before {
            overlay.dirty = true;
        }
        match overlay.mode {
            WaterMode::Depth => {
                for (k, label) in CLASS_LABELS.iter().enumerate().rev() {
                    swatch(ui, class_colour(k), label);
                }
            }
            WaterMode::Hazard => {
                // AIDR Guideline 7-3 (2017); H3: unsafe for vehicles, children and
                // the elderly, H4: for people and vehicles, H5/H6: buildings.
                egui::Grid::new("hazard_legend").show(ui, |ui| {
                    for (k, label) in HAZARD_LABELS.iter().enumerate() {
                        swatch(ui, hazard_colour(k), label);
                        if k % 2 == 1 {
                            ui.end_row();
                        }
                    }
                });
            }
        }
    });
    if let Some(r) = shown {
        marks.put("water", r);
    }
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
        let depth = [0.0f32, 0.1, 2.0, 0.5, 0.01, 0.3];
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
