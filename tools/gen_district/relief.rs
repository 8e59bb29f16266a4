//! The natural relief: hills in the west, the sloping plain, the river with its berms
//! and levees, and the farmland beyond — everything the city is later built on.
//!
//! How it works: every quantity is an analytic function of the local point `(u, v)`
//! (metres east / north of the south-west corner), driven by a few seeded parameters
//! and [`Noise`] fields, so any stage can ask "how high is the ground here?" before the
//! raster exists (the planner uses it to put schools on higher ground).
//!
//! Shape, west to east (default 2.56 km square):
//! - hills rise from the hill-foot road (~0.27 L) to 40–60 m at the western edge; the
//!   explicit valleys (one every ~220 m) wind eastward from the western edge, their
//!   floors falling all the way to the hill foot, so hill runoff drains onto the plain;
//! - the plain slopes gently from ~9.3 m at the hill foot to ~6.3 m near the river,
//!   and a little from south to north; low-amplitude noise, damped near the levee;
//! - the river (~0.875 L, meandering) has a bed at 1–2 m, banks up to a berm at
//!   ~4.2 m, and a levee on each side: the western (city) levee crest is 2.6–3.0 m
//!   above the plain beside it along its whole length, the eastern one is lower;
//! - farmland east of the eastern levee at ~5.3 m.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::frame::{Frame, Noise, smoothstep};

/// The river and its levees.
#[derive(Debug, Clone)]
pub struct River {
    /// Mean centre line position, metres east.
    pub x0: f64,
    /// Meander amplitude, metres.
    pub amp: f64,
    /// Channel width (bank to bank), metres.
    pub width: f64,
    /// Berm width between channel bank and levee toe, metres.
    pub berm: f64,
    /// Berm elevation, metres.
    pub berm_z: f64,
    /// Bed elevation at the southern edge, metres (the river flows north).
    pub bed_south: f64,
    /// Bed elevation at the northern edge, metres.
    pub bed_north: f64,
    /// Western levee crest height above the plain trend at its inner toe, metres.
    pub levee_h: f64,
    /// Eastern levee crest height above the farmland, metres.
    pub levee_h_east: f64,
    /// Half the crest width, metres.
    pub crest_half: f64,
    /// Levee side slope, horizontal per vertical.
    pub slope: f64,
    /// Horizontal distance from the berm edge to the levee centre line, metres.
    pub outer_run: f64,
    meander: Noise,
}

impl River {
    /// Centre line of the channel at `v`.
    pub fn centre(&self, v: f64) -> f64 {
        self.x0
            + self.amp
                * (0.75 * self.meander.at1(v / 600.0) + 0.25 * self.meander.at1(v / 210.0 + 40.0))
    }
    /// Western bank (edge of the water class).
    pub fn west_bank(&self, v: f64) -> f64 {
        self.centre(v) - 0.5 * self.width
    }
    /// Eastern bank.
    pub fn east_bank(&self, v: f64) -> f64 {
        self.centre(v) + 0.5 * self.width
    }
    /// Centre line of the western (city-side) levee crest.
    pub fn west_levee(&self, v: f64) -> f64 {
        self.west_bank(v) - self.berm - self.outer_run
    }
    /// Landward toe of the western levee (where the plain begins).
    pub fn west_inner_toe(&self, v: f64) -> f64 {
        self.west_levee(v) - self.crest_half - self.levee_h * self.slope
    }
    /// Centre line of the eastern levee crest.
    pub fn east_levee(&self, v: f64) -> f64 {
        self.east_bank(v) + self.berm + self.outer_run
    }
    /// Landward toe of the eastern levee (where the farmland begins).
    pub fn east_outer_toe(&self, v: f64) -> f64 {
        self.east_levee(v) + self.crest_half + self.levee_h_east * self.slope + 2.0
    }
    /// Bed elevation at `v`.
    pub fn bed(&self, v: f64, extent: f64) -> f64 {
        self.bed_north + (self.bed_south - self.bed_north) * (1.0 - v / extent)
    }
}

/// One hill valley.
#[derive(Debug, Clone)]
struct Valley {
    /// Mean position, metres north.
    v0: f64,
    /// Half-width at the head, metres.
    half: f64,
    /// Share of the hill height cut away on the valley floor.
    depth: f64,
    /// Where the valley starts (west end), metres east.
    head: f64,
    meander: Noise,
}

