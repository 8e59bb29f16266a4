//! Building footprints and population.
//!
//! How it works: each block is filled according to its use. Residential compounds are
//! rows of east–west slabs (south-facing, as Chinese housing is laid out) or point
//! towers, centred in the block behind a 6 m setback; schools get a sports field in
//! the south and teaching blocks in the north; commercial and industrial blocks get
//! larger boxes and sheds; depots get their station building on the street side and a
//! yard. Pump stations get a small pump house in the strip by the levee.
//!
//! Population: the net floor area of each residential building (footprint × floors ×
//! 0.78) is divided by one district-wide mean dwelling size, chosen so that the
//! district total matches a seeded target (24,000–28,000 households on the default
//! 2.56 km square, scaled by area for other sizes). Residents = households × a
//! per-building household size of 2.3–3.0.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::frame::{Frame, Rect, round_to};
use crate::plan::{Block, BlockUse, LineKind, Plan, ResStyle};
use crate::terrain::{Rasters, lu};

/// Building use as written in `buildings.geojson`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Housing.
    Residential,
    /// School (shelter).
    School,
    /// Shops, offices, public services (fire station).
    Commercial,
    /// Workshops, warehouses, pump houses, depot sheds.
    Industrial,
}

impl Use {
    /// The GeoJSON `use` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Residential => "residential",
            Use::School => "school",
            Use::Commercial => "commercial",
            Use::Industrial => "industrial",
        }
    }
}

/// One building footprint.
#[derive(Debug, Clone)]
pub struct Building {
    /// Footprint, local metres (rounded to 0.1 m).
    pub rect: Rect,
    /// Use.
    pub use_: Use,
    /// Storeys above ground.
    pub floors: u32,
    /// Households (0 unless residential).
    pub households: u32,
    /// Residents (0 unless residential).
    pub residents: u32,
    /// Zone id, filled in once zones exist.
    pub zone: String,
    /// Index of the block it stands in (`usize::MAX` for pump houses).
    pub block: usize,
}

/// Net (usable) share of gross floor area in housing.
const NET_SHARE: f64 = 0.78;

fn rr(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    rng.random_range(lo..hi)
}

fn snap_rect(r: Rect) -> Rect {
    Rect::new(
        round_to(r.u0, 10.0),
        round_to(r.u1, 10.0),
        round_to(r.v0, 10.0),
        round_to(r.v1, 10.0),
    )
}

/// Parameters of a row layout.
struct Rows {
    depth: (f64, f64),
    len: (f64, f64),
    row_gap: (f64, f64),
    col_gap: (f64, f64),
    skip: f64,
}

/// Rows of rectangles centred in `area`.
fn fill_rows(area: Rect, p: &Rows, rng: &mut ChaCha8Rng) -> Vec<Rect> {
    let (w, h) = (area.w(), area.h());
    let d = rr(rng, p.depth.0, p.depth.1);
    let row_gap = rr(rng, p.row_gap.0, p.row_gap.1);
    let col_gap = rr(rng, p.col_gap.0, p.col_gap.1);
    if w < p.len.0 * 0.6 || h < d {
        return Vec::new();
    }
    let n_rows = ((h + row_gap) / (d + row_gap)).floor().max(1.0) as usize;
    let used = n_rows as f64 * d + (n_rows - 1) as f64 * row_gap;
    let mut v = area.v0 + 0.5 * (h - used);
    let mut out = Vec::new();
    for _ in 0..n_rows {
        let len = rr(rng, p.len.0, p.len.1).min(w);
        let n_cols = ((w + col_gap) / (len + col_gap)).floor().max(1.0) as usize;
        let used_u = n_cols as f64 * len + (n_cols - 1) as f64 * col_gap;
        let mut u = area.u0 + 0.5 * (w - used_u);
        for _ in 0..n_cols {
            if !rng.random_bool(p.skip) {
                out.push(snap_rect(Rect::new(u, u + len, v, v + d)));
            }
            u += len + col_gap;
        }
        v += d + row_gap;
    }
    out
}

