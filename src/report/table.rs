//! Terminal tables that line up with Chinese text: widths are counted in terminal
//! columns (CJK characters take two), not in bytes or chars.

use super::RunSummary;

/// Display width of a string in terminal columns.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Pad to `width` terminal columns.
pub fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// A two-column table with a title, aligned for CJK.
pub fn key_value_table(title: &str, rows: &[(String, String)]) -> String {
    let kw = rows.iter().map(|r| display_width(&r.0)).max().unwrap_or(0);
    let vw = rows.iter().map(|r| display_width(&r.1)).max().unwrap_or(0);
    let inner = (kw + vw + 3).max(display_width(title));
    let mut out = String::new();
    out.push_str(&format!("┌{}┐\n", "─".repeat(inner + 2)));
    out.push_str(&format!("│ {} │\n", pad(title, inner)));
    out.push_str(&format!("├{}┤\n", "─".repeat(inner + 2)));
    for (k, v) in rows {
        out.push_str(&format!(
            "│ {} │ {} │\n",
            pad(k, kw),
            pad(v, inner - kw - 3)
        ));
    }
    out.push_str(&format!("└{}┘", "─".repeat(inner + 2)));
    out
}

/// The end-of-run summary.
pub fn summary_table(s: &RunSummary) -> String {
    let mut rows = vec![
        (
            "status".to_string(),
            format!("{:?}", s.status).to_lowercase(),
        ),
        ("sim time".to_string(), s.sim_time.clone()),
        ("ticks".to_string(), format!("{} × {} s", s.ticks, s.tick_s)),
        (
            "wall time".to_string(),
            format!(
                "{:.2} s (×{:.0} real time)",
                s.wall_time_s, s.realtime_factor
            ),
        ),
        ("threads".to_string(), s.threads.to_string()),
        ("seed".to_string(), s.seed.to_string()),
        (
            "state digest".to_string(),
            s.final_state_digest[..16.min(s.final_state_digest.len())].to_string(),
        ),
    ];
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in &s.figures {
        // Where the wall time went has a table of its own (`run --profile`).
        if k == "profile" {
            continue;
        }
        let v = match v {
            serde_json::Value::String(t) => t.clone(),
            serde_json::Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if x == 0.0 || (x.abs() >= 0.01 && x.abs() < 1e9) {
                    format!("{x:.3}")
                } else {
                    format!("{x:.3e}")
                }
            }
            serde_json::Value::Object(m) => m
                .iter()
                .filter(|(_, v)| v.as_f64() != Some(0.0))
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            // A list is printed under the table, one line per item (the first
            // `LIST_LINES`; all of them are in summary.json).
            serde_json::Value::Array(a) => {
                if !a.is_empty() {
                    let mut lines: Vec<String> = a.iter().take(LIST_LINES).map(list_line).collect();
                    if a.len() > LIST_LINES {
                        lines.push(format!(
                            "… {} more (summary.json) 另有 {} 项",
                            a.len() - LIST_LINES,
                            a.len() - LIST_LINES
                        ));
                    }
                    blocks.push((k.clone(), lines));
                }
                continue;
            }
            other => other.to_string(),
        };
        rows.push((k.clone(), v));
    }
    if !s.not_yet_simulated.is_empty() {
        rows.push((
            "validated, not yet simulated".into(),
            s.not_yet_simulated.join(", "),
        ));
    }
    if !s.diagnostics.is_empty() {
        rows.push(("retried sub-steps".into(), s.diagnostics.len().to_string()));
    }
    let mut out = key_value_table(&s.scenario, &rows);
    for (k, lines) in blocks {
        out.push_str(&format!("\n{k}:"));
        for l in lines {
            out.push_str(&format!("\n  {l}"));
        }
    }
    out
}

/// Items of a list figure printed under the summary table.
const LIST_LINES: usize = 10;

/// One item of a list figure as a line: a string as it is; an object as its `id` (if
/// any) then `key value` pairs, numbers to 2 decimals.
fn list_line(v: &serde_json::Value) -> String {
    let num = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            format!("{:.2}", n.as_f64().unwrap_or(f64::NAN))
        }
        serde_json::Value::String(t) => t.clone(),
        other => other.to_string(),
    };
    match v {
        serde_json::Value::Object(m) => {
            let rest = m
                .iter()
                .filter(|(k, _)| k.as_str() != "id")
                .map(|(k, v)| format!("{k} {}", num(v)))
                .collect::<Vec<_>>()
                .join(", ");
            match m.get("id") {
                Some(id) => format!("{}: {rest}", num(id)),
                None => rest,
            }
        }
        other => num(other),
    }
}

