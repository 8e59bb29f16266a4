//! Map pictures for the after-action report: the terrain as a base, then water, people
//! or tracks drawn over it, encoded as PNG.
//!
//! How it works: a [`Canvas`] starts from the terrain picture (hillshade × land-use
//! colour, see [`super::terrain`]), scaled up by a whole factor so small districts are
//! still legible, optionally washed out so what is drawn on top stands out. Map points
//! (metres) become pixels through the grid's georeferencing; drawing is plain alpha
//! blending of dots, squares and lines. Text (titles, place labels, the legend, the
//! scale bar and north arrow — Chinese and English) is drawn with the bundled CJK font
//! (`ab_glyph` rasterises its outlines), so each PNG stands on its own on a slide.

use super::terrain::{CLASS_RGBA, TerrainPicture, depth_class, terrain_picture};
use crate::scenario::Scenario;
use crate::world::{GridSpec, Pt};

/// Smallest picture side the maps aim for, pixels (legible on a projector).
pub const TARGET_PX: usize = 1200;

/// An RGBA8 picture of the district, row 0 north.
#[derive(Debug, Clone)]
pub struct Canvas {
    /// Width, pixels.
    pub width: usize,
    /// Height, pixels.
    pub height: usize,
    /// Pixels per terrain-picture pixel.
    pub scale: usize,
    /// Grid cells per terrain-picture pixel.
    pub stride: usize,
    /// The grid.
    pub spec: GridSpec,
    /// `width × height × 4` bytes.
    pub rgba: Vec<u8>,
}

impl Canvas {
    /// The terrain of a scenario, washed towards white by `wash` (0 = as is, 1 = white).
    pub fn terrain(s: &Scenario, wash: f64) -> Self {
        let pic = terrain_picture(&s.dem, &s.landuse, &s.file.district.land_classes);
        Self::from_picture(&pic, s.dem.spec, wash)
    }

    fn from_picture(pic: &TerrainPicture, spec: GridSpec, wash: f64) -> Self {
        let scale = TARGET_PX.div_ceil(pic.width.max(pic.height).max(1)).max(1);
        let (width, height) = (pic.width * scale, pic.height * scale);
        let mut rgba = vec![0u8; width * height * 4];
        for y in 0..height {
            for x in 0..width {
                let s = ((y / scale) * pic.width + x / scale) * 4;
                let d = (y * width + x) * 4;
                for ch in 0..3 {
                    let v = pic.rgba[s + ch] as f64;
                    rgba[d + ch] = (v + (255.0 - v) * wash).round() as u8;
                }
                rgba[d + 3] = 255;
            }
        }
        Self {
            width,
            height,
            scale,
            stride: pic.stride,
            spec,
            rgba,
        }
    }

    /// Pixel of a map point (may lie outside the picture).
    pub fn pixel(&self, p: Pt) -> (f64, f64) {
        let s = &self.spec;
        let top = s.yll + s.nrows as f64 * s.cell;
        let k = self.scale as f64 / (self.stride as f64 * s.cell);
        ((p.0 - s.xll) * k, (top - p.1) * k)
    }

