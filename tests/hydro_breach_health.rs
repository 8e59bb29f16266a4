//! Breach: a crest is lowered linearly over the duration and water comes through.
//! Health: an injected NaN triggers a rollback and retry; a persistent one stops the
//! run with an error naming the cell, and the model stays at its last good state.
//! Boundaries: stage and point inflow move water and the balance counts it.

use floodrill::hydro::{Boundary, Breach, Edge, EdgeSegment, HydroError, HydroModel, Series};
use floodrill::world::{Grid, GridSpec};

fn reservoir() -> (Grid<f64>, Grid<f64>) {
    // West half: a 2 m deep reservoir behind a levee (crest 3 m) at column 20.
    let spec = GridSpec {
        ncols: 41,
        nrows: 21,
        xll: 0.0,
        yll: 0.0,
        cell: 5.0,
    };
    let mut dem = Grid::filled(spec, 0.0);
    let mut h = Grid::filled(spec, 0.0);
    for r in 0..21 {
        *dem.get_mut(r, 20) = 3.0;
        for c in 0..20 {
            *h.get_mut(r, c) = 2.0;
        }
    }
    (dem, h)
}

#[test]
fn breach_lowers_the_crest_linearly_and_lets_water_through() {
    let (dem, h) = reservoir();
    let spec = dem.spec;
    let mut m = HydroModel::builder(&dem)
        .initial_depth(&h)
        .uniform_manning(0.03)
        .build()
        .unwrap();
    // Around a point: a disk of cells (the land cells in it are below the target and
    // are left alone).
    let disk = Breach::around_point(&spec, 102.5, 52.5, 20.0, 0.5, 60.0, 120.0);
    assert_eq!(disk.cells.len(), 13, "{:?}", disk.cells);
    // Along the levee: rows 8..=12 of column 20.
    let mut b = Breach::along_line(&spec, (102.5, 42.5), (102.5, 62.5), 4.0, 0.5, 60.0, 120.0);
    assert_eq!(b.cells, (8..=12).map(|r| (r, 20)).collect::<Vec<_>>());
    for k in 0..=48 {
        let t = k as f64 * 5.0;
        b.apply(t, &mut m);
        let want = if t <= 60.0 {
            3.0
        } else if t >= 180.0 {
            0.5
        } else {
            3.0 - 2.5 * (t - 60.0) / 120.0
        };
        let z = m.bed_elevation(10, 20);
        assert!((z - want).abs() < 1e-12, "t {t}: crest {z}, want {want}");
        assert_eq!(m.bed_elevation(2, 20), 3.0);
        m.step_until(t + 5.0).unwrap();
        if t < 110.0 {
            // Crest above the water (2 m) until t = 108 s: nothing passes.
            assert_eq!(m.depth()[spec.idx(10, 25)], 0.0, "t {t}");
        }
    }
    assert!(
        m.depth()[spec.idx(10, 25)] > 0.1,
        "water came through the breach"
    );
    assert!(
        m.balance().relative_error().abs() < 1e-12,
        "{:?}",
        m.balance()
    );
}

#[test]
fn injected_nan_is_rolled_back_then_a_persistent_one_names_the_cell() {
    let (dem, h) = reservoir();
    let mut m = HydroModel::builder(&dem).initial_depth(&h).build().unwrap();
    m.step_until(10.0).unwrap();
    // Once: the sub-step is retried with half the Δt and the run goes on.
    m.debug_inject_nan(7, 4, 1);
    let s = m.step_until(20.0).unwrap();
    assert_eq!(s.retries, 1);
    assert_eq!(m.diagnostics().len(), 1);
    let ev = &m.diagnostics()[0];
    assert_eq!((ev.row, ev.col), (7, 4), "{ev:?}");
    assert!(ev.what.contains("NaN"), "{ev:?}");
    assert!(m.depth().iter().all(|v| v.is_finite()));
    // Persistently: after max_retries the run stops, naming the cell, time and values.
    let before: Vec<f64> = m.depth().to_vec();
    m.debug_inject_nan(3, 11, 100);
    let e = m.step_until(30.0).unwrap_err();
    match &e {
        HydroError::Numerical {
            row,
            col,
            x,
            y,
            t,
            attempts,
            what,
            ..
        } => {
            assert_eq!((*row, *col), (3, 11));
            assert_eq!((*x, *y), (57.5, 87.5));
            assert_eq!(*t, 20.0);
            assert_eq!(*attempts, 4);
            assert!(what.contains("NaN") && what.contains("depth"), "{what}");
        }
        other => panic!("unexpected error {other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("row 3, col 11") && msg.contains("x = 57.5 m"),
        "{msg}"
    );
    assert_eq!(m.time(), 20.0);
    assert_eq!(
        m.depth(),
        &before[..],
        "the failed step must not be committed"
    );
}

#[test]
fn stage_and_point_inflow_boundaries_move_water_and_balance_counts_it() {
    let spec = GridSpec {
        ncols: 30,
        nrows: 10,
        xll: 0.0,
        yll: 0.0,
        cell: 10.0,
    };
    let mut dem = Grid::filled(spec, 0.0);
    for r in 0..10 {
        for c in 0..30 {
            *dem.get_mut(r, c) = 0.01 * c as f64;
        }
    }
    let mut m = HydroModel::builder(&dem)
        .uniform_manning(0.03)
        .boundary(Boundary::Stage {
            segment: EdgeSegment::whole(Edge::West),
            level_m: Series::constant(0.5),
        })
        .boundary(Boundary::PointInflow {
            x: 255.0,
            y: 55.0,
            q_m3_s: Series::constant(0.2),
        })
        .boundary(Boundary::FreeOutflow {
            segment: EdgeSegment {
                edge: Edge::North,
                from: 100.0,
                to: 200.0,
            },
            slope: 0.01,
            manning: None,
        })
        .build()
        .unwrap();
    m.step_until(1800.0).unwrap();
    let f = m.boundary_flows();
    assert!(f[0].inflow_m3 > 100.0, "{f:?}");
    assert!((f[1].inflow_m3 - 0.2 * 1800.0).abs() < 1e-9, "{f:?}");
    assert!(f[2].outflow_m3 > 0.0 && f[2].inflow_m3 == 0.0, "{f:?}");
    // The stage fills the low west end towards 0.5 m.
    let lvl = m.water_level(5, 0);
    assert!((lvl - 0.5).abs() < 0.05, "level {lvl}");
    assert!(
        m.balance().relative_error().abs() < 1e-12,
        "{:?}",
        m.balance()
    );
}