/// Seeded parameters of the natural relief.
#[derive(Debug, Clone)]
pub struct Relief {
    /// Side of the square, metres.
    pub extent: f64,
    /// Centre line of the hill-foot road (snapped to the grid), metres east.
    pub hill_road_x: f64,
    /// Plain elevation at the hill foot, metres.
    pub z_west: f64,
    /// Plain elevation near the river, metres.
    pub z_east: f64,
    /// Extra height at the southern edge (the plain falls gently to the north), metres.
    pub tilt: f64,
    /// Hill height scale, metres above the plain.
    pub hill_max: f64,
    /// Farmland elevation, metres.
    pub farm_z: f64,
    /// The river.
    pub river: River,
    /// `u` where the plain trend reaches `z_east`.
    u_east: f64,
    foot: Noise,
    ridge: Noise,
    rough: Noise,
    plain_lo: Noise,
    plain_hi: Noise,
    hill_amp: Noise,
    /// Valleys: mean `v`, half-width (m), depth share, head `u` (m), meander noise.
    valleys: Vec<Valley>,
}

impl Relief {
    /// Draw the relief parameters for a frame.
    pub fn new(frame: &Frame, rng: &mut ChaCha8Rng) -> Self {
        let l = frame.extent;
        let (hill_road_x, _) = frame.snap_line(0.27 * l, 15.0);
        let width = rng.random_range(44.0..56.0);
        let berm = rng.random_range(12.0..16.0);
        let berm_z = rng.random_range(4.0..4.4);
        let levee_h = rng.random_range(2.6..3.0);
        let z_east = rng.random_range(6.2..6.5);
        let river = River {
            x0: l * rng.random_range(0.868..0.882),
            amp: (0.014 * l).min(36.0),
            width,
            berm,
            berm_z,
            bed_south: rng.random_range(1.7..2.0),
            bed_north: rng.random_range(1.0..1.3),
            levee_h,
            levee_h_east: rng.random_range(2.2..2.5),
            crest_half: 4.0,
            slope: 2.5,
            // The outer slope falls from the crest (~plain + levee_h) to the berm.
            outer_run: 4.0 + (z_east + levee_h - berm_z) * 2.5,
            meander: Noise::new(rng.random()),
        };
        let u_east = river.x0 - 0.5 * width - berm - 40.0;
        Relief {
            extent: l,
            hill_road_x,
            z_west: rng.random_range(9.0..9.6),
            z_east,
            tilt: rng.random_range(0.3..0.5),
            hill_max: rng.random_range(46.0..54.0) * (hill_road_x / 690.0).clamp(0.45, 1.0),
            farm_z: rng.random_range(5.1..5.5),
            river,
            u_east,
            foot: Noise::new(rng.random()),
            ridge: Noise::new(rng.random()),
            rough: Noise::new(rng.random()),
            plain_lo: Noise::new(rng.random()),
            plain_hi: Noise::new(rng.random()),
            hill_amp: Noise::new(rng.random()),
            valleys: {
                let k = ((l / 220.0).round() as usize).max(2);
                (0..k)
                    .map(|i| Valley {
                        v0: (i as f64 + 0.5) * l / k as f64 + rng.random_range(-60.0..60.0),
                        half: rng.random_range(60.0..120.0),
                        depth: rng.random_range(0.35..0.6),
                        head: rng.random_range(-300.0..0.5 * hill_road_x),
                        meander: Noise::new(rng.random()),
                    })
                    .collect()
            },
        }
    }

    /// Smooth plain elevation (no noise): falls east toward the river and north.
    pub fn plain_trend(&self, u: f64, v: f64) -> f64 {
        let t = ((self.u_east - u) / (self.u_east - self.hill_road_x)).clamp(-0.2, 1.3);
        self.z_east + (self.z_west - self.z_east) * t + self.tilt * (1.0 - v / self.extent)
    }

    /// Plain elevation with its gentle noise (damped near the levee so the crest
    /// stays 2.5 m or more above the ground beside it).
    pub fn plain(&self, u: f64, v: f64) -> f64 {
        let damp = 0.35 + 0.65 * smoothstep((self.u_east - u) / 300.0);
        let n = 0.22 * self.plain_lo.fbm(u / 480.0, v / 480.0, 2)
            + 0.05 * self.plain_hi.at(u / 70.0, v / 70.0);
        self.plain_trend(u, v) + damp * n
    }

