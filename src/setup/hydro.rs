//! The water's inputs: a checked scenario → the kernel's [`HydroModel`] (Manning n,
//! blocked cells and losses per land class; rain sources and zone scaling; boundaries;
//! initial levels; probes), and the pieces validation checks on their own (series
//! files, the Chicago storm, the cells a pump station serves).

use std::path::Path;

use super::SetupError;
use crate::hydro::{
    AnyModel, Boundary, ChicagoStorm, Edge, EdgeSegment, GriddedFrames, Horton, HydroConfig,
    IdfParams, Infiltration, Interp, LossClass, Model, MovingCell, RainField, RainSource, Real,
    Scs, Series, ZoneScaling,
};
use crate::scenario::Scenario;
use crate::scenario::schema as s;
use crate::world::{Grid, rasterize_zones};

/// The cells whose drainage a pump station serves: its zone, or within 500 m.
pub fn station_cells(s: &Scenario, place: &crate::world::Place) -> Vec<usize> {
    let spec = s.dem.spec;
    if let Some(z) = &place.zone
        && let Some(k) = s.zones.iter().position(|zz| &zz.id == z)
    {
        let ids = rasterize_zones(&spec, &s.zones);
        return ids
            .data
            .iter()
            .enumerate()
            .filter(|(_, v)| **v == k as i64 + 1)
            .map(|(i, _)| i)
            .collect();
    }
    (0..spec.len())
        .filter(|&i| {
            let (x, y) = spec.cell_centre(i / spec.ncols, i % spec.ncols);
            (x - place.at.0).hypot(y - place.at.1) <= 500.0
        })
        .collect()
}

/// The network pumps (link indices) a pump station runs: those listed for it in
/// `drainage.stations`, else every pump not listed for another station whose wet well
/// (inlet node) lies within 300 m of it and nearer to it than to any other station.
pub fn station_pumps(s: &Scenario, place: &crate::world::Place) -> Vec<usize> {
    use crate::hydro::drainage::network::LinkKind;
    let (Some(d), Some(net)) = (&s.file.drainage, &s.network) else {
        return Vec::new();
    };
    if let Some(st) = d.stations.iter().find(|st| st.place == place.id) {
        return st
            .pumps
            .iter()
            .filter_map(|id| net.link_index(id))
            .collect();
    }
    let listed: std::collections::BTreeSet<usize> = d
        .stations
        .iter()
        .flat_map(|st| st.pumps.iter().filter_map(|id| net.link_index(id)))
        .collect();
    let stations: Vec<&crate::world::Place> = s
        .places
        .iter()
        .filter(|p| p.kind == crate::world::PlaceKind::PumpStation)
        .collect();
    (0..net.links.len())
        .filter(|l| !listed.contains(l) && matches!(net.links[*l].kind, LinkKind::Pump(_)))
        .filter(|&l| {
            let Some((x, y)) = net.nodes[net.links[l].from].xy else {
                return false;
            };
            let dist = |p: &crate::world::Place| (p.at.0 - x).hypot(p.at.1 - y);
            let nearest = stations
                .iter()
                .min_by(|a, b| dist(a).total_cmp(&dist(b)).then(a.id.cmp(&b.id)));
            nearest.is_some_and(|n| n.id == place.id && dist(n) <= 300.0)
        })
        .collect()
}

