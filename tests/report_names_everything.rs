//! The after-action report: one self-contained `report.html` that names every
//! criterion of the scorecard and every inject of the run, with its charts and maps
//! embedded, and the maps also as PNG files. (No golden HTML: the checks are on what a
//! reviewer must find in it.)

mod common;

#[test]
fn report_names_every_criterion_and_inject_and_embeds_its_maps() {
    // A second inject from a command stream, and a trainee order.
    let (_dir, out, code, o, e) = common::run_mini_with_orders(
        "10m inject CommOutage(zones: [\"Z02\"], duration: \"15m\")\n\
         12m Dispatch(unit: \"T01\", to: Place(\"H01\"))\n",
        &["--quiet"],
    );
    assert_eq!(code, 0, "{o}{e}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("scorecard.json")).unwrap())
            .unwrap();
    for c in card["criteria"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        assert!(html.contains(name), "criterion {name} missing");
    }
    // Every inject applied in the run, from the scenario and from the stream.
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let injects: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["kind"] == "inject")
        .collect();
    assert_eq!(injects.len(), 2);
    for i in &injects {
        let id = i["detail"]["id"].as_str().unwrap();
        assert!(html.contains(id), "inject {id} missing");
    }
    // Read as sentences, not JSON: what the inject does, in both languages.
    assert!(
        html.contains("泵站/机器人故障") && html.contains("communication outage"),
        "injects described"
    );
    assert!(!html.contains("{\"PumpFailure"), "no JSON on the timeline");
    // The overview lists the participants; evidence and timeline rows link to their
    // moment.
    assert!(html.contains("演练概况 Exercise overview"));
    assert!(html.contains("class=go"), "moment links");
    // Self-contained: no external resources; charts and maps inline.
    for bad in ["<script src", "<link ", "src=\"http", "url(http"] {
        assert!(!html.contains(bad), "external resource: {bad}");
    }
    assert!(html.matches("<svg").count() >= 4, "charts");
    assert_eq!(html.matches("data:image/png;base64,").count(), 3, "maps");
    for m in ["max_depth.png", "outcomes.png", "tracks.png"] {
        let png = std::fs::read(out.join("maps").join(m)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{m}");
    }
    assert!(html.contains("改进计划"));
}
