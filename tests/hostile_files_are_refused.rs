//! Hostile scenario files are refused with exit 2 and a message, never a hang, a
//! memory blow-up or a stack overflow (issue 11, the file parsers).

mod common;

use common::*;

fn validate_text(bytes: &[u8]) -> (i32, String) {
    let dir = mini_copy();
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, bytes).unwrap();
    let (code, _out, err) = floodrill(&["validate", path.to_str().unwrap()]);
    (code, err)
}

#[test]
fn stray_slash_in_scenario_is_reported_not_a_memory_blowup() {
    let text = mini_with(
        "name: \"小区演练 mini drill\",",
        "name: \"x\", / a single slash",
    );
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ron:5:"), "{err}");
}

#[test]
fn hundred_thousand_nested_brackets_exit_2_without_a_crash() {
    let deep = format!("{}{}", "(".repeat(100_000), "[".repeat(100_000));
    let text = mini_with("description:", &format!("description: {deep} x:"));
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ron:"), "{err}");
}

#[test]
fn scenario_with_a_utf8_bom_validates() {
    let mut b = "\u{feff}".as_bytes().to_vec();
    b.extend_from_slice(mini_with("tick: \"10s\"", "tick: \"10s\"").as_bytes());
    let (code, err) = validate_text(&b);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn gbk_byte_in_scenario_is_located_and_says_save_as_utf8() {
    let text = mini_with("name: \"小区演练 mini drill\"", "name: \"GBK\"");
    let mut b = text.replacen("GBK", "\u{1}", 1).into_bytes();
    let at = b.iter().position(|&c| c == 1).unwrap();
    b[at] = 0xC3;
    let (code, err) = validate_text(&b);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.ron:5:16:") && err.contains("save the file as UTF-8"),
        "{err}"
    );
}

#[test]
fn one_hour_sixty_minutes_is_refused_with_the_canonical_form() {
    let text = mini_with("duration: \"1h\"", "duration: \"1h60m\"");
    let (code, err) = validate_text(text.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("meta.duration") && err.contains("write \"2h\""),
        "{err}"
    );
}
