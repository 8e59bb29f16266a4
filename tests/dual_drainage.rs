//! Dual drainage: rain on a street drains into an inlet, through a pipe and out of an
//! outfall with one water balance; a pipe fed beyond its capacity lifts a manhole lid
//! and floods the street, and the street water goes back down when the inflow falls.

use floodrill::hydro::drainage::{CouplingParams, DualDrainage, parse_inp};
use floodrill::hydro::{HydroModel, Interp, RainField, Series};
use floodrill::world::{Grid, GridSpec};

/// A 100 m × 30 m street of 5 m cells falling 2 % towards a low point at (52.5, 17.5).
fn street() -> (GridSpec, Grid<f64>) {
    let spec = GridSpec {
        ncols: 20,
        nrows: 6,
        xll: 0.0,
        yll: 0.0,
        cell: 5.0,
    };
    let mut dem = Grid::filled(spec, 0.0);
    for r in 0..spec.nrows {
        for c in 0..spec.ncols {
            let (x, y) = spec.cell_centre(r, c);
            *dem.get_mut(r, c) = 10.0 + 0.02 * (x - 52.5).abs() + 0.02 * (y - 17.5).abs();
        }
    }
    (spec, dem)
}

const OPTIONS: &str = "[OPTIONS]\nFLOW_UNITS CMS\nFLOW_ROUTING DYNWAVE\nROUTING_STEP 0:00:02\n\
                       END_TIME 04:00:00\n";

fn coupled(spec: GridSpec, inp: &str) -> DualDrainage {
    let net = parse_inp(inp, "street.inp").expect("the test network reads");
    DualDrainage::new(
        &net,
        CouplingParams::default(),
        |x, y| spec.cell_at(x, y).map(|(r, c)| spec.idx(r, c)),
        |_| None,
    )
}

#[test]
fn rain_on_a_street_drains_through_the_inlet_and_the_pipe_with_one_balance() {
    let (spec, dem) = street();
    let inp = format!(
        "{OPTIONS}
[JUNCTIONS]
J1 8.0 2.0 0 0 0
[OUTFALLS]
O1 7.0 FREE NO
[CONDUITS]
P1 J1 O1 100 0.013 0 0 0 0
[XSECTIONS]
P1 CIRCULAR 0.3 0 0 0 1
[COORDINATES]
J1 52.5 17.5
O1 250 17.5
"
    );
    let dd = coupled(spec, &inp);
    assert_eq!(dd.inlets.len(), 1, "J1 is under the street");
    assert!(
        dd.outfalls.is_empty(),
        "O1 is off the grid: it leaves the model"
    );
    let rain = RainField::uniform(
        Series::new(
            &[(0.0, 60.0), (1800.0, 60.0), (1800.001, 0.0)],
            Interp::Linear,
        )
        .expect("a series"),
    );
    let mut m = HydroModel::builder(&dem)
        .uniform_manning(0.015)
        .rain(rain)
        .drainage(dd)
        .build()
        .expect("builds");
    for k in 1..=24 {
        m.step_until(k as f64 * 600.0).expect("steps");
        let b = m.balance();
        assert!(
            b.relative_error().abs() <= 1e-9,
            "t = {} s: the surface + network balance is off by {:e} of the rain",
            b.t,
            b.relative_error()
        );
    }
    let b = *m.balance();
    let rain_m3 = 3000.0 * 0.060 * 0.5;
    assert!((b.rain - rain_m3).abs() < 1e-6 * rain_m3, "rain {}", b.rain);
    assert!(
        b.to_network > 0.9 * b.rain,
        "the inlet took {} of {} m³",
        b.to_network,
        b.rain
    );
    assert!(
        b.network_outflow > 0.85 * b.rain,
        "the outfall passed {} of {} m³",
        b.network_outflow,
        b.rain
    );
    assert_eq!(b.from_network, 0.0, "a free pipe never floods the street");
    let dd = m.drainage().expect("the network");
    let c = dd.router.totals;
    assert!(
        c.error().abs() < 1e-12,
        "network continuity {:e}",
        c.error()
    );
    assert!((c.exchange_in - b.to_network).abs() < 1e-9 * b.rain);
}

