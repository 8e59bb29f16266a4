//! A replay holds keyframes (exact states) and, between them, views patched against
//! the record before: the water to the millimetre, everything else exact. Scrubbing to
//! a view shows what an exact seek there shows, a view cannot be run on, and a damaged
//! view is refused naming its line and time.

mod common;

use floodrill::engine::Engine;

const ORDERS: &str = "4m Dispatch(unit: \"R01\", to: Place(\"H01\"))\n";

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// The mini drill recorded with keyframes every 20 min (views every 10 min).
fn recorded() -> (tempfile::TempDir, std::path::PathBuf) {
    let (d, out, code, o, e) =
        common::run_mini_with_orders(ORDERS, &["--quiet", "--keyframe-interval", "20m"]);
    assert_eq!(code, 0, "{o}{e}");
    (d, out.join("drill.replay"))
}

fn depths(e: &Engine) -> Vec<f64> {
    e.world()
        .resource::<floodrill::engine::hydro::Water>()
        .0
        .depth_grid()
        .data
}

#[test]
fn keyframes_and_views_alternate_and_each_view_is_patched_against_the_record_before() {
    let (_d, file) = recorded();
    let r = floodrill::replay::read(&file).unwrap();
    let kinds: Vec<(f64, bool, Option<f64>)> =
        r.states.iter().map(|s| (s.t, s.view, s.base)).collect();
    assert_eq!(
        kinds,
        vec![
            (0.0, false, None),
            (600.0, true, Some(0.0)),
            (1200.0, false, Some(0.0)),
            (1800.0, true, Some(1200.0)),
            (2400.0, false, Some(1200.0)),
            (3000.0, true, Some(2400.0)),
            (3600.0, false, Some(2400.0)),
        ]
    );
    // An exact state is not handed out from a view, and a view from any record.
    let err = r.load_state(1).unwrap_err().to_string();
    assert!(err.contains("the view at 0:10:00 is a view"), "{err}");
    for k in 0..r.states.len() {
        assert!(r.load_view(k).unwrap().view);
    }
    // The recorded file verifies: digests, keyframes and views.
    let (code, o, e) = common::floodrill(&["replay", s(&file), "--verify"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("its 7 keyframes and views decode"), "{o}");
}

#[test]
fn a_view_shows_the_exact_drill_with_the_water_to_the_millimetre_and_cannot_run_on() {
    let (_d, file) = recorded();
    for t in [600.0, 1800.0, 3000.0] {
        let (view, _, sk) = floodrill::replay::open_view_at(&file, t + 299.0, Some(1)).unwrap();
        assert_eq!(sk.t, t, "the view at or before the moment");
        assert_eq!(sk.resimulated_s, 0.0);
        let (exact, _, _) = floodrill::replay::open_at(&file, t, Some(1)).unwrap();
        assert_eq!(exact.clock().t, t);
        // Everything but the water is the exact state, byte for byte.
        let (a, b) = (view.save_state().unwrap(), exact.save_state().unwrap());
        for ((n, x), (m, y)) in a.parts.iter().zip(&b.parts) {
            assert_eq!(n, m);
            if n != "water" {
                assert!(x == y, "part {n} at {t}");
            }
        }
        // The water to the millimetre (half a millimetre of rounding).
        let (dv, de) = (depths(&view), depths(&exact));
        let worst = dv
            .iter()
            .zip(&de)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 0.0005 + 1e-12, "depth off by {worst} m at {t}");
        assert!(de.iter().any(|&h| h > 0.01), "water to compare at {t}");
        // The maxima of the view are at least those of the moment shown.
        let mv = view
            .world()
            .resource::<floodrill::engine::hydro::Water>()
            .0
            .outputs()
            .max_depth
            .clone();
        assert!(mv.iter().zip(&dv).all(|(m, h)| *m as f64 >= h - 1e-6));
        // A view is for looking: a tick refuses, saying why.
        let mut view = view;
        let err = view.tick().unwrap_err().to_string();
        assert!(err.contains("view of the replay"), "{err}");
    }
    // The view at a keyframe is that keyframe's view.
    let (v, _, sk) = floodrill::replay::open_view_at(&file, 1200.0, Some(1)).unwrap();
    assert_eq!(sk.t, 1200.0);
    let (e, _, _) = floodrill::replay::open_at(&file, 1200.0, Some(1)).unwrap();
    let worst = depths(&v)
        .iter()
        .zip(&depths(&e))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 0.0005 + 1e-12, "{worst}");
}

#[test]
fn a_damaged_view_is_refused_naming_it_and_the_views_after_it() {
    let (d, file) = recorded();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (k, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.starts_with("state ") && l.contains("\"t\":1800.0"))
        .unwrap();
    // One flipped byte in the view's data, the record resealed so its line checks
    // out: the decoded view no longer matches its own hash.
    let json = line.splitn(3, ' ').nth(2).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["view"], true);
    let data = v["data"].as_str().unwrap().to_string();
    let i = data.len() / 2;
    let mut b = data.into_bytes();
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    v["data"] = String::from_utf8(b).unwrap().into();
    let json = serde_json::to_string(&v).unwrap();
    let sealed = format!("state {} {json}", floodrill::replay::check("state", &json));
    let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    l[k] = sealed;
    let damaged = d.path().join("damaged.replay");
    std::fs::write(&damaged, l.join("\n") + "\n").unwrap();
    let (code, o, e) = common::floodrill(&["replay", s(&damaged), "--at", "30m"]);
    assert_eq!(code, 2, "{o}{e}");
    assert!(
        e.contains(&format!("damaged.replay:{}: the view at 0:30:00", k + 1)),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    // Unresealed, every reader refuses it on its checksum.
    let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    let mut b = l[k].clone().into_bytes();
    let i = b.len() / 2;
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    l[k] = String::from_utf8(b).unwrap();
    std::fs::write(&damaged, l.join("\n") + "\n").unwrap();
    for args in [
        vec!["replay", s(&damaged)],
        vec!["replay", s(&damaged), "--at", "10m"],
    ] {
        let (code, o, e) = common::floodrill(&args);
        assert_eq!(code, 2, "{o}{e}");
        assert!(
            e.contains(&format!(
                "damaged.replay:{}: the view at 0:30:00 does not match its checksum",
                k + 1
            )),
            "{e}"
        );
    }
}
