//! Lake at rest: still water over bumpy terrain, with islands and buildings, stays
//! still — the scheme is well balanced (DOMAIN.md §2, "Lake at rest").

use floodrill::hydro::{HydroConfig, HydroModel};
use floodrill::world::{Grid, GridSpec};

fn bumpy(spec: GridSpec) -> Grid<f64> {
    let mut z = Grid::filled(spec, 0.0);
    for r in 0..spec.nrows {
        for c in 0..spec.ncols {
            let (x, y) = (c as f64, r as f64);
            *z.get_mut(r, c) = 40.0
                + 0.6 * (x * 0.31).sin() * (y * 0.23).cos()
                + 0.25 * (x * 1.7 + y * 0.9).sin()
                + if (r / 9 + c / 7) % 5 == 0 { 0.9 } else { 0.0 }; // islands poke out
        }
    }
    z
}

#[test]
fn still_water_over_bumpy_terrain_stays_still() {
    still(false);
}

#[test]
fn still_water_stays_still_with_advection() {
    still(true);
}

fn still(advection: bool) {
    let spec = GridSpec {
        ncols: 64,
        nrows: 48,
        xll: 1000.0,
        yll: 2000.0,
        cell: 4.0,
    };
    let z = bumpy(spec);
    let level = 40.7;
    let mut blocked = Grid::filled(spec, false);
    for r in 20..24 {
        for c in 30..35 {
            *blocked.get_mut(r, c) = true;
        }
    }
    let depth = Grid {
        spec,
        data: z.data.iter().map(|&zz| (level - zz).max(0.0)).collect(),
    };
    let islands = depth.data.iter().filter(|&&d| d == 0.0).count();
    assert!(
        islands > 100,
        "the terrain must have dry islands, has {islands}"
    );
    let mut cfg = HydroConfig::default();
    cfg.surface.theta = 0.8; // exercise the θ path too
    cfg.surface.advection = advection;
    let mut m = HydroModel::builder(&z)
        .uniform_manning(0.02)
        .blocked(&blocked)
        .initial_depth(&depth)
        .config(cfg)
        .build()
        .unwrap();
    let stats = m.step_until(7200.0).unwrap();
    assert!(stats.substeps > 1000, "{stats:?}");
    let qmax = m
        .qx()
        .iter()
        .chain(m.qy())
        .fold(0.0f64, |a, &q| a.max(q.abs()));
    assert!(qmax < 1e-9, "spurious discharge {qmax} m²/s");
    let mut dlev: f64 = 0.0;
    for r in 0..spec.nrows {
        for c in 0..spec.ncols {
            let i = spec.idx(r, c);
            if blocked.data[i] {
                assert_eq!(m.depth()[i], 0.0);
            } else if depth.data[i] > 0.0 {
                dlev = dlev.max((m.water_level(r, c) - level).abs());
            } else {
                assert_eq!(m.depth()[i], 0.0, "island cell ({r},{c}) got wet");
            }
        }
    }
    assert!(dlev < 1e-10, "water level moved by {dlev} m");
    assert!(m.balance().error().abs() < 1e-9);
}
