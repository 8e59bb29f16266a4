//! ESRI ASCII grid (`.asc`) reading and writing.
//!
//! Reading is strict, because a raster that is silently misread floods the wrong
//! streets: the six header keys (`ncols`, `nrows`, `xllcorner|xllcenter`,
//! `yllcorner|yllcenter`, `cellsize`, optional `NODATA_value`) must be present and
//! numeric, and every data line must hold exactly `ncols` numbers. Errors name the
//! file, the line and what was expected.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::grid::{Grid, GridSpec};

/// A raster that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read raster: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The content is malformed.
    #[error("{path}:{line}: {message}")]
    Format {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong and what was expected.
        message: String,
    },
}

impl RasterError {
    fn format(path: &Path, line: usize, message: impl Into<String>) -> Self {
        RasterError::Format {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// The most cells a raster may declare: 100 million (10,000 × 10,000). A district's
/// memory is estimated and checked against the machine at validation; this bound
/// stops a header from asking for more before anything is allocated.
pub const MAX_CELLS: usize = 100_000_000;

/// A raster's text: UTF-8 (a byte-order mark is dropped), a bad byte named with its
/// position.
fn read_raster_text(path: &Path) -> Result<String, RasterError> {
    crate::text::read_text(path).map_err(|e| match e {
        crate::text::TextError::Io { path, source } => RasterError::Io { path, source },
        other => {
            let (line, col) = other.position();
            RasterError::format(path, line, format!("column {col}: {}", other.reason()))
        }
    })
}

/// A number token as ESRI ASCII writes it: digits, an optional fraction with digits,
/// an optional exponent with digits. `12.` (a file cut mid-number), `1e`, `inf` and
/// `nan` are not numbers here.
fn parse_number(tok: &str) -> Option<f64> {
    let b = tok.as_bytes();
    let ok_end = b.last().is_some_and(u8::is_ascii_digit);
    let ok_chars = b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !(ok_end && ok_chars) {
        return None;
    }
    tok.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A raster read from disk, with its no-data marker.
#[derive(Debug, Clone)]
pub struct AscGrid {
    /// Values (no-data cells keep the marker value).
    pub grid: Grid<f64>,
    /// The file's `NODATA_value`, if it had one.
    pub nodata: Option<f64>,
}

/// Read only the header of an ESRI ASCII grid (cheap extent checks).
pub fn read_asc_header(path: &Path) -> Result<(GridSpec, Option<f64>), RasterError> {
    let text = read_raster_text(path)?;
    parse_header(path, &text).map(|(spec, nodata, _)| (spec, nodata))
}

/// Read an ESRI ASCII grid.
pub fn read_asc(path: &Path) -> Result<AscGrid, RasterError> {
    let text = read_raster_text(path)?;
    parse_asc(path, &text)
}

/// Parse ESRI ASCII grid text; `path` is used in error messages only.
pub fn parse_asc(path: &Path, text: &str) -> Result<AscGrid, RasterError> {
    let (spec, nodata, header_lines) = parse_header(path, text)?;
    // Each value takes at least two bytes of text, so the file's length bounds what can
    // be read whatever the header claims.
    let mut data = Vec::with_capacity(spec.len().min(text.len() / 2 + 1));
    let mut rows = 0usize;
    let mut last_line = header_lines;
    for (i, line) in text.lines().enumerate().skip(header_lines) {
        let lineno = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        last_line = lineno;
        if rows == spec.nrows {
            return Err(RasterError::format(
                path,
                lineno,
                format!("more data rows than nrows = {} in the header", spec.nrows),
            ));
        }
        let before = data.len();
        for (k, tok) in line.split_ascii_whitespace().enumerate() {
            let v: f64 = parse_number(tok).ok_or_else(|| {
                RasterError::format(
                    path,
                    lineno,
                    format!(
                        "value {}: expected a finite number such as 12.5 or -3e2, found `{tok}` \
                         (is the file cut short?)",
                        k + 1
                    ),
                )
            })?;
            data.push(v);
        }
        let n = data.len() - before;
        if n != spec.ncols {
            return Err(RasterError::format(
                path,
                lineno,
                format!(
                    "data row {} has {n} values, expected ncols = {}",
                    rows + 1,
                    spec.ncols
                ),
            ));
        }
        rows += 1;
    }
    if rows != spec.nrows {
        return Err(RasterError::format(
            path,
            last_line,
            format!(
                "file ends after {rows} data rows, expected nrows = {}",
                spec.nrows
            ),
        ));
    }
    Ok(AscGrid {
        grid: Grid { spec, data },
        nodata,
    })
}

fn parse_header(path: &Path, text: &str) -> Result<(GridSpec, Option<f64>, usize), RasterError> {
    let mut ncols = None;
    let mut nrows = None;
    let mut xll = None;
    let mut yll = None;
    let mut xcentre = false;
    let mut ycentre = false;
    let mut cell = None;
    let mut nodata = None;
    let mut consumed = 0usize;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let mut it = line.split_ascii_whitespace();
        let Some(key) = it.next() else {
            consumed = lineno;
            continue;
        };
        let lower = key.to_ascii_lowercase();
        let known = matches!(
            lower.as_str(),
            "ncols"
                | "nrows"
                | "xllcorner"
                | "xllcenter"
                | "yllcorner"
                | "yllcenter"
                | "cellsize"
                | "nodata_value"
        );
        if !known {
            break;
        }
        let val = it.next().ok_or_else(|| {
            RasterError::format(path, lineno, format!("header key `{key}` has no value"))
        })?;
        let num: f64 = parse_number(val).ok_or_else(|| {
            RasterError::format(
                path,
                lineno,
                format!("header `{key}`: expected a finite number, found `{val}`"),
            )
        })?;
        if let Some(junk) = it.next() {
            return Err(RasterError::format(
                path,
                lineno,
                format!("header `{key}`: expected one value, found `{val}` followed by `{junk}`"),
            ));
        }
        let positive_int = |what: &str| -> Result<usize, RasterError> {
            if num >= 1.0 && num.fract() == 0.0 && num < 1e8 {
                Ok(num as usize)
            } else {
                Err(RasterError::format(
                    path,
                    lineno,
                    format!("header `{what}`: expected a positive whole number, found `{val}`"),
                ))
            }
        };
        match lower.as_str() {
            "ncols" => ncols = Some(positive_int("ncols")?),
            "nrows" => nrows = Some(positive_int("nrows")?),
            "xllcorner" => xll = Some(num),
            "xllcenter" => {
                xll = Some(num);
                xcentre = true;
            }
            "yllcorner" => yll = Some(num),
            "yllcenter" => {
                yll = Some(num);
                ycentre = true;
            }
            "cellsize" => {
                if !(num > 0.0 && num.is_finite()) {
                    return Err(RasterError::format(
                        path,
                        lineno,
                        format!("header `cellsize`: expected a positive number, found `{val}`"),
                    ));
                }
                cell = Some(num)
            }
            _ => nodata = Some(num),
        }
        consumed = lineno;
    }
    let missing = |k: &str| {
        RasterError::format(
            path,
            consumed.max(1),
            format!(
                "header is missing `{k}` (expected ncols, nrows, xllcorner, yllcorner, cellsize \
                 and optionally NODATA_value before the data)"
            ),
        )
    };
    let ncols = ncols.ok_or_else(|| missing("ncols"))?;
    let nrows = nrows.ok_or_else(|| missing("nrows"))?;
    let cell = cell.ok_or_else(|| missing("cellsize"))?;
    if ncols.saturating_mul(nrows) > MAX_CELLS {
        return Err(RasterError::format(
            path,
            1,
            format!(
                "header: ncols {ncols} × nrows {nrows} = {} cells, more than the limit of \
                 {MAX_CELLS} cells (10,000 × 10,000); clip or resample the raster",
                ncols.saturating_mul(nrows)
            ),
        ));
    }
    let mut xll = xll.ok_or_else(|| missing("xllcorner"))?;
    let mut yll = yll.ok_or_else(|| missing("yllcorner"))?;
    if xcentre {
        xll -= 0.5 * cell;
    }
    if ycentre {
        yll -= 0.5 * cell;
    }
    Ok((
        GridSpec {
            ncols,
            nrows,
            xll,
            yll,
            cell,
        },
        nodata,
        consumed,
    ))
}

/// Format a grid as ESRI ASCII text with `decimals` digits after the point.
pub fn format_asc(grid: &Grid<f64>, nodata: Option<f64>, decimals: usize) -> String {
    let s = &grid.spec;
    let mut out = String::with_capacity(s.len() * (decimals + 4) + 128);
    let _ = writeln!(out, "ncols {}", s.ncols);
    let _ = writeln!(out, "nrows {}", s.nrows);
    let _ = writeln!(out, "xllcorner {}", s.xll);
    let _ = writeln!(out, "yllcorner {}", s.yll);
    let _ = writeln!(out, "cellsize {}", s.cell);
    if let Some(nd) = nodata {
        let _ = writeln!(out, "NODATA_value {nd}");
    }
    for row in grid.data.chunks(s.ncols.max(1)) {
        for (k, v) in row.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{v:.decimals$}");
        }
        out.push('\n');
    }
    out
}

/// Write a grid as an ESRI ASCII file (written to a temporary name, then renamed, so a
/// reader never sees half a raster).
pub fn write_asc(
    path: &Path,
    grid: &Grid<f64>,
    nodata: Option<f64>,
    decimals: usize,
) -> Result<(), RasterError> {
    let text = format_asc(grid, nodata, decimals);
    let tmp = path.with_extension("asc.part");
    let io = |source| RasterError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.asc")
    }

    fn err(text: &str) -> String {
        parse_asc(p(), text).unwrap_err().to_string()
    }

    #[test]
    fn a_header_of_ten_billion_cells_is_refused_before_allocating() {
        let e = err("ncols 100000\nnrows 100000\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 2\n");
        assert!(
            e.contains("t.asc:1:") && e.contains("10000000000 cells"),
            "{e}"
        );
        assert!(e.contains("limit of 100000000"), "{e}");
    }

    #[test]
    fn a_header_line_with_trailing_junk_is_refused() {
        let e = err("ncols 3 junk\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 2 3\n");
        assert!(
            e.contains("t.asc:1:") && e.contains("followed by `junk`"),
            "{e}"
        );
    }

    #[test]
    fn a_value_cut_mid_number_is_refused_with_its_line() {
        let e = err("ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 2 3\n4 5 12.");
        assert!(e.contains("t.asc:7:") && e.contains("`12.`"), "{e}");
        let e = err("ncols 3\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 2 1e\n");
        assert!(e.contains("`1e`"), "{e}");
        let e = err("ncols 3\nnrows 1\nxllcorner inf\nyllcorner 0\ncellsize 5\n1 2 3\n");
        assert!(e.contains("t.asc:3:") && e.contains("`inf`"), "{e}");
    }

    #[test]
    fn numbers_as_writers_write_them_are_read() {
        for (tok, v) in [
            ("12.5", 12.5),
            ("-3e2", -300.0),
            ("1.0E+02", 100.0),
            (".5", 0.5),
        ] {
            assert_eq!(parse_number(tok), Some(v), "{tok}");
        }
    }

    #[test]
    fn round_trip() {
        let text = "ncols 3\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize 5\nNODATA_value -9999\n1 2 3\n4 5 6\n";
        let g = parse_asc(p(), text).unwrap();
        assert_eq!(
            g.grid.spec,
            GridSpec {
                ncols: 3,
                nrows: 2,
                xll: 10.0,
                yll: 20.0,
                cell: 5.0
            }
        );
        assert_eq!(g.grid.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let again = parse_asc(p(), &format_asc(&g.grid, g.nodata, 3)).unwrap();
        assert_eq!(again.grid, g.grid);
    }

    #[test]
    fn errors_name_the_line() {
        let bad_row = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 2 3\n4 5\n";
        let e = parse_asc(p(), bad_row).unwrap_err().to_string();
        assert!(
            e.starts_with("t.asc:7:") && e.contains("expected ncols = 3"),
            "{e}"
        );
        let bad_num = "ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 x\n";
        let e = parse_asc(p(), bad_num).unwrap_err().to_string();
        assert!(e.starts_with("t.asc:6:") && e.contains("`x`"), "{e}");
        let bad_header = "ncols 2\nnrows two\n";
        let e = parse_asc(p(), bad_header).unwrap_err().to_string();
        assert!(e.starts_with("t.asc:2:") && e.contains("nrows"), "{e}");
        let short = "ncols 2\nnrows 3\nxllcorner 0\nyllcorner 0\ncellsize 5\n1 2\n";
        let e = parse_asc(p(), short).unwrap_err().to_string();
        assert!(e.contains("expected nrows = 3"), "{e}");
    }
}