    /// Blend one pixel.
    pub fn blend(&mut self, x: i64, y: i64, c: [u8; 4]) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let i = (y as usize * self.width + x as usize) * 4;
        let a = c[3] as f64 / 255.0;
        for (dst, &src) in self.rgba[i..i + 3].iter_mut().zip(&c[..3]) {
            let v = *dst as f64;
            *dst = (v + (src as f64 - v) * a).round() as u8;
        }
    }

    /// Colour every grid cell for which `f(cell index)` gives a colour.
    pub fn cells(&mut self, f: impl Fn(usize) -> Option<[u8; 4]>) {
        let s = self.spec;
        let (st, sc) = (self.stride, self.scale);
        for pr in 0..self.height / sc {
            for pc in 0..self.width / sc {
                let (r, c) = (pr * st, pc * st);
                if r >= s.nrows || c >= s.ncols {
                    continue;
                }
                if let Some(col) = f(s.idx(r, c)) {
                    for dy in 0..sc {
                        for dx in 0..sc {
                            self.blend((pc * sc + dx) as i64, (pr * sc + dy) as i64, col);
                        }
                    }
                }
            }
        }
    }

    /// A filled disc of `radius` pixels at a map point, with an optional outline.
    pub fn dot(&mut self, p: Pt, radius: f64, fill: [u8; 4], outline: Option<[u8; 4]>) {
        let (cx, cy) = self.pixel(p);
        let r = radius.max(0.5);
        let rr = (r + 1.5).ceil() as i64;
        for dy in -rr..=rr {
            for dx in -rr..=rr {
                let d = ((dx as f64).powi(2) + (dy as f64).powi(2)).sqrt();
                let (x, y) = (cx.floor() as i64 + dx, cy.floor() as i64 + dy);
                if d <= r {
                    self.blend(x, y, fill);
                } else if let Some(o) = outline
                    && d <= r + 1.5
                {
                    self.blend(x, y, o);
                }
            }
        }
    }

    /// A ring of `radius` pixels around a map point, `width` pixels thick, with a white
    /// halo so it reads on any background.
    pub fn ring(&mut self, p: Pt, radius: f64, width: f64, c: [u8; 4]) {
        let (cx, cy) = self.pixel(p);
        let (inner, outer) = ((radius - width / 2.0).max(0.0), radius + width / 2.0);
        let rr = (outer + 2.0).ceil() as i64;
        for dy in -rr..=rr {
            for dx in -rr..=rr {
                let d = ((dx as f64).powi(2) + (dy as f64).powi(2)).sqrt();
                let (x, y) = (cx.floor() as i64 + dx, cy.floor() as i64 + dy);
                if d >= inner && d <= outer {
                    self.blend(x, y, c);
                } else if (d >= inner - 1.5 && d < inner) || (d > outer && d <= outer + 1.5) {
                    self.blend(x, y, [255, 255, 255, 200]);
                }
            }
        }
    }

    /// A line between two map points, `width` pixels wide.
    pub fn line(&mut self, a: Pt, b: Pt, width: f64, c: [u8; 4]) {
        let (p, q) = (self.pixel(a), self.pixel(b));
        let len = (q.0 - p.0).hypot(q.1 - p.1);
        let n = (len * 2.0).ceil().max(1.0) as usize;
        let h = (width / 2.0).max(0.5);
        let hr = h.ceil() as i64;
        let mut last = (i64::MIN, i64::MIN);
        for k in 0..=n {
            let t = k as f64 / n as f64;
            let (x, y) = (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t);
            let (xi, yi) = (x.floor() as i64, y.floor() as i64);
            if (xi, yi) == last {
                continue;
            }
            last = (xi, yi);
            for dy in -hr..=hr {
                for dx in -hr..=hr {
                    if ((dx * dx + dy * dy) as f64) <= h * h {
                        // Opaque stamping: overlapping stamps must not darken the line.
                        let i = (xi + dx, yi + dy);
                        if i.0 >= 0
                            && i.1 >= 0
                            && i.0 < self.width as i64
                            && i.1 < self.height as i64
                        {
                            let j = (i.1 as usize * self.width + i.0 as usize) * 4;
                            self.rgba[j..j + 3].copy_from_slice(&c[..3]);
                        }
                    }
                }
            }
        }
    }

    /// Metres per pixel.
    pub fn m_per_px(&self) -> f64 {
        self.stride as f64 * self.spec.cell / self.scale as f64
    }

    /// A rectangle blended over the picture (pixels, clipped).
    pub fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, c: [u8; 4]) {
        for y in y0.floor().max(0.0) as i64..y1.ceil() as i64 {
            for x in x0.floor().max(0.0) as i64..x1.ceil() as i64 {
                self.blend(x, y, c);
            }
        }
    }

    /// Width of `text` at `px` pixels, pixels.
    pub fn text_width(text: &str, px: f32) -> f64 {
        use ab_glyph::{Font, ScaleFont};
        let Some(f) = map_font() else {
            return 0.0;
        };
        let sf = f.as_scaled(px);
        text.chars()
            .map(|ch| sf.h_advance(f.glyph_id(ch)) as f64)
            .sum()
    }

    /// `text` at `px` pixels with its baseline starting at pixel (x, y), under a halo of
    /// `halo` (none: no halo) so it reads over the map. Returns its width.
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        px: f32,
        c: [u8; 4],
        halo: Option<[u8; 4]>,
    ) -> f64 {
        use ab_glyph::{Font, ScaleFont, point};
        let Some(f) = map_font() else {
            return 0.0;
        };
        let sf = f.as_scaled(px);
        let mut cov = std::collections::HashMap::<(i64, i64), f32>::new();
        let mut pen = x as f32;
        for ch in text.chars() {
            let id = f.glyph_id(ch);
            let g = id.with_scale_and_position(px, point(pen, y as f32));
            pen += sf.h_advance(id);
            if let Some(o) = f.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|gx, gy, v| {
                    let k = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                    let e = cov.entry(k).or_insert(0.0);
                    *e = e.max(v);
                });
            }
        }
        if let Some(h) = halo {
            let mut ring = std::collections::HashMap::<(i64, i64), f32>::new();
            for (&(x, y), &v) in &cov {
                for dy in -2..=2i64 {
                    for dx in -2..=2i64 {
                        if dx * dx + dy * dy <= 5 {
                            let e = ring.entry((x + dx, y + dy)).or_insert(0.0);
                            *e = e.max(v);
                        }
                    }
                }
            }
            let mut keys: Vec<_> = ring.into_iter().collect();
            keys.sort_by_key(|k| k.0);
            for ((x, y), v) in keys {
                let a = (h[3] as f32 * v.min(1.0)).round() as u8;
                self.blend(x, y, [h[0], h[1], h[2], a]);
            }
        }
        let mut keys: Vec<_> = cov.into_iter().collect();
        keys.sort_by_key(|k| k.0);
        for ((x, y), v) in keys {
            let a = (c[3] as f32 * v.min(1.0)).round() as u8;
            self.blend(x, y, [c[0], c[1], c[2], a]);
        }
        (pen as f64 - x).max(0.0)
    }

    /// The map furniture a picture needs on its own: a title (top left), a north arrow
    /// (top right), a scale bar (bottom left) and a legend of `items` (bottom right).
    pub fn furnish(&mut self, title: &str, items: &[(String, [u8; 4])]) {
        const INK: [u8; 4] = [25, 32, 40, 255];
        const PANEL: [u8; 4] = [255, 255, 255, 215];
        let (w, h) = (self.width as f64, self.height as f64);
        let u = (w.min(h) / 1200.0).max(0.75);
        // Title.
        let tp = (22.0 * u) as f32;
        let tw = Self::text_width(title, tp);
        self.rect(
            8.0 * u,
            8.0 * u,
            8.0 * u + tw + 20.0 * u,
            8.0 * u + 36.0 * u,
            PANEL,
        );
        self.text(18.0 * u, 8.0 * u + 26.0 * u, title, tp, INK, None);
        // North arrow.
        let (ax, ay) = (w - 44.0 * u, 20.0 * u);
        self.rect(
            ax - 26.0 * u,
            ay - 8.0 * u,
            ax + 26.0 * u,
            ay + 78.0 * u,
            PANEL,
        );
        for k in 0..(40.0 * u) as i64 {
            let half = k as f64 * 0.45;
            let y = ay + 4.0 * u + k as f64;
            for x in (ax - half).round() as i64..=(ax + half).round() as i64 {
                self.blend(
                    x,
                    y as i64,
                    if (x as f64) < ax {
                        INK
                    } else {
                        [110, 120, 130, 255]
                    },
                );
            }
        }
        let nw = Self::text_width("N 北", (16.0 * u) as f32);
        self.text(
            ax - nw / 2.0,
            ay + 68.0 * u,
            "N 北",
            (16.0 * u) as f32,
            INK,
            None,
        );
        // Scale bar: a round length about a fifth of the width.
        let mpp = self.m_per_px();
        let want = w / 5.0 * mpp;
        let mag = 10f64.powf(want.log10().floor());
        let len_m = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|k| k * mag)
            .rfind(|&l| l <= want)
            .unwrap_or(mag);
        let len_px = len_m / mpp;
        let (bx, by) = (18.0 * u, h - 22.0 * u);
        self.rect(
            8.0 * u,
            by - 40.0 * u,
            bx + len_px + 60.0 * u,
            h - 8.0 * u,
            PANEL,
        );
        for half in 0..2 {
            let x0 = bx + len_px * half as f64 / 2.0;
            let col = if half == 0 { INK } else { [255, 255, 255, 255] };
            self.rect(x0, by - 8.0 * u, x0 + len_px / 2.0, by, col);
        }
        self.rect(bx, by - 8.0 * u, bx + len_px, by - 7.0 * u, INK);
        self.rect(bx, by - 1.0 * u, bx + len_px, by, INK);
        self.rect(bx + len_px - 1.0, by - 8.0 * u, bx + len_px, by, INK);
        let fp = (14.0 * u) as f32;
        let fmt = |m: f64| {
            if len_m >= 1000.0 {
                format!("{} km", crate::scenario::duration::short_number(m / 1000.0))
            } else {
                format!("{} m", crate::scenario::duration::short_number(m))
            }
        };
        self.text(bx, by - 14.0 * u, "0", fp, INK, None);
        let mid = fmt(len_m / 2.0);
        self.text(
            bx + len_px / 2.0 - Self::text_width(&mid, fp) / 2.0,
            by - 14.0 * u,
            &mid,
            fp,
            INK,
            None,
        );
        let end = fmt(len_m);
        self.text(
            bx + len_px - Self::text_width(&end, fp) / 2.0,
            by - 14.0 * u,
            &end,
            fp,
            INK,
            None,
        );
        // Legend.
        if items.is_empty() {
            return;
        }
        let lp = (15.0 * u) as f32;
        let row = 22.0 * u;
        let lw = items
            .iter()
            .map(|(l, _)| Self::text_width(l, lp))
            .fold(0.0, f64::max)
            + 44.0 * u;
        let lh = row * items.len() as f64 + 14.0 * u;
        let (lx, ly) = (w - lw - 10.0 * u, h - lh - 10.0 * u);
        self.rect(lx, ly, lx + lw, ly + lh, PANEL);
        for (k, (label, col)) in items.iter().enumerate() {
            let y = ly + 8.0 * u + row * k as f64;
            self.rect(
                lx + 10.0 * u,
                y + 3.0 * u,
                lx + 26.0 * u,
                y + 17.0 * u,
                [60, 60, 60, 255],
            );
            self.rect(
                lx + 11.0 * u,
                y + 4.0 * u,
                lx + 25.0 * u,
                y + 16.0 * u,
                [col[0], col[1], col[2], 255],
            );
            self.text(lx + 34.0 * u, y + 16.0 * u, label, lp, INK, None);
        }
    }

    /// A label beside a map point (its id and name), over a white halo.
    pub fn label(&mut self, p: Pt, text: &str) {
        let u = (self.width.min(self.height) as f64 / 1200.0).max(0.75);
        let (x, y) = self.pixel(p);
        self.text(
            x + 8.0 * u,
            y + 5.0 * u,
            text,
            (14.0 * u) as f32,
            [20, 25, 30, 255],
            Some([255, 255, 255, 230]),
        );
    }

    /// PNG bytes.
    pub fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header()?;
            w.write_image_data(&self.rgba)?;
        }
        Ok(out)
    }
}

