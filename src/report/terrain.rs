//! The terrain picture: hillshade of the DEM × a colour per land-use class.
//!
//! How it works: the shade is the classic Horn (1981) hillshade — slope and aspect from
//! the 3 × 3 neighbourhood, lit from the north-west (azimuth 315°, altitude 45°) — scaled
//! so flat ground has shade 1. The colour of a land-use code is guessed from its class
//! name (English or Chinese keywords: water, road, building, green, …); classes that
//! block water are drawn as buildings (dark). A light elevation tint makes low ground a
//! little darker, so underpasses and low streets read on a flat plain. Plain Rust over
//! the grids, no Bevy types; rows in parallel.
//!
//! Performance note: one pass over the DEM; grids larger than [`MAX_TEXTURE`] cells on a
//! side are sampled every `k`-th cell so the texture fits any GPU.

use rayon::prelude::*;

use crate::scenario::schema::LandClass;
use crate::world::Grid;

/// Largest texture side in pixels (wgpu's default limit is 8192; stay well inside).
pub const MAX_TEXTURE: usize = 4096;

/// Vertical exaggeration of the hillshade: urban relief is gentle.
const Z_FACTOR: f64 = 2.0;
/// Sun azimuth (degrees clockwise from north) and altitude (degrees).
const SUN_AZIMUTH: f64 = 315.0;
const SUN_ALTITUDE: f64 = 45.0;

/// Lower bounds of the depth classes, metres (the first is the "wet" threshold).
pub const DEPTH_CLASSES: [f64; 5] = [0.02, 0.15, 0.3, 0.5, 1.0];

/// sRGB colour and alpha (straight) of each depth class, light to dark.
pub const CLASS_RGBA: [[u8; 4]; 5] = [
    [140, 200, 255, 150],
    [95, 165, 250, 175],
    [55, 125, 235, 185],
    [25, 80, 205, 210],
    [10, 35, 145, 235],
];

/// Legend labels of the depth classes.
pub const CLASS_LABELS: [&str; 5] = [
    "0.02 – 0.15 m",
    "0.15 – 0.3 m",
    "0.3 – 0.5 m",
    "0.5 – 1.0 m",
    "> 1.0 m",
];

/// The depth class of `h` metres (`None` when dry).
pub fn depth_class(h: f64) -> Option<usize> {
    if h.is_nan() || h <= DEPTH_CLASSES[0] {
        return None;
    }
    Some(DEPTH_CLASSES.iter().rposition(|&b| h > b).unwrap_or(0))
}

/// An sRGB RGBA8 picture, row 0 north.
#[derive(Debug, Clone, PartialEq)]
pub struct TerrainPicture {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Grid cells per pixel side (1 unless the grid exceeds [`MAX_TEXTURE`]).
    pub stride: usize,
    /// `width × height × 4` bytes, row-major.
    pub rgba: Vec<u8>,
}

/// What a land-use class looks like on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandLook {
    /// Rivers, lakes, ponds.
    Water,
    /// Building footprints and other solid blocks.
    Building,
    /// Roads, streets, squares.
    Road,
    /// Parks, grass, forest.
    Green,
    /// Farmland.
    Farm,
    /// Housing.
    Residential,
    /// Shops, offices, industry.
    Commercial,
    /// Levees and embankments.
    Levee,
    /// Bare soil, construction sites.
    Bare,
    /// Anything else.
    Other,
}

impl LandLook {
    /// Guess the look of a class from its name and flags.
    pub fn of(class: &LandClass) -> Self {
        let n = class.name.to_lowercase();
        let has = |keys: &[&str]| keys.iter().any(|k| n.contains(k));
        if class.river
            || has(&[
                "water", "river", "lake", "pond", "canal", "stream", "channel", "水", "河", "湖",
                "渠", "塘", "江",
            ])
        {
            LandLook::Water
        } else if class.blocked || has(&["building", "house", "建筑", "房", "楼"]) {
            LandLook::Building
        } else if has(&["levee", "dike", "dyke", "embank", "堤", "坝"]) {
            LandLook::Levee
        } else if has(&[
            "road", "street", "lane", "highway", "square", "plaza", "parking", "路", "街", "道",
            "广场", "停车",
        ]) {
            LandLook::Road
        } else if has(&[
            "park", "green", "grass", "forest", "wood", "tree", "garden", "meadow", "绿", "林",
            "草", "园", "山",
        ]) {
            LandLook::Green
        } else if has(&["farm", "crop", "agri", "field", "paddy", "田", "农", "耕"]) {
            LandLook::Farm
        } else if has(&["resid", "housing", "住", "居"]) {
            LandLook::Residential
        } else if has(&["commerc", "industr", "office", "retail", "商", "工", "业"]) {
            LandLook::Commercial
        } else if has(&["bare", "soil", "construct", "sand", "裸", "工地", "沙"]) {
            LandLook::Bare
        } else {
            LandLook::Other
        }
    }

