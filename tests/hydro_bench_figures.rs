//! Prints surface-flow benchmark figures (ignored by default: timing is measured, never
//! asserted). Run: `cargo test --release --test hydro_bench_figures -- --ignored --nocapture`.
//! `HYDRO_BENCH="256x1,1024x2"` selects sizes×threads; `HYDRO_BENCH_SECS` the model time.

use floodrill::hydro::bench::surface_bench_with;

#[test]
#[ignore]
fn print_surface_bench_figures() {
    let spec = std::env::var("HYDRO_BENCH").unwrap_or_else(|_| "256x1,256x2,1024x1,1024x2".into());
    let secs: f64 = std::env::var("HYDRO_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0);
    let reps: usize = std::env::var("HYDRO_BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let prec = std::env::var("HYDRO_BENCH_PREC").unwrap_or_else(|_| "f64,f32".into());
    for item in spec.split(',') {
        let (n, t) = item.split_once('x').expect("NxT");
        let (n, t): (usize, usize) = (n.parse().unwrap(), t.parse().unwrap());
        for p in prec.split(',') {
            let mut v: Vec<f64> = (0..reps)
                .map(|_| {
                    let r = if p == "f32" {
                        surface_bench_with::<f32>(n, t, secs)
                    } else {
                        surface_bench_with::<f64>(n, t, secs)
                    };
                    r.cell_updates_per_s
                })
                .collect();
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!(
                "size {n:5} threads {t} {p}: median {:8.1} M cell-updates/s (runs: {:?})",
                v[v.len() / 2] / 1e6,
                v.iter()
                    .map(|x| (x / 1e5).round() / 10.0)
                    .collect::<Vec<_>>()
            );
        }
    }
}
