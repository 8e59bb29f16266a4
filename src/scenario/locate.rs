//! Where each value sits in a RON file, so that checks made after parsing (a team's
//! depot that does not exist, a raster of the wrong extent) can point at the line
//! and column of the offending field.
//!
//! How it works: a small tokenizer walks the RON text once and records, for every
//! value, its path (`forces.teams[2].depot`) and the position where the value starts.
//! Enum variant names and `Some(…)` are transparent: the value inside `Place("S01")`
//! is recorded at the path of the variant and at `…[0]`. The parser is forgiving —
//! the file has already been parsed by `ron`, so it only needs to be right on valid
//! input.

use std::collections::BTreeMap;

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column (characters), from 1.
    pub col: usize,
}

/// Map from field path to the position of its value.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    spots: BTreeMap<String, Pos>,
}

impl Locator {
    /// Index a RON text.
    pub fn new(text: &str) -> Self {
        let toks = tokenize(text);
        let mut loc = Locator::default();
        let mut p = Walker {
            toks: &toks,
            i: 0,
            depth: 0,
        };
        p.value("", &mut loc);
        loc
    }

    /// Position of the value at `path`, or of its nearest recorded ancestor.
    pub fn find(&self, path: &str) -> Pos {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.spots.get(&p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(k) => p.truncate(k),
                None => {
                    return self
                        .spots
                        .get("")
                        .copied()
                        .unwrap_or(Pos { line: 1, col: 1 });
                }
            }
        }
    }

    /// Position of the value at `path`, only if recorded exactly.
    pub fn get(&self, path: &str) -> Option<Pos> {
        self.spots.get(path).copied()
    }

    fn record(&mut self, path: &str, pos: Pos) {
        self.spots.entry(path.to_string()).or_insert(pos);
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open(char),
    Close(char),
    Comma,
    Colon,
    Ident(String),
    Str(String),
    Other,
}

fn tokenize(text: &str) -> Vec<(Tok, Pos)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    // Every branch below advances at least one character (so the loop ends) and never
    // reads past the end (so a file cut anywhere is fine).
    let adv = |i: &mut usize, line: &mut usize, col: &mut usize, chars: &[char]| {
        let Some(&c) = chars.get(*i) else {
            return;
        };
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            adv(&mut i, &mut line, &mut col, &chars);
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                adv(&mut i, &mut line, &mut col, &chars);
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    adv(&mut i, &mut line, &mut col, &chars);
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    adv(&mut i, &mut line, &mut col, &chars);
                    if depth == 0 {
                        adv(&mut i, &mut line, &mut col, &chars);
                        break;
                    }
                }
                adv(&mut i, &mut line, &mut col, &chars);
            }
        } else if c == '"' {
            adv(&mut i, &mut line, &mut col, &chars);
            let mut s = String::new();
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    adv(&mut i, &mut line, &mut col, &chars);
                }
                s.push(chars[i]);
                adv(&mut i, &mut line, &mut col, &chars);
            }
            if i < chars.len() {
                adv(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Str(s), pos));
        } else if c == 'r' && matches!(chars.get(i + 1), Some('#') | Some('"')) {
            adv(&mut i, &mut line, &mut col, &chars);
            let mut hashes = 0;
            while i < chars.len() && chars[i] == '#' {
                hashes += 1;
                adv(&mut i, &mut line, &mut col, &chars);
            }
            adv(&mut i, &mut line, &mut col, &chars); // opening quote
            let mut s = String::new();
            while i < chars.len() {
                if chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        adv(&mut i, &mut line, &mut col, &chars);
                    }
                    break;
                }
                s.push(chars[i]);
                adv(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Str(s), pos));
        } else if c == '\'' {
            adv(&mut i, &mut line, &mut col, &chars);
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    adv(&mut i, &mut line, &mut col, &chars);
                }
                adv(&mut i, &mut line, &mut col, &chars);
            }
            if i < chars.len() {
                adv(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Other, pos));
        } else if matches!(c, '(' | '[' | '{') {
            adv(&mut i, &mut line, &mut col, &chars);
            out.push((Tok::Open(c), pos));
        } else if matches!(c, ')' | ']' | '}') {
            adv(&mut i, &mut line, &mut col, &chars);
            out.push((Tok::Close(c), pos));
        } else if c == ',' {
            adv(&mut i, &mut line, &mut col, &chars);
            out.push((Tok::Comma, pos));
        } else if c == ':' {
            adv(&mut i, &mut line, &mut col, &chars);
            out.push((Tok::Colon, pos));
        } else if c.is_alphabetic() || c == '_' {
            let mut s = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                s.push(chars[i]);
                adv(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Ident(s), pos));
        } else if c == '#' && chars.get(i + 1) == Some(&'!') {
            // `#![enable(...)]` attribute: skip to the closing bracket.
            while i < chars.len() && chars[i] != ']' {
                adv(&mut i, &mut line, &mut col, &chars);
            }
            if i < chars.len() {
                adv(&mut i, &mut line, &mut col, &chars);
            }
        } else {
            // Anything else (a number, a stray `/`, `#`, `-`): at least this character,
            // then up to the next delimiter.
            adv(&mut i, &mut line, &mut col, &chars);
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(
                    chars[i],
                    '(' | ')' | '[' | ']' | '{' | '}' | ',' | ':' | '/'
                )
            {
                adv(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Other, pos));
        }
    }
    out
}

/// Deepest bracket nesting the locator follows. `ron` refuses nesting deeper than its
/// recursion limit (128) before the locator runs on valid files, so this only stops a
/// hostile file (100,000 `(`) from overflowing the stack while an error is located;
/// below the limit every position is still recorded.
pub const MAX_DEPTH: usize = 256;

