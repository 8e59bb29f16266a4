//! Determinism of a coupled run: a street sewer network of more than 512 links (so the
//! router solves its links and nodes in parallel) under a wet, rained-on grid gives
//! bit-identical surface and network state on 1 and 2 threads, and its water balance
//! closes.

use floodrill::hydro::bench::{bench_grid, bench_network_inp};
use floodrill::hydro::drainage::{CouplingParams, DualDrainage, parse_inp};
use floodrill::hydro::{HydroModel, RainField, Series};

fn run(threads: usize) -> (Vec<u8>, f64, f64, usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let size = 256;
        let (dem, blocked, depth) = bench_grid(size);
        let spec = dem.spec;
        let net = parse_inp(&bench_network_inp(size), "bench.inp").expect("bench network reads");
        let links = net.links.len();
        let dd = DualDrainage::new(
            &net,
            CouplingParams::default(),
            |x, y| spec.cell_at(x, y).map(|(r, c)| spec.idx(r, c)),
            |_| None,
        );
        let mut m = HydroModel::builder(&dem)
            .uniform_manning(0.02)
            .blocked(&blocked)
            .initial_depth(&depth)
            .rain(RainField::uniform(Series::constant(60.0)))
            .drainage(dd)
            .build()
            .expect("model builds");
        let mut out = Vec::new();
        for k in 1..=4 {
            m.step_until(15.0 * k as f64).expect("steps");
            m.write_state_bytes(&mut out).unwrap();
        }
        let b = *m.balance();
        let rain = b.rain;
        let taken = m.drainage().map_or(0.0, |d| d.router.totals.exchange_in);
        (out, b.error() / rain.max(1e-9), taken, links)
    })
}

#[test]
fn a_coupled_run_is_bit_identical_on_one_and_two_threads() {
    let (a, err, taken, links) = run(1);
    let (b, _, _, _) = run(2);
    assert!(
        links >= 512,
        "the network has {links} links; the parallel path needs 512"
    );
    assert!(taken > 100.0, "the inlets took only {taken} m³");
    assert!(err.abs() <= 1e-9, "balance error {err:e} of the rain");
    assert!(a == b, "1 and 2 threads differ");
}
