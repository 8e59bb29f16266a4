//! Places: shelters, depots, hotspots, pump stations, staging posts and the river gauge.
//!
//! How it works: every place except the gauge and the hotspots is put on a *kerb
//! cell* — a dry cell (not road, building or water) with a road as a 4-neighbour —
//! found by searching outward from a target point (a school gate, a depot's street
//! front, the levee-road side of a pump house, a crossing near a hotspot). Hotspots
//! are the lowest road cell of each underpass and low street, and carry the DEM value
//! there. Staging posts are at intersections 120–400 m from a hotspot and at least
//! 1 m higher, one per hotspot (underpasses first), 3–5 in all. The gauge is in the
//! river channel just downstream (north) of the road bridge. Two assembly points
//! (临时避险点) are on the highest crossings away from the river, last of all.
//!
//! Points are cell centres, so a place's cell is unambiguous.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::buildings::{Building, main_side, shelter_capacity};
use crate::frame::{Frame, Rect, XLL, YLL, dist, round_to};
use crate::names::{self, Name, zone_stem};
use crate::plan::{BlockUse, Plan};
use crate::relief::Relief;
use crate::roads::{RoadFeature, intersections};
use crate::terrain::{Rasters, lu, underpass_rect};
use crate::zones::{Zone, zone_of};

/// Kind-specific properties.
#[derive(Debug, Clone)]
pub enum Extra {
    /// Nothing more.
    None,
    /// Shelter capacity, persons.
    Shelter { capacity: u32 },
    /// Pump station capacity and outfall (map coordinates).
    Pump {
        capacity_m3_h: u32,
        outfall: [f64; 2],
    },
    /// Hotspot ground elevation, metres.
    Hotspot { ground_m: f64 },
}

/// One place.
#[derive(Debug, Clone)]
pub struct Place {
    /// "S01", "D01", "H01", "PS01", "P01", "G01", "A01".
    pub id: String,
    /// "shelter", "depot", "hotspot", "pump_station", "post", "gauge", "assembly_point".
    pub kind: &'static str,
    /// Names.
    pub name: Name,
    /// Zone id (None for the gauge).
    pub zone: Option<String>,
    /// Position, local metres (a cell centre).
    pub p: [f64; 2],
    /// Kind-specific properties.
    pub extra: Extra,
}

/// Whether a cell is a dry cell next to a road (or a road cell itself if `road_ok`).
pub fn road_adjacent_dry(
    frame: &Frame,
    landuse: &[u8],
    row: usize,
    col: usize,
    road_ok: bool,
) -> bool {
    let here = landuse[frame.idx(row, col)];
    if here == lu::WATER || here == lu::BUILDING {
        return false;
    }
    if here == lu::ROAD {
        return road_ok;
    }
    let n = frame.n;
    let nb = [
        (row.wrapping_sub(1), col),
        (row + 1, col),
        (row, col.wrapping_sub(1)),
        (row, col + 1),
    ];
    nb.iter()
        .any(|&(r, c)| r < n && c < n && landuse[frame.idx(r, c)] == lu::ROAD)
}

/// The nearest kerb cell to `target` within `radius` metres (ties by row, col).
fn kerb_cell(
    frame: &Frame,
    landuse: &[u8],
    target: [f64; 2],
    radius: f64,
    avoid: &dyn Fn([f64; 2]) -> bool,
) -> Option<[f64; 2]> {
    let rect = Rect::new(
        target[0] - radius,
        target[0] + radius,
        target[1] - radius,
        target[1] + radius,
    );
    frame
        .cells_in_rect(rect)
        .into_iter()
        .filter(|&(r, c)| {
            road_adjacent_dry(frame, landuse, r, c, false) && !avoid([frame.u_of(c), frame.v_of(r)])
        })
        .map(|(r, c)| {
            let p = [frame.u_of(c), frame.v_of(r)];
            (dist(p, target), r, c, p)
        })
        .filter(|t| t.0 <= radius)
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)))
        .map(|t| t.3)
}

/// The point on the kerb side of a block's main street, just inside the block.
fn gate(frame: &Frame, r: Rect, side: usize) -> [f64; 2] {
    let [cu, cv] = r.centre();
    let h = 0.5 * frame.cell;
    match side {
        0 => [cu, r.v0 + h],
        1 => [r.u1 - h, cv],
        2 => [cu, r.v1 - h],
        _ => [r.u0 + h, cv],
    }
}

