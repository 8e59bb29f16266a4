//! `gen-district`: writes the synthetic demo district for floodrill's rainstorm drills.
//!
//! A Hangzhou-like urban district on a square grid (512 × 512 cells of 5 m by default,
//! georeferenced at xllcorner 500000, yllcorner 3350000, local projected metres):
//! wooded hills in the west, a gently sloping plain with a street grid, an elevated
//! rail embankment with underpasses, low streets, a river near the east edge between
//! levees with pump stations, and farmland beyond. It writes `dem.asc`,
//! `landuse.asc`, `roads.geojson`, `buildings.geojson`, `zones.geojson`,
//! `places.geojson`, the storm sewers as `network.inp` (EPA SWMM 5) and a `README.md` into `--out`.
//!
//! Determinism: everything random comes from `ChaCha8Rng::seed_from_u64(seed)`, one
//! stream per purpose (relief, plan, buildings, zones, population, places), so the same
//! seed always writes byte-identical files. No hash-map iteration affects the output.
//!
//! Pipeline: relief → plan → rasters → buildings → zones → population → roads →
//! places → self-checks → sewer network → files. A failed self-check is a bug in the generator and
//! stops before anything is written. Errors are printed and the exit code is 2.

mod buildings;
mod frame;
mod names;
mod network;
mod output;
mod places;
mod plan;
mod readme;
mod relief;
mod roads;
mod terrain;
mod zones;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::buildings::Use;
use crate::frame::Frame;
use crate::places::road_adjacent_dry;
use crate::terrain::lu;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "gen-district",
    version,
    about = "Generate the synthetic demo district (DEM, land use, roads, buildings, zones, places)",
    long_about = "Generate the synthetic demo district used by floodrill's rainstorm drills: \
                  hills, plain, street grid, rail embankment with underpasses, low streets, a \
                  leveed river with pump stations, buildings with households, communities and \
                  places (shelters, depots, hotspots, pump stations, posts, gauge). The same \
                  seed always writes byte-identical files."
)]
struct Args {
    /// Seed of the random streams (ChaCha8); the same seed gives identical files.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Output folder (created if missing; existing district files are replaced).
    #[arg(long)]
    out: PathBuf,
    /// Grid size in cells per side (the district is N × N cells).
    #[arg(long, default_value_t = 512)]
    size: usize,
    /// Cell size in metres.
    #[arg(long, default_value_t = 5.0)]
    cell: f64,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// Bad command-line values.
    #[error("invalid arguments: {0}")]
    Args(String),
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The generated district failed one of its own checks (a generator bug).
    #[error("self-check failed: {0}")]
    Check(String),
}

/// Independent random stream for one purpose.
fn stream(seed: u64, purpose: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose);
    rng
}

/// Summary figures (printed and written into the README).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Road features.
    pub roads: usize,
    /// Building footprints.
    pub buildings: usize,
    /// Households.
    pub households: u64,
    /// Residents.
    pub residents: u64,
    /// Mean net dwelling size, m².
    pub unit_m2: f64,
    /// Lowest and highest DEM value.
    pub z_range: (f64, f64),
    /// Land-use codes present, with cell counts.
    pub landuse: Vec<(u8, usize)>,
    /// The sewer network's counts.
    pub network: network::NetStats,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-district: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn validate(args: &Args) -> Result<Frame, GenError> {
    if !(args.cell.is_finite() && (0.5..=50.0).contains(&args.cell)) {
        return Err(GenError::Args(format!(
            "--cell {} must be between 0.5 and 50 metres",
            args.cell
        )));
    }
    if !(64..=8192).contains(&args.size) {
        return Err(GenError::Args(format!(
            "--size {} must be between 64 and 8192 cells",
            args.size
        )));
    }
    let frame = Frame::new(args.size, args.cell);
    if !(700.0..=20_000.0).contains(&frame.extent) {
        return Err(GenError::Args(format!(
            "the district would be {} m across (--size {} × --cell {}); it must be 700–20000 m",
            frame.extent, args.size, args.cell
        )));
    }
    Ok(frame)
}

