//! The urban plan: street grid, rail embankment, blocks and what each block is used
//! for, plus the flood-relevant features (underpasses, low streets, pump stations).
//!
//! How it works:
//! 1. North–south lines: the hill-foot road, arterials every ~350 m, the levee road
//!    just inside the western levee. East–west lines: the rail corridor (embankment
//!    with a frontage road on each side) splits the plain in two; each half gets
//!    arterials every ~300–350 m. Arterials cut the plain into *superblocks*.
//! 2. Inside each superblock, local streets every ~110–150 m continue from one
//!    superblock to the next (so a street keeps its name); some are dropped at random
//!    to make the larger gated compounds typical of Chinese suburbs.
//! 3. Two or three arterials cross the embankment in underpasses; the others stop at
//!    the frontage roads. Three or four local street segments become low streets.
//!    Pump stations sit in the green strip between the levee road and the levee.
//! 4. Blocks (the land between streets) get a use: schools (the shelters, on higher
//!    ground and away from hazards), depots, a commercial centre, industry near the
//!    rail, parks, and residential compounds in three styles.
//!
//! Every street is snapped to the grid so that it covers whole cells, and positions
//! are in local metres (see `frame`).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::frame::{Frame, Rect, dist};
use crate::names::{self, Name, Pool};
use crate::relief::Relief;

/// Road class as written in `roads.geojson`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoadClass {
    /// Arterial.
    Primary,
    /// Collector (hill-foot road, levee road, frontage roads, hill road).
    Secondary,
    /// Local street.
    Residential,
    /// Footpath (parks).
    Footway,
}

impl RoadClass {
    /// The GeoJSON `class` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Primary => "primary",
            RoadClass::Secondary => "secondary",
            RoadClass::Residential => "residential",
            RoadClass::Footway => "footway",
        }
    }
}

/// What a grid line is, for naming, widths and block frontage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// An arterial.
    Arterial,
    /// The road along the hill foot.
    HillRoad,
    /// The road just inside the western levee.
    LeveeRoad,
    /// A road alongside the rail embankment.
    Frontage,
    /// A local street.
    Local,
    /// The edge of the grid (no road).
    Edge,
}

/// A straight line of the street grid.
#[derive(Debug, Clone)]
pub struct GridLine {
    /// Position across the line (u for north–south lines, v for east–west), metres.
    pub pos: f64,
    /// Road width in cells (0 for the grid edge).
    pub cells: usize,
    /// Street name.
    pub name: Name,
    /// What it is.
    pub kind: LineKind,
}

impl GridLine {
    /// Half the paved width, metres.
    pub fn half(&self, cell: f64) -> f64 {
        0.5 * self.cells as f64 * cell
    }
    fn edge(pos: f64) -> Self {
        GridLine {
            pos,
            cells: 0,
            name: Name::new("", ""),
            kind: LineKind::Edge,
        }
    }
}

/// One straight street (before splitting at intersections).
#[derive(Debug, Clone)]
pub struct Street {
    /// Chinese name.
    pub name: Name,
    /// Road class.
    pub class: RoadClass,
    /// Start point (local metres).
    pub a: [f64; 2],
    /// End point (local metres); `a` and `b` share `u` or `v`.
    pub b: [f64; 2],
    /// Paved width in cells.
    pub cells: usize,
    /// Traffic lanes (both directions).
    pub lanes: u32,
    /// Speed limit, km/h.
    pub speed_kmh: f64,
    /// One-way in the direction `a → b`.
    pub oneway: bool,
}

impl Street {
    /// Whether the street runs north–south.
    pub fn is_ns(&self) -> bool {
        self.a[0] == self.b[0]
    }
    /// The paved area: the centre line widened by half the width, ends included.
    pub fn rect(&self, cell: f64) -> Rect {
        let h = 0.5 * self.cells as f64 * cell;
        Rect::new(
            self.a[0].min(self.b[0]) - h,
            self.a[0].max(self.b[0]) + h,
            self.a[1].min(self.b[1]) - h,
            self.a[1].max(self.b[1]) + h,
        )
    }
}

/// Residential compound styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResStyle {
    /// 1980s–90s six-storey slabs, close rows.
    OldSlabs,
    /// Mid-rise slabs (9–12 floors).
    MidSlabs,
    /// High-rise towers (18–33 floors), wide spacing.
    Towers,
}

/// What a block is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockUse {
    /// Housing compound.
    Residential(ResStyle),
    /// Shops, offices, a mall.
    Commercial,
    /// Workshops, warehouses.
    Industrial,
    /// Green space.
    Park,
    /// A school used as shelter number `n` (0-based).
    School(usize),
    /// The fire and rescue station.
    FireStation,
    /// The drainage company's emergency yard.
    DrainageYard,
    /// The flood-control materials warehouse.
    Warehouse,
}

