//! Determinism: 1 and 2 threads give bit-identical state (depth, discharges, bed, loss
//! state), and so do the wide-SIMD and plain kernels — with and without advection.

use floodrill::hydro::bench::bench_grid;
use floodrill::hydro::{
    Boundary, Edge, EdgeSegment, Horton, HydroConfig, HydroModel, HydroModelF32, Infiltration,
    LossClass, MovingCell, RainField, RainSource, Series,
};
use floodrill::world::Grid;

fn state(threads: usize, wide: bool, f32_state: bool, advection: bool) -> Vec<u8> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (dem, blocked, depth) = bench_grid(150);
        let spec = dem.spec;
        let mut class_of = Grid::filled(spec, 0u16);
        for (i, c) in class_of.data.iter_mut().enumerate() {
            *c = (i % 3 == 0) as u16;
        }
        let classes = vec![
            LossClass {
                drainage_mm_h: 20.0,
                ..LossClass::none("road")
            },
            LossClass {
                name: "park".into(),
                infiltration: Infiltration::Horton(Horton {
                    f0_mm_h: 76.0,
                    fc_mm_h: 6.0,
                    k_per_h: 4.0,
                }),
                impervious_fraction: 0.3,
                drainage_mm_h: 0.0,
            },
        ];
        let rain =
            RainField::uniform(Series::constant(30.0)).with(RainSource::Moving(MovingCell {
                peak_mm_h: 80.0,
                radius_m: 150.0,
                track: vec![(0.0, 0.0, 300.0), (300.0, 750.0, 450.0)],
            }));
        let mut cfg = HydroConfig::default();
        cfg.surface.wide_simd = wide;
        cfg.surface.theta = 0.9;
        cfg.surface.advection = advection;
        let mut out = Vec::new();
        macro_rules! go {
            ($t:ty) => {{
                let mut m = <$t>::builder(&dem)
                    .uniform_manning(0.02)
                    .blocked(&blocked)
                    .initial_depth(&depth)
                    .losses(classes.clone(), &class_of)
                    .rain(rain.clone())
                    .boundary(Boundary::FreeOutflow {
                        segment: EdgeSegment::whole(Edge::East),
                        slope: 0.005,
                        manning: None,
                    })
                    .config(cfg)
                    .build()
                    .unwrap();
                m.step_until(120.0).unwrap();
                m.write_state_bytes(&mut out).unwrap();
                out.extend_from_slice(&m.balance().storage.to_le_bytes());
            }};
        }
        if f32_state {
            go!(HydroModelF32)
        } else {
            go!(HydroModel)
        }
        out
    })
}

#[test]
fn one_and_two_threads_give_identical_state() {
    for advection in [false, true] {
        for f32_state in [false, true] {
            let a = state(1, true, f32_state, advection);
            let b = state(2, true, f32_state, advection);
            assert!(a.len() > 100_000);
            assert!(
                a == b,
                "f32={f32_state} advection={advection}: 1 and 2 threads differ"
            );
        }
    }
}

#[test]
fn wide_simd_and_plain_kernels_give_identical_state() {
    for advection in [false, true] {
        assert!(
            state(2, true, false, advection) == state(2, false, false, advection),
            "advection={advection}"
        );
        assert!(
            state(2, true, true, advection) == state(2, false, true, advection),
            "f32 advection={advection}"
        );
    }
}

#[test]
fn advection_changes_the_state() {
    // Guard against the option silently doing nothing.
    assert!(state(2, true, false, false) != state(2, true, false, true));
}