/// A rectangle of `along × depth` against side `side` (0 S, 1 E, 2 N, 3 W) of `r`,
/// `setback` metres in from the kerb, centred along the side.
fn against_side(r: Rect, side: usize, setback: f64, along: f64, depth: f64) -> Rect {
    let [cu, cv] = r.centre();
    let rect = match side {
        0 => Rect::new(
            cu - 0.5 * along,
            cu + 0.5 * along,
            r.v0 + setback,
            r.v0 + setback + depth,
        ),
        2 => Rect::new(
            cu - 0.5 * along,
            cu + 0.5 * along,
            r.v1 - setback - depth,
            r.v1 - setback,
        ),
        1 => Rect::new(
            r.u1 - setback - depth,
            r.u1 - setback,
            cv - 0.5 * along,
            cv + 0.5 * along,
        ),
        _ => Rect::new(
            r.u0 + setback,
            r.u0 + setback + depth,
            cv - 0.5 * along,
            cv + 0.5 * along,
        ),
    };
    snap_rect(rect)
}

/// The side of a block facing the most important street.
pub fn main_side(b: &Block) -> usize {
    let rank = |k: LineKind| match k {
        LineKind::Arterial => 5,
        LineKind::LeveeRoad | LineKind::HillRoad => 4,
        LineKind::Frontage => 3,
        LineKind::Local => 2,
        LineKind::Edge => 0,
    };
    (0..4)
        .max_by_key(|&s| (rank(b.sides[s].kind), b.sides[s].cells, 4 - s))
        .unwrap_or(0)
}

/// What the building stage produced besides the buildings.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Sports fields (painted as grass).
    pub fields: Vec<Rect>,
}

/// Generate all buildings (population not yet assigned) and paint fields.
pub fn generate(plan: &Plan, rng: &mut ChaCha8Rng) -> (Vec<Building>, Extras) {
    let mut out = Vec::new();
    let mut extras = Extras::default();
    for (bi, b) in plan.blocks.iter().enumerate() {
        let inner = b.rect.shrink(1.0);
        let mut push = |rects: Vec<Rect>, use_: Use, floors: &mut dyn FnMut() -> u32| {
            for rect in rects {
                let inside =
                    inner.contains([rect.u0, rect.v0]) && inner.contains([rect.u1, rect.v1]);
                if inside && rect.w() >= 6.0 && rect.h() >= 6.0 {
                    out.push(Building {
                        rect,
                        use_,
                        floors: floors(),
                        households: 0,
                        residents: 0,
                        zone: String::new(),
                        block: bi,
                    });
                }
            }
        };
        match b.use_ {
            BlockUse::Residential(style) => {
                let area = b.rect.shrink(6.0);
                let (rows, lo, hi) = match style {
                    ResStyle::OldSlabs => (
                        Rows {
                            depth: (10.0, 12.0),
                            len: (36.0, 60.0),
                            row_gap: (14.0, 18.0),
                            col_gap: (8.0, 14.0),
                            skip: 0.06,
                        },
                        5,
                        7,
                    ),
                    ResStyle::MidSlabs => (
                        Rows {
                            depth: (13.0, 15.0),
                            len: (30.0, 50.0),
                            row_gap: (24.0, 30.0),
                            col_gap: (12.0, 18.0),
                            skip: 0.08,
                        },
                        7,
                        11,
                    ),
                    ResStyle::Towers => (
                        Rows {
                            depth: (16.0, 20.0),
                            len: (22.0, 32.0),
                            row_gap: (34.0, 44.0),
                            col_gap: (18.0, 26.0),
                            skip: 0.1,
                        },
                        16,
                        26,
                    ),
                };
                let rects = fill_rows(area, &rows, rng);
                let mut floors = || {
                    if style == ResStyle::OldSlabs && rng.random_bool(0.6) {
                        6
                    } else {
                        rng.random_range(lo..=hi)
                    }
                };
                push(rects, Use::Residential, &mut floors);
            }
            BlockUse::Commercial => {
                let rows = Rows {
                    depth: (24.0, 40.0),
                    len: (40.0, 80.0),
                    row_gap: (15.0, 22.0),
                    col_gap: (15.0, 22.0),
                    skip: 0.1,
                };
                let rects = fill_rows(b.rect.shrink(5.0), &rows, rng);
                let mut floors = || {
                    if rng.random_bool(0.15) {
                        rng.random_range(15..=28)
                    } else {
                        rng.random_range(2..=6)
                    }
                };
                push(rects, Use::Commercial, &mut floors);
            }
            BlockUse::Industrial | BlockUse::Warehouse => {
                let rows = Rows {
                    depth: (30.0, 55.0),
                    len: (50.0, 100.0),
                    row_gap: (14.0, 22.0),
                    col_gap: (14.0, 22.0),
                    skip: 0.1,
                };
                let rects = fill_rows(b.rect.shrink(6.0), &rows, rng);
                let mut floors = || rng.random_range(1..=3);
                push(rects, Use::Industrial, &mut floors);
            }
            BlockUse::Park => {}
            BlockUse::School(_) => {
                let area = b.rect.shrink(8.0);
                let fw = (area.w() - 10.0).min(100.0);
                let fh = if area.h() >= 130.0 {
                    60.0
                } else {
                    (0.4 * area.h()).min(50.0)
                };
                let [cu, _] = area.centre();
                let field = snap_rect(Rect::new(
                    cu - 0.5 * fw,
                    cu + 0.5 * fw,
                    area.v0,
                    area.v0 + fh,
                ));
                extras.fields.push(field);
                let north = Rect::new(area.u0, area.u1, area.v0 + fh + 15.0, area.v1);
                let rows = Rows {
                    depth: (14.0, 16.0),
                    len: (45.0, 60.0),
                    row_gap: (18.0, 20.0),
                    col_gap: (12.0, 14.0),
                    skip: 0.0,
                };
                let rects = fill_rows(north, &rows, rng);
                let mut floors = || rng.random_range(4..=5);
                push(rects, Use::School, &mut floors);
            }
            BlockUse::FireStation => {
                let side = main_side(b);
                let station = against_side(b.rect, side, 10.0, 40.0, 18.0);
                let tower = against_side(b.rect, side, 40.0, 8.0, 8.0);
                push(vec![station], Use::Commercial, &mut || 3);
                push(vec![tower], Use::Commercial, &mut || 6);
            }
            BlockUse::DrainageYard => {
                let side = main_side(b);
                let office = against_side(b.rect, side, 8.0, 28.0, 12.0);
                let side_len = if side.is_multiple_of(2) {
                    b.rect.w()
                } else {
                    b.rect.h()
                };
                let shed = against_side(b.rect, side, 30.0, (side_len - 20.0).min(60.0), 18.0);
                push(vec![office], Use::Industrial, &mut || 3);
                push(vec![shed], Use::Industrial, &mut || 1);
            }
        }
    }
    // Pump houses in the strip between the levee road and the levee.
    for p in &plan.pumps {
        let rect = snap_rect(Rect::new(
            p.road_edge + 4.0,
            p.road_edge + 20.0,
            p.v - 6.0,
            p.v + 6.0,
        ));
        out.push(Building {
            rect,
            use_: Use::Industrial,
            floors: 1,
            households: 0,
            residents: 0,
            zone: String::new(),
            block: usize::MAX,
        });
    }
    (out, extras)
}