/// A block: the land between four streets (or a street and the grid edge).
#[derive(Debug, Clone)]
pub struct Block {
    /// Extent from kerb to kerb, local metres.
    pub rect: Rect,
    /// The bounding lines: south, east, north, west.
    pub sides: [GridLine; 4],
    /// Superblock column (0 = next to the hills).
    pub col: usize,
    /// Use.
    pub use_: BlockUse,
}

/// An arterial (or the hill road) passing under the rail embankment.
#[derive(Debug, Clone)]
pub struct Underpass {
    /// Centre line `u` of the road.
    pub u: f64,
    /// Half the paved width, metres.
    pub half: f64,
    /// Depth of the dip below the surrounding road, metres (3–4).
    pub depth: f64,
    /// Street name.
    pub name: Name,
}

/// A low street: a local depression centred on a street.
#[derive(Debug, Clone)]
pub struct LowStreet {
    /// Centre, local metres.
    pub centre: [f64; 2],
    /// Whether the street runs north–south.
    pub ns: bool,
    /// Half length along the street, metres.
    pub half_len: f64,
    /// Half width across the street, metres.
    pub half_across: f64,
    /// Depth at the centre, metres.
    pub depth: f64,
    /// Street name.
    pub name: Name,
}

impl LowStreet {
    /// Depth of the depression at a point (0 outside).
    pub fn dip(&self, p: [f64; 2]) -> f64 {
        let (along, across) = if self.ns {
            (p[1] - self.centre[1], p[0] - self.centre[0])
        } else {
            (p[0] - self.centre[0], p[1] - self.centre[1])
        };
        let r2 = (along / self.half_len).powi(2) + (across / self.half_across).powi(2);
        if r2 >= 1.0 {
            0.0
        } else {
            self.depth * (1.0 - r2) * (1.0 - r2)
        }
    }
}

/// A pump station site at the levee.
#[derive(Debug, Clone)]
pub struct PumpSite {
    /// Position along the levee, metres north.
    pub v: f64,
    /// East kerb of the levee road, metres east.
    pub road_edge: f64,
    /// Pumping capacity, m³/h.
    pub capacity_m3_h: u32,
}

/// The rail embankment.
#[derive(Debug, Clone)]
pub struct Rail {
    /// Centre line, metres north.
    pub v: f64,
    /// Distance from the centre line to each frontage road's centre line, metres.
    pub corridor_half: f64,
    /// Embankment height above the plain trend, metres.
    pub height: f64,
    /// Half the crest width, metres.
    pub crest_half: f64,
    /// Side slope, horizontal per vertical.
    pub slope: f64,
}

/// The whole urban plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// North–south superblock lines, west to east (hill road, arterials, levee road).
    pub xs: Vec<GridLine>,
    /// East–west superblock lines south of the rail, south to north (edge … frontage).
    pub ys_south: Vec<GridLine>,
    /// East–west superblock lines north of the rail, south to north (frontage … edge).
    pub ys_north: Vec<GridLine>,
    /// All streets, before splitting.
    pub streets: Vec<Street>,
    /// All blocks.
    pub blocks: Vec<Block>,
    /// The rail embankment.
    pub rail: Rail,
    /// Underpasses under the embankment.
    pub underpasses: Vec<Underpass>,
    /// Low streets.
    pub low_streets: Vec<LowStreet>,
    /// Pump stations at the levee.
    pub pumps: Vec<PumpSite>,
    /// `v` of the road bridge over the river, if any.
    pub bridge_v: Option<f64>,
}

impl Plan {
    /// The levee road line.
    pub fn levee_road(&self) -> &GridLine {
        &self.xs[self.xs.len() - 1]
    }
    /// The hill-foot road line.
    pub fn hill_road(&self) -> &GridLine {
        &self.xs[0]
    }
    /// North–south arterial lines.
    pub fn ns_arterials(&self) -> impl Iterator<Item = &GridLine> {
        self.xs.iter().filter(|l| l.kind == LineKind::Arterial)
    }
    /// East–west arterial lines, south to north.
    pub fn ew_arterials(&self) -> impl Iterator<Item = &GridLine> {
        self.ys_south
            .iter()
            .chain(self.ys_north.iter())
            .filter(|l| l.kind == LineKind::Arterial)
    }
}

/// Widths, metres.
const ARTERIAL_W: f64 = 20.0;
const COLLECTOR_W: f64 = 14.0;
const FRONTAGE_W: f64 = 10.0;
const LOCAL_W: f64 = 9.0;
const FARM_W: f64 = 6.0;
const FOOTWAY_W: f64 = 3.0;

