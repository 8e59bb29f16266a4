//! The CJK font the HTML pages carry, so Chinese shows on a machine without CJK fonts:
//! WenQuanYi Micro Hei (Apache-2.0, `assets/fonts/`), whose collection (`.ttc`) browsers
//! refuse in `@font-face`; its first face is taken out as a plain TrueType font and
//! embedded as a data URL.

use std::sync::OnceLock;

use base64::Engine as _;

/// The bundled collection.
pub(crate) const CJK_TTC: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

/// The family name the pages use for the embedded font.
pub const FAMILY: &str = "floodrill CJK";

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// The first face of a TrueType collection as a stand-alone TrueType font: its table
/// directory with the tables copied after it (4-byte aligned, offsets rewritten).
/// `None` if `ttc` is not a well-formed collection.
pub fn first_face(ttc: &[u8]) -> Option<Vec<u8>> {
    if ttc.get(..4)? != b"ttcf" || be32(ttc, 8)? == 0 {
        return None;
    }
    let off = be32(ttc, 12)? as usize;
    let n = be16(ttc, off + 4)? as usize;
    let dir_len = 12 + 16 * n;
    let mut out = ttc.get(off..off + 12)?.to_vec();
    let mut dirs = Vec::with_capacity(16 * n);
    let mut body = Vec::new();
    for k in 0..n {
        let r = off + 12 + 16 * k;
        let (tag, sum) = (ttc.get(r..r + 4)?, be32(ttc, r + 4)?);
        let (at, len) = (be32(ttc, r + 8)? as usize, be32(ttc, r + 12)? as usize);
        let table = ttc.get(at..at.checked_add(len)?)?;
        dirs.extend_from_slice(tag);
        dirs.extend_from_slice(&sum.to_be_bytes());
        dirs.extend_from_slice(&((dir_len + body.len()) as u32).to_be_bytes());
        dirs.extend_from_slice(&(len as u32).to_be_bytes());
        body.extend_from_slice(table);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    out.extend_from_slice(&dirs);
    out.extend_from_slice(&body);
    Some(out)
}

/// The tables of a TrueType font by tag: (offset, length) into it.
fn tables(ttf: &[u8]) -> Option<std::collections::BTreeMap<[u8; 4], (usize, usize)>> {
    let n = be16(ttf, 4)? as usize;
    let mut t = std::collections::BTreeMap::new();
    for k in 0..n {
        let r = 12 + 16 * k;
        let tag: [u8; 4] = ttf.get(r..r + 4)?.try_into().ok()?;
        let (at, len) = (be32(ttf, r + 8)? as usize, be32(ttf, r + 12)? as usize);
        ttf.get(at..at.checked_add(len)?)?;
        t.insert(tag, (at, len));
    }
    Some(t)
}

/// The glyph of a character in a `cmap` table (its Windows Unicode subtable: format 4
/// or 12), 0 if none.
fn glyph_of(cmap: &[u8], c: u32) -> Option<u16> {
    let n = be16(cmap, 2)? as usize;
    let mut best: Option<(u16, usize)> = None;
    for k in 0..n {
        let r = 4 + 8 * k;
        let (pid, eid, off) = (
            be16(cmap, r)?,
            be16(cmap, r + 2)?,
            be32(cmap, r + 4)? as usize,
        );
        let fmt = be16(cmap, off)?;
        if (pid == 3 && (eid == 1 || eid == 10) || pid == 0) && (fmt == 4 || fmt == 12) {
            // Format 12 covers beyond the BMP; prefer it.
            if best.is_none_or(|b| fmt > b.0) {
                best = Some((fmt, off));
            }
        }
    }
    let (fmt, off) = best?;
    let t = cmap.get(off..)?;
    if fmt == 12 {
        let groups = be32(t, 12)? as usize;
        for g in 0..groups {
            let r = 16 + 12 * g;
            let (a, b, gid) = (be32(t, r)?, be32(t, r + 4)?, be32(t, r + 8)?);
            if (a..=b).contains(&c) {
                return u16::try_from(gid + (c - a)).ok();
            }
        }
        return Some(0);
    }
    if c > 0xFFFF {
        return Some(0);
    }
    let segs = be16(t, 6)? as usize / 2;
    for k in 0..segs {
        let end = be16(t, 14 + 2 * k)? as u32;
        if c > end {
            continue;
        }
        let start = be16(t, 16 + 2 * segs + 2 * k)? as u32;
        if c < start {
            return Some(0);
        }
        let delta = be16(t, 16 + 4 * segs + 2 * k)?;
        let ro_at = 16 + 6 * segs + 2 * k;
        let ro = be16(t, ro_at)? as usize;
        if ro == 0 {
            return Some((c as u16).wrapping_add(delta));
        }
        let g = be16(t, ro_at + ro + 2 * (c - start) as usize)?;
        return Some(if g == 0 { 0 } else { g.wrapping_add(delta) });
    }
    Some(0)
}

/// A TrueType font with only the glyphs of `chars` (and those their composite glyphs
/// are built of), renumbered, with a new `cmap` (format 4), metrics and a `post` table
/// without glyph names; layout and vertical tables are left out. `None` if `ttf` is not
/// a TrueType font this can read.
pub fn subset(ttf: &[u8], chars: &std::collections::BTreeSet<char>) -> Option<Vec<u8>> {
    let t = tables(ttf)?;
    let get = |tag: &[u8; 4]| t.get(tag).map(|&(a, l)| &ttf[a..a + l]);
    let (head, maxp, hhea, hmtx, loca, glyf, cmap) = (
        get(b"head")?,
        get(b"maxp")?,
        get(b"hhea")?,
        get(b"hmtx")?,
        get(b"loca")?,
        get(b"glyf")?,
        get(b"cmap")?,
    );
    let num_glyphs = be16(maxp, 4)? as usize;
    let long = be16(head, 50)? == 1;
    let range = |g: usize| -> Option<(usize, usize)> {
        if g >= num_glyphs {
            return None;
        }
        let (a, b) = if long {
            (be32(loca, 4 * g)? as usize, be32(loca, 4 * g + 4)? as usize)
        } else {
            (
                2 * be16(loca, 2 * g)? as usize,
                2 * be16(loca, 2 * g + 2)? as usize,
            )
        };
        (a <= b && b <= glyf.len()).then_some((a, b))
    };
    // The characters (BMP only: format 4) and their glyphs.
    let mut map: Vec<(u16, u16)> = Vec::new();
    let mut keep = std::collections::BTreeSet::from([0u16]);
    for &c in chars {
        let c = c as u32;
        if c >= 0xFFFF {
            continue;
        }
        let g = glyph_of(cmap, c)?;
        if g != 0 && (g as usize) < num_glyphs {
            map.push((c as u16, g));
            keep.insert(g);
        }
    }
    // Composite glyphs: their components too.
    let mut todo: Vec<u16> = keep.iter().copied().collect();
    while let Some(g) = todo.pop() {
        let (a, b) = range(g as usize)?;
        let d = &glyf[a..b];
        if d.len() < 10 || (be16(d, 0)? as i16) >= 0 {
            continue;
        }
        for at in components(d)? {
            let comp = be16(d, at)?;
            if keep.insert(comp) {
                todo.push(comp);
            }
        }
    }
    let order: Vec<u16> = keep.iter().copied().collect();
    let new_id = |g: u16| order.binary_search(&g).ok().map(|i| i as u16);
    // glyf and loca (long offsets), components renumbered.
    let (mut nglyf, mut nloca) = (Vec::new(), Vec::new());
    for &g in &order {
        nloca.extend_from_slice(&(nglyf.len() as u32).to_be_bytes());
        let (a, b) = range(g as usize)?;
        let mut d = glyf[a..b].to_vec();
        if d.len() >= 10 && (be16(&d, 0)? as i16) < 0 {
            for at in components(&d)? {
                let comp = new_id(be16(&d, at)?)?;
                d[at..at + 2].copy_from_slice(&comp.to_be_bytes());
            }
        }
        nglyf.extend_from_slice(&d);
        while nglyf.len() % 4 != 0 {
            nglyf.push(0);
        }
    }
    nloca.extend_from_slice(&(nglyf.len() as u32).to_be_bytes());
    // Metrics: one long metric per glyph.
    let nh = (be16(hhea, 34)? as usize).max(1);
    let mut nhmtx = Vec::new();
    for &g in &order {
        let g = g as usize;
        let adv = be16(hmtx, 4 * g.min(nh - 1))?;
        let lsb = if g < nh {
            be16(hmtx, 4 * g + 2)?
        } else {
            be16(hmtx, 4 * nh + 2 * (g - nh))?
        };
        nhmtx.extend_from_slice(&adv.to_be_bytes());
        nhmtx.extend_from_slice(&lsb.to_be_bytes());
    }
    let mut nhhea = hhea.to_vec();
    nhhea[34..36].copy_from_slice(&(order.len() as u16).to_be_bytes());
    let mut nmaxp = maxp.to_vec();
    nmaxp[4..6].copy_from_slice(&(order.len() as u16).to_be_bytes());
    let mut nhead = head.to_vec();
    nhead[8..12].copy_from_slice(&[0; 4]);
    nhead[50..52].copy_from_slice(&1u16.to_be_bytes());
    // cmap: one format-4 subtable (Windows, Unicode BMP), a segment per run of
    // consecutive characters on consecutive glyphs.
    let mut segs: Vec<(u16, u16, u16)> = Vec::new(); // (start, end, delta)
    for &(c, g) in &map {
        let ng = new_id(g)?;
        let delta = ng.wrapping_sub(c);
        match segs.last_mut() {
            Some(s) if s.1.checked_add(1) == Some(c) && s.2 == delta => s.1 = c,
            _ => segs.push((c, c, delta)),
        }
    }
    segs.push((0xFFFF, 0xFFFF, 1));
    let n = segs.len();
    let mut sub = Vec::new();
    let push = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_be_bytes());
    let pow = 1usize << (usize::BITS - 1 - n.leading_zeros());
    for x in [
        4u16,
        (16 + 8 * n) as u16,
        0,
        (2 * n) as u16,
        (2 * pow) as u16,
        pow.trailing_zeros() as u16,
        (2 * n - 2 * pow) as u16,
    ] {
        push(&mut sub, x);
    }
    segs.iter().for_each(|s| push(&mut sub, s.1));
    push(&mut sub, 0);
    segs.iter().for_each(|s| push(&mut sub, s.0));
    segs.iter().for_each(|s| push(&mut sub, s.2));
    segs.iter().for_each(|_| push(&mut sub, 0));
    let mut ncmap = Vec::new();
    for x in [0u16, 1, 3, 1] {
        push(&mut ncmap, x);
    }
    ncmap.extend_from_slice(&12u32.to_be_bytes());
    ncmap.extend_from_slice(&sub);
    // post version 3: no glyph names.
    let mut npost = get(b"post")?.get(..32)?.to_vec();
    npost[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = vec![
        (*b"cmap", ncmap),
        (*b"glyf", nglyf),
        (*b"head", nhead),
        (*b"hhea", nhhea),
        (*b"hmtx", nhmtx),
        (*b"loca", nloca),
        (*b"maxp", nmaxp),
        (*b"post", npost),
    ];
    for tag in [b"OS/2", b"name", b"cvt ", b"fpgm", b"prep", b"gasp"] {
        if let Some(d) = get(tag) {
            out_tables.push((*tag, d.to_vec()));
        }
    }
    out_tables.sort_by_key(|t| t.0);
    Some(assemble(&out_tables))
}

/// Where the glyph indices of a composite glyph's components are (byte offsets into
/// its data).
fn components(d: &[u8]) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    let mut at = 10;
    loop {
        let flags = be16(d, at)?;
        be16(d, at + 2)?;
        out.push(at + 2);
        at += 4 + if flags & 1 != 0 { 4 } else { 2 };
        at += if flags & 8 != 0 {
            2
        } else if flags & 0x40 != 0 {
            4
        } else if flags & 0x80 != 0 {
            8
        } else {
            0
        };
        if flags & 0x20 == 0 {
            return Some(out);
        }
    }
}