fn run(args: &Args) -> Result<(), GenError> {
    let frame = validate(args)?;
    let seed = args.seed;

    let relief = relief::Relief::new(&frame, &mut stream(seed, 1));
    let plan = plan::make_plan(&frame, &relief, &mut stream(seed, 2));
    let mut rasters = terrain::rasterize(&frame, &relief, &plan);
    let (mut blds, extras) = buildings::generate(&plan, &mut stream(seed, 3));
    buildings::paint(&frame, &mut rasters, &blds, &extras);
    let zones = zones::make_zones(&frame, &relief, &plan, &mut stream(seed, 4));
    for b in &mut blds {
        let c = b.rect.centre();
        b.zone = zones::zone_of(&zones, c)
            .map(|z| z.id.clone())
            .unwrap_or_default();
    }
    let mut pop_rng = stream(seed, 5);
    let scale = (frame.extent / 2560.0).powi(2);
    let target = rand::RngExt::random_range(&mut pop_rng, 24_000.0..28_000.0) * scale;
    let unit_m2 = buildings::populate(&mut blds, target, &mut pop_rng);
    let road_features = roads::split(&plan.streets);
    let places = places::make_places(
        &places::Inputs {
            frame: &frame,
            relief: &relief,
            plan: &plan,
            rasters: &rasters,
            buildings: &blds,
            zones: &zones,
            roads: &road_features,
        },
        &mut stream(seed, 6),
    );

    check(&frame, &relief, &rasters, &blds, &road_features, &places)?;
    let (network_inp, net_stats) = network::make_network(&network::Inputs {
        frame: &frame,
        relief: &relief,
        plan: &plan,
        rasters: &rasters,
        roads: &road_features,
        places: &places,
    });

    let mut counts = [0usize; 256];
    for &c in &rasters.landuse {
        counts[c as usize] += 1;
    }
    let stats = Stats {
        roads: road_features.len(),
        buildings: blds.len(),
        households: blds.iter().map(|b| b.households as u64).sum(),
        residents: blds.iter().map(|b| b.residents as u64).sum(),
        unit_m2,
        z_range: rasters
            .dem
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &z| {
                (a.min(z), b.max(z))
            }),
        landuse: (0..=255u8)
            .filter(|&c| counts[c as usize] > 0)
            .map(|c| (c, counts[c as usize]))
            .collect(),
        network: net_stats.clone(),
    };
    warn_if_unusual(&frame, &stats, &zones, &places);

    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|source| GenError::Io {
        path: out.clone(),
        source,
    })?;
    let dem = output::asc(&frame, &rasters.dem, |z, s| {
        use std::fmt::Write as _;
        let _ = write!(s, "{z:.2}");
    });
    output::write_file(out, "dem.asc", &dem)?;
    let landuse = output::asc(&frame, &rasters.landuse, |c, s| {
        s.push(char::from(b'0' + c));
    });
    output::write_file(out, "landuse.asc", &landuse)?;
    output::write_file(out, "roads.geojson", &output::roads_geojson(&road_features))?;
    output::write_file(out, "buildings.geojson", &output::buildings_geojson(&blds))?;
    output::write_file(out, "zones.geojson", &output::zones_geojson(&zones))?;
    output::write_file(out, "places.geojson", &output::places_geojson(&places))?;
    output::write_file(out, "network.inp", &network_inp)?;
    let command = readme::command(args.seed, args.size, args.cell, out);
    let text = readme::readme(&frame, &relief, &plan, &zones, &places, &stats, &command);
    output::write_file(out, "README.md", &text)?;

    println!(
        "gen-district: wrote {} ({}×{} cells of {} m): {} roads, {} buildings, {} households, {} residents, {} zones, {} places, {} manholes, {} pipes",
        out.display(),
        frame.n,
        frame.n,
        frame.cell,
        stats.roads,
        stats.buildings,
        stats.households,
        stats.residents,
        zones.len(),
        places.len(),
        net_stats.manholes,
        net_stats.conduits
    );
    Ok(())
}

