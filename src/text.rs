//! Reading a user's text file (scenario, orders, series, GeoJSON, ESRI ASCII) the same
//! way everywhere: UTF-8, with a leading byte-order mark accepted and dropped.
//!
//! Why: editors on Windows save a BOM, and a Chinese place name saved as GBK is a
//! common mistake. A BOM must not make the first token unrecognisable, and a byte that
//! is not UTF-8 must be reported where it is (line:column) with what to do about it,
//! not as "stream did not contain valid UTF-8".

use std::path::{Path, PathBuf};

/// The UTF-8 byte-order mark.
const BOM: &str = "\u{feff}";

/// A text file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}", path = .path.display())]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A byte sequence that is not UTF-8.
    #[error(
        "{path}:{line}:{col}: byte 0x{byte:02X} is not UTF-8 text (the file may be saved \
         as GBK or another legacy encoding); save the file as UTF-8",
        path = .path.display()
    )]
    NotUtf8 {
        /// File.
        path: PathBuf,
        /// 1-based line of the first bad byte.
        line: usize,
        /// 1-based column (characters) of the first bad byte.
        col: usize,
        /// The first bad byte.
        byte: u8,
    },
}

impl TextError {
    /// 1-based (line, column) of the problem, (0, 0) when it is not tied to a place.
    pub fn position(&self) -> (usize, usize) {
        match self {
            TextError::Io { .. } => (0, 0),
            TextError::NotUtf8 { line, col, .. } => (*line, *col),
        }
    }

    /// The message without the file and position prefix.
    pub fn reason(&self) -> String {
        match self {
            TextError::Io { source, .. } => format!("cannot read: {source}"),
            TextError::NotUtf8 { byte, .. } => format!(
                "byte 0x{byte:02X} is not UTF-8 text (the file may be saved as GBK or another \
                 legacy encoding); save the file as UTF-8"
            ),
        }
    }
}

/// Read a UTF-8 text file, dropping a leading byte-order mark.
pub fn read_text(path: &Path) -> Result<String, TextError> {
    let bytes = std::fs::read(path).map_err(|source| TextError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_text(path, bytes)
}

/// Decode file bytes as UTF-8 text, dropping a leading byte-order mark; `path` names
/// the file in errors.
pub fn decode_text(path: &Path, bytes: Vec<u8>) -> Result<String, TextError> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with(BOM) {
                s.drain(..BOM.len());
            }
            Ok(s)
        }
        Err(e) => {
            let bytes = e.as_bytes();
            let good = e.utf8_error().valid_up_to();
            // The prefix up to `good` is valid UTF-8 by definition.
            let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
            let prefix = prefix.strip_prefix(BOM).unwrap_or(prefix);
            let line = prefix.matches('\n').count() + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(TextError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                col,
                byte: bytes[good],
            })
        }
    }
}

/// `text` without a leading byte-order mark (for text that did not come from
/// [`read_text`], such as a scenario embedded in a replay).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped() {
        let mut b = BOM.as_bytes().to_vec();
        b.extend_from_slice("Scenario(".as_bytes());
        assert_eq!(decode_text(Path::new("a.ron"), b).unwrap(), "Scenario(");
    }

    #[test]
    fn gbk_byte_is_located() {
        // "名" in GBK is 0xC3 0xFB; placed on line 2 after `  name: "`.
        let mut b = b"Scenario(\n  name: \"".to_vec();
        b.extend_from_slice(&[0xC3, 0xFB]);
        b.extend_from_slice(b"\")\n");
        let e = decode_text(Path::new("a.ron"), b).unwrap_err();
        assert_eq!(e.position(), (2, 10));
        let m = e.to_string();
        assert!(
            m.starts_with("a.ron:2:10: byte 0xC3") && m.contains("save the file as UTF-8"),
            "{m}"
        );
    }

    #[test]
    fn column_counts_characters_not_bytes() {
        let mut b = "演练 ".as_bytes().to_vec();
        b.push(0xFF);
        let e = decode_text(Path::new("a.txt"), b).unwrap_err();
        assert_eq!(e.position(), (1, 4));
    }
}
