//! The console's language: Chinese and English side by side (the default), Chinese
//! only, or English only — the top bar's switch.
//!
//! How it works: every text the console shows is written bilingually, Chinese first
//! (`"导调 trainer — 注入 injects"`, `"水深 depth 0.23 m"`). [`pick`] keeps one language's
//! words of such a text: a word with a Chinese character is Chinese; a word of Latin
//! letters is English, except an identifier or a unit (a word with a digit, an
//! all-capital abbreviation such as `SOS` or `H3`, a word after a number such as the
//! `m` of `0.23 m`); everything else (numbers, times, symbols) stays in both. A text
//! with no word of the other language is left as it is (a unit's name, a place).
//! [`tr`] applies the language chosen, which is kept process-wide so that every panel
//! and painter can reach it without a parameter.

use std::sync::atomic::{AtomicU8, Ordering};

/// Which language the console shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese and English side by side.
    #[default]
    Both,
    /// Chinese only.
    Zh,
    /// English only.
    En,
}

impl Lang {
    /// Every language, in the switch's order.
    pub const ALL: [Lang; 3] = [Lang::Both, Lang::Zh, Lang::En];

    /// The switch's label.
    pub fn label(self) -> &'static str {
        match self {
            Lang::Both => "中文 + English",
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }
}

static LANG: AtomicU8 = AtomicU8::new(0);

/// Choose the console's language.
pub fn set(l: Lang) {
    LANG.store(l as u8, Ordering::Relaxed);
}

/// The console's language.
pub fn get() -> Lang {
    match LANG.load(Ordering::Relaxed) {
        1 => Lang::Zh,
        2 => Lang::En,
        _ => Lang::Both,
    }
}

/// `text` in the console's language.
pub fn tr(text: &str) -> String {
    pick(get(), text)
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zh,
    En,
    Both,
}

fn is_number(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || ".,:+-−×%~≈<>≤≥()".contains(c))
}

fn kind(w: &str, prev: Option<&str>) -> Kind {
    if w.chars().any(is_cjk) {
        return Kind::Zh;
    }
    let letters = w.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if letters == 0 {
        return Kind::Both;
    }
    let core: &str = w.trim_matches(|c: char| !c.is_alphanumeric());
    let abbreviation = core
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && core.chars().any(|c| c.is_ascii_uppercase());
    let id_or_number = w.chars().any(|c| c.is_ascii_digit());
    let unit_after_number = prev.is_some_and(is_number) && core.len() <= 5;
    if abbreviation || id_or_number || unit_after_number {
        Kind::Both
    } else {
        Kind::En
    }
}

/// A word left with nothing to separate: a dash, a dot, a bar.
fn is_separator(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| "—–-·|/:;,".contains(c))
}

/// `text` in language `lang` (see the module's notes).
pub fn pick(lang: Lang, text: &str) -> String {
    let drop = match lang {
        Lang::Both => return text.to_string(),
        Lang::Zh => Kind::En,
        Lang::En => Kind::Zh,
    };
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let words: Vec<&str> = line.split(' ').collect();
        let kinds: Vec<Kind> = words
            .iter()
            .enumerate()
            .map(|(i, w)| kind(w, i.checked_sub(1).map(|j| words[j])))
            .collect();
        let keep = if drop == Kind::En { Kind::Zh } else { Kind::En };
        if !kinds.contains(&keep) || !kinds.contains(&drop) {
            lines.push(line.to_string());
            continue;
        }
        let mut out: Vec<&str> = Vec::new();
        for (w, k) in words.iter().zip(&kinds) {
            if *k == drop || w.is_empty() {
                continue;
            }
            if is_separator(w) && out.last().is_none_or(|l| is_separator(l)) {
                continue;
            }
            out.push(w);
        }
        while out.last().is_some_and(|l| is_separator(l)) {
            out.pop();
        }
        lines.push(out.join(" "));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_language_keeps_its_words_and_the_numbers_ids_and_units() {
        let t = "导调 trainer — 注入 injects";
        assert_eq!(pick(Lang::Zh, t), "导调 — 注入");
        assert_eq!(pick(Lang::En, t), "trainer — injects");
        assert_eq!(pick(Lang::Both, t), t);
        let t = "格 cell 3,4: 水深 depth 0.23 m · H3";
        assert_eq!(pick(Lang::Zh, t), "格 3,4: 水深 0.23 m · H3");
        assert_eq!(pick(Lang::En, t), "cell 3,4: depth 0.23 m · H3");
        let t = "点击地图派遣 T01 — click the map to send it";
        assert_eq!(pick(Lang::Zh, t), "点击地图派遣 T01");
        assert_eq!(pick(Lang::En, t), "T01 — click the map to send it");
        // A text in one language only is left alone.
        assert_eq!(pick(Lang::Zh, "Rescue Team 1"), "Rescue Team 1");
        assert_eq!(pick(Lang::En, "东湖社区"), "东湖社区");
        assert_eq!(pick(Lang::En, "SOS 4"), "SOS 4");
        // Lines are picked one by one.
        assert_eq!(pick(Lang::En, "雨 rain\nT01 standby"), "rain\nT01 standby");
    }

    /// True if a word of `text` is of kind `k`.
    fn has(text: &str, k: Kind) -> bool {
        text.split('\n').any(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            (0..words.len()).any(|i| kind(words[i], i.checked_sub(1).map(|j| words[j])) == k)
        })
    }

    #[test]
    fn every_bilingual_text_of_the_console_splits_into_both_languages() {
        // Every string literal in the console's sources with a Chinese character.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gui");
        let mut checked = 0;
        let mut bad = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "rs") || path.ends_with("fonts.rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            for (k, lit) in src.split('"').enumerate() {
                if k % 2 == 0 || !lit.chars().any(is_cjk) || path.ends_with("lang.rs") {
                    continue;
                }
                let (zh, en) = (pick(Lang::Zh, lit), pick(Lang::En, lit));
                if has(&zh, Kind::En)
                    || en.chars().any(is_cjk)
                    || zh.trim().is_empty()
                    || en.trim().is_empty()
                {
                    bad.push(format!("{}: {lit:?} → {zh:?} / {en:?}", path.display()));
                }
                checked += 1;
            }
        }
        assert!(
            bad.is_empty(),
            "texts that do not split:\n{}",
            bad.join("\n")
        );
        assert!(checked > 100, "only {checked} texts found");
    }
}
