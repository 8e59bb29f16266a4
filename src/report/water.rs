//! Water outputs of a run: maximum rasters, depth rasters at requested times, probe
//! series and the water balance, written into the run's output folder.
//!
//! Files (ESRI ASCII grids in the DEM's georeferencing; CSV with a header line):
//! `max_depth.asc` (m), `max_velocity.asc` (m/s), `max_hazard.asc` (d·(v+0.5), m²/s),
//! `time_first_flooded.asc` (s since start when the depth first exceeded 0.15 m,
//! −9999 never), `depth_<t>.asc` (e.g. `depth_1h30m.asc`), `probes.csv` (one row per
//! tick: time and each probe's depth and speed), `water_balance.csv` (cumulative
//! volumes per `series_interval`).

use std::fmt::Write as _;
use std::path::Path;

use crate::hydro::{HydroModel, WaterBalance};
use crate::run::RunError;
use crate::scenario::format_duration;
use crate::world::write_asc;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    }
}

fn raster_err(path: &Path, e: crate::world::RasterError) -> RunError {
    RunError::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Write text through a temporary file and a rename.
pub fn write_text(path: &Path, text: &str) -> Result<(), RunError> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, text).map_err(io(path))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// The file name of the depth raster at sim time `t`.
pub fn depth_file_name(t: f64) -> String {
    format!("depth_{}.asc", format_duration(t))
}

/// Write the current depth grid as `depth_<t>.asc`.
pub fn write_depth(dir: &Path, model: &HydroModel, t: f64) -> Result<(), RunError> {
    let path = dir.join(depth_file_name(t));
    write_asc(&path, &model.depth_grid(), None, 4).map_err(|e| raster_err(&path, e))
}

/// Write the maximum rasters.
pub fn write_max_rasters(dir: &Path, model: &HydroModel) -> Result<(), RunError> {
    let out = model.outputs();
    for (name, grid, nodata) in [
        ("max_depth.asc", out.max_depth_grid(), None),
        ("max_velocity.asc", out.max_speed_grid(), None),
        ("max_hazard.asc", out.max_hazard_grid(), None),
        (
            "time_first_flooded.asc",
            out.first_flooded_grid(-9999.0),
            Some(-9999.0),
        ),
    ] {
        let path = dir.join(name);
        write_asc(&path, &grid, nodata, 4).map_err(|e| raster_err(&path, e))?;
    }
    Ok(())
}

/// Write `probes.csv`: `time_s` then `<id>_depth_m,<id>_speed_m_s` per probe.
pub fn write_probes(dir: &Path, model: &HydroModel) -> Result<(), RunError> {
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
    for k in 0..n {
        let _ = write!(s, "{}", probes[0].samples[k].t);
        for p in probes {
            let _ = write!(s, ",{:.4},{:.4}", p.samples[k].depth, p.samples[k].speed);
        }
        s.push('\n');
    }
    write_text(&dir.join("probes.csv"), &s)
}

/// Write `water_balance.csv`.
pub fn write_balance(dir: &Path, rows: &[WaterBalance]) -> Result<(), RunError> {
    let mut s = String::from(WaterBalance::csv_header());
    s.push('\n');
    for r in rows {
        s.push_str(&r.csv_row());
        s.push('\n');
    }
    write_text(&dir.join("water_balance.csv"), &s)
}