    /// Base colour (linear-ish 0–1 RGB, applied before the shade).
    pub fn colour(self) -> [f64; 3] {
        match self {
            LandLook::Water => [0.36, 0.56, 0.84],
            LandLook::Building => [0.40, 0.38, 0.38],
            LandLook::Road => [0.84, 0.83, 0.80],
            LandLook::Green => [0.56, 0.73, 0.45],
            LandLook::Farm => [0.80, 0.82, 0.55],
            LandLook::Residential => [0.93, 0.87, 0.76],
            LandLook::Commercial => [0.88, 0.80, 0.82],
            LandLook::Levee => [0.72, 0.66, 0.50],
            LandLook::Bare => [0.82, 0.74, 0.60],
            LandLook::Other => [0.84, 0.82, 0.74],
        }
    }
}

/// Hillshade of cell `(r, c)` with edges clamped, scaled so flat ground is 1 (range
/// 0 … 1/cos(zenith) ≈ 1.41).
pub fn hillshade(dem: &Grid<f64>, r: usize, c: usize) -> f64 {
    let s = dem.spec;
    let (rm, rp) = (r.saturating_sub(1), (r + 1).min(s.nrows - 1));
    let (cm, cp) = (c.saturating_sub(1), (c + 1).min(s.ncols - 1));
    let z = |r: usize, c: usize| dem.data[s.idx(r, c)];
    // Horn's weights; row index grows southwards, column eastwards.
    let (a, b, cc) = (z(rm, cm), z(rm, c), z(rm, cp));
    let (d, f) = (z(r, cm), z(r, cp));
    let (g, h, i) = (z(rp, cm), z(rp, c), z(rp, cp));
    // Distances between the sampled columns/rows (one cell less at a clamped edge).
    let wx = ((cp - cm).max(1) as f64) * s.cell;
    let wy = ((rp - rm).max(1) as f64) * s.cell;
    let dzdx = ((cc + 2.0 * f + i) - (a + 2.0 * d + g)) / (4.0 * wx);
    // Positive when the ground rises to the north.
    let dzdy = ((a + 2.0 * b + cc) - (g + 2.0 * h + i)) / (4.0 * wy);
    let zenith = (90.0 - SUN_ALTITUDE).to_radians();
    let azimuth = SUN_AZIMUTH.to_radians();
    let (gx, gy) = (Z_FACTOR * dzdx, Z_FACTOR * dzdy);
    // Unit normal of the surface z = f(x, y) is (−gx, −gy, 1)/‖·‖; the sun direction
    // (east, north, up) comes from azimuth (clockwise from north) and altitude.
    let sun = [
        zenith.sin() * azimuth.sin(),
        zenith.sin() * azimuth.cos(),
        zenith.cos(),
    ];
    let norm = (gx * gx + gy * gy + 1.0).sqrt();
    let lit = (-gx * sun[0] - gy * sun[1] + sun[2]) / norm;
    if lit.is_finite() {
        (lit / zenith.cos()).max(0.0)
    } else {
        1.0
    }
}

/// The terrain picture of a DEM and its land use.
pub fn terrain_picture(
    dem: &Grid<f64>,
    landuse: &Grid<i32>,
    classes: &[LandClass],
) -> TerrainPicture {
    let s = dem.spec;
    let stride = s.ncols.max(s.nrows).div_ceil(MAX_TEXTURE).max(1);
    let (width, height) = (s.ncols.div_ceil(stride), s.nrows.div_ceil(stride));
    let looks: Vec<(i32, LandLook)> = classes.iter().map(|c| (c.code, LandLook::of(c))).collect();
    let look_of = |code: i32| {
        looks
            .iter()
            .find(|l| l.0 == code)
            .map_or(LandLook::Other, |l| l.1)
    };
    let (lo, hi) = elevation_range(dem);
    let same_landuse = landuse.spec.same_extent(&s);
    let mut rgba = vec![0u8; width * height * 4];
    if width == 0 || height == 0 {
        return TerrainPicture {
            width,
            height,
            stride,
            rgba,
        };
    }
    rgba.par_chunks_mut(width * 4)
        .enumerate()
        .for_each(|(pr, row)| {
            let r = pr * stride;
            for pc in 0..width {
                let c = pc * stride;
                let look = if same_landuse {
                    look_of(*landuse.get(r, c))
                } else {
                    LandLook::Other
                };
                let base = look.colour();
                let shade = if look == LandLook::Water {
                    1.0
                } else {
                    hillshade(dem, r, c).min(1.3)
                };
                let z = *dem.get(r, c);
                let rel = if hi > lo {
                    ((z - lo) / (hi - lo)).clamp(0.0, 1.0)
                } else {
                    0.5
                };
                // Low ground a little darker: 0.82 at the bottom of the range, 1.0 at the top.
                let tint = 0.82 + 0.18 * rel;
                let k = (0.25 + 0.75 * shade) * tint;
                let px = &mut row[pc * 4..pc * 4 + 4];
                for ch in 0..3 {
                    px[ch] = (base[ch] * k * 255.0).round().clamp(0.0, 255.0) as u8;
                }
                px[3] = 255;
            }
        });
    TerrainPicture {
        width,
        height,
        stride,
        rgba,
    }
}

