//! The layers of `src/` (written in `src/lib.rs`) hold: no module imports one of a
//! higher layer or its own layer's other modules, and the modules inside each layer
//! import each other without a cycle. Read from the sources, so a new backward import
//! fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layer of each top-level module, lowest first (as `src/lib.rs` states them).
const LAYERS: &[(&str, u32)] = &[
    ("codec", 0),
    ("rng", 0),
    ("text", 0),
    ("world", 1),
    ("scenario", 2),
    ("hydro", 3),
    ("agents", 3),
    ("scoring", 3),
    ("forces", 4),
    ("exercise", 5),
    ("setup", 5),
    ("engine", 6),
    ("replay", 7),
    ("report", 8),
    ("run", 9),
    ("live", 10),
    ("gui", 11),
    ("ensemble", 10),
];

fn layer(m: &str) -> Option<u32> {
    LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src is readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file: `src/engine/hydro.rs` → `engine::hydro`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// Code lines of a file: comments and doc comments left out, and the test module
/// (`#[cfg(test)]` to the end of the file) too.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let line = match line.find("//") {
            Some(k) if !line[..k].contains('"') => &line[..k],
            _ => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::a::b` path a code text names, as `[a, b]` (`b` when present).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(k) = rest.find("crate::") {
        let before = rest[..k].chars().last();
        rest = &rest[k + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(inner) = rest.strip_prefix('{') {
            // `crate::{a::b, c}`: each item up to the matching brace.
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(inner.len(), |(k, _)| k);
            let mut depth = 0;
            let mut item = String::new();
            for c in inner[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let parts: Vec<String> = item
                            .split("::")
                            .map(|x| {
                                x.trim()
                                    .chars()
                                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                                    .collect::<String>()
                            })
                            .take(2)
                            .filter(|x| !x.is_empty())
                            .collect();
                        if !parts.is_empty() {
                            out.push(parts);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            continue;
        }
        let mut path = Vec::new();
        let mut s = rest;
        loop {
            let n = s
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(s.len());
            if n == 0 {
                break;
            }
            path.push(s[..n].to_string());
            if path.len() == 2 || !s[n..].starts_with("::") {
                break;
            }
            s = &s[n + 2..];
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// `(importing file, its top-level module, its second-level module, imported path)`.
fn imports() -> Vec<(PathBuf, String, Option<String>, Vec<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let m = module_of(&src, &f);
        let Some(top) = m.first().cloned() else {
            continue;
        };
        let text = std::fs::read_to_string(&f).expect("readable source");
        for p in crate_paths(&code(&text)) {
            out.push((f.clone(), top.clone(), m.get(1).cloned(), p));
        }
    }
    out
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&src).expect("src") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .expect("name")
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if name == "lib" || name == "main" || name == "bin" {
            continue;
        }
        if layer(&name).is_none() {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a layer (add them to LAYERS and to src/lib.rs): {missing:?}"
    );
}

#[test]
fn no_module_imports_its_own_layer_or_a_higher_one() {
    let mut wrong = BTreeSet::new();
    for (file, top, _, path) in imports() {
        let (Some(from), Some(to)) = (layer(&top), layer(&path[0])) else {
            continue;
        };
        if path[0] != top && to >= from {
            wrong.insert(format!(
                "{}: {top} (layer {from}) uses crate::{} (layer {to})",
                file.display(),
                path.join("::")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "backward imports:\n  {}",
        wrong.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_modules_inside_each_layer_import_each_other_without_a_cycle() {
    // Edges between second-level modules of the same top-level module, through
    // `crate::top::sub` and `super::sub` paths.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        if m.len() < 2 {
            continue;
        }
        let (top, sub) = (&m[0], &m[1]);
        let text = code(&std::fs::read_to_string(f).expect("readable"));
        let mut targets: Vec<String> = crate_paths(&text)
            .into_iter()
            .filter(|p| &p[0] == top && p.len() == 2)
            .map(|p| p[1].clone())
            .collect();
        if m.len() == 2 {
            let mut rest = text.as_str();
            while let Some(k) = rest.find("super::") {
                rest = &rest[k + "super::".len()..];
                let n = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                targets.push(rest[..n].to_string());
            }
        }
        for t in targets {
            let sibling = src.join(top).join(format!("{t}.rs")).exists()
                || src.join(top).join(&t).join("mod.rs").exists();
            if sibling && &t != sub {
                edges
                    .entry(format!("{top}::{sub}"))
                    .or_default()
                    .insert(format!("{top}::{t}"));
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let k = stack.iter().position(|s| s == n).unwrap_or(0);
                let mut cyc = stack[k..].to_vec();
                cyc.push(n.to_string());
                return Some(cyc);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut cycles = BTreeMap::new();
    for n in edges.keys() {
        let (mut state, mut stack) = (BTreeMap::new(), Vec::new());
        if let Some(c) = visit(n, &edges, &mut state, &mut stack) {
            let key: BTreeSet<String> = c.iter().cloned().collect();
            cycles.entry(key).or_insert_with(|| c.join(" → "));
        }
    }
    let cycles: Vec<String> = cycles.into_values().collect();
    assert!(
        cycles.is_empty(),
        "import cycles:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn the_parser_finds_crate_paths_in_code_only() {
    let c = code(
        "use crate::world::Grid; // crate::engine\n/// [`crate::run`]\nlet x = crate::hydro::f();\nuse crate::{agents::{A, B}, report};\n#[cfg(test)]\nuse crate::gui;",
    );
    let p = crate_paths(&c);
    let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        p,
        vec![
            s(&["world", "Grid"]),
            s(&["hydro", "f"]),
            s(&["agents"]),
            s(&["report"])
        ]
    );
}