/// Paint sports fields and building footprints into the land-use grid.
pub fn paint(frame: &Frame, rasters: &mut Rasters, buildings: &[Building], extras: &Extras) {
    for f in &extras.fields {
        for (r, c) in frame.cells_in_rect(*f) {
            let i = frame.idx(r, c);
            if rasters.landuse[i] != lu::ROAD {
                rasters.landuse[i] = lu::PARK;
            }
        }
    }
    for b in buildings {
        for (r, c) in frame.cells_in_rect(b.rect) {
            let i = frame.idx(r, c);
            if rasters.landuse[i] != lu::ROAD && rasters.landuse[i] != lu::WATER {
                rasters.landuse[i] = lu::BUILDING;
            }
        }
    }
}

/// Assign households and residents; returns the mean net dwelling size used (m²).
pub fn populate(buildings: &mut [Building], target: f64, rng: &mut ChaCha8Rng) -> f64 {
    let net = |b: &Building| b.rect.area() * b.floors as f64 * NET_SHARE;
    let total: f64 = buildings
        .iter()
        .filter(|b| b.use_ == Use::Residential)
        .map(net)
        .sum();
    let unit = if target > 0.0 {
        (total / target).clamp(55.0, 150.0)
    } else {
        90.0
    };
    for b in buildings.iter_mut() {
        if b.use_ != Use::Residential {
            continue;
        }
        let hh = (net(b) / unit).round().max(1.0);
        let size = rng.random_range(2.3..3.0);
        b.households = hh as u32;
        b.residents = (hh * size).round() as u32;
    }
    unit
}

/// Shelter capacity of a school: half the teaching floor area at 3 m² per person,
/// rounded down to 50.
pub fn shelter_capacity(buildings: &[Building], block: usize) -> u32 {
    let floor: f64 = buildings
        .iter()
        .filter(|b| b.block == block && b.use_ == Use::School)
        .map(|b| b.rect.area() * b.floors as f64)
        .sum();
    ((0.5 * floor / 3.0 / 50.0).floor() as u32 * 50).max(100)
}