/// The 2nd and 98th percentile of the elevations (robust to a few pits and peaks).
fn elevation_range(dem: &Grid<f64>) -> (f64, f64) {
    let step = (dem.data.len() / 100_000).max(1);
    let mut v: Vec<f64> = dem
        .data
        .iter()
        .step_by(step)
        .copied()
        .filter(|z| z.is_finite())
        .collect();
    if v.is_empty() {
        return (0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.02), at(0.98))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::GridSpec;

    fn plane(n: usize, slope_x: f64, slope_y: f64) -> Grid<f64> {
        let spec = GridSpec {
            ncols: n,
            nrows: n,
            xll: 0.0,
            yll: 0.0,
            cell: 5.0,
        };
        let mut g = Grid::filled(spec, 0.0);
        for r in 0..n {
            for c in 0..n {
                let (x, y) = spec.cell_centre(r, c);
                g.data[spec.idx(r, c)] = 10.0 + slope_x * x + slope_y * y;
            }
        }
        g
    }

    #[test]
    fn flat_ground_has_unit_shade() {
        let g = plane(5, 0.0, 0.0);
        assert!((hillshade(&g, 2, 2) - 1.0).abs() < 1e-12);
        assert!((hillshade(&g, 0, 4) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn slopes_facing_the_north_west_sun_are_brighter() {
        // Ground rising to the east faces west (towards the sun): brighter than flat.
        let faces_west = plane(5, 0.2, 0.0);
        let faces_east = plane(5, -0.2, 0.0);
        // Ground rising to the north faces south, away from the sun.
        assert!(hillshade(&plane(5, 0.0, 0.2), 2, 2) < 1.0);
        assert!(
            hillshade(&faces_west, 2, 2) > 1.0,
            "ground rising east faces the NW sun"
        );
        assert!(
            hillshade(&faces_east, 2, 2) < 1.0,
            "ground falling east faces away from it"
        );
        // Edges use a one-sided difference and agree with the interior on a plane.
        assert!((hillshade(&faces_east, 0, 0) - hillshade(&faces_east, 2, 2)).abs() < 1e-9);
    }

    #[test]
    fn class_names_pick_looks() {
        let class = |name: &str, blocked: bool| LandClass {
            code: 1,
            name: name.into(),
            manning: 0.03,
            impervious: 0.0,
            infiltration: Default::default(),
            drainage_mm_h: 0.0,
            blocked,
            river: false,
        };
        assert_eq!(LandLook::of(&class("river", false)), LandLook::Water);
        assert_eq!(LandLook::of(&class("河道", false)), LandLook::Water);
        assert_eq!(LandLook::of(&class("anything", true)), LandLook::Building);
        assert_eq!(LandLook::of(&class("road", false)), LandLook::Road);
        assert_eq!(LandLook::of(&class("住宅", false)), LandLook::Residential);
        assert_eq!(LandLook::of(&class("park", false)), LandLook::Green);
    }

    #[test]
    fn picture_has_one_pixel_per_cell_and_buildings_are_darker() {
        let dem = plane(4, 0.0, 0.0);
        let mut lu = Grid::filled(dem.spec, 2);
        lu.data[0] = 7;
        let classes = [
            LandClass {
                code: 2,
                name: "residential".into(),
                manning: 0.03,
                impervious: 0.0,
                infiltration: Default::default(),
                drainage_mm_h: 0.0,
                blocked: false,
                river: false,
            },
            LandClass {
                code: 7,
                name: "building".into(),
                manning: 0.015,
                impervious: 1.0,
                infiltration: Default::default(),
                drainage_mm_h: 0.0,
                blocked: true,
                river: false,
            },
        ];
        let p = terrain_picture(&dem, &lu, &classes);
        assert_eq!((p.width, p.height, p.stride, p.rgba.len()), (4, 4, 1, 64));
        let lum =
            |i: usize| p.rgba[i * 4] as u32 + p.rgba[i * 4 + 1] as u32 + p.rgba[i * 4 + 2] as u32;
        assert!(lum(0) < lum(1));
        assert!(p.rgba.chunks(4).all(|px| px[3] == 255));
    }
}
