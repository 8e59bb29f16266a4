//! Surface-flow benchmark (criterion): one engine tick (5 s of model time) on the wet
//! urban benchmark grid at 256² and 1024², on the global rayon pool (set
//! `RAYON_NUM_THREADS` to choose the thread count). Before the criterion groups it prints
//! `floodrill::hydro::surface_bench` figures (cell-updates per second) for 1 and 2
//! threads.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use floodrill::hydro::bench::bench_model;
use floodrill::hydro::surface_bench;

fn surface(c: &mut Criterion) {
    for size in [256usize, 1024] {
        for threads in [1usize, 2] {
            let r = surface_bench(size, threads, if size > 512 { 10.0 } else { 60.0 });
            println!(
                "surface_bench size {size} threads {threads}: cell_updates_per_s {:.3e} ({} sub-steps, mean dt {:.3} s)",
                r.cell_updates_per_s, r.substeps, r.mean_dt
            );
        }
        let mut g = c.benchmark_group(format!("surface_{size}"));
        g.sample_size(10);
        let mut m = bench_model::<f64>(size);
        m.step_until(5.0).unwrap();
        g.bench_function("tick_5s", |b| {
            b.iter(|| {
                let t = m.time() + 5.0;
                black_box(m.step_until(t).unwrap())
            })
        });
        g.finish();
    }
}

criterion_group!(benches, surface);
criterion_main!(benches);
