//! Rain: the Chicago design storm keeps the IDF depth and puts its peak at r; series
//! files parse, and their errors name the file and line; spatial sources and zone
//! scaling put the right volume on the model.

use floodrill::hydro::{
    ChicagoStorm, GriddedFrames, HydroModel, IdfParams, Interp, MM_PER_H, MovingCell, RainField,
    RainSource, Series, ZoneScaling,
};
use floodrill::world::{Grid, GridSpec};

fn suzhou(duration_min: f64, step: f64) -> ChicagoStorm {
    ChicagoStorm {
        idf: IdfParams {
            a1: 17.969,
            c: 1.24,
            b: 18.415,
            n: 0.785,
        },
        return_period_years: 50.0,
        duration_min,
        peak_ratio: 0.43,
        time_step_min: step,
        start_s: 0.0,
    }
}

#[test]
fn chicago_total_depth_is_the_idf_depth_and_peak_is_at_r() {
    for (dur, step) in [(180.0, 5.0), (120.0, 1.0), (60.0, 7.0)] {
        let storm = suzhou(dur, step);
        let s = storm.series().unwrap();
        let total_mm = s.integral(0.0, dur * 60.0 + 100.0) / 3600.0;
        let idf_mm = storm.idf.intensity_mm_per_min(50.0, dur) * dur;
        assert!(
            (total_mm - idf_mm).abs() < 1e-9 * idf_mm,
            "{dur} min: {total_mm} vs IDF {idf_mm}"
        );
        // The peak block holds r·T.
        let pts: Vec<(f64, f64)> = s.points().collect();
        let k = (0..pts.len())
            .max_by(|&a, &b| pts[a].1.total_cmp(&pts[b].1))
            .unwrap();
        let (t0, t1) = (pts[k].0, pts[k + 1].0);
        let tp = 0.43 * dur * 60.0;
        assert!(
            t0 <= tp && tp <= t1,
            "{dur} min: peak block [{t0}, {t1}] s, r·T = {tp} s"
        );
        assert_eq!(s.value_at(dur * 60.0 + 1.0), 0.0);
    }
    // The block means differentiate to the instantaneous Keifer–Chu intensity.
    let storm = suzhou(180.0, 5.0);
    for t in [10.0, 50.0, 77.3, 100.0, 170.0] {
        let h = 1e-4;
        let num = (storm.cumulative_mm(t + h) - storm.cumulative_mm(t - h)) / (2.0 * h);
        let inst = storm.intensity_mm_per_min(t);
        assert!(
            (num - inst).abs() < 1e-5 * inst.max(1.0),
            "t {t}: {num} vs {inst}"
        );
    }
    // q-form constructor.
    let q = IdfParams::from_q_form(2852.9, 0.67, 12.6, 0.728);
    assert!((q.a1 - 2852.9 / 167.0).abs() < 1e-12);
}

#[test]
fn series_files_parse_and_errors_name_file_and_line() {
    let s = Series::parse_csv(
        "gauge.csv",
        "time_s,value\n0,10\n30m,20\n1h,0\n",
        Interp::Linear,
    )
    .unwrap();
    assert_eq!(s.value_at(900.0), 15.0);
    let e =
        Series::parse_csv("gauge.csv", "time_s,value\n0,10\n5,abc\n", Interp::Linear).unwrap_err();
    assert_eq!((e.origin.as_str(), e.line), ("gauge.csv", 3), "{e}");
    assert!(
        e.to_string().starts_with("gauge.csv:3:") && e.to_string().contains("abc"),
        "{e}"
    );
    let e = Series::parse_csv("g.csv", "time_s,value\n10,1\n5,2\n", Interp::Linear).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    let e = Series::parse_csv("g.csv", "0,1\n", Interp::Linear).unwrap_err();
    assert_eq!(e.line, 1, "{e}");

    let text = "# rain\nstorm\n3 seconds\n10.8 0\n10.8 5400\n0 5400.01\n";
    let all = Series::parse_lisflood_all("rain.txt", text).unwrap();
    assert_eq!(all[0].name, "storm");
    assert_eq!(all[0].value_at(2700.0), 10.8);
    let e = Series::parse_lisflood_all("rain.txt", "# x\n3 seconds\n1 0\n2 x\n").unwrap_err();
    assert_eq!(e.to_string(), "rain.txt:4: time `x`: expected a number");
    let e = Series::parse_lisflood_all("rain.txt", "# x\n3 seconds\n1 0\n2 10\n").unwrap_err();
    assert!(
        e.to_string().starts_with("rain.txt:2:") && e.message.contains("promises 3"),
        "{e}"
    );
    let e = Series::parse_lisflood_all("rain.txt", "inflow\nmany seconds\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    // The validation files.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/validation");
    let q = Series::read_lisflood(std::path::Path::new(&format!(
        "{dir}/plane/dx50/inflow_q.txt"
    )))
    .unwrap();
    assert_eq!(q.points().count(), 362);
    let e = Series::read_lisflood(std::path::Path::new("/nonexistent/rain.txt")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/rain.txt"), "{e}");
}

#[test]
fn spatial_sources_and_zone_scaling_put_the_right_volume_on_the_model() {
    let spec = GridSpec {
        ncols: 40,
        nrows: 30,
        xll: 0.0,
        yll: 0.0,
        cell: 10.0,
    };
    let dem = Grid::filled(spec, 0.0);
    let mut wall = Grid::filled(spec, false);
    for r in 0..30 {
        *wall.get_mut(r, 19) = true; // a wall between the zones (no rain counted on it)
    }
    // Zones: left half ×2, right half ×0.5 → mean factor 1.25.
    let mut zones = Grid::filled(spec, 1i64);
    for r in 0..30 {
        for c in 20..40 {
            *zones.get_mut(r, c) = 2;
        }
    }
    let zs = ZoneScaling {
        zones,
        factors: [(1, 2.0), (2, 0.5)].into_iter().collect(),
    };
    let mut field = RainField::uniform(Series::constant(36.0));
    field.zones = Some(zs);
    let mut m = HydroModel::builder(&dem)
        .blocked(&wall)
        .rain(field.clone())
        .build()
        .unwrap();
    m.step_until(600.0).unwrap();
    let want = 36.0 * MM_PER_H * 600.0 * (2.0 * 19.0 * 30.0 + 0.5 * 20.0 * 30.0) * 100.0;
    assert!(
        (m.balance().rain - want).abs() < 1e-9 * want,
        "{} vs {want}",
        m.balance().rain
    );
    assert!((m.depth()[0] - 2.0 * 36.0 * MM_PER_H * 600.0).abs() < 1e-12);
    // Gridded frames: 10 mm/h then 40 mm/h from 300 s, plus a moving cell out of range.
    let frames = GriddedFrames::new(vec![
        (0.0, Grid::filled(spec, 10.0)),
        (300.0, Grid::filled(spec, 40.0)),
    ])
    .unwrap();
    let cell = MovingCell {
        peak_mm_h: 100.0,
        radius_m: 50.0,
        track: vec![(5000.0, 0.0, 0.0), (6000.0, 1.0, 1.0)],
    };
    let f2 = RainField::none()
        .with(RainSource::Gridded(frames))
        .with(RainSource::Moving(cell));
    let mut m = HydroModel::builder(&dem).rain(f2).build().unwrap();
    m.step_until(600.0).unwrap();
    let want = (10.0 + 40.0) * MM_PER_H * 300.0;
    assert!(
        (m.depth()[5] - want).abs() < 1e-12,
        "{} vs {want}",
        m.depth()[5]
    );
    assert!(m.balance().relative_error().abs() < 1e-12);
}
