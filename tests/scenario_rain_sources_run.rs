//! Every rain source of the scenario format reaches the water: a gauge CSV, the
//! `value time` layout, a Chicago storm, a moving cell, gridded frames and per-zone
//! scaling — run through `floodrill run`, with the balance closing each time.

mod common;

fn run_with_rain(rain: &str, files: &[(&str, String)]) -> serde_json::Value {
    let dir = common::mini_copy();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let scen = common::mini_with(
        "Uniform(series: Points([(\"0s\", 0.0), (\"10m\", 60.0), (\"30m\", 60.0), (\"40m\", 0.0)])),",
        rain,
    );
    let path = dir.path().join("rain.ron");
    std::fs::write(&path, scen).unwrap();
    let out = dir.path().join("out");
    let (code, o, e) = common::floodrill(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let err = s["figures"]["balance_error_of_rain"].as_f64().unwrap();
    assert!(err.abs() < 1e-9, "balance error {err}");
    s
}

fn rain_m3(s: &serde_json::Value) -> f64 {
    s["figures"]["rain_m3"].as_f64().unwrap()
}

/// Open (non-building) area of the mini district, m²: 20 × 16 cells of 100 m², minus 4
/// building cells.
const OPEN_AREA: f64 = (20.0 * 16.0 - 4.0) * 100.0;

#[test]
fn gauge_csv_and_value_time_files_give_the_same_rain() {
    let csv = "time,mm_h\n0s,36\n30m,36\n30m1s,0\n".to_string();
    let vt = "# rain mm/h\n3 seconds\n36 0\n36 1800\n0 1801\n".to_string();
    let a = run_with_rain("Uniform(series: File(\"g.csv\")),", &[("g.csv", csv)]);
    let b = run_with_rain("Uniform(series: File(\"g.txt\")),", &[("g.txt", vt)]);
    // 36 mm/h for 30 min = 18 mm (+ half a second of ramp), over the open area; zone Z02
    // (the east half) gets 1.2×.
    let expect = 0.018 * OPEN_AREA * (1.0 + 0.2 * 160.0 / 316.0);
    assert!((rain_m3(&a) - rain_m3(&b)).abs() < 1e-6 * rain_m3(&a));
    assert!(
        (rain_m3(&a) - expect).abs() < 0.01 * expect,
        "{} vs {expect}",
        rain_m3(&a)
    );
}

#[test]
fn chicago_moving_cell_and_frames_all_rain() {
    let chicago = run_with_rain(
        "Chicago(a1: 17.969, c: 1.24, b: 18.415, n: 0.785, return_period_years: 2.0, duration: \"30m\", peak_ratio: 0.4, step: \"1m\"),",
        &[],
    );
    assert!(rain_m3(&chicago) > 0.0);
    let moving = run_with_rain(
        "MovingCell(peak_mm_h: 80.0, radius_m: 60.0, track: [(\"0s\", 1000.0, 2080.0), (\"40m\", 1200.0, 2080.0)]),",
        &[],
    );
    assert!(rain_m3(&moving) > 0.0);
    let frame = |v: f64| {
        let mut s =
            String::from("ncols 20\nnrows 16\nxllcorner 1000.0\nyllcorner 2000.0\ncellsize 10.0\n");
        for _ in 0..16 {
            s.push_str(&vec![format!("{v}"); 20].join(" "));
            s.push('\n');
        }
        s
    };
    let frames = run_with_rain(
        "Frames(frames: [(\"0s\", \"f0.asc\"), (\"10m\", \"f1.asc\")]),",
        &[("f0.asc", frame(12.0)), ("f1.asc", frame(0.0))],
    );
    // 12 mm/h for 10 minutes = 2 mm over the open area, 1.2× over zone Z02.
    let expect = 0.002 * OPEN_AREA * (1.0 + 0.2 * 160.0 / 316.0);
    assert!(
        (rain_m3(&frames) - expect).abs() < 0.02 * expect,
        "{} vs {expect}",
        rain_m3(&frames)
    );
}