struct Walker<'a> {
    toks: &'a [(Tok, Pos)],
    i: usize,
    /// Brackets currently open.
    depth: usize,
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

impl Walker<'_> {
    fn peek(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.i + k).map(|t| &t.0)
    }

    fn value(&mut self, path: &str, loc: &mut Locator) {
        let Some((tok, pos)) = self.toks.get(self.i).cloned() else {
            return;
        };
        loc.record(path, pos);
        match tok {
            Tok::Ident(_) if self.peek(1) == Some(&Tok::Open('(')) => {
                self.i += 1;
                self.group(path, loc);
            }
            Tok::Open('(') | Tok::Open('[') | Tok::Open('{') => self.group(path, loc),
            _ => self.i += 1,
        }
    }

    /// At an opening bracket: a struct `(a: 1)`, tuple `(1, 2)`, list `[..]` or map `{..}`.
    fn group(&mut self, path: &str, loc: &mut Locator) {
        let Some((Tok::Open(open), _)) = self.toks.get(self.i).cloned() else {
            return;
        };
        if self.depth >= MAX_DEPTH {
            // Stop locating: nothing after this point is recorded, positions already
            // recorded stay, and the stack stays bounded.
            self.i = self.toks.len();
            return;
        }
        self.depth += 1;
        self.group_body(open, path, loc);
        self.depth -= 1;
    }

    fn group_body(&mut self, open: char, path: &str, loc: &mut Locator) {
        self.i += 1;
        let named = open == '('
            && matches!(self.peek(0), Some(Tok::Ident(_)))
            && self.peek(1) == Some(&Tok::Colon);
        let mut index = 0usize;
        loop {
            match self.peek(0) {
                None => return,
                Some(Tok::Close(_)) => {
                    self.i += 1;
                    return;
                }
                Some(Tok::Comma) => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            if named {
                let field = match self.peek(0) {
                    Some(Tok::Ident(f)) => f.clone(),
                    _ => {
                        self.i += 1;
                        continue;
                    }
                };
                self.i += 1;
                if self.peek(0) == Some(&Tok::Colon) {
                    self.i += 1;
                }
                let p = join(path, &field);
                self.value(&p, loc);
            } else if open == '{' {
                let key = match self.toks.get(self.i).map(|t| &t.0) {
                    Some(Tok::Str(s)) | Some(Tok::Ident(s)) => s.clone(),
                    _ => index.to_string(),
                };
                self.value(&format!("{path}#key{index}"), loc);
                if self.peek(0) == Some(&Tok::Colon) {
                    self.i += 1;
                }
                let p = join(path, &key);
                self.value(&p, loc);
                index += 1;
            } else {
                let p = format!("{path}[{index}]");
                self.value(&p, loc);
                index += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields() {
        let text = r#"// comment
Scenario(
    meta: (name: "演练", seed: 1),
    forces: (
        teams: [
            (id: "T01", depot: "D01"),
            (id: "T02", depot: Some("D09")),
        ],
    ),
    plan: [ (when: SensorAbove("WL1", 0.2), then: [Warn(zones: ["Z01"], channel: "sms")]) ],
)"#;
        let l = Locator::new(text);
        assert_eq!(l.find("meta.name"), Pos { line: 3, col: 18 });
        assert_eq!(l.find("forces.teams[1].depot"), Pos { line: 7, col: 32 });
        assert_eq!(l.find("forces.teams[1].depot[0]"), Pos { line: 7, col: 37 });
        assert_eq!(l.find("plan[0].when[0]"), Pos { line: 10, col: 32 });
        assert_eq!(
            l.find("plan[0].then[0].zones[0]"),
            Pos { line: 10, col: 65 }
        );
        // Unknown deeper paths fall back to the nearest ancestor.
        assert_eq!(l.find("forces.teams[1].nothing"), Pos { line: 7, col: 13 });
    }

    #[test]
    fn stray_slash_is_one_token_not_an_endless_loop() {
        let text = "Scenario(meta: (name: \"x\", / a single slash";
        let toks = tokenize(text);
        assert!(toks.len() < text.len(), "{} tokens", toks.len());
        let l = Locator::new(text);
        assert_eq!(l.find("meta.name"), Pos { line: 1, col: 23 });
    }

    #[test]
    fn every_cut_of_a_file_terminates() {
        // Each prefix ends somewhere awkward: inside a raw string, an escape, a char
        // literal, a comment, after `r#`.
        let text = "Scenario(a: r#\"x\"#, b: '\\'', c: \"q\\\"\", /* c /* n */ */ d: 1/2, e: r#";
        for k in 0..=text.len() {
            if text.is_char_boundary(k) {
                let toks = tokenize(&text[..k]);
                assert!(toks.len() <= k, "prefix {k}: {} tokens", toks.len());
                let _ = Locator::new(&text[..k]);
            }
        }
    }

    #[test]
    fn deep_nesting_stops_locating_without_overflowing() {
        let mut text = String::from("Scenario(meta: (name: \"x\"), deep: ");
        text.push_str(&"(".repeat(100_000));
        text.push_str(&"[".repeat(100_000));
        let l = Locator::new(&text);
        assert_eq!(l.find("meta.name"), Pos { line: 1, col: 23 });
        // Run on a small stack, as a worker thread would have.
        let t = text.clone();
        std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || Locator::new(&t).get("meta.name"))
            .unwrap()
            .join()
            .unwrap();
    }
}