/// The scenario's pipe network coupled to its surface: each junction or storage node
/// on an open cell (else on the lowest open cell next to it) exchanges with that cell;
/// outfalls on the grid discharge into their cell.
pub fn dual_drainage(s: &Scenario) -> Option<crate::hydro::drainage::DualDrainage> {
    let (Some(d), Some(net)) = (&s.file.drainage, &s.network) else {
        return None;
    };
    let spec = s.dem.spec;
    let classes = &s.file.district.land_classes;
    let open = |r: usize, c: usize| -> bool {
        let i = spec.idx(r, c);
        let code = s.landuse.data[i];
        !s.outside.data[i] && !classes.iter().any(|k| k.code == code && k.blocked)
    };
    let cell_of = |x: f64, y: f64| -> Option<usize> {
        let (r, c) = spec.cell_at(x, y)?;
        if open(r, c) {
            return Some(spec.idx(r, c));
        }
        let mut best: Option<(f64, usize)> = None;
        for dr in -1i64..=1 {
            for dc in -1i64..=1 {
                let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                if rr < 0 || cc < 0 || rr >= spec.nrows as i64 || cc >= spec.ncols as i64 {
                    continue;
                }
                let (rr, cc) = (rr as usize, cc as usize);
                if open(rr, cc) {
                    let i = spec.idx(rr, cc);
                    let z = s.dem.data[i];
                    if best.is_none_or(|(bz, _)| z < bz) {
                        best = Some((z, i));
                    }
                }
            }
        }
        best.map(|(_, i)| i)
    };
    let mut dd = crate::hydro::drainage::DualDrainage::new(net, d.coupling, cell_of, |_| None);
    dd.sample_every = s.file.outputs.series_interval.secs();
    Some(dd)
}

/// Read a series file: CSV (`time,value` with a header) when its first data line has
/// a comma, else the `value time` layout.
pub fn read_series_file(path: &Path) -> Result<Series, SetupError> {
    Ok(Series::read_file(path)?)
}

/// A scenario series in kernel form.
pub fn series(scenario: &Scenario, s: &s::Series) -> Result<Series, SetupError> {
    match s {
        s::Series::Points(pts) => {
            let pts: Vec<(f64, f64)> = pts.iter().map(|(t, v)| (t.secs(), *v)).collect();
            Ok(Series::new(&pts, Interp::Linear)?)
        }
        s::Series::File(rel) => read_series_file(&scenario.resolve(rel)),
    }
}

/// The Chicago design storm of a scenario's `Chicago` rain source (None for other
/// sources): the one mapping of its fields, used by validation and by the model.
pub fn chicago_storm(src: &s::RainSource) -> Option<ChicagoStorm> {
    let s::RainSource::Chicago {
        a1,
        c,
        b,
        n,
        return_period_years,
        duration,
        peak_ratio,
        start,
        step,
    } = src
    else {
        return None;
    };
    Some(ChicagoStorm {
        idf: IdfParams {
            a1: *a1,
            c: *c,
            b: *b,
            n: *n,
        },
        return_period_years: *return_period_years,
        duration_min: duration.secs() / 60.0,
        peak_ratio: *peak_ratio,
        time_step_min: step.secs() / 60.0,
        start_s: start.secs(),
    })
}

/// A scenario rain source in kernel form.
pub fn rain_source(scenario: &Scenario, src: &s::RainSource) -> Result<RainSource, SetupError> {
    Ok(match src {
        s::RainSource::Uniform { series: ser } => RainSource::Uniform(series(scenario, ser)?),
        s::RainSource::Chicago { .. } => {
            RainSource::Uniform(chicago_storm(src).ok_or(SetupError::NotAStorm)?.series()?)
        }
        s::RainSource::MovingCell {
            peak_mm_h,
            radius_m,
            track,
        } => RainSource::Moving(MovingCell {
            peak_mm_h: *peak_mm_h,
            radius_m: *radius_m,
            track: track.iter().map(|(t, x, y)| (t.secs(), *x, *y)).collect(),
        }),
        s::RainSource::Frames { frames } => {
            let list: Vec<(f64, std::path::PathBuf)> = frames
                .iter()
                .map(|(t, rel)| (t.secs(), scenario.resolve(rel)))
                .collect();
            let refs: Vec<(f64, &Path)> = list.iter().map(|(t, p)| (*t, p.as_path())).collect();
            RainSource::Gridded(GriddedFrames::read_asc_frames(&refs)?)
        }
    })
}