/// A table with a header row, aligned for CJK; long cells are kept whole.
pub fn grid_table(title: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut w: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for r in rows {
        for (k, c) in r.iter().enumerate().take(n) {
            w[k] = w[k].max(display_width(c));
        }
    }
    let inner: usize = w.iter().sum::<usize>() + 3 * (n.saturating_sub(1));
    let inner = inner.max(display_width(title));
    let extra = inner - (w.iter().sum::<usize>() + 3 * (n.saturating_sub(1)));
    if let Some(last) = w.last_mut() {
        *last += extra;
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells.iter().zip(&w).map(|(c, &wd)| pad(c, wd)).collect();
        format!("│ {} │\n", parts.join(" │ "))
    };
    let mut out = String::new();
    out.push_str(&format!("┌{}┐\n", "─".repeat(inner + 2)));
    out.push_str(&format!("│ {} │\n", pad(title, inner)));
    out.push_str(&format!("├{}┤\n", "─".repeat(inner + 2)));
    out.push_str(&line(
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    ));
    out.push_str(&format!("├{}┤\n", "─".repeat(inner + 2)));
    for r in rows {
        let mut cells = r.clone();
        cells.resize(n, String::new());
        out.push_str(&line(&cells));
    }
    out.push_str(&format!("└{}┘", "─".repeat(inner + 2)));
    out
}

/// The four-in-place scorecard: one row per criterion, then the evidence of each
/// failed criterion (at most `max_evidence` items each).
pub fn scorecard_table(card: &crate::scoring::Scorecard, max_evidence: usize) -> String {
    let mut rows: Vec<Vec<String>> = card
        .criteria
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                if c.not_yet {
                    "—".to_string()
                } else {
                    format!("{:.1}", c.score)
                },
                format!("{:.0}", c.weight),
                if c.not_yet {
                    "尚无 not yet"
                } else if c.pass {
                    "通过 pass"
                } else {
                    "未通过 FAIL"
                }
                .to_string(),
                c.summary.clone(),
            ]
        })
        .collect();
    rows.push(vec![
        "总分 overall".into(),
        if card.not_yet && card.criteria.iter().all(|c| c.not_yet) {
            "—".to_string()
        } else {
            format!("{:.1}", card.overall)
        },
        String::new(),
        if card.not_yet {
            "尚无 not yet"
        } else if card.pass {
            "通过 pass"
        } else {
            "未通过 FAIL"
        }
        .to_string(),
        if card.not_yet {
            format!(
                "pass mark {:.0}; {} of {} criteria judged so far",
                card.pass_mark,
                card.criteria.iter().filter(|c| !c.not_yet).count(),
                card.criteria.len()
            )
        } else {
            format!("pass mark {:.0}", card.pass_mark)
        },
    ]);
    let mut out = grid_table(
        "四到位评分 four-in-place scorecard",
        &["criterion", "score", "weight", "result", "evidence"],
        &rows,
    );
    for c in card.criteria.iter().filter(|c| !c.pass && !c.not_yet) {
        out.push_str(&format!("\n{} — evidence:", c.name));
        let failing: Vec<&serde_json::Value> = c
            .evidence
            .iter()
            .filter(|e| e.get("pass").and_then(|p| p.as_bool()) != Some(true))
            .collect();
        for e in failing.iter().take(max_evidence) {
            out.push_str(&format!("\n  {}", evidence_line(e)));
        }
        if failing.len() > max_evidence {
            out.push_str(&format!(
                "\n  … {} more in scorecard.json",
                failing.len() - max_evidence
            ));
        }
    }
    out
}

/// One evidence item as `key value` pairs.
pub fn evidence_line(e: &serde_json::Value) -> String {
    const FIRST: [&str; 7] = [
        "zone", "hotspot", "request", "unit", "failed", "shelter", "why",
    ];
    match e.as_object() {
        Some(m) => FIRST
            .iter()
            .filter_map(|k| m.get_key_value(*k))
            .chain(m.iter().filter(|(k, _)| !FIRST.contains(&k.as_str())))
            .filter(|(k, v)| !v.is_null() && !k.ends_with("_s") && *k != "pass")
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k} {s}"),
                other => format!("{k} {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => e.to_string(),
    }
}

