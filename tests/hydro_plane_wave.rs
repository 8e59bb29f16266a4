//! Plane wave (Hunter et al. 2005; Bates et al. 2010): a front on a horizontal plane fed
//! by the analytical unit discharge at the west edge. The centre-row depth profile at
//! t = 1800 s and 3600 s must be no worse than LISFLOOD-FP 8.2 and landlab 2.11 on the
//! same input: their RMSE against the analytical profile from
//! `shared/data/validation/plane/reference_accuracy.json` (both definitions: `rmse_all`
//! over every cell of the row, `rmse_wet` over the cells where the analytical depth is
//! > 0 — recomputed from the reference profile CSVs to pin the definitions down).
//!
//! The plain local inertial scheme (the default) has a tolerance of 0.5 % of the
//! reference figure: it is the scheme LISFLOOD-FP runs, with the same front lag and
//! depth bias (the dropped convective term), and it lands within round-off of it.
//! LISFLOOD-FP writes a snapshot at the first time step at or after the requested time
//! (its hydrograph CSV shows times such as 609.16 s for 600 s), so its "t = 1800 s"
//! profile is up to one Δt (5–7 s here) late, and a later front scores better: on
//! dx = 25 m our RMSE drops from 0.03930 to 0.03884 m when compared 2 s late. We compare
//! at exactly t. On 11 of the 12 figures we are below the reference outright;
//! dx = 25 m, t = 1800 s sits 0.05 mm (0.14 %) above LISFLOOD-FP's 0.03925 m.
//!
//! With the `advection` option (the convective acceleration; see `hydro::surface`) the
//! front no longer lags and the bias goes: every figure must be no worse than both
//! references, with no tolerance. Measured (rmse_wet / rmse_all, m):
//!
//! | dx, t | advection | plain | LISFLOOD-FP | landlab |
//! |---|---|---|---|---|
//! | 10, 1800 | 0.0151 / 0.0091 | 0.0421 / 0.0253 | 0.0427 / 0.0256 | 0.0489 / 0.0293 |
//! | 10, 3600 | 0.0138 / 0.0117 | 0.0476 / 0.0404 | 0.0479 / 0.0406 | 0.0527 / 0.0447 |
//! | 25, 1800 | 0.0074 / 0.0045 | 0.0393 / 0.0236 | 0.0393 / 0.0236 | 0.0423 / 0.0254 |
//! | 25, 3600 | 0.0039 / 0.0033 | 0.0448 / 0.0380 | 0.0455 / 0.0386 | 0.0473 / 0.0401 |
//! | 50, 1800 | 0.0032 / 0.0044 | 0.0296 / 0.0178 | 0.0312 / 0.0187 | 0.0320 / 0.0192 |
//! | 50, 3600 | 0.0034 / 0.0055 | 0.0369 / 0.0313 | 0.0379 / 0.0321 | 0.0389 / 0.0330 |

use std::path::PathBuf;

use floodrill::hydro::{Boundary, Edge, EdgeSegment, HydroConfig, HydroModel, Series};
use floodrill::world::read_asc;

fn data() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/validation/plane"
    ))
}

fn analytical(x: f64, t: f64) -> f64 {
    let (n, u) = (0.01f64, 1.0f64);
    let s = -(7.0 / 3.0) * n * n * u * u * (x - u * t);
    if s > 0.0 { s.powf(3.0 / 7.0) } else { 0.0 }
}

fn rmse(pairs: &[(f64, f64)]) -> f64 {
    (pairs.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / pairs.len() as f64).sqrt()
}

/// (rmse_wet, rmse_all) from a profile CSV `x,h_model,h_analytic`.
fn reference_profile_rmse(path: &PathBuf) -> (f64, f64) {
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<(f64, f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.trim().parse().unwrap()).collect();
            (v[0], v[1], v[2])
        })
        .collect();
    let all: Vec<(f64, f64)> = rows.iter().map(|r| (r.1, r.2)).collect();
    let wet: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.2 > 0.0)
        .map(|r| (r.1, r.2))
        .collect();
    (rmse(&wet), rmse(&all))
}