    /// Hill foot line at `v` (west of it the ground rises).
    pub fn hill_foot(&self, v: f64) -> f64 {
        self.hill_road_x - 14.0 - 30.0 * (0.5 + 0.5 * self.foot.at1(v / 260.0))
    }

    /// Height of the hills above the plain at `(u, v)` (0 east of the foot).
    pub fn hill_height(&self, u: f64, v: f64) -> f64 {
        let foot = self.hill_foot(v);
        if u >= foot {
            return 0.0;
        }
        let d = foot - u;
        let t = (d / foot.max(1.0)).clamp(0.0, 1.0);
        let rise = (1.0 - (1.0 - t) * (1.0 - t)) * smoothstep(d / 80.0);
        // Incision by the nearest valley: 0 on the ridges, 1 on a valley floor. Valley
        // floors stay at half the hill height, which falls steadily toward the foot,
        // so they drain east.
        let mut g: f64 = 0.0;
        for va in &self.valleys {
            let centre = va.v0 + 80.0 * va.meander.at1(u / 350.0);
            let w = va.half * (1.0 + 0.6 * (1.0 - t));
            let x = ((v - centre) / w).abs();
            if x < 1.0 {
                let head = smoothstep((u - va.head) / 250.0);
                g = g.max(va.depth * head * (1.0 - x * x) * (1.0 - x * x));
            }
        }
        let ridge = 0.8 + 0.2 * self.ridge.fbm(u / 300.0, v / 300.0, 2);
        let amp = 1.0 + 0.15 * self.hill_amp.at1(v / 800.0);
        let detail =
            2.5 * self.rough.fbm(u / 110.0, v / 110.0, 3) * rise * (1.0 - 1.5 * g).max(0.1);
        (self.hill_max * amp * rise * ridge * (1.0 - g) + detail).max(0.0)
    }

    /// Western levee crest elevation at `v`.
    pub fn west_crest(&self, v: f64) -> f64 {
        // Measured against the plain a little inland of the toe, so the crest clears
        // the ground beside it by `levee_h` even where the plain is steeper.
        let toe = self.river.west_inner_toe(v);
        self.plain_trend(toe - 60.0, v) + self.river.levee_h
    }

    /// Eastern levee crest elevation at `v`.
    pub fn east_crest(&self, v: f64) -> f64 {
        self.farm_z + 0.2 * (1.0 - v / self.extent) + self.river.levee_h_east
    }

    /// Whether `(u, v)` belongs to the river works (levees, berms, channel).
    pub fn in_river_works(&self, u: f64, v: f64) -> bool {
        u >= self.river.west_inner_toe(v) && u <= self.river.east_outer_toe(v)
    }

    /// Whether `(u, v)` is in the river channel (water class).
    pub fn in_channel(&self, u: f64, v: f64) -> bool {
        u >= self.river.west_bank(v) && u < self.river.east_bank(v)
    }

    /// Natural ground elevation at `(u, v)`: hills, plain, river, levees, farmland.
    pub fn ground(&self, u: f64, v: f64) -> f64 {
        let r = &self.river;
        let centre = r.centre(v);
        let west_berm = r.west_bank(v) - r.berm;
        let east_berm = r.east_bank(v) + r.berm;
        let base = if self.in_channel(u, v) {
            let d = ((u - centre).abs() / (0.5 * r.width)).min(1.0);
            let bed = r.bed(v, self.extent);
            bed + (r.berm_z - 0.3 - bed) * d * d * d
        } else if u >= west_berm && u <= east_berm {
            r.berm_z + 0.08 * self.plain_hi.at(u / 40.0, v / 40.0)
        } else if u > east_berm {
            self.farm_z
                + 0.2 * (1.0 - v / self.extent)
                + 0.1 * self.plain_hi.at(u / 60.0 + 9.0, v / 60.0)
        } else if u > r.west_levee(v) {
            r.berm_z
        } else {
            self.plain(u, v) + self.hill_height(u, v)
        };
        let west =
            self.west_crest(v) - ((u - r.west_levee(v)).abs() - r.crest_half).max(0.0) / r.slope;
        let east =
            self.east_crest(v) - ((u - r.east_levee(v)).abs() - r.crest_half).max(0.0) / r.slope;
        base.max(west).max(east)
    }
}