/// Checksum of a table (big-endian u32 words, zero-padded).
fn checksum(d: &[u8]) -> u32 {
    d.chunks(4).fold(0u32, |s, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        s.wrapping_add(u32::from_be_bytes(w))
    })
}

/// A TrueType file of `tables` (sorted by tag): directory, tables 4-byte aligned,
/// checksums and `head.checkSumAdjustment` set.
fn assemble(tables: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let n = tables.len();
    let pow = 1usize << (usize::BITS - 1 - n.leading_zeros());
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for x in [
        n,
        16 * pow,
        pow.trailing_zeros() as usize,
        16 * n - 16 * pow,
    ] {
        out.extend_from_slice(&(x as u16).to_be_bytes());
    }
    let mut at = 12 + 16 * n;
    let mut head_at = None;
    for (tag, d) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(d).to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
        out.extend_from_slice(&(d.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = Some(at);
        }
        at += d.len().div_ceil(4) * 4;
    }
    for (_, d) in tables {
        out.extend_from_slice(d);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    if let Some(h) = head_at {
        let adj = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[h + 8..h + 12].copy_from_slice(&adj.to_be_bytes());
    }
    out
}

/// Where a page's `@font-face` rule starts and ends, so it can be made again for the
/// page's text after the page grows (see [`embed_font`]).
pub const FONT_START: &str = "/*cjk-font*/";
/// End of the rule.
pub const FONT_END: &str = "/*end-cjk-font*/";

/// The page with its `@font-face` rule (between [`FONT_START`] and [`FONT_END`])
/// replaced by one embedding the bundled CJK font cut down to the characters the page
/// uses (a few hundred kilobytes instead of 4.6 MB). A page without the markers is
/// returned as it is.
pub fn embed_font(html: &str) -> String {
    let (Some(a), Some(b)) = (html.find(FONT_START), html.find(FONT_END)) else {
        return html.to_string();
    };
    if b < a {
        return html.to_string();
    }
    let chars: std::collections::BTreeSet<char> =
        html.chars().filter(|c| !c.is_ascii_control()).collect();
    let rule = first_face(CJK_TTC)
        .and_then(|ttf| subset(&ttf, &chars))
        .map_or_else(String::new, |f| {
            format!(
                "@font-face{{font-family:\"{FAMILY}\";src:url(data:font/ttf;base64,{})}}",
                base64::engine::general_purpose::STANDARD.encode(f)
            )
        });
    format!("{}{FONT_START}{rule}{}", &html[..a], &html[b..])
}

/// The `@font-face` rule embedding the font (built once; empty if the bundled file
/// were not a collection).
pub fn font_face_css() -> &'static str {
    static CSS: OnceLock<String> = OnceLock::new();
    CSS.get_or_init(|| {
        first_face(CJK_TTC).map_or_else(String::new, |ttf| {
            format!(
                "@font-face{{font-family:\"{FAMILY}\";src:url(data:font/ttf;base64,{})}}",
                base64::engine::general_purpose::STANDARD.encode(ttf)
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_face_is_a_truetype_font_whose_tables_lie_inside_it() {
        let ttf = first_face(CJK_TTC).expect("a collection");
        assert_eq!(be32(&ttf, 0), Some(0x0001_0000));
        let n = be16(&ttf, 4).unwrap() as usize;
        assert!(n > 5);
        let mut tags = Vec::new();
        for k in 0..n {
            let r = 12 + 16 * k;
            let (at, len) = (be32(&ttf, r + 8).unwrap(), be32(&ttf, r + 12).unwrap());
            assert!(at as usize + len as usize <= ttf.len());
            assert_eq!(at % 4, 0);
            tags.push(ttf[r..r + 4].to_vec());
        }
        for t in [b"cmap", b"glyf", b"head", b"loca"] {
            assert!(
                tags.iter().any(|x| x == t),
                "{}",
                String::from_utf8_lossy(t)
            );
        }
        assert!(first_face(b"not a font").is_none());
        assert!(first_face(&CJK_TTC[..100]).is_none());
        assert!(font_face_css().starts_with("@font-face{font-family:\"floodrill CJK\""));
    }

    #[test]
    fn a_subset_maps_each_character_to_the_outline_it_had_and_nothing_else() {
        let ttf = first_face(CJK_TTC).unwrap();
        let text = "四到位评分 兴中路铁路桥下立交 H01 — 预警到位 warning, 0:45:25 ×";
        let chars: std::collections::BTreeSet<char> = text.chars().collect();
        let sub = subset(&ttf, &chars).unwrap();
        assert!(sub.len() < 60_000, "{} bytes", sub.len());
        let (t0, t1) = (tables(&ttf).unwrap(), tables(&sub).unwrap());
        let part =
            |f: &[u8], t: &std::collections::BTreeMap<[u8; 4], (usize, usize)>, tag: &[u8; 4]| {
                let (a, l) = t[tag];
                f[a..a + l].to_vec()
            };
        let outline =
            |f: &[u8], t: &std::collections::BTreeMap<[u8; 4], (usize, usize)>, g: u16| {
                let (head, loca, glyf) = (
                    part(f, t, b"head"),
                    part(f, t, b"loca"),
                    part(f, t, b"glyf"),
                );
                let g = g as usize;
                let (a, b) = if be16(&head, 50) == Some(1) {
                    (
                        be32(&loca, 4 * g).unwrap() as usize,
                        be32(&loca, 4 * g + 4).unwrap() as usize,
                    )
                } else {
                    (
                        2 * be16(&loca, 2 * g).unwrap() as usize,
                        2 * be16(&loca, 2 * g + 2).unwrap() as usize,
                    )
                };
                glyf[a..b].to_vec()
            };
        let (c0, c1) = (part(&ttf, &t0, b"cmap"), part(&sub, &t1, b"cmap"));
        for c in chars.iter().filter(|c| !c.is_whitespace()) {
            let (g0, g1) = (
                glyph_of(&c0, *c as u32).unwrap(),
                glyph_of(&c1, *c as u32).unwrap(),
            );
            assert!(g0 != 0 && g1 != 0, "{c}");
            let (o0, o1) = (outline(&ttf, &t0, g0), outline(&sub, &t1, g1));
            assert!(!o1.is_empty(), "{c}");
            // The same outline: a simple glyph byte for byte, a composite glyph its
            // header (contours, bounding box; its components are renumbered).
            let simple = (be16(&o0, 0).unwrap() as i16) >= 0;
            let n = if simple { o0.len() } else { 10 };
            assert_eq!(o0[..n], o1[..n], "{c}");
        }
        // A character the page does not use is not in the subset.
        assert_eq!(glyph_of(&c1, '洪' as u32), Some(0));
        assert_eq!(be16(&part(&sub, &t1, b"maxp"), 4).unwrap() as usize, {
            let loca = part(&sub, &t1, b"loca");
            loca.len() / 4 - 1
        });
        // The whole file sums to the magic number.
        assert_eq!(checksum(&sub), 0xB1B0_AFBA);
    }

    #[test]
    fn a_page_gets_the_glyphs_it_uses_and_again_after_it_grows() {
        let page = format!("<style>{FONT_START}{FONT_END}</style><p>预警</p>");
        let a = embed_font(&page);
        assert!(a.contains("@font-face{font-family:\"floodrill CJK\""));
        let grown = a.replace("<p>预警</p>", "<p>预警 转移到位 兴中路</p>");
        let b = embed_font(&grown);
        assert!(b.len() > a.len());
        assert_eq!(b.matches(FONT_START).count(), 1);
        assert!(b.ends_with("<p>预警 转移到位 兴中路</p>"));
        assert_eq!(embed_font("<p>no markers</p>"), "<p>no markers</p>");
    }
}