/// Everything the place stage reads.
pub struct Inputs<'a> {
    /// Frame.
    pub frame: &'a Frame,
    /// Relief.
    pub relief: &'a Relief,
    /// Plan.
    pub plan: &'a Plan,
    /// Rasters (with buildings).
    pub rasters: &'a Rasters,
    /// Buildings.
    pub buildings: &'a [Building],
    /// Zones.
    pub zones: &'a [Zone],
    /// Split road network.
    pub roads: &'a [RoadFeature],
}

/// Place all the places.
pub fn make_places(inp: &Inputs, rng: &mut ChaCha8Rng) -> Vec<Place> {
    let (frame, plan, rasters) = (inp.frame, inp.plan, inp.rasters);
    let zone_id = |p: [f64; 2]| zone_of(inp.zones, p).map(|z| z.id.clone());
    let stem = |p: [f64; 2]| {
        zone_of(inp.zones, p)
            .map(|z| zone_stem(&z.name))
            .unwrap_or_else(|| Name::new("城区", "City"))
    };
    let no_avoid = |_: [f64; 2]| false;
    let mut out = Vec::new();

    // Shelters in the schools.
    let mut schools: Vec<(usize, usize)> = plan
        .blocks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            if let BlockUse::School(k) = b.use_ {
                Some((k, i))
            } else {
                None
            }
        })
        .collect();
    schools.sort();
    for (k, bi) in schools {
        let b = &plan.blocks[bi];
        let target = gate(frame, b.rect, main_side(b));
        let Some(p) = kerb_cell(frame, &rasters.landuse, target, 60.0, &no_avoid) else {
            continue;
        };
        let s = stem(p);
        let (kind_cn, kind_en) = names::SCHOOLS[k % names::SCHOOLS.len()];
        out.push(Place {
            id: format!("S{:02}", out.len() + 1),
            kind: "shelter",
            name: Name {
                cn: format!("{}{}避灾安置点", s.cn, kind_cn),
                en: format!("{} {} shelter", s.en, kind_en),
            },
            zone: zone_id(p),
            p,
            extra: Extra::Shelter {
                capacity: shelter_capacity(inp.buildings, bi),
            },
        });
    }

    // Depots.
    let mut depots = Vec::new();
    for (use_, cn, en) in [
        (
            BlockUse::FireStation,
            "消防救援站",
            "fire and rescue station",
        ),
        (
            BlockUse::DrainageYard,
            "排水抢险基地",
            "drainage company emergency yard",
        ),
        (
            BlockUse::Warehouse,
            "防汛物资仓库",
            "flood-control materials depot",
        ),
    ] {
        let Some(b) = plan.blocks.iter().find(|b| b.use_ == use_) else {
            continue;
        };
        let target = gate(frame, b.rect, main_side(b));
        let Some(p) = kerb_cell(frame, &rasters.landuse, target, 60.0, &no_avoid) else {
            continue;
        };
        let s = stem(p);
        depots.push(Place {
            id: format!("D{:02}", depots.len() + 1),
            kind: "depot",
            name: Name {
                cn: format!("{}{}", s.cn, cn),
                en: format!("{} {}", s.en, en),
            },
            zone: zone_id(p),
            p,
            extra: Extra::None,
        });
    }
    out.extend(depots);

    // Hotspots: the lowest road cell of each underpass and low street.
    let lowest = |cells: Vec<(usize, usize)>| -> Option<[f64; 2]> {
        cells
            .into_iter()
            .filter(|&(r, c)| rasters.landuse[frame.idx(r, c)] == lu::ROAD)
            .min_by(|a, b| {
                rasters.dem[frame.idx(a.0, a.1)]
                    .total_cmp(&rasters.dem[frame.idx(b.0, b.1)])
                    .then(a.cmp(b))
            })
            .map(|(r, c)| [frame.u_of(c), frame.v_of(r)])
    };
    let ground = |p: [f64; 2]| {
        frame
            .cell_at(p[0], p[1])
            .map_or(f64::NAN, |(r, c)| rasters.dem[frame.idx(r, c)])
    };
    let mut hotspots: Vec<Place> = Vec::new();
    // Each underpass's lowest point, its name and where its pumps discharge.
    let mut underpass_sumps: Vec<([f64; 2], Name, [f64; 2])> = Vec::new();
    for up in &plan.underpasses {
        let rect = underpass_rect(plan, frame.cell, up.u, up.half);
        let Some(p) = lowest(frame.cells_in_rect(rect)) else {
            continue;
        };
        underpass_sumps.push((p, up.name.clone(), [up.u, rect.v1 + UNDERPASS_DISCHARGE_M]));
        hotspots.push(Place {
            id: format!("H{:02}", hotspots.len() + 1),
            kind: "hotspot",
            name: Name {
                cn: format!("{}铁路桥下立交", up.name.cn),
                en: format!("{} rail underpass", up.name.en),
            },
            zone: zone_id(p),
            p,
            extra: Extra::Hotspot {
                ground_m: ground(p),
            },
        });
    }
    for s in &plan.low_streets {
        let rect = Rect::new(
            s.centre[0] - s.half_len,
            s.centre[0] + s.half_len,
            s.centre[1] - s.half_len,
            s.centre[1] + s.half_len,
        );
        let cells = frame
            .cells_in_rect(rect)
            .into_iter()
            .filter(|&(r, c)| s.dip([frame.u_of(c), frame.v_of(r)]) > 0.0)
            .collect();
        let Some(p) = lowest(cells) else { continue };
        hotspots.push(Place {
            id: format!("H{:02}", hotspots.len() + 1),
            kind: "hotspot",
            name: Name {
                cn: format!("{}低洼段", s.name.cn),
                en: format!("{} low section", s.name.en),
            },
            zone: zone_id(p),
            p,
            extra: Extra::Hotspot {
                ground_m: ground(p),
            },
        });
    }

    // Pump stations: on the levee-road side of the pump house.
    let mut pumps = Vec::new();
    let mut used_names: Vec<String> = Vec::new();
    for ps in &plan.pumps {
        let target = [ps.road_edge + 0.5 * frame.cell, ps.v];
        let Some(p) = kerb_cell(frame, &rasters.landuse, target, 30.0, &no_avoid) else {
            continue;
        };
        let s = stem(p);
        let mut cn = format!("{}排涝泵站", s.cn);
        let mut en = format!("{} drainage pump station", s.en);
        if used_names.contains(&cn) {
            cn = format!("{}二号排涝泵站", s.cn);
            en = format!("{} No. 2 drainage pump station", s.en);
        }
        used_names.push(cn.clone());
        let outfall = [round_to(inp.relief.river.west_bank(ps.v) + 6.0, 10.0), ps.v];
        pumps.push(Place {
            id: format!("PS{:02}", pumps.len() + 1),
            kind: "pump_station",
            name: Name { cn, en },
            zone: zone_id(p),
            p,
            extra: Extra::Pump {
                capacity_m3_h: ps.capacity_m3_h,
                outfall,
            },
        });
    }

    // Staging posts near the hotspots, on higher ground at a crossing.
    let n_posts = rng.random_range(3..=5usize).min(hotspots.len());
    let nodes = intersections(inp.roads);
    let in_hazard = |p: [f64; 2]| {
        plan.low_streets.iter().any(|s| s.dip(p) > 0.0)
            || plan.underpasses.iter().any(|u| {
                underpass_rect(plan, frame.cell, u.u, u.half)
                    .shrink(-20.0)
                    .contains(p)
            })
    };
    let mut posts: Vec<Place> = Vec::new();
    for h in &hotspots {
        if posts.len() >= n_posts {
            break;
        }
        let Extra::Hotspot { ground_m } = h.extra else {
            continue;
        };
        let mut cands: Vec<(f64, [f64; 2])> = nodes
            .iter()
            .map(|&n| (dist(n, h.p), n))
            .filter(|&(d, n)| {
                (120.0..=400.0).contains(&d)
                    && ground(n) >= ground_m + 1.0
                    && !in_hazard(n)
                    && frame.cell_at(n[0], n[1]).is_some()
            })
            .collect();
        cands.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1[0].total_cmp(&b.1[0]))
                .then(a.1[1].total_cmp(&b.1[1]))
        });
        for (_, n) in cands {
            let Some(p) = kerb_cell(frame, &rasters.landuse, n, 15.0, &in_hazard) else {
                continue;
            };
            if posts.iter().any(|q| dist(q.p, p) < 100.0) || ground(p) < ground_m + 1.0 {
                continue;
            }
            posts.push(Place {
                id: format!("P{:02}", posts.len() + 1),
                kind: "post",
                name: Name {
                    cn: format!("{}前置点", h.name.cn),
                    en: format!("Staging post, {}", h.name.en),
                },
                zone: zone_id(p),
                p,
                extra: Extra::None,
            });
            break;
        }
    }
    out.extend(hotspots);
    out.extend(pumps);
    out.extend(posts);

    // River gauge just downstream of the bridge.
    let gv = plan.bridge_v.map_or(0.5 * frame.extent, |v| v + 30.0);
    let gu = inp.relief.river.centre(gv);
    if let Some((r, c)) = frame.cell_at(gu, gv) {
        out.push(Place {
            id: "G01".to_string(),
            kind: "gauge",
            name: Name {
                cn: format!("{}水位站", names::RIVER.0),
                en: format!("{} gauge", names::RIVER.1),
            },
            zone: None,
            p: [frame.u_of(c), frame.v_of(r)],
            extra: Extra::None,
        });
    }

    // Assembly points (临时避险点) on the highest crossings away from the river and the
    // hazards, at least 600 m apart: open ground where evacuees who cannot reach a
    // shelter wait out the water. Drawn after everything else and without the rng, so
    // the other places keep their positions and ids.
    let mut high: Vec<(f64, [f64; 2])> = nodes
        .iter()
        .filter(|&&n| {
            (n[0] - inp.relief.river.centre(n[1])).abs() > 200.0
                && !in_hazard(n)
                && zone_of(inp.zones, n).is_some()
                && frame.cell_at(n[0], n[1]).is_some()
        })
        .map(|&n| (ground(n), n))
        .collect();
    high.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1[0].total_cmp(&b.1[0]))
            .then(a.1[1].total_cmp(&b.1[1]))
    });
    let mut assembly: Vec<Place> = Vec::new();
    for (_, n) in high {
        if assembly.len() >= N_ASSEMBLY {
            break;
        }
        if assembly.iter().any(|q| dist(q.p, n) < 600.0) {
            continue;
        }
        let Some(p) = kerb_cell(frame, &rasters.landuse, n, 15.0, &in_hazard) else {
            continue;
        };
        let s = stem(p);
        assembly.push(Place {
            id: format!("A{:02}", assembly.len() + 1),
            kind: "assembly_point",
            name: Name {
                cn: format!("{}高地临时避险点", s.cn),
                en: format!("{} high-ground assembly point", s.en),
            },
            zone: zone_id(p),
            p,
            extra: Extra::Shelter {
                capacity: ASSEMBLY_CAPACITY,
            },
        });
    }
    out.extend(assembly);

    // Underpass pump stations (下立交泵站): beside each underpass's lowest point, lifting
    // its sump to the street sewer north of the rail line. Last of all and without the
    // rng, so every other place keeps its position and id.
    let n_river = out.iter().filter(|p| p.kind == "pump_station").count();
    for (k, (sump, name, outfall)) in underpass_sumps.into_iter().enumerate() {
        let Some(p) = kerb_cell(frame, &rasters.landuse, sump, 40.0, &no_avoid) else {
            continue;
        };
        out.push(Place {
            id: format!("PS{:02}", n_river + k + 1),
            kind: "pump_station",
            name: Name {
                cn: format!("{}下立交泵站", name.cn),
                en: format!("{} underpass pump station", name.en),
            },
            zone: zone_id(p),
            p,
            extra: Extra::Pump {
                capacity_m3_h: UNDERPASS_PUMPS_M3_H,
                outfall,
            },
        });
    }
    out
}

/// An underpass pump station's capacity, m³/h (two pumps of 0.5 m³/s).
pub const UNDERPASS_PUMPS_M3_H: u32 = 3600;
/// Its discharge point: on the street, this far north of the underpass's end, m.
const UNDERPASS_DISCHARGE_M: f64 = 40.0;

/// Assembly points per district.
const N_ASSEMBLY: usize = 2;
/// Persons an assembly point holds (open ground beside a crossing).
const ASSEMBLY_CAPACITY: u32 = 1500;

/// Map coordinates of a local point, rounded to 0.1 m.
pub fn to_map(p: [f64; 2]) -> [f64; 2] {
    [round_to(XLL + p[0], 10.0), round_to(YLL + p[1], 10.0)]
}
