//! Export artefacts removed from a paragraph's text: Word's `[bookmark: _…]` markers, byte-order
//! marks, soft hyphens, zero-width characters; non-breaking and other odd spaces, tabs and
//! line breaks become one plain space.

/// Characters dropped outright: BOM, soft hyphen, zero-width space / joiners, word joiner.
const DROPPED: [char; 6] = ['\u{feff}', '\u{ad}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}'];

/// `text` without artefacts and with whitespace collapsed and trimmed.
#[must_use]
pub fn clean(text: &str) -> String {
    collapse(&strip_artefacts(text))
}

/// `text` without bookmark markers and dropped characters; whitespace untouched.
#[must_use]
pub fn strip_artefacts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_marker(rest) {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find(']') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.retain(|c| !DROPPED.contains(&c));
    out
}

/// Where a `[bookmark:` marker starts (Word writes it in any case, sometimes with a space).
fn find_marker(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    lower.find("[bookmark:").or_else(|| lower.find("[bookmark :"))
}

/// Every run of whitespace (including NBSP, narrow NBSP, figure space, tabs, line breaks) as
/// one space; trimmed.
#[must_use]
pub fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2007}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artefacts_go_words_stay() {
        assert_eq!(clean("\u{feff}[bookmark: _a1b2c3d4]1. Термины"), "1. Термины");
        assert_eq!(
            clean("пер\u{ad}сональ\u{ad}ных\u{a0}данных\t\tи  [BOOKMARK: _Toc1]cookie"),
            "персональных данных и cookie"
        );
        assert_eq!(clean("a\u{200b}b\u{202f}c"), "ab c");
        assert_eq!(clean("[bookmark: unterminated"), "");
        assert_eq!(clean("[1] ссылка"), "[1] ссылка");
        assert_eq!(clean("  \t "), "");
    }
}
