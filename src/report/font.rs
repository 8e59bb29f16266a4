//! The CJK font the HTML pages carry, so Chinese shows on a machine without CJK fonts:
//! WenQuanYi Micro Hei (Apache-2.0, `assets/fonts/`), whose collection (`.ttc`) browsers
//! refuse in `@font-face`; its first face is taken out as a plain TrueType font and
//! embedded as a data URL.

use std::sync::OnceLock;

use base64::Engine as _;

/// The bundled collection.
const CJK_TTC: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

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
}
