//! Infiltration: Horton capacity decays as the cumulative form says, SCS runoff matches
//! the hand formula, only the pervious fraction infiltrates, and losses never take more
//! water than is there.

use floodrill::hydro::{
    Horton, HydroModel, Infiltration, LossClass, MM_PER_H, RainField, Scs, Series,
};
use floodrill::world::{Grid, GridSpec};

fn flat(spec: GridSpec) -> Grid<f64> {
    Grid::filled(spec, 1.0)
}

#[test]
fn horton_under_ponding_follows_the_decay_curve() {
    let spec = GridSpec {
        ncols: 4,
        nrows: 3,
        xll: 0.0,
        yll: 0.0,
        cell: 10.0,
    };
    let h = Horton {
        f0_mm_h: 76.0,
        fc_mm_h: 6.0,
        k_per_h: 4.0,
    };
    let class = LossClass {
        name: "soil".into(),
        infiltration: Infiltration::Horton(h),
        impervious_fraction: 0.0,
        drainage_mm_h: 0.0,
    };
    // Deep ponding: capacity-limited infiltration for 1 h.
    let mut m = HydroModel::builder(&flat(spec))
        .initial_depth(&Grid::filled(spec, 0.5))
        .losses(vec![class.clone()], &Grid::filled(spec, 0u16))
        .build()
        .unwrap();
    for k in 1..=12 {
        m.step_until(300.0 * k as f64).unwrap();
        let t_h = k as f64 / 12.0;
        let want_mm = h.cumulative_at_time(t_h);
        let got_mm = (0.5 - m.depth()[0]) * 1000.0;
        assert!(
            (got_mm - want_mm).abs() < 0.01 * want_mm + 0.05,
            "t {t_h} h: {got_mm} mm vs {want_mm}"
        );
    }
    // Half impervious: half the infiltration.
    let mut half = class;
    half.impervious_fraction = 0.5;
    let mut m2 = HydroModel::builder(&flat(spec))
        .initial_depth(&Grid::filled(spec, 0.5))
        .losses(vec![half], &Grid::filled(spec, 0u16))
        .build()
        .unwrap();
    m2.step_until(1800.0).unwrap();
    let want = 0.5 * h.cumulative_at_time(0.5);
    let got = (0.5 - m2.depth()[0]) * 1000.0;
    assert!((got - want).abs() < 0.01 * want, "{got} vs {want}");
    // Intermittent supply: a soil that got little water keeps a high capacity (the
    // cumulative form), unlike the time form which would have decayed regardless.
    let mut m3 = HydroModel::builder(&flat(spec))
        .losses(
            vec![LossClass {
                impervious_fraction: 0.0,
                ..m2.losses().unwrap().classes()[0].clone()
            }],
            &Grid::filled(spec, 0u16),
        )
        .build()
        .unwrap();
    m3.step_until(3600.0).unwrap(); // dry hour: nothing infiltrates
    for r in 0..3 {
        for c in 0..4 {
            m3.set_depth(r, c, 0.2).unwrap();
        }
    }
    m3.step_until(3900.0).unwrap();
    let got = (0.2 - m3.depth()[0]) * 1000.0;
    let want = h.cumulative_at_time(300.0 / 3600.0);
    assert!((got - want).abs() < 0.02 * want, "{got} vs {want}");
}

#[test]
fn scs_runoff_matches_hand_computation_and_losses_never_exceed_water() {
    let spec = GridSpec {
        ncols: 3,
        nrows: 3,
        xll: 0.0,
        yll: 0.0,
        cell: 10.0,
    };
    let scs = Scs {
        curve_number: 80.0,
        ia_ratio: 0.2,
    };
    let class = LossClass {
        name: "lawn".into(),
        infiltration: Infiltration::Scs(scs),
        impervious_fraction: 0.0,
        drainage_mm_h: 0.0,
    };
    // 50 mm in 1 h on a flat closed box: runoff = depth left on the surface.
    let mut m = HydroModel::builder(&flat(spec))
        .losses(vec![class], &Grid::filled(spec, 0u16))
        .rain(RainField::uniform(Series::constant(50.0)))
        .build()
        .unwrap();
    m.step_until(3600.0).unwrap();
    // S = 63.5 mm, Ia = 12.7 mm, Q = 37.3² / (37.3 + 63.5) = 13.8025 mm.
    let q_hand = 37.3f64 * 37.3 / (37.3 + 63.5);
    let got = m.depth()[4] * 1000.0;
    assert!((got - q_hand).abs() < 1e-6, "{got} mm vs {q_hand}");
    assert!(m.balance().relative_error().abs() < 1e-12);
    // Drainage capacity far above the rain: the surface stays dry, never negative, and
    // only the rain that fell is drained.
    let drain = LossClass {
        drainage_mm_h: 500.0,
        ..LossClass::none("street")
    };
    let mut m = HydroModel::builder(&flat(spec))
        .losses(vec![drain], &Grid::filled(spec, 0u16))
        .rain(RainField::uniform(Series::constant(20.0)))
        .build()
        .unwrap();
    m.step_until(600.0).unwrap();
    assert!(m.depth().iter().all(|&h| h == 0.0));
    let rain = 20.0 * MM_PER_H * 600.0 * 900.0;
    assert!(
        (m.balance().drained - rain).abs() < 1e-9,
        "{:?}",
        m.balance()
    );
}