/// The bundled CJK font, for text on the maps.
fn map_font() -> Option<&'static ab_glyph::FontRef<'static>> {
    static FONT: std::sync::OnceLock<Option<ab_glyph::FontRef<'static>>> =
        std::sync::OnceLock::new();
    FONT.get_or_init(|| ab_glyph::FontRef::try_from_slice_and_index(super::font::CJK_TTC, 0).ok())
        .as_ref()
}

/// Water depth in the depth classes' colours (the console's legend).
pub fn paint_depth(c: &mut Canvas, depth: &[f32]) {
    c.cells(|i| depth_class(depth.get(i).copied().unwrap_or(0.0) as f64).map(|k| CLASS_RGBA[k]));
}

/// Colours for households by final state (index = `HouseholdState as usize`).
pub const STATE_RGBA: [[u8; 4]; crate::agents::HouseholdState::COUNT] = [
    [150, 150, 150, 255], // unaware
    [190, 170, 60, 255],  // warned
    [230, 180, 40, 255],  // preparing
    [245, 130, 20, 255],  // moving
    [40, 160, 70, 255],   // sheltered
    [110, 110, 170, 255], // staying
    [220, 30, 30, 255],   // trapped
    [150, 60, 200, 255],  // rescued
    [20, 20, 20, 255],    // casualty
    [255, 90, 160, 255],  // waiting
    [60, 170, 170, 255],  // refuge
    [80, 120, 220, 255],  // in place
    [200, 200, 120, 255], // ready
    [120, 200, 90, 255],  // away
];