fn jitter(rng: &mut ChaCha8Rng, a: f64) -> f64 {
    rng.random_range(-a..=a)
}

/// Make the plan for a frame.
pub fn make_plan(frame: &Frame, relief: &Relief, rng: &mut ChaCha8Rng) -> Plan {
    let l = frame.extent;
    let cell = frame.cell;
    let mut arterial_names = Pool::shuffled(names::ARTERIALS, rng);
    let mut local_names = Pool::shuffled(names::LOCALS, rng);

    // 1. North–south superblock lines.
    let hill_x = relief.hill_road_x;
    let (hill_x, hill_cells) = frame.snap_line(hill_x, COLLECTOR_W);
    let river = &relief.river;
    let min_toe = (0..frame.n)
        .map(|r| river.west_inner_toe(frame.v_of(r)))
        .fold(f64::INFINITY, f64::min);
    let (levee_x, levee_cells) = frame.snap_line(min_toe - 36.0, COLLECTOR_W);
    let mut xs = vec![GridLine {
        pos: hill_x,
        cells: hill_cells,
        name: Name::new("山前路", "Shanqian Road"),
        kind: LineKind::HillRoad,
    }];
    let plain_w = levee_x - hill_x;
    let n_art = (((plain_w / 360.0).round() as i64) - 1).max(1) as usize;
    for k in 1..=n_art {
        let pos = hill_x + plain_w * k as f64 / (n_art + 1) as f64 + jitter(rng, 15.0);
        let w = if rng.random_bool(0.4) {
            24.0
        } else {
            ARTERIAL_W
        };
        let (pos, cells) = frame.snap_line(pos, w);
        xs.push(GridLine {
            pos,
            cells,
            name: arterial_names.take(),
            kind: LineKind::Arterial,
        });
    }
    xs.push(GridLine {
        pos: levee_x,
        cells: levee_cells,
        name: Name::new("沿河路", "Yanhe Road"),
        kind: LineKind::LeveeRoad,
    });

    // 2. The rail corridor and east–west superblock lines.
    let rail_v = l * (0.57 + jitter(rng, 0.025));
    let corridor_half = 70.0;
    let (fs, fs_cells) = frame.snap_line(rail_v - corridor_half, FRONTAGE_W);
    let (fnn, fn_cells) = frame.snap_line(rail_v + corridor_half, FRONTAGE_W);
    let rail_v = 0.5 * (fs + fnn);
    let rail = Rail {
        v: rail_v,
        corridor_half: 0.5 * (fnn - fs),
        height: rng.random_range(4.8..5.4),
        crest_half: 4.0,
        slope: 1.5,
    };
    let front_s = GridLine {
        pos: fs,
        cells: fs_cells,
        name: Name::new("铁南路", "Tienan Road"),
        kind: LineKind::Frontage,
    };
    let front_n = GridLine {
        pos: fnn,
        cells: fn_cells,
        name: Name::new("铁北路", "Tiebei Road"),
        kind: LineKind::Frontage,
    };
    let mut ys_south = vec![GridLine::edge(0.0)];
    let part = fs;
    let m = (part / 340.0).floor().max(0.0) as usize;
    let s = part / (m as f64 + 0.35);
    let mut south_art = Vec::new();
    for k in (1..=m).rev() {
        let pos = fs - s * k as f64 + jitter(rng, 15.0);
        if pos > 60.0 {
            let (pos, cells) = frame.snap_line(pos, ARTERIAL_W);
            south_art.push(GridLine {
                pos,
                cells,
                name: arterial_names.take(),
                kind: LineKind::Arterial,
            });
        }
    }
    ys_south.extend(south_art);
    ys_south.push(front_s);
    let mut ys_north = vec![front_n];
    let part = l - fnn;
    let m = (part / 340.0).floor().max(0.0) as usize;
    let s = part / (m as f64 + 0.35);
    for k in 1..=m {
        let pos = fnn + s * k as f64 + jitter(rng, 15.0);
        if pos < l - 60.0 {
            let (pos, cells) = frame.snap_line(pos, ARTERIAL_W);
            ys_north.push(GridLine {
                pos,
                cells,
                name: arterial_names.take(),
                kind: LineKind::Arterial,
            });
        }
    }
    ys_north.push(GridLine::edge(l));

    // 3. Underpasses: two or three arterials cross the embankment.
    let mut candidates: Vec<usize> = (0..xs.len())
        .filter(|&i| xs[i].kind == LineKind::Arterial)
        .collect();
    if candidates.len() < 2 {
        candidates.insert(0, 0); // the hill-foot road also crosses
    }
    let want = if candidates.len() >= 3 && rng.random_bool(0.5) {
        3
    } else {
        2
    }
    .min(candidates.len());
    let chosen: Vec<usize> = if candidates.len() <= want {
        candidates.clone()
    } else if want == 2 {
        let a = rng.random_range(0..candidates.len() - 1);
        let b = rng.random_range(a + 1..candidates.len());
        vec![candidates[a], candidates[b]]
    } else {
        // Three, spread along the embankment.
        let step = (candidates.len() - 1) as f64 / 2.0;
        (0..3)
            .map(|k| candidates[(k as f64 * step).round() as usize])
            .collect()
    };
    let underpasses: Vec<Underpass> = chosen
        .iter()
        .map(|&i| Underpass {
            u: xs[i].pos,
            half: xs[i].half(cell),
            depth: rng.random_range(3.0..4.0),
            name: xs[i].name.clone(),
        })
        .collect();

    // 4. Superblocks and the local streets inside them.
    let rows: Vec<(GridLine, GridLine)> = ys_south
        .windows(2)
        .chain(ys_north.windows(2))
        .map(|w| (w[0].clone(), w[1].clone()))
        .collect();
    let col_locals: Vec<Vec<GridLine>> = xs
        .windows(2)
        .map(|w| locals_between(frame, &w[0], &w[1], &mut local_names, rng))
        .collect();
    let row_locals: Vec<Vec<GridLine>> = rows
        .iter()
        .map(|(a, b)| locals_between(frame, a, b, &mut local_names, rng))
        .collect();
    // One-way local streets: whole streets, alternating direction by name order.
    let oneway_cols: Vec<Vec<bool>> = col_locals
        .iter()
        .map(|ls| ls.iter().map(|_| rng.random_bool(0.2)).collect())
        .collect();
    let oneway_rows: Vec<Vec<bool>> = row_locals
        .iter()
        .map(|ls| ls.iter().map(|_| rng.random_bool(0.2)).collect())
        .collect();

    let mut streets = Vec::new();
    // North–south lines.
    for x in &xs {
        let (class, lanes, speed) = line_class(x, rng);
        let through = underpasses.iter().any(|u| u.u == x.pos);
        let pieces: Vec<(f64, f64)> = if through {
            vec![(0.0, l)]
        } else {
            vec![(0.0, fs), (fnn, l)]
        };
        for (v0, v1) in pieces {
            streets.push(Street {
                name: x.name.clone(),
                class,
                a: [x.pos, v0],
                b: [x.pos, v1],
                cells: x.cells,
                lanes,
                speed_kmh: speed,
                oneway: false,
            });
        }
    }
    // East–west arterials and frontage roads; one arterial crosses the river (bridge),
    // one continues west into the hills.
    let ew: Vec<GridLine> = ys_south
        .iter()
        .chain(ys_north.iter())
        .filter(|g| g.kind != LineKind::Edge)
        .cloned()
        .collect();
    let arterial_vs: Vec<f64> = ew
        .iter()
        .filter(|g| g.kind == LineKind::Arterial)
        .map(|g| g.pos)
        .collect();
    let bridge_v = nearest(&arterial_vs, 0.3 * l);
    let hill_v = nearest(&arterial_vs, 0.82 * l).filter(|&v| Some(v) != bridge_v);
    for g in &ew {
        let (class, lanes, speed) = line_class(g, rng);
        let east_end = if Some(g.pos) == bridge_v { l } else { levee_x };
        streets.push(Street {
            name: g.name.clone(),
            class,
            a: [hill_x, g.pos],
            b: [east_end, g.pos],
            cells: g.cells,
            lanes,
            speed_kmh: speed,
            oneway: false,
        });
        if Some(g.pos) == hill_v {
            streets.push(Street {
                name: g.name.clone(),
                class: RoadClass::Secondary,
                a: [0.0, g.pos],
                b: [hill_x, g.pos],
                cells: frame.snap_line(g.pos, 8.0).1,
                lanes: 2,
                speed_kmh: 30.0,
                oneway: false,
            });
        }
    }
    // Farm road beyond the eastern levee, joined to the bridge.
    if bridge_v.is_some() {
        let toe = (0..frame.n)
            .map(|r| river.east_outer_toe(frame.v_of(r)))
            .fold(f64::NEG_INFINITY, f64::max);
        let (fx, fcells) = frame.snap_line(toe + 12.0, FARM_W);
        if fx + 0.5 * fcells as f64 * cell < l - cell {
            streets.push(Street {
                name: Name::new("河东路", "Hedong Road"),
                class: RoadClass::Residential,
                a: [fx, 0.0],
                b: [fx, l],
                cells: fcells,
                lanes: 2,
                speed_kmh: 30.0,
                oneway: false,
            });
        }
    }

    // Blocks, and local street pieces per superblock (some dropped).
    let mut blocks = Vec::new();
    for (ci, xw) in xs.windows(2).enumerate() {
        for (ri, (y0, y1)) in rows.iter().enumerate() {
            let keep_x: Vec<usize> = (0..col_locals[ci].len())
                .filter(|_| rng.random_bool(0.8))
                .collect();
            let keep_y: Vec<usize> = (0..row_locals[ri].len())
                .filter(|_| rng.random_bool(0.8))
                .collect();
            let mut xcuts = vec![xw[0].clone()];
            for &k in &keep_x {
                let g = &col_locals[ci][k];
                let flip = k % 2 == 1;
                let (a, b) = if flip {
                    ([g.pos, y1.pos], [g.pos, y0.pos])
                } else {
                    ([g.pos, y0.pos], [g.pos, y1.pos])
                };
                let ow = oneway_cols[ci][k];
                streets.push(Street {
                    name: g.name.clone(),
                    class: RoadClass::Residential,
                    a,
                    b,
                    cells: g.cells,
                    lanes: if ow { 1 } else { 2 },
                    speed_kmh: 30.0,
                    oneway: ow,
                });
                xcuts.push(g.clone());
            }
            xcuts.push(xw[1].clone());
            let mut ycuts = vec![y0.clone()];
            for &k in &keep_y {
                let g = &row_locals[ri][k];
                let flip = k % 2 == 1;
                let (a, b) = if flip {
                    ([xw[1].pos, g.pos], [xw[0].pos, g.pos])
                } else {
                    ([xw[0].pos, g.pos], [xw[1].pos, g.pos])
                };
                let ow = oneway_rows[ri][k];
                streets.push(Street {
                    name: g.name.clone(),
                    class: RoadClass::Residential,
                    a,
                    b,
                    cells: g.cells,
                    lanes: if ow { 1 } else { 2 },
                    speed_kmh: 30.0,
                    oneway: ow,
                });
                ycuts.push(g.clone());
            }
            ycuts.push(y1.clone());
            for xc in xcuts.windows(2) {
                for yc in ycuts.windows(2) {
                    let rect = Rect::new(
                        xc[0].pos + xc[0].half(cell),
                        xc[1].pos - xc[1].half(cell),
                        yc[0].pos + yc[0].half(cell),
                        yc[1].pos - yc[1].half(cell),
                    );
                    if rect.w() < 20.0 || rect.h() < 20.0 {
                        continue;
                    }
                    blocks.push(Block {
                        rect,
                        sides: [yc[0].clone(), xc[1].clone(), yc[1].clone(), xc[0].clone()],
                        col: ci,
                        use_: BlockUse::Residential(ResStyle::MidSlabs),
                    });
                }
            }
        }
    }

    // 5. Low streets on local street segments (block sides), away from other hazards.
    let low_streets = choose_low_streets(&blocks, &underpasses, &rail, hill_x, levee_x, cell, rng);

    // 6. Pump stations in the strip between the levee road and the levee.
    let pumps = choose_pumps(
        frame,
        relief,
        levee_x + 0.5 * levee_cells as f64 * cell,
        &rail,
        bridge_v,
        rng,
    );

    let mut plan = Plan {
        xs,
        ys_south,
        ys_north,
        streets,
        blocks,
        rail,
        underpasses,
        low_streets,
        pumps,
        bridge_v,
    };

    // 7. Block uses, then footpaths through the parks.
    assign_uses(&mut plan, relief, frame, rng);
    add_footways(&mut plan, frame);
    plan
}