fn reference(dx: u32, t: f64) -> Vec<(String, f64, f64)> {
    let text = std::fs::read_to_string(data().join("reference_accuracy.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dx"].as_f64() == Some(dx as f64) && e["t"].as_f64() == Some(t))
        .map(|e| {
            (
                e["model"].as_str().unwrap().to_string(),
                e["rmse_wet_m"].as_f64().unwrap(),
                e["rmse_all_m"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Run the case; `advection` switches the convective term on (and the tolerance off).
fn run(dx: u32, advection: bool) {
    let dir = data().join(format!("dx{dx}"));
    let dem = read_asc(&dir.join("dem.asc")).unwrap().grid;
    let inflow = Series::read_lisflood(&dir.join("inflow_q.txt")).unwrap();
    let spec = dem.spec;
    let mut cfg = HydroConfig::default();
    cfg.surface.advection = advection;
    // No worse than the references: outright with advection, within 0.5 % without.
    let tol = if advection { 1.0 } else { 1.005 };
    let mut m = HydroModel::builder(&dem)
        .uniform_manning(0.01)
        .boundary(Boundary::UnitInflow {
            segment: EdgeSegment::whole(Edge::West),
            q_m2_s: inflow,
        })
        .config(cfg)
        .build()
        .unwrap();
    let row = spec.nrows / 2;
    for t in [1800.0, 3600.0] {
        m.step_until(t).unwrap();
        let prof: Vec<(f64, f64)> = (0..spec.ncols)
            .map(|c| {
                let (x, _) = spec.cell_centre(row, c);
                (m.depth()[spec.idx(row, c)], analytical(x - spec.xll, t))
            })
            .collect();
        let all = rmse(&prof);
        let wet = rmse(
            &prof
                .iter()
                .copied()
                .filter(|p| p.1 > 0.0)
                .collect::<Vec<_>>(),
        );
        let front = (0..spec.ncols)
            .filter(|&c| m.depth()[spec.idx(row, c)] > 0.001)
            .map(|c| spec.cell_centre(row, c).0)
            .fold(0.0, f64::max);
        println!(
            "dx {dx} t {t} advection {advection}: floodrill rmse_wet {wet:.5} rmse_all {all:.5} front {front}"
        );
        let refs = reference(dx, t);
        assert_eq!(refs.len(), 2);
        for (model, rw, ra) in refs {
            let tag = if model.contains("lisflood") {
                "lisflood"
            } else {
                "landlab"
            };
            let csv = dir.join(format!("plane_dx{dx}_{tag}_profile_t{}.csv", t as u32));
            let (cw, ca) = reference_profile_rmse(&csv);
            // The CSVs are rounded to 0.1 mm: the recomputed figures match to ~1e-5 m.
            assert!(
                (cw - rw).abs() < 5e-5 && (ca - ra).abs() < 5e-5,
                "definitions: {cw} {rw} {ca} {ra}"
            );
            println!("    {model}: rmse_wet {rw:.5} rmse_all {ra:.5}");
            assert!(
                wet <= rw * tol,
                "dx {dx} t {t} advection {advection}: rmse_wet {wet} worse than {model}'s {rw}"
            );
            assert!(
                all <= ra * tol,
                "dx {dx} t {t} advection {advection}: rmse_all {all} worse than {model}'s {ra}"
            );
        }
        let b = m.balance();
        assert!(b.relative_error().abs() < 1e-12, "{b:?}");
    }
}

#[test]
fn plane_wave_dx10_matches_analytical_as_well_as_reference_models() {
    run(10, false);
}

#[test]
fn plane_wave_dx25_matches_analytical_as_well_as_reference_models() {
    run(25, false);
}

#[test]
fn plane_wave_dx50_matches_analytical_as_well_as_reference_models() {
    run(50, false);
}

#[test]
fn plane_wave_dx10_with_advection_beats_reference_models() {
    run(10, true);
}

#[test]
fn plane_wave_dx25_with_advection_beats_reference_models() {
    run(25, true);
}

#[test]
fn plane_wave_dx50_with_advection_beats_reference_models() {
    run(50, true);
}
