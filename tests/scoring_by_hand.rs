//! The four-in-place scores on small cases worked out by hand (the arithmetic is in the
//! comments), with the default rubric: weights 25 each, pass 80; 预警到位 lead 30 min,
//! acknowledgement 15 min; 转移到位 target 100 %; 力量到位 posts by 1 h, response 30 min;
//! 处置到位 hotspots below 0.15 m within 2 h of the rain stopping.

use floodrill::scoring::*;

fn zone(id: &str) -> ZoneFacts {
    ZoneFacts {
        id: id.into(),
        persons: 100,
        ..Default::default()
    }
}

fn card(f: &Facts) -> Scorecard {
    score(&default_rubric(), f)
}

#[test]
fn warning_in_place() {
    let mut a = zone("A");
    (a.onset, a.warned, a.acknowledged) = (Some(4000.0), Some(1000.0), Some(1600.0)); // 50 min lead, ack 10 min: ok
    let mut b = zone("B");
    (b.onset, b.warned, b.acknowledged) = (Some(4000.0), Some(1000.0), Some(2200.0)); // ack 20 min: fails
    let mut c = zone("C");
    (c.onset, c.warned, c.acknowledged) = (Some(4000.0), Some(2500.0), Some(2600.0)); // lead 25 min: fails
    let mut d = zone("D");
    (d.onset, d.warned, d.acknowledged) = (Some(5000.0), Some(1000.0), Some(1100.0)); // ok
    let e = zone("E"); // never at risk, never warned
    let f = Facts {
        zones: vec![a, b, c, d, e],
        end: 7200.0,
        ..Default::default()
    };
    let k = card(&f);
    let w = &k.criteria[0];
    // 2 of 4 at-risk zones in time → 50.
    assert_eq!(w.score, 50.0);
    assert!(!w.pass);
    let c_ev = w.evidence.iter().find(|e| e["zone"] == "C").unwrap();
    assert_eq!(c_ev["lead_min"], 25.0);
    assert_eq!(c_ev["warned"], "0:41:40");
    assert_eq!(c_ev["onset"], "1:06:40");
    assert!(w.summary.contains("B, C"), "{}", w.summary);
}

#[test]
fn evacuation_in_place() {
    let mut a = zone("A");
    a.at_risk_persons = 60;
    a.sheltered_before_onset = 45;
    a.safe_before_onset = 45;
    let mut b = zone("B");
    b.at_risk_persons = 40;
    b.sheltered_before_onset = 30;
    b.safe_before_onset = 30;
    let f = Facts {
        zones: vec![a.clone(), b.clone()],
        shelters: vec![ShelterFacts {
            id: "S01".into(),
            peak: 75,
            capacity: 80,
        }],
        end: 7200.0,
        ..Default::default()
    };
    // (45 + 30) / (60 + 40) = 75 % of a 100 % target → 75, fails.
    let e = &card(&f).criteria[1];
    assert_eq!(e.score, 75.0);
    assert!(!e.pass);
    // With a 75 % target the share meets it: 100 — but a household caught in water
    // still fails the criterion.
    let mut r = default_rubric();
    r.criteria[1].metric = floodrill::scenario::schema::Metric::Evacuation {
        target_share: 0.75,
        evacuate_zones: Vec::new(),
    };
    assert_eq!(score(&r, &f).criteria[1].score, 100.0);
    assert!(score(&r, &f).criteria[1].pass);
    let mut g = f.clone();
    g.zones[1].caught_households = 1;
    g.zones[1].caught_persons = 3;
    let x = &score(&r, &g).criteria[1];
    assert_eq!(x.score, 100.0);
    assert!(!x.pass, "somebody was caught in water");
}

#[test]
fn staying_in_counts_only_where_the_rubric_does_not_say_leave() {
    // A: 50 at risk, 20 sheltered, 10 away to relatives, 20 upstairs as told.
    let mut a = zone("A");
    a.at_risk_persons = 50;
    (
        a.sheltered_before_onset,
        a.away_before_onset,
        a.in_place_before_onset,
    ) = (20, 10, 20);
    a.safe_before_onset = 50;
    let f = Facts {
        zones: vec![a],
        end: 7200.0,
        ..Default::default()
    };
    // The plan's orders decide: all 50 safe → 100.
    assert_eq!(card(&f).criteria[1].score, 100.0);
    // The rubric says A must evacuate: only the 30 who left count → 60, fails, and the
    // evidence says 20 stayed in.
    let mut r = default_rubric();
    r.criteria[1].metric = floodrill::scenario::schema::Metric::Evacuation {
        target_share: 1.0,
        evacuate_zones: vec!["A".into()],
    };
    let c = &score(&r, &f).criteria[1];
    assert_eq!(c.score, 60.0);
    assert!(!c.pass);
    assert_eq!(c.evidence[0]["stayed_in_though_must_evacuate"], 20);
    assert_eq!(c.measures["stayed_in_though_must_evacuate"], 20);
    assert!(c.summary.contains("20 stayed in"), "{}", c.summary);
}