/// A boundary segment in kernel form.
pub fn segment(seg: &s::EdgeSegment) -> EdgeSegment {
    EdgeSegment {
        edge: match seg.edge {
            s::Edge::North => Edge::North,
            s::Edge::South => Edge::South,
            s::Edge::East => Edge::East,
            s::Edge::West => Edge::West,
        },
        from: seg.from,
        to: seg.to,
    }
}

/// Build the hydraulic model of a scenario, in the precision it asks for.
pub fn build_model(scenario: &Scenario) -> Result<AnyModel, SetupError> {
    Ok(match scenario.file.hydro.precision {
        s::Precision::F64 => AnyModel::F64(build_in::<f64>(scenario)?),
        s::Precision::F32 => AnyModel::F32(build_in::<f32>(scenario)?),
    })
}

/// Build the hydraulic model of a scenario in precision `R`.
pub fn build_in<R: Real>(scenario: &Scenario) -> Result<Model<R>, SetupError> {
    let f = &scenario.file;
    let spec = scenario.dem.spec;
    let classes = &f.district.land_classes;
    let class_index = |code: i32| classes.iter().position(|c| c.code == code);
    let mut manning = Grid::filled(spec, 0.0);
    let mut blocked = Grid::filled(spec, false);
    let mut class_of = Grid::filled(spec, 0u16);
    let mut depth0 = Grid::filled(spec, f.hydro.initial_depth_m);
    for (i, &code) in scenario.landuse.data.iter().enumerate() {
        let k = class_index(code).ok_or(SetupError::NoLandClass(code))?;
        let c = &classes[k];
        // One n for all cells, else the raster, else the class's n.
        manning.data[i] = match (f.hydro.manning, &scenario.manning) {
            (Some(n), _) => n,
            (None, Some(m)) => m.data[i],
            (None, None) => c.manning,
        };
        blocked.data[i] = c.blocked || scenario.outside.data[i];
        class_of.data[i] = k as u16;
        for lvl in &f.hydro.initial_levels {
            if lvl.landuse == code {
                depth0.data[i] = depth0.data[i].max(lvl.level_m - scenario.dem.data[i]);
            }
        }
        if blocked.data[i] {
            depth0.data[i] = 0.0;
        }
    }
    let losses: Vec<LossClass> = classes
        .iter()
        .map(|c| LossClass {
            name: c.name.clone(),
            infiltration: match c.infiltration {
                s::Infiltration::None => Infiltration::None,
                s::Infiltration::Horton {
                    f0_mm_h,
                    fc_mm_h,
                    k_per_h,
                } => Infiltration::Horton(Horton {
                    f0_mm_h,
                    fc_mm_h,
                    k_per_h,
                }),
                s::Infiltration::CurveNumber { cn } => Infiltration::Scs(Scs {
                    curve_number: cn,
                    ia_ratio: 0.2,
                }),
            },
            impervious_fraction: c.impervious,
            // A pipe network replaces the per-class drainage (unless asked to keep it).
            drainage_mm_h: match &f.drainage {
                Some(d) if !d.class_drainage => 0.0,
                _ => c.drainage_mm_h,
            },
        })
        .collect();
    let mut rain = RainField::none();
    for src in &f.rain.sources {
        rain = rain.with(rain_source(scenario, src)?);
    }
    if !f.rain.zone_scale.is_empty() {
        let ids = rasterize_zones(&spec, &scenario.zones);
        let mut factors = std::collections::BTreeMap::new();
        for zs in &f.rain.zone_scale {
            let k = scenario
                .zones
                .iter()
                .position(|z| z.id == zs.zone)
                .ok_or_else(|| SetupError::Unknown {
                    field: "rain.zone_scale",
                    id: zs.zone.clone(),
                })?;
            factors.insert(k as i64 + 1, zs.factor);
        }
        rain.zones = Some(ZoneScaling {
            zones: ids,
            factors,
        });
    }
    let mut cfg = HydroConfig::default();
    cfg.surface.alpha = f.hydro.cfl;
    cfg.surface.theta = f.hydro.theta;
    cfg.surface.advection = f.hydro.advection;
    cfg.surface.max_dt = f.hydro.max_dt.secs();
    cfg.surface.depth_threshold = f.hydro.depth_threshold_m;
    cfg.source_interval_s = f.meta.tick.secs().min(cfg.source_interval_s).max(1.0);
    let mut b = Model::<R>::builder(&scenario.dem)
        .manning(&manning)
        .blocked(&blocked)
        .losses(losses, &class_of)
        .initial_depth(&depth0)
        .rain(rain)
        .config(cfg);
    for bc in &f.boundaries {
        b = b.boundary(match bc {
            s::Boundary::FreeOutflow { at, slope } => Boundary::FreeOutflow {
                segment: segment(at),
                slope: *slope,
                manning: None,
            },
            s::Boundary::Stage { at, series: ser } => Boundary::Stage {
                segment: segment(at),
                level_m: series(scenario, ser)?,
            },
            s::Boundary::EdgeInflow { at, series: ser } => Boundary::UnitInflow {
                segment: segment(at),
                q_m2_s: series(scenario, ser)?,
            },
            s::Boundary::PointInflow { x, y, series: ser } => Boundary::PointInflow {
                x: *x,
                y: *y,
                q_m3_s: series(scenario, ser)?,
            },
        });
    }
    for p in &f.outputs.probes {
        let (x, y) = scenario
            .location(&p.at)
            .ok_or_else(|| SetupError::Unknown {
                field: "outputs.probes",
                id: p.id.clone(),
            })?;
        b = b.probe(&p.id, x, y);
    }
    if let Some(dd) = dual_drainage(scenario) {
        b = b.drainage(dd);
    }
    Ok(b.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chicago_source_maps_minutes_and_seconds_once() {
        let src: s::RainSource = ron::from_str(
            r#"Chicago(a1: 16.0, c: 0.8, b: 10.0, n: 0.7, return_period_years: 50.0,
                       duration: "3h", peak_ratio: 0.4, start: "15m", step: "5m")"#,
        )
        .expect("a Chicago source");
        let storm = chicago_storm(&src).expect("a storm");
        assert_eq!(storm.duration_min, 180.0);
        assert_eq!(storm.time_step_min, 5.0);
        assert_eq!(storm.start_s, 900.0);
        assert_eq!(storm.idf.a1, 16.0);
        let uniform: s::RainSource =
            ron::from_str(r#"Uniform(series: Points([("0s", 1.0)]))"#).expect("uniform");
        assert!(chicago_storm(&uniform).is_none());
    }

    #[test]
    fn a_boundary_segment_keeps_its_edge_and_span() {
        for (e, k) in [
            (s::Edge::North, Edge::North),
            (s::Edge::South, Edge::South),
            (s::Edge::East, Edge::East),
            (s::Edge::West, Edge::West),
        ] {
            let seg = segment(&s::EdgeSegment {
                edge: e,
                from: 10.0,
                to: 30.0,
            });
            assert_eq!((seg.edge, seg.from, seg.to), (k, 10.0, 30.0));
        }
    }

    #[test]
    fn the_mini_model_has_its_probes_and_the_land_classes_n() {
        let sc = crate::setup::tests::mini();
        let m = build_model(&sc).expect("builds");
        assert_eq!(m.spec(), &sc.dem.spec);
        assert_eq!(m.probes().len(), sc.file.outputs.probes.len());
    }

    #[test]
    fn a_station_outside_every_zone_serves_the_cells_within_500_m() {
        let sc = crate::setup::tests::mini();
        let ps = sc.place("PS01").expect("the pump station");
        assert!(ps.zone.is_none());
        let cells = station_cells(&sc, ps);
        let spec = sc.dem.spec;
        assert!(!cells.is_empty());
        for &i in &cells {
            let (x, y) = spec.cell_centre(i / spec.ncols, i % spec.ncols);
            assert!((x - ps.at.0).hypot(y - ps.at.1) <= 500.0);
        }
    }
}
