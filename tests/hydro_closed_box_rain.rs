//! Closed box rain: uniform rain on a flat closed box raises the depth by exactly
//! rain × t; on bumpy terrain with buildings, infiltration, drainage, pumping and
//! varying rain the water balance closes to round-off (DOMAIN.md §2).

use floodrill::hydro::{
    Horton, HydroConfig, HydroModel, Infiltration, Interp, LossClass, RainField, Scs, Series,
};
use floodrill::world::{Grid, GridSpec};

#[test]
fn uniform_rain_on_flat_box_raises_depth_by_rain_times_t() {
    let spec = GridSpec {
        ncols: 30,
        nrows: 20,
        xll: 0.0,
        yll: 0.0,
        cell: 2.0,
    };
    let dem = Grid::filled(spec, 12.5);
    // 0 → 72 mm/h linearly over an hour: 36 mm.
    let rain = Series::new(&[(0.0, 0.0), (3600.0, 72.0)], Interp::Linear).unwrap();
    let mut m = HydroModel::builder(&dem)
        .rain(RainField::uniform(rain))
        .build()
        .unwrap();
    for k in 1..=720 {
        m.step_until(k as f64 * 5.0).unwrap();
    }
    let want = 0.036;
    for &h in m.depth() {
        assert!((h - want).abs() < 1e-13, "depth {h}, want {want}");
    }
    let b = m.balance();
    assert!((b.rain - want * 600.0 * 4.0).abs() < 1e-9, "{b:?}");
    assert!(b.relative_error().abs() < 1e-13, "{b:?}");
    assert!(m.qx().iter().chain(m.qy()).all(|&q| q == 0.0));
}

#[test]
fn water_balance_closes_on_bumpy_terrain_with_losses() {
    bumpy(false);
}

#[test]
fn water_balance_closes_with_advection() {
    bumpy(true);
}

fn bumpy(advection: bool) {
    let spec = GridSpec {
        ncols: 50,
        nrows: 40,
        xll: 0.0,
        yll: 0.0,
        cell: 5.0,
    };
    let mut dem = Grid::filled(spec, 0.0);
    let mut class_of = Grid::filled(spec, 0u16);
    let mut blocked = Grid::filled(spec, false);
    for r in 0..spec.nrows {
        for c in 0..spec.ncols {
            let (x, y) = (c as f64, r as f64);
            *dem.get_mut(r, c) = 3.0 + 0.02 * x + 0.4 * (x * 0.3).sin() * (y * 0.25).cos();
            *class_of.get_mut(r, c) = ((r / 10 + c / 10) % 4) as u16;
            *blocked.get_mut(r, c) = r % 13 == 5 && c % 11 < 4;
        }
    }
    let classes = vec![
        LossClass::none("road"),
        LossClass {
            name: "park".into(),
            infiltration: Infiltration::Horton(Horton {
                f0_mm_h: 76.0,
                fc_mm_h: 6.0,
                k_per_h: 4.0,
            }),
            impervious_fraction: 0.2,
            drainage_mm_h: 0.0,
        },
        LossClass {
            name: "residential".into(),
            infiltration: Infiltration::Scs(Scs {
                curve_number: 85.0,
                ia_ratio: 0.2,
            }),
            impervious_fraction: 0.5,
            drainage_mm_h: 15.0,
        },
        LossClass {
            name: "paved".into(),
            infiltration: Infiltration::None,
            impervious_fraction: 1.0,
            drainage_mm_h: 30.0,
        },
    ];
    let rain = Series::new(
        &[(0.0, 20.0), (600.0, 120.0), (1800.0, 5.0), (2400.0, 0.0)],
        Interp::Linear,
    )
    .unwrap();
    let mut cfg = HydroConfig::default();
    cfg.surface.advection = advection;
    let mut m = HydroModel::builder(&dem)
        .manning(&Grid::filled(spec, 0.025))
        .blocked(&blocked)
        .losses(classes, &class_of)
        .rain(RainField::uniform(rain))
        .config(cfg)
        .build()
        .unwrap();
    for k in 1..=60 {
        m.step_until(k as f64 * 60.0).unwrap();
        if k == 30 {
            let removed = m.remove_water(&[(5, 5), (5, 6), (30, 45)], 2.0);
            assert!(removed > 0.0);
        }
    }
    let b = *m.balance();
    assert!(
        b.infiltration > 0.01 * b.rain && b.drained > 0.01 * b.rain && b.pumped > 0.0,
        "{b:?}"
    );
    assert!(
        b.relative_error().abs() < 1e-12,
        "balance does not close: {b:?}"
    );
    assert!(m.depth().iter().all(|&h| h >= 0.0));
}