/// The generator's own checks: a failure is a bug, reported instead of bad files.
fn check(
    frame: &Frame,
    relief: &relief::Relief,
    rasters: &terrain::Rasters,
    blds: &[buildings::Building],
    roads: &[roads::RoadFeature],
    places: &[places::Place],
) -> Result<(), GenError> {
    let comps = roads::components(roads);
    if comps != 1 {
        return Err(GenError::Check(format!(
            "the road network has {comps} connected parts, expected 1"
        )));
    }
    for b in blds {
        if b.use_ == Use::Residential && b.zone.is_empty() {
            return Err(GenError::Check(format!(
                "a residential building at {:?} is in no zone",
                b.rect.centre()
            )));
        }
    }
    for p in places {
        let Some((r, c)) = frame.cell_at(p.p[0], p.p[1]) else {
            return Err(GenError::Check(format!(
                "place {} lies outside the grid",
                p.id
            )));
        };
        let ok = match p.kind {
            "gauge" => rasters.landuse[frame.idx(r, c)] == lu::WATER,
            "hotspot" => road_adjacent_dry(frame, &rasters.landuse, r, c, true),
            _ => road_adjacent_dry(frame, &rasters.landuse, r, c, false),
        };
        if !ok {
            return Err(GenError::Check(format!(
                "place {} ({}) is not on a suitable cell",
                p.id, p.kind
            )));
        }
        if p.kind == "hotspot" {
            let z = rasters.dem[frame.idx(r, c)];
            for (dr, dc) in [
                (-1i64, -1i64),
                (-1, 0),
                (-1, 1),
                (0, -1),
                (0, 1),
                (1, -1),
                (1, 0),
                (1, 1),
            ] {
                let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                if rr >= 0
                    && cc >= 0
                    && (rr as usize) < frame.n
                    && (cc as usize) < frame.n
                    && rasters.dem[frame.idx(rr as usize, cc as usize)] < z
                {
                    return Err(GenError::Check(format!(
                        "hotspot {} is not a local low point",
                        p.id
                    )));
                }
            }
        }
    }
    // The western levee crest stands at least 2.3 m above the mean urban ground within
    // 100 m of its landward toe, on every row.
    for row in 0..frame.n {
        let v = frame.v_of(row);
        let (lev, toe) = (relief.river.west_levee(v), relief.river.west_inner_toe(v));
        let mut crest = f64::NEG_INFINITY;
        let (mut sum, mut cnt) = (0.0, 0usize);
        for col in 0..frame.n {
            let u = frame.u_of(col);
            let i = frame.idx(row, col);
            if (u - lev).abs() <= relief.river.crest_half {
                crest = crest.max(rasters.dem[i]);
            }
            let urban = matches!(
                rasters.landuse[i],
                lu::ROAD | lu::RESIDENTIAL | lu::COMMERCIAL | lu::BUILDING
            );
            if urban && u < toe - 10.0 && u > toe - 100.0 {
                sum += rasters.dem[i];
                cnt += 1;
            }
        }
        if crest.is_finite() && cnt > 0 && crest < sum / cnt as f64 + 2.3 {
            return Err(GenError::Check(format!(
                "levee crest {crest:.2} m at row {row} is not 2.3 m above the plain beside it ({:.2} m)",
                sum / cnt as f64
            )));
        }
    }
    Ok(())
}

fn warn_if_unusual(frame: &Frame, stats: &Stats, zones: &[zones::Zone], places: &[places::Place]) {
    let default = frame.n == 512 && frame.cell == 5.0;
    if default && !(22_000..=30_000).contains(&stats.households) {
        eprintln!(
            "gen-district: warning: {} households, expected 22000–30000",
            stats.households
        );
    }
    if !default {
        return;
    }
    if !(6..=9).contains(&zones.len()) {
        eprintln!(
            "gen-district: warning: {} zones (6–9 expected on the default grid)",
            zones.len()
        );
    }
    for (kind, lo, hi) in [
        ("shelter", 3, 5),
        ("depot", 2, 3),
        ("pump_station", 3, 6),
        ("post", 3, 5),
        ("gauge", 1, 1),
    ] {
        let n = places.iter().filter(|p| p.kind == kind).count();
        if !(lo..=hi).contains(&n) {
            eprintln!("gen-district: warning: {n} places of kind {kind}, expected {lo}–{hi}");
        }
    }
}