fn nearest(vals: &[f64], target: f64) -> Option<f64> {
    vals.iter()
        .copied()
        .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
}

fn line_class(g: &GridLine, rng: &mut ChaCha8Rng) -> (RoadClass, u32, f64) {
    match g.kind {
        LineKind::Arterial => {
            if g.cells >= 5 {
                (RoadClass::Primary, 6, 60.0)
            } else {
                (
                    RoadClass::Primary,
                    4,
                    if rng.random_bool(0.5) { 50.0 } else { 60.0 },
                )
            }
        }
        LineKind::HillRoad | LineKind::LeveeRoad => (RoadClass::Secondary, 2, 40.0),
        LineKind::Frontage => (RoadClass::Secondary, 2, 40.0),
        LineKind::Local | LineKind::Edge => (RoadClass::Residential, 2, 30.0),
    }
}

/// Local street lines strictly between two superblock lines, ~110–150 m apart.
fn locals_between(
    frame: &Frame,
    a: &GridLine,
    b: &GridLine,
    pool: &mut Pool,
    rng: &mut ChaCha8Rng,
) -> Vec<GridLine> {
    let span = b.pos - a.pos;
    let n = ((span / 125.0).round() as i64 - 1).max(0) as usize;
    (1..=n)
        .map(|k| {
            let pos = a.pos + span * k as f64 / (n + 1) as f64 + jitter(rng, 8.0);
            let (pos, cells) = frame.snap_line(pos, LOCAL_W);
            GridLine {
                pos,
                cells,
                name: pool.take(),
                kind: LineKind::Local,
            }
        })
        .collect()
}

