//! Water outputs of a run: maximum rasters, depth rasters at requested times, probe
//! series and the water balance, written into the run's output folder.
//!
//! Files (ESRI ASCII grids in the DEM's georeferencing, with a `NODATA_value -9999`
//! header line; CSV with a header line):
//! `max_depth.asc` (m), `max_velocity.asc` (m/s), `max_hazard.asc` (d·(v+0.5), m²/s),
//! `time_first_flooded.asc` (s since start when the depth first exceeded 0.15 m,
//! −9999 never), `depth_<t>.asc` (e.g. `depth_1h30m.asc`), `probes.csv` (one row per
//! `series_interval`: time and each probe's depth and speed), `boundaries.csv` (one
//! row per `series_interval`: each boundary's mean inflow and outflow over the
//! interval, m³/s), `water_balance.csv` (cumulative volumes per `series_interval`).

use std::fmt::Write as _;
use std::path::Path;

use super::ReportError;
use crate::hydro::{AnyModel, WaterBalance};
use crate::scenario::format_duration;
use crate::world::{Grid, write_asc};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    ReportError::io(path)
}

fn raster_err(path: &Path, e: crate::world::RasterError) -> ReportError {
    ReportError::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The no-data value of every written grid (named in its header, as GIS readers expect).
pub const NODATA: f64 = -9999.0;

/// Indices of the samples (times `ts`, increasing) that close a `every`-second
/// interval, and the last sample whatever its time (a run cut short).
pub fn on_interval(ts: &[f64], every: f64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut before = 0.0f64;
    for (k, &t) in ts.iter().enumerate() {
        let crossed = every > 0.0 && (t / every + 1e-9).floor() > (before / every + 1e-9).floor();
        if crossed || k + 1 == ts.len() || every <= 0.0 {
            out.push(k);
        }
        before = t;
    }
    out
}

/// Write `boundaries.csv`: per boundary (named by `names`, in the model's order), the
/// mean inflow and outflow over each `every`-second interval, m³/s.
pub fn write_boundaries(
    dir: &Path,
    model: &AnyModel,
    names: &[String],
    every: f64,
) -> Result<(), ReportError> {
    let samples = model.flow_samples();
    if samples.is_empty() {
        return Ok(());
    }
    let mut s = String::from("time_s");
    for k in 0..samples[0].volumes.len() {
        let name = names
            .get(k)
            .cloned()
            .unwrap_or_else(|| format!("b{}", k + 1));
        let _ = write!(s, ",{name}_in_m3_s,{name}_out_m3_s");
    }
    s.push('\n');
    let ts: Vec<f64> = samples.iter().map(|x| x.t).collect();
    let (mut t0, mut v0): (f64, Vec<(f64, f64)>) =
        (0.0, vec![(0.0, 0.0); samples[0].volumes.len()]);
    for k in on_interval(&ts, every) {
        let smp = &samples[k];
        let dt = smp.t - t0;
        if dt <= 0.0 {
            continue;
        }
        let _ = write!(s, "{}", smp.t);
        for (v, p) in smp.volumes.iter().zip(&v0) {
            let _ = write!(s, ",{:.6},{:.6}", (v.0 - p.0) / dt, (v.1 - p.1) / dt);
        }
        s.push('\n');
        t0 = smp.t;
        v0.clone_from(&smp.volumes);
    }
    write_text(&dir.join("boundaries.csv"), &s)
}

/// Write text through a temporary file and a rename.
pub fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, text).map_err(io(path))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// The file name of the depth raster at sim time `t`.
pub fn depth_file_name(t: f64) -> String {
    format!("depth_{}.asc", format_duration(t))
}

/// Write a depth grid taken at sim time `t` as `depth_<t>.asc`.
pub fn write_depth(dir: &Path, depth: &Grid<f64>, t: f64) -> Result<(), ReportError> {
    let path = dir.join(depth_file_name(t));
    write_asc(&path, depth, Some(NODATA), 4).map_err(|e| raster_err(&path, e))
}

/// Write the maximum rasters.
pub fn write_max_rasters(dir: &Path, model: &AnyModel) -> Result<(), ReportError> {
    let out = model.outputs();
    for (name, grid) in [
        ("max_depth.asc", out.max_depth_grid()),
        ("max_velocity.asc", out.max_speed_grid()),
        ("max_hazard.asc", out.max_hazard_grid()),
        ("time_first_flooded.asc", out.first_flooded_grid(NODATA)),
    ] {
        let path = dir.join(name);
        write_asc(&path, &grid, Some(NODATA), 4).map_err(|e| raster_err(&path, e))?;
    }
    Ok(())
}

/// Write `probes.csv`: `time_s` then `<id>_depth_m,<id>_speed_m_s` per probe, one row
/// per `every` seconds (and the last sample).
pub fn write_probes(dir: &Path, model: &AnyModel, every: f64) -> Result<(), ReportError> {
    let probes = model.probes();
    if probes.is_empty() {
        return Ok(());
    }
    let mut s = String::from("time_s");
    for p in probes {
        let _ = write!(s, ",{0}_depth_m,{0}_speed_m_s", p.name);
    }
    s.push('\n');
    let n = probes.iter().map(|p| p.samples.len()).min().unwrap_or(0);
    let ts: Vec<f64> = probes[0].samples[..n].iter().map(|x| x.t).collect();
    for k in on_interval(&ts, every) {
        let _ = write!(s, "{}", probes[0].samples[k].t);
        for p in probes {
            let _ = write!(s, ",{:.4},{:.4}", p.samples[k].depth, p.samples[k].speed);
        }
        s.push('\n');
    }
    write_text(&dir.join("probes.csv"), &s)
}

/// Write `water_balance.csv`.
pub fn write_balance(dir: &Path, rows: &[WaterBalance]) -> Result<(), ReportError> {
    let mut s = String::from(WaterBalance::csv_header());
    s.push('\n');
    for r in rows {
        s.push_str(&r.csv_row());
        s.push('\n');
    }
    write_text(&dir.join("water_balance.csv"), &s)
}