/// Distinct colours for unit tracks.
pub const TRACK_RGBA: [[u8; 4]; 8] = [
    [220, 40, 40, 255],
    [240, 140, 0, 255],
    [150, 40, 190, 255],
    [0, 150, 140, 255],
    [200, 0, 120, 255],
    [90, 90, 0, 255],
    [0, 90, 200, 255],
    [120, 60, 20, 255],
];

/// Hex text of a colour (`#rrggbb`), for the legends beside the pictures.
pub fn hex(c: [u8; 4]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// Colour of a household that fared better in B.
pub const BETTER_RGBA: [u8; 4] = [30, 150, 60, 255];
/// Colour of a household that fared worse in B.
pub const WORSE_RGBA: [u8; 4] = [215, 40, 40, 255];
/// Colour of water deeper in B.
pub const DEEPER_RGBA: [u8; 4] = [200, 30, 40, 255];
/// Colour of water shallower in B.
pub const SHALLOWER_RGBA: [u8; 4] = [30, 80, 210, 255];

/// The maps of a comparison, as PNG bytes.
pub struct DiffMaps {
    /// Maximum depth B − A.
    pub max_depth: Vec<u8>,
    /// Households whose outcome changed.
    pub households: Vec<u8>,
}

/// Draw the difference maps of a comparison: where the maximum depth changed by more
/// than [`DEPTH_TOLERANCE_M`](crate::replay::compare::DEPTH_TOLERANCE_M) (deeper red,
/// shallower blue, stronger for larger changes, full at 0.5 m) and the homes of the
/// households that fared better (green) or worse (red) in B.
pub fn diff_maps(d: &crate::replay::compare::DiffData) -> Result<DiffMaps, png::EncodingError> {
    use crate::replay::compare::DEPTH_TOLERANCE_M;
    let (ma, mb) = (&d.max_depth_a, &d.max_depth_b);
    let mut c = Canvas::terrain(&d.scenario, 0.55);
    c.cells(|i| {
        let diff = *mb.get(i)? as f64 - *ma.get(i)? as f64;
        if diff.abs() < DEPTH_TOLERANCE_M {
            return None;
        }
        let a = (80.0 + 175.0 * (diff.abs() / 0.5).min(1.0)) as u8;
        let mut col = if diff > 0.0 {
            DEEPER_RGBA
        } else {
            SHALLOWER_RGBA
        };
        col[3] = a;
        Some(col)
    });
    let max_depth = c.png()?;
    let mut c = Canvas::terrain(&d.scenario, 0.55);
    let r = (c.scale as f64 * 0.6).clamp(2.0, 4.0);
    for &(at, better) in &d.changed {
        let col = if better { BETTER_RGBA } else { WORSE_RGBA };
        c.dot(at, r, col, Some([255, 255, 255, 200]));
    }
    Ok(DiffMaps {
        max_depth,
        households: c.png()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_follow_the_georeferencing_and_png_round_trips() {
        let spec = GridSpec {
            ncols: 10,
            nrows: 5,
            xll: 100.0,
            yll: 200.0,
            cell: 2.0,
        };
        let pic = TerrainPicture {
            width: 10,
            height: 5,
            stride: 1,
            rgba: vec![128; 200],
        };
        let mut c = Canvas::from_picture(&pic, spec, 0.5);
        // At least TARGET_PX (1200) on the longer side.
        assert_eq!(c.scale, 120);
        assert_eq!(c.width, 1200);
        // The north-west corner is pixel (0, 0); one cell is `scale` pixels.
        assert_eq!(c.pixel((100.0, 210.0)), (0.0, 0.0));
        assert_eq!(c.pixel((102.0, 208.0)), (120.0, 120.0));
        c.dot((101.0, 209.0), 3.0, [255, 0, 0, 255], None);
        let i = (60 * c.width + 60) * 4;
        assert_eq!(&c.rgba[i..i + 3], &[255, 0, 0]);
        let png = c.png().unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }

    #[test]
    fn the_furniture_draws_its_text_and_a_scale_bar_of_a_round_length() {
        let spec = GridSpec {
            ncols: 100,
            nrows: 100,
            xll: 0.0,
            yll: 0.0,
            cell: 5.0,
        };
        let pic = TerrainPicture {
            width: 100,
            height: 100,
            stride: 1,
            rgba: vec![128; 100 * 100 * 4],
        };
        let mut c = Canvas::from_picture(&pic, spec, 0.0);
        assert_eq!(c.m_per_px(), 5.0 / 12.0);
        // Chinese and Latin text both have glyphs of some width.
        assert!(Canvas::text_width("积水点", 20.0) > 50.0);
        assert!(Canvas::text_width("H01", 20.0) > 20.0);
        let before = c.rgba.clone();
        c.furnish(
            "最大水深 Maximum depth",
            &[("积水点 hotspot".into(), [230, 30, 30, 255])],
        );
        // Ink in the title's panel (top left), and a dark bar at the bottom left.
        let dark = |c: &Canvas, x: usize, y: usize| {
            let i = (y * c.width + x) * 4;
            c.rgba[i] < 60 && c.rgba[i + 1] < 60
        };
        assert!((10..40).any(|y| (15..300).any(|x| dark(&c, x, y))));
        assert!((c.height - 40..c.height - 20).any(|y| dark(&c, 30, y)));
        // The legend's red square, at the bottom right.
        let red = c
            .rgba
            .chunks_exact(4)
            .enumerate()
            .filter(|(i, p)| p[0] == 230 && p[1] == 30 && i % c.width > c.width / 2)
            .count();
        assert!(red > 50, "{red}");
        assert_ne!(before, c.rgba);
    }
}
