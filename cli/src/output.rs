//! What the commands print: results on standard output (a closed pipe stops the command
//! quietly), notes on standard error, and plain aligned tables.

use std::io::{self, Write};

use crate::error::{one_line, Error, Result};

/// Prints `text` and a newline on standard output.
///
/// # Errors
/// [`Error::BrokenPipe`] when the reader went away, [`Error::Output`] otherwise.
pub fn out(text: &str) -> Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(stdout_error)
}

/// Maps a write error on standard output.
#[must_use]
pub fn stdout_error(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::Output(format!("writing to standard output: {e}"))
    }
}

/// Prints a note on standard error; a closed standard error is ignored.
pub fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Prints `value` as pretty JSON on standard output.
///
/// # Errors
/// As [`out`].
pub fn out_json(value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Output(e.to_string()))?;
    out(&text)
}

/// Lays out `rows` under `header` in columns separated by two spaces; cells are made one-line
/// (an edge's data never moves the cursor or injects terminal escapes).
#[must_use]
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let clean = |s: &str| one_line(s);
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| clean(c)).collect()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            s.push_str(cell);
            if i < last {
                let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(cell.chars().count()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.trim_end().to_owned()
    };
    let mut lines = vec![line(header.to_vec())];
    lines.extend(rows.iter().map(|r| line(r.iter().map(String::as_str).collect())));
    lines.join("\n")
}

/// Category ids as `a,b`, or `?` when the edge left the list out (it did not fit the metadata).
#[must_use]
pub fn ids(list: Option<&[String]>) -> String {
    match list {
        None => "?".to_owned(),
        Some([]) => "-".to_owned(),
        Some(list) => list.join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_stay_on_one_line() {
        let rows =
            vec![vec!["1".into(), "Жанна".into(), "x".into()], vec!["22".into(), "b\nc\u{1b}".into(), "".into()]];
        assert_eq!(table(&["ID", "NAME", "Z"], &rows), "ID  NAME   Z\n1   Жанна  x\n22  b c");
    }

    #[test]
    fn id_lists() {
        assert_eq!(ids(None), "?");
        assert_eq!(ids(Some(&[])), "-");
        assert_eq!(ids(Some(&["a".into(), "b".into()])), "a,b");
    }
}