fn choose_low_streets(
    blocks: &[Block],
    underpasses: &[Underpass],
    rail: &Rail,
    hill_x: f64,
    levee_x: f64,
    cell: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<LowStreet> {
    // Candidate: the middle of a local-street side of a block.
    let mut cands: Vec<LowStreet> = Vec::new();
    for b in blocks {
        let r = b.rect;
        // East side (north–south street) and north side (east–west street).
        for (side, ns) in [(&b.sides[1], true), (&b.sides[2], false)] {
            if side.kind != LineKind::Local {
                continue;
            }
            let len = if ns { r.h() } else { r.w() };
            if len < 70.0 {
                continue;
            }
            let centre = if ns {
                [side.pos, 0.5 * (r.v0 + r.v1)]
            } else {
                [0.5 * (r.u0 + r.u1), side.pos]
            };
            let d = rng.random_range(60.0..140.0f64).min(len - 10.0);
            cands.push(LowStreet {
                centre,
                ns,
                half_len: 0.5 * d,
                half_across: 28.0 + side.half(cell),
                depth: rng.random_range(0.8..1.5),
                name: side.name.clone(),
            });
        }
    }
    cands.retain(|c| {
        (c.centre[1] - rail.v).abs() > rail.corridor_half + 90.0
            && c.centre[0] > hill_x + 80.0
            && c.centre[0] < levee_x - 80.0
            && underpasses
                .iter()
                .all(|u| dist(c.centre, [u.u, rail.v]) > 300.0)
    });
    // Shuffle, then pick greedily with spacing.
    for i in (1..cands.len()).rev() {
        let j = rng.random_range(0..=i);
        cands.swap(i, j);
    }
    let want = if rng.random_bool(0.5) { 4 } else { 3 };
    let mut out: Vec<LowStreet> = Vec::new();
    for spacing in [420.0, 300.0, 200.0] {
        for c in &cands {
            if out.len() >= want {
                break;
            }
            if out
                .iter()
                .all(|o| dist(o.centre, c.centre) > spacing && o.name != c.name)
            {
                out.push(c.clone());
            }
        }
    }
    out
}

fn choose_pumps(
    frame: &Frame,
    relief: &Relief,
    road_edge: f64,
    rail: &Rail,
    bridge_v: Option<f64>,
    rng: &mut ChaCha8Rng,
) -> Vec<PumpSite> {
    let l = frame.extent;
    let strip = |v: f64| relief.river.west_inner_toe(v) - road_edge;
    let ok = |v: f64| {
        (v - rail.v).abs() > rail.corridor_half + 60.0
            && bridge_v.is_none_or(|b| (v - b).abs() > 60.0)
            && strip(v) >= 24.0
    };
    let margin = (0.06 * l).min(150.0);
    let parts = [
        (margin, rail.v - rail.corridor_half - 60.0),
        (rail.v + rail.corridor_half + 60.0, l - margin),
    ];
    let mut sites: Vec<f64> = Vec::new();
    let pick = |lo: f64, hi: f64, taken: &[f64], rng: &mut ChaCha8Rng| -> Option<f64> {
        let mut best: Option<(f64, f64)> = None;
        let mut v = lo;
        while v <= hi {
            if ok(v) && taken.iter().all(|t| (t - v).abs() > 400.0) {
                let score = strip(v) + rng.random_range(0.0..12.0);
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, v));
                }
            }
            v += 10.0;
        }
        best.map(|(_, v)| v)
    };
    for &(lo, hi) in &parts {
        if let Some(v) = pick(lo, hi, &sites, rng) {
            sites.push(v);
        }
    }
    // A third station in the longer part, if there is room.
    if rng.random_bool(0.6) {
        let (lo, hi) = if parts[0].1 - parts[0].0 > parts[1].1 - parts[1].0 {
            parts[0]
        } else {
            parts[1]
        };
        if let Some(v) = pick(lo, hi, &sites, rng) {
            sites.push(v);
        }
    }
    sites.sort_by(|a, b| b.total_cmp(a));
    let caps = [6000u32, 8000, 10000, 12000, 15000, 18000];
    sites
        .into_iter()
        .map(|v| PumpSite {
            v: frame.v_of(frame.cell_at(road_edge, v).map_or(0, |c| c.0)),
            road_edge,
            capacity_m3_h: caps[rng.random_range(0..caps.len())],
        })
        .collect()
}

