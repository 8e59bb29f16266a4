//! Rasterising the district: the DEM and the land-use grid.
//!
//! How it works, in order (each step reads the result of the previous one):
//! 1. natural ground from [`Relief::ground`] and a natural class per cell (water,
//!    grass on levees and berms, farmland, forest on the hills, grass elsewhere);
//! 2. each block's base class (residential yard, commercial/industrial, park);
//! 3. the drainage swale along the levee's inner toe, deepest at the pump stations,
//!    and a sump beside each station: plain water that reaches the levee collects
//!    there instead of reaching the river;
//! 4. the low-street depressions (0.8–1.5 m);
//! 5. roads (class 1), 0.15 m below the ground beside them so water runs along
//!    streets; roads are not drawn on the river works (the bridge spans them);
//! 6. the rail embankment (~5 m, 1:1.5 slopes), except where a road passes under it;
//! 7. the underpasses: the road dips 3–4 m below its approaches, flat under the
//!    embankment with ~7 % ramps;
//! 8. rounding to centimetres (the DEM is written with 2 decimals, and later stages
//!    read exactly the values that are written).
//!
//! Buildings are not raised: they only set the class to 7 (see `buildings`).

use crate::frame::{Frame, Rect};
use crate::plan::{BlockUse, Plan};
use crate::relief::Relief;

/// Land-use codes written to `landuse.asc`.
pub mod lu {
    /// Road (carriageway, footpath).
    pub const ROAD: u8 = 1;
    /// Residential (paved urban yard).
    pub const RESIDENTIAL: u8 = 2;
    /// Commercial / industrial.
    pub const COMMERCIAL: u8 = 3;
    /// Park / grass (also levees, berms, rail embankment).
    pub const PARK: u8 = 4;
    /// Forest (hills).
    pub const FOREST: u8 = 5;
    /// Water (river channel).
    pub const WATER: u8 = 6;
    /// Building footprint.
    pub const BUILDING: u8 = 7;
    /// Farmland.
    pub const FARMLAND: u8 = 8;
}

/// Roads sit this much below the ground beside them, metres.
pub const ROAD_DROP: f64 = 0.15;

/// The two rasters, row-major, row 0 north.
#[derive(Debug, Clone)]
pub struct Rasters {
    /// Ground elevation, metres, rounded to centimetres.
    pub dem: Vec<f64>,
    /// Land-use code per cell.
    pub landuse: Vec<u8>,
}

/// Half-length of the flat bottom of an underpass, metres from the rail centre line.
const UNDERPASS_FLAT: f64 = 14.0;

