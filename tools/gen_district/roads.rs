//! The road network as written to `roads.geojson`: streets split at every
//! intersection, so each feature runs between two nodes and features meet at shared
//! end vertices.
//!
//! How it works: every street in the plan is an axis-aligned straight segment. For
//! each pair of perpendicular streets the crossing point (u of the north–south one,
//! v of the east–west one) is a node of both if it lies on both (ends included, so
//! T-junctions count). Each street is then cut at its nodes, in its own direction
//! (which matters for one-way streets). Positions are snapped to half cells, so the
//! shared vertices are exactly equal numbers.

use std::collections::BTreeMap;

use crate::plan::{RoadClass, Street};

/// One road feature (a street between two intersections).
#[derive(Debug, Clone)]
pub struct RoadFeature {
    /// Chinese street name.
    pub name: String,
    /// Class.
    pub class: RoadClass,
    /// Lanes (both directions).
    pub lanes: u32,
    /// Speed limit, km/h.
    pub speed_kmh: f64,
    /// One-way from the first to the second vertex.
    pub oneway: bool,
    /// Start and end, local metres.
    pub a: [f64; 2],
    /// End, local metres.
    pub b: [f64; 2],
}

const EPS: f64 = 1e-6;

fn on_segment(s: &Street, p: [f64; 2]) -> bool {
    let (lo_u, hi_u) = (s.a[0].min(s.b[0]), s.a[0].max(s.b[0]));
    let (lo_v, hi_v) = (s.a[1].min(s.b[1]), s.a[1].max(s.b[1]));
    p[0] >= lo_u - EPS && p[0] <= hi_u + EPS && p[1] >= lo_v - EPS && p[1] <= hi_v + EPS
}

/// Split all streets at their intersections.
pub fn split(streets: &[Street]) -> Vec<RoadFeature> {
    let mut out = Vec::new();
    for (i, s) in streets.iter().enumerate() {
        // Parameter along the street (0 at a, 1 at b) of every node on it.
        let len = (s.b[0] - s.a[0]).abs() + (s.b[1] - s.a[1]).abs();
        if len <= EPS {
            continue;
        }
        let t_of = |p: [f64; 2]| ((p[0] - s.a[0]).abs() + (p[1] - s.a[1]).abs()) / len;
        let mut ts = vec![0.0, 1.0];
        for (j, o) in streets.iter().enumerate() {
            if i == j || s.is_ns() == o.is_ns() {
                continue;
            }
            let p = if s.is_ns() {
                [s.a[0], o.a[1]]
            } else {
                [o.a[0], s.a[1]]
            };
            if on_segment(s, p) && on_segment(o, p) {
                ts.push(t_of(p));
            }
        }
        ts.sort_by(f64::total_cmp);
        ts.dedup_by(|a, b| (*a - *b).abs() < EPS);
        let at = |t: f64| {
            if s.is_ns() {
                [s.a[0], s.a[1] + (s.b[1] - s.a[1]) * t]
            } else {
                [s.a[0] + (s.b[0] - s.a[0]) * t, s.a[1]]
            }
        };
        for w in ts.windows(2) {
            out.push(RoadFeature {
                name: s.name.cn.clone(),
                class: s.class,
                lanes: s.lanes,
                speed_kmh: s.speed_kmh,
                oneway: s.oneway,
                a: round_pt(at(w[0])),
                b: round_pt(at(w[1])),
            });
        }
    }
    out
}

fn round_pt(p: [f64; 2]) -> [f64; 2] {
    [(p[0] * 10.0).round() / 10.0, (p[1] * 10.0).round() / 10.0]
}

fn key(p: [f64; 2]) -> (i64, i64) {
    ((p[0] * 10.0).round() as i64, (p[1] * 10.0).round() as i64)
}

/// Node degrees of the network, keyed by position in decimetres.
pub fn degrees(features: &[RoadFeature]) -> BTreeMap<(i64, i64), usize> {
    let mut deg = BTreeMap::new();
    for f in features {
        *deg.entry(key(f.a)).or_insert(0) += 1;
        *deg.entry(key(f.b)).or_insert(0) += 1;
    }
    deg
}

/// Intersections (nodes where three or more features meet), local metres.
pub fn intersections(features: &[RoadFeature]) -> Vec<[f64; 2]> {
    degrees(features)
        .into_iter()
        .filter(|&(_, d)| d >= 3)
        .map(|((x, y), _)| [x as f64 / 10.0, y as f64 / 10.0])
        .collect()
}

/// Number of connected components of the network.
pub fn components(features: &[RoadFeature]) -> usize {
    let nodes: Vec<(i64, i64)> = degrees(features).into_keys().collect();
    let index: BTreeMap<(i64, i64), usize> =
        nodes.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for f in features {
        let (a, b) = (index[&key(f.a)], index[&key(f.b)]);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
        }
    }
    (0..nodes.len())
        .filter(|&i| find(&mut parent, i) == i)
        .count()
}