/// Whether a block touches a flood hazard (it should not host a school or depot).
fn hazardous(b: &Block, plan: &Plan) -> bool {
    let r = b.rect;
    plan.low_streets
        .iter()
        .any(|s| r.dist(s.centre) < s.half_len + 40.0)
        || plan
            .underpasses
            .iter()
            .any(|u| r.dist([u.u, plan.rail.v]) < plan.rail.corridor_half + 40.0)
}

fn assign_uses(plan: &mut Plan, relief: &Relief, frame: &Frame, rng: &mut ChaCha8Rng) {
    let l = frame.extent;
    let nb = plan.blocks.len();
    let hazard: Vec<bool> = plan.blocks.iter().map(|b| hazardous(b, plan)).collect();
    let elev: Vec<f64> = plan
        .blocks
        .iter()
        .map(|b| {
            let c = b.rect.centre();
            relief.plain_trend(c[0], c[1])
        })
        .collect();
    let fronts_road = |b: &Block| b.sides.iter().any(|s| s.kind != LineKind::Edge);
    let mut taken = vec![false; nb];

    // Schools (shelters): on higher ground, spread out, big enough for a sports field.
    let n_schools = rng.random_range(3..=5usize);
    let big = |b: &Block| b.rect.w() >= 85.0 && b.rect.h() >= 95.0;
    let mut cands: Vec<usize> = (0..nb)
        .filter(|&i| big(&plan.blocks[i]) && !hazard[i] && fronts_road(&plan.blocks[i]))
        .collect();
    // Shelters keep off the lowest third of the plain (by the levee), where water ponds.
    let mut zs: Vec<f64> = cands.iter().map(|&i| elev[i]).collect();
    zs.sort_by(f64::total_cmp);
    if let Some(&cut) = zs.get(zs.len() / 3) {
        cands.retain(|&i| elev[i] >= cut);
    }
    let (zmin, zmax) = cands
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &i| {
            (a.min(elev[i]), b.max(elev[i]))
        });
    let mut schools: Vec<usize> = Vec::new();
    // The first one on the higher plain by the hills.
    if let Some(&first) = cands
        .iter()
        .filter(|&&i| plan.blocks[i].col == 0)
        .max_by(|&&a, &&b| elev[a].total_cmp(&elev[b]))
    {
        schools.push(first);
    }
    while schools.len() < n_schools {
        let mut best: Option<(f64, usize)> = None;
        for &i in &cands {
            if schools.contains(&i) {
                continue;
            }
            let c = plan.blocks[i].rect.centre();
            let spread = schools
                .iter()
                .map(|&j| dist(c, plan.blocks[j].rect.centre()))
                .fold(l, f64::min);
            let high = 150.0 * (elev[i] - zmin) / (zmax - zmin).max(0.1);
            let score = spread.min(1200.0) + high + rng.random_range(0.0..60.0);
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        match best {
            Some((_, i)) => schools.push(i),
            None => break,
        }
    }
    for (k, &i) in schools.iter().enumerate() {
        plan.blocks[i].use_ = BlockUse::School(k);
        taken[i] = true;
    }

    // Town centre: the arterial crossing nearest the middle of the southern plain.
    let mid_u = 0.5 * (plan.hill_road().pos + plan.levee_road().pos);
    let cu = nearest(
        &plan.ns_arterials().map(|g| g.pos).collect::<Vec<_>>(),
        mid_u,
    )
    .unwrap_or(mid_u);
    let cv = nearest(
        &plan.ew_arterials().map(|g| g.pos).collect::<Vec<_>>(),
        0.42 * l,
    )
    .unwrap_or(0.42 * l);
    let centre = [cu, cv];

    // Fire station: on an arterial, near the centre, dry.
    let fire = (0..nb)
        .filter(|&i| {
            let b = &plan.blocks[i];
            !taken[i]
                && !hazard[i]
                && b.sides.iter().any(|s| s.kind == LineKind::Arterial)
                && b.rect.w() >= 60.0
                && b.rect.h() >= 60.0
        })
        .map(|i| {
            (
                dist(plan.blocks[i].rect.centre(), centre) + rng.random_range(0.0..250.0),
                i,
            )
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, i)| i);
    if let Some(i) = fire {
        plan.blocks[i].use_ = BlockUse::FireStation;
        taken[i] = true;
    }
    // Drainage company yard: on the levee road, near the middle pump station.
    let mid_pump = plan
        .pumps
        .get(plan.pumps.len() / 2)
        .map_or(0.5 * l, |p| p.v);
    let yard = (0..nb)
        .filter(|&i| {
            !taken[i]
                && !hazard[i]
                && plan.blocks[i].sides[1].kind == LineKind::LeveeRoad
                && plan.blocks[i].rect.w() >= 50.0
                && plan.blocks[i].rect.h() >= 50.0
        })
        .min_by(|&a, &b| {
            let da = (plan.blocks[a].rect.centre()[1] - mid_pump).abs();
            let db = (plan.blocks[b].rect.centre()[1] - mid_pump).abs();
            da.total_cmp(&db)
        });
    if let Some(i) = yard {
        plan.blocks[i].use_ = BlockUse::DrainageYard;
        taken[i] = true;
    }
    // Materials warehouse (sometimes): next to the rail frontage road.
    if rng.random_bool(0.6) {
        let wh = (0..nb)
            .filter(|&i| {
                !taken[i]
                    && !hazard[i]
                    && plan.blocks[i]
                        .sides
                        .iter()
                        .any(|s| s.kind == LineKind::Frontage)
                    && plan.blocks[i].rect.w() >= 50.0
            })
            .min_by(|&a, &b| {
                let da = dist(plan.blocks[a].rect.centre(), [0.7 * l, plan.rail.v]);
                let db = dist(plan.blocks[b].rect.centre(), [0.7 * l, plan.rail.v]);
                da.total_cmp(&db)
            });
        if let Some(i) = wh {
            plan.blocks[i].use_ = BlockUse::Warehouse;
            taken[i] = true;
        }
    }

    // Everything else. The commercial centre is ~260 m across on the default grid.
    let centre_r = (0.1 * l).min(260.0);
    let mut parks = 0;
    for i in 0..nb {
        if taken[i] {
            continue;
        }
        let b = &plan.blocks[i];
        let c = b.rect.centre();
        let dc = dist(c, centre);
        let on_arterial = b.sides.iter().any(|s| s.kind == LineKind::Arterial);
        let near_rail_ne = c[1] > plan.rail.v && c[1] < plan.rail.v + 0.16 * l && c[0] > mid_u;
        let on_levee = b.sides[1].kind == LineKind::LeveeRoad;
        let low = hazard[i];
        let p_park = if b.col == 0 { 0.16 } else { 0.06 };
        let use_ = if rng.random_bool(p_park) {
            parks += 1;
            BlockUse::Park
        } else if dc < centre_r && rng.random_bool(0.75) {
            BlockUse::Commercial
        } else if (near_rail_ne && rng.random_bool(0.5)) || (on_levee && rng.random_bool(0.2)) {
            BlockUse::Industrial
        } else if on_arterial && rng.random_bool(0.2) {
            BlockUse::Commercial
        } else {
            let old = low || dc < 2.1 * centre_r;
            let north = c[1] > plan.rail.v;
            let x = rng.random_range(0.0..1.0);
            let style = if old && x < 0.6 {
                ResStyle::OldSlabs
            } else if north && x < 0.45 || x > 0.85 {
                ResStyle::Towers
            } else {
                ResStyle::MidSlabs
            };
            BlockUse::Residential(style)
        };
        plan.blocks[i].use_ = use_;
    }
    // At least two parks.
    let mut k = 0;
    while parks < 2 && k < nb {
        let i = (k * 37 + 11) % nb;
        if matches!(plan.blocks[i].use_, BlockUse::Residential(_)) {
            plan.blocks[i].use_ = BlockUse::Park;
            parks += 1;
        }
        k += 1;
    }
}

/// A footpath through the middle of every park that has a street north and south.
fn add_footways(plan: &mut Plan, frame: &Frame) {
    let mut extra = Vec::new();
    for b in &plan.blocks {
        if b.use_ != BlockUse::Park
            || b.sides[0].kind == LineKind::Edge
            || b.sides[2].kind == LineKind::Edge
        {
            continue;
        }
        let (u, cells) = frame.snap_line(b.rect.centre()[0], FOOTWAY_W);
        extra.push(Street {
            name: Name::new("公园步道", "Park footpath"),
            class: RoadClass::Footway,
            a: [u, b.sides[0].pos],
            b: [u, b.sides[2].pos],
            cells,
            lanes: 1,
            speed_kmh: 5.0,
            oneway: false,
        });
    }
    plan.streets.extend(extra);
}