/// Build the DEM and the land-use grid (without buildings).
pub fn rasterize(frame: &Frame, relief: &Relief, plan: &Plan) -> Rasters {
    let n = frame.n;
    let mut dem = vec![0.0; frame.len()];
    let mut landuse = vec![lu::PARK; frame.len()];

    // 1. Natural ground and classes.
    for row in 0..n {
        let v = frame.v_of(row);
        let east_toe = relief.river.east_outer_toe(v);
        for col in 0..n {
            let u = frame.u_of(col);
            let i = frame.idx(row, col);
            dem[i] = relief.ground(u, v);
            landuse[i] = if relief.in_channel(u, v) {
                lu::WATER
            } else if relief.in_river_works(u, v) {
                lu::PARK
            } else if u > east_toe {
                lu::FARMLAND
            } else if relief.hill_height(u, v) > 0.8 {
                lu::FOREST
            } else {
                lu::PARK
            };
        }
    }

    // 2. Block base classes.
    for b in &plan.blocks {
        let code = match b.use_ {
            BlockUse::Residential(_) | BlockUse::School(_) => lu::RESIDENTIAL,
            BlockUse::Commercial
            | BlockUse::Industrial
            | BlockUse::FireStation
            | BlockUse::DrainageYard
            | BlockUse::Warehouse => lu::COMMERCIAL,
            BlockUse::Park => lu::PARK,
        };
        for (r, c) in frame.cells_in_rect(b.rect) {
            landuse[frame.idx(r, c)] = code;
        }
    }

    // 3. Swale along the levee toe and sumps at the pump stations.
    let road_edge = plan.levee_road().pos + plan.levee_road().half(frame.cell);
    if !plan.pumps.is_empty() {
        for row in 0..n {
            let v = frame.v_of(row);
            let toe = relief.river.west_inner_toe(v);
            let near = plan
                .pumps
                .iter()
                .map(|p| (v - p.v).abs())
                .fold(f64::INFINITY, f64::min);
            let depth = 0.25 + 0.55 * (1.0 - near / 300.0).max(0.0);
            for col in 0..n {
                let u = frame.u_of(col);
                if u >= road_edge && u < toe {
                    dem[frame.idx(row, col)] -= depth;
                }
            }
        }
        for p in &plan.pumps {
            let c = sump_centre(relief, p.v);
            let r = 9.0;
            for (row, col) in frame.cells_in_rect(Rect::new(c[0] - r, c[0] + r, c[1] - r, c[1] + r))
            {
                let d2 = (frame.u_of(col) - c[0]).powi(2) + (frame.v_of(row) - c[1]).powi(2);
                if d2 < r * r {
                    dem[frame.idx(row, col)] -= 1.0 * (1.0 - d2 / (r * r));
                }
            }
        }
    }

    // 4. Low streets.
    for s in &plan.low_streets {
        let (hu, hv) = if s.ns {
            (s.half_across, s.half_len)
        } else {
            (s.half_len, s.half_across)
        };
        let rect = Rect::new(
            s.centre[0] - hu,
            s.centre[0] + hu,
            s.centre[1] - hv,
            s.centre[1] + hv,
        );
        for (row, col) in frame.cells_in_rect(rect) {
            dem[frame.idx(row, col)] -= s.dip([frame.u_of(col), frame.v_of(row)]);
        }
    }

    // 5. Roads.
    let mut is_road = vec![false; frame.len()];
    for s in &plan.streets {
        for (row, col) in frame.cells_in_rect(s.rect(frame.cell)) {
            let (u, v) = (frame.u_of(col), frame.v_of(row));
            if relief.in_river_works(u, v) {
                continue;
            }
            let i = frame.idx(row, col);
            landuse[i] = lu::ROAD;
            is_road[i] = true;
        }
    }
    for (z, &r) in dem.iter_mut().zip(&is_road) {
        if r {
            *z -= ROAD_DROP;
        }
    }

    // 6–7. Rail embankment, cut by the underpasses.
    let rail = &plan.rail;
    let under_rects: Vec<Rect> = plan
        .underpasses
        .iter()
        .map(|up| underpass_rect(plan, frame.cell, up.u, up.half))
        .collect();
    let base_half = rail.crest_half + rail.height * rail.slope;
    let band = Rect::new(
        0.0,
        frame.extent,
        rail.v - base_half - frame.cell,
        rail.v + base_half + frame.cell,
    );
    for (row, col) in frame.cells_in_rect(band) {
        let (u, v) = (frame.u_of(col), frame.v_of(row));
        if u >= relief.river.west_levee(v) || under_rects.iter().any(|r| r.contains([u, v])) {
            continue;
        }
        let crest = relief.plain_trend(u, rail.v) + rail.height;
        let z = crest - ((v - rail.v).abs() - rail.crest_half).max(0.0) / rail.slope;
        let i = frame.idx(row, col);
        if z > dem[i] {
            dem[i] = z;
            landuse[i] = lu::PARK;
        }
    }
    for (up, rect) in plan.underpasses.iter().zip(&under_rects) {
        let ramp_end = rail.corridor_half - 10.0;
        for (row, col) in frame.cells_in_rect(*rect) {
            let (u, v) = (frame.u_of(col), frame.v_of(row));
            let dv = (v - rail.v).abs();
            let profile = if dv <= UNDERPASS_FLAT {
                1.0
            } else {
                ((ramp_end - dv) / (ramp_end - UNDERPASS_FLAT)).clamp(0.0, 1.0)
            };
            let i = frame.idx(row, col);
            dem[i] = relief.ground(u, v) - ROAD_DROP - up.depth * profile;
            landuse[i] = lu::ROAD;
        }
    }

    // 8. Centimetres.
    for z in &mut dem {
        *z = (*z * 100.0).round() / 100.0;
    }
    Rasters { dem, landuse }
}

/// The paved area of an underpass: the road between the two frontage-road kerbs.
pub fn underpass_rect(plan: &Plan, cell: f64, u: f64, half: f64) -> Rect {
    let rail = &plan.rail;
    let front = plan.ys_south.last().map_or(0.0, |g| g.half(cell));
    let kerb = rail.corridor_half - front;
    Rect::new(u - half, u + half, rail.v - kerb, rail.v + kerb)
}

/// Centre of the sump beside a pump station at `v`.
pub fn sump_centre(relief: &Relief, v: f64) -> [f64; 2] {
    [relief.river.west_inner_toe(v) - 5.0, v + 14.0]
}