#[test]
fn forces_in_place() {
    let post = |unit: &str, ordered: f64, arrived: Option<f64>| PostFacts {
        unit: unit.into(),
        post: "P01".into(),
        ordered,
        arrived,
    };
    let req = |id: u32, t: f64, reached: Option<f64>| RequestFacts {
        id,
        t,
        persons: 2,
        false_report: false,
        reached,
        unit: None,
        closed: None,
        place: String::new(),
    };
    let f = Facts {
        posts: vec![
            post("T01", 600.0, Some(1800.0)),  // by 1 h: ok
            post("T02", 600.0, Some(4000.0)),  // late
            post("T03", 5000.0, Some(5100.0)), // ordered after 1 h: not required
        ],
        requests: vec![
            req(0, 3000.0, Some(3900.0)), // 15 min: ok
            req(1, 3000.0, Some(5400.0)), // 40 min: late
            req(2, 3000.0, None),         // never reached: late
            req(3, 6900.0, None),         // 5 min before the end: waiting, not scored
        ],
        end: 7200.0,
        ..Default::default()
    };
    // Items: 2 posts + 3 requests = 5; met: 1 + 1 = 2 → 40.
    let c = &card(&f).criteria[2];
    assert_eq!(c.score, 40.0);
    assert_eq!(c.measures["requests"], 3);
    assert_eq!(c.measures["requests_waiting"], 1);
    // 5 scored rows and the waiting request's row.
    assert_eq!(c.evidence.len(), 6);
}

#[test]
fn response_in_place_and_overall() {
    let hs = |id: &str, max: f64, after: Vec<(f64, f64)>| HotspotFacts {
        id: id.into(),
        name: id.into(),
        max_depth: max,
        after_rain: after,
        drainage_mm_h: 20.0,
        station: None,
    };
    let f = Facts {
        rain_stopped: Some(3600.0),
        hotspots: vec![
            hs(
                "H01",
                1.2,
                vec![(3660.0, 1.1), (7200.0, 0.4), (12000.0, 0.1)],
            ), // drained 2h20m after the rain: late
            hs("H02", 0.6, vec![(3660.0, 0.5), (5400.0, 0.1)]), // 30 min after: ok
            hs("H03", 0.05, vec![]),                            // never ponded: not counted
        ],
        requests: vec![
            RequestFacts {
                id: 0,
                t: 100.0,
                persons: 1,
                false_report: false,
                reached: Some(200.0),
                unit: Some("T01".into()),
                closed: Some((300.0, "rescued".into())),
                place: String::new(),
            },
            RequestFacts {
                id: 1,
                t: 100.0,
                persons: 1,
                false_report: true,
                reached: None,
                unit: None,
                closed: None,
                place: String::new(),
            },
        ],
        failures: vec![FailureFacts {
            unit: "PS01".into(),
            t: 1000.0,
            restored: None,
            compensated: Some(("R01".into(), 2000.0)),
        }],
        end: 14400.0,
        ..Default::default()
    };
    let k = card(&f);
    // Hotspots 1/2, requests closed 1/2, failures 1/1 → (0.5 + 0.5 + 1) / 3 = 66.67.
    let r = &k.criteria[3];
    assert!(
        (r.score - 66.67).abs() < 1e-9,
        "{} {:?}",
        r.score,
        r.evidence
    );
    // H01 holds 0.4 m at the deadline (3h): 400 mm at 20 mm/h is 20 h of drainage.
    assert!(
        r.summary.contains("H01") && r.summary.contains("0.40 m") && r.summary.contains("20 h"),
        "{}",
        r.summary
    );
    let h01 = r.evidence.iter().find(|e| e["hotspot"] == "H01").unwrap();
    assert_eq!(h01["hours_to_drain_by_drainage"], 20.0);
    // Warning: no zone at risk → 100; evacuation: nobody at risk → 100; forces: one of
    // two requests reached in time (the other is 3h58m old, unreached) → 50.
    let s: Vec<f64> = k.criteria.iter().map(|c| c.score).collect();
    assert_eq!(s[..3], [100.0, 100.0, 50.0]);
    // Overall: (100 + 100 + 50 + 66.67) / 4 = 79.17 → below the 80 pass mark.
    assert!((k.overall - 79.17).abs() < 1e-9, "{}", k.overall);
    assert!(!k.pass);
}

#[test]
fn a_live_card_says_not_yet_where_nothing_is_due() {
    // Ten minutes in: no zone has reached onset, nothing is posted, one request raised
    // 5 min ago and not reached (inside its 30 min), the rain still falling.
    let req = RequestFacts {
        id: 1,
        t: 300.0,
        persons: 3,
        false_report: false,
        reached: None,
        unit: None,
        closed: None,
        place: String::new(),
    };
    let live = Facts {
        zones: vec![zone("A")],
        requests: vec![req.clone()],
        end: 600.0,
        live: true,
        ..Default::default()
    };
    let k = card(&live);
    for c in &k.criteria {
        assert!(c.not_yet && !c.pass, "{}: {}", c.name, c.summary);
    }
    assert!(k.not_yet && !k.pass);
    let f = &k.criteria[2];
    assert_eq!(f.measures["requests_waiting"], 1);
    assert!(f.summary.contains("1 request waiting"), "{}", f.summary);
    // The same facts at the drill's end: nothing went wrong, so each judged-empty
    // criterion scores 100 as before; the request is still waiting (5 min old).
    let fin = Facts {
        live: false,
        ..live.clone()
    };
    let k = card(&fin);
    assert!(k.criteria.iter().all(|c| !c.not_yet) && !k.not_yet);
    assert_eq!(k.criteria[0].score, 100.0);
    // Once the request is 40 min old and unreached it is judged, live or not: 0 of 1.
    let late = Facts {
        end: 300.0 + 2400.0,
        ..live
    };
    let k = card(&late);
    let f = &k.criteria[2];
    assert!(!f.not_yet && !f.pass && f.score == 0.0, "{}", f.summary);
    // The overall weighs only what was judged, and gives no verdict while any is not yet.
    assert!(k.not_yet && !k.pass && k.overall == 0.0);
}
