//! Communities (社区): 7–8 polygons that together cover the hills and the plain, from
//! the western edge of the grid to the crest of the western levee.
//!
//! How it works: three columns — the hills with the higher plain beside them, the
//! middle plain, the plain by the river — split at arterials, so no block is cut;
//! rows split at the rail line and, for the plain columns, at an east–west arterial.
//! The eastern boundary follows the levee crest line (sampled every 20 m), so pump
//! stations at the levee foot belong to a community while the river and the farmland
//! beyond do not. Rings are counter-clockwise, closed, rounded to 0.1 m.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::frame::{Frame, point_in_ring, round_to};
use crate::names::{self, Name, Pool};
use crate::plan::{LineKind, Plan};
use crate::relief::Relief;

/// One community.
#[derive(Debug, Clone)]
pub struct Zone {
    /// "Z01", "Z02", … numbered north to south, west to east.
    pub id: String,
    /// Chinese and English names.
    pub name: Name,
    /// Closed counter-clockwise ring, local metres.
    pub ring: Vec<[f64; 2]>,
}

fn nearest(vals: &[f64], target: f64, not: &[f64]) -> Option<f64> {
    vals.iter()
        .copied()
        .filter(|v| !not.contains(v))
        .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
}

/// Make the communities.
pub fn make_zones(frame: &Frame, relief: &Relief, plan: &Plan, rng: &mut ChaCha8Rng) -> Vec<Zone> {
    let l = frame.extent;
    let hill_x = plan.hill_road().pos;
    let plain_w = plan.levee_road().pos - hill_x;
    let arts: Vec<f64> = plan.ns_arterials().map(|g| g.pos).collect();
    let b1 = nearest(&arts, hill_x + 0.3 * plain_w, &[]).unwrap_or(hill_x + 0.33 * plain_w);
    let b2 = nearest(&arts, hill_x + 0.66 * plain_w, &[b1]).unwrap_or(hill_x + 0.66 * plain_w);
    let (b1, b2) = (b1.min(b2), b1.max(b2));

    let rail = plan.rail.v;
    let ew_south: Vec<f64> = plan
        .ys_south
        .iter()
        .filter(|g| g.kind == LineKind::Arterial)
        .map(|g| g.pos)
        .collect();
    let ew_north: Vec<f64> = plan
        .ys_north
        .iter()
        .filter(|g| g.kind == LineKind::Arterial)
        .map(|g| g.pos)
        .collect();
    let south_split =
        nearest(&ew_south, 0.5 * (rail - plan.rail.corridor_half), &[]).unwrap_or(0.5 * rail);
    let north_split = nearest(&ew_north, 0.5 * (rail + plan.rail.corridor_half + l), &[])
        .unwrap_or(0.5 * (rail + l));

    let two = vec![0.0, rail, l];
    let three_s = vec![0.0, south_split, rail, l];
    let east_rows = match rng.random_range(0..3) {
        0 => two.clone(),
        1 => three_s.clone(),
        _ => vec![0.0, rail, north_split, l],
    };
    // (west, east or None for the levee, row breaks, hill column?)
    let columns: [(f64, Option<f64>, &Vec<f64>, bool); 3] = [
        (0.0, Some(b1), &two, true),
        (b1, Some(b2), &three_s, false),
        (b2, None, &east_rows, false),
    ];

    let mut hill_names = Pool::shuffled(names::HILL_ZONES, rng);
    let mut plain_names = Pool::shuffled(names::PLAIN_ZONES, rng);
    let mut cells: Vec<(f64, f64, Vec<[f64; 2]>, bool)> = Vec::new(); // (top, west, ring, hill)
    for (x0, x1, rows, hill) in columns {
        for w in rows.windows(2) {
            let (y0, y1) = (w[0], w[1]);
            let mut ring = vec![[x0, y0]];
            match x1 {
                Some(x1) => {
                    ring.push([x1, y0]);
                    ring.push([x1, y1]);
                }
                None => {
                    let levee = |v: f64| round_to(relief.river.west_levee(v), 10.0);
                    ring.push([levee(y0), y0]);
                    let mut v = (y0 / 20.0).floor() * 20.0 + 20.0;
                    while v < y1 - 1e-9 {
                        ring.push([levee(v), v]);
                        v += 20.0;
                    }
                    ring.push([levee(y1), y1]);
                }
            }
            ring.push([x0, y1]);
            ring.push([x0, y0]);
            let ring = ring
                .into_iter()
                .map(|p| [round_to(p[0], 10.0), round_to(p[1], 10.0)])
                .collect();
            cells.push((y1, x0, ring, hill));
        }
    }
    // Number north to south, then west to east.
    cells.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1)));
    cells
        .into_iter()
        .enumerate()
        .map(|(k, (_, _, ring, hill))| Zone {
            id: format!("Z{:02}", k + 1),
            name: if hill {
                hill_names.take()
            } else {
                plain_names.take()
            },
            ring,
        })
        .collect()
}

/// The zone containing a point, if any (first match in id order).
pub fn zone_of(zones: &[Zone], p: [f64; 2]) -> Option<&Zone> {
    zones.iter().find(|z| point_in_ring(p, &z.ring))
}
