//! Mirror symmetry: flipping the input east–west or north–south flips the output —
//! exactly, bit for bit (the kernels group opposite-face sums so that they round the
//! same way mirrored), with and without advection.

use floodrill::hydro::{HydroConfig, HydroModel};
use floodrill::world::{Grid, GridSpec};

struct Case {
    dem: Grid<f64>,
    depth: Grid<f64>,
    blocked: Grid<bool>,
    n: Grid<f64>,
}

fn case() -> Case {
    let spec = GridSpec {
        ncols: 37,
        nrows: 29,
        xll: 0.0,
        yll: 0.0,
        cell: 3.0,
    };
    let mut c = Case {
        dem: Grid::filled(spec, 0.0),
        depth: Grid::filled(spec, 0.0),
        blocked: Grid::filled(spec, false),
        n: Grid::filled(spec, 0.0),
    };
    for r in 0..spec.nrows {
        for col in 0..spec.ncols {
            let (x, y) = (col as f64, r as f64);
            *c.dem.get_mut(r, col) =
                5.0 + 0.03 * x - 0.02 * y + 0.2 * (x * 0.7).sin() * (y * 0.45).cos();
            let d2 = (x - 9.0).powi(2) + (y - 20.0).powi(2);
            *c.depth.get_mut(r, col) = (1.2 - 0.02 * d2).max(0.0); // an off-centre mound
            *c.blocked.get_mut(r, col) =
                (r == 12 && (14..20).contains(&col)) || (col == 25 && r < 8);
            *c.n.get_mut(r, col) = 0.015 + 0.01 * ((r * 7 + col * 3) % 5) as f64;
        }
    }
    c
}

fn flip<T: Clone>(g: &Grid<T>, ew: bool) -> Grid<T> {
    let s = g.spec;
    let mut out = g.clone();
    for r in 0..s.nrows {
        for c in 0..s.ncols {
            let (rr, cc) = if ew {
                (r, s.ncols - 1 - c)
            } else {
                (s.nrows - 1 - r, c)
            };
            *out.get_mut(r, c) = g.get(rr, cc).clone();
        }
    }
    out
}

fn run(c: &Case, advection: bool) -> HydroModel {
    let mut cfg = HydroConfig::default();
    cfg.surface.theta = 0.85;
    cfg.surface.advection = advection;
    let mut m = HydroModel::builder(&c.dem)
        .manning(&c.n)
        .blocked(&c.blocked)
        .initial_depth(&c.depth)
        .config(cfg)
        .build()
        .unwrap();
    m.step_until(90.0).unwrap();
    m
}

#[test]
fn mirrored_input_gives_mirrored_output_exactly() {
    check(false);
}

#[test]
fn mirrored_input_gives_mirrored_output_exactly_with_advection() {
    check(true);
}

fn check(advection: bool) {
    let base = case();
    let a = run(&base, advection);
    let (nr, nc) = (base.dem.spec.nrows, base.dem.spec.ncols);
    let moved = a
        .qx()
        .iter()
        .chain(a.qy())
        .filter(|q| q.abs() > 1e-4)
        .count();
    assert!(moved > 100, "the case must have flow ({moved} faces)");
    for ew in [true, false] {
        let m = Case {
            dem: flip(&base.dem, ew),
            depth: flip(&base.depth, ew),
            blocked: flip(&base.blocked, ew),
            n: flip(&base.n, ew),
        };
        let b = run(&m, advection);
        for r in 0..nr {
            for c in 0..nc {
                let (rr, cc) = if ew { (r, nc - 1 - c) } else { (nr - 1 - r, c) };
                let (ha, hb) = (a.depth()[rr * nc + cc], b.depth()[r * nc + c]);
                assert_eq!(
                    ha.to_bits(),
                    hb.to_bits(),
                    "ew={ew} depth at ({r},{c}): {hb} vs {ha}"
                );
            }
        }
        for r in 0..nr {
            for f in 0..=nc {
                let (qa, qb) = if ew {
                    (-a.qx()[r * (nc + 1) + (nc - f)], b.qx()[r * (nc + 1) + f])
                } else {
                    (
                        a.qx()[(nr - 1 - r) * (nc + 1) + f],
                        b.qx()[r * (nc + 1) + f],
                    )
                };
                assert!(qa == qb, "ew={ew} qx at ({r},{f}): {qb} vs {qa}");
            }
        }
        for f in 0..=nr {
            for c in 0..nc {
                let (qa, qb) = if ew {
                    (a.qy()[f * nc + (nc - 1 - c)], b.qy()[f * nc + c])
                } else {
                    (-a.qy()[(nr - f) * nc + c], b.qy()[f * nc + c])
                };
                assert!(qa == qb, "ew={ew} qy at ({f},{c}): {qb} vs {qa}");
            }
        }
    }
}