/// What `floodrill compare` prints: where the runs part, the scorecards side by side,
/// and what changed on the ground.
pub fn comparison_text(c: &crate::replay::compare::Comparison) -> String {
    let mut out = format!("A: {}\nB: {}\n", c.a, c.b);
    for line in c.divergence_lines() {
        out.push_str(&line);
        out.push('\n');
    }
    let (a, b) = (&c.scorecard_a, &c.scorecard_b);
    let verdict = |p: bool| if p { "pass" } else { "FAIL" };
    let mut rows: Vec<Vec<String>> = a
        .criteria
        .iter()
        .map(|ca| {
            let cb = b.criteria.iter().find(|x| x.id == ca.id);
            vec![
                ca.name.clone(),
                format!("{:.1} {}", ca.score, verdict(ca.pass)),
                cb.map_or("-".into(), |x| {
                    format!("{:.1} {}", x.score, verdict(x.pass))
                }),
                cb.map_or("-".into(), |x| format!("{:+.1}", x.score - ca.score)),
            ]
        })
        .collect();
    rows.push(vec![
        "总分 overall".into(),
        format!("{:.1} {}", a.overall, verdict(a.pass)),
        format!("{:.1} {}", b.overall, verdict(b.pass)),
        format!("{:+.1}", b.overall - a.overall),
    ]);
    out.push_str(&grid_table(
        "四到位 scorecards at the end",
        &["criterion", "A", "B", "B − A"],
        &rows,
    ));
    out.push('\n');
    let h = &c.households;
    let mut rows = Vec::new();
    for (k, va) in &h.persons_a {
        let vb = h.persons_b.get(k).cloned().unwrap_or_default();
        let (x, y) = (va.as_i64().unwrap_or(0), vb.as_i64().unwrap_or(0));
        if x != 0 || y != 0 {
            rows.push(vec![
                k.clone(),
                x.to_string(),
                y.to_string(),
                format!("{:+}", y - x),
            ]);
        }
    }
    out.push_str(&grid_table(
        "persons by final state",
        &["state", "A", "B", "B − A"],
        &rows,
    ));
    out.push('\n');
    let m = &c.max_depth;
    out.push_str(&format!(
        "households: {} fare better in B, {} worse (diff_households.png: green better, red worse)\n\
         maximum depth: {} cells deeper in B by ≥ {:.2} m (up to {:.2} m), {} shallower (up to {:.2} m) (diff_max_depth.png: red deeper, blue shallower)",
        h.better_in_b,
        h.worse_in_b,
        m.deeper_cells,
        crate::replay::compare::DEPTH_TOLERANCE_M,
        m.max_increase_m,
        m.shallower_cells,
        m.max_decrease_m
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_counts_double() {
        assert_eq!(display_width("预警到位"), 8);
        assert_eq!(display_width("ab预"), 4);
        let t = key_value_table(
            "演练",
            &[("名称".into(), "x".into()), ("ab".into(), "东湖".into())],
        );
        let widths: Vec<usize> = t.lines().map(display_width).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{t}");
    }

    /// A list of objects (the network's notable manholes) goes under the table, a line
    /// per item and at most `LIST_LINES` of them, instead of widening the table to its
    /// JSON.
    #[test]
    fn list_figures_go_under_the_table() {
        let nodes: Vec<serde_json::Value> = (0..14)
            .map(|k| serde_json::json!({"id": format!("J{k:04}"), "flooded_m3": 871.6485 + k as f64, "rim_m": 6.14}))
            .collect();
        let line = list_line(&nodes[0]);
        assert_eq!(line, "J0000: flooded_m3 871.65, rim_m 6.14");
        let lines: Vec<String> = nodes.iter().take(LIST_LINES).map(list_line).collect();
        let t = key_value_table("演练", &[("status".into(), "completed".into())]);
        // The table itself stays narrow whatever the list holds.
        assert!(t.lines().all(|l| display_width(l) < 40), "{t}");
        assert_eq!(lines.len(), LIST_LINES);
        assert_eq!(list_line(&serde_json::json!("a line")), "a line");
    }
}