#[test]
fn a_pipe_fed_beyond_its_capacity_lifts_the_lid_and_the_street_water_returns() {
    let (spec, dem) = street();
    // An upstream pipe brings 0.25 m³/s for 20 min into J1 (ground 10.0 m), whose
    // outlet pipe carries about 0.1 m³/s full: J1 surcharges and floods the street.
    let inp = format!(
        "{OPTIONS}
[JUNCTIONS]
J0 8.5 2.0 0 0 0
J1 8.0 2.0 0 0 0
[OUTFALLS]
O1 7.8 FREE NO
[CONDUITS]
P0 J0 J1 50 0.013 0 0 0 0
P1 J1 O1 100 0.013 0 0 0 0
[XSECTIONS]
P0 CIRCULAR 0.6 0 0 0 1
P1 CIRCULAR 0.3 0 0 0 1
[INFLOWS]
J0 FLOW TS_IN FLOW 1.0 1.0
[TIMESERIES]
TS_IN 0:00 0.0
TS_IN 0:05 0.25
TS_IN 0:25 0.25
TS_IN 0:30 0.0
[COORDINATES]
J0 2000 17.5
J1 52.5 17.5
O1 250 17.5
"
    );
    let dd = coupled(spec, &inp);
    assert_eq!(dd.inlets.len(), 1, "only J1 is under the street");
    let cell = dd.inlets[0].cell;
    let mut m = HydroModel::builder(&dem)
        .uniform_manning(0.015)
        .drainage(dd)
        .build()
        .expect("builds");
    let (r, c) = (cell / spec.ncols, cell % spec.ncols);
    let mut peak_street: f64 = 0.0;
    let mut peak_head: f64 = 0.0;
    for k in 1..=18 {
        m.step_until(k as f64 * 300.0).expect("steps");
        peak_street = peak_street.max(m.depth_grid_at(r, c));
        let d = m.drainage().expect("network");
        let j1 = d.network().node_index("J1").expect("J1");
        peak_head = peak_head.max(d.router.head(j1));
        assert!(m.balance().relative_error().abs() <= 1e-9);
    }
    let b = *m.balance();
    assert!(
        peak_head > 10.0,
        "J1's head peaked at {peak_head} m: it never passed the ground (10.0 m)"
    );
    assert!(
        b.from_network > 10.0,
        "only {} m³ came out of the manhole",
        b.from_network
    );
    assert!(
        peak_street > 0.02,
        "the street over J1 peaked at {peak_street} m"
    );
    assert!(
        b.to_network > 0.9 * b.from_network,
        "of the {} m³ that came up, only {} m³ went back down",
        b.from_network,
        b.to_network
    );
    let left: f64 = m.depth().iter().map(|h| h * 25.0).sum();
    assert!(
        left < 0.1 * b.from_network,
        "{left} m³ still on the street after 1 h 30 min (came up: {})",
        b.from_network
    );
    assert!(
        b.network_inflow > 200.0,
        "the upstream inflow {}",
        b.network_inflow
    );
}

/// A pump truck's hose reaches a wet well whose station has failed: the street above it
/// is dry, so the truck pumps the well itself — the network's books and the one water
/// balance both count what it took.
#[test]
fn a_mobile_pump_takes_from_the_wet_well_when_the_street_is_dry() {
    let (spec, dem) = street();
    // A wet well (storage, 20 m² × 3 m) fed 0.02 m³/s and no way out: its pump is down.
    let inp = format!(
        "{OPTIONS}
[STORAGE]
WW 6.0 3.0 0 FUNCTIONAL 0 0 20 0 0
[JUNCTIONS]
J0 7.0 3.0 0 0 0
[CONDUITS]
P0 J0 WW 50 0.013 0 0 0 0
[XSECTIONS]
P0 CIRCULAR 0.4 0 0 0 1
[INFLOWS]
J0 FLOW \"\" FLOW 1.0 1.0 0.02
[COORDINATES]
J0 2000 17.5
WW 52.5 17.5
"
    );
    let dd = coupled(spec, &inp);
    assert_eq!(dd.inlets.len(), 1, "the wet well is under the street");
    let cell = dd.inlets[0].cell;
    let mut m = HydroModel::builder(&dem)
        .uniform_manning(0.015)
        .drainage(dd)
        .build()
        .expect("builds");
    m.step_until(1200.0).expect("fills");
    let ww = m.drainage().unwrap().network().node_index("WW").unwrap();
    let held = m.drainage().unwrap().router.volume[ww];
    assert!(held > 15.0, "the wet well holds {held} m³ after 20 min");
    let (r, c) = (cell / spec.ncols, cell % spec.ncols);
    assert_eq!(m.depth_grid_at(r, c), 0.0, "the street over it is dry");
    // The street gives nothing; the well gives what is asked of it, never more than it
    // holds.
    assert_eq!(m.remove_water(&[(r, c)], 10.0), 0.0);
    let got = m.remove_network_water(&[(r, c)], 10.0);
    assert!((got - 10.0).abs() < 1e-9, "pumped {got} of 10 m³");
    let d = m.drainage().unwrap();
    assert!((d.router.volume[ww] - (held - 10.0)).abs() < 1e-9);
    assert!((d.router.totals.pumped - 10.0).abs() < 1e-12);
    let all = m.remove_network_water(&[(r, c)], 1e6);
    assert!((all - (held - 10.0)).abs() < 1e-9, "the rest: {all}");
    assert_eq!(m.drainage().unwrap().router.volume[ww], 0.0);
    // Cells with no node under them give nothing.
    assert_eq!(m.remove_network_water(&[(0, 0)], 5.0), 0.0);
    m.step_until(1800.0).expect("goes on");
    let b = *m.balance();
    assert!(
        b.relative_error().abs() <= 1e-9,
        "balance off by {:e}",
        b.relative_error()
    );
    assert!(
        (b.pumped - held).abs() < 1e-9,
        "pumped {} of {held}",
        b.pumped
    );
    let c = m.drainage().unwrap().router.totals;
    assert!(
        c.error().abs() < 1e-12,
        "network continuity {:e}",
        c.error()
    );
}
